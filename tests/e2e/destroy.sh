#!/usr/bin/env bash
# destroy.sh - physical destruction on the test-only roster: destroy
# (technician, witness, photo hashes) -> approve -> certificate of type
# "destroy" checked by wipecert verify, pdfsig, qpdf and minisign; ledger
# ends "destroyed"; refusals: policy, a destroyed asset, the witness being
# the technician, an unknown method.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.bash"
need_cmd pdfsig; need_cmd qpdf; need_cmd minisign; need_cmd certutil
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
PASS=$C/passphrase.txt
DB=$(new_ledger ledger) || exit 1
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$DB WIPECERT_TRUST=$C/trust
# what a refused destruction must leave as it was: every ledger row, every case file
KEEP=("ledger:$DB" "dir:$T/state")
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")

"$W" ledger add HDD-7 --media-type HDD --model "WD10EZEX" --serial WD-WCC6Y7 --class 1 --department 総務課 \
	--status awaiting-erasure "${TECH[@]}" >/dev/null || fail "ledger add HDD-7"
printf 'JPEG-photo-one' >"$T/front.jpg"
printf 'JPEG-photo-two' >"$T/platter.jpg"

expect_rc 0 "$W" destroy --asset HDD-7 --method shred --witness "山田 花子" --photo "$T/front.jpg" \
	--photo "$T/platter.jpg" --notes "契約業者立会い" "${TECH[@]}" --json
CASE=$(json_get "$T/out" 'd["case"]')
[ -s "$T/state/$CASE.wipe-record.json" ] || fail "no destruction record for $CASE"
minisign -V -q -m "$T/state/$CASE.wipe-record.json" -p "$C/test-only-technician.pub" || fail "technician's signature"
python3 - "$T" "$CASE" <<'PY' || fail "the record does not hold the photo hashes"
import hashlib, json, sys
t, case = sys.argv[1:]
r = json.load(open(f"{t}/state/{case}.wipe-record.json"))
d = r["destruction"]
assert r["type"] == "wipe-record" and r["level"] == "destroy" and "job" not in r
assert d["method"] == "shred" and d["witness"] == "山田 花子" and d["operator"] == "TEST ONLY Technician"
want = {n: hashlib.sha256(open(f"{t}/{n}", "rb").read()).hexdigest() for n in ("front.jpg", "platter.jpg")}
assert {p["name"]: p["sha256"] for p in d["photos"]} == want, d["photos"]
assert all(p["size"] == 14 for p in d["photos"])
PY
# pending lists it; a second destruction of the same asset is refused while it waits
expect_rc 0 "$W" pending --json
expect_eq "pending case" "$(json_get "$T/out" 'd["cases"][0]["id"]')" "$CASE"
expect_eq "pending result" "$(json_get "$T/out" 'd["cases"][0]["job_state"]')" destroyed
expect_refused 3 "awaits approval already" "${KEEP[@]}" -- "$W" destroy --asset HDD-7 --method crush --witness "W" "${TECH[@]}"

expect_rc 0 "$W" approve "$CASE" "${APPR[@]}" --yes --json
PDF=$(json_get "$T/out" 'd["pdf"]')
# the banner says what happened: destroyed and witnessed, not "erased"
need_cmd pdftotext
pdftotext -l 1 "$PDF" "$T/page1.txt" || fail "pdftotext"
grep -q "DESTROYED AND WITNESSED" "$T/page1.txt" || fail "no destruction banner on page 1"
grep -q "ERASED AND VERIFIED" "$T/page1.txt" && fail "a destruction certificate says erased"
CID=$(json_get "$T/out" 'd["certificate_id"]')
[ -s "$PDF" ] || fail "no certificate"
expect_rc 0 "$W" verify --trust "$C/trust" --db "$DB" "$PDF"
qpdf --check "$PDF" >/dev/null || fail "qpdf --check"
expect_pdf_signed "$PDF" "$C/trust/ca.crt"
expect_records_signed "$PDF" "$C/test-only-approver.pub" "$C/test-only-technician.pub"
python3 - "$T" <<'PY' || fail "certificate record"
import hashlib, json, sys
t = sys.argv[1]
rec = json.load(open(t + "/record.json"))
s = rec["sanitization"]
assert s["type"] == "destroy" and s["method"] == "shred", s
assert "山田 花子" in s["details"], s["details"]
for n in ("front.jpg", "platter.jpg"):
    assert hashlib.sha256(open(f"{t}/{n}", "rb").read()).hexdigest() in s["details"], n
assert rec["verification"]["method"].startswith("witnessed physical destruction")
assert rec["result"] == "erased_and_verified"
assert rec["media"]["serial"] == "WD-WCC6Y7" and rec["asset"]["id"] == "HDD-7"
assert rec["wipe_record"]["sha256"] == hashlib.sha256(open(t + "/wipe-record.json", "rb").read()).hexdigest()
PY
expect_rc 0 "$W" ledger show HDD-7 --json
expect_eq "status" "$(json_get "$T/out" 'd["status"]')" destroyed
expect_eq "certificate" "$(json_get "$T/out" 'd["certificate_id"]')" "$CID"
expect_rc 0 "$W" ledger verify

# a destroyed asset cannot be destroyed (or wiped) again
expect_refused 3 "is destroyed already" "${KEEP[@]}" -- "$W" destroy --asset HDD-7 --method crush --witness "W" "${TECH[@]}"

# the policy: class 3 here accepts only clear and purge
cat >"$T/policy.conf" <<'POL'
[class 3]
levels = clear, purge
POL
"$W" ledger add SSD-9 --media-type SSD --serial SSD-9-SN --class 3 "${TECH[@]}" >/dev/null
expect_refused 3 "SSD-9" "${KEEP[@]}" -- "$W" destroy --policy "$T/policy.conf" --asset SSD-9 --method drill --witness "W" "${TECH[@]}"
# the witness is someone else; a method that destroys nothing is a usage error; unknown assets fail
expect_refused 3 "" "${KEEP[@]}" -- "$W" destroy --asset SSD-9 --method drill --witness "TEST ONLY Technician" "${TECH[@]}"
expect_refused 2 "" "${KEEP[@]}" -- "$W" destroy --asset SSD-9 --method zero --witness "W" "${TECH[@]}"
expect_refused 1 "" "${KEEP[@]}" -- "$W" destroy --asset NOPE --method drill --witness "W" "${TECH[@]}"
expect_refused 1 "" "${KEEP[@]}" -- "$W" destroy --asset SSD-9 --method drill --witness "W" --photo "$T/missing.jpg" "${TECH[@]}"
# an approver's key does not record destructions
expect_refused 3 "" "${KEEP[@]}" -- "$W" destroy --asset SSD-9 --method drill --witness "W" "${APPR[@]}"
exit 0
