/* wipe.c - `wipecert wipe`: overwrite one or more disks or image files with
 * a method from the table, verify, and keep a job record of it all.
 *
 * Before anything is written, every target must be described by detection,
 * be safe (not system, mounted, held or in use), and be confirmed by the
 * operator by its serial (or its path when it has none); one refused target
 * refuses the whole command. Then each target runs in its own thread, and a
 * failure on one does not stop the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "wipecert/cli.h"
#include "wipe.h"
#include <sodium.h>
#include "wipecert/drive.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/policy.h"
#include "wipecert/trust.h"

/* ---- shared with resume ---- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int wipe_open_target(const struct disk *d, uint64_t *ret_size, unsigned *ret_sector)
{
	int flags = O_RDWR | O_CLOEXEC, fd;
	uint64_t size;
	unsigned sector = 512;
	struct stat st;

	if (d->transport == TRANSPORT_FILE) {
		/* O_DIRECT where the file system has it (not tmpfs), else the
		 * page cache, which is synced and dropped before reading back */
		fd = open(d->devpath, flags | O_DIRECT | O_NOFOLLOW);
		if (fd < 0 && errno == EINVAL)
			fd = open(d->devpath, flags | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return -ENOTBLK;
		}
		size = (uint64_t)st.st_size;
		if (size % 4096 != 0) {
			/* O_DIRECT needs whole blocks: the tail goes through the cache */
			int fl = fcntl(fd, F_GETFL);
			if (fl >= 0)
				fcntl(fd, F_SETFL, fl & ~O_DIRECT);
		}
	} else {
		/* O_EXCL on a block device: nobody else may open it exclusively
		 * (mount, md, dm, another wipe) while we write */
		fd = open(d->devpath, flags | O_EXCL | O_DIRECT);
		if (fd < 0)
			return -errno;
		if (ioctl(fd, BLKGETSIZE64, &size) < 0 || ioctl(fd, BLKSSZGET, &sector) < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
		if (size != d->size) {
			close(fd);
			return -ESTALE; /* not the disk detection described */
		}
	}
	if (sector < 512 || size < sector || size % sector != 0) {
		close(fd);
		return -EINVAL;
	}
	*ret_size = size;
	*ret_sector = sector;
	return fd;
}

void wipe_target_release(struct wipe_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->have_disk)
		disk_release(&t->disk);
	t->have_disk = false;
	job_free(t->job);
	t->job = NULL;
	free(t->fw_id);
	t->fw_id = NULL;
}

const char wipe_tuning_help[] = N_(
	"      --max-rate RATE      limit the writes to RATE bytes per second (e.g. 200M)\n"
	"      --block-size SIZE    bytes per request (default 1M)\n"
	"      --queue-depth N      requests in flight (default 8)\n"
	"      --sync-io            pread/pwrite instead of io_uring\n");

int wipe_parse_tuning(int opt, const char *arg, struct erase_opts *eo, const char *cmd, int *ret_exit)
{
	uint64_t v;

	switch (opt) {
	case 'B':
		if (parse_size(arg, &v) < 0 || v < 4096 || v > (64u << 20) || v % 4096) {
			*ret_exit = usage_error(cmd, _("bad --block-size '%s': 4K..64M in whole 4K"), arg);
			return 1;
		}
		eo->block_size = (size_t)v;
		return 1;
	case 'Q':
		if (parse_u64(arg, &v) < 0 || v < 1 || v > 256) {
			*ret_exit = usage_error(cmd, _("bad --queue-depth '%s': 1..256"), arg);
			return 1;
		}
		eo->depth = (unsigned)v;
		return 1;
	case 'R':
		if (parse_size(arg, &v) < 0 || v < 4096) {
			*ret_exit = usage_error(cmd, _("bad --max-rate '%s': bytes per second, at least 4K"), arg);
			return 1;
		}
		eo->max_rate = v;
		return 1;
	case 'S':
		eo->io = &erase_io_sync;
		return 1;
	default:
		return 0;
	}
}

/* ---- progress ---- */

struct printer {
	pthread_mutex_t lock;
	struct wipe_run *w;
	bool tty;
	bool drawn;
	uint64_t last_draw;
};

static void human(uint64_t b, char *buf, size_t len)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	size_t i = 0;

	while (v >= 1024 && i + 1 < ARRAY_SIZE(u)) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void format_line(const struct wipe_target *t, char *buf, size_t len)
{
	const struct erase_progress *p = &t->last;
	char rate[32], eta[32] = "";
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 0;

	if (!t->have_progress) {
		snprintf(buf, len, "%s: %s", t->arg, _("waiting"));
		return;
	}
	human((uint64_t)p->rate, rate, sizeof(rate));
	if (p->eta_sec && p->phase != PHASE_DONE)
		snprintf(eta, sizeof(eta), " ETA %" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
			 p->eta_sec / 3600, p->eta_sec / 60 % 60, p->eta_sec % 60);
	snprintf(buf, len, "%s: %s %u/%zu %s %5.1f%% %s/s%s", t->arg, _("pass"), p->pass + 1,
		 t->job->n_passes, erase_phase_to_string(p->phase), pct, rate, eta);
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

	rn->t->result = erase_run(rn->t->job, rn->t->fd, &rn->eo);
	return NULL;
}

static json_t *result_json(struct wipe_run *w)
{
	json_t *a = json_array();

	for (size_t i = 0; i < w->n; i++) {
		json_t *o = job_to_json(w->t[i].job, false);
		_cleanup_free_ char *path = job_store_path(&w->store, w->t[i].job->id);

		json_object_set_new(o, "job_file", path ? json_string(path) : json_null());
		if (w->t[i].result == -ECANCELED)
			json_object_set_new(o, "state", json_string("interrupted"));
		json_array_append_new(a, o);
	}
	return json_pack("{s:o}", "jobs", a);
}

int wipe_run_all(struct wipe_run *w)
{
	struct printer pr = { .w = w, .tty = isatty(STDERR_FILENO) && !w->json };
	struct runner *rn = calloc(w->n, sizeof(*rn));
	pthread_t *th = calloc(w->n, sizeof(*th));
	struct sigaction sa = { .sa_handler = on_signal };
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
		rn[i] = (struct runner){ &pr, &w->t[i], w->eo };
		rn[i].eo.progress = progress_cb;
		rn[i].eo.userdata = &rn[i];
		rn[i].eo.store = &w->store;
		if (pthread_create(&th[i], NULL, run_thread, &rn[i]) != 0) {
			w->t[i].result = -EAGAIN;
			th[i] = 0;
		}
	}
	for (size_t i = 0; i < w->n; i++)
		if (th[i])
			pthread_join(th[i], NULL);
	if (pr.tty)
		draw_tty(&pr);

	for (size_t i = 0; i < w->n; i++) {
		struct wipe_target *t = &w->t[i];
		struct job *j = t->job;

		/* the descriptor's close is part of the wipe: its error counts */
		if (t->fd >= 0 && close(t->fd) < 0 && j->state == JOB_SUCCEEDED) {
			job_fail(j, "closing the device failed");
			job_store_save(&w->store, j);
		}
		t->fd = -1;
		if (t->result == -ECANCELED) {
			log_error(_("%s: interrupted; continue with 'wipecert resume %s'"), j->device, j->id);
			ret = EXIT_FAIL;
		} else if (t->result < 0) {
			log_error_errno(t->result, _("%s: the wipe could not run"), j->device);
			ret = EXIT_FAIL;
		} else if (j->state != JOB_SUCCEEDED) {
			log_error(_("%s: wipe FAILED: %s (job %s)"), j->device, j->failure ? j->failure : "?", j->id);
			ret = EXIT_FAIL;
		} else if (!w->json) {
			printf(_("%s: wiped and verified (%s, verify %s), job %s\n"), j->device, j->method,
			       erase_verify_to_string(j->verify_mode), j->id);
		}
	}
	if (w->json) {
		json_t *o = result_json(w);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(o);
	}
	pthread_mutex_destroy(&pr.lock);
	free(rn);
	free(th);
	return ret;
}

/* ---- wipe ---- */

struct wipe_control {
	const struct erase_method *method;
	/* a firmware method (nvme-format, ata-secure-erase, ..., auto) instead
	 * of an overwrite: the drive layer erases, the record is the same */
	enum drive_method fw;
	enum drive_level fw_level;
	bool remove_hpa;
	enum erase_verify verify;
	unsigned percent;
	bool dry_run, json;
	const char **confirm;
	size_t n_confirm;
	const char *state_dir;
	struct disk_scan safety; /* --force-member */
	/* the disposal: which asset each target is, the ledger, the policy,
	 * and the technician's key that seals the finished jobs */
	const char **assets;
	size_t n_assets;
	const char *db, *policy_path, *key, *pass_file;
	struct flow_ctx flow;
	struct policy policy;
	bool have_policy;
	struct trust_seckey *tech;
};

static void help(void)
{
	printf(_("Usage: %s wipe [options] DEVICE|IMAGE...\n\n"
		 "Overwrite whole disks or image files, verify, and record a job.\n\n"
		 "Options:\n"
		 "  -m, --method M           overwrite method (default random; --list-methods)\n"
		 "      --verify MODE        off, last (default), all, or sample (NIST SP 800-88 §4.7)\n"
		 "      --sample-percent N   how much sample verification reads (default 10)\n"
		 "  -n, --dry-run            check and show what would be done, write nothing\n"
		 "      --confirm-serial S   confirm a disk by its serial (repeat per disk); for\n"
		 "                           image files and disks with no serial, their path\n"
		 "      --force-member TYPE  also wipe a disk that carries this RAID/LVM member\n"
		 "                           signature (LVM2_member, linux_raid_member, ...;\n"
		 "                           comma separated): `list` names it\n"
		 "      --json               job records on stdout, progress events on stderr\n"
		 "      --state-dir DIR      job files (default $WIPECERT_STATE_DIR or %s)\n"
		 "      --asset ID           the ledger entry of the target (repeat per target, in\n"
		 "                           order): its serial/WWN and the policy are checked first\n"
		 "      --db FILE            the asset ledger (default $WIPECERT_DB or %s)\n"
		 "      --policy FILE        the disposal policy (default %s if present)\n"
		 "  -k, --key FILE           the technician's key: seal each finished job (needs --asset)\n"
		 "      --passphrase-file F  its passphrase (else asked before the wipe starts)\n"
		 "%s"
		 "      --list-methods       list the methods and their passes\n"
		 "  -h, --help               show this help\n\n"
		 "Exit: 0 every target wiped and verified, 1 a wipe failed or was interrupted,\n"
		 "2 usage, 3 refused before anything was written.\n"),
	       program_name, JOB_STATE_DIR_DEFAULT, LEDGER_DEFAULT_PATH, DEFAULT_POLICY, _(wipe_tuning_help));
}

static void list_methods(void)
{
	for (size_t i = 0; i < erase_n_methods; i++) {
		const struct erase_method *m = &erase_methods[i];
		char buf[16];

		printf("%-10s %-50s", m->name, m->title);
		for (unsigned k = 0; k < m->n_passes && k < 8; k++)
			printf(" %s", erase_pass_describe(&m->passes[k], buf, sizeof(buf)));
		printf("%s\n", m->n_passes > 8 ? " ..." : "");
	}
}

static bool confirmed_by(const struct wipe_control *c, const struct disk *d, const char *arg, const char *typed)
{
	const char *name = d->name;

	for (size_t i = 0; i <= c->n_confirm; i++) {
		const char *s = i < c->n_confirm ? c->confirm[i] : typed;

		if (!s)
			continue;
		if (d->serial && *d->serial) {
			if (streq(s, d->serial))
				return true;
			continue;
		}
		if (streq(s, arg) || (d->devpath && streq(s, d->devpath)) || (name && streq(s, name)))
			return true;
	}
	return false;
}

static int confirm(const struct wipe_control *c, const struct disk *d, const char *arg)
{
	bool serial = d->serial && *d->serial;
	char size[32], line[256];

	if (confirmed_by(c, d, arg, NULL))
		return 0;
	if (c->json || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		log_error(serial ? _("%s: not confirmed: pass --confirm-serial %s")
				 : _("%s: not confirmed: pass --confirm-serial %s (it has no serial: its path)"),
			  arg, serial ? d->serial : arg);
		return -EPERM;
	}
	human(d->size, size, sizeof(size));
	fprintf(stderr, _("%s: %s, %s, serial %s: ALL DATA WILL BE DESTROYED.\n"), arg,
		d->model ? d->model : "?", size, serial ? d->serial : "-");
	fprintf(stderr, serial ? _("Type the serial number to confirm: ") : _("Type the path %s to confirm: "), arg);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return -EPERM;
	strstrip(line);
	if (!confirmed_by(c, d, arg, line)) {
		log_error(_("%s: not confirmed"), arg);
		return -EPERM;
	}
	return 0;
}

static const char *method_name(const struct wipe_control *c)
{
	if (c->fw == DRIVE_METHOD_AUTO)
		return "auto";
	if (c->fw != DRIVE_METHOD_INVALID)
		return drive_method_to_string(c->fw);
	return c->method->name;
}

static int prepare(const struct wipe_control *c, struct wipe_target *t)
{
	char *reason = NULL;
	uint64_t size;
	unsigned sector;
	int r;

	r = disk_probe(&c->safety, t->arg, &t->disk);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot describe the target"), t->arg);
	t->have_disk = true;
	if (t->disk.readonly)
		return log_error(_("%s: the device is read-only"), t->arg), -EROFS;
	r = disk_check_safety(&c->safety, &t->disk, &reason);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot check whether it is safe to write"), t->arg);
	if (r != SAFETY_OK) {
		log_error(_("%s: refused: %s (%s)"), t->arg, disk_safety_to_string((enum disk_safety)r),
			  reason ? reason : "?");
		free(reason);
		return -EBUSY;
	}
	free(reason);
	if (t->disk.size == 0)
		return log_error(_("%s: the target is empty"), t->arg), -EINVAL;
	if (t->asset) {
		struct flow_error ferr = { "" };

		/* the ledger and the policy before anything is written */
		r = flow_check_before_wipe(&c->flow, t->asset, method_name(c), t->disk.serial, t->disk.wwn,
					   t->disk.transport == TRANSPORT_FILE, &ferr);
		if (r < 0)
			return log_error(_("%s: refused: %s"), t->arg, ferr.msg), r;
	}
	if (c->fw != DRIVE_METHOD_INVALID && (t->disk.transport == TRANSPORT_FILE || t->disk.transport == TRANSPORT_LOOP))
		return log_error(_("%s: refused: a firmware method needs a drive, not an image file or loop device"),
				 t->arg), -EPERM;
	if (c->dry_run)
		return 0;
	r = confirm(c, &t->disk, t->arg);
	if (r < 0)
		return r;
	if (c->fw != DRIVE_METHOD_INVALID)
		return 0; /* the drive layer opens the device itself */
	/* safety again, right before the open: the confirmation took time */
	r = disk_check_safety(&c->safety, &t->disk, &reason);
	if (r != SAFETY_OK) {
		log_error(_("%s: refused: no longer safe to write: %s (%s)"), t->arg,
			  r < 0 ? strerror(-r) : disk_safety_to_string((enum disk_safety)r), reason ? reason : "?");
		free(reason);
		return -EBUSY;
	}
	free(reason);
	r = wipe_open_target(&t->disk, &size, &sector);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot open for writing"), t->arg);
	t->fd = r;
	r = job_new(c->method, c->verify, c->percent, t->disk.devpath ? t->disk.devpath : t->arg, size,
		    sector, &t->job);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot create the job"), t->arg);
	if (job_set(&t->job->name, t->disk.name) < 0 || job_set(&t->job->model, t->disk.model) < 0 ||
	    job_set(&t->job->serial, t->disk.serial) < 0 || job_set(&t->job->wwn, t->disk.wwn) < 0 ||
	    job_set(&t->job->transport, disk_transport_to_string(t->disk.transport)) < 0)
		return log_error_errno(-ENOMEM, "%s", t->arg);
	return 0;
}

/* --json: with --dry-run the plans are the output (stdout, one document);
 * otherwise each is a "plan" event on stderr next to the progress events. */

static void print_plan(const struct wipe_control *c, const struct wipe_target *t, json_t *plans)
{
	const struct disk *d = &t->disk;
	char size[32];

	human(d->size, size, sizeof(size));
	if (c->json) {
		json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:I,s:i,s:s,s:s,s:i,s:s}",
				      "event", "plan", "device", t->arg,
				      "model", d->model ? json_string(d->model) : json_null(),
				      "serial", d->serial ? json_string(d->serial) : json_null(),
				      "size", (json_int_t)d->size, "logical_sector", (int)d->logical_sector,
				      "method", method_name(c), "verify", c->fw != DRIVE_METHOD_INVALID ? "sample" :
				      erase_verify_to_string(c->verify),
				      "passes", c->fw != DRIVE_METHOD_INVALID ? 1 : (int)c->method->n_passes,
				      "dry_run", c->dry_run ? "yes" : "no");
		if (c->dry_run) {
			json_array_append_new(plans, o);
			return;
		}
		json_dumpf(o, stderr, JSON_COMPACT);
		fputc('\n', stderr);
		json_decref(o);
		return;
	}
	if (c->fw != DRIVE_METHOD_INVALID) {
		printf(_("%s: %s, serial %s, %s, %u-byte sectors: firmware erase %s, sampled read-back%s\n"), t->arg,
		       d->model ? d->model : "?", d->serial ? d->serial : "-", size, d->logical_sector,
		       method_name(c), c->dry_run ? _(" [dry run: nothing written]") : "");
		return;
	}
	printf(_("%s: %s, serial %s, %s, %u-byte sectors: %s (%u passes), verify %s%s\n"), t->arg,
	       d->model ? d->model : "?", d->serial ? d->serial : "-", size, d->logical_sector,
	       c->method->name, c->method->n_passes, erase_verify_to_string(c->verify),
	       c->dry_run ? _(" [dry run: nothing written]") : "");
}

/* --asset: the ledger, the policy and (with --key) the technician's key,
 * all opened before anything is written so that a wrong passphrase or a
 * missing ledger stops the command, not the seal after hours of wiping. */
static int open_disposal(struct wipe_control *c)
{
	struct ledger *l = NULL;
	int r;

	r = cli_ledger_open(c->db, 0, &l);
	if (r)
		return r;
	c->flow.ledger = l;
	c->flow.state_dir = c->state_dir;
	if (cli_policy_load(c->policy_path, &c->policy, &c->have_policy) < 0)
		return EXIT_FAIL;
	if (c->have_policy)
		c->flow.policy = &c->policy;
	if (c->key && !c->dry_run) {
		int k = key_load_signer(c->key, c->pass_file, TRUST_DOC_WIPE_RECORD, &c->tech);

		if (k)
			return k;
		/* records an earlier wipe sealed while the ledger was away */
		cli_sync_quietly(&c->flow, c->tech);
	}
	return EXIT_OK;
}

static void close_disposal(struct wipe_control *c)
{
	ledger_close(c->flow.ledger);
	if (c->have_policy)
		policy_release(&c->policy);
	trust_seckey_free(c->tech);
}

/* Seal every job that ran to its end, failed ones too: a failed wipe is
 * recorded as such, never dropped. */
static void seal_all(struct wipe_control *c, struct wipe_run *w, int *ret)
{
	for (size_t i = 0; i < w->n; i++) {
		struct wipe_target *t = &w->t[i];
		struct flow_error ferr = { "" };
		_cleanup_free_ char *path = NULL;

		const char *id = t->job ? t->job->id : t->fw_id;

		if (!id || (t->job && t->job->state == JOB_RUNNING))
			continue;
		int r = flow_seal(&c->flow, id, t->asset, c->tech, &path, &ferr);

		if (r < 0) {
			log_error(_("%s: job %s not sealed: %s"), t->arg, id, ferr.msg);
			*ret = EXIT_FAIL;
			continue;
		}
		if (r == FLOW_QUEUED)
			log_warn(_("%s: job %s: the ledger is unreachable: the wipe record waits in %s/outbox and is "
				   "submitted by 'wipecert sync' (or the next command with a key)"), t->arg, id,
				 flow_state_dir(&c->flow));
		log_info(_("%s: job %s sealed by %s for asset %s: %s"), t->arg, id, trust_seckey_name(c->tech),
			 t->asset, path);
	}
}

static void fw_progress(void *ud, const char *phase, double f, double eta)
{
	const struct wipe_target *t = ud;

	if (f >= 0 && eta >= 0)
		fprintf(stderr, _("%s: %s: %.1f%%, about %.0f s left\n"), t->arg, phase, f * 100, eta);
	else if (f >= 0)
		fprintf(stderr, _("%s: %s: %.1f%%\n"), t->arg, phase, f * 100);
	else
		fprintf(stderr, _("%s: %s...\n"), t->arg, phase);
}

/* A firmware erase as a job record: the same fields as an overwrite's
 * (one pass, pattern "firmware", verified by the sampled read-back), plus
 * the drive's own answer under "firmware". Written as ID.firmware.json. */
static json_t *firmware_job_json(const struct wipe_target *t, const char *id, const struct drive_erase_result *res)
{
	const struct disk *d = &t->disk;
	bool ok = !res->refused && !res->error && res->verdict == DRIVE_VERDICT_PASSED;
	const char *verdict = drive_verdict_to_string(res->verdict);
	char t0[32] = "", t1[32] = "", host[256] = "";
	json_t *o;

	format_utc((time_t)(res->started_ns / 1000000000ull), t0, sizeof(t0));
	format_utc((time_t)(res->finished_ns / 1000000000ull), t1, sizeof(t1));
	gethostname(host, sizeof(host) - 1);
	o = json_pack("{s:i,s:s,s:s,s:{s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:I,s:i},s:s,s:s,s:i,s:s,s:s?,"
		      "s:[{s:i,s:s,s:s,s:I,s:I,s:s,s:{s:i,s:I,s:[]},s:{s:I,s:I,s:[]}}],"
		      "s:s,s:s,s:s,s:s,s:{s:s,s:s},s:o}",
		      "format", 1, "kind", "firmware", "id", id,
		      "device", "path", d->devpath, "name", d->name, "model", d->model, "serial", d->serial,
		      "wwn", d->wwn, "transport", disk_transport_to_string(d->transport),
		      "size", (json_int_t)d->size, "logical_sector", (int)d->logical_sector,
		      "method", drive_method_to_string(res->method), "verify", "sample",
		      "sample_percent", (int)res->sample_percent,
		      "state", ok ? "succeeded" : "failed", "failure", ok ? NULL : res->reason[0] ? res->reason : verdict,
		      "passes", "pass", 1, "pattern", "firmware", "state", res->error || res->refused ? "failed" : "done",
		      "bytes_written", (json_int_t)d->size, "verified", (json_int_t)res->sample_bytes,
		      "verification", res->verdict == DRIVE_VERDICT_PASSED ? "passed" :
				      res->verdict == DRIVE_VERDICT_FAILED ? "failed" : "none",
		      "errors", "count", 0, "bytes", (json_int_t)0, "ranges",
		      "mismatches", "count", (json_int_t)res->unchanged, "bytes", (json_int_t)0, "ranges",
		      "created", t0, "started", t0, "ended", t1, "host", host,
		      "tool", "name", "wipecert", "version", WIPECERT_VERSION,
		      "firmware", drive_erase_result_to_json(res));
	return o;
}

/* Firmware erases, one drive after the other (each drive works on its
 * own; the host only waits), each written down as a job record. */
static int firmware_run_all(struct wipe_control *c, struct wipe_run *w)
{
	int ret = EXIT_OK;
	json_t *jobs = json_array();

	for (size_t i = 0; i < w->n; i++) {
		struct wipe_target *t = &w->t[i];
		struct drive_erase_opts o = { .sample_percent = c->percent, .remove_hpa = c->remove_hpa,
					      .level = c->fw_level };
		struct drive_erase_result res;
		_cleanup_free_ char *path = NULL, *text = NULL;
		char stamp[32], rnd[9];
		uint8_t rb[4];
		json_t *j;
		int r;

		randombytes_buf(rb, sizeof(rb));
		hex_encode(rb, sizeof(rb), rnd);
		format_utc(time(NULL), stamp, sizeof(stamp));
		/* 2026-11-23T08:49:00Z -> 20261123T084900Z, as overwrite jobs are named */
		if (asprintf(&t->fw_id, "%.4s%.2s%.2sT%.2s%.2s%.2sZ-%s-%s", stamp, stamp + 5, stamp + 8, stamp + 11,
			     stamp + 14, stamp + 17, t->disk.name ? t->disk.name : "disk", rnd) < 0) {
			ret = EXIT_FAIL;
			continue;
		}
		drive_firmware_erase(&t->disk, c->fw, &o, fw_progress, t, &res);
		j = firmware_job_json(t, t->fw_id, &res);
		text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
		path = job_store_path(&w->store, t->fw_id);
		/* ID.json is the overwrite engine's; a firmware erase is ID.firmware.json */
		if (path && strlen(path) > 5) {
			char *fp = NULL;

			if (asprintf(&fp, "%.*s.firmware.json", (int)(strlen(path) - 5), path) < 0)
				fp = NULL;
			free(path);
			path = fp;
		}
		if (!path || !text || (r = write_file_atomic(path, text, strlen(text), 0600, true)) < 0) {
			log_error(_("%s: cannot write the job record %s"), t->arg, path ? path : t->fw_id);
			ret = EXIT_FAIL;
		}
		if (res.refused) {
			log_error(_("%s: refused: %s"), t->arg, res.reason);
			if (ret == EXIT_OK)
				ret = EXIT_REFUSED;
			free(t->fw_id);
			t->fw_id = NULL; /* nothing happened: nothing to seal */
		} else if (res.error || res.verdict != DRIVE_VERDICT_PASSED) {
			log_error(_("%s: %s FAILED: %s (verification %s)"), t->arg, drive_method_to_string(res.method),
				  res.reason[0] ? res.reason : "-", drive_verdict_to_string(res.verdict));
			ret = EXIT_FAIL;
		} else if (!c->json) {
			printf(_("%s: %s done and verified (%" PRIu64 " of %" PRIu64 " samples changed): job %s\n"), t->arg,
			       drive_method_to_string(res.method), res.changed, res.samples, t->fw_id);
		}
		if (j)
			json_array_append(jobs, j);
		json_decref(j);
	}
	if (c->json) {
		json_t *o = json_pack("{s:O}", "jobs", jobs);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(o);
	}
	json_decref(jobs);
	return ret;
}

int cmd_wipe(int argc, char **argv)
{
	enum { OPT_VERIFY = 256, OPT_PERCENT, OPT_CONFIRM, OPT_JSON, OPT_STATE, OPT_LIST, OPT_ASSET, OPT_DB,
	       OPT_POLICY, OPT_PASS, OPT_LEVEL, OPT_REMOVE_HPA, OPT_FORCE_MEMBER };
	static const struct option opts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "verify", required_argument, NULL, OPT_VERIFY },
		{ "sample-percent", required_argument, NULL, OPT_PERCENT },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "confirm-serial", required_argument, NULL, OPT_CONFIRM },
		{ "force-member", required_argument, NULL, OPT_FORCE_MEMBER },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "asset", required_argument, NULL, OPT_ASSET },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "remove-hpa", no_argument, NULL, OPT_REMOVE_HPA },
		{ "db", required_argument, NULL, OPT_DB },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		WIPE_TUNING_LONGOPTS,
		{ "list-methods", no_argument, NULL, OPT_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct wipe_control c = { .method = erase_method_find("random"), .verify = VERIFY_LAST,
				  .percent = 10, .fw = DRIVE_METHOD_INVALID, .fw_level = DRIVE_LEVEL_PURGE };
	struct wipe_run w = { 0 };
	json_t *plans = json_array();
	int opt, ret = EXIT_OK, r;
	uint64_t v;

	c.confirm = calloc((size_t)argc, sizeof(*c.confirm));
	c.assets = calloc((size_t)argc, sizeof(*c.assets));
	if (!c.confirm || !c.assets) {
		free(c.confirm);
		free(c.assets);
		return EXIT_FAIL;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "m:nk:h", opts, NULL)) != -1) {
		if (wipe_parse_tuning(opt, optarg, &w.eo, "wipe", &ret)) {
			if (ret != EXIT_OK)
				goto out;
			continue;
		}
		switch (opt) {
		case 'm':
			c.method = erase_method_find(optarg);
			c.fw = DRIVE_METHOD_INVALID;
			if (!c.method) {
				c.fw = drive_method_from_string(optarg);
				c.method = erase_method_find("random");
			}
			if (c.fw == DRIVE_METHOD_INVALID && !erase_method_find(optarg)) {
				ret = usage_error("wipe", _("unknown method '%s' (see --list-methods)"), optarg);
				goto out;
			}
			break;
		case OPT_LEVEL:
			if (drive_level_from_string(optarg, &c.fw_level) < 0) {
				ret = usage_error("wipe", _("unknown level '%s' (clear or purge)"), optarg);
				goto out;
			}
			break;
		case OPT_REMOVE_HPA:
			c.remove_hpa = true;
			break;
		case OPT_VERIFY:
			if (erase_verify_from_string(optarg, &c.verify) < 0) {
				ret = usage_error("wipe", _("bad --verify '%s': off, last, all or sample"), optarg);
				goto out;
			}
			break;
		case OPT_PERCENT:
			if (parse_u64(optarg, &v) < 0 || v < 1 || v > 100) {
				ret = usage_error("wipe", _("bad --sample-percent '%s': 1..100"), optarg);
				goto out;
			}
			c.percent = (unsigned)v;
			break;
		case 'n':
			c.dry_run = true;
			break;
		case OPT_CONFIRM:
			c.confirm[c.n_confirm++] = optarg;
			break;
		case OPT_FORCE_MEMBER:
			c.safety.force_member = optarg;
			break;
		case OPT_JSON:
			c.json = true;
			break;
		case OPT_STATE:
			c.state_dir = optarg;
			break;
		case OPT_ASSET:
			c.assets[c.n_assets++] = optarg;
			break;
		case OPT_DB:
			c.db = optarg;
			break;
		case OPT_POLICY:
			c.policy_path = optarg;
			break;
		case 'k':
			c.key = optarg;
			break;
		case OPT_PASS:
			c.pass_file = optarg;
			break;
		case OPT_LIST:
			list_methods();
			goto out;
		case 'h':
			help();
			goto out;
		default:
			ret = usage_error("wipe", _("bad option"));
			goto out;
		}
	}
	if (optind >= argc) {
		ret = usage_error("wipe", _("no device or image given"));
		goto out;
	}
	for (int i = optind; i < argc; i++)
		for (int k = optind; k < i; k++)
			if (streq(argv[i], argv[k])) {
				ret = usage_error("wipe", _("'%s' given twice"), argv[i]);
				goto out;
			}

	w.n = (size_t)(argc - optind);
	if (c.n_assets && c.n_assets != w.n) {
		ret = usage_error("wipe", _("%zu targets but %zu --asset: give one asset per target, in order"), w.n,
				  c.n_assets);
		goto out;
	}
	if (c.key && !c.n_assets) {
		ret = usage_error("wipe", _("--key seals the jobs for their assets: give --asset too"));
		goto out;
	}
	if (c.n_assets) {
		ret = open_disposal(&c);
		if (ret != EXIT_OK)
			goto out;
	}
	w.t = calloc(w.n, sizeof(*w.t));
	w.json = c.json;
	if (!w.t) {
		ret = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < w.n; i++) {
		w.t[i].arg = argv[optind + (int)i];
		w.t[i].asset = c.n_assets ? c.assets[i] : NULL;
		w.t[i].fd = -1;
	}
	if (!c.dry_run) {
		r = job_store_open_dir(c.state_dir, &w.store);
		if (r < 0) {
			log_error_errno(r, _("cannot use the state directory"));
			ret = EXIT_FAIL;
			goto out;
		}
	}
	/* all or nothing: one refused target refuses the command */
	for (size_t i = 0; i < w.n; i++) {
		r = prepare(&c, &w.t[i]);
		if (r < 0) {
			ret = EXIT_REFUSED;
			goto out;
		}
		print_plan(&c, &w.t[i], plans);
	}
	if (c.dry_run) {
		if (c.json) {
			json_t *o = json_pack("{s:O}", "plan", plans);

			json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(o);
		}
		goto out;
	}
	fflush(stdout);
	if (c.fw != DRIVE_METHOD_INVALID)
		ret = firmware_run_all(&c, &w);
	else
		ret = wipe_run_all(&w);
	if (c.tech)
		seal_all(&c, &w, &ret);
out:
	for (size_t i = 0; w.t && i < w.n; i++)
		wipe_target_release(&w.t[i]);
	free(w.t);
	job_store_close(&w.store);
	json_decref(plans);
	free(c.confirm);
	free(c.assets);
	close_disposal(&c);
	return ret;
}
