#!/usr/bin/env bash
# outbox_keep.sh - the outbox as the queue for a ledger that is not the one
# at hand (the wipecert stick's: its SQLite copy of the central ledger stands
# in while it is away from the network). A seal with --keep-outbox records
# the case and the asset's event in the stand-in and leaves its outbox
# entry (mode 0600); sealing again adds nothing. `wipecert sync --state-dir
# STICK --db CENTRAL --key` submits each record to the central ledger exactly
# once (a second sync submits nothing, a third after an entry was put back
# neither); the central ledger then lists the case, a manager approves it
# there from a state directory of their own, and a sync without a key
# copies the decision back onto the stick. A command with a key run on the
# stick without --keep-outbox (it submits what waits on its way) leaves a
# kept entry alone. Both chains verify with every signature.
# backends: sqlite postgresql
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_root
need_cmd qpdf
need_cmd sqlite3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$C/passphrase.txt")
export WIPECERT_TRUST=$C/trust
CEN=$(new_ledger central) || exit 1
STICK=$T/stick.db
S=$T/stick-state
status() { lsql "$CEN" "SELECT status FROM assets WHERE asset_id = '$1'"; }
events() { lsql "$CEN" "SELECT count(*) FROM events"; }
cases() { lsql "$CEN" "SELECT count(*) FROM cases"; }

for a in K-1 K-2; do
	"$W" ledger --db "$CEN" add $a --media-type "disk image" --serial $a-SN --class 3 --status awaiting-erasure \
		"${TECH[@]}" >/dev/null 2>"$T/err" || fail "add $a: $(cat "$T/err")"
done
# the stick's stand-in: the central ledger copied (the same chain)
expect_rc 0 "$W" ledger --db "$CEN" migrate --to "$STICK"

wipe_image() { # NAME: a wiped image on the stick; prints the job
	truncate -s 1M "$T/$1.img"
	"$W" wipe --method zero --verify last --confirm-serial "$T/$1.img" --state-dir "$S" --db "$STICK" --json \
		"$T/$1.img" 2>"$T/wipe.err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])'
}
J1=$(wipe_image one) && [ -n "$J1" ] || fail "wipe one: $(cat "$T/wipe.err")"
J2=$(wipe_image two) && [ -n "$J2" ] || fail "wipe two: $(cat "$T/wipe.err")"

# sealed on the stick: the stand-in has the case and the event, the entry waits
expect_rc 0 "$W" seal "$J1" --asset K-1 --keep-outbox --state-dir "$S" --db "$STICK" "${TECH[@]}"
E=$S/outbox/$J1.json
[ -f "$E" ] || fail "no outbox entry for $J1"
expect_eq "entry mode" "$(stat -c %a "$E")" 600
expect_eq "stand-in status" "$(sqlite3 "$STICK" "SELECT status FROM assets WHERE asset_id = 'K-1'")" erased
expect_eq "stand-in cases" "$(sqlite3 "$STICK" "SELECT count(*) FROM cases")" 1
python3 - "$E" "$S/$J1.wipe-record.json" "$J1" <<'PY' || fail "the outbox entry"
import hashlib, json, sys
e = json.load(open(sys.argv[1]))
assert sorted(e) == ["asset_id", "case", "keep", "reason", "record_sha256", "status"], sorted(e)
assert (e["case"], e["asset_id"], e["status"], e["keep"]) == (sys.argv[3], "K-1", "erased", True), e
assert e["record_sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest(), e
PY
# sealing again adds nothing (but the operation log's note of the refusal),
# and the entry stays
seals() { sqlite3 "$STICK" "SELECT count(*) FROM events WHERE reason LIKE 'wipe %'"; }
n=$(seals)
expect_rc 3 "$W" seal "$J1" --asset K-1 --keep-outbox --state-dir "$S" --db "$STICK" "${TECH[@]}"
grep -q "already sealed" "$T/err" || fail "sealed again: $(cat "$T/err")"
expect_eq "stand-in seal events after sealing again" "$(seals)" "$n"
expect_eq "stand-in cases after sealing again" "$(sqlite3 "$STICK" "SELECT count(*) FROM cases")" 1
[ -f "$E" ] || fail "sealing again took the entry"
# a seal into the ledger at hand leaves no entry of its own, and (a command
# with a key submits what waits on its way) does not take the kept one
expect_rc 0 "$W" seal "$J2" --asset K-2 --state-dir "$S" --db "$STICK" "${TECH[@]}"
[ -e "$S/outbox/$J2.json" ] && fail "an outbox entry without --keep-outbox"
[ -f "$E" ] || fail "a command with a key on the stick took the kept entry"

# back at the office: the central ledger knows nothing of it yet
expect_eq "central before sync" "$(status K-1)" awaiting-erasure
expect_eq "central cases before sync" "$(cases)" 0
n0=$(events)
expect_rc 0 "$W" sync --state-dir "$S" --db "$CEN" "${TECH[@]}" --json
expect_eq "sync" "$(json_get "$T/out" 'd["submitted"], d["waiting"], d["failed"]')" "(1, 0, 0)"
[ -e "$E" ] && fail "submitted to the central ledger, still in the outbox"
expect_eq "central status" "$(status K-1)" erased
expect_eq "central cases" "$(cases)" 1
expect_eq "central events" "$(events)" $((n0 + 1))
# once: again, and with the entry put back by hand (kept or not)
expect_rc 0 "$W" sync --state-dir "$S" --db "$CEN" "${TECH[@]}" --json
expect_eq "sync again" "$(json_get "$T/out" 'd["submitted"], d["waiting"]')" "(0, 0)"
python3 - "$S" "$J1" <<'PY' || fail "entry back"
import hashlib, json, sys
s, j = sys.argv[1], sys.argv[2]
h = hashlib.sha256(open(f"{s}/{j}.wipe-record.json", "rb").read()).hexdigest()
json.dump({"case": j, "asset_id": "K-1", "status": "erased", "reason": "put back", "record_sha256": h, "keep": True},
          open(f"{s}/outbox/{j}.json", "w"))
PY
expect_rc 0 "$W" sync --state-dir "$S" --db "$CEN" "${TECH[@]}" --json
expect_eq "central cases after a replay" "$(cases)" 1
expect_eq "central events after a replay" "$(events)" $((n0 + 1))

# a manager decides on the central ledger, the stick gets the certificate
expect_rc 0 "$W" pending --db "$CEN" --state-dir "$T/mgr" --json
expect_eq "pending centrally" "$(json_get "$T/out" '[(c["id"], c["state"]) for c in d["cases"]]')" \
	"[('$J1', 'awaiting-approval')]"
expect_rc 0 "$W" approve "$J1" --db "$CEN" --state-dir "$T/mgr" "${APPR[@]}" --yes --json
PDF=$(json_get "$T/out" 'd["pdf"]')
qpdf --check "$PDF" >/dev/null || fail "qpdf: $PDF"
expect_rc 0 "$W" sync --state-dir "$S" --db "$CEN" --json
expect_eq "decisions copied" "$(json_get "$T/out" 'd["decisions"]')" 1
cmp -s "$PDF" "$S/$(basename "$PDF")" || fail "the stick's copy of the certificate is not the one issued"
expect_rc 0 "$W" ledger --db "$CEN" verify --trust "$C/trust"
grep -q "signatures: all .* events signed by their actors and valid" "$T/out" || fail "central: $(cat "$T/out")"
expect_rc 0 "$W" ledger --db "$STICK" verify --trust "$C/trust"
exit 0
