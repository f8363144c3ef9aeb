/* resume.c - `wipecert resume JOB...`: continue interrupted wipes from
 * their last checkpoint, on the same medium and nothing else, and seal
 * what a crash left unsealed.
 *
 * Before one byte is written the job's medium is proven (erase_job_reopen:
 * the recorded identity, then the fingerprint and the pattern read back);
 * anything else is refused with what differed, and the job file is left
 * as it was. The job's tuning is kept unless an option overrides it.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "wipecert/cli.h"
#include "wipecert/ledger.h"
#include "wipe.h"

static void help(void)
{
	printf(_("Usage: %s resume [options] JOB...\n\n"
		 "Continue interrupted wipes. JOB is a job id or the path of a job file.\n"
		 "The medium is proven to be the job's before anything is written; a job\n"
		 "that ended but was not sealed for its asset is sealed (with --key).\n\n"
		 "Options:\n"
		 "  -J, --json               job records on stdout, progress events on stderr\n"
		 "      --state-dir DIR      job files (default $WIPECERT_STATE_DIR or %s)\n"
		 "  -k, --key FILE           the technician's key: seal the jobs run for an asset\n"
		 "      --passphrase-file F  its passphrase (else asked before the wipe goes on)\n"
		 "      --db FILE            the asset ledger (default: the job's, $WIPECERT_DB or %s)\n"
		 "      --policy FILE        the disposal policy (default %s if present)\n"
		 "      --force-member TYPE  as for wipe: a RAID/LVM member signature still there\n"
		 "%s"
		 "                           (default: what the job was started with)\n"
		 "  -h, --help               show this help\n\n"
		 "Exit: 0 every job ended wiped (and verified, unless it was started with\n"
		 "--verify off), 1 failed or interrupted again, 2 usage, 3 refused (not the\n"
		 "same medium, not safe, unknown or edited job, or the job has already ended).\n"),
	       program_name, JOB_STATE_DIR_DEFAULT, LEDGER_DEFAULT_PATH, DEFAULT_POLICY, _(wipe_tuning_help));
}

static int load(struct wipe_run *w, struct wipe_target *t)
{
	int r = job_store_load(&w->store, t->arg, &t->job);

	if (r == -ENOENT)
		return log_error(_("%s: no such job"), t->arg), r;
	if (r == -EBADMSG)
		return log_error(_("%s: refused: the job file was changed by hand or is damaged (its checksum does not match)"),
				 t->arg), r;
	if (r == -EPROTONOSUPPORT)
		return log_error(_("%s: refused: a job file of a newer wipecert"), t->arg), r;
	if (r == -EINVAL)
		return log_error(_("%s: refused: not a job file (or one edited by hand)"), t->arg), r;
	if (r < 0)
		return log_error_errno(r, _("%s: cannot load the job"), t->arg);
	return 0;
}

/* The job, and whether it runs or only needs its seal. */
static int prepare(struct wipe_run *w, struct wipe_target *t)
{
	struct job *j;
	int r;

	r = load(w, t);
	if (r < 0)
		return r;
	j = t->job;
	cli_op_field("job", j->id);
	if (j->state != JOB_RUNNING) {
		/* a crash between the end of the wipe and its seal: seal it now */
		if (j->asset && w->key) {
			t->seal_only = true;
			return 0;
		}
		if (j->asset)
			log_error(_("%s: the job has already ended: %s (to seal it for asset %s, give --key)"), t->arg,
				  job_state_to_string(j->state), j->asset);
		else
			log_error(_("%s: the job has already ended: %s"), t->arg, job_state_to_string(j->state));
		return -EALREADY;
	}
	return 0;
}

/* Its medium proven and opened as the one writer. */
static int reopen(struct wipe_run *w, struct wipe_target *t)
{
	_cleanup_free_ char *why = NULL;
	struct job *j = t->job;
	int r;

	if (t->seal_only)
		return 0;
	cli_op_subject(j->asset);
	r = erase_job_reopen(&w->scan, j, &t->disk, &t->tgt, &why);
	if (r == -ESTALE || r == -EPROTONOSUPPORT)
		return log_error(_("%s: refused: %s is not the medium the job started on: %s"), t->arg, j->device,
				 why ? why : "?"), r;
	if (r == -EBUSY)
		return log_error(_("%s: refused: %s is not safe to write: %s"), t->arg, j->device, why ? why : "?"), r;
	if (r == -EAGAIN)
		return log_error(_("%s: refused: %s"), t->arg, why ? why : "?"), r;
	if (r < 0)
		return log_error_errno(r, _("%s: cannot open %s for writing"), t->arg, j->device);
	t->have_disk = true;
	/* the job's tuning, unless overridden now; kept for the next resume */
	wipe_tuning_apply(&w->tuning, &j->tuning);
	return 0;
}

static const char *first_ledger(const struct wipe_run *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->t[i].job && w->t[i].job->asset && w->t[i].job->ledger)
			return w->t[i].job->ledger;
	return NULL;
}

static bool any_asset(const struct wipe_run *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->t[i].job && w->t[i].job->asset)
			return true;
	return false;
}

int cmd_resume(int argc, char **argv)
{
	enum { OPT_STATE = 256, OPT_DB, OPT_POLICY, OPT_PASS, OPT_FORCE_MEMBER };
	static const struct option opts[] = {
		CLI_OPT_JSON,
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		{ "db", required_argument, NULL, OPT_DB },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "force-member", required_argument, NULL, OPT_FORCE_MEMBER },
		WIPE_TUNING_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct wipe_run w = { 0 };
	int opt, ret = -1, r;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, opts, "resume")) != -1) {
		if (wipe_parse_tuning(opt, optarg, &w.tuning, "resume", &ret)) {
			if (ret != -1)
				return ret;
			continue;
		}
		switch (opt) {
		case 'J': w.json = true; break;
		case OPT_STATE: w.state_dir = optarg; break;
		case 'k': w.key = optarg; break;
		case OPT_PASS: w.pass_file = optarg; break;
		case OPT_DB: w.db = optarg; break;
		case OPT_POLICY: w.policy_path = optarg; break;
		case OPT_FORCE_MEMBER: w.scan.force_member = optarg; break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("resume", _("no job given"));
	r = job_store_open_dir(w.state_dir, &w.store);
	if (r < 0) {
		log_error_errno(r, _("cannot use the state directory"));
		return EXIT_FAIL;
	}
	w.n = (size_t)(argc - optind);
	w.t = calloc(w.n, sizeof(*w.t));
	if (!w.t) {
		ret = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < w.n; i++) {
		w.t[i].arg = argv[optind + (int)i];
		w.t[i].tgt.fd = -1;
	}
	ret = EXIT_OK;
	for (size_t i = 0; i < w.n && ret == EXIT_OK; i++)
		if (prepare(&w, &w.t[i]) < 0)
			ret = EXIT_REFUSED;
	/* the key (and its passphrase) before the wipe goes on, not after;
	 * and before the media are proven, so a refusal is signed too */
	if (ret == EXIT_OK && w.key && any_asset(&w))
		ret = wipe_open_disposal(&w, first_ledger(&w));
	for (size_t i = 0; i < w.n && ret == EXIT_OK; i++)
		if (reopen(&w, &w.t[i]) < 0)
			ret = EXIT_REFUSED;
	if (ret != EXIT_OK)
		goto out;
	w.flow.state_dir = w.state_dir;
	ret = wipe_run_all(&w); /* a job that only needs its seal does not run */
	if (w.tech)
		wipe_seal_all(&w, &ret);
out:
	wipe_run_release(&w);
	return ret;
}
