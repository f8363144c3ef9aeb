/* store.c - the ledger over either backend: where it lives, transactions,
 * the hash-chained signed events, assets, and verification.
 *
 * It knows no SQL: the row operations of struct ledger_backend (sqlite.c,
 * pg.c) do the storing. It must never change an asset without appending
 * its event in the same transaction, never let a transaction that appended
 * events commit before its signer signed them, and never update (but for
 * that signature) or delete an event.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "ledger-internal.h"
#include "wipecert/util.h"

/* ---- where the ledger lives ---- */

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

enum ledger_kind ledger_kind_of(const char *where)
{
	if (!where)
		return LEDGER_KIND_SQLITE;
	if (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0)
		return LEDGER_KIND_POSTGRESQL;
	/* a libpq connection string: key=value pairs, the key a plain word
	 * ("service=wipecert", "host=db dbname=ledger"); a file name with a
	 * '=' in it starts with a path character or has one before the '=' */
	const char *eq = strchr(where, '=');
	if (!eq || eq == where)
		return LEDGER_KIND_SQLITE;
	for (const char *p = where; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return LEDGER_KIND_SQLITE;
	return LEDGER_KIND_POSTGRESQL;
}

/* A URI's "user:password@" or a connection string's "password=..." */
char *ledger_where_display(const char *where)
{
	char *s, *at, *p, *colon, *end;

	if (!where)
		return strdup("");
	s = strdup(where);
	if (!s || ledger_kind_of(where) != LEDGER_KIND_POSTGRESQL)
		return s;
	p = strstr(s, "://");
	if (p) {
		p += 3;
		end = p + strcspn(p, "/?#");
		at = memrchr(p, '@', (size_t)(end - p));
		colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
		if (colon) {
			char *r;

			*colon = '\0';
			if (asprintf(&r, "%s:***%s", s, at) < 0)
				r = NULL;
			free(s);
			s = r;
			if (!s)
				return NULL;
		}
	}
	/* password=... as a URI parameter or a key=value pair */
	for (p = s; (p = strstr(p, "password=")); p += 9) {
		char *v = p + 9, *r;
		size_t n;

		if (p != s && !strchr("?& \t", p[-1]))
			continue;
		if (*v == '\'') {
			end = v + 1;
			while (*end && *end != '\'')
				end += (*end == '\\' && end[1]) ? 2 : 1;
			if (*end)
				end++;
		} else
			end = v + strcspn(v, "& \t");
		n = (size_t)(v - s);
		if (asprintf(&r, "%.*s***%s", (int)n, s, end) < 0) {
			free(s);
			return NULL;
		}
		p = r + n - 9;
		free(s);
		s = r;
	}
	return s;
}

bool ledger_unreachable(int r)
{
	return r == -ECONNREFUSED || r == -ECONNRESET || r == -ENOTCONN || r == -ETIMEDOUT ||
	       r == -EHOSTUNREACH || r == -ECONNABORTED || r == -ENETUNREACH;
}

const char *ledger_backend_name(const struct ledger *l)
{
	return l && l->be ? l->be->name : "";
}

/* The schema this program reads, migrated to if older (a new store made
 * with CREATE); one it does not know is refused rather than misread. */
static int open_schema(struct ledger *l, unsigned flags)
{
	int v = l->be->schema_version(l);

	if (v < 0)
		return v;
	if (v > LEDGER_SCHEMA_VERSION)
		return -EPROTONOSUPPORT;
	if (v == LEDGER_SCHEMA_VERSION)
		return 0;
	if (v == 0 && !(flags & LEDGER_OPEN_CREATE)) {
		ledger_set_error("no wipecert ledger there");
		return -ENOENT;
	}
	if (l->readonly)
		return -EROFS;
	return l->be->migrate(l);
}

int ledger_open(const char *path, unsigned flags, struct ledger **ret)
{
	struct ledger *l;
	int r;

	ledger_set_error("%s", "");
	if (!path || !*path)
		return -EINVAL;
	if (sodium_init() < 0) /* picks the fast BLAKE2b for this CPU */
		return -EIO;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->be = ledger_kind_of(path) == LEDGER_KIND_POSTGRESQL ? &ledger_pg_backend : &ledger_sqlite_backend;
	l->readonly = flags & LEDGER_OPEN_READONLY;
	l->where = strdup(path);
	if (!l->where) {
		free(l);
		return -ENOMEM;
	}
	r = l->be->open(l, path, flags);
	if (r >= 0)
		r = open_schema(l, flags);
	if (r < 0) {
		ledger_close(l);
		return r;
	}
	*ret = l;
	return 0;
}

void ledger_close(struct ledger *l)
{
	if (!l)
		return;
	if (l->signer.release)
		l->signer.release(&l->signer);
	if (l->be_data)
		l->be->close(l);
	free(l->where);
	free(l);
}

int ledger_set_busy_timeout(struct ledger *l, unsigned ms)
{
	if (!l)
		return -EINVAL;
	return l->be->set_busy_timeout(l, ms > INT32_MAX ? INT32_MAX : ms);
}

int ledger_writable(struct ledger *l)
{
	int r;

	if (!l)
		return -EINVAL;
	if (l->readonly)
		return -EROFS;
	if (l->in_tx)
		return -EBUSY;
	/* take the write lock (waiting the busy timeout) and give it back */
	r = l->be->begin(l, true);
	if (r < 0)
		return r;
	l->be->rollback(l);
	return 0;
}

int ledger_schema_version(struct ledger *l)
{
	return l->be->schema_version(l);
}

/* ---- transactions and the chain head ---- */

/* The one transaction block: begin, fn, commit, or roll back on any
 * failure (and on a discard). write: the chain may grow. */
static int tx_run(struct ledger *l, bool write, int (*fn)(struct ledger *l, void *ctx), void *ctx)
{
	int r, k;

	if (l->in_tx)
		return -EBUSY;
	ledger_set_error("%s", "");
	r = l->be->begin(l, write);
	if (r < 0)
		return r;
	l->in_tx = true;
	l->tx_write = write;
	l->discard = false;
	l->head_moved = false;
	r = write ? l->be->last_event(l, &l->head_seq, l->head_hash) : 0;
	/* every live event archived: the chain goes on from the archived head */
	if (r >= 0 && write && l->head_seq == 0) {
		char ahash[LEDGER_HASH_HEX];
		uint64_t aseq = 0;

		r = l->be->archived_head(l, &aseq, ahash);
		if (r >= 0 && aseq) {
			l->head_seq = aseq;
			memcpy(l->head_hash, ahash, sizeof(ahash));
		}
	}
	if (r >= 0)
		r = fn(l, ctx);
	if (r >= 0 && write && l->head_moved && !l->discard && l->before_commit) {
		int k2 = l->before_commit(l);

		if (k2 < 0)
			r = k2;
	}
	/* every event of the transaction signed before it commits */
	if (r >= 0 && write && l->head_moved && !l->discard && l->signer.finish) {
		int k3 = l->signer.finish(l);

		if (k3 < 0)
			r = k3;
	}
	if (r >= 0 && !l->discard) {
		k = write && l->head_moved ? l->be->save_head(l, l->head_seq, l->head_hash) : 0;
		if (k >= 0)
			k = l->be->commit(l);
		if (k >= 0) {
			l->in_tx = false;
			return r;
		}
		r = k;
	}
	l->be->rollback(l);
	l->in_tx = false;
	if (l->signer.discard)
		l->signer.discard(&l->signer);
	return r;
}

int ledger_tx_write(struct ledger *l, int (*fn)(struct ledger *l, void *ctx), void *ctx)
{
	if (l->readonly)
		return -EROFS;
	return tx_run(l, true, fn, ctx);
}

int ledger_tx_read(struct ledger *l, int (*fn)(struct ledger *l, void *ctx), void *ctx)
{
	return tx_run(l, false, fn, ctx);
}

void ledger_tx_discard(struct ledger *l)
{
	l->discard = true;
}

/* fn inside the running transaction, or a read transaction of its own:
 * a walk sees one snapshot */
static int in_read_tx(struct ledger *l, int (*fn)(struct ledger *l, void *ctx), void *ctx)
{
	return l->in_tx ? fn(l, ctx) : ledger_tx_read(l, fn, ctx);
}

/* ---- events ---- */

void ledger_event_hash(const struct ledger_event *e, char ret_hex[LEDGER_HASH_HEX])
{
	crypto_generichash_state st;
	uint8_t h[32];
	char n[24];

	snprintf(n, sizeof(n), "%" PRIu64, e->seq);
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	ledger_hash_str(&st, "wipecert.ledger.event.v1");
	ledger_hash_str(&st, n);
	ledger_hash_str(&st, e->asset_id ?: "");
	ledger_hash_str(&st, e->kind ?: "");
	ledger_hash_str(&st, e->changes ?: "");
	ledger_hash_str(&st, e->state_hash ?: "");
	ledger_hash_str(&st, e->actor ?: "");
	ledger_hash_str(&st, e->reason ?: "");
	ledger_hash_str(&st, e->time_utc ?: "");
	ledger_hash_str(&st, e->time_local ?: "");
	ledger_hash_str(&st, e->prev_hash ?: "");
	crypto_generichash_final(&st, h, sizeof(h));
	hex_encode(h, sizeof(h), ret_hex);
}

/* Append one event, queued for the handle's signer (its actor), who signs
 * it before the transaction commits. Events of the whole ledger have asset
 * ID "" and a zero state hash. */
static int append_event(struct ledger *l, const char *asset_id, const char *state, const char *kind,
			const char *changes, const char *actor, const char *reason, uint64_t *ret_seq)
{
	char hash[LEDGER_HASH_HEX], utc[32], local[40];
	time_t now = time(NULL);
	int r;

	if (!l->in_tx || !l->tx_write)
		return -EINVAL;
	/* every event is signed by the person who causes it */
	if (!l->signer.add)
		return -ENOKEY;
	if (actor && !streq(actor, l->signer.name))
		return -EPERM;
	r = format_utc(now, utc, sizeof(utc));
	if (r < 0)
		return r;
	r = format_local(now, local, sizeof(local));
	if (r < 0)
		return r;
	struct ledger_event e = {
		.seq = l->head_seq + 1, .asset_id = asset_id, .kind = kind, .changes = changes, .state_hash = state,
		.actor = l->signer.name, .reason = reason ?: "", .time_utc = utc, .time_local = local,
		.prev_hash = l->head_hash, .hash = hash, .key_id = l->signer.keyid,
	};
	ledger_event_hash(&e, hash);
	/* queued: the signer signs the transaction's events together and
	 * stores each signature (ledger_event_sign_tx()) before the commit */
	r = l->signer.add(&l->signer, &e);
	if (r < 0)
		return r;
	r = l->be->insert_event(l, &e);
	if (r < 0)
		return r;
	l->head_seq = e.seq;
	memcpy(l->head_hash, hash, sizeof(hash));
	l->head_moved = true;
	if (ret_seq)
		*ret_seq = e.seq;
	return 0;
}

int ledger_event_sign_tx(struct ledger *l, uint64_t seq, const char *sig)
{
	return ledger_event_sign_batch_tx(l, seq, 0, sig);
}

int ledger_event_sign_batch_tx(struct ledger *l, uint64_t seq, uint64_t covers_from, const char *sig)
{
	if (!l->in_tx || !l->tx_write || !sig || !*sig || covers_from >= seq)
		return -EINVAL;
	return l->be->sign_event(l, seq, covers_from, sig);
}

static int append_asset_event(struct ledger *l, const struct ledger_asset *a, const char *kind,
			      const char *changes, const char *actor, const char *reason, uint64_t *ret_seq)
{
	char state[LEDGER_HASH_HEX];

	ledger_asset_state_hash(a, state);
	return append_event(l, a->v[LEDGER_F_ASSET_ID], state, kind, changes, actor, reason, ret_seq);
}

/* ---- assets, inside a write transaction ---- */

int ledger_prefetch_tx(struct ledger *l, const char *const *ids, const char *const *serials,
		       const char *const *wwns, size_t n)
{
	if (!l->in_tx || !l->tx_write)
		return -EINVAL;
	return l->be->prefetch && n ? l->be->prefetch(l, ids, serials, wwns, n) : 0;
}

/* One asset per disk: a serial or WWN already on another asset is refused. */
static int check_identity_free(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a)
{
	struct ledger_asset other = {};
	int r;

	if (old && (!a->v[LEDGER_F_SERIAL] || (old->v[LEDGER_F_SERIAL] && streq(old->v[LEDGER_F_SERIAL], a->v[LEDGER_F_SERIAL]))) &&
	    (!a->v[LEDGER_F_WWN] || (old->v[LEDGER_F_WWN] && streq(old->v[LEDGER_F_WWN], a->v[LEDGER_F_WWN]))))
		return 0; /* no new identity: a ledger from before this rule keeps working */
	if (!a->v[LEDGER_F_SERIAL] && !a->v[LEDGER_F_WWN])
		return 0;
	r = l->be->find_identity(l, a->v[LEDGER_F_SERIAL], a->v[LEDGER_F_WWN], a->v[LEDGER_F_ASSET_ID], &other);
	ledger_asset_clear(&other);
	if (r == 0)
		return -ENOTUNIQ;
	return r == -ENOENT ? 0 : r;
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
	r = l->be->put_asset(l, a, true);
	if (r < 0)
		return r;
	changes = ledger_diff_json(NULL, a);
	if (!changes)
		return -ENOMEM;
	return append_asset_event(l, a, "create", changes, actor, reason, ret_seq);
}

struct last_ctx {
	bool found;
	char *kind, *changes, *state;
};

static int last_cb(const struct ledger_event *e, void *userdata)
{
	struct last_ctx *c = userdata;

	free(c->kind);
	free(c->changes);
	free(c->state);
	c->found = true;
	c->kind = strdup(e->kind ?: "");
	c->changes = strdup(e->changes ?: "");
	c->state = strdup(e->state_hash ?: "");
	return c->kind && c->changes && c->state ? 0 : -ENOMEM;
}

static void last_release(struct last_ctx *c)
{
	free(c->kind);
	free(c->changes);
	free(c->state);
}

static int checkpoint_state_cb(const struct ledger_checkpoint *k, void *userdata)
{
	struct last_ctx *c = userdata;

	free(c->state);
	c->found = true;
	c->state = strdup(k->state_hash ?: "");
	return c->state ? 0 : -ENOMEM;
}

/* The asset's pending request, if its changes are these. */
static int same_request_pending(struct ledger *l, const char *asset_id, const char *changes)
{
	static const char *const kinds[] = { "request", "approve", "deny", NULL };
	struct ledger_event_query q = { .asset_id = asset_id, .kinds = kinds, .latest = true };
	struct last_ctx c = {};
	int r;

	r = l->be->events(l, &q, last_cb, &c);
	if (r >= 0)
		r = c.found && streq(c.kind, "request") && streq(c.changes, changes);
	last_release(&c);
	return r;
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
			r = l->be->put_asset(l, &now, false);
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
		r = l->be->put_asset(l, a, false);
	if (r >= 0)
		r = append_asset_event(l, a, "approve", changes, NULL, reason, ret_seq);
	return r;
}

int ledger_append_tx(struct ledger *l, const struct ledger_asset *state, const char *kind,
		     const char *changes, const char *reason, uint64_t *ret_seq)
{
	if (!state)
		return append_event(l, "", LEDGER_ZERO_HASH, kind, changes, NULL, reason, ret_seq);
	return append_asset_event(l, state, kind, changes, NULL, reason, ret_seq);
}

int ledger_get_tx(struct ledger *l, const char *asset_id, struct ledger_asset *ret)
{
	if (!asset_id)
		return -EINVAL;
	return l->be->get_asset(l, asset_id, ret);
}

int ledger_record_tx(struct ledger *l, const struct ledger_asset *a, const char *reason, uint64_t *ret_seq)
{
	struct ledger_asset old = {};
	int r;

	r = ledger_get_tx(l, a->v[LEDGER_F_ASSET_ID], &old);
	if (r >= 0)
		r = ledger_update_tx(l, &old, a, NULL, reason, ret_seq);
	/* unchanged still deserves its event: it happened */
	if (r == 0)
		r = append_asset_event(l, &old, "note", "{}", NULL, reason, ret_seq);
	ledger_asset_clear(&old);
	return r;
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

int ledger_asset_find_identity(struct ledger *l, const char *serial, const char *wwn,
			       struct ledger_asset *ret)
{
	if (!(serial && *serial) && !(wwn && *wwn))
		return -EINVAL;
	return l->be->find_identity(l, serial && *serial ? serial : NULL, wwn && *wwn ? wwn : NULL, NULL, ret);
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
	struct ledger_event_query q = { .asset_id = asset_id, .latest = true };
	struct ledger_asset a = {};
	struct last_ctx c = {};
	char h[LEDGER_HASH_HEX];
	int r;

	r = ledger_get_tx(l, asset_id, &a);
	if (r < 0)
		return r;
	ledger_asset_state_hash(&a, h);
	ledger_asset_clear(&a);
	r = l->be->events(l, &q, last_cb, &c);
	/* an asset whose events were all archived: the state carried on */
	if (r >= 0 && !c.found)
		r = l->be->checkpoints(l, asset_id, checkpoint_state_cb, &c);
	if (r >= 0)
		r = c.found && streq(c.state, h) ? 0 : -EBADMSG;
	last_release(&c);
	return r;
}

struct list_ctx {
	const struct ledger_filter *f;
	int (*cb)(const struct ledger_asset *a, void *userdata);
	void *userdata;
};

static int list_cb(const struct ledger_asset *a, const char *state, void *userdata)
{
	struct list_ctx *c = userdata;

	(void)state;
	return c->cb(a, c->userdata);
}

static int list_tx(struct ledger *l, void *ctx)
{
	struct list_ctx *c = ctx;

	return l->be->assets(l, c->f, false, list_cb, c);
}

int ledger_asset_list(struct ledger *l, const struct ledger_filter *f,
		      int (*cb)(const struct ledger_asset *a, void *userdata), void *userdata)
{
	struct list_ctx c = { f, cb, userdata };

	return in_read_tx(l, list_tx, &c);
}

struct walk_ctx {
	struct ledger_event_query q;
	int (*cb)(const struct ledger_event *e, void *userdata);
	void *userdata;
};

static int walk_tx(struct ledger *l, void *ctx)
{
	struct walk_ctx *w = ctx;

	return l->be->events(l, &w->q, w->cb, w->userdata);
}

int ledger_history(struct ledger *l, const char *asset_id,
		   int (*cb)(const struct ledger_event *e, void *userdata), void *userdata)
{
	struct walk_ctx w = { .q = { .asset_id = asset_id }, .cb = cb, .userdata = userdata };

	return in_read_tx(l, walk_tx, &w);
}

int ledger_event_range(struct ledger *l, uint64_t first, uint64_t last,
		       int (*cb)(const struct ledger_event *e, void *userdata), void *userdata)
{
	struct walk_ctx w = { .q = { .first = first, .last = last }, .cb = cb, .userdata = userdata };

	if (first > last || last > INT64_MAX)
		return -EINVAL;
	if (last == 0) /* the query's last 0 means "to the end": there is no event 0 */
		return 0;
	return in_read_tx(l, walk_tx, &w);
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

struct chain_ctx {
	const struct ledger_anchor *anchor;
	struct ledger_verify_result *v;
	char prev[LEDGER_HASH_HEX];
	uint64_t expect;
};

static int chain_cb(const struct ledger_event *e, void *userdata)
{
	struct chain_ctx *c = userdata;
	struct ledger_verify_result *v = c->v;
	char h[LEDGER_HASH_HEX];

	if (e->seq != c->expect) {
		snprintf(v->bad_asset, sizeof(v->bad_asset), "%s", nn(e->asset_id));
		if (e->seq > c->expect)
			return broken(v, LEDGER_BREAK_MISSING, e->seq,
				      "event %" PRIu64 " follows event %" PRIu64 ": events %" PRIu64
				      "..%" PRIu64 " are missing (deleted)",
				      e->seq, c->expect - 1, c->expect, e->seq - 1);
		return broken(v, LEDGER_BREAK_LINK, e->seq, "event %" PRIu64 " out of sequence", e->seq);
	}
	ledger_event_hash(e, h);
	if (!e->hash || !streq(h, e->hash)) {
		snprintf(v->bad_asset, sizeof(v->bad_asset), "%s", nn(e->asset_id));
		return broken(v, LEDGER_BREAK_EDITED, e->seq,
			      "event %" PRIu64 " (asset %s, %s) does not match its hash: "
			      "it was edited, or moved from another position",
			      e->seq, nn(e->asset_id), nn(e->time_utc));
	}
	if (!streq(c->prev, nn(e->prev_hash))) {
		snprintf(v->bad_asset, sizeof(v->bad_asset), "%s", nn(e->asset_id));
		return broken(v, LEDGER_BREAK_LINK, e->seq,
			      "event %" PRIu64 " (asset %s, %s) does not link to event %" PRIu64
			      ": an event was deleted, inserted or reordered",
			      e->seq, nn(e->asset_id), nn(e->time_utc), e->seq - 1);
	}
	if (c->anchor && c->anchor->seq == e->seq && !streq(c->anchor->hash, h)) {
		snprintf(v->bad_asset, sizeof(v->bad_asset), "%s", nn(e->asset_id));
		return broken(v, LEDGER_BREAK_ANCHOR, e->seq,
			      "event %" PRIu64 " (asset %s, %s) is not the event recorded as %" PRIu64
			      ":%.16s...: the chain was rewritten", e->seq, nn(e->asset_id), nn(e->time_utc),
			      c->anchor->seq, c->anchor->hash);
	}
	memcpy(c->prev, h, sizeof(c->prev));
	c->expect++;
	return 0;
}

static int verify_chain(struct ledger *l, const struct ledger_anchor *anchor, struct ledger_verify_result *v)
{
	struct chain_ctx c = { .anchor = anchor, .v = v, .prev = LEDGER_ZERO_HASH, .expect = 1 };
	/* the hash covers no signature: verify_signatures() reads them */
	struct ledger_event_query q = { .unsigned_only = true };
	char ahash[LEDGER_HASH_HEX];
	uint64_t aseq;
	int r;

	/* an archive took the oldest events: the chain goes on from its head */
	r = l->be->archived_head(l, &aseq, ahash);
	if (r < 0)
		return r;
	if (aseq) {
		if (strlen(ahash) != 64)
			return broken(v, LEDGER_BREAK_ARCHIVE, aseq, "the record of the archived head is damaged");
		c.expect = aseq + 1;
		memcpy(c.prev, ahash, sizeof(c.prev));
		if (anchor && anchor->seq <= aseq)
			c.anchor = anchor = NULL; /* an event archived: `verify --archive FILE` checks it there */
	}
	r = l->be->events(l, &q, chain_cb, &c);
	if (r < 0)
		return r;
	v->bad_asset[0] = '\0';
	if (anchor && anchor->seq >= c.expect)
		return broken(v, LEDGER_BREAK_ANCHOR, c.expect - 1,
			      "the chain ends at event %" PRIu64 " but event %" PRIu64
			      " was recorded: the chain was cut", c.expect - 1, anchor->seq);
	v->n_events = c.expect - 1 - aseq;
	v->head_seq = c.expect - 1;
	memcpy(v->head_hash, c.prev, sizeof(c.prev));
	return 0;
}

static int verify_head(struct ledger *l, struct ledger_verify_result *v)
{
	_cleanup_free_ char *seq = NULL, *hash = NULL;
	uint64_t n;
	int r;

	r = l->be->read_head(l, &seq, &hash);
	if (r < 0)
		return r;
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

struct assets_ctx {
	struct ledger_verify_result *v;
	uint64_t n;
};

/* every asset must be exactly the state its latest event describes */
static int asset_cb(const struct ledger_asset *a, const char *want, void *userdata)
{
	struct assets_ctx *c = userdata;
	struct ledger_verify_result *v = c->v;
	char h[LEDGER_HASH_HEX];

	snprintf(v->bad_asset, sizeof(v->bad_asset), "%s", nn(a->v[LEDGER_F_ASSET_ID]));
	ledger_asset_state_hash(a, h);
	if (!want)
		return broken(v, LEDGER_BREAK_ASSET_UNKNOWN, 0,
			      "asset %s has no history: it was added outside wipecert", v->bad_asset);
	if (!streq(want, h))
		return broken(v, LEDGER_BREAK_ASSET_STATE, 0,
			      "asset %s differs from what its history records: it was changed "
			      "outside wipecert, or its last events were deleted", v->bad_asset);
	c->n++;
	return 0;
}

static int verify_assets(struct ledger *l, struct ledger_verify_result *v)
{
	struct assets_ctx c = { .v = v };
	_cleanup_free_ char *orphan = NULL;
	uint64_t seq = 0;
	int r;

	r = l->be->assets(l, NULL, true, asset_cb, &c);
	if (r < 0)
		return r;
	v->n_assets = c.n;
	r = l->be->orphan_event(l, &seq, &orphan);
	if (r == 0) {
		snprintf(v->bad_asset, sizeof(v->bad_asset), "%s", orphan);
		return broken(v, LEDGER_BREAK_ASSET_UNKNOWN, seq,
			      "asset %s has history from event %" PRIu64 " but no entry: it was deleted",
			      v->bad_asset, seq);
	}
	v->bad_asset[0] = '\0';
	return r == -ENOENT ? 0 : r;
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

int ledger_verify_tx(struct ledger *l, const struct ledger_anchor *anchor, struct ledger_verify_result *ret)
{
	struct verify_ctx c = { .anchor = anchor };
	int r = verify_tx(l, &c);

	if (r < 0 && r != -EBADMSG)
		return r;
	*ret = c.v;
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
	return l->be->status_since(l, cb, userdata);
}

struct seen_ctx {
	const char *station;
	const struct ledger_detected *d;
};

static int seen_tx(struct ledger *l, void *ctx)
{
	struct seen_ctx *c = ctx;
	char now[32];
	int r;

	r = format_utc(time(NULL), now, sizeof(now));
	if (r < 0)
		return r;
	return l->be->seen_put(l, c->station, c->d, now);
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
	return l->be->seen_list(l, unknown_only, cb, userdata);
}

/* ---- archives: the events taken out, the states carried on ---- */

int ledger_archived_head(struct ledger *l, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX])
{
	return l->be->archived_head(l, ret_seq, ret_hash);
}

int ledger_checkpoints(struct ledger *l, const char *asset_id,
		       int (*cb)(const struct ledger_checkpoint *k, void *userdata), void *userdata)
{
	return l->be->checkpoints(l, asset_id, cb, userdata);
}

int ledger_checkpoint_put_tx(struct ledger *l, const struct ledger_checkpoint *k)
{
	if (!l->in_tx || !l->tx_write)
		return -EINVAL;
	return l->be->put_checkpoint(l, k);
}

int ledger_events_drop_tx(struct ledger *l, uint64_t seq, const char *hash)
{
	if (!l->in_tx || !l->tx_write || seq > INT64_MAX || !hash || strlen(hash) != 64)
		return -EINVAL;
	return l->be->drop_events(l, seq, hash);
}
