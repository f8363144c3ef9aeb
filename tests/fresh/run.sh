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
# Root only; the chroot and its mounts are removed on every path
# (tests/fresh/chroot.bash: FRESH_SOURCES, FRESH_KEEP).
top=$(cd "$(dirname "$0")/../.." && pwd)
"$top/scripts/install-deps.sh" --fresh >&2
. "$top/tests/fresh/chroot.bash"
cd "$top"

block=$(tests/md-block.sh README.md "Quick start") || die "README.md has no sh block under 'Quick start'"
[ -n "$block" ] || die "README.md's quick start block is empty"
head=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "fresh: testing the committed HEAD $head; uncommitted changes are not in the clone" >&2
LOG=$ROOT.log
KEEP_LOG=$LOG

t0=$SECONDS
fresh_make --include=git,ca-certificates
t_chroot=$((SECONDS - t0))
git clone -q "$top" "$ROOT/root/wipecert"
fresh_mount

echo "fresh: running the README's quick start in $ROOT (HEAD $head):" >&2
sed 's/^/fresh:   /' <<<"$block" >&2
t0=$SECONDS
rc=0
# xtrace stamps each of the block's own commands (not the scripts they run)
# with the second it started: the times per command come from there
fresh_run "PS4='+fresh[\$SECONDS] '; cd /root/wipecert; set -x
$block" >"$LOG" 2>&1 || rc=$?
t_block=$((SECONDS - t0))
steps=$(awk -v end="$t_block" '
	/^\+fresh\[[0-9]+\] / { t = substr($1, 8, length($1) - 8); if (n) printf "%s %ds; ", cmd, t - last
		cmd = $0; sub(/^[^ ]+ /, "", cmd); last = t; n++ }
	END { if (n) printf "%s %ds", cmd, end - last }' "$LOG")
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$LOG" >&2
	die "the quick start failed in the chroot (exit $rc) after ${t_block}s ($steps)"
fi
grep -E '^[0-9]+ passed, 0 failed' "$LOG" >&2 || die "no passing summary from 'make check' in the log"

# the certificate the first command printed: a PDF under the demo's
# directory, checked here against the demo's own CA
pdf=$(grep -E '^/tmp/wipecert-demo\.[A-Za-z0-9]+/jobs/[^/]+\.pdf$' "$LOG" | tail -n 1) ||
	die "the quick start printed no certificate path"
[ -s "$ROOT$pdf" ] || die "the printed certificate $pdf does not exist"
expect_valid_pdf "$ROOT$pdf" "$ROOT${pdf%/jobs/*}/trust/ca.crt"
echo "fresh: minimal chroot ${t_chroot}s; the quick start ${t_block}s: $steps ($(grep -cE '^(PASS|FAIL|SKIP): ' "$LOG") tests run)" >&2
echo "fresh: the certificate: $pdf (in $ROOT)" >&2
echo "$pdf"
