# station-guest.sh - run by busybox sh INSIDE the QEMU guest
# (tests/e2e/station_qemu.sh): `sh station-guest.sh WIPECERT CERTS DB POLICY`.
# Starts `wipecert station --auto --json` and leaves it running while the
# host hot-plugs NVMe disks through QMP; once two jobs are sealed (or after
# a time limit) it sends SIGTERM. The events reach the host as they come
# ("ev " lines); at the end it prints the exit status, the whole stream
# again ("final " lines), the case files (base64) and the ledger's word on
# the assets.
W=$1 CERTS=$2 DB=$3 POLICY=$4
export WIPECERT_STATE_DIR=/tmp/state WIPECERT_DB=$DB WIPECERT_TRUST=$CERTS/trust
: >/tmp/ev
mkdir -p /tmp/state
"$W" station --json --auto --key "$CERTS/test-only-technician.key" --passphrase-file "$CERTS/passphrase.txt" \
	--policy "$POLICY" --max-rate 2M >>/tmp/ev 2>/tmp/err &
pid=$!
# the events reach the host as they come, for it to act on
tail -f /tmp/ev | awk '{ print "ev " $0; fflush() }' &
tailpid=$!
i=0
while [ $i -lt 1500 ]; do
	[ "$(grep -c '"event":"sealed"' /tmp/ev)" -ge 2 ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.2
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
echo "station-exit $?"
kill $tailpid
# the whole stream once more, to the last line
sed 's/^/final /' /tmp/ev
sed 's/^/err /' /tmp/err
for f in /tmp/state/*; do
	echo "file ${f##*/} $(base64 -w 0 <"$f")"
done
for a in HP-1 HP-3; do
	echo "ledger $a $("$W" ledger show $a --json | tr -d '\n ')"
done
"$W" ledger verify >/dev/null 2>&1
echo "ledger-verify $?"
