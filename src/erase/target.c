/* target.c - the target of a wipe: opening a described disk or image file
 * for writing, the job that names it, and noticing that it went away.
 *
 * Every front end (wipe, resume, the station) opens through here so that a
 * target is opened one way. It must never decide whether the target may be
 * written: the caller checked safety and confirmation just before.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "wipecert/disk.h"
#include "wipecert/erase.h"
#include "wipecert/job.h"
#include "wipecert/util.h"

int erase_target_open(const struct disk *d, uint64_t *ret_size, unsigned *ret_sector)
{
	int flags = O_RDWR | O_CLOEXEC, fd;
	uint64_t size;
	unsigned sector = 512;
	struct stat st;

	if (!d || !d->devpath)
		return -EINVAL;
	if (d->transport == TRANSPORT_FILE) {
		/* O_DIRECT where the file system has it (not tmpfs), else the
		 * page cache, which is synced and dropped before reading back */
		fd = open(d->devpath, flags | O_DIRECT | O_NOFOLLOW);
		if (fd < 0 && errno == EINVAL)
			fd = open(d->devpath, flags | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return -ENOTBLK;
		}
		size = (uint64_t)st.st_size;
		if (size % 4096 != 0) {
			/* O_DIRECT needs whole blocks: the tail goes through the cache */
			int fl = fcntl(fd, F_GETFL);
			if (fl >= 0)
				fcntl(fd, F_SETFL, fl & ~O_DIRECT);
		}
	} else {
		/* O_EXCL on a block device: nobody else may open it exclusively
		 * (mount, md, dm, another wipe) while we write */
		fd = open(d->devpath, flags | O_EXCL | O_DIRECT);
		if (fd < 0)
			return -errno;
		if (ioctl(fd, BLKGETSIZE64, &size) < 0 || ioctl(fd, BLKSSZGET, &sector) < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
		if (size != d->size) {
			close(fd);
			return -ESTALE; /* not the disk detection described */
		}
	}
	if (sector < 512 || size < sector || size % sector != 0) {
		close(fd);
		return -EINVAL;
	}
	*ret_size = size;
	*ret_sector = sector;
	return fd;
}

int erase_job_for_disk(const struct erase_method *m, enum erase_verify v, unsigned sample_percent,
		       const struct disk *d, uint64_t size, unsigned sector, struct job **ret)
{
	struct job *j = NULL;
	int r;

	r = job_new(m, v, sample_percent, d->devpath, size, sector, &j);
	if (r < 0)
		return r;
	if (job_set(&j->name, d->name) < 0 || job_set(&j->model, d->model) < 0 ||
	    job_set(&j->serial, d->serial) < 0 || job_set(&j->wwn, d->wwn) < 0 ||
	    job_set(&j->transport, disk_transport_to_string(d->transport)) < 0) {
		job_free(j);
		return -ENOMEM;
	}
	*ret = j;
	return 0;
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
