/* scsi.h - pure builders and parsers for the SCSI commands wipecert sends
 * (SPC-5, SBC-4), and the sense data decoder (fixed and descriptor format).
 *
 * Its job: fill a struct scsi_cmd's CDB from named fields and decode sense.
 * It must never submit anything itself.
 */
#ifndef WIPECERT_SCSI_H
#define WIPECERT_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wipecert/drive.h"

#define SCSI_OP_REQUEST_SENSE 0x03
#define SCSI_OP_INQUIRY       0x12
#define SCSI_OP_SANITIZE      0x48
#define SCSI_OP_MAINT_IN      0xa3
#define SCSI_SA_RSOC          0x0c  /* REPORT SUPPORTED OPERATION CODES */

/* SANITIZE (SBC-4 5.30) */
#define SCSI_SANITIZE_IMMED   (1u << 7)
#define SCSI_SANITIZE_AUSE    (1u << 5)
#define SCSI_SANITIZE_SA_MASK 0x1fu
enum scsi_sanitize_sa {
	SCSI_SANITIZE_OVERWRITE = 0x01,
	SCSI_SANITIZE_BLOCK = 0x02,
	SCSI_SANITIZE_CRYPTO = 0x03,
	SCSI_SANITIZE_EXIT_FAILURE = 0x1f,
};
#define SCSI_SANITIZE_OW_PARAM_LEN 8  /* header 4 + a 4-byte pattern */
#define SCSI_SANITIZE_OW_COUNT_MASK 0x1fu
#define SCSI_SANITIZE_OW_INVERT (1u << 7)

/* INQUIRY */
#define SCSI_INQUIRY_EVPD     (1u << 0)
#define SCSI_VPD_SUPPORTED    0x00
#define SCSI_VPD_SERIAL       0x80
#define SCSI_VPD_ATA_INFO     0x89
#define SCSI_VPD_BDC          0xb1  /* block device characteristics */

/* REPORT SUPPORTED OPERATION CODES */
#define SCSI_RSOC_OPTIONS_MASK 0x7u
#define SCSI_RSOC_ONE_SA      2u     /* one opcode + service action */
#define SCSI_RSOC_SUPPORT_MASK 0x7u
#define SCSI_RSOC_SUPPORTED   3u     /* supported as the standard says */
#define SCSI_RSOC_SUPPORTED_VENDOR 5u

/* REQUEST SENSE */
#define SCSI_REQUEST_SENSE_DESC (1u << 0)

/* SAM status, sense keys and the codes we act on */
#define SCSI_STATUS_GOOD            0x00
#define SCSI_STATUS_CHECK_CONDITION 0x02
#define SCSI_STATUS_BUSY            0x08
#define SCSI_STATUS_RESERVATION     0x18
#define SCSI_KEY_NO_SENSE       0x0
#define SCSI_KEY_RECOVERED      0x1
#define SCSI_KEY_NOT_READY      0x2
#define SCSI_KEY_MEDIUM_ERROR   0x3
#define SCSI_KEY_HARDWARE_ERROR 0x4
#define SCSI_KEY_ILLEGAL_REQUEST 0x5
#define SCSI_KEY_UNIT_ATTENTION 0x6
#define SCSI_KEY_DATA_PROTECT   0x7
#define SCSI_KEY_ABORTED        0xb
#define SCSI_ASC_INVALID_OPCODE 0x20
#define SCSI_ASC_INVALID_FIELD  0x24
#define SCSI_ASC_NOT_READY      0x04
#define SCSI_ASCQ_SANITIZE_IN_PROGRESS 0x1b
#define SCSI_ASCQ_FORMAT_IN_PROGRESS   0x04
#define SCSI_ASCQ_ATA_INFO_AVAILABLE   0x1d  /* with ASC 0: SAT registers */
#define SCSI_ASC_SANITIZE_FAILED 0x31
#define SCSI_ASCQ_SANITIZE_FAILED 0x03

/* Linux host status values the transport maps (DID_*) */
#define SCSI_DID_OK 0x00
#define SCSI_DRIVER_SENSE 0x08

void scsi_build_sanitize(struct scsi_cmd *c, enum scsi_sanitize_sa sa, bool immed,
			 uint8_t *param, uint32_t ow_pattern, unsigned ow_count);
void scsi_build_rsoc(struct scsi_cmd *c, uint8_t opcode, uint16_t sa, void *buf, uint32_t len);
void scsi_build_request_sense(struct scsi_cmd *c, void *buf, uint8_t len, bool desc);
void scsi_build_inquiry(struct scsi_cmd *c, void *buf, uint16_t len);
void scsi_build_inquiry_vpd(struct scsi_cmd *c, uint8_t page, void *buf, uint16_t len);

struct scsi_sense {
	bool valid;
	bool descriptor;
	uint8_t key, asc, ascq;
	bool progress_valid;   /* sense key specific: progress indication */
	uint16_t progress;     /* numerator of 65536 */
};
/* Decode fixed (0x70/0x71) and descriptor (0x72/0x73) sense data. */
void scsi_parse_sense(const uint8_t *sense, size_t len, struct scsi_sense *ret);
/* Find descriptor type in descriptor-format sense; NULL when absent. */
const uint8_t *scsi_sense_descriptor(const uint8_t *sense, size_t len, uint8_t type);

/* RSOC one-command answer: supported as the standard says (or vendor). */
bool scsi_rsoc_supported(const uint8_t *buf, size_t len);
/* VPD 0x00: does the list name page? */
bool scsi_vpd_lists(const uint8_t *buf, size_t len, uint8_t page);

const char *scsi_sense_key_to_string(uint8_t key);

/* Judge a SCSI answer: status, host/driver status and sense into *st; r is
 * what the transport's submit returned. 0, or -EOPNOTSUPP (invalid opcode
 * or field), -EBUSY (not ready, unit attention), -EIO. RECOVERED ERROR and
 * NO SENSE count as success (SAT uses them to return registers). */
int scsi_judge(const struct scsi_cmd *c, int r, struct drive_status *st);

#endif
