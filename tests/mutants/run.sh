#!/usr/bin/env bash
# run.sh - the mutation harness (`make mutants`): does the test suite catch
# the bugs we can imagine? Each mutant in tests/mutants/mutants.list breaks
# one safety or security behaviour by replacing one exact piece of text in
# one file. For each, in a COPY of the tree (never this working tree): apply
# it, build the sanitized binary and the named unit tests, run the tests the
# entry names, and see how they fail.
#
#   killed     a named test failed on an OUTCOME: a tagged "OUTCOME-FAIL:"
#              line (tests/e2e/lib.bash), a cmocka assertion, a crash
#              (AddressSanitizer or UBSan report, signal) or a time-out
#   leak       only a LeakSanitizer report, no check failed: not counted
#   message    the tests failed only on wording ("MESSAGE-FAIL:", a cmocka
#              assertion on strstr() of a message, or a cmocka fail_msg()
#              that starts "MESSAGE-FAIL:"): the unsafe outcome itself
#              passed - not counted as killed
#   untagged   the tests failed only on untagged checks ("FAIL:", an exit
#              status): not counted as killed until the check is tagged
#   survived   no named test failed. The whole suite then runs on it; if
#              that kills it, it is "killed elsewhere" (counted, and the
#              entry's test list should be corrected)
#   stale      the text is not in the file (any more), or the file is gone:
#              reported, never silently dropped; update the entry
#   ambiguous  the text occurs more than once: make it longer
#   invalid    the mutant does not build
#   equivalent not killed, and the entry says why no outcome can differ
#              ("equivalent: ..."): a second guard refuses the same thing.
#              Left out of the score, listed with its reason
#
# Score: killed (including elsewhere) / (all - stale - ambiguous - invalid
# - equivalent); printed with the equivalent ones counted too.
# docs/testing.md has the last score and every survivor.
#
# Usage: tests/mutants/run.sh [--keep] [--no-full] [--check] [--list FILE] [ID...]
#   ID...      only these mutants (default: all)
#   --check    only check that each mutant applies (stale, ambiguous): fast
#   --keep     keep the work directory (the copy, the logs)
#   --no-full  do not run the whole suite for survivors
# Environment: MUTANT_TIMEOUT seconds per test (default 600), TMPDIR.
set -u
# bash reads a script while it runs it: run from a copy, so that editing
# this file during a run (an hour) cannot change the run
if [ -z "${MUTANTS_SELF:-}" ]; then
	self=$(mktemp "${TMPDIR:-/tmp}/wipecert-mutants-run.XXXXXX") && cp "$0" "$self" || exit 2
	MUTANTS_SELF=$self MUTANTS_HERE=$(cd "$(dirname "$0")" && pwd) exec bash "$self" "$@"
fi
here=$MUTANTS_HERE
trap 'rm -f "$MUTANTS_SELF"' EXIT
src=$(cd "$here/../.." && pwd)
list=$here/mutants.list
keep=0 full=1 check_only=0 only=()
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1 ;;
	--no-full) full=0 ;;
	--check) check_only=1 ;;
	--list) list=$(realpath "$2"); shift ;;
	-h | --help) sed -n '2,/^set -u/{/^#/s/^# \{0,1\}//p}' "$here/run.sh"; exit 0 ;;
	-*) echo "mutants: unknown option $1" >&2; exit 2 ;;
	*) only+=("$1") ;;
	esac
	shift
done
[ -f "$list" ] || { echo "mutants: no list $list" >&2; exit 2; }

SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
work=$(mktemp -d "${TMPDIR:-/tmp}/wipecert-mutants.XXXXXX") || exit 2
tree=$work/tree
trap 'rm -f "$MUTANTS_SELF"; [ $keep = 1 ] || rm -rf "$work"' EXIT
echo "mutants: work directory $work" >&2

# ---- the list -------------------------------------------------------------
# Blocks of "key: value" lines, each starting with "[id]"; "#" comments.
ids=()
declare -A F_FILE F_FIND F_REPLACE F_BREAKS F_TESTS F_EQUIV
parse() {
	local line id="" key val n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		case $line in '' | '#'*) continue ;; esac
		if [[ $line =~ ^\[([A-Za-z0-9._-]+)\]$ ]]; then
			id=${BASH_REMATCH[1]}
			[ -z "${F_FILE[$id]+x}" ] || { echo "mutants: $list:$n: $id twice" >&2; exit 2; }
			ids+=("$id")
			F_FILE[$id]="" F_FIND[$id]="" F_REPLACE[$id]="" F_BREAKS[$id]="" F_TESTS[$id]="" F_EQUIV[$id]=""
			continue
		fi
		[[ $line =~ ^([a-z]+):[[:space:]]?(.*)$ ]] || { echo "mutants: $list:$n: not 'key: value'" >&2; exit 2; }
		[ -n "$id" ] || { echo "mutants: $list:$n: a field before the first [id]" >&2; exit 2; }
		key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
		case $key in
		file) F_FILE[$id]=$val ;;
		find) F_FIND[$id]=$val ;;
		replace) F_REPLACE[$id]=$val ;;
		breaks) F_BREAKS[$id]=$val ;;
		equivalent) F_EQUIV[$id]=$val ;;
		tests) F_TESTS[$id]=$val ;;
		*) echo "mutants: $list:$n: unknown key '$key'" >&2; exit 2 ;;
		esac
	done <"$list"
	for id in "${ids[@]}"; do
		for key in F_FILE F_FIND F_BREAKS F_TESTS; do
			declare -n ref=$key
			[ -n "${ref[$id]}" ] || { echo "mutants: [$id] has no ${key#F_}" >&2; exit 2; }
		done
	done
}
parse
if [ ${#only[@]} -gt 0 ]; then
	for id in "${only[@]}"; do
		[ -n "${F_FILE[$id]+x}" ] || { echo "mutants: no mutant '$id' in $list" >&2; exit 2; }
	done
	ids=("${only[@]}")
fi

# ---- the copy ---------------------------------------------------------------
mkdir -p "$tree"
# what git tracks or would track (not build/), as it is on disk now
(cd "$src" && git ls-files -z --cached --others --exclude-standard | sort -zu |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	cpio -0 -pdm --quiet "$tree") || { echo "mutants: cannot copy the tree" >&2; exit 2; }

# mutate count|apply FILE: how often $FIND is in FILE, or replace it by $REPL
# (both with the list's escapes: \n newline, \t tab, \\ backslash)
mutate() {
	python3 - "$@" <<'PY'
import os, re, sys
def unescape(s):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "\\": "\\"}.get(m.group(1), m.group(0)), s)
what, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
find = unescape(os.environ["FIND"])
if what == "count":
    print(text.count(find))
else:
    open(path, "w", encoding="utf-8").write(text.replace(find, unescape(os.environ["REPL"]), 1))
PY
}

build() { # [UNIT...]: the sanitized binary, its messages, and these unit tests
	local targets=(build/check/wipecert build/check/locale/ja/LC_MESSAGES/wipecert.mo build/check/tests/tools/forge) u
	for u in "$@"; do targets+=("build/check/tests/$u"); done
	make -s -C "$tree" -j2 O=build/check SAN_FLAGS="$SAN" "${targets[@]}" >"$work/build.log" 2>&1
}
units_of() { local t; for t in $1; do [[ $t == test_* ]] && echo "$t"; done; }

# run_tests LOGDIR NAMES: tests/run.sh on the copy; NAMES empty: all of them
run_tests() {
	local logdir=$1 names=$2 pats="" t
	mkdir -p "$logdir"
	for t in $names; do pats+="$t\$ "; done
	(cd "$tree" && ONLY="$pats" RUN_LOGDIR="$logdir" RUN_TIMEOUT=${MUTANT_TIMEOUT:-600} TESTS_MESSAGES_GO_ON=1 \
		WIPECERT="$tree/build/check/wipecert" WIPECERT_PLAIN="$tree/build/wipecert" \
		tests/run.sh build/check/tests) >>"$logdir/run.out" 2>&1
}
# run_until_killed LOGDIR NAMES: the named tests one by one, in the order
# given, until one kills the mutant (the rest would only take time)
run_until_killed() {
	local t
	for t in $2; do
		run_tests "$1" "$t"
		case $(verdict "$1") in killed*) return ;; esac
	done
}

# verdict LOGDIR: how the tests in LOGDIR failed; prints "killed|message|untagged|none WHY"
verdict() {
	local d=$1 f name line rc
	local -a failed
	mapfile -t failed < <(awk '$1 == "FAIL" { print $2 }' "$d/results" 2>/dev/null)
	[ ${#failed[@]} -gt 0 ] || { echo "none"; return; }
	for name in "${failed[@]}"; do
		f=$d/$name.log
		[ -f "$f" ] || continue
		line=$(grep -a -m1 -E '^OUTCOME-FAIL: ' "$f")
		[ -n "$line" ] && { echo "killed $name: ${line:0:200}"; return; }
		# a cmocka assertion, unless it only looked for words in a message
		line=$(grep -a -E '^\[  ERROR   \] --- ' "$f" | grep -v -e '--- strstr(' -e '--- MESSAGE-FAIL: ' | head -n 1)
		[ -n "$line" ] && { echo "killed $name: ${line:0:200}"; return; }
		# a crash: a memory error or undefined behaviour (a leak alone is
		# no outcome: see below)
		line=$(grep -a -m1 -E '==[0-9]+==ERROR: (Address|Memory|Thread)Sanitizer|runtime error: ' "$f")
		[ -n "$line" ] && { echo "killed $name: ${line:0:200}"; return; }
		if ! grep -q -a '^\[  ERROR   \] --- ' "$f" && grep -q -a '^\[  FAILED  \] ' "$f"; then
			echo "killed $name: $(grep -a -m1 '^\[  FAILED  \] ' "$f")"
			return
		fi
		# killed by a signal (a crash) or by the time-out
		rc=$(awk -v n="$name" '$1 == "FAIL" && $2 == n { print $3; exit }' "$d/results")
		if [ "${rc:-0}" = 124 ] || [ "${rc:-0}" -ge 128 ]; then
			echo "killed $name: exit $rc (a time-out or a signal)"
			return
		fi
	done
	# only a leak: the mutant changed what is freed, no test saw what it did
	for name in "${failed[@]}"; do
		line=$(grep -a -m1 -E '==[0-9]+==ERROR: LeakSanitizer' "$d/$name.log" 2>/dev/null)
		[ -n "$line" ] && ! grep -q -a -E '^(MESSAGE-)?FAIL: |^\[  ERROR   \] --- ' "$d/$name.log" &&
			{ echo "leak $name: ${line:0:200}"; return; }
	done
	for name in "${failed[@]}"; do
		line=$(grep -a -m1 -e '^MESSAGE-FAIL: ' -e '^\[  ERROR   \] --- strstr(' -e '^\[  ERROR   \] --- MESSAGE-FAIL: ' "$d/$name.log" 2>/dev/null)
		[ -n "$line" ] && { echo "message $name: ${line:0:200}"; return; }
	done
	name=${failed[0]}
	line=$(grep -a -m1 '^FAIL: ' "$d/$name.log" 2>/dev/null)
	echo "untagged $name: ${line:-exit $(awk -v n="$name" '$1 == "FAIL" && $2 == n { print $3; exit }' "$d/results")}"
}

# ---- the baseline: every named test passes on the unchanged copy ----------------
if [ $check_only = 1 ]; then
	:
else
all_tests=$(for id in "${ids[@]}"; do echo "${F_TESTS[$id]}"; done | tr ' ' '\n' | grep . | sort -u | tr '\n' ' ')
echo "mutants: building the copy and running the baseline ($all_tests)" >&2
# shellcheck disable=SC2046
build $(units_of "$all_tests") || { tail -n 30 "$work/build.log" >&2; echo "mutants: the unchanged copy does not build" >&2; exit 1; }
make -s -C "$tree" -j2 O=build/check SAN_FLAGS="$SAN" check-units >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; exit 1; }
run_tests "$work/baseline" "$all_tests"
if ! tail -n 1 "$work/baseline/run.out" | grep -q ' 0 failed, 0 skipped$'; then
	grep '^FAIL' "$work/baseline/run.out" >&2
	echo "mutants: the baseline fails: a mutant cannot be judged by a test that fails anyway" >&2
	exit 1
fi
fi

# ---- each mutant --------------------------------------------------------------------
declare -A result why
n_killed=0 n_counted=0 n_equiv=0
for id in "${ids[@]}"; do
	file=${F_FILE[$id]} find=${F_FIND[$id]} repl=${F_REPLACE[$id]}
	t0=$SECONDS
	if [ ! -f "$tree/$file" ]; then
		result[$id]=stale why[$id]="$file is gone"
	else
		k=$(FIND=$find mutate count "$tree/$file")
		if [ "$k" = 0 ]; then
			result[$id]=stale why[$id]="the text is not in $file"
		elif [ "$k" != 1 ]; then
			result[$id]=ambiguous why[$id]="the text is $k times in $file"
		fi
	fi
	if [ -n "${result[$id]:-}" ]; then
		printf '%-9s %s (%s)\n' "${result[$id]}" "$id" "${why[$id]}"
		continue
	fi
	cp -p "$tree/$file" "$work/orig"
	FIND=$find REPL=$repl mutate apply "$tree/$file"
	if [ $check_only = 1 ]; then
		cp "$work/orig" "$tree/$file"
		printf '%-9s %s\n' applies "$id"
		continue
	fi
	# shellcheck disable=SC2046
	if ! build $(units_of "${F_TESTS[$id]}"); then
		result[$id]=invalid why[$id]="does not build: $(grep -m1 'error' "$work/build.log")"
	else
		n_counted=$((n_counted + 1))
		run_until_killed "$work/m-$id" "${F_TESTS[$id]}"
		v=$(verdict "$work/m-$id")
		result[$id]=${v%% *} why[$id]=${v#* }
		if [ "${result[$id]}" = none ] && [ $full = 1 ]; then
			# the whole suite: every unit test, and the binary without the
			# sanitizers (station_key.sh's locked memory) mutated too
			make -s -C "$tree" -j2 O=build/check SAN_FLAGS="$SAN" check-units >"$work/build.log" 2>&1
			make -s -C "$tree" -j2 O=build SAN_FLAGS= build/wipecert >>"$work/build.log" 2>&1
			run_tests "$work/f-$id" ""
			v=$(verdict "$work/f-$id")
			case $v in
			killed*) result[$id]=elsewhere why[$id]="by the full suite, not the named tests: ${v#* }" ;;
			none) result[$id]=survived why[$id]="the whole suite passes" ;;
			*) result[$id]=${v%% *} why[$id]="full suite: ${v#* }" ;;
			esac
		elif [ "${result[$id]}" = none ]; then
			result[$id]=survived why[$id]="the named tests pass"
		fi
		case ${result[$id]} in
		killed | elsewhere) n_killed=$((n_killed + 1)) ;;
		*) if [ -n "${F_EQUIV[$id]}" ]; then
			why[$id]="declared equivalent (${F_EQUIV[$id]}); the tests: ${result[$id]}: ${why[$id]}"
			result[$id]=equivalent
			n_equiv=$((n_equiv + 1))
		fi ;;
		esac
	fi
	# back to the original, newer than its objects, so the next build redoes them
	cp "$work/orig" "$tree/$file"
	touch "$tree/$file"
	printf '%-9s %s (%ss) %s\n' "${result[$id]}" "$id" $((SECONDS - t0)) "${why[$id]}"
done

# ---- the report -------------------------------------------------------------------
if [ $check_only = 1 ]; then
	bad=0
	for id in "${ids[@]}"; do [ -z "${result[$id]:-}" ] || bad=1; done
	exit $bad
fi
echo
echo "survivors and mutants not counted as killed:"
for id in "${ids[@]}"; do
	case ${result[$id]} in
	killed) ;;
	equivalent) printf '  %-10s %-28s %s\n' "${result[$id]}" "$id" "${F_EQUIV[$id]}" ;;
	*) printf '  %-10s %-28s breaks: %s\n' "${result[$id]}" "$id" "${F_BREAKS[$id]}" ;;
	esac
done
stale=0
for id in "${ids[@]}"; do case ${result[$id]} in stale | ambiguous | invalid) stale=$((stale + 1)) ;; esac; done
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }
echo "mutation score: $n_killed of $((n_counted - n_equiv)) killed by an outcome assertion ($(pct $n_killed $((n_counted - n_equiv)))%)," \
	"not counting $n_equiv declared equivalent; $n_killed of $n_counted counting them ($(pct $n_killed $n_counted)%);" \
	"$stale stale, ambiguous or invalid of ${#ids[@]}"
[ $keep = 1 ] && echo "logs: $work" >&2
exit 0
