#!/usr/bin/env bash
# install.sh - `make install` into a scratch PREFIX and DESTDIR: the binary
# in sbin/, the man page, the Japanese catalogue found at run time from
# where the binary is (for any PREFIX, also after the tree is moved), the
# policy in etc/wipecert/ never replaced once there, and the bash
# completion: commands, options, methods, disks by-id, case IDs, asset IDs.
# The binary installed is the one under test (its build is not redone).
. "$(dirname "$0")/lib.bash"
top=$(cd "$(dirname "$0")/../.." && pwd)
need_cmd make
need_cmd jq
locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$' || skip "no ja_JP.UTF-8 locale (scripts/install-deps.sh makes it)"
unset WIPECERT_LOCALEDIR
odir=$(dirname "$(realpath "$WIPECERT")")
odir=${odir#"$top"/}
inst() { # PREFIX [DESTDIR]: install what is built in odir, building nothing
	make -s -C "$top" install O="$odir" PREFIX="$1" DESTDIR="${2:-}" \
		-o "$odir/wipecert" -o "$odir/locale/ja/LC_MESSAGES/wipecert.mo" >"$T/make.log" 2>&1 ||
		fail "make install PREFIX=$1: $(tail -n 5 "$T/make.log")"
}

P=$T/prefix
inst "$P"
for f in sbin/wipecert share/man/man8/wipecert.8 share/locale/ja/LC_MESSAGES/wipecert.mo \
	share/bash-completion/completions/wipecert etc/wipecert/policy.conf share/wipecert/policy.conf.example; do
	[ -s "$P/$f" ] || fail "make install did not install $f"
done
[ -x "$P/sbin/wipecert" ] || fail "sbin/wipecert is not executable"
cmp -s "$P/sbin/wipecert" "$(realpath "$WIPECERT")" || fail "the installed binary is not the one under test"

# Japanese from the installed catalogue, wherever the tree is
LANG=ja_JP.UTF-8 LC_ALL= expect_rc 0 "$P/sbin/wipecert" --help
grep -q "^使い方: " "$T/out" || fail "LANG=ja_JP.UTF-8 sbin/wipecert --help is not Japanese: $(head -n 2 "$T/out")"
mv "$P" "$T/moved"
LANG=ja_JP.UTF-8 LC_ALL= expect_rc 0 "$T/moved/sbin/wipecert" --help
grep -q "^使い方: " "$T/out" || fail "not Japanese once the installed tree is moved: $(head -n 2 "$T/out")"
rm -r "$T/moved/share/locale"
LANG=ja_JP.UTF-8 LC_ALL= expect_rc 0 "$T/moved/sbin/wipecert" --help
grep -q "^Usage: " "$T/out" || fail "Japanese without the installed catalogue: where from? $(head -n 2 "$T/out")"

# DESTDIR, and an organisation's policy is never replaced
D=$T/dest
inst /usr "$D"
[ -s "$D/usr/sbin/wipecert" ] && [ -s "$D/etc/wipecert/policy.conf" ] || fail "DESTDIR=$D PREFIX=/usr: $(find "$D" -type f)"
cmp -s "$D/etc/wipecert/policy.conf" "$top/docs/policy.conf.example" || fail "etc/wipecert/policy.conf is not the example"
echo "# ours" >>"$D/etc/wipecert/policy.conf"
inst /usr "$D"
tail -n 1 "$D/etc/wipecert/policy.conf" | grep -qx "# ours" || fail "make install replaced an existing policy.conf"

# bash completion, with the installed binary first on PATH; a sealed case
# awaiting approval and two assets come from the demo plus one more wipe
D=$T/demo
mkdir "$D"
DEMO_DIR=$D WIPECERT=$WIPECERT bash "$top/scripts/demo.sh" >/dev/null 2>"$T/demo.log" || fail "demo: $(tail -n 5 "$T/demo.log")"
export WIPECERT_TRUST=$D/trust WIPECERT_DB=$D/ledger.db WIPECERT_STATE_DIR=$D/jobs
truncate -s 4M "$T/two.img"
expect_rc 0 "$WIPECERT" ledger add DEMO-HDD-0002 --serial S2 --class 3 --department "総務課" \
	--key "$D/technician.key" --passphrase-file "$D/passphrase"
expect_rc 0 "$WIPECERT" wipe "$T/two.img" --method zero --asset DEMO-HDD-0002 --confirm-serial "$T/two.img" \
	--key "$D/technician.key" --passphrase-file "$D/passphrase"
case_id=$("$WIPECERT" pending --json | jq -r '.cases[0].id')
[ -n "$case_id" ] && [ "$case_id" != null ] || fail "no case awaiting approval"
mkdir -p "$T/by-id"
ln -s "$T/two.img" "$T/by-id/ata-DEMO_DISK_S2"
ln -s "$T/two.img" "$T/by-id/ata-DEMO_DISK_S2-part1"
cat >"$T/complete.bash" <<'EOF'
. "$1"
complete_words() { # WORDS...: the completions of the last word
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_wipecert
	printf '%s\n' "${COMPREPLY[@]}"
}
complete_words wipecert ''                          >"$2/c.cmds"
complete_words wipecert wip                         >"$2/c.wip"
complete_words wipecert wipe --method dod           >"$2/c.methods"
complete_words wipecert drive-erase X --method nvme-sanitize- >"$2/c.fw"
complete_words wipecert wipe --ver                  >"$2/c.opts"
complete_words wipecert wipe ''                     >"$2/c.disks"
complete_words wipecert approve ''                  >"$2/c.cases"
complete_words wipecert wipe X --asset DEMO-        >"$2/c.assets"
complete_words wipecert ledger ''                   >"$2/c.ledger"
EOF
PATH=$T/moved/sbin:$PATH WIPECERT_COMPLETION_BY_ID=$T/by-id \
	bash "$T/complete.bash" "$T/moved/share/bash-completion/completions/wipecert" "$T" || fail "the completion script fails"
"$T/moved/sbin/wipecert" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/^Commands:/ { print $1 }' >"$T/want.cmds"
diff "$T/want.cmds" "$T/c.cmds" >&2 || fail "completing a command does not offer every command of --help"
expect_eq "complete 'wip'" "$(cat "$T/c.wip")" "wipe"
expect_eq "complete --method dod" "$(sort "$T/c.methods" | paste -sd' ')" "dod dod-short"
expect_eq "complete drive-erase --method nvme-sanitize-" "$(sort "$T/c.fw" | paste -sd' ')" \
	"nvme-sanitize-block nvme-sanitize-crypto nvme-sanitize-overwrite"
grep -qx -- "--verify" "$T/c.opts" || fail "wipe --ver does not complete to --verify: $(cat "$T/c.opts")"
grep -qx "$T/by-id/ata-DEMO_DISK_S2" "$T/c.disks" || fail "no disk by-id offered: $(cat "$T/c.disks")"
grep -q -- "-part1" "$T/c.disks" && fail "a partition is offered as a disk to wipe"
expect_eq "complete approve" "$(cat "$T/c.cases")" "$case_id"
expect_eq "complete --asset DEMO-" "$(sort "$T/c.assets" | paste -sd' ')" "DEMO-HDD-0001 DEMO-HDD-0002"
for v in add edit show list history import export verify check; do
	grep -qx "$v" "$T/c.ledger" || fail "ledger does not complete to $v: $(paste -sd' ' "$T/c.ledger")"
done
exit 0
