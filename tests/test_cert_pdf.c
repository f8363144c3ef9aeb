/* test_cert_pdf.c - render, sign and verify a certificate in process; every
 * single-byte change at 600+ positions spread over the file fails verify;
 * garbage, truncated and foreign input never crash the reader. */
#include <errno.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "helpers.h"
#include "wipecert/pdf.h"
#include "wipecert/pdfparse.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"

struct pki {
	EVP_PKEY *ca_key, *key;
	X509 *ca, *cert;
};

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *issuer_key, X509 *issuer, const char *cn, bool ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2);
	/* valid well before the fixture record's signing time (an hour before
	 * now stopped covering it an hour after the fixture was made) */
	X509_gmtime_adj(X509_getm_notBefore(x), -3600L * 24 * 365 * 5);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
				  ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return x;
}

static void pki_make(struct pki *p, const char *cn)
{
	p->ca_key = EVP_EC_gen("P-256");
	p->key = EVP_EC_gen("P-256");
	assert_non_null(p->ca_key);
	assert_non_null(p->key);
	p->ca = make_cert(p->ca_key, p->ca_key, NULL, "Test CA", true);
	p->cert = make_cert(p->key, p->ca_key, p->ca, cn, false);
}

static void pki_free(struct pki *p)
{
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->key);
	X509_free(p->ca);
	X509_free(p->cert);
}

static void fixture_file(const char *name, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ char *p = test_fixture(name);

	assert_int_equal(read_full_file(p, ret, ret_len), 0);
}

/* A record the issuing path built from the technician's signed wipe
 * record (tests/fixtures/evidence/make.sh): what a certificate must carry */
static struct cert_record *fixture_record(void)
{
	_cleanup_free_ char *p = test_fixture("evidence/record.json");
	_cleanup_free_ uint8_t *buf = NULL;
	struct cert_record *r = NULL;
	size_t len;

	assert_int_equal(read_full_file(p, &buf, &len), 0);
	assert_int_equal(cert_record_parse((char *)buf, len, &r, NULL), 0);
	return r;
}

/* Render and sign r with its evidence attached, at the record's time. */
static void issue(const struct cert_record *r, struct pki *p, bool cades, uint8_t **ret, size_t *ret_len)
{
	static const char *const names[] = { CERT_SIG_NAME, CERT_WIPE_RECORD_NAME, CERT_WIPE_SIG_NAME };
	static const char *const files[] = { "evidence/record.json.minisig", "evidence/wipe-record.json",
					     "evidence/wipe-record.json.minisig" };
	uint8_t *data[3] = { 0 };
	struct cert_attachment a[3];
	struct cert_pdf_opts o = { .attachments = a, .n_attachments = 3 };
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct cert_signer s = { p->key, p->cert, chain, "Hanako Sato", "test", 0, cades };
	_cleanup_free_ uint8_t *pdf = NULL;
	const char *err = NULL;
	size_t len;

	for (size_t i = 0; i < 3; i++) {
		size_t n;

		fixture_file(files[i], &data[i], &n);
		a[i] = (struct cert_attachment){ names[i], data[i], n, NULL };
	}
	assert_int_equal(parse_time(r->issued_at, &s.when), 0);
	sk_X509_push(chain, p->ca);
	assert_int_equal(cert_pdf_render(r, &o, &pdf, &len, &err), 0);
	assert_int_equal(cert_pdf_sign(pdf, len, &s, ret, ret_len, &err), 0);
	sk_X509_free(chain);
	for (size_t i = 0; i < 3; i++)
		free(data[i]);
}

static bool verify_with(const uint8_t *pdf, size_t len, X509 *ca, const struct trust_store *store,
			enum cert_check *ret_failed)
{
	STACK_OF(X509) *trusted = sk_X509_new_null();
	struct cert_verify_report rep;
	bool ok;

	sk_X509_push(trusted, ca);
	assert_int_equal(cert_pdf_verify(pdf, len, trusted, store, &rep), 0);
	ok = rep.all_ok;
	if (ret_failed) {
		*ret_failed = CHECK__MAX;
		for (int i = 0; i < CHECK__MAX; i++)
			if (rep.checks[i].ran && !rep.checks[i].ok) {
				*ret_failed = i;
				break;
			}
	}
	cert_verify_report_release(&rep);
	sk_X509_free(trusted);
	return ok;
}

static bool verify(const uint8_t *pdf, size_t len, X509 *ca, enum cert_check *ret_failed)
{
	return verify_with(pdf, len, ca, NULL, ret_failed);
}

static struct pki pki, evil;
static struct cert_record *rec;
static uint8_t *good;
static size_t good_len;

static int setup(void **state)
{
	(void)state;
	pki_make(&pki, "Hanako Sato");
	pki_make(&evil, "Mallory");
	rec = fixture_record();
	issue(rec, &pki, false, &good, &good_len);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(good);
	cert_record_free(rec);
	pki_free(&pki);
	pki_free(&evil);
	return 0;
}

/* a certificate issued with the test PKI verifies under its CA, and a
 * fresh one too; under another CA the signature holds, the chain does not */
static void test_issued_verifies_under_its_ca_only(void **state)
{
	uint8_t *c = NULL;
	size_t n;
	enum cert_check f;

	(void)state;
	assert_true(verify(good, good_len, pki.ca, &f));
	assert_true(good_len < 200000);
	issue(rec, &pki, true, &c, &n);
	assert_true(verify(c, n, pki.ca, &f));
	free(c);
	assert_false(verify(good, good_len, evil.ca, &f));
	assert_int_equal(f, CHECK_CHAIN);
}

/* the record is attached and read back by name; no other name is there */
static void test_record_attachment_reads_back(void **state)
{
	uint8_t *att = NULL;
	size_t alen;

	(void)state;
	assert_int_equal(cert_pdf_attachment(good, good_len, CERT_RECORD_NAME, &att, &alen), 0);
	assert_non_null(strstr((char *)att, "\"serial\":\"ZN1ABC23\""));
	free(att);
	assert_int_equal(cert_pdf_attachment(good, good_len, "nope", &att, &alen), -ENOENT);
}

/* The approver's own tool lies: the page shows one disk, the signed record
 * another (the record edited before signing, so every signature holds).
 * The page check must be the one that catches it. */
static void test_page_differs_from_record(void **state)
{
	static const char shown[] = "\"serial\":\"ZN1ABC23\"", other[] = "\"serial\":\"ZN1ABC29\"";
	static const char minisig[] =
		"untrusted comment: signature from minisign secret key\n"
		"RWQf6LRCGA9i59SLOFxz6NxvASXDJeRtuZykwQepbDEGt87ig1BNpWaVWuNrm73YiIiJbq71Wi+dP9eKL8OC351vwIasSSbXxwA=\n"
		"trusted comment: timestamp:1795000000\n";
	struct cert_attachment a = { CERT_SIG_NAME, (const uint8_t *)minisig, sizeof(minisig) - 1, NULL };
	struct cert_pdf_opts o = { .attachments = &a, .n_attachments = 1 };
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct cert_signer s = { pki.key, pki.cert, chain, "Hanako Sato", "test", 0, false };
	_cleanup_free_ uint8_t *pdf = NULL, *signed_pdf = NULL;
	const char *err = NULL;
	enum cert_check f;
	size_t len, slen;
	uint8_t *at;

	(void)state;
	sk_X509_push(chain, pki.ca);
	assert_int_equal(cert_pdf_render(rec, &o, &pdf, &len, &err), 0);
	/* every copy of the record's JSON (the attachment, the metadata) */
	at = memmem(pdf, len, shown, strlen(shown));
	assert_non_null(at);
	for (; at; at = memmem(pdf, len, shown, strlen(shown)))
		memcpy(at, other, strlen(other));
	assert_int_equal(cert_pdf_sign(pdf, len, &s, &signed_pdf, &slen, &err), 0);
	sk_X509_free(chain);
	assert_false(verify(signed_pdf, slen, pki.ca, &f));
	assert_int_equal(f, CHECK_VISIBLE);
}

static void test_sign_refusals(void **state)
{
	struct cert_signer mismatched = { evil.key, pki.cert, NULL, NULL, NULL, 0, false };
	struct cert_signer ok = { pki.key, pki.cert, NULL, NULL, NULL, 0, false };
	uint8_t *pdf = NULL, *out = NULL;
	size_t len, out_len = 7;
	const char *err = NULL;

	(void)state;
	assert_int_equal(cert_pdf_render(rec, NULL, &pdf, &len, &err), 0);
	/* a key that is not the certificate's */
	assert_true(cert_pdf_sign(pdf, len, &mismatched, &out, &out_len, &err) < 0);
	assert_null(out);
	assert_int_equal(out_len, 7);
	/* an already signed file has no empty signature field left */
	assert_int_equal(cert_pdf_sign(good, good_len, &ok, &out, &out_len, &err), -ENOENT);
	assert_non_null(strstr(err, "signature field"));
	/* not a PDF */
	assert_true(cert_pdf_sign((const uint8_t *)"hello", 5, &ok, &out, &out_len, &err) < 0);
	/* the unsigned render does not verify */
	assert_false(verify(pdf, len, pki.ca, NULL));
	free(pdf);
}

static void test_untrusted_signer(void **state)
{
	uint8_t *c = NULL;
	size_t n;
	enum cert_check f;

	(void)state;
	issue(rec, &evil, false, &c, &n);
	assert_true(verify(c, n, evil.ca, &f));
	assert_false(verify(c, n, pki.ca, &f));
	assert_int_equal(f, CHECK_CHAIN);
	free(c);
}

/* Flip one byte at >= 600 positions: the start, the end, the signature
 * dictionary and its /Contents (DER and zero padding) densely, the rest
 * evenly. Every one must fail. */
static void test_byte_flips(void **state)
{
	uint8_t *c = malloc(good_len);
	const char *ct = memmem(good, good_len, "/Contents <", 11);
	size_t ct_off, positions = 0, pos[800];
	enum cert_check f;

	(void)state;
	assert_non_null(ct);
	ct_off = (size_t)(ct - (const char *)good);
	for (size_t i = 0; i < 100; i++)
		pos[positions++] = i * good_len / 100;           /* evenly */
	for (size_t i = 0; i < 60; i++)
		pos[positions++] = i;                          /* the header */
	for (size_t i = 1; i <= 60; i++)
		pos[positions++] = good_len - i;               /* trailer, startxref, %%EOF */
	for (size_t i = 0; i < 300; i++)
		pos[positions++] = ct_off - 200 + i;           /* /ByteRange, '<', DER */
	for (size_t i = 0; i < 200; i++)
		pos[positions++] = ct_off + 11 + 2600 + i * 60; /* DER end and the zero padding */
	assert_true(positions >= 500);
	for (size_t i = 0; i < positions; i++) {
		static const uint8_t masks[] = { 0x01, 0x20, 0xff, 0x10 };

		assert_true(pos[i] < good_len);
		memcpy(c, good, good_len);
		c[pos[i]] ^= masks[i % ARRAY_SIZE(masks)];
		if (verify(c, good_len, pki.ca, &f))
			fail_msg("flip at %zu (0x%02x -> 0x%02x) still verifies", pos[i], good[pos[i]], c[pos[i]]);
	}
	free(c);
}

/* The same certificate as the issuing path signs it: the test-only
 * approver's X.509 key and the roster's certificate for it. */
static void issue_roster(const struct cert_record *r, struct trust_store **ret_store, X509 **ret_ca,
			 uint8_t **ret, size_t *ret_len)
{
	struct trust_seckey *k = NULL;
	struct trust_x509_signer *xs = NULL;
	struct pki p = { 0 };
	_cleanup_free_ uint8_t *pass = NULL;
	size_t n;

	assert_int_equal(read_full_file("certs/test-only/passphrase.txt", &pass, &n), 0);
	while (n && pass[n - 1] == '\n')
		n--;
	assert_int_equal(trust_seckey_load("certs/test-only/test-only-approver.key", (char *)pass, n, &k), 0);
	assert_int_equal(trust_store_open("certs/test-only/trust", ret_store), 0);
	assert_int_equal(trust_x509_signer_load(k, *ret_store, NULL, &xs), 0);
	p.key = xs->key;
	p.cert = xs->cert;
	p.ca = sk_X509_value(xs->chain, 0);
	issue(r, &p, false, ret, ret_len);
	*ret_ca = X509_dup(p.ca);
	trust_x509_signer_free(xs);
	trust_seckey_free(k);
}

/* Every byte of the CMS blob changed, one at a time, with and without the
 * roster: the certificates bag, the signer info, the unsigned parts. None
 * may leave a VALID certificate (the bag once let 3 of 300 through). */
static void test_cms_every_byte(void **state)
{
	struct trust_store *store = NULL;
	uint8_t *c = NULL, *flip;
	size_t n, hex_off, der_len, caught[CHECK__MAX] = { 0 };
	const char *ct;
	enum cert_check f;
	X509 *ca = NULL;

	(void)state;
	issue_roster(rec, &store, &ca, &c, &n);
	assert_true(verify_with(c, n, ca, store, &f));
	ct = memmem(c, n, "/Contents <", 11);
	assert_non_null(ct);
	hex_off = (size_t)(ct - (const char *)c) + 11;
	{
		/* the DER's own length from its header: 30 82 HH LL */
		uint8_t hdr[4];
		char h[9] = { 0 };

		memcpy(h, c + hex_off, 8);
		assert_int_equal(hex_decode(h, hdr, 4), 0);
		assert_int_equal(hdr[0], 0x30);
		assert_int_equal(hdr[1], 0x82);
		der_len = (size_t)hdr[2] << 8 | hdr[3];
		der_len += 4;
	}
	assert_true(der_len > 1000);
	flip = malloc(n);
	assert_non_null(flip);
	for (size_t i = 0; i < der_len; i++) {
		static const uint8_t masks[] = { 0x01, 0x80 };

		for (size_t m = 0; m < ARRAY_SIZE(masks); m++) {
			char h[3] = { (char)c[hex_off + 2 * i], (char)c[hex_off + 2 * i + 1], 0 };
			uint8_t b;

			assert_int_equal(hex_decode(h, &b, 1), 0);
			b ^= masks[m];
			memcpy(flip, c, n);
			hex_encode(&b, 1, h);
			memcpy(flip + hex_off + 2 * i, h, 2);
			if (verify_with(flip, n, ca, store, &f))
				fail_msg("CMS byte %zu of %zu (0x%02x -> 0x%02x) still verifies with the roster", i, der_len,
					 b ^ masks[m], b);
			caught[f < CHECK__MAX ? f : 0]++;
			if (verify_with(flip, n, ca, NULL, &f))
				fail_msg("CMS byte %zu of %zu (0x%02x -> 0x%02x) still verifies (X.509 only)", i, der_len,
					 b ^ masks[m], b);
		}
	}
	print_message("CMS blob of %zu bytes, %zu changes, each refused:", der_len, 2 * der_len);
	for (int i = 0; i < CHECK__MAX; i++)
		if (caught[i])
			print_message(" %s %zu", cert_check_name(i), caught[i]);
	print_message("\n");
	free(flip);
	free(c);
	X509_free(ca);
	trust_store_free(store);
}

/* The same CMS with its outer length written in a longer form: every
 * signed byte as before, the blob no longer DER. Refused. */
static void test_cms_not_der(void **state)
{
	struct trust_store *store = NULL;
	uint8_t *c = NULL, *der;
	size_t n, hex_off, der_len;
	char *hex;
	enum cert_check f;
	X509 *ca = NULL;

	(void)state;
	issue_roster(rec, &store, &ca, &c, &n);
	hex_off = (size_t)((const char *)memmem(c, n, "/Contents <", 11) - (const char *)c) + 11;
	der = malloc(CERT_SIG_SPACE + 1);
	hex = malloc(2 * CERT_SIG_SPACE + 3);
	assert_non_null(der);
	assert_non_null(hex);
	memcpy(hex, c + hex_off, 2 * CERT_SIG_SPACE);
	hex[2 * CERT_SIG_SPACE] = '\0';
	assert_int_equal(hex_decode(hex, der + 1, CERT_SIG_SPACE), 0);
	assert_int_equal(der[1], 0x30);
	assert_int_equal(der[2], 0x82);
	der_len = ((size_t)der[3] << 8 | der[4]) + 4;
	/* 30 82 HH LL -> 30 83 00 HH LL */
	der[0] = 0x30;
	der[1] = 0x83;
	der[2] = 0x00;
	hex_encode(der, der_len + 1, hex);
	memcpy(c + hex_off, hex, 2 * (der_len + 1));
	assert_false(verify_with(c, n, ca, store, &f));
	print_message("a CMS with a long-form length: %s fails\n", cert_check_name(f));
	assert_int_equal(f, CHECK_BAG);
	free(der);
	free(hex);
	free(c);
	X509_free(ca);
	trust_store_free(store);
}

static void test_appended(void **state)
{
	static const char upd[] = "\n99 0 obj\n(x)\nendobj\n";
	uint8_t *c = malloc(good_len + 64);
	enum cert_check f;

	(void)state;
	memcpy(c, good, good_len);
	memcpy(c + good_len, upd, sizeof(upd) - 1);
	assert_false(verify(c, good_len + sizeof(upd) - 1, pki.ca, &f));
	assert_int_equal(f, CHECK_BYTERANGE);
	/* the last newline cut off: still a PDF, no longer the signed one */
	assert_false(verify(c, good_len - 1, pki.ca, &f));
	assert_int_equal(f, CHECK_BYTERANGE);
	assert_false(verify(c, good_len - 10, pki.ca, &f));
	assert_int_equal(f, CHECK_PARSE);
	free(c);
}

static void test_garbage(void **state)
{
	uint8_t buf[4096];
	enum cert_check f;
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (uint8_t)(x >> 16);
	}
	assert_false(verify(buf, sizeof(buf), pki.ca, &f));
	assert_int_equal(f, CHECK_PARSE);
	assert_false(verify((const uint8_t *)"", 0, pki.ca, &f));
	memcpy(buf, "%PDF-1.7\n", 9);
	assert_false(verify(buf, sizeof(buf), pki.ca, &f));
	/* every prefix of a good file parses or fails cleanly */
	for (size_t n = 0; n < good_len; n += 997)
		assert_false(verify(good, n, pki.ca, &f));
}

/* An object is parsed once: a list certificate looks up 2000 attachments
 * in one name tree, and re-reading the catalog for each ran the parser out
 * of its 256 MiB (row 248 of a thousand was "not attached") */
static void test_parse_cache(void **state)
{
	struct pdf_doc d = { 0 };
	struct pdf_obj *root, *again;
	size_t used;

	(void)state;
	assert_int_equal(pdf_open(&d, good, good_len), 0);
	root = pdf_get_type(&d, d.trailer, "Root", PDF_DICT);
	assert_non_null(root);
	used = d.used;
	for (int i = 0; i < 5000; i++) {
		again = pdf_get_type(&d, d.trailer, "Root", PDF_DICT);
		assert_ptr_equal(again, root);
		assert_non_null(pdf_get_type(&d, again, "Names", PDF_DICT));
	}
	assert_int_equal(d.used, used);
	pdf_close(&d);
}

static void test_parser_limits(void **state)
{
	char deep[600];
	struct pdf_doc d = { 0 };
	const char *txt;
	size_t n = 0;

	(void)state;
	/* a hand-made file: deep nesting and a reference loop stay bounded */
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "%%PDF-1.4\n1 0 obj\n");
	for (int i = 0; i < 100; i++)
		deep[n++] = '[';
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "\nendobj\n2 0 obj\n3 0 R\nendobj\n3 0 obj\n2 0 R\nendobj\n");
	txt = deep;
	{
		char file[2048];
		size_t xref;
		int len;

		memcpy(file, txt, n);
		xref = n;
		len = snprintf(file + n, sizeof(file) - n,
			       "xref\n0 4\n0000000000 65535 f \n%010d 00000 n \n%010zu 00000 n \n%010zu 00000 n \n"
			       "trailer\n<< /Size 4 /Root 2 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
			       9, (size_t)(strstr(txt, "2 0 obj") - txt), (size_t)(strstr(txt, "3 0 obj") - txt), xref);
		assert_int_equal(pdf_open(&d, (uint8_t *)file, n + (size_t)len), 0);
		assert_null(pdf_load(&d, 1));
		assert_non_null(d.error);
		assert_null(pdf_resolve(&d, pdf_load(&d, 2)));
		assert_null(pdf_get(&d, d.trailer, "Root"));
		pdf_close(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issued_verifies_under_its_ca_only),
		cmocka_unit_test(test_record_attachment_reads_back),
		cmocka_unit_test(test_page_differs_from_record),
		cmocka_unit_test(test_sign_refusals),
		cmocka_unit_test(test_untrusted_signer),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_cms_every_byte),
		cmocka_unit_test(test_cms_not_der),
		cmocka_unit_test(test_appended),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_parse_cache),
		cmocka_unit_test(test_parser_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
