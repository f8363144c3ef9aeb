#!/usr/bin/env bash
# ledger_crash.sh - kill -9 in the middle of a long import and of a run of
# single adds: the database still opens, verifies, and holds whole
# transactions only (the import all or nothing). "In the middle" is
# checked, not hoped for: the import is killed while its transaction
# holds the ledger's write lock (sqlite3 cannot take it), and at least one
# kill must land there.
set -u
W=${WIPECERT:?WIPECERT names the binary under test}
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is not installed (scripts/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/wipecert-ledger.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
export WIPECERT_DB=$tmp/ledger.db WIPECERT_TRUST_STATE=$tmp/trust-state.json
fail() { echo "FAIL: $*" >&2; exit 1; }
fail_outcome() { echo "OUTCOME-FAIL: $*" >&2; exit 1; }
# write_locked: a transaction holds the ledger's write lock right now
write_locked() {
	! sqlite3 -cmd ".timeout 0" "$WIPECERT_DB" "BEGIN IMMEDIATE; ROLLBACK;" 2>"$tmp/probe" >/dev/null &&
		grep -q "locked" "$tmp/probe"
}
# every event is signed: the technician's test key
C=certs/test-only
chmod 600 $C/*.key
K=(--key $C/test-only-technician.key --passphrase-file $C/passphrase.txt)
count() { sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM assets"; }

$W ledger import tests/fixtures/ledger/assets-utf8.csv "${K[@]}" 2>/dev/null || fail "fixture import"
n=150000
awk -v n=$n 'BEGIN { print "資産番号,所管課,重要性分類,シリアル番号,状態";
	for (i = 1; i <= n; i++) printf "BIG-%06d,総務部総務課,%d,SN%08d,in-service\n", i, i % 3 + 1, i }' >"$tmp/big.csv"

# kill the import once its transaction holds the write lock, then again
# later into it; a kill that came after the commit teaches nothing more
inside=0
for delay in 0 0.3 0.8; do
	$W ledger import "$tmp/big.csv" "${K[@]}" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		write_locked && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	sleep $delay
	locked=0
	write_locked && locked=1
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	c=$(count) || fail_outcome "database does not open after kill -9"
	$W ledger verify >/dev/null 2>"$tmp/err" || fail_outcome "verify after kill -9: $(cat "$tmp/err")"
	if [ "$c" -eq $((n + 5)) ]; then
		break # it committed before the kill: nothing more to learn
	fi
	[ "$c" -eq 5 ] || fail_outcome "a killed import left $c assets (want 5: all or nothing)"
	[ $locked = 1 ] && inside=$((inside + 1))
done
[ $inside -gt 0 ] || fail "no kill landed inside the import's transaction (the import was too fast, or never took the write lock)"
echo "ledger_crash: $inside kill(s) inside the import's transaction, rolled back" >&2

# many short transactions killed at a random moment: the loop runs in its
# own process group (set -m) so one kill reaches the add running right then
set -m
(for i in $(seq 1 400); do $W ledger add "S-$i" --serial "S$i" "${K[@]}" 2>/dev/null || exit 1; done) &
pid=$!
sleep 1
kill -9 -- "-$pid" 2>/dev/null || fail "the 400 adds ended within a second: no kill landed among them"
wait "$pid" 2>/dev/null
pid=
set +m
sleep 0.2
$W ledger verify >/dev/null 2>"$tmp/err" || fail_outcome "verify after killing adds: $(cat "$tmp/err")"
ev=$(sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM events")
as=$(count)
[ "$as" -gt 5 ] || fail "no add committed before the kill: nothing was tested"
[ "$ev" -eq "$as" ] || fail_outcome "events ($ev) and assets ($as) disagree after kill -9"
exit 0
