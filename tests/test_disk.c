/* test_disk.c - detection on captured sysfs trees (tests/fixtures/sysfs):
 * NVMe, SATA under device-mapper and a USB stick, so transports this
 * machine does not have are tested too; the holders this kernel cannot make
 * (zram writeback, multipath); device nodes that are image files (dev_root)
 * so that libblkid's findings and unreadable disks are tested on a fixture. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "helpers.h"
#include "wipecert/disk.h"
#include "wipecert/util.h"

static const struct disk_scan fixture = {
	.sysfs_root = "tests/fixtures/sysfs/tree",
	.mountinfo = "tests/fixtures/sysfs/mountinfo",
	.swaps = "tests/fixtures/sysfs/swaps",
	.no_probe = true,
};

static const struct disk *find(const struct disk *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	fail_msg("disk %s not found", name);
	return NULL;
}

static void test_scan_fixture(void **state)
{
	struct disk *v = NULL;
	const struct disk *d;
	size_t n = 0;

	(void)state;
	assert_int_equal(disk_scan(&fixture, &v, &n), 0);
	/* zram0, dm-0, dm-1 and the unused loop7 are not disks we list */
	assert_int_equal(n, 7);
	assert_string_equal(v[0].name, "loop0");
	assert_string_equal(v[1].name, "loop1");
	assert_string_equal(v[2].name, "nvme0n1");
	assert_string_equal(v[3].name, "sda");
	assert_string_equal(v[4].name, "sdb");
	assert_string_equal(v[5].name, "sdc");
	assert_string_equal(v[6].name, "sdd");

	d = find(v, n, "nvme0n1");
	assert_int_equal(d->transport, TRANSPORT_NVME);
	assert_string_equal(d->model, "Samsung SSD 970 EVO Plus 1TB");
	assert_string_equal(d->serial, "S4EWNX0R812345K");
	assert_string_equal(d->wwn, "eui.0025385881b0a2c4");
	assert_string_equal(d->firmware, "2B2QEXM7");
	assert_int_equal(d->size, 1953525168ull * 512);
	assert_int_equal(d->logical_sector, 512);
	assert_false(d->rotational);
	assert_int_equal(d->safety, SAFETY_SYSTEM);
	assert_string_equal(d->safety_reason, "holds the running system (mounted on /)");

	d = find(v, n, "sda");
	assert_int_equal(d->transport, TRANSPORT_SATA);
	assert_string_equal(d->model, "WDC WD10EZEX-08W");
	assert_string_equal(d->serial, "WD-WCC6Y0RL1234"); /* from VPD page 0x80 */
	assert_string_equal(d->wwn, "naa.50014ee2b5c3d4e5");
	assert_int_equal(d->physical_sector, 4096);
	assert_true(d->rotational);
	assert_int_equal(d->safety, SAFETY_HELD);
	assert_non_null(d->holders);
	assert_string_equal(d->holders[0], "dm-0");
	assert_null(d->holders[1]);
	/* the partition it holds, and what the holder is, from dm/uuid and dm/name */
	assert_string_equal(d->safety_reason, "sda2 held by dm-0 (LVM volume vg0-data)");

	d = find(v, n, "sdb");
	assert_int_equal(d->transport, TRANSPORT_USB);
	assert_string_equal(d->vendor, "SanDisk");
	assert_string_equal(d->serial, "4C530001230815117294");
	assert_null(d->wwn); /* a t10 id is not a world wide name */
	assert_true(d->removable);
	assert_int_equal(d->safety, SAFETY_MOUNTED);
	/* mountinfo's \040 escape is decoded */
	assert_string_equal(d->safety_reason, "mounted on /media/usb stick");
	disk_list_free(v, n);
}

/* Holders without a holders/ link: zram's backing_dev and a loop device's
 * backing_file name the device below; a multipath map is a dm holder. */
static void test_holders_without_links(void **state)
{
	struct disk *v = NULL;
	const struct disk *d;
	size_t n = 0;

	(void)state;
	assert_int_equal(disk_scan(&fixture, &v, &n), 0);
	d = find(v, n, "sdc");
	assert_int_equal(d->safety, SAFETY_HELD);
	assert_string_equal(d->safety_reason, "held by zram0 (zram writes back to it)");
	assert_string_equal(d->holders[0], "zram0");

	d = find(v, n, "sdd");
	assert_int_equal(d->safety, SAFETY_HELD);
	assert_string_equal(d->safety_reason, "held by dm-1 (multipath map mpatha)");

	/* loop-on-loop: the lower one is held, the upper one is free */
	d = find(v, n, "loop0");
	assert_int_equal(d->safety, SAFETY_HELD);
	assert_string_equal(d->safety_reason, "held by loop1 (a loop device mapping it)");
	assert_string_equal(d->holders[0], "loop1");
	assert_string_equal(d->backing_file, "/srv/images/disk.img");
	d = find(v, n, "loop1");
	assert_int_equal(d->safety, SAFETY_OK);
	assert_null(d->safety_reason);
	assert_null(d->holders);
	disk_list_free(v, n);
}

/* Swap on the upper loop device: the lower one holds it too. The swap
 * device is named "/dev/loop1" and found by its kernel name in the fixture,
 * as in a chroot with no /dev of its own. */
static void test_swap_on_a_stacked_loop(void **state)
{
	static const char text[] = "Filename\tType\tSize\tUsed\tPriority\n/dev/loop1\tpartition\t1048572\t0\t-2\n";
	char *dir = test_mkdtemp(), *swaps;
	struct disk_scan o = fixture;
	struct disk *v = NULL;
	size_t n = 0;

	(void)state;
	swaps = test_write_file(dir, "swaps", text, strlen(text));
	o.swaps = swaps;
	assert_int_equal(disk_scan(&o, &v, &n), 0);
	assert_int_equal(find(v, n, "loop1")->safety, SAFETY_SYSTEM);
	assert_string_equal(find(v, n, "loop1")->safety_reason, "holds active swap (/dev/loop1)");
	assert_int_equal(find(v, n, "loop0")->safety, SAFETY_SYSTEM);
	assert_string_equal(find(v, n, "loop0")->safety_reason, "holds active swap (/dev/loop1)");
	assert_int_equal(find(v, n, "sdb")->safety, SAFETY_MOUNTED);
	disk_list_free(v, n);
	free(swaps);
	test_rmtree(dir);
	free(dir);
}

static void test_swap_is_system(void **state)
{
	char *dir = test_mkdtemp(), *swapfile, *mi, *swaps, *cmd, *tree, *devattr;
	struct disk_scan o = fixture;
	struct disk *v = NULL;
	char swaps_text[512], devno[32];
	struct stat st;
	size_t n = 0;

	(void)state;
	/* a swap file lives on a file system: give the fixture's nvme0n1p1
	 * the device number of the file system that holds our swap file */
	swapfile = test_write_file(dir, "swapfile", "x", 1);
	assert_int_equal(stat(swapfile, &st), 0);
	assert_true(asprintf(&cmd, "cp -a %s %s/tree", fixture.sysfs_root, dir) > 0);
	assert_int_equal(system(cmd), 0);
	assert_true(asprintf(&tree, "%s/tree", dir) > 0);
	snprintf(devno, sizeof(devno), "%u:%u\n", major(st.st_dev), minor(st.st_dev));
	devattr = test_write_file(dir, "tree/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1/nvme0n1p1/dev",
				  devno, strlen(devno));
	/* and move the fixture's dm-0 (254:0) out of the way: on a machine
	 * whose root is a virtio disk, 254:0 is that disk */
	free(test_write_file(dir, "tree/devices/virtual/block/dm-0/dev", "254:99\n", 7));
	snprintf(swaps_text, sizeof(swaps_text), "Filename\tType\tSize\tUsed\tPriority\n%s\tfile\t4\t0\t-2\n", swapfile);
	mi = test_write_file(dir, "mountinfo", "", 0);
	swaps = test_write_file(dir, "swaps", swaps_text, strlen(swaps_text));
	o.sysfs_root = tree;
	o.mountinfo = mi;
	o.swaps = swaps;
	assert_int_equal(disk_scan(&o, &v, &n), 0);
	assert_int_equal(find(v, n, "nvme0n1")->safety, SAFETY_SYSTEM);
	assert_non_null(strstr(find(v, n, "nvme0n1")->safety_reason, "holds active swap"));
	/* with nothing mounted, the USB stick is free; sda is still held */
	assert_int_equal(find(v, n, "sdb")->safety, SAFETY_OK);
	assert_null(find(v, n, "sdb")->safety_reason);
	assert_int_equal(find(v, n, "sda")->safety, SAFETY_HELD);
	disk_list_free(v, n);
	free(swapfile); free(cmd); free(tree); free(devattr); free(mi); free(swaps);
	test_rmtree(dir);
	free(dir);
}

/* Booted from the wipecert stick: the root is an overlay in RAM, live-boot
 * has the stick (the fixture's USB sdb) on /run/live/medium, its data
 * partition is mounted too. The stick is the system; the machine's own
 * NVMe disk, with nothing mounted, is free to wipe. Both ways live-boot
 * mounts a hybrid image: the ISO 9660 partition, or the whole disk. */
static void test_live_medium_is_system(void **state)
{
	static const char *const medium[] = {
		"33 1 8:17 / /run/live/medium ro,noatime - iso9660 /dev/sdb1 ro\n",
		"33 1 8:16 / /run/live/medium ro,noatime - iso9660 /dev/sdb ro\n",
	};
	static const char common[] =
		"21 1 0:20 / /proc rw,relatime - proc proc rw\n"
		"22 1 0:21 / /sys rw,relatime - sysfs sysfs rw\n"
		"1 0 0:30 / / rw,noatime - overlay overlay rw,lowerdir=/run/live/rootfs/filesystem.squashfs/\n";
	char *dir = test_mkdtemp();

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(medium); i++) {
		struct disk_scan o = fixture;
		struct disk *v = NULL;
		size_t n = 0;
		char text[1024], *mi;

		snprintf(text, sizeof(text), "%s%s%s", common, medium[i],
			 "40 1 8:17 / /run/wipecert/data rw,noatime - ext4 /dev/sdb1 rw\n");
		mi = test_write_file(dir, "mountinfo", text, strlen(text));
		o.mountinfo = mi;
		assert_int_equal(disk_scan(&o, &v, &n), 0);
		assert_int_equal(find(v, n, "sdb")->safety, SAFETY_SYSTEM);
		assert_string_equal(find(v, n, "sdb")->safety_reason, "holds the running system (mounted on /run/live/medium)");
		assert_int_equal(find(v, n, "nvme0n1")->safety, SAFETY_OK);
		disk_list_free(v, n);
		free(mi);
	}
	test_rmtree(dir);
	free(dir);
}

static void test_transport_from_path(void **state)
{
	(void)state;
	assert_int_equal(disk_transport_from_path("sdc", "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/host3/target3:0:0/3:0:0:0/block/sdc"), TRANSPORT_USB);
	assert_int_equal(disk_transport_from_path("sdd", "/sys/devices/pci0000:00/0000:00:02.0/0000:01:00.0/host2/port-2:0/end_device-2:0/target2:0:0/2:0:0:0/block/sdd"), TRANSPORT_SAS);
	assert_int_equal(disk_transport_from_path("sde", "/sys/devices/pci0000:00/0000:00:03.0/virtio2/host0/target0:0:0/0:0:0:0/block/sde"), TRANSPORT_VIRTIO);
	assert_int_equal(disk_transport_from_path("mmcblk0", "/sys/devices/platform/mmc/mmc0/mmc0:0001/block/mmcblk0"), TRANSPORT_MMC);
	assert_int_equal(disk_transport_from_path("loop0", "/sys/devices/virtual/block/loop0"), TRANSPORT_LOOP);
}

static void test_probe_errors(void **state)
{
	struct disk d;

	(void)state;
	assert_int_equal(disk_probe(NULL, "/nonexistent/disk", &d), -ENOENT);
	assert_int_equal(disk_probe(NULL, "/dev/null", &d), -ENOTBLK);
	assert_int_equal(disk_probe(NULL, "/", &d), -ENOTBLK);
}

static void test_probe_image(void **state)
{
	char *dir = test_mkdtemp(), *img;
	static char zeros[65536];
	struct disk d;

	(void)state;
	img = test_write_file(dir, "disk.img", zeros, sizeof(zeros));
	assert_int_equal(disk_probe(NULL, img, &d), 0);
	assert_int_equal(d.transport, TRANSPORT_FILE);
	assert_int_equal(d.size, sizeof(zeros));
	assert_int_equal(d.safety, SAFETY_OK);
	assert_int_equal(d.n_content, 0);
	disk_release(&d);
	free(img);
	test_rmtree(dir);
	free(dir);
}

/* An image file carrying an MD RAID superblock (tests/fixtures/md): the
 * one libblkid probe sees it, the disk is a member, and only naming its
 * type in force_member lets it through. */
static char *md_image(const char *dir, const char *name)
{
	char *img = test_write_file(dir, name, "", 0), *cmd;

	assert_int_equal(truncate(img, 4 << 20), 0); /* md's data starts at 1 MiB */
	assert_true(asprintf(&cmd, "python3 tests/fixtures/md/md-member.py %s", img) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return img;
}

static void test_member_signature(void **state)
{
	char *dir = test_mkdtemp(), *img = md_image(dir, "md.img"), *reason = NULL;
	struct disk_signature *sg = NULL;
	struct disk_scan o = { 0 };
	struct disk d;
	size_t n = 0;
	int fd;

	(void)state;
	fd = open(img, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(disk_signatures_read(fd, &sg, &n), 0);
	close(fd);
	assert_int_equal(n, 1);
	assert_string_equal(sg[0].type, "linux_raid_member");
	assert_string_equal(sg[0].usage, "raid");
	assert_string_equal(sg[0].label, "wipecert-test:0");
	assert_int_equal(sg[0].offset, 4096);
	assert_false(sg[0].ptable);
	assert_true(disk_signature_is_member(&sg[0]));
	disk_signatures_free(sg, n);

	assert_int_equal(disk_probe(NULL, img, &d), 0);
	assert_int_equal(d.safety, SAFETY_MEMBER);
	assert_non_null(strstr(d.safety_reason, ": MD RAID member (linux_raid_member signature); "
					       "pass --force-member linux_raid_member to wipe it"));
	assert_int_equal(d.n_content, 1);
	assert_string_equal(d.content[0].fstype, "linux_raid_member");
	assert_string_equal(d.content[0].usage, "raid");
	o.force_member = "LVM2_member"; /* another type is no confirmation */
	assert_int_equal(disk_check_safety(&o, &d, &reason), SAFETY_MEMBER);
	free(reason);
	o.force_member = "LVM2_member,linux_raid_member";
	assert_int_equal(disk_check_safety(&o, &d, &reason), SAFETY_OK);
	assert_null(reason);
	disk_release(&d);
	free(img);
	test_rmtree(dir);
	free(dir);
}

/* Device nodes as files in a dev_root: what libblkid finds on each is
 * listed, and a disk that cannot be opened or read is "unknown" with the
 * errno while the rest of the scan goes on. */
static void test_unreadable_disk_is_unknown(void **state)
{
	static const char *const nodes[] = { "nvme0n1", "nvme0n1p1", "nvme0n1p2", "sda", "sda1", "sda2",
					     "sdb", "sdb1", "sdc" };
	static char zeros[65536];
	char *dir = test_mkdtemp(), *md, *reason = NULL, *path;
	struct disk_scan o = fixture;
	struct disk *v = NULL;
	const struct disk *d;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
		free(test_write_file(dir, nodes[i], zeros, sizeof(zeros)));
	md = md_image(dir, "sdd");          /* under the multipath map */
	free(test_write_file(dir, "loop0", zeros, sizeof(zeros)));
	/* no loop1 at all: ENOENT, as in a chroot without that node */
	o.dev_root = dir;
	o.no_probe = false;
	assert_int_equal(disk_scan(&o, &v, &n), 0);
	assert_int_equal(n, 7);

	d = find(v, n, "loop1");
	assert_int_equal(d->safety, SAFETY_UNKNOWN);
	assert_true(asprintf(&path, "cannot open %s/loop1: No such file or directory (ENOENT)", dir) > 0);
	assert_string_equal(d->safety_reason, path);
	free(path);
	/* loop0 is held by loop1: held is worse than unknown and stays */
	assert_int_equal(find(v, n, "loop0")->safety, SAFETY_HELD);
	d = find(v, n, "sdc");
	assert_int_equal(d->safety, SAFETY_HELD);
	d = find(v, n, "sdd");
	assert_int_equal(d->safety, SAFETY_HELD);
	assert_int_equal(d->n_content, 1);
	assert_string_equal(d->content[0].fstype, "linux_raid_member");
	assert_int_equal(find(v, n, "nvme0n1")->safety, SAFETY_SYSTEM);
	disk_list_free(v, n);

	/* a node that opens but cannot be read: unknown too, with EISDIR */
	assert_true(asprintf(&path, "%s/loop1", dir) > 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(disk_scan(&o, &v, &n), 0);
	assert_int_equal(find(v, n, "loop1")->safety, SAFETY_UNKNOWN);
	free(reason);
	assert_true(asprintf(&reason, "cannot read %s: Is a directory (EISDIR)", path) > 0);
	assert_string_equal(find(v, n, "loop1")->safety_reason, reason);
	free(reason);
	free(path);
	disk_list_free(v, n);
	free(md);
	test_rmtree(dir);
	free(dir);
}

/* who may attest a serial, who has firmware to ask: one rule each */
static void test_identity_and_image_predicates(void **state)
{
	struct disk d = { .transport = TRANSPORT_SATA };

	(void)state;
	assert_false(disk_has_identity(&d));
	d.serial = (char *)"";
	assert_false(disk_has_identity(&d));
	d.wwn = (char *)"naa.5000c500a1b2c3d4";
	assert_true(disk_has_identity(&d));
	d.wwn = NULL;
	d.serial = (char *)"ZN1ABC23";
	assert_true(disk_has_identity(&d));
	assert_false(disk_is_image(&d));
	d.transport = TRANSPORT_LOOP;
	assert_true(disk_is_image(&d));
	d.transport = TRANSPORT_FILE;
	assert_true(disk_is_image(&d));
	d.transport = TRANSPORT_NVME;
	assert_false(disk_is_image(&d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_and_image_predicates),
		cmocka_unit_test(test_scan_fixture),
		cmocka_unit_test(test_holders_without_links),
		cmocka_unit_test(test_swap_on_a_stacked_loop),
		cmocka_unit_test(test_member_signature),
		cmocka_unit_test(test_unreadable_disk_is_unknown),
		cmocka_unit_test(test_swap_is_system),
		cmocka_unit_test(test_live_medium_is_system),
		cmocka_unit_test(test_transport_from_path),
		cmocka_unit_test(test_probe_errors),
		cmocka_unit_test(test_probe_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
