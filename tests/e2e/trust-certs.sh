#!/usr/bin/env bash
# trust-certs.sh - the repository's test-only trust directory (certs/test-only)
# stays valid and usable: a stored signature verifies with wipecert and
# minisign, new signatures by the test keys verify, the CA validates.
. "$(dirname "$0")/lib.bash"
W=$WIPECERT
cd "$(dirname "$0")/../.." || exit 1
C=certs/test-only
TR=$C/trust
F=tests/fixtures/trust
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v minisign >/dev/null || { echo "FAIL: minisign is not installed (scripts/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/wipecert-certs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

$W trust verify --trust "$TR" >/dev/null || fail "trust verify of $TR"
$W key verify --type wipe-record --trust "$TR" "$F/wipe-record.json" >/dev/null || fail "stored wipe record"
WIPECERT_TRUST=$TR $W key verify --type wipe-record "$F/wipe-record.json" >/dev/null || fail "WIPECERT_TRUST"
minisign -Vq -m "$F/wipe-record.json" -x "$F/wipe-record.json.minisig" -p "$C/test-only-technician.pub" ||
	fail "minisign rejects the stored wipe record"
minisign -Vq -m "$TR/roster.json" -p "$TR/root.pub" || fail "minisign rejects the test roster"
# the stored signature is not valid for another document type
expect_refused 1 "role may not sign this document type" -- $W key verify --type approval --trust "$TR" "$F/wipe-record.json"

printf '{"record":"TEST-ONLY-0001","type":"approval"}' >"$tmp/approval.json"
$W key sign -k "$C/test-only-approver.key" --passphrase-file "$C/passphrase.txt" --type approval \
	"$tmp/approval.json" >/dev/null || fail "sign with the test approver"
$W key verify --type approval --trust "$TR" "$tmp/approval.json" >/dev/null || fail "verify approval"
openssl verify -CAfile "$TR/ca.crt" "$TR"/members/*.crt >/dev/null || fail "openssl verify of the test approver"
exit 0
