#!/usr/bin/env bash
# compare.sh A.img B.img - where two stick images differ, for checking
# that `make image` is reproducible: the whole file, then each partition,
# then the ISO's files and the root file system's files one by one (the
# squashfs unpacked), so that a difference is named, not only seen.
set -euo pipefail
a=$1 b=$2
work=$(mktemp -d /var/tmp/wipecert-compare.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
if cmp -s "$a" "$b"; then echo "identical: $(sha256sum <"$a" | cut -c1-64)"; exit 0; fi
echo "the images differ: $(sha256sum <"$a" | cut -c1-16) $(sha256sum <"$b" | cut -c1-16)"
part() { # IMG N -> start size (bytes)
	local s n
	s=$(od -An -tu4 -j $((446 + 16 * ($2 - 1) + 8)) -N4 "$1") n=$(od -An -tu4 -j $((446 + 16 * ($2 - 1) + 12)) -N4 "$1")
	echo $((s * 512)) $((n * 512))
}
cmp -s -n 512 "$a" "$b" || echo "  the partition table differs"
for p in 1 2 3; do
	read -r sa na < <(part "$a" $p); read -r sb nb < <(part "$b" $p)
	if [ "$sa $na" != "$sb $nb" ] || ! cmp -s <(tail -c +$((sa + 1)) "$a" | head -c "$na") <(tail -c +$((sb + 1)) "$b" | head -c "$nb"); then
		echo "  partition $p differs"
	fi
done
for x in a b; do
	mkdir -p "$work/$x"
	xorriso -osirrox on -indev "${!x}" -extract / "$work/$x/iso" >/dev/null 2>&1
done
diff -r "$work/a/iso" "$work/b/iso" | sed 's/^/  iso: /' || true
if ! cmp -s "$work/a/iso/live/filesystem.squashfs" "$work/b/iso/live/filesystem.squashfs"; then
	for x in a b; do unsquashfs -q -n -d "$work/$x/root" "$work/$x/iso/live/filesystem.squashfs" >/dev/null 2>&1 || true; done
	diff -r --no-dereference "$work/a/root" "$work/b/root" 2>&1 | sed 's/^/  root: /' | head -n 50 || true
	unsquashfs -lls "$work/a/iso/live/filesystem.squashfs" | tail -n +4 >"$work/a.ls"
	unsquashfs -lls "$work/b/iso/live/filesystem.squashfs" | tail -n +4 >"$work/b.ls"
	diff "$work/a.ls" "$work/b.ls" | sed 's/^/  metadata: /' | head -n 30 || true
fi
exit 1
