# station-guest.sh - run by busybox sh INSIDE the QEMU guest
# (tests/e2e/station_qemu.sh): `sh station-guest.sh WIPECERT CERTS DB POLICY`.
# Starts `wipecert station --auto --json` and leaves it running while the
# host hot-plugs NVMe disks through QMP; once three jobs are sealed and a
# fourth one runs (or after a time limit) it sends SIGTERM, then resumes
# the job that stopped with `wipecert resume`. The events reach the host as they come
# ("ev " lines); at the end it prints the exit status, the whole stream
# again ("final " lines), the case files (base64) and the ledger's word on
# the assets.
W=$1 CERTS=$2 DB=$3 POLICY=$4
export WIPECERT_STATE_DIR=/tmp/state WIPECERT_DB=$DB WIPECERT_TRUST=$CERTS/trust
# the kernel's warnings on the console (NVMe timeouts, "completion
# polled", resets: KERN_WARNING is level 4, shown from console level 5
# up): a station that stops moving must leave the host a cause to read
echo 5 >/proc/sys/kernel/printk
echo 1 >/proc/sys/kernel/sysrq 2>/dev/null
: >/tmp/ev
# stuck_report PID WHAT: where PID's threads wait, the busy kernel workers
# and every task in D state (the kernel prints those on the console), each
# line "WHAT ..."
stuck_report() {
	for t in /proc/$1/task/*; do
		echo "$2 task ${t##*/}: $(cut -d' ' -f3 $t/stat) wchan $(cat $t/wchan)"
		sed "s/^/$2   /" $t/stack 2>/dev/null
	done
	ps | sed "s/^/$2 ps /"
	# the kernel workers busy on something (a '+' in their name): where
	for k in /proc/[0-9]*; do
		case $(cat $k/comm 2>/dev/null) in kworker*+*)
			echo "$2 busy $(cat $k/comm) wchan $(cat $k/wchan)"
			sed "s/^/$2   /" $k/stack 2>/dev/null ;;
		esac
	done
	echo w >/proc/sysrq-trigger 2>/dev/null
	sleep 1
}
mkdir -p /tmp/state
"$W" station --json --auto --key "$CERTS/test-only-technician.key" --passphrase-file "$CERTS/passphrase.txt" \
	--policy "$POLICY" --max-rate 2M >>/tmp/ev 2>/tmp/err &
pid=$!
# the events reach the host as they come, for it to act on
tail -f /tmp/ev | awk '{ print "ev " $0; fflush() }' &
tailpid=$!
# SIGTERM once three jobs are sealed and the fourth (HP-4) is 2 MiB in: it
# must stop resumably
i=0 job= quiet=0 lines=0 reported=
while [ $i -lt 1500 ]; do
	kill -0 $pid 2>/dev/null || break
	# no event for 90 s (progress comes every second while a disk is
	# worked on): say where the station waits, once
	n=$(wc -l </tmp/ev)
	if [ "$n" = "$lines" ]; then quiet=$((quiet + 1)); else quiet=0 lines=$n; fi
	if [ $quiet -ge 450 ] && [ -z "$reported" ]; then
		echo "station-stuck after 90 s without an event"
		stuck_report $pid station-stuck
		reported=1
	fi
	if [ "$(grep -c '"event":"sealed"' /tmp/ev)" -ge 3 ]; then
		job=$(grep '"event":"started".*"asset":"HP-4"' /tmp/ev | sed 's/.*"job":"\([^"]*\)".*/\1/' | head -n 1)
		done=$(grep '"event":"progress"' /tmp/ev | grep "\"job\":\"$job\"" | tail -n 1 | sed 's/.*"done":\([0-9]*\).*/\1/')
		[ -n "$job" ] && [ "${done:-0}" -ge 2097152 ] && break
	fi
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
# the interrupted job goes on with `wipecert resume`, to a verified end
if [ -n "$job" ]; then
	cp "/tmp/state/$job.json" /tmp/interrupted.json
	# in the background with a deadline: a resume that hangs must say where
	# (its threads' wait channels), not run into the guest's time limit
	t0=$(date +%s)
	"$W" resume "$job" --max-rate 0 --json >/tmp/resume.out 2>/tmp/resume.err </dev/null &
	rpid=$!
	i=0
	while kill -0 $rpid 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	if kill -0 $rpid 2>/dev/null; then
		echo "resume-stuck after $(($(date +%s) - t0)) s: $(grep State /proc/$rpid/status)"
		stuck_report $rpid resume-stuck
		tail -n 5 /tmp/resume.out | sed 's/^/resume-out /'
		kill -9 $rpid
	fi
	wait $rpid
	echo "resume-exit $? after $(($(date +%s) - t0)) s"
	sed 's/^/resume-err /' /tmp/resume.err
	echo "interrupted $(base64 -w 0 </tmp/interrupted.json)"
fi
for f in /tmp/state/*; do
	echo "file ${f##*/} $(base64 -w 0 <"$f")"
done
for a in HP-1 HP-3 HP-5; do
	echo "ledger $a $("$W" ledger show $a --json | tr -d '\n ')"
done
"$W" ledger verify >/dev/null 2>&1
echo "ledger-verify $?"
