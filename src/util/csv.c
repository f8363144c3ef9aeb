/* csv.c - one CSV cell, written so that a spreadsheet reads it as text:
 * RFC 4180 quoting and OWASP's rule against formula injection; and the
 * guard taken off again when such a cell is read back.
 *
 * Every CSV that wipecert hands out (ledger export, audit report) writes
 * its cells here. It must never write a cell that a spreadsheet would run
 * as a formula, and never change a cell's text in a way reading it back
 * cannot undo.
 */
#include <stdbool.h>
#include <string.h>

#include "wipecert/util.h"

/* What a spreadsheet takes for the start of a formula (OWASP, CSV
 * injection): = + - @ TAB CR. */
static bool formula_start(char c)
{
	return c && strchr("=+-@\t\r", c);
}

/* ^'*[=+-@\t\r]: text that needs the guard. Apostrophes before the
 * formula character get one more, so that reading back (which removes one
 * apostrophe from ^'+[=+-@\t\r]) is exact for every text. */
static bool needs_guard(const char *s)
{
	while (*s == '\'')
		s++;
	return formula_start(*s);
}

void csv_put_cell(FILE *f, const char *s)
{
	bool quote;
	size_t n;

	s = s ? s : "";
	n = strlen(s);
	quote = strpbrk(s, ",\"\r\n") || (n && (strchr(" \t", s[0]) || strchr(" \t", s[n - 1])));
	/* the guard goes inside the quotes: "'=..." is a CSV cell, '"=..." is not */
	if (quote)
		fputc('"', f);
	if (needs_guard(s))
		fputc('\'', f);
	for (; *s; s++) {
		if (quote && *s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

const char *csv_unguard(const char *s)
{
	if (s && s[0] == '\'' && needs_guard(s + 1))
		return s + 1;
	return s;
}
