#!/usr/bin/env bash
# ledger_cli.sh - `wipecert ledger` end to end on a real SQLite file or a
# real PostgreSQL database: CP932 import read back exactly, malformed rows
# leave the store unchanged (checked with the sqlite3 shell or pg_dump),
# edits recorded, and tampering with events in the store's own shell
# (edit, delete, swap) makes `ledger verify` fail naming the event.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.bash"
need_cmd sqlite3
W=$WIPECERT
fx=tests/fixtures/ledger
tmp=$T
DB=$(new_ledger ledger) || exit 1
export WIPECERT_DB=$DB
# every change is signed by the person who makes it: the technician's key
C=certs/test-only
K=(--key $C/test-only-technician.key --passphrase-file $C/passphrase.txt)
dump() { ledger_dump "$1"; }

# a ledger that does not exist is not created by reading commands
expect_refused 1 'no ledger there\|no ledger in this database (its owner role creates it' "$DB" -- $W ledger verify
ledger_exists "$DB" && fail "verify created the ledger"

# without a key nothing is written
$W ledger import "$fx/assets-cp932.csv" 2>"$tmp/err"; [ $? -eq 2 ] || fail "import without --key not a usage error"
grep -q -- '--key FILE is required: every ledger event is signed' "$tmp/err" || fail "no --key: $(cat "$tmp/err")"
$W ledger import "$fx/assets-cp932.csv" "${K[@]}" 2>"$tmp/err" || fail "cp932 import: $(cat "$tmp/err")"
grep -q '5 rows (cp932): 5 added' "$tmp/err" || fail "import report: $(cat "$tmp/err")"
$W ledger export --japanese >"$tmp/out.csv" || fail "export"
cmp "$tmp/out.csv" "$fx/assets-utf8.csv" || fail "cp932 import does not read back as the utf-8 fixture"
$W ledger export --bom -o "$tmp/bom.csv" || fail "export -o"
cmp "$tmp/bom.csv" "$fx/assets-utf8-bom-en.csv" || fail "--bom export differs"
[ "$(lsql "$DB" "SELECT department FROM assets WHERE asset_id = 'KS-2021-0104'")" = "教育委員会事務局学校教育課" ] ||
	fail "department not stored as UTF-8"
if [ "$BACKEND" = sqlite ]; then
	[ "$(sqlite3 "$DB" "PRAGMA journal_mode")" = wal ] || fail "not in WAL mode"
	[ "$(sqlite3 "$DB" "PRAGMA user_version")" = 4 ] || fail "schema version"
else
	[ "$(lsql "$DB" "SELECT value FROM meta WHERE key = 'schema_version'")" = 4 ] || fail "schema version"
fi

# malformed rows: error with the line number, database byte-for-byte unchanged
before=$(dump "$DB")
check_bad() { # file, expected message
	$W ledger import "$1" "${K[@]}" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] || fail "$1: exit $rc, want 1"
	grep -qF -- "$2" "$tmp/err" || fail "$1: want '$2', got: $(cat "$tmp/err")"
	[ "$(dump "$DB")" = "$before" ] || fail "$1: database changed by a failed import"
}
printf '資産番号,所管課,重要性分類\nB1,総務課,1\nB2,市民課\n' >"$tmp/cols.csv"
check_bad "$tmp/cols.csv" "cols.csv:3: 2 fields, the header has 3"
printf '資産番号,所管課,重要性分類\nB1,総務課,1\nB2,市民課,5\n' >"$tmp/class.csv"
check_bad "$tmp/class.csv" "class.csv:3: asset B2: bad importance class"
printf '資産番号,所管課,重要性分類\nB1,総務課,1\nB2,市民課,2\nB1,税務課,3\n' >"$tmp/dup.csv"
check_bad "$tmp/dup.csv" "dup.csv:4: duplicate asset ID 'B1' (first on line 2)"
printf 'asset_id,status\nB1,in-service\nKS-2019-0001,retired\n' >"$tmp/exists.csv"
check_bad "$tmp/exists.csv" "exists.csv:3: asset ID 'KS-2019-0001' is already in the ledger"
printf 'asset_id,status\nB1,in-service\nB2,scrapped\n' >"$tmp/status.csv"
check_bad "$tmp/status.csv" "status.csv:3: asset B2: bad status"
# one entry per disk: a serial or WWN another asset has, however it is written
printf 'asset_id,serial\nB1,SN-B1\nB2, z9a1b2c3 \n' >"$tmp/serial.csv"
check_bad "$tmp/serial.csv" "serial.csv:3: asset B2: its serial or WWN is already asset KS-2019-0001's"
printf 'asset_id,wwn\nB1,0x50000000000000b1\nB2,0X5002538E40A1B2C3\n' >"$tmp/wwn.csv"
check_bad "$tmp/wwn.csv" "wwn.csv:3: asset B2: its serial or WWN is already asset KS-2019-0002's"
printf 'asset_id,serial\nB1,SN-TWICE\nB2,sn-twice\n' >"$tmp/twice.csv"
check_bad "$tmp/twice.csv" "twice.csv:3: asset B2: its serial or WWN is already asset B1's"
# the dry run reports and writes nothing
$W ledger import --dry-run --update "$tmp/exists.csv" "${K[@]}" >"$tmp/out" 2>&1 || fail "dry run: $(cat "$tmp/out")"
grep -q 'line 3: update KS-2019-0001' "$tmp/out" || fail "dry run report: $(cat "$tmp/out")"
[ "$(dump "$DB")" = "$before" ] || fail "dry run changed the database"

# add, edit (reason required), show, history
$W ledger add X-1 --serial ' SN-X1 ' --department 総務課 --class 1 --capacity 500GB "${K[@]}" 2>/dev/null ||
	fail "add"
expect_refused 1 "already in the ledger" "db:$WIPECERT_DB" -- $W ledger add X-1 "${K[@]}"
# the actor is the key's holder: naming someone else is a usage error
$W ledger add X-9 --actor alice "${K[@]}" 2>/dev/null; [ $? -eq 2 ] || fail "--actor not the key's holder"
$W ledger edit X-1 --status awaiting-erasure "${K[@]}" 2>/dev/null; [ $? -eq 2 ] || fail "edit without --reason not a usage error"
$W ledger add X-2 --class 4 "${K[@]}" 2>/dev/null; [ $? -eq 2 ] || fail "bad class not a usage error"
$W ledger edit X-1 --status awaiting-erasure --reason "lease ends" "${K[@]}" 2>/dev/null || fail "edit"
[ "$($W ledger show X-1 --json | sed -n 's/.*"status": "\(.*\)".*/\1/p')" = awaiting-erasure ] || fail "show --json"
$W ledger show X-1 | grep -q '^Capacity: 500000000000 bytes' || fail "show capacity"
$W ledger history X-1 >"$tmp/h" || fail "history"
grep -q 'TEST ONLY Technician (lease ends)' "$tmp/h" && grep -q 'status: in-service -> awaiting-erasure' "$tmp/h" || fail "history: $(cat "$tmp/h")"
$W ledger list --status awaiting-erasure --json | grep -c '"asset_id"' | grep -qx 2 || fail "list --status"
# a disk with nothing to tie an entry to (an image file: no serial, no WWN) is refused
truncate -s 1M "$tmp/disk.img"
$W ledger add IMG-1 --from-device "$tmp/disk.img" "${K[@]}" 2>"$tmp/err"; [ $? -eq 1 ] || fail "--from-device without identity"
grep -q 'neither serial nor wwn' "$tmp/err" || fail "--from-device: $(cat "$tmp/err")"
expect_rc 1 $W ledger show IMG-1
# ... and cannot stand in for an asset that has a serial: refused (3)
$W ledger check X-1 "$tmp/disk.img" 2>"$tmp/err"; [ $? -eq 3 ] || fail "check of a disk without identity not refused"
grep -q 'refused: the disk reports neither serial nor wwn to compare with asset X-1' "$tmp/err" ||
	fail "check: $(cat "$tmp/err")"
$W ledger check NOPE "$tmp/disk.img" 2>/dev/null; [ $? -eq 1 ] || fail "check of an unknown asset"
$W ledger verify >"$tmp/v" || fail "verify of an intact ledger"
grep -q 'ledger intact: 7 events, 6 assets' "$tmp/v" || fail "verify: $(cat "$tmp/v")"

# tampering in the store's own shell; the append-only triggers stop the
# naive attempt (on PostgreSQL even the superuser's)
lsql "$DB" "UPDATE events SET actor = 'mallory' WHERE seq = 3" 2>/dev/null && fail "trigger let an event be edited"
lsql "$DB" "DELETE FROM events WHERE seq = 3" 2>/dev/null && fail "trigger let an event be deleted"
tamper() { # name, sql, expected text in the verify error
	local db
	db=$(ledger_clone "$DB" "$1") || exit 1
	ledger_untrigger "$db" >/dev/null || fail "$1: untrigger"
	lsql "$db" "$2" || fail "$1: $2"
	$W ledger --db "$db" verify >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] || fail "$1: verify exit $rc, want 1"
	grep -qF -- "$3" "$tmp/err" || fail "$1: want '$3', got: $(cat "$tmp/err")"
	$W ledger --db "$db" verify --json 2>/dev/null | grep -q '"ok": false' || fail "$1: --json ok"
}
tamper edited "UPDATE events SET reason = 'nothing to see' WHERE seq = 6" \
	"event 6 (asset X-1"
tamper edited2 "UPDATE events SET changes = replace(changes, '総務部総務課', '市民部市民課') WHERE seq = 1" \
	"event 1 (asset KS-2019-0001"
tamper deleted "DELETE FROM events WHERE seq = 4" "events 4..4 are missing"
tamper swapped "UPDATE events SET seq = 1000 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3;
	UPDATE events SET seq = 3 WHERE seq = 1000;" "event 2 (asset KS-2020-0013"
tamper truncated "DELETE FROM events WHERE seq = 7" "the last events were deleted"
tamper asset "UPDATE assets SET serial = 'FAKE' WHERE asset_id = 'KS-2019-0002'" \
	"asset KS-2019-0002 differs from what its history records"
$W ledger verify >/dev/null || fail "the original was changed by the tamper tests"

# a head kept elsewhere: still found after more events; a different one is a rewrite
head=$(sed -n 's/.*; head \([0-9]*:[0-9a-f]*\)$/\1/p' "$tmp/v")
[ -n "$head" ] || fail "no head in: $(cat "$tmp/v")"
$W ledger add X-3 --serial SN-X3 "${K[@]}" 2>/dev/null || fail "add X-3"
$W ledger verify --head "$head" >/dev/null || fail "verify --head of an earlier head"
$W ledger verify --head "${head%%:*}:$(printf 'ab%.0s' $(seq 32))" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] || fail "verify --head with another hash did not fail"
grep -q 'the chain was rewritten' "$tmp/err" || fail "--head: $(cat "$tmp/err")"
$W ledger verify --head 99:$(printf 'ab%.0s' $(seq 32)) >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] || fail "verify --head beyond the end did not fail"
$W ledger verify --head nonsense >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --head not a usage error"
exit 0
