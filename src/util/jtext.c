/* jtext.c - numbers and dates as Japanese spreadsheets type them: full-width
 * digits and letters (５００ＧＢ), and dates in the Japanese era calendar
 * (和暦: 令和6年4月1日, R6.4.1, 平成31年4月30日, 令和元年5月1日) beside the
 * Western forms (2024-04-01, 2024/4/1, 2024年4月1日).
 *
 * Pure functions; they must never accept a date that does not exist (a
 * 31 April, 令和1年4月1日 which was still 平成) rather than guess.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wipecert/util.h"

/* U+FF01..U+FF5E are ASCII 0x21..0x7E shifted; U+3000 is a space. In UTF-8
 * they are EF BC 81..EF BC BF and EF BD 80..EF BD 9E; U+3000 is E3 80 80. */
size_t fullwidth_to_ascii(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = (unsigned char *)s;

	while (*r) {
		if (r[0] == 0xef && (r[1] == 0xbc || r[1] == 0xbd) && r[2] >= 0x80 && r[2] <= 0xbf) {
			unsigned cp = 0xff00u + ((r[1] & 0x03u) << 6) + (r[2] & 0x3fu);

			if (cp >= 0xff01 && cp <= 0xff5e) {
				*w++ = (unsigned char)(cp - 0xff01 + 0x21);
				r += 3;
				continue;
			}
		}
		if (r[0] == 0xe3 && r[1] == 0x80 && r[2] == 0x80) {
			*w++ = ' ';
			r += 3;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - (unsigned char *)s);
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* The eras a ledger meets, each with its first day (the day before is the
 * previous era's last). */
static const struct era {
	const char *kanji, *latin;
	int y, m, d;
} eras[] = {
	{ "令和", "R", 2019, 5, 1 },
	{ "平成", "H", 1989, 1, 8 },
	{ "昭和", "S", 1926, 12, 25 },
	{ "大正", "T", 1912, 7, 30 },
};

static int ymd_cmp(int y1, int m1, int d1, int y2, int m2, int d2)
{
	return y1 != y2 ? (y1 < y2 ? -1 : 1) : m1 != m2 ? (m1 < m2 ? -1 : 1) : d1 != d2 ? (d1 < d2 ? -1 : 1) : 0;
}

/* An unsigned decimal number of at most max digits at *p; advances *p. */
static int number(const char **p, int max, int *ret)
{
	int v = 0, n = 0;

	while (isdigit((unsigned char)**p) && n < max) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (!n || isdigit((unsigned char)**p))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* The separator after a year or month: "-", "/", "." or 年 / 月. */
static bool separator(const char **p, const char *kanji)
{
	if (**p == '-' || **p == '/' || **p == '.') {
		(*p)++;
		return true;
	}
	if (strncmp(*p, kanji, strlen(kanji)) == 0) {
		*p += strlen(kanji);
		return true;
	}
	return false;
}

int parse_date_ja(const char *in, char ret[11])
{
	char buf[64];
	const char *p;
	const struct era *era = NULL;
	int y, m, d, r;

	if (!in || strlen(in) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", in);
	fullwidth_to_ascii(buf);
	p = strstrip(buf);
	for (size_t i = 0; i < ARRAY_SIZE(eras) && !era; i++) {
		if (strncmp(p, eras[i].kanji, strlen(eras[i].kanji)) == 0) {
			era = &eras[i];
			p += strlen(eras[i].kanji);
		} else if (toupper((unsigned char)*p) == eras[i].latin[0] && isdigit((unsigned char)p[1])) {
			era = &eras[i];
			p++;
		}
	}
	if (era && strncmp(p, "元", strlen("元")) == 0) { /* 元年: the first year */
		y = 1;
		p += strlen("元");
	} else if ((r = number(&p, era ? 2 : 4, &y)) < 0)
		return r;
	if (!separator(&p, "年") || number(&p, 2, &m) < 0 || !separator(&p, "月") || number(&p, 2, &d) < 0)
		return -EINVAL;
	if (strncmp(p, "日", strlen("日")) == 0)
		p += strlen("日");
	if (*p)
		return -EINVAL;
	if (era) {
		if (y < 1)
			return -EINVAL;
		y += era->y - 1;
	} else if (y < 1000)
		return -EINVAL; /* a two-digit year is ambiguous */
	if (m < 1 || m > 12 || d < 1 || d > days_in(y, m))
		return -EINVAL;
	if (era) {
		/* inside the era: not before its first day, not after the next one's */
		const struct era *next = era == eras ? NULL : era - 1;

		if (ymd_cmp(y, m, d, era->y, era->m, era->d) < 0)
			return -ERANGE;
		if (next && ymd_cmp(y, m, d, next->y, next->m, next->d) >= 0)
			return -ERANGE;
	}
	if (y > 9999)
		return -EINVAL;
	snprintf(ret, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
	return 0;
}

int parse_size_loose(const char *in, uint64_t *ret)
{
	char buf[64], num[64];
	const char *p;
	size_t n = 0;
	uint64_t whole, frac = 0, scale = 1, unit = 1, v;
	int r;

	if (!in || strlen(in) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", in);
	fullwidth_to_ascii(buf);
	p = strstrip(buf);
	/* digits, with thousands separators as spreadsheets format them:
	 * 1-3 digits, then groups of exactly 3 */
	{
		size_t group = 0, groups = 0;

		for (; isdigit((unsigned char)*p) || *p == ','; p++) {
			if (*p == ',') {
				if (!group || group > 3 || (groups && group != 3))
					return -EINVAL;
				groups++;
				group = 0;
				continue;
			}
			if (n + 1 >= sizeof(num))
				return -EINVAL;
			num[n++] = *p;
			group++;
		}
		if (groups && group != 3)
			return -EINVAL;
	}
	num[n] = '\0';
	if (!n)
		return -EINVAL;
	r = parse_u64(num, &whole);
	if (r < 0)
		return r;
	if (*p == '.' && isdigit((unsigned char)p[1])) {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale >= 1000000000000ULL)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	}
	while (*p == ' ')
		p++;
	if (*p && !streq(p, "B") && !streq(p, "bytes") && !streq(p, "バイト")) {
		/* the unit as parse_size() knows it: "1" in front of it */
		char u[32];

		if (strlen(p) + 2 > sizeof(u))
			return -EINVAL;
		snprintf(u, sizeof(u), "1%s", p);
		r = parse_size(u, &unit);
		if (r < 0)
			return r;
	}
	if (unit && whole > UINT64_MAX / unit)
		return -ERANGE;
	v = whole * unit;
	if (frac) {
		/* 1.5TB: the fraction of the unit, which must come out in whole bytes */
		if (frac > UINT64_MAX / unit || (frac * unit) % scale != 0)
			return -EINVAL;
		if (v > UINT64_MAX - frac * unit / scale)
			return -ERANGE;
		v += frac * unit / scale;
	}
	*ret = v;
	return 0;
}
