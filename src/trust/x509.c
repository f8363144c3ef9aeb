/* x509.c - the organisation's P-256 CA and approvers' certificates
 * (OpenSSL libcrypto 3.0).
 *
 * Its job: certificates for the PDF's CMS signature that poppler/NSS and
 * `openssl verify` accept, bound by fingerprint to the Ed25519 roster. It
 * must never issue a certificate with an extended key usage (pdfsig then
 * distrusts it), nor for a request whose self-signature fails.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "wipecert/roster.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/x509.h"

static int set_name(X509_NAME *n, const char *cn, const char *org)
{
	if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0))
		return -EINVAL;
	return 0;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -EINVAL;
	ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : -ENOMEM;
}

static int new_cert(EVP_PKEY *pub, time_t nb, time_t na, X509 **ret)
{
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	X509 *c = X509_new();
	int r = -ENOMEM;

	if (!c)
		return -ENOMEM;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f; /* positive, as RFC 5280 wants */
	serial[0] |= 0x40;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) ||
	    !X509_set_version(c, X509_VERSION_3) ||
	    !ASN1_TIME_set(X509_getm_notBefore(c), nb) || !ASN1_TIME_set(X509_getm_notAfter(c), na) ||
	    !X509_set_pubkey(c, pub))
		goto fail;
	BN_free(bn);
	*ret = c;
	return 0;
fail:
	BN_free(bn);
	X509_free(c);
	return r;
}

int x509_ca_create(EVP_PKEY *key, const char *org, time_t now, int years, X509 **ret)
{
	_cleanup_free_ char *cn = NULL;
	X509 *c = NULL;
	int r;

	if (asprintf(&cn, "%s wipecert CA", org) < 0)
		return -ENOMEM;
	r = new_cert(key, now - 60, time_add_years(now, years), &c);
	if (r < 0)
		return r;
	r = set_name(X509_get_subject_name(c), cn, org);
	if (r >= 0 && !X509_set_issuer_name(c, X509_get_subject_name(c)))
		r = -ENOMEM;
	if (r >= 0)
		r = add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE");
	if (r >= 0)
		r = add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (r >= 0)
		r = add_ext(c, c, NID_subject_key_identifier, "hash");
	if (r >= 0)
		r = add_ext(c, c, NID_authority_key_identifier, "keyid:always");
	if (r >= 0 && !X509_sign(c, key, EVP_sha256()))
		r = -EINVAL;
	if (r < 0) {
		X509_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int x509_issue(EVP_PKEY *ca_key, X509 *ca_cert, EVP_PKEY *pub, const char *name, const char *org,
	       time_t not_before, time_t not_after, X509 **ret)
{
	X509 *c = NULL;
	int r;

	if (X509_check_private_key(ca_cert, ca_key) != 1)
		return -ENOKEY;
	r = new_cert(pub, not_before, not_after, &c);
	if (r < 0)
		return r;
	r = set_name(X509_get_subject_name(c), name, org);
	if (r >= 0 && !X509_set_issuer_name(c, X509_get_subject_name(ca_cert)))
		r = -ENOMEM;
	if (r >= 0)
		r = add_ext(c, ca_cert, NID_basic_constraints, "critical,CA:FALSE");
	/* no extended key usage: pdfsig distrusts codeSigning and serverAuth */
	if (r >= 0)
		r = add_ext(c, ca_cert, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	if (r >= 0)
		r = add_ext(c, ca_cert, NID_subject_key_identifier, "hash");
	if (r >= 0)
		r = add_ext(c, ca_cert, NID_authority_key_identifier, "keyid:always");
	if (r >= 0 && !X509_sign(c, ca_key, EVP_sha256()))
		r = -EINVAL;
	if (r < 0) {
		X509_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int x509_csr_create(EVP_PKEY *key, const char *name, const char *org, char **ret_pem)
{
	X509_REQ *req = X509_REQ_new();
	BIO *b = NULL;
	char *data, *s;
	long n;
	int r = -ENOMEM;

	if (!req)
		return -ENOMEM;
	if (set_name(X509_REQ_get_subject_name(req), name, org) < 0 ||
	    !X509_REQ_set_pubkey(req, key) || !X509_REQ_sign(req, key, EVP_sha256()))
		goto out;
	b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_X509_REQ(b, req))
		goto out;
	n = BIO_get_mem_data(b, &data);
	s = strndup(data, (size_t)n);
	if (!s)
		goto out;
	*ret_pem = s;
	r = 0;
out:
	BIO_free(b);
	X509_REQ_free(req);
	return r;
}

int x509_csr_parse(const char *pem, size_t len, EVP_PKEY **ret_pub)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509_REQ *req = NULL;
	EVP_PKEY *pub = NULL;
	int r = -EINVAL;

	if (!b)
		return -ENOMEM;
	req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	if (!req)
		goto out;
	pub = X509_REQ_get_pubkey(req);
	if (!pub || X509_REQ_verify(req, pub) != 1) {
		r = -EBADMSG;
		goto out;
	}
	*ret_pub = TAKE_PTR(pub);
	r = 0;
out:
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	BIO_free(b);
	ERR_clear_error();
	return r;
}

int x509_pem_append(X509 *cert, char **buf)
{
	BIO *b = BIO_new(BIO_s_mem());
	size_t old = *buf ? strlen(*buf) : 0;
	char *data, *n;
	long len;

	if (!b)
		return -ENOMEM;
	if (!PEM_write_bio_X509(b, cert)) {
		BIO_free(b);
		return -ENOMEM;
	}
	len = BIO_get_mem_data(b, &data);
	n = realloc(*buf, old + (size_t)len + 1);
	if (!n) {
		BIO_free(b);
		return -ENOMEM;
	}
	memcpy(n + old, data, (size_t)len);
	n[old + (size_t)len] = '\0';
	*buf = n;
	BIO_free(b);
	return 0;
}

int x509_pem_load_all(const char *path, STACK_OF(X509) *sk)
{
	_cleanup_free_ uint8_t *data = NULL;
	X509 *c;
	BIO *b;
	size_t len;
	int r, n = 0;

	r = read_full_file(path, &data, &len);
	if (r < 0)
		return r;
	if (len > INT_MAX)
		return -EFBIG;
	b = BIO_new_mem_buf(data, (int)len);
	if (!b)
		return -ENOMEM;
	while ((c = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (!sk_X509_push(sk, c)) {
			/* the stack did not take it: ours to free */
			X509_free(c);
			n = -ENOMEM;
			break;
		}
		n++;
	}
	ERR_clear_error();
	BIO_free(b);
	return n == 0 ? -EINVAL : n;
}

int x509_load_pem(const char *path, X509 **ret_cert, STACK_OF(X509) **ret_chain)
{
	STACK_OF(X509) *all = sk_X509_new_null();
	int r;

	if (!all)
		return -ENOMEM;
	r = x509_pem_load_all(path, all);
	if (r < 0) {
		sk_X509_pop_free(all, X509_free);
		return r;
	}
	*ret_cert = sk_X509_shift(all);
	if (ret_chain)
		*ret_chain = all;
	else
		sk_X509_pop_free(all, X509_free);
	return 0;
}

int trust_store_ca_certs(const struct trust_store *s, STACK_OF(X509) *sk)
{
	_cleanup_free_ char *own = NULL, *cdir = NULL;
	struct dirent *de;
	DIR *d;
	int r, n = 0;

	if (asprintf(&own, "%s/ca.crt", trust_store_dir(s)) < 0 ||
	    asprintf(&cdir, "%s/contractors", trust_store_dir(s)) < 0)
		return -ENOMEM;
	r = x509_pem_load_all(own, sk);
	if (r == -ENOMEM)
		return r;
	n += r > 0 ? r : 0;
	d = opendir(cdir);
	if (!d)
		return n;
	while ((de = readdir(d))) {
		uint8_t keyid[TRUST_KEYID_BYTES];
		_cleanup_free_ char *p = NULL;

		/* only a contractor our roster pins: the store ignores the rest too */
		if (trust_keyid_parse(de->d_name, keyid) < 0 || !trust_store_contractor(s, keyid))
			continue;
		if (asprintf(&p, "%s/%s/ca.crt", cdir, de->d_name) < 0) {
			n = -ENOMEM;
			break;
		}
		r = x509_pem_load_all(p, sk);
		if (r == -ENOMEM) {
			n = r;
			break;
		}
		n += r > 0 ? r : 0;
	}
	closedir(d);
	return n;
}

int x509_p12_parse(const uint8_t *data, size_t len, const char *pass, EVP_PKEY **ret_key,
		   X509 **ret_cert, STACK_OF(X509) **ret_chain)
{
	const unsigned char *p = data;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	int r = -EINVAL;

	if (!p12)
		goto out;
	if (!PKCS12_verify_mac(p12, pass ? pass : "", -1) && !PKCS12_verify_mac(p12, NULL, 0)) {
		r = -EKEYREJECTED;
		goto out;
	}
	if (!PKCS12_parse(p12, pass ? pass : "", &key, &cert, &ca) || !key || !cert)
		goto out;
	if (X509_check_private_key(cert, key) != 1)
		goto out;
	if (!ca)
		ca = sk_X509_new_null();
	if (!ca) {
		r = -ENOMEM;
		goto out;
	}
	*ret_key = TAKE_PTR(key);
	*ret_cert = TAKE_PTR(cert);
	*ret_chain = TAKE_PTR(ca);
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	return r;
}

int trust_x509_fingerprint(X509 *cert, char out[TRUST_FPR_STRLEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
		return -EINVAL;
	hex_encode(md, n, out);
	return 0;
}

void trust_x509_signer_free(struct trust_x509_signer *x)
{
	if (!x)
		return;
	EVP_PKEY_free(x->key);
	X509_free(x->cert);
	sk_X509_pop_free(x->chain, X509_free);
	free(x);
}

int trust_x509_signer_load(const struct trust_seckey *k, const struct trust_store *s,
			   const char *cert_path, struct trust_x509_signer **ret)
{
	struct trust_x509_signer *x;
	_cleanup_free_ char *p = NULL, *cap = NULL;
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN], fpr[TRUST_FPR_STRLEN];
	const struct trust_member *m = NULL;
	int r;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	r = trust_seckey_x509_key(k, &x->key);
	if (r < 0)
		goto fail;
	trust_seckey_pubkey(k, &pk);
	trust_keyid_string(pk.keyid, id);
	if (s)
		m = trust_store_find(s, pk.keyid);
	if (cert_path) {
		r = x509_load_pem(cert_path, &x->cert, &x->chain);
		if (r < 0)
			goto fail;
	} else {
		r = -EINVAL;
		if (!s)
			goto fail;
		r = -ENOMEM;
		if (asprintf(&p, "%s/members/%s.crt", trust_store_dir(s), id) < 0 ||
		    asprintf(&cap, "%s/ca.crt", trust_store_dir(s)) < 0)
			goto fail;
		r = x509_load_pem(p, &x->cert, NULL);
		if (r < 0)
			goto fail;
		{
			X509 *ca = NULL;

			r = x509_load_pem(cap, &ca, &x->chain);
			if (r < 0)
				goto fail;
			if (!sk_X509_insert(x->chain, ca, 0)) {
				X509_free(ca);
				r = -ENOMEM;
				goto fail;
			}
		}
	}
	r = -ENOKEY;
	if (X509_check_private_key(x->cert, x->key) != 1)
		goto fail;
	/* the roster binds the Ed25519 key to this very certificate */
	if (m && m->x509_sha256[0]) {
		r = trust_x509_fingerprint(x->cert, fpr);
		if (r < 0)
			goto fail;
		if (!streq(fpr, m->x509_sha256)) {
			r = -EBADMSG;
			goto fail;
		}
	}
	ERR_clear_error();
	*ret = x;
	return 0;
fail:
	ERR_clear_error();
	trust_x509_signer_free(x);
	return r;
}

int trust_store_check_certs(const struct trust_store *s, trust_problem_fn fn, void *userdata)
{
	const char *dir = trust_store_dir(s);
	_cleanup_free_ char *cap = NULL;
	X509 *ca = NULL;
	int bad = 0;

	if (asprintf(&cap, "%s/ca.crt", dir) < 0)
		return -ENOMEM;
	if (x509_load_pem(cap, &ca, NULL) < 0) {
		fn(cap, "cannot read the CA certificate", userdata);
		bad++;
	}
	for (size_t i = 0; i < trust_store_n_members(s); i++) {
		const struct trust_member *m = trust_store_member(s, i);
		_cleanup_free_ char *p = NULL;
		char id[TRUST_KEYID_STRLEN], fpr[TRUST_FPR_STRLEN];
		X509 *x = NULL;

		if (!m->x509_sha256[0] || !streq(m->org, trust_store_org(s)))
			continue;
		trust_keyid_string(m->pk.keyid, id);
		if (asprintf(&p, "%s/members/%s.crt", dir, id) < 0) {
			bad = -ENOMEM;
			break;
		}
		if (x509_load_pem(p, &x, NULL) < 0 || trust_x509_fingerprint(x, fpr) < 0 ||
		    !streq(fpr, m->x509_sha256)) {
			fn(p, "missing or not the certificate the roster names", userdata);
			bad++;
		} else if (ca && X509_check_issued(ca, x) == X509_V_OK && X509_verify(x, X509_get0_pubkey(ca)) != 1) {
			fn(p, "signature of the CA does not verify", userdata);
			bad++;
		}
		X509_free(x);
	}
	X509_free(ca);
	ERR_clear_error();
	return bad;
}

int roster_issue_cert(const char *dir, const struct trust_seckey *root, const struct trust_member *m,
		      const char *csr_pem, size_t csr_len, char ret_fpr[TRUST_FPR_STRLEN])
{
	_cleanup_free_ char *cap = NULL, *mdir = NULL, *out = NULL, *pem = NULL;
	char id[TRUST_KEYID_STRLEN], fpr[TRUST_FPR_STRLEN];
	EVP_PKEY *ca_key = NULL, *pub = NULL;
	X509 *ca = NULL, *c = NULL;
	int r;

	trust_keyid_string(m->pk.keyid, id);
	if (asprintf(&cap, "%s/ca.crt", dir) < 0 || asprintf(&mdir, "%s/members", dir) < 0 ||
	    asprintf(&out, "%s/%s.crt", mdir, id) < 0)
		return -ENOMEM;
	r = trust_seckey_x509_key(root, &ca_key);
	if (r < 0)
		return r;
	r = x509_load_pem(cap, &ca, NULL);
	if (r < 0)
		goto out;
	r = x509_csr_parse(csr_pem, csr_len, &pub);
	if (r < 0)
		goto out;
	r = x509_issue(ca_key, ca, pub, m->name, m->org, m->not_before, m->not_after, &c);
	if (r < 0)
		goto out;
	r = trust_x509_fingerprint(c, fpr);
	if (r >= 0)
		r = x509_pem_append(c, &pem);
	if (r < 0)
		goto out;
	if (mkdir(mdir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		goto out;
	}
	r = write_file_atomic(out, pem, strlen(pem), 0644, false);
	if (r < 0)
		goto out;
	memcpy(ret_fpr, fpr, TRUST_FPR_STRLEN);
out:
	ERR_clear_error();
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(pub);
	X509_free(ca);
	X509_free(c);
	return r;
}
