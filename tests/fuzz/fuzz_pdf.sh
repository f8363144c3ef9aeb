#!/usr/bin/env bash
# fuzz_pdf.sh [SECONDS] [SEED.pdf...] - build the libFuzzer harness for the
# certificate reader with clang (ASan + UBSan) and run it for SECONDS
# (default 60) from the seed files. Crashes are kept as crash-* in $FUZZ_DIR.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
[ $# -gt 0 ] && shift
out=${FUZZ_DIR:-build/fuzz}
mkdir -p "$out/corpus"
for s in "$@"; do cp "$s" "$out/corpus/"; done
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=gnu11 -Iinclude -D_GNU_SOURCE -DWIPECERT_VERSION=\"fuzz\" $(pkg-config --cflags harfbuzz jansson libcrypto icu-uc libsodium)"
clang $flags -o "$out/fuzz_pdf" tests/fuzz/fuzz_pdf.c src/cert/pdfparse.c src/cert/verify.c src/cert/verify-cms.c \
	src/cert/verify-trust.c src/cert/verify-custody.c src/cert/verify-report.c src/cert/evidence.c \
	src/cert/record.c src/cert/render.c src/trust/*.c src/util/util.c \
	$(pkg-config --libs harfbuzz-subset jansson libcrypto libqrencode icu-uc libsodium zlib) -lhpdf -lm
trust=$PWD/certs/test-only/trust
cd "$out"
WIPECERT_FUZZ_TRUST=${WIPECERT_FUZZ_TRUST:-$trust} ./fuzz_pdf -max_total_time="$secs" -max_len=200000 -rss_limit_mb=1024 -timeout=10 corpus
