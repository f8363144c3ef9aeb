/* scsi.c - SCSI CDB builders, the sense decoder and scsi_submit() (see
 * scsi.h). Builders are pure; scsi_submit() reaches the device only
 * through the transport and judges the result from status, host/driver
 * status and sense, never from the ioctl's return alone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wipecert/scsi.h"
#include "wipecert/util.h"

static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v) { put_be16(p, (uint16_t)(v >> 16)); put_be16(p + 2, (uint16_t)v); }

static void cmd_init(struct scsi_cmd *c, uint8_t len)
{
	memset(c, 0, sizeof(*c));
	c->cdb_len = len;
}

void scsi_build_sanitize(struct scsi_cmd *c, enum scsi_sanitize_sa sa, bool immed,
			 uint8_t *param, uint32_t ow_pattern, unsigned ow_count)
{
	cmd_init(c, 10);
	c->cdb[0] = SCSI_OP_SANITIZE;
	c->cdb[1] = (uint8_t)((immed ? SCSI_SANITIZE_IMMED : 0) | ((unsigned)sa & SCSI_SANITIZE_SA_MASK));
	c->dir = DRIVE_DIR_NONE;
	if (sa == SCSI_SANITIZE_OVERWRITE) {
		/* parameter list: count, reserved, pattern length, pattern */
		memset(param, 0, SCSI_SANITIZE_OW_PARAM_LEN);
		param[0] = (uint8_t)(ow_count & SCSI_SANITIZE_OW_COUNT_MASK);
		put_be16(param + 2, SCSI_SANITIZE_OW_PARAM_LEN - 4);
		put_be32(param + 4, ow_pattern);
		put_be16(c->cdb + 7, SCSI_SANITIZE_OW_PARAM_LEN);
		c->dir = DRIVE_DIR_OUT;
		c->data = param;
		c->data_len = SCSI_SANITIZE_OW_PARAM_LEN;
	}
}

void scsi_build_rsoc(struct scsi_cmd *c, uint8_t opcode, uint16_t sa, void *buf, uint32_t len)
{
	cmd_init(c, 12);
	c->cdb[0] = SCSI_OP_MAINT_IN;
	c->cdb[1] = SCSI_SA_RSOC;
	c->cdb[2] = SCSI_RSOC_ONE_SA & SCSI_RSOC_OPTIONS_MASK;
	c->cdb[3] = opcode;
	put_be16(c->cdb + 4, sa);
	put_be32(c->cdb + 6, len);
	c->dir = DRIVE_DIR_IN;
	c->data = buf;
	c->data_len = len;
}

void scsi_build_request_sense(struct scsi_cmd *c, void *buf, uint8_t len, bool desc)
{
	cmd_init(c, 6);
	c->cdb[0] = SCSI_OP_REQUEST_SENSE;
	c->cdb[1] = desc ? SCSI_REQUEST_SENSE_DESC : 0;
	c->cdb[4] = len;
	c->dir = DRIVE_DIR_IN;
	c->data = buf;
	c->data_len = len;
}

void scsi_build_inquiry(struct scsi_cmd *c, void *buf, uint16_t len)
{
	cmd_init(c, 6);
	c->cdb[0] = SCSI_OP_INQUIRY;
	put_be16(c->cdb + 3, len);
	c->dir = DRIVE_DIR_IN;
	c->data = buf;
	c->data_len = len;
}

void scsi_build_inquiry_vpd(struct scsi_cmd *c, uint8_t page, void *buf, uint16_t len)
{
	cmd_init(c, 6);
	c->cdb[0] = SCSI_OP_INQUIRY;
	c->cdb[1] = SCSI_INQUIRY_EVPD;
	c->cdb[2] = page;
	put_be16(c->cdb + 3, len);
	c->dir = DRIVE_DIR_IN;
	c->data = buf;
	c->data_len = len;
}

#define SENSE_RESPONSE_MASK 0x7fu
#define SENSE_FIXED_CURRENT 0x70
#define SENSE_FIXED_DEFERRED 0x71
#define SENSE_DESC_CURRENT 0x72
#define SENSE_DESC_DEFERRED 0x73
#define SENSE_KEY_MASK 0x0fu
#define SENSE_SKSV (1u << 7)
#define SENSE_DESC_HEADER 8
#define SENSE_DESC_SKS 0x02

const uint8_t *scsi_sense_descriptor(const uint8_t *sense, size_t len, uint8_t type)
{
	size_t end, off = SENSE_DESC_HEADER;

	if (len < SENSE_DESC_HEADER)
		return NULL;
	end = SENSE_DESC_HEADER + (size_t)sense[7];
	if (end > len)
		end = len;
	while (off + 2 <= end) {
		size_t dlen = 2 + (size_t)sense[off + 1];

		if (off + dlen > end)
			break;
		if (sense[off] == type)
			return sense + off;
		off += dlen;
	}
	return NULL;
}

void scsi_parse_sense(const uint8_t *sense, size_t len, struct scsi_sense *ret)
{
	struct scsi_sense s = { 0 };
	uint8_t code = len ? sense[0] & SENSE_RESPONSE_MASK : 0;

	if ((code == SENSE_DESC_CURRENT || code == SENSE_DESC_DEFERRED) && len >= 4) {
		const uint8_t *d = scsi_sense_descriptor(sense, len, SENSE_DESC_SKS);

		s.valid = s.descriptor = true;
		s.key = sense[1] & SENSE_KEY_MASK;
		s.asc = sense[2];
		s.ascq = sense[3];
		if (d && d[1] >= 6 && (d[4] & SENSE_SKSV)) {
			s.progress_valid = true;
			s.progress = (uint16_t)(d[5] << 8 | d[6]);
		}
	} else if ((code == SENSE_FIXED_CURRENT || code == SENSE_FIXED_DEFERRED) && len >= 3) {
		s.valid = true;
		s.key = sense[2] & SENSE_KEY_MASK;
		s.asc = len > 12 ? sense[12] : 0;
		s.ascq = len > 13 ? sense[13] : 0;
		if (len >= 18 && (sense[15] & SENSE_SKSV)) {
			s.progress_valid = true;
			s.progress = (uint16_t)(sense[16] << 8 | sense[17]);
		}
	}
	/* the SKS field is a progress indication only with these keys */
	if (s.key != SCSI_KEY_NOT_READY && s.key != SCSI_KEY_NO_SENSE)
		s.progress_valid = false;
	*ret = s;
}

bool scsi_rsoc_supported(const uint8_t *buf, size_t len)
{
	unsigned support;

	if (len < 2)
		return false;
	support = buf[1] & SCSI_RSOC_SUPPORT_MASK;
	return support == SCSI_RSOC_SUPPORTED || support == SCSI_RSOC_SUPPORTED_VENDOR;
}

bool scsi_vpd_lists(const uint8_t *buf, size_t len, uint8_t page)
{
	size_t n;

	if (len < 4 || buf[1] != SCSI_VPD_SUPPORTED)
		return false;
	n = (size_t)(buf[2] << 8 | buf[3]);
	for (size_t i = 0; i < n && 4 + i < len; i++)
		if (buf[4 + i] == page)
			return true;
	return false;
}

const char *scsi_sense_key_to_string(uint8_t key)
{
	static const char *const names[16] = {
		"no sense", "recovered error", "not ready", "medium error", "hardware error",
		"illegal request", "unit attention", "data protect", "blank check",
		"vendor specific", "copy aborted", "aborted command", "reserved",
		"volume overflow", "miscompare", "completed",
	};
	return names[key & SENSE_KEY_MASK];
}

/* Common judgement of a SCSI answer; used for SAT too, after the ATA
 * registers are taken out. */
int scsi_judge(const struct scsi_cmd *c, int r, struct drive_status *s)
{
	struct scsi_sense sn;

	memset(s, 0, sizeof(*s));
	s->scsi_status = c->status;
	s->host_status = c->host_status;
	s->driver_status = c->driver_status;
	if (r < 0) {
		s->kind = DRIVE_STATUS_TRANSPORT;
		snprintf(s->text, sizeof(s->text), "scsi command 0x%02x: SG_IO failed: %s", c->cdb[0], strerror(-r));
		return s->err = r;
	}
	if (c->host_status != SCSI_DID_OK || (c->driver_status & ~SCSI_DRIVER_SENSE)) {
		s->kind = DRIVE_STATUS_TRANSPORT;
		snprintf(s->text, sizeof(s->text),
			 "scsi command 0x%02x: transport error, host status 0x%02x, driver status 0x%02x",
			 c->cdb[0], c->host_status, c->driver_status);
		return s->err = -EIO;
	}
	scsi_parse_sense(c->sense, c->sense_len, &sn);
	s->sense_key = sn.key;
	s->asc = sn.asc;
	s->ascq = sn.ascq;
	if (c->status == SCSI_STATUS_GOOD && (!sn.valid || sn.key == SCSI_KEY_NO_SENSE)) {
		s->kind = DRIVE_STATUS_OK;
		snprintf(s->text, sizeof(s->text), "scsi status good");
		return 0;
	}
	s->kind = DRIVE_STATUS_SCSI;
	if (c->status == SCSI_STATUS_CHECK_CONDITION && sn.valid) {
		snprintf(s->text, sizeof(s->text), "scsi check condition: %s, asc/ascq 0x%02x/0x%02x",
			 scsi_sense_key_to_string(sn.key), sn.asc, sn.ascq);
		if (sn.key == SCSI_KEY_RECOVERED || sn.key == SCSI_KEY_NO_SENSE) {
			s->kind = DRIVE_STATUS_OK;
			return 0;
		}
		if (sn.key == SCSI_KEY_ILLEGAL_REQUEST &&
		    (sn.asc == SCSI_ASC_INVALID_OPCODE || sn.asc == SCSI_ASC_INVALID_FIELD))
			return s->err = -EOPNOTSUPP;
		if (sn.key == SCSI_KEY_NOT_READY || sn.key == SCSI_KEY_UNIT_ATTENTION)
			return s->err = -EBUSY;
		return s->err = -EIO;
	}
	snprintf(s->text, sizeof(s->text), "scsi status 0x%02x%s", c->status,
		 c->status == SCSI_STATUS_CHECK_CONDITION ? " without sense data" : "");
	return s->err = c->status == SCSI_STATUS_BUSY ? -EBUSY : -EIO;
}

int scsi_submit(struct drive_transport *t, struct scsi_cmd *c, struct drive_status *st)
{
	struct drive_cmd dc = { .kind = DRIVE_CMD_SCSI, .scsi = *c };
	struct drive_status s;
	int r;

	r = t->submit(t, &dc);
	*c = dc.scsi;
	r = scsi_judge(c, r, &s);
	if (st)
		*st = s;
	return r;
}
