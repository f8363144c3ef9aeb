#!/usr/bin/env bash
# documents.sh - the list certificate and the audit at scale (issue 19):
# a list certificate for N disks (default 1000) issued in < 10 s, verified
# in < 10 s, <= 3 MB with every attached record; `audit` over M
# certificates (default 10,000) in < 60 s. Each figure beside a reference
# measured in the same run: N single certificates' cost (from 20 issued
# one by one), qpdf --check on the same file, and `wipecert verify` run
# file by file. Not part of make check.
#
#   bench/documents.sh [N=1000] [M=10000]
set -eu
cd "$(dirname "$0")/.."
W=${WIPECERT:-$PWD/build/wipecert}
n=${1:-1000}
m=${2:-10000}
[ -x "$W" ] || { echo "build first: make -j2" >&2; exit 2; }
C=$PWD/certs/test-only
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wipecert-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export WIPECERT_DB=$tmp/ledger.db WIPECERT_STATE_DIR=$tmp/state WIPECERT_TRUST=$C/trust
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$C/passphrase.txt")

t() { # prints the seconds a command took
	local s e
	s=$(date +%s.%N)
	"$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.2f", $2 - $1 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.01) }'; }

total=$((n + 20))
echo "documents bench: a list of $n disks, an audit of $m certificates ($(nproc) cpus, load $(cut -d' ' -f1 /proc/loadavg))"
# the ledger: one import
{
	echo "asset_id,media_type,model,serial,importance,status"
	for i in $(seq -w 1 "$total"); do echo "B-$i,disk image,bench image,BS-$i,3,awaiting-erasure"; done
} >"$tmp/assets.csv"
"$W" ledger import "$tmp/assets.csv" "${TECH[@]}" >/dev/null 2>&1
# wiped and sealed, 100 images (64 KiB, touched once) a wipe command
mkdir -p "$tmp/img"
for i in $(seq -w 1 "$total"); do head -c 65536 /dev/zero >"$tmp/img/$i.img"; done
ids=($(seq -w 1 "$total"))
for ((k = 0; k < total; k += 100)); do
	args=() files=()
	for i in "${ids[@]:k:100}"; do
		args+=(--asset "B-$i" --confirm-serial "$tmp/img/$i.img")
		files+=("$tmp/img/$i.img")
	done
	"$W" wipe --method zero --verify last "${args[@]}" "${TECH[@]}" --json "${files[@]}" >>"$tmp/wipes.json" 2>/dev/null
done
"$W" pending --json | python3 -c 'import json,sys; [print(c["id"]) for c in json.load(sys.stdin)["cases"]]' >"$tmp/cases"
head -n 20 "$tmp/cases" >"$tmp/singles"
tail -n "$n" "$tmp/cases" >"$tmp/batch"

# reference: 20 single certificates, one by one
s=$(date +%s.%N)
while read -r c; do "$W" approve "$c" "${APPR[@]}" --yes >/dev/null 2>&1; done <"$tmp/singles"
e=$(date +%s.%N)
single=$(echo "$s $e" | awk -v n="$n" '{ printf "%.2f", ($2 - $1) / 20 * n }')
one=$(stat -c %s "$(ls "$tmp"/state/*.pdf | head -1)")

issue=$(t "$W" approve --batch "$tmp/batch" "${APPR[@]}" --yes --json)
pdf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pdf"])' "$tmp/out")
size=$(stat -c %s "$pdf")
echo "issue a list of $n:   ${issue} s  ($n single certificates: ${single} s, ratio $(ratio "$issue" "$single"))  target < 10 s"
ver=$(t "$W" verify --db "$WIPECERT_DB" "$pdf")
ref=$(t qpdf --check "$pdf")
echo "verify it (--db):     ${ver} s  (qpdf --check: ${ref} s, ratio $(ratio "$ver" "$ref"))  target < 10 s"
echo "its size:             $(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1e6 }') MB, $((size / n)) bytes a disk  (a single certificate: ${one} bytes, ratio $(ratio $((size / n)) "$one") a disk)  target <= 3 MB"

# the audit: the 20 single certificates copied to M files (a copy is the
# very file the ledger recorded: each verifies with the ledger), and the
# list; reference: `wipecert verify --db` file by file
mkdir -p "$tmp/audit"
k=0
for f in "$tmp"/state/*.pdf; do
	case $f in */WL-*) cp "$f" "$tmp/audit/"; continue ;; esac
	cp "$f" "$tmp/audit/seed$((k++)).pdf"
done
for ((i = k; i < m; i++)); do ln "$tmp/audit/seed$((i % k)).pdf" "$tmp/audit/c$i.pdf"; done
s=$(date +%s.%N)
for ((i = 0; i < 50; i++)); do "$W" verify --db "$WIPECERT_DB" "$tmp/audit/seed$((i % k)).pdf" >/dev/null 2>&1; done
e=$(date +%s.%N)
vref=$(echo "$s $e" | awk -v m="$m" '{ printf "%.2f", ($2 - $1) / 50 * m }')
aud=$(t env WIPECERT_STATE_DIR="$tmp/audit" "$W" audit --from 2020-01-01 --to 2099-12-31 -o "$tmp/a.csv")
echo "audit $m certificates: ${aud} s  (verify one by one: ${vref} s, ratio $(ratio "$aud" "$vref"))  target < 60 s"
