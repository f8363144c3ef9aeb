/* internal.h - what render.c and verify.c share inside the cert layer. */
#ifndef WIPECERT_CERT_INTERNAL_H
#define WIPECERT_CERT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/cms.h>

#include "wipecert/pdf.h"
#include "wipecert/pdfparse.h"
#include "wipecert/trust.h"

#define QR_QUIET 4  /* modules of white border drawn around the code */

/* The QR code of payload as 8-bit grey pixels, one a module, with the
 * quiet border; *ret_n is the side. The PDF holds exactly these bytes. */
int cert_qr_pixels(const char *payload, uint8_t **ret, int *ret_n);

/* The signature line (the second line, base64) of a minisign .minisig file. */
int cert_minisig_line(const uint8_t *data, size_t len, char **ret);

/* The result banner of page 1, shared by the renderer and the check that
 * the page shows the record's result. */
const char *cert_banner_text(const struct cert_record *r);
/* A list certificate's: the counts of its rows (1: every disk done) */
int cert_list_banner(const struct cert_record *r, char *buf, size_t len);
/* A list row's result cell, as the table shows it */
const char *cert_list_result_text(const struct cert_record *item);

/* ---- verify: what the checks of cert_pdf_verify() hand on ---- */

/* One disk a certificate covers (the certificate itself, or a list's
 * item), as the evidence check found it: the witness check reads on. */
struct cert_disk {
	const struct cert_record *r;    /* the disk's fields */
	size_t row;                     /* 1-based in a list; 0: a single certificate */
	char rec_sha256[65];            /* of its wipe record, when attached */
	json_t *json;                   /* the wipe record, parsed (NULL if not) */
	struct trust_claim tech;        /* who signed it (per the roster, or as claimed) */
	bool tech_known;
};

struct cert_vctx {
	const uint8_t *pdf;
	size_t len;
	STACK_OF(X509) *trusted;
	const struct trust_store *store;
	struct cert_verify_report *rep;
	struct pdf_doc d;
	struct pdf_obj *sig;            /* the signature dictionary */
	int64_t br[4];                  /* its /ByteRange */
	uint8_t *der;                   /* the CMS blob of /Contents */
	size_t der_len;
	CMS_ContentInfo *cms;
	X509 *signer;                   /* owned by cms */
	STACK_OF(X509) *chain;          /* the verified chain, signer first */
	const uint8_t *rec;             /* record.json, in the PDF's buffer */
	size_t rec_len;
	struct trust_result appr;       /* the approver's signature, when appr_ok */
	bool appr_ok;
	struct trust_result tech;       /* the technician's, when tech_ok */
	bool tech_ok;
	struct cert_disk *disks;        /* what the evidence check read, n_disks of them */
	size_t n_disks;
};

/* The claim of a signature file without the roster (the key holder's own
 * words; trust_verify() checks them where a roster is given). */
int cert_sig_claim(const uint8_t *sig, size_t len, struct trust_claim *ret, char keyid[TRUST_KEYID_STRLEN]);
/* "row 7 (asset A-7): " for a list's disk, "" for a single certificate */
void cert_row_label(const struct cert_record *r, size_t i, char *buf, size_t len);

/* the largest attachment read back (inflated) */
#define CERT_ATTACHMENT_MAX (8u << 20)

/* Record the outcome of check c; returns ok. */
bool cert_vset(struct cert_vctx *v, enum cert_check c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The embedded file called name: -ENOENT absent, -ENOTUNIQ twice,
 * -EBADMSG unreadable. *ret points into the PDF. */
int cert_find_attachment(struct pdf_doc *d, const char *name, const uint8_t **ret, size_t *ret_len);
int cert_sha256_hex(const void *data, size_t len, char out[65]);

/* The checks, one function each (verify.c runs them in order). They
 * return 0 when they judged (cert_vset), -ENOMEM when memory ran out. */
int cert_check_cms(struct cert_vctx *v);          /* verify-cms.c */
int cert_check_chain(struct cert_vctx *v);
int cert_check_bag(struct cert_vctx *v);
int cert_check_roster(struct cert_vctx *v);       /* verify-trust.c */
int cert_check_evidence(struct cert_vctx *v);
int cert_check_witness(struct cert_vctx *v);      /* verify-custody.c */
/* record.json is a signed report's (its kind, NULL for a certificate's),
 * and its check (verify-report.c) */
const struct cert_report_kind *cert_record_report_kind(const uint8_t *rec, size_t len);
int cert_check_report_record(struct cert_vctx *v, const struct cert_report_kind *k);
int cert_check_custody(struct cert_vctx *v);
int cert_check_time(struct cert_vctx *v);

#endif
