#!/usr/bin/env bash
# stick_queue.sh - the wipecert stick's queue for the central ledger: a
# seal into a ledger that only stands in for the central one (the stick's
# copy, --keep-outbox) leaves STATE_DIR/outbox/CASE.json in the shape
# `wipecert sync` reads (case, asset_id, status, reason, record_sha256;
# mode 0600), beside the signed record it names, and still records the
# event in the stick's ledger; a seal without it leaves no entry.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd python3
need_cmd minisign
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$T/stick-ledger.db WIPECERT_TRUST=$C/trust
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
for a in 1 2; do
	"$W" ledger add STICK-$a --media-type "disk image" --serial STICK-SERIAL-$a --class 3 \
		--status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add STICK-$a"
done
wipe_image() { # NAME: wipe a fresh image, print the job id
	truncate -s 2M "$T/$1.img"
	"$W" wipe --method zero --verify last --confirm-serial "$T/$1.img" --json "$T/$1.img" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])'
}
J1=$(wipe_image one) && [ -n "$J1" ] || fail "wipe one"
J2=$(wipe_image two) && [ -n "$J2" ] || fail "wipe two"

expect_rc 0 "$W" seal "$J1" --asset STICK-1 --keep-outbox "${TECH[@]}"
E=$T/state/outbox/$J1.json
[ -f "$E" ] || fail "no outbox entry for $J1"
expect_eq "entry mode" "$(stat -c %a "$E")" 600
expect_eq "outbox mode" "$(stat -c %a "$T/state/outbox")" 700
R=$T/state/$J1.wipe-record.json
minisign -Vm "$R" -x "$R.minisig" -p "$C/test-only-technician.pub" -q || fail "record signature"
python3 - "$E" "$R" "$J1" <<'PY' || fail "the outbox entry is not what sync reads"
import hashlib, json, sys
e = json.load(open(sys.argv[1]))
assert sorted(e) == ["asset_id", "case", "reason", "record_sha256", "status"], sorted(e)
assert e["case"] == sys.argv[3], e
assert e["asset_id"] == "STICK-1", e
assert e["status"] == "erased", e
assert e["record_sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest(), e
assert e["reason"].startswith("wipe verified: job %s (zero), wipe record sha256 %s" % (sys.argv[3], e["record_sha256"])), e
PY
# the stick's own ledger has the event too: the station there knows it is done
expect_rc 0 "$W" ledger show STICK-1 --json
expect_eq "stick ledger status" "$(json_get "$T/out" 'd["status"]')" erased

# a seal into the real ledger leaves no entry
expect_rc 0 "$W" seal "$J2" --asset STICK-2 "${TECH[@]}"
[ -e "$T/state/outbox/$J2.json" ] && fail "an outbox entry without --keep-outbox"
expect_eq "entries" "$(ls "$T/state/outbox" | wc -l)" 1
echo "stick_queue: ok"
