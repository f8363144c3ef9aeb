#!/usr/bin/env bash
# image_prepare.sh - `wipecert image prepare` on image files and loop
# devices made here: the refusals (a disk that is mounted or held, not
# confirmed, not a wipecert stick, a data partition that may hold records,
# a roster, policy, key, ledger or stick.conf that is not right), nothing
# written when refused (sha256); and a stick prepared: the system part byte
# for byte the image's, the data partition's table entry, its files and
# their modes read back by e2fsprogs (debugfs, e2fsck), the ledger by
# sqlite3, stick.conf as the boot reads it.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd debugfs
need_cmd xorriso
need_cmd grub-mkimage
need_cmd sqlite3
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/image/fake-stick.bash"
C=$TOP/certs/test-only
W=$WIPECERT
export WIPECERT_STATE_DIR=$T/state
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
WIPECERT_TRUST=$C/trust "$W" ledger --db "$T/ledger.db" add PC-7 --class 3 --serial SER-7 --status awaiting-erasure \
	"${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
POLICY=$TOP/docs/policy.conf.example
CFG=(--trust "$C/trust" --policy "$POLICY")

fake_stick "$T/stick.img"
truncate -s 64M "$T/t.img"
sum() { sha256sum "$1" | cut -d' ' -f1; }
unchanged() { expect_eq "$1 unchanged" "$(sum "$2")" "$3"; }
S0=$(sum "$T/t.img")

# usage
expect_rc 2 "$W" image prepare "$T/t.img" --policy "$POLICY"
grep -q -- "--trust DIR and --policy FILE are needed" "$T/err" || fail "usage: $(cat "$T/err")"
expect_rc 2 "$W" image prepare "$T/t.img" "${CFG[@]}" --poweroff
expect_rc 2 "$W" image frobnicate

# what goes onto the stick must be right before anything is written
echo "class 9 {" >"$T/bad.policy"
expect_rc 3 "$W" image prepare "$T/t.img" --trust "$C/trust" --policy "$T/bad.policy" --image "$T/stick.img" \
	--confirm-serial "$T/t.img"
unchanged "bad policy" "$T/t.img" "$S0"
expect_rc 3 "$W" image prepare "$T/t.img" --trust "$T/nowhere" --policy "$POLICY" --image "$T/stick.img" \
	--confirm-serial "$T/t.img"
unchanged "no roster" "$T/t.img" "$S0"
cp "$C/test-only-technician.key" "$T/open.key"; chmod 644 "$T/open.key"
expect_rc 3 "$W" image prepare "$T/t.img" "${CFG[@]}" --key "$T/open.key" --image "$T/stick.img" \
	--confirm-serial "$T/t.img"
grep -q "chmod 600" "$T/err" || fail "key others read: $(cat "$T/err")"
unchanged "key others read" "$T/t.img" "$S0"
echo "not sqlite" >"$T/notaledger.db"
expect_rc 3 "$W" image prepare "$T/t.img" "${CFG[@]}" --ledger "$T/notaledger.db" --image "$T/stick.img" \
	--confirm-serial "$T/t.img"
unchanged "not a ledger" "$T/t.img" "$S0"
printf 'language = ja\nshell = /bin/sh\n' >"$T/bad.conf"
expect_rc 3 "$W" image prepare "$T/t.img" "${CFG[@]}" --conf "$T/bad.conf" --image "$T/stick.img" \
	--confirm-serial "$T/t.img"
grep -q "stick.conf line 2: unknown key 'shell'" "$T/err" || fail "bad conf: $(cat "$T/err")"
unchanged "bad stick.conf" "$T/t.img" "$S0"

# the target
expect_rc 3 "$W" image prepare "$T/t.img" "${CFG[@]}" --confirm-serial "$T/t.img"
grep -q "no wipecert stick on it" "$T/err" || fail "not a stick: $(cat "$T/err")"
head -c 4M /dev/urandom >"$T/random.img"
expect_rc 3 "$W" image prepare "$T/t.img" "${CFG[@]}" --image "$T/random.img" --confirm-serial "$T/t.img"
grep -q "not a wipecert stick image" "$T/err" || fail "not an image: $(cat "$T/err")"
expect_rc 3 "$W" image prepare "$T/t.img" "${CFG[@]}" --image "$T/stick.img" </dev/null
grep -q "not confirmed: pass --confirm-serial" "$T/err" || fail "unconfirmed: $(cat "$T/err")"
expect_rc 3 "$W" image prepare "$T/t.img" "${CFG[@]}" --image "$T/stick.img" --confirm-serial "$T/other.img"
unchanged "not confirmed" "$T/t.img" "$S0"
truncate -s 20M "$T/small.img"
expect_rc 3 "$W" image prepare "$T/small.img" "${CFG[@]}" --image "$T/stick.img" --confirm-serial "$T/small.img"
expect_rc 3 "$W" image prepare "$T/t.img" "${CFG[@]}" --image "$T/stick.img" --confirm-serial "$T/t.img" \
	--data-size 1G
unchanged "data partition too large" "$T/t.img" "$S0"

# a loop device that is mounted, one that another loop device holds
new_loop LM "$T/m.img" 64M
mkfs.ext4 -q "$LM" && mkdir -p "$T/mnt" && mount "$LM" "$T/mnt" && MOUNTS+=("$T/mnt") || fail "mount"
expect_rc 3 "$W" image prepare "$LM" "${CFG[@]}" --image "$T/stick.img" --confirm-serial "$LM"
grep -q "refused: mounted (mounted on $T/mnt)" "$T/err" || fail "mounted: $(cat "$T/err")"
new_loop LH "$T/h.img" 64M
LU=$(losetup -f --show "$LH") && LOOPS+=("$LU") || fail "loop on loop"
expect_rc 3 "$W" image prepare "$LH" "${CFG[@]}" --image "$T/stick.img" --confirm-serial "$LH"
grep -q "refused: held (held by ${LU#/dev/}" "$T/err" || fail "held: $(cat "$T/err")"

# prepared: an image file, every option
expect_rc 0 "$W" image prepare "$T/t.img" "${CFG[@]}" --image "$T/stick.img" --confirm-serial "$T/t.img" \
	--key "$C/test-only-technician.key" --ledger "$T/ledger.db" --language ja --console ttyS0 --plain \
	--auto --poweroff --method zero --verify all --data-size 32M --json
expect_eq "data size (json)" "$(json_get "$T/out" 'd["data_size"]')" $((32 << 20))
expect_eq "data size (table)" "$(data_size "$T/t.img")" $((32 << 20))
expect_eq "data offset" "$(data_offset "$T/t.img")" "$(data_offset "$T/stick.img")"
expect_eq "system part" "$(system_sum "$T/t.img")" "$(system_sum "$T/stick.img")"
data_part "$T/t.img" "$T/data.img"
e2fsck -fn "$T/data.img" >/dev/null 2>&1 || fail "e2fsck of the data partition"
expect_eq "label" "$(e2label "$T/data.img")" WIPECERT-DATA
dbg() { debugfs -R "$1" "$T/data.img" 2>/dev/null; }
dbg "cat /stick.conf" >"$T/conf"
for kv in "language = ja" "console = ttyS0" "mode = plain" "auto = yes" "when_done = poweroff" \
	"key = keys/technician.key" "method = zero" "verify = all"; do
	grep -qx "$kv" "$T/conf" || fail "stick.conf lacks '$kv': $(cat "$T/conf")"
done
dbg "cat /keys/technician.key" | cmp - "$C/test-only-technician.key" || fail "the key differs"
dbg "stat /keys/technician.key" | grep -q "Mode:  0600" || fail "key mode: $(dbg 'stat /keys/technician.key')"
dbg "stat /keys" | grep -q "Mode:  0700" || fail "keys/ mode"
dbg "stat /state" | grep -q "Mode:  0700" || fail "state/ mode"
dbg "cat /policy.conf" | cmp - "$POLICY" || fail "the policy differs"
for f in $(cd "$C/trust" && find . -type f); do
	dbg "cat /trust/${f#./}" | cmp - "$C/trust/$f" || fail "trust/$f differs"
done
dbg "dump /ledger.db $T/stick-ledger.db"
expect_eq "the stick's ledger" "$(sqlite3 "$T/stick-ledger.db" "select serial from assets where asset_id='PC-7'")" SER-7
for d in labels log state keys trust; do dbg "ls /" | grep -qw "$d" || fail "no $d/"; done

# prepared again: the data partition may hold records now
S1=$(sum "$T/t.img")
expect_rc 3 "$W" image prepare "$T/t.img" "${CFG[@]}" --confirm-serial "$T/t.img"
grep -q "may hold wipe records" "$T/err" || fail "records: $(cat "$T/err")"
unchanged "records kept" "$T/t.img" "$S1"
expect_rc 0 "$W" image prepare "$T/t.img" "${CFG[@]}" --confirm-serial "$T/t.img" --force --language en
data_part "$T/t.img" "$T/data2.img"
debugfs -R "cat /stick.conf" "$T/data2.img" 2>/dev/null | grep -qx "language = en" || fail "re-prepared conf"
expect_eq "system part after re-prepare" "$(system_sum "$T/t.img")" "$(system_sum "$T/stick.img")"

# a loop device, written through O_EXCL, the stick already on it
new_loop LS "$T/s.img" 48M
dd if="$T/stick.img" of="$LS" bs=1M conv=fsync status=none
expect_rc 0 "$W" image prepare "$LS" "${CFG[@]}" --confirm-serial "$LS" --force
expect_eq "loop: data fills the rest" "$(data_size "$LS")" $(( (48 << 20) - $(data_offset "$LS") & ~((1 << 20) - 1) ))
grep -q "wipecert stick prepared" "$T/out" || fail "no report: $(cat "$T/out")"
echo "image_prepare: ok"
