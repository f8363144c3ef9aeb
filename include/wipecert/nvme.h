/* nvme.h - pure builders and parsers for the NVMe admin commands wipecert
 * sends (NVM Express Base Specification 2.0).
 *
 * Its job: fill a struct nvme_cmd from named fields and decode what comes
 * back. It must never submit anything: that is nvme_submit()'s job.
 */
#ifndef WIPECERT_NVME_H
#define WIPECERT_NVME_H

#include <stdint.h>

#include "wipecert/drive.h"

/* Admin opcodes (Figure 84) */
#define NVME_ADMIN_GET_LOG_PAGE 0x02
#define NVME_ADMIN_IDENTIFY     0x06
#define NVME_ADMIN_FORMAT_NVM   0x80
#define NVME_ADMIN_SANITIZE     0x84

#define NVME_NSID_ALL 0xffffffffu
#define NVME_IDENTIFY_LEN 4096

/* Identify CDW10 */
#define NVME_IDENTIFY_CNS_SHIFT 0
#define NVME_IDENTIFY_CNS_MASK  0xffu
#define NVME_IDENTIFY_CNS_NS    0x00
#define NVME_IDENTIFY_CNS_CTRL  0x01

/* Get Log Page CDW10/CDW11 */
#define NVME_LOG_LID_SHIFT   0
#define NVME_LOG_LID_MASK    0xffu
#define NVME_LOG_LSP_SHIFT   8
#define NVME_LOG_LSP_MASK    0x7fu
#define NVME_LOG_RAE_SHIFT   15
#define NVME_LOG_NUMDL_SHIFT 16
#define NVME_LOG_NUMDL_MASK  0xffffu
#define NVME_LOG_NUMDU_SHIFT 0
#define NVME_LOG_NUMDU_MASK  0xffffu
#define NVME_LOG_LID_SANITIZE 0x81
#define NVME_SANITIZE_LOG_LEN 512

/* Format NVM CDW10 */
#define NVME_FORMAT_LBAF_SHIFT  0
#define NVME_FORMAT_LBAF_MASK   0xfu
#define NVME_FORMAT_MSET_SHIFT  4
#define NVME_FORMAT_PI_SHIFT    5
#define NVME_FORMAT_PI_MASK     0x7u
#define NVME_FORMAT_PIL_SHIFT   8
#define NVME_FORMAT_SES_SHIFT   9
#define NVME_FORMAT_SES_MASK    0x7u
#define NVME_FORMAT_LBAFU_SHIFT 12
#define NVME_FORMAT_LBAFU_MASK  0x3u
enum nvme_ses { NVME_SES_NONE = 0, NVME_SES_USER_DATA = 1, NVME_SES_CRYPTO = 2 };

/* Sanitize CDW10/CDW11 */
#define NVME_SANITIZE_SANACT_SHIFT 0
#define NVME_SANITIZE_SANACT_MASK  0x7u
#define NVME_SANITIZE_AUSE_SHIFT   3
#define NVME_SANITIZE_OWPASS_SHIFT 4
#define NVME_SANITIZE_OWPASS_MASK  0xfu
#define NVME_SANITIZE_OIPBP_SHIFT  8
#define NVME_SANITIZE_NDAS_SHIFT   9
enum nvme_sanact {
	NVME_SANACT_EXIT_FAILURE = 1,
	NVME_SANACT_BLOCK = 2,
	NVME_SANACT_OVERWRITE = 3,
	NVME_SANACT_CRYPTO = 4,
};

/* Identify Controller fields (byte offsets, Figure 275) */
#define NVME_ID_CTRL_SN        4
#define NVME_ID_CTRL_SN_LEN    20
#define NVME_ID_CTRL_MN        24
#define NVME_ID_CTRL_MN_LEN    40
#define NVME_ID_CTRL_FR        64
#define NVME_ID_CTRL_FR_LEN    8
#define NVME_ID_CTRL_OACS      256
#define NVME_ID_CTRL_SANICAP   328
#define NVME_ID_CTRL_FNA       524
#define NVME_OACS_SECURITY     (1u << 0)
#define NVME_OACS_FORMAT       (1u << 1)
#define NVME_SANICAP_CRYPTO    (1u << 0)
#define NVME_SANICAP_BLOCK     (1u << 1)
#define NVME_SANICAP_OVERWRITE (1u << 2)
#define NVME_FNA_FORMAT_ALL    (1u << 0)
#define NVME_FNA_SE_ALL        (1u << 1)
#define NVME_FNA_CRYPTO        (1u << 2)

/* Identify Namespace fields */
#define NVME_ID_NS_NSZE        0
#define NVME_ID_NS_FLBAS       26
#define NVME_ID_NS_DLFEAT      33
#define NVME_ID_NS_LBAF        128
#define NVME_FLBAS_LBAF_MASK   0xfu
#define NVME_LBAF_LBADS_SHIFT  16
#define NVME_LBAF_LBADS_MASK   0xffu
#define NVME_DLFEAT_READ_MASK  0x7u
enum nvme_dlfeat_read { NVME_DLFEAT_UNKNOWN = 0, NVME_DLFEAT_ZEROES = 1, NVME_DLFEAT_ONES = 2 };

/* Sanitize Status log (Figure 291) */
#define NVME_SANLOG_SPROG      0
#define NVME_SANLOG_SSTAT      2
#define NVME_SANLOG_SCDW10     4
#define NVME_SANLOG_ETO        8
#define NVME_SANLOG_ETBE       12
#define NVME_SANLOG_ETCE       16
#define NVME_SSTAT_STATUS_MASK 0x7u
enum nvme_sstat {
	NVME_SSTAT_NEVER = 0,
	NVME_SSTAT_COMPLETED = 1,
	NVME_SSTAT_IN_PROGRESS = 2,
	NVME_SSTAT_FAILED = 3,
	NVME_SSTAT_COMPLETED_NDA = 4,
};

/* Status field as the kernel returns it (completion DW3 bits 31:17) */
#define NVME_STATUS_SC_MASK   0xffu
#define NVME_STATUS_SCT_SHIFT 8
#define NVME_STATUS_SCT_MASK  0x7u
#define NVME_STATUS_MORE      (1u << 13)
#define NVME_STATUS_DNR       (1u << 14)
#define NVME_SCT_GENERIC      0
#define NVME_SCT_CMD_SPECIFIC 1
#define NVME_SC_INVALID_OPCODE 0x01
#define NVME_SC_INVALID_FIELD  0x02
#define NVME_SC_SANITIZE_FAILED 0x1c
#define NVME_SC_SANITIZE_IN_PROGRESS 0x1d
#define NVME_SC_INVALID_FORMAT 0x0a  /* command specific */

void nvme_build_identify_ctrl(struct nvme_cmd *c, void *buf);
void nvme_build_identify_ns(struct nvme_cmd *c, uint32_t nsid, void *buf);
void nvme_build_format(struct nvme_cmd *c, uint32_t nsid, unsigned lbaf, enum nvme_ses ses);
void nvme_build_sanitize(struct nvme_cmd *c, enum nvme_sanact sanact, unsigned owpass,
			 uint32_t pattern, bool ause);
void nvme_build_sanitize_log(struct nvme_cmd *c, void *buf);

/* Parsed Identify Controller / Namespace into caps (proto, ids, methods). */
void nvme_parse_id_ctrl(const uint8_t *id, struct drive_caps *caps);
void nvme_parse_id_ns(const uint8_t *id, struct drive_caps *caps);

struct nvme_sanitize_status {
	uint16_t sprog;        /* progress, numerator of 65536 */
	enum nvme_sstat state;
	uint32_t scdw10;       /* CDW10 of the sanitize that set this status */
	uint32_t eto, etbe, etce;  /* estimated seconds, 0xffffffff: unknown */
};
void nvme_parse_sanitize_log(const uint8_t *log, struct nvme_sanitize_status *ret);

/* "invalid command opcode" etc. for the status field. */
const char *nvme_status_to_string(uint16_t status);

#endif
