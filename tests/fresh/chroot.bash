# chroot.bash - sourced by tests/fresh/*.sh: a fresh minimal Debian 12
# (mmdebstrap, minbase) from the mirror this machine is configured with,
# its /proc, /dev and /sys, and its removal on every path.
#
# After sourcing: ROOT (the chroot, made by fresh_make), KEEP_LOG (set it to
# a log file kept only on failure), ALSO_REMOVE (more scratch to remove). FRESH_SOURCES=FILE names the apt sources
# (default: this machine's); FRESH_KEEP=1 leaves the chroot for a look.
set -euo pipefail

die() { echo "fresh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, chroot, mounts)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (scripts/install-deps.sh --fresh installs it)"

fresh_sources() {
	local f
	if [ -n "${FRESH_SOURCES:-}" ]; then
		printf '%s\n' "$FRESH_SOURCES"
		return
	fi
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
		[ -s "$f" ] && { printf '%s\n' "$f"; return; }
	done
	die "no apt sources file (set FRESH_SOURCES)"
}

ROOT=$(mktemp -d "${TMPDIR:-/var/tmp}/wipecert-fresh.XXXXXX")
KEEP_LOG=
ALSO_REMOVE=()   # more scratch directories, removed with the chroot
# fresh_remove: unmount everything under ROOT and remove it; fails (and
# leaves it) when something stays mounted there
fresh_remove() {
	if grep -q " $ROOT[ /]" /proc/self/mountinfo; then
		umount -R "$ROOT" || umount -R -l "$ROOT" || true
	fi
	if grep -q " $ROOT[ /]" /proc/self/mountinfo; then
		echo "fresh: something is still mounted under $ROOT: not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$ROOT"
}
# fresh_again: ROOT emptied for a second fresh_make (a clean machine anew)
fresh_again() {
	fresh_remove || die "cannot remove the first chroot"
	mkdir -m 0700 "$ROOT"
}
fresh_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "${FRESH_KEEP:-}" ]; then
		grep -q " $ROOT[ /]" /proc/self/mountinfo && umount -R "$ROOT"
		echo "fresh: kept $ROOT (remove with rm -rf --one-file-system)" >&2
	else
		fresh_remove || rc=1
	fi
	[ ${#ALSO_REMOVE[@]} -eq 0 ] || rm -rf "${ALSO_REMOVE[@]}"
	if [ -n "$KEEP_LOG" ] && [ -f "$KEEP_LOG" ]; then
		if [ "$rc" -eq 0 ]; then rm -f "$KEEP_LOG"; else echo "fresh: the whole log: $KEEP_LOG" >&2; fi
	fi
	exit "$rc"
}
trap fresh_cleanup EXIT
trap 'exit 130' INT TERM

# fresh_make [mmdebstrap options]: the minimal bookworm in ROOT; checks it
# has no make, compiler or pkg-config
fresh_make() {
	local tool
	rmdir "$ROOT"   # mmdebstrap makes it
	mmdebstrap --quiet --variant=minbase "$@" bookworm "$ROOT" "$(fresh_sources)" || die "mmdebstrap failed"
	for tool in make cc pkg-config; do
		chroot "$ROOT" sh -c "command -v $tool" >/dev/null && die "the minimal system already has $tool: not a fresh machine"
	done
	return 0
}

# The chroot's / a mount point of its own, as a machine's is (a bind mount
# of the directory onto itself): /proc/self/mountinfo inside then shows
# which disk holds it, and unshare(1) can make a mount namespace there.
# Then /proc, and /dev and /sys from this machine.
fresh_mount() {
	mount --bind "$ROOT" "$ROOT" || die "mount --bind $ROOT"
	mount --make-private "$ROOT" || die "mount --make-private $ROOT"
	mount -t proc proc "$ROOT/proc" || die "mount proc"
	mount --rbind /dev "$ROOT/dev" || die "mount /dev"
	mount --make-rslave "$ROOT/dev" || die "mount --make-rslave /dev"
	mount --rbind /sys "$ROOT/sys" || die "mount /sys"
	mount --make-rslave "$ROOT/sys" || die "mount --make-rslave /sys"
}

# fresh_run COMMAND: bash -c COMMAND as root in the chroot, with the clean
# environment of a login (no variables of this machine's session)
fresh_run() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		bash -e -o pipefail -c "$1"
}

# expect_valid_pdf PDF CA: qpdf and poppler's pdfsig (with an NSS database
# that trusts CA) on a certificate the chroot made, from outside
expect_valid_pdf() {
	local pdf=$1 ca=$2 nss sig
	qpdf --check "$pdf" >/dev/null || die "qpdf --check fails on $pdf"
	command -v pdfsig >/dev/null && command -v certutil >/dev/null || return 0
	nss=$(mktemp -d)
	certutil -N -d "sql:$nss" --empty-password && certutil -A -d "sql:$nss" -n ca -t "CT,C,C" -i "$ca"
	sig=$(pdfsig -nssdir "sql:$nss" "$pdf" 2>&1) || true
	rm -rf "$nss"
	grep -q "Signature is Valid" <<<"$sig" || die "pdfsig finds no valid signature in $pdf: $sig"
	grep -q "Certificate is Trusted" <<<"$sig" || die "pdfsig does not trust $ca for $pdf: $sig"
}
