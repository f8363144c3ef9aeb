#!/usr/bin/env bash
# methods.sh - nwipe's method names, the verify-only methods and --rounds
# on loop devices: an alias runs its wipecert method (the job names ours);
# verify-zero on a zeroed loop passes and writes nothing, on a loop with
# one byte set fails naming that byte and writes nothing (byte-identical);
# --rounds 2 writes the passes twice and verifies, in the job, the wipe
# record and the certificate, and a resume keeps it; a verify-only job
# gets a certificate that says "verified only", never "erased", and leaves
# the asset's status as it was.
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_root
need_cmd sqlite3; need_cmd qpdf; need_cmd pdftotext
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$T/ledger.db WIPECERT_TRUST=$C/trust
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$C/passphrase.txt")

new_loop L "$T/m.img" 4M --direct-io=on
job() { json_get "$T/out" "d['jobs'][0]$1"; }

# ---- aliases: nwipe's word, our method in the job ----
while read -r alias ours n; do
	expect_rc 0 "$W" wipe --method "$alias" --confirm-serial "$L" --json "$L"
	expect_eq "$alias: method" "$(job '["method"]')" "$ours"
	expect_eq "$alias: passes" "$(job '["passes"].__len__()')" "$n"
	expect_eq "$alias: result" "$(job '["result"]')" wiped-and-verified
done <<'EOF'
dodshort dod-short 3
ops2 rcmp-ops2 7
quick zero 1
EOF
expect_rc 2 "$W" wipe --method dodshor --confirm-serial "$L" "$L"

# ---- verify-zero on the loop that quick (zero) left: passes, writes nothing ----
cp "$T/m.img" "$T/m.before"
expect_rc 0 "$W" wipe --method verify_zero --confirm-serial "$L" --json "$L"
expect_eq "verify-zero: method" "$(job '["method"]')" verify-zero
expect_eq "verify-zero: result" "$(job '["result"]')" verified-only
expect_eq "verify-zero: verify_only" "$(job '["verify_only"]')" True
expect_eq "verify-zero: bytes written" "$(job '["passes"][0]["bytes_written"]')" 0
expect_eq "verify-zero: bytes read" "$(job '["passes"][0]["bytes_read"]')" $((4 << 20))
cmp -s "$T/m.img" "$T/m.before" || fail "verify-zero wrote to the loop"
expect_rc 0 "$W" wipe --method verify-zero --confirm-serial "$L" "$L"
grep -q "verified only, nothing written: it reads back as 00 everywhere" "$T/out" || fail "the words: $(cat "$T/out")"

# ---- one byte set: fails at that byte, writes nothing ----
printf '\x40' | dd of="$L" bs=1 seek=3000001 conv=notrunc,fsync status=none
cp "$T/m.img" "$T/m.before"
expect_rc 1 "$W" wipe --method verify-zero --confirm-serial "$L" --json "$L"
expect_eq "one byte: result" "$(job '["result"]')" failed
expect_eq "one byte: the sector" "$(job '["passes"][0]["mismatches"]["ranges"][0]["offset"]')" $((3000001 / 512 * 512))
grep -q "wipe FAILED: the medium does not read back as 00 everywhere: first difference at byte 3000001" "$T/err" ||
	fail "the failure does not name the byte: $(cat "$T/err")"
cmp -s "$T/m.img" "$T/m.before" || fail "a failed verify-zero wrote to the loop"
# verify-one on ones
expect_rc 0 "$W" wipe --method one --confirm-serial "$L" "$L"
expect_rc 0 "$W" wipe --method verify_one --confirm-serial "$L" --json "$L"
expect_eq "verify-one: result" "$(job '["result"]')" verified-only
# what does not apply to a read
expect_rc 2 "$W" wipe --method verify-zero --verify off --confirm-serial "$L" "$L"
expect_rc 2 "$W" wipe --method verify-zero --verify sample --confirm-serial "$L" "$L"
expect_rc 2 "$W" wipe --method verify-zero --rounds 2 --confirm-serial "$L" "$L"
expect_rc 2 "$W" wipe --method zero --rounds 0 --confirm-serial "$L" "$L"
expect_rc 2 "$W" wipe --method gutmann --rounds 29 --confirm-serial "$L" "$L"

# ---- --rounds 2: twice the passes, verified, sealed and certified ----
"$W" ledger add M-1 --media-type "disk image" --model "loop" --serial M-LABEL-1 --class 3 --status awaiting-erasure \
	"${TECH[@]}" >/dev/null 2>&1 || fail "ledger add M-1"
expect_rc 0 "$W" wipe --method dod-short --rounds 2 --verify all --asset M-1 --attest-serial M-LABEL-1 \
	--confirm-serial M-LABEL-1 "${TECH[@]}" --json "$L"
J=$(job '["id"]')
expect_eq "rounds" "$(job '["rounds"]')" 2
expect_eq "passes" "$(job '["passes"].__len__()')" 6
expect_eq "patterns" "$(json_get "$T/out" '" ".join(p["pattern"] for p in d["jobs"][0]["passes"])')" \
	"00 ff random 00 ff random"
expect_eq "every pass verified" "$(json_get "$T/out" '" ".join(p["verification"] for p in d["jobs"][0]["passes"])')" \
	"passed passed passed passed passed passed"
expect_eq "every pass written whole" \
	"$(json_get "$T/out" 'set(p["bytes_written"] for p in d["jobs"][0]["passes"])')" "{$((4 << 20))}"
expect_eq "wipe record rounds" "$(json_get "$T/state/$J.wipe-record.json" 'd["job"]["rounds"]')" 2
expect_eq "wipe record passes" "$(json_get "$T/state/$J.wipe-record.json" 'len(d["job"]["passes"])')" 6
expect_rc 0 "$W" approve "$J" "${APPR[@]}" --yes --json
PDF=$(json_get "$T/out" 'd["pdf"]')
qpdf --show-attachment=record.json "$PDF" >"$T/record.json" || fail "no record.json"
expect_eq "certificate passes" "$(json_get "$T/record.json" 'len(d["sanitization"]["passes"])')" 6
expect_eq "certificate result" "$(json_get "$T/record.json" 'd["result"]')" erased_and_verified
expect_rc 0 "$W" verify --trust "$C/trust" --db "$T/ledger.db" "$PDF"

# ---- a resume keeps the rounds ----
new_loop R "$T/r.img" 32M --direct-io=on
"$W" wipe --method zero --rounds 2 --max-rate 8M --confirm-serial "$R" --json "$R" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do ls "$T/state"/*loop*.json 2>/dev/null | grep -qv "$J" && break; sleep 0.1; done
sleep 1.5
kill -INT "$pid"
wait "$pid"
expect_eq "interrupted" "$?" 1
JR=$(json_get "$T/out" 'd["jobs"][0]["id"]')
expect_eq "interrupted with its rounds" "$(json_get "$T/state/$JR.json" 'd["rounds"]')" 2
expect_rc 0 "$W" resume --max-rate 0 --json "$JR"
expect_eq "resumed: rounds" "$(job '["rounds"]')" 2
expect_eq "resumed: passes" "$(job '["passes"].__len__()')" 2
expect_eq "resumed: result" "$(job '["result"]')" wiped-and-verified
cmp -s <(head -c $((32 << 20)) /dev/zero) "$T/r.img" || fail "the resumed rounds did not leave zeros"

# ---- a verify-only job's certificate: "verified only", the status unchanged ----
"$W" ledger add M-2 --media-type "disk image" --model "loop" --serial M-LABEL-2 --class 1 --status awaiting-erasure \
	"${TECH[@]}" >/dev/null 2>&1 || fail "ledger add M-2"
expect_rc 0 "$W" wipe --method zero --confirm-serial "$R" "$R"
# class 1 accepts no overwrite, but a read sanitises nothing: the policy's methods do not apply
expect_rc 0 "$W" wipe --method verify-zero --asset M-2 --attest-serial M-LABEL-2 --confirm-serial M-LABEL-2 "${TECH[@]}" \
	--json "$R"
JV=$(job '["id"]')
expect_eq "status after verify-only" "$(sqlite3 "$T/ledger.db" "SELECT status FROM assets WHERE asset_id = 'M-2'")" \
	awaiting-erasure
sqlite3 "$T/ledger.db" "SELECT reason FROM events WHERE asset_id = 'M-2' ORDER BY seq DESC LIMIT 1" |
	grep -q "^wipe verified only, nothing written: job $JV (verify-zero)" || fail "the seal's event of a verify-only job"
expect_eq "wipe record level" "$(json_get "$T/state/$JV.wipe-record.json" 'd["level"]')" none
expect_rc 0 "$W" approve "$JV" "${APPR[@]}" --yes --json
expect_eq "approval: erased" "$(json_get "$T/out" 'd["erased"]')" False
expect_eq "approval: verified only" "$(json_get "$T/out" 'd["verified_only"]')" True
PDF=$(json_get "$T/out" 'd["pdf"]')
qpdf --show-attachment=record.json "$PDF" >"$T/record.json" || fail "no record.json"
expect_eq "certificate result" "$(json_get "$T/record.json" 'd["result"]')" verified_only
expect_eq "certificate type" "$(json_get "$T/record.json" 'd["sanitization"]["type"]')" none
expect_eq "certificate verification" "$(json_get "$T/record.json" 'd["verification"]["result"]')" pass
pdftotext -layout "$PDF" - >"$T/page.txt"
grep -q "VERIFIED ONLY, NOT ERASED" "$T/page.txt" || fail "the page does not say verified only"
grep -q "ERASED AND VERIFIED" "$T/page.txt" && fail "the page of a verify-only job says erased"
expect_rc 0 "$W" verify --trust "$C/trust" --db "$T/ledger.db" "$PDF"
expect_eq "status after its certificate" "$(sqlite3 "$T/ledger.db" "SELECT status FROM assets WHERE asset_id = 'M-2'")" \
	awaiting-erasure
expect_rc 0 "$W" ledger verify --trust "$C/trust"
exit 0
