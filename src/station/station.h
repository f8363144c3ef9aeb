/* station.h - the wipe station: a front end beside cli/ for a technician
 * at a station with several bays (the screen) or a rack (headless NDJSON).
 *
 * Its job: keep one bay per attached disk, live as disks come and go
 * (libudev), tell which may be started and why not, run the wipes side by
 * side, one thread each, and seal every job that ends with a key unlocked
 * once for the session. It calls the same disk, erase, flow and trust
 * functions the commands call, never its own copy, and must never write
 * to a disk that detection, the ledger, the policy and the operator's
 * confirmation (or --auto's rule) did not all clear right before.
 *
 * The core (core.c, key.c, monitor.c) never prints; the two front ends
 * (screen.c, ndjson.c) turn its events into a screen or JSON lines.
 */
#ifndef WIPECERT_STATION_H
#define WIPECERT_STATION_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include "wipecert/cli.h"
#include "wipecert/disk.h"
#include "wipecert/drive.h"
#include "wipecert/erase.h"
#include "wipecert/flow.h"
#include "wipecert/job.h"
#include "wipecert/ledger.h"
#include "wipecert/policy.h"

enum bay_state {
	BAY_IDLE,        /* shown; startable when eligible */
	BAY_RUNNING,     /* a job thread runs */
	BAY_FINISHED,    /* the job ended: PASS or FAIL (sealed or awaiting the key) */
	BAY_INTERRUPTED, /* stopped, pulled out, or could not go on: resumable */
};

struct station;
struct rjob;
struct udev;
struct udev_monitor;

struct bay {
	struct station *st;
	unsigned no;             /* row number, stable for the session */
	struct disk disk;        /* as detected when it arrived (or changed) */
	bool present;            /* false once the disk left (kept while its row matters) */
	bool arrived_live;       /* attached after the station started (--auto) */
	/* the ledger and the policy */
	struct ledger_asset asset;
	bool matched;            /* the ledger has an asset for this disk */
	bool by_identity;        /* ... found by its serial/WWN (not bound by a scan) */
	bool needs_bind;         /* no identity of its own: a scan of the asset label binds it */
	bool bound;              /* ... and the operator's scan bound it */
	bool eligible;           /* may be started (after the confirmation) */
	bool auto_ok;            /* --auto may start it without a key press */
	bool auto_waiting;       /* --auto: waits for the key */
	const char *method;      /* the policy's pick, NULL when none fits */
	struct drive_caps caps;  /* read once when the disk arrives */
	bool have_caps, caps_read;
	char caps_text[96];      /* the firmware erase methods it offers, "" for none */
	char note[256];          /* why it cannot be started, or what it awaits */
	const char *code;        /* the same as a stable word: "not-in-ledger", "mounted", ... */
	char *resume_id;         /* an interrupted job of this disk, offered for resume */
	/* the job: an overwrite (job, tgt) or a firmware erase (fw); the
	 * progress fields are shared with the job thread under `lock` */
	struct job *job;
	struct erase_target tgt;
	bool firmware;
	enum drive_method fw_method;
	struct flow_firmware fw;
	const char *fw_phase;    /* "pre-sample", "erase", "verify" */
	double fw_fraction, fw_eta;
	pthread_t thread;
	bool thread_live;
	bool resumed;
	char *job_asset;         /* the asset the running (or last) job is for */
	atomic_bool stop;        /* asked to stop (key, SIGTERM, pulled) */
	atomic_bool pulled;      /* the disk left while its job ran */
	bool done;               /* set by the thread when erase_run returned */
	int result;              /* erase_run's */
	struct erase_progress last;
	bool have_progress;
	uint64_t last_emit_ns;   /* progress events, at most one a second */
	/* the outcome */
	enum bay_state state;
	bool passed;             /* the job succeeded: wiped and verified */
	bool sealed;
	bool seal_pending;       /* finished, the key is locked: sealed on unlock */
	char *case_path;         /* the wipe record */
	char *label_path;        /* the per-disk summary PDF, when asked for */
	char outcome[256];       /* "FAIL: write errors", "interrupted: ..." */
	/* the screen */
	bool selected;
};

/* What happened, for the front end. */
enum station_event_kind {
	STATION_EV_READY,        /* the initial scan is done */
	STATION_EV_ADDED,        /* a disk arrived (or was there at start) */
	STATION_EV_CHANGED,      /* its description, match or eligibility changed */
	STATION_EV_REMOVED,      /* a disk left (the bay is dropped unless it ran) */
	STATION_EV_STARTED,
	STATION_EV_PROGRESS,
	STATION_EV_FINISHED,     /* PASS, FAIL or interrupted */
	STATION_EV_SEALED,       /* the wipe record is signed and the ledger says so */
	STATION_EV_REFUSED,      /* a start (or an auto start) was refused: msg says why */
	STATION_EV_KEY,          /* the key was unlocked or locked */
	STATION_EV_ERROR,        /* something the operator must see: msg */
};

struct station_event {
	enum station_event_kind kind;
	struct bay *bay;         /* NULL for station-wide events */
	const char *msg;         /* one line, already translated for people */
	const char *code;        /* a stable word for machines: "not-in-ledger", ... */
};

/* requests in flight a disk, unless --queue-depth says otherwise */
#define STATION_DEFAULT_DEPTH 4u

struct station_opts {
	const char *key_path;
	const char *overwrite;   /* the overwrite where the policy accepts clear (default random) */
	enum erase_verify verify;
	unsigned sample_percent;
	struct job_tuning tuning; /* block size, depth, max rate, backend of new jobs (0: defaults) */
	bool auto_mode;
	bool auto_present;       /* --auto starts the disks there at the start too (the stick) */
	bool until_done;         /* end once nothing runs or waits (--until-done) */
	unsigned lock_after_s;   /* the key locks after this long without a key press; 0 never */
	const char *label_dir;   /* write a per-disk summary PDF here on finish */
	const char *db_path;     /* the ledger's path, written into each job */
	const char *font;
	const char *const *images; /* image files shown as bays too */
	size_t n_images;
	unsigned ledger_busy_ms; /* how long a ledger call waits for another program's lock */
	const char *sysfs_root;  /* tests */
	/* a witness (立会者) at the station signs each sealed record (NULL: none) */
	const struct trust_seckey *witness;
};

struct station {
	struct station_opts o;
	pthread_mutex_t lock;    /* the job fields of every bay */
	struct bay **bays;
	size_t n_bays;
	unsigned next_no;
	struct ledger *ledger;   /* these three are the caller's */
	const struct trust_store *trust;
	struct flow_ctx flow;
	struct job_store store;
	/* the technician's key: NULL while locked */
	struct trust_seckey *key;
	char *key_name;          /* from the key file, readable while locked */
	uint64_t last_activity_ns;
	uint64_t last_review_ns; /* idle bays looked at again (mounts make no uevent) */
	unsigned unlocks;        /* how often the passphrase was asked and was right */
	int wake_fd;             /* eventfd: a job thread ended */
	struct udev *udev;
	struct udev_monitor *mon;
	bool ready;
	char *machine;           /* "vendor product, serial S, asset tag T": the machine (DMI) */
	json_t *machine_json;    /* the same for --json */
	/* what the exit code tells */
	unsigned n_passed, n_failed, n_unsealed, n_sealed;
	uint64_t seal_ns;        /* time the seals took, all together */
	uint64_t last_seal_ns;   /* the last one */
	char **interrupted;      /* jobs interrupted and not resumed since */
	size_t n_interrupted;
	/* the state directory's jobs still marked running (core.c) */
	struct rjob *rjobs;
	size_t n_rjobs;
	char **ended;            /* job IDs seen ended, sorted: never read again */
	size_t n_ended;
	uint64_t rjobs_ns;
	bool rjobs_dirty;
	/* the front end */
	void (*emit)(struct station *s, const struct station_event *ev);
	void *front;
};

/* ---- core.c ---- */

void station_emit(struct station *s, enum station_event_kind kind, struct bay *b, const char *code,
		  const char *fmt, ...) _printf_(5, 6);

/* Set up with the ledger, trust roster and policy of flow (opened by the
 * caller, who closes them after station_release()): the job store, the
 * disk monitor, the key file's holder; err (one line) says what failed.
 * -errno. */
int station_init(struct station *s, const struct station_opts *o, const struct flow_ctx *flow, char *err,
		 size_t errlen);
void station_release(struct station *s);
/* Every disk attached now (and the image files asked for): one bay each. */
int station_scan(struct station *s);
/* The descriptors to wait on: the disk monitor and the job wake-up. */
int station_monitor_fd(const struct station *s);
int station_wake_fd(const struct station *s);
/* Read what the monitor has: disks arriving, changing, leaving. */
void station_monitor_dispatch(struct station *s);
/* Collect the jobs whose thread ended: outcome, seal, events. */
void station_reap(struct station *s);
/* Called about once a second: progress events, the key's idle lock. */
void station_tick(struct station *s);

/* Does what the operator typed or scanned (asset ID or serial) name this
 * bay's disk? For a disk with no identity of its own it binds the asset
 * named. 0, or -EPERM with msg saying why not. */
int station_confirm(struct station *s, struct bay *b, const char *typed, char *msg, size_t len);
/* Start (or, with resume, continue) the bay's job after the confirmation:
 * the disk is described again and must be the same one, safe, in the
 * ledger and the policy, the ledger writable and the key unlocked; then
 * it is opened and its thread starts. 0, or -errno with a REFUSED event
 * (nothing was written). */
int station_start(struct station *s, struct bay *b, bool resume);
/* Ask a running job to stop at its next checkpoint (resumable). */
void station_stop(struct station *s, struct bay *b);
/* Stop every running job and wait for them all (SIGTERM, quit). */
void station_stop_all(struct station *s);
size_t station_running(const struct station *s);
/* Forget a bay whose disk has left (the screen's dismiss). */
void station_drop(struct station *s, struct bay *b);
/* Seal the bay's finished job with the unlocked key (or mark it pending). */
void station_seal(struct station *s, struct bay *b);
/* --auto bays that waited for the key: start them now. */
void station_auto_waiting(struct station *s);
/* --until-done: the key was unlocked, the first scan is done, and no job
 * runs, waits for the key or waits for its seal. */
bool station_done(const struct station *s);

/* ---- monitor.c ---- */

/* The udev monitor on block disks: udevd's source when it runs (it adds
 * the properties), else the kernel's (uevents need no udevd). */
int station_monitor_open(struct station *s);

/* ---- label.c ---- */

/* With --labels DIR: the per-disk summary PDF of a sealed bay. */
void station_label(struct station *s, struct bay *b);

/* ---- key.c ---- */

/* Unlock the technician's key with this passphrase: the key file is read,
 * the roster must let it sign wipe records now (not expired, not revoked),
 * and it stays in sodium_malloc'd, mlocked memory until station_lock().
 * Then pending seals are done and --auto bays waiting for the key start.
 * -EKEYREJECTED for a wrong passphrase; msg says why in every failure. */
int station_unlock(struct station *s, const char *pass, size_t len, char *msg, size_t msglen);
void station_lock(struct station *s);
/* The same without an event (shutting down). */
void station_lock_quiet(struct station *s);
/* Read the key file's public part (its holder's name) without the passphrase. */
int station_key_peek(struct station *s);
bool station_unlocked(const struct station *s);
/* A key press: the idle lock starts counting again. */
void station_activity(struct station *s);
/* Seconds left before the idle lock, 0 when it does not apply. */
unsigned station_lock_in(const struct station *s);

/* ---- text.c: fitting UTF-8 text to terminal columns ---- */

/* Display width of UTF-8 text in columns (East Asian wide characters
 * count two); in a locale that cannot show a character, it counts as the
 * one '?' it will be shown as. */
int text_width(const char *s);
/* s cut and padded to exactly cols columns into buf (n wide characters
 * with the final L'\0'): a cut is marked with '~' in the last column;
 * characters the locale cannot show become '?'. Returns the length. */
size_t text_fitw(const char *s, int cols, bool right, wchar_t *buf, size_t n);
/* Where to break s so that the first part fits cols columns: at the last
 * space when there is one in the second half, else where it overflows.
 * Returns the byte length of the first part (all of s when it fits). */
size_t text_break(const char *s, int cols);
/* Whether the terminal's locale is UTF-8 (else only ASCII is shown). */
void text_init(void);
bool text_utf8(void);

/* ---- what the front ends share ---- */

/* The name a bay goes by: the kernel name, an image file's base name. */
const char *station_bay_name(const struct bay *b);
/* The ID of the bay's job (an overwrite's, or a firmware erase's once it
 * has one), or NULL. */
const char *station_job_id(const struct bay *b);
/* The short state of a bay for its row, translated: "ready", "mounted",
 * "1/3 write 43%", "PASS", ... */
const char *station_bay_word(const struct bay *b, char *buf, size_t len);
/* The state as a stable word for JSON: "ready", "ineligible", "running",
 * "passed", "failed", "interrupted". */
const char *station_bay_state_code(const struct bay *b);

/* SIGTERM, SIGINT and SIGHUP blocked (in every thread started after) and
 * read from the descriptor returned (-1 on failure). */
int station_signalfd(void);
/* One line for the end of a session: counts and the time a seal took. */
void station_summary(const struct station *s, char *buf, size_t len);

/* The front ends: each runs until quit or SIGTERM; returns an exit code. */
int station_screen_run(struct station *s, const char *pass, size_t pass_len);
int station_ndjson_run(struct station *s, const char *pass, size_t pass_len);

#endif
