/* pagetext.c - the text a page shows, as `verify` compares it with the
 * record: one line a text object (BT .. ET), each string decoded through
 * its font's ToUnicode map, surrogate pairs included (𠮷 is drawn with the
 * fallback font at a Private Use code: fonts.h).
 *
 * It reads files nobody vouches for: every count is bounded, unknown
 * operators are skipped, and it never follows anything outside the page's
 * own font resources. A font without a readable (unfiltered) ToUnicode
 * map is read the way certificates before the fallback font were written:
 * its 2-byte codes are the characters.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ustring.h>

#include "wipecert/pdfparse.h"
#include "wipecert/util.h"
#include "internal.h"

#define MAX_FONTS 32
#define MAX_UNITS 4           /* UTF-16 units one code may stand for */
#define MAX_LINE 8192         /* UTF-16 units a text object may hold */

struct umap {
	uint16_t code;
	uint8_t n;
	UChar u[MAX_UNITS];
};

struct font {
	const char *name;
	struct umap *map;     /* sorted by code; NULL: codes are characters */
	size_t n;
};

struct lex {
	const uint8_t *s;
	size_t len, i;
};

enum tok { T_END, T_HEX, T_NAME, T_NUM, T_OP, T_LBRACK, T_RBRACK, T_OTHER };

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

static bool is_delim(uint8_t c)
{
	return strchr("()<>[]{}/%", c) != NULL;
}

/* The next token; T_HEX, T_NAME, T_NUM and T_OP give their bytes. */
static enum tok next(struct lex *l, const uint8_t **ret, size_t *ret_len)
{
	size_t st;

	for (;;) {
		while (l->i < l->len && is_space(l->s[l->i]))
			l->i++;
		if (l->i < l->len && l->s[l->i] == '%') {
			while (l->i < l->len && l->s[l->i] != '\n' && l->s[l->i] != '\r')
				l->i++;
			continue;
		}
		break;
	}
	if (l->i >= l->len)
		return T_END;
	st = l->i;
	switch (l->s[l->i]) {
	case '<':
		if (l->i + 1 < l->len && l->s[l->i + 1] == '<') {
			l->i += 2;
			return T_OTHER;
		}
		while (l->i < l->len && l->s[l->i] != '>')
			l->i++;
		*ret = l->s + st + 1;
		*ret_len = l->i - st - 1;
		l->i++;
		return T_HEX;
	case '>':
		l->i += l->i + 1 < l->len && l->s[l->i + 1] == '>' ? 2 : 1;
		return T_OTHER;
	case '(': {
		unsigned depth = 0;

		/* a literal string: skipped (the renderer writes hex) */
		for (; l->i < l->len; l->i++) {
			if (l->s[l->i] == '\\')
				l->i++;
			else if (l->s[l->i] == '(')
				depth++;
			else if (l->s[l->i] == ')' && --depth == 0)
				break;
		}
		l->i++;
		return T_OTHER;
	}
	case '[':
		l->i++;
		return T_LBRACK;
	case ']':
		l->i++;
		return T_RBRACK;
	case '/':
		l->i++;
		st = l->i;
		while (l->i < l->len && !is_space(l->s[l->i]) && !is_delim(l->s[l->i]))
			l->i++;
		*ret = l->s + st;
		*ret_len = l->i - st;
		return T_NAME;
	default:
		while (l->i < l->len && !is_space(l->s[l->i]) && !is_delim(l->s[l->i]))
			l->i++;
		if (l->i == st) {
			l->i++;
			return T_OTHER;
		}
		*ret = l->s + st;
		*ret_len = l->i - st;
		return strchr("0123456789+-.", l->s[st]) ? T_NUM : T_OP;
	}
}

static bool op_is(const uint8_t *p, size_t n, const char *op)
{
	return n == strlen(op) && memcmp(p, op, n) == 0;
}

/* <hex> to bytes (whitespace skipped, an odd last digit padded with 0, as
 * PDF says); at most out_len bytes; -1 on a bad digit. */
static int hex_bytes(const uint8_t *h, size_t n, uint8_t *out, size_t out_len)
{
	size_t k = 0;
	int hi = -1;

	for (size_t i = 0; i < n; i++) {
		int v = hex_value(h[i]);

		if (is_space(h[i]))
			continue;
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (k == out_len)
			return -1;
		out[k++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) {
		if (k == out_len)
			return -1;
		out[k++] = (uint8_t)(hi << 4);
	}
	return (int)k;
}

static int umap_cmp(const void *a, const void *b)
{
	const struct umap *x = a, *y = b;

	return (int)x->code - (int)y->code;
}

static int umap_add(struct font *f, size_t *cap, unsigned code, const uint8_t *dst, int dst_len)
{
	struct umap *e;

	if (code > 0xFFFF || dst_len < 2 || dst_len % 2 || dst_len > 2 * MAX_UNITS)
		return 0;       /* not a mapping this reader keeps */
	if (f->n == *cap) {
		struct umap *m;

		if (*cap >= 0x10000)
			return -E2BIG;
		*cap = *cap ? *cap * 2 : 256;
		m = reallocarray(f->map, *cap, sizeof(*m));
		if (!m)
			return -ENOMEM;
		f->map = m;
	}
	e = &f->map[f->n++];
	e->code = (uint16_t)code;
	e->n = (uint8_t)(dst_len / 2);
	for (int i = 0; i < e->n; i++)
		e->u[i] = (UChar)(dst[2 * i] << 8 | dst[2 * i + 1]);
	return 0;
}

/* bfchar and bfrange entries of a ToUnicode CMap with 2-byte codes. */
static int parse_tounicode(struct font *f, const uint8_t *s, size_t len)
{
	struct lex l = { s, len, 0 };
	const uint8_t *p;
	size_t n, cap = 0;
	enum tok t;
	int r = 0;

	f->map = NULL;
	f->n = 0;
	while (r >= 0 && (t = next(&l, &p, &n)) != T_END) {
		bool chars, ranges;

		if (t != T_OP)
			continue;
		chars = op_is(p, n, "beginbfchar");
		ranges = op_is(p, n, "beginbfrange");
		while (r >= 0 && (chars || ranges)) {
			uint8_t src[2], hi[2], dst[2 * MAX_UNITS];
			int sl, hl = 2, dl;

			t = next(&l, &p, &n);
			if (t != T_HEX)
				break;          /* endbfchar, endbfrange, or junk */
			sl = hex_bytes(p, n, src, sizeof(src));
			if (ranges) {
				if (next(&l, &p, &n) != T_HEX)
					break;
				hl = hex_bytes(p, n, hi, sizeof(hi));
			}
			t = next(&l, &p, &n);
			if (t == T_LBRACK) {
				/* a range onto an array of strings: one each */
				unsigned code = sl == 2 ? (unsigned)src[0] << 8 | src[1] : 0x10000;

				while ((t = next(&l, &p, &n)) == T_HEX && r >= 0) {
					dl = hex_bytes(p, n, dst, sizeof(dst));
					if (sl == 2 && dl > 0)
						r = umap_add(f, &cap, code++, dst, dl);
				}
				continue;
			}
			if (t != T_HEX)
				break;
			dl = hex_bytes(p, n, dst, sizeof(dst));
			if (sl != 2 || hl != 2 || dl < 2)
				continue;
			if (chars) {
				r = umap_add(f, &cap, (unsigned)src[0] << 8 | src[1], dst, dl);
			} else {
				unsigned lo = (unsigned)src[0] << 8 | src[1], top = (unsigned)hi[0] << 8 | hi[1];

				/* the last unit counts up through the range */
				for (unsigned c = lo; c <= top && r >= 0; c++) {
					r = umap_add(f, &cap, c, dst, dl);
					if (++dst[dl - 1] == 0)
						dst[dl - 2]++;
				}
			}
		}
	}
	if (r < 0) {
		free(f->map);
		f->map = NULL;
		f->n = 0;
		return r;
	}
	if (f->map)
		qsort(f->map, f->n, sizeof(*f->map), umap_cmp);
	return 0;
}

/* The page's fonts, by resource name, with their maps. */
static size_t load_fonts(struct pdf_doc *d, struct pdf_obj *page, struct font *fonts)
{
	struct pdf_obj *res = pdf_get_type(d, page, "Resources", PDF_DICT);
	struct pdf_obj *fd = pdf_get_type(d, res, "Font", PDF_DICT);
	size_t n = 0;

	for (size_t i = 0; fd && i < fd->n && n < MAX_FONTS; i++) {
		struct pdf_obj *font = pdf_resolve(d, fd->v[i]), *tu;
		const uint8_t *data;
		size_t len;

		if (!font || font->type != PDF_DICT)
			continue;
		fonts[n] = (struct font){ .name = fd->k[i] };
		tu = pdf_get(d, font, "ToUnicode");
		if (tu && pdf_stream_raw(d, tu, &data, &len) == 0 && parse_tounicode(&fonts[n], data, len) < 0)
			continue;
		n++;
	}
	return n;
}

static const struct font *font_named(const struct font *fonts, size_t n, const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(fonts[i].name) == len && memcmp(fonts[i].name, name, len) == 0)
			return &fonts[i];
	return NULL;
}

struct line {
	UChar u[MAX_LINE];
	int32_t n;
};

static void put_unit(struct line *ln, UChar u)
{
	if (ln->n < MAX_LINE)
		ln->u[ln->n++] = u;
}

/* A shown string's 2-byte codes through the font's map. */
static void show(struct line *ln, const struct font *f, const uint8_t *hex, size_t n)
{
	_cleanup_free_ uint8_t *b = malloc(n / 2 + 1);
	int got = b ? hex_bytes(hex, n, b, n / 2 + 1) : -1;

	for (int i = 0; i + 1 < got; i += 2) {
		struct umap key = { .code = (uint16_t)(b[i] << 8 | b[i + 1]) };
		const struct umap *e;

		if (!f || !f->map) {
			put_unit(ln, key.code);
			continue;
		}
		e = bsearch(&key, f->map, f->n, sizeof(*f->map), umap_cmp);
		if (!e) {
			put_unit(ln, 0xFFFD);
			continue;
		}
		for (int j = 0; j < e->n; j++)
			put_unit(ln, e->u[j]);
	}
}

/* Append the line as UTF-8 and a newline (bad UTF-16 becomes U+FFFD). */
static int flush(struct line *ln, char **out, size_t *len, size_t *cap)
{
	UErrorCode err = U_ZERO_ERROR;
	size_t need = *len + (size_t)ln->n * 3 + 2;
	int32_t got = 0;

	if (need > *cap) {
		char *p = realloc(*out, need * 2);

		if (!p)
			return -ENOMEM;
		*out = p;
		*cap = need * 2;
	}
	u_strToUTF8WithSub(*out + *len, (int32_t)(*cap - *len - 2), &got, ln->u, ln->n, 0xFFFD, NULL, &err);
	if (U_FAILURE(err))
		got = 0;
	*len += (size_t)got;
	(*out)[(*len)++] = '\n';
	(*out)[*len] = '\0';
	ln->n = 0;
	return 0;
}

int cert_page_text(struct pdf_doc *d, struct pdf_obj *page, bool decode, char **ret)
{
	struct pdf_obj *cs = page ? pdf_get(d, page, "Contents") : NULL;
	struct font fonts[MAX_FONTS];
	const struct font *cur = NULL;
	_cleanup_free_ struct line *ln = calloc(1, sizeof(*ln));
	const uint8_t *data, *p, *name = NULL, *str = NULL;
	size_t len, n, name_len = 0, str_len = 0, n_fonts, out_len = 0, cap = 0;
	char *out = NULL;
	bool in_text = false, in_array = false;
	struct lex l;
	enum tok t;
	int r = 0;

	if (!cs || cs->type != PDF_STREAM ||
	    (decode ? pdf_stream_data(d, cs, 16u << 20, &data, &len) : pdf_stream_raw(d, cs, &data, &len)) < 0)
		return -EBADMSG;
	if (!ln)
		return -ENOMEM;
	n_fonts = load_fonts(d, page, fonts);
	l = (struct lex){ data, len, 0 };
	out = strdup("");
	if (!out)
		r = -ENOMEM;
	while (r >= 0 && (t = next(&l, &p, &n)) != T_END) {
		switch (t) {
		case T_NAME:
			name = p;
			name_len = n;
			break;
		case T_HEX:
			if (in_array)
				show(ln, cur, p, n);    /* TJ: each string in turn */
			str = p;
			str_len = n;
			break;
		case T_LBRACK:
			in_array = true;
			break;
		case T_RBRACK:
			in_array = false;
			break;
		case T_OP:
			if (op_is(p, n, "Tf"))
				cur = name ? font_named(fonts, n_fonts, name, name_len) : NULL;
			else if (op_is(p, n, "Tj") || op_is(p, n, "'") || op_is(p, n, "\"")) {
				if (str)
					show(ln, cur, str, str_len);
				if (!in_text)
					r = flush(ln, &out, &out_len, &cap);
			} else if (op_is(p, n, "BT")) {
				in_text = true;
			} else if (op_is(p, n, "ET")) {
				in_text = false;
				r = flush(ln, &out, &out_len, &cap);
			}
			/* an operator consumes its operands */
			name = str = NULL;
			break;
		default:
			break;
		}
	}
	if (r >= 0 && ln->n)
		r = flush(ln, &out, &out_len, &cap);
	for (size_t i = 0; i < n_fonts; i++)
		free(fonts[i].map);
	if (r < 0) {
		free(out);
		return r;
	}
	*ret = out;
	return 0;
}
