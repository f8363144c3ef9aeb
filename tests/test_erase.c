/* test_erase.c - the overwrite engine on image files: every method leaves
 * exactly its last pattern, verification catches a flipped byte, injected
 * I/O errors fail the job with their range, an interrupted job resumes. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "helpers.h"
#include "wipecert/erase.h"
#include "wipecert/job.h"
#include "wipecert/util.h"

#define IMG_SIZE (3u << 20)
static const char marker[] = "WIPECERT-MARKER!";

#define fixture test_image

static void fill_marker(uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)marker[i % 16];
}

static int setup(void **state)
{
	*state = test_image_new(IMG_SIZE, fill_marker);
	return 0;
}

static int teardown(void **state)
{
	test_image_free(*state);
	return 0;
}

static int open_img(struct fixture *f)
{
	int fd = open(f->img, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* The image holds exactly what the last pass of the job writes. */
static void assert_final_pattern(struct fixture *f, const struct job *j)
{
	const struct erase_pass *p = &j->passes[j->n_passes - 1].pattern;
	size_t len;
	uint8_t *data, *want = malloc(IMG_SIZE);
	struct keystream *ks = NULL;

	assert_int_equal(read_full_file(f->img, &data, &len), 0);
	assert_int_equal(len, IMG_SIZE);
	assert_null(memmem(data, len, marker, 16));
	assert_int_equal(keystream_new(j->seed, (unsigned)j->n_passes - 1, &ks), 0);
	assert_int_equal(erase_pattern_fill(p, ks, 0, want, IMG_SIZE), 0);
	assert_memory_equal(data, want, IMG_SIZE);
	keystream_free(ks);
	free(data);
	free(want);
}

static void test_methods_table(void **state)
{
	static const struct { const char *name; unsigned n; } want[] = {
		{ "zero", 1 }, { "one", 1 }, { "random", 1 }, { "dod-short", 3 }, { "dod", 7 },
		{ "gutmann", 35 }, { "hmg-is5", 3 }, { "rcmp-ops2", 7 }, { "schneier", 7 }, { "vsitr", 7 },
		{ "bmb21", 6 }, { "verify-zero", 1 }, { "verify-one", 1 },
	};
	const struct erase_method *g = erase_method_find("gutmann");
	enum erase_verify v;
	char buf[16];

	(void)state;
	assert_int_equal(erase_n_methods, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct erase_method *m = erase_method_find(want[i].name);
		assert_non_null(m);
		assert_int_equal(m->n_passes, want[i].n);
	}
	assert_null(erase_method_find("Zero"));
	assert_null(erase_method_find("dod-"));
	assert_null(erase_method_find("verify")); /* no prefix of a name or an alias */
	assert_null(erase_method_find("dodshor"));
	assert_true(erase_method_find("verify-zero")->verify_only);
	assert_false(erase_method_find("zero")->verify_only);
	assert_string_equal(erase_pass_describe(&g->passes[6], buf, sizeof(buf)), "924924");
	assert_string_equal(erase_pass_describe(&g->passes[0], buf, sizeof(buf)), "random");
	assert_int_equal(erase_verify_from_string("sample", &v), 0);
	assert_int_equal(v, VERIFY_SAMPLE);
	assert_int_equal(erase_verify_from_string("some", &v), -EINVAL);
}

/* Each nwipe name is the very method of its wipecert name (the same
 * passes, in the same order), and names no second method. */
static void test_method_aliases(void **state)
{
	static const struct { const char *nwipe, *ours; } want[] = {
		{ "dod522022m", "dod" }, { "dod", "dod" }, { "dodshort", "dod-short" }, { "dod3pass", "dod-short" },
		{ "gutmann", "gutmann" }, { "ops2", "rcmp-ops2" }, { "random", "random" }, { "prng", "random" },
		{ "stream", "random" }, { "zero", "zero" }, { "quick", "zero" }, { "one", "one" },
		{ "verify_zero", "verify-zero" }, { "verify_one", "verify-one" }, { "is5enh", "hmg-is5" },
		{ "bruce7", "schneier" }, { "bmb", "bmb21" },
	};
	size_t listed = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct erase_method *a = erase_method_find(want[i].nwipe), *m = erase_method_find(want[i].ours);

		assert_non_null(a);
		assert_non_null(m);
		assert_ptr_equal(a, m);
		assert_string_equal(a->name, want[i].ours); /* jobs and records carry our name */
		assert_int_equal(a->n_passes, m->n_passes);
		assert_memory_equal(a->passes, m->passes, m->n_passes * sizeof(*m->passes));
		assert_int_equal(a->verify_only, m->verify_only);
	}
	/* every alias of the table is one of nwipe's, and none is a name of ours */
	for (size_t i = 0; i < erase_n_method_aliases; i++) {
		bool found = false;

		for (size_t k = 0; k < erase_n_methods; k++)
			assert_string_not_equal(erase_method_aliases[i].alias, erase_methods[k].name);
		for (size_t k = 0; k < ARRAY_SIZE(want); k++)
			found = found || streq(want[k].nwipe, erase_method_aliases[i].alias);
		assert_true(found);
		listed++;
	}
	assert_int_equal(listed, erase_n_method_aliases);
	/* the verify-only passes are the patterns they read back */
	assert_memory_equal(erase_method_find("verify_zero")->passes, erase_method_find("zero")->passes,
			    sizeof(struct erase_pass));
	assert_memory_equal(erase_method_find("verify_one")->passes, erase_method_find("one")->passes,
			    sizeof(struct erase_pass));
}

static void test_patterns(void **state)
{
	const struct erase_pass p3 = { PATTERN_BYTES, 3, { 0x92, 0x49, 0x24 } }, rnd = { PATTERN_RANDOM };
	uint8_t seed[ERASE_SEED_BYTES] = { 1 }, a[65536], b[4096];
	struct keystream *ks, *ks2;

	(void)state;
	/* 3-byte patterns keep their phase to the device offset */
	assert_int_equal(erase_pattern_fill(&p3, NULL, 4096, b, 7), 0);
	assert_int_equal(b[0], 0x49); /* 4096 % 3 == 1 */
	assert_int_equal(b[1], 0x24);
	assert_int_equal(b[2], 0x92);
	assert_int_equal(b[6], 0x49);
	assert_int_equal(erase_pattern_fill(&p3, NULL, 0, a, sizeof(a)), 0);
	for (size_t i = 0; i < sizeof(a); i++)
		assert_int_equal(a[i], p3.bytes[i % 3]);

	/* the keystream can be regenerated at any offset */
	assert_int_equal(keystream_new(seed, 3, &ks), 0);
	assert_int_equal(erase_pattern_fill(&rnd, ks, 0, a, sizeof(a)), 0);
	assert_int_equal(erase_pattern_fill(&rnd, ks, 8192, b, sizeof(b)), 0);
	assert_memory_equal(a + 8192, b, sizeof(b));
	assert_int_equal(keystream_fill(ks, 8, b, 16), -EINVAL);
	/* another pass, another stream */
	assert_int_equal(keystream_new(seed, 4, &ks2), 0);
	assert_int_equal(keystream_fill(ks2, 8192, b, sizeof(b)), 0);
	assert_memory_not_equal(a + 8192, b, sizeof(b));
	keystream_free(ks);
	keystream_free(ks2);

	/* the stream is fixed for good (old jobs are resumed and verified with
	 * it): computed apart with Python's blake2b and `openssl enc -aes-256-ctr`:
	 * key = BLAKE2b-256(key = seed 00..1f, "wipecert pass\0" || le32(2)),
	 * counter block 4 = offset 64 */
	{
		static const char want[] = "87d8d219214ece97d0aa02b7c335cf9fe324c91a6aeefcad4c0ca50202c8bf19";
		uint8_t s2[ERASE_SEED_BYTES], got[32];
		char hex[65];

		for (int i = 0; i < ERASE_SEED_BYTES; i++)
			s2[i] = (uint8_t)i;
		assert_int_equal(keystream_new(s2, 2, &ks), 0);
		assert_int_equal(keystream_fill(ks, 64, got, sizeof(got)), 0);
		hex_encode(got, sizeof(got), hex);
		assert_string_equal(hex, want);
		keystream_free(ks);
	}
}

/* The stream, whichever way it is computed (VAES or EVP, see keystream.c),
 * equals AES-256-CTR by EVP at offsets and lengths that hit the 256-byte
 * vector loop, the single blocks and a partial last block. */
static void test_keystream_matches_evp(void **state)
{
	static const uint8_t label[] = "wipecert pass";
	static const struct { uint64_t off; size_t len; } cases[] = {
		{ 0, 65536 }, { 16, 4096 }, { 4080, 300 }, { 1u << 20, 255 }, { 48, 17 },
		{ 0xfffffffe0ull, 1024 }, /* the low 32-bit counter word carries */
		{ (1ull << 40) + 4096, 513 }, { 512, 0 }, { 256, 7 },
	};
	uint8_t seed[ERASE_SEED_BYTES], msg[sizeof(label) + 4], key[32];
	static uint8_t got[65536 + 16], want[65536], zeros[4096];
	const unsigned pass = 5;

	(void)state;
	for (int i = 0; i < ERASE_SEED_BYTES; i++)
		seed[i] = (uint8_t)(0xa5 ^ i);
	memcpy(msg, label, sizeof(label));
	for (int i = 0; i < 4; i++)
		msg[sizeof(label) + i] = (uint8_t)(pass >> (8 * i));
	crypto_generichash(key, 32, msg, sizeof(msg), seed, ERASE_SEED_BYTES);

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
		uint8_t iv[16] = { 0 };
		struct keystream *ks;
		int outl;

		for (int i = 0; i < 8; i++)
			iv[15 - i] = (uint8_t)((cases[c].off / 16) >> (8 * i));
		assert_non_null(ctx);
		assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, key, iv), 1);
		for (size_t d = 0; d < cases[c].len; d += (size_t)outl) {
			size_t n = cases[c].len - d < sizeof(zeros) ? cases[c].len - d : sizeof(zeros);

			assert_int_equal(EVP_EncryptUpdate(ctx, want + d, &outl, zeros, (int)n), 1);
		}
		EVP_CIPHER_CTX_free(ctx);
		memset(got, 0x5a, sizeof(got));
		assert_int_equal(keystream_new(seed, pass, &ks), 0);
		assert_int_equal(keystream_fill(ks, cases[c].off, got, cases[c].len), 0);
		keystream_free(ks);
		assert_memory_equal(got, want, cases[c].len);
		assert_int_equal(got[cases[c].len], 0x5a); /* nothing written past len */
	}
}

static void run_method(struct fixture *f, const char *name, enum erase_verify v,
		       const struct erase_io_ops *io)
{
	struct erase_opts o = { .block_size = 256 << 10, .depth = 4, .io = io, .store = &f->store };
	struct job *j = NULL;
	int fd = open_img(f);

	assert_int_equal(job_new(erase_method_find(name), v, 10, f->img, IMG_SIZE, 512, &j), 0);
	assert_int_equal(erase_run(j, fd, &o), 0);
	if (j->state != JOB_SUCCEEDED)
		fail_msg("%s: %s", name, j->failure);
	assert_null(j->failure);
	assert_true(j->signatures_checked);
	for (size_t i = 0; i < j->n_passes; i++) {
		assert_int_equal(j->passes[i].state, PASS_DONE);
		assert_int_equal(j->passes[i].written, IMG_SIZE);
		assert_int_equal(j->passes[i].errors.count, 0);
	}
	assert_int_equal(j->passes[j->n_passes - 1].verify, v == VERIFY_OFF ? VRESULT_NONE : VRESULT_PASSED);
	assert_final_pattern(f, j);
	/* the job ended cannot run again */
	assert_int_equal(erase_run(j, fd, &o), -EALREADY);
	close(fd);
	job_free(j);
}

static void test_every_method(void **state)
{
	struct fixture *f = *state;

	uint8_t *data = malloc(IMG_SIZE);

	fill_marker(data, IMG_SIZE);
	for (size_t i = 0; i < erase_n_methods; i++) {
		int fd;

		if (erase_methods[i].verify_only)
			continue; /* they write nothing: test_verify_only */
		fd = open_img(f);
		/* the marker again before each method */
		assert_int_equal(pwrite(fd, data, IMG_SIZE, 0), IMG_SIZE);
		close(fd);
		run_method(f, erase_methods[i].name, i % 2 ? VERIFY_ALL : VERIFY_LAST,
			   i % 3 ? &erase_io_uring : &erase_io_sync);
	}
	run_method(f, "random", VERIFY_SAMPLE, NULL);
	free(data);
}

/* ---- a byte changed behind the engine's back between pass and verify ---- */

struct flip {
	const char *path;
	uint64_t off;
	int done;
};

static int flip_before_verify(const struct erase_progress *p, void *userdata)
{
	struct flip *fl = userdata;

	if (p->phase == PHASE_VERIFY && p->phase_start && !fl->done) {
		int fd = open(fl->path, O_RDWR | O_CLOEXEC);
		uint8_t b;

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &b, 1, (off_t)fl->off), 1);
		b ^= 0x01;
		assert_int_equal(pwrite(fd, &b, 1, (off_t)fl->off), 1);
		assert_int_equal(fdatasync(fd), 0);
		close(fd);
		fl->done = 1;
	}
	return 0;
}

static void flipped(struct fixture *f, enum erase_verify v, uint64_t off)
{
	struct flip fl = { f->img, off, 0 };
	struct erase_opts o = { .block_size = 128 << 10, .depth = 4, .store = &f->store,
				.progress = flip_before_verify, .userdata = &fl };
	struct job *j;
	const struct job_pass *p;
	int fd = open_img(f);

	assert_int_equal(job_new(erase_method_find("random"), v, 10, f->img, IMG_SIZE, 512, &j), 0);
	assert_int_equal(erase_run(j, fd, &o), 0);
	assert_int_equal(fl.done, 1);
	assert_int_equal(j->state, JOB_FAILED);
	assert_non_null(j->failure);
	p = &j->passes[0];
	assert_int_equal(p->verify, VRESULT_FAILED);
	assert_int_equal(p->mismatches.count, 1);
	assert_int_equal(p->mismatches.v[0].offset, off / 512 * 512);
	assert_int_equal(p->mismatches.v[0].length, 512);
	close(fd);
	job_free(j);
}

static void test_flipped_byte(void **state)
{
	struct fixture *f = *state;

	flipped(f, VERIFY_LAST, 1234567);
	/* the read-back covers the whole disk: its first byte, the second
	 * half, and the very last byte (a verify that stops early or reads
	 * only part of the disk misses these) */
	flipped(f, VERIFY_LAST, 0);
	flipped(f, VERIFY_LAST, IMG_SIZE / 2 + 777777);
	flipped(f, VERIFY_LAST, IMG_SIZE - 1);
	flipped(f, VERIFY_ALL, IMG_SIZE - 1);
	flipped(f, VERIFY_SAMPLE, 3); /* the first block is always in the sample */
}

/* ---- fault injection through the I/O layer ---- */

struct faulty {
	void *inner;
	uint64_t bad_off, bad_len;
	int transient; /* fail this many times, then work */
	int failures;
};
static struct faulty faults;

static int faulty_open(int fd, uint8_t *const *bufs, unsigned n, size_t buflen, void **ret_ctx)
{
	faults.failures = 0;
	*ret_ctx = &faults;
	return erase_io_sync.open(fd, bufs, n, buflen, &faults.inner);
}

static int faulty_submit(void *ctx, bool write, unsigned slot, size_t len, uint64_t off)
{
	struct faulty *c = ctx;

	if (write && off < c->bad_off + c->bad_len && c->bad_off < off + len &&
	    (c->transient == 0 || c->failures < c->transient)) {
		c->failures++;
		/* a zero-length read queues a result of 0, which reap turns into -EIO */
		return erase_io_sync.submit(c->inner, false, slot, 0, off);
	}
	return erase_io_sync.submit(c->inner, write, slot, len, off);
}

static int faulty_reap(void *ctx, unsigned *ret_slot, int64_t *ret_res)
{
	struct faulty *c = ctx;
	int r = erase_io_sync.reap(c->inner, ret_slot, ret_res);

	if (r >= 0 && *ret_res == 0)
		*ret_res = -EIO;
	return r;
}

static int faulty_sync(void *ctx)
{
	return erase_io_sync.sync(((struct faulty *)ctx)->inner);
}

static void faulty_close(void *ctx)
{
	erase_io_sync.close(((struct faulty *)ctx)->inner);
}

static const struct erase_io_ops faulty_io = {
	"faulty", faulty_open, faulty_submit, faulty_reap, faulty_sync, faulty_close,
};

static void test_injected_eio(void **state)
{
	struct fixture *f = *state;
	struct erase_opts o = { .block_size = 64 << 10, .depth = 4, .io = &faulty_io, .store = &f->store };
	struct job *j, *back;
	const struct job_pass *p;
	int fd = open_img(f);

	/* two bad sectors in the middle of a 64 KiB request: only they are recorded */
	faults = (struct faulty){ .bad_off = 1048576 + 4096, .bad_len = 1024 };
	assert_int_equal(job_new(erase_method_find("zero"), VERIFY_LAST, 10, f->img, IMG_SIZE, 512, &j), 0);
	assert_int_equal(erase_run(j, fd, &o), 0);
	assert_int_equal(j->state, JOB_FAILED);
	assert_non_null(j->failure);
	p = &j->passes[0];
	assert_int_equal(p->errors.count, 1);
	assert_int_equal(p->errors.v[0].offset, 1048576 + 4096);
	assert_int_equal(p->errors.v[0].length, 1024);
	assert_int_equal(p->errors.v[0].err, EIO);
	/* the record says so on disk too */
	assert_int_equal(job_store_load(&f->store, j->id, &back), 0);
	assert_int_equal(back->state, JOB_FAILED);
	assert_int_equal(back->passes[0].errors.count, 1);
	assert_int_equal(back->passes[0].errors.v[0].offset, 1048576 + 4096);
	assert_int_equal(back->passes[0].errors.v[0].err, EIO);
	job_free(back);
	job_free(j);

	/* a transient error is retried and leaves no trace but success */
	faults = (struct faulty){ .bad_off = 0, .bad_len = 512, .transient = 2 };
	assert_int_equal(job_new(erase_method_find("one"), VERIFY_LAST, 10, f->img, IMG_SIZE, 512, &j), 0);
	assert_int_equal(erase_run(j, fd, &o), 0);
	assert_int_equal(faults.failures, 2);
	assert_int_equal(j->state, JOB_SUCCEEDED);
	job_free(j);

	/* a dead device: every write fails, the job gives up and fails */
	faults = (struct faulty){ .bad_off = 0, .bad_len = IMG_SIZE };
	assert_int_equal(job_new(erase_method_find("zero"), VERIFY_LAST, 10, f->img, IMG_SIZE, 512, &j), 0);
	assert_int_equal(erase_run(j, fd, &o), 0);
	assert_int_equal(j->state, JOB_FAILED);
	assert_int_equal(j->passes[0].errors.bytes, IMG_SIZE);
	job_free(j);
	close(fd);
}

/* ---- the target pulled out mid-wipe ---- */

struct puller {
	uint64_t since;  /* now_ns() of the first failed request, 0 before */
	uint64_t delay;  /* the kernel deletes the disk this long after */
};
static struct puller pull;

static int pulled_submit(void *ctx, bool write, unsigned slot, size_t len, uint64_t off)
{
	/* from bad_off on, the device answers nothing any more */
	if (off + len > faults.bad_off) {
		if (!pull.since)
			pull.since = now_ns();
		return erase_io_sync.submit(((struct faulty *)ctx)->inner, false, slot, 0, off);
	}
	return erase_io_sync.submit(((struct faulty *)ctx)->inner, write, slot, len, off);
}

static const struct erase_io_ops pulled_io = {
	"pulled", faulty_open, pulled_submit, faulty_reap, faulty_sync, faulty_close,
};

static bool pulled_gone(int fd, void *userdata)
{
	(void)fd;
	(void)userdata;
	return pull.since && now_ns() - pull.since >= pull.delay;
}

/* A disk pulled mid-pass ends the job resumable: -ENODEV, still running,
 * no error recorded for what failed as it went, the checkpoint below the
 * failure; back in, it resumes and succeeds. Also when the kernel deletes
 * the disk a moment after the first failed request. */
static void vanished(struct fixture *f, uint64_t delay)
{
	struct erase_opts o = { .block_size = 64 << 10, .depth = 4, .io = &pulled_io, .store = &f->store,
				.checkpoint_ms = 1, .gone = pulled_gone };
	struct job *j, *r;
	int fd = open_img(f);
	char *id;

	faults = (struct faulty){ .bad_off = 2u << 20 };
	pull = (struct puller){ .delay = delay };
	assert_int_equal(job_new(erase_method_find("dod-short"), VERIFY_LAST, 10, f->img, IMG_SIZE, 512, &j), 0);
	id = strdup(j->id);
	assert_int_equal(erase_run(j, fd, &o), -ENODEV);
	assert_int_equal(j->state, JOB_RUNNING);
	job_free(j);

	assert_int_equal(job_store_load(&f->store, id, &r), 0);
	assert_int_equal(r->state, JOB_RUNNING);
	assert_null(r->failure);
	assert_int_equal(r->passes[0].state, PASS_WRITING);
	assert_int_equal(r->passes[0].errors.count, 0);
	assert_true(r->passes[0].written <= 2u << 20);
	/* back in the bay: the same job goes on and ends verified */
	o.io = &erase_io_sync;
	o.gone = NULL;
	assert_int_equal(erase_run(r, fd, &o), 0);
	assert_int_equal(r->state, JOB_SUCCEEDED);
	assert_int_equal(r->resumes, 1);
	assert_final_pattern(f, r);
	job_free(r);
	free(id);
	close(fd);
}

static void test_vanished(void **state)
{
	vanished(*state, 0);
	vanished(*state, 300000000); /* sysfs says so 0.3 s after the first EIO */
}

/* ---- interrupted, then resumed ---- */

struct stopper {
	unsigned pass;
	uint64_t after;
	struct fixture *f;
	bool corrupt; /* change a byte of the part already written */
};

static int stop_mid_pass(const struct erase_progress *p, void *userdata)
{
	struct stopper *s = userdata;

	if (p->pass == s->pass && p->phase == PHASE_WRITE && p->phase_done >= s->after)
		return -1;
	return 0;
}

static void interrupted(struct fixture *f, bool corrupt)
{
	struct stopper s = { 1, 1u << 20, f, corrupt };
	struct erase_opts o = { .block_size = 64 << 10, .depth = 2, .io = &erase_io_sync,
				.progress_ms = 1, .max_rate = 32u << 20, .store = &f->store,
				.progress = stop_mid_pass, .userdata = &s };
	struct job *j, *r;
	int fd = open_img(f);
	char *id;

	assert_int_equal(job_new(erase_method_find("dod-short"), VERIFY_LAST, 10, f->img, IMG_SIZE, 512, &j), 0);
	id = strdup(j->id);
	assert_int_equal(erase_run(j, fd, &o), -ECANCELED);
	job_free(j); /* as if killed: only the store is left */

	assert_int_equal(job_store_load(&f->store, id, &r), 0);
	assert_int_equal(r->state, JOB_RUNNING);
	assert_int_equal(r->passes[0].state, PASS_DONE);
	assert_int_equal(r->passes[1].state, PASS_WRITING);
	assert_true(r->passes[1].written >= 1u << 20);
	assert_true(r->passes[1].written < IMG_SIZE);
	if (corrupt) {
		assert_int_equal(pwrite(fd, "x", 1, 100), 1);
		assert_int_equal(fdatasync(fd), 0);
	}
	o.progress = NULL;
	o.max_rate = 0;
	assert_int_equal(erase_run(r, fd, &o), 0);
	assert_int_equal(r->state, JOB_SUCCEEDED);
	assert_int_equal(r->resumes, 1);
	assert_int_equal(r->passes[1].restarts, corrupt ? 1 : 0);
	assert_final_pattern(f, r);
	close(fd);
	job_free(r);
	free(id);
}

static void test_resume(void **state)
{
	interrupted(*state, false);
	interrupted(*state, true);
}

/* a gutmann job on a 4K-sector disk with an error range (two adjacent
 * errors merge into one) and its record, public and secret */
static struct job *record_job(json_t **pub, json_t **sec)
{
	struct job *j;

	assert_int_equal(job_new(erase_method_find("gutmann"), VERIFY_SAMPLE, 5, "/dev/loop7", 1 << 20, 4096, &j), 0);
	job_set(&j->serial, "S3Z9NB0K");
	job_ranges_add(&j->passes[2].errors, 4096, 4096, EIO);
	job_ranges_add(&j->passes[2].errors, 8192, 4096, EIO); /* merges */
	assert_int_equal(j->passes[2].errors.n, 1);
	*pub = job_to_json(j, false);
	*sec = job_to_json(j, true);
	return j;
}

/* the published record has no seed, only its commitment: it cannot be resumed */
static void test_job_record_public_form_has_no_seed(void **state)
{
	struct job *j, *back;
	json_t *pub, *sec;

	(void)state;
	j = record_job(&pub, &sec);
	assert_null(json_object_get(pub, "seed"));
	assert_non_null(json_object_get(sec, "seed"));
	assert_int_equal(strlen(json_string_value(json_object_get(pub, "seed_commitment"))), 64);
	assert_int_equal(job_from_json(pub, &back), -EINVAL);
	json_decref(pub);
	json_decref(sec);
	job_free(j);
}

/* the job file reads back as the job that was written */
static void test_job_record_round_trip(void **state)
{
	struct job *j, *back;
	json_t *pub, *sec;

	(void)state;
	j = record_job(&pub, &sec);
	assert_int_equal(job_from_json(sec, &back), 0);
	assert_string_equal(back->serial, "S3Z9NB0K");
	assert_int_equal(back->sector, 4096);
	assert_int_equal(back->n_passes, 35);
	assert_int_equal(back->verify_mode, VERIFY_SAMPLE);
	assert_int_equal(back->sample_percent, 5);
	assert_memory_equal(back->seed, j->seed, ERASE_SEED_BYTES);
	assert_int_equal(back->passes[2].errors.v[0].length, 8192);
	assert_int_equal(back->passes[2].errors.v[0].err, EIO);
	job_free(back);
	json_decref(pub);
	json_decref(sec);
	job_free(j);
}

/* a seed changed in the job file does not match its commitment */
static void test_job_seed_must_match_its_commitment(void **state)
{
	struct job *j, *back;
	json_t *pub, *sec;

	(void)state;
	j = record_job(&pub, &sec);
	json_object_set_new(sec, "seed", json_string("00000000000000000000000000000000"
						       "00000000000000000000000000000000"));
	assert_int_equal(job_from_json(sec, &back), -EINVAL);
	json_decref(pub);
	json_decref(sec);
	job_free(j);
}

/* ---- verify-only methods and rounds ---- */

static void run_verify_only(struct fixture *f, const char *name, uint8_t fill, uint64_t odd_off)
{
	struct erase_opts o = { .block_size = 128 << 10, .depth = 4, .store = &f->store };
	uint8_t *before = malloc(IMG_SIZE), *after;
	struct job *j;
	size_t len;
	char want[96];
	int fd = open_img(f);

	memset(before, fill, IMG_SIZE);
	if (odd_off != UINT64_MAX)
		before[odd_off] ^= 0x10;
	assert_int_equal(pwrite(fd, before, IMG_SIZE, 0), IMG_SIZE);
	assert_int_equal(job_new(erase_method_find(name), VERIFY_LAST, 10, f->img, IMG_SIZE, 512, &j), 0);
	assert_true(j->verify_only);
	assert_int_equal(erase_run(j, fd, &o), 0);
	assert_int_equal(j->passes[0].bytes_written, 0);
	assert_int_equal(j->passes[0].bytes_read, IMG_SIZE);
	if (odd_off == UINT64_MAX) {
		assert_int_equal(j->state, JOB_SUCCEEDED);
		assert_int_equal(job_result(j), JOB_RESULT_VERIFIED_ONLY);
		assert_string_equal(job_result_to_string(job_result(j)), "verified-only");
	} else {
		assert_int_equal(j->state, JOB_FAILED);
		assert_int_equal(j->passes[0].verify, VRESULT_FAILED);
		assert_int_equal(j->passes[0].mismatches.v[0].offset, odd_off / 512 * 512);
		snprintf(want, sizeof(want), "first difference at byte %llu", (unsigned long long)odd_off);
		assert_non_null(strstr(j->failure, want));
	}
	/* not one byte written */
	assert_int_equal(read_full_file(f->img, &after, &len), 0);
	assert_int_equal(len, IMG_SIZE);
	assert_memory_equal(after, before, IMG_SIZE);
	{
		json_t *pub = job_to_json(j, false);

		assert_true(json_is_true(json_object_get(pub, "verify_only")));
		json_decref(pub);
	}
	free(after);
	free(before);
	close(fd);
	job_free(j);
}

static void test_verify_only(void **state)
{
	struct fixture *f = *state;
	struct job *j;

	run_verify_only(f, "verify-zero", 0x00, UINT64_MAX);
	run_verify_only(f, "verify-one", 0xff, UINT64_MAX);
	run_verify_only(f, "verify_zero", 0x00, 2 * 1024 * 1024 + 77);
	run_verify_only(f, "verify-one", 0xff, IMG_SIZE - 1);
	/* its read-back is the method: no --verify off, no sample, no rounds */
	assert_int_equal(job_new(erase_method_find("verify-zero"), VERIFY_OFF, 10, f->img, IMG_SIZE, 512, &j), -EINVAL);
	assert_int_equal(job_new(erase_method_find("verify-zero"), VERIFY_SAMPLE, 10, f->img, IMG_SIZE, 512, &j), -EINVAL);
	assert_int_equal(job_new(erase_method_find("verify-zero"), VERIFY_ALL, 10, f->img, IMG_SIZE, 512, &j), 0);
	assert_int_equal(job_set_rounds(j, 2), -EINVAL);
	job_free(j);
}

static void test_rounds(void **state)
{
	struct fixture *f = *state;
	struct erase_opts o = { .block_size = 256 << 10, .depth = 4, .store = &f->store };
	struct job *j, *back;
	json_t *sec;
	int fd = open_img(f);

	assert_int_equal(job_new(erase_method_find("dod-short"), VERIFY_ALL, 10, f->img, IMG_SIZE, 512, &j), 0);
	assert_int_equal(job_set_rounds(j, 0), -EINVAL);
	assert_int_equal(job_set_rounds(j, 334), -EINVAL); /* 1002 passes */
	assert_int_equal(job_set_rounds(j, 2), 0);
	assert_int_equal(j->rounds, 2);
	assert_int_equal(j->n_passes, 6);
	for (size_t i = 0; i < 6; i++)
		assert_memory_equal(&j->passes[i].pattern, &erase_method_find("dod-short")->passes[i % 3],
				    sizeof(struct erase_pass));
	assert_int_equal(erase_run(j, fd, &o), 0);
	assert_int_equal(j->state, JOB_SUCCEEDED);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(j->passes[i].state, PASS_DONE);
		assert_int_equal(j->passes[i].bytes_written, IMG_SIZE);
		assert_int_equal(j->passes[i].verify, VRESULT_PASSED);
	}
	assert_final_pattern(f, j);
	/* a started job keeps its passes */
	assert_int_equal(job_set_rounds(j, 3), -EINVAL);
	/* the job file says it, and a count that is not the method's times rounds is refused */
	sec = job_to_json(j, true);
	assert_int_equal(json_integer_value(json_object_get(sec, "rounds")), 2);
	assert_int_equal(job_from_json(sec, &back), 0);
	assert_int_equal(back->rounds, 2);
	assert_int_equal(back->n_passes, 6);
	assert_memory_equal(&back->passes[4].pattern, &j->passes[1].pattern, sizeof(struct erase_pass));
	job_free(back);
	json_decref(sec);
	close(fd);
	job_free(j);
}

static void test_signatures(void **state)
{
	struct fixture *f = *state;
	char *cmd, *found = NULL;
	int fd;

	if (asprintf(&cmd, "mkfs.ext4 -q -F %s >/dev/null 2>&1", f->img) < 0)
		abort();
	if (system(cmd) != 0) {
		free(cmd);
		fail_msg("mkfs.ext4 failed (e2fsprogs, scripts/install-deps.sh): no signature to find");
	}
	free(cmd);
	fd = open_img(f);
	assert_int_equal(erase_find_signatures(fd, &found), 0);
	assert_non_null(found);
	assert_non_null(strstr(found, "ext4"));
	free(found);
	close(fd);
	run_method(f, "zero", VERIFY_OFF, NULL); /* asserts the check found nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_methods_table),
		cmocka_unit_test(test_method_aliases),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_keystream_matches_evp),
		cmocka_unit_test_setup_teardown(test_every_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_injected_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished, setup, teardown),
		cmocka_unit_test(test_job_record_public_form_has_no_seed),
		cmocka_unit_test(test_job_record_round_trip),
		cmocka_unit_test(test_job_seed_must_match_its_commitment),
		cmocka_unit_test_setup_teardown(test_verify_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signatures, setup, teardown),
	};
	/* RAM for the images and job files: fsync there costs nothing, and the
	 * machine's disk is shared (the e2e tests cover O_DIRECT on loops) */
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
