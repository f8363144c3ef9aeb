/* disk.h - detection: which whole disks are attached, who they are, what is
 * on them, and whether it is safe to write to them.
 *
 * Its job: build a plain `struct disk` from libudev (or sysfs when udevd is
 * not running), libblkid and /proc/self/mountinfo. It must never open a
 * device for writing: the only open is O_RDONLY (for blkid) and an
 * O_RDONLY|O_EXCL probe that is closed at once.
 */
#ifndef WIPECERT_DISK_H
#define WIPECERT_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum disk_transport {
	TRANSPORT_UNKNOWN,
	TRANSPORT_NVME,
	TRANSPORT_SATA,
	TRANSPORT_SAS,   /* SCSI disks that are not ATA: SAS, FC, iSCSI, virtio-scsi */
	TRANSPORT_USB,
	TRANSPORT_VIRTIO,
	TRANSPORT_LOOP,
	TRANSPORT_MMC,
	TRANSPORT_FILE,  /* a regular image file, not a block device */
};

/* Ordered from the worst: a disk's state is the worst that applies. */
enum disk_safety {
	SAFETY_SYSTEM,   /* holds /, /boot, /usr or active swap */
	SAFETY_MOUNTED,  /* the disk or one of its partitions is mounted */
	SAFETY_HELD,     /* has holders: dm, md, LVM, ... */
	SAFETY_IN_USE,   /* an O_EXCL open fails: someone else has it open */
	SAFETY_OK,
};

/* What libblkid found: the disk itself or one partition. */
struct disk_content {
	char *devname;   /* /dev/sda1, or the disk itself */
	char *fstype;    /* "ext4", "vfat", "swap", "LVM2_member", ... or NULL */
	char *label;
	char *uuid;
};

struct disk {
	char *name;          /* kernel name: "sda", "nvme0n1", "loop3" */
	char *devpath;       /* "/dev/sda" (or the image file's path) */
	char *syspath;       /* "/sys/devices/..." (NULL for files) */
	char *model;
	char *vendor;
	char *serial;
	char *wwn;
	char *firmware;
	char *backing_file;  /* loop devices: what they map */
	uint64_t size;       /* bytes */
	unsigned logical_sector;
	unsigned physical_sector;
	enum disk_transport transport;
	bool rotational;
	bool removable;
	bool readonly;
	char *pttype;        /* "gpt", "dos" or NULL */
	char *pttype_uuid;
	struct disk_content *content;
	size_t n_content;
	enum disk_safety safety;
	char *safety_reason; /* "/dev/sda2 mounted on /", "held by dm-0", ... */
	char **holders;      /* NULL-terminated, may be NULL */
};

/* Options for enumeration; a zeroed struct means "this machine". */
struct disk_scan {
	const char *sysfs_root;     /* default "/sys"; tests pass a fixture tree */
	const char *mountinfo;      /* default "/proc/self/mountinfo" */
	const char *swaps;          /* default "/proc/swaps" */
	bool no_udev;               /* read sysfs only */
	bool no_probe;              /* no blkid, no O_EXCL check (fixtures) */
	bool include_empty;         /* also loop devices with no backing file */
};

/* Enumerate every whole disk; partitions, ram, zram and empty loops are
 * skipped. ret is an array of n disks owned by the caller (disk_list_free). */
int disk_scan(const struct disk_scan *opts, struct disk **ret, size_t *ret_n);
/* Describe one device path (a block device node or a regular image file). */
int disk_probe(const struct disk_scan *opts, const char *path, struct disk *ret);

/* Recompute the safety state of a disk right now. Called by the wipe path
 * immediately before it opens the device for writing: returns SAFETY_* and
 * sets *ret_reason (malloc'd, may be NULL) to why it is not SAFETY_OK. */
int disk_check_safety(const struct disk_scan *opts, const struct disk *d, char **ret_reason);

void disk_release(struct disk *d);
void disk_list_free(struct disk *d, size_t n);

/* The transport of a disk from its kernel name and resolved sysfs path. */
enum disk_transport disk_transport_from_path(const char *name, const char *realpath);

const char *disk_transport_to_string(enum disk_transport t);
const char *disk_safety_to_string(enum disk_safety s);

#endif
