#!/usr/bin/env bash
# run.sh - run every unit test binary in DIR, then every tests/e2e/*.sh, and
# close with one line "N passed, N failed, N skipped".
#
# Nothing passes by not running. Before any test, every tool the tests
# check our output with must be installed (scripts/install-deps.sh installs
# them): each missing one is a failure. A test that skips - an e2e script
# exits 77 and says "SKIP: reason" on stderr, or cmocka reports a test
# "[  SKIPPED ]" - counts as skipped only when tests/skips.allowed lists
# it with that reason; any other skip is a failure. A crash is a failure
# even when the test's own checks passed: a sanitizer report in the output
# of a test that exited 0 fails it.
#
# WIPECERT names the binary under test. ONLY="pat1 pat2" runs the tests
# whose file names contain one of the patterns ("name$": whose names end
# so). RUN_LOGDIR=DIR keeps each test's output in DIR/NAME.log and a line
# "PASS|FAIL|SKIP NAME EXIT" in DIR/results, and
# RUN_TIMEOUT=SECONDS stops a test that runs longer (exit 124): the
# mutation harness uses both.
# SKIPS_ALLOWED and RUN_E2E_DIR replace tests/skips.allowed and tests/e2e
# (for the runner's own test, tests/e2e/runner.sh).
set -u
dir=${1:?usage: tests/run.sh BUILD_TEST_DIR}
dir=$(realpath "$dir")
cd "$(dirname "$0")/.." || exit 2
export WIPECERT=${WIPECERT:-$PWD/build/wipecert}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
allowed=${SKIPS_ALLOWED:-$PWD/tests/skips.allowed}
e2e=${RUN_E2E_DIR:-tests/e2e}
logdir=${RUN_LOGDIR:-}
pass=0 fail=0 skip=0 failed=()
work=$(mktemp -d "${TMPDIR:-/tmp}/wipecert-run.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# the tools the tests check wipecert's output with: "command package"
required=(
	"pdfsig poppler-utils" "pdftotext poppler-utils" "pdftoppm poppler-utils"
	"qpdf qpdf" "fix-qdf qpdf" "minisign minisign" "zbarimg zbar-tools"
	"sqlite3 sqlite3" "certutil libnss3-tools" "openssl openssl" "jq jq" "python3 python3"
	"qemu-system-x86_64 qemu-system-x86" "busybox busybox-static" "cpio cpio" "depmod kmod"
	"xz xz-utils" "nvme nvme-cli" "apt-get apt" "dpkg dpkg"
	"mkfs.ext4 e2fsprogs" "mkfs.vfat dosfstools" "sfdisk fdisk" "partx util-linux"
	"blkid util-linux" "losetup util-linux" "blockdev util-linux"
	"msgfmt gettext" "xgettext gettext" "msgcmp gettext" "groff groff-base" "script bsdutils"
	"clang clang" "cc build-essential" "pkg-config pkg-config"
	"mkswap util-linux" "swapon util-linux" "unshare util-linux" "pvcreate lvm2" "mdadm mdadm"
	"make-bcache bcache-tools"
)

# allowed_skip NAME REASON: does tests/skips.allowed list NAME with a
# reason pattern (a shell glob) that REASON matches?
allowed_skip() {
	local name=$1 reason=$2 n r
	[ -f "$allowed" ] || return 1
	while read -r n r; do
		case $n in '' | '#'*) continue ;; esac
		# shellcheck disable=SC2053 # r is a glob on purpose
		[ "$n" = "$name" ] && [[ $reason == $r ]] && return 0
	done <"$allowed"
	return 1
}

# a sanitizer or a signal: the lines that say a program crashed
crashed() { grep -aE '^(==[0-9]+==ERROR: [A-Za-z]+Sanitizer|SUMMARY: [A-Za-z]+Sanitizer)|runtime error: ' "$1"; }

# one throwaway PostgreSQL cluster for the run: the scripts that say
# "# backends: sqlite postgresql" run a second time against it
. tests/pg/cluster.bash
pgwhy=$(pg_missing)
PGRUN=
stop_pg() { [ -z "$PGRUN" ] || { pg_cluster_stop "$PGRUN"; rm -rf "$PGRUN"; PGRUN=; }; }
trap 'stop_pg; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
if [ -z "$pgwhy" ]; then
	PGRUN=$(mktemp -d /tmp/wipecert-pg.XXXXXX)
	pg_cluster_start "$PGRUN" -c fsync=off -c max_connections=60 || pgwhy="the cluster did not start"
	export WIPECERT_TEST_PGDIR=$PGRUN
fi

run_one() {
	local name=$1 t0=$SECONDS rc log reason s skipped=() bad=()
	shift
	log=$work/$name.log
	# the verifier's memory of trust-list serials: each test's own (tests
	# copy the test-only trust directory and change it), never the
	# machine's /var/lib/wipecert
	export WIPECERT_TRUST_STATE=$work/$name.trust-state.json
	if [ -n "${RUN_TIMEOUT:-}" ]; then
		timeout -k 10 "$RUN_TIMEOUT" "$@" 2>&1 | tee "$log"
	else
		"$@" 2>&1 | tee "$log"
	fi
	rc=${PIPESTATUS[0]} # first: any command after the pipeline replaces PIPESTATUS
	unset WIPECERT_TRUST_STATE
	[ -n "$logdir" ] && cp "$log" "$logdir/$name.log"
	# cmocka's skipped tests, each "binary:test"
	while read -r s; do
		skipped+=("$name:$s")
	done < <(sed -n 's/^\[  SKIPPED \] \(test_[A-Za-z0-9_]*\)$/\1/p' "$log" | sort -u)
	for s in "${skipped[@]}"; do
		if allowed_skip "$s" "cmocka skip()"; then
			skip=$((skip + 1))
			echo "SKIP: $s (allowed: cmocka skip())"
		else
			bad+=("$s: cmocka skip() not listed in tests/skips.allowed")
		fi
	done
	if [ "$rc" = 0 ] && crashed "$log" >/dev/null; then
		bad+=("a sanitizer report although the test passed: $(crashed "$log" | head -n 1)")
	fi
	if [ "$rc" = 77 ]; then
		reason=$(sed -n 's/^SKIP: //p' "$log" | tail -n 1)
		if [ -n "$reason" ] && allowed_skip "$name" "$reason"; then
			skip=$((skip + 1))
			echo "SKIP: $name ($reason; allowed)"
			[ -z "$logdir" ] || echo "SKIP $name $rc" >>"$logdir/results"
			return
		fi
		bad+=("skipped (${reason:-no reason given}) and tests/skips.allowed does not allow it")
	elif [ "$rc" != 0 ]; then
		bad+=("exit $rc")
	fi
	if [ ${#bad[@]} -gt 0 ]; then
		fail=$((fail + 1))
		failed+=("$name")
		echo "FAIL: $name ($(IFS=';'; echo "${bad[*]}"))"
		[ -z "$logdir" ] || echo "FAIL $name $rc" >>"$logdir/results"
	else
		pass=$((pass + 1))
		echo "PASS: $name ($((SECONDS - t0))s)"
		[ -z "$logdir" ] || echo "PASS $name $rc" >>"$logdir/results"
	fi
}

selected() { # FILE: wanted by ONLY?
	local p
	[ -n "${ONLY:-}" ] || return 0
	for p in $ONLY; do
		case $p in
		*\$) [[ $1 == *"${p%\$}" ]] && return 0 ;;
		*) [[ $1 == *"$p"* ]] && return 0 ;;
		esac
	done
	return 1
}

missing=()
for r in "${required[@]}"; do
	set -- $r
	command -v "$1" >/dev/null || missing+=("$1 (Debian: $2)")
done
python3 -c 'import pexpect' 2>/dev/null || missing+=("python3's pexpect (Debian: python3-pexpect)")
if [ ${#missing[@]} -gt 0 ]; then
	fail=$((fail + 1))
	failed+=("required-tools")
	echo "FAIL: required-tools (missing: ${missing[*]}; run scripts/install-deps.sh)"
fi

for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	case $t in *.o|*.d) continue ;; esac
	selected "$t" || continue
	run_one "$(basename "$t")" "$t"
done
for t in "$e2e"/*.sh; do
	[ -f "$t" ] || continue
	selected "$t" || continue
	run_one "$(basename "$t")" bash "$t"
done
for t in "$e2e"/*.sh; do
	grep -q '^# backends:.*postgresql' "$t" || continue
	selected "$t" || continue
	if [ -n "$pgwhy" ]; then
		fail=$((fail + 1)); failed+=("$(basename "$t")[postgresql]")
		echo "FAIL: $(basename "$t")[postgresql] (no PostgreSQL server: $pgwhy)"
		continue
	fi
	run_one "$(basename "$t")[postgresql]" env WIPECERT_TEST_DB=postgresql bash "$t"
done
stop_pg
[ $((pass + fail + skip)) -gt 0 ] || { fail=$((fail + 1)); failed+=("nothing-ran"); echo "FAIL: no test ran (ONLY='${ONLY:-}')"; }
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
