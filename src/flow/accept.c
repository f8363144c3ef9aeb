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

/* The contractor: the keys that signed the record and the wipe record
 * (as the certificate check proved them) are a pinned contractor's
 * approver and technician of one organisation, two people. */
static void check_contractor(const struct flow_ctx *c, const struct cert_verify_report *rep, struct flow_acceptance *a)
{
	uint8_t ak[TRUST_KEYID_BYTES], tk[TRUST_KEYID_BYTES];
	const struct trust_member *am = NULL, *tm = NULL;

	if (trust_keyid_parse(rep->approver_keyid, ak) == 0)
		am = trust_store_find(c->trust, ak);
	if (trust_keyid_parse(rep->technician_keyid, tk) == 0)
		tm = trust_store_find(c->trust, tk);
	if (!am || !tm) {
		check(a, "contractor", false, "the approver's and the technician's signatures did not verify");
		return;
	}
	free(a->approver);
	a->approver = strdup(am->name);
	free(a->technician);
	a->technician = strdup(tm->name);
	if (am->role != TRUST_ROLE_CONTRACTOR_APPROVER || tm->role != TRUST_ROLE_CONTRACTOR_TECHNICIAN) {
		check(a, "contractor", false, "not a contractor's certificate: the approver's role is %s, the technician's %s",
		      trust_role_to_string(am->role), trust_role_to_string(tm->role));
		return;
	}
	if (!streq(am->org ?: "", tm->org ?: "")) {
		check(a, "contractor", false, "the approver (%s) and the technician (%s) are of two organisations",
		      am->org, tm->org);
		return;
	}
	free(a->contractor);
	a->contractor = strdup(am->org);
	check(a, "contractor", true, "%s, pinned by our root: approver %s, technician %s", am->org, am->name, tm->name);
}

/* The owner's ledger: the asset exists, was handed over, is this disk, and
 * the certificate is new. */
static void check_ledger(const struct flow_ctx *c, const struct cert_record *r, struct flow_acceptance *a)
{
	struct ledger_asset as = { 0 };
	_cleanup_free_ char *why = NULL, *arch = NULL;
	struct cert_use use = { r->certificate_id, "" };
	int k;

	k = ledger_asset_get(c->ledger, r->asset_id, &as);
	if (!check(a, "ledger-asset", k >= 0, k == -ENOENT ? "the ledger has no asset %s" :
		   k < 0 ? "asset %s: cannot read the ledger" : "asset %s in the ledger", r->asset_id))
		goto reuse;
	{
		/* the lifecycle table: only a medium handed to a contractor is
		 * accepted as disposed (a lost one never is) */
		struct flow_error lc = { "" };

		bool ok = flow_lifecycle_allows(&as, LC_OP_ACCEPT, &lc) == 0;

		check(a, "ledger-status", ok, "%s", ok ? "the asset is handed-to-contractor" : lc.msg);
	}
	k = ledger_identity_check(&as, r->serial, r->wwn, &why);
	check(a, "identity", k == LEDGER_IDENTITY_MATCH, "%s",
	      k == LEDGER_IDENTITY_MATCH ? "serial/WWN match the asset" : why ? why : "identity does not match");
reuse:
	ledger_asset_clear(&as);
	if (!plain_id(r->certificate_id)) {
		check(a, "not-reused", false, "the certificate ID is not a plain name");
		return;
	}
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

static int mkdir_exist_ok(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int flow_accept(const struct flow_ctx *c, const uint8_t *pdf, size_t len, const char *actor,
		struct flow_acceptance *ret, struct flow_error *err)
{
	struct flow_cert_result res = { 0 };
	struct ledger_asset as = { 0 };
	_cleanup_free_ char *dir = NULL, *arch = NULL, *why = NULL;
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
		ret->certificate_id = strdup(r->certificate_id);
		ret->asset_id = strdup(r->asset_id);
		check(ret, "result", r->result && streq(r->result, "erased_and_verified"),
		      "the certificate says %s", r->result ? r->result : "nothing");
		check_contractor(c, &res.rep, ret);
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
	k = ledger_asset_get(c->ledger, r->asset_id, &as);
	/* read again: another accept may have run since the checks */
	if (k >= 0 && !streq(ledger_asset_value(&as, LEDGER_F_STATUS) ?: "", "handed-to-contractor"))
		k = -EBUSY;
	if (k >= 0)
		k = ledger_asset_set(&as, LEDGER_F_STATUS, "disposed");
	if (k >= 0)
		k = ledger_asset_set(&as, LEDGER_F_CERTIFICATE, r->certificate_id);
	if (k >= 0 && asprintf(&why, "contractor certificate %s of %s accepted (performed by %s, approved by %s); "
			       FLOW_PDF_SHA_TAG "%s", r->certificate_id, ret->contractor, ret->technician, ret->approver,
			       ret->pdf_sha256) < 0)
		k = -ENOMEM;
	if (k >= 0)
		k = ledger_asset_update(c->ledger, &as, actor, why, NULL);
	if (k == 0)
		k = -EALREADY; /* nothing changed: cannot be, the status was checked */
	if (k < 0) {
		unlink(arch);
		if (k == -EBUSY)
			k = flow_fail(err, -EPERM, "asset %s changed while it was checked; nothing recorded", r->asset_id);
		else
			k = flow_fail(err, k, "asset %s: the ledger event failed, nothing recorded: %s", r->asset_id,
				      strerror(-k));
		goto out;
	}
	ret->archive_path = TAKE_PTR(arch);
	ret->accepted = true;
	k = 0;
out:
	ledger_asset_clear(&as);
	flow_cert_result_release(&res);
	return k;
}
