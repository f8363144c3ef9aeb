#!/usr/bin/env bash
# run.sh - `make image-check`: the wipecert stick end to end in QEMU (TCG).
#
#   tests/image/run.sh [IMAGE] [bios|uefi|powercut]...   (default: all three)
#
# bios, uefi: a copy of IMAGE prepared with `wipecert image prepare`
# (roster, policy, technician key, a ledger holding two of the three target
# serials, stick.conf: auto, plain text on ttyS0, power off when done); the
# stick booted as a USB disk (BIOS: SeaBIOS, xHCI on pc, or EHCI with
# BIOS_USB=usb-ehci; UEFI: OVMF, xHCI on q35)
# beside two NVMe disks and one SATA disk full of a marker, the machine's
# DMI identity set; the passphrase typed once on the serial console
# (tests/image/boot.py). After the power-off, on the host: the two disks
# the ledger awaits read all zeros, the third (unknown serial) is byte for
# byte as it was; the data partition (read with debugfs) holds two signed
# wipe records (minisign) naming the PC's serial and asset tag, their
# summary PDFs, the station's log, the ledger saying erased; everything
# before the data partition is byte-identical to before the boot. Back at
# the office, the stick's data partition mounted: `wipecert sync` submits
# its two records to the organisation's ledger once, a manager approves one
# there, a sync puts the certificate onto the stick.
# powercut (BIOS): the same stick, the SATA disk 1 GiB; the power is cut
# (QEMU killed) as soon as the NVMe disk's record is sealed, the SATA wipe
# still running. On the host, after the journal replay the next mount does
# (e2fsck): the NVMe record is there and verifies, the ledger says erased,
# the SATA disk's job is there unfinished; booted again, the stick resumes
# the SATA wipe by itself and seals it: two records, both disks zeros.
# Boot-to-prompt and run times are printed (docs/stick.md).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
IMG=${1:-$TOP/build/image/wipecert-stick.img}
shift || true
FIRMWARES=("$@")
[ ${#FIRMWARES[@]} -gt 0 ] || FIRMWARES=(bios uefi powercut)
# the host's wipecert: this tree's build unless WIPECERT names another
W=${WIPECERT:-$TOP/build/wipecert}
export WIPECERT=$W
C=$TOP/certs/test-only
# scratch space, fail, and the PDF and record checks the e2e tests use;
# on /var/tmp: three copies of the stick and the disks
TMPDIR=/var/tmp . "$TOP/tests/e2e/lib.bash"
# WIPECERT_KEEP=1 keeps the directory (the consoles, the disks, the stick)
[ -n "${WIPECERT_KEEP:-}" ] && trap 'echo "kept: $T" >&2' EXIT
pass=0 failed=0
[ "$(id -u)" -eq 0 ] || fail "run as root"
[ -r "$IMG" ] || fail "$IMG: no image (make image)"
for c in qemu-system-x86_64 debugfs minisign sqlite3 python3 pdfsig certutil qpdf; do command -v $c >/dev/null || fail "$c is not installed"; done
python3 -c 'import pexpect' 2>/dev/null || fail "python3-pexpect is not installed"
. "$TOP/tests/image/fake-stick.bash"

# the ledger the stick carries: two of the three serials, awaiting erasure
export WIPECERT_TRUST=$C/trust WIPECERT_STATE_DIR=$T/host-state
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
"$W" ledger --db "$T/ledger.db" add LEASE-NV1 --class 3 --media-type nvme --serial WCIMG0001 \
	--status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
"$W" ledger --db "$T/ledger.db" add LEASE-SA2 --class 3 --media-type hdd --serial WCIMG0002 \
	--status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
# the organisation's ledger at the office, which `wipecert sync` fills later
cp "$T/ledger.db" "$T/central.db"

marker() { yes "WIPECERT-MARKER-$1" | head -c 16M >"$2"; }

# prepare_stick DIR: DIR/stick.img, a copy of IMG made ready (auto, plain
# text on ttyS0, power off when done, zero with the last pass read back)
prepare_stick() {
	local d=$1
	cp --sparse=always "$IMG" "$d/stick.img"
	"$W" image prepare "$d/stick.img" --trust "$C/trust" --policy "$TOP/docs/policy.conf.example" \
		--key "$C/test-only-technician.key" --ledger "$T/ledger.db" --auto --poweroff --plain \
		--console ttyS0 --language en --method zero --verify last --confirm-serial "$d/stick.img" --force \
		>"$d/prepare.out" 2>&1 || { cat "$d/prepare.out" >&2; fail "$d: image prepare"; }
}

# qemu_cmd FW DIR: QEMU, the PC: its DMI identity, the stick on USB, two
# NVMe disks (one the ledger does not know) and a SATA disk
qemu_cmd() {
	local fw=$1 d=$2
	QEMU=(qemu-system-x86_64 -accel tcg -m 2048 -smp 2 -nodefaults -no-user-config -display none
		-serial stdio -monitor none -no-reboot
		-smbios "type=1,manufacturer=WIPECERT TEST,product=Lease PC,serial=LEASE-PC-0042"
		-smbios "type=3,asset=ASSET-TAG-0042"
		-drive "if=none,id=stick,file=$d/stick.img,format=raw"
		-drive "if=none,id=nv1,file=$d/nv1.img,format=raw" -device nvme,serial=WCIMG0001,drive=nv1
		-drive "if=none,id=nv9,file=$d/nv9.img,format=raw" -device nvme,serial=WCIMG0099,drive=nv9
		-device ahci,id=ahci0
		-drive "if=none,id=sa2,file=$d/sa2.img,format=raw" -device ide-hd,drive=sa2,bus=ahci0.0,serial=WCIMG0002)
	case $fw in
	# SeaBIOS reads the kernel and initramfs through its USB driver: on
	# xHCI (the default, as on PCs of the last ten years) or, with
	# BIOS_USB=usb-ehci, on EHCI (USB 2), which under TCG takes 80 s more
	bios) QEMU+=(-machine pc -device "${BIOS_USB:-qemu-xhci},id=usb" -device usb-storage,bus=usb.0,drive=stick,bootindex=0) ;;
	uefi) QEMU+=(-machine q35 -bios /usr/share/ovmf/OVMF.fd -device qemu-xhci,id=xhci
		-device usb-storage,bus=xhci.0,drive=stick,bootindex=0) ;;
	esac
}

# boot NAME DIR FW [boot.py options]: boot the stick, play the technician;
# RES is boot.py's line (the times)
boot() {
	local name=$1 d=$2 fw=$3
	shift 3
	qemu_cmd "$fw" "$d"
	RES=$(python3 "$TOP/tests/image/boot.py" "$d/console-$name.log" "$(cat "$C/passphrase.txt")" 900 "$@" -- "${QEMU[@]}")
	echo "$name: $RES"
}
res_is() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {"d": d}))' "$RES" "$1"; }
console_tail() { tail -n 40 "$1" | tr -d '\r' >&2; }

# read_data DIR: the stick's data partition as a file, the journal replayed
# as the next mount would (e2fsck), then clean; its files in DIR/data
read_data() {
	local d=$1
	data_part "$d/stick.img" "$d/data.img"
	e2fsck -fy "$d/data.img" >"$d/e2fsck.out" 2>&1
	[ $? -le 1 ] || { cat "$d/e2fsck.out" >&2; fail "$d: the data partition cannot be repaired"; }
	e2fsck -fn "$d/data.img" >/dev/null 2>&1 || fail "$d: the data partition is not clean after e2fsck"
	rm -rf "$d/data" && mkdir -p "$d/data"
	debugfs -R "rdump / $d/data" "$d/data.img" >/dev/null 2>&1 || fail "$d: debugfs rdump"
}

# record_ok FILE ASSET: signed by the technician (minisign), naming the
# PC's DMI identity and the asset, the job succeeded
record_ok() {
	minisign -Vm "$1" -x "$1.minisig" -p "$C/test-only-technician.pub" -q || fail "$(basename "$1"): signature"
	python3 - "$1" "$2" <<'PY' || fail "$(basename "$1"): the record"
import json, sys
r = json.load(open(sys.argv[1]))
st = r["station"]
assert st.get("serial") == "LEASE-PC-0042", st
assert st.get("asset_tag") == "ASSET-TAG-0042", st
assert r["asset"]["asset_id"] in sys.argv[2].split(","), r["asset"]
assert r["job"]["state"] == "succeeded", r["job"]["state"]
PY
}
status_of() { sqlite3 "$1" "select status from assets where asset_id='$2'"; }

boot_one() {
	local fw=$1 d=$T/$1 sysb sysa
	mkdir -p "$d"
	prepare_stick "$d"
	marker NV1 "$d/nv1.img"; marker SA2 "$d/sa2.img"; marker NV9 "$d/nv9.img"
	local nv9=$(sha256sum <"$d/nv9.img")
	sysb=$(head -c "$(data_offset "$d/stick.img")" "$d/stick.img" | sha256sum)
	boot "$fw" "$d" "$fw"
	[ "$(res_is 'd["exit"] == 0 and d["poweroff"] is not None')" = True ] ||
		{ console_tail "$d/console-$fw.log"; fail "$fw: the stick did not wipe and power off"; }

	# the disks, on the host
	cmp -s -n $((16 << 20)) "$d/nv1.img" /dev/zero || fail "$fw: NVMe WCIMG0001 not wiped"
	cmp -s -n $((16 << 20)) "$d/sa2.img" /dev/zero || fail "$fw: SATA WCIMG0002 not wiped"
	[ "$(sha256sum <"$d/nv9.img")" = "$nv9" ] || fail "$fw: the unknown NVMe WCIMG0099 was touched"
	# the stick: its system part as it was, the records on its data partition
	sysa=$(head -c "$(data_offset "$d/stick.img")" "$d/stick.img" | sha256sum)
	[ "$sysa" = "$sysb" ] || fail "$fw: the stick changed outside its data partition"
	read_data "$d"
	local recs=("$d"/data/state/*.wipe-record.json)
	[ ${#recs[@]} -eq 2 ] && [ -e "${recs[0]}" ] || fail "$fw: ${#recs[@]} wipe records on the stick, want 2"
	for r in "${recs[@]}"; do record_ok "$r" LEASE-NV1,LEASE-SA2; done
	ls "$d"/data/labels/*.pdf >/dev/null 2>&1 || fail "$fw: no summary PDFs in labels/"
	[ "$(ls "$d"/data/labels/*.pdf | wc -l)" -eq 2 ] || fail "$fw: want 2 summary PDFs"
	grep -h '"event":"sealed"' "$d"/data/log/*.ndjson | wc -l | grep -qx 2 || fail "$fw: the log lacks 2 sealed events"
	grep -h '"reason":"untouched"' "$d"/data/log/*.ndjson | grep -q nvme || fail "$fw: the unknown disk not reported untouched"
	for a in LEASE-NV1 LEASE-SA2; do
		[ "$(status_of "$d/data/ledger.db" "$a")" = erased ] ||
			fail "$fw: the stick's ledger: $a not erased"
	done
	# back at the office: the stick's ledger chain verifies, and an approver
	# issues the certificate of one record straight from the stick's copy;
	# wipecert verify and pdfsig check it
	"$W" ledger --db "$d/data/ledger.db" verify --trust "$C/trust" >"$d/lverify.out" 2>&1 ||
		{ cat "$d/lverify.out" >&2; fail "$fw: the stick's ledger does not verify"; }
	local job
	job=$(basename "${recs[0]}" .wipe-record.json)
	"$W" approve "$job" --db "$d/data/ledger.db" --state-dir "$d/data/state" --trust "$C/trust" \
		--key "$C/test-only-approver.key" --passphrase-file "$C/passphrase.txt" --yes --json \
		>"$d/approve.json" 2>"$d/approve.err" || { cat "$d/approve.err" >&2; fail "$fw: approve $job"; }
	local pdf
	pdf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pdf"])' "$d/approve.json")
	"$W" verify --trust "$C/trust" --db "$d/data/ledger.db" "$pdf" >"$d/verify.out" 2>&1 ||
		{ cat "$d/verify.out" >&2; fail "$fw: wipecert verify of the certificate"; }
	expect_pdf_signed "$pdf" "$C/trust/ca.crt"
	expect_records_signed "$pdf" "$C/test-only-approver.pub" "$C/test-only-technician.pub"
	office_sync "$fw" "$d"
	echo "$fw: PASS (disks wiped, unknown untouched, 2 records signed with the PC's DMI, stick unchanged outside its data, a certificate issued from them verifies, the office's sync from the mounted stick submitted both once)"
}

# office_sync FW DIR: back at the office the stick is plugged in: its data
# partition mounted (a loop device over the stick's image, as the kernel
# does for a USB disk), `wipecert sync` submits the two records the stick
# kept in its outbox to the organisation's ledger (central.db, the ledger
# the stick's copy was taken from) exactly once; a manager approves one of
# them there, from a state directory of their own; a sync without a key
# puts the certificate onto the stick; the central chain verifies
office_sync() {
	local fw=$1 d=$2 mnt=$2/mnt l rc1 rc2 rc3 rc4 n0 n1 n2 st job pdf
	cp "$T/central.db" "$d/central.db"
	n0=$(sqlite3 "$d/central.db" 'SELECT count(*) FROM events')
	mkdir -p "$mnt"
	l=$(losetup -f --show -o "$(data_offset "$d/stick.img")" --sizelimit "$(data_size "$d/stick.img")" \
		"$d/stick.img") || fail "$fw: losetup over the stick's data partition"
	# ( boot_one ) is a subshell: lib.bash's exit trap does not run here,
	# so every path below unmounts and detaches before it checks anything
	if ! mount -t ext4 "$l" "$mnt"; then
		losetup -d "$l"
		fail "$fw: the stick's data partition does not mount"
	fi
	S=(--state-dir "$mnt/state" --db "$d/central.db" --trust "$C/trust")
	"$W" sync "${S[@]}" "${TECH[@]}" --json >"$d/sync1.json" 2>"$d/sync1.err"
	rc1=$?
	n1=$(sqlite3 "$d/central.db" 'SELECT count(*) FROM events')
	st=$(status_of "$d/central.db" LEASE-NV1),$(status_of "$d/central.db" LEASE-SA2)
	"$W" sync "${S[@]}" "${TECH[@]}" --json >"$d/sync2.json" 2>"$d/sync2.err"
	rc2=$?
	n2=$(sqlite3 "$d/central.db" 'SELECT count(*) FROM events')
	job=$(sqlite3 "$d/central.db" "SELECT id FROM cases WHERE asset_id = 'LEASE-SA2'")
	"$W" approve "$job" --db "$d/central.db" --state-dir "$d/mgr" --trust "$C/trust" \
		--key "$C/test-only-approver.key" --passphrase-file "$C/passphrase.txt" --yes --json \
		>"$d/approve-central.json" 2>"$d/approve-central.err"
	rc3=$?
	"$W" sync "${S[@]}" --json >"$d/sync3.json" 2>"$d/sync3.err"
	rc4=$?
	pdf=$(json_get "$d/approve-central.json" 'd["pdf"]' 2>/dev/null)
	[ -n "$pdf" ] && cmp -s "$pdf" "$mnt/state/$(basename "$pdf")"
	local same=$?
	umount "$mnt" && losetup -d "$l" || fail "$fw: unmount the stick's data partition"
	[ "$rc1" = 0 ] || { cat "$d/sync1.err" >&2; fail_outcome "$fw: office sync: exit $rc1"; }
	expect_eq "$fw: office sync" "$(json_get "$d/sync1.json" 'd["submitted"], d["waiting"], d["failed"]')" "(2, 0, 0)"
	expect_eq "$fw: central events after the sync" "$n1" $((n0 + 2))
	expect_eq "$fw: the central ledger's LEASE-NV1,LEASE-SA2 after the sync" "$st" erased,erased
	[ "$rc2" = 0 ] || { cat "$d/sync2.err" >&2; fail_outcome "$fw: office sync again: exit $rc2"; }
	expect_eq "$fw: office sync again" "$(json_get "$d/sync2.json" 'd["submitted"], d["waiting"]')" "(0, 0)"
	expect_eq "$fw: central events after a second sync" "$n2" "$n1"
	[ "$rc3" = 0 ] || { cat "$d/approve-central.err" >&2; fail_outcome "$fw: approve $job on the central ledger"; }
	[ "$rc4" = 0 ] || { cat "$d/sync3.err" >&2; fail_outcome "$fw: the decision's sync onto the stick: exit $rc4"; }
	expect_eq "$fw: decisions copied onto the stick" "$(json_get "$d/sync3.json" 'd["decisions"]')" 1
	[ "$same" = 0 ] || fail_outcome "$fw: the stick's copy of the certificate is not the one issued ($pdf)"
	expect_eq "$fw: the central ledger's LEASE-SA2 after the approval" "$(status_of "$d/central.db" LEASE-SA2)" approved
	"$W" verify --trust "$C/trust" --db "$d/central.db" "$pdf" >"$d/verify-central.out" 2>&1 ||
		{ cat "$d/verify-central.out" >&2; fail "$fw: wipecert verify of the central certificate"; }
	"$W" ledger --db "$d/central.db" verify --trust "$C/trust" >"$d/cverify.out" 2>&1 ||
		{ cat "$d/cverify.out" >&2; fail "$fw: the central ledger does not verify after the sync"; }
	# unmounted as a user would before pulling it: the file system clean
	data_part "$d/stick.img" "$d/data-after.img"
	e2fsck -fn "$d/data-after.img" >"$d/e2fsck-after.out" 2>&1 ||
		{ cat "$d/e2fsck-after.out" >&2; fail "$fw: the data partition is not clean after the office's sync"; }
}

powercut_one() {
	local d=$T/powercut recs
	mkdir -p "$d"
	prepare_stick "$d"
	marker NV1 "$d/nv1.img"; marker NV9 "$d/nv9.img"; marker SA2 "$d/sa2.img"
	truncate -s 1G "$d/sa2.img"
	# the power goes as the NVMe disk's record is sealed
	boot cut "$d" bios --cut-after '"event":"sealed"[^\n]*LEASE-NV1'
	[ "$(res_is 'd["cut"] is not None')" = True ] ||
		{ console_tail "$d/console-cut.log"; fail "powercut: the NVMe disk was never sealed"; }
	grep -a '"event":"sealed"' "$d/console-cut.log" | grep -q LEASE-SA2 &&
		fail "powercut: the SATA wipe ended before the cut (make its disk larger)"
	read_data "$d"
	recs=("$d"/data/state/*.wipe-record.json)
	[ ${#recs[@]} -eq 1 ] && [ -e "${recs[0]}" ] || fail "powercut: ${#recs[@]} wipe records after the cut, want 1"
	record_ok "${recs[0]}" LEASE-NV1
	expect_eq "powercut: LEASE-NV1 after the cut" "$(status_of "$d/data/ledger.db" LEASE-NV1)" erased
	expect_eq "powercut: LEASE-SA2 after the cut" "$(status_of "$d/data/ledger.db" LEASE-SA2)" awaiting-erasure
	grep -l '"serial" *: *"WCIMG0002"' "$d"/data/state/*.json >/dev/null 2>&1 ||
		fail "powercut: the SATA disk's job is not on the stick"
	# booted again: the interrupted wipe resumed and sealed, nothing lost
	boot again "$d" bios
	[ "$(res_is 'd["exit"] == 0 and d["poweroff"] is not None')" = True ] ||
		{ console_tail "$d/console-again.log"; fail "powercut: the second boot did not finish and power off"; }
	cmp -s -n $((1 << 30)) "$d/sa2.img" /dev/zero || fail "powercut: SATA WCIMG0002 not wiped after the resume"
	cmp -s -n $((16 << 20)) "$d/nv1.img" /dev/zero || fail "powercut: NVMe WCIMG0001 not zeros"
	read_data "$d"
	recs=("$d"/data/state/*.wipe-record.json)
	[ ${#recs[@]} -eq 2 ] || fail "powercut: ${#recs[@]} wipe records after the second boot, want 2"
	for r in "${recs[@]}"; do record_ok "$r" LEASE-NV1,LEASE-SA2; done
	expect_eq "powercut: LEASE-SA2 after the resume" "$(status_of "$d/data/ledger.db" LEASE-SA2)" erased
	grep -a '"event":"started"' "$d/console-again.log" | grep LEASE-SA2 | grep -q '"resumed":true' ||
		fail "powercut: the SATA wipe was not resumed at the second boot (started anew, or not at all)"
	echo "powercut: PASS (the record sealed before the cut survived it; the cut wipe resumed at the next boot and sealed)"
}

for fw in "${FIRMWARES[@]}"; do
	case $fw in
	bios | uefi) ( boot_one "$fw" ) ;;
	powercut) ( powercut_one ) ;;
	*) echo "run.sh: unknown scenario $fw" >&2; false ;;
	esac && pass=$((pass + 1)) || failed=$((failed + 1))
done
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
