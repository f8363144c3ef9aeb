/* probe.c - the one libblkid probe: "what is on this device" before a wipe
 * (list, the safety state) and "what is left" after it (the erase layer's
 * check) are the same question, asked with the same flags.
 *
 * The model is util-linux wipefs: one new_probe() with superblocks and
 * partition tables enabled, magic offsets, usage, label and UUID asked for,
 * bad checksums accepted and GPT forced, then blkid_do_probe() in a loop so
 * that every signature is reported, not just the one safeprobe would pick.
 * Must never write: the descriptor it is given is only read.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "disk-internal.h"

static blkid_probe new_probe(int fd)
{
	blkid_probe pr = blkid_new_probe();

	if (!pr)
		return NULL;
	if (blkid_probe_set_device(pr, fd, 0, 0) != 0) {
		blkid_free_probe(pr);
		return NULL;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
					      BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
	return pr;
}

static char *value(blkid_probe pr, const char *name)
{
	const char *v;

	return blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && *v ? strdup(v) : NULL;
}

static int add_signature(blkid_probe pr, struct disk_signature **v, size_t *n)
{
	struct disk_signature s = { 0 }, *nv;
	_cleanup_free_ char *off = NULL;

	s.type = value(pr, "TYPE");
	if (s.type) {
		s.usage = value(pr, "USAGE");
		s.label = value(pr, "LABEL");
		s.uuid = value(pr, "UUID");
		off = value(pr, "SBMAGIC_OFFSET");
	} else {
		s.type = value(pr, "PTTYPE");
		s.ptable = true;
		s.usage = strdup("partition table");
		s.uuid = value(pr, "PTUUID");
		off = value(pr, "PTMAGIC_OFFSET");
	}
	if (!s.type)
		s.type = strdup("unknown");
	if (off)
		(void)parse_u64(off, &s.offset);
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!s.type || !s.usage || !nv) {
		disk_signature_release(&s);
		if (nv)
			*v = nv;
		return -ENOMEM;
	}
	*v = nv;
	(*v)[(*n)++] = s;
	return 0;
}

int disk_signatures_read(int fd, struct disk_signature **ret, size_t *ret_n)
{
	_cleanup_close_ int rfd = -1;
	struct disk_signature *v = NULL;
	blkid_probe pr;
	size_t n = 0;
	int flags, r = 0;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if (flags & O_DIRECT) {
		/* libblkid reads at unaligned offsets: a descriptor of our own */
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (rfd < 0)
			return -errno;
		fd = rfd;
	}
	errno = 0;
	pr = new_probe(fd);
	if (!pr)
		return errno ? -errno : -ENOMEM;
	for (;;) {
		errno = 0;
		r = blkid_do_probe(pr);
		if (r == 1) { /* nothing more */
			r = 0;
			break;
		}
		if (r < 0) {
			r = errno ? -errno : -EIO;
			break;
		}
		r = add_signature(pr, &v, &n);
		if (r < 0)
			break;
	}
	blkid_free_probe(pr);
	if (r < 0) {
		disk_signatures_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void disk_signature_release(struct disk_signature *s)
{
	if (!s)
		return;
	free(s->type);
	free(s->usage);
	free(s->label);
	free(s->uuid);
	memset(s, 0, sizeof(*s));
}

void disk_signatures_free(struct disk_signature *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		disk_signature_release(&v[i]);
	free(v);
}

/* A piece of something larger: an MD/LVM/fake-RAID member (libblkid's usage
 * "raid"), a bcache backing or cache device, a ZFS pool member. */
bool disk_signature_is_member(const struct disk_signature *s)
{
	static const char *const types[] = { "bcache", "zfs_member", "drbd", "ceph_bluestore", "vdo" };

	if (s->usage && streq(s->usage, "raid"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (streq(s->type, types[i]))
			return true;
	return false;
}
