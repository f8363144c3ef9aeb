#!/usr/bin/env bash
# wipe.sh - `wipecert wipe` on loop devices made here: every method leaves no
# marker and exactly its last pattern, libblkid finds nothing after, 4096-byte
# sectors, several disks at once, image files, and every refusal path.
# backing files in RAM: the loops still use O_DIRECT, the shared disk is spared
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_root
need_cmd mkfs.ext4; need_cmd blkid
export WIPECERT_STATE_DIR=$T/jobs

need_cmd jq
# fill DEV with a marker (and an ext4 signature at the start)
mark() {
	local size
	size=$(blockdev --getsize64 "$1" 2>/dev/null || stat -c %s "$1")
	yes WIPECERT-MARKER | head -c "$size" | dd of="$1" bs=1M oflag=direct conv=fsync status=none ||
		fail "cannot mark $1"
	mkfs.ext4 -q -F -E nodiscard "$1" >/dev/null 2>&1 || fail "mkfs.ext4 $1"
}
# has_marker DEV: the marker is somewhere on DEV
has_marker() { grep -q "WIPECERT-MARKER" "$1"; }
# only_byte DEV HEX: every byte of DEV is HEX
only_byte() {
	local size oct
	size=$(blockdev --getsize64 "$1")
	oct=$(printf '\\%03o' $((16#$2)))
	head -c "$size" /dev/zero | tr '\000' "$oct" | cmp -s - "$1"
}
# jget FILE FILTER: one value of a JSON document
jget() { jq -r "$2" "$1"; }

new_loop L "$T/a.img" 8M --direct-io=on

# the passes each method must write, as its standard gives them (written
# out here, not read from the code: a wrong table must not check itself)
declare -A PASSES=(
	[zero]="00" [one]="ff" [random]="random"
	[dod-short]="00 ff random" [dod]="00 ff random random 00 ff random"
	[gutmann]="random random random random 55 aa 924924 492492 249249 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 924924 492492 249249 6db6db b6db6d db6db6 random random random random"
	[hmg-is5]="00 ff random" [rcmp-ops2]="00 ff 00 ff 00 ff random"
	[schneier]="ff 00 random random random random random" [vsitr]="00 ff 00 ff 00 ff aa"
)

# every method: no marker, no signature, the right passes and last pattern on the disk, the record says so
for m in zero one random dod-short dod gutmann hmg-is5 rcmp-ops2 schneier vsitr; do
	mark "$L"
	has_marker "$L" || fail "marker not written"
	expect_rc 0 "$WIPECERT" wipe --method "$m" --confirm-serial "$L" --json "$L"
	has_marker "$L" && fail_outcome "$m: marker left on $L"
	blkid -p "$L" >/dev/null 2>&1 && fail_outcome "$m: blkid still finds $(blkid -p "$L")"
	expect_eq "$m state" "$(jget "$T/out" '.jobs[0].state')" succeeded
	expect_eq "$m last verify" "$(jget "$T/out" '.jobs[0].passes[-1].verification')" passed
	expect_eq "$m no seed in the record" "$(jget "$T/out" '.jobs[0] | has("seed")')" false
	expect_eq "$m passes" "$(jget "$T/out" '[.jobs[0].passes[].pattern] | join(" ")')" "${PASSES[$m]}"
	last=${PASSES[$m]##* }
	case $last in
	random) only_byte "$L" 00 && fail_outcome "$m: random pass left zeros" ;;
	??) only_byte "$L" "$last" || fail_outcome "$m: not all bytes are $last" ;;
	*) fail "$m: unexpected last pattern $last" ;;
	esac
	# progress events on stderr are JSON lines
	grep '^{' "$T/err" | jq -c . >/dev/null || fail "$m: progress events are not JSON lines"
	grep -q '"event":"progress"' "$T/err" || fail "$m: no progress events"
done

# verify all and sample; the job file holds the seed, mode 0600
mark "$L"
expect_rc 0 "$WIPECERT" wipe -m dod-short --verify all --confirm-serial "$L" --json "$L"
for i in 0 1 2; do
	expect_eq "verify all, pass $i" "$(jget "$T/out" ".jobs[0].passes[$i].verification")" passed
done
job=$(jget "$T/out" '.jobs[0].job_file')
expect_eq "job file mode" "$(stat -c %a "$job")" 600
jq -e .seed "$job" >/dev/null || fail "the job file has no seed"
expect_rc 0 "$WIPECERT" wipe -m zero --verify sample --sample-percent 20 --confirm-serial "$L" --json "$L"
expect_eq "sample state" "$(jget "$T/out" '.jobs[0].state')" succeeded
[ "$(jget "$T/out" '.jobs[0].sample.bytes')" -ge $(( (8 << 20) / 5 )) ] || fail "sample too small"

# refusals: exit 3, nothing written to the disk, no job recorded
mark "$L"
mkdir -p "$T/jobs"
expect_refused 3 "not confirmed" "$L" "dir:$T/jobs" -- "$WIPECERT" wipe -m zero "$L" </dev/null
expect_refused 3 "not confirmed" "$L" "dir:$T/jobs" -- "$WIPECERT" wipe -m zero --confirm-serial WRONG "$L"
# a serial-less disk is confirmed by its path: another disk's path is not it
expect_refused 3 "not confirmed" "$L" "dir:$T/jobs" -- "$WIPECERT" wipe -m zero --confirm-serial /dev/loop999 "$L"
expect_refused 0 "" "$L" "dir:$T/jobs" -- "$WIPECERT" wipe -m zero --dry-run "$L"
expect_msg "dry run" "$T/out"
has_marker "$L" || fail_outcome "a refused or dry-run wipe wrote to $L"
expect_rc 2 "$WIPECERT" wipe -m nonsense --confirm-serial "$L" "$L"
expect_rc 2 "$WIPECERT" wipe --verify maybe "$L"
expect_rc 2 "$WIPECERT" wipe
expect_rc 2 "$WIPECERT" wipe -m zero "$L" "$L"
expect_rc 0 "$WIPECERT" wipe --help
expect_rc 0 "$WIPECERT" wipe --list-methods
grep -q '^gutmann' "$T/out" || fail "--list-methods has no gutmann"
mkdir "$T/mnt"
mount "$L" "$T/mnt" 2>/dev/null || fail "mount"
MOUNTS+=("$T/mnt")
# (not the disk's bytes while mounted: ext4 itself writes to it; the marker
# is checked after the unmount)
expect_refused 3 "mounted" "dir:$T/jobs" -- "$WIPECERT" wipe -m zero --confirm-serial "$L" "$L"
umount "$T/mnt"
has_marker "$L" || fail_outcome "a refused wipe wrote to $L"

# 4096-byte sectors, and two disks at once (one of them an image file)
new_loop L4 "$T/b.img" 8M --direct-io=on --sector-size 4096
truncate -s 6M "$T/c.img"
mark "$L4"
expect_rc 0 "$WIPECERT" wipe -m schneier --confirm-serial "$L4" --confirm-serial "$T/c.img" --json "$L4" "$T/c.img"
expect_eq "4k sector" "$(jget "$T/out" '.jobs[0].device.logical_sector')" 4096
expect_eq "loop state" "$(jget "$T/out" '.jobs[0].state')" succeeded
expect_eq "image state" "$(jget "$T/out" '.jobs[1].state')" succeeded
expect_eq "image transport" "$(jget "$T/out" '.jobs[1].device.transport')" file
has_marker "$L4" && fail_outcome "marker left on $L4"

# a target that cannot be wiped refuses the whole command before anything is written
mark "$L4"
expect_refused 3 "/nonexistent" "$L4" "dir:$T/jobs" -- "$WIPECERT" wipe -m zero --confirm-serial "$L4" "$L4" /nonexistent
has_marker "$L4" || fail_outcome "one bad target, yet $L4 was written"
exit 0
