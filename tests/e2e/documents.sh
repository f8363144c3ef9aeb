#!/usr/bin/env bash
# documents.sh - the documents a disposal really produces (issue 19), on
# image files: 25 disks wiped by two technicians, one failed, one
# approval -> one list certificate (checked by pdfsig, qpdf, minisign on
# every attached record, pdftotext for every serial, verify and verify
# --db); a row whose attached record was altered is named by verify; a
# witness-signed erasure and destruction; a contractor batch of 25 with a
# hand-over list, receipt, a sub-contractor tier, and the owner's accept
# closing all 25 assets; `custody` showing what is out; the audit report
# signed by the auditor and verified the same way; the municipal layout.
. "$(dirname "$0")/lib.bash"
unset LC_ALL LANGUAGE
export LC_MESSAGES=C
need_cmd pdfsig; need_cmd qpdf; need_cmd minisign; need_cmd certutil; need_cmd pdftotext; need_cmd jq
FORGE=${FORGE:-$(dirname "$WIPECERT")/tests/tools/forge}
[ -x "$FORGE" ] || fail "no test-only forger at $FORGE (make check builds it)"
W=$WIPECERT
. "$(dirname "$0")/documents.bash"

# ---- the owner's 25 disks, two technicians, one approval ----
for i in $(seq -w 1 25); do
	"$W" ledger --db "$T/own.db" add "L-$i" --media-type "disk image" --model "庁舎 PC $i" --serial "LS-$i-X" \
		--class 2 --status awaiting-erasure --lease "東京リース / 契約 TL-2021-$i" --key own/tech1.key "${P[@]}" \
		>/dev/null 2>&1 ||
		fail "ledger add L-$i"
	truncate -s 1M "l$i.img"
	printf 'KOSEKI-%s' "$i" | dd of="l$i.img" bs=1 seek=8192 conv=notrunc status=none
done
wipe_as() { # TECH FIRST LAST
	local args=() i
	for i in $(seq -w "$2" "$3"); do args+=(--asset "L-$i" --confirm-serial "l$i.img"); done
	"$W" wipe --method zero --verify last "${args[@]}" --key "own/$1.key" "${P[@]}" --db own.db \
		--state-dir own/state --json $(for i in $(seq -w "$2" "$3"); do echo "l$i.img"; done) >"$T/wipe.json" \
		2>"$T/err" || fail "wipe by $1: $(cat "$T/err")"
}
wipe_as tech1 01 13
wipe_as tech2 14 25
grep -l KOSEKI l*.img && fail "a marker survived the wipes"
jq -r '.jobs[].id' "$T/wipe.json" >/dev/null || fail "wipe --json"
"$W" pending "${OWN[@]}" --json >pending.json || fail "pending"
[ "$(jq '.cases | length' pending.json)" = 25 ] || fail "25 cases awaiting approval: $(cat pending.json)"
jq -r '.cases[].id' pending.json >cases

# one wipe failed: its record says so (signed by its technician: the
# forger here stands for a wipe whose read-back did not match); the list
# shows it as failed, never drops it
FAILED=$(jq -r '.cases[] | select(.asset_id == "L-07") | .id' pending.json)
python3 - "own/state/$FAILED.wipe-record.json" failed.src.json <<'PY' || fail "a failed record"
import json, sys
d = json.load(open(sys.argv[1]))
d["job"]["state"] = "failed"
d["job"]["passes"][-1]["verification"] = "failed"
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
rm -f "own/state/$FAILED.wipe-record.json" "own/state/$FAILED.wipe-record.json.minisig"
"$FORGE" canon failed.src.json "own/state/$FAILED.wipe-record.json" &&
	"$FORGE" sign --key own/tech1.key --pass pw --type wipe-record "own/state/$FAILED.wipe-record.json" ||
	fail "the technician signs the failed wipe"

# a witness signs two of the erasures (later, with `wipecert witness`)
W1=$(sed -n 3p cases)
expect_rc 0 "$W" witness "$W1" --key own/wit.key "${P[@]}" "${OWN[@]}" --json
jq -e --arg c "$W1" '.case == $c and .witnessed' "$T/out" >/dev/null || fail "witness --json: $(cat "$T/out")"
expect_rc 3 "$W" witness "$W1" --key own/wit.key "${P[@]}" "${OWN[@]}"
grep -q "witnessed already" "$T/err" || fail "witnessing twice: $(cat "$T/err")"
# a technician's key is no witness's
expect_rc 3 "$W" witness "$(sed -n 4p cases)" --key own/tech2.key "${P[@]}" "${OWN[@]}"
grep -q "may not sign as a witness" "$T/err" || fail "a technician as witness: $(cat "$T/err")"

expect_rc 0 "$W" approve --batch cases --key own/appr.key "${P[@]}" "${OWN[@]}" --yes --json \
	--client "TEST ONLY 総務部" --client-unit "情報政策課" --site "本庁舎 3F サーバ室" --room "301" \
	--approval-ref "総第2026-123号" --destination "リサイクル / recycling"
LIST=$(jq -r .pdf "$T/out")
[ "$(jq .rows "$T/out")" = 25 ] && [ "$(jq .failed "$T/out")" = 1 ] || fail "list: $(cat "$T/out")"
[ -s "$LIST" ] || fail "no list certificate"
# every case is decided, in the list; none can be approved again
"$W" pending "${OWN[@]}" --json --all >all.json
[ "$(jq '[.cases[] | select(.state == "approved" and .certificate == "'"$LIST"'")] | length' all.json)" = 25 ] ||
	fail "cases not marked approved in the list: $(cat all.json)"
expect_rc 3 "$W" approve "$W1" --key own/appr.key "${P[@]}" "${OWN[@]}" --yes
grep -q "in a list certificate" "$T/err" || fail "approving a listed case again: $(cat "$T/err")"

# checked by tools we did not write
expect_pdf_signed "$LIST" own/trust/ca.crt
qpdf --check "$LIST" >/dev/null || fail "qpdf --check the list"
qpdf --list-attachments "$LIST" >att.txt || fail "qpdf --list-attachments"
[ "$(grep -c 'wipe-record-00[0-9][0-9].json ->' att.txt)" = 25 ] || fail "25 wipe records attached: $(cat att.txt)"
mkdir -p rows
for n in $(seq -f %04g 1 25); do
	qpdf --show-attachment="wipe-record-$n.json" "$LIST" >"rows/$n.json" &&
		qpdf --show-attachment="wipe-record-$n.json.minisig" "$LIST" >"rows/$n.json.minisig" ||
		fail "attachment of row $n"
	minisign -V -q -m "rows/$n.json" -p own/tech1.pub 2>/dev/null ||
		minisign -V -q -m "rows/$n.json" -p own/tech2.pub || fail "minisign: row $n's wipe record"
done
qpdf --show-attachment=record.json "$LIST" >list-record.json && qpdf --show-attachment=record.json.minisig "$LIST" \
	>list-record.json.minisig && minisign -V -q -m list-record.json -p own/appr.pub || fail "minisign: the list's record"
python3 - list-record.json rows <<'PY' || fail "the list's record does not bind its rows"
import hashlib, json, sys
rec = json.load(open(sys.argv[1]))
assert rec["schema"] == "wipecert.cert-list/1" and len(rec["items"]) == 25
h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
for n, it in enumerate(rec["items"], 1):
    assert it["wipe_record"]["sha256"] == h("%s/%04d.json" % (sys.argv[2], n)), n
    assert it["wipe_record"]["signature_sha256"] == h("%s/%04d.json.minisig" % (sys.argv[2], n)), n
assert rec["client"]["name"] == "TEST ONLY 総務部" and rec["work_site"]["room"] == "301"
assert rec["approval_reference"] == "総第2026-123号"
failed = [it["asset"]["id"] for it in rec["items"] if it["result"] != "erased_and_verified"]
assert failed == ["L-07"], failed
assert sum(1 for it in rec["items"] if "witness" in it) == 1
assert all(it["asset"]["lease"].startswith("東京リース") for it in rec["items"])
techs = {it["performer"]["name"] for it in rec["items"]}
assert techs == {"TEST ONLY Tanaka", "TEST ONLY Sato"}, techs
PY
pdftotext "$LIST" list.txt 2>pdftotext.err || fail "pdftotext"
[ -s pdftotext.err ] && fail "pdftotext warns: $(cat pdftotext.err)"
for i in $(seq -w 1 25); do grep -q "LS-$i-X" list.txt || fail "pdftotext: serial LS-$i-X not shown"; done
grep -q "総第2026-123号" list.txt && grep -q "本庁舎 3F サーバ室" list.txt && grep -q "失敗 FAILED" list.txt ||
	fail "pdftotext: the summary lacks the approval reference, site or the failed row"
grep -Eq "1 ?/ ?2" list.txt && grep -Eq "2 ?/ ?2" list.txt || fail "pages x/y"

# our own verify, with the roster and the ledger
expect_rc 0 "$W" verify --trust own/trust --db own.db "$LIST" --json
[ "$(jq -r .verdict "$T/out")" = valid ] && [ "$(jq '.rows | length' "$T/out")" = 25 ] || fail "verify: $(cat "$T/out")"
jq -e '.checks[] | select(.name == "witness") | .detail | test("1 witness statement")' "$T/out" >/dev/null ||
	fail "the witness check: $(cat "$T/out")"
expect_eq "L-03 approved" "$("$W" ledger --db "$T/own.db" show L-03 --json | jq -r .status)" approved
[ "$("$W" ledger --db "$T/own.db" show L-07 --json | jq -r .status)" != approved ] || fail "L-07's failed row approved it"
expect_eq "L-07 names the list" "$("$W" ledger --db "$T/own.db" show L-07 --json | jq -r .certificate_id)" \
	"$(jq -r .certificate_id list-record.json)"

# a row whose attached record was altered: the approver re-signs the
# whole file (an insider), verify names the row
mkdir -p att && (cd att && for a in $(sed -n 's/^\(.*\) -> .*/\1/p' ../att.txt); do
	qpdf --show-attachment="$a" "$LIST" >"$a" || exit 1; done) || fail "extracting the attachments"
sed -i 's/"sealed_at":"20/"sealed_at":"19/' att/wipe-record-0005.json
cmp -s att/wipe-record-0005.json rows/0005.json && fail "the alteration did not take"
mv att/record.json altered-record.json
"$FORGE" pdf --record altered-record.json --attach-dir att --compress --approver-key own/appr.key --pass pw \
	--trust own/trust -o altered.pdf || fail "forge the altered list"
expect_rc 1 "$W" verify --trust own/trust altered.pdf
grep -q "altered.pdf: evidence: row 5 (asset L-05): wipe-record-0005.json is not the wipe record the approver signed" \
	"$T/err" || fail "verify does not name row 5: $(cat "$T/err")"

# ---- a witness-signed erasure and destruction, one certificate each ----
"$W" ledger --db "$T/own.db" add W-1 --media-type "disk image" --serial W-SERIAL-1 --class 1 \
	--status awaiting-erasure --key own/tech1.key "${P[@]}" >/dev/null 2>&1 && "$W" ledger --db "$T/own.db" add D-1 \
	--media-type HDD --model "ST1000" --serial D-SERIAL-1 --class 1 --status awaiting-erasure --key own/tech1.key \
	"${P[@]}" >/dev/null 2>&1 || fail "ledger add W-1, D-1"
# class 1 needs a witness, by the policy
cat >policy.conf <<'EOF'
[organisation]
name = TEST ONLY Documents City
[class 1]
levels = clear, purge, destroy
witness = required
[witness]
destruction = required
[certificate]
client = TEST ONLY 総務部
site = 本庁舎 3F
layout = municipal
EOF
truncate -s 1M w1.img
expect_rc 0 "$W" wipe --method zero --asset W-1 --confirm-serial w1.img --key own/tech1.key "${P[@]}" --db own.db --policy policy.conf \
	--state-dir own/state --json w1.img
JW=$(jq -r '.jobs[0].id' "$T/out")
# without the witness the policy refuses
expect_rc 3 "$W" approve "$JW" --key own/appr.key "${P[@]}" "${OWN[@]}" --policy policy.conf --yes
grep -q "requires a witness" "$T/err" || fail "policy without a witness: $(cat "$T/err")"
expect_rc 0 "$W" witness "$JW" --key own/wit.key "${P[@]}" "${OWN[@]}"
expect_rc 0 "$W" approve "$JW" --key own/appr.key "${P[@]}" "${OWN[@]}" --policy policy.conf --yes --json \
	--document-number "総情第45号"
PW=$(jq -r .pdf "$T/out")
expect_rc 0 "$W" verify --trust own/trust --db own.db "$PW"
grep -q "witness  *ok  *1 witness statement signed by a roster witness" "$T/out" || fail "witness: $(cat "$T/out")"
qpdf --show-attachment=witness.json "$PW" >w.json && qpdf --show-attachment=witness.json.minisig "$PW" >w.json.minisig &&
	minisign -V -q -m w.json -p own/wit.pub || fail "minisign: the witness's statement"
pdftotext "$PW" w.txt && grep -q "総情第45号" w.txt && grep -q "公印" w.txt && grep -q "TEST ONLY 総務部" w.txt && grep -qx "様" w.txt &&
	grep -q "TEST ONLY Takahashi" w.txt || fail "the municipal layout: $(head -30 w.txt)"
expect_pdf_signed "$PW" own/trust/ca.crt
# the destruction, witnessed with the witness's key
printf 'photo' >photo.jpg
expect_rc 0 "$W" destroy --asset D-1 --method shred --photo photo.jpg --key own/tech2.key "${P[@]}" \
	--witness-key own/wit.key --witness-passphrase-file pw "${OWN[@]}" --policy policy.conf --json
JD=$(jq -r .case "$T/out")
expect_eq "the typed witness is the key's" "$(jq -r .witness "$T/out")" "TEST ONLY Takahashi"
expect_rc 0 "$W" approve "$JD" --key own/appr.key "${P[@]}" "${OWN[@]}" --policy policy.conf --yes --json
PD=$(jq -r .pdf "$T/out")
expect_rc 0 "$W" verify --trust own/trust --db own.db "$PD"
expect_eq "D-1" "$("$W" ledger --db "$T/own.db" show D-1 --json | jq -r .status)" destroyed

# ---- the contractor batch: hand-over, receipt, a sub-contractor tier ----
for i in $(seq -w 1 25); do
	"$W" ledger --db "$T/own.db" add "C-$i" --media-type "disk image" --model "返却 PC" --serial "CS-$i-Y" --class 3 \
		--status awaiting-erasure --key own/tech1.key "${P[@]}" >/dev/null 2>&1 || fail "ledger add C-$i"
done
expect_rc 0 "$W" custody handover $(seq -f "C-%02g" 1 25) --json --to-root ctr/root.pub --key own/appr.key "${P[@]}" \
	"${OWN[@]}" --approval-ref "総第2026-200号" -o ho1.json
HO1=$(jq -r .id "$T/out")
[ -s ho1.json ] && [ -s ho1.json.minisig ] || fail "no hand-over list written"
minisign -V -q -m ho1.json -p own/appr.pub || fail "minisign: the hand-over list"
# not handed over until the contractor's receipt is recorded
expect_eq "C-01 before the receipt" "$("$W" ledger --db "$T/own.db" show C-01 --json | jq -r .status)" awaiting-erasure
expect_rc 0 "$W" custody list "${OWN[@]}" --json
[ "$(jq '[.open[] | select(.state == "awaiting-receipt")] | length' "$T/out")" = 25 ] || fail "custody: $(cat "$T/out")"
# `custody` alone (options only) is `custody list`
"$W" custody "${OWN[@]}" --json >"$T/alone" 2>&1 || fail "custody alone: $(cat "$T/alone")"
[ "$(jq '[.open[] | select(.state == "awaiting-receipt")] | length' "$T/alone")" = 25 ] ||
	fail "custody alone is not custody list: $(cat "$T/alone")"
# the contractor countersigns and takes the assets into its own ledger
expect_rc 0 "$W" custody receive ho1.json --key ctr/appr.key "${P[@]}" "${CTR[@]}" -o rc1.json --json
jq -e --arg h "$HO1" '.action == "receive" and .id == $h and .assets == 25' "$T/out" >/dev/null ||
	fail "custody receive --json: $(cat "$T/out")"
minisign -V -q -m rc1.json -p ctr/appr.pub || fail "minisign: the receipt"
expect_eq "C-05 in the contractor's ledger" "$("$W" ledger --db "$T/ctr.db" show C-05 --json | jq -r .serial)" CS-05-Y
# recorded by the clerk (a technician here); the status is a change an
# approver approves: not yet
expect_rc 0 "$W" custody record ho1.json --receipt rc1.json --key own/tech2.key "${P[@]}" "${OWN[@]}" --json
jq -e '.action == "record" and .tier == 1 and .assets == 25' "$T/out" >/dev/null || fail "custody record --json: $(cat "$T/out")"
expect_eq "C-01 awaiting the approval" "$("$W" ledger --db "$T/own.db" show C-01 --json | jq -r .status)" awaiting-erasure
expect_rc 0 "$W" custody list "${OWN[@]}" --json
[ "$(jq '[.open[] | select(.state == "awaiting-approval")] | length' "$T/out")" = 25 ] || fail "custody: $(cat "$T/out")"
for s in $("$W" ledger --db "$T/own.db" requests --json | jq -r '.[].seq'); do
	"$W" ledger --db "$T/own.db" approve-change "$s" --key own/appr.key "${P[@]}" --trust own/trust >/dev/null 2>&1 ||
		fail "approve-change $s"
done
expect_eq "C-01 handed over" "$("$W" ledger --db "$T/own.db" show C-01 --json | jq -r .status)" handed-to-contractor
expect_rc 0 "$W" custody list "${OWN[@]}" --json
[ "$(jq '[.open[] | select(.state == "handed-over" and .holder == "ITAD Co")] | length' "$T/out")" = 25 ] ||
	fail "custody after the receipt: $(cat "$T/out")"
jq -e '.open[0].age_days >= 0' "$T/out" >/dev/null || fail "custody: no age"

# sub-contracting 13 of them: approved by the owner beforehand
expect_rc 0 "$W" custody approve-subcontract "$HO1" --json --to-root sub/root.pub --key own/appr.key "${P[@]}" "${OWN[@]}" \
	-o sa.json
jq -e --arg h "$HO1" '.action == "approve-subcontract" and .handover == $h' "$T/out" >/dev/null ||
	fail "custody approve-subcontract --json: $(cat "$T/out")"
expect_rc 0 "$W" custody handover $(seq -f 'C-%02g' 13 25) --to-root sub/root.pub --parent ho1.json \
	--subcontract-approval sa.json --key ctr/appr.key "${P[@]}" "${CTR[@]}" -o ho2.json --json
expect_eq "tier" "$(jq -r .tier ho2.json)" 2
expect_rc 0 "$W" custody receive ho2.json --key sub/appr.key "${P[@]}" "${SUB[@]}" -o rc2.json
expect_rc 0 "$W" custody record ho2.json --receipt rc2.json --key own/tech2.key "${P[@]}" "${OWN[@]}"
expect_rc 0 "$W" custody list "${OWN[@]}" --json
[ "$(jq '[.open[] | select(.holder == "Shred Co" and .tier == 2)] | length' "$T/out")" = 13 ] &&
	[ "$(jq '[.open[] | select(.holder == "ITAD Co")] | length' "$T/out")" = 12 ] || fail "custody, two tiers: $(cat "$T/out")"

contractor_list() { # WORLD DIR FIRST LAST: wipe, seal, approve as one list; print the PDF
	local world=$1 dir=$2 args=() i
	shift 2
	for i in $(seq -w "$1" "$2"); do
		truncate -s 1M "c$i.img"
		args+=(--asset "C-$i" --confirm-serial "c$i.img")
	done
	eval "local w=(\"\${$world[@]}\")"
	"$W" wipe --method zero "${args[@]}" --key "$dir/tech.key" "${P[@]}" --db "${w[1]}" --state-dir "${w[5]}" \
		--json $(for i in $(seq -w "$1" "$2"); do echo "c$i.img"; done) >"$T/cw.json" 2>"$T/err" ||
		fail "contractor wipe: $(cat "$T/err")"
	jq -r '.jobs[].id' "$T/cw.json" >"$dir.cases"
	"$W" approve --batch "$dir.cases" --key "$dir/appr.key" "${P[@]}" "${w[@]}" --yes --json >"$T/out" 2>"$T/err" ||
		fail "contractor approve: $(cat "$T/err")"
	jq -r .pdf "$T/out"
}
CL=$(contractor_list CTR ctr 1 12) || exit 1
SL=$(contractor_list SUB sub 13 25) || exit 1
expect_rc 0 "$W" verify --trust ctr/trust "$CL"
grep -q "custody  *ok  *hand-over list $HO1 to ITAD Co holds every asset" "$T/out" || fail "contractor's custody: $(cat "$T/out")"
expect_pdf_signed "$CL" ctr/trust/ca.crt
expect_pdf_signed "$SL" sub/trust/ca.crt
qpdf --check "$CL" >/dev/null && qpdf --check "$SL" >/dev/null || fail "qpdf --check: the contractors' lists"
expect_rc 0 "$W" verify --trust sub/trust "$SL" --json
[ "$(jq '.rows | length' "$T/out")" = 13 ] || fail "verify: the sub-contractor's list's rows: $(cat "$T/out")"
# the owner accepts both lists: all 25 assets closed
expect_rc 0 "$W" accept "${OWN[@]}" --key own/appr.key "${P[@]}" "$CL" --json
expect_eq "accepted" "$(jq -r .accepted "$T/out")" true
expect_rc 0 "$W" accept "${OWN[@]}" --key own/appr.key "${P[@]}" "$SL" --json
for i in $(seq -w 1 25); do
	expect_eq "C-$i disposed" "$("$W" ledger --db "$T/own.db" show "C-$i" --json | jq -r .status)" disposed
done
expect_rc 0 "$W" verify --trust own/trust --db own.db "$SL"
grep -q "ledger  *ok  *13 rows" "$T/out" || fail "the sub-contractor's list with the owner's ledger: $(cat "$T/out")"
expect_rc 0 "$W" custody list "${OWN[@]}" --json
[ "$(jq .count "$T/out")" = 0 ] || fail "custody after accept: $(cat "$T/out")"
expect_rc 0 "$W" ledger --db own.db verify

# ---- the audit report, signed by the auditor who runs it ----
expect_rc 0 "$W" audit "${OWN[@]}" --from 2020-01-01 --to 2037-12-31 -o audit.pdf --key own/aud.key "${P[@]}"
# our list, the witnessed erasure and destruction, the two contractors' lists
grep -q "5 disposals, 0 failed; ledger chain intact" "$T/err" || fail "audit: $(cat "$T/err")"
[ -s audit.pdf ] || fail "no audit report"
expect_rc 0 "$W" verify --trust own/trust audit.pdf
grep -q "audit report AR-" "$T/out" && grep -q "record-signature  *ok  *auditor TEST ONLY Ito" "$T/out" ||
	fail "verify of the audit report: $(cat "$T/out")"
expect_pdf_signed audit.pdf own/trust/ca.crt
qpdf --show-attachment=record.json audit.pdf >ar.json && qpdf --show-attachment=record.json.minisig audit.pdf \
	>ar.json.minisig && minisign -V -q -m ar.json -p own/aud.pub || fail "minisign: the audit report's record"
jq -e '.type == "audit-report" and (.rows | length) == 5 and .summary.verified == 5' ar.json >/dev/null || fail "the audit record: $(cat ar.json)"
# the CSV form: signed beside it as the inspection's CSV is
expect_rc 0 "$W" audit "${OWN[@]}" --from 2020-01-01 --to 2037-12-31 -o audit.csv --key own/aud.key "${P[@]}"
minisign -V -q -m audit.csv -p own/aud.pub || fail "minisign: the audit CSV"
grep -q '"doc":"audit-report"' audit.csv.minisig || fail "audit.csv.minisig is not an audit report's"
[ "$(grep -c . audit.csv)" = 6 ] || fail "the audit CSV: $(cat audit.csv)"
expect_rc 3 "$W" audit "${OWN[@]}" --from 2020-01-01 --to 2037-12-31 -o audit2.csv --key own/tech1.key "${P[@]}"
[ -e audit2.csv ] && fail "an audit CSV was written with a technician's key"
# an approver's key does not sign audit reports
expect_rc 3 "$W" audit "${OWN[@]}" --from 2020-01-01 --to 2037-12-31 -o audit2.pdf --key own/appr.key "${P[@]}"
grep -q "may not sign the audit report" "$T/err" || fail "audit by an approver: $(cat "$T/err")"
[ -e audit2.pdf ] && fail "an audit report was written with an approver's key"
exit 0
