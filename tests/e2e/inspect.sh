#!/usr/bin/env bash
# inspect.sh - the inspection (点検) on a fixture ledger that has a finding
# for every section: awaiting erasure too long, with a contractor without an
# accepted certificate, under evidence hold, stolen, taken out past its
# return date, class 1 not disposed of, kept past its retention, and disks a
# station saw (list --db over a captured sysfs tree) that no entry names.
# The report's PDF read back with pdftotext, its CSV with Python's csv, its
# JSON record; every file's signature checked with minisign against the
# approver's public key, and a changed byte refused. The policy's [inspect]
# thresholds move what is overdue; a technician's key may not sign it.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.bash"
need_cmd pdftotext; need_cmd minisign; need_cmd pdfsig; need_cmd qpdf; need_cmd jq
[ "$BACKEND" = postgresql ] || need_cmd sqlite3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
FX=$(cd "$(dirname "$0")/../fixtures/sysfs" && pwd)
PASS=$C/passphrase.txt
W=$WIPECERT
DB=$(new_ledger ledger) || exit 1
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$DB WIPECERT_TRUST=$C/trust
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")
add() { "$W" ledger add "$@" "${TECH[@]}" >/dev/null 2>"$T/err" || fail "ledger add $1: $(cat "$T/err")"; }

add AW-1 --serial AW1 --class 2 --status awaiting-erasure --department 税務課
add HC-1 --serial HC1 --class 3 --status handed-to-contractor
add EH-1 --serial EH1 --class 3 --status evidence-hold --incident INC-31
add LS-1 --serial LS1 --class 1 --status stolen --incident INC-32 --threat-level 3 --data-held 本人確認情報
add TO-1 --serial TO1 --class 3 --status taken-out --permitted-by "課長 鈴木" --return-due 2027-01-15
add C1-1 --serial C11 --class 1 --status retired --department 市民課 --asset-name "窓口サーバ"
add RT-1 --serial RT1 --class 3 --retention 平成31年3月31日 --data-held 住民票
add OK-1 --serial OK1 --class 2 --status disposed
# the station saw its disks; sda is an entry, the others are not
add KN-1 --serial WD-WCC6Y0RL1234 --class 3
expect_rc 0 "$W" list --sysfs-root "$FX/tree" --mountinfo "$FX/mountinfo" --swaps "$FX/swaps" --db "$DB"
expect_eq "seen" "$(lsql "$DB" "SELECT count(*) FROM seen")" 5

AT=2027-03-01
expect_rc 0 "$W" inspect --at "$AT" -o "$T/r.pdf" -o "$T/r.csv" -o "$T/r.json" "${APPR[@]}" --json
expect_eq "findings" "$(json_get "$T/out" 'len(d["findings"])')" 12
python3 - "$T/r.csv" <<'PY' || fail "the CSV's findings"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
got = sorted((r["section"], r["asset_id"], r["overdue"]) for r in rows)
want = sorted([
    ("awaiting-erasure-overdue", "AW-1", "yes"), ("contractor-no-certificate", "HC-1", "yes"),
    ("evidence-hold", "EH-1", "no"), ("lost-stolen-open", "LS-1", "yes"), ("taken-out", "TO-1", "yes"),
    ("class1-not-disposed", "C1-1", "no"), ("class1-not-disposed", "LS-1", "no"),
    ("retention-passed", "RT-1", "yes"),
    ("unknown-disks", "", "yes"), ("unknown-disks", "", "yes"), ("unknown-disks", "", "yes"),
    ("unknown-disks", "", "yes"),
])
assert got == want, got
unknown = " ".join(r["detail"] for r in rows if r["section"] == "unknown-disks")
for s in ("S4EWNX0R812345K", "4C530001230815117294", "naa.5000c500a1b2c3d2", "naa.5000c500a1b2c3d3"):
    assert s in unknown, (s, unknown)
assert "WD-WCC6Y0RL1234" not in unknown
ls = [r for r in rows if r["asset_id"] == "LS-1" and r["section"] == "lost-stolen-open"][0]
assert "INC-32" in ls["detail"] and "threat level 3" in ls["detail"] and "本人確認情報" in ls["detail"], ls
PY
# the PDF, read back by poppler: every section's title and each asset
pdftotext -layout "$T/r.pdf" "$T/r.txt" || fail "pdftotext"
for s in 消去待ちの期限超過 業者引渡し後 証拠保全中 紛失・盗難 持出し中 重要性分類1 保存期限経過 台帳未登録の媒体 \
	"Inspected at 2027-03-01" "Ledger chain: intact" "TEST ONLY Approver" AW-1 HC-1 EH-1 LS-1 TO-1 C1-1 RT-1; do
	grep -q -- "$s" "$T/r.txt" || fail "the PDF lacks '$s'"
done
grep -q "OK-1" "$T/r.txt" && fail "a disposed asset is a finding"
# each file signed by the approver: minisign, a tool we did not write
for f in r.pdf r.csv r.json; do
	minisign -V -q -m "$T/$f" -p "$C/test-only-approver.pub" || fail "minisign $f"
	grep -q '"doc":"inspection"' "$T/$f.minisig" || fail "$f.minisig is not an inspection's"
done
# the PDF is signed as every report is (the audit report's mechanism):
# poppler's pdfsig against the roster's CA, qpdf, the attached record the
# JSON file itself with the same minisign signature, and wipecert verify
expect_pdf_signed "$T/r.pdf" "$C/trust/ca.crt"
qpdf --check "$T/r.pdf" >/dev/null || fail "qpdf --check r.pdf"
qpdf --show-attachment=record.json "$T/r.pdf" >"$T/att.json" && cmp -s "$T/att.json" "$T/r.json" ||
	fail "the PDF's record.json is not r.json"
qpdf --show-attachment=record.json.minisig "$T/r.pdf" >"$T/att.json.minisig" &&
	minisign -V -q -m "$T/att.json" -p "$C/test-only-approver.pub" || fail "minisign: the PDF's record"
expect_rc 0 "$W" verify "$T/r.pdf" --json
jq -e '.verdict == "valid" and .kind == "inspection" and (.report_id | startswith("INS-"))' "$T/out" >/dev/null ||
	fail "verify r.pdf: $(cat "$T/out")"
expect_rc 0 "$W" verify "$T/r.pdf"
grep -q "inspection report INS-.* signed by the inspector TEST ONLY Approver" "$T/out" || fail "verify: $(cat "$T/out")"
# a byte of the signed PDF changed: verify refuses it
cp "$T/r.pdf" "$T/bad.pdf"
printf 'X' | dd of="$T/bad.pdf" bs=1 seek=400 conv=notrunc 2>/dev/null
expect_rc 1 "$W" verify "$T/bad.pdf"
# the org-root may sign the JSON and the CSV, but has no X.509 certificate of
# a member to sign a PDF: refused, nothing written
expect_rc 3 "$W" inspect --at "$AT" -o "$T/root.pdf" --key "$C/test-only-root.key" --passphrase-file "$PASS"
grep -q "no X.509 certificate in the roster to sign the PDF" "$T/err" || fail "root's PDF: $(cat "$T/err")"
[ -e "$T/root.pdf" ] && fail "an unsigned PDF was written for the root"
expect_rc 0 "$W" inspect --at "$AT" -o "$T/root.json" --key "$C/test-only-root.key" --passphrase-file "$PASS"
minisign -V -q -m "$T/root.json" -p "$C/test-only-root.pub" || fail "minisign: the root's record"
# the record names the CSV by SHA-256 and counts every section
python3 - "$T" <<'PY' || fail "the JSON record"
import hashlib, json, sys
t = sys.argv[1]
rec = json.load(open(t + "/r.json"))
assert rec["type"] == "inspection" and rec["csv_sha256"] == hashlib.sha256(open(t + "/r.csv", "rb").read()).hexdigest()
assert rec["counts"]["unknown-disks"] == 4 and rec["counts"]["class1-not-disposed"] == 2, rec["counts"]
assert rec["inspector"]["name"] == "TEST ONLY Approver" and rec["ledger"]["intact"]
PY
# a changed byte: minisign refuses it
sed -i 's/TO-1/TO-2/' "$T/r.csv"
minisign -V -q -m "$T/r.csv" -p "$C/test-only-approver.pub" 2>/dev/null && fail "a changed CSV verified"

# the thresholds are the policy's: 100 days is not overdue at 90
cat >"$T/policy.conf" <<'EOF'
[inspect]
awaiting_erasure_days = 100
contractor_days = 100
EOF
expect_rc 0 "$W" inspect --at "$AT" --policy "$T/policy.conf" --json
expect_eq "awaiting, 100 days" "$(json_get "$T/out" 'd["counts"]["awaiting-erasure-overdue"]')" 0
expect_eq "contractor, 100 days" "$(json_get "$T/out" 'd["counts"]["contractor-no-certificate"]')" 0
# a day after the return date, not before
expect_rc 0 "$W" inspect --at 2027-01-15 --json
expect_eq "due that day" "$(json_get "$T/out" '[f["overdue"] for f in d["findings"] if f["section"] == "taken-out"]')" "[False]"
# a technician does not sign an inspection
expect_rc 3 "$W" inspect --at "$AT" -o "$T/t.csv" "${TECH[@]}"
grep -q "a technician key may not sign a inspection" "$T/err" || fail "technician's key: $(cat "$T/err")"
[ -e "$T/t.csv" ] && fail "a report was written with a key that may not sign it"
# Japanese headers for spreadsheets
expect_rc 0 "$W" inspect --at "$AT" -o "$T/ja.csv" --japanese --bom
head -c 3 "$T/ja.csv" | od -An -tx1 | grep -q "ef bb bf" || fail "no BOM"
grep -q "区分,区分名,資産番号,状態" "$T/ja.csv" || fail "Japanese headers: $(head -1 "$T/ja.csv")"
true
