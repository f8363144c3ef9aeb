#!/usr/bin/env bash
# ledger.sh - how fast the ledger imports and verifies, against the floor of
# SQLite itself doing the same rows (the sqlite3 shell's .import, and a plain
# scan of the events table). Targets (issue 4): 100,000 assets imported in
# under 10 s, 1,000,000 events verified in under 30 s. Not part of make check.
#
#   bench/ledger.sh [N_ASSETS=100000] [ROUNDS=10]
# ROUNDS imports of the same assets (the first adds, the rest --update a
# column) make N_ASSETS * ROUNDS events for the verify run. Every event is
# signed (a technician's key made here): a big import by one batch
# signature (docs/ledger.md); the signature check (verify --trust) runs on
# the first round's ledger, N_ASSETS events. A real spreadsheet's import
# (a column map: a mapped, an ignored and an extra column, 和暦 dates,
# full-width digits) and the inspection (点検) over the assets follow.
# WIPECERT_REF=/path/to/another/wipecert imports the same plain file with
# that binary first (e.g. main's, a signature per event): before/after in
# the same run.
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
echo "ledger bench: $n assets, $rounds rounds ($(nproc) cpus, $(sqlite3 --version | cut -d' ' -f1), load $(cut -d' ' -f1 /proc/loadavg))"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.01) }'; }
# floor: the same CSV into a bare table by the sqlite3 shell, one transaction
ref=$(t sqlite3 "$tmp/ref.db" ".mode csv" ".import $tmp/r1.csv raw")
if [ -n "${WIPECERT_REF:-}" ]; then
	before=$(t "$WIPECERT_REF" ledger --db "$tmp/before.db" import "$tmp/r1.csv" "${K[@]}")
	echo "import $n assets, $WIPECERT_REF: ${before} s  (sqlite3 .import: ${ref} s, ratio $(ratio "$before" "$ref"))"
	rm -f "$tmp"/before.db*
fi
imp=$(t "$W" ledger import "$tmp/r1.csv" "${K[@]}")
echo "import $n assets (signed): ${imp} s  (sqlite3 .import: ${ref} s, ratio $(ratio "$imp" "$ref"))  target < 10 s"
[ -n "${WIPECERT_REF:-}" ] && echo "  this binary against the reference: $(ratio "$imp" "$before") of its time"

# a municipal spreadsheet as Excel saves it: CP932, CRLF, its own headers
awk -v n="$n" 'BEGIN {
	print "管理番号,資産名,部署コード,製造番号,容量,機密性,完全性,可用性,取得日,保存期限,購入価格\r";
	for (i = 1; i <= n; i++)
		printf "R-%07d,庁内サーバ%d,%04d,Y%09d,５００ＧＢ,%d,%d,1,令和%d年4月1日,R%d.3.31,%d\r\n",
			i, i % 100, i % 1000, i, i % 3 + 1, i % 2 + 1, i % 6 + 2, i % 6 + 12, 100000 + i }' |
	iconv -f UTF-8 -t CP932 >"$tmp/real.csv"
printf '[csv]\n資産名 = asset_name\n部署コード = ignore\n購入価格 = extra\n' >"$tmp/map.conf"
mapped=$(t "$W" ledger --db "$tmp/real.db" import "$tmp/real.csv" --map "$tmp/map.conf" "${K[@]}")
echo "import $n rows of a CP932 spreadsheet with a column map: ${mapped} s  (ratio $(ratio "$mapped" "$ref"))  target < 10 s"
insp=$(t "$W" inspect --db "$tmp/real.db" -o "$tmp/inspect.csv")
cnt=$(t sqlite3 "$tmp/real.db" "SELECT * FROM assets")
echo "inspect $n assets: ${insp} s  (sqlite3 reading every asset: ${cnt} s, ratio $(ratio "$insp" "$cnt"))  target < 5 s"
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
