#!/usr/bin/env bash
# demo.sh - the quick start's main job, on a disk image file in a temporary
# directory (never on a real disk): shows the image's identity and safety
# state as the wipe station sees it. Later steps (wipe, approve, certify,
# verify) are added here as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${WIPECERT:-$PWD/build/wipecert}
D=${DEMO_DIR:-$(mktemp -d /tmp/wipecert-demo.XXXXXX)}
echo "demo directory: $D" >&2

img=$D/disk.img
truncate -s 64M "$img"
printf 'RESIDENT-REGISTRY-DATA ' | dd of="$img" bs=1 seek=1048576 conv=notrunc status=none
"$W" list -o path,model,size,tran,state "$img"
echo "demo: done; files are in $D" >&2
