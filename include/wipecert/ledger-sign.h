/* ledger-sign.h - ledger events signed by their actor (変更履歴 with
 * non-repudiation): the signed form of an event, signing, and checking
 * every signature of the chain against the trust roster.
 *
 * Its job: tie each event of the history to the key of the person it names
 * as its actor, in a form an auditor checks offline with `minisign -V`. It
 * must never sign an event for anyone but its actor, never count an event
 * whose signature fails as signed, and never print or exit. Returns >= 0 or
 * -errno; ret_ untouched on failure.
 *
 * The signed bytes (docs/ledger.md, "Signed events") are the canonical JSON
 * (canon.h) of
 *   {"actor","asset_id","changes" (the text that was hashed),"hash","kind",
 *    "prev_hash","reason","seq","state_hash","time_local","time_utc",
 *    "type":"ledger-event"}
 * signed with trust_sign(TRUST_DOC_LEDGER_EVENT) at the event's own time;
 * the minisign signature text is stored with ledger_event_set_signature()
 * and the signer's key id.
 */
#ifndef WIPECERT_LEDGER_SIGN_H
#define WIPECERT_LEDGER_SIGN_H

#include "wipecert/ledger.h"
#include "wipecert/trust.h"

/* The bytes that are signed for e (malloc'd, NUL-terminated). */
int ledger_event_canonical(const struct ledger_event *e, char **ret, size_t *ret_len);

/* Sign events first..last (inclusive; unsigned ones only) with k. Every
 * event's actor must be k's name (else -EPERM and nothing more is signed)
 * and k's role must be one that may sign ledger events (-EPERM). Events
 * signed already are -EEXIST. ret_n (may be NULL): how many were signed. */
int ledger_event_sign(struct ledger *l, uint64_t first, uint64_t last,
		      const struct trust_seckey *k, uint64_t *ret_n);

enum ledger_sig_problem {
	LEDGER_SIG_OK,
	LEDGER_SIG_UNSIGNED,       /* only with require_signed */
	LEDGER_SIG_INVALID,        /* trust_verify() said no: see verdict */
	LEDGER_SIG_NOT_ACTOR,      /* a valid signature by someone else than the actor */
	LEDGER_SIG_KEY_ID,         /* the key_id column does not name the signing key */
	LEDGER_SIG_TIME,           /* signed at another time than the event says */
};

struct ledger_sig_result {
	uint64_t n_events, n_signed, n_unsigned;
	uint64_t first_unsigned;         /* 0 if none */
	enum ledger_sig_problem problem;
	enum trust_verdict verdict;      /* for LEDGER_SIG_INVALID */
	uint64_t bad_seq;
	char bad_asset[128];
	char detail[512];                /* one line, names the event */
};

/* Check the signature of every event against the store. Returns 0 if every
 * signed event is valid (and, with require_signed, none is unsigned),
 * -EBADMSG at the first bad one (ret says which), other -errno if the walk
 * failed. ret is filled in both first cases. Checks signatures only: run
 * ledger_verify() for the chain. */
int ledger_verify_signatures(struct ledger *l, const struct trust_store *s, bool require_signed,
			     struct ledger_sig_result *ret);

#endif
