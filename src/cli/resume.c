/* resume.c - `wipecert resume JOB...`: continue interrupted wipes from
 * their last checkpoint, on the same disk and nothing else.
 *
 * The device the job names is described again and must be the same one
 * (serial, WWN, size, sector) and safe; the part of the interrupted pass
 * written before the checkpoint is read back before the pass goes on.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "wipecert/cli.h"
#include "wipe.h"

static void help(void)
{
	printf(_("Usage: %s resume [options] JOB...\n\n"
		 "Continue interrupted wipes. JOB is a job id or the path of a job file.\n\n"
		 "Options:\n"
		 "      --json               job records on stdout, progress events on stderr\n"
		 "      --state-dir DIR      job files (default $WIPECERT_STATE_DIR or %s)\n"
		 "%s"
		 "  -h, --help               show this help\n\n"
		 "Exit: 0 every job ended wiped and verified, 1 failed or interrupted again,\n"
		 "2 usage, 3 refused (not the same disk, not safe, already ended).\n"),
	       program_name, JOB_STATE_DIR_DEFAULT, _(wipe_tuning_help));
}

static bool same(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && streq(a, b));
}

static int prepare(struct wipe_run *w, struct wipe_target *t)
{
	struct job *j;
	char *reason = NULL;
	uint64_t size;
	unsigned sector;
	int r;

	r = job_store_load(&w->store, t->arg, &t->job);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot load the job"), t->arg);
	j = t->job;
	if (j->state != JOB_RUNNING) {
		log_error(_("%s: the job has already ended: %s"), t->arg, job_state_to_string(j->state));
		return -EALREADY;
	}
	r = disk_probe(NULL, j->device, &t->disk);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot describe %s"), t->arg, j->device);
	t->have_disk = true;
	/* the same disk, not whatever now sits at that path */
	if (!same(j->serial, t->disk.serial) || !same(j->wwn, t->disk.wwn) ||
	    t->disk.size / j->sector * j->sector != j->size) {
		log_error(_("%s: %s is not the disk the job started on (serial %s, size %llu)"), t->arg,
			  j->device, j->serial ? j->serial : "-", (unsigned long long)j->size);
		return -ESTALE;
	}
	r = disk_check_safety(NULL, &t->disk, &reason);
	if (r != SAFETY_OK) {
		log_error(_("%s: refused: %s is not safe to write (%s)"), t->arg, j->device,
			  reason ? reason : r < 0 ? strerror(-r) : disk_safety_to_string((enum disk_safety)r));
		free(reason);
		return -EBUSY;
	}
	free(reason);
	r = wipe_open_target(&t->disk, &size, &sector);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot open %s for writing"), t->arg, j->device);
	t->fd = r;
	if (size / sector * sector != j->size || sector != j->sector) {
		log_error(_("%s: %s has changed size or sector size"), t->arg, j->device);
		return -ESTALE;
	}
	return 0;
}

int cmd_resume(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_STATE };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		WIPE_TUNING_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct wipe_run w = { 0 };
	const char *state_dir = NULL;
	int opt, ret = EXIT_OK, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (wipe_parse_tuning(opt, optarg, &w.eo, "resume", &ret)) {
			if (ret != EXIT_OK)
				return ret;
			continue;
		}
		switch (opt) {
		case OPT_JSON:
			w.json = true;
			break;
		case OPT_STATE:
			state_dir = optarg;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			return usage_error("resume", _("bad option"));
		}
	}
	if (optind >= argc)
		return usage_error("resume", _("no job given"));
	r = job_store_open_dir(state_dir, &w.store);
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
		w.t[i].fd = -1;
	}
	for (size_t i = 0; i < w.n; i++)
		if (prepare(&w, &w.t[i]) < 0) {
			ret = EXIT_REFUSED;
			goto out;
		}
	ret = wipe_run_all(&w);
out:
	for (size_t i = 0; w.t && i < w.n; i++)
		wipe_target_release(&w.t[i]);
	free(w.t);
	job_store_close(&w.store);
	return ret;
}
