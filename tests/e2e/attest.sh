#!/usr/bin/env bash
# attest.sh - a medium that reports no serial (a loop device here, an image
# file at the end; a USB-SATA bridge that hides it at a station) is registered and wiped with
# the serial on its label, typed twice and recorded as attested by the
# technician: the ledger event, the job, the wipe record and the
# certificate say "attested", never that the drive reported it. With a
# serial known, --confirm-serial must name it: nothing else confirms.
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_root
need_cmd pdftotext; need_cmd sqlite3; need_cmd qpdf
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$T/ledger.db WIPECERT_TRUST=$C/trust
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$C/passphrase.txt")

new_loop L "$T/label.img" 8M --direct-io=on
printf 'TAX-RECORDS-2019' | dd of="$L" bs=512 seek=100 conv=fsync status=none
cp "$T/label.img" "$T/label.orig"
nothing_written() { # WHAT: the loop's image is as it was, no job and no ledger event recorded
	cmp -s "$T/label.img" "$T/label.orig" || fail "$1: the medium was written"
	[ -z "$(ls "$T/state"/*.json 2>/dev/null)" ] || fail "$1: a job was recorded: $(ls "$T/state")"
	expect_eq "$1: ledger events" "$(sqlite3 "$T/ledger.db" "SELECT count(*) FROM events WHERE asset_id = 'LBL-1'")" 1
}

# registering: the serial typed twice; a disk that reports nothing is refused without it
expect_rc 1 "$W" ledger add LBL-1 --from-device "$L" --class 3 "${TECH[@]}"
grep -q "reports neither serial nor wwn" "$T/err" || fail "no identity, no attestation: $(cat "$T/err")"
expect_rc 3 "$W" ledger add LBL-1 --from-device "$L" --attest-serial WD-LABEL-0042 --confirm-serial WD-LABEL-0043 --class 3 \
	"${TECH[@]}"
grep -q "typed twice differs" "$T/err" || fail "a mistyped second entry: $(cat "$T/err")"
expect_rc 3 "$W" ledger add LBL-1 --from-device "$L" --attest-serial WD-LABEL-0042 --class 3 "${TECH[@]}" </dev/null
grep -q "not confirmed" "$T/err" || fail "an attestation typed once: $(cat "$T/err")"
expect_rc 0 "$W" ledger add LBL-1 --from-device "$L" --attest-serial WD-LABEL-0042 --confirm-serial WD-LABEL-0042 \
	--class 3 "${TECH[@]}"
expect_eq "ledger serial" "$(sqlite3 "$T/ledger.db" "SELECT serial FROM assets WHERE asset_id='LBL-1'")" WD-LABEL-0042
sqlite3 "$T/ledger.db" "SELECT reason FROM events WHERE asset_id='LBL-1'" | grep -q "serial WD-LABEL-0042 attested by TEST ONLY Technician" ||
	fail "the ledger event does not say whose word the serial is"

# without the attestation the loop cannot be tied to the asset: refused, nothing written
expect_rc 3 "$W" wipe --method zero --asset LBL-1 --confirm-serial "$L" "$L"
grep -q "reports neither serial nor wwn" "$T/err" || fail "wipe without attestation: $(cat "$T/err")"
nothing_written "no attestation"
# an attested serial that is not the asset's: refused
expect_rc 3 "$W" wipe --method zero --asset LBL-1 --attest-serial WD-LABEL-9999 --confirm-serial WD-LABEL-9999 "$L"
grep -q "serial mismatch" "$T/err" || fail "another label: $(cat "$T/err")"
nothing_written "another label"
# with a serial known, only that serial confirms: not another, not the path
expect_rc 3 "$W" wipe --method zero --asset LBL-1 --attest-serial WD-LABEL-0042 --confirm-serial ANYTHING "$L"
grep -q "not confirmed: pass --confirm-serial WD-LABEL-0042" "$T/err" || fail "wrong confirmation: $(cat "$T/err")"
nothing_written "--confirm-serial ANYTHING"
expect_rc 3 "$W" wipe --method zero --asset LBL-1 --attest-serial WD-LABEL-0042 --confirm-serial "$L" "$L"
nothing_written "--confirm-serial by path"
expect_rc 2 "$W" wipe --method zero --attest-serial A --attest-serial B --confirm-serial A "$L"

# the wipe, sealed by the technician: the attestation goes with the job
expect_rc 0 "$W" wipe --method zero --asset LBL-1 --attest-serial WD-LABEL-0042 --confirm-serial WD-LABEL-0042 \
	"${TECH[@]}" --json "$L"
J=$(json_get "$T/out" 'd["jobs"][0]["id"]')
expect_eq "drive serial" "$(json_get "$T/out" 'd["jobs"][0]["device"]["serial"]')" None
expect_eq "attested serial" "$(json_get "$T/out" 'd["jobs"][0]["device"]["attested"]["serial"]')" WD-LABEL-0042
expect_eq "attested by" "$(json_get "$T/out" 'd["jobs"][0]["device"]["attested"]["by"]')" "TEST ONLY Technician"
grep -q TAX-RECORDS "$T/label.img" && fail "the marker survived"
python3 - "$T/state/$J.wipe-record.json" <<'PY' || fail "wipe record"
import json, sys
r = json.load(open(sys.argv[1]))
d = r["job"]["device"]
assert d["serial"] is None and d["attested"] == {"serial": "WD-LABEL-0042", "by": "TEST ONLY Technician"}, d
assert r["asset"]["serial"] == "WD-LABEL-0042"
PY
minisign -V -q -m "$T/state/$J.wipe-record.json" -p "$C/test-only-technician.pub" || fail "wipe record signature"

# the certificate says the serial was attested, in its record and on the page
expect_rc 0 "$W" approve "$J" "${APPR[@]}" --yes --json
PDF=$(json_get "$T/out" 'd["pdf"]')
expect_rc 0 "$W" verify --trust "$C/trust" --db "$T/ledger.db" "$PDF"
qpdf --show-attachment=record.json "$PDF" >"$T/record.json" || fail "no record.json"
expect_eq "certificate serial" "$(json_get "$T/record.json" 'd["media"]["serial"]')" WD-LABEL-0042
expect_eq "attested on the certificate" "$(json_get "$T/record.json" 'd["media"]["serial_attested_by"]')" "TEST ONLY Technician"
pdftotext -layout "$PDF" - | grep -q "attested by TEST ONLY Technician" || fail "the page does not say the serial was attested"
# an image file (no firmware, no serial: what the README's example wipes)
# is registered the same way: refused without the label's serial, recorded
# as attested with it
truncate -s 4M "$T/media.img"
expect_rc 1 "$W" ledger add IMG-1 --from-device "$T/media.img" --class 3 "${TECH[@]}"
grep -q "reports neither serial nor wwn" "$T/err" || fail "an image file without attestation: $(cat "$T/err")"
expect_rc 0 "$W" ledger add IMG-1 --from-device "$T/media.img" --attest-serial IMG-LABEL-7 --confirm-serial IMG-LABEL-7 \
	--class 3 "${TECH[@]}"
expect_eq "image entry" "$(sqlite3 "$T/ledger.db" "SELECT media_type, serial FROM assets WHERE asset_id='IMG-1'")" "image|IMG-LABEL-7"
sqlite3 "$T/ledger.db" "SELECT reason FROM events WHERE asset_id='IMG-1'" | grep -q "serial IMG-LABEL-7 attested by TEST ONLY Technician" ||
	fail "the image file's ledger event does not say whose word the serial is"
exit 0
