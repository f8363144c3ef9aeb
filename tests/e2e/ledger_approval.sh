#!/usr/bin/env bash
# ledger_approval.sh - the changes the disposal policy depends on wait for
# an approver. The attack: a technician lowers a class-1 asset to class 3
# alone (ledger edit), then wipes its disk (a loop device made here) with a
# method class 1 forbids: refused before a byte is written, the refusal
# named, the loop device byte-identical. Neither his own key, nor an
# approver key he made himself, nor an edit of the store's row gets the
# lower class applied; a real approver (another person) does, and only
# then the weaker method is accepted. A new entry with the class-1 disk's
# serial is refused (one entry per disk), and a chain the technician
# rewrote himself gets no certificate.
# backends: sqlite postgresql
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_root
[ "$BACKEND" = postgresql ] || need_cmd sqlite3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
PASS=$C/passphrase.txt
W=$WIPECERT
DB=$(new_ledger ledger) || exit 1
export WIPECERT_STATE_DIR=$T/jobs WIPECERT_DB=$DB WIPECERT_TRUST=$C/trust
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")
sum() { sha256sum "$1" | cut -d' ' -f1; }
class() { lsql "$DB" "SELECT importance FROM assets WHERE asset_id = '$1'"; }

new_loop L "$T/disk.img" 4M
yes 'JUMIN-KIHON-DAICHO class-1 data' | head -c 4194304 | dd of="$L" bs=1M conv=fsync status=none
before=$(sum "$L")

expect_rc 0 "$W" ledger add C1-SRV --media-type hdd --serial SRV-0001 --class 1 --department 住民課 \
	--status awaiting-erasure "${TECH[@]}"

# the technician lowers the class alone: recorded as a request, not applied
expect_rc 0 "$W" ledger edit C1-SRV --class 3 --reason "reclassified (by me)" "${TECH[@]}" --json
expect_eq "requested" "$(json_get "$T/out" 'd["requested"]')" True
req=$(lsql "$DB" "SELECT seq FROM events WHERE kind = 'request'")
grep -q "recorded as request $req: it takes effect when an approver" "$T/err" || fail "edit: $(cat "$T/err")"
expect_eq "class after the technician's edit" "$(class C1-SRV)" 1
expect_rc 0 "$W" ledger requests --json
expect_eq "pending" "$(json_get "$T/out" '[q["seq"] for q in d]')" "[$req]"
# ... he may not approve it
expect_rc 3 "$W" ledger approve-change "$req" "${TECH[@]}"
grep -q "only an approver may approve" "$T/err" || fail "self-approval: $(cat "$T/err")"
# ... nor with an approver key he made himself (in no roster)
expect_rc 0 "$W" key new --name "TEST ONLY Approver" --role approver --org "TEST ONLY Example City" \
	-o "$T/fake" --passphrase-file "$PASS" --kdf min
expect_rc 3 "$W" ledger approve-change "$req" --key "$T/fake.key" --passphrase-file "$PASS"
grep -q "is in no roster" "$T/err" || fail "fake approver: $(cat "$T/err")"
expect_eq "class after the refusals" "$(class C1-SRV)" 1

# the wipe applies the approved class: zero (clear) is not enough for class 1
expect_rc 3 "$W" wipe "$L" --method zero --asset C1-SRV --confirm-serial "$L" "${TECH[@]}"
grep -q "refused: asset C1-SRV: method zero reaches only clear, which class 1 does not accept" "$T/err" ||
	fail "wipe refusal not named: $(cat "$T/err")"
expect_eq "loop device after the refused wipe" "$(sum "$L")" "$before"

# the class changed in the store itself (a copy of it): the row no longer
# matches its signed history, the wipe refuses
F=$(ledger_clone "$DB" edited) || exit 1
lsql "$F" "UPDATE assets SET importance = 3 WHERE asset_id = 'C1-SRV'" || fail "edit the row"
expect_rc 3 "$W" wipe "$L" --method zero --asset C1-SRV --confirm-serial "$L" --db "$F" "${TECH[@]}"
grep -q "differs from what its ledger history records" "$T/err" || fail "edited row: $(cat "$T/err")"
expect_eq "loop device after the second refused wipe" "$(sum "$L")" "$before"

# a second entry for the same disk, class 3: refused (one entry per disk)
expect_rc 3 "$W" ledger add FAKE-1 --serial " srv-0001 " --class 3 "${TECH[@]}"
grep -q "its serial or WWN is already asset C1-SRV's" "$T/err" || fail "duplicate entry: $(cat "$T/err")"

# the approver (another person) approves: now the class is 3 ...
expect_rc 0 "$W" ledger approve-change "$req" "${APPR[@]}" --reason "confirmed with 住民課"
expect_eq "class after approval" "$(class C1-SRV)" 3
expect_rc 0 "$W" ledger requests --json
expect_eq "nothing pending" "$(json_get "$T/out" 'len(d)')" 0
expect_rc 0 "$W" ledger verify --trust "$C/trust"
grep -q "every change approved" "$T/out" || fail "verify: $(cat "$T/out")"
# ... and the policy accepts the weaker method: what still stops this wipe
# is only that a loop device is not the disk with serial SRV-0001
expect_rc 3 "$W" wipe "$L" --method zero --asset C1-SRV --confirm-serial "$L" "${TECH[@]}"
grep -q "which class 1 does not accept" "$T/err" && fail "the approved class was not applied: $(cat "$T/err")"
grep -q "refused: asset C1-SRV: the disk reports neither serial nor wwn" "$T/err" || fail "after approval: $(cat "$T/err")"
expect_eq "loop device" "$(sum "$L")" "$before"

# status back to in-service and out to a contractor wait for approval too
expect_rc 0 "$W" ledger edit C1-SRV --status in-service --reason "reuse it" "${TECH[@]}"
expect_eq "status" "$(lsql "$DB" "SELECT status FROM assets WHERE asset_id = 'C1-SRV'")" awaiting-erasure
expect_rc 0 "$W" ledger edit C1-SRV --status handed-to-contractor --reason "to ITAD" "${TECH[@]}"
expect_eq "status" "$(lsql "$DB" "SELECT status FROM assets WHERE asset_id = 'C1-SRV'")" awaiting-erasure
# the later request replaced the earlier one; the requester withdraws it
r2=$(lsql "$DB" "SELECT max(seq) FROM events WHERE kind = 'request'")
expect_rc 1 "$W" ledger approve-change $((r2 - 1)) "${APPR[@]}"
grep -q "was replaced by request $r2" "$T/err" || fail "superseded: $(cat "$T/err")"
expect_rc 0 "$W" ledger deny-change "$r2" "${TECH[@]}" --reason "asked by mistake"
expect_rc 1 "$W" ledger approve-change "$r2" "${APPR[@]}"
grep -q "was answered already" "$T/err" || fail "denied: $(cat "$T/err")"
expect_rc 0 "$W" ledger verify --trust "$C/trust"

# a chain the technician rewrote himself (the class-1 create event says
# class 3 now, every hash recomputed, signatures dropped): the chain is
# whole, but the signature check names the event, and a case sealed on it
# gets no certificate
expect_rc 0 "$W" ledger add C1-B --media-type "disk image" --class 1 --status awaiting-erasure "${TECH[@]}"
# (read from the ledger's own JSON export, written back with the store's
# shell, its append-only triggers out of the way)
expect_rc 0 "$W" ledger export --format json --events -o "$T/all.json"
python3 - "$T/all.json" >"$T/forge.sql" <<'PY' || fail "forging"
import hashlib, json, sys
x = json.load(open(sys.argv[1]))
def S(x): b = (x or "").encode(); return len(b).to_bytes(8, "little") + b
def H(tag, *f): return hashlib.blake2b(b"".join(S(x) for x in (tag,) + f), digest_size=32).hexdigest()
cols = ["asset_id", "media_type", "manufacturer", "model", "serial", "wwn", "capacity", "department",
        "location", "importance", "lease", "notes", "status", "certificate_id"]
row = next(a for a in x["assets"] if a["asset_id"] == "C1-B")
row = {k: (None if row[k] is None else str(row[k])) for k in cols}
row["importance"] = "3"
state = H("wipecert.ledger.asset.v1", *[row[c] for c in cols])
prev = "0" * 64
for e in x["events"]:
    r = [e["seq"], e["asset_id"], e["kind"], e["changes_text"], e["state_hash"], e["actor"], e["reason"],
         e["time_utc"], e["time_local"]]
    if r[1] == "C1-B":
        r[3] = r[3].replace('"importance":[null,"1"]', '"importance":[null,"3"]')
        r[4] = state
    new = H("wipecert.ledger.event.v1", str(r[0]), *r[1:], prev)
    q = r[3].replace("'", "''")
    print(f"UPDATE events SET changes = '{q}', state_hash = '{r[4]}', prev_hash = '{prev}', hash = '{new}'"
          f"{', signature = NULL, key_id = NULL' if r[1] == 'C1-B' else ''} WHERE seq = {r[0]};")
    prev = new
print("UPDATE assets SET importance = 3 WHERE asset_id = 'C1-B';")
print(f"UPDATE meta SET value = '{prev}' WHERE key = 'head_hash';")
PY
ledger_untrigger "$DB"
lsql "$DB" "$(cat "$T/forge.sql")" >/dev/null || fail "forge"
expect_rc 0 "$W" ledger verify
expect_rc 1 "$W" ledger verify --trust "$C/trust"
grep -q "asset C1-B.*not signed" "$T/err" || fail "forged chain: $(cat "$T/err")"
truncate -s 1M "$T/c1b.img"
expect_rc 0 "$W" wipe "$T/c1b.img" --method zero --asset C1-B --confirm-serial "$T/c1b.img" "${TECH[@]}" --json
job=$(json_get "$T/out" 'd["jobs"][0]["id"]')
[ -e "$T/jobs/$job.wipe-record.json" ] || fail "no sealed record for the forged class"
expect_rc 3 "$W" approve "$job" "${APPR[@]}" --yes
grep -q "asset C1-B: its ledger history does not check out: event .* not signed" "$T/err" ||
	fail "approve on a forged chain: $(cat "$T/err")"
[ -e "$T/jobs/$job.pdf" ] && fail "a certificate was issued on a forged ledger history"
exit 0
