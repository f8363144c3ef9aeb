/* flow.h - the steps of a disposal, each calling the layers below: seal a
 * finished wipe into a technician-signed wipe record, list what awaits
 * approval, approve (and issue the certificate) or reject.
 *
 * Its job: order and bind the documents so that each one names, by hash,
 * the one before it: job -> wipe record (technician) -> certificate record
 * (approver, naming the wipe record and its signature) -> PDF (approver's
 * X.509). It must never print or exit, never issue a certificate whose wipe
 * record does not verify against the roster, and never let one person
 * both perform and approve.
 *
 * A case lives in the state directory beside the erase layer's job file:
 *   ID.json                         the job (holds the seed: 0600)
 *   ID.wipe-record.json             canonical JSON, type "wipe-record"
 *   ID.wipe-record.json.minisig     the technician's signature
 *   ID.cert.json, ID.cert.json.minisig   the approved certificate record
 *   ID.pdf                          the signed certificate
 *   ID.rejected.json, ID.rejected.json.minisig   a refusal, with reason
 *
 * A physical destruction is a case too (ID "destroy-ASSET-YYYYMMDDThhmmssZ",
 * no job file): its wipe record holds a "destruction" object (method,
 * witness, photo hashes, time) instead of "job"; approval turns it into a
 * certificate of sanitization type "destroy" (docs/workflow.md).
 */
#ifndef WIPECERT_FLOW_H
#define WIPECERT_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "wipecert/drive.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/pdf.h"
#include "wipecert/policy.h"
#include "wipecert/trust.h"

struct ledger;
struct trust_seckey;
struct trust_store;
struct flow_parties;

#define WIPE_RECORD_SCHEMA "wipecert.wipe-record/1"

struct flow_ctx {
	const char *state_dir;          /* NULL: $WIPECERT_STATE_DIR or the default */
	struct ledger *ledger;          /* may be NULL: no ledger checks or events */
	const struct trust_store *trust;/* needed to approve */
	const struct policy *policy;    /* NULL: the built-in policy */
	const char *logo;               /* certificate logo (PNG), may be NULL */
	const char *font;               /* NULL: IPAex Gothic */
	const char *dmi_dir;            /* NULL: /sys/class/dmi/id (tests give a fixture) */
	bool ledger_away;               /* a ledger is configured but its database could
					   not be reached (ledger NULL): a seal takes the
					   asset from the snapshot its wipe's checks left
					   and waits in the outbox (FLOW_QUEUED) */
	bool keep_outbox;               /* the ledger stands in for the central one (the
					   wipecert stick's copy), or there is none: every
					   sealed record also waits in STATE_DIR/outbox
					   for `wipecert sync` against the central one */
	const struct flow_parties *parties; /* what certificates name besides the disks (may be NULL) */
};

/* The machine this runs on, as a wipe record names it: host name and the
 * DMI system identity (vendor, product, serial, asset tag), from dmi_dir
 * (NULL: /sys/class/dmi/id). A JSON object; absent fields are left out. */
json_t *flow_station_json(const char *dmi_dir);

/* The state directory: c->state_dir, else $WIPECERT_STATE_DIR, else the default. */
const char *flow_state_dir(const struct flow_ctx *c);

/* Why a step refused (one line): msg in English (JSON, the operation
 * log), text the same in the operator's language (gettext; po/ja.po):
 * print flow_error_text(). */
struct flow_error {
	char msg[512];
	char text[1024];
};
static inline const char *flow_error_text(const struct flow_error *e)
{
	return e->text[0] ? e->text : e->msg;
}

/* The person whose key signs the ledger events a step appends (every
 * event is signed by the person who causes it): k becomes the ledger's
 * signer. With a trust store, the store's signed lists must not be older
 * than those the ledger recorded (-ESTALE: a rollback, refused), and newer
 * serials are recorded, signed by k, with the step's own event
 * (ledger_set_trust()). No ledger: 0. */
int flow_ledger_signer(const struct flow_ctx *c, const struct trust_seckey *k, struct flow_error *err);

/* The level a method reaches: LEVEL_CLEAR for overwrites, LEVEL_PURGE for
 * firmware sanitize/secure erase/crypto erase, LEVEL_DESTROY for physical
 * destruction; 0 if unknown. */
unsigned flow_method_level(const char *method);

/* Policy and ledger checks before a wipe writes anything: the asset exists,
 * is not already disposed of, the disk's serial/WWN are the asset's, and the
 * method meets the policy for the asset's class. image_file: the target
 * reports no identity of its own (an image file, a loop device): the
 * operator's choice of asset is all there is. -EPERM (refused) or -ENOENT
 * (no such asset) with err filled. */
int flow_check_before_wipe(const struct flow_ctx *c, const char *asset_id, const char *method,
			   const char *serial, const char *wwn, bool image_file, struct flow_error *err);

/* The method the policy asks for an asset of this class on this drive,
 * for a front end that picks it without the operator (the station): the
 * first method of the class's allow list that the drive can run now; with
 * no list, an overwrite (overwrite, NULL: "random") when the class accepts
 * clear, else the fastest firmware method that reaches purge. caps NULL:
 * the device has no firmware erase (loop device, image file). p NULL: the
 * built-in policy. 0 and *ret (a static name), or -EPERM with err saying
 * why none fits (-EINVAL: not a class). */
struct drive_caps;
int flow_policy_method(const struct policy *p, int asset_class, const struct drive_caps *caps,
		       const char *overwrite, const char **ret, struct flow_error *err);

/* May k sign documents of type doc now, by the roster in s: a role that
 * may sign it, a member known to the roster, valid today, not revoked.
 * Checked when a key is unlocked for a whole session (the station), so
 * that hours of wiping do not end in seals no one can accept. 0, or
 * -EPERM (role), -ENOKEY (unknown), -EKEYEXPIRED (expired or not yet
 * valid), -EKEYREVOKED, with err saying so. */
int flow_check_signer(const struct trust_store *s, const struct trust_seckey *k, enum trust_doc doc,
		      struct flow_error *err);

/* Seal a finished job: build the wipe record (the public job record, the
 * asset as the ledger has it, the technician, the station), sign it with
 * the technician's key, write it, and append the ledger event (status
 * "erased" for a verified wipe; for a failed one the status stays and the
 * event says why). ret_event_hash may be NULL. */
int flow_seal(const struct flow_ctx *c, const char *job_id, const char *asset_id,
	      const struct trust_seckey *tech, char **ret_record_path, struct flow_error *err);

/* A firmware erase run and written down (firmware.c): the job ID, what
 * the drive layer answered, and the job record <state dir>/ID.firmware.json
 * (one pass "firmware", verified by the sampled read-back, the drive's
 * answer under "firmware"). When res.refused nothing touched the data and
 * no record is written. */
struct flow_firmware {
	char *job_id;
	char *record_path;      /* NULL when refused */
	json_t *record;
	struct drive_erase_result res;
};
/* Returns 0 when the erase ran to an answer (look at res), -errno when its
 * record could not be written (the erase did happen: ret is filled). */
int flow_firmware_wipe(const struct flow_ctx *c, const struct disk *d, enum drive_method method,
		       const struct drive_erase_opts *o, drive_progress_fn progress, void *userdata,
		       struct flow_firmware *ret, struct flow_error *err);
void flow_firmware_release(struct flow_firmware *f);

/* One case for `pending` and `approve`: what the wipe record says. */
struct flow_case {
	char *id;
	char *state;            /* "awaiting-approval", "approved", "rejected" */
	char *asset_id;
	char *device;           /* model and serial */
	char *method;
	char *job_state;        /* "succeeded", "failed" */
	char *verification;     /* "passed", "failed", "none" */
	char *technician;
	char *sealed_at;
	char *certificate;      /* path of the PDF once approved (here) */
	char *certificate_id;   /* the certificate's number, when the ledger has it */
	char *station;          /* where it was sealed, when the ledger has it */
	bool in_ledger;         /* the ledger holds the case */
};
void flow_case_release(struct flow_case *fc);
/* Every case, oldest first: those the ledger holds (of every station; the
 * state the ledger says) and those sealed here that it does not hold
 * ("awaiting-submission" while the ledger was unreachable). */
int flow_cases(const struct flow_ctx *c, struct flow_case **ret, size_t *ret_n);
int flow_case_load(const struct flow_ctx *c, const char *id, struct flow_case *ret);

/* flow_seal() and flow_destroy() return FLOW_QUEUED when the record is
 * sealed and written but the ledger was unreachable: it waits in the state
 * directory's outbox for flow_sync(). */
#define FLOW_QUEUED 1

struct flow_sync_report {
	size_t submitted;       /* records the ledger took in now (or had from a lost answer) */
	size_t waiting;         /* records still waiting: the ledger unreachable, or no key */
	size_t failed;          /* records refused: err says why for the first */
	size_t decisions;       /* decisions copied into the state directory */
};
/* flow_sync() flags: also the entries kept for the central ledger
 * (flow_ctx.keep_outbox), and remove them once it has them: the operator's
 * own `wipecert sync`, never a command submitting on its way. */
#define FLOW_SYNC_KEPT 1u
/* Submit every sealed record that waits in the state directory's outbox,
 * each exactly once (the ledger keeps a case once by its record's hash),
 * with the ledger events signed by k, who submits (NULL: nothing is
 * submitted, the waiting ones are counted); then copy the decisions the
 * ledger holds on the cases sealed here into the state directory, those
 * the roster vouches for (c->trust). Returns 0 when it ran (see ret), -errno
 * when it could not. */
int flow_sync(const struct flow_ctx *c, const struct trust_seckey *k, unsigned flags, struct flow_sync_report *ret,
	      struct flow_error *err);

/* Export a sealed case for approval elsewhere: one JSON bundle holding the
 * wipe record and its signature as text. */
int flow_export_record(const struct flow_ctx *c, const char *id, char **ret_json);
/* Import such a bundle into the state directory (the signature is checked
 * against the roster first); *ret_id gets the case ID. */
int flow_import_record(const struct flow_ctx *c, const char *bundle, size_t len, char **ret_id,
		       struct flow_error *err);

struct flow_approval {
	char *certificate_id;
	char *pdf_path;
	char *record_sha256;    /* of the certificate record's canonical bytes */
	char *pdf_sha256;
	bool erased;            /* the banner: erased and verified, or failed (a list: every row) */
	bool verified_only;     /* or verified only (a verify-only method) */
	size_t n_rows, n_failed; /* a list certificate's rows, and those that failed */
};
void flow_approval_release(struct flow_approval *a);

/* Approve a sealed case: verify the wipe record against the roster (a
 * technician's, valid, not revoked), separation of duties, the policy
 * (approver role for the asset's class), then build and sign the
 * certificate record and the PDF. The ledger gets an event with the
 * certificate's ID and hash (status "approved" for an erased disk). */
int flow_approve(const struct flow_ctx *c, const char *id, const struct trust_seckey *approver,
		 const char *destination, struct flow_approval *ret, struct flow_error *err);

/* Approve many sealed cases with one list certificate (the list form,
 * CERT_LIST_SCHEMA): each case is checked as flow_approve() checks one (a
 * case listed twice, decided already, or whose asset is not in this ledger
 * is refused, naming it), failed wipes are listed as failed rows, never
 * left out. The certificate is STATE_DIR/CERTID.pdf (with .cert.json and
 * its .minisig); each case gets ID.listed naming it; each asset's ledger
 * event names the list. Nothing is written unless every case passed. */
int flow_approve_list(const struct flow_ctx *c, const char *const *ids, size_t n, const struct trust_seckey *approver,
		      const char *destination, struct flow_approval *ret, struct flow_error *err);

/* ---- the one issuing path (issue.c) ---- */

/* A signed document (canonical JSON) and its minisign signature text. */
struct flow_doc {
	const uint8_t *data, *sig;
	size_t len, sig_len;
};

/* One disk of a list certificate: the technician's signed record, a
 * witness's signed statement about it (data NULL: none), the asset's last
 * ledger event (may be NULL), and a label for refusals (the case ID). */
struct flow_evidence {
	struct flow_doc record;
	struct flow_doc witness;
	const char *event_hash;
	const char *label;
};

/* What a certificate names besides the disks (schema /2): each NULL
 * field takes the policy's [certificate] default. */
struct flow_parties {
	const char *client, *client_unit;   /* 依頼者 */
	const char *site, *room;            /* 作業場所 */
	const char *approval_ref;           /* 起案・決裁番号 */
	const char *document_number;        /* 文書番号 */
	const char *layout;                 /* "standard" or "municipal" */
};

/* What a certificate is issued for: the technician's signed record (a
 * wipe record or a destruction record, canonical JSON) and its .minisig;
 * or, for the list form, n_items of them. */
struct flow_issue_request {
	const uint8_t *evidence, *evidence_sig;
	size_t evidence_len, evidence_sig_len;
	const struct trust_seckey *approver;
	const char *destination;        /* may be NULL */
	const char *event_hash;         /* the asset's last ledger event, may be NULL */
	/* the record to sign; NULL: built from the evidence. A given record
	 * is refused unless it states exactly what the evidence states, names
	 * it and its signature by SHA-256 and names this approver. */
	const struct cert_record *record;
	bool cades;                     /* SubFilter ETSI.CAdES.detached */
	struct flow_doc witness;        /* a witness's statement about the evidence */
	/* the list form (CERT_LIST_SCHEMA): one certificate for these disks,
	 * each checked as a single one is (the evidence fields above unused) */
	const struct flow_evidence *items;
	size_t n_items;
	const struct flow_parties *parties;  /* may be NULL */
	/* custody: the hand-over list (引渡書) the contractor holds the assets
	 * under, and its receipt (受領書); data NULL for the owner's own work */
	struct flow_doc handover, receipt;
};

struct flow_issued {
	struct cert_record *record;
	char *canon;                    /* the record's canonical bytes */
	size_t canon_len;
	char *record_sig;               /* the approver's .minisig of them */
	uint8_t *pdf;                   /* the signed certificate */
	size_t pdf_len;
	char record_sha256[65], pdf_sha256[65];
	bool erased;                    /* result erased_and_verified (a list: every row) */
	bool verified_only;             /* result verified_only: read, nothing written */
	bool destroyed;                 /* sanitization type destroy */
	size_t n_failed;                /* a list's rows that failed */
};
void flow_issued_release(struct flow_issued *i);

/* Issue a certificate: the technician's signature verifies per the roster
 * (c->trust), the approver's key may sign certificates and is the roster's,
 * the policy allows the method for the asset's class and names the
 * approver's role, the record states what the evidence states, the
 * approver signs, the roster and separation of duties judge that
 * signature, the PDF is rendered and signed, and it must pass
 * flow_cert_check() (without the ledger, not yet written). Writes
 * nothing. -EPERM refused (err says why). Used by flow_approve() and
 * `cert issue`: there is no other way to make a certificate. */
int flow_issue(const struct flow_ctx *c, const struct flow_issue_request *req, struct flow_issued *ret,
	       struct flow_error *err);

/* ---- the one certificate check (certcheck.c) ---- */

enum flow_cert_verdict {
	FLOW_CERT_INVALID,
	FLOW_CERT_VALID,
	FLOW_CERT_SUPERSEDED,   /* genuine, but no longer the asset's current disposal */
};

struct flow_cert_options {
	STACK_OF(X509) *ca;     /* CAs trusted besides the trust store's (--ca), may be NULL */
	const char *asset_id;   /* the certificate must be this asset's (--asset), may be NULL */
	bool ledger;            /* run the ledger check (needs c->ledger) */
	bool chain;             /* and first ledger_verify() the whole chain */
};

struct flow_cert_result {
	struct cert_verify_report rep;
	enum flow_cert_verdict verdict;
	bool superseded;        /* the ledger check failed for a later change only */
	char *ledger_status;    /* the asset's status now, when the ledger was read */
};
void flow_cert_result_release(struct flow_cert_result *r);

/* Check a certificate PDF as `verify`, `audit` and `accept` do: the CAs of
 * the trust store (c->trust: its ca.crt and each pinned contractor's) and
 * o->ca, cert_pdf_verify() with the roster (none: X.509 only, the roster
 * check skipped), then with o->ledger the ledger check: the asset (the
 * record's ledger entry) exists, holds a serial/WWN that is the record's,
 * the event the certificate names is in its history (ours), an event
 * recorded this certificate ID with this file's SHA-256, at its signing
 * time (a contractor's: after it), not after the approver's key was
 * revoked (o->chain: the chain verified first); and nothing since moved the
 * asset out of its disposal (another certificate, a new serial/WWN, a
 * status other than approved, disposed, destroyed, handed-to-contractor):
 * else SUPERSEDED. Returns 0 (see ret->verdict) or -ENOMEM. */
int flow_cert_check(const struct flow_ctx *c, const uint8_t *pdf, size_t len, const struct flow_cert_options *o,
		    struct flow_cert_result *ret);

/* Refuse a sealed case, signed by the approver, with the reason. */
int flow_reject(const struct flow_ctx *c, const char *id, const struct trust_seckey *approver,
		const char *reason, struct flow_error *err);

/* ---- contractor hand-over (accept.c) ---- */

/* One check of `accept`: the certificate's own checks (cert_check_name())
 * and the owner's ("contractor", "separation", "result", "ledger-asset",
 * "ledger-status", "identity", "not-reused"). */
struct flow_accept_check {
	const char *name;
	bool ok;
	char detail[240];
};

#define FLOW_ACCEPT_MAX_CHECKS 32

struct flow_acceptance {
	struct flow_accept_check checks[FLOW_ACCEPT_MAX_CHECKS];
	size_t n_checks;
	bool accepted;          /* every check passed and it was recorded */
	char *certificate_id;   /* from the record, when readable */
	char *asset_id;         /* the (first) asset */
	size_t n_assets;        /* a list certificate's rows */
	char *contractor;       /* the contractor's organisation */
	char *technician, *approver;
	char pdf_sha256[65];
	char *archive_path;     /* STATE_DIR/accepted/CERTID.pdf once recorded */
};
void flow_acceptance_release(struct flow_acceptance *a);

/* Accept a contractor's certificate on the owner's side: verify the PDF
 * with the owner's trust store (the contractor's roster pinned by the
 * owner's root; CAs: the owner's ca.crt and each pinned contractor's
 * contractors/KEYID/ca.crt), that a contractor-technician of the pinned
 * contractor performed and another person, its contractor-approver,
 * approved, and against the owner's ledger (c->ledger is required): the
 * asset exists, is handed-to-contractor, its serial/WWN are the
 * certificate's, and the certificate ID was not accepted before. Only then
 * copy the PDF to STATE_DIR/accepted/CERTID.pdf and move the asset to
 * "disposed" with the certificate ID. Returns 0 when accepted, -EPERM when
 * a check failed (ret->checks names every one; nothing was written), other
 * -errno when reading or writing failed (err says why). */
int flow_accept(const struct flow_ctx *c, const uint8_t *pdf, size_t len, const char *actor,
		struct flow_acceptance *ret, struct flow_error *err);

/* ---- witnesses (witness.c) ---- */

/* A witness's signed statement (CERT_WITNESS_SCHEMA) that they saw the
 * work doc states (kind "erasure", "destruction" or "handover"; id names
 * it, subject the asset): canonical JSON and its .minisig text, signed at
 * when (0: now). -EPERM when the key is not a witness's or is the
 * technician's who signed doc. */
int flow_witness_sign(const uint8_t *doc, size_t len, const char *kind, const char *id, const char *subject,
		      const struct trust_seckey *witness, time_t when, char **ret_json, char **ret_sig,
		      struct flow_error *err);
/* Witness a sealed case: STATE_DIR/ID.witness.json and .minisig beside
 * its record (approve attaches them to the certificate), and a ledger
 * note. -EEXIST when witnessed already. */
int flow_witness(const struct flow_ctx *c, const char *id, const struct trust_seckey *witness, char **ret_path,
		 struct flow_error *err);

/* ---- custody: hand-over lists and receipts (custody.c) ---- */

/* A hand-over list (引渡書) of assets to a contractor: the owner's
 * approver signs it for assets of the ledger (tier 1); a contractor's
 * approver signs one that hands on assets of the list it received
 * (parent: tier 2 and on, with the owner's approval of the sub-contractor
 * made beforehand). to_root: the receiving contractor's root key, which
 * the signer's roster must pin. */
struct flow_handover_request {
	const char *const *assets;
	size_t n_assets;
	const struct trust_pubkey *to_root;
	const char *approval_ref;       /* 起案・決裁番号, may be NULL */
	struct flow_doc parent;         /* a later tier: the list received */
	struct flow_doc sub_approval;   /* a later tier: the owner's approval of the sub-contractor */
};

struct flow_handover {
	char *id;               /* HO-YYYYMMDD-... */
	char *path;             /* STATE_DIR/custody/ID.json (its .minisig beside) */
	char *receipt_path;     /* flow_receive(): the receipt */
	char *to;               /* the contractor (or, for a receipt, who handed over) */
	size_t n_assets;
	int tier;
};
void flow_handover_release(struct flow_handover *h);

/* Sign a hand-over list: every asset in the ledger, tied to a disk by its
 * serial/WWN, here (not disposed, destroyed or handed over), listed once;
 * the contractor pinned. The ledger notes it on each asset; the status
 * moves only when flow_custody_record() has both signatures. */
int flow_handover(const struct flow_ctx *c, const struct flow_handover_request *q, const struct trust_seckey *approver,
		  struct flow_handover *ret, struct flow_error *err);
/* The contractor's side: a hand-over list for our organisation (to:
 * our root key), countersigned by our key (受領書), kept in
 * STATE_DIR/custody/; with a ledger, each asset is added to ours as the
 * owner described it (or must be the same disk when there). */
int flow_receive(const struct flow_ctx *c, const struct flow_doc *handover, const struct trust_seckey *receiver,
		 struct flow_handover *ret, struct flow_error *err);
/* The owner records a hand-over list with its receipt: the list's
 * signature is our approver's (tier 1) or, for a later tier, an approver of
 * the contractor the parent list (recorded here) went to, with our
 * approval of the sub-contractor made before; the receipt is signed by a
 * key of the contractor the list names, whose root we pin; each asset is
 * still ours and the disk the list describes. Tier 1 asks the ledger to move
 * each asset to handed-to-contractor (a request naming both documents by
 * SHA-256, signed by actor, who records), which approver (another person,
 * may be NULL: later, `ledger approve-change`) approves; a later tier notes
 * who holds it now. -EPERM refused, nothing written. */
int flow_custody_record(const struct flow_ctx *c, const struct flow_doc *handover, const struct flow_doc *receipt,
			const struct trust_seckey *actor, const struct trust_seckey *approver, struct flow_handover *ret,
			struct flow_error *err);
/* A witness of the hand-over (搬出) signs the list: its statement is kept
 * beside it (STATE_DIR/custody/ID.witness.json). */
int flow_custody_witness(const struct flow_ctx *c, const char *ho_id, const struct trust_seckey *witness,
			 struct flow_error *err);
/* The owner's approver approves, beforehand, that the contractor of the
 * recorded list ho_id hands it on to the sub-contractor sub_root (pinned
 * by us): STATE_DIR/custody/SA-HOID-KEYID.json, to give the contractor. */
int flow_approve_subcontract(const struct flow_ctx *c, const char *ho_id, const struct trust_pubkey *sub_root,
			     const struct trust_seckey *approver, char **ret_path, struct flow_error *err);

/* The documents a contractor's certificate carries of its custody. */
struct flow_custody_docs {
	uint8_t *ho, *ho_sig, *rc, *rc_sig;
	size_t ho_len, ho_sig_len, rc_len, rc_sig_len;
};
void flow_custody_docs_release(struct flow_custody_docs *d);
/* For a contractor's approver: the received hand-over list (and receipt)
 * that holds the asset. -ENOENT: none (an owner's own work). */
int flow_custody_find(const struct flow_ctx *c, const char *asset_id, const struct trust_seckey *approver,
		      struct flow_custody_docs *ret);
/* The same, put into the issuing request (nothing when none). */
int flow_custody_for(const struct flow_ctx *c, const char *asset_id, const struct trust_seckey *approver,
		     struct flow_issue_request *q, struct flow_custody_docs *docs);
/* 0 when hand-over list id was recorded here (with its receipt) and is
 * these bytes (sha256); else -errno and why. */
int flow_custody_recorded(const struct flow_ctx *c, const char *id, const char *sha256, char *why, size_t len);

/* What is out: every asset of a recorded hand-over list still
 * handed-to-contractor (not yet certified), with the tier that holds it
 * now, and lists still awaiting their receipt. */
struct flow_custody_item {
	char *asset_id, *serial;
	char *handover_id;
	char *holder;           /* the contractor holding it */
	int tier;
	char *state;            /* "handed-over", "awaiting-receipt", "awaiting-approval" */
	char *since;            /* received_at (or issued_at while awaiting) */
	double age_days;
	bool passed_on;         /* internal: a later tier holds it */
};
int flow_custody_list(const struct flow_ctx *c, struct flow_custody_item **ret, size_t *ret_n, struct flow_error *err);
void flow_custody_list_release(struct flow_custody_item *v, size_t n);

/* ---- physical destruction ---- */

struct flow_destruction {
	const char *asset_id;
	const char *method;     /* shred, crush, drill, degauss-and-shred, ... */
	const char *witness;    /* the person who saw it done */
	const char *notes;      /* may be NULL */
	const char *const *photos; /* paths, n_photos of them */
	size_t n_photos;
	time_t when;            /* 0: now */
};

/* Record a physical destruction as a sealed case: check the ledger (the
 * asset exists, is not disposed of, destroyed or handed over, no other
 * destruction awaits approval) and the policy (the class accepts
 * LEVEL_DESTROY and the method), hash the photos (SHA-256), build the
 * record, sign it with the technician's key, write it and append a ledger
 * note. -EPERM refused, -ENOENT no such asset or photo. *ret_id: the case. */
int flow_destroy(const struct flow_ctx *c, const struct flow_destruction *d, const struct trust_seckey *tech,
		 char **ret_id, struct flow_error *err);

/* ---- signed reports (report.c): the audit report, the inspection ---- */

/* A report its signer signs as theirs: its record, canonical JSON of the
 * report's document type, and the signer's minisign signature of it (as
 * record.json and record.json.minisig in the PDF, or FILE and
 * FILE.minisig beside it: `minisign -V` checks either). */
struct flow_signed_report {
	char *id;               /* the record's report_id: AR-..., INS-... */
	char *canon, *sig;
	size_t canon_len;
	char sha256[65];        /* of canon */
};
void flow_signed_report_release(struct flow_signed_report *r);
/* A file of a report as it is (its CSV, its PDF), signed with k as a
 * document of type doc (to write as FILE.minisig): -EPERM when k's role
 * may not sign that type. */
int flow_report_sign_bytes(enum trust_doc doc, const void *data, size_t len, const struct trust_seckey *k,
			   char **ret_sig, struct flow_error *err);
/* Sign rec (taken; its "report_id" is kept) as a document of type doc
 * with k, as flow_report_sign_bytes() does. */
int flow_report_sign(enum trust_doc doc, json_t *rec, const struct trust_seckey *k, struct flow_signed_report *ret,
		     struct flow_error *err);
/* The report's PDF, one mechanism for every signed report: the table t
 * rendered with rep attached (record.json, record.json.minisig) and a
 * signature field, signed with k's X.509 key (the roster's certificate:
 * pdfsig checks it against the CA), then checked as `verify` will check
 * it. A signer without an X.509 certificate is refused (-EPERM). */
int flow_report_pdf(const struct flow_ctx *c, const struct trust_seckey *k, const struct flow_signed_report *rep,
		    struct cert_table *t, const char *font, uint8_t **ret, size_t *ret_len, struct flow_error *err);

/* ---- audit ---- */

/* One disposal in an audit: a certificate found in the state directory
 * (re-verified) or a disposal the ledger records whose certificate was not
 * found. Strings are NULL where unknown. */
struct flow_audit_row {
	char *certificate_id;
	char *issued_at;        /* ISO 8601 */
	char *asset_id;
	char *sanitization;     /* clear, purge, destroy */
	char *method;
	char *result;           /* erased_and_verified, verified_only, failed */
	char *technician;
	char *approver;
	char *file;             /* the PDF, NULL when not found */
	char *ledger_status;    /* the asset's status in the ledger now */
	bool verified;          /* every check passed, the ledger's included */
	bool superseded;        /* genuine, but the ledger records a later change
	                           of the asset (not counted as failed) */
	char *problems;         /* "; "-separated failed checks, NULL when verified */
};

struct flow_audit {
	time_t from, to;        /* [from, to) */
	struct flow_audit_row *rows;
	size_t n_rows;
	size_t n_failed;
	bool ledger_checked;    /* a ledger was given */
	bool chain_ok;
	char chain_detail[300]; /* "intact: N events, head SEQ:HASH" or the break */
};
void flow_audit_release(struct flow_audit *a);

/* Every disposal in [from, to): the certificates (*.pdf) in the state
 * directory issued in the period, each re-verified (cert_pdf_verify with
 * the trust store and its CA, and the ledger: asset, identity, event), and
 * the ledger's disposal events of the period (status approved, destroyed
 * or disposed, or a certificate ID set) whose certificate is not among
 * them. Then ledger_verify(). Returns 0 when the audit ran (see n_failed and
 * chain_ok), -errno when it could not. */
int flow_audit_run(const struct flow_ctx *c, time_t from, time_t to, struct flow_audit *ret, struct flow_error *err);

/* The audit report signed by whoever ran it (an auditor's key): its
 * record (type "audit-report", CERT_AUDIT_SCHEMA: period, counts, the
 * ledger's state, every row's verdict), signed as every report is
 * (flow_report_sign(); its PDF by flow_report_pdf()). */
int flow_audit_report(const struct flow_ctx *c, const struct flow_audit *a, const struct trust_seckey *auditor,
		      struct flow_signed_report *ret, struct flow_error *err);
/* ---- inspection (点検, inspect.c) ---- */

/* The sections of an inspection report, in the order it prints them. */
enum flow_inspect_section {
	FLOW_INSPECT_AWAITING,     /* awaiting erasure longer than the policy's days */
	FLOW_INSPECT_CONTRACTOR,   /* with a contractor, no certificate accepted after the days */
	FLOW_INSPECT_HOLD,         /* under evidence hold */
	FLOW_INSPECT_LOST,         /* lost or stolen, the incident open */
	FLOW_INSPECT_TAKEN_OUT,    /* taken out, not returned */
	FLOW_INSPECT_CLASS1,       /* class 1, out of service, not yet disposed of */
	FLOW_INSPECT_RETENTION,    /* its retention (保存期限) passed, its data still here */
	FLOW_INSPECT_UNKNOWN,      /* disks stations saw that are in no entry */
	_FLOW_INSPECT_MAX,
};
/* "awaiting-erasure-overdue", ... and the titles the report prints. */
const char *flow_inspect_section_id(enum flow_inspect_section s);
const char *flow_inspect_section_title(enum flow_inspect_section s, bool japanese);

struct flow_inspect_row {
	enum flow_inspect_section section;
	char *asset_id;          /* NULL for a disk in no entry */
	char *status;
	char *since;             /* when it entered its status (UTC), or first seen */
	long days;               /* days from since to the inspection, -1 unknown */
	bool overdue;            /* past its threshold or due date */
	char *detail;            /* one line: incident, who permitted, the station ... */
};

struct flow_inspection {
	time_t at;               /* the inspection's moment */
	struct policy_inspect thresholds;
	struct flow_inspect_row *rows;
	size_t n_rows;
	size_t count[_FLOW_INSPECT_MAX];
	size_t n_assets;
	bool chain_ok;
	char chain_detail[300];  /* "intact: N events, head SEQ:HASH" or the break */
	char head[100];          /* SEQ:HASH of the chain inspected */
};
void flow_inspection_release(struct flow_inspection *i);

/* Inspect the ledger (c->ledger) at time at: each asset against the
 * lifecycle's sections and the policy's [inspect] thresholds, the disks
 * stations saw against the entries, the chain verified. 0 when it ran
 * (findings are in ret), -errno when it could not (err says why). */
int flow_inspect(const struct flow_ctx *c, time_t at, struct flow_inspection *ret, struct flow_error *err);

/* The report as CSV (csv_put_cell: formula-guarded): one row a finding,
 * with the section; and its signed record: canonical JSON of type
 * "inspection" naming the CSV by SHA-256, signed by the inspector (an
 * approver, or the org-root) as every report is (flow_report_sign()). The
 * CSV malloc'd. */
int flow_inspect_csv(const struct flow_inspection *in, bool bom, bool japanese, char **ret, size_t *ret_len);
int flow_inspect_record(const struct flow_ctx *c, const struct flow_inspection *in, const char *csv, size_t csv_len,
			const struct trust_seckey *inspector, struct flow_signed_report *ret, struct flow_error *err);

/* ---- retention: archiving the ledger's oldest events (archive.c) ---- */

struct flow_archive_result {
	uint64_t first, last, n_events, n_checkpoints, n_certificates, n_pdfs;
	uint64_t event;          /* the ledger's "archive" event */
	char head[100];          /* LAST:HASH, where the live chain now starts from */
	char sha256[65];         /* of the archive file */
	char ends_because[300];
	char *path;
};
void flow_archive_result_release(struct flow_archive_result *a);

/* Archive the ledger's events before before_day (YYYY-MM-DD, UTC) to path
 * (and path.minisig): refused (-EPERM) when that reaches into the events'
 * retention (the policy's [retention] events), and the range stops before
 * an event recording a certificate within the certificates' retention. The
 * file holds the events, the checkpoints the live ledger carries on, the
 * certificates they record (their PDFs from the state directory where
 * found), and is signed by k (an approver or the org-root), written
 * without overwriting anything, read back and verified; only then are the
 * events taken out of the ledger, in one transaction with the signed
 * "archive" event. -ENODATA: nothing to archive. */
int flow_archive(const struct flow_ctx *c, const char *before_day, const struct trust_seckey *k, const char *path,
		 const char *reason, struct flow_archive_result *ret, struct flow_error *err);

struct flow_archive_check {
	struct ledger_archive_report ledger;
	uint64_t n_certificates, n_pdfs;
};
/* Check an archive file (and FILE.minisig) offline with c->trust: its
 * signature, chain, events' signatures and checkpoints
 * (ledger_archive_verify()), and each PDF it carries against the SHA-256
 * its event recorded. */
int flow_archive_verify(const struct flow_ctx *c, const char *path, struct flow_archive_check *ret,
			struct flow_error *err);

#endif
