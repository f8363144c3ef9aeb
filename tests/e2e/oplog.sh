#!/usr/bin/env bash
# oplog.sh - the operation log without a syslog daemon: a datagram socket
# bound here, named by $WIPECERT_SYSLOG_SOCKET (and once the default
# /dev/log, in a mount namespace of our own), receives exactly one line
# per command that acted or refused, with its fields; read-only commands
# and usage errors send none. The events an audit needs go into the
# ledger too, signed by the key the command loaded: a refused wipe, a
# refused approval, an interrupted wipe, checked with sqlite3 and
# `ledger verify --trust`; without a key they stay out of the ledger and
# the line says so.
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_cmd sqlite3; need_cmd python3
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$T/ledger.db WIPECERT_TRUST=$C/trust
export WIPECERT_SYSLOG_SOCKET=$T/log.sock
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$C/passphrase.txt")
TECH_ID=E060C2396575B022 APPR_ID=EE9656F0FA4C7EA5

# the syslog daemon of this test: one line a datagram, in arrival order
cat >"$T/recv.py" <<'PY'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
f = open(out, "ab", buffering=0)
open(path + ".ready", "w").close()
while True:
    d = s.recv(65536)
    if d == b"STOP":
        break
    f.write(d.replace(b"\n", b"\\n") + b"\n")
PY
listen() { # SOCKET OUT: a receiver, stopped by the exit trap
	python3 "$T/recv.py" "$1" "$2" &
	RECV+=($!)
	for _ in $(seq 50); do [ -e "$1.ready" ] && return 0; sleep 0.1; done
	fail "the test's syslog socket did not come up"
}
RECV=()
trap 'for p in "${RECV[@]}"; do kill "$p" 2>/dev/null; done; cleanup' EXIT
listen "$T/log.sock" "$T/syslog"
touch "$T/syslog"

seen=0
# new_lines: the lines sent since the last call, into $T/new (a datagram
# is queued before the sender's send() returns; give the receiver a moment)
new_lines() {
	sleep 0.2
	tail -n +"$((seen + 1))" "$T/syslog" >"$T/new"
	seen=$((seen + $(wc -l <"$T/new")))
}
# one_line WHAT PATTERN...: exactly one new line, holding every pattern
one_line() {
	local what=$1 p
	shift
	new_lines
	[ "$(grep -c . "$T/new")" -eq 1 ] || fail "$what: want one line, got: $(cat "$T/new")"
	LINE=$(cat "$T/new")
	for p in "$@"; do # a pattern, or =TEXT for the text itself
		if [ "${p#=}" != "$p" ]; then
			grep -qF -- "${p#=}" <<<"$LINE" || fail "$what: no '${p#=}' in: $LINE"
		else
			grep -q -- "$p" <<<"$LINE" || fail "$what: no '$p' in: $LINE"
		fi
	done
}
no_line() { new_lines; [ -s "$T/new" ] && fail "$1: a line was sent: $(cat "$T/new")"; return 0; }
events() { sqlite3 "$T/ledger.db" "SELECT count(*) FROM events"; }
last_event() { sqlite3 -separator '|' "$T/ledger.db" "SELECT seq, kind, asset_id, key_id, reason FROM events ORDER BY seq DESC LIMIT 1"; }

# ---- registering: an act with a key, one line ----
expect_rc 0 "$W" ledger add IMG-1 --media-type "disk image" --model "oplog image" --serial OPLOG-S1 --class 3 \
	--status awaiting-erasure "${TECH[@]}"
one_line "ledger add" '^<85>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} wipecert\[[0-9]*\]: op=ledger verb=add outcome=ok exit=0 ' \
	" user=[^ ]* uid=$(id -u) time=20[0-9-]*T[0-9:]*Z duration_s=[0-9]* " "args=\"add IMG-1 --media-type .*passphrase.txt\"$"

# ---- nothing acted, nothing sent ----
truncate -s 4M "$T/a.img"
printf 'TAX-RECORDS-2019' | dd of="$T/a.img" bs=1 seek=8192 conv=notrunc status=none
cp "$T/a.img" "$T/a.orig"
expect_rc 0 "$W" ledger list
expect_rc 0 "$W" list --json "$T/a.img"
expect_rc 0 "$W" wipe --list-methods
expect_rc 0 "$W" wipe --help
expect_rc 0 "$W" wipe --method zero --dry-run "$T/a.img"
expect_rc 2 "$W" wipe --method no-such-method "$T/a.img"
expect_rc 0 "$W" version
no_line "read-only commands, help, dry run, usage errors"

# ---- a refusal without a key: the line, and nothing in the ledger ----
n=$(events)
expect_rc 3 "$W" wipe --method zero --asset IMG-1 "$T/a.img" </dev/null
one_line "refused wipe, no key" '^<84>' ' op=wipe outcome=refused exit=3 ' ' asset=IMG-1 ' \
	'reason=".*a.img: not confirmed: pass --confirm-serial' ' ledger="none: no key given" '
expect_eq "ledger events after a refusal without a key" "$(events)" "$n"
cmp -s "$T/a.img" "$T/a.orig" || fail "a refused wipe wrote"

# ---- a refusal with the technician's key: noted in IMG-1's history, signed ----
expect_rc 3 "$W" wipe --method zero --asset IMG-1 "${TECH[@]}" "$T/a.img" </dev/null
one_line "refused wipe, with a key" ' outcome=refused ' ' asset=IMG-1 ' ' ledger=seq:[0-9]* '
seq=$(sed -n 's/.* ledger=seq:\([0-9]*\) .*/\1/p' <<<"$LINE")
expect_eq "the refusal's event" "$(last_event)" \
	"$seq|note|IMG-1|$TECH_ID|refused: wipe: $T/a.img: not confirmed: pass --confirm-serial $T/a.img (it has no serial: its path)"
cmp -s "$T/a.img" "$T/a.orig" || fail "a refused wipe wrote"
# a refusal for an asset the ledger does not have: nothing to hang it on
n=$(events)
expect_rc 3 "$W" wipe --method zero --asset NO-SUCH "${TECH[@]}" --confirm-serial "$T/a.img" "$T/a.img"
one_line "refused wipe of an unknown asset" ' outcome=refused ' ' asset=NO-SUCH ' 'reason=".*NO-SUCH is not in the ledger' \
	' ledger="none: no such asset" '
expect_eq "ledger events after a refusal for no asset" "$(events)" "$n"

# ---- a wipe: its job and result; the seal is its ledger event ----
expect_rc 0 "$W" wipe --method zero --asset IMG-1 --confirm-serial "$T/a.img" "${TECH[@]}" --json "$T/a.img"
J1=$(json_get "$T/out" 'd["jobs"][0]["id"]')
one_line "sealed wipe" '^<85>' ' op=wipe outcome=ok exit=0 ' ' asset=IMG-1 ' " job=$J1 result=wiped-and-verified "
grep -q " ledger=" <<<"$LINE" && fail "a sealed wipe needs no note: $LINE"
sqlite3 "$T/ledger.db" "SELECT reason FROM events WHERE asset_id = 'IMG-1' AND kind = 'update'" | grep -q "wipe verified: job $J1" ||
	fail "no seal event for $J1"

# ---- interrupted: the line, and the note (resumable, not sealed) ----
truncate -s 64M "$T/b.img"
"$W" ledger add IMG-2 --media-type "disk image" --serial OPLOG-S2 --class 3 "${TECH[@]}" >/dev/null 2>&1 || fail "add IMG-2"
new_lines
"$W" wipe --method zero --max-rate 4M --asset IMG-2 --confirm-serial "$T/b.img" "${TECH[@]}" "$T/b.img" \
	>"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do ls "$T/state"/*b.img*.json >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1
kill -INT "$pid"
wait "$pid"
expect_eq "interrupted wipe's exit" "$?" 1
J2=$(basename "$(ls "$T/state"/*b.img*.json | grep -v wipe-record)" .json)
one_line "interrupted wipe" '^<83>' ' op=wipe outcome=interrupted exit=1 ' " job=$J2 result=interrupted " ' ledger=seq:'
expect_eq "the interruption's event" "$(last_event | cut -d'|' -f2-4)" "note|IMG-2|$TECH_ID"
last_event | grep -q "wipe interrupted: job $J2 (zero), pass 1 of 1; not sealed, continue with 'wipecert resume $J2'" ||
	fail "the interruption's note: $(last_event)"
# resumed and sealed: the seal is the event, no note
expect_rc 0 "$W" resume --max-rate 0 "${TECH[@]}" "$J2"
one_line "resumed wipe" ' op=resume outcome=ok ' " job=$J2 " ' result=wiped-and-verified ' ' asset=IMG-2 '

# ---- a failed wipe, sealed: the seal's event says FAILED (verify-zero on data) ----
printf 'X' | dd of="$T/a.img" bs=1 seek=1000 conv=notrunc status=none
expect_rc 1 "$W" wipe --method verify-zero --asset IMG-1 --confirm-serial "$T/a.img" "${TECH[@]}" "$T/a.img"
one_line "failed wipe" '^<83>' ' op=wipe outcome=failed exit=1 ' ' result=failed '
sqlite3 "$T/ledger.db" "SELECT reason FROM events WHERE asset_id = 'IMG-1' ORDER BY seq DESC LIMIT 1" |
	grep -q "^wipe FAILED: job .* (verify-zero)" || fail "the failed wipe's seal: $(last_event)"

# ---- approval refused (a technician's key), then approved, then a reject ----
expect_rc 3 "$W" approve "$J1" "${TECH[@]}" --yes
one_line "refused approval" ' op=approve outcome=refused ' " case=$J1 " ' asset=IMG-1 ' 'a technician key may not approve' \
	' ledger=seq:'
expect_eq "the refused approval's event" "$(last_event | cut -d'|' -f2-4)" "note|IMG-1|$TECH_ID"
expect_rc 0 "$W" approve "$J1" "${APPR[@]}" --yes --json
CID=$(json_get "$T/out" 'd["certificate_id"]')
one_line "approval" '^<85>' ' op=approve outcome=ok exit=0 ' " case=$J1 " ' asset=IMG-1 ' " certificate=$CID "
sqlite3 "$T/ledger.db" "SELECT key_id, reason FROM events ORDER BY seq DESC LIMIT 1" | grep -q "^$APPR_ID|certificate $CID issued" ||
	fail "the approval's event: $(last_event)"
truncate -s 2M "$T/c.img"
expect_rc 0 "$W" wipe --method zero --confirm-serial "$T/c.img" --json "$T/c.img"
J3=$(json_get "$T/out" 'd["jobs"][0]["id"]')
new_lines
"$W" ledger add IMG-3 --media-type "disk image" --serial OPLOG-S3 --class 3 "${TECH[@]}" >/dev/null 2>&1 || fail "add IMG-3"
expect_rc 0 "$W" seal "$J3" --asset IMG-3 "${TECH[@]}"
new_lines
expect_rc 0 "$W" reject "$J3" "${APPR[@]}" --yes --reason "wrong disk"
one_line "rejection" ' op=reject outcome=ok ' " case=$J3 " ' asset=IMG-3 '
sqlite3 "$T/ledger.db" "SELECT key_id, reason FROM events WHERE asset_id = 'IMG-3' ORDER BY seq DESC LIMIT 1" |
	grep -q "^$APPR_ID|wipe record of case $J3 rejected by TEST ONLY Approver: wrong disk" ||
	fail "the rejection's event: $(last_event)"

# ---- the ledger: every event signed by its actor, the chain intact ----
expect_rc 0 "$W" ledger verify --trust "$C/trust" --json
expect_eq "signed events" "$(json_get "$T/out" 'd["signatures"]["signed"]')" "$(events)"
expect_eq "refusal notes" "$(sqlite3 "$T/ledger.db" "SELECT count(*) FROM events WHERE reason LIKE 'refused: %'")" 2

# ---- quoting: a reason with quotes and a newline stays one line, one field ----
new_lines
expect_rc 3 "$W" reject "$J3" "${APPR[@]}" --yes --reason $'say "no"\nagain'
one_line "quoted" ' outcome=refused ' "=args=\"$J3 --key " "=--reason 'say \\\"no\\\"\\x0aagain'\""

# ---- Japanese messages: the same keys, the reason as the operator read it ----
if locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$'; then
	LANG=ja_JP.UTF-8 LC_ALL= expect_rc 3 "$W" wipe --method zero "$T/c.img" </dev/null
	one_line "Japanese" ' op=wipe outcome=refused exit=3 ' 'reason=".*c.img: '
fi

# ---- no syslog listening: the command is as it was, no warning ----
export WIPECERT_SYSLOG_SOCKET=$T/nobody.sock
expect_rc 3 "$W" wipe --method zero "$T/c.img" </dev/null
grep -q "operation log" "$T/err" && fail "a station without syslog is warned: $(cat "$T/err")"
# ... a listener that takes nothing more (a full socket buffer): warned after 1 s, the command's exit stays
python3 - "$T/full.sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
c.connect(sys.argv[1])
c.setblocking(False)
try:
    while True:
        c.send(b"x" * 512)
except BlockingIOError:
    pass
open(sys.argv[1] + ".ready", "w").close()
time.sleep(60)
PY
RECV+=($!)
for _ in $(seq 50); do [ -e "$T/full.sock.ready" ] && break; sleep 0.1; done
[ -e "$T/full.sock.ready" ] || fail "the full socket did not come up"
export WIPECERT_SYSLOG_SOCKET=$T/full.sock
expect_rc 3 "$W" wipe --method zero "$T/c.img" </dev/null
grep -q "the operation log could not be sent" "$T/err" || fail "a stuck syslog: $(cat "$T/err")"

# ---- the default socket, /dev/log, in a mount namespace of our own ----
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	unset WIPECERT_SYSLOG_SOCKET
	# outside /dev (TMPDIR may be /dev/shm, which the namespace covers)
	N=$(mktemp -d /tmp/wipecert-oplog-ns.XXXXXX)
	trap 'for p in "${RECV[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$N"; cleanup' EXIT
	cp "$T/recv.py" "$N/" && truncate -s 1M "$N/d.img"
	unshare -m --propagation private bash -c '
		mount -t tmpfs tmpfs /dev || exit 90
		: >/dev/null # an empty file: stdin for what runs below
		python3 "$1/recv.py" /dev/log "$1/devlog" & r=$!
		for _ in $(seq 50); do [ -e /dev/log.ready ] && break; sleep 0.1; done
		"$2" wipe --method zero "$1/d.img" </dev/null >"$1/out" 2>&1
		sleep 0.3; kill $r' _ "$N" "$W"
	rc=$?
	[ $rc -eq 90 ] && skip "cannot mount a tmpfs on /dev in a mount namespace"
	[ "$(grep -c . "$N/devlog")" -eq 1 ] || fail "/dev/log: want one line, got: $(cat "$N/devlog" "$N/out")"
	grep -q '^<84>.* wipecert\[[0-9]*\]: op=wipe outcome=refused exit=3 ' "$N/devlog" || fail "/dev/log: $(cat "$N/devlog")"
	[ -e /dev/log ] && [ ! -S /dev/log ] && fail "the namespace leaked a /dev/log"
fi
exit 0
