#!/usr/bin/env bash
# i18n_ja.sh - under LANG=ja_JP.UTF-8 every line wipecert writes for people
# is Japanese: the --help of every command and sub-command, the quick
# start's whole disposal (scripts/demo.sh: keys, roster, ledger, list,
# wipe, pending, approve, verify, ledger history and verify), the tables
# and the usual errors. A line that is still English fails, named with the
# command that printed it (ja-lines.py says what counts as English).
. "$(dirname "$0")/lib.bash"
locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$' || skip "no ja_JP.UTF-8 locale (scripts/install-deps.sh makes it)"
top=$(cd "$(dirname "$0")/../.." && pwd)
W=$WIPECERT
export LANG=ja_JP.UTF-8 LC_ALL= LANGUAGE=
out=$T/lines
# run WHERE CMD...: stdout and stderr of CMD, each line tagged with WHERE
run() {
	local where=$1
	shift
	"$@" >"$T/o" 2>&1
	sed "s|^|$where\t|" "$T/o" >>"$out"
}

# the words that are names, not English: commands, methods, nwipe aliases
"$W" commands --json >"$T/cmds.json" || fail "commands --json"
"$W" wipe --list-methods --json >"$T/methods.json" || fail "wipe --list-methods --json"
python3 - "$T/cmds.json" "$T/methods.json" >"$T/names" <<'PY' || fail "names"
import json, sys
cmds = json.load(open(sys.argv[1]))
for c in cmds:
    print(*c["command"].split())
for m in json.load(open(sys.argv[2]))["methods"]:
    print(m["name"], *m.get("nwipe", []))
PY

: >"$out"
run "wipecert --help" "$W" --help
python3 -c 'import json,sys; [print(c["command"]) for c in json.load(open(sys.argv[1]))]' "$T/cmds.json" >"$T/cmdlist"
while read -r -a c; do
	run "wipecert ${c[*]} --help" "$W" "${c[@]}" --help
done <"$T/cmdlist"

# the quick start's disposal, every command's messages (stderr)
mkdir "$T/demo"
DEMO_DIR=$T/demo WIPECERT=$W "$top/scripts/demo.sh" >"$T/demo.out" 2>"$T/demo.err" || fail "demo.sh: $(tail "$T/demo.err")"
# demo.sh's own step lines, and what pdfsig and qpdf print, are not ours;
# a ledger event's reason (history: "#SEQ TIME ASSET KIND ACTOR (REASON)")
# is signed data, kept as it was recorded
grep -v '^demo\|^== \|^  - \|^$\|qpdf\|no syntax or stream encoding errors' "$T/demo.err" |
	sed -E '/^#[0-9]+ /s/ \(.*\) \[/ [/' | sed 's|^|demo.sh\t|' >>"$out"
export WIPECERT_TRUST=$T/demo/trust WIPECERT_DB=$T/demo/ledger.db WIPECERT_STATE_DIR=$T/demo/jobs
pdf=$(cat "$T/demo.out")
run "verify" "$W" verify "$pdf"
run "cert show" "$W" cert show "$pdf"
run "pending" "$W" pending
run "trust list" "$W" trust list
run "trust verify" "$W" trust verify
run "ledger show" "$W" ledger show DEMO-HDD-0001
run "ledger list" "$W" ledger list
run "ledger requests" "$W" ledger requests
run "key show" "$W" key show "$T/demo/approver.pub"
run "inspect" "$W" inspect
truncate -s 8M "$T/x.img"
run "list" "$W" list "$T/x.img"
run "list (reasons)" "$W" list -o PATH,STATE,REASON
run "wipe --list-methods" "$W" wipe --list-methods
run "wipe --dry-run" "$W" wipe --dry-run --method zero "$T/x.img" --confirm-serial "$T/x.img"

# what machines read does not change with the language: verify --json of
# a good and of a changed certificate (check details stay English), cert
# show --json, pending --json, ledger show --json, trust list --json
json_same() { # WHAT CMD...
	local what=$1
	shift
	LANG=C "$@" >"$T/json.c" 2>/dev/null
	"$@" >"$T/json.ja" 2>/dev/null
	[ -s "$T/json.c" ] || fail "$what: no JSON"
	cmp -s "$T/json.c" "$T/json.ja" || fail "$what: JSON differs under ja_JP.UTF-8: $(diff "$T/json.c" "$T/json.ja" | head -n 6)"
}
cp "$pdf" "$T/bad.pdf" && printf 'X' | dd of="$T/bad.pdf" bs=1 seek=2000 conv=notrunc status=none
json_same "verify --json" "$W" verify --json "$pdf"
json_same "verify --json (changed)" "$W" verify --json "$T/bad.pdf"
grep -q '"detail": "the CMS signature does not match' "$T/json.ja" || fail "verify --json detail not English: $(grep detail "$T/json.ja" | head -n 5)"
json_same "cert show --json" "$W" cert show --json "$pdf"
json_same "pending --json" "$W" pending --json --all
json_same "ledger show --json" "$W" ledger show --json DEMO-HDD-0001
json_same "trust list --json" "$W" trust list --json

# the usual mistakes and refusals
run "verify (changed)" "$W" verify "$T/bad.pdf"
run "verify (missing)" "$W" verify "$T/none.pdf"
run "unknown option" "$W" list --frobnicate
run "unknown command" "$W" frobnicate
run "missing operand" "$W" verify
run "ledger show (missing)" "$W" ledger show NO-SUCH-ASSET
run "approve (missing)" "$W" approve NO-SUCH-CASE --key "$T/demo/approver.key" --passphrase-file "$T/demo/passphrase"
run "key show (missing)" "$W" key show "$T/none.pub"

# every command's usage errors: no operand, an unknown option, a bad one
# (the destructive ones only with the unknown option: nothing runs)
export WIPECERT_TRUST=$T/none WIPECERT_DB=$T/none.db WIPECERT_STATE_DIR=$T/nojobs
python3 -c 'import json,sys; [print(c["command"]) for c in json.load(open(sys.argv[1])) if c["command"] not in ("commands", "list")]' \
	"$T/cmds.json" >"$T/cmdlist2"
python3 -c 'import json,sys; [print(c["command"]) for c in json.load(open(sys.argv[1])) if "destructive" in c["flags"]]' \
	"$T/cmds.json" >"$T/destructive"
while read -r -a c; do
	run "wipecert ${c[*]} --frobnicate" "$W" "${c[@]}" --frobnicate
	grep -qx "${c[*]}" "$T/destructive" && continue
	run "wipecert ${c[*]}" "$W" "${c[@]}" </dev/null
	run "wipecert ${c[*]} NOSUCH" "$W" "${c[@]}" NOSUCH </dev/null
done <"$T/cmdlist2"

# a test that can fail: the filter catches an English line
printf 'probe\tthe disk is not ok\n' | python3 "$top/tests/e2e/ja-lines.py" --keep "$top/tests/e2e/ja-keep.txt" >/dev/null &&
	fail "ja-lines.py let an English line through"
cp "$out" "${JA_LINES_KEEP:-/dev/null}" 2>/dev/null
python3 "$top/tests/e2e/ja-lines.py" --keep "$top/tests/e2e/ja-keep.txt" --keep "$T/names" <"$out" >"$T/english"
n=$(wc -l <"$T/english")
[ "$n" -eq 0 ] || fail "$n line(s) still English under ja_JP.UTF-8:
$(cat "$T/english")"
exit 0
