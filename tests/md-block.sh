#!/usr/bin/env bash
# md-block.sh FILE HEADING - print the first ```sh block under the Markdown
# heading HEADING (any level, exact text) of FILE, without the fences. The
# tests run the README's blocks through it, so that the README is what is
# tested, never a retyped copy. Exits 1 when there is no such block.
set -euo pipefail
file=${1:?usage: md-block.sh FILE HEADING}
heading=${2:?usage: md-block.sh FILE HEADING}
awk -v h="$heading" '
	inblk && /^```$/ { exit }
	inblk { print; next }
	/^#+ / { t = $0; sub(/^#+ /, "", t); under = (t == h); next }
	under && /^```(sh|bash)$/ { inblk = 1; found = 1; next }
	END { exit found ? 0 : 1 }
' "$file"
