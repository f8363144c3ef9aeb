/* drive-mock.h - a replaced drive transport for the drive tests: it records
 * every command sent and answers from a script of replies (or a hook).
 * Included by tests/test_drive*.c only. */
#ifndef WIPECERT_TEST_DRIVE_MOCK_H
#define WIPECERT_TEST_DRIVE_MOCK_H

#include <string.h>

#include "wipecert/drive.h"

#define MOCK_MAX 64

struct mock_reply {
	int ret;                    /* what submit returns (-errno: transport failed) */
	uint16_t nvme_status;
	uint32_t nvme_result;
	uint8_t scsi_status;
	uint16_t host_status;
	uint8_t sense[32];
	uint8_t sense_len;
	const void *data;           /* copied into a data-in buffer */
	size_t data_len;
};

struct mock {
	struct drive_transport t;
	struct drive_cmd sent[MOCK_MAX];
	uint8_t payload[MOCK_MAX][512]; /* data-out of each command (first 512 bytes) */
	int n_sent;
	struct mock_reply replies[MOCK_MAX];
	int n_replies;
	/* optional: called after the reply is applied (e.g. to erase an image) */
	void (*hook)(struct mock *m, struct drive_cmd *c);
	void *hook_data;
};

static int mock_submit(struct drive_transport *t, struct drive_cmd *c)
{
	struct mock *m = t->priv;
	int i = m->n_sent;
	struct mock_reply *r;
	void *data = c->kind == DRIVE_CMD_NVME ? c->nvme.data : c->scsi.data;
	uint32_t len = c->kind == DRIVE_CMD_NVME ? c->nvme.data_len : c->scsi.data_len;
	enum drive_dir dir = c->kind == DRIVE_CMD_NVME ? c->nvme.dir : c->scsi.dir;

	if (i >= MOCK_MAX)
		return -E2BIG;
	m->sent[i] = *c;
	if (dir == DRIVE_DIR_OUT && data)
		memcpy(m->payload[i], data, len < 512 ? len : 512);
	m->n_sent++;
	r = i < m->n_replies ? &m->replies[i] : &m->replies[m->n_replies ? m->n_replies - 1 : 0];
	if (r->ret < 0)
		return r->ret;
	if (dir == DRIVE_DIR_IN && data && r->data)
		memcpy(data, r->data, r->data_len < len ? r->data_len : len);
	if (c->kind == DRIVE_CMD_NVME) {
		c->nvme.status = r->nvme_status;
		c->nvme.result = r->nvme_result;
	} else {
		c->scsi.status = r->scsi_status;
		c->scsi.host_status = r->host_status;
		memcpy(c->scsi.sense, r->sense, r->sense_len);
		c->scsi.sense_len = r->sense_len;
	}
	if (m->hook)
		m->hook(m, c);
	return 0;
}

static inline void mock_init(struct mock *m, enum drive_proto proto)
{
	memset(m, 0, sizeof(*m));
	m->t.submit = mock_submit;
	m->t.proto = proto;
	m->t.nsid = proto == DRIVE_PROTO_NVME ? 1 : 0;
	m->t.fd = -1;
	m->t.priv = m;
}

static inline struct mock_reply *mock_add(struct mock *m)
{
	return &m->replies[m->n_replies++];
}

/* An ATA return descriptor (descriptor sense, RECOVERED ERROR 00/1D as
 * libata answers CK_COND) with the given registers. */
static inline void mock_ata_regs(struct mock_reply *r, uint8_t status, uint8_t error, uint16_t count, uint64_t lba)
{
	static const uint8_t head[8] = { 0x72, 0x01, 0x00, 0x1d, 0, 0, 0, 14 };

	memset(r->sense, 0, sizeof(r->sense));
	memcpy(r->sense, head, sizeof(head));
	r->sense[8] = 0x09;
	r->sense[9] = 0x0c;
	r->sense[10] = 0x01;
	r->sense[11] = error;
	r->sense[12] = (uint8_t)(count >> 8);
	r->sense[13] = (uint8_t)count;
	r->sense[14] = (uint8_t)(lba >> 24);
	r->sense[15] = (uint8_t)lba;
	r->sense[16] = (uint8_t)(lba >> 32);
	r->sense[17] = (uint8_t)(lba >> 8);
	r->sense[18] = (uint8_t)(lba >> 40);
	r->sense[19] = (uint8_t)(lba >> 16);
	r->sense[20] = 0x40;
	r->sense[21] = status;
	r->sense_len = 22;
	r->scsi_status = 0x02;
}

static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

static inline void set_word(uint8_t *id, unsigned w, uint16_t v) { put16(id + 2 * w, v); }

static inline void set_string(uint8_t *id, unsigned w, unsigned words, const char *s)
{
	size_t n = strlen(s);

	for (unsigned i = 0; i < words * 2; i++) {
		char ch = i < n ? s[i] : ' ';
		/* ATA strings: the first character in the high byte of a word */
		id[2 * w + (i ^ 1)] = (uint8_t)ch;
	}
}

static inline void checksum(uint8_t *id)
{
	uint8_t sum = 0;

	id[510] = 0xa5;
	for (int i = 0; i < 511; i++)
		sum = (uint8_t)(sum + id[i]);
	id[511] = (uint8_t)-sum;
}

/* An SSD with security (frozen), enhanced erase and sanitize crypto+block. */
static inline void sample_identify(uint8_t *id, uint16_t security)
{
	memset(id, 0, 512);
	set_word(id, 0, 0x0040);
	set_string(id, 10, 10, "WCSATA0001");
	set_string(id, 23, 4, "1.0");
	set_string(id, 27, 20, "WIPECERT SATA DISK");
	set_word(id, 59, 0xb000);             /* sanitize: supported, crypto, block */
	set_word(id, 82, 0x0402);             /* security, HPA */
	set_word(id, 83, 0x4c00);             /* 48-bit, DCO */
	set_word(id, 85, 0x0400);             /* HPA enabled */
	set_word(id, 89, 0x0005);             /* 10 minutes */
	set_word(id, 90, 0x8010);             /* extended format: 32 minutes */
	set_word(id, 100, 0x8000);            /* 32768 sectors */
	set_word(id, 128, security);
	set_word(id, 217, 1);                 /* not rotating */
	checksum(id);
}

#endif
