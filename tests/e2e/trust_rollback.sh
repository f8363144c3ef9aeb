#!/usr/bin/env bash
# trust_rollback.sh - an older, validly signed revocation list (or roster)
# put back into the trust directory is refused, exit 3, with the reason,
# by every command that loads it: the key revoked for key compromise stays
# revoked. The verifier's state remembers the serials outside the trust
# directory; with that state deleted, the ledger's signed record of them
# still refuses the old list.
. "$(dirname "$0")/lib.bash"
need_cmd minisign; need_cmd sqlite3
W=$WIPECERT
cd "$T" || fail cd
D=$T/trust
K=(--kdf min --passphrase-file pw)
printf 'rollback test pass\n' >pw
for k in "root org-root Root" "tech technician Taro" "appr approver Hanako" "tech2 technician Jiro"; do
	set -- $k
	expect_rc 0 "$W" key new --name "$3" --role "$2" --org "Example City" -o "$1" "${K[@]}"
done
R=(--trust "$D" --root-key root.key --passphrase-file pw --db "$T/ledger.db")
expect_rc 0 "$W" trust init "${R[@]}"
grep -q "the new serials are recorded (event 1, signed by Root)" "$T/err" || fail "init --db: $(cat "$T/err")"
expect_rc 0 "$W" trust add tech.pub "${R[@]}"
cp "$D/roster.json" old-roster.json; cp "$D/roster.json.minisig" old-roster.json.minisig
expect_rc 0 "$W" trust add appr.pub "${R[@]}"
expect_rc 0 "$W" trust add tech2.pub "${R[@]}"
cp "$D/revoked.json" old-revoked.json; cp "$D/revoked.json.minisig" old-revoked.json.minisig

# a case waiting for approval: Jiro wipes and seals an image for IMG-1
export WIPECERT_DB=$T/ledger.db WIPECERT_STATE_DIR=$T/jobs
expect_rc 0 "$W" ledger add IMG-1 --media-type "disk image" --class 3 --key tech2.key --passphrase-file pw --trust "$D"
truncate -s 1M img
expect_rc 0 "$W" wipe img --method zero --asset IMG-1 --confirm-serial img --key tech2.key --passphrase-file pw --json
job=$(json_get "$T/out" 'd["jobs"][0]["id"]')
[ -e "$T/jobs/$job.wipe-record.json" ] || fail "not sealed"

# the technician signs a record; then his key is compromised and revoked
printf '{"serial":"WD-1","type":"wipe-record"}' >rec.json
expect_rc 0 "$W" key sign -k tech.key --type wipe-record rec.json --passphrase-file pw
expect_rc 0 "$W" key verify --type wipe-record rec.json --trust "$D"
expect_rc 0 "$W" trust revoke tech.pub --reason key-compromise "${R[@]}"
expect_rc 1 "$W" key verify --type wipe-record rec.json --trust "$D"
grep -q "revoked" "$T/err" || fail "revoked: $(cat "$T/err")"
expect_rc 0 "$W" trust verify --trust "$D"
grep -q "revocation list of Example City (root .*): serial 2, not older than any seen" "$T/out" ||
	fail "trust verify: $(cat "$T/out")"
expect_rc 0 "$W" ledger --db "$T/ledger.db" verify --trust "$D"
cp "$D/revoked.json" new-revoked.json; cp "$D/revoked.json.minisig" new-revoked.json.minisig

# the old revocation list put back: genuinely signed by the root ...
cp old-revoked.json "$D/revoked.json"; cp old-revoked.json.minisig "$D/revoked.json.minisig"
minisign -V -q -m "$D/revoked.json" -p "$D/root.pub" || fail "the old list is not validly signed"
# ... and refused everywhere, naming the file and both serials
expect_rc 3 "$W" trust verify --trust "$D"
grep -q "revoked.json: refused: revocation list .*/trust/revoked.json of Example City has serial 1, older than serial 2 seen on .*: an older signed list was put back (rollback refused" "$T/err" ||
	fail "trust verify of the old list: $(cat "$T/err")"
expect_rc 3 "$W" key verify --type wipe-record rec.json --trust "$D"
grep -q "rollback refused" "$T/err" || fail "key verify: $(cat "$T/err")"
expect_rc 3 "$W" trust list --trust "$D"
# ... and by verify: a certificate's check stands on the roster and the revocations
printf '%%PDF-1.7\n' >any.pdf
expect_rc 3 "$W" verify --trust "$D" any.pdf
grep -q "rollback refused" "$T/err" || fail "verify: $(cat "$T/err")"
expect_rc 3 "$W" approve "$job" --key appr.key --passphrase-file pw --trust "$D" --yes
grep -q "rollback refused" "$T/err" || fail "approve: $(cat "$T/err")"
expect_rc 3 "$W" ledger --db "$T/ledger.db" verify --trust "$D"
events=$(sqlite3 "$T/ledger.db" "SELECT count(*) FROM events")
expect_rc 3 "$W" ledger --db "$T/ledger.db" add A-1 --serial S1 --key appr.key --passphrase-file pw --trust "$D"
expect_eq "events after the refusals" "$(sqlite3 "$T/ledger.db" "SELECT count(*) FROM events")" "$events"

# root on the station deletes the verifier's memory: the ledger still
# remembers serial 2, in an event the root signed
rm "$WIPECERT_TRUST_STATE"
expect_rc 3 "$W" ledger --db "$T/ledger.db" verify --trust "$D" --json
expect_eq "problem" "$(json_get "$T/out" 'd["trust_lists"]["problem"]')" rollback
expect_eq "recorded" "$(json_get "$T/out" 'd["trust_lists"]["recorded"]')" 2
expect_eq "in the directory" "$(json_get "$T/out" 'd["trust_lists"]["serial"]')" 1
rev=$(sqlite3 "$T/ledger.db" "SELECT max(seq) FROM events WHERE kind = 'trust-serial'")
grep -q "refused: the trust directory's revocation list of .* has serial 1, but the ledger recorded serial 2 (event $rev): an older signed list was put back" "$T/err" ||
	fail "ledger's memory: $(cat "$T/err")"
expect_eq "trust-serial event signed by the root" \
	"$(sqlite3 "$T/ledger.db" "SELECT actor FROM events WHERE seq = $rev")" "Root"
expect_rc 3 "$W" ledger --db "$T/ledger.db" add A-1 --serial S1 --key appr.key --passphrase-file pw --trust "$D"
# ... and the approval of the waiting case is refused, nothing issued
expect_rc 3 "$W" approve "$job" --key appr.key --passphrase-file pw --trust "$D" --yes
grep -q "the ledger recorded serial 2 (event $rev): an older signed list was put back" "$T/err" ||
	fail "approve on the old list: $(cat "$T/err")"
[ -e "$T/jobs/$job.pdf" ] && fail "a certificate was issued with the old revocation list"
expect_eq "events after the refused approval" \
	"$(sqlite3 "$T/ledger.db" "SELECT count(*) FROM events WHERE NOT (kind = 'note' AND reason LIKE 'refused: %')")" "$events"

# the current list back: everything loads, the compromised key stays revoked
cp new-revoked.json "$D/revoked.json"; cp new-revoked.json.minisig "$D/revoked.json.minisig"
expect_rc 0 "$W" trust verify --trust "$D"
expect_rc 1 "$W" key verify --type wipe-record rec.json --trust "$D"
expect_rc 0 "$W" ledger --db "$T/ledger.db" verify --trust "$D"

# the old roster put back (before Hanako and Jiro were added) is refused the same way
cp old-roster.json "$D/roster.json"; cp old-roster.json.minisig "$D/roster.json.minisig"
minisign -V -q -m "$D/roster.json" -p "$D/root.pub" || fail "the old roster is not validly signed"
expect_rc 3 "$W" trust verify --trust "$D"
grep -q "roster .*/trust/roster.json of Example City has serial 2, older than serial 4" "$T/err" ||
	fail "old roster: $(cat "$T/err")"
exit 0
