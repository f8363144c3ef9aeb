/* trust.h - keys, roles, the trust roster, and signing and verifying
 * wipecert documents.
 *
 * Its job: decide, offline, whether a document was signed by a key that the
 * organisation's roster allows to sign that kind of document at that time,
 * and produce such signatures in formats that standard tools check
 * (minisign for Ed25519, X.509 for the PDF signature). It must never accept
 * a signature it could not explain to an auditor, never hold a secret key
 * outside sodium_malloc memory, never overwrite a key file unless forced,
 * and never print or exit.
 *
 * Formats: docs/formats.md. Key and signature files are minisign's:
 *   public key  "untrusted comment: ...\n" base64("Ed" | keyid[8] | pk[32]) "\n"
 *   signature   "untrusted comment: ...\n" base64("ED" | keyid[8] | sig[64]) "\n"
 *               "trusted comment: <canonical JSON>\n" base64(global_sig[64]) "\n"
 * where sig = Ed25519(BLAKE2b-512(file)) and global_sig = Ed25519(sig |
 * trusted comment), so `minisign -V -m FILE -p KEY.pub` verifies them.
 *
 * Errors: functions return >= 0 or -errno; ret_ parameters are untouched on
 * failure. Parsing errors use these codes (trust_strerror() words them):
 *   -ENODATA          file truncated / a required line or field missing
 *   -EINVAL           malformed (bad base64, wrong size, bad JSON)
 *   -EPROTONOSUPPORT  unknown algorithm tag
 *   -EKEYREJECTED     wrong passphrase
 *   -EBADMSG          checksum or signature mismatch: the bytes were changed
 *   -EEXIST           refusing to overwrite an existing file
 */
#ifndef WIPECERT_TRUST_H
#define WIPECERT_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define TRUST_KEYID_BYTES 8
#define TRUST_PK_BYTES 32
#define TRUST_SIG_BYTES 64
/* minisign prints a key id as 16 upper-case hex digits of the little-endian
 * 64-bit number; we do the same so messages match `minisign -V`. */
#define TRUST_KEYID_STRLEN 17
/* SHA-256 fingerprint of a DER certificate, lower-case hex */
#define TRUST_FPR_STRLEN 65

/* Runtime default of the trust directory; --trust DIR or $WIPECERT_TRUST
 * override it. The repository's certs/ holds test keys only. */
#define TRUST_DEFAULT_DIR "/etc/wipecert/trust"

enum trust_role {
	TRUST_ROLE_TECHNICIAN,
	TRUST_ROLE_APPROVER,
	TRUST_ROLE_CONTRACTOR_TECHNICIAN,
	TRUST_ROLE_CONTRACTOR_APPROVER,
	TRUST_ROLE_ORG_ROOT,
	TRUST_ROLE_WITNESS,     /* 立会者: signs what they saw done, nothing else */
	TRUST_ROLE_AUDITOR,     /* signs the audit report (an X.509 key, like approvers) */
	_TRUST_ROLE_MAX,
};

/* Document types: the "type" field of the signed canonical JSON, repeated
 * in the signature's trusted comment. */
enum trust_doc {
	TRUST_DOC_WIPE_RECORD,  /* "wipe-record":  technician, contractor-technician */
	TRUST_DOC_APPROVAL,     /* "approval":     approver, contractor-approver */
	TRUST_DOC_CERTIFICATE,  /* "certificate":  approver, contractor-approver */
	TRUST_DOC_LEDGER_EVENT, /* "ledger-event": technician, approver, org-root */
	TRUST_DOC_ROSTER,       /* "roster":       org-root */
	TRUST_DOC_REVOCATION,   /* "revocation":   org-root */
	TRUST_DOC_WITNESS,      /* "witness":      witness (a statement naming a record by hash) */
	TRUST_DOC_HANDOVER,     /* "handover":     approver, contractor-approver (引渡書) */
	TRUST_DOC_RECEIPT,      /* "receipt":      contractor-approver, contractor-technician (受領書) */
	TRUST_DOC_AUDIT_REPORT, /* "audit-report": auditor */
	TRUST_DOC_INSPECTION,   /* "inspection":   approver, org-root (点検: the report and its CSV) */
	TRUST_DOC_LEDGER_ARCHIVE, /* "ledger-archive": approver, org-root (the events taken out of the ledger) */
	_TRUST_DOC_MAX,
};

const char *trust_role_to_string(enum trust_role r);
/* -EINVAL for an unknown name */
int trust_role_from_string(const char *s);
const char *trust_doc_to_string(enum trust_doc d);
int trust_doc_from_string(const char *s);
/* May a key of this role sign this document type? */
bool trust_role_may_sign(enum trust_role r, enum trust_doc d);
/* Does a key of this role carry an X.509 key beside the Ed25519 one?
 * Those who sign PDFs (approvers, contractor approvers: certificates;
 * auditors: the audit report; the org root: the CA key). */
bool trust_role_has_x509(enum trust_role r);
/* Is its X.509 certificate issued by the root from a request (key new
 * writes the .csr, trust add issues it): every such role but the root. */
bool trust_role_has_member_cert(enum trust_role r);

/* Words for the -errno codes above ("wrong passphrase", ...), else strerror. */
const char *trust_strerror(int err);

/* The trust directory: dir if given, else $WIPECERT_TRUST, else the default. */
const char *trust_dir(const char *dir);

/* ---- public keys (minisign .pub) ---- */

struct trust_pubkey {
	uint8_t keyid[TRUST_KEYID_BYTES];
	uint8_t pk[TRUST_PK_BYTES];
};

void trust_keyid_string(const uint8_t keyid[TRUST_KEYID_BYTES], char out[TRUST_KEYID_STRLEN]);
int trust_keyid_parse(const char *s, uint8_t ret[TRUST_KEYID_BYTES]);
/* Parse a minisign public key file (comment line + base64 line) or a bare
 * base64 line. */
int trust_pubkey_parse(const char *text, size_t len, struct trust_pubkey *ret);
/* The .pub file text; comment goes after "untrusted comment: " (one line). */
int trust_pubkey_format(const struct trust_pubkey *pk, const char *comment, char **ret);
/* The base64 line alone (as in rosters). */
int trust_pubkey_base64(const struct trust_pubkey *pk, char **ret);
int trust_pubkey_load(const char *path, struct trust_pubkey *ret);

/* ---- secret keys (wipecert's encrypted format, docs/formats.md) ---- */

/* Opaque: the Ed25519 secret key and, for approvers and the org root, a
 * P-256 key (PKCS#8 DER), both in sodium_malloc memory; plus the holder's
 * name, role and organisation (authenticated, not secret). */
struct trust_seckey;

/* Argon2id cost; 0 means libsodium's INTERACTIVE limits (tests use the
 * minimum to stay fast). */
struct trust_kdf {
	uint64_t opslimit;
	uint64_t memlimit;
};

/* A new key pair. With_p256 also makes a P-256 key (approvers, org root). */
int trust_seckey_generate(const char *name, enum trust_role role, const char *org,
			  bool with_p256, struct trust_seckey **ret);
/* Encrypt and write 0600 via write_file_atomic(); exclusive unless force.
 * What would be written is first opened again with pass (as minisign
 * does): -EIO, and nothing written, unless it gives this key back. */
int trust_seckey_save(const struct trust_seckey *k, const char *path,
		      const char *pass, size_t pass_len, const struct trust_kdf *kdf, bool force);
int trust_seckey_parse(const uint8_t *data, size_t len, const char *pass, size_t pass_len,
		       struct trust_seckey **ret);
/* Load and unlock a secret key file. A file readable or writable by group
 * or others is refused (-EPERM), as ssh refuses such a private key:
 * trust_seckey_check_file() says so (and the mode) before asking for the
 * passphrase. */
int trust_seckey_load(const char *path, const char *pass, size_t pass_len, struct trust_seckey **ret);
int trust_seckey_check_file(const char *path, mode_t *ret_mode);
/* Read the public part of a secret key file without the passphrase. */
int trust_seckey_peek(const uint8_t *data, size_t len, struct trust_pubkey *ret_pk,
		      char **ret_name, int *ret_role, char **ret_org);
void trust_seckey_free(struct trust_seckey *k);
static inline void trust_seckey_freep(struct trust_seckey **k) { trust_seckey_free(*k); }

void trust_seckey_pubkey(const struct trust_seckey *k, struct trust_pubkey *ret);
const char *trust_seckey_name(const struct trust_seckey *k);
enum trust_role trust_seckey_role(const struct trust_seckey *k);

/* A public key file's comment (`key new` writes it): canonical JSON with
 * the key ID, name, organisation and role, offered as defaults to `trust
 * add` (untrusted: the roster decides). */
int trust_pubkey_comment(const struct trust_seckey *k, char **ret);
/* The defaults a public key file's comment offers: name and org (NULL if
 * none; free them), role (-1 if none). */
int trust_pubkey_defaults(const uint8_t *data, size_t len, char **ret_name, char **ret_org, int *ret_role);
const char *trust_seckey_org(const struct trust_seckey *k);
/* The P-256 (or imported) X.509 private key; -ENOENT if the key has none.
 * *ret is a new reference (EVP_PKEY_free). */
int trust_seckey_x509_key(const struct trust_seckey *k, EVP_PKEY **ret);
/* Replace the X.509 private key (key import-p12); k takes no reference. */
int trust_seckey_set_x509_key(struct trust_seckey *k, EVP_PKEY *pkey);
/* A copy of k for signing with Ed25519 only (no X.509 key), in its own
 * sodium_malloc memory: what outlives the command that loaded k (the
 * operation log's ledger notes at the command's end). */
int trust_seckey_dup_signer(const struct trust_seckey *k, struct trust_seckey **ret);

/* ---- signatures (minisign .minisig) ---- */

struct trust_sig {
	uint8_t keyid[TRUST_KEYID_BYTES];
	uint8_t sig[TRUST_SIG_BYTES];
	uint8_t global_sig[TRUST_SIG_BYTES];
	char *untrusted_comment;
	char *trusted_comment;  /* without "trusted comment: " and newline */
};

/* Parse signature text; only the prehashed "ED" algorithm is accepted. */
int trust_sig_parse(const char *text, size_t len, struct trust_sig *ret);
void trust_sig_release(struct trust_sig *s);
/* What `minisign -V` checks: key id, signature over BLAKE2b-512(msg), and
 * the global signature over the trusted comment. 0 or -EBADMSG (bytes or
 * comment changed) / -ENOKEY (key id is not pk's). */
int trust_sig_check(const struct trust_sig *s, const struct trust_pubkey *pk,
		    const uint8_t *msg, size_t len);

/* What the trusted comment of a wipecert signature says. */
struct trust_claim {
	enum trust_doc doc;
	enum trust_role role;
	char org[256];
	char name[256];
	char keyid[TRUST_KEYID_STRLEN];
	time_t signed_at;
};

/* Sign msg (canonical bytes) as document type doc at time `when` (0 = now).
 * The trusted comment is canonical JSON
 *   {"doc":..,"keyid":..,"name":..,"org":..,"role":..,"time":"..Z"}
 * If msg is a JSON object, its "type" must equal doc (else -EINVAL).
 * The signature is verified before it is returned. *ret: malloc'd text. */
int trust_sign(enum trust_doc doc, const uint8_t *msg, size_t len,
	       const struct trust_seckey *k, time_t when, char **ret);
/* The same for the many documents signed with one key in a row (a ledger
 * import's events), once trust_sign() verified one made with that key: the
 * signature is computed twice and must come out the same (Ed25519 is
 * deterministic: a fault shows as a difference, -EIO) instead of being
 * verified, at a third of the cost. */
int trust_sign_again(enum trust_doc doc, const uint8_t *msg, size_t len,
		     const struct trust_seckey *k, time_t when, char **ret);
/* Sign with a bare key and a free trusted comment (roster files). */
int trust_sign_raw(const uint8_t *msg, size_t len, const struct trust_seckey *k,
		   const char *trusted_comment, const char *untrusted_comment, char **ret);
int trust_claim_parse(const char *trusted_comment, struct trust_claim *ret);

/* ---- the trust store: roster, revocations, contractors, CA ---- */

/* Files under the trust directory (docs/formats.md):
 *   root.pub                  the organisation's root key (the anchor)
 *   roster.json[.minisig]     members, signed by the root
 *   revoked.json[.minisig]    revocations, signed by the root
 *   ca.crt                    the organisation's X.509 CA (PEM)
 *   members/KEYID.crt         approvers' X.509 certificates
 *   contractors/KEYID/        a contractor's root.pub, roster and
 *                             revocations, KEYID = its root pinned in
 *                             our roster's "contractors"
 */
struct trust_member {
	char *name;
	enum trust_role role;
	char *org;
	struct trust_pubkey pk;
	time_t not_before;
	time_t not_after;
	char x509_sha256[TRUST_FPR_STRLEN]; /* "" if none */
	/* from the revocation list of the member's organisation */
	bool revoked;
	time_t revoked_at;
	char *revoke_reason;
};

struct trust_store;

/* Load and check every signature in the directory. A roster or revocation
 * list whose signature fails is an error (-EBADMSG), never ignored; a
 * contractor directory that is not pinned is ignored. Then the serials of
 * the signed lists are compared with the verifier's state
 * (trust_state_path()): a list older than one seen before, or another list
 * with a serial seen before, is refused (-ESTALE: a copy put back, a
 * rollback); newer serials are remembered. */
int trust_store_open(const char *dir, struct trust_store **ret);
/* The file the last failed trust_store_open() in this thread stumbled on,
 * and for -ESTALE why, in one line. */
const char *trust_store_failed_file(void);
const char *trust_store_failed_reason(void);
void trust_store_free(struct trust_store *s);
static inline void trust_store_freep(struct trust_store **s) { trust_store_free(*s); }
const char *trust_store_org(const struct trust_store *s);
const char *trust_store_dir(const struct trust_store *s);
/* The organisation's root key (root.pub): the key ID certificates name
 * their organisation by. */
const struct trust_pubkey *trust_store_root(const struct trust_store *s);
size_t trust_store_n_members(const struct trust_store *s);
const struct trust_member *trust_store_member(const struct trust_store *s, size_t i);
const struct trust_member *trust_store_find(const struct trust_store *s,
					    const uint8_t keyid[TRUST_KEYID_BYTES]);

/* The member whose roster entry names this certificate (SHA-256 of the DER,
 * lower-case hex, as trust_x509_fingerprint() gives): how a PDF signature's
 * certificate is tied back to a person and a role. NULL if none. */
const struct trust_member *trust_store_find_x509(const struct trust_store *s, const char *sha256_hex);

/* The signed lists the store loaded: our roster and revocation list, and
 * each loaded contractor's; their serials are what the verifier's state and
 * the ledger remember. */
struct trust_list {
	enum trust_doc doc;                    /* TRUST_DOC_ROSTER or TRUST_DOC_REVOCATION */
	char root_keyid[TRUST_KEYID_STRLEN];   /* the root key that signs it */
	char *org;
	char *path;
	uint64_t serial;                       /* 0: the file has none (docs/formats.md) */
	char sha256[65];                       /* of the file's bytes */
};
size_t trust_store_n_lists(const struct trust_store *s);
const struct trust_list *trust_store_list(const struct trust_store *s, size_t i);
/* 0 if trust_store_open() saved the serials it saw, else why not (-errno):
 * a rollback is still refused against what was saved before. */
int trust_store_state_error(const struct trust_store *s);

/* The verifier's state file (outside the trust directory): $WIPECERT_TRUST_STATE,
 * else for root /var/lib/wipecert/trust-state.json, else
 * $XDG_STATE_HOME/wipecert/trust-state.json (~/.local/state/...). */
const char *trust_state_path(void);

/* The organisation of the contractor whose root key has this id, if our
 * roster pins it and its roster was loaded; else NULL. */
const char *trust_store_contractor(const struct trust_store *s, const uint8_t keyid[TRUST_KEYID_BYTES]);

/* Outcome of a verification: 0 valid, else why not. */
enum trust_verdict {
	TRUST_OK = 0,
	TRUST_BAD_SIGNATURE,  /* bytes, signature or trusted comment changed */
	TRUST_MALFORMED,      /* signature text unreadable, unknown algorithm */
	TRUST_UNKNOWN_KEY,    /* key id in no roster */
	TRUST_UNKNOWN_ORG,    /* organisation neither ours nor a pinned contractor */
	TRUST_WRONG_ROLE,     /* the member's role may not sign this doc type */
	TRUST_REVOKED,        /* revoked at or before the signing time */
	TRUST_EXPIRED,        /* signing time after the key's validity */
	TRUST_NOT_YET_VALID,  /* signing time before the key's validity */
	TRUST_DOC_MISMATCH,   /* trusted comment's type/role/org != roster/document */
	TRUST_SAME_SIGNER,    /* separation of duties: approver signed the record */
	_TRUST_VERDICT_MAX,
};
const char *trust_verdict_string(enum trust_verdict v);

struct trust_result {
	enum trust_verdict verdict;
	struct trust_claim claim;            /* valid if verdict != MALFORMED */
	const struct trust_member *member;   /* NULL if unknown; owned by the store */
	char keyid[TRUST_KEYID_STRLEN];
};

/* Verify sig_text over msg for document type doc against the store: the
 * minisign signature, the trusted comment's claims against the roster, the
 * role required for doc, the signing time inside the key's validity and
 * before any revocation. Returns 0 (and *ret filled: check ret->verdict) or
 * -errno for a system failure (-ENOMEM). */
int trust_verify(const struct trust_store *s, enum trust_doc doc,
		 const uint8_t *msg, size_t len, const char *sig_text, size_t sig_len,
		 struct trust_result *ret);

/* Separation of duties, on two results of trust_verify() (the wipe
 * record's and the approval's): the approval must come from another key
 * and another person (name + organisation) than the wipe record, and from
 * an approver role. TRUST_OK, TRUST_SAME_SIGNER, TRUST_WRONG_ROLE, or the
 * failing verdict of either result. Uses only the claims and key ids, so
 * it is safe after the store is freed. */
enum trust_verdict trust_check_separation(const struct trust_result *wipe_record,
					  const struct trust_result *approval);

/* ---- X.509 for PDF signatures ---- */

struct trust_x509_signer {
	EVP_PKEY *key;         /* the approver's private key */
	X509 *cert;            /* the approver's certificate */
	STACK_OF(X509) *chain; /* issuer certificates up to the CA (may be empty) */
};

/* The X.509 signing material of an unlocked approver key: the private key
 * from k, the certificate from cert_path (PEM: leaf first, then chain) or,
 * if NULL, from the trust store's members/KEYID.crt with ca.crt as chain.
 * The certificate must match the key and the roster's fingerprint. */
int trust_x509_signer_load(const struct trust_seckey *k, const struct trust_store *s,
			   const char *cert_path, struct trust_x509_signer **ret);
void trust_x509_signer_free(struct trust_x509_signer *x);
static inline void trust_x509_signer_freep(struct trust_x509_signer **x) { trust_x509_signer_free(*x); }

/* The CAs a certificate of ours or of a pinned contractor may chain to:
 * the trust directory's ca.crt and contractors/KEYID/ca.crt of each
 * contractor our roster pins (a directory whose root is not pinned is
 * ignored). Appended to sk; returns how many (missing files count none),
 * or -ENOMEM. */
int trust_store_ca_certs(const struct trust_store *s, STACK_OF(X509) *sk);

/* The trust directory's certificates, beyond the signatures that
 * trust_store_open() checked: ca.crt reads, and every member of ours whose
 * roster entry names a certificate has members/KEYID.crt with that
 * fingerprint, signed by ca.crt. fn(file, problem, userdata) is called for
 * each problem; returns how many, or -ENOMEM. */
typedef void (*trust_problem_fn)(const char *file, const char *problem, void *userdata);
int trust_store_check_certs(const struct trust_store *s, trust_problem_fn fn, void *userdata);

/* SHA-256 over the DER certificate, lower-case hex. */
int trust_x509_fingerprint(X509 *cert, char out[TRUST_FPR_STRLEN]);

#endif
