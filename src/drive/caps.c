/* caps.c - what a drive can do: protocol detection and capabilities from
 * NVMe Identify, ATA IDENTIFY DEVICE (+ READ NATIVE MAX, DCO IDENTIFY) and
 * SCSI INQUIRY / REPORT SUPPORTED OPERATION CODES, as a struct and as JSON.
 *
 * Its job: read. It must never send a command that changes the drive.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "wipecert/ata.h"
#include "wipecert/drive.h"
#include "wipecert/nvme.h"
#include "wipecert/scsi.h"
#include "wipecert/util.h"

#define VPD_LEN 252

int drive_detect_proto(struct drive_transport *t, struct drive_status *st)
{
	uint8_t vpd[VPD_LEN] = { 0 }, id[ATA_SECTOR] = { 0 };
	struct drive_caps tmp = { 0 };
	struct scsi_cmd sc;
	struct ata_cmd ac;
	int r;

	if (t->proto == DRIVE_PROTO_NVME)
		return 0;
	scsi_build_inquiry_vpd(&sc, SCSI_VPD_SUPPORTED, vpd, sizeof(vpd));
	r = scsi_submit(t, &sc, st);
	if (r < 0)
		return r;
	if (scsi_vpd_lists(vpd, sizeof(vpd) - (size_t)(sc.resid > 0 ? sc.resid : 0), SCSI_VPD_ATA_INFO)) {
		t->proto = DRIVE_PROTO_ATA;
		return 0;
	}
	/* a SAT bridge that does not list page 0x89 still answers IDENTIFY;
	 * a SCSI disk answers with an error or (QEMU) all zeros */
	ata_build_identify(&ac, id);
	if (ata_submit(t, &ac, NULL) == 0 && ata_parse_identify(id, &tmp) == 0)
		t->proto = DRIVE_PROTO_ATA;
	else
		t->proto = DRIVE_PROTO_SCSI;
	return 0;
}

static int read_nvme(struct drive_transport *t, struct drive_caps *c, struct drive_status *st)
{
	_cleanup_free_ uint8_t *buf = aligned_alloc(4096, NVME_IDENTIFY_LEN);
	struct nvme_cmd nc;
	int r;

	if (!buf)
		return -ENOMEM;
	memset(buf, 0, NVME_IDENTIFY_LEN);
	nvme_build_identify_ctrl(&nc, buf);
	r = nvme_submit(t, &nc, st);
	if (r < 0)
		return r;
	nvme_parse_id_ctrl(buf, c);
	if (t->nsid) {
		memset(buf, 0, NVME_IDENTIFY_LEN);
		nvme_build_identify_ns(&nc, t->nsid, buf);
		r = nvme_submit(t, &nc, st);
		if (r < 0)
			return r;
		nvme_parse_id_ns(buf, c);
	}
	return 0;
}

static uint16_t word(const uint8_t *id, unsigned w) { return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8); }

static int read_ata(struct drive_transport *t, struct drive_caps *c, struct drive_status *st)
{
	uint8_t id[ATA_SECTOR] = { 0 };
	struct ata_cmd ac;
	int r;

	ata_build_identify(&ac, id);
	r = ata_submit(t, &ac, st);
	if (r < 0)
		return r;
	r = ata_parse_identify(id, c);
	if (r < 0)
		return r;
	/* hidden areas: failures here are not fatal, the fields stay 0 */
	if (c->ata_hpa_supported) {
		ata_build_read_native_max(&ac);
		if (ata_submit(t, &ac, NULL) == 0 && ac.out_valid) {
			c->ata_native_max_lba = ac.out.lba + 1;
			c->ata_hpa_present = c->ata_native_max_lba > c->ata_max_lba;
		}
	}
	if (c->ata_dco_supported) {
		memset(id, 0, sizeof(id));
		ata_build_dco_identify(&ac, id);
		if (ata_submit(t, &ac, NULL) == 0) {
			uint64_t max = (uint64_t)word(id, ATA_DCO_MAX_LBA) | (uint64_t)word(id, ATA_DCO_MAX_LBA + 1) << 16 |
				       (uint64_t)word(id, ATA_DCO_MAX_LBA + 2) << 32 |
				       (uint64_t)word(id, ATA_DCO_MAX_LBA + 3) << 48;

			if (max) {
				uint64_t native = c->ata_native_max_lba ? c->ata_native_max_lba : c->ata_max_lba;

				c->ata_dco_max_lba = max + 1;
				c->ata_dco_present = c->ata_dco_max_lba > native;
			}
		}
	}
	return 0;
}

static void scsi_string(char *dst, size_t dst_len, const uint8_t *src, size_t len)
{
	size_t n = 0;
	char *p;

	for (size_t i = 0; i < len && n + 1 < dst_len; i++)
		dst[n++] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : ' ';
	dst[n] = '\0';
	p = strstrip(dst);
	memmove(dst, p, strlen(p) + 1);
}

#define INQ_VENDOR 8
#define INQ_PRODUCT 16
#define INQ_REVISION 32
#define VPD_BDC_ROTATION 4
#define VPD_ROTATION_NONE 1

static int read_scsi(struct drive_transport *t, struct drive_caps *c, struct drive_status *st)
{
	static const struct { uint8_t sa; enum drive_method m; } sanitize[] = {
		{ SCSI_SANITIZE_OVERWRITE, DRIVE_METHOD_SCSI_SANITIZE_OVERWRITE },
		{ SCSI_SANITIZE_BLOCK, DRIVE_METHOD_SCSI_SANITIZE_BLOCK },
		{ SCSI_SANITIZE_CRYPTO, DRIVE_METHOD_SCSI_SANITIZE_CRYPTO },
	};
	uint8_t buf[VPD_LEN];
	struct scsi_cmd sc;
	int r;

	c->proto = DRIVE_PROTO_SCSI;
	memset(buf, 0, sizeof(buf));
	scsi_build_inquiry(&sc, buf, 96);
	r = scsi_submit(t, &sc, st);
	if (r < 0)
		return r;
	scsi_string(c->model, sizeof(c->model), buf + INQ_PRODUCT, 16);
	scsi_string(c->firmware, sizeof(c->firmware), buf + INQ_REVISION, 4);
	memset(buf, 0, sizeof(buf));
	scsi_build_inquiry_vpd(&sc, SCSI_VPD_SERIAL, buf, sizeof(buf));
	if (scsi_submit(t, &sc, NULL) == 0 && buf[1] == SCSI_VPD_SERIAL)
		scsi_string(c->serial, sizeof(c->serial), buf + 4, buf[3] < sizeof(buf) - 4 ? buf[3] : sizeof(buf) - 4);
	memset(buf, 0, sizeof(buf));
	scsi_build_inquiry_vpd(&sc, SCSI_VPD_BDC, buf, 64);
	if (scsi_submit(t, &sc, NULL) == 0 && buf[1] == SCSI_VPD_BDC)
		c->solid_state = (buf[VPD_BDC_ROTATION] << 8 | buf[VPD_BDC_ROTATION + 1]) == VPD_ROTATION_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(sanitize); i++) {
		memset(buf, 0, sizeof(buf));
		scsi_build_rsoc(&sc, SCSI_OP_SANITIZE, sanitize[i].sa, buf, 64);
		if (scsi_submit(t, &sc, NULL) < 0)
			break; /* RSOC itself unsupported: support unknown, refuse */
		c->scsi_rsoc = true;
		if (scsi_rsoc_supported(buf, 64))
			c->methods |= 1u << sanitize[i].m;
	}
	return 0;
}

int drive_read_caps(struct drive_transport *t, struct drive_caps *ret, struct drive_status *st)
{
	struct drive_caps c = { 0 };
	int r;

	if (t->proto == DRIVE_PROTO_NONE) {
		r = drive_detect_proto(t, st);
		if (r < 0)
			return r;
	}
	switch (t->proto) {
	case DRIVE_PROTO_NVME: r = read_nvme(t, &c, st); break;
	case DRIVE_PROTO_ATA: r = read_ata(t, &c, st); break;
	case DRIVE_PROTO_SCSI: r = read_scsi(t, &c, st); break;
	default: r = -EOPNOTSUPP; break;
	}
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

int drive_probe_caps(const char *path, struct drive_caps *ret)
{
	struct drive_transport *t = NULL;
	int r;

	r = drive_open(path, false, &t);
	if (r < 0)
		return r;
	r = drive_read_caps(t, ret, NULL);
	drive_close(t);
	return r;
}

json_t *drive_caps_to_json(const struct drive_caps *c)
{
	json_t *o = json_object(), *m = json_array();

	if (!o || !m) {
		json_decref(o);
		json_decref(m);
		return NULL;
	}
	json_object_set_new(o, "protocol", json_string(drive_proto_to_string(c->proto)));
	json_object_set_new(o, "serial", json_string(c->serial));
	json_object_set_new(o, "model", json_string(c->model));
	json_object_set_new(o, "firmware", json_string(c->firmware));
	json_object_set_new(o, "solid_state", json_boolean(c->solid_state));
	for (int i = 0; i < _DRIVE_METHOD_MAX; i++)
		if (drive_check_method(c, (enum drive_method)i, NULL, 0) == 0)
			json_array_append_new(m, json_string(drive_method_to_string((enum drive_method)i)));
	json_object_set_new(o, "methods", m);
	if (c->proto == DRIVE_PROTO_NVME) {
		json_object_set_new(o, "nvme", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
			"oacs", (json_int_t)c->nvme_oacs, "sanicap", (json_int_t)c->nvme_sanicap,
			"fna", (json_int_t)c->nvme_fna, "dlfeat", (json_int_t)c->nvme_dlfeat,
			"lba_size", (json_int_t)c->lba_size, "lba_count", (json_int_t)c->lba_count));
	} else if (c->proto == DRIVE_PROTO_ATA) {
		json_object_set_new(o, "ata", json_pack(
			"{s:{s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:I}, s:b, s:{s:b, s:b, s:b, s:I, s:I}, s:{s:b, s:b, s:I}}",
			"security", "supported", c->ata_security_supported, "enabled", c->ata_security_enabled,
			"locked", c->ata_security_locked, "frozen", c->ata_security_frozen,
			"count_expired", c->ata_security_count_expired,
			"enhanced_erase_supported", c->ata_enhanced_supported,
			"erase_minutes", (json_int_t)c->ata_erase_minutes,
			"enhanced_erase_minutes", (json_int_t)c->ata_enhanced_erase_minutes,
			"sanitize_supported", c->ata_sanitize_supported,
			"hpa", "supported", c->ata_hpa_supported, "enabled", c->ata_hpa_enabled,
			"present", c->ata_hpa_present, "max_lba", (json_int_t)c->ata_max_lba,
			"native_max_lba", (json_int_t)c->ata_native_max_lba,
			"dco", "supported", c->ata_dco_supported, "present", c->ata_dco_present,
			"max_lba", (json_int_t)c->ata_dco_max_lba));
	} else if (c->proto == DRIVE_PROTO_SCSI) {
		json_object_set_new(o, "scsi", json_pack("{s:b}", "rsoc", c->scsi_rsoc));
	}
	return o;
}
