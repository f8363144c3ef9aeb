/* ledger-internal.h - what the ledger's own files share: the connection,
 * transactions and the event append. Never included outside src/ledger/. */
#ifndef WIPECERT_LEDGER_INTERNAL_H
#define WIPECERT_LEDGER_INTERNAL_H

#include <sqlite3.h>
#include <sodium.h>

#include "wipecert/ledger.h"

struct ledger {
	sqlite3 *db;
	char *path;
	bool readonly;
	bool in_tx;
	/* head of the chain, valid inside a write transaction */
	uint64_t head_seq;
	char head_hash[LEDGER_HASH_HEX];
	bool head_moved;
	/* statements kept prepared: an import runs them once a row */
	sqlite3_stmt *cache[8];
};

/* SQLite result code to -errno. */
int ledger_sql_err(int rc);
/* BEGIN IMMEDIATE (waits for the write lock up to the busy timeout) and
 * load the chain head; commit writes the head to meta first. */
int ledger_tx_begin(struct ledger *l);
int ledger_tx_commit(struct ledger *l);
void ledger_tx_rollback(struct ledger *l);

/* Inside a write transaction: insert a new asset / store a changed one and
 * append its event. Both validate nothing beyond the schema: callers pass
 * assets built through ledger_asset_set(). update returns 0 if unchanged. */
int ledger_insert_tx(struct ledger *l, const struct ledger_asset *a, const char *actor,
		     const char *reason, uint64_t *ret_seq);
int ledger_update_tx(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a,
		     const char *actor, const char *reason, uint64_t *ret_seq);
/* JSON diff of two assets (old may be NULL for a new one); NULL if equal. */
char *ledger_diff_json(const struct ledger_asset *old, const struct ledger_asset *a);

/* Offset of the first byte that is not well-formed UTF-8, or len. */
size_t ledger_utf8_check(const uint8_t *s, size_t len);

/* Length-prefixed string into a BLAKE2b state: the canonical serialisation. */
void ledger_hash_str(crypto_generichash_state *st, const char *s);

#endif
