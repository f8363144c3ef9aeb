#!/usr/bin/env bash
# ledger-pg.sh - the shared ledger's figures, PostgreSQL beside SQLite, each
# against the floor of the store itself doing the same rows in the same run:
#   appends/s with 1, 4 and 8 stations at once (tests/tools/ledger-writer:
#     one signed event a transaction, as `ledger add`), both stores;
#   `ledger import` of N assets (target < 10 s), against the store's own
#     bulk load (sqlite3 .import; psql \copy);
#   `ledger verify` of N*ROUNDS events (target: 1,000,000 in < 30 s on
#     either), the chain built by ROUNDS imports into SQLite and copied to
#     PostgreSQL with `ledger migrate --to` (timed too), against a plain
#     scan of the events;
#   `pending` with CASES open cases (target < 1 s), against a plain count.
# The PostgreSQL server is a throwaway cluster of this run (fsync on,
# default settings, Unix socket). Rates and ratios are printed, nothing is
# asserted. Not part of make check. Build first: make -j2 all build/tests/tools/ledger-writer
#
#   bench/ledger-pg.sh [N_ASSETS=100000] [ROUNDS=10] [CASES=10000] [APPENDS=500]
set -eu
cd "$(dirname "$0")/.."
W=${WIPECERT:-$PWD/build/wipecert}
WRITER=${LEDGER_WRITER:-$PWD/build/tests/tools/ledger-writer}
n=${1:-100000} rounds=${2:-10} ncases=${3:-10000} appends=${4:-500}
[ -x "$W" ] && [ -x "$WRITER" ] || { echo "build first: make -j2 all build/tests/tools/ledger-writer" >&2; exit 2; }
. tests/pg/cluster.bash
why=$(pg_missing)
[ -z "$why" ] || { echo "no PostgreSQL server: $why" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wipecert-bench.XXXXXX")
PGD=$(mktemp -d /tmp/wipecert-pg.XXXXXX)
trap 'pg_cluster_stop "$PGD"; rm -rf "$tmp" "$PGD"' EXIT
pg_cluster_start "$PGD" >/dev/null
K=certs/test-only/test-only-technician.key P=certs/test-only/passphrase.txt
chmod 600 $K
KEY=(--key $K --passphrase-file $P)
db=0
newpg() { db=$((db + 1)); pg_createdb "$PGD" "b$db"; u=$(pg_uri "$PGD" "b$db"); } # sets u

. bench/ledger-lib.bash
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.01) }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / (s > 0 ? s : 0.01) }'; }
stations() { # DB S COUNT [cases]: S writers at once; prints the seconds
	local d=$1 s=$2 c=$3 i s0 e
	s0=$(date +%s.%N)
	for i in $(seq 1 "$s"); do "$WRITER" "$d" $K $P "S$i" "$c" 0 ${4:-} >/dev/null 2>>"$tmp/w.err" & done
	wait
	e=$(date +%s.%N)
	awk -v a="$s0" -v b="$e" 'BEGIN { printf "%.2f", b - a }'
}

echo "ledger bench, PostgreSQL and SQLite: $(nproc) cpus, load $(cut -d' ' -f1 /proc/loadavg)," \
	"$("$PG_BIN/postgres" --version), sqlite $(sqlite3 --version | cut -d' ' -f1)"

# ---- appends from stations at once ----
for s in 1 4 8; do
	newpg
	"$W" ledger --db "$u" migrate >/dev/null
	tp=$(stations "$u" $s "$appends")
	ts=$(stations "$tmp/app$s.db" $s "$appends")
	echo "appends, $s station(s) x $appends: postgresql $(rate $((s * appends)) "$tp")/s, sqlite $(rate $((s * appends)) "$ts")/s"
done

# ---- import ----
gen 1
newpg
"$W" ledger --db "$u" migrate >/dev/null
pg_psql "$PGD" "b$db" -c "CREATE TABLE raw (a text, b text, c text, d text, e text, f text, g text, h text, i text, j text, k text, l text, m text)"
refp=$(t pg_psql "$PGD" "b$db" -c "\\copy raw FROM '$tmp/r1.csv' WITH (FORMAT csv, HEADER)")
imp=$(t "$W" ledger --db "$u" import "$tmp/r1.csv" "${KEY[@]}")
echo "import $n assets, postgresql: ${imp} s  (psql \\copy: ${refp} s, ratio $(ratio "$imp" "$refp"))  target < 10 s"
refs=$(t sqlite3 "$tmp/ref.db" ".mode csv" ".import $tmp/r1.csv raw")
imps=$(t "$W" ledger --db "$tmp/ledger.db" import "$tmp/r1.csv" "${KEY[@]}")
echo "import $n assets, sqlite:     ${imps} s  (sqlite3 .import: ${refs} s, ratio $(ratio "$imps" "$refs"))  target < 10 s"

# ---- verify a long chain ----
for r in $(seq 2 "$rounds"); do
	gen "$r"
	u2=$(t "$W" ledger --db "$tmp/ledger.db" import --update "$tmp/r$r.csv" "${KEY[@]}")
	echo "  sqlite import --update round $r: ${u2} s"
	rm -f "$tmp/r$r.csv"
done
events=$(sqlite3 "$tmp/ledger.db" "SELECT count(*) FROM events")
newpg
mig=$(t "$W" ledger --db "$tmp/ledger.db" migrate --to "$u")
echo "ledger migrate --to postgresql of $events events: ${mig} s ($(rate "$events" "$mig") events/s)"
refs=$(t sqlite3 "$tmp/ledger.db" "SELECT count(*), sum(length(changes) + length(hash) + length(prev_hash)) FROM events")
vers=$(t "$W" ledger --db "$tmp/ledger.db" verify)
echo "verify $events events, sqlite:     ${vers} s  (plain scan: ${refs} s, ratio $(ratio "$vers" "$refs"))  target < 30 s"
refp=$(t pg_psql "$PGD" "b$db" -c "SELECT count(*), sum(length(changes) + length(hash) + length(prev_hash)) FROM wipecert.events")
verp=$(t "$W" ledger --db "$u" verify)
echo "verify $events events, postgresql: ${verp} s  (plain scan: ${refp} s, ratio $(ratio "$verp" "$refp"))  target < 30 s"
"$W" ledger --db "$u" verify | sed -n 's/.*head \([0-9]*:[0-9a-f]*\)$/  head on postgresql: \1/p'
"$W" ledger --db "$tmp/ledger.db" verify | sed -n 's/.*head \([0-9]*:[0-9a-f]*\)$/  head on sqlite:     \1/p'

# ---- pending with many open cases ----
newpg
"$W" ledger --db "$u" migrate >/dev/null
mkp=$(stations "$u" 4 $((ncases / 4)) cases)
mks=$(stations "$tmp/cases.db" 4 $((ncases / 4)) cases)
mkdir -p "$tmp/empty"
refp=$(t pg_psql "$PGD" "b$db" -c "SELECT count(*) FROM wipecert.cases c LEFT JOIN wipecert.decisions d ON d.case_id = c.id WHERE d.case_id IS NULL")
penp=$(t "$W" pending --db "$u" --state-dir "$tmp/empty" --json)
refs=$(t sqlite3 "$tmp/cases.db" "SELECT count(*) FROM cases c LEFT JOIN decisions d ON d.case_id = c.id WHERE d.case_id IS NULL")
pens=$(t "$W" pending --db "$tmp/cases.db" --state-dir "$tmp/empty" --json)
echo "pending, $ncases open cases (made in ${mkp} s and ${mks} s): postgresql ${penp} s (count: ${refp} s)," \
	"sqlite ${pens} s (count: ${refs} s)  target < 1 s"
