#!/usr/bin/env bash
# readme.sh - the README's "A disposal, step by step" works as written,
# from nothing: the block is taken from README.md (tests/md-block.sh) and
# run one command at a time with its prompts answered
# (tests/run-doc-block.py), so the README cannot drift from the program.
#
# The documented substitutions, and nothing else: /dev/sdb is an image file
# holding data; /etc/wipecert and /var/lib/wipecert (the defaults the README
# names) are directories in the scratch space, through WIPECERT_TRUST,
# WIPECERT_DB and WIPECERT_STATE_DIR and in the commands' text; CASE is the
# case ID that pending lists. Then, with tools we did not write: the image
# holds none of its data, pdfsig finds the certificate valid under the
# roster's CA, and the ledger shows the asset approved.
. "$(dirname "$0")/lib.bash"
top=$(cd "$(dirname "$0")/../.." && pwd)
need_cmd pdfsig
need_cmd certutil
python3 -c 'import pexpect' 2>/dev/null || skip "python3-pexpect is not installed"

block=$("$top/tests/md-block.sh" "$top/README.md" "A disposal, step by step") ||
	fail "README.md has no sh block under 'A disposal, step by step'"
printf '%s\n' "$block" >"$T/block.sh"
grep -q '/dev/sdb' "$T/block.sh" || fail "the README's block wipes no /dev/sdb: update the substitution"

mkdir -p "$T/bin" "$T/work" "$T/etc" "$T/var"
ln -s "$(realpath "$WIPECERT")" "$T/bin/wipecert"
img=$T/disk.img
truncate -s 16M "$img"
for off in 1 2048 16000; do
	printf 'RESIDENT-REGISTRY-DATA %s ' "$off" | dd of="$img" bs=1024 seek="$off" conv=notrunc status=none
done

PATH=$T/bin:$PATH WIPECERT_TRUST=$T/etc/trust WIPECERT_DB=$T/var/ledger.db WIPECERT_STATE_DIR=$T/var/jobs \
	python3 "$top/tests/run-doc-block.py" "$T/block.sh" "$T/work" \
	"/dev/sdb=$img" "/etc/wipecert=$T/etc" "/var/lib/wipecert=$T/var" 2>"$T/run.log" ||
	fail "the README's step by step: $(tail -n 30 "$T/run.log")"

grep -q RESIDENT-REGISTRY-DATA "$img" && fail "the image still holds its data"
pdf=$(ls "$T"/var/jobs/*.pdf 2>/dev/null)
[ "$(wc -l <<<"$pdf")" -eq 1 ] && [ -s "$pdf" ] || fail "want one certificate in the state directory: $pdf"
expect_pdf_signed "$pdf" "$T/etc/trust/ca.crt"
WIPECERT_DB=$T/var/ledger.db expect_rc 0 "$WIPECERT" ledger show HDD-0042
grep -q "approved" "$T/out" || fail "the ledger does not show HDD-0042 approved: $(cat "$T/out")"
exit 0
