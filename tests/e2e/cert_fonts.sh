#!/usr/bin/env bash
# cert_fonts.sh - names outside the main font and the QR code on paper.
#
# 1. The whole disposal (scripts/demo.sh) with the technician 𠮷田 太郎 and
#    the department 𠮷野課 (U+20BB7: outside the BMP and outside IPAex):
#    the certificate verifies, pdftotext shows both names whole, pdffonts
#    shows both fonts embedded as subsets, pdfsig finds it valid.
# 2. The QR code is read by zbarimg from the page rendered at 150 and at
#    300 dpi (a scan of the printout), and carries the certificate's ID.
# 3. A technician whose name no installed font has (U+1F600) is refused at
#    approval, by the character's name, before anything is signed: no
#    certificate, no signed record, no ledger event.
. "$(dirname "$0")/lib.bash"
cd "$(dirname "$0")/../.."
for t in pdftotext pdffonts pdftoppm zbarimg pdfsig certutil jq; do need_cmd "$t"; done
[ -f /usr/share/fonts/truetype/ipamj/ipamjm.ttf ] || skip "fonts-ipamj-mincho is not installed (the fallback font)"

# 1. 𠮷
D=$T/yoshi
mkdir "$D"
pdf=$(DEMO_DIR=$D DEMO_TECHNICIAN="𠮷田 太郎" DEMO_DEPARTMENT="𠮷野課" WIPECERT=$WIPECERT \
	bash scripts/demo.sh 2>"$T/yoshi.log") || fail "the disposal with 𠮷 failed: $(tail -n 15 "$T/yoshi.log")"
WIPECERT_TRUST=$D/trust expect_rc 0 "$WIPECERT" verify --db "$D/ledger.db" "$pdf"
grep -q "visible-text *ok" "$T/out" "$T/err" || fail "verify does not report the visible text: $(cat "$T/out" "$T/err")"
pdftotext -enc UTF-8 "$pdf" "$T/yoshi.txt" || fail "pdftotext"
grep -q "𠮷田 太郎" "$T/yoshi.txt" || fail "pdftotext does not show 𠮷田 太郎: $(grep -n '田 太郎' "$T/yoshi.txt")"
grep -q "𠮷野課" "$T/yoshi.txt" || fail "pdftotext does not show 𠮷野課: $(grep -n '野課' "$T/yoshi.txt")"
pdffonts "$pdf" >"$T/fonts" || fail "pdffonts"
for f in IPAexGothic IPAmjMincho; do
	# name type encoding emb sub uni: embedded and a subset (tag "ABCDEF+")
	grep -Eq "^[A-Z]{6}\+$f +CID TrueType +Identity-H +yes +yes +yes " "$T/fonts" ||
		fail "$f is not an embedded subset: $(cat "$T/fonts")"
done
expect_pdf_signed "$pdf" "$D/trust/ca.crt"

# 2. the QR code from a rendering of the printout
id=$("$WIPECERT" cert show "$pdf" --json | jq -r '.certificate_id // empty')
[ -n "$id" ] || fail "cert show gives no certificate ID"
for dpi in 150 300; do
	pdftoppm -r "$dpi" -f 1 -l 1 -png "$pdf" "$T/page$dpi" || fail "pdftoppm -r $dpi"
	qr=$(zbarimg -q --raw "$T/page$dpi"-1.png 2>/dev/null) || fail "zbarimg finds no QR code at $dpi dpi"
	[[ $qr == "WIPECERT1|$id|"* ]] || fail "the QR code at $dpi dpi reads '$qr', not certificate $id"
done

# 3. a character no font has: refused at approval, nothing signed
D=$T/emoji
mkdir "$D"
DEMO_DIR=$D DEMO_TECHNICIAN="😀 Smiley" WIPECERT=$WIPECERT bash scripts/demo.sh >/dev/null 2>"$T/emoji.log" &&
	fail "a certificate was issued for a name no font has"
grep -q "wipecert: .*U+1F600 '😀'" "$T/emoji.log" || fail "the refusal does not name U+1F600: $(tail -n 5 "$T/emoji.log")"
ls "$D"/jobs/*.pdf "$D"/jobs/*.cert.json "$D"/jobs/*.cert.json.minisig >/dev/null 2>&1 &&
	fail "files of a certificate were written: $(ls "$D/jobs")"
WIPECERT_TRUST=$D/trust WIPECERT_DB=$D/ledger.db expect_rc 0 "$WIPECERT" ledger history DEMO-HDD-0001
grep -q "certificate\|approved" "$T/out" && fail "the ledger records an approval: $(cat "$T/out")"
exit 0
