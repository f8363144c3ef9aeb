/* util.h - small helpers shared by two or more layers.
 *
 * Its job: cleanup attributes, safe number parsing, sysfs-style file reads,
 * crash-safe file writes, time stamps and hex. It must never log or exit:
 * every function returns >= 0 or -errno and leaves ret_ untouched on failure.
 */
#ifndef WIPECERT_UTIL_H
#define WIPECERT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand a pointer over to the caller, leaving NULL behind for the cleanup. */
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })

#define streq(a, b) (strcmp((a), (b)) == 0)
/* A message marked for po/ja.po where it is defined, translated where it
 * is shown (the layers below cli/ keep English for --json and records). */
#define N_(s) (s)
/* Format fmt twice: as written (English: --json, records, logs) into en,
 * and translated (gettext, po/ja.po) into text, for the people who read
 * it. The functions that call it are xgettext keywords (po/check.sh). */
void vformat_en_text(char *en, size_t en_len, char *text, size_t text_len, const char *fmt, va_list ap);

/* Parse a whole decimal (or 0x hex) unsigned number; no sign, no junk. */
int parse_u64(const char *s, uint64_t *ret);
/* Parse a size with an optional K/M/G/T suffix (powers of 1024) or KB/MB/GB (1000). */
int parse_size(const char *s, uint64_t *ret);

/* Japanese spreadsheet text (util/jtext.c). Full-width ASCII (U+FF01..FF5E)
 * and the ideographic space turned into ASCII in place; the new length. */
size_t fullwidth_to_ascii(char *s);
/* A date as spreadsheets hold it, into "YYYY-MM-DD": 2024-04-01, 2024/4/1,
 * 2024.4.1, 2024年4月1日, and the Japanese era calendar (令和6年4月1日,
 * 令和元年5月1日, R6.4.1, H31/4/30, 平成, 昭和, 大正), full-width digits
 * too. -EINVAL if it is none of these or no such day, -ERANGE for a day
 * outside its era (令和1年4月1日 was still 平成). */
int parse_date_ja(const char *s, char ret[11]);
/* A capacity as spreadsheets hold it: parse_size()'s forms, full-width
 * (５００ＧＢ), with thousands separators (1,000,204,886,016), a space
 * before the unit, a fraction of the unit (1.5TB) and "B"/"bytes"/"バイト". */
int parse_size_loose(const char *s, uint64_t *ret);

/* Read a small text file (sysfs attribute) with trailing white space cut.
 * Returns the length, -errno on failure; *ret is malloc'd. */
int read_text_file(const char *path, char **ret);
/* Same, relative to a directory path: read_text_at("/sys/block/sda", "size"). */
int read_text_at(const char *dir, const char *name, char **ret);
int read_u64_at(const char *dir, const char *name, uint64_t *ret);
/* Read a whole file of any size (binary allowed) into memory. */
int read_full_file(const char *path, uint8_t **ret, size_t *ret_len);
/* The same from an open file descriptor, to its end. */
int read_full_fd(int fd, uint8_t **ret, size_t *ret_len);

/* Write data to path so that a crash leaves either the old file or the new
 * one whole: temp file in the same directory, fsync, rename, fsync of the
 * directory. mode e.g. 0600. With exclusive, an existing path is -EEXIST. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, bool exclusive);

/* Make dir and the directories above it (0755; dir itself with mode); an
 * existing one is fine. */
int mkdir_parents(const char *dir, mode_t mode);
/* "dir/name", malloc'd; NULL when out of memory. */
char *path_join(const char *dir, const char *name);

/* One line of an INI-like file (the policy, a column map), in place: a
 * '#' starts a comment, white space is trimmed. INI_BLANK; INI_SECTION
 * with *ret_a the name inside [ ]; INI_PAIR with *ret_a the key and *ret_b
 * the value (split at the first '='); -EINVAL with *ret_a what is wrong. */
enum { INI_BLANK, INI_SECTION, INI_PAIR };
int ini_line(char *line, char **ret_a, char **ret_b);

/* Trim leading and trailing white space in place; returns s. */
char *strstrip(char *s);

/* "2026-11-23T08:49:00Z" (UTC) into buf (>= 21 bytes). */
int format_utc(time_t t, char *buf, size_t len);
/* "20261123T084900Z" (UTC, no separators: a file name part, the time in
 * job and case IDs) into buf (>= 17 bytes). */
int format_utc_compact(time_t t, char *buf, size_t len);
/* "2026-11-23T17:49:00+09:00" (local time with offset) into buf (>= 26 bytes). */
int format_local(time_t t, char *buf, size_t len);
/* t plus whole calendar years in UTC (2026-12-01 + 10 = 2036-12-01; a
 * 29 February lands on 1 March). */
time_t time_add_years(time_t t, int years);
/* Parse ISO 8601 "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss(Z|±hh:mm)" to time_t. */
int parse_time(const char *s, time_t *ret);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Decode exactly out_len bytes from hex; -EINVAL on bad input. */
int hex_decode(const char *in, uint8_t *out, size_t out_len);
/* The value of one hex digit (either case), -1 for anything else. */
int hex_value(int c);

/* One CSV cell (util/csv.c): quoted as RFC 4180 needs, and, by OWASP's rule
 * against formula injection, a text that begins with = + - @ TAB or CR
 * (after any apostrophes) gets one more apostrophe in front, so that a
 * spreadsheet shows it as text. csv_unguard() takes exactly that apostrophe
 * off a cell read back: every text survives export and import unchanged. */
void csv_put_cell(FILE *f, const char *s);
const char *csv_unguard(const char *s);

/* A named point where the power-loss tests cut the power: with
 * WIPECERT_CRASH_POINT=NAME[:N] the N-th passage kills the process with
 * SIGKILL (src/util/crash.c). Otherwise nothing. */
void crash_point(const char *name);

/* A size for people in powers of 1024: "512 B", "1.5 GiB". */
void format_size_iec(uint64_t bytes, char *buf, size_t len);

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);

#endif
