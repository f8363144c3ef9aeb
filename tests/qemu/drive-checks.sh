# drive-checks.sh - run by busybox sh INSIDE the QEMU guest (tests/e2e/qemu_drive.sh):
# `sh drive-checks.sh WIPECERT CERTS`. Prints one "check NAME ok" or
# "check NAME FAIL: why" line per check, and "checks done" at the end;
# exits 1 when one failed. The host compares the names that passed with
# tests/qemu/drive-checks.expected: a check that did not run is a failure
# there, so nothing here is optional.
#
# Three NVMe disks, each kept for one erase so the host can look at what
# that erase left: NVME_DEV only the drive-erase Format, NVME2_DEV the
# Format through `wipe` (with its job record and certificate), NVME3_DEV
# the 4096-byte-sector checks.
W=$1 CERTS=$2
failed=0
ok() { echo "check $1 ok"; }
bad() { echo "check $1 FAIL: $2"; failed=1; }
# run NAME WANT_RC CMD...: output in /tmp/out, stderr in /tmp/err
run() {
	name=$1 want=$2
	shift 2
	"$@" >/tmp/out 2>/tmp/err
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else bad "$name" "exit $rc, want $want: $(cat /tmp/err)"; fi
}
has() { grep -q -- "$2" "$3" && ok "$1" || bad "$1" "no '$2' in $(cat "$3")"; }
# fill NAME DEV MARKER: DEV full of MARKER (4 MiB), read back
fill() {
	yes "$3" | head -c 4194304 >/tmp/m
	if dd if=/tmp/m of="$2" bs=1048576 conv=fsync 2>/dev/null && grep -q "$3" "$2"; then ok "$1"; else bad "$1" "dd to $2"; fi
	rm -f /tmp/m
}

for v in NVME_DEV NVME2_DEV NVME3_DEV SATA_DEV SCSI_DEV; do
	eval "d=\$$v"
	[ -b "$d" ] && ok "disk-$v" || bad "disk-$v" "no block device ('$d')"
done
[ -x "$W" ] && ok wipecert-copied || bad wipecert-copied "$W"
[ -f "$CERTS/passphrase.txt" ] && [ -d "$CERTS/trust" ] && ok certs-copied || bad certs-copied "$CERTS"
command -v nvme >/dev/null && ok nvme-cli-copied || bad nvme-cli-copied "nvme-cli is not in the guest"

# identities and capabilities, through list --json and caps
run list 0 "$W" list --json
cp /tmp/out /tmp/list
has list-nvme-serial '"serial": "WCNVME0001"' /tmp/list
has list-sata-serial '"serial": "WCSATA0001"' /tmp/list
has list-scsi-serial '"serial": "WCSCSI0001"' /tmp/list
has list-nvme-sanicap '"sanicap": 0' /tmp/list
run caps-nvme 0 "$W" caps --json "$NVME_DEV"
has caps-nvme-format '"nvme-format"' /tmp/out
has caps-nvme-fna '"fna": 0' /tmp/out
run caps-sata 0 "$W" caps --json "$SATA_DEV"
has caps-sata-proto '"protocol": "ata"' /tmp/out
has caps-sata-security '"supported": false' /tmp/out
run caps-scsi 0 "$W" caps --json "$SCSI_DEV"
has caps-scsi-proto '"protocol": "scsi"' /tmp/out
# for people: the methods as a table, usable ones with their level, the others with why
run caps-text 0 "$W" caps "$NVME_DEV"
has caps-text-usable 'nvme-format  *usable  *purge' /tmp/out
has caps-text-why 'nvme-sanitize-block  *no  *' /tmp/out
# --dry-run is --no-act: what auto would send, as JSON too
run auto-dry-run-json 0 "$W" drive-erase "$NVME_DEV" --method auto --level purge --dry-run --json
has auto-dry-run-method '"dry_run": true' /tmp/out

# refusals before anything is sent (exit 3)
run refuse-nvme-format-crypto 3 "$W" drive-erase "$NVME_DEV" --method nvme-format-crypto --yes
has refuse-fna-reason 'FNA' /tmp/err
run refuse-nvme-sanitize 3 "$W" drive-erase "$NVME_DEV" --method nvme-sanitize-block --yes
has refuse-sanicap-reason 'SANICAP' /tmp/err
run refuse-ata-secure-erase 3 "$W" drive-erase "$SATA_DEV" --method ata-secure-erase --yes
has refuse-ata-reason 'Security feature set' /tmp/err
run refuse-ata-sanitize 3 "$W" drive-erase "$SATA_DEV" --method ata-sanitize-block --yes
run refuse-scsi-sanitize 3 "$W" drive-erase "$SCSI_DEV" --method scsi-sanitize-overwrite --yes
has refuse-scsi-reason 'REPORT SUPPORTED OPERATION CODES' /tmp/err
run refuse-wrong-protocol 3 "$W" drive-erase "$SATA_DEV" --method nvme-format --yes
run refuse-auto-sata 3 "$W" drive-erase "$SATA_DEV" --method auto --level purge --yes

# the NVMe Format erase, verified by read-back (auto picks it for purge).
# Nothing writes NVME_DEV after it: the host finds it all zeros.
run auto-no-act 0 "$W" drive-erase "$NVME_DEV" --method auto --level purge --no-act
has auto-explains 'nvme-format' /tmp/out
run nvme-format 0 "$W" drive-erase "$NVME_DEV" --method nvme-format --yes --json
has nvme-format-verdict '"verdict": "passed"' /tmp/out
has nvme-format-status '"kind": "ok"' /tmp/out
has nvme-format-pattern '"expected_pattern": "zeros"' /tmp/out
has nvme-format-unchanged '"unchanged": 0' /tmp/out

# the same through `wipe --method` on the second disk: a firmware method,
# its refusals, and a job record sealed by the technician for the asset
run wipe-refuse-crypto 3 "$W" wipe "$NVME2_DEV" --method nvme-format-crypto --confirm-serial WCNVME0002 --state-dir /tmp/fw
has wipe-refuse-crypto-fna 'FNA' /tmp/err
run wipe-refuse-sanitize 3 "$W" wipe "$NVME2_DEV" --method nvme-sanitize-crypto --confirm-serial WCNVME0002 --state-dir /tmp/fw
run wipe-refuse-ata 3 "$W" wipe "$SATA_DEV" --method ata-secure-erase --confirm-serial WCSATA0001 --state-dir /tmp/fw
# a disk that reports a serial is confirmed by that serial, nothing else
run wipe-refuse-wrong-serial 3 "$W" wipe "$NVME2_DEV" --method zero --confirm-serial WCNVME0001 --state-dir /tmp/fw
run wipe-refuse-any-serial 3 "$W" wipe "$NVME2_DEV" --method zero --confirm-serial ANYTHING --state-dir /tmp/fw
run wipe-refuse-path-for-serial 3 "$W" wipe "$NVME2_DEV" --method zero --confirm-serial "$NVME2_DEV" --state-dir /tmp/fw
grep -q WIPECERT-MARKER-NVME2 "$NVME2_DEV" && ok wipe-refused-kept-data || bad wipe-refused-kept-data "a refused wipe wrote to $NVME2_DEV"
# secret keys are private (a key others can read is refused); the
# verifier's memory of the roster's serials lives in /tmp here
chmod 600 "$CERTS"/*.key
export WIPECERT_TRUST_STATE=/tmp/trust-state.json
# every ledger event is signed by the person who makes it
TECHKEY="--key $CERTS/test-only-technician.key --passphrase-file $CERTS/passphrase.txt"
run ledger-nvme 0 "$W" ledger --db /tmp/l.db add NVME-2 --serial WCNVME0002 --class 1 --model "QEMU NVMe Ctrl" $TECHKEY
run ledger-wrong 0 "$W" ledger --db /tmp/l.db add OTHER-1 --serial SOMEONE-ELSE --class 3 $TECHKEY
run wipe-wrong-asset 3 "$W" wipe "$NVME2_DEV" --method nvme-format --asset OTHER-1 --db /tmp/l.db \
	--confirm-serial WCNVME0002 --state-dir /tmp/fw
has wipe-wrong-asset-why 'serial' /tmp/err
run wipe-class1-overwrite 3 "$W" wipe "$NVME2_DEV" --method zero --asset NVME-2 --db /tmp/l.db \
	--confirm-serial WCNVME0002 --state-dir /tmp/fw
# an attested serial is only for media that report none: a technician may
# not put a label's serial (another asset's) over the one the drive reports
run wipe-refuse-attest-over-serial 3 "$W" wipe "$NVME2_DEV" --method zero --attest-serial SOMEONE-ELSE \
	--confirm-serial WCNVME0002 --state-dir /tmp/fw
has wipe-refuse-attest-why 'reports its own serial WCNVME0002' /tmp/err
run ledger-refuse-attest-over-serial 3 "$W" ledger --db /tmp/l.db add FAKE-1 --from-device "$NVME2_DEV" \
	--attest-serial LABEL-FAKE-1 --confirm-serial LABEL-FAKE-1 --class 3 $TECHKEY
run ledger-refused-attest-not-added 1 "$W" ledger --db /tmp/l.db show FAKE-1
grep -q WIPECERT-MARKER-NVME2 "$NVME2_DEV" && ok wipe-refused-kept-data-2 || bad wipe-refused-kept-data-2 "a refused wipe wrote to $NVME2_DEV"
run wipe-nvme-format 0 "$W" wipe "$NVME2_DEV" --method nvme-format --asset NVME-2 --db /tmp/l.db \
	--key "$CERTS/test-only-technician.key" --passphrase-file "$CERTS/passphrase.txt" \
	--confirm-serial WCNVME0002 --state-dir /tmp/fw --json
has wipe-fw-kind '"kind": "firmware"' /tmp/out
has wipe-fw-state '"state": "succeeded"' /tmp/out
has wipe-fw-verified '"verification": "passed"' /tmp/out
has wipe-fw-sealed 'sealed by TEST ONLY Technician for asset NVME-2' /tmp/err
run wipe-fw-ledger 0 "$W" ledger --db /tmp/l.db show NVME-2 --json
has wipe-fw-erased '"status": "erased"' /tmp/out
# the approver signs off; the certificate names the firmware erase
# and what the drive answered, and verifies against roster and ledger
id=$(ls /tmp/fw | sed -n 's/\.wipe-record\.json$//p' | head -n 1)
[ -n "$id" ] && ok wipe-fw-record || bad wipe-fw-record "no wipe record in /tmp/fw"
run fw-approve 0 "$W" approve "$id" --state-dir /tmp/fw --db /tmp/l.db --trust "$CERTS/trust" \
	--key "$CERTS/test-only-approver.key" --passphrase-file "$CERTS/passphrase.txt" --yes --json
has fw-approve-erased '"erased": true' /tmp/out
run fw-verify 0 "$W" verify --trust "$CERTS/trust" --db /tmp/l.db "/tmp/fw/$id.pdf"
run fw-cert-show 0 "$W" cert show --json "/tmp/fw/$id.pdf"
has fw-cert-method '"method":"nvme-format"' /tmp/out
has fw-cert-purge '"type":"purge"' /tmp/out
has fw-cert-drive-status 'drive_sanitize_status' /tmp/out
has fw-cert-serial '"serial":"WCNVME0002"' /tmp/out

# 4096-byte sectors on the third disk (nvme-cli reformats it to LBA format
# 4): Format must keep the namespace's current format, and `wipe`
# overwrites and verifies it. The Format's read-back is skipped to keep
# the guest fast (the sanitizer build needs ~10 s for it under TCG): the
# guest reads the disk back itself instead; test_drive_erase verifies
# 4096-byte plans. The host finds the random overwrite on the image.
nvme format "$NVME3_DEV" --lbaf=4 --force >/dev/null 2>&1 && nvme ns-rescan "$NVME3_CTRL" >/dev/null 2>&1
sleep 0.5
[ "$(cat /sys/block/${NVME3_DEV#/dev/}/queue/logical_block_size)" = 4096 ] && ok 4kn-format || bad 4kn-format "not 4096"
fill 4kn-fill "$NVME3_DEV" WIPECERT-MARKER-4KN
run 4kn-caps 0 "$W" caps --json "$NVME3_DEV"
has 4kn-lba-size '"lba_size": 4096' /tmp/out
run 4kn-nvme-format 0 "$W" drive-erase "$NVME3_DEV" --method nvme-format --yes --no-verify --json
has 4kn-verdict '"verdict": "skipped"' /tmp/out
[ "$(head -c 8388608 "$NVME3_DEV" | tr -d '\000' | wc -c)" = 0 ] && ok 4kn-format-zeroed ||
	bad 4kn-format-zeroed "the 4Kn disk is not all zeros after the Format"
run 4kn-still-4096 0 "$W" caps --json "$NVME3_DEV"
has 4kn-kept-format '"lba_size": 4096' /tmp/out
# the overwrite engine on the 4Kn disk: wipe writes and reads back all of it
fill 4kn-refill "$NVME3_DEV" WIPECERT-MARKER-4KN
run 4kn-wipe 0 "$W" wipe "$NVME3_DEV" --method random --verify last \
	--confirm-serial WCNVME0003 --state-dir /tmp/wipe-state --json
has 4kn-wipe-sector '"logical_sector": 4096' /tmp/out
has 4kn-wipe-state '"state": "succeeded"' /tmp/out
has 4kn-wipe-verified '"verification": "passed"' /tmp/out
echo "checks done"
exit $failed
