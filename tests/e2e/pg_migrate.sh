#!/usr/bin/env bash
# pg_migrate.sh - a station's SQLite ledger, with a sealed and approved wipe,
# a rejected one and a destruction awaiting approval, copied into an empty
# PostgreSQL database with `ledger migrate --to`: every asset, event (its
# number, hashes and signature), case and decision is there; `ledger
# verify --trust` gives the same head on both; the copied cases list and
# audit alike; a database that holds a ledger already is refused (exit 3,
# nothing written); the PostgreSQL ledger copied back into a new SQLite file
# verifies to the same head; a broken chain is not copied. A station
# reaching the database through a service file (PGSERVICEFILE) works too. A
# schema version no release had is refused, nothing changed.
. "$(dirname "$0")/lib.bash"
need_pg
need_cmd qpdf
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$C/passphrase.txt")
W=$WIPECERT
TODAY=$(date +%F)
export WIPECERT_STATE_DIR=$T/state WIPECERT_TRUST=$C/trust
SQ=$T/station.db
BACKEND=postgresql
PG=$(new_ledger copy) || exit 1
PG2=$(new_ledger second) || exit 1

# the station's own ledger: a wipe approved, one rejected, a destruction waiting
wipe_for() { # ASSET: a sealed wipe of an image for it; prints the case
	truncate -s 1M "$T/$1.img"
	"$W" wipe --method random --verify last --confirm-serial "$T/$1.img" --asset "$1" --db "$SQ" "${TECH[@]}" \
		--json "$T/$1.img" 2>"$T/wipe.err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])'
}
for a in M-1 M-2; do
	"$W" ledger --db "$SQ" add $a --media-type "disk image" --serial $a-SN --class 3 "${TECH[@]}" >/dev/null 2>&1 ||
		fail "add $a"
done
"$W" ledger --db "$SQ" add M-3 --media-type HDD --model ST1 --serial M-3-SN --class 3 "${TECH[@]}" >/dev/null 2>&1 ||
	fail "add M-3"
C1=$(wipe_for M-1) && [ -n "$C1" ] || fail "wipe M-1: $(cat "$T/wipe.err")"
C2=$(wipe_for M-2) && [ -n "$C2" ] || fail "wipe M-2: $(cat "$T/wipe.err")"
expect_rc 0 "$W" approve "$C1" --db "$SQ" "${APPR[@]}" --yes
expect_rc 0 "$W" reject "$C2" --db "$SQ" "${APPR[@]}" --yes --reason "wrong image"
expect_rc 0 "$W" destroy --asset M-3 --method crush --witness "立会 太郎" --db "$SQ" "${TECH[@]}"
expect_rc 0 "$W" ledger --db "$SQ" verify --trust "$C/trust"
head_sq=$(sed -n 's/.*; head \([0-9]*:[0-9a-f]*\)$/\1/p' "$T/out")
[ -n "$head_sq" ] || fail "no head: $(cat "$T/out")"

# the copy
expect_rc 0 "$W" ledger --db "$SQ" migrate --to "$PG" --json
expect_eq "copied" "$(json_get "$T/out" 'd["cases"], d["decisions"], d["head_seq"], d["head_hash"]')" \
	"(3, 2, ${head_sq%%:*}, '${head_sq#*:}')"
expect_rc 0 "$W" ledger --db "$PG" verify --trust "$C/trust"
grep -q "head $head_sq\$" "$T/out" || fail "another head on PostgreSQL: $(cat "$T/out")"
grep -q "signatures: all .* events signed by their actors and valid" "$T/out" || fail "signatures: $(cat "$T/out")"
expect_eq "events" "$(lsql "$PG" "SELECT count(*) FROM events")" "$(sqlite3 "$SQ" "SELECT count(*) FROM events")"
# every event the same, its signature byte for byte
lsql "$PG" "SELECT seq || '|' || hash || '|' || coalesce(upper(encode(convert_to(signature, 'UTF8'), 'hex')), '')
	FROM events ORDER BY seq" >"$T/ev.pg"
sqlite3 "$SQ" "SELECT seq || '|' || hash || '|' || coalesce(hex(signature), '') FROM events ORDER BY seq" >"$T/ev.sq"
cmp -s "$T/ev.sq" "$T/ev.pg" || fail "the events differ: $(diff "$T/ev.sq" "$T/ev.pg" | head -3)"
# the cases list and audit the same from either store
mkdir "$T/empty"
WIPECERT_STATE_DIR=$T/empty expect_rc 0 "$W" pending --all --db "$SQ" --json
mv "$T/out" "$T/pending.sq"
WIPECERT_STATE_DIR=$T/empty expect_rc 0 "$W" pending --all --db "$PG" --json
cmp -s "$T/pending.sq" "$T/out" || fail "the copied cases list differently: $(diff "$T/pending.sq" "$T/out" | head -5)"
expect_eq "states" "$(json_get "$T/out" 'sorted(c["state"] for c in d["cases"])')" \
	"['approved', 'awaiting-approval', 'rejected']"
WIPECERT_STATE_DIR=$T/empty expect_rc 0 "$W" audit --db "$PG" --from "$TODAY" --to "$TODAY" --json
expect_eq "audit on the copy" "$(json_get "$T/out" 'd["disposals"], d["failed"], d["chain_ok"], d["rows"][0]["file"]')" \
	"(1, 0, True, 'ledger:$C1')"

# into a database that holds a ledger: refused, nothing written
before=$(ledger_dump "$PG")
expect_rc 3 "$W" ledger --db "$SQ" migrate --to "$PG"
grep -q "holds a ledger already" "$T/err" || fail "non-empty target: $(cat "$T/err")"
[ "$(ledger_dump "$PG")" = "$before" ] || fail "a refused copy changed the database"
# and back into a new SQLite file: the same head
expect_rc 0 "$W" ledger --db "$PG" migrate --to "$T/archive.db"
expect_rc 0 "$W" ledger --db "$T/archive.db" verify --trust "$C/trust"
grep -q "head $head_sq\$" "$T/out" || fail "another head in the archive: $(cat "$T/out")"
# a broken chain is not copied
cp "$SQ" "$T/broken.db"
ledger_untrigger "$T/broken.db"
sqlite3 "$T/broken.db" "UPDATE events SET reason = 'edited' WHERE seq = 2" || fail "break the chain"
expect_rc 1 "$W" ledger --db "$T/broken.db" migrate --to "$PG2"
grep -q "ledger history broken, not copied" "$T/err" || fail "broken source: $(cat "$T/err")"
ledger_exists "$PG2" && [ "$(lsql "$PG2" "SELECT count(*) FROM events")" != 0 ] && fail "a broken chain was copied"

# a station that names the database by a service (pg_service.conf)
printf '[wipecert-test]\nhost=%s\nport=%s\ndbname=%s\nuser=postgres\n' "$PGD/sock" "$(cat "$PGD/port")" \
	"$(sed 's|^postgresql:///\([^?]*\).*|\1|' <<<"$PG")" >"$T/pg_service.conf"
PGSERVICEFILE=$T/pg_service.conf expect_rc 0 "$W" ledger --db service=wipecert-test verify
grep -q "head $head_sq\$" "$T/out" || fail "through the service: $(cat "$T/out")"

# a schema version no release had (a database from a development build) is
# not guessed at: no migration runs, nothing changes
PG3=$(ledger_clone "$PG" third) || exit 1
lsql "$PG3" "UPDATE meta SET value = '2' WHERE key = 'schema_version'" || fail "set the version"
before=$(ledger_dump "$PG3")
expect_rc 1 "$W" ledger --db "$PG3" migrate
grep -q "schema version 2 was never released" "$T/err" || fail "unreleased version: $(cat "$T/err")"
expect_eq "version after" "$(lsql "$PG3" "SELECT value FROM meta WHERE key = 'schema_version'")" 2
[ "$(ledger_dump "$PG3")" = "$before" ] || fail "a refused migration changed the database"
exit 0
