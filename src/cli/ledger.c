/* ledger.c - `wipecert ledger`: the asset register and its history from the
 * command line (add, edit, show, list, history, import, export, verify,
 * check, export-event; requests, approve-change, deny-change,
 * adopt-legacy).
 *
 * It parses and prints only; every change goes through the ledger API,
 * which records the event signed by the --key holder. It must never print a
 * partial import as done, nor a requested change as made.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <pwd.h>
#include <string.h>

#include <libsmartcols.h>

#include "wipecert/cli.h"
#include "wipecert/disk.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/flow.h"
#include "wipecert/lifecycle.h"
#include "wipecert/policy.h"
#include "wipecert/trust.h"

enum verb {
	V_ADD, V_EDIT, V_SHOW, V_LIST, V_HISTORY, V_IMPORT, V_EXPORT, V_VERIFY, V_CHECK, V_EXPORT_EVENT,
	V_REQUESTS, V_APPROVE_CHANGE, V_DENY_CHANGE, V_ADOPT_LEGACY,
	V_STATUS, V_ARCHIVE, V_MIGRATE,
};

/* What a verb needs before it runs: a signing key (it appends events), the
 * trust roster (it judges who signed). */
enum { NEEDS_KEY = 1 << 0, NEEDS_TRUST = 1 << 1 };

struct ledger_control;
static int ledger_run(int argc, char **argv);

/* The sub-commands, in enum verb order: { name, fn, flags, summary }. */
static const struct command ledger_cmds[] = {
	[V_ADD] = { "add", ledger_run, CMD_JSON, N_("register a disk") },
	[V_EDIT] = { "edit", ledger_run, CMD_JSON,
		     N_("change an asset (recorded with who and why; a change the policy depends on waits for an approver)") },
	[V_SHOW] = { "show", ledger_run, CMD_JSON, N_("show one asset") },
	[V_LIST] = { "list", ledger_run, CMD_JSON, N_("list assets") },
	[V_HISTORY] = { "history", ledger_run, CMD_JSON, N_("show the change history (of one asset)") },
	[V_IMPORT] = { "import", ledger_run, CMD_JSON | CMD_DRY_RUN, N_("import a CSV file in one transaction") },
	[V_EXPORT] = { "export", ledger_run, 0, N_("export assets (and events)") },
	[V_VERIFY] = { "verify", ledger_run, CMD_JSON,
		       N_("check the whole hash chain and every asset against it (and the signatures)") },
	[V_CHECK] = { "check", ledger_run, CMD_JSON, N_("is the disk DEV the asset ID? (serial and WWN)") },
	[V_EXPORT_EVENT] = { "export-event", ledger_run, 0,
			     N_("write an event's signed form to FILE and its signature to FILE.minisig") },
	[V_REQUESTS] = { "requests", ledger_run, CMD_JSON, N_("list the changes that wait for an approver") },
	[V_APPROVE_CHANGE] = { "approve-change", ledger_run, 0,
			       N_("approve a requested change (an approver, not the requester)") },
	[V_DENY_CHANGE] = { "deny-change", ledger_run, 0, N_("drop a requested change (an approver, or the requester)") },
	[V_ADOPT_LEGACY] = { "adopt-legacy", ledger_run, 0, N_("vouch, signed, for the unsigned events of an older ledger") },
	[V_STATUS] = { "status", ledger_run, CMD_JSON,
		       N_("move an asset in its life (taken out, returned, lost, stolen, repair, lease return, "
			  "evidence hold; back: to its status before), as the lifecycle table allows") },
	[V_ARCHIVE] = { "archive", ledger_run, CMD_JSON,
			N_("move the events before DATE (past their retention) into a signed archive that verifies "
			   "alone; the ledger keeps its head") },
	[V_MIGRATE] = { "migrate", ledger_run, CMD_JSON,
			N_("bring the schema up to date (the owner of a shared database); --to: copy the whole ledger there") },
	{}
};

/* How each verb is called and what it needs, in the same order. */
struct verb_spec {
	const char *args;
	int min_args, max_args;
	unsigned needs;
	int (*fn)(struct ledger_control *c, char **args);
};
static int run_add_edit(struct ledger_control *c, char **args);
static int run_show(struct ledger_control *c, char **args);
static int run_list(struct ledger_control *c, char **args);
static int run_history(struct ledger_control *c, char **args);
static int run_import(struct ledger_control *c, char **args);
static int run_export(struct ledger_control *c, char **args);
static int do_verify(struct ledger_control *c, char **args);
static int run_check(struct ledger_control *c, char **args);
static int run_export_event(struct ledger_control *c, char **args);
static int do_requests(struct ledger_control *c, char **args);
static int do_answer(struct ledger_control *c, char **args);
static int do_adopt(struct ledger_control *c, char **args);
static int do_status(struct ledger_control *c, char **args);
static int do_archive(struct ledger_control *c, char **args);
static int do_migrate(struct ledger_control *c, char **args);

static const struct verb_spec verbs[] = {
	[V_ADD] = { "ID [--from-device DEV] [--FIELD VALUE]... --key FILE", 1, 1, NEEDS_KEY, run_add_edit },
	[V_EDIT] = { "ID --FIELD VALUE... --reason TEXT --key FILE", 1, 1, NEEDS_KEY, run_add_edit },
	[V_SHOW] = { "ID", 1, 1, 0, run_show },
	[V_LIST] = { "[--status S] [--department D]", 0, 0, 0, run_list },
	[V_HISTORY] = { "[ID]", 0, 1, 0, run_history },
	[V_IMPORT] = { "FILE [--dry-run] [--update] [--encoding E] [--map MAP] [--keep-unknown] --key FILE", 1, 1,
		       NEEDS_KEY, run_import },
	[V_EXPORT] = { "[--format csv|json] [--bom] [--japanese] [--events] [-o FILE]", 0, 0, 0, run_export },
	[V_VERIFY] = { "[--head SEQ:HASH] [--trust DIR] [--archive FILE]", 0, 0, 0, do_verify },
	[V_CHECK] = { "ID DEV", 2, 2, 0, run_check },
	[V_EXPORT_EVENT] = { "SEQ -o FILE", 1, 1, 0, run_export_event },
	[V_REQUESTS] = { "[ID]", 0, 1, 0, do_requests },
	[V_APPROVE_CHANGE] = { "SEQ --key APPROVER.key [--trust DIR] [--reason TEXT]", 1, 1, NEEDS_KEY | NEEDS_TRUST,
			       do_answer },
	[V_DENY_CHANGE] = { "SEQ --key FILE [--trust DIR] [--reason TEXT]", 1, 1, NEEDS_KEY | NEEDS_TRUST, do_answer },
	[V_ADOPT_LEGACY] = { "--key ROOT_OR_APPROVER.key --reason TEXT [--trust DIR]", 0, 0, NEEDS_KEY | NEEDS_TRUST,
			     do_adopt },
	[V_STATUS] = { "ID STATUS|back --reason TEXT [--permitted-by P] [--incident I --threat-level N] "
		       "[--agreement A] --key FILE", 2, 2, NEEDS_KEY, do_status },
	[V_ARCHIVE] = { "--before DATE -o FILE --key APPROVER_OR_ROOT.key [--reason TEXT] [--policy P] "
			"[--state-dir D] [--trust DIR]", 0, 0, NEEDS_KEY | NEEDS_TRUST, do_archive },
	[V_MIGRATE] = { "[--to DB]", 0, 0, 0, do_migrate },
};
_Static_assert(ARRAY_SIZE(verbs) + 1 == ARRAY_SIZE(ledger_cmds), "one spec a ledger command");

/* Everything the operator asked for, in one place. */
struct ledger_control {
	enum verb verb;
	const char *db;
	char *name;                /* the ledger's location for messages, no password */
	const char *to;            /* migrate: the store to copy into */
	const char *actor;
	const char *reason;
	const char *id;
	const char *set[_LEDGER_F_MAX];
	bool any_set;
	const char *status;
	const char *department;
	enum ledger_encoding encoding;
	bool dry_run, update, json, bom, japanese, events;
	enum ledger_export_format format;
	const char *output;
	const char *from_device;
	const char *attest, *confirm; /* --attest-serial, --confirm-serial (add --from-device) */
	const char *head;
	const char *key, *pass_file, *trust;
	const char *map, *policy;  /* import: the column map, the policy ([csv], [classification]) */
	bool keep_unknown;
	const char *before, *state_dir, *archive;  /* archive; verify --archive */
	bool trust_given;          /* --trust or $WIPECERT_TRUST: record serials on writes */
	bool require_signed;       /* verify: as --trust with the default directory */
	struct trust_seckey *sk;   /* --key, unlocked */
	struct trust_store *store; /* --trust, loaded (NEEDS_TRUST, or given) */
};

enum {
	OPT_DB = 0x100, OPT_ACTOR, OPT_REASON, OPT_JSON, OPT_DRY_RUN, OPT_UPDATE, OPT_ENCODING,
	OPT_FORMAT, OPT_BOM, OPT_JAPANESE, OPT_EVENTS, OPT_FILTER_DEPT, OPT_FROM_DEVICE, OPT_HEAD,
	OPT_KEY, OPT_PASS, OPT_TRUST, OPT_REQUIRE_SIGNED, OPT_ATTEST, OPT_CONFIRM, OPT_TO,
	OPT_MAP, OPT_KEEP_UNKNOWN, OPT_POLICY, OPT_BEFORE, OPT_STATE_DIR, OPT_ARCHIVE,
	OPT_FIELD = 0x200, /* + enum ledger_field */
};

/* Option names of the fields: the field names with '-' for '_'. */
static const char *const field_opts[_LEDGER_F_MAX] = {
	[LEDGER_F_ASSET_ID] = NULL,
	[LEDGER_F_MEDIA_TYPE] = "media-type",
	[LEDGER_F_MANUFACTURER] = "manufacturer",
	[LEDGER_F_MODEL] = "model",
	[LEDGER_F_SERIAL] = "serial",
	[LEDGER_F_WWN] = "wwn",
	[LEDGER_F_CAPACITY] = "capacity",
	[LEDGER_F_DEPARTMENT] = "department",
	[LEDGER_F_LOCATION] = "location",
	[LEDGER_F_IMPORTANCE] = "class",
	[LEDGER_F_LEASE] = "lease",
	[LEDGER_F_NOTES] = "notes",
	[LEDGER_F_STATUS] = "status",
	[LEDGER_F_CERTIFICATE] = "certificate",
	[LEDGER_F_NAME] = "asset-name",
	[LEDGER_F_MANAGER] = "manager",
	[LEDGER_F_HOST] = "host",
	[LEDGER_F_DATA] = "data-held",
	[LEDGER_F_ACQUIRED] = "acquired",
	[LEDGER_F_LEASE_START] = "lease-start",
	[LEDGER_F_LEASE_END] = "lease-end",
	[LEDGER_F_RETENTION] = "retention",
	[LEDGER_F_CONFIDENTIALITY] = "confidentiality",
	[LEDGER_F_INTEGRITY] = "integrity",
	[LEDGER_F_AVAILABILITY] = "availability",
	[LEDGER_F_PERMITTED_BY] = "permitted-by",
	[LEDGER_F_RETURN_DUE] = "return-due",
	[LEDGER_F_INCIDENT] = "incident",
	[LEDGER_F_THREAT] = "threat-level",
	[LEDGER_F_AGREEMENT] = "agreement",
	[LEDGER_F_EXTRA] = "extra",
};

/* The commands (or the one verb's), then the fields and options. */
static void help(FILE *f, int verb)
{
	fprintf(f, _("Usage: %s ledger [--db DB] <command> [options]\n\n"
		   "The asset ledger (情報資産管理簿) and its tamper-evident change history.\n"
		   "Every change is an event signed by the person who makes it (--key).\n\n"
		   "Commands:\n"), program_name);
	for (size_t i = 0; ledger_cmds[i].name; i++)
		if (verb < 0 || (size_t)verb == i)
			fprintf(f, "  %s %s\n      %s\n", ledger_cmds[i].name, verbs[i].args, _(ledger_cmds[i].summary));
	fprintf(f, _("\nFields (add, edit):\n"
		   "  --media-type T  --manufacturer M  --model M  --serial S  --wwn W\n"
		   "  --capacity SIZE  --department D  --location L  --class 1|2|3\n"
		   "  --lease L  --notes N  --status S  --certificate ID\n"
		   "  --asset-name N  --manager M  --host H  --data-held D  --acquired DATE\n"
		   "  --lease-start DATE  --lease-end DATE  --retention DATE\n"
		   "  --confidentiality 1|2|3  --integrity 1|2  --availability 1|2\n"
		   "  --permitted-by P  --return-due DATE  --incident REF  --threat-level 1|2|3\n"
		   "  --agreement REF  --extra JSON\n"
		   "  (dates: 2024-04-01, 2024/4/1, 令和6年4月1日, R6.4.1)\n"
		   "Status: in-service retired awaiting-erasure erased approved disposed\n"
		   "        handed-to-contractor destroyed taken-out lost stolen written-off\n"
		   "        in-repair lease-returned evidence-hold (docs/ledger.md draws the moves)\n"
		   "\nOptions:\n"
		   "      --db DB          the ledger: a SQLite file, or a PostgreSQL database as a\n"
		   "                       libpq URI (postgresql://...) or string (service=NAME)\n"
		   "                       (else $WIPECERT_DB, else %s)\n"
		   "      --from-device DEV  add: identity (model, serial, WWN, size) from the disk\n"
		   "      --attest-serial S  add --from-device: the label's serial of a medium that\n"
		   "                       reports none, attested by the actor; typed again on the\n"
		   "                       terminal, or --confirm-serial S\n"
		   "      --actor NAME     who makes the change (default: the login name)\n"
		   "      --reason TEXT    why (required for edit)\n"
		   "  -J, --json           machine-readable output (not export, export-event,\n"
		   "                       approve-change, deny-change, adopt-legacy)\n"
		   "      --encoding E     import: auto (default), utf-8 or cp932\n"
		   "  -n, --dry-run, --no-act  import: report what would change, write nothing\n"
		   "      --update         import: rows for existing assets change them\n"
		   "      --map FILE       import: their columns and values onto ours ([csv] THEIR\n"
		   "                       HEADER = FIELD | ignore | extra; [csv values FIELD] THEIRS =\n"
		   "                       OURS); the policy's [csv] sections are read first\n"
		   "      --keep-unknown   import: keep columns nobody mapped as extra attributes\n"
		   "      --policy FILE    import, add, edit: the policy ([csv], and [classification]:\n"
		   "                       which importance class each 機密性 level is held to)\n"
		   "      --format F       export: csv (default) or json\n"
		   "      --bom            export: start the CSV with a UTF-8 BOM (spreadsheets)\n"
		   "      --japanese       export: Japanese CSV headers\n"
		   "      --events         export: JSON with the whole event chain (archiving)\n"
		   "  -o, --output FILE    export: write to FILE (atomically) instead of stdout\n"
		   "      --head SEQ:HASH  verify: a head printed by an earlier verify must still be there\n"
		   "      --archive FILE   verify: check an archive file (and FILE.minisig) alone\n"
		   "      --before DATE    archive: the events before this day (YYYY-MM-DD, 令和 too)\n"
		   "      --state-dir D    archive: where the certificates are (else $WIPECERT_STATE_DIR)\n"
		   "      --key FILE       the secret key that signs the events (required to change\n"
		   "                       the ledger; its holder is the actor)\n"
		   "      --passphrase-file F  the key's passphrase (else asked on the terminal)\n"
		   "      --trust DIR      the trust roster (else $WIPECERT_TRUST, else %s):\n"
		   "                       verify: check every event's signature and approval;\n"
		   "                       approve-change, deny-change, adopt-legacy: who may;\n"
		   "                       add, edit, import: record the roster's serials\n"
		   "      --require-signed verify: accepted for compatibility (always so now)\n"
		   "      --status S, --department D   list: only these\n"
		   "      --to DB          migrate: copy the whole ledger into DB (empty)\n"
		   "  -h, --help           show this help\n\n"
		   "\nChanges the disposal policy depends on (a less sensitive class, the status\n"
		   "back to in-service or to handed-to-contractor, a serial or WWN on record\n"
		   "replaced) are recorded as requests: they take effect when an approver,\n"
		   "another person, runs 'ledger approve-change SEQ'.\n"
		   "\nExit status: 0 ok, 1 failed (not found, bad row, broken chain, bad\n"
		   "signature), 2 usage, 3 refused (check: the disk is not the asset; a key\n"
		   "file others can read; an older trust list put back; approving one's own\n"
		   "request or without an approver's key).\n"),
		LEDGER_DEFAULT_PATH, TRUST_DEFAULT_DIR);
}

static void family_help(FILE *f, const struct command_table *t)
{
	(void)t;
	help(f, -1);
}

/* Which options each verb takes. */
static bool allowed(enum verb v, int opt)
{
	if (opt == OPT_DB || opt == 'h')
		return true;
	if (opt >= OPT_FIELD)
		return v == V_ADD || v == V_EDIT || (v == V_STATUS && opt != OPT_FIELD + LEDGER_F_STATUS) || (v == V_LIST && opt == OPT_FIELD + LEDGER_F_STATUS) ||
		       (v == V_LIST && opt == OPT_FIELD + LEDGER_F_DEPARTMENT);
	switch (opt) {
	case OPT_ACTOR:
		return v == V_ADD || v == V_EDIT || v == V_IMPORT;
	case OPT_REASON:
		return (verbs[v].needs & NEEDS_KEY) != 0;
	case OPT_JSON:
		return ledger_cmds[v].flags & CMD_JSON;
	case OPT_FROM_DEVICE: case OPT_ATTEST: case OPT_CONFIRM:
		return v == V_ADD;
	case OPT_HEAD: case OPT_REQUIRE_SIGNED:
		return v == V_VERIFY;
	case OPT_TO:
		return v == V_MIGRATE;
	case OPT_TRUST:
		return v == V_VERIFY || (verbs[v].needs & NEEDS_KEY);
	case OPT_KEY: case OPT_PASS:
		return (verbs[v].needs & NEEDS_KEY) != 0;
	case OPT_DRY_RUN:
		return ledger_cmds[v].flags & CMD_DRY_RUN;
	case OPT_UPDATE: case OPT_ENCODING: case OPT_MAP: case OPT_KEEP_UNKNOWN:
		return v == V_IMPORT;
	case OPT_POLICY:
		return v == V_IMPORT || v == V_ARCHIVE || v == V_ADD || v == V_EDIT;
	case OPT_BEFORE: case OPT_STATE_DIR:
		return v == V_ARCHIVE;
	case OPT_ARCHIVE:
		return v == V_VERIFY;
	case 'o':
		return v == V_EXPORT || v == V_EXPORT_EVENT || v == V_ARCHIVE;
	case OPT_FORMAT: case OPT_BOM: case OPT_JAPANESE: case OPT_EVENTS:
		return v == V_EXPORT;
	}
	return false;
}

static int parse_args(int argc, char **argv, struct ledger_control *c)
{
	_cleanup_free_ char *cmd = NULL;
	struct option opts[80];
	size_t n = 0;
	int o;

#define ADD(name, has, val) opts[n++] = (struct option) { name, has, NULL, val }
	ADD("db", required_argument, OPT_DB);
	ADD("actor", required_argument, OPT_ACTOR);
	ADD("reason", required_argument, OPT_REASON);
	ADD("json", no_argument, 'J');
	ADD("dry-run", no_argument, 'n');
	ADD("no-act", no_argument, 'n');
	ADD("update", no_argument, OPT_UPDATE);
	ADD("encoding", required_argument, OPT_ENCODING);
	ADD("format", required_argument, OPT_FORMAT);
	ADD("bom", no_argument, OPT_BOM);
	ADD("japanese", no_argument, OPT_JAPANESE);
	ADD("events", no_argument, OPT_EVENTS);
	ADD("output", required_argument, 'o');
	ADD("from-device", required_argument, OPT_FROM_DEVICE);
	ADD("attest-serial", required_argument, OPT_ATTEST);
	ADD("confirm-serial", required_argument, OPT_CONFIRM);
	ADD("head", required_argument, OPT_HEAD);
	ADD("key", required_argument, OPT_KEY);
	ADD("passphrase-file", required_argument, OPT_PASS);
	ADD("trust", required_argument, OPT_TRUST);
	ADD("require-signed", no_argument, OPT_REQUIRE_SIGNED);
	ADD("to", required_argument, OPT_TO);
	ADD("map", required_argument, OPT_MAP);
	ADD("keep-unknown", no_argument, OPT_KEEP_UNKNOWN);
	ADD("policy", required_argument, OPT_POLICY);
	ADD("before", required_argument, OPT_BEFORE);
	ADD("state-dir", required_argument, OPT_STATE_DIR);
	ADD("archive", required_argument, OPT_ARCHIVE);
	ADD("help", no_argument, 'h');
	for (unsigned f = 0; f < _LEDGER_F_MAX; f++)
		if (field_opts[f])
			ADD(field_opts[f], required_argument, OPT_FIELD + (int)f);
	ADD(NULL, 0, 0);
#undef ADD

	if (asprintf(&cmd, "ledger %s", argv[0]) < 0)
		return -ENOMEM;
	while ((o = cli_getopt(argc, argv, opts, cmd)) >= 0) {
		if (o == '?')
			return -EINVAL;
		if (o == 'J')
			o = OPT_JSON;
		if (o == 'n')
			o = OPT_DRY_RUN;
		if (!allowed(c->verb, o))
			return usage_error(cmd, _("'%s' takes no option %s"), ledger_cmds[c->verb].name, argv[optind - 1]),
			       -EINVAL;
		switch (o) {
		case 'h':
			help(stdout, c->verb);
			return 1;
		case OPT_DB: c->db = optarg; break;
		case OPT_ACTOR: c->actor = optarg; break;
		case OPT_REASON: c->reason = optarg; break;
		case OPT_JSON: c->json = true; break;
		case OPT_DRY_RUN: c->dry_run = true; break;
		case OPT_UPDATE: c->update = true; break;
		case OPT_BOM: c->bom = true; break;
		case OPT_JAPANESE: c->japanese = true; break;
		case OPT_EVENTS: c->events = true; break;
		case 'o': c->output = optarg; break;
		case OPT_FROM_DEVICE: c->from_device = optarg; break;
		case OPT_ATTEST: c->attest = optarg; break;
		case OPT_CONFIRM: c->confirm = optarg; break;
		case OPT_HEAD: c->head = optarg; break;
		case OPT_KEY: c->key = optarg; break;
		case OPT_PASS: c->pass_file = optarg; break;
		case OPT_TRUST: c->trust = optarg; break;
		case OPT_REQUIRE_SIGNED: c->require_signed = true; break; /* always so now */
		case OPT_TO: c->to = optarg; break;
		case OPT_MAP: c->map = optarg; break;
		case OPT_KEEP_UNKNOWN: c->keep_unknown = true; break;
		case OPT_POLICY: c->policy = optarg; break;
		case OPT_BEFORE: c->before = optarg; break;
		case OPT_STATE_DIR: c->state_dir = optarg; break;
		case OPT_ARCHIVE: c->archive = optarg; break;
		case OPT_ENCODING:
			if (ledger_encoding_from_string(optarg, &c->encoding) < 0)
				return usage_error("ledger", _("unknown encoding '%s' (auto, utf-8, cp932)"), optarg), -EINVAL;
			break;
		case OPT_FORMAT:
			if (streq(optarg, "csv"))
				c->format = LEDGER_EXPORT_CSV;
			else if (streq(optarg, "json"))
				c->format = LEDGER_EXPORT_JSON;
			else
				return usage_error("ledger", _("unknown format '%s' (csv, json)"), optarg), -EINVAL;
			break;
		default:
			if (c->verb == V_LIST) {
				if (o == OPT_FIELD + LEDGER_F_STATUS)
					c->status = optarg;
				else
					c->department = optarg;
				break;
			}
			c->set[o - OPT_FIELD] = optarg;
			c->any_set = true;
		}
	}
	return 0;
}

static void print_json(json_t *j)
{
	cli_print_json(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
}

static int rollback_refused(const struct ledger_control *c, const struct ledger_trust_report *rep)
{
	log_error(_("%s: refused: the trust directory's %s has serial %llu, but the ledger recorded serial %llu "
		    "(event %llu): an older signed list was put back"), c->name, rep->list,
		  (unsigned long long)rep->store_serial, (unsigned long long)rep->ledger_serial,
		  (unsigned long long)rep->event);
	return EXIT_REFUSED;
}

/* Open the ledger; for a verb that writes, every event appended is signed
 * by --key, and with a trust roster its lists must not be older than the
 * ledger recorded. Returns an exit code, 0 when open. */
static int open_ledger(const struct ledger_control *c, bool create, struct ledger **ret)
{
	const char *path = c->name;
	struct ledger_trust_report rep = {};
	int r = cli_ledger_open(c->db, create ? LEDGER_OPEN_CREATE : 0, ret);

	if (r)
		return r;
	if (!c->sk)
		return EXIT_OK;
	r = ledger_set_signer(*ret, c->sk);
	if (r >= 0 && c->store) {
		/* the roster's serials are recorded with what this command writes */
		ledger_set_trust(*ret, c->store);
		r = ledger_trust_check(*ret, c->store, &rep);
	}
	if (r == -ESTALE)
		return rollback_refused(c, &rep);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot read the trust lists' serials"), path), EXIT_FAIL;
	return EXIT_OK;
}


/* Apply --FIELD options onto a; prints the error. */
static int apply_fields(const struct ledger_control *c, struct ledger_asset *a)
{
	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		int r;

		if (!c->set[f])
			continue;
		r = ledger_asset_set(a, f, c->set[f]);
		if (r < 0) {
			usage_error("ledger", _("bad value for --%s: '%s'"), field_opts[f], c->set[f]);
			return r;
		}
	}
	return 0;
}

static void print_asset(const struct ledger_asset *a)
{
	static const char *const labels[_LEDGER_F_MAX] = {
		N_("Asset ID"), N_("Media type"), N_("Manufacturer"), N_("Model"), N_("Serial"), N_("WWN"),
		N_("Capacity"), N_("Department"), N_("Location"), N_("Importance"), N_("Lease/owner"),
		N_("Notes"), N_("Status"), N_("Certificate"), N_("Asset name"), N_("Manager"), N_("Host"),
		N_("Data held"), N_("Acquired"), N_("Lease start"), N_("Lease end"), N_("Retention until"),
		N_("Confidentiality"), N_("Integrity"), N_("Availability"), N_("Permitted by"), N_("Return due"),
		N_("Incident"), N_("Threat level"), N_("Agreement"), N_("Other attributes"),
	};

	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		const char *v = ledger_asset_value(a, f);

		/* the fields of schema 3 only when set: most media have none */
		if (f >= LEDGER_F_V1_MAX && !v)
			continue;
		printf("%s: %s", _(labels[f]), v ? v : "-");
		if (f == LEDGER_F_CAPACITY && v)
			printf(_(" bytes"));
		putchar('\n');
	}
}

static const char *media_type(const struct disk *d)
{
	switch (d->transport) {
	case TRANSPORT_NVME: return "nvme";
	case TRANSPORT_USB: return d->rotational ? "usb-hdd" : "usb";
	case TRANSPORT_MMC: return "mmc";
	case TRANSPORT_LOOP: case TRANSPORT_FILE: return "image";
	default: return d->rotational ? "hdd" : "ssd";
	}
}

/* The identity of DEV as disk detection sees it, onto a; with
 * --attest-serial, the label's serial for a medium that reports none. */
static int apply_device(const struct ledger_control *c, const char *dev, struct ledger_asset *a)
{
	struct disk_scan scan = {};
	struct disk d = {};
	int r;

	r = disk_probe(&scan, dev, &d);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot read the disk's identity"), dev);
	if (c->attest && disk_has_identity(&d)) {
		log_error(_("%s: refused: it reports its own serial %s (WWN %s): an attested serial is only for media "
			    "that report none"), dev, d.serial ? d.serial : "-", d.wwn ? d.wwn : "-");
		disk_release(&d);
		return -EPERM;
	}
	if (c->attest && cli_attest_confirm(dev, c->attest, c->confirm) < 0) {
		disk_release(&d);
		return -EPERM;
	}
	struct ledger_detected det = {
		.media_type = media_type(&d), .manufacturer = d.vendor, .model = d.model,
		.serial = c->attest ? c->attest : d.serial, .wwn = d.wwn, .capacity = d.size,
	};
	r = ledger_asset_from_detected(&det, a);
	disk_release(&d);
	if (r < 0)
		return log_error_errno(r, _("%s: unusable identity"), dev);
	return 0;
}

static void report_change(const struct ledger_control *c, int r, uint64_t seq)
{
	if (r & LEDGER_REQUESTED)
		log_info(_("ledger: the change of %s that the policy depends on is recorded as request %llu: "
			   "it takes effect when an approver, another person, runs 'wipecert ledger approve-change %llu'"),
			 c->id, (unsigned long long)seq, (unsigned long long)seq);
	else if (r == 0)
		log_info(_("ledger: %s unchanged (no event recorded)"), c->id);
	else
		log_info(_("ledger: changed %s (event %llu, signed by %s)"), c->id, (unsigned long long)seq,
			 trust_seckey_name(c->sk));
}

/* The policy's [classification] on an asset given a 機密性 level; prints
 * why and returns an exit code, 0 when it holds. */
static int hold_class(const struct ledger_control *c, struct ledger_asset *a)
{
	const char *cv = ledger_asset_value(a, LEDGER_F_CONFIDENTIALITY);
	struct policy pol = {};
	bool have = false;
	char why[200];
	int r;

	if (!cv)
		return EXIT_OK;
	if (cli_policy_load(c->policy, &pol, &have) < 0)
		return EXIT_FAIL;
	if (!have && policy_default(&pol) < 0)
		return EXIT_FAIL;
	r = ledger_asset_hold_class(a, policy_class_of_confidentiality(&pol, cv[0] - '0'), why, sizeof(why));
	policy_release(&pol);
	if (r == -EPERM) {
		log_error(_("refused: %s"), why);
		return EXIT_REFUSED;
	}
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

static int do_add_edit(const struct ledger_control *c)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	struct ledger_asset a = {};
	const char *path = c->name;
	uint64_t seq = 0;
	int r, ret = EXIT_FAIL;

	if (c->attest && !c->from_device)
		return usage_error("ledger", _("--attest-serial attests the serial of --from-device DEV"));
	if (c->verb == V_EDIT && !c->any_set)
		return usage_error("ledger", _("edit: nothing to change (give --FIELD VALUE)"));
	if (c->verb == V_EDIT && !(c->reason && *c->reason))
		return usage_error("ledger", _("edit: --reason is required (the history records why)"));
	r = open_ledger(c, c->verb == V_ADD, &l);
	if (r)
		return r;
	if (c->verb == V_EDIT) {
		r = ledger_asset_get(l, c->id, &a);
		if (r == -ENOENT) {
			log_error(_("asset %s: not in the ledger"), c->id);
			return EXIT_FAIL;
		}
		if (r < 0) {
			log_error_errno(r, _("%s: asset %s"), path, c->id);
			return EXIT_FAIL;
		}
	} else if (ledger_asset_set(&a, LEDGER_F_ASSET_ID, c->id) < 0)
		return usage_error("ledger", _("bad asset ID '%s'"), c->id);
	if (c->from_device) {
		r = apply_device(c, c->from_device, &a);
		if (r < 0) {
			ret = r == -EPERM ? EXIT_REFUSED : EXIT_FAIL;
			goto out;
		}
	}
	r = apply_fields(c, &a);
	if (r < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	/* a 機密性 level given: the class the policy holds it to */
	if (c->set[LEDGER_F_CONFIDENTIALITY] || c->set[LEDGER_F_IMPORTANCE]) {
		r = hold_class(c, &a);
		if (r) {
			ret = r;
			goto out;
		}
	}
	if (c->verb == V_ADD) {
		_cleanup_free_ char *why = NULL;

		ledger_asset_check_new(&a);
		/* the history says whose word the serial is */
		if (c->attest && asprintf(&why, "%s; serial %s attested by %s (the device reports none)",
					  c->reason ? c->reason : "registered from the detected disk", c->attest,
					  c->actor) < 0)
			why = NULL;
		if (c->from_device)
			r = ledger_asset_add_detected(l, &a, c->actor, why ? why :
						      c->reason ? c->reason : "registered from the detected disk", &seq);
		else
			r = ledger_asset_add(l, &a, c->actor, c->reason ? c->reason : "registered", &seq);
	} else
		r = ledger_asset_edit(l, &a, c->actor, c->reason, &seq);
	if (r == -EINVAL && c->from_device) {
		log_error(_("%s: the disk reports neither serial nor wwn: nothing would tie an entry to it"),
			  c->from_device);
		r = -EIO; /* not a usage error */
	} else if (r == -ENOTUNIQ) {
		struct ledger_asset other = {};

		ledger_asset_find_identity(l, ledger_asset_value(&a, LEDGER_F_SERIAL), ledger_asset_value(&a, LEDGER_F_WWN),
					   &other);
		log_error(_("%s: refused: its serial or WWN is already asset %s's (one ledger entry per disk)"),
			  c->from_device ? c->from_device : c->id, ledger_asset_value(&other, LEDGER_F_ASSET_ID) ?: "?");
		ledger_asset_clear(&other);
		ret = EXIT_REFUSED;
		goto out;
	} else if (r == -EPERM && *ledger_last_error()) {
		/* the lifecycle table: which move, and what it needs */
		log_error(_("refused: %s"), ledger_last_error());
		ret = EXIT_REFUSED;
		goto out;
	} else if (r == -EEXIST)
		log_error(_("%s: asset %s is already in the ledger"), path, c->id);
	else if (r < 0)
		log_error_errno(r, c->verb == V_ADD ? _("%s: cannot add asset %s") : _("%s: cannot change asset %s"),
				path, c->id);
	else if (c->verb == V_ADD)
		log_info(_("ledger: added %s (event %llu, signed by %s)"), c->id, (unsigned long long)seq,
			 trust_seckey_name(c->sk));
	else
		report_change(c, r, seq);
	if (r >= 0 && c->json) {
		json_t *j = ledger_asset_to_json(&a);

		if (c->verb == V_EDIT)
			json_object_set_new(j, "requested", json_boolean(r & LEDGER_REQUESTED));
		print_json(j);
	}
	ret = r < 0 ? (r == -EINVAL ? EXIT_USAGE : EXIT_FAIL) : EXIT_OK;
out:
	ledger_asset_clear(&a);
	return ret;
}

/* The asset, or why not said: not in the ledger, or the ledger's error. */
static int get_asset(struct ledger *l, const char *id, struct ledger_asset *ret)
{
	int r = ledger_asset_get(l, id, ret);

	if (r == -ENOENT)
		log_error(_("asset %s: not in the ledger"), id);
	else if (r < 0)
		log_error_errno(r, _("asset %s"), id);
	return r;
}

static int do_show(const struct ledger_control *c)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	struct ledger_asset a = {};
	int r;

	r = open_ledger(c, false, &l);
	if (r)
		return r;
	if (get_asset(l, c->id, &a) < 0)
		return EXIT_FAIL;
	if (c->json)
		print_json(ledger_asset_to_json(&a));
	else
		print_asset(&a);
	ledger_asset_clear(&a);
	return EXIT_OK;
}

static int list_json(const struct ledger_asset *a, void *userdata)
{
	return json_array_append_new(userdata, ledger_asset_to_json(a)) < 0 ? -ENOMEM : 0;
}

/* The field names as people read them: po/ja.po gives the ledger's
 * Japanese headers (docs/ledger.md); JSON, CSV and options keep the names.
 * The list is for xgettext (po/wipecert.pot). */
static _unused_ const char *const field_words[] = {
	NC_("ledger field", "asset_id"), NC_("ledger field", "media_type"), NC_("ledger field", "manufacturer"),
	NC_("ledger field", "model"), NC_("ledger field", "serial"), NC_("ledger field", "wwn"),
	NC_("ledger field", "capacity"), NC_("ledger field", "department"), NC_("ledger field", "location"),
	NC_("ledger field", "importance"), NC_("ledger field", "lease"), NC_("ledger field", "notes"),
	NC_("ledger field", "status"), NC_("ledger field", "certificate_id"), NC_("ledger field", "asset_name"),
	NC_("ledger field", "manager"), NC_("ledger field", "host"), NC_("ledger field", "data_held"),
	NC_("ledger field", "acquired"), NC_("ledger field", "lease_start"), NC_("ledger field", "lease_end"),
	NC_("ledger field", "retention"), NC_("ledger field", "confidentiality"), NC_("ledger field", "integrity"),
	NC_("ledger field", "availability"), NC_("ledger field", "permitted_by"), NC_("ledger field", "return_due"),
	NC_("ledger field", "incident"), NC_("ledger field", "threat_level"), NC_("ledger field", "agreement"),
	NC_("ledger field", "extra"),
};

static const char *field_label(const char *field)
{
	return cli_pgettext("ledger field", field);
}

static const enum ledger_field list_cols[] = {
	LEDGER_F_ASSET_ID, LEDGER_F_STATUS, LEDGER_F_IMPORTANCE, LEDGER_F_DEPARTMENT,
	LEDGER_F_MODEL, LEDGER_F_SERIAL, LEDGER_F_LOCATION,
};

static int list_table(const struct ledger_asset *a, void *userdata)
{
	struct libscols_line *ln = scols_table_new_line(userdata, NULL);

	if (!ln)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(list_cols); i++) {
		const char *v = ledger_asset_value(a, list_cols[i]);

		if (scols_line_set_data(ln, i, v ? v : "-") < 0)
			return -ENOMEM;
	}
	return 0;
}

static int do_list(const struct ledger_control *c)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	struct ledger_filter f = { .status = c->status, .department = c->department };
	enum ledger_status st;
	int r;

	if (c->status && ledger_status_from_string(c->status, &st) < 0)
		return usage_error("ledger", _("unknown status '%s'"), c->status);
	if (c->status)
		f.status = ledger_status_name(st);
	r = open_ledger(c, false, &l);
	if (r)
		return r;
	if (c->json) {
		json_t *arr = json_array();

		r = ledger_asset_list(l, &f, list_json, arr);
		if (r < 0) {
			json_decref(arr);
			log_error_errno(r, _("cannot list the ledger"));
			return EXIT_FAIL;
		}
		print_json(arr);
		return EXIT_OK;
	}
	struct libscols_table *t = scols_new_table();
	if (!t)
		return EXIT_FAIL;
	for (size_t i = 0; i < ARRAY_SIZE(list_cols); i++)
		scols_table_new_column(t, field_label(ledger_field_name(list_cols[i])), 0, 0);
	r = ledger_asset_list(l, &f, list_table, t);
	if (r < 0)
		log_error_errno(r, _("cannot list the ledger"));
	else
		scols_print_table(t);
	scols_unref_table(t);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

static int history_json(const struct ledger_event *e, void *userdata)
{
	return json_array_append_new(userdata, ledger_event_to_json(e)) < 0 ? -ENOMEM : 0;
}

static int history_text(const struct ledger_event *e, void *userdata)
{
	json_t *ch = json_loads(e->changes ? e->changes : "{}", 0, NULL);
	const char *field;
	json_t *v;

	(void)userdata;
	printf("#%" PRIu64 " %s %s %s %s", e->seq, e->time_local, e->asset_id && *e->asset_id ? e->asset_id :
	       _("(whole ledger)"), e->kind, e->actor);
	if (e->reason && *e->reason)
		printf(" (%s)", e->reason);
	if (e->signature && e->key_id)
		printf(_(" [signature: key %s]"), e->key_id);
	putchar('\n');
	json_object_foreach(ch, field, v) {
		const char *o = json_string_value(json_array_get(v, 0));
		const char *n = json_string_value(json_array_get(v, 1));

		printf("    %s: %s -> %s\n", field_label(field), o ? o : "-", n ? n : "-");
	}
	json_decref(ch);
	return ferror(stdout) ? -EIO : 0;
}

static int do_history(const struct ledger_control *c)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	struct ledger_asset a = {};
	json_t *arr = NULL;
	int r;

	r = open_ledger(c, false, &l);
	if (r)
		return r;
	if (c->id) {
		r = ledger_asset_get(l, c->id, &a);
		ledger_asset_clear(&a);
		if (r == -ENOENT)
			log_warn(_("asset %s: not in the ledger (showing any history it has)"), c->id);
	}
	if (c->json) {
		arr = json_array();
		r = ledger_history(l, c->id, history_json, arr);
		if (r >= 0)
			print_json(arr);
		else
			json_decref(arr);
	} else
		r = ledger_history(l, c->id, history_text, NULL);
	if (r < 0) {
		log_error_errno(r, _("cannot read the history"));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

struct import_ctx {
	bool json;
	json_t *rows;
	json_t *columns;
};

static void import_row(unsigned long line, const char *asset_id, const char *action,
		       const char *changes, void *userdata)
{
	struct import_ctx *x = userdata;

	if (x->json) {
		json_t *ch = changes ? json_loads(changes, 0, NULL) : NULL;

		json_array_append_new(x->rows, json_pack("{s:I, s:s, s:s, s:o?}", "line", (json_int_t)line,
							 "asset_id", asset_id, "action", action, "changes", ch));
		return;
	}
	printf(_("line %lu: %s %s"), line, action, asset_id);
	if (changes && streq(action, "update"))
		printf(" %s", changes);
	putchar('\n');
}

static void import_column(size_t col, const char *header, const char *target, const char *how, void *userdata)
{
	struct import_ctx *x = userdata;

	if (x->json) {
		json_array_append_new(x->columns, json_pack("{s:I, s:s, s:s, s:s}", "column", (json_int_t)col + 1,
							    "header", header, "field", target, "how", how));
		return;
	}
	printf(_("column %zu '%s': %s (%s)\n"), col + 1, header, target, how);
}

/* The column map: the policy's [csv] sections, then --map over them; the
 * policy's [classification] for 機密性. Prints why and returns -errno. */
static int load_map(const struct ledger_control *c, struct ledger_csv_map **ret)
{
	_cleanup_(ledger_csv_map_freep) struct ledger_csv_map *m = NULL;
	_cleanup_free_ char *err = NULL;
	struct policy pol = {};
	bool have_pol = false;
	int r;

	r = ledger_csv_map_new(&m);
	if (r < 0)
		return log_error_errno(r, _("out of memory"));
	r = cli_policy_load(c->policy, &pol, &have_pol);
	if (r < 0)
		return r;
	if (!have_pol && (r = policy_default(&pol)) < 0)
		return log_error_errno(r, _("out of memory"));
	for (int lvl = 1; lvl <= 3; lvl++)
		ledger_csv_map_class(m, lvl, policy_class_of_confidentiality(&pol, lvl));
	if (have_pol)
		r = ledger_csv_map_load(m, pol.source, true, &err);
	policy_release(&pol);
	if (r >= 0 && c->map)
		r = ledger_csv_map_load(m, c->map, false, &err);
	if (r < 0) {
		if (err)
			log_error("%s", err);
		else
			log_error_errno(r, _("%s: cannot read the column map"), c->map);
		return r;
	}
	*ret = TAKE_PTR(m);
	return 0;
}

static int do_import(const struct ledger_control *c, const char *file)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	_cleanup_(ledger_csv_map_freep) struct ledger_csv_map *map = NULL;
	struct import_ctx x = { .json = c->json, .rows = json_array(), .columns = json_array() };
	struct ledger_import_opts o = {
		.encoding = c->encoding, .dry_run = c->dry_run, .update = c->update,
		.actor = c->actor, .reason = c->reason ? c->reason : "imported",
		.userdata = &x, .keep_unknown = c->keep_unknown,
	};
	struct ledger_import_report rep = {};
	int r;

	if (load_map(c, &map) < 0) {
		json_decref(x.rows);
		json_decref(x.columns);
		return EXIT_FAIL;
	}
	o.map = map;
	if (c->dry_run || c->json)
		o.row = import_row;
	if (c->dry_run || c->json)
		o.column = import_column;
	r = open_ledger(c, true, &l);
	if (r) {
		json_decref(x.rows);
		json_decref(x.columns);
		return r;
	}
	r = ledger_import_csv(l, file, &o, &rep);
	if (r < 0) {
		json_decref(x.rows);
		json_decref(x.columns);
		if (rep.error_line)
			log_error(_("%s:%lu: %s: nothing imported"), file, rep.error_line, rep.error);
		else
			log_error_errno(r, _("%s: import failed, nothing imported"), file);
		return EXIT_FAIL;
	}
	if (c->json)
		print_json(json_pack("{s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "file", file,
				     "dry_run", c->dry_run, "encoding", ledger_encoding_name(rep.encoding),
				     "rows", (json_int_t)rep.rows, "added", (json_int_t)rep.added,
				     "updated", (json_int_t)rep.updated, "requested", (json_int_t)rep.requested,
				     "unchanged", (json_int_t)rep.unchanged, "columns", x.columns, "details", x.rows));
	else {
		json_decref(x.rows);
		json_decref(x.columns);
	}
	log_info(_("%s: %s%zu rows (%s): %zu added, %zu updated, %zu unchanged; events signed by %s"), file,
		 c->dry_run ? _("dry run, nothing written: ") : "", rep.rows,
		 ledger_encoding_name(rep.encoding), rep.added, rep.updated, rep.unchanged, trust_seckey_name(c->sk));
	if (rep.requested)
		log_info(_("%s: %zu changes the policy depends on are recorded as requests: they take effect when an "
			   "approver approves them (wipecert ledger requests)"), file, rep.requested);
	return EXIT_OK;
}

static int do_export(const struct ledger_control *c)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	struct ledger_export_opts o = { .format = c->format, .bom = c->bom, .japanese = c->japanese,
					 .events = c->events };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int r;

	if (c->events && c->format != LEDGER_EXPORT_JSON)
		return usage_error("ledger", _("--events needs --format json"));
	if ((c->bom || c->japanese) && c->format != LEDGER_EXPORT_CSV)
		return usage_error("ledger", _("--bom and --japanese are for --format csv"));
	r = open_ledger(c, false, &l);
	if (r)
		return r;
	out = c->output ? open_memstream(&buf, &len) : stdout;
	if (!out)
		return log_error_errno(-errno, _("cannot export")), EXIT_FAIL;
	r = ledger_export(l, out, &o);
	if (c->output) {
		if (fclose(out) != 0 && r >= 0)
			r = -errno;
		if (r >= 0)
			r = write_file_atomic(c->output, buf, len, 0640, false);
		free(buf);
	}
	if (r < 0) {
		log_error_errno(r, _("%s: export failed"), c->output ? c->output : "stdout");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int do_check(const struct ledger_control *c, const char *dev)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	_cleanup_free_ char *why = NULL;
	struct ledger_asset a = {};
	struct disk_scan scan = {};
	struct disk d = {};
	int r;

	r = open_ledger(c, false, &l);
	if (r)
		return r;
	if (get_asset(l, c->id, &a) < 0)
		return EXIT_FAIL;
	r = disk_probe(&scan, dev, &d);
	if (r < 0) {
		ledger_asset_clear(&a);
		return log_error_errno(r, _("%s: cannot read the disk's identity"), dev), EXIT_FAIL;
	}
	r = ledger_identity_check(&a, d.serial, d.wwn, &why);
	if (c->json)
		print_json(json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:s?}", "asset_id", c->id, "device", dev,
				     "match", r == LEDGER_IDENTITY_MATCH, "serial", d.serial, "wwn", d.wwn,
				     "reason", why));
	disk_release(&d);
	ledger_asset_clear(&a);
	if (r < 0)
		return log_error_errno(r, _("%s: identity check"), dev), EXIT_FAIL;
	if (r != LEDGER_IDENTITY_MATCH) {
		log_error(_("%s: refused: %s"), dev, why);
		return EXIT_REFUSED;
	}
	if (!c->json)
		printf(_("%s is asset %s\n"), dev, c->id);
	return EXIT_OK;
}

static const char *break_name(enum ledger_break b)
{
	static const char *const n[] = {
		[LEDGER_BREAK_NONE] = "none", [LEDGER_BREAK_EDITED] = "edited",
		[LEDGER_BREAK_LINK] = "link", [LEDGER_BREAK_MISSING] = "missing",
		[LEDGER_BREAK_HEAD] = "head", [LEDGER_BREAK_ASSET_STATE] = "asset-state",
		[LEDGER_BREAK_ASSET_UNKNOWN] = "asset-unknown", [LEDGER_BREAK_ANCHOR] = "anchor",
		[LEDGER_BREAK_ARCHIVE] = "archive",
	};
	return (unsigned)b < ARRAY_SIZE(n) ? n[b] : "unknown";
}

static const char *sig_problem_name(enum ledger_sig_problem p)
{
	static const char *const n[] = {
		[LEDGER_SIG_OK] = "none", [LEDGER_SIG_UNSIGNED] = "unsigned",
		[LEDGER_SIG_INVALID] = "invalid", [LEDGER_SIG_NOT_ACTOR] = "not-actor",
		[LEDGER_SIG_KEY_ID] = "key-id", [LEDGER_SIG_TIME] = "time",
		[LEDGER_SIG_FOREIGN] = "foreign", [LEDGER_SIG_ROLE] = "role",
		[LEDGER_SIG_UNAPPROVED] = "unapproved",
	};
	return (unsigned)p < ARRAY_SIZE(n) ? n[p] : "unknown";
}

static json_t *sig_json(const struct ledger_sig_result *sv, int rs)
{
	json_t *sj = json_pack("{s:b, s:I, s:I, s:I, s:o}", "ok", rs == 0, "signed", (json_int_t)sv->n_signed,
			       "covered", (json_int_t)sv->n_covered, "legacy", (json_int_t)sv->n_legacy, "legacy_upto",
			       sv->legacy_upto ? json_integer((json_int_t)sv->legacy_upto) : json_null());

	if (rs < 0) {
		json_object_set_new(sj, "problem", json_string(sig_problem_name(sv->problem)));
		if (sv->problem == LEDGER_SIG_INVALID)
			json_object_set_new(sj, "verdict", json_string(trust_verdict_string(sv->verdict)));
		json_object_set_new(sj, "event", json_integer((json_int_t)sv->bad_seq));
		json_object_set_new(sj, "asset", json_string(sv->bad_asset));
		json_object_set_new(sj, "detail", json_string(sv->detail));
	}
	return sj;
}

/* An archive file checked alone, years later: no ledger needed. */
static int verify_archive(const struct ledger_control *c)
{
	struct flow_ctx ctx = { .trust = c->store };
	struct flow_archive_check res = {};
	struct flow_error err = { "" };
	int r;

	r = flow_archive_verify(&ctx, c->archive, &res, &err);
	if (c->json) {
		json_t *j = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s}", "ok", r == 0,
				      "archive", c->archive, "first", (json_int_t)res.ledger.first, "last",
				      (json_int_t)res.ledger.last, "events", (json_int_t)res.ledger.n_events, "signed",
				      (json_int_t)res.ledger.n_signed, "covered", (json_int_t)res.ledger.n_covered,
				      "checkpoints", (json_int_t)res.ledger.n_checkpoints, "certificates",
				      (json_int_t)res.n_certificates, "head_hash", res.ledger.head_hash, "signer",
				      res.ledger.signer, "detail", r < 0 ? err.msg : "");
		print_json(j);
	}
	if (r < 0) {
		log_error(_("archive broken: %s"), flow_error_text(&err));
		return EXIT_FAIL;
	}
	if (!c->json)
		printf(_("archive intact: events %llu..%llu (%llu signed, %llu by batch signatures), head %llu:%s; "
			 "%llu checkpoints, %llu certificates (%llu PDFs carried, each the file the ledger recorded); "
			 "archived by %s\n"),
		       (unsigned long long)res.ledger.first, (unsigned long long)res.ledger.last,
		       (unsigned long long)res.ledger.n_signed, (unsigned long long)res.ledger.n_covered,
		       (unsigned long long)res.ledger.last, res.ledger.head_hash,
		       (unsigned long long)res.ledger.n_checkpoints, (unsigned long long)res.n_certificates,
		       (unsigned long long)res.n_pdfs, res.ledger.signer);
	return EXIT_OK;
}

static int do_verify(struct ledger_control *c, char **args)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	struct ledger_verify_result v = {};
	struct ledger_sig_result sv = {};
	struct ledger_trust_report tr = {};
	struct ledger_anchor anchor;
	const char *path = c->name;
	bool sigs = c->store != NULL;
	int r, rs = 0, rt = 0;

	(void)args;
	if (c->archive)
		return verify_archive(c);
	if (c->head && ledger_anchor_parse(c->head, &anchor) < 0)
		return usage_error("ledger", _("--head wants SEQ:HASH as 'ledger verify' prints it, not '%s'"), c->head);
	r = open_ledger(c, false, &l);
	if (r)
		return r;
	r = ledger_verify(l, c->head ? &anchor : NULL, &v);
	if (r < 0 && r != -EBADMSG) {
		log_error_errno(r, _("%s: cannot verify"), path);
		return EXIT_FAIL;
	}
	/* signatures only on an intact chain: the hash they sign must be right */
	if (r == 0 && sigs) {
		rt = ledger_trust_check(l, c->store, &tr);
		if (rt < 0 && rt != -ESTALE)
			return log_error_errno(rt, _("%s: cannot read the trust lists' serials"), path), EXIT_FAIL;
		rs = ledger_verify_signatures(l, c->store, &sv);
		if (rs < 0 && rs != -EBADMSG) {
			log_error_errno(rs, _("%s: cannot check the signatures"), path);
			return EXIT_FAIL;
		}
	}
	if (c->json) {
		json_t *j = json_pack("{s:b, s:I, s:I, s:I, s:s}", "ok", r == 0 && rs == 0 && rt == 0,
				      "events", (json_int_t)v.n_events, "assets", (json_int_t)v.n_assets,
				      "head_seq", (json_int_t)v.head_seq, "head_hash", v.head_hash);
		if (r < 0) {
			json_object_set_new(j, "problem", json_string(break_name(v.problem)));
			json_object_set_new(j, "event", v.bad_seq ? json_integer((json_int_t)v.bad_seq) : json_null());
			json_object_set_new(j, "asset", v.bad_asset[0] ? json_string(v.bad_asset) : json_null());
			json_object_set_new(j, "detail", json_string(v.detail));
		} else if (sigs) {
			json_object_set_new(j, "signatures", sig_json(&sv, rs));
			json_object_set_new(j, "trust_lists", rt == 0 ? json_pack("{s:b}", "ok", true) :
					    json_pack("{s:b, s:s, s:s, s:I, s:I, s:I}", "ok", false, "problem", "rollback",
						      "list", tr.list, "serial", (json_int_t)tr.store_serial,
						      "recorded", (json_int_t)tr.ledger_serial, "event", (json_int_t)tr.event));
		}
		print_json(j);
	}
	if (r < 0) {
		log_error(_("%s: ledger history broken: %s"), path, v.detail);
		return EXIT_FAIL;
	}
	if (rt == -ESTALE)
		return rollback_refused(c, &tr);
	if (rs < 0) {
		log_error(_("%s: ledger signature check failed: %s"), path, sv.detail);
		return EXIT_FAIL;
	}
	if (!c->json) {
		printf(_("ledger intact: %llu events, %llu assets; head %llu:%s\n"),
		       (unsigned long long)v.n_events, (unsigned long long)v.n_assets,
		       (unsigned long long)v.head_seq, v.head_hash);
		if (sigs && sv.legacy_upto)
			printf(_("signatures: %llu valid, every change approved; events 1..%llu adopted as legacy "
				 "(%llu of them unsigned)\n"), (unsigned long long)sv.n_signed,
			       (unsigned long long)sv.legacy_upto, (unsigned long long)sv.n_legacy);
		else if (sigs && sv.n_covered)
			printf(_("signatures: all %llu events signed by their actors and valid (%llu of them by the batch "
				 "signature of their transaction); every change approved\n"),
			       (unsigned long long)(sv.n_signed + sv.n_covered), (unsigned long long)sv.n_covered);
		else if (sigs)
			printf(ngettext("signatures: the %llu event signed by its actor and valid; every change approved\n",
					"signatures: all %llu events signed by their actors and valid; every change approved\n",
					sv.n_signed), (unsigned long long)sv.n_signed);
		else
			printf(_("signatures: not checked (give --trust DIR)\n"));
	}
	return EXIT_OK;
}

struct event_export {
	char *canon;
	size_t len;
	char *sig;
	bool found;
	uint64_t seq, covered_by, covers_from;  /* a batch signature that covers it */
};

/* The next signed event after an unsigned one: its batch signature, if it
 * covers it, is what vouches for it. */
static int covering_cb(const struct ledger_event *e, void *userdata)
{
	struct event_export *x = userdata;
	int r;

	if (!e->signature || !e->signature_len)
		return 0;
	if (e->covers_from && e->covers_from <= x->seq) {
		free(x->canon);
		x->canon = NULL;
		r = ledger_event_canonical(e, &x->canon, &x->len);
		if (r < 0)
			return r;
		x->sig = strndup((const char *)e->signature, e->signature_len);
		if (!x->sig)
			return -ENOMEM;
		x->covered_by = e->seq;
		x->covers_from = e->covers_from;
	}
	return -ECANCELED;
}

static int export_event_cb(const struct ledger_event *e, void *userdata)
{
	struct event_export *x = userdata;
	int r;

	x->found = true;
	r = ledger_event_canonical(e, &x->canon, &x->len);
	if (r < 0)
		return r;
	if (e->signature && e->signature_len) {
		x->sig = strndup((const char *)e->signature, e->signature_len);
		if (!x->sig)
			return -ENOMEM;
	}
	return 0;
}

static int do_export_event(const struct ledger_control *c, const char *seqs)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	_cleanup_free_ char *sigpath = NULL;
	struct event_export x = {};
	uint64_t seq;
	int r, ret = EXIT_FAIL;

	if (parse_u64(seqs, &seq) < 0 || seq == 0)
		return usage_error("ledger", _("export-event: '%s' is not an event number"), seqs);
	if (!c->output)
		return usage_error("ledger", _("export-event: give -o FILE (FILE.minisig is written beside it)"));
	r = open_ledger(c, false, &l);
	if (r)
		return r;
	r = ledger_event_range(l, seq, seq, export_event_cb, &x);
	if (r < 0) {
		log_error_errno(r, _("event %llu: cannot read it"), (unsigned long long)seq);
		goto out;
	}
	if (!x.found) {
		log_error(_("event %llu: not in the ledger"), (unsigned long long)seq);
		goto out;
	}
	if (!x.sig) {
		/* covered by its transaction's batch signature: that one's signed form */
		x.seq = seq;
		r = ledger_event_range(l, seq + 1, INT64_MAX, covering_cb, &x);
		if (r < 0 && r != -ECANCELED) {
			log_error_errno(r, _("event %llu: cannot read the events after it"), (unsigned long long)seq);
			goto out;
		}
	}
	if (!x.sig) {
		log_error(_("event %llu: not signed"), (unsigned long long)seq);
		goto out;
	}
	if (x.covered_by)
		log_info(_("event %llu has no signature of its own: the batch signature of event %llu covers events "
			   "%llu..%llu through the hash chain; %s is event %llu's signed form (ledger verify checks the "
			   "chain)"), (unsigned long long)seq, (unsigned long long)x.covered_by,
			 (unsigned long long)x.covers_from, (unsigned long long)x.covered_by, c->output,
			 (unsigned long long)x.covered_by);
	if (asprintf(&sigpath, "%s.minisig", c->output) < 0)
		goto out;
	r = write_file_atomic(c->output, x.canon, x.len, 0644, false);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot write"), c->output);
		goto out;
	}
	r = write_file_atomic(sigpath, x.sig, strlen(x.sig), 0644, false);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot write"), sigpath);
		goto out;
	}
	log_info(_("event %llu: %s and %s (check with: minisign -V -m %s -p KEY.pub)"),
		 (unsigned long long)seq, c->output, sigpath, c->output);
	ret = EXIT_OK;
out:
	free(x.canon);
	free(x.sig);
	return ret;
}

/* ---- change requests, their approval, legacy events ---- */

static int request_text(const struct ledger_request *q, void *userdata)
{
	json_t *ch = json_loads(q->changes ? q->changes : "{}", 0, NULL), *v;
	const char *field;

	(void)userdata;
	printf(_("request %llu  %s  %s by %s%s%s%s\n"), (unsigned long long)q->seq, q->time_utc, q->asset_id,
	       q->actor, q->reason && *q->reason ? " (" : "", q->reason ? q->reason : "",
	       q->reason && *q->reason ? ")" : "");
	json_object_foreach(ch, field, v) {
		const char *o = json_string_value(json_array_get(v, 0));
		const char *n = json_string_value(json_array_get(v, 1));

		printf("    %s: %s -> %s\n", field_label(field), o ? o : "-", n ? n : "-");
	}
	if (!q->current)
		printf(_("    (the asset changed since: it cannot be approved; ask again)\n"));
	json_decref(ch);
	return ferror(stdout) ? -EIO : 0;
}

static int request_json(const struct ledger_request *q, void *userdata)
{
	return json_array_append_new(userdata, json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:b}", "seq",
			(json_int_t)q->seq, "asset_id", q->asset_id, "changes", json_loads(q->changes, 0, NULL) ?: json_null(),
			"actor", q->actor, "reason", q->reason ? q->reason : "", "time_utc", q->time_utc,
			"current", q->current)) < 0 ? -ENOMEM : 0;
}

static int do_requests(struct ledger_control *c, char **args)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	json_t *arr = c->json ? json_array() : NULL;
	int r;

	r = open_ledger(c, false, &l);
	if (r) {
		json_decref(arr);
		return r;
	}
	r = ledger_requests(l, args[0], c->json ? request_json : request_text, arr);
	if (r < 0) {
		json_decref(arr);
		return log_error_errno(r, _("cannot read the requests")), EXIT_FAIL;
	}
	if (arr)
		print_json(arr);
	return EXIT_OK;
}

static int do_answer(struct ledger_control *c, char **args)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	struct ledger_change_result res = {};
	bool approve = c->verb == V_APPROVE_CHANGE;
	uint64_t seq, out = 0;
	int r;

	if (parse_u64(args[0], &seq) < 0 || seq == 0)
		return usage_error("ledger", _("%s: '%s' is not a request number"), ledger_cmds[c->verb].name, args[0]);
	r = open_ledger(c, false, &l);
	if (r)
		return r;
	r = approve ? ledger_change_approve(l, c->store, seq, c->reason, &res, &out)
		    : ledger_change_deny(l, c->store, seq, c->reason, &res, &out);
	if (r == -EACCES || r == -EPERM) {
		log_error(_("request %llu: refused: %s"), (unsigned long long)seq, res.detail);
		return EXIT_REFUSED;
	}
	if (r < 0 && res.detail[0]) {
		log_error(_("request %llu: %s"), (unsigned long long)seq, res.detail);
		return EXIT_FAIL;
	}
	if (r < 0)
		return log_error_errno(r, _("request %llu"), (unsigned long long)seq), EXIT_FAIL;
	log_info(approve ? _("ledger: request %llu approved by %s: %s %s (event %llu)")
			 : _("ledger: request %llu denied by %s: %s %s (event %llu)"),
		 (unsigned long long)seq, trust_seckey_name(c->sk), res.asset_id, res.changes,
		 (unsigned long long)out);
	return EXIT_OK;
}

static int do_adopt(struct ledger_control *c, char **args)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	uint64_t upto = 0, seq = 0;
	int r;

	(void)args;
	if (!c->reason || !*c->reason)
		return usage_error("ledger", _("adopt-legacy: --reason is required (why these events are vouched for)"));
	r = open_ledger(c, false, &l);
	if (r)
		return r;
	r = ledger_adopt_legacy(l, c->reason, &upto, &seq);
	if (r == -EPERM) {
		log_error(_("%s: refused: a %s may not adopt legacy events (the org-root or an approver may)"), c->key,
			  trust_role_to_string(trust_seckey_role(c->sk)));
		return EXIT_REFUSED;
	}
	if (r == -EALREADY) {
		log_info(_("ledger: no unsigned event since the last adoption: nothing to adopt"));
		return EXIT_OK;
	}
	if (r < 0)
		return log_error_errno(r, _("%s: cannot adopt the legacy events"), c->name), EXIT_FAIL;
	log_info(_("ledger: events 1..%llu adopted as legacy by %s (event %llu): check them now, their "
		   "contents are what the signature vouches for"), (unsigned long long)upto,
		 trust_seckey_name(c->sk), (unsigned long long)seq);
	return EXIT_OK;
}

/* ---- moving an asset in its life ---- */

static int do_status(struct ledger_control *c, char **args)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	struct ledger_asset a = {};
	enum ledger_status st;
	const char *want = args[1];
	uint64_t seq = 0;
	int r, ret = EXIT_FAIL;

	c->id = args[0];
	if (!(c->reason && *c->reason))
		return usage_error("ledger", _("status: --reason is required (the history records why)"));
	if (!streq(want, "back") && ledger_status_from_string(want, &st) < 0)
		return usage_error("ledger", _("unknown status '%s'"), want);
	r = open_ledger(c, false, &l);
	if (r)
		return r;
	if (get_asset(l, c->id, &a) < 0)
		return EXIT_FAIL;
	if (streq(want, "back")) {
		r = ledger_asset_status_before(l, c->id, &st);
		if (r == -ENOMSG) {
			log_error(_("asset %s is %s: there is nothing to go back from"), c->id,
				  ledger_asset_value(&a, LEDGER_F_STATUS));
			ret = EXIT_REFUSED;
			goto out;
		}
		if (r == -ENOENT) {
			log_error(_("asset %s: its history does not say what it was before %s: name the status"), c->id,
				  ledger_asset_value(&a, LEDGER_F_STATUS));
			ret = EXIT_REFUSED;
			goto out;
		}
		if (r < 0) {
			log_error_errno(r, _("asset %s: cannot read its history"), c->id);
			goto out;
		}
	}
	r = apply_fields(c, &a);
	if (r < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	r = ledger_asset_set(&a, LEDGER_F_STATUS, ledger_status_name(st));
	if (r >= 0)
		r = ledger_asset_edit(l, &a, c->actor, c->reason, &seq);
	if (r == -EPERM && *ledger_last_error()) {
		log_error(_("refused: %s"), ledger_last_error());
		ret = EXIT_REFUSED;
		goto out;
	}
	if (r < 0) {
		log_error_errno(r, _("%s: cannot change asset %s"), ledger_resolve_path(c->db), c->id);
		goto out;
	}
	report_change(c, r, seq);
	if (c->json) {
		json_t *j = ledger_asset_to_json(&a);

		json_object_set_new(j, "requested", json_boolean(r & LEDGER_REQUESTED));
		json_object_set_new(j, "event", json_integer((json_int_t)seq));
		print_json(j);
	}
	ret = EXIT_OK;
out:
	ledger_asset_clear(&a);
	return ret;
}

/* ---- retention: archiving the oldest events ---- */

static int do_archive(struct ledger_control *c, char **args)
{
	_cleanup_ledger_ struct ledger *l = NULL;
	struct flow_archive_result res = {};
	struct flow_error err = { "" };
	struct policy pol = {};
	bool have_pol = false;
	char day[11];
	int r, ret = EXIT_FAIL;

	(void)args;
	if (!c->before || parse_date_ja(c->before, day) < 0)
		return usage_error("ledger", _("archive: --before DATE is required (YYYY-MM-DD, 令和6年4月1日)"));
	if (!c->output)
		return usage_error("ledger", _("archive: give -o FILE (FILE.minisig is written beside it)"));
	if (cli_policy_load(c->policy, &pol, &have_pol) < 0)
		return EXIT_FAIL;
	r = open_ledger(c, false, &l);
	if (r) {
		if (have_pol)
			policy_release(&pol);
		return r;
	}
	{
		struct flow_ctx ctx = { .ledger = l, .trust = c->store, .policy = have_pol ? &pol : NULL,
					.state_dir = c->state_dir };

		r = flow_archive(&ctx, day, c->sk, c->output, c->reason ? c->reason : "events past their retention archived",
				 &res, &err);
	}
	if (r == -ENODATA) {
		log_info("%s", flow_error_text(&err));
		if (c->json)
			print_json(json_pack("{s:n, s:I, s:s}", "archive", "events", (json_int_t)0, "detail", err.msg));
		ret = EXIT_OK;
	} else if (r == -EPERM) {
		log_error(_("refused: %s"), flow_error_text(&err));
		ret = EXIT_REFUSED;
	} else if (r < 0) {
		log_error("%s", flow_error_text(&err));
	} else {
		if (c->json)
			print_json(json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "archive", res.path,
					     "sha256", res.sha256, "first", (json_int_t)res.first, "last",
					     (json_int_t)res.last, "events", (json_int_t)res.n_events, "checkpoints",
					     (json_int_t)res.n_checkpoints, "certificates", (json_int_t)res.n_certificates,
					     "pdfs", (json_int_t)res.n_pdfs, "event", (json_int_t)res.event, "head", res.head));
		log_info(_("ledger: events %llu..%llu archived to %s (sha256 %s; %llu certificates, %llu PDFs) by %s "
			   "(event %llu); the ledger goes on from %s; the range ends because %s"),
			 (unsigned long long)res.first, (unsigned long long)res.last, res.path, res.sha256,
			 (unsigned long long)res.n_certificates, (unsigned long long)res.n_pdfs, trust_seckey_name(c->sk),
			 (unsigned long long)res.event, res.head, res.ends_because);
		ret = EXIT_OK;
	}
	flow_archive_result_release(&res);
	if (have_pol)
		policy_release(&pol);
	return ret;
}

/* ---- the verbs ---- */

static int run_add_edit(struct ledger_control *c, char **args)
{
	c->id = args[0];
	return do_add_edit(c);
}

static int run_show(struct ledger_control *c, char **args)
{
	c->id = args[0];
	return do_show(c);
}

static int run_list(struct ledger_control *c, char **args)
{
	(void)args;
	return do_list(c);
}

static int run_history(struct ledger_control *c, char **args)
{
	c->id = args[0];
	return do_history(c);
}

static int run_import(struct ledger_control *c, char **args)
{
	return do_import(c, args[0]);
}

static int run_export(struct ledger_control *c, char **args)
{
	(void)args;
	return do_export(c);
}

static int run_check(struct ledger_control *c, char **args)
{
	c->id = args[0];
	return do_check(c, args[1]);
}

static int run_export_event(struct ledger_control *c, char **args)
{
	return do_export_event(c, args[0]);
}

/* `migrate`: the schema of --db brought up to date (created in an empty
 * PostgreSQL database) by its owner; with --to, everything copied into
 * another store, which must be empty, and both verified to one head. */
static int do_migrate(struct ledger_control *c, char **args)
{
	_cleanup_ledger_ struct ledger *from = NULL;
	_cleanup_ledger_ struct ledger *to = NULL;
	_cleanup_free_ char *to_name = NULL;
	struct ledger_copy_report rep = {};
	struct ledger_verify_result v = {};
	int r;

	(void)args;
	if (!c->to) {
		r = cli_ledger_open(c->db, LEDGER_OPEN_CREATE, &from);
		if (r)
			return r;
		if (c->json)
			print_json(json_pack("{s:s, s:s, s:i}", "ledger", c->name, "backend", ledger_backend_name(from),
					     "schema_version", ledger_schema_version(from)));
		else
			printf(_("%s: %s ledger, schema version %d\n"), c->name, ledger_backend_name(from),
			       ledger_schema_version(from));
		return EXIT_OK;
	}
	to_name = ledger_where_display(c->to);
	if (!to_name)
		return log_error_errno(-ENOMEM, "migrate"), EXIT_FAIL; /* not translated: a command name */
	if (streq(ledger_resolve_path(c->db), c->to))
		return usage_error("ledger", _("migrate: --to names the ledger itself"));
	r = cli_ledger_open(c->db, LEDGER_OPEN_READONLY, &from);
	if (r)
		return r;
	/* the copy verifies only a chain that verifies: say where it breaks */
	r = ledger_verify(from, NULL, &v);
	if (r == -EBADMSG) {
		log_error(_("%s: ledger history broken, not copied: %s"), c->name, v.detail);
		return EXIT_FAIL;
	}
	r = cli_ledger_open(c->to, LEDGER_OPEN_CREATE, &to);
	if (r)
		return r;
	r = ledger_copy(from, to, &rep);
	if (r == -ENOTEMPTY) {
		log_error(_("%s: refused: it holds a ledger already (a copy goes into an empty one only)"), to_name);
		return EXIT_REFUSED;
	}
	if (r < 0) {
		log_error_errno(r, _("%s: cannot copy the ledger there"), to_name);
		if (*ledger_last_error())
			log_error("  %s", ledger_last_error());
		return EXIT_FAIL;
	}
	if (c->json)
		print_json(json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s}", "from", c->name, "to", to_name,
				     "events", (json_int_t)rep.n_events, "assets", (json_int_t)rep.n_assets,
				     "cases", (json_int_t)rep.n_cases, "decisions", (json_int_t)rep.n_decisions,
				     "head_seq", (json_int_t)rep.head_seq, "head_hash", rep.head_hash));
	else
		printf(_("%s -> %s: %llu events, %llu assets, %llu cases (%llu decided) copied; both verify to head %llu:%s\n"),
		       c->name, to_name, (unsigned long long)rep.n_events, (unsigned long long)rep.n_assets,
		       (unsigned long long)rep.n_cases, (unsigned long long)rep.n_decisions,
		       (unsigned long long)rep.head_seq, rep.head_hash);
	return EXIT_OK;
}

/* The key that signs (its holder is the actor) and the roster, as the verb needs them. */
static int load_needs(struct ledger_control *c)
{
	const struct verb_spec *v = &verbs[c->verb];
	const char *env = getenv("WIPECERT_TRUST");
	int r;

	if ((v->needs & NEEDS_KEY) && !c->key)
		return usage_error("ledger", _("%s: --key FILE is required: every ledger event is signed by the "
					       "person who makes it"), ledger_cmds[c->verb].name);
	if (c->key) {
		r = key_load_signer(c->key, c->pass_file, TRUST_DOC_LEDGER_EVENT, &c->sk);
		if (r)
			return r;
		/* an event is signed by its actor: the key's holder */
		if (c->actor && !streq(c->actor, trust_seckey_name(c->sk)))
			return usage_error("ledger", _("--actor '%s' is not the key's holder '%s'"), c->actor,
					   trust_seckey_name(c->sk));
		c->actor = trust_seckey_name(c->sk);
	}
	c->trust_given = c->trust || (env && *env);
	if ((v->needs & NEEDS_TRUST) || (c->verb == V_VERIFY && (c->trust || c->require_signed || c->archive)) ||
	    ((v->needs & NEEDS_KEY) && c->trust_given))
		return cli_trust_open(trust_dir(c->trust), &c->store);
	return EXIT_OK;
}

static const char *const lead_opts[] = { "db", NULL };

const struct command_table ledger_cmd_table = { "ledger", ledger_cmds, family_help, lead_opts };

/* Every ledger verb: parse its options, load the key and roster it needs,
 * run it. */
static int ledger_run(int argc, char **argv)
{
	struct ledger_control c = { .actor = NULL };
	const struct verb_spec *v;
	int r, nargs;
	size_t k;

	/* SQLite's page cache mallocs page by page; glibc's default trimming
	 * then gives the heap top back and takes it again thousands of times
	 * in a big import (measured: 3x slower under a VM). Keep it. */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 64 << 20);

	for (k = 0; ledger_cmds[k].name && !streq(argv[0], ledger_cmds[k].name); k++)
		;
	v = &verbs[k];
	c.verb = (enum verb)k;
	r = parse_args(argc, argv, &c);
	if (r > 0)
		return EXIT_OK;
	if (r < 0)
		return EXIT_USAGE;
	nargs = argc - optind;
	if (nargs < v->min_args || nargs > v->max_args)
		return usage_error("ledger", _("%s: wrong number of arguments (%s %s)"), argv[0], argv[0], v->args);
	c.name = ledger_where_display(ledger_resolve_path(c.db));
	if (!c.name)
		return log_error_errno(-ENOMEM, "ledger"), EXIT_FAIL; /* not translated: a command name */
	r = load_needs(&c);
	if (r == EXIT_OK) {
		char *args[3] = { NULL, NULL, NULL };

		for (int a = 0; a < nargs; a++)
			args[a] = argv[optind + a];
		if (!c.actor)
			c.actor = cli_login_name();
		r = v->fn(&c, args);
	}
	trust_seckey_free(c.sk);
	trust_store_free(c.store);
	free(c.name);
	return r;
}
