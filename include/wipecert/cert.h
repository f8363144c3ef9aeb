/* cert.h - the certificate record: what one disposal certificate states.
 *
 * Its job: hold the NIST SP 800-88 Certificate of Sanitization fields plus
 * wipecert's own (certificate ID, ledger event, passes, error ranges, the
 * station's identity) in a plain struct, and turn it into and out of
 * canonical JSON (sorted keys, compact, UTF-8), the bytes that are signed,
 * embedded in the PDF and checked again years later. It must never print,
 * and never accept a record it cannot round-trip exactly.
 *
 * It is a signed document of type "certificate" (trust.h); the schema is
 * versioned: "wipecert.cert/2" (client, work site, witness, approval
 * reference, lease, custody, document number and layout), "wipecert.cert/1"
 * (still read: old certificates verify as they did), and the list form
 * "wipecert.cert-list/1" (one certificate for many disks, one item a disk).
 * docs/certificate.md describes every field.
 */
#ifndef WIPECERT_CERT_H
#define WIPECERT_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define CERT_SCHEMA "wipecert.cert/2"
#define CERT_SCHEMA_V1 "wipecert.cert/1"
#define CERT_LIST_SCHEMA "wipecert.cert-list/1"
/* rows of a list certificate: their attachments are numbered %04zu */
#define CERT_LIST_MAX_ITEMS 9999
/* the document type (trust.h, TRUST_DOC_CERTIFICATE): signed by the approver */
#define CERT_DOC_TYPE "certificate"

struct cert_person {
	char *name;
	char *role;           /* title: 情報資産管理責任者, technician, ... */
	char *organisation;
	char *date;           /* ISO 8601 with offset */
	char *key_id;         /* minisign key ID (16 hex) of the signing key */
};

struct cert_pass {
	unsigned number;      /* 1-based */
	char *pattern;        /* "zeros", "ones", "random", "0x55", "firmware" ... */
	char *result;         /* "ok" or "failed" */
	uint64_t bytes;       /* bytes written (or processed) in this pass */
	bool verified;        /* this pass was read back */
};

struct cert_error_range {
	uint64_t offset;      /* bytes */
	uint64_t length;      /* bytes */
	char *error;          /* "EIO on write", ... */
};

struct cert_record {
	char *type;              /* CERT_DOC_TYPE */
	char *schema;            /* CERT_SCHEMA */
	char *certificate_id;
	char *issued_at;         /* ISO 8601 UTC */
	char *organisation;      /* organisation issuing the certificate */
	char *organisation_unit;

	/* media (NIST: manufacturer, model, serial, media type) */
	char *manufacturer;
	char *model;
	char *serial;
	char *serial_attested_by; /* the serial is from the label, attested by this person: the drive reports none */
	char *wwn;
	char *firmware;
	char *media_type;        /* "HDD", "SSD", "NVMe SSD", "USB flash", ... */
	char *interface;         /* "SATA", "NVMe", "SAS", "USB", ... */
	uint64_t capacity_bytes;

	/* asset (NIST: source, classification) */
	char *asset_id;
	unsigned importance_class;   /* 1..3 (重要性分類) */
	char *owner_department;
	char *location;

	/* sanitisation (NIST: type, method, tool, verification, destination) */
	char *sanitization_type;     /* "clear", "purge" or "destroy" */
	char *method;                /* method ID: "overwrite-1", "nvme-sanitize-crypto", ... */
	char *method_details;        /* free text */
	char *tool;                  /* "wipecert" */
	char *tool_version;
	char *started_at;            /* ISO 8601 */
	char *ended_at;
	uint64_t duration_s;
	struct cert_pass *passes;
	size_t n_passes;
	struct cert_error_range *errors;
	size_t n_errors;
	char *drive_sanitize_status; /* firmware-reported status, NULL if none */
	char *verification_method;   /* "full read-back", "sampled 10%", ... */
	char *verification_result;   /* "pass" or "fail" */
	uint64_t verified_bytes;
	char *result;                /* "erased_and_verified", "verified_only" or "failed" */
	char *destination;           /* post-sanitisation destination */

	struct cert_person performer;
	struct cert_person approver;

	/* the technician's signed wipe record this certificate approves: the
	 * SHA-256 of its canonical bytes and of its .minisig file, so that the
	 * approver's signature covers the technician's */
	char *wipe_record_sha256;
	char *wipe_record_sig_sha256;

	/* ledger: the entry and the hash of the event this certificate closes */
	char *ledger_entry;
	char *ledger_event_hash;

	/* the wipe station (from /sys/class/dmi/id where present) */
	char *station_hostname;
	char *station_vendor;
	char *station_product;
	char *station_serial;
	char *station_asset_tag;

	/* page 2 of the PDF: identify data, capabilities, HPA/DCO, SMART.
	 * A free-form JSON object kept as it came (may be NULL). */
	json_t *drive;

	/* wipecert.cert/2 and the list form: what the documents of a disposal
	 * name besides the disk (docs/certificate.md) */
	char *organisation_key_id;   /* organisation.key_id: the issuer's root key */
	char *client;                /* 依頼者 client.name: who the work was done for */
	char *client_unit;
	char *client_key_id;         /* client.key_id: the client's root key (a contractor's work) */
	char *site_address;          /* 作業場所 work_site.address */
	char *site_room;             /* work_site.room */
	char *approval_ref;          /* 起案・決裁番号 approval_reference */
	char *lease;                 /* asset.lease: lease company / contract, as the ledger has it */
	char *document_number;       /* document.number (文書番号) */
	char *layout;                /* document.layout: "standard" or "municipal" */
	char *handover_id;           /* custody.handover_id: the hand-over list (引渡書) */
	char *handover_sha256;       /* custody.handover_sha256 */
	char *receipt_sha256;        /* custody.receipt_sha256: the contractor's receipt (受領書) */
	struct cert_person witness;  /* 立会者: who saw it done (their own signed statement) */
	char *witness_sha256;        /* witness.statement_sha256 */
	char *witness_sig_sha256;    /* witness.signature_sha256 */

	/* the list form (CERT_LIST_SCHEMA): the certificate's own fields above
	 * (number, time, organisation, client, site, approver, ...) and one
	 * item a disk, each holding that disk's fields (media, asset,
	 * sanitization, verification, result, performer, wipe_record, ledger,
	 * station, witness); items have no type or schema of their own */
	struct cert_record *items;
	size_t n_items;
};

/* The other signed documents of a disposal (docs/certificate.md):
 *   witness  {type "witness", schema, kind (erasure, destruction,
 *            handover), record {type, id, sha256}, witnessed_at,
 *            witness {name, org, role, key_id}, statement}: a witness's
 *            own word that they saw the work one record states
 *   handover {type "handover", schema, id, issued_at, tier, from {org,
 *            root_key_id}, to {org, root_key_id}, parent {id, sha256},
 *            assets [{asset_id, serial, wwn, model, ...}], approver}: the
 *            list of assets handed to a contractor (引渡書)
 *   receipt  {type "receipt", schema, handover {id, sha256}, received_at,
 *            count, receiver {name, org, role, key_id}}: the contractor's
 *            countersignature (受領書) */
#define CERT_WITNESS_SCHEMA "wipecert.witness/1"
#define CERT_HANDOVER_SCHEMA "wipecert.handover/1"
#define CERT_RECEIPT_SCHEMA "wipecert.receipt/1"

/* A list certificate? (schema CERT_LIST_SCHEMA) */
bool cert_record_is_list(const struct cert_record *r);
/* The disks a certificate covers: 1 (itself), or a list's items. */
size_t cert_record_n_disks(const struct cert_record *r);
const struct cert_record *cert_record_disk(const struct cert_record *r, size_t i);

void cert_record_release(struct cert_record *r);
void cert_record_free(struct cert_record *r);

/* Parse and validate a record; -EINVAL (with *ret_err set to a static
 * description naming the field) when a required field is missing or has a
 * bad value or type. ret_err may be NULL. */
int cert_record_from_json(const json_t *j, struct cert_record **ret, const char **ret_err);
int cert_record_parse(const char *text, size_t len, struct cert_record **ret, const char **ret_err);
/* The record as a JSON object (new reference). */
int cert_record_to_json(const struct cert_record *r, json_t **ret);
/* Canonical bytes (canon.h: sorted keys, no white space, UTF-8 NFC, no
 * trailing newline): what is signed and attached. */
int cert_record_canonical(const struct cert_record *r, char **ret, size_t *ret_len);
/* SHA-256 of the canonical bytes as 64 lower-case hex characters. */
int cert_record_hash(const struct cert_record *r, char ret[65]);

/* ---- evidence: what the technician's signed record establishes ----
 *
 * A certificate may state only what the technician signed. Every field
 * below is derived from the attached wipe record (or destruction record),
 * by the issuing path to build a certificate and by `verify` to check one:
 *   result, asset.{id,importance_class}, media.{model,serial,wwn,
 *   capacity_bytes}, sanitization.{type,method,started_at,ended_at,
 *   duration_s,passes,error_ranges,drive_sanitize_status},
 *   verification.{result,bytes}, performer.{name,key_id,date}
 * "erased_and_verified" is derived only from a record whose job succeeded,
 * every pass done without errors and written over the whole device, read
 * back and matched, with no error range; a destruction record derives it
 * from the recorded destruction. A verify-only job (job.verify_only: it
 * read the medium and wrote nothing) derives "verified_only" with
 * sanitization.type "none" at best, never "erased_and_verified".
 * docs/certificate.md lists the evidence each kind of certificate needs. */

/* The evidence-backed fields of a wipe record (parsed canonical JSON), as
 * a JSON object shaped like the certificate record (times in UTC). -EBADMSG
 * (with *ret_err) when it is no wipe or destruction record. */
int cert_evidence_derive(const json_t *wipe_record, json_t **ret, const char **ret_err);
/* 0 when the certificate states every derived field exactly (times as
 * instants; an empty field may be left out); -EBADMSG with msg naming the
 * first field that differs. */
int cert_evidence_compare(const json_t *evidence, const struct cert_record *r, char *msg, size_t len);

/* Fill the station fields from a DMI directory (default /sys/class/dmi/id)
 * and gethostname(); missing or unreadable attributes stay NULL. */
int cert_station_probe(struct cert_record *r, const char *dmi_dir);

/* The "smart" object of page 2 from `smartctl --json -a` output: health,
 * power_on_hours, power_cycles, temperature_c, reallocated/pending/offline
 * sector counts (ATA), percentage_used, available_spare, media_errors,
 * unsafe_shutdowns (NVMe), smartctl_version; what is not reported is left
 * out. -ENODATA when smartctl found no SMART data, -EINVAL when it is not
 * smartctl's JSON. */
int cert_smart_summary(const json_t *smartctl_json, json_t **ret);
/* Run `smartctl --json -a -- devpath` (smartctl: NULL for the one on PATH;
 * it only reads) and summarise. -ENOENT when smartctl is not installed. */
int cert_smart_collect(const char *smartctl, const char *devpath, json_t **ret);

/* "令和8年11月23日" for a date "YYYY-MM-DD..." (the Japanese era form;
 * 平成 before 2019-05-01, 元年 for the first year). */
int cert_japanese_era_date(const char *iso, char *buf, size_t len);

#endif
