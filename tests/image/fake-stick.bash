# fake-stick.bash - sourced: fake_stick OUT makes a small wipecert stick
# image the way `make image` lays one out (scripts/image/assemble.sh and
# data-skel.sh: MBR, ISO 9660 WIPECERT_STICK, EFI system partition, an
# ext4 WIPECERT-DATA partition last) around a tree with no system in it:
# seconds instead of minutes, for the tests of `image prepare`.
fake_stick() {
	local out=$1 d
	d=$(mktemp -d "$T/fake.XXXXXX")
	mkdir -p "$d/tree/live" "$d/tree/boot/grub"
	echo "wipecert stick" >"$d/tree/live/wipecert-stick"
	echo "# fake" >"$d/tree/boot/grub/grub.cfg"
	SOURCE_DATE_EPOCH=1700000000 "$TOP/scripts/image/data-skel.sh" "$d/data" 16M || fail "data-skel.sh"
	SOURCE_DATE_EPOCH=1700000000 "$TOP/scripts/image/assemble.sh" "$d/tree" "$d/data/data.img" "$out" \
		>/dev/null 2>&1 || fail "assemble.sh"
	rm -rf "$d"
}

# data_offset IMG: the data partition's start in bytes (MBR entry 3)
data_offset() { echo $(( $(od -An -tu4 -j $((446 + 32 + 8)) -N4 "$1") * 512 )); }
# data_size IMG: its size in bytes
data_size() { echo $(( $(od -An -tu4 -j $((446 + 32 + 12)) -N4 "$1") * 512 )); }
# data_part IMG OUT: the data partition copied out as a file (for debugfs)
data_part() {
	dd if="$1" of="$2" bs=1M iflag=skip_bytes,count_bytes skip="$(data_offset "$1")" count="$(data_size "$1")" \
		status=none
}
# system_sum IMG: sha256 of everything between the partition table (which
# prepare writes: the data partition's size) and the data partition
system_sum() { head -c "$(data_offset "$1")" "$1" | tail -c +513 | sha256sum | cut -d' ' -f1; }
