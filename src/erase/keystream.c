/* keystream.c - the seeded random pattern: AES-256-CTR from libcrypto.
 *
 * Why AES-CTR: measured here with 256 KiB buffers, EVP AES-256-CTR (AES-NI)
 * gives ~7 GB/s on one core, libsodium ChaCha20 ~2 GB/s; only the first is
 * faster than the devices. CTR mode can start at any 16-byte block, which is
 * what verification and resume need. It must never hand out the key.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "wipecert/erase.h"

struct keystream {
	EVP_CIPHER_CTX *ctx;
};

int keystream_new(const uint8_t seed[ERASE_SEED_BYTES], unsigned pass, struct keystream **ret)
{
	static const uint8_t label[] = "wipecert pass";
	uint8_t msg[sizeof(label) + 4], *key;
	uint8_t iv[16] = { 0 };
	struct keystream *ks;
	int r = 0;

	if (sodium_init() < 0)
		return -ENOSYS;
	key = sodium_malloc(32);
	if (!key)
		return -ENOMEM;
	memcpy(msg, label, sizeof(label));
	for (int i = 0; i < 4; i++)
		msg[sizeof(label) + i] = (uint8_t)(pass >> (8 * i));
	crypto_generichash(key, 32, msg, sizeof(msg), seed, ERASE_SEED_BYTES);

	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		r = -ENOMEM;
		goto out;
	}
	ks->ctx = EVP_CIPHER_CTX_new();
	if (!ks->ctx || EVP_EncryptInit_ex(ks->ctx, EVP_aes_256_ctr(), NULL, key, iv) != 1) {
		keystream_free(ks);
		r = -EIO;
		goto out;
	}
	*ret = ks;
out:
	sodium_free(key);
	return r;
}

/* The stream is the cipher text of zeros. Encrypting from this small
 * cache-resident block, rather than zeroing buf and encrypting it in place,
 * spares one pass over buf: 7.5 against 6.5 GB/s measured here. */
static const uint8_t zeros[64 * 1024];

int keystream_fill(struct keystream *ks, uint64_t offset, void *buf, size_t len)
{
	uint8_t iv[16] = { 0 }, *out = buf;
	uint64_t block = offset / 16;

	if (offset % 16 != 0 || len > (size_t)1 << 30)
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		iv[15 - i] = (uint8_t)(block >> (8 * i));
	if (EVP_EncryptInit_ex(ks->ctx, NULL, NULL, NULL, iv) != 1)
		return -EIO;
	for (size_t done = 0; done < len;) {
		int n = (int)(len - done < sizeof(zeros) ? len - done : sizeof(zeros)), outl;

		if (EVP_EncryptUpdate(ks->ctx, out + done, &outl, zeros, n) != 1 || outl != n)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

void keystream_free(struct keystream *ks)
{
	if (!ks)
		return;
	EVP_CIPHER_CTX_free(ks->ctx);
	free(ks);
}
