#!/usr/bin/env bash
# cert_ledger.sh - `verify --db`: a certificate is VALID only as the
# asset's current disposal, this very file as the ledger recorded it at
# issue; a later change of the asset makes it SUPERSEDED (exit 4); a
# certificate for the wrong asset, disk or event, an unknown asset, or an
# asset the ledger cannot identify fails. audit says the same.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.bash"
need_cmd qpdf
[ "$BACKEND" = postgresql ] || need_cmd sqlite3
FORGE=${FORGE:-$(dirname "$WIPECERT")/tests/tools/forge}
[ -x "$FORGE" ] || fail "no test-only forger at $FORGE (make check builds it)"
W=$WIPECERT
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
PASS=$C/passphrase.txt
cd "$T" || exit 1
DB=$(new_ledger ledger) || exit 1
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$DB WIPECERT_TRUST=$C/trust
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")

certify() { # ASSET IMAGE: wipe, seal, approve; prints the PDF
	local j
	truncate -s 2M "$2"
	j=$("$W" wipe --method random --verify last --confirm-serial "$2" --json "$2" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])') || return 1
	"$W" seal "$j" --asset "$1" "${TECH[@]}" >/dev/null 2>&1 || return 1
	"$W" approve "$j" "${APPR[@]}" --yes --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pdf"])'
}
v() { "$W" verify --db "$DB" "$@" >"$T/out" 2>"$T/err"; }
# refused PATTERN ARG...: verify says invalid (exit 1, no crash), the ledger
# is not changed by looking at it, and stderr gives the ledger's reason
refused() { local pat=$1; shift; expect_refused 1 "$pat" "db:$DB" -- "$W" verify --db "$DB" "$@"; }
"$W" ledger add A --media-type "disk image" --serial A-SERIAL --wwn 0x5000c500a1b2c3d4 --class 2 "${TECH[@]}" >/dev/null 2>&1 &&
	"$W" ledger add B --media-type "disk image" --serial B-SERIAL --class 2 "${TECH[@]}" >/dev/null 2>&1 &&
	"$W" ledger add R --media-type "disk image" --serial R-SERIAL --class 3 "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
# a change the policy depends on: requested by the technician, approved by the approver
approved_edit() {
	"$W" ledger edit "$@" "${TECH[@]}" >/dev/null 2>&1 || return 1
	"$W" ledger approve-change "$(lsql "$DB" "SELECT max(seq) FROM events WHERE kind = 'request'")" \
		"${APPR[@]}" >/dev/null 2>&1
}
PA=$(certify A a.img) && [ -s "$PA" ] || fail "certify A"
v "$PA" || fail "A's certificate: $(cat "$T/err")"
grep -q "ledger  *ok  *asset A: its current disposal (event [0-9]*, this PDF's sha256)" "$T/out" ||
	fail "ledger check: $(cat "$T/out")"
v --asset A "$PA" || fail "--asset A: $(cat "$T/err")"
# the certificate of A presented for B
refused "ledger: the certificate is for asset A, not B" --asset B "$PA"

# one byte changed: whatever else notices, the ledger's SHA-256 does
python3 - "$PA" one.pdf <<'PY' || fail "flip"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[10] ^= 0x01  # the binary comment of the header: signed, read by nobody
open(sys.argv[2], "wb").write(b)
PY
refused "ledger: this file (sha256 [0-9a-f]*...) is not the PDF the ledger recorded at issue" one.pdf

# the approver's own word on the ledger entry and event is checked against
# the ledger: A's disk under B's entry, another asset's event, an unknown asset
qpdf --show-attachment=record.json "$PA" >rec.json
qpdf --show-attachment=wipe-record.json "$PA" >w.json
qpdf --show-attachment=wipe-record.json.minisig "$PA" >w.json.minisig
HB=$("$W" ledger history B --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["hash"])') || fail "B's event"
n=0
forged() { # PYTHON-EDIT: the test-only approver signs an edited record
	n=$((n + 1))
	python3 - rec.json "r$n.src" "$1" <<'PY' || fail "edit"
import json, sys
d = json.load(open(sys.argv[1]))
# another ID than the genuine one (its last two hex digits are 1 in 256
# times the ones put here: then the ledger knows the ID, a test of something else)
tail = "%02d" % len(sys.argv[3])
if d["certificate_id"].endswith(tail):
    tail = "%02d" % (len(sys.argv[3]) + 1)
d["certificate_id"] = d["certificate_id"][:-2] + tail
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
	"$FORGE" canon "r$n.src" "r$n.json" &&
		"$FORGE" sign --key "$C/test-only-approver.key" --pass "$PASS" --type certificate "r$n.json" &&
		"$FORGE" pdf --record "r$n.json" --attach "record.json.minisig=r$n.json.minisig" --attach wipe-record.json=w.json \
			--attach wipe-record.json.minisig=w.json.minisig --approver-key "$C/test-only-approver.key" --pass "$PASS" \
			--trust "$C/trust" -o "f$n.pdf" || fail "forge f$n.pdf"
	"$W" verify "f$n.pdf" >/dev/null 2>&1 || fail "f$n.pdf does not verify offline"
	echo "f$n.pdf"
}
F=$(forged "d['ledger']['entry'] = 'B'")
refused "ledger: asset B: serial mismatch" "$F"
F=$(forged "d['ledger']['event_hash'] = '$HB'")
refused "ledger: asset A has no ledger event" "$F"
F=$(forged "d['ledger']['entry'] = 'NO-SUCH'")
refused "ledger: the ledger has no asset NO-SUCH" "$F"
# ... and a genuine-looking record the ledger never recorded
F=$(forged "pass")
refused "ledger: the ledger never recorded certificate" "$F"

# the same certificate, signed again by its approver: another file than
# the one recorded at issue (only the ledger can tell)
qpdf --show-attachment=record.json.minisig "$PA" >rec.json.minisig
"$FORGE" pdf --record rec.json --attach record.json.minisig=rec.json.minisig --attach wipe-record.json=w.json \
	--attach wipe-record.json.minisig=w.json.minisig --approver-key "$C/test-only-approver.key" --pass "$PASS" \
	--trust "$C/trust" --time "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["issued_at"])' rec.json)" \
	-o again.pdf || fail "forge again.pdf"
cmp -s again.pdf "$PA" && fail "the re-signed file is the same"
"$W" verify again.pdf >/dev/null 2>&1 || fail "the re-signed certificate does not verify offline"
refused "ledger: this file (sha256 [0-9a-f]*...) is not the PDF the ledger recorded at issue" again.pdf

# an edited ledger (a copy): the recorded hash changed in the store, its
# triggers out of the way; the chain says so
F=$(ledger_clone "$DB" edited) || exit 1
ledger_untrigger "$F"
SHA=$(sha256sum again.pdf | cut -c1-64)
if [ "$BACKEND" = postgresql ]; then pos=strpos; else pos=instr; fi
lsql "$F" "UPDATE events SET reason = substr(reason, 1, $pos(reason, 'pdf sha256 ') + 10) || '$SHA'
	WHERE reason LIKE 'certificate % issued%' AND asset_id = 'A'" >/dev/null || fail "edit the store"
expect_refused 1 "ledger: the ledger's chain is broken" "db:$F" -- "$W" verify --db "$F" again.pdf

# back in service: the old certificate is SUPERSEDED, exit 4, never VALID
approved_edit A --status in-service --reason "reused after all" || fail "edit A"
v "$PA"
rc=$?
[ $rc -eq 4 ] || fail "back in service: exit $rc, want 4: $(cat "$T/err")"
grep -q "^$PA: SUPERSEDED" "$T/out" || fail "no SUPERSEDED: $(cat "$T/out")"
grep -q "ledger: superseded: the asset became in-service" "$T/err" || fail "why: $(cat "$T/err")"
"$W" verify --db "$DB" --json "$PA" 2>/dev/null | grep -q '"verdict": "superseded"' || fail "--json verdict"
# re-registered with another serial
PR=$(certify R r.img) && [ -s "$PR" ] || fail "certify R"
v "$PR" || fail "R's certificate: $(cat "$T/err")"
expect_rc 0 "$W" audit --from 2000-01-01 --to 2100-01-01 --json
python3 - "$T/out" "$PR" <<'PY' || fail "audit R: $(cat "$T/out")"
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["rows"] if r["file"] == sys.argv[2]][0]
assert r["certificate_status"] == "verified" and r["verified"], r
PY
approved_edit R --serial R-SERIAL-NEW --reason "registered again" || fail "edit R"
v "$PR"
rc=$?
[ $rc -eq 4 ] || fail "re-registered: exit $rc, want 4: $(cat "$T/err")"
grep -q "ledger: superseded: the asset was registered again" "$T/err" || fail "why: $(cat "$T/err")"
# audit lists both as superseded, not failed
expect_rc 0 "$W" audit --from 2000-01-01 --to 2100-01-01 --json
python3 - "$T/out" "$PA" "$PR" <<'PY' || fail "audit: superseded rows"
import json, sys
d = json.load(open(sys.argv[1]))
rows = {r["file"]: r for r in d["rows"]}
for f in sys.argv[2:]:
    assert rows[f]["certificate_status"] == "superseded" and rows[f]["superseded"], rows[f]
assert d["failed"] == 0, d
PY

# no identity on record: nothing ties a certificate to a disk; verify
# and audit decide alike (one rule, flow_cert_check)
"$W" ledger add N --media-type "disk image" --class 3 "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add N"
PN=$(certify N n.img) && [ -s "$PN" ] || fail "certify N (an image file without identity)"
refused "ledger: asset N: the ledger holds no serial or WWN for it" "$PN"
mkdir aud && cp "$PN" aud/
expect_rc 1 "$W" audit --state-dir aud --from 2000-01-01 --to 2100-01-01 --json
python3 - "$T/out" <<'PY' || fail "audit N: $(cat "$T/out")"
import json, sys
# the state directory's copy (the ledger's own copies of the others are rows too)
r = [r for r in json.load(open(sys.argv[1]))["rows"] if r["file"] and r["file"].startswith("aud/")][0]
assert r["certificate_status"] == "FAILED" and "holds no serial or WWN" in r["problems"], r
PY
exit 0
