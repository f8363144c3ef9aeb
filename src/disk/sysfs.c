/* sysfs.c - a whole disk's identity from its sysfs directory (and, when
 * udevd has a database, from udev properties), without touching the device.
 *
 * Must never open a device node: it reads attribute files only, so that it
 * works on captured fixture trees as well as on /sys.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "disk-internal.h"

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Serial from SCSI VPD page 0x80 (unit serial number): 4-byte header, then
 * the serial, space padded. */
static char *serial_from_vpd80(const char *devdir)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len, n;
	char s[256];

	if (asprintf(&p, "%s/vpd_pg80", devdir) < 0)
		return NULL;
	if (read_full_file(p, &buf, &len) < 0 || len < 4 || buf[1] != 0x80)
		return NULL;
	n = (size_t)buf[2] << 8 | buf[3];
	if (n > len - 4)
		n = len - 4;
	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, buf + 4, n);
	s[n] = '\0';
	return dup_or_null(strstrip(s));
}

/* wwid files say "naa.5000c500a1b2c3d4", "eui.00253857...", or, when the
 * device has no WWN, "t10.ATA     Model  Serial" or "nvme.8086-...": only
 * the first two are world wide names. */
static char *wwn_from_wwid(const char *wwid)
{
	if (!wwid)
		return NULL;
	if (!strncmp(wwid, "naa.", 4) || !strncmp(wwid, "eui.", 4))
		return strdup(wwid);
	return NULL;
}

enum disk_transport disk_transport_from_path(const char *name, const char *realpath)
{
	if (!strncmp(name, "nvme", 4))
		return TRANSPORT_NVME;
	if (!strncmp(name, "loop", 4))
		return TRANSPORT_LOOP;
	if (!strncmp(name, "mmcblk", 6))
		return TRANSPORT_MMC;
	if (!realpath)
		return TRANSPORT_UNKNOWN;
	/* order matters: a USB bridge sits below the host controller, and a
	 * SATA disk behind USB still shows "/usb" first in its path */
	if (strstr(realpath, "/usb"))
		return TRANSPORT_USB;
	if (strstr(realpath, "/ata"))
		return TRANSPORT_SATA;
	if (strstr(realpath, "/virtio"))
		return TRANSPORT_VIRTIO;
	if (!strncmp(name, "sd", 2))
		return TRANSPORT_SAS;
	return TRANSPORT_UNKNOWN;
}

static bool skip_name(const char *name)
{
	static const char *const skip[] = { "ram", "zram", "dm-", "md", "sr", "fd", "nbd", "drbd" };

	for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
		if (!strncmp(name, skip[i], strlen(skip[i])))
			return true;
	return false;
}

static char **list_dir_entries(const char *dir)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n++] = strdup(de->d_name);
		v[n] = NULL;
	}
	return v;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Partitions of a disk are the subdirectories that hold a "partition" file. */
char **disk_partitions(const char *syspath)
{
	char **all = list_dir_entries(syspath), **parts = NULL;
	size_t n = 0;

	for (char **p = all; p && *p; p++) {
		_cleanup_free_ char *f = NULL;
		char **nv;

		if (asprintf(&f, "%s/%s/partition", syspath, *p) < 0 || access(f, F_OK) < 0)
			continue;
		nv = realloc(parts, (n + 2) * sizeof(*nv));
		if (!nv)
			break;
		parts = nv;
		parts[n++] = strdup(*p);
		parts[n] = NULL;
	}
	strv_free(all);
	return parts;
}

int disk_from_sysfs(const struct disk_scan *opts, const char *name, struct udev *udev, struct disk *ret)
{
	const char *sysfs_root = disk_sysfs_root(opts);
	_cleanup_free_ char *link = NULL, *real = NULL, *devdir = NULL, *wwid = NULL;
	_cleanup_free_ char *tmp = NULL;
	struct disk d = { 0 };
	uint64_t v;
	int r;

	if (skip_name(name))
		return -ENOENT;
	if (asprintf(&link, "%s/block/%s", sysfs_root, name) < 0)
		return -ENOMEM;
	real = realpath(link, NULL);
	if (!real)
		return -errno;
	/* a partition has a "partition" attribute: not a whole disk */
	if (read_u64_at(real, "partition", &v) == 0)
		return -ENOTBLK;

	d.name = strdup(name);
	d.syspath = strdup(real);
	if (asprintf(&d.devpath, "%s/%s", disk_dev_root(opts), name) < 0 || !d.name || !d.syspath) {
		disk_release(&d);
		return -ENOMEM;
	}
	r = read_u64_at(real, "size", &v);
	if (r < 0) {
		disk_release(&d);
		return r;
	}
	d.size = v * 512; /* sysfs "size" is always in 512-byte units */
	d.logical_sector = read_u64_at(real, "queue/logical_block_size", &v) == 0 ? (unsigned)v : 512;
	d.physical_sector = read_u64_at(real, "queue/physical_block_size", &v) == 0 ? (unsigned)v : d.logical_sector;
	d.rotational = read_u64_at(real, "queue/rotational", &v) == 0 && v;
	d.removable = read_u64_at(real, "removable", &v) == 0 && v;
	d.readonly = read_u64_at(real, "ro", &v) == 0 && v;
	d.transport = disk_transport_from_path(name, real);

	if (asprintf(&devdir, "%s/device", real) < 0) {
		disk_release(&d);
		return -ENOMEM;
	}
	(void)read_text_at(devdir, "model", &d.model);
	(void)read_text_at(devdir, "vendor", &d.vendor);
	if (read_text_at(devdir, "firmware_rev", &d.firmware) < 0)
		(void)read_text_at(devdir, "rev", &d.firmware);
	/* NVMe: device/serial; virtio: serial on the disk; SCSI/ATA: VPD 0x80 */
	if (read_text_at(devdir, "serial", &d.serial) < 0 && read_text_at(real, "serial", &d.serial) < 0)
		d.serial = serial_from_vpd80(devdir);
	if (read_text_at(real, "wwid", &wwid) < 0)
		(void)read_text_at(devdir, "wwid", &wwid);
	d.wwn = wwn_from_wwid(wwid);
	if (d.transport == TRANSPORT_LOOP) {
		(void)read_text_at(real, "loop/backing_file", &d.backing_file);
		if (!d.model)
			d.model = strdup("loop device");
	}
	if (d.serial && !*d.serial) {
		free(d.serial);
		d.serial = NULL;
	}
	if (udev)
		disk_apply_udev(udev, real, &d);
	d.safety = SAFETY_OK;
	*ret = d;
	return 0;
}

/* udev's database (present only while udevd runs) knows the full ATA model,
 * the serial read by ata_id/scsi_id and the WWN: prefer them. */
void disk_apply_udev(struct udev *udev, const char *syspath, struct disk *d)
{
	struct udev_device *dev = udev_device_new_from_syspath(udev, syspath);
	static const struct {
		const char *prop;
		size_t off;
	} map[] = {
		{ "ID_SERIAL_SHORT", offsetof(struct disk, serial) },
		{ "ID_WWN_WITH_EXTENSION", offsetof(struct disk, wwn) },
		{ "ID_MODEL", offsetof(struct disk, model) },
		{ "ID_REVISION", offsetof(struct disk, firmware) },
	};

	if (!dev)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		const char *val = udev_device_get_property_value(dev, map[i].prop);
		char **field = (char **)((char *)d + map[i].off);
		char *nv;

		if (!val || !*val)
			continue;
		nv = strdup(val);
		if (!nv)
			continue;
		if (streq(map[i].prop, "ID_WWN_WITH_EXTENSION") && !strncmp(nv, "0x", 2)) {
			/* "0x5000c500a1b2c3d4" is an NAA name: write it as sysfs does */
			char *naa;

			if (asprintf(&naa, "naa.%s", nv + 2) < 0) {
				free(nv);
				continue;
			}
			free(nv);
			nv = naa;
		}
		/* udev encodes spaces in ID_MODEL as '_' */
		if (streq(map[i].prop, "ID_MODEL"))
			for (char *c = nv; *c; c++)
				if (*c == '_')
					*c = ' ';
		free(*field);
		*field = nv;
	}
	udev_device_unref(dev);
}
