/* test_drive.c - the drive layer's builders, status decoding and capability
 * parsing, against the bytes NVMe 2.0, ACS-4, SAT-4, SPC-5 and SBC-4
 * prescribe, through a replaced transport. */
#include <errno.h>
#include <string.h>

#include "drive-mock.h"
#include "helpers.h"
#include "wipecert/ata.h"
#include "wipecert/drive.h"
#include "wipecert/nvme.h"
#include "wipecert/scsi.h"

/* ---- NVMe -------------------------------------------------------------- */

static void test_nvme_builders(void **state)
{
	uint8_t buf[4096];
	struct nvme_cmd c;

	(void)state;
	nvme_build_identify_ctrl(&c, buf);
	assert_int_equal(c.opcode, 0x06);
	assert_int_equal(c.nsid, 0);
	assert_int_equal(c.cdw10, 0x00000001);  /* CNS 1 */
	assert_int_equal(c.data_len, 4096);
	assert_int_equal(c.dir, DRIVE_DIR_IN);

	nvme_build_identify_ns(&c, 1, buf);
	assert_int_equal(c.opcode, 0x06);
	assert_int_equal(c.nsid, 1);
	assert_int_equal(c.cdw10, 0x00000000);  /* CNS 0 */

	nvme_build_format(&c, 1, 0, NVME_SES_USER_DATA);
	assert_int_equal(c.opcode, 0x80);
	assert_int_equal(c.nsid, 1);
	assert_int_equal(c.cdw10, 0x00000200);  /* SES=1 in bits 11:9 */
	assert_int_equal(c.cdw11, 0);
	assert_int_equal(c.data_len, 0);

	nvme_build_format(&c, 1, 0, NVME_SES_CRYPTO);
	assert_int_equal(c.cdw10, 0x00000400);  /* SES=2 */

	nvme_build_format(&c, 1, 4, NVME_SES_NONE);
	assert_int_equal(c.cdw10, 0x00000004);  /* LBAF 4 */
	nvme_build_format(&c, 1, 0x13, NVME_SES_USER_DATA);
	assert_int_equal(c.cdw10, 0x00001203);  /* LBAF 3 + LBAFU 1 + SES 1 */

	nvme_build_sanitize(&c, NVME_SANACT_CRYPTO, 0, 0, false);
	assert_int_equal(c.opcode, 0x84);
	assert_int_equal(c.nsid, 0);
	assert_int_equal(c.cdw10, 0x00000004);
	assert_int_equal(c.cdw11, 0);
	nvme_build_sanitize(&c, NVME_SANACT_BLOCK, 0, 0, false);
	assert_int_equal(c.cdw10, 0x00000002);
	nvme_build_sanitize(&c, NVME_SANACT_OVERWRITE, 1, 0xdeadbeef, false);
	assert_int_equal(c.cdw10, 0x00000013);  /* OWPASS 1, SANACT 3 */
	assert_int_equal(c.cdw11, 0xdeadbeef);
	nvme_build_sanitize(&c, NVME_SANACT_BLOCK, 0, 0, true);
	assert_int_equal(c.cdw10, 0x0000000a);  /* AUSE */

	nvme_build_sanitize_log(&c, buf);
	assert_int_equal(c.opcode, 0x02);
	assert_int_equal(c.nsid, 0xffffffff);
	assert_int_equal(c.cdw10, 0x007f0081);  /* NUMDL 127 (512 bytes), LID 0x81 */
	assert_int_equal(c.cdw11, 0);
	assert_int_equal(c.data_len, 512);
}

static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* Identify Controller data as QEMU 7.2's NVMe answers (the fields we read). */
static void qemu_id_ctrl(uint8_t *id)
{
	memset(id, 0, 4096);
	memcpy(id + 4, "WCNVME0001          ", 20);
	memcpy(id + 24, "QEMU NVMe Ctrl                          ", 40);
	memcpy(id + 64, "7.2.0   ", 8);
	put16(id + 256, 0x010a);
	put32(id + 328, 0);
	id[524] = 0;
}

static void test_nvme_id_ctrl(void **state)
{
	uint8_t id[4096];
	struct drive_caps c = { 0 };
	char why[256];
	enum drive_method m;

	(void)state;
	qemu_id_ctrl(id);
	nvme_parse_id_ctrl(id, &c);
	assert_int_equal(c.proto, DRIVE_PROTO_NVME);
	assert_string_equal(c.serial, "WCNVME0001");
	assert_string_equal(c.model, "QEMU NVMe Ctrl");
	assert_string_equal(c.firmware, "7.2.0");
	assert_int_equal(c.nvme_oacs, 0x10a);
	assert_int_equal(c.methods, 1u << DRIVE_METHOD_NVME_FORMAT);
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_NVME_FORMAT, why, sizeof(why)), 0);
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_NVME_FORMAT_CRYPTO, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "FNA"));
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_NVME_SANITIZE_CRYPTO, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "SANICAP"));
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_ATA_SECURE_ERASE, why, sizeof(why)), -EOPNOTSUPP);
	assert_int_equal(drive_choose_method(&c, DRIVE_LEVEL_PURGE, &m, why, sizeof(why)), 0);
	assert_int_equal(m, DRIVE_METHOD_NVME_FORMAT);

	/* a controller with crypto erase and every sanitize action */
	id[524] = NVME_FNA_CRYPTO;
	put32(id + 328, 0x7);
	memset(&c, 0, sizeof(c));
	nvme_parse_id_ctrl(id, &c);
	assert_true(c.methods & (1u << DRIVE_METHOD_NVME_FORMAT_CRYPTO));
	assert_true(c.methods & (1u << DRIVE_METHOD_NVME_SANITIZE_CRYPTO));
	assert_true(c.methods & (1u << DRIVE_METHOD_NVME_SANITIZE_BLOCK));
	assert_true(c.methods & (1u << DRIVE_METHOD_NVME_SANITIZE_OVERWRITE));
	assert_int_equal(drive_choose_method(&c, DRIVE_LEVEL_PURGE, &m, why, sizeof(why)), 0);
	assert_int_equal(m, DRIVE_METHOD_NVME_SANITIZE_CRYPTO);
	assert_non_null(strstr(why, "NIST SP 800-88"));

	/* no Format, no Sanitize: nothing to choose */
	put16(id + 256, 0);
	put32(id + 328, 0);
	memset(&c, 0, sizeof(c));
	nvme_parse_id_ctrl(id, &c);
	assert_int_equal(drive_choose_method(&c, DRIVE_LEVEL_CLEAR, &m, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "overwrite"));
}

static void test_nvme_id_ns_and_log(void **state)
{
	uint8_t id[4096] = { 0 }, log[512] = { 0 };
	struct drive_caps c = { 0 };
	struct nvme_sanitize_status s;

	(void)state;
	put32(id + 0, 4096);           /* NSZE */
	id[26] = 1;                    /* FLBAS: format 1 */
	put32(id + 128 + 4, 12u << 16); /* LBAF1: 4096-byte blocks */
	id[33] = 0x09;                 /* DLFEAT: reads zeros, bit 3 too */
	nvme_parse_id_ns(id, &c);
	assert_int_equal(c.lba_size, 4096);
	assert_int_equal(c.lba_count, 4096);
	assert_int_equal(c.nvme_dlfeat & NVME_DLFEAT_READ_MASK, NVME_DLFEAT_ZEROES);

	put16(log + 0, 0x8000);
	put16(log + 2, 0x0102);        /* in progress, global data erased */
	put32(log + 8, 3600);
	put32(log + 12, 120);
	put32(log + 16, 30);
	nvme_parse_sanitize_log(log, &s);
	assert_int_equal(s.sprog, 0x8000);
	assert_int_equal(s.state, NVME_SSTAT_IN_PROGRESS);
	assert_int_equal(s.eto, 3600);
	assert_int_equal(s.etbe, 120);
	assert_int_equal(s.etce, 30);
}

static void test_nvme_status(void **state)
{
	struct mock m;
	struct nvme_cmd c;
	struct drive_status st;

	(void)state;
	mock_init(&m, DRIVE_PROTO_NVME);
	mock_add(&m)->nvme_status = 0x4001;  /* what QEMU answers to Sanitize */
	mock_add(&m)->nvme_status = 0x4002;
	mock_add(&m)->nvme_status = 0x011c;  /* SCT 1: a command specific error */
	mock_add(&m)->ret = -ENOTTY;
	mock_add(&m);
	nvme_build_sanitize(&c, NVME_SANACT_BLOCK, 0, 0, false);
	assert_int_equal(nvme_submit(&m.t, &c, &st), -EOPNOTSUPP);
	assert_int_equal(st.kind, DRIVE_STATUS_NVME);
	assert_int_equal(st.nvme, 0x4001);
	assert_non_null(strstr(st.text, "invalid command opcode"));
	assert_non_null(strstr(st.text, "0x4001"));
	assert_int_equal(m.sent[0].nvme.cdw10, 2);
	assert_int_equal(nvme_submit(&m.t, &c, &st), -EOPNOTSUPP);
	assert_non_null(strstr(st.text, "invalid field"));
	assert_int_equal(nvme_submit(&m.t, &c, &st), -EIO);
	assert_int_equal(st.kind, DRIVE_STATUS_NVME);
	assert_int_equal(nvme_submit(&m.t, &c, &st), -ENOTTY);
	assert_int_equal(st.kind, DRIVE_STATUS_TRANSPORT);
	assert_int_equal(nvme_submit(&m.t, &c, &st), 0);
	assert_int_equal(st.kind, DRIVE_STATUS_OK);
}

/* ---- SAT / ATA ------------------------------------------------------------ */

static void test_sat_cdbs(void **state)
{
	static const uint8_t identify[16] = { 0x85, 0x08, 0x0e, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0xec, 0 };
	static const uint8_t crypto[16] = { 0x85, 0x07, 0x20, 0, 0x11, 0, 0, 0x43, 0x70, 0, 0x79, 0, 0x72, 0x40, 0xb4, 0 };
	static const uint8_t block[16] = { 0x85, 0x07, 0x20, 0, 0x12, 0, 0, 0x42, 0x72, 0, 0x45, 0, 0x6b, 0x40, 0xb4, 0 };
	static const uint8_t ow[16] = { 0x85, 0x07, 0x20, 0, 0x14, 0, 0x01, 0x11, 0x44, 0x57, 0x33, 0x4f, 0x22, 0x40, 0xb4, 0 };
	static const uint8_t status[16] = { 0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xb4, 0 };
	static const uint8_t setpass[16] = { 0x85, 0x0a, 0x26, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x40, 0xf1, 0 };
	static const uint8_t prepare[16] = { 0x85, 0x06, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xf3, 0 };
	static const uint8_t erase[16] = { 0x85, 0x0a, 0x26, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x40, 0xf4, 0 };
	static const uint8_t disable[16] = { 0x85, 0x0a, 0x26, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x40, 0xf6, 0 };
	static const uint8_t nativemax[16] = { 0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x27, 0 };
	static const uint8_t setmax[16] = { 0x85, 0x07, 0x20, 0, 0, 0, 0, 0x03, 0x06, 0x02, 0x05, 0x01, 0x04, 0x40, 0x37, 0 };
	static const uint8_t dco[16] = { 0x85, 0x08, 0x0e, 0, 0xc2, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x40, 0xb1, 0 };
	uint8_t buf[512], pw[32];
	struct ata_cmd a;
	struct scsi_cmd s;

	(void)state;
	for (int i = 0; i < 32; i++)
		pw[i] = (uint8_t)(0xa0 + i);
#define CDB(build, want) do { build; sat_build_ata16(&a, &s); \
		assert_int_equal(s.cdb_len, 16); assert_memory_equal(s.cdb, want, 16); } while (0)
	CDB(ata_build_identify(&a, buf), identify);
	assert_int_equal(s.dir, DRIVE_DIR_IN);
	assert_int_equal(s.data_len, 512);
	CDB(ata_build_sanitize(&a, ATA_SANITIZE_CRYPTO_EXT, 0, 0), crypto);
	CDB(ata_build_sanitize(&a, ATA_SANITIZE_BLOCK_EXT, 0, 0), block);
	CDB(ata_build_sanitize(&a, ATA_SANITIZE_OVERWRITE_EXT, 0x11223344, 1), ow);
	CDB(ata_build_sanitize_status(&a), status);
	assert_int_equal(s.dir, DRIVE_DIR_NONE);
	CDB(ata_build_sec_set_pass(&a, buf, pw), setpass);
	assert_int_equal(s.dir, DRIVE_DIR_OUT);
	assert_int_equal(buf[0], 0x00);       /* user password, high security */
	assert_int_equal(buf[1], 0x00);
	assert_memory_equal(buf + 2, pw, 32);  /* words 1-16 */
	assert_int_equal(buf[34], 0);
	CDB(ata_build_sec_erase_prepare(&a), prepare);
	CDB(ata_build_sec_erase_unit(&a, buf, pw, true, 1000), erase);
	assert_int_equal(buf[0], 0x02);       /* enhanced */
	assert_memory_equal(buf + 2, pw, 32);
	assert_int_equal(s.timeout_ms, 1000);
	ata_build_sec_erase_unit(&a, buf, pw, false, 0);
	assert_int_equal(buf[0], 0x00);
	CDB(ata_build_sec_disable_pass(&a, buf, pw), disable);
	assert_memory_equal(buf + 2, pw, 32);
	CDB(ata_build_read_native_max(&a), nativemax);
	CDB(ata_build_set_max(&a, 0x010203040506ull), setmax);
	CDB(ata_build_dco_identify(&a, buf), dco);
#undef CDB
}

static void test_ata_status(void **state)
{
	/* libata with D_SENSE off: fixed format, ABORTED COMMAND, ERROR 0x04 ABRT, STATUS 0x51 */
	static const uint8_t fixed_abort[18] = { 0x70, 0, 0x0b, 0x04, 0x51, 0x40, 0x00, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	/* a non-ATA device: ILLEGAL REQUEST, invalid opcode (QEMU scsi-hd, sg_sanitize on libata) */
	static const uint8_t fixed_illegal[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0 };
	static const uint8_t libata61_drq[18] = { 0x70, 0, 0x0b, 0, 0, 0, 0, 0x0a, 0, 0x58, 0, 0x01, 0, 0, 0, 0, 0, 0 };
	static const uint8_t libata61_abort[18] = { 0x70, 0, 0x0b, 0, 0, 0, 0, 0x0a, 0x04, 0x51, 0x40, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t pw[32] = { 1 }, buf[512];
	struct mock m;
	struct ata_cmd a;
	struct drive_status st;
	struct mock_reply *r;

	(void)state;
	mock_init(&m, DRIVE_PROTO_ATA);
	/* 1: aborted in descriptor format */
	mock_ata_regs(mock_add(&m), 0x51, 0x04, 0, 0);
	/* 2: aborted in fixed format */
	r = mock_add(&m);
	r->scsi_status = 2;
	memcpy(r->sense, fixed_abort, sizeof(fixed_abort));
	r->sense_len = sizeof(fixed_abort);
	/* 3: success with the registers */
	mock_ata_regs(mock_add(&m), 0x50, 0x00, 0, 0);
	/* 4: GOOD and no registers although CK_COND asked for them */
	mock_add(&m);
	/* 5: illegal request */
	r = mock_add(&m);
	r->scsi_status = 2;
	memcpy(r->sense, fixed_illegal, sizeof(fixed_illegal));
	r->sense_len = sizeof(fixed_illegal);
	/* 6: transport error (DID_ERROR), as QEMU's SCSI SANITIZE overwrite ends */
	r = mock_add(&m);
	r->host_status = 0x07;
	/* 7: libata 6.1's fixed format (registers in bytes 8-11), as the guest
	 * answered IDENTIFY with CK_COND: status 0x58 (DRQ), aborted */
	r = mock_add(&m);
	r->scsi_status = 2;
	memcpy(r->sense, libata61_drq, sizeof(libata61_drq));
	r->sense_len = sizeof(libata61_drq);
	/* 8: the same layout, ABRT */
	r = mock_add(&m);
	r->scsi_status = 2;
	memcpy(r->sense, libata61_abort, sizeof(libata61_abort));
	r->sense_len = sizeof(libata61_abort);

	ata_build_sec_set_pass(&a, buf, pw);
	assert_int_equal(ata_submit(&m.t, &a, &st), -EIO);
	assert_int_equal(st.kind, DRIVE_STATUS_ATA);
	assert_int_equal(st.ata_status, 0x51);
	assert_int_equal(st.ata_error, 0x04);
	assert_non_null(strstr(st.text, "aborted"));
	assert_int_equal(ata_submit(&m.t, &a, &st), -EIO);
	assert_int_equal(st.kind, DRIVE_STATUS_ATA);
	assert_int_equal(st.ata_error, 0x04);
	assert_int_equal(ata_submit(&m.t, &a, &st), 0);
	assert_true(a.out_valid);
	assert_int_equal(a.status, 0x50);
	assert_int_equal(ata_submit(&m.t, &a, &st), -EPROTO);
	assert_int_equal(st.kind, DRIVE_STATUS_NO_PROOF);
	assert_int_equal(ata_submit(&m.t, &a, &st), -EOPNOTSUPP);
	assert_int_equal(st.kind, DRIVE_STATUS_SCSI);
	assert_int_equal(st.sense_key, 5);
	assert_int_equal(st.asc, 0x20);
	assert_int_equal(ata_submit(&m.t, &a, &st), -EIO);
	assert_int_equal(st.kind, DRIVE_STATUS_TRANSPORT);
	assert_non_null(strstr(st.text, "host status 0x07"));
	assert_int_equal(ata_submit(&m.t, &a, &st), -EIO);
	assert_int_equal(st.kind, DRIVE_STATUS_ATA);
	assert_int_equal(st.ata_status, 0x58);
	assert_int_equal(ata_submit(&m.t, &a, &st), -EIO);
	assert_int_equal(st.ata_status, 0x51);
	assert_int_equal(st.ata_error, 0x04);
	assert_non_null(strstr(st.text, "aborted"));
}

static void test_ata_sanitize_status_regs(void **state)
{
	struct mock m;
	struct ata_cmd a;

	(void)state;
	mock_init(&m, DRIVE_PROTO_ATA);
	mock_ata_regs(mock_add(&m), 0x50, 0, ATA_SANITIZE_OUT_IN_PROGRESS, 0x4000);
	ata_build_sanitize_status(&a);
	assert_int_equal(ata_submit(&m.t, &a, NULL), 0);
	assert_true(a.out.count & ATA_SANITIZE_OUT_IN_PROGRESS);
	assert_int_equal(a.out.lba & ATA_SANITIZE_PROGRESS_MASK, 0x4000);
}

static void test_ata_identify(void **state)
{
	uint8_t id[512];
	struct drive_caps c = { 0 };
	char why[300];
	enum drive_method m;

	(void)state;
	sample_identify(id, 0x0029);          /* supported, frozen, enhanced */
	assert_int_equal(ata_parse_identify(id, &c), 0);
	assert_string_equal(c.serial, "WCSATA0001");
	assert_string_equal(c.model, "WIPECERT SATA DISK");
	assert_true(c.ata_security_supported);
	assert_true(c.ata_security_frozen);
	assert_false(c.ata_security_enabled);
	assert_true(c.ata_enhanced_supported);
	assert_int_equal(c.ata_erase_minutes, 10);
	assert_int_equal(c.ata_enhanced_erase_minutes, 32);
	assert_true(c.ata_sanitize_supported);
	assert_true(c.solid_state);
	assert_int_equal(c.ata_max_lba, 32768);
	assert_true(c.ata_hpa_supported && c.ata_hpa_enabled && c.ata_dco_supported);
	assert_true(c.methods & (1u << DRIVE_METHOD_ATA_SANITIZE_CRYPTO));
	assert_true(c.methods & (1u << DRIVE_METHOD_ATA_SANITIZE_BLOCK));
	assert_false(c.methods & (1u << DRIVE_METHOD_ATA_SANITIZE_OVERWRITE));

	/* frozen: refused with the way out */
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_ATA_SECURE_ERASE, why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "frozen"));
	assert_non_null(strstr(why, "suspend"));
	assert_non_null(strstr(why, "replug"));
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_ATA_SANITIZE_OVERWRITE, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "word 59"));
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_NVME_FORMAT, why, sizeof(why)), -EOPNOTSUPP);
	assert_int_equal(drive_choose_method(&c, DRIVE_LEVEL_PURGE, &m, why, sizeof(why)), 0);
	assert_int_equal(m, DRIVE_METHOD_ATA_SANITIZE_CRYPTO);

	/* locked */
	sample_identify(id, 0x0007);
	memset(&c, 0, sizeof(c));
	assert_int_equal(ata_parse_identify(id, &c), 0);
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_ATA_SECURE_ERASE, why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "locked"));

	/* no sanitize, security only, SSD: normal erase is Clear, not Purge */
	sample_identify(id, 0x0001);
	set_word(id, 59, 0);
	checksum(id);
	memset(&c, 0, sizeof(c));
	assert_int_equal(ata_parse_identify(id, &c), 0);
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_ATA_SECURE_ERASE, why, sizeof(why)), 0);
	assert_int_equal(drive_choose_method(&c, DRIVE_LEVEL_PURGE, &m, why, sizeof(why)), -EOPNOTSUPP);
	assert_int_equal(drive_choose_method(&c, DRIVE_LEVEL_CLEAR, &m, why, sizeof(why)), 0);
	assert_int_equal(m, DRIVE_METHOD_ATA_SECURE_ERASE);

	/* a bad checksum and an all-zero page (QEMU scsi-hd) are no IDENTIFY */
	id[100] ^= 1;
	assert_int_equal(ata_parse_identify(id, &c), -EINVAL);
	memset(id, 0, sizeof(id));
	assert_int_equal(ata_parse_identify(id, &c), -EINVAL);
	assert_int_equal(ata_erase_minutes(0x00ff), 510);
}

static void test_ata_read_caps_hpa(void **state)
{
	static const uint8_t vpd0[] = { 0, 0x00, 0, 4, 0x00, 0x80, 0x83, 0x89 };
	uint8_t id[512], dco[512] = { 0 };
	struct drive_caps c;
	struct drive_status st;
	struct mock m;
	struct mock_reply *r;

	(void)state;
	sample_identify(id, 0x0021);
	set_word(dco, 3, 0xffff);              /* DCO max LBA 0xffff: 65536 sectors */
	mock_init(&m, DRIVE_PROTO_NONE);
	r = mock_add(&m);                      /* INQUIRY VPD 0x00 lists 0x89 */
	r->data = vpd0;
	r->data_len = sizeof(vpd0);
	r = mock_add(&m);                      /* IDENTIFY */
	mock_ata_regs(r, 0x50, 0, 0, 0);
	r->data = id;
	r->data_len = 512;
	mock_ata_regs(mock_add(&m), 0x50, 0, 0, 40959); /* READ NATIVE MAX: 40960 sectors */
	r = mock_add(&m);                      /* DCO IDENTIFY */
	mock_ata_regs(r, 0x50, 0, 0, 0);
	r->data = dco;
	r->data_len = 512;
	assert_int_equal(drive_read_caps(&m.t, &c, &st), 0);
	assert_int_equal(m.t.proto, DRIVE_PROTO_ATA);
	assert_int_equal(m.n_sent, 4);
	assert_int_equal(m.sent[0].scsi.cdb[0], 0x12);
	assert_int_equal(m.sent[0].scsi.cdb[2], 0x00);
	assert_int_equal(m.sent[1].scsi.cdb[14], 0xec);
	assert_int_equal(m.sent[2].scsi.cdb[14], 0x27);
	assert_int_equal(m.sent[3].scsi.cdb[14], 0xb1);
	assert_int_equal(c.ata_max_lba, 32768);
	assert_int_equal(c.ata_native_max_lba, 40960);
	assert_true(c.ata_hpa_present);
	assert_int_equal(c.ata_dco_max_lba, 65536);
	assert_true(c.ata_dco_present);
	/* every command sent was a read: no SET MAX, no security, no sanitize */
	for (int i = 1; i < m.n_sent; i++) {
		uint8_t op = m.sent[i].scsi.cdb[14];
		assert_true(op == 0xec || op == 0x27 || op == 0xb1);
	}
}

static void test_ata_remove_hpa(void **state)
{
	struct drive_caps c = { .proto = DRIVE_PROTO_ATA, .ata_hpa_present = true,
				.ata_max_lba = 32768, .ata_native_max_lba = 40960 };
	struct drive_status st;
	struct mock m;

	(void)state;
	mock_init(&m, DRIVE_PROTO_ATA);
	mock_ata_regs(mock_add(&m), 0x50, 0, 0, 40959);
	mock_ata_regs(mock_add(&m), 0x51, ATA_ERROR_IDNF, 0, 0);
	assert_int_equal(drive_remove_hpa(&m.t, &c, &st), 0);
	assert_int_equal(m.n_sent, 1);
	assert_int_equal(m.sent[0].scsi.cdb[14], ATA_CMD_SET_MAX_ADDRESS_EXT);
	assert_int_equal(m.sent[0].scsi.cdb[8], 40959 & 0xff);         /* LBA 7:0 */
	assert_int_equal(m.sent[0].scsi.cdb[10], (40959 >> 8) & 0xff); /* LBA 15:8 */
	assert_int_equal(m.sent[0].scsi.cdb[6], 0);                     /* volatile */
	assert_int_equal(drive_remove_hpa(&m.t, &c, &st), -EIO);        /* the drive refuses */
	assert_int_equal(st.kind, DRIVE_STATUS_ATA);
	/* no HPA: nothing is sent */
	c.ata_hpa_present = false;
	assert_int_equal(drive_remove_hpa(&m.t, &c, &st), 0);
	assert_int_equal(m.n_sent, 2);
}

/* ---- SCSI ---------------------------------------------------------------- */

static void test_scsi_cdbs(void **state)
{
	static const uint8_t crypto[10] = { 0x48, 0x83, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t block[10] = { 0x48, 0x82, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ow[10] = { 0x48, 0x81, 0, 0, 0, 0, 0, 0x00, 0x08, 0 };
	static const uint8_t owparam[8] = { 0x01, 0, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef };
	static const uint8_t rsoc[12] = { 0xa3, 0x0c, 0x02, 0x48, 0x00, 0x03, 0, 0, 0, 0x40, 0, 0 };
	static const uint8_t rs[6] = { 0x03, 0x01, 0, 0, 0xfc, 0 };
	static const uint8_t vpd[6] = { 0x12, 0x01, 0x89, 0x00, 0xfc, 0 };
	uint8_t param[8], buf[252];
	struct scsi_cmd c;

	(void)state;
	scsi_build_sanitize(&c, SCSI_SANITIZE_CRYPTO, true, param, 0, 0);
	assert_int_equal(c.cdb_len, 10);
	assert_memory_equal(c.cdb, crypto, 10);
	assert_int_equal(c.dir, DRIVE_DIR_NONE);
	scsi_build_sanitize(&c, SCSI_SANITIZE_BLOCK, true, param, 0, 0);
	assert_memory_equal(c.cdb, block, 10);
	scsi_build_sanitize(&c, SCSI_SANITIZE_OVERWRITE, true, param, 0xdeadbeef, 1);
	assert_memory_equal(c.cdb, ow, 10);
	assert_memory_equal(param, owparam, 8);
	assert_int_equal(c.dir, DRIVE_DIR_OUT);
	assert_int_equal(c.data_len, 8);
	scsi_build_rsoc(&c, 0x48, 3, buf, 64);
	assert_memory_equal(c.cdb, rsoc, 12);
	scsi_build_request_sense(&c, buf, 252, true);
	assert_memory_equal(c.cdb, rs, 6);
	scsi_build_inquiry_vpd(&c, 0x89, buf, 252);
	assert_memory_equal(c.cdb, vpd, 6);
}

static void test_scsi_sense(void **state)
{
	static const uint8_t fixed[18] = { 0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x1b, 0, 0x80, 0x40, 0x00 };
	static const uint8_t desc[16] = { 0x72, 0x02, 0x04, 0x1b, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0x80, 0x20, 0x00, 0 };
	static const uint8_t failed[14] = { 0x72, 0x03, 0x31, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t rsoc_yes[4] = { 0, 0x03, 0, 10 }, rsoc_no[4] = { 0, 0x01, 0, 0 };
	static const uint8_t vpd0[] = { 0, 0x00, 0, 3, 0x00, 0x80, 0xb1 };
	struct scsi_sense s;
	struct scsi_cmd c = { 0 };
	struct drive_status st;

	(void)state;
	scsi_parse_sense(fixed, sizeof(fixed), &s);
	assert_true(s.valid);
	assert_false(s.descriptor);
	assert_int_equal(s.key, SCSI_KEY_NOT_READY);
	assert_int_equal(s.asc, 0x04);
	assert_int_equal(s.ascq, 0x1b);
	assert_true(s.progress_valid);
	assert_int_equal(s.progress, 0x4000);
	scsi_parse_sense(desc, sizeof(desc), &s);
	assert_true(s.descriptor);
	assert_int_equal(s.key, SCSI_KEY_NOT_READY);
	assert_true(s.progress_valid);
	assert_int_equal(s.progress, 0x2000);
	scsi_parse_sense(failed, sizeof(failed), &s);
	assert_int_equal(s.key, SCSI_KEY_MEDIUM_ERROR);
	assert_int_equal(s.asc, 0x31);
	assert_false(s.progress_valid);

	c.cdb[0] = 0x48;
	c.status = 2;
	memcpy(c.sense, failed, sizeof(failed));
	c.sense_len = sizeof(failed);
	assert_int_equal(scsi_judge(&c, 0, &st), -EIO);
	assert_non_null(strstr(st.text, "medium error"));
	c.sense_len = 0;
	assert_int_equal(scsi_judge(&c, 0, &st), -EIO);
	assert_non_null(strstr(st.text, "without sense"));
	c.status = 0;
	c.host_status = 0x07;
	assert_int_equal(scsi_judge(&c, 0, &st), -EIO);
	assert_int_equal(st.kind, DRIVE_STATUS_TRANSPORT);
	c.host_status = 0;
	assert_int_equal(scsi_judge(&c, 0, &st), 0);

	assert_true(scsi_rsoc_supported(rsoc_yes, 4));
	assert_false(scsi_rsoc_supported(rsoc_no, 4));
	assert_true(scsi_vpd_lists(vpd0, sizeof(vpd0), 0xb1));
	assert_false(scsi_vpd_lists(vpd0, sizeof(vpd0), 0x89));
}

static void test_scsi_read_caps(void **state)
{
	static const uint8_t vpd0[] = { 0, 0x00, 0, 3, 0x00, 0x80, 0xb1 };
	static const uint8_t inq[36] = { 0, 0, 5, 2, 31, 0, 0, 0, 'Q', 'E', 'M', 'U', ' ', ' ', ' ', ' ',
		'Q', 'E', 'M', 'U', ' ', 'H', 'A', 'R', 'D', 'D', 'I', 'S', 'K', ' ', ' ', ' ', '2', '.', '5', '+' };
	static const uint8_t sn[] = { 0, 0x80, 0, 10, 'W', 'C', 'S', 'C', 'S', 'I', '0', '0', '0', '1' };
	static const uint8_t illegal[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0 };
	static const uint8_t rsoc_yes[4] = { 0, 0x03, 0, 10 };
	struct drive_caps c;
	struct mock m;
	struct mock_reply *r;
	char why[256];

	(void)state;
	/* QEMU scsi-hd: no page 0x89, IDENTIFY answered with zeros, RSOC invalid opcode */
	mock_init(&m, DRIVE_PROTO_NONE);
	r = mock_add(&m);
	r->data = vpd0;
	r->data_len = sizeof(vpd0);
	mock_add(&m);                           /* ATA IDENTIFY: GOOD, zeros */
	r = mock_add(&m);
	r->data = inq;
	r->data_len = sizeof(inq);
	r = mock_add(&m);
	r->data = sn;
	r->data_len = sizeof(sn);
	mock_add(&m);                           /* VPD b1 */
	r = mock_add(&m);                       /* RSOC */
	r->scsi_status = 2;
	memcpy(r->sense, illegal, sizeof(illegal));
	r->sense_len = sizeof(illegal);
	assert_int_equal(drive_read_caps(&m.t, &c, NULL), 0);
	assert_int_equal(c.proto, DRIVE_PROTO_SCSI);
	assert_string_equal(c.serial, "WCSCSI0001");
	assert_string_equal(c.model, "QEMU HARDDISK");
	assert_false(c.scsi_rsoc);
	assert_int_equal(c.methods, 0);
	assert_int_equal(drive_check_method(&c, DRIVE_METHOD_SCSI_SANITIZE_OVERWRITE, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "cannot be confirmed"));
	assert_int_equal(m.sent[5].scsi.cdb[0], 0xa3);

	/* a disk whose RSOC lists SANITIZE block erase only */
	mock_init(&m, DRIVE_PROTO_SCSI);
	r = mock_add(&m);
	r->data = inq;
	r->data_len = sizeof(inq);
	mock_add(&m);
	mock_add(&m);
	mock_add(&m);                           /* RSOC overwrite: support 0 */
	r = mock_add(&m);                       /* RSOC block */
	r->data = rsoc_yes;
	r->data_len = 4;
	mock_add(&m);                           /* RSOC crypto: 0 */
	assert_int_equal(drive_read_caps(&m.t, &c, NULL), 0);
	assert_true(c.scsi_rsoc);
	assert_int_equal(c.methods, 1u << DRIVE_METHOD_SCSI_SANITIZE_BLOCK);
	assert_int_equal(m.sent[4].scsi.cdb[5], SCSI_SANITIZE_BLOCK);
}

static void test_method_names(void **state)
{
	enum drive_level l;

	(void)state;
	for (int i = 0; i < _DRIVE_METHOD_MAX; i++)
		assert_int_equal(drive_method_from_string(drive_method_to_string((enum drive_method)i)), i);
	assert_int_equal(drive_method_from_string("auto"), DRIVE_METHOD_AUTO);
	assert_int_equal(drive_method_from_string("nvme-form"), DRIVE_METHOD_INVALID);
	assert_int_equal(drive_level_from_string("purge", &l), 0);
	assert_int_equal(l, DRIVE_LEVEL_PURGE);
	assert_int_equal(drive_level_from_string("destroy", &l), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvme_builders),
		cmocka_unit_test(test_nvme_id_ctrl),
		cmocka_unit_test(test_nvme_id_ns_and_log),
		cmocka_unit_test(test_nvme_status),
		cmocka_unit_test(test_sat_cdbs),
		cmocka_unit_test(test_ata_status),
		cmocka_unit_test(test_ata_sanitize_status_regs),
		cmocka_unit_test(test_ata_identify),
		cmocka_unit_test(test_ata_read_caps_hpa),
		cmocka_unit_test(test_ata_remove_hpa),
		cmocka_unit_test(test_scsi_cdbs),
		cmocka_unit_test(test_scsi_sense),
		cmocka_unit_test(test_scsi_read_caps),
		cmocka_unit_test(test_method_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
