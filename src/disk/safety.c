/* safety.c - whether a disk is safe to write to, decided now: what sits on
 * it (sysfs holders, loop and zram devices mapping it), what is mounted or
 * swapped on it or on anything stacked on it, what member signatures
 * libblkid finds, whether someone has it open, and whether it can be read at
 * all. The same pass fills in what list shows (holders, content).
 *
 * Must never open a device for writing, and never trust what an earlier
 * look cached in struct disk: the wipe path calls it again right before its
 * own open.
 */
#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "disk-internal.h"

#define DEFAULT_MOUNTINFO "/proc/self/mountinfo"
#define DEFAULT_SWAPS "/proc/swaps"

/* ---- the verdict: the worst state found so far and why ---- */

struct verdict {
	enum disk_safety state;
	char *reason;
	char *text;     /* reason in the reader's language (po/check.sh marks fmt) */
};

static void _printf_(3, 4) verdict_set(struct verdict *v, enum disk_safety state, const char *fmt, ...)
{
	va_list ap;
	char *s, *t;

	if (state >= v->state)
		return; /* the worst one wins; the first reason of a state stays */
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	va_start(ap, fmt);
	if (vasprintf(&t, gettext(fmt), ap) < 0)
		t = NULL;
	va_end(ap);
	free(v->reason);
	free(v->text);
	v->reason = s;
	v->text = t;
	v->state = state;
}

char *disk_errno_reason(const char *what, int err)
{
	const char *name = strerrorname_np(err);
	char *s;

	if (asprintf(&s, "cannot %s: %s (%s)", what, strerror(err), name ? name : "?") < 0)
		return NULL;
	return s;
}

static void verdict_errno(struct verdict *v, const char *what, const char *path, int err)
{
	const char *name = strerrorname_np(err);

	/* disk_errno_reason()'s words, one sentence a verb */
	if (streq(what, "open"))
		verdict_set(v, SAFETY_UNKNOWN, "cannot open %s: %s (%s)", path, strerror(err), name ? name : "?");
	else
		verdict_set(v, SAFETY_UNKNOWN, "cannot read %s: %s (%s)", path, strerror(err), name ? name : "?");
}

/* ---- device numbers ---- */

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

/* The block device a path names: "/dev/NAME" by the kernel's own name in
 * sysfs (it also works in a chroot without /dev and on fixture trees), any
 * other path by stat(). */
static int path_to_blockdev(const char *sysfs, const char *path, dev_t *ret)
{
	struct stat st;

	if (!strncmp(path, "/dev/", 5) && !strchr(path + 5, '/')) {
		static const char *const dirs[] = { "class/block", "block" };

		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
			_cleanup_free_ char *d = NULL;

			if (asprintf(&d, "%s/%s/%s", sysfs, dirs[i], path + 5) < 0)
				return -ENOMEM;
			if (read_devno(d, ret) == 0)
				return 0;
		}
	}
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	*ret = st.st_rdev;
	return 0;
}

/* ---- what sits on a disk ---- */

/* Loop and zram devices use a block device without a link in its holders/
 * directory: a loop device over /dev/sdb, a zram device writing back to
 * /dev/sdb1. They are found from the upper side. */
struct stacker {
	char *name;
	dev_t lower;
};

static void stackers_free(struct stacker *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static size_t read_stackers(const char *sysfs, struct stacker **ret)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct stacker *v = NULL;
	struct dirent *de;
	size_t n = 0;

	*ret = NULL;
	if (asprintf(&dir, "%s/block", sysfs) < 0)
		return 0;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *up = NULL, *lower = NULL;
		struct stacker *nv;
		const char *attr;
		dev_t dev;

		if (!strncmp(de->d_name, "loop", 4))
			attr = "loop/backing_file";
		else if (!strncmp(de->d_name, "zram", 4))
			attr = "backing_dev";
		else
			continue;
		if (asprintf(&up, "%s/%s", dir, de->d_name) < 0 || read_text_at(up, attr, &lower) < 0 ||
		    path_to_blockdev(sysfs, lower, &dev) < 0)
			continue; /* unused, "none", or a regular file */
		nv = realloc(v, (n + 1) * sizeof(*nv));
		if (!nv)
			break;
		v = nv;
		v[n].name = strdup(de->d_name);
		v[n].lower = dev;
		if (v[n].name)
			n++;
	}
	*ret = v;
	return n;
}

/* What kind of thing a holder is, for the reason a person reads. */
static char *holder_kind(const char *sysfs, const char *name)
{
	_cleanup_free_ char *dir = NULL, *uuid = NULL, *dmname = NULL;
	char *s = NULL;

	if (!strncmp(name, "loop", 4))
		return strdup("a loop device mapping it");
	if (!strncmp(name, "zram", 4))
		return strdup("zram writes back to it");
	if (!strncmp(name, "md", 2))
		return strdup("MD RAID array");
	if (!strncmp(name, "bcache", 6))
		return strdup("bcache device");
	if (strncmp(name, "dm-", 3) || asprintf(&dir, "%s/block/%s/dm", sysfs, name) < 0)
		return NULL;
	(void)read_text_at(dir, "uuid", &uuid);
	(void)read_text_at(dir, "name", &dmname);
	if (asprintf(&s, "%s %s",
		     !uuid ? "device-mapper device" :
		     !strncmp(uuid, "LVM-", 4) ? "LVM volume" :
		     !strncmp(uuid, "mpath-", 6) ? "multipath map" :
		     !strncmp(uuid, "CRYPT-", 6) ? "dm-crypt mapping" : "device-mapper device",
		     dmname ? dmname : name) < 0)
		return NULL;
	return s;
}

struct stack {
	const char *sysfs;
	const char *disk;        /* the disk's kernel name */
	struct stacker *stackers;
	size_t n_stackers;
	struct devset devs;      /* the disk, its partitions, everything above */
	char **holders;          /* what sits directly on the disk or a partition */
	size_t n_holders;
	char *first;             /* "sda2 held by dm-0 (LVM volume vg-lv)" */
	char *first_below, *first_name, *first_kind; /* its words, for verdict_set() */
};

static void stack_add_holder(struct stack *s, const char *below, const char *name)
{
	_cleanup_free_ char *kind = NULL;
	char **nv;

	for (size_t i = 0; i < s->n_holders; i++)
		if (streq(s->holders[i], name))
			return;
	nv = realloc(s->holders, (s->n_holders + 2) * sizeof(*nv));
	if (!nv)
		return;
	s->holders = nv;
	s->holders[s->n_holders] = strdup(name);
	if (!s->holders[s->n_holders])
		return;
	s->holders[++s->n_holders] = NULL;
	if (s->first)
		return;
	kind = holder_kind(s->sysfs, name);
	if (asprintf(&s->first, "%s%sheld by %s%s%s%s", streq(below, s->disk) ? "" : below,
		     streq(below, s->disk) ? "" : " ", name, kind ? " (" : "", kind ? kind : "", kind ? ")" : "") < 0)
		s->first = NULL;
	s->first_below = streq(below, s->disk) ? NULL : strdup(below);
	s->first_name = strdup(name);
	s->first_kind = TAKE_PTR(kind);
}

/* Walk up from one device: its holders (dm on md on a partition) and the
 * loop/zram devices on it, depth-limited against loops in a broken tree. */
static void stack_walk(struct stack *s, const char *syspath, const char *name, bool direct, int depth)
{
	_cleanup_free_ char *hdir = NULL;
	_cleanup_(closedirp) DIR *dir = NULL;
	struct dirent *de;
	dev_t dev;
	bool have_dev;

	if (depth > 8)
		return;
	have_dev = read_devno(syspath, &dev) == 0;
	if (have_dev)
		devset_add(&s->devs, dev);
	if (depth == 0) {
		char **parts = disk_partitions(syspath);

		for (char **p = parts; p && *p; p++) {
			_cleanup_free_ char *pp = NULL;

			if (asprintf(&pp, "%s/%s", syspath, *p) >= 0)
				stack_walk(s, pp, *p, true, depth + 1);
		}
		strv_free(parts);
	}
	if (asprintf(&hdir, "%s/holders", syspath) < 0)
		return;
	dir = opendir(hdir);
	while (dir && (de = readdir(dir))) {
		_cleanup_free_ char *hp = NULL;

		if (de->d_name[0] == '.')
			continue;
		if (direct)
			stack_add_holder(s, name, de->d_name);
		if (asprintf(&hp, "%s/block/%s", s->sysfs, de->d_name) >= 0)
			stack_walk(s, hp, de->d_name, false, depth + 1);
	}
	for (size_t i = 0; have_dev && i < s->n_stackers; i++) {
		_cleanup_free_ char *up = NULL;

		if (s->stackers[i].lower != dev)
			continue;
		if (direct)
			stack_add_holder(s, name, s->stackers[i].name);
		if (asprintf(&up, "%s/block/%s", s->sysfs, s->stackers[i].name) >= 0)
			stack_walk(s, up, s->stackers[i].name, false, depth + 1);
	}
}

static void stack_release(struct stack *s)
{
	stackers_free(s->stackers, s->n_stackers);
	free(s->devs.v);
	strv_free(s->holders);
	free(s->first);
	free(s->first_below);
	free(s->first_name);
	free(s->first_kind);
}

/* ---- mounts and swap ---- */

/* What the running system stands on. A live system (the wipecert stick)
 * runs from RAM and a squashfs on its boot medium, which live-boot mounts
 * on /run/live/medium (/lib/live/mount/medium before Debian 10, and dracut's
 * dmsquash-live on /run/initramfs/live): pulling or wiping that medium
 * takes the system and its records with it. */
static bool is_system_mountpoint(const char *mp)
{
	static const char *const sys[] = { "/", "/boot", "/boot/efi", "/usr", "/var",
					   "/run/live/medium", "/lib/live/mount/medium", "/run/initramfs/live" };

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

static void check_mounts(const char *path, const struct devset *stack, struct verdict *v)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f) {
		verdict_errno(v, "read", path, errno);
		return;
	}
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
		if (is_system_mountpoint(mp))
			verdict_set(v, SAFETY_SYSTEM, "holds the running system (mounted on %s)", mp);
		else
			verdict_set(v, SAFETY_MOUNTED, "mounted on %s", mp);
	}
}

/* Active swap on the disk, on anything stacked on it (a swap partition, a
 * loop device), or in a file on one of its file systems; for an image file
 * (img != NULL), the image itself being the swap file. */
static void check_swaps(const char *sysfs, const char *path, const struct devset *stack, const struct stat *img,
			struct verdict *v)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f) {
		if (errno != ENOENT)
			verdict_errno(v, "read", path, errno);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		char name[PATH_MAX];
		struct stat st;
		dev_t dev;
		bool hit;

		if (sscanf(line, "%4095s", name) != 1 || name[0] != '/')
			continue; /* the header line */
		unescape_octal(name);
		if (img)
			hit = stat(name, &st) == 0 && st.st_dev == img->st_dev && st.st_ino == img->st_ino;
		else if (path_to_blockdev(sysfs, name, &dev) == 0)
			hit = devset_has(stack, dev); /* a swap device */
		else
			hit = stat(name, &st) == 0 && devset_has(stack, st.st_dev); /* a swap file */
		if (hit)
			verdict_set(v, SAFETY_SYSTEM, "holds active swap (%s)", name);
	}
}

/* ---- the device itself: can it be read, what is on it ---- */

static bool forced(const char *list, const char *type)
{
	size_t len = strlen(type);

	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncmp(p, type, n))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

static int add_content(struct disk *out, const char *devname, const struct disk_signature *sg)
{
	struct disk_content *nc, *c;

	nc = realloc(out->content, (out->n_content + 1) * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	out->content = nc;
	c = &out->content[out->n_content++];
	memset(c, 0, sizeof(*c));
	c->devname = strdup(devname);
	c->fstype = strdup(sg->type);
	c->usage = sg->usage ? strdup(sg->usage) : NULL;
	c->label = sg->label ? strdup(sg->label) : NULL;
	c->uuid = sg->uuid ? strdup(sg->uuid) : NULL;
	return 0;
}

static const char *member_kind(const char *type)
{
	static const struct {
		const char *type, *kind;
	} kinds[] = {
		{ "LVM2_member", "LVM physical volume" },
		{ "LVM1_member", "LVM physical volume" },
		{ "linux_raid_member", "MD RAID member" },
		{ "bcache", "bcache backing or cache device" },
		{ "zfs_member", "ZFS pool member" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (streq(type, kinds[i].type))
			return kinds[i].kind;
	return "member of a RAID set or volume";
}

/* libblkid on one open device (the disk or a partition): member signatures
 * decide SAFETY_MEMBER; with out, the findings are kept for listing. */
static int probe_fd(const struct disk_scan *opts, int fd, const char *devname, bool whole, struct disk *out,
		    struct verdict *v)
{
	struct disk_signature *sg = NULL;
	size_t n = 0;
	uint8_t block[512];
	int r;

	/* a disk that opens but cannot be read is no better known */
	if (pread(fd, block, sizeof(block), 0) < 0) {
		verdict_errno(v, "read", devname, errno);
		return 0;
	}
	r = disk_signatures_read(fd, &sg, &n);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		verdict_errno(v, "read", devname, -r);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (disk_signature_is_member(&sg[i]) && !forced(opts ? opts->force_member : NULL, sg[i].type))
			verdict_set(v, SAFETY_MEMBER, "%s: %s (%s signature); pass --force-member %s to wipe it",
				    devname, member_kind(sg[i].type), sg[i].type, sg[i].type);
		if (!out)
			continue;
		if (sg[i].ptable) {
			if (whole && !out->pttype) {
				out->pttype = strdup(sg[i].type);
				out->pttype_uuid = sg[i].uuid ? strdup(sg[i].uuid) : NULL;
			}
		} else if (add_content(out, devname, &sg[i]) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	disk_signatures_free(sg, n);
	return r < 0 ? r : 0;
}

static int probe_partitions(const struct disk_scan *opts, const struct disk *d, struct disk *out,
			    struct verdict *v)
{
	char **parts;
	int r = 0;

	if (!d->syspath)
		return 0;
	parts = disk_partitions(d->syspath);
	for (char **p = parts; r >= 0 && p && *p; p++) {
		_cleanup_free_ char *dev = NULL;
		_cleanup_close_ int fd = -1;

		if (asprintf(&dev, "%s/%s", disk_dev_root(opts), *p) < 0) {
			r = -ENOMEM;
			break;
		}
		fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			verdict_errno(v, "open", dev, errno);
		else
			r = probe_fd(opts, fd, dev, false, out, v);
	}
	strv_free(parts);
	return r;
}

/* Open the device read-only and exclusively, and close it at once: EBUSY
 * means someone else has it (a mount, a swap, an exclusive opener). The
 * content is read through a second, plain read-only open, so that list
 * still shows it and nobody else's exclusive open meets ours while
 * libblkid reads. */
static int probe_device(const struct disk_scan *opts, const struct disk *d, struct disk *out, struct verdict *v)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (d->transport != TRANSPORT_FILE) {
		fd = open(d->devpath, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 && errno != EBUSY) {
			verdict_errno(v, "open", d->devpath, errno);
			return 0;
		}
		if (fd < 0)
			verdict_set(v, SAFETY_IN_USE, "open by another program (exclusive open failed)");
		else
			close(TAKE_FD(fd));
	}
	fd = open(d->devpath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		verdict_errno(v, "open", d->devpath, errno);
		return 0;
	}
	r = probe_fd(opts, fd, d->devpath, true, out, v);
	if (r < 0)
		return r;
	return probe_partitions(opts, d, out, v);
}

/* An image file that a loop device maps is held by it: writing the file
 * would change a disk the kernel thinks it owns. */
static void image_loop_holder(const char *sysfs, const struct stat *img, struct verdict *v)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (asprintf(&dir, "%s/block", sysfs) < 0)
		return;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *bf = NULL, *ldir = NULL;
		struct stat st;

		if (strncmp(de->d_name, "loop", 4) || asprintf(&ldir, "%s/%s/loop", dir, de->d_name) < 0)
			continue;
		if (read_text_at(ldir, "backing_file", &bf) < 0 || stat(bf, &st) < 0)
			continue;
		if (st.st_dev == img->st_dev && st.st_ino == img->st_ino)
			verdict_set(v, SAFETY_HELD, "backing file of /dev/%s", de->d_name);
	}
}

static int assess_image(const struct disk_scan *opts, const struct disk *d, struct disk *out, struct verdict *v)
{
	struct stat st;

	/* an image file: no mounts or holders, but it must still be a file */
	if (stat(d->devpath, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOTBLK;
	check_swaps(disk_sysfs_root(opts), opts && opts->swaps ? opts->swaps : DEFAULT_SWAPS, NULL, &st, v);
	image_loop_holder(disk_sysfs_root(opts), &st, v);
	if (opts && opts->no_probe)
		return 0;
	return probe_device(opts, d, out, v);
}

static int assess(const struct disk_scan *opts, const struct disk *d, struct disk *out, char **ret_reason,
		  char **ret_text)
{
	struct verdict v = { SAFETY_OK, NULL, NULL };
	struct stack s = { .sysfs = disk_sysfs_root(opts), .disk = d->name };
	int r = 0;

	if (d->transport == TRANSPORT_FILE) {
		r = assess_image(opts, d, out, &v);
		goto out;
	}
	if (!d->syspath)
		return -EINVAL;
	s.n_stackers = read_stackers(s.sysfs, &s.stackers);
	stack_walk(&s, d->syspath, d->name, true, 0);
	check_mounts(opts && opts->mountinfo ? opts->mountinfo : DEFAULT_MOUNTINFO, &s.devs, &v);
	check_swaps(s.sysfs, opts && opts->swaps ? opts->swaps : DEFAULT_SWAPS, &s.devs, NULL, &v);
	/* whole sentences, each translated as one */
	if (s.first && s.first_name && s.first_below && s.first_kind)
		verdict_set(&v, SAFETY_HELD, "%s held by %s (%s)", s.first_below, s.first_name, s.first_kind);
	else if (s.first && s.first_name && s.first_below)
		verdict_set(&v, SAFETY_HELD, "%s held by %s", s.first_below, s.first_name);
	else if (s.first && s.first_name && s.first_kind)
		verdict_set(&v, SAFETY_HELD, "held by %s (%s)", s.first_name, s.first_kind);
	else if (s.first && s.first_name)
		verdict_set(&v, SAFETY_HELD, "held by %s", s.first_name);
	else if (s.first)
		verdict_set(&v, SAFETY_HELD, "%s", s.first);
	if (out) {
		strv_free(out->holders);
		out->holders = TAKE_PTR(s.holders);
		s.n_holders = 0;
	}
	if (!(opts && opts->no_probe))
		r = probe_device(opts, d, out, &v);
out:
	stack_release(&s);
	if (r < 0) {
		free(v.reason);
		free(v.text);
		return r;
	}
	if (ret_reason)
		*ret_reason = v.reason;
	else
		free(v.reason);
	if (ret_text)
		*ret_text = v.text;
	else
		free(v.text);
	return v.state;
}

int disk_assess(const struct disk_scan *opts, const struct disk *d, struct disk *out, char **ret_reason)
{
	if (!out)
		return assess(opts, d, NULL, ret_reason, NULL);
	free(out->safety_text);
	out->safety_text = NULL;
	return assess(opts, d, out, ret_reason, &out->safety_text);
}

int disk_check_safety(const struct disk_scan *opts, const struct disk *d, char **ret_reason)
{
	return assess(opts, d, NULL, ret_reason, NULL);
}

int disk_check_safety_text(const struct disk_scan *opts, const struct disk *d, char **ret_reason, char **ret_text)
{
	return assess(opts, d, NULL, ret_reason, ret_text);
}
