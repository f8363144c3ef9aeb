#!/usr/bin/env bash
# trust.sh - keys, roster and signatures end to end through the command
# line, checked with the independent tools: minisign, openssl, certutil.
set -u
W=${WIPECERT:?WIPECERT names the binary under test}
command -v minisign >/dev/null || { echo "FAIL: minisign is not installed (scripts/install-deps.sh)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl is not installed (scripts/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/wipecert-trust.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
T=$tmp/trust
export WIPECERT_TRUST_STATE=$tmp/trust-state.json
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect CODE CMD...: run, check the exit code and that nothing crashed
# (a sanitizer report is never a pass), keep stderr in err
expect() {
	local want=$1; shift
	"$@" >out 2>err
	local rc=$?
	[ "$rc" -lt 128 ] || { cat err >&2; echo "OUTCOME-FAIL: '$*' killed by signal $((rc - 128))" >&2; exit 1; }
	grep -qE '==[0-9]+==ERROR: [A-Za-z]+Sanitizer|runtime error: ' err && { cat err >&2; echo "OUTCOME-FAIL: '$*' crashed" >&2; exit 1; }
	[ "$rc" -eq "$want" ] || { cat out err >&2; echo "OUTCOME-FAIL: '$*' exited $rc, wanted $want" >&2; exit 1; }
}
printf 'root pass\n' >root.pw
printf 'tech pass\n' >tech.pw
printf 'appr pass\n' >appr.pw
printf 'wrong\n' >wrong.pw
K="--kdf min"

expect 0 $W key new --name "Root" --role org-root --org "Example City" -o root --passphrase-file root.pw $K
expect 0 $W key new --name "山田 太郎" --role technician --org "Example City" -o tech --passphrase-file tech.pw $K
expect 0 $W key new --name "Hanako" --role approver --org "Example City" -o appr --passphrase-file appr.pw $K --json
grep -q '"csr"' out || fail "approver key has no certificate request"
[ "$(stat -c %a tech.key)" = 600 ] || fail "secret key is not 0600"
# never overwritten without --force
cp tech.key tech.key.orig
expect 3 $W key new --name X --role technician --org "Example City" -o tech --passphrase-file tech.pw $K
cmp -s tech.key tech.key.orig || fail "key overwritten without --force"
grep -q "use --force" err || fail "no hint about --force"
expect 2 $W key new --name X --role boss --org O -o x --passphrase-file tech.pw

expect 0 $W trust init --trust "$T" --root-key root.key --passphrase-file root.pw --years 10
# ten calendar years: the CA and the root's roster entry end on today's date ten years on (not 10 x 366 days)
want=$(date -u -d "+10 years" +%F)
[ "$(date -u -d "$(openssl x509 -in "$T/ca.crt" -noout -enddate | cut -d= -f2)" +%F)" = "$want" ] ||
	fail "--years 10: the CA ends $(openssl x509 -in "$T/ca.crt" -noout -enddate), want $want"
$W trust list --trust "$T" --json | jq -e --arg d "$want" '.members[] | select(.role == "org-root") | .not_after | startswith($d)' >/dev/null ||
	fail "--years 10: the root's roster entry does not end on $want"
expect 3 $W trust init --trust "$T" --root-key root.key --passphrase-file root.pw
expect 0 $W trust add tech.pub --trust "$T" --root-key root.key --passphrase-file root.pw
expect 0 $W trust add appr.pub --trust "$T" --root-key root.key --passphrase-file root.pw
grep -q "certificate sha256" out || fail "approver got no certificate"
crt0=$(cat "$T"/members/*.crt)  # only Hanako's so far
expect 3 $W trust add appr.pub --trust "$T" --root-key root.key --passphrase-file root.pw
[ "$(cat "$T"/members/*.crt)" = "$crt0" ] || fail "second add replaced the certificate"
# only the root may change the roster
expect 0 $W key new --name "Other" --role technician --org "Example City" -o other --passphrase-file tech.pw $K
expect 1 $W trust add other.pub --trust "$T" --root-key tech.key --passphrase-file tech.pw
grep -q "not an org-root key" err || fail "non-root roster change: $(cat err)"
expect 0 $W trust verify --trust "$T"
expect 0 $W trust list --trust "$T" --json
grep -q '"role": "approver"' out || fail "list lacks the approver"

# an approver enrolled at key creation: certificate from the CA at once
expect 0 $W key new --name "Sachiko" --role approver -o sachiko --trust "$T" --passphrase-file appr.pw $K \
	--root-key root.key --root-passphrase-file root.pw
grep -q "certificate sha256" out || fail "key new --root-key issued no certificate: $(cat out)"
grep -q "trust add" out && fail "key new --root-key enrolled the key, yet says to run trust add: $(cat out)"
grep -q "enrolled in $T" out || fail "key new --root-key does not say it is enrolled: $(cat out)"
# a root key file that is not there is named before any key is made
expect 1 $W key new --name "Nobody" --role technician -o nobody --trust "$T" --passphrase-file tech.pw $K \
	--root-key no-such-root.key --root-passphrase-file root.pw
grep -q "no-such-root.key: cannot read the secret key: No such file" err || fail "missing root key: $(cat err)"
[ ! -e nobody.key ] || fail "a key was made that could not be enrolled"
id=$($W key show sachiko.pub --json | sed 's/.*"keyid": "\([0-9A-F]*\)".*/\1/')
openssl verify -CAfile "$T/ca.crt" "$T/members/$id.crt" >/dev/null || fail "enrolled certificate"

# --org defaults to the trust directory's organisation
expect 0 $W key new --name "Jiro" --role technician -o jiro --trust "$T" --passphrase-file tech.pw $K --json
grep -q '"org": "Example City"' out || fail "--org default: $(cat out)"

# the roster itself is a minisign-signed file
minisign -Vq -m "$T/roster.json" -p "$T/root.pub" || fail "minisign rejects the roster"
minisign -Vq -m "$T/revoked.json" -p "$T/root.pub" || fail "minisign rejects the revocation list"

# sign a wipe record, verify with wipecert and minisign
printf '{"serial":"WD-1","type":"wipe-record"}' >rec.json
expect 0 $W key sign -k tech.key --type wipe-record rec.json --passphrase-file tech.pw
expect 0 $W key verify --type wipe-record rec.json --trust "$T" --json
grep -q '"valid": true' out || fail "not valid: $(cat out)"
minisign -Vq -m rec.json -p tech.pub || fail "minisign rejects our signature"
grep -q '^trusted comment: {"doc":"wipe-record"' rec.json.minisig || fail "trusted comment lacks the document type"
# altered: both refuse
printf '{"serial":"WD-2","type":"wipe-record"}' >rec2.json
cp rec.json.minisig rec2.json.minisig
expect 1 $W key verify --type wipe-record rec2.json --trust "$T"
grep -q "altered" err || fail "no reason: $(cat err)"
minisign -Vq -m rec2.json -p tech.pub 2>/dev/null && fail "minisign accepts an altered file"

# the wrong role: refused when signing and when verifying
printf '{"record":"WD-1","type":"approval"}' >appr.json
expect 3 $W key sign -k tech.key --type approval appr.json --passphrase-file tech.pw
[ -e appr.json.minisig ] && fail "refused signature left a file"
expect 0 $W key sign -k appr.key --type approval appr.json --passphrase-file appr.pw
expect 0 $W key verify --type approval appr.json --trust "$T"
expect 1 $W key verify --type wipe-record appr.json --trust "$T"
grep -q "role may not sign" err || fail "wrong role not named: $(cat err)"
# a document whose type field disagrees
expect 3 $W key sign -k tech.key --type wipe-record appr.json -x x.minisig --passphrase-file tech.pw

# wrong passphrase: a clear error, no partial files
before=$(ls)
expect 1 $W key sign -k tech.key --type wipe-record rec2.json -x new.minisig --passphrase-file wrong.pw
grep -q "wrong passphrase" err || fail "wrong passphrase not said: $(cat err)"
[ "$(ls | grep -v -x -e out -e err)" = "$(echo "$before" | grep -v -x -e out -e err)" ] || fail "files left behind"


# no terminal and no --passphrase-file: a clear error, nothing asked on stdin
expect 1 setsid -w $W key sign -k tech.key --type wipe-record rec2.json -x n.minisig </dev/null
grep -q "no terminal" err || fail "missing terminal not said: $(cat err)"
[ -e n.minisig ] && fail "signature written without a passphrase"

# the passphrase from a terminal: asked twice, never echoed
command -v script >/dev/null || fail "script (bsdutils) is not installed"
(sleep 0.5; printf 'tty-secret-pw\n'; sleep 0.5; printf 'tty-secret-pw\n'; sleep 2) |
	script -qec "$W key new --name T --role technician --org 'Example City' -o ttykey --kdf min" /dev/null >tty.out 2>&1
grep -q "passphrase for ttykey.key" tty.out || fail "no prompt: $(cat tty.out)"
grep -q "tty-secret-pw" tty.out && fail "passphrase echoed"
printf 'tty-secret-pw\n' >ttykey.pw
expect 0 $W key sign -k ttykey.key --type wipe-record rec.json -x tty.minisig --passphrase-file ttykey.pw

# a new passphrase: the old one no longer opens the key
cp tech.key techp.key
printf 'tech pass 2\n' >tech2.pw
expect 1 $W key passwd -k techp.key --passphrase-file wrong.pw --new-passphrase-file tech2.pw $K
cmp -s tech.key techp.key || fail "failed passwd changed the key"
expect 0 $W key passwd -k techp.key --passphrase-file tech.pw --new-passphrase-file tech2.pw $K
expect 1 $W key sign -k techp.key --type wipe-record rec.json -x p.minisig --passphrase-file tech.pw
expect 0 $W key sign -k techp.key --type wipe-record rec.json -x p.minisig --passphrase-file tech2.pw
[ "$(stat -c %a techp.key)" = 600 ] || fail "passwd changed the mode"

# a secret key others can read is refused as ssh refuses one: exit 3, the
# mode and the chmod 600 hint, before the passphrase is asked (no terminal,
# no passphrase file: still the permission is what is said)
cp tech.key open.key
for mode in 644 640 604 660 602; do
	chmod $mode open.key
	expect 3 setsid -w $W key sign -k open.key --type wipe-record rec.json -x o.minisig </dev/null
	grep -q "open.key: permissions 0$mode are too open: .*(chmod 600 open.key)" err ||
		fail "mode $mode: $(cat err)"
	[ -e o.minisig ] && fail "a key readable by others signed"
done
chmod 600 open.key
expect 0 $W key sign -k open.key --type wipe-record rec.json -x o.minisig --passphrase-file tech.pw
# ... on every path that loads a key: the roster's root, the ledger's signer
chmod 644 root.key
expect 3 $W trust add other.pub --trust "$T" --root-key root.key --passphrase-file root.pw
grep -q "chmod 600 root.key" err || fail "root key: $(cat err)"
expect 3 $W ledger --db "$tmp/l.db" add X-1 --key root.key --passphrase-file root.pw
[ -e "$tmp/l.db" ] && fail "a ledger was written with a key others can read"
chmod 600 root.key

# truncated key file and unknown algorithm tag
head -c 60 tech.key >trunc.key
chmod 600 trunc.key
expect 1 $W key sign -k trunc.key --type wipe-record rec.json -x t.minisig --passphrase-file tech.pw
grep -q "truncated" err || fail "truncation not said: $(cat err)"
sed '2s/^RW/RX/' tech.pub >alg.pub   # "Ed" -> "Eu"...
expect 1 $W key show alg.pub
grep -q "unknown algorithm" err || fail "unknown algorithm not said: $(cat err)"

# X.509: openssl and NSS accept the approver certificate
crt=$(for f in "$T"/members/*.crt; do openssl x509 -in "$f" -noout -subject | grep -q Hanako && echo "$f"; done)
openssl verify -CAfile "$T/ca.crt" "$crt" >/dev/null || fail "openssl verify rejects the approver certificate"
openssl x509 -in "$crt" -noout -subject | grep -q "CN = Hanako, O = Example City" || fail "subject"
command -v certutil >/dev/null || fail "certutil (libnss3-tools) is not installed"
mkdir nss && certutil -N -d sql:nss --empty-password &&
	certutil -A -d sql:nss -n ca -t C,C, -i "$T/ca.crt" &&
	certutil -A -d sql:nss -n appr -t ,, -i "$crt" &&
	certutil -V -d sql:nss -n appr -u S >/dev/null || fail "certutil rejects the certificate"

# import-p12: an approver certificate from the organisation's own PKI
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki.key -out pki.crt \
	-subj "/CN=PKI CA/O=Example City" -days 30 2>/dev/null || fail "openssl req"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ee.key -out ee.csr \
	-subj "/CN=Hanako/O=Example City" 2>/dev/null
openssl x509 -req -in ee.csr -CA pki.crt -CAkey pki.key -CAcreateserial -out ee.crt -days 30 2>/dev/null
openssl pkcs12 -export -inkey ee.key -in ee.crt -certfile pki.crt -passout pass:p12pw -out ee.p12 2>/dev/null
printf 'p12pw\n' >p12.pw
cp appr.key appr.key.orig
# a key file that is not there is named as such, before any passphrase is asked
expect 1 $W key import-p12 ee.p12 -k no-such.key --p12-passphrase-file p12.pw
grep -q "no-such.key: cannot read the secret key: No such file" err || fail "missing key: $(cat err)"
grep -q "terminal" err && fail "missing key reported as a terminal problem: $(cat err)"
expect 1 $W key import-p12 ee.p12 -k appr.key --p12-passphrase-file wrong.pw --passphrase-file appr.pw $K
cmp -s appr.key appr.key.orig || fail "failed import changed the key"
[ -e appr.crt ] && fail "failed import left a certificate"
expect 0 $W key import-p12 ee.p12 -k appr.key --p12-passphrase-file p12.pw --passphrase-file appr.pw $K
[ "$(grep -c BEGIN appr.crt)" = 2 ] || fail "imported chain not written"
openssl verify -CAfile pki.crt appr.crt >/dev/null 2>&1 || fail "imported certificate"

# a contractor: its own roster, accepted once our root pins its root
C=$tmp/itad
expect 0 $W key new --name "ITAD Root" --role org-root --org "ITAD Co" -o croot --passphrase-file root.pw $K
expect 0 $W key new --name "Kenji" --role contractor-technician --org "ITAD Co" -o ctech --passphrase-file tech.pw $K
expect 0 $W trust init --contractor --trust "$C" --root-key croot.key --passphrase-file root.pw
expect 3 $W trust add appr.pub --org "ITAD Co" --trust "$C" --root-key croot.key --passphrase-file root.pw
expect 0 $W trust add ctech.pub --trust "$C" --root-key croot.key --passphrase-file root.pw
printf '{"serial":"WD-9","type":"wipe-record"}' >crec.json
expect 0 $W key sign -k ctech.key --type wipe-record crec.json --passphrase-file tech.pw
expect 3 $W trust import "$C" --trust "$T"
[ -d "$T/contractors" ] && [ -n "$(ls "$T/contractors")" ] && fail "unpinned contractor files kept"
expect 1 $W key verify --type wipe-record crec.json --trust "$T"
grep -q "organisation is neither ours nor a pinned contractor" err || fail "unknown org not named: $(cat err)"
expect 0 $W trust pin croot.pub --org "ITAD Co" --trust "$T" --root-key root.key --passphrase-file root.pw
expect 0 $W trust import "$C" --trust "$T"
expect 0 $W key verify --type wipe-record crec.json --trust "$T" --json
grep -q '"org": "ITAD Co"' out || fail "contractor record: $(cat out)"
expect 0 $W trust verify --trust "$T"

# revocation: later signatures are refused with the reason
expect 0 $W trust revoke tech.pub --trust "$T" --root-key root.key --passphrase-file root.pw --reason key-compromise
expect 0 $W trust list --trust "$T"
grep -q "revoked" out || fail "list does not show the revocation"
expect 1 $W key verify --type wipe-record rec.json --trust "$T"
grep -q "revoked" err || fail "revocation not named: $(cat err)"

# tampered roster: nothing verifies
sed -i 's/"role":"approver"/"role":"org-root"/' "$T/roster.json"
expect 1 $W trust verify --trust "$T"
grep -q "roster.json" err || fail "tampered roster not named: $(cat err)"
exit 0
