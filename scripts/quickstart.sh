#!/usr/bin/env bash
# quickstart.sh - the README's first command: from a fresh Debian 12 (no
# make, no compiler) to a verified certificate. Installs the Debian packages
# that are missing (scripts/install-deps.sh: make, the compiler and the
# libraries among them), builds wipecert, and runs the whole disposal on a
# disk image file (scripts/demo.sh), never on a real disk.
# Prints the certificate's path on stdout at the end; the rest goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 1)
make -j"$jobs" all >&2
scripts/demo.sh
