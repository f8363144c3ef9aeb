#!/usr/bin/env bash
# ledger.sh - how fast the ledger imports and verifies, against the floor of
# SQLite itself doing the same rows (the sqlite3 shell's .import, and a plain
# scan of the events table). Targets (issue 4): 100,000 assets imported in
# under 10 s, 1,000,000 events verified in under 30 s. Not part of make check.
#
#   bench/ledger.sh [N_ASSETS=100000] [ROUNDS=10]
# ROUNDS imports of the same assets (the first adds, the rest --update a
# column) make N_ASSETS * ROUNDS events for the verify run. Every event is
# signed as it is appended (a technician's key made here); the signature
# check (verify --trust) runs on the first round's ledger, N_ASSETS events.
set -eu
cd "$(dirname "$0")/.."
W=${WIPECERT:-$PWD/build/wipecert}
n=${1:-100000}
rounds=${2:-10}
[ -x "$W" ] || { echo "build first: make -j2" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wipecert-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export WIPECERT_DB=$tmp/ledger.db WIPECERT_TRUST=$tmp/trust WIPECERT_TRUST_STATE=$tmp/trust-state.json
printf 'bench pass\n' >"$tmp/pw"
"$W" key new --name "Bench Root" --role org-root --org "Bench City" -o "$tmp/root" --passphrase-file "$tmp/pw" \
	--kdf min >/dev/null 2>&1
"$W" trust init --root-key "$tmp/root.key" --passphrase-file "$tmp/pw" >/dev/null
"$W" key new --name "Bench Tech" --role technician --org "Bench City" -o "$tmp/tech" --passphrase-file "$tmp/pw" \
	--kdf min --root-key "$tmp/root.key" --root-passphrase-file "$tmp/pw" >/dev/null 2>&1
K=(--key "$tmp/tech.key" --passphrase-file "$tmp/pw")

. bench/ledger-lib.bash

gen 1
echo "ledger bench: $n assets, $rounds rounds ($(nproc) cpus, $(sqlite3 --version | cut -d' ' -f1))"

# floor: the same CSV into a bare table by the sqlite3 shell, one transaction
ref=$(t sqlite3 "$tmp/ref.db" ".mode csv" ".import $tmp/r1.csv raw")
imp=$(t "$W" ledger import "$tmp/r1.csv" "${K[@]}")
echo "import $n assets (signed): ${imp} s  (sqlite3 .import: ${ref} s, ratio $(awk -v a="$imp" -v b="$ref" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.01) }'))  target < 10 s"
cp "$WIPECERT_DB" "$tmp/round1.db"
sig=$(t "$W" ledger --db "$tmp/round1.db" verify --trust "$tmp/trust")
echo "verify --trust $n events:  ${sig} s  (every signature and approval)"

for r in $(seq 2 "$rounds"); do
	gen "$r"
	u=$(t "$W" ledger import --update "$tmp/r$r.csv" "${K[@]}")
	echo "import --update round $r:    ${u} s"
done
events=$(sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM events")
ref=$(t sqlite3 "$WIPECERT_DB" "SELECT count(*), sum(length(changes) + length(hash) + length(prev_hash)) FROM events")
ver=$(t "$W" ledger verify)
echo "verify $events events:      ${ver} s  (plain scan: ${ref} s, ratio $(awk -v a="$ver" -v b="$ref" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.01) }'))  target < 30 s"
echo "database: $(du -h "$WIPECERT_DB" | cut -f1)"
