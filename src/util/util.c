/* util.c - small helpers shared by two or more layers (see util.h).
 * Never logs, never exits. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libintl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "wipecert/util.h"

int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1, base = 1024;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (*end) {
		const char *units = "KMGTP";
		const char *u = strchr(units, toupper((unsigned char)*end));

		if (!u)
			return -EINVAL;
		if (end[1] == 'B' && end[2] == '\0')
			base = 1000;
		else if (end[1] == 'i' && end[2] == 'B' && end[3] == '\0')
			base = 1024;
		else if (end[1] != '\0')
			return -EINVAL;
		for (const char *p = units; p <= u; p++)
			mult *= base;
	}
	if (v && mult > UINT64_MAX / v)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

char *strstrip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int read_full_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return read_full_fd(fd, ret, ret_len);
}

int read_full_fd(int fd, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, ncap);

			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_text_file(const char *path, char **ret)
{
	uint8_t *buf;
	size_t len;
	char *s;
	int r;

	r = read_full_file(path, &buf, &len);
	if (r < 0)
		return r;
	if (memchr(buf, '\0', len)) {
		/* sysfs binary attributes (vpd pages) are not text */
		free(buf);
		return -EBADMSG;
	}
	s = strstrip((char *)buf);
	if (s != (char *)buf)
		memmove(buf, s, strlen(s) + 1);
	*ret = (char *)buf;
	return (int)strlen((char *)buf);
}

int read_text_at(const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	return read_text_file(p, ret);
}

int read_u64_at(const char *dir, const char *name, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = read_text_at(dir, name, &s);
	if (r < 0)
		return r;
	return parse_u64(s, ret);
}

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, bool exclusive)
{
	_cleanup_free_ char *tmp = NULL, *dcopy = NULL;
	_cleanup_close_ int fd = -1, dfd = -1;
	int r;

	if (exclusive && access(path, F_OK) == 0)
		return -EEXIST;
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (r < 0)
		goto fail;
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (close(TAKE_FD(fd)) < 0) {
		r = -errno;
		goto fail;
	}
	if (exclusive) {
		/* link() fails if path appeared meanwhile: never overwrite */
		if (link(tmp, path) < 0) {
			r = -errno;
			goto fail;
		}
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	dcopy = strdup(path);
	if (!dcopy)
		return -ENOMEM;
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0 && fsync(dfd) < 0)
		return -errno;
	return 0;
fail:
	unlink(tmp);
	return r;
}

int format_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -EINVAL;
	return 0;
}

int format_utc_compact(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm) == 0)
		return -EINVAL;
	return 0;
}

int format_local(time_t t, char *buf, size_t len)
{
	struct tm tm;
	char off[8];
	size_t n;

	if (!localtime_r(&t, &tm))
		return -EINVAL;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0 || strftime(off, sizeof(off), "%z", &tm) != 5 || n + 7 > len)
		return -EINVAL;
	/* %z gives +0900; ISO 8601 extended form wants +09:00 */
	snprintf(buf + n, len - n, "%.3s:%.2s", off, off + 3);
	return 0;
}

time_t time_add_years(time_t t, int years)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return t + (time_t)years * 365 * 86400;
	tm.tm_year += years;
	return timegm(&tm);
}

int parse_time(const char *s, time_t *ret)
{
	struct tm tm = { 0 };
	const char *p;
	long off = 0;

	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return -EINVAL;
	if (*p == 'T' || *p == ' ') {
		p = strptime(p + 1, "%H:%M:%S", &tm);
		if (!p)
			return -EINVAL;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int hh, mm;

			if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || strlen(p) != 6)
				return -EINVAL;
			off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
			p += 6;
		} else {
			return -EINVAL;
		}
	}
	if (*p)
		return -EINVAL;
	*ret = timegm(&tm) - off;
	return 0;
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *in, uint8_t *out, size_t out_len)
{
	if (strlen(in) != 2 * out_len)
		return -EINVAL;
	for (size_t i = 0; i < out_len; i++) {
		int hi = hex_value((unsigned char)in[2 * i]), lo = hex_value((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void format_size_iec(uint64_t bytes, char *buf, size_t len)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1024 && i + 1 < ARRAY_SIZE(u)) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

char *path_join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

int mkdir_parents(const char *dir, mode_t mode)
{
	_cleanup_free_ char *p = strdup(dir);

	if (!p)
		return -ENOMEM;
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ini_line(char *line, char **ret_a, char **ret_b)
{
	char *s = line, *end, *eq;

	/* a '#' starts a comment; values never need one */
	s[strcspn(s, "#")] = '\0';
	s = strstrip(s);
	if (!*s)
		return INI_BLANK;
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || end[1]) {
			*ret_a = (char *)"a section header is [name]";
			return -EINVAL;
		}
		*end = '\0';
		*ret_a = strstrip(s + 1);
		return INI_SECTION;
	}
	eq = strchr(s, '=');
	if (!eq) {
		*ret_a = (char *)"expected key = value";
		return -EINVAL;
	}
	*eq = '\0';
	*ret_a = strstrip(s);
	*ret_b = strstrip(eq + 1);
	if (!**ret_a || !**ret_b) {
		*ret_a = (char *)"empty key or value";
		return -EINVAL;
	}
	return INI_PAIR;
}

void vformat_en_text(char *en, size_t en_len, char *text, size_t text_len, const char *fmt, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	vsnprintf(en, en_len, fmt, ap);
	vsnprintf(text, text_len, gettext(fmt), aq);
	va_end(aq);
}
