/* disk.h - detection: which whole disks are attached, who they are, what is
 * on them, and whether it is safe to write to them.
 *
 * Its job: build a plain `struct disk` from libudev (or sysfs when udevd is
 * not running), libblkid, /proc/self/mountinfo and /proc/swaps. It must never
 * open a device for writing: the only opens are an O_RDONLY|O_EXCL probe
 * closed at once (the in-use check) and O_RDONLY for libblkid, on the disk
 * and its partitions.
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

/* Ordered from the worst: a disk's state is the worst that applies. Only
 * SAFETY_OK is ever written to (SAFETY_MEMBER when the operator names the
 * member type with --force-member, see disk_scan.force_member). */
enum disk_safety {
	SAFETY_SYSTEM,   /* holds /, /boot, /usr, /var or active swap */
	SAFETY_MOUNTED,  /* the disk or one of its partitions is mounted */
	SAFETY_HELD,     /* something sits on it: dm, md, bcache, a loop device
			    mapping it, a zram writeback device */
	SAFETY_MEMBER,   /* nothing here holds it, but libblkid finds an MD,
			    LVM, fake-RAID, bcache or ZFS member signature */
	SAFETY_IN_USE,   /* an O_EXCL open fails: someone else has it open */
	SAFETY_UNKNOWN,  /* it cannot be opened or read: nothing is known */
	SAFETY_OK,
};

/* What libblkid found: the disk itself or one partition. */
struct disk_content {
	char *devname;   /* /dev/sda1, or the disk itself */
	char *fstype;    /* "ext4", "vfat", "swap", "LVM2_member", ... or NULL */
	char *usage;     /* libblkid's "filesystem", "raid", "crypto", "other" */
	char *label;
	char *uuid;
};

/* One signature libblkid finds on a device (disk_signatures_read). */
struct disk_signature {
	char *type;      /* "ext4", "LVM2_member", "gpt", ... ("unknown" if unnamed) */
	char *usage;     /* "filesystem", "raid", "crypto", "other", "partition table" */
	char *label;
	char *uuid;      /* the file system's UUID, or the partition table's */
	uint64_t offset; /* where its magic is, in bytes */
	bool ptable;     /* a partition table, not a superblock */
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
	char *safety_text;   /* the same in the reader's language (gettext), NULL: as safety_reason */
	char **holders;      /* what sits on the disk or its partitions: sysfs
				holders, loop and zram devices mapping them;
				NULL-terminated, may be NULL */
};

/* Options for enumeration; a zeroed struct means "this machine". */
struct disk_scan {
	const char *sysfs_root;     /* default "/sys"; tests pass a fixture tree */
	const char *dev_root;       /* default "/dev": where device nodes are opened */
	const char *mountinfo;      /* default "/proc/self/mountinfo" */
	const char *swaps;          /* default "/proc/swaps" */
	const char *force_member;   /* comma-separated member types (LVM2_member,
				       linux_raid_member, ...) the operator named:
				       a disk carrying only those is not SAFETY_MEMBER */
	bool no_udev;               /* read sysfs only */
	bool no_probe;              /* no blkid, no O_EXCL check (fixtures) */
	bool include_empty;         /* also loop devices with no backing file */
};

/* Enumerate every whole disk; partitions, ram, zram and empty loops are
 * skipped. ret is an array of n disks owned by the caller (disk_list_free).
 * One disk that cannot be read never fails the scan: it is listed with
 * SAFETY_UNKNOWN and the reason. Fails only when there is no list at all
 * (no sysfs) or memory runs out. */
int disk_scan(const struct disk_scan *opts, struct disk **ret, size_t *ret_n);
/* Describe one device path (a block device node or a regular image file).
 * A disk that exists but cannot be opened or read is SAFETY_UNKNOWN. */
int disk_probe(const struct disk_scan *opts, const char *path, struct disk *ret);

/* Recompute the safety state of a disk right now, from sysfs, mountinfo,
 * /proc/swaps and the device itself (nothing cached in d is trusted). Called
 * by the wipe path again immediately before it opens the device for
 * writing: returns SAFETY_* and sets *ret_reason (malloc'd, may be NULL) to
 * why it is not SAFETY_OK. A device that cannot be opened or read is
 * SAFETY_UNKNOWN with the errno in the reason; -errno only when the check
 * itself cannot run (out of memory, an image file that vanished). */
int disk_check_safety(const struct disk_scan *opts, const struct disk *d, char **ret_reason);
/* The same, with the reason also in the reader's language in *ret_text
 * (malloc'd, may be NULL), for the message to the operator. */
int disk_check_safety_text(const struct disk_scan *opts, const struct disk *d, char **ret_reason, char **ret_text);

/* Every signature libblkid finds on fd (file systems, RAID/LVM members,
 * partition tables), probed the way util-linux wipefs probes: superblocks
 * and partitions, bad checksums accepted, GPT forced. fd is only read; an
 * O_DIRECT descriptor is reopened without O_DIRECT. *ret (n entries, maybe
 * none) is freed with disk_signatures_free. The listing and the erase
 * layer's after-wipe check both use it. */
int disk_signatures_read(int fd, struct disk_signature **ret, size_t *ret_n);
void disk_signature_release(struct disk_signature *s);
void disk_signatures_free(struct disk_signature *v, size_t n);
/* A member of something larger (MD, LVM, fake RAID, bcache, ZFS, ...). */
bool disk_signature_is_member(const struct disk_signature *s);

void disk_release(struct disk *d);
void disk_list_free(struct disk *d, size_t n);

/* The transport of a disk from its kernel name and resolved sysfs path. */
enum disk_transport disk_transport_from_path(const char *name, const char *realpath);

const char *disk_transport_to_string(enum disk_transport t);
/* The disk reports a serial or a WWN of its own (an operator may attest
 * one only for a medium that reports neither). */
bool disk_has_identity(const struct disk *d);
/* An image file or a loop device: no drive firmware to ask or to erase
 * with. */
bool disk_is_image(const struct disk *d);
const char *disk_safety_to_string(enum disk_safety s);

#endif
