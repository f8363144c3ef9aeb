#!/usr/bin/env bash
# ledger_sign.sh - every ledger event signed by its actor from the command
# line (add, edit, import --key), checked by `ledger verify --trust`, by
# `minisign -V` on an exported event; refused: a byte of a stored signature
# changed with sqlite3, the signatures stripped (alone, and with the chain
# rewritten and recomputed by the attacker), unsigned events that no signed
# adoption covers; adopted as legacy by an approver, not by a technician.
. "$(dirname "$0")/lib.bash"
need_cmd minisign; need_cmd sqlite3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
PASS=$C/passphrase.txt
W=$WIPECERT
DB=(--db "$T/ledger.db")
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")
ROOT=(--key "$C/test-only-root.key" --passphrase-file "$PASS")

expect_rc 0 "$W" ledger "${DB[@]}" add A-1 --serial SER-1 --department 税務課 "${TECH[@]}"
grep -q "added A-1 (event 1, signed by TEST ONLY Technician)" "$T/err" || fail "add --key: $(cat "$T/err")"
expect_rc 0 "$W" ledger "${DB[@]}" edit A-1 --status retired --reason "確認済み" "${APPR[@]}"
printf 'asset_id,serial,department\nB-1,SER-B1,財政課\nB-2,SER-B2,財政課\n' >"$T/in.csv"
expect_rc 0 "$W" ledger "${DB[@]}" import "$T/in.csv" "${TECH[@]}"
grep -q "2 added.*events signed by TEST ONLY Technician" "$T/err" || fail "import --key: $(cat "$T/err")"
# the actor is the key's holder; claiming someone else is a usage error
expect_rc 2 "$W" ledger "${DB[@]}" add A-9 --actor mallory "${TECH[@]}"
# and nothing is written without a key
expect_rc 2 "$W" ledger "${DB[@]}" add A-9 --serial SER-9
sqlite3 "$T/ledger.db" "SELECT actor FROM events ORDER BY seq" | tr '\n' '|' >"$T/actors"
expect_eq "actors" "$(cat "$T/actors")" "TEST ONLY Technician|TEST ONLY Approver|TEST ONLY Technician|TEST ONLY Technician|"
expect_eq "unsigned events" "$(sqlite3 "$T/ledger.db" "SELECT count(*) FROM events WHERE signature IS NULL")" 0

expect_rc 0 "$W" ledger "${DB[@]}" verify --trust "$C/trust" --json
expect_eq "ok" "$(json_get "$T/out" 'd["ok"]')" True
expect_eq "signed" "$(json_get "$T/out" 'd["signatures"]["signed"]')" 4
expect_rc 0 "$W" ledger "${DB[@]}" verify --trust "$C/trust"
grep -q "all 4 events signed by their actors and valid; every change approved" "$T/out" || fail "verify text: $(cat "$T/out")"
expect_rc 0 "$W" ledger "${DB[@]}" verify
grep -q "signatures: not checked (give --trust DIR)" "$T/out" || fail "verify without --trust: $(cat "$T/out")"

# history shows which key signed (what verify --trust checks)
expect_rc 0 "$W" ledger "${DB[@]}" history A-1
grep -q "TEST ONLY Approver (確認済み) \[signature: key EE9656F0FA4C7EA5\]" "$T/out" || fail "history: $(cat "$T/out")"

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

# one byte of a stored signature changed (the guarding trigger dropped first)
# (byte 40 of the base64 line: inside the Ed25519 signature, past the key id)
cp "$T/ledger.db" "$T/byte.db"
sqlite3 "$T/byte.db" "DROP TRIGGER events_no_update;
UPDATE events SET signature = CAST(substr(s, 1, p - 1) || CASE substr(s, p, 1) WHEN 'A' THEN 'B' ELSE 'A' END ||
  substr(s, p + 1) AS BLOB) FROM (SELECT CAST(signature AS TEXT) AS s,
  instr(CAST(signature AS TEXT), char(10)) + 40 AS p FROM events WHERE seq = 3) WHERE seq = 3;" || fail sqlite3
expect_rc 0 "$W" ledger --db "$T/byte.db" verify   # the hash chain does not cover signatures
expect_rc 1 "$W" ledger --db "$T/byte.db" verify --trust "$C/trust" --json
expect_eq "bad event" "$(json_get "$T/out" 'd["signatures"]["event"]')" 3
expect_eq "problem" "$(json_get "$T/out" 'd["signatures"]["problem"]')" invalid
grep -q "event 3 (asset B-1.*signature does not match" "$T/err" || fail "tampered: $(cat "$T/err")"

# the signatures stripped: the chain is whole, the signature check refuses
cp "$T/ledger.db" "$T/strip.db"
sqlite3 "$T/strip.db" "DROP TRIGGER events_no_update; UPDATE events SET signature = NULL, key_id = NULL;" || fail sqlite3
expect_rc 0 "$W" ledger --db "$T/strip.db" verify
expect_rc 1 "$W" ledger --db "$T/strip.db" verify --trust "$C/trust" --json
expect_eq "stripped: problem" "$(json_get "$T/out" 'd["signatures"]["problem"]')" unsigned
grep -q "event 1 (asset A-1.*not signed (actor TEST ONLY Technician), and no signed adoption" "$T/err" ||
	fail "stripped: $(cat "$T/err")"

# the attacker's rewrite: event 2 now says the technician approved it
# (actor changed), every later hash, the head and the link recomputed by
# the attacker (BLAKE2b-256 as docs/ledger.md gives it), signatures
# dropped since they no longer match: `ledger verify` finds a whole chain,
# `ledger verify --trust` refuses it
cp "$T/ledger.db" "$T/forged.db"
python3 - "$T/forged.db" >"$T/forge.sql" <<'PY' || fail "forging"
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
def S(x): b = x.encode(); return len(b).to_bytes(8, "little") + b
def h(*f): return hashlib.blake2b(b"".join(S(x) for x in ("wipecert.ledger.event.v1",) + f), digest_size=32).hexdigest()
prev = "0" * 64
cols = "seq, asset_id, kind, changes, state_hash, actor, reason, time_utc, time_local"
print("DROP TRIGGER events_no_update;")
for r in db.execute(f"SELECT {cols} FROM events ORDER BY seq"):
    r = list(r)
    if r[0] == 2:
        r[5] = "TEST ONLY Technician"
    new = h(str(r[0]), *r[1:], prev)
    print(f"UPDATE events SET actor = '{r[5]}', prev_hash = '{prev}', hash = '{new}', signature = NULL, key_id = NULL WHERE seq = {r[0]};")
    prev = new
print(f"UPDATE meta SET value = '{prev}' WHERE key = 'head_hash';")
PY
sqlite3 "$T/forged.db" <"$T/forge.sql" || fail "sqlite3 forge"
expect_eq "forged actor" "$(sqlite3 "$T/forged.db" "SELECT actor FROM events WHERE seq = 2")" "TEST ONLY Technician"
expect_rc 0 "$W" ledger --db "$T/forged.db" verify
expect_rc 1 "$W" ledger --db "$T/forged.db" verify --trust "$C/trust"
grep -q "signature check failed: event 1 (asset A-1.*not signed" "$T/err" || fail "forged: $(cat "$T/err")"
# (and --require-signed, kept for old scripts, is the same check)
expect_rc 1 "$W" ledger --db "$T/forged.db" verify --trust "$C/trust" --require-signed

# a ledger from before every event was signed: its unsigned events are
# adopted by an approver's (or the root's) signed event, not a technician's
cp "$T/strip.db" "$T/legacy.db"
L=(--db "$T/legacy.db")
expect_rc 3 "$W" ledger "${L[@]}" adopt-legacy --reason "2025 ledger" --trust "$C/trust" "${TECH[@]}"
grep -q "refused: a technician may not adopt legacy events" "$T/err" || fail "adopt by technician: $(cat "$T/err")"
expect_rc 2 "$W" ledger "${L[@]}" adopt-legacy --trust "$C/trust" "${APPR[@]}"
expect_rc 0 "$W" ledger "${L[@]}" adopt-legacy --reason "2025 ledger, checked against the paper register" \
	--trust "$C/trust" "${APPR[@]}"
grep -q "events 1..4 adopted as legacy by TEST ONLY Approver (event 5" "$T/err" || fail "adopt: $(cat "$T/err")"
expect_rc 0 "$W" ledger "${L[@]}" verify --trust "$C/trust"
grep -q "events 1..4 adopted as legacy (4 of them unsigned)" "$T/out" || fail "legacy verify: $(cat "$T/out")"
expect_rc 0 "$W" ledger "${L[@]}" adopt-legacy --reason again --trust "$C/trust" "${ROOT[@]}"
grep -q "nothing to adopt" "$T/err" || fail "adopt again: $(cat "$T/err")"
# the adoption is an event anyone checks with minisign
expect_rc 0 "$W" ledger "${L[@]}" export-event 5 -o "$T/ev5.json"
minisign -V -q -m "$T/ev5.json" -p "$C/test-only-approver.pub" || fail "minisign -V on the adoption"
grep -q '"kind":"adopt-legacy"' "$T/ev5.json" || fail "ev5: $(cat "$T/ev5.json")"
# an unsigned event after the adoption is refused again
expect_rc 0 "$W" ledger "${L[@]}" add C-1 --serial SER-C1 "${TECH[@]}"
c1=$(sqlite3 "$T/legacy.db" "SELECT seq FROM events WHERE asset_id = 'C-1'")
sqlite3 "$T/legacy.db" "DROP TRIGGER IF EXISTS events_no_update; UPDATE events SET signature = NULL, key_id = NULL WHERE seq = $c1;"
expect_rc 1 "$W" ledger "${L[@]}" verify --trust "$C/trust"
grep -q "event $c1 (asset C-1.*not signed" "$T/err" || fail "after adoption: $(cat "$T/err")"
exit 0
