#!/usr/bin/env bash
# cert_trust.sh - a certificate issued by `cert issue` (the one issuing
# path) from the test-only technician's signed wipe record with the
# test-only approver's key: minisign verifies both attached records, pdfsig
# trusts the organisation's CA, `verify --trust` checks the roster, the
# binding of the PDF signer to the approver, the technician's evidence and
# separation of duties; and what cert issue refuses, or verify refuses when
# built around it (tests/tools/forge.c).
. "$(dirname "$0")/lib.bash"
need_cmd certutil; need_cmd pdfsig; need_cmd qpdf; need_cmd minisign; need_cmd jq
FORGE=${FORGE:-$(dirname "$WIPECERT")/tests/tools/forge}
[ -x "$FORGE" ] || fail "no test-only forger at $FORGE (make check builds it)"
W=$WIPECERT
top=$(cd "$(dirname "$0")/../.." && pwd)
C=$top/certs/test-only
TR=$C/trust
EV=$top/tests/fixtures/evidence
PASS=$C/passphrase.txt
CI=(--approver-key "$C/test-only-approver.key" --passphrase-file "$PASS" --trust "$TR")
cd "$T" || exit 1

expect_rc 0 "$W" cert issue --wipe-record "$EV/wipe-record.json" "${CI[@]}" -o c.pdf
expect_rc 0 "$W" verify --trust "$TR" c.pdf
grep -q "record-signature *ok" "$T/out" || fail "record-signature not checked: $(cat "$T/out")"
grep -q "evidence *ok *technician TEST ONLY Technician" "$T/out" || fail "evidence not checked: $(cat "$T/out")"
# the attached records verify with minisign alone
expect_records_signed c.pdf "$C/test-only-approver.pub" "$C/test-only-technician.pub"
cp "$T/record.json" rec.json
cp "$T/record.json.minisig" rec.json.minisig
# pdfsig trusts the organisation's CA
expect_pdf_signed c.pdf "$TR/ca.crt"
read -r WHEN < <(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["issued_at"])' rec.json)

forged() { # OUT [--attach ...]: the approver's genuine record and signature, other attachments
	local out=$1
	shift
	"$FORGE" pdf --record rec.json --attach record.json.minisig=rec.json.minisig "$@" \
		--approver-key "$C/test-only-approver.key" --pass "$PASS" --trust "$TR" --time "$WHEN" -o "$out" ||
		fail "forge $out"
}
# names PDF CHECK TEXT [verify options]: verify exits 1 without a crash, its
# --json report says invalid with CHECK failed, and stderr says why
names() {
	local pdf=$1 check=$2 text=$3
	shift 3
	expect_rc 1 "$W" verify --json --trust "$TR" "$@" "$pdf"
	expect_eq "$pdf: valid" "$(jq -r .valid "$T/out")" false
	expect_eq "$pdf: $check" "$(jq -r --arg c "$check" '.checks[] | select(.name == $c) | .status' "$T/out")" failed
	grep -q -- "$pdf: $check: .*$text" "$T/err" || fail_message "$pdf: no '$check: ...$text': $(cat "$T/err")"
}

# the technician's genuine wipe record of another disk, in its place
python3 - "$EV/wipe-record.json" other-src.json <<'PY' || fail "other disk"
import json, sys
d = json.load(open(sys.argv[1]))
d["job"]["device"]["serial"] = d["asset"]["serial"] = "OTHER-DISK-999"
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
"$FORGE" canon other-src.json other.json &&
	"$FORGE" sign --key "$C/test-only-technician.key" --pass "$PASS" --type wipe-record other.json || fail "sign other"
forged swapped.pdf --attach wipe-record.json=other.json --attach wipe-record.json.minisig=other.json.minisig
names swapped.pdf evidence "is not the wipe record the approver signed"
# ... a certificate of ZN1ABC23 bound to it: cert issue refuses, verify too
python3 - rec.json other.json bound.json <<'PY' || fail "bind"
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
d["wipe_record"] = {"sha256": h(sys.argv[2]), "signature_sha256": h(sys.argv[2] + ".minisig")}
json.dump(d, open(sys.argv[3], "w"), ensure_ascii=False)
PY
expect_rc 3 "$W" cert issue --wipe-record other.json --record bound.json "${CI[@]}" -o bound.pdf
grep -q "does not state what the technician signed: media.serial" "$T/err" || fail "bound: $(cat "$T/err")"
expect_absent bound.pdf "a refused cert issue wrote a file"
# the record names a wipe record that is not attached, or one without its signature
forged bare.pdf
names bare.pdf evidence "no technician's record"
forged unsigned.pdf --attach "wipe-record.json=$EV/wipe-record.json"
names unsigned.pdf evidence "attached without a single wipe-record.json.minisig"

# a record naming the approver as performer, or another approver: refused at issue
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["performer"]["key_id"]=d["approver"]["key_id"]; json.dump(d,open(sys.argv[2],"w"),ensure_ascii=False)' \
	rec.json same.json
expect_rc 3 "$W" cert issue --wipe-record "$EV/wipe-record.json" --record same.json "${CI[@]}" -o same.pdf
grep -q "performer.key_id" "$T/err" || fail "same performer: $(cat "$T/err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["approver"]["key_id"]="0123456789ABCDEF"; json.dump(d,open(sys.argv[2],"w"),ensure_ascii=False)' \
	rec.json other-appr.json
expect_rc 3 "$W" cert issue --wipe-record "$EV/wipe-record.json" --record other-appr.json "${CI[@]}" -o oa.pdf
grep -q "names approver key 0123456789ABCDEF" "$T/err" || fail "other approver: $(cat "$T/err")"
# a record dated a day ago: the certificate would not verify, so it is not issued
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["issued_at"]="2026-01-01T00:00:00Z"; json.dump(d,open(sys.argv[2],"w"),ensure_ascii=False)' \
	rec.json old.json
expect_rc 3 "$W" cert issue --wipe-record "$EV/wipe-record.json" --record old.json "${CI[@]}" -o old.pdf
grep -q "the certificate would not verify: signing-time: the record's issued_at" "$T/err" || fail "old: $(cat "$T/err")"
# the technician's key may not issue a certificate
expect_rc 3 "$W" cert issue --wipe-record "$EV/wipe-record.json" --approver-key "$C/test-only-technician.key" \
	--passphrase-file "$PASS" --trust "$TR" -o tech.pdf
grep -q "a technician key may not approve" "$T/err" || fail "technician: $(cat "$T/err")"
for f in same oa old tech; do expect_absent $f.pdf "a refused cert issue wrote a file"; done
# ... and the record naming another approver, signed by this one with the
# test-only forger, is refused by verify (the record names who approved)
"$FORGE" canon other-appr.json oa-c.json &&
	"$FORGE" sign --key "$C/test-only-approver.key" --pass "$PASS" --type certificate oa-c.json ||
	fail "sign the record naming another approver"
"$FORGE" pdf --record oa-c.json --attach record.json.minisig=oa-c.json.minisig \
	--attach "wipe-record.json=$EV/wipe-record.json" --attach "wipe-record.json.minisig=$EV/wipe-record.json.minisig" \
	--approver-key "$C/test-only-approver.key" --pass "$PASS" --trust "$TR" --time "$WHEN" -o oa-forged.pdf ||
	fail "forge oa-forged.pdf"
names oa-forged.pdf record-signature "names approver key 0123456789ABCDEF"

# the approver's genuine record signature, but the PDF signed by another
# X.509 key (whose CA the verifier also trusts): the binding fails
"$FORGE" pki pki "TEST ONLY Approver" || fail "forge pki"
"$FORGE" pdf --record rec.json --attach record.json.minisig=rec.json.minisig \
	--attach "wipe-record.json=$EV/wipe-record.json" --attach "wipe-record.json.minisig=$EV/wipe-record.json.minisig" \
	--x509-key pki/ap.key --x509-cert pki/ap.pem --chain pki/ca.pem --time "$WHEN" -o rebound.pdf || fail "forge rebound"
names rebound.pdf record-signature "the PDF is signed by another X.509 certificate" --ca pki/ca.pem
names rebound.pdf certificate-chain "does not chain"
exit 0
