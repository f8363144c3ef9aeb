/* test_disk.c - detection on captured sysfs trees (tests/fixtures/sysfs):
 * NVMe, SATA under device-mapper and a USB stick, so transports this
 * machine does not have are tested too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "helpers.h"
#include "wipecert/disk.h"

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
	/* zram0, dm-0 and the unused loop7 are not disks we list */
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "nvme0n1");
	assert_string_equal(v[1].name, "sda");
	assert_string_equal(v[2].name, "sdb");

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_fixture),
		cmocka_unit_test(test_swap_is_system),
		cmocka_unit_test(test_transport_from_path),
		cmocka_unit_test(test_probe_errors),
		cmocka_unit_test(test_probe_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
