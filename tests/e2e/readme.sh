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
. "$(dirname "$0")/doc-block.bash"

block=$("$top/tests/md-block.sh" "$top/README.md" "A disposal, step by step") ||
	fail "README.md has no sh block under 'A disposal, step by step'"
printf '%s\n' "$block" >"$T/block.sh"
mkdir -p "$T/etc" "$T/var"
WIPECERT_TRUST=$T/etc/trust WIPECERT_DB=$T/var/ledger.db WIPECERT_STATE_DIR=$T/var/jobs \
	run_doc_block "the README's step by step" "$T/block.sh" "/etc/wipecert=$T/etc" "/var/lib/wipecert=$T/var"
expect_one_certificate "$T/var/jobs" "$T/etc/trust/ca.crt"
WIPECERT_DB=$T/var/ledger.db expect_rc 0 "$WIPECERT" ledger show HDD-0042
grep -q "approved" "$T/out" || fail "the ledger does not show HDD-0042 approved: $(cat "$T/out")"
exit 0
