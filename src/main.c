/* main.c - the command table and dispatch.
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
	bool json = argc > 1 && streq(argv[1], "--json");

	if (argc > 2 || (argc == 2 && !json))
		return usage_error("version", _("unexpected argument '%s'"), argv[argc - 1]);
	if (json)
		printf("{\"name\":\"wipecert\",\"version\":\"%s\"}\n", WIPECERT_VERSION);
	else
		printf("wipecert %s\n", WIPECERT_VERSION);
	return EXIT_OK;
}

static const struct command commands[] = {
	/* { name, fn, flags, summary }: one line a command */
	{ "list", cmd_list, 0, N_("list attached disks, their identity and whether they are safe to touch") },
	{ "wipe", cmd_wipe, CMD_DESTRUCTIVE, N_("overwrite disks or image files with a method, verify, record the job") },
	{ "resume", cmd_resume, CMD_DESTRUCTIVE, N_("continue an interrupted wipe from its checkpoint") },
	{ "caps", cmd_caps, 0, N_("show what a drive's firmware can erase and which methods are usable") },
	{ "drive-erase", cmd_drive_erase, CMD_DESTRUCTIVE, N_("erase a drive with its firmware (NVMe, ATA, SCSI) and verify by read-back") },
	{ "cert", cmd_cert, CMD_VERBS, N_("issue a signed disposal certificate PDF, show its record") },
	{ "verify", cmd_verify, 0, N_("check a disposal certificate PDF") },
	{ "key", cmd_key, CMD_VERBS, N_("make signing keys, sign and verify documents") },
	{ "trust", cmd_trust, CMD_VERBS, N_("the trust roster: who may sign what") },
	{ "ledger", cmd_ledger, CMD_VERBS, N_("the asset ledger and its change history") },
	{ "seal", cmd_seal, 0, N_("sign a finished wipe as the technician (the wipe record)") },
	{ "pending", cmd_pending, 0, N_("list wipe records awaiting approval") },
	{ "approve", cmd_approve, 0, N_("approve a wipe record and issue the signed certificate") },
	{ "reject", cmd_reject, 0, N_("refuse a wipe record, with the reason") },
	{ "export-record", cmd_export_record, 0, N_("write a wipe record for approval on another machine") },
	{ "import-record", cmd_import_record, 0, N_("take in a wipe record exported by a wipe station") },
	{ "sync", cmd_sync, 0, N_("submit the wipe records that waited for the ledger; copy the decisions back") },
	{ "accept", cmd_accept, 0, N_("accept a contractor's certificate for an asset handed over") },
	{ "destroy", cmd_destroy, 0, N_("record a witnessed physical destruction, signed by the technician") },
	{ "station", cmd_station, CMD_DESTRUCTIVE, N_("the wipe station: every disk live, wipes side by side, one unlock, seals as disks finish") },
	{ "audit", cmd_audit, 0, N_("every disposal of a period, certificates re-verified, as a PDF or CSV report") },
	{ "inspect", cmd_inspect, 0, N_("the ledger's periodic inspection (点検): what is overdue, held, lost, away, unknown") },
	{ "version", cmd_version, 0, N_("print the version (--json for tools)") },
};

static void print_usage(FILE *f)
{
	fprintf(f, _("Usage: %s <command> [options]\n\n"
		     "Secure media sanitisation with signed disposal certificates.\n\n"
		     "Commands:\n"), program_name);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!(commands[i].flags & CMD_HIDDEN))
			fprintf(f, "  %-14s %s\n", commands[i].name, _(commands[i].summary));
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
	const char *verb;

	setup_i18n();
	if (argc < 2)
		return usage_error(NULL, _("no command given"));
	verb = argv[1];
	if (streq(verb, "-h") || streq(verb, "--help") || streq(verb, "help")) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (streq(verb, "-V") || streq(verb, "--version")) {
		printf("wipecert %s\n", WIPECERT_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(verb, commands[i].name)) {
			/* every command leaves through the operation log */
			cli_op_begin(&commands[i], argc - 1, argv + 1);
			return cli_op_end(commands[i].fn(argc - 1, argv + 1));
		}
	return usage_error(NULL, _("unknown command '%s'"), verb);
}
