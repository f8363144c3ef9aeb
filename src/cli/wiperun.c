/* wiperun.c - what `wipe` and `resume` share: the tuning options, the
 * threads that run the jobs, the progress lines, the result in words and
 * in JSON, and the seal of each ended job for its asset.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "wipecert/cli.h"
#include "wipecert/ledger.h"
#include "wipecert/trust.h"
#include "wipe.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ---- tuning ---- */

const char wipe_tuning_help[] = N_(
	"      --max-rate RATE      limit the writes to RATE bytes per second (e.g. 200M;\n"
	"                           0: no limit)\n"
	"      --block-size SIZE    bytes per request (default 1M)\n"
	"      --queue-depth N      requests in flight (default 8)\n"
	"      --sync-io            pread/pwrite instead of io_uring\n");

int wipe_parse_tuning(int opt, const char *arg, struct wipe_tuning *t, const char *cmd, int *ret_exit)
{
	uint64_t v;

	switch (opt) {
	case OPT_BLOCK_SIZE:
		if (parse_size(arg, &v) < 0 || v < 4096 || v > (64u << 20) || v % 4096) {
			*ret_exit = usage_error(cmd, _("bad --block-size '%s': 4K..64M in whole 4K"), arg);
			return 1;
		}
		t->v.block_size = v;
		t->block_set = true;
		return 1;
	case OPT_QUEUE_DEPTH:
		if (parse_u64(arg, &v) < 0 || v < 1 || v > 256) {
			*ret_exit = usage_error(cmd, _("bad --queue-depth '%s': 1..256"), arg);
			return 1;
		}
		t->v.depth = (unsigned)v;
		t->depth_set = true;
		return 1;
	case OPT_MAX_RATE:
		if (parse_size(arg, &v) < 0 || (v != 0 && v < 4096)) {
			*ret_exit = usage_error(cmd, _("bad --max-rate '%s': bytes per second, at least 4K (0: no limit)"), arg);
			return 1;
		}
		t->v.max_rate = v;
		t->rate_set = true;
		return 1;
	case OPT_SYNC_IO:
		t->v.sync_io = true;
		t->sync_set = true;
		return 1;
	default:
		return 0;
	}
}

void wipe_tuning_apply(const struct wipe_tuning *t, struct job_tuning *ret)
{
	if (t->block_set)
		ret->block_size = t->v.block_size;
	if (t->depth_set)
		ret->depth = t->v.depth;
	if (t->rate_set)
		ret->max_rate = t->v.max_rate;
	if (t->sync_set)
		ret->sync_io = t->v.sync_io;
}

void wipe_human(uint64_t b, char *buf, size_t len)
{
	format_size_iec(b, buf, len);
}

int cli_attest_confirm(const char *target, const char *serial, const char *given)
{
	char line[256];

	if (given) {
		if (streq(given, serial))
			return 0;
		log_error(_("%s: not confirmed: the serial typed twice differs"), target);
		return -EPERM;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		log_error(_("%s: not confirmed: pass --confirm-serial %s"), target, serial);
		return -EPERM;
	}
	fprintf(stderr, _("Type or scan the label's serial again to confirm: "));
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin) || !streq(strstrip(line), serial)) {
		log_error(_("%s: not confirmed: the serial typed twice differs"), target);
		return -EPERM;
	}
	return 0;
}

/* ---- progress ---- */

struct printer {
	pthread_mutex_t lock;
	struct wipe_run *w;
	bool tty;
	bool drawn;
	uint64_t last_draw;
};

static void format_line(const struct wipe_target *t, char *buf, size_t len)
{
	const struct erase_progress *p = &t->last;
	char rate[32], eta[32] = "";
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 0;

	if (!t->have_progress) {
		snprintf(buf, len, "%s: %s", t->arg, _("waiting"));
		return;
	}
	wipe_human((uint64_t)p->rate, rate, sizeof(rate));
	if (p->eta_sec && p->phase != PHASE_DONE)
		snprintf(eta, sizeof(eta), " ETA %" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
			 p->eta_sec / 3600, p->eta_sec / 60 % 60, p->eta_sec % 60);
	snprintf(buf, len, "%s: %s %u/%zu %s %5.1f%% %s/s%s", t->arg, _("pass"), p->pass + 1,
		 t->job->n_passes, _(erase_phase_to_string(p->phase)), pct, rate, eta);
}

static void json_event(const struct wipe_target *t)
{
	const struct erase_progress *p = &t->last;
	json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
			      "event", "progress", "job", t->job->id, "device", t->job->device,
			      "pass", (int)p->pass + 1, "passes", (int)t->job->n_passes,
			      "phase", erase_phase_to_string(p->phase),
			      "phase_done", (json_int_t)p->phase_done, "phase_total", (json_int_t)p->phase_total,
			      "done", (json_int_t)p->done, "total", (json_int_t)p->total,
			      "rate", (json_int_t)p->rate, "eta", (json_int_t)p->eta_sec);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s)
		fprintf(stderr, "%s\n", s);
	free(s);
	json_decref(o);
}

static void draw_tty(struct printer *pr)
{
	char line[256];

	if (pr->drawn)
		fprintf(stderr, "\033[%zuA", pr->w->n);
	for (size_t i = 0; i < pr->w->n; i++) {
		format_line(&pr->w->t[i], line, sizeof(line));
		fprintf(stderr, "\r\033[2K%s\n", line);
	}
	fflush(stderr);
	pr->drawn = true;
}

struct runner {
	struct printer *pr;
	struct wipe_target *t;
	struct erase_opts eo;
};

static int progress_cb(const struct erase_progress *p, void *userdata)
{
	struct runner *rn = userdata;
	struct printer *pr = rn->pr;
	struct wipe_target *t = rn->t;
	uint64_t now = now_ns();
	char line[256];

	pthread_mutex_lock(&pr->lock);
	t->last = *p;
	t->have_progress = true;
	if (pr->w->json) {
		if (p->phase_start || now - t->last_print >= 1000000000u) {
			json_event(t);
			t->last_print = now;
		}
	} else if (pr->tty) {
		/* one line per disk, all redrawn at most once a second */
		if (now - pr->last_draw >= 1000000000u || (p->phase_start && p->phase == PHASE_DONE)) {
			draw_tty(pr);
			pr->last_draw = now;
		}
	} else if ((p->phase_start && p->phase != PHASE_SYNC && p->phase != PHASE_CHECK) ||
		   now - t->last_print >= 5000000000u) {
		format_line(t, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
		t->last_print = now;
	}
	pthread_mutex_unlock(&pr->lock);
	return interrupted ? -1 : 0;
}

static void *run_thread(void *arg)
{
	struct runner *rn = arg;

	rn->t->result = erase_run(rn->t->job, rn->t->tgt.fd, &rn->eo);
	return NULL;
}

/* ---- the result ---- */

static const char *result_of(const struct wipe_target *t)
{
	/* stopped, or the disk went away (pulled out): resumable */
	return t->result == -ECANCELED || t->result == -ENODEV ? "interrupted" : job_result_to_string(job_result(t->job));
}

static json_t *result_json(struct wipe_run *w)
{
	json_t *a = json_array();

	for (size_t i = 0; i < w->n; i++) {
		json_t *o;
		_cleanup_free_ char *path = NULL;

		if (!w->t[i].job)
			continue;
		o = job_to_json(w->t[i].job, false);
		path = job_store_path(&w->store, w->t[i].job->id);
		json_object_set_new(o, "job_file", path ? json_string(path) : json_null());
		if (w->t[i].result == -ECANCELED || w->t[i].result == -ENODEV)
			json_object_set_new(o, "state", json_string("interrupted"));
		json_object_set_new(o, "result", json_string(result_of(&w->t[i])));
		json_array_append_new(a, o);
	}
	return json_pack("{s:o}", "jobs", a);
}

/* What the operation log keeps of a target's job: its result, and for an
 * interruption or a failure what to say of it. */
static void log_job(const struct wipe_target *t)
{
	const struct job *j = t->job;
	_cleanup_free_ char *detail = NULL;
	size_t pass = 0;

	while (pass < j->n_passes && j->passes[pass].state == PASS_DONE)
		pass++;
	if (t->result == -ECANCELED || t->result == -ENODEV) {
		if (asprintf(&detail, "%spass %zu of %zu", t->result == -ENODEV ? "the disk went away at " : "",
			     pass + 1 > j->n_passes ? j->n_passes : pass + 1, j->n_passes) < 0)
			detail = NULL;
		cli_op_job(j->id, j->asset, j->method, "interrupted", detail);
	} else if (t->result < 0) {
		cli_op_job(j->id, j->asset, j->method, "could-not-run", strerror(-t->result));
	} else {
		cli_op_job(j->id, j->asset, j->method, job_result_to_string(job_result(j)), j->failure);
	}
}

/* One line per target that says exactly what happened. */
static int report(const struct wipe_run *w, const struct wipe_target *t)
{
	const struct job *j = t->job;
	char pat[16];

	log_job(t);
	if (t->result == -ECANCELED) {
		log_error(_("%s: interrupted; continue with 'wipecert resume %s'"), j->device, j->id);
		return EXIT_FAIL;
	}
	if (t->result == -ENODEV) {
		log_error(_("%s: the disk went away: interrupted; continue with 'wipecert resume %s' once it is back"),
			  j->device, j->id);
		return EXIT_FAIL;
	}
	if (t->result < 0) {
		log_error_errno(t->result, _("%s: the wipe could not run"), j->device);
		return EXIT_FAIL;
	}
	switch (job_result(j)) {
	case JOB_RESULT_VERIFIED:
		if (!w->json)
			printf(_("%s: wiped and verified (%s, verify %s), job %s\n"), j->device, j->method,
			       erase_verify_to_string(j->verify_mode), j->id);
		return EXIT_OK;
	case JOB_RESULT_VERIFIED_ONLY:
		if (!w->json)
			printf(_("%s: verified only, nothing written: it reads back as %s everywhere (%s), job %s\n"),
			       j->device, j->n_passes ? erase_pass_describe(&j->passes[0].pattern, pat, sizeof(pat)) : "?",
			       j->method, j->id);
		return EXIT_OK;
	case JOB_RESULT_NOT_VERIFIED:
		if (!w->json)
			printf(_("%s: wiped, not verified (%s, verify off), job %s\n"), j->device, j->method, j->id);
		return EXIT_OK;
	default:
		log_error(_("%s: wipe FAILED: %s (job %s)"), j->device, j->failure ? j->failure : "?", j->id);
		return EXIT_FAIL;
	}
}

int wipe_run_all(struct wipe_run *w)
{
	struct printer pr = { .w = w, .tty = isatty(STDERR_FILENO) && !w->json };
	struct runner *rn = calloc(w->n, sizeof(*rn));
	pthread_t *th = calloc(w->n, sizeof(*th));
	struct sigaction sa = { .sa_handler = on_signal };
	bool ran = false;
	int ret = EXIT_OK;

	if (!rn || !th) {
		free(rn);
		free(th);
		return log_error_errno(-ENOMEM, _("cannot start")), EXIT_FAIL;
	}
	pthread_mutex_init(&pr.lock, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (size_t i = 0; i < w->n; i++) {
		const struct job_tuning *tu;

		if (w->t[i].seal_only)
			continue;
		ran = true;
		tu = &w->t[i].job->tuning;
		rn[i] = (struct runner){ &pr, &w->t[i], { .block_size = (size_t)tu->block_size, .depth = tu->depth,
							  .max_rate = tu->max_rate, .io = tu->sync_io ? &erase_io_sync : NULL,
							  .store = &w->store, .progress = progress_cb } };
		rn[i].eo.userdata = &rn[i];
		if (pthread_create(&th[i], NULL, run_thread, &rn[i]) != 0) {
			w->t[i].result = -EAGAIN;
			th[i] = 0;
		}
	}
	for (size_t i = 0; i < w->n; i++)
		if (th[i])
			pthread_join(th[i], NULL);
	if (pr.tty && ran)
		draw_tty(&pr);

	for (size_t i = 0; i < w->n; i++) {
		struct wipe_target *t = &w->t[i];
		int r;

		if (t->seal_only)
			continue;
		/* the descriptor's close is part of the wipe: its error counts */
		if (erase_target_close(&t->tgt) < 0 && t->job->state == JOB_SUCCEEDED) {
			job_fail(t->job, "closing the device failed");
			job_store_save(&w->store, t->job);
		}
		r = report(w, t);
		if (r != EXIT_OK)
			ret = r;
	}
	if (w->json) {
		json_t *o = result_json(w);
		cli_print_json(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	}
	pthread_mutex_destroy(&pr.lock);
	free(rn);
	free(th);
	return ret;
}

/* ---- the disposal ---- */

int wipe_open_disposal(struct wipe_run *w, const char *ledger_fallback)
{
	const char *db = ledger_resolve_path(w->db ? w->db : ledger_fallback);
	struct ledger *l = NULL;
	int r;

	r = cli_ledger_open(db, 0, &l);
	if (r)
		return r;
	w->db = db;
	cli_op_ledger(db);
	w->flow.ledger = l;
	w->flow.state_dir = w->state_dir;
	if (cli_policy_load(w->policy_path, &w->policy, &w->have_policy) < 0)
		return EXIT_FAIL;
	if (w->have_policy)
		w->flow.policy = &w->policy;
	if (w->key && !w->dry_run) {
		int k = key_load_signer(w->key, w->pass_file, TRUST_DOC_WIPE_RECORD, &w->tech);

		if (!k && w->witness_key)
			k = key_load_signer(w->witness_key, w->witness_pass, TRUST_DOC_WITNESS, &w->witness);
		if (k)
			return k;
		/* records an earlier wipe sealed while the ledger was away */
		cli_sync_quietly(&w->flow, w->tech);
	}
	return EXIT_OK;
}

void wipe_seal_all(struct wipe_run *w, int *ret)
{
	for (size_t i = 0; i < w->n; i++) {
		struct wipe_target *t = &w->t[i];
		struct flow_error ferr = { "" };
		_cleanup_free_ char *path = NULL;
		const char *id = t->job ? t->job->id : t->fw.job_id;
		const char *asset = t->job ? t->job->asset : t->asset;
		int r;

		if (!id || !asset || (t->job && t->job->state == JOB_RUNNING))
			continue;
		r = flow_seal(&w->flow, id, asset, w->tech, &path, &ferr);
		if (r == -EEXIST && t->seal_only) {
			log_error(_("%s: the job has already ended and is sealed"), t->arg);
			if (*ret == EXIT_OK)
				*ret = EXIT_REFUSED;
			continue;
		}
		if (r < 0) {
			log_error(_("%s: job %s not sealed: %s"), t->arg, id, flow_error_text(&ferr));
			*ret = EXIT_FAIL;
			continue;
		}
		if (r == FLOW_QUEUED)
			log_warn(_("%s: job %s: the ledger is unreachable: the wipe record waits in %s/outbox and is "
				   "submitted by 'wipecert sync' (or the next command with a key)"), t->arg, id,
				 flow_state_dir(&w->flow));
		cli_op_sealed(id);
		log_info(_("%s: job %s sealed by %s for asset %s: %s"), t->arg, id, trust_seckey_name(w->tech),
			 asset, path);
		if (w->witness && flow_witness(&w->flow, id, w->witness, NULL, &ferr) < 0) {
			log_error(_("%s: job %s not witnessed: %s"), t->arg, id, flow_error_text(&ferr));
			*ret = EXIT_FAIL;
		}
	}
}

void wipe_run_release(struct wipe_run *w)
{
	for (size_t i = 0; w->t && i < w->n; i++) {
		struct wipe_target *t = &w->t[i];

		erase_target_close(&t->tgt);
		if (t->have_disk)
			disk_release(&t->disk);
		job_free(t->job);
		flow_firmware_release(&t->fw);
	}
	free(w->t);
	w->t = NULL;
	job_store_close(&w->store);
	ledger_close(w->flow.ledger);
	w->flow.ledger = NULL;
	if (w->have_policy)
		policy_release(&w->policy);
	w->have_policy = false;
	trust_seckey_free(w->tech);
	trust_seckey_free(w->witness);
	w->tech = NULL;
}
