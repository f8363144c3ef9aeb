#!/usr/bin/env bash
# holders.sh - a disk that anything sits on is refused, and left byte for
# byte as it was: a loop device over it (loop-on-loop, the shape of
# dm-linear, LVM or RAID over a disk), swap on it or on a loop over it, an
# LVM physical volume (pvcreate), an MD RAID member (mdadm's superblock), a
# bcache device (make-bcache), a disk that cannot be opened (nodev in a
# mount namespace); and the check is made again right before the open.
# The zram writeback holder is proved on a sysfs fixture in test_disk: this
# kernel has no CONFIG_ZRAM_WRITEBACK (checked below, so the note cannot lie).
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq; need_cmd cmp; need_cmd mkswap; need_cmd swapon; need_cmd pvcreate
need_cmd mdadm; need_cmd make-bcache; need_cmd unshare; need_cmd blkid
python3 -c 'import pexpect' 2>/dev/null || fail "python3-pexpect is not installed (scripts/install-deps.sh)"
export WIPECERT_STATE_DIR=$T/jobs

SWAPS=()
UPPER=
cleanup_holders() {
	local s
	for s in "${SWAPS[@]}"; do swapoff "$s" 2>/dev/null; done
	[ -n "$UPPER" ] && [ -s "$UPPER" ] && losetup -d "$(cat "$UPPER")" 2>/dev/null
	cleanup
}
trap cleanup_holders EXIT

# fill DEV with data that is not zero, so that a wipe would show
fill() { head -c "$2" /dev/urandom | dd of="$1" bs=1M conv=fsync status=none || fail "fill $1"; }
# expect_held_refused DEV WHAT STATE REASON-PATTERN [BYTES]: list names the state
# and the reason, wipe exits 3 naming it, and DEV reads back as it was before
# (its first BYTES only, where the kernel itself may write the rest: swap)
expect_held_refused() {
	local dev=$1 what=$2 state=$3 pat=$4 n=${5:-} copy="$T/before.img"
	cat "$dev" >"$copy" || fail "$what: cannot copy $dev"
	expect_rc 0 "$WIPECERT" list --json "$dev"
	expect_eq "$what: state" "$(jq -r '.disks[0].state' "$T/out")" "$state"
	jq -r '.disks[0].state_reason' "$T/out" | grep -q -- "$pat" ||
		fail "$what: reason '$(jq -r '.disks[0].state_reason' "$T/out")' does not say '$pat'"
	expect_rc 3 "$WIPECERT" wipe --verify off --confirm-serial "$dev" "$dev"
	grep -q "refused: $state (.*$pat" "$T/err" || fail "$what: wipe's refusal does not say '$state' and '$pat': $(cat "$T/err")"
	cmp -s ${n:+-n "$n"} "$dev" "$copy" || fail_outcome "$what: $dev changed although wipe was refused"
}

# kernels without zram writeback have no backing_dev attribute to set
for z in /sys/block/zram*; do
	[ -e "$z/backing_dev" ] && fail "$z has backing_dev: write the real zram writeback case here"
done
echo "NOTE: no zram writeback in this kernel; test_disk proves the zram holder on a fixture" >&2

# --- loop on loop: the lower device is held by the upper one ---
new_loop LO "$T/lower.img" 8M
fill "$LO" 8M
UP=$(losetup -f --show "$LO") || fail "a loop device over $LO"
LOOPS+=("$UP")
expect_held_refused "$LO" "loop-on-loop" held "held by ${UP#/dev/} (a loop device mapping it)"
expect_rc 0 "$WIPECERT" list --json "$UP"
expect_eq "the upper loop is not held" "$(jq -r '.disks[0].state' "$T/out")" ok
expect_rc 0 "$WIPECERT" list --json "$LO"
expect_eq "holders of the lower loop" "$(jq -r '.disks[0].holders | join(",")' "$T/out")" "${UP#/dev/}"
# the scan says the same as the single look
expect_rc 0 "$WIPECERT" list -r -n -o name,state
grep -qx "${LO#/dev/} held" "$T/out" || fail "scan: $(cat "$T/out")"
grep -qx "${UP#/dev/} ok" "$T/out" || fail "scan: $(cat "$T/out")"
# an image file behind the lower loop is held too (loop's regular backing file)
expect_rc 0 "$WIPECERT" list --json "$T/lower.img"
expect_eq "image under two loops" "$(jq -r '.disks[0] | .state + " " + .state_reason' "$T/out")" "held backing file of $LO"

# --- swap on a loop over the second half: the lower one holds active swap.
# The kernel may page out into an active swap area at any time (it did,
# under load), so what must stay as it was is the first half of the lower
# device and the swap header: a wipe would have written both ---
detach_loop "$UP"
UP=$(losetup -f --show --offset 4M "$LO") || fail "a loop device over the second half of $LO"
LOOPS+=("$UP")
mkswap -q "$UP" >/dev/null || fail "mkswap $UP"
swapon "$UP" || fail "swapon $UP"
SWAPS+=("$UP")
expect_held_refused "$LO" "swap on a loop over it" system "holds active swap ($UP)" $((4096 * 1024 + 4096))
# --- and swap directly on a loop device ---
expect_held_refused "$UP" "swap directly on it" system "holds active swap ($UP)" 4096
swapoff "$UP" || fail "swapoff $UP"
SWAPS=()
detach_loop "$UP"
expect_rc 0 "$WIPECERT" list -r -n -o state "$LO"
expect_eq "the lower loop once the upper is gone" "$(cat "$T/out")" ok

# --- the check is made again right before the open: a loop device put
# over the disk while wipe waits for the operator's confirmation ---
fill "$LO" 8M
cat "$LO" >"$T/before.img"
UPPER="$T/upper-name"
python3 - "$WIPECERT" "$LO" "$UPPER" <<'EOF' || fail "the re-check before the open"
import pexpect, subprocess, sys
w, dev, upper = sys.argv[1:]
p = pexpect.spawn(w, ["wipe", "--verify", "off", dev], timeout=60, encoding="utf-8")
p.expect("Type the path .* to confirm: ")
name = subprocess.check_output(["losetup", "-f", "--show", dev], text=True).strip()
open(upper, "w").write(name)
p.sendline(dev)
p.expect("refused: no longer safe to write: held \\(held by %s " % name.split("/")[-1])
p.expect(pexpect.EOF)
p.close()
if p.exitstatus != 3:
    sys.exit("wipe exit %s, want 3" % p.exitstatus)
EOF
cmp -s "$LO" "$T/before.img" || fail "$LO changed although the re-check refused it"
losetup -d "$(cat "$UPPER")" || fail "detach the upper loop"
rm -f "$UPPER"

# --- an LVM physical volume, made by pvcreate; LVM's configuration,
# archive and devices file live in $T, and its filter sees only our loop,
# so the host's volume groups are never looked at ---
new_loop PV "$T/pv.img" 16M
fill "$PV" 16M
mkdir -p "$T/lvm"
cat >"$T/lvm/lvm.conf" <<EOF
devices { filter = [ "a|^$PV\$|", "r|.*|" ] obtain_device_list_from_udev = 0 use_devicesfile = 0 }
backup { backup = 0 archive = 0 }
EOF
LVM_SYSTEM_DIR="$T/lvm" pvcreate -q "$PV" >/dev/null 2>"$T/lvm.err" || fail "pvcreate: $(cat "$T/lvm.err")"
blkid -p -o value -s TYPE "$PV" | grep -qx LVM2_member || fail "blkid does not see the PV pvcreate made"
expect_held_refused "$PV" "LVM physical volume" member "LVM physical volume (LVM2_member signature); pass --force-member LVM2_member"
# forcing the wrong member type is no confirmation
expect_rc 3 "$WIPECERT" wipe --verify off --force-member linux_raid_member --confirm-serial "$PV" "$PV"
cmp -s "$PV" "$T/before.img" || fail "$PV changed under --force-member of another type"
# naming it is: the wipe runs, and libblkid (ours and blkid's) finds nothing left
expect_rc 0 "$WIPECERT" wipe --verify last --force-member LVM2_member --confirm-serial "$PV" "$PV"
[ -z "$(blkid -p -o value -s TYPE "$PV")" ] || fail "a signature is left after the forced wipe"

# --- an MD RAID member: mdadm cannot create an array without the kernel's
# md driver, so its 1.2 superblock is written by a fixture and checked by
# mdadm --examine and blkid ---
new_loop MD "$T/md.img" 16M
fill "$MD" 16M
python3 tests/fixtures/md/md-member.py "$MD" || fail "md superblock fixture"
mdadm --examine "$MD" >"$T/examine" 2>&1 || fail "mdadm --examine: $(cat "$T/examine")"
grep -q "Checksum : .* - correct" "$T/examine" || fail "mdadm: $(cat "$T/examine")"
expect_held_refused "$MD" "MD RAID member" member "MD RAID member (linux_raid_member signature)"

# --- a bcache backing device, made by make-bcache ---
new_loop BC "$T/bcache.img" 16M
fill "$BC" 16M
make-bcache -B "$BC" >/dev/null || fail "make-bcache"
expect_held_refused "$BC" "bcache device" member "bcache backing or cache device (bcache signature)"

# --- a disk that cannot be opened (EACCES: the device node sits on a nodev
# mount in a mount namespace of its own) is listed "unknown" with the
# reason, the rest of the scan goes on, and wipe refuses it ---
new_loop NA "$T/na.img" 8M
fill "$NA" 8M
cat "$NA" >"$T/before.img"
unshare -m --propagation private bash -c '
	mount --bind "$1" "$1" && mount -o remount,bind,nodev "$1" || exit 99
	"$2" list --json >"$3/out" 2>"$3/err"; echo $? >"$3/rc.list"
	"$2" list --json "$1" >"$3/one.json" 2>>"$3/err"
	"$2" wipe --verify off --confirm-serial "$1" "$1" >/dev/null 2>"$3/wipe.err"; echo $? >"$3/rc.wipe"
' _ "$NA" "$WIPECERT" "$T"
rc=$?
[ "$rc" -eq 99 ] && fail "cannot bind-mount $NA nodev in a mount namespace"
expect_eq "list exit with an unreadable disk" "$(cat "$T/rc.list")" 0
expect_eq "the unreadable disk in the scan" \
	"$(jq -r --arg p "$NA" '.disks[] | select(.path == $p) | .state + " " + .state_reason' "$T/out")" \
	"unknown cannot open $NA: Permission denied (EACCES)"
expect_eq "another disk in the same scan" \
	"$(jq -r --arg p "$LO" '.disks[] | select(.path == $p) | .state' "$T/out")" ok
expect_eq "list DEV json state" "$(jq -r '.disks[0].state' "$T/one.json")" unknown
expect_eq "wipe of an unreadable disk" "$(cat "$T/rc.wipe")" 3
grep -q "refused: unknown (cannot open $NA: Permission denied" "$T/wipe.err" || fail "wipe: $(cat "$T/wipe.err")"
cmp -s "$NA" "$T/before.img" || fail "$NA changed"
exit 0
