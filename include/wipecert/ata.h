/* ata.h - pure builders and parsers for the ATA commands wipecert sends
 * (ACS-3/ACS-4), and their wrapping in SAT ATA PASS-THROUGH(16) (SAT-4).
 *
 * Its job: fill a struct ata_cmd (the task file) from named fields, turn it
 * into the SAT CDB, and read the ATA status and error registers back out of
 * the sense data. It must never submit anything itself, and never take a
 * SCSI GOOD for ATA success without the returned registers.
 */
#ifndef WIPECERT_ATA_H
#define WIPECERT_ATA_H

#include <stdbool.h>
#include <stdint.h>

#include "wipecert/drive.h"

/* Commands */
#define ATA_CMD_READ_NATIVE_MAX_EXT 0x27
#define ATA_CMD_SET_MAX_ADDRESS_EXT 0x37
#define ATA_CMD_DCO                 0xb1
#define ATA_CMD_SANITIZE            0xb4
#define ATA_CMD_IDENTIFY            0xec
#define ATA_CMD_SEC_SET_PASS        0xf1
#define ATA_CMD_SEC_ERASE_PREPARE   0xf3
#define ATA_CMD_SEC_ERASE_UNIT      0xf4
#define ATA_CMD_SEC_DISABLE_PASS    0xf6

#define ATA_DCO_IDENTIFY            0xc2  /* FEATURE of DEVICE CONFIGURATION */

/* SANITIZE DEVICE subcommands (FEATURE) and their LBA signatures */
#define ATA_SANITIZE_STATUS_EXT     0x0000
#define ATA_SANITIZE_CRYPTO_EXT     0x0011
#define ATA_SANITIZE_BLOCK_EXT      0x0012
#define ATA_SANITIZE_OVERWRITE_EXT  0x0014
#define ATA_SANITIZE_CRYPTO_KEY     0x43727970ull     /* "Cryp" */
#define ATA_SANITIZE_BLOCK_KEY      0x426b4572ull     /* "BkEr" */
#define ATA_SANITIZE_OVERWRITE_KEY  0x4f57ull         /* "OW", in LBA 47:32 */
#define ATA_SANITIZE_OW_KEY_SHIFT   32
#define ATA_SANITIZE_OW_PATTERN_MASK 0xffffffffull
/* SANITIZE COUNT input bits */
#define ATA_SANITIZE_FAILURE_MODE   (1u << 4)
#define ATA_SANITIZE_OW_COUNT_MASK  0xfu
#define ATA_SANITIZE_OW_INVERT      (1u << 7)
#define ATA_SANITIZE_CLEAR_FAILED   (1u << 0)
/* SANITIZE STATUS output: COUNT bits, progress in LBA 15:0 */
#define ATA_SANITIZE_OUT_COMPLETED  (1u << 15)
#define ATA_SANITIZE_OUT_IN_PROGRESS (1u << 14)
#define ATA_SANITIZE_OUT_FROZEN     (1u << 13)
#define ATA_SANITIZE_PROGRESS_MASK  0xffffu

/* Security password block (one 512-byte sector) */
#define ATA_SEC_PASSWORD_LEN        32
#define ATA_SEC_CTL_MASTER          (1u << 0)  /* word 0 bit 0: identifier */
#define ATA_SEC_CTL_ENHANCED        (1u << 1)  /* ERASE UNIT word 0 bit 1 */
#define ATA_SEC_CTL_LEVEL_MAX       (1u << 8)  /* SET PASSWORD word 0 bit 8 */

/* Status and error registers */
#define ATA_STATUS_ERR  (1u << 0)
#define ATA_STATUS_DRQ  (1u << 3)
#define ATA_STATUS_DF   (1u << 5)
#define ATA_STATUS_DRDY (1u << 6)
#define ATA_STATUS_BSY  (1u << 7)
#define ATA_ERROR_ABRT  (1u << 2)
#define ATA_ERROR_IDNF  (1u << 4)

#define ATA_DEVICE_LBA  (1u << 6)
#define ATA_SECTOR      512
#define ATA_LBA48_MASK  0xffffffffffffull

/* IDENTIFY DEVICE words */
#define ATA_ID_SERIAL        10
#define ATA_ID_SERIAL_WORDS  10
#define ATA_ID_FW            23
#define ATA_ID_FW_WORDS      4
#define ATA_ID_MODEL         27
#define ATA_ID_MODEL_WORDS   20
#define ATA_ID_SANITIZE      59
#define ATA_ID_SANITIZE_SUPPORTED (1u << 12)
#define ATA_ID_SANITIZE_CRYPTO    (1u << 13)
#define ATA_ID_SANITIZE_OVERWRITE (1u << 14)
#define ATA_ID_SANITIZE_BLOCK     (1u << 15)
#define ATA_ID_LBA28         60  /* 2 words */
#define ATA_ID_CMDSET1       82
#define ATA_ID_CMDSET1_SECURITY (1u << 1)
#define ATA_ID_CMDSET1_HPA   (1u << 10)
#define ATA_ID_CMDSET2       83
#define ATA_ID_CMDSET2_LBA48 (1u << 10)
#define ATA_ID_CMDSET2_DCO   (1u << 11)
#define ATA_ID_CMDSET_EN1    85
#define ATA_ID_ERASE_TIME    89
#define ATA_ID_ENH_ERASE_TIME 90
#define ATA_ID_ERASE_EXTENDED (1u << 15)   /* bits 14:0 valid, else 7:0 */
#define ATA_ID_LBA48         100 /* 4 words */
#define ATA_ID_SECURITY      128
#define ATA_ID_SEC_SUPPORTED (1u << 0)
#define ATA_ID_SEC_ENABLED   (1u << 1)
#define ATA_ID_SEC_LOCKED    (1u << 2)
#define ATA_ID_SEC_FROZEN    (1u << 3)
#define ATA_ID_SEC_EXPIRED   (1u << 4)
#define ATA_ID_SEC_ENHANCED  (1u << 5)
#define ATA_ID_ROTATION      217
#define ATA_ID_ROTATION_SSD  1
#define ATA_DCO_MAX_LBA      3   /* DCO IDENTIFY words 3..6 */

/* The task file in and out (48-bit fields). */
struct ata_tf {
	uint16_t feature;
	uint16_t count;
	uint64_t lba;
	uint8_t device;
	uint8_t command;
};

enum ata_protocol { ATA_PROT_NON_DATA = 3, ATA_PROT_PIO_IN = 4, ATA_PROT_PIO_OUT = 5 };

struct ata_cmd {
	struct ata_tf tf;
	enum ata_protocol protocol;
	bool ext;                /* a 48-bit command */
	void *data;              /* 512 * sectors */
	uint32_t data_len;
	uint32_t timeout_ms;
	/* filled in by ata_submit */
	bool out_valid;          /* the registers below came back */
	uint8_t status, error;
	struct ata_tf out;
};

void ata_build_identify(struct ata_cmd *c, void *buf512);
void ata_build_read_native_max(struct ata_cmd *c);
void ata_build_set_max(struct ata_cmd *c, uint64_t max_lba);
void ata_build_dco_identify(struct ata_cmd *c, void *buf512);
/* buf512 is filled with the password block; pw is ATA_SEC_PASSWORD_LEN bytes. */
void ata_build_sec_set_pass(struct ata_cmd *c, void *buf512, const uint8_t *pw);
void ata_build_sec_erase_prepare(struct ata_cmd *c);
void ata_build_sec_erase_unit(struct ata_cmd *c, void *buf512, const uint8_t *pw, bool enhanced,
			      uint32_t timeout_ms);
void ata_build_sec_disable_pass(struct ata_cmd *c, void *buf512, const uint8_t *pw);
void ata_build_sanitize(struct ata_cmd *c, uint16_t subcommand, uint32_t ow_pattern, unsigned ow_count);
void ata_build_sanitize_status(struct ata_cmd *c);

/* SAT: the ATA PASS-THROUGH(16) CDB for c, with CK_COND (except for
 * data-in commands) so that the registers come back. */
#define SAT_ATA16_OPCODE   0x85
#define SAT_ATA16_LEN      16
#define SAT_PROTOCOL_SHIFT 1
#define SAT_EXTEND         (1u << 0)
#define SAT_CK_COND        (1u << 5)
#define SAT_T_TYPE_BLOCKS  (1u << 4)
#define SAT_T_DIR_IN       (1u << 3)
#define SAT_BYT_BLOK       (1u << 2)
#define SAT_T_LENGTH_COUNT 2u
#define SAT_RETURN_DESC    0x09
#define SAT_RETURN_DESC_LEN 0x0c
void sat_build_ata16(const struct ata_cmd *c, struct scsi_cmd *s);
/* The ATA registers from sense (descriptor 0x09, or SAT's fixed format);
 * false when there are none. */
bool sat_parse_return(const uint8_t *sense, size_t len, struct ata_cmd *c);

/* IDENTIFY DEVICE data into caps. Returns -EINVAL when it is no valid
 * IDENTIFY (checksum wrong, all zeros). */
int ata_parse_identify(const uint8_t *id, struct drive_caps *caps);
/* Erase time words 89/90 in minutes (0 unknown). */
unsigned ata_erase_minutes(uint16_t word);

#endif
