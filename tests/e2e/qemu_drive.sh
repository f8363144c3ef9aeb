#!/usr/bin/env bash
# qemu_drive.sh - firmware erase against a real kernel: a QEMU guest (TCG)
# with emulated NVMe, SATA and SCSI disks over image files made here, the
# wipecert binary copied in (its libraries with it). Inside: identities and
# capabilities, every unsupported method refused before anything is sent,
# NVMe Format erasing a marker-filled disk with a passing read-back, then
# the disk reformatted to 4096-byte sectors, erased again, and overwritten
# and verified by `wipe` (when nvme-cli is installed). Back on
# the host: the NVMe image holds no marker any more, the SATA and SCSI
# images are byte for byte what they were.
. "$(dirname "$0")/lib.bash"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
[ -x /bin/busybox ] || skip "/bin/busybox is not installed (Debian: busybox-static)"
need_cmd cpio
need_cmd depmod

RUN=$PWD/tests/qemu/run-guest.sh
CHECKS=$PWD/tests/qemu/drive-checks.sh
CERTS=$PWD/certs/test-only
FONT=/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf
W=$(realpath "$WIPECERT")
# nvme-cli, when installed, reformats the NVMe disk to 4096-byte sectors in the guest
NVME_CLI=()
if command -v nvme >/dev/null; then NVME_CLI=(--copy "$(command -v nvme)"); else echo "qemu_drive: nvme-cli missing: no 4Kn check" >&2; fi

# 8 MiB disks full of a marker (the SATA and SCSI ones must stay that way)
for d in nvme sata scsi; do
	yes "WIPECERT-MARKER-$d" | head -c 8M >"$T/$d.src" || fail "prefill $d"
done
cp "$T/sata.src" "$T/sata.orig"; cp "$T/scsi.src" "$T/scsi.orig"

"$RUN" --timeout 150 --keep "$T/out" \
	--nvme-image "$T/nvme.src" --sata-image "$T/sata.src" --scsi-image "$T/scsi.src" \
	--copy "$W" --copy "$CHECKS" --copy "$CERTS" --copy "$FONT" "${NVME_CLI[@]}" -- sh "$CHECKS" "$W" "$CERTS" >"$T/guest.log" 2>&1
rc=$?
grep -E '^check |run-guest' "$T/guest.log" >&2
if [ "$rc" = 125 ] && grep -q 'download .* failed\|knows no linux-image' "$T/guest.log"; then
	skip "no kernel for the guest: $(grep 'run-guest:' "$T/guest.log" | tail -n 1)"
fi
[ "$rc" = 125 ] && fail "the guest did not run: $(tail -n 20 "$T/guest.log")"
grep -q '^checks done' "$T/guest.log" || fail "the guest checks did not all run: $(tail -n 30 "$T/guest.log")"
[ "$rc" = 0 ] || fail "guest checks failed (exit $rc): $(grep FAIL "$T/guest.log")"

# on the host: the erased NVMe image, the untouched others
[ "$(grep -c WIPECERT-MARKER "$T/out/nvme.img")" = 0 ] || fail "the NVMe image still holds the marker after nvme-format"
cmp -s "$T/out/sata.img" "$T/sata.orig" || fail "the SATA image changed although every method was refused"
cmp -s "$T/out/scsi.img" "$T/scsi.orig" || fail "the SCSI image changed although every method was refused"
echo "qemu_drive: $(grep -c '^check .* ok' "$T/guest.log") guest checks passed; images checked on the host" >&2
exit 0
