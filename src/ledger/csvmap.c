/* csvmap.c - how a real spreadsheet's columns and values map onto the
 * ledger's fields: their header to our field (or ignored, or kept as an
 * extra attribute), a cell's words to our values (使用中 -> in-service),
 * and the guideline's 機密性 levels to the importance class the policy
 * holds them to.
 *
 * Read from a map file (`ledger import --map FILE`) or the [csv] sections
 * of the policy file; used by csv.c's import. Never prints; a line it does
 * not understand is an error naming the file and line, never skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ledger-internal.h"
#include "wipecert/util.h"

struct map_col {
	char *header;          /* normalised (ledger_header_normalise) */
	int target;            /* enum ledger_field, or LEDGER_MAP_IGNORE / LEDGER_MAP_EXTRA */
};

struct map_val {
	enum ledger_field field;
	char *from, *to;
};

struct ledger_csv_map {
	struct map_col *cols;
	size_t n_cols;
	struct map_val *vals;
	size_t n_vals;
	int class_of_conf[4];
};

int ledger_csv_map_new(struct ledger_csv_map **ret)
{
	struct ledger_csv_map *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	*ret = m;
	return 0;
}

void ledger_csv_map_free(struct ledger_csv_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_cols; i++)
		free(m->cols[i].header);
	for (size_t i = 0; i < m->n_vals; i++) {
		free(m->vals[i].from);
		free(m->vals[i].to);
	}
	free(m->cols);
	free(m->vals);
	free(m);
}

static int target_of(const char *s, int *ret)
{
	enum ledger_field f;

	if (streq(s, "ignore") || streq(s, "無視")) {
		*ret = LEDGER_MAP_IGNORE;
		return 0;
	}
	if (streq(s, "extra") || streq(s, "その他属性")) {
		*ret = LEDGER_MAP_EXTRA;
		return 0;
	}
	if (ledger_field_from_header(s, &f) < 0)
		return -ENOENT;
	*ret = (int)f;
	return 0;
}

int ledger_csv_map_column(struct ledger_csv_map *m, const char *header, const char *target)
{
	char norm[256];
	struct map_col *n;
	int t, r;

	if (!header || !*header || !target)
		return -EINVAL;
	r = target_of(target, &t);
	if (r < 0)
		return r;
	ledger_header_normalise(header, norm, sizeof(norm));
	if (!*norm)
		return -EINVAL;
	/* a later line overrides an earlier one (the map file over the policy) */
	for (size_t i = 0; i < m->n_cols; i++)
		if (streq(m->cols[i].header, norm)) {
			m->cols[i].target = t;
			return 0;
		}
	n = reallocarray(m->cols, m->n_cols + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->cols = n;
	n[m->n_cols].header = strdup(norm);
	if (!n[m->n_cols].header)
		return -ENOMEM;
	n[m->n_cols++].target = t;
	return 0;
}

int ledger_csv_map_value(struct ledger_csv_map *m, enum ledger_field f, const char *from, const char *to)
{
	struct map_val *n;

	if ((unsigned)f >= _LEDGER_F_MAX || !from || !*from || !to)
		return -EINVAL;
	for (size_t i = 0; i < m->n_vals; i++)
		if (m->vals[i].field == f && streq(m->vals[i].from, from)) {
			char *t = strdup(to);

			if (!t)
				return -ENOMEM;
			free(m->vals[i].to);
			m->vals[i].to = t;
			return 0;
		}
	n = reallocarray(m->vals, m->n_vals + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->vals = n;
	n[m->n_vals] = (struct map_val) { f, strdup(from), strdup(to) };
	if (!n[m->n_vals].from || !n[m->n_vals].to) {
		free(n[m->n_vals].from);
		free(n[m->n_vals].to);
		return -ENOMEM;
	}
	m->n_vals++;
	return 0;
}

int ledger_csv_map_class(struct ledger_csv_map *m, int confidentiality, int importance)
{
	if (confidentiality < 1 || confidentiality > 3 || importance < 0 || importance > 3)
		return -EINVAL;
	m->class_of_conf[confidentiality] = importance;
	return 0;
}

int ledger_csv_map_lookup(const struct ledger_csv_map *m, const char *header, int *ret)
{
	char norm[256];

	if (!m)
		return -ENOENT;
	ledger_header_normalise(header, norm, sizeof(norm));
	for (size_t i = 0; i < m->n_cols; i++)
		if (streq(m->cols[i].header, norm)) {
			*ret = m->cols[i].target;
			return 0;
		}
	return -ENOENT;
}

const char *ledger_csv_map_translate(const struct ledger_csv_map *m, enum ledger_field f, const char *v)
{
	const char *s = v;
	size_t n;

	if (!m || !v)
		return v;
	/* compared as the cell will be stored: trimmed */
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < m->n_vals; i++)
		if (m->vals[i].field == f && strlen(m->vals[i].from) == n && strncmp(m->vals[i].from, s, n) == 0)
			return m->vals[i].to;
	return v;
}

int ledger_csv_map_class_of(const struct ledger_csv_map *m, int confidentiality)
{
	return m && confidentiality >= 1 && confidentiality <= 3 ? m->class_of_conf[confidentiality] : 0;
}

_printf_(4, 5)
static int map_error(char **ret_error, const char *path, unsigned line, const char *fmt, ...)
{
	_cleanup_free_ char *what = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (ret_error && r >= 0 && asprintf(ret_error, "%s:%u: %s", path, line, what) < 0)
		*ret_error = NULL;
	return -EINVAL;
}

int ledger_csv_map_load(struct ledger_csv_map *m, const char *path, bool policy_file, char **ret_error)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	enum { SEC_OTHER, SEC_COLUMNS, SEC_VALUES } sec = SEC_OTHER;
	enum ledger_field vfield = LEDGER_F_ASSET_ID;
	bool any_section = false;
	unsigned lineno = 0;
	size_t cap = 0;
	ssize_t n;
	int r;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		char *s = line, *key = NULL, *val = NULL;
		int kind;

		lineno++;
		if (lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3; /* written with a Windows editor */
		if (ledger_utf8_check((const uint8_t *)s, strlen(s)) != strlen(s))
			return map_error(ret_error, path, lineno, "not UTF-8 (save the map file as UTF-8)");
		kind = ini_line(s, &key, &val);
		if (kind == INI_BLANK)
			continue;
		if (kind < 0 && sec == SEC_OTHER && (policy_file || any_section))
			continue; /* the policy's own lines: policy_load() judges them */
		if (kind < 0)
			return map_error(ret_error, path, lineno, "%s", key);
		if (kind == INI_SECTION) {
			s = key;
			any_section = true;
			if (streq(s, "csv") || streq(s, "columns")) {
				sec = SEC_COLUMNS;
			} else if (strncmp(s, "csv values ", 11) == 0 || strncmp(s, "values ", 7) == 0) {
				const char *fn = strstrip(s + (s[0] == 'c' ? 11 : 7));

				if (ledger_field_from_header(fn, &vfield) < 0)
					return map_error(ret_error, path, lineno, "[%s]: no field '%s'", s, fn);
				sec = SEC_VALUES;
			} else if (policy_file) {
				sec = SEC_OTHER; /* the policy's own sections: policy_load() reads them */
			} else
				return map_error(ret_error, path, lineno, "unknown section [%s] (csv, csv values FIELD)", s);
			continue;
		}
		if (sec == SEC_OTHER && (policy_file || any_section))
			continue;
		if (sec == SEC_VALUES) {
			r = ledger_csv_map_value(m, vfield, key, val);
		} else {
			r = ledger_csv_map_column(m, key, val);
			if (r == -ENOENT)
				return map_error(ret_error, path, lineno, "'%s' is no field of the ledger (docs/ledger.md), "
						 "nor ignore or extra", val);
		}
		if (r == -EINVAL)
			return map_error(ret_error, path, lineno, "bad line");
		if (r < 0)
			return r;
	}
	return 0;
}
