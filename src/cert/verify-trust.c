/* verify-trust.c - the checks that tie a certificate to people: the
 * approver's signature per the roster, the technician's signed evidence
 * and what it states, and the times the signatures claim.
 *
 * Its job: a certificate is valid only when a roster approver signed a
 * record that states exactly what a roster technician, another person,
 * signed before. It compares keys as the signatures prove them, never as
 * a record names them, and never prints.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "wipecert/canon.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "internal.h"

static bool keyid_eq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

int cert_sig_claim(const uint8_t *sig, size_t len, struct trust_claim *ret, char keyid[TRUST_KEYID_STRLEN])
{
	struct trust_sig s = { 0 };
	int r = trust_sig_parse((const char *)sig, len, &s);

	if (r < 0)
		return r;
	r = trust_claim_parse(s.trusted_comment, ret);
	if (r >= 0)
		trust_keyid_string(s.keyid, keyid);
	trust_sig_release(&s);
	return r;
}

int cert_check_roster(struct cert_vctx *v)
{
	const struct cert_record *r = v->rep->record;
	struct trust_result *res = &v->appr;
	/* a signed report by the signer its kind names (the auditor) */
	const struct cert_report_kind *kind = v->rep->report_kind;
	const char *named = r ? r->approver.key_id :
			    json_string_value(json_object_get(json_object_get(v->rep->report, kind->signer), "key_id"));
	const char *who = r ? "approver" : kind->signer;
	int doc = r ? (int)TRUST_DOC_CERTIFICATE : trust_doc_from_string(kind->type);
	const uint8_t *sig;
	size_t sig_len;
	int k;

	if (cert_find_attachment(&v->d, CERT_SIG_NAME, &sig, &sig_len) < 0)
		return cert_vset(v, CHECK_ROSTER, false, "no single %s attachment", CERT_SIG_NAME), 0;
	if (doc < 0)
		return cert_vset(v, CHECK_ROSTER, false, "no document type '%s'", kind->type), 0;
	k = trust_verify(v->store, (enum trust_doc)doc, v->rec, v->rec_len, (const char *)sig, sig_len, res);
	if (k == -ENOMEM)
		return k;
	if (k < 0)
		return cert_vset(v, CHECK_ROSTER, false, "cannot check %s: %s", CERT_SIG_NAME, trust_strerror(k)), 0;
	if (res->verdict != TRUST_OK)
		return cert_vset(v, CHECK_ROSTER, false, "%s (key %s): %s", CERT_SIG_NAME, res->keyid,
				 trust_verdict_string(res->verdict)), 0;
	/* the PDF signer and the record's signer are one approver */
	if (!res->member || !res->member->x509_sha256[0] ||
	    strcmp(res->member->x509_sha256, v->rep->signer_sha256) != 0)
		return cert_vset(v, CHECK_ROSTER, false, "the PDF is signed by another X.509 certificate than the one "
				 "the roster binds to %s key %s", who, res->keyid), 0;
	if (!keyid_eq(named, res->keyid))
		return cert_vset(v, CHECK_ROSTER, false, "the record names %s key %s but key %s signed it", who,
				 named ? named : "(none)", res->keyid), 0;
	v->appr_ok = true;
	v->rep->contractor = res->member->role == TRUST_ROLE_CONTRACTOR_APPROVER;
	cert_vset(v, CHECK_ROSTER, true, "%s %s (key %s) per the roster, the PDF's signer", who, res->claim.name,
		  res->keyid);
	return 0;
}

/* ---- evidence ---- */

void cert_row_label(const struct cert_record *r, size_t i, char *buf, size_t len)
{
	if (cert_record_is_list(r))
		snprintf(buf, len, "row %zu (asset %s): ", i + 1, r->items[i].asset_id);
	else if (len)
		buf[0] = '\0';
}

int cert_attachment_name(const char *base, size_t row, char *buf, size_t len)
{
	const char *dot = strchr(base, '.');
	int n;

	if (row == 0 || !dot)
		n = snprintf(buf, len, "%s", base);
	else
		n = snprintf(buf, len, "%.*s-%04zu%s", (int)(dot - base), base, row, dot);
	return n < 0 || (size_t)n >= len ? -ENOBUFS : 0;
}

struct evidence {
	const uint8_t *rec, *sig;
	size_t rec_len, sig_len;
	json_t *json;
	char where[160];                /* "row 7 (asset A-7): " or "" */
};

/* The technician's record and signature, attached and named by hash by
 * the approver's record. */
static bool evidence_attached(struct cert_vctx *v, struct cert_disk *dk, struct evidence *e)
{
	const struct cert_record *r = dk->r;
	char h[65], rn[64], sn[64];
	int k;

	cert_attachment_name(CERT_WIPE_RECORD_NAME, dk->row, rn, sizeof(rn));
	cert_attachment_name(CERT_WIPE_SIG_NAME, dk->row, sn, sizeof(sn));
	k = cert_find_attachment(&v->d, rn, &e->rec, &e->rec_len);
	if (k == -ENOENT)
		return cert_vset(v, CHECK_EVIDENCE, false, "%sno technician's record (%s) is attached: nothing shows that a "
				 "technician sanitised this disk", e->where, rn);
	if (k < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, k == -ENOTUNIQ ? N_("%stwo %s") : N_("%sunreadable %s"),
				 e->where, rn);
	if (cert_find_attachment(&v->d, sn, &e->sig, &e->sig_len) < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s%s attached without a single %s", e->where, rn, sn);
	if (!r->wipe_record_sha256 || !r->wipe_record_sig_sha256)
		return cert_vset(v, CHECK_EVIDENCE, false, "%sthe record does not name the attached wipe record by hash",
				 e->where);
	cert_sha256_hex(e->rec, e->rec_len, h);
	if (strcmp(h, r->wipe_record_sha256) != 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s%s is not the wipe record the approver signed (sha256 "
				 "%.16s..., record names %.16s...)", e->where, rn, h, r->wipe_record_sha256);
	memcpy(dk->rec_sha256, h, sizeof(h));
	cert_sha256_hex(e->sig, e->sig_len, h);
	if (strcmp(h, r->wipe_record_sig_sha256) != 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s%s is not the signature the approver signed", e->where, sn);
	if (canon_parse((const char *)e->rec, e->rec_len, &e->json) < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s%s is not canonical JSON", e->where, rn);
	return true;
}

/* What the record states equals what the certificate states. */
static bool evidence_states_it(struct cert_vctx *v, const struct cert_disk *dk, const struct evidence *e)
{
	const json_t *d = json_object_get(e->json, "destruction");
	const char *err = NULL, *tech = json_string_value(json_object_get(json_object_get(e->json, "technician"), "name"));
	json_t *derived = NULL;
	char msg[200];
	int k;

	k = cert_evidence_derive(e->json, &derived, &err);
	if (k < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s%s", e->where, err ? err : "cannot read the technician's record");
	k = cert_evidence_compare(derived, dk->r, msg, sizeof(msg));
	json_decref(derived);
	if (k < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s%s", e->where, msg);
	/* a destruction is witnessed by a second person */
	if (d && tech && streq(json_string_value(json_object_get(d, "witness")) ?: "", tech))
		return cert_vset(v, CHECK_EVIDENCE, false, "%sthe destruction's witness is the technician (%s)", e->where, tech);
	return true;
}

/* The record's signer per the roster: a technician valid when it signed,
 * the one the record names (and so the certificate's performer, which
 * evidence_states_it() held to the record's), another person than the
 * approver. Keys as the signatures prove them: the record's own words
 * about who performed are checked against its signer, never trusted. */
static bool evidence_signed(struct cert_vctx *v, struct cert_disk *dk, const struct evidence *e)
{
	struct trust_result *t = &v->tech;
	const char *named = json_string_value(json_object_get(json_object_get(e->json, "technician"), "key_id"));
	enum trust_verdict sep;
	int k;

	k = trust_verify(v->store, TRUST_DOC_WIPE_RECORD, e->rec, e->rec_len, (const char *)e->sig, e->sig_len, t);
	if (k < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s%s: %s", e->where, CERT_WIPE_SIG_NAME, trust_strerror(k));
	if (t->verdict != TRUST_OK)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s%s (key %s): %s", e->where, CERT_WIPE_SIG_NAME, t->keyid,
				 trust_verdict_string(t->verdict));
	v->tech_ok = true;
	dk->tech = t->claim;
	dk->tech_known = true;
	if (!keyid_eq(named, t->keyid))
		return cert_vset(v, CHECK_EVIDENCE, false, "%sthe wipe record names technician key %s but key %s signed it",
				 e->where, named ? named : "(none)", t->keyid);
	if (!v->appr_ok)
		return cert_vset(v, CHECK_EVIDENCE, false, "separation of duties not judged: the approver's signature "
				 "did not verify");
	sep = trust_check_separation(t, &v->appr);
	if (sep != TRUST_OK)
		return cert_vset(v, CHECK_EVIDENCE, false, "%sseparation of duties: %s (technician key %s, approver key %s)",
				 e->where, trust_verdict_string(sep), t->keyid, v->appr.keyid);
	/* one list, one organisation's disks: a case of another organisation
	 * has its own approver */
	if (dk->row && !streq(t->claim.org, v->appr.claim.org))
		return cert_vset(v, CHECK_EVIDENCE, false, "%sthe wipe record is %s's (technician %s), not of the approver's "
				 "organisation %s", e->where, t->claim.org, t->claim.name, v->appr.claim.org);
	return true;
}

/* A list names each disk once: no asset, no wipe record twice. */
static bool list_unique(struct cert_vctx *v, const struct cert_record *r)
{
	for (size_t i = 0; cert_record_is_list(r) && i < r->n_items; i++)
		for (size_t j = 0; j < i; j++) {
			const struct cert_record *a = &r->items[j], *b = &r->items[i];
			const char *what = streq(a->asset_id, b->asset_id) ? "asset" :
					   a->wipe_record_sha256 && b->wipe_record_sha256 &&
					   streq(a->wipe_record_sha256, b->wipe_record_sha256) ? "wipe record" : NULL;

			if (what)
				return cert_vset(v, CHECK_EVIDENCE, false, "row %zu (asset %s) repeats row %zu's %s: a list "
						 "names each disk once", i + 1, b->asset_id, j + 1, what);
		}
	return true;
}

/* One disk: attached, states what the certificate states, signed. */
static bool evidence_of_disk(struct cert_vctx *v, struct cert_disk *dk)
{
	struct evidence e = { 0 };
	struct trust_claim c;
	bool ok;

	cert_row_label(v->rep->record, dk->row ? dk->row - 1 : 0, e.where, sizeof(e.where));
	ok = evidence_attached(v, dk, &e) && evidence_states_it(v, dk, &e);
	if (ok && !v->store) {
		if (cert_sig_claim(e.sig, e.sig_len, &c, v->rep->technician_keyid) == 0) {
			dk->tech = c;
			dk->tech_known = true;
		}
	} else if (ok) {
		ok = evidence_signed(v, dk, &e);
		if (ok)
			snprintf(v->rep->technician_keyid, sizeof(v->rep->technician_keyid), "%s", v->tech.keyid);
	}
	if (ok && dk->tech_known && dk->tech.signed_at > v->rep->technician_signed_at)
		v->rep->technician_signed_at = dk->tech.signed_at;
	dk->json = e.json;
	return ok;
}

int cert_check_evidence(struct cert_vctx *v)
{
	const struct cert_record *r = v->rep->record;
	size_t n = cert_record_n_disks(r);

	v->disks = calloc(n, sizeof(*v->disks));
	if (!v->disks)
		return -ENOMEM;
	v->n_disks = n;
	for (size_t i = 0; i < n; i++) {
		v->disks[i].r = cert_record_disk(r, i);
		v->disks[i].row = cert_record_is_list(r) ? i + 1 : 0;
	}
	if (!list_unique(v, r))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!evidence_of_disk(v, &v->disks[i]))
			return 0;
	if (!v->store && n > 1)
		cert_vset(v, CHECK_EVIDENCE, true, "%zu rows: each technician's record states what its row states (their "
			  "signatures not checked: no roster)", n);
	else if (!v->store)
		cert_vset(v, CHECK_EVIDENCE, true, "the technician's record states what the certificate states "
			  "(its signature not checked: no roster)");
	else if (n > 1)
		cert_vset(v, CHECK_EVIDENCE, true, "%zu rows: each states what its technician signed (a roster technician, "
			  "another person than the approver)", n);
	else
		cert_vset(v, CHECK_EVIDENCE, true, "technician %s (key %s) signed what the certificate states; approver is "
			  "another person", v->tech.claim.name, v->tech.keyid);
	return 0;
}

/* ---- time ---- */

/* "D:20261123084900Z" (what cert_pdf_sign() writes) */
static int pdf_date(const char *s, time_t *ret)
{
	char iso[32];

	if (!s || strlen(s) != 17 || strncmp(s, "D:", 2) != 0 || s[16] != 'Z')
		return -EINVAL;
	snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", s + 2, s + 6, s + 8, s + 10, s + 12, s + 14);
	return parse_time(iso, ret);
}

static long long gap(time_t a, time_t b)
{
	return a > b ? (long long)(a - b) : (long long)(b - a);
}

static void utc(time_t t, char buf[32])
{
	if (format_utc(t, buf, 32) < 0)
		snprintf(buf, 32, "%lld", (long long)t);
}

/* The approver's key at the latest moment the certificate could have been
 * signed: any of its times may be the true one. */
static bool approver_valid_then(struct cert_vctx *v, time_t latest)
{
	const struct trust_member *m = v->appr.member;
	char a[32], b[32];

	if (!v->appr_ok || !m)
		return true;
	utc(latest, a);
	if (m->revoked && latest >= m->revoked_at) {
		utc(m->revoked_at, b);
		return cert_vset(v, CHECK_TIME, false, "the approver's key was revoked at %s; the certificate carries "
				 "a signing time of %s", b, a);
	}
	if (latest > m->not_after) {
		utc(m->not_after, b);
		return cert_vset(v, CHECK_TIME, false, "the approver's key expired at %s; the certificate carries a "
				 "signing time of %s", b, a);
	}
	return true;
}

int cert_check_time(struct cert_vctx *v)
{
	struct cert_verify_report *rep = v->rep;
	const struct cert_record *r = rep->record;
	const uint8_t *sig;
	size_t sig_len;
	struct trust_claim c;
	time_t claim, cms = rep->cms_signing_time, m = 0, t, latest;
	char a[32], b[32];
	const struct {
		const char *what, *value;
	} dates[] = {
		{ "issued_at", r ? r->issued_at : json_string_value(json_object_get(rep->report, "issued_at")) },
		{ "approver.date", r ? r->approver.date : NULL },
	};

	if (v->appr_ok)
		claim = v->appr.claim.signed_at;
	else if (cert_find_attachment(&v->d, CERT_SIG_NAME, &sig, &sig_len) == 0 &&
		 cert_sig_claim(sig, sig_len, &c, rep->approver_keyid) == 0)
		claim = c.signed_at;
	else
		return cert_vset(v, CHECK_TIME, false, "no approver's signing time: %s is missing or "
				 "unreadable", CERT_SIG_NAME), 0;
	if (v->appr_ok)
		snprintf(rep->approver_keyid, sizeof(rep->approver_keyid), "%s", v->appr.keyid);
	rep->approver_signed_at = claim;
	utc(claim, a);
	if (!cms)
		return cert_vset(v, CHECK_TIME, false, "the CMS signature carries no signing time"), 0;
	if (gap(cms, claim) > CERT_TIME_TOLERANCE) {
		utc(cms, b);
		return cert_vset(v, CHECK_TIME, false, "the approver claims to have signed at %s, the PDF's CMS "
				 "signature was made at %s", a, b), 0;
	}
	if (pdf_date(rep->signing_time, &m) < 0 || gap(m, cms) > CERT_TIME_TOLERANCE)
		return cert_vset(v, CHECK_TIME, false, "the signature's /M (%s) is not the CMS signing time",
				 rep->signing_time ? rep->signing_time : "none"), 0;
	for (size_t i = 0; i < ARRAY_SIZE(dates); i++) {
		if (!dates[i].value && i > 0)
			continue;
		if (!dates[i].value || parse_time(dates[i].value, &t) < 0 || gap(t, claim) > CERT_TIME_TOLERANCE)
			return cert_vset(v, CHECK_TIME, false, "the record's %s (%s) is not the approver's signing time %s",
					 dates[i].what, dates[i].value ? dates[i].value : "none", a), 0;
	}
	/* the evidence came first: sealed before it was approved */
	if (rep->technician_signed_at && rep->technician_signed_at > claim + CERT_TIME_TOLERANCE) {
		utc(rep->technician_signed_at, b);
		return cert_vset(v, CHECK_TIME, false, "the approver claims to have signed at %s, before the technician "
				 "signed the wipe record at %s", a, b), 0;
	}
	latest = claim > cms ? claim : cms;
	latest = latest > m ? latest : m;
	if (!approver_valid_then(v, latest))
		return 0;
	if (rep->technician_signed_at)
		cert_vset(v, CHECK_TIME, true, "signed at %s (approver's claim, CMS and /M agree within %d s); after the "
			  "technician's record", a, CERT_TIME_TOLERANCE);
	else
		cert_vset(v, CHECK_TIME, true, "signed at %s (approver's claim, CMS and /M agree within %d s)", a,
			  CERT_TIME_TOLERANCE);
	return 0;
}
