/* test_erase_identity.c - the target open and the medium's identity, on
 * image files: one writer at a time (the OFD lock), a target that changed
 * since it was described is refused, the fingerprint and the resume proof
 * tell the same medium from another one check by check, the job file's
 * checksum, and a crash never turns into "verified". */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <sodium.h>

#include "helpers.h"
#include "wipecert/disk.h"
#include "wipecert/erase.h"
#include "wipecert/job.h"
#include "wipecert/util.h"

#define IMG_SIZE (4u << 20)

#define fixture test_image

static void fill_marker(uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 131 + 7 + (i >> 12));
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

static void probe(const char *path, struct disk *d)
{
	struct disk_scan scan = { .no_probe = true };

	assert_int_equal(disk_probe(&scan, path, d), 0);
	assert_int_equal(d->transport, TRANSPORT_FILE);
}

static void poke(const char *path, uint64_t off, const void *data, size_t len)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
	assert_int_equal(fdatasync(fd), 0);
	close(fd);
}

/* ---- the target open ---- */

static void test_open_image_locks_it(void **state)
{
	struct fixture *f = *state;
	struct erase_target t, t2 = { .fd = -1 };
	struct disk d;
	struct stat st;
	char *why = NULL;
	int other;

	probe(f->img, &d);
	assert_int_equal(erase_target_open(NULL, &d, &t, &why), 0);
	assert_null(why);
	assert_true(t.image);
	assert_int_equal(t.size, IMG_SIZE);
	assert_int_equal(t.sector, 512);
	assert_int_equal(stat(f->img, &st), 0);
	assert_true(t.medium.known);
	assert_int_equal(t.medium.ino, st.st_ino);
	assert_int_equal(t.medium.dev, st.st_dev);
	/* another descriptor of the file opened and closed (libblkid does
	 * that): an OFD lock stays, a POSIX lock would have gone */
	other = open(f->img, O_RDONLY | O_CLOEXEC);
	assert_true(other >= 0);
	close(other);
	/* a second wipe of the same image: refused, and says why */
	assert_int_equal(erase_target_open(NULL, &d, &t2, &why), -EAGAIN);
	assert_non_null(why);
	assert_non_null(strstr(why, "locked by another wipe"));
	assert_int_equal(t2.fd, -1); /* untouched on failure */
	free(why);
	why = NULL;
	/* closing drops the lock */
	assert_int_equal(erase_target_close(&t), 0);
	assert_int_equal(t.fd, -1);
	assert_int_equal(erase_target_close(&t), 0); /* twice is harmless */
	assert_int_equal(erase_target_open(NULL, &d, &t2, &why), 0);
	erase_target_close(&t2);
	disk_release(&d);
}

static void test_open_refuses_what_changed(void **state)
{
	struct fixture *f = *state;
	struct erase_target t = { .fd = -1 };
	struct disk d;
	_cleanup_free_ char *other = NULL, *why = NULL;
	uint8_t byte = 1;

	/* grown since it was described */
	probe(f->img, &d);
	poke(f->img, IMG_SIZE, &byte, 1);
	assert_int_equal(erase_target_open(NULL, &d, &t, &why), -ESTALE);
	assert_int_equal(truncate(f->img, IMG_SIZE), 0);
	/* replaced by a symbolic link to another file */
	other = test_write_file(f->dir, "other.img", &byte, 1);
	assert_int_equal(unlink(f->img), 0);
	assert_int_equal(symlink(other, f->img), 0);
	assert_int_equal(erase_target_open(NULL, &d, &t, &why), -ELOOP);
	/* by a directory, by a FIFO (which must not hang the open) */
	assert_int_equal(unlink(f->img), 0);
	assert_int_equal(mkdir(f->img, 0700), 0);
	assert_true(erase_target_open(NULL, &d, &t, &why) < 0);
	assert_int_equal(rmdir(f->img), 0);
	assert_int_equal(mkfifo(f->img, 0600), 0);
	assert_true(erase_target_open(NULL, &d, &t, &why) < 0);
	assert_int_equal(t.fd, -1);
	assert_int_equal(unlink(f->img), 0);
	/* gone */
	assert_int_equal(erase_target_open(NULL, &d, &t, &why), -ENOENT);
	disk_release(&d);
	/* detection itself: neither a disk nor a regular file */
	assert_int_equal(disk_probe(NULL, f->dir, &d), -ENOTBLK);
	assert_int_equal(disk_probe(NULL, "/dev/null", &d), -ENOTBLK);
}

/* ---- the fingerprint and the proof ---- */

static struct job *start(struct fixture *f, const char *method, struct disk *d, struct erase_target *t)
{
	struct job *j = NULL;

	probe(f->img, d);
	assert_int_equal(erase_target_open(NULL, d, t, NULL), 0);
	assert_int_equal(erase_job_start(erase_method_find(method), VERIFY_LAST, 10, d, t, &j), 0);
	assert_int_equal(j->fp.n, JOB_FP_SAMPLES);
	assert_int_equal(j->fp.block, 4096);
	assert_int_equal(j->fp.v[0].offset, 0);
	assert_int_equal(j->fp.v[JOB_FP_SAMPLES - 1].offset, IMG_SIZE - 4096);
	for (size_t i = 1; i < j->fp.n; i++)
		assert_true(j->fp.v[i].offset > j->fp.v[i - 1].offset);
	return j;
}

static int prove(const struct job *j, const struct disk *d, const struct erase_target *t, const char *want)
{
	char *why = NULL;
	int r = erase_job_prove(j, d, t, &why);

	if (want) {
		if (!why || !strstr(why, want))
			fail_msg("want a refusal naming '%s', got %d '%s'", want, r, why ? why : "(none)");
		assert_int_equal(r, -ESTALE);
	} else if (r != 0) {
		fail_msg("want the same medium, got %d '%s'", r, why ? why : "(none)");
	}
	free(why);
	return r;
}

/* A sample's offset, and an offset that lies in no sample. */
static bool in_sample(const struct job *j, uint64_t off)
{
	for (size_t i = 0; i < j->fp.n; i++)
		if (off >= j->fp.v[i].offset && off < j->fp.v[i].offset + j->fp.block)
			return true;
	return false;
}

static void test_prove_untouched_and_changed(void **state)
{
	struct fixture *f = *state;
	struct erase_target t;
	struct disk d;
	struct job *j = start(f, "zero", &d, &t);
	uint64_t gap = 0, s = j->fp.v[100].offset + 512;
	const char x[] = "PLANTED";

	prove(j, &d, &t, NULL);
	/* a change where no sample lies is not seen: the fingerprint samples */
	while (in_sample(j, gap))
		gap += 512;
	poke(f->img, gap, x, sizeof(x));
	prove(j, &d, &t, NULL);
	/* a change inside a sample of the part not yet written is */
	poke(f->img, s, x, sizeof(x));
	prove(j, &d, &t, "is not what it was before the wipe");
	erase_target_close(&t);
	disk_release(&d);
	job_free(j);
}

static void test_prove_other_file_same_bytes(void **state)
{
	struct fixture *f = *state;
	struct erase_target t, t2;
	struct disk d, d2;
	struct job *j = start(f, "zero", &d, &t);
	_cleanup_free_ char *copy = NULL, *cmd = NULL;
	uint8_t *data;
	size_t len;

	erase_target_close(&t);
	/* a copy moved to the same path: every byte the same, another file */
	assert_int_equal(read_full_file(f->img, &data, &len), 0);
	copy = test_write_file(f->dir, "copy.img", data, len);
	free(data);
	assert_int_equal(rename(copy, f->img), 0);
	probe(f->img, &d2);
	assert_int_equal(erase_target_open(NULL, &d2, &t2, NULL), 0);
	prove(j, &d2, &t2, "another file");
	erase_target_close(&t2);
	disk_release(&d2);
	disk_release(&d);
	job_free(j);
}

static void test_prove_recorded_identity(void **state)
{
	struct fixture *f = *state;
	struct erase_target t, t2;
	struct disk d;
	struct job *j = start(f, "zero", &d, &t);
	char *save;

	/* a disk that reports no serial or WWN (a USB bridge, a loop) keeps
	 * model, sizes and host; each one that differs refuses */
	t2 = t;
	t2.size -= 512;
	prove(j, &d, &t2, "bytes when the job started");
	t2 = t;
	t2.sector = 4096;
	prove(j, &d, &t2, "sectors when the job started");
	t2 = t;
	t2.medium.ino++;
	prove(j, &d, &t2, "another file");
	save = d.model;
	d.model = (char *)"another model";
	prove(j, &d, &t, "model image file when the job started, now another model");
	d.model = save;
	d.serial = (char *)"S3Z9NB0K";
	prove(j, &d, &t, "serial none when the job started, now S3Z9NB0K");
	d.serial = NULL;
	d.wwn = (char *)"naa.5000c500a1b2c3d4";
	prove(j, &d, &t, "WWN none");
	d.wwn = NULL;
	d.transport = TRANSPORT_LOOP;
	prove(j, &d, &t, "it was a file when the job started, now it is a loop");
	d.transport = TRANSPORT_FILE;
	free(j->host);
	j->host = strdup("another-station");
	prove(j, &d, &t, "the job belongs to host another-station");
	erase_target_close(&t);
	disk_release(&d);
	job_free(j);
}

/* The proof after the engine stopped in the middle of a pass. */
struct stopper {
	unsigned pass;
	enum erase_phase phase;
	uint64_t after;
};

static int stop_at(const struct erase_progress *p, void *userdata)
{
	struct stopper *s = userdata;

	return p->pass == s->pass && p->phase == s->phase && p->phase_done >= s->after ? -1 : 0;
}

static struct job *interrupted(struct fixture *f, const char *method, unsigned pass, enum erase_phase phase,
			       struct disk *d, struct erase_target *t)
{
	struct stopper s = { pass, phase, 1u << 20 };
	struct erase_opts o = { .block_size = 64 << 10, .depth = 2, .io = &erase_io_sync, .progress_ms = 1,
				.checkpoint_ms = 1, .max_rate = 64u << 20, .store = &f->store, .progress = stop_at,
				.userdata = &s };
	struct job *j = start(f, method, d, t), *back;

	assert_int_equal(erase_run(j, t->fd, &o), -ECANCELED);
	assert_int_equal(job_store_load(&f->store, j->id, &back), 0);
	job_free(j);
	return back; /* only what the job file says, as after a kill */
}

static void test_prove_inside_a_pass(void **state)
{
	struct fixture *f = *state;
	struct erase_target t;
	struct disk d;
	struct job *j = interrupted(f, "dod-short", 1, PHASE_WRITE, &d, &t);
	uint64_t w = j->passes[1].written, in = 0, out = 0;
	uint8_t ones[512];

	assert_int_equal(j->passes[1].state, PASS_WRITING);
	assert_true(w >= 1u << 20 && w < IMG_SIZE);
	/* written part: pass 2's FF; beyond: FF or pass 1's 00, sector by sector */
	prove(j, &d, &t, NULL);
	for (size_t i = 0; i < j->fp.n && !(in && out); i++) {
		if (!in && j->fp.v[i].offset + 4096 <= w)
			in = j->fp.v[i].offset;
		if (!out && j->fp.v[i].offset >= w + (64 << 10))
			out = j->fp.v[i].offset;
	}
	assert_true(in && out);
	/* pass 2 written further than its checkpoint: still the same medium */
	memset(ones, 0xff, sizeof(ones));
	poke(f->img, out, ones, sizeof(ones));
	prove(j, &d, &t, NULL);
	/* the written part does not hold the pattern: refused */
	poke(f->img, in + 1024, "PLANTED", 7);
	prove(j, &d, &t, "is neither the wipe's pattern nor what was there before");
	erase_target_close(&t);
	disk_release(&d);
	job_free(j);
}

static void test_prove_first_pass_torn(void **state)
{
	struct fixture *f = *state;
	struct erase_target t;
	struct disk d;
	struct job *j = interrupted(f, "zero", 0, PHASE_WRITE, &d, &t);
	uint64_t w = j->passes[0].written, beyond = 0;
	uint8_t zeros[2048] = { 0 };

	for (size_t i = 0; i < j->fp.n && !beyond; i++)
		if (j->fp.v[i].offset >= w + (256 << 10))
			beyond = j->fp.v[i].offset;
	assert_true(beyond);
	prove(j, &d, &t, NULL);
	/* half a sample written by a request in flight at the crash: torn */
	poke(f->img, beyond, zeros, sizeof(zeros));
	prove(j, &d, &t, NULL);
	erase_target_close(&t);
	disk_release(&d);
	job_free(j);
}

/* ---- the job file ---- */

static void test_job_file_identity_and_checksum(void **state)
{
	struct fixture *f = *state;
	struct erase_target t;
	struct disk d;
	struct job *j = start(f, "dod-short", &d, &t), *back;
	json_t *o, *pub;
	char *id = NULL;

	j->tuning = (struct job_tuning){ 256 << 10, 3, 50u << 20, true };
	job_set(&j->asset, "IMG-7");
	job_set(&j->ledger, "/var/lib/wipecert/ledger.db");
	job_set(&j->attested_serial, "WD-LABEL-0042");
	job_set(&j->attested_by, "佐藤 花子");
	o = job_to_json(j, true);
	assert_non_null(json_object_get(o, "checksum"));
	assert_int_equal(json_array_size(json_object_get(o, "fingerprint_samples")), JOB_FP_SAMPLES);
	assert_int_equal(job_from_json(o, &back), 0);
	assert_int_equal(back->format, JOB_FORMAT);
	assert_int_equal(back->tuning.block_size, 256 << 10);
	assert_int_equal(back->tuning.depth, 3);
	assert_int_equal(back->tuning.max_rate, 50u << 20);
	assert_true(back->tuning.sync_io);
	assert_string_equal(back->asset, "IMG-7");
	assert_string_equal(back->attested_serial, "WD-LABEL-0042");
	assert_string_equal(back->attested_by, "佐藤 花子");
	assert_string_equal(job_serial(back), "WD-LABEL-0042");
	assert_true(back->medium.known && back->medium.ino == j->medium.ino);
	assert_int_equal(back->fp.n, JOB_FP_SAMPLES);
	assert_memory_equal(back->fp.v, j->fp.v, JOB_FP_SAMPLES * sizeof(*j->fp.v));
	prove(back, &d, &t, NULL);
	job_free(back);
	/* the published record: no samples, no ledger path, no checksum */
	pub = job_to_json(j, false);
	assert_null(json_object_get(pub, "fingerprint_samples"));
	assert_null(json_object_get(pub, "ledger"));
	assert_null(json_object_get(pub, "checksum"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(pub, "device"),
									     "fingerprint"), "samples")), JOB_FP_SAMPLES);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(pub, "device"),
									      "attested"), "by")), "佐藤 花子");
	json_decref(pub);
	/* edited by hand: a field, a sample, the checksum itself */
	json_object_set_new(json_object_get(o, "device"), "serial", json_string("NOT-THIS-ONE"));
	assert_int_equal(job_from_json(o, &back), -EBADMSG);
	json_decref(o);
	o = job_to_json(j, true);
	json_array_set_new(json_object_get(o, "fingerprint_samples"), 5, json_pack("[I,n]", (json_int_t)4096));
	assert_int_equal(job_from_json(o, &back), -EBADMSG);
	json_decref(o);
	o = job_to_json(j, true);
	json_object_set_new(o, "checksum", json_string("00"));
	assert_int_equal(job_from_json(o, &back), -EBADMSG);
	json_decref(o);
	/* an ended job keeps the digest alone */
	j->state = JOB_SUCCEEDED;
	o = job_to_json(j, true);
	assert_null(json_object_get(o, "fingerprint_samples"));
	assert_int_equal(job_from_json(o, &back), 0);
	assert_int_equal(back->fp.n, 0);
	assert_int_equal(back->fp.n_taken, JOB_FP_SAMPLES);
	assert_memory_equal(back->fp.digest, j->fp.digest, 32);
	/* and cannot be proven: nothing to compare */
	back->state = JOB_RUNNING;
	assert_int_equal(erase_job_prove(back, &d, &t, NULL), -EPROTONOSUPPORT);
	job_free(back);
	json_decref(o);
	/* one maker of job IDs */
	assert_int_equal(job_id_make("/dev/disk/by-id/usb X", 1795424400, &id), 0);
	assert_int_equal(strlen(id), strlen("20261123T090000Z-usb_X-") + 8);
	assert_memory_equal(id, "20261123T090000Z-usb_X-", strlen("20261123T090000Z-usb_X-"));
	free(id);
	erase_target_close(&t);
	disk_release(&d);
	job_free(j);
}

static void test_job_result_words(void **state)
{
	struct fixture *f = *state;
	struct job *j;

	(void)f;
	assert_int_equal(job_new(erase_method_find("zero"), VERIFY_OFF, 10, "/dev/loop7", 1 << 20, 512, &j), 0);
	assert_string_equal(job_result_to_string(job_result(j)), "running");
	j->state = JOB_SUCCEEDED;
	assert_string_equal(job_result_to_string(job_result(j)), "wiped-not-verified");
	j->verify_mode = VERIFY_LAST;
	assert_string_equal(job_result_to_string(job_result(j)), "wiped-and-verified");
	j->state = JOB_FAILED;
	assert_string_equal(job_result_to_string(job_result(j)), "failed");
	job_free(j);
}

/* ---- a crash never becomes "verified" ---- */

static void test_crash_in_readback_then_planted(void **state)
{
	struct fixture *f = *state;
	struct erase_target t;
	struct disk d;
	struct job *j = interrupted(f, "zero", 0, PHASE_VERIFY, &d, &t);
	struct erase_opts o = { .block_size = 64 << 10, .depth = 2, .store = &f->store };
	uint64_t plant = 4096 + 512;

	assert_int_equal(j->passes[0].state, PASS_VERIFYING);
	assert_true(j->passes[0].verified > plant + 4096);
	/* data written into the part already read back, where no sample lies */
	while (in_sample(j, plant))
		plant += 512;
	assert_true(plant < j->passes[0].verified);
	poke(f->img, plant, "PLANTED", 7);
	prove(j, &d, &t, NULL);
	assert_int_equal(erase_run(j, t.fd, &o), 0);
	assert_int_equal(j->state, JOB_FAILED);
	assert_int_equal(j->passes[0].verify, VRESULT_FAILED);
	assert_int_equal(j->passes[0].mismatches.count, 1);
	assert_int_equal(j->passes[0].mismatches.v[0].offset, plant);
	erase_target_close(&t);
	disk_release(&d);
	job_free(j);
}

static void test_crash_after_readback_then_planted(void **state)
{
	struct fixture *f = *state;
	struct erase_target t;
	struct disk d;
	struct job *j = start(f, "one", &d, &t);
	struct erase_opts o = { .block_size = 64 << 10, .depth = 2, .store = &f->store };

	assert_int_equal(erase_run(j, t.fd, &o), 0);
	assert_int_equal(j->state, JOB_SUCCEEDED);
	/* as if the power went after the read-back, before the job ended */
	j->state = JOB_RUNNING;
	j->ended = 0;
	poke(f->img, IMG_SIZE - 1024, "PLANTED", 7);
	assert_int_equal(erase_run(j, t.fd, &o), 0);
	assert_int_equal(j->resumes, 1);
	assert_int_equal(j->state, JOB_FAILED);
	assert_int_equal(j->passes[0].mismatches.v[0].offset, IMG_SIZE - 1024);
	erase_target_close(&t);
	disk_release(&d);
	job_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_image_locks_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_what_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prove_untouched_and_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prove_other_file_same_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prove_recorded_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prove_inside_a_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prove_first_pass_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_file_identity_and_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_result_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_in_readback_then_planted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_after_readback_then_planted, setup, teardown),
	};
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
