#!/usr/bin/env bash
# forge.sh - the insider's forgeries of issue 15, each built here with the
# test-only forger (tests/tools/forge.c: any key, any record, any claimed
# time, none of the product's checks) and each refused by `verify` (exit 1,
# the named check), by `audit` (listed FAILED with that check) and by
# `accept` (exit 3, that check, nothing recorded). docs/threat-model.md
# names these cases.
. "$(dirname "$0")/lib.bash"
need_cmd qpdf; need_cmd sqlite3; need_cmd openssl
FORGE=${FORGE:-$(dirname "$WIPECERT")/tests/tools/forge}
[ -x "$FORGE" ] || fail "no test-only forger at $FORGE (make check builds it)"
W=$WIPECERT
cd "$T" || exit 1
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$T/ledger.db WIPECERT_TRUST=$T/trust
printf 'forge test passphrase\n' >pw
ORG="TEST ONLY Forge City"
key() { # BASE NAME ROLE [enrol]
	"$W" key new --name "$2" --role "$3" --org "$ORG" -o "$1" --passphrase-file pw --kdf min \
		${4:+--root-key root.key --root-passphrase-file pw} >/dev/null 2>&1 || fail "key new $1"
}
key root "TEST ONLY Root" org-root
"$W" trust init --root-key root.key --passphrase-file pw >/dev/null 2>&1 || fail "trust init"
key tech "TEST ONLY Tanaka" technician enrol
key tech2 "TEST ONLY Sato" technician enrol
key appr "TEST ONLY Suzuki" approver enrol
key apprR "TEST ONLY Revoked" approver enrol
key apprC "TEST ONLY Compromised" approver enrol
key twin "TEST ONLY Suzuki" technician enrol        # the approver's own second key
key stray "TEST ONLY Stray" technician               # in no roster
TECH=(--key tech.key --passphrase-file pw)
APPR=(--key appr.key --passphrase-file pw)

# one genuine disposal: wiped, sealed, approved, current in the ledger
"$W" ledger add F-1 --media-type "disk image" --model "forge disk" --serial F-SERIAL-1 --class 2 \
	--status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
truncate -s 2M f1.img
J=$("$W" wipe --method random --verify last --confirm-serial f1.img --json f1.img 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])') || fail "wipe"
expect_rc 0 "$W" seal "$J" --asset F-1 "${TECH[@]}"
expect_rc 0 "$W" approve "$J" "${APPR[@]}" --yes --json
G=$(json_get "$T/out" 'd["pdf"]')
expect_rc 0 "$W" verify --db ledger.db "$G"
cp "state/$J.cert.json" genuine.json
cp "state/$J.wipe-record.json" w1.json
cp "state/$J.wipe-record.json.minisig" w1.json.minisig

# ---- how a forgery is made ----
jedit() { # IN OUT PYTHON: edit JSON d, then canonical
	python3 - "$1" "$T/jedit.tmp" "$3" <<'PY' || fail "jedit $3"
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
	rm -f "$2"
	"$FORGE" canon "$T/jedit.tmp" "$2" || fail "canon $2"
}
bind() { # RECORD WIPE: name the wipe record and its signature by hash
	jedit "$1" "$1" "import hashlib
h = lambda p: hashlib.sha256(open(p, 'rb').read()).hexdigest()
d['wipe_record'] = {'sha256': h('$2'), 'signature_sha256': h('$2.minisig')}"
}
sign() { # FILE KEY TYPE [TIME]
	rm -f "$1.minisig"
	"$FORGE" sign --key "$2" --pass pw --type "$3" ${4:+--time "$4"} "$1" || fail "forge sign $1"
}
n=0
mkcert() { # OUT RECORD SIGNER [CLAIM] [CMS] [WIPE|-]: the approver's part, forged
	local out=$1 rec=$2 key=$3 claim=${4:-} cms=${5:-} w=${6:-w1.json} att=()
	n=$((n + 1))
	jedit "$rec" "$T/r$n.json" "d['certificate_id'] = 'WC-FORGED-$n'"
	sign "$T/r$n.json" "$key" certificate "$claim"
	att=(--attach "record.json.minisig=$T/r$n.json.minisig")
	[ "$w" != - ] && att+=(--attach "wipe-record.json=$w" --attach "wipe-record.json.minisig=$w.minisig")
	"$FORGE" pdf --record "$T/r$n.json" "${att[@]}" --approver-key "${X509_KEY:-$key}" --pass pw --trust trust \
		${cms:+--time "$cms"} -o "$out" || fail "forge pdf $out"
}
now_plus() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }

# refused OUT CHECK PATTERN: verify names the check; audit and accept later
declare -A WHY
refused() {
	local pdf=$1 check=$2 pat=$3
	expect_rc 1 "$W" verify "$pdf"
	grep -q -- "$pdf: $check: .*$pat" "$T/err" || fail "$pdf: no '$check: ...$pat' in: $(cat "$T/err")"
	WHY[$pdf]=$check
}

# ---- an approver alone ----
# lone approver, no wipe record
jedit genuine.json lone.json "del d['wipe_record']"
mkcert lone.pdf lone.json appr.key "" "" -
refused lone.pdf evidence "no technician's record"
# X.509 only still needs the evidence
expect_rc 1 "$W" verify --ca trust/ca.crt lone.pdf
grep -q "lone.pdf: evidence: .*no technician's record" "$T/err" || fail "X.509 only: $(cat "$T/err")"

# performer key in no roster: the approver makes a technician's key of their own
cp w1.json stray.json
sign stray.json stray.key wipe-record
bind genuine.json stray.json
cp genuine.json g-stray.json
mkcert stray.pdf g-stray.json appr.key "" "" stray.json
refused stray.pdf evidence "signing key is in no roster"

# approver signs the wipe record (with their own roster key)
cp w1.json byappr.json
sign byappr.json appr.key wipe-record
bind genuine.json byappr.json
mkcert byappr.pdf genuine.json appr.key "" "" byappr.json
refused byappr.pdf evidence "role may not sign"
bind genuine.json w1.json

# failed wipe re-issued as erased: the technician truly signed a failure
jedit w1.json failed.json "p = d['job']['passes'][0]
d['job']['state'] = 'failed'; p['verification'] = 'failed'
p['mismatches'] = {'count': 3, 'bytes': 12288, 'ranges': [{'offset': 4096, 'length': 12288}]}"
sign failed.json tech.key wipe-record
bind genuine.json failed.json
cp genuine.json g-failed.json
mkcert failed.pdf g-failed.json appr.key "" "" failed.json
refused failed.pdf evidence 'result: the certificate says "erased_and_verified", the technician.s record "failed"'
bind genuine.json w1.json

# verify-only re-issued as erased: the technician truly signed a job that
# read the whole medium and wrote nothing (verify-zero)
"$W" ledger add F-V --media-type "disk image" --model "forge disk" --serial F-SERIAL-V --class 3 \
	--status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add F-V"
truncate -s 2M fv.img
JV=$("$W" wipe --method verify-zero --confirm-serial fv.img --json fv.img 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])') || fail "verify-zero"
expect_rc 0 "$W" seal "$JV" --asset F-V "${TECH[@]}"
cp "state/$JV.wipe-record.json" vo.json
cp "state/$JV.wipe-record.json.minisig" vo.json.minisig
bind genuine.json vo.json
cp genuine.json g-vo.json
mkcert vo.pdf g-vo.json appr.key "" "" vo.json
refused vo.pdf evidence 'result: the certificate says "erased_and_verified", the technician.s record "verified_only"'
# ... and with the record's verify_only flag dropped (the technician signs
# that too): a pass that wrote nothing still erased nothing
jedit vo.json vo-noflag.json "d['job']['verify_only'] = False"
sign vo-noflag.json tech.key wipe-record
bind genuine.json vo-noflag.json
cp genuine.json g-vo-noflag.json
mkcert vo-noflag.pdf g-vo-noflag.json appr.key "" "" vo-noflag.json
refused vo-noflag.pdf evidence 'result: the certificate says "erased_and_verified", the technician.s record "failed"'
bind genuine.json w1.json

# mismatch: FIELD, each field the technician's record fixes
i=0
while IFS='|' read -r field edit; do
	i=$((i + 1))
	jedit genuine.json "m$i.json" "$edit"
	mkcert "m$i.pdf" "m$i.json" appr.key
	refused "m$i.pdf" evidence "$field: the certificate says"
done <<'EOF'
media.serial|d['media']['serial'] = 'F-SERIAL-9'
media.wwn|d['media']['wwn'] = '0x5000c500deadbeef'
media.capacity_bytes|d['media']['capacity_bytes'] = 4 * 2**40
media.model|d['media']['model'] = 'another model'
sanitization.method|d['sanitization']['method'] = 'gutmann'
sanitization.type|d['sanitization']['type'] = 'purge'
sanitization.passes|d['sanitization']['passes'].append(dict(d['sanitization']['passes'][0], number=2))
sanitization.started_at|d['sanitization']['started_at'] = '2026-01-01T00:00:00+00:00'
sanitization.ended_at|d['sanitization']['ended_at'] = '2026-01-01T09:00:00+09:00'
verification.bytes|d['verification']['bytes'] = d['verification']['bytes'] * 2
asset.id|d['asset']['id'] = 'F-2'; d['ledger']['entry'] = 'F-2'
asset.importance_class|d['asset']['importance_class'] = 3
performer.key_id|d['performer']['key_id'] = '0123456789ABCDEF'
EOF

# the wipe record names another technician: one roster technician signed a record naming another
cp w1.json other-tech.json
sign other-tech.json tech2.key wipe-record
bind genuine.json other-tech.json
cp genuine.json g-other-tech.json
mkcert other-tech.pdf g-other-tech.json appr.key "" "" other-tech.json
refused other-tech.pdf evidence "the wipe record names technician key [0-9A-F]* but key [0-9A-F]* signed it"
bind genuine.json w1.json

# a destruction the technician says they witnessed themselves
python3 - w1.json destr-src.json <<'PY' || fail "destruction record"
import json, sys
d = json.load(open(sys.argv[1]))
del d["job"]
d["level"] = "destroy"
d["destruction"] = {"method": "shred", "witness": d["technician"]["name"], "destroyed_at": d["sealed_at"],
                    "photos": [], "operator": d["technician"]["name"]}
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
"$FORGE" canon destr-src.json destr.json || fail "canon destr"
sign destr.json tech.key wipe-record
expect_rc 3 "$W" cert issue --wipe-record destr.json --approver-key appr.key --passphrase-file pw -o destr-ci.pdf
grep -q "would not verify: evidence: the destruction's witness is the technician" "$T/err" ||
	fail "cert issue, self-witnessed: $(cat "$T/err")"
"$FORGE" record --wipe-record destr.json --template genuine.json destr-rec.json || fail "forge record"
mkcert destr.pdf destr-rec.json appr.key "" "" destr.json
refused destr.pdf evidence "the destruction's witness is the technician"

# same person, two keys: the approver's own technician key signed the wipe
cp w1.json twin.json
jedit twin.json twin.json "d['technician'] = {'name': 'TEST ONLY Suzuki', 'role': 'technician', 'org': '$ORG', 'key_id': '$("$W" key show twin.pub --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["keyid"])')'}"
sign twin.json twin.key wipe-record
jedit genuine.json g-twin.json "d['performer']['name'] = 'TEST ONLY Suzuki'; d['performer']['key_id'] = '$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["technician"]["key_id"])' twin.json)'"
bind g-twin.json twin.json
mkcert twin.pdf g-twin.json appr.key "" "" twin.json
refused twin.pdf evidence "separation of duties"

# technician signs the certificate (the record; the PDF by the approver's X.509 key)
X509_KEY=appr.key mkcert bytech.pdf genuine.json tech.key
refused bytech.pdf record-signature "role may not sign"

# outsider CA: own CA and key; trusted by mistake, still no roster approver
openssl ecparam -name prime256v1 -genkey -noout -out out-ca.key 2>/dev/null
openssl req -x509 -new -key out-ca.key -subj "/CN=Outsider CA" -days 30 -out out-ca.pem \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out out.key 2>/dev/null
openssl req -new -key out.key -subj "/CN=TEST ONLY Suzuki" -out out.csr 2>/dev/null
printf 'keyUsage=critical,digitalSignature,nonRepudiation\n' >ext
openssl x509 -req -in out.csr -CA out-ca.pem -CAkey out-ca.key -CAcreateserial -days 30 -extfile ext \
	-out out.pem 2>/dev/null || fail "openssl"
jedit genuine.json outsider.json "d['certificate_id'] = 'WC-OUTSIDER'"
sign outsider.json stray.key certificate
"$FORGE" pdf --record outsider.json --attach "record.json.minisig=outsider.json.minisig" \
	--attach wipe-record.json=w1.json --attach wipe-record.json.minisig=w1.json.minisig \
	--x509-key out.key --x509-cert out.pem --chain out-ca.pem -o outsider.pdf || fail "forge outsider"
refused outsider.pdf certificate-chain "does not chain"
expect_rc 1 "$W" verify --ca out-ca.pem --trust trust outsider.pdf
grep -q "record-signature: .*signing key is in no roster" "$T/err" || fail "outsider, trusted CA: $(cat "$T/err")"

# CMS bag: stranger added next to the genuine chain, nothing re-signed
"$FORGE" bag --add out-ca.pem "$G" bag.pdf || fail "forge bag"
refused bag.pdf cms-certificates "not one of the verified chain"

# backdated claim: the record claims an hour before the CMS signature
mkcert backdated.pdf genuine.json appr.key "" "$(now_plus 3600)"
refused backdated.pdf signing-time "the PDF's CMS signature was made at"

# ---- revocation ----
# compromised approver: every signature of a key-compromise revocation fails, whatever its date
"$W" trust revoke apprC.pub --reason key-compromise --at "$(now_plus 86400)" --root-key root.key \
	--passphrase-file pw >/dev/null 2>&1 || fail "revoke apprC"
jedit genuine.json gC.json "d['approver']['name'] = 'TEST ONLY Compromised'; d['approver']['key_id'] = '$("$W" key show apprC.pub --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["keyid"])')'"
mkcert compromised.pdf gC.json apprC.key
refused compromised.pdf record-signature "revoked"

# apprR is revoked (it left) a few seconds from now; the wipe record was
# sealed before that
KR=$("$W" key show apprR.pub --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["keyid"])')
jedit genuine.json gR.json "d['approver']['name'] = 'TEST ONLY Revoked'; d['approver']['key_id'] = '$KR'"
BEFORE=$(now_plus 1)
R=$(now_plus 3)
"$W" trust revoke apprR.pub --reason superseded --at "$R" --root-key root.key --passphrase-file pw \
	>/dev/null 2>&1 || fail "revoke apprR"
while [ "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \< "$(date -u -d "@$(($(date -d "$R" +%s) + 1))" +%Y-%m-%dT%H:%M:%SZ)" ]; do
	sleep 0.5
done
# revoked approver, honest date
mkcert revoked.pdf gR.json apprR.key
refused revoked.pdf record-signature "revoked"
# revoked approver, claim backdated (the CMS time is not)
mkcert revoked-claim.pdf gR.json apprR.key "$BEFORE"
refused revoked-claim.pdf signing-time "revoked at"
# revoked approver, both backdated, evidence after revocation
cp w1.json late.json
sign late.json tech.key wipe-record "$(now_plus 1200)"
jedit gR.json gR-late.json "pass"
bind gR-late.json late.json
mkcert revoked-late.pdf gR-late.json apprR.key "$BEFORE" "$BEFORE" late.json
refused revoked-late.pdf signing-time "before the technician signed"
# revoked approver, both backdated, --db: with evidence sealed before the
# revocation, offline this is the residual risk the threat model states
# (VALID without the ledger) ...
mkcert revoked-both.pdf gR.json apprR.key "$BEFORE" "$BEFORE"
expect_rc 0 "$W" verify revoked-both.pdf
# ... the ledger never recorded it
expect_rc 1 "$W" verify --db ledger.db revoked-both.pdf
grep -q "ledger: the ledger never recorded certificate" "$T/err" || fail "revoked-both --db: $(cat "$T/err")"
# ... and an event recording it now, with its hash, comes after the revocation
SHA=$(sha256sum revoked-both.pdf | cut -c1-64)
CIDB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate_id"])' <(qpdf --show-attachment=record.json revoked-both.pdf))
expect_rc 0 "$W" ledger edit F-1 --certificate "$CIDB" --reason "backdated; pdf sha256 $SHA" --key apprR.key \
	--passphrase-file pw
expect_rc 1 "$W" verify --db ledger.db revoked-both.pdf
grep -q "ledger: the ledger recorded the certificate (event [0-9]*) after the approver's key was revoked" "$T/err" ||
	fail "revoked-both recorded: $(cat "$T/err")"
WHY[revoked-both.pdf]=ledger

# dated an hour ahead, recorded now: claim, CMS and record alike (offline it
# agrees with itself), recorded in the ledger now: not its signing time
AHEAD=$(now_plus 3600)
jedit genuine.json ahead.json "d['issued_at'] = '$AHEAD'; d['approver']['date'] = '$AHEAD'"
mkcert ahead.pdf ahead.json appr.key "$AHEAD" "$AHEAD"
expect_rc 0 "$W" verify ahead.pdf
SHA=$(sha256sum ahead.pdf | cut -c1-64)
CIDA=$(qpdf --show-attachment=record.json ahead.pdf | python3 -c 'import json,sys; print(json.load(sys.stdin)["certificate_id"])')
expect_rc 0 "$W" ledger edit F-1 --certificate "$CIDA" --reason "pre-dated; pdf sha256 $SHA" "${APPR[@]}"
expect_rc 1 "$W" verify --db ledger.db ahead.pdf
grep -q "ledger: the ledger recorded certificate $CIDA at a time (event [0-9]*) that is not its signing time" "$T/err" ||
	fail "ahead --db: $(cat "$T/err")"

# ---- the genuine one, superseded by the certificate recorded after it ----
expect_rc 4 "$W" verify --db ledger.db "$G"
grep -q "ledger: superseded: certificate $CIDB replaced it" "$T/err" || fail "superseded: $(cat "$T/err")"

# ---- cert issue walks the lone-approver forgery: refused, nothing written ----
expect_rc 3 "$W" cert issue --wipe-record stray.json --approver-key appr.key --passphrase-file pw -o ci1.pdf
grep -q "signing key is in no roster" "$T/err" || fail "cert issue, stray: $(cat "$T/err")"
expect_rc 3 "$W" cert issue --wipe-record w1.json --record m1.json --approver-key appr.key --passphrase-file pw \
	-o ci2.pdf
grep -q "does not state what the technician signed: media.serial" "$T/err" || fail "cert issue, lie: $(cat "$T/err")"
expect_rc 3 "$W" cert issue --wipe-record failed.json --record g-failed.json --approver-key appr.key \
	--passphrase-file pw -o ci3.pdf
grep -q "result" "$T/err" || fail "cert issue, failed as erased: $(cat "$T/err")"
expect_rc 3 "$W" cert issue --wipe-record twin.json --approver-key appr.key --passphrase-file pw -o ci4.pdf
grep -q "separation of duties" "$T/err" || fail "cert issue, twin: $(cat "$T/err")"
expect_rc 3 "$W" cert issue --wipe-record w1.json --approver-key tech.key --passphrase-file pw -o ci5.pdf
grep -q "a technician key may not approve" "$T/err" || fail "cert issue, technician: $(cat "$T/err")"
for f in ci1 ci2 ci3 ci4 ci5; do [ -e $f.pdf ] && fail "a refused cert issue wrote $f.pdf"; done
# ... and from the genuine wipe record it issues what verify accepts
expect_rc 0 "$W" cert issue --wipe-record w1.json --approver-key appr.key --passphrase-file pw -o ci-ok.pdf
expect_rc 0 "$W" verify ci-ok.pdf

# ---- audit and accept refuse the same artifacts ----
mkdir aud
for f in "${!WHY[@]}"; do cp "$f" "aud/$f"; done
expect_rc 1 "$W" audit --state-dir aud --from 2000-01-01 --to 2100-01-01 --json
python3 - "$T/out" "$(for f in "${!WHY[@]}"; do printf '%s=%s ' "$f" "${WHY[$f]}"; done)" <<'PY' || fail "audit rows"
import json, os, sys
d = json.load(open(sys.argv[1]))
want = dict(x.split("=") for x in sys.argv[2].split())
rows = {os.path.basename(r["file"]): r for r in d["rows"] if r["file"]}
assert set(rows) == set(want), (sorted(rows), sorted(want))
for f, check in want.items():
    r = rows[f]
    assert r["certificate_status"] == "FAILED", (f, r)
    assert (check + ":") in (r["problems"] or ""), (f, check, r["problems"])
PY
# accept (the owner's side): F-1 handed over, as a contractor's would be
# (a change that waits for an approver: requested, then approved by another person)
expect_rc 0 "$W" ledger edit F-1 --status handed-to-contractor --reason "hand-over" "${TECH[@]}"
expect_rc 0 "$W" ledger approve-change "$(sqlite3 ledger.db "SELECT max(seq) FROM events WHERE kind = 'request'")" \
	"${APPR[@]}"
# (each refusal is noted in F-1's history by the operation log: not counted)
changes() { sqlite3 ledger.db "SELECT count(*) FROM events WHERE NOT (kind = 'note' AND reason LIKE 'refused: accept: %')"; }
before=$(changes)
for f in "${!WHY[@]}"; do
	[ "${WHY[$f]}" = ledger ] && continue   # accept is before the ledger: its own checks
	expect_rc 3 "$W" accept "$f" "${APPR[@]}"
	grep -q "refused: ${WHY[$f]}: " "$T/err" || fail "accept $f: no '${WHY[$f]}' in: $(cat "$T/err")"
done
expect_eq "events after the refused accepts" "$(changes)" "$before"
# ... each refusal of a certificate of F-1 is in its history, signed by the approver who refused it
[ "$(sqlite3 ledger.db "SELECT count(*) FROM events WHERE asset_id = 'F-1' AND kind = 'note' AND reason LIKE 'refused: accept: %'")" -ge 10 ] ||
	fail "the refused accepts are not noted in F-1's history"
expect_eq "who noted the refusals" "$(sqlite3 ledger.db "SELECT DISTINCT actor FROM events WHERE reason LIKE 'refused: accept: %'")" \
	"TEST ONLY Suzuki"
[ -d state/accepted ] && [ -n "$(ls state/accepted)" ] && fail "a refused accept archived a certificate"
exit 0
