#!/usr/bin/env bash
# station_witness.sh - a witness (立会者) at the wipe station: the station
# started with --witness-key has the witness sign each record it seals;
# the certificate approved from it carries the witness's statement and
# `verify` checks it against the roster. A key that is not a witness's is
# refused at the start, before anything is shown or written.
. "$(dirname "$0")/lib.bash"
need_cmd jq
. "$(dirname "$0")/station-lib.bash"

# the test roster and a witness of the same organisation
cp -r "$C/trust" "$T/trust2"
PW=(--passphrase-file "$C/passphrase.txt")
expect_rc 0 "$W" key new --name "TEST ONLY Witness" --role witness --org "TEST ONLY Example City" -o "$T/wit" \
	"${PW[@]}" --kdf min
expect_rc 0 "$W" trust add "$T/wit.pub" --trust "$T/trust2" --root-key "$C/test-only-root.key" "${PW[@]}"
export WIPECERT_TRUST=$T/trust2
"$W" ledger add SW-IMG --media-type "disk image" --class 3 --status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 ||
	fail "ledger add"
yes WIPECERT-MARKER | head -c 4M >"$T/w.img"

# the technician's key as the witness's: refused at the start
expect_rc 3 "$W" station --json "${TECH[@]}" --witness-key "$C/test-only-technician.key" \
	--witness-passphrase-file "$C/passphrase.txt" "$T/w.img"
grep -q "a technician key may not sign a witness" "$T/err" || fail "a technician as witness: $(cat "$T/err")"
ls "$T"/state/*.json >/dev/null 2>&1 && fail "a job was made: $(ls "$T/state")"

# the witness stands by: the sealed record is witnessed
STATION_ENV="WIPECERT_TRUST=$T/trust2" station_start 80 24 "$W" station "${TECH[@]}" --witness-key "$T/wit.key" \
	--witness-passphrase-file "$C/passphrase.txt" "$T/w.img"
wait_for "key unlocked" 60
find_disk w.img; keys Space s
wait_for "confirm w.img"
keys -l SW-IMG; keys Enter
wait_for "witnessed by TEST ONLY Witness" 120
keys q
station_wait_exit
case=$(basename "$(ls "$T"/state/*.witness.json)" .witness.json)
[ -n "$case" ] && [ -s "$T/state/$case.wipe-record.json" ] || fail "no witnessed record: $(ls "$T/state")"

# approved: the certificate carries the statement, verify checks it
expect_rc 0 "$W" approve "$case" --key "$C/test-only-approver.key" "${PW[@]}" --yes --json
pdf=$(jq -r .pdf "$T/out")
expect_rc 0 "$W" verify "$pdf"
grep -q "witness  *ok  *1 witness statement signed by a roster witness" "$T/out" || fail "witness: $(cat "$T/out")"
exit 0
