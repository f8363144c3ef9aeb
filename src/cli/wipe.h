/* wipe.h - what `wipe` and `resume` share in the command-line layer: the
 * tuning options, running jobs in parallel with progress, the result in
 * words and JSON, and sealing the ended jobs for their assets. */
#ifndef WIPECERT_CLI_WIPE_H
#define WIPECERT_CLI_WIPE_H

#include "wipecert/disk.h"
#include "wipecert/erase.h"
#include "wipecert/flow.h"
#include "wipecert/job.h"
#include "wipecert/policy.h"

struct wipe_target {
	const char *arg;      /* as typed: a device, an image, a job */
	const char *asset;    /* its ledger entry (--asset), or NULL */
	const char *attest;   /* the serial the operator attests (--attest-serial), or NULL */
	struct disk disk;
	bool have_disk;
	struct erase_target tgt;
	struct job *job;
	struct flow_firmware fw; /* a firmware erase instead of a job */
	bool seal_only;       /* resume: the job has ended, its seal is missing */
	int result;           /* erase_run's */
	/* progress, under the printer's lock */
	struct erase_progress last;
	uint64_t last_print;
	bool have_progress;
};

/* The tuning given on the command line; unset fields leave the job's. */
struct wipe_tuning {
	struct job_tuning v;
	bool block_set, depth_set, rate_set, sync_set;
};

struct wipe_run {
	struct wipe_target *t;
	size_t n;
	struct wipe_tuning tuning;
	struct disk_scan scan;   /* --force-member */
	struct job_store store;
	bool json;
	/* the disposal: the ledger, the policy and the technician's key that
	 * seals the ended jobs of an asset */
	const char *state_dir, *db, *policy_path, *key, *pass_file;
	const char *witness_key, *witness_pass;  /* a witness signs each sealed record */
	bool dry_run;
	struct flow_ctx flow;
	struct policy policy;
	bool have_policy;
	struct trust_seckey *tech, *witness;
};

/* The tuning options wipe and resume share: their getopt entries, their
 * help lines, and their parser (returns 1 when it handled opt). */
enum { OPT_MAX_RATE = 0x400, OPT_BLOCK_SIZE, OPT_QUEUE_DEPTH, OPT_SYNC_IO };
#define WIPE_TUNING_LONGOPTS \
	{ "max-rate", required_argument, NULL, OPT_MAX_RATE }, \
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE }, \
	{ "queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH }, \
	{ "sync-io", no_argument, NULL, OPT_SYNC_IO }
extern const char wipe_tuning_help[];
int wipe_parse_tuning(int opt, const char *arg, struct wipe_tuning *t, const char *cmd, int *ret_exit);
/* The given options over a job's tuning. */
void wipe_tuning_apply(const struct wipe_tuning *t, struct job_tuning *ret);

/* "1.5 GiB" */
void wipe_human(uint64_t bytes, char *buf, size_t len);
/* Open the ledger (db, else ledger_fallback, else the default), the policy
 * and, with a key, the technician's key (its passphrase asked now, before
 * hours of wiping). Prints why; returns an exit code. */
int wipe_open_disposal(struct wipe_run *w, const char *ledger_fallback);
/* Run every target's job in its own thread, each with its job's tuning;
 * progress on stderr; the result of each on stdout in words ("wiped and
 * verified", "wiped, not verified") or on stderr ("FAILED"), or JSON.
 * Returns an exit code. */
int wipe_run_all(struct wipe_run *w);
/* Seal every ended job that has an asset (failed ones too: a failed wipe
 * is recorded, never dropped); sets *ret to EXIT_FAIL when one cannot be. */
void wipe_seal_all(struct wipe_run *w, int *ret);
void wipe_run_release(struct wipe_run *w);

#endif
