#!/usr/bin/env bash
# pg_tls.sh - a station reaching the ledger over TCP with sslmode=verify-full
# (a cluster of this test's own, listening on 127.0.0.1 only, TLS required
# by pg_hba.conf; its certificate made here with openssl): the server named
# as its certificate says and signed by the CA the station trusts works; a
# certificate of another CA, a host name the certificate does not name, and
# no TLS at all are refused before anything is sent.
. "$(dirname "$0")/lib.bash"
need_cmd openssl
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
W=$WIPECERT
own_pg init

# the organisation's CA and the server's certificate (localhost only), and
# a CA nobody trusts
x=$T/x509
mkdir -p "$x"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=TEST ONLY ledger CA" \
	-keyout "$x/ca.key" -out "$x/ca.crt" 2>/dev/null || fail "CA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=TEST ONLY other CA" \
	-keyout "$x/other.key" -out "$x/other.crt" 2>/dev/null || fail "other CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
	-keyout "$PGD/data/server.key" -out "$x/server.csr" 2>/dev/null || fail "server key"
printf 'subjectAltName=DNS:localhost\n' >"$x/ext"
openssl x509 -req -in "$x/server.csr" -CA "$x/ca.crt" -CAkey "$x/ca.key" -CAcreateserial -days 2 \
	-extfile "$x/ext" -out "$PGD/data/server.crt" 2>/dev/null || fail "server certificate"
chown postgres "$PGD/data/server.key" "$PGD/data/server.crt"
chmod 600 "$PGD/data/server.key"
# TCP from this machine only, and only with TLS
{ echo "hostssl all all 127.0.0.1/32 trust"; echo "hostnossl all all 127.0.0.1/32 reject"; } >"$PGD/data/pg_hba.conf"
echo "local all all trust" >>"$PGD/data/pg_hba.conf"
port=
for _ in 1 2 3 4 5; do
	port=$(( 20000 + RANDOM % 40000 ))
	pg_as "$PG_BIN/pg_ctl" -D "$PGD/data" -l "$PGD/log/server.log" -w -t 60 \
		-o "-k $PGD/sock -p $port -c listen_addresses=127.0.0.1 -c ssl=on" start >/dev/null && break
	port=
done
[ -n "$port" ] || fail "the TLS cluster did not start: $(tail -n 5 "$PGD/log/server.log")"
echo "$port" >"$PGD/port"
pg_createdb "$PGD" ledger || fail createdb

tls() { echo "postgresql://postgres@$1:$port/ledger?sslmode=${3:-verify-full}&sslrootcert=$2"; }
GOOD=$(tls localhost "$x/ca.crt")
expect_rc 0 "$W" ledger --db "$GOOD" migrate
expect_rc 0 "$W" ledger --db "$GOOD" add TLS-1 --serial TLS-SN-1 --class 3 "${TECH[@]}"
expect_rc 0 "$W" ledger --db "$GOOD" verify --trust "$C/trust"
grep -q "ledger intact: 1 events" "$T/out" || fail "verify over TLS: $(cat "$T/out")"
# the server proves itself: a certificate of a CA the station does not trust
expect_rc 1 "$W" ledger --db "$(tls localhost "$x/other.crt")" add TLS-2 --serial TLS-SN-2 "${TECH[@]}"
grep -q "certificate verify failed" "$T/err" || fail "other CA: $(cat "$T/err")"
# ... for the name the station asked for
expect_rc 1 "$W" ledger --db "$(tls 127.0.0.1 "$x/ca.crt")" add TLS-3 --serial TLS-SN-3 "${TECH[@]}"
grep -q 'does not match host name "127.0.0.1"' "$T/err" || fail "host name: $(cat "$T/err")"
# no TLS: the server refuses
expect_rc 1 "$W" ledger --db "$(tls localhost "$x/ca.crt" disable)" add TLS-4 --serial TLS-SN-4 "${TECH[@]}"
grep -q "no encryption" "$T/err" || fail "without TLS: $(cat "$T/err")"
expect_eq "assets" "$(lsql "$(pg_uri "$PGD" ledger)" "SELECT string_agg(asset_id, ' ') FROM assets")" TLS-1
exit 0
