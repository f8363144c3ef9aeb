#!/usr/bin/env bash
# station_json.sh - the headless station on this machine: NDJSON events
# for every disk; --auto leaves alone what it cannot match by serial/WWN
# (a loop device, an image file): "untouched", nothing written; SIGTERM
# ends the stream with "stopped". Refused at the start: no key, a wrong
# passphrase, no terminal for the screen. (The hot-plug, the wipes and
# SIGTERM during a wipe are in station_qemu.sh, with disks that have
# serials.)
. "$(dirname "$0")/lib.bash"
need_root
need_cmd python3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$T/ledger.db WIPECERT_TRUST=$C/trust
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
"$W" ledger add J-1 --class 3 --status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
yes WIPECERT-MARKER | head -c 4M >"$T/j.img"
cp "$T/j.img" "$T/j.orig"
KEY=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")

expect_rc 2 "$W" station --json
grep -q "the technician's key is needed" "$T/err" || fail "no key: $(cat "$T/err")"
expect_rc 2 "$W" station "${KEY[@]}" </dev/null
grep -q "the screen needs a terminal" "$T/err" || fail "no terminal: $(cat "$T/err")"
echo wrong >"$T/wrong"
expect_rc 3 "$W" station --json --key "$C/test-only-technician.key" --passphrase-file "$T/wrong"
grep -q "the key is not unlocked: wrong passphrase" "$T/err" || fail "wrong passphrase: $(cat "$T/err")"

# --auto: a loop device attached while it runs, and an image file
"$W" station --json --auto "${KEY[@]}" "$T/j.img" >"$T/ev" 2>"$T/ev.err" &
PID=$!
for _ in $(seq 1 300); do grep -q '"event":"ready"' "$T/ev" && break; sleep 0.1; done
grep -q '"event":"ready"' "$T/ev" || fail "no ready event: $(cat "$T/ev.err")"
yes WIPECERT-MARKER | head -c 4M >"$T/l.img"
cp "$T/l.img" "$T/l.orig"
new_loop L "$T/l.img" 4M
for _ in $(seq 1 300); do grep -q "\"device\":\"$L\".*\"reason\":\"untouched\"" "$T/ev" && break; sleep 0.1; done
kill -TERM $PID
wait $PID
rc=$?
python3 - "$T/ev" "$L" "$T/j.img" <<'PY' || fail "the event stream: $(cat "$T/ev")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
loop, img = sys.argv[2], sys.argv[3]
assert ev[0]["event"] == "key" and ev[0]["reason"] == "unlocked", ev[0]
ready = [e for e in ev if e["event"] == "ready"][0]
assert ready["auto"] and ready["unlocked"] and ready["technician"] == "TEST ONLY Technician", ready
added = {e["device"]: e for e in ev if e["event"] == "disk-added"}
for k in ("name", "model", "serial", "wwn", "size", "transport", "safety", "asset", "class", "status",
          "method", "capabilities", "eligible", "auto", "resume_job", "reason"):
    assert all(k in e for e in added.values()), k
# present at the start: shown, never started by --auto
assert added[img]["transport"] == "file" and not added[img]["auto"], added[img]
# attached while it ran, no identity of its own: left untouched
assert added[loop]["reason"] == "scan-asset" and not added[loop]["auto"], added[loop]
assert [e for e in ev if e["event"] == "refused" and e["device"] == loop and e["reason"] == "untouched"]
assert not [e for e in ev if e["event"] == "started"], "something was started"
assert ev[-1]["event"] == "stopped" and ev[-1]["signal"] == "SIGTERM", ev[-1]
PY
expect_eq "exit status after SIGTERM with nothing run" "$rc" 0
cmp -s "$T/j.img" "$T/j.orig" || fail "the image file was written"
cmp -s "$T/l.img" "$T/l.orig" || fail "the loop device was written"
grep -q Sanitizer "$T/ev.err" && fail "sanitizer: $(cat "$T/ev.err")"
exit 0
