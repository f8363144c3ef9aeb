#!/usr/bin/env bash
# cert_tamper.sh - altered certificates fail `wipecert verify`, which names
# the failed check, and pdfsig agrees where it can see it; malformed input
# gives a one-line error and exit 1, never a crash.
set -u
W=${WIPECERT:?}
for t in openssl certutil pdfsig qpdf python3; do
	command -v "$t" >/dev/null || { echo "skip: $t not installed" >&2; exit 77; }
done
T=$(mktemp -d /tmp/wipecert-tamper.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$(dirname "$0")/../.." || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
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
# expect_fail FILE CHECK: verify exits 1 and names CHECK on stderr
expect_fail() {
	local out rc
	out=$("$W" verify --ca "$T/good/ca.pem" "$1" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 1 ] || fail "$1: verify exit $rc (want 1): $out"
	grep -q "$2" <<<"$out" || fail "$1: verify does not name '$2': $out"
	[ "$(grep -c . <<<"$out")" -ge 1 ] || fail "$1: no message"
}
pdfsig_says() { pdfsig -nssdir "sql:$T/nss" "$1" 2>&1; }

issue "$T/good" "$REC" "$T/a.pdf" || fail "issue A"
sed "s/ZN1ABC23/ZN9XYZ77/g; s/$CID/${CID%????}0124/" "$REC" >"$T/b.json"
issue "$T/good" "$T/b.json" "$T/b.pdf" || fail "issue B"
"$W" verify --ca "$T/good/ca.pem" "$T/a.pdf" >/dev/null || fail "good certificate rejected"

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
expect_fail "$T/edited.pdf" "byte-range\|cms-signature\|signature"
pdfsig_says "$T/edited.pdf" | grep -q "Signature is Valid" &&
	pdfsig_says "$T/edited.pdf" | grep -q "Total document signed" && fail "pdfsig accepts the edited file"

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
expect_fail "$T/appended.pdf" "byte-range"
pdfsig_says "$T/appended.pdf" | grep -q "Not total document signed" || fail "pdfsig does not flag the appended update"

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
expect_fail "$T/swapped.pdf" "cms-signature"
pdfsig_says "$T/swapped.pdf" | grep -q "Signature is Valid" && fail "pdfsig accepts the swapped record"
# ... and through qpdf's attachment tools (a rewrite)
qpdf --show-attachment=record.json "$T/b.pdf" >"$T/record.json"
qpdf "$T/a.pdf" --add-attachment "$T/record.json" --replace -- "$T/reattached.pdf" 2>/dev/null
[ -s "$T/reattached.pdf" ] || fail "qpdf --add-attachment"
qpdf --show-attachment=record.json "$T/reattached.pdf" | grep -q ZN9XYZ77 || fail "qpdf did not replace the record"
expect_fail "$T/reattached.pdf" "byte-range\|signature"

# 4. re-signed with an untrusted key (a whole new certificate)
issue "$T/evil" "$REC" "$T/evil.pdf" || fail "issue evil"
"$W" verify --ca "$T/evil/ca.pem" "$T/evil.pdf" >/dev/null || fail "evil certificate does not verify under its own CA"
expect_fail "$T/evil.pdf" "certificate-chain"
pdfsig_says "$T/evil.pdf" | grep -q "Certificate is Trusted" && fail "pdfsig trusts the evil signer"

# 5. malformed input: one-line error, exit 1, no crash
head -c 50000 "$T/a.pdf" >"$T/trunc.pdf"
head -c 100000 /dev/urandom >"$T/random.pdf"
: >"$T/empty.pdf"
qpdf --empty "$T/qempty.pdf"
printf '%%PDF-1.7\n' >"$T/header.pdf"
truncate -s 70M "$T/huge.pdf"
for f in trunc random empty qempty header huge; do
	out=$("$W" verify --ca "$T/good/ca.pem" "$T/$f.pdf" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 1 ] || fail "$f.pdf: exit $rc: $out"
	grep -q "wipecert: .*$f.pdf: " <<<"$out" || fail "$f.pdf: no clear error: $out"
	"$W" cert show "$T/$f.pdf" >/dev/null 2>&1
	[ $? -eq 1 ] || fail "$f.pdf: cert show did not fail cleanly"
done
rm -f "$T/huge.pdf"
"$W" verify 2>/dev/null; [ $? -eq 2 ] || fail "verify without a file: not a usage error"
"$W" verify --ca /nonexistent "$T/a.pdf" 2>/dev/null; [ $? -eq 2 ] || fail "verify --ca missing: not exit 2"
echo "cert tamper e2e: ok"
