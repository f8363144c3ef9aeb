#!/usr/bin/env bash
# station_key.sh - the technician's key at the station, in a real
# pseudo-terminal: unlocked once it sits in locked memory (VmLck grows,
# checked with a binary built without AddressSanitizer, which makes mlock
# a no-op: WIPECERT_PLAIN);
# after the idle time it is wiped (VmLck shrinks) and the screen asks
# anew; a key whose roster entry has expired is refused with a message
# on the screen, stays locked, and nothing can be started or written.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/station-lib.bash"
"$W" ledger add KEY-IMG --media-type "disk image" --class 3 --status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add"
yes WIPECERT-MARKER | head -c 4M >"$T/k.img"
cp "$T/k.img" "$T/k.orig"

vmlck() { # kB of locked memory of the station
	local pane pid
	pane=$(tm list-panes -t "$STATION_SESSION" -F '#{pane_pid}')
	pid=$(ps -o pid= --ppid "$pane" | head -n 1)
	awk '/^VmLck:/ { print $2 }' "/proc/${pid// /}/status"
}

# AddressSanitizer makes mlock() a no-op (its interceptor), so VmLck says
# something only of a binary built without it: make check builds one
# (build/wipecert) and names it in WIPECERT_PLAIN. Without one the check
# fails: it never silently does not run.
if ldd "$W" | grep -q libasan; then
	PLAIN=${WIPECERT_PLAIN:-$(dirname "$W")/../wipecert}
	[ -x "$PLAIN" ] || fail "the VmLck check needs wipecert built without AddressSanitizer: give WIPECERT_PLAIN (make check builds build/wipecert)"
	ldd "$PLAIN" | grep -q libasan && fail "WIPECERT_PLAIN=$PLAIN is built with AddressSanitizer: its mlock() does nothing"
else
	PLAIN=$W
fi

# --- the idle lock: unlocked from the file, locked after 3 s, asked anew.
# idle_lock BINARY VMLCK: with VMLCK true, the key's memory is locked
# (VmLck) while it is unlocked and released once it is locked
idle_lock() {
	local bin=$1 check=$2 unlocked locked
	station_start 80 24 "$bin" station --key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt" \
		--lock-after 3 "$T/k.img"
	wait_for "key unlocked" 60
	unlocked=$(vmlck)
	wait_for "key LOCKED" 20
	wait_for "passphrase for the key of TEST ONLY Technician"
	locked=$(vmlck)
	! $check || [ "$unlocked" -gt "$locked" ] ||
		fail_outcome "the key's memory is not locked while unlocked, or not freed after (VmLck $unlocked kB, then $locked kB)"
	keys -l "$(cat "$C/passphrase.txt")"; keys Enter
	wait_for "key unlocked" 60
	! $check || [ "$(vmlck)" -gt "$locked" ] || fail_outcome "unlocked again, VmLck $(vmlck) kB"
	expect_eq "prompts (the file served the first unlock)" "$(prompts)" 1
	keys q
	station_wait_exit
}
if [ "$PLAIN" = "$W" ]; then
	idle_lock "$W" true
else
	idle_lock "$W" false     # the behaviour, under the sanitizers
	idle_lock "$PLAIN" true  # the locked memory, without them
fi

# --- an expired key: a copy of the roster with a technician valid in 2024 only
cp -r "$C/trust" "$T/trust2"
expect_rc 0 "$W" key new --name "Old Technician" --role technician --org "TEST ONLY Example City" -o "$T/old" \
	--passphrase-file "$C/passphrase.txt" --kdf min
expect_rc 0 "$W" trust add "$T/old.pub" --trust "$T/trust2" --root-key "$C/test-only-root.key" \
	--passphrase-file "$C/passphrase.txt" --from 2024-01-01 --until 2025-01-01
STATION_ENV="WIPECERT_TRUST=$T/trust2" station_start 80 24 "$W" station --key "$T/old.key" \
	--passphrase-file "$C/passphrase.txt" "$T/k.img"
wait_for "old.key: refused: the roster entry of Old Technician \(key [0-9A-F]+\)" 60
wait_for "expired on 2025-01-01"
wait_for "key LOCKED: Old Technician"
find_disk k.img; keys s
wait_for "the key is locked: unlock it first \(u\)"
keys q
station_wait_exit
cmp -s "$T/k.img" "$T/k.orig" || fail "written with an expired key"
ls "$T"/state/*.json >/dev/null 2>&1 && fail "a job was made with an expired key: $(ls "$T/state")"
exit 0
