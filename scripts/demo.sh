#!/usr/bin/env bash
# demo.sh - the quick start's main job, end to end, on a disk image file in
# a temporary directory (never on a real disk):
#   1. an organisation's keys: root, a technician, an approver (another
#      person), the signed trust roster and its X.509 CA
#   2. the asset ledger with the disk's entry (class 2, 税務課)
#   3. a 64 MiB "disk" holding resident data, wiped (random pass, read back)
#      by the technician, who seals the job
#   4. the approver approves: the signed PDF certificate is issued
#   5. the certificate is verified (wipecert verify; pdfsig and qpdf too
#      when installed) and the ledger chain and its signed events are checked
# Prints the certificate's path on stdout at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${WIPECERT:-$PWD/build/wipecert}
D=${DEMO_DIR:-$(mktemp -d /tmp/wipecert-demo.XXXXXX)}
step() { printf '\n== %s\n' "$*" >&2; }
echo "demo directory: $D" >&2

export WIPECERT_TRUST=$D/trust WIPECERT_DB=$D/ledger.db WIPECERT_STATE_DIR=$D/jobs
# the verifier's memory of the roster's serials (docs/formats.md): the demo's own
export WIPECERT_TRUST_STATE=$D/trust-state.json
# demo keys use one published passphrase and the lowest key-derivation cost
# so the demo runs in seconds; real keys are made without --kdf min
printf 'demo passphrase - not for real keys\n' >"$D/passphrase"
P=(--passphrase-file "$D/passphrase")
ORG="デモ市 Demo City"

step "1. keys and the trust roster (org root, technician, approver)"
"$W" key new --name "Demo Root" --role org-root --org "$ORG" -o "$D/root" "${P[@]}" --kdf min >&2
"$W" trust init --root-key "$D/root.key" "${P[@]}" >&2
"$W" key new --name "佐藤 花子 Hanako Sato" --role technician --org "$ORG" -o "$D/technician" "${P[@]}" --kdf min \
	--root-key "$D/root.key" --root-passphrase-file "$D/passphrase" >&2
"$W" key new --name "鈴木 一郎 Ichiro Suzuki" --role approver --org "$ORG" -o "$D/approver" "${P[@]}" --kdf min \
	--root-key "$D/root.key" --root-passphrase-file "$D/passphrase" >&2
"$W" trust list >&2

step "2. the asset ledger"
img=$D/disk.img
truncate -s 64M "$img"
for off in 1 4096 65535; do
	printf '住民記録 RESIDENT-REGISTRY-DATA %s ' "$off" | dd of="$img" bs=1024 seek="$off" conv=notrunc status=none
done
"$W" ledger add DEMO-HDD-0001 --media-type "disk image" --manufacturer "Demo" --model "64 MiB demo disk" \
	--serial DEMO-IMG-0001 --capacity 64M --department "税務課 Tax Division" --location "本庁舎 3F サーバ室" \
	--class 2 --status awaiting-erasure --key "$D/technician.key" "${P[@]}" >&2

step "3. the technician wipes the disk and seals the job"
"$W" list -o path,model,size,tran,state "$img" >&2
"$W" wipe "$img" --method random --verify last --asset DEMO-HDD-0001 --confirm-serial "$img" \
	--key "$D/technician.key" "${P[@]}" >&2
if grep -q RESIDENT-REGISTRY-DATA "$img"; then
	echo "demo: the data is still on the image" >&2
	exit 1
fi
"$W" pending >&2

step "4. the approver reviews and approves: the certificate is issued"
case_id=$("$W" pending --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cases"][0]["id"])')
"$W" approve "$case_id" --key "$D/approver.key" "${P[@]}" --yes --destination "リサイクル業者へ / to the recycler" >&2
pdf=$D/jobs/$case_id.pdf

step "5. anyone checks the certificate and the ledger"
"$W" verify --db "$D/ledger.db" "$pdf" >&2
if command -v pdfsig >/dev/null && command -v certutil >/dev/null; then
	mkdir -p "$D/nss"
	certutil -N -d "sql:$D/nss" --empty-password
	certutil -A -d "sql:$D/nss" -n demo-ca -t "CT,C,C" -i "$D/trust/ca.crt"
	# pdfsig's exit status says little: what it prints is the verdict
	sig=$(pdfsig -nssdir "sql:$D/nss" "$pdf" 2>&1) || true
	grep -E "Signature Validation|Certificate Validation|document signed" <<<"$sig" >&2
	grep -q "Signature is Valid" <<<"$sig" || { echo "demo: pdfsig does not find the signature valid" >&2; exit 1; }
fi
command -v qpdf >/dev/null && qpdf --check "$pdf" | tail -n 1 >&2
"$W" ledger history DEMO-HDD-0001 >&2
"$W" ledger verify --trust "$D/trust" >&2
echo "demo: done; the certificate:" >&2
echo "$pdf"
