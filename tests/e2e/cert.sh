#!/usr/bin/env bash
# cert.sh - issue a signed certificate and read it back with independent
# tools: pdfsig (NSS db trusting a CA made here), qpdf, pdftotext, pdffonts,
# pdftoppm + zbarimg; then `wipecert verify` and `cert show`.
. "$(dirname "$0")/lib.bash"
W=$WIPECERT
for t in openssl certutil pdfsig qpdf pdftotext pdffonts pdftoppm zbarimg; do need_cmd $t; done
cd "$(dirname "$0")/../.." || exit 1
FORGE=${FORGE:-$(dirname "$W")/tests/tools/forge}
[ -x "$FORGE" ] || fail "no test-only forger at $FORGE (make check builds it)"
# a record as the issuing path builds it, with the technician's signed
# evidence (tests/fixtures/evidence), signed here by a PKI of our own
EV=$PWD/tests/fixtures/evidence
REC=$EV/record.json
TO=$PWD/certs/test-only
read -r CID WHEN < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["certificate_id"], d["issued_at"])' "$REC")
"$FORGE" pki "$T/pki" "TEST ONLY Approver" || fail "forge pki"
mkdir "$T/nss" && certutil -N -d "sql:$T/nss" --empty-password &&
	certutil -A -d "sql:$T/nss" -n testca -t "CT,C,C" -i "$T/pki/ca.pem" &&
	certutil -A -d "sql:$T/nss" -n test-only -t "CT,C,C" -i "$TO/trust/ca.crt" || fail "certutil"
SIG=$EV/record.json.minisig
issue() { # out [extra...]
	local out=$1; shift
	"$FORGE" pdf --record "$REC" --attach "record.json.minisig=$SIG" --attach "wipe-record.json=$EV/wipe-record.json" \
		--attach "wipe-record.json.minisig=$EV/wipe-record.json.minisig" --x509-key "$T/pki/ap.key" \
		--x509-cert "$T/pki/ap.pem" --chain "$T/pki/ca.pem" --time "$WHEN" -o "$out" "$@"
}
issue "$T/c.pdf" || fail "forge pdf"
C=$T/c.pdf

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
era=$(python3 -c 'import sys; y,m,d = map(int, sys.argv[1][:10].split("-")); print("令和%d年%d月%d日" % (y - 2018, m, d))' "$WHEN")
for want in ZN1ABC23 YKH-IT-2019-0042 "TEST ONLY Approver" "TEST ONLY Technician" データ消去証明書 対象媒体 消去方法 検証 署名 ドライブ詳細 "$era" "ERASED AND VERIFIED"; do
	grep -qF "$want" <<<"$txt" || fail "pdftotext lacks '$want'"
done
pdffonts "$C" | grep -E "IPAexGothic +CID TrueType +Identity-H +yes +yes +yes" >/dev/null || fail "pdffonts: $(pdffonts "$C")"
size=$(stat -c %s "$C")
[ "$size" -lt 200000 ] || fail "certificate is $size bytes (font not subset?)"
pdftoppm -r 200 -gray -f 1 -l 1 -png "$C" "$T/page" || fail "pdftoppm"
qr=$(zbarimg -q --raw "$T/page-1.png" 2>/dev/null)
hash=$("$W" verify --json --ca "$T/pki/ca.pem" "$C" | sed -n 's/.*"record_sha256": "\([0-9a-f]*\)".*/\1/p')
[ "$qr" = "WIPECERT1|$CID|$hash|$(sed -n 2p "$SIG")" ] ||
	fail "QR payload '$qr' (hash $hash)"

# --- wipecert verify ----------------------------------------------------------
"$W" verify --ca "$T/pki/ca.pem" "$C" >/dev/null 2>&1 || fail "verify rejects a good certificate"
"$W" verify --json --ca "$T/pki/ca.pem" "$C" 2>/dev/null | grep -q '"valid": true' || fail "verify --json"
"$W" verify --ca "$T/pki/ca.pem" "$C" 2>/dev/null | grep -q "VALID (X.509 only, no roster)" ||
	fail "X.509-only verify does not say the roster was not checked"
expect_refused 1 "certificate-chain" "$C" -- "$W" verify --trust "$TO/trust" "$C"

# CAdES subfilter validates too
issue "$T/cades.pdf" --cades || fail "forge --cades"
pdfsig -nssdir "sql:$T/nss" "$T/cades.pdf" 2>&1 | grep -q "Signature is Valid" || fail "pdfsig cades"
"$W" verify --ca "$T/pki/ca.pem" "$T/cades.pdf" >/dev/null 2>&1 || fail "verify cades"

# --- cert issue: the issuing path outside the workflow, with the roster --------
CI=(--approver-key "$TO/test-only-approver.key" --passphrase-file "$TO/passphrase.txt" --trust "$TO/trust")
"$W" cert issue --wipe-record "$EV/wipe-record.json" "${CI[@]}" -o "$T/ci.pdf" 2>/dev/null || fail "cert issue"
"$W" verify --trust "$TO/trust" "$T/ci.pdf" >/dev/null || fail "verify of cert issue's certificate"
pdfsig -nssdir "sql:$T/nss" "$T/ci.pdf" 2>&1 | grep -q "Certificate is Trusted" || fail "pdfsig: cert issue"
qpdf --check "$T/ci.pdf" >/dev/null 2>&1 || fail "qpdf --check: cert issue"
# refuses to overwrite, atomically replaces with --force
expect_refused 3 "" "$T/ci.pdf" -- "$W" cert issue --wipe-record "$EV/wipe-record.json" "${CI[@]}" -o "$T/ci.pdf"
"$W" cert issue --wipe-record "$EV/wipe-record.json" "${CI[@]}" -o "$T/ci.pdf" --force --cades 2>/dev/null ||
	fail "cert issue --force --cades"
"$W" verify --trust "$TO/trust" "$T/ci.pdf" >/dev/null || fail "verify of the CAdES certificate"
# a certificate of a failed wipe says so, in red, and still verifies: the
# technician signed a failure, the certificate states it
python3 - "$EV/wipe-record.json" "$T/failed-src.json" <<'PY' || fail "failed wipe record"
import json, sys
d = json.load(open(sys.argv[1]))
p = d["job"]["passes"][0]
d["job"]["state"] = "failed"; p["verification"] = "failed"
p["mismatches"] = {"count": 2, "bytes": 8192, "ranges": [{"offset": 0, "length": 8192}]}
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
"$FORGE" canon "$T/failed-src.json" "$T/failed.json" &&
	"$FORGE" sign --key "$TO/test-only-technician.key" --pass "$TO/passphrase.txt" --type wipe-record "$T/failed.json" ||
	fail "the technician signs the failed wipe"
"$W" cert issue --wipe-record "$T/failed.json" "${CI[@]}" -o "$T/failed.pdf" 2>/dev/null || fail "cert issue: failed wipe"
pdftotext "$T/failed.pdf" - | grep -q "消去失敗 FAILED" || fail "failed certificate lacks the FAILED banner"
"$W" verify --trust "$TO/trust" "$T/failed.pdf" >"$T/v.out" 2>&1 || fail "failed-wipe certificate does not verify"
grep -q "failed$" <(sed -n 2p "$T/v.out") || fail "verify does not show the failed result: $(cat "$T/v.out")"
FCID=$(qpdf --show-attachment=record.json "$T/failed.pdf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["certificate_id"])')

# the session summary of the station
"$W" cert report -o "$T/summary.pdf" --host wipe-station-01 "$C" "$T/failed.pdf" 2>/dev/null || fail "cert report"
qpdf --check "$T/summary.pdf" >/dev/null 2>&1 || fail "qpdf --check summary"
sum=$(pdftotext "$T/summary.pdf" - 2>&1)
for want in データ消去作業報告書 "$CID" "$FCID" ZN1ABC23 wipe-station-01 "失敗 1 failed"; do
	grep -qF "$want" <<<"$sum" || fail "summary lacks '$want'"
done
expect_refused 3 "exists" "$T/summary.pdf" -- "$W" cert report -o "$T/summary.pdf" "$C"
expect_refused 1 "$REC" "$T/s2.pdf" -- "$W" cert report -o "$T/s2.pdf" "$REC"
echo "cert e2e: ok ($size bytes)"
