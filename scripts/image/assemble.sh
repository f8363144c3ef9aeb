#!/usr/bin/env bash
# assemble.sh - the stick's hybrid image from a prepared ISO tree: GRUB for
# BIOS (El Torito + boot_hybrid MBR) and UEFI (an EFI system partition,
# also the El Torito EFI image), the ISO 9660 file system, and the data
# partition appended last. One file: dd it to a stick, or boot it as an ISO.
#
#   assemble.sh ISO_TREE DATA_IMG OUT_IMG
#
# Reproducible: every date comes from SOURCE_DATE_EPOCH (required), the FAT
# volume of the EFI partition is made with fixed values (--invariant), GRUB's
# images hold no time. Partition table: MBR only (1 ISO 9660, 2 EFI system,
# 3 Linux data), no GPT: so nothing sits after the data partition and
# `wipecert image prepare` may grow it to the end of a larger stick.
set -euo pipefail

tree=$1 data=$2 out=$3
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "$(dirname "$out")/assemble.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT

# one marker file both GRUBs search for: the stick's own tree, not a disk
# of the machine that happens to hold /boot/grub too
test -e "$tree/live/wipecert-stick" || { echo "assemble.sh: $tree/live/wipecert-stick missing" >&2; exit 1; }
cat >"$work/early.cfg" <<'CFG'
search --no-floppy --set=root --file /live/wipecert-stick
set prefix=($root)/boot/grub
CFG

mods_common="normal configfile search search_fs_file echo test linux gzio part_msdos iso9660 ext2 serial terminal"
mkdir -p "$tree/boot/grub/i386-pc" "$tree/boot/grub/x86_64-efi"
cp /usr/lib/grub/i386-pc/*.mod /usr/lib/grub/i386-pc/*.lst "$tree/boot/grub/i386-pc/"
cp /usr/lib/grub/x86_64-efi/*.mod /usr/lib/grub/x86_64-efi/*.lst "$tree/boot/grub/x86_64-efi/"
grub-mkimage -O i386-pc-eltorito -c "$work/early.cfg" -p /boot/grub \
	-o "$tree/boot/grub/i386-pc/eltorito.img" biosdisk $mods_common
grub-mkimage -O x86_64-efi -c "$work/early.cfg" -p /boot/grub \
	-o "$work/BOOTX64.EFI" part_gpt fat efi_gop efi_uga all_video $mods_common

# the EFI system partition: a small FAT with fixed serial and dates
touch -d "@$SOURCE_DATE_EPOCH" "$work/BOOTX64.EFI"
mkfs.vfat --invariant -i 57435354 -n WIPECERTEFI -C "$work/efi.img" 4096 >/dev/null
MTOOLS_SKIP_CHECK=1 mmd -i "$work/efi.img" ::/EFI ::/EFI/BOOT
MTOOLS_SKIP_CHECK=1 mcopy -m -i "$work/efi.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S00)
rm -f "$out"
xorriso -report_about WARNING -as mkisofs -o "$out" \
	-V WIPECERT_STICK -iso-level 3 -r -J -joliet-long \
	--modification-date="$date" \
	--grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img \
	-partition_offset 16 \
	-b boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 -boot-info-table --grub2-boot-info \
	-eltorito-alt-boot -e --interval:appended_partition_2:all:: -no-emul-boot \
	-append_partition 2 0xef "$work/efi.img" \
	-append_partition 3 0x83 "$data" \
	"$tree"
