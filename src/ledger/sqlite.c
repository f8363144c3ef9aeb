/* sqlite.c - the SQLite backend of the ledger: one file on the station,
 * the embedded default. Schema and migrations, the write lock (BEGIN
 * IMMEDIATE), and the row operations of struct ledger_backend.
 *
 * It must never update or delete an event, a case or a decision; the
 * triggers refuse it too, as a first line of defence only: anyone with the
 * file can drop them, and the hash chain and the signatures are what
 * detect it.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "ledger-internal.h"
#include "wipecert/util.h"

#define BUSY_TIMEOUT_MS 30000

/* Column list of assets in enum ledger_field order. */
#define ASSET_COLS "asset_id, media_type, manufacturer, model, serial, wwn, capacity, " \
	"department, location, importance, lease, notes, status, certificate_id, " \
	"asset_name, manager, host, data_held, acquired, lease_start, lease_end, retention, " \
	"confidentiality, integrity, availability, permitted_by, return_due, incident, threat_level, " \
	"agreement, extra"
_Static_assert(_LEDGER_F_MAX == 31, "ASSET_COLS and the statements below name every field");
/* the columns of schema 1 and 2 (a migration copies them) */
#define ASSET_COLS_V2 "asset_id, media_type, manufacturer, model, serial, wwn, capacity, " \
	"department, location, importance, lease, notes, status, certificate_id"
#define EVENT_COLS "seq, asset_id, kind, changes, state_hash, actor, reason, time_utc, " \
	"time_local, prev_hash, hash, key_id, signature, covers_from"

/* The serial and WWN as ledger_identity_check() compares them (trimmed,
 * case-insensitive, WWN without 0x / naa.): the expression of an index, so
 * a query must spell it the same way to use it. */
#define SERIAL_NORM(x) "lower(trim(" x "))"
#define WWN_NORM(x) "replace(replace(replace(lower(trim(" x ")), '0x', ''), 'naa.', ''), 'eui.', '')"
/* schema 2's, which missed "0X", "NAA." and "eui." (migrations 1 -> 2 and 2 -> 3 keep it) */
#define WWN_NORM_2(x) "lower(replace(replace(trim(" x "), '0x', ''), 'naa.', ''))"

/* Migration i takes user_version i to i + 1. Never edit a released one:
 * append a new one. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE assets ("
	"  asset_id TEXT PRIMARY KEY NOT NULL,"
	"  media_type TEXT, manufacturer TEXT, model TEXT, serial TEXT, wwn TEXT,"
	"  capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),"
	"  department TEXT, location TEXT,"
	"  importance INTEGER CHECK (importance IS NULL OR importance IN (1, 2, 3)),"
	"  lease TEXT, notes TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('in-service', 'retired', 'awaiting-erasure',"
	"    'erased', 'approved', 'disposed', 'handed-to-contractor', 'destroyed')),"
	"  certificate_id TEXT"
	");"
	"CREATE INDEX assets_serial ON assets (serial);"
	"CREATE INDEX assets_wwn ON assets (wwn);"
	"CREATE TRIGGER assets_no_delete BEFORE DELETE ON assets BEGIN"
	"  SELECT RAISE(ABORT, 'ledger assets are never deleted: change their status'); END;"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  asset_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  changes TEXT NOT NULL,"
	"  state_hash TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  time_utc TEXT NOT NULL,"
	"  time_local TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  signature BLOB,"      /* Ed25519 over hash, by the trust layer */
	"  key_id TEXT"
	");"
	"CREATE INDEX events_asset ON events (asset_id, seq);"
	/* First line of defence only: anyone with the file can drop these.
	 * The hash chain is what detects it. */
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN"
	"  SELECT RAISE(ABORT, 'ledger events are append-only'); END;"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  WHEN OLD.signature IS NOT NULL OR NEW.seq IS NOT OLD.seq"
	"    OR NEW.asset_id IS NOT OLD.asset_id OR NEW.kind IS NOT OLD.kind"
	"    OR NEW.changes IS NOT OLD.changes OR NEW.state_hash IS NOT OLD.state_hash"
	"    OR NEW.actor IS NOT OLD.actor OR NEW.reason IS NOT OLD.reason"
	"    OR NEW.time_utc IS NOT OLD.time_utc OR NEW.time_local IS NOT OLD.time_local"
	"    OR NEW.prev_hash IS NOT OLD.prev_hash OR NEW.hash IS NOT OLD.hash"
	"  BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
	"CREATE TABLE jobs ("
	"  job_id TEXT PRIMARY KEY NOT NULL,"
	"  asset_id TEXT,"
	"  state TEXT NOT NULL,"
	"  updated_utc TEXT NOT NULL"
	");",
	/* 1 -> 2: events of the whole ledger (asset ID ""): trust serials, the
	 * adoption of unsigned legacy events; the serial and WWN looked up as
	 * the identity check compares them (one asset per disk); the unused
	 * job checkpoints dropped (the erase layer keeps its own job files) */
	"CREATE INDEX events_ledger ON events (kind, seq) WHERE asset_id = '';"
	"CREATE INDEX assets_serial_norm ON assets (" SERIAL_NORM("serial") ");"
	"CREATE INDEX assets_wwn_norm ON assets (" WWN_NORM_2("wwn") ");"
	"DROP TABLE IF EXISTS jobs;",
	/* 2 -> 3 (docs/ledger.md, "Schema 3"): the rest of a medium's life,
	 * statuses and fields (the status CHECK cannot be altered in SQLite:
	 * the table is rebuilt, its indexes and trigger made again); the batch
	 * signature's first event; the serials stations saw; what an archive
	 * took away (the live chain starts after it) */
	"CREATE TABLE assets_v3 ("
	"  asset_id TEXT PRIMARY KEY NOT NULL,"
	"  media_type TEXT, manufacturer TEXT, model TEXT, serial TEXT, wwn TEXT,"
	"  capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),"
	"  department TEXT, location TEXT,"
	"  importance INTEGER CHECK (importance IS NULL OR importance IN (1, 2, 3)),"
	"  lease TEXT, notes TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('in-service', 'retired', 'awaiting-erasure',"
	"    'erased', 'approved', 'disposed', 'handed-to-contractor', 'destroyed', 'taken-out', 'lost',"
	"    'stolen', 'written-off', 'in-repair', 'lease-returned', 'evidence-hold')),"
	"  certificate_id TEXT,"
	"  asset_name TEXT, manager TEXT, host TEXT, data_held TEXT,"
	"  acquired TEXT, lease_start TEXT, lease_end TEXT, retention TEXT,"
	"  confidentiality INTEGER CHECK (confidentiality IS NULL OR confidentiality IN (1, 2, 3)),"
	"  integrity INTEGER CHECK (integrity IS NULL OR integrity IN (1, 2)),"
	"  availability INTEGER CHECK (availability IS NULL OR availability IN (1, 2)),"
	"  permitted_by TEXT, return_due TEXT, incident TEXT,"
	"  threat_level INTEGER CHECK (threat_level IS NULL OR threat_level IN (1, 2, 3)),"
	"  agreement TEXT, extra TEXT"
	");"
	"INSERT INTO assets_v3 (" ASSET_COLS_V2 ") SELECT " ASSET_COLS_V2 " FROM assets;"
	"DROP TABLE assets;"
	"ALTER TABLE assets_v3 RENAME TO assets;"
	"CREATE INDEX assets_serial ON assets (serial);"
	"CREATE INDEX assets_wwn ON assets (wwn);"
	"CREATE INDEX assets_serial_norm ON assets (" SERIAL_NORM("serial") ");"
	"CREATE INDEX assets_wwn_norm ON assets (" WWN_NORM_2("wwn") ");"
	"CREATE INDEX assets_status ON assets (status);"
	"CREATE TRIGGER assets_no_delete BEFORE DELETE ON assets BEGIN"
	"  SELECT RAISE(ABORT, 'ledger assets are never deleted: change their status'); END;"
	"ALTER TABLE events ADD COLUMN covers_from INTEGER;"
	"CREATE TABLE seen ("
	"  station TEXT NOT NULL, serial TEXT NOT NULL, wwn TEXT NOT NULL,"
	"  model TEXT, size INTEGER, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,"
	"  times INTEGER NOT NULL DEFAULT 1,"
	"  PRIMARY KEY (station, serial, wwn)"
	");"
	"CREATE TABLE archived ("
	"  asset_id TEXT PRIMARY KEY NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  state_hash TEXT NOT NULL,"
	"  gated TEXT NOT NULL"
	");"
	/* an archive removes the events it took (up to meta 'archived_seq',
	 * set in the same transaction); any other removal is refused */
	"DROP TRIGGER events_no_delete;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  WHEN OLD.seq > COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'archived_seq'), 0)"
	"  BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;",
	/* 3 -> 4: the cases (sealed wipe records) and their decisions, so that
	 * a shared ledger carries them from the station to the manager; the
	 * WWN compared as the identity check does, whatever its case */
	"DROP INDEX assets_wwn_norm;"
	"CREATE INDEX assets_wwn_norm3 ON assets (" WWN_NORM("wwn") ");"
	"CREATE TABLE cases ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  record_sha256 TEXT NOT NULL UNIQUE,"
	"  asset_id TEXT, sealed_at TEXT, technician TEXT, device TEXT, method TEXT,"
	"  result TEXT, verification TEXT, station TEXT,"
	"  submitted_at TEXT NOT NULL,"
	"  record BLOB NOT NULL,"
	"  signature TEXT NOT NULL"
	");"
	"CREATE INDEX cases_sealed ON cases (sealed_at, id);"
	"CREATE TABLE decisions ("
	"  case_id TEXT PRIMARY KEY NOT NULL REFERENCES cases (id),"
	"  decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),"
	"  decided_at TEXT NOT NULL,"
	"  approver TEXT NOT NULL,"
	"  certificate_id TEXT UNIQUE,"
	"  document BLOB NOT NULL,"
	"  document_sig TEXT NOT NULL,"
	"  pdf BLOB,"
	"  pdf_sha256 TEXT"
	");"
	"CREATE TRIGGER cases_no_update BEFORE UPDATE ON cases BEGIN"
	"  SELECT RAISE(ABORT, 'ledger cases are append-only'); END;"
	"CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases BEGIN"
	"  SELECT RAISE(ABORT, 'ledger cases are append-only'); END;"
	"CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions BEGIN"
	"  SELECT RAISE(ABORT, 'ledger decisions are append-only'); END;"
	"CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN"
	"  SELECT RAISE(ABORT, 'ledger decisions are append-only'); END;",
};

_Static_assert(ARRAY_SIZE(migrations) == LEDGER_SCHEMA_VERSION, "one migration per schema version");

enum { Q_INSERT_EVENT, Q_INSERT_ASSET, Q_UPDATE_ASSET, Q_GET_ASSET, Q_IDENTITY, Q_SIGN_EVENT, _Q_MAX };

struct sq {
	sqlite3 *db;
	/* statements kept prepared: an import runs them once a row */
	sqlite3_stmt *cache[_Q_MAX];
};

static inline struct sq *SQ(struct ledger *l)
{
	return l->be_data;
}

static inline void stmt_finalizep(sqlite3_stmt **s) { sqlite3_finalize(*s); }
#define _cleanup_stmt_ _cleanup_(stmt_finalizep)
/* a cached statement is reset, not finalized, when done with */
static inline void stmt_resetp(sqlite3_stmt **s) { if (*s) sqlite3_reset(*s); }
#define _cleanup_reset_ _cleanup_(stmt_resetp)

static int sql_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY: case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM: case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) ? -EEXIST : -EINVAL;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CORRUPT: case SQLITE_NOTADB:
		return -EUCLEAN;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_INTERRUPT:
		return -EINTR;
	default:
		return -EIO;
	}
}

/* the result of a step that is not a row: 0 when done */
static int step_err(sqlite3 *db, int rc)
{
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		ledger_set_error("%s", sqlite3_errmsg(db));
	return sql_err(rc) ?: -EIO;
}

static int exec(struct ledger *l, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(SQ(l)->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK && msg)
		ledger_set_error("%s", msg);
	sqlite3_free(msg);
	return sql_err(rc);
}

static int cached(struct ledger *l, unsigned q, const char *sql, sqlite3_stmt **ret)
{
	struct sq *s = SQ(l);
	int r;

	if (!s->cache[q]) {
		r = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->cache[q], NULL);
		if (r != SQLITE_OK)
			return sql_err(r);
	} else {
		sqlite3_reset(s->cache[q]);
		sqlite3_clear_bindings(s->cache[q]);
	}
	*ret = s->cache[q];
	return 0;
}

static int prepare(struct ledger *l, const char *sql, sqlite3_stmt **ret)
{
	int r = sqlite3_prepare_v2(SQ(l)->db, sql, -1, ret, NULL);

	if (r != SQLITE_OK)
		ledger_set_error("%s", sqlite3_errmsg(SQ(l)->db));
	return sql_err(r);
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (!v)
		return sql_err(sqlite3_bind_null(s, i));
	return sql_err(sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT));
}

static int bind_blob(sqlite3_stmt *s, int i, const void *v, size_t len)
{
	if (!v)
		return sql_err(sqlite3_bind_null(s, i));
	return sql_err(sqlite3_bind_blob64(s, i, v, len, SQLITE_TRANSIENT));
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int user_version(struct ledger *l, int *ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = prepare(l, "PRAGMA user_version", &s);

	if (r < 0)
		return r;
	r = sqlite3_step(s);
	if (r != SQLITE_ROW)
		return step_err(SQ(l)->db, r) ?: -EIO;
	*ret = sqlite3_column_int(s, 0);
	return 0;
}

static int sq_schema_version(struct ledger *l)
{
	int v, r = user_version(l, &v);

	return r < 0 ? r : v;
}

/* ---- transactions ---- */

static int sq_begin(struct ledger *l, bool write)
{
	/* IMMEDIATE: the write lock at once (waiting up to the busy timeout),
	 * so that the head read next is the head this transaction extends */
	return exec(l, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static int sq_set_busy_timeout(struct ledger *l, unsigned ms)
{
	return sqlite3_busy_timeout(SQ(l)->db, (int)ms) == SQLITE_OK ? 0 : -EINVAL;
}

static int sq_commit(struct ledger *l)
{
	return exec(l, "COMMIT");
}

static void sq_rollback(struct ledger *l)
{
	exec(l, "ROLLBACK");
}

/* ---- open, migrate ---- */

static int migrate_tx(struct ledger *l, void *ctx)
{
	char sql[64];
	int v, r;

	(void)ctx;
	/* another process may have migrated while we waited for the lock */
	r = user_version(l, &v);
	if (r < 0)
		return r;
	for (; v < LEDGER_SCHEMA_VERSION; v++) {
		r = exec(l, migrations[v]);
		if (r < 0)
			return r;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", LEDGER_SCHEMA_VERSION);
	return exec(l, sql);
}

static int migrate_once(struct ledger *l)
{
	int r;

	/* the write lock, without the chain head: ledger_tx_write() would read
	 * the events table the first migration creates */
	r = sq_begin(l, true);
	if (r < 0)
		return r;
	r = migrate_tx(l, NULL);
	if (r >= 0)
		r = sq_commit(l);
	if (r < 0)
		sq_rollback(l);
	return r;
}

/* Two processes creating the same new file can both need the exclusive
 * lock the switch to WAL (or the first migration) takes; SQLite then
 * answers BUSY at once instead of calling the busy handler (it would
 * deadlock), so wait here. */
static int retry_busy(struct ledger *l, int (*fn)(struct ledger *l))
{
	int r;

	for (int tries = 0;; tries++) {
		r = fn(l);
		if (r != -EBUSY || tries >= 200)
			return r;
		usleep(10000 + (unsigned)(tries % 5) * 3000);
	}
}

static int wal(struct ledger *l)
{
	return exec(l, "PRAGMA journal_mode = WAL");
}

static int sq_open(struct ledger *l, const char *path, unsigned flags)
{
	struct stat st;
	struct sq *s;
	int r, oflags;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !(flags & LEDGER_OPEN_CREATE) || (flags & LEDGER_OPEN_READONLY))
			return -errno;
		/* the default /var/lib/wipecert may not exist yet: one level only */
		_cleanup_free_ char *dir = strdup(path);
		if (!dir)
			return -ENOMEM;
		if (mkdir(dirname(dir), 0750) < 0 && errno != EEXIST)
			return -errno;
	} else if (!S_ISREG(st.st_mode))
		return -EINVAL;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	l->be_data = s;
	oflags = l->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & LEDGER_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	r = sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_FULLMUTEX, NULL);
	if (r != SQLITE_OK)
		return sql_err(r);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (!l->readonly) {
		/* WAL: readers never block the writer; FULL: an audit log must not
		 * lose a committed event to a power cut */
		r = retry_busy(l, wal);
		if (r < 0)
			return r;
		r = exec(l, "PRAGMA synchronous = FULL");
		if (r < 0)
			return r;
		/* an import is one transaction: keep its pages in memory rather
		 * than spilling them to the WAL row by row */
		r = exec(l, "PRAGMA cache_size = -65536");
		if (r < 0)
			return r;
	}
	return 0;
}

/* as the WAL switch: the lock upgrade of a first migration can be BUSY at once */
static int sq_migrate(struct ledger *l)
{
	return retry_busy(l, migrate_once);
}

static void sq_close(struct ledger *l)
{
	struct sq *s = SQ(l);

	for (size_t i = 0; i < ARRAY_SIZE(s->cache); i++)
		sqlite3_finalize(s->cache[i]);
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s);
	l->be_data = NULL;
}

/* ---- the chain ---- */

static int sq_last_event(struct ledger *l, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX])
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &s);
	if (r < 0)
		return r;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*ret_seq = (uint64_t)sqlite3_column_int64(s, 0);
		snprintf(ret_hash, LEDGER_HASH_HEX, "%s", col_text(s, 1) ?: "");
		return 0;
	}
	r = step_err(SQ(l)->db, r);
	if (r < 0)
		return r;
	*ret_seq = 0;
	strcpy(ret_hash, LEDGER_ZERO_HASH);
	return 0;
}

/* the head lets verify notice events cut off the end */
static int sq_save_head(struct ledger *l, uint64_t seq, const char *hash)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	char n[24];
	int r;

	r = prepare(l, "INSERT OR REPLACE INTO meta (key, value) VALUES ('head_seq', ?1), ('head_hash', ?2)", &s);
	if (r < 0)
		return r;
	snprintf(n, sizeof(n), "%" PRIu64, seq);
	if ((r = bind_text(s, 1, n)) < 0 || (r = bind_text(s, 2, hash)) < 0)
		return r;
	return step_err(SQ(l)->db, sqlite3_step(s));
}

static int sq_read_head(struct ledger *l, char **ret_seq, char **ret_hash)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	char *seq = NULL, *hash = NULL;
	int r;

	r = prepare(l, "SELECT key, value FROM meta WHERE key IN ('head_seq', 'head_hash')", &s);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = col_text(s, 0);
		char **to = k && streq(k, "head_seq") ? &seq : &hash;

		free(*to);
		*to = strdup(col_text(s, 1) ?: "");
		if (!*to) {
			r = -ENOMEM;
			goto fail;
		}
	}
	r = step_err(SQ(l)->db, r);
	if (r < 0)
		goto fail;
	*ret_seq = seq;
	*ret_hash = hash;
	return 0;
fail:
	free(seq);
	free(hash);
	return r;
}

static int sq_insert_event(struct ledger *l, const struct ledger_event *e)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	int r;

	r = cached(l, Q_INSERT_EVENT,
		"INSERT INTO events (seq, asset_id, kind, changes, state_hash, actor, reason, time_utc,"
		" time_local, prev_hash, hash, signature, key_id, covers_from)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)e->seq);
	bind_text(s, 2, e->asset_id);
	bind_text(s, 3, e->kind);
	bind_text(s, 4, e->changes);
	bind_text(s, 5, e->state_hash);
	bind_text(s, 6, e->actor);
	bind_text(s, 7, e->reason);
	bind_text(s, 8, e->time_utc);
	bind_text(s, 9, e->time_local);
	bind_text(s, 10, e->prev_hash);
	bind_text(s, 11, e->hash);
	bind_blob(s, 12, e->signature, e->signature_len);
	bind_text(s, 13, e->key_id);
	if (e->covers_from)
		sqlite3_bind_int64(s, 14, (sqlite3_int64)e->covers_from);
	return step_err(SQ(l)->db, sqlite3_step(s));
}

/* the schema 1 trigger lets a signature (and the batch it covers) be set
 * on an event without one */
static int sq_sign_event(struct ledger *l, uint64_t seq, uint64_t covers_from, const char *sig)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	int r;

	r = cached(l, Q_SIGN_EVENT, "UPDATE events SET signature = ?1, covers_from = ?3"
		   " WHERE seq = ?2 AND signature IS NULL", &s);
	if (r < 0)
		return r;
	bind_blob(s, 1, sig, strlen(sig));
	sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
	if (covers_from)
		sqlite3_bind_int64(s, 3, (sqlite3_int64)covers_from);
	else
		sqlite3_bind_null(s, 3);
	r = step_err(SQ(l)->db, sqlite3_step(s));
	if (r < 0)
		return r;
	return sqlite3_changes(SQ(l)->db) == 1 ? 0 : -ENOENT;
}

static void read_event(sqlite3_stmt *s, struct ledger_event *e)
{
	*e = (struct ledger_event) {
		.seq = (uint64_t)sqlite3_column_int64(s, 0),
		.asset_id = col_text(s, 1),
		.kind = col_text(s, 2),
		.changes = col_text(s, 3),
		.state_hash = col_text(s, 4),
		.actor = col_text(s, 5),
		.reason = col_text(s, 6),
		.time_utc = col_text(s, 7),
		.time_local = col_text(s, 8),
		.prev_hash = col_text(s, 9),
		.hash = col_text(s, 10),
		.key_id = col_text(s, 11),
		.signature = sqlite3_column_blob(s, 12),
		.signature_len = (size_t)sqlite3_column_bytes(s, 12),
		.covers_from = (uint64_t)sqlite3_column_int64(s, 13),
	};
}

static int sq_events(struct ledger *l, const struct ledger_event_query *q,
		     int (*cb)(const struct ledger_event *e, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ char *sql = NULL;
	size_t len = 0, nk = 0;
	FILE *f;
	int r, i;

	f = open_memstream(&sql, &len);
	if (!f)
		return -ENOMEM;
	fputs("SELECT " EVENT_COLS " FROM events WHERE 1", f);
	if (q->asset_id)
		fputs(" AND asset_id = ?1", f);
	if (q->first)
		fputs(" AND seq >= ?2", f);
	if (q->last)
		fputs(" AND seq <= ?3", f);
	for (; q->kinds && q->kinds[nk]; nk++)
		fprintf(f, "%s?%zu", nk ? ", " : " AND kind IN (", nk + 4);
	if (nk)
		fputc(')', f);
	fputs(q->latest ? " ORDER BY seq DESC LIMIT 1" : " ORDER BY seq", f);
	if (fclose(f) != 0)
		return -ENOMEM;
	r = prepare(l, sql, &s);
	if (r < 0)
		return r;
	if (q->asset_id)
		bind_text(s, 1, q->asset_id);
	if (q->first)
		sqlite3_bind_int64(s, 2, (sqlite3_int64)q->first);
	if (q->last)
		sqlite3_bind_int64(s, 3, (sqlite3_int64)q->last);
	for (i = 0; i < (int)nk; i++)
		bind_text(s, i + 4, q->kinds[i]);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_event e;
		int k;

		read_event(s, &e);
		k = cb(&e, userdata);
		if (k < 0)
			return k;
	}
	return step_err(SQ(l)->db, r);
}

static int sq_orphan_event(struct ledger *l, uint64_t *ret_seq, char **ret_asset_id)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "SELECT e.asset_id, e.seq FROM events e WHERE e.asset_id <> '' AND NOT EXISTS"
		    " (SELECT 1 FROM assets a WHERE a.asset_id = e.asset_id) ORDER BY e.seq LIMIT 1", &s);
	if (r < 0)
		return r;
	r = sqlite3_step(s);
	if (r != SQLITE_ROW)
		return step_err(SQ(l)->db, r) ?: -ENOENT;
	*ret_asset_id = strdup(col_text(s, 0) ?: "");
	if (!*ret_asset_id)
		return -ENOMEM;
	*ret_seq = (uint64_t)sqlite3_column_int64(s, 1);
	return 0;
}

/* ---- assets ---- */

static bool field_is_int(enum ledger_field f)
{
	return f == LEDGER_F_CAPACITY || f == LEDGER_F_IMPORTANCE || f == LEDGER_F_CONFIDENTIALITY ||
	       f == LEDGER_F_INTEGRITY || f == LEDGER_F_AVAILABILITY || f == LEDGER_F_THREAT;
}

static int bind_asset(sqlite3_stmt *s, const struct ledger_asset *a)
{
	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		int r;

		if (field_is_int(f) && a->v[f]) {
			uint64_t n;

			r = parse_u64(a->v[f], &n);
			if (r < 0)
				return r;
			r = sql_err(sqlite3_bind_int64(s, (int)f + 1, (sqlite3_int64)n));
		} else
			r = bind_text(s, (int)f + 1, a->v[f]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_asset(sqlite3_stmt *s, int first_col, struct ledger_asset *ret)
{
	const char *v[_LEDGER_F_MAX];

	for (unsigned f = 0; f < _LEDGER_F_MAX; f++)
		v[f] = col_text(s, first_col + (int)f);
	return ledger_asset_from_texts(v, ret);
}

static int sq_put_asset(struct ledger *l, const struct ledger_asset *a, bool insert)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	int r;

	if (insert)
		r = cached(l, Q_INSERT_ASSET, "INSERT INTO assets (" ASSET_COLS ") VALUES"
			   " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
			   " ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)", &s);
	else
		r = cached(l, Q_UPDATE_ASSET,
			   "UPDATE assets SET media_type = ?2, manufacturer = ?3, model = ?4, serial = ?5, wwn = ?6,"
			   " capacity = ?7, department = ?8, location = ?9, importance = ?10, lease = ?11,"
			   " notes = ?12, status = ?13, certificate_id = ?14, asset_name = ?15, manager = ?16,"
			   " host = ?17, data_held = ?18, acquired = ?19, lease_start = ?20, lease_end = ?21,"
			   " retention = ?22, confidentiality = ?23, integrity = ?24, availability = ?25,"
			   " permitted_by = ?26, return_due = ?27, incident = ?28, threat_level = ?29,"
			   " agreement = ?30, extra = ?31 WHERE asset_id = ?1", &s);
	if (r < 0)
		return r;
	r = bind_asset(s, a);
	if (r < 0)
		return r;
	r = step_err(SQ(l)->db, sqlite3_step(s));
	if (r < 0)
		return r;
	return !insert && sqlite3_changes(SQ(l)->db) != 1 ? -ENOENT : 0;
}

static int sq_get_asset(struct ledger *l, const char *asset_id, struct ledger_asset *ret)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	int r;

	r = cached(l, Q_GET_ASSET, "SELECT " ASSET_COLS " FROM assets WHERE asset_id = ?1", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, asset_id);
	r = sqlite3_step(s);
	if (r != SQLITE_ROW)
		return step_err(SQ(l)->db, r) ?: -ENOENT;
	return read_asset(s, 0, ret);
}

static int sq_find_identity(struct ledger *l, const char *serial, const char *wwn, const char *except_id,
			    struct ledger_asset *ret)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	int r;

	r = cached(l, Q_IDENTITY, "SELECT " ASSET_COLS " FROM assets WHERE (?3 IS NULL OR asset_id <> ?3) AND ("
		   "(?1 IS NOT NULL AND " SERIAL_NORM("serial") " = " SERIAL_NORM("?1") ") OR "
		   "(?2 IS NOT NULL AND " WWN_NORM("wwn") " = " WWN_NORM("?2") ")) ORDER BY asset_id LIMIT 1", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, serial);
	bind_text(s, 2, wwn);
	bind_text(s, 3, except_id);
	r = sqlite3_step(s);
	if (r != SQLITE_ROW)
		return step_err(SQ(l)->db, r) ?: -ENOENT;
	return read_asset(s, 0, ret);
}

static int sq_assets(struct ledger *l, const struct ledger_filter *f, bool with_state,
		     int (*cb)(const struct ledger_asset *a, const char *state, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r, first = with_state ? 1 : 0;

	r = prepare(l, with_state ?
		    /* an asset whose events were all archived: the state carried on */
		    "SELECT COALESCE((SELECT state_hash FROM events e WHERE e.asset_id = a.asset_id"
		    " ORDER BY seq DESC LIMIT 1), (SELECT state_hash FROM archived c WHERE c.asset_id = a.asset_id)), "
		    ASSET_COLS " FROM assets a WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR department = ?2)"
		    " ORDER BY asset_id" :
		    "SELECT " ASSET_COLS " FROM assets WHERE (?1 IS NULL OR status = ?1)"
		    " AND (?2 IS NULL OR department = ?2) ORDER BY asset_id", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, f ? f->status : NULL);
	bind_text(s, 2, f ? f->department : NULL);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_asset a;
		int k = read_asset(s, first, &a);

		if (k < 0)
			return k;
		k = cb(&a, with_state ? col_text(s, 0) : NULL, userdata);
		ledger_asset_clear(&a);
		if (k < 0)
			return k;
	}
	return step_err(SQ(l)->db, r);
}

/* ---- archives: the events taken out, the states carried on ---- */

static int sq_archived_head(struct ledger *l, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX])
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	uint64_t seq = 0;
	int r;

	r = prepare(l, "SELECT key, value FROM meta WHERE key IN ('archived_seq', 'archived_hash')", &s);
	if (r < 0)
		return r;
	ret_hash[0] = '\0';
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = col_text(s, 0), *v = col_text(s, 1);

		if (k && streq(k, "archived_seq") && (!v || parse_u64(v, &seq) < 0))
			return -EUCLEAN;
		if (k && streq(k, "archived_hash"))
			snprintf(ret_hash, LEDGER_HASH_HEX, "%s", v ?: "");
	}
	r = step_err(SQ(l)->db, r);
	if (r < 0)
		return r;
	*ret_seq = seq;
	return 0;
}

static int sq_checkpoints(struct ledger *l, const char *asset_id,
			  int (*cb)(const struct ledger_checkpoint *k, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "SELECT asset_id, seq, state_hash, gated FROM archived WHERE ?1 IS NULL OR asset_id = ?1"
		    " ORDER BY asset_id", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, asset_id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_checkpoint k = { col_text(s, 0), (uint64_t)sqlite3_column_int64(s, 1), col_text(s, 2),
					       col_text(s, 3) };
		int x = cb(&k, userdata);

		if (x < 0)
			return x;
	}
	return step_err(SQ(l)->db, r);
}

static int sq_put_checkpoint(struct ledger *l, const struct ledger_checkpoint *k)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "INSERT OR REPLACE INTO archived (asset_id, seq, state_hash, gated) VALUES (?1, ?2, ?3, ?4)", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, k->asset_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)k->seq);
	bind_text(s, 3, k->state_hash);
	bind_text(s, 4, k->state);
	return step_err(SQ(l)->db, sqlite3_step(s));
}

static int sq_drop_events(struct ledger *l, uint64_t seq, const char *hash)
{
	_cleanup_stmt_ sqlite3_stmt *m = NULL, *d = NULL;
	char n[24];
	int r;

	/* the trigger lets events go only up to the archived head recorded */
	snprintf(n, sizeof(n), "%" PRIu64, seq);
	r = prepare(l, "INSERT OR REPLACE INTO meta (key, value) VALUES ('archived_seq', ?1), ('archived_hash', ?2)", &m);
	if (r < 0)
		return r;
	bind_text(m, 1, n);
	bind_text(m, 2, hash);
	r = step_err(SQ(l)->db, sqlite3_step(m));
	if (r < 0)
		return r;
	r = prepare(l, "DELETE FROM events WHERE seq <= ?1", &d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(d, 1, (sqlite3_int64)seq);
	return step_err(SQ(l)->db, sqlite3_step(d));
}

/* ---- what the inspection reads besides the assets ---- */

static int sq_status_since(struct ledger *l, int (*cb)(const char *asset_id, const char *time_utc, void *userdata),
			   void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	/* the last event that set a status (every create does); the changes
	 * text is compact JSON in field order, so the key reads "status":[ */
	r = prepare(l, "SELECT asset_id, max(t) FROM (SELECT asset_id, time_utc AS t FROM events WHERE asset_id <> '' AND"
		    " (kind = 'create' OR (kind IN ('update', 'approve') AND instr(changes, '\"status\":[') > 0))"
		    " UNION ALL SELECT asset_id, json_extract(gated, '$.since') FROM archived) GROUP BY asset_id", &s);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		int k = cb(col_text(s, 0), col_text(s, 1), userdata);

		if (k < 0)
			return k;
	}
	return step_err(SQ(l)->db, r);
}

static int sq_seen_put(struct ledger *l, const char *station, const struct ledger_detected *d, const char *now)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "INSERT INTO seen (station, serial, wwn, model, size, first_seen, last_seen)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (station, serial, wwn) DO UPDATE SET"
		    " model = excluded.model, size = excluded.size, last_seen = excluded.last_seen, times = times + 1", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, station);
	bind_text(s, 2, d->serial ?: "");
	bind_text(s, 3, d->wwn ?: "");
	bind_text(s, 4, d->model);
	if (d->capacity)
		sqlite3_bind_int64(s, 5, (sqlite3_int64)d->capacity);
	bind_text(s, 6, now);
	return step_err(SQ(l)->db, sqlite3_step(s));
}

static int sq_seen_list(struct ledger *l, bool unknown_only, int (*cb)(const struct ledger_seen *s, void *userdata),
			void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "SELECT station, serial, wwn, model, size, first_seen, last_seen, times FROM seen z"
		    " WHERE ?1 = 0 OR NOT EXISTS (SELECT 1 FROM assets a WHERE"
		    "  (z.serial <> '' AND " SERIAL_NORM("a.serial") " = " SERIAL_NORM("z.serial") ") OR"
		    "  (z.wwn <> '' AND " WWN_NORM("a.wwn") " = " WWN_NORM("z.wwn") "))"
		    " ORDER BY station, serial, wwn", &s);
	if (r < 0)
		return r;
	sqlite3_bind_int(s, 1, unknown_only);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_seen z = {
			.station = col_text(s, 0), .serial = col_text(s, 1), .wwn = col_text(s, 2),
			.model = col_text(s, 3), .size = (uint64_t)sqlite3_column_int64(s, 4),
			.first_seen = col_text(s, 5), .last_seen = col_text(s, 6),
			.times = (uint64_t)sqlite3_column_int64(s, 7),
		};
		int k = cb(&z, userdata);

		if (k < 0)
			return k;
	}
	return step_err(SQ(l)->db, r);
}

/* ---- cases ---- */

static int sq_put_case(struct ledger *l, const struct ledger_case *k)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "INSERT INTO cases (id, record_sha256, asset_id, sealed_at, technician, device, method,"
		    " result, verification, station, submitted_at, record, signature)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, k->id);
	bind_text(s, 2, k->record_sha256);
	bind_text(s, 3, k->asset_id);
	bind_text(s, 4, k->sealed_at);
	bind_text(s, 5, k->technician);
	bind_text(s, 6, k->device);
	bind_text(s, 7, k->method);
	bind_text(s, 8, k->result);
	bind_text(s, 9, k->verification);
	bind_text(s, 10, k->station);
	bind_text(s, 11, k->submitted_at);
	bind_blob(s, 12, k->record, k->record_len);
	bind_text(s, 13, k->signature);
	return step_err(SQ(l)->db, sqlite3_step(s));
}

static int sq_put_decision(struct ledger *l, const struct ledger_case *k)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "INSERT INTO decisions (case_id, decision, decided_at, approver, certificate_id,"
		    " document, document_sig, pdf, pdf_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, k->id);
	bind_text(s, 2, k->decision);
	bind_text(s, 3, k->decided_at);
	bind_text(s, 4, k->approver);
	bind_text(s, 5, k->certificate_id);
	bind_blob(s, 6, k->document, k->document_len);
	bind_text(s, 7, k->document_sig);
	bind_blob(s, 8, k->pdf, k->pdf_len);
	bind_text(s, 9, k->pdf_sha256);
	return step_err(SQ(l)->db, sqlite3_step(s));
}

static int sq_cases(struct ledger *l, const char *id, unsigned what,
		    int (*cb)(const struct ledger_case *k, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "SELECT c.id, c.record_sha256, c.asset_id, c.sealed_at, c.technician, c.device, c.method,"
		    " c.result, c.verification, c.station, c.submitted_at,"
		    " d.decision, d.decided_at, d.approver, d.certificate_id, d.pdf_sha256,"
		    " CASE WHEN ?2 THEN c.record END, CASE WHEN ?2 THEN c.signature END,"
		    " CASE WHEN ?2 THEN d.document END, CASE WHEN ?2 THEN d.document_sig END,"
		    " CASE WHEN ?3 THEN d.pdf END"
		    " FROM cases c LEFT JOIN decisions d ON d.case_id = c.id"
		    " WHERE (?1 IS NULL OR c.id = ?1) AND (NOT ?4 OR d.case_id IS NULL)"
		    " ORDER BY c.sealed_at, c.id", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, !!(what & LEDGER_CASE_BODIES));
	sqlite3_bind_int(s, 3, !!(what & LEDGER_CASE_PDF));
	sqlite3_bind_int(s, 4, !!(what & LEDGER_CASE_OPEN));
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_case k = {
			.id = col_text(s, 0), .record_sha256 = col_text(s, 1), .asset_id = col_text(s, 2),
			.sealed_at = col_text(s, 3), .technician = col_text(s, 4), .device = col_text(s, 5),
			.method = col_text(s, 6), .result = col_text(s, 7), .verification = col_text(s, 8),
			.station = col_text(s, 9), .submitted_at = col_text(s, 10),
			.decision = col_text(s, 11), .decided_at = col_text(s, 12), .approver = col_text(s, 13),
			.certificate_id = col_text(s, 14), .pdf_sha256 = col_text(s, 15),
			.record = sqlite3_column_blob(s, 16), .record_len = (size_t)sqlite3_column_bytes(s, 16),
			.signature = col_text(s, 17),
			.document = sqlite3_column_blob(s, 18), .document_len = (size_t)sqlite3_column_bytes(s, 18),
			.document_sig = col_text(s, 19),
			.pdf = sqlite3_column_blob(s, 20), .pdf_len = (size_t)sqlite3_column_bytes(s, 20),
		};
		int k2 = cb(&k, userdata);

		if (k2 < 0)
			return k2;
	}
	return step_err(SQ(l)->db, r);
}

const struct ledger_backend ledger_sqlite_backend = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.migrate = sq_migrate,
	.begin = sq_begin,
	.set_busy_timeout = sq_set_busy_timeout,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.last_event = sq_last_event,
	.save_head = sq_save_head,
	.read_head = sq_read_head,
	.insert_event = sq_insert_event,
	.sign_event = sq_sign_event,
	.events = sq_events,
	.orphan_event = sq_orphan_event,
	.put_asset = sq_put_asset,
	.get_asset = sq_get_asset,
	.find_identity = sq_find_identity,
	.assets = sq_assets,
	.archived_head = sq_archived_head,
	.checkpoints = sq_checkpoints,
	.put_checkpoint = sq_put_checkpoint,
	.drop_events = sq_drop_events,
	.status_since = sq_status_since,
	.seen_put = sq_seen_put,
	.seen_list = sq_seen_list,
	.put_case = sq_put_case,
	.put_decision = sq_put_decision,
	.cases = sq_cases,
};
