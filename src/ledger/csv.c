/* csv.c - CSV in and out of the ledger: spreadsheets' UTF-8 (with or without
 * BOM) and Shift_JIS/CP932, header-mapped columns, one transaction per
 * import; CSV and JSON export.
 *
 * It must never write part of an import: any bad row rolls the whole file
 * back and names its line.
 */
#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ledger-internal.h"
#include "wipecert/util.h"

int ledger_encoding_from_string(const char *s, enum ledger_encoding *ret)
{
	if (!s)
		return -EINVAL;
	if (streq(s, "auto"))
		*ret = LEDGER_ENC_AUTO;
	else if (strcasecmp(s, "utf-8") == 0 || strcasecmp(s, "utf8") == 0)
		*ret = LEDGER_ENC_UTF8;
	else if (strcasecmp(s, "cp932") == 0 || strcasecmp(s, "shift_jis") == 0 ||
		 strcasecmp(s, "sjis") == 0 || strcasecmp(s, "windows-31j") == 0)
		*ret = LEDGER_ENC_CP932;
	else
		return -EINVAL;
	return 0;
}

const char *ledger_encoding_name(enum ledger_encoding e)
{
	switch (e) {
	case LEDGER_ENC_UTF8: return "utf-8";
	case LEDGER_ENC_CP932: return "cp932";
	default: return "auto";
	}
}

static unsigned long line_of(const char *s, size_t off)
{
	unsigned long line = 1;

	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

_printf_(3, 4)
static int report_error(struct ledger_import_report *rep, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	rep->error_line = line;
	va_start(ap, fmt);
	vsnprintf(rep->error, sizeof(rep->error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Decode the file to UTF-8 (without BOM) into *ret, NUL-terminated. */
static int decode(const char *data, size_t len, enum ledger_encoding enc,
		  struct ledger_import_report *rep, char **ret)
{
	size_t bad;
	char *out;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		if (enc == LEDGER_ENC_CP932)
			return report_error(rep, 1, "the file starts with a UTF-8 BOM but cp932 was asked for");
		data += 3;
		len -= 3;
		enc = LEDGER_ENC_UTF8;
	}
	if (memchr(data, '\0', len))
		return report_error(rep, line_of(data, (size_t)((const char *)memchr(data, '\0', len) - data)),
				    "NUL byte: not a text file");
	bad = ledger_utf8_check((const uint8_t *)data, len);
	if (enc == LEDGER_ENC_AUTO)
		enc = bad == len ? LEDGER_ENC_UTF8 : LEDGER_ENC_CP932;
	rep->encoding = enc;
	if (enc == LEDGER_ENC_UTF8) {
		if (bad != len)
			return report_error(rep, line_of(data, bad), "not valid UTF-8 (try --encoding cp932)");
		out = strndup(data, len);
		if (!out)
			return -ENOMEM;
		*ret = out;
		return 0;
	}

	iconv_t cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1)
		return -errno;
	size_t cap = len * 3 / 2 + 16, inleft = len, outleft = cap;
	char *in = (char *)data, *o;

	out = malloc(cap + 1);
	if (!out) {
		iconv_close(cd);
		return -ENOMEM;
	}
	o = out;
	while (inleft > 0) {
		if (iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			size_t used = (size_t)(o - out);
			char *n = realloc(out, cap * 2 + 1);

			if (!n) {
				free(out);
				iconv_close(cd);
				return -ENOMEM;
			}
			out = n;
			cap *= 2;
			o = out + used;
			outleft = cap - used;
			continue;
		}
		free(out);
		iconv_close(cd);
		return report_error(rep, line_of(data, (size_t)(in - data)), "not valid cp932 (Shift_JIS)");
	}
	iconv_close(cd);
	*o = '\0';
	*ret = out;
	return 0;
}

/* One CSV record: fields point into a private copy. */
struct record {
	char **f;
	size_t n, cap;
	char *buf;
	size_t blen, bcap;
	size_t *start; /* offsets of fields in buf (buf moves while growing) */
};

static void record_free(struct record *r)
{
	free(r->f);
	free(r->buf);
	free(r->start);
}

static int rec_putc(struct record *r, char c)
{
	if (r->blen + 1 >= r->bcap) {
		size_t n = r->bcap ? r->bcap * 2 : 256;
		char *b = realloc(r->buf, n);

		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->bcap = n;
	}
	r->buf[r->blen++] = c;
	return 0;
}

static int rec_field(struct record *r)
{
	if (r->n + 1 >= r->cap) {
		size_t n = r->cap ? r->cap * 2 : 16;
		size_t *s = realloc(r->start, n * sizeof(*s));

		if (!s)
			return -ENOMEM;
		r->start = s;
		char **f = realloc(r->f, n * sizeof(*f));
		if (!f)
			return -ENOMEM;
		r->f = f;
		r->cap = n;
	}
	r->start[r->n++] = r->blen;
	return 0;
}

/* Parse the record at *pos; *line is the physical line it starts on and is
 * advanced past it. Returns 1 with a record, 0 at the end. */
static int csv_next(const char *s, size_t *pos, unsigned long *line, struct record *r,
		    struct ledger_import_report *rep)
{
	size_t i = *pos;
	unsigned long start_line = *line;
	bool quoted = false, was_quoted = false;
	int k;

	r->n = 0;
	r->blen = 0;
	if (!s[i])
		return 0;
	if ((k = rec_field(r)) < 0)
		return k;
	for (;; i++) {
		char c = s[i];

		if (quoted) {
			if (!c)
				return report_error(rep, start_line, "quoted field not closed");
			if (c == '"') {
				if (s[i + 1] == '"') {
					i++;
					if ((k = rec_putc(r, '"')) < 0)
						return k;
				} else
					quoted = false;
				continue;
			}
			if (c == '\r' && s[i + 1] == '\n')
				continue; /* a line break inside a cell is LF, as typed */
			if (c == '\n')
				(*line)++;
			if ((k = rec_putc(r, c)) < 0)
				return k;
			continue;
		}
		if (c == '"' && r->blen == r->start[r->n - 1] && !was_quoted) {
			quoted = was_quoted = true;
			continue;
		}
		if (c == ',' || c == '\n' || c == '\0' || (c == '\r' && (s[i + 1] == '\n' || !s[i + 1]))) {
			if ((k = rec_putc(r, '\0')) < 0)
				return k;
			if (c == ',') {
				if ((k = rec_field(r)) < 0)
					return k;
				was_quoted = false;
				continue;
			}
			if (c == '\r')
				i++;
			if (s[i] == '\n') {
				i++;
				(*line)++;
			}
			break;
		}
		if (was_quoted)
			return report_error(rep, *line, "text after a closing quote");
		if ((k = rec_putc(r, c)) < 0)
			return k;
	}
	for (size_t f = 0; f < r->n; f++)
		r->f[f] = r->buf + r->start[f];
	*pos = i;
	return 1;
}

/* An empty line, or one of only commas as spreadsheets write empty rows. */
static bool record_blank(const struct record *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (*strstrip(r->f[i]))
			return false;
	return true;
}

static const char *why_bad(enum ledger_field f)
{
	switch (f) {
	case LEDGER_F_ASSET_ID: return "empty or too long asset ID";
	case LEDGER_F_IMPORTANCE: return "bad importance class (want 1, 2 or 3)";
	case LEDGER_F_STATUS: return "bad status";
	case LEDGER_F_CAPACITY: return "bad capacity (bytes, or a size like 500GB)";
	case LEDGER_F_ACQUIRED: case LEDGER_F_LEASE_START: case LEDGER_F_LEASE_END: case LEDGER_F_RETENTION:
	case LEDGER_F_RETURN_DUE:
		return "bad date (2024-04-01, 2024/4/1, 令和6年4月1日, R6.4.1) in";
	case LEDGER_F_CONFIDENTIALITY: case LEDGER_F_THREAT: return "bad level (want 1, 2 or 3) in";
	case LEDGER_F_INTEGRITY: case LEDGER_F_AVAILABILITY: return "bad level (want 1 or 2) in";
	case LEDGER_F_EXTRA: return "not a JSON object of texts:";
	default: return "control characters in";
	}
}

/* One import: the file, its columns, and the asset IDs met so far. */
struct import {
	const char *text;
	const struct ledger_import_opts *o;
	struct ledger_import_report *rep;
	struct record rec;
	size_t pos;
	unsigned long line;
	int col[128];              /* field of each column, or LEDGER_MAP_IGNORE / _EXTRA */
	bool empty_header[128];    /* ignored because it has no header: must stay empty */
	char *extra_name[128];     /* an extra column's header, the attribute's name */
	size_t ncols;
	struct ledger_idmap seen;  /* asset ID -> the line it was first on */
};

static void header_seen(struct import *im, size_t c, const char *h, const char *how)
{
	const char *target = im->col[c] >= 0 ? ledger_field_name((enum ledger_field)im->col[c]) :
			     im->col[c] == LEDGER_MAP_EXTRA ? "extra" : "ignored";

	if (im->o->column)
		im->o->column(c, h, target, how, im->o->userdata);
}

/* The header line: every column a known field (or mapped, ignored, kept as
 * an extra attribute), none twice, an asset ID. */
static int read_header(struct import *im)
{
	bool have[_LEDGER_F_MAX] = {};
	int r;

	r = csv_next(im->text, &im->pos, &im->line, &im->rec, im->rep);
	if (r <= 0)
		return r == 0 ? report_error(im->rep, 1, "empty file: no header line") : r;
	im->ncols = im->rec.n;
	if (im->ncols > ARRAY_SIZE(im->col))
		return report_error(im->rep, 1, "too many columns (%zu)", im->ncols);
	for (size_t c = 0; c < im->ncols; c++) {
		enum ledger_field f;
		char *h = strstrip(im->rec.f[c]);

		int t;

		/* spreadsheets write empty columns after the table: ignored, as
		 * long as nothing is in them */
		if (!*h) {
			im->col[c] = LEDGER_MAP_IGNORE;
			im->empty_header[c] = true;
			header_seen(im, c, h, "empty");
			continue;
		}
		/* the map first: their 資産名 may be our asset_name, or nothing */
		if (ledger_csv_map_lookup(im->o->map, h, &t) == 0) {
			im->col[c] = t;
			if (t == LEDGER_MAP_EXTRA && !(im->extra_name[c] = strdup(h)))
				return -ENOMEM;
			if (t >= 0 && have[t])
				return report_error(im->rep, 1, "column '%s' given twice (as %s)", h,
						    ledger_field_name((enum ledger_field)t));
			if (t >= 0)
				have[t] = true;
			header_seen(im, c, h, "map");
			continue;
		}
		if (ledger_field_from_header(h, &f) < 0) {
			if (!im->o->keep_unknown)
				return report_error(im->rep, 1, "unknown column '%s': map it in a --map file "
						    "([csv] %s = FIELD, %s = ignore or %s = extra), or keep every "
						    "unknown column as an attribute with --keep-unknown", h, h, h, h);
			im->col[c] = LEDGER_MAP_EXTRA;
			if (!(im->extra_name[c] = strdup(h)))
				return -ENOMEM;
			header_seen(im, c, h, "keep-unknown");
			continue;
		}
		if (have[f])
			return report_error(im->rep, 1, "column '%s' given twice (as %s)", h, ledger_field_name(f));
		have[f] = true;
		im->col[c] = (int)f;
		header_seen(im, c, h, "header");
	}
	for (size_t c = 0; c < im->ncols; c++)
		for (size_t d = c + 1; im->extra_name[c] && d < im->ncols; d++)
			if (im->extra_name[d] && streq(im->extra_name[c], im->extra_name[d]))
				return report_error(im->rep, 1, "column '%s' given twice (as an extra attribute)",
						    im->extra_name[c]);
	if (!have[LEDGER_F_ASSET_ID])
		return report_error(im->rep, 1, "no asset ID column (asset_id / 資産番号)");
	return 0;
}

/* The row's asset ID, new in this file: the first thing every message names. */
static int row_asset_id(struct import *im, unsigned long rline, struct ledger_asset *a)
{
	unsigned long *first;
	int r;

	for (size_t c = 0; c < im->ncols; c++)
		if (im->col[c] == LEDGER_F_ASSET_ID &&
		    ledger_asset_set(a, LEDGER_F_ASSET_ID, csv_unguard(im->rec.f[c])) < 0)
			return report_error(im->rep, rline, "empty or too long asset ID");
	r = ledger_idmap_get(&im->seen, a->v[LEDGER_F_ASSET_ID], true, (void **)&first);
	if (r < 0)
		return r;
	if (r > 0)
		return report_error(im->rep, rline, "duplicate asset ID '%s' (first on line %lu)",
				    a->v[LEDGER_F_ASSET_ID], *first);
	*first = rline;
	return 0;
}

/* The extra columns' cells into the asset's attributes: a named
 * attribute per column, over what it had (an empty cell leaves it). */
static int row_extras(struct import *im, unsigned long rline, struct ledger_asset *a)
{
	json_t *j = NULL;
	char *text;
	bool any = false;
	int r;

	for (size_t c = 0; c < im->ncols; c++)
		any |= im->col[c] == LEDGER_MAP_EXTRA && *strstrip(im->rec.f[c]);
	if (!any)
		return 0;
	j = a->v[LEDGER_F_EXTRA] ? json_loads(a->v[LEDGER_F_EXTRA], 0, NULL) : json_object();
	if (!json_is_object(j)) {
		json_decref(j);
		return report_error(im->rep, rline, "asset %s: its extra attributes are not a JSON object",
				    a->v[LEDGER_F_ASSET_ID]);
	}
	for (size_t c = 0; c < im->ncols; c++) {
		const char *v = csv_unguard(strstrip(im->rec.f[c]));

		if (im->col[c] != LEDGER_MAP_EXTRA || !*v)
			continue;
		if (json_object_set_new(j, im->extra_name[c], json_string(v)) < 0) {
			json_decref(j);
			return report_error(im->rep, rline, "asset %s: column '%s': not UTF-8 text",
					    a->v[LEDGER_F_ASSET_ID], im->extra_name[c]);
		}
	}
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		return -ENOMEM;
	r = ledger_asset_set(a, LEDGER_F_EXTRA, text);
	free(text);
	if (r < 0)
		return report_error(im->rep, rline, "asset %s: control characters in an extra attribute",
				    a->v[LEDGER_F_ASSET_ID]);
	return 0;
}

/* The guideline's 機密性 and our importance class agree as the policy maps
 * them: a row with a level but no class gets the class; a class less
 * strict than the level's is refused (which one is wrong is for a person
 * to say). */
static int row_class(struct import *im, unsigned long rline, struct ledger_asset *a)
{
	const char *cv = a->v[LEDGER_F_CONFIDENTIALITY];
	char why[200];
	int r;

	if (!cv)
		return 0;
	r = ledger_asset_hold_class(a, ledger_csv_map_class_of(im->o->map, cv[0] - '0'), why, sizeof(why));
	if (r == -EPERM)
		return report_error(im->rep, rline, "%s", why);
	return r;
}

/* The row's cells onto a (the stored asset, or a new one). */
static int row_fields(struct import *im, unsigned long rline, struct ledger_asset *a)
{
	int r;

	for (size_t c = 0; c < im->ncols; c++) {
		enum ledger_field f = (enum ledger_field)im->col[c];
		const char *v = csv_unguard(im->rec.f[c]);

		if (im->col[c] < 0) {
			if (im->empty_header[c] && *strstrip(im->rec.f[c]))
				return report_error(im->rep, rline, "asset %s: a value in column %zu, which has no header",
						    a->v[LEDGER_F_ASSET_ID], c + 1);
			continue;
		}
		/* the ID is set; an empty status keeps the old one (or in-service) */
		if (f == LEDGER_F_ASSET_ID || (f == LEDGER_F_STATUS && !*v))
			continue;
		v = ledger_csv_map_translate(im->o->map, f, v);
		if (ledger_asset_set(a, f, v) < 0)
			return report_error(im->rep, rline, "asset %s: %s %s '%s'", a->v[LEDGER_F_ASSET_ID],
					    why_bad(f), ledger_field_name(f), v);
	}
	r = row_extras(im, rline, a);
	if (r >= 0)
		r = row_class(im, rline, a);
	return r;
}

/* Insert or update the row's asset; report what was done. */
static int row_store(struct ledger *l, struct import *im, unsigned long rline, const struct ledger_asset *old,
		     struct ledger_asset *a)
{
	const struct ledger_import_opts *o = im->o;
	_cleanup_free_ char *changes = NULL;
	const char *action;
	int r;

	if (!old->v[LEDGER_F_ASSET_ID]) {
		r = ledger_asset_check_new(a);
		if (r == 0)
			r = ledger_insert_tx(l, a, o->actor, o->reason, NULL);
		action = "add";
		if (r == 0)
			im->rep->added++;
		if (o->row)
			changes = ledger_diff_json(NULL, a);
	} else {
		r = ledger_update_by_tx(l, old, a, LC_BY_EDIT, o->actor, o->reason, NULL);
		action = r & LEDGER_REQUESTED ? "request" : r > 0 ? "update" : "unchanged";
		if (r > 0 && (r & LEDGER_UPDATED))
			im->rep->updated++;
		if (r > 0 && (r & LEDGER_REQUESTED))
			im->rep->requested++;
		if (r == 0)
			im->rep->unchanged++;
		if (o->row && r > 0)
			changes = ledger_diff_json(old, a);
	}
	if (r == -ENOTUNIQ) {
		struct ledger_asset other = {};

		ledger_asset_find_identity(l, a->v[LEDGER_F_SERIAL], a->v[LEDGER_F_WWN], &other);
		report_error(im->rep, rline, "asset %s: its serial or WWN is already asset %s's (one entry per disk)",
			     a->v[LEDGER_F_ASSET_ID], other.v[LEDGER_F_ASSET_ID] ?: "?");
		ledger_asset_clear(&other);
		return -EINVAL;
	}
	if (r == -EPERM && *ledger_last_error()) {
		/* the lifecycle table's refusal names the asset and the rule */
		report_error(im->rep, rline, "%s", ledger_last_error());
		return -EINVAL;
	}
	if (r < 0) {
		if (!im->rep->error_line)
			report_error(im->rep, rline, "asset %s: %s", a->v[LEDGER_F_ASSET_ID], strerror(-r));
		return r;
	}
	if (o->row)
		o->row(rline, a->v[LEDGER_F_ASSET_ID], action, changes, o->userdata);
	return 0;
}

static int import_row(struct ledger *l, struct import *im, unsigned long rline)
{
	struct ledger_asset a = {}, old = {};
	int r;

	im->rep->rows++;
	if (im->rec.n != im->ncols)
		return report_error(im->rep, rline, "%zu fields, the header has %zu", im->rec.n, im->ncols);
	r = row_asset_id(im, rline, &a);
	if (r < 0)
		goto out;
	r = ledger_get_tx(l, a.v[LEDGER_F_ASSET_ID], &old);
	if (r == 0 && !im->o->update) {
		report_error(im->rep, rline, "asset ID '%s' is already in the ledger (--update changes it)",
			     a.v[LEDGER_F_ASSET_ID]);
		r = -EEXIST;
		goto out;
	}
	if (r == 0) {
		ledger_asset_clear(&a);
		r = ledger_asset_copy(&old, &a);
	} else if (r == -ENOENT)
		r = 0;
	if (r >= 0)
		r = row_fields(im, rline, &a);
	if (r >= 0)
		r = row_store(l, im, rline, &old, &a);
out:
	ledger_asset_clear(&a);
	ledger_asset_clear(&old);
	return r;
}

/* The IDs, serials and WWNs of every row, for the store to fetch at once
 * what the rows will ask it (a PostgreSQL ledger: one round trip, not a
 * few a row). A bad row is left for the rows' own pass to name. */
static int prefetch_rows(struct ledger *l, const struct import *im)
{
	struct ledger_import_report quiet = {};
	struct import pre = { .text = im->text, .rep = &quiet, .pos = im->pos, .line = im->line };
	char **v[3] = {};
	size_t n = 0, cap = 0;
	int r;

	while ((r = csv_next(pre.text, &pre.pos, &pre.line, &pre.rec, pre.rep)) > 0) {
		struct ledger_asset a = {};

		if (pre.rec.n != im->ncols || record_blank(&pre.rec))
			continue;
		for (size_t c = 0; c < im->ncols; c++)
			if (im->col[c] == LEDGER_F_ASSET_ID || im->col[c] == LEDGER_F_SERIAL || im->col[c] == LEDGER_F_WWN)
				ledger_asset_set(&a, (enum ledger_field)im->col[c], csv_unguard(pre.rec.f[c]));
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			for (int k = 0; k < 3; k++) {
				char **g = realloc(v[k], cap * sizeof(*g));

				if (!g) {
					r = -ENOMEM;
					break;
				}
				v[k] = g;
			}
		}
		if (r < 0) {
			ledger_asset_clear(&a);
			break;
		}
		v[0][n] = TAKE_PTR(a.v[LEDGER_F_ASSET_ID]);
		v[1][n] = TAKE_PTR(a.v[LEDGER_F_SERIAL]);
		v[2][n] = TAKE_PTR(a.v[LEDGER_F_WWN]);
		n++;
		ledger_asset_clear(&a);
	}
	/* a row that does not parse: the rows' own pass says where */
	if (r < 0 && r != -ENOMEM)
		r = 0;
	if (r >= 0)
		r = ledger_prefetch_tx(l, (const char *const *)v[0], (const char *const *)v[1],
				       (const char *const *)v[2], n);
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < n; i++)
			free(v[k][i]);
		free(v[k]);
	}
	record_free(&pre.rec);
	return r < 0 ? r : 0;
}

/* The rows, in one write transaction: its events are one run of the chain,
 * and the first bad row rolls everything back. */
static int import_tx(struct ledger *l, void *ctx)
{
	struct import *im = ctx;
	unsigned long rline;
	int r;

	r = prefetch_rows(l, im);
	if (r < 0)
		return r;
	for (;;) {
		rline = im->line;
		r = csv_next(im->text, &im->pos, &im->line, &im->rec, im->rep);
		if (r <= 0)
			break;
		if (record_blank(&im->rec))
			continue;
		r = import_row(l, im, rline);
		if (r < 0)
			break;
	}
	if (r >= 0 && im->o->dry_run)
		ledger_tx_discard(l);
	return r;
}

static int import_rows(struct ledger *l, const char *text, const struct ledger_import_opts *o,
		       struct ledger_import_report *rep)
{
	struct import im = { .text = text, .o = o, .rep = rep, .line = 1,
			     .seen = { .vsize = sizeof(unsigned long) } };
	int r;

	r = read_header(&im);
	if (r >= 0)
		r = ledger_tx_write(l, import_tx, &im);
	record_free(&im.rec);
	ledger_idmap_free(&im.seen, NULL);
	for (size_t c = 0; c < ARRAY_SIZE(im.extra_name); c++)
		free(im.extra_name[c]);
	return r;
}

int ledger_import_csv_data(struct ledger *l, const char *data, size_t len,
			   const struct ledger_import_opts *o, struct ledger_import_report *ret)
{
	struct ledger_import_report rep = {};
	_cleanup_free_ char *text = NULL;
	int r;

	r = decode(data, len, o->encoding, &rep, &text);
	if (r == 0)
		r = import_rows(l, text, o, &rep);
	if (r == 0 || rep.error_line)
		*ret = rep;
	return r;
}

int ledger_import_csv(struct ledger *l, const char *path, const struct ledger_import_opts *o,
		      struct ledger_import_report *ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t len;
	int r;

	r = read_full_file(path, &data, &len);
	if (r < 0)
		return r;
	return ledger_import_csv_data(l, (const char *)data, len, o, ret);
}

/* ---- export ---- */

static int export_csv_row(const struct ledger_asset *a, void *userdata)
{
	FILE *out = userdata;

	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		if (f)
			fputc(',', out);
		csv_put_cell(out, a->v[f]);
	}
	fputs("\r\n", out);
	return ferror(out) ? -EIO : 0;
}

json_t *ledger_asset_to_json(const struct ledger_asset *a)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		const char *v = a->v[f];
		json_t *j;
		uint64_t n;

		if (!v)
			j = json_null();
		else if ((f == LEDGER_F_CAPACITY || f == LEDGER_F_IMPORTANCE || f == LEDGER_F_CONFIDENTIALITY ||
			  f == LEDGER_F_INTEGRITY || f == LEDGER_F_AVAILABILITY || f == LEDGER_F_THREAT) &&
			 parse_u64(v, &n) == 0)
			j = json_integer((json_int_t)n);
		else if (f == LEDGER_F_EXTRA)
			j = json_loads(v, 0, NULL) ?: json_string(v);
		else
			j = json_string(v);
		if (json_object_set_new(o, ledger_field_name(f), j) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static bool is_sig_text(const uint8_t *s, size_t len)
{
	static const char prefix[] = "untrusted comment: ";

	return len > sizeof(prefix) && memcmp(s, prefix, sizeof(prefix) - 1) == 0 &&
	       ledger_utf8_check(s, len) == len && !memchr(s, '\0', len);
}

json_t *ledger_event_to_json(const struct ledger_event *e)
{
	json_t *changes = json_loads(e->changes ? e->changes : "null", 0, NULL);
	_cleanup_free_ char *sig = NULL;

	/* what the trust layer stores is minisign's text: export it as such,
	 * so an auditor can write it to a .minisig file; other bytes in hex */
	if (e->signature && e->signature_len && is_sig_text(e->signature, e->signature_len)) {
		sig = strndup((const char *)e->signature, e->signature_len);
		if (!sig) {
			json_decref(changes);
			return NULL;
		}
	} else if (e->signature && e->signature_len) {
		sig = malloc(e->signature_len * 2 + 1);
		if (!sig) {
			json_decref(changes);
			return NULL;
		}
		hex_encode(e->signature, e->signature_len, sig);
	}
	json_t *o = json_pack("{s:I, s:s, s:s, s:o?, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}",
			      "seq", (json_int_t)e->seq, "asset_id", e->asset_id ?: "", "kind", e->kind ?: "",
			      "changes", changes, "changes_text", e->changes ?: "",
			      "state_hash", e->state_hash ?: "", "actor", e->actor ?: "", "reason", e->reason ?: "",
			      "time_utc", e->time_utc ?: "", "time_local", e->time_local ?: "",
			      "prev_hash", e->prev_hash ?: "", "hash", e->hash ?: "",
			      "key_id", e->key_id, "signature", sig);

	/* a batch signature names the first event it covers */
	if (o && e->covers_from && json_object_set_new(o, "covers_from", json_integer((json_int_t)e->covers_from)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct json_ctx {
	FILE *out;
	bool first;
};

/* One array element a line, so that a million events stream out. */
static int put_item(struct json_ctx *c, json_t *o)
{
	int r;

	if (!o)
		return -ENOMEM;
	fputs(c->first ? "\n    " : ",\n    ", c->out);
	c->first = false;
	r = json_dumpf(o, c->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return r < 0 ? -EIO : 0;
}

static int export_json_asset(const struct ledger_asset *a, void *userdata)
{
	return put_item(userdata, ledger_asset_to_json(a));
}

static int export_json_event(const struct ledger_event *e, void *userdata)
{
	return put_item(userdata, ledger_event_to_json(e));
}

struct export_ctx {
	FILE *out;
	const struct ledger_export_opts *o;
};

static int export_csv(struct ledger *l, struct export_ctx *x)
{
	FILE *out = x->out;
	int r;

	if (x->o->bom)
		fputs("\xef\xbb\xbf", out);
	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		if (f)
			fputc(',', out);
		csv_put_cell(out, ledger_field_header(f, x->o->japanese));
	}
	fputs("\r\n", out);
	r = ledger_asset_list(l, NULL, export_csv_row, out);
	if (r < 0)
		return r;
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

static int export_json(struct ledger *l, struct export_ctx *x)
{
	struct json_ctx c = { .out = x->out, .first = true };
	FILE *out = x->out;
	int r;

	fprintf(out, "{\n  \"schema_version\": %d,\n  \"assets\": [", LEDGER_SCHEMA_VERSION);
	r = ledger_asset_list(l, NULL, export_json_asset, &c);
	if (r < 0)
		return r;
	fputs(c.first ? "]" : "\n  ]", out);
	if (x->o->events) {
		c.first = true;
		fputs(",\n  \"events\": [", out);
		r = ledger_history(l, NULL, export_json_event, &c);
		if (r < 0)
			return r;
		fputs(c.first ? "]" : "\n  ]", out);
	}
	fputs("\n}\n", out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

static int export_tx(struct ledger *l, void *ctx)
{
	struct export_ctx *x = ctx;

	return x->o->format == LEDGER_EXPORT_CSV ? export_csv(l, x) : export_json(l, x);
}

int ledger_export(struct ledger *l, FILE *out, const struct ledger_export_opts *o)
{
	struct export_ctx x = { out, o };

	/* one read snapshot, so assets and events agree */
	return ledger_tx_read(l, export_tx, &x);
}
