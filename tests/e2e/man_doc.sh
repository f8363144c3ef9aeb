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
top=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$top/docs/wipecert.8
need_cmd pdfsig
need_cmd certutil
need_cmd qpdf
python3 -c 'import pexpect' 2>/dev/null || skip "python3-pexpect is not installed"

# the text of a section, roff escapes for '-' and '\' undone
section() { awk -v s=".SH $1" '/^\.SH / { on = ($0 == s) } on' "$MAN" | sed 's/\\-/-/g; s/\\e/\\/g; s/\\&//g'; }
section ENVIRONMENT >"$T/env"
section FILES >"$T/files"
section EXAMPLES >"$T/examples"
[ -s "$T/env" ] && [ -s "$T/files" ] && [ -s "$T/examples" ] || fail "wipecert.8 lacks ENVIRONMENT, FILES or EXAMPLES"

vars=$(grep -rhoE 'getenv\("[A-Za-z_][A-Za-z0-9_]*"\)' "$top/src" | sed 's/getenv("//; s/")//' | sort -u)
[ -n "$vars" ] || fail "no getenv() found in src/: the check reads nothing"
for v in $vars; do
	grep -Eq "^\.B(R)? $v( |$)" "$T/env" || fail "ENVIRONMENT does not name $v (read in $(grep -rl "getenv(\"$v\")" "$top/src" | head -n 1))"
done
paths=$(grep -rhoE '"/(etc|var|usr/share)/[^"%]+"' "$top/src" "$top/include" | tr -d '"' | sort -u)
[ -n "$paths" ] || fail "no default paths found in the code: the check reads nothing"
for p in $paths; do
	grep -Fxq -e ".I ${p%/}" -e ".I ${p%/}/" "$T/files" || fail "FILES does not name $p"
done

# EXAMPLES, run
awk '/^\.EE/ { on = 0 } on; /^\.EX/ { on = 1 }' "$T/examples" >"$T/block.sh"
grep -q '/dev/sdb' "$T/block.sh" || fail "the examples wipe no /dev/sdb: update the substitution"
mkdir -p "$T/bin" "$T/work" "$T/srv" "$T/trap"
ln -s "$(realpath "$WIPECERT")" "$T/bin/wipecert"
img=$T/disk.img
truncate -s 8M "$img"
for off in 1 2048 7000; do
	printf 'RESIDENT-REGISTRY-DATA %s ' "$off" | dd of="$img" bs=1024 seek="$off" conv=notrunc status=none
done
PATH=$T/bin:$PATH WIPECERT_TRUST=$T/trap/trust WIPECERT_DB=$T/trap/ledger.db WIPECERT_STATE_DIR=$T/trap/jobs \
	python3 "$top/tests/run-doc-block.py" "$T/block.sh" "$T/work" "/dev/sdb=$img" "/srv/wipecert=$T/srv" 2>"$T/run.log" ||
	fail "wipecert(8) EXAMPLES: $(tail -n 30 "$T/run.log")"
[ -z "$(ls -A "$T/trap")" ] || fail "the examples wrote to the defaults: $(find "$T/trap")"
grep -q RESIDENT-REGISTRY-DATA "$img" && fail "the image still holds its data"
pdf=$(ls "$T"/srv/jobs/*.pdf 2>/dev/null)
[ "$(wc -l <<<"$pdf")" -eq 1 ] && [ -s "$pdf" ] || fail "want one certificate in /srv/wipecert/jobs: $pdf"
expect_pdf_signed "$pdf" "$T/srv/trust/ca.crt"
grep -q '^"\?HDD-0042' "$T/work/assets.csv" || fail "assets.csv lacks HDD-0042: $(head -n 3 "$T/work/assets.csv")"
exit 0
