#!/usr/bin/env bash
# trust-fuzz.sh - a short libFuzzer run (FUZZ_SECONDS each, default 3) of the
# key, signature and roster parsers. Fails if clang's libFuzzer is missing.
# Longer run: FUZZ_SECONDS=600 FUZZ_KEEP=1 bash tests/e2e/trust-fuzz.sh
# (docs/formats.md, "Fuzzing").
set -u
cd "$(dirname "$0")/../.." || exit 1
CLANG=${CLANG:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CLANG" ] || { echo "FAIL: clang is not installed (scripts/install-deps.sh)" >&2; exit 1; }
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}' >/tmp/wipecert-fuzzprobe.$$.c
if ! "$CLANG" -fsanitize=fuzzer -o /tmp/wipecert-fuzzprobe.$$ /tmp/wipecert-fuzzprobe.$$.c 2>/dev/null; then
	rm -f /tmp/wipecert-fuzzprobe.$$*
	echo "FAIL: clang has no libFuzzer (libclang-rt-14-dev, scripts/install-deps.sh)" >&2
	exit 1
fi
rm -f /tmp/wipecert-fuzzprobe.$$*
secs=${FUZZ_SECONDS:-3}
work=$(mktemp -d /tmp/wipecert-fuzz.XXXXXX)
[ -n "${FUZZ_KEEP:-}" ] && echo "fuzz work directory: $work" >&2 || trap 'rm -rf "$work"' EXIT
pkgs="libsodium jansson libcrypto icu-uc"
flags="-g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -fsanitize=fuzzer-no-link,address,undefined $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs)"
# objects and harnesses are kept in build/fuzz and rebuilt when a source or
# header is newer, so the short run in make check does not recompile
bin=build/fuzz
mkdir -p "$bin" || exit 1
newer() { # newer OUT SRC...: is SRC or any header newer than OUT?
	local out=$1; shift
	[ -e "$out" ] || return 0
	[ -n "$(find "$@" include/wipecert/*.h src/trust/*.h -newer "$out" -print -quit 2>/dev/null)" ]
}
objs=() relink=
for f in src/trust/*.c src/util/util.c; do
	o=$bin/$(basename "$f" .c).o
	if newer "$o" "$f"; then "$CLANG" $flags -c -o "$o" "$f" || exit 1; relink=1; fi
	objs+=("$o")
done
rc=0
for h in pubkey sig roster; do
	if [ -n "$relink" ] || newer "$bin/fuzz_$h" "tests/fuzz/fuzz_$h.c"; then
		"$CLANG" $flags -fsanitize=fuzzer -o "$bin/fuzz_$h" "tests/fuzz/fuzz_$h.c" "${objs[@]}" $libs || exit 1
	fi
	cp "$bin/fuzz_$h" "$work/" || exit 1
	mkdir -p "$work/corpus_$h"
	cp tests/fuzz/corpus/$h/* "$work/corpus_$h/"
	if ! (cd "$work" && ASAN_OPTIONS=detect_leaks=1 ./fuzz_$h -max_total_time="$secs" -max_len=4096 \
		-rss_limit_mb=1024 -print_final_stats=1 corpus_$h >log_$h 2>&1); then
		tail -40 "$work/log_$h" >&2
		echo "fuzz_$h found a problem (crash input in $work)" >&2
		trap - EXIT
		rc=1
	else
		echo "fuzz_$h: $(grep -E '^stat::number_of_executed_units' "$work/log_$h" | awk '{print $2}') runs in ${secs}s" >&2
	fi
done
exit $rc
