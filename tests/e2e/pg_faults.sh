#!/usr/bin/env bash
# pg_faults.sh - the PostgreSQL server dies under the stations (kill -9 of
# the postmaster, a cluster of this test's own, fsync on):
#  - four stations append while it is killed and restarted: every event a
#    station was told was stored is there (with its number), an append whose
#    answer was lost is there at most once, nothing half-written, the chain
#    and every signature verify;
#  - wipes running when the database vanishes go on: their records are
#    sealed into the station's outbox, submitted once by the next command
#    that has a key (and by `sync`), never twice: one case and one event
#    per record, however often it is submitted;
#  - a wipe checked against the ledger and sealed on its own later, while
#    the database is away: the seal takes the asset as the wipe's checks
#    read it and waits in the outbox (sync submits it once); a job whose
#    asset no wipe checked here is not sealed blind.
. "$(dirname "$0")/lib.bash"
need_cmd pgrep
WRITER=${LEDGER_WRITER:?LEDGER_WRITER names the test tool tests/tools/ledger-writer}
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
W=$WIPECERT
# a cluster of our own (fsync on): the shared one is not ours to kill
own_pg
pg_createdb "$PGD" faults || fail createdb
DB=$(pg_uri "$PGD" faults)
"$W" ledger --db "$DB" migrate >/dev/null || fail "migrate"
restart() { pg_cluster_run "$PGD" || fail "restart after the kill"; }

# ---- appends while the server is killed ----
N=4 EACH=150
start_stations "$DB" F $N $EACH 60
# kill it once the stations are well under way
before=$(wait_acked F 60)
pg_cluster_kill "$PGD" || fail "kill -9"
sleep 1
restart
wait_stations F
acked=$(cat "$T"/F[0-9]*.out | grep -c '^ok ')
lost=$(cat "$T"/F[0-9]*.out | grep -c '^stored ')
echo "pg_faults: $before events acknowledged before the kill, $acked in all, $lost stored whose answer was lost"
[ "$before" -lt $((N * EACH)) ] || fail "the kill came after the end"
expect_acknowledged "$DB" $((N * EACH)) "$T"/F[0-9]*.out

# ---- the database vanishes during wipes ----
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$DB WIPECERT_TRUST=$C/trust
for a in W-1 W-2 W-3; do
	"$W" ledger add "$a" --media-type "disk image" --serial "$a-SN" --class 3 "${TECH[@]}" >/dev/null 2>&1 ||
		fail "ledger add $a"
done
slow_wipe() { # ASSET: a wipe long enough to lose the database under it, in the background
	truncate -s 128M "$T/$1.img"
	"$W" wipe --method random --verify last --confirm-serial "$T/$1.img" --asset "$1" "${TECH[@]}" --json \
		"$T/$1.img" >"$T/$1.json" 2>"$T/$1.err" &
}
slow_wipe W-1; p1=$!
slow_wipe W-2; p2=$!
# both have passed the ledger's checks and write: then the server dies
for _ in $(seq 1 400); do
	[ "$(ls "$T/state"/*.json 2>/dev/null | wc -l)" -ge 2 ] && break
	sleep 0.05
done
pg_cluster_kill "$PGD" || fail "kill -9 during the wipes"
wait $p1 || fail "W-1's wipe did not go on without the database: $(cat "$T/W-1.err")"
wait $p2 || fail "W-2's wipe did not go on without the database: $(cat "$T/W-2.err")"
grep -q "the ledger is unreachable: the wipe record waits" "$T/W-1.err" || fail "W-1: $(cat "$T/W-1.err")"
J1=$(json_get "$T/W-1.json" 'd["jobs"][0]["id"]')
J2=$(json_get "$T/W-2.json" 'd["jobs"][0]["id"]')
for j in "$J1" "$J2"; do
	[ -s "$T/state/$j.wipe-record.json" ] || fail "$j: no sealed record"
	[ -s "$T/state/outbox/$j.json" ] || fail "$j: not in the outbox"
done
H1=$(sha256sum <"$T/state/$J1.wipe-record.json" | cut -d' ' -f1)
H2=$(sha256sum <"$T/state/$J2.wipe-record.json" | cut -d' ' -f1)
# while the database is away, sync says they wait (exit 1), and keeps them
expect_rc 1 "$W" sync "${TECH[@]}"
[ -s "$T/state/outbox/$J1.json" ] || fail "sync dropped a record it could not submit"
restart
# the next command with a key submits them (a wipe of another asset)
truncate -s 1M "$T/W-3.img"
expect_rc 0 "$W" wipe --method zero --confirm-serial "$T/W-3.img" --asset W-3 "${TECH[@]}" "$T/W-3.img"
grep -q "submitted 2 wipe record(s) that waited for the ledger" "$T/err" || fail "not submitted on the next command: $(cat "$T/err")"
[ -e "$T/state/outbox/$J1.json" ] && fail "submitted, still in the outbox"
# a second submission of the same record changes nothing
expect_rc 0 "$W" sync "${TECH[@]}" --json
expect_eq "sync again" "$(json_get "$T/out" 'd["submitted"], d["waiting"]')" "(0, 0)"
# the answer lost, the entry left: sent again, taken once
python3 - "$T/state" "$J1" "$H1" <<'PY' || fail "outbox entry"
import json, sys
json.dump({"case": sys.argv[2], "asset_id": "W-1", "status": "erased", "reason": "again", "record_sha256": sys.argv[3]},
          open(sys.argv[1] + "/outbox/" + sys.argv[2] + ".json", "w"))
PY
expect_rc 0 "$W" sync "${TECH[@]}" --json
expect_eq "a resubmission" "$(json_get "$T/out" 'd["submitted"], d["waiting"]')" "(1, 0)"
# an entry edited to move the record onto another asset: refused
python3 - "$T/state" "$J1" "$H1" <<'PY' || fail "outbox entry"
import json, sys
json.dump({"case": sys.argv[2], "asset_id": "W-3", "status": "approved", "reason": "moved", "record_sha256": sys.argv[3]},
          open(sys.argv[1] + "/outbox/" + sys.argv[2] + ".json", "w"))
PY
events=$(lsql "$DB" "SELECT count(*) FROM events")
expect_rc 1 "$W" sync "${TECH[@]}"
grep -q "the outbox entry names asset W-3, the wipe record W-1: not submitted" "$T/err" || fail "moved entry: $(cat "$T/err")"
expect_eq "events after a refused entry" "$(lsql "$DB" "SELECT count(*) FROM events")" "$events"
rm "$T/state/outbox/$J1.json"
for pair in "$J1 $H1 W-1" "$J2 $H2 W-2"; do
	set -- $pair
	expect_eq "$1: cases" "$(lsql "$DB" "SELECT count(*) FROM cases WHERE id = '$1' AND record_sha256 = '$2'")" 1
	expect_eq "$1: events" "$(lsql "$DB" "SELECT count(*) FROM events WHERE reason LIKE '%wipe record sha256 $2%'")" 1
	expect_eq "$1: status" "$(lsql "$DB" "SELECT status FROM assets WHERE asset_id = '$3'")" erased
done
expect_rc 0 "$W" pending --json
python3 - "$T/out" "$T/state" <<'PY' || fail "pending: $(cat "$T/out")"
import json, os, sys
cases = json.load(open(sys.argv[1]))["cases"]
sealed = sorted(f[:-len(".wipe-record.json")] for f in os.listdir(sys.argv[2]) if f.endswith(".wipe-record.json"))
assert sorted(c["id"] for c in cases) == sealed and len(sealed) == 3, (cases, sealed)
assert all(c["state"] == "awaiting-approval" for c in cases), cases
PY
expect_rc 0 "$W" ledger verify --trust "$C/trust"

# ---- sealed on its own while the database is away ----
for a in W-4 W-5; do
	"$W" ledger add "$a" --media-type "disk image" --serial "$a-SN" --class 3 "${TECH[@]}" >/dev/null 2>&1 ||
		fail "ledger add $a"
	truncate -s 1M "$T/$a.img"
done
# W-4's wipe is checked against the ledger (no key: not sealed yet); W-5's
# job names no asset
expect_rc 0 "$W" wipe --method zero --confirm-serial "$T/W-4.img" --asset W-4 --json "$T/W-4.img"
J4=$(json_get "$T/out" 'd["jobs"][0]["id"]')
expect_rc 0 "$W" wipe --method zero --confirm-serial "$T/W-5.img" --json "$T/W-5.img"
J5=$(json_get "$T/out" 'd["jobs"][0]["id"]')
pg_cluster_kill "$PGD" || fail "kill -9 before the seals"
expect_rc 0 "$W" seal "$J4" --asset W-4 "${TECH[@]}"
grep -q "cannot reach the ledger's database: going on without it" "$T/err" || fail "seal W-4: $(cat "$T/err")"
grep -q "the wipe record waits in .*/outbox" "$T/err" || fail "seal W-4: $(cat "$T/err")"
[ -s "$T/state/$J4.wipe-record.json" ] && [ -s "$T/state/outbox/$J4.json" ] || fail "$J4: not sealed into the outbox"
expect_rc 1 "$W" seal "$J5" --asset W-5 "${TECH[@]}"
grep -q "asset W-5: the ledger is unreachable, and no wipe of this asset checked it here before" "$T/err" ||
	fail "seal W-5 blind: $(cat "$T/err")"
[ -e "$T/state/$J5.wipe-record.json" ] && fail "$J5 sealed without its asset"
# the station lists what it sealed meanwhile
expect_rc 0 "$W" pending --json
expect_eq "pending while away" "$(json_get "$T/out" '[c["state"] for c in d["cases"] if c["id"] == "'"$J4"'"]')" \
	"['awaiting-submission']"
restart
expect_rc 0 "$W" sync "${TECH[@]}" --json
expect_eq "sync of the seal made while away" "$(json_get "$T/out" 'd["submitted"], d["waiting"]')" "(1, 0)"
H4=$(sha256sum <"$T/state/$J4.wipe-record.json" | cut -d' ' -f1)
expect_eq "$J4: cases" "$(lsql "$DB" "SELECT count(*) FROM cases WHERE id = '$J4' AND record_sha256 = '$H4'")" 1
expect_eq "W-4: status" "$(lsql "$DB" "SELECT status FROM assets WHERE asset_id = 'W-4'")" erased
expect_rc 0 "$W" seal "$J5" --asset W-5 "${TECH[@]}"
expect_rc 0 "$W" ledger verify --trust "$C/trust"
exit 0
