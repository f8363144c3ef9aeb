/* forge.c - TEST ONLY: make the artifacts an insider would forge, with the
 * library's own primitives and none of its checks, so that the tests can
 * show each one refused. Built by `make check` only, never installed.
 *
 *   forge sign  --key K.key --pass FILE --type DOC [--time ISO] FILE
 *        FILE.minisig: a wipecert signature of FILE dated as told
 *   forge canon IN OUT
 *        OUT: IN as canonical JSON (what a signed document must be)
 *   forge record --wipe-record W.json --template R.json OUT.json
 *        OUT: the template with every field the wipe record fixes
 *        (cert_evidence_derive()) set from W, and W and W.minisig named by
 *        SHA-256: a record that states what the technician signed, for any
 *        approver to sign
 *   forge pdf   --record R.json -o OUT.pdf [--attach NAME=FILE]... [--attach-dir DIR]
 *               (--x509-key K.pem --x509-cert C.pem [--chain CA.pem] |
 *                --approver-key K.key --pass FILE --trust DIR)
 *               [--time ISO] [--cades] [--compress]
 *        the certificate PDF of R.json (a single or a list certificate),
 *        attachments as given (--attach-dir: every file of DIR under its
 *        own name), signed by the X.509 key with CMS signing time and /M =
 *        --time (default now); --compress as list certificates are
 *   forge bag   --add C.pem IN.pdf OUT.pdf
 *        OUT: IN with C added to its CMS certificates bag, nothing re-signed
 *   forge pki DIR NAME
 *        DIR/ca.{key,pem} and DIR/ap.{key,pem}: a CA and a signing
 *        certificate for NAME, valid 2020-01-01 to 2040-01-01 (so that a
 *        fixture's signing time lies inside them), as `trust init` makes them
 *   forge cms-offsets IN.pdf
 *        prints "OFFSET LENGTH" of the CMS blob's hex in the file, and one
 *        line "bag OFFSET LENGTH" (in DER bytes) for the certificates bag
 *
 * Exit 0 done, 1 failed, 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/x509.h"

static int die(const char *what, int r)
{
	fprintf(stderr, "forge: %s: %s\n", what, r < 0 ? trust_strerror(r) : "failed");
	return 1;
}

static int load_key(const char *path, const char *pass_file, struct trust_seckey **ret)
{
	_cleanup_free_ uint8_t *pass = NULL;
	size_t n;
	int r = read_full_file(pass_file, &pass, &n);

	if (r < 0)
		return r;
	while (n && (pass[n - 1] == '\n' || pass[n - 1] == '\r'))
		n--;
	return trust_seckey_load(path, (const char *)pass, n, ret);
}

static int when_of(const char *iso, time_t *ret)
{
	*ret = time(NULL);
	return iso ? parse_time(iso, ret) : 0;
}

static int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' }, { "pass", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' }, { "time", required_argument, NULL, 'T' }, {}
	};
	const char *key = NULL, *pass = NULL, *type = NULL, *iso = NULL;
	_cleanup_(trust_seckey_freep) struct trust_seckey *k = NULL;
	_cleanup_free_ uint8_t *msg = NULL;
	_cleanup_free_ char *sig = NULL, *out = NULL;
	time_t when;
	size_t len;
	int c, r, doc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (c) {
		case 'k': key = optarg; break;
		case 'p': pass = optarg; break;
		case 't': type = optarg; break;
		case 'T': iso = optarg; break;
		default: return 2;
		}
	if (!key || !pass || !type || optind + 1 != argc || (doc = trust_doc_from_string(type)) < 0 ||
	    when_of(iso, &when) < 0)
		return 2;
	if ((r = load_key(key, pass, &k)) < 0)
		return die(key, r);
	if ((r = read_full_file(argv[optind], &msg, &len)) < 0)
		return die(argv[optind], r);
	if ((r = trust_sign(doc, msg, len, k, when, &sig)) < 0)
		return die("sign", r);
	if (asprintf(&out, "%s.minisig", argv[optind]) < 0)
		return 1;
	if ((r = write_file_atomic(out, sig, strlen(sig), 0644, false)) < 0)
		return die(out, r);
	return 0;
}

static int cmd_canon(int argc, char **argv)
{
	json_t *v;
	_cleanup_free_ char *c = NULL;
	size_t len;
	int r;

	if (argc != 3)
		return 2;
	v = json_load_file(argv[1], JSON_REJECT_DUPLICATES, NULL);
	if (!v)
		return die(argv[1], -EINVAL);
	r = canon_json(v, &c, &len);
	json_decref(v);
	if (r < 0)
		return die("canon", r);
	if ((r = write_file_atomic(argv[2], c, len, 0644, false)) < 0)
		return die(argv[2], r);
	return 0;
}

/* Set every field of from into to (objects merged, null deletes). */
static void overlay(json_t *to, json_t *from)
{
	const char *k;
	json_t *v;

	json_object_foreach(from, k, v) {
		if (json_is_null(v))
			json_object_del(to, k);
		else if (json_is_object(v) && json_is_object(json_object_get(to, k)))
			overlay(json_object_get(to, k), v);
		else
			json_object_set(to, k, v);
	}
}

static int cmd_record(int argc, char **argv)
{
	_cleanup_free_ uint8_t *w = NULL, *ws = NULL;
	_cleanup_free_ char *sp = NULL, *c = NULL;
	json_t *wj = NULL, *tmpl = NULL, *ev = NULL;
	char h1[65], h2[65];
	size_t wl, wsl, cl;
	int r;

	if (argc != 6 || !streq(argv[1], "--wipe-record") || !streq(argv[3], "--template"))
		return 2;
	if (asprintf(&sp, "%s.minisig", argv[2]) < 0 || read_full_file(argv[2], &w, &wl) < 0 ||
	    read_full_file(sp, &ws, &wsl) < 0)
		return die(argv[2], -ENOENT);
	wj = json_loadb((const char *)w, wl, 0, NULL);
	tmpl = json_load_file(argv[4], 0, NULL);
	if (!wj || !tmpl || cert_evidence_derive(wj, &ev, NULL) < 0) {
		r = die("derive", -EINVAL);
		goto out;
	}
	overlay(tmpl, ev);
	{
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned n = 0;

		EVP_Digest(w, wl, md, &n, EVP_sha256(), NULL);
		hex_encode(md, 32, h1);
		EVP_Digest(ws, wsl, md, &n, EVP_sha256(), NULL);
		hex_encode(md, 32, h2);
	}
	json_object_set_new(tmpl, "wipe_record", json_pack("{s:s,s:s}", "sha256", h1, "signature_sha256", h2));
	r = canon_json(tmpl, &c, &cl);
	if (r >= 0)
		r = write_file_atomic(argv[5], c, cl, 0644, false);
	r = r < 0 ? die(argv[5], r) : 0;
out:
	json_decref(wj);
	json_decref(tmpl);
	json_decref(ev);
	return r;
}

#define MAX_ATT 40000

struct pdf_args {
	const char *record, *out, *xkey, *xcert, *chain, *akey, *pass, *trust, *iso;
	bool cades, compress;
	struct att { char *name; uint8_t *data; size_t len; } *att;
	size_t n_att;
};

static int add_file(struct pdf_args *a, const char *name, size_t nlen, const char *path)
{
	size_t i;

	if (!a->att && !(a->att = calloc(MAX_ATT, sizeof(*a->att))))
		return -ENOMEM;
	if (a->n_att == MAX_ATT)
		return -EINVAL;
	i = a->n_att;
	a->att[i].name = strndup(name, nlen);
	if (!a->att[i].name || read_full_file(path, &a->att[i].data, &a->att[i].len) < 0)
		return -ENOENT;
	/* the name tree is sorted by name */
	while (i > 0 && strcmp(a->att[i - 1].name, a->att[i].name) > 0) {
		struct att t = a->att[i - 1];

		a->att[i - 1] = a->att[i];
		a->att[i] = t;
		i--;
	}
	a->n_att++;
	return 0;
}

static int add_attachment(struct pdf_args *a, const char *spec)
{
	const char *eq = strchr(spec, '=');

	if (!eq)
		return -EINVAL;
	return add_file(a, spec, (size_t)(eq - spec), eq + 1);
}

static int add_dir(struct pdf_args *a, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort), r = n < 0 ? -errno : 0;

	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *p = NULL;

		if (r >= 0 && names[i]->d_name[0] != '.' && asprintf(&p, "%s/%s", dir, names[i]->d_name) >= 0)
			r = add_file(a, names[i]->d_name, strlen(names[i]->d_name), p);
		free(names[i]);
	}
	free(names);
	return r;
}

/* The X.509 signer: PEM files, or an approver's key file with the trust
 * directory's certificate for it. */
static int load_signer(const struct pdf_args *a, struct cert_signer *s, struct trust_x509_signer **xs)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *k = NULL;
	_cleanup_(trust_store_freep) struct trust_store *st = NULL;
	X509 *cert = NULL;
	BIO *b;
	int r;

	if (a->akey) {
		if ((r = load_key(a->akey, a->pass, &k)) < 0 || (r = trust_store_open(a->trust, &st)) < 0 ||
		    (r = trust_x509_signer_load(k, st, NULL, xs)) < 0)
			return r;
		s->key = (*xs)->key;
		s->cert = (*xs)->cert;
		s->chain = (*xs)->chain;
		return 0;
	}
	b = BIO_new_file(a->xkey, "r");
	s->key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!s->key || x509_load_pem(a->xcert, &cert, NULL) < 0)
		return -EINVAL;
	s->cert = cert;
	s->chain = sk_X509_new_null();
	if (a->chain && x509_pem_load_all(a->chain, s->chain) < 0)
		return -EINVAL;
	return 0;
}

static int cmd_pdf(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "record", required_argument, NULL, 'r' }, { "output", required_argument, NULL, 'o' },
		{ "attach", required_argument, NULL, 'a' }, { "x509-key", required_argument, NULL, 'k' },
		{ "x509-cert", required_argument, NULL, 'c' }, { "chain", required_argument, NULL, 'C' },
		{ "approver-key", required_argument, NULL, 'K' }, { "pass", required_argument, NULL, 'p' },
		{ "trust", required_argument, NULL, 't' }, { "time", required_argument, NULL, 'T' },
		{ "cades", no_argument, NULL, 'E' }, { "compress", no_argument, NULL, 'Z' },
		{ "attach-dir", required_argument, NULL, 'D' }, {}
	};
	struct pdf_args a = { 0 };
	struct trust_x509_signer *xs = NULL;
	struct cert_signer s = { 0 };
	_cleanup_free_ struct cert_attachment *ca = calloc(MAX_ATT, sizeof(*ca));
	struct cert_pdf_opts po = { 0 };
	struct cert_record *rec = NULL;
	_cleanup_free_ uint8_t *buf = NULL, *pdf = NULL, *signed_pdf = NULL;
	const char *err = NULL;
	size_t len, pdf_len, signed_len;
	time_t when;
	int c, r, ret = 1;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1)
		switch (c) {
		case 'r': a.record = optarg; break;
		case 'o': a.out = optarg; break;
		case 'a':
			if (add_attachment(&a, optarg) < 0)
				return die(optarg, -EINVAL);
			break;
		case 'k': a.xkey = optarg; break;
		case 'c': a.xcert = optarg; break;
		case 'C': a.chain = optarg; break;
		case 'K': a.akey = optarg; break;
		case 'p': a.pass = optarg; break;
		case 't': a.trust = optarg; break;
		case 'T': a.iso = optarg; break;
		case 'E': a.cades = true; break;
		case 'Z': a.compress = true; break;
		case 'D':
			if (add_dir(&a, optarg) < 0)
				return die(optarg, -EINVAL);
			break;
		default: return 2;
		}
	if (!a.record || !a.out || !(a.akey ? a.pass && a.trust : a.xkey && a.xcert) || when_of(a.iso, &when) < 0)
		return 2;
	if ((r = read_full_file(a.record, &buf, &len)) < 0 || (r = cert_record_parse((char *)buf, len, &rec, &err)) < 0) {
		fprintf(stderr, "forge: %s: %s\n", a.record, err ? err : strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < a.n_att; i++)
		ca[i] = (struct cert_attachment){ a.att[i].name, a.att[i].data, a.att[i].len, NULL };
	po.attachments = ca;
	po.n_attachments = a.n_att;
	po.compress = a.compress;
	if ((r = cert_pdf_render(rec, &po, &pdf, &pdf_len, &err)) < 0) {
		fprintf(stderr, "forge: render: %s\n", err);
		goto out;
	}
	if ((r = load_signer(&a, &s, &xs)) < 0) {
		die("the X.509 signer", r);
		goto out;
	}
	s.name = rec->approver.name;
	s.reason = "TEST ONLY forgery";
	s.when = when;
	s.cades = a.cades;
	if ((r = cert_pdf_sign(pdf, pdf_len, &s, &signed_pdf, &signed_len, &err)) < 0) {
		fprintf(stderr, "forge: sign: %s\n", err);
		goto out;
	}
	if ((r = write_file_atomic(a.out, signed_pdf, signed_len, 0644, false)) < 0) {
		die(a.out, r);
		goto out;
	}
	ret = 0;
out:
	for (size_t i = 0; i < a.n_att; i++) {
		free(a.att[i].name);
		free(a.att[i].data);
	}
	free(a.att);
	if (xs)
		trust_x509_signer_free(xs);
	else {
		EVP_PKEY_free(s.key);
		X509_free(s.cert);
		sk_X509_pop_free(s.chain, X509_free);
	}
	cert_record_free(rec);
	return ret;
}

/* The /Contents hex string of the (last) signature: offset and length. */
static int contents_span(const uint8_t *pdf, size_t len, size_t *off, size_t *hex_len)
{
	const uint8_t *p = NULL, *q;

	for (const uint8_t *s = pdf; (s = memmem(s, len - (size_t)(s - pdf), "/Contents <", 11)); s++)
		p = s;
	if (!p)
		return -ENOENT;
	p += 11;
	q = memchr(p, '>', len - (size_t)(p - pdf));
	if (!q)
		return -EBADMSG;
	*off = (size_t)(p - pdf);
	*hex_len = (size_t)(q - p);
	return 0;
}

static int read_cms(const uint8_t *pdf, size_t len, size_t *off, size_t *hex_len, uint8_t **der, size_t *der_len,
		    CMS_ContentInfo **cms)
{
	_cleanup_free_ char *hex = NULL;
	const uint8_t *p;

	if (contents_span(pdf, len, off, hex_len) < 0)
		return -ENOENT;
	hex = strndup((const char *)pdf + *off, *hex_len);
	*der = malloc(*hex_len / 2);
	if (!hex || !*der || hex_decode(hex, *der, *hex_len / 2) < 0)
		return -EBADMSG;
	p = *der;
	*cms = d2i_CMS_ContentInfo(NULL, &p, (long)(*hex_len / 2));
	if (!*cms)
		return -EBADMSG;
	*der_len = (size_t)(p - *der);
	return 0;
}

static int cmd_bag(int argc, char **argv)
{
	_cleanup_free_ uint8_t *pdf = NULL, *der = NULL;
	CMS_ContentInfo *cms = NULL;
	unsigned char *again = NULL;
	X509 *x = NULL;
	size_t len, off, hex_len, der_len;
	int n, ret = 1;

	if (argc != 5 || !streq(argv[1], "--add"))
		return 2;
	if (read_full_file(argv[3], &pdf, &len) < 0 || read_cms(pdf, len, &off, &hex_len, &der, &der_len, &cms) < 0 ||
	    x509_load_pem(argv[2], &x, NULL) < 0)
		return die("read", -EINVAL);
	if (!CMS_add1_cert(cms, x) || (n = i2d_CMS_ContentInfo(cms, &again)) <= 0 || (size_t)n * 2 > hex_len) {
		die("the bag", -EINVAL);
		goto out;
	}
	memset(pdf + off, '0', hex_len);
	hex_encode(again, (size_t)n, (char *)pdf + off);
	pdf[off + (size_t)n * 2] = '0'; /* hex_encode ends with a NUL */
	ret = write_file_atomic(argv[4], pdf, len, 0644, false) < 0;
out:
	OPENSSL_free(again);
	X509_free(x);
	CMS_ContentInfo_free(cms);
	return ret;
}

/* Where the certificates bag lies in the DER: [0] IMPLICIT of SignedData */
static int cmd_cms_offsets(int argc, char **argv)
{
	_cleanup_free_ uint8_t *pdf = NULL, *der = NULL;
	CMS_ContentInfo *cms = NULL;
	size_t len, off, hex_len, der_len;

	if (argc != 2)
		return 2;
	if (read_full_file(argv[1], &pdf, &len) < 0 || read_cms(pdf, len, &off, &hex_len, &der, &der_len, &cms) < 0)
		return die(argv[1], -EINVAL);
	printf("%zu %zu\n", off, der_len);
	/* the first certificate is the first SEQUENCE after the [0] tag (0xa0)
	 * that follows the encapsulated content info; search for the signer's
	 * certificate DER, which the bag holds verbatim */
	{
		STACK_OF(X509) *certs = CMS_get1_certs(cms);
		size_t first = der_len, last = 0;

		for (int i = 0; i < sk_X509_num(certs); i++) {
			unsigned char *d = NULL;
			int n = i2d_X509(sk_X509_value(certs, i), &d);
			const uint8_t *at = n > 0 ? memmem(der, der_len, d, (size_t)n) : NULL;

			if (at) {
				size_t o = (size_t)(at - der);

				first = o < first ? o : first;
				last = o + (size_t)n > last ? o + (size_t)n : last;
			}
			OPENSSL_free(d);
		}
		sk_X509_pop_free(certs, X509_free);
		if (last > first)
			printf("bag %zu %zu\n", first, last - first);
	}
	CMS_ContentInfo_free(cms);
	return 0;
}

static int write_pem(const char *dir, const char *name, EVP_PKEY *k, X509 *x)
{
	_cleanup_free_ char *p = NULL;
	FILE *f;
	int ok;

	if (asprintf(&p, "%s/%s", dir, name) < 0 || !(f = fopen(p, "we")))
		return -EIO;
	ok = k ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, x);
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

static int cmd_pki(int argc, char **argv)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
	X509 *ca = NULL, *x = NULL;
	time_t from = 1577836800, until = 2208988800; /* 2020-01-01, 2040-01-01 */
	int r = -EINVAL;

	if (argc != 3)
		return 2;
	if (ca_key && key && x509_ca_create(ca_key, "TEST ONLY Forge PKI", from + 60, 20, &ca) == 0 &&
	    x509_issue(ca_key, ca, key, argv[2], "TEST ONLY Forge PKI", from, until, &x) == 0 &&
	    (mkdir(argv[1], 0700) == 0 || errno == EEXIST))
		r = write_pem(argv[1], "ca.key", ca_key, NULL) < 0 || write_pem(argv[1], "ca.pem", NULL, ca) < 0 ||
		    write_pem(argv[1], "ap.key", key, NULL) < 0 || write_pem(argv[1], "ap.pem", NULL, x) < 0 ? -EIO : 0;
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(x);
	return r < 0 ? die("pki", r) : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (streq(argv[1], "sign"))
		return cmd_sign(argc - 1, argv + 1);
	if (streq(argv[1], "canon"))
		return cmd_canon(argc - 1, argv + 1);
	if (streq(argv[1], "record"))
		return cmd_record(argc - 1, argv + 1);
	if (streq(argv[1], "pdf"))
		return cmd_pdf(argc - 1, argv + 1);
	if (streq(argv[1], "bag"))
		return cmd_bag(argc - 1, argv + 1);
	if (streq(argv[1], "pki"))
		return cmd_pki(argc - 1, argv + 1);
	if (streq(argv[1], "cms-offsets"))
		return cmd_cms_offsets(argc - 1, argv + 1);
	return 2;
}
