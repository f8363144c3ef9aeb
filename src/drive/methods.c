/* methods.c - the firmware erase methods table: names, protocols, NIST
 * SP 800-88 levels, the capability check before anything is sent, and the
 * choice made by --method auto.
 *
 * Its job: say yes or no (with a reason an operator can act on) before a
 * command is sent. It must never send a command itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wipecert/drive.h"
#include "wipecert/util.h"

struct method_info {
	const char *name;
	enum drive_proto proto;
	const char *what;    /* for the explanation of auto */
};

static const struct method_info methods[_DRIVE_METHOD_MAX] = {
	[DRIVE_METHOD_NVME_SANITIZE_CRYPTO] = { "nvme-sanitize-crypto", DRIVE_PROTO_NVME, "NVMe Sanitize crypto erase" },
	[DRIVE_METHOD_NVME_SANITIZE_BLOCK] = { "nvme-sanitize-block", DRIVE_PROTO_NVME, "NVMe Sanitize block erase" },
	[DRIVE_METHOD_NVME_SANITIZE_OVERWRITE] = { "nvme-sanitize-overwrite", DRIVE_PROTO_NVME, "NVMe Sanitize overwrite" },
	[DRIVE_METHOD_NVME_FORMAT] = { "nvme-format", DRIVE_PROTO_NVME, "NVMe Format NVM, user data erase (SES=1)" },
	[DRIVE_METHOD_NVME_FORMAT_CRYPTO] = { "nvme-format-crypto", DRIVE_PROTO_NVME, "NVMe Format NVM, crypto erase (SES=2)" },
	[DRIVE_METHOD_ATA_SECURE_ERASE] = { "ata-secure-erase", DRIVE_PROTO_ATA, "ATA SECURITY ERASE UNIT (normal)" },
	[DRIVE_METHOD_ATA_SECURE_ERASE_ENHANCED] = { "ata-secure-erase-enhanced", DRIVE_PROTO_ATA, "ATA SECURITY ERASE UNIT (enhanced)" },
	[DRIVE_METHOD_ATA_SANITIZE_CRYPTO] = { "ata-sanitize-crypto", DRIVE_PROTO_ATA, "ATA SANITIZE CRYPTO SCRAMBLE" },
	[DRIVE_METHOD_ATA_SANITIZE_BLOCK] = { "ata-sanitize-block", DRIVE_PROTO_ATA, "ATA SANITIZE BLOCK ERASE" },
	[DRIVE_METHOD_ATA_SANITIZE_OVERWRITE] = { "ata-sanitize-overwrite", DRIVE_PROTO_ATA, "ATA SANITIZE OVERWRITE" },
	[DRIVE_METHOD_SCSI_SANITIZE_CRYPTO] = { "scsi-sanitize-crypto", DRIVE_PROTO_SCSI, "SCSI SANITIZE cryptographic erase" },
	[DRIVE_METHOD_SCSI_SANITIZE_BLOCK] = { "scsi-sanitize-block", DRIVE_PROTO_SCSI, "SCSI SANITIZE block erase" },
	[DRIVE_METHOD_SCSI_SANITIZE_OVERWRITE] = { "scsi-sanitize-overwrite", DRIVE_PROTO_SCSI, "SCSI SANITIZE overwrite" },
};

/* --method auto: fastest first. Crypto erase finishes in seconds, block
 * erase in seconds to minutes, a format or an ATA secure erase in minutes
 * to hours, an overwrite by the drive in hours. Sanitize before Format: it
 * also reaches caches and unallocated blocks and cannot be interrupted. */
static const enum drive_method auto_order[] = {
	DRIVE_METHOD_NVME_SANITIZE_CRYPTO, DRIVE_METHOD_NVME_FORMAT_CRYPTO,
	DRIVE_METHOD_NVME_SANITIZE_BLOCK, DRIVE_METHOD_NVME_FORMAT,
	DRIVE_METHOD_NVME_SANITIZE_OVERWRITE,
	DRIVE_METHOD_ATA_SANITIZE_CRYPTO, DRIVE_METHOD_ATA_SANITIZE_BLOCK,
	DRIVE_METHOD_ATA_SECURE_ERASE_ENHANCED, DRIVE_METHOD_ATA_SECURE_ERASE,
	DRIVE_METHOD_ATA_SANITIZE_OVERWRITE,
	DRIVE_METHOD_SCSI_SANITIZE_CRYPTO, DRIVE_METHOD_SCSI_SANITIZE_BLOCK,
	DRIVE_METHOD_SCSI_SANITIZE_OVERWRITE,
};

static bool valid(enum drive_method m) { return m >= 0 && m < _DRIVE_METHOD_MAX; }

const char *drive_method_to_string(enum drive_method m)
{
	if (m == DRIVE_METHOD_AUTO)
		return "auto";
	return valid(m) ? methods[m].name : "invalid";
}

enum drive_method drive_method_from_string(const char *s)
{
	if (streq(s, "auto"))
		return DRIVE_METHOD_AUTO;
	for (int m = 0; m < _DRIVE_METHOD_MAX; m++)
		if (streq(s, methods[m].name))
			return (enum drive_method)m;
	return DRIVE_METHOD_INVALID;
}

enum drive_proto drive_method_proto(enum drive_method m)
{
	return valid(m) ? methods[m].proto : DRIVE_PROTO_NONE;
}

enum drive_level drive_method_level(enum drive_method m, bool solid_state)
{
	/* SP 800-88 Rev. 1, Table A-8: on flash, SECURITY ERASE UNIT is not
	 * reliably a Purge (implementations were found to leave data) */
	if (m == DRIVE_METHOD_ATA_SECURE_ERASE && solid_state)
		return DRIVE_LEVEL_CLEAR;
	return DRIVE_LEVEL_PURGE;
}

const char *drive_level_to_string(enum drive_level l)
{
	return l == DRIVE_LEVEL_PURGE ? "purge" : "clear";
}

int drive_level_from_string(const char *s, enum drive_level *ret)
{
	if (streq(s, "clear"))
		*ret = DRIVE_LEVEL_CLEAR;
	else if (streq(s, "purge"))
		*ret = DRIVE_LEVEL_PURGE;
	else
		return -EINVAL;
	return 0;
}

const char *drive_proto_to_string(enum drive_proto p)
{
	switch (p) {
	case DRIVE_PROTO_NVME: return "nvme";
	case DRIVE_PROTO_ATA: return "ata";
	case DRIVE_PROTO_SCSI: return "scsi";
	default: return "none";
	}
}

/* Why a supported-looking method is not in caps->methods. */
static void why_unsupported(const struct drive_caps *c, enum drive_method m, char *why, size_t len)
{
	switch (m) {
	case DRIVE_METHOD_NVME_FORMAT:
		snprintf(why, len, "the controller does not support Format NVM (OACS 0x%04x, bit 1 clear)", c->nvme_oacs);
		break;
	case DRIVE_METHOD_NVME_FORMAT_CRYPTO:
		snprintf(why, len, "the controller reports no cryptographic erase for Format NVM (FNA 0x%02x, bit 2 clear)",
			 c->nvme_fna);
		break;
	case DRIVE_METHOD_NVME_SANITIZE_CRYPTO:
	case DRIVE_METHOD_NVME_SANITIZE_BLOCK:
	case DRIVE_METHOD_NVME_SANITIZE_OVERWRITE:
		snprintf(why, len, "the controller does not support this Sanitize action (SANICAP 0x%08x)", c->nvme_sanicap);
		break;
	case DRIVE_METHOD_ATA_SECURE_ERASE:
		snprintf(why, len, "the drive does not support the ATA Security feature set (IDENTIFY word 128 bit 0 clear)");
		break;
	case DRIVE_METHOD_ATA_SECURE_ERASE_ENHANCED:
		snprintf(why, len, "the drive does not support enhanced security erase (IDENTIFY word 128 bit 5 clear)");
		break;
	case DRIVE_METHOD_ATA_SANITIZE_CRYPTO:
	case DRIVE_METHOD_ATA_SANITIZE_BLOCK:
	case DRIVE_METHOD_ATA_SANITIZE_OVERWRITE:
		snprintf(why, len, "%s", c->ata_sanitize_supported
			 ? "the drive does not support this SANITIZE subcommand (IDENTIFY word 59)"
			 : "the drive does not support the SANITIZE feature set (IDENTIFY word 59 bit 12 clear)");
		break;
	default:
		snprintf(why, len, "%s", c->scsi_rsoc
			 ? "REPORT SUPPORTED OPERATION CODES does not list this SANITIZE service action"
			 : "the device rejected REPORT SUPPORTED OPERATION CODES, so SANITIZE support cannot be confirmed");
		break;
	}
}

int drive_check_method(const struct drive_caps *c, enum drive_method m, char *why, size_t why_len)
{
	char dummy[1];

	if (!why) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	if (!valid(m)) {
		snprintf(why, why_len, "unknown method");
		return -EINVAL;
	}
	if (methods[m].proto != c->proto) {
		snprintf(why, why_len, "%s needs an %s drive; this drive speaks %s", methods[m].name,
			 drive_proto_to_string(methods[m].proto), drive_proto_to_string(c->proto));
		return -EOPNOTSUPP;
	}
	if (!(c->methods & (1u << m))) {
		why_unsupported(c, m, why, why_len);
		return -EOPNOTSUPP;
	}
	if (m == DRIVE_METHOD_ATA_SECURE_ERASE || m == DRIVE_METHOD_ATA_SECURE_ERASE_ENHANCED) {
		if (c->ata_security_frozen) {
			snprintf(why, why_len,
				 "ATA security is frozen (the BIOS sent SECURITY FREEZE LOCK at boot): suspend and "
				 "resume the machine (systemctl suspend), or unplug and replug the drive's power "
				 "while the system runs, then try again");
			return -EACCES;
		}
		if (c->ata_security_locked) {
			snprintf(why, why_len, "the drive is locked by an ATA password: unlock it first");
			return -EACCES;
		}
		if (c->ata_security_enabled) {
			snprintf(why, why_len, "an ATA user password is already set; wipecert will not overwrite or guess it");
			return -EACCES;
		}
		if (c->ata_security_count_expired) {
			snprintf(why, why_len, "the ATA password attempt counter has expired: power-cycle the drive");
			return -EACCES;
		}
	}
	return 0;
}

int drive_choose_method(const struct drive_caps *c, enum drive_level level,
			enum drive_method *ret, char *why, size_t why_len)
{
	for (size_t i = 0; i < ARRAY_SIZE(auto_order); i++) {
		enum drive_method m = auto_order[i];
		char reason[256];

		if (drive_check_method(c, m, reason, sizeof(reason)) < 0)
			continue;
		if (level == DRIVE_LEVEL_PURGE && drive_method_level(m, c->solid_state) != DRIVE_LEVEL_PURGE)
			continue;
		if (why)
			snprintf(why, why_len,
				 "%s: the fastest firmware method this %s %s supports that reaches %s "
				 "(NIST SP 800-88 Rev. 1 Appendix A)", methods[m].what,
				 c->solid_state ? "solid-state" : "rotating", drive_proto_to_string(c->proto),
				 drive_level_to_string(level));
		*ret = m;
		return 0;
	}
	if (why)
		snprintf(why, why_len, level == DRIVE_LEVEL_PURGE
			 ? "no firmware erase method that reaches purge is available on this drive; "
			   "a host overwrite reaches only clear: destroy the drive for purge"
			 : "no firmware erase method is available on this drive: use an overwrite (wipecert wipe), "
			   "which reaches clear");
	return -EOPNOTSUPP;
}
