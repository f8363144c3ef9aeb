#!/usr/bin/env bash
# i18n.sh - messages for people follow LANG (English default, Japanese
# catalogue); JSON for machines never changes with the language.
. "$(dirname "$0")/lib.bash"
locale -a 2>/dev/null | grep -qi "^ja_JP\.utf-\?8$" || fail "no ja_JP.UTF-8 locale (scripts/install-deps.sh makes it)"

LANG=C expect_rc 2 "$WIPECERT" frobnicate
grep -qx "wipecert: unknown command 'frobnicate'; try 'wipecert --help'" "$T/err" || fail "English message: $(cat "$T/err")"
LANG=ja_JP.UTF-8 LC_ALL= expect_rc 2 "$WIPECERT" frobnicate
grep -q "^wipecert: 不明なコマンド 'frobnicate'" "$T/err" || fail "Japanese message: $(cat "$T/err")"
LANG=ja_JP.UTF-8 LC_ALL= expect_rc 0 "$WIPECERT" --help
grep -q "署名付き廃棄証明書" "$T/out" || fail "Japanese help: $(head -3 "$T/out")"
grep -q "^  list " "$T/out" || fail "command names are not translated"

truncate -s 1M "$T/x.img"
LANG=C expect_rc 0 "$WIPECERT" list --json "$T/x.img"
mv "$T/out" "$T/c.json"
LANG=ja_JP.UTF-8 LC_ALL= expect_rc 0 "$WIPECERT" list --json "$T/x.img"
cmp -s "$T/c.json" "$T/out" || fail "JSON differs between languages"

# the catalogue itself (.pot current, every message translated): i18n_po.sh
exit 0
