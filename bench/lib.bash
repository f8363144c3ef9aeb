# lib.bash - sourced by the benchmarks: root and the binary checked, loop
# devices and backing files made here detached and removed on exit
# (whatever happens), and a scratch state directory for the job files.
# Only loop devices over files made here are ever written to.
set -u
WIPECERT=${WIPECERT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/wipecert}
DISKDIR=${DISKDIR:-/var/tmp}
LOOPS=() FILES=()

# bench_init NAME TOOL...: exit 77 without root, 1 without the binary or a tool
bench_init() {
	local name=$1 c
	shift
	[ "$(id -u)" -eq 0 ] || { echo "$name: needs root (loop devices)" >&2; exit 77; }
	[ -x "$WIPECERT" ] || { echo "$name: build $WIPECERT first (make)" >&2; exit 1; }
	for c in losetup dd numfmt "$@"; do
		command -v "$c" >/dev/null || { echo "$name: $c is missing" >&2; exit 1; }
	done
	STATE=$(mktemp -d /tmp/wipecert-bench.XXXXXX)
	export WIPECERT_STATE_DIR=$STATE
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	local l
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -f "${FILES[@]}"
	rm -rf "$STATE"
}

bytes() { numfmt --from=iec "$1"; }

# newloop VAR DIR NAME SIZE [SOURCE]: a file written through once from
# SOURCE (default /dev/zero; tmpfs allocates pages on the first write),
# attached with direct I/O
newloop() {
	local var=$1 f=$2/wipecert-bench-$3.img l
	FILES+=("$f")
	dd if="${5:-/dev/zero}" of="$f" bs=4M count=$(($(bytes "$4") / 4194304)) status=none || exit 1
	l=$(losetup -f --show --direct-io=on "$f") || exit 1
	LOOPS+=("$l")
	printf -v "$var" '%s' "$l"
}
