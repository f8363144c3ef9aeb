#!/usr/bin/env bash
# station_i18n.sh - the station's screen in other locales, in a real
# pseudo-terminal: LANG=ja_JP.UTF-8 shows Japanese labels, a Japanese
# asset ID is typed at the confirmation, and the columns stay aligned
# although a Japanese character takes two columns (East Asian Wide);
# LANG=C (not UTF-8) shows what it cannot as '?', aligned the same.
. "$(dirname "$0")/lib.bash"
locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$' || skip "no ja_JP.UTF-8 locale (scripts/install-deps.sh makes it)"
. "$(dirname "$0")/station-lib.bash"
"$W" ledger add 資産-壱 --class 3 --status awaiting-erasure --department 税務課 "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
"$W" ledger add C-IMG --class 3 --status awaiting-erasure --department 税務課 "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
truncate -s 4M "$T/ja.img" "$T/c.img"

# column of the first match of REGEX in the screen line holding ANCHOR,
# counted in terminal columns (wide characters count two)
column_of() {
	screen | python3 -c '
import re, sys, unicodedata
anchor, pat = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    if anchor in line:
        m = re.search(pat, line)
        if not m:
            break
        print(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:m.start()]))
        sys.exit(0)
sys.exit(1)' "$1" "$2" || { screen >&2; fail "no '$2' on the line of '$1'"; }
}

# --- Japanese
STATION_ENV="LANG=ja_JP.UTF-8 LC_ALL=" station_start 80 24 "$W" station --key "$C/test-only-technician.key" \
	--passphrase-file "$C/passphrase.txt" "$T/ja.img"
wait_for "鍵 解除中" 60
wait_for "デバイス +シリアル番号 +容量 +資産番号 +類 +作業状況"
wait_for "ja.img +- +4.0 MiB +- +- +資産ラベルを読み取る"
find_disk ja.img "ja.img が見つかりました"
keys s
wait_for "ja.img を確認 \(1/1\)"
keys -l 資産-壱; keys Enter
wait_for "ja.img .* 資産-壱 +3 +PASS 封印済・取外し可" 60
# the class and the state sit under their headings: two columns per wide character
expect_eq "class column" "$(column_of ja.img ' 3 ')" "$(column_of 作業状況 ' 類 ')"
expect_eq "state column" "$(column_of ja.img 'PASS')" "$(column_of 作業状況 '作業状況')"
expect_eq "asset column" "$(column_of ja.img '資産-壱')" "$(column_of 作業状況 '資産番号')"
wait_for "資産 資産-壱  分類 3  erased  税務課"
keys q
station_wait_exit

# --- not UTF-8: English, '?' for what it cannot show, the same columns
STATION_ENV="LANG=C LC_ALL=C" station_start 80 24 "$W" station --key "$C/test-only-technician.key" \
	--passphrase-file "$C/passphrase.txt" "$T/c.img"
wait_for "key unlocked" 60
wait_for "Device +Serial +Size Asset +Cl State"
find_disk c.img
keys s
wait_for "confirm c.img"
keys -l C-IMG; keys Enter
wait_for "c.img .* C-IMG +3 +PASS sealed, safe to remove" 60
wait_for "asset C-IMG  class 3  erased  \?\?\?  method random"
expect_eq "class column (C)" "$(column_of c.img ' 3 ')" "$(column_of Device ' Cl ')"
expect_eq "state column (C)" "$(column_of c.img 'PASS')" "$(column_of 'Device' 'State')"
keys q
station_wait_exit
exit 0
