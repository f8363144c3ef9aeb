#!/usr/bin/env bash
# deb.sh - the Debian package, from nothing to a verified certificate:
# built from the committed HEAD in a fresh minimal Debian 12 (mmdebstrap,
# minbase) that has only what debian/control's Build-Depends bring in
# (`apt-get build-dep`, then `dpkg-buildpackage -us -uc -b`: a missing
# Build-Depends fails here), checked by lintian (an error fails, the
# warnings are printed), then installed with apt into a second fresh Debian 12,
# which must fetch every dependency the package declares from the mirror,
# and run there: the whole disposal (scripts/demo.sh) with the installed
# /usr/sbin/wipecert and its /etc/wipecert/policy.conf. The certificate is
# checked from outside with qpdf and pdfsig. Prints the time each step took.
#
# Root only; the chroots and their mounts are removed on every path
# (tests/fresh/chroot.bash: FRESH_SOURCES, FRESH_KEEP).
top=$(cd "$(dirname "$0")/../.." && pwd)
"$top/scripts/install-deps.sh" --fresh >&2
. "$top/tests/fresh/chroot.bash"
cd "$top"
for t in dpkg-buildpackage lintian; do command -v "$t" >/dev/null || die "$t is not installed"; done

B=$ROOT.build
KEEP_LOG=$ROOT.log
ALSO_REMOVE=("$B")
mkdir -p "$B/src"
git archive HEAD | tar -x -C "$B/src"

# the build machine: minbase plus the declared Build-Depends, nothing else
t0=$SECONDS
fresh_make
cp -a "$B/src" "$ROOT/root/src"
fresh_mount
fresh_run "export DEBIAN_FRONTEND=noninteractive; apt-get -q update && apt-get -q build-dep -y /root/src" \
	>"$KEEP_LOG" 2>&1 || { tail -n 30 "$KEEP_LOG" >&2; die "apt-get build-dep could not install the Build-Depends"; }
t_deps=$((SECONDS - t0))
t0=$SECONDS
fresh_run "cd /root/src && DEB_BUILD_OPTIONS=parallel=\$(nproc) dpkg-buildpackage -us -uc -b" >>"$KEEP_LOG" 2>&1 ||
	{ tail -n 40 "$KEEP_LOG" >&2; die "dpkg-buildpackage failed on a Debian 12 with the Build-Depends alone"; }
t_build=$((SECONDS - t0))
cp "$ROOT"/root/wipecert_*_*.deb "$B/"
deb=$(ls "$B"/wipecert_*_*.deb)
[ -f "$deb" ] || die "no wipecert .deb built"
fresh_again

# lintian says it should not run as root; it runs all the same
lintian --pedantic -I "$deb" >"$B/lintian" 2>&1 || true
grep -v '^running with root privileges' "$B/lintian" >&2 || true
grep -q '^E: ' "$B/lintian" && die "lintian reports errors"
n_warn=$(grep -c '^W: ' "$B/lintian" || true)

# the machine it is installed on: minbase, a second time from nothing
t0=$SECONDS
fresh_make
t_chroot=$((SECONDS - t0))
cp "$deb" "$ROOT/tmp/"
mkdir "$ROOT/root/wipecert"
cp -r "$B/src/scripts" "$ROOT/root/wipecert/"
fresh_mount
t0=$SECONDS
fresh_run "export DEBIAN_FRONTEND=noninteractive; apt-get -q update && apt-get -q install -y /tmp/${deb##*/} jq" >>"$KEEP_LOG" 2>&1 ||
	{ tail -n 30 "$KEEP_LOG" >&2; die "apt could not install ${deb##*/} into a fresh Debian 12"; }
t_install=$((SECONDS - t0))
conf=$(fresh_run "dpkg-query -W -f='\${Conffiles}' wipecert")
grep -q '/etc/wipecert/policy.conf' <<<"$conf" || die "/etc/wipecert/policy.conf is not a conffile: $conf"
fresh_run "test -x /usr/sbin/wipecert && test -s /usr/share/locale/ja/LC_MESSAGES/wipecert.mo &&
	test -s /usr/share/man/man8/wipecert.8.gz && test -s /usr/share/bash-completion/completions/wipecert" ||
	die "the package lacks a file it should install"

t0=$SECONDS
pdf=$(fresh_run "WIPECERT=/usr/sbin/wipecert bash /root/wipecert/scripts/demo.sh" 2>>"$KEEP_LOG") ||
	{ tail -n 30 "$KEEP_LOG" >&2; die "the installed wipecert does not run the disposal"; }
t_demo=$((SECONDS - t0))
[ -s "$ROOT$pdf" ] || die "the demo printed no certificate ($pdf)"
expect_valid_pdf "$ROOT$pdf" "$ROOT${pdf%/jobs/*}/trust/ca.crt"
echo "fresh: Build-Depends installed in ${t_deps}s (minimal chroot included), .deb built in ${t_build}s ($(du -k "$deb" | cut -f1) KiB), lintian: 0 errors, $n_warn warnings;" \
	"minimal chroot ${t_chroot}s, apt install ${t_install}s, the disposal with the package ${t_demo}s" >&2
echo "$pdf"
