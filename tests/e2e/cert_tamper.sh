#!/usr/bin/env bash
# cert_tamper.sh - altered certificates fail `wipecert verify`, which names
# the failed check, and pdfsig agrees where it can see it; malformed input
# gives a one-line error and exit 1, never a crash.
. "$(dirname "$0")/lib.bash"
W=$WIPECERT
for t in openssl certutil pdfsig qpdf fix-qdf python3 jq; do need_cmd $t; done
cd "$(dirname "$0")/../.." || exit 1
# a record as the issuing path builds it, with the technician's signed
# evidence (tests/fixtures/evidence); the test-only forger signs it with
# the PKI made here, at the record's time
EV=$PWD/tests/fixtures/evidence
REC=$EV/record.json
FORGE=${FORGE:-$(dirname "$W")/tests/tools/forge}
[ -x "$FORGE" ] || fail "no test-only forger at $FORGE (make check builds it)"
read -r CID WHEN < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["certificate_id"], d["issued_at"])' "$REC")

"$FORGE" pki "$T/good" "Hanako Sato" && "$FORGE" pki "$T/evil" "Hanako Sato" || fail "forge pki"
mkdir "$T/nss" && certutil -N -d "sql:$T/nss" --empty-password &&
	certutil -A -d "sql:$T/nss" -n ca -t "CT,C,C" -i "$T/good/ca.pem" || fail "certutil"

issue() { # pki record out
	"$FORGE" pdf --record "$2" --attach "record.json.minisig=$EV/record.json.minisig" \
		--attach "wipe-record.json=$EV/wipe-record.json" --attach "wipe-record.json.minisig=$EV/wipe-record.json.minisig" \
		--x509-key "$1/ap.key" --x509-cert "$1/ap.pem" --chain "$1/ca.pem" --time "$WHEN" -o "$3"
}
# expect_fail FILE CHECK: verify exits 1 without a crash, its --json report
# says invalid and that CHECK is the first check that failed (the one that
# must catch this forgery, not any later one); stderr names it
expect_fail() {
	expect_rc 1 "$W" verify --json --ca "$T/good/ca.pem" "$1"
	expect_eq "$1: valid" "$(jq -r .valid "$T/out")" false
	expect_eq "$1: the first failed check" \
		"$(jq -r '[.checks[] | select(.status == "failed") | .name][0]' "$T/out")" "$2"
	expect_msg "^wipecert: $1: $2: " "$T/err"
}
pdfsig_says() { pdfsig -nssdir "sql:$T/nss" "$1" 2>&1; }

issue "$T/good" "$REC" "$T/a.pdf" || fail "issue A"
sed "s/ZN1ABC23/ZN9XYZ77/g; s/$CID/${CID%????}0124/" "$REC" >"$T/b.json"
issue "$T/good" "$T/b.json" "$T/b.pdf" || fail "issue B"
expect_rc 0 "$W" verify --ca "$T/good/ca.pem" "$T/a.pdf"

# 1. a visible field edited through a qpdf rewrite (QDF, replace, fix)
qpdf --qdf --object-streams=disable "$T/a.pdf" "$T/q.pdf" 2>/dev/null
python3 - "$T/q.pdf" <<'EOF'
import sys
p = sys.argv[1]
b = open(p, 'rb').read()
# the serial as the page shows it: UTF-16BE hex of "ZN1ABC23" -> "ZN1ABC29"
old = ''.join('%04x' % ord(c) for c in 'ZN1ABC23').encode()
new = ''.join('%04x' % ord(c) for c in 'ZN1ABC29').encode()
assert old in b, 'serial not found in content'
open(p, 'wb').write(b.replace(old, new))
EOF
[ $? -eq 0 ] || fail "cannot edit the QDF file"
fix-qdf "$T/q.pdf" >"$T/edited.pdf" 2>/dev/null || cp "$T/q.pdf" "$T/edited.pdf"
# (the rewrite moves every object: the signed byte ranges no longer fit)
expect_fail "$T/edited.pdf" byte-range
pdfsig_says "$T/edited.pdf" | grep -q "Signature is Valid" &&
	pdfsig_says "$T/edited.pdf" | grep -q "Total document signed" && fail_outcome "pdfsig accepts the edited file"

# 2. an incremental update appended after signing (replaces the Info dict)
python3 - "$T/a.pdf" "$T/appended.pdf" <<'EOF'
import re, sys
b = open(sys.argv[1], 'rb').read()
sx = int(re.findall(rb'startxref\s+(\d+)', b)[-1])
size = int(re.findall(rb'/Size (\d+)', b)[-1])
root = re.findall(rb'/Root (\d+ \d+ R)', b)[-1]
off = len(b)
upd = b'%d 0 obj\n<< /Title (forged) >>\nendobj\n' % size
x = off + len(upd)
upd += b'xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (size, off, size + 1, root, size, sx, x)
open(sys.argv[2], 'wb').write(b + upd)
EOF
[ $? -eq 0 ] || fail "cannot append an update"
expect_fail "$T/appended.pdf" byte-range
pdfsig_says "$T/appended.pdf" | grep -q "Not total document signed" || fail_outcome "pdfsig does not flag the appended update"

# 3. the embedded record swapped for certificate B's (same length, in place)
python3 - "$T/a.pdf" "$T/b.pdf" "$T/swapped.pdf" <<'EOF'
import sys
a, b = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def rec(x):
    i = x.index(b'{"approver"')
    return x[i:x.index(b'\nendstream', i)]
ra, rb = rec(a), rec(b)
assert len(ra) == len(rb) and ra != rb
open(sys.argv[3], 'wb').write(a.replace(ra, rb))
EOF
[ $? -eq 0 ] || fail "cannot swap the record"
expect_fail "$T/swapped.pdf" cms-signature
pdfsig_says "$T/swapped.pdf" | grep -q "Signature is Valid" && fail_outcome "pdfsig accepts the swapped record"
# ... and through qpdf's attachment tools (a rewrite)
qpdf --show-attachment=record.json "$T/b.pdf" >"$T/record.json"
qpdf "$T/a.pdf" --add-attachment "$T/record.json" --replace -- "$T/reattached.pdf" 2>/dev/null
[ -s "$T/reattached.pdf" ] || fail "qpdf --add-attachment"
qpdf --show-attachment=record.json "$T/reattached.pdf" | grep -q ZN9XYZ77 || fail "qpdf did not replace the record"
expect_fail "$T/reattached.pdf" byte-range

# 4. re-signed with an untrusted key (a whole new certificate)
issue "$T/evil" "$REC" "$T/evil.pdf" || fail "issue evil"
expect_rc 0 "$W" verify --ca "$T/evil/ca.pem" "$T/evil.pdf"
expect_fail "$T/evil.pdf" certificate-chain
pdfsig_says "$T/evil.pdf" | grep -q "Certificate is Trusted" && fail_outcome "pdfsig trusts the evil signer"

# 4b. signed under the trusted CA, with a certificate that is not for
# signatures (key usage keyAgreement only)
mkdir "$T/nosig" && cp "$T/good/ca.pem" "$T/nosig/ca.pem" || fail "mkdir"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/nosig/ap.key" 2>/dev/null &&
	openssl req -new -key "$T/nosig/ap.key" -subj "/CN=Hanako Sato" -out "$T/nosig/ap.csr" 2>/dev/null &&
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,keyAgreement\n' >"$T/nosig/ext.cnf" &&
	openssl x509 -req -in "$T/nosig/ap.csr" -CA "$T/good/ca.pem" -CAkey "$T/good/ca.key" -CAcreateserial \
		-days 825 -extfile "$T/nosig/ext.cnf" -out "$T/nosig/ap.pem" 2>/dev/null || fail "openssl nosig"
# (signed now, inside the certificate's validity: only its key usage is wrong)
"$FORGE" pdf --record "$REC" --attach "record.json.minisig=$EV/record.json.minisig" \
	--attach "wipe-record.json=$EV/wipe-record.json" --attach "wipe-record.json.minisig=$EV/wipe-record.json.minisig" \
	--x509-key "$T/nosig/ap.key" --x509-cert "$T/nosig/ap.pem" --chain "$T/nosig/ca.pem" -o "$T/nosig.pdf" ||
	fail "forge nosig"
expect_fail "$T/nosig.pdf" certificate-chain
expect_msg "not for signatures (key usage)"

# 5. malformed input: one-line error, exit 1, no crash
head -c 50000 "$T/a.pdf" >"$T/trunc.pdf"
head -c 100000 /dev/urandom >"$T/random.pdf"
: >"$T/empty.pdf"
qpdf --empty "$T/qempty.pdf"
printf '%%PDF-1.7\n' >"$T/header.pdf"
truncate -s 70M "$T/huge.pdf"
for f in trunc random empty qempty header huge; do
	expect_rc 1 "$W" verify --ca "$T/good/ca.pem" "$T/$f.pdf"
	expect_msg "wipecert: .*$f.pdf: " "$T/err"
	expect_rc 1 "$W" cert show "$T/$f.pdf"
done
rm -f "$T/huge.pdf"
expect_rc 2 "$W" verify
expect_rc 2 "$W" verify --ca /nonexistent "$T/a.pdf"
echo "cert tamper e2e: ok"
