/* ata.c - ATA task file builders, the SAT ATA PASS-THROUGH(16) wrapping,
 * IDENTIFY DEVICE parsing and ata_submit() (see ata.h).
 *
 * ata_submit() asks for the registers back (CK_COND) on every command and
 * judges success from the ATA status and error registers, never from a
 * SCSI GOOD alone: hdparm trusts a missing sense and reports an aborted
 * SECURITY SET PASSWORD as success.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wipecert/ata.h"
#include "wipecert/scsi.h"
#include "wipecert/util.h"

static uint16_t id_word(const uint8_t *id, unsigned w) { return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8); }

static void cmd_init(struct ata_cmd *c, uint8_t command, enum ata_protocol protocol, bool ext)
{
	memset(c, 0, sizeof(*c));
	c->tf.command = command;
	c->tf.device = ATA_DEVICE_LBA;
	c->protocol = protocol;
	c->ext = ext;
}

static void set_data(struct ata_cmd *c, void *buf512)
{
	c->tf.count = 1; /* one sector; SAT takes the length from COUNT */
	c->data = buf512;
	c->data_len = ATA_SECTOR;
}

void ata_build_identify(struct ata_cmd *c, void *buf512)
{
	cmd_init(c, ATA_CMD_IDENTIFY, ATA_PROT_PIO_IN, false);
	c->tf.device = 0;
	set_data(c, buf512);
}

void ata_build_read_native_max(struct ata_cmd *c)
{
	cmd_init(c, ATA_CMD_READ_NATIVE_MAX_EXT, ATA_PROT_NON_DATA, true);
}

void ata_build_set_max(struct ata_cmd *c, uint64_t max_lba)
{
	/* COUNT bit 0 (value volatile) left 0: the limit returns after a power
	 * cycle, the least lasting change that lets an erase reach every LBA */
	cmd_init(c, ATA_CMD_SET_MAX_ADDRESS_EXT, ATA_PROT_NON_DATA, true);
	c->tf.lba = max_lba & ATA_LBA48_MASK;
}

void ata_build_dco_identify(struct ata_cmd *c, void *buf512)
{
	cmd_init(c, ATA_CMD_DCO, ATA_PROT_PIO_IN, false);
	c->tf.feature = ATA_DCO_IDENTIFY;
	set_data(c, buf512);
}

/* The 512-byte block of the security commands: control word, password. */
static void sec_block(void *buf512, uint16_t control, const uint8_t *pw)
{
	uint8_t *b = buf512;

	memset(b, 0, ATA_SECTOR);
	b[0] = (uint8_t)control;
	b[1] = (uint8_t)(control >> 8);
	memcpy(b + 2, pw, ATA_SEC_PASSWORD_LEN);
}

void ata_build_sec_set_pass(struct ata_cmd *c, void *buf512, const uint8_t *pw)
{
	cmd_init(c, ATA_CMD_SEC_SET_PASS, ATA_PROT_PIO_OUT, false);
	sec_block(buf512, 0 /* user password, security level high */, pw);
	set_data(c, buf512);
}

void ata_build_sec_erase_prepare(struct ata_cmd *c)
{
	cmd_init(c, ATA_CMD_SEC_ERASE_PREPARE, ATA_PROT_NON_DATA, false);
}

void ata_build_sec_erase_unit(struct ata_cmd *c, void *buf512, const uint8_t *pw, bool enhanced,
			      uint32_t timeout_ms)
{
	cmd_init(c, ATA_CMD_SEC_ERASE_UNIT, ATA_PROT_PIO_OUT, false);
	sec_block(buf512, enhanced ? ATA_SEC_CTL_ENHANCED : 0, pw);
	set_data(c, buf512);
	c->timeout_ms = timeout_ms;
}

void ata_build_sec_disable_pass(struct ata_cmd *c, void *buf512, const uint8_t *pw)
{
	cmd_init(c, ATA_CMD_SEC_DISABLE_PASS, ATA_PROT_PIO_OUT, false);
	sec_block(buf512, 0, pw);
	set_data(c, buf512);
}

void ata_build_sanitize(struct ata_cmd *c, uint16_t subcommand, uint32_t ow_pattern, unsigned ow_count)
{
	cmd_init(c, ATA_CMD_SANITIZE, ATA_PROT_NON_DATA, true);
	c->tf.feature = subcommand;
	switch (subcommand) {
	case ATA_SANITIZE_CRYPTO_EXT:
		c->tf.lba = ATA_SANITIZE_CRYPTO_KEY;
		break;
	case ATA_SANITIZE_BLOCK_EXT:
		c->tf.lba = ATA_SANITIZE_BLOCK_KEY;
		break;
	case ATA_SANITIZE_OVERWRITE_EXT:
		c->tf.lba = ATA_SANITIZE_OVERWRITE_KEY << ATA_SANITIZE_OW_KEY_SHIFT |
			    (ow_pattern & ATA_SANITIZE_OW_PATTERN_MASK);
		c->tf.count = (uint16_t)(ow_count & ATA_SANITIZE_OW_COUNT_MASK);
		break;
	default:
		break;
	}
}

void ata_build_sanitize_status(struct ata_cmd *c)
{
	ata_build_sanitize(c, ATA_SANITIZE_STATUS_EXT, 0, 0);
}

void sat_build_ata16(const struct ata_cmd *c, struct scsi_cmd *s)
{
	const struct ata_tf *tf = &c->tf;
	uint8_t *b = s->cdb;

	memset(s, 0, sizeof(*s));
	s->cdb_len = SAT_ATA16_LEN;
	b[0] = SAT_ATA16_OPCODE;
	b[1] = (uint8_t)((unsigned)c->protocol << SAT_PROTOCOL_SHIFT | (c->ext ? SAT_EXTEND : 0));
	/* CK_COND: the registers come back in sense data. Not for data-in:
	 * libata (and QEMU's AHCI behind it) aborts IDENTIFY with CK_COND, and
	 * the data a data-in command returns is checked by its caller */
	b[2] = c->protocol == ATA_PROT_PIO_IN ? 0 : SAT_CK_COND;
	if (c->protocol == ATA_PROT_PIO_IN || c->protocol == ATA_PROT_PIO_OUT)
		b[2] |= SAT_BYT_BLOK | SAT_T_LENGTH_COUNT |
			(c->protocol == ATA_PROT_PIO_IN ? SAT_T_DIR_IN : 0);
	if (c->ext) {
		b[3] = (uint8_t)(tf->feature >> 8);
		b[5] = (uint8_t)(tf->count >> 8);
		b[7] = (uint8_t)(tf->lba >> 24);
		b[9] = (uint8_t)(tf->lba >> 32);
		b[11] = (uint8_t)(tf->lba >> 40);
	}
	b[4] = (uint8_t)tf->feature;
	b[6] = (uint8_t)tf->count;
	b[8] = (uint8_t)tf->lba;
	b[10] = (uint8_t)(tf->lba >> 8);
	b[12] = (uint8_t)(tf->lba >> 16);
	b[13] = tf->device;
	b[14] = tf->command;
	s->dir = c->protocol == ATA_PROT_PIO_IN ? DRIVE_DIR_IN
		 : c->protocol == ATA_PROT_PIO_OUT ? DRIVE_DIR_OUT : DRIVE_DIR_NONE;
	s->data = c->data;
	s->data_len = c->data_len;
	s->timeout_ms = c->timeout_ms;
}

#define SENSE_FIXED_EXTEND (1u << 7)

bool sat_parse_return(const uint8_t *sense, size_t len, struct ata_cmd *c)
{
	const uint8_t *d;
	uint8_t code = len ? sense[0] & 0x7f : 0;

	if (code == 0x72 || code == 0x73) {
		d = scsi_sense_descriptor(sense, len, SAT_RETURN_DESC);
		if (!d || d[1] < SAT_RETURN_DESC_LEN)
			return false;
		c->error = d[3];
		c->status = d[13];
		c->out.count = (uint16_t)(d[4] << 8 | d[5]);
		c->out.lba = (uint64_t)d[10] << 40 | (uint64_t)d[8] << 32 | (uint64_t)d[6] << 24 |
			     (uint64_t)d[11] << 16 | (uint64_t)d[9] << 8 | d[7];
		c->out.device = d[12];
		c->out_valid = true;
		return true;
	}
	if ((code == 0x70 || code == 0x71) && len >= 18 && sense[12] == 0) {
		if (sense[4]) {
			/* SAT fixed format: ERROR, STATUS, DEVICE, COUNT(7:0) in
			 * the information field, LBA(23:0) in command-specific
			 * information. A real ATA status is never 0 (DRDY or ERR
			 * is set); a non-ATA device's invalid-opcode sense has
			 * zeros here. */
			c->error = sense[3];
			c->status = sense[4];
			c->out.device = sense[5];
			c->out.count = sense[6];
			c->out.lba = (uint64_t)sense[11] << 16 | (uint64_t)sense[10] << 8 | sense[9];
		} else if (sense[9]) {
			/* libata before Linux 6.10 put them 5 bytes later:
			 * ERROR, STATUS, DEVICE, COUNT in bytes 8-11 */
			c->error = sense[8];
			c->status = sense[9];
			c->out.device = sense[10];
			c->out.count = sense[11];
			c->out.lba = 0;
		} else {
			return false;
		}
		c->out_valid = true;
		return true;
	}
	return false;
}

int ata_submit(struct drive_transport *t, struct ata_cmd *c, struct drive_status *st)
{
	struct drive_cmd dc = { .kind = DRIVE_CMD_SCSI };
	struct drive_status s;
	int r;

	sat_build_ata16(c, &dc.scsi);
	c->out_valid = false;
	r = t->submit(t, &dc);
	r = scsi_judge(&dc.scsi, r, &s);
	if (s.kind == DRIVE_STATUS_TRANSPORT)
		goto out;
	if (sat_parse_return(dc.scsi.sense, dc.scsi.sense_len, c)) {
		s.ata_status = c->status;
		s.ata_error = c->error;
		/* a failure when the registers say so, or when the SCSI layer
		 * says the command failed although the registers look clean */
		if ((c->status & (ATA_STATUS_ERR | ATA_STATUS_DF | ATA_STATUS_BSY | ATA_STATUS_DRQ)) || r < 0) {
			s.kind = DRIVE_STATUS_ATA;
			r = s.err = -EIO;
			snprintf(s.text, sizeof(s.text), "ata command 0x%02x: status 0x%02x, error 0x%02x%s%s (%s, asc/ascq 0x%02x/0x%02x)",
				 c->tf.command, c->status, c->error,
				 c->error & ATA_ERROR_ABRT ? " (command aborted)" : "",
				 c->status & ATA_STATUS_DF ? " (device fault)" : "",
				 scsi_sense_key_to_string(s.sense_key), s.asc, s.ascq);
		} else {
			s.kind = DRIVE_STATUS_OK;
			r = s.err = 0;
			snprintf(s.text, sizeof(s.text), "ata command 0x%02x: status 0x%02x, error 0x%02x",
				 c->tf.command, c->status, c->error);
		}
		goto out;
	}
	if (r == 0 && c->protocol != ATA_PROT_PIO_IN) {
		/* GOOD without the registers we asked for (CK_COND): a bridge
		 * that ignores pass-through. Data-in commands are checked by
		 * their caller (IDENTIFY checksum); anything else is unproven. */
		s.kind = DRIVE_STATUS_NO_PROOF;
		r = s.err = -EPROTO;
		snprintf(s.text, sizeof(s.text), "ata command 0x%02x: no ATA status returned, success unproven",
			 c->tf.command);
	}
out:
	if (st)
		*st = s;
	return r;
}

static void copy_ata_string(char *dst, size_t dst_len, const uint8_t *id, unsigned word, unsigned words)
{
	size_t n = 0;
	char *p;

	for (unsigned w = word; w < word + words && n + 2 < dst_len; w++) {
		uint16_t v = id_word(id, w);
		char a = (char)(v >> 8), b = (char)v;

		dst[n++] = a >= 0x20 && a < 0x7f ? a : ' ';
		dst[n++] = b >= 0x20 && b < 0x7f ? b : ' ';
	}
	dst[n] = '\0';
	p = strstrip(dst);
	memmove(dst, p, strlen(p) + 1);
}

unsigned ata_erase_minutes(uint16_t word)
{
	if (word & ATA_ID_ERASE_EXTENDED)
		return (word & 0x7fffu) * 2;
	return (word & 0xffu) * 2;
}

#define ATA_ID_CHECKSUM_WORD 255
#define ATA_ID_SIGNATURE 0xa5
#define ATA_ID_NOT_ATA (1u << 15)    /* word 0 */
#define ATA_ID_SECTOR_INFO 106
#define ATA_ID_SECTOR_VALID_MASK 0xc000u
#define ATA_ID_SECTOR_VALID 0x4000u
#define ATA_ID_SECTOR_LONG (1u << 12)
#define ATA_ID_SECTOR_SIZE 117       /* 2 words, in words */

int ata_parse_identify(const uint8_t *id, struct drive_caps *caps)
{
	uint16_t w0 = id_word(id, 0), sec, w59, info;
	bool nonzero = false;
	uint64_t max;

	for (unsigned i = 0; i < ATA_SECTOR; i++)
		nonzero |= id[i] != 0;
	if (!nonzero || (w0 & ATA_ID_NOT_ATA))
		return -EINVAL;
	if ((id_word(id, ATA_ID_CHECKSUM_WORD) & 0xff) == ATA_ID_SIGNATURE) {
		uint8_t sum = 0;

		for (unsigned i = 0; i < ATA_SECTOR; i++)
			sum = (uint8_t)(sum + id[i]);
		if (sum)
			return -EINVAL;
	}
	caps->proto = DRIVE_PROTO_ATA;
	copy_ata_string(caps->serial, sizeof(caps->serial), id, ATA_ID_SERIAL, ATA_ID_SERIAL_WORDS);
	copy_ata_string(caps->firmware, sizeof(caps->firmware), id, ATA_ID_FW, ATA_ID_FW_WORDS);
	copy_ata_string(caps->model, sizeof(caps->model), id, ATA_ID_MODEL, ATA_ID_MODEL_WORDS);

	sec = id_word(id, ATA_ID_SECURITY);
	caps->ata_security_supported = (sec & ATA_ID_SEC_SUPPORTED) ||
				       (id_word(id, ATA_ID_CMDSET1) & ATA_ID_CMDSET1_SECURITY);
	caps->ata_security_enabled = sec & ATA_ID_SEC_ENABLED;
	caps->ata_security_locked = sec & ATA_ID_SEC_LOCKED;
	caps->ata_security_frozen = sec & ATA_ID_SEC_FROZEN;
	caps->ata_security_count_expired = sec & ATA_ID_SEC_EXPIRED;
	caps->ata_enhanced_supported = sec & ATA_ID_SEC_ENHANCED;
	caps->ata_erase_minutes = ata_erase_minutes(id_word(id, ATA_ID_ERASE_TIME));
	caps->ata_enhanced_erase_minutes = ata_erase_minutes(id_word(id, ATA_ID_ENH_ERASE_TIME));
	if (caps->ata_security_supported) {
		caps->methods |= 1u << DRIVE_METHOD_ATA_SECURE_ERASE;
		if (caps->ata_enhanced_supported)
			caps->methods |= 1u << DRIVE_METHOD_ATA_SECURE_ERASE_ENHANCED;
	}

	w59 = id_word(id, ATA_ID_SANITIZE);
	caps->ata_sanitize_supported = w59 & ATA_ID_SANITIZE_SUPPORTED;
	if (caps->ata_sanitize_supported) {
		if (w59 & ATA_ID_SANITIZE_CRYPTO)
			caps->methods |= 1u << DRIVE_METHOD_ATA_SANITIZE_CRYPTO;
		if (w59 & ATA_ID_SANITIZE_BLOCK)
			caps->methods |= 1u << DRIVE_METHOD_ATA_SANITIZE_BLOCK;
		if (w59 & ATA_ID_SANITIZE_OVERWRITE)
			caps->methods |= 1u << DRIVE_METHOD_ATA_SANITIZE_OVERWRITE;
	}

	caps->ata_hpa_supported = id_word(id, ATA_ID_CMDSET1) & ATA_ID_CMDSET1_HPA;
	caps->ata_hpa_enabled = id_word(id, ATA_ID_CMDSET_EN1) & ATA_ID_CMDSET1_HPA;
	caps->ata_dco_supported = id_word(id, ATA_ID_CMDSET2) & ATA_ID_CMDSET2_DCO;
	if (id_word(id, ATA_ID_CMDSET2) & ATA_ID_CMDSET2_LBA48)
		max = (uint64_t)id_word(id, ATA_ID_LBA48) | (uint64_t)id_word(id, ATA_ID_LBA48 + 1) << 16 |
		      (uint64_t)id_word(id, ATA_ID_LBA48 + 2) << 32 | (uint64_t)id_word(id, ATA_ID_LBA48 + 3) << 48;
	else
		max = (uint64_t)id_word(id, ATA_ID_LBA28) | (uint64_t)id_word(id, ATA_ID_LBA28 + 1) << 16;
	caps->ata_max_lba = max;
	caps->lba_count = max;
	caps->lba_size = ATA_SECTOR;
	info = id_word(id, ATA_ID_SECTOR_INFO);
	if ((info & ATA_ID_SECTOR_VALID_MASK) == ATA_ID_SECTOR_VALID && (info & ATA_ID_SECTOR_LONG)) {
		uint32_t words = id_word(id, ATA_ID_SECTOR_SIZE) | (uint32_t)id_word(id, ATA_ID_SECTOR_SIZE + 1) << 16;

		if (words)
			caps->lba_size = 2 * words;
	}
	caps->solid_state = id_word(id, ATA_ID_ROTATION) == ATA_ID_ROTATION_SSD;
	return 0;
}
