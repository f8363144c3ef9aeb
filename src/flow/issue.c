/* issue.c - the one issuing path: a certificate from the technician's
 * signed record and the approver's key (see flow.h, flow_issue()).
 *
 * approve (wipes and destructions, ours and contractors') and `cert issue`
 * come through here, so every certificate passes the same checks: the
 * technician's signature per the roster, the approver's role and roster
 * entry, separation of duties, the policy, a record that states exactly
 * what the technician signed, and finally the certificate verified as
 * `verify` would (as minisign verifies before it writes). Never prints,
 * never writes a file: the callers do, once this returned 0.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/erase.h"
#include "wipecert/flow.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/lifecycle.h"
#include "flow-internal.h"

void flow_issued_release(struct flow_issued *i)
{
	if (!i)
		return;
	cert_record_free(i->record);
	free(i->canon);
	free(i->record_sig);
	free(i->pdf);
	memset(i, 0, sizeof(*i));
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The technician's record, read and checked. */
struct evidence {
	json_t *rec;
	struct trust_result tech;
	char rec_sha256[65], sig_sha256[65];
};

/* Step 1: the record is a technician's of our roster (or a pinned
 * contractor's), valid when signed, and names its signer as technician. */
static int check_evidence(const struct flow_ctx *c, const struct flow_issue_request *q, struct evidence *ev,
			  struct flow_error *err)
{
	const char *named;
	int r;

	if (!c->trust)
		return flow_fail(err, -EINVAL, "a trust directory is needed (--trust)");
	r = trust_verify(c->trust, TRUST_DOC_WIPE_RECORD, q->evidence, q->evidence_len, (const char *)q->evidence_sig,
			 q->evidence_sig_len, &ev->tech);
	if (r < 0)
		return flow_fail(err, r, "cannot verify the wipe record: %s", strerror(-r));
	if (ev->tech.verdict != TRUST_OK)
		return flow_fail(err, -EPERM, "the technician's signature does not verify: %s",
				 trust_verdict_string(ev->tech.verdict));
	r = canon_parse((const char *)q->evidence, q->evidence_len, &ev->rec);
	if (r < 0)
		return flow_fail(err, -EBADMSG, "the wipe record is not canonical JSON");
	named = jstr(json_object_get(ev->rec, "technician"), "key_id");
	if (!named || strcasecmp(named, ev->tech.keyid) != 0)
		return flow_fail(err, -EPERM, "the wipe record names technician key %s but key %s signed it",
				 named ?: "(none)", ev->tech.keyid);
	flow_sha256_hex(q->evidence, q->evidence_len, ev->rec_sha256);
	flow_sha256_hex(q->evidence_sig, q->evidence_sig_len, ev->sig_sha256);
	return 0;
}

/* Step 2: the approver's key may sign certificates and is the roster's. */
static int check_approver(const struct flow_ctx *c, const struct trust_seckey *k, struct flow_error *err)
{
	const struct trust_member *m;
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN];

	if (!trust_role_may_sign(trust_seckey_role(k), TRUST_DOC_CERTIFICATE))
		return flow_fail(err, -EPERM, "a %s key may not approve", trust_role_to_string(trust_seckey_role(k)));
	trust_seckey_pubkey(k, &pk);
	trust_keyid_string(pk.keyid, id);
	m = trust_store_find(c->trust, pk.keyid);
	if (!m || m->role != trust_seckey_role(k))
		return flow_fail(err, -EPERM, "the approver's key %s is not an approver of the roster", id);
	return 0;
}

/* Step 3: the policy for the asset's class: who approves, which methods. */
/* The class and status the policy check takes from the wipe record are
 * what the asset's signed ledger history says: every event signed by its
 * actor, every change the policy depends on approved. */
static int check_asset_history(const struct flow_ctx *c, const struct evidence *ev, struct flow_error *err)
{
	struct ledger_sig_result res = { 0 };
	const char *aid = jstr(json_object_get(ev->rec, "asset"), "asset_id");
	int r;

	if (!c->ledger || !aid)
		return 0;
	/* a lost, stolen, held or departed medium gets no certificate */
	r = flow_lifecycle_check(c, aid, LC_OP_APPROVE, err);
	if (r < 0 || !c->trust)
		return r;
	r = ledger_verify_asset(c->ledger, c->trust, aid, &res);
	if (r == -EBADMSG)
		return flow_fail(err, -EPERM, "asset %s: its ledger history does not check out: %s", aid, res.detail);
	if (r < 0)
		return flow_fail(err, r, "asset %s: cannot check its ledger history: %s", aid, strerror(-r));
	return 0;
}

static int check_policy(const struct policy *pol, const struct evidence *ev, const struct trust_seckey *approver,
			struct flow_error *err)
{
	const json_t *asset = json_object_get(ev->rec, "asset");
	const char *role = trust_role_to_string(trust_seckey_role(approver));
	const char *method = jstr(json_object_get(ev->rec, "job"), "method") ?:
			     jstr(json_object_get(ev->rec, "destruction"), "method");
	const struct policy_class *pc;
	_cleanup_free_ char *why = NULL;
	json_t *derived = NULL;
	json_int_t class_n;
	bool verified_only;

	if (cert_evidence_derive(ev->rec, &derived, NULL) < 0)
		return flow_fail(err, -EPERM, "the wipe record states no disposal");
	class_n = json_integer_value(json_object_get(json_object_get(derived, "asset"), "importance_class"));
	verified_only = streq(json_string_value(json_object_get(derived, "result")) ?: "", "verified_only");
	json_decref(derived);
	if (class_n < 1 || class_n > POLICY_CLASSES)
		return flow_fail(err, -EPERM, "asset %s has no importance class: the policy cannot be applied",
				 jstr(asset, "asset_id") ?: "?");
	pc = &pol->cls[class_n - 1];
	/* a contractor's approver approves a contractor's work */
	if (pc->approver_role && !streq(pc->approver_role, role) &&
	    !(streq(pc->approver_role, "approver") && streq(role, "contractor-approver") &&
	      ev->tech.member && ev->tech.member->role == TRUST_ROLE_CONTRACTOR_TECHNICIAN))
		return flow_fail(err, -EPERM, "class %lld disposals are approved by a %s key, not a %s key",
				 (long long)class_n, pc->approver_role, role);
	/* a certificate that says "verified only" claims no sanitisation: the
	 * policy's methods do not apply to it (who approves still does) */
	if (!verified_only && policy_check_method(pol, (int)class_n, method ?: "", flow_method_level(method), &why) < 0)
		return flow_fail(err, -EPERM, "%s", why ? why : "refused by the policy");
	return 0;
}

/* ---- step 4: the certificate record ---- */

/* "2026-11-23T08:49:00Z" -> "2026-11-23T17:49:00+09:00" (local offset) */
static json_t *local_time(const char *utc)
{
	char buf[40];
	time_t t;

	if (!utc || parse_time(utc, &t) < 0 || format_local(t, buf, sizeof(buf)) < 0)
		return json_string(utc ? utc : "");
	return json_string(buf);
}

static void localise(json_t *o, const char *key)
{
	const char *v = jstr(o, key);

	if (v)
		json_object_set_new(o, key, local_time(v));
}

static const char *media_type(const char *transport, const char *asset_type)
{
	if (asset_type && *asset_type)
		return asset_type;
	if (!transport)
		return "disk";
	if (streq(transport, "nvme"))
		return "NVMe SSD";
	if (streq(transport, "file") || streq(transport, "loop"))
		return "disk image";
	if (streq(transport, "usb"))
		return "USB storage";
	return "disk";
}

static const char *verification_method(const char *verify, json_int_t percent, char *buf, size_t len)
{
	if (!verify || streq(verify, "off"))
		return "none";
	if (streq(verify, "last"))
		return "full read-back of the last pass / 最終パス全域の読み戻し";
	if (streq(verify, "all"))
		return "full read-back of every pass / 全パス全域の読み戻し";
	snprintf(buf, len, "NIST SP 800-88 sampled read-back, %lld%%, compared with the samples before the erase where the "
		 "drive erased / 抽出読み戻し %lld%%", (long long)percent, (long long)percent);
	return buf;
}

static void set_opt(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

/* The prose a wipe's certificate adds to what the record states: the
 * method's title or the firmware's answer, how it was verified. */
static void describe_wipe(json_t *cert, const json_t *rec)
{
	const json_t *job = json_object_get(rec, "job"), *dev = json_object_get(job, "device");
	const json_t *fw = json_object_get(job, "firmware"), *asset = json_object_get(rec, "asset");
	json_t *san = json_object_get(cert, "sanitization");
	const struct erase_method *em = erase_method_find(jstr(job, "method") ?: "");
	char vbuf[200], details[200];

	json_object_set_new(json_object_get(cert, "media"), "type",
			    json_string(media_type(jstr(dev, "transport"), jstr(asset, "media_type"))));
	set_opt(json_object_get(cert, "media"), "interface", jstr(dev, "transport"));
	json_object_set_new(san, "tool_version",
			    json_string(jstr(json_object_get(job, "tool"), "version") ?: WIPECERT_VERSION));
	if (em)
		json_object_set_new(san, "details", json_string(em->title));
	if (fw) {
		snprintf(details, sizeof(details), "drive firmware erase %s (%s); hidden areas: HPA %s, DCO %s",
			 jstr(fw, "method") ?: "?", jstr(fw, "level") ?: "?",
			 json_is_true(json_object_get(json_object_get(fw, "hidden_areas"), "hpa_present")) ? "found" : "none",
			 json_is_true(json_object_get(json_object_get(fw, "hidden_areas"), "dco_present")) ? "found" : "none");
		json_object_set_new(san, "details", json_string(details));
	}
	json_object_set_new(json_object_get(cert, "verification"), "method", json_string(verification_method(
		jstr(job, "verify"), json_integer_value(json_object_get(job, "sample_percent")), vbuf, sizeof(vbuf))));
}

/* A destruction's: the witness and every photo's SHA-256 in the details
 * (the technician's record, attached to the PDF, holds them as data). */
static int describe_destruction(json_t *cert, const json_t *rec)
{
	const json_t *d = json_object_get(rec, "destruction"), *asset = json_object_get(rec, "asset"), *p;
	_cleanup_free_ char *details = NULL;
	size_t i, dlen = 0;
	FILE *f = open_memstream(&details, &dlen);

	if (!f)
		return -ENOMEM;
	fprintf(f, "物理的破壊 physical destruction: %s; 立会人 witness: %s", jstr(d, "method"), jstr(d, "witness"));
	json_array_foreach(json_object_get(d, "photos"), i, p)
		fprintf(f, "; 写真 photo %s (%lld bytes) sha256 %s", jstr(p, "name") ?: "?",
			(long long)json_integer_value(json_object_get(p, "size")), jstr(p, "sha256") ?: "?");
	if (jstr(d, "notes"))
		fprintf(f, "; %s", jstr(d, "notes"));
	if (fclose(f) != 0 || !details)
		return -ENOMEM;
	json_object_set_new(json_object_get(cert, "media"), "type", json_string(jstr(asset, "media_type") ?: "disk"));
	json_object_set_new(json_object_get(cert, "sanitization"), "details", json_string(details));
	json_object_set_new(json_object_get(cert, "sanitization"), "tool_version", json_string(WIPECERT_VERSION));
	json_object_set_new(json_object_get(cert, "verification"), "method",
			    json_string("witnessed physical destruction / 立会人による物理的破壊の確認"));
	return 0;
}

static json_t *person(const char *name, const char *title, const char *org, const char *date, const char *keyid)
{
	json_t *o = json_pack("{s:s,s:s}", "name", name, "role", title);

	set_opt(o, "organisation", org);
	if (date)
		json_object_set_new(o, "date", local_time(date));
	set_opt(o, "key_id", keyid);
	return o;
}

/* Drop what the evidence holds as "none" (null), which a record leaves out. */
static void drop_nulls(json_t *o)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(o, tmp, k, v) {
		if (json_is_null(v))
			json_object_del(o, k);
		else if (json_is_object(v))
			drop_nulls(v);
	}
}

/* The record: what the evidence states (cert_evidence_derive(), the same
 * derivation `verify` checks against), and around it the certificate's
 * own: number, time, organisation, approver, links, station. */
static int build_record(const struct flow_ctx *c, const struct policy *pol, const struct flow_issue_request *q,
			const struct evidence *ev, time_t now_t, json_t **ret)
{
	const json_t *rec = ev->rec, *asset = json_object_get(rec, "asset"), *tech = json_object_get(rec, "technician");
	const struct trust_seckey *ap = q->approver;
	json_t *cert = NULL, *perf;
	const char *err = NULL;
	char now[32], cid[64], id[TRUST_KEYID_STRLEN];
	struct trust_pubkey pk;
	int r;

	(void)c;
	r = cert_evidence_derive(rec, &cert, &err);
	if (r < 0)
		return r;
	drop_nulls(cert);
	localise(json_object_get(cert, "sanitization"), "started_at");
	localise(json_object_get(cert, "sanitization"), "ended_at");
	format_utc(now_t, now, sizeof(now));
	/* the certificate number names the day and the wipe record */
	snprintf(cid, sizeof(cid), "WC-%.4s%.2s%.2s-%.12s", now, now + 5, now + 8, ev->rec_sha256);
	trust_seckey_pubkey(ap, &pk);
	trust_keyid_string(pk.keyid, id);
	json_object_set_new(cert, "type", json_string(CERT_DOC_TYPE));
	json_object_set_new(cert, "schema", json_string(CERT_SCHEMA));
	json_object_set_new(cert, "certificate_id", json_string(cid));
	json_object_set_new(cert, "issued_at", json_string(now));
	set_opt(cert, "destination", q->destination);
	json_object_set_new(cert, "organisation",
			    json_pack("{s:s}", "name", pol->org_name ? pol->org_name : trust_seckey_org(ap) ?: "-"));
	set_opt(json_object_get(cert, "organisation"), "unit", jstr(asset, "department"));
	set_opt(json_object_get(cert, "media"), "manufacturer", jstr(asset, "manufacturer"));
	set_opt(json_object_get(cert, "asset"), "owner_department", jstr(asset, "department"));
	set_opt(json_object_get(cert, "asset"), "location", jstr(asset, "location"));
	json_object_set_new(json_object_get(cert, "sanitization"), "tool", json_string("wipecert"));
	if (json_is_object(json_object_get(rec, "destruction")))
		r = describe_destruction(cert, rec);
	else
		describe_wipe(cert, rec);
	perf = person(jstr(tech, "name") ?: "-", policy_role_title(pol, jstr(tech, "role") ?: "technician"),
		      jstr(tech, "org"), jstr(rec, "sealed_at"), jstr(tech, "key_id"));
	json_object_set_new(cert, "performer", perf);
	json_object_set_new(cert, "approver", person(trust_seckey_name(ap),
		policy_role_title(pol, trust_role_to_string(trust_seckey_role(ap))), trust_seckey_org(ap), now, id));
	json_object_set_new(cert, "ledger", json_pack("{s:s}", "entry", jstr(asset, "asset_id") ?: "-"));
	set_opt(json_object_get(cert, "ledger"), "event_hash", q->event_hash);
	json_object_set_new(cert, "wipe_record", json_pack("{s:s,s:s}", "sha256", ev->rec_sha256,
							   "signature_sha256", ev->sig_sha256));
	if (json_object_size(json_object_get(rec, "station")))
		json_object_set(cert, "station", json_object_get(rec, "station"));
	if (r < 0) {
		json_decref(cert);
		return r;
	}
	*ret = cert;
	return 0;
}

/* Step 4: the record to sign, built or given; a given one must state what
 * the evidence states, name it and this approver. */
static int make_record(const struct flow_ctx *c, const struct policy *pol, const struct flow_issue_request *q,
		       const struct evidence *ev, time_t now, struct flow_issued *out, struct flow_error *err)
{
	const char *cerr = NULL;
	json_t *j = NULL, *derived = NULL;
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN], msg[200];
	struct cert_record *r;
	int k;

	if (q->record) {
		k = cert_record_to_json(q->record, &j);
		if (k < 0)
			return flow_fail(err, k, "out of memory");
	} else {
		k = build_record(c, pol, q, ev, now, &j);
		if (k < 0)
			return flow_fail(err, k == -ENOMEM ? k : -EPERM, "cannot build the certificate record from the "
					 "wipe record");
	}
	k = cert_record_from_json(j, &out->record, &cerr);
	json_decref(j);
	if (k < 0)
		return flow_fail(err, k, "the certificate record is not valid: %s", cerr ? cerr : "?");
	r = out->record;
	k = cert_evidence_derive(ev->rec, &derived, &cerr);
	if (k >= 0)
		k = cert_evidence_compare(derived, r, msg, sizeof(msg));
	json_decref(derived);
	if (k < 0)
		return flow_fail(err, -EPERM, "the record does not state what the technician signed: %s",
				 k == -EBADMSG ? msg : cerr ? cerr : strerror(-k));
	if (!r->wipe_record_sha256 || !streq(r->wipe_record_sha256, ev->rec_sha256) ||
	    !r->wipe_record_sig_sha256 || !streq(r->wipe_record_sig_sha256, ev->sig_sha256))
		return flow_fail(err, -EPERM, "the record does not name the technician's wipe record and its signature "
				 "by SHA-256");
	trust_seckey_pubkey(q->approver, &pk);
	trust_keyid_string(pk.keyid, id);
	if (!r->approver.key_id || strcasecmp(r->approver.key_id, id) != 0)
		return flow_fail(err, -EPERM, "the record names approver key %s, the approving key is %s",
				 r->approver.key_id ?: "(none)", id);
	k = cert_record_canonical(r, &out->canon, &out->canon_len);
	if (k < 0)
		return flow_fail(err, k, "out of memory");
	out->destroyed = streq(r->sanitization_type, "destroy");
	out->erased = streq(r->result, "erased_and_verified");
	out->verified_only = streq(r->result, "verified_only");
	flow_sha256_hex(out->canon, out->canon_len, out->record_sha256);
	return 0;
}

/* Step 5: the approver signs; the roster and separation of duties judge
 * the signature as `verify` will. */
static int sign_record(const struct flow_ctx *c, const struct flow_issue_request *q, const struct evidence *ev,
		       time_t now, struct flow_issued *out, struct flow_error *err)
{
	struct trust_result appr;
	enum trust_verdict v;
	int r;

	r = trust_sign(TRUST_DOC_CERTIFICATE, (const uint8_t *)out->canon, out->canon_len, q->approver, now,
		       &out->record_sig);
	if (r < 0)
		return flow_fail(err, r, "cannot sign the certificate record: %s", trust_strerror(r));
	r = trust_verify(c->trust, TRUST_DOC_CERTIFICATE, (const uint8_t *)out->canon, out->canon_len, out->record_sig,
			 strlen(out->record_sig), &appr);
	if (r < 0 || appr.verdict != TRUST_OK)
		return flow_fail(err, -EPERM, "the approver's key does not verify against the roster: %s",
				 r < 0 ? strerror(-r) : trust_verdict_string(appr.verdict));
	v = trust_check_separation(&ev->tech, &appr);
	if (v != TRUST_OK)
		return flow_fail(err, -EPERM, "separation of duties: %s (the wipe was performed by %s)",
				 trust_verdict_string(v), ev->tech.claim.name);
	return 0;
}

/* Step 6: render and sign the PDF with the approver's X.509 key. */
static int make_pdf(const struct flow_ctx *c, const struct policy *pol, const struct flow_issue_request *q,
		    time_t now, struct flow_issued *out, struct flow_error *err)
{
	_cleanup_(trust_x509_signer_freep) struct trust_x509_signer *xs = NULL;
	_cleanup_free_ uint8_t *pdf = NULL;
	struct cert_signer signer = { 0 };
	struct cert_pdf_opts po = { 0 };
	struct cert_attachment att[3];
	const char *perr = NULL;
	size_t pdf_len;
	int r;

	r = trust_x509_signer_load(q->approver, c->trust, NULL, &xs);
	if (r < 0)
		return flow_fail(err, r, "no X.509 certificate for the approver's key: %s", trust_strerror(r));
	/* attachments in name order: the PDF's name tree is sorted */
	att[0] = (struct cert_attachment){ CERT_SIG_NAME, (const uint8_t *)out->record_sig, strlen(out->record_sig),
					   "approver's minisign signature of record.json" };
	att[1] = (struct cert_attachment){ CERT_WIPE_RECORD_NAME, q->evidence, q->evidence_len,
					   "the technician's wipe record" };
	att[2] = (struct cert_attachment){ CERT_WIPE_SIG_NAME, q->evidence_sig, q->evidence_sig_len,
					   "technician's minisign signature of wipe-record.json" };
	po.attachments = att;
	po.n_attachments = ARRAY_SIZE(att);
	po.logo_png = c->logo ? c->logo : pol->logo;
	po.font_path = c->font;
	r = cert_pdf_render(out->record, &po, &pdf, &pdf_len, &perr);
	if (r < 0)
		return flow_fail(err, r, "cannot render the certificate: %s", perr ? perr : strerror(-r));
	signer.key = xs->key;
	signer.cert = xs->cert;
	signer.chain = xs->chain;
	signer.name = out->record->approver.name;
	signer.reason = "データ消去証明 / Certificate of Data Sanitization";
	signer.when = now;
	signer.cades = q->cades;
	r = cert_pdf_sign(pdf, pdf_len, &signer, &out->pdf, &out->pdf_len, &perr);
	if (r < 0)
		return flow_fail(err, r, "cannot sign the certificate: %s", perr ? perr : strerror(-r));
	flow_sha256_hex(out->pdf, out->pdf_len, out->pdf_sha256);
	return 0;
}

/* Step 7: the certificate as `verify` sees it, before anyone else does:
 * what does not verify is not issued. */
static int self_check(const struct flow_ctx *c, const struct flow_issued *out, struct flow_error *err)
{
	struct flow_cert_result res = { 0 };
	int r;

	r = flow_cert_check(c, out->pdf, out->pdf_len, NULL, &res);
	if (r < 0)
		return flow_fail(err, r, "cannot check the certificate: %s", strerror(-r));
	if (!res.rep.all_ok) {
		for (int i = 0; i < CHECK__MAX; i++)
			if (res.rep.checks[i].ran && !res.rep.checks[i].ok) {
				r = flow_fail(err, -EPERM, "the certificate would not verify: %s: %s", cert_check_name(i),
					      res.rep.checks[i].detail);
				break;
			}
		if (r >= 0)
			r = flow_fail(err, -EPERM, "the certificate would not verify");
	}
	flow_cert_result_release(&res);
	return r;
}

int flow_issue(const struct flow_ctx *c, const struct flow_issue_request *q, struct flow_issued *ret,
	       struct flow_error *err)
{
	struct flow_issued out = { 0 };
	struct evidence ev = { 0 };
	struct policy fallback = { 0 };
	const struct policy *pol = c->policy;
	time_t now = time(NULL);
	int r;

	if (!pol) {
		if (policy_default(&fallback) < 0)
			return flow_fail(err, -ENOMEM, "out of memory");
		pol = &fallback;
	}
	r = check_evidence(c, q, &ev, err);
	if (r >= 0)
		r = check_approver(c, q->approver, err);
	if (r >= 0)
		r = check_asset_history(c, &ev, err);
	if (r >= 0)
		r = check_policy(pol, &ev, q->approver, err);
	if (r >= 0)
		r = make_record(c, pol, q, &ev, now, &out, err);
	if (r >= 0)
		r = sign_record(c, q, &ev, now, &out, err);
	if (r >= 0)
		r = make_pdf(c, pol, q, now, &out, err);
	if (r >= 0)
		r = self_check(c, &out, err);
	json_decref(ev.rec);
	policy_release(&fallback);
	if (r < 0) {
		flow_issued_release(&out);
		return r;
	}
	*ret = out;
	return 0;
}
