/* stick.h - the wipecert stick's data partition: where it lies on the stick
 * (the hybrid image's MBR: 1 ISO 9660, 2 EFI system, 3 the data), what it
 * holds (stick.conf, policy, trust roster, the technician's key, the
 * stick's ledger, state/ with the records and their outbox, labels/, log/)
 * and how `wipecert image prepare` makes it (docs/stick.md).
 *
 * The layout helpers are pure (bytes in, bytes out); stick_stage() and
 * stick_make_fs() work on files in a scratch directory. Nothing here opens
 * a block device: the command opens the target through the erase layer's
 * one checked open and writes what these return.
 */
#ifndef WIPECERT_STICK_H
#define WIPECERT_STICK_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct flow_error;

#define STICK_DATA_LABEL "WIPECERT-DATA"
#define STICK_VOLUME_ID "WIPECERT_STICK"
#define STICK_DEFAULT_DATA_SIZE (256ull << 20)
#define STICK_MIN_DATA_SIZE (16ull << 20)

/* The partitions of a wipecert stick, in bytes from the start of the disk. */
struct stick_layout {
	uint64_t iso_start, iso_size;
	uint64_t efi_start, efi_size;
	uint64_t data_start, data_size;
};

/* Read the MBR (sector 0, 512 bytes): partition 1 ISO 9660 (type 0xcd), 2
 * EFI system (0xef), 3 Linux (0x83) after both, 4 unused. -EMEDIUMTYPE
 * when it is not a wipecert stick's table. */
int stick_layout_parse(const uint8_t mbr[512], struct stick_layout *ret);
/* Set partition 3 to size bytes from its start (a multiple of 512, at
 * least STICK_MIN_DATA_SIZE, within 2 TiB: MBR's limit). -EINVAL. */
int stick_layout_set_data(uint8_t mbr[512], uint64_t size);
/* The ISO 9660 primary volume descriptor (2048 bytes at 32 KiB) names the
 * wipecert stick (volume ID WIPECERT_STICK). */
bool stick_is_iso(const uint8_t pvd[2048]);
/* The ext4 label of a superblock (1024 bytes at 1 KiB into the partition),
 * copied into label (17 bytes); -ENOENT when it is no ext2/3/4. */
int stick_fs_label(const uint8_t sb[1024], char label[17]);

/* What goes onto the data partition. */
struct stick_config {
	const char *trust_dir;   /* the trust roster: its regular files, copied */
	const char *policy;      /* the policy file */
	const char *key;         /* the technician's (encrypted) key, or NULL */
	const char *ledger;      /* a SQLite ledger file (and its -wal), or NULL */
	const char *pgpass;      /* a libpq password file for db, or NULL */
	const char *conf;        /* a stick.conf to take as it is, or NULL: made from below */
	const char *language;    /* "ja" or "en" */
	const char *console;     /* "tty1", "ttyS0".. */
	const char *mode;        /* "screen" or "plain" */
	bool auto_mode;          /* wipe what the ledger awaits, no key press */
	bool poweroff;           /* with auto_mode: power off when done */
	const char *db;          /* the central ledger's URI, or NULL */
	const char *method, *verify;
};

/* Check a stick.conf text: known keys with allowed values, one a line.
 * -EINVAL with err naming the line. */
int stick_conf_check(const char *text, struct flow_error *err);
/* Stage the data partition's tree in dir (existing, empty). */
int stick_stage(const struct stick_config *c, const char *dir, struct flow_error *err);
/* An ext4 file system of size bytes in the file img, labelled
 * STICK_DATA_LABEL, holding dir's tree (mkfs.ext4 -d). */
int stick_make_fs(const char *dir, const char *img, uint64_t size, struct flow_error *err);

#endif
