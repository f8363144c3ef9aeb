# documents.bash - sourced by documents*.sh: three organisations made here
# (TEST ONLY keys, minimum KDF cost): the owner (technicians, approver,
# witness, auditor), a contractor and its sub-contractor, each pinned where
# it must be checked; and their command-line worlds (OWN, CTR, SUB).
cd "$T" || exit 1
printf 'documents test passphrase\n' >pw
K=(--passphrase-file pw --kdf min)

# ---- three organisations: the owner, a contractor, its sub-contractor ----
key() { # DIR BASE NAME ROLE ORG [enrol]
	"$W" key new --name "$3" --role "$4" --org "$5" -o "$1/$2" "${K[@]}" \
		${6:+--root-key $1/root.key --root-passphrase-file pw --trust $1/trust} >/dev/null 2>"$T/err" ||
		fail "key new $2: $(cat "$T/err")"
}
org() { # DIR ORG [--contractor]
	mkdir -p "$1"
	key "$1" root "$2 Root" org-root "$2"
	"$W" trust init --trust "$1/trust" --root-key "$1/root.key" --passphrase-file pw ${3:-} >/dev/null 2>"$T/err" ||
		fail "trust init $1: $(cat "$T/err")"
}
O="TEST ONLY Documents City"
org own "$O"
key own tech1 "TEST ONLY Tanaka" technician "$O" enrol
key own tech2 "TEST ONLY Sato" technician "$O" enrol
key own appr "TEST ONLY Suzuki" approver "$O" enrol
key own wit "TEST ONLY Takahashi" witness "$O" enrol
key own aud "TEST ONLY Ito" auditor "$O" enrol
org ctr "ITAD Co" --contractor
key ctr tech "TEST ONLY Kato" contractor-technician "ITAD Co" enrol
key ctr appr "TEST ONLY Yamada" contractor-approver "ITAD Co" enrol
org sub "Shred Co" --contractor
key sub tech "TEST ONLY Mori" contractor-technician "Shred Co" enrol
key sub appr "TEST ONLY Abe" contractor-approver "Shred Co" enrol
P=(--passphrase-file pw)
OWN=(--db "$T/own.db" --trust "$T/own/trust" --state-dir "$T/own/state")
CTR=(--db "$T/ctr.db" --trust "$T/ctr/trust" --state-dir "$T/ctr/state")
SUB=(--db "$T/sub.db" --trust "$T/sub/trust" --state-dir "$T/sub/state")

# the contractor pins its sub-contractor (the tier above pins the next);
# the owner pins both contractors (it must check their certificates) and
# takes in their rosters as they are then (one verifier state serves all
# three here: a roster taken in before a later change would be an older
# list put back)
"$W" trust pin sub/root.pub --org "Shred Co" --trust ctr/trust --root-key ctr/root.key "${P[@]}" >/dev/null 2>&1 &&
	"$W" trust import sub/trust --trust ctr/trust >/dev/null 2>&1 &&
	"$W" trust pin ctr/root.pub --org "ITAD Co" --trust own/trust --root-key own/root.key "${P[@]}" >/dev/null 2>&1 &&
	"$W" trust import ctr/trust --trust own/trust >/dev/null 2>&1 &&
	"$W" trust pin sub/root.pub --org "Shred Co" --trust own/trust --root-key own/root.key "${P[@]}" >/dev/null 2>&1 &&
	"$W" trust import sub/trust --trust own/trust >/dev/null 2>&1 || fail "pinning the contractors"
