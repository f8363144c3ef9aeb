#!/usr/bin/env bash
# fingerprint.sh - what the medium's identity costs: the content fingerprint
# a wipe takes before its first write, and the proof a resume reads before
# it writes again, on a 4 GiB loop device, against reading that loop once
# with dd (what one verification pass costs) in the same run. Not part of
# `make check`: it needs root and 4 GiB twice; figures are ratios, never
# assertions. See docs/performance.md.
#
#   bench/fingerprint.sh                 4 GiB loops on /dev/shm and /var/tmp
#   SIZE=1G REPEAT=5 BACKINGS=shm bench/fingerprint.sh
#
# Each cost is the difference of the fastest of several runs stopped by
# SIGKILL at each of two named crash points (WIPECERT_CRASH_POINT, src/util/crash.c), neither of which has
# written anything: the fingerprint is wipe-to-"job-save:1" (right after
# it) minus wipe-to-"job-start" (right before it); the proof is
# resume-to-"job-save:1" minus resume-to-"prove-start". The job file a
# resume needs comes from a wipe stopped at "job-save:2", when its first
# pass begins, before its first write.
. "$(dirname "$0")/lib.bash"
SIZE=${SIZE:-4G}
REPEAT=${REPEAT:-5}
BACKINGS=${BACKINGS:-"shm disk"}
bench_init fingerprint.sh jq

now() { date +%s%N; }
best() { printf '%s\n' "$@" | sort -n | head -1; }

# until POINT CMD...: microseconds CMD takes until it is killed at POINT
until_point() {
	local point=$1 t0 t1 rc
	shift
	t0=$(now)
	{ WIPECERT_CRASH_POINT=$point "$@" >/dev/null 2>&1; rc=$?; } 2>/dev/null
	[ $rc -eq 137 ] || { echo "fingerprint.sh: $* was not stopped at $point" >&2; exit 1; }
	t1=$(now)
	echo $(((t1 - t0) / 1000))
}

printf '%-6s %6s %12s %12s %14s %14s %12s %9s\n' backing size fingerprint proof "wipe to ckpt" "resume to ckpt" "dd read all" "fp/read"
for b in $BACKINGS; do
	case $b in shm) dir=/dev/shm ;; disk) dir=$DISKDIR ;; *) echo "unknown backing $b" >&2; exit 1 ;; esac
	newloop L "$dir" "fp-$b" "$SIZE" /dev/urandom
	fp0=() fp1=() pr0=() pr1=() rd=()
	for _ in $(seq "$REPEAT"); do
		rm -f "$STATE"/*.json
		fp0+=("$(until_point job-start "$WIPECERT" wipe --confirm-serial "$L" "$L")")
		fp1+=("$(until_point job-save:1 "$WIPECERT" wipe --confirm-serial "$L" "$L")")
		until_point job-save:2 "$WIPECERT" wipe --confirm-serial "$L" "$L" >/dev/null
		id=$(basename "$(ls "$STATE"/*.json | head -1)" .json)
		pr0+=("$(until_point prove-start "$WIPECERT" resume "$id")")
		pr1+=("$(until_point job-save:1 "$WIPECERT" resume "$id")")
		t0=$(now)
		dd if="$L" of=/dev/null bs=4M iflag=direct status=none
		rd+=($((($(now) - t0) / 1000)))
		# nothing was written: no job got past the start of its first pass
		jq -e '[.passes[].bytes_written] | add == 0' "$STATE/$id.json" >/dev/null ||
			{ echo "fingerprint.sh: the loop was written to" >&2; exit 1; }
	done
	f=$(($(best "${fp1[@]}") - $(best "${fp0[@]}")))
	p=$(($(best "${pr1[@]}") - $(best "${pr0[@]}")))
	a=$(best "${rd[@]}")
	msf() { awk -v v="$1" 'BEGIN { printf "%.1f ms", v / 1000 }'; }
	printf '%-6s %6s %12s %12s %14s %14s %12s %9s\n' "$b" "$SIZE" "$(msf "$f")" "$(msf "$p")" \
		"$(msf "$(best "${fp1[@]}")")" "$(msf "$(best "${pr1[@]}")")" "$(msf "$a")" \
		"$(awk -v f="$f" -v a="$a" 'BEGIN { printf "%.4f", (a > 0 ? f / a : 0) }')"
done
echo "(best of $REPEAT runs to each point, subtracted; \"to ckpt\": the whole command up to its first"
echo " checkpoint, an upper bound of the fingerprint or proof; fp/read: fingerprint / one full read)"
