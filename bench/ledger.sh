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

t() { # prints the seconds a command took
	local s e
	s=$(date +%s.%N)
	"$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.2f", $2 - $1 }'
}
gen() { # round -> CSV of n assets, notes differ by round
	awk -v n="$n" -v r="$1" 'BEGIN {
		print "資産番号,媒体種別,メーカー,型番,シリアル番号,WWN,容量,所管課,設置場所,重要性分類,リース/所有,備考,状態";
		for (i = 1; i <= n; i++)
			printf "KS-%07d,hdd,Seagate,ST1000DM010,Z%09d,0x5000c500%08x,1000204886016,総務部総務課%d,本庁舎%d階,%d,所有,棚卸%d回目,in-service\n",
				i, i, i, i % 40, i % 9 + 1, i % 3 + 1, r }' >"$tmp/r$1.csv"
}

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
