#!/usr/bin/env bash
# man.sh - the man page covers every command the program has, and every
# exit code, and renders without warnings.
. "$(dirname "$0")/lib.bash"
cd "$(dirname "$0")/../.."
MAN=docs/wipecert.8
"$WIPECERT" --help >"$T/help" || fail "--help"
cmds=$(sed -n '/^Commands:/,/^$/p' "$T/help" | awk 'NF && !/^Commands:/ {print $1}')
[ -n "$cmds" ] || fail "no commands in --help"
for c in $cmds; do
	# a section for it: ".SS cmd ..." or ".SS \"wipecert cmd ...\""
	esc=${c//-/\\\\-}
	grep -Eq "^\.SS \"?(wipecert )?($c|$esc)( |\"|$)" "$MAN" || fail "the man page has no section for '$c'"
done
# and every sub-command, from the command table itself
for c in $("$WIPECERT" commands --json | jq -r '.[] | select(.command | contains(" ")) | .command | gsub(" "; ":")'); do
	c=${c//:/ }
	esc=${c//-/\\\\-}
	grep -Eq "^\.SS \"?(wipecert )?($c|$esc)( |\"|$)" "$MAN" || fail "the man page has no section for '$c'"
done
for code in 0 1 2 3; do
	grep -A1 '^\.TP' "$MAN" | grep -qx "\.B $code" || fail "exit code $code is not documented"
done
need_cmd groff
LC_ALL=C.UTF-8 groff -k -man -Tutf8 -ww "$MAN" 2>"$T/warn" >/dev/null || fail "groff failed"
[ -s "$T/warn" ] && fail "groff warns: $(head -n 5 "$T/warn")"
exit 0
