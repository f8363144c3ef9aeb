#!/usr/bin/env bash
# pg_concurrent.sh - eight stations append to one PostgreSQL ledger at once,
# 500 signed events each (tests/tools/ledger-writer: each event its own
# transaction, as `ledger add` makes it): every station is acknowledged 500
# times, the chain holds exactly events 1..4000, each acknowledged seq is
# the event of the asset it was acknowledged for, the stations' events
# interleave (they did run at once), and `ledger verify` with the roster
# finds the chain and every signature intact.
. "$(dirname "$0")/lib.bash"
need_pg
WRITER=${LEDGER_WRITER:?LEDGER_WRITER names the test tool tests/tools/ledger-writer}
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
BACKEND=postgresql
DB=$(new_ledger shared) || exit 1
N=8 EACH=500

# the schema first (a station role could not create it), then the stations
"$WIPECERT" ledger --db "$DB" migrate >/dev/null || fail "migrate"
start_stations "$DB" ST $N $EACH
wait_stations ST
for s in $(seq 1 $N); do
	expect_eq "station $s acknowledged" "$(grep -c '^ok ' "$T/ST$s.out")" $EACH
done

total=$((N * EACH))
expect_eq "events" "$(lsql "$DB" "SELECT count(*) FROM events")" $total
# no gap, no duplicate: the numbers are exactly 1..N*EACH
expect_eq "numbers" "$(lsql "$DB" "SELECT min(seq) || ' ' || max(seq) || ' ' || count(DISTINCT seq) FROM events")" \
	"1 $total $total"
# every acknowledged seq is that asset's event, and no two acknowledgements share one
cat "$T"/ST[0-9]*.out | awk '$1 == "ok" { print $3 "|" $2 }' | sort -n >"$T/acked"
lsql "$DB" "SELECT seq || '|' || asset_id FROM events ORDER BY seq" >"$T/stored"
cmp -s "$T/acked" "$T/stored" || fail "acknowledged events differ from the stored ones: $(diff "$T/acked" "$T/stored" | head -5)"
# they ran at once: consecutive events from different stations
switches=$(lsql "$DB" "SELECT count(*) FROM (SELECT split_part(asset_id, '-', 1) AS st,
	lag(split_part(asset_id, '-', 1)) OVER (ORDER BY seq) AS prev FROM events) x WHERE st <> prev")
echo "pg_concurrent: $total events from $N stations, $switches changes of station along the chain"
[ "$switches" -ge $N ] || fail "the stations did not run at once ($switches changes of station)"
expect_rc 0 "$WIPECERT" ledger --db "$DB" verify --trust "$C/trust" --json
expect_eq "verify" "$(json_get "$T/out" 'd["ok"], d["events"], d["signatures"]["signed"]')" "(True, $total, $total)"
exit 0
