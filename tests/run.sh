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
pass=0 fail=0 skip=0 failed=()

# one throwaway PostgreSQL cluster for the run: the scripts that say
# "# backends: sqlite postgresql" run a second time against it
. tests/pg/cluster.bash
pgwhy=$(pg_missing)
PGRUN=
stop_pg() { [ -z "$PGRUN" ] || { pg_cluster_stop "$PGRUN"; rm -rf "$PGRUN"; PGRUN=; }; }
trap 'stop_pg; rm -rf "$state_dir"' EXIT
trap 'exit 130' INT TERM
if [ -z "$pgwhy" ]; then
	PGRUN=$(mktemp -d /tmp/wipecert-pg.XXXXXX)
	pg_cluster_start "$PGRUN" -c fsync=off -c max_connections=60 || pgwhy="the cluster did not start"
	export WIPECERT_TEST_PGDIR=$PGRUN
fi

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
for t in tests/e2e/*.sh; do
	grep -q '^# backends:.*postgresql' "$t" || continue
	[ -n "${ONLY:-}" ] && [[ $t != *$ONLY* ]] && continue
	if [ -n "$pgwhy" ]; then
		fail=$((fail + 1)); failed+=("$(basename "$t")[postgresql]")
		echo "FAIL: $(basename "$t")[postgresql] (no PostgreSQL server: $pgwhy)"
		continue
	fi
	run_one "$(basename "$t")[postgresql]" env WIPECERT_TEST_DB=postgresql bash "$t"
done
stop_pg
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
