#!/usr/bin/env bash
# cert.sh - issue a signed certificate and read it back with independent
# tools: pdfsig (NSS db trusting a CA made here), qpdf, pdftotext, pdffonts,
# pdftoppm + zbarimg; then `wipecert verify` and `cert show`.
. "$(dirname "$0")/lib.bash"
W=$WIPECERT
for t in openssl certutil pdfsig qpdf pdftotext pdffonts pdftoppm zbarimg; do need_cmd $t; done
cd "$(dirname "$0")/../.." || exit 1
REC=$PWD/tests/fixtures/cert-record.json

# --- a private CA and the approver's ECDSA P-256 certificate -------------
mkpki() { # dir cn
	local d=$1
	mkdir -p "$d"
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$d/ca.key" -subj "/O=Test City/CN=$2 CA" -days 3650 \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$d/ca.pem" 2>/dev/null
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/ap.key" 2>/dev/null
	openssl req -new -key "$d/ap.key" -subj "/O=Test City/CN=Hanako Sato" -out "$d/ap.csr" 2>/dev/null
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' >"$d/ext.cnf"
	openssl x509 -req -in "$d/ap.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 825 -extfile "$d/ext.cnf" -out "$d/ap.pem" 2>/dev/null
}
mkpki "$T/pki" "Test" || fail "openssl pki"
mkpki "$T/evil" "Evil" || fail "openssl evil pki"
mkdir "$T/nss" && certutil -N -d "sql:$T/nss" --empty-password &&
	certutil -A -d "sql:$T/nss" -n testca -t "CT,C,C" -i "$T/pki/ca.pem" || fail "certutil"

SIG="$T/record.json.minisig"
printf 'untrusted comment: signature from minisign secret key\nRWQf6LRCGA9i59SLOFxz6NxvASXDJeRtuZykwQepbDEGt87ig1BNpWaVWuNrm73YiIiJbq71Wi+dP9eKL8OC351vwIasSSbXxwA=\ntrusted comment: timestamp:1795000000\tfile:record.json\nAAAA\n' >"$SIG"

issue() { # out [extra...]
	local out=$1; shift
	"$W" cert issue --record "$REC" --key "$T/pki/ap.key" --cert "$T/pki/ap.pem" \
		--chain "$T/pki/ca.pem" --attach "$SIG" -o "$out" "$@"
}
issue "$T/c.pdf" || fail "cert issue"
C=$T/c.pdf

# refuses to overwrite, atomically replaces with --force
expect_refused 3 "exists" "$T/c.pdf" -- issue "$T/c.pdf"

# --- independent tools ------------------------------------------------------
out=$(pdfsig -nssdir "sql:$T/nss" "$C" 2>&1)
for want in "Signature is Valid" "Certificate is Trusted" "Total document signed"; do
	grep -q "$want" <<<"$out" || fail "pdfsig lacks '$want': $out"
done
qpdf --check "$C" >/dev/null 2>&1 || fail "qpdf --check"
qpdf --show-attachment=record.json "$C" >"$T/rec.json" || fail "qpdf cannot extract record.json"
grep -q '"serial":"ZN1ABC23"' "$T/rec.json" || fail "attached record lacks the serial"
qpdf --show-attachment=record.json.minisig "$C" | cmp -s - "$SIG" || fail "signature file not attached intact"
"$W" cert show --json "$C" | head -c -1 | cmp -s - "$T/rec.json" || fail "cert show --json differs from the attachment"
"$W" cert show "$C" | grep -q "ZN1ABC23" || fail "cert show"
txt=$(pdftotext "$C" - 2>"$T/pdftotext.err") || fail "pdftotext"
[ -s "$T/pdftotext.err" ] && fail "pdftotext warns: $(cat "$T/pdftotext.err")"
for want in ZN1ABC23 YKH-IT-2019-0042 "佐藤 花子 (Hanako Sato)" データ消去証明書 対象媒体 消去方法 検証 署名 ドライブ詳細 "令和8年11月23日" "ERASED AND VERIFIED"; do
	grep -qF "$want" <<<"$txt" || fail "pdftotext lacks '$want'"
done
pdffonts "$C" | grep -E "IPAexGothic +CID TrueType +Identity-H +yes +yes +yes" >/dev/null || fail "pdffonts: $(pdffonts "$C")"
size=$(stat -c %s "$C")
[ "$size" -lt 200000 ] || fail "certificate is $size bytes (font not subset?)"
pdftoppm -r 200 -gray -f 1 -l 1 -png "$C" "$T/page" || fail "pdftoppm"
qr=$(zbarimg -q --raw "$T/page-1.png" 2>/dev/null)
hash=$("$W" verify --json --ca "$T/pki/ca.pem" "$C" | sed -n 's/.*"record_sha256": "\([0-9a-f]*\)".*/\1/p')
[ "$qr" = "WIPECERT1|WC-2026-000123|$hash|RWQf6LRCGA9i59SLOFxz6NxvASXDJeRtuZykwQepbDEGt87ig1BNpWaVWuNrm73YiIiJbq71Wi+dP9eKL8OC351vwIasSSbXxwA=" ] ||
	fail "QR payload '$qr' (hash $hash)"

# --- wipecert verify ----------------------------------------------------------
"$W" verify --ca "$T/pki/ca.pem" "$C" >/dev/null || fail "verify rejects a good certificate"
"$W" verify --json --ca "$T/pki/ca.pem" "$C" | grep -q '"valid": true' || fail "verify --json"
expect_refused 1 "cannot open the trust directory" "$C" -- "$W" verify "$C"

# CAdES subfilter validates too
issue "$T/cades.pdf" --cades || fail "issue --cades"
pdfsig -nssdir "sql:$T/nss" "$T/cades.pdf" 2>&1 | grep -q "Signature is Valid" || fail "pdfsig cades"
"$W" verify --ca "$T/pki/ca.pem" "$T/cades.pdf" >/dev/null || fail "verify cades"
# a certificate of a failed wipe says so, in red, and still verifies
sed 's/"result": "erased_and_verified"/"result": "failed"/; s/"result": "pass"/"result": "fail"/; s/WC-2026-000123/WC-2026-000200/' \
	"$REC" >"$T/failed.json"
"$W" cert issue --record "$T/failed.json" --key "$T/pki/ap.key" --cert "$T/pki/ap.pem" -o "$T/failed.pdf" 2>/dev/null ||
	fail "issue failed-wipe certificate"
pdftotext "$T/failed.pdf" - | grep -q "消去失敗 FAILED" || fail "failed certificate lacks the FAILED banner"
"$W" verify --ca "$T/pki/ca.pem" "$T/failed.pdf" >/dev/null 2>&1 || fail "failed-wipe certificate does not verify"

# the session summary of the station
"$W" cert report -o "$T/summary.pdf" --host wipe-station-01 "$C" "$T/failed.pdf" 2>/dev/null || fail "cert report"
qpdf --check "$T/summary.pdf" >/dev/null 2>&1 || fail "qpdf --check summary"
sum=$(pdftotext "$T/summary.pdf" - 2>&1)
for want in データ消去作業報告書 WC-2026-000123 WC-2026-000200 ZN1ABC23 wipe-station-01 "失敗 1 failed"; do
	grep -qF "$want" <<<"$sum" || fail "summary lacks '$want'"
done
expect_refused 3 "exists" "$T/summary.pdf" -- "$W" cert report -o "$T/summary.pdf" "$C"
expect_refused 1 "$REC" "$T/s2.pdf" -- "$W" cert report -o "$T/s2.pdf" "$REC"
echo "cert e2e: ok ($size bytes)"
