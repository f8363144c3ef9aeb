#!/usr/bin/env bash
# cert_trust.sh - a certificate issued with the roster's approver key
# (certs/test-only): the record's minisign signature verifies with minisign,
# pdfsig trusts the organisation's CA, `verify --trust` checks the roster,
# the binding of the PDF signer to the approver, and separation of duties.
. "$(dirname "$0")/lib.bash"
W=$WIPECERT
for t in openssl certutil pdfsig qpdf minisign jq; do need_cmd $t; done
cd "$(dirname "$0")/../.." || exit 1
C=certs/test-only
TR=$C/trust
PASS=$C/passphrase.txt
APPR=EE9656F0FA4C7EA5
TECH=E060C2396575B022
[ -f "$TR/roster.json" ] || { echo "FAIL: no test-only trust directory" >&2; exit 1; }

sed "s/c41e07b2d9a6f315/$APPR/; s/3a5f9c2e71d04b88/$TECH/" tests/fixtures/cert-record.json >"$T/rec.json"
issue() { # record out [extra]
	local rec=$1 out=$2; shift 2
	"$W" cert issue -r "$rec" --approver-key "$C/test-only-approver.key" --passphrase-file "$PASS" \
		--trust "$TR" -o "$out" "$@" 2>"$T/issue.err"
}
# forged PDF CHECK PATTERN [verify options]: verify exits 1 without a crash,
# its --json report says invalid with CHECK failed, and stderr says PATTERN
forged() {
	local pdf=$1 check=$2 pat=$3
	shift 3
	expect_rc 1 "$W" verify --json --trust "$TR" "$@" "$pdf"
	expect_eq "$pdf: valid" "$(jq -r .valid "$T/out")" false
	expect_eq "$pdf: $check" "$(jq -r --arg c "$check" '.checks[] | select(.name == $c) | .status' "$T/out")" failed
	expect_msg "$pat"
}
issue "$T/rec.json" "$T/c.pdf" || fail "issue: $(cat "$T/issue.err")"
expect_rc 0 "$W" verify --trust "$TR" "$T/c.pdf"
grep -q "record-signature *ok" "$T/out" || fail_outcome "record-signature not checked: $(cat "$T/out")"

# the attached record and signature verify with minisign alone
qpdf --show-attachment=record.json "$T/c.pdf" >"$T/record.json"
qpdf --show-attachment=record.json.minisig "$T/c.pdf" >"$T/record.json.minisig"
minisign -V -q -m "$T/record.json" -p "$C/test-only-approver.pub" || fail "minisign -V of the attached record"

# pdfsig trusts the organisation's CA
mkdir "$T/nss" && certutil -N -d "sql:$T/nss" --empty-password &&
	certutil -A -d "sql:$T/nss" -n org -t "CT,C,C" -i "$TR/ca.crt" || fail "certutil"
p=$(pdfsig -nssdir "sql:$T/nss" "$T/c.pdf" 2>&1)
for want in "Signature is Valid" "Certificate is Trusted" "Total document signed"; do
	grep -q "$want" <<<"$p" || fail "pdfsig lacks '$want': $p"
done

# with the technician's signed wipe record attached: separation by the roster
# (the approver's record names the wipe record and its signature by SHA-256)
serial=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["media"]["serial"])' "$T/rec.json")
asset=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["asset"]["id"])' "$T/rec.json")
wipe_record() { # FILE SERIAL: a technician-signed wipe record of that disk
	printf '{"asset":{"asset_id":"%s"},"job":{"device":{"serial":"%s"}},"type":"wipe-record"}' "$asset" "$2" >"$1"
	"$W" key sign -k "$C/test-only-technician.key" --passphrase-file "$PASS" --type wipe-record \
		"$1" >/dev/null 2>&1 || fail "technician cannot sign the wipe record"
}
bind() { # RECORD WIPE-RECORD OUT: the record naming that wipe record
	python3 - "$@" <<'PY'
import hashlib, json, sys
rec = json.load(open(sys.argv[1]))
h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
rec["wipe_record"] = {"sha256": h(sys.argv[2]), "signature_sha256": h(sys.argv[2] + ".minisig")}
json.dump(rec, open(sys.argv[3], "w"), ensure_ascii=False)
PY
}
mkdir "$T/w" "$T/other-disk"
wipe_record "$T/w/wipe-record.json" "$serial"
bind "$T/rec.json" "$T/w/wipe-record.json" "$T/rec-bound.json"
issue "$T/rec-bound.json" "$T/c2.pdf" --attach "$T/w/wipe-record.json" --attach "$T/w/wipe-record.json.minisig" ||
	fail "issue with wipe record: $(cat "$T/issue.err")"
expect_rc 0 "$W" verify --trust "$TR" "$T/c2.pdf"
grep -q "technician TEST ONLY Technician" "$T/out" || fail_outcome "separation not checked by the roster: $(cat "$T/out")"

# a genuine wipe record of another disk, by the same technician, in its place
wipe_record "$T/other-disk/wipe-record.json" "OTHER-DISK-999"
issue "$T/rec-bound.json" "$T/c4.pdf" --attach "$T/other-disk/wipe-record.json" \
	--attach "$T/other-disk/wipe-record.json.minisig" || fail "issue c4"
forged "$T/c4.pdf" record-signature "is not the wipe record the approver signed"
# ... and bound to it, but about another disk
bind "$T/rec.json" "$T/other-disk/wipe-record.json" "$T/rec-other.json"
issue "$T/rec-other.json" "$T/c5.pdf" --attach "$T/other-disk/wipe-record.json" \
	--attach "$T/other-disk/wipe-record.json.minisig" || fail "issue c5"
forged "$T/c5.pdf" record-signature "wipe record is about disk serial OTHER-DISK-999"
# a record naming a wipe record that is not attached
expect_rc 0 "$W" verify --trust "$TR" "$T/c2.pdf"
issue "$T/rec-bound.json" "$T/c6.pdf" || fail "issue c6"
forged "$T/c6.pdf" record-signature "but none is attached"

# the wipe record without its signature, or with the approver's as technician
issue "$T/rec.json" "$T/c3.pdf" --attach "$T/w/wipe-record.json" || fail "issue c3"
forged "$T/c3.pdf" record-signature "wipe-record.json attached without"

# performer and approver the same key: separation of duties fails
sed "s/$TECH/$APPR/" "$T/rec.json" >"$T/same.json"
issue "$T/same.json" "$T/same.pdf" || fail "issue same"
forged "$T/same.pdf" record-signature "separation of duties"

# a record naming another approver key: refused at issue (exit 3)
sed "s/$APPR/0123456789ABCDEF/" "$T/rec.json" >"$T/other.json"
expect_refused 3 "" "$T/other.pdf" -- issue "$T/other.json" "$T/other.pdf"

# the technician's key may not issue a certificate
expect_refused 3 "" "$T/tech.pdf" -- "$W" cert issue -r "$T/rec.json" --approver-key "$C/test-only-technician.key" \
	--passphrase-file "$PASS" --trust "$TR" -o "$T/tech.pdf"

# the genuine approver signature of the record, but the PDF signed by another
# X.509 key (whose CA the verifier also trusts): the binding fails
openssl ecparam -name prime256v1 -genkey -noout -out "$T/ca.key" 2>/dev/null
openssl req -x509 -new -key "$T/ca.key" -subj "/CN=Other CA" -days 30 -out "$T/ca.pem" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$T/o.key" 2>/dev/null
openssl req -new -key "$T/o.key" -subj "/CN=TEST ONLY Approver" -out "$T/o.csr" 2>/dev/null
printf 'keyUsage=critical,digitalSignature,nonRepudiation\n' >"$T/ext"
openssl x509 -req -in "$T/o.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 30 \
	-extfile "$T/ext" -out "$T/o.pem" 2>/dev/null
"$W" cert issue -r "$T/rec.json" --key "$T/o.key" --cert "$T/o.pem" --chain "$T/ca.pem" \
	--attach "$T/record.json.minisig" -o "$T/rebound.pdf" 2>/dev/null || fail "issue rebound"
forged "$T/rebound.pdf" record-signature "record-signature: the PDF is signed by another X.509 certificate" --ca "$T/ca.pem"
forged "$T/rebound.pdf" certificate-chain "certificate-chain"
echo "cert trust e2e: ok"
