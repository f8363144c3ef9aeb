/* pdf.h - the disposal certificate as a PDF: render, sign, read back, check.
 *
 * Its job: draw the bilingual certificate of a record with libharu (the
 * font subset to the characters used, the record and its signature files
 * attached), add an ISO 32000 signature over the whole file as an
 * incremental update with a CMS detached signature, and read such a file
 * back with a bounded parser that never trusts what it reads. It must never
 * print, and never call a certificate good unless every check passed.
 */
#ifndef WIPECERT_PDF_H
#define WIPECERT_PDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "wipecert/cert.h"

struct trust_store;

#define CERT_DEFAULT_FONT "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"
/* what the main font cannot draw (𠮷, characters outside the BMP): a
 * TrueType font, since libharu embeds no CFF outlines (Noto CJK's) */
#define CERT_FALLBACK_FONT "/usr/share/fonts/truetype/ipamj/ipamjm.ttf"
#define CERT_RECORD_NAME "record.json"
/* the approver's minisign signature of record.json (document type
 * "certificate"): its signature line goes into the QR code */
#define CERT_SIG_NAME "record.json.minisig"
/* optional: the technician's signed wipe record, for separation of duties */
#define CERT_WIPE_RECORD_NAME "wipe-record.json"
#define CERT_WIPE_SIG_NAME "wipe-record.json.minisig"
/* what else a certificate may carry, each named by SHA-256 in the record:
 * the witness's signed statement (立会者), the hand-over list (引渡書) and
 * the contractor's receipt (受領書) its custody names */
#define CERT_WITNESS_NAME "witness.json"
#define CERT_WITNESS_SIG_NAME "witness.json.minisig"
#define CERT_HANDOVER_NAME "handover.json"
#define CERT_HANDOVER_SIG_NAME "handover.json.minisig"
#define CERT_RECEIPT_NAME "receipt.json"
#define CERT_RECEIPT_SIG_NAME "receipt.json.minisig"
/* A list certificate numbers its rows' attachments: row 7's wipe record is
 * "wipe-record-0007.json". The name of base ("wipe-record.json",
 * "witness.json", or their .minisig) for row (1-based; 0: a single
 * certificate's own). */
int cert_attachment_name(const char *base, size_t row, char *buf, size_t len);
#define CERT_SIG_SPACE 8192          /* bytes of CMS the /Contents placeholder holds */
#define CERT_PDF_MAX_SIZE (64u << 20) /* larger files are refused unread */

struct cert_attachment {
	const char *name;        /* file name shown by readers and qpdf */
	const uint8_t *data;
	size_t len;
	const char *description;
};

struct cert_pdf_opts {
	const char *font_path;          /* NULL: CERT_DEFAULT_FONT */
	const char *logo_png;           /* organisation logo, optional */
	/* extra attachments (signature files); the canonical record is always
	 * attached as CERT_RECORD_NAME */
	const struct cert_attachment *attachments;
	size_t n_attachments;
	/* FlateDecode the attachments and the page text (list certificates:
	 * a thousand wipe records must fit in a few MB) */
	bool compress;
};

/* The QR payload: "WIPECERT1|<certificate id>|<record sha256>|<approver sig or ->". */
int cert_qr_payload(const struct cert_record *r, const char *approver_sig, char **ret);

/* Whether every character of r's certificate can be drawn, with the main
 * font (font_path, NULL: CERT_DEFAULT_FONT) or CERT_FALLBACK_FONT:
 * -EILSEQ with *ret_err naming the first character none has. Issuers call
 * it before they sign anything; cert_pdf_render refuses the same way. */
int cert_pdf_check_text(const struct cert_record *r, const char *font_path, const char **ret_err);

/* Render the unsigned certificate (it holds an empty signature field).
 * On failure *ret_err names the step. */
int cert_pdf_render(const struct cert_record *r, const struct cert_pdf_opts *o,
		    uint8_t **ret, size_t *ret_len, const char **ret_err);

/* One summary PDF for the disks of a session on a wipe station (host): a
 * table of certificate ID, asset, model and serial, method and result.
 * Unsigned: each certificate carries its own signature. */
int cert_pdf_render_summary(const struct cert_record *const *recs, size_t n, const char *host,
			    const char *font_path, uint8_t **ret, size_t *ret_len, const char **ret_err);

/* A bilingual table report over as many A4 pages as it takes
 * (the audit report): a title, summary lines, then columns with a
 * Japanese and an English heading. Unsigned. */
struct cert_table {
	const char *org;                 /* top left, may be NULL */
	const char *title_ja, *title_en;
	const char *const *lines;        /* summary lines under the title */
	const bool *line_ok;             /* green or red, per line */
	size_t n_lines;
	size_t n_cols;                   /* at most 12 */
	const char *const *head_ja, *const *head_en;
	const float *col_w;              /* relative widths, n_cols */
	const char *const *cells;        /* n_rows * n_cols, NULL for empty */
	const bool *row_ok;              /* a failed row's last column is red */
	size_t n_rows;
	const char *footer;
	/* a signed report (the audit report): attachments (sorted by name;
	 * record.json and its .minisig) and an empty signature field for
	 * cert_pdf_sign() */
	const struct cert_attachment *attachments;
	size_t n_attachments;
	bool signature_field;
	const char *qr;                  /* a QR code of this text top right of page 1, or NULL */
};
int cert_pdf_render_table(const struct cert_table *t, const char *font_path, uint8_t **ret, size_t *ret_len,
			  const char **ret_err);

struct cert_signer {
	EVP_PKEY *key;             /* ECDSA P-256 (or RSA) */
	X509 *cert;
	STACK_OF(X509) *chain;     /* intermediates and CA, may be NULL */
	const char *name;          /* /Name of the signature, may be NULL */
	const char *reason;        /* /Reason, may be NULL */
	time_t when;               /* /M and the CMS signingTime; 0 for now */
	bool cades;                /* ETSI.CAdES.detached instead of adbe.pkcs7.detached */
};

/* Sign a rendered certificate: append an incremental update holding the
 * signature dictionary, with /ByteRange covering everything but /Contents. */
int cert_pdf_sign(const uint8_t *pdf, size_t len, const struct cert_signer *s,
		  uint8_t **ret, size_t *ret_len, const char **ret_err);

/* ---- reading back ---- */

/* The checks `verify` runs, in order (cert_pdf_verify() is this list, see
 * verify.c); each passes or fails on its own, a check whose input an
 * earlier one could not provide is "not run". docs/certificate.md says
 * what each one proves. */
enum cert_check {
	CHECK_PARSE,         /* the file is a PDF this parser can read */
	CHECK_SIGNATURE,     /* a signature dictionary is present */
	CHECK_BYTERANGE,     /* /ByteRange covers the whole file except /Contents */
	CHECK_CONTENTS,      /* /Contents is one DER blob followed by zero padding */
	CHECK_CMS,           /* the CMS signature matches the signed bytes */
	CHECK_CHAIN,         /* the signer's certificate chains to a trusted CA */
	CHECK_BAG,           /* every byte of the CMS outside its signed part is
	                        what was issued: each certificate of the bag is one
	                        of the verified chain, byte for byte; nothing else */
	CHECK_RECORD,        /* the embedded record parses and is canonical */
	CHECK_VISIBLE,       /* the page text shows the record's key fields */
	CHECK_QR,            /* the QR code carries the record's payload */
	CHECK_ROSTER,        /* record.json.minisig is an approver's per the roster,
	                        the PDF signer is that approver, the record names them */
	CHECK_EVIDENCE,      /* the technician's signed wipe (or destruction) record
	                        is attached and named by hash; with the roster its
	                        signer is a technician valid then and another person
	                        than the approver; the certificate states exactly
	                        what that record states */
	CHECK_WITNESS,       /* each witness the certificate names signed a statement
	                        (attached, named by hash) about that very record:
	                        a roster witness valid then, another person than
	                        the technician and the approver */
	CHECK_CUSTODY,       /* the hand-over list (and receipt) the certificate
	                        names is attached, signed, hands this certificate's
	                        organisation every asset it covers */
	CHECK_TIME,          /* the approver's claimed signing time, the CMS signing
	                        time, /M and the record's dates agree (within
	                        CERT_TIME_TOLERANCE), the technician signed before
	                        the approver, and the approver's key was not revoked
	                        or expired at the latest of them */
	CHECK_LEDGER,        /* the ledger names this certificate as the asset's
	                        current disposal, with this PDF's SHA-256 (run by
	                        the flow layer: cert does not read the ledger) */
	CHECK__MAX,
};

/* Seconds two clocks may differ between the technician's station, the
 * approver's machine and the ledger: the times a certificate carries must
 * agree within this. */
#define CERT_TIME_TOLERANCE 300

struct cert_check_result {
	bool ran;
	bool ok;
	char detail[240];  /* in English: --json, logs */
	char text[480];    /* the same for people, in their language (gettext) */
};

/* The signed reports: PDFs that state no disposal of their own but carry
 * their signer's record as record.json (and its .minisig), the PDF signed
 * by the same person's X.509 key, checked as a certificate is (PDF
 * signature, chain, bag, roster, time, page 1) but for evidence, witness,
 * custody and the QR code. The audit report (type "audit-report", an
 * auditor's) and the inspection (点検, type "inspection", an approver's). */
#define CERT_AUDIT_SCHEMA "wipecert.audit/1"
#define CERT_INSPECTION_SCHEMA "wipecert.inspection/1"
struct cert_report_kind {
	const char *type;      /* the record's "type", its trust document type's name */
	const char *schema;
	const char *signer;    /* the record's field naming its signer: "auditor" */
	const char *what;      /* "audit report" */
	const char *rows;      /* the record's array of what it lists: "rows" */
};
/* The kind of a record of that type, or NULL for a certificate's. */
const struct cert_report_kind *cert_report_kind_of(const char *type);

struct cert_verify_report {
	struct cert_check_result checks[CHECK__MAX];
	struct cert_record *record;     /* when the record could be read */
	json_t *report;                 /* a signed report's record instead (record NULL) */
	const struct cert_report_kind *report_kind;
	char record_hash[65];
	char pdf_sha256[65];            /* of the whole file */
	char *signer_subject;           /* the signing certificate's subject */
	char *signing_time;             /* /M of the signature dictionary */
	char signer_sha256[65];         /* fingerprint of the signing certificate */
	time_t cms_signing_time;        /* the CMS signingTime attribute, 0 if none */
	time_t approver_signed_at;      /* the approver's claim (record.json.minisig) */
	time_t technician_signed_at;    /* the technician's claim (wipe-record.json.minisig) */
	char approver_keyid[17];        /* the keys that signed, "" when unknown */
	char technician_keyid[17];
	bool contractor;                /* the approver is a contractor-approver (roster) */
	bool roster_skipped;            /* no trust store given: CHECK_ROSTER not run */
	bool ledger_skipped;            /* no ledger given: CHECK_LEDGER not run */
	bool unjudged;                  /* a witness statement or hand-over list was signed
	                                   in an organisation this roster does not hold (the
	                                   client's, read by its contractor): the client's
	                                   own check (accept) refuses that */
	bool all_ok;
};

const char *cert_check_name(enum cert_check c);
/* Set the result of a check the caller ran (CHECK_LEDGER) and judge the
 * report again; fmt is English and marked for translation (po/check.sh's
 * keywords): detail gets it as it is, text translated. */
void cert_verify_report_set(struct cert_verify_report *rep, enum cert_check c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void cert_verify_report_vset(struct cert_verify_report *rep, enum cert_check c, bool ok, const char *fmt, va_list ap);
/* The same with detail and text made by the caller (the text of a
 * composed message: each part translated on its own). */
void cert_verify_report_put(struct cert_verify_report *rep, enum cert_check c, bool ok, const char *detail,
			    const char *text);
void cert_verify_report_release(struct cert_verify_report *rep);

/* Check a certificate PDF: every check but the ledger's, in order.
 * trusted: CA certificates (may be NULL: then CHECK_CHAIN fails). store:
 * the trust roster (trust.h); NULL skips CHECK_ROSTER and the roster part
 * of CHECK_EVIDENCE (rep->roster_skipped: all_ok then speaks for the X.509
 * checks and the evidence's content only). CHECK_LEDGER starts as skipped
 * (rep->ledger_skipped): flow_cert_check() runs it. Callers outside tests
 * want flow_cert_check(), the one certificate check. Returns 0 when the
 * checks ran (see rep->all_ok), -errno only when memory ran out. */
int cert_pdf_verify(const uint8_t *pdf, size_t len, STACK_OF(X509) *trusted,
		    const struct trust_store *store, struct cert_verify_report *rep);

/* The embedded attachment called name (no signature check). -ENOENT when
 * absent, -EBADMSG when the file cannot be parsed. */
int cert_pdf_attachment(const uint8_t *pdf, size_t len, const char *name,
			uint8_t **ret, size_t *ret_len);

#endif
