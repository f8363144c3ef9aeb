/* erase.h - the overwrite engine: methods as data, patterns and the seeded
 * keystream, pipelined O_DIRECT I/O through a replaceable backend, and
 * verification (full or NIST SP 800-88 §4.7 sampled).
 *
 * Its job: overwrite every byte of an already opened, already approved
 * target, read it back as asked, and write down in the job exactly what
 * happened. It must never decide whether a target may be written (the
 * caller checks safety and confirmation), never print, and never end a job
 * as succeeded unless every pass was written without error, every asked
 * verification matched and no signature is left.
 */
#ifndef WIPECERT_ERASE_H
#define WIPECERT_ERASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct disk;
struct disk_scan;
struct job;
struct job_store;

enum erase_pattern_kind {
	PATTERN_BYTES,  /* bytes[0..len) repeated, phase fixed to the device offset */
	PATTERN_RANDOM, /* AES-256-CTR keystream of the job seed and pass number */
};

struct erase_pass {
	enum erase_pattern_kind kind;
	uint8_t len;      /* 1..3 for PATTERN_BYTES */
	uint8_t bytes[3];
};

enum erase_verify {
	VERIFY_OFF,
	VERIFY_LAST,   /* read back all of the last pass */
	VERIFY_ALL,    /* read back all of every pass, right after it */
	VERIFY_SAMPLE, /* read back the NIST §4.7 sample of the last pass */
};

struct erase_method {
	const char *name;     /* "dod-short" */
	const char *title;    /* "DoD 5220.22-M (E), 3 passes" */
	unsigned n_passes;
	const struct erase_pass *passes;
	/* reads the whole target and compares it with the pass's pattern,
	 * writes nothing: the job can only ever say "verified only" */
	bool verify_only;
};

/* Another program's name for a method of the table (nwipe's --method
 * values), and what differs in how that program runs it. */
struct erase_method_alias {
	const char *alias;    /* "dodshort" */
	const char *name;     /* "dod-short" */
	const char *note;     /* NULL when the passes are the same */
};

extern const struct erase_method erase_methods[];
extern const size_t erase_n_methods;
extern const struct erase_method_alias erase_method_aliases[];
extern const size_t erase_n_method_aliases;
/* A method by its name or an alias (exact match only); NULL if unknown.
 * An alias gives the method itself: jobs and records carry its name. */
const struct erase_method *erase_method_find(const char *name);
/* Most passes a job may have, rounds included. */
#define ERASE_MAX_PASSES 1000u
int erase_verify_from_string(const char *s, enum erase_verify *ret);
const char *erase_verify_to_string(enum erase_verify v);
/* "00", "ff", "924924"... or "random" into buf (>= 8 bytes) */
const char *erase_pass_describe(const struct erase_pass *p, char *buf, size_t len);

/* The keystream: AES-256-CTR, key = BLAKE2b-256(key = seed, "wipecert pass"
 * || pass number), counter = offset / 16, so any offset can be regenerated
 * for verification or after a resume. */
#define ERASE_SEED_BYTES 32
struct keystream;
int keystream_new(const uint8_t seed[ERASE_SEED_BYTES], unsigned pass, struct keystream **ret);
/* Fill buf with the stream at byte offset (a multiple of 16). */
int keystream_fill(struct keystream *ks, uint64_t offset, void *buf, size_t len);
void keystream_free(struct keystream *ks);

/* Fill buf with what pass p puts at device offset off. */
int erase_pattern_fill(const struct erase_pass *p, struct keystream *ks, uint64_t off,
		       uint8_t *buf, size_t len);

/* The I/O backend: queue transfers on slot buffers (given at open time, page
 * aligned, buflen bytes each), collect completions. Tests wrap it to inject
 * faults. res is the byte count or -errno, as pread/pwrite would give. */
struct erase_io_ops {
	const char *name;
	int (*open)(int fd, uint8_t *const *bufs, unsigned n, size_t buflen, void **ret_ctx);
	int (*submit)(void *ctx, bool write, unsigned slot, size_t len, uint64_t off);
	/* Wait for one completion. */
	int (*reap)(void *ctx, unsigned *ret_slot, int64_t *ret_res);
	int (*sync)(void *ctx);
	void (*close)(void *ctx);
};
extern const struct erase_io_ops erase_io_uring; /* io_uring, several in flight */
extern const struct erase_io_ops erase_io_sync;  /* pread/pwrite at submit time */

enum erase_phase {
	PHASE_WRITE,
	PHASE_REVERIFY, /* after a resume: reading back the part written before */
	PHASE_VERIFY,
	PHASE_SYNC,
	PHASE_CHECK,    /* libblkid looking for signatures */
	PHASE_DONE,
};
const char *erase_phase_to_string(enum erase_phase p);

struct erase_progress {
	const struct job *job;
	unsigned pass;          /* 0-based */
	enum erase_phase phase;
	uint64_t phase_done, phase_total; /* bytes of this phase */
	uint64_t done, total;   /* bytes of the whole job, all passes and reads */
	double rate;            /* bytes per second, recent */
	uint64_t eta_sec;
	uint64_t errors;        /* error and mismatch ranges recorded so far */
	bool phase_start;       /* first call for this phase of this pass */
};

/* Called at each phase start and every progress_ms (~250 ms): return < 0 to stop the job
 * at once (it stays resumable); a checkpoint is saved first. */
typedef int (*erase_progress_fn)(const struct erase_progress *p, void *userdata);

struct erase_opts {
	size_t block_size;        /* bytes per request, default ERASE_DEFAULT_BLOCK */
	unsigned depth;           /* requests in flight, default ERASE_DEFAULT_DEPTH */
	uint64_t max_rate;        /* bytes per second, 0 = unlimited */
	unsigned checkpoint_ms;   /* default 2000 */
	unsigned progress_ms;     /* default 250 */
	const struct erase_io_ops *io; /* NULL: io_uring, else pread/pwrite */
	struct job_store *store;  /* checkpoints go here; NULL: none */
	erase_progress_fn progress;
	void *userdata;
	/* Asked when a request fails: has the target gone away (a disk pulled
	 * out of its bay)? Then the job stops where its last checkpoint is,
	 * the failed part is not recorded as errors, and erase_run returns
	 * -ENODEV: the job stays resumable, never failed, never verified.
	 * NULL: erase_target_gone(fd). */
	bool (*gone)(int fd, void *userdata);
};
#define ERASE_DEFAULT_BLOCK (1u << 20)
#define ERASE_DEFAULT_DEPTH 8u
#define ERASE_MAX_ERROR_CHUNKS 64

/* Run (or continue, from the job's checkpoint) the job on fd, which must be
 * open for reading and writing on the target the job describes, with
 * O_DIRECT for block devices. Returns 0 when the job reached an end (look
 * at job->state: succeeded or failed), -ECANCELED when the progress
 * callback stopped it, -ENODEV when the target went away (see gone), other
 * -errno when it could not run at all. Reentrant: one thread per job. */
int erase_run(struct job *job, int fd, const struct erase_opts *opts);

/* ---- the target (target.c) ---- */

/* The medium under a target as the kernel names it, compared on resume:
 * for an image file its device and inode; for a loop device those of its
 * backing file and the loop's offset into it. known is false for other
 * block devices, whose identity is their serial and WWN. */
struct erase_medium {
	bool known;
	uint64_t dev, ino, offset;
};

/* An open target: a descriptor that no other wipe can have at the same
 * time. Block devices are opened O_EXCL (the kernel refuses a second
 * exclusive opener: mount, md, dm, another wipe); image files hold an OFD
 * write lock over the whole file, which every wipecert takes and which
 * stays with the open file description (closing another descriptor of the
 * same file, as libblkid does, does not drop it). */
struct erase_target {
	int fd;                   /* O_RDWR, O_DIRECT where it works, -1 when closed */
	bool image;               /* a regular file (locked), else a block device (O_EXCL) */
	uint64_t size;            /* as the descriptor reports it, bytes */
	unsigned sector;          /* logical */
	unsigned physical_sector;
	struct erase_medium medium;
};

/* Open the target that detection described (d), for reading and writing,
 * as the one writer: its safety is checked again right before the open
 * (disk_check_safety with scan, which may be NULL: a disk mounted or held
 * since it was described is refused), then the open and the lock above,
 * then the descriptor must still be what detection described (type and
 * size). Returns 0, or -EBUSY (not safe to write now, or another program
 * has the block device open exclusively: *ret_reason is "<state>
 * (<why>)"), -EAGAIN (another wipe holds the image's lock), -ENOTBLK
 * (neither a block device nor a regular file), -ESTALE (not what detection
 * described), -ELOOP (a symbolic link where an image file was), other
 * -errno. On failure *ret is untouched and nothing was written.
 * ret_reason may be NULL; it is malloc'd. */
int erase_target_open(const struct disk_scan *scan, const struct disk *d, struct erase_target *ret,
		      char **ret_reason);
/* Close the descriptor (which drops the lock); returns close's error,
 * which is part of the wipe. Safe on a closed target. */
int erase_target_close(struct erase_target *t);
/* The block device behind fd was deleted by the kernel (hot removal): its
 * /sys/dev/block entry is gone. Never true for a regular file. */
bool erase_target_gone(int fd);

/* ---- the medium's identity (identity.c) ---- */

/* Take the job's content fingerprint from fd before anything is written:
 * JOB_FP_SAMPLES blocks (the first, the last, and one at a seeded place in
 * each equal section between), each kept as a BLAKE2b keyed by the job's
 * seed. An unreadable block is noted, not compared later. 0 or -errno. */
int erase_fingerprint_take(struct job *j, int fd);
/* Prove, before a resume writes anything, that target t (described by d)
 * is the medium the job started on: host, transport, serial, WWN, model,
 * sector sizes, size, and for files and loop devices the file's device
 * and inode must be what the job recorded; then every fingerprint sample
 * must read back as what the job says is there now: the pattern of the
 * pass last written over it, or the fingerprint where no pass has been
 * (beyond the interrupted pass's checkpoint, either). Returns 0 when it
 * is the same medium, -ESTALE when not (*ret_why, malloc'd, says what
 * differed), -EPROTONOSUPPORT for a job with no identity recorded, other
 * -errno when it could not read. Reads only. */
int erase_job_prove(const struct job *j, const struct disk *d, const struct erase_target *t, char **ret_why);

/* A new job on an open target: the job (job_new), what detection and the
 * descriptor say about the medium (job_describe), and its fingerprint,
 * taken now, before anything is written. */
int erase_job_start(const struct erase_method *m, enum erase_verify v, unsigned sample_percent,
		    const struct disk *d, const struct erase_target *t, struct job **ret);
/* For a resume: describe the job's device again, open it as
 * erase_target_open() does and prove it is the job's medium
 * (erase_job_prove). On success the caller owns *ret_disk and *ret_t; on
 * failure nothing is open, nothing was written, and *ret_why (malloc'd,
 * may stay NULL) says why: -ESTALE (another medium, or a path that changed
 * type), -EBUSY (not safe to write now), -EAGAIN (another wipe holds it),
 * -EPROTONOSUPPORT, other -errno. */
int erase_job_reopen(const struct disk_scan *scan, const struct job *j, struct disk *ret_disk,
		     struct erase_target *ret_t, char **ret_why);

/* libblkid on fd: 0 and *ret_found = NULL when nothing is found, else a
 * malloc'd "TYPE,TYPE" of what was found. */
int erase_find_signatures(int fd, char **ret_found);

#endif
