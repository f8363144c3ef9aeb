#!/usr/bin/env bash
# threat_model.sh - docs/threat-model.md stays true to the suite: every
# test it names exists, and every `tests/test_X.c:function` it names is a
# function defined in that file. A claim whose test was renamed or deleted
# fails here, so the model cannot quietly point at nothing.
. "$(dirname "$0")/lib.bash"
DOC=${THREAT_MODEL:-docs/threat-model.md}
[ -r "$DOC" ] || fail "no $DOC"
n=0 bad=()
while read -r ref; do
	ref=${ref%.}
	case $ref in
	tests/e2e/NAME.sh | tests/test_MODULE.c:function) continue ;; # the legend
	esac
	file=${ref%%:*}
	n=$((n + 1))
	if [ ! -f "$file" ]; then
		bad+=("$ref: no such file")
	elif [ "$file" != "$ref" ]; then
		fn=${ref#*:}
		grep -Eq "^(static )?void ${fn}\(" "$file" || bad+=("$ref: no function $fn in $file")
	fi
done < <(grep -oE 'tests/[A-Za-z0-9_./-]+(:[A-Za-z_][A-Za-z0-9_]*)?' "$DOC" | sort -u)
[ "$n" -gt 20 ] || fail "only $n test references found in $DOC: the pattern no longer matches how it names tests"
[ ${#bad[@]} = 0 ] || fail "$DOC names tests that are not there:$(printf '\n  %s' "${bad[@]}")"
echo "$DOC: $n test references, all present"
