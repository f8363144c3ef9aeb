# cluster.bash - a throwaway PostgreSQL 15 cluster for the tests, sourced
# by tests/run.sh (one cluster the whole run shares), tests/e2e/lib.bash
# (a script run alone starts its own) and the PostgreSQL tests that kill
# their server (pg_faults.sh, bench/ledger-pg.sh, tests/pg/failover.sh).
#
# initdb in a directory of ours as the unprivileged postgres user (the
# server refuses root), the socket in that directory, a random port,
# listen_addresses='' (no network), trust for local connections. Whoever
# starts a cluster stops it on every path (pg_cluster_stop in a trap).
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# pg_missing: why no cluster can be started here, or nothing
pg_missing() {
	[ -x "$PG_BIN/initdb" ] || { echo "$PG_BIN/initdb missing (Debian: postgresql-15)"; return; }
	command -v psql >/dev/null || { echo "psql missing (Debian: postgresql-client-15)"; return; }
	id postgres >/dev/null 2>&1 || { echo "no unprivileged postgres user to run the server"; return; }
	[ "$(id -u)" -eq 0 ] || { echo "needs root to run the server as the postgres user"; return; }
}

# pg_as CMD...: a server program as the postgres user, in a directory it may enter
pg_as() { (cd / && runuser -u postgres -- "$@"); }

# pg_cluster_init DIR: a new cluster in DIR/data, its socket directory DIR/sock
pg_cluster_init() {
	local d=$1
	mkdir -p "$d/data" "$d/sock" "$d/log" || return 1
	chmod 755 "$d"
	chown postgres "$d/data" "$d/sock" "$d/log" || return 1
	chmod 700 "$d/data"
	pg_as "$PG_BIN/initdb" -D "$d/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 \
		>"$d/initdb.log" 2>&1 || { cat "$d/initdb.log" >&2; return 1; }
}

# pg_cluster_run DIR [-c name=value ...]: start the cluster of DIR on a free
# random port (PORT written to DIR/port); fsync stays on unless asked off
pg_cluster_run() {
	local d=$1 port tries
	shift
	for tries in 1 2 3 4 5 6 7 8 9 10; do
		if [ -e "$d/port" ]; then
			port=$(cat "$d/port")
		else
			port=$(( 20000 + RANDOM % 40000 ))
		fi
		if pg_as "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/log/server.log" -w -t 60 \
			-o "-k $d/sock -p $port -c listen_addresses= $*" start >/dev/null; then
			echo "$port" >"$d/port"
			return 0
		fi
		# a new port: another cluster's; the same port again after a kill:
		# the old backends may still be on their way out
		sleep 0.5
	done
	tail -n 20 "$d/log/server.log" >&2
	return 1
}

# pg_cluster_start DIR [-c ...]: init and run
pg_cluster_start() {
	local d=$1
	shift
	pg_cluster_init "$d" && pg_cluster_run "$d" "$@"
}

# pg_cluster_stop DIR [MODE]: stop it (immediate unless MODE), whatever its state
pg_cluster_stop() {
	[ -d "$1/data" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m "${2:-immediate}" -w stop >/dev/null 2>&1
	return 0
}

# pg_cluster_kill DIR: kill -9 the postmaster (its backends notice and die);
# its lock files stay behind, as after a power cut
pg_cluster_kill() {
	local pid st
	pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null) || return 1
	kill -9 "$pid" || return 1
	for _ in $(seq 1 100); do
		st=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] && break
		sleep 0.05
	done
	# a dead postmaster nobody reaped (a zombie) still "holds" its lock
	# files: they go, as a reboot would take them
	rm -f "$1/data/postmaster.pid" "$1"/sock/.s.PGSQL.*.lock
}

# pg_uri DIR DB [USER]: the libpq URI of database DB of the cluster of DIR
pg_uri() { echo "postgresql:///$2?host=$1/sock&port=$(cat "$1/port")&user=${3:-postgres}"; }

# pg_psql DIR DB ARGS...: psql as the postgres superuser, quiet, unaligned
pg_psql() { local d=$1 db=$2; shift 2; psql -X -q -At -v ON_ERROR_STOP=1 "$(pg_uri "$d" "$db")" "$@"; }

# pg_createdb DIR DB: a new empty database
pg_createdb() { pg_psql "$1" postgres -c "CREATE DATABASE \"$2\"" >/dev/null; }
