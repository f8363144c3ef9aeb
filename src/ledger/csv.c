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

/* Asset IDs seen in this file, with their line: a small open hash table. */
struct seen {
	char **id;
	unsigned long *line;
	size_t cap, n;
};

static size_t seen_slot(const struct seen *t, const char *id)
{
	size_t h = 5381;

	for (const char *p = id; *p; p++)
		h = h * 33 + (unsigned char)*p;
	h &= t->cap - 1;
	while (t->id[h] && !streq(t->id[h], id))
		h = (h + 1) & (t->cap - 1);
	return h;
}

static int seen_grow(struct seen *t)
{
	struct seen n = { .cap = t->cap ? t->cap * 2 : 1024 };

	n.id = calloc(n.cap, sizeof(*n.id));
	n.line = calloc(n.cap, sizeof(*n.line));
	if (!n.id || !n.line) {
		free(n.id);
		free(n.line);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->cap; i++)
		if (t->id[i]) {
			size_t s = seen_slot(&n, t->id[i]);

			n.id[s] = t->id[i];
			n.line[s] = t->line[i];
			n.n++;
		}
	free(t->id);
	free(t->line);
	*t = n;
	return 0;
}

/* 0 and adds it if new; else the line it was first seen on. */
static int seen_add(struct seen *t, const char *id, unsigned long line, unsigned long *ret_first)
{
	size_t s;

	if ((t->n + 1) * 2 > t->cap && seen_grow(t) < 0)
		return -ENOMEM;
	s = seen_slot(t, id);
	if (t->id[s]) {
		*ret_first = t->line[s];
		return 1;
	}
	t->id[s] = strdup(id);
	if (!t->id[s])
		return -ENOMEM;
	t->line[s] = line;
	t->n++;
	return 0;
}

static void seen_free(struct seen *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->id[i]);
	free(t->id);
	free(t->line);
}

static const char *why_bad(enum ledger_field f)
{
	switch (f) {
	case LEDGER_F_ASSET_ID: return "empty or too long asset ID";
	case LEDGER_F_IMPORTANCE: return "bad importance class (want 1, 2 or 3)";
	case LEDGER_F_STATUS: return "bad status";
	case LEDGER_F_CAPACITY: return "bad capacity (bytes, or a size like 500GB)";
	default: return "control characters in";
	}
}

static int import_rows(struct ledger *l, const char *text, const struct ledger_import_opts *o,
		       struct ledger_import_report *rep)
{
	struct record rec = {};
	struct seen seen = {};
	int col[128];
	size_t ncols, pos = 0;
	unsigned long line = 1, rline;
	bool have[_LEDGER_F_MAX] = {};
	uint64_t first_seq;
	int r;

	r = csv_next(text, &pos, &line, &rec, rep);
	if (r <= 0) {
		if (r == 0)
			r = report_error(rep, 1, "empty file: no header line");
		goto out;
	}
	ncols = rec.n;
	if (ncols > ARRAY_SIZE(col)) {
		r = report_error(rep, 1, "too many columns (%zu)", ncols);
		goto out;
	}
	for (size_t c = 0; c < ncols; c++) {
		enum ledger_field f;
		char *h = strstrip(rec.f[c]);

		/* spreadsheets write empty columns after the table: ignored, as
		 * long as nothing is in them */
		if (!*h) {
			col[c] = -1;
			continue;
		}
		if (ledger_field_from_header(rec.f[c], &f) < 0) {
			r = report_error(rep, 1, "unknown column '%s' (see docs/ledger.md for the names)", rec.f[c]);
			goto out;
		}
		if (have[f]) {
			r = report_error(rep, 1, "column '%s' given twice (as %s)", rec.f[c], ledger_field_name(f));
			goto out;
		}
		have[f] = true;
		col[c] = (int)f;
	}
	if (!have[LEDGER_F_ASSET_ID]) {
		r = report_error(rep, 1, "no asset ID column (asset_id / 資産番号)");
		goto out;
	}

	r = ledger_tx_begin(l);
	if (r < 0)
		goto out;
	first_seq = l->head_seq + 1;
	for (;;) {
		struct ledger_asset a = {}, old = {};
		unsigned long first;
		const char *action;
		_cleanup_free_ char *changes = NULL;

		rline = line;
		r = csv_next(text, &pos, &line, &rec, rep);
		if (r < 0)
			goto rollback;
		if (r == 0)
			break;
		if (record_blank(&rec))
			continue;
		rep->rows++;
		if (rec.n != ncols) {
			r = report_error(rep, rline, "%zu fields, the header has %zu", rec.n, ncols);
			goto rollback;
		}
		/* the ID first: every other message names it */
		for (size_t c = 0; c < ncols; c++)
			if (col[c] == LEDGER_F_ASSET_ID && ledger_asset_set(&a, LEDGER_F_ASSET_ID, rec.f[c]) < 0) {
				r = report_error(rep, rline, "empty or too long asset ID");
				goto rollback;
			}
		r = seen_add(&seen, a.v[LEDGER_F_ASSET_ID], rline, &first);
		if (r != 0) {
			if (r > 0)
				r = report_error(rep, rline, "duplicate asset ID '%s' (first on line %lu)",
						 a.v[LEDGER_F_ASSET_ID], first);
			ledger_asset_clear(&a);
			goto rollback;
		}
		r = ledger_asset_get(l, a.v[LEDGER_F_ASSET_ID], &old);
		if (r == 0 && !o->update) {
			report_error(rep, rline, "asset ID '%s' is already in the ledger (--update changes it)",
				     a.v[LEDGER_F_ASSET_ID]);
			r = -EEXIST;
			goto row_fail;
		}
		if (r == 0) {
			ledger_asset_clear(&a);
			r = ledger_asset_copy(&old, &a);
			if (r < 0)
				goto row_fail;
		} else if (r != -ENOENT)
			goto row_fail;
		for (size_t c = 0; c < ncols; c++) {
			enum ledger_field f = (enum ledger_field)col[c];

			if (col[c] < 0) {
				if (*strstrip(rec.f[c])) {
					r = report_error(rep, rline, "asset %s: a value in column %zu, which has no header",
							 a.v[LEDGER_F_ASSET_ID], c + 1);
					goto row_fail;
				}
				continue;
			}
			if (f == LEDGER_F_ASSET_ID)
				continue;
			/* an empty status keeps the old one (or in-service) */
			if (f == LEDGER_F_STATUS && !*rec.f[c])
				continue;
			if (ledger_asset_set(&a, f, rec.f[c]) < 0) {
				r = report_error(rep, rline, "asset %s: %s %s '%s'", a.v[LEDGER_F_ASSET_ID],
						 why_bad(f), ledger_field_name(f), rec.f[c]);
				goto row_fail;
			}
		}
		if (!old.v[LEDGER_F_ASSET_ID]) {
			r = ledger_asset_check_new(&a);
			if (r == 0)
				r = ledger_insert_tx(l, &a, o->actor, o->reason, NULL);
			action = "add";
			if (r == 0)
				rep->added++;
			if (o->row)
				changes = ledger_diff_json(NULL, &a);
		} else {
			r = ledger_update_tx(l, &old, &a, o->actor, o->reason, NULL);
			action = r > 0 ? "update" : "unchanged";
			if (r > 0)
				rep->updated++;
			else if (r == 0)
				rep->unchanged++;
			if (o->row && r > 0)
				changes = ledger_diff_json(&old, &a);
		}
		if (r < 0) {
			if (!rep->error_line)
				report_error(rep, rline, "asset %s: %s", a.v[LEDGER_F_ASSET_ID], strerror(-r));
			goto row_fail;
		}
		if (o->row)
			o->row(rline, a.v[LEDGER_F_ASSET_ID], action, changes, o->userdata);
		ledger_asset_clear(&a);
		ledger_asset_clear(&old);
		continue;
row_fail:
		ledger_asset_clear(&a);
		ledger_asset_clear(&old);
		goto rollback;
	}
	if (o->dry_run) {
		ledger_tx_rollback(l);
		r = 0;
	} else {
		/* one transaction: its events are one run of the chain */
		uint64_t first = first_seq, last = l->head_seq;

		r = ledger_tx_commit(l);
		if (r == 0 && last >= first) {
			rep->first_seq = first;
			rep->last_seq = last;
		}
	}
	goto out;
rollback:
	ledger_tx_rollback(l);
out:
	record_free(&rec);
	seen_free(&seen);
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

static void csv_put(FILE *out, const char *v)
{
	size_t n;

	if (!v)
		return;
	n = strlen(v);
	if (strpbrk(v, ",\"\r\n") || (n && (v[0] == ' ' || v[n - 1] == ' '))) {
		fputc('"', out);
		for (const char *p = v; *p; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		fputc('"', out);
	} else
		fputs(v, out);
}

static int export_csv_row(const struct ledger_asset *a, void *userdata)
{
	FILE *out = userdata;

	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		if (f)
			fputc(',', out);
		csv_put(out, a->v[f]);
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
		else if ((f == LEDGER_F_CAPACITY || f == LEDGER_F_IMPORTANCE) && parse_u64(v, &n) == 0)
			j = json_integer((json_int_t)n);
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
	return json_pack("{s:I, s:s, s:s, s:o?, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}",
			 "seq", (json_int_t)e->seq, "asset_id", e->asset_id ?: "", "kind", e->kind ?: "",
			 "changes", changes, "changes_text", e->changes ?: "",
			 "state_hash", e->state_hash ?: "", "actor", e->actor ?: "", "reason", e->reason ?: "",
			 "time_utc", e->time_utc ?: "", "time_local", e->time_local ?: "",
			 "prev_hash", e->prev_hash ?: "", "hash", e->hash ?: "",
			 "key_id", e->key_id, "signature", sig);
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

int ledger_export(struct ledger *l, FILE *out, const struct ledger_export_opts *o)
{
	struct json_ctx c = { .out = out, .first = true };
	int r;

	if (o->format == LEDGER_EXPORT_CSV) {
		if (o->bom)
			fputs("\xef\xbb\xbf", out);
		for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
			if (f)
				fputc(',', out);
			csv_put(out, ledger_field_header(f, o->japanese));
		}
		fputs("\r\n", out);
		r = ledger_asset_list(l, NULL, export_csv_row, out);
		if (r < 0)
			return r;
		return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
	}

	/* one read snapshot, so assets and events agree */
	r = ledger_sql_err(sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL));
	if (r < 0)
		return r;
	fprintf(out, "{\n  \"schema_version\": %d,\n  \"assets\": [", LEDGER_SCHEMA_VERSION);
	r = ledger_asset_list(l, NULL, export_json_asset, &c);
	if (r < 0)
		goto out;
	fputs(c.first ? "]" : "\n  ]", out);
	if (o->events) {
		c.first = true;
		fputs(",\n  \"events\": [", out);
		r = ledger_history(l, NULL, export_json_event, &c);
		if (r < 0)
			goto out;
		fputs(c.first ? "]" : "\n  ]", out);
	}
	fputs("\n}\n", out);
	r = fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
out:
	sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	return r;
}
