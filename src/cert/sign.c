/* sign.c - the PDF signature: an incremental update holding the /Sig
 * dictionary, and the CMS detached signature over every byte but /Contents.
 *
 * The update rewrites the empty signature field that render.c left on page
 * 1 (adding /V) and adds the signature dictionary; /ByteRange and
 * /Contents are written as fixed-width placeholders and filled in place
 * once the file is complete. It must never print, and never hand back a
 * file whose signature it could not place.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include "wipecert/pdf.h"
#include "wipecert/pdfparse.h"
#include "wipecert/util.h"

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t ncap = (b->len + len + 1) * 2;
		char *n = realloc(b->p, ncap);

		if (!n) {
			b->oom = true;
			return;
		}
		b->p = n;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

_printf_(2, 3) static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	buf_add(b, s, (size_t)n);
	free(s);
}

/* A PDF text string: literal when plain ASCII, else UTF-16BE hex with BOM. */
static void pdf_text_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	bool ascii = true;

	for (const unsigned char *q = p; *q; q++)
		if (*q < 0x20 || *q > 0x7e)
			ascii = false;
	if (ascii) {
		buf_add(b, "(", 1);
		for (; *p; p++) {
			if (*p == '(' || *p == ')' || *p == '\\')
				buf_add(b, "\\", 1);
			buf_add(b, p, 1);
		}
		buf_add(b, ")", 1);
		return;
	}
	buf_add(b, "<FEFF", 5);
	while (*p) {
		uint32_t c;
		int n;

		if (*p < 0x80) { c = *p; n = 1; }
		else if ((*p & 0xE0) == 0xC0) { c = *p & 0x1F; n = 2; }
		else if ((*p & 0xF0) == 0xE0) { c = *p & 0x0F; n = 3; }
		else { c = *p & 0x07; n = 4; }
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80) {
				n = i;
				c = 0xFFFD;
				break;
			}
			c = (c << 6) | (p[i] & 0x3F);
		}
		p += n;
		if (c >= 0x10000) {
			c -= 0x10000;
			buf_printf(b, "%04X%04X", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF));
		} else
			buf_printf(b, "%04X", c);
	}
	buf_add(b, ">", 1);
}

/* The first signature field without a value: its object number. */
static int find_empty_field(struct pdf_doc *d, uint32_t *ret_num, struct pdf_obj **ret_field)
{
	struct pdf_obj *root = pdf_get_type(d, d->trailer, "Root", PDF_DICT);
	struct pdf_obj *form = pdf_get_type(d, root, "AcroForm", PDF_DICT);
	struct pdf_obj *fields = pdf_get_type(d, form, "Fields", PDF_ARRAY);

	for (size_t i = 0; fields && i < fields->n; i++) {
		struct pdf_obj *f;

		if (fields->v[i]->type != PDF_REF)
			continue;
		f = pdf_resolve(d, fields->v[i]);
		if (f && f->type == PDF_DICT && pdf_name_is(pdf_get(d, f, "FT"), "Sig") && !pdf_get(d, f, "V")) {
			*ret_num = fields->v[i]->num;
			*ret_field = f;
			return 0;
		}
	}
	return -ENOENT;
}

static void raw_value(struct buf *b, const struct pdf_doc *d, const struct pdf_obj *dict, const char *key)
{
	for (size_t i = 0; i < dict->n; i++)
		if (streq(dict->k[i], key)) {
			buf_printf(b, " /%s ", key);
			buf_add(b, d->buf + dict->v[i]->off, dict->v[i]->end - dict->v[i]->off);
		}
}

/* when: the signingTime attribute, the same moment as /M (`verify`
 * compares them with the approver's claim) */
static int cms_sign(const struct cert_signer *s, const uint8_t *data, size_t len, time_t when,
		    uint8_t **ret, int *ret_len)
{
	unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	ASN1_TIME *at = NULL;
	BIO *in = NULL;
	uint8_t *der = NULL;
	int n, r = -EIO;

	in = BIO_new_mem_buf(data, (int)len);
	if (!in)
		return -ENOMEM;
	cms = CMS_sign(NULL, NULL, s->chain, NULL, flags | CMS_PARTIAL);
	if (!cms)
		goto out;
	si = CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags | (s->cades ? CMS_CADES : 0));
	if (!si)
		goto out;
	at = ASN1_TIME_set(NULL, when);
	if (!at || CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, at->type, at, -1) <= 0)
		goto out;
	if (!CMS_final(cms, in, NULL, flags))
		goto out;
	n = i2d_CMS_ContentInfo(cms, &der);
	if (n <= 0)
		goto out;
	*ret = der;
	*ret_len = n;
	r = 0;
out:
	ERR_clear_error();
	ASN1_TIME_free(at);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return r;
}

/* Where the signature goes in the incremental update. */
struct sig_place {
	size_t br_off;          /* the /ByteRange array, 64 bytes wide */
	size_t ct_off, ct_end;  /* the /Contents hex string with its <> */
};

/* The incremental update after pdf: the field again, now pointing at its
 * value; the signature dictionary with a placeholder byte range and
 * contents; its xref section and trailer. */
static void append_update(struct buf *b, struct pdf_doc *d, const uint8_t *pdf, size_t len,
			  const struct pdf_obj *field, uint32_t field_num, uint32_t sig_num,
			  const struct cert_signer *s, const char *when, struct sig_place *ret)
{
	size_t field_off, sig_off, xref_off;

	buf_add(b, pdf, len);
	if (len && pdf[len - 1] != '\n')
		buf_add(b, "\n", 1);
	field_off = b->len;
	buf_printf(b, "%u 0 obj\n", field_num);
	buf_add(b, pdf + field->off, field->end - field->off - 2);
	buf_printf(b, "/V %u 0 R\n>>\nendobj\n", sig_num);
	sig_off = b->len;
	buf_printf(b, "%u 0 obj\n<<\n/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /%s\n",
		   sig_num, s->cades ? "ETSI.CAdES.detached" : "adbe.pkcs7.detached");
	buf_add(b, "/ByteRange ", 11);
	ret->br_off = b->len;
	buf_printf(b, "[%-62s]\n", "0 0 0 0");
	buf_add(b, "/Contents ", 10);
	ret->ct_off = b->len;
	buf_add(b, "<", 1);
	for (int i = 0; i < CERT_SIG_SPACE; i++)
		buf_add(b, "00", 2);
	buf_add(b, ">", 1);
	ret->ct_end = b->len;
	buf_printf(b, "\n/M (%s)\n", when);
	if (s->name) {
		buf_add(b, "/Name ", 6);
		pdf_text_string(b, s->name);
		buf_add(b, "\n", 1);
	}
	if (s->reason) {
		buf_add(b, "/Reason ", 8);
		pdf_text_string(b, s->reason);
		buf_add(b, "\n", 1);
	}
	buf_add(b, ">>\nendobj\n", 10);
	xref_off = b->len;
	buf_printf(b, "xref\n%u 1\n%010zu 00000 n \n%u 1\n%010zu 00000 n \ntrailer\n<<\n/Size %u",
		   field_num, field_off, sig_num, sig_off, sig_num + 1);
	raw_value(b, d, d->trailer, "Root");
	raw_value(b, d, d->trailer, "Info");
	raw_value(b, d, d->trailer, "ID");
	buf_printf(b, "\n/Prev %zu\n>>\nstartxref\n%zu\n%%%%EOF\n", d->startxref, xref_off);
}

/* The byte range (same width, padded with spaces), then the CMS signature
 * over every byte but the contents, hex into the contents. */
static int fill_signature(struct buf *b, const struct sig_place *at, const struct cert_signer *s, time_t t,
			  const char **ret_err)
{
	_cleanup_free_ uint8_t *signed_bytes = NULL;
	_cleanup_free_ char *hex = NULL;
	uint8_t *der = NULL;
	int der_len = 0, r;
	char br[80];

	snprintf(br, sizeof(br), "[0 %zu %zu %zu", at->ct_off, at->ct_end, b->len - at->ct_end);
	memset(b->p + at->br_off, ' ', 64);
	memcpy(b->p + at->br_off, br, strlen(br));
	b->p[at->br_off + 63] = ']';
	signed_bytes = malloc(b->len - (at->ct_end - at->ct_off));
	if (!signed_bytes)
		return -ENOMEM;
	memcpy(signed_bytes, b->p, at->ct_off);
	memcpy(signed_bytes + at->ct_off, b->p + at->ct_end, b->len - at->ct_end);
	r = cms_sign(s, signed_bytes, b->len - (at->ct_end - at->ct_off), t, &der, &der_len);
	if (r < 0) {
		*ret_err = "cms signing failed (key and certificate do not match?)";
		return r;
	}
	if (der_len > CERT_SIG_SPACE) {
		*ret_err = "cms signature larger than the space reserved for it";
		r = -E2BIG;
	} else if (!(hex = malloc((size_t)der_len * 2 + 1))) {
		r = -ENOMEM;
	} else {
		hex_encode(der, (size_t)der_len, hex);
		memcpy(b->p + at->ct_off + 1, hex, (size_t)der_len * 2);
	}
	OPENSSL_free(der);
	return r;
}

int cert_pdf_sign(const uint8_t *pdf, size_t len, const struct cert_signer *s,
		  uint8_t **ret, size_t *ret_len, const char **ret_err)
{
	struct pdf_doc d;
	struct pdf_obj *field, *size, *root;
	struct buf b = { 0 };
	struct sig_place at;
	uint32_t field_num;
	char when[32];
	time_t t = s->when ? s->when : time(NULL);
	struct tm tm;
	int r;

	if (!s->key || !s->cert)
		return -EINVAL;
	r = pdf_open(&d, pdf, len);
	if (r < 0) {
		*ret_err = d.error ? d.error : "cannot parse the PDF";
		goto out;
	}
	root = pdf_get_type(&d, d.trailer, "Root", PDF_DICT);
	size = pdf_get_type(&d, d.trailer, "Size", PDF_NUM);
	if (!root || !size || size->i <= 0 || size->i >= 1000000) {
		*ret_err = "the PDF has no /Root or /Size";
		r = -EBADMSG;
		goto out;
	}
	r = find_empty_field(&d, &field_num, &field);
	if (r < 0) {
		*ret_err = "the PDF has no empty signature field";
		goto out;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "D:%Y%m%d%H%M%SZ", &tm);
	append_update(&b, &d, pdf, len, field, field_num, (uint32_t)size->i, s, when, &at);
	r = b.oom ? -ENOMEM : fill_signature(&b, &at, s, t, ret_err);
	if (r < 0)
		goto out;
	*ret = (uint8_t *)TAKE_PTR(b.p);
	*ret_len = b.len;
	r = 0;
out:
	free(b.p);
	pdf_close(&d);
	return r;
}
