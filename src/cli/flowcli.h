/* flowcli.h - what the workflow commands (approve.c, destroy.c, audit.c)
 * share: one control struct of options and the opening of the state
 * directory, ledger, trust roster and policy. Command-line layer only.
 */
#ifndef WIPECERT_CLI_FLOWCLI_H
#define WIPECERT_CLI_FLOWCLI_H

#include <stdbool.h>
#include <getopt.h>

#include "wipecert/flow.h"
#include "wipecert/policy.h"

/* Options shared by the workflow commands. */
struct flow_control {
	const char *state_dir, *db, *trust_dir, *policy_path, *key, *pass_file;
	const char *reason, *destination, *output, *logo;
	const char *witness_key, *witness_pass;   /* --witness-key, --witness-passphrase-file */
	struct flow_parties parties;              /* --client, --site, ... */
	bool json, yes, all;
	struct flow_ctx ctx;
	struct ledger *ledger;
	struct trust_store *trust;
	struct policy policy;
	bool have_policy;
};

enum {
	OPT_STATE_DIR = 256, OPT_DB, OPT_TRUST, OPT_POLICY, OPT_PASS, OPT_REASON, OPT_DEST,
	OPT_ASSET, OPT_LOGO, OPT_KEEP_OUTBOX,
	OPT_CLIENT, OPT_CLIENT_UNIT, OPT_SITE, OPT_ROOM, OPT_APPROVAL_REF, OPT_DOCNO, OPT_LAYOUT,
	OPT_WITNESS_KEY, OPT_WITNESS_PASS,
};

/* What a certificate names besides the disks (schema /2), overriding the
 * policy's [certificate] section. */
#define PARTY_OPTIONS \
	{ "client", required_argument, NULL, OPT_CLIENT }, \
	{ "client-unit", required_argument, NULL, OPT_CLIENT_UNIT }, \
	{ "site", required_argument, NULL, OPT_SITE }, \
	{ "room", required_argument, NULL, OPT_ROOM }, \
	{ "approval-ref", required_argument, NULL, OPT_APPROVAL_REF }, \
	{ "document-number", required_argument, NULL, OPT_DOCNO }, \
	{ "layout", required_argument, NULL, OPT_LAYOUT }
extern const char party_help[];
/* Handle a PARTY_OPTIONS option; 1 if it was one, -1 for a bad value. */
int party_option(struct flow_control *fc, int c, const char *arg);

/* A witness's key given with --witness-key (and its passphrase file):
 * loaded, or NULL when none was given; exits through the caller on error. */
#define WITNESS_OPTIONS \
	{ "witness-key", required_argument, NULL, OPT_WITNESS_KEY }, \
	{ "witness-passphrase-file", required_argument, NULL, OPT_WITNESS_PASS }

/* -J/--json only where the command prints JSON (CLI_OPT_JSON) */
#define COMMON_OPTIONS \
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR }, \
	{ "db", required_argument, NULL, OPT_DB }, \
	{ "trust", required_argument, NULL, OPT_TRUST }, \
	{ "policy", required_argument, NULL, OPT_POLICY }, \
	CLI_OPT_HELP

/* QUEUE_LEDGER (with WANT_LEDGER): a database that cannot be reached is
 * no failure: ctx.ledger_away, and what is written waits in the outbox */
enum {
	NEED_LEDGER = 1, NEED_TRUST = 2, WANT_LEDGER = 4, CREATE_LEDGER = 8 /* with --db: make it if missing */,
	QUEUE_LEDGER = 16,
};

extern const char common_help[], common_json_help[];
/* Handle an option common to the workflow commands; 1 if it was one. */
int common_option(struct flow_control *fc, int c, const char *arg);
/* Open what the command needs; prints why and returns an exit code on failure. */
int flow_control_open(struct flow_control *fc, unsigned need);
void flow_control_release(struct flow_control *fc);
/* With --witness-key: the witness signs case id's record (flow_witness()),
 * with w when loaded already (else loaded here). An exit code. */
struct trust_seckey;
int witness_after(struct flow_control *fc, const char *id, struct trust_seckey *w);
/* A report's file: FILE, and with a key FILE.minisig, its signature of
 * exactly those bytes as document type doc (sig: made already, else made
 * here by flow_report_sign_bytes()). Signed first: nothing is written
 * unsigned; said on failure; -EPERM for a key that may not sign it. */
int write_report_file(const char *path, const void *data, size_t len, enum trust_doc doc,
		      const struct trust_seckey *k, const char *sig);
/* EXIT_REFUSED for -EPERM, -EEXIST, -EBUSY; EXIT_FAIL otherwise. */
int exit_for(int r);

#endif
