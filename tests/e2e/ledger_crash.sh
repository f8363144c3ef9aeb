#!/usr/bin/env bash
# ledger_crash.sh - kill -9 in the middle of a long import and of a run of
# single adds: the database still opens, verifies, and holds whole
# transactions only (the import all or nothing).
set -u
W=${WIPECERT:?WIPECERT names the binary under test}
command -v sqlite3 >/dev/null || { echo "sqlite3 shell not installed" >&2; exit 77; }
tmp=$(mktemp -d /tmp/wipecert-ledger.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
export WIPECERT_DB=$tmp/ledger.db WIPECERT_TRUST_STATE=$tmp/trust-state.json
fail() { echo "FAIL: $*" >&2; exit 1; }
# every event is signed: the technician's test key
C=certs/test-only
chmod 600 $C/*.key
K=(--key $C/test-only-technician.key --passphrase-file $C/passphrase.txt)
count() { sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM assets"; }

$W ledger import tests/fixtures/ledger/assets-utf8.csv "${K[@]}" 2>/dev/null || fail "fixture import"
n=150000
awk -v n=$n 'BEGIN { print "資産番号,所管課,重要性分類,シリアル番号,状態";
	for (i = 1; i <= n; i++) printf "BIG-%06d,総務部総務課,%d,SN%08d,in-service\n", i, i % 3 + 1, i }' >"$tmp/big.csv"

killed=0
for delay in 0.3 0.8 1.5; do
	$W ledger import "$tmp/big.csv" "${K[@]}" >/dev/null 2>&1 &
	pid=$!
	sleep $delay
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		killed=$((killed + 1))
	fi
	wait "$pid" 2>/dev/null
	pid=
	c=$(count) || fail "database does not open after kill -9"
	$W ledger verify >/dev/null 2>"$tmp/err" || fail "verify after kill -9: $(cat "$tmp/err")"
	if [ "$c" -eq $((n + 5)) ]; then
		break # finished before the kill: nothing more to learn
	fi
	[ "$c" -eq 5 ] || fail "a killed import left $c assets (want 5: all or nothing)"
done
[ $killed -gt 0 ] || echo "note: import always finished before the kill" >&2

# many short transactions killed at a random moment: the loop runs in its
# own process group (set -m) so one kill reaches the add running right then
set -m
(for i in $(seq 1 400); do $W ledger add "S-$i" --serial "S$i" "${K[@]}" 2>/dev/null || exit 1; done) &
pid=$!
sleep 1
kill -9 -- "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
set +m
sleep 0.2
$W ledger verify >/dev/null 2>"$tmp/err" || fail "verify after killing adds: $(cat "$tmp/err")"
ev=$(sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM events")
as=$(count)
[ "$ev" -eq "$as" ] || fail "events ($ev) and assets ($as) disagree after kill -9"
exit 0
