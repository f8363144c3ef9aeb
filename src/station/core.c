/* core.c - the bays of the wipe station and their jobs (see station.h).
 *
 * One bay per attached disk. Its row says who the disk is (detection), who
 * the organisation says it is (the ledger, by serial/WWN), what the policy
 * asks for it, and whether it may be started. A start describes the disk
 * again, checks it all again, opens it and runs erase_run() in a thread of
 * its own; the thread only runs the engine and reports progress, everything
 * else (ledger, seal, events) happens in the caller's thread.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <libudev.h>

#include "wipecert/drive.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "station.h"

/* ---- events ---- */

void station_emit(struct station *s, enum station_event_kind kind, struct bay *b, const char *code,
		  const char *fmt, ...)
{
	struct station_event ev = { kind, b, NULL, code };
	char msg[768];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		ev.msg = msg;
	}
	if (s->emit)
		s->emit(s, &ev);
}

static const char *bay_label(const struct bay *b)
{
	return station_bay_name(b);
}

/* ---- bays ---- */

static void bay_free(struct bay *b)
{
	if (!b)
		return;
	erase_target_close(&b->tgt);
	flow_firmware_release(&b->fw);
	disk_release(&b->disk);
	ledger_asset_clear(&b->asset);
	job_free(b->job);
	free(b->resume_id);
	free(b->job_asset);
	free(b->case_path);
	free(b->label_path);
	free(b);
}

static struct bay *bay_find_name(struct station *s, const char *name)
{
	for (size_t i = 0; i < s->n_bays; i++)
		if (s->bays[i]->present && s->bays[i]->disk.name && streq(s->bays[i]->disk.name, name))
			return s->bays[i];
	return NULL;
}

static void bay_remove(struct station *s, struct bay *b)
{
	for (size_t i = 0; i < s->n_bays; i++)
		if (s->bays[i] == b) {
			memmove(&s->bays[i], &s->bays[i + 1], (s->n_bays - i - 1) * sizeof(*s->bays));
			s->n_bays--;
			break;
		}
	bay_free(b);
}

void station_drop(struct station *s, struct bay *b)
{
	/* a job to seal is never forgotten */
	if (b->state == BAY_RUNNING || b->thread_live || b->seal_pending)
		return;
	bay_remove(s, b);
}

static bool same_str(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && streq(a, b));
}

/* The same medium: serial, WWN, size, and for a loop device the file it maps. */
static bool same_disk(const struct disk *a, const struct disk *b)
{
	return same_str(a->serial, b->serial) && same_str(a->wwn, b->wwn) && a->size == b->size &&
	       same_str(a->backing_file, b->backing_file) && a->transport == b->transport;
}

/* Loop devices and image files report no identity of their own: the
 * operator binds them to an asset by scanning its label. */
static bool identityless(const struct disk *d)
{
	return !disk_has_identity(d) && disk_is_image(d);
}

/* What the drive's firmware can erase, read once when it arrives (never
 * while a job of ours has it open). */
static void read_caps(struct bay *b)
{
	const struct disk *d = &b->disk;
	size_t at = 0, len = sizeof(b->caps_text);

	b->caps_read = true;
	b->caps_text[0] = '\0';
	if (disk_is_image(d) || !d->devpath || drive_probe_caps(d->devpath, &b->caps) < 0)
		return;
	b->have_caps = true;
	for (int m = 0; m < _DRIVE_METHOD_MAX && at < len; m++)
		if (b->caps.methods & (1u << m))
			at += (size_t)snprintf(b->caps_text + at, len - at, "%s%s", at ? "," : "",
					       drive_method_to_string(m));
}

static bool job_busy(const struct station *s, const char *id)
{
	for (size_t i = 0; i < s->n_bays; i++)
		if (s->bays[i]->thread_live && s->bays[i]->job && streq(s->bays[i]->job->id, id))
			return true;
	return false;
}

/* The bay of this disk whose job still runs while the disk is out (pulled,
 * stopping), if any. */
static struct bay *still_stopping(const struct station *s, const struct bay *nb)
{
	for (size_t i = 0; i < s->n_bays; i++) {
		struct bay *b = s->bays[i];

		if (b != nb && !b->present && b->thread_live && same_disk(&b->disk, &nb->disk))
			return b;
	}
	return NULL;
}

struct rjob {
	char *id, *serial, *wwn, *device;
	uint64_t size;
	unsigned sector;
	time_t created;
};

static void rjobs_clear(struct station *s)
{
	for (size_t i = 0; i < s->n_rjobs; i++) {
		free(s->rjobs[i].id);
		free(s->rjobs[i].serial);
		free(s->rjobs[i].wwn);
		free(s->rjobs[i].device);
	}
	free(s->rjobs);
	s->rjobs = NULL;
	s->n_rjobs = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The jobs in the state directory still marked running (interrupted, or
 * running here), read again at most every few seconds or when a job of
 * ours started or ended. A job that ended never runs again: its file is
 * not read twice. */
static void rjobs_refresh(struct station *s)
{
	_cleanup_free_ char *dirpath = job_store_path(&s->store, "x");
	char **ended = NULL;
	size_t n_ended = 0;
	DIR *dir;
	struct dirent *de;

	if (!s->rjobs_dirty && now_ns() - s->rjobs_ns < 3000000000ull)
		return;
	if (!dirpath)
		return;
	dirpath[strlen(dirpath) - strlen("/x.json")] = '\0';
	dir = opendir(dirpath);
	if (!dir)
		return;
	rjobs_clear(s);
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		_cleanup_free_ char *id = NULL, *path = NULL, *text = NULL;
		struct job *j = NULL;
		struct rjob *nv;

		/* job files are ID.json (an ID may hold dots: an image file's
		 * name); the case files beside them do not load as jobs */
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") || !(id = strndup(de->d_name, n - 5)))
			continue;
		if (s->n_ended && bsearch(&id, s->ended, s->n_ended, sizeof(*s->ended), cmp_str))
			continue;
		if (asprintf(&path, "%s/%s", dirpath, de->d_name) < 0 || read_text_file(path, &text) < 0)
			continue;
		if (strstr(text, "\"running\"") && job_store_load(&s->store, id, &j) < 0)
			j = NULL; /* not a job: a case file */
		if (!j || j->state != JOB_RUNNING) {
			/* ended, or no job: never read again (job files are
			 * written whole, by rename) */
			char **ne = realloc(ended, (n_ended + 1) * sizeof(*ne));

			job_free(j);
			if (ne) {
				ended = ne;
				ended[n_ended++] = TAKE_PTR(id);
			}
			continue;
		}
		nv = realloc(s->rjobs, (s->n_rjobs + 1) * sizeof(*nv));
		if (nv) {
			s->rjobs = nv;
			s->rjobs[s->n_rjobs++] = (struct rjob){ TAKE_PTR(id), j->serial ? strdup(j->serial) : NULL,
								 j->wwn ? strdup(j->wwn) : NULL,
								 j->device ? strdup(j->device) : NULL, j->size, j->sector,
								 j->created };
		}
		job_free(j);
	}
	closedir(dir);
	if (n_ended) {
		char **all = realloc(s->ended, (s->n_ended + n_ended) * sizeof(*all));

		if (all) {
			memcpy(all + s->n_ended, ended, n_ended * sizeof(*all));
			s->ended = all;
			s->n_ended += n_ended;
			qsort(s->ended, s->n_ended, sizeof(*s->ended), cmp_str);
		} else {
			for (size_t i = 0; i < n_ended; i++)
				free(ended[i]);
		}
	}
	free(ended);
	s->rjobs_ns = now_ns();
	s->rjobs_dirty = false;
}

/* The newest interrupted job of this disk: same serial/WWN and size (and
 * path, for a disk with no identity of its own), not running here. */
static char *find_interrupted(struct station *s, const struct disk *d)
{
	const struct rjob *best = NULL;

	rjobs_refresh(s);
	for (size_t i = 0; i < s->n_rjobs; i++) {
		const struct rjob *j = &s->rjobs[i];

		if (!job_busy(s, j->id) && same_str(j->serial, d->serial) && same_str(j->wwn, d->wwn) &&
		    j->sector && d->size / j->sector * j->sector == j->size &&
		    (disk_has_identity(d) || same_str(j->device, d->devpath)) && (!best || j->created >= best->created))
			best = j;
	}
	return best ? strdup(best->id) : NULL;
}

static const char *asset_id(const struct bay *b)
{
	return ledger_asset_value(&b->asset, LEDGER_F_ASSET_ID);
}

/* Who the disk is, what the ledger and the policy say, and whether it may
 * be started; *code gets a stable word for why not. */
static void evaluate(struct station *s, struct bay *b)
{
	const struct disk *d = &b->disk;
	struct flow_error ferr = { "" };
	_cleanup_free_ char *why = NULL;
	const char *status, *cls;
	uint64_t class_n = 0;
	int r;

	b->eligible = b->auto_ok = b->needs_bind = false;
	b->method = NULL;
	b->note[0] = '\0';
	b->code = "ready";
	free(b->resume_id);
	b->resume_id = NULL;
	if (!b->bound) {
		ledger_asset_clear(&b->asset);
		b->matched = b->by_identity = false;
	}
	if (!b->caps_read)
		read_caps(b);
	/* the ledger first: the row shows the asset even when it cannot start */
	if (disk_has_identity(d)) {
		r = ledger_asset_find_identity(s->ledger, d->serial, d->wwn, &b->asset);
		if (r == 0) {
			b->matched = b->by_identity = true;
			r = ledger_identity_check(&b->asset, d->serial, d->wwn, &why);
			if (r != LEDGER_IDENTITY_MATCH) {
				snprintf(b->note, sizeof(b->note), _("identity does not match the ledger: %s"),
					 why ? why : "?");
				b->code = "mismatch";
			}
		} else if (r == -ENOENT) {
			snprintf(b->note, sizeof(b->note), _("not in the ledger (serial %s)"),
				 d->serial ? d->serial : d->wwn);
			b->code = "not-in-ledger";
		} else {
			snprintf(b->note, sizeof(b->note), _("the ledger cannot be read: %s"),
				 r == -EBUSY ? _("locked by another program") : strerror(-r));
			b->code = "ledger-error";
		}
	} else if (!b->bound) {
		b->needs_bind = identityless(d);
		if (b->needs_bind) {
			snprintf(b->note, sizeof(b->note), _("no serial of its own: scan its asset label to bind it"));
			b->code = "scan-asset";
		} else {
			snprintf(b->note, sizeof(b->note), _("reports no serial or WWN: it cannot be matched to the ledger"));
			b->code = "no-identity";
		}
	}
	b->resume_id = find_interrupted(s, d);

	/* then what forbids a start, the worst first */
	if (still_stopping(s, b)) {
		/* pulled and put back before its job had stopped: wait for it */
		snprintf(b->note, sizeof(b->note), _("its interrupted job is still stopping"));
		b->code = "stopping";
		return;
	}
	if (d->safety != SAFETY_OK) {
		snprintf(b->note, sizeof(b->note), "%s: %s", disk_safety_to_string(d->safety),
			 d->safety_text ? d->safety_text : d->safety_reason ? d->safety_reason : "?");
		b->code = disk_safety_to_string(d->safety);
		return;
	}
	if (d->readonly) {
		snprintf(b->note, sizeof(b->note), _("read-only"));
		b->code = "read-only";
		return;
	}
	if (d->size == 0) {
		snprintf(b->note, sizeof(b->note), _("no medium"));
		b->code = "empty";
		return;
	}
	if (b->needs_bind) {
		b->eligible = true; /* the confirmation binds it, then it is checked */
		return;
	}
	if (!b->matched || b->note[0])
		return;
	cls = ledger_asset_value(&b->asset, LEDGER_F_IMPORTANCE);
	if (!cls || parse_u64(cls, &class_n) < 0 ||
	    flow_policy_method(s->flow.policy, (int)class_n, b->have_caps ? &b->caps : NULL, s->o.overwrite, &b->method,
			       &ferr) < 0) {
		snprintf(b->note, sizeof(b->note), _("policy: %s"),
			 ferr.msg[0] ? flow_error_text(&ferr) : _("the asset has no importance class"));
		b->code = "policy";
		b->method = NULL;
		return;
	}
	r = flow_check_before_wipe(&s->flow, asset_id(b), b->method, d->serial, d->wwn, identityless(d), &ferr);
	if (r < 0) {
		snprintf(b->note, sizeof(b->note), "%.*s", (int)sizeof(b->note) - 1, flow_error_text(&ferr));
		b->code = "refused";
		return;
	}
	b->eligible = true;
	status = ledger_asset_value(&b->asset, LEDGER_F_STATUS);
	b->auto_ok = b->by_identity && status && streq(status, "awaiting-erasure");
	if (!b->auto_ok && s->o.auto_mode) {
		snprintf(b->note, sizeof(b->note), _("--auto starts only assets awaiting erasure (this one is %s)"),
			 status ? status : "?");
		b->code = "not-awaiting";
	}
}

static int bay_add(struct station *s, struct disk *d, struct bay **ret)
{
	struct bay *b = calloc(1, sizeof(*b)), **nv;

	if (!b)
		return -ENOMEM;
	nv = realloc(s->bays, (s->n_bays + 1) * sizeof(*nv));
	if (!nv) {
		free(b);
		return -ENOMEM;
	}
	s->bays = nv;
	b->st = s;
	b->no = ++s->next_no;
	b->disk = *d;
	memset(d, 0, sizeof(*d));
	b->present = true;
	b->arrived_live = s->ready;
	b->tgt.fd = -1;
	s->bays[s->n_bays++] = b;
	*ret = b;
	return 0;
}

/* A bay of a disk pulled mid-wipe waits for its disk: when a disk with its
 * identity arrives, the new bay (which offers the resume) replaces it. */
static void replace_pulled(struct station *s, const struct bay *nb)
{
	for (size_t i = 0; i < s->n_bays; i++) {
		struct bay *b = s->bays[i];

		if (b != nb && !b->present && !b->thread_live && same_disk(&b->disk, &nb->disk)) {
			bay_remove(s, b);
			i--;
		}
	}
}

static void auto_start(struct station *s, struct bay *b);

/* What this station saw, for the ledger's inspection (点検): it lists the
 * disks no entry names. Not part of the chain; a failure changes nothing
 * here (the bay's own check of the ledger speaks). */
static void record_seen(struct station *s, const struct disk *d)
{
	struct ledger_detected det = { .model = d->model, .serial = d->serial, .wwn = d->wwn, .capacity = d->size };
	char host[256] = "";

	if (!s->ledger || !disk_has_identity(d))
		return;
	if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
		snprintf(host, sizeof(host), "unknown");
	(void)ledger_seen_record(s->ledger, host, &det);
}

static void disk_arrived(struct station *s, struct disk *d)
{
	struct bay *b;

	if (bay_add(s, d, &b) < 0) {
		disk_release(d);
		return;
	}
	replace_pulled(s, b);
	record_seen(s, &b->disk);
	evaluate(s, b);
	station_emit(s, STATION_EV_ADDED, b, b->code, "%s", b->note);
	if (b->arrived_live || s->o.auto_present)
		auto_start(s, b);
}

static int probe_name(const struct station *s, const char *name, struct disk *ret)
{
	struct disk_scan o = { .sysfs_root = s->o.sysfs_root };
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "/dev/%s", name) < 0)
		return -ENOMEM;
	r = disk_probe(s->o.sysfs_root ? &o : NULL, path, ret);
	if (r < 0)
		return r;
	/* an empty loop device is no disk */
	if (ret->transport == TRANSPORT_LOOP && (!ret->backing_file || ret->size == 0)) {
		disk_release(ret);
		return -ENOMEDIUM;
	}
	return 0;
}

int station_scan(struct station *s)
{
	struct disk_scan o = { .sysfs_root = s->o.sysfs_root };
	struct disk *v = NULL;
	size_t n = 0;
	int r;

	r = disk_scan(s->o.sysfs_root ? &o : NULL, &v, &n);
	if (r < 0)
		station_emit(s, STATION_EV_ERROR, NULL, "scan", _("the disks could not all be listed: %s"), strerror(-r));
	for (size_t i = 0; i < n; i++)
		disk_arrived(s, &v[i]);
	free(v);
	for (size_t i = 0; i < s->o.n_images; i++) {
		struct disk d;

		r = disk_probe(NULL, s->o.images[i], &d);
		if (r < 0) {
			station_emit(s, STATION_EV_ERROR, NULL, "image", "%s: %s", s->o.images[i], strerror(-r));
			continue;
		}
		disk_arrived(s, &d);
	}
	s->ready = true;
	station_emit(s, STATION_EV_READY, NULL, NULL, NULL);
	return 0;
}

/* ---- the monitor ---- */

static void on_remove(struct station *s, const char *name)
{
	struct bay *b = bay_find_name(s, name);

	if (!b)
		return;
	b->present = false;
	if (b->state == BAY_RUNNING) {
		/* the engine stops at once, its last checkpoint kept: resumable */
		atomic_store(&b->pulled, true);
		atomic_store(&b->stop, true);
		station_emit(s, STATION_EV_REMOVED, b, "pulled",
			     b->firmware ? _("%s was pulled out during a firmware erase") :
			     _("%s was pulled out mid-wipe: its job %s stops, resumable"), bay_label(b),
			     b->job ? b->job->id : "-");
		return;
	}
	station_emit(s, STATION_EV_REMOVED, b, "removed", _("%s was removed"), bay_label(b));
	/* its seal waits for the key, not for the disk */
	if (!b->seal_pending)
		bay_remove(s, b);
}

static void on_change(struct station *s, const char *name)
{
	struct bay *b = bay_find_name(s, name);
	struct disk d;
	bool was_eligible;
	char old_note[sizeof(b->note)];
	int r;

	if (b && b->state == BAY_RUNNING)
		return; /* our own job: the monitor learns nothing new */
	r = probe_name(s, name, &d);
	if (r < 0) {
		/* a loop device lost its file, a medium left its drive */
		if (b)
			on_remove(s, name);
		return;
	}
	if (!b) {
		disk_arrived(s, &d);
		return;
	}
	if (!same_disk(&b->disk, &d)) {
		on_remove(s, name);
		disk_arrived(s, &d);
		return;
	}
	/* the same disk: its safety may have changed */
	disk_release(&b->disk);
	b->disk = d;
	if (b->state != BAY_IDLE)
		return;
	was_eligible = b->eligible;
	memcpy(old_note, b->note, sizeof(old_note));
	evaluate(s, b);
	if (was_eligible != b->eligible || strcmp(old_note, b->note))
		station_emit(s, STATION_EV_CHANGED, b, b->code, "%s", b->note);
}

void station_monitor_dispatch(struct station *s)
{
	struct udev_device *dev;

	if (!s->mon)
		return;
	while ((dev = udev_monitor_receive_device(s->mon))) {
		const char *action = udev_device_get_action(dev);
		const char *sub = udev_device_get_subsystem(dev);
		const char *type = udev_device_get_devtype(dev);
		const char *name = udev_device_get_sysname(dev);

		/* the kernel source is not filtered by the socket: check here */
		if (action && sub && type && name && streq(sub, "block") && streq(type, "disk")) {
			if (streq(action, "remove"))
				on_remove(s, name);
			else if (streq(action, "add") || streq(action, "change")) {
				struct disk d;

				if (streq(action, "add") && !bay_find_name(s, name)) {
					if (probe_name(s, name, &d) == 0)
						disk_arrived(s, &d);
				} else {
					on_change(s, name);
				}
			}
		}
		udev_device_unref(dev);
	}
}

int station_monitor_fd(const struct station *s)
{
	return s->mon ? udev_monitor_get_fd(s->mon) : -1;
}

int station_wake_fd(const struct station *s)
{
	return s->wake_fd;
}

/* ---- confirmation ---- */

static bool same_text(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

int station_confirm(struct station *s, struct bay *b, const char *typed, char *msg, size_t len)
{
	_cleanup_free_ char *t = strdup(typed ? typed : "");
	_cleanup_free_ char *why = NULL;
	struct ledger_asset a = { 0 };
	int r;

	if (!t)
		return -ENOMEM;
	strstrip(t);
	if (!*t) {
		snprintf(msg, len, _("%s: nothing was typed: not confirmed"), bay_label(b));
		return -EPERM;
	}
	if (!b->present) {
		snprintf(msg, len, _("%s went away: not started, nothing written"), bay_label(b));
		return -ENODEV;
	}
	/* a serial as printed on the label, any case; or the asset ID */
	if ((b->disk.serial && same_text(t, b->disk.serial)) || (b->matched && asset_id(b) && streq(t, asset_id(b))))
		return 0;
	if (!b->needs_bind && !b->bound) {
		snprintf(msg, len, _("%s: '%s' is neither its serial nor its asset: not confirmed"), bay_label(b), t);
		return -EPERM;
	}
	/* a disk with no identity of its own takes the asset scanned, if the
	 * ledger holds no identity for that asset either */
	r = ledger_asset_get(s->ledger, t, &a);
	if (r < 0) {
		snprintf(msg, len, r == -ENOENT ? _("%s: no asset '%s' in the ledger: not confirmed")
						: _("%s: the ledger cannot be read for '%s': not confirmed"), bay_label(b), t);
		return -EPERM;
	}
	r = ledger_identity_check(&a, NULL, NULL, &why);
	if (r != LEDGER_IDENTITY_NONE_ON_RECORD) {
		snprintf(msg, len, _("%s: asset %s has a serial or WWN on record, and this disk reports none: not confirmed"),
			 bay_label(b), t);
		ledger_asset_clear(&a);
		return -EPERM;
	}
	ledger_asset_clear(&b->asset);
	b->asset = a;
	b->matched = b->bound = true;
	b->by_identity = false;
	evaluate(s, b);
	if (!b->eligible) {
		snprintf(msg, len, "%s: %s", bay_label(b), b->note);
		b->bound = false;
		evaluate(s, b);
		return -EPERM;
	}
	station_emit(s, STATION_EV_CHANGED, b, "bound", _("%s bound to asset %s"), bay_label(b), t);
	return 0;
}

/* ---- jobs ---- */

static int on_progress(const struct erase_progress *p, void *userdata)
{
	struct bay *b = userdata;

	pthread_mutex_lock(&b->st->lock);
	b->last = *p;
	b->have_progress = true;
	pthread_mutex_unlock(&b->st->lock);
	return atomic_load(&b->stop) ? -1 : 0;
}

static bool bay_gone(int fd, void *userdata)
{
	struct bay *b = userdata;

	return atomic_load(&b->pulled) || erase_target_gone(fd);
}

static void on_fw_progress(void *userdata, const char *phase, double fraction, double eta_s)
{
	struct bay *b = userdata;

	pthread_mutex_lock(&b->st->lock);
	b->fw_phase = phase;
	b->fw_fraction = fraction;
	b->fw_eta = eta_s;
	b->have_progress = true;
	pthread_mutex_unlock(&b->st->lock);
}

static void *job_thread(void *arg)
{
	struct bay *b = arg;
	struct station *s = b->st;
	uint64_t one = 1;
	int r;

	if (b->firmware) {
		/* the drive erases itself: one command, then the sampled read-back */
		struct drive_erase_opts o = { .sample_percent = s->o.sample_percent, .level = DRIVE_LEVEL_PURGE };
		struct flow_error ferr = { "" };

		r = flow_firmware_wipe(&s->flow, &b->disk, b->fw_method, &o, on_fw_progress, b, &b->fw, &ferr);
	} else {
		const struct job_tuning *tu = &b->job->tuning;
		struct erase_opts eo = {
			.block_size = (size_t)tu->block_size, .depth = tu->depth, .max_rate = tu->max_rate,
			.io = tu->sync_io ? &erase_io_sync : NULL, .store = &s->store, .progress = on_progress,
			.gone = bay_gone, .userdata = b,
		};

		r = erase_run(b->job, b->tgt.fd, &eo);
	}
	pthread_mutex_lock(&s->lock);
	b->result = r;
	b->done = true;
	pthread_mutex_unlock(&s->lock);
	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* the main loop also looks every second */
	}
	return NULL;
}

/* The jobs interrupted in this session and not resumed since: the exit
 * status says whether any is left. */
static void remember_interrupted(struct station *s, const char *id)
{
	char **nv = realloc(s->interrupted, (s->n_interrupted + 1) * sizeof(*nv));

	if (!nv)
		return;
	s->interrupted = nv;
	if ((nv[s->n_interrupted] = strdup(id)))
		s->n_interrupted++;
}

static void forget_interrupted(struct station *s, const char *id)
{
	for (size_t i = 0; i < s->n_interrupted; i++)
		if (streq(s->interrupted[i], id)) {
			free(s->interrupted[i]);
			s->interrupted[i] = s->interrupted[--s->n_interrupted];
			return;
		}
}

static int refuse(struct station *s, struct bay *b, const char *code, const char *fmt, ...) _printf_(4, 5);
static int refuse(struct station *s, struct bay *b, const char *code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	station_emit(s, STATION_EV_REFUSED, b, code, _("%s: %s: not started, nothing written"), bay_label(b), msg);
	return -EPERM;
}

/* The overwrite's job and its target: a new job on the opened disk, or
 * the interrupted one proved to be on this medium (erase_job_prove: the
 * identity and the content fingerprint) before anything is written. */
static int open_job(struct station *s, struct bay *b, bool resume, struct job **ret_job)
{
	_cleanup_free_ char *why = NULL;
	struct job *j = NULL;
	int r;

	if (resume) {
		r = job_store_load(&s->store, b->resume_id, &j);
		if (r < 0)
			return refuse(s, b, "no-job", _("job %s cannot be loaded: %s"), b->resume_id, strerror(-r));
		if (j->state != JOB_RUNNING) {
			job_free(j);
			return refuse(s, b, "no-job", _("job %s has already ended"), b->resume_id);
		}
	}
	/* safety again and the one open (O_EXCL, or the image's lock) */
	r = erase_target_open(NULL, &b->disk, &b->tgt, &why);
	if (r < 0) {
		job_free(j);
		if (r == -EBUSY || r == -EAGAIN)
			return refuse(s, b, "unsafe", _("no longer safe to write (%s)"), why ? why : strerror(-r));
		return refuse(s, b, "open", _("it cannot be opened for writing: %s"), strerror(-r));
	}
	if (resume) {
		r = erase_job_prove(j, &b->disk, &b->tgt, &why);
		if (r < 0) {
			erase_target_close(&b->tgt);
			job_free(j);
			return refuse(s, b, "not-the-medium", _("it is not the medium job %s started on: %s"),
				      b->resume_id, why ? why : strerror(-r));
		}
	} else {
		r = erase_job_start(erase_method_find(b->method), s->o.verify, s->o.sample_percent, &b->disk, &b->tgt,
				    &j);
		if (r < 0) {
			erase_target_close(&b->tgt);
			return refuse(s, b, "job", _("the job cannot be made: %s"), strerror(-r));
		}
		j->tuning = s->o.tuning;
		if (job_set(&j->asset, asset_id(b)) < 0 || job_set(&j->ledger, s->o.db_path) < 0) {
			erase_target_close(&b->tgt);
			job_free(j);
			return refuse(s, b, "job", "%s", strerror(ENOMEM));
		}
	}
	*ret_job = j;
	return 0;
}

int station_start(struct station *s, struct bay *b, bool resume)
{
	struct disk now;
	struct job *j = NULL;
	int r;

	if (b->state == BAY_RUNNING)
		return refuse(s, b, "running", _("it is running already"));
	if (!b->present)
		return refuse(s, b, "gone", _("the disk went away"));
	if (!s->key)
		return refuse(s, b, "key-locked", _("the technician's key is locked: unlock it first"));
	/* described again: the disk in the bay now, not the one listed */
	r = b->disk.transport == TRANSPORT_FILE ? disk_probe(NULL, b->disk.devpath, &now)
						: probe_name(s, b->disk.name, &now);
	if (r < 0)
		return refuse(s, b, "gone", _("the disk went away (%s)"), strerror(-r));
	if (!same_disk(&b->disk, &now)) {
		disk_release(&now);
		return refuse(s, b, "changed", _("another disk is in the bay now"));
	}
	disk_release(&b->disk);
	b->disk = now;
	b->state = BAY_IDLE;
	evaluate(s, b);
	if (!b->eligible || b->needs_bind)
		return refuse(s, b, b->code, "%s", b->needs_bind ? _("not bound to an asset") : b->note);
	if (resume && !b->resume_id)
		return refuse(s, b, "no-job", _("it has no interrupted job"));
	r = ledger_writable(s->ledger);
	if (r < 0)
		return r == -EBUSY ? refuse(s, b, "ledger-locked", _("the ledger is locked by another program"))
				   : refuse(s, b, "ledger-error", _("the ledger cannot record the outcome: %s"), strerror(-r));
	flow_firmware_release(&b->fw);
	b->firmware = !resume && !erase_method_find(b->method);
	if (b->firmware) {
		_cleanup_free_ char *reason = NULL;

		/* the drive layer opens the drive itself, exclusively */
		r = disk_check_safety(NULL, &b->disk, &reason);
		if (r != SAFETY_OK)
			return refuse(s, b, "unsafe", _("no longer safe to write (%s)"),
				      reason ? reason : r < 0 ? strerror(-r) : disk_safety_to_string(r));
		b->fw_method = drive_method_from_string(b->method);
		b->fw_phase = NULL;
	} else {
		r = open_job(s, b, resume, &j);
		if (r < 0)
			return r;
	}
	job_free(b->job);
	b->job = j;
	free(b->job_asset);
	b->job_asset = strdup(asset_id(b));
	if (resume)
		forget_interrupted(s, j->id);
	b->resumed = resume;
	b->done = false;
	b->result = 0;
	b->have_progress = false;
	b->passed = b->sealed = b->seal_pending = false;
	b->outcome[0] = '\0';
	b->selected = false;
	atomic_store(&b->stop, false);
	atomic_store(&b->pulled, false);
	b->state = BAY_RUNNING;
	if (pthread_create(&b->thread, NULL, job_thread, b) != 0) {
		erase_target_close(&b->tgt);
		b->state = BAY_IDLE;
		return refuse(s, b, "thread", _("no thread for it"));
	}
	b->thread_live = true;
	s->rjobs_dirty = true;
	if (b->firmware)
		station_emit(s, STATION_EV_STARTED, b, "started", _("%s: firmware erase %s started (asset %s)"),
			     bay_label(b), b->method, b->job_asset ? b->job_asset : "?");
	else
		station_emit(s, STATION_EV_STARTED, b, resume ? "resumed" : "started",
			     resume ? _("%s: job %s resumed (%s, asset %s)") : _("%s: job %s started (%s, asset %s)"),
			     bay_label(b), j->id, j->method, b->job_asset ? b->job_asset : "?");
	return 0;
}

static void auto_start(struct station *s, struct bay *b)
{
	if (!s->o.auto_mode || b->state != BAY_IDLE)
		return;
	if (!b->auto_ok) {
		/* unknown, mismatched, mounted, held: never touched */
		station_emit(s, STATION_EV_REFUSED, b, "untouched", _("%s: left untouched: %s"), bay_label(b),
			     b->note[0] ? b->note : _("not eligible"));
		return;
	}
	if (!s->key) {
		b->auto_waiting = true;
		station_emit(s, STATION_EV_REFUSED, b, "key-locked", _("%s: waits for the key to be unlocked"),
			     bay_label(b));
		return;
	}
	b->auto_waiting = false;
	station_start(s, b, b->resume_id != NULL);
}

void station_auto_waiting(struct station *s)
{
	for (size_t i = 0; i < s->n_bays; i++)
		if (s->bays[i]->auto_waiting && s->bays[i]->present)
			auto_start(s, s->bays[i]);
}

bool station_done(const struct station *s)
{
	if (!s->ready || !s->unlocks)
		return false;
	for (size_t i = 0; i < s->n_bays; i++) {
		const struct bay *b = s->bays[i];

		if (b->thread_live || b->state == BAY_RUNNING || (b->auto_waiting && b->present) || b->seal_pending)
			return false;
	}
	return true;
}

void station_stop(struct station *s, struct bay *b)
{
	if (b->state != BAY_RUNNING)
		return;
	if (b->firmware) {
		station_emit(s, STATION_EV_REFUSED, b, "firmware",
			     _("%s: a firmware erase runs in the drive and cannot be stopped"), bay_label(b));
		return;
	}
	atomic_store(&b->stop, true);
	station_emit(s, STATION_EV_CHANGED, b, "stopping", _("%s: stopping at the next checkpoint"), bay_label(b));
}

size_t station_running(const struct station *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_bays; i++)
		n += s->bays[i]->thread_live;
	return n;
}

/* Seal a job that ended (failed ones too: a failure is recorded, never
 * dropped) with the key unlocked for the session. */
void station_seal(struct station *s, struct bay *b)
{
	struct flow_error ferr = { "" };
	char *path = NULL;
	uint64_t t0;
	int r;

	if (!s->key) {
		b->seal_pending = true;
		station_emit(s, STATION_EV_CHANGED, b, "seal-pending",
			     _("%s: the job is done; it is sealed once the key is unlocked"), bay_label(b));
		return;
	}
	b->seal_pending = false;
	t0 = now_ns();
	r = flow_seal(&s->flow, station_job_id(b), b->job_asset, s->key, &path, &ferr);
	s->last_seal_ns = now_ns() - t0;
	if (r < 0) {
		s->n_unsealed++;
		station_emit(s, STATION_EV_ERROR, b, "seal-failed", _("%s: job %s not sealed: %s"), bay_label(b),
			     station_job_id(b), flow_error_text(&ferr));
		return;
	}
	b->sealed = true;
	s->n_sealed++;
	s->seal_ns += s->last_seal_ns;
	free(b->case_path);
	b->case_path = path;
	/* the row shows what the ledger says now: erased */
	if (b->matched) {
		struct ledger_asset a = { 0 };

		if (ledger_asset_get(s->ledger, b->job_asset, &a) == 0) {
			ledger_asset_clear(&b->asset);
			b->asset = a;
		}
	}
	station_label(s, b);
	station_emit(s, STATION_EV_SEALED, b, "sealed", _("%s: job %s sealed by %s for asset %s"), bay_label(b),
		     station_job_id(b), trust_seckey_name(s->key), b->job_asset);
	/* not witnessed: the record stands, sealed; where the policy asks for a
	 * witness, approval refuses it until `wipecert witness CASE` */
	if (!s->o.witness)
		return;
	if (flow_witness(&s->flow, station_job_id(b), s->o.witness, NULL, &ferr) < 0)
		station_emit(s, STATION_EV_ERROR, b, "witness-failed", _("%s: job %s not witnessed: %s"), bay_label(b),
			     station_job_id(b), ferr.msg);
	else
		station_emit(s, STATION_EV_CHANGED, b, "witnessed", _("%s: job %s witnessed by %s"), bay_label(b),
			     station_job_id(b), trust_seckey_name(s->o.witness));
}

/* A pulled disk put back before its job had stopped waited in a new bay:
 * now that the job has stopped, that bay offers (or, --auto, runs) the
 * resume, and the old row goes. */
static void back_already(struct station *s, struct bay *old)
{
	for (size_t i = 0; i < s->n_bays; i++) {
		struct bay *b = s->bays[i];

		if (b == old || !b->present || b->state != BAY_IDLE || !same_disk(&b->disk, &old->disk))
			continue;
		evaluate(s, b);
		station_emit(s, STATION_EV_CHANGED, b, b->code, "%s", b->note);
		replace_pulled(s, b);
		if (b->arrived_live || s->o.auto_present)
			auto_start(s, b);
		return;
	}
}

/* A firmware erase ended: refused (nothing touched: no record, the bay is
 * as before), cut off by a pulled drive (not sealed: start it again), or
 * ran to an answer, PASS or FAIL, which is sealed. */
static void finish_firmware(struct station *s, struct bay *b)
{
	const struct drive_erase_result *res = &b->fw.res;

	if (res->refused || (b->result < 0 && !b->fw.record_path)) {
		b->state = BAY_IDLE;
		station_emit(s, STATION_EV_REFUSED, b, "firmware-refused", _("%s: %s refused: %s"), bay_label(b),
			     b->method, res->reason[0] ? res->reason : strerror(b->result < 0 ? -b->result : EIO));
		flow_firmware_release(&b->fw);
		return;
	}
	if (atomic_load(&b->pulled) && (res->error || res->verdict != DRIVE_VERDICT_PASSED)) {
		/* not the drive's failure: it was taken away; not sealed */
		b->state = BAY_INTERRUPTED;
		snprintf(b->outcome, sizeof(b->outcome), _("pulled out during a firmware erase: start it again"));
		remember_interrupted(s, b->fw.job_id);
		station_emit(s, STATION_EV_FINISHED, b, "interrupted", _("%s: %s %s"), bay_label(b), b->method,
			     b->outcome);
		return;
	}
	b->state = BAY_FINISHED;
	b->passed = !res->error && res->verdict == DRIVE_VERDICT_PASSED;
	if (b->passed) {
		s->n_passed++;
		snprintf(b->outcome, sizeof(b->outcome), "PASS");
	} else {
		s->n_failed++;
		snprintf(b->outcome, sizeof(b->outcome), "FAIL: %.200s (verification %s)",
			 res->reason[0] ? res->reason : "-", drive_verdict_to_string(res->verdict));
	}
	station_emit(s, STATION_EV_FINISHED, b, b->passed ? "passed" : "failed", _("%s: job %s: %s"), bay_label(b),
		     b->fw.job_id, b->outcome);
	station_seal(s, b);
}

static void finish(struct station *s, struct bay *b)
{
	struct job *j = b->job;
	int r = b->result;

	pthread_join(b->thread, NULL);
	b->thread_live = false;
	s->rjobs_dirty = true;
	if (b->firmware) {
		finish_firmware(s, b);
		return;
	}
	/* the descriptor's close is part of the wipe: its error counts */
	if (erase_target_close(&b->tgt) < 0 && r == 0 && j->state == JOB_SUCCEEDED) {
		job_fail(j, "closing the device failed");
		job_store_save(&s->store, j);
	}
	if (r < 0) {
		b->state = BAY_INTERRUPTED;
		free(b->resume_id);
		b->resume_id = strdup(j->id);
		if (r == -ENODEV || atomic_load(&b->pulled))
			snprintf(b->outcome, sizeof(b->outcome), _("pulled out mid-wipe: interrupted, resumable"));
		else if (r == -ECANCELED)
			snprintf(b->outcome, sizeof(b->outcome), _("stopped: interrupted, resumable"));
		else
			snprintf(b->outcome, sizeof(b->outcome), _("could not go on (%s): interrupted, resumable"),
				 strerror(-r));
		remember_interrupted(s, j->id);
		station_emit(s, STATION_EV_FINISHED, b, "interrupted", _("%s: job %s %s"), bay_label(b), j->id,
			     b->outcome);
		if (!b->present)
			back_already(s, b);
		return;
	}
	b->state = BAY_FINISHED;
	b->passed = j->state == JOB_SUCCEEDED;
	if (b->passed)
		s->n_passed++;
	else
		s->n_failed++;
	if (job_result(j) == JOB_RESULT_VERIFIED)
		snprintf(b->outcome, sizeof(b->outcome), "PASS");
	else if (b->passed)
		snprintf(b->outcome, sizeof(b->outcome), _("PASS, not verified (--verify off)"));
	else
		snprintf(b->outcome, sizeof(b->outcome), "FAIL: %s", j->failure ? j->failure : "?");
	station_emit(s, STATION_EV_FINISHED, b, b->passed ? "passed" : "failed", _("%s: job %s: %s"), bay_label(b),
		     j->id, b->outcome);
	station_seal(s, b);
}

void station_reap(struct station *s)
{
	uint64_t v;

	if (read(s->wake_fd, &v, sizeof(v)) < 0) {
		/* nothing to drain */
	}
	/* finish() may drop rows: look again from the top after each */
	for (size_t i = 0; i < s->n_bays; i++) {
		struct bay *b = s->bays[i];
		bool done;

		if (!b->thread_live)
			continue;
		pthread_mutex_lock(&s->lock);
		done = b->done;
		pthread_mutex_unlock(&s->lock);
		if (done) {
			finish(s, b);
			i = (size_t)-1;
		}
	}
	/* a pulled disk's bay stays until its disk comes back; a finished
	 * one whose disk left goes */
	for (size_t i = 0; i < s->n_bays; i++) {
		struct bay *b = s->bays[i];

		if (!b->present && !b->thread_live && b->state == BAY_FINISHED && !b->seal_pending) {
			bay_remove(s, b);
			i--;
		}
	}
}

void station_stop_all(struct station *s)
{
	for (size_t i = 0; i < s->n_bays; i++)
		if (s->bays[i]->state == BAY_RUNNING)
			atomic_store(&s->bays[i]->stop, true);
	while (station_running(s) > 0) {
		struct pollfd pfd = { s->wake_fd, POLLIN, 0 };

		poll(&pfd, 1, 200);
		station_reap(s);
	}
}

void station_tick(struct station *s)
{
	uint64_t now = now_ns();

	for (size_t i = 0; i < s->n_bays; i++) {
		struct bay *b = s->bays[i];

		if (b->state == BAY_RUNNING && b->have_progress && now - b->last_emit_ns >= 1000000000ull) {
			b->last_emit_ns = now;
			station_emit(s, STATION_EV_PROGRESS, b, NULL, NULL);
		}
	}
	if (s->key && s->o.lock_after_s && now - s->last_activity_ns >= (uint64_t)s->o.lock_after_s * 1000000000ull)
		station_lock(s);
	/* a mount or a holder makes no uevent on the disk: look again */
	if (now - s->last_review_ns >= 5000000000ull) {
		s->last_review_ns = now;
		for (size_t i = 0; i < s->n_bays; i++) {
			struct bay *b = s->bays[i];

			if (b->present && b->state == BAY_IDLE && b->disk.transport != TRANSPORT_FILE && b->disk.name)
				on_change(s, b->disk.name);
		}
	}
}

void station_summary(const struct station *s, char *buf, size_t len)
{
	snprintf(buf, len, _("station: %u passed, %u failed, %zu interrupted (resumable), %u not sealed; "
			     "%u sealed, %.1f ms a seal"), s->n_passed, s->n_failed, s->n_interrupted, s->n_unsealed,
		 s->n_sealed, s->n_sealed ? (double)s->seal_ns / s->n_sealed / 1e6 : 0.0);
}

int station_signalfd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* before any job thread exists: they inherit the mask */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* ---- setup ---- */

static void station_machine(struct station *s);

int station_init(struct station *s, const struct station_opts *o, const struct flow_ctx *flow, char *err,
		 size_t errlen)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->wake_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	if (!s->o.sample_percent)
		s->o.sample_percent = 10;
	s->flow = *flow;
	s->ledger = flow->ledger;
	s->trust = flow->trust;
	if (!s->ledger || !s->trust) {
		snprintf(err, errlen, "%s", _("the station needs the ledger and the trust roster"));
		return -EINVAL;
	}
	ledger_set_busy_timeout(s->ledger, o->ledger_busy_ms ? o->ledger_busy_ms : 2000);
	r = job_store_open_dir(flow->state_dir, &s->store);
	if (r < 0) {
		snprintf(err, errlen, _("the state directory cannot be used: %s"), strerror(-r));
		return r;
	}
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-r));
		return r;
	}
	r = station_monitor_open(s);
	if (r < 0) {
		snprintf(err, errlen, _("the disk monitor cannot start: %s"), strerror(-r));
		return r;
	}
	r = station_key_peek(s);
	if (r < 0) {
		snprintf(err, errlen, _("%s: cannot read the key: %s"), o->key_path, _(trust_strerror(r)));
		return r;
	}
	s->last_activity_ns = now_ns();
	s->last_review_ns = now_ns();
	s->rjobs_dirty = true;
	station_machine(s);
	return 0;
}

/* The machine the station runs on (DMI): on a stick booted in a leased PC
 * that is the PC being returned, and its wipe records carry the same. */
static void station_machine(struct station *s)
{
	json_t *o = flow_station_json(s->flow.dmi_dir);
	const char *vendor = json_string_value(json_object_get(o, "vendor"));
	const char *product = json_string_value(json_object_get(o, "product"));
	const char *serial = json_string_value(json_object_get(o, "serial"));
	const char *tag = json_string_value(json_object_get(o, "asset_tag"));

	s->machine_json = o;
	if (asprintf(&s->machine, _("%s %s, serial %s, asset tag %s"), vendor ?: "?", product ?: "?", serial ?: "-",
		     tag ?: "-") < 0)
		s->machine = NULL;
}

void station_release(struct station *s)
{
	for (size_t i = 0; i < s->n_bays; i++)
		bay_free(s->bays[i]);
	free(s->bays);
	s->bays = NULL;
	s->n_bays = 0;
	station_lock_quiet(s);
	free(s->key_name);
	free(s->machine);
	json_decref(s->machine_json);
	for (size_t i = 0; i < s->n_interrupted; i++)
		free(s->interrupted[i]);
	free(s->interrupted);
	rjobs_clear(s);
	for (size_t i = 0; i < s->n_ended; i++)
		free(s->ended[i]);
	free(s->ended);
	if (s->mon)
		udev_monitor_unref(s->mon);
	if (s->udev)
		udev_unref(s->udev);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	job_store_close(&s->store);
	pthread_mutex_destroy(&s->lock);
}
