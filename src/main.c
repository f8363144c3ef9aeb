/* main.c - the command table; cli_run() (src/cli/command.c) dispatches.
 *
 * Commands match exactly: a destructive verb is never reached by a prefix
 * or a typo. Help and the command listing come from the same table.
 */
#include <limits.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>

#include "wipecert/cli.h"

static int cmd_version(int argc, char **argv)
{
	static const struct option opts[] = { CLI_OPT_JSON, CLI_OPT_HELP, {} };
	bool json = false;
	int c;

	while ((c = cli_getopt(argc, argv, opts, "version")) != -1) {
		switch (c) {
		case 'J': json = true; break;
		case 'h':
			printf(_("Usage: %s version [--json]\n\nPrint the version (--json: for tools).\n"), program_name);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("version", _("unexpected argument '%s'"), argv[optind]);
	if (json)
		printf("{\"name\":\"wipecert\",\"version\":\"%s\"}\n", WIPECERT_VERSION);
	else
		printf("wipecert %s\n", WIPECERT_VERSION);
	return EXIT_OK;
}

static int cmd_commands(int argc, char **argv);

static const struct command commands[] = {
	/* { name, fn, flags, summary[, sub-commands] }: one line a command */
	{ "list", cmd_list, CMD_JSON, N_("list attached disks, their identity and whether they are safe to touch") },
	{ "wipe", cmd_wipe, CMD_DESTRUCTIVE | CMD_JSON | CMD_DRY_RUN, N_("overwrite disks or image files with a method, verify, record the job") },
	{ "resume", cmd_resume, CMD_DESTRUCTIVE | CMD_JSON, N_("continue an interrupted wipe from its checkpoint") },
	{ "caps", cmd_caps, CMD_JSON, N_("show what a drive's firmware can erase and which methods are usable") },
	{ "drive-erase", cmd_drive_erase, CMD_DESTRUCTIVE | CMD_JSON | CMD_DRY_RUN, N_("erase a drive with its firmware (NVMe, ATA, SCSI) and verify by read-back") },
	{ "cert", NULL, 0, N_("issue a signed disposal certificate PDF, show its record"), &cert_cmd_table },
	{ "verify", cmd_verify, CMD_JSON, N_("check a disposal certificate PDF") },
	{ "key", NULL, 0, N_("make signing keys, sign and verify documents"), &key_cmd_table },
	{ "trust", NULL, 0, N_("the trust roster: who may sign what"), &trust_cmd_table },
	{ "ledger", NULL, 0, N_("the asset ledger and its change history"), &ledger_cmd_table },
	{ "seal", cmd_seal, CMD_JSON, N_("sign a finished wipe as the technician (the wipe record)") },
	{ "pending", cmd_pending, CMD_JSON, N_("list wipe records awaiting approval") },
	{ "approve", cmd_approve, CMD_JSON, N_("approve a wipe record and issue the signed certificate") },
	{ "reject", cmd_reject, CMD_JSON, N_("refuse a wipe record, with the reason") },
	{ "export-record", cmd_export_record, 0, N_("write a wipe record for approval on another machine") },
	{ "import-record", cmd_import_record, CMD_JSON, N_("take in a wipe record exported by a wipe station") },
	{ "sync", cmd_sync, CMD_JSON, N_("submit the wipe records that waited for the ledger; copy the decisions back") },
	{ "accept", cmd_accept, CMD_JSON, N_("accept a contractor's certificate for an asset handed over") },
	{ "destroy", cmd_destroy, CMD_JSON, N_("record a witnessed physical destruction, signed by the technician") },
	{ "witness", cmd_witness, CMD_JSON, N_("sign a case as its witness, with the witness's own key") },
	{ "custody", NULL, 0, N_("hand-over lists, receipts, sub-contracting, and what is still out"), &custody_cmd_table },
	{ "image", NULL, 0, N_("image prepare: make a wipecert stick ready (trust, policy, key, ledger)"), &image_cmd_table },
	{ "station", cmd_station, CMD_DESTRUCTIVE | CMD_JSON, N_("the wipe station: every disk live, wipes side by side, one unlock, seals as disks finish") },
	{ "audit", cmd_audit, CMD_JSON, N_("every disposal of a period, certificates re-verified, as a PDF or CSV report") },
	{ "inspect", cmd_inspect, CMD_JSON, N_("the ledger's periodic inspection (点検): what is overdue, held, lost, away, unknown") },
	{ "version", cmd_version, CMD_JSON, N_("print the version (--json for tools)") },
	{ "commands", cmd_commands, CMD_HIDDEN | CMD_JSON, N_("every command and sub-command with its flags") },
	{}
};

static void print_usage(FILE *f, const struct command_table *t);

static const struct command_table wipecert_table = { "wipecert", commands, print_usage, NULL };

static int cmd_commands(int argc, char **argv)
{
	return cli_list_commands(&wipecert_table, argc, argv);
}

static void print_usage(FILE *f, const struct command_table *t)
{
	fprintf(f, _("Usage: %s <command> [options]\n\n"
		     "Secure media sanitisation with signed disposal certificates.\n\n"
		     "Commands:\n"), program_name);
	cli_print_commands(f, t);
	fprintf(f, _("\nOptions:\n"
		     "  -h, --help      show this help\n"
		     "  -V, --version   show the version\n\n"
		     "Run '%s <command> --help' for a command's options; see wipecert(8).\n"),
		program_name);
}

/* Messages: a locale/ directory beside the binary (the build tree) wins,
 * then $WIPECERT_LOCALEDIR, then the installed one. */
static void setup_i18n(void)
{
	const char *dir = getenv("WIPECERT_LOCALEDIR");
	char exe[PATH_MAX], local[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	setlocale(LC_ALL, "");
	if (!dir && n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(local, sizeof(local), "%s/locale", exe);
			if (stat(local, &st) == 0 && S_ISDIR(st.st_mode))
				dir = local;
		}
	}
	bindtextdomain("wipecert", dir ? dir : WIPECERT_LOCALEDIR);
	bind_textdomain_codeset("wipecert", "UTF-8");
	textdomain("wipecert");
}

int main(int argc, char **argv)
{
	setup_i18n();
	if (argc < 2)
		return usage_error(NULL, _("no command given"));
	if (streq(argv[1], "-V") || streq(argv[1], "--version")) {
		printf("wipecert %s\n", WIPECERT_VERSION);
		return EXIT_OK;
	}
	return cli_run(&wipecert_table, argc, argv);
}
