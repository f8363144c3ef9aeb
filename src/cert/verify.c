/* verify.c - check a certificate PDF: the signature covers the whole file,
 * the CMS is valid and chains to a trusted CA, and what the pages show and
 * the QR code carry are the embedded record's.
 *
 * Each check is named and judged on its own; a check that cannot run
 * because an earlier one failed stays failed. It must never print, and
 * never report all_ok unless every check ran and passed.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "wipecert/pdf.h"
#include "wipecert/pdfparse.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "internal.h"

static const char *const check_names[CHECK__MAX] = {
	[CHECK_PARSE] = "parse",
	[CHECK_SIGNATURE] = "signature-present",
	[CHECK_BYTERANGE] = "byte-range",
	[CHECK_CONTENTS] = "signature-contents",
	[CHECK_CMS] = "cms-signature",
	[CHECK_CHAIN] = "certificate-chain",
	[CHECK_RECORD] = "embedded-record",
	[CHECK_VISIBLE] = "visible-text",
	[CHECK_QR] = "qr-code",
	[CHECK_ROSTER] = "record-signature",
	[CHECK_LEDGER] = "ledger",
};

const char *cert_check_name(enum cert_check c)
{
	return c < CHECK__MAX ? check_names[c] : "unknown";
}

void cert_verify_report_release(struct cert_verify_report *rep)
{
	cert_record_free(rep->record);
	free(rep->signer_subject);
	free(rep->signing_time);
	memset(rep, 0, sizeof(*rep));
}

_printf_(4, 5) static bool set(struct cert_verify_report *rep, enum cert_check c, bool ok, const char *fmt, ...)
{
	va_list ap;

	rep->checks[c].ran = true;
	rep->checks[c].ok = ok;
	va_start(ap, fmt);
	vsnprintf(rep->checks[c].detail, sizeof(rep->checks[c].detail), fmt, ap);
	va_end(ap);
	return ok;
}

static struct pdf_obj *root_of(struct pdf_doc *d)
{
	return pdf_get_type(d, d->trailer, "Root", PDF_DICT);
}

/* The signature dictionary of the last signed signature field. */
static struct pdf_obj *find_signature(struct pdf_doc *d)
{
	struct pdf_obj *form = pdf_get_type(d, root_of(d), "AcroForm", PDF_DICT);
	struct pdf_obj *fields = pdf_get_type(d, form, "Fields", PDF_ARRAY), *sig = NULL;

	for (size_t i = 0; fields && i < fields->n && i < 1000; i++) {
		struct pdf_obj *f = pdf_resolve(d, fields->v[i]), *v;

		if (!f || f->type != PDF_DICT || !pdf_name_is(pdf_get(d, f, "FT"), "Sig"))
			continue;
		v = pdf_get_type(d, f, "V", PDF_DICT);
		if (v)
			sig = v;
	}
	return sig;
}

static int find_attachment(struct pdf_doc *d, const char *name, const uint8_t **ret, size_t *ret_len)
{
	struct pdf_obj *names = pdf_get_type(d, root_of(d), "Names", PDF_DICT);
	struct pdf_obj *ef = pdf_get_type(d, names, "EmbeddedFiles", PDF_DICT);
	struct pdf_obj *arr = pdf_get_type(d, ef, "Names", PDF_ARRAY);
	int found = 0;

	/* a flat name tree (what render.c writes); two entries with the same
	 * name are refused rather than picked from */
	for (size_t i = 0; arr && i + 1 < arr->n; i += 2) {
		struct pdf_obj *key = pdf_resolve(d, arr->v[i]), *fs, *efd, *st;

		if (!key || key->type != PDF_STR || key->len != strlen(name) || memcmp(key->s, name, key->len))
			continue;
		if (found++)
			return -ENOTUNIQ;
		fs = pdf_resolve(d, arr->v[i + 1]);
		efd = pdf_get_type(d, fs, "EF", PDF_DICT);
		st = pdf_get_type(d, efd, "F", PDF_STREAM);
		if (!st || pdf_stream_raw(d, st, ret, ret_len) < 0)
			return -EBADMSG;
	}
	return found ? 0 : -ENOENT;
}

int cert_pdf_attachment(const uint8_t *pdf, size_t len, const char *name, uint8_t **ret, size_t *ret_len)
{
	struct pdf_doc d;
	const uint8_t *data;
	size_t n;
	int r;

	if (len > CERT_PDF_MAX_SIZE)
		return -EFBIG;
	r = pdf_open(&d, pdf, len);
	if (r >= 0)
		r = find_attachment(&d, name, &data, &n);
	if (r >= 0) {
		*ret = malloc(n + 1);
		if (*ret) {
			memcpy(*ret, data, n);
			(*ret)[n] = '\0';
			*ret_len = n;
		} else
			r = -ENOMEM;
	}
	pdf_close(&d);
	return r;
}

/* Every <hex> Tj string of a content stream, as UTF-8 lines. The font's
 * CIDs are Unicode code points (render.c), so UTF-16BE decodes them. */
static int page_text(const uint8_t *s, size_t len, char **ret)
{
	size_t cap = len + 1, n = 0;
	char *out = malloc(cap * 2 + 1);

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		size_t j;

		if (s[i] != '<' || (i + 1 < len && s[i + 1] == '<'))
			continue;
		for (j = i + 1; j < len && s[j] != '>'; j++)
			;
		if (j >= len || j + 4 > len || memcmp(s + j + 1, " Tj", 3) != 0)
			continue;
		for (size_t p = i + 1; p + 3 < j; p += 4) {
			char h[5] = { (char)s[p], (char)s[p + 1], (char)s[p + 2], (char)s[p + 3], 0 };
			uint8_t cu[2];
			unsigned c;

			if (hex_decode(h, cu, 2) < 0)
				break;
			c = (unsigned)cu[0] << 8 | cu[1];
			if (c < 0x80)
				out[n++] = (char)c;
			else if (c < 0x800) {
				out[n++] = (char)(0xC0 | c >> 6);
				out[n++] = (char)(0x80 | (c & 0x3F));
			} else {
				out[n++] = (char)(0xE0 | c >> 12);
				out[n++] = (char)(0x80 | (c >> 6 & 0x3F));
				out[n++] = (char)(0x80 | (c & 0x3F));
			}
		}
		out[n++] = '\n';
		i = j;
	}
	out[n] = '\0';
	*ret = out;
	return 0;
}

static struct pdf_obj *first_page(struct pdf_doc *d)
{
	struct pdf_obj *pages = pdf_get_type(d, root_of(d), "Pages", PDF_DICT);
	struct pdf_obj *kids = pdf_get_type(d, pages, "Kids", PDF_ARRAY);

	if (!kids || kids->n == 0)
		return NULL;
	return pdf_resolve(d, kids->v[0]);
}

static bool has_line(const char *text, const char *value)
{
	size_t n = strlen(value);

	for (const char *p = text; (p = strstr(p, value)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void check_visible(struct pdf_doc *d, struct cert_verify_report *rep, const struct cert_record *r)
{
	struct pdf_obj *page = first_page(d), *cs;
	_cleanup_free_ char *text = NULL;
	const uint8_t *data;
	size_t len;
	const struct { const char *what, *value; } need[] = {
		{ "certificate id", r->certificate_id },
		{ "model", r->model },
		{ "serial", r->serial },
		{ "asset id", r->asset_id },
		{ "performer", r->performer.name },
		{ "approver", r->approver.name },
		{ "record hash", rep->record_hash },
		{ "result banner", cert_banner_text(r) },
	};

	cs = page ? pdf_get(d, page, "Contents") : NULL;
	if (!cs || cs->type != PDF_STREAM || pdf_stream_raw(d, cs, &data, &len) < 0) {
		set(rep, CHECK_VISIBLE, false, "page 1 has no readable (unfiltered) content stream");
		return;
	}
	if (page_text(data, len, &text) < 0) {
		set(rep, CHECK_VISIBLE, false, "out of memory");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if (!has_line(text, need[i].value)) {
			set(rep, CHECK_VISIBLE, false, "page 1 does not show the record's %s '%s'",
			    need[i].what, need[i].value);
			return;
		}
	set(rep, CHECK_VISIBLE, true, "page 1 shows the record's id, model, serial, asset, people, hash and result");
}

static void check_qr(struct pdf_doc *d, struct cert_verify_report *rep, const struct cert_record *r)
{
	struct pdf_obj *page = first_page(d);
	struct pdf_obj *res = pdf_get_type(d, page, "Resources", PDF_DICT);
	struct pdf_obj *xo = pdf_get_type(d, res, "XObject", PDF_DICT);
	_cleanup_free_ char *payload = NULL, *line = NULL;
	_cleanup_free_ uint8_t *px = NULL;
	const uint8_t *appr;
	size_t appr_len;
	int n;

	if (find_attachment(d, CERT_SIG_NAME, &appr, &appr_len) == 0 &&
	    cert_minisig_line(appr, appr_len, &line) < 0) {
		set(rep, CHECK_QR, false, "the approval signature file is malformed");
		return;
	}
	if (cert_qr_payload(r, line, &payload) < 0 || cert_qr_pixels(payload, &px, &n) < 0) {
		set(rep, CHECK_QR, false, "cannot build the expected QR code");
		return;
	}
	for (size_t i = 0; xo && i < xo->n && i < 64; i++) {
		struct pdf_obj *img = pdf_resolve(d, xo->v[i]), *w, *h;
		const uint8_t *data;
		size_t len;

		if (!img || img->type != PDF_STREAM || !pdf_name_is(pdf_get(d, img, "Subtype"), "Image"))
			continue;
		w = pdf_get_type(d, img, "Width", PDF_NUM);
		h = pdf_get_type(d, img, "Height", PDF_NUM);
		if (!w || !h || w->i != n || h->i != n || pdf_stream_raw(d, img, &data, &len) < 0)
			continue;
		if (len == (size_t)n * n && memcmp(data, px, len) == 0) {
			set(rep, CHECK_QR, true, "QR code carries %.60s...", payload);
			return;
		}
	}
	set(rep, CHECK_QR, false, "no QR code on page 1 carries the record's payload");
}

/* The DER blob's length from its outer header; 0 when malformed. */
static size_t der_length(const uint8_t *p, size_t n)
{
	size_t len = 0, hdr;

	if (n < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80)
		return (size_t)p[1] + 2;
	hdr = p[1] & 0x7f;
	if (hdr == 0 || hdr > 3 || n < 2 + hdr)
		return 0;
	for (size_t i = 0; i < hdr; i++)
		len = len << 8 | p[2 + i];
	return len + 2 + hdr;
}

static time_t signing_time(CMS_ContentInfo *cms)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	CMS_SignerInfo *si = sis && sk_CMS_SignerInfo_num(sis) == 1 ? sk_CMS_SignerInfo_value(sis, 0) : NULL;
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	struct tm tm;
	int idx;

	if (!si || (idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1)) < 0)
		return 0;
	a = CMS_signed_get_attr(si, idx);
	t = a ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	if (!t || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME))
		return 0;
	if (!ASN1_TIME_to_tm(t->value.asn1_string, &tm))
		return 0;
	return timegm(&tm);
}

static void check_cms(struct cert_verify_report *rep, const uint8_t *pdf, const int64_t br[4],
		      const uint8_t *der, size_t der_len, STACK_OF(X509) *trusted)
{
	const uint8_t *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	STACK_OF(X509) *certs = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	BIO *cmsbio = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	uint8_t *data = NULL;
	BIO *in = NULL;
	size_t n1 = (size_t)br[1], n2 = (size_t)br[3];
	X509 *signer = NULL;
	time_t when;
	char buf[256];

	if (!cms || p != der + der_len) {
		set(rep, CHECK_CMS, false, "/Contents is not a CMS signature");
		goto out;
	}
	data = malloc(n1 + n2 + 1);
	if (!data) {
		set(rep, CHECK_CMS, false, "out of memory");
		goto out;
	}
	memcpy(data, pdf, n1);
	memcpy(data + n1, pdf + br[2], n2);
	in = BIO_new_mem_buf(data, (int)(n1 + n2));
	if (!in) {
		set(rep, CHECK_CMS, false, "out of memory");
		goto out;
	}
	/* CMS_verify() by hand (OpenSSL 3.0's leaks a BIO on some failures):
	 * one signer, its certificate in the blob, signed attributes, then the
	 * digest of the signed bytes. The chain is judged apart, below. */
	sis = CMS_get0_SignerInfos(cms);
	if (!sis || sk_CMS_SignerInfo_num(sis) != 1) {
		set(rep, CHECK_CMS, false, "the CMS signature has %d signers, not one",
		    sis ? sk_CMS_SignerInfo_num(sis) : 0);
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (CMS_set1_signers_certs(cms, NULL, 0) <= 0 ||
	    (CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL), !signer)) {
		set(rep, CHECK_CMS, false, "the CMS signature does not include the signer's certificate");
		goto out;
	}
	if (CMS_signed_get_attr_count(si) <= 0 || CMS_SignerInfo_verify(si) != 1) {
		set(rep, CHECK_CMS, false, "the CMS signature over its signed attributes is invalid");
		goto out;
	}
	cmsbio = CMS_dataInit(cms, in);
	if (!cmsbio) {
		set(rep, CHECK_CMS, false, "the CMS signature uses an unknown digest");
		goto out;
	}
	{
		char tmp[4096];

		while (BIO_read(cmsbio, tmp, sizeof(tmp)) > 0)
			;
	}
	if (CMS_SignerInfo_verify_content(si, cmsbio) != 1) {
		set(rep, CHECK_CMS, false, "the CMS signature does not match the signed bytes (digest mismatch)");
		goto out;
	}
	{
		/* RFC 2253 with UTF-8 kept as it is: a Japanese name stays readable */
		BIO *nb = BIO_new(BIO_s_mem());
		int n = nb ? X509_NAME_print_ex(nb, X509_get_subject_name(signer), 0,
						XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) : -1;

		if (n < 0 || (n = BIO_read(nb, buf, (int)sizeof(buf) - 1)) < 0)
			X509_NAME_oneline(X509_get_subject_name(signer), buf, sizeof(buf));
		else
			buf[n] = '\0';
		BIO_free(nb);
	}
	free(rep->signer_subject);
	rep->signer_subject = strdup(buf);
	set(rep, CHECK_CMS, true, "signed by %s", buf);
	if (trust_x509_fingerprint(signer, rep->signer_sha256) < 0)
		rep->signer_sha256[0] = '\0';

	if (!trusted || sk_X509_num(trusted) == 0) {
		set(rep, CHECK_CHAIN, false, "no trusted CA given");
		goto out;
	}
	if (!(X509_get_key_usage(signer) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		set(rep, CHECK_CHAIN, false, "the signer's certificate is not for signatures (key usage)");
		goto out;
	}
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	certs = CMS_get1_certs(cms);
	if (!store || !ctx) {
		set(rep, CHECK_CHAIN, false, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(trusted); i++)
		X509_STORE_add_cert(store, sk_X509_value(trusted, i));
	if (!X509_STORE_CTX_init(ctx, store, signer, certs)) {
		set(rep, CHECK_CHAIN, false, "out of memory");
		goto out;
	}
	/* judged at the time of signing: an archived certificate stays valid
	 * after the approver's certificate expires */
	when = signing_time(cms);
	if (when)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), when);
	if (X509_verify_cert(ctx) != 1)
		set(rep, CHECK_CHAIN, false, "the signer's certificate does not chain to a trusted CA: %s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	else
		set(rep, CHECK_CHAIN, true, "chains to a trusted CA%s", when ? " at the signing time" : "");
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(certs, X509_free);
	while (cmsbio && cmsbio != in) {
		BIO *next = BIO_pop(cmsbio);

		BIO_free(cmsbio);
		cmsbio = next;
	}
	BIO_free(in);
	free(data);
	CMS_ContentInfo_free(cms);
}

/* all_ok: every check ran and passed, but for those deliberately skipped */
static void judge(struct cert_verify_report *rep)
{
	rep->all_ok = true;
	for (int i = 0; i < CHECK__MAX; i++) {
		bool skipped = (i == CHECK_ROSTER && rep->roster_skipped) ||
			       (i == CHECK_LEDGER && rep->ledger_skipped);

		if ((!rep->checks[i].ran && !skipped) || (rep->checks[i].ran && !rep->checks[i].ok))
			rep->all_ok = false;
	}
}

void cert_verify_report_set(struct cert_verify_report *rep, enum cert_check c, bool ok, const char *detail)
{
	if (c >= CHECK__MAX)
		return;
	if (c == CHECK_LEDGER)
		rep->ledger_skipped = false;
	if (c == CHECK_ROSTER)
		rep->roster_skipped = false;
	set(rep, c, ok, "%s", detail);
	judge(rep);
}

static bool keyid_eq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* The record's minisign signatures against the roster (trust.h). */

static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		out[0] = '\0';
		return;
	}
	hex_encode(md, 32, out);
}

/* The approver's record names the technician's wipe record by hash: the
 * attached one must be that record, with that signature, about the same
 * asset and disk (a wipe record of another disk by the same technician
 * must not be passed off as this one's). */
static int check_wipe_record_binding(const struct cert_record *r, const uint8_t *wrec, size_t wrec_len,
				     const uint8_t *wsig, size_t wsig_len, char *msg, size_t msg_len)
{
	char h[65];
	json_t *w, *dev;
	const char *aid, *serial;
	int ret = 0;

	if (!r->wipe_record_sha256 || !r->wipe_record_sig_sha256) {
		snprintf(msg, msg_len, "the record does not name the attached wipe record by hash");
		return -EBADMSG;
	}
	sha256_hex(wrec, wrec_len, h);
	if (strcmp(h, r->wipe_record_sha256) != 0) {
		snprintf(msg, msg_len, CERT_WIPE_RECORD_NAME " is not the wipe record the approver signed (sha256 %.16s..., record names %.16s...)",
			 h, r->wipe_record_sha256);
		return -EBADMSG;
	}
	sha256_hex(wsig, wsig_len, h);
	if (strcmp(h, r->wipe_record_sig_sha256) != 0) {
		snprintf(msg, msg_len, CERT_WIPE_SIG_NAME " is not the signature the approver signed");
		return -EBADMSG;
	}
	w = json_loadb((const char *)wrec, wrec_len, JSON_REJECT_DUPLICATES, NULL);
	if (!w) {
		snprintf(msg, msg_len, "unreadable " CERT_WIPE_RECORD_NAME);
		return -EBADMSG;
	}
	aid = json_string_value(json_object_get(json_object_get(w, "asset"), "asset_id"));
	dev = json_object_get(json_object_get(w, "job"), "device");
	serial = json_string_value(json_object_get(dev, "serial"));
	if (!aid || !r->asset_id || strcmp(aid, r->asset_id) != 0) {
		snprintf(msg, msg_len, "the wipe record is about asset %s, the certificate about %s", aid ? aid : "(none)",
			 r->asset_id ? r->asset_id : "(none)");
		ret = -EBADMSG;
	} else if (serial && (!r->serial || strcmp(serial, r->serial) != 0)) {
		snprintf(msg, msg_len, "the wipe record is about disk serial %s, the certificate about %s", serial,
			 r->serial ? r->serial : "(none)");
		ret = -EBADMSG;
	} else if (!serial && json_string_value(json_object_get(json_object_get(dev, "attested"), "serial")) &&
		   (!r->serial_attested_by || !r->serial ||
		    strcmp(json_string_value(json_object_get(json_object_get(dev, "attested"), "serial")), r->serial) != 0)) {
		/* an attested serial must stay marked as attested on the certificate */
		snprintf(msg, msg_len, "the wipe record's serial was attested by the operator, the certificate does not say so");
		ret = -EBADMSG;
	}
	json_decref(w);
	return ret;
}

static void check_roster(struct pdf_doc *d, struct cert_verify_report *rep, const uint8_t *rec,
			 size_t rec_len, const struct trust_store *store)
{
	const struct cert_record *r = rep->record;
	struct trust_result cert_res, wipe_res;
	const uint8_t *sig, *wrec, *wsig;
	size_t sig_len, wrec_len, wsig_len;
	enum trust_verdict v;
	int k;

	if (find_attachment(d, CERT_SIG_NAME, &sig, &sig_len) < 0) {
		set(rep, CHECK_ROSTER, false, "no single " CERT_SIG_NAME " attachment");
		return;
	}
	k = trust_verify(store, TRUST_DOC_CERTIFICATE, rec, rec_len, (const char *)sig, sig_len, &cert_res);
	if (k < 0) {
		set(rep, CHECK_ROSTER, false, "cannot check " CERT_SIG_NAME ": %s", trust_strerror(k));
		return;
	}
	if (cert_res.verdict != TRUST_OK) {
		set(rep, CHECK_ROSTER, false, CERT_SIG_NAME " (key %s): %s", cert_res.keyid,
		    trust_verdict_string(cert_res.verdict));
		return;
	}
	/* the PDF signer and the record's signer are one approver */
	if (!cert_res.member || !cert_res.member->x509_sha256[0] ||
	    strcmp(cert_res.member->x509_sha256, rep->signer_sha256) != 0) {
		set(rep, CHECK_ROSTER, false, "the PDF is signed by another X.509 certificate than the one the "
		    "roster binds to approver key %s", cert_res.keyid);
		return;
	}
	if (!keyid_eq(r->approver.key_id, cert_res.keyid)) {
		set(rep, CHECK_ROSTER, false, "the record names approver key %s but key %s signed it",
		    r->approver.key_id ? r->approver.key_id : "(none)", cert_res.keyid);
		return;
	}
	/* separation of duties: with the technician's signed wipe record, by
	 * the roster; without it, at least two different keys in the record */
	k = find_attachment(d, CERT_WIPE_RECORD_NAME, &wrec, &wrec_len);
	if (k == 0) {
		if (find_attachment(d, CERT_WIPE_SIG_NAME, &wsig, &wsig_len) < 0) {
			set(rep, CHECK_ROSTER, false, CERT_WIPE_RECORD_NAME " attached without " CERT_WIPE_SIG_NAME);
			return;
		}
		k = trust_verify(store, TRUST_DOC_WIPE_RECORD, wrec, wrec_len, (const char *)wsig, wsig_len, &wipe_res);
		if (k < 0 || wipe_res.verdict != TRUST_OK) {
			set(rep, CHECK_ROSTER, false, CERT_WIPE_SIG_NAME ": %s",
			    k < 0 ? trust_strerror(k) : trust_verdict_string(wipe_res.verdict));
			return;
		}
		char msg[200];

		k = check_wipe_record_binding(r, wrec, wrec_len, wsig, wsig_len, msg, sizeof(msg));
		if (k < 0) {
			set(rep, CHECK_ROSTER, false, "%s", msg);
			return;
		}
		v = trust_check_separation(&wipe_res, &cert_res);
		if (v != TRUST_OK) {
			set(rep, CHECK_ROSTER, false, "separation of duties: %s", trust_verdict_string(v));
			return;
		}
		if (!keyid_eq(r->performer.key_id, wipe_res.keyid)) {
			set(rep, CHECK_ROSTER, false, "the record names performer key %s but key %s signed the wipe record",
			    r->performer.key_id ? r->performer.key_id : "(none)", wipe_res.keyid);
			return;
		}
		set(rep, CHECK_ROSTER, true, "approver %s (key %s) and technician %s (key %s) per the roster",
		    cert_res.claim.name, cert_res.keyid, wipe_res.claim.name, wipe_res.keyid);
		return;
	}
	if (k != -ENOENT) {
		set(rep, CHECK_ROSTER, false, "unreadable " CERT_WIPE_RECORD_NAME);
		return;
	}
	if (r->wipe_record_sha256) {
		set(rep, CHECK_ROSTER, false, "the record names wipe record %.16s... but none is attached", r->wipe_record_sha256);
		return;
	}
	if (!r->performer.key_id || keyid_eq(r->performer.key_id, r->approver.key_id)) {
		set(rep, CHECK_ROSTER, false, "separation of duties: the record does not name a performer key "
		    "other than the approver's");
		return;
	}
	set(rep, CHECK_ROSTER, true, "approver %s (key %s) per the roster; performer key %s differs",
	    cert_res.claim.name, cert_res.keyid, r->performer.key_id);
}

int cert_pdf_verify(const uint8_t *pdf, size_t len, STACK_OF(X509) *trusted,
		    const struct trust_store *store, struct cert_verify_report *rep)
{
	struct pdf_doc d;
	struct pdf_obj *sig, *brobj, *contents, *sub, *m;
	const uint8_t *rec;
	size_t rec_len, hex_len, der_len;
	int64_t br[4];
	_cleanup_free_ uint8_t *blob = NULL;
	_cleanup_free_ char *canon = NULL;
	const char *err = NULL;
	int r;

	memset(rep, 0, sizeof(*rep));
	memset(&d, 0, sizeof(d));
	if (len > CERT_PDF_MAX_SIZE) {
		set(rep, CHECK_PARSE, false, "file larger than %u MiB", CERT_PDF_MAX_SIZE >> 20);
		goto out;
	}
	r = pdf_open(&d, pdf, len);
	if (r == -ENOMEM)
		goto oom;
	if (!set(rep, CHECK_PARSE, r >= 0, "%s", r >= 0 ? "readable PDF" : d.error ? d.error : "unreadable"))
		goto out;

	sig = find_signature(&d);
	if (!set(rep, CHECK_SIGNATURE, sig != NULL, "%s", sig ? "signature field with a value" :
		 "no signed signature field (AcroForm /Fields with /FT /Sig and /V)"))
		goto out;
	sub = pdf_get(&d, sig, "SubFilter");
	brobj = pdf_get_type(&d, sig, "ByteRange", PDF_ARRAY);
	contents = pdf_get(&d, sig, "Contents");
	m = pdf_get_type(&d, sig, "M", PDF_STR);
	if (m)
		rep->signing_time = strndup(m->s, 64);
	if (!pdf_name_is(sub, "adbe.pkcs7.detached") && !pdf_name_is(sub, "ETSI.CAdES.detached")) {
		set(rep, CHECK_BYTERANGE, false, "unsupported /SubFilter");
		goto out;
	}
	if (!brobj || brobj->n != 4) {
		set(rep, CHECK_BYTERANGE, false, "/ByteRange is not four numbers");
		goto out;
	}
	for (int i = 0; i < 4; i++) {
		struct pdf_obj *v = brobj->v[i];

		if (v->type != PDF_NUM || v->is_real || v->i < 0 || (uint64_t)v->i > len) {
			set(rep, CHECK_BYTERANGE, false, "/ByteRange is not four numbers within the file");
			goto out;
		}
		br[i] = v->i;
	}
	/* [0 a b c]: from the start to the '<' of /Contents, and from after its
	 * '>' to the very end; nothing before, between or after */
	if (br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || (uint64_t)(br[2] + br[3]) != len) {
		set(rep, CHECK_BYTERANGE, false, "/ByteRange [%lld %lld %lld %lld] does not cover the whole "
		    "file of %zu bytes (bytes appended or removed after signing?)",
		    (long long)br[0], (long long)br[1], (long long)br[2], (long long)br[3], len);
		goto out;
	}
	if (!contents || contents->type != PDF_STR || !contents->hex ||
	    contents->off != (size_t)br[1] || contents->end != (size_t)br[2]) {
		set(rep, CHECK_BYTERANGE, false, "the gap in /ByteRange is not exactly the /Contents string");
		goto out;
	}
	set(rep, CHECK_BYTERANGE, true, "covers the whole file except /Contents");

	/* the placeholder: lower-case hex only, one DER blob, then zeros. Any
	 * other byte there would change the file without touching the signed
	 * ranges. */
	hex_len = (size_t)(br[2] - br[1] - 2);
	if (hex_len % 2) {
		set(rep, CHECK_CONTENTS, false, "/Contents has an odd number of hex digits");
		goto out;
	}
	for (size_t i = 0; i < hex_len; i++) {
		uint8_t c = pdf[br[1] + 1 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			set(rep, CHECK_CONTENTS, false, "/Contents holds a byte other than lower-case hex at offset %zu",
			    (size_t)br[1] + 1 + i);
			goto out;
		}
	}
	blob = malloc(hex_len / 2 + 1);
	if (!blob)
		goto oom;
	{
		char *hex = strndup((const char *)pdf + br[1] + 1, hex_len);

		if (!hex)
			goto oom;
		r = hex_decode(hex, blob, hex_len / 2);
		free(hex);
	}
	der_len = r < 0 ? 0 : der_length(blob, hex_len / 2);
	if (der_len == 0 || der_len > hex_len / 2) {
		set(rep, CHECK_CONTENTS, false, "/Contents does not start with a DER blob");
		goto out;
	}
	for (size_t i = der_len; i < hex_len / 2; i++)
		if (blob[i]) {
			set(rep, CHECK_CONTENTS, false, "the padding after the signature is not all zero (offset %zu)",
			    (size_t)br[1] + 1 + 2 * i);
			goto out;
		}
	set(rep, CHECK_CONTENTS, true, "%zu bytes of CMS, zero padding", der_len);

	check_cms(rep, pdf, br, blob, der_len, trusted);
	if (!rep->checks[CHECK_CMS].ok)
		goto out;

	r = find_attachment(&d, CERT_RECORD_NAME, &rec, &rec_len);
	if (r < 0) {
		set(rep, CHECK_RECORD, false, "%s", r == -ENOENT ? "no " CERT_RECORD_NAME " attachment" :
		    r == -ENOTUNIQ ? "two " CERT_RECORD_NAME " attachments" : "unreadable " CERT_RECORD_NAME);
		goto out;
	}
	r = cert_record_parse((const char *)rec, rec_len, &rep->record, &err);
	if (r == -ENOMEM)
		goto oom;
	if (r < 0) {
		set(rep, CHECK_RECORD, false, "%s", err ? err : "bad record");
		goto out;
	}
	r = cert_record_canonical(rep->record, &canon, NULL);
	if (r < 0 || cert_record_hash(rep->record, rep->record_hash) < 0)
		goto oom;
	if (strlen(canon) != rec_len || memcmp(canon, rec, rec_len) != 0) {
		set(rep, CHECK_RECORD, false, "the attached record is not in canonical form");
		goto out;
	}
	set(rep, CHECK_RECORD, true, "record %s, sha256 %s", rep->record->certificate_id, rep->record_hash);
	check_visible(&d, rep, rep->record);
	check_qr(&d, rep, rep->record);
	if (store)
		check_roster(&d, rep, rec, rec_len, store);
	else {
		rep->roster_skipped = true;
		rep->checks[CHECK_ROSTER].ran = false;
		snprintf(rep->checks[CHECK_ROSTER].detail, sizeof(rep->checks[CHECK_ROSTER].detail),
			 "skipped: no trust roster given");
	}
out:
	rep->ledger_skipped = true;
	snprintf(rep->checks[CHECK_LEDGER].detail, sizeof(rep->checks[CHECK_LEDGER].detail),
		 "skipped: no ledger given");
	judge(rep);
	pdf_close(&d);
	return 0;
oom:
	pdf_close(&d);
	cert_verify_report_release(rep);
	return -ENOMEM;
}
