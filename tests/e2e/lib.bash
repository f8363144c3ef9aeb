# lib.bash - sourced by the end-to-end tests: scratch space, loop devices that
# are always detached, and assertions that say what they expected.
# Only loop devices over files made here are ever written to.
#
# A failed check is tagged by what it looked at, so that the mutation
# harness (tests/mutants/run.sh, docs/testing.md) can tell a test that
# caught wrong behaviour from one that only noticed a changed message:
#   OUTCOME-FAIL:  what happened: an exit code, a crash, the bytes of a
#                  disk or file, a ledger row, a value in the output, a
#                  signature an independent tool checks
#   MESSAGE-FAIL:  only the wording of a message
#   FAIL:          untagged (older checks; counted as neither)
set -u
: "${WIPECERT:?WIPECERT must name the binary under test}"
T=$(mktemp -d "${TMPDIR:-/tmp}/wipecert-e2e.XXXXXX")
# the verifier's memory of trust-list serials: this test's own, never the machine's
export WIPECERT_TRUST_STATE=$T/trust-state.json
# secret keys others can read are refused (as ssh does); a checkout gives 0644
chmod 600 "$(dirname "${BASH_SOURCE[0]}")"/../../certs/test-only/*.key
LOOPS=()
MOUNTS=()
cleanup() {
	local m l
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$T"
	[ -z "${MESSAGE_FAILED:-}" ] || exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# skip REASON: this check cannot run here. tests/run.sh fails the run
# unless tests/skips.allowed lists the script with this reason.
skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
fail_outcome() { echo "OUTCOME-FAIL: $*" >&2; exit 1; }
# (TESTS_MESSAGES_GO_ON=1, set by the mutation harness: a wording failure
# is reported, the script goes on to its outcome checks and fails at the
# end; otherwise it stops here like any failure)
fail_message() {
	echo "MESSAGE-FAIL: $*" >&2
	[ -n "${TESTS_MESSAGES_GO_ON:-}" ] || exit 1
	MESSAGE_FAILED=1
}
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root for loop devices"; }
# a tool the test checks with is part of the test: missing is a failure
# (scripts/install-deps.sh installs every one)
need_cmd() { command -v "$1" >/dev/null || fail "$1 is not installed (scripts/install-deps.sh)"; }

# new_loop VAR FILE SIZE [losetup options]: make FILE of SIZE, attach it and
# set VAR to the loop device; it is detached on exit, whatever happens.
# (Not `L=$(new_loop ...)`: a command substitution's subshell would lose
# the record of the device and leave it attached.)
new_loop() {
	local var=$1 f=$2 size=$3 l
	shift 3
	truncate -s "$size" "$f" || fail "truncate $f"
	l=$(losetup -f --show "$@" "$f") || fail "losetup -f --show $* $f failed"
	LOOPS+=("$l")
	printf -v "$var" '%s' "$l"
}

# detach_loop DEV: detach a loop device made by new_loop (or added to LOOPS)
# before the end, and forget it: the kernel hands its number to the next
# losetup, maybe another test's, which the exit trap must not detach
detach_loop() {
	local i
	losetup -d "$1" || fail "detach $1"
	for i in "${!LOOPS[@]}"; do [ "${LOOPS[$i]}" = "$1" ] && unset 'LOOPS[i]'; done
}

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail_outcome "$1: got '$2', want '$3'"; }

# crash_report FILE: the first line in FILE that says a program crashed
# (AddressSanitizer, LeakSanitizer, UBSan); nothing when there is none
crash_report() {
	grep -aE -m1 '==[0-9]+==ERROR: [A-Za-z]+Sanitizer|SUMMARY: [A-Za-z]+Sanitizer|runtime error: ' "$1"
}
# no_crash WHAT RC ERRFILE: a signal or a sanitizer report is never a pass
no_crash() {
	local r
	[ "$2" -lt 128 ] || fail_outcome "$1: killed by signal $(($2 - 128)): $(tail -n 5 "$3")"
	r=$(crash_report "$3") && fail_outcome "$1: crashed: $r"
	return 0
}

# expect_rc WANT CMD...: run CMD (stdout in $T/out, stderr in $T/err), check
# its exit code and that it did not crash
expect_rc() {
	local want=$1 rc
	shift
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	no_crash "$*" "$rc" "$T/err"
	[ "$rc" -eq "$want" ] || { cat "$T/err" >&2; fail_outcome "$*: exit $rc, want $want"; }
}

# expect_msg PATTERN [FILE]: FILE (default $T/err) says PATTERN (a grep
# basic regular expression): a check of wording only
expect_msg() {
	local f=${2:-$T/err}
	grep -q -- "$1" "$f" || fail_message "no '$1' in $f: $(head -c 2000 "$f")"
}

# snapshot OBJ: what "unchanged" compares. A file or block device: its
# bytes; db:FILE: a ledger's rows (sqlite3 .dump, read-only); ledger:FILE:
# the same but for the notes the operation log appends to an asset's
# history for a refusal (kind 'note', reason 'refused: ...', and the chain
# head they move): what the refused command itself did not do; dir:DIR:
# the names and bytes of every file under DIR. A missing one is "absent".
snapshot() {
	local p=${1#*:} c
	case $1 in db:* | ledger:* | dir:*) ;; *) p=$1 ;; esac
	[ -e "$p" ] || { echo absent; return; }
	case $1 in
	db:*) sqlite3 -readonly "$p" .dump || echo "unreadable ledger" ;;
	ledger:*)
		c=$(mktemp "$T/snap-ledger.XXXXXX")
		sqlite3 -readonly "$p" ".backup '$c'" || { echo "unreadable ledger"; return; }
		# a copy: its triggers (which keep events from being deleted) go first
		sqlite3 "$c" "SELECT 'DROP TRIGGER \"' || name || '\";' FROM sqlite_master WHERE type = 'trigger'" |
			sqlite3 "$c" &&
			sqlite3 "$c" "DELETE FROM events WHERE kind = 'note' AND reason LIKE 'refused: %';
				DELETE FROM meta WHERE key IN ('head_seq', 'head_hash');" &&
			sqlite3 "$c" .dump || echo "unreadable ledger"
		rm -f "$c"
		;;
	dir:*) (cd "$p" && find . \( -type f -o -type l \) -print0 | sort -z | xargs -0r sha256sum) ;;
	*) sha256sum <"$p" ;;
	esac
}

# expect_refused RC PATTERN [OBJ]... -- CMD...: CMD exits exactly RC (3 is
# a refusal, 2 a usage error, 1 a failure), without a crash, every OBJ
# (see snapshot) is exactly what it was before, and stderr says PATTERN
# (a grep basic regular expression; empty: not checked). Outcome first,
# then wording. RC 0 serves for what must change nothing (--dry-run).
expect_refused() {
	local want=$1 pat=$2 rc i=0 o objs=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do objs+=("$1"); shift; done
	[ "${1:-}" = -- ] && [ $# -gt 1 ] || fail "expect_refused: usage: RC PATTERN [OBJ]... -- CMD..."
	shift
	for o in "${objs[@]}"; do snapshot "$o" >"$T/snap.$i"; i=$((i + 1)); done
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	no_crash "$*" "$rc" "$T/err"
	[ "$rc" -eq "$want" ] || { cat "$T/err" >&2; fail_outcome "$*: exit $rc, want $want"; }
	i=0
	for o in "${objs[@]}"; do
		snapshot "$o" | cmp -s - "$T/snap.$i" || fail_outcome "$*: exit $rc, yet $o changed"
		i=$((i + 1))
	done
	[ -z "$pat" ] || grep -q -- "$pat" "$T/err" || fail_message "$*: the refusal does not say '$pat': $(cat "$T/err")"
}

# expect_absent FILE WHY: a refused step left no FILE behind
expect_absent() { [ ! -e "$1" ] || fail_outcome "$2: $1 exists"; }

# jq-free JSON field read via python3 (present on every Debian with apt tooling)
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }

# expect_pdf_signed PDF CA.crt: poppler's pdfsig, with an NSS database
# made here that trusts CA, says valid, trusted and whole document signed
# (pdfsig exits 0 whatever it finds: its output is what counts)
expect_pdf_signed() {
	local pdf=$1 ca=$2 db p want
	db=$(mktemp -d "$T/nss.XXXXXX")
	certutil -N -d "sql:$db" --empty-password && certutil -A -d "sql:$db" -n ca -t "CT,C,C" -i "$ca" ||
		fail "certutil could not trust $ca"
	p=$(pdfsig -nssdir "sql:$db" "$pdf" 2>&1)
	for want in "Signature is Valid" "Certificate is Trusted" "Total document signed"; do
		grep -q "$want" <<<"$p" || fail_outcome "pdfsig lacks '$want' for $pdf: $p"
	done
}

# expect_records_signed PDF APPROVER.pub TECHNICIAN.pub: the certificate's
# attached record.json and wipe-record.json come out with qpdf (into $T)
# and verify with minisign alone, against the approver's and the
# technician's public keys
expect_records_signed() {
	local pdf=$1 a
	for a in record.json wipe-record.json; do
		qpdf --show-attachment=$a "$pdf" >"$T/$a" || fail_outcome "no attachment $a in $pdf"
		qpdf --show-attachment=$a.minisig "$pdf" >"$T/$a.minisig" || fail_outcome "no attachment $a.minisig in $pdf"
	done
	minisign -V -q -m "$T/record.json" -p "$2" || fail_outcome "minisign: the approver's record.json in $pdf"
	minisign -V -q -m "$T/wipe-record.json" -p "$3" || fail_outcome "minisign: the technician's wipe-record.json in $pdf"
}
