/* identity.c - which medium a job runs on: the fingerprint taken before
 * anything is written, and the proof a resume makes before it writes again
 * (the recorded identity compared, then every sample read back as what the
 * job says must be there now).
 *
 * It reads only; it must never write to the target, and never call a
 * medium the same when anything it can check says otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <sodium.h>

#include "wipecert/disk.h"
#include "wipecert/erase.h"
#include "wipecert/job.h"
#include "wipecert/sample.h"
#include "wipecert/util.h"

#define FP_DEPTH 16u
/* Samples beyond the checkpoint of an interrupted first pass that hold
 * the pattern in part: a request in flight at the crash (a power loss
 * tears it sector by sector). More than this is not a crash. */
#define FP_TORN_MAX 8u

/* ---- the plan and the hash ---- */

static unsigned fp_block(uint64_t size, unsigned sector)
{
	if (sector >= 4096)
		return sector;
	return size >= 4096 && size % 4096 == 0 ? 4096 : sector;
}

static void derive(const struct job *j, const char *label, uint8_t out[32])
{
	crypto_generichash(out, 32, (const uint8_t *)label, strlen(label), j->seed, ERASE_SEED_BYTES);
}

/* The first block, the last, and one block at a seeded place inside each
 * of the equal sections between them; all of them when there are few. */
static size_t fp_plan(const struct job *j, unsigned block, uint64_t *offs)
{
	uint64_t count = j->size / block, state = 0;
	uint8_t s[32];
	size_t n = 0;

	if (count <= JOB_FP_SAMPLES) {
		for (uint64_t i = 0; i < count; i++)
			offs[n++] = i * block;
		if (j->size % block)
			offs[n - 1] = j->size - block; /* sector aligned: size and block are */
		return n;
	}
	derive(j, "wipecert fingerprint plan", s);
	memcpy(&state, s, sizeof(state));
	offs[n++] = 0;
	for (uint64_t i = 1; i + 1 < JOB_FP_SAMPLES; i++) {
		uint64_t lo = 1 + (i - 1) * (count - 2) / (JOB_FP_SAMPLES - 2);
		uint64_t hi = 1 + i * (count - 2) / (JOB_FP_SAMPLES - 2);

		offs[n++] = (lo + sample_splitmix64(&state) % (hi - lo)) * block;
	}
	offs[n++] = j->size - block;
	return n;
}

static void fp_hash(const uint8_t key[32], uint64_t off, const uint8_t *data, size_t len,
		    uint8_t out[JOB_FP_HASH])
{
	crypto_generichash_state st;
	uint8_t le[8];

	for (int k = 0; k < 8; k++)
		le[k] = (uint8_t)(off >> (8 * k));
	crypto_generichash_init(&st, key, 32, JOB_FP_HASH);
	crypto_generichash_update(&st, le, sizeof(le));
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, out, JOB_FP_HASH);
}

/* ---- reading blocks, several in flight ---- */

typedef int (*block_fn)(size_t i, const uint8_t *buf, int64_t res, void *userdata);

static int read_blocks(int fd, const uint64_t *offs, size_t n, unsigned block, block_fn fn, void *userdata)
{
	const struct erase_io_ops *io = &erase_io_uring;
	uint8_t *bufs[FP_DEPTH] = { 0 };
	size_t slot_of[FP_DEPTH], next = 0, inflight = 0;
	bool busy[FP_DEPTH] = { 0 };
	void *ctx = NULL;
	int r = 0;

	for (unsigned i = 0; i < FP_DEPTH; i++)
		if (posix_memalign((void **)&bufs[i], 4096, block) != 0) {
			bufs[i] = NULL;
			r = -ENOMEM;
			goto out;
		}
	r = io->open(fd, bufs, FP_DEPTH, block, &ctx);
	if (r < 0) {
		io = &erase_io_sync; /* io_uring forbidden here */
		r = io->open(fd, bufs, FP_DEPTH, block, &ctx);
	}
	if (r < 0) {
		ctx = NULL;
		goto out;
	}
	while (next < n || inflight) {
		unsigned slot;
		int64_t res;

		for (slot = 0; slot < FP_DEPTH && next < n; slot++) {
			if (busy[slot])
				continue;
			r = io->submit(ctx, false, slot, block, offs[next]);
			if (r < 0)
				goto out;
			slot_of[slot] = next++;
			busy[slot] = true;
			inflight++;
		}
		r = io->reap(ctx, &slot, &res);
		if (r < 0)
			goto out;
		if (slot >= FP_DEPTH || !busy[slot]) {
			r = -EIO;
			goto out;
		}
		busy[slot] = false;
		inflight--;
		r = fn(slot_of[slot], bufs[slot], res, userdata);
		if (r < 0)
			goto out;
	}
out:
	if (ctx)
		io->close(ctx);
	for (unsigned i = 0; i < FP_DEPTH; i++)
		free(bufs[i]);
	return r;
}

/* ---- the fingerprint ---- */

struct take {
	struct job_fp_sample *v;
	uint8_t key[32];
	unsigned block;
};

static int take_one(size_t i, const uint8_t *buf, int64_t res, void *userdata)
{
	struct take *t = userdata;

	if (res != (int64_t)t->block) {
		t->v[i].unreadable = true; /* a bad sector: noted, never compared */
		return 0;
	}
	fp_hash(t->key, t->v[i].offset, buf, t->block, t->v[i].hash);
	return 0;
}

int erase_fingerprint_take(struct job *j, int fd)
{
	_cleanup_free_ uint64_t *offs = calloc(JOB_FP_SAMPLES, sizeof(*offs));
	struct take t = { .block = fp_block(j->size, j->sector) };
	size_t n;
	int r;

	if (!offs)
		return -ENOMEM;
	if (j->size < t.block || fd < 0)
		return -EINVAL;
	n = fp_plan(j, t.block, offs);
	t.v = calloc(n, sizeof(*t.v));
	if (!t.v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		t.v[i].offset = offs[i];
	derive(j, "wipecert fingerprint", t.key);
	r = read_blocks(fd, offs, n, t.block, take_one, &t);
	sodium_memzero(t.key, sizeof(t.key));
	if (r < 0) {
		free(t.v);
		return r;
	}
	free(j->fp.v);
	j->fp = (struct job_fingerprint){ .block = t.block, .n = n, .v = t.v, .n_taken = n };
	job_fingerprint_seal(&j->fp, j->fp.digest);
	return 0;
}

/* ---- the proof ---- */

enum verdict { V_OK, V_SKIP, V_TORN, V_BAD, V_UNREADABLE };

struct prove {
	const struct job *j;
	uint8_t key[32];
	unsigned block;
	int k;                       /* the last pass that has begun, -1 if none */
	bool errors_overflow;        /* some error ranges were not kept */
	struct keystream *ks[2];     /* of pass k and k - 1 */
	uint8_t *want, *prev;
	size_t checked, skipped, torn, bad;
	uint64_t first_bad;
	const char *first_what;
};

static bool in_errors(const struct prove *p, uint64_t off, uint64_t len)
{
	for (int i = 0; i <= p->k; i++) {
		const struct job_ranges *e = &p->j->passes[i].errors;

		for (size_t k = 0; k < e->n; k++)
			if (e->v[k].offset < off + len && off < e->v[k].offset + e->v[k].length)
				return true;
	}
	return false;
}

static int fill_pass(struct prove *p, int pass, uint64_t off, uint8_t *buf)
{
	struct keystream **ks = &p->ks[pass == p->k ? 0 : 1];
	const struct erase_pass *pat = &p->j->passes[pass].pattern;
	int r;

	if (pat->kind == PATTERN_RANDOM && !*ks && (r = keystream_new(p->j->seed, (unsigned)pass, ks)) < 0)
		return r;
	return erase_pattern_fill(pat, *ks, off, buf, p->block);
}

static bool fp_matches(const struct prove *p, size_t i, const uint8_t *data)
{
	uint8_t h[JOB_FP_HASH];

	fp_hash(p->key, p->j->fp.v[i].offset, data, p->block, h);
	return sodium_memcmp(h, p->j->fp.v[i].hash, JOB_FP_HASH) == 0;
}

/* What sample i must hold now: the fingerprint where no pass has been,
 * the pattern of the pass that was last written there, and beyond the
 * checkpoint of the pass being written either that pass's pattern
 * (written after the last checkpoint) or what was there before. */
static int classify(struct prove *p, size_t i, const uint8_t *data, enum verdict *ret)
{
	const struct job *j = p->j;
	uint64_t off = j->fp.v[i].offset, below;
	unsigned sec = j->sector;
	const struct job_pass *pk;
	bool any_new = false;
	int r;

	if (in_errors(p, off, p->block)) {
		*ret = V_SKIP;
		return 0;
	}
	if (p->k < 0) {
		*ret = j->fp.v[i].unreadable ? V_SKIP : fp_matches(p, i, data) ? V_OK : V_BAD;
		return 0;
	}
	pk = &j->passes[p->k];
	if ((r = fill_pass(p, p->k, off, p->want)) < 0)
		return r;
	below = pk->state >= PASS_WRITTEN ? p->block : pk->written > off ? pk->written - off : 0;
	if (below > p->block)
		below = p->block;
	if (memcmp(data, p->want, below) != 0) {
		*ret = V_BAD;
		return 0;
	}
	if (below == p->block) {
		*ret = V_OK;
		return 0;
	}
	if (p->k > 0) {
		/* the pass before is known byte for byte: each sector is one or the other */
		if ((r = fill_pass(p, p->k - 1, off, p->prev)) < 0)
			return r;
		for (uint64_t s = below; s < p->block; s += sec)
			if (memcmp(data + s, p->want + s, sec) != 0 && memcmp(data + s, p->prev + s, sec) != 0) {
				*ret = V_BAD;
				return 0;
			}
		*ret = V_OK;
		return 0;
	}
	/* the first pass: what was there before is known by its hash alone */
	if (memcmp(data + below, p->want + below, p->block - below) == 0) {
		*ret = V_OK;
		return 0;
	}
	if (below > 0) {
		*ret = V_SKIP; /* straddles the checkpoint: its first part was proven */
		return 0;
	}
	if (j->fp.v[i].unreadable) {
		*ret = V_SKIP;
		return 0;
	}
	if (fp_matches(p, i, data)) {
		*ret = V_OK;
		return 0;
	}
	for (uint64_t s = 0; s < p->block && !any_new; s += sec)
		any_new = memcmp(data + s, p->want + s, sec) == 0;
	*ret = any_new ? V_TORN : V_BAD;
	return 0;
}

static int prove_one(size_t i, const uint8_t *buf, int64_t res, void *userdata)
{
	struct prove *p = userdata;
	enum verdict v;
	int r;

	if (res != (int64_t)p->block) {
		v = V_UNREADABLE;
	} else {
		r = classify(p, i, buf, &v);
		if (r < 0)
			return r;
	}
	if (v == V_TORN && ++p->torn > FP_TORN_MAX)
		v = V_BAD;
	if (v == V_BAD && p->errors_overflow)
		v = V_SKIP; /* unkept error ranges: it may lie in one */
	if (v == V_SKIP) {
		p->skipped++;
		return 0;
	}
	p->checked++;
	if (v == V_BAD || v == V_UNREADABLE) {
		if (!p->bad++ || p->j->fp.v[i].offset < p->first_bad) {
			p->first_bad = p->j->fp.v[i].offset;
			p->first_what = v == V_UNREADABLE ? "cannot be read" :
					p->k < 0 ? "is not what it was before the wipe" :
						   "is neither the wipe's pattern nor what was there before";
		}
	}
	return 0;
}

static int prove_samples(const struct job *j, int fd, char **ret_why)
{
	struct prove p = { .j = j, .block = j->fp.block, .k = -1 };
	_cleanup_free_ uint64_t *offs = calloc(j->fp.n ? j->fp.n : 1, sizeof(*offs));
	int r;

	if (!offs)
		return -ENOMEM;
	for (size_t i = 0; i < j->n_passes; i++) {
		/* a verify-only job wrote nothing: the fingerprint is all there is */
		if (j->passes[i].state != PASS_PENDING && !j->verify_only)
			p.k = (int)i;
		if (j->passes[i].errors.count > j->passes[i].errors.n)
			p.errors_overflow = true;
	}
	for (size_t i = 0; i < j->fp.n; i++)
		offs[i] = j->fp.v[i].offset;
	if (posix_memalign((void **)&p.want, 4096, p.block) != 0 || posix_memalign((void **)&p.prev, 4096, p.block) != 0) {
		r = -ENOMEM;
		goto out;
	}
	derive(j, "wipecert fingerprint", p.key);
	r = read_blocks(fd, offs, j->fp.n, p.block, prove_one, &p);
	if (r < 0)
		goto out;
	if (p.bad) {
		r = -ESTALE;
		if (ret_why && asprintf(ret_why, "%zu of %zu samples differ: the block at byte %llu %s", p.bad,
					p.checked, (unsigned long long)p.first_bad, p.first_what) < 0)
			*ret_why = NULL;
	} else if (p.checked == 0) {
		r = -ESTALE;
		if (ret_why)
			*ret_why = strdup("no sample of the fingerprint could be compared");
	}
out:
	sodium_memzero(p.key, sizeof(p.key));
	keystream_free(p.ks[0]);
	keystream_free(p.ks[1]);
	free(p.want);
	free(p.prev);
	return r;
}

static bool same(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && streq(a, b));
}

_printf_(2, 3) static int differs(char **ret_why, const char *fmt, ...)
{
	va_list ap;

	if (ret_why) {
		va_start(ap, fmt);
		if (vasprintf(ret_why, fmt, ap) < 0)
			*ret_why = NULL;
		va_end(ap);
	}
	return -ESTALE;
}

#define NS(s) ((s) && *(s) ? (s) : "none")

/* What the job recorded against what the disk and the descriptor say. */
static int prove_identity(const struct job *j, const struct disk *d, const struct erase_target *t, char **ret_why)
{
	const char *transport = disk_transport_to_string(d->transport);
	struct utsname u;

	if (j->host && uname(&u) == 0 && !streq(j->host, u.nodename))
		return differs(ret_why, "the job belongs to host %s, this is %s", j->host, u.nodename);
	if (!same(j->transport, transport))
		return differs(ret_why, "it was a %s when the job started, now it is a %s", NS(j->transport), transport);
	if (!same(j->serial, d->serial))
		return differs(ret_why, "serial %s when the job started, now %s", NS(j->serial), NS(d->serial));
	if (!same(j->wwn, d->wwn))
		return differs(ret_why, "WWN %s when the job started, now %s", NS(j->wwn), NS(d->wwn));
	if (!same(j->model, d->model))
		return differs(ret_why, "model %s when the job started, now %s", NS(j->model), NS(d->model));
	if (t->sector != j->sector || (j->physical_sector && t->physical_sector != j->physical_sector))
		return differs(ret_why, "%u/%u-byte sectors when the job started, now %u/%u", j->sector,
			       j->physical_sector, t->sector, t->physical_sector);
	if (t->size / j->sector * j->sector != j->size)
		return differs(ret_why, "%llu bytes when the job started, now %llu", (unsigned long long)j->size,
			       (unsigned long long)t->size);
	if (j->medium.known && (!t->medium.known || t->medium.dev != j->medium.dev ||
				t->medium.ino != j->medium.ino || t->medium.offset != j->medium.offset))
		return differs(ret_why, "another file: inode %llu on device %llu when the job started, now inode %llu on device %llu",
			       (unsigned long long)j->medium.ino, (unsigned long long)j->medium.dev,
			       (unsigned long long)t->medium.ino, (unsigned long long)t->medium.dev);
	return 0;
}

int erase_job_prove(const struct job *j, const struct disk *d, const struct erase_target *t, char **ret_why)
{
	int r;

	if (ret_why)
		*ret_why = NULL;
	if (j->format < 2 || !j->fp.n) {
		if (ret_why)
			*ret_why = strdup("the job file holds no identity of the medium to prove (an older wipecert made it)");
		return -EPROTONOSUPPORT;
	}
	r = prove_identity(j, d, t, ret_why);
	if (r < 0)
		return r;
	return prove_samples(j, t->fd, ret_why);
}

int erase_job_start(const struct erase_method *m, enum erase_verify v, unsigned sample_percent,
		    const struct disk *d, const struct erase_target *t, struct job **ret)
{
	struct job *j = NULL;
	int r;

	crash_point("job-start");
	r = job_new(m, v, sample_percent, d->devpath, t->size, t->sector, &j);
	if (r < 0)
		return r;
	r = job_describe(j, d, t);
	if (r >= 0)
		r = erase_fingerprint_take(j, t->fd);
	if (r < 0) {
		job_free(j);
		return r;
	}
	*ret = j;
	return 0;
}

int erase_job_reopen(const struct disk_scan *scan, const struct job *j, struct disk *ret_disk,
		     struct erase_target *ret_t, char **ret_why)
{
	struct erase_target t = { .fd = -1 };
	struct disk d = { 0 };
	int r;

	if (ret_why)
		*ret_why = NULL;
	r = disk_probe(scan, j->device, &d);
	if (r < 0) {
		if (ret_why && r == -ENOTBLK && asprintf(ret_why, "%s is no longer a disk or an image file", j->device) < 0)
			*ret_why = NULL;
		return r == -ENOTBLK ? -ESTALE : r;
	}
	/* a path that changed type is another medium, whatever opens there */
	if (!streq(disk_transport_to_string(d.transport), j->transport ? j->transport : "?")) {
		r = differs(ret_why, "it was a %s when the job started, now it is a %s", NS(j->transport),
			    disk_transport_to_string(d.transport));
		goto fail;
	}
	r = erase_target_open(scan, &d, &t, ret_why);
	if (r < 0)
		goto fail;
	crash_point("prove-start");
	r = erase_job_prove(j, &d, &t, ret_why);
	if (r < 0) {
		erase_target_close(&t);
		goto fail;
	}
	*ret_disk = d;
	*ret_t = t;
	return 0;
fail:
	disk_release(&d);
	return r;
}
