/* disk-internal.h - shared between the files of the detection layer only. */
#ifndef WIPECERT_DISK_INTERNAL_H
#define WIPECERT_DISK_INTERNAL_H

#include <dirent.h>
#include <libudev.h>

#include "wipecert/disk.h"
#include "wipecert/util.h"

static inline void closedirp(DIR **d) { if (*d) closedir(*d); }

#define DISK_DEFAULT_SYSFS "/sys"
#define DISK_DEFAULT_DEV "/dev"

static inline const char *disk_sysfs_root(const struct disk_scan *o)
{
	return o && o->sysfs_root ? o->sysfs_root : DISK_DEFAULT_SYSFS;
}

static inline const char *disk_dev_root(const struct disk_scan *o)
{
	return o && o->dev_root ? o->dev_root : DISK_DEFAULT_DEV;
}

int disk_from_sysfs(const struct disk_scan *opts, const char *name, struct udev *udev, struct disk *ret);
/* "cannot WHAT: Permission denied (EACCES)", malloc'd; NULL without memory. */
char *disk_errno_reason(const char *what, int err);
/* The safety state now; with out, also fill out's holders, content and
 * partition table (out may be d itself). */
int disk_assess(const struct disk_scan *opts, const struct disk *d, struct disk *out, char **ret_reason);
void disk_apply_udev(struct udev *udev, const char *syspath, struct disk *d);
char **disk_partitions(const char *syspath);
void strv_free(char **v);
size_t strv_length(char *const *v);

#endif
