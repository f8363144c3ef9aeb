/* seckey.c - passphrase-encrypted secret key files.
 *
 * Its job: keep the Ed25519 key (and the X.509 private key of approvers and
 * the organisation's CA) encrypted at rest and in sodium_malloc memory while
 * in use. It must never write a key file readable by others, never replace
 * one unless forced, and never mistake a damaged file for a wrong
 * passphrase or the other way round.
 *
 * File (docs/formats.md, "Secret key"): an untrusted comment line and one
 * base64 line of
 *   "Ed" "A2" "XC" "B2"          key, KDF (Argon2id), AEAD, checksum tags
 *   salt[16] opslimit[8] memlimit[8]     (little-endian)
 *   keyid[8] pk[32]
 *   meta_len[4] meta                     canonical JSON {name, org, role}
 *   nonce[24] ct_len[4] ct               XChaCha20-Poly1305 of
 *                                        sk[64] x509_len[4] x509_der
 *   chk[32]                              BLAKE2b-256 of everything before
 * The AEAD's associated data is everything before the nonce. The checksum
 * catches damage before decryption, so a failing tag means the passphrase.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>
#include <sodium.h>

#include "wipecert/canon.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "trust-internal.h"

#define KDF_SALT 16
#define HDR_FIXED (8 + KDF_SALT + 8 + 8 + TRUST_KEYID_BYTES + TRUST_PK_BYTES + 4)
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define CHK 32
#define META_MAX 4096
#define X509_MAX 8192
#define BLOB_MAX (HDR_FIXED + META_MAX + NONCE + 4 + 64 + 4 + X509_MAX + TAG + CHK)

struct trust_seckey {
	uint8_t keyid[TRUST_KEYID_BYTES];
	uint8_t pk[TRUST_PK_BYTES];
	uint8_t *sk;          /* sodium_malloc, 64 bytes */
	uint8_t *x509;        /* sodium_malloc, PKCS#8 DER, or NULL */
	size_t x509_len;
	char *name, *org;
	enum trust_role role;
};

static void le64_store(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le64_load(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void le32_store(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t le32_load(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void trust_seckey_free(struct trust_seckey *k)
{
	if (!k)
		return;
	sodium_free(k->sk);
	sodium_free(k->x509);
	free(k->name);
	free(k->org);
	free(k);
}

static bool ident_ok(const char *s)
{
	return s && *s && strlen(s) < 256 && !strpbrk(s, "\r\n") && canon_text_ok(s, strlen(s));
}

static int seckey_new(const char *name, enum trust_role role, const char *org, struct trust_seckey **ret)
{
	struct trust_seckey *k;

	if (!ident_ok(name) || !ident_ok(org) || (unsigned)role >= _TRUST_ROLE_MAX)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->role = role;
	k->name = strdup(name);
	k->org = strdup(org);
	k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!k->name || !k->org || !k->sk) {
		trust_seckey_free(k);
		return -ENOMEM;
	}
	*ret = k;
	return 0;
}

static int set_x509(struct trust_seckey *k, EVP_PKEY *pkey)
{
	uint8_t *der = NULL, *p;
	int n = i2d_PrivateKey(pkey, NULL);

	if (n <= 0 || n > X509_MAX)
		return -EINVAL;
	der = sodium_malloc((size_t)n);
	if (!der)
		return -ENOMEM;
	p = der;
	if (i2d_PrivateKey(pkey, &p) != n) {
		sodium_free(der);
		return -EINVAL;
	}
	sodium_free(k->x509);
	k->x509 = der;
	k->x509_len = (size_t)n;
	return 0;
}

int trust_seckey_set_x509_key(struct trust_seckey *k, EVP_PKEY *pkey)
{
	return set_x509(k, pkey);
}

int trust_seckey_dup_signer(const struct trust_seckey *k, struct trust_seckey **ret)
{
	struct trust_seckey *d = NULL;
	int r;

	if (!k)
		return -EINVAL;
	r = seckey_new(k->name, k->role, k->org, &d);
	if (r < 0)
		return r;
	memcpy(d->keyid, k->keyid, sizeof(d->keyid));
	memcpy(d->pk, k->pk, sizeof(d->pk));
	memcpy(d->sk, k->sk, crypto_sign_SECRETKEYBYTES);
	*ret = d;
	return 0;
}

int trust_seckey_generate(const char *name, enum trust_role role, const char *org,
			  bool with_p256, struct trust_seckey **ret)
{
	struct trust_seckey *k = NULL;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	r = seckey_new(name, role, org, &k);
	if (r < 0)
		return r;
	crypto_sign_keypair(k->pk, k->sk);
	randombytes_buf(k->keyid, sizeof(k->keyid));
	if (with_p256) {
		EVP_PKEY *pkey = EVP_EC_gen("P-256");

		r = pkey ? set_x509(k, pkey) : -EIO;
		EVP_PKEY_free(pkey);
		if (r < 0) {
			trust_seckey_free(k);
			return r;
		}
	}
	*ret = k;
	return 0;
}

static int meta_json(const struct trust_seckey *k, char **ret, size_t *ret_len)
{
	json_t *v = json_pack("{s:s,s:s,s:s}", "name", k->name, "org", k->org,
			      "role", trust_role_to_string(k->role));
	int r;

	if (!v)
		return -EINVAL;
	r = canon_json(v, ret, ret_len);
	json_decref(v);
	return r;
}

int trust_seckey_save(const struct trust_seckey *k, const char *path,
		      const char *pass, size_t pass_len, const struct trust_kdf *kdf, bool force)
{
	uint64_t ops = kdf && kdf->opslimit ? kdf->opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE;
	uint64_t mem = kdf && kdf->memlimit ? kdf->memlimit : crypto_pwhash_MEMLIMIT_INTERACTIVE;
	_cleanup_free_ char *meta = NULL, *b64 = NULL, *text = NULL;
	_cleanup_free_ uint8_t *blob = NULL;
	struct trust_seckey *back = NULL;
	uint8_t *key = NULL, *pt = NULL;
	size_t meta_len, pt_len, off = 0, ct_len;
	char id[TRUST_KEYID_STRLEN];
	unsigned long long clen;
	int r;

	if (!pass || pass_len == 0)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	r = meta_json(k, &meta, &meta_len);
	if (r < 0)
		return r;
	if (meta_len > META_MAX)
		return -EINVAL;
	pt_len = 64 + 4 + k->x509_len;
	ct_len = pt_len + TAG;
	blob = malloc(HDR_FIXED + meta_len + NONCE + 4 + ct_len + CHK);
	key = sodium_malloc(32);
	pt = sodium_malloc(pt_len);
	if (!blob || !key || !pt) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(blob, TRUST_ALG_ED "A2XCB2", 8);
	off = 8;
	randombytes_buf(blob + off, KDF_SALT);
	if (crypto_pwhash(key, 32, pass, pass_len, blob + off, ops, mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		r = -ENOMEM;
		goto out;
	}
	off += KDF_SALT;
	le64_store(blob + off, ops);
	le64_store(blob + off + 8, mem);
	off += 16;
	memcpy(blob + off, k->keyid, TRUST_KEYID_BYTES);
	off += TRUST_KEYID_BYTES;
	memcpy(blob + off, k->pk, TRUST_PK_BYTES);
	off += TRUST_PK_BYTES;
	le32_store(blob + off, (uint32_t)meta_len);
	off += 4;
	memcpy(blob + off, meta, meta_len);
	off += meta_len;
	/* associated data: all of the above */
	randombytes_buf(blob + off, NONCE);
	le32_store(blob + off + NONCE, (uint32_t)ct_len);
	memcpy(pt, k->sk, 64);
	le32_store(pt + 64, (uint32_t)k->x509_len);
	if (k->x509_len)
		memcpy(pt + 68, k->x509, k->x509_len);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + off + NONCE + 4, &clen, pt, pt_len,
						   blob, off, NULL, blob + off, key);
	off += NONCE + 4 + ct_len;
	crypto_generichash(blob + off, CHK, blob, off, NULL, 0);
	off += CHK;
	b64 = trust_b64_encode(blob, off);
	trust_keyid_string(k->keyid, id);
	if (!b64 || asprintf(&text, TRUST_COMMENT_PREFIX "wipecert encrypted secret key %s\n%s\n",
			     id, b64) < 0) {
		r = -ENOMEM;
		goto out;
	}
	/* like minisign: nothing is written that does not open again with
	 * this passphrase into this key */
	r = trust_seckey_parse((const uint8_t *)text, strlen(text), pass, pass_len, &back);
	if (r >= 0 && (sodium_memcmp(back->sk, k->sk, 64) != 0 || back->x509_len != k->x509_len))
		r = -EIO;
	trust_seckey_free(back);
	if (r < 0) {
		r = -EIO;
		goto out;
	}
	r = write_file_atomic(path, text, strlen(text), 0600, !force);
out:
	sodium_free(key);
	sodium_free(pt);
	return r;
}

/* The public part: checks tags, sizes and the checksum. ret_* optional. */
struct parsed {
	uint8_t *blob;
	size_t len, ad_len;
	const uint8_t *salt, *keyid, *pk, *nonce, *ct;
	uint64_t ops, mem;
	size_t ct_len;
	char *name, *org;
	int role;
};

static void parsed_release(struct parsed *p)
{
	free(p->blob);
	free(p->name);
	free(p->org);
}

static int parse_blob(const uint8_t *data, size_t len, struct parsed *ret)
{
	const char *s = (const char *)data, *end = s + len, *line;
	struct parsed p = {};
	uint8_t chk[CHK];
	size_t llen, meta_len, off, got;
	const char *name, *org, *role;
	json_t *meta = NULL;
	int r;

	r = trust_next_line(&s, end, &line, &llen);
	if (r < 0)
		return r;
	if (llen < strlen(TRUST_COMMENT_PREFIX) ||
	    memcmp(line, TRUST_COMMENT_PREFIX, strlen(TRUST_COMMENT_PREFIX)) != 0)
		return -EINVAL;
	r = trust_next_line(&s, end, &line, &llen);
	if (r < 0)
		return r;
	for (; s < end; s++)
		if (*s != '\n' && *s != '\r')
			return -EINVAL;
	if (llen == 0)
		return -ENODATA;
	if (llen > BLOB_MAX / 3 * 4 + 4)
		return -EINVAL;
	p.blob = malloc(llen);
	if (!p.blob)
		return -ENOMEM;
	if (sodium_base642bin(p.blob, llen, line, llen, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		r = llen % 4 ? -ENODATA : -EINVAL;
		goto fail;
	}
	p.len = got;
	r = -ENODATA;
	if (p.len < 8)
		goto fail;
	r = -EPROTONOSUPPORT;
	if (memcmp(p.blob, TRUST_ALG_ED "A2XCB2", 8) != 0)
		goto fail;
	r = -ENODATA;
	if (p.len < HDR_FIXED + NONCE + 4 + CHK)
		goto fail;
	/* the checksum first: it tells damage from a wrong passphrase */
	crypto_generichash(chk, CHK, p.blob, p.len - CHK, NULL, 0);
	if (sodium_memcmp(chk, p.blob + p.len - CHK, CHK) != 0) {
		/* a cut-off file fails here too: say so if sizes show it */
		meta_len = le32_load(p.blob + HDR_FIXED - 4);
		r = -EBADMSG;
		if (meta_len <= META_MAX && HDR_FIXED + meta_len + NONCE + 4 <= p.len) {
			size_t cl = le32_load(p.blob + HDR_FIXED + meta_len + NONCE);
			if (cl <= BLOB_MAX && HDR_FIXED + meta_len + NONCE + 4 + cl + CHK > p.len)
				r = -ENODATA;
		}
		goto fail;
	}
	off = 8;
	p.salt = p.blob + off;
	off += KDF_SALT;
	p.ops = le64_load(p.blob + off);
	p.mem = le64_load(p.blob + off + 8);
	off += 16;
	p.keyid = p.blob + off;
	off += TRUST_KEYID_BYTES;
	p.pk = p.blob + off;
	off += TRUST_PK_BYTES;
	meta_len = le32_load(p.blob + off);
	off += 4;
	r = -EINVAL;
	if (meta_len > META_MAX || off + meta_len + NONCE + 4 + CHK > p.len)
		goto fail;
	if (canon_parse((const char *)p.blob + off, meta_len, &meta) < 0)
		goto fail;
	off += meta_len;
	p.ad_len = off;
	p.nonce = p.blob + off;
	off += NONCE;
	p.ct_len = le32_load(p.blob + off);
	off += 4;
	p.ct = p.blob + off;
	if (p.ct_len < 68 + TAG || off + p.ct_len + CHK != p.len)
		goto fail;
	if (p.ops < crypto_pwhash_OPSLIMIT_MIN || p.ops > 64 ||
	    p.mem < crypto_pwhash_MEMLIMIT_MIN || p.mem > (1ull << 31))
		goto fail;
	if (json_unpack(meta, "{s:s,s:s,s:s}", "name", &name, "org", &org, "role", &role) != 0 ||
	    json_object_size(meta) != 3)
		goto fail;
	p.role = trust_role_from_string(role);
	if (p.role < 0 || !ident_ok(name) || !ident_ok(org))
		goto fail;
	p.name = strdup(name);
	p.org = strdup(org);
	if (!p.name || !p.org) {
		r = -ENOMEM;
		goto fail;
	}
	json_decref(meta);
	*ret = p;
	return 0;
fail:
	json_decref(meta);
	parsed_release(&p);
	return r;
}

int trust_seckey_peek(const uint8_t *data, size_t len, struct trust_pubkey *ret_pk,
		      char **ret_name, int *ret_role, char **ret_org)
{
	struct parsed p;
	int r;

	r = parse_blob(data, len, &p);
	if (r < 0)
		return r;
	if (ret_pk) {
		memcpy(ret_pk->keyid, p.keyid, TRUST_KEYID_BYTES);
		memcpy(ret_pk->pk, p.pk, TRUST_PK_BYTES);
	}
	if (ret_name)
		*ret_name = TAKE_PTR(p.name);
	if (ret_org)
		*ret_org = TAKE_PTR(p.org);
	if (ret_role)
		*ret_role = p.role;
	parsed_release(&p);
	return 0;
}

int trust_seckey_parse(const uint8_t *data, size_t len, const char *pass, size_t pass_len,
		       struct trust_seckey **ret)
{
	struct trust_seckey *k = NULL;
	uint8_t *key = NULL, *pt = NULL, pk[TRUST_PK_BYTES];
	unsigned long long pt_len;
	struct parsed p;
	size_t x509_len;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	r = parse_blob(data, len, &p);
	if (r < 0)
		return r;
	r = seckey_new(p.name, p.role, p.org, &k);
	if (r < 0)
		goto out;
	key = sodium_malloc(32);
	pt = sodium_malloc(p.ct_len);
	if (!key || !pt) {
		r = -ENOMEM;
		goto out;
	}
	if (crypto_pwhash(key, 32, pass ? pass : "", pass ? pass_len : 0, p.salt, p.ops, p.mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		r = -ENOMEM;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &pt_len, NULL, p.ct, p.ct_len,
						       p.blob, p.ad_len, p.nonce, key) != 0) {
		r = -EKEYREJECTED;
		goto out;
	}
	r = -EINVAL;
	x509_len = le32_load(pt + 64);
	if (x509_len != pt_len - 68 || x509_len > X509_MAX)
		goto out;
	/* the secret half must belong to the stored public half */
	if (crypto_sign_ed25519_sk_to_pk(pk, pt) != 0 || sodium_memcmp(pk, p.pk, sizeof(pk)) != 0)
		goto out;
	memcpy(k->sk, pt, 64);
	memcpy(k->keyid, p.keyid, TRUST_KEYID_BYTES);
	memcpy(k->pk, p.pk, TRUST_PK_BYTES);
	if (x509_len) {
		k->x509 = sodium_malloc(x509_len);
		if (!k->x509) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(k->x509, pt + 68, x509_len);
		k->x509_len = x509_len;
	}
	*ret = TAKE_PTR(k);
	r = 0;
out:
	sodium_free(key);
	sodium_free(pt);
	trust_seckey_free(k);
	parsed_release(&p);
	return r;
}

/* Readable or writable by anyone but its owner: refused, as ssh refuses a
 * private key others can read (the file, not its directory, is judged). */
static int check_private(int fd, mode_t *ret_mode)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (ret_mode)
		*ret_mode = st.st_mode & 07777;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return st.st_mode & (S_IRWXG | S_IRWXO) ? -EPERM : 0;
}

int trust_seckey_check_file(const char *path, mode_t *ret_mode)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return check_private(fd, ret_mode);
}

int trust_seckey_load(const char *path, const char *pass, size_t pass_len, struct trust_seckey **ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	/* judged on the descriptor that is read: no swap in between */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = check_private(fd, NULL);
	if (r < 0)
		return r;
	r = read_full_fd(fd, &data, &len);
	if (r < 0)
		return r;
	if (len > BLOB_MAX * 2)
		return -EINVAL;
	return trust_seckey_parse(data, len, pass, pass_len, ret);
}

void trust_seckey_pubkey(const struct trust_seckey *k, struct trust_pubkey *ret)
{
	memcpy(ret->keyid, k->keyid, TRUST_KEYID_BYTES);
	memcpy(ret->pk, k->pk, TRUST_PK_BYTES);
}

const char *trust_seckey_name(const struct trust_seckey *k) { return k->name; }
const char *trust_seckey_org(const struct trust_seckey *k) { return k->org; }
enum trust_role trust_seckey_role(const struct trust_seckey *k) { return k->role; }
const uint8_t *trust_seckey_sk(const struct trust_seckey *k) { return k->sk; }
const uint8_t *trust_seckey_keyid(const struct trust_seckey *k) { return k->keyid; }

int trust_seckey_x509_key(const struct trust_seckey *k, EVP_PKEY **ret)
{
	const unsigned char *p;
	EVP_PKEY *pkey;

	if (!k->x509)
		return -ENOENT;
	p = k->x509;
	pkey = d2i_AutoPrivateKey(NULL, &p, (long)k->x509_len);
	if (!pkey)
		return -EINVAL;
	*ret = pkey;
	return 0;
}
