#!/usr/bin/env bash
# station_stop.sh - stop and resume at the screen, in a real pseudo-terminal:
# a running disk stopped with x ends its job interrupted and resumable
# (the job file says running, no error recorded); r resumes it after the
# confirmation, and it ends PASS and sealed, the job record counting one
# resume. Quitting with a job running asks first, then stops it resumably
# (exit 1).
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/station-lib.bash"
for a in SR-1 SR-2; do
	"$W" ledger add $a --class 3 --status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add $a"
done
yes WIPECERT-MARKER | head -c 16M >"$T/s.img"
yes WIPECERT-MARKER | head -c 16M >"$T/q.img"

# 16 MiB at 4 MiB/s: four seconds of writing to stop it in
station_start 80 24 "$W" station --key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt" \
	--max-rate 4M "$T/s.img" "$T/q.img"
wait_for "key unlocked" 60
find_disk s.img; keys s
wait_for "confirm s.img"
keys -l SR-1; keys Enter
wait_for "s.img .* SR-1 +3 +1/1 write"
keys x
wait_for "s.img .* SR-1 +3 +interrupted: r resumes" 20
job=$(basename "$(ls "$T"/state/*-s.img-*.json | grep -v wipe-record)" .json)
python3 - "$T/state/$job.json" <<'PY' || fail "the stopped job's file"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "running", j["state"]
assert j["passes"][0]["errors"]["count"] == 0
assert 0 < j["passes"][0]["written"] < 16 << 20, j["passes"][0]["written"]
PY
[ -e "$T/state/$job.wipe-record.json" ] && fail "a stopped job was sealed"
keys r
wait_for "confirm s.img"
keys -l SR-1; keys Enter
wait_for "s.img: job $job resumed"
wait_for "s.img .* SR-1 +3 +PASS sealed, safe to remove" 60
python3 - "$T/state/$job.json" <<'PY' || fail "the resumed job's record"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "succeeded" and j["resumes"] == 1, (j["state"], j["resumes"])
PY
grep -q WIPECERT-MARKER "$T/s.img" && fail "the marker survived the resumed wipe"

# quit while one runs: asked first; yes stops it, resumable, exit 1
find_disk q.img; keys s
wait_for "confirm q.img"
keys -l SR-2; keys Enter
wait_for "q.img .* SR-2 +3 +1/1 write"
keys q
wait_for "jobs are running: stop them all \(resumable\) and quit\? y/n"
keys n
wait_for "not quitting"
keys q
wait_for "jobs are running"
keys y
station_wait_exit 1
grep -q "station: 1 passed, 0 failed, 1 interrupted (resumable), 0 not sealed; 1 sealed" "$T/station.err" ||
	fail "the session summary: $(cat "$T/station.err")"
qjob=$(basename "$(ls "$T"/state/*-q.img-*.json | grep -v wipe-record)" .json)
grep -q '"state": "running"' "$T/state/$qjob.json" || fail "the job stopped at quitting is not resumable"
exit 0
