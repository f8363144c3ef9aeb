/* pdfparse.c - a small, bounded PDF reader (see pdfparse.h).
 * Never trusts a length or offset it read; never prints. */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "wipecert/pdfparse.h"
#include "wipecert/util.h"

#define MAX_DEPTH 24          /* nesting of arrays, dicts and reference hops */
#define MAX_ITEMS 100000      /* items in one array or dict */
#define MAX_OBJNUM 2000000
#define MAX_REVISIONS 64
#define ARENA_LIMIT (256u << 20)

struct lex {
	struct pdf_doc *d;
	size_t pos;
};

static void *arena_alloc(struct pdf_doc *d, size_t size)
{
	void *p;

	if (size > ARENA_LIMIT || d->used + size > ARENA_LIMIT) {
		d->error = "the file needs too much memory to parse";
		return NULL;
	}
	if (d->n_allocs == d->cap_allocs) {
		size_t ncap = d->cap_allocs ? d->cap_allocs * 2 : 256;
		void **n = realloc(d->allocs, ncap * sizeof(*n));

		if (!n)
			return NULL;
		d->allocs = n;
		d->cap_allocs = ncap;
	}
	p = calloc(1, size ? size : 1);
	if (!p)
		return NULL;
	d->allocs[d->n_allocs++] = p;
	d->used += size;
	return p;
}

static bool is_ws(uint8_t c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool is_delim(uint8_t c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' ||
	       c == '{' || c == '}' || c == '/' || c == '%';
}

static bool is_regular(uint8_t c)
{
	return !is_ws(c) && !is_delim(c);
}

static void skip_ws(struct lex *l)
{
	const uint8_t *b = l->d->buf;

	while (l->pos < l->d->len) {
		if (is_ws(b[l->pos]))
			l->pos++;
		else if (b[l->pos] == '%') {
			while (l->pos < l->d->len && b[l->pos] != '\n' && b[l->pos] != '\r')
				l->pos++;
		} else
			break;
	}
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A regular token (number, keyword) at pos: its length, 0 if none. */
static size_t word_len(const struct lex *l)
{
	size_t n = 0;

	while (l->pos + n < l->d->len && is_regular(l->d->buf[l->pos + n]) && n < 64)
		n++;
	return n;
}

static bool keyword_at(const struct lex *l, const char *kw)
{
	size_t n = strlen(kw);

	return l->pos + n <= l->d->len && memcmp(l->d->buf + l->pos, kw, n) == 0 &&
	       (l->pos + n == l->d->len || !is_regular(l->d->buf[l->pos + n]));
}

/* An unsigned integer token; false if there is none. */
static bool read_uint(struct lex *l, uint64_t *ret)
{
	size_t n = word_len(l);
	uint64_t v = 0;

	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = l->d->buf[l->pos + i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	l->pos += n;
	*ret = v;
	return true;
}

static struct pdf_obj *new_obj(struct pdf_doc *d, enum pdf_type t, size_t off)
{
	struct pdf_obj *o = arena_alloc(d, sizeof(*o));

	if (o) {
		o->type = t;
		o->off = off;
	}
	return o;
}

static struct pdf_obj *parse_obj(struct lex *l);

static bool parse_number(struct lex *l, struct pdf_obj *o)
{
	size_t n = word_len(l), i = 0;
	const uint8_t *b = l->d->buf + l->pos;
	bool neg = false, digits = false;
	int64_t v = 0;

	if (n == 0)
		return false;
	if (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-';
		i++;
	}
	for (; i < n && b[i] >= '0' && b[i] <= '9'; i++) {
		digits = true;
		if (v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (b[i] - '0');
	}
	if (i < n && b[i] == '.') {
		o->is_real = true;
		for (i++; i < n && b[i] >= '0' && b[i] <= '9'; i++)
			digits = true;
	}
	if (i != n || !digits)
		return false;
	o->type = PDF_NUM;
	o->i = neg ? -v : v;
	l->pos += n;
	return true;
}

static struct pdf_obj *parse_name(struct lex *l, size_t off)
{
	struct pdf_obj *o = new_obj(l->d, PDF_NAME, off);
	size_t start = ++l->pos, n = 0;
	char *s;

	if (!o)
		return NULL;
	while (l->pos < l->d->len && is_regular(l->d->buf[l->pos]))
		l->pos++;
	s = arena_alloc(l->d, l->pos - start + 1);
	if (!s)
		return NULL;
	for (size_t i = start; i < l->pos; i++) {
		uint8_t c = l->d->buf[i];

		if (c == '#' && i + 2 < l->pos && hexval(l->d->buf[i + 1]) >= 0 && hexval(l->d->buf[i + 2]) >= 0) {
			c = (uint8_t)(hexval(l->d->buf[i + 1]) * 16 + hexval(l->d->buf[i + 2]));
			i += 2;
		}
		s[n++] = (char)c;
	}
	o->s = s;
	o->len = n;
	return o;
}

static struct pdf_obj *parse_literal(struct lex *l, size_t off)
{
	struct pdf_obj *o = new_obj(l->d, PDF_STR, off);
	const uint8_t *b = l->d->buf;
	size_t start = ++l->pos, n = 0;
	int nest = 1;
	char *s;

	if (!o)
		return NULL;
	/* find the end first: the decoded string is never longer */
	for (size_t p = start; ; p++) {
		if (p >= l->d->len) {
			l->d->error = "unterminated string";
			return NULL;
		}
		if (b[p] == '\\') {
			p++;
			continue;
		}
		if (b[p] == '(')
			nest++;
		else if (b[p] == ')' && --nest == 0) {
			l->pos = p;
			break;
		}
	}
	s = arena_alloc(l->d, l->pos - start + 1);
	if (!s)
		return NULL;
	for (size_t p = start; p < l->pos; p++) {
		uint8_t c = b[p];

		if (c != '\\') {
			s[n++] = (char)c;
			continue;
		}
		c = b[++p];
		switch (c) {
		case 'n': s[n++] = '\n'; break;
		case 'r': s[n++] = '\r'; break;
		case 't': s[n++] = '\t'; break;
		case 'b': s[n++] = '\b'; break;
		case 'f': s[n++] = '\f'; break;
		case '\r':
			if (p + 1 < l->pos && b[p + 1] == '\n')
				p++;
			break;
		case '\n':
			break;
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0';

				for (int k = 0; k < 2 && p + 1 < l->pos && b[p + 1] >= '0' && b[p + 1] <= '7'; k++)
					v = v * 8 + (b[++p] - '0');
				s[n++] = (char)(v & 0xff);
			} else
				s[n++] = (char)c;
		}
	}
	l->pos++;
	o->s = s;
	o->len = n;
	o->end = l->pos;
	return o;
}

static struct pdf_obj *parse_hex(struct lex *l, size_t off)
{
	struct pdf_obj *o = new_obj(l->d, PDF_STR, off);
	const uint8_t *b = l->d->buf;
	size_t start = ++l->pos, end, n = 0;
	int hi = -1;
	char *s;

	if (!o)
		return NULL;
	end = start;
	while (end < l->d->len && b[end] != '>')
		end++;
	if (end >= l->d->len) {
		l->d->error = "unterminated hex string";
		return NULL;
	}
	s = arena_alloc(l->d, (end - start) / 2 + 2);
	if (!s)
		return NULL;
	for (size_t p = start; p < end; p++) {
		int v = hexval(b[p]);

		if (v < 0) {
			if (is_ws(b[p]))
				continue;
			l->d->error = "bad character in hex string";
			return NULL;
		}
		if (hi < 0)
			hi = v;
		else {
			s[n++] = (char)(hi * 16 + v);
			hi = -1;
		}
	}
	if (hi >= 0)
		s[n++] = (char)(hi * 16);
	o->s = s;
	o->len = n;
	o->hex = true;
	l->pos = end + 1;
	o->end = l->pos;
	return o;
}

static int push(struct pdf_doc *d, struct pdf_obj *o, struct pdf_obj *item, char *key, size_t *cap)
{
	if (o->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct pdf_obj **nv;
		char **nk = NULL;

		if (ncap > MAX_ITEMS) {
			d->error = "too many items in an array or dictionary";
			return -E2BIG;
		}
		nv = arena_alloc(d, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		if (o->n)
			memcpy(nv, o->v, o->n * sizeof(*nv));
		if (o->type == PDF_DICT) {
			nk = arena_alloc(d, ncap * sizeof(*nk));
			if (!nk)
				return -ENOMEM;
			if (o->n)
				memcpy(nk, o->k, o->n * sizeof(*nk));
			o->k = nk;
		}
		o->v = nv;
		*cap = ncap;
	}
	if (o->type == PDF_DICT)
		o->k[o->n] = key;
	o->v[o->n++] = item;
	return 0;
}

static struct pdf_obj *parse_array(struct lex *l, size_t off)
{
	struct pdf_obj *o = new_obj(l->d, PDF_ARRAY, off);
	size_t cap = 0;

	if (!o)
		return NULL;
	l->pos++;
	for (;;) {
		struct pdf_obj *it;

		skip_ws(l);
		if (l->pos >= l->d->len) {
			l->d->error = "unterminated array";
			return NULL;
		}
		if (l->d->buf[l->pos] == ']') {
			l->pos++;
			o->end = l->pos;
			return o;
		}
		it = parse_obj(l);
		if (!it || push(l->d, o, it, NULL, &cap) < 0)
			return NULL;
	}
}

static struct pdf_obj *parse_dict(struct lex *l, size_t off)
{
	struct pdf_obj *o = new_obj(l->d, PDF_DICT, off);
	size_t cap = 0;

	if (!o)
		return NULL;
	l->pos += 2;
	for (;;) {
		struct pdf_obj *key, *val;

		skip_ws(l);
		if (l->pos + 1 < l->d->len && l->d->buf[l->pos] == '>' && l->d->buf[l->pos + 1] == '>') {
			l->pos += 2;
			o->end = l->pos;
			return o;
		}
		if (l->pos >= l->d->len || l->d->buf[l->pos] != '/') {
			l->d->error = "dictionary key is not a name";
			return NULL;
		}
		key = parse_name(l, l->pos);
		if (!key)
			return NULL;
		skip_ws(l);
		val = parse_obj(l);
		if (!val || push(l->d, o, val, key->s, &cap) < 0)
			return NULL;
	}
}

static struct pdf_obj *parse_obj(struct lex *l)
{
	struct pdf_doc *d = l->d;
	struct pdf_obj *o = NULL;
	size_t off;
	uint8_t c;

	if (d->depth >= MAX_DEPTH) {
		d->error = "objects nested too deep";
		return NULL;
	}
	skip_ws(l);
	if (l->pos >= d->len) {
		d->error = "unexpected end of file";
		return NULL;
	}
	d->depth++;
	off = l->pos;
	c = d->buf[l->pos];
	if (c == '/')
		o = parse_name(l, off);
	else if (c == '(')
		o = parse_literal(l, off);
	else if (c == '[')
		o = parse_array(l, off);
	else if (c == '<' && l->pos + 1 < d->len && d->buf[l->pos + 1] == '<')
		o = parse_dict(l, off);
	else if (c == '<')
		o = parse_hex(l, off);
	else if (keyword_at(l, "true") || keyword_at(l, "false")) {
		o = new_obj(d, PDF_BOOL, off);
		if (o)
			o->b = d->buf[l->pos] == 't';
		l->pos += o && o->b ? 4 : 5;
	} else if (keyword_at(l, "null")) {
		o = new_obj(d, PDF_NULL, off);
		l->pos += 4;
	} else {
		o = new_obj(d, PDF_NUM, off);
		if (o && !parse_number(l, o)) {
			d->error = "unexpected token";
			o = NULL;
		}
		/* "num gen R" */
		if (o && !o->is_real && o->i >= 0) {
			struct lex save = *l;
			uint64_t gen;

			skip_ws(l);
			if (read_uint(l, &gen) && gen <= 65535) {
				skip_ws(l);
				if (keyword_at(l, "R") && o->i < MAX_OBJNUM) {
					l->pos++;
					o->type = PDF_REF;
					o->num = (uint32_t)o->i;
					o->gen = (uint32_t)gen;
				} else
					*l = save;
			} else
				*l = save;
		}
	}
	d->depth--;
	if (o && !o->end)
		o->end = l->pos;
	return o;
}

static bool eol_skip(struct lex *l)
{
	if (l->pos < l->d->len && l->d->buf[l->pos] == '\r')
		l->pos++;
	if (l->pos < l->d->len && l->d->buf[l->pos] == '\n') {
		l->pos++;
		return true;
	}
	return l->pos > 0 && l->d->buf[l->pos - 1] == '\r';
}

struct pdf_obj *pdf_parse_at(struct pdf_doc *d, size_t off)
{
	struct lex l = { d, off };
	struct pdf_obj *o, *len;
	uint64_t num, gen;

	if (off >= d->len)
		return NULL;
	skip_ws(&l);
	if (!read_uint(&l, &num)) {
		d->error = "no object at xref offset";
		return NULL;
	}
	skip_ws(&l);
	if (!read_uint(&l, &gen)) {
		d->error = "no object at xref offset";
		return NULL;
	}
	skip_ws(&l);
	if (!keyword_at(&l, "obj")) {
		d->error = "no object at xref offset";
		return NULL;
	}
	l.pos += 3;
	o = parse_obj(&l);
	if (!o)
		return NULL;
	skip_ws(&l);
	if (o->type == PDF_DICT && keyword_at(&l, "stream")) {
		l.pos += 6;
		if (!eol_skip(&l)) {
			d->error = "stream keyword not followed by end of line";
			return NULL;
		}
		len = pdf_get(d, o, "Length");
		if (!len || len->type != PDF_NUM || len->is_real || len->i < 0 ||
		    (uint64_t)len->i > d->len - l.pos) {
			d->error = "bad stream length";
			return NULL;
		}
		o->type = PDF_STREAM;
		o->data_off = l.pos;
		o->data_len = (size_t)len->i;
		l.pos += o->data_len;
		skip_ws(&l);
		if (!keyword_at(&l, "endstream")) {
			d->error = "stream length does not end at endstream";
			return NULL;
		}
		l.pos += 9;
		o->end = l.pos;
	}
	skip_ws(&l);
	if (!keyword_at(&l, "endobj")) {
		d->error = "object without endobj";
		return NULL;
	}
	return o;
}

struct pdf_obj *pdf_load(struct pdf_doc *d, uint32_t num)
{
	struct pdf_obj *o;

	if (num >= d->n_xref || d->xref[num] == 0 || d->xref[num] == SIZE_MAX)
		return NULL;
	if (num < d->n_cache && d->cache[num])
		return d->cache[num];
	if (d->depth >= MAX_DEPTH) {
		d->error = "references nested too deep";
		return NULL;
	}
	d->depth++;
	o = pdf_parse_at(d, d->xref[num]);
	d->depth--;
	if (o && d->n_cache < d->n_xref) {
		struct pdf_obj **n = realloc(d->cache, d->n_xref * sizeof(*n));

		if (n) {
			memset(n + d->n_cache, 0, (d->n_xref - d->n_cache) * sizeof(*n));
			d->cache = n;
			d->n_cache = d->n_xref;
		}
	}
	if (o && num < d->n_cache)
		d->cache[num] = o;
	return o;
}

struct pdf_obj *pdf_resolve(struct pdf_doc *d, struct pdf_obj *o)
{
	for (int hops = 0; o && o->type == PDF_REF; hops++) {
		if (hops > 8) {
			d->error = "reference chain too long";
			return NULL;
		}
		o = pdf_load(d, o->num);
	}
	return o;
}

struct pdf_obj *pdf_get(struct pdf_doc *d, const struct pdf_obj *dict, const char *key)
{
	if (!dict || (dict->type != PDF_DICT && dict->type != PDF_STREAM))
		return NULL;
	for (size_t i = 0; i < dict->n; i++)
		if (streq(dict->k[i], key))
			return pdf_resolve(d, dict->v[i]);
	return NULL;
}

struct pdf_obj *pdf_get_type(struct pdf_doc *d, const struct pdf_obj *dict, const char *key, enum pdf_type t)
{
	struct pdf_obj *o = pdf_get(d, dict, key);

	return o && o->type == t ? o : NULL;
}

bool pdf_name_is(const struct pdf_obj *o, const char *name)
{
	return o && o->type == PDF_NAME && streq(o->s, name);
}

int pdf_stream_raw(const struct pdf_doc *d, const struct pdf_obj *o, const uint8_t **ret, size_t *ret_len)
{
	if (!o || o->type != PDF_STREAM)
		return -EINVAL;
	for (size_t i = 0; i < o->n; i++)
		if (streq(o->k[i], "Filter") || streq(o->k[i], "DecodeParms"))
			return -ENOTSUP;
	*ret = d->buf + o->data_off;
	*ret_len = o->data_len;
	return 0;
}

int pdf_stream_data(struct pdf_doc *d, const struct pdf_obj *o, size_t max, const uint8_t **ret, size_t *ret_len)
{
	struct pdf_obj *f;
	z_stream z = { 0 };
	uint8_t *out;
	size_t cap;
	int zr;

	if (pdf_stream_raw(d, o, ret, ret_len) == 0)
		return *ret_len > max ? -EFBIG : 0;
	if (!o || o->type != PDF_STREAM || pdf_get(d, o, "DecodeParms"))
		return -ENOTSUP;
	f = pdf_get(d, o, "Filter");
	if (f && f->type == PDF_ARRAY && f->n == 1)
		f = pdf_resolve(d, f->v[0]);
	if (!pdf_name_is(f, "FlateDecode"))
		return -ENOTSUP;
	/* grown as it inflates: a small stream must not reserve max */
	cap = o->data_len * 4 + 256 < max ? o->data_len * 4 + 256 : max;
	out = malloc(cap + 1);
	if (!out || inflateInit(&z) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)(d->buf + o->data_off);
	z.avail_in = (uInt)o->data_len;
	for (;;) {
		z.next_out = out + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			zr = -EBADMSG;
			goto fail;
		}
		if (z.avail_out > 0) {
			/* no progress with room left: the data ended early */
			zr = -EBADMSG;
			goto fail;
		}
		if (cap >= max) {
			zr = -EFBIG;
			goto fail;
		}
		{
			size_t ncap = cap * 2 < max ? cap * 2 : max;
			uint8_t *n = realloc(out, ncap + 1);

			if (!n) {
				zr = -ENOMEM;
				goto fail;
			}
			out = n;
			cap = ncap;
		}
	}
	{
		uint8_t *a = arena_alloc(d, z.total_out + 1);

		if (!a) {
			zr = -ENOMEM;
			goto fail;
		}
		memcpy(a, out, z.total_out);
		*ret = a;
		*ret_len = z.total_out;
	}
	inflateEnd(&z);
	free(out);
	return 0;
fail:
	inflateEnd(&z);
	free(out);
	return zr;
}

/* One classic xref section at off; fills entries not set by newer ones. */
static int read_xref_section(struct pdf_doc *d, size_t off, struct pdf_obj **ret_trailer)
{
	struct lex l = { d, off };

	skip_ws(&l);
	if (!keyword_at(&l, "xref")) {
		d->error = "no xref table at startxref (xref streams are not supported)";
		return -EBADMSG;
	}
	l.pos += 4;
	for (;;) {
		uint64_t start, count;

		skip_ws(&l);
		if (keyword_at(&l, "trailer"))
			break;
		if (!read_uint(&l, &start) || (skip_ws(&l), !read_uint(&l, &count)) ||
		    start > MAX_OBJNUM || count > MAX_OBJNUM - start || count * 18 > d->len - l.pos) {
			d->error = "bad xref subsection";
			return -EBADMSG;
		}
		if (start + count > d->n_xref) {
			size_t *nx = realloc(d->xref, (start + count) * sizeof(*nx));

			if (!nx)
				return -ENOMEM;
			memset(nx + d->n_xref, 0, (start + count - d->n_xref) * sizeof(*nx));
			d->xref = nx;
			d->n_xref = (uint32_t)(start + count);
		}
		for (uint64_t i = 0; i < count; i++) {
			uint64_t o, g;
			bool used;

			skip_ws(&l);
			if (!read_uint(&l, &o) || (skip_ws(&l), !read_uint(&l, &g))) {
				d->error = "bad xref entry";
				return -EBADMSG;
			}
			skip_ws(&l);
			if (keyword_at(&l, "n"))
				used = true;
			else if (keyword_at(&l, "f"))
				used = false;
			else {
				d->error = "bad xref entry";
				return -EBADMSG;
			}
			l.pos++;
			if (d->xref[start + i])
				continue; /* a newer section has it */
			if (used && (o == 0 || o >= d->len)) {
				d->error = "xref offset outside the file";
				return -EBADMSG;
			}
			d->xref[start + i] = used ? (size_t)o : SIZE_MAX;
		}
	}
	l.pos += 7;
	*ret_trailer = parse_obj(&l);
	if (!*ret_trailer || (*ret_trailer)->type != PDF_DICT) {
		d->error = "bad trailer";
		return -EBADMSG;
	}
	return 0;
}

int pdf_open(struct pdf_doc *d, const uint8_t *buf, size_t len)
{
	size_t seen[MAX_REVISIONS], tail, p, off;
	struct lex l;
	uint64_t sx;

	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->len = len;
	if (len < 32 || memcmp(buf, "%PDF-", 5) != 0) {
		d->error = "not a PDF file (no %PDF- header)";
		return -EBADMSG;
	}
	/* the last "startxref" in the last KB */
	tail = len > 1024 ? len - 1024 : 0;
	for (p = len - 9; ; p--) {
		if (memcmp(buf + p, "startxref", 9) == 0)
			break;
		if (p == tail) {
			d->error = "no startxref at the end of the file (truncated?)";
			return -EBADMSG;
		}
	}
	l = (struct lex){ d, p + 9 };
	skip_ws(&l);
	if (!read_uint(&l, &sx) || sx >= len) {
		d->error = "bad startxref";
		return -EBADMSG;
	}
	while (l.pos < len && is_ws(buf[l.pos]))
		l.pos++;
	if (!(l.pos + 5 <= len && memcmp(buf + l.pos, "%%EOF", 5) == 0)) {
		d->error = "no %EOF after startxref (truncated?)";
		return -EBADMSG;
	}
	d->startxref = (size_t)sx;
	off = d->startxref;
	for (;;) {
		struct pdf_obj *t, *prev;
		int r;

		for (unsigned i = 0; i < d->revisions; i++)
			if (seen[i] == off) {
				d->error = "xref /Prev loop";
				return -EBADMSG;
			}
		if (d->revisions == MAX_REVISIONS) {
			d->error = "too many revisions";
			return -EBADMSG;
		}
		seen[d->revisions++] = off;
		r = read_xref_section(d, off, &t);
		if (r < 0)
			return r == -ENOMEM ? r : -EBADMSG;
		if (!d->trailer)
			d->trailer = t;
		prev = NULL;
		for (size_t i = 0; i < t->n; i++)
			if (streq(t->k[i], "Prev"))
				prev = t->v[i];
		if (!prev)
			break;
		if (prev->type != PDF_NUM || prev->is_real || prev->i <= 0 || (uint64_t)prev->i >= len) {
			d->error = "bad /Prev";
			return -EBADMSG;
		}
		off = (size_t)prev->i;
	}
	return 0;
}

void pdf_close(struct pdf_doc *d)
{
	for (size_t i = 0; i < d->n_allocs; i++)
		free(d->allocs[i]);
	free(d->allocs);
	free(d->xref);
	free(d->cache);
	d->allocs = NULL;
	d->xref = NULL;
	d->cache = NULL;
	d->n_cache = 0;
	d->n_allocs = d->cap_allocs = 0;
	d->n_xref = 0;
}
