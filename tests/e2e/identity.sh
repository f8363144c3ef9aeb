#!/usr/bin/env bash
# identity.sh - resume writes on the job's medium and nothing else, and a
# crash never turns into "verified". On loop devices and image files made
# here, each killed with kill -9 in the middle of a job:
#   - the loop re-attached to another image, or to a copy of its own;
#   - the image file replaced by another file (a copy, a different image,
#     a symbolic link, a directory) at the same path;
#   - data planted after a kill inside the read-back;
#   - two wipes of one image, or of one loop, at once;
#   - a job file edited by hand, a job of another host, a target that is
#     not a disk or an image.
# Every refusal: exit 3, one line that says what differed, the other
# medium byte-identical, the job file as it was and nothing new recorded.
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq; need_cmd unshare
W=$WIPECERT
SIZE=$((16 << 20))
n=0

mark() { # FILE TAG: the whole file full of TAG, in place (a loop may map it)
	yes "$2" | head -c "$SIZE" | dd of="$1" bs=1M conv=notrunc,fsync status=none || fail "mark $1"
}
settle() { # FILE: wait until writes in flight at a kill have landed
	local a b
	b=$(md5sum <"$1")
	for _ in $(seq 20); do
		sleep 0.1
		a=$(md5sum <"$1")
		[ "$a" = "$b" ] && return
		b=$a
	done
	fail "$1 does not stop changing"
}

# killed TARGET FILE COND [wipe options]: a slow wipe of TARGET (backed by
# FILE) in a fresh state directory, killed with -9 as soon as its job file
# says COND (jq); sets JOB and ID
killed() {
	local target=$1 file=$2 cond=$3 pid
	shift 3
	n=$((n + 1))
	export WIPECERT_STATE_DIR=$T/jobs.$n
	"$W" wipe --max-rate 4M --block-size 64K --confirm-serial "$target" "$@" "$target" >"$T/k.out" 2>"$T/k.err" &
	pid=$!
	JOB=
	for _ in $(seq 300); do
		sleep 0.05
		JOB=$(ls "$WIPECERT_STATE_DIR"/*.json 2>/dev/null | head -1)
		[ -n "$JOB" ] && jq -e "$cond" "$JOB" >/dev/null 2>&1 && break
	done
	kill -9 "$pid" 2>/dev/null || fail "the wipe of $target ended before it was killed: $(cat "$T/k.err")"
	wait "$pid" 2>/dev/null
	jq -e "$cond" "$JOB" >/dev/null || fail "$target: no checkpoint with $cond within 15 s"
	ID=$(jq -r .id "$JOB")
	settle "$file"
}

# refused WHY MEDIUM ORIGINAL CMD...: exit 3, one line naming WHY, MEDIUM
# byte-identical to ORIGINAL, the job file and its directory unchanged
refused() {
	local why=$1 medium=$2 orig=$3
	shift 3
	cp "$JOB" "$T/job.before"
	ls -lA --time-style=+%s.%N "$WIPECERT_STATE_DIR" >"$T/dir.before"
	expect_rc 3 "$@"
	grep -q -- "$why" "$T/err" || fail "$*: refused without '$why': $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$*: more than one line: $(cat "$T/err")"
	cmp -s "$medium" "$orig" || fail "$*: $medium was written"
	cmp -s "$JOB" "$T/job.before" || fail "$*: the job file changed"
	ls -lA --time-style=+%s.%N "$WIPECERT_STATE_DIR" | diff - "$T/dir.before" >&2 ||
		fail "$*: something was recorded in $WIPECERT_STATE_DIR"
}

verified() { # FILE TAG: the last resume ended verified and TAG is gone
	expect_eq "$1: state" "$(jq -r .state "$JOB")" succeeded
	expect_eq "$1: result" "$(jq -r .result "$JOB")" wiped-and-verified
	grep -q "$2" "$1" && fail "$1: $2 left after a verified wipe"
	return 0
}

# ---- a loop device re-attached to another image ----
mark "$T/a.img" MEDIUM-A
new_loop L "$T/a.img" "$SIZE" --direct-io=on
killed "$L" "$T/a.img" '.passes[0].state == "writing" and .passes[0].written > 0' -m dod-short
mark "$T/b.img" MEDIUM-B
cp "$T/b.img" "$T/b.orig"
cp "$T/a.img" "$T/a.copy"
cp "$T/a.img" "$T/a.copy.orig"
losetup -d "$L" && losetup --direct-io=on "$L" "$T/b.img" || fail "re-attach $L to b.img"
refused "not the medium the job started on: another file" "$T/b.img" "$T/b.orig" "$W" resume "$ID"
# ... to a copy of its own image, every byte the same: another file all the same
losetup -d "$L" && losetup --direct-io=on "$L" "$T/a.copy" || fail "re-attach $L to a.copy"
refused "another file" "$T/a.copy" "$T/a.copy.orig" "$W" resume "$ID"
# ... and to its own image again: proven, resumed, verified
losetup -d "$L" && losetup --direct-io=on "$L" "$T/a.img" || fail "re-attach $L to a.img"
expect_rc 0 "$W" resume --max-rate 0 "$ID"
verified "$T/a.img" MEDIUM-A
cmp -s "$T/b.img" "$T/b.orig" || fail "b.img changed"

# ---- an image file replaced at its path ----
mark "$T/c.img" MEDIUM-C
killed "$T/c.img" "$T/c.img" '.passes[0].state == "writing" and .passes[0].written > 0' -m zero
mv "$T/c.img" "$T/c.keep"
cp "$T/c.keep" "$T/c.img"          # a copy: the same bytes, another file
cp "$T/c.keep" "$T/c.copy.orig"
refused "another file: inode" "$T/c.img" "$T/c.copy.orig" "$W" resume "$ID"
mark "$T/c.img" MEDIUM-D            # a different image
cp "$T/c.img" "$T/d.orig"
refused "another file" "$T/c.img" "$T/d.orig" "$W" resume "$ID"
rm "$T/c.img" && ln -s "$T/d.orig" "$T/c.img"   # a symbolic link to another image
cp "$T/d.orig" "$T/d.orig2"
refused "another file" "$T/d.orig" "$T/d.orig2" "$W" resume "$ID"
rm "$T/c.img" && mkdir "$T/c.img"   # a path that changed type
refused "no longer a disk or an image file" "$T/d.orig" "$T/d.orig2" "$W" resume "$ID"
rmdir "$T/c.img" && mkfifo "$T/c.img"
refused "no longer a disk or an image file" "$T/d.orig" "$T/d.orig2" "$W" resume "$ID"
rm "$T/c.img" && mv "$T/c.keep" "$T/c.img"
expect_rc 0 "$W" resume --max-rate 0 "$ID"
verified "$T/c.img" MEDIUM-C

# ---- a job file edited by hand ----
mark "$T/e.img" MEDIUM-E
killed "$T/e.img" "$T/e.img" '.passes[0].state == "writing" and .passes[0].written > 0' -m zero
cp "$T/e.img" "$T/e.orig"
cp "$JOB" "$T/job.good"
jq '.passes[0].written = 0' "$T/job.good" >"$JOB"
refused "changed by hand" "$T/e.img" "$T/e.orig" "$W" resume "$ID"
jq '.tuning.max_rate = 0' "$T/job.good" >"$JOB"
refused "changed by hand" "$T/e.img" "$T/e.orig" "$W" resume "$ID"
echo '{"format": 2, "id": "x"' >"$JOB"
refused "or is damaged" "$T/e.img" "$T/e.orig" "$W" resume "$ID"
cp "$T/job.good" "$JOB"
# the job keeps its tuning: resumed at the 4M/s it was started with
expect_eq "tuning kept" "$(jq -r .tuning.max_rate "$JOB")" 4194304
t0=$(date +%s%N)
expect_rc 0 "$W" resume "$ID"
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -ge 1500 ] || fail "resume forgot --max-rate 4M: $(((t1 - t0) / 1000000)) ms"
verified "$T/e.img" MEDIUM-E

# ---- a job of another host ----
mark "$T/h.img" MEDIUM-H
n=$((n + 1))
export WIPECERT_STATE_DIR=$T/jobs.$n
unshare --uts sh -c 'hostname other-station && exec "$0" wipe --max-rate 4M --confirm-serial "$1" "$1"' \
	"$W" "$T/h.img" >"$T/k.out" 2>&1 &
pid=$!
for _ in $(seq 200); do
	sleep 0.05
	JOB=$(ls "$WIPECERT_STATE_DIR"/*.json 2>/dev/null | head -1)
	[ -n "$JOB" ] && jq -e '.passes[0].written > 0' "$JOB" >/dev/null 2>&1 && break
done
{ kill -9 "$pid"; wait "$pid"; } 2>/dev/null
settle "$T/h.img"
ID=$(jq -r .id "$JOB")
expect_eq "host" "$(jq -r .host "$JOB")" other-station
cp "$T/h.img" "$T/h.orig"
refused "the job belongs to host other-station" "$T/h.img" "$T/h.orig" "$W" resume "$ID"

# ---- kill -9 inside the read-back, then data planted in the part read back ----
mark "$T/r.img" MEDIUM-R
new_loop R "$T/r.img" "$SIZE" --direct-io=on
killed "$R" "$T/r.img" '.passes[0].state == "verifying" and .passes[0].verified > 1048576' -m zero --verify last
verified_at=$(jq -r .passes[0].verified "$JOB")
# where no fingerprint sample lies (else the proof refuses first: below)
plant=$(jq -r --argjson lim "$verified_at" '
	[.fingerprint_samples[][0]] as $s | .device.fingerprint.block as $b |
	[range(65536; $lim - 4096; 512) | select(. as $o | all($s[]; $o + 512 <= . or $o >= . + $b))] | first' "$JOB")
[ "$plant" != null ] || fail "no sector outside the samples below $verified_at"
printf 'PLANTED-SECRET' | dd of="$T/r.img" bs=1 seek="$plant" conv=notrunc,fsync status=none
expect_rc 1 "$W" resume --max-rate 0 --json "$ID"
expect_eq "planted: state" "$(jq -r '.jobs[0].state' "$T/out")" failed
expect_eq "planted: result" "$(jq -r '.jobs[0].result' "$T/out")" failed
expect_eq "planted: where" "$(jq -r '.jobs[0].passes[0].mismatches.ranges[0].offset' "$T/out")" "$plant"
grep -q "FAILED" "$T/err" || fail "no FAILED: $(cat "$T/err")"
# ... the same, planted where a sample lies: refused before anything is read back
mark "$T/r.img" MEDIUM-R
killed "$R" "$T/r.img" '.passes[0].state == "verifying" and .passes[0].verified > 1048576' -m zero --verify last
plant=$(jq -r '.fingerprint_samples[1][0]' "$JOB")
printf 'PLANTED-SECRET' | dd of="$T/r.img" bs=1 seek="$plant" conv=notrunc,fsync status=none
cp "$T/r.img" "$T/r.orig"
refused "samples differ" "$T/r.img" "$T/r.orig" "$W" resume "$ID"
grep -q PLANTED-SECRET "$T/r.img" || fail "the planted data is gone"

# ---- two wipes of one image, of one loop, at once ----
for target in image loop; do
	mark "$T/t.img" MEDIUM-T
	if [ $target = loop ]; then new_loop TL "$T/t.img" "$SIZE" --direct-io=on; dev=$TL; else dev=$T/t.img; fi
	n=$((n + 1))
	export WIPECERT_STATE_DIR=$T/jobs.$n
	"$W" wipe --max-rate 8M -m zero --confirm-serial "$dev" "$dev" >"$T/first.out" 2>"$T/first.err" &
	first=$!
	for _ in $(seq 200); do
		sleep 0.05
		JOB=$(ls "$WIPECERT_STATE_DIR"/*.json 2>/dev/null | head -1)
		[ -n "$JOB" ] && break
	done
	[ -n "$JOB" ] || fail "$target: the first wipe made no job"
	expect_rc 3 "$W" wipe -m one --confirm-serial "$dev" "$dev"
	if [ $target = image ]; then
		grep -q "locked by another wipe" "$T/err" || fail "second wipe of an image: $(cat "$T/err")"
		# ... and a resume of the running job itself
		expect_rc 3 "$W" resume "$(jq -r .id "$JOB")"
		grep -q "locked by another wipe" "$T/err" || fail "resume of a running job: $(cat "$T/err")"
	else
		grep -q "open by another program" "$T/err" || fail "second wipe of a loop: $(cat "$T/err")"
	fi
	[ "$(ls "$WIPECERT_STATE_DIR"/*.json | wc -l)" -eq 1 ] || fail "$target: the second wipe made a job"
	wait "$first" || fail "$target: the first wipe failed: $(cat "$T/first.err")"
	grep -q "wiped and verified" "$T/first.out" || fail "$target: first wipe: $(cat "$T/first.out")"
	cmp -s "$T/t.img" <(head -c "$SIZE" /dev/zero) || fail "$target: not all zero: the second wipe wrote 'one'?"
done

# ---- not a disk, not an image: one line, exit 3, nothing written ----
n=$((n + 1))
export WIPECERT_STATE_DIR=$T/jobs.$n
mkfifo "$T/fifo"
for bad in /dev/null "$T" "$T/fifo"; do
	expect_rc 3 timeout 10 "$W" wipe --confirm-serial "$bad" "$bad"
	grep -q "not a whole disk or a regular image file" "$T/err" || fail "$bad: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$bad: more than one line: $(cat "$T/err")"
done
expect_rc 3 "$W" wipe --confirm-serial "$T/no-such.img" "$T/no-such.img"
[ -e "$T/no-such.img" ] && fail "a wipe of a missing path created it"
[ -z "$(ls "$WIPECERT_STATE_DIR" 2>/dev/null)" ] || fail "refused targets left jobs"

# ---- --verify off says so ----
mark "$T/v.img" MEDIUM-V
expect_rc 0 "$W" wipe -m zero --verify off --confirm-serial "$T/v.img" "$T/v.img"
grep -q "wiped, not verified" "$T/out" || fail "verify off: $(cat "$T/out")"
grep -q "and verified" "$T/out" && fail "verify off says verified: $(cat "$T/out")"
expect_rc 0 "$W" wipe -m zero --verify off --json --confirm-serial "$T/v.img" "$T/v.img"
expect_eq "verify off in JSON" "$(jq -r '.jobs[0].result' "$T/out")" wiped-not-verified
exit 0
