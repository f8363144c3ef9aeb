#!/usr/bin/env bash
# wipe-resume.sh - kill -9 in the middle of a pass, then `wipecert resume`
# ends with a correct, verified wipe; a job that ended, or a device that is
# not the one the job started on, is refused.
# backing files in RAM: the loops still use O_DIRECT, the shared disk is spared
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
export WIPECERT_STATE_DIR=$T/jobs

new_loop L "$T/a.img" 16M --direct-io=on
yes WIPECERT-MARKER | head -c $((16 << 20)) | dd of="$L" bs=1M oflag=direct conv=fsync status=none || fail "mark"

# slow enough (4 MB/s) that the kill lands inside the first pass
"$WIPECERT" wipe -m dod-short --max-rate 4M --confirm-serial "$L" --json "$L" >"$T/w.out" 2>"$T/w.err" &
pid=$!
job= written=0
for _ in $(seq 100); do
	sleep 0.1
	job=$(ls "$T"/jobs/*.json 2>/dev/null | head -1)
	[ -n "$job" ] || continue
	written=$(jq -r '[.passes[] | select(.state == "writing") | .written] | first // 0' "$job" 2>/dev/null)
	[ "${written:-0}" -gt 0 ] && break
done
kill -9 "$pid" 2>/dev/null || fail "the wipe ended before it could be killed: $(cat "$T/w.err")"
wait "$pid" 2>/dev/null
[ "${written:-0}" -gt 0 ] || fail "no checkpoint inside a pass within 10 s"
[ "$written" -lt $((16 << 20)) ] || fail "the pass had already ended"
expect_eq "state after kill" "$(jq -r .state "$job")" running
id=$(jq -r .id "$job")

# a job file edited by hand (another serial): refused, nothing written
jq '.device.serial = "NOT-THIS-ONE"' "$job" >"$T/other.json"
expect_refused 3 "changed by hand" "$L" "$job" -- "$WIPECERT" resume "$T/other.json"

# (--max-rate 0: the job keeps its 4M/s otherwise, identity.sh proves that)
expect_rc 0 "$WIPECERT" resume --max-rate 0 --json "$id"
expect_eq "state" "$(jq -r '.jobs[0].state' "$T/out")" succeeded
expect_eq "resumes" "$(jq -r '.jobs[0].resumes' "$T/out")" 1
expect_eq "verification" "$(jq -r '.jobs[0].passes[-1].verification' "$T/out")" passed
expect_eq "every pass done" "$(jq -r '[.jobs[0].passes[].state] | unique | join(",")' "$T/out")" done
grep -q WIPECERT-MARKER "$L" && fail_outcome "marker left after resume"
blkid -p "$L" >/dev/null 2>&1 && fail_outcome "blkid finds a signature after resume"

# a job that has ended cannot be resumed again
expect_refused 3 "already ended" "$L" "dir:$T/jobs" -- "$WIPECERT" resume "$id"
expect_refused 3 "" "$L" "dir:$T/jobs" -- "$WIPECERT" resume no-such-job

# SIGINT stops at a checkpoint: exit 1, says how to resume, and resume ends the job
"$WIPECERT" wipe -m zero --max-rate 4M --confirm-serial "$L" "$L" >"$T/i.out" 2>"$T/i.err" &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"
rc=$?
expect_eq "exit after SIGINT" "$rc" 1
grep -q "interrupted; continue with 'wipecert resume " "$T/i.err" || fail "no resume hint: $(cat "$T/i.err")"
id2=$(sed -n "s/.*wipecert resume \([^']*\)'.*/\1/p" "$T/i.err")
expect_eq "interrupted job state" "$(jq -r .state "$T/jobs/$id2.json")" running
expect_rc 0 "$WIPECERT" resume --max-rate 0 "$id2"
expect_eq "resumed after SIGINT" "$(jq -r .state "$T/jobs/$id2.json")" succeeded
expect_rc 2 "$WIPECERT" resume
expect_rc 0 "$WIPECERT" resume --help
exit 0
