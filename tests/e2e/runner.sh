#!/usr/bin/env bash
# runner.sh - tests/run.sh itself: a skip passes only when
# tests/skips.allowed lists the test with its reason (an e2e script's exit
# 77, a cmocka skip()), a sanitizer report fails a test that exited 0, and
# the closing line counts each kind.
. "$(dirname "$0")/lib.bash"
cd "$(dirname "$0")/../.."
mkdir -p "$T/bin" "$T/e2e"
cc -o "$T/bin/test_skipper" tests/fixtures/runner/skipper.c $(pkg-config --cflags --libs cmocka) ||
	fail "cannot build the cmocka fixture"
printf '#!/bin/sh\necho "SKIP: no frobnicator here" >&2\nexit 77\n' >"$T/e2e/skips.sh"
printf '#!/bin/sh\necho ok\nexit 0\n' >"$T/e2e/passes.sh"
printf '#!/bin/sh\necho "FAIL: it broke" >&2\nexit 1\n' >"$T/e2e/fails.sh"
# a program that crashed under ASan while the script went on and exited 0
printf '#!/bin/sh\necho "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x1" >&2\nexit 0\n' >"$T/e2e/crash.sh"

# runner ONLY ALLOWED-FILE: run tests/run.sh on the fixtures, output in $T/run
runner() {
	env -u RUN_LOGDIR ONLY="$1" SKIPS_ALLOWED="$2" RUN_E2E_DIR="$T/e2e" tests/run.sh "$T/bin" >"$T/run" 2>&1
}
closing() { tail -n 1 "$T/run"; }
: >"$T/none"

runner "passes" "$T/none" || fail_outcome "a passing test failed the run: $(cat "$T/run")"
expect_eq "closing line" "$(closing)" "1 passed, 0 failed, 0 skipped"
runner "fails" "$T/none" && fail_outcome "a failing test passed the run: $(cat "$T/run")"
expect_eq "a failing test" "$(closing)" "0 passed, 1 failed, 0 skipped"
runner "passes fails" "$T/none" && fail_outcome "one failing test of two passed the run"
expect_eq "one failing of two" "$(closing)" "1 passed, 1 failed, 0 skipped"

# an e2e skip: a failure unless listed with its reason
runner "skips" "$T/none" && fail_outcome "an unlisted skip passed the run: $(cat "$T/run")"
expect_eq "unlisted e2e skip" "$(closing)" "0 passed, 1 failed, 0 skipped"
echo "skips.sh no frobnicator*" >"$T/allow"
runner "skips" "$T/allow" || fail_outcome "a listed skip failed the run: $(cat "$T/run")"
expect_eq "listed e2e skip" "$(closing)" "0 passed, 0 failed, 1 skipped"
echo "skips.sh another reason" >"$T/allow-other"
runner "skips" "$T/allow-other" && fail_outcome "a skip listed for another reason passed: $(cat "$T/run")"
echo "other.sh no frobnicator*" >"$T/allow-name"
runner "skips" "$T/allow-name" && fail_outcome "a skip listed for another test passed: $(cat "$T/run")"

# a cmocka skip() is reported as a skip, not a pass
runner "test_skipper" "$T/none" && fail_outcome "cmocka skip() passed the run: $(cat "$T/run")"
expect_eq "unlisted cmocka skip" "$(closing)" "0 passed, 1 failed, 0 skipped"
echo "test_skipper:test_skipped cmocka skip()" >"$T/allow-cm"
runner "test_skipper" "$T/allow-cm" || fail_outcome "a listed cmocka skip failed the run: $(cat "$T/run")"
expect_eq "listed cmocka skip" "$(closing)" "1 passed, 0 failed, 1 skipped"

# a sanitizer report in the output of a test that exited 0
runner "crash" "$T/none" && fail_outcome "a test with a sanitizer report passed: $(cat "$T/run")"
grep -q "FAIL: crash.sh (a sanitizer report" "$T/run" || fail_message "the crash is not named: $(cat "$T/run")"

# a pattern that selects nothing is a failure, not an empty pass
runner "no-such-test" "$T/none" && fail_outcome "a run of no test passed"
exit 0
