/* disk.c - enumerate whole disks, describe one, and decide whether it is
 * safe to write to.
 *
 * Must never open a device for writing: the only opens are O_RDONLY (blkid)
 * and an O_RDONLY|O_EXCL probe that is closed at once.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "disk-internal.h"

#define DEFAULT_SYSFS "/sys"
#define DEFAULT_MOUNTINFO "/proc/self/mountinfo"
#define DEFAULT_SWAPS "/proc/swaps"

static const char *opt_sysfs(const struct disk_scan *o)
{
	return o && o->sysfs_root ? o->sysfs_root : DEFAULT_SYSFS;
}

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

const char *disk_safety_to_string(enum disk_safety s)
{
	static const char *const names[] = {
		[SAFETY_SYSTEM] = "system", [SAFETY_MOUNTED] = "mounted",
		[SAFETY_HELD] = "held",     [SAFETY_IN_USE] = "in-use",
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
		free(d->content[i].label);
		free(d->content[i].uuid);
	}
	free(d->content);
	free(d->safety_reason);
	strv_free(d->holders);
	memset(d, 0, sizeof(*d));
}

void disk_list_free(struct disk *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		disk_release(&d[i]);
	free(d);
}

/* ---- what is on the disk (libblkid) ---- */

static char *probe_value(blkid_probe pr, const char *name)
{
	const char *v;

	return blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && *v ? strdup(v) : NULL;
}

/* One blkid probe: the helper util-linux's wipefs keeps for this (new_probe). */
static blkid_probe new_probe(const char *path)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);

	if (!pr)
		return NULL;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	return pr;
}

static int add_content(struct disk *d, const char *devname, blkid_probe pr)
{
	struct disk_content *nc, *c;
	char *type = probe_value(pr, "TYPE");

	if (!type)
		return 0;
	nc = realloc(d->content, (d->n_content + 1) * sizeof(*nc));
	if (!nc) {
		free(type);
		return -ENOMEM;
	}
	d->content = nc;
	c = &d->content[d->n_content++];
	c->devname = strdup(devname);
	c->fstype = type;
	c->label = probe_value(pr, "LABEL");
	c->uuid = probe_value(pr, "UUID");
	return 0;
}

static void probe_content(struct disk *d)
{
	blkid_probe pr = new_probe(d->devpath);
	char **parts;

	if (!pr)
		return;
	if (blkid_do_safeprobe(pr) == 0) {
		d->pttype = probe_value(pr, "PTTYPE");
		d->pttype_uuid = probe_value(pr, "PTUUID");
		(void)add_content(d, d->devpath, pr);
	}
	blkid_free_probe(pr);
	if (!d->syspath)
		return;
	parts = disk_partitions(d->syspath);
	for (char **p = parts; p && *p; p++) {
		_cleanup_free_ char *dev = NULL;

		if (asprintf(&dev, "/dev/%s", *p) < 0)
			continue;
		pr = new_probe(dev);
		if (!pr)
			continue;
		blkid_probe_enable_partitions(pr, 0);
		if (blkid_do_safeprobe(pr) == 0)
			(void)add_content(d, dev, pr);
		blkid_free_probe(pr);
	}
	strv_free(parts);
}

/* ---- safety ---- */

struct devset {
	dev_t *v;
	size_t n;
};

static void devset_add(struct devset *s, dev_t dev)
{
	dev_t *nv;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == dev)
			return;
	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	s->v = nv;
	s->v[s->n++] = dev;
}

static bool devset_has(const struct devset *s, dev_t dev)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == dev)
			return true;
	return false;
}

static int read_devno(const char *dir, dev_t *ret)
{
	_cleanup_free_ char *s = NULL;
	unsigned maj, min;

	if (read_text_at(dir, "dev", &s) < 0 || sscanf(s, "%u:%u", &maj, &min) != 2)
		return -ENOENT;
	*ret = makedev(maj, min);
	return 0;
}

/* The disk, its partitions, and everything stacked on them (holders of
 * holders: dm on md on partitions), as device numbers. */
static void collect_stack(const char *sysfs_root, const char *syspath, struct devset *s, int depth)
{
	_cleanup_free_ char *hdir = NULL;
	char **parts;
	dev_t dev;

	if (depth > 8)
		return;
	if (read_devno(syspath, &dev) == 0)
		devset_add(s, dev);
	parts = disk_partitions(syspath);
	for (char **p = parts; p && *p; p++) {
		_cleanup_free_ char *pp = NULL;

		if (asprintf(&pp, "%s/%s", syspath, *p) >= 0)
			collect_stack(sysfs_root, pp, s, depth + 1);
	}
	strv_free(parts);
	if (asprintf(&hdir, "%s/holders", syspath) < 0)
		return;
	{
		_cleanup_(closedirp) DIR *dir = opendir(hdir);
		struct dirent *de;

		while (dir && (de = readdir(dir))) {
			_cleanup_free_ char *hp = NULL;

			if (de->d_name[0] == '.')
				continue;
			if (asprintf(&hp, "%s/block/%s", sysfs_root, de->d_name) >= 0)
				collect_stack(sysfs_root, hp, s, depth + 1);
		}
	}
}

static bool is_system_mountpoint(const char *mp)
{
	static const char *const sys[] = { "/", "/boot", "/boot/efi", "/usr", "/var" };

	for (size_t i = 0; i < ARRAY_SIZE(sys); i++)
		if (streq(mp, sys[i]))
			return true;
	return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++, w++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3]) {
			*w = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 3;
		} else {
			*w = *r;
		}
	}
	*w = '\0';
}

static int check_mounts(const char *path, const struct devset *stack, enum disk_safety *state, char **reason)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned maj, min;
		char mp[PATH_MAX], src[PATH_MAX];
		const char *sep = strstr(line, " - ");
		struct stat st;
		bool hit;

		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mp) != 3)
			continue;
		unescape_octal(mp);
		hit = devset_has(stack, makedev(maj, min));
		/* btrfs and others report an anonymous device number: also
		 * compare the mount source */
		if (!hit && sep && sscanf(sep + 3, "%*s %4095s", src) == 1 && src[0] == '/' &&
		    stat(src, &st) == 0 && S_ISBLK(st.st_mode))
			hit = devset_has(stack, st.st_rdev);
		if (!hit)
			continue;
		if (is_system_mountpoint(mp)) {
			free(*reason);
			if (asprintf(reason, "holds the running system (mounted on %s)", mp) < 0)
				*reason = NULL;
			*state = SAFETY_SYSTEM;
			return 0;
		}
		if (*state > SAFETY_MOUNTED) {
			free(*reason);
			if (asprintf(reason, "mounted on %s", mp) < 0)
				*reason = NULL;
			*state = SAFETY_MOUNTED;
		}
	}
	return 0;
}

static int check_swaps(const char *path, const struct devset *stack, enum disk_safety *state, char **reason)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &cap, f) > 0) {
		char name[PATH_MAX];
		struct stat st;
		dev_t dev;

		if (sscanf(line, "%4095s", name) != 1 || name[0] != '/')
			continue; /* the header line */
		unescape_octal(name);
		if (stat(name, &st) < 0)
			continue;
		/* a swap partition is its own device; a swap file lives on one */
		dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
		if (devset_has(stack, dev)) {
			free(*reason);
			if (asprintf(reason, "holds active swap (%s)", name) < 0)
				*reason = NULL;
			*state = SAFETY_SYSTEM;
			return 0;
		}
	}
	return 0;
}

/* An image file that a loop device maps is held by it: writing the file
 * would change a disk the kernel thinks it owns. */
static int image_loop_holder(const struct disk_scan *opts, const struct stat *img, char **ret_reason)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (asprintf(&dir, "%s/block", opt_sysfs(opts)) < 0)
		return -ENOMEM;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *bf = NULL, *ldir = NULL;
		struct stat st;

		if (strncmp(de->d_name, "loop", 4) || asprintf(&ldir, "%s/%s/loop", dir, de->d_name) < 0)
			continue;
		if (read_text_at(ldir, "backing_file", &bf) < 0 || stat(bf, &st) < 0)
			continue;
		if (st.st_dev == img->st_dev && st.st_ino == img->st_ino) {
			if (ret_reason && asprintf(ret_reason, "backing file of /dev/%s", de->d_name) < 0)
				*ret_reason = NULL;
			return SAFETY_HELD;
		}
	}
	if (ret_reason)
		*ret_reason = NULL;
	return SAFETY_OK;
}

int disk_check_safety(const struct disk_scan *opts, const struct disk *d, char **ret_reason)
{
	const char *sysfs = opt_sysfs(opts);
	enum disk_safety state = SAFETY_OK;
	struct devset stack = { 0 };
	char *reason = NULL;
	int r;

	if (d->transport == TRANSPORT_FILE) {
		struct stat st;

		/* an image file: no mounts or holders, but it must still be a file */
		if (stat(d->devpath, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return -ENOTBLK;
		return image_loop_holder(opts, &st, ret_reason);
	}
	if (!d->syspath)
		return -EINVAL;
	collect_stack(sysfs, d->syspath, &stack, 0);

	r = check_mounts(opts && opts->mountinfo ? opts->mountinfo : DEFAULT_MOUNTINFO, &stack, &state, &reason);
	if (r >= 0 && state != SAFETY_SYSTEM)
		r = check_swaps(opts && opts->swaps ? opts->swaps : DEFAULT_SWAPS, &stack, &state, &reason);
	free(stack.v);
	if (r < 0) {
		free(reason);
		return r;
	}
	if (state == SAFETY_OK && d->holders && d->holders[0]) {
		if (asprintf(&reason, "held by %s", d->holders[0]) < 0)
			reason = NULL;
		state = SAFETY_HELD;
	}
	if (state == SAFETY_OK && !(opts && opts->no_probe)) {
		int fd = open(d->devpath, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);

		if (fd >= 0) {
			close(fd);
		} else if (errno == EBUSY) {
			reason = strdup("open by another program (exclusive open failed)");
			state = SAFETY_IN_USE;
		} else {
			return -errno;
		}
	}
	if (ret_reason)
		*ret_reason = reason;
	else
		free(reason);
	return state;
}

/* ---- enumeration ---- */

static int finish_disk(const struct disk_scan *opts, struct disk *d)
{
	int r;

	if (!(opts && opts->no_probe))
		probe_content(d);
	r = disk_check_safety(opts, d, &d->safety_reason);
	if (r < 0)
		return r;
	d->safety = r;
	return 0;
}

static int scan_names(const struct disk_scan *opts, char ***ret)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (asprintf(&dir, "%s/block", opt_sysfs(opts)) < 0)
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

		r = disk_from_sysfs(opt_sysfs(opts), *p, udev, &d);
		if (r == -ENOENT || r == -ENOTBLK)
			continue;
		if (r < 0)
			goto out;
		/* unused loop devices have no backing file and size 0 */
		if (d.transport == TRANSPORT_LOOP && !d.backing_file && !(opts && opts->include_empty)) {
			disk_release(&d);
			continue;
		}
		r = finish_disk(opts, &d);
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
	if (asprintf(&link, "%s/dev/block/%u:%u", opt_sysfs(opts), major(st.st_rdev), minor(st.st_rdev)) < 0)
		return -ENOMEM;
	real = realpath(link, NULL);
	if (!real)
		return -errno;
	if (!(opts && (opts->no_udev || opts->sysfs_root)))
		udev = udev_new();
	r = disk_from_sysfs(opt_sysfs(opts), strrchr(real, '/') + 1, udev, &d);
	if (udev)
		udev_unref(udev);
	if (r == -ENOENT)
		r = -ENOTBLK; /* ram, zram, dm: not a disk we wipe */
	if (r < 0)
		return r;
	r = finish_disk(opts, &d);
	if (r < 0) {
		disk_release(&d);
		return r;
	}
	*ret = d;
	return 0;
}
