#!/usr/bin/env bash
# qemu_drive.sh - firmware erase against a real kernel: a QEMU guest (TCG)
# with emulated NVMe, SATA and SCSI disks over image files made here, the
# wipecert binary, nvme-cli and the test-only keys copied in (libraries
# with them). Inside (tests/qemu/drive-checks.sh): identities and
# capabilities, every unsupported method refused before anything is sent,
# confirmation by the disk's serial only, NVMe Format erasing a
# marker-filled disk with a passing read-back, the same through `wipe` with
# a sealed record and an approved certificate, then a disk reformatted to
# 4096-byte sectors, erased again, and overwritten and verified by `wipe`.
#
# The guest names each check; the set that passed must be exactly
# tests/qemu/drive-checks.expected. Back on the host, each NVMe disk shows
# what its erase did: the two Formatted ones are all zeros (nothing wrote
# them after the Format), the overwritten one holds no marker and is not
# zeros; the SATA and SCSI images are byte for byte what they were.
# A kernel that cannot be fetched from the Debian archive is a failure.
. "$(dirname "$0")/lib.bash"
need_cmd qemu-system-x86_64
[ -x /bin/busybox ] || fail "/bin/busybox is not installed (Debian: busybox-static)"
need_cmd cpio
need_cmd depmod
need_cmd nvme

RUN=$PWD/tests/qemu/run-guest.sh
CHECKS=$PWD/tests/qemu/drive-checks.sh
EXPECTED=$PWD/tests/qemu/drive-checks.expected
CERTS=$PWD/certs/test-only
FONT=/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf
W=$(realpath "$WIPECERT")
SIZE=$((8 << 20))

# 8 MiB disks full of a marker (the SATA and SCSI ones must stay that way)
for d in nvme nvme2 nvme3 sata scsi; do
	yes "WIPECERT-MARKER-${d^^}" | head -c $SIZE >"$T/$d.src" || fail "prefill $d"
done
cp "$T/sata.src" "$T/sata.orig"; cp "$T/scsi.src" "$T/scsi.orig"

"$RUN" --timeout 200 --keep "$T/out" \
	--nvme-image "$T/nvme.src" --nvme2-image "$T/nvme2.src" --nvme3-image "$T/nvme3.src" \
	--sata-image "$T/sata.src" --scsi-image "$T/scsi.src" \
	--copy "$W" --copy "$CHECKS" --copy "$CERTS" --copy "$FONT" --copy "$(command -v nvme)" \
	-- sh "$CHECKS" "$W" "$CERTS" >"$T/guest.log" 2>&1
rc=$?
grep -E '^check |run-guest' "$T/guest.log" >&2
[ "$rc" = 125 ] && fail "the guest did not run (a kernel that cannot be fetched is a failure too): $(tail -n 20 "$T/guest.log")"
grep -q '^checks done' "$T/guest.log" || fail_outcome "the guest checks did not all run: $(tail -n 30 "$T/guest.log")"
grep -q '^check .* FAIL' "$T/guest.log" && fail_outcome "guest checks failed: $(grep '^check .* FAIL' "$T/guest.log")"
[ "$rc" = 0 ] || fail_outcome "the guest checks exited $rc"

# every expected check passed, by name, once; none that is not expected
sed -n 's/^check \([^ ]*\) ok$/\1/p' "$T/guest.log" | sort >"$T/passed"
grep -v '^#' "$EXPECTED" | grep . | sort >"$T/expected"
dups=$(uniq -d "$T/passed")
[ -z "$dups" ] || fail "guest check names used twice: $dups"
missing=$(comm -23 "$T/expected" "$T/passed")
extra=$(comm -13 "$T/expected" "$T/passed")
[ -z "$missing" ] || fail_outcome "expected guest checks that did not pass: $missing"
[ -z "$extra" ] || fail "guest checks not in $EXPECTED (add them there): $extra"

# on the host: each disk as its erase left it
zeros() { cmp -s -n $SIZE "$1" /dev/zero; }
zeros "$T/out/nvme.img" || fail_outcome "the NVMe disk is not all zeros after nvme-format: $(grep -c WIPECERT-MARKER "$T/out/nvme.img") marker lines left"
zeros "$T/out/nvme2.img" || fail_outcome "the second NVMe disk is not all zeros after wipe --method nvme-format"
[ "$(grep -c WIPECERT-MARKER "$T/out/nvme3.img")" = 0 ] || fail_outcome "the 4Kn NVMe image still holds the marker after wipe --method random"
zeros "$T/out/nvme3.img" && fail_outcome "the 4Kn NVMe image is all zeros: the random pass wrote nothing"
cmp -s "$T/out/sata.img" "$T/sata.orig" || fail_outcome "the SATA image changed although every method was refused"
cmp -s "$T/out/scsi.img" "$T/scsi.orig" || fail_outcome "the SCSI image changed although every method was refused"
echo "qemu_drive: $(wc -l <"$T/passed") guest checks passed, as expected; images checked on the host" >&2
exit 0
