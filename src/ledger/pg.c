/* pg.c - the PostgreSQL backend of the ledger: one database shared by the
 * stations and managers of an organisation, through libpq.
 *
 * Its job: the row operations of struct ledger_backend on a server that
 * many stations write at once. Appends are serialised by a transaction-
 * level advisory lock taken before the chain head is read, so the chain
 * stays one chain; a transaction's inserts go in libpq's pipeline mode
 * (those of a table as one multi-row INSERT), answered with the commit.
 * The server itself refuses an event that does not extend the chain, any
 * UPDATE (but the signature its own transaction sets), DELETE or TRUNCATE
 * of events, and of cases and decisions, and (by the role layout of
 * docs/ledger.md) lets a station role insert and read only. It must never retry a write transaction whose commit may
 * have happened, never send a password anywhere but to libpq, and never
 * migrate the schema as anyone but the owner role.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <libpq-fe.h>

#include "ledger-internal.h"
#include "wipecert/util.h"

/* everything lives in its own schema, qualified in every statement: no
 * search_path trick puts another table in its place */
#define S "wipecert."
#define ASSET_COLS "asset_id, media_type, manufacturer, model, serial, wwn, capacity, " \
	"department, location, importance, lease, notes, status, certificate_id, " \
	"asset_name, manager, host, data_held, acquired, lease_start, lease_end, retention, " \
	"confidentiality, integrity, availability, permitted_by, return_due, incident, threat_level, " \
	"agreement, extra"
_Static_assert(_LEDGER_F_MAX == 31, "ASSET_COLS and the statements below name every field");
#define EVENT_COLS "seq, asset_id, kind, changes, state_hash, actor, reason, time_utc, " \
	"time_local, prev_hash, hash, key_id, signature, covers_from"
#define SERIAL_NORM(x) "lower(btrim(" x "))"
#define WWN_NORM(x) "replace(replace(replace(lower(btrim(" x ")), '0x', ''), 'naa.', ''), 'eui.', '')"
/* pg_advisory_xact_lock() key of the chain: "wipecert" in ASCII */
#define CHAIN_LOCK "x'7769706563657274'::bigint"
#define FETCH_ROWS 10000

/* The schema: version 4 of the ledger (the SQLite migrations 0..4 in one),
 * the append-only triggers, the chain link check, and the role layout.
 * Later versions append { from, sql } entries; never edit a released one. */
static const struct {
	int from;
	const char *sql;
} migrations[] = {
	{ 0,
	"DO $$ BEGIN"
	"  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wipecert_station') THEN"
	"    CREATE ROLE wipecert_station NOLOGIN; END IF;"
	"  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wipecert_auditor') THEN"
	"    CREATE ROLE wipecert_auditor NOLOGIN; END IF;"
	"END $$;"
	"CREATE SCHEMA wipecert;"
	"REVOKE ALL ON SCHEMA wipecert FROM PUBLIC;"
	"CREATE TABLE " S "meta (key text PRIMARY KEY, value text NOT NULL);"
	/* IDs in byte order (COLLATE "C"), as SQLite and the archive's
	 * digest order them, whatever the database's locale */
	"CREATE TABLE " S "assets ("
	"  asset_id text COLLATE \"C\" PRIMARY KEY,"
	"  media_type text, manufacturer text, model text, serial text, wwn text,"
	"  capacity bigint CHECK (capacity IS NULL OR capacity >= 0),"
	"  department text, location text,"
	"  importance smallint CHECK (importance IS NULL OR importance IN (1, 2, 3)),"
	"  lease text, notes text,"
	"  status text NOT NULL CHECK (status IN ('in-service', 'retired', 'awaiting-erasure',"
	"    'erased', 'approved', 'disposed', 'handed-to-contractor', 'destroyed', 'taken-out', 'lost',"
	"    'stolen', 'written-off', 'in-repair', 'lease-returned', 'evidence-hold')),"
	"  certificate_id text,"
	"  asset_name text, manager text, host text, data_held text,"
	"  acquired text, lease_start text, lease_end text, retention text,"
	"  confidentiality smallint CHECK (confidentiality IS NULL OR confidentiality IN (1, 2, 3)),"
	"  integrity smallint CHECK (integrity IS NULL OR integrity IN (1, 2)),"
	"  availability smallint CHECK (availability IS NULL OR availability IN (1, 2)),"
	"  permitted_by text, return_due text, incident text,"
	"  threat_level smallint CHECK (threat_level IS NULL OR threat_level IN (1, 2, 3)),"
	"  agreement text, extra text);"
	"CREATE INDEX assets_serial_norm ON " S "assets (" SERIAL_NORM("serial") ");"
	"CREATE INDEX assets_wwn_norm ON " S "assets (" WWN_NORM("wwn") ");"
	"CREATE INDEX assets_status ON " S "assets (status);"
	"CREATE TABLE " S "events ("
	"  seq bigint PRIMARY KEY CHECK (seq > 0),"
	"  asset_id text COLLATE \"C\" NOT NULL, kind text NOT NULL, changes text NOT NULL,"
	"  state_hash text NOT NULL, actor text NOT NULL, reason text NOT NULL,"
	"  time_utc text NOT NULL, time_local text NOT NULL,"
	"  prev_hash text NOT NULL, hash text NOT NULL,"
	"  signature text, key_id text,"
	"  covers_from bigint);"   /* a batch signature's first event */
	"CREATE INDEX events_asset ON " S "events (asset_id, seq);"
	/* the disks stations saw (`wipecert inspect`) */
	"CREATE TABLE " S "seen ("
	"  station text NOT NULL, serial text NOT NULL, wwn text NOT NULL,"
	"  model text, size bigint, first_seen text NOT NULL, last_seen text NOT NULL,"
	"  times bigint NOT NULL DEFAULT 1,"
	"  PRIMARY KEY (station, serial, wwn));"
	/* what an archive took away: each asset's state where its events
	 * were taken out (the live chain goes on after meta archived_seq) */
	"CREATE TABLE " S "archived ("
	"  asset_id text COLLATE \"C\" PRIMARY KEY,"
	"  seq bigint NOT NULL, state_hash text NOT NULL, gated text NOT NULL);"
	"CREATE TABLE " S "cases ("
	"  id text PRIMARY KEY,"
	"  record_sha256 text NOT NULL UNIQUE,"
	"  asset_id text, sealed_at text, technician text, device text, method text,"
	"  result text, verification text, station text,"
	"  submitted_at text NOT NULL, record bytea NOT NULL, signature text NOT NULL);"
	"CREATE INDEX cases_sealed ON " S "cases (sealed_at, id);"
	"CREATE TABLE " S "decisions ("
	"  case_id text PRIMARY KEY REFERENCES " S "cases (id),"
	"  decision text NOT NULL CHECK (decision IN ('approved', 'rejected')),"
	"  decided_at text NOT NULL, approver text NOT NULL, certificate_id text UNIQUE,"
	"  document bytea NOT NULL, document_sig text NOT NULL, pdf bytea, pdf_sha256 text);"
	/* append-only, whoever asks: row triggers for UPDATE and DELETE, a
	 * statement trigger for TRUNCATE (row triggers do not fire on it) */
	"CREATE FUNCTION " S "refuse() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
	"  RAISE EXCEPTION 'wipecert ledger: % on % refused: the ledger is append-only', TG_OP, TG_TABLE_NAME"
	"    USING ERRCODE = 'WC001';"
	"END $f$;"
	/* an archive (the owner's) removes the events it took, up to meta
	 * archived_seq set in the same transaction; any other removal is
	 * refused */
	"CREATE FUNCTION " S "archived_only() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
	"  IF OLD.seq <= COALESCE((SELECT value::bigint FROM " S "meta WHERE key = 'archived_seq'), 0) THEN"
	"    RETURN OLD;"
	"  END IF;"
	"  RAISE EXCEPTION 'wipecert ledger: DELETE on events refused: the ledger is append-only'"
	"    USING ERRCODE = 'WC001';"
	"END $f$;"
	"CREATE TRIGGER events_append_only BEFORE DELETE ON " S "events"
	"  FOR EACH ROW EXECUTE FUNCTION " S "archived_only();"
	/* an event's signature is set once, by the transaction that appended
	 * it (the signer signs a transaction's events together, before the
	 * commit); nothing else of an event ever changes */
	"CREATE FUNCTION " S "sign_once() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
	"  IF OLD.signature IS NULL AND NEW.signature IS NOT NULL AND OLD.covers_from IS NULL"
	"    AND (NEW.seq, NEW.asset_id, NEW.kind, NEW.changes, NEW.state_hash, NEW.actor, NEW.reason,"
	"         NEW.time_utc, NEW.time_local, NEW.prev_hash, NEW.hash, NEW.key_id)"
	"      IS NOT DISTINCT FROM (OLD.seq, OLD.asset_id, OLD.kind, OLD.changes, OLD.state_hash, OLD.actor,"
	"         OLD.reason, OLD.time_utc, OLD.time_local, OLD.prev_hash, OLD.hash, OLD.key_id)"
	"    AND (SELECT e.xmin FROM " S "events e WHERE e.seq = OLD.seq) = pg_current_xact_id()::xid THEN"
	"    RETURN NEW;"
	"  END IF;"
	"  RAISE EXCEPTION 'wipecert ledger: UPDATE on events refused: the ledger is append-only'"
	"    USING ERRCODE = 'WC001';"
	"END $f$;"
	"CREATE TRIGGER events_sign_once BEFORE UPDATE ON " S "events"
	"  FOR EACH ROW EXECUTE FUNCTION " S "sign_once();"
	"CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON " S "events"
	"  FOR EACH STATEMENT EXECUTE FUNCTION " S "refuse();"
	"CREATE TRIGGER cases_append_only BEFORE UPDATE OR DELETE ON " S "cases"
	"  FOR EACH ROW EXECUTE FUNCTION " S "refuse();"
	"CREATE TRIGGER cases_no_truncate BEFORE TRUNCATE ON " S "cases"
	"  FOR EACH STATEMENT EXECUTE FUNCTION " S "refuse();"
	"CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON " S "decisions"
	"  FOR EACH ROW EXECUTE FUNCTION " S "refuse();"
	"CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON " S "decisions"
	"  FOR EACH STATEMENT EXECUTE FUNCTION " S "refuse();"
	"CREATE TRIGGER assets_no_delete BEFORE DELETE ON " S "assets"
	"  FOR EACH ROW EXECUTE FUNCTION " S "refuse();"
	"CREATE TRIGGER assets_no_truncate BEFORE TRUNCATE ON " S "assets"
	"  FOR EACH STATEMENT EXECUTE FUNCTION " S "refuse();"
	/* one chain: an event must follow the last one (or the archived
	 * head), whoever inserts it and however (wipecert takes the advisory
	 * lock; psql need not) */
	"CREATE FUNCTION " S "link() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" DECLARE hseq bigint := 0; hhash text := repeat('0', 64);"
	" BEGIN"
	"  SELECT seq, hash INTO hseq, hhash FROM " S "events ORDER BY seq DESC LIMIT 1;"
	"  IF NOT FOUND THEN"
	"    hseq := COALESCE((SELECT value::bigint FROM " S "meta WHERE key = 'archived_seq'), 0);"
	"    hhash := COALESCE((SELECT value FROM " S "meta WHERE key = 'archived_hash'), repeat('0', 64));"
	"  END IF;"
	"  IF NEW.seq <> hseq + 1 OR NEW.prev_hash <> hhash THEN"
	"    RAISE EXCEPTION 'wipecert ledger: event % does not extend the chain (its head is event %)', NEW.seq, hseq"
	"      USING ERRCODE = 'WC002';"
	"  END IF;"
	"  RETURN NEW;"
	" END $f$;"
	"CREATE TRIGGER events_link BEFORE INSERT ON " S "events FOR EACH ROW EXECUTE FUNCTION " S "link();"
	/* the recorded head, written as the owner from the chain itself: a
	 * station may call it, not choose what it writes */
	"CREATE FUNCTION " S "save_head() RETURNS void LANGUAGE sql SECURITY DEFINER"
	"  SET search_path = pg_catalog, pg_temp AS $f$"
	"  INSERT INTO " S "meta (key, value)"
	"    SELECT k.key, CASE k.key WHEN 'head_seq' THEN e.seq::text ELSE e.hash END"
	"    FROM (SELECT seq, hash FROM " S "events ORDER BY seq DESC LIMIT 1) e,"
	"         (VALUES ('head_seq'), ('head_hash')) k (key)"
	"    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;"
	"$f$;"
	"REVOKE ALL ON FUNCTION " S "save_head() FROM PUBLIC;"
	/* the role layout: stations (and managers) insert and read, auditors
	 * read; only the owner changes the schema, the triggers, the head */
	"GRANT USAGE ON SCHEMA wipecert TO wipecert_station, wipecert_auditor;"
	"GRANT SELECT ON ALL TABLES IN SCHEMA wipecert TO wipecert_station, wipecert_auditor;"
	"GRANT INSERT ON " S "events, " S "assets, " S "cases, " S "decisions, " S "seen TO wipecert_station;"
	"GRANT UPDATE ON " S "assets, " S "seen TO wipecert_station;"
	"GRANT UPDATE (signature, covers_from) ON " S "events TO wipecert_station;"
	"GRANT EXECUTE ON FUNCTION " S "save_head() TO wipecert_station;"
	"INSERT INTO " S "meta (key, value) VALUES ('schema_version', '4');" },
};

enum {
	Q_INSERT_EVENT, Q_INSERT_ASSET, Q_UPDATE_ASSET, Q_GET_ASSET, Q_BY_SERIAL, Q_BY_WWN, Q_LAST_EVENT,
	Q_SIGN_EVENT, _Q_MAX
};

static const char *const queries[_Q_MAX] = {
	[Q_INSERT_EVENT] = "INSERT INTO " S "events (seq, asset_id, kind, changes, state_hash, actor, reason, time_utc,"
		" time_local, prev_hash, hash, signature, key_id, covers_from)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
	[Q_INSERT_ASSET] = "INSERT INTO " S "assets (" ASSET_COLS ") VALUES"
		" ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
		" $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)",
	[Q_UPDATE_ASSET] = "UPDATE " S "assets SET media_type = $2, manufacturer = $3, model = $4, serial = $5, wwn = $6,"
		" capacity = $7, department = $8, location = $9, importance = $10, lease = $11,"
		" notes = $12, status = $13, certificate_id = $14, asset_name = $15, manager = $16,"
		" host = $17, data_held = $18, acquired = $19, lease_start = $20, lease_end = $21,"
		" retention = $22, confidentiality = $23, integrity = $24, availability = $25,"
		" permitted_by = $26, return_due = $27, incident = $28, threat_level = $29,"
		" agreement = $30, extra = $31 WHERE asset_id = $1",
	[Q_GET_ASSET] = "SELECT " ASSET_COLS " FROM " S "assets WHERE asset_id = $1",
	/* two statements, not one with OR: each uses its index in a generic plan */
	[Q_BY_SERIAL] = "SELECT " ASSET_COLS " FROM " S "assets WHERE " SERIAL_NORM("serial") " = " SERIAL_NORM("$1")
		" AND ($2::text IS NULL OR asset_id <> $2) ORDER BY asset_id LIMIT 1",
	[Q_BY_WWN] = "SELECT " ASSET_COLS " FROM " S "assets WHERE " WWN_NORM("wwn") " = " WWN_NORM("$1")
		" AND ($2::text IS NULL OR asset_id <> $2) ORDER BY asset_id LIMIT 1",
	[Q_LAST_EVENT] = "SELECT seq, hash FROM " S "events ORDER BY seq DESC LIMIT 1",
	/* events_sign_once() refuses it but for an event of this transaction
	 * without a signature */
	[Q_SIGN_EVENT] = "UPDATE " S "events SET signature = $1, covers_from = $3 WHERE seq = $2",
};

/* The assets a write transaction's rows will ask for (prefetch()): by ID,
 * and by the serial and WWN as the identity indexes compare them, which
 * only the server computes (lower() follows its collation); kept true by
 * put_asset() until the transaction ends. */
struct cached {
	bool present;             /* false: no asset has this ID */
	struct ledger_asset a;
	char *snorm, *wnorm;      /* its serial and WWN in their index form */
};

struct idlist {
	char **id;
	size_t n, cap;
};

struct cache {
	bool on;
	struct ledger_idmap assets; /* ID -> struct cached */
	struct ledger_idmap snorm;  /* a serial as given -> char * (index form) */
	struct ledger_idmap wnorm;  /* a WWN as given -> char * */
	struct ledger_idmap by_s;   /* index form -> struct idlist: who has it */
	struct ledger_idmap by_w;
};

static void cache_free(struct cache *c);
static int read_asset(const PGresult *res, int i, int first_col, struct ledger_asset *ret);

/* how many statements a write transaction sends before it waits for
 * their answers: the server's replies must not fill the socket while
 * we still send */
#define PIPE_MAX 64
/* inserts of one table that follow each other in a write transaction go
 * as one multi-row INSERT of up to this many rows (31 asset columns:
 * well under the protocol's 65535 parameters) */
#define BATCH_ROWS 256

/* The rows of one table waiting to be sent as one INSERT, in order. */
struct rows {
	const char *head;         /* "INSERT INTO table (cols) VALUES " */
	int ncols;
	size_t n;
	char **v;                 /* n * ncols values (NULL: SQL NULL) */
};

struct pgs {
	PGconn *conn;
	bool prepared[_Q_MAX];
	unsigned cursors;         /* names cursors: walks may nest */
	/* a write transaction runs in libpq's pipeline mode: its inserts are
	 * sent without waiting, and answered together at the next read or at
	 * the commit */
	bool pipe;
	int pending;
	int pending_q[PIPE_MAX + 8]; /* per statement sent: the query it prepares, or -1 */
	bool have_head;           /* begin() read the chain's head: */
	uint64_t head_seq;
	char head_hash[LEDGER_HASH_HEX];
	struct cache cache;       /* what a prefetch fetched, this transaction */
	struct rows assets, events; /* inserts not sent yet (rows_flush()) */
};

static inline struct pgs *P(struct ledger *l)
{
	return l->be_data;
}

static inline void clearp(PGresult **r) { PQclear(*r); }
#define _cleanup_result_ _cleanup_(clearp)

/* The server's SQLSTATE as -errno; the message kept for ledger_last_error(). */
static int pg_err(PGconn *conn, const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : NULL;

	ledger_set_error("%s", msg && *msg ? msg : PQerrorMessage(conn));
	/* no SQLSTATE: the connection, not the statement, failed */
	if (!st || PQstatus(conn) == CONNECTION_BAD)
		return -ECONNRESET;
	if (streq(st, "23505"))
		return -EEXIST;
	if (strncmp(st, "23", 2) == 0 || strncmp(st, "22", 2) == 0)
		return -EINVAL;
	if (streq(st, "42501"))
		return -EACCES;
	if (streq(st, "WC001"))
		return -EPERM;
	if (streq(st, "WC002"))
		return -ESTALE;
	if (streq(st, "42P01") || streq(st, "3F000"))
		return -ENOENT;
	if (strncmp(st, "08", 2) == 0 || streq(st, "57P01") || streq(st, "57P02") || streq(st, "57P03"))
		return -ECONNRESET;
	if (streq(st, "40001") || streq(st, "40P01"))
		return -EAGAIN;
	if (streq(st, "55P03"))
		return -EBUSY; /* lock_timeout: another writer holds the chain */
	if (streq(st, "25006"))
		return -EROFS;
	if (streq(st, "53100"))
		return -ENOSPC;
	if (strncmp(st, "53", 2) == 0)
		return -ENOMEM;
	if (streq(st, "57014"))
		return -EINTR;
	return -EIO;
}

/* After a server restart the connection looks fine until it is used: a
 * statement outside a transaction that finds it gone reconnects once and
 * is sent again (nothing of it can have happened). */
static bool reconnect(struct ledger *l)
{
	struct pgs *p = P(l);

	if (l->in_tx || PQstatus(p->conn) != CONNECTION_BAD)
		return false;
	PQreset(p->conn);
	memset(p->prepared, 0, sizeof(p->prepared));
	return PQstatus(p->conn) == CONNECTION_OK;
}

static int ok_result(struct ledger *l, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	return pg_err(P(l)->conn, res);
}

/* ---- the pipeline of a write transaction ---- */

static int sent(struct ledger *l, int ok, int q)
{
	struct pgs *p = P(l);

	if (!ok)
		return pg_err(p->conn, NULL);
	p->pending_q[p->pending++] = q;
	return 0;
}

/* Send one statement: the prepared query q (prepared first if need be),
 * or sql with its parameters. */
static int pipe_send(struct ledger *l, int q, const char *sql, int n, const char *const *v, const int *len,
		     const int *fmt)
{
	struct pgs *p = P(l);
	char name[16];
	int r;

	if (q < 0)
		return sent(l, PQsendQueryParams(p->conn, sql, n, NULL, v, len, fmt, 0), -1);
	snprintf(name, sizeof(name), "wc%d", q);
	if (!p->prepared[q]) {
		r = sent(l, PQsendPrepare(p->conn, name, queries[q], n, NULL), q);
		if (r < 0)
			return r;
		p->prepared[q] = true;
	}
	return sent(l, PQsendQueryPrepared(p->conn, name, n, v, len, fmt, 0), -1);
}

/* Everything sent so far answered: the first failure's -errno, and the
 * last statement's result in *ret (may be NULL). */
static int pipe_drain(struct ledger *l, PGresult **ret)
{
	struct pgs *p = P(l);
	PGresult *res, *last = NULL;
	int r = 0, n = p->pending;

	p->pending = 0;
	if (!PQpipelineSync(p->conn))
		return pg_err(p->conn, NULL);
	for (int i = 0; i < n; i++) {
		res = PQgetResult(p->conn);
		if (!res) {
			/* the connection went: no more answers come */
			PQclear(last);
			return r ?: pg_err(p->conn, NULL);
		}
		if (PQresultStatus(res) != PGRES_PIPELINE_ABORTED) {
			int k = ok_result(l, res);

			if (k < 0 && p->pending_q[i] >= 0)
				p->prepared[p->pending_q[i]] = false;
			if (k < 0 && r == 0)
				r = k;
		} else if (p->pending_q[i] >= 0)
			p->prepared[p->pending_q[i]] = false;
		PQclear(last);
		last = res;
		/* each statement's results end with a NULL */
		while ((res = PQgetResult(p->conn)))
			PQclear(res);
	}
	res = PQgetResult(p->conn);
	if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
		PQclear(res);
		PQclear(last);
		return r ?: pg_err(p->conn, NULL);
	}
	PQclear(res);
	if (r == 0 && ret)
		*ret = last;
	else
		PQclear(last);
	return r;
}

static void rows_clear(struct rows *b)
{
	for (size_t i = 0; i < b->n * (size_t)b->ncols; i++)
		free(b->v[i]);
	b->n = 0;
}

static void rows_free(struct rows *b)
{
	rows_clear(b);
	free(b->v);
	b->v = NULL;
}

/* Send b's rows as one INSERT (answered with the next read or the commit). */
static int rows_send(struct ledger *l, struct rows *b)
{
	_cleanup_free_ char *sql = NULL;
	size_t len = 0, k = 0;
	FILE *f;
	int r;

	if (!b->n)
		return 0;
	f = open_memstream(&sql, &len);
	if (!f)
		return -ENOMEM;
	fputs(b->head, f);
	for (size_t i = 0; i < b->n; i++) {
		fputs(i ? ",(" : "(", f);
		for (int c = 0; c < b->ncols; c++)
			fprintf(f, "%s$%zu", c ? "," : "", ++k);
		fputc(')', f);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	r = pipe_send(l, -1, sql, (int)k, (const char *const *)b->v, NULL, NULL);
	rows_clear(b);
	return r;
}

/* Everything buffered sent, in order: before any other statement. */
static int rows_flush(struct ledger *l)
{
	struct pgs *p = P(l);
	int r = rows_send(l, &p->assets);

	return r < 0 ? r : rows_send(l, &p->events);
}

/* One row for b (values copied). The two tables' rows are sent apart
 * (no row of one refers to the other's; each table's in order), and before
 * any other statement. */
static int rows_add(struct ledger *l, struct rows *b, const char *const *v)
{
	struct pgs *p = P(l);
	int r;

	if (!b->v && !(b->v = calloc((size_t)BATCH_ROWS * (size_t)b->ncols, sizeof(*b->v))))
		return -ENOMEM;
	for (int c = 0; c < b->ncols; c++) {
		char **to = &b->v[b->n * (size_t)b->ncols + (size_t)c];

		*to = v[c] ? strdup(v[c]) : NULL;
		if (v[c] && !*to) {
			while (c--)
				free(b->v[b->n * (size_t)b->ncols + (size_t)c]);
			return -ENOMEM;
		}
	}
	b->n++;
	if (b->n == BATCH_ROWS || p->pending >= PIPE_MAX) {
		r = rows_send(l, b);
		if (r >= 0 && p->pending >= PIPE_MAX)
			r = pipe_drain(l, NULL);
		return r;
	}
	return 0;
}

static void pipe_end(struct ledger *l)
{
	struct pgs *p = P(l);

	rows_clear(&p->assets);
	rows_clear(&p->events);
	cache_free(&p->cache);
	if (!p->pipe)
		return;
	if (p->pending)
		pipe_drain(l, NULL);
	/* the results of a broken connection are gone with it */
	if (!PQexitPipelineMode(p->conn) && PQstatus(p->conn) == CONNECTION_OK) {
		PGresult *res;

		while ((res = PQgetResult(p->conn)))
			PQclear(res);
		PQexitPipelineMode(p->conn);
	}
	p->pipe = false;
	p->pending = 0;
}

/* One statement: through the pipeline inside a write transaction (a write
 * that wants no result is only sent), else at once, reconnecting once if
 * the connection was found gone. *ret (may be NULL) gets the result. */
static int run(struct ledger *l, int q, const char *sql, int n, const char *const *v, const int *len,
	       const int *fmt, bool deferred, PGresult **ret)
{
	struct pgs *p = P(l);
	char name[16];
	PGresult *res;
	int r;

	if (p->pipe) {
		r = rows_flush(l);
		if (r >= 0)
			r = pipe_send(l, q, sql, n, v, len, fmt);
		if (r < 0)
			return r;
		if (deferred && !ret && p->pending < PIPE_MAX)
			return 0;
		return pipe_drain(l, ret);
	}
	snprintf(name, sizeof(name), "wc%d", q);
	for (int tries = 0;; tries++) {
		r = 0;
		if (q >= 0 && !p->prepared[q]) {
			res = PQprepare(p->conn, name, queries[q], n, NULL);
			r = ok_result(l, res);
			PQclear(res);
			if (r == 0)
				p->prepared[q] = true;
		}
		if (r == 0) {
			res = q >= 0 ? PQexecPrepared(p->conn, name, n, v, len, fmt, 0) :
				       PQexecParams(p->conn, sql, n, NULL, v, len, fmt, 0);
			r = ok_result(l, res);
			if (r == 0)
				break;
			PQclear(res);
		}
		if (tries || !reconnect(l))
			return r;
	}
	if (ret)
		*ret = res;
	else
		PQclear(res);
	return 0;
}

static int exec(struct ledger *l, const char *sql, PGresult **ret)
{
	return run(l, -1, sql, 0, NULL, NULL, NULL, false, ret);
}

static int params(struct ledger *l, const char *sql, int n, const char *const *v, const int *len,
		  const int *fmt, PGresult **ret)
{
	return run(l, -1, sql, n, v, len, fmt, false, ret);
}

static int prepared(struct ledger *l, unsigned q, int n, const char *const *v, const int *len,
		    const int *fmt, PGresult **ret)
{
	return run(l, (int)q, NULL, n, v, len, fmt, false, ret);
}

/* A simple-protocol string (several statements, outside the pipeline):
 * the last one's result in *ret (may be NULL). */
static int script(struct ledger *l, const char *sql, PGresult **ret)
{
	PGresult *res;
	int r;

	for (int tries = 0;; tries++) {
		res = PQexec(P(l)->conn, sql);
		r = ok_result(l, res);
		if (r == 0 || tries || !reconnect(l))
			break;
		PQclear(res);
	}
	if (r < 0 || !ret)
		PQclear(res);
	else
		*ret = res;
	return r;
}

static const char *val(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* ---- the prefetch cache ---- */

static void cached_release(void *v)
{
	struct cached *c = v;

	ledger_asset_clear(&c->a);
	free(c->snorm);
	free(c->wnorm);
}

static void str_release(void *v)
{
	free(*(char **)v);
}

static void idlist_release(void *v)
{
	struct idlist *x = v;

	for (size_t i = 0; i < x->n; i++)
		free(x->id[i]);
	free(x->id);
}

static void cache_free(struct cache *c)
{
	ledger_idmap_free(&c->assets, cached_release);
	ledger_idmap_free(&c->snorm, str_release);
	ledger_idmap_free(&c->wnorm, str_release);
	ledger_idmap_free(&c->by_s, idlist_release);
	ledger_idmap_free(&c->by_w, idlist_release);
	*c = (struct cache) {
		.assets = { .vsize = sizeof(struct cached) }, .snorm = { .vsize = sizeof(char *) },
		.wnorm = { .vsize = sizeof(char *) }, .by_s = { .vsize = sizeof(struct idlist) },
		.by_w = { .vsize = sizeof(struct idlist) },
	};
}

static int idlist_add(struct ledger_idmap *m, const char *key, const char *id)
{
	struct idlist *x;
	int r = ledger_idmap_get(m, key, true, (void **)&x);

	if (r < 0)
		return r;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 2;
		char **v = realloc(x->id, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->id = v;
		x->cap = cap;
	}
	x->id[x->n] = strdup(id);
	if (!x->id[x->n])
		return -ENOMEM;
	x->n++;
	return 0;
}

static void idlist_remove(struct ledger_idmap *m, const char *key, const char *id)
{
	struct idlist *x;

	if (!key || ledger_idmap_get(m, key, false, (void **)&x) != 1)
		return;
	for (size_t i = 0; i < x->n; i++)
		if (streq(x->id[i], id)) {
			free(x->id[i]);
			x->id[i] = x->id[--x->n];
			return;
		}
}

/* the index form of a serial or WWN given to prefetch(); NULL: not known */
static const char *norm_of(struct ledger_idmap *m, const char *raw)
{
	char **n;

	return raw && ledger_idmap_get(m, raw, false, (void **)&n) == 1 ? *n : NULL;
}

/* a as the asset of its ID, with its serial and WWN in index form */
static int cache_set(struct cache *c, const struct ledger_asset *a, const char *sn, const char *wn)
{
	const char *id = a->v[LEDGER_F_ASSET_ID];
	struct cached *e;
	int r;

	r = ledger_idmap_get(&c->assets, id, true, (void **)&e);
	if (r < 0)
		return r;
	if (e->present) {
		idlist_remove(&c->by_s, e->snorm, id);
		idlist_remove(&c->by_w, e->wnorm, id);
	}
	cached_release(e);
	*e = (struct cached) { .present = true };
	if ((r = ledger_asset_copy(a, &e->a)) < 0)
		return r;
	if ((sn && !(e->snorm = strdup(sn))) || (wn && !(e->wnorm = strdup(wn))))
		return -ENOMEM;
	if (sn && (r = idlist_add(&c->by_s, sn, id)) < 0)
		return r;
	if (wn && (r = idlist_add(&c->by_w, wn, id)) < 0)
		return r;
	return 0;
}

/* put_asset() keeps the cache true; a serial or WWN it was not told of
 * (its index form unknown) ends the cache: the queries take over */
static void cache_put(struct cache *c, const struct ledger_asset *a)
{
	const char *s = a->v[LEDGER_F_SERIAL], *w = a->v[LEDGER_F_WWN];
	const char *sn = norm_of(&c->snorm, s), *wn = norm_of(&c->wnorm, w);

	if ((s && !sn) || (w && !wn) || cache_set(c, a, sn, wn) < 0)
		cache_free(c);
}

/* {"a","b"}: a text[] literal of the non-NULL values */
static char *text_array(const char *const *v, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	bool first = true;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fputc('{', f);
	for (size_t i = 0; i < n; i++) {
		if (!v[i])
			continue;
		fputs(first ? "\"" : ",\"", f);
		first = false;
		for (const char *p = v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				fputc('\\', f);
			fputc(*p, f);
		}
		fputc('"', f);
	}
	fputc('}', f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int pg_prefetch(struct ledger *l, const char *const *ids, const char *const *serials,
		       const char *const *wwns, size_t n)
{
	struct pgs *p = P(l);
	struct cache *c = &p->cache;
	_cleanup_result_ PGresult *norms = NULL, *rows = NULL;
	_cleanup_free_ char *a_ids = NULL, *a_s = NULL, *a_w = NULL, *n_s = NULL, *n_w = NULL;
	_cleanup_free_ const char **sv = NULL, **wv = NULL;
	size_t ns = 0, nw = 0;
	int r;

	if (!p->pipe)
		return 0;
	cache_free(c);
	a_ids = text_array(ids, n);
	a_s = text_array(serials, n);
	a_w = text_array(wwns, n);
	if (!a_ids || !a_s || !a_w)
		return -ENOMEM;
	/* the index form of every serial and WWN, as the server computes it */
	{
		const char *v[2] = { a_s, a_w };

		r = params(l, "SELECT 's', x, " SERIAL_NORM("x") " FROM unnest($1::text[]) x UNION ALL"
			   " SELECT 'w', x, " WWN_NORM("x") " FROM unnest($2::text[]) x", 2, v, NULL, NULL, &norms);
		if (r < 0)
			return r;
	}
	sv = calloc((size_t)PQntuples(norms) + 1, sizeof(*sv));
	wv = calloc((size_t)PQntuples(norms) + 1, sizeof(*wv));
	if (!sv || !wv)
		return -ENOMEM;
	for (int i = 0; i < PQntuples(norms); i++) {
		bool ser = streq(PQgetvalue(norms, i, 0), "s");
		char **to;

		r = ledger_idmap_get(ser ? &c->snorm : &c->wnorm, PQgetvalue(norms, i, 1), true, (void **)&to);
		if (r < 0)
			goto fail;
		if (r == 0 && !(*to = strdup(PQgetvalue(norms, i, 2)))) {
			r = -ENOMEM;
			goto fail;
		}
		if (ser)
			sv[ns++] = PQgetvalue(norms, i, 2);
		else
			wv[nw++] = PQgetvalue(norms, i, 2);
	}
	n_s = text_array(sv, ns);
	n_w = text_array(wv, nw);
	if (!n_s || !n_w) {
		r = -ENOMEM;
		goto fail;
	}
	/* every asset the rows name by ID, serial or WWN: one query */
	{
		const char *v[3] = { a_ids, n_s, n_w };

		r = params(l, "SELECT " ASSET_COLS ", " SERIAL_NORM("serial") ", " WWN_NORM("wwn") " FROM " S "assets"
			   " WHERE asset_id = ANY ($1::text[]) OR " SERIAL_NORM("serial") " = ANY ($2::text[])"
			   " OR " WWN_NORM("wwn") " = ANY ($3::text[])", 3, v, NULL, NULL, &rows);
		if (r < 0)
			goto fail;
	}
	for (int i = 0; i < PQntuples(rows); i++) {
		struct ledger_asset a;

		r = read_asset(rows, i, 0, &a);
		if (r >= 0)
			r = cache_set(c, &a, val(rows, i, _LEDGER_F_MAX), val(rows, i, _LEDGER_F_MAX + 1));
		ledger_asset_clear(&a);
		if (r < 0)
			goto fail;
	}
	/* and those that are not there */
	for (size_t i = 0; i < n; i++) {
		struct cached *e;

		if (ids[i] && (r = ledger_idmap_get(&c->assets, ids[i], true, (void **)&e)) < 0)
			goto fail;
	}
	c->on = true;
	return 0;
fail:
	cache_free(c);
	return r;
}

/* ---- open, migrate ---- */

static int schema_version(struct ledger *l, int *ret)
{
	_cleanup_result_ PGresult *res = NULL;
	uint64_t v;
	int r;

	r = exec(l, "SELECT to_regclass('" S "meta') IS NOT NULL", &res);
	if (r < 0)
		return r;
	if (!streq(PQgetvalue(res, 0, 0), "t")) {
		*ret = 0;
		return 0;
	}
	PQclear(res);
	res = NULL;
	r = exec(l, "SELECT value FROM " S "meta WHERE key = 'schema_version'", &res);
	if (r < 0)
		return r;
	if (PQntuples(res) != 1 || parse_u64(PQgetvalue(res, 0, 0), &v) < 0 || v > INT32_MAX)
		return -EUCLEAN;
	*ret = (int)v;
	return 0;
}

static int pg_schema_version(struct ledger *l)
{
	int v, r = schema_version(l, &v);

	return r < 0 ? r : v;
}

static int pg_migrate(struct ledger *l)
{
	char sql[96];
	int v = 0, r;

	/* the chain's lock: no station appends while the schema changes, and
	 * two owners migrating at once do it once */
	r = script(l, "BEGIN; SELECT pg_advisory_xact_lock(" CHAIN_LOCK ")", NULL);
	if (r < 0)
		return r;
	r = schema_version(l, &v);
	/* entry i takes its from to the next entry's (the last: to
	 * LEDGER_SCHEMA_VERSION); a version none starts from was never
	 * released: no guess at what it holds */
	if (r >= 0 && v < LEDGER_SCHEMA_VERSION) {
		bool known = false;

		for (size_t i = 0; i < ARRAY_SIZE(migrations); i++)
			known |= migrations[i].from == v;
		if (!known) {
			ledger_set_error("the ledger's schema version %d was never released: no migration starts there", v);
			r = -EUCLEAN;
		}
	}
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(migrations); i++)
		if (migrations[i].from >= v)
			r = script(l, migrations[i].sql, NULL);
	if (r >= 0) {
		snprintf(sql, sizeof(sql), "UPDATE " S "meta SET value = '%d' WHERE key = 'schema_version'",
			 LEDGER_SCHEMA_VERSION);
		r = exec(l, sql, NULL);
	}
	if (r >= 0)
		r = script(l, "COMMIT", NULL);
	if (r < 0) {
		char why[400];

		snprintf(why, sizeof(why), "%s", ledger_last_error());
		script(l, "ROLLBACK", NULL);
		if (r == -EACCES && v == 0)
			ledger_set_error("only the database's owner role creates the ledger ('wipecert ledger --db URI "
					 "migrate' as the owner): %s", why);
		else if (r == -EACCES)
			ledger_set_error("the ledger's schema (version %d) needs version %d, and only its owner role "
					 "may change it ('wipecert ledger --db URI migrate' as the owner): %s",
					 v, LEDGER_SCHEMA_VERSION, why);
		else
			ledger_set_error("%s", why);
	}
	return r;
}

static int pg_open(struct ledger *l, const char *where, unsigned flags)
{
	/* ours first: the URI's or string's own settings override them */
	const char *keys[] = { "connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
			       "fallback_application_name", "client_encoding", "dbname", NULL };
	const char *vals[] = { getenv("PGCONNECT_TIMEOUT") ?: "10", "30", "10", "3", "wipecert", "UTF8", where, NULL };
	struct pgs *p;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	cache_free(&p->cache);
	p->assets = (struct rows) { "INSERT INTO " S "assets (" ASSET_COLS ") VALUES ", _LEDGER_F_MAX, 0, NULL };
	p->events = (struct rows) { "INSERT INTO " S "events (seq, asset_id, kind, changes, state_hash, actor, reason,"
				    " time_utc, time_local, prev_hash, hash, signature, key_id, covers_from) VALUES ",
				    14, 0, NULL };
	l->be_data = p;
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (!p->conn)
		return -ENOMEM;
	if (PQstatus(p->conn) != CONNECTION_OK) {
		ledger_set_error("%s", PQerrorMessage(p->conn));
		/* asked for a password it was not given: ~/.pgpass, $PGPASSFILE */
		return PQconnectionNeedsPassword(p->conn) ? -EACCES : -ECONNREFUSED;
	}
	/* a reader cannot write, whatever its role may do */
	if (l->readonly) {
		r = exec(l, "SET default_transaction_read_only = on", NULL);
		if (r < 0)
			return r;
	}
	(void)flags; /* a database is made by its owner (createdb), never here */
	return 0;
}

static void pg_close(struct ledger *l)
{
	struct pgs *p = P(l);

	cache_free(&p->cache);
	rows_free(&p->assets);
	rows_free(&p->events);
	PQfinish(p->conn);
	free(p);
	l->be_data = NULL;
}

/* ---- transactions ---- */

static int pg_begin(struct ledger *l, bool write)
{
	struct pgs *p = P(l);
	_cleanup_result_ PGresult *res = NULL;
	int r;

	p->have_head = false;
	if (!write)
		/* a reader sees one snapshot */
		return script(l, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL);
	/* a writer waits for the chain's lock before it reads the head: one
	 * writer at a time extends the chain. One round trip for all three. */
	r = script(l, "BEGIN; SELECT pg_advisory_xact_lock(" CHAIN_LOCK ");"
		      " SELECT seq, hash FROM " S "events ORDER BY seq DESC LIMIT 1", &res);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		p->head_seq = 0;
		strcpy(p->head_hash, LEDGER_ZERO_HASH);
	} else if (parse_u64(PQgetvalue(res, 0, 0), &p->head_seq) < 0) {
		script(l, "ROLLBACK", NULL);
		return -EUCLEAN;
	} else
		snprintf(p->head_hash, sizeof(p->head_hash), "%s", PQgetvalue(res, 0, 1));
	p->have_head = true;
	if (!PQenterPipelineMode(p->conn)) {
		script(l, "ROLLBACK", NULL);
		return pg_err(p->conn, NULL);
	}
	p->pipe = true;
	p->pending = 0;
	return 0;
}

/* the advisory lock waits as long as lock_timeout says (0: for ever) */
static int pg_set_busy_timeout(struct ledger *l, unsigned ms)
{
	char sql[64];

	if (l->in_tx)
		return -EBUSY;
	snprintf(sql, sizeof(sql), "SET lock_timeout = %u", ms);
	return exec(l, sql, NULL);
}

static int pg_commit(struct ledger *l)
{
	struct pgs *p = P(l);
	int r = 0;

	/* the inserts still in flight, the head and the commit: one round trip */
	if (p->pipe) {
		r = rows_flush(l);
		if (r >= 0)
			r = pipe_send(l, -1, "COMMIT", 0, NULL, NULL, NULL);
		if (r >= 0)
			r = pipe_drain(l, NULL);
		pipe_end(l);
		return r;
	}
	return script(l, "COMMIT", NULL);
}

static void pg_rollback(struct ledger *l)
{
	PGresult *res;

	pipe_end(l);
	res = PQexec(P(l)->conn, "ROLLBACK");
	PQclear(res);
}

/* ---- the chain ---- */

static int pg_last_event(struct ledger *l, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX])
{
	struct pgs *p = P(l);
	_cleanup_result_ PGresult *res = NULL;
	int r;

	if (p->have_head) {
		/* read under the lock by begin() */
		p->have_head = false;
		*ret_seq = p->head_seq;
		memcpy(ret_hash, p->head_hash, LEDGER_HASH_HEX);
		return 0;
	}
	r = prepared(l, Q_LAST_EVENT, 0, NULL, NULL, NULL, &res);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		*ret_seq = 0;
		strcpy(ret_hash, LEDGER_ZERO_HASH);
		return 0;
	}
	r = parse_u64(PQgetvalue(res, 0, 0), ret_seq);
	if (r < 0)
		return -EUCLEAN;
	snprintf(ret_hash, LEDGER_HASH_HEX, "%s", PQgetvalue(res, 0, 1));
	return 0;
}

static int pg_save_head(struct ledger *l, uint64_t seq, const char *hash)
{
	(void)seq;
	(void)hash;
	/* the owner's function writes what the chain says (sent: answered
	 * with the commit, or with a read that comes first) */
	return run(l, -1, "SELECT " S "save_head()", 0, NULL, NULL, NULL, true, NULL);
}

static int pg_read_head(struct ledger *l, char **ret_seq, char **ret_hash)
{
	_cleanup_result_ PGresult *res = NULL;
	char *seq = NULL, *hash = NULL;
	int r;

	r = exec(l, "SELECT key, value FROM " S "meta WHERE key IN ('head_seq', 'head_hash')", &res);
	if (r < 0)
		return r;
	for (int i = 0; i < PQntuples(res); i++) {
		char **to = streq(PQgetvalue(res, i, 0), "head_seq") ? &seq : &hash;

		free(*to);
		*to = strdup(PQgetvalue(res, i, 1));
		if (!*to) {
			free(seq);
			free(hash);
			return -ENOMEM;
		}
	}
	*ret_seq = seq;
	*ret_hash = hash;
	return 0;
}

static int pg_insert_event(struct ledger *l, const struct ledger_event *e)
{
	_cleanup_free_ char *sig = e->signature ? strndup((const char *)e->signature, e->signature_len) : NULL;
	char seq[24], from[24];
	const char *v[14] = {
		seq, e->asset_id, e->kind, e->changes, e->state_hash, e->actor, e->reason, e->time_utc,
		e->time_local, e->prev_hash, e->hash, sig, e->key_id, e->covers_from ? from : NULL,
	};

	if (e->signature && !sig)
		return -ENOMEM;
	snprintf(seq, sizeof(seq), "%" PRIu64, e->seq);
	snprintf(from, sizeof(from), "%" PRIu64, e->covers_from);
	/* with the events that follow it in one INSERT, answered with the
	 * commit (or the next read) */
	if (P(l)->pipe)
		return rows_add(l, &P(l)->events, v);
	return run(l, Q_INSERT_EVENT, NULL, 14, v, NULL, NULL, true, NULL);
}

static int pg_sign_event(struct ledger *l, uint64_t seq, uint64_t covers_from, const char *sig)
{
	char n[24], from[24];
	const char *v[3] = { sig, n, covers_from ? from : NULL };

	snprintf(n, sizeof(n), "%" PRIu64, seq);
	snprintf(from, sizeof(from), "%" PRIu64, covers_from);
	/* sent, answered with the commit */
	return run(l, Q_SIGN_EVENT, NULL, 3, v, NULL, NULL, true, NULL);
}

static void read_event(const PGresult *res, int i, struct ledger_event *e)
{
	const char *sig = val(res, i, 12);

	*e = (struct ledger_event) {
		.asset_id = val(res, i, 1),
		.kind = val(res, i, 2),
		.changes = val(res, i, 3),
		.state_hash = val(res, i, 4),
		.actor = val(res, i, 5),
		.reason = val(res, i, 6),
		.time_utc = val(res, i, 7),
		.time_local = val(res, i, 8),
		.prev_hash = val(res, i, 9),
		.hash = val(res, i, 10),
		.key_id = val(res, i, 11),
		.signature = (const uint8_t *)sig,
		.signature_len = sig ? (size_t)PQgetlength(res, i, 12) : 0,
	};
	parse_u64(PQgetvalue(res, i, 0), &e->seq);
	if (val(res, i, 13))
		parse_u64(PQgetvalue(res, i, 13), &e->covers_from);
}

/* Rows of a query with parameters, through a cursor in batches: a million
 * events never sit in memory at once, and callbacks may run statements in
 * between. Must run inside a transaction. row() gets each row. */
static int walk(struct ledger *l, const char *query, int n, const char *const *v, int batch,
		int (*row)(const PGresult *res, int i, void *ctx), void *ctx)
{
	struct pgs *p = P(l);
	_cleanup_free_ char *declare = NULL;
	char name[24], fetch[64], close[40];
	int r, k;

	if (!l->in_tx)
		return -EINVAL;
	snprintf(name, sizeof(name), "wc_walk%u", p->cursors++);
	if (asprintf(&declare, "DECLARE %s NO SCROLL CURSOR FOR %s", name, query) < 0)
		return -ENOMEM;
	r = params(l, declare, n, v, NULL, NULL, NULL);
	if (r < 0)
		return r;
	snprintf(fetch, sizeof(fetch), "FETCH %d FROM %s", batch, name);
	snprintf(close, sizeof(close), "CLOSE %s", name);
	for (;;) {
		_cleanup_result_ PGresult *res = NULL;
		int rows;

		r = exec(l, fetch, &res);
		if (r < 0)
			return r;
		rows = PQntuples(res);
		for (int i = 0; i < rows; i++) {
			k = row(res, i, ctx);
			if (k < 0) {
				exec(l, close, NULL);
				return k;
			}
		}
		if (rows < batch)
			break;
	}
	return exec(l, close, NULL);
}

struct event_walk {
	int (*cb)(const struct ledger_event *e, void *userdata);
	void *userdata;
};

static int event_row(const PGresult *res, int i, void *ctx)
{
	struct event_walk *w = ctx;
	struct ledger_event e;

	read_event(res, i, &e);
	return w->cb(&e, w->userdata);
}

static int pg_events(struct ledger *l, const struct ledger_event_query *q,
		     int (*cb)(const struct ledger_event *e, void *userdata), void *userdata)
{
	struct event_walk w = { cb, userdata };
	_cleanup_free_ char *sql = NULL;
	const char *v[16];
	char first[24], last[24];
	size_t len = 0;
	int n = 0;
	FILE *f;

	f = open_memstream(&sql, &len);
	if (!f)
		return -ENOMEM;
	fputs(q->unsigned_only ? "SELECT seq, asset_id, kind, changes, state_hash, actor, reason, time_utc, time_local,"
				 " prev_hash, hash, NULL, NULL, NULL FROM " S "events WHERE true" :
				 "SELECT " EVENT_COLS " FROM " S "events WHERE true", f);
	if (q->asset_id) {
		v[n++] = q->asset_id;
		fprintf(f, " AND asset_id = $%d", n);
	}
	if (q->first) {
		snprintf(first, sizeof(first), "%" PRIu64, q->first);
		v[n++] = first;
		fprintf(f, " AND seq >= $%d", n);
	}
	if (q->last) {
		snprintf(last, sizeof(last), "%" PRIu64, q->last);
		v[n++] = last;
		fprintf(f, " AND seq <= $%d", n);
	}
	for (size_t k = 0; q->kinds && q->kinds[k] && n < (int)ARRAY_SIZE(v); k++) {
		v[n++] = q->kinds[k];
		fprintf(f, "%s$%d", k ? ", " : " AND kind IN (", n);
	}
	if (q->kinds && q->kinds[0])
		fputc(')', f);
	fputs(q->latest ? " ORDER BY seq DESC LIMIT 1" : " ORDER BY seq", f);
	if (fclose(f) != 0)
		return -ENOMEM;
	if (q->latest || !l->in_tx) {
		_cleanup_result_ PGresult *res = NULL;
		int r = params(l, sql, n, v, NULL, NULL, &res);

		for (int i = 0; r >= 0 && i < PQntuples(res); i++)
			r = event_row(res, i, &w);
		return r;
	}
	return walk(l, sql, n, v, FETCH_ROWS, event_row, &w);
}

static int pg_orphan_event(struct ledger *l, uint64_t *ret_seq, char **ret_asset_id)
{
	_cleanup_result_ PGresult *res = NULL;
	int r;

	r = exec(l, "SELECT e.asset_id, e.seq FROM " S "events e WHERE e.asset_id <> '' AND NOT EXISTS"
		 " (SELECT 1 FROM " S "assets a WHERE a.asset_id = e.asset_id) ORDER BY e.seq LIMIT 1", &res);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		return -ENOENT;
	*ret_asset_id = strdup(PQgetvalue(res, 0, 0));
	if (!*ret_asset_id)
		return -ENOMEM;
	return parse_u64(PQgetvalue(res, 0, 1), ret_seq) < 0 ? -EUCLEAN : 0;
}

/* ---- assets ---- */

static int read_asset(const PGresult *res, int i, int first_col, struct ledger_asset *ret)
{
	const char *v[_LEDGER_F_MAX];

	for (unsigned f = 0; f < _LEDGER_F_MAX; f++)
		v[f] = val(res, i, first_col + (int)f);
	return ledger_asset_from_texts(v, ret);
}

static int pg_put_asset(struct ledger *l, const struct ledger_asset *a, bool insert)
{
	_cleanup_result_ PGresult *res = NULL;
	int r;

	struct cache *c = &P(l)->cache;
	struct cached *e;
	bool known = false;

	if (c->on) {
		known = ledger_idmap_get(&c->assets, a->v[LEDGER_F_ASSET_ID], false, (void **)&e) == 1 && e->present;
		cache_put(c, a);
	}
	/* an insert (with the ones that follow it, in one statement), or an
	 * update of a row the cache knows is there: sent, answered with the
	 * commit */
	if (insert && P(l)->pipe)
		return rows_add(l, &P(l)->assets, (const char *const *)a->v);
	if (insert || known)
		return run(l, insert ? Q_INSERT_ASSET : Q_UPDATE_ASSET, NULL, _LEDGER_F_MAX, (const char *const *)a->v,
			   NULL, NULL, true, NULL);
	r = prepared(l, Q_UPDATE_ASSET, _LEDGER_F_MAX, (const char *const *)a->v, NULL, NULL, &res);
	if (r < 0)
		return r;
	return !streq(PQcmdTuples(res), "1") ? -ENOENT : 0;
}

static int one_asset(struct ledger *l, unsigned q, int n, const char *const *v, struct ledger_asset *ret)
{
	_cleanup_result_ PGresult *res = NULL;
	int r;

	r = prepared(l, q, n, v, NULL, NULL, &res);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		return -ENOENT;
	return read_asset(res, 0, 0, ret);
}

static int pg_get_asset(struct ledger *l, const char *asset_id, struct ledger_asset *ret)
{
	const char *v[1] = { asset_id };
	struct cache *c = &P(l)->cache;
	struct cached *e;

	if (c->on && ledger_idmap_get(&c->assets, asset_id, false, (void **)&e) == 1)
		return e->present ? ledger_asset_copy(&e->a, ret) : -ENOENT;

	return one_asset(l, Q_GET_ASSET, 1, v, ret);
}

static int pg_find_identity(struct ledger *l, const char *serial, const char *wwn, const char *except_id,
			    struct ledger_asset *ret)
{
	struct ledger_asset s = {}, w = {};
	int rs = -ENOENT, rw = -ENOENT;
	struct cache *c = &P(l)->cache;
	const char *sn = c->on ? norm_of(&c->snorm, serial) : NULL, *wn = c->on ? norm_of(&c->wnorm, wwn) : NULL;

	/* every asset with these index forms is in the cache */
	if (c->on && (!serial || sn) && (!wwn || wn)) {
		const char *best = NULL;
		struct idlist *x;
		struct cached *e;

		if (sn && ledger_idmap_get(&c->by_s, sn, false, (void **)&x) == 1)
			for (size_t i = 0; i < x->n; i++)
				if ((!except_id || !streq(x->id[i], except_id)) && (!best || strcmp(x->id[i], best) < 0))
					best = x->id[i];
		if (wn && ledger_idmap_get(&c->by_w, wn, false, (void **)&x) == 1)
			for (size_t i = 0; i < x->n; i++)
				if ((!except_id || !streq(x->id[i], except_id)) && (!best || strcmp(x->id[i], best) < 0))
					best = x->id[i];
		if (!best)
			return -ENOENT;
		if (ledger_idmap_get(&c->assets, best, false, (void **)&e) == 1 && e->present)
			return ledger_asset_copy(&e->a, ret);
	}

	if (serial) {
		const char *v[2] = { serial, except_id };

		rs = one_asset(l, Q_BY_SERIAL, 2, v, &s);
		if (rs < 0 && rs != -ENOENT)
			return rs;
	}
	if (wwn) {
		const char *v[2] = { wwn, except_id };

		rw = one_asset(l, Q_BY_WWN, 2, v, &w);
		if (rw < 0 && rw != -ENOENT) {
			ledger_asset_clear(&s);
			return rw;
		}
	}
	if (rs < 0 && rw < 0)
		return -ENOENT;
	/* the first by ID, as one query over both would give it */
	if (rs == 0 && (rw < 0 || strcmp(s.v[LEDGER_F_ASSET_ID], w.v[LEDGER_F_ASSET_ID]) <= 0)) {
		*ret = s;
		ledger_asset_clear(&w);
	} else {
		*ret = w;
		ledger_asset_clear(&s);
	}
	return 0;
}

struct asset_walk {
	bool with_state;
	int (*cb)(const struct ledger_asset *a, const char *state, void *userdata);
	void *userdata;
};

static int asset_row(const PGresult *res, int i, void *ctx)
{
	struct asset_walk *w = ctx;
	struct ledger_asset a;
	int r;

	r = read_asset(res, i, w->with_state ? 1 : 0, &a);
	if (r < 0)
		return r;
	r = w->cb(&a, w->with_state ? val(res, i, 0) : NULL, w->userdata);
	ledger_asset_clear(&a);
	return r;
}

static int pg_assets(struct ledger *l, const struct ledger_filter *f, bool with_state,
		     int (*cb)(const struct ledger_asset *a, const char *state, void *userdata), void *userdata)
{
	struct asset_walk w = { with_state, cb, userdata };
	const char *v[2] = { f ? f->status : NULL, f ? f->department : NULL };

	return walk(l, with_state ?
		    /* an asset whose events were all archived: the state carried on */
		    "SELECT COALESCE((SELECT state_hash FROM " S "events e WHERE e.asset_id = a.asset_id"
		    " ORDER BY seq DESC LIMIT 1), (SELECT state_hash FROM " S "archived c WHERE c.asset_id = a.asset_id)), "
		    ASSET_COLS " FROM " S "assets a WHERE ($1::text IS NULL OR status = $1)"
		    " AND ($2::text IS NULL OR department = $2) ORDER BY asset_id" :
		    "SELECT " ASSET_COLS " FROM " S "assets WHERE ($1::text IS NULL OR status = $1)"
		    " AND ($2::text IS NULL OR department = $2) ORDER BY asset_id",
		    2, v, FETCH_ROWS, asset_row, &w);
}

/* ---- archives: the events taken out, the states carried on ---- */

static int pg_archived_head(struct ledger *l, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX])
{
	_cleanup_result_ PGresult *res = NULL;
	uint64_t seq = 0;
	int r;

	r = exec(l, "SELECT key, value FROM " S "meta WHERE key IN ('archived_seq', 'archived_hash')", &res);
	if (r < 0)
		return r;
	ret_hash[0] = '\0';
	for (int i = 0; i < PQntuples(res); i++) {
		const char *k = PQgetvalue(res, i, 0), *v = PQgetvalue(res, i, 1);

		if (streq(k, "archived_seq") && parse_u64(v, &seq) < 0)
			return -EUCLEAN;
		if (streq(k, "archived_hash"))
			snprintf(ret_hash, LEDGER_HASH_HEX, "%s", v);
	}
	*ret_seq = seq;
	return 0;
}

struct checkpoint_walk {
	int (*cb)(const struct ledger_checkpoint *k, void *userdata);
	void *userdata;
};

static int checkpoint_row(const PGresult *res, int i, void *ctx)
{
	struct checkpoint_walk *w = ctx;
	struct ledger_checkpoint k = { val(res, i, 0), 0, val(res, i, 2), val(res, i, 3) };

	if (parse_u64(PQgetvalue(res, i, 1), &k.seq) < 0)
		return -EUCLEAN;
	return w->cb(&k, w->userdata);
}

static int pg_checkpoints(struct ledger *l, const char *asset_id,
			  int (*cb)(const struct ledger_checkpoint *k, void *userdata), void *userdata)
{
	static const char sql[] = "SELECT asset_id, seq, state_hash, gated FROM " S "archived"
		" WHERE $1::text IS NULL OR asset_id = $1 ORDER BY asset_id";
	struct checkpoint_walk w = { cb, userdata };
	const char *v[1] = { asset_id };
	_cleanup_result_ PGresult *res = NULL;
	int r;

	if (!asset_id && l->in_tx)
		return walk(l, sql, 1, v, FETCH_ROWS, checkpoint_row, &w);
	r = params(l, sql, 1, v, NULL, NULL, &res);
	for (int i = 0; r >= 0 && i < PQntuples(res); i++)
		r = checkpoint_row(res, i, &w);
	return r;
}

static int pg_put_checkpoint(struct ledger *l, const struct ledger_checkpoint *k)
{
	char seq[24];
	const char *v[4] = { k->asset_id, seq, k->state_hash, k->state };

	snprintf(seq, sizeof(seq), "%" PRIu64, k->seq);
	return run(l, -1, "INSERT INTO " S "archived (asset_id, seq, state_hash, gated) VALUES ($1, $2, $3, $4)"
		   " ON CONFLICT (asset_id) DO UPDATE SET seq = EXCLUDED.seq, state_hash = EXCLUDED.state_hash,"
		   " gated = EXCLUDED.gated", 4, v, NULL, NULL, true, NULL);
}

static int pg_drop_events(struct ledger *l, uint64_t seq, const char *hash)
{
	char n[24];
	const char *v[2] = { n, hash };
	int r;

	/* the trigger lets events go only up to the archived head recorded
	 * (the owner's: a station may neither write meta nor delete) */
	snprintf(n, sizeof(n), "%" PRIu64, seq);
	r = run(l, -1, "INSERT INTO " S "meta (key, value) VALUES ('archived_seq', $1), ('archived_hash', $2)"
		" ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", 2, v, NULL, NULL, true, NULL);
	if (r < 0)
		return r;
	return run(l, -1, "DELETE FROM " S "events WHERE seq <= $1", 1, v, NULL, NULL, true, NULL);
}

/* ---- what the inspection reads besides the assets ---- */

static int pg_status_since(struct ledger *l, int (*cb)(const char *asset_id, const char *time_utc, void *userdata),
			   void *userdata)
{
	_cleanup_result_ PGresult *res = NULL;
	int r;

	/* the last event that set a status (every create does); the changes
	 * text is compact JSON in field order, so the key reads "status":[ */
	r = exec(l, "SELECT asset_id, max(t) FROM (SELECT asset_id, time_utc AS t FROM " S "events WHERE asset_id <> ''"
		 " AND (kind = 'create' OR (kind IN ('update', 'approve') AND position('\"status\":[' in changes) > 0))"
		 " UNION ALL SELECT asset_id, gated::json->>'since' FROM " S "archived) x GROUP BY asset_id", &res);
	for (int i = 0; r >= 0 && i < PQntuples(res); i++)
		r = cb(val(res, i, 0), val(res, i, 1), userdata);
	return r;
}

static int pg_seen_put(struct ledger *l, const char *station, const struct ledger_detected *d, const char *now)
{
	char size[24];
	const char *v[6] = { station, d->serial ?: "", d->wwn ?: "", d->model, d->capacity ? size : NULL, now };

	snprintf(size, sizeof(size), "%" PRIu64, d->capacity);
	return run(l, -1, "INSERT INTO " S "seen (station, serial, wwn, model, size, first_seen, last_seen)"
		   " VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (station, serial, wwn) DO UPDATE SET"
		   " model = EXCLUDED.model, size = EXCLUDED.size, last_seen = EXCLUDED.last_seen,"
		   " times = " S "seen.times + 1", 6, v, NULL, NULL, true, NULL);
}

static int pg_seen_list(struct ledger *l, bool unknown_only, int (*cb)(const struct ledger_seen *s, void *userdata),
			void *userdata)
{
	_cleanup_result_ PGresult *res = NULL;
	const char *v[1] = { unknown_only ? "t" : "f" };
	int r;

	r = params(l, "SELECT station, serial, wwn, model, size, first_seen, last_seen, times FROM " S "seen z"
		   " WHERE NOT $1::boolean OR NOT EXISTS (SELECT 1 FROM " S "assets a WHERE"
		   "  (z.serial <> '' AND " SERIAL_NORM("a.serial") " = " SERIAL_NORM("z.serial") ") OR"
		   "  (z.wwn <> '' AND " WWN_NORM("a.wwn") " = " WWN_NORM("z.wwn") "))"
		   " ORDER BY station COLLATE \"C\", serial COLLATE \"C\", wwn COLLATE \"C\"", 1, v, NULL, NULL, &res);
	for (int i = 0; r >= 0 && i < PQntuples(res); i++) {
		struct ledger_seen z = {
			.station = val(res, i, 0), .serial = val(res, i, 1), .wwn = val(res, i, 2),
			.model = val(res, i, 3), .first_seen = val(res, i, 5), .last_seen = val(res, i, 6),
		};

		if (val(res, i, 4))
			parse_u64(PQgetvalue(res, i, 4), &z.size);
		parse_u64(PQgetvalue(res, i, 7), &z.times);
		r = cb(&z, userdata);
	}
	return r;
}

/* ---- cases ---- */

static int pg_put_case(struct ledger *l, const struct ledger_case *k)
{
	const char *v[13] = {
		k->id, k->record_sha256, k->asset_id, k->sealed_at, k->technician, k->device, k->method,
		k->result, k->verification, k->station, k->submitted_at, (const char *)k->record, k->signature,
	};
	int len[13] = { [11] = (int)k->record_len };
	int fmt[13] = { [11] = 1 };

	if (k->record_len > INT32_MAX)
		return -E2BIG;
	return run(l, -1, "INSERT INTO " S "cases (id, record_sha256, asset_id, sealed_at, technician, device, method,"
		      " result, verification, station, submitted_at, record, signature)"
		      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", 13, v, len, fmt, true, NULL);
}

static int pg_put_decision(struct ledger *l, const struct ledger_case *k)
{
	const char *v[9] = {
		k->id, k->decision, k->decided_at, k->approver, k->certificate_id, (const char *)k->document,
		k->document_sig, (const char *)k->pdf, k->pdf_sha256,
	};
	int len[9] = { [5] = (int)k->document_len, [7] = (int)k->pdf_len };
	int fmt[9] = { [5] = 1, [7] = 1 };

	if (k->document_len > INT32_MAX || k->pdf_len > INT32_MAX)
		return -E2BIG;
	return run(l, -1, "INSERT INTO " S "decisions (case_id, decision, decided_at, approver, certificate_id,"
		      " document, document_sig, pdf, pdf_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		      9, v, len, fmt, true, NULL);
}

struct case_walk {
	int (*cb)(const struct ledger_case *k, void *userdata);
	void *userdata;
};

/* a bytea column of a text-format result, unescaped (freed by the caller) */
static int bytes(const PGresult *res, int i, int col, uint8_t **ret, size_t *ret_len)
{
	const char *v = val(res, i, col);

	*ret = NULL;
	*ret_len = 0;
	if (!v)
		return 0;
	*ret = PQunescapeBytea((const unsigned char *)v, ret_len);
	return *ret ? 0 : -ENOMEM;
}

static int case_row(const PGresult *res, int i, void *ctx)
{
	struct case_walk *w = ctx;
	uint8_t *rec = NULL, *doc = NULL, *pdf = NULL;
	size_t rec_len, doc_len, pdf_len;
	int r;

	r = bytes(res, i, 16, &rec, &rec_len);
	if (r >= 0)
		r = bytes(res, i, 18, &doc, &doc_len);
	if (r >= 0)
		r = bytes(res, i, 20, &pdf, &pdf_len);
	if (r >= 0) {
		struct ledger_case k = {
			.id = val(res, i, 0), .record_sha256 = val(res, i, 1), .asset_id = val(res, i, 2),
			.sealed_at = val(res, i, 3), .technician = val(res, i, 4), .device = val(res, i, 5),
			.method = val(res, i, 6), .result = val(res, i, 7), .verification = val(res, i, 8),
			.station = val(res, i, 9), .submitted_at = val(res, i, 10),
			.decision = val(res, i, 11), .decided_at = val(res, i, 12), .approver = val(res, i, 13),
			.certificate_id = val(res, i, 14), .pdf_sha256 = val(res, i, 15),
			.record = rec, .record_len = rec_len, .signature = val(res, i, 17),
			.document = doc, .document_len = doc_len, .document_sig = val(res, i, 19),
			.pdf = pdf, .pdf_len = pdf_len,
		};

		r = w->cb(&k, w->userdata);
	}
	PQfreemem(rec);
	PQfreemem(doc);
	PQfreemem(pdf);
	return r;
}

static int pg_cases(struct ledger *l, const char *id, unsigned what,
		    int (*cb)(const struct ledger_case *k, void *userdata), void *userdata)
{
	struct case_walk w = { cb, userdata };
	const char *v[4] = {
		id, what & LEDGER_CASE_BODIES ? "t" : "f", what & LEDGER_CASE_PDF ? "t" : "f",
		what & LEDGER_CASE_OPEN ? "t" : "f",
	};

	return walk(l, "SELECT c.id, c.record_sha256, c.asset_id, c.sealed_at, c.technician, c.device, c.method,"
		    " c.result, c.verification, c.station, c.submitted_at,"
		    " d.decision, d.decided_at, d.approver, d.certificate_id, d.pdf_sha256,"
		    " CASE WHEN $2::boolean THEN c.record END, CASE WHEN $2::boolean THEN c.signature END,"
		    " CASE WHEN $2::boolean THEN d.document END, CASE WHEN $2::boolean THEN d.document_sig END,"
		    " CASE WHEN $3::boolean THEN d.pdf END"
		    " FROM " S "cases c LEFT JOIN " S "decisions d ON d.case_id = c.id"
		    " WHERE ($1::text IS NULL OR c.id = $1) AND (NOT $4::boolean OR d.case_id IS NULL)"
		    " ORDER BY c.sealed_at, c.id", 4, v, what & LEDGER_CASE_PDF ? 50 : FETCH_ROWS, case_row, &w);
}

const struct ledger_backend ledger_pg_backend = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.schema_version = pg_schema_version,
	.migrate = pg_migrate,
	.begin = pg_begin,
	.set_busy_timeout = pg_set_busy_timeout,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.last_event = pg_last_event,
	.save_head = pg_save_head,
	.read_head = pg_read_head,
	.insert_event = pg_insert_event,
	.sign_event = pg_sign_event,
	.events = pg_events,
	.orphan_event = pg_orphan_event,
	.put_asset = pg_put_asset,
	.get_asset = pg_get_asset,
	.find_identity = pg_find_identity,
	.assets = pg_assets,
	.archived_head = pg_archived_head,
	.checkpoints = pg_checkpoints,
	.put_checkpoint = pg_put_checkpoint,
	.drop_events = pg_drop_events,
	.status_since = pg_status_since,
	.seen_put = pg_seen_put,
	.seen_list = pg_seen_list,
	.prefetch = pg_prefetch,
	.put_case = pg_put_case,
	.put_decision = pg_put_decision,
	.cases = pg_cases,
};
