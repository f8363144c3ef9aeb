/* engine.c - the overwrite engine: write each pass of a job over the whole
 * target through several requests in flight, read back what is to be
 * verified, keep checkpoints, and decide success only from what was seen.
 *
 * It must never mark a job succeeded with an error, a mismatch, an unread
 * range or a signature left, and never print.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "wipecert/disk.h"
#include "wipecert/erase.h"
#include "wipecert/job.h"
#include "wipecert/sample.h"
#include "wipecert/util.h"

#define MAX_TRIES 3

struct slot {
	uint64_t off;
	size_t len;
	unsigned tries;
	bool busy;
	int tag; /* pass+1 whose constant pattern the buffer holds, 0 if none */
};

struct engine {
	struct job *job;
	int fd;
	const struct erase_opts *o;
	const struct erase_io_ops *io;
	void *ioctx;
	uint8_t **bufs;
	struct slot *slots;
	unsigned n, inflight;
	size_t bs;
	uint8_t *scratch;
	int scratch_tag;
	struct keystream *ks;
	int ks_pass;
	/* progress */
	unsigned pass;
	enum erase_phase phase;
	uint64_t phase_done, phase_total, done, total;
	uint64_t t_tick, t_ckpt, tick_done;
	double rate;
	bool stopped, giveup;
	/* the target went away: stop at the last checkpoint, record nothing */
	bool vanished, gone_asked, blockdev;
	uint64_t hold; /* lowest offset of a request that failed as it went */
	/* throttle */
	uint64_t thr_t0, thr_bytes;
	/* chunks that failed every try, narrowed down sector by sector later */
	struct job_range bad[ERASE_MAX_ERROR_CHUNKS];
	size_t n_bad;
	/* the first byte a read-back found different (UINT64_MAX: none) */
	uint64_t first_diff;
};

const char *erase_phase_to_string(enum erase_phase p)
{
	static const char *const names[] = {
		[PHASE_WRITE] = N_("write"), [PHASE_REVERIFY] = N_("reverify"), [PHASE_VERIFY] = N_("verify"),
		[PHASE_SYNC] = N_("sync"), [PHASE_CHECK] = N_("check"), [PHASE_DONE] = N_("done"),
	};
	return (size_t)p < ARRAY_SIZE(names) ? names[p] : "?";
}

static int report(struct engine *e, bool start)
{
	struct erase_progress p = {
		.job = e->job, .pass = e->pass, .phase = e->phase,
		.phase_done = e->phase_done, .phase_total = e->phase_total,
		.done = e->done, .total = e->total, .rate = e->rate, .phase_start = start,
	};

	if (e->rate > 1 && e->total > e->done)
		p.eta_sec = (uint64_t)((double)(e->total - e->done) / e->rate);
	p.errors = e->n_bad;
	for (size_t i = 0; i < e->job->n_passes; i++)
		p.errors += e->job->passes[i].errors.count + e->job->passes[i].mismatches.count;
	if (e->o->progress && e->o->progress(&p, e->o->userdata) < 0)
		e->stopped = true;
	return 0;
}

static void set_phase(struct engine *e, unsigned pass, enum erase_phase ph, uint64_t total)
{
	e->pass = pass;
	e->phase = ph;
	e->phase_done = 0;
	e->phase_total = total;
	report(e, true);
}

static int save(struct engine *e)
{
	return job_store_save(e->o->store, e->job);
}

static int ensure_keystream(struct engine *e, unsigned pass)
{
	int r;

	if (e->ks && e->ks_pass == (int)pass)
		return 0;
	keystream_free(e->ks);
	e->ks = NULL;
	r = keystream_new(e->job->seed, pass, &e->ks);
	if (r < 0)
		return r;
	e->ks_pass = (int)pass;
	return 0;
}

static int fill(struct engine *e, const struct erase_pass *p, unsigned pass, uint8_t *buf,
		int *tag, uint64_t off, size_t len)
{
	bool constant = p->kind == PATTERN_BYTES && p->len == 1;
	int r;

	if (constant && *tag == (int)pass + 1)
		return 0; /* already holds this byte all through */
	if (p->kind == PATTERN_RANDOM && (r = ensure_keystream(e, pass)) < 0)
		return r;
	r = erase_pattern_fill(p, e->ks, off, buf, constant ? e->bs : len);
	*tag = constant && r >= 0 ? (int)pass + 1 : 0;
	return r;
}

static uint64_t low_water(struct engine *e, uint64_t next)
{
	uint64_t low = next;

	for (unsigned i = 0; i < e->n; i++)
		if (e->slots[i].busy && e->slots[i].off < low)
			low = e->slots[i].off;
	for (size_t i = 0; i < e->n_bad; i++)
		if (e->bad[i].offset < low)
			low = e->bad[i].offset;
	return low < e->hold ? low : e->hold;
}

/* Did the request fail because the target went away? The kernel may fail
 * the I/O a moment before it deletes the disk, so the first time the
 * question is asked it waits up to a second for the answer to settle. */
static bool target_gone(struct engine *e, int64_t res)
{
	bool (*gone)(int, void *) = e->o->gone;
	/* an image file cannot be pulled out: no wait for it */
	unsigned waits = e->gone_asked || (!gone && !e->blockdev) ? 0 : 10;

	if (e->vanished)
		return true;
	e->gone_asked = true;
	for (unsigned i = 0;; i++) {
		if (res == -ENODEV || res == -ENXIO || (gone ? gone(e->fd, e->o->userdata) : erase_target_gone(e->fd))) {
			e->vanished = e->stopped = true;
			return true;
		}
		if (i >= waits)
			return false;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
}

static void throttle(struct engine *e, size_t len)
{
	uint64_t want, now;

	if (!e->o->max_rate)
		return;
	e->thr_bytes += len;
	want = (uint64_t)((double)e->thr_bytes * 1e9 / (double)e->o->max_rate);
	now = now_ns() - e->thr_t0;
	if (want > now) {
		struct timespec ts = { (time_t)((want - now) / 1000000000u), (long)((want - now) % 1000000000u) };
		nanosleep(&ts, NULL);
	}
}

/* Progress every ~250 ms, a checkpoint every checkpoint_ms: for writes the
 * device is synced first, so [0, low) is on the medium when it is saved. */
static int tick(struct engine *e, bool write, uint64_t *pos, uint64_t next)
{
	uint64_t now = now_ns();
	unsigned ck = e->o->checkpoint_ms ? e->o->checkpoint_ms : 2000;
	unsigned pm = e->o->progress_ms ? e->o->progress_ms : 250;

	if (now - e->t_tick >= (uint64_t)pm * 1000000u) {
		double inst = (double)(e->done - e->tick_done) * 1e9 / (double)(now - e->t_tick);

		e->rate = e->rate > 0 ? 0.7 * e->rate + 0.3 * inst : inst;
		e->t_tick = now;
		e->tick_done = e->done;
		report(e, false);
	}
	if (e->vanished)
		return 0; /* nothing can be synced: the last checkpoint stands */
	if (now - e->t_ckpt >= (uint64_t)ck * 1000000u || e->stopped) {
		uint64_t low = low_water(e, next);
		int r;

		if (write && (r = e->io->sync(e->ioctx)) < 0)
			return r;
		*pos = low;
		e->t_ckpt = now;
		return save(e);
	}
	return 0;
}

/* Bytes compared per step: the expected data is rebuilt into this much of
 * the scratch buffer, which stays in L1/L2 while the freshly read chunk is
 * compared against it (a whole-buffer regenerate-then-memcmp streams both
 * through memory). */
#define COMPARE_CHUNK (64u * 1024)

static void compare(struct engine *e, const struct erase_pass *p, unsigned pass, struct slot *s,
		    const uint8_t *buf, struct job_ranges *mism)
{
	unsigned sec = e->job->sector;
	size_t chunk = COMPARE_CHUNK < sec ? sec : COMPARE_CHUNK / sec * sec;

	for (size_t at = 0; at < s->len; at += chunk) {
		size_t n = s->len - at < chunk ? s->len - at : chunk;

		/* a constant pattern is filled once per pass and compared as is */
		if (fill(e, p, pass, e->scratch, &e->scratch_tag, s->off + at, n) < 0) {
			job_ranges_add(mism, s->off + at, s->len - at, EIO);
			return;
		}
		if (memcmp(buf + at, e->scratch, n) == 0)
			continue;
		for (size_t i = 0; i < n; i += sec) {
			if (memcmp(buf + at + i, e->scratch + i, sec) == 0)
				continue;
			job_ranges_add(mism, s->off + at + i, sec, 0);
			for (size_t b = 0; b < sec; b++)
				if (buf[at + i + b] != e->scratch[i + b]) {
					if (s->off + at + i + b < e->first_diff)
						e->first_diff = s->off + at + i + b;
					break;
				}
		}
	}
}

/* One request at a time for a chunk that failed: which sectors fail. */
static int narrow(struct engine *e, bool write, const struct erase_pass *p, unsigned pass,
		  const struct job_range *bad, struct job_ranges *errs, struct job_ranges *mism,
		  uint64_t *count)
{
	unsigned sec = e->job->sector;
	struct slot *s = &e->slots[0];

	for (uint64_t off = bad->offset; off < bad->offset + bad->length; off += sec) {
		int64_t res = -EIO;
		unsigned got;
		int r;

		s->off = off;
		s->len = sec;
		if (write && (r = fill(e, p, pass, e->bufs[0], &s->tag, off, sec)) < 0)
			return r;
		if (!write)
			s->tag = 0;
		for (unsigned t = 0; t < MAX_TRIES && res != (int64_t)sec; t++) {
			r = e->io->submit(e->ioctx, write, 0, sec, off);
			if (r < 0)
				return r;
			r = e->io->reap(e->ioctx, &got, &res);
			if (r < 0)
				return r;
		}
		if (res != (int64_t)sec) {
			if (target_gone(e, res))
				return -ENODEV;
			job_ranges_add(errs, off, sec, res < 0 ? (int)-res : EIO);
			continue;
		}
		*count += sec;
		if (!write)
			compare(e, p, pass, s, e->bufs[0], mism);
	}
	return 0;
}

/* Write pass `pass` over, or read it back from, the ranges at and after *pos.
 * *pos is the checkpoint: everything before it is done. */
static int stream(struct engine *e, bool write, unsigned pass, const struct sample_range *rg,
		  size_t nr, uint64_t *pos, struct job_ranges *errs, struct job_ranges *mism,
		  uint64_t *count)
{
	const struct erase_pass *p = &e->job->passes[pass].pattern;
	size_t ri = 0;
	uint64_t next;
	int r;

	while (ri < nr && rg[ri].offset + rg[ri].length <= *pos)
		ri++;
	next = ri < nr ? (rg[ri].offset > *pos ? rg[ri].offset : *pos) : *pos;
	e->n_bad = 0;
	e->thr_t0 = now_ns();
	e->thr_bytes = 0;

	for (;;) {
		while (!e->stopped && !e->giveup && ri < nr && e->inflight < e->n) {
			uint64_t end = rg[ri].offset + rg[ri].length;
			size_t len = end - next < e->bs ? (size_t)(end - next) : e->bs;
			unsigned i = 0;
			struct slot *s;

			while (e->slots[i].busy)
				i++;
			s = &e->slots[i];
			if (write && (r = fill(e, p, pass, e->bufs[i], &s->tag, next, len)) < 0)
				return r;
			if (!write)
				s->tag = 0;
			s->off = next;
			s->len = len;
			s->tries = 1;
			r = e->io->submit(e->ioctx, write, i, len, next);
			if (r < 0)
				return r;
			s->busy = true;
			e->inflight++;
			next += len;
			if (next == end && ++ri < nr)
				next = rg[ri].offset;
			throttle(e, len);
		}
		if (e->inflight == 0)
			break;

		{
			unsigned i;
			int64_t res;
			struct slot *s;

			r = e->io->reap(e->ioctx, &i, &res);
			if (r < 0)
				return r;
			if (i >= e->n || !e->slots[i].busy)
				return -EIO;
			s = &e->slots[i];
			if (res != (int64_t)s->len && (e->vanished || target_gone(e, res))) {
				/* not an error of the medium: keep the checkpoint below it */
				if (s->off < e->hold)
					e->hold = s->off;
			} else if (res != (int64_t)s->len) {
				if (s->tries++ < MAX_TRIES) {
					r = e->io->submit(e->ioctx, write, i, s->len, s->off);
					if (r < 0)
						return r;
					continue;
				}
				if (e->n_bad < ERASE_MAX_ERROR_CHUNKS)
					e->bad[e->n_bad++] = (struct job_range){ s->off, s->len,
										 res < 0 ? (int)-res : EIO };
				else {
					/* the device has gone or is dying: stop here */
					job_ranges_add(errs, s->off, s->len, res < 0 ? (int)-res : EIO);
					e->giveup = true;
				}
			} else {
				if (!write)
					compare(e, p, pass, s, e->bufs[i], mism);
				*count += s->len;
				e->done += s->len;
				e->phase_done += s->len;
			}
			s->busy = false;
			e->inflight--;
		}
		r = tick(e, write, pos, ri < nr ? next : (nr ? rg[nr - 1].offset + rg[nr - 1].length : 0));
		if (r < 0)
			return r;
	}

	if (e->vanished)
		return -ENODEV;
	if (e->stopped) {
		r = tick(e, write, pos, next);
		return r < 0 ? r : -ECANCELED;
	}
	for (size_t b = 0; b < e->n_bad; b++) {
		r = narrow(e, write, p, pass, &e->bad[b], errs, mism, count);
		if (r < 0)
			return r;
	}
	e->n_bad = 0;
	if (e->giveup && ri < nr) {
		/* what was never written or read is an error too */
		for (; ri < nr; ri++) {
			uint64_t end = rg[ri].offset + rg[ri].length;
			job_ranges_add(errs, next, end - next, ECANCELED);
			if (ri + 1 < nr)
				next = rg[ri + 1].offset;
		}
	}
	*pos = nr ? rg[nr - 1].offset + rg[nr - 1].length : *pos;
	return 0;
}

/* The detection layer's one libblkid probe: the same question list asked
 * before the wipe ("what is on it"), asked again after it ("what is left"). */
int erase_find_signatures(int fd, char **ret_found)
{
	struct disk_signature *sg = NULL;
	char *found = NULL;
	size_t n = 0;
	int r;

	r = disk_signatures_read(fd, &sg, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char *s;

		if (asprintf(&s, "%s%s%s", found ? found : "", found ? "," : "", sg[i].type) < 0) {
			r = -ENOMEM;
			break;
		}
		free(found);
		found = s;
	}
	disk_signatures_free(sg, n);
	if (r < 0) {
		free(found);
		return r;
	}
	*ret_found = found;
	return 0;
}

static bool verifies(const struct job *j, size_t pass)
{
	if (j->verify_only)
		return true; /* reading it back is all it does */
	switch (j->verify_mode) {
	case VERIFY_ALL:
		return true;
	case VERIFY_LAST:
	case VERIFY_SAMPLE:
		return pass + 1 == j->n_passes;
	default:
		return false;
	}
}

/* The job's failure for a read-back that did not match: where first. */
static void mismatch_failure(struct engine *e, const struct job_pass *p)
{
	struct job *j = e->job;
	char pat[16], *why = NULL;

	if (!p->mismatches.count) {
		job_fail(j, "read errors during verification");
		return;
	}
	if ((j->verify_only ? asprintf(&why, "the medium does not read back as %s everywhere: first difference at "
				       "byte %llu", erase_pass_describe(&p->pattern, pat, sizeof(pat)),
				       (unsigned long long)e->first_diff)
			    : asprintf(&why, "verification found data that was not written (first at byte %llu)",
				       (unsigned long long)e->first_diff)) < 0)
		why = NULL;
	job_fail(j, why ? why : "verification found data that was not written");
	free(why);
}

static void engine_release(struct engine *e)
{
	if (e->ioctx)
		e->io->close(e->ioctx);
	for (unsigned i = 0; e->bufs && i < e->n; i++)
		free(e->bufs[i]);
	free(e->bufs);
	free(e->slots);
	free(e->scratch);
	keystream_free(e->ks);
}

static int run_passes(struct engine *e, const struct sample_plan *plan, bool resumed)
{
	struct job *j = e->job;
	struct sample_range whole = { 0, j->size };
	bool first = true;
	int r;

	for (size_t i = 0; i < j->n_passes && !e->giveup; i++) {
		struct job_pass *p = &j->passes[i];

		if (p->state == PASS_DONE)
			continue;
		if (p->state == PASS_PENDING) {
			/* a verify-only pass writes nothing: straight to its read-back */
			p->state = j->verify_only ? PASS_WRITTEN : PASS_WRITING;
			p->started = time(NULL);
			p->written = p->verified = 0;
			save(e);
		} else if (p->state == PASS_WRITING && resumed && first && p->written > 0) {
			/* the part written before the interruption: prove it or write it again */
			struct sample_range pre = { 0, p->written };
			struct job_ranges errs = { 0 }, mism = { 0 };
			uint64_t pos = 0;

			set_phase(e, (unsigned)i, PHASE_REVERIFY, p->written);
			e->total += p->written;
			r = stream(e, false, (unsigned)i, &pre, 1, &pos, &errs, &mism, &p->bytes_read);
			free(errs.v);
			free(mism.v);
			if (r < 0)
				return r;
			if (errs.count || mism.count) {
				p->restarts++;
				e->done -= p->written;
				p->written = 0;
			}
			e->giveup = false;
			save(e);
		}
		first = false;
		if (p->state == PASS_WRITING) {
			uint64_t t0 = now_ns();

			set_phase(e, (unsigned)i, PHASE_WRITE, j->size - p->written);
			r = stream(e, true, (unsigned)i, &whole, 1, &p->written, &p->errors, NULL, &p->bytes_written);
			if (r < 0) {
				p->write_ms += (now_ns() - t0) / 1000000u;
				return r;
			}
			set_phase(e, (unsigned)i, PHASE_SYNC, 0);
			r = e->io->sync(e->ioctx);
			crash_point("pass-synced");
			p->write_ms += (now_ns() - t0) / 1000000u;
			if (r < 0 && target_gone(e, r))
				return -ENODEV;
			if (r < 0) {
				job_ranges_add(&p->errors, 0, j->size, -r);
				job_fail(j, "the device could not be synced after a pass");
			}
			if (p->errors.count)
				job_fail(j, "write errors");
			p->state = PASS_WRITTEN;
			save(e);
		}
		if (p->state == PASS_WRITTEN && verifies(j, i)) {
			p->state = PASS_VERIFYING;
			p->verified = 0;
			save(e);
		}
		if (p->state == PASS_VERIFYING) {
			const struct sample_range *rg = j->verify_mode == VERIFY_SAMPLE ? plan->ranges : &whole;
			size_t nr = j->verify_mode == VERIFY_SAMPLE ? plan->n : 1;
			uint64_t before = p->errors.count, t0 = now_ns();

			set_phase(e, (unsigned)i, PHASE_VERIFY,
				  j->verify_mode == VERIFY_SAMPLE ? plan->bytes : j->size - p->verified);
			if (!(j->device && strncmp(j->device, "/dev/", 5) == 0))
				posix_fadvise(e->fd, 0, 0, POSIX_FADV_DONTNEED); /* read the medium, not the cache */
			e->first_diff = UINT64_MAX;
			r = stream(e, false, (unsigned)i, rg, nr, &p->verified, &p->errors, &p->mismatches,
				   &p->bytes_read);
			p->verify_ms += (now_ns() - t0) / 1000000u;
			if (r < 0)
				return r;
			if (p->mismatches.count || p->errors.count > before) {
				p->verify = VRESULT_FAILED;
				mismatch_failure(e, p);
			} else {
				p->verify = VRESULT_PASSED;
			}
		}
		p->state = PASS_DONE;
		p->ended = time(NULL);
		save(e);
	}
	if (e->giveup)
		job_fail(j, "too many I/O errors: the wipe was abandoned");
	return 0;
}

/* Nobody watched the medium between the crash and this resume: what was
 * read back before cannot count. An interrupted read-back starts again
 * from the first byte, and the last pass, if it was already read back,
 * is read back whole again (docs/erase.md, "A crash never becomes
 * verified"). */
static void reread_after_resume(struct job *j)
{
	for (size_t i = 0; i < j->n_passes; i++) {
		struct job_pass *p = &j->passes[i];

		if (!verifies(j, i))
			continue;
		if (p->state == PASS_DONE && i + 1 == j->n_passes) {
			p->state = PASS_VERIFYING;
			p->verify = VRESULT_NONE;
		}
		if (p->state == PASS_VERIFYING)
			p->verified = 0;
	}
}

static uint64_t plan_total(const struct job *j, const struct sample_plan *plan)
{
	uint64_t t = 0;

	for (size_t i = 0; i < j->n_passes; i++) {
		t += j->verify_only ? 0 : j->size;
		if (verifies(j, i))
			t += j->verify_mode == VERIFY_SAMPLE ? plan->bytes : j->size;
	}
	return t;
}

static uint64_t plan_done(const struct job *j, const struct sample_plan *plan)
{
	uint64_t d = 0;

	for (size_t i = 0; i < j->n_passes; i++) {
		const struct job_pass *p = &j->passes[i];

		if (!j->verify_only)
			d += p->state >= PASS_WRITTEN ? j->size : p->written;
		if (p->state == PASS_DONE && verifies(j, i))
			d += j->verify_mode == VERIFY_SAMPLE ? plan->bytes : j->size;
		else if (p->state == PASS_VERIFYING && j->verify_mode != VERIFY_SAMPLE)
			d += p->verified;
	}
	return d;
}

/* Buffers (a whole number of sectors and pages, cache sized by default)
 * and the I/O backend. */
static int engine_open(struct engine *e)
{
	const struct job *j = e->job;
	size_t align = j->sector > 4096 ? j->sector : 4096;
	struct stat st;
	int r;

	e->bs = e->o->block_size ? e->o->block_size : ERASE_DEFAULT_BLOCK;
	e->bs = (e->bs + align - 1) / align * align;
	if (e->bs > (64u << 20))
		return -EINVAL;
	e->n = e->o->depth ? e->o->depth : ERASE_DEFAULT_DEPTH;
	if (e->n > 256)
		return -EINVAL;
	e->bufs = calloc(e->n, sizeof(*e->bufs));
	e->slots = calloc(e->n, sizeof(*e->slots));
	if (!e->bufs || !e->slots || posix_memalign((void **)&e->scratch, align, e->bs) != 0) {
		e->scratch = NULL;
		return -ENOMEM;
	}
	for (unsigned i = 0; i < e->n; i++)
		if (posix_memalign((void **)&e->bufs[i], align, e->bs) != 0) {
			e->bufs[i] = NULL;
			return -ENOMEM;
		}
	e->blockdev = fstat(e->fd, &st) == 0 && S_ISBLK(st.st_mode);
	e->io = e->o->io ? e->o->io : &erase_io_uring;
	r = e->io->open(e->fd, e->bufs, e->n, e->bs, &e->ioctx);
	if (r < 0 && !e->o->io) {
		e->io = &erase_io_sync; /* io_uring forbidden here (seccomp, old kernel) */
		r = e->io->open(e->fd, e->bufs, e->n, e->bs, &e->ioctx);
	}
	if (r < 0) {
		e->ioctx = NULL;
		return r;
	}
	return job_set(&e->job->backend, e->io->name);
}

/* The sample seed, from the job's seed: the same samples on every resume. */
static void derive_sample_seed(struct job *j)
{
	static const uint8_t label[] = "wipecert sample";
	uint8_t h[8];

	crypto_generichash(h, sizeof(h), label, sizeof(label) - 1, j->seed, ERASE_SEED_BYTES);
	j->sample_seed = 0;
	for (int i = 0; i < 8; i++)
		j->sample_seed |= (uint64_t)h[i] << (8 * i);
	j->sample_seed &= (1ull << 53) - 1; /* exact in every JSON reader */
}

/* After the passes: the sampled hash, what libblkid still finds, and the
 * verdict: succeeded only if every pass was written and verified. -ENODEV
 * when the target went away before the end (the job stays resumable). */
static int finish(struct engine *e, const struct sample_plan *plan)
{
	struct job *j = e->job;
	bool ok;
	int r;

	if (j->verify_mode == VERIFY_SAMPLE && j->state == JOB_RUNNING) {
		r = sample_hash_fd(e->fd, plan, j->sample_hash);
		if (r < 0 && target_gone(e, r))
			return -ENODEV;
		if (r < 0)
			job_fail(j, "the sampled ranges could not be read for hashing");
	}
	set_phase(e, (unsigned)j->n_passes - 1, PHASE_CHECK, 0);
	free(j->signatures_found);
	j->signatures_found = NULL;
	r = erase_find_signatures(e->fd, &j->signatures_found);
	if (r < 0 && target_gone(e, r))
		return -ENODEV;
	j->signatures_checked = r >= 0;
	if (r < 0)
		job_fail(j, "libblkid could not check the device for signatures");
	else if (j->signatures_found)
		job_fail(j, "libblkid still finds a signature");

	ok = j->state == JOB_RUNNING;
	for (size_t i = 0; i < j->n_passes; i++) {
		const struct job_pass *p = &j->passes[i];

		if (p->state != PASS_DONE || p->errors.count || p->mismatches.count ||
		    (verifies(j, i) && p->verify != VRESULT_PASSED))
			ok = false;
	}
	if (ok)
		j->state = JOB_SUCCEEDED;
	else
		job_fail(j, "not every pass was written and verified");
	j->ended = time(NULL);
	set_phase(e, (unsigned)j->n_passes - 1, PHASE_DONE, 0);
	return save(e);
}

int erase_run(struct job *j, int fd, const struct erase_opts *opts)
{
	static const struct erase_opts defaults = { 0 };
	struct engine e = { .job = j, .fd = fd, .o = opts ? opts : &defaults, .ks_pass = -1, .hold = UINT64_MAX,
			    .first_diff = UINT64_MAX };
	struct sample_plan plan = { 0 };
	bool resumed;
	int r;

	if (!j || fd < 0 || j->sector < 512 || j->size < j->sector || j->size % j->sector)
		return -EINVAL;
	if (j->state != JOB_RUNNING)
		return -EALREADY;
	if (sodium_init() < 0)
		return -ENOSYS;
	r = engine_open(&e);
	if (r < 0)
		goto out;
	derive_sample_seed(j);
	if (j->verify_mode == VERIFY_SAMPLE) {
		r = sample_plan_make(j->size, j->sector, j->sample_percent, j->sample_seed, &plan);
		if (r < 0)
			goto out;
		j->sample_bytes = plan.bytes;
	}
	resumed = j->started != 0;
	if (resumed) {
		j->resumes++;
		reread_after_resume(j);
	} else {
		j->started = time(NULL);
	}
	e.total = plan_total(j, &plan);
	e.done = e.tick_done = plan_done(j, &plan);
	e.t_tick = e.t_ckpt = now_ns();
	r = save(&e);
	if (r < 0)
		goto out;
	r = run_passes(&e, &plan, resumed);
	if (r >= 0) {
		r = finish(&e, &plan);
		if (r != -ENODEV)
			goto out;
	}
	/* the engine itself could not go on, or the target went away: keep
	 * it resumable from the last checkpoint */
	if (r != -ECANCELED)
		save(&e);
out:
	sample_plan_release(&plan);
	engine_release(&e);
	return r;
}
