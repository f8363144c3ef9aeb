/* disk-internal.h - shared between the files of the detection layer only. */
#ifndef WIPECERT_DISK_INTERNAL_H
#define WIPECERT_DISK_INTERNAL_H

#include <dirent.h>
#include <libudev.h>

#include "wipecert/disk.h"
#include "wipecert/util.h"

static inline void closedirp(DIR **d) { if (*d) closedir(*d); }

int disk_from_sysfs(const char *sysfs_root, const char *name, struct udev *udev, struct disk *ret);
void disk_apply_udev(struct udev *udev, const char *syspath, struct disk *d);
char **disk_partitions(const char *syspath);
void strv_free(char **v);
size_t strv_length(char *const *v);

#endif
