#!/usr/bin/env bash
# build.sh - `make image`: the wipecert stick. A live Debian 12 (mmdebstrap,
# live-boot, GRUB) that boots on BIOS and UEFI machines straight into
# `wipecert station`, with a writable data partition for the organisation's
# configuration and the records. Debian 12 packages from the host's own
# mirror plus our .deb; nothing is downloaded from anywhere else.
#
#   build.sh OUTDIR --deb FILE      [--sources FILE] [--data-size SIZE]
#   build.sh OUTDIR --destdir DIR   (a `make install DESTDIR=` tree instead
#                                    of the .deb: its libraries' packages are
#                                    found with dpkg -S)
#
# Out: OUTDIR/wipecert-stick.img (dd it to a stick; it is an ISO 9660 image
# too, OUTDIR/wipecert-stick.iso is the same file), .manifest (every
# package and version: the inputs), .sha256. Reproducible: the same
# SOURCE_DATE_EPOCH (make image takes the last commit's), the same mirror
# content and the same .deb give the same image, byte for byte
# (docs/stick.md). Working directories are removed on every path.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR (--deb FILE | --destdir DIR) [--sources FILE] [--data-size SIZE]}
shift
deb= destdir= sources=/etc/apt/sources.list.d/debian.sources data_size=64M suite=bookworm
while [ $# -gt 0 ]; do
	case $1 in
	--deb) deb=$(realpath "$2"); shift 2 ;;
	--destdir) destdir=$(realpath "$2"); shift 2 ;;
	--sources) sources=$2; shift 2 ;;
	--data-size) data_size=$2; shift 2 ;;
	*) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$deb$destdir" ] || { echo "build.sh: --deb FILE or --destdir DIR" >&2; exit 2; }
[ -r "$sources" ] || { echo "build.sh: $sources: no apt sources (give --sources)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "build.sh: run as root (mmdebstrap, chroot)" >&2; exit 2; }
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set (make image sets it)}"
export SOURCE_DATE_EPOCH LC_ALL=C.UTF-8 TZ=UTC

mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d "$out/work.XXXXXX")
cleanup() {
	# mmdebstrap unmounts its own; a hook that failed half-way may not have
	for m in proc sys dev; do mountpoint -q "$work/rootfs/$m" 2>/dev/null && umount -R "$work/rootfs/$m"; done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
t0=$(date +%s)
step() { echo "image: $(( $(date +%s) - t0 )) s: $*" >&2; }

# the packages: the live system, the network for the central ledger, the
# Japanese locale, and wipecert (its .deb, or its libraries' packages)
# (fbterm: Japanese on the screen, which the Linux text console cannot draw)
# (zstd: initramfs-tools compresses with it, else falls back to gzip)
pkgs=linux-image-amd64,live-boot,systemd-sysv,udev,kmod,e2fsprogs,locales,systemd-resolved,iproute2,fbterm,zstd
debhook=()
if [ -n "$deb" ]; then
	# mmdebstrap's root mode cannot hand a local .deb to dpkg inside the
	# chroot (apt copies it to a /tmp the chroot does not see): its
	# dependencies are included, the package itself is installed by a hook
	deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/[[:space:]]//g' |
		grep -v '^$' | paste -sd,)
	pkgs+=",$deps"
	debhook=(--customize-hook="cp '$deb' \"\$1/tmp/wipecert.deb\" && chroot \"\$1\" dpkg -i /tmp/wipecert.deb && rm -f \"\$1/tmp/wipecert.deb\"")
else
	bin=$( (ls "$destdir"/usr/sbin/wipecert "$destdir"/usr/bin/wipecert 2>/dev/null || true) | head -n1)
	[ -n "$bin" ] || { echo "build.sh: no usr/sbin/wipecert in $destdir" >&2; exit 2; }
	# the package of each library the binary loads (usrmerge: a library may be
	# listed under /lib or /usr/lib, by its link name or its file name)
	libpkgs=$(ldd "$bin" | awk '$3 ~ /^\// {print $3}' | while read -r l; do
		r=$(realpath "$l")
		for c in "$l" "$r" "/usr${l#/usr}" "${l#/usr}" "/usr${r#/usr}" "${r#/usr}"; do
			dpkg -S "$c" 2>/dev/null && break
		done || true
	done | cut -d: -f1 | sort -u | paste -sd,)
	pkgs+=",$libpkgs,fonts-ipaexfont-gothic"
fi
export WIPECERT_IMAGE_DESTDIR=$destdir WIPECERT_IMAGE_OVERLAY=$here/rootfs

step "mmdebstrap ($suite, $(basename "$sources"))"
# the initramfs hook is in place before the kernel's package makes the initramfs
mmdebstrap --variant=minbase --mode=root --include="$pkgs" \
	--essential-hook="install -D -m 0755 '$here/rootfs/etc/initramfs-tools/hooks/wipecert-trim' \"\$1/etc/initramfs-tools/hooks/wipecert-trim\"" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/ja/*' \
	--dpkgopt='path-include=/usr/share/locale/locale.alias' \
	"${debhook[@]}" \
	--customize-hook="$here/customize.sh \"\$1\"" \
	--customize-hook='ln -sfn ../run/systemd/resolve/stub-resolv.conf "$1"/etc/resolv.conf' \
	"$suite" "$work/rootfs" "$sources"

step "manifest"
chroot "$work/rootfs" dpkg-query -W -f='${Package} ${Version} ${Architecture}\n' | sort >"$work/manifest"

step "mksquashfs"
mkdir -p "$work/iso/live"
cp "$work"/rootfs/boot/vmlinuz-* "$work/iso/live/vmlinuz"
cp "$work"/rootfs/boot/initrd.img-* "$work/iso/live/initrd.img"
echo "wipecert stick" >"$work/iso/live/wipecert-stick"
# zstd, not xz: a little larger, but read several times faster, which is
# most of the boot under QEMU's TCG and on an old PC (docs/stick.md)
mksquashfs "$work/rootfs" "$work/iso/live/filesystem.squashfs" -comp zstd -e boot -no-progress -quiet \
	-reproducible -mkfs-time "$SOURCE_DATE_EPOCH" -all-time "$SOURCE_DATE_EPOCH" -processors 2 >/dev/null
rm -rf --one-file-system "$work/rootfs"
install -D -m 0644 "$here/grub.cfg" "$work/iso/boot/grub/grub.cfg"

step "data partition ($data_size)"
"$here/data-skel.sh" "$work/data" "$data_size"

step "xorriso"
"$here/assemble.sh" "$work/iso" "$work/data/data.img" "$work/wipecert-stick.img"
mv "$work/manifest" "$out/wipecert-stick.manifest"
mv "$work/wipecert-stick.img" "$out/wipecert-stick.img"
ln -f "$out/wipecert-stick.img" "$out/wipecert-stick.iso"
(cd "$out" && sha256sum wipecert-stick.img >wipecert-stick.sha256)
step "done: $out/wipecert-stick.img $(du -m --apparent-size "$out/wipecert-stick.img" | cut -f1) MB, sha256 $(cut -c1-16 "$out/wipecert-stick.sha256")"
