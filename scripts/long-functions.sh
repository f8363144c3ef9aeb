#!/usr/bin/env bash
# long-functions.sh [LIMIT] [FILE...] - the functions of our C files longer
# than LIMIT lines (default 0: every function), longest first, as
# "LINES FILE:LINE NAME". Our style makes this exact without a parser: a
# definition starts at column 0 (its header may wrap), its "{" and "}" stand
# alone in column 0.
limit=${1:-0}
shift
[ $# -gt 0 ] || set -- src/*.c src/*/*.c
awk -v limit="$limit" '
/^[A-Za-z_][^;]*\(/ && !/;[ \t]*$/ && !infn { hdr = $0; hdrline = FNR; next }
/^\{/ { if (hdr != "") { start = hdrline; name = hdr; infn = 1 } next }
/^\}/ {
	if (infn) {
		n = FNR - start + 1
		sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
		if (n > limit) printf "%d %s:%d %s\n", n, FILENAME, start, name
	}
	infn = 0; hdr = ""; next
}
/^[ \t]/ { next }
{ if (!infn) hdr = "" }
' "$@" | sort -rn
