#!/usr/bin/env bash
# data-skel.sh - the empty data partition `make image` puts last on the
# stick: ext4 labelled WIPECERT-DATA with a README and an example
# stick.conf, made reproducibly (fixed UUID and hash seed, dates from
# SOURCE_DATE_EPOCH). `wipecert image prepare` makes it anew with the
# organisation's configuration.
#
#   data-skel.sh WORKDIR SIZE        -> WORKDIR/data.img
set -euo pipefail
dir=$1 size=$2
here=$(cd "$(dirname "$0")" && pwd)
: "${SOURCE_DATE_EPOCH:?}"
mkdir -p "$dir/skel"
install -m 0644 "$here/data/README.txt" "$dir/skel/README.txt"
install -m 0644 "$here/data/stick.conf.example" "$dir/skel/stick.conf.example"
find "$dir/skel" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -f "$dir/data.img"
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -F -L WIPECERT-DATA \
	-U 57495045-4345-5254-2d44-415441000000 -E root_owner=0:0,hash_seed=57495045-4345-5254-2d44-415441000001,nodiscard \
	-d "$dir/skel" "$dir/data.img" "$size" >/dev/null
# mke2fs -d copies each file's ctime, which is when it was copied here (no
# tool sets a ctime): the epoch instead, or two builds differ in these bytes
(cd "$dir/skel" && find . -mindepth 1 -printf '%P\n') | LC_ALL=C sort | while read -r f; do
	printf 'sif "/%s" ctime @%s\nsif "/%s" ctime_extra 0\n' "$f" "$SOURCE_DATE_EPOCH" "$f"
done | E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f - "$dir/data.img" >/dev/null 2>&1
