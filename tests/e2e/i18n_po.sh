#!/usr/bin/env bash
# i18n_po.sh - po/check.sh passes on this tree, and fails on a copy of it
# where a newly marked message is missing from the .pot, then (the .pot
# remade) has no Japanese translation, then only a fuzzy one.
. "$(dirname "$0")/lib.bash"
need_cmd xgettext
top=$(cd "$(dirname "$0")/../.." && pwd)

"$top/po/check.sh" 2>"$T/err" || fail "po/check.sh on the tree: $(head -n 30 "$T/err")"

mkdir "$T/tree"
cp -r "$top/src" "$top/po" "$T/tree/" || fail "copy the tree"
check_copy() { TOP=$T/tree "$T/tree/po/check.sh" 2>"$T/err"; }
check_copy || fail "po/check.sh on an unchanged copy: $(cat "$T/err")"

# a new message marked for translation, in the command layer
printf '%s\n' 'const char *i18n_po_probe(void);' \
	'const char *i18n_po_probe(void) { return _("a message the catalogue has never seen"); }' >>"$T/tree/src/cli/verify.c"
check_copy && fail "a marked message missing from the .pot passed"
grep -q "wipecert.pot is stale" "$T/err" || fail "stale .pot not named: $(cat "$T/err")"
grep -q 'a message the catalogue has never seen' "$T/err" || fail "the new message not shown: $(cat "$T/err")"

TOP=$T/tree "$T/tree/po/check.sh" --pot "$T/tree/po/wipecert.pot" || fail "make the .pot"
check_copy && fail "a message without a Japanese translation passed"
grep -q "ja.po: 1 marked message(s) without a translation" "$T/err" || fail "untranslated not named: $(cat "$T/err")"

printf '\n#, fuzzy\nmsgid "a message the catalogue has never seen"\nmsgstr "カタログにない文"\n' >>"$T/tree/po/ja.po"
check_copy && fail "a fuzzy translation passed"
grep -q "fuzzy translations" "$T/err" || fail "fuzzy not named: $(cat "$T/err")"

sed -i '/^#, fuzzy$/{N;/never seen/s/^#, fuzzy\n//}' "$T/tree/po/ja.po"
check_copy || fail "translated, the copy still fails: $(cat "$T/err")"

# a message printed without _(): the copy's verify.c again
printf '%s\n' 'void i18n_po_unmarked(void);' 'void i18n_po_unmarked(void) { log_warn("%s: this is never translated", "x"); }' \
	>>"$T/tree/src/cli/verify.c"
check_copy && fail "a message printed without _() passed"
grep -q "messages printed without _()" "$T/err" && grep -q "verify.c:.*this is never translated" "$T/err" ||
	fail "unmarked message not named: $(cat "$T/err")"
sed -i '/i18n_po_unmarked/d' "$T/tree/src/cli/verify.c"
check_copy || fail "the unmarked message removed, the copy still fails: $(cat "$T/err")"

# a translation whose format does not match its message's (no c-format
# flag in ja.po: the sources' flag counts)
python3 - "$T/tree/po/ja.po" <<'PY' || fail "edit ja.po"
import re, sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
s, n = re.subn(r'(msgid "%s: cannot read the passphrase"\nmsgstr ")%s', r'\1%d', s)
assert n == 1, n
open(p, "w", encoding="utf-8").write(s)
PY
check_copy && fail "a translation with another format passed"
grep -q "formats that differ" "$T/err" && grep -q "cannot read the passphrase" "$T/err" || fail "format mismatch not named: $(cat "$T/err")"
exit 0
