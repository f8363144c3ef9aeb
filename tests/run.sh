#!/usr/bin/env bash
# run.sh - run every unit test binary in DIR, then every tests/e2e/*.sh, and
# close with one line "N passed, N failed, N skipped".
# An e2e script exits 0 (pass), 77 (skipped: says why on stderr) or else (fail).
# WIPECERT names the binary under test; ONLY=pattern runs a subset.
set -u
dir=${1:?usage: tests/run.sh BUILD_TEST_DIR}
cd "$(dirname "$0")/.." || exit 2
export WIPECERT=${WIPECERT:-$PWD/build/wipecert}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# the verifier's memory of trust-list serials: each test's own (tests copy
# the test-only trust directory and change it), never the machine's
# /var/lib/wipecert
state_dir=$(mktemp -d "${TMPDIR:-/tmp}/wipecert-run.XXXXXX")
trap 'rm -rf "$state_dir"' EXIT
pass=0 fail=0 skip=0 failed=()

run_one() {
	local name=$1; shift
	local t0=$SECONDS rc
	WIPECERT_TRUST_STATE=$state_dir/$name.json "$@"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS: $name ($((SECONDS - t0))s)" ;;
	77) skip=$((skip + 1)); echo "SKIP: $name" ;;
	*) fail=$((fail + 1)); failed+=("$name"); echo "FAIL: $name (exit $rc)" ;;
	esac
}

for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	case $t in *.o|*.d) continue ;; esac
	[ -n "${ONLY:-}" ] && [[ $t != *$ONLY* ]] && continue
	run_one "$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	[ -n "${ONLY:-}" ] && [[ $t != *$ONLY* ]] && continue
	run_one "$(basename "$t")" bash "$t"
done
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
