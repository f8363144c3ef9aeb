#!/usr/bin/env bash
# make-image.sh - what `make image` runs: our .deb built from the working
# tree (dpkg-buildpackage in a copy, so nothing lands beside the checkout),
# or, where the tree has no debian/ yet, a `make install` tree; then
# build.sh. SOURCE_DATE_EPOCH is the last commit's unless given.
#
#   make-image.sh OUTDIR [build.sh options]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:?usage: make-image.sh OUTDIR [build.sh options]}")
shift
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct)}
mkdir -p "$out"
src=$out/src
rm -rf --one-file-system "$src" "$out/destdir"
trap 'rm -rf --one-file-system "$src" "$out/destdir"' EXIT
# the tracked files as they are in the working tree
mkdir -p "$src/wipecert"
git -C "$top" ls-files -z --cached | (cd "$top" && tar --null --no-recursion -T - -cf -) | tar -C "$src/wipecert" -xf -
if [ -d "$src/wipecert/debian" ]; then
	(cd "$src/wipecert" && dpkg-buildpackage -b -uc -us -j2 >"$out/deb-build.log" 2>&1) ||
		{ tail -n 30 "$out/deb-build.log" >&2; exit 1; }
	deb=$(ls "$src"/wipecert_*.deb | head -n1)
	cp "$deb" "$out/"
	exec_args=(--deb "$out/$(basename "$deb")")
else
	echo "make-image: no debian/ in this tree: wipecert from 'make install' instead of the .deb" >&2
	make -C "$src/wipecert" -j2 O=build PREFIX=/usr all >"$out/bin-build.log" 2>&1 ||
		{ tail -n 30 "$out/bin-build.log" >&2; exit 1; }
	make -C "$src/wipecert" O=build PREFIX=/usr DESTDIR="$out/destdir" install >>"$out/bin-build.log" 2>&1
	exec_args=(--destdir "$out/destdir")
fi
"$top/scripts/image/build.sh" "$out" "${exec_args[@]}" "$@"
