/* target.c - the one place a wipe target is opened for writing (wipe,
 * resume and the tests all come here): the safety state checked again
 * right before the open, O_EXCL for block devices, an OFD lock for image
 * files, and the descriptor checked against what detection described.
 *
 * It must never write to the target, and never hand back a descriptor
 * that another wipe can hold at the same time.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "wipecert/disk.h"
#include "wipecert/erase.h"
#include "wipecert/util.h"

static int set_reason(char **ret_reason, const char *fmt, const char *arg)
{
	if (ret_reason && asprintf(ret_reason, fmt, arg) < 0)
		*ret_reason = NULL;
	return 0;
}

/* An OFD write lock over the whole file, not waiting: it belongs to this
 * open file description, so it lasts as long as the descriptor and no
 * close of another descriptor of the file drops it (POSIX locks would). */
static int lock_image(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? -EAGAIN : -errno;
}

static int open_image(const struct disk *d, struct erase_target *t, char **ret_reason)
{
	int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	/* O_DIRECT where the file system has it (not tmpfs), else the page
	 * cache, which is synced and dropped before reading back; O_NONBLOCK
	 * so that a FIFO put at the path cannot hang the open */
	fd = open(d->devpath, flags | O_DIRECT);
	if (fd < 0 && errno == EINVAL)
		fd = open(d->devpath, flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISBLK(st.st_mode) ? -ESTALE : -ENOTBLK;
	/* blocking I/O from here on (io_uring would hand EAGAIN back) */
	if ((r = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, r & ~O_NONBLOCK) < 0)
		return -errno;
	r = lock_image(fd);
	if (r == -EAGAIN)
		set_reason(ret_reason, "%s is locked by another wipe", d->devpath);
	if (r < 0)
		return r;
	if ((uint64_t)st.st_size != d->size)
		return -ESTALE; /* it changed since it was described */
	if (st.st_size % 4096 != 0) {
		/* O_DIRECT needs whole blocks: the tail goes through the cache */
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_DIRECT);
	}
	t->image = true;
	t->size = (uint64_t)st.st_size;
	t->sector = d->logical_sector ? d->logical_sector : 512;
	t->physical_sector = d->physical_sector ? d->physical_sector : t->sector;
	t->medium = (struct erase_medium){ true, (uint64_t)st.st_dev, (uint64_t)st.st_ino, 0 };
	t->fd = TAKE_FD(fd);
	return 0;
}

static int open_blockdev(const struct disk *d, struct erase_target *t, char **ret_reason)
{
	_cleanup_close_ int fd = -1;
	unsigned phys = 0;
	struct stat st;

	/* O_EXCL on a block device: nobody else may open it exclusively
	 * (mount, md, dm, another wipe) while we write */
	fd = open(d->devpath, O_RDWR | O_CLOEXEC | O_EXCL | O_DIRECT);
	if (fd < 0 && errno == EBUSY)
		set_reason(ret_reason, "in-use (%s is open by another program: exclusive open failed)", d->devpath);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return S_ISREG(st.st_mode) ? -ESTALE : -ENOTBLK;
	if (ioctl(fd, BLKGETSIZE64, &t->size) < 0 || ioctl(fd, BLKSSZGET, &t->sector) < 0)
		return -errno;
	if (ioctl(fd, BLKPBSZGET, &phys) < 0 || phys < t->sector)
		phys = t->sector;
	t->physical_sector = phys;
	if (t->size != d->size)
		return -ESTALE; /* not the disk detection described */
	t->medium = (struct erase_medium){ 0 };
	if (d->transport == TRANSPORT_LOOP) {
		struct loop_info64 li;

		/* a loop device is a view of a file: that file is the medium */
		if (ioctl(fd, LOOP_GET_STATUS64, &li) == 0)
			t->medium = (struct erase_medium){ true, li.lo_device, li.lo_inode, li.lo_offset };
	}
	t->image = false;
	t->fd = TAKE_FD(fd);
	return 0;
}

int erase_target_open(const struct disk_scan *scan, const struct disk *d, struct erase_target *ret,
		      char **ret_reason)
{
	struct erase_target t = { .fd = -1 };
	char *reason = NULL;
	int r;

	if (ret_reason)
		*ret_reason = NULL;
	if (!d || !d->devpath || !ret)
		return -EINVAL;
	/* safety again, right before the open: time has passed since the
	 * disk was described (the operator's confirmation, other targets) */
	r = disk_check_safety(scan, d, &reason);
	if (r < 0) {
		free(reason);
		return r;
	}
	if (r != SAFETY_OK) {
		if (ret_reason && asprintf(ret_reason, "%s (%s)", disk_safety_to_string((enum disk_safety)r),
					   reason ? reason : "?") < 0)
			*ret_reason = NULL;
		free(reason);
		return -EBUSY;
	}
	free(reason);
	r = d->transport == TRANSPORT_FILE ? open_image(d, &t, ret_reason) : open_blockdev(d, &t, ret_reason);
	if (r < 0)
		return r;
	if (t.sector < 512 || t.size < t.sector || t.size % t.sector != 0) {
		close(t.fd);
		return -EINVAL;
	}
	*ret = t;
	return 0;
}

int erase_target_close(struct erase_target *t)
{
	int r = 0;

	if (t && t->fd >= 0) {
		if (close(t->fd) < 0)
			r = -errno;
		t->fd = -1;
	}
	return r;
}

bool erase_target_gone(int fd)
{
	struct stat st;
	char path[64];

	if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode))
		return false; /* an image file cannot be pulled out */
	/* the kernel removes the disk's sysfs entry when it deletes the
	 * disk, while our descriptor still holds the dead block device */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	return access(path, F_OK) < 0 && errno == ENOENT;
}
