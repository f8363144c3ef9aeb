/* render.c - draw the bilingual certificate of a record with libharu.
 *
 * The layout runs twice: once to collect every character drawn (so the
 * IPAex font can be cut down to those glyphs with HarfBuzz's subsetter
 * before libharu embeds it), once to draw. Page text stays uncompressed so
 * that `verify` can read it back; the ToUnicode map is rewritten so that
 * readers neither warn nor guess. It must never print.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>
#include <hb.h>
#include <hb-subset.h>
#include <hpdf.h>
#include <qrencode.h>

#include "wipecert/pdf.h"
#include "wipecert/util.h"
#include "internal.h"

#define PAGE_W 595.276f
#define PAGE_H 841.89f
#define MARGIN 42.0f

struct ctx {
	HPDF_Doc pdf;
	HPDF_Page page;
	HPDF_Font font;
	hb_set_t *collect;      /* first pass: the characters used */
	const struct cert_record *r;
	const struct cert_record *const *recs; /* the session summary */
	size_t n_recs;
	const char *host;
	const struct cert_table *table; /* the audit report */
	int (*layout)(struct ctx *c);
	bool sig_field;
	const char *hash;
	const char *qr;
	HPDF_Image logo;
	hb_set_t *chars;        /* the characters used (both passes) */
	const char *step;       /* what was being done, for the error */
	uint8_t *out;           /* the saved PDF */
	size_t out_len;
	float y;                /* the cursor, from the top */
	int page_no;
	int n_pages;            /* of the certificate (its footer's "x / y") */
	bool compress;          /* FlateDecode page text and attachments */
};

struct rgb { float r, g, b; };

const char *cert_banner_text(const struct cert_record *r)
{
	if (r->result && streq(r->result, "verified_only"))
		return "検証のみ・消去なし   VERIFIED ONLY, NOT ERASED";
	if (!r->result || !streq(r->result, "erased_and_verified"))
		return "消去失敗   FAILED";
	if (r->sanitization_type && streq(r->sanitization_type, "destroy"))
		return "物理破壊・確認済み   DESTROYED AND WITNESSED";
	return "消去・検証済み   ERASED AND VERIFIED";
}

static const struct rgb NAVY = { 0.09f, 0.20f, 0.38f };
static const struct rgb INK = { 0.10f, 0.10f, 0.12f };
static const struct rgb GREY = { 0.40f, 0.42f, 0.46f };
static const struct rgb RULE = { 0.78f, 0.80f, 0.84f };
static const struct rgb SHADE = { 0.93f, 0.95f, 0.98f };
static const struct rgb GREEN = { 0.08f, 0.47f, 0.25f };
static const struct rgb RED = { 0.70f, 0.11f, 0.11f };

static void collect_utf8(hb_set_t *set, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t c;
		int n;

		if (*p < 0x80) { c = *p; n = 1; }
		else if ((*p & 0xE0) == 0xC0) { c = *p & 0x1F; n = 2; }
		else if ((*p & 0xF0) == 0xE0) { c = *p & 0x0F; n = 3; }
		else { c = *p & 0x07; n = 4; }
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return;
			c = (c << 6) | (p[i] & 0x3F);
		}
		hb_set_add(set, c);
		p += n;
	}
}

static float text_width(struct ctx *c, float size, const char *s)
{
	if (c->collect)
		return (float)strlen(s) * size * 0.5f;
	HPDF_Page_SetFontAndSize(c->page, c->font, size);
	return HPDF_Page_TextWidth(c->page, s);
}

/* Draw s with its left edge at x and its baseline at y (from the top);
 * shrink to fit max_w (0: no limit). One call, one text-showing operator:
 * verify reads every value back as one string. */
static void text(struct ctx *c, float x, float y, float size, struct rgb col, const char *s, float max_w)
{
	if (!s || !*s)
		return;
	if (c->collect) {
		collect_utf8(c->collect, s);
		return;
	}
	while (max_w > 0 && size > 5.5f && text_width(c, size, s) > max_w)
		size -= 0.25f;
	HPDF_Page_SetRGBFill(c->page, col.r, col.g, col.b);
	HPDF_Page_BeginText(c->page);
	HPDF_Page_SetFontAndSize(c->page, c->font, size);
	HPDF_Page_TextOut(c->page, x, PAGE_H - y, s);
	HPDF_Page_EndText(c->page);
}

static void text_bold(struct ctx *c, float x, float y, float size, struct rgb col, const char *s)
{
	if (!c->collect) {
		/* IPAex has no bold face: fill and stroke the outline */
		HPDF_Page_SetTextRenderingMode(c->page, HPDF_FILL_THEN_STROKE);
		HPDF_Page_SetLineWidth(c->page, size / 40.0f);
		HPDF_Page_SetRGBStroke(c->page, col.r, col.g, col.b);
	}
	text(c, x, y, size, col, s, 0);
	if (!c->collect)
		HPDF_Page_SetTextRenderingMode(c->page, HPDF_FILL);
}

static void text_center(struct ctx *c, float cx, float y, float size, struct rgb col, const char *s, bool bold)
{
	float w = text_width(c, size, s);

	if (bold)
		text_bold(c, cx - w / 2, y, size, col, s);
	else
		text(c, cx - w / 2, y, size, col, s, 0);
}

static void text_right(struct ctx *c, float rx, float y, float size, struct rgb col, const char *s)
{
	text(c, rx - text_width(c, size, s), y, size, col, s, 0);
}

static void rect(struct ctx *c, float x, float y, float w, float h, const struct rgb *fill, const struct rgb *stroke)
{
	if (c->collect)
		return;
	HPDF_Page_SetLineWidth(c->page, 0.6f);
	if (fill)
		HPDF_Page_SetRGBFill(c->page, fill->r, fill->g, fill->b);
	if (stroke)
		HPDF_Page_SetRGBStroke(c->page, stroke->r, stroke->g, stroke->b);
	HPDF_Page_Rectangle(c->page, x, PAGE_H - y - h, w, h);
	if (fill && stroke)
		HPDF_Page_FillStroke(c->page);
	else if (fill)
		HPDF_Page_Fill(c->page);
	else
		HPDF_Page_Stroke(c->page);
}

static void hline(struct ctx *c, float x1, float x2, float y, struct rgb col, float wd)
{
	if (c->collect)
		return;
	HPDF_Page_SetLineWidth(c->page, wd);
	HPDF_Page_SetRGBStroke(c->page, col.r, col.g, col.b);
	HPDF_Page_MoveTo(c->page, x1, PAGE_H - y);
	HPDF_Page_LineTo(c->page, x2, PAGE_H - y);
	HPDF_Page_Stroke(c->page);
}

/* A section heading: a shaded band, "N  日本語  English". */
static void section(struct ctx *c, float x, float w, const char *num, const char *ja, const char *en)
{
	char buf[160];

	rect(c, x, c->y, w, 17, &SHADE, NULL);
	rect(c, x, c->y, 3, 17, &NAVY, NULL);
	snprintf(buf, sizeof(buf), "%s  %s", num, ja);
	text_bold(c, x + 9, c->y + 12.2f, 10.5f, NAVY, buf);
	text(c, x + 15 + text_width(c, 10.5f, buf), c->y + 12.2f, 8.5f, GREY, en, 0);
}

/* A field row: Japanese label over the English one, the value beside. */
static float row(struct ctx *c, float x, float y, float label_w, float w, const char *ja, const char *en, const char *value)
{
	text(c, x + 4, y + 9, 7.8f, INK, ja, label_w - 6);
	text(c, x + 4, y + 17.5f, 6.2f, GREY, en, label_w - 6);
	text(c, x + label_w, y + 13, 9.2f, INK, value ? value : "—", w - label_w - 4);
	hline(c, x, x + w, y + 21.5f, RULE, 0.4f);
	return y + 22;
}

static const char *const byte_units[] = { "B", "KB", "MB", "GB", "TB", "PB" };

/* b in decimal units: the unit's index, *ret the value in it */
static unsigned scale_bytes(uint64_t b, double *ret)
{
	double v = (double)b;
	unsigned i = 0;

	while (v >= 1000 && i + 1 < ARRAY_SIZE(byte_units)) {
		v /= 1000;
		i++;
	}
	*ret = v;
	return i;
}

static void fmt_bytes(uint64_t b, char *buf, size_t len)
{
	double v;
	unsigned i = scale_bytes(b, &v);

	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else
		snprintf(buf, len, "%.2f %s (%" PRIu64 " bytes)", v, byte_units[i], b);
}

static void fmt_date(const char *iso, char *buf, size_t len)
{
	char era[64];

	if (!iso) {
		snprintf(buf, len, "—");
		return;
	}
	if (cert_japanese_era_date(iso, era, sizeof(era)) == 0)
		snprintf(buf, len, "%s  %s", era, iso);
	else
		snprintf(buf, len, "%s", iso);
}

static const char *sanitization_label(const char *t)
{
	if (streq(t, "clear"))
		return "クリア Clear";
	if (streq(t, "purge"))
		return "パージ Purge";
	if (streq(t, "none"))
		return "なし（検証のみ） None (verified only)";
	return "破壊 Destroy";
}

static bool municipal(const struct cert_record *r)
{
	return r->layout && streq(r->layout, "municipal");
}

/* The 様式 of a municipal document: document number and date at the top
 * right, the addressee (the client) at the left, the issuer with the area
 * of the official seal (公印) at the right, then the title. The seal area
 * is a place for a stamp on a printed copy: the PDF signature is the
 * proof. */
static void municipal_top(struct ctx *c, const char *ja_title, const char *en_title)
{
	const struct cert_record *r = c->r;
	const float seal = 46, sx = PAGE_W - MARGIN - seal, ix = sx - 8;
	char buf[200], era[64];

	if (r->document_number) {
		snprintf(buf, sizeof(buf), "文書番号  %s", r->document_number);
		text_right(c, PAGE_W - MARGIN, 30, 8.5f, INK, buf);
	}
	if (r->issued_at && cert_japanese_era_date(r->issued_at, era, sizeof(era)) == 0)
		text_right(c, PAGE_W - MARGIN, 42, 8.5f, INK, era);
	text_right(c, ix, 53, 6.5f, GREY, "証明書番号  Certificate No.");
	text_right(c, PAGE_W - MARGIN, 53, 8.5f, INK, r->certificate_id);
	if (r->client) {
		snprintf(buf, sizeof(buf), "%s　様", r->client);
		text_bold(c, MARGIN, 46, 12, INK, buf);
		text(c, MARGIN, 59, 8, GREY, r->client_unit, 260);
	}
	text_right(c, ix, 74, 11, INK, r->organisation);
	text_right(c, ix, 87, 7.5f, GREY, r->approver.role);
	text_right(c, ix, 100, 9.5f, INK, r->approver.name);
	rect(c, sx, 62, seal, seal, NULL, &RED);
	text_center(c, sx + seal / 2, 83, 9, RED, "公印", false);
	text_center(c, sx + seal / 2, 94, 5, GREY, "電子署名で代替", false);
	hline(c, MARGIN, PAGE_W - MARGIN, 112, NAVY, 1.2f);
	text_center(c, PAGE_W / 2, 127, 16, NAVY, ja_title, true);
	text_center(c, PAGE_W / 2, 138, 8, NAVY, en_title, false);
}

static void draw_header(struct ctx *c, const char *ja_title, const char *en_title)
{
	const struct cert_record *r = c->r;
	float x = MARGIN;
	char buf[128];

	if (municipal(r) && c->page_no == 1) {
		municipal_top(c, ja_title, en_title);
		goto footer;
	}
	if (c->logo && !c->collect) {
		float h = 34, w = h * HPDF_Image_GetWidth(c->logo) / HPDF_Image_GetHeight(c->logo);

		HPDF_Page_DrawImage(c->page, c->logo, x, PAGE_H - 30 - h, w, h);
		x += w + 10;
	}
	text_bold(c, x, 48, 13, NAVY, r->organisation);
	text(c, x, 62, 8, GREY, r->organisation_unit, 300);
	text_right(c, PAGE_W - MARGIN, 44, 7, GREY, "証明書番号  Certificate No.");
	text_right(c, PAGE_W - MARGIN, 58, 11, INK, r->certificate_id);
	hline(c, MARGIN, PAGE_W - MARGIN, 72, NAVY, 1.6f);
	text_center(c, PAGE_W / 2, 100, 21, NAVY, ja_title, true);
	text_center(c, PAGE_W / 2, 118, 11.5f, NAVY, en_title, false);
footer:
	snprintf(buf, sizeof(buf), "%d / %d", c->page_no, c->n_pages ? c->n_pages : 2);
	text_right(c, PAGE_W - MARGIN, PAGE_H - 22, 7, GREY, buf);
	text(c, MARGIN, PAGE_H - 22, 6.5f, GREY,
	     "本証明書は電子署名されています。This certificate is digitally signed: check it with a PDF reader or `wipecert verify`.",
	     PAGE_W - 2 * MARGIN - 40);
	hline(c, MARGIN, PAGE_W - MARGIN, PAGE_H - 34, RULE, 0.6f);
	text(c, MARGIN, PAGE_H - 43, 6.5f, GREY, "記録ハッシュ Record SHA-256:", 0);
	text(c, MARGIN + 98, PAGE_H - 43, 6.5f, GREY, c->hash, 0);
}

int cert_qr_pixels(const char *payload, uint8_t **ret, int *ret_n)
{
	QRcode *q;
	uint8_t *px;
	int n;

	q = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return errno ? -errno : -EINVAL;
	n = q->width + 2 * QR_QUIET;
	px = malloc((size_t)n * n);
	if (!px) {
		QRcode_free(q);
		return -ENOMEM;
	}
	memset(px, 0xff, (size_t)n * n);
	for (int i = 0; i < q->width; i++)
		for (int j = 0; j < q->width; j++)
			if (q->data[i * q->width + j] & 1)
				px[(i + QR_QUIET) * n + j + QR_QUIET] = 0;
	QRcode_free(q);
	*ret = px;
	*ret_n = n;
	return 0;
}

int cert_minisig_line(const uint8_t *data, size_t len, char **ret)
{
	const uint8_t *nl = memchr(data, '\n', len), *end;

	/* "untrusted comment: ...\n<base64 signature>\ntrusted comment: ..." */
	if (!nl)
		return -EINVAL;
	nl++;
	end = memchr(nl, '\n', len - (size_t)(nl - data));
	if (!end)
		end = data + len;
	if (end > nl && end[-1] == '\r')
		end--;
	if (end == nl || end - nl > 200)
		return -EINVAL;
	for (const uint8_t *p = nl; p < end; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '+' || *p == '/' || *p == '='))
			return -EINVAL;
	*ret = strndup((const char *)nl, (size_t)(end - nl));
	return *ret ? 0 : -ENOMEM;
}

static void draw_qr(struct ctx *c, float x, float y, float size)
{
	_cleanup_free_ uint8_t *px = NULL;
	HPDF_Image img;
	int n;

	if (c->collect || cert_qr_pixels(c->qr, &px, &n) < 0)
		return;
	img = HPDF_LoadRawImageFromMem(c->pdf, px, n, n, HPDF_CS_DEVICE_GRAY, 8);
	if (img) {
		/* sharp modules when a reader scales the image */
		HPDF_Dict_Add((HPDF_Dict)img, "Interpolate", HPDF_Boolean_New(c->pdf->mmgr, HPDF_FALSE));
		HPDF_Page_DrawImage(c->page, img, x, PAGE_H - y - size, size, size);
	}
}

static void page_one(struct ctx *c)
{
	const struct cert_record *r = c->r;
	bool ok = streq(r->result, "erased_and_verified"), destroy;
	const float W = PAGE_W - 2 * MARGIN, half = (W - 14) / 2, lw = 96;
	char buf[200], buf2[256];
	float y, y2;

	draw_header(c, "データ消去証明書", "Certificate of Data Sanitization");
	if (!municipal(r))
		text_center(c, PAGE_W / 2, 133, 7.5f, GREY,
			    "NIST SP 800-88 Certificate of Sanitization ・ 情報資産の廃棄に伴うデータ消去の証明", false);

	/* the result banner */
	rect(c, MARGIN, 143, W, 34, ok ? &GREEN : streq(r->result, "verified_only") ? &NAVY : &RED, NULL);
	text_center(c, PAGE_W / 2, 166, 16, (struct rgb){ 1, 1, 1 },
		    cert_banner_text(r), true);
	fmt_date(r->issued_at, buf, sizeof(buf));
	snprintf(buf2, sizeof(buf2), "発行日 Issued: %s", buf);
	text_center(c, PAGE_W / 2, 191, 8, INK, buf2, false);

	/* 1 media | 2 asset, side by side */
	c->y = 200;
	section(c, MARGIN, half, "1", "対象媒体", "Media");
	section(c, MARGIN + half + 14, half, "2", "資産", "Asset");
	y = c->y + 20;
	y = row(c, MARGIN, y, lw, half, "製造元", "Manufacturer", r->manufacturer);
	y = row(c, MARGIN, y, lw, half, "型番", "Model", r->model);
	y = row(c, MARGIN, y, lw, half, "シリアル番号", "Serial number", r->serial);
	if (r->serial_attested_by) {
		/* read off the label by a person, not from the drive: say so */
		snprintf(buf, sizeof(buf), "%s による申告 / attested by %s", r->serial_attested_by, r->serial_attested_by);
		y = row(c, MARGIN, y, lw, half, "シリアルの根拠", "Serial source", buf);
	}
	y = row(c, MARGIN, y, lw, half, "WWN", "World Wide Name", r->wwn);
	snprintf(buf, sizeof(buf), "%s%s%s", r->media_type, r->interface ? " / " : "", r->interface ? r->interface : "");
	y = row(c, MARGIN, y, lw, half, "媒体種別", "Media type", buf);
	fmt_bytes(r->capacity_bytes, buf, sizeof(buf));
	y = row(c, MARGIN, y, lw, half, "容量", "Capacity", r->capacity_bytes ? buf : NULL);
	y2 = c->y + 20;
	{
		float x = MARGIN + half + 14;

		y2 = row(c, x, y2, lw, half, "資産番号", "Asset ID", r->asset_id);
		snprintf(buf, sizeof(buf), "重要性分類 %u  (class %u)", r->importance_class, r->importance_class);
		y2 = row(c, x, y2, lw, half, "重要性分類", "Importance class", buf);
		y2 = row(c, x, y2, lw, half, "所管課", "Owner department", r->owner_department);
		y2 = row(c, x, y2, lw, half, "設置場所", "Location", r->location);
		y2 = row(c, x, y2, lw, half, "台帳番号", "Ledger entry", r->ledger_entry);
		y2 = row(c, x, y2, lw, half, "廃棄後の処置", "Destination", r->destination);
	}
	c->y = (y > y2 ? y : y2) + 10;

	/* 3 sanitisation */
	section(c, MARGIN, W, "3", "消去方法", "Sanitization");
	y = c->y + 20;
	y2 = y;
	y = row(c, MARGIN, y, lw, half, "消去区分", "Sanitization type", sanitization_label(r->sanitization_type));
	y = row(c, MARGIN, y, lw, half, "消去方式", "Method", r->method);
	snprintf(buf, sizeof(buf), "%s %s", r->tool, r->tool_version);
	y = row(c, MARGIN, y, lw, half, "ツール", "Tool and version", buf);
	destroy = r->sanitization_type && streq(r->sanitization_type, "destroy");
	/* a destruction's details (witness, photo hashes) are too long for a
	 * row: they get the lines the pass table would take */
	y = row(c, MARGIN, y, lw, half, "詳細", "Details", destroy && r->method_details ? "下記 see below" : r->method_details);
	{
		float x = MARGIN + half + 14;

		y2 = row(c, x, y2, lw - 20, half, "開始", "Started", r->started_at);
		y2 = row(c, x, y2, lw - 20, half, "終了", "Ended", r->ended_at);
		snprintf(buf, sizeof(buf), "%" PRIu64 "時間%02" PRIu64 "分%02" PRIu64 "秒  (%" PRIu64 " s)",
			 r->duration_s / 3600, r->duration_s / 60 % 60, r->duration_s % 60, r->duration_s);
		y2 = row(c, x, y2, lw - 20, half, "所要時間", "Duration", buf);
		y2 = row(c, x, y2, lw - 20, half, "ドライブ報告", "Drive sanitize status",
			 r->drive_sanitize_status ? r->drive_sanitize_status : destroy ? "— (physical destruction)" : "— (overwrite)");
	}
	y = (y > y2 ? y : y2) + 6;
	if (destroy) {
		/* the destruction record: one "; "-separated part a line */
		const char *p = r->method_details;

		/* the first part repeats the method row when it is wipecert's own */
		if (p && strncmp(p, "物理的破壊 ", strlen("物理的破壊 ")) == 0 && strstr(p, "; "))
			p = strstr(p, "; ") + 2;

		rect(c, MARGIN, y, W, 20, &SHADE, NULL);
		text(c, MARGIN + 6, y + 9, 7.5f, NAVY, "物理的破壊の記録", 0);
		text(c, MARGIN + 6, y + 17, 6, GREY, "Record of physical destruction", 0);
		y += 20;
		for (int n = 0; p && *p && n < 4; n++) {
			const char *e = strstr(p, "; ");
			size_t l = e ? (size_t)(e - p) : strlen(p);

			if (n == 3 && e)
				/* the page has room for four: the record holds them all */
				snprintf(buf, sizeof(buf), "… 続きは添付の記録に / the rest: record.json, wipe-record.json");
			else
				snprintf(buf, sizeof(buf), "%.*s", (int)(l < sizeof(buf) - 1 ? l : sizeof(buf) - 1), p);
			text(c, MARGIN + 6, y + 11, 7.5f, INK, buf, W - 12);
			hline(c, MARGIN, MARGIN + W, y + 15, RULE, 0.4f);
			y += 15;
			p = e ? e + 2 : NULL;
		}
	} else {
	/* the method table: one line a pass */
		static const float cx[] = { 0, 50, 170, 330, 420 };
		static const char *const ja[] = { "回", "パターン", "書込量", "読み戻し検証", "結果" };
		static const char *const en[] = { "Pass", "Pattern", "Bytes", "Read back", "Result" };

		rect(c, MARGIN, y, W, 20, &SHADE, NULL);
		for (size_t i = 0; i < ARRAY_SIZE(cx); i++) {
			text(c, MARGIN + 6 + cx[i], y + 9, 7.5f, NAVY, ja[i], 0);
			text(c, MARGIN + 6 + cx[i], y + 17, 6, GREY, en[i], 0);
		}
		y += 20;
		for (size_t i = 0; i < r->n_passes && i < 8; i++) {
			const struct cert_pass *p = &r->passes[i];

			snprintf(buf, sizeof(buf), "%u", p->number);
			text(c, MARGIN + 6 + cx[0], y + 12, 8.5f, INK, buf, 0);
			text(c, MARGIN + 6 + cx[1], y + 12, 8.5f, INK, p->pattern, 110);
			fmt_bytes(p->bytes, buf, sizeof(buf));
			text(c, MARGIN + 6 + cx[2], y + 12, 8.5f, INK, buf, 155);
			text(c, MARGIN + 6 + cx[3], y + 12, 8.5f, INK, p->verified ? "済 yes" : "— no", 0);
			text(c, MARGIN + 6 + cx[4], y + 12, 8.5f, streq(p->result, "ok") ? GREEN : RED,
			     streq(p->result, "ok") ? "正常 OK" : "失敗 FAILED", 0);
			hline(c, MARGIN, MARGIN + W, y + 17, RULE, 0.4f);
			y += 17;
		}
		if (r->n_errors) {
			snprintf(buf, sizeof(buf), "エラー範囲 Error ranges: %zu", r->n_errors);
			text(c, MARGIN + 6, y + 12, 8, RED, buf, 0);
			y += 14;
			for (size_t i = 0; i < r->n_errors && i < 4; i++) {
				snprintf(buf, sizeof(buf), "offset %" PRIu64 ", %" PRIu64 " bytes: %s",
					 r->errors[i].offset, r->errors[i].length, r->errors[i].error);
				text(c, MARGIN + 12, y + 11, 7.5f, RED, buf, W - 20);
				y += 12;
			}
		}
	}
	c->y = y + 10;

	/* 4 verification */
	section(c, MARGIN, W, "4", "検証", "Verification");
	y = c->y + 20;
	y2 = y;
	y = row(c, MARGIN, y, lw, half, "検証方法", "Method", r->verification_method);
	fmt_bytes(r->verified_bytes, buf, sizeof(buf));
	y = row(c, MARGIN, y, lw, half, "検証量", "Bytes verified", r->verified_bytes ? buf : NULL);
	y2 = row(c, MARGIN + half + 14, y2, lw - 20, half, "検証結果", "Result",
		 streq(r->verification_result, "pass") ? "合格 PASS" : "不合格 FAIL");
	y2 = row(c, MARGIN + half + 14, y2, lw - 20, half, "作業端末", "Wipe station", r->station_hostname);
	c->y = (y > y2 ? y : y2) + 10;

	/* 5 signatures: performer | approver, then the QR code */
	section(c, MARGIN, W, "5", "署名", "Signatures");
	y = c->y + 24;
	{
		const struct cert_person *p[2] = { &r->performer, &r->approver };
		static const char *const ja[2] = { "作業者", "承認者" };
		static const char *const en[2] = { "Performed by", "Approved by" };
		float bw = (W - 120) / 2 - 6;

		for (int i = 0; i < 2; i++) {
			float x = MARGIN + i * (bw + 8);

			rect(c, x, y, bw, 104, NULL, &RULE);
			text(c, x + 7, y + 13, 8, NAVY, ja[i], 0);
			text(c, x + 40, y + 13, 6.5f, GREY, en[i], 0);
			text_bold(c, x + 7, y + 31, 11, INK, p[i]->name);
			text(c, x + 7, y + 45, 7.5f, INK, p[i]->role, bw - 12);
			text(c, x + 7, y + 57, 7.5f, GREY, p[i]->organisation, bw - 12);
			fmt_date(p[i]->date, buf, sizeof(buf));
			text(c, x + 7, y + 71, 7.5f, INK, buf, bw - 12);
			snprintf(buf, sizeof(buf), "鍵ID Key ID: %s", p[i]->key_id ? p[i]->key_id : "—");
			text(c, x + 7, y + 85, 7, GREY, buf, bw - 12);
			text(c, x + 7, y + 97, 6, GREY, "署名鍵 Ed25519 (minisign) signing key", bw - 12);
		}
		draw_qr(c, MARGIN + W - 104, y - 4, 104);
		text_center(c, MARGIN + W - 52, y + 108, 5.5f, GREY, "証明書番号・記録ハッシュ・承認署名", false);
		text_center(c, MARGIN + W - 52, y + 115, 5.5f, GREY, "ID, record hash, approver signature", false);
	}
}

/* Bilingual labels for the keys page 2 knows; others are shown as they are. */
static const char *label_of(const char *k)
{
	static const char *const labels[][2] = {
		{ "model", "型番  Model" }, { "serial", "シリアル番号  Serial" },
		{ "firmware", "ファームウェア  Firmware" }, { "logical_sector", "論理セクタ  Logical sector" },
		{ "physical_sector", "物理セクタ  Physical sector" }, { "rotation_rate", "回転数  Rotation rate" },
		{ "ata_version", "ATA 規格  ATA version" }, { "health", "健全性  Health" },
		{ "power_on_hours", "通電時間  Power-on hours" }, { "power_cycles", "電源投入回数  Power cycles" },
		{ "temperature_c", "温度 (℃)  Temperature" }, { "reallocated_sectors", "代替処理済セクタ  Reallocated" },
		{ "pending_sectors", "代替保留セクタ  Pending" }, { "offline_uncorrectable", "訂正不能セクタ  Uncorrectable" },
		{ "percentage_used", "使用率 (%)  Percentage used" }, { "available_spare", "予備領域 (%)  Available spare" },
		{ "media_errors", "メディアエラー  Media errors" }, { "unsafe_shutdowns", "異常電源断  Unsafe shutdowns" },
		{ "smartctl_version", "smartctl" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(labels); i++)
		if (streq(labels[i][0], k))
			return labels[i][1];
	return k;
}

static void kv(struct ctx *c, float x, float *y, float w, const char *k, const json_t *v)
{
	char buf[200];

	if (json_is_string(v))
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_real(v))
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
	else
		return;
	text(c, x + 4, *y + 12, 7.5f, GREY, label_of(k), 150);
	text(c, x + 160, *y + 12, 8.5f, INK, buf, w - 164);
	hline(c, x, x + w, *y + 17, RULE, 0.4f);
	*y += 17;
}

static void page_two(struct ctx *c)
{
	const struct cert_record *r = c->r;
	const float W = PAGE_W - 2 * MARGIN;
	const json_t *drive = r->drive, *v;
	const char *k;
	float y;

	draw_header(c, "ドライブ詳細", "Drive details");
	c->y = 138;
	section(c, MARGIN, W, "6", "識別情報", "Identify data");
	y = c->y + 20;
	json_object_foreach((json_t *)json_object_get(drive, "identify"), k, v)
		if (y < 420)
			kv(c, MARGIN, &y, W, k, v);
	if (!json_object_get(drive, "identify"))
		y += 14, text(c, MARGIN + 4, y - 2, 8, GREY, "— (not recorded)", 0);
	c->y = y + 10;

	section(c, MARGIN, W, "7", "機能", "Capabilities");
	y = c->y + 20;
	{
		size_t i;

		json_array_foreach(json_object_get(drive, "capabilities"), i, v)
			if (json_is_string(v) && y < 560) {
				text(c, MARGIN + 8, y + 11, 8.5f, INK, "・", 0);
				text(c, MARGIN + 20, y + 11, 8.5f, INK, json_string_value(v), W - 24);
				y += 14;
			}
	}
	c->y = y + 10;

	section(c, MARGIN, W, "8", "HPA / DCO", "Host protected area, device configuration overlay");
	y = c->y + 20;
	v = json_object_get(drive, "hpa_dco");
	text(c, MARGIN + 8, y + 11, 8.5f, INK, json_is_string(v) ? json_string_value(v) : "— (not recorded)", W - 12);
	c->y = y + 26;

	section(c, MARGIN, W, "9", "SMART", "Health, power-on hours (smartctl)");
	y = c->y + 20;
	v = json_object_get(drive, "smart");
	if (json_is_object(v)) {
		const json_t *sv;

		json_object_foreach((json_t *)v, k, sv)
			if (y < 690)
				kv(c, MARGIN, &y, W, k, sv);
	} else {
		text(c, MARGIN + 8, y + 11, 8.5f, GREY, "— (smartctl not available)", 0);
		y += 14;
	}
	c->y = y + 10;

	section(c, MARGIN, W, "10", "作業端末・台帳", "Wipe station and ledger");
	y = c->y + 20;
	{
		float half = (W - 14) / 2;
		float y2 = y;

		y = row(c, MARGIN, y, 90, half, "ホスト名", "Host name", r->station_hostname);
		y = row(c, MARGIN, y, 90, half, "製造元", "System vendor", r->station_vendor);
		y = row(c, MARGIN, y, 90, half, "製品名", "Product", r->station_product);
		y2 = row(c, MARGIN + half + 14, y2, 90, half, "シリアル番号", "System serial", r->station_serial);
		y2 = row(c, MARGIN + half + 14, y2, 90, half, "資産タグ", "Asset tag", r->station_asset_tag);
		y2 = row(c, MARGIN + half + 14, y2, 90, half, "台帳番号", "Ledger entry", r->ledger_entry);
		y = row(c, MARGIN, y > y2 ? y : y2, 90, W, "台帳イベント", "Ledger event hash", r->ledger_event_hash);
		if (r->wipe_record_sha256)
			y = row(c, MARGIN, y, 90, W, "作業記録", "Wipe record SHA-256", r->wipe_record_sha256);
	}
}

/* ---- what schema /2 adds (page 3 of a single certificate, page 1 of a
 * list): who the work was for, where, who saw it, under which approval
 * and hand-over ---- */

static bool has_parties(const struct cert_record *r)
{
	return r->client || r->site_address || r->approval_ref || r->lease || r->handover_id || r->witness.name ||
	       r->document_number;
}

static void join2(char *buf, size_t len, const char *a, const char *sep, const char *b)
{
	snprintf(buf, len, "%s%s%s", a ? a : "", a && b ? sep : "", b ? b : "");
}

/* The rows of section "依頼・作業場所・立会・引渡"; returns the new y. */
static float parties(struct ctx *c, const struct cert_record *r, const struct cert_record *disk, float y)
{
	const float W = PAGE_W - 2 * MARGIN, lw = 120;
	char buf[300], when[80];

	join2(buf, sizeof(buf), r->client, "　", r->client_unit);
	y = row(c, MARGIN, y, lw, W, "依頼者", "Client", buf[0] ? buf : NULL);
	if (r->client_key_id || r->organisation_key_id) {
		snprintf(buf, sizeof(buf), "依頼者 client %s ・ 受託者 issuer %s", r->client_key_id ? r->client_key_id : "—",
			 r->organisation_key_id ? r->organisation_key_id : "—");
		y = row(c, MARGIN, y, lw, W, "組織の鍵", "Organisation root keys", buf);
	}
	join2(buf, sizeof(buf), r->site_address, "　", r->site_room);
	y = row(c, MARGIN, y, lw, W, "作業場所", "Work site", buf[0] ? buf : NULL);
	y = row(c, MARGIN, y, lw, W, "起案・決裁番号", "Approval reference", r->approval_ref);
	if (disk && disk->lease)
		y = row(c, MARGIN, y, lw, W, "リース会社・契約番号", "Lease company / contract", disk->lease);
	if (r->handover_id) {
		snprintf(buf, sizeof(buf), "%s  (sha256 %.16s…)%s", r->handover_id, r->handover_sha256,
			 r->receipt_sha256 ? "  受領書あり receipt signed" : "");
		y = row(c, MARGIN, y, lw, W, "引渡書", "Hand-over list", buf);
	}
	if (disk && disk->witness.name) {
		fmt_date(disk->witness.date, when, sizeof(when));
		snprintf(buf, sizeof(buf), "%s  (%s%s鍵ID %s)  %s", disk->witness.name,
			 disk->witness.organisation ? disk->witness.organisation : "", disk->witness.organisation ? ", " : "",
			 disk->witness.key_id ? disk->witness.key_id : "—", when);
		y = row(c, MARGIN, y, lw, W, "立会者", "Witness (signed statement)", buf);
	}
	return y;
}

static void page_three(struct ctx *c)
{
	draw_header(c, "依頼・作業場所・立会", "Client, work site, witness, custody");
	c->y = 138;
	section(c, MARGIN, PAGE_W - 2 * MARGIN, "11", "依頼・作業場所・立会・引渡", "Client, work site, witness, custody");
	parties(c, c->r, c->r, c->y + 20);
}

static int new_page(struct ctx *c, int no)
{
	c->page_no = no;
	if (!c->collect) {
		c->page = HPDF_AddPage(c->pdf);
		if (!c->page)
			return -ENOMEM;
		HPDF_Page_SetSize(c->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	}
	return 0;
}

static int layout(struct ctx *c)
{
	c->n_pages = has_parties(c->r) ? 3 : 2;
	if (new_page(c, 1) < 0)
		return -ENOMEM;
	page_one(c);
	if (new_page(c, 2) < 0)
		return -ENOMEM;
	page_two(c);
	if (c->n_pages == 3) {
		if (new_page(c, 3) < 0)
			return -ENOMEM;
		page_three(c);
	}
	return 0;
}

/* ---- the list form: page 1 the summary, then a table of every disk ---- */

#define LIST_ROWS 40            /* rows of a table page */
#define LIST_ROW_H 16.0f

const char *cert_list_result_text(const struct cert_record *item)
{
	if (item->result && streq(item->result, "verified_only"))
		return "検証のみ VERIFIED ONLY";
	if (!item->result || !streq(item->result, "erased_and_verified"))
		return "失敗 FAILED";
	if (item->sanitization_type && streq(item->sanitization_type, "destroy"))
		return "破壊済 DESTROYED";
	return "消去済 ERASED";
}

int cert_list_banner(const struct cert_record *r, char *buf, size_t len)
{
	size_t ok = 0, failed = 0, checked = 0;

	for (size_t i = 0; i < r->n_items; i++)
		if (r->items[i].result && streq(r->items[i].result, "erased_and_verified"))
			ok++;
		else if (r->items[i].result && streq(r->items[i].result, "verified_only"))
			checked++;
		else
			failed++;
	if (checked)
		snprintf(buf, len, "%zu台  済 %zu ・ 検証のみ %zu ・ 失敗 %zu   %zu DISKS: %zu DONE, %zu VERIFIED ONLY, %zu FAILED",
			 r->n_items, ok, checked, failed, r->n_items, ok, checked, failed);
	else if (failed)
		snprintf(buf, len, "%zu台  済 %zu ・ 失敗 %zu   %zu DISKS: %zu DONE, %zu FAILED", r->n_items, ok, failed,
			 r->n_items, ok, failed);
	else
		snprintf(buf, len, "%zu台  全数 消去・確認済み   ALL %zu DISKS SANITIZED", r->n_items, r->n_items);
	return failed || checked ? 0 : 1;
}

static const char *level_label(const char *t)
{
	if (!t)
		return "—";
	return streq(t, "clear") ? "クリア clear" : streq(t, "purge") ? "パージ purge" : "破壊 destroy";
}

/* "2026-11-23T17:49:00+09:00" -> "2026-11-23 17:49" */
static void short_time(const char *iso, char *buf, size_t len)
{
	if (!iso || strlen(iso) < 16)
		snprintf(buf, len, "%s", iso ? iso : "—");
	else
		snprintf(buf, len, "%.10s %.5s", iso, iso + 11);
}

/* counts by a key of the items: "overwrite-1" -> 12 */
struct tally {
	const char *key;
	size_t n, failed;
};

static size_t tally_add(struct tally *t, size_t n, const char *key, bool ok)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (streq(t[i].key, key))
			break;
	if (i == n) {
		if (n == 12)
			return n; /* the page lists twelve; record.json has them all */
		t[n++] = (struct tally){ key, 0, 0 };
	}
	t[i].n++;
	t[i].failed += !ok;
	return n;
}

static void list_summary_page(struct ctx *c)
{
	const struct cert_record *r = c->r;
	const float W = PAGE_W - 2 * MARGIN;
	struct tally methods[12], techs[12], witnesses[12];
	size_t n_m = 0, n_t = 0, n_w = 0;
	const char *first = NULL, *last = NULL;
	time_t t0 = 0, t1 = 0, t;
	char buf[300], a[100], b[40];
	bool all_ok;
	float y;

	draw_header(c, "データ消去証明書（一覧）", "Certificate of Data Sanitization — list of disks");
	all_ok = cert_list_banner(r, buf, sizeof(buf)) == 1;
	rect(c, MARGIN, 143, W, 30, all_ok ? &GREEN : &RED, NULL);
	text_center(c, PAGE_W / 2, 163, 13, (struct rgb){ 1, 1, 1 }, buf, true);
	fmt_date(r->issued_at, a, sizeof(a));
	snprintf(buf, sizeof(buf), "発行日 Issued: %s", a);
	text_center(c, PAGE_W / 2, 186, 8, INK, buf, false);
	if (municipal(r))
		text_center(c, PAGE_W / 2, 198, 8.5f, INK,
			    "下記の情報資産について、データの消去（又は物理的破壊）を行ったことを証明します。", false);

	for (size_t i = 0; i < r->n_items; i++) {
		const struct cert_record *it = &r->items[i];
		bool ok = it->result && streq(it->result, "erased_and_verified");

		n_m = tally_add(methods, n_m, it->method, ok);
		n_t = tally_add(techs, n_t, it->performer.name, ok);
		if (it->witness.name)
			n_w = tally_add(witnesses, n_w, it->witness.name, ok);
		if (parse_time(it->started_at, &t) == 0 && (!first || t < t0))
			first = it->started_at, t0 = t;
		if (parse_time(it->ended_at, &t) == 0 && (!last || t > t1))
			last = it->ended_at, t1 = t;
	}

	c->y = 206;
	section(c, MARGIN, W, "1", "依頼・作業", "Client and work");
	y = parties(c, r, NULL, c->y + 20);
	short_time(first, a, sizeof(a));
	short_time(last, b, sizeof(b));
	snprintf(buf, sizeof(buf), "%s — %s", a, b);
	y = row(c, MARGIN, y, 120, W, "作業期間", "Period of the work", buf);
	y = row(c, MARGIN, y, 120, W, "廃棄後の処置", "Destination", r->destination);

	c->y = y + 8;
	section(c, MARGIN, W, "2", "集計", "Summary by method and by person");
	y = c->y + 20;
	for (size_t i = 0; i < n_m; i++) {
		snprintf(buf, sizeof(buf), "方式 %s: %zu台 (失敗 failed %zu)", methods[i].key, methods[i].n, methods[i].failed);
		text(c, MARGIN + 6, y + 11, 8, methods[i].failed ? RED : INK, buf, W / 2 - 10);
		y += 13;
	}
	{
		float y2 = c->y + 20;

		for (size_t i = 0; i < n_t; i++, y2 += 13) {
			snprintf(buf, sizeof(buf), "作業者 technician %s: %zu台", techs[i].key, techs[i].n);
			text(c, MARGIN + W / 2 + 6, y2 + 11, 8, INK, buf, W / 2 - 10);
		}
		for (size_t i = 0; i < n_w; i++, y2 += 13) {
			snprintf(buf, sizeof(buf), "立会者 witness %s: %zu台", witnesses[i].key, witnesses[i].n);
			text(c, MARGIN + W / 2 + 6, y2 + 11, 8, INK, buf, W / 2 - 10);
		}
		y = y > y2 ? y : y2;
	}

	/* the approval and the QR code */
	c->y = y + 10;
	section(c, MARGIN, W, "3", "承認", "Approval");
	y = c->y + 24;
	{
		const struct cert_person *p = &r->approver;
		const float bw = W - 130;

		rect(c, MARGIN, y, bw, 96, NULL, &RULE);
		text(c, MARGIN + 7, y + 13, 8, NAVY, "承認者", 0);
		text(c, MARGIN + 40, y + 13, 6.5f, GREY, "Approved by", 0);
		text_bold(c, MARGIN + 7, y + 31, 11, INK, p->name);
		text(c, MARGIN + 7, y + 45, 7.5f, INK, p->role, bw - 12);
		text(c, MARGIN + 7, y + 57, 7.5f, GREY, p->organisation, bw - 12);
		fmt_date(p->date, buf, sizeof(buf));
		text(c, MARGIN + 7, y + 71, 7.5f, INK, buf, bw - 12);
		snprintf(buf, sizeof(buf), "鍵ID Key ID: %s ・ 各行の作業記録は技術者の署名付きで添付 / each row's wipe record is "
			 "attached, signed by its technician", p->key_id ? p->key_id : "—");
		text(c, MARGIN + 7, y + 85, 6.5f, GREY, buf, bw - 12);
		draw_qr(c, MARGIN + W - 104, y - 6, 104);
		text_center(c, MARGIN + W - 52, y + 104, 5.5f, GREY, "証明書番号・記録ハッシュ・承認署名", false);
	}
	c->y = y + 116;
	snprintf(buf, sizeof(buf), "対象ディスクの一覧は %d ページ目から (全 %zu 行)  The list of disks begins on page 2 (%zu rows).",
		 c->n_pages > 1 ? 2 : 1, r->n_items, r->n_items);
	text(c, MARGIN, c->y + 8, 7.5f, GREY, buf, W);
}

/* the table's columns: relative widths, two heading lines */
static const struct {
	float w;
	const char *ja, *en;
} list_cols[] = {
	{ 0.35f, "No.", "" },
	{ 1.25f, "資産番号", "Asset" },
	{ 0.7f, "媒体種別", "Media type" },
	{ 1.45f, "製造元・型番", "Maker / model" },
	{ 1.4f, "シリアル番号", "Serial" },
	{ 0.6f, "容量", "Capacity" },
	{ 0.9f, "方式・区分", "Method, level" },
	{ 0.55f, "検証", "Verified" },
	{ 1.05f, "結果", "Result" },
	{ 1.25f, "開始・終了", "Start / end" },
	{ 1.5f, "作業者", "Technician" },
};

/* "1.0 MB": a table cell's capacity */
static void short_bytes(uint64_t b, char *buf, size_t len)
{
	double v;
	unsigned i = scale_bytes(b, &v);

	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, byte_units[i]);
}

static void list_table_page(struct ctx *c, size_t first)
{
	const struct cert_record *r = c->r;
	const float W = PAGE_W - 2 * MARGIN;
	float x[ARRAY_SIZE(list_cols) + 1], total = 0, y = 138;
	char buf[200];

	draw_header(c, "データ消去証明書（一覧）", "Certificate of Data Sanitization — list of disks");
	for (size_t i = 0; i < ARRAY_SIZE(list_cols); i++)
		total += list_cols[i].w;
	x[0] = MARGIN;
	for (size_t i = 0; i < ARRAY_SIZE(list_cols); i++)
		x[i + 1] = x[i] + W * list_cols[i].w / total;
	rect(c, MARGIN, y, W, 22, &SHADE, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(list_cols); i++) {
		text(c, x[i] + 2, y + 10, 6.5f, NAVY, list_cols[i].ja, x[i + 1] - x[i] - 3);
		text(c, x[i] + 2, y + 18.5f, 5.2f, GREY, list_cols[i].en, x[i + 1] - x[i] - 3);
	}
	y += 22;
	/* each row's cells in this order, each one text string: verify reads
	 * the row number, then its asset, serial and result, in order */
	for (size_t k = first; k < r->n_items && k < first + LIST_ROWS; k++) {
		const struct cert_record *it = &r->items[k];
		bool ok = it->result && streq(it->result, "erased_and_verified");
		char a[40], b[40];

		snprintf(buf, sizeof(buf), "%zu", k + 1);
		text(c, x[0] + 2, y + 7, 6.5f, GREY, buf, x[1] - x[0] - 3);
		text(c, x[1] + 2, y + 7, 6.5f, INK, it->asset_id, x[2] - x[1] - 3);
		text(c, x[2] + 2, y + 7, 6, INK, it->media_type, x[3] - x[2] - 3);
		text(c, x[3] + 2, y + 7, 6, INK, it->model, x[4] - x[3] - 3);
		text(c, x[3] + 2, y + 14, 5.2f, GREY, it->manufacturer, x[4] - x[3] - 3);
		text(c, x[4] + 2, y + 7, 6.5f, INK, it->serial, x[5] - x[4] - 3);
		short_bytes(it->capacity_bytes, buf, sizeof(buf));
		text(c, x[5] + 2, y + 7, 6, INK, it->capacity_bytes ? buf : "—", x[6] - x[5] - 3);
		text(c, x[6] + 2, y + 7, 6, INK, it->method, x[7] - x[6] - 3);
		text(c, x[6] + 2, y + 14, 5.2f, GREY, level_label(it->sanitization_type), x[7] - x[6] - 3);
		text(c, x[7] + 2, y + 7, 6, streq(it->verification_result, "pass") ? GREEN : RED,
		     streq(it->verification_result, "pass") ? "合格 pass" : "不合格 fail", x[8] - x[7] - 3);
		text(c, x[8] + 2, y + 7, 6.5f, ok ? GREEN : streq(it->result, "verified_only") ? NAVY : RED,
		     cert_list_result_text(it), x[9] - x[8] - 3);
		short_time(it->started_at, a, sizeof(a));
		short_time(it->ended_at, b, sizeof(b));
		text(c, x[9] + 2, y + 7, 5.5f, INK, a, x[10] - x[9] - 3);
		text(c, x[9] + 2, y + 14, 5.5f, INK, b, x[10] - x[9] - 3);
		text(c, x[10] + 2, y + 7, 6, INK, it->performer.name, x[11] - x[10] - 3);
		if (it->witness.name) {
			snprintf(buf, sizeof(buf), "立会 %s", it->witness.name);
			text(c, x[10] + 2, y + 14, 5.2f, GREY, buf, x[11] - x[10] - 3);
		}
		hline(c, MARGIN, MARGIN + W, y + LIST_ROW_H, RULE, 0.3f);
		y += LIST_ROW_H;
	}
}

static int list_layout(struct ctx *c)
{
	size_t rows = c->r->n_items;
	int table_pages = (int)((rows + LIST_ROWS - 1) / LIST_ROWS);

	c->n_pages = 1 + table_pages;
	if (new_page(c, 1) < 0)
		return -ENOMEM;
	list_summary_page(c);
	for (int p = 0; p < table_pages; p++) {
		if (new_page(c, p + 2) < 0)
			return -ENOMEM;
		list_table_page(c, (size_t)p * LIST_ROWS);
	}
	return 0;
}

#define SUMMARY_ROWS 26

static void summary_page(struct ctx *c, size_t first, int pages)
{
	const float W = PAGE_W - 2 * MARGIN;
	static const float cx[] = { 0, 22, 118, 212, 372, 438 };
	static const char *const ja[] = { "#", "証明書番号", "資産番号", "型番・シリアル番号", "消去方式", "結果" };
	static const char *const en[] = { "", "Certificate No.", "Asset ID", "Model, serial number", "Method", "Result" };
	size_t ok = 0;
	char buf[200];
	float y;

	for (size_t i = 0; i < c->n_recs; i++)
		ok += streq(c->recs[i]->result, "erased_and_verified");
	text_bold(c, MARGIN, 48, 13, NAVY, c->recs[0]->organisation);
	text(c, MARGIN, 62, 8, GREY, c->recs[0]->organisation_unit, 300);
	text_right(c, PAGE_W - MARGIN, 44, 7, GREY, "作業端末  Wipe station");
	text_right(c, PAGE_W - MARGIN, 58, 11, INK, c->host ? c->host : "—");
	hline(c, MARGIN, PAGE_W - MARGIN, 72, NAVY, 1.6f);
	text_center(c, PAGE_W / 2, 100, 19, NAVY, "データ消去作業報告書", true);
	text_center(c, PAGE_W / 2, 117, 11, NAVY, "Sanitization session report", false);
	snprintf(buf, sizeof(buf), "%zu台  %zu disks:  消去・検証済み %zu  erased and verified,  失敗 %zu  failed",
		 c->n_recs, c->n_recs, ok, c->n_recs - ok);
	text_center(c, PAGE_W / 2, 136, 9, ok == c->n_recs ? GREEN : RED, buf, false);
	y = 148;
	rect(c, MARGIN, y, W, 22, &SHADE, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(cx); i++) {
		text(c, MARGIN + 5 + cx[i], y + 10, 7.5f, NAVY, ja[i], 0);
		text(c, MARGIN + 5 + cx[i], y + 18.5f, 6, GREY, en[i], 0);
	}
	y += 22;
	for (size_t i = first; i < c->n_recs && i < first + SUMMARY_ROWS; i++) {
		const struct cert_record *r = c->recs[i];
		bool good = streq(r->result, "erased_and_verified");

		snprintf(buf, sizeof(buf), "%zu", i + 1);
		text(c, MARGIN + 5 + cx[0], y + 13, 8, GREY, buf, 0);
		text(c, MARGIN + 5 + cx[1], y + 13, 8, INK, r->certificate_id, cx[2] - cx[1] - 6);
		text(c, MARGIN + 5 + cx[2], y + 13, 8, INK, r->asset_id, cx[3] - cx[2] - 6);
		text(c, MARGIN + 5 + cx[3], y + 10, 7.5f, INK, r->model, cx[4] - cx[3] - 6);
		text(c, MARGIN + 5 + cx[3], y + 19, 7, GREY, r->serial, cx[4] - cx[3] - 6);
		text(c, MARGIN + 5 + cx[4], y + 13, 7.5f, INK, r->method, cx[5] - cx[4] - 6);
		text(c, MARGIN + 5 + cx[5], y + 13, 8, good ? GREEN : RED, good ? "消去・検証済み OK" : "失敗 FAILED", 0);
		hline(c, MARGIN, MARGIN + W, y + 23, RULE, 0.4f);
		y += 23;
	}
	text(c, MARGIN, PAGE_H - 22, 6.5f, GREY,
	     "各ディスクの証明書は個別に電子署名されています。Each disk's certificate is signed on its own; this report is a summary.",
	     PAGE_W - 2 * MARGIN - 40);
	snprintf(buf, sizeof(buf), "%d / %d", c->page_no, pages);
	text_right(c, PAGE_W - MARGIN, PAGE_H - 22, 7, GREY, buf);
	hline(c, MARGIN, PAGE_W - MARGIN, PAGE_H - 34, RULE, 0.6f);
}

static int summary_layout(struct ctx *c)
{
	int pages = (int)((c->n_recs + SUMMARY_ROWS - 1) / SUMMARY_ROWS);

	for (int p = 0; p < pages; p++) {
		c->page_no = p + 1;
		if (!c->collect) {
			c->page = HPDF_AddPage(c->pdf);
			if (!c->page)
				return -ENOMEM;
			HPDF_Page_SetSize(c->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
		}
		summary_page(c, (size_t)p * SUMMARY_ROWS, pages);
	}
	return 0;
}

#define TABLE_ROWS 34

/* One page of a table report: rows first..first+TABLE_ROWS. */
static void table_page(struct ctx *c, size_t first, int pages)
{
	const struct cert_table *t = c->table;
	/* portrait: text() places from the top of a portrait page */
	const float PW = PAGE_W, PH = PAGE_H, W = PW - 2 * MARGIN;
	float x[13], total = 0, y;
	char buf[64];

	for (size_t i = 0; i < t->n_cols; i++)
		total += t->col_w[i];
	x[0] = MARGIN;
	for (size_t i = 0; i < t->n_cols; i++)
		x[i + 1] = x[i] + W * t->col_w[i] / total;
	if (t->org)
		text_bold(c, MARGIN, 40, 11, NAVY, t->org);
	hline(c, MARGIN, PW - MARGIN, 50, NAVY, 1.4f);
	text_center(c, PW / 2, 72, 16, NAVY, t->title_ja, true);
	text_center(c, PW / 2, 87, 10, NAVY, t->title_en, false);
	y = 102;
	if (t->qr && c->page_no == 1)
		draw_qr(c, PW - MARGIN - 124, 56, 124);
	for (size_t i = 0; i < t->n_lines; i++, y += 11)
		text(c, MARGIN, y, 8, t->line_ok && !t->line_ok[i] ? RED : (t->line_ok ? GREEN : INK), t->lines[i],
		     t->qr && c->page_no == 1 ? W - 132 : W);
	if (t->qr && c->page_no == 1 && y < 186)
		y = 186;
	y += 2;
	rect(c, MARGIN, y, W, 22, &SHADE, NULL);
	for (size_t i = 0; i < t->n_cols; i++) {
		text(c, x[i] + 3, y + 10, 7, NAVY, t->head_ja[i], x[i + 1] - x[i] - 5);
		text(c, x[i] + 3, y + 18.5f, 5.5f, GREY, t->head_en[i], x[i + 1] - x[i] - 5);
	}
	y += 22;
	for (size_t r = first; r < t->n_rows && r < first + TABLE_ROWS; r++) {
		for (size_t i = 0; i < t->n_cols; i++) {
			const char *v = t->cells[r * t->n_cols + i];
			bool last = i + 1 == t->n_cols;

			text(c, x[i] + 3, y + 12, 6.5f, last ? (t->row_ok[r] ? GREEN : RED) : INK, v ? v : "-",
			     x[i + 1] - x[i] - 5);
		}
		hline(c, MARGIN, MARGIN + W, y + 18, RULE, 0.4f);
		y += 18;
	}
	if (t->footer)
		text(c, MARGIN, PH - 20, 6.5f, GREY, t->footer, W - 40);
	snprintf(buf, sizeof(buf), "%d / %d", c->page_no, pages);
	text_right(c, PW - MARGIN, PH - 20, 7, GREY, buf);
	hline(c, MARGIN, PW - MARGIN, PH - 32, RULE, 0.6f);
}

static int table_layout(struct ctx *c)
{
	int pages = (int)((c->table->n_rows + TABLE_ROWS - 1) / TABLE_ROWS);

	if (pages == 0)
		pages = 1;
	for (int p = 0; p < pages; p++) {
		c->page_no = p + 1;
		if (!c->collect) {
			c->page = HPDF_AddPage(c->pdf);
			if (!c->page)
				return -ENOMEM;
			HPDF_Page_SetSize(c->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
		}
		table_page(c, (size_t)p * TABLE_ROWS, pages);
	}
	return 0;
}

/* Cut the font down to the characters in set; returns a memfd holding it. */
static int subset_font(const char *path, hb_set_t *set, size_t *ret_size)
{
	hb_blob_t *blob, *out = NULL;
	hb_face_t *face, *sub = NULL;
	hb_subset_input_t *in;
	const char *data;
	unsigned len = 0;
	int fd = -1, r = -EINVAL;

	blob = hb_blob_create_from_file_or_fail(path);
	if (!blob)
		return -ENOENT;
	face = hb_face_create(blob, 0);
	in = hb_subset_input_create_or_fail();
	if (!in)
		goto out;
	hb_set_union(hb_subset_input_unicode_set(in), set);
	/* hinting is for screens at small sizes; print does not need it and
	 * it is a third of the subset */
	hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_NO_HINTING);
	sub = hb_subset_or_fail(face, in);
	if (!sub)
		goto out;
	out = hb_face_reference_blob(sub);
	data = hb_blob_get_data(out, &len);
	if (!data || len == 0)
		goto out;
	fd = memfd_create("wipecert-font", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (write(fd, data, len) != (ssize_t)len) {
		r = -EIO;
		close(fd);
		fd = -1;
		goto out;
	}
	*ret_size = len;
	r = fd;
out:
	hb_blob_destroy(out);
	hb_face_destroy(sub);
	hb_subset_input_destroy(in);
	hb_face_destroy(face);
	hb_blob_destroy(blob);
	return r;
}

/* libharu writes its ToUnicode map with a "cidrange" that poppler rejects;
 * since the CIDs are the Unicode code points (Identity-H over UTF-16),
 * write the map of the characters actually used instead. */
static int fix_tounicode(HPDF_Font font, hb_set_t *set)
{
	HPDF_Dict tu = HPDF_Dict_GetItem((HPDF_Dict)font, "ToUnicode", HPDF_OCLASS_DICT);
	hb_codepoint_t cp = HB_SET_VALUE_INVALID;
	char line[64];
	int n = 0;

	if (!tu || !tu->stream)
		return -ENOENT;
	HPDF_MemStream_FreeData(tu->stream);
	HPDF_Stream_WriteStr(tu->stream,
		"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
	/* bfchar blocks hold at most 100 entries each */
	while (hb_set_next(set, &cp)) {
		if (cp > 0xFFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			continue;
		if (n % 100 == 0) {
			unsigned left = 0;
			hb_codepoint_t c2 = cp;

			if (n)
				HPDF_Stream_WriteStr(tu->stream, "endbfchar\n");
			do
				if (c2 <= 0xFFFF && (c2 < 0xD800 || c2 > 0xDFFF))
					left++;
			while (left < 100 && hb_set_next(set, &c2));
			snprintf(line, sizeof(line), "%u beginbfchar\n", left);
			HPDF_Stream_WriteStr(tu->stream, line);
		}
		snprintf(line, sizeof(line), "<%04X> <%04X>\n", cp, cp);
		HPDF_Stream_WriteStr(tu->stream, line);
		n++;
	}
	if (n)
		HPDF_Stream_WriteStr(tu->stream, "endbfchar\n");
	HPDF_Stream_WriteStr(tu->stream,
		"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
	return 0;
}

/* The approver's signature line, from the attachment CERT_SIG_NAME. */
static const char *approver_sig(const struct cert_pdf_opts *o)
{
	static __thread char line[256];
	char *l = NULL;

	for (size_t i = 0; i < o->n_attachments; i++)
		if (streq(o->attachments[i].name, CERT_SIG_NAME) &&
		    cert_minisig_line(o->attachments[i].data, o->attachments[i].len, &l) == 0) {
			snprintf(line, sizeof(line), "%s", l);
			free(l);
			return line;
		}
	return NULL;
}

static int cmp_attachment(const void *x, const void *y)
{
	return strcmp(((const struct cert_attachment *)x)->name, ((const struct cert_attachment *)y)->name);
}

int cert_qr_payload(const struct cert_record *r, const char *approver_sig, char **ret)
{
	char hash[65];
	int k;

	k = cert_record_hash(r, hash);
	if (k < 0)
		return k;
	if (asprintf(ret, "WIPECERT1|%s|%s|%s", r->certificate_id, hash,
		     approver_sig && *approver_sig ? approver_sig : "-") < 0)
		return -ENOMEM;
	return 0;
}

static void hpdf_error(HPDF_STATUS e, HPDF_STATUS d, void *data)
{
	(void)e; (void)d;
	longjmp(*(jmp_buf *)data, 1);
}

static int add_string(HPDF_Doc pdf, HPDF_Dict d, const char *key, const char *value)
{
	HPDF_String s = HPDF_String_New(pdf->mmgr, value, NULL);

	return s && HPDF_Dict_Add(d, key, s) == HPDF_OK ? 0 : -ENOMEM;
}

/* The attachments: /Names /EmbeddedFiles in the catalog, each a file
 * specification with its (uncompressed) embedded file stream. */
static int add_attachments(HPDF_Doc pdf, const struct cert_attachment *a, size_t n, bool compress)
{
	HPDF_Dict names = HPDF_Dict_New(pdf->mmgr), ef = HPDF_Dict_New(pdf->mmgr);
	HPDF_Array arr = HPDF_Array_New(pdf->mmgr);

	if (!names || !ef || !arr)
		return -ENOMEM;
	HPDF_Dict_Add(pdf->catalog, "Names", names);
	HPDF_Dict_Add(names, "EmbeddedFiles", ef);
	HPDF_Dict_Add(ef, "Names", arr);
	/* a name tree's keys are sorted: callers pass them sorted */
	for (size_t i = 0; i < n; i++) {
		HPDF_Dict fs = HPDF_Dict_New(pdf->mmgr), efd = HPDF_Dict_New(pdf->mmgr), params;
		HPDF_Dict st = HPDF_DictStream_New(pdf->mmgr, pdf->xref);

		if (!fs || !efd || !st || HPDF_Xref_Add(pdf->xref, fs) != HPDF_OK)
			return -ENOMEM;
		HPDF_Dict_AddName(fs, "Type", "Filespec");
		add_string(pdf, fs, "F", a[i].name);
		add_string(pdf, fs, "UF", a[i].name);
		if (a[i].description)
			add_string(pdf, fs, "Desc", a[i].description);
		HPDF_Dict_AddName(fs, "AFRelationship", "Source");
		HPDF_Dict_Add(fs, "EF", efd);
		HPDF_Dict_Add(efd, "F", st);
		HPDF_Dict_AddName(st, "Type", "EmbeddedFile");
		params = HPDF_Dict_New(pdf->mmgr);
		if (!params)
			return -ENOMEM;
		HPDF_Dict_Add(st, "Params", params);
		HPDF_Dict_AddNumber(params, "Size", (HPDF_INT32)a[i].len);
		st->filter = compress ? HPDF_STREAM_FILTER_FLATE_DECODE : HPDF_STREAM_FILTER_NONE;
		if (a[i].len && HPDF_Stream_Write(st->stream, a[i].data, (HPDF_UINT)a[i].len) != HPDF_OK)
			return -ENOMEM;
		HPDF_Array_Add(arr, HPDF_String_New(pdf->mmgr, a[i].name, NULL));
		HPDF_Array_Add(arr, fs);
	}
	return 0;
}

/* An empty, invisible signature field on page 1: cert_pdf_sign fills it. */
static int add_signature_field(HPDF_Doc pdf, HPDF_Page page)
{
	HPDF_Dict form = HPDF_Dict_New(pdf->mmgr), field = HPDF_Dict_New(pdf->mmgr);
	HPDF_Array fields = HPDF_Array_New(pdf->mmgr), annots = HPDF_Array_New(pdf->mmgr);
	HPDF_Array rc = HPDF_Array_New(pdf->mmgr);

	if (!form || !field || !fields || !annots || !rc || HPDF_Xref_Add(pdf->xref, field) != HPDF_OK)
		return -ENOMEM;
	HPDF_Dict_AddName(field, "Type", "Annot");
	HPDF_Dict_AddName(field, "Subtype", "Widget");
	HPDF_Dict_AddName(field, "FT", "Sig");
	add_string(pdf, field, "T", "ApproverSignature");
	HPDF_Dict_AddNumber(field, "F", 132); /* print, locked */
	for (int i = 0; i < 4; i++)
		HPDF_Array_AddNumber(rc, 0);
	HPDF_Dict_Add(field, "Rect", rc);
	HPDF_Dict_Add(field, "P", page);
	HPDF_Array_Add(fields, field);
	HPDF_Dict_Add(form, "Fields", fields);
	HPDF_Dict_AddNumber(form, "SigFlags", 3);
	HPDF_Dict_Add(pdf->catalog, "AcroForm", form);
	HPDF_Array_Add(annots, field);
	HPDF_Dict_Add(page, "Annots", annots);
	return 0;
}

/* The libharu part. libharu reports errors through a callback; it jumps
 * back here, so everything that outlives the jump lives in *c. */
static int draw_and_save(struct ctx *c, const char *fontpath, const char *logo,
			 const struct cert_attachment *att, size_t n_att)
{
	jmp_buf jb;
	const char *font_name;
	HPDF_UINT32 sz, got;
	HPDF_STATUS st;

	c->pdf = HPDF_New(hpdf_error, &jb);
	if (!c->pdf)
		return -ENOMEM;
	if (setjmp(jb))
		return -EIO;
	/* text stays uncompressed (verify reads it); fonts and maps compressed */
	HPDF_SetCompressionMode(c->pdf, c->compress ? HPDF_COMP_TEXT | HPDF_COMP_METADATA : HPDF_COMP_METADATA);
	HPDF_UseUTFEncodings(c->pdf);
	HPDF_SetCurrentEncoder(c->pdf, "UTF-8");
	c->step = "cannot load the font";
	font_name = HPDF_LoadTTFontFromFile(c->pdf, fontpath, HPDF_TRUE);
	c->font = HPDF_GetFont(c->pdf, font_name, "UTF-8");
	if (fix_tounicode(c->font, c->chars) < 0)
		return -EIO;
	if (logo) {
		c->step = "cannot load the logo (PNG)";
		c->logo = HPDF_LoadPngImageFromFile(c->pdf, logo);
		((HPDF_Dict)c->logo)->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
	}
	c->step = "cannot draw the certificate";
	HPDF_SetInfoAttr(c->pdf, HPDF_INFO_TITLE, c->table ? c->table->title_en : c->sig_field ? "データ消去証明書 Certificate of Data Sanitization" :
			 "データ消去作業報告書 Sanitization session report");
	if (c->sig_field && c->r)
		HPDF_SetInfoAttr(c->pdf, HPDF_INFO_SUBJECT, c->r->certificate_id);
	if (c->r && c->r->organisation)
		HPDF_SetInfoAttr(c->pdf, HPDF_INFO_AUTHOR, c->r->organisation);
	HPDF_SetInfoAttr(c->pdf, HPDF_INFO_CREATOR, "wipecert " WIPECERT_VERSION);
	if (c->layout(c) < 0)
		return -ENOMEM;
	c->step = "cannot add the attachments";
	if ((n_att && add_attachments(c->pdf, att, n_att, c->compress) < 0) ||
	    (c->sig_field && add_signature_field(c->pdf, HPDF_GetPageByIndex(c->pdf, 0)) < 0))
		return -ENOMEM;
	c->step = "cannot save the PDF";
	HPDF_SaveToStream(c->pdf);
	sz = HPDF_GetStreamSize(c->pdf);
	c->out = malloc(sz ? sz : 1);
	if (!c->out)
		return -ENOMEM;
	HPDF_ResetStream(c->pdf);
	got = sz;
	st = HPDF_ReadFromStream(c->pdf, c->out, &got);
	if ((st != HPDF_OK && st != HPDF_STREAM_EOF) || got != sz)
		return -EIO;
	c->out_len = sz;
	return 0;
}

int cert_pdf_render(const struct cert_record *r, const struct cert_pdf_opts *o,
		    uint8_t **ret, size_t *ret_len, const char **ret_err)
{
	static const struct cert_pdf_opts none = { 0 };
	struct ctx c = { .r = r, .layout = cert_record_is_list(r) ? list_layout : layout, .sig_field = true,
			 .step = "cannot build the record", .compress = o && o->compress };
	_cleanup_free_ char *canon = NULL, *qr = NULL;
	_cleanup_free_ struct cert_attachment *att = NULL;
	char hash[65], fontpath[64];
	size_t canon_len, font_size;
	int fontfd = -1, k;

	if (!o)
		o = &none;
	k = cert_record_canonical(r, &canon, &canon_len);
	if (k >= 0)
		k = cert_record_hash(r, hash);
	if (k >= 0)
		k = cert_qr_payload(r, approver_sig(o), &qr);
	att = calloc(o->n_attachments + 1, sizeof(*att));
	if (k >= 0 && !att)
		k = -ENOMEM;
	if (k < 0)
		goto out;
	c.hash = hash;
	c.qr = qr;
	att[0] = (struct cert_attachment){ CERT_RECORD_NAME, (const uint8_t *)canon, canon_len,
					   "wipecert certificate record (canonical JSON)" };
	for (size_t i = 0; i < o->n_attachments; i++)
		att[i + 1] = o->attachments[i];
	/* a name tree's keys are sorted: handover.json comes before record.json */
	qsort(att, o->n_attachments + 1, sizeof(*att), cmp_attachment);

	/* pass 1: which characters are drawn */
	c.chars = c.collect = hb_set_create();
	for (uint32_t ch = 0x20; ch < 0x7f; ch++)
		hb_set_add(c.chars, ch);
	c.layout(&c);
	c.collect = NULL;
	c.step = "cannot subset the font";
	fontfd = k = subset_font(o->font_path ? o->font_path : CERT_DEFAULT_FONT, c.chars, &font_size);
	if (k < 0)
		goto out;
	snprintf(fontpath, sizeof(fontpath), "/proc/self/fd/%d", fontfd);
	/* pass 2: draw */
	k = draw_and_save(&c, fontpath, o->logo_png, att, o->n_attachments + 1);
	if (k >= 0) {
		*ret = TAKE_PTR(c.out);
		*ret_len = c.out_len;
	}
out:
	if (k < 0 && ret_err)
		*ret_err = c.step;
	free(c.out);
	if (c.pdf)
		HPDF_Free(c.pdf);
	hb_set_destroy(c.chars);
	if (fontfd >= 0)
		close(fontfd);
	return k < 0 ? k : 0;
}

/* Lay out once to collect the characters, subset the font to them, then
 * draw and save: the path every table-like document takes (the session
 * summary, the audit report). c->layout is called twice. */
static int render_collected(struct ctx *c, const char *font_path, const struct cert_attachment *att, size_t n_att,
			    uint8_t **ret, size_t *ret_len, const char **ret_err)
{
	char fontpath[64];
	size_t font_size;
	int fontfd, k;

	c->chars = c->collect = hb_set_create();
	for (uint32_t ch = 0x20; ch < 0x7f; ch++)
		hb_set_add(c->chars, ch);
	c->layout(c);
	c->collect = NULL;
	c->step = "cannot subset the font";
	fontfd = k = subset_font(font_path ? font_path : CERT_DEFAULT_FONT, c->chars, &font_size);
	if (k >= 0) {
		snprintf(fontpath, sizeof(fontpath), "/proc/self/fd/%d", fontfd);
		k = draw_and_save(c, fontpath, NULL, att, n_att);
	}
	if (k >= 0) {
		*ret = TAKE_PTR(c->out);
		*ret_len = c->out_len;
	}
	if (k < 0 && ret_err)
		*ret_err = c->step;
	free(c->out);
	if (c->pdf)
		HPDF_Free(c->pdf);
	hb_set_destroy(c->chars);
	if (fontfd >= 0)
		close(fontfd);
	return k < 0 ? k : 0;
}

int cert_pdf_render_summary(const struct cert_record *const *recs, size_t n, const char *host,
			    const char *font_path, uint8_t **ret, size_t *ret_len, const char **ret_err)
{
	struct ctx c = { .r = n ? recs[0] : NULL, .recs = recs, .n_recs = n, .host = host,
			 .layout = summary_layout, .step = "no certificates" };

	if (n == 0 || n > 10000) {
		if (ret_err)
			*ret_err = c.step;
		return -EINVAL;
	}
	return render_collected(&c, font_path, NULL, 0, ret, ret_len, ret_err);
}

int cert_pdf_render_table(const struct cert_table *t, const char *font_path, uint8_t **ret, size_t *ret_len,
			  const char **ret_err)
{
	struct ctx c = { .table = t, .layout = table_layout, .step = "a table needs 1 to 12 columns", .qr = t->qr,
			 .sig_field = t->signature_field };

	if (t->n_cols == 0 || t->n_cols > 12 || t->n_rows > 100000) {
		if (ret_err)
			*ret_err = c.step;
		return -EINVAL;
	}
	return render_collected(&c, font_path, t->attachments, t->n_attachments, ret, ret_len, ret_err);
}
