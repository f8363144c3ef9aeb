#!/usr/bin/env bash
# ledger_realcsv.sh - a municipal asset register as Excel saves it (CP932,
# CRLF, a quoted line break, full-width digits and serials, 和暦 dates, its
# own headers and columns the ledger has no field for) imported from the
# command line: refused whole with the line that maps the first unknown
# column; --dry-run shows the mapping and writes nothing; the map from a
# file or from the policy's [csv] section, whose [classification] holds
# each 機密性 level to a class; --keep-unknown keeps the rest as named
# attributes; the export (Japanese headers) imported again into a new
# ledger gives the same assets.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.bash"
[ "$BACKEND" = postgresql ] || need_cmd sqlite3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
FX=$(cd "$(dirname "$0")/../fixtures/ledger" && pwd)
W=$WIPECERT
DB=$(new_ledger ledger) && KDB=$(new_ledger k) && AGAIN=$(new_ledger again) && PDB=$(new_ledger p) || exit 1
export WIPECERT_DB=$DB WIPECERT_TRUST=$C/trust
K=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
field() { lsql "$1" "SELECT $3 FROM assets WHERE asset_id = '$2'"; }
# a text's bytes in upper-case hex, as the store's own SQL says it
if [ "$BACKEND" = postgresql ]; then HEX="upper(encode(convert_to(notes, 'UTF8'), 'hex'))"; else HEX="hex(notes)"; fi

# the register alone: its first unknown column named, with the line that maps it
expect_rc 1 "$W" ledger import "$FX/municipal-cp932.csv" "${K[@]}"
grep -qF "municipal-cp932.csv:1: unknown column '資産の種類': map it in a --map file ([csv] 資産の種類 = FIELD, 資産の種類 = ignore or 資産の種類 = extra), or keep every unknown column as an attribute with --keep-unknown: nothing imported" "$T/err" ||
	fail "the unknown column: $(cat "$T/err")"
ledger_exists "$DB" && [ "$(lsql "$DB" "SELECT count(*) FROM events")" != 0 ] && fail "something imported"

# --dry-run: the mapping, column by column, and nothing written
expect_rc 0 "$W" ledger import "$FX/municipal-cp932.csv" --map "$FX/municipal.map" --dry-run "${K[@]}"
for l in "column 3 '資産の種類': media_type (map)" "column 15 '部署コード': ignored (map)" \
	"column 16 '購入価格': extra (map)" "column 4 '所有者/管理者': manager (header)" "line 2: add JK-001" \
	"line 4: add JK-002"; do
	grep -qF "$l" "$T/out" || fail "dry run lacks '$l': $(cat "$T/out")"
done
! ledger_exists "$DB" || expect_eq "dry run wrote" "$(lsql "$DB" "SELECT count(*) FROM assets")" 0

# the map from a file
expect_rc 0 "$W" ledger import "$FX/municipal-cp932.csv" --map "$FX/municipal.map" "${K[@]}" --json
expect_eq "encoding" "$(json_get "$T/out" 'd["encoding"]')" cp932
expect_eq "added" "$(json_get "$T/out" 'd["added"]')" 3
expect_eq "serial, full-width typed" "$(field "$DB" JK-001 serial)" WD-WCC6Y0RL1234
expect_eq "capacity １ＴＢ" "$(field "$DB" JK-001 capacity)" 1000000000000
expect_eq "令和2年4月1日" "$(field "$DB" JK-001 acquired)" 2020-04-01
expect_eq "R7.3.31" "$(field "$DB" JK-001 lease_end)" 2025-03-31
expect_eq "平成30年10月1日" "$(field "$DB" JK-002 acquired)" 2018-10-01
expect_eq "機密性3 held to class 1" "$(field "$DB" JK-001 importance)" 1
expect_eq "a mapped value" "$(field "$DB" JK-003 media_type)" usb
expect_eq "an extra attribute" "$(field "$DB" JK-001 extra)" '{"購入価格":"120,000"}'
expect_eq "a quoted CRLF" "$(field "$DB" JK-001 "$HEX")" "$(printf '1行目\n2行目' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"

# the policy instead: its [csv] sections and a stricter classification
cat >"$T/policy.conf" <<'EOF'
[classification]
confidentiality 3 = 1
confidentiality 2 = 1
confidentiality 1 = 2

[csv]
資産の種類 = media_type
部署コード = ignore
購入価格 = extra

[csv values media_type]
ハードディスク = hdd
USBメモリ = usb
SSD = ssd
EOF
expect_rc 0 "$W" ledger --db "$PDB" import "$FX/municipal-cp932.csv" --policy "$T/policy.conf" "${K[@]}"
expect_eq "機密性2 held to class 1 by this policy" "$(field "$PDB" JK-002 importance)" 1
expect_eq "機密性1 held to class 2" "$(field "$PDB" JK-003 importance)" 2

# --keep-unknown: what nobody mapped becomes named attributes
expect_rc 0 "$W" ledger --db "$KDB" import "$FX/municipal-cp932.csv" --keep-unknown "${K[@]}"
expect_eq "kept" "$(field "$KDB" JK-001 extra)" '{"資産の種類":"ハードディスク","購入価格":"120,000","部署コード":"0101"}'

# the export with Japanese headers, into a new ledger: the same assets
expect_rc 0 "$W" ledger export --japanese --bom -o "$T/out.csv"
head -1 "$T/out.csv" | grep -q "資産名称,管理責任者,搭載機器,保存情報,取得日" || fail "export headers: $(head -1 "$T/out.csv")"
expect_rc 0 "$W" ledger --db "$AGAIN" import "$T/out.csv" "${K[@]}"
q="SELECT asset_id, media_type, serial, capacity, importance, asset_name, manager, acquired, lease_end, retention,
   confidentiality, integrity, availability, notes, extra FROM assets ORDER BY asset_id"
[ "$(lsql "$DB" "$q")" = "$(lsql "$AGAIN" "$q")" ] || fail "the export did not import to the same assets"
expect_rc 0 "$W" ledger export --format json
expect_eq "JSON extra" "$(json_get "$T/out" 'd["assets"][0]["extra"]["購入価格"]')" "120,000"
expect_eq "JSON level" "$(json_get "$T/out" 'd["assets"][0]["confidentiality"]')" 3
# by hand too: a level without a class gets the policy's, a weaker class is refused
expect_rc 0 "$W" ledger --db "$PDB" add H-1 --confidentiality 2 --policy "$T/policy.conf" "${K[@]}"
expect_eq "機密性2 by hand, this policy" "$(field "$PDB" H-1 importance)" 1
expect_rc 3 "$W" ledger --db "$PDB" add H-2 --confidentiality 3 --class 3 "${K[@]}"
grep -q "機密性 (confidentiality) 3 is held to importance class 1 by the policy, but its class is 3" "$T/err" ||
	fail "a weaker class by hand: $(cat "$T/err")"
