#!/usr/bin/env bash
# install-deps.sh - install the Debian packages wipecert builds and tests with.
# Idempotent: asks apt only for what is missing. Run as root (CI, quick start).
# --fresh: also what tests/fresh needs (mmdebstrap, debhelper, lintian).
set -euo pipefail

# libraries (headers) the build links against
build=(build-essential pkg-config gettext locales
	libblkid-dev libsmartcols-dev libudev-dev libsodium-dev libhpdf-dev libcmocka-dev
	libsqlite3-dev libjansson-dev libqrencode-dev libssl-dev
	liburing-dev libharfbuzz-dev
	fonts-ipaexfont)
build+=(libicu-dev)  # trust: Unicode NFC for canonical JSON
build+=(libpq-dev)   # ledger: the shared PostgreSQL backend
build+=(zlib1g-dev)  # cert: compressed attachments of list certificates (FlateDecode)
build+=(libncurses-dev)  # station: the full-screen UI (libncursesw)
# independent tools the tests use to check what wipecert hands out
check=(sqlite3 qpdf poppler-utils minisign zbar-tools libnss3-tools openssl
	e2fsprogs dosfstools fdisk util-linux coreutils
	nvme-cli sg3-utils hdparm smartmontools nwipe
	qemu-system-x86 busybox-static cpio kmod xz-utils
	clang libclang-rt-14-dev)
check+=(python3 python3-pexpect groff-base bsdutils) # tests/run.sh requires every tool the tests use
check+=(jq) # reads JSON in the e2e tests: python3 starts in ~2 s on a loaded machine
check+=(procps) # pgrep, ps (a minbase Debian has neither)
check+=(tmux python3) # the station's screen driven in a real pseudo-terminal; its event stream read; json_get (minbase has no python3)
check+=(lvm2 mdadm bcache-tools) # member signatures made by their own tools (holders.sh)
check+=(postgresql-15 postgresql-client-15) # a throwaway server for the ledger tests (tests/pg/cluster.bash)
check+=(faketime) # ledger events of years ago, for retention and archives (ledger_archive.sh)
# the wipecert stick: make image (a Debian 12 live system, GRUB for BIOS and
# UEFI, one hybrid file) and make image-check (booted in QEMU, OVMF for UEFI,
# the console driven by pexpect, the data partition read with debugfs)
image=(mmdebstrap squashfs-tools xorriso grub-pc-bin grub-efi-amd64-bin mtools dosfstools
	ovmf python3-pexpect e2fsprogs libnss3-tools poppler-utils qpdf debhelper dpkg-dev)
check+=(python3-pexpect) # answers the prompts of the README's and the man page's examples
build+=(fonts-ipamj-mincho) # the certificate's fallback font (𠮷 U+20BB7, outside IPAex and the BMP)
# tests/fresh (CI): a fresh Debian 12 chroot, the package build, lintian;
# only with --fresh, which those scripts pass
fresh=(mmdebstrap debhelper dpkg-dev lintian)

want=("${build[@]}" "${check[@]}" "${image[@]}")
[ "${1:-}" = --fresh ] && want+=("${fresh[@]}")
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# the Japanese messages need a ja_JP.UTF-8 locale to exist
ensure_locale() {
	locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$' && return 0
	[ "$(id -u)" -eq 0 ] || { echo "install-deps: no ja_JP.UTF-8 locale; run as root" >&2; return 1; }
	localedef -i ja_JP -f UTF-8 ja_JP.UTF-8
}
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#want[@]} packages present" >&2
	ensure_locale
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing ${missing[*]}; run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -q update >&2
apt-get -q install -y --no-install-recommends "${missing[@]}" >&2
ensure_locale
