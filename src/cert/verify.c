/* verify.c - check a certificate PDF: cert_pdf_verify() is a list of named
 * checks, run in order, each judged on its own (the CMS ones are in
 * verify-cms.c, the roster, evidence and time ones in verify-trust.c).
 *
 * A check whose input an earlier check could not provide is "not run",
 * which fails the certificate as much as a failed check. It must never
 * print, and never report all_ok unless every check ran and passed (but
 * for the roster check when no roster was given, and the ledger check the
 * flow layer runs).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <openssl/evp.h>

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
	[CHECK_BAG] = "cms-certificates",
	[CHECK_RECORD] = "embedded-record",
	[CHECK_VISIBLE] = "visible-text",
	[CHECK_QR] = "qr-code",
	[CHECK_ROSTER] = "record-signature",
	[CHECK_EVIDENCE] = "evidence",
	[CHECK_WITNESS] = "witness",
	[CHECK_CUSTODY] = "custody",
	[CHECK_TIME] = "signing-time",
	[CHECK_LEDGER] = "ledger",
};

const char *cert_check_name(enum cert_check c)
{
	return c < CHECK__MAX ? check_names[c] : "unknown";
}

void cert_verify_report_release(struct cert_verify_report *rep)
{
	cert_record_free(rep->record);
	json_decref(rep->report);
	free(rep->signer_subject);
	free(rep->signing_time);
	memset(rep, 0, sizeof(*rep));
}

/* detail in English (--json, the ledger's notes), text in the reader's
 * language (po/ja.po): the same words from one format */
static void check_vnote(struct cert_check_result *cr, const char *fmt, va_list ap)
{
	vformat_en_text(cr->detail, sizeof(cr->detail), cr->text, sizeof(cr->text), fmt, ap);
}

_printf_(2, 3) static void check_note(struct cert_check_result *cr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_vnote(cr, fmt, ap);
	va_end(ap);
}

bool cert_vset(struct cert_vctx *v, enum cert_check c, bool ok, const char *fmt, ...)
{
	struct cert_check_result *cr = &v->rep->checks[c];
	va_list ap;

	cr->ran = true;
	cr->ok = ok;
	va_start(ap, fmt);
	check_vnote(cr, fmt, ap);
	va_end(ap);
	return ok;
}

int cert_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		out[0] = '\0';
		return -EIO;
	}
	hex_encode(md, 32, out);
	return 0;
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

int cert_find_attachment(struct pdf_doc *d, const char *name, const uint8_t **ret, size_t *ret_len)
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
		if (!st || pdf_stream_data(d, st, CERT_ATTACHMENT_MAX, ret, ret_len) < 0)
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
		r = cert_find_attachment(&d, name, &data, &n);
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

/* ---- the checks of the file itself ---- */

static int check_parse(struct cert_vctx *v)
{
	int r;

	if (v->len > CERT_PDF_MAX_SIZE) {
		cert_vset(v, CHECK_PARSE, false, "file larger than %u MiB", CERT_PDF_MAX_SIZE >> 20);
		return 0;
	}
	r = pdf_open(&v->d, v->pdf, v->len);
	if (r == -ENOMEM)
		return r;
	if (r >= 0)
		cert_vset(v, CHECK_PARSE, true, "readable PDF");
	else
		cert_vset(v, CHECK_PARSE, false, "%s", v->d.error ? v->d.error : "unreadable");
	return 0;
}

static int check_signature_present(struct cert_vctx *v)
{
	struct pdf_obj *m;

	v->sig = find_signature(&v->d);
	if (!v->sig) {
		cert_vset(v, CHECK_SIGNATURE, false, "no signed signature field (AcroForm /Fields with /FT /Sig and /V)");
		return 0;
	}
	m = pdf_get_type(&v->d, v->sig, "M", PDF_STR);
	if (m && !(v->rep->signing_time = strndup(m->s, 64)))
		return -ENOMEM;
	cert_vset(v, CHECK_SIGNATURE, true, "signature field with a value");
	return 0;
}

/* [0 a b c]: from the start to the '<' of /Contents, and from after its
 * '>' to the very end; nothing before, between or after */
static int check_byte_range(struct cert_vctx *v)
{
	struct pdf_obj *sub = pdf_get(&v->d, v->sig, "SubFilter");
	struct pdf_obj *brobj = pdf_get_type(&v->d, v->sig, "ByteRange", PDF_ARRAY);
	struct pdf_obj *contents = pdf_get(&v->d, v->sig, "Contents");
	int64_t *br = v->br;

	if (!pdf_name_is(sub, "adbe.pkcs7.detached") && !pdf_name_is(sub, "ETSI.CAdES.detached"))
		return cert_vset(v, CHECK_BYTERANGE, false, "unsupported /SubFilter"), 0;
	if (!brobj || brobj->n != 4)
		return cert_vset(v, CHECK_BYTERANGE, false, "/ByteRange is not four numbers"), 0;
	for (int i = 0; i < 4; i++) {
		struct pdf_obj *n = brobj->v[i];

		if (n->type != PDF_NUM || n->is_real || n->i < 0 || (uint64_t)n->i > v->len)
			return cert_vset(v, CHECK_BYTERANGE, false, "/ByteRange is not four numbers within the file"), 0;
		br[i] = n->i;
	}
	if (br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || (uint64_t)(br[2] + br[3]) != v->len)
		return cert_vset(v, CHECK_BYTERANGE, false, "/ByteRange [%lld %lld %lld %lld] does not cover the "
				 "whole file of %zu bytes (bytes appended or removed after signing?)",
				 (long long)br[0], (long long)br[1], (long long)br[2], (long long)br[3], v->len), 0;
	if (!contents || contents->type != PDF_STR || !contents->hex ||
	    contents->off != (size_t)br[1] || contents->end != (size_t)br[2])
		return cert_vset(v, CHECK_BYTERANGE, false, "the gap in /ByteRange is not exactly the /Contents string"), 0;
	cert_vset(v, CHECK_BYTERANGE, true, "covers the whole file except /Contents");
	return 0;
}

/* The placeholder: lower-case hex only, one DER blob, then zeros. Any
 * other byte there would change the file without touching the signed
 * ranges. */
static int check_contents(struct cert_vctx *v)
{
	size_t hex_len = (size_t)(v->br[2] - v->br[1] - 2), der_len;
	const uint8_t *hex = v->pdf + v->br[1] + 1;
	_cleanup_free_ char *text = NULL;

	if (hex_len % 2)
		return cert_vset(v, CHECK_CONTENTS, false, "/Contents has an odd number of hex digits"), 0;
	for (size_t i = 0; i < hex_len; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return cert_vset(v, CHECK_CONTENTS, false, "/Contents holds a byte other than lower-case hex "
					 "at offset %zu", (size_t)v->br[1] + 1 + i), 0;
	v->der = malloc(hex_len / 2 + 1);
	text = strndup((const char *)hex, hex_len);
	if (!v->der || !text)
		return -ENOMEM;
	der_len = hex_decode(text, v->der, hex_len / 2) < 0 ? 0 : der_length(v->der, hex_len / 2);
	if (der_len == 0 || der_len > hex_len / 2)
		return cert_vset(v, CHECK_CONTENTS, false, "/Contents does not start with a DER blob"), 0;
	for (size_t i = der_len; i < hex_len / 2; i++)
		if (v->der[i])
			return cert_vset(v, CHECK_CONTENTS, false, "the padding after the signature is not all zero "
					 "(offset %zu)", (size_t)v->br[1] + 1 + 2 * i), 0;
	v->der_len = der_len;
	cert_vset(v, CHECK_CONTENTS, true, "%zu bytes of CMS, zero padding", der_len);
	return 0;
}

static int check_record(struct cert_vctx *v)
{
	struct cert_verify_report *rep = v->rep;
	_cleanup_free_ char *canon = NULL;
	const struct cert_report_kind *kind;
	const char *err = NULL;
	int r;

	r = cert_find_attachment(&v->d, CERT_RECORD_NAME, &v->rec, &v->rec_len);
	if (r < 0)
		return cert_vset(v, CHECK_RECORD, false, r == -ENOENT ? N_("no %s attachment") :
				 r == -ENOTUNIQ ? N_("two %s attachments") : N_("unreadable %s"), CERT_RECORD_NAME), 0;
	kind = cert_record_report_kind(v->rec, v->rec_len);
	if (kind)
		return cert_check_report_record(v, kind);
	r = cert_record_parse((const char *)v->rec, v->rec_len, &rep->record, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return cert_vset(v, CHECK_RECORD, false, "%s", err ? err : "bad record"), 0;
	r = cert_record_canonical(rep->record, &canon, NULL);
	if (r < 0 || cert_record_hash(rep->record, rep->record_hash) < 0)
		return -ENOMEM;
	if (strlen(canon) != v->rec_len || memcmp(canon, v->rec, v->rec_len) != 0)
		return cert_vset(v, CHECK_RECORD, false, "the attached record is not in canonical form"), 0;
	cert_vset(v, CHECK_RECORD, true, "record %s, sha256 %s", rep->record->certificate_id, rep->record_hash);
	return 0;
}

/* ---- what the pages of a list certificate show ---- */

/* The pages in order (a flat or nested /Pages tree), at most max. */
static size_t collect_pages(struct pdf_doc *d, struct pdf_obj *node, struct pdf_obj **out, size_t n, size_t max,
			    unsigned depth)
{
	struct pdf_obj *kids = pdf_get_type(d, node, "Kids", PDF_ARRAY);

	if (depth > 8)
		return n;
	if (!kids)
		return n < max && pdf_name_is(pdf_get(d, node, "Type"), "Page") ? (out[n] = node, n + 1) : n;
	for (size_t i = 0; i < kids->n && n < max; i++) {
		struct pdf_obj *k = pdf_resolve(d, kids->v[i]);

		if (k && k->type == PDF_DICT)
			n = collect_pages(d, k, out, n, max, depth + 1);
	}
	return n;
}

/* The text of a page, one line a text object (decoded when compressed). */
static int page_lines(struct cert_vctx *v, struct pdf_obj *page, char **ret)
{
	return cert_page_text(&v->d, page, true, ret);
}

/* The next line of text equal to want, from *pos on; NULL at the end. */
static const char *next_line(const char *text, size_t *pos, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = text + *pos; *p;) {
		const char *e = strchr(p, '\n');

		if (!e)
			break;
		if ((size_t)(e - p) == n && memcmp(p, want, n) == 0) {
			*pos = (size_t)(e + 1 - text);
			return p;
		}
		p = e + 1;
	}
	return NULL;
}

/* Page 1 shows the certificate's number, approver, hash and counts; the
 * table, in order, every row's number followed by its asset, serial and
 * result (within the row's cells): a row the record holds cannot be left
 * out of the pages, nor shown as something else. */
static int check_visible_list(struct cert_vctx *v)
{
	const struct cert_record *r = v->rep->record;
	size_t max = r->n_items / 8 + 16, n, pos = 0;
	_cleanup_free_ struct pdf_obj **pages = calloc(max, sizeof(*pages));
	_cleanup_free_ char *all = NULL, *first = NULL;
	char banner[200];
	size_t all_len = 0;
	FILE *f;
	int k = 0;

	if (!pages)
		return -ENOMEM;
	n = collect_pages(&v->d, pdf_get_type(&v->d, pdf_get_type(&v->d, v->d.trailer, "Root", PDF_DICT), "Pages",
					      PDF_DICT), pages, 0, max, 0);
	if (n == 0 || page_lines(v, pages[0], &first) < 0)
		return cert_vset(v, CHECK_VISIBLE, false, "page 1 has no readable content stream"), 0;
	cert_list_banner(r, banner, sizeof(banner));
	{
		const struct { const char *what, *value; } need[] = {
			{ "certificate id", r->certificate_id },
			{ "approver", r->approver.name },
			{ "record hash", v->rep->record_hash },
			{ "counts", banner },
		};

		for (size_t i = 0; i < ARRAY_SIZE(need); i++)
			if (!has_line(first, need[i].value))
				return cert_vset(v, CHECK_VISIBLE, false, "page 1 does not show the record's %s '%s'",
						 need[i].what, need[i].value), 0;
	}
	f = open_memstream(&all, &all_len);
	if (!f)
		return -ENOMEM;
	for (size_t i = 1; i < n && k >= 0; i++) {
		_cleanup_free_ char *t = NULL;

		k = page_lines(v, pages[i], &t);
		if (k >= 0)
			fputs(t, f);
	}
	if (fclose(f) != 0 || !all)
		return -ENOMEM;
	if (k < 0)
		return cert_vset(v, CHECK_VISIBLE, false, "a page of the table has no readable content stream"), 0;
	for (size_t i = 0; i < r->n_items; i++) {
		const struct cert_record *it = &r->items[i];
		const char *want[] = { it->asset_id, it->serial, cert_list_result_text(it) };
		char no[24];
		bool shown = false;

		snprintf(no, sizeof(no), "%zu", i + 1);
		while (!shown && next_line(all, &pos, no)) {
			/* the row's cells follow its number: at most 16 strings */
			size_t p = pos, end = pos;
			unsigned lines = 0;

			while (all[end] && lines < 16)
				lines += all[end++] == '\n';
			shown = true;
			for (size_t w = 0; shown && w < ARRAY_SIZE(want); w++) {
				const char *hit = next_line(all, &p, want[w]);

				shown = hit && (size_t)(hit - all) < end;
			}
			if (shown)
				pos = p;
		}
		if (!shown)
			return cert_vset(v, CHECK_VISIBLE, false, "row %zu (asset %s, serial %s, %s) is not shown in the table",
					 i + 1, it->asset_id, it->serial, cert_list_result_text(it)), 0;
	}
	cert_vset(v, CHECK_VISIBLE, true, "page 1 shows the id, approver, hash and counts; the table all %zu rows with "
		  "asset, serial and result", r->n_items);
	return 0;
}

/* A signed report's page 1 shows its number and its record's hash. */
static int check_visible_report(struct cert_vctx *v)
{
	const char *id = json_string_value(json_object_get(v->rep->report, "report_id"));
	_cleanup_free_ char *text = NULL;

	if (page_lines(v, first_page(&v->d), &text) < 0)
		return cert_vset(v, CHECK_VISIBLE, false, "page 1 has no readable content stream"), 0;
	if (!id || !strstr(text, id) || !strstr(text, v->rep->record_hash))
		return cert_vset(v, CHECK_VISIBLE, false, "page 1 does not show the report's number and record hash"), 0;
	cert_vset(v, CHECK_VISIBLE, true, "page 1 shows report %s and its record hash", id);
	return 0;
}

static int check_visible_one(struct cert_vctx *v)
{
	const struct cert_record *r = v->rep->record;
	struct pdf_obj *page = first_page(&v->d);
	_cleanup_free_ char *text = NULL;
	int k;
	const struct { const char *what, *value; } need[] = {
		{ "certificate id", r->certificate_id },
		{ "model", r->model },
		{ "serial", r->serial },
		{ "asset id", r->asset_id },
		{ "performer", r->performer.name },
		{ "approver", r->approver.name },
		{ "record hash", v->rep->record_hash },
		{ "result banner", cert_banner_text(r) },
	};

	/* one line a text object, read through each font's ToUnicode map */
	k = cert_page_text(&v->d, page, false, &text);
	if (k == -EBADMSG)
		return cert_vset(v, CHECK_VISIBLE, false, "page 1 has no readable (unfiltered) content stream"), 0;
	if (k < 0)
		return k;
	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if (!has_line(text, need[i].value))
			return cert_vset(v, CHECK_VISIBLE, false, "page 1 does not show the record's %s '%s'",
					 need[i].what, need[i].value), 0;
	cert_vset(v, CHECK_VISIBLE, true, "page 1 shows the record's id, model, serial, asset, people, hash and result");
	return 0;
}

static int check_visible(struct cert_vctx *v)
{
	if (v->rep->report)
		return check_visible_report(v);
	if (cert_record_is_list(v->rep->record))
		return check_visible_list(v);
	return check_visible_one(v);
}

static int check_qr(struct cert_vctx *v)
{
	const struct cert_record *r = v->rep->record;
	struct pdf_doc *d = &v->d;
	struct pdf_obj *res = pdf_get_type(d, first_page(d), "Resources", PDF_DICT);
	struct pdf_obj *xo = pdf_get_type(d, res, "XObject", PDF_DICT);
	_cleanup_free_ char *payload = NULL, *line = NULL;
	_cleanup_free_ uint8_t *px = NULL;
	const uint8_t *appr;
	size_t appr_len;
	int n;

	if (cert_find_attachment(d, CERT_SIG_NAME, &appr, &appr_len) == 0 &&
	    cert_minisig_line(appr, appr_len, &line) < 0)
		return cert_vset(v, CHECK_QR, false, "the approval signature file is malformed"), 0;
	if (cert_qr_payload(r, line, &payload) < 0 || cert_qr_pixels(payload, &px, &n) < 0)
		return cert_vset(v, CHECK_QR, false, "cannot build the expected QR code"), 0;
	for (size_t i = 0; xo && i < xo->n && i < 64; i++) {
		struct pdf_obj *img = pdf_resolve(d, xo->v[i]), *w, *h;
		const uint8_t *data;
		size_t len;

		if (!img || img->type != PDF_STREAM || !pdf_name_is(pdf_get(d, img, "Subtype"), "Image"))
			continue;
		w = pdf_get_type(d, img, "Width", PDF_NUM);
		h = pdf_get_type(d, img, "Height", PDF_NUM);
		if (!w || !h || w->i != n || h->i != n || pdf_stream_data(d, img, (size_t)n * n, &data, &len) < 0)
			continue;
		if (len == (size_t)n * n && memcmp(data, px, len) == 0)
			return cert_vset(v, CHECK_QR, true, "QR code carries %.60s...", payload), 0;
	}
	cert_vset(v, CHECK_QR, false, "no QR code on page 1 carries the record's payload");
	return 0;
}

/* ---- the list ---- */

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

void cert_verify_report_vset(struct cert_verify_report *rep, enum cert_check c, bool ok, const char *fmt, va_list ap)
{
	if (c >= CHECK__MAX)
		return;
	if (c == CHECK_LEDGER)
		rep->ledger_skipped = false;
	if (c == CHECK_ROSTER)
		rep->roster_skipped = false;
	rep->checks[c].ran = true;
	rep->checks[c].ok = ok;
	check_vnote(&rep->checks[c], fmt, ap);
	judge(rep);
}

void cert_verify_report_put(struct cert_verify_report *rep, enum cert_check c, bool ok, const char *detail,
			    const char *text)
{
	if (c >= CHECK__MAX)
		return;
	cert_verify_report_set(rep, c, ok, "%s", detail);
	snprintf(rep->checks[c].text, sizeof(rep->checks[c].text), "%s", text);
}

void cert_verify_report_set(struct cert_verify_report *rep, enum cert_check c, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cert_verify_report_vset(rep, c, ok, fmt, ap);
	va_end(ap);
}

/* Like wipefs's do_wipe(): the steps in order, each named. A check runs
 * when the one it reads from passed; the roster check only with a roster. */
static const struct {
	enum cert_check id;
	int (*run)(struct cert_vctx *v);
	enum cert_check after;          /* CHECK__MAX: none */
	bool needs_roster;
} checks[] = {
	{ CHECK_PARSE, check_parse, CHECK__MAX, false },
	{ CHECK_SIGNATURE, check_signature_present, CHECK_PARSE, false },
	{ CHECK_BYTERANGE, check_byte_range, CHECK_SIGNATURE, false },
	{ CHECK_CONTENTS, check_contents, CHECK_BYTERANGE, false },
	{ CHECK_CMS, cert_check_cms, CHECK_CONTENTS, false },
	{ CHECK_CHAIN, cert_check_chain, CHECK_CMS, false },
	{ CHECK_BAG, cert_check_bag, CHECK_CHAIN, false },
	{ CHECK_RECORD, check_record, CHECK_PARSE, false },
	{ CHECK_VISIBLE, check_visible, CHECK_RECORD, false },
	{ CHECK_QR, check_qr, CHECK_RECORD, false },
	{ CHECK_ROSTER, cert_check_roster, CHECK_RECORD, true },
	{ CHECK_EVIDENCE, cert_check_evidence, CHECK_RECORD, false },
	{ CHECK_WITNESS, cert_check_witness, CHECK_EVIDENCE, false },
	{ CHECK_CUSTODY, cert_check_custody, CHECK_RECORD, false },
	{ CHECK_TIME, cert_check_time, CHECK_RECORD, false },
};

static void vctx_release(struct cert_vctx *v)
{
	pdf_close(&v->d);
	sk_X509_pop_free(v->chain, X509_free);
	CMS_ContentInfo_free(v->cms);
	free(v->der);
	for (size_t i = 0; i < v->n_disks; i++)
		json_decref(v->disks[i].json);
	free(v->disks);
}

int cert_pdf_verify(const uint8_t *pdf, size_t len, STACK_OF(X509) *trusted,
		    const struct trust_store *store, struct cert_verify_report *rep)
{
	struct cert_vctx v = { .pdf = pdf, .len = len, .trusted = trusted, .store = store, .rep = rep };
	int r = 0;

	memset(rep, 0, sizeof(*rep));
	cert_sha256_hex(pdf, len, rep->pdf_sha256);
	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		enum cert_check c = checks[i].id;

		if (checks[i].needs_roster && !store) {
			rep->roster_skipped = true;
			check_note(&rep->checks[c], "skipped: no trust roster given");
			continue;
		}
		if (checks[i].after != CHECK__MAX && !rep->checks[checks[i].after].ok) {
			check_note(&rep->checks[c], "not run: %s failed", cert_check_name(checks[i].after));
			continue;
		}
		/* a signed report has no disks: nothing to show of them */
		if (rep->report && (c == CHECK_QR || c == CHECK_EVIDENCE || c == CHECK_WITNESS || c == CHECK_CUSTODY)) {
			cert_vset(&v, c, true, "not applicable: an %s", rep->report_kind->what);
			continue;
		}
		r = checks[i].run(&v);
		if (r < 0)
			break;
	}
	rep->ledger_skipped = true;
	check_note(&rep->checks[CHECK_LEDGER], "skipped: no ledger given");
	judge(rep);
	vctx_release(&v);
	if (r < 0) {
		cert_verify_report_release(rep);
		return r;
	}
	return 0;
}
