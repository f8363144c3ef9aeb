/* accept.c - contractor hand-over: the owner accepts a contractor's
 * certificate for an asset it handed over (see flow.h).
 *
 * Never prints. Runs every check, so the operator sees each reason at
 * once, and writes nothing (no archive copy, no ledger event) unless every
 * one passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "wipecert/cert.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/lifecycle.h"
#include "flow-internal.h"

void flow_acceptance_release(struct flow_acceptance *a)
{
	if (!a)
		return;
	free(a->certificate_id);
	free(a->asset_id);
	free(a->contractor);
	free(a->technician);
	free(a->approver);
	free(a->archive_path);
	memset(a, 0, sizeof(*a));
}

static bool check(struct flow_acceptance *a, const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool check(struct flow_acceptance *a, const char *name, bool ok, const char *fmt, ...)
{
	struct flow_accept_check *c;
	va_list ap;

	if (a->n_checks >= FLOW_ACCEPT_MAX_CHECKS)
		return ok;
	c = &a->checks[a->n_checks++];
	c->name = name;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	return ok;
}

/* A certificate ID names the archive file: letters, digits, '-', '_', '.' */
static bool plain_id(const char *s)
{
	if (!s || !*s || *s == '.' || strlen(s) > 100)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

struct cert_use {
	const char *cid;
	char asset[128];
};

static int cert_use_cb(const struct ledger_asset *a, void *userdata)
{
	struct cert_use *u = userdata;
	const char *c = ledger_asset_value(a, LEDGER_F_CERTIFICATE);

	if (c && streq(c, u->cid) && !u->asset[0])
		snprintf(u->asset, sizeof(u->asset), "%s", ledger_asset_value(a, LEDGER_F_ASSET_ID));
	return 0;
}

/* The contractor: the keys that signed the record and each wipe record
 * (as the certificate check proved them) are a pinned contractor's
 * approver and technicians of one organisation, other people. */
static void check_contractor(const struct flow_ctx *c, const struct cert_verify_report *rep, struct flow_acceptance *a)
{
	const struct cert_record *r = rep->record;
	uint8_t ak[TRUST_KEYID_BYTES], tk[TRUST_KEYID_BYTES];
	const struct trust_member *am = NULL, *tm = NULL, *bad = NULL;

	if (trust_keyid_parse(rep->approver_keyid, ak) == 0)
		am = trust_store_find(c->trust, ak);
	for (size_t i = 0; am && i < cert_record_n_disks(r); i++) {
		/* each row's performer key is its signer's (the evidence check) */
		const char *tkid = cert_record_is_list(r) ? r->items[i].performer.key_id : rep->technician_keyid;
		const struct trust_member *m = tkid && trust_keyid_parse(tkid, tk) == 0 ? trust_store_find(c->trust, tk) : NULL;

		if (!m) {
			tm = NULL;
			break;
		}
		if (!tm)
			tm = m;
		if (!bad && (m->role != TRUST_ROLE_CONTRACTOR_TECHNICIAN || !streq(am->org ?: "", m->org ?: "")))
			bad = m;
	}
	if (!am || !tm) {
		check(a, "contractor", false, "the approver's and the technician's signatures did not verify");
		return;
	}
	free(a->approver);
	a->approver = strdup(am->name);
	free(a->technician);
	a->technician = strdup(tm->name);
	if (am->role != TRUST_ROLE_CONTRACTOR_APPROVER || (bad && bad->role != TRUST_ROLE_CONTRACTOR_TECHNICIAN)) {
		check(a, "contractor", false, "not a contractor's certificate: the approver's role is %s, the technician's %s",
		      trust_role_to_string(am->role), trust_role_to_string((bad ? bad : tm)->role));
		return;
	}
	if (bad) {
		check(a, "contractor", false, "the approver (%s) and the technician (%s) are of two organisations",
		      am->org, bad->org);
		return;
	}
	free(a->contractor);
	a->contractor = strdup(am->org);
	check(a, "contractor", true, "%s, pinned by our root: approver %s, technician %s%s", am->org, am->name, tm->name,
	      cert_record_is_list(r) ? " (and each row's)" : "");
}

/* Custody: the certificate names a hand-over list we recorded with its
 * receipt, to this contractor, holding its assets (the certificate's own
 * custody check proved the last two from the attached list); every
 * document was judged by our roster; and where our policy wants a witness
 * of a contractor's work, each row has one. */
static void check_custody(const struct flow_ctx *c, const struct flow_cert_result *res, struct flow_acceptance *a)
{
	const struct cert_record *r = res->rep.record;
	struct policy fallback = { 0 };
	const struct policy *pol = c->policy;
	char why[240];

	if (!r->handover_id || !r->handover_sha256)
		check(a, "custody", false, "the certificate names no hand-over list: only assets handed over with both "
		      "signatures (custody handover, receive, record) are accepted");
	else if (flow_custody_recorded(c, r->handover_id, r->handover_sha256, why, sizeof(why)) < 0)
		check(a, "custody", false, "%s", why);
	else if (res->rep.unjudged)
		check(a, "custody", false, "the certificate carries a witness statement or hand-over list our roster cannot "
		      "judge");
	else
		check(a, "custody", true, "hand-over list %s, recorded here with its receipt", r->handover_id);
	if (!pol && policy_default(&fallback) >= 0)
		pol = &fallback;
	for (size_t i = 0; pol && i < cert_record_n_disks(r); i++) {
		const struct cert_record *d = cert_record_disk(r, i);
		const char *rule = NULL;

		if (!d->witness_sha256 && policy_witness_required(pol, (int)d->importance_class, WITNESS_CONTRACTOR, &rule)) {
			check(a, "witness-policy", false, "asset %s: our policy (%s) requires a witness for %s", d->asset_id,
			      pol->source, rule);
			break;
		}
	}
	policy_release(&fallback);
}

/* The owner's ledger: each asset exists, was handed over, is this disk,
 * and the certificate is new. */
static void check_ledger(const struct flow_ctx *c, const struct cert_record *r, struct flow_acceptance *a)
{
	_cleanup_free_ char *arch = NULL;
	bool ok[3] = { true, true, true };
	char msg[3][240] = { "", "", "" };
	int k;

	for (size_t i = 0; i < cert_record_n_disks(r); i++) {
		const struct cert_record *d = cert_record_disk(r, i);
		struct ledger_asset as = { 0 };
		_cleanup_free_ char *why = NULL;
		struct flow_error lc = { "" };

		k = ledger_asset_get(c->ledger, d->asset_id, &as);
		if (k < 0) {
			if (ok[0])
				snprintf(msg[0], sizeof(msg[0]), k == -ENOENT ? "the ledger has no asset %s" :
					 "asset %s: cannot read the ledger", d->asset_id);
			ok[0] = false;
			continue;
		}
		/* the lifecycle table: only a medium handed to a contractor is
		 * accepted as disposed (a lost one never is) */
		if (flow_lifecycle_allows(&as, LC_OP_ACCEPT, &lc) < 0 && ok[1]) {
			snprintf(msg[1], sizeof(msg[1]), "%.*s", (int)sizeof(msg[1]) - 1, lc.msg);
			ok[1] = false;
		}
		k = ledger_identity_check(&as, d->serial, d->wwn, &why);
		if (k != LEDGER_IDENTITY_MATCH && ok[2]) {
			snprintf(msg[2], sizeof(msg[2]), "%s", why ? why : "identity does not match");
			ok[2] = false;
		}
		ledger_asset_clear(&as);
	}
	check(a, "ledger-asset", ok[0], "%s", ok[0] ? "every asset in the ledger" : msg[0]);
	if (ok[0]) {
		check(a, "ledger-status", ok[1], "%s", ok[1] ? "every asset handed-to-contractor" : msg[1]);
		check(a, "identity", ok[2], "%s", ok[2] ? "serial/WWN match the assets" : msg[2]);
	}
	if (!plain_id(r->certificate_id)) {
		check(a, "not-reused", false, "the certificate ID is not a plain name");
		return;
	}
	{
		struct cert_use use = { r->certificate_id, "" };

		k = ledger_asset_list(c->ledger, NULL, cert_use_cb, &use);
		if (asprintf(&arch, "%s/accepted/%s.pdf", flow_state_dir(c), r->certificate_id) < 0)
			arch = NULL;
		if (k < 0)
			check(a, "not-reused", false, "cannot read the ledger: %s", strerror(-k));
		else if (use.asset[0])
			check(a, "not-reused", false, "certificate %s is already the certificate of asset %s",
			      r->certificate_id, use.asset);
		else if (arch && access(arch, F_OK) == 0)
			check(a, "not-reused", false, "certificate %s was accepted before (%s)", r->certificate_id, arch);
		else
			check(a, "not-reused", true, "certificate %s not seen before", r->certificate_id);
	}
}

static int mkdir_exist_ok(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The ledger, every row: read again (another accept may have run since
 * the checks: -EBUSY), then each asset disposed with the certificate
 * named; a failed row names the certificate too (verify --db finds it),
 * its asset stays with the contractor. */
static int record_rows(const struct flow_ctx *c, const struct cert_record *r, const struct flow_acceptance *ret,
		       const char *actor)
{
	struct ledger_asset as = { 0 };
	int k = 0;

	for (size_t i = 0; k >= 0 && i < cert_record_n_disks(r); i++) {
		k = ledger_asset_get(c->ledger, cert_record_disk(r, i)->asset_id, &as);
		if (k >= 0 && flow_lifecycle_allows(&as, LC_OP_ACCEPT, NULL) < 0)
			k = -EBUSY;
		ledger_asset_clear(&as);
	}
	for (size_t i = 0; k >= 0 && i < cert_record_n_disks(r); i++) {
		const struct cert_record *d = cert_record_disk(r, i);
		bool erased = streq(d->result, "erased_and_verified");
		_cleanup_free_ char *why = NULL;

		if (asprintf(&why, "%s%scontractor certificate %s of %s accepted (performed by %s, approved by %s); "
			     FLOW_PDF_SHA_TAG "%s", cert_record_is_list(r) ? "row of list " : "",
			     erased ? "" : "FAILED in ", r->certificate_id, ret->contractor, ret->technician, ret->approver,
			     ret->pdf_sha256) < 0)
			return -ENOMEM;
		k = ledger_asset_get(c->ledger, d->asset_id, &as);
		if (k >= 0 && erased)
			k = ledger_asset_set(&as, LEDGER_F_STATUS, "disposed");
		if (k >= 0)
			k = ledger_asset_set(&as, LEDGER_F_CERTIFICATE, r->certificate_id);
		if (k >= 0)
			k = ledger_asset_update(c->ledger, &as, actor, why, NULL);
		if (k == 0)
			k = -EALREADY; /* nothing changed: cannot be, the status was checked */
		ledger_asset_clear(&as);
	}
	return k;
}

int flow_accept(const struct flow_ctx *c, const uint8_t *pdf, size_t len, const char *actor,
		struct flow_acceptance *ret, struct flow_error *err)
{
	struct flow_cert_result res = { 0 };
	_cleanup_free_ char *dir = NULL, *arch = NULL;
	const struct cert_record *r;
	bool all = true;
	int k;

	memset(ret, 0, sizeof(*ret));
	if (!c->trust)
		return flow_fail(err, -EINVAL, "a trust directory is needed (--trust)");
	if (!c->ledger)
		return flow_fail(err, -EINVAL, "the owner's ledger is needed (--db)");
	flow_sha256_hex(pdf, len, ret->pdf_sha256);
	/* the certificate's own checks, as verify, audit and the issuing path
	 * run them; the ledger part is the owner's, below: not recorded yet */
	k = flow_cert_check(c, pdf, len, NULL, &res);
	if (k < 0) {
		k = flow_fail(err, k, "cannot verify the certificate: %s", strerror(-k));
		goto out;
	}
	for (int i = 0; i < CHECK__MAX; i++)
		if (i != CHECK_LEDGER)
			check(ret, cert_check_name(i), res.rep.checks[i].ran && res.rep.checks[i].ok, "%s",
			      res.rep.checks[i].ran ? res.rep.checks[i].detail : "not run: an earlier check failed");
	r = res.rep.record;
	if (r) {
		size_t done = 0;

		ret->certificate_id = strdup(r->certificate_id);
		ret->n_assets = cert_record_n_disks(r);
		ret->asset_id = strdup(cert_record_disk(r, 0)->asset_id);
		for (size_t i = 0; i < ret->n_assets; i++)
			done += streq(cert_record_disk(r, i)->result, "erased_and_verified");
		/* a list's failed rows are listed as failed: their assets stay
		 * with the contractor, the others are closed */
		if (cert_record_is_list(r))
			check(ret, "result", done > 0, "%zu of %zu rows erased and verified%s", done, ret->n_assets,
			      done < ret->n_assets ? "; the failed rows' assets stay handed-to-contractor" : "");
		else
			check(ret, "result", done == 1, "the certificate says %s", r->result ? r->result : "nothing");
		check_contractor(c, &res.rep, ret);
		check_custody(c, &res, ret);
		check_ledger(c, r, ret);
	}
	for (size_t i = 0; i < ret->n_checks; i++)
		if (!ret->checks[i].ok)
			all = false;
	if (!all || !r) {
		k = flow_fail(err, -EPERM, "the certificate is refused");
		goto out;
	}

	/* record: the archive copy first (exclusive: it also stops a second
	 * accept of the same certificate running now), then the ledger */
	if (asprintf(&dir, "%s/accepted", flow_state_dir(c)) < 0 ||
	    asprintf(&arch, "%s/%s.pdf", dir, r->certificate_id) < 0) {
		k = flow_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	k = mkdir_exist_ok(flow_state_dir(c));
	if (k >= 0)
		k = mkdir_exist_ok(dir);
	if (k >= 0)
		k = write_file_atomic(arch, pdf, len, 0644, true);
	if (k < 0) {
		k = flow_fail(err, k == -EEXIST ? -EPERM : k, "%s: cannot archive the certificate: %s", arch,
			      k == -EEXIST ? "accepted before" : strerror(-k));
		goto out;
	}
	k = record_rows(c, r, ret, actor);
	if (k < 0) {
		unlink(arch);
		if (k == -EBUSY)
			k = flow_fail(err, -EPERM, "asset %s changed while it was checked; nothing recorded", r->asset_id ?: "?");
		else
			k = flow_fail(err, k, "the ledger event failed: %s", strerror(-k));
		goto out;
	}
	ret->archive_path = TAKE_PTR(arch);
	ret->accepted = true;
	k = 0;
out:
	flow_cert_result_release(&res);
	return k;
}
