/* ledger-sign.h - ledger events signed by their actor (変更履歴 with
 * non-repudiation): the signed form of an event, the signer every write
 * needs, checking every signature of the chain against the trust roster,
 * the adoption of unsigned legacy events, the trust lists' serials the
 * ledger remembers, and approving the changes the policy depends on.
 *
 * Its job: tie each event of the history to the key of the person it names
 * as its actor, in a form an auditor checks offline with `minisign -V`, and
 * let a change the disposal policy depends on take effect only with an
 * approver's signature. It must never sign an event for anyone but its
 * actor, never count an event whose signature fails as signed, never accept
 * an unsigned event that no signed adoption covers, and never print or
 * exit. Returns >= 0 or -errno; ret_ untouched on failure.
 *
 * The signed bytes (docs/ledger.md, "Signed events") are the canonical JSON
 * (canon.h) of
 *   {"actor","asset_id","changes" (the text that was hashed),"hash","kind",
 *    "prev_hash","reason","seq","state_hash","time_local","time_utc",
 *    "type":"ledger-event"}
 * signed with trust_sign(TRUST_DOC_LEDGER_EVENT) at the event's own time,
 * in the same transaction that appends the event; the minisign text is
 * stored beside it with the signer's key id.
 */
#ifndef WIPECERT_LEDGER_SIGN_H
#define WIPECERT_LEDGER_SIGN_H

#include "wipecert/ledger.h"
#include "wipecert/trust.h"

/* The bytes that are signed for e (malloc'd, NUL-terminated). */
int ledger_event_canonical(const struct ledger_event *e, char **ret, size_t *ret_len);

/* Every event appended through l from now on is signed by k, whose holder
 * is its actor (NULL: no signer; writes then fail with -ENOKEY). k must
 * stay valid while it is set. -EPERM if k's role may not sign ledger events. */
int ledger_set_signer(struct ledger *l, const struct trust_seckey *k);

enum ledger_sig_problem {
	LEDGER_SIG_OK,
	LEDGER_SIG_UNSIGNED,       /* an event without signature that no adoption covers */
	LEDGER_SIG_INVALID,        /* trust_verify() said no: see verdict */
	LEDGER_SIG_NOT_ACTOR,      /* a valid signature by someone else than the actor */
	LEDGER_SIG_KEY_ID,         /* the key_id column does not name the signing key */
	LEDGER_SIG_TIME,           /* signed at another time than the event says */
	LEDGER_SIG_FOREIGN,        /* signed by a member of another organisation (a contractor) */
	LEDGER_SIG_ROLE,           /* an approval, denial or adoption by a role that may not */
	LEDGER_SIG_UNAPPROVED,     /* a change the policy depends on without a valid approval */
};

struct ledger_sig_result {
	uint64_t n_events, n_signed;
	uint64_t n_legacy;               /* unsigned events an adoption covers */
	uint64_t n_covered;              /* unsigned events a batch signature covers */
	uint64_t legacy_upto;            /* the last event adopted as legacy, 0 if none */
	enum ledger_sig_problem problem;
	enum trust_verdict verdict;      /* for LEDGER_SIG_INVALID */
	uint64_t bad_seq;
	char bad_asset[128];
	char detail[512];                /* one line, names the event */
};

/* Check every event against the store: its signature, its signer (the
 * actor, a member of the store's own organisation, at the event's time),
 * that unsigned events lie in an adopted legacy range, and that every change
 * the policy depends on was approved by an approver who did not ask for it.
 * Returns 0 if all pass, -EBADMSG at the first that does not (ret says
 * which), other -errno if the walk failed. ret is filled in both first
 * cases. Checks signatures only: run ledger_verify() for the chain first. */
int ledger_verify_signatures(struct ledger *l, const struct trust_store *s, struct ledger_sig_result *ret);

/* The same for the events of one asset: what a step that trusts the
 * asset's class and status (approving its certificate) checks first,
 * without walking the whole ledger. The chain itself is not walked. */
int ledger_verify_asset(struct ledger *l, const struct trust_store *s, const char *asset_id,
			struct ledger_sig_result *ret);

/* Mark every unsigned event so far as legacy, by the handle's signer (an
 * org-root or approver key: -EPERM otherwise): one signed "adopt-legacy"
 * event whose signature covers the chain up to it. -EALREADY if there is no
 * unsigned event after the last adoption. ret_upto: the last event adopted. */
int ledger_adopt_legacy(struct ledger *l, const char *reason, uint64_t *ret_upto, uint64_t *ret_seq);

/* ---- the trust lists' serials the ledger remembers ---- */

struct ledger_trust_report {
	char list[96];               /* "roster of KEYID" / "revocation list of KEYID" */
	uint64_t store_serial;       /* in the trust directory */
	uint64_t ledger_serial;      /* the highest the ledger recorded */
	uint64_t event;              /* the event that recorded it */
};
/* Compare the serials of the store's signed lists (trust_store_list()) with
 * the highest the ledger's "trust-serial" events recorded: -ESTALE if the
 * store holds an older list (a rollback; ret says which), else 0. */
int ledger_trust_check(struct ledger *l, const struct trust_store *s, struct ledger_trust_report *ret);
/* The same, then record the store's newer serials in one "trust-serial"
 * event signed by the handle's signer: 1 if recorded, 0 if nothing was new. */
int ledger_trust_record(struct ledger *l, const struct trust_store *s, struct ledger_trust_report *ret,
			uint64_t *ret_seq);

/* From now on every write through l (that appends events) also records the
 * store's newer serials, in the same transaction and signed by the same
 * signer, and fails with -ESTALE (nothing written) if the store holds an
 * older list than the ledger recorded. s must stay valid while set; NULL
 * turns it off. */
int ledger_set_trust(struct ledger *l, const struct trust_store *s);

/* ---- change requests and their approval (approval.c) ---- */

/* A pending request, valid during the callback only. */
struct ledger_request {
	uint64_t seq;
	const char *asset_id;
	const char *changes;         /* {"field":[approved value, requested value]} */
	const char *actor;
	const char *reason;
	const char *time_utc;
	bool current;                /* false: the approved values changed since: it cannot be approved */
};
int ledger_requests(struct ledger *l, const char *asset_id,
		    int (*cb)(const struct ledger_request *q, void *userdata), void *userdata);

struct ledger_change_result {
	char asset_id[128];
	char changes[512];
	char detail[256];            /* why not, one line */
};
/* Approve (or deny) the pending request seq with the handle's signer, who
 * must be an approver in the store's roster, valid and not revoked now, and
 * another person with another key than the requester. Approving applies the
 * changes in an "approve" event; denying drops the request ("deny"; the
 * requester may withdraw it too). -ENOENT (no such request), -ESRCH
 * (replaced by a newer request, or answered), -ESTALE (the values it starts
 * from changed), -EACCES (the signer may not), -EPERM (the same person);
 * ret->detail says it in words. */
int ledger_change_approve(struct ledger *l, const struct trust_store *s, uint64_t seq, const char *reason,
			  struct ledger_change_result *ret, uint64_t *ret_seq);
int ledger_change_deny(struct ledger *l, const struct trust_store *s, uint64_t seq, const char *reason,
		       struct ledger_change_result *ret, uint64_t *ret_seq);

/* ---- archives (archive.c; ledger.h plans and commits them) ---- */

/* An archive file checked alone (the trust store for its signatures):
 * its own signature (.minisig: an approver or the org-root of the store's
 * organisation), the chain from prev_hash to head_hash, every event's
 * signature (a batch's coverage too), each checkpoint the state its
 * asset's last event there left. -EBADMSG with ret->detail. */
struct ledger_archive_report {
	uint64_t first, last, n_events, n_signed, n_covered, n_checkpoints;
	char prev_hash[LEDGER_HASH_HEX], head_hash[LEDGER_HASH_HEX];
	char signer[300];
	char detail[512];
};
int ledger_archive_verify(const uint8_t *doc, size_t len, const char *sig, size_t sig_len,
			  const struct trust_store *s, struct ledger_archive_report *ret);

#endif
