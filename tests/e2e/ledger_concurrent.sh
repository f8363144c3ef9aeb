#!/usr/bin/env bash
# ledger_concurrent.sh - two processes appending events at once: every add
# succeeds (busy timeout, short transactions) and the chain verifies.
set -u
W=${WIPECERT:?WIPECERT names the binary under test}
command -v sqlite3 >/dev/null || { echo "sqlite3 shell not installed" >&2; exit 77; }
tmp=$(mktemp -d /tmp/wipecert-ledger.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export WIPECERT_DB=$tmp/ledger.db
fail() { echo "FAIL: $*" >&2; exit 1; }

$W ledger add SEED --serial SEED 2>/dev/null || fail "seed"
writer() { # prefix
	for i in $(seq 1 25); do
		$W ledger add "$1-$i" --serial "$1$i" --department 総務課 2>>"$tmp/$1.err" || return 1
		$W ledger edit "$1-$i" --status retired --reason "writer $1" 2>>"$tmp/$1.err" || return 1
	done
}
writer A & a=$!
writer B & b=$!
wait $a || fail "writer A failed: $(tail -3 "$tmp/A.err")"
wait $b || fail "writer B failed: $(tail -3 "$tmp/B.err")"
[ "$(sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM events")" -eq 101 ] || fail "events lost"
[ "$(sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM assets WHERE status = 'retired'")" -eq 50 ] || fail "edits lost"
$W ledger verify >/dev/null 2>"$tmp/err" || fail "verify: $(cat "$tmp/err")"
exit 0
