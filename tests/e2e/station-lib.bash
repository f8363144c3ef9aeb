# station-lib.bash - sourced by the station's screen tests after lib.bash:
# root and tmux, a scratch ledger, state directory and the test roster,
# the technician's key (TECH); the station in a real pseudo-terminal of its
# own tmux server (a private socket: other tests' tmux sessions are never
# touched), its screen read back as text, keys sent, the raw output logged.
need_root
need_cmd tmux
need_cmd python3
C=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../certs/test-only" && pwd)
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$T/ledger.db WIPECERT_TRUST=$C/trust
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
TMUX_SOCK=wipecert-$$
unset TMUX
STATION_SESSION=station
tm() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT

# station_start COLS ROWS CMD...: run CMD in a COLSxROWS terminal; its
# exit status lands in $T/station.rc, its raw output in $T/raw
station_start() {
	local cols=$1 rows=$2 q
	shift 2
	printf -v q '%q ' "$@"
	tm kill-session -t "$STATION_SESSION" 2>/dev/null
	rm -f "$T/station.rc" "$T/raw"
	tm new-session -d -s "$STATION_SESSION" -x "$cols" -y "$rows" \
		"env TERM=screen ${STATION_ENV:-} $q 2>$T/station.err; echo \$? >$T/station.rc; sleep 3600" ||
		fail "tmux cannot start"
	tm pipe-pane -o -t "$STATION_SESSION" "cat >>$T/raw"
}
screen() { tm capture-pane -p -t "$STATION_SESSION"; }
keys() { tm send-keys -t "$STATION_SESSION" "$@"; }
tmux_resize() { tm resize-window -t "$STATION_SESSION" -x "$1" -y "$2"; }
# wait_for REGEX [SECONDS]: until the screen shows it (grep -E)
wait_for() {
	local i
	for ((i = 0; i < ${2:-30} * 10; i++)); do
		screen | grep -Eq -- "$1" && return 0
		[ -s "$T/station.rc" ] && break
		sleep 0.1
	done
	screen >&2
	cat "$T/station.err" >&2 2>/dev/null
	fail "the screen never showed '$1'"
}
# find_disk NAME [FOUND-REGEX]: the cursor onto the disk, as a scan of its
# label would (FOUND-REGEX: what the screen says then, "NAME found")
find_disk() {
	keys /
	sleep 0.2
	keys -l "$1"
	keys Enter
	wait_for "${2:-$1 found}"
}
# how often the passphrase was asked, in the terminal's raw stream
prompts() { grep -ao "passphrase for the key of" "$T/raw" | wc -l; }
# station_wait_exit [RC]: it ends, with RC (default 0) and no sanitizer report
station_wait_exit() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -s "$T/station.rc" ] && break
		sleep 0.1
	done
	[ -s "$T/station.rc" ] || { screen >&2; fail "the station did not exit"; }
	grep -q Sanitizer "$T/station.err" && fail "sanitizer: $(cat "$T/station.err")"
	expect_eq "the station's exit status" "$(cat "$T/station.rc")" "${1:-0}"
}
