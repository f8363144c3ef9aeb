#!/usr/bin/env bash
# cert_ledger.sh - `verify --db`: the certificate's asset is in the ledger
# with the same serial/WWN and the event it closes; a certificate of disk A
# presented for the ledger entry of disk B fails.
set -u
W=${WIPECERT:?}
command -v openssl >/dev/null || { echo "skip: openssl not installed" >&2; exit 77; }
T=$(mktemp -d /tmp/wipecert-certledger.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$(dirname "$0")/../.." || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
export WIPECERT_TRUST_STATE=$T/trust-state.json
# the ledger's events are signed: the technician's test key
chmod 600 certs/test-only/*.key
K=(--key certs/test-only/test-only-technician.key --passphrase-file certs/test-only/passphrase.txt)

openssl ecparam -name prime256v1 -genkey -noout -out "$T/ca.key" 2>/dev/null
openssl req -x509 -new -key "$T/ca.key" -subj "/CN=Ledger Test CA" -days 30 -out "$T/ca.pem" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$T/ap.key" 2>/dev/null
openssl req -new -key "$T/ap.key" -subj "/CN=Approver" -out "$T/ap.csr" 2>/dev/null
printf 'keyUsage=critical,digitalSignature,nonRepudiation\n' >"$T/ext"
openssl x509 -req -in "$T/ap.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 30 \
	-extfile "$T/ext" -out "$T/ap.pem" 2>/dev/null || fail "openssl"

DB=$T/ledger.db
"$W" ledger --db "$DB" add YKH-IT-2019-0042 --serial ZN1ABC23 --wwn 0x5000c500a1b2c3d4 \
	--model ST1000DM010-2EP102 --class 2 "${K[@]}" >/dev/null 2>&1 || fail "ledger add A"
"$W" ledger --db "$DB" add YKH-IT-2019-0099 --serial WD-OTHER99 --model WD10EZEX --class 2 \
	"${K[@]}" >/dev/null 2>&1 || fail "ledger add B"
hash_of() {
	"$W" ledger --db "$DB" history "$1" --json | sed -n 's/.*"hash": "\([0-9a-f]*\)".*/\1/p' | tail -1
}
HA=$(hash_of YKH-IT-2019-0042)
HB=$(hash_of YKH-IT-2019-0099)
[ ${#HA} -eq 64 ] && [ ${#HB} -eq 64 ] || fail "no event hashes: '$HA' '$HB'"
FIX=9f2b6c1d0e8a7f3b5c4d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b

issue() { # record out
	"$W" cert issue -r "$1" -k "$T/ap.key" -c "$T/ap.pem" -o "$2" 2>/dev/null || fail "issue $2"
}
v() { "$W" verify --ca "$T/ca.pem" --db "$DB" "$@" 2>"$T/err" >"$T/out"; }

sed "s/$FIX/$HA/" tests/fixtures/cert-record.json >"$T/a.json"
issue "$T/a.json" "$T/a.pdf"
v "$T/a.pdf" || fail "certificate A rejected: $(cat "$T/err")"
grep -q "ledger  *ok" "$T/out" || fail "ledger check did not run: $(cat "$T/out")"
v --asset YKH-IT-2019-0042 "$T/a.pdf" || fail "--asset A rejected"

# certificate of disk A presented for the ledger entry of disk B
v --asset YKH-IT-2019-0099 "$T/a.pdf" && fail "certificate of A accepted for B"
grep -q "ledger: the certificate is for asset YKH-IT-2019-0042, not YKH-IT-2019-0099" "$T/err" ||
	fail "A for B: $(cat "$T/err")"

# a record that names B's ledger entry and event but carries A's serial
sed "s/$FIX/$HB/; s/\"entry\": \"YKH-IT-2019-0042\"/\"entry\": \"YKH-IT-2019-0099\"/" \
	tests/fixtures/cert-record.json >"$T/ab.json"
grep -q '"entry": "YKH-IT-2019-0099"' "$T/ab.json" || fail "fixture edit"
issue "$T/ab.json" "$T/ab.pdf"
v "$T/ab.pdf" && fail "A's disk accepted for B's ledger entry"
grep -q "ledger: asset YKH-IT-2019-0099: serial mismatch" "$T/err" || fail "identity: $(cat "$T/err")"

# an event the ledger does not have (B's event for A)
sed "s/$FIX/$HB/" tests/fixtures/cert-record.json >"$T/ev.json"
issue "$T/ev.json" "$T/ev.pdf"
v "$T/ev.pdf" && fail "a foreign ledger event accepted"
grep -q "ledger: asset YKH-IT-2019-0042 has no ledger event" "$T/err" || fail "event: $(cat "$T/err")"

# an asset the ledger does not know
sed "s/$FIX/$HA/; s/YKH-IT-2019-0042/YKH-IT-2019-0777/g" tests/fixtures/cert-record.json >"$T/unk.json"
issue "$T/unk.json" "$T/unk.pdf"
v "$T/unk.pdf" && fail "unknown asset accepted"
grep -q "ledger: the ledger has no asset YKH-IT-2019-0777" "$T/err" || fail "unknown: $(cat "$T/err")"
echo "cert ledger e2e: ok"
