#!/usr/bin/env bash
# customize.sh ROOTFS - mmdebstrap's customize hook for the stick: wipecert
# (from a make install tree when no .deb is given), our files (the boot
# service, the network), the locales, and what must not differ between
# two builds (machine-id, logs, caches).
set -euo pipefail
root=$1
[ -n "${WIPECERT_IMAGE_DESTDIR:-}" ] && cp -a "$WIPECERT_IMAGE_DESTDIR"/. "$root"/
cp -a "$WIPECERT_IMAGE_OVERLAY"/. "$root"/
chmod 0755 "$root/usr/lib/wipecert/stick-boot"

# boot straight into the station: our service owns the consoles it uses;
# the network only when stick.conf names a central ledger (stick-boot
# starts it); no logins
chroot "$root" systemctl enable -q wipecert-stick.service
chroot "$root" systemctl disable -q systemd-networkd.service systemd-resolved.service 2>/dev/null || true
chroot "$root" systemctl mask -q getty@tty1.service serial-getty@ttyS0.service systemd-logind.service \
	apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer

# the initramfs: zstd, trimmed by our hook (wipecert-trim), or the build fails
initrd=$(ls "$root"/boot/initrd.img-*)
[ "$(od -An -tx1 -N4 "$initrd" | tr -d ' ')" = 28b52ffd ] || { echo "customize.sh: $initrd is not zstd" >&2; exit 1; }
if chroot "$root" sh -c 'lsinitramfs /boot/initrd.img-*' | grep -q '/kernel/drivers/net/'; then
	echo "customize.sh: the initramfs was not trimmed (wipecert-trim)" >&2
	exit 1
fi

printf 'ja_JP.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n' >"$root/etc/locale.gen"
chroot "$root" locale-gen >/dev/null
echo wipecert-stick >"$root/etc/hostname"
# a fresh machine-id at every boot (systemd writes a transient one)
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# what differs from build to build and nobody reads on a live stick
rm -rf "$root"/var/log/* "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
	"$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root/etc/.pwd.lock"
rm -f "$root"/etc/ssh/ssh_host_* "$root/var/lib/systemd/random-seed"
mkdir -p "$root/run/wipecert/data"
