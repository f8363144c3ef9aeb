#!/usr/bin/env bash
# ledger_archive.sh - retention: a ledger written over ten years (faketime,
# a tool we did not write, sets the clock of each command) archived in two
# steps. Nothing within its retention leaves: events younger than the
# policy's [retention] events are refused, and the range stops before an
# event recording a certificate still within its own retention (until the
# policy says eight years). Each archive file verifies alone (ledger verify
# --archive, minisign), carries the certificate's PDF, and the live ledger,
# its archived events deleted, still verifies end to end, signatures and
# approvals too: an approval of a request made before the archive goes
# through; an evidence hold carried on is lifted back to where it was. The
# forgeries: more events deleted than archived, the archived head moved to
# hide it, a checkpoint changed, an archive file changed, an archive signed
# by a technician, an archive of events within their retention.
# backends: sqlite postgresql
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_cmd faketime; need_cmd minisign
[ "$BACKEND" = postgresql ] || need_cmd sqlite3
W=$WIPECERT
DB=$(new_ledger ledger) || exit 1
export WIPECERT_DB=$DB WIPECERT_TRUST=$T/trust WIPECERT_STATE_DIR=$T/state
# libfaketime is preloaded before the sanitizers' runtime: tell ASan so
at() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime "$1" "${@:2}"; }
printf 'archive test\n' >"$T/pw"
P=(--passphrase-file "$T/pw")
TECH=(--key "$T/tech.key" "${P[@]}")
BOSS=(--key "$T/boss.key" "${P[@]}")
count() { lsql "$DB" "SELECT count(*) FROM events"; }
status() { lsql "$DB" "SELECT status FROM assets WHERE asset_id = '$1'"; }

# the organisation in 2015: its root, a technician and an approver until 2040
at '2015-01-05 09:00:00' "$W" key new --name "Root" --role org-root --org "Example Town" -o "$T/root" "${P[@]}" \
	--kdf min >/dev/null 2>&1 || fail "root key"
at '2015-01-05 09:00:00' "$W" trust init --root-key "$T/root.key" "${P[@]}" --years 30 >/dev/null || fail "trust init"
for k in tech:technician boss:approver; do
	at '2015-01-05 09:00:00' "$W" key new --name "${k%%:*}" --role "${k#*:}" --org "Example Town" -o "$T/${k%%:*}" \
		"${P[@]}" --kdf min >/dev/null 2>&1 || fail "key ${k%%:*}"
	at '2015-01-05 09:00:00' "$W" trust add "$T/${k%%:*}.pub" --root-key "$T/root.key" "${P[@]}" --until 2040-01-01 \
		>/dev/null 2>&1 || fail "trust add ${k%%:*}"
done

# ten years of a ledger
at '2016-04-01 09:00:00' "$W" ledger add OLD-1 --serial O1 --class 2 --status awaiting-erasure "${TECH[@]}" 2>/dev/null ||
	fail "2016 add"
at '2016-05-01 09:00:00' "$W" ledger status OLD-1 evidence-hold --incident INC-2016-1 --reason hold "${TECH[@]}" \
	2>/dev/null || fail "2016 hold"
awk 'BEGIN { print "資産番号,シリアル番号,重要性分類"; for (i = 0; i < 100; i++) printf "B-%03d,BS%03d,3\n", i, i }' \
	>"$T/batch.csv"
at '2016-06-01 09:00:00' "$W" ledger import "$T/batch.csv" "${TECH[@]}" 2>/dev/null || fail "2016 import"
expect_eq "one batch signature" "$(lsql "$DB" "SELECT count(*) FROM events WHERE covers_from IS NOT NULL")" 1
# a wipe certified in 2017: the certificate is kept ten years by default
truncate -s 1M "$T/c.img"
J=$(at '2017-03-01 09:00:00' "$W" wipe --method zero --verify last --confirm-serial "$T/c.img" --json "$T/c.img" \
	2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])') || fail "2017 wipe"
at '2017-03-01 09:05:00' "$W" ledger add CERT-1 --serial CS1 --class 3 --status awaiting-erasure "${TECH[@]}" 2>/dev/null ||
	fail "2017 add"
at '2017-03-01 09:10:00' "$W" seal "$J" --asset CERT-1 "${TECH[@]}" >/dev/null 2>&1 || fail "2017 seal"
at '2017-03-01 10:00:00' "$W" approve "$J" "${BOSS[@]}" --yes >/dev/null 2>"$T/err" || fail "2017 approve: $(cat "$T/err")"
expect_eq "certified" "$(status CERT-1)" approved
# the hold's lift asked in 2017, not yet answered
at '2017-06-01 09:00:00' "$W" ledger status OLD-1 back --reason "case closed" "${TECH[@]}" 2>/dev/null || fail "2017 lift"
REQ=$(lsql "$DB" "SELECT max(seq) FROM events WHERE kind = 'request'")
at '2019-01-10 09:00:00' "$W" ledger add MID-1 --serial M1 --class 3 "${TECH[@]}" 2>/dev/null || fail "2019 add"
expect_rc 0 "$W" ledger add NEW-1 --serial N1 --class 1 "${TECH[@]}"
expect_rc 0 "$W" ledger verify --trust "$T/trust"
total=$(count)

# within the events' retention (7 years): refused, nothing written
expect_rc 3 "$W" ledger archive --before 2024-01-01 -o "$T/no.json" "${BOSS[@]}"
grep -q "kept 84 months" "$T/err" || fail "retention refusal: $(cat "$T/err")"
[ -e "$T/no.json" ] && fail "an archive was written inside the retention"
# a technician may not take events out
expect_rc 3 "$W" ledger archive --before 2018-01-01 -o "$T/tech.json" "${TECH[@]}"
expect_eq "nothing archived" "$(count)" "$total"

# before 2018: the certificate of 2017 stays (ten years), so the range ends before it
expect_rc 0 "$W" ledger archive --before 2018-01-01 -o "$T/a1.json" "${BOSS[@]}" --json
grep -q "records a certificate of 2017-03-01" "$T/err" || fail "the range's end: $(cat "$T/err")"
A1_LAST=$(json_get "$T/out" 'd["last"]')
expect_eq "archive 1 starts at" "$(json_get "$T/out" 'd["first"]')" 1
[ "$(lsql "$DB" "SELECT min(seq) FROM events")" -eq $((A1_LAST + 1)) ] || fail "events 1..$A1_LAST still there"
minisign -V -q -m "$T/a1.json" -p "$T/boss.pub" || fail "minisign a1"
expect_rc 0 "$W" ledger verify --archive "$T/a1.json" --trust "$T/trust"
expect_rc 0 "$W" ledger verify --trust "$T/trust"
grep -q "every change approved" "$T/out" || fail "verify after archive 1: $(cat "$T/out")"
# the request made before the archive is approved from its checkpoint
expect_rc 0 "$W" ledger approve-change "$REQ" "${BOSS[@]}"
expect_eq "hold lifted" "$(status OLD-1)" awaiting-erasure

# eight years for certificates: the rest before 2018 goes, the PDF with it
printf '[retention]\ncertificates = 8y\n' >"$T/policy.conf"
expect_rc 0 "$W" ledger archive --before 2018-01-01 -o "$T/a2.json" "${BOSS[@]}" --policy "$T/policy.conf" --json
expect_eq "archive 2 follows archive 1" "$(json_get "$T/out" 'd["first"]')" $((A1_LAST + 1))
expect_eq "the certificate's PDF carried" "$(json_get "$T/out" 'd["pdfs"]')" 1
expect_rc 0 "$W" ledger verify --archive "$T/a2.json" --trust "$T/trust"
grep -q "1 certificates (1 PDFs carried" "$T/out" || fail "a2: $(cat "$T/out")"
python3 - "$T" "$(lsql "$DB" "SELECT seq || ' ' || prev_hash FROM events ORDER BY seq LIMIT 1")" <<'PY' ||
import base64, hashlib, json, sys
t = sys.argv[1]
a1, a2 = (json.load(open(f"{t}/{n}.json")) for n in ("a1", "a2"))
assert a2["prev_hash"] == a1["head_hash"] and a2["first"] == a1["last"] + 1
first, prev = sys.argv[2].split()
first = int(first)
assert first == a2["last"] + 1 and prev == a2["head_hash"], (first, prev)
cert = a2["certificates"][0]
pdf = base64.b64decode(cert["pdf"])
assert hashlib.sha256(pdf).hexdigest() == cert["pdf_sha256"] and pdf.startswith(b"%PDF")
PY
	fail "the archives do not join"
expect_rc 0 "$W" ledger verify --trust "$T/trust"
# CERT-1's events are archived: its state carried on, the asset whole
expect_rc 0 "$W" ledger show CERT-1 --json
expect_eq "CERT-1 after the archive" "$(json_get "$T/out" 'd["status"]')" approved

# forgeries on copies of the live ledger
# (the store's own shell, its append-only triggers dropped first)
nf=0
forge() {
	nf=$((nf + 1))
	F=$(ledger_clone "$DB" "f$nf") || exit 1
	ledger_untrigger "$F"
	lsql "$F" "$1" >/dev/null || fail "forging: $1"
}
first=$(lsql "$DB" "SELECT min(seq) FROM events")
# more deleted than archived, the head left as it was
forge "DELETE FROM events WHERE seq = $first"
expect_rc 1 "$W" ledger --db "$F" verify --json
expect_eq "deleted past the archive" "$(json_get "$T/out" 'd["problem"]')" missing
# ... and the archived head moved over them to hide it
forge "DELETE FROM events WHERE seq = $first; UPDATE meta SET value = '$first' WHERE key = 'archived_seq';
       UPDATE meta SET value = (SELECT prev_hash FROM events WHERE seq = $((first + 1))) WHERE key = 'archived_hash'"
expect_rc 1 "$W" ledger --db "$F" verify --json
expect_eq "archived head moved" "$(json_get "$T/out" 'd["problem"]')" archive
# a carried state changed: the lift of the hold undone in the checkpoint
forge "UPDATE archived SET gated = replace(gated, 'awaiting-erasure', 'erased') WHERE asset_id = 'OLD-1'"
expect_rc 1 "$W" ledger --db "$F" verify --json
expect_eq "checkpoint changed" "$(json_get "$T/out" 'd["problem"]')" archive
# an archive file changed: its signature fails, with minisign too
sed 's/"B-050"/"B-051"/' "$T/a1.json" >"$T/x.json"
cp "$T/a1.json.minisig" "$T/x.json.minisig"
expect_rc 1 "$W" ledger verify --archive "$T/x.json" --trust "$T/trust"
minisign -V -q -m "$T/x.json" -p "$T/boss.pub" 2>/dev/null && fail "minisign took a changed archive"
# ... rewritten and signed again by a technician, who may not archive
python3 - "$T" <<'PY' || fail "forging the archive"
import json, sys
t = sys.argv[1]
a = json.load(open(f"{t}/a1.json"))
a["events"][0]["reason"] = "rewritten"
json.dump(a, open(f"{t}/y-src.json", "w"), ensure_ascii=False)
PY
"$FORGE" canon "$T/y-src.json" "$T/y.json" && "$FORGE" sign --key "$T/tech.key" --pass "$T/pw" --type ledger-archive \
	"$T/y.json" || fail "forge sign"
expect_rc 1 "$W" ledger verify --archive "$T/y.json" --trust "$T/trust"
grep -q "the archive's signature (key .*) does not verify: signer's role may not sign" "$T/err" ||
	fail "technician's archive: $(cat "$T/err")"
