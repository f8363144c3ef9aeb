/* verify-custody.c - the checks of the documents a certificate carries
 * besides the technician's record: each witness's signed statement, and
 * the hand-over list (引渡書) and receipt (受領書) of its custody.
 *
 * Its job: what the certificate says about a witness or a hand-over is
 * believed only from the signed document attached to it and named by
 * hash, signed by someone the roster allows: a witness who is another
 * person than the technician and the approver; a hand-over that gave this
 * very organisation every asset the certificate covers. Never prints.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "internal.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool same_text(const char *a, const char *b)
{
	return a && b && streq(a, b);
}

/* A signed document attached as name and name.minisig, its bytes named by
 * sha256 (the signature's too when sig_sha256 is given), parsed. */
struct signed_doc {
	const uint8_t *data, *sig;
	size_t len, sig_len;
	json_t *json;
};

static const char *load_doc(struct cert_vctx *v, const char *name, const char *sha256, const char *sig_sha256,
			    struct signed_doc *d, char *why, size_t len)
{
	char sname[80], h[65];

	snprintf(sname, sizeof(sname), "%s.minisig", name);
	if (cert_find_attachment(&v->d, name, &d->data, &d->len) < 0 ||
	    cert_find_attachment(&v->d, sname, &d->sig, &d->sig_len) < 0)
		return snprintf(why, len, "%s and %s are not attached, once each", name, sname), why;
	cert_sha256_hex(d->data, d->len, h);
	if (!sha256 || strcmp(h, sha256) != 0)
		return snprintf(why, len, "%s is not the document the approver signed (sha256 %.16s...)", name, h), why;
	cert_sha256_hex(d->sig, d->sig_len, h);
	if (sig_sha256 && strcmp(h, sig_sha256) != 0)
		return snprintf(why, len, "%s is not the signature the approver signed", sname), why;
	if (canon_parse((const char *)d->data, d->len, &d->json) < 0)
		return snprintf(why, len, "%s is not canonical JSON", name), why;
	return NULL;
}

/* Who signed a document: per the roster (doc's roles only), or the
 * signer's own claim without one. A signer of an organisation this roster
 * does not know (the client's witness or hand-over, read by the contractor
 * who holds no roster of the client) cannot be judged here: *ret_judged is
 * false and it passes, unless this roster is the client's own (r->client),
 * which judges everything its people signed. NULL, or why not. */
static const char *signer_of(struct cert_vctx *v, enum trust_doc doc, const struct signed_doc *d,
			     struct trust_claim *ret, bool *ret_judged, char *why, size_t len)
{
	const struct cert_record *r = v->rep->record;
	struct trust_result res;
	char keyid[TRUST_KEYID_STRLEN];
	int k;

	*ret_judged = v->store != NULL;
	if (!v->store) {
		if (cert_sig_claim(d->sig, d->sig_len, ret, keyid) < 0)
			return snprintf(why, len, "its signature is unreadable"), why;
		return NULL;
	}
	k = trust_verify(v->store, doc, d->data, d->len, (const char *)d->sig, d->sig_len, &res);
	if (k < 0)
		return snprintf(why, len, "its signature cannot be checked: %s", trust_strerror(k)), why;
	*ret = res.claim;
	if (res.verdict == TRUST_UNKNOWN_ORG && !(r->client && streq(r->client, trust_store_org(v->store))) &&
	    !streq(res.claim.org, trust_store_org(v->store))) {
		*ret_judged = false;
		v->rep->unjudged = true;
		return NULL;
	}
	if (res.verdict != TRUST_OK)
		return snprintf(why, len, "its signature (key %s): %s", res.keyid, trust_verdict_string(res.verdict)), why;
	return NULL;
}

static bool same_person(const struct trust_claim *a, const char *name, const char *org, const char *keyid)
{
	return (keyid && strcasecmp(a->keyid, keyid) == 0) || (same_text(a->name, name) && same_text(a->org, org));
}

/* ---- witness ---- */

/* One disk's witness: the statement says it saw that very record done,
 * its signer is a witness, the certificate names them as they signed. */
static const char *witness_of(struct cert_vctx *v, const struct cert_disk *dk, char *why, size_t len)
{
	const struct cert_record *r = dk->r;
	const json_t *w, *rec;
	struct signed_doc d = { 0 };
	struct trust_claim wc = { 0 };
	const char *bad, *typed;
	char name[64];
	time_t at = 0, named = 0;
	bool judged;

	cert_attachment_name(CERT_WITNESS_NAME, dk->row, name, sizeof(name));
	bad = load_doc(v, name, r->witness_sha256, r->witness_sig_sha256, &d, why, len);
	if (bad)
		goto out;
	w = json_object_get(d.json, "witness");
	rec = json_object_get(d.json, "record");
	if (!same_text(jstr(d.json, "type"), "witness") || !same_text(jstr(d.json, "schema"), CERT_WITNESS_SCHEMA) ||
	    !json_is_object(w) || parse_time(jstr(d.json, "witnessed_at") ?: "", &at) < 0) {
		bad = (snprintf(why, len, "%s is not a witness statement (%s)", name, CERT_WITNESS_SCHEMA), why);
		goto out;
	}
	if (!dk->rec_sha256[0] || !same_text(jstr(rec, "sha256"), dk->rec_sha256)) {
		bad = (snprintf(why, len, "the witness statement is about another record (sha256 %.16s...), not this "
				"disk's wipe record", jstr(rec, "sha256") ?: "none"), why);
		goto out;
	}
	bad = signer_of(v, TRUST_DOC_WITNESS, &d, &wc, &judged, why, len);
	if (bad)
		goto out;
	/* the certificate names the witness as the statement does */
	if (!same_text(r->witness.name, jstr(w, "name")) || !same_text(r->witness.key_id, jstr(w, "key_id")) ||
	    strcasecmp(wc.keyid, jstr(w, "key_id") ?: "") != 0 || !same_text(wc.name, jstr(w, "name")) ||
	    (r->witness.organisation && !same_text(r->witness.organisation, jstr(w, "org"))) ||
	    !r->witness.date || parse_time(r->witness.date, &named) < 0 || named != at) {
		bad = (snprintf(why, len, "the certificate names witness %s (key %s), the signed statement %s (key %s, %s)",
				r->witness.name ?: "-", r->witness.key_id ?: "-", jstr(w, "name") ?: "-", wc.keyid,
				jstr(d.json, "witnessed_at")), why);
		goto out;
	}
	/* a witness is a third person */
	if (dk->tech_known && same_person(&dk->tech, wc.name, wc.org, wc.keyid)) {
		bad = (snprintf(why, len, "the witness %.60s is the technician who signed the record", wc.name), why);
		goto out;
	}
	if (v->appr_ok && same_person(&v->appr.claim, wc.name, wc.org, wc.keyid)) {
		bad = (snprintf(why, len, "the witness %.60s is the approver", wc.name), why);
		goto out;
	}
	typed = jstr(json_object_get(dk->json, "destruction"), "witness");
	if (typed && !streq(typed, wc.name)) {
		bad = (snprintf(why, len, "the destruction record names witness %.60s, the statement is signed by %.60s", typed,
				wc.name), why);
		goto out;
	}
	/* after the technician sealed the record, before the approval */
	if (dk->tech_known && at + CERT_TIME_TOLERANCE < dk->tech.signed_at) {
		bad = (snprintf(why, len, "the witness signed (%s) before the technician sealed the record",
				jstr(d.json, "witnessed_at")), why);
		goto out;
	}
	if (v->appr_ok && at > v->appr.claim.signed_at + CERT_TIME_TOLERANCE) {
		bad = (snprintf(why, len, "the witness signed (%s) after the approval", jstr(d.json, "witnessed_at")), why);
		goto out;
	}
out:
	json_decref(d.json);
	return bad;
}

int cert_check_witness(struct cert_vctx *v)
{
	const struct cert_record *r = v->rep->record;
	size_t named = 0;
	char why[200], where[160], name[64];
	const uint8_t *p;
	size_t l;

	for (size_t i = 0; i < v->n_disks; i++) {
		const struct cert_disk *dk = &v->disks[i];

		cert_row_label(r, i, where, sizeof(where));
		if (!dk->r->witness_sha256) {
			cert_attachment_name(CERT_WITNESS_NAME, dk->row, name, sizeof(name));
			if (cert_find_attachment(&v->d, name, &p, &l) != -ENOENT)
				return cert_vset(v, CHECK_WITNESS, false, "%s%s is attached, but the certificate names no "
						 "witness", where, name), 0;
			continue;
		}
		named++;
		if (witness_of(v, dk, why, sizeof(why)))
			return cert_vset(v, CHECK_WITNESS, false, "%s%s", where, why), 0;
	}
	if (!named)
		return cert_vset(v, CHECK_WITNESS, true, "no witness named"), 0;
	{
		/* whole sentences, each translated as one: [one or more][roster: checked, another org's, none] */
		static const char *const said[2][3] = {
			{ N_("%zu witness statement signed by a roster witness, another person than technician and approver"),
			  N_("%zu witness statement signed by a roster witness (of an organisation this roster does not "
			     "hold: the client judges it), another person than technician and approver"),
			  N_("%zu witness statement signed by the witness (not checked: no roster), another person than "
			     "technician and approver") },
			{ N_("%zu witness statements signed by a roster witness, another person than technician and approver"),
			  N_("%zu witness statements signed by a roster witness (of an organisation this roster does not "
			     "hold: the client judges it), another person than technician and approver"),
			  N_("%zu witness statements signed by the witness (not checked: no roster), another person than "
			     "technician and approver") },
		};

		cert_vset(v, CHECK_WITNESS, true, said[named > 1][!v->store ? 2 : v->rep->unjudged ? 1 : 0], named);
	}
	return 0;
}

/* ---- custody ---- */

/* Does the hand-over list hand over this disk? */
static bool handed_over(const json_t *assets, const struct cert_record *d)
{
	const json_t *a;
	size_t i;

	json_array_foreach(assets, i, a) {
		const char *id = jstr(a, "asset_id"), *serial = jstr(a, "serial");

		if (same_text(id, d->asset_id))
			return serial && d->serial && strcasecmp(serial, d->serial) == 0;
	}
	return false;
}

/* The hand-over's signer: an approver of the organisation it is from (a
 * contractor's approver for a later tier). */
static const char *handover_signed(struct cert_vctx *v, const struct signed_doc *d, bool *ret_judged, char *why,
				   size_t len)
{
	const char *from = jstr(json_object_get(d->json, "from"), "org"), *bad;
	struct trust_claim c = { 0 };

	bad = signer_of(v, TRUST_DOC_HANDOVER, d, &c, ret_judged, why, len);
	if (bad)
		return bad;
	if (!same_text(c.org, from))
		return snprintf(why, len, "the hand-over list is from %.60s but signed by %.60s of %.60s", from ?: "-",
				c.name, c.org), why;
	return NULL;
}

int cert_check_custody(struct cert_vctx *v)
{
	const struct cert_record *r = v->rep->record;
	struct signed_doc ho = { 0 }, rc = { 0 };
	const char *bad = NULL, *to;
	struct trust_claim c = { 0 };
	char why[240], where[160];
	const char *issuer = v->appr_ok ? v->appr.claim.org : r->approver.organisation;
	bool judged = true, rjudged = true;
	const uint8_t *p;
	size_t l;

	if (!r->handover_sha256) {
		if (cert_find_attachment(&v->d, CERT_HANDOVER_NAME, &p, &l) != -ENOENT)
			return cert_vset(v, CHECK_CUSTODY, false, "%s is attached, but the certificate names "
					 "no hand-over list", CERT_HANDOVER_NAME), 0;
		return cert_vset(v, CHECK_CUSTODY, true, "no hand-over list named"), 0;
	}
	bad = load_doc(v, CERT_HANDOVER_NAME, r->handover_sha256, NULL, &ho, why, sizeof(why));
	if (bad)
		goto out;
	to = jstr(json_object_get(ho.json, "to"), "org");
	if (!same_text(jstr(ho.json, "type"), "handover") || !same_text(jstr(ho.json, "schema"), CERT_HANDOVER_SCHEMA) ||
	    !same_text(jstr(ho.json, "id"), r->handover_id)) {
		bad = (snprintf(why, sizeof(why), "%s is not hand-over list %s (%s)", CERT_HANDOVER_NAME, r->handover_id,
				CERT_HANDOVER_SCHEMA), why);
		goto out;
	}
	if (!same_text(to, issuer)) {
		bad = (snprintf(why, sizeof(why), "hand-over list %.40s hands the assets to %.60s, not to %.60s who certifies them",
				r->handover_id, to ?: "-", issuer ?: "-"), why);
		goto out;
	}
	for (size_t i = 0; i < cert_record_n_disks(r); i++)
		if (!handed_over(json_object_get(ho.json, "assets"), cert_record_disk(r, i))) {
			cert_row_label(r, i, where, sizeof(where));
			bad = (snprintf(why, sizeof(why), "%sasset %s (serial %s) is not on hand-over list %s", where,
					cert_record_disk(r, i)->asset_id, cert_record_disk(r, i)->serial, r->handover_id), why);
			goto out;
		}
	bad = handover_signed(v, &ho, &judged, why, sizeof(why));
	if (bad)
		goto out;
	if (r->receipt_sha256) {
		bad = load_doc(v, CERT_RECEIPT_NAME, r->receipt_sha256, NULL, &rc, why, sizeof(why));
		if (!bad && (!same_text(jstr(rc.json, "type"), "receipt") ||
			     !same_text(jstr(json_object_get(rc.json, "handover"), "sha256"), r->handover_sha256)))
			bad = (snprintf(why, sizeof(why), "%s is not the receipt of hand-over list %s", CERT_RECEIPT_NAME,
					r->handover_id), why);
		if (!bad)
			bad = signer_of(v, TRUST_DOC_RECEIPT, &rc, &c, &rjudged, why, sizeof(why));
		if (!bad && rjudged && !same_text(c.org, to))
			bad = (snprintf(why, sizeof(why), "the receipt is signed by %.60s of %.60s, not by %.60s", c.name, c.org, to), why);
		if (bad)
			goto out;
	}
	{
		/* whole sentences, each translated as one: [receipt][roster: checked, another org's, none] */
		static const char *const said[2][3] = {
			{ N_("hand-over list %s to %s holds every asset"),
			  N_("hand-over list %s to %s holds every asset (a signer's organisation is not in this roster: "
			     "the client judges it)"),
			  N_("hand-over list %s to %s holds every asset (signatures not checked: no roster)") },
			{ N_("hand-over list %s to %s holds every asset, receipt signed by the contractor"),
			  N_("hand-over list %s to %s holds every asset, receipt signed by the contractor (a signer's "
			     "organisation is not in this roster: the client judges it)"),
			  N_("hand-over list %s to %s holds every asset, receipt signed by the contractor (signatures not "
			     "checked: no roster)") },
		};

		cert_vset(v, CHECK_CUSTODY, true, said[r->receipt_sha256 != NULL][!v->store ? 2 : judged && rjudged ? 0 : 1],
			  r->handover_id, to);
	}
out:
	if (bad)
		cert_vset(v, CHECK_CUSTODY, false, "%s", bad);
	json_decref(ho.json);
	json_decref(rc.json);
	return 0;
}
