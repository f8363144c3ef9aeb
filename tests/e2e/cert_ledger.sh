#!/usr/bin/env bash
# cert_ledger.sh - `verify --db`: the certificate's asset is in the ledger
# with the same serial/WWN and the event it closes; a certificate of disk A
# presented for the ledger entry of disk B fails.
. "$(dirname "$0")/lib.bash"
W=$WIPECERT
need_cmd openssl
cd "$(dirname "$0")/../.." || exit 1

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
	--model ST1000DM010-2EP102 --class 2 >/dev/null 2>&1 || fail "ledger add A"
"$W" ledger --db "$DB" add YKH-IT-2019-0099 --serial WD-OTHER99 --model WD10EZEX --class 2 \
	>/dev/null 2>&1 || fail "ledger add B"
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
# refused PATTERN ARG...: verify says invalid (exit 1, no crash), names the
# ledger's reason, and the ledger is not changed by looking at it
refused() { local pat=$1; shift; expect_refused 1 "$pat" "db:$DB" -- "$W" verify --ca "$T/ca.pem" --db "$DB" "$@"; }

sed "s/$FIX/$HA/" tests/fixtures/cert-record.json >"$T/a.json"
issue "$T/a.json" "$T/a.pdf"
v "$T/a.pdf" || fail_outcome "certificate A rejected: $(cat "$T/err")"
grep -q "ledger  *ok" "$T/out" || fail "ledger check did not run: $(cat "$T/out")"
v --asset YKH-IT-2019-0042 "$T/a.pdf" || fail_outcome "--asset A rejected"

# certificate of disk A presented for the ledger entry of disk B
refused "ledger: the certificate is for asset YKH-IT-2019-0042, not YKH-IT-2019-0099" --asset YKH-IT-2019-0099 "$T/a.pdf"

# a record that names B's ledger entry and event but carries A's serial
sed "s/$FIX/$HB/; s/\"entry\": \"YKH-IT-2019-0042\"/\"entry\": \"YKH-IT-2019-0099\"/" \
	tests/fixtures/cert-record.json >"$T/ab.json"
grep -q '"entry": "YKH-IT-2019-0099"' "$T/ab.json" || fail "fixture edit"
issue "$T/ab.json" "$T/ab.pdf"
refused "ledger: asset YKH-IT-2019-0099: serial mismatch" "$T/ab.pdf"

# an event the ledger does not have (B's event for A)
sed "s/$FIX/$HB/" tests/fixtures/cert-record.json >"$T/ev.json"
issue "$T/ev.json" "$T/ev.pdf"
refused "ledger: asset YKH-IT-2019-0042 has no ledger event" "$T/ev.pdf"

# an asset the ledger does not know
sed "s/$FIX/$HA/; s/YKH-IT-2019-0042/YKH-IT-2019-0777/g" tests/fixtures/cert-record.json >"$T/unk.json"
issue "$T/unk.json" "$T/unk.pdf"
refused "ledger: the ledger has no asset YKH-IT-2019-0777" "$T/unk.pdf"
echo "cert ledger e2e: ok"
