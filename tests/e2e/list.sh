#!/usr/bin/env bash
# list.sh - `wipecert list` on loop devices made here: exact size, libblkid's
# findings, partition tables, the safety states, and bad input.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd mkfs.ext4; need_cmd mkfs.vfat; need_cmd sfdisk; need_cmd jq

new_loop L "$T/a.img" 48M
name=${L#/dev/}
expect_rc 0 "$WIPECERT" list --json "$L"
expect_eq "size" "$(json_get "$T/out" 'd["disks"][0]["size"]')" 50331648
expect_eq "transport" "$(json_get "$T/out" 'd["disks"][0]["transport"]')" loop
expect_eq "backing" "$(json_get "$T/out" 'd["disks"][0]["backing_file"]')" "$T/a.img"
expect_eq "state of a fresh loop" "$(json_get "$T/out" 'd["disks"][0]["state"]')" ok

# options may follow the device, and give the same document
mv "$T/out" "$T/first.json"
expect_rc 0 "$WIPECERT" list "$L" --json
cmp -s "$T/first.json" "$T/out" || fail "list DEV --json differs from list --json DEV"
expect_rc 0 "$WIPECERT" list "$L" -r -n -o name
expect_eq "list DEV -o" "$(cat "$T/out")" "$name"
# every field is there, with its JSON type (libsmartcols writes the document)
expect_rc 0 "$WIPECERT" list --json "$L"
expect_eq "json types" "$(jq -c '.disks[0] | [(.size|type), (.rotational|type), (.content|type),
	(.holders|type), (.model|type), (.serial|type), (.capabilities|type)]' "$T/out")" \
	'["number","boolean","array","array","string","null","null"]'
expect_eq "json fields" "$(jq -c '.disks[0] | keys_unsorted' "$T/out")" \
	'["name","path","model","vendor","serial","wwn","firmware","size","logical_sector_size","physical_sector_size","transport","rotational","removable","readonly","pttype","ptuuid","content","holders","backing_file","state","state_reason","capabilities"]'

# the whole scan lists it too, with the same size
expect_rc 0 "$WIPECERT" list -r -n -b -o name,size,state
grep -qx "$name 50331648 ok" "$T/out" || fail "scan does not show '$name 50331648 ok': $(cat "$T/out")"

# a file system with a label
mkfs.ext4 -q -L wctest "$L" || fail mkfs.ext4
expect_rc 0 "$WIPECERT" list --json "$L"
expect_eq "fs type" "$(json_get "$T/out" 'd["disks"][0]["content"][0]["type"]')" ext4
expect_eq "fs label" "$(json_get "$T/out" 'd["disks"][0]["content"][0]["label"]')" wctest
expect_eq "fs usage" "$(jq -r '.disks[0].content[0].usage' "$T/out")" filesystem
mkfs.vfat -n WCVFAT "$L" >/dev/null || fail mkfs.vfat
expect_rc 0 "$WIPECERT" list -r -n -o content "$L"
expect_eq "vfat content" "$(cat "$T/out")" "vfat[WCVFAT]"

# mounted (ext4 again: not every kernel here has vfat)
mkfs.ext4 -q "$L" || fail mkfs.ext4
mkdir "$T/mnt"
mount "$L" "$T/mnt" || fail mount
MOUNTS+=("$T/mnt")
expect_rc 0 "$WIPECERT" list --json "$L"
expect_eq "state when mounted" "$(json_get "$T/out" 'd["disks"][0]["state"]')" mounted
expect_eq "reason" "$(json_get "$T/out" 'd["disks"][0]["state_reason"]')" "mounted on $T/mnt"
umount "$T/mnt"

# held open exclusively by another program
python3 -c 'import os,sys,time; os.open(sys.argv[1], os.O_RDONLY|os.O_EXCL); print("x", flush=True); time.sleep(30)' "$L" >"$T/held" &
holder=$!
for _ in $(seq 50); do [ -s "$T/held" ] && break; sleep 0.1; done
expect_rc 0 "$WIPECERT" list -r -n -o state "$L"
kill $holder; wait $holder 2>/dev/null
expect_eq "state when open O_EXCL elsewhere" "$(cat "$T/out")" in-use

# a partitioned loop: its table type and each partition's file system
# (past the first loop device, nothing here may skip: a missing partition
# node is a failure, not a reason to stop checking quietly)
truncate -s 64M "$T/b.img" || fail "truncate $T/b.img"
L2=$(losetup -f --show -P "$T/b.img") || fail "losetup -P: a second loop device"
LOOPS+=("$L2")
printf 'label: gpt\n,16M\n,\n' | sfdisk -q "$L2" >/dev/null || fail sfdisk
partx -u "$L2" 2>/dev/null || partx -a "$L2" 2>/dev/null
for _ in $(seq 50); do [ -b "${L2}p2" ] && break; sleep 0.1; done
[ -b "${L2}p2" ] || fail "the kernel made no partition nodes for $L2 (losetup -P, partx)"
mkfs.ext4 -q -L part2 "${L2}p2" || fail "mkfs on ${L2}p2"
expect_rc 0 "$WIPECERT" list --json "$L2"
expect_eq "pttype" "$(json_get "$T/out" 'd["disks"][0]["pttype"]')" gpt
expect_eq "partition fs" "$(json_get "$T/out" '[c["label"] for c in d["disks"][0]["content"] if c["device"]=="'"${L2}p2"'"][0]')" part2
mount "${L2}p2" "$T/mnt" || fail "mount ${L2}p2"
MOUNTS+=("$T/mnt")
expect_rc 0 "$WIPECERT" list -r -n -o state "$L2"
expect_eq "state with a mounted partition" "$(cat "$T/out")" mounted
umount "$T/mnt"

# the machine's root file system is on a disk reported as system
rootdev=$(findmnt -n -o MAJ:MIN /)
expect_rc 0 "$WIPECERT" list --json
sys=$(json_get "$T/out" '" ".join(x["name"] for x in d["disks"] if x["state"]=="system")')
[ -n "$sys" ] || fail "no disk reported as system (root is on $rootdev)"

# an image file
truncate -s 1M "$T/plain.img"
expect_rc 0 "$WIPECERT" list -r -n -b -o tran,size,state "$T/plain.img"
expect_eq "image file" "$(cat "$T/out")" "file 1048576 ok"

# an image file that a loop device maps is held by it
expect_rc 0 "$WIPECERT" list -n -o state,reason "$T/a.img"
expect_eq "image behind a loop" "$(sed "s/  */ /g" "$T/out")" "held backing file of $L"

# bad input: one line naming the problem, exit 2 for usage, 1 for a device
expect_rc 2 "$WIPECERT" list --frobnicate
grep -qx "wipecert: unknown option '--frobnicate'; try 'wipecert list --help'" "$T/err" || fail "no one-line message for a bad option: $(cat "$T/err")"
expect_rc 2 "$WIPECERT" list -o name,nosuchcol
grep -q "unknown column 'nosuchcol'" "$T/err" || fail "no message for a bad column"
expect_rc 1 "$WIPECERT" list /dev/does-not-exist
grep -q "^wipecert: /dev/does-not-exist: cannot examine: No such file or directory$" "$T/err" || fail "bad message: $(cat "$T/err")"
expect_rc 1 "$WIPECERT" list /dev/null
expect_rc 2 "$WIPECERT" frobnicate
expect_rc 2 "$WIPECERT"
expect_rc 0 "$WIPECERT" --version
expect_rc 0 "$WIPECERT" list --help
exit 0
