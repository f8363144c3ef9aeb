#!/usr/bin/env bash
# ledger_concurrent.sh - two processes appending events at once: every add
# succeeds (busy timeout, short transactions) and the chain verifies.
set -u
W=${WIPECERT:?WIPECERT names the binary under test}
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is not installed (scripts/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/wipecert-ledger.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export WIPECERT_DB=$tmp/ledger.db WIPECERT_TRUST_STATE=$tmp/trust-state.json
fail() { echo "FAIL: $*" >&2; exit 1; }
# every event is signed: the technician's test key
C=certs/test-only
chmod 600 $C/*.key
K=(--key $C/test-only-technician.key --passphrase-file $C/passphrase.txt)

$W ledger add SEED --serial SEED "${K[@]}" 2>/dev/null || fail "seed"
writer() { # prefix
	for i in $(seq 1 10); do
		$W ledger add "$1-$i" --serial "$1$i" --department 総務課 "${K[@]}" 2>>"$tmp/$1.err" || return 1
		$W ledger edit "$1-$i" --status retired --reason "writer $1" "${K[@]}" 2>>"$tmp/$1.err" || return 1
	done
}
writer A & a=$!
writer B & b=$!
wait $a || fail "writer A failed: $(tail -3 "$tmp/A.err")"
wait $b || fail "writer B failed: $(tail -3 "$tmp/B.err")"
[ "$(sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM events")" -eq 41 ] || fail "events lost"
[ "$(sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM assets WHERE status = 'retired'")" -eq 20 ] || fail "edits lost"
$W ledger verify >/dev/null 2>"$tmp/err" || fail "verify: $(cat "$tmp/err")"

# two processes creating the same new ledger at once: one makes the schema,
# the other waits for it
for i in 1 2 3; do
	db=$tmp/new$i.db
	$W ledger --db "$db" add "N$i-a" "${K[@]}" 2>>"$tmp/new.err" & a=$!
	$W ledger --db "$db" add "N$i-b" "${K[@]}" 2>>"$tmp/new.err" & b=$!
	wait $a && wait $b || fail "creating a ledger side by side: $(tail -2 "$tmp/new.err")"
	$W ledger --db "$db" verify 2>/dev/null | grep -q 'intact: 2 events' || fail "new ledger $i"
done
exit 0
