#!/usr/bin/env bash
# run.sh - `make image-check`: the wipecert stick end to end in QEMU (TCG).
#
#   tests/image/run.sh [IMAGE] [bios|uefi]...     (default: both)
#
# Per firmware: a copy of IMAGE prepared with `wipecert image prepare`
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
# before the data partition is byte-identical to before the boot.
# Boot-to-prompt and run times are printed (docs/stick.md).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
IMG=${1:-$TOP/build/image/wipecert-stick.img}
shift || true
FIRMWARES=("$@")
[ ${#FIRMWARES[@]} -gt 0 ] || FIRMWARES=(bios uefi)
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

boot_one() {
	local fw=$1 d=$T/$1 stick sysb sysa res qemu=() 
	mkdir -p "$d"
	stick=$d/stick.img
	cp --sparse=always "$IMG" "$stick"
	"$W" image prepare "$stick" --trust "$C/trust" --policy "$TOP/docs/policy.conf.example" \
		--key "$C/test-only-technician.key" --ledger "$T/ledger.db" --auto --poweroff --plain \
		--console ttyS0 --language en --method zero --verify last --confirm-serial "$stick" --force \
		>"$d/prepare.out" 2>&1 || { cat "$d/prepare.out" >&2; fail "$fw: image prepare"; }
	marker NV1 "$d/nv1.img"; marker SA2 "$d/sa2.img"; marker NV9 "$d/nv9.img"
	local nv9=$(sha256sum <"$d/nv9.img")
	sysb=$(head -c "$(data_offset "$stick")" "$stick" | sha256sum)
	qemu=(qemu-system-x86_64 -accel tcg -m 2048 -smp 2 -nodefaults -no-user-config -display none
		-serial stdio -monitor none -no-reboot
		-smbios "type=1,manufacturer=WIPECERT TEST,product=Lease PC,serial=LEASE-PC-0042"
		-smbios "type=3,asset=ASSET-TAG-0042"
		-drive "if=none,id=stick,file=$stick,format=raw"
		-drive "if=none,id=nv1,file=$d/nv1.img,format=raw" -device nvme,serial=WCIMG0001,drive=nv1
		-drive "if=none,id=nv9,file=$d/nv9.img,format=raw" -device nvme,serial=WCIMG0099,drive=nv9
		-device ahci,id=ahci0
		-drive "if=none,id=sa2,file=$d/sa2.img,format=raw" -device ide-hd,drive=sa2,bus=ahci0.0,serial=WCIMG0002)
	case $fw in
	# SeaBIOS reads the kernel and initramfs through its USB driver: on
	# xHCI (the default, as on PCs of the last ten years) or, with
	# BIOS_USB=usb-ehci, on EHCI (USB 2), which under TCG takes 80 s more
	bios) qemu+=(-machine pc -device "${BIOS_USB:-qemu-xhci},id=usb" -device usb-storage,bus=usb.0,drive=stick,bootindex=0) ;;
	uefi) qemu+=(-machine q35 -bios /usr/share/ovmf/OVMF.fd -device qemu-xhci,id=xhci
		-device usb-storage,bus=xhci.0,drive=stick,bootindex=0) ;;
	esac
	res=$(python3 "$TOP/tests/image/boot.py" "$d/console.log" "$(cat "$C/passphrase.txt")" 900 -- "${qemu[@]}")
	echo "$fw: $res"
	[ "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["exit"] == 0 and d["poweroff"] is not None)' "$res")" = True ] ||
		{ tail -n 40 "$d/console.log" | tr -d '\r' >&2; fail "$fw: the stick did not wipe and power off"; }

	# the disks, on the host
	cmp -s -n $((16 << 20)) "$d/nv1.img" /dev/zero || fail "$fw: NVMe WCIMG0001 not wiped"
	cmp -s -n $((16 << 20)) "$d/sa2.img" /dev/zero || fail "$fw: SATA WCIMG0002 not wiped"
	[ "$(sha256sum <"$d/nv9.img")" = "$nv9" ] || fail "$fw: the unknown NVMe WCIMG0099 was touched"
	# the stick: its system part as it was, the records on its data partition
	sysa=$(head -c "$(data_offset "$stick")" "$stick" | sha256sum)
	[ "$sysa" = "$sysb" ] || fail "$fw: the stick changed outside its data partition"
	data_part "$stick" "$d/data.img"
	e2fsck -fn "$d/data.img" >/dev/null 2>&1 || fail "$fw: the data partition is not clean after the power-off"
	mkdir -p "$d/data"
	debugfs -R "rdump / $d/data" "$d/data.img" >/dev/null 2>&1 || fail "$fw: debugfs rdump"
	local recs=("$d"/data/state/*.wipe-record.json)
	[ ${#recs[@]} -eq 2 ] && [ -e "${recs[0]}" ] || fail "$fw: ${#recs[@]} wipe records on the stick, want 2"
	for r in "${recs[@]}"; do
		minisign -Vm "$r" -x "$r.minisig" -p "$C/test-only-technician.pub" -q ||
			fail "$fw: $(basename "$r"): signature"
		python3 - "$r" <<'PY' || fail "$fw: $(basename "$r"): the record"
import json, sys
r = json.load(open(sys.argv[1]))
st = r["station"]
assert st.get("serial") == "LEASE-PC-0042", st
assert st.get("asset_tag") == "ASSET-TAG-0042", st
assert r["asset"]["asset_id"] in ("LEASE-NV1", "LEASE-SA2"), r["asset"]
assert r["job"]["state"] == "succeeded", r["job"]["state"]
PY
	done
	ls "$d"/data/labels/*.pdf >/dev/null 2>&1 || fail "$fw: no summary PDFs in labels/"
	[ "$(ls "$d"/data/labels/*.pdf | wc -l)" -eq 2 ] || fail "$fw: want 2 summary PDFs"
	grep -h '"event":"sealed"' "$d"/data/log/*.ndjson | wc -l | grep -qx 2 || fail "$fw: the log lacks 2 sealed events"
	grep -h '"reason":"untouched"' "$d"/data/log/*.ndjson | grep -q nvme || fail "$fw: the unknown disk not reported untouched"
	for a in LEASE-NV1 LEASE-SA2; do
		[ "$(sqlite3 "file:$d/data/ledger.db?mode=ro" "select status from assets where asset_id='$a'")" = erased ] ||
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
	echo "$fw: PASS (disks wiped, unknown untouched, 2 records signed with the PC's DMI, stick unchanged outside its data, a certificate issued from them verifies)"
}

for fw in "${FIRMWARES[@]}"; do
	( boot_one "$fw" ) && pass=$((pass + 1)) || failed=$((failed + 1))
done
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
