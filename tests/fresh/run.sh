#!/usr/bin/env bash
# run.sh - the README's quick start on a fresh, minimal Debian 12.
#
# Builds a minbase bookworm chroot with mmdebstrap (plus git and
# ca-certificates: no make, no compiler, no pkg-config) from the Debian
# mirror this machine is configured with, clones the committed HEAD of this
# repository into it, and runs the README's "Quick start" block as written
# there (extracted from README.md by tests/md-block.sh, never retyped), as
# root, with a clean environment. Then checks from outside, with tools we
# did not write, the certificate the block printed the path of, and prints
# that path and the time each step took.
#
# Root only; the chroot and its mounts are removed on every path.
# FRESH_SOURCES=FILE: the apt sources (default: this machine's)
# FRESH_KEEP=1: leave the chroot in place for a look (its path is printed)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

die() { echo "fresh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, chroot, mounts)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (scripts/install-deps.sh installs it)"
sources=${FRESH_SOURCES:-}
if [ -z "$sources" ]; then
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
		[ -s "$f" ] && { sources=$f; break; }
	done
fi
[ -s "$sources" ] || die "no apt sources file (set FRESH_SOURCES)"
block=$(tests/md-block.sh README.md "Quick start") || die "README.md has no sh block under 'Quick start'"
[ -n "$block" ] || die "README.md's quick start block is empty"
head=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "fresh: testing the committed HEAD $head; uncommitted changes are not in the clone" >&2

ROOT=$(mktemp -d "${TMPDIR:-/var/tmp}/wipecert-fresh.XXXXXX")
LOG=$ROOT.log
mounted() { grep -q " $ROOT/$1 " /proc/self/mountinfo; }
cleanup() {
	local rc=$? m
	trap - EXIT INT TERM
	for m in sys dev proc; do
		if mounted "$m"; then umount -R "$ROOT/$m" || umount -R -l "$ROOT/$m" || true; fi
	done
	if grep -q " $ROOT/" /proc/self/mountinfo; then
		echo "fresh: something is still mounted under $ROOT: not removing it" >&2
		rc=1
	elif [ -n "${FRESH_KEEP:-}" ]; then
		echo "fresh: kept $ROOT (remove with rm -rf --one-file-system)" >&2
	else
		rm -rf --one-file-system "$ROOT"
	fi
	if [ "$rc" -eq 0 ]; then rm -f "$LOG"; else echo "fresh: the whole log: $LOG" >&2; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$SECONDS
rmdir "$ROOT"   # mmdebstrap makes it
mmdebstrap --quiet --variant=minbase --include=git,ca-certificates bookworm "$ROOT" "$sources" ||
	die "mmdebstrap failed"
t_chroot=$((SECONDS - t0))
for tool in make cc pkg-config; do
	chroot "$ROOT" sh -c "command -v $tool" >/dev/null && die "the minimal system already has $tool: not a fresh machine"
done
git clone -q "$top" "$ROOT/root/wipecert"
mount -t proc proc "$ROOT/proc" || die "mount proc"
mount --rbind /dev "$ROOT/dev" || die "mount /dev"
mount --make-rslave "$ROOT/dev" || die "mount --make-rslave /dev"
mount --rbind /sys "$ROOT/sys" || die "mount /sys"
mount --make-rslave "$ROOT/sys" || die "mount --make-rslave /sys"

echo "fresh: running the README's quick start in $ROOT (HEAD $head):" >&2
sed 's/^/fresh:   /' <<<"$block" >&2
t0=$SECONDS
rc=0
# xtrace stamps each of the block's own commands (not the scripts they run)
# with the second it started: the times per command come from there
chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	bash -e -o pipefail -c "PS4='+fresh[\$SECONDS] '; cd /root/wipecert; set -x
$block" >"$LOG" 2>&1 || rc=$?
t_block=$((SECONDS - t0))
steps=$(awk -v end="$t_block" '
	/^\+fresh\[[0-9]+\] / { t = substr($1, 8, length($1) - 8); if (n) printf "%s %ds; ", cmd, t - last; cmd = $2; last = t; n++ }
	END { if (n) printf "%s %ds", cmd, end - last }' "$LOG")
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$LOG" >&2
	die "the quick start failed in the chroot (exit $rc) after ${t_block}s"
fi
grep -E '^[0-9]+ passed, 0 failed' "$LOG" >&2 || die "no passing summary from 'make check' in the log"

# the certificate the first command printed: a PDF under the demo's
# directory, checked here with qpdf and poppler against the demo's own CA
pdf=$(grep -E '^/tmp/wipecert-demo\.[A-Za-z0-9]+/jobs/[^/]+\.pdf$' "$LOG" | tail -n 1) ||
	die "the quick start printed no certificate path"
[ -s "$ROOT$pdf" ] || die "the printed certificate $pdf does not exist"
qpdf --check "$ROOT$pdf" >/dev/null || die "qpdf --check fails on $pdf"
demo=${pdf%/jobs/*}
if command -v pdfsig >/dev/null && command -v certutil >/dev/null; then
	nss=$(mktemp -d)
	certutil -N -d "sql:$nss" --empty-password &&
		certutil -A -d "sql:$nss" -n demo-ca -t "CT,C,C" -i "$ROOT$demo/trust/ca.crt"
	sig=$(pdfsig -nssdir "sql:$nss" "$ROOT$pdf" 2>&1) || true
	rm -rf "$nss"
	grep -q "Signature is Valid" <<<"$sig" || die "pdfsig does not find a valid signature in $pdf: $sig"
	grep -q "Certificate is Trusted" <<<"$sig" || die "pdfsig does not trust the demo's CA for $pdf: $sig"
fi
echo "fresh: minimal chroot ${t_chroot}s; the quick start ${t_block}s: $steps ($(grep -cE '^(PASS|FAIL|SKIP): ' "$LOG") tests run)" >&2
echo "fresh: the certificate: $pdf (in $ROOT)" >&2
echo "$pdf"
