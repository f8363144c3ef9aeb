#!/usr/bin/env bash
# documents_forge.sh - the attacks on the documents of issue 19, each
# built here (the test-only forger tests/tools/forge.c signs with any key
# and renders any record; the rest are the ordinary commands misused) and
# each refused with the item named and nothing issued or recorded:
# a list that names a case twice, a case of another organisation, a
# failed case presented as passed, a row's record swapped, a row dropped,
# an unsigned hand-over, a receipt by a key not pinned, a witness who is
# the technician, a witness statement signed by a key that is no
# witness's, a sub-contractor tier not approved, a contractor's list under
# a hand-over never recorded, an asset under evidence hold or lost handed
# over or listed. docs/threat-model.md names these cases.
. "$(dirname "$0")/lib.bash"
unset LC_ALL LANGUAGE
export LC_MESSAGES=C
need_cmd qpdf; need_cmd jq
FORGE=${FORGE:-$(dirname "$WIPECERT")/tests/tools/forge}
[ -x "$FORGE" ] || fail "no test-only forger at $FORGE (make check builds it)"
W=$WIPECERT
. "$(dirname "$0")/documents.bash"

# the ledger's events but the operation log's notes of a refusal (a
# refused command notes itself on the asset it concerned: docs/ledger.md)
events() {
	"$W" ledger --db "$T/$1.db" history --json 2>/dev/null |
		jq '[.[] | select((.reason // "") | startswith("refused: ") | not)] | length'
}
pdfs() { find "$T/$1/state" -maxdepth 1 -name '*.pdf' 2>/dev/null | wc -l; }
# refused_nothing WORLD CHECK-TEXT CMD...: exit 3, the text named, no new
# certificate and no new ledger event in WORLD (but the refusal's note)
refused_nothing() {
	local world=$1 want=$2 e p
	shift 2
	e=$(events "$world")
	p=$(pdfs "$world")
	expect_rc 3 "$@"
	grep -q -- "$want" "$T/err" || fail "$*: no '$want' in: $(cat "$T/err")"
	expect_eq "ledger events after a refusal ($want)" "$(events "$world")" "$e"
	expect_eq "certificates after a refusal ($want)" "$(pdfs "$world")" "$p"
}

# ---- a few sealed cases of the owner, one failed ----
for i in 1 2 3 4; do
	"$W" ledger --db own.db add "F-$i" --media-type "disk image" --serial "FS-$i" --class 3 \
		--status awaiting-erasure --key own/tech1.key "${P[@]}" >/dev/null 2>&1 || fail "ledger add F-$i"
	truncate -s 1M "f$i.img"
done
"$W" wipe --method zero --asset F-1 --asset F-2 --asset F-3 --asset F-4 --confirm-serial f1.img --confirm-serial f2.img \
	--confirm-serial f3.img --confirm-serial f4.img --key own/tech1.key "${P[@]}" --db own.db --state-dir own/state \
	--json f1.img f2.img f3.img f4.img >wipe.json 2>"$T/err" || fail "wipe: $(cat "$T/err")"
mapfile -t CASES < <(jq -r '.jobs[].id' wipe.json)
# case 2 failed: the technician signed that (the forger stands for a wipe
# whose read-back did not match)
python3 - "own/state/${CASES[1]}.wipe-record.json" failed.src.json <<'PY' || fail "a failed record"
import json, sys
d = json.load(open(sys.argv[1]))
d["job"]["state"] = "failed"; d["job"]["passes"][-1]["verification"] = "failed"
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
rm -f "own/state/${CASES[1]}.wipe-record.json" "own/state/${CASES[1]}.wipe-record.json.minisig"
"$FORGE" canon failed.src.json "own/state/${CASES[1]}.wipe-record.json" &&
	"$FORGE" sign --key own/tech1.key --pass pw --type wipe-record "own/state/${CASES[1]}.wipe-record.json" ||
	fail "the technician signs the failed wipe"
APPR=(--key own/appr.key "${P[@]}" "${OWN[@]}" --yes)

# a list that names a case twice
refused_nothing own "case ${CASES[0]} is listed twice" "$W" approve "${CASES[0]}" "${CASES[2]}" "${CASES[0]}" --list "${APPR[@]}"

# a case of another organisation: a contractor's sealed wipe of an asset
# that is in our ledger, imported for approval
"$W" ledger --db ctr.db add F-9 --media-type "disk image" --serial FS-9 --class 3 --status awaiting-erasure \
	--key ctr/tech.key "${P[@]}" >/dev/null 2>&1 &&
	"$W" ledger --db own.db add F-9 --media-type "disk image" --serial FS-9 --class 3 --status awaiting-erasure \
	--key own/tech1.key "${P[@]}" >/dev/null 2>&1 || fail "ledger add F-9"
truncate -s 1M f9.img
"$W" wipe --method zero --asset F-9 --confirm-serial f9.img --key ctr/tech.key "${P[@]}" --db ctr.db --state-dir ctr/state \
	--json f9.img >w9.json 2>"$T/err" || fail "contractor wipe: $(cat "$T/err")"
C9=$(jq -r '.jobs[0].id' w9.json)
expect_rc 0 "$W" export-record "$C9" --state-dir ctr/state -o bundle.json
expect_rc 0 "$W" import-record bundle.json "${OWN[@]}"
refused_nothing own "case $C9: the wipe record is ITAD Co's" "$W" approve "${CASES[0]}" "$C9" --list "${APPR[@]}"

# the genuine list of cases 1-3 (case 2 failed: listed as failed)
expect_rc 0 "$W" approve "${CASES[0]}" "${CASES[1]}" "${CASES[2]}" --list "${APPR[@]}" --json
LIST=$(jq -r .pdf "$T/out")
expect_eq "failed rows" "$(jq .failed "$T/out")" 1
expect_rc 0 "$W" verify --trust own/trust --db own.db "$LIST"
mkdir -p g && (cd g && for a in $(qpdf --list-attachments "$LIST" | sed -n 's/^\(.*\) -> .*/\1/p'); do
	qpdf --show-attachment="$a" "$LIST" >"$a" || exit 1; done) || fail "extracting the attachments"
mv g/record.json genuine.json
rm g/record.json.minisig

# forge_list NAME EDIT-PY [SHELL]: the approver (an insider) edits the
# record (python: d), the attachments (shell, in dir NAME), re-signs both
forge_list() {
	local name=$1 edit=$2
	rm -rf "$name" && cp -r g "$name" || fail "copy"
	python3 - genuine.json "$name.src.json" "$edit" <<'PY' || fail "edit $name"
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
	[ -n "${3:-}" ] && { (cd "$name" && eval "$3") || fail "attachments of $name"; }
	"$FORGE" canon "$name.src.json" "$name.json" && "$FORGE" sign --key own/appr.key --pass pw --type certificate \
		"$name.json" && cp "$name.json.minisig" "$name/record.json.minisig" &&
		"$FORGE" pdf --record "$name.json" --attach-dir "$name" --compress --approver-key own/appr.key --pass pw \
			--trust own/trust -o "$name.pdf" || fail "forge $name.pdf"
}
# refused_pdf PDF CHECK TEXT: verify names the check and the row
refused_pdf() {
	expect_rc 1 "$W" verify --trust own/trust "$1"
	grep -q -- "$1: $2: .*$3" "$T/err" || fail "$1: no '$2: ...$3' in: $(cat "$T/err")"
}
# the genuine re-signed by the forger passes: the forger is faithful
forge_list same "d['certificate_id'] = 'WL-FORGED-0'"
expect_rc 0 "$W" verify --trust own/trust same.pdf

# a failed case presented as passed
forge_list passed "it = d['items'][1]; it['result'] = 'erased_and_verified'; it['verification']['result'] = 'pass'
it['sanitization']['passes'][-1]['result'] = 'ok'; it['sanitization']['passes'][-1]['verified'] = True"
refused_pdf passed.pdf evidence "row 2 (asset F-2): .*the certificate says"
# a row's record swapped with another's (names and hashes kept)
forge_list swapped "pass" "mv wipe-record-0001.json t && mv wipe-record-0003.json wipe-record-0001.json && mv t wipe-record-0003.json"
refused_pdf swapped.pdf evidence "row 1 (asset F-1): wipe-record-0001.json is not the wipe record the approver signed"
# a row dropped: its record no longer attached
forge_list dropped "pass" "rm wipe-record-0003.json wipe-record-0003.json.minisig"
refused_pdf dropped.pdf evidence "row 3 (asset F-3): no technician's record"
# a case listed twice in the signed record
forge_list twice "d['items'].append(d['items'][0])" "cp wipe-record-0001.json wipe-record-0004.json && cp wipe-record-0001.json.minisig wipe-record-0004.json.minisig"
refused_pdf twice.pdf evidence "row 4 (asset F-1) repeats row 1's asset"
# a witness statement nobody names
forge_list unnamed "pass" "cp wipe-record-0001.json witness-0001.json && cp wipe-record-0001.json.minisig witness-0001.json.minisig"
refused_pdf unnamed.pdf witness "row 1 (asset F-1): witness-0001.json is attached, but the certificate names no witness"

# ---- a witness who is the technician ----
# the technician's second key, as a witness (one person, two roles)
key own twin "TEST ONLY Tanaka" witness "$O" enrol
expect_rc 3 "$W" witness "${CASES[3]}" --key own/twin.key "${P[@]}" "${OWN[@]}"
grep -q "must be another person than the technician" "$T/err" || fail "twin witness: $(cat "$T/err")"
# signed anyway by the forger, and named in a list: verify refuses it
python3 - "own/state/${CASES[0]}.wipe-record.json" twin-statement.src.json <<'PY' || fail "statement"
import hashlib, json, sys
rec = open(sys.argv[1], "rb").read()
json.dump({"type": "witness", "schema": "wipecert.witness/1", "kind": "erasure", "subject": "F-1",
           "record": {"type": "wipe-record", "id": "x", "sha256": hashlib.sha256(rec).hexdigest()},
           "witnessed_at": "2030-01-01T00:00:00Z", "statement": "I saw it",
           "witness": {"name": "TEST ONLY Tanaka", "org": "TEST ONLY Documents City", "role": "witness", "key_id": "-"}},
          open(sys.argv[2], "w"), ensure_ascii=False)
PY
TWIN=$("$W" key show own/twin.pub --json | jq -r .keyid)
sed -i "s/\"key_id\": \"-\"/\"key_id\": \"$TWIN\"/" twin-statement.src.json
"$FORGE" canon twin-statement.src.json twin.json && "$FORGE" sign --key own/twin.key --pass pw --type witness twin.json ||
	fail "forge the twin's statement"
forge_list selfwit "import hashlib
h = lambda p: hashlib.sha256(open(p, 'rb').read()).hexdigest()
st = json.load(open('twin.json'))
d['items'][0]['witness'] = {'name': 'TEST ONLY Tanaka', 'role': 'witness', 'organisation': 'TEST ONLY Documents City',
    'date': st['witnessed_at'], 'key_id': st['witness']['key_id'], 'statement_sha256': h('twin.json'),
    'signature_sha256': h('twin.json.minisig')}" "cp ../twin.json witness-0001.json && cp ../twin.json.minisig witness-0001.json.minisig"
refused_pdf selfwit.pdf witness "row 1 (asset F-1): the witness TEST ONLY Tanaka is the technician"

# ---- a witness signature from a key that is no witness's ----
# another technician (not this case's) signs a witness statement; the
# forger names it in the list as if a witness had signed it
sed -e "s/TEST ONLY Tanaka/TEST ONLY Sato/; s/\"role\": \"witness\"/\"role\": \"technician\"/" \
	-e "s/$TWIN/$("$W" key show own/tech2.pub --json | jq -r .keyid)/" twin-statement.src.json >nw-statement.src.json
"$FORGE" canon nw-statement.src.json nw.json && "$FORGE" sign --key own/tech2.key --pass pw --type witness nw.json ||
	fail "forge the technician's witness statement"
forge_list notwit "import hashlib
h = lambda p: hashlib.sha256(open(p, 'rb').read()).hexdigest()
st = json.load(open('nw.json'))
d['items'][0]['witness'] = {'name': 'TEST ONLY Sato', 'role': 'witness', 'organisation': 'TEST ONLY Documents City',
    'date': st['witnessed_at'], 'key_id': st['witness']['key_id'], 'statement_sha256': h('nw.json'),
    'signature_sha256': h('nw.json.minisig')}" "cp ../nw.json witness-0001.json && cp ../nw.json.minisig witness-0001.json.minisig"
refused_pdf notwit.pdf witness "row 1 (asset F-1): .*role may not sign"
# and through the command: a technician's key is no witness's
refused_nothing own "a technician key may not sign as a witness" "$W" witness "${CASES[3]}" --key own/tech2.key "${P[@]}" "${OWN[@]}"

# ---- custody ----
for i in 1 2 3; do
	"$W" ledger --db own.db add "H-$i" --media-type "disk image" --serial "HS-$i" --class 3 --status awaiting-erasure \
		--key own/tech1.key "${P[@]}" >/dev/null 2>&1 || fail "ledger add H-$i"
done
expect_rc 0 "$W" custody handover H-1 H-2 H-3 --to-root ctr/root.pub --key own/appr.key "${P[@]}" "${OWN[@]}" -o ho.json --json
HO=$(jq -r .id "$T/out")
expect_rc 0 "$W" custody receive ho.json --key ctr/appr.key "${P[@]}" "${CTR[@]}" -o rc.json
# an unsigned hand-over: the list without its signature
mkdir -p unsigned && cp ho.json unsigned/ho.json
REC=(--key own/tech1.key "${P[@]}" "${OWN[@]}")
refused_nothing own "the hand-over list is not signed" "$W" custody record unsigned/ho.json --receipt rc.json "${REC[@]}"
# a hand-over list signed by a technician's key (no approver's)
cp ho.json tech-ho.json && "$FORGE" sign --key own/tech1.key --pass pw --type handover tech-ho.json
refused_nothing own "hand-over list's signature (key .*) does not verify: signer's role may not sign" "$W" custody record tech-ho.json \
	--receipt rc.json "${REC[@]}"
# a receipt by a key not pinned: another contractor's, never pinned by us
org rogue "Rogue Co" --contractor
key rogue appr "TEST ONLY Nakamura" contractor-approver "Rogue Co" enrol
python3 - rc.json rogue-rc.src.json <<'PY' || fail "rogue receipt"
import json, sys
d = json.load(open(sys.argv[1]))
d["receiver"] = {"name": "TEST ONLY Nakamura", "org": "Rogue Co", "role": "contractor-approver", "key_id": "-"}
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
"$FORGE" canon rogue-rc.src.json rogue-rc.json && "$FORGE" sign --key rogue/appr.key --pass pw --type receipt rogue-rc.json ||
	fail "forge the rogue receipt"
refused_nothing own "receipt's signature (key .*) does not verify: organisation is neither ours nor a pinned contractor" \
	"$W" custody record ho.json --receipt rogue-rc.json "${REC[@]}"
# a receipt by the other pinned contractor, not the one the list names
cp rc.json sub-rc.json && rm -f sub-rc.json.minisig && "$FORGE" sign --key sub/appr.key --pass pw --type receipt sub-rc.json ||
	fail "forge the sub-contractor's receipt"
refused_nothing own "not by a key of ITAD Co" "$W" custody record ho.json --receipt sub-rc.json "${REC[@]}"
expect_eq "H-1 not handed over" "$("$W" ledger --db own.db show H-1 --json | jq -r .status)" awaiting-erasure
expect_rc 0 "$W" custody record ho.json --receipt rc.json "${REC[@]}" --approver-key own/appr.key \
	--approver-passphrase-file pw

# a sub-contractor tier the owner never approved: the contractor's own
# "approval" (signed by its approver, not ours)
python3 - <<'PY' || fail "fake approval"
import json
json.dump({"type": "approval", "decision": "subcontract-approved", "decided_at": "2020-01-01T00:00:00Z"},
          open("fake-sa.src.json", "w"))
PY
"$FORGE" canon fake-sa.src.json fake-sa.json && "$FORGE" sign --key ctr/appr.key --pass pw --type approval fake-sa.json ||
	fail "forge the approval"
expect_rc 0 "$W" custody handover H-3 --to-root sub/root.pub --parent ho.json --subcontract-approval fake-sa.json \
	--key ctr/appr.key "${P[@]}" "${CTR[@]}" -o ho2.json
expect_rc 0 "$W" custody receive ho2.json --key sub/appr.key "${P[@]}" "${SUB[@]}" -o rc2.json
refused_nothing own "sub-contracting to Shred Co (tier 2) was not approved by us beforehand" \
	"$W" custody record ho2.json --receipt rc2.json "${REC[@]}"
# approved only after the tier-2 list was signed: refused too
sleep 1
expect_rc 0 "$W" custody approve-subcontract "$HO" --to-root sub/root.pub --key own/appr.key "${P[@]}" "${OWN[@]}"
refused_nothing own "came after the hand-over list" "$W" custody record ho2.json --receipt rc2.json "${REC[@]}"

# a contractor's list under a hand-over list the owner never recorded
# (signed by our approver, received, but its receipt never came back): the
# asset set handed-to-contractor by hand in the ledger, as before custody
"$W" ledger --db own.db add X-1 --media-type "disk image" --serial XS-1 --class 3 --status awaiting-erasure \
	--key own/tech1.key "${P[@]}" >/dev/null 2>&1 || fail "ledger add X-1"
expect_rc 0 "$W" custody handover X-1 --to-root ctr/root.pub --key own/appr.key "${P[@]}" "${OWN[@]}" -o hox.json
expect_rc 0 "$W" custody receive hox.json --key ctr/appr.key "${P[@]}" "${CTR[@]}"
"$W" ledger --db own.db edit X-1 --status handed-to-contractor --reason "by hand" --key own/tech1.key "${P[@]}" \
	>/dev/null 2>&1 || fail "ledger edit X-1"
XR=$("$W" ledger --db own.db requests X-1 --json | jq -r '.[0].seq')
"$W" ledger --db own.db approve-change "$XR" --key own/appr.key "${P[@]}" --trust own/trust >/dev/null 2>&1 ||
	fail "approve X-1's change"
contractor_list() { # ASSET...: wipe, seal, approve one list at the contractor's; print the PDF
	local a args=() imgs=()
	for a in "$@"; do
		truncate -s 1M "$a.img"
		args+=(--asset "$a" --confirm-serial "$a.img")
		imgs+=("$a.img")
	done
	"$W" wipe --method zero "${args[@]}" --key ctr/tech.key "${P[@]}" --db ctr.db --state-dir ctr/state --json \
		"${imgs[@]}" >cw.json 2>"$T/err" || fail "contractor wipe: $(cat "$T/err")"
	jq -r '.jobs[].id' cw.json >ccases
	"$W" approve --batch ccases --key ctr/appr.key "${P[@]}" "${CTR[@]}" --yes --json >"$T/out" 2>"$T/err" ||
		fail "contractor approve: $(cat "$T/err")"
	jq -r .pdf "$T/out"
}
XL=$(contractor_list X-1) || exit 1
expect_rc 0 "$W" verify --trust ctr/trust "$XL"
ACC=(--key own/appr.key "${P[@]}" "${OWN[@]}")
refused_nothing own "custody: hand-over list HO-.* was never recorded here" "$W" accept "${ACC[@]}" "$XL"
expect_eq "X-1 not closed" "$("$W" ledger --db own.db show X-1 --json | jq -r .status)" handed-to-contractor
# the genuine one, under the recorded list, is accepted
HL=$(contractor_list H-1 H-2) || exit 1
expect_rc 0 "$W" accept "${ACC[@]}" "$HL" --json
expect_eq "H-1" "$("$W" ledger --db own.db show H-1 --json | jq -r .status)" disposed
expect_eq "H-2" "$("$W" ledger --db own.db show H-2 --json | jq -r .status)" disposed
# accepting it twice: not-reused
refused_nothing own "not-reused: certificate .* is already the certificate of asset H-" "$W" accept "${ACC[@]}" "$HL"

# ---- the lifecycle table: an asset under evidence hold, or lost, never
# leaves (no hand-over) and gets no certificate (no list row) ----
for i in 1 2 3; do
	"$W" ledger --db own.db add "L-$i" --media-type "disk image" --serial "LS-$i" --class 3 --status awaiting-erasure \
		--key own/tech1.key "${P[@]}" >/dev/null 2>&1 || fail "ledger add L-$i"
	truncate -s 1M "l$i.img"
done
"$W" wipe --method zero --asset L-1 --asset L-2 --asset L-3 --confirm-serial l1.img --confirm-serial l2.img \
	--confirm-serial l3.img --key own/tech1.key "${P[@]}" --db own.db --state-dir own/state --json l1.img l2.img l3.img \
	>wl.json 2>"$T/err" || fail "wipe L: $(cat "$T/err")"
mapfile -t LC < <(jq -r '.jobs[].id' wl.json)
expect_rc 0 "$W" ledger --db own.db status L-2 evidence-hold --incident INC-2026-31 --reason "investigation" \
	--key own/tech1.key "${P[@]}"
expect_rc 0 "$W" ledger --db own.db status L-3 lost --incident INC-2026-32 --threat-level 2 --reason "not found" \
	--key own/tech1.key "${P[@]}"
refused_nothing own "asset L-2 is evidence-hold: it is under evidence hold" \
	"$W" approve "${LC[0]}" "${LC[1]}" --list "${APPR[@]}"
refused_nothing own "asset L-3 is lost" "$W" approve "${LC[0]}" "${LC[2]}" --list "${APPR[@]}"
refused_nothing own "asset L-2 is evidence-hold" \
	"$W" custody handover L-1 L-2 --to-root ctr/root.pub --key own/appr.key "${P[@]}" "${OWN[@]}" -o hol.json
[ -e hol.json ] && fail "a hand-over list was written for an asset under evidence hold"
refused_nothing own "asset L-3 is lost" \
	"$W" custody handover L-3 --to-root ctr/root.pub --key own/appr.key "${P[@]}" "${OWN[@]}" -o hol.json
# a hold placed after the list was signed and received, before it is
# recorded: the record is refused, the asset stays
expect_rc 0 "$W" custody handover L-1 --to-root ctr/root.pub --key own/appr.key "${P[@]}" "${OWN[@]}" -o hol.json
expect_rc 0 "$W" custody receive hol.json --key ctr/appr.key "${P[@]}" "${CTR[@]}" -o rcl.json
expect_rc 0 "$W" ledger --db own.db status L-1 evidence-hold --incident INC-2026-31 --reason "investigation" \
	--key own/tech1.key "${P[@]}"
refused_nothing own "asset L-1 is evidence-hold" "$W" custody record hol.json --receipt rcl.json "${REC[@]}"
expect_eq "L-1 held" "$("$W" ledger --db own.db show L-1 --json | jq -r .status)" evidence-hold
exit 0
