/* wipe.h - what `wipe` and `resume` share in the command-line layer:
 * opening a target, running jobs in parallel with progress, the result. */
#ifndef WIPECERT_CLI_WIPE_H
#define WIPECERT_CLI_WIPE_H

#include "wipecert/disk.h"
#include "wipecert/erase.h"
#include "wipecert/job.h"

struct wipe_target {
	const char *arg;   /* as typed */
	const char *asset; /* its ledger entry (--asset), or NULL */
	char *fw_id;       /* the job ID of a firmware erase */
	struct disk disk;
	bool have_disk;
	int fd;
	struct job *job;
	int result;        /* erase_run's */
	/* progress, under the printer's lock */
	struct erase_progress last;
	uint64_t last_print;
	bool have_progress;
};

struct wipe_run {
	struct wipe_target *t;
	size_t n;
	struct erase_opts eo;  /* progress and userdata are set by wipe_run_all */
	struct job_store store;
	bool json;
};

/* Open a probed target for writing: O_EXCL, O_DIRECT where it works, and
 * check its size and sector against the descriptor. Returns fd or -errno. */
int wipe_open_target(const struct disk *d, uint64_t *ret_size, unsigned *ret_sector);
/* Run every target's job in its own thread; progress on stderr; the
 * result on stdout. Returns an exit code. */
int wipe_run_all(struct wipe_run *w);
void wipe_target_release(struct wipe_target *t);
/* The tuning options wipe and resume share: their getopt entries, their
 * help lines, and their parser (returns 1 when it handled opt). */
#define WIPE_TUNING_LONGOPTS \
	{ "max-rate", required_argument, NULL, 'R' }, \
	{ "block-size", required_argument, NULL, 'B' }, \
	{ "queue-depth", required_argument, NULL, 'Q' }, \
	{ "sync-io", no_argument, NULL, 'S' }
extern const char wipe_tuning_help[];
int wipe_parse_tuning(int opt, const char *arg, struct erase_opts *eo, const char *cmd, int *ret_exit);

#endif
