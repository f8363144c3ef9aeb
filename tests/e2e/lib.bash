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
PG_OWN=
cleanup() {
	local m l
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
	[ -z "$PG_OWN" ] || { pg_cluster_stop "$PG_OWN"; rm -rf "$PG_OWN"; }
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
	if [[ $p == postgresql:* ]]; then # the same on a PostgreSQL ledger
		"$PG_BIN/pg_dump" --data-only --schema=wipecert --exclude-table=wipecert.events \
			--exclude-table=wipecert.meta "$p" | grep -v -e '^--' -e '^.restrict ' -e '^.unrestrict '
		[[ $1 == ledger:* ]] && c="NOT (kind = 'note' AND reason LIKE 'refused: %')" || c=true
		psql -X -q -At -v ON_ERROR_STOP=1 -c "SET search_path = wipecert" \
			-c "SELECT e::text FROM events e WHERE $c ORDER BY seq" \
			-c "SELECT m::text FROM meta m WHERE $([[ $1 == ledger:* ]] && echo "key NOT IN ('head_seq', 'head_hash')" || echo true) ORDER BY key" \
			"$p" || echo "unreadable ledger"
		return
	fi
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

# ---- the ledger under test: a SQLite file, or a PostgreSQL database ----
# tests/run.sh runs each script that says "# backends: sqlite postgresql"
# a second time with WIPECERT_TEST_DB=postgresql, against the cluster it
# started (WIPECERT_TEST_PGDIR); a script run alone starts its own.
. "$(dirname "${BASH_SOURCE[0]}")/../pg/cluster.bash"
BACKEND=${WIPECERT_TEST_DB:-sqlite}
case $BACKEND in sqlite | postgresql) ;; *) fail "WIPECERT_TEST_DB=$BACKEND: sqlite or postgresql" ;; esac

# need_pg: PGD names a running cluster (run.sh's, or one of this script's own)
need_pg() {
	local why
	[ -n "${PGD:-}" ] && return 0
	if [ -n "${WIPECERT_TEST_PGDIR:-}" ]; then
		PGD=$WIPECERT_TEST_PGDIR
		return 0
	fi
	own_pg -c fsync=off
}

# own_pg [init | -c NAME=VALUE...]: a cluster of this script's own (one it
# may kill), PGD names it, the exit trap stops it; "init": initdb only
own_pg() {
	local why
	why=$(pg_missing)
	[ -z "$why" ] || fail "PostgreSQL tests need a server: $why"
	PG_OWN=$(mktemp -d /tmp/wipecert-pg.XXXXXX)
	PGD=$PG_OWN
	if [ "${1:-}" = init ]; then
		pg_cluster_init "$PGD" || fail "initdb"
	else
		pg_cluster_start "$PGD" "$@" || fail "cannot start a PostgreSQL cluster"
	fi
}

# start_stations LEDGER PREFIX N EACH [RETRY]: N stations appending EACH
# events at once in the background (tests/tools/ledger-writer, $WRITER),
# assets PREFIXn-i, outputs $T/PREFIXn.out and .err; pids in STATIONS
start_stations() {
	local db=$1 p=$2 n=$3 each=$4 s
	STATIONS=()
	for s in $(seq 1 "$n"); do
		"$WRITER" "$db" "$(dirname "${BASH_SOURCE[0]}")/../../certs/test-only/test-only-technician.key" \
			"$(dirname "${BASH_SOURCE[0]}")/../../certs/test-only/passphrase.txt" "$p$s" "$each" ${5:-} \
			>"$T/$p$s.out" 2>"$T/$p$s.err" &
		STATIONS+=($!)
	done
}
# wait_acked PREFIX COUNT: until the stations PREFIX were told COUNT times
# that an event was stored (at most 20 s); prints how many
wait_acked() {
	for _ in $(seq 1 400); do
		[ "$(cat "$T/$1"[0-9]*.out 2>/dev/null | grep -c '^ok ')" -ge "$2" ] && break
		sleep 0.05
	done
	cat "$T/$1"[0-9]*.out | grep -c '^ok '
}
# wait_stations PREFIX: every station PREFIX ended well, else fail naming it
wait_stations() {
	local i
	for i in "${!STATIONS[@]}"; do
		wait "${STATIONS[$i]}" ||
			fail "station $1$((i + 1)) failed: $(grep -v '^ *#' "$T/$1$((i + 1)).err" | head -n 3)"
	done
}

# expect_acknowledged LEDGER TOTAL WRITER_OUTPUT...: what stations
# (tests/tools/ledger-writer) were told holds: every "ok ID SEQ" is event
# SEQ of asset ID; acknowledged and "stored" (answer lost) make TOTAL; the
# events are exactly 1..TOTAL, one per asset, nothing twice or half; the
# chain and every signature verify with the test-only roster
expect_acknowledged() {
	local db=$1 total=$2 acked lost missing
	shift 2
	acked=$(cat "$@" | grep -c '^ok ')
	lost=$(cat "$@" | grep -c '^stored ')
	cat "$@" | awk '$1 == "ok" { print $3 "|" $2 }' | sort >"$T/acked"
	lsql "$db" "SELECT seq || '|' || asset_id FROM events" | sort >"$T/stored"
	missing=$(comm -23 "$T/acked" "$T/stored")
	[ -z "$missing" ] || fail "acknowledged but not stored: $(head -3 <<<"$missing")"
	expect_eq "every asset acknowledged or stored" $((acked + lost)) "$total"
	expect_eq "events" "$(lsql "$db" "SELECT count(*) || ' ' || max(seq) || ' ' || count(DISTINCT asset_id) FROM events")" \
		"$total $total $total"
	expect_eq "assets" "$(lsql "$db" "SELECT count(*) FROM assets")" "$total"
	expect_rc 0 "$WIPECERT" ledger --db "$db" verify --trust "$(dirname "${BASH_SOURCE[0]}")/../../certs/test-only/trust" --json
	expect_eq "verify" "$(json_get "$T/out" 'd["ok"], d["events"], d["signatures"]["signed"]')" "(True, $total, $total)"
}

# new_ledger NAME: where this test's ledger NAME lives (nothing made yet:
# a new database of the cluster is empty until wipecert creates the schema)
new_ledger() {
	local db
	if [ "$BACKEND" = sqlite ]; then
		echo "$T/$1.db"
		return
	fi
	[ -n "${PGD:-}" ] || fail "new_ledger: no PostgreSQL cluster (need_pg first)"
	db=t_$(basename "$0" .sh | tr -c 'a-zA-Z0-9\n' _)_$$_$1
	pg_createdb "$PGD" "$db" || fail "createdb $db"
	pg_uri "$PGD" "$db"
}

# lsql LEDGER SQL: run SQL on the ledger with the shell its store has
# (sqlite3, psql as the superuser with the ledger's schema on the path)
lsql() {
	if [[ $1 == postgresql:* ]]; then
		psql -X -q -At -v ON_ERROR_STOP=1 -c "SET search_path = wipecert" -c "$2" "$1"
	else
		sqlite3 "$1" "$2"
	fi
}
# (in this shell, not in the $(...) that calls new_ledger: its trap stops it)
[ "$BACKEND" = sqlite ] || need_pg

# ledger_exists LEDGER: has anything created the ledger there?
ledger_exists() {
	if [[ $1 == postgresql:* ]]; then
		[ "$(psql -X -q -At -c "SELECT to_regclass('wipecert.meta') IS NOT NULL" "$1")" = t ]
	else
		[ -e "$1" ]
	fi
}
# ledger_dump LEDGER: a hash of everything stored (equal: nothing changed)
ledger_dump() {
	if [[ $1 == postgresql:* ]]; then
		"$PG_BIN/pg_dump" --data-only --schema=wipecert "$1" | grep -v -e '^--' -e '^.restrict ' -e '^.unrestrict ' | sha256sum
	else
		sqlite3 "$1" .dump | sha256sum
	fi
}
# ledger_clone LEDGER NAME: a copy of the ledger to tamper with; prints where
ledger_clone() {
	local db
	if [[ $1 == postgresql:* ]]; then
		db=t_$(basename "$0" .sh | tr -c 'a-zA-Z0-9\n' _)_$$_$2
		db=${db,,}
		pg_psql "$PGD" postgres -c "CREATE DATABASE \"$db\" TEMPLATE \"$(sed 's|^postgresql:///\([^?]*\).*|\1|' <<<"$1")\"" ||
			fail "clone $1"
		pg_uri "$PGD" "$db"
	else
		cp "$1" "$T/$2.db" || fail "clone $1"
		echo "$T/$2.db"
	fi
}
# ledger_untrigger LEDGER: what someone with the file, or the database's
# owner, can do first: the append-only triggers gone
ledger_untrigger() {
	if [[ $1 == postgresql:* ]]; then
		lsql "$1" "ALTER TABLE events DISABLE TRIGGER USER"
	else
		sqlite3 "$1" "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;"
	fi
}
