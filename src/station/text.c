/* text.c - UTF-8 text fitted to terminal columns.
 *
 * Everything the station shows is UTF-8 inside (the ledger, the messages
 * catalogue, the disks' strings). A terminal column is not a byte: a
 * Japanese character takes two columns (East Asian Wide), an accent none.
 * The text is decoded here by hand, whatever the locale, and each
 * character is kept only if the terminal's locale can show it (wctomb,
 * wcwidth); otherwise it is shown as '?', so that a non-UTF-8 terminal
 * still lines up.
 */
#include <langinfo.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "station.h"

static bool utf8;

void text_init(void)
{
	const char *cs = nl_langinfo(CODESET);

	utf8 = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

bool text_utf8(void)
{
	return utf8;
}

/* One code point; malformed input gives U+FFFD and moves one byte on. */
static size_t next(const unsigned char *s, wchar_t *ret)
{
	unsigned c = s[0], n, v;

	if (c < 0x80) {
		*ret = (wchar_t)c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 1, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, v = c & 0x07;
	else
		goto bad;
	for (unsigned i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		v = v << 6 | (s[i] & 0x3f);
	}
	/* overlong, surrogate or beyond Unicode */
	if ((n == 2 && v < 0x800) || (n == 3 && (v < 0x10000 || v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*ret = (wchar_t)v;
	return n + 1;
bad:
	*ret = 0xfffd;
	return 1;
}

/* The character as it will be shown, and its columns. */
static wchar_t shown(wchar_t wc, int *ret_w)
{
	char mb[MB_LEN_MAX];
	int w;

	if (wc < 0x20 || wc == 0x7f) {
		*ret_w = 1;
		return L'?';
	}
	if (wc < 0x7f) {
		*ret_w = 1;
		return wc;
	}
	w = wcwidth(wc);
	if (w < 0 || (!utf8 && wctomb(mb, wc) <= 0)) {
		/* back to the initial shift state; whether the encoding has
		 * one does not matter here (kept: _FORTIFY_SOURCE wants it used) */
		int stateful = wctomb(NULL, 0);

		(void)stateful;
		*ret_w = 1;
		return L'?';
	}
	*ret_w = w;
	return wc;
}

int text_width(const char *s)
{
	int cols = 0, w;
	wchar_t wc;

	while (s && *s) {
		s += next((const unsigned char *)s, &wc);
		shown(wc, &w);
		cols += w;
	}
	return cols;
}

size_t text_break(const char *s, int cols)
{
	size_t at = 0, space = 0;
	int used = 0, w;
	wchar_t wc;

	while (s[at]) {
		size_t n = next((const unsigned char *)s + at, &wc);

		shown(wc, &w);
		if (used + w > cols)
			return space > at / 2 ? space : at;
		if (wc == L' ')
			space = at;
		used += w;
		at += n;
	}
	return at;
}

size_t text_fitw(const char *s, int cols, bool right, wchar_t *buf, size_t n)
{
	int width = text_width(s), used = 0, w;
	/* what does not fit is cut, and the last column says so */
	int limit = width > cols ? cols - 1 : cols;
	size_t k = 0;
	wchar_t wc;

	if (n == 0)
		return 0;
	if (right)
		for (; used < cols - width && k + 1 < n; used++)
			buf[k++] = L' ';
	while (s && *s && k + 1 < n) {
		wchar_t c;

		s += next((const unsigned char *)s, &wc);
		c = shown(wc, &w);
		if (used + w > limit)
			break;
		if (w == 0 && k == 0)
			continue; /* a combining mark with nothing to sit on */
		buf[k++] = c;
		used += w;
	}
	if (width > cols && cols > 0 && k + 1 < n) {
		for (; used < limit && k + 1 < n; used++)
			buf[k++] = L' '; /* half of a wide character did not fit */
		buf[k++] = L'~';
		used++;
	}
	for (; used < cols && k + 1 < n; used++)
		buf[k++] = L' ';
	buf[k] = L'\0';
	return k;
}
