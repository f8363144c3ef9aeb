/* verify.c - checking a wipecert signature against the trust store.
 *
 * Its job: one verdict per signature that names the first reason it fails
 * (bad bytes, unknown key or organisation, wrong role, revoked, outside the
 * key's validity). It must never return TRUST_OK for a signature whose
 * claims (type, role, organisation, name) differ from what the roster says.
 */
#include <errno.h>
#include <string.h>

#include "wipecert/canon.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "trust-internal.h"

static const char *const verdict_names[_TRUST_VERDICT_MAX] = {
	[TRUST_OK] = N_("valid"),
	[TRUST_BAD_SIGNATURE] = N_("signature does not match (document, signature or trusted comment altered)"),
	[TRUST_MALFORMED] = N_("signature unreadable or of an unknown algorithm"),
	[TRUST_UNKNOWN_KEY] = N_("signing key is in no roster"),
	[TRUST_UNKNOWN_ORG] = N_("organisation is neither ours nor a pinned contractor"),
	[TRUST_WRONG_ROLE] = N_("signer's role may not sign this document type"),
	[TRUST_REVOKED] = N_("signing key was revoked"),
	[TRUST_EXPIRED] = N_("signing time is after the key's validity"),
	[TRUST_NOT_YET_VALID] = N_("signing time is before the key's validity"),
	[TRUST_DOC_MISMATCH] = N_("signature's claims differ from the document or the roster"),
	[TRUST_SAME_SIGNER] = N_("approval signed by the same person or key as the wipe record"),
};

const char *trust_verdict_string(enum trust_verdict v)
{
	return (unsigned)v < _TRUST_VERDICT_MAX ? verdict_names[v] : "unknown verdict";
}

static bool org_known(const struct trust_store *s, const char *org)
{
	for (size_t i = 0; i < trust_store_n_members(s); i++)
		if (streq(trust_store_member(s, i)->org, org))
			return true;
	return false;
}

/* The document's own "type", if it is a JSON object with one. */
static bool doc_type_matches(enum trust_doc doc, const uint8_t *msg, size_t len)
{
	json_t *v;
	const char *t;
	bool ok = true;

	if (len == 0 || msg[0] != '{')
		return true;
	v = json_loadb((const char *)msg, len, JSON_REJECT_DUPLICATES, NULL);
	if (!v)
		return true;
	t = json_string_value(json_object_get(v, "type"));
	if (t && !streq(t, trust_doc_to_string(doc)))
		ok = false;
	json_decref(v);
	return ok;
}

static enum trust_verdict judge(const struct trust_store *st, enum trust_doc doc,
				const uint8_t *msg, size_t len, const struct trust_sig *s,
				struct trust_result *res)
{
	const struct trust_member *m;
	int r;

	if (trust_claim_parse(s->trusted_comment, &res->claim) < 0)
		return TRUST_MALFORMED;
	m = trust_store_find(st, s->keyid);
	if (!m)
		return org_known(st, res->claim.org) ? TRUST_UNKNOWN_KEY : TRUST_UNKNOWN_ORG;
	res->member = m;
	r = trust_sig_check(s, &m->pk, msg, len);
	if (r == -ENOMEM)
		return _TRUST_VERDICT_MAX;
	if (r < 0)
		return TRUST_BAD_SIGNATURE;
	/* from here the claims are the key holder's own words */
	if (!trust_role_may_sign(m->role, doc))
		return TRUST_WRONG_ROLE;
	if (res->claim.doc != doc || !doc_type_matches(doc, msg, len) ||
	    res->claim.role != m->role || !streq(res->claim.org, m->org) ||
	    !streq(res->claim.name, m->name) || !streq(res->claim.keyid, res->keyid))
		return TRUST_DOC_MISMATCH;
	if (m->revoked && (res->claim.signed_at >= m->revoked_at ||
			   streq(m->revoke_reason, "key-compromise")))
		return TRUST_REVOKED;
	if (res->claim.signed_at < m->not_before)
		return TRUST_NOT_YET_VALID;
	if (res->claim.signed_at > m->not_after)
		return TRUST_EXPIRED;
	return TRUST_OK;
}

int trust_verify(const struct trust_store *st, enum trust_doc doc,
		 const uint8_t *msg, size_t len, const char *sig_text, size_t sig_len,
		 struct trust_result *ret)
{
	struct trust_result res = {};
	struct trust_sig s = {};
	enum trust_verdict v;

	if (!st || (unsigned)doc >= _TRUST_DOC_MAX || (!msg && len))
		return -EINVAL;
	if (trust_sig_parse(sig_text, sig_len, &s) < 0) {
		res.verdict = TRUST_MALFORMED;
		*ret = res;
		return 0;
	}
	trust_keyid_string(s.keyid, res.keyid);
	v = judge(st, doc, msg, len, &s, &res);
	trust_sig_release(&s);
	if (v == _TRUST_VERDICT_MAX)
		return -ENOMEM;
	res.verdict = v;
	*ret = res;
	return 0;
}

enum trust_verdict trust_check_separation(const struct trust_result *wipe_record,
					  const struct trust_result *approval)
{
	/* both must stand on their own first */
	if (wipe_record->verdict != TRUST_OK)
		return wipe_record->verdict;
	if (approval->verdict != TRUST_OK)
		return approval->verdict;
	if (streq(wipe_record->keyid, approval->keyid))
		return TRUST_SAME_SIGNER;
	/* one person with two keys is still one person */
	if (streq(wipe_record->claim.name, approval->claim.name) &&
	    streq(wipe_record->claim.org, approval->claim.org))
		return TRUST_SAME_SIGNER;
	/* a valid verdict means the claims equal the roster's */
	if (!trust_role_may_sign(approval->claim.role, TRUST_DOC_APPROVAL) ||
	    !trust_role_may_sign(wipe_record->claim.role, TRUST_DOC_WIPE_RECORD))
		return TRUST_WRONG_ROLE;
	return TRUST_OK;
}
