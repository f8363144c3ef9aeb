#!/usr/bin/env bash
# pg_failover.sh - a primary and a synchronous streaming standby
# (pg_basebackup -R, synchronous_standby_names): four stations append
# through a connection string that names both servers and asks for the
# writable one (target_session_attrs=read-write); the primary is killed
# (kill -9) and the standby promoted; the stations carry on against it.
# On the promoted standby every event acknowledged before and after the
# failover is there with its number, nothing twice, and the chain and
# every signature verify. Prints the figures (docs/ledger.md).
. "$(dirname "$0")/lib.bash"
WRITER=${LEDGER_WRITER:?LEDGER_WRITER names the test tool tests/tools/ledger-writer}
[ -z "$(pg_missing)" ] || fail "PostgreSQL tests need a server: $(pg_missing)"
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
W=$WIPECERT
P=$(mktemp -d /tmp/wipecert-pg.XXXXXX) S=$(mktemp -d /tmp/wipecert-pg.XXXXXX)
trap 'pg_cluster_stop "$P"; pg_cluster_stop "$S"; rm -rf "$P" "$S"; cleanup' EXIT
t0=$(date +%s.%N)
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

pg_cluster_start "$P" -c wal_level=replica || fail "primary"
pg_createdb "$P" ledger || fail createdb
"$W" ledger --db "$(pg_uri "$P" ledger)" migrate >/dev/null || fail "migrate"
# the standby: a base backup that follows the primary as sb1
mkdir -p "$S/sock" "$S/log" && chmod 755 "$S" && chown postgres "$S" "$S/sock" "$S/log" || fail "standby dirs"
pg_as "$PG_BIN/pg_basebackup" -c fast -R -D "$S/data" -h "$P/sock" -p "$(cat "$P/port")" -U postgres >/dev/null 2>"$T/bb.err" ||
	fail "pg_basebackup: $(cat "$T/bb.err")"
chmod 700 "$S/data"
echo "primary_conninfo = 'host=$P/sock port=$(cat "$P/port") user=postgres application_name=sb1'" >>"$S/data/postgresql.auto.conf"
pg_cluster_run "$S" || fail "standby"
# from now on the primary waits for sb1 before it answers a commit
pg_psql "$P" postgres -c "ALTER SYSTEM SET synchronous_standby_names = 'sb1'" -c "SELECT pg_reload_conf()" >/dev/null ||
	fail "synchronous_standby_names"
for _ in $(seq 1 100); do
	[ "$(pg_psql "$P" postgres -c "SELECT application_name || '|' || sync_state FROM pg_stat_replication")" = "sb1|sync" ] && break
	sleep 0.1
done
expect_eq "replication" "$(pg_psql "$P" postgres -c "SELECT application_name || '|' || sync_state FROM pg_stat_replication")" "sb1|sync"
ready=$(secs "$t0")

# the stations know both servers and want the one that writes
BOTH="postgresql:///ledger?host=$P/sock,$S/sock&port=$(cat "$P/port"),$(cat "$S/port")&user=postgres&target_session_attrs=read-write"
N=4 EACH=250
t1=$(date +%s.%N)
start_stations "$BOTH" FO $N $EACH 60
before=$(wait_acked FO 200)
tk=$(date +%s.%N)
pg_cluster_kill "$P" || fail "kill -9 the primary"
pg_as "$PG_BIN/pg_ctl" -D "$S/data" promote -w >/dev/null || fail "promote"
promoted=$(secs "$tk")
wait_stations FO
elapsed=$(secs "$t1")
acked=$(cat "$T"/FO[0-9]*.out | grep -c '^ok ')
lost=$(cat "$T"/FO[0-9]*.out | grep -c '^stored ')
SB=$(pg_uri "$S" ledger)
echo "pg_failover: standby in sync after ${ready} s; $before events acknowledged before the kill, $acked in all" \
	"($lost stored whose answer was lost); promoted in ${promoted} s; $((N * EACH)) appends in ${elapsed} s"
[ "$before" -lt $((N * EACH)) ] || fail "the kill came after the end"
# on the promoted standby
expect_acknowledged "$SB" $((N * EACH)) "$T"/FO[0-9]*.out
exit 0
