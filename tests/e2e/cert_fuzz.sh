#!/usr/bin/env bash
# cert_fuzz.sh - a short libFuzzer run of the certificate reader, seeded
# with a signed certificate and an empty PDF (tests/fuzz/fuzz_pdf.sh).
set -u
W=${WIPECERT:?}
for t in clang openssl qpdf; do
	command -v "$t" >/dev/null || { echo "FAIL: $t is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
T=$(mktemp -d /tmp/wipecert-fuzz.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$(dirname "$0")/../.." || exit 1
openssl ecparam -name prime256v1 -genkey -noout -out "$T/k.pem" 2>/dev/null &&
	openssl req -x509 -new -key "$T/k.pem" -subj "/CN=fuzz" -days 30 -out "$T/c.pem" \
		-addext "keyUsage=critical,digitalSignature" 2>/dev/null || { echo "FAIL: openssl" >&2; exit 1; }
FORGE=${FORGE:-$(dirname "$W")/tests/tools/forge}
[ -x "$FORGE" ] || { echo "FAIL: no test-only forger at $FORGE" >&2; exit 1; }
EV=tests/fixtures/evidence
"$FORGE" pdf --record $EV/record.json --attach record.json.minisig=$EV/record.json.minisig \
	--attach wipe-record.json=$EV/wipe-record.json --attach wipe-record.json.minisig=$EV/wipe-record.json.minisig \
	--x509-key "$T/k.pem" --x509-cert "$T/c.pem" -o "$T/seed.pdf" || { echo "FAIL: forge pdf" >&2; exit 1; }
qpdf --empty "$T/empty.pdf"
# a seed that passes every check against the test-only roster
"$W" cert issue --wipe-record $EV/wipe-record.json --approver-key certs/test-only/test-only-approver.key \
	--passphrase-file certs/test-only/passphrase.txt --trust certs/test-only/trust -o "$T/roster.pdf" 2>/dev/null ||
	{ echo "FAIL: cert issue with the test-only approver" >&2; exit 1; }
FUZZ_DIR=$T/run tests/fuzz/fuzz_pdf.sh "${FUZZ_SECONDS:-5}" "$T/seed.pdf" "$T/roster.pdf" "$T/empty.pdf" >"$T/log" 2>&1
rc=$?
if [ ! -x "$T/run/fuzz_pdf" ]; then
	tail -20 "$T/log" >&2
	echo "FAIL: the fuzz harness does not build" >&2
	exit 1
fi
if [ $rc -ne 0 ] || ls "$T/run"/crash-* >/dev/null 2>&1; then
	tail -40 "$T/log" >&2
	echo "FAIL: the fuzzer found a crash (exit $rc)" >&2
	exit 1
fi
grep -q "^Done [0-9]* runs" "$T/log" || { tail -5 "$T/log" >&2; echo "FAIL: fuzzer did not run" >&2; exit 1; }
echo "fuzz: $(grep '^Done' "$T/log")"
