/* job.h - a wipe job: what was asked, what happened byte by byte, and its
 * checkpoints.
 *
 * Its job: hold the record of one overwrite of one target, turn it into
 * JSON and back (jansson), and keep it in a store that survives a crash.
 * The job file holds the keystream seed so a resume can regenerate the
 * stream; the public record (job_to_json with secret = false) holds only
 * the seed's commitment. It must never touch the target device.
 */
#ifndef WIPECERT_JOB_H
#define WIPECERT_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "wipecert/erase.h"

/* 2: the medium's identity, its fingerprint, the tuning, the asset and a
 * checksum of the job file. Format 1 files still load (to seal or show an
 * old job) but cannot be resumed: nothing in them proves the medium. */
#define JOB_FORMAT 2
#define JOB_MAX_RANGES 1024 /* ranges kept per list; counts go on */
#define JOB_FP_SAMPLES 256  /* blocks in a fingerprint */
#define JOB_FP_HASH 16      /* bytes of each sample's keyed BLAKE2b */

enum job_state { JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED };
enum pass_state { PASS_PENDING, PASS_WRITING, PASS_WRITTEN, PASS_VERIFYING, PASS_DONE };
enum verify_result { VRESULT_NONE, VRESULT_PASSED, VRESULT_FAILED };

struct job_range {
	uint64_t offset, length; /* bytes */
	int err;                 /* errno for I/O errors, 0 for mismatches */
};

struct job_ranges {
	struct job_range *v;
	size_t n;          /* kept, at most JOB_MAX_RANGES */
	uint64_t count;    /* all, even those not kept */
	uint64_t bytes;    /* sum of all lengths */
};

struct job_pass {
	struct erase_pass pattern;
	enum pass_state state;
	uint64_t written;       /* checkpoint: bytes [0, written) are written and synced */
	uint64_t verified;      /* checkpoint of the read-back: offset reached */
	uint64_t bytes_written; /* all bytes written, rewrites after a resume included */
	uint64_t bytes_read;
	time_t started, ended;
	uint64_t write_ms, verify_ms; /* time spent writing (with the sync) and reading back */
	struct job_ranges errors;     /* write or read errors left after retries */
	enum verify_result verify;
	struct job_ranges mismatches; /* read back but not what was written */
	unsigned restarts;            /* re-verification after resume failed: written again */
};

/* The content fingerprint, taken before anything is written: a keyed
 * BLAKE2b of blocks spread over the whole target (the first and the last
 * always). The hashes, never the data, and only while the job can be
 * resumed: an ended job keeps the digest alone. */
struct job_fp_sample {
	uint64_t offset;
	uint8_t hash[JOB_FP_HASH];
	bool unreadable;        /* an I/O error when it was taken: not compared */
};
struct job_fingerprint {
	unsigned block;         /* bytes per sample */
	size_t n;               /* 0: none taken (or dropped at the end) */
	struct job_fp_sample *v;
	size_t n_taken;         /* samples there were: kept in the record */
	uint8_t digest[32];     /* BLAKE2b over every offset and hash: published */
};

/* The tuning asked for (0: the engine's default); resume reuses it. */
struct job_tuning {
	uint64_t block_size;
	unsigned depth;
	uint64_t max_rate;
	bool sync_io;
};

/* What a finished job says in one phrase: the CLI and the JSON agree. */
enum job_result {
	JOB_RESULT_RUNNING,
	JOB_RESULT_VERIFIED,     /* "wiped and verified" */
	JOB_RESULT_NOT_VERIFIED, /* "wiped, not verified": --verify off */
	JOB_RESULT_FAILED,
	JOB_RESULT_VERIFIED_ONLY, /* "verified only": a verify-only method found its pattern, wrote nothing */
};

struct job {
	unsigned format;        /* JOB_FORMAT, or 1 for a job file of an older version */
	char *id;
	/* the target */
	char *device;           /* path it was opened by */
	char *name, *model, *serial, *wwn, *transport;
	uint64_t size;          /* bytes wiped: whole sectors */
	unsigned sector;        /* logical sector, the unit of the ranges */
	unsigned physical_sector;
	struct erase_medium medium; /* image file or loop backing file */
	struct job_fingerprint fp;
	/* a serial the operator attested (read off the label) for a medium
	 * that reports none: never stored as `serial`, which is the drive's */
	char *attested_serial, *attested_by;
	char *asset;            /* the ledger entry it is run for, or NULL */
	char *ledger;           /* that ledger's path (job file only), or NULL */
	struct job_tuning tuning;
	/* what was asked */
	char *method;
	unsigned rounds;        /* the method's passes this many times over (1..) */
	bool verify_only;       /* the method writes nothing (verify-zero, verify-one) */
	enum erase_verify verify_mode;
	unsigned sample_percent;
	uint8_t *seed;          /* ERASE_SEED_BYTES, sodium_malloc'd */
	char commitment[65];    /* hex BLAKE2b-256 of the seed */
	/* what happened */
	struct job_pass *passes;
	size_t n_passes;
	enum job_state state;
	char *failure;          /* first reason for a failed job */
	bool signatures_checked;
	char *signatures_found; /* libblkid types left, NULL when clean */
	uint8_t sample_hash[32];/* BLAKE2b of the sampled ranges (VERIFY_SAMPLE) */
	uint64_t sample_bytes;
	uint64_t sample_seed;   /* public, < 2^53: derived from the seed, names the plan */
	time_t created, started, ended;
	unsigned resumes;
	char *host, *tool_version;
	char *backend;          /* I/O backend used last */
};

/* A new job with a fresh random seed; passes from the method table. */
int job_new(const struct erase_method *m, enum erase_verify v, unsigned sample_percent,
	    const char *device, uint64_t size, unsigned sector, struct job **ret);
void job_free(struct job *j);
/* Repeat the method's passes rounds times (nwipe's --rounds): only on a
 * job that has not started. -EINVAL for 0, for a verify-only method
 * (it reads once) or beyond ERASE_MAX_PASSES passes. */
int job_set_rounds(struct job *j, unsigned rounds);
/* The one maker of job IDs, for overwrite and firmware jobs alike:
 * "YYYYMMDDThhmmssZ-<device name>-<8 hex>" (malloc'd). */
int job_id_make(const char *device, time_t t, char **ret);
/* Copy what detection and the open descriptor say about the target into
 * the job: name, model, serial, WWN, transport, sector sizes, medium. */
int job_describe(struct job *j, const struct disk *d, const struct erase_target *t);
/* The serial of record for ledger and confirmation: the drive's, else the
 * attested one, else NULL. */
const char *job_serial(const struct job *j);
enum job_result job_result(const struct job *j);
/* The digest of a fingerprint's samples (offsets, hashes, unreadable
 * flags, in order): what the published record holds. */
void job_fingerprint_seal(const struct job_fingerprint *fp, uint8_t ret_digest[32]);
/* "wiped-and-verified", "wiped-not-verified", "verified-only", "failed", "running" */
const char *job_result_to_string(enum job_result r);
/* Set *p (a char * field) to a copy of s (NULL allowed). */
int job_set(char **p, const char *s);
/* Record a failure (the first reason is kept) and set the state. */
void job_fail(struct job *j, const char *reason);
/* Add a range to a list, merging with the last one when they touch. */
void job_ranges_add(struct job_ranges *r, uint64_t off, uint64_t len, int err);

const char *job_state_to_string(enum job_state s);

/* secret: the job file, with the seed, the fingerprint's samples, the
 * ledger path and a checksum (keyed by the seed) over all of it; never
 * for a published record. job_from_json refuses a job file whose checksum
 * does not match (-EBADMSG: edited by hand or damaged). */
json_t *job_to_json(const struct job *j, bool secret);
int job_from_json(const json_t *o, struct job **ret);

/* Where checkpoints go. The directory store writes <dir>/<id>.json with
 * write_file_atomic (0600: it holds the seed). The ledger can host them
 * later behind the same ops. */
struct job_store_ops {
	int (*save)(void *ctx, const struct job *j);
	int (*load)(void *ctx, const char *id, struct job **ret);
	void (*free)(void *ctx);
};
struct job_store {
	const struct job_store_ops *ops;
	void *ctx;
};
#define JOB_STATE_DIR_DEFAULT "/var/lib/wipecert/jobs"
/* dir NULL: $WIPECERT_STATE_DIR or JOB_STATE_DIR_DEFAULT; created 0700. */
int job_store_open_dir(const char *dir, struct job_store *ret);
int job_store_save(struct job_store *s, const struct job *j);
/* id: a job id, or a path to a job file. */
int job_store_load(struct job_store *s, const char *id, struct job **ret);
void job_store_close(struct job_store *s);
/* The path a job file has in a directory store (malloc'd). */
char *job_store_path(struct job_store *s, const char *id);

#endif
