/* store.c - the SQLite store of the ledger: schema and migrations,
 * transactions, assets, the hash-chained signed events, and verification.
 *
 * All SQL of the ledger lives here: csv.c, sign.c, approval.c and change.c
 * call the functions of ledger-internal.h, so a PostgreSQL backend replaces
 * this file alone. It must never change an asset without appending its
 * event in the same transaction, never append an event its signer did not
 * sign, and never update or delete an event.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "ledger-internal.h"
#include "wipecert/util.h"

#define BUSY_TIMEOUT_MS 30000

static __thread char last_error[512];

void ledger_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const char *ledger_last_error(void)
{
	return last_error;
}
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

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
#define WWN_NORM(x) "lower(replace(replace(trim(" x "), '0x', ''), 'naa.', ''))"

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
	"CREATE INDEX assets_wwn_norm ON assets (" WWN_NORM("wwn") ");"
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
	"CREATE INDEX assets_wwn_norm ON assets (" WWN_NORM("wwn") ");"
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
};

_Static_assert(ARRAY_SIZE(migrations) == LEDGER_SCHEMA_VERSION, "one migration per schema version");


struct ledger_store {
	sqlite3 *db;
	/* statements kept prepared: an import runs them once a row */
	sqlite3_stmt *cache[8];
};

static inline void stmt_finalizep(sqlite3_stmt **s) { sqlite3_finalize(*s); }
#define _cleanup_stmt_ _cleanup_(stmt_finalizep)
/* a cached statement is reset, not finalized, when done with */
static inline void stmt_resetp(sqlite3_stmt **s) { if (*s) sqlite3_reset(*s); }
#define _cleanup_reset_ _cleanup_(stmt_resetp)

enum { Q_INSERT_EVENT, Q_INSERT_ASSET, Q_UPDATE_ASSET, Q_GET_ASSET, Q_IDENTITY_TAKEN, Q_LAST_STATE, Q_SIGN_EVENT };

static int ledger_sql_err(int rc)
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

static int exec(struct ledger *l, const char *sql)
{
	return ledger_sql_err(sqlite3_exec(l->store->db, sql, NULL, NULL, NULL));
}

static int cached(struct ledger *l, unsigned q, const char *sql, sqlite3_stmt **ret)
{
	int r;

	if (!l->store->cache[q]) {
		r = sqlite3_prepare_v3(l->store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &l->store->cache[q], NULL);
		if (r != SQLITE_OK)
			return ledger_sql_err(r);
	} else {
		sqlite3_reset(l->store->cache[q]);
		sqlite3_clear_bindings(l->store->cache[q]);
	}
	*ret = l->store->cache[q];
	return 0;
}

static int prepare(struct ledger *l, const char *sql, sqlite3_stmt **ret)
{
	return ledger_sql_err(sqlite3_prepare_v2(l->store->db, sql, -1, ret, NULL));
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (!v)
		return ledger_sql_err(sqlite3_bind_null(s, i));
	return ledger_sql_err(sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT));
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

const char *ledger_resolve_path(const char *opt)
{
	const char *e;

	if (opt && *opt)
		return opt;
	e = getenv("WIPECERT_DB");
	if (e && *e)
		return e;
	return LEDGER_DEFAULT_PATH;
}

static int user_version(struct ledger *l, int *ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = prepare(l, "PRAGMA user_version", &s);

	if (r < 0)
		return r;
	r = sqlite3_step(s);
	if (r != SQLITE_ROW)
		return ledger_sql_err(r) ?: -EIO;
	*ret = sqlite3_column_int(s, 0);
	return 0;
}


/* ---- transactions and the chain head ---- */

static int load_head(struct ledger *l)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &s);
	if (r < 0)
		return r;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		l->head_seq = (uint64_t)sqlite3_column_int64(s, 0);
		snprintf(l->head_hash, sizeof(l->head_hash), "%s", col_text(s, 1) ?: "");
		return 0;
	}
	if (r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	l->head_seq = 0;
	strcpy(l->head_hash, ZERO_HASH);
	return 0;
}

/* the head lets verify notice events cut off the end */
static int save_head(struct ledger *l)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	char seq[24];
	int r;

	if (!l->head_moved)
		return 0;
	r = prepare(l, "INSERT OR REPLACE INTO meta (key, value) VALUES ('head_seq', ?1), ('head_hash', ?2)", &s);
	if (r < 0)
		return r;
	snprintf(seq, sizeof(seq), "%" PRIu64, l->head_seq);
	if ((r = bind_text(s, 1, seq)) < 0 || (r = bind_text(s, 2, l->head_hash)) < 0)
		return r;
	r = sqlite3_step(s);
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}

/* The one transaction block: begin, fn, commit, or roll back on any
 * failure (and on a discard). chain: a write that may append events. */
static int tx_run(struct ledger *l, const char *begin, bool chain,
		  int (*fn)(struct ledger *l, void *ctx), void *ctx)
{
	int r, k;

	if (l->in_tx)
		return -EBUSY;
	ledger_set_error("%s", "");
	r = exec(l, begin);
	if (r < 0)
		return r;
	l->in_tx = true;
	l->discard = false;
	l->head_moved = false;
	r = chain ? load_head(l) : 0;
	if (r >= 0)
		r = fn(l, ctx);
	if (r >= 0 && chain && l->head_moved && !l->discard && l->before_commit) {
		int k2 = l->before_commit(l);

		if (k2 < 0)
			r = k2;
	}
	/* every event of the transaction signed before it commits */
	if (r >= 0 && chain && l->head_moved && !l->discard && l->signer.finish) {
		int k3 = l->signer.finish(l);

		if (k3 < 0)
			r = k3;
	}
	if (r >= 0 && !l->discard) {
		k = chain ? save_head(l) : 0;
		if (k >= 0)
			k = exec(l, "COMMIT");
		if (k >= 0) {
			l->in_tx = false;
			return r;
		}
		r = k;
	}
	exec(l, "ROLLBACK");
	l->in_tx = false;
	if (l->signer.discard)
		l->signer.discard(&l->signer);
	return r;
}

int ledger_tx_write(struct ledger *l, int (*fn)(struct ledger *l, void *ctx), void *ctx)
{
	if (l->readonly)
		return -EROFS;
	return tx_run(l, "BEGIN IMMEDIATE", true, fn, ctx);
}

int ledger_tx_read(struct ledger *l, int (*fn)(struct ledger *l, void *ctx), void *ctx)
{
	return tx_run(l, "BEGIN", false, fn, ctx);
}

void ledger_tx_discard(struct ledger *l)
{
	l->discard = true;
}

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

static int migrate(struct ledger *l)
{
	int v, r;

	r = user_version(l, &v);
	if (r < 0)
		return r;
	if (v > LEDGER_SCHEMA_VERSION)
		return -EPROTONOSUPPORT;
	if (v == LEDGER_SCHEMA_VERSION)
		return 0;
	if (l->readonly)
		return -EROFS;
	return tx_run(l, "BEGIN IMMEDIATE", false, migrate_tx, NULL);
}

int ledger_open(const char *path, unsigned flags, struct ledger **ret)
{
	struct ledger *l;
	struct stat st;
	int r, oflags;

	if (!path || !*path)
		return -EINVAL;
	if (sodium_init() < 0) /* picks the fast BLAKE2b for this CPU */
		return -EIO;
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

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->store = calloc(1, sizeof(*l->store));
	if (!l->store) {
		free(l);
		return -ENOMEM;
	}
	l->readonly = flags & LEDGER_OPEN_READONLY;
	l->path = strdup(path);
	if (!l->path) {
		r = -ENOMEM;
		goto fail;
	}
	oflags = l->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & LEDGER_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	r = sqlite3_open_v2(path, &l->store->db, oflags | SQLITE_OPEN_FULLMUTEX, NULL);
	if (r != SQLITE_OK) {
		r = ledger_sql_err(r);
		goto fail;
	}
	sqlite3_extended_result_codes(l->store->db, 1);
	sqlite3_busy_timeout(l->store->db, BUSY_TIMEOUT_MS);
	if (!l->readonly) {
		/* WAL: readers never block the writer; FULL: an audit log must not
		 * lose a committed event to a power cut. Two processes creating
		 * the same new file can both need the exclusive lock the switch
		 * to WAL takes; SQLite then answers BUSY at once instead of
		 * calling the busy handler (it would deadlock), so wait here. */
		for (int tries = 0;; tries++) {
			r = exec(l, "PRAGMA journal_mode = WAL");
			if (r != -EBUSY || tries >= 200)
				break;
			usleep(10000 + (unsigned)(tries % 5) * 3000);
		}
		if (r < 0)
			goto fail;
		r = exec(l, "PRAGMA synchronous = FULL");
		if (r < 0)
			goto fail;
		/* an import is one transaction: keep its pages in memory rather
		 * than spilling them to the WAL row by row */
		r = exec(l, "PRAGMA cache_size = -65536");
		if (r < 0)
			goto fail;
	}
	for (int tries = 0;; tries++) {
		r = migrate(l);
		/* as above: the lock upgrade of a first migration can be BUSY at once */
		if (r != -EBUSY || tries >= 200)
			break;
		usleep(10000 + (unsigned)(tries % 5) * 3000);
	}
	if (r < 0)
		goto fail;
	*ret = l;
	return 0;
fail:
	ledger_close(l);
	return r;
}

void ledger_close(struct ledger *l)
{
	if (!l)
		return;
	if (l->signer.release)
		l->signer.release(&l->signer);
	for (size_t i = 0; i < ARRAY_SIZE(l->store->cache); i++)
		sqlite3_finalize(l->store->cache[i]);
	if (l->store->db)
		sqlite3_close_v2(l->store->db);
	free(l->store);
	free(l->path);
	free(l);
}

int ledger_set_busy_timeout(struct ledger *l, unsigned ms)
{
	if (!l)
		return -EINVAL;
	return sqlite3_busy_timeout(l->store->db, (int)(ms > INT32_MAX ? INT32_MAX : ms)) == SQLITE_OK ? 0 : -EINVAL;
}

int ledger_writable(struct ledger *l)
{
	int r;

	if (!l)
		return -EINVAL;
	if (l->readonly)
		return -EROFS;
	/* take the write lock (waiting the busy timeout) and give it back */
	r = exec(l, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	return exec(l, "ROLLBACK");
}

int ledger_schema_version(struct ledger *l)
{
	int v, r = user_version(l, &v);

	return r < 0 ? r : v;
}

/* ---- events ---- */

static void event_hash(uint64_t seq, const char *asset_id, const char *kind, const char *changes,
		       const char *state_hash, const char *actor, const char *reason,
		       const char *time_utc, const char *time_local, const char *prev_hash,
		       char ret_hex[LEDGER_HASH_HEX])
{
	crypto_generichash_state st;
	uint8_t h[32];
	char n[24];

	snprintf(n, sizeof(n), "%" PRIu64, seq);
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	ledger_hash_str(&st, "wipecert.ledger.event.v1");
	ledger_hash_str(&st, n);
	ledger_hash_str(&st, asset_id);
	ledger_hash_str(&st, kind);
	ledger_hash_str(&st, changes);
	ledger_hash_str(&st, state_hash);
	ledger_hash_str(&st, actor);
	ledger_hash_str(&st, reason);
	ledger_hash_str(&st, time_utc);
	ledger_hash_str(&st, time_local);
	ledger_hash_str(&st, prev_hash);
	crypto_generichash_final(&st, h, sizeof(h));
	hex_encode(h, sizeof(h), ret_hex);
}
void ledger_event_hash(const struct ledger_event *e, char ret_hex[LEDGER_HASH_HEX])
{
	event_hash(e->seq, e->asset_id ?: "", e->kind ?: "", e->changes ?: "", e->state_hash ?: "", e->actor ?: "",
		   e->reason ?: "", e->time_utc ?: "", e->time_local ?: "", e->prev_hash ?: "", ret_hex);
}

/* Append one event, queued for the handle's signer (its actor), who signs
 * it before the transaction commits. Events of the whole ledger have asset
 * ID "" and a zero state hash. */
static int append_event(struct ledger *l, const char *asset_id, const char *state, const char *kind,
			const char *changes, const char *actor, const char *reason, uint64_t *ret_seq)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	char hash[LEDGER_HASH_HEX], utc[32], local[40];
	uint64_t seq = l->head_seq + 1;
	time_t now = time(NULL);
	int r;

	if (!l->in_tx)
		return -EINVAL;
	/* every event is signed by the person who causes it */
	if (!l->signer.add)
		return -ENOKEY;
	if (actor && !streq(actor, l->signer.name))
		return -EPERM;
	actor = l->signer.name;
	r = format_utc(now, utc, sizeof(utc));
	if (r < 0)
		return r;
	r = format_local(now, local, sizeof(local));
	if (r < 0)
		return r;
	reason = reason ?: "";
	event_hash(seq, asset_id, kind, changes, state, actor, reason, utc, local, l->head_hash, hash);
	struct ledger_event e = {
		.seq = seq, .asset_id = asset_id, .kind = kind, .changes = changes, .state_hash = state,
		.actor = actor, .reason = reason, .time_utc = utc, .time_local = local,
		.prev_hash = l->head_hash, .hash = hash, .key_id = l->signer.keyid,
	};
	r = l->signer.add(&l->signer, &e);
	if (r < 0)
		return r;
	r = cached(l, Q_INSERT_EVENT,
		"INSERT INTO events (seq, asset_id, kind, changes, state_hash, actor, reason, time_utc,"
		" time_local, prev_hash, hash, key_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	bind_text(s, 2, asset_id);
	bind_text(s, 3, kind);
	bind_text(s, 4, changes);
	bind_text(s, 5, state);
	bind_text(s, 6, actor);
	bind_text(s, 7, reason);
	bind_text(s, 8, utc);
	bind_text(s, 9, local);
	bind_text(s, 10, l->head_hash);
	bind_text(s, 11, hash);
	bind_text(s, 12, l->signer.keyid);
	r = sqlite3_step(s);
	if (r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	l->head_seq = seq;
	memcpy(l->head_hash, hash, sizeof(hash));
	l->head_moved = true;
	if (ret_seq)
		*ret_seq = seq;
	return 0;
}

int ledger_event_sign_tx(struct ledger *l, uint64_t seq, const char *sig)
{
	return ledger_event_sign_batch_tx(l, seq, 0, sig);
}

int ledger_event_sign_batch_tx(struct ledger *l, uint64_t seq, uint64_t covers_from, const char *sig)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	int r;

	if (!l->in_tx || !sig || !*sig || covers_from >= seq)
		return -EINVAL;
	r = cached(l, Q_SIGN_EVENT, "UPDATE events SET signature = ?1, covers_from = ?3"
		   " WHERE seq = ?2 AND signature IS NULL", &s);
	if (r < 0)
		return r;
	sqlite3_bind_blob(s, 1, sig, (int)strlen(sig), SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
	if (covers_from)
		sqlite3_bind_int64(s, 3, (sqlite3_int64)covers_from);
	else
		sqlite3_bind_null(s, 3);
	r = sqlite3_step(s);
	if (r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	return sqlite3_changes(l->store->db) == 1 ? 0 : -ENOENT;
}

static int append_asset_event(struct ledger *l, const struct ledger_asset *a, const char *kind,
			      const char *changes, const char *actor, const char *reason, uint64_t *ret_seq)
{
	char state[LEDGER_HASH_HEX];

	ledger_asset_state_hash(a, state);
	return append_event(l, a->v[LEDGER_F_ASSET_ID], state, kind, changes, actor, reason, ret_seq);
}

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
			r = ledger_sql_err(sqlite3_bind_int64(s, (int)f + 1, (sqlite3_int64)n));
		} else
			r = bind_text(s, (int)f + 1, a->v[f]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_asset(sqlite3_stmt *s, int first_col, struct ledger_asset *ret)
{
	struct ledger_asset a = {};

	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		const char *v = col_text(s, first_col + (int)f);

		if (v && !(a.v[f] = strdup(v))) {
			ledger_asset_clear(&a);
			return -ENOMEM;
		}
	}
	*ret = a;
	return 0;
}
/* Another asset than a with a's serial or WWN, as the identity check
 * compares them: its ID into ret (may be NULL); -ENOENT if none. */
static int identity_taken(struct ledger *l, const struct ledger_asset *a, char **ret)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	const char *serial = a->v[LEDGER_F_SERIAL], *wwn = a->v[LEDGER_F_WWN];
	int r;

	if (!serial && !wwn)
		return -ENOENT;
	r = cached(l, Q_IDENTITY_TAKEN, "SELECT asset_id FROM assets WHERE asset_id <> ?3 AND ("
		   "(?1 IS NOT NULL AND " SERIAL_NORM("serial") " = " SERIAL_NORM("?1") ") OR "
		   "(?2 IS NOT NULL AND " WWN_NORM("wwn") " = " WWN_NORM("?2") ")) LIMIT 1", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, serial);
	bind_text(s, 2, wwn);
	bind_text(s, 3, a->v[LEDGER_F_ASSET_ID]);
	r = sqlite3_step(s);
	if (r == SQLITE_DONE)
		return -ENOENT;
	if (r != SQLITE_ROW)
		return ledger_sql_err(r) ?: -EIO;
	if (ret && !(*ret = strdup(col_text(s, 0) ?: "")))
		return -ENOMEM;
	return 0;
}

/* One asset per disk: a serial or WWN already on another asset is refused. */
static int check_identity_free(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a)
{
	int r;

	if (old && (!a->v[LEDGER_F_SERIAL] || (old->v[LEDGER_F_SERIAL] && streq(old->v[LEDGER_F_SERIAL], a->v[LEDGER_F_SERIAL]))) &&
	    (!a->v[LEDGER_F_WWN] || (old->v[LEDGER_F_WWN] && streq(old->v[LEDGER_F_WWN], a->v[LEDGER_F_WWN]))))
		return 0; /* no new identity: a ledger from before this rule keeps working */
	r = identity_taken(l, a, NULL);
	if (r == 0)
		return -ENOTUNIQ;
	return r == -ENOENT ? 0 : r;
}

static int store_asset(struct ledger *l, const struct ledger_asset *a, bool insert)
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
	r = sqlite3_step(s);
	if (r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	return !insert && sqlite3_changes(l->store->db) != 1 ? -ENOENT : 0;
}

int ledger_insert_tx(struct ledger *l, const struct ledger_asset *a, const char *actor,
		     const char *reason, uint64_t *ret_seq)
{
	_cleanup_free_ char *changes = NULL;
	int r;

	if (!a->v[LEDGER_F_ASSET_ID] || !a->v[LEDGER_F_STATUS])
		return -EINVAL;
	r = ledger_lifecycle_tx(l, NULL, a, LC_BY_ANY, actor);
	if (r < 0)
		return r;
	r = check_identity_free(l, NULL, a);
	if (r < 0)
		return r;
	r = store_asset(l, a, true);
	if (r < 0)
		return r;
	changes = ledger_diff_json(NULL, a);
	if (!changes)
		return -ENOMEM;
	return append_asset_event(l, a, "create", changes, actor, reason, ret_seq);
}

/* The asset's pending request, if its changes are these. */
static int same_request_pending(struct ledger *l, const char *asset_id, const char *changes)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "SELECT kind, changes FROM events WHERE asset_id = ?1 AND kind IN"
		    " ('request', 'approve', 'deny') ORDER BY seq DESC LIMIT 1", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, asset_id);
	r = sqlite3_step(s);
	if (r == SQLITE_DONE)
		return 0;
	if (r != SQLITE_ROW)
		return ledger_sql_err(r) ?: -EIO;
	return streq(col_text(s, 0) ?: "", "request") && streq(col_text(s, 1) ?: "", changes);
}

int ledger_update_tx(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a,
		     const char *actor, const char *reason, uint64_t *ret_seq)
{
	return ledger_update_by_tx(l, old, a, LC_BY_ANY, actor, reason, ret_seq);
}

int ledger_update_by_tx(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a,
			unsigned by, const char *actor, const char *reason, uint64_t *ret_seq)
{
	struct ledger_asset now = {};
	_cleanup_free_ char *changes = NULL, *request = NULL;
	int r, done = 0;

	if (!a->v[LEDGER_F_ASSET_ID] || !a->v[LEDGER_F_STATUS] ||
	    !streq(old->v[LEDGER_F_ASSET_ID], a->v[LEDGER_F_ASSET_ID]))
		return -EINVAL;
	/* a move the lifecycle table has no row for is refused before anything */
	r = ledger_lifecycle_tx(l, old, a, by, actor);
	if (r < 0)
		return r;
	r = ledger_change_split(old, a, &now, &request);
	if (r < 0)
		return r;
	changes = ledger_diff_json(old, &now);
	if (changes) {
		r = check_identity_free(l, old, &now);
		if (r >= 0)
			r = store_asset(l, &now, false);
		if (r >= 0)
			r = append_asset_event(l, &now, "update", changes, actor, reason, ret_seq);
		if (r < 0)
			goto out;
		done |= LEDGER_UPDATED;
	}
	if (request) {
		/* the rest waits for an approver: the asset keeps its approved values */
		r = same_request_pending(l, a->v[LEDGER_F_ASSET_ID], request);
		if (r == 0)
			r = append_asset_event(l, &now, "request", request, actor, reason, ret_seq);
		if (r < 0)
			goto out;
		if (r == 0)
			done |= LEDGER_REQUESTED;
	}
	r = done;
out:
	ledger_asset_clear(&now);
	return r;
}

int ledger_approve_tx(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a,
		      const char *changes, const char *reason, uint64_t *ret_seq)
{
	int r;

	if (!streq(old->v[LEDGER_F_ASSET_ID], a->v[LEDGER_F_ASSET_ID]))
		return -EINVAL;
	r = check_identity_free(l, old, a);
	if (r >= 0)
		r = store_asset(l, a, false);
	if (r >= 0)
		r = append_asset_event(l, a, "approve", changes, NULL, reason, ret_seq);
	return r;
}

int ledger_append_tx(struct ledger *l, const struct ledger_asset *state, const char *kind,
		     const char *changes, const char *reason, uint64_t *ret_seq)
{
	if (!state)
		return append_event(l, "", ZERO_HASH, kind, changes, NULL, reason, ret_seq);
	return append_asset_event(l, state, kind, changes, NULL, reason, ret_seq);
}

int ledger_get_tx(struct ledger *l, const char *asset_id, struct ledger_asset *ret)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	int r;

	if (!asset_id)
		return -EINVAL;
	r = cached(l, Q_GET_ASSET, "SELECT " ASSET_COLS " FROM assets WHERE asset_id = ?1", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, asset_id);
	r = sqlite3_step(s);
	if (r == SQLITE_DONE)
		return -ENOENT;
	if (r != SQLITE_ROW)
		return ledger_sql_err(r) ?: -EIO;
	return read_asset(s, 0, ret);
}

/* ---- assets ---- */

struct add_ctx {
	const struct ledger_asset *a;
	const char *actor, *reason;
	bool detected;
	uint64_t seq;
};

static int add_tx(struct ledger *l, void *ctx)
{
	struct add_ctx *c = ctx;

	/* nothing would tie an entry to this disk */
	if (c->detected && !c->a->v[LEDGER_F_SERIAL] && !c->a->v[LEDGER_F_WWN])
		return -EINVAL;
	return ledger_insert_tx(l, c->a, c->actor, c->reason, &c->seq);
}

int ledger_asset_add(struct ledger *l, const struct ledger_asset *a, const char *actor,
		     const char *reason, uint64_t *ret_seq)
{
	struct add_ctx c = { a, actor, reason, false, 0 };
	int r = ledger_tx_write(l, add_tx, &c);

	if (r >= 0 && ret_seq)
		*ret_seq = c.seq;
	return r < 0 ? r : 0;
}

int ledger_asset_get(struct ledger *l, const char *asset_id, struct ledger_asset *ret)
{
	return ledger_get_tx(l, asset_id, ret);
}

static int find_identity(struct ledger *l, const char *serial, const char *wwn, struct ledger_asset *ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	if (!(serial && *serial) && !(wwn && *wwn))
		return -EINVAL;
	r = prepare(l, "SELECT " ASSET_COLS " FROM assets WHERE"
		    " (?1 IS NOT NULL AND " SERIAL_NORM("serial") " = " SERIAL_NORM("?1") ")"
		    " OR (?2 IS NOT NULL AND " WWN_NORM("wwn") " = " WWN_NORM("?2") ")"
		    " ORDER BY asset_id LIMIT 1", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, serial && *serial ? serial : NULL);
	bind_text(s, 2, wwn && *wwn ? wwn : NULL);
	r = sqlite3_step(s);
	if (r == SQLITE_DONE)
		return -ENOENT;
	if (r != SQLITE_ROW)
		return ledger_sql_err(r) ?: -EIO;
	return read_asset(s, 0, ret);
}

int ledger_asset_find_identity(struct ledger *l, const char *serial, const char *wwn,
			       struct ledger_asset *ret)
{
	return find_identity(l, serial, wwn, ret);
}

int ledger_asset_from_detected(const struct ledger_detected *d, struct ledger_asset *a)
{
	struct ledger_asset n = {};
	char cap[24];
	int r;

	r = ledger_asset_copy(a, &n);
	if (r < 0)
		return r;
	if ((r = ledger_asset_set(&n, LEDGER_F_MEDIA_TYPE, d->media_type)) < 0 ||
	    (r = ledger_asset_set(&n, LEDGER_F_MANUFACTURER, d->manufacturer)) < 0 ||
	    (r = ledger_asset_set(&n, LEDGER_F_MODEL, d->model)) < 0 ||
	    (r = ledger_asset_set(&n, LEDGER_F_SERIAL, d->serial)) < 0 ||
	    (r = ledger_asset_set(&n, LEDGER_F_WWN, d->wwn)) < 0)
		goto fail;
	if (d->capacity) {
		snprintf(cap, sizeof(cap), "%" PRIu64, d->capacity);
		if ((r = ledger_asset_set(&n, LEDGER_F_CAPACITY, cap)) < 0)
			goto fail;
	}
	ledger_asset_clear(a);
	*a = n;
	return 0;
fail:
	ledger_asset_clear(&n);
	return r;
}

int ledger_asset_add_detected(struct ledger *l, const struct ledger_asset *a,
			      const char *actor, const char *reason, uint64_t *ret_seq)
{
	struct add_ctx c = { a, actor, reason ?: "added from detected disk", true, 0 };
	int r = ledger_tx_write(l, add_tx, &c);

	if (r >= 0 && ret_seq)
		*ret_seq = c.seq;
	return r < 0 ? r : 0;
}

struct update_ctx {
	const struct ledger_asset *a;
	const char *asset_id, *actor, *reason;
	unsigned by;
	uint64_t seq;
};

static int update_tx(struct ledger *l, void *ctx)
{
	struct update_ctx *c = ctx;
	struct ledger_asset old = {};
	int r;

	r = ledger_get_tx(l, c->a->v[LEDGER_F_ASSET_ID], &old);
	if (r >= 0)
		r = ledger_update_by_tx(l, &old, c->a, c->by, c->actor, c->reason, &c->seq);
	ledger_asset_clear(&old);
	return r;
}

static int update_by(struct ledger *l, const struct ledger_asset *a, unsigned by, const char *actor,
		     const char *reason, uint64_t *ret_seq)
{
	struct update_ctx c = { .a = a, .actor = actor, .reason = reason, .by = by };
	int r;

	r = ledger_tx_write(l, update_tx, &c);
	if (r > 0 && ret_seq)
		*ret_seq = c.seq;
	return r;
}

int ledger_asset_update(struct ledger *l, const struct ledger_asset *a, const char *actor,
			const char *reason, uint64_t *ret_seq)
{
	return update_by(l, a, LC_BY_ANY, actor, reason, ret_seq);
}

int ledger_asset_edit(struct ledger *l, const struct ledger_asset *a, const char *actor,
		      const char *reason, uint64_t *ret_seq)
{
	return update_by(l, a, LC_BY_EDIT, actor, reason, ret_seq);
}

static int note_tx(struct ledger *l, void *ctx)
{
	struct update_ctx *c = ctx;
	struct ledger_asset a = {};
	int r;

	r = ledger_get_tx(l, c->asset_id, &a);
	/* changes is NOT NULL: none is {} */
	if (r >= 0)
		r = append_asset_event(l, &a, "note", "{}", c->actor, c->reason, &c->seq);
	ledger_asset_clear(&a);
	return r;
}

int ledger_asset_note(struct ledger *l, const char *asset_id, const char *actor, const char *reason,
		      uint64_t *ret_seq)
{
	struct update_ctx c = { .asset_id = asset_id, .actor = actor, .reason = reason };
	int r;

	if (!reason || !*reason)
		return -EINVAL;
	r = ledger_tx_write(l, note_tx, &c);
	if (r >= 0 && ret_seq)
		*ret_seq = c.seq;
	return r < 0 ? r : 0;
}

int ledger_asset_check_state(struct ledger *l, const char *asset_id)
{
	_cleanup_reset_ sqlite3_stmt *s = NULL;
	struct ledger_asset a = {};
	char h[LEDGER_HASH_HEX];
	bool same;
	int r;

	r = ledger_get_tx(l, asset_id, &a);
	if (r < 0)
		return r;
	ledger_asset_state_hash(&a, h);
	ledger_asset_clear(&a);
	r = cached(l, Q_LAST_STATE, "SELECT COALESCE((SELECT state_hash FROM events WHERE asset_id = ?1 ORDER BY seq DESC"
		   " LIMIT 1), (SELECT state_hash FROM archived WHERE asset_id = ?1))", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, asset_id);
	r = sqlite3_step(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	same = r == SQLITE_ROW && col_text(s, 0) && streq(col_text(s, 0), h);
	return same ? 0 : -EBADMSG;
}

int ledger_asset_list(struct ledger *l, const struct ledger_filter *f,
		      int (*cb)(const struct ledger_asset *a, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "SELECT " ASSET_COLS " FROM assets WHERE (?1 IS NULL OR status = ?1)"
		    " AND (?2 IS NULL OR department = ?2) ORDER BY asset_id", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, f ? f->status : NULL);
	bind_text(s, 2, f ? f->department : NULL);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_asset a;
		int k = read_asset(s, 0, &a);

		if (k < 0)
			return k;
		k = cb(&a, userdata);
		ledger_asset_clear(&a);
		if (k < 0)
			return k;
	}
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
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

int ledger_history(struct ledger *l, const char *asset_id,
		   int (*cb)(const struct ledger_event *e, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, asset_id ? "SELECT " EVENT_COLS " FROM events WHERE asset_id = ?1 ORDER BY seq"
				: "SELECT " EVENT_COLS " FROM events ORDER BY seq", &s);
	if (r < 0)
		return r;
	if (asset_id)
		bind_text(s, 1, asset_id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_event e;
		int k;

		read_event(s, &e);
		k = cb(&e, userdata);
		if (k < 0)
			return k;
	}
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}

int ledger_event_range(struct ledger *l, uint64_t first, uint64_t last,
		       int (*cb)(const struct ledger_event *e, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	if (first > last || last > INT64_MAX)
		return -EINVAL;
	r = prepare(l, "SELECT " EVENT_COLS " FROM events WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq", &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)first);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)last);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_event e;
		int k;

		read_event(s, &e);
		k = cb(&e, userdata);
		if (k < 0)
			return k;
	}
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}

/* ---- verification ---- */

_printf_(4, 5)
static int broken(struct ledger_verify_result *v, enum ledger_break what, uint64_t seq,
		  const char *fmt, ...)
{
	va_list ap;

	v->problem = what;
	v->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static const char *nn(const char *s)
{
	return s ? s : "";
}

int ledger_anchor_parse(const char *s, struct ledger_anchor *ret)
{
	struct ledger_anchor a = {};
	const char *colon = s ? strchr(s, ':') : NULL;
	_cleanup_free_ char *num = NULL;
	uint8_t raw[32];

	if (!colon || strlen(colon + 1) != 64 || hex_decode(colon + 1, raw, sizeof(raw)) < 0)
		return -EINVAL;
	num = strndup(s, (size_t)(colon - s));
	if (!num)
		return -ENOMEM;
	if (parse_u64(num, &a.seq) < 0 || a.seq == 0)
		return -EINVAL;
	hex_encode(raw, sizeof(raw), a.hash); /* lower case, as stored */
	*ret = a;
	return 0;
}

static int verify_chain(struct ledger *l, const struct ledger_anchor *anchor, struct ledger_verify_result *v)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	char prev[LEDGER_HASH_HEX] = ZERO_HASH, h[LEDGER_HASH_HEX], ahash[LEDGER_HASH_HEX];
	uint64_t expect = 1, aseq;
	int r;

	/* an archive took the oldest events: the chain goes on from its head */
	r = ledger_archived_head(l, &aseq, ahash);
	if (r < 0)
		return r;
	if (aseq) {
		if (strlen(ahash) != 64)
			return broken(v, LEDGER_BREAK_ARCHIVE, aseq, "the record of the archived head is damaged");
		expect = aseq + 1;
		memcpy(prev, ahash, sizeof(prev));
		if (anchor && anchor->seq <= aseq)
			anchor = NULL; /* an event archived: `verify --archive FILE` checks it there */
	}
	r = prepare(l, "SELECT " EVENT_COLS " FROM events ORDER BY seq", &s);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_event e;

		read_event(s, &e);
		snprintf(v->bad_asset, sizeof(v->bad_asset), "%s", nn(e.asset_id));
		if (e.seq != expect) {
			if (e.seq > expect)
				return broken(v, LEDGER_BREAK_MISSING, e.seq,
					      "event %" PRIu64 " follows event %" PRIu64 ": events %" PRIu64
					      "..%" PRIu64 " are missing (deleted)",
					      e.seq, expect - 1, expect, e.seq - 1);
			return broken(v, LEDGER_BREAK_LINK, e.seq, "event %" PRIu64 " out of sequence", e.seq);
		}
		event_hash(e.seq, nn(e.asset_id), nn(e.kind), nn(e.changes), nn(e.state_hash),
			   nn(e.actor), nn(e.reason), nn(e.time_utc), nn(e.time_local),
			   nn(e.prev_hash), h);
		if (!e.hash || !streq(h, e.hash))
			return broken(v, LEDGER_BREAK_EDITED, e.seq,
				      "event %" PRIu64 " (asset %s, %s) does not match its hash: "
				      "it was edited, or moved from another position",
				      e.seq, nn(e.asset_id), nn(e.time_utc));
		if (!streq(prev, nn(e.prev_hash)))
			return broken(v, LEDGER_BREAK_LINK, e.seq,
				      "event %" PRIu64 " (asset %s, %s) does not link to event %" PRIu64
				      ": an event was deleted, inserted or reordered",
				      e.seq, nn(e.asset_id), nn(e.time_utc), e.seq - 1);
		if (anchor && anchor->seq == e.seq && !streq(anchor->hash, h))
			return broken(v, LEDGER_BREAK_ANCHOR, e.seq,
				      "event %" PRIu64 " (asset %s, %s) is not the event recorded as %" PRIu64
				      ":%.16s...: the chain was rewritten", e.seq, nn(e.asset_id), nn(e.time_utc),
				      anchor->seq, anchor->hash);
		memcpy(prev, h, sizeof(prev));
		expect++;
	}
	if (r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	v->bad_asset[0] = '\0';
	if (anchor && anchor->seq >= expect)
		return broken(v, LEDGER_BREAK_ANCHOR, expect - 1,
			      "the chain ends at event %" PRIu64 " but event %" PRIu64
			      " was recorded: the chain was cut", expect - 1, anchor->seq);
	v->bad_asset[0] = '\0';
	v->n_events = expect - 1 - aseq;
	v->head_seq = expect - 1;
	memcpy(v->head_hash, prev, sizeof(prev));
	return 0;
}

static int verify_head(struct ledger *l, struct ledger_verify_result *v)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ char *seq = NULL, *hash = NULL;
	uint64_t n;
	int r;

	r = prepare(l, "SELECT key, value FROM meta WHERE key IN ('head_seq', 'head_hash')", &s);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = col_text(s, 0);
		char **to = k && streq(k, "head_seq") ? &seq : &hash;

		free(*to);
		*to = strdup(nn(col_text(s, 1)));
		if (!*to)
			return -ENOMEM;
	}
	if (r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	if (!seq && !hash && v->head_seq == 0)
		return 0;
	if (!seq || !hash || parse_u64(seq, &n) < 0)
		return broken(v, LEDGER_BREAK_HEAD, v->head_seq, "the record of the chain head is missing or damaged");
	if (n != v->head_seq)
		return broken(v, LEDGER_BREAK_HEAD, v->head_seq,
			      "the chain ends at event %" PRIu64 " but its head was event %" PRIu64
			      ": the last events were deleted", v->head_seq, n);
	if (!streq(hash, v->head_hash))
		return broken(v, LEDGER_BREAK_HEAD, v->head_seq,
			      "event %" PRIu64 " is not the recorded head of the chain: the end was rewritten",
			      v->head_seq);
	return 0;
}

static int verify_assets(struct ledger *l, struct ledger_verify_result *v)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *o = NULL;
	char h[LEDGER_HASH_HEX];
	uint64_t n = 0;
	int r;

	/* every asset must be exactly the state its latest event describes */
	/* an asset whose events were all archived: the state its archive carried on */
	r = prepare(l, "SELECT COALESCE((SELECT state_hash FROM events e WHERE e.asset_id = a.asset_id"
		    " ORDER BY seq DESC LIMIT 1), (SELECT state_hash FROM archived c WHERE c.asset_id = a.asset_id)), "
		    ASSET_COLS " FROM assets a ORDER BY asset_id", &s);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *want = col_text(s, 0);
		struct ledger_asset a;
		int k = read_asset(s, 1, &a);

		if (k < 0)
			return k;
		snprintf(v->bad_asset, sizeof(v->bad_asset), "%s", nn(a.v[LEDGER_F_ASSET_ID]));
		ledger_asset_state_hash(&a, h);
		ledger_asset_clear(&a);
		if (!want)
			return broken(v, LEDGER_BREAK_ASSET_UNKNOWN, 0,
				      "asset %s has no history: it was added outside wipecert", v->bad_asset);
		if (!streq(want, h))
			return broken(v, LEDGER_BREAK_ASSET_STATE, 0,
				      "asset %s differs from what its history records: it was changed "
				      "outside wipecert, or its last events were deleted", v->bad_asset);
		n++;
	}
	if (r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	v->n_assets = n;
	r = prepare(l, "SELECT e.asset_id, e.seq FROM events e WHERE e.asset_id <> '' AND NOT EXISTS"
		    " (SELECT 1 FROM assets a WHERE a.asset_id = e.asset_id) ORDER BY e.seq LIMIT 1", &o);
	if (r < 0)
		return r;
	r = sqlite3_step(o);
	if (r == SQLITE_ROW) {
		snprintf(v->bad_asset, sizeof(v->bad_asset), "%s", nn(col_text(o, 0)));
		return broken(v, LEDGER_BREAK_ASSET_UNKNOWN, (uint64_t)sqlite3_column_int64(o, 1),
			      "asset %s has history from event %" PRIu64 " but no entry: it was deleted",
			      v->bad_asset, (uint64_t)sqlite3_column_int64(o, 1));
	}
	v->bad_asset[0] = '\0';
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}

struct verify_ctx {
	const struct ledger_anchor *anchor;
	struct ledger_verify_result v;
};

static int verify_tx(struct ledger *l, void *ctx)
{
	struct verify_ctx *c = ctx;
	int r;

	r = verify_chain(l, c->anchor, &c->v);
	if (r == 0)
		r = verify_head(l, &c->v);
	if (r == 0) {
		uint64_t seq = 0;

		r = ledger_archive_check_tx(l, c->v.detail, sizeof(c->v.detail), &seq);
		if (r == -EBADMSG) {
			c->v.problem = LEDGER_BREAK_ARCHIVE;
			c->v.bad_seq = seq;
		}
	}
	if (r == 0)
		r = verify_assets(l, &c->v);
	return r;
}

int ledger_verify(struct ledger *l, const struct ledger_anchor *anchor, struct ledger_verify_result *ret)
{
	struct verify_ctx c = { .anchor = anchor };
	int r;

	/* one read transaction: a consistent snapshot while writers go on */
	r = ledger_tx_read(l, verify_tx, &c);
	if (r < 0 && r != -EBADMSG)
		return r;
	*ret = c.v;
	return r;
}

/* ---- what the inspection reads besides the assets ---- */

int ledger_status_since(struct ledger *l, int (*cb)(const char *asset_id, const char *time_utc, void *userdata),
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
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}

struct seen_ctx {
	const char *station;
	const struct ledger_detected *d;
};

static int seen_tx(struct ledger *l, void *ctx)
{
	struct seen_ctx *c = ctx;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	char now[32];
	int r;

	r = format_utc(time(NULL), now, sizeof(now));
	if (r < 0)
		return r;
	r = prepare(l, "INSERT INTO seen (station, serial, wwn, model, size, first_seen, last_seen)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (station, serial, wwn) DO UPDATE SET"
		    " model = excluded.model, size = excluded.size, last_seen = excluded.last_seen, times = times + 1", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, c->station);
	bind_text(s, 2, c->d->serial ?: "");
	bind_text(s, 3, c->d->wwn ?: "");
	bind_text(s, 4, c->d->model);
	if (c->d->capacity)
		sqlite3_bind_int64(s, 5, (sqlite3_int64)c->d->capacity);
	bind_text(s, 6, now);
	r = sqlite3_step(s);
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}

int ledger_seen_record(struct ledger *l, const char *station, const struct ledger_detected *d)
{
	struct seen_ctx c = { station, d };

	if (!station || !*station || (!(d->serial && *d->serial) && !(d->wwn && *d->wwn)))
		return -EINVAL;
	return ledger_tx_write(l, seen_tx, &c);
}

int ledger_seen_list(struct ledger *l, bool unknown_only, int (*cb)(const struct ledger_seen *s, void *userdata),
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
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}

/* ---- archives: the events taken out, the states carried on ---- */

int ledger_archived_head(struct ledger *l, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX])
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
	if (r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	*ret_seq = seq;
	return 0;
}

int ledger_checkpoints(struct ledger *l, int (*cb)(const struct ledger_checkpoint *k, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = prepare(l, "SELECT asset_id, seq, state_hash, gated FROM archived ORDER BY asset_id", &s);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_checkpoint k = { col_text(s, 0), (uint64_t)sqlite3_column_int64(s, 1), col_text(s, 2),
					       col_text(s, 3) };
		int x = cb(&k, userdata);

		if (x < 0)
			return x;
	}
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}

int ledger_checkpoint_put_tx(struct ledger *l, const struct ledger_checkpoint *k)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	if (!l->in_tx)
		return -EINVAL;
	r = prepare(l, "INSERT OR REPLACE INTO archived (asset_id, seq, state_hash, gated) VALUES (?1, ?2, ?3, ?4)", &s);
	if (r < 0)
		return r;
	bind_text(s, 1, k->asset_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)k->seq);
	bind_text(s, 3, k->state_hash);
	bind_text(s, 4, k->state);
	r = sqlite3_step(s);
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}

int ledger_events_drop_tx(struct ledger *l, uint64_t seq, const char *hash)
{
	_cleanup_stmt_ sqlite3_stmt *m = NULL, *d = NULL;
	char n[24];
	int r;

	if (!l->in_tx || seq > INT64_MAX)
		return -EINVAL;
	/* the trigger lets events go only up to the archived head recorded */
	snprintf(n, sizeof(n), "%" PRIu64, seq);
	r = prepare(l, "INSERT OR REPLACE INTO meta (key, value) VALUES ('archived_seq', ?1), ('archived_hash', ?2)", &m);
	if (r < 0)
		return r;
	bind_text(m, 1, n);
	bind_text(m, 2, hash);
	r = sqlite3_step(m);
	if (r != SQLITE_DONE)
		return ledger_sql_err(r) ?: -EIO;
	r = prepare(l, "DELETE FROM events WHERE seq <= ?1", &d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(d, 1, (sqlite3_int64)seq);
	r = sqlite3_step(d);
	return r == SQLITE_DONE ? 0 : (ledger_sql_err(r) ?: -EIO);
}
