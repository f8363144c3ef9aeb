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

/* The claim of a signature file without the roster (the key holder's own
 * words; checked by trust_verify() where a roster is given). */
static int claim_of(const uint8_t *sig, size_t len, struct trust_claim *ret, char keyid[TRUST_KEYID_STRLEN])
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
	const uint8_t *sig;
	size_t sig_len;
	int k;

	if (cert_find_attachment(&v->d, CERT_SIG_NAME, &sig, &sig_len) < 0)
		return cert_vset(v, CHECK_ROSTER, false, "no single %s attachment", CERT_SIG_NAME), 0;
	k = trust_verify(v->store, TRUST_DOC_CERTIFICATE, v->rec, v->rec_len, (const char *)sig, sig_len, res);
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
				 "the roster binds to approver key %s", res->keyid), 0;
	if (!keyid_eq(r->approver.key_id, res->keyid))
		return cert_vset(v, CHECK_ROSTER, false, "the record names approver key %s but key %s signed it",
				 r->approver.key_id ? r->approver.key_id : "(none)", res->keyid), 0;
	v->appr_ok = true;
	v->rep->contractor = res->member->role == TRUST_ROLE_CONTRACTOR_APPROVER;
	cert_vset(v, CHECK_ROSTER, true, "approver %s (key %s) per the roster, the PDF's signer", res->claim.name,
		  res->keyid);
	return 0;
}

/* ---- evidence ---- */

struct evidence {
	const uint8_t *rec, *sig;
	size_t rec_len, sig_len;
	json_t *json;
};

/* The technician's record and signature, attached and named by hash by
 * the approver's record. */
static bool evidence_attached(struct cert_vctx *v, struct evidence *e)
{
	const struct cert_record *r = v->rep->record;
	char h[65];
	int k;

	k = cert_find_attachment(&v->d, CERT_WIPE_RECORD_NAME, &e->rec, &e->rec_len);
	if (k == -ENOENT)
		return cert_vset(v, CHECK_EVIDENCE, false, "no technician's record (%s) is "
				 "attached: nothing shows that a technician sanitised this disk", CERT_WIPE_RECORD_NAME);
	if (k < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, k == -ENOTUNIQ ? N_("two %s") : N_("unreadable %s"),
				 CERT_WIPE_RECORD_NAME);
	if (cert_find_attachment(&v->d, CERT_WIPE_SIG_NAME, &e->sig, &e->sig_len) < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s attached without a single %s",
				 CERT_WIPE_RECORD_NAME, CERT_WIPE_SIG_NAME);
	if (!r->wipe_record_sha256 || !r->wipe_record_sig_sha256)
		return cert_vset(v, CHECK_EVIDENCE, false, "the record does not name the attached wipe record by hash");
	cert_sha256_hex(e->rec, e->rec_len, h);
	if (strcmp(h, r->wipe_record_sha256) != 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s is not the wipe record the approver "
				 "signed (sha256 %.16s..., record names %.16s...)", CERT_WIPE_RECORD_NAME, h, r->wipe_record_sha256);
	cert_sha256_hex(e->sig, e->sig_len, h);
	if (strcmp(h, r->wipe_record_sig_sha256) != 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s is not the signature the approver signed", CERT_WIPE_SIG_NAME);
	if (canon_parse((const char *)e->rec, e->rec_len, &e->json) < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s is not canonical JSON", CERT_WIPE_RECORD_NAME);
	return true;
}

/* What the record states equals what the certificate states. */
static bool evidence_states_it(struct cert_vctx *v, const struct evidence *e)
{
	const json_t *d = json_object_get(e->json, "destruction");
	const char *err = NULL, *tech = json_string_value(json_object_get(json_object_get(e->json, "technician"), "name"));
	json_t *derived = NULL;
	char msg[200];
	int k;

	k = cert_evidence_derive(e->json, &derived, &err);
	if (k < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s", err ? err : "cannot read the technician's record");
	k = cert_evidence_compare(derived, v->rep->record, msg, sizeof(msg));
	json_decref(derived);
	if (k < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s", msg);
	/* a destruction is witnessed by a second person */
	if (d && tech && streq(json_string_value(json_object_get(d, "witness")) ?: "", tech))
		return cert_vset(v, CHECK_EVIDENCE, false, "the destruction's witness is the technician (%s)", tech);
	return true;
}

/* The record's signer per the roster: a technician valid when it signed,
 * the one the record names (and so the certificate's performer, which
 * evidence_states_it() held to the record's), another person than the
 * approver. Keys as the signatures prove them: the record's own words
 * about who performed are checked against its signer, never trusted. */
static bool evidence_signed(struct cert_vctx *v, const struct evidence *e)
{
	struct trust_result *t = &v->tech;
	const char *named = json_string_value(json_object_get(json_object_get(e->json, "technician"), "key_id"));
	enum trust_verdict sep;
	int k;

	k = trust_verify(v->store, TRUST_DOC_WIPE_RECORD, e->rec, e->rec_len, (const char *)e->sig, e->sig_len, t);
	if (k < 0)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s: %s", CERT_WIPE_SIG_NAME, trust_strerror(k));
	if (t->verdict != TRUST_OK)
		return cert_vset(v, CHECK_EVIDENCE, false, "%s (key %s): %s", CERT_WIPE_SIG_NAME, t->keyid,
				 trust_verdict_string(t->verdict));
	v->tech_ok = true;
	if (!keyid_eq(named, t->keyid))
		return cert_vset(v, CHECK_EVIDENCE, false, "the wipe record names technician key %s but key %s signed it",
				 named ? named : "(none)", t->keyid);
	if (!v->appr_ok)
		return cert_vset(v, CHECK_EVIDENCE, false, "separation of duties not judged: the approver's signature "
				 "did not verify");
	sep = trust_check_separation(t, &v->appr);
	if (sep != TRUST_OK)
		return cert_vset(v, CHECK_EVIDENCE, false, "separation of duties: %s (technician key %s, approver key %s)",
				 trust_verdict_string(sep), t->keyid, v->appr.keyid);
	return true;
}

int cert_check_evidence(struct cert_vctx *v)
{
	struct evidence e = { 0 };
	struct trust_claim c;

	if (!evidence_attached(v, &e) || !evidence_states_it(v, &e))
		goto out;
	if (!v->store) {
		if (claim_of(e.sig, e.sig_len, &c, v->rep->technician_keyid) == 0)
			v->rep->technician_signed_at = c.signed_at;
		cert_vset(v, CHECK_EVIDENCE, true, "the technician's record states what the certificate states "
			  "(its signature not checked: no roster)");
		goto out;
	}
	if (!evidence_signed(v, &e))
		goto out;
	v->rep->technician_signed_at = v->tech.claim.signed_at;
	snprintf(v->rep->technician_keyid, sizeof(v->rep->technician_keyid), "%s", v->tech.keyid);
	cert_vset(v, CHECK_EVIDENCE, true, "technician %s (key %s) signed what the certificate states; approver is "
		  "another person", v->tech.claim.name, v->tech.keyid);
out:
	json_decref(e.json);
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
	} dates[] = { { "issued_at", r->issued_at }, { "approver.date", r->approver.date } };

	if (v->appr_ok)
		claim = v->appr.claim.signed_at;
	else if (cert_find_attachment(&v->d, CERT_SIG_NAME, &sig, &sig_len) == 0 &&
		 claim_of(sig, sig_len, &c, rep->approver_keyid) == 0)
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
