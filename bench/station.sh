#!/usr/bin/env bash
# station.sh - the wipe station against plain `wipe` on the same disks in
# the same run: N loop devices (8, then 16) wiped at once from the station's
# screen (tmux, every disk selected and confirmed as a technician would),
# and by one `wipecert wipe` of the same N. Prints the aggregate
# throughput of each and their ratio (target >= 0.9), the station's peak
# RSS (target < 128 MiB for 16 disks), and the time a seal takes after the
# one unlock against `wipecert seal` of a key at the default Argon2id cost
# (which runs Argon2id each time). Not
# part of `make check`: it needs root, tmux, several GiB of RAM and
# minutes; its figures are ratios, never assertions. See docs/performance.md.
#
#   bench/station.sh                  8 and 16 loops of 256 MiB on /dev/shm
#   SIZE=128M COUNTS="16" REPEAT=1 bench/station.sh
#
# Each figure is the best of REPEAT runs (the machine is shared). Every loop
# is --direct-io=on over a file written once before anything is timed.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
WIPECERT=${WIPECERT:-$TOP/build/wipecert}
SIZE=${SIZE:-256M}
COUNTS=${COUNTS:-"8 16"}
REPEAT=${REPEAT:-2}
METHOD=${METHOD:-random}
DIR=${DIR:-/dev/shm}
C=$TOP/certs/test-only

[ "$(id -u)" -eq 0 ] || { echo "station.sh: needs root (loop devices)" >&2; exit 77; }
[ -x "$WIPECERT" ] || { echo "station.sh: build $WIPECERT first (make)" >&2; exit 1; }
for c in jq losetup tmux; do
	command -v "$c" >/dev/null || { echo "station.sh: $c is missing" >&2; exit 1; }
done

LOOPS=() FILES=()
WORK=$(mktemp -d /tmp/wipecert-bench.XXXXXX)
SOCK=wipecert-bench-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
	local l
	tm kill-server 2>/dev/null
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -f "${FILES[@]}"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
unset TMUX
# a technician key with the default Argon2id cost, in a copy of the test roster
cp -r "$C/trust" "$WORK/trust"
export WIPECERT_TRUST=$WORK/trust WIPECERT_TRUST_STATE=$WORK/trust-state.json
chmod 600 "$C"/*.key
"$WIPECERT" key new --name "Bench Technician" --role technician --org "TEST ONLY Example City" -o "$WORK/tech" \
	--passphrase-file "$C/passphrase.txt" >/dev/null 2>&1 &&
	"$WIPECERT" trust add "$WORK/tech.pub" --root-key "$C/test-only-root.key" --passphrase-file "$C/passphrase.txt" \
		>/dev/null 2>&1 || { echo "station.sh: cannot make the bench key" >&2; exit 1; }
KEY=$WORK/tech.key

bytes() { numfmt --from=iec "$1"; }
now() { date +%s.%N; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1e6 : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
best() { printf '%s\n' "$@" | sort -n | tail -1; }
screen() { tm capture-pane -p -t bench; }

# the disks: files written through once (tmpfs allocates on the first
# write), attached with direct I/O
setup_loops() {
	local n=$1 i f l
	for ((i = 1; i <= n; i++)); do
		f=$DIR/wipecert-bench-station-$i.img
		FILES+=("$f")
		dd if=/dev/zero of="$f" bs=4M count=$(($(bytes "$SIZE") / 4194304)) status=none || exit 1
		l=$(losetup -f --show --direct-io=on "$f") || exit 1
		LOOPS+=("$l")
	done
}

# wipe_run N: seconds one `wipecert wipe` of the first N loops takes
wipe_run() {
	local n=$1 args=() s e i
	for ((i = 0; i < n; i++)); do args+=(--confirm-serial "${LOOPS[$i]}"); done
	s=$(now)
	WIPECERT_STATE_DIR=$WORK/wipe "$WIPECERT" wipe -m "$METHOD" --verify last "${args[@]}" "${LOOPS[@]:0:$n}" \
		>/dev/null 2>"$WORK/wipe.err" || { echo "station.sh: wipe failed: $(tail -n 3 "$WORK/wipe.err")" >&2; }
	e=$(now)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }'
}

# station_run N: the station's screen over the first N loops, each bound to
# its asset by typing it; prints "SECONDS PEAK_RSS_KB SEAL_MS"
station_run() {
	local n=$1 i name t0 t1 pid st=$WORK/st.$RANDOM
	rm -f "$WORK/ledger.db"*
	for ((i = 1; i <= n; i++)); do
		WIPECERT_DB=$WORK/ledger.db "$WIPECERT" ledger add "B-$i" --class 3 --status awaiting-erasure \
			--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt" >/dev/null 2>&1 || exit 1
	done
	tm kill-server 2>/dev/null; sleep 0.2
	tm new-session -d -s bench -x 160 -y 60 "env TERM=screen WIPECERT_DB=$WORK/ledger.db WIPECERT_STATE_DIR=$st \
		$WIPECERT station --key $C/test-only-technician.key --passphrase-file $C/passphrase.txt \
		--method $METHOD 2>$WORK/station.err; sleep 3600" || exit 1
	for ((i = 0; i < 600; i++)); do screen | grep -q "key unlocked" && break; sleep 0.1; done
	# select ours (never 'a': other people's loop devices may be attached)
	for ((i = 0; i < n; i++)); do
		name=${LOOPS[$i]#/dev/}
		tm send-keys -t bench / && sleep 0.1 && tm send-keys -t bench -l "$name" && tm send-keys -t bench Enter Space
		sleep 0.1
	done
	tm send-keys -t bench s
	sleep 0.3
	# every confirmation at once, as a barcode scanner would type them
	for ((i = 0; i < n; i++)); do
		name=$(screen | grep -o "confirm loop[0-9]*" | cut -d' ' -f2)
		for ((k = 0; k < n; k++)); do
			[ "${LOOPS[$k]#/dev/}" = "$name" ] && tm send-keys -t bench -l "B-$((k + 1))" && tm send-keys -t bench Enter
		done
		[ "$i" = 0 ] && t0=$(now)
		sleep 0.02
	done
	pid=$(ps -o pid= --ppid "$(tm list-panes -t bench -F '#{pane_pid}')" | head -n 1)
	pid=${pid// /}
	# until every one of ours says PASS
	for ((i = 0; i < 6000; i++)); do
		[ "$(screen | grep -c 'PASS sealed')" -ge "$n" ] && break
		sleep 0.05
	done
	t1=$(now)
	# the peak: the test key's Argon2id is the minimum cost, so this is the
	# wipes' (a key at the default cost takes 256 MiB for a moment at the
	# unlock, before anything runs)
	rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	tm send-keys -t bench q
	for ((i = 0; i < 100; i++)); do grep -q "ms a seal" "$WORK/station.err" 2>/dev/null && break; sleep 0.1; done
	seal=$(grep -o "[0-9.]* ms a seal" "$WORK/station.err" | cut -d' ' -f1)
	[ "$(grep -c 'PASS sealed' <(screen))" -ge "$n" ] || true
	awk -v s="$t0" -v e="$t1" -v r="$rss" -v m="${seal:-0}" 'BEGIN { printf "%.3f %d %s", e - s, r, m }'
	rm -rf "$st"
}

# one `wipecert seal` (Argon2id each time) of a job from the last wipe run
seal_cli() {
	local job s e
	job=$(ls "$WORK"/wipe/*.json | grep -v wipe-record | head -n 1)
	job=$(basename "$job" .json)
	WIPECERT_DB=$WORK/ledger.db "$WIPECERT" ledger add SEAL-1 --class 3 \
		--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt" >/dev/null 2>&1
	s=$(now)
	WIPECERT_STATE_DIR=$WORK/wipe WIPECERT_DB=$WORK/ledger.db "$WIPECERT" seal "$job" --asset SEAL-1 \
		--key "$KEY" --passphrase-file "$C/passphrase.txt" >/dev/null 2>&1
	e=$(now)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", (e - s) * 1000 }'
}

max=0
for n in $COUNTS; do [ "$n" -gt "$max" ] && max=$n; done
setup_loops "$max"
echo "station.sh: $max loops of $SIZE on $DIR, method $METHOD with verify last, best of $REPEAT runs"
printf '%-6s %14s %14s %7s %16s %12s\n' disks "wipe MB/s" "station MB/s" ratio "station peak RSS" "seal ms"
for n in $COUNTS; do
	total=$(($(bytes "$SIZE") * n * 2)) # every byte written, then read back
	w=() s=() r=() m=()
	for ((k = 0; k < REPEAT; k++)); do
		t=$(wipe_run "$n")
		w+=("$(mbps "$total" "$t")")
		read -r t rss ms < <(station_run "$n")
		s+=("$(mbps "$total" "$t")")
		r+=("$rss")
		m+=("$ms")
	done
	bw=$(best "${w[@]}") bs=$(best "${s[@]}")
	printf '%-6s %14s %14s %7s %12s MiB %12s\n' "$n" "$bw" "$bs" "$(ratio "$bs" "$bw")" \
		"$(( $(printf '%s\n' "${r[@]}" | sort -n | tail -1) / 1024 ))" "$(printf '%s\n' "${m[@]}" | sort -n | head -1)"
done
echo "wipecert seal from the command line (Argon2id for the passphrase each time): $(seal_cli) ms"
