/* sync.c - the ledger from the command line: opening it (a SQLite file or
 * a PostgreSQL database) with the operator's words for what went wrong,
 * and `wipecert sync`, which submits the wipe records that wait in the
 * station's outbox and copies the decisions back.
 *
 * It parses and prints only; flow_sync() decides. A database's password
 * never reaches a message: locations are shown through
 * ledger_where_display().
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "wipecert/cli.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/trust.h"
#include "flowcli.h"

/* libpq's messages end with a new line, sometimes two lines */
static void log_store_error(void)
{
	_cleanup_free_ char *msg = strdup(ledger_last_error());
	char *line, *save = NULL;

	if (!msg)
		return;
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*strstrip(line))
			log_error("  %s", line);
}

int cli_ledger_open_or_away(const char *db, unsigned flags, struct ledger **ret, bool *ret_away)
{
	const char *where = ledger_resolve_path(db);
	_cleanup_free_ char *name = ledger_where_display(where);
	int r;

	r = ledger_open(where, flags, ret);
	if (r >= 0)
		return EXIT_OK;
	if (ledger_unreachable(r) && ret_away) {
		log_warn(_("%s: cannot reach the ledger's database: going on without it"), name ?: "");
		*ret = NULL;
		*ret_away = true;
		return EXIT_OK;
	}
	if (r == -ENOENT && ledger_kind_of(where) == LEDGER_KIND_POSTGRESQL)
		log_error(_("%s: no ledger in this database (its owner role creates it: 'wipecert ledger --db DB migrate')"),
			  name ?: "");
	else if (r == -ENOENT)
		log_error(_("%s: no ledger there (create one with 'ledger add' or 'ledger import')"), name ?: "");
	else if (r == -EPROTONOSUPPORT)
		log_error(_("%s: the ledger's schema is newer than this wipecert"), name ?: "");
	else if (ledger_unreachable(r))
		log_error(_("%s: cannot reach the ledger's database"), name ?: "");
	else
		log_error_errno(r, _("%s: cannot open the ledger"), name ?: "");
	if (r != -ENOENT)
		log_store_error();
	return EXIT_FAIL;
}

int cli_ledger_open(const char *db, unsigned flags, struct ledger **ret)
{
	return cli_ledger_open_or_away(db, flags, ret, NULL);
}

void cli_sync_quietly(const struct flow_ctx *ctx, const struct trust_seckey *k)
{
	struct flow_sync_report rep = { 0 };
	struct flow_error err = { "" };
	int r;

	if (!ctx->ledger)
		return;
	r = flow_sync(ctx, k, 0, &rep, &err);
	if (r < 0 || rep.failed)
		log_warn(_("the records waiting in the outbox: %s"), flow_error_text(&err));
	if (rep.submitted)
		log_info(_("submitted %zu wipe record(s) that waited for the ledger"), rep.submitted);
	if (rep.waiting)
		log_warn(_("%zu wipe record(s) wait for the ledger in %s/outbox: run 'wipecert sync' when it is back"),
			 rep.waiting, flow_state_dir(ctx));
}

static void sync_help(void)
{
	printf(_("Usage: %s sync [--key FILE] [options]\n\n"
		 "Submit the wipe records that wait in the state directory's outbox (sealed\n"
		 "while the ledger's database was unreachable), each exactly once, their\n"
		 "ledger events signed by --key; then copy the decisions the ledger holds on\n"
		 "the cases sealed here into the state directory. The commands that take a\n"
		 "key do this on their own first.\n\n"
		 "Options:\n"
		 "  -k, --key FILE          who submits (without it only the decisions are copied)\n"
		 "      --passphrase-file F its passphrase (else asked on the terminal)\n"), program_name);
	fputs(_(common_json_help), stdout);
	fputs(_(common_help), stdout);
	fputs(_("\nExit status: 0 nothing waits, 1 a record waits or was refused, 2 usage.\n"), stdout);
}

int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		COMMON_OPTIONS,
		CLI_OPT_JSON,
		{}
	};
	struct flow_control fc = { 0 };
	struct flow_sync_report rep = { 0 };
	struct flow_error err = { "" };
	struct trust_seckey *k = NULL;
	int c, r, ret;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "sync")) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		switch (c) {
		case 'k': fc.key = optarg; break;
		case OPT_PASS: fc.pass_file = optarg; break;
		case 'h': sync_help(); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("sync", _("unexpected argument '%s'"), argv[optind]);
	ret = flow_control_open(&fc, NEED_LEDGER | NEED_TRUST);
	if (ret)
		goto out;
	if (fc.key) {
		ret = key_load_signer(fc.key, fc.pass_file, TRUST_DOC_LEDGER_EVENT, &k);
		if (ret)
			goto out;
	}
	r = flow_sync(&fc.ctx, k, FLOW_SYNC_KEPT, &rep, &err);
	if (r < 0) {
		log_error("%s", flow_error_text(&err));
		ret = EXIT_FAIL;
		goto out;
	}
	if (fc.json) {
		json_t *o = json_pack("{s:I,s:I,s:I,s:I}", "submitted", (json_int_t)rep.submitted, "waiting",
				      (json_int_t)rep.waiting, "failed", (json_int_t)rep.failed, "decisions",
				      (json_int_t)rep.decisions);

		cli_print_json(o, JSON_INDENT(2));
	} else {
		printf(_("submitted %zu, waiting %zu, refused %zu; %zu decision(s) copied\n"), rep.submitted,
		       rep.waiting, rep.failed, rep.decisions);
	}
	if (rep.failed)
		log_error("%s", flow_error_text(&err));
	if (rep.waiting && !k)
		log_error(_("%zu wipe record(s) wait: give --key to submit them"), rep.waiting);
	else if (rep.waiting)
		log_error(_("%zu wipe record(s) wait: the ledger is unreachable"), rep.waiting);
	ret = rep.failed || rep.waiting ? EXIT_FAIL : EXIT_OK;
out:
	trust_seckey_free(k);
	flow_control_release(&fc);
	return ret;
}
