#!/usr/bin/env bash
# flow.sh - the approval workflow on image files with the test-only roster:
# wipe -> seal (technician) -> approve (approver) -> certificate checked by
# wipecert verify, pdfsig, qpdf and minisign; and the refusals: a
# technician approving, the same person approving, a policy violation, a
# rejected case, a record for the wrong asset, a tampered wipe record.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.bash"
need_cmd pdfsig; need_cmd qpdf; need_cmd minisign; need_cmd certutil
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
PASS=$C/passphrase.txt
DB=$(new_ledger ledger) || exit 1
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$DB WIPECERT_TRUST=$C/trust
W=$WIPECERT
# what a refused step must leave as it was: every ledger row (but the
# operation log's note of the refusal), every case file
KEEP=("ledger:$T/ledger.db" "dir:$T/state")
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")

wipe_image() { # NAME METHOD: wipe a fresh image, print the job id
	truncate -s 4M "$T/$1.img"
	printf 'TAX-RECORDS-2019' | dd of="$T/$1.img" bs=1 seek=65536 conv=notrunc status=none
	"$W" wipe --method "$2" --verify last --confirm-serial "$T/$1.img" --json "$T/$1.img" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])'
}

"$W" ledger add IMG-1 --media-type "disk image" --model "demo image" --serial IMG-SERIAL-1 \
	--department 税務課 --class 2 --status awaiting-erasure "${TECH[@]}" >/dev/null || fail "ledger add IMG-1"
"$W" ledger add IMG-2 --media-type "disk image" --serial IMG-SERIAL-2 --class 1 "${TECH[@]}" >/dev/null || fail "ledger add IMG-2"

# the happy path
J1=$(wipe_image one random) || fail "wipe one"
[ -n "$J1" ] || fail "no job id"
grep -q TAX-RECORDS "$T/one.img" && fail_outcome "marker survived the wipe"
expect_rc 0 "$W" seal "$J1" --asset IMG-1 "${TECH[@]}"
expect_rc 0 "$W" pending --json
expect_eq "pending case" "$(json_get "$T/out" 'd["cases"][0]["id"]')" "$J1"
expect_eq "pending state" "$(json_get "$T/out" 'd["cases"][0]["state"]')" awaiting-approval

# a technician cannot approve; without --yes and a terminal nothing happens
expect_refused 3 "a technician key may not approve" "${KEEP[@]}" -- "$W" approve "$J1" "${TECH[@]}" --yes
expect_refused 3 "not confirmed" "${KEEP[@]}" -- "$W" approve "$J1" "${APPR[@]}" </dev/null

expect_rc 0 "$W" approve "$J1" "${APPR[@]}" --yes --json --destination "リサイクル / recycling"
PDF=$(json_get "$T/out" 'd["pdf"]')
CID=$(json_get "$T/out" 'd["certificate_id"]')
expect_eq "erased" "$(json_get "$T/out" 'd["erased"]')" True
[ -s "$PDF" ] || fail "no certificate at $PDF"
# approving twice is refused
expect_refused 3 "" "${KEEP[@]}" -- "$W" approve "$J1" "${APPR[@]}" --yes

# our own verify, with the roster and the ledger
expect_rc 0 "$W" verify --trust "$C/trust" --db "$DB" "$PDF"
# tools we did not write
qpdf --check "$PDF" >/dev/null || fail "qpdf --check"
expect_pdf_signed "$PDF" "$C/trust/ca.crt"
expect_records_signed "$PDF" "$C/test-only-approver.pub" "$C/test-only-technician.pub"
# the certificate record names the technician's wipe record and signature
python3 - "$T" <<'PY' || fail "the record does not bind the wipe record"
import hashlib, json, sys
t = sys.argv[1]
rec = json.load(open(t + "/record.json"))
h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
assert rec["wipe_record"]["sha256"] == h(t + "/wipe-record.json")
assert rec["wipe_record"]["signature_sha256"] == h(t + "/wipe-record.json.minisig")
assert rec["media"]["serial"] == "IMG-SERIAL-1" and rec["asset"]["id"] == "IMG-1"
PY
# the ledger: erased by the technician, approved with the certificate, chain intact
expect_rc 0 "$W" ledger show IMG-1 --json
expect_eq "status" "$(json_get "$T/out" 'd["status"]')" approved
expect_eq "certificate" "$(json_get "$T/out" 'd["certificate_id"]')" "$CID"
expect_rc 0 "$W" ledger verify
lsql "$DB" "SELECT actor FROM events WHERE asset_id='IMG-1' ORDER BY seq" >"$T/actors"
grep -qx "TEST ONLY Technician" "$T/actors" && grep -qx "TEST ONLY Approver" "$T/actors" ||
	fail "ledger events do not name technician and approver: $(cat "$T/actors")"

# wipe --asset checks the policy before writing anything: the marker stays
truncate -s 4M "$T/five.img"
printf 'TAX-RECORDS-2019' | dd of="$T/five.img" bs=1 seek=65536 conv=notrunc status=none
expect_refused 3 "which class 1 does not accept" "$T/five.img" "${KEEP[@]}" -- \
	"$W" wipe --method zero --asset IMG-2 --confirm-serial "$T/five.img" "$T/five.img"
# ... and refuses an asset that was already disposed of
"$W" ledger add IMG-GONE --serial GONE --class 3 --status disposed "${TECH[@]}" >/dev/null
expect_refused 3 "IMG-GONE is disposed" "$T/five.img" "${KEEP[@]}" -- \
	"$W" wipe --method zero --asset IMG-GONE --confirm-serial "$T/five.img" "$T/five.img"
# wipe --asset --key seals the finished job for the technician in one step
"$W" ledger add IMG-5 --serial IMG-SERIAL-5 --class 3 "${TECH[@]}" >/dev/null
expect_rc 0 "$W" wipe --method random --asset IMG-5 "${TECH[@]}" --confirm-serial "$T/five.img" --json "$T/five.img"
J5=$(json_get "$T/out" 'd["jobs"][0]["id"]')
grep -q "sealed by TEST ONLY Technician for asset IMG-5" "$T/err" || fail "wipe --key did not seal: $(cat "$T/err")"
[ -s "$T/state/$J5.wipe-record.json" ] || fail "no wipe record for $J5"
expect_rc 0 "$W" ledger show IMG-5 --json
expect_eq "status after a sealed wipe" "$(json_get "$T/out" 'd["status"]')" erased
# --key without --asset, or a count mismatch, is a usage error
expect_rc 2 "$W" wipe --method zero "${TECH[@]}" --confirm-serial "$T/five.img" "$T/five.img"
expect_rc 2 "$W" wipe --method zero --asset IMG-5 --asset IMG-4 --confirm-serial "$T/five.img" "$T/five.img"

# policy: a class-1 asset must be purged or destroyed, so an overwrite is refused at approval
J2=$(wipe_image two zero) || fail "wipe two"
expect_rc 0 "$W" seal "$J2" --asset IMG-2 "${TECH[@]}"
expect_refused 3 "which class 1 does not accept" "${KEEP[@]}" -- "$W" approve "$J2" "${APPR[@]}" --yes
expect_absent "$T/state/$J2.pdf" "a refused approval wrote a certificate"
# ... the approver rejects it instead, with a reason; the ledger says so
expect_rc 2 "$W" reject "$J2" "${APPR[@]}" --yes
expect_rc 0 "$W" reject "$J2" "${APPR[@]}" --yes --reason "class 1: use crypto erase"
minisign -V -q -m "$T/state/$J2.rejected.json" -p "$C/test-only-approver.pub" || fail "rejection signature"
expect_refused 3 "" "${KEEP[@]}" -- "$W" approve "$J2" "${APPR[@]}" --yes
expect_rc 0 "$W" ledger history IMG-2 --json
grep -q "class 1: use crypto erase" "$T/out" || fail "rejection not in the ledger history"
# every event is signed: the adds and the trust serials by the technician
# who made them, seal, approve and reject by the technician's and the
# approver's keys
expect_rc 0 "$W" ledger verify --trust "$C/trust" --json
expect_eq "signed events" "$(json_get "$T/out" 'd["signatures"]["signed"]')" \
	"$(lsql "$DB" "SELECT count(*) FROM events")"
expect_eq "unsigned events" "$(lsql "$DB" "SELECT count(*) FROM events WHERE signature IS NULL")" 0
# (seal and approve of IMG-1, seal of IMG-5, seal and reject of IMG-2)
lsql "$DB" "SELECT key_id FROM events WHERE kind IN ('update', 'note') AND reason NOT LIKE 'refused: %' ORDER BY seq" |
	tr '\n' ' ' >"$T/kids"
expect_eq "signing keys" "$(cat "$T/kids")" "E060C2396575B022 EE9656F0FA4C7EA5 E060C2396575B022 E060C2396575B022 EE9656F0FA4C7EA5 "

# sealing for an asset the ledger does not have, or twice, is refused
J3=$(wipe_image three one) || fail "wipe three"
expect_refused 1 "NO-SUCH-ASSET: not in the ledger" "${KEEP[@]}" -- "$W" seal "$J3" --asset NO-SUCH-ASSET "${TECH[@]}"
expect_absent "$T/state/$J3.wipe-record.json" "a refused seal wrote a record"
expect_refused 3 "already sealed" "${KEEP[@]}" -- "$W" seal "$J1" --asset IMG-1 "${TECH[@]}"

# a wipe record changed after sealing is refused at approval
"$W" ledger add IMG-3 --serial IMG-SERIAL-3 --class 3 "${TECH[@]}" >/dev/null
# an approver's key does not seal a wipe (it may only approve one)
expect_refused 3 "may not sign a wipe record" "${KEEP[@]}" -- "$W" seal "$J3" --asset IMG-3 "${APPR[@]}"
expect_rc 0 "$W" seal "$J3" --asset IMG-3 "${TECH[@]}"
cp "$T/state/$J3.wipe-record.json" "$T/j3.orig"
sed -i 's/"method":"one"/"method":"zero"/' "$T/state/$J3.wipe-record.json"
cmp -s "$T/j3.orig" "$T/state/$J3.wipe-record.json" && fail "the tamper changed nothing"
expect_refused 3 "signature does not verify" "${KEEP[@]}" -- "$W" approve "$J3" "${APPR[@]}" --yes
# ... and one that is no longer canonical JSON cannot even be read
sed -i 's/"state":"succeeded"/"state": "succeeded"/' "$T/state/$J3.wipe-record.json"
expect_refused 1 "" "${KEEP[@]}" -- "$W" approve "$J3" "${APPR[@]}" --yes
expect_absent "$T/state/$J3.pdf" "a tampered record got a certificate"

# export on the station, import and approve elsewhere
J4=$(wipe_image four random) || fail "wipe four"
"$W" ledger add IMG-4 --serial IMG-SERIAL-4 --class 3 "${TECH[@]}" >/dev/null
expect_rc 0 "$W" seal "$J4" --asset IMG-4 "${TECH[@]}"
expect_rc 0 "$W" export-record "$J4" -o "$T/bundle.json"
expect_rc 0 "$W" import-record --state-dir "$T/manager" "$T/bundle.json"
expect_rc 0 "$W" approve --state-dir "$T/manager" "$J4" "${APPR[@]}" --yes
[ -s "$T/manager/$J4.pdf" ] || fail "no certificate on the manager's side"
# a bundle whose record was changed does not import
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); b["wipe_record"]=b["wipe_record"].replace("IMG-4","IMG-1"); b["id"]="x"; json.dump(b,open(sys.argv[2],"w"))' \
	"$T/bundle.json" "$T/bad-bundle.json"
expect_refused 3 "" "dir:$T/manager2" -- "$W" import-record --state-dir "$T/manager2" "$T/bad-bundle.json"
exit 0
