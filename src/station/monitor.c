/* monitor.c - disks arriving and leaving while the station runs: a libudev
 * monitor on block disks.
 *
 * On a station with udevd its "udev" source is used: the events come after
 * udev has named the disk and read its properties. Without udevd (a live
 * stick's rescue shell, a minimal guest) the kernel's own uevents on the
 * netlink socket are read instead: they need no daemon.
 */
#include <errno.h>
#include <unistd.h>

#include <libudev.h>

#include "station.h"

int station_monitor_open(struct station *s)
{
	/* udevd answers on this socket while it runs */
	const char *source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	int r;

	s->udev = udev_new();
	if (!s->udev)
		return -ENOMEM;
	s->mon = udev_monitor_new_from_netlink(s->udev, source);
	if (!s->mon)
		return -EPERM; /* the kernel source needs root */
	r = udev_monitor_filter_add_match_subsystem_devtype(s->mon, "block", "disk");
	if (r >= 0)
		r = udev_monitor_enable_receiving(s->mon);
	if (r < 0)
		return r;
	/* a burst of disks (a rack powered on) must not be lost */
	udev_monitor_set_receive_buffer_size(s->mon, 4 << 20);
	return 0;
}
