#!/usr/bin/env bash
# run-guest.sh - run one command inside a throw-away QEMU guest (Debian's
# kernel, a busybox initramfs, TCG) whose disks are EMULATED drives backed by
# sparse image files: NVMe, SATA (ICH9 AHCI) and SCSI (virtio-scsi). It never
# hands a host block device to the guest.
#
# Usage: tests/qemu/run-guest.sh [OPTION]... -- COMMAND [ARG]...
#
#   --nvme SIZE | --nvme-image FILE   an NVMe disk: fresh sparse SIZE, or a copy of FILE
#   --nvme2 ..., --nvme3 ...          a second and a third NVMe controller, each
#                     with one namespace (so a check can keep one disk for itself)
#   --sata SIZE | --sata-image FILE   a SATA disk
#   --scsi SIZE | --scsi-image FILE   a SCSI disk
#   --keep DIR        keep the disks as DIR/{nvme,nvme2,nvme3,sata,scsi}.img and the console
#                     as DIR/console.log (else everything is deleted)
#   --copy PATH       PATH at the same place in the guest; an ELF brings its
#                     shared libraries and loader along (ldd)
#   --timeout SECONDS kill the guest after this long (default 120)
#   --qemu-arg ARG    one more QEMU argument (repeat), e.g. -qmp unix:SOCK,server=on,wait=off
#                     for hot-plug with qmp.py
#   --verbose         show the kernel's boot messages too
#
# Serials: NVMe WCNVME0001 (nvme2: WCNVME0002, nvme3: WCNVME0003), SATA
# WCSATA0001 (model "WIPECERT SATA DISK"), SCSI WCSCSI0001. COMMAND runs
# under busybox sh as root, stdin /dev/null, in a directory of the caller's
# path, with NVME_DEV, NVME_CTRL (NVME2_DEV, NVME2_CTRL, NVME3_DEV,
# NVME3_CTRL), SATA_DEV and SCSI_DEV naming the nodes, each NVMe disk found
# by its controller's serial. Its output reaches our stdout.
#
# Exit status: COMMAND's; 125 when this script failed (usage, missing tool,
# boot, timeout). The kernel is fetched once with `apt-get download` and
# unpacked (never installed) into $WIPECERT_QEMU_CACHE (default
# /var/tmp/wipecert-qemu, the layout ../shared/qemu/run-guest.sh uses too).
set -euo pipefail

readonly MODULES=(sd_mod sg ahci virtio_pci virtio_scsi nvme)
cache=${WIPECERT_QEMU_CACHE:-${RUN_GUEST_CACHE:-/var/tmp/wipecert-qemu}}
timeout_s=120 verbose=0 keep="" work=""
declare -A size=() image=()
copies=() cmd=() extra=()

fail() { echo "run-guest: $*" >&2; exit 125; }
say() { echo "run-guest: $*" >&2; }
# shellcheck disable=SC2317 # the EXIT trap
cleanup() { [ -z "$work" ] || rm -rf -- "$work"; }

while [ $# -gt 0 ]; do
	case $1 in
	--nvme | --nvme2 | --nvme3 | --sata | --scsi) [ $# -ge 2 ] || fail "$1 needs a size"; size[${1#--}]=$2; shift 2 ;;
	--nvme-image | --nvme2-image | --nvme3-image | --sata-image | --scsi-image)
		[ $# -ge 2 ] || fail "$1 needs a file"; b=${1#--}; image[${b%-image}]=$2; shift 2 ;;
	--keep) [ $# -ge 2 ] || fail "--keep needs a directory"; keep=$2; shift 2 ;;
	--copy) [ $# -ge 2 ] || fail "--copy needs a path"; copies+=("$2"); shift 2 ;;
	--timeout) [ $# -ge 2 ] || fail "--timeout needs seconds"; timeout_s=$2; shift 2 ;;
	--qemu-arg) [ $# -ge 2 ] || fail "--qemu-arg needs an argument"; extra+=("$2"); shift 2 ;;
	--verbose) verbose=1; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
	--) shift; break ;;
	*) fail "unknown option '$1' (try --help)" ;;
	esac
done
[ $# -gt 0 ] || fail "no COMMAND after --"
cmd=("$@")

for tool in qemu-system-x86_64 cpio depmod xz ldd; do
	command -v "$tool" >/dev/null || fail "$tool is missing (Debian: qemu-system-x86 cpio kmod xz-utils)"
done
[ -x /bin/busybox ] || fail "/bin/busybox is missing (Debian: busybox-static)"

# ---- the kernel: once, into the cache ---------------------------------------
fetch_kernel() {
	local pkg tmp deb v
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || fail "apt knows no linux-image-amd64 (run apt-get update)"
	tmp=$cache/.new.$$
	rm -rf -- "$tmp"; mkdir -p "$tmp"
	say "downloading $pkg into $cache (first run only)"
	(cd "$tmp" && apt-get -q download -o APT::Sandbox::User=root "$pkg" >&2) || { rm -rf -- "$tmp"; fail "apt-get download $pkg failed"; }
	deb=$(echo "$tmp"/*.deb)
	dpkg -x "$deb" "$tmp/root"; rm -f -- "$deb"
	v=$(basename "$(echo "$tmp"/root/boot/vmlinuz-*)"); v=${v#vmlinuz-}
	depmod -b "$tmp/root" "$v"
	mv -- "$tmp" "$cache/$pkg"
	touch "$cache/$pkg/ready"
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
compgen -G "$cache/linux-image-*/ready" >/dev/null || fetch_kernel
kdir=$(dirname "$(compgen -G "$cache/linux-image-*/ready" | sort -V | tail -n 1)")
vmlinuz=$(echo "$kdir"/root/boot/vmlinuz-*)
kv=${vmlinuz##*/vmlinuz-}
moddir=$kdir/root/lib/modules/$kv
[ -f "$moddir/modules.dep" ] || fail "broken kernel cache $kdir: remove it"
# An uncompressed vmlinux boots through QEMU's PVH entry: no BIOS, no
# decompressor under TCG (about 3.5 s to power-off instead of 6 s).
if [ ! -f "$kdir/vmlinux" ]; then
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$vmlinuz" | head -n 1 | cut -d: -f1) || true
	if [ -n "$off" ]; then
		tail -c +"$((off + 1))" "$vmlinuz" | xz -dcq >"$kdir/vmlinux.$$" 2>/dev/null || true
		if [ "$(head -c 4 "$kdir/vmlinux.$$" | tail -c 3)" = ELF ]; then
			mv -- "$kdir/vmlinux.$$" "$kdir/vmlinux"
		fi
	fi
	rm -f -- "$kdir/vmlinux.$$"
fi
exec 9>&-
kernel=$vmlinuz
[ -f "$kdir/vmlinux" ] && kernel=$kdir/vmlinux

work=$(mktemp -d "${TMPDIR:-/tmp}/wipecert-guest.XXXXXX")
trap cleanup EXIT
root=$work/root
mkdir -p "$root/bin" "$root/lib/modules/$kv"
: >"$work/order"

# ---- the initramfs ------------------------------------------------------------
# a module and (first) everything modules.dep says it needs, uncompressed
add_module() {
	local name=$1 line path dep
	line=$(grep -E "/${name//[-_]/[-_]}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n 1) || true
	if [ -z "$line" ]; then
		grep -qE "/${name//[-_]/[-_]}\.ko" "$moddir/modules.builtin" && return 0
		fail "kernel module $name not found in $kv"
	fi
	path=${line%%:*}
	grep -qxF "${path%.ko*}.ko" "$work/order" && return 0
	for dep in ${line#*:}; do dep=${dep##*/}; add_module "${dep%%.ko*}"; done
	mkdir -p "$root/lib/modules/$kv/$(dirname "$path")"
	case $path in
	*.xz) xz -dc "$moddir/$path" ;;
	*.zst) zstd -qdc "$moddir/$path" ;;
	*.gz) gzip -dc "$moddir/$path" ;;
	*) cat "$moddir/$path" ;;
	esac >"$root/lib/modules/$kv/${path%.ko*}.ko"
	echo "${path%.ko*}.ko" >>"$work/order"
}

# a file at the same path, with the libraries ldd names for an ELF
add_file() {
	local src=$1 f lib
	[ -e "$src" ] || fail "--copy $src: no such file"
	mkdir -p "$root$(dirname "$(realpath -s "$src")")"
	cp -rL --preserve=mode -- "$src" "$root$(realpath -s "$src")"
	while IFS= read -r -d '' f; do
		[ "$(head -c 4 "$f" | tail -c 3 | tr -d "\0")" = ELF ] || continue
		for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L -- "$lib" "$root$lib"
		done
		if ldd "$f" 2>/dev/null | grep -q 'not found'; then fail "$f: a library is missing: $(ldd "$f" | grep 'not found')"; fi
	done < <(find -L "$src" -type f -print0)
}

q() { local w s="'\\''"; for w in "$@"; do printf "'%s' " "${w//\'/$s}"; done; }

cp /bin/busybox "$root/bin/busybox"
for m in "${MODULES[@]}"; do add_module "$m"; done
cp "$work/order" "$root/lib/modules/$kv/order"
for f in "${copies[@]}"; do add_file "$f"; done
nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
{
	echo '#!/bin/busybox sh'
	echo "nonce=$nonce kv=$kv cwd=$(q "$PWD")"
	echo "want='${!size[*]} ${!image[*]}'"
	echo "run_cmd() { $(q "${cmd[@]}"); }"
	cat <<'EOF'
/bin/busybox --install -s /bin
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/lib/modules/$kv/$m" || echo "guest: insmod $m failed"; done <"/lib/modules/$kv/order"
NVME_DEV= NVME_CTRL= NVME2_DEV= NVME2_CTRL= NVME3_DEV= NVME3_CTRL= SATA_DEV= SCSI_DEV=
scan() {
	for b in /sys/block/*; do
		case $(readlink -f "$b") in
		*/nvme/nvme*)
			d=/dev/${b##*/}
			case $(cat "$b/device/serial" 2>/dev/null) in
			WCNVME0002*) NVME2_DEV=$d; NVME2_CTRL=${d%n*} ;;
			WCNVME0003*) NVME3_DEV=$d; NVME3_CTRL=${d%n*} ;;
			*) NVME_DEV=$d; NVME_CTRL=${d%n*} ;;
			esac ;;
		*/ata[0-9]*) SATA_DEV=/dev/${b##*/} ;;
		*/virtio[0-9]*) SCSI_DEV=/dev/${b##*/} ;;
		esac
	done
	for w in $want; do
		case $w in nvme) [ -b "$NVME_DEV" ] ;; nvme2) [ -b "$NVME2_DEV" ] ;; nvme3) [ -b "$NVME3_DEV" ] ;; sata) [ -b "$SATA_DEV" ] ;; scsi) [ -b "$SCSI_DEV" ] ;; esac || return 1
	done
}
i=0
until scan; do i=$((i + 1)); [ $i -lt 300 ] || { echo "guest: a disk did not appear"; break; }; sleep 0.1; done
export NVME_DEV NVME_CTRL NVME2_DEV NVME2_CTRL NVME3_DEV NVME3_CTRL SATA_DEV SCSI_DEV
echo 1 >/proc/sys/kernel/printk
mkdir -p "$cwd"; cd "$cwd"
echo "guest-start:$nonce"
(run_cmd) </dev/null
echo "guest-exit:$nonce:$?"
sync
poweroff -f
EOF
} >"$root/init"
chmod 755 "$root/init"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$work/initrd"

# ---- disks and the run ------------------------------------------------------------
imgdir=$work
if [ -n "$keep" ]; then mkdir -p -- "$keep"; imgdir=$(realpath -- "$keep"); fi
# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer
# check can miss its ticks and panic ("IO-APIC + timer doesn't work", seen
# once in nine station_qemu.sh runs beside five other builds)
args=(-accel tcg -machine pc -m 512 -smp 1 -nodefaults -no-user-config -display none
	-serial stdio -no-reboot -kernel "$kernel" -initrd "$work/initrd"
	-append "console=ttyS0 quiet panic=-1 no_timer_check rdinit=/init")
for bus in nvme nvme2 nvme3 sata scsi; do
	img=$imgdir/$bus.img
	if [ -n "${image[$bus]:-}" ]; then
		[ -f "${image[$bus]}" ] || fail "--$bus-image ${image[$bus]}: not a regular file"
		[ "${image[$bus]}" -ef "$img" ] || cp --sparse=always -- "${image[$bus]}" "$img"
	elif [ -n "${size[$bus]:-}" ]; then
		rm -f -- "$img"; truncate -s "${size[$bus]}" -- "$img" || fail "--$bus ${size[$bus]}: bad size"
	else
		continue
	fi
	[ -f "$img" ] && [ ! -L "$img" ] || fail "$img: not a regular file"
	args+=(-drive "file=${img//,/,,},if=none,id=$bus,format=raw,discard=unmap")
	case $bus in
	nvme) args+=(-device nvme,serial=WCNVME0001,drive=nvme) ;;
	nvme2) args+=(-device nvme,serial=WCNVME0002,drive=nvme2) ;;
	nvme3) args+=(-device nvme,serial=WCNVME0003,drive=nvme3) ;;
	sata) args+=(-device ich9-ahci,id=ahci -device "ide-hd,drive=sata,bus=ahci.0,serial=WCSATA0001,model=WIPECERT SATA DISK") ;;
	scsi) args+=(-device virtio-scsi-pci,id=vscsi -device scsi-hd,drive=scsi,bus=vscsi.0,serial=WCSCSI0001) ;;
	esac
done

args+=("${extra[@]}")
t0=$EPOCHREALTIME
set +e
# mawk reads its input in blocks unless told otherwise: the guest's output
# must reach the caller as it comes (a hot-plug test acts on it)
awk_live=()
if awk -W version 2>&1 | grep -q mawk; then awk_live=(-W interactive); fi
timeout -k 5 "$timeout_s" qemu-system-x86_64 "${args[@]}" </dev/null 2>&1 | tee "$work/console" |
	awk "${awk_live[@]}" -v n="$nonce" -v on="$verbose" '{ gsub(/\r/, "") }
		index($0, "guest-exit:" n ":") { on = 0; next }
		index($0, "guest-start:" n) { on = 1; next }
		on { print; fflush() }'
qstatus=${PIPESTATUS[0]}
set -e
[ -z "$keep" ] || cp -- "$work/console" "$imgdir/console.log"
rc=$(tr -d '\r' <"$work/console" | grep -ao "guest-exit:$nonce:[0-9]*" | tail -n 1 | cut -d: -f3) || true
if [ -z "$rc" ]; then
	tail -n 20 "$work/console" | tr -d '\r' | sed 's/^/console: /' >&2
	[ "$qstatus" = 124 ] && fail "timed out after ${timeout_s}s"
	fail "the guest reported no exit status (qemu status $qstatus)"
fi
say "exit $rc; guest ran $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
exit "$rc"
