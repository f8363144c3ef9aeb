#!/usr/bin/env bash
# station_ui.sh - the wipe station's screen driven in a real pseudo-terminal
# (tmux, 80x24) over loop devices and an image file made here and
# registered in a ledger: the key unlocked once, two disks found, selected,
# confirmed by typing their asset IDs and wiped side by side; both PASS and
# sealed with no second passphrase prompt (the prompts are counted); the
# records check out with minisign and the ledger says erased; each disk's
# summary PDF holds its case ID and a QR code zbarimg reads. Then the bad
# input: an unknown key, a disk that vanishes between selection and start,
# a ledger locked by another program: a message on the screen, nothing
# written. Resize to 132x30 and back.
. "$(dirname "$0")/lib.bash"
need_cmd minisign
need_cmd qpdf; need_cmd pdftotext; need_cmd pdftoppm; need_cmd zbarimg
. "$(dirname "$0")/station-lib.bash"

marked() { # FILE SIZE: an image full of a marker
	yes "WIPECERT-MARKER-$(basename "$1")" | head -c "$2" >"$1" || fail "marker $1"
}
for a in ST-A ST-B ST-GONE ST-IMG; do
	"$W" ledger add $a --media-type "disk image" --class 3 --status awaiting-erasure --department 税務課 "${TECH[@]}" >/dev/null 2>&1 ||
		fail "ledger add $a"
done
"$W" ledger add ST-1 --media-type "disk image" --class 1 --status awaiting-erasure "${TECH[@]}" >/dev/null 2>&1 || fail "ledger add ST-1"
marked "$T/a.img" 8M; marked "$T/b.img" 8M; marked "$T/gone.img" 4M; marked "$T/file.img" 4M
new_loop LA "$T/a.img" 8M   # (truncate keeps the marker: same size)
new_loop LB "$T/b.img" 8M
cp "$T/gone.img" "$T/gone.orig"; cp "$T/file.img" "$T/file.orig"

mkdir "$T/labels"
station_start 80 24 "$W" station --key "$C/test-only-technician.key" --state-dir "$T/state" --labels "$T/labels" \
	"$T/file.img"
wait_for "passphrase for the key of TEST ONLY Technician"
keys -l "$(cat "$C/passphrase.txt")"; keys Enter
wait_for "key unlocked" 60
# 80x24: the header and a row of ours
wait_for "Device +Serial +Size Asset +Cl State"
wait_for "^\[ \] ${LA#/dev/} "

# an unknown key: said on the screen, nothing else happens
keys z
wait_for "unknown key 'z': press \? for help"
keys F7
wait_for "unknown key KEY_F\(7\)"

# find both loops, select, start: each is confirmed by its asset ID
find_disk "${LA#/dev/}"; keys Space
find_disk "${LB#/dev/}"; keys Space
wait_for "^\[x\] ${LA#/dev/} "
wait_for "^\[x\] ${LB#/dev/} "
keys s
for i in 1 2; do
	wait_for "confirm loop[0-9]+ \($i/2\)"
	case $(screen | grep -o "confirm loop[0-9]*") in
	"confirm ${LA#/dev/}") keys -l ST-A ;;
	"confirm ${LB#/dev/}") keys -l ST-B ;;
	*) fail "confirming what? $(screen)" ;;
	esac
	keys Enter
done
# no second prompt while they run and seal
for _ in $(seq 1 600); do
	screen >"$T/scr"
	grep -q "passphrase for the key" "$T/scr" && fail "asked for the passphrase again: $(cat "$T/scr")"
	[ "$(grep -c "PASS sealed, safe to remove" "$T/scr")" = 2 ] && break
	sleep 0.1
done
grep -Eq "^\[ \] ${LA#/dev/} .* ST-A +3 +PASS sealed, safe to remove" "$T/scr" || fail "row A: $(cat "$T/scr")"
grep -Eq "^\[ \] ${LB#/dev/} .* ST-B +3 +PASS sealed, safe to remove" "$T/scr" || fail "row B: $(cat "$T/scr")"
expect_eq "passphrase prompts in the terminal's stream" "$(prompts)" 1

# the cases: signed wipe records (minisign), the ledger says erased, no marker left
for a in ST-A ST-B; do
	rec=$(grep -l "\"asset_id\":\"$a\"" "$T"/state/*.wipe-record.json) || fail "no wipe record for $a"
	minisign -V -q -m "$rec" -p "$C/test-only-technician.pub" || fail "minisign: $rec"
	expect_rc 0 "$W" ledger show $a --json
	expect_eq "$a status" "$(json_get "$T/out" 'd["status"]')" erased
done
# the per-disk summary for the bag: a PDF qpdf accepts, its case ID in the
# text, and a QR code zbarimg reads back: case, asset, serial, the sha256
# of the signed wipe record
for a in ST-A ST-B; do
	rec=$(grep -l "\"asset_id\":\"$a\"" "$T"/state/*.wipe-record.json)
	case=$(basename "$rec" .wipe-record.json)
	pdf=$T/labels/$case.label.pdf
	[ -s "$pdf" ] || fail "no summary PDF for $a: $(ls "$T/labels")"
	qpdf --check "$pdf" >/dev/null || fail "qpdf --check $pdf"
	pdftotext "$pdf" - | tr -d '\n' | grep -q "$case" || fail "the case ID is not in $pdf"
	pdftoppm -r 150 -png -f 1 -l 1 "$pdf" "$T/label" || fail "pdftoppm $pdf"
	qr=$(zbarimg -q --raw "$T"/label*.png) || fail "zbarimg found no QR code in $pdf"
	rm -f "$T"/label*.png
	expect_eq "QR of $a" "$qr" "WIPECERT-CASE1|$case|$a|-|$(sha256sum "$rec" | cut -d' ' -f1)"
done
grep -q WIPECERT-MARKER "$T/a.img" && fail "marker left on A"
grep -q WIPECERT-MARKER "$T/b.img" && fail "marker left on B"

# a disk that vanishes between selection and start
new_loop LG "$T/gone.img" 4M
wait_for "^\[ \] ${LG#/dev/} "
find_disk "${LG#/dev/}"; keys Space s
wait_for "confirm ${LG#/dev/} \(1/1\)"
detach_loop "$LG"
sleep 1
keys -l ST-GONE; keys Enter
wait_for "${LG#/dev/} went away: not started, nothing written"
cmp -s "$T/gone.img" "$T/gone.orig" || fail "the vanished disk was written"

# a ledger locked by another program: the outcome could not be recorded,
# so nothing starts
python3 - "$T/ledger.db" "$T/locked" <<'PY' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(15)
c.execute("ROLLBACK")
PY
LOCKER=$!
for _ in $(seq 1 50); do [ -e "$T/locked" ] && break; sleep 0.1; done
find_disk file.img; keys Space s
wait_for "confirm file.img"
keys -l ST-IMG; keys Enter
wait_for "file.img: the ledger is locked by another program: not started, nothing" 20
kill "$LOCKER" 2>/dev/null; wait "$LOCKER" 2>/dev/null
cmp -s "$T/file.img" "$T/file.orig" || fail "the image was written with the ledger locked"

# a class-1 asset must be purged: a loop device cannot, it is shown and not startable
new_loop L1 "$T/one.img" 4M
wait_for "^\[ \] ${L1#/dev/} "
find_disk "${L1#/dev/}"; keys s
wait_for "confirm ${L1#/dev/}"
keys -l ST-1; keys Enter
wait_for "class 1 must be purged"

# resize: a wide terminal shows model, status and method; back to 80x24
tmux_resize 132 30
wait_for "Device +Model +Serial +Size +Asset +Cl +Status +Method +State"
wait_for "ST-A +3 +erased +random +PASS"
tmux_resize 80 24
wait_for "Device +Serial +Size Asset +Cl State"

# quit: nothing runs, so no question
keys q
station_wait_exit
expect_eq "passphrase prompts at the end" "$(prompts)" 1
grep -q "station: 2 passed, 0 failed, 0 interrupted (resumable), 0 not sealed; 2 sealed" "$T/station.err" ||
	fail "the session summary: $(cat "$T/station.err")"
exit 0
