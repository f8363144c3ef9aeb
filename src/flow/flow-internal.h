/* flow-internal.h - shared by the files of the flow layer only. */
#ifndef WIPECERT_FLOW_INTERNAL_H
#define WIPECERT_FLOW_INTERNAL_H

#include <stdint.h>

#include "wipecert/flow.h"
#include "wipecert/ledger.h"

/* Fill err (may be NULL) and return r. */
int flow_fail(struct flow_error *err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *flow_state_dir(const struct flow_ctx *c);
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
json_t *flow_station_json(const char *dmi_dir);
struct trust_seckey;
json_t *flow_signer_json(const struct trust_seckey *k);

/* The lifecycle table (lifecycle.h) on a step: may op be done to the asset
 * in its status? 0, or -EPERM with err naming the status and why. The
 * second reads the asset from c->ledger (no ledger, or no such asset: 0,
 * the step's own checks speak). */
enum lc_op;
int flow_lifecycle_allows(const struct ledger_asset *a, enum lc_op op, struct flow_error *err);
int flow_lifecycle_check(const struct flow_ctx *c, const char *asset_id, enum lc_op op, struct flow_error *err);

#endif
