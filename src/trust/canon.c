/* canon.c - canonical JSON: the exact bytes wipecert signs.
 *
 * Its job: one byte string per document (sorted keys, no white space,
 * integers only, UTF-8 in NFC). It must never emit a value two readers
 * could disagree on, so reals and invalid text are refused, not rounded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "wipecert/canon.h"
#include "wipecert/util.h"

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (b->len + len + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static int buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF, no NUL. */
static bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p, n;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if ((size_t)(end - p) <= n)
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

static bool all_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* NFC of valid UTF-8 s into *ret (malloc'd). */
static int nfc(const char *s, size_t len, char **ret, size_t *ret_len)
{
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *n = unorm2_getNFCInstance(&err);
	_cleanup_free_ UChar *u = NULL, *v = NULL;
	_cleanup_free_ char *out = NULL;
	int32_t ulen = 0, vlen, olen = 0;

	if (U_FAILURE(err))
		return -ENOTSUP;
	if (len > INT32_MAX / 4)
		return -E2BIG;
	u = malloc((len + 1) * sizeof(UChar));
	if (!u)
		return -ENOMEM;
	u_strFromUTF8(u, (int32_t)len + 1, &ulen, s, (int32_t)len, &err);
	if (U_FAILURE(err))
		return -EILSEQ;
	if (unorm2_isNormalized(n, u, ulen, &err) && U_SUCCESS(err)) {
		out = strndup(s, len);
		if (!out)
			return -ENOMEM;
		*ret_len = len;
		*ret = TAKE_PTR(out);
		return 0;
	}
	err = U_ZERO_ERROR;
	/* NFC of a string is at most 3x its UTF-16 length */
	v = malloc(((size_t)ulen * 3 + 1) * sizeof(UChar));
	if (!v)
		return -ENOMEM;
	vlen = unorm2_normalize(n, u, ulen, v, ulen * 3 + 1, &err);
	if (U_FAILURE(err))
		return -EILSEQ;
	out = malloc((size_t)vlen * 3 + 1);
	if (!out)
		return -ENOMEM;
	u_strToUTF8(out, vlen * 3 + 1, &olen, v, vlen, &err);
	if (U_FAILURE(err))
		return -EILSEQ;
	*ret_len = (size_t)olen;
	*ret = TAKE_PTR(out);
	return 0;
}

bool canon_text_ok(const char *s, size_t len)
{
	_cleanup_free_ char *n = NULL;
	size_t nlen;

	if (!utf8_valid(s, len))
		return false;
	if (all_ascii(s, len))
		return true;
	if (nfc(s, len, &n, &nlen) < 0)
		return false;
	return nlen == len && memcmp(n, s, len) == 0;
}

/* Valid UTF-8 to its NFC form; ASCII passes unchanged without a copy. */
static int text_nfc(const char *s, size_t len, char **ret_alloc, const char **ret, size_t *ret_len)
{
	if (!utf8_valid(s, len))
		return -EILSEQ;
	if (all_ascii(s, len)) {
		*ret_alloc = NULL;
		*ret = s;
		*ret_len = len;
		return 0;
	}
	int r = nfc(s, len, ret_alloc, ret_len);
	if (r < 0)
		return r;
	*ret = *ret_alloc;
	return 0;
}

static int emit_string(struct buf *b, const char *s, size_t len)
{
	_cleanup_free_ char *alloc = NULL;
	const char *t;
	size_t tlen, start = 0;
	int r;

	r = text_nfc(s, len, &alloc, &t, &tlen);
	if (r < 0)
		return r;
	r = buf_addc(b, '"');
	for (size_t i = 0; r >= 0 && i < tlen; i++) {
		unsigned char c = (unsigned char)t[i];
		char esc[8];
		const char *e = NULL;

		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				e = esc;
			}
		}
		if (!e)
			continue;
		r = buf_add(b, t + start, i - start);
		if (r >= 0)
			r = buf_add(b, e, strlen(e));
		start = i + 1;
	}
	if (r >= 0)
		r = buf_add(b, t + start, tlen - start);
	if (r >= 0)
		r = buf_addc(b, '"');
	return r;
}

struct member {
	char *alloc;
	const char *key;
	size_t len;
	json_t *value;
};

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int emit(struct buf *b, const json_t *v, unsigned depth);

static int emit_object(struct buf *b, const json_t *v, unsigned depth)
{
	size_t n = json_object_size(v), i = 0;
	struct member *m;
	const char *key;
	json_t *value;
	int r = 0;

	m = calloc(n ? n : 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	json_object_foreach((json_t *)v, key, value) {
		r = text_nfc(key, strlen(key), &m[i].alloc, &m[i].key, &m[i].len);
		if (r < 0)
			goto out;
		m[i++].value = value;
	}
	qsort(m, n, sizeof(*m), member_cmp);
	r = buf_addc(b, '{');
	for (i = 0; r >= 0 && i < n; i++) {
		/* two keys that differ only in normalisation would collide */
		if (i > 0 && member_cmp(&m[i - 1], &m[i]) == 0) {
			r = -EINVAL;
			break;
		}
		if (i > 0)
			r = buf_addc(b, ',');
		if (r >= 0)
			r = emit_string(b, m[i].key, m[i].len);
		if (r >= 0)
			r = buf_addc(b, ':');
		if (r >= 0)
			r = emit(b, m[i].value, depth + 1);
	}
	if (r >= 0)
		r = buf_addc(b, '}');
out:
	for (i = 0; i < n; i++)
		free(m[i].alloc);
	free(m);
	return r;
}

static int emit(struct buf *b, const json_t *v, unsigned depth)
{
	char num[32];
	int r;

	if (!v || depth > 64)
		return -EINVAL;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return emit_object(b, v, depth);
	case JSON_ARRAY:
		r = buf_addc(b, '[');
		for (size_t i = 0; r >= 0 && i < json_array_size(v); i++) {
			if (i > 0)
				r = buf_addc(b, ',');
			if (r >= 0)
				r = emit(b, json_array_get(v, i), depth + 1);
		}
		return r < 0 ? r : buf_addc(b, ']');
	case JSON_STRING:
		return emit_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf_add(b, num, strlen(num));
	case JSON_REAL:
		return -EDOM;
	case JSON_TRUE:
		return buf_add(b, "true", 4);
	case JSON_FALSE:
		return buf_add(b, "false", 5);
	case JSON_NULL:
		return buf_add(b, "null", 4);
	}
	return -EINVAL;
}

int canon_json(const json_t *v, char **ret, size_t *ret_len)
{
	struct buf b = {};
	int r;

	r = emit(&b, v, 0);
	if (r < 0) {
		free(b.p);
		return r;
	}
	if (!b.p && buf_add(&b, "", 0) < 0)
		return -ENOMEM;
	if (ret_len)
		*ret_len = b.len;
	*ret = b.p;
	return 0;
}

int canon_parse(const char *text, size_t len, json_t **ret)
{
	_cleanup_free_ char *again = NULL;
	json_error_t jerr;
	json_t *v;
	size_t alen;
	int r;

	v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!v)
		return -EINVAL;
	r = canon_json(v, &again, &alen);
	if (r < 0 || alen != len || memcmp(again, text, len) != 0) {
		json_decref(v);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	*ret = v;
	return 0;
}
