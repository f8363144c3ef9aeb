/* ledger-internal.h - what the ledger's own files share: the handle, the
 * backend interface, transactions, the event append, the signer, and the
 * pure helpers of change.c. Never included outside src/ledger/.
 *
 * Two backends store the ledger, side by side: sqlite.c (the embedded
 * default) and pg.c (a PostgreSQL server shared by many stations). Each
 * fills a struct ledger_backend of row operations; only they speak SQL.
 * store.c (transactions, the chain, assets, verification), cases.c,
 * copy.c, csv.c, sign.c, approval.c and change.c call those operations and
 * the functions declared here, and know no SQL dialect.
 */
#ifndef WIPECERT_LEDGER_INTERNAL_H
#define WIPECERT_LEDGER_INTERNAL_H

#include <sodium.h>

#include "wipecert/ledger.h"
#include "wipecert/lifecycle.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"

#define LEDGER_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Who signs the events appended through a handle (sign.c fills it). An
 * event is queued as it is appended (its row holds no signature yet) and
 * every queued event is signed, and the signature stored, before its
 * transaction commits: in parallel for a big import, never after it. */
struct ledger_pending_sigs;
struct ledger_signer {
	/* queue e (all fields but the signature; valid during the call only) */
	int (*add)(struct ledger_signer *s, const struct ledger_event *e);
	/* sign what is queued and store it with ledger_event_sign_tx() */
	int (*finish)(struct ledger *l);
	/* forget what is queued: the transaction rolls back */
	void (*discard)(struct ledger_signer *s);
	/* the handle closes */
	void (*release)(struct ledger_signer *s);
	const struct trust_seckey *key;
	const char *name;                 /* the actor of every event it signs */
	char keyid[TRUST_KEYID_STRLEN];
	struct ledger_pending_sigs *pending;
};

struct ledger_checkpoint;

/* Which events a backend's events() walks, in seq order. */
struct ledger_event_query {
	const char *asset_id;             /* NULL: every asset; "": the ledger's own events */
	uint64_t first, last;             /* a seq range; last 0: to the end */
	const char *const *kinds;         /* NULL-terminated; NULL: every kind */
	bool latest;                      /* only the last event that matches */
	bool unsigned_only;               /* key_id and signature left NULL: a walk of
					   * the chain alone reads less */
};

/* The row operations of a store. Each returns >= 0 or -errno; a backend
 * sets the thread's ledger_last_error() text where it has one. Callbacks
 * may run other operations (not transactions) on the same handle. */
struct ledger_backend {
	const char *name;                 /* "sqlite", "postgresql" */
	/* connect (creating a file with LEDGER_OPEN_CREATE); fills l->be_data */
	int (*open)(struct ledger *l, const char *where, unsigned flags);
	void (*close)(struct ledger *l);
	/* 0 for a store without the ledger's schema */
	int (*schema_version)(struct ledger *l);
	/* bring the schema to LEDGER_SCHEMA_VERSION, under the store's write
	 * lock (whoever waited finds it done) */
	int (*migrate)(struct ledger *l);

	/* a transaction; write: no other writer of the chain until it ends
	 * (the store's write lock, or the server's advisory lock) */
	int (*begin)(struct ledger *l, bool write);
	/* how long begin(write) waits for another writer: -EBUSY after */
	int (*set_busy_timeout)(struct ledger *l, unsigned ms);
	int (*commit)(struct ledger *l);
	void (*rollback)(struct ledger *l);

	/* the chain: the last event (seq 0 and the zero hash when empty), the
	 * recorded head (meta) written at commit and read by verify */
	int (*last_event)(struct ledger *l, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX]);
	int (*save_head)(struct ledger *l, uint64_t seq, const char *hash);
	int (*read_head)(struct ledger *l, char **ret_seq, char **ret_hash);
	int (*insert_event)(struct ledger *l, const struct ledger_event *e);
	/* the signature of event seq, inserted without one by this transaction
	 * (the signer signs a transaction's events together, before it
	 * commits), covering covers_from..seq-1 too (0: itself only); set
	 * once, never changed */
	int (*sign_event)(struct ledger *l, uint64_t seq, uint64_t covers_from, const char *sig);
	int (*events)(struct ledger *l, const struct ledger_event_query *q,
		      int (*cb)(const struct ledger_event *e, void *userdata), void *userdata);
	/* the first event (in seq order) of an asset that is not in assets */
	int (*orphan_event)(struct ledger *l, uint64_t *ret_seq, char **ret_asset_id);

	/* assets */
	int (*put_asset)(struct ledger *l, const struct ledger_asset *a, bool insert);
	int (*get_asset)(struct ledger *l, const char *asset_id, struct ledger_asset *ret);
	/* the first asset (by ID), other than except_id, whose serial or WWN
	 * compares equal as ledger_identity_check() compares them; -ENOENT */
	int (*find_identity)(struct ledger *l, const char *serial, const char *wwn, const char *except_id,
			     struct ledger_asset *ret);
	/* archives (archive.c): the archived head (seq 0: none), the
	 * checkpoints (of one asset, or all: asset_id NULL) in asset ID byte
	 * order, one stored, and events 1..seq taken out with seq:hash
	 * recorded as the archived head (the store refuses any other removal) */
	int (*archived_head)(struct ledger *l, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX]);
	int (*checkpoints)(struct ledger *l, const char *asset_id,
			   int (*cb)(const struct ledger_checkpoint *k, void *userdata), void *userdata);
	int (*put_checkpoint)(struct ledger *l, const struct ledger_checkpoint *k);
	int (*drop_events)(struct ledger *l, uint64_t seq, const char *hash);
	/* the inspection: when each asset entered its status; the disks seen */
	int (*status_since)(struct ledger *l, int (*cb)(const char *asset_id, const char *time_utc, void *userdata),
			    void *userdata);
	int (*seen_put)(struct ledger *l, const char *station, const struct ledger_detected *d, const char *now);
	int (*seen_list)(struct ledger *l, bool unknown_only,
			 int (*cb)(const struct ledger_seen *s, void *userdata), void *userdata);

	/* assets in ID order; state: the state hash of the asset's latest
	 * event, or its checkpoint's when its events were archived (NULL when
	 * it has neither), only with_state */
	int (*assets)(struct ledger *l, const struct ledger_filter *f, bool with_state,
		      int (*cb)(const struct ledger_asset *a, const char *state, void *userdata), void *userdata);

	/* optional, inside a write transaction: what a batch of rows will ask
	 * get_asset() and find_identity() about, fetched at once; the answers
	 * then come from memory, kept true by put_asset(), until the end of
	 * the transaction (a store across a network: one round trip, not a
	 * few per row). Arrays of n values, NULL entries skipped. */
	int (*prefetch)(struct ledger *l, const char *const *ids, const char *const *serials,
			const char *const *wwns, size_t n);

	/* cases and decisions (cases.c); what: LEDGER_CASE_* */
	int (*put_case)(struct ledger *l, const struct ledger_case *k);
	int (*put_decision)(struct ledger *l, const struct ledger_case *k);
	int (*cases)(struct ledger *l, const char *id, unsigned what,
		     int (*cb)(const struct ledger_case *k, void *userdata), void *userdata);
};

extern const struct ledger_backend ledger_sqlite_backend;
extern const struct ledger_backend ledger_pg_backend;

struct ledger {
	const struct ledger_backend *be;
	void *be_data;                    /* the backend's connection */
	char *where;                      /* as given: a path, a URI, a connection string */
	bool readonly;
	bool in_tx;
	bool tx_write;
	bool discard;     /* roll the running transaction back, without error */
	/* head of the chain, valid inside a write transaction */
	uint64_t head_seq;
	char head_hash[LEDGER_HASH_HEX];
	bool head_moved;
	struct ledger_signer signer;      /* .add NULL: nothing can be appended */
	/* run inside each write transaction that appended events, just before
	 * it commits (sign.c: the trust lists' serials ride along) */
	int (*before_commit)(struct ledger *l);
	const struct trust_store *trust;
};

/* Set this thread's ledger_last_error() text (printf); "" clears it. */
_printf_(1, 2) void ledger_set_error(const char *fmt, ...);

/* ---- store.c: transactions ---- */

/* Run fn inside one write transaction (the backend's write lock, waiting
 * for it; the chain head loaded; written to meta at commit): everything fn
 * appends is one run of the chain, and a negative return from fn, a failed
 * commit or ledger_tx_discard() rolls all of it back. Returns fn's result.
 * -EBUSY if a transaction is already open. */
int ledger_tx_write(struct ledger *l, int (*fn)(struct ledger *l, void *ctx), void *ctx);
/* The same for reading: one consistent snapshot while writers go on. */
int ledger_tx_read(struct ledger *l, int (*fn)(struct ledger *l, void *ctx), void *ctx);
/* Inside ledger_tx_write(): roll back at the end although fn succeeds (dry runs). */
void ledger_tx_discard(struct ledger *l);

/* ---- store.c: inside a write transaction ---- */

/* The store's prefetch (see struct ledger_backend), when it has one. */
int ledger_prefetch_tx(struct ledger *l, const char *const *ids, const char *const *serials,
		       const char *const *wwns, size_t n);

/* Insert a new asset and append its "create" event. -EEXIST if the ID is
 * taken, -ENOTUNIQ if another asset has its serial or WWN. */
int ledger_insert_tx(struct ledger *l, const struct ledger_asset *a, const char *actor,
		     const char *reason, uint64_t *ret_seq);
/* Store a changed asset: the changes the policy does not depend on at once
 * (an "update" event), the others as a "request" event that waits for an
 * approver. LEDGER_UPDATED | LEDGER_REQUESTED, 0 if unchanged (or the same
 * request is pending already); ret_seq gets the last event appended. */
int ledger_update_tx(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a,
		     const char *actor, const char *reason, uint64_t *ret_seq);
/* The same, made as by (lifecycle.h LC_BY_*: ledger_update_tx() is any;
 * an edit by hand is LC_BY_EDIT, which may not make a step's moves). */
int ledger_update_by_tx(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a,
			unsigned by, const char *actor, const char *reason, uint64_t *ret_seq);
int ledger_get_tx(struct ledger *l, const char *asset_id, struct ledger_asset *ret);
/* Store the signature of event seq appended in this transaction (once);
 * the batch form: its signature covers covers_from..seq-1 too (0: none). */
int ledger_event_sign_tx(struct ledger *l, uint64_t seq, const char *sig);
int ledger_event_sign_batch_tx(struct ledger *l, uint64_t seq, uint64_t covers_from, const char *sig);
/* The hash that links an event into the chain (its own fields and
 * prev_hash), in hex. */
void ledger_event_hash(const struct ledger_event *e, char ret_hex[LEDGER_HASH_HEX]);
/* Append an event that records changes without storing an asset: a note,
 * a request or a denial (state: the asset as stored), or, asset NULL, an
 * event of the whole ledger (asset ID ""). */
int ledger_append_tx(struct ledger *l, const struct ledger_asset *state, const char *kind,
		     const char *changes, const char *reason, uint64_t *ret_seq);
/* Store the asset approved by an "approve" event with these changes. */
int ledger_approve_tx(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a,
		      const char *changes, const char *reason, uint64_t *ret_seq);
/* The asset a as it is after something happened to it (a wipe sealed, a
 * certificate issued): its changes stored as by ledger_update_tx(), or,
 * when nothing changed, a "note" event saying why. */
int ledger_record_tx(struct ledger *l, const struct ledger_asset *a, const char *reason, uint64_t *ret_seq);

/* ledger_verify() inside the running transaction (of either kind). */
int ledger_verify_tx(struct ledger *l, const struct ledger_anchor *anchor, struct ledger_verify_result *ret);


/* ---- store.c: archives (archive.c) ---- */

/* An asset's state where its events were archived: what the live ledger
 * carries on in their place (docs/ledger.md, "Retention and archives"). */
struct ledger_checkpoint {
	const char *asset_id;
	uint64_t seq;              /* its last archived event */
	const char *state_hash;    /* the asset after it */
	const char *state;         /* JSON: the approved gated values, the pending request,
				    * the statuses it returns to, when its status began */
};
/* The last event archived (0: none) and its hash. */
int ledger_archived_head(struct ledger *l, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX]);
/* The checkpoints (of one asset, or all: asset_id NULL), in asset ID
 * order (byte order). */
int ledger_checkpoints(struct ledger *l, const char *asset_id,
		       int (*cb)(const struct ledger_checkpoint *k, void *userdata), void *userdata);
int ledger_checkpoint_put_tx(struct ledger *l, const struct ledger_checkpoint *k);
/* Record seq:hash as the archived head and take events 1..seq out. */
int ledger_events_drop_tx(struct ledger *l, uint64_t seq, const char *hash);

/* ---- sign.c ---- */

/* The trust lists' serials the ledger recorded (trust-serial and archive
 * events): "roster:KEYID" and its serial, up to max. */
int ledger_trust_recorded_tx(struct ledger *l, size_t max, char keys[][64], char serials[][24], size_t *ret_n);

/* ---- archive.c ---- */


struct ledger_idmap;
/* The checkpoints (of one asset, or all: asset_id NULL) into assets, an
 * idmap of struct cp as archive.c follows them; for verify: the gated
 * values an archive carried on. */
int ledger_checkpoints_load(struct ledger *l, const char *asset_id, struct ledger_idmap *assets);
/* The same, the gated values only, into an idmap of struct ledger_gated. */
int ledger_gated_checkpoints(struct ledger *l, const char *asset_id, struct ledger_idmap *assets);
/* SHA-256 of the checkpoints as canonical JSON, in asset ID order. */
int ledger_checkpoints_digest(struct ledger *l, char ret_hex[65]);
/* Verify's check of an archived ledger: the last archive event names the
 * archived head and the checkpoints as they are. 0, or -EBADMSG with
 * detail and *ret_seq the archive event. */
int ledger_archive_check_tx(struct ledger *l, char *detail, size_t len, uint64_t *ret_seq);

struct ledger_sig_result;
/* Check the signatures of events outside a store (an archive's), in
 * order: each signed by its actor, unsigned ones covered by an adoption
 * or a batch; the approval rules are not judged again. */
int ledger_verify_event_list(const struct trust_store *s, const struct ledger_event *ev, size_t n,
			     struct ledger_sig_result *ret);

/* ---- lifecycle.c ---- */

/* The lifecycle table on a change of an asset (old NULL: a new one) made as
 * by, inside a write transaction: the signer's role, the status the asset
 * returns to (from its history). 0 or 1 (the status waits for an
 * approver) as lifecycle_check(); -EPERM with ledger_last_error() saying
 * why. */
int ledger_lifecycle_tx(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a,
			unsigned by, const char *actor);
/* The statuses an asset returns to, as a checkpoint keeps them. */
json_t *lifecycle_history_to_json(const struct lc_history *h);
void lifecycle_history_from_json(struct lc_history *h, const json_t *a);

/* ---- change.c ---- */

/* JSON diff {"field":[old,new],...} of two assets (old may be NULL for a
 * new one), of all fields or of those that need no approval; NULL if none. */
char *ledger_diff_json(const struct ledger_asset *old, const struct ledger_asset *a);
char *ledger_diff_free_json(const struct ledger_asset *old, const struct ledger_asset *a);
/* The same shape from parallel arrays (ledger-wide events). */
char *ledger_changes_json(size_t n, const char *const keys[], const char *const olds[],
			  const char *const news[]);
/* old -> a split: *ret_now the asset with the changes that need no approval
 * applied, *ret_request the JSON diff of the others (NULL if none). */
int ledger_change_split(const struct ledger_asset *old, const struct ledger_asset *a,
			struct ledger_asset *ret_now, char **ret_request);
/* Apply a JSON diff to old: -ESTALE if a field no longer holds the value
 * the diff starts from, -EINVAL if it is not a diff of asset fields. */
int ledger_change_apply(const struct ledger_asset *old, const char *changes, struct ledger_asset *ret);

/* One asset's approved values of the gated fields (importance, status,
 * serial, WWN) and its pending change request, followed event by event. */
#define LEDGER_GATED_FIELDS 4
struct ledger_gated {
	char *v[LEDGER_GATED_FIELDS];
	uint64_t req_seq;                /* 0: no request pending */
	char *req_changes, *req_actor, *req_key_id;
};
enum ledger_gated_problem {
	LEDGER_GATED_OK,
	LEDGER_GATED_UNAPPROVED,     /* an "update" made a change that needs approval */
	LEDGER_GATED_NO_REQUEST,     /* an approval or denial of no pending request */
	LEDGER_GATED_STALE,          /* approved after the values it started from changed */
	LEDGER_GATED_SAME_PERSON,    /* approved by the person (or key) who asked */
	LEDGER_GATED_UNKNOWN_KIND,
};
struct ledger_gated_verdict {
	enum ledger_gated_problem problem;
	enum ledger_field field;     /* for UNAPPROVED */
	uint64_t request;            /* the request an approve/deny answered */
	uint64_t superseded;         /* a request replaced by this one */
};
/* Follow one event of the asset; checked: judge it (else only apply, as for
 * legacy events). Returns -errno only for a malformed event or memory. */
int ledger_gated_event(struct ledger_gated *g, const struct ledger_event *e, bool checked,
		       struct ledger_gated_verdict *ret);
/* Is request seq the asset's pending one? 0, -ENOENT (none pending), -ESRCH
 * (another one replaced it), -ESTALE (its starting values changed). */
int ledger_gated_pending(const struct ledger_gated *g, uint64_t seq);
void ledger_gated_release(struct ledger_gated *g);
/* The gated values and pending request as an archive's checkpoint keeps
 * them, and back. */
json_t *ledger_gated_to_json(const struct ledger_gated *g);
int ledger_gated_from_json(struct ledger_gated *g, const json_t *j);

/* Asset ID -> a value of vsize bytes (zeroed when created). */
struct ledger_idmap {
	char **key;
	void *val;
	size_t cap, n, vsize;
};
/* 1 if found, 0 if created (create), -ENOENT, -ENOMEM; *ret points into the table
 * (valid until the next create). */
int ledger_idmap_get(struct ledger_idmap *t, const char *id, bool create, void **ret);
void ledger_idmap_free(struct ledger_idmap *t, void (*release)(void *val));

/* ---- asset.c ---- */

/* Offset of the first byte that is not well-formed UTF-8, or len. */
size_t ledger_utf8_check(const uint8_t *s, size_t len);

/* A CSV header as headers are compared: lower-case ASCII, without white
 * space (ASCII and U+3000), '-' and '_'. */
void ledger_header_normalise(const char *in, char *out, size_t len);

/* Length-prefixed string into a BLAKE2b state: the canonical serialisation. */
void ledger_hash_str(crypto_generichash_state *st, const char *s);

#endif
