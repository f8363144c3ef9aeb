#!/usr/bin/env bash
# station_qemu.sh - hot-plug with a real kernel: a QEMU guest (TCG) runs
# `wipecert station --auto --json`; the host hot-adds NVMe disks through
# QMP (device_add) as the guest's events say: one whose serial the ledger
# holds as awaiting erasure is wiped and sealed without a key press; one
# with an unknown serial is left untouched (its image byte-identical on
# the host); one is pulled out mid-wipe (device_del): its job ends
# interrupted and resumable, and when the same disk is put back the
# station recognises it and resumes the job to a verified, sealed end; a
# fourth is running when SIGTERM comes: its job stops resumable, and
# `wipecert resume` takes it to a verified end. A class-1 asset is purged
# by the drive's own erase (NVMe Format), as the policy asks.
. "$(dirname "$0")/lib.bash"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
[ -x /bin/busybox ] || skip "/bin/busybox is not installed (Debian: busybox-static)"
need_cmd cpio
need_cmd minisign
need_cmd python3

RUN=$PWD/tests/qemu/run-guest.sh
QMP=$PWD/tests/qemu/qmp.py
GUEST=$PWD/tests/qemu/station-guest.sh
CERTS=$PWD/certs/test-only
W=$(realpath "$WIPECERT")
export WIPECERT_DB=$T/ledger.db
TECH=(--key "$CERTS/test-only-technician.key" --passphrase-file "$CERTS/passphrase.txt")
"$W" ledger add HP-1 --media-type nvme --serial HOTPLUG01 --class 3 --status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 ||
	fail "ledger add HP-1"
"$W" ledger add HP-3 --media-type nvme --serial HOTPLUG03 --class 3 --status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 ||
	fail "ledger add HP-3"
"$W" ledger add HP-4 --media-type nvme --serial HOTPLUG04 --class 3 --status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 ||
	fail "ledger add HP-4"
# class 1 must be purged: the drive's own erase (NVMe Format, the one QEMU has)
"$W" ledger add HP-5 --media-type nvme --serial HOTPLUG05 --class 1 --status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 ||
	fail "ledger add HP-5"
# the policy: class 3 is cleared with zeros (the quickest under TCG)
printf '[class 3]\nlevels = clear, purge, destroy\nmethods = zero\n' >"$T/policy.conf"
for d in hp1:4M hp2:4M hp3:16M hp4:16M hp5:4M; do
	yes "WIPECERT-MARKER-${d%%:*}" | head -c "${d#*:}" >"$T/${d%%:*}.img" || fail "image ${d%%:*}"
done
cp "$T/hp2.img" "$T/hp2.orig"

"$RUN" --timeout 300 --qemu-arg -qmp --qemu-arg "unix:$T/qmp.sock,server=on,wait=off" \
	--copy "$W" --copy "$CERTS" --copy "$T/ledger.db" --copy "$T/policy.conf" --copy "$GUEST" \
	-- sh "$GUEST" "$W" "$CERTS" "$T/ledger.db" "$T/policy.conf" >"$T/guest.log" 2>&1 &
GUEST_PID=$!
trap 'kill $GUEST_PID 2>/dev/null; cleanup' EXIT

qmp() { python3 "$QMP" "$T/qmp.sock" "$@" >>"$T/qmp.log" 2>&1 || fail "qmp $*: $(tail -n 3 "$T/qmp.log")"; }
# await WHAT PYTHON-CONDITION: until an event e (a dict) in the guest's output meets it
await() {
	local what=$1 cond=$2 i
	for ((i = 0; i < 1500; i++)); do
		python3 - "$T/guest.log" "$cond" <<'PY' && return 0
import json, sys
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("ev {") or line.startswith("final {"):
        try:
            e = json.loads(line.split(" ", 1)[1])
        except ValueError:
            continue
        if eval(sys.argv[2], {"e": e}):
            sys.exit(0)
sys.exit(1)
PY
		kill -0 $GUEST_PID 2>/dev/null || { tail -n 30 "$T/guest.log" >&2; fail "the guest ended before: $what"; }
		sleep 0.2
	done
	tail -n 30 "$T/guest.log" >&2
	fail "never saw: $what"
}

await "the station ready" 'e["event"] == "ready" and e["auto"] and e["unlocked"]'
qmp add-nvme hp1 HOTPLUG01 "$T/hp1.img"
qmp add-nvme hp2 UNKNOWN02 "$T/hp2.img"
await "HP-1 sealed" 'e["event"] == "sealed" and e["asset"] == "HP-1"'
await "the unknown disk left untouched" 'e["event"] == "refused" and e["reason"] == "untouched" and "UNKNOWN02" in e["message"]'
qmp add-nvme hp5 HOTPLUG05 "$T/hp5.img"
await "HP-5 sealed after a firmware erase" 'e["event"] == "sealed" and e["asset"] == "HP-5"'
qmp add-nvme hp3 HOTPLUG03 "$T/hp3.img"
await "HP-3 started" 'e["event"] == "started" and e["asset"] == "HP-3" and not e["resumed"]'
await "HP-3 4 MiB in" 'e["event"] == "progress" and e.get("job", "").find("nvme") >= 0 and e["done"] >= 4 << 20 and e["total"] == 32 << 20'
qmp del hp3
await "HP-3 interrupted, resumable" 'e["event"] == "finished" and e["asset"] == "HP-3" and e["result"] == "INTERRUPTED" and e["resumable"]'
# put back: recognised by its identity, resumed from its checkpoint
qmp add-nvme hp3b HOTPLUG03 "$T/hp3.img"
await "HP-3 resumed" 'e["event"] == "started" and e["asset"] == "HP-3" and e["resumed"]'
await "HP-3 sealed" 'e["event"] == "sealed" and e["asset"] == "HP-3"'
# a fourth: SIGTERM stops its job, resumable (the guest sends it)
qmp add-nvme hp4 HOTPLUG04 "$T/hp4.img"
wait $GUEST_PID
rc=$?
[ -n "${STATION_QEMU_LOG:-}" ] && cp "$T/guest.log" "$STATION_QEMU_LOG"
grep -E '^(station-exit|ledger-verify|run-guest|resume-(exit|stuck|err|out))' "$T/guest.log" >&2
[ "$rc" = 0 ] || fail "the guest failed (exit $rc): $(tail -n 20 "$T/guest.log")"

# what the guest said, checked here
python3 - "$T/guest.log" "$T/files" <<'PY' || fail "the guest's account does not hold: $(grep -v '"progress"' "$T/guest.log" | tail -n 40)"
import base64, json, os, sys
log, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
ev, exit_rc, ledger, verify, resume_rc, interrupted = [], None, {}, None, None, None
for line in open(log, errors="replace"):
    line = line.rstrip("\n")
    if line.startswith("final {"):
        ev.append(json.loads(line[6:]))
    elif line.startswith("station-exit "):
        exit_rc = int(line.split()[1])
    elif line.startswith("file "):
        _, name, data = line.split(" ", 2)
        open(os.path.join(out, name), "wb").write(base64.b64decode(data))
    elif line.startswith("ledger "):
        _, a, js = line.split(" ", 2)
        ledger[a] = json.loads(js)
    elif line.startswith("ledger-verify "):
        verify = int(line.split()[1])
    elif line.startswith("resume-exit "):
        resume_rc = int(line.split()[1])
    elif line.startswith("interrupted "):
        interrupted = json.loads(base64.b64decode(line.split(" ", 1)[1]))
# SIGTERM: the running job stopped, resumable; the exit status says so
assert exit_rc == 1, f"station exit {exit_rc}, want 1 (a job interrupted)"
stopped = [e for e in ev if e["event"] == "stopped"]
assert stopped and stopped[0]["signal"] == "SIGTERM" and stopped[0]["passed"] == 3 and stopped[0]["failed"] == 0 \
    and stopped[0]["interrupted"] == 1, stopped
hp4 = [e for e in ev if e["event"] == "finished" and e.get("asset") == "HP-4"]
assert hp4 and hp4[0]["result"] == "INTERRUPTED" and hp4[0]["resumable"], hp4
assert interrupted and interrupted["state"] == "running" and interrupted["id"] == hp4[0]["job"], interrupted
assert all(p["errors"]["count"] == 0 for p in interrupted["passes"]), interrupted["passes"]
assert 0 < interrupted["passes"][0]["written"] < 16 << 20, interrupted["passes"][0]["written"]
assert resume_rc == 0, f"wipecert resume exit {resume_rc}"
# the unknown disk: shown, never started
unknown = [e for e in ev if e.get("device") and e["event"] == "disk-added" and e.get("serial") == "UNKNOWN02"]
assert unknown and not unknown[0]["eligible"] and unknown[0]["asset"] is None, unknown
dev = unknown[0]["device"]
assert not [e for e in ev if e["event"] == "started" and e["device"] == dev], "the unknown disk was started"
# the pulled disk: removed mid-wipe, then resumed to the end
assert [e for e in ev if e["event"] == "removed" and e.get("reason") == "pulled"], "no pulled event"
sealed = {e["asset"]: e for e in ev if e["event"] == "sealed"}
assert set(sealed) == {"HP-1", "HP-3", "HP-5"}, sealed
# class 1: the policy's purge, the drive's own erase, its job record
hp5 = [e for e in ev if e["event"] == "started" and e.get("asset") == "HP-5"]
assert hp5 and hp5[0]["firmware"] and hp5[0]["method"] == "nvme-format", hp5
fw = json.load(open(os.path.join(out, sealed["HP-5"]["job"] + ".firmware.json")))
assert fw["state"] == "succeeded" and fw["method"] == "nvme-format", (fw["state"], fw["method"])
assert ledger["HP-5"]["status"] == "erased", ledger["HP-5"]["status"]
for a in ("HP-1", "HP-3"):
    assert ledger[a]["status"] == "erased", (a, ledger[a]["status"])
    job = json.load(open(os.path.join(out, sealed[a]["job"] + ".json")))
    assert job["state"] == "succeeded", job["state"]
    assert all(p["errors"]["count"] == 0 and p["mismatches"]["count"] == 0 for p in job["passes"]), job["passes"]
    print(a, sealed[a]["job"], "resumes", job["resumes"], file=sys.stderr)
    assert job["resumes"] == (1 if a == "HP-3" else 0), job["resumes"]
assert verify == 0, "ledger verify failed in the guest"
PY
for f in "$T"/files/*.wipe-record.json; do
	minisign -V -q -m "$f" -p "$CERTS/test-only-technician.pub" || fail "minisign: $f"
done
[ "$(ls "$T"/files/*.wipe-record.json | wc -l)" = 3 ] || fail "three wipe records wanted: $(ls "$T/files")"
# the images on the host: wiped, untouched, wiped after the resume
grep -q WIPECERT-MARKER "$T/hp1.img" && fail "HP-1's image still holds the marker"
cmp -s "$T/hp1.img" <(head -c 4M /dev/zero) || fail "HP-1's image is not all zeros"
cmp -s "$T/hp2.img" "$T/hp2.orig" || fail "the unknown disk's image changed"
grep -q WIPECERT-MARKER "$T/hp3.img" && fail "HP-3's image still holds the marker after the resume"
grep -q WIPECERT-MARKER "$T/hp4.img" && fail "HP-4's image still holds the marker after wipecert resume"
grep -q WIPECERT-MARKER "$T/hp5.img" && fail "HP-5's image still holds the marker after NVMe Format"
exit 0
