#!/usr/bin/env bash
# overwrite.sh - throughput of wipecert's overwrite engine against dd, shred
# and nwipe on the same kind of loop device, in the same run. Not part of
# `make check`: it needs root, several GiB and minutes, and its figures are
# ratios, never assertions. Prints one table; see docs/performance.md.
#
#   bench/overwrite.sh                 4 GiB loops on /dev/shm and on /var/tmp
#   SIZE=1G REPEAT=3 BACKINGS="shm" bench/overwrite.sh
#
# Each figure is the best of REPEAT runs (the machine is shared; the best
# run is the one least disturbed). Every loop is --direct-io=on and every
# backing file is written once before anything is timed.
. "$(dirname "$0")/lib.bash"
SIZE=${SIZE:-4G}            # the one-disk loops
SIZE4=${SIZE4:-1G}          # each of the four loops of the four-at-once runs
NWIPE_SIZE=${NWIPE_SIZE:-256M} # nwipe writes ~45 MB/s: its own, smaller loop
REPEAT=${REPEAT:-2}
BACKINGS=${BACKINGS:-"shm disk"}
bench_init overwrite.sh jq shred nwipe /usr/bin/time

now() { date +%s.%N; }
# mbps BYTES SECONDS
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1e6 : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
best() { printf '%s\n' "$@" | sort -n | tail -1; }

# timed CMD...: seconds it took
timed() {
	local s e
	s=$(now)
	"$@" >/dev/null 2>&1 || echo "overwrite.sh: failed: $*" >&2
	e=$(now)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }'
}

# wc_pass DEV METHOD VERIFY FIELD: MB/s of the first pass's write (FIELD=write)
# or of the verification read (FIELD=verify), from the job record's timings
wc_pass() {
	local out=$STATE/out.json size
	"$WIPECERT" wipe -m "$2" --verify "$3" --confirm-serial "$1" --json "$1" >"$out" 2>/dev/null ||
		{ echo "overwrite.sh: wipecert failed on $1" >&2; echo 0; return; }
	size=$(jq -r '.jobs[0].device.size' "$out")
	jq -r --arg f "$4" --argjson size "$size" \
		'.jobs[0].passes[-1] | (if $f == "write" then .write_ms else .verify_ms end) as $ms |
		 if $ms > 0 then ($size / ($ms / 1000) / 1e6 | floor) else 0 end' "$out"
}

one_disk() {
	local where=$1 dir=$2 L N i r
	local dz=() dr=() wz=() wr=() wv=() sh=()
	newloop L "$dir" "$where-1" "$SIZE"
	local n; n=$(bytes "$SIZE")
	for i in $(seq "$REPEAT"); do
		dz+=("$(mbps "$n" "$(timed dd if=/dev/zero of="$L" bs=4M count=$((n / 4194304)) oflag=direct)")")
		dr+=("$(mbps "$n" "$(timed dd if="$L" of=/dev/null bs=4M count=$((n / 4194304)) iflag=direct)")")
		wz+=("$(wc_pass "$L" zero off write)")
		wr+=("$(wc_pass "$L" random off write)")
		wv+=("$(wc_pass "$L" zero last verify)")
		sh+=("$(mbps "$n" "$(timed shred -n1 "$L")")")
	done
	newloop N "$dir" "$where-nwipe" "$NWIPE_SIZE"
	local nw; nw=$(mbps "$(bytes "$NWIPE_SIZE")" "$(timed nwipe --autonuke --nogui --method=zero \
		--verify=off --noblank --nousb "$N")")
	dz=$(best "${dz[@]}") dr=$(best "${dr[@]}") wz=$(best "${wz[@]}") wr=$(best "${wr[@]}")
	wv=$(best "${wv[@]}") sh=$(best "${sh[@]}")
	printf '%-6s one disk (%s)\n' "$where" "$SIZE"
	printf '  %-34s %7s MB/s\n' "dd zero (4M, oflag=direct)" "$dz" "dd read (4M, iflag=direct)" "$dr" \
		"shred -n1" "$sh" "nwipe zero ($NWIPE_SIZE loop)" "$nw"
	printf '  %-34s %7s MB/s  %5s x dd zero   (target >= 0.95)\n' "wipecert zero" "$wz" "$(ratio "$wz" "$dz")"
	printf '  %-34s %7s MB/s  %5s x dd zero   (target >= 0.90)\n' "wipecert random (AES-256-CTR)" "$wr" "$(ratio "$wr" "$dz")"
	printf '  %-34s %7s MB/s  %5s x dd read   (target >= 0.90)\n' "wipecert verify read (zero)" "$wv" "$(ratio "$wv" "$dr")"
	printf '  %-34s %7s x shred (target >= 4), %s x nwipe (target >= 8)\n' "wipecert random vs peers" \
		"$(ratio "$wr" "$sh")" "$(ratio "$wr" "$nw")"
}

four_disks() {
	local where=$1 dir=$2 i k L ls=() args=() n s e t
	for i in 1 2 3 4; do
		newloop L "$dir" "$where-4-$i" "$SIZE4"
		ls+=("$L")
		args+=(--confirm-serial "$L")
	done
	n=$(( $(bytes "$SIZE4") * 4 ))
	local dd4=() z4=() r4=() mem=0
	for k in $(seq "$REPEAT"); do
		s=$(now)
		for L in "${ls[@]}"; do
			dd if=/dev/zero of="$L" bs=4M count=$((n / 4 / 4194304)) oflag=direct status=none &
		done
		wait
		e=$(now)
		dd4+=("$(mbps "$n" "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')")")
		for m in zero random; do
			t=$(timed /usr/bin/time -v -o "$STATE/time.txt" "$WIPECERT" wipe -m "$m" --verify off "${args[@]}" "${ls[@]}")
			[ "$m" = zero ] && z4+=("$(mbps "$n" "$t")") || r4+=("$(mbps "$n" "$t")")
			r=$(awk -F': ' '/Maximum resident/ { print $2 }' "$STATE/time.txt")
			[ "${r:-0}" -gt "$mem" ] && mem=$r
		done
	done
	dd4=$(best "${dd4[@]}") z4=$(best "${z4[@]}") r4=$(best "${r4[@]}")
	printf '%-6s four disks at once (4 x %s), whole command timed\n' "$where" "$SIZE4"
	printf '  %-34s %7s MB/s\n' "4 x dd zero in parallel" "$dd4"
	printf '  %-34s %7s MB/s  %5s x 4 dd\n' "wipecert zero, 4 disks" "$z4" "$(ratio "$z4" "$dd4")"
	printf '  %-34s %7s MB/s  %5s x 4 dd\n' "wipecert random, 4 disks" "$r4" "$(ratio "$r4" "$dd4")"
	printf '  %-34s %7s MiB       (target < 64)\n' "peak memory (max RSS)" "$((mem / 1024))"
	for L in "${ls[@]}"; do losetup -d "$L"; done
	LOOPS=("${LOOPS[@]:0:${#LOOPS[@]}-4}")
}

echo "wipecert overwrite benchmark: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$WIPECERT" --version), best of $REPEAT runs"
for b in $BACKINGS; do
	case $b in
	shm) dir=/dev/shm ;;
	disk) dir=$DISKDIR ;;
	*) echo "overwrite.sh: unknown backing $b" >&2; exit 2 ;;
	esac
	one_disk "$b" "$dir"
	four_disks "$b" "$dir"
	# free the space before the next backing
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
	LOOPS=()
	rm -f "${FILES[@]}"
	FILES=()
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
