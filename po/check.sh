#!/usr/bin/env bash
# po/check.sh - the message catalogues are whole: po/wipecert.pot holds
# exactly the messages the sources mark (xgettext run again, msgids
# compared: a marked string added, changed or removed since the last
# `make pot` fails), and every one of them has a Japanese translation in
# po/ja.po that is neither missing, empty nor fuzzy, with formats that
# match (msgfmt --check); and the command layer prints no literal message
# it did not mark (po/unmarked.py). Run by `make check` (tests/e2e/i18n_po.sh) and
# `make check-po`. Fix a failure with `make pot`, then translate in ja.po.
#
# TOP=dir checks another tree (the test that proves this check fails).
set -u
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
top=${TOP:-$(dirname "$(dirname "$self")")}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/po-check.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
bad=0
say() { echo "po/check: $*" >&2; bad=1; }

for t in xgettext msgcat msgfmt msgattrib; do
	command -v $t >/dev/null || { echo "po/check: $t is not installed (gettext)" >&2; exit 2; }
done
cd "$top" || exit 2
# the one list of keywords: `make pot` uses this script's --pot too
if [ "${1:-}" = --pot ]; then
	# shellcheck disable=SC2046
	exec xgettext --from-code=UTF-8 --package-name=wipecert -k_ -kN_ -kcert_vset:4 -kcheck_note:2 -kcert_verify_report_set:4 -kdisk_fail:3 -koutcome_say:2 -kflow_fail:3 -kverdict_set:3 -kNC_:1c,2 \
		--add-comments=/ --add-location=file --sort-output -o "${2:-po/wipecert.pot}" \
		$(find src -name '*.c' | LC_ALL=C sort)
fi

"$self" --pot "$tmp/now.pot" || { echo "po/check: xgettext failed" >&2; exit 2; }
# one message a line: its msgctxt, msgid and msgid_plural joined (a
# continued string too), for the entries of a .po/.pot that are not the
# header, not obsolete and (with --untranslated / --only-fuzzy) those only
ids() {
	msgattrib --no-obsolete --no-location --no-wrap --sort-output ${2:-} "$1" | awk '
		/^(msgctxt|msgid|msgid_plural) / { key = 1; sub(/^[a-z_]+ /, ""); cur = cur " " $0; next }
		/^"/ && key { cur = substr(cur, 1, length(cur) - 1) substr($0, 2); next }
		/^msgstr/ { if (cur != " \"\"") print substr(cur, 2); cur = ""; key = 0 }'
}
ids "$tmp/now.pot" >"$tmp/now"
ids po/wipecert.pot >"$tmp/pot"
if ! diff -u "$tmp/pot" "$tmp/now" >"$tmp/diff"; then
	say "po/wipecert.pot is stale (run 'make pot'); marked in the sources (+) or no longer (-):"
	grep '^[-+][^-+]' "$tmp/diff" | head -n 40 >&2
fi

# what the command layer prints is marked (po/unmarked.py says what counts)
if command -v python3 >/dev/null; then
	python3 "$top/po/unmarked.py" src/main.c src/cli/*.c src/station/*.c >"$tmp/unmarked" ||
		{ say "messages printed without _() (mark them, or say 'not translated' and why in a comment):"; head -n 40 "$tmp/unmarked" >&2; }
fi

for po in po/*.po; do
	msgfmt --check --statistics -o /dev/null "$po" 2>"$tmp/stat" || { say "$po: msgfmt --check failed:"; cat "$tmp/stat" >&2; }
	# the catalogue's translations of the sources' messages, nothing else
	msgmerge -q --no-fuzzy-matching -o "$tmp/merged.po" "$po" "$tmp/now.pot" 2>/dev/null ||
		{ say "$po: msgmerge failed"; continue; }
	ids "$tmp/merged.po" --untranslated >"$tmp/untr"
	# fuzzy: so marked in the .po, or made so by msgmerge because the
	# translation's format differs from the message's
	ids "$tmp/merged.po" --only-fuzzy >"$tmp/fuzzy"
	if [ -s "$tmp/untr" ]; then
		say "$po: $(wc -l <"$tmp/untr") marked message(s) without a translation:"
		head -n 40 "$tmp/untr" >&2
	fi
	if [ -s "$tmp/fuzzy" ]; then
		say "$po: fuzzy translations, or formats that differ from the message's (fix, then drop the fuzzy flag):"
		head -n 20 "$tmp/fuzzy" >&2
	fi
done
exit $bad
