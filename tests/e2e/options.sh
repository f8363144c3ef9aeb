#!/usr/bin/env bash
# options.sh - one option behaviour for every command, walked from the
# command table itself (`wipecert commands --json`), so that a command added
# without it fails here:
#   --help (and -h) exits 0 and prints the usage, also after an operand
#   (options come after arguments: GNU permutation);
#   an unknown option exits 2 with one line that names it;
#   the commands flagged "json" print valid JSON (jq) with --json after their
#   operands, take -J too, and every other command refuses both with exit 2;
#   the commands flagged "dry-run" take --dry-run and --no-act alike, every
#   other command refuses both with exit 2;
#   the commands flagged "destructive" are refused (exit 3) to anyone but
#   root before they look at a disk, and are the ones that write to disks.
# The JSON and dry-run runs need real inputs: a small disposal is set up
# with the test-only roster (an image wiped, sealed, approved), and each
# such command has its example below, options last.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd setpriv
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
export WIPECERT_STATE_DIR=$T/state WIPECERT_DB=$T/ledger.db WIPECERT_TRUST=$C/trust
W=$WIPECERT
PASS=$C/passphrase.txt
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$PASS")
APPR=(--key "$C/test-only-approver.key" --passphrase-file "$PASS")

expect_rc 0 "$W" commands --json
cp "$T/out" "$T/commands.json"
jq -e 'length > 20' "$T/commands.json" >/dev/null || fail "commands --json: $(head -c 300 "$T/commands.json")"
mapfile -t ALL < <(jq -r '.[].command' "$T/commands.json")
mapfile -t LEAVES < <(jq -r '.[] | select(.family | not) | .command' "$T/commands.json")
has() { jq -e --arg c "$1" --arg f "$2" '.[] | select(.command == $c) | .flags | index($f)' "$T/commands.json" >/dev/null; }
# every command the help lists is in the table walked here, and the other way round
for c in $("$W" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'); do
	printf '%s\n' "${ALL[@]}" | grep -qx "$c" || fail "'$c' is in --help but not in 'commands'"
done
for c in $(jq -r '.[] | select((.command | contains(" ") | not) and (.flags | index("hidden") | not)) | .command' "$T/commands.json"); do
	"$W" --help | grep -q "^  $c " || fail "'$c' is in the table but not in --help"
done

# a family whose bare name runs its default command (`custody` is `custody
# list`): its options are that command's, checked under its own name
fam_default() {
	jq -e --arg c "$1" '.[] | select(.command == $c) | .family' "$T/commands.json" >/dev/null &&
		! LC_ALL=C "$W" $1 </dev/null 2>&1 | grep -q "no command given"
}

# run CMD... as words of one string (the command paths have spaces)
run() { local c=$1; shift; expect_rc "$@"; }
one_line() { [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$1: not one line: $(cat "$T/err")"; }

for c in "${ALL[@]}"; do
	read -r -a cw <<<"$c"
	expect_rc 0 "$W" "${cw[@]}" --help
	grep -q "Usage" "$T/out" || fail "$c --help prints no usage: $(head -3 "$T/out")"
	expect_rc 2 "$W" "${cw[@]}" --no-such-option
	one_line "$c --no-such-option"
	grep -q -- "--no-such-option" "$T/err" || fail "$c: the unknown option is not named: $(cat "$T/err")"
	if ! jq -e --arg c "$c" '.[] | select(.command == $c) | .family' "$T/commands.json" >/dev/null; then
		# options after an operand; -h as --help
		expect_rc 0 "$W" "${cw[@]}" some-operand -h
		grep -q "Usage" "$T/out" || fail "$c OPERAND -h prints no usage"
	fi
	if has "$c" json; then
		expect_rc 0 "$W" "${cw[@]}" -J --help
	elif ! fam_default "$c"; then
		expect_rc 2 "$W" "${cw[@]}" --json
		expect_rc 2 "$W" "${cw[@]}" -J --help
	fi
	if ! has "$c" dry-run && ! fam_default "$c"; then
		expect_rc 2 "$W" "${cw[@]}" --dry-run
		expect_rc 2 "$W" "${cw[@]}" --no-act --help
	fi
	if has "$c" destructive; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$W" "${cw[@]}" "$T/nobody.img" >"$T/out" 2>"$T/err"
		expect_eq "$c as a user: exit" $? 3
		grep -q "needs root" "$T/err" || fail "$c as a user: $(cat "$T/err")"
		setpriv --reuid=65534 --regid=65534 --clear-groups "$W" "${cw[@]}" --help >"$T/out" 2>"$T/err" ||
			fail "$c --help as a user: $(cat "$T/err")"
	fi
done

# ---- a small disposal: the inputs of the JSON and dry-run examples ----
img() { yes WIPECERT-MARKER | head -c 4M >"$T/$1.img"; }
img a; img b; img c; img d
"$W" ledger add OPT-1 --serial OPT-SERIAL-1 --class 3 --status awaiting-erasure "${TECH[@]}" 2>/dev/null ||
	fail "ledger add OPT-1"
"$W" ledger add OPT-2 --serial OPT-SERIAL-2 --class 3 --status awaiting-erasure "${TECH[@]}" 2>/dev/null ||
	fail "ledger add OPT-2"
"$W" ledger add OPT-3 --serial OPT-SERIAL-3 --class 3 --status awaiting-erasure "${TECH[@]}" 2>/dev/null ||
	fail "ledger add OPT-3"
job() { "$W" wipe "$T/$1.img" --method zero --confirm-serial "$T/$1.img" --json 2>/dev/null | jq -r '.jobs[0].id'; }
J2=$(job b) && J3=$(job c) || fail "wipe"
"$W" seal "$J3" --asset OPT-2 "${TECH[@]}" >/dev/null 2>&1 || fail "seal $J3"
"$W" export-record "$J3" -o "$T/bundle.json" 2>/dev/null || fail "export-record"
# an interrupted job: SIGINT while it runs at 1 MiB/s
"$W" wipe "$T/d.img" --method zero --confirm-serial "$T/d.img" --max-rate 1M >/dev/null 2>"$T/d.err" &
pid=$!
for _ in $(seq 1 100); do grep -q "pass 1/1" "$T/d.err" && break; sleep 0.1; done
kill -INT $pid
wait $pid
JD=$(sed -n "s/.*wipecert resume \([^']*\)'.*/\1/p" "$T/d.err")
[ -n "$JD" ] || fail "no interrupted job: $(cat "$T/d.err")"
printf 'asset_id,serial,class\nOPT-9,OPT-SERIAL-9,3\n' >"$T/import.csv"

# Examples, options after the operands; @PDF and @WREC are filled from the
# output of the approve and seal examples.
declare -A JSON DRY
PDF= WREC=
JSON[list]="$T/a.img --json"
JSON[wipe]="$T/a.img --method zero --confirm-serial $T/a.img --json"
JSON[resume]="$JD --json"
JSON[verify]="@PDF --json"
JSON[seal]="$J2 --asset OPT-1 ${TECH[*]} --json"
JSON[pending]="--all --json"
JSON[approve]="$J2 ${APPR[*]} --yes --json"
JSON[reject]="$J3 ${APPR[*]} --reason wrong-disk --yes --json"
JSON[sync]="--json"
JSON[import-record]="$T/bundle.json --state-dir $T/other --json"
JSON[accept]="@PDF ${APPR[*]} --json"
JSON[destroy]="--asset OPT-3 --method shred --witness Witness ${TECH[*]} --json"
JSON[audit]="--from 2000-01-01 --to 2100-01-01 --json"
JSON[inspect]="--json"
JSON[custody list]="--json"
JSON[version]="--json"
JSON[commands]="--json"
JSON[cert show]="@PDF --json"
JSON[key new]="--name Opt --role technician --org Test -o $T/opt --passphrase-file $PASS --kdf min --json"
JSON[key show]="$C/test-only-technician.pub --json"
JSON[key verify]="@WREC --type wipe-record --json"
JSON[trust list]="--json"
JSON[trust verify]="--json"
JSON[ledger add]="OPT-4 --serial OPT-SERIAL-4 --class 3 ${TECH[*]} --json"
JSON[ledger edit]="OPT-4 --notes rack-3 --reason inventory ${TECH[*]} --json"
JSON[ledger show]="OPT-1 --json"
JSON[ledger list]="--json"
JSON[ledger history]="OPT-1 --json"
JSON[ledger import]="$T/import.csv ${TECH[*]} --dry-run --json"
JSON[ledger verify]="--json"
JSON[ledger check]="OPT-1 $T/a.img --json"
JSON[ledger requests]="--json"
JSON[ledger status]="OPT-4 lost --reason not-found-in-inventory ${TECH[*]} --json"
JSON[ledger migrate]="--json"
JSON[ledger archive]="--before 2000-01-01 -o $T/archive.json ${APPR[*]} --json"
# they need a drive (NVMe, ATA, SCSI) or a screen's worth of time: their JSON
# is read by tests/qemu/drive-checks.sh and station_json.sh; image prepare
# needs a stick image: image_prepare.sh reads its JSON
EXEMPT_JSON=(caps drive-erase station "image prepare")
# they need a contractor's roster, a witness's key: documents.sh reads their JSON
EXEMPT_JSON+=(witness "custody handover" "custody receive" "custody record" "custody approve-subcontract")
DRY[wipe]="$T/a.img --method zero"
DRY[drive-erase]="$T/a.img --method nvme-format"
DRY[ledger import]="$T/import.csv ${TECH[*]}"

fill() { # the example with what earlier examples made
	local s=$1
	s=${s//@PDF/$PDF}
	s=${s//@WREC/$WREC}
	printf '%s' "$s"
}
# the examples that use what others made (@PDF, @WREC) after those
mapfile -t ORDERED < <(for c in "${LEAVES[@]}"; do [[ ${JSON[$c]-} != *@* ]] && echo "$c"; done
		       for c in "${LEAVES[@]}"; do [[ ${JSON[$c]-} == *@* ]] && echo "$c"; done)
for c in "${ORDERED[@]}"; do
	read -r -a cw <<<"$c"
	if has "$c" json && ! printf '%s\n' "${EXEMPT_JSON[@]}" | grep -qx "$c"; then
		[ -n "${JSON[$c]+x}" ] || fail "'$c' prints JSON but has no example in options.sh: add one"
		read -r -a args <<<"$(fill "${JSON[$c]}")"
		"$W" "${cw[@]}" "${args[@]}" >"$T/out" 2>"$T/err"
		rc=$?
		[ "$rc" -ne 2 ] || fail "$c ${args[*]}: exit 2: $(cat "$T/err")"
		jq -e . "$T/out" >/dev/null 2>&1 || fail "$c --json (exit $rc): not JSON: $(head -c 300 "$T/out") $(cat "$T/err")"
		case $c in
		seal) WREC=$(jq -r .wipe_record "$T/out") ;;
		approve) PDF=$(jq -r .pdf "$T/out") ;;
		esac
	fi
	if has "$c" dry-run; then
		[ -n "${DRY[$c]+x}" ] || fail "'$c' takes --dry-run but has no example in options.sh: add one"
		read -r -a args <<<"${DRY[$c]}"
		"$W" "${cw[@]}" "${args[@]}" --dry-run >"$T/dry.out" 2>"$T/dry.err"
		rc1=$?
		"$W" "${cw[@]}" "${args[@]}" --no-act >"$T/noact.out" 2>"$T/noact.err"
		rc2=$?
		[ "$rc1" -ne 2 ] || fail "$c --dry-run: exit 2: $(cat "$T/dry.err")"
		expect_eq "$c: --no-act's exit is --dry-run's" "$rc2" "$rc1"
		cmp -s "$T/dry.out" "$T/noact.out" || fail "$c: --no-act prints other than --dry-run"
	fi
done
for c in "${EXEMPT_JSON[@]}"; do
	has "$c" json || fail "$c is no longer a JSON command: drop it from EXEMPT_JSON"
done
grep -q 'caps --json' "$(dirname "$0")/../qemu/drive-checks.sh" || fail "caps --json is checked nowhere"
grep -q 'drive-erase.*--json' "$(dirname "$0")/../qemu/drive-checks.sh" || fail "drive-erase --json is checked nowhere"
grep -q 'station --json' "$(dirname "$0")/station_json.sh" || fail "station --json is checked nowhere"
grep -q 'data-size 32M --json' "$(dirname "$0")/image_prepare.sh" || fail "image prepare --json is checked nowhere"
for c in witness "custody handover" "custody receive" "custody record" "custody approve-subcontract"; do
	grep -q "\"\$W\" $c .*--json" "$(dirname "$0")/documents.sh" || fail "$c --json is checked nowhere"
done

# the dry runs wrote nothing: the image keeps its marker, the ledger has no OPT-9
grep -q WIPECERT-MARKER "$T/a.img" && fail "wipe --json left the marker" # (the JSON example wiped it)
"$W" ledger show OPT-9 >/dev/null 2>&1 && fail "ledger import --dry-run imported"
# a firmware erase of an image, dry or not, is refused before anything is sent
expect_rc 3 "$W" drive-erase "$T/b.img" --method nvme-format --dry-run
expect_rc 3 "$W" drive-erase "$T/b.img" --method nvme-format --yes
exit 0
