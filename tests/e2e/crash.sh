#!/usr/bin/env bash
# crash.sh - power loss at 20 points of a sealed wipe of a small image:
# wipecert is killed with SIGKILL (no handler, nothing flushed) at a random
# time, or at a named crash point (a job checkpoint, the sync after a
# pass, the start of the seal, after its signature, after its record,
# after its ledger event, signed in the transaction that appends it). After each crash
# the job is either resumable or ended, never both; `resume` then ends it
# wiped, verified and sealed exactly once: one job record, one wipe record
# that minisign verifies, one signed ledger event, `ledger verify` intact,
# and sqlite3 agrees. A crash before the first checkpoint wrote nothing.
# CRASH_SEED=N repeats a run; CRASH_RUNS=N changes how many.
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_cmd jq; need_cmd sqlite3; need_cmd minisign
C=$(cd "$(dirname "$0")/../../certs/test-only" && pwd)
W=$WIPECERT
TECH=(--key "$C/test-only-technician.key" --passphrase-file "$C/passphrase.txt")
SEED=${CRASH_SEED:-$(date +%s)}
RUNS=${CRASH_RUNS:-20}
RANDOM=$SEED
echo "crash.sh: seed $SEED ($RUNS runs; CRASH_SEED=$SEED repeats them)" >&2
export WIPECERT_TRUST=$C/trust

# one ledger with the asset, copied for each run
WIPECERT_DB=$T/template.db "$W" ledger add CR-1 --media-type "disk image" --serial CRASH-LABEL-1 --class 3 \
	--status awaiting-erasure "${TECH[@]}" >/dev/null || fail "ledger add"
yes CRASH-MARKER | head -c $((4 << 20)) >"$T/orig.img"

kinds=(time job-save pass-synced seal-start seal-signature seal-record seal-ledger seal-done)
for run in $(seq "$RUNS"); do
	kind=${kinds[$(((run - 1) % ${#kinds[@]}))]}
	case $kind in
	time) point= delay=$((RANDOM % 2500)) ;;
	# a 3-pass job with the last pass read back saves at least 12 times
	# whatever the speed (start, each pass begun, written and done, the
	# read-back begun, the end); more only when a pass outlasts the 2 s
	# checkpoint, which a fast, idle machine may not give
	job-save) point=job-save:$((1 + RANDOM % 12)) ;;
	pass-synced) point=pass-synced:$((1 + RANDOM % 3)) ;;
	*) point=$kind ;;
	esac
	what="run $run (${point:-kill after ${delay} ms})"
	export WIPECERT_STATE_DIR=$T/state.$run WIPECERT_DB=$T/ledger.$run.db
	cp "$T/template.db" "$WIPECERT_DB"
	cp "$T/orig.img" "$T/disk.img"
	WIPECERT_CRASH_POINT=$point "$W" wipe -m dod-short --max-rate 8M --block-size 256K --asset CR-1 \
		--attest-serial CRASH-LABEL-1 --confirm-serial CRASH-LABEL-1 "${TECH[@]}" "$T/disk.img" \
		>"$T/wipe.out" 2>"$T/wipe.err" &
	pid=$!
	if [ -z "$point" ]; then
		sleep "$(printf '0.%03d' "$delay")"
		kill -9 "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	[ -n "$point" ] && [ $rc -ne 137 ] && fail "$what: not killed at its crash point (exit $rc): $(cat "$T/wipe.err")"

	# after the crash: resumable or ended, never both; sealed only when ended
	job=$(ls "$WIPECERT_STATE_DIR"/*.json 2>/dev/null | grep -v '\.wipe-record\.json$')
	if [ -z "$job" ]; then
		# killed before the first checkpoint: nothing may have been written
		cmp -s "$T/disk.img" "$T/orig.img" || fail "$what: written without a job record"
		echo "$what: killed before the job began: nothing written" >&2
		continue
	fi
	[ "$(echo "$job" | wc -l)" -eq 1 ] || fail "$what: several job files: $job"
	state=$(jq -r .state "$job")
	id=$(jq -r .id "$job")
	case $state in
	running) [ -e "$WIPECERT_STATE_DIR/$id.wipe-record.json" ] && fail "$what: a running job has a wipe record" ;;
	succeeded) ;;
	*) fail "$what: the crash left the job $state: $(jq -r .failure "$job")" ;;
	esac
	sealed_before=no
	[ -e "$WIPECERT_STATE_DIR/$id.wipe-record.json" ] && sealed_before=yes

	"$W" resume --max-rate 0 "${TECH[@]}" "$id" >"$T/resume.out" 2>"$T/resume.err"
	rc=$?
	if [ $rc -eq 3 ]; then
		# only a job whose seal was already whole may say so
		grep -q "already ended and is sealed" "$T/resume.err" && [ $sealed_before = yes ] ||
			fail "$what: resume refused: $(cat "$T/resume.err")"
	elif [ $rc -ne 0 ]; then
		fail "$what: resume exit $rc: $(cat "$T/resume.err")"
	fi

	# verified and sealed exactly once
	expect_eq "$what: state" "$(jq -r .state "$job")" succeeded
	expect_eq "$what: result" "$(jq -r .result "$job")" wiped-and-verified
	expect_eq "$what: read back" "$(jq -r '.passes[-1].verification' "$job")" passed
	grep -q CRASH-MARKER "$T/disk.img" && fail "$what: the marker survived"
	records=$(ls "$WIPECERT_STATE_DIR"/*.wipe-record.json | wc -l)
	expect_eq "$what: wipe records" "$records" 1
	minisign -V -q -m "$WIPECERT_STATE_DIR/$id.wipe-record.json" -p "$C/test-only-technician.pub" ||
		fail "$what: the wipe record's signature"
	expect_eq "$what: attested in the record" \
		"$(jq -r .job.device.attested.serial "$WIPECERT_STATE_DIR/$id.wipe-record.json")" CRASH-LABEL-1
	"$W" ledger verify >"$T/verify.out" 2>&1 || fail "$what: ledger verify: $(cat "$T/verify.out")"
	expect_eq "$what: seal events" "$(sqlite3 "$WIPECERT_DB" \
		"SELECT count(*) FROM events WHERE asset_id = 'CR-1' AND reason LIKE 'wipe %job $id%'")" 1
	expect_eq "$what: unsigned seal events" "$(sqlite3 "$WIPECERT_DB" \
		"SELECT count(*) FROM events WHERE asset_id = 'CR-1' AND reason LIKE 'wipe %' AND signature IS NULL")" 0
	expect_eq "$what: events" "$(sqlite3 "$WIPECERT_DB" "SELECT count(*) FROM events WHERE asset_id = 'CR-1'")" 2
	expect_eq "$what: status" "$(sqlite3 "$WIPECERT_DB" "SELECT status FROM assets WHERE asset_id = 'CR-1'")" erased
	sqlite3 "$WIPECERT_DB" "PRAGMA integrity_check" | grep -qx ok || fail "$what: sqlite integrity_check"
	echo "$what: $state, sealed before resume: $sealed_before; resumed: verified, sealed once" >&2
done
exit 0
