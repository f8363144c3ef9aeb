#!/usr/bin/env bash
# demo.sh - the README's quick start (scripts/demo.sh, what `make demo`
# runs after installing and building) produces a certificate that
# `wipecert verify` accepts, on an image file, from nothing.
. "$(dirname "$0")/lib.bash"
cd "$(dirname "$0")/../.."
pdf=$(DEMO_DIR=$T WIPECERT=$WIPECERT bash scripts/demo.sh 2>"$T/demo.log") || fail "demo failed: $(tail -n 20 "$T/demo.log")"
[ -s "$pdf" ] || fail "the demo printed no certificate path"
WIPECERT_TRUST=$T/trust expect_rc 0 "$WIPECERT" verify --db "$T/ledger.db" "$pdf"
grep -q "RESIDENT-REGISTRY-DATA" "$T/disk.img" && fail "the demo image still holds its data"
grep -q "Signature is Valid" "$T/demo.log" || skip "pdfsig not installed (the rest passed)"
exit 0
