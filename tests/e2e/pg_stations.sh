#!/usr/bin/env bash
# pg_stations.sh - one PostgreSQL ledger for the organisation, set up as
# docs/ledger.md says (an owner role and its database, `ledger migrate` by
# the owner, station and manager login roles), then:
#  - the roles: a station's password from PGPASSFILE (none: refused, and a
#    password in a URI never shows in a message); a station role cannot
#    UPDATE, DELETE or TRUNCATE events, cases or decisions, write the head,
#    drop the triggers, or insert an event that does not extend the chain;
#    the owner's UPDATE, DELETE and TRUNCATE are refused by the triggers; a
#    station cannot create a ledger; an auditor role only reads;
#  - two stations seal wipes into it; a manager on another machine (not
#    root, its own state directory, ~/.pgpass) lists both, approves one and
#    rejects the other, and verify --db and audit work there; each station
#    sees the decision and `sync` copies it back (the same PDF); two
#    managers approving one case at once: one wins, one is refused.
. "$(dirname "$0")/lib.bash"
need_pg
need_cmd pdfsig; need_cmd minisign; need_cmd setpriv
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
TODAY=$(date +%F)
own=wco_$$ sta=sta_$$ stb=stb_$$ mgr=mgr_$$ aud=aud_$$
DBN=t_pg_stations_$$
uri() { pg_uri "$PGD" "$DBN" "$1"; }
as_role() { local u=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 -c "SET search_path = wipecert" "$@" "$(uri "$u")"; }

# ---- the set-up of docs/ledger.md ----
# 1, 2: the superuser makes the owner role and its database
pg_psql "$PGD" postgres -c "CREATE ROLE $own LOGIN CREATEROLE" -c "CREATE DATABASE $DBN OWNER $own" ||
	fail "owner role and database"
# a station may not make the ledger: only the owner creates its tables
pg_psql "$PGD" postgres -c "CREATE ROLE ${sta}_x LOGIN" -c "CREATE DATABASE ${DBN}_x" || fail "second database"
expect_rc 1 "$W" ledger --db "$(pg_uri "$PGD" "${DBN}_x" "${sta}_x")" migrate
grep -q "only the database's owner role creates the ledger" "$T/err" || fail "station migrate: $(cat "$T/err")"
# 3: the owner makes the ledger
expect_rc 0 "$W" ledger --db "$(uri "$own")" migrate
grep -q "postgresql ledger, schema version 4" "$T/out" || fail "migrate: $(cat "$T/out")"
# 4: login roles for the stations, the manager and an auditor, with passwords
as_role "$own" -c "CREATE ROLE $sta LOGIN PASSWORD 'pw-a' IN ROLE wipecert_station" \
	-c "CREATE ROLE $stb LOGIN PASSWORD 'pw-b' IN ROLE wipecert_station" \
	-c "CREATE ROLE $mgr LOGIN PASSWORD 'pw-m' IN ROLE wipecert_station" \
	-c "CREATE ROLE $aud LOGIN IN ROLE wipecert_auditor" || fail "login roles"
# ... which the server asks their passwords of
hba=$PGD/data/pg_hba.conf
{ echo "local all $sta,$stb,$mgr scram-sha-256"; cat "$hba"; } >"$T/hba" && cat "$T/hba" >"$hba" || fail "pg_hba.conf"
pg_psql "$PGD" postgres -c "SELECT pg_reload_conf()" >/dev/null || fail "reload"
printf '*:*:%s:%s:pw-a\n*:*:%s:%s:pw-b\n' "$DBN" "$sta" "$DBN" "$stb" >"$T/pgpass"
chmod 600 "$T/pgpass"

# 5: the stations point at it: WIPECERT_DB, the password from PGPASSFILE
A=$(uri "$sta") B=$(uri "$stb")
PGPASSFILE=$T/nothing expect_rc 1 "$W" ledger --db "$A" list
grep -q "password" "$T/err" || fail "no password: $(cat "$T/err")"
expect_rc 1 "$W" ledger --db "postgresql://$sta:WRONG-SECRET-77@/$DBN?host=$PGD/sock&port=$(cat "$PGD/port")" list
grep -q "WRONG-SECRET-77" "$T/err" && fail "a password shown in a message: $(cat "$T/err")"
grep -q "$sta:\*\*\*@" "$T/err" || fail "the location not shown without its password: $(cat "$T/err")"
export PGPASSFILE=$T/pgpass WIPECERT_TRUST=$C/trust
"$W" ledger --db "$A" add IMG-A --media-type "disk image" --serial IMG-A-SN --class 3 "${TECH[@]}" >/dev/null 2>&1 ||
	fail "station A add"
"$W" ledger --db "$B" add IMG-B --media-type "disk image" --serial IMG-B-SN --class 3 "${TECH[@]}" >/dev/null 2>&1 ||
	fail "station B add"
for a in IMG-C IMG-D IMG-E; do
	"$W" ledger --db "$A" add $a --media-type "disk image" --serial $a-SN --class 3 "${TECH[@]}" >/dev/null 2>&1 ||
		fail "station A add $a"
done

# ---- what a station role cannot do, whatever it types into psql ----
refused() { # ROLE SQL TEXT: the server refuses, saying TEXT
	as_role "$1" -c "$2" >/dev/null 2>"$T/psql.err" && fail "$1 could: $2"
	grep -q "$3" "$T/psql.err" || fail "$1: $2: want '$3', got: $(cat "$T/psql.err")"
}
PGPASSWORD=pw-a refused "$sta" "UPDATE events SET reason = 'x' WHERE seq = 1" "permission denied"
PGPASSWORD=pw-a refused "$sta" "DELETE FROM events WHERE seq = 3" "permission denied"
PGPASSWORD=pw-a refused "$sta" "TRUNCATE events" "permission denied"
PGPASSWORD=pw-a refused "$sta" "UPDATE meta SET value = '1' WHERE key = 'head_seq'" "permission denied"
PGPASSWORD=pw-a refused "$sta" "ALTER TABLE events DISABLE TRIGGER USER" "must be owner"
PGPASSWORD=pw-a refused "$sta" "DROP TABLE events CASCADE" "must be owner"
PGPASSWORD=pw-a refused "$sta" "CREATE TABLE forged (x int)" "permission denied"
# nor move the archived head (the only thing the delete trigger lets
# events go up to), nor write an archive's checkpoints
PGPASSWORD=pw-a refused "$sta" "INSERT INTO meta (key, value) VALUES ('archived_seq', '5')" "permission denied"
PGPASSWORD=pw-a refused "$sta" "INSERT INTO archived VALUES ('IMG-A', 1, repeat('0', 64), '{}')" "permission denied"
# an event that does not follow the last one, inserted by hand
PGPASSWORD=pw-a refused "$sta" "INSERT INTO events (seq, asset_id, kind, changes, state_hash, actor, reason,
	time_utc, time_local, prev_hash, hash) SELECT seq + 1, 'IMG-A', 'note', '{}', state_hash, actor, 'forged',
	time_utc, time_local, repeat('0', 64), hash FROM events ORDER BY seq DESC LIMIT 1" "does not extend the chain"
# the owner may not rewrite history either: the triggers, row and statement
refused "$own" "UPDATE events SET reason = 'x' WHERE seq = 1" "append-only"
refused "$own" "DELETE FROM events WHERE seq = 3" "append-only"
refused "$own" "TRUNCATE events" "append-only"
refused "$own" "DELETE FROM assets" "append-only"
refused "$own" "UPDATE events SET covers_from = 1 WHERE seq = 2" "append-only"
# an auditor reads, and writes nothing
expect_rc 0 "$W" ledger --db "$(uri "$aud")" verify --trust "$C/trust"
expect_rc 1 "$W" ledger --db "$(uri "$aud")" add AUD-1 --serial AUD-SN "${TECH[@]}"
grep -qi "permission denied" "$T/err" || fail "auditor add: $(cat "$T/err")"

# ---- two stations seal; a manager elsewhere decides ----
wipe_for() { # STATE_DIR DB ASSET: wipe an image for the asset, sealed; prints the case
	truncate -s 2M "$T/$3.img"
	WIPECERT_STATE_DIR=$1 "$W" wipe --method random --verify last --confirm-serial "$T/$3.img" --asset "$3" \
		--db "$2" "${TECH[@]}" --json "$T/$3.img" 2>"$T/wipe.err" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])'
}
CA=$(wipe_for "$T/stA" "$A" IMG-A) && [ -n "$CA" ] || fail "station A wipe: $(cat "$T/wipe.err")"
CB=$(wipe_for "$T/stB" "$B" IMG-B) && [ -n "$CB" ] || fail "station B wipe: $(cat "$T/wipe.err")"
CC=$(wipe_for "$T/stA" "$A" IMG-C) && [ -n "$CC" ] || fail "station A wipe C: $(cat "$T/wipe.err")"

# the manager's machine: another user (not root), its own home and state
# directory, its password in ~/.pgpass, its own approver key
MH=$(mktemp -d /tmp/wipecert-manager.XXXXXX)
cp "$C/test-only-approver.key" "$MH/approver.key"
cp "$C/passphrase.txt" "$MH/pass"
printf '*:*:%s:%s:pw-m\n' "$DBN" "$mgr" >"$MH/.pgpass"
chmod 600 "$MH/.pgpass" "$MH/approver.key"
# the program and the trust directory where nobody can read them (a fresh
# machine's checkout under /root is not)
cp "$W" "$MH/wipecert" && cp -r "$C/trust" "$MH/trust" || fail "copy for the manager"
chown -R nobody:nogroup "$MH"
trap 'rm -rf "$MH"; cleanup' EXIT
M() { # the manager, as nobody, against the shared ledger
	setpriv --reuid=nobody --regid=nogroup --clear-groups env -u PGPASSFILE HOME="$MH" \
		WIPECERT_DB="$(uri "$mgr")" WIPECERT_STATE_DIR="$MH/${MSTATE:-state}" WIPECERT_TRUST="$MH/trust" \
		WIPECERT_TRUST_STATE="$MH/trust-state.json" "$MH/wipecert" "$@"
}
MKEY=(--key "$MH/approver.key" --passphrase-file "$MH/pass")
expect_rc 0 M pending --json
python3 - "$T/out" "$CA" "$CB" <<'PY' || fail "the manager does not see both stations' cases: $(cat "$T/out")"
import json, sys
cases = {c["id"]: c for c in json.load(open(sys.argv[1]))["cases"]}
for cid, asset in ((sys.argv[2], "IMG-A"), (sys.argv[3], "IMG-B")):
    c = cases[cid]
    assert c["state"] == "awaiting-approval" and c["asset_id"] == asset and c["station"], c
PY
expect_rc 0 M approve "$CA" "${MKEY[@]}" --yes --json
PDF=$(json_get "$T/out" 'd["pdf"]')
[[ $PDF == "$MH"/* ]] && [ -s "$PDF" ] || fail "the certificate is not in the manager's state directory: $PDF"
expect_rc 0 M reject "$CB" "${MKEY[@]}" --yes --reason "the image was the wrong one"
expect_rc 0 M verify --db "$(uri "$mgr")" --trust "$MH/trust" "$PDF"
expect_pdf_signed "$PDF" "$C/trust/ca.crt"
expect_rc 0 M audit --from "$TODAY" --to "$TODAY" --json
expect_eq "audit" "$(json_get "$T/out" 'd["disposals"], d["failed"], d["chain_ok"]')" "(1, 0, True)"

# the stations see the decisions, and sync copies them back
WIPECERT_STATE_DIR=$T/stA expect_rc 0 "$W" pending --all --db "$A" --json
python3 - "$T/out" "$CA" <<'PY' || fail "station A does not see the approval: $(cat "$T/out")"
import json, sys
c = {c["id"]: c for c in json.load(open(sys.argv[1]))["cases"]}[sys.argv[2]]
assert c["state"] == "approved" and c["certificate_id"], c
PY
WIPECERT_STATE_DIR=$T/stA expect_rc 0 "$W" sync --db "$A" "${TECH[@]}" --json
expect_eq "decisions copied to A" "$(json_get "$T/out" 'd["decisions"]')" 1
cmp "$T/stA/$CA.pdf" "$PDF" || fail "station A's copy is not the certificate the manager issued"
WIPECERT_STATE_DIR=$T/stB expect_rc 0 "$W" sync --db "$B"
minisign -V -q -m "$T/stB/$CB.rejected.json" -p "$C/test-only-approver.pub" || fail "station B's rejection"
grep -q "the image was the wrong one" "$T/stB/$CB.rejected.json" || fail "the rejection's reason"

# two managers approve one case at once: one wins, the other is refused
MSTATE=m1 M approve "$CC" "${MKEY[@]}" --yes >"$T/m1.out" 2>"$T/m1.err" & p1=$!
MSTATE=m2 M approve "$CC" "${MKEY[@]}" --yes >"$T/m2.out" 2>"$T/m2.err" & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
[ "$(printf '%s\n' $r1 $r2 | sort | tr '\n' ' ')" = "0 3 " ] ||
	fail "two approvals at once: exits $r1 and $r2 ($(cat "$T/m1.err" "$T/m2.err"))"
# (refused at the write, or, when the winner had committed before it
# looked, at the look)
grep -Eq "decided already|is approved already \(the ledger has the decision\)" "$T/m1.err" "$T/m2.err" ||
	fail "the loser's message: $(cat "$T/m1.err" "$T/m2.err")"
expect_eq "decisions on $CC" "$(lsql "$(uri postgres)" "SELECT count(*) FROM decisions WHERE case_id = '$CC'")" 1
expect_eq "approve events of IMG-C" "$(lsql "$(uri postgres)" \
	"SELECT count(*) FROM events WHERE asset_id = 'IMG-C' AND reason LIKE 'certificate %'")" 1

# the evidence changed in the database by someone who can drop the
# triggers (the owner, the superuser): the manager's approval checks the
# technician's signature on the record as the ledger holds it, and refuses
CD=$(wipe_for "$T/stA" "$A" IMG-D) && [ -n "$CD" ] || fail "station A wipe D: $(cat "$T/wipe.err")"
CE=$(wipe_for "$T/stA" "$A" IMG-E) && [ -n "$CE" ] || fail "station A wipe E: $(cat "$T/wipe.err")"
lsql "$(uri postgres)" "ALTER TABLE cases DISABLE TRIGGER USER;
	UPDATE cases SET record = convert_to(replace(convert_from(record, 'UTF8'), '\"verify\":\"last\"', '\"verify\":\"none\"'), 'UTF8')
	WHERE id = '$CD'; ALTER TABLE cases ENABLE TRIGGER USER" || fail "change the record in the database"
expect_eq "the change took" "$(lsql "$(uri postgres)" "SELECT position('\"verify\":\"none\"' IN convert_from(record, 'UTF8')) > 0 FROM cases WHERE id = '$CD'")" t
MSTATE=m3 expect_rc 3 M approve "$CD" "${MKEY[@]}" --yes
grep -q "signature does not verify" "$T/err" || fail "a changed record approved: $(cat "$T/err")"
# a decision nobody signed, put into the database: the station takes none of it
lsql "$(uri postgres)" "INSERT INTO decisions (case_id, decision, decided_at, approver, certificate_id, document,
	document_sig, pdf) VALUES ('$CE', 'approved', '2026-01-01T00:00:00Z', 'Mallory', 'WC-FORGED',
	convert_to('{\"type\":\"certificate\"}', 'UTF8'), 'untrusted comment: forged', convert_to('%PDF-1.7', 'UTF8'))" ||
	fail "forge a decision"
WIPECERT_STATE_DIR=$T/stA expect_rc 0 "$W" sync --db "$A" --json
# (the real approval of IMG-C's case is copied; the forged one is not)
expect_eq "decisions copied" "$(json_get "$T/out" 'd["decisions"]')" 1
[ -s "$T/stA/$CC.pdf" ] || fail "the approval of $CC was not copied"
[ -e "$T/stA/$CE.pdf" ] && fail "a forged certificate was copied to the station"
expect_rc 0 "$W" ledger --db "$A" verify --trust "$C/trust"
exit 0
