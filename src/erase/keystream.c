/* keystream.c - the seeded random pattern: AES-256-CTR from libcrypto.
 *
 * Why AES-CTR: measured here with 256 KiB buffers, EVP AES-256-CTR (AES-NI)
 * gives ~7 GB/s on one core, libsodium ChaCha20 ~2 GB/s; only the first is
 * faster than the devices. CTR mode can start at any 16-byte block, which is
 * what verification and resume need. It must never hand out the key.
 *
 * Where the CPU has VAES (AES on 256-bit vectors, Zen 3+, Ice Lake+) the
 * stream is computed here with it, two blocks per instruction: about twice
 * what OpenSSL 3.0's AES-NI CTR gives (it does not use VAES for CTR), which
 * matters on a RAM-speed device where the generator and the kernel's copy
 * share two cores. Same key, same counter blocks, same bytes: the tests
 * check it against EVP at many offsets and lengths. Elsewhere EVP does it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <immintrin.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "wipecert/erase.h"

struct keystream {
	EVP_CIPHER_CTX *ctx;
	bool vaes;
	uint8_t rk[15][16]; /* AES-256 round keys for the VAES path */
};

/* ---- AES-256 key schedule (AES-NI) and CTR with VAES ---- */

#define KS_TARGET __attribute__((target("aes,sse4.1,avx2,vaes")))

KS_TARGET static __m128i expand_a(__m128i t1, __m128i t2)
{
	__m128i t4;

	t2 = _mm_shuffle_epi32(t2, 0xff);
	t4 = _mm_slli_si128(t1, 4);
	t1 = _mm_xor_si128(t1, t4);
	t4 = _mm_slli_si128(t4, 4);
	t1 = _mm_xor_si128(t1, t4);
	t4 = _mm_slli_si128(t4, 4);
	t1 = _mm_xor_si128(t1, t4);
	return _mm_xor_si128(t1, t2);
}

KS_TARGET static __m128i expand_b(__m128i t1, __m128i t3)
{
	__m128i t2 = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(t1, 0x0), 0xaa), t4;

	t4 = _mm_slli_si128(t3, 4);
	t3 = _mm_xor_si128(t3, t4);
	t4 = _mm_slli_si128(t4, 4);
	t3 = _mm_xor_si128(t3, t4);
	t4 = _mm_slli_si128(t4, 4);
	t3 = _mm_xor_si128(t3, t4);
	return _mm_xor_si128(t3, t2);
}

KS_TARGET static void aes256_expand(const uint8_t key[32], uint8_t rk[15][16])
{
	__m128i t1 = _mm_loadu_si128((const __m128i *)key), t3 = _mm_loadu_si128((const __m128i *)(key + 16));

	_mm_storeu_si128((__m128i *)rk[0], t1);
	_mm_storeu_si128((__m128i *)rk[1], t3);
#define ROUND2(i, rcon)                                                   \
	t1 = expand_a(t1, _mm_aeskeygenassist_si128(t3, rcon));           \
	_mm_storeu_si128((__m128i *)rk[i], t1);                           \
	t3 = expand_b(t1, t3);                                            \
	_mm_storeu_si128((__m128i *)rk[(i) + 1], t3)
	ROUND2(2, 0x01);
	ROUND2(4, 0x02);
	ROUND2(6, 0x04);
	ROUND2(8, 0x08);
	ROUND2(10, 0x10);
	ROUND2(12, 0x20);
#undef ROUND2
	t1 = expand_a(t1, _mm_aeskeygenassist_si128(t3, 0x40));
	_mm_storeu_si128((__m128i *)rk[14], t1);
	t1 = t3 = _mm_setzero_si128();
}

/* Counter blocks are the 128-bit big-endian block number; a lane holds it
 * little-endian (low quadword = number, high = 0) and a byte reversal per
 * 128-bit lane makes it the block. Offsets stay far below 2^64 blocks. */
KS_TARGET static void ctr_vaes(const uint8_t rk8[15][16], uint64_t block, uint8_t *out, size_t len)
{
	const __m256i rev = _mm256_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
					     15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
	const __m256i two = _mm256_set_epi64x(0, 2, 0, 2), sixteen = _mm256_set_epi64x(0, 16, 0, 16);
	__m256i rk[15], ctr = _mm256_set_epi64x(0, (long long)(block + 1), 0, (long long)block);

	for (int r = 0; r < 15; r++)
		rk[r] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)rk8[r]));
	/* unrolled by hand: eight independent vectors keep the AES units busy */
	for (; len >= 256; len -= 256, out += 256, block += 16) {
		__m256i x[8], c = ctr;

#pragma GCC unroll 8
		for (int k = 0; k < 8; k++) {
			x[k] = _mm256_xor_si256(_mm256_shuffle_epi8(c, rev), rk[0]);
			c = _mm256_add_epi64(c, two);
		}
		ctr = _mm256_add_epi64(ctr, sixteen);
#pragma GCC unroll 13
		for (int r = 1; r < 14; r++) {
#pragma GCC unroll 8
			for (int k = 0; k < 8; k++)
				x[k] = _mm256_aesenc_epi128(x[k], rk[r]);
		}
#pragma GCC unroll 8
		for (int k = 0; k < 8; k++)
			_mm256_storeu_si256((__m256i *)(out + 32 * k), _mm256_aesenclast_epi128(x[k], rk[14]));
	}
	for (; len > 0; block++) {
		__m128i x = _mm_shuffle_epi8(_mm_set_epi64x(0, (long long)block), _mm256_castsi256_si128(rev));
		size_t n = len < 16 ? len : 16;
		uint8_t last[16];

		x = _mm_xor_si128(x, _mm256_castsi256_si128(rk[0]));
		for (int r = 1; r < 14; r++)
			x = _mm_aesenc_si128(x, _mm256_castsi256_si128(rk[r]));
		x = _mm_aesenclast_si128(x, _mm256_castsi256_si128(rk[14]));
		_mm_storeu_si128((__m128i *)last, x);
		memcpy(out, last, n);
		out += n;
		len -= n;
	}
}

static bool have_vaes(void)
{
	const char *off = getenv("WIPECERT_NO_VAES"); /* to measure or test the EVP path */

	if (off && *off && strcmp(off, "0") != 0)
		return false;
	__builtin_cpu_init();
	return __builtin_cpu_supports("vaes") && __builtin_cpu_supports("avx2") &&
	       __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
}

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

	ks = sodium_malloc(sizeof(*ks)); /* it holds the round keys */
	if (!ks) {
		r = -ENOMEM;
		goto out;
	}
	memset(ks, 0, sizeof(*ks));
	ks->vaes = have_vaes();
	if (ks->vaes)
		aes256_expand(key, ks->rk);
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
	if (ks->vaes) {
		ctr_vaes(ks->rk, block, out, len);
		return 0;
	}
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
	sodium_free(ks); /* wipes the round keys */
}
