/* table.c - the people's tables of the command line (pending, trust list,
 * verify's checks, the methods), printed by libsmartcols like util-linux's
 * own: aligned on a terminal, one space between cells in a pipe.
 *
 * Column headers are names, as lsblk's are: never translated.
 */
#include <errno.h>

#include <libsmartcols.h>

#include "wipecert/cli.h"

/* The phases of a firmware erase (src/drive/erase.c), for xgettext. */
static _unused_ const char *const fw_phase_words[] = {
	NC_("phase", "erase"), NC_("phase", "pre-sample"), NC_("phase", "verify"),
};

const char *cli_fw_phase(const char *phase)
{
	return phase ? cli_pgettext("phase", phase) : phase;
}

const char *cli_pgettext(const char *ctx, const char *msgid)
{
	char key[256];
	const char *t;

	if ((size_t)snprintf(key, sizeof(key), "%s\004%s", ctx, msgid) >= sizeof(key))
		return msgid;
	t = gettext(key);
	return t == key ? msgid : t;
}

struct libscols_table *cli_table_new(const char *const *headers, size_t n)
{
	struct libscols_table *t = scols_new_table();

	if (!t)
		return NULL;
	for (size_t i = 0; i < n; i++)
		/* the last column takes what is left and is never cut */
		if (!scols_table_new_column(t, headers[i], i + 1 < n ? 0.1 : 0.5, 0)) {
			scols_unref_table(t);
			return NULL;
		}
	return t;
}

int cli_table_row(struct libscols_table *t, const char *const *cells)
{
	struct libscols_line *ln = scols_table_new_line(t, NULL);
	size_t n = scols_table_get_ncols(t);

	if (!ln)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (scols_line_set_data(ln, i, cells[i] && *cells[i] ? cells[i] : "-") < 0)
			return -ENOMEM;
	return 0;
}

int cli_table_print(struct libscols_table *t)
{
	int r = scols_print_table(t);

	scols_unref_table(t);
	return r < 0 ? r : ferror(stdout) ? -EIO : 0;
}

void cli_table_free(struct libscols_table *t)
{
	scols_unref_table(t);
}
