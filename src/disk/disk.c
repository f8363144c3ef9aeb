/* disk.c - enumerate whole disks and describe one; safety.c decides whether
 * each is safe to write to.
 *
 * Must never open a device for writing, and never let one disk that cannot
 * be read hide the others: such a disk is listed as SAFETY_UNKNOWN.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "disk-internal.h"

const char *disk_transport_to_string(enum disk_transport t)
{
	static const char *const names[] = {
		[TRANSPORT_UNKNOWN] = "unknown", [TRANSPORT_NVME] = "nvme",
		[TRANSPORT_SATA] = "sata",       [TRANSPORT_SAS] = "sas",
		[TRANSPORT_USB] = "usb",         [TRANSPORT_VIRTIO] = "virtio",
		[TRANSPORT_LOOP] = "loop",       [TRANSPORT_MMC] = "mmc",
		[TRANSPORT_FILE] = "file",
	};

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "unknown";
}

bool disk_has_identity(const struct disk *d)
{
	return (d->serial && *d->serial) || (d->wwn && *d->wwn);
}

bool disk_is_image(const struct disk *d)
{
	return d->transport == TRANSPORT_FILE || d->transport == TRANSPORT_LOOP;
}

const char *disk_safety_to_string(enum disk_safety s)
{
	static const char *const names[] = {
		[SAFETY_SYSTEM] = "system", [SAFETY_MOUNTED] = "mounted",
		[SAFETY_HELD] = "held",     [SAFETY_MEMBER] = "member",
		[SAFETY_IN_USE] = "in-use", [SAFETY_UNKNOWN] = "unknown",
		[SAFETY_OK] = "ok",
	};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

void disk_release(struct disk *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->devpath);
	free(d->syspath);
	free(d->model);
	free(d->vendor);
	free(d->serial);
	free(d->wwn);
	free(d->firmware);
	free(d->backing_file);
	free(d->pttype);
	free(d->pttype_uuid);
	for (size_t i = 0; i < d->n_content; i++) {
		free(d->content[i].devname);
		free(d->content[i].fstype);
		free(d->content[i].usage);
		free(d->content[i].label);
		free(d->content[i].uuid);
	}
	free(d->content);
	free(d->safety_reason);
	free(d->safety_text);
	strv_free(d->holders);
	memset(d, 0, sizeof(*d));
}

void disk_list_free(struct disk *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		disk_release(&d[i]);
	free(d);
}

/* ---- enumeration ---- */

static int set_unknown(struct disk *d, const char *what, int err)
{
	free(d->safety_reason);
	free(d->safety_text);
	d->safety_text = NULL;
	d->safety = SAFETY_UNKNOWN;
	d->safety_reason = disk_errno_reason(what, err);
	return d->safety_reason ? 0 : -ENOMEM;
}

/* The safety state, holders and content. Only running out of memory is an
 * error: anything else that stops the look leaves the disk "unknown". */
static int finish_disk(const struct disk_scan *opts, struct disk *d)
{
	int r = disk_assess(opts, d, d, &d->safety_reason);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return set_unknown(d, "examine it", -r);
	d->safety = r;
	return 0;
}

/* A disk whose sysfs directory cannot be read still has a name: list it. */
static int unknown_disk(const struct disk_scan *opts, const char *name, int err, struct disk *ret)
{
	struct disk d = { 0 };

	d.name = strdup(name);
	if (!d.name || asprintf(&d.devpath, "%s/%s", disk_dev_root(opts), name) < 0 ||
	    set_unknown(&d, "read its sysfs attributes", err) < 0) {
		disk_release(&d);
		return -ENOMEM;
	}
	d.transport = disk_transport_from_path(name, NULL);
	*ret = d;
	return 0;
}

static int scan_names(const struct disk_scan *opts, char ***ret)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (asprintf(&dir, "%s/block", disk_sysfs_root(opts)) < 0)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 2) * sizeof(*nv));
		if (!nv) {
			strv_free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = strdup(de->d_name);
		v[n] = NULL;
	}
	*ret = v;
	return (int)n;
}

/* libudev's enumeration: the same disks, in the kernel's order. It reads
 * sysfs itself, so it works without udevd; only properties need udevd. */
static int udev_names(struct udev *udev, char ***ret)
{
	struct udev_enumerate *e = udev_enumerate_new(udev);
	struct udev_list_entry *item;
	char **v = NULL;
	size_t n = 0;

	if (!e)
		return -ENOMEM;
	udev_enumerate_add_match_subsystem(e, "block");
	udev_enumerate_add_match_property(e, "DEVTYPE", "disk");
	if (udev_enumerate_scan_devices(e) < 0) {
		udev_enumerate_unref(e);
		return -EIO;
	}
	udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e)) {
		const char *sp = udev_list_entry_get_name(item);
		const char *base = strrchr(sp, '/');
		char **nv = realloc(v, (n + 2) * sizeof(*nv));

		if (!nv)
			break;
		v = nv;
		v[n++] = strdup(base ? base + 1 : sp);
		v[n] = NULL;
	}
	udev_enumerate_unref(e);
	*ret = v;
	return (int)n;
}

static int cmp_disk(const void *a, const void *b)
{
	return strverscmp(((const struct disk *)a)->name, ((const struct disk *)b)->name);
}

int disk_scan(const struct disk_scan *opts, struct disk **ret, size_t *ret_n)
{
	struct udev *udev = NULL;
	struct disk *v = NULL;
	char **names = NULL;
	size_t n = 0;
	int r;

	if (!(opts && (opts->no_udev || opts->sysfs_root)))
		udev = udev_new();
	r = udev ? udev_names(udev, &names) : scan_names(opts, &names);
	if (r < 0)
		goto out;
	for (char **p = names; p && *p; p++) {
		struct disk d, *nv;

		r = disk_from_sysfs(opts, *p, udev, &d);
		if (r == -ENOENT || r == -ENOTBLK)
			continue;
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			r = unknown_disk(opts, *p, -r, &d);
			if (r < 0)
				goto out;
		} else if (d.transport == TRANSPORT_LOOP && !d.backing_file && !(opts && opts->include_empty)) {
			/* unused loop devices have no backing file and size 0 */
			disk_release(&d);
			continue;
		} else {
			r = finish_disk(opts, &d);
		}
		if (r < 0) {
			disk_release(&d);
			goto out;
		}
		nv = realloc(v, (n + 1) * sizeof(*nv));
		if (!nv) {
			disk_release(&d);
			r = -ENOMEM;
			goto out;
		}
		v = nv;
		v[n++] = d;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_disk);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	r = 0;
out:
	disk_list_free(v, n);
	strv_free(names);
	if (udev)
		udev_unref(udev);
	return r;
}

int disk_probe(const struct disk_scan *opts, const char *path, struct disk *ret)
{
	struct udev *udev = NULL;
	_cleanup_free_ char *link = NULL, *real = NULL;
	struct disk d = { 0 };
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		d.name = strdup(path);
		d.devpath = realpath(path, NULL);
		if (!d.name || !d.devpath) {
			disk_release(&d);
			return -ENOMEM;
		}
		d.size = st.st_size;
		d.logical_sector = d.physical_sector = 512;
		d.transport = TRANSPORT_FILE;
		d.model = strdup("image file");
		r = finish_disk(opts, &d);
		if (r < 0) {
			disk_release(&d);
			return r;
		}
		*ret = d;
		return 0;
	}
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	if (asprintf(&link, "%s/dev/block/%u:%u", disk_sysfs_root(opts), major(st.st_rdev), minor(st.st_rdev)) < 0)
		return -ENOMEM;
	real = realpath(link, NULL);
	if (!real)
		return -errno;
	if (!(opts && (opts->no_udev || opts->sysfs_root)))
		udev = udev_new();
	r = disk_from_sysfs(opts, strrchr(real, '/') + 1, udev, &d);
	if (udev)
		udev_unref(udev);
	if (r == -ENOENT || r == -ENOTBLK)
		return -ENOTBLK; /* ram, zram, dm, a partition: not a disk we wipe */
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		r = unknown_disk(opts, strrchr(real, '/') + 1, -r, &d);
	else
		r = finish_disk(opts, &d);
	if (r < 0) {
		disk_release(&d);
		return r;
	}
	*ret = d;
	return 0;
}
