#!/usr/bin/env bash
# demo.sh - the README's quick start (scripts/demo.sh, what `make demo`
# runs after installing and building) produces a certificate that
# `wipecert verify` accepts, on an image file, from nothing; poppler's
# pdfsig and qpdf, run here on the PDF the demo printed, agree.
. "$(dirname "$0")/lib.bash"
cd "$(dirname "$0")/../.."
need_cmd pdfsig; need_cmd certutil; need_cmd qpdf
pdf=$(DEMO_DIR=$T WIPECERT=$WIPECERT bash scripts/demo.sh 2>"$T/demo.log") || fail_outcome "demo failed: $(tail -n 20 "$T/demo.log")"
[ -s "$pdf" ] || fail_outcome "the demo printed no certificate path"
WIPECERT_TRUST=$T/trust expect_rc 0 "$WIPECERT" verify --db "$T/ledger.db" "$pdf"
grep -q "RESIDENT-REGISTRY-DATA" "$T/disk.img" && fail_outcome "the demo image still holds its data"
expect_pdf_signed "$pdf" "$T/trust/ca.crt"
qpdf --check "$pdf" >/dev/null || fail_outcome "qpdf --check fails on $pdf"
# the demo shows the newcomer what pdfsig found
expect_msg "Signature is Valid" "$T/demo.log"
exit 0
