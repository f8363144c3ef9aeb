/* flow-internal.h - shared by the files of the flow layer only. */
#ifndef WIPECERT_FLOW_INTERNAL_H
#define WIPECERT_FLOW_INTERNAL_H

#include <stdint.h>

#include "wipecert/flow.h"
#include "wipecert/ledger.h"

/* Fill err (may be NULL) and return r. */
int flow_fail(struct flow_error *err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* STATE_DIR/ID SUFFIX, or NULL when id is not a plain name. */
char *flow_path(const struct flow_ctx *c, const char *id, const char *suffix);
int flow_sha256_hex(const void *data, size_t len, char out[65]);
/* A method that reads and writes nothing (verify-zero, verify-one): it
 * reaches no sanitisation level and never makes a disk "erased". */
bool flow_method_verify_only(const char *method);
int flow_asset_last_event(struct ledger *l, const char *asset_id, uint64_t *ret_seq,
			  char ret_hash[LEDGER_HASH_HEX]);

/* How an event that records a certificate names the PDF's SHA-256 in its
 * reason ("...; pdf sha256 HEX"): approve and accept write it, the
 * certificate check reads it back (flow_reason_pdf_sha256()). */
#define FLOW_PDF_SHA_TAG "pdf sha256 "
int flow_reason_pdf_sha256(const char *reason, char out[65]);

/* The one certificate check (flow_cert_check()) in its two halves, for
 * audit, which runs the first on many files at once (threads: it reads the
 * trust store only) and the second, the ledger's, one after another. */
int flow_cert_check_pdf(const struct flow_ctx *c, const uint8_t *pdf, size_t len, const struct flow_cert_options *o,
			struct flow_cert_result *ret);
int flow_cert_check_finish(const struct flow_ctx *c, const struct flow_cert_options *o, struct flow_cert_result *res);
/* A PDF about to be handed out (a certificate, a signed report) checked
 * as `verify` will check it (all but the ledger): -EPERM with the first
 * failed check named ("the certificate would not verify: ..."). */
int flow_check_as_verify(const struct flow_ctx *c, const uint8_t *pdf, size_t len, const char *what,
			 struct flow_error *err);

/* The wipe station (host name, DMI) and a signer ({name, role, org,
 * key_id}) as the records name them. */
struct trust_seckey;
json_t *flow_signer_json(const struct trust_seckey *k);

/* ---- cases on the ledger (submit.c) ---- */

/* What the ledger says of an asset before a wipe (STATE_DIR/ledger-
 * snapshot/ASSET.json), for a seal while the ledger is unreachable. */
int flow_snapshot_put(const struct flow_ctx *c, const struct ledger_asset *a);
int flow_snapshot_get(const struct flow_ctx *c, const char *asset_id, struct ledger_asset *ret, uint64_t *ret_seq,
		      char ret_hash[LEDGER_HASH_HEX]);
/* The outbox entry of a sealed case (STATE_DIR/outbox/ID.json), written
 * before its record: the asset's new status (NULL: a note), the event's
 * reason and the record's hash. */
int flow_outbox_put(const struct flow_ctx *c, const char *id, const char *asset_id, const char *status,
		    const char *reason, const char *record_sha256);
bool flow_outbox_has(const struct flow_ctx *c, const char *id);
/* Is the entry kept for the central ledger (written with keep_outbox)? */
bool flow_outbox_kept(const struct flow_ctx *c, const char *id);
/* Submit the case of an outbox entry, its events signed by k: 0 done (the
 * entry removed), FLOW_QUEUED when the ledger is unreachable. */
int flow_submit(const struct flow_ctx *c, const char *id, const struct trust_seckey *k, struct flow_error *err);

/* A decision to record in the ledger with the asset's change. */
struct flow_decision {
	const char *id, *asset_id;
	const uint8_t *record, *record_sig;     /* the case's wipe record and signature */
	size_t record_len, record_sig_len;
	const char *status;                     /* the asset's status after it, NULL: unchanged */
	const char *certificate_id;             /* approved; NULL: rejected */
	const char *approver;
	const uint8_t *document;                /* the certificate record, or the rejection */
	size_t document_len;
	const char *document_sig;
	const uint8_t *pdf;                     /* the signed certificate */
	size_t pdf_len;
	const char *reason;                     /* of the ledger event */
};
/* Record d in c->ledger (nothing without one): -EEXIST if the case was
 * decided there already. */
int flow_record_decision(const struct flow_ctx *c, const struct flow_decision *d, struct flow_error *err);
/* The ledger's decision on case id ("approved", "rejected"; NULL if none,
 * or no such case, or no ledger). */
int flow_ledger_decision(const struct flow_ctx *c, const char *id, char **ret);
/* The wipe record of case id and its signature, from the ledger. */
int flow_ledger_record(const struct flow_ctx *c, const char *id, uint8_t **ret_rec, size_t *ret_rec_len,
		       uint8_t **ret_sig, size_t *ret_sig_len);
/* The cases the ledger holds, as flow_cases() lists them. */
int flow_ledger_cases(const struct flow_ctx *c, struct flow_case **ret, size_t *ret_n);
struct ledger_case;
int flow_case_from_ledger(const struct flow_ctx *c, const struct ledger_case *k, struct flow_case *ret);
/* A case from its record in the state directory only. */
int flow_case_load_local(const struct flow_ctx *c, const char *id, struct flow_case *ret);
/* The lifecycle table (lifecycle.h) on a step: may op be done to the asset
 * in its status? 0, or -EPERM with err naming the status and why. The
 * second reads the asset from c->ledger (no ledger, or no such asset: 0,
 * the step's own checks speak). */
enum lc_op;
int flow_lifecycle_allows(const struct ledger_asset *a, enum lc_op op, struct flow_error *err);
int flow_lifecycle_check(const struct flow_ctx *c, const char *asset_id, enum lc_op op, struct flow_error *err);

#endif
