#!/usr/bin/env bash
# ledger_sign.sh - ledger events signed by their actor from the command
# line (add, edit, import --key), checked by `ledger verify --trust`, by
# `minisign -V` on an exported event, and refused after a byte of a stored
# signature is changed with sqlite3 or when unsigned events are not allowed.
. "$(dirname "$0")/lib.bash"
need_cmd minisign; need_cmd sqlite3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
PASS=$C/passphrase.txt
W=$WIPECERT
DB=(--db "$T/ledger.db")
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")

expect_rc 0 "$W" ledger "${DB[@]}" add A-1 --serial SER-1 --department 税務課 "${TECH[@]}"
grep -q "1 events signed by TEST ONLY Technician" "$T/err" || fail "add --key: $(cat "$T/err")"
expect_rc 0 "$W" ledger "${DB[@]}" edit A-1 --status approved --reason "確認済み" "${APPR[@]}"
printf 'asset_id,serial,department\nB-1,SER-B1,財政課\nB-2,SER-B2,財政課\n' >"$T/in.csv"
expect_rc 0 "$W" ledger "${DB[@]}" import "$T/in.csv" "${TECH[@]}"
grep -q "2 events signed" "$T/err" || fail "import --key: $(cat "$T/err")"
# the actor is the key's holder; claiming someone else is a usage error
expect_rc 2 "$W" ledger "${DB[@]}" add A-9 --actor mallory "${TECH[@]}"
sqlite3 "$T/ledger.db" "SELECT actor FROM events ORDER BY seq" | tr '\n' '|' >"$T/actors"
expect_eq "actors" "$(cat "$T/actors")" "TEST ONLY Technician|TEST ONLY Approver|TEST ONLY Technician|TEST ONLY Technician|"

expect_rc 0 "$W" ledger "${DB[@]}" verify --trust "$C/trust" --require-signed --json
expect_eq "ok" "$(json_get "$T/out" 'd["ok"]')" True
expect_eq "signed" "$(json_get "$T/out" 'd["signatures"]["signed"]')" 4
expect_rc 0 "$W" ledger "${DB[@]}" verify --trust "$C/trust"
grep -q "all 4 events signed" "$T/out" || fail "verify text: $(cat "$T/out")"

# an auditor's check without wipecert: the event's signed form and its signature
expect_rc 0 "$W" ledger "${DB[@]}" export-event 2 -o "$T/ev2.json"
minisign -V -q -m "$T/ev2.json" -p "$C/test-only-approver.pub" || fail "minisign -V on event 2"
minisign -V -q -m "$T/ev2.json" -p "$C/test-only-technician.pub" 2>/dev/null && fail "event 2 verified with the wrong key"
# ... whose hash is the one in the chain, and whose fields are the archive's
expect_rc 0 "$W" ledger "${DB[@]}" export --format json --events -o "$T/archive.json"
python3 - "$T/archive.json" "$T/ev2.json" "$T/ev2.json.minisig" <<'PY' || fail "archive does not match the exported event"
import json, sys
arc = json.load(open(sys.argv[1]))
ev = json.load(open(sys.argv[2]))
e = [x for x in arc["events"] if x["seq"] == 2][0]
assert ev["type"] == "ledger-event" and ev["hash"] == e["hash"], (ev, e)
for k in ("asset_id", "kind", "state_hash", "actor", "reason", "time_utc", "time_local", "prev_hash"):
    assert ev[k] == e[k], k
assert ev["changes"] == e["changes_text"]
# the archive carries the signature text itself: the same .minisig
assert e["signature"] == open(sys.argv[3]).read() and e["key_id"] == "EE9656F0FA4C7EA5"
# and the canonical form can be rebuilt from the archive alone
f = {k: e[k] for k in ("actor", "asset_id", "hash", "kind", "prev_hash", "reason", "seq",
                       "state_hash", "time_local", "time_utc")}
f["changes"] = e["changes_text"]; f["type"] = "ledger-event"
assert json.dumps(f, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == open(sys.argv[2], "rb").read()
PY
expect_rc 1 "$W" ledger "${DB[@]}" export-event 99 -o "$T/x.json"

# an unsigned event: counted, and refused with --require-signed
expect_rc 0 "$W" ledger "${DB[@]}" add C-1 --serial SER-C1 --actor "TEST ONLY Technician"
expect_rc 0 "$W" ledger "${DB[@]}" verify --trust "$C/trust"
grep -q "1 events unsigned (the first is event 5)" "$T/out" || fail "unsigned count: $(cat "$T/out")"
expect_rc 1 "$W" ledger "${DB[@]}" verify --trust "$C/trust" --require-signed
grep -q "event 5 (asset C-1.*not signed" "$T/err" || fail "require-signed: $(cat "$T/err")"
expect_rc 1 "$W" ledger "${DB[@]}" export-event 5 -o "$T/x.json"

# one byte of a stored signature changed (the guarding trigger dropped first)
# (byte 40 of the base64 line: inside the Ed25519 signature, past the key id)
sqlite3 "$T/ledger.db" "DROP TRIGGER events_no_update;
UPDATE events SET signature = CAST(substr(s, 1, p - 1) || CASE substr(s, p, 1) WHEN 'A' THEN 'B' ELSE 'A' END ||
  substr(s, p + 1) AS BLOB) FROM (SELECT CAST(signature AS TEXT) AS s,
  instr(CAST(signature AS TEXT), char(10)) + 40 AS p FROM events WHERE seq = 3) WHERE seq = 3;" || fail sqlite3
expect_rc 0 "$W" ledger "${DB[@]}" verify   # the hash chain does not cover signatures
expect_rc 1 "$W" ledger "${DB[@]}" verify --trust "$C/trust" --json
expect_eq "bad event" "$(json_get "$T/out" 'd["signatures"]["event"]')" 3
expect_eq "problem" "$(json_get "$T/out" 'd["signatures"]["problem"]')" invalid
grep -q "event 3 (asset B-1.*signature does not match" "$T/err" || fail "tampered: $(cat "$T/err")"
exit 0
