/* drive.h - talking to a drive: one transport interface (NVMe admin ioctl,
 * SCSI SG_IO, ATA through SAT over SG_IO), decoded device status, the
 * drive's erase capabilities and the firmware erase methods.
 *
 * Its job: build commands with the pure builders of nvme.h, ata.h and
 * scsi.h, check the drive's capabilities, submit through a transport that
 * tests replace, and judge the result from the device's own status.
 * It must never send a destructive command the capabilities say is
 * unsupported, never trust a tool's or a transport's "success" without the
 * device status, and never print or exit.
 */
#ifndef WIPECERT_DRIVE_H
#define WIPECERT_DRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct disk;
typedef struct json_t json_t;

/* ---- commands and the transport ---------------------------------------- */

enum drive_dir { DRIVE_DIR_NONE, DRIVE_DIR_IN, DRIVE_DIR_OUT };

/* An NVMe admin command (the submission dwords we set) and its completion. */
struct nvme_cmd {
	uint8_t opcode;
	uint32_t nsid;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
	enum drive_dir dir;
	void *data;
	uint32_t data_len;
	uint32_t timeout_ms;  /* 0: the kernel's admin timeout */
	/* filled in by submit */
	uint16_t status;      /* NVMe status field (see NVME_STATUS_*) */
	uint32_t result;      /* completion queue entry dword 0 */
};

#define SCSI_SENSE_MAX 64
/* A SCSI command (CDB) and what came back. */
struct scsi_cmd {
	uint8_t cdb[16];
	uint8_t cdb_len;
	enum drive_dir dir;
	void *data;
	uint32_t data_len;
	uint32_t timeout_ms;
	/* filled in by submit */
	uint8_t status;        /* SAM status byte: 0 GOOD, 2 CHECK CONDITION, ... */
	uint16_t host_status;  /* Linux DID_* */
	uint16_t driver_status;
	uint8_t sense[SCSI_SENSE_MAX];
	uint8_t sense_len;
	int32_t resid;
};

enum drive_cmd_kind { DRIVE_CMD_NVME, DRIVE_CMD_SCSI };

struct drive_cmd {
	enum drive_cmd_kind kind;
	union {
		struct nvme_cmd nvme;
		struct scsi_cmd scsi;
	};
};

enum drive_proto { DRIVE_PROTO_NONE, DRIVE_PROTO_NVME, DRIVE_PROTO_ATA, DRIVE_PROTO_SCSI };

/* One interface for every bus. submit() returns 0 when the command reached
 * the device and its status is in the command (which may be an error the
 * caller must decode), -errno when the transport itself failed. */
struct drive_transport {
	int (*submit)(struct drive_transport *t, struct drive_cmd *c);
	void (*close)(struct drive_transport *t);
	enum drive_proto proto;  /* what this device speaks (ATA goes over SCSI) */
	uint32_t nsid;           /* NVMe: the namespace of the node opened */
	int fd;
	void *priv;              /* tests hang their state here */
	char *path;
};

/* Open path (a block device or sg node) for commands. NVMe nodes get the
 * NVME_IOCTL_ADMIN_CMD transport, everything else SG_IO; proto is then
 * found by drive_detect_proto(). With exclusive the device is opened
 * O_RDWR|O_EXCL (for erase), else O_RDONLY|O_NONBLOCK. */
int drive_open(const char *path, bool exclusive, struct drive_transport **ret);
void drive_close(struct drive_transport *t);

/* ---- device status ------------------------------------------------------ */

enum drive_status_kind {
	DRIVE_STATUS_OK,
	DRIVE_STATUS_TRANSPORT,  /* ioctl failed, or SCSI host/driver status */
	DRIVE_STATUS_NVME,       /* the NVMe status field was not 0 */
	DRIVE_STATUS_SCSI,       /* CHECK CONDITION or another SAM status */
	DRIVE_STATUS_ATA,        /* ERR or DF in the ATA status register */
	DRIVE_STATUS_NO_PROOF,   /* "success" without the registers to prove it */
};

/* The device's answer, decoded; kept apart from errno. */
struct drive_status {
	enum drive_status_kind kind;
	int err;                 /* -errno the call returned */
	uint16_t nvme;
	uint8_t scsi_status, sense_key, asc, ascq;
	uint16_t host_status, driver_status;
	uint8_t ata_status, ata_error;
	char text[192];          /* "nvme status 0x4001 (invalid command opcode, dnr)" */
};

/* Submit and decode: 0 on success, else -errno with *st (may be NULL) set.
 * -EOPNOTSUPP: the device says invalid opcode/field; -EIO: device error;
 * -EPROTO: no status to prove success. */
int nvme_submit(struct drive_transport *t, struct nvme_cmd *c, struct drive_status *st);
int scsi_submit(struct drive_transport *t, struct scsi_cmd *c, struct drive_status *st);
struct ata_cmd;
int ata_submit(struct drive_transport *t, struct ata_cmd *c, struct drive_status *st);

/* ---- capabilities -------------------------------------------------------- */

enum drive_method {
	DRIVE_METHOD_NVME_SANITIZE_CRYPTO,
	DRIVE_METHOD_NVME_SANITIZE_BLOCK,
	DRIVE_METHOD_NVME_SANITIZE_OVERWRITE,
	DRIVE_METHOD_NVME_FORMAT,
	DRIVE_METHOD_NVME_FORMAT_CRYPTO,
	DRIVE_METHOD_ATA_SECURE_ERASE,
	DRIVE_METHOD_ATA_SECURE_ERASE_ENHANCED,
	DRIVE_METHOD_ATA_SANITIZE_CRYPTO,
	DRIVE_METHOD_ATA_SANITIZE_BLOCK,
	DRIVE_METHOD_ATA_SANITIZE_OVERWRITE,
	DRIVE_METHOD_SCSI_SANITIZE_CRYPTO,
	DRIVE_METHOD_SCSI_SANITIZE_BLOCK,
	DRIVE_METHOD_SCSI_SANITIZE_OVERWRITE,
	_DRIVE_METHOD_MAX,
	DRIVE_METHOD_AUTO = -2,
	DRIVE_METHOD_INVALID = -1,
};

enum drive_level { DRIVE_LEVEL_CLEAR, DRIVE_LEVEL_PURGE };

struct drive_caps {
	enum drive_proto proto;
	char serial[41], model[41], firmware[9];
	uint32_t methods;            /* bit (1 << DRIVE_METHOD_*) when supported */
	bool solid_state;            /* NVMe, ATA rotation rate 1, SCSI VPD b1 */
	uint32_t lba_size;
	uint64_t lba_count;
	/* NVMe Identify Controller / Namespace */
	uint16_t nvme_oacs;
	uint32_t nvme_sanicap;
	uint8_t nvme_fna;
	uint8_t nvme_dlfeat;         /* Identify Namespace: what deallocated blocks read */
	uint8_t nvme_lbaf;           /* the namespace's current LBA format (Format keeps it) */
	/* ATA IDENTIFY DEVICE */
	bool ata_security_supported, ata_security_enabled, ata_security_locked;
	bool ata_security_frozen, ata_security_count_expired, ata_enhanced_supported;
	unsigned ata_erase_minutes, ata_enhanced_erase_minutes; /* 0: not reported */
	bool ata_sanitize_supported;
	bool ata_hpa_supported, ata_hpa_enabled, ata_dco_supported;
	bool ata_hpa_present, ata_dco_present;  /* a hidden area was found */
	uint64_t ata_max_lba, ata_native_max_lba, ata_dco_max_lba; /* addresses + 1 */
	/* SCSI */
	bool scsi_rsoc;              /* REPORT SUPPORTED OPERATION CODES answered */
};

/* Find what the device behind t speaks (t->proto): NVMe by transport, ATA
 * when the SCSI device has the ATA Information VPD page (0x89), else SCSI. */
int drive_detect_proto(struct drive_transport *t, struct drive_status *st);
/* Read the capabilities through t (reads only: Identify, IDENTIFY DEVICE,
 * READ NATIVE MAX, DCO IDENTIFY, INQUIRY, RSOC). */
int drive_read_caps(struct drive_transport *t, struct drive_caps *ret, struct drive_status *st);
/* Open path read-only, detect and read; for `list`. */
int drive_probe_caps(const char *path, struct drive_caps *ret);
json_t *drive_caps_to_json(const struct drive_caps *c);

const char *drive_proto_to_string(enum drive_proto p);
const char *drive_method_to_string(enum drive_method m);
enum drive_method drive_method_from_string(const char *s);
/* The NIST SP 800-88 Rev. 1 level a method reaches on this media: Purge,
 * except ATA SECURITY ERASE UNIT (normal) on flash, which is Clear. */
enum drive_level drive_method_level(enum drive_method m, bool solid_state);
/* The protocol a method speaks. */
enum drive_proto drive_method_proto(enum drive_method m);
const char *drive_level_to_string(enum drive_level l);
int drive_level_from_string(const char *s, enum drive_level *ret);

/* 0 when the drive can run m now; else -EOPNOTSUPP (not supported),
 * -EACCES (ATA security frozen or locked, sanitize frozen) with a
 * one-line reason in why (may be NULL). */
int drive_check_method(const struct drive_caps *c, enum drive_method m, char *why, size_t why_len);
/* --method auto: the fastest method that reaches level on this media
 * (NIST SP 800-88 Rev. 1 Appendix A); -EOPNOTSUPP when no firmware method
 * does (then an overwrite is the way). why explains the choice. */
int drive_choose_method(const struct drive_caps *c, enum drive_level level,
			enum drive_method *ret, char *why, size_t why_len);

/* ---- firmware erase -------------------------------------------------------- */

struct drive_erase_opts {
	bool no_verify;              /* skip the sampled read-back (recorded) */
	unsigned sample_percent;     /* 0: SAMPLE_DEFAULT_PERCENT */
	bool remove_hpa;             /* ATA: SET MAX to the native max first */
	uint32_t max_wait_s;         /* give up waiting for completion (0: 24 h) */
	uint32_t poll_ms;            /* progress polling interval (0: 1000) */
	enum drive_level level;      /* for DRIVE_METHOD_AUTO */
};

/* Progress: fraction 0..1 (negative when unknown), eta seconds (negative
 * when unknown), and the phase ("pre-sample", "erase", "verify"). */
typedef void (*drive_progress_fn)(void *userdata, const char *phase, double fraction, double eta_s);

enum drive_verdict { DRIVE_VERDICT_NONE, DRIVE_VERDICT_PASSED, DRIVE_VERDICT_FAILED, DRIVE_VERDICT_SKIPPED };

struct drive_erase_result {
	enum drive_method method;
	enum drive_level level;
	bool refused;                /* nothing was sent that touches data */
	int error;                   /* 0 or -errno of the erase itself */
	char reason[256];            /* why refused/failed, or why auto chose */
	struct drive_status status;  /* the device's answer to the erase command */
	uint64_t started_ns, finished_ns; /* CLOCK_REALTIME */
	/* verification */
	enum drive_verdict verdict;
	uint64_t samples, changed, unchanged, inconclusive, pattern_mismatch;
	uint64_t sample_bytes;
	uint64_t sample_seed;        /* the plan is sample_plan_make(size, sector, percent, seed) */
	unsigned sample_percent;
	const char *expected_pattern; /* "zeros", "ones" or NULL (unknown) */
	/* HPA/DCO */
	bool hpa_present, dco_present, hpa_removed;
	uint64_t max_lba_before, native_max_lba;
};

/* A drive to erase: the transport for commands, and a file descriptor (or
 * path) to read samples from: the same block device, or in tests the
 * image file a replaced transport writes to. */
struct drive {
	struct drive_transport *t;
	struct drive_caps caps;
	const char *data_path;       /* read back through this path */
	uint64_t size;               /* bytes */
};

/* Run method on drv: check capabilities (refuse before touching data),
 * sample, erase, wait with progress, verify. Returns 0 only when the erase
 * succeeded and the verification passed (or was skipped on request);
 * the details are in *res in every case. */
int drive_erase(struct drive *drv, enum drive_method method, const struct drive_erase_opts *opts,
		drive_progress_fn progress, void *userdata, struct drive_erase_result *res);
/* ATA: lift a Host Protected Area (SET MAX ADDRESS EXT to the native max,
 * volatile: it returns after a power cycle) so that every LBA can be
 * erased. 0 when done or when there is no HPA. */
int drive_remove_hpa(struct drive_transport *t, const struct drive_caps *c, struct drive_status *st);

/* The library entry for the CLI and `wipe`: opens d->devpath exclusively,
 * reads the capabilities and calls drive_erase(). */
int drive_firmware_erase(const struct disk *d, enum drive_method method,
			 const struct drive_erase_opts *opts, drive_progress_fn progress,
			 void *userdata, struct drive_erase_result *res);
/* The result as JSON for the job record (stable field names). */
json_t *drive_erase_result_to_json(const struct drive_erase_result *r);
const char *drive_verdict_to_string(enum drive_verdict v);

#endif
