/* nvme.c - NVMe admin command builders, Identify/log parsers and status
 * decoding (see nvme.h). Builders are pure; nvme_submit() is the only
 * function here that reaches a device, through the transport.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wipecert/nvme.h"
#include "wipecert/util.h"

static uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get_le64(const uint8_t *p) { return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32; }

static void cmd_init(struct nvme_cmd *c, uint8_t opcode, uint32_t nsid)
{
	memset(c, 0, sizeof(*c));
	c->opcode = opcode;
	c->nsid = nsid;
}

void nvme_build_identify_ctrl(struct nvme_cmd *c, void *buf)
{
	cmd_init(c, NVME_ADMIN_IDENTIFY, 0);
	c->cdw10 = (NVME_IDENTIFY_CNS_CTRL & NVME_IDENTIFY_CNS_MASK) << NVME_IDENTIFY_CNS_SHIFT;
	c->dir = DRIVE_DIR_IN;
	c->data = buf;
	c->data_len = NVME_IDENTIFY_LEN;
}

void nvme_build_identify_ns(struct nvme_cmd *c, uint32_t nsid, void *buf)
{
	cmd_init(c, NVME_ADMIN_IDENTIFY, nsid);
	c->cdw10 = (NVME_IDENTIFY_CNS_NS & NVME_IDENTIFY_CNS_MASK) << NVME_IDENTIFY_CNS_SHIFT;
	c->dir = DRIVE_DIR_IN;
	c->data = buf;
	c->data_len = NVME_IDENTIFY_LEN;
}

void nvme_build_format(struct nvme_cmd *c, uint32_t nsid, unsigned lbaf, enum nvme_ses ses)
{
	cmd_init(c, NVME_ADMIN_FORMAT_NVM, nsid);
	/* LBA format index: low 4 bits in LBAF, the upper 2 in LBAFU (2.0) */
	c->cdw10 = (lbaf & NVME_FORMAT_LBAF_MASK) << NVME_FORMAT_LBAF_SHIFT |
		   ((lbaf >> 4) & NVME_FORMAT_LBAFU_MASK) << NVME_FORMAT_LBAFU_SHIFT |
		   ((uint32_t)ses & NVME_FORMAT_SES_MASK) << NVME_FORMAT_SES_SHIFT;
	c->dir = DRIVE_DIR_NONE;
}

void nvme_build_sanitize(struct nvme_cmd *c, enum nvme_sanact sanact, unsigned owpass,
			 uint32_t pattern, bool ause)
{
	cmd_init(c, NVME_ADMIN_SANITIZE, 0);
	c->cdw10 = ((uint32_t)sanact & NVME_SANITIZE_SANACT_MASK) << NVME_SANITIZE_SANACT_SHIFT |
		   (uint32_t)ause << NVME_SANITIZE_AUSE_SHIFT;
	if (sanact == NVME_SANACT_OVERWRITE) {
		c->cdw10 |= (owpass & NVME_SANITIZE_OWPASS_MASK) << NVME_SANITIZE_OWPASS_SHIFT;
		c->cdw11 = pattern;
	}
	c->dir = DRIVE_DIR_NONE;
}

void nvme_build_sanitize_log(struct nvme_cmd *c, void *buf)
{
	uint32_t numd = NVME_SANITIZE_LOG_LEN / 4 - 1; /* 0's based dwords */

	cmd_init(c, NVME_ADMIN_GET_LOG_PAGE, NVME_NSID_ALL);
	c->cdw10 = (NVME_LOG_LID_SANITIZE & NVME_LOG_LID_MASK) << NVME_LOG_LID_SHIFT |
		   (numd & NVME_LOG_NUMDL_MASK) << NVME_LOG_NUMDL_SHIFT;
	c->cdw11 = ((numd >> 16) & NVME_LOG_NUMDU_MASK) << NVME_LOG_NUMDU_SHIFT;
	c->dir = DRIVE_DIR_IN;
	c->data = buf;
	c->data_len = NVME_SANITIZE_LOG_LEN;
}

/* Identify strings are space padded ASCII. */
static void copy_id_string(char *dst, size_t dst_len, const uint8_t *src, size_t len)
{
	size_t n = len < dst_len - 1 ? len : dst_len - 1;
	char *p;

	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : ' ';
	dst[n] = '\0';
	p = strstrip(dst);
	memmove(dst, p, strlen(p) + 1);
}

void nvme_parse_id_ctrl(const uint8_t *id, struct drive_caps *caps)
{
	caps->proto = DRIVE_PROTO_NVME;
	caps->solid_state = true;
	copy_id_string(caps->serial, sizeof(caps->serial), id + NVME_ID_CTRL_SN, NVME_ID_CTRL_SN_LEN);
	copy_id_string(caps->model, sizeof(caps->model), id + NVME_ID_CTRL_MN, NVME_ID_CTRL_MN_LEN);
	copy_id_string(caps->firmware, sizeof(caps->firmware), id + NVME_ID_CTRL_FR, NVME_ID_CTRL_FR_LEN);
	caps->nvme_oacs = get_le16(id + NVME_ID_CTRL_OACS);
	caps->nvme_sanicap = get_le32(id + NVME_ID_CTRL_SANICAP);
	caps->nvme_fna = id[NVME_ID_CTRL_FNA];

	if (caps->nvme_oacs & NVME_OACS_FORMAT) {
		caps->methods |= 1u << DRIVE_METHOD_NVME_FORMAT;
		if (caps->nvme_fna & NVME_FNA_CRYPTO)
			caps->methods |= 1u << DRIVE_METHOD_NVME_FORMAT_CRYPTO;
	}
	if (caps->nvme_sanicap & NVME_SANICAP_CRYPTO)
		caps->methods |= 1u << DRIVE_METHOD_NVME_SANITIZE_CRYPTO;
	if (caps->nvme_sanicap & NVME_SANICAP_BLOCK)
		caps->methods |= 1u << DRIVE_METHOD_NVME_SANITIZE_BLOCK;
	if (caps->nvme_sanicap & NVME_SANICAP_OVERWRITE)
		caps->methods |= 1u << DRIVE_METHOD_NVME_SANITIZE_OVERWRITE;
}

void nvme_parse_id_ns(const uint8_t *id, struct drive_caps *caps)
{
	unsigned lbaf = id[NVME_ID_NS_FLBAS] & NVME_FLBAS_LBAF_MASK;
	uint32_t f = get_le32(id + NVME_ID_NS_LBAF + 4 * lbaf);
	unsigned lbads = (f >> NVME_LBAF_LBADS_SHIFT) & NVME_LBAF_LBADS_MASK;

	caps->nvme_lbaf = (uint8_t)lbaf;
	caps->lba_count = get_le64(id + NVME_ID_NS_NSZE);
	caps->lba_size = lbads >= 9 && lbads < 32 ? 1u << lbads : 0;
	caps->nvme_dlfeat = id[NVME_ID_NS_DLFEAT];
}

void nvme_parse_sanitize_log(const uint8_t *log, struct nvme_sanitize_status *ret)
{
	struct nvme_sanitize_status s = {
		.sprog = get_le16(log + NVME_SANLOG_SPROG),
		.state = get_le16(log + NVME_SANLOG_SSTAT) & NVME_SSTAT_STATUS_MASK,
		.scdw10 = get_le32(log + NVME_SANLOG_SCDW10),
		.eto = get_le32(log + NVME_SANLOG_ETO),
		.etbe = get_le32(log + NVME_SANLOG_ETBE),
		.etce = get_le32(log + NVME_SANLOG_ETCE),
	};
	*ret = s;
}

const char *nvme_status_to_string(uint16_t status)
{
	unsigned sc = status & NVME_STATUS_SC_MASK;
	unsigned sct = (status >> NVME_STATUS_SCT_SHIFT) & NVME_STATUS_SCT_MASK;

	if (sct == NVME_SCT_GENERIC) {
		switch (sc) {
		case 0x00: return "successful completion";
		case NVME_SC_INVALID_OPCODE: return "invalid command opcode";
		case NVME_SC_INVALID_FIELD: return "invalid field in command";
		case 0x04: return "data transfer error";
		case 0x06: return "internal error";
		case 0x07: return "command abort requested";
		case 0x0b: return "invalid namespace or format";
		case 0x0c: return "command sequence error";
		case NVME_SC_SANITIZE_FAILED: return "sanitize failed";
		case NVME_SC_SANITIZE_IN_PROGRESS: return "sanitize in progress";
		case 0x20: return "namespace is write protected";
		case 0x82: return "access denied";
		}
	} else if (sct == NVME_SCT_CMD_SPECIFIC) {
		switch (sc) {
		case NVME_SC_INVALID_FORMAT: return "invalid format";
		case 0x15: return "operation denied";
		case 0x1e: return "prohibited by sanitize or security";
		}
	} else if (sct == 2) {
		return "media or data integrity error";
	}
	return "unknown status";
}

int nvme_submit(struct drive_transport *t, struct nvme_cmd *c, struct drive_status *st)
{
	struct drive_cmd dc = { .kind = DRIVE_CMD_NVME, .nvme = *c };
	struct drive_status s = { .kind = DRIVE_STATUS_OK };
	int r;

	r = t->submit(t, &dc);
	*c = dc.nvme;
	if (r < 0) {
		s.kind = DRIVE_STATUS_TRANSPORT;
		s.err = r;
		snprintf(s.text, sizeof(s.text), "nvme admin command 0x%02x: ioctl failed: %s",
			 c->opcode, strerror(-r));
	} else if (c->status) {
		unsigned sc = c->status & NVME_STATUS_SC_MASK;
		unsigned sct = (c->status >> NVME_STATUS_SCT_SHIFT) & NVME_STATUS_SCT_MASK;

		s.kind = DRIVE_STATUS_NVME;
		s.nvme = c->status;
		r = sct == NVME_SCT_GENERIC && (sc == NVME_SC_INVALID_OPCODE || sc == NVME_SC_INVALID_FIELD)
			    ? -EOPNOTSUPP
			    : -EIO;
		s.err = r;
		snprintf(s.text, sizeof(s.text), "nvme status 0x%04x (%s%s)", c->status,
			 nvme_status_to_string(c->status), c->status & NVME_STATUS_DNR ? ", do not retry" : "");
	} else {
		snprintf(s.text, sizeof(s.text), "nvme status 0x0000 (successful completion)");
	}
	if (st)
		*st = s;
	return r < 0 ? r : 0;
}
