/* test_drive_erase.c - firmware erase end to end over an image file: a
 * replaced transport answers the commands and (or not) erases the image;
 * the sampled read-back must catch a drive that says success and changes
 * nothing; refusals send nothing; the ATA password is always cleared. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drive-mock.h"
#include "helpers.h"
#include "wipecert/ata.h"
#include "wipecert/drive.h"
#include "wipecert/nvme.h"
#include "wipecert/scsi.h"
#include "wipecert/util.h"

/* 256 KiB: 512 blocks, which the plan covers whole (cut into 16 pieces);
 * test_nvme_format_verified uses 1032 blocks for the usual 1000-subsection plan */
static size_t IMG_SIZE = 256u << 10;
#define MARKER "WIPECERT-MARKER!"

/* EFFECT_PARTIAL: zeros everywhere but the image's last eighth, which
 * keeps its old data (a drive that skipped a range); the sample plan's
 * pieces are a sixteenth, so at least one sampled range is unchanged */
enum effect { EFFECT_NONE, EFFECT_ZERO, EFFECT_RANDOM, EFFECT_PARTIAL };

struct fixture {
	char *dir, *img;
	struct mock m;
	struct drive drv;
	enum effect effect;
	int erase_calls;
	double last_fraction;
	int progress_calls;
};

static struct fixture F;

static void fill_image(const char *path, int fill_zero_half)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char buf[4096];

	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(buf); i += strlen(MARKER))
		memcpy(buf + i, MARKER, strlen(MARKER));
	for (size_t off = 0; off < IMG_SIZE; off += sizeof(buf)) {
		if (fill_zero_half && off >= IMG_SIZE / 2)
			memset(buf, 0, sizeof(buf));
		assert_int_equal(pwrite(fd, buf, sizeof(buf), (off_t)off), (ssize_t)sizeof(buf));
	}
	close(fd);
}

static void apply_effect(void)
{
	int fd = open(F.img, O_WRONLY | O_CLOEXEC);
	uint8_t buf[4096];

	F.erase_calls++;
	assert_true(fd >= 0);
	for (size_t off = 0; off < IMG_SIZE && F.effect != EFFECT_NONE; off += sizeof(buf)) {
		if (F.effect == EFFECT_PARTIAL && off >= IMG_SIZE - IMG_SIZE / 8)
			break;
		if (F.effect == EFFECT_ZERO || F.effect == EFFECT_PARTIAL)
			memset(buf, 0, sizeof(buf));
		else
			for (size_t i = 0; i < sizeof(buf); i++)
				buf[i] = (uint8_t)(rand() | 1);
		assert_int_equal(pwrite(fd, buf, sizeof(buf), (off_t)off), (ssize_t)sizeof(buf));
	}
	close(fd);
}

/* The "drive": the erase commands act on the image. */
static void hook(struct mock *m, struct drive_cmd *c)
{
	(void)m;
	if (c->kind == DRIVE_CMD_NVME) {
		if ((c->nvme.opcode == NVME_ADMIN_FORMAT_NVM || c->nvme.opcode == NVME_ADMIN_SANITIZE) && !c->nvme.status)
			apply_effect();
	} else if (c->scsi.cdb[0] == SAT_ATA16_OPCODE) {
		uint8_t op = c->scsi.cdb[14];
		bool ok = c->scsi.sense_len > 21 && !(c->scsi.sense[21] & ATA_STATUS_ERR);

		if (ok && (op == ATA_CMD_SEC_ERASE_UNIT || (op == ATA_CMD_SANITIZE && c->scsi.cdb[4] != 0)))
			apply_effect();
	} else if (c->scsi.cdb[0] == SCSI_OP_SANITIZE && !c->scsi.status) {
		apply_effect();
	}
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	IMG_SIZE = 256u << 10;
	/* tmpfs: the read-back must not wait for a disk */
	setenv("TMPDIR", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", 1);
	F.dir = test_mkdtemp();
	F.img = test_write_file(F.dir, "disk.img", "", 0);
	fill_image(F.img, 0);
	mock_init(&F.m, DRIVE_PROTO_NVME);
	F.m.hook = hook;
	F.drv.t = &F.m.t;
	F.drv.data_path = F.img;
	F.drv.size = IMG_SIZE;
	F.drv.caps.lba_size = 512;
	F.effect = EFFECT_ZERO;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rmtree(F.dir);
	free(F.dir);
	free(F.img);
	return 0;
}

static void progress(void *ud, const char *phase, double f, double eta)
{
	(void)ud;
	(void)eta;
	if (streq(phase, "erase") && f >= 0) {
		F.last_fraction = f;
		F.progress_calls++;
	}
}

static bool image_has_marker(void)
{
	uint8_t *data;
	size_t len;
	bool found;

	assert_int_equal(read_full_file(F.img, &data, &len), 0);
	found = memmem(data, len, MARKER, strlen(MARKER)) != NULL;
	free(data);
	return found;
}

/* QEMU 7.2's NVMe: Format only, DLFEAT 1 */
static void qemu_nvme_caps(struct drive_caps *c)
{
	c->proto = DRIVE_PROTO_NVME;
	c->solid_state = true;
	c->nvme_oacs = NVME_OACS_FORMAT;
	c->nvme_dlfeat = NVME_DLFEAT_ZEROES;
	c->methods = 1u << DRIVE_METHOD_NVME_FORMAT;
}

static const struct drive_erase_opts fast = { .poll_ms = 1 };

static void test_nvme_format_verified(void **state)
{
	struct drive_erase_result res;

	(void)state;
	IMG_SIZE = 1032u * 512;
	F.drv.size = IMG_SIZE;
	fill_image(F.img, 0);
	qemu_nvme_caps(&F.drv.caps);
	mock_add(&F.m);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_FORMAT, &fast, progress, NULL, &res), 0);
	assert_int_equal(F.m.n_sent, 1);
	assert_int_equal(F.m.sent[0].nvme.opcode, 0x80);
	assert_int_equal(F.m.sent[0].nvme.nsid, 1);
	assert_int_equal(F.m.sent[0].nvme.cdw10, 0x200);
	assert_false(res.refused);
	assert_int_equal(res.verdict, DRIVE_VERDICT_PASSED);
	assert_true(res.samples > 1);
	assert_true(res.sample_bytes >= IMG_SIZE / 10);
	assert_int_equal(res.changed, res.samples);
	assert_int_equal(res.unchanged, 0);
	assert_int_equal(res.pattern_mismatch, 0);
	assert_string_equal(res.expected_pattern, "zeros");
	assert_int_equal(res.level, DRIVE_LEVEL_PURGE);
	assert_false(image_has_marker());
}

/* A 4096-byte-sector namespace (QEMU after nvme format --lbaf=4): Format
 * keeps the current LBA format and the plan is in 4096-byte blocks. */
static void test_nvme_format_4kn(void **state)
{
	struct drive_erase_result res;

	(void)state;
	qemu_nvme_caps(&F.drv.caps);
	F.drv.caps.lba_size = 4096;
	F.drv.caps.nvme_lbaf = 4;
	mock_add(&F.m);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_FORMAT, &fast, NULL, NULL, &res), 0);
	assert_int_equal(F.m.sent[0].nvme.cdw10, 0x204);  /* SES=1, LBAF 4 kept */
	assert_int_equal(res.verdict, DRIVE_VERDICT_PASSED);
	assert_int_equal(res.sample_bytes % 4096, 0);
	assert_false(image_has_marker());
}

/* The lie: success from the drive, data untouched (QEMU's SCSI FORMAT UNIT). */
static void test_success_but_unchanged_is_failed(void **state)
{
	struct drive_erase_result res;
	json_t *j;

	(void)state;
	qemu_nvme_caps(&F.drv.caps);
	F.effect = EFFECT_NONE;
	mock_add(&F.m);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_FORMAT, &fast, NULL, NULL, &res), -EIO);
	assert_int_equal(F.erase_calls, 1);
	assert_false(res.refused);
	assert_int_equal(res.status.kind, DRIVE_STATUS_OK);
	assert_int_equal(res.verdict, DRIVE_VERDICT_FAILED);
	assert_int_equal(res.unchanged, res.samples);
	assert_non_null(strstr(res.reason, "reported success"));
	assert_true(image_has_marker());
	j = drive_erase_result_to_json(&res);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "result")), "failed");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "verification"), "verdict")), "failed");
	json_decref(j);
}

/* Success, most of the disk zeros as documented, but one range still
 * holds its old data: one unchanged sample fails the erase, not only all. */
static void test_some_unchanged_is_failed(void **state)
{
	struct drive_erase_result res;

	(void)state;
	qemu_nvme_caps(&F.drv.caps);
	F.effect = EFFECT_PARTIAL;
	mock_add(&F.m);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_FORMAT, &fast, NULL, NULL, &res), -EIO);
	assert_int_equal(F.erase_calls, 1);
	assert_int_equal(res.status.kind, DRIVE_STATUS_OK);
	assert_int_equal(res.verdict, DRIVE_VERDICT_FAILED);
	assert_true(res.unchanged >= 1);
	assert_true(res.unchanged < res.samples);
	assert_true(res.changed > 0);
	assert_int_equal(res.pattern_mismatch, 0);
	assert_non_null(strstr(res.reason, "still hold their old data"));
	assert_true(image_has_marker());
}

/* A disk that held only zeros before: nothing can show the erase worked,
 * so it does not pass. */
static void test_all_zero_before_not_passed(void **state)
{
	struct drive_erase_result res;
	int fd;

	(void)state;
	fd = open(F.img, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)IMG_SIZE), 0);
	close(fd);
	qemu_nvme_caps(&F.drv.caps);
	mock_add(&F.m);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_FORMAT, &fast, NULL, NULL, &res), -EIO);
	assert_int_equal(F.erase_calls, 1);
	assert_int_equal(res.verdict, DRIVE_VERDICT_FAILED);
	assert_int_equal(res.changed, 0);
	assert_int_equal(res.inconclusive, res.samples);
	assert_non_null(strstr(res.reason, "cannot be shown"));
}

/* Changed, but not to the zeros DLFEAT promises. */
static void test_pattern_mismatch_is_failed(void **state)
{
	struct drive_erase_result res;

	(void)state;
	qemu_nvme_caps(&F.drv.caps);
	F.effect = EFFECT_RANDOM;
	mock_add(&F.m);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_FORMAT, &fast, NULL, NULL, &res), -EIO);
	assert_int_equal(res.verdict, DRIVE_VERDICT_FAILED);
	assert_true(res.pattern_mismatch > 0);
	assert_non_null(strstr(res.reason, "zeros"));
}

/* Zeros before and after prove nothing; the marker half proves the erase. */
static void test_zero_samples_inconclusive(void **state)
{
	struct drive_erase_result res;

	(void)state;
	fill_image(F.img, 1);
	qemu_nvme_caps(&F.drv.caps);
	mock_add(&F.m);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_FORMAT, &fast, NULL, NULL, &res), 0);
	assert_true(res.inconclusive > 0);
	assert_true(res.changed > 0);
	assert_int_equal(res.changed + res.inconclusive, res.samples);
	assert_int_equal(res.verdict, DRIVE_VERDICT_PASSED);
}

static void test_nvme_format_crypto_refused(void **state)
{
	struct drive_erase_result res;
	json_t *j;

	(void)state;
	qemu_nvme_caps(&F.drv.caps);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_FORMAT_CRYPTO, &fast, NULL, NULL, &res), -EOPNOTSUPP);
	assert_true(res.refused);
	assert_int_equal(F.m.n_sent, 0);
	assert_non_null(strstr(res.reason, "FNA"));
	assert_true(image_has_marker());
	j = drive_erase_result_to_json(&res);
	assert_string_equal(json_string_value(json_object_get(j, "result")), "refused");
	json_decref(j);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_SANITIZE_BLOCK, &fast, NULL, NULL, &res), -EOPNOTSUPP);
	assert_true(res.refused);
	assert_non_null(strstr(res.reason, "SANICAP"));
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SECURE_ERASE, &fast, NULL, NULL, &res), -EOPNOTSUPP);
	assert_true(res.refused);
	assert_int_equal(F.m.n_sent, 0);
}

static void test_nvme_auto(void **state)
{
	struct drive_erase_result res;
	struct drive_erase_opts o = { .poll_ms = 1, .level = DRIVE_LEVEL_PURGE };

	(void)state;
	qemu_nvme_caps(&F.drv.caps);
	mock_add(&F.m);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_AUTO, &o, NULL, NULL, &res), 0);
	assert_int_equal(res.method, DRIVE_METHOD_NVME_FORMAT);
	assert_non_null(strstr(res.reason, "Format NVM"));
	assert_non_null(strstr(res.reason, "purge"));
}

static void sanlog(uint8_t *log, uint16_t sprog, uint16_t sstat, uint32_t scdw10)
{
	memset(log, 0, 512);
	put16(log, sprog);
	put16(log + 2, sstat);
	log[4] = (uint8_t)scdw10;
	log[8 + 4] = 60; /* ETBE 60 s */
}

static void test_nvme_sanitize_progress(void **state)
{
	static uint8_t log1[512], log2[512];
	struct drive_erase_result res;
	struct mock_reply *r;

	(void)state;
	qemu_nvme_caps(&F.drv.caps);
	F.drv.caps.methods |= 1u << DRIVE_METHOD_NVME_SANITIZE_BLOCK;
	F.drv.caps.nvme_sanicap = NVME_SANICAP_BLOCK;
	sanlog(log1, 0x8000, NVME_SSTAT_IN_PROGRESS, 2);
	sanlog(log2, 0xffff, NVME_SSTAT_COMPLETED, 2);
	mock_add(&F.m);
	r = mock_add(&F.m);
	r->data = log1;
	r->data_len = 512;
	r = mock_add(&F.m);
	r->data = log2;
	r->data_len = 512;
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_SANITIZE_BLOCK, &fast, progress, NULL, &res), 0);
	assert_int_equal(F.m.n_sent, 3);
	assert_int_equal(F.m.sent[0].nvme.opcode, 0x84);
	assert_int_equal(F.m.sent[0].nvme.cdw10, 0x2);
	assert_int_equal(F.m.sent[1].nvme.opcode, 0x02);
	assert_int_equal(F.m.sent[1].nvme.cdw10, 0x007f0081);
	assert_true(F.progress_calls >= 2);
	assert_true(F.last_fraction == 1.0);
	assert_int_equal(res.verdict, DRIVE_VERDICT_PASSED);
}

/* A controller that claims Sanitize and answers it as QEMU does. */
static void test_nvme_sanitize_device_error(void **state)
{
	struct drive_erase_result res;
	json_t *j;

	(void)state;
	qemu_nvme_caps(&F.drv.caps);
	F.drv.caps.methods |= 1u << DRIVE_METHOD_NVME_SANITIZE_CRYPTO;
	mock_add(&F.m)->nvme_status = 0x4001;
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_NVME_SANITIZE_CRYPTO, &fast, NULL, NULL, &res), -EOPNOTSUPP);
	assert_false(res.refused);
	assert_int_equal(res.status.kind, DRIVE_STATUS_NVME);
	assert_int_equal(res.status.nvme, 0x4001);
	assert_non_null(strstr(res.reason, "invalid command opcode"));
	assert_int_equal(F.erase_calls, 0);
	j = drive_erase_result_to_json(&res);
	assert_string_equal(json_string_value(json_object_get(j, "result")), "failed");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "device_status"), "nvme_status")), 0x4001);
	json_decref(j);
}

/* ---- ATA ------------------------------------------------------------------ */

static uint8_t id_enabled[512], id_disabled[512];

static void ata_setup(uint16_t security)
{
	F.m.t.proto = DRIVE_PROTO_ATA;
	sample_identify(id_disabled, security);
	assert_int_equal(ata_parse_identify(id_disabled, &F.drv.caps), 0);
	sample_identify(id_enabled, (uint16_t)(security | ATA_ID_SEC_ENABLED));
}

static void reply_ok(void) { mock_ata_regs(mock_add(&F.m), 0x50, 0, 0, 0); }
static void reply_abort(void) { mock_ata_regs(mock_add(&F.m), 0x51, ATA_ERROR_ABRT, 0, 0); }
static void reply_identify(const uint8_t *id)
{
	struct mock_reply *r = mock_add(&F.m);

	mock_ata_regs(r, 0x50, 0, 0, 0);
	r->data = id;
	r->data_len = 512;
}

static uint8_t ata_op(int i) { return F.m.sent[i].scsi.cdb[14]; }

static void test_ata_secure_erase_ok(void **state)
{
	struct drive_erase_result res;

	(void)state;
	ata_setup(ATA_ID_SEC_SUPPORTED | ATA_ID_SEC_ENHANCED);
	reply_ok();                   /* SET PASSWORD */
	reply_identify(id_enabled);
	reply_ok();                   /* ERASE PREPARE */
	reply_ok();                   /* ERASE UNIT */
	reply_identify(id_disabled);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SECURE_ERASE_ENHANCED, &fast, NULL, NULL, &res), 0);
	assert_int_equal(F.m.n_sent, 5);
	assert_int_equal(ata_op(0), ATA_CMD_SEC_SET_PASS);
	assert_int_equal(ata_op(1), ATA_CMD_IDENTIFY);
	assert_int_equal(ata_op(2), ATA_CMD_SEC_ERASE_PREPARE);
	assert_int_equal(ata_op(3), ATA_CMD_SEC_ERASE_UNIT);
	assert_int_equal(ata_op(4), ATA_CMD_IDENTIFY);
	/* the same random 32-character password in SET PASSWORD and ERASE UNIT */
	assert_memory_equal(F.m.payload[0] + 2, F.m.payload[3] + 2, ATA_SEC_PASSWORD_LEN);
	for (int i = 0; i < ATA_SEC_PASSWORD_LEN; i++)
		assert_true(isalnum(F.m.payload[0][2 + i]));
	assert_int_equal(F.m.payload[3][0], ATA_SEC_CTL_ENHANCED);
	/* erase time 32 min: the SG_IO timeout covers twice that */
	assert_true(F.m.sent[3].scsi.timeout_ms >= 32u * 60 * 1000 * 2);
	assert_int_equal(res.verdict, DRIVE_VERDICT_PASSED);
}

static void test_ata_secure_erase_abort_clears_password(void **state)
{
	struct drive_erase_result res;

	(void)state;
	ata_setup(ATA_ID_SEC_SUPPORTED);
	reply_ok();                   /* SET PASSWORD */
	reply_identify(id_enabled);
	reply_ok();                   /* ERASE PREPARE */
	reply_abort();                /* ERASE UNIT aborted */
	reply_ok();                   /* DISABLE PASSWORD */
	reply_identify(id_disabled);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SECURE_ERASE, &fast, NULL, NULL, &res), -EIO);
	assert_int_equal(F.m.n_sent, 6);
	assert_int_equal(ata_op(4), ATA_CMD_SEC_DISABLE_PASS);
	assert_memory_equal(F.m.payload[0] + 2, F.m.payload[4] + 2, ATA_SEC_PASSWORD_LEN);
	assert_int_equal(ata_op(5), ATA_CMD_IDENTIFY);
	assert_int_equal(res.status.kind, DRIVE_STATUS_ATA);
	assert_int_equal(res.status.ata_error, ATA_ERROR_ABRT);
	assert_null(strstr(res.reason, "security-disable"));
	assert_non_null(strstr(res.reason, "aborted"));
	assert_true(image_has_marker());
}

/* What QEMU's AHCI disk would do if it claimed security: SET PASSWORD aborted. */
static void test_ata_set_password_aborted(void **state)
{
	struct drive_erase_result res;

	(void)state;
	ata_setup(ATA_ID_SEC_SUPPORTED);
	reply_abort();                /* SET PASSWORD */
	reply_abort();                /* DISABLE: no password to clear */
	reply_identify(id_disabled);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SECURE_ERASE, &fast, NULL, NULL, &res), -EIO);
	assert_int_equal(F.m.n_sent, 3);
	assert_int_equal(ata_op(1), ATA_CMD_SEC_DISABLE_PASS);
	assert_int_equal(res.status.kind, DRIVE_STATUS_ATA);
	assert_non_null(strstr(res.reason, "0xf1"));
	assert_int_equal(F.erase_calls, 0);
}

/* SET PASSWORD "succeeds" but IDENTIFY shows no password: not trusted. */
static void test_ata_set_password_unproven(void **state)
{
	struct drive_erase_result res;

	(void)state;
	ata_setup(ATA_ID_SEC_SUPPORTED);
	reply_ok();
	reply_identify(id_disabled);
	reply_ok();                   /* DISABLE */
	reply_identify(id_disabled);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SECURE_ERASE, &fast, NULL, NULL, &res), -EPROTO);
	assert_int_equal(res.status.kind, DRIVE_STATUS_NO_PROOF);
	assert_int_equal(ata_op(2), ATA_CMD_SEC_DISABLE_PASS);
}

/* The drive keeps the password: the operator gets it to unlock the drive. */
static void test_ata_password_not_cleared(void **state)
{
	struct drive_erase_result res;
	char pw[ATA_SEC_PASSWORD_LEN + 1];

	(void)state;
	ata_setup(ATA_ID_SEC_SUPPORTED);
	reply_ok();
	reply_identify(id_enabled);
	reply_abort();                /* PREPARE aborted */
	reply_abort();                /* DISABLE aborted */
	reply_identify(id_enabled);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SECURE_ERASE, &fast, NULL, NULL, &res), -EIO);
	memcpy(pw, F.m.payload[0] + 2, ATA_SEC_PASSWORD_LEN);
	pw[ATA_SEC_PASSWORD_LEN] = '\0';
	assert_non_null(strstr(res.reason, "security-disable"));
	assert_non_null(strstr(res.reason, pw));
}

static void test_ata_frozen_refused(void **state)
{
	struct drive_erase_result res;

	(void)state;
	ata_setup(ATA_ID_SEC_SUPPORTED | ATA_ID_SEC_FROZEN);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SECURE_ERASE, &fast, NULL, NULL, &res), -EACCES);
	assert_true(res.refused);
	assert_int_equal(F.m.n_sent, 0);
	assert_non_null(strstr(res.reason, "suspend"));
}

static void test_ata_sanitize_progress(void **state)
{
	struct drive_erase_result res;

	(void)state;
	ata_setup(ATA_ID_SEC_SUPPORTED);
	reply_ok();                                                     /* SANITIZE BLOCK ERASE */
	mock_ata_regs(mock_add(&F.m), 0x50, 0, ATA_SANITIZE_OUT_IN_PROGRESS, 0x4000);
	mock_ata_regs(mock_add(&F.m), 0x50, 0, ATA_SANITIZE_OUT_COMPLETED, 0);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SANITIZE_BLOCK, &fast, progress, NULL, &res), 0);
	assert_int_equal(F.m.n_sent, 3);
	assert_int_equal(F.m.sent[0].scsi.cdb[4], 0x12);
	assert_int_equal(F.m.sent[1].scsi.cdb[4], 0x00);
	assert_true(F.progress_calls >= 2);
	assert_int_equal(res.verdict, DRIVE_VERDICT_PASSED);

	/* the status command aborted: the sanitize failed */
	F.m.n_sent = F.m.n_replies = 0;
	fill_image(F.img, 0);
	reply_ok();
	mock_ata_regs(mock_add(&F.m), 0x51, ATA_ERROR_ABRT, 0, 0x03);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SANITIZE_CRYPTO, &fast, NULL, NULL, &res), -EIO);
	assert_non_null(strstr(res.reason, "sanitize failed"));
}

/* --remove-hpa: SET MAX first, recorded; a refusal to lift it sends no erase */
static void test_ata_remove_hpa_first(void **state)
{
	struct drive_erase_opts o = { .poll_ms = 1, .remove_hpa = true };
	struct drive_erase_result res;
	json_t *j;

	(void)state;
	ata_setup(ATA_ID_SEC_SUPPORTED);
	F.drv.caps.ata_hpa_present = true;
	F.drv.caps.ata_native_max_lba = 40960;
	reply_ok();                                                     /* SET MAX */
	reply_ok();                                                     /* SANITIZE */
	mock_ata_regs(mock_add(&F.m), 0x50, 0, ATA_SANITIZE_OUT_COMPLETED, 0);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SANITIZE_BLOCK, &o, NULL, NULL, &res), 0);
	assert_int_equal(ata_op(0), ATA_CMD_SET_MAX_ADDRESS_EXT);
	assert_int_equal(ata_op(1), ATA_CMD_SANITIZE);
	assert_true(res.hpa_present);
	assert_true(res.hpa_removed);
	j = drive_erase_result_to_json(&res);
	assert_true(json_is_true(json_object_get(json_object_get(j, "hidden_areas"), "hpa_removed")));
	json_decref(j);

	F.m.n_sent = F.m.n_replies = 0;
	reply_abort();                                                  /* SET MAX refused */
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_ATA_SANITIZE_BLOCK, &o, NULL, NULL, &res), -EIO);
	assert_true(res.refused);
	assert_int_equal(F.m.n_sent, 1);
	assert_non_null(strstr(res.reason, "host protected area"));
}

/* ---- SCSI ----------------------------------------------------------------- */

static void test_scsi_sanitize_progress(void **state)
{
	/* REQUEST SENSE data: NOT READY, 04/1B sanitize in progress, progress 0x8000 */
	static const uint8_t busy[16] = { 0x72, 0x02, 0x04, 0x1b, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0x80, 0x80, 0x00, 0 };
	static const uint8_t done[8] = { 0x72, 0x00, 0x00, 0x00, 0, 0, 0, 0 };
	struct drive_erase_result res;
	struct mock_reply *r;

	(void)state;
	F.m.t.proto = DRIVE_PROTO_SCSI;
	F.drv.caps.proto = DRIVE_PROTO_SCSI;
	F.drv.caps.scsi_rsoc = true;
	F.drv.caps.methods = 1u << DRIVE_METHOD_SCSI_SANITIZE_CRYPTO;
	F.effect = EFFECT_RANDOM;
	mock_add(&F.m);
	r = mock_add(&F.m);
	r->data = busy;
	r->data_len = sizeof(busy);
	r = mock_add(&F.m);
	r->data = done;
	r->data_len = sizeof(done);
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_SCSI_SANITIZE_CRYPTO, &fast, progress, NULL, &res), 0);
	assert_int_equal(F.m.sent[0].scsi.cdb[0], 0x48);
	assert_int_equal(F.m.sent[0].scsi.cdb[1], 0x83);
	assert_int_equal(F.m.sent[1].scsi.cdb[0], 0x03);
	assert_true(F.progress_calls >= 2);
	assert_null(res.expected_pattern);
	assert_int_equal(res.verdict, DRIVE_VERDICT_PASSED);
	assert_int_equal(res.changed, res.samples);

	/* QEMU's SANITIZE overwrite: DID_ERROR from the host adapter */
	F.drv.caps.methods = 1u << DRIVE_METHOD_SCSI_SANITIZE_OVERWRITE;
	F.m.n_sent = F.m.n_replies = 0;
	mock_add(&F.m)->host_status = 0x07;
	assert_int_equal(drive_erase(&F.drv, DRIVE_METHOD_SCSI_SANITIZE_OVERWRITE, &fast, NULL, NULL, &res), -EIO);
	assert_int_equal(res.status.kind, DRIVE_STATUS_TRANSPORT);
	assert_false(res.refused);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nvme_format_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nvme_format_4kn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_success_but_unchanged_is_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_some_unchanged_is_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_zero_before_not_passed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pattern_mismatch_is_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_samples_inconclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nvme_format_crypto_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nvme_auto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nvme_sanitize_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nvme_sanitize_device_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ata_secure_erase_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ata_secure_erase_abort_clears_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ata_set_password_aborted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ata_set_password_unproven, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ata_password_not_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ata_frozen_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ata_sanitize_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ata_remove_hpa_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scsi_sanitize_progress, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
