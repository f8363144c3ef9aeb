/* erase.c - firmware erase: check, sample, send, wait, read back, judge.
 *
 * Its job: run one firmware erase method and say, from the device's own
 * status and from a sampled read-back compared with the same samples taken
 * before, whether the data is gone. It must never send a command the
 * capabilities rule out, never report success when sampled data did not
 * change, and never leave an ATA password it set behind on a failure path
 * (and if the drive refuses to clear it, hand the password to the caller).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <linux/fs.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "wipecert/ata.h"
#include "wipecert/disk.h"
#include "wipecert/drive.h"
#include "wipecert/nvme.h"
#include "wipecert/sample.h"
#include "wipecert/scsi.h"
#include "wipecert/util.h"

#define DEFAULT_MAX_WAIT_S (24u * 3600)
#define DEFAULT_POLL_MS 1000u
#define PIECE_MAX (1u << 20)   /* compare samples in pieces of at most this */
#define PIECES_MIN 16          /* and in at least this many */
#define PROGRESS_ONE 65536.0   /* NVMe SPROG, SCSI and ATA progress: n / 65536 */
#define ATA_PW_ALPHABET "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void progress_call(drive_progress_fn fn, void *ud, const char *phase, double f, double eta)
{
	if (fn)
		fn(ud, phase, f, eta);
}

static uint32_t ms_of(uint64_t s)
{
	return s * 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(s * 1000);
}

/* ---- sampled read-back ----------------------------------------------------- */

struct samples {
	struct sample_plan plan;
	struct sample_range *pieces;   /* the plan's ranges cut into <= PIECE_MAX */
	size_t n;
	uint8_t (*before)[SAMPLE_HASH_BYTES];
	uint8_t (*zero)[SAMPLE_HASH_BYTES];  /* what each piece hashes to when all zeros */
};

static void samples_release(struct samples *s)
{
	sample_plan_release(&s->plan);
	free(s->pieces);
	free(s->before);
	free(s->zero);
	memset(s, 0, sizeof(*s));
}

/* A block device is read with O_DIRECT after its page cache is dropped:
 * the cache may still hold what was there before the erase. An image file
 * (tests) is read through the cache, which is coherent with its writer. */
static int open_data(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0)
		return -errno;
	fd = open(path, O_RDONLY | O_CLOEXEC | (S_ISBLK(st.st_mode) ? O_DIRECT : 0));
	if (fd < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		(void)ioctl(fd, BLKFLSBUF, 0);
	return fd;
}

static int hash_pieces(int fd, const struct samples *s, uint8_t (*out)[SAMPLE_HASH_BYTES])
{
	for (size_t i = 0; i < s->n; i++) {
		struct sample_plan one = { .ranges = &s->pieces[i], .n = 1, .bytes = s->pieces[i].length };
		int r = sample_hash_fd(fd, &one, out[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

static int samples_take(const struct drive *drv, unsigned percent, uint64_t seed, struct samples *s)
{
	unsigned sector = drv->caps.lba_size ? drv->caps.lba_size : 512;
	_cleanup_close_ int fd = -1, zfd = -1;
	uint64_t piece;
	size_t cap = 0;
	int r;

	r = sample_plan_make(drv->size, sector, percent, seed, &s->plan);
	if (r < 0)
		return r;
	/* a small device is one range: cut it into PIECES_MIN pieces so that
	 * "changed everywhere" still means something */
	piece = PIECE_MAX;
	if (s->plan.n < PIECES_MIN && s->plan.bytes / PIECES_MIN < piece)
		piece = s->plan.bytes / PIECES_MIN / sector * sector;
	if (piece < sector)
		piece = sector;
	for (size_t i = 0; i < s->plan.n; i++)
		cap += (size_t)((s->plan.ranges[i].length + piece - 1) / piece);
	s->pieces = calloc(cap, sizeof(*s->pieces));
	s->before = calloc(cap, sizeof(*s->before));
	s->zero = calloc(cap, sizeof(*s->zero));
	if (!s->pieces || !s->before || !s->zero)
		return -ENOMEM;
	for (size_t i = 0; i < s->plan.n; i++) {
		uint64_t off = s->plan.ranges[i].offset, left = s->plan.ranges[i].length;

		while (left) {
			uint64_t len = left < piece ? left : piece;

			s->pieces[s->n++] = (struct sample_range){ off, len };
			off += len;
			left -= len;
		}
	}
	fd = open_data(drv->data_path);
	if (fd < 0)
		return fd;
	r = hash_pieces(fd, s, s->before);
	if (r < 0)
		return r;
	/* a sparse memory file of the device's size reads zeros everywhere */
	zfd = memfd_create("wipecert-zeros", MFD_CLOEXEC);
	if (zfd < 0)
		return -errno;
	if (ftruncate(zfd, (off_t)drv->size) < 0)
		return -errno;
	return hash_pieces(zfd, s, s->zero);
}

/* What the drive documents its erased blocks read as, when it says. */
static const char *expected_pattern(const struct drive *drv, enum drive_method m)
{
	switch (m) {
	case DRIVE_METHOD_NVME_FORMAT:
	case DRIVE_METHOD_NVME_SANITIZE_BLOCK:
		if ((drv->caps.nvme_dlfeat & NVME_DLFEAT_READ_MASK) == NVME_DLFEAT_ZEROES)
			return "zeros";
		return NULL;
	case DRIVE_METHOD_NVME_SANITIZE_OVERWRITE:
	case DRIVE_METHOD_ATA_SANITIZE_OVERWRITE:
	case DRIVE_METHOD_SCSI_SANITIZE_OVERWRITE:
	case DRIVE_METHOD_ATA_SECURE_ERASE: /* ACS: normal erase writes binary zeros */
		return "zeros";
	default:
		return NULL;
	}
}

static int samples_verify(const struct drive *drv, struct samples *s, struct drive_erase_result *res)
{
	_cleanup_free_ uint8_t (*after)[SAMPLE_HASH_BYTES] = calloc(s->n ? s->n : 1, SAMPLE_HASH_BYTES);
	_cleanup_close_ int fd = -1;
	bool zeros = res->expected_pattern && streq(res->expected_pattern, "zeros");
	int r;

	if (!after)
		return -ENOMEM;
	fd = open_data(drv->data_path);
	if (fd < 0)
		return fd;
	r = hash_pieces(fd, s, after);
	if (r < 0)
		return r;
	res->samples = s->n;
	res->sample_bytes = s->plan.bytes;
	for (size_t i = 0; i < s->n; i++) {
		bool same = !memcmp(after[i], s->before[i], SAMPLE_HASH_BYTES);
		bool was_zero = !memcmp(s->before[i], s->zero[i], SAMPLE_HASH_BYTES);
		bool is_zero = !memcmp(after[i], s->zero[i], SAMPLE_HASH_BYTES);

		if (!same) {
			res->changed++;
			if (zeros && !is_zero)
				res->pattern_mismatch++;
		} else if (was_zero) {
			res->inconclusive++; /* zeros before and after prove nothing */
		} else {
			res->unchanged++;
		}
	}
	if (res->unchanged || res->pattern_mismatch || !res->changed) {
		res->verdict = DRIVE_VERDICT_FAILED;
		if (res->unchanged)
			snprintf(res->reason, sizeof(res->reason),
				 "the drive reported success but %" PRIu64 " of %" PRIu64 " sampled ranges still hold their old data",
				 res->unchanged, res->samples);
		else if (res->pattern_mismatch)
			snprintf(res->reason, sizeof(res->reason),
				 "%" PRIu64 " of %" PRIu64 " sampled ranges changed but do not read as %s as the drive documents",
				 res->pattern_mismatch, res->samples, res->expected_pattern);
		else
			snprintf(res->reason, sizeof(res->reason),
				 "no sampled range changed (all held zeros before): the erase cannot be shown");
		return -EIO;
	}
	res->verdict = DRIVE_VERDICT_PASSED;
	return 0;
}

/* ---- NVMe -------------------------------------------------------------------- */

static int nvme_format_run(struct drive *drv, enum nvme_ses ses, const struct drive_erase_opts *o,
			   struct drive_erase_result *res)
{
	struct nvme_cmd c;

	nvme_build_format(&c, drv->t->nsid ? drv->t->nsid : 1, drv->caps.nvme_lbaf, ses);
	c.timeout_ms = ms_of(o->max_wait_s);
	return nvme_submit(drv->t, &c, &res->status);
}

static int nvme_sanitize_run(struct drive *drv, enum nvme_sanact act, const struct drive_erase_opts *o,
			     drive_progress_fn fn, void *ud, struct drive_erase_result *res)
{
	uint8_t log[NVME_SANITIZE_LOG_LEN];
	uint64_t t0 = now_ns();
	bool seen = false;
	struct nvme_cmd c;
	uint32_t cdw10;
	int r;

	nvme_build_sanitize(&c, act, 1, 0, false);
	cdw10 = c.cdw10;
	r = nvme_submit(drv->t, &c, &res->status);
	if (r < 0)
		return r;
	for (;;) {
		struct nvme_sanitize_status s;
		struct drive_status st;
		double elapsed = (double)(now_ns() - t0) / 1e9, est;

		memset(log, 0, sizeof(log));
		nvme_build_sanitize_log(&c, log);
		r = nvme_submit(drv->t, &c, &st);
		if (r < 0) {
			res->status = st;
			return r;
		}
		nvme_parse_sanitize_log(log, &s);
		if (s.scdw10 != cdw10 && s.state != NVME_SSTAT_IN_PROGRESS) {
			/* the log still describes an older sanitize */
			res->status.kind = DRIVE_STATUS_NO_PROOF;
			snprintf(res->status.text, sizeof(res->status.text),
				 "nvme sanitize status log describes another sanitize (SCDW10 0x%08x, sent 0x%08x)",
				 s.scdw10, cdw10);
			return -EPROTO;
		}
		if (s.state == NVME_SSTAT_COMPLETED || s.state == NVME_SSTAT_COMPLETED_NDA) {
			progress_call(fn, ud, "erase", 1.0, 0);
			return 0;
		}
		if (s.state == NVME_SSTAT_FAILED) {
			res->status.kind = DRIVE_STATUS_NVME;
			snprintf(res->status.text, sizeof(res->status.text), "nvme sanitize status log: sanitize failed (SSTAT 3)");
			return -EIO;
		}
		if (s.state == NVME_SSTAT_IN_PROGRESS)
			seen = true;
		else if (seen || elapsed > 10) {
			/* never sanitized: the command did not start */
			res->status.kind = DRIVE_STATUS_NO_PROOF;
			snprintf(res->status.text, sizeof(res->status.text),
				 "nvme sanitize status log never showed the sanitize (SSTAT %u)", s.state);
			return -EPROTO;
		}
		est = act == NVME_SANACT_CRYPTO ? s.etce : act == NVME_SANACT_BLOCK ? s.etbe : s.eto;
		progress_call(fn, ud, "erase", s.sprog / PROGRESS_ONE,
			      est && est != UINT32_MAX ? (est > elapsed ? est - elapsed : 0) : -1);
		if (elapsed > o->max_wait_s)
			return -ETIMEDOUT;
		sleep_ms(o->poll_ms);
	}
}

/* ---- ATA ------------------------------------------------------------------------ */

static int ata_identify(struct drive_transport *t, struct drive_caps *c, struct drive_status *st)
{
	uint8_t id[ATA_SECTOR] = { 0 };
	struct ata_cmd a;
	int r;

	ata_build_identify(&a, id);
	r = ata_submit(t, &a, st);
	if (r < 0)
		return r;
	memset(c, 0, sizeof(*c));
	return ata_parse_identify(id, c);
}

/* Clear our password (whether or not SET PASSWORD seemed to work: a lost
 * answer may hide that it did), then make sure from IDENTIFY that no
 * password is left. On failure the caller hands the password over. */
static int ata_clear_password(struct drive_transport *t, const uint8_t *pw, uint8_t *blk)
{
	struct drive_caps c;
	struct ata_cmd a;
	int r;

	ata_build_sec_disable_pass(&a, blk, pw);
	(void)ata_submit(t, &a, NULL);
	sodium_memzero(blk, ATA_SECTOR);
	r = ata_identify(t, &c, NULL);
	if (r < 0)
		return r;
	return c.ata_security_enabled ? -EIO : 0;
}

static int ata_secure_erase_run(struct drive *drv, bool enhanced, const struct drive_erase_opts *o,
				drive_progress_fn fn, void *ud, struct drive_erase_result *res)
{
	uint8_t *pw = NULL, *blk = NULL;
	unsigned minutes = enhanced ? drv->caps.ata_enhanced_erase_minutes : drv->caps.ata_erase_minutes;
	uint32_t timeout = minutes ? ms_of((uint64_t)minutes * 60 * 2 + 60) : ms_of(o->max_wait_s);
	struct drive_caps now;
	struct ata_cmd a;
	int r;

	pw = sodium_malloc(ATA_SEC_PASSWORD_LEN + 1);
	blk = sodium_malloc(ATA_SECTOR);
	if (!pw || !blk) {
		r = -ENOMEM;
		goto out_free;
	}
	/* a random password of letters and digits: typeable if it must be
	 * handed to an operator because the drive refused to clear it */
	for (size_t i = 0; i < ATA_SEC_PASSWORD_LEN; i++)
		pw[i] = (uint8_t)ATA_PW_ALPHABET[randombytes_uniform(sizeof(ATA_PW_ALPHABET) - 1)];
	pw[ATA_SEC_PASSWORD_LEN] = '\0';

	ata_build_sec_set_pass(&a, blk, pw);
	r = ata_submit(drv->t, &a, &res->status);
	sodium_memzero(blk, ATA_SECTOR);
	if (r < 0)
		goto out_clear;
	/* trust the drive's state, not the command's answer */
	r = ata_identify(drv->t, &now, &res->status);
	if (r < 0)
		goto out_clear;
	if (!now.ata_security_enabled) {
		res->status.kind = DRIVE_STATUS_NO_PROOF;
		snprintf(res->status.text, sizeof(res->status.text),
			 "SECURITY SET PASSWORD reported success but IDENTIFY shows security not enabled");
		r = -EPROTO;
		goto out_clear;
	}
	ata_build_sec_erase_prepare(&a);
	r = ata_submit(drv->t, &a, &res->status);
	if (r < 0)
		goto out_clear;
	progress_call(fn, ud, "erase", -1, minutes ? minutes * 60.0 : -1);
	ata_build_sec_erase_unit(&a, blk, pw, enhanced, timeout);
	r = ata_submit(drv->t, &a, &res->status);
	sodium_memzero(blk, ATA_SECTOR);
	if (r < 0)
		goto out_clear;
	/* a successful erase disables security; check, and clear if not */
	r = ata_identify(drv->t, &now, NULL);
	if (r == 0 && !now.ata_security_enabled)
		goto out_free;
	r = 0;
out_clear:
	{
		int k = ata_clear_password(drv->t, pw, blk);

		if (k < 0) {
			snprintf(res->reason, sizeof(res->reason),
				 "the drive did not clear the temporary ATA user password; unlock it with: "
				 "hdparm --user-master u --security-disable %s DEVICE", (const char *)pw);
			if (r == 0)
				r = k;
		}
	}
out_free:
	sodium_free(pw);
	sodium_free(blk);
	return r;
}

static int ata_sanitize_run(struct drive *drv, uint16_t sub, const struct drive_erase_opts *o,
			    drive_progress_fn fn, void *ud, struct drive_erase_result *res)
{
	uint64_t t0 = now_ns();
	struct ata_cmd a;
	int r;

	ata_build_sanitize(&a, sub, 0, 1);
	r = ata_submit(drv->t, &a, &res->status);
	if (r < 0)
		return r;
	for (;;) {
		double elapsed = (double)(now_ns() - t0) / 1e9, f;

		ata_build_sanitize_status(&a);
		r = ata_submit(drv->t, &a, &res->status);
		if (r < 0) {
			/* ABRT here: the sanitize failed; LBA 7:0 holds the reason */
			snprintf(res->status.text + strlen(res->status.text),
				 sizeof(res->status.text) - strlen(res->status.text),
				 " (sanitize failed, reason 0x%02x)", (unsigned)(a.out.lba & 0xff));
			return r;
		}
		if (a.out.count & ATA_SANITIZE_OUT_COMPLETED) {
			progress_call(fn, ud, "erase", 1.0, 0);
			return 0;
		}
		if (!(a.out.count & ATA_SANITIZE_OUT_IN_PROGRESS)) {
			res->status.kind = DRIVE_STATUS_NO_PROOF;
			snprintf(res->status.text, sizeof(res->status.text),
				 "SANITIZE STATUS shows neither in progress nor completed (count 0x%04x)", a.out.count);
			return -EPROTO;
		}
		f = (double)(a.out.lba & ATA_SANITIZE_PROGRESS_MASK) / PROGRESS_ONE;
		progress_call(fn, ud, "erase", f, f > 0.001 ? elapsed / f - elapsed : -1);
		if (elapsed > o->max_wait_s)
			return -ETIMEDOUT;
		sleep_ms(o->poll_ms);
	}
}

/* ---- SCSI ----------------------------------------------------------------------- */

static int scsi_sanitize_run(struct drive *drv, enum scsi_sanitize_sa sa, const struct drive_erase_opts *o,
			     drive_progress_fn fn, void *ud, struct drive_erase_result *res)
{
	uint8_t param[SCSI_SANITIZE_OW_PARAM_LEN], sense[252];
	uint64_t t0 = now_ns();
	struct scsi_cmd c;
	int r;

	scsi_build_sanitize(&c, sa, true, param, 0, 1);
	r = scsi_submit(drv->t, &c, &res->status);
	if (r < 0)
		return r;
	for (;;) {
		double elapsed = (double)(now_ns() - t0) / 1e9, f;
		struct scsi_sense s;

		memset(sense, 0, sizeof(sense));
		scsi_build_request_sense(&c, sense, sizeof(sense), true);
		r = scsi_submit(drv->t, &c, &res->status);
		if (r < 0)
			return r;
		scsi_parse_sense(sense, sizeof(sense) - (size_t)(c.resid > 0 ? c.resid : 0), &s);
		if (s.valid && s.key == SCSI_KEY_NOT_READY && s.asc == SCSI_ASC_NOT_READY &&
		    s.ascq == SCSI_ASCQ_SANITIZE_IN_PROGRESS) {
			f = s.progress_valid ? s.progress / PROGRESS_ONE : -1;
			progress_call(fn, ud, "erase", f, f > 0.001 ? elapsed / f - elapsed : -1);
			if (elapsed > o->max_wait_s)
				return -ETIMEDOUT;
			sleep_ms(o->poll_ms);
			continue;
		}
		if (s.valid && s.key != SCSI_KEY_NO_SENSE) {
			res->status.kind = DRIVE_STATUS_SCSI;
			res->status.sense_key = s.key;
			res->status.asc = s.asc;
			res->status.ascq = s.ascq;
			snprintf(res->status.text, sizeof(res->status.text), "sanitize ended with %s, asc/ascq 0x%02x/0x%02x",
				 scsi_sense_key_to_string(s.key), s.asc, s.ascq);
			return -EIO;
		}
		progress_call(fn, ud, "erase", 1.0, 0);
		return 0;
	}
}

/* ---- the method ------------------------------------------------------------------- */

int drive_remove_hpa(struct drive_transport *t, const struct drive_caps *c, struct drive_status *st)
{
	struct ata_cmd a;

	if (c->proto != DRIVE_PROTO_ATA || !c->ata_hpa_present || !c->ata_native_max_lba)
		return 0;
	ata_build_set_max(&a, c->ata_native_max_lba - 1);
	return ata_submit(t, &a, st);
}

static int run_method(struct drive *drv, enum drive_method m, const struct drive_erase_opts *o,
		      drive_progress_fn fn, void *ud, struct drive_erase_result *res)
{
	switch (m) {
	case DRIVE_METHOD_NVME_FORMAT: return nvme_format_run(drv, NVME_SES_USER_DATA, o, res);
	case DRIVE_METHOD_NVME_FORMAT_CRYPTO: return nvme_format_run(drv, NVME_SES_CRYPTO, o, res);
	case DRIVE_METHOD_NVME_SANITIZE_CRYPTO: return nvme_sanitize_run(drv, NVME_SANACT_CRYPTO, o, fn, ud, res);
	case DRIVE_METHOD_NVME_SANITIZE_BLOCK: return nvme_sanitize_run(drv, NVME_SANACT_BLOCK, o, fn, ud, res);
	case DRIVE_METHOD_NVME_SANITIZE_OVERWRITE: return nvme_sanitize_run(drv, NVME_SANACT_OVERWRITE, o, fn, ud, res);
	case DRIVE_METHOD_ATA_SECURE_ERASE: return ata_secure_erase_run(drv, false, o, fn, ud, res);
	case DRIVE_METHOD_ATA_SECURE_ERASE_ENHANCED: return ata_secure_erase_run(drv, true, o, fn, ud, res);
	case DRIVE_METHOD_ATA_SANITIZE_CRYPTO: return ata_sanitize_run(drv, ATA_SANITIZE_CRYPTO_EXT, o, fn, ud, res);
	case DRIVE_METHOD_ATA_SANITIZE_BLOCK: return ata_sanitize_run(drv, ATA_SANITIZE_BLOCK_EXT, o, fn, ud, res);
	case DRIVE_METHOD_ATA_SANITIZE_OVERWRITE: return ata_sanitize_run(drv, ATA_SANITIZE_OVERWRITE_EXT, o, fn, ud, res);
	case DRIVE_METHOD_SCSI_SANITIZE_CRYPTO: return scsi_sanitize_run(drv, SCSI_SANITIZE_CRYPTO, o, fn, ud, res);
	case DRIVE_METHOD_SCSI_SANITIZE_BLOCK: return scsi_sanitize_run(drv, SCSI_SANITIZE_BLOCK, o, fn, ud, res);
	case DRIVE_METHOD_SCSI_SANITIZE_OVERWRITE: return scsi_sanitize_run(drv, SCSI_SANITIZE_OVERWRITE, o, fn, ud, res);
	default: return -EINVAL;
	}
}

int drive_erase(struct drive *drv, enum drive_method method, const struct drive_erase_opts *opts,
		drive_progress_fn progress, void *userdata, struct drive_erase_result *res)
{
	struct drive_erase_opts o = opts ? *opts : (struct drive_erase_opts){ 0 };
	struct samples s = { 0 };
	int r;

	memset(res, 0, sizeof(*res));
	if (!o.max_wait_s)
		o.max_wait_s = DEFAULT_MAX_WAIT_S;
	if (!o.poll_ms)
		o.poll_ms = DEFAULT_POLL_MS;
	res->method = method;
	res->level = o.level;
	res->hpa_present = drv->caps.ata_hpa_present;
	res->dco_present = drv->caps.ata_dco_present;
	res->max_lba_before = drv->caps.ata_max_lba;
	res->native_max_lba = drv->caps.ata_native_max_lba;
	res->started_ns = realtime_ns();

	if (method == DRIVE_METHOD_AUTO) {
		r = drive_choose_method(&drv->caps, o.level, &res->method, res->reason, sizeof(res->reason));
		if (r < 0) {
			res->refused = true;
			res->error = r;
			goto out;
		}
		method = res->method;
	}
	res->level = drive_method_level(method, drv->caps.solid_state);
	r = drive_check_method(&drv->caps, method, res->reason, sizeof(res->reason));
	if (r < 0) {
		res->refused = true;
		res->error = r;
		goto out;
	}
	res->expected_pattern = expected_pattern(drv, method);

	if (o.remove_hpa && drv->caps.ata_hpa_present) {
		r = drive_remove_hpa(drv->t, &drv->caps, &res->status);
		if (r < 0) {
			res->refused = true;
			res->error = r;
			snprintf(res->reason, sizeof(res->reason), "could not remove the host protected area: %s",
				 res->status.text);
			goto out;
		}
		res->hpa_removed = true;
	}

	if (!o.no_verify) {
		res->sample_percent = o.sample_percent ? o.sample_percent : SAMPLE_DEFAULT_PERCENT;
		randombytes_buf(&res->sample_seed, sizeof(res->sample_seed));
		res->sample_seed &= INT64_MAX; /* fits a JSON integer */
		progress_call(progress, userdata, "pre-sample", -1, -1);
		r = samples_take(drv, res->sample_percent, res->sample_seed, &s);
		if (r < 0) {
			/* nothing was sent yet: a refusal, not a failed erase */
			res->refused = true;
			res->error = r;
			snprintf(res->reason, sizeof(res->reason), "could not read the samples before the erase: %s",
				 strerror(-r));
			goto out;
		}
	}

	progress_call(progress, userdata, "erase", 0, -1);
	r = run_method(drv, method, &o, progress, userdata, res);
	if (r < 0) {
		res->error = r;
		if (!res->reason[0])
			snprintf(res->reason, sizeof(res->reason), "%s failed: %s", drive_method_to_string(method),
				 res->status.text[0] ? res->status.text : strerror(-r));
		goto out;
	}
	if (o.no_verify) {
		res->verdict = DRIVE_VERDICT_SKIPPED;
		goto out;
	}
	progress_call(progress, userdata, "verify", -1, -1);
	r = samples_verify(drv, &s, res);
	if (r < 0) {
		res->error = r;
		if (res->verdict != DRIVE_VERDICT_FAILED) {
			res->verdict = DRIVE_VERDICT_FAILED;
			snprintf(res->reason, sizeof(res->reason), "could not read the samples back: %s", strerror(-r));
		}
	}
out:
	samples_release(&s);
	res->finished_ns = realtime_ns();
	return res->error;
}

int drive_firmware_erase(const struct disk *d, enum drive_method method, const struct drive_erase_opts *opts,
			 drive_progress_fn progress, void *userdata, struct drive_erase_result *res)
{
	struct drive drv = { .data_path = d->devpath, .size = d->size };
	int r;

	memset(res, 0, sizeof(*res));
	res->method = method;
	r = drive_open(d->devpath, true, &drv.t);
	if (r == 0)
		r = drive_read_caps(drv.t, &drv.caps, &res->status);
	if (r < 0) {
		drive_close(drv.t);
		res->refused = true;
		res->error = r;
		snprintf(res->reason, sizeof(res->reason), "could not read the drive's capabilities: %s",
			 res->status.text[0] ? res->status.text : strerror(-r));
		return r;
	}
	if (!drv.caps.lba_size || (d->logical_sector && d->logical_sector != drv.caps.lba_size))
		drv.caps.lba_size = d->logical_sector ? d->logical_sector : 512;
	r = drive_erase(&drv, method, opts, progress, userdata, res);
	drive_close(drv.t);
	return r;
}

const char *drive_verdict_to_string(enum drive_verdict v)
{
	switch (v) {
	case DRIVE_VERDICT_PASSED: return "passed";
	case DRIVE_VERDICT_FAILED: return "failed";
	case DRIVE_VERDICT_SKIPPED: return "skipped";
	default: return "none";
	}
}

static const char *status_kind(enum drive_status_kind k)
{
	static const char *const names[] = { "ok", "transport", "nvme", "scsi", "ata", "no-proof" };

	return k < ARRAY_SIZE(names) ? names[k] : "unknown";
}

static json_t *time_json(uint64_t ns)
{
	char buf[32];

	if (!ns || format_utc((time_t)(ns / 1000000000ull), buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

json_t *drive_erase_result_to_json(const struct drive_erase_result *r)
{
	const struct drive_status *s = &r->status;
	const char *result = r->refused ? "refused" : r->error ? "failed" : "succeeded";

	return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:o, s:o,"
			 " s:{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
			 " s:{s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
			 " s:{s:b, s:b, s:b, s:I, s:I}}",
			 "kind", "firmware-erase",
			 "method", drive_method_to_string(r->method),
			 "level", drive_level_to_string(r->level),
			 "reason", r->reason[0] ? r->reason : NULL,
			 "result", result,
			 "error", r->error ? strerror(-r->error) : "",
			 "started", time_json(r->started_ns),
			 "finished", time_json(r->finished_ns),
			 "device_status",
			 "kind", status_kind(s->kind), "text", s->text,
			 "nvme_status", (json_int_t)s->nvme, "scsi_status", (json_int_t)s->scsi_status,
			 "sense_key", (json_int_t)s->sense_key, "asc", (json_int_t)s->asc, "ascq", (json_int_t)s->ascq,
			 "host_status", (json_int_t)s->host_status, "driver_status", (json_int_t)s->driver_status,
			 "ata_status", (json_int_t)s->ata_status, "ata_error", (json_int_t)s->ata_error,
			 "verification",
			 "verdict", drive_verdict_to_string(r->verdict), "expected_pattern", r->expected_pattern,
			 "samples", (json_int_t)r->samples, "sample_bytes", (json_int_t)r->sample_bytes,
			 "sample_percent", (json_int_t)r->sample_percent, "sample_seed", (json_int_t)r->sample_seed,
			 "changed", (json_int_t)r->changed, "unchanged", (json_int_t)r->unchanged,
			 "inconclusive", (json_int_t)r->inconclusive, "pattern_mismatch", (json_int_t)r->pattern_mismatch,
			 "hidden_areas",
			 "hpa_present", r->hpa_present, "dco_present", r->dco_present, "hpa_removed", r->hpa_removed,
			 "max_lba", (json_int_t)r->max_lba_before, "native_max_lba", (json_int_t)r->native_max_lba);
}
