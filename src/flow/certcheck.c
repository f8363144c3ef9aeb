/* certcheck.c - the one certificate check: what `verify`, `audit`,
 * `accept` and the issuing path's own self-check run (see flow.h).
 *
 * Its job: cert_pdf_verify() with the CAs and roster of the trust store,
 * then, with a ledger, whether the ledger names this very file as the
 * asset's current disposal. A later change of the asset (back in service,
 * re-registered, another certificate) makes it SUPERSEDED, never VALID.
 * Never prints.
 */
#include <errno.h>
#include <libintl.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

void flow_cert_result_release(struct flow_cert_result *r)
{
	if (!r)
		return;
	cert_verify_report_release(&r->rep);
	free(r->ledger_status);
	memset(r, 0, sizeof(*r));
}

int flow_reason_pdf_sha256(const char *reason, char out[65])
{
	const char *p = reason ? strstr(reason, FLOW_PDF_SHA_TAG) : NULL;
	size_t n = 0;

	if (!p)
		return -ENOENT;
	p += strlen(FLOW_PDF_SHA_TAG);
	while (n < 64 && ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'f')))
		n++;
	if (n != 64)
		return -EBADMSG;
	memcpy(out, p, 64);
	out[64] = '\0';
	return 0;
}

/* Statuses a disposal leaves an asset in; moving out of them (back in
 * service, awaiting another erasure) ends the certificate's standing. */
static bool disposal_status(const char *s)
{
	return s && (streq(s, "approved") || streq(s, "disposed") || streq(s, "destroyed") ||
		     streq(s, "handed-to-contractor"));
}

/* What the asset's history says about one certificate. */
struct walk {
	const char *cid, *named_hash;
	/* the event the certificate names */
	bool named_found;
	time_t named_time;
	/* the last event that set the certificate ID to this one */
	uint64_t issue_seq;
	time_t issue_time;
	char issue_pdf_sha[65];
	/* the first change after it that ends its standing */
	char superseded[200];
};

static const char *new_value(json_t *ch, enum ledger_field f)
{
	return json_string_value(json_array_get(json_object_get(ch, ledger_field_name(f)), 1));
}

static bool changed(json_t *ch, enum ledger_field f)
{
	return json_object_get(ch, ledger_field_name(f)) != NULL;
}

static void note_supersession(struct walk *w, const struct ledger_event *e, json_t *ch)
{
	const char *cid = new_value(ch, LEDGER_F_CERTIFICATE), *st = new_value(ch, LEDGER_F_STATUS);
	const char *what = NULL;
	char buf[120];

	if (changed(ch, LEDGER_F_CERTIFICATE) && !(cid && streq(cid, w->cid))) {
		snprintf(buf, sizeof(buf), "certificate %s replaced it", cid ? cid : "(none)");
		what = buf;
	} else if (changed(ch, LEDGER_F_SERIAL) || changed(ch, LEDGER_F_WWN)) {
		what = "the asset was registered again with another serial/WWN";
	} else if (changed(ch, LEDGER_F_STATUS) && !disposal_status(st)) {
		snprintf(buf, sizeof(buf), "the asset became %s", st ? st : "(no status)");
		what = buf;
	}
	if (what && !w->superseded[0])
		snprintf(w->superseded, sizeof(w->superseded), "%s (ledger event %llu, %s)", what,
			 (unsigned long long)e->seq, e->time_utc);
}

static int walk_cb(const struct ledger_event *e, void *userdata)
{
	struct walk *w = userdata;
	json_t *ch = e->changes ? json_loads(e->changes, 0, NULL) : NULL;
	const char *cid = new_value(ch, LEDGER_F_CERTIFICATE);
	time_t t = 0;

	parse_time(e->time_utc, &t);
	if (w->named_hash && e->hash && streq(e->hash, w->named_hash)) {
		w->named_found = true;
		w->named_time = t;
	}
	if (cid && streq(cid, w->cid)) {
		w->issue_seq = e->seq;
		w->issue_time = t;
		w->superseded[0] = '\0';
		if (flow_reason_pdf_sha256(e->reason, w->issue_pdf_sha) < 0)
			w->issue_pdf_sha[0] = '\0';
	} else if (w->issue_seq && ch) {
		note_supersession(w, e, ch);
	}
	json_decref(ch);
	return 0;
}

static long long gap(time_t a, time_t b)
{
	return a > b ? (long long)(a - b) : (long long)(b - a);
}

/* What the ledger says of one disk of the certificate. */
struct disk_outcome {
	bool ok, superseded;
	char msg[240];
	char text[480];   /* msg in the reader's language (po/check.sh marks fmt) */
	uint64_t issue_seq;
};

static void outcome_vsay(struct disk_outcome *out, const char *fmt, va_list ap)
{
	vformat_en_text(out->msg, sizeof(out->msg), out->text, sizeof(out->text), fmt, ap);
}

_printf_(2, 3) static void outcome_say(struct disk_outcome *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outcome_vsay(out, fmt, ap);
	va_end(ap);
}

_printf_(3, 4) static void disk_fail(struct disk_outcome *out, bool superseded, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outcome_vsay(out, fmt, ap);
	va_end(ap);
	out->ok = false;
	out->superseded = superseded;
}

/* The ledger bounds the signatures' times: the event the certificate
 * names came before it; the event that recorded it came at its time (ours)
 * or after it (a contractor's, accepted later), and before the approver's
 * key was revoked. */
static bool ledger_times_agree(const struct flow_ctx *c, const struct cert_verify_report *rep,
			       const struct cert_record *d, const struct walk *w, struct disk_outcome *out)
{
	time_t claim = rep->approver_signed_at;
	uint8_t keyid[TRUST_KEYID_BYTES];
	const struct trust_member *m = NULL;

	if (w->named_found && claim && w->named_time > claim + CERT_TIME_TOLERANCE)
		return disk_fail(out, false, "the certificate claims to be signed before the ledger event it names "
				 "(%s)", d->ledger_event_hash), false;
	if (claim && (rep->contractor ? w->issue_time + CERT_TIME_TOLERANCE < claim :
				      gap(w->issue_time, claim) > CERT_TIME_TOLERANCE))
		return disk_fail(out, false, "the ledger recorded certificate %s at a time (event %llu) that is not "
				 "its signing time", rep->record->certificate_id, (unsigned long long)w->issue_seq), false;
	if (c->trust && rep->approver_keyid[0] && trust_keyid_parse(rep->approver_keyid, keyid) == 0)
		m = trust_store_find(c->trust, keyid);
	if (m && m->revoked && w->issue_time >= m->revoked_at)
		return disk_fail(out, false, "the ledger recorded the certificate (event %llu) after the approver's "
				 "key was revoked", (unsigned long long)w->issue_seq), false;
	return true;
}

/* Is this file the current disposal of this disk's asset, as the ledger
 * recorded it? */
static int check_disk(const struct flow_ctx *c, struct flow_cert_result *res, const struct cert_record *d,
		      struct disk_outcome *out)
{
	struct cert_verify_report *rep = &res->rep;
	const struct cert_record *r = rep->record;
	_cleanup_free_ char *why = NULL;
	struct ledger_asset a = { 0 };
	struct walk w = { 0 };
	const char *want = d->ledger_entry ? d->ledger_entry : d->asset_id, *cur;
	int k;

	out->ok = true;
	k = ledger_asset_get(c->ledger, want, &a);
	if (k == -ENOMEM)
		return k;
	if (k < 0)
		return disk_fail(out, false, "the ledger has no asset %s", want), 0;
	if (!res->ledger_status)
		res->ledger_status = strdup(ledger_asset_value(&a, LEDGER_F_STATUS) ?: "");
	cur = ledger_asset_value(&a, LEDGER_F_CERTIFICATE);
	w.cid = r->certificate_id;
	/* a contractor's certificate names an event of the contractor's ledger */
	w.named_hash = rep->contractor ? NULL : d->ledger_event_hash;
	k = ledger_history(c->ledger, want, walk_cb, &w);
	if (k < 0) {
		disk_fail(out, false, "asset %s: cannot read its history: %s", want, strerror(-k));
		goto out;
	}
	/* one rule for verify, audit and accept: the ledger must hold an
	 * identity of the asset, and it must be the certificate's disk (as
	 * the asset is registered now, unless registered again since) */
	k = ledger_identity_check(&a, d->serial, d->wwn, &why);
	if (k != LEDGER_IDENTITY_MATCH && !(w.issue_seq && w.superseded[0] && streq(w.issue_pdf_sha, rep->pdf_sha256))) {
		disk_fail(out, false, "asset %s: %s", want, k == LEDGER_IDENTITY_NONE_ON_RECORD ?
			  "the ledger holds no serial or WWN for it: nothing ties the certificate to a disk" :
			  why ? why : "identity does not match");
		goto out;
	}
	if (!rep->contractor && (!d->ledger_event_hash || !w.named_found)) {
		disk_fail(out, false, "asset %s has no ledger event %.16s...", want,
			  d->ledger_event_hash ? d->ledger_event_hash : "(the certificate names none)");
		goto out;
	}
	if (!w.issue_seq) {
		disk_fail(out, false, "the ledger never recorded certificate %s for asset %s", r->certificate_id, want);
		goto out;
	}
	if (!w.issue_pdf_sha[0] || !streq(w.issue_pdf_sha, rep->pdf_sha256)) {
		disk_fail(out, false, "this file (sha256 %.16s...) is not the PDF the ledger recorded at issue (%s)",
			  rep->pdf_sha256, w.issue_pdf_sha[0] ? w.issue_pdf_sha : "no sha256 recorded");
		goto out;
	}
	if (!ledger_times_agree(c, rep, d, &w, out))
		goto out;
	if (w.superseded[0] || !cur || !streq(cur, r->certificate_id)) {
		disk_fail(out, true, "superseded: %s", w.superseded[0] ? w.superseded : "the asset names another certificate");
		goto out;
	}
	out->issue_seq = w.issue_seq;
	{
		/* whole sentences, each translated as one */
		static const char *const found[2][2] = {
			{ N_("asset %s: its current disposal (event %llu, this PDF's sha256), serial match, "
			     "the event it names found"),
			  N_("asset %s: its current disposal (event %llu, this PDF's sha256), serial and WWN match, "
			     "the event it names found") },
			{ N_("asset %s: its current disposal (event %llu, this PDF's sha256), serial match"),
			  N_("asset %s: its current disposal (event %llu, this PDF's sha256), serial and WWN match") },
		};

		outcome_say(out, found[rep->contractor][d->wwn != NULL], want, (unsigned long long)w.issue_seq);
	}
out:
	ledger_asset_clear(&a);
	return 0;
}

/* Is this file the current disposal of every asset it covers? One row
 * that fails fails the certificate, naming the row; one that a later
 * change moved on makes the whole document SUPERSEDED. */
static int check_ledger(const struct flow_ctx *c, const struct flow_cert_options *o, struct flow_cert_result *res)
{
	struct cert_verify_report *rep = &res->rep;
	const struct cert_record *r = rep->record;
	struct disk_outcome out, first_sup = { 0 };
	size_t n, n_sup = 0, sup_row = 0;
	bool asset_found = false;
	char where[160], msg[240], text[480];
	int k;

	if (!r)
		return cert_verify_report_set(rep, CHECK_LEDGER, false, "no readable record to compare"), 0;
	if (o->chain) {
		struct ledger_verify_result vr = { 0 };

		k = ledger_verify(c->ledger, NULL, &vr);
		if (k == -ENOMEM)
			return k;
		if (k < 0)
			return cert_verify_report_set(rep, CHECK_LEDGER, false, "the ledger's chain is broken: %.200s",
						      k == -EBADMSG ? vr.detail : strerror(-k)), 0;
	}
	n = cert_record_n_disks(r);
	for (size_t i = 0; o->asset_id && i < n; i++) {
		const struct cert_record *d = cert_record_disk(r, i);

		asset_found |= streq(o->asset_id, d->ledger_entry ? d->ledger_entry : d->asset_id) ||
			       streq(o->asset_id, d->asset_id);
	}
	if (o->asset_id && !asset_found && n > 1)
		return cert_verify_report_set(rep, CHECK_LEDGER, false, "the certificate is for other assets, not %s",
					      o->asset_id), 0;
	if (o->asset_id && !asset_found)
		return cert_verify_report_set(rep, CHECK_LEDGER, false, "the certificate is for asset %s, not %s",
					      r->ledger_entry ? r->ledger_entry : r->asset_id, o->asset_id), 0;
	for (size_t i = 0; i < n; i++) {
		k = check_disk(c, res, cert_record_disk(r, i), &out);
		if (k < 0)
			return k;
		if (out.ok)
			continue;
		if (!out.superseded) {
			res->superseded = false;
			if (cert_record_is_list(r)) {
				snprintf(where, sizeof(where), "row %zu (asset %s): ", i + 1, r->items[i].asset_id);
				snprintf(msg, sizeof(msg), "%.80s%.159s", where, out.msg);
				snprintf(where, sizeof(where), gettext("row %zu (asset %s): "), i + 1, r->items[i].asset_id);
				snprintf(text, sizeof(text), "%.159s%.320s", where, out.text);
			} else {
				snprintf(msg, sizeof(msg), "%s", out.msg);
				snprintf(text, sizeof(text), "%s", out.text);
			}
			return cert_verify_report_put(rep, CHECK_LEDGER, false, msg, text), 0;
		}
		if (!n_sup++) {
			first_sup = out;
			sup_row = i;
		}
	}
	if (n_sup) {
		res->superseded = true;
		if (cert_record_is_list(r)) {
			snprintf(msg, sizeof(msg), "%zu of %zu rows: row %zu (asset %.40s): %.100s", n_sup, n, sup_row + 1,
				 r->items[sup_row].asset_id, first_sup.msg);
			snprintf(text, sizeof(text), gettext("%zu of %zu rows: row %zu (asset %.40s): %.200s"), n_sup, n,
				 sup_row + 1, r->items[sup_row].asset_id, first_sup.text);
		} else {
			snprintf(msg, sizeof(msg), "%s", first_sup.msg);
			snprintf(text, sizeof(text), "%s", first_sup.text);
		}
		return cert_verify_report_put(rep, CHECK_LEDGER, false, msg, text), 0;
	}
	if (cert_record_is_list(r))
		cert_verify_report_set(rep, CHECK_LEDGER, true,
				       "%zu rows: the current disposal of each asset (this PDF's sha256), serials match", n);
	else
		cert_verify_report_put(rep, CHECK_LEDGER, true, out.msg, out.text);
	return 0;
}

int flow_cert_check_pdf(const struct flow_ctx *c, const uint8_t *pdf, size_t len, const struct flow_cert_options *o,
			struct flow_cert_result *ret)
{
	static const struct flow_cert_options none = { 0 };
	struct flow_cert_result res = { 0 };
	STACK_OF(X509) *ca = sk_X509_new_null();
	int r = 0;

	if (!o)
		o = &none;
	if (!ca)
		return -ENOMEM;
	if (c->trust)
		r = trust_store_ca_certs(c->trust, ca);
	for (int i = 0; r >= 0 && o->ca && i < sk_X509_num(o->ca); i++) {
		X509 *x = X509_dup(sk_X509_value(o->ca, i));

		if (!x || !sk_X509_push(ca, x)) {
			X509_free(x);
			r = -ENOMEM;
		}
	}
	if (r >= 0)
		r = cert_pdf_verify(pdf, len, ca, c->trust, &res.rep);
	sk_X509_pop_free(ca, X509_free);
	if (r < 0) {
		flow_cert_result_release(&res);
		return r;
	}
	*ret = res;
	return 0;
}

int flow_cert_check_finish(const struct flow_ctx *c, const struct flow_cert_options *o, struct flow_cert_result *res)
{
	static const struct flow_cert_options none = { 0 };
	int r = 0;

	if (!o)
		o = &none;
	/* a signed report is no disposal: the ledger has nothing to say of it */
	if (o->ledger && c->ledger && !res->rep.report)
		r = check_ledger(c, o, res);
	if (r < 0)
		return r;
	/* SUPERSEDED: genuine, once current, no longer: every other check passed */
	res->verdict = res->rep.all_ok ? FLOW_CERT_VALID : FLOW_CERT_INVALID;
	if (res->superseded) {
		bool only = true;

		for (int i = 0; i < CHECK__MAX; i++)
			if (i != CHECK_LEDGER && !(res->rep.checks[i].ran && res->rep.checks[i].ok) &&
			    !(i == CHECK_ROSTER && res->rep.roster_skipped))
				only = false;
		if (only)
			res->verdict = FLOW_CERT_SUPERSEDED;
	}
	return 0;
}

int flow_cert_check(const struct flow_ctx *c, const uint8_t *pdf, size_t len, const struct flow_cert_options *o,
		    struct flow_cert_result *ret)
{
	struct flow_cert_result res = { 0 };
	int r;

	r = flow_cert_check_pdf(c, pdf, len, o, &res);
	if (r < 0)
		return r;
	r = flow_cert_check_finish(c, o, &res);
	if (r < 0) {
		flow_cert_result_release(&res);
		return r;
	}
	*ret = res;
	return 0;
}

int flow_check_as_verify(const struct flow_ctx *c, const uint8_t *pdf, size_t len, const char *what,
			 struct flow_error *err)
{
	struct flow_cert_result res = { 0 };
	int r = flow_cert_check(c, pdf, len, NULL, &res);

	if (r < 0)
		return flow_fail(err, r, "cannot check the %s: %s", what, strerror(-r));
	if (!res.rep.all_ok) {
		for (int i = 0; i < CHECK__MAX; i++)
			if (res.rep.checks[i].ran && !res.rep.checks[i].ok) {
				r = flow_fail(err, -EPERM, "the %s would not verify: %s: %s", what, cert_check_name(i),
					      res.rep.checks[i].detail);
				break;
			}
		if (r >= 0)
			r = flow_fail(err, -EPERM, "the %s would not verify", what);
	}
	flow_cert_result_release(&res);
	return r;
}
