/* issue.c - the one issuing path: a certificate from the technician's
 * signed record and the approver's key (see flow.h, flow_issue()), or the
 * list form from many of them.
 *
 * approve (wipes and destructions, ours and contractors', one disk or a
 * list) and `cert issue` come through here, so every certificate, and
 * every row of a list, passes the same checks: the
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

/* One disk's evidence, read and checked: the technician's record, and a
 * witness's statement about it. */
struct evidence {
	const struct flow_evidence *in;
	json_t *rec;
	struct trust_result tech;
	char rec_sha256[65], sig_sha256[65];
	json_t *wit;                    /* the witness's statement, NULL if none */
	struct trust_claim wit_claim;
	char wit_sha256[65], wit_sig_sha256[65];
	char where[160];                /* "case ID: " in a list, "" for one disk */
};

static void evidence_release(struct evidence *ev)
{
	json_decref(ev->rec);
	json_decref(ev->wit);
}

/* Step 1: the record is a technician's of our roster (or a pinned
 * contractor's), valid when signed, and names its signer as technician. */
static int check_evidence(const struct flow_ctx *c, struct evidence *ev, struct flow_error *err)
{
	const struct flow_doc *d = &ev->in->record;
	const char *named;
	int r;

	if (!c->trust)
		return flow_fail(err, -EINVAL, "a trust directory is needed (--trust)");
	r = trust_verify(c->trust, TRUST_DOC_WIPE_RECORD, d->data, d->len, (const char *)d->sig, d->sig_len, &ev->tech);
	if (r < 0)
		return flow_fail(err, r, "%scannot verify the wipe record: %s", ev->where, strerror(-r));
	if (ev->tech.verdict != TRUST_OK)
		return flow_fail(err, -EPERM, "%sthe technician's signature does not verify: %s", ev->where,
				 trust_verdict_string(ev->tech.verdict));
	r = canon_parse((const char *)d->data, d->len, &ev->rec);
	if (r < 0)
		return flow_fail(err, -EBADMSG, "%sthe wipe record is not canonical JSON", ev->where);
	named = jstr(json_object_get(ev->rec, "technician"), "key_id");
	if (!named || strcasecmp(named, ev->tech.keyid) != 0)
		return flow_fail(err, -EPERM, "%sthe wipe record names technician key %s but key %s signed it", ev->where,
				 named ?: "(none)", ev->tech.keyid);
	flow_sha256_hex(d->data, d->len, ev->rec_sha256);
	flow_sha256_hex(d->sig, d->sig_len, ev->sig_sha256);
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

/* The importance class the evidence states (1-3, 0 if none), and whether
 * its result is verified only (a verify-only method: nothing written). */
static json_int_t evidence_class(const struct evidence *ev, bool *verified_only)
{
	json_t *derived = NULL;
	json_int_t n = 0;

	*verified_only = false;
	if (cert_evidence_derive(ev->rec, &derived, NULL) >= 0) {
		n = json_integer_value(json_object_get(json_object_get(derived, "asset"), "importance_class"));
		*verified_only = streq(json_string_value(json_object_get(derived, "result")) ?: "", "verified_only");
	}
	json_decref(derived);
	return n;
}

/* Step 3: the policy for the asset's class: who approves, which methods,
 * whether a witness must have signed. */
static int check_policy(const struct policy *pol, const struct evidence *ev, const struct trust_seckey *approver,
			struct flow_error *err)
{
	const json_t *asset = json_object_get(ev->rec, "asset");
	const char *role = trust_role_to_string(trust_seckey_role(approver));
	const char *method = jstr(json_object_get(ev->rec, "job"), "method") ?:
			     jstr(json_object_get(ev->rec, "destruction"), "method");
	const struct policy_class *pc;
	_cleanup_free_ char *why = NULL;
	json_int_t class_n;
	const char *wwhy = NULL;
	bool contractor = ev->tech.member && ev->tech.member->role == TRUST_ROLE_CONTRACTOR_TECHNICIAN;
	unsigned kind;
	bool verified_only;

	if (!json_is_object(json_object_get(ev->rec, "job")) && !json_is_object(json_object_get(ev->rec, "destruction")))
		return flow_fail(err, -EPERM, "%sthe wipe record states no disposal", ev->where);
	class_n = evidence_class(ev, &verified_only);
	if (class_n < 1 || class_n > POLICY_CLASSES)
		return flow_fail(err, -EPERM, "%sasset %s has no importance class: the policy cannot be applied", ev->where,
				 jstr(asset, "asset_id") ?: "?");
	pc = &pol->cls[class_n - 1];
	/* a contractor's approver approves a contractor's work */
	if (pc->approver_role && !streq(pc->approver_role, role) &&
	    !(streq(pc->approver_role, "approver") && streq(role, "contractor-approver") && contractor))
		return flow_fail(err, -EPERM, "%sclass %lld disposals are approved by a %s key, not a %s key", ev->where,
				 (long long)class_n, pc->approver_role, role);
	/* a certificate that says "verified only" claims no sanitisation: the
	 * policy's methods do not apply to it (who approves still does) */
	if (!verified_only && policy_check_method(pol, (int)class_n, method ?: "", flow_method_level(method), &why) < 0)
		return flow_fail(err, -EPERM, "%s%s", ev->where, why ? why : "refused by the policy");
	kind = json_is_object(json_object_get(ev->rec, "destruction")) ? WITNESS_DESTRUCTION : WITNESS_ERASURE;
	if (contractor)
		kind |= WITNESS_CONTRACTOR;
	if (!ev->wit && policy_witness_required(pol, (int)class_n, kind, &wwhy))
		return flow_fail(err, -EPERM, "%sasset %s: the policy (%s) requires a witness for %s, and no witness signed "
				 "this record (wipecert witness CASE --key WITNESS.key)", ev->where,
				 jstr(asset, "asset_id") ?: "?", pol->source, wwhy);
	return 0;
}

/* Step 3b: the witness's statement: a roster witness's signature about
 * this very record, a third person. A witness of an organisation this
 * roster does not hold (the client's, at its contractor's) is judged by
 * the client. */
static int check_witness(const struct flow_ctx *c, struct evidence *ev, const struct trust_seckey *approver,
			 struct flow_error *err)
{
	const struct flow_doc *d = &ev->in->witness;
	struct trust_result res;
	struct trust_pubkey pk;
	char akid[TRUST_KEYID_STRLEN];
	const char *typed;
	int r;

	if (!d->data)
		return 0;
	r = trust_verify(c->trust, TRUST_DOC_WITNESS, d->data, d->len, (const char *)d->sig, d->sig_len, &res);
	if (r < 0)
		return flow_fail(err, r, "%scannot verify the witness's statement: %s", ev->where, strerror(-r));
	if (res.verdict != TRUST_OK && !(res.verdict == TRUST_UNKNOWN_ORG && !streq(res.claim.org, trust_store_org(c->trust))))
		return flow_fail(err, -EPERM, "%sthe witness's signature does not verify: %s", ev->where,
				 trust_verdict_string(res.verdict));
	if (canon_parse((const char *)d->data, d->len, &ev->wit) < 0 ||
	    !streq(jstr(ev->wit, "type") ?: "", "witness") || !streq(jstr(ev->wit, "schema") ?: "", CERT_WITNESS_SCHEMA))
		return flow_fail(err, -EBADMSG, "%sthe witness's statement is not a %s", ev->where, CERT_WITNESS_SCHEMA);
	if (!streq(jstr(json_object_get(ev->wit, "record"), "sha256") ?: "", ev->rec_sha256))
		return flow_fail(err, -EPERM, "%sthe witness's statement is about another record", ev->where);
	ev->wit_claim = res.claim;
	trust_seckey_pubkey(approver, &pk);
	trust_keyid_string(pk.keyid, akid);
	if (streq(res.keyid, ev->tech.keyid) ||
	    (streq(res.claim.name, ev->tech.claim.name) && streq(res.claim.org, ev->tech.claim.org)))
		return flow_fail(err, -EPERM, "%sthe witness %s is the technician who signed the record", ev->where,
				 res.claim.name);
	if (streq(res.keyid, akid) ||
	    (streq(res.claim.name, trust_seckey_name(approver)) && streq(res.claim.org, trust_seckey_org(approver) ?: "")))
		return flow_fail(err, -EPERM, "%sthe witness %s is the approver", ev->where, res.claim.name);
	typed = jstr(json_object_get(ev->rec, "destruction"), "witness");
	if (typed && !streq(typed, res.claim.name))
		return flow_fail(err, -EPERM, "%sthe destruction record names witness %s, the statement is signed by %s",
				 ev->where, typed, res.claim.name);
	flow_sha256_hex(d->data, d->len, ev->wit_sha256);
	flow_sha256_hex(d->sig, d->sig_len, ev->wit_sig_sha256);
	return 0;
}

/* Step 3c (a list): each disk once, and all of the approver's
 * organisation: a case of another organisation has its own approver. */
static int check_list(const struct evidence *ev, size_t n, const struct trust_seckey *approver, struct flow_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *aid = jstr(json_object_get(ev[i].rec, "asset"), "asset_id") ?: "?";

		if (!streq(ev[i].tech.claim.org, trust_seckey_org(approver) ?: ""))
			return flow_fail(err, -EPERM, "%sthe wipe record is %s's (technician %s), not of the approver's "
					 "organisation %s", ev[i].where, ev[i].tech.claim.org, ev[i].tech.claim.name,
					 trust_seckey_org(approver));
		for (size_t j = 0; j < i; j++) {
			if (streq(ev[i].rec_sha256, ev[j].rec_sha256))
				return flow_fail(err, -EPERM, "%sthe same wipe record is listed twice (as %s too)", ev[i].where,
						 ev[j].in->label ?: "another row");
			if (streq(aid, jstr(json_object_get(ev[j].rec, "asset"), "asset_id") ?: ""))
				return flow_fail(err, -EPERM, "%sasset %s is listed twice (also %s)", ev[i].where, aid,
						 ev[j].in->label ?: "another row");
		}
	}
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

/* A disk's part of the record: what the evidence states
 * (cert_evidence_derive(), the same derivation `verify` checks against),
 * and beside it the method's prose, the performer, the ledger's links, the
 * station, the lease and the witness. */
static int build_disk(const struct policy *pol, const struct evidence *ev, json_t **ret)
{
	const json_t *rec = ev->rec, *asset = json_object_get(rec, "asset"), *tech = json_object_get(rec, "technician");
	json_t *cert = NULL, *perf;
	const char *err = NULL;
	int r;

	r = cert_evidence_derive(rec, &cert, &err);
	if (r < 0)
		return r;
	drop_nulls(cert);
	localise(json_object_get(cert, "sanitization"), "started_at");
	localise(json_object_get(cert, "sanitization"), "ended_at");
	set_opt(json_object_get(cert, "media"), "manufacturer", jstr(asset, "manufacturer"));
	set_opt(json_object_get(cert, "asset"), "owner_department", jstr(asset, "department"));
	set_opt(json_object_get(cert, "asset"), "location", jstr(asset, "location"));
	set_opt(json_object_get(cert, "asset"), "lease", jstr(asset, "lease"));
	json_object_set_new(json_object_get(cert, "sanitization"), "tool", json_string("wipecert"));
	if (json_is_object(json_object_get(rec, "destruction")))
		r = describe_destruction(cert, rec);
	else
		describe_wipe(cert, rec);
	perf = person(jstr(tech, "name") ?: "-", policy_role_title(pol, jstr(tech, "role") ?: "technician"),
		      jstr(tech, "org"), jstr(rec, "sealed_at"), jstr(tech, "key_id"));
	json_object_set_new(cert, "performer", perf);
	json_object_set_new(cert, "ledger", json_pack("{s:s}", "entry", jstr(asset, "asset_id") ?: "-"));
	set_opt(json_object_get(cert, "ledger"), "event_hash", ev->in->event_hash);
	json_object_set_new(cert, "wipe_record", json_pack("{s:s,s:s}", "sha256", ev->rec_sha256,
							   "signature_sha256", ev->sig_sha256));
	if (json_object_size(json_object_get(rec, "station")))
		json_object_set(cert, "station", json_object_get(rec, "station"));
	if (ev->wit) {
		const json_t *w = json_object_get(ev->wit, "witness");
		json_t *o = person(jstr(w, "name") ?: "-", policy_role_title(pol, "witness"), jstr(w, "org"),
				   jstr(ev->wit, "witnessed_at"), jstr(w, "key_id"));

		json_object_set_new(o, "statement_sha256", json_string(ev->wit_sha256));
		json_object_set_new(o, "signature_sha256", json_string(ev->wit_sig_sha256));
		json_object_set_new(cert, "witness", o);
	}
	if (r < 0) {
		json_decref(cert);
		return r;
	}
	*ret = cert;
	return 0;
}

/* What a contractor's certificate says of its custody: the hand-over list
 * names every disk and gives them to the approver's organisation; the
 * client is who handed them over. */
struct custody {
	json_t *ho;
	char ho_sha256[65], rc_sha256[65];
};

static int check_custody(const struct flow_issue_request *q, const struct evidence *ev, size_t n,
			 struct custody *cu, struct flow_error *err)
{
	const char *to;
	json_t *rc = NULL;

	if (!q->handover.data)
		return 0;
	if (canon_parse((const char *)q->handover.data, q->handover.len, &cu->ho) < 0 ||
	    !streq(jstr(cu->ho, "type") ?: "", "handover") || !streq(jstr(cu->ho, "schema") ?: "", CERT_HANDOVER_SCHEMA))
		return flow_fail(err, -EBADMSG, "the hand-over list is not a %s", CERT_HANDOVER_SCHEMA);
	to = jstr(json_object_get(cu->ho, "to"), "org");
	if (!to || !streq(to, trust_seckey_org(q->approver) ?: ""))
		return flow_fail(err, -EPERM, "hand-over list %s hands the assets to %s, not to %s", jstr(cu->ho, "id") ?: "?",
				 to ?: "nobody", trust_seckey_org(q->approver));
	for (size_t i = 0; i < n; i++) {
		const json_t *a, *asset = json_object_get(ev[i].rec, "asset");
		const char *aid = jstr(asset, "asset_id") ?: "?";
		json_t *derived = NULL;
		const char *serial;
		bool on = false;
		size_t k;

		if (cert_evidence_derive(ev[i].rec, &derived, NULL) < 0)
			return flow_fail(err, -EPERM, "%sthe wipe record states no disk", ev[i].where);
		serial = jstr(json_object_get(derived, "media"), "serial");
		json_array_foreach(json_object_get(cu->ho, "assets"), k, a)
			if (streq(jstr(a, "asset_id") ?: "", aid))
				on = serial && jstr(a, "serial") && strcasecmp(serial, jstr(a, "serial")) == 0;
		json_decref(derived);
		if (!on)
			return flow_fail(err, -EPERM, "%sasset %s (this serial) is not on hand-over list %s", ev[i].where, aid,
					 jstr(cu->ho, "id") ?: "?");
	}
	flow_sha256_hex(q->handover.data, q->handover.len, cu->ho_sha256);
	if (q->receipt.data) {
		if (canon_parse((const char *)q->receipt.data, q->receipt.len, &rc) < 0 ||
		    !streq(jstr(json_object_get(rc, "handover"), "sha256") ?: "", cu->ho_sha256)) {
			json_decref(rc);
			return flow_fail(err, -EBADMSG, "the receipt is not the receipt of hand-over list %s",
					 jstr(cu->ho, "id") ?: "?");
		}
		json_decref(rc);
		flow_sha256_hex(q->receipt.data, q->receipt.len, cu->rc_sha256);
	}
	return 0;
}

/* The certificate's own part, around the disks: number, time,
 * organisation (and its root key), approver, destination, and what schema
 * /2 adds: client, work site, approval reference, document, custody. */
static void build_head(const struct flow_ctx *c, const struct policy *pol, const struct flow_issue_request *q,
		       const struct custody *cu, const char *cid, const char *now, json_t *cert)
{
	static const struct flow_parties none = { 0 };
	const struct flow_parties *pa = q->parties ? q->parties : &none;
	const struct trust_seckey *ap = q->approver;
	const char *client = pa->client ?: pol->cert.client, *site = pa->site ?: pol->cert.site;
	const char *layout = pa->layout ?: pol->cert.layout;
	char id[TRUST_KEYID_STRLEN], root[TRUST_KEYID_STRLEN];
	struct trust_pubkey pk;
	json_t *g;

	trust_seckey_pubkey(ap, &pk);
	trust_keyid_string(pk.keyid, id);
	trust_keyid_string(trust_store_root(c->trust)->keyid, root);
	json_object_set_new(cert, "type", json_string(CERT_DOC_TYPE));
	json_object_set_new(cert, "certificate_id", json_string(cid));
	json_object_set_new(cert, "issued_at", json_string(now));
	set_opt(cert, "destination", q->destination);
	g = json_pack("{s:s,s:s}", "name", pol->org_name ? pol->org_name : trust_seckey_org(ap) ?: "-", "key_id", root);
	json_object_set_new(cert, "organisation", g);
	json_object_set_new(cert, "approver", person(trust_seckey_name(ap),
		policy_role_title(pol, trust_role_to_string(trust_seckey_role(ap))), trust_seckey_org(ap), now, id));
	/* a contractor works for whoever handed the disks over */
	if (cu->ho && !pa->client)
		client = jstr(json_object_get(cu->ho, "from"), "org");
	if (client) {
		g = json_pack("{s:s}", "name", client);
		set_opt(g, "unit", pa->client_unit ?: pol->cert.client_unit);
		if (cu->ho)
			set_opt(g, "key_id", jstr(json_object_get(cu->ho, "from"), "root_key_id"));
		json_object_set_new(cert, "client", g);
	}
	if (site) {
		g = json_pack("{s:s}", "address", site);
		set_opt(g, "room", pa->room ?: pol->cert.room);
		json_object_set_new(cert, "work_site", g);
	}
	set_opt(cert, "approval_reference", pa->approval_ref);
	if (pa->document_number || layout) {
		g = json_object();
		set_opt(g, "number", pa->document_number);
		set_opt(g, "layout", layout);
		json_object_set_new(cert, "document", g);
	}
	if (cu->ho) {
		g = json_pack("{s:s,s:s}", "handover_id", jstr(cu->ho, "id") ?: "-", "handover_sha256", cu->ho_sha256);
		if (cu->rc_sha256[0])
			json_object_set_new(g, "receipt_sha256", json_string(cu->rc_sha256));
		json_object_set_new(cert, "custody", g);
	}
}

/* The record: one disk's, or the list's items under the certificate's own
 * part. The certificate number names the day and the wipe record(s). */
static int build_record(const struct flow_ctx *c, const struct policy *pol, const struct flow_issue_request *q,
			const struct evidence *ev, size_t n, const struct custody *cu, time_t now_t, json_t **ret)
{
	char now[32], cid[64], h[65];
	json_t *cert = NULL, *items;
	int r;

	format_utc(now_t, now, sizeof(now));
	if (!q->items) {
		r = build_disk(pol, &ev[0], &cert);
		if (r < 0)
			return r;
		snprintf(cid, sizeof(cid), "WC-%.4s%.2s%.2s-%.12s", now, now + 5, now + 8, ev[0].rec_sha256);
		json_object_set_new(cert, "schema", json_string(CERT_SCHEMA));
		/* the unit a single disk is the certificate of */
		build_head(c, pol, q, cu, cid, now, cert);
		set_opt(json_object_get(cert, "organisation"), "unit",
			jstr(json_object_get(ev[0].rec, "asset"), "department"));
		*ret = cert;
		return 0;
	}
	{
		_cleanup_free_ char *all = malloc(n * 64 + 1);

		if (!all)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			memcpy(all + i * 64, ev[i].rec_sha256, 64);
		flow_sha256_hex(all, n * 64, h);
	}
	snprintf(cid, sizeof(cid), "WL-%.4s%.2s%.2s-%.12s", now, now + 5, now + 8, h);
	cert = json_pack("{s:s}", "schema", CERT_LIST_SCHEMA);
	items = json_array();
	if (!cert || !items) {
		json_decref(cert);
		json_decref(items);
		return -ENOMEM;
	}
	build_head(c, pol, q, cu, cid, now, cert);
	json_object_set_new(cert, "items", items);
	for (size_t i = 0; i < n; i++) {
		json_t *d = NULL;

		r = build_disk(pol, &ev[i], &d);
		if (r < 0 || json_array_append_new(items, d) < 0) {
			json_decref(cert);
			return r < 0 ? r : -ENOMEM;
		}
	}
	*ret = cert;
	return 0;
}

/* Each disk states exactly what its evidence states and names it (and its
 * witness's statement) by SHA-256. */
static int disks_state_evidence(const struct cert_record *r, const struct evidence *ev, size_t n,
				struct flow_error *err)
{
	const char *cerr = NULL;
	char msg[200];
	int k;

	if (cert_record_n_disks(r) != n)
		return flow_fail(err, -EPERM, "the record does not list the %zu disks it is issued for", n);
	for (size_t i = 0; i < n; i++) {
		const struct cert_record *d = cert_record_disk(r, i);
		json_t *derived = NULL;

		k = cert_evidence_derive(ev[i].rec, &derived, &cerr);
		if (k >= 0)
			k = cert_evidence_compare(derived, d, msg, sizeof(msg));
		json_decref(derived);
		if (k < 0)
			return flow_fail(err, -EPERM, "%sthe record does not state what the technician signed: %s", ev[i].where,
					 k == -EBADMSG ? msg : cerr ? cerr : strerror(-k));
		if (!d->wipe_record_sha256 || !streq(d->wipe_record_sha256, ev[i].rec_sha256) ||
		    !d->wipe_record_sig_sha256 || !streq(d->wipe_record_sig_sha256, ev[i].sig_sha256))
			return flow_fail(err, -EPERM, "%sthe record does not name the technician's wipe record and its "
					 "signature by SHA-256", ev[i].where);
		if (!ev[i].wit != !d->witness_sha256 ||
		    (ev[i].wit && (!streq(d->witness_sha256, ev[i].wit_sha256) ||
				   !streq(d->witness_sig_sha256 ?: "", ev[i].wit_sig_sha256))))
			return flow_fail(err, -EPERM, "%sthe record does not name the witness's statement by SHA-256",
					 ev[i].where);
	}
	return 0;
}

/* Step 4: the record to sign, built or given; a given one must state what
 * the evidence states, name it and this approver. */
static int make_record(const struct flow_ctx *c, const struct policy *pol, const struct flow_issue_request *q,
		       const struct evidence *ev, size_t n, const struct custody *cu, time_t now,
		       struct flow_issued *out, struct flow_error *err)
{
	const char *cerr = NULL;
	json_t *j = NULL;
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN];
	struct cert_record *r;
	int k;

	if (q->record && !q->items) {
		k = cert_record_to_json(q->record, &j);
		if (k < 0)
			return flow_fail(err, k, "out of memory");
	} else {
		k = build_record(c, pol, q, ev, n, cu, now, &j);
		if (k < 0)
			return flow_fail(err, k == -ENOMEM ? k : -EPERM, "cannot build the certificate record from the "
					 "wipe record");
	}
	k = cert_record_from_json(j, &out->record, &cerr);
	json_decref(j);
	if (k < 0)
		return flow_fail(err, k, "the certificate record is not valid: %s", cerr ? cerr : "?");
	r = out->record;
	k = disks_state_evidence(r, ev, n, err);
	if (k < 0)
		return k;
	trust_seckey_pubkey(q->approver, &pk);
	trust_keyid_string(pk.keyid, id);
	if (!r->approver.key_id || strcasecmp(r->approver.key_id, id) != 0)
		return flow_fail(err, -EPERM, "the record names approver key %s, the approving key is %s",
				 r->approver.key_id ?: "(none)", id);
	k = cert_record_canonical(r, &out->canon, &out->canon_len);
	if (k < 0)
		return flow_fail(err, k, "out of memory");
	out->erased = true;
	out->verified_only = true;
	for (size_t i = 0; i < n; i++) {
		const struct cert_record *d = cert_record_disk(r, i);
		bool vo = streq(d->result, "verified_only");

		out->destroyed = streq(d->sanitization_type, "destroy");
		if (!vo)
			out->verified_only = false;
		if (!streq(d->result, "erased_and_verified")) {
			out->erased = false;
			if (!vo)
				out->n_failed++;
		}
	}
	flow_sha256_hex(out->canon, out->canon_len, out->record_sha256);
	return 0;
}

/* Step 5: the approver signs; the roster and separation of duties judge
 * the signature as `verify` will, for every disk. */
static int sign_record(const struct flow_ctx *c, const struct flow_issue_request *q, const struct evidence *ev,
		       size_t n, time_t now, struct flow_issued *out, struct flow_error *err)
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
	for (size_t i = 0; i < n; i++) {
		v = trust_check_separation(&ev[i].tech, &appr);
		if (v != TRUST_OK)
			return flow_fail(err, -EPERM, "%sseparation of duties: %s (the wipe was performed by %s)", ev[i].where,
					 trust_verdict_string(v), ev[i].tech.claim.name);
	}
	return 0;
}

/* The attachments, sorted by name (the PDF's name tree is): the
 * approver's signature, each disk's record and witness statement with
 * their signatures, the custody documents. */
struct attachments {
	struct cert_attachment *v;
	char (*names)[48];
	size_t n;
};

static void attach(struct attachments *a, const char *base, size_t row, const uint8_t *data, size_t len,
		   const char *desc)
{
	if (!data)
		return;
	cert_attachment_name(base, row, a->names[a->n], sizeof(a->names[0]));
	a->v[a->n] = (struct cert_attachment){ a->names[a->n], data, len, desc };
	a->n++;
}

static int cmp_attachment(const void *x, const void *y)
{
	return strcmp(((const struct cert_attachment *)x)->name, ((const struct cert_attachment *)y)->name);
}

static int collect_attachments(const struct flow_issue_request *q, const struct evidence *ev, size_t n,
			       const struct flow_issued *out, struct attachments *a)
{
	size_t cap = 4 * n + 5;

	a->v = calloc(cap, sizeof(*a->v));
	a->names = calloc(cap, sizeof(*a->names));
	if (!a->v || !a->names)
		return -ENOMEM;
	attach(a, CERT_SIG_NAME, 0, (const uint8_t *)out->record_sig, strlen(out->record_sig),
	       "approver's minisign signature of record.json");
	for (size_t i = 0; i < n; i++) {
		const struct flow_evidence *e = ev[i].in;
		size_t row = q->items ? i + 1 : 0;

		attach(a, CERT_WIPE_RECORD_NAME, row, e->record.data, e->record.len, "the technician's wipe record");
		attach(a, CERT_WIPE_SIG_NAME, row, e->record.sig, e->record.sig_len,
		       "technician's minisign signature of the wipe record");
		attach(a, CERT_WITNESS_NAME, row, e->witness.data, e->witness.len, "the witness's signed statement");
		attach(a, CERT_WITNESS_SIG_NAME, row, e->witness.sig, e->witness.sig_len,
		       "witness's minisign signature of the statement");
	}
	attach(a, CERT_HANDOVER_NAME, 0, q->handover.data, q->handover.len, "the hand-over list (引渡書)");
	attach(a, CERT_HANDOVER_SIG_NAME, 0, q->handover.sig, q->handover.sig_len, "its signature");
	attach(a, CERT_RECEIPT_NAME, 0, q->receipt.data, q->receipt.len, "the contractor's receipt (受領書)");
	attach(a, CERT_RECEIPT_SIG_NAME, 0, q->receipt.sig, q->receipt.sig_len, "its signature");
	qsort(a->v, a->n, sizeof(*a->v), cmp_attachment);
	return 0;
}

/* Step 6: render and sign the PDF with the approver's X.509 key. */
static int make_pdf(const struct flow_ctx *c, const struct policy *pol, const struct flow_issue_request *q,
		    const struct evidence *ev, size_t n, time_t now, struct flow_issued *out, struct flow_error *err)
{
	_cleanup_(trust_x509_signer_freep) struct trust_x509_signer *xs = NULL;
	_cleanup_free_ uint8_t *pdf = NULL;
	struct attachments att = { 0 };
	struct cert_signer signer = { 0 };
	struct cert_pdf_opts po = { 0 };
	const char *perr = NULL;
	size_t pdf_len;
	int r;

	r = trust_x509_signer_load(q->approver, c->trust, NULL, &xs);
	if (r < 0)
		return flow_fail(err, r, "no X.509 certificate for the approver's key: %s", trust_strerror(r));
	r = collect_attachments(q, ev, n, out, &att);
	if (r < 0) {
		r = flow_fail(err, r, "out of memory");
		goto out;
	}
	po.attachments = att.v;
	po.n_attachments = att.n;
	po.logo_png = c->logo ? c->logo : pol->logo;
	po.font_path = c->font;
	po.compress = q->items != NULL;
	r = cert_pdf_render(out->record, &po, &pdf, &pdf_len, &perr);
	if (r < 0) {
		r = flow_fail(err, r, "cannot render the certificate: %s", perr ? perr : strerror(-r));
		goto out;
	}
	signer.key = xs->key;
	signer.cert = xs->cert;
	signer.chain = xs->chain;
	signer.name = out->record->approver.name;
	signer.reason = "データ消去証明 / Certificate of Data Sanitization";
	signer.when = now;
	signer.cades = q->cades;
	r = cert_pdf_sign(pdf, pdf_len, &signer, &out->pdf, &out->pdf_len, &perr);
	if (r < 0) {
		r = flow_fail(err, r, "cannot sign the certificate: %s", perr ? perr : strerror(-r));
		goto out;
	}
	flow_sha256_hex(out->pdf, out->pdf_len, out->pdf_sha256);
out:
	free(att.v);
	free(att.names);
	return r;
}

/* Steps 1-3 for every disk, and for a list the list's own rule. */
static int check_disks(const struct flow_ctx *c, const struct policy *pol, const struct flow_issue_request *q,
		       struct evidence *ev, size_t n, struct flow_error *err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (q->items)
			snprintf(ev[i].where, sizeof(ev[i].where), "%s %s: ", ev[i].in->label ? "case" : "row",
				 ev[i].in->label ?: "?");
		r = check_evidence(c, &ev[i], err);
	}
	if (r >= 0)
		r = check_approver(c, q->approver, err);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = check_asset_history(c, &ev[i], err);
		if (r >= 0)
			r = check_witness(c, &ev[i], q->approver, err);
		if (r >= 0)
			r = check_policy(pol, &ev[i], q->approver, err);
	}
	if (r >= 0 && q->items)
		r = check_list(ev, n, q->approver, err);
	return r;
}

int flow_issue(const struct flow_ctx *c, const struct flow_issue_request *q, struct flow_issued *ret,
	       struct flow_error *err)
{
	struct flow_issued out = { 0 };
	struct flow_evidence single = {
		.record = { q->evidence, q->evidence_sig, q->evidence_len, q->evidence_sig_len },
		.witness = q->witness, .event_hash = q->event_hash,
	};
	struct policy fallback = { 0 };
	const struct policy *pol = c->policy;
	struct custody cu = { 0 };
	struct evidence *ev;
	size_t n = q->items ? q->n_items : 1;
	time_t now = time(NULL);
	int r;

	if (q->items && (n == 0 || n > CERT_LIST_MAX_ITEMS))
		return flow_fail(err, -EINVAL, "a list certificate lists 1 to %d disks", CERT_LIST_MAX_ITEMS);
	ev = calloc(n, sizeof(*ev));
	if (!ev)
		return flow_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		ev[i].in = q->items ? &q->items[i] : &single;
	if (!pol) {
		if (policy_default(&fallback) < 0) {
			free(ev);
			return flow_fail(err, -ENOMEM, "out of memory");
		}
		pol = &fallback;
	}
	r = check_disks(c, pol, q, ev, n, err);
	if (r >= 0)
		r = check_custody(q, ev, n, &cu, err);
	if (r >= 0)
		r = make_record(c, pol, q, ev, n, &cu, now, &out, err);
	if (r >= 0)
		r = sign_record(c, q, ev, n, now, &out, err);
	if (r >= 0)
		r = make_pdf(c, pol, q, ev, n, now, &out, err);
	if (r >= 0)
		/* step 7: the certificate as `verify` sees it, before anyone else
		 * does: what does not verify is not issued */
		r = flow_check_as_verify(c, out.pdf, out.pdf_len, "certificate", err);
	for (size_t i = 0; i < n; i++)
		evidence_release(&ev[i]);
	free(ev);
	json_decref(cu.ho);
	policy_release(&fallback);
	if (r < 0) {
		flow_issued_release(&out);
		return r;
	}
	*ret = out;
	return 0;
}
