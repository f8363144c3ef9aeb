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
};

/* -J/--json only where the command prints JSON (CLI_OPT_JSON) */
#define COMMON_OPTIONS \
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR }, \
	{ "db", required_argument, NULL, OPT_DB }, \
	{ "trust", required_argument, NULL, OPT_TRUST }, \
	{ "policy", required_argument, NULL, OPT_POLICY }, \
	CLI_OPT_HELP

/* QUEUE_LEDGER (with WANT_LEDGER): a database that cannot be reached is
 * no failure: ctx.ledger_away, and what is written waits in the outbox */
enum { NEED_LEDGER = 1, NEED_TRUST = 2, WANT_LEDGER = 4, QUEUE_LEDGER = 8 };

extern const char common_help[], common_json_help[];
/* Handle an option common to the workflow commands; 1 if it was one. */
int common_option(struct flow_control *fc, int c, const char *arg);
/* Open what the command needs; prints why and returns an exit code on failure. */
int flow_control_open(struct flow_control *fc, unsigned need);
void flow_control_release(struct flow_control *fc);
/* EXIT_REFUSED for -EPERM, -EEXIST, -EBUSY; EXIT_FAIL otherwise. */
int exit_for(int r);

#endif
