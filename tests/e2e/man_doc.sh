#!/usr/bin/env bash
# man_doc.sh - wipecert(8) tells the truth where a newcomer relies on it:
# - ENVIRONMENT names every variable the code reads (getenv in src/);
# - FILES names every default path under /etc, /var and /usr/share in the
#   code (src/, include/);
# - EXAMPLES run as written: the .EX blocks are taken from docs/wipecert.8,
#   unescaped, and run one command at a time in one shell with the prompts
#   answered (tests/run-doc-block.py). The documented substitutions, and
#   nothing else: /dev/sdb is an image file holding data, /srv/wipecert a
#   scratch directory, CASE the case ID that pending lists. The defaults
#   (/etc/wipecert, /var/lib/wipecert) are pointed at a trap directory that
#   must stay empty: the examples say where everything goes.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/doc-block.bash"
MAN=$top/docs/wipecert.8
need_cmd qpdf

# the text of a section, roff escapes for '-' and '\' undone
section() { awk -v s=".SH $1" '/^\.SH / { on = ($0 == s) } on' "$MAN" | sed 's/\\-/-/g; s/\\e/\\/g; s/\\&//g'; }
section ENVIRONMENT >"$T/env"
section FILES >"$T/files"
section EXAMPLES >"$T/examples"
[ -s "$T/env" ] && [ -s "$T/files" ] && [ -s "$T/examples" ] || fail "wipecert.8 lacks ENVIRONMENT, FILES or EXAMPLES"

vars=$(grep -rhoE 'getenv\("[A-Za-z_][A-Za-z0-9_]*"\)' "$top/src" | sed 's/getenv("//; s/")//' | sort -u)
[ -n "$vars" ] || fail "no getenv() found in src/: the check reads nothing"
for v in $vars; do
	grep -E '^\.BR? ' "$T/env" | grep -qw -- "$v" || fail "ENVIRONMENT does not name $v (read in $(grep -rl "getenv(\"$v\")" "$top/src" | head -n 1))"
done
paths=$(grep -rhoE '"/(etc|var|usr/share)/[^"%]+"' "$top/src" "$top/include" | tr -d '"' | sort -u)
[ -n "$paths" ] || fail "no default paths found in the code: the check reads nothing"
for p in $paths; do
	grep -Fxq -e ".I ${p%/}" -e ".I ${p%/}/" "$T/files" || fail "FILES does not name $p"
done

# EXAMPLES, run
awk '/^\.EE/ { on = 0 } on; /^\.EX/ { on = 1 }' "$T/examples" >"$T/block.sh"
mkdir -p "$T/srv" "$T/trap"
WIPECERT_TRUST=$T/trap/trust WIPECERT_DB=$T/trap/ledger.db WIPECERT_STATE_DIR=$T/trap/jobs \
	run_doc_block "wipecert(8) EXAMPLES" "$T/block.sh" "/srv/wipecert=$T/srv"
[ -z "$(ls -A "$T/trap")" ] || fail "the examples wrote to the defaults: $(find "$T/trap")"
expect_one_certificate "$T/srv/jobs" "$T/srv/trust/ca.crt"
grep -q '^"\?HDD-0042' "$T/work/assets.csv" || fail "assets.csv lacks HDD-0042: $(head -n 3 "$T/work/assets.csv")"
exit 0
