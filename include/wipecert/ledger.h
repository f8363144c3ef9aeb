/* ledger.h - the asset ledger: the organisation's disk register (情報資産管理簿)
 * with an append-only, hash-chained change history (変更履歴).
 *
 * Its job: keep assets and their history in one store, and prove on
 * demand that the history was not rewritten; keep the cases (sealed wipe
 * records), their decisions and certificates beside them, so that every
 * station and manager of an organisation works on one ledger. It lives in
 * a SQLite file (the embedded default) or in a PostgreSQL database shared
 * by many stations; both backends behave the same behind this API. It must
 * never expose SQL to its callers, never change an asset
 * without appending the event that says so, never append an event that its
 * actor did not sign (ledger-sign.h: ledger_set_signer()), never apply a
 * change the disposal policy depends on before an approver signed it, and
 * never print or exit: every function returns >= 0 or -errno, ret_
 * untouched on failure.
 */
#ifndef WIPECERT_LEDGER_H
#define WIPECERT_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define LEDGER_DEFAULT_PATH "/var/lib/wipecert/ledger.db"
#define LEDGER_SCHEMA_VERSION 4
#define LEDGER_HASH_HEX 65 /* BLAKE2b-256 in hex plus NUL */

/* The fields of an asset, in the order of CSV export and of the state hash. */
enum ledger_field {
	LEDGER_F_ASSET_ID,
	LEDGER_F_MEDIA_TYPE,
	LEDGER_F_MANUFACTURER,
	LEDGER_F_MODEL,
	LEDGER_F_SERIAL,
	LEDGER_F_WWN,
	LEDGER_F_CAPACITY,     /* bytes, decimal */
	LEDGER_F_DEPARTMENT,   /* owner department 所管課 */
	LEDGER_F_LOCATION,
	LEDGER_F_IMPORTANCE,   /* importance class 重要性分類: 1 (most sensitive) .. 3 */
	LEDGER_F_LEASE,        /* lease / owner */
	LEDGER_F_NOTES,
	LEDGER_F_STATUS,
	LEDGER_F_CERTIFICATE,  /* current certificate ID */
	/* The fields below came with schema 3 (docs/ledger.md, "An asset");
	 * the state hash takes each by name only when it is set, so the hash
	 * of an asset that has none of them is what it always was. */
	LEDGER_F_NAME,         /* asset name 資産名称 */
	LEDGER_F_MANAGER,      /* responsible manager 管理責任者 */
	LEDGER_F_HOST,         /* the host the disk came from 搭載機器 */
	LEDGER_F_DATA,         /* what data it held 保存情報 (本人確認情報, ...) */
	LEDGER_F_ACQUIRED,     /* acquisition date 取得日, YYYY-MM-DD */
	LEDGER_F_LEASE_START,  /* リース開始日 */
	LEDGER_F_LEASE_END,    /* リース満了日 */
	LEDGER_F_RETENTION,    /* keep its records until 保存期限 */
	LEDGER_F_CONFIDENTIALITY, /* 機密性 3/2/1 of the national guideline (3: secret) */
	LEDGER_F_INTEGRITY,    /* 完全性 2/1 */
	LEDGER_F_AVAILABILITY, /* 可用性 2/1 */
	LEDGER_F_PERMITTED_BY, /* who permitted it to be taken out 持出し許可者 */
	LEDGER_F_RETURN_DUE,   /* when a medium taken out is due back 返却予定日 */
	LEDGER_F_INCIDENT,     /* the incident a loss, theft or evidence hold is 事案番号 */
	LEDGER_F_THREAT,       /* the incident's threat level 1 (low) .. 3 (high) */
	LEDGER_F_AGREEMENT,    /* the contract that covers the data on a repair 契約番号 */
	LEDGER_F_EXTRA,        /* other attributes: a JSON object {"their column": "value"} */
	_LEDGER_F_MAX,
};
/* Fields of schema 1 and 2: hashed by position (docs/ledger.md). */
#define LEDGER_F_V1_MAX (LEDGER_F_CERTIFICATE + 1)

enum ledger_status {
	LEDGER_STATUS_IN_SERVICE,
	LEDGER_STATUS_RETIRED,
	LEDGER_STATUS_AWAITING_ERASURE,
	LEDGER_STATUS_ERASED,
	LEDGER_STATUS_APPROVED,
	LEDGER_STATUS_DISPOSED,
	LEDGER_STATUS_HANDED_TO_CONTRACTOR,
	LEDGER_STATUS_DESTROYED,
	/* schema 3: the rest of a medium's life (lifecycle.h) */
	LEDGER_STATUS_TAKEN_OUT,      /* 持出し中: out with permission, due back */
	LEDGER_STATUS_LOST,           /* 紛失: an incident */
	LEDGER_STATUS_STOLEN,         /* 盗難: an incident */
	LEDGER_STATUS_WRITTEN_OFF,    /* 除却: a lost or stolen medium closed, never "disposed" */
	LEDGER_STATUS_IN_REPAIR,      /* 修理・保守中: sent out, wiped first or under contract */
	LEDGER_STATUS_LEASE_RETURNED, /* リース返却済: back to the lease company, erased first */
	LEDGER_STATUS_EVIDENCE_HOLD,  /* 証拠保全: nothing may erase it until an approver lifts it */
	_LEDGER_STATUS_MAX,
};

/* One asset: the text form of every field, NULL where empty. Values are
 * always normalised (trimmed; capacity in bytes; class "1".."3"; a status
 * name) because ledger_asset_set() is the only way in. */
struct ledger_asset {
	char *v[_LEDGER_F_MAX];
};

/* Field names: the stable JSON / CLI / column name ("department"), and the
 * English and Japanese CSV headers. NULL for an unknown field. */
const char *ledger_field_name(enum ledger_field f);
const char *ledger_field_header(enum ledger_field f, bool japanese);
/* Map a CSV header or a field name (English or Japanese, see docs/ledger.md)
 * to a field; -ENOENT if unknown. */
int ledger_field_from_header(const char *header, enum ledger_field *ret);

const char *ledger_status_name(enum ledger_status s);
int ledger_status_from_string(const char *s, enum ledger_status *ret);

/* Set a field from text, validating and normalising it: -EINVAL with a bad
 * class, status, capacity or an empty asset ID. NULL or "" clears it. */
int ledger_asset_set(struct ledger_asset *a, enum ledger_field f, const char *value);
const char *ledger_asset_value(const struct ledger_asset *a, enum ledger_field f);
int ledger_asset_copy(const struct ledger_asset *a, struct ledger_asset *ret);
void ledger_asset_clear(struct ledger_asset *a);
/* An asset from the text of its fields as a store holds them (v[f] in
 * enum ledger_field order, NULL where empty), copied: -ENOMEM. */
int ledger_asset_from_texts(const char *const v[_LEDGER_F_MAX], struct ledger_asset *ret);
/* The importance class its 機密性 level is held to (want, from the policy's
 * [classification]; 0: not mapped): set when the asset has no class; a
 * class less strict than want is -EPERM with why. */
int ledger_asset_hold_class(struct ledger_asset *a, int want, char *why, size_t len);
/* Fill defaults of a new asset (status in-service) and check it is whole. */
int ledger_asset_check_new(struct ledger_asset *a);
/* BLAKE2b-256 over the canonical serialisation of the asset's fields. */
void ledger_asset_state_hash(const struct ledger_asset *a, char ret_hex[LEDGER_HASH_HEX]);

/* Linking a detected disk to its ledger entry. */
enum ledger_identity_result {
	LEDGER_IDENTITY_MATCH = 0,
	LEDGER_IDENTITY_NONE_ON_RECORD, /* the asset has neither serial nor WWN */
	LEDGER_IDENTITY_SERIAL_MISMATCH,
	LEDGER_IDENTITY_WWN_MISMATCH,
	LEDGER_IDENTITY_DEVICE_UNKNOWN, /* the disk reports nothing to compare */
};
/* Compare a disk's serial and WWN (as detected, any may be NULL) with the
 * asset. Returns LEDGER_IDENTITY_* (>= 0); *ret_reason (malloc'd) says why it
 * is not a match, e.g. "serial mismatch: ledger has 'S1', disk reports 'S2'".
 * Serials compare trimmed and case-insensitively; WWNs also without a
 * "0x"/"naa." prefix. Every identity on record must be matched by the disk. */
int ledger_identity_check(const struct ledger_asset *a, const char *serial,
			  const char *wwn, char **ret_reason);

/* What disk detection knows of a disk, as plain strings. */
struct ledger_detected {
	const char *media_type;   /* "hdd", "ssd", "nvme", ... */
	const char *manufacturer;
	const char *model;
	const char *serial;
	const char *wwn;
	uint64_t capacity;        /* bytes, 0 if unknown */
};

struct ledger;

enum {
	LEDGER_OPEN_CREATE = 1 << 0,   /* create the database (and schema) if missing */
	LEDGER_OPEN_READONLY = 1 << 1,
};

/* Where the ledger is: opt if given, else $WIPECERT_DB, else
 * LEDGER_DEFAULT_PATH. A libpq URI (postgresql://..., postgres://...) or
 * connection string (key=value pairs: "service=wipecert", "host=db
 * dbname=wipecert sslmode=verify-full") names a PostgreSQL database; libpq
 * reads its password from ~/.pgpass or $PGPASSFILE, the service from
 * ~/.pg_service.conf or $PGSERVICEFILE. Anything else is a SQLite file. */
const char *ledger_resolve_path(const char *opt);
enum ledger_kind {
	LEDGER_KIND_SQLITE,
	LEDGER_KIND_POSTGRESQL,
};
enum ledger_kind ledger_kind_of(const char *where);
/* where, fit for a message or a log: a password in a URI or connection
 * string replaced by "***" (malloc'd; NULL if out of memory). */
char *ledger_where_display(const char *where);
/* The store's own words for the last failure on this thread (libpq's
 * message; "the schema needs its owner"; a refusal of the lifecycle
 * table: "asset A is taken-out: ..."), "" if it has none. */
const char *ledger_last_error(void);
/* Is r a failure to reach the database (server down, connection lost)
 * rather than a refusal? Such a write can be tried again later. */
bool ledger_unreachable(int r);
/* Open (and migrate) the ledger. -ENOENT if missing without CREATE (for
 * PostgreSQL: a database without the ledger's tables), -EPROTONOSUPPORT if
 * its schema is newer than this program, -EACCES if it must be migrated
 * and this role may not (only the owner role migrates a shared ledger),
 * a connection failure as ledger_unreachable() says. */
int ledger_open(const char *path, unsigned flags, struct ledger **ret);
/* "sqlite" or "postgresql". */
const char *ledger_backend_name(const struct ledger *l);
void ledger_close(struct ledger *l);
static inline void ledger_closep(struct ledger **l) { ledger_close(*l); }
#define _cleanup_ledger_ __attribute__((cleanup(ledger_closep)))
int ledger_schema_version(struct ledger *l);
/* How long a call waits for another program's lock before it gives up
 * with -EBUSY (default 30 s). An interactive front end waits less, so
 * that a locked ledger is a message on the screen, not a frozen one. */
int ledger_set_busy_timeout(struct ledger *l, unsigned ms);
/* 0 when a change could be written now: no other program holds the
 * ledger's write lock beyond the busy timeout. -EBUSY when one does,
 * -EROFS when opened read-only. Writes nothing. */
int ledger_writable(struct ledger *l);

/* Writing needs a signer on the handle (ledger_set_signer()): every event is
 * signed by its actor, the signer; without one -ENOKEY, and an actor that
 * is not the signer's name is -EPERM (NULL: the signer's name). */

/* Add a new asset (its "create" event records every field). -EEXIST if
 * the asset ID is taken, -ENOTUNIQ if another asset has its serial or WWN
 * (one entry per disk). ret_seq (may be NULL) gets the event's number. */
int ledger_asset_add(struct ledger *l, const struct ledger_asset *a, const char *actor,
		     const char *reason, uint64_t *ret_seq);
/* Fill the identity fields of a (media type, manufacturer, model, serial,
 * WWN, capacity) from a detected disk; the other fields are left alone. */
int ledger_asset_from_detected(const struct ledger_detected *d, struct ledger_asset *a);
/* Add an asset built from a detected disk in one step: like
 * ledger_asset_add(), but -EINVAL if it has neither serial nor WWN (nothing
 * would tie the entry to the disk) and -EEXIST if another asset already has
 * its serial or WWN. */
int ledger_asset_add_detected(struct ledger *l, const struct ledger_asset *a,
			      const char *actor, const char *reason, uint64_t *ret_seq);
/* -ENOENT if there is no such asset. */
int ledger_asset_get(struct ledger *l, const char *asset_id, struct ledger_asset *ret);
/* Find the asset whose serial or WWN is this disk's; -ENOENT if none. */
int ledger_asset_find_identity(struct ledger *l, const char *serial, const char *wwn,
			       struct ledger_asset *ret);
/* Replace an asset's fields with a's. The changes the disposal policy
 * depends on (ledger_change_needs_approval()) are not applied: they are
 * recorded as a "request" event and wait for an approver
 * (ledger_change_approve()); the others take effect in an "update" event.
 * Returns LEDGER_UPDATED and/or LEDGER_REQUESTED, 0 if a equals what is
 * stored (or that same request is pending already): no event; -ENOENT if
 * there is no such asset, -ENOTUNIQ for another asset's serial or WWN.
 * ret_seq gets the last event appended. */
enum {
	LEDGER_UPDATED = 1 << 0,
	LEDGER_REQUESTED = 1 << 1,
};
int ledger_asset_update(struct ledger *l, const struct ledger_asset *a, const char *actor,
			const char *reason, uint64_t *ret_seq);
/* The same for a change made by hand (ledger edit, ledger status): the
 * status moves only as the lifecycle table lets a person move it
 * (lifecycle.h: erased, approved, destroyed and disposed-on-acceptance are
 * the results of steps, not edits). A move the table refuses is -EPERM,
 * ledger_last_error() says why (ledger_asset_update() and the import too). */
int ledger_asset_edit(struct ledger *l, const struct ledger_asset *a, const char *actor,
		      const char *reason, uint64_t *ret_seq);

/* Does this change of field f need an approver's signature before it takes
 * effect? A less sensitive importance class (or none), the status back to
 * in-service or to handed-to-contractor (the disk leaves the house), and a
 * serial or WWN on record replaced or removed. */
bool ledger_change_needs_approval(enum ledger_field f, const char *old_value, const char *new_value);

/* Is the asset row what its latest event says it is? 0, or -EBADMSG if it
 * was changed outside wipecert (the SQLite file edited); -ENOENT. The wipe
 * path asks this before it trusts the class and status it reads. */
int ledger_asset_check_state(struct ledger *l, const char *asset_id);

/* Append a "note" event that changes no field: something happened to the
 * asset (a wipe that did not change its status, a rejected record) that
 * its history must say. -ENOENT if there is no such asset. */
int ledger_asset_note(struct ledger *l, const char *asset_id, const char *actor, const char *reason,
		      uint64_t *ret_seq);

struct ledger_filter {
	const char *status;      /* status name, or NULL */
	const char *department;  /* exact, or NULL */
};
/* Call cb for each asset in asset ID order; a negative cb return stops and
 * is returned. */
int ledger_asset_list(struct ledger *l, const struct ledger_filter *f,
		      int (*cb)(const struct ledger_asset *a, void *userdata), void *userdata);

/* One event of the history, valid during the callback only. */
struct ledger_event {
	uint64_t seq;
	const char *asset_id;
	const char *kind;        /* "create", "update", "note", "request", "approve",
				  * "deny"; of the whole ledger (asset_id ""):
				  * "trust-serial", "adopt-legacy" */
	const char *changes;     /* JSON: {"field": [old, new], ...}, null for none */
	const char *state_hash;  /* hash of the asset after this event */
	const char *actor;
	const char *reason;
	const char *time_utc;    /* 2026-11-23T08:49:00Z */
	const char *time_local;  /* 2026-11-23T17:49:00+09:00 */
	const char *prev_hash;
	const char *hash;
	const char *key_id;      /* the signer's key id; NULL for legacy events */
	const uint8_t *signature;
	size_t signature_len;
	/* a batch signature (ledger-sign.h): this event's signature covers the
	 * unsigned events covers_from..seq-1 of its transaction; 0: itself only */
	uint64_t covers_from;
};
/* Events of one asset (or all, asset_id NULL; those of the whole ledger,
 * asset_id "") in order. */
int ledger_history(struct ledger *l, const char *asset_id,
		   int (*cb)(const struct ledger_event *e, void *userdata), void *userdata);

/* Events first..last (inclusive) in order; cb as for ledger_history(). */
int ledger_event_range(struct ledger *l, uint64_t first, uint64_t last,
		       int (*cb)(const struct ledger_event *e, void *userdata), void *userdata);

enum ledger_break {
	LEDGER_BREAK_NONE,
	LEDGER_BREAK_EDITED,        /* an event's contents do not match its hash */
	LEDGER_BREAK_LINK,          /* prev_hash does not name the event before */
	LEDGER_BREAK_MISSING,       /* a gap in the sequence: events deleted */
	LEDGER_BREAK_HEAD,          /* the last events were cut off */
	LEDGER_BREAK_ASSET_STATE,   /* an asset differs from what its history says */
	LEDGER_BREAK_ASSET_UNKNOWN, /* an asset without history, or history without asset */
	LEDGER_BREAK_ANCHOR,        /* an event recorded elsewhere is gone or different */
	LEDGER_BREAK_ARCHIVE,       /* events gone without the archive that says so, or its checkpoints changed */
};
/* A head hash kept outside the ledger (printed by an earlier verify, in an
 * export, on a certificate): the chain must still hold that event with that
 * hash, or it was rewritten from there on. */
struct ledger_anchor {
	uint64_t seq;
	char hash[LEDGER_HASH_HEX];
};
/* Parse "SEQ:HASH"; -EINVAL if malformed. */
int ledger_anchor_parse(const char *s, struct ledger_anchor *ret);
struct ledger_verify_result {
	uint64_t n_events;
	uint64_t n_assets;
	uint64_t head_seq;
	char head_hash[LEDGER_HASH_HEX];
	enum ledger_break problem;
	uint64_t bad_seq;           /* the event named, 0 if the problem is an asset's */
	char bad_asset[128];
	char detail[256];           /* one line, for the operator */
};
/* JSON of an asset (stable field names; capacity and importance as numbers,
 * empty fields null) and of an event (changes parsed, and verbatim as
 * changes_text since that is what was hashed; signature as the minisign
 * text the trust layer stores, other bytes in hex). NULL if out
 * of memory. */
json_t *ledger_asset_to_json(const struct ledger_asset *a);
json_t *ledger_event_to_json(const struct ledger_event *e);

/* Walk the whole chain (checking anchor, may be NULL, on the way), then
 * compare every asset with its latest event. Returns 0 if intact, -EBADMSG at the first broken link (ret says where),
 * other -errno if the walk itself failed. ret is filled in both first cases. */
int ledger_verify(struct ledger *l, const struct ledger_anchor *anchor, struct ledger_verify_result *ret);

/* ---- what the inspection (点検) reads besides the assets ---- */

/* When each asset entered its present status: the time of the last event
 * that changed its status (its create if none did). cb per asset, in no
 * particular order; a negative return stops the walk. */
int ledger_status_since(struct ledger *l, int (*cb)(const char *asset_id, const char *time_utc, void *userdata),
			void *userdata);

/* A disk a station saw (`list`, the station's scans): not part of the
 * chain, a list for the inspection to compare with the ledger. */
struct ledger_seen {
	const char *station;     /* the host name of the station */
	const char *serial, *wwn;  /* as the disk reported them, "" for none */
	const char *model;
	uint64_t size;
	const char *first_seen, *last_seen;  /* UTC */
	uint64_t times;
};
/* Record that station saw disk d now (a disk with neither serial nor WWN
 * is not recorded: -EINVAL). */
int ledger_seen_record(struct ledger *l, const char *station, const struct ledger_detected *d);
/* The disks seen (unknown_only: those whose serial and WWN no asset of the
 * ledger has, compared as the identity check compares them). */
int ledger_seen_list(struct ledger *l, bool unknown_only, int (*cb)(const struct ledger_seen *s, void *userdata),
		     void *userdata);

/* ---- retention: archiving the oldest events (archive.c) ---- */

/* What an archive takes: events first..last (the live chain's oldest,
 * every one older than the cut, ending with a transaction), the states its
 * assets were left in (the checkpoints the live ledger carries on). */
struct ledger_archive_plan {
	uint64_t first, last, n_events;
	char prev_hash[LEDGER_HASH_HEX];   /* of event first-1 (zeros: the start) */
	char head_hash[LEDGER_HASH_HEX];   /* of event last */
	char ends_because[300];            /* why the range ends there */
	json_t *checkpoints;               /* [{asset_id, seq, state_hash, state}] */
};
void ledger_archive_plan_release(struct ledger_archive_plan *p);
/* Plan an archive of the events older than before_utc ("YYYY-MM-DDThh:mm:ssZ"),
 * never reaching an event that records a certificate at or after
 * keep_certificates_from (NULL: no such bound). *ret_doc: the archive's
 * document so far (type "ledger-archive", the events as
 * ledger_event_to_json() gives them, the checkpoints, first, last,
 * prev_hash, head_hash); the caller adds what it knows (certificates, the
 * signer), signs, writes and checks it, then commits. -ENODATA: nothing to
 * archive (ret->ends_because says why); -EBADMSG: the chain does not check
 * out there. */
int ledger_archive_plan(struct ledger *l, const char *before_utc, const char *keep_certificates_from,
			json_t **ret_doc, struct ledger_archive_plan *ret);
/* Take the planned events out of the live ledger, in one transaction: the
 * checkpoints stored, one "archive" event signed by the handle's signer
 * (an approver or the org-root, -EPERM otherwise) naming the range, its
 * head, the archive file's SHA-256, the checkpoints' digest and the trust
 * lists' serials recorded so far; then events first..last removed.
 * -ESTALE if the ledger moved since the plan. */
int ledger_archive_commit(struct ledger *l, const struct ledger_archive_plan *p, const char *file_sha256,
			  const char *reason, uint64_t *ret_seq);

/* CSV import. */
enum ledger_encoding {
	LEDGER_ENC_AUTO,   /* BOM or valid UTF-8 -> UTF-8, else CP932 */
	LEDGER_ENC_UTF8,
	LEDGER_ENC_CP932,  /* Shift_JIS as Windows writes it */
};
int ledger_encoding_from_string(const char *s, enum ledger_encoding *ret);
const char *ledger_encoding_name(enum ledger_encoding e);

/* A real spreadsheet's columns and values mapped onto the ledger's fields
 * (csvmap.c; docs/ledger.md, "Real spreadsheets"). */
struct ledger_csv_map;
enum {
	LEDGER_MAP_IGNORE = -1,   /* the column is read and dropped */
	LEDGER_MAP_EXTRA = -2,    /* kept as an extra attribute named by its header */
};
int ledger_csv_map_new(struct ledger_csv_map **ret);
void ledger_csv_map_free(struct ledger_csv_map *m);
static inline void ledger_csv_map_freep(struct ledger_csv_map **m) { ledger_csv_map_free(*m); }
/* Their header to target: a field's name or header (as ledger_field_from_
 * header() knows it), "ignore" or "extra". -ENOENT: no such field. */
int ledger_csv_map_column(struct ledger_csv_map *m, const char *header, const char *target);
/* A cell of field f that reads from is read as to (使用中 -> in-service). */
int ledger_csv_map_value(struct ledger_csv_map *m, enum ledger_field f, const char *from, const char *to);
/* A row's 機密性 level (1..3) gives it importance class (0: none). */
int ledger_csv_map_class(struct ledger_csv_map *m, int confidentiality, int importance);
/* Read [csv] (their header = field | ignore | extra) and [csv values FIELD]
 * (their word = our value) from a map file, or from a policy file
 * (policy_file: its other sections are skipped). -EINVAL with
 * *ret_error "FILE:LINE: what". */
int ledger_csv_map_load(struct ledger_csv_map *m, const char *path, bool policy_file, char **ret_error);
/* What the map says of a header (-ENOENT: nothing), of a value. */
int ledger_csv_map_lookup(const struct ledger_csv_map *m, const char *header, int *ret);
const char *ledger_csv_map_translate(const struct ledger_csv_map *m, enum ledger_field f, const char *v);
int ledger_csv_map_class_of(const struct ledger_csv_map *m, int confidentiality);

struct ledger_import_opts {
	enum ledger_encoding encoding;
	bool dry_run;        /* report what would change, write nothing */
	bool update;         /* rows for existing assets update them (else an error) */
	const char *actor;
	const char *reason;
	/* Called for each data row: action "add", "update", "request" (a
	 * change that waits for an approver, ledger_asset_update()) or
	 * "unchanged"; changes is the JSON diff (NULL for unchanged). */
	void (*row)(unsigned long line, const char *asset_id, const char *action,
		    const char *changes, void *userdata);
	void *userdata;
	/* the spreadsheet's columns and values (may be NULL: headers must be
	 * the ledger's own, in English or Japanese) */
	const struct ledger_csv_map *map;
	/* a column neither the ledger's nor mapped: kept as an extra
	 * attribute named by its header (else the import stops and names it) */
	bool keep_unknown;
	/* Called once per column after the header is read: its header, what
	 * it became (a field's name, "ignored", "extra"), and how ("header":
	 * the ledger's own name, "map", "keep-unknown", "empty") (dry runs
	 * show the mapping). */
	void (*column)(size_t col, const char *header, const char *target, const char *how, void *userdata);
};
struct ledger_import_report {
	enum ledger_encoding encoding;  /* the one used */
	size_t rows, added, updated, requested, unchanged;
	unsigned long error_line;       /* physical line of the bad row, 0 if none */
	char error[256];                /* why, without the line number */
};
/* Import a CSV file in one transaction, every event signed by the handle's
 * signer: on any bad row nothing is written, -EINVAL (or -EEXIST for a taken
 * asset ID) is returned and the report names the line. A cell that begins
 * with an apostrophe guarding a formula character loses that apostrophe
 * (csv_unguard(): what the export added). */
int ledger_import_csv(struct ledger *l, const char *path, const struct ledger_import_opts *o,
		      struct ledger_import_report *ret);
/* The same from memory (tests, stdin). */
int ledger_import_csv_data(struct ledger *l, const char *data, size_t len,
			   const struct ledger_import_opts *o, struct ledger_import_report *ret);

/* CSV cells are written with csv_put_cell() (util.h): a text a spreadsheet
 * would take for a formula gets a guarding apostrophe. */
enum ledger_export_format { LEDGER_EXPORT_CSV, LEDGER_EXPORT_JSON };
struct ledger_export_opts {
	enum ledger_export_format format;
	bool bom;        /* CSV: start with a UTF-8 BOM for spreadsheet software */
	bool japanese;   /* CSV: Japanese headers */
	bool events;     /* JSON: include the whole event chain (for archiving) */
};
int ledger_export(struct ledger *l, FILE *out, const struct ledger_export_opts *o);

/* ---- cases: sealed wipe records, their decisions and certificates ----
 *
 * A station submits each wipe record it seals; a manager anywhere lists the
 * open ones, decides, and the decision (with the certificate it issued)
 * is stored beside the case for the station and the auditor to see. The
 * rows are append-only; what makes them trustworthy is that the record,
 * the decision and the certificate are each signed documents, checked
 * again whenever they are used. The summary fields serve listings only. */
struct ledger_case {
	const char *id;                 /* the case: a job ID, destroy-ASSET-TIME */
	const char *record_sha256;      /* hex SHA-256 of record */
	const uint8_t *record;          /* the technician-signed wipe record */
	size_t record_len;
	const char *signature;          /* its minisign text */
	/* a summary taken from the record, for listings */
	const char *asset_id, *sealed_at, *technician, *device, *method, *result, *verification, *station;
	const char *submitted_at;       /* set by the store */
	/* the decision: NULL (open), "approved" or "rejected" */
	const char *decision;
	const char *decided_at, *approver, *certificate_id;
	const uint8_t *document;        /* the certificate record, or the rejection */
	size_t document_len;
	const char *document_sig;       /* its minisign text */
	const uint8_t *pdf;             /* the signed certificate (approved) */
	size_t pdf_len;
	const char *pdf_sha256;
};

enum {
	LEDGER_CASE_BODIES = 1 << 0,    /* fill record, signature, document, document_sig */
	LEDGER_CASE_PDF = 1 << 1,       /* fill pdf */
	LEDGER_CASE_OPEN = 1 << 2,      /* only cases without a decision */
};

/* Submit a sealed case, with the asset as it is after it (asset may be
 * NULL: no event), in one transaction: the case is stored and the asset's
 * change appended (an update; a note when nothing changed) with reason.
 * Idempotent by the record's hash: 1 stored, 0 this record is there
 * already (nothing appended), -EEXIST the ID holds another record. */
int ledger_case_submit(struct ledger *l, const struct ledger_case *k, const struct ledger_asset *asset,
		       const char *reason, uint64_t *ret_seq);
/* Store the decision on a case (k->decision and its fields; the case's
 * record fields too, stored first if the ledger lacks it) and the asset's
 * change, in one transaction. -EEXIST if the case is decided already
 * (another approver was first), -ENOENT if it is not stored and k holds
 * no record. */
int ledger_case_decide(struct ledger *l, const struct ledger_case *k, const struct ledger_asset *asset,
		       const char *reason, uint64_t *ret_seq);
/* One case (-ENOENT), or every case (id NULL) in sealed_at, ID order; what:
 * LEDGER_CASE_*. The case is valid during the callback only; a negative
 * callback return stops the walk and is returned. */
int ledger_cases(struct ledger *l, const char *id, unsigned what,
		 int (*cb)(const struct ledger_case *k, void *userdata), void *userdata);

/* ---- copying a ledger to another store ---- */

struct ledger_copy_report {
	uint64_t n_events, n_assets, n_cases, n_decisions;
	uint64_t head_seq;
	char head_hash[LEDGER_HASH_HEX];
};
/* Copy everything of from (assets, the whole chain with its signatures,
 * cases and decisions) into to, in one transaction of to: -ENOTEMPTY if
 * to holds any event or asset already, -EBADMSG if from's chain does not
 * verify (nothing is copied). Events keep their numbers, hashes and
 * signatures, so both verify to the same head. */
int ledger_copy(struct ledger *from, struct ledger *to, struct ledger_copy_report *ret);

#endif
