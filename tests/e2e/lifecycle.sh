#!/usr/bin/env bash
# lifecycle.sh - an asset's life from the command line, as the lifecycle
# table allows it (docs/ledger.md): taken out with another person's
# permission and returned; lost, reclassified stolen, found with an
# approver; sent for repair only wiped or under contract; a lease return
# only erased; what only a step does refused by hand; evidence hold
# (証拠保全) blocking wipe (a loop device made here, byte-identical after),
# destroy and approve until an approver lifts it; a stolen medium gets no
# certificate; written off, nothing moves it again. The chain and every
# signature verify at the end.
# backends: sqlite postgresql
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_root
[ "$BACKEND" = postgresql ] || need_cmd sqlite3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
PASS=$C/passphrase.txt
W=$WIPECERT
DB=$(new_ledger ledger) || exit 1
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$DB WIPECERT_TRUST=$C/trust
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")
sum() { sha256sum "$1" | cut -d' ' -f1; }
status() { lsql "$DB" "SELECT status FROM assets WHERE asset_id = '$1'"; }
last_request() { lsql "$DB" "SELECT max(seq) FROM events WHERE kind = 'request'"; }
refused() { # WHAT TEXT: the last command refused (exit 3) saying TEXT
	grep -q -- "$2" "$T/err" || fail "$1: $(cat "$T/err")"
}

expect_rc 0 "$W" ledger add LC-1 --serial LC-SERIAL-1 --class 2 --status awaiting-erasure \
	--asset-name "住基端末 HDD" --data-held 本人確認情報 --manager "総務課長" "${TECH[@]}"

# 持出し: permitted by another person, recorded, then returned to where it was
expect_rc 3 "$W" ledger status LC-1 taken-out --reason "to the DR site" "${TECH[@]}"
refused "take-out without a permit" "needs who permitted it"
expect_rc 3 "$W" ledger status LC-1 taken-out --permitted-by "TEST ONLY Technician" --reason "self" "${TECH[@]}"
refused "self-permitted take-out" "permitted by another person than TEST ONLY Technician"
expect_rc 0 "$W" ledger status LC-1 taken-out --permitted-by "課長 鈴木" --return-due 令和8年12月24日 \
	--reason "to the DR site" "${TECH[@]}"
expect_eq "taken out" "$(status LC-1)" taken-out
expect_eq "due" "$(lsql "$DB" "SELECT return_due FROM assets WHERE asset_id = 'LC-1'")" 2026-12-24
# away, it is not wiped, destroyed or certified; it goes back where it was
expect_rc 3 "$W" ledger status LC-1 in-service --reason "back" "${TECH[@]}"
refused "return elsewhere" "cannot go from taken-out to in-service (from taken-out: awaiting-erasure (back: returned from being taken out), lost, stolen, evidence-hold)"
# lost while out: an incident with its threat level; reclassified stolen
expect_rc 3 "$W" ledger status LC-1 lost --reason "not found at the DR site" "${TECH[@]}"
refused "loss without an incident" "needs the incident reference"
expect_rc 0 "$W" ledger status LC-1 lost --incident INC-2026-07 --threat-level 3 --reason "not found" "${TECH[@]}"
expect_rc 0 "$W" ledger status LC-1 stolen --reason "police report: taken from a car" "${TECH[@]}"
expect_rc 3 "$W" ledger edit LC-1 --status disposed --reason "write it off as disposed" "${TECH[@]}"
refused "a stolen medium disposed of" "cannot go from stolen to disposed"
# found: back to taken-out, which waits for an approver
expect_rc 0 "$W" ledger status LC-1 back --reason "recovered by the police" "${TECH[@]}"
expect_eq "found waits" "$(status LC-1)" stolen
expect_rc 3 "$W" ledger approve-change "$(last_request)" "${TECH[@]}"
expect_rc 0 "$W" ledger approve-change "$(last_request)" "${APPR[@]}"
expect_eq "found" "$(status LC-1)" taken-out
expect_rc 0 "$W" ledger status LC-1 back --reason "returned to the office" "${TECH[@]}"
expect_eq "returned" "$(status LC-1)" awaiting-erasure

# what only a step does is refused by hand
expect_rc 3 "$W" ledger edit LC-1 --status erased --reason "trust me" "${TECH[@]}"
refused "erased by hand" "is made by sealing a verified wipe"
expect_rc 3 "$W" ledger status LC-1 approved --reason "trust me" "${APPR[@]}"
refused "approved by hand" "cannot go from awaiting-erasure to approved"
# repair: with its data only under a contract that covers it; lease
# return only erased
expect_rc 3 "$W" ledger status LC-1 in-repair --reason "head crash" "${TECH[@]}"
refused "repair with data" "only after a verified wipe, or under a contract"
expect_rc 0 "$W" ledger status LC-1 in-repair --agreement "保守契約 2026-33" --reason "head crash" "${TECH[@]}"
expect_rc 0 "$W" ledger status LC-1 back --reason "repaired" "${TECH[@]}"
expect_rc 3 "$W" ledger status LC-1 lease-returned --lease "東京センチュリー" --reason "end of lease" "${TECH[@]}"
refused "lease return unerased" "cannot go from awaiting-erasure to lease-returned"

# 証拠保全: the hold blocks the wipe of its disk (a loop device), destroy and approve
new_loop L "$T/disk.img" 4M
yes 'EVIDENCE for INC-2026-09' | head -c 4194304 | dd of="$L" bs=1M conv=fsync status=none
before=$(sum "$L")
expect_rc 0 "$W" ledger add EV-1 --serial EV-SERIAL-1 --class 3 --status awaiting-erasure "${TECH[@]}"
expect_rc 3 "$W" ledger status EV-1 evidence-hold --reason "investigation" "${TECH[@]}"
refused "hold without an incident" "needs the incident reference"
expect_rc 0 "$W" ledger status EV-1 evidence-hold --incident INC-2026-09 --reason "investigation" "${TECH[@]}"
expect_rc 3 "$W" wipe "$L" --method zero --asset EV-1 --confirm-serial "$L" "${TECH[@]}"
refused "wipe under hold" "asset EV-1 is evidence-hold: it is under evidence hold"
expect_eq "disk under hold" "$(sum "$L")" "$before"
printf 'JPEG' >"$T/photo.jpg"
expect_rc 3 "$W" destroy --asset EV-1 --method shred --witness "山田 花子" --photo "$T/photo.jpg" "${TECH[@]}"
refused "destroy under hold" "under evidence hold"
expect_eq "disk after the refused destroy" "$(sum "$L")" "$before"
# a case sealed before the hold is not certified while it holds
truncate -s 4M "$T/ev2.img"
J=$("$W" wipe --method zero --verify last --confirm-serial "$T/ev2.img" --json "$T/ev2.img" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])') || fail "wipe ev2"
expect_rc 0 "$W" ledger add EV-2 --serial EV-SERIAL-2 --class 3 --status awaiting-erasure "${TECH[@]}"
expect_rc 0 "$W" seal "$J" --asset EV-2 "${TECH[@]}"
expect_eq "sealed" "$(status EV-2)" erased
expect_rc 0 "$W" ledger status EV-2 evidence-hold --incident INC-2026-09 --reason "same incident" "${APPR[@]}"
expect_rc 3 "$W" approve "$J" "${APPR[@]}" --yes
refused "approve under hold" "asset EV-2 is evidence-hold"
[ -e "$T/state/$J.pdf" ] && fail "a certificate was written under hold"
# the hold is lifted by an approver only, back to what it was
expect_rc 0 "$W" ledger status EV-2 back --reason "investigation closed" "${TECH[@]}"
expect_eq "lift waits" "$(status EV-2)" evidence-hold
expect_rc 0 "$W" ledger approve-change "$(last_request)" "${APPR[@]}"
expect_eq "lifted" "$(status EV-2)" erased
expect_rc 0 "$W" approve "$J" "${APPR[@]}" --yes
expect_eq "certified after the hold" "$(status EV-2)" approved

# stolen after its wipe was sealed: no certificate for it
truncate -s 4M "$T/st.img"
J2=$("$W" wipe --method zero --verify last --confirm-serial "$T/st.img" --json "$T/st.img" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])') || fail "wipe st"
expect_rc 0 "$W" ledger add ST-1 --serial ST-SERIAL-1 --class 3 --status awaiting-erasure "${TECH[@]}"
expect_rc 0 "$W" seal "$J2" --asset ST-1 "${TECH[@]}"
expect_rc 0 "$W" ledger status ST-1 stolen --incident INC-2026-11 --threat-level 2 --reason "stolen" "${TECH[@]}"
expect_rc 3 "$W" approve "$J2" "${APPR[@]}" --yes
refused "certificate for a stolen medium" "it is stolen: an incident, not a disposal"
[ -e "$T/state/$J2.pdf" ] && fail "a certificate was written for a stolen medium"
# written off with an approver: nothing moves it again
expect_rc 0 "$W" ledger status ST-1 written-off --reason "not recovered in a year" "${TECH[@]}"
expect_rc 0 "$W" ledger approve-change "$(last_request)" "${APPR[@]}"
expect_eq "written off" "$(status ST-1)" written-off
expect_rc 3 "$W" ledger status ST-1 in-service --reason "found after all" "${APPR[@]}"
refused "out of a final status" "that is final"

expect_rc 0 "$W" ledger verify --trust "$C/trust"
grep -q "every change approved" "$T/out" || fail "verify: $(cat "$T/out")"
# the history says each move with who and why
expect_rc 0 "$W" ledger history LC-1
for s in "status: awaiting-erasure -> taken-out" "permitted_by: - -> 課長 鈴木" "status: lost -> stolen" \
	"status: stolen -> taken-out" "threat_level: - -> 3"; do
	grep -qF -- "$s" "$T/out" || fail "history lacks '$s'"
done
