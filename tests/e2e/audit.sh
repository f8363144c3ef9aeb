#!/usr/bin/env bash
# audit.sh - the audit report over a period holding a wipe (of an image
# file) and a physical destruction, both approved: CSV parsed back, PDF
# text read by pdftotext; then a tampered certificate shows as failed
# (exit 1), a certificate gone from the state directory is found in the
# ledger's own copy, and an edited ledger shows the chain broken.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.bash"
need_cmd pdftotext; need_cmd sqlite3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
PASS=$C/passphrase.txt
DB=$(new_ledger ledger) || exit 1
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$DB WIPECERT_TRUST=$C/trust
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")
TODAY=$(date +%F)
TOMORROW=$(date -d tomorrow +%F)

"$W" ledger add IMG-A1 --media-type "disk image" --serial IMG-A1-SN --class 2 "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
"$W" ledger add HDD-A2 --media-type HDD --model "ST1000" --serial ST-A2-SN --class 1 "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
truncate -s 2M "$T/a1.img"
J=$("$W" wipe --method random --verify last --confirm-serial "$T/a1.img" --json "$T/a1.img" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])') || fail "wipe"
expect_rc 0 "$W" seal "$J" --asset IMG-A1 "${TECH[@]}"
expect_rc 0 "$W" approve "$J" "${APPR[@]}" --yes --json
CID1=$(json_get "$T/out" 'd["certificate_id"]')
printf 'photo' >"$T/p.jpg"
expect_rc 0 "$W" destroy --asset HDD-A2 --method crush --witness "監査 立会人" --photo "$T/p.jpg" "${TECH[@]}" --json
CASE=$(json_get "$T/out" 'd["case"]')
expect_rc 0 "$W" approve "$CASE" "${APPR[@]}" --yes --json
CID2=$(json_get "$T/out" 'd["certificate_id"]')

# CSV with BOM, parsed back
expect_rc 0 "$W" audit --from "$TODAY" --to "$TODAY" -o "$T/report.csv" --bom
python3 - "$T/report.csv" "$CID1" "$CID2" <<'PY' || fail "CSV report"
import csv, sys
path, c1, c2 = sys.argv[1:]
raw = open(path, "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no BOM"
rows = list(csv.DictReader(open(path, encoding="utf-8-sig", newline="")))
by = {r["certificate_id"]: r for r in rows}
assert set(by) == {c1, c2}, by.keys()
assert by[c1]["asset_id"] == "IMG-A1" and by[c1]["method"] == "random" and by[c1]["sanitization"] == "clear"
assert by[c2]["asset_id"] == "HDD-A2" and by[c2]["method"] == "crush" and by[c2]["sanitization"] == "destroy"
for r in rows:
    assert r["certificate_status"] == "verified", r
    assert r["result"] == "erased_and_verified" and r["technician"] == "TEST ONLY Technician"
    assert r["approver"] == "TEST ONLY Approver"
assert by[c2]["ledger_status"] == "destroyed" and by[c1]["ledger_status"] == "approved"
PY
# Japanese headers
expect_rc 0 "$W" audit --from "$TODAY" --to "$TODAY" -o "$T/report-ja.csv" --japanese
head -1 "$T/report-ja.csv" | grep -q "証明書番号" || fail "no Japanese header: $(head -1 "$T/report-ja.csv")"
# a period without them lists nothing
expect_rc 0 "$W" audit --from 2020-01-01 --to 2020-12-31 --json
expect_eq "empty period" "$(json_get "$T/out" 'd["disposals"]')" 0
# the PDF
expect_rc 0 "$W" audit --from "$TODAY" --to "$TOMORROW" -o "$T/report.pdf"
pdftotext "$T/report.pdf" "$T/report.txt" || fail "pdftotext"
for want in IMG-A1 HDD-A2 "$CID1" "$CID2" "監査報告書" "audit report" intact; do
	grep -q -- "$want" "$T/report.txt" || fail "PDF lacks '$want': $(cat "$T/report.txt")"
done

# the asset moving on (approved -> disposed) is no disposal without a certificate
"$W" ledger edit IMG-A1 --status disposed --reason "handed to the recycler" "${TECH[@]}" >/dev/null 2>&1 || fail "ledger edit"
expect_rc 0 "$W" audit --from "$TODAY" --to "$TODAY" --json
expect_eq "disposals after a status move" "$(json_get "$T/out" 'd["disposals"]')" 2

# a certificate changed in the state directory: failed, exit 1, report still written
PDF2=$T/state/$CASE.pdf
cp "$PDF2" "$T/orig.pdf"
python3 - "$PDF2" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b"ST1000")
assert i > 0
b[i:i + 6] = b"ST9999"
open(p, "wb").write(bytes(b))
PY
rm -f "$T/report.csv"
expect_rc 1 "$W" audit --from "$TODAY" --to "$TODAY" -o "$T/report.csv"
[ -s "$T/report.csv" ] || fail "no report after a failure"
grep -q "FAILED re-verification" "$T/err" || fail "no failure named: $(cat "$T/err")"
python3 - "$T/report.csv" "$CID1" <<'PY' || fail "tampered certificate not shown as failed"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
st = {r["asset_id"] or r["file"]: r["certificate_status"] for r in rows}
assert st["IMG-A1"] == "verified", st
assert [v for k, v in st.items() if k != "IMG-A1"] == ["FAILED"], st
PY
cp "$T/orig.pdf" "$PDF2"
expect_rc 0 "$W" audit --from "$TODAY" --to "$TODAY" -o "$T/report.csv"

# a certificate missing from the state directory: the ledger keeps the one
# it issued, and that copy is re-verified
mv "$PDF2" "$T/moved.pdf"
expect_rc 0 "$W" audit --from "$TODAY" --to "$TODAY" --json
python3 - "$T/out" "$CASE" "$CID2" <<'PY' || fail "the ledger's copy was not audited: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["rows"] if r["certificate_id"] == sys.argv[3]]
assert len(rows) == 1 and rows[0]["file"] == "ledger:" + sys.argv[2] and rows[0]["verified"], rows
PY
mv "$T/moved.pdf" "$PDF2"
# a certificate the ledger's events name but nobody holds
"$W" ledger add IMG-A3 --serial IMG-A3-SN --class 3 "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add IMG-A3"
"$W" ledger edit IMG-A3 --certificate WC-20990101-NOWHERE --reason "typed in" "${TECH[@]}" \
	>/dev/null 2>&1 || fail "ledger edit IMG-A3"
expect_rc 1 "$W" audit --from "$TODAY" --to "$TODAY" --json
grep -q "not found in the state directory nor among the certificates the ledger holds" "$T/out" ||
	fail "missing certificate not reported: $(cat "$T/out")"

# an edited ledger: the chain is broken, exit 1
lsql "$DB" "UPDATE assets SET serial='FORGED' WHERE asset_id='IMG-A1'" || fail "edit the ledger behind its back"
expect_rc 1 "$W" audit --from "$TODAY" --to "$TODAY" -o "$T/broken.pdf"
grep -q "ledger chain is broken" "$T/err" || fail "broken chain not reported: $(cat "$T/err")"
pdftotext "$T/broken.pdf" - | grep -q BROKEN || fail "the PDF does not say the chain is broken"
# usage
expect_rc 2 "$W" audit --from "$TODAY" -o "$T/x.csv"
expect_rc 2 "$W" audit --from "$TODAY" --to "$TODAY" -o "$T/x.txt"
expect_rc 2 "$W" audit --from yesterday --to "$TODAY" -o "$T/x.csv"
exit 0
