/* cli.h - the command-line layer: the command table, exit codes and the
 * messages helpers.
 *
 * Its job: parse what the operator typed, call the layers below, print.
 * It is the only layer that prints to the user or exits.
 */
#ifndef WIPECERT_CLI_H
#define WIPECERT_CLI_H

#include <errno.h>
#include <getopt.h>
#include <libintl.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "wipecert/util.h"

/* Messages for people go through gettext (po/ja.po); JSON field names and
 * values for machines never do. */
#define _(s) gettext(s)
#define N_(s) (s)
/* A message in a context (msgctxt ctx), looked up when msgid is not a
 * literal where it is shown (a ledger field name); NC_() marks the
 * literals for po/wipecert.pot. Returns msgid when there is no
 * translation. */
#define NC_(ctx, s) (s)
const char *cli_pgettext(const char *ctx, const char *msgid);
/* A firmware erase's phase ("erase", "verify") in people's language. */
const char *cli_fw_phase(const char *phase);

/* Exit codes, documented in wipecert(8). */
enum {
	EXIT_OK = 0,        /* everything asked for was done and checked */
	EXIT_FAIL = 1,      /* an operation failed (a wipe, a verification, I/O) */
	EXIT_USAGE = 2,     /* bad command line: unknown command, option, value */
	EXIT_REFUSED = 3,   /* refused for safety or policy before anything was touched */
	EXIT_SUPERSEDED = 4,/* verify: a genuine certificate the ledger no longer stands by */
};

/* Command flags: the runner (cli_run()) acts on them, `wipecert commands`
 * lists them and tests/e2e/options.sh holds every command to them. */
enum {
	CMD_DESTRUCTIVE = 1 << 0, /* writes to disks: refused (exit 3) unless run as root */
	CMD_HIDDEN = 1 << 1,      /* not in the help listing */
	CMD_JSON = 1 << 2,        /* -J/--json prints its result as JSON on stdout */
	CMD_DRY_RUN = 1 << 3,     /* -n/--dry-run/--no-act: check and say, change nothing */
};

struct command_table;

/* One command or sub-command: iproute2's and git's shape. fn gets the
 * command's name as argv[0]; a family (key, trust, ledger, cert) has no
 * fn but the table of its sub-commands. Names match exactly, never by
 * prefix: a destructive verb is not reached by a typo. */
struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	unsigned flags;
	const char *summary;
	const struct command_table *sub;
};

struct command_table {
	const char *name;             /* "wipecert", "ledger": its place in messages */
	const struct command *cmds;   /* ends with an entry whose name is NULL */
	/* The family's help: its own words around cli_print_commands(). */
	void (*help)(FILE *f, const struct command_table *t);
	/* Long options with a value that may come before the sub-command
	 * (`ledger --db PATH add ...`): handed to the sub-command. */
	const char *const *lead_opts;
	/* The command run when none is named (`custody` alone, or with
	 * options only, is `custody list`: iproute2's `ip link`), or NULL. */
	const char *default_cmd;
};

/* Run argv[0]'s table: "-h", "--help", "help" print its help; argv[1]
 * names the command exactly; CMD_DESTRUCTIVE is refused to anyone but
 * root. Returns the exit code. */
int cli_run(const struct command_table *t, int argc, char **argv);
/* "  name   summary" for every command of t that is not hidden. */
void cli_print_commands(FILE *f, const struct command_table *t);
/* `wipecert commands [--json]`: every command and sub-command of t with
 * its flags, for tests and shell completion. */
int cli_list_commands(const struct command_table *t, int argc, char **argv);

/* getopt_long() for a command: options may come before and after the
 * operands (GNU permutation); an option whose val is a letter is also that
 * short option (so a short option exists exactly where its long one does);
 * an unknown option, or one missing its value, is said in one line naming
 * cmd, and returned as '?'. */
int cli_getopt(int argc, char **argv, const struct option *longopts, const char *cmd);
/* Exactly n operands after the options, or a usage error (said; what
 * names them: "one file"). Returns -1 to go on, else EXIT_USAGE. */
int cli_operands(int argc, char **argv, int n, const char *cmd, const char *what);
/* A family's usage lines: every verb's synopsis, or verb's only. */
struct cli_synopsis {
	const char *verb, *synopsis;
};
void cli_print_synopses(FILE *f, const char *family, const struct cli_synopsis *v, size_t n, const char *verb);
/* A family's help up to its options: the usage lines (verb's, or every
 * verb's when NULL), what the family is (about, translated), and with no
 * verb the list of its commands. */
void cli_family_usage(FILE *f, const struct command_table *t, const struct cli_synopsis *v, size_t n,
		      const char *verb, const char *about);
/* The options every command spells the same way. */
#define CLI_OPT_HELP { "help", no_argument, NULL, 'h' }
#define CLI_OPT_JSON { "json", no_argument, NULL, 'J' }
#define CLI_OPT_DRY_RUN { "dry-run", no_argument, NULL, 'n' }, { "no-act", no_argument, NULL, 'n' }

extern const char *program_name;

/* Messages to stderr: "wipecert: <text>" (plus ": strerror" for _errno). */
void log_error(const char *fmt, ...) _printf_(1, 2);
int log_error_errno(int err, const char *fmt, ...) _printf_(2, 3);
void log_warn(const char *fmt, ...) _printf_(1, 2);
void log_info(const char *fmt, ...) _printf_(1, 2);
/* Print j on stdout, then a newline, with jansson's flags; takes j (NULL:
 * nothing, the caller ran out of memory). */
void cli_print_json(json_t *j, size_t flags);
/* A table for people, printed by libsmartcols (src/cli/table.c): column
 * headers (translated, but where they are the names -o takes), then one row of n cells at a time
 * (NULL or "" shows as "-"); cli_table_print() prints and frees it. */
struct libscols_table;
struct libscols_table *cli_table_new(const char *const *headers, size_t n);
int cli_table_row(struct libscols_table *t, const char *const *cells);
int cli_table_print(struct libscols_table *t);
void cli_table_free(struct libscols_table *t);
/* Who is at the keyboard: $SUDO_USER under sudo, else the login name. */
const char *cli_login_name(void);
/* A usage error, in one line that ends with where to look ('wipecert CMD
 * --help'); returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) _printf_(2, 3);

/* The operation log (oplog.c; docs/architecture.md): the dispatcher calls
 * cli_op_begin() before a command and cli_op_end() with its exit code,
 * which sends one line to syslog for a command that acted or refused and
 * appends the audit notes to its ledger. Commands only say what they act
 * on: */
void cli_op_begin(const struct command *cmd, int argc, char **argv);
int cli_op_end(int exit_code);
/* It changed something (or tried to) without loading a key or starting
 * a job: drive-erase, import-record, key new. */
void cli_op_acted(void);
/* key=value for the line (asset, case, certificate, device, ...). */
void cli_op_field(const char *key, const char *value);
/* The asset the command acts on: a refusal is noted on it in the ledger. */
void cli_op_subject(const char *asset_id);
/* The ledger the command opened: where its notes go. */
void cli_op_ledger(const char *db);
/* A key the command loaded (key_load_secret()): the first signs the notes. */
struct trust_seckey;
void cli_op_signer(const struct trust_seckey *k);
/* A job's outcome ("wiped-and-verified", "failed", "interrupted",
 * "could-not-run", ...), its asset and what to say of it; and that its
 * seal recorded it in the ledger. */
void cli_op_job(const char *id, const char *asset, const char *method, const char *result, const char *detail);
void cli_op_sealed(const char *id);
/* The first error message printed (log.c): the line's reason. */
void cli_op_reason(const char *msg);

/* The policy file used when --policy is not given, if it exists. */
#define DEFAULT_POLICY "/etc/wipecert/policy.conf"
/* Load path, or DEFAULT_POLICY when path is NULL and that file exists;
 * *ret_loaded says whether anything was loaded (else: the built-in
 * policy). Prints why on failure and returns -errno. */
struct policy;
int cli_policy_load(const char *path, struct policy *ret, bool *ret_loaded);

/* Commands, one per file in src/cli/; the families are tables of
 * sub-commands. */
extern const struct command_table cert_cmd_table, key_cmd_table, trust_cmd_table, ledger_cmd_table, custody_cmd_table,
	image_cmd_table;
int cmd_list(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_pending(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_reject(int argc, char **argv);
int cmd_export_record(int argc, char **argv);
int cmd_import_record(int argc, char **argv);
int cmd_accept(int argc, char **argv);
int cmd_sync(int argc, char **argv);

/* Open the ledger named by db (else $WIPECERT_DB, else the default): a
 * SQLite file or a PostgreSQL database. Prints why not (the location
 * without its password, the database's own words): EXIT_OK or EXIT_FAIL. */
struct ledger;
int cli_ledger_open(const char *db, unsigned flags, struct ledger **ret);
/* The same, but a database that cannot be reached is said as a warning
 * and *ret_away set (*ret NULL, EXIT_OK): the command goes on without it. */
int cli_ledger_open_or_away(const char *db, unsigned flags, struct ledger **ret, bool *ret_away);
/* Submit what waits in the state directory's outbox, signed by k, and say
 * so on stderr (nothing when nothing waits); never fails the command. */
struct flow_ctx;
struct trust_seckey;
void cli_sync_quietly(const struct flow_ctx *ctx, const struct trust_seckey *k);
int cmd_witness(int argc, char **argv);

/* Passphrase for a secret key (what names it in the prompt): the first line
 * of file, else asked on the terminal without echo (confirm: twice). *ret is
 * sodium_malloc'd: release with cli_passphrase_free(). -ENOTTY if there is
 * no terminal, -EBADE if the two differ, -ENODATA if empty. */
int cli_read_passphrase(const char *file, const char *what, bool confirm, char **ret, size_t *ret_len);
void cli_passphrase_free(char *p);
/* Unlock a secret key file (passphrase as above); prints why on failure.
 * A key file readable by group or others is refused before the passphrase
 * is asked (-EPERM, with the chmod 600 hint): key_exit_code() makes that
 * EXIT_REFUSED, anything else EXIT_FAIL. */
struct trust_seckey;
int key_load_secret(const char *path, const char *pass_file, struct trust_seckey **ret);
static inline int key_exit_code(int r) { return r == -EPERM ? EXIT_REFUSED : EXIT_FAIL; }
/* key_load_secret() for a key that signs documents of type doc (enum
 * trust_doc): a role that may not is refused. Returns an exit code,
 * EXIT_OK with *ret set. */
int key_load_signer(const char *path, const char *pass_file, int doc, struct trust_seckey **ret);
/* Load the trust store of dir, printing why not: EXIT_OK, EXIT_REFUSED for
 * a list older than one seen before (a rollback), else EXIT_FAIL; warns
 * when the serials could not be remembered. */
struct trust_store;
int cli_trust_open(const char *dir, struct trust_store **ret);
/* `trust add PUBFILE` with the root key: roster entry (and certificate). */
int trust_enroll(const char *dir, const char *root_key, const char *root_pass_file, const char *pubfile);
/* An attested serial typed twice: given (--confirm-serial) must equal
 * serial, or on a terminal the operator types or scans it again. Prints
 * why not; returns 0 or -EPERM. */
int cli_attest_confirm(const char *target, const char *serial, const char *given);
int cmd_wipe(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_caps(int argc, char **argv);
int cmd_drive_erase(int argc, char **argv);
int cmd_station(int argc, char **argv);

#endif
