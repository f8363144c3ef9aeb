# doc-block.bash - sourced (after lib.bash) by the tests that run a block of
# commands from the documents (readme.sh, man_doc.sh).
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python3 -c 'import pexpect' 2>/dev/null || skip "python3-pexpect is not installed"
need_cmd pdfsig
need_cmd certutil

# run_doc_block WHAT BLOCKFILE [SUBST...]: run the block one command at a
# time (tests/run-doc-block.py) in $T/work, `wipecert` being the binary
# under test, /dev/sdb an image file ($IMG) holding resident data, and the
# other documented substitutions; then the image must hold none of it
run_doc_block() {
	local what=$1 block=$2 off
	shift 2
	grep -q '/dev/sdb' "$block" || fail "$what wipes no /dev/sdb: update the substitution"
	mkdir -p "$T/bin" "$T/work"
	ln -sf "$(realpath "$WIPECERT")" "$T/bin/wipecert"
	IMG=$T/disk.img
	truncate -s 8M "$IMG"
	for off in 1 2048 7000; do
		printf 'RESIDENT-REGISTRY-DATA %s ' "$off" | dd of="$IMG" bs=1024 seek="$off" conv=notrunc status=none
	done
	PATH=$T/bin:$PATH python3 "$top/tests/run-doc-block.py" "$block" "$T/work" "/dev/sdb=$IMG" "$@" 2>"$T/run.log" ||
		fail "$what: $(tail -n 30 "$T/run.log")"
	grep -q RESIDENT-REGISTRY-DATA "$IMG" && fail "$what: the image still holds its data"
	return 0
}

# expect_one_certificate DIR CA: the one PDF in DIR, valid for pdfsig under
# CA; its path in CERT
expect_one_certificate() {
	CERT=$(ls "$1"/*.pdf 2>/dev/null)
	[ "$(wc -l <<<"$CERT")" -eq 1 ] && [ -s "$CERT" ] || fail "want one certificate in $1: $CERT"
	expect_pdf_signed "$CERT" "$2"
}
