/* report.c - one mechanism for every signed report (the audit report, the
 * inspection): the signer's record signed with minisign, attached to the
 * report's PDF, the PDF signed with the same person's X.509 key, and the
 * result checked as `verify` checks a certificate (flow_cert_check).
 *
 * It must never hand back a report that `verify` would refuse, nor let a
 * key sign a type its role may not.
 */
#include <errno.h>
#include <string.h>

#include "wipecert/canon.h"
#include "wipecert/flow.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

void flow_signed_report_release(struct flow_signed_report *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->canon);
	free(r->sig);
	memset(r, 0, sizeof(*r));
}

/* "audit report" for TRUST_DOC_AUDIT_REPORT: the words of a refusal */
static const char *report_what(enum trust_doc doc)
{
	const struct cert_report_kind *kind = cert_report_kind_of(trust_doc_to_string(doc));

	return kind ? kind->what : trust_doc_to_string(doc);
}

int flow_report_sign_bytes(enum trust_doc doc, const void *data, size_t len, const struct trust_seckey *k,
			   char **ret_sig, struct flow_error *err)
{
	enum trust_role role = trust_seckey_role(k);
	int r;

	if (!trust_role_may_sign(role, doc))
		return flow_fail(err, -EPERM, "a %s key may not sign the %s", trust_role_to_string(role),
				 report_what(doc));
	r = trust_sign(doc, data, len, k, 0, ret_sig);
	if (r < 0)
		return flow_fail(err, r, "cannot sign the %s: %s", report_what(doc), trust_strerror(r));
	return 0;
}

int flow_report_sign(enum trust_doc doc, json_t *rec, const struct trust_seckey *k, struct flow_signed_report *ret,
		     struct flow_error *err)
{
	const char *id;
	int r;

	if (!rec)
		return flow_fail(err, -ENOMEM, "out of memory");
	id = json_string_value(json_object_get(rec, "report_id"));
	ret->id = id ? strdup(id) : NULL;
	r = ret->id ? canon_json(rec, &ret->canon, &ret->canon_len) : -EINVAL;
	json_decref(rec);
	if (r >= 0)
		r = flow_report_sign_bytes(doc, ret->canon, ret->canon_len, k, &ret->sig, err);
	else
		flow_fail(err, r, "the %s is not canonical JSON with a report_id: %s", report_what(doc), strerror(-r));
	if (r < 0) {
		flow_signed_report_release(ret);
		return r;
	}
	flow_sha256_hex(ret->canon, ret->canon_len, ret->sha256);
	return 0;
}

int flow_report_pdf(const struct flow_ctx *c, const struct trust_seckey *k, const struct flow_signed_report *rep,
		    struct cert_table *t, const char *font, uint8_t **ret, size_t *ret_len, struct flow_error *err)
{
	_cleanup_(trust_x509_signer_freep) struct trust_x509_signer *xs = NULL;
	_cleanup_free_ uint8_t *pdf = NULL;
	struct cert_attachment att[2] = {
		{ CERT_RECORD_NAME, (const uint8_t *)rep->canon, rep->canon_len, "the signer's report (canonical JSON)" },
		{ CERT_SIG_NAME, (const uint8_t *)rep->sig, strlen(rep->sig), "the signer's minisign signature of record.json" },
	};
	struct cert_signer s = { 0 };
	const char *perr = NULL;
	size_t len = 0;
	int r;

	r = trust_x509_signer_load(k, c->trust, NULL, &xs);
	if (r < 0)
		return flow_fail(err, r == -ENOMEM ? r : -EPERM,
				 "%s's key has no X.509 certificate in the roster to sign the PDF (%s): sign it with a key "
				 "that has one", trust_seckey_name(k), trust_strerror(r));
	t->attachments = att;
	t->n_attachments = ARRAY_SIZE(att);
	t->signature_field = true;
	r = cert_pdf_render_table(t, font, &pdf, &len, &perr);
	t->attachments = NULL;
	t->n_attachments = 0;
	if (r < 0)
		return flow_fail(err, r, "cannot render the report: %s", perr ? perr : strerror(-r));
	s.key = xs->key;
	s.cert = xs->cert;
	s.chain = xs->chain;
	s.name = trust_seckey_name(k);
	s.reason = t->title_en;
	r = cert_pdf_sign(pdf, len, &s, ret, ret_len, &perr);
	if (r < 0)
		return flow_fail(err, r, "cannot sign the report: %s", perr ? perr : strerror(-r));
	r = flow_check_as_verify(c, *ret, *ret_len, "report", err);
	if (r < 0) {
		free(*ret);
		*ret = NULL;
	}
	return r;
}
