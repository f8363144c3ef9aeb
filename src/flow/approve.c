/* approve.c - approve a sealed case and issue its certificate, or reject
 * it (see flow.h).
 *
 * Never prints. Nothing is written unless every check passed: the wipe
 * record verifies against the roster as a technician's, the approver is
 * another person with an approver's key, and the policy allows the method
 * for the asset's class.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/erase.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

void flow_approval_release(struct flow_approval *a)
{
	if (!a)
		return;
	free(a->certificate_id);
	free(a->pdf_path);
	free(a->record_sha256);
	free(a->pdf_sha256);
	memset(a, 0, sizeof(*a));
}

/* A sealed case read back and checked against the roster. */
struct sealed {
	uint8_t *rec_bytes, *sig_bytes;
	size_t rec_len, sig_len;
	uint8_t *wit_bytes, *wit_sig;   /* a witness's statement, NULL if none */
	size_t wit_len, wit_sig_len;
	json_t *rec;
	struct trust_result tech;
	char rec_sha256[65], sig_sha256[65];
};

static void sealed_release(struct sealed *s)
{
	free(s->rec_bytes);
	free(s->sig_bytes);
	free(s->wit_bytes);
	free(s->wit_sig);
	json_decref(s->rec);
}

/* ID.witness.json and its signature, when a witness signed the case */
static int load_witness(const struct flow_ctx *c, const char *id, struct sealed *s, struct flow_error *err)
{
	_cleanup_free_ char *wpath = flow_path(c, id, ".witness.json");
	_cleanup_free_ char *spath = flow_path(c, id, ".witness.json.minisig");
	int r;

	if (!wpath || !spath)
		return flow_fail(err, -ENOMEM, "out of memory");
	r = read_full_file(wpath, &s->wit_bytes, &s->wit_len);
	if (r == -ENOENT)
		return 0;
	if (r >= 0)
		r = read_full_file(spath, &s->wit_sig, &s->wit_sig_len);
	if (r < 0)
		return flow_fail(err, r, "case %s: cannot read the witness's statement: %s", id, strerror(-r));
	return 0;
}

static int load_sealed(const struct flow_ctx *c, const char *id, struct sealed *s, struct flow_error *err)
{
	_cleanup_free_ char *rpath = flow_path(c, id, ".wipe-record.json");
	_cleanup_free_ char *spath = flow_path(c, id, ".wipe-record.json.minisig");
	int r;

	if (!rpath || !spath)
		return flow_fail(err, -EINVAL, "%s: not a case ID", id);
	r = read_full_file(rpath, &s->rec_bytes, &s->rec_len);
	if (r >= 0)
		r = read_full_file(spath, &s->sig_bytes, &s->sig_len);
	/* sealed on another station: the ledger carries it */
	if (r == -ENOENT && c->ledger) {
		free(s->rec_bytes);
		s->rec_bytes = NULL;
		r = flow_ledger_record(c, id, &s->rec_bytes, &s->rec_len, &s->sig_bytes, &s->sig_len);
	}
	if (r == -ENOENT)
		return flow_fail(err, r, "case %s: no sealed wipe record in %s%s", id, flow_state_dir(c),
				 c->ledger ? " nor in the ledger" : "");
	if (r < 0)
		return flow_fail(err, r, "case %s: cannot read the wipe record: %s", id, strerror(-r));
	if (!c->trust)
		return flow_fail(err, -EINVAL, "a trust directory is needed (--trust)");
	r = trust_verify(c->trust, TRUST_DOC_WIPE_RECORD, s->rec_bytes, s->rec_len, (const char *)s->sig_bytes,
			 s->sig_len, &s->tech);
	if (r < 0)
		return flow_fail(err, r, "case %s: cannot verify the wipe record: %s", id, strerror(-r));
	if (s->tech.verdict != TRUST_OK)
		return flow_fail(err, -EPERM, "case %s: the technician's signature does not verify: %s", id,
				 trust_verdict_string(s->tech.verdict));
	r = canon_parse((const char *)s->rec_bytes, s->rec_len, &s->rec);
	if (r < 0)
		return flow_fail(err, -EBADMSG, "case %s: the wipe record is not canonical JSON", id);
	flow_sha256_hex(s->rec_bytes, s->rec_len, s->rec_sha256);
	flow_sha256_hex(s->sig_bytes, s->sig_len, s->sig_sha256);
	return load_witness(c, id, s, err);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int write_case_file(const struct flow_ctx *c, const char *id, const char *suffix, const void *data,
			   size_t len, struct flow_error *err)
{
	_cleanup_free_ char *p = flow_path(c, id, suffix);
	int r;

	if (!p)
		return flow_fail(err, -ENOMEM, "out of memory");
	r = write_file_atomic(p, data, len, 0644, true);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot write: %s", p, r == -EEXIST ? "exists already" : strerror(-r));
	return 0;
}

static int check_not_decided(const struct flow_ctx *c, const char *id, struct flow_error *err)
{
	_cleanup_free_ char *pdf = flow_path(c, id, ".pdf"), *rej = flow_path(c, id, ".rejected.json");
	_cleanup_free_ char *decided = NULL;
	int r;
	_cleanup_free_ char *listed = flow_path(c, id, ".listed");

	if (!pdf || !rej || !listed)
		return flow_fail(err, -EINVAL, "%s: not a case ID", id);
	if (access(pdf, F_OK) == 0)
		return flow_fail(err, -EEXIST, "case %s is approved already (%s)", id, pdf);
	if (access(listed, F_OK) == 0)
		return flow_fail(err, -EEXIST, "case %s is approved already, in a list certificate (%s)", id, listed);
	if (access(rej, F_OK) == 0)
		return flow_fail(err, -EEXIST, "case %s was rejected (%s)", id, rej);
	/* decided on another machine */
	r = flow_ledger_decision(c, id, &decided);
	if (r < 0)
		return flow_fail(err, r, "case %s: cannot read the ledger: %s", id, strerror(-r));
	if (decided)
		return flow_fail(err, -EEXIST, "case %s is %s already (the ledger has the decision)", id, decided);
	return 0;
}

/* The state directory must take the decision's files: made if missing (a
 * manager's own machine), checked before anything is signed. */
static int state_dir_ready(const struct flow_ctx *c, struct flow_error *err)
{
	const char *dir = flow_state_dir(c);

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return flow_fail(err, -errno, "%s: cannot create the state directory: %m (give --state-dir)", dir);
	if (access(dir, W_OK) < 0)
		return flow_fail(err, -errno, "%s: cannot write there: %m (give --state-dir)", dir);
	return 0;
}

/* What approval leaves in the state directory: the signed record and
 * the certificate (the record's signature first, as flow_seal()). */
static int write_certificate(const struct flow_ctx *c, const char *id, const struct flow_issued *is,
			     struct flow_error *err)
{
	int r;

	r = write_case_file(c, id, ".cert.json.minisig", is->record_sig, strlen(is->record_sig), err);
	if (r >= 0)
		r = write_case_file(c, id, ".cert.json", is->canon, is->canon_len, err);
	if (r >= 0)
		r = write_case_file(c, id, ".pdf", is->pdf, is->pdf_len, err);
	return r;
}

/* The ledger's record that the certificate is the asset's disposal, before
 * any file is written: the decision with the certificate record and the
 * PDF, and the event with the certificate ID, the status and the PDF's
 * SHA-256 that `verify --db` compares (FLOW_PDF_SHA_TAG), signed by the
 * approver, in one transaction; of two approvers at once the second is
 * refused there. */
static int record_certificate(const struct flow_ctx *c, const char *id, const struct sealed *s,
			      const struct flow_issued *is, const struct trust_seckey *approver, struct flow_error *err)
{
	const struct cert_record *cr = is->record;
	_cleanup_free_ char *why = NULL;

	if (asprintf(&why, "certificate %s issued (%s), approved by %s; record sha256 %s, " FLOW_PDF_SHA_TAG "%s",
		     cr->certificate_id, is->erased ? (is->destroyed ? "physically destroyed" : "erased and verified") :
		     is->verified_only ? "verified only, nothing erased" : "FAILED", trust_seckey_name(approver),
		     is->record_sha256, is->pdf_sha256) < 0)
		return flow_fail(err, -ENOMEM, "out of memory");
	struct flow_decision d = {
		.id = id, .asset_id = cr->asset_id, .record = s->rec_bytes, .record_len = s->rec_len,
		.record_sig = s->sig_bytes, .record_sig_len = s->sig_len,
		.status = is->erased ? (is->destroyed ? "destroyed" : "approved") : NULL,
		.certificate_id = cr->certificate_id, .approver = trust_seckey_name(approver),
		.document = (const uint8_t *)is->canon, .document_len = is->canon_len, .document_sig = is->record_sig,
		.pdf = is->pdf, .pdf_len = is->pdf_len, .reason = why,
	};
	return flow_record_decision(c, &d, err);
}

/* A list certificate's events: one an asset, each row naming the list's
 * number, signed by the approver in one transaction each. (The cases of a
 * list get no decision of their own in the ledger: a certificate number
 * is one decision's; docs/ledger.md.) */
static int record_list_certificate(const struct flow_ctx *c, const struct flow_issued *is,
				   const struct trust_seckey *approver, struct flow_error *err)
{
	const struct cert_record *cr = is->record;
	int r = 0;

	/* one event an asset: a list's rows each name the list's number */
	for (size_t i = 0; r >= 0 && i < cert_record_n_disks(cr); i++) {
		const struct cert_record *d = cert_record_disk(cr, i);
		bool erased = streq(d->result, "erased_and_verified"), destroyed = streq(d->sanitization_type, "destroy");
		const char *what = erased ? (destroyed ? "physically destroyed" : "erased and verified") :
				   streq(d->result, "verified_only") ? "verified only, nothing erased" : "FAILED";
		struct ledger_asset a = { 0 };
		_cleanup_free_ char *why = NULL, *row = NULL;
		uint64_t seq = 0;

		if (cert_record_is_list(cr) && asprintf(&row, "row %zu of list ", i + 1) < 0)
			r = -ENOMEM;
		if (r >= 0)
			r = ledger_asset_get(c->ledger, d->asset_id, &a);
		if (r >= 0 && erased)
			r = ledger_asset_set(&a, LEDGER_F_STATUS, destroyed ? "destroyed" : "approved");
		if (r >= 0)
			r = ledger_asset_set(&a, LEDGER_F_CERTIFICATE, cr->certificate_id);
		if (r >= 0 && asprintf(&why, "%scertificate %s issued (%s), approved by %s; record sha256 %s, " FLOW_PDF_SHA_TAG
				       "%s", row ? row : "", cr->certificate_id, what, trust_seckey_name(approver),
				       is->record_sha256, is->pdf_sha256) < 0)
			r = -ENOMEM;
		if (r >= 0)
			r = ledger_asset_update(c->ledger, &a, trust_seckey_name(approver), why, &seq);
		ledger_asset_clear(&a);
	}
	if (r < 0)
		return flow_fail(err, r, "certificate written, but the ledger event failed: %s", strerror(-r));
	return 0;
}

int flow_approve(const struct flow_ctx *c, const char *id, const struct trust_seckey *approver,
		 const char *destination, struct flow_approval *ret, struct flow_error *err)
{
	struct sealed s = { 0 };
	struct flow_issued is = { 0 };
	struct flow_custody_docs cust = { 0 };
	char ehash[LEDGER_HASH_HEX] = "";
	const char *aid;
	int r;

	r = check_not_decided(c, id, err);
	if (r >= 0)
		r = state_dir_ready(c, err);
	if (r >= 0)
		r = load_sealed(c, id, &s, err);
	/* the approver signs the ledger event; an older trust list is refused first */
	if (r >= 0)
		r = flow_ledger_signer(c, approver, err);
	if (r < 0)
		goto out;
	aid = jstr(json_object_get(s.rec, "asset"), "asset_id");
	if (c->ledger && aid && flow_asset_last_event(c->ledger, aid, NULL, ehash) < 0)
		ehash[0] = '\0';
	{
		struct flow_issue_request q = {
			.evidence = s.rec_bytes, .evidence_len = s.rec_len,
			.evidence_sig = s.sig_bytes, .evidence_sig_len = s.sig_len,
			.approver = approver, .destination = destination,
			.event_hash = ehash[0] ? ehash : NULL,
			.witness = { s.wit_bytes, s.wit_sig, s.wit_len, s.wit_sig_len },
			.parties = c->parties,
		};

		flow_custody_for(c, aid, approver, &q, &cust);
		r = flow_issue(c, &q, &is, err);
	}
	if (r >= 0 && c->ledger)
		r = record_certificate(c, id, &s, &is, approver, err);
	if (r >= 0)
		r = write_certificate(c, id, &is, err);
	if (r < 0)
		goto out;
	ret->certificate_id = strdup(is.record->certificate_id);
	ret->pdf_path = flow_path(c, id, ".pdf");
	ret->record_sha256 = strdup(is.record_sha256);
	ret->pdf_sha256 = strdup(is.pdf_sha256);
	ret->erased = is.erased;
	ret->verified_only = is.verified_only;
	r = 0;
out:
	flow_issued_release(&is);
	flow_custody_docs_release(&cust);
	sealed_release(&s);
	return r;
}

/* ---- the list form: one certificate for many cases ---- */

/* Each case marked decided: ID.listed names the list certificate. A
 * thousand files synced one by one cost seconds; written, then the file
 * system synced once (syncfs), they are as durable. */
static int mark_listed(const struct flow_ctx *c, const char *const *ids, size_t n, const char *pdf_path,
		       struct flow_error *err)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (asprintf(&text, "%s\n", pdf_path) < 0)
		return flow_fail(err, -ENOMEM, "out of memory");
	len = strlen(text);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = flow_path(c, ids[i], ".listed");
		_cleanup_close_ int fd = -1;

		if (!p)
			return flow_fail(err, -ENOMEM, "out of memory");
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, text, len) != (ssize_t)len)
			return flow_fail(err, -errno, "%s: cannot write: %m", p);
	}
	dfd = open(flow_state_dir(c), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || syncfs(dfd) < 0)
		return flow_fail(err, -errno, "%s: cannot sync: %m", flow_state_dir(c));
	return 0;
}

int flow_approve_list(const struct flow_ctx *c, const char *const *ids, size_t n, const struct trust_seckey *approver,
		      const char *destination, struct flow_approval *ret, struct flow_error *err)
{
	struct sealed *s = NULL;
	struct flow_evidence *items = NULL;
	char (*ehash)[LEDGER_HASH_HEX] = NULL;
	struct flow_issued is = { 0 };
	struct flow_custody_docs cust = { 0 };
	_cleanup_free_ char *base = NULL;
	int r = 0;

	if (n == 0 || n > CERT_LIST_MAX_ITEMS)
		return flow_fail(err, -EINVAL, "a list certificate lists 1 to %d cases", CERT_LIST_MAX_ITEMS);
	s = calloc(n, sizeof(*s));
	items = calloc(n, sizeof(*items));
	ehash = calloc(n, sizeof(*ehash));
	if (!s || !items || !ehash) {
		r = flow_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; r >= 0 && i < n; i++) {
		const char *aid;

		for (size_t j = 0; j < i; j++)
			if (streq(ids[i], ids[j])) {
				r = flow_fail(err, -EPERM, "case %s is listed twice", ids[i]);
				goto out;
			}
		r = check_not_decided(c, ids[i], err);
		if (r >= 0)
			r = load_sealed(c, ids[i], &s[i], err);
		if (r < 0)
			goto out;
		aid = jstr(json_object_get(s[i].rec, "asset"), "asset_id");
		/* a case of another organisation's ledger is not ours to list */
		if (c->ledger && (!aid || flow_asset_last_event(c->ledger, aid, NULL, ehash[i]) < 0)) {
			r = flow_fail(err, -EPERM, "case %s: asset %s is not in this ledger", ids[i], aid ?: "(none)");
			goto out;
		}
		items[i] = (struct flow_evidence){
			.record = { s[i].rec_bytes, s[i].sig_bytes, s[i].rec_len, s[i].sig_len },
			.witness = { s[i].wit_bytes, s[i].wit_sig, s[i].wit_len, s[i].wit_sig_len },
			.event_hash = ehash[i][0] ? ehash[i] : NULL,
			.label = ids[i],
		};
	}
	/* the approver signs the ledger events; an older trust list is refused first */
	r = flow_ledger_signer(c, approver, err);
	if (r < 0)
		goto out;
	{
		struct flow_issue_request q = {
			.approver = approver, .destination = destination, .items = items, .n_items = n,
			.parties = c->parties,
		};

		flow_custody_for(c, jstr(json_object_get(s[0].rec, "asset"), "asset_id"), approver, &q, &cust);
		r = flow_issue(c, &q, &is, err);
	}
	if (r < 0)
		goto out;
	/* the list lives under its own number: WL-....pdf, .cert.json(.minisig) */
	base = strdup(is.record->certificate_id);
	r = base ? write_certificate(c, base, &is, err) : flow_fail(err, -ENOMEM, "out of memory");
	if (r >= 0) {
		ret->pdf_path = flow_path(c, base, ".pdf");
		r = ret->pdf_path ? mark_listed(c, ids, n, ret->pdf_path, err) : flow_fail(err, -ENOMEM, "out of memory");
	}
	if (r >= 0 && c->ledger)
		r = record_list_certificate(c, &is, approver, err);
	if (r < 0)
		goto out;
	ret->certificate_id = strdup(is.record->certificate_id);
	ret->record_sha256 = strdup(is.record_sha256);
	ret->pdf_sha256 = strdup(is.pdf_sha256);
	ret->erased = is.erased;
	ret->verified_only = is.verified_only;
	ret->n_failed = is.n_failed;
	ret->n_rows = n;
	r = 0;
out:
	flow_issued_release(&is);
	flow_custody_docs_release(&cust);
	for (size_t i = 0; s && i < n; i++)
		sealed_release(&s[i]);
	free(s);
	free(items);
	free(ehash);
	return r;
}

int flow_reject(const struct flow_ctx *c, const char *id, const struct trust_seckey *approver,
		const char *reason, struct flow_error *err)
{
	struct sealed s = { 0 };
	json_t *doc = NULL;
	_cleanup_free_ char *canon = NULL, *sig = NULL;
	char now[32], kid[TRUST_KEYID_STRLEN];
	struct trust_pubkey pk;
	size_t canon_len;
	int r;

	if (!reason || !*reason)
		return flow_fail(err, -EINVAL, "a rejection needs a reason");
	r = check_not_decided(c, id, err);
	if (r >= 0)
		r = state_dir_ready(c, err);
	if (r < 0)
		return r;
	r = load_sealed(c, id, &s, err);
	if (r < 0)
		goto out;
	if (!trust_role_may_sign(trust_seckey_role(approver), TRUST_DOC_APPROVAL)) {
		r = flow_fail(err, -EPERM, "a %s key may not decide on a wipe record",
			      trust_role_to_string(trust_seckey_role(approver)));
		goto out;
	}
	r = flow_ledger_signer(c, approver, err);
	if (r < 0)
		goto out;
	trust_seckey_pubkey(approver, &pk);
	trust_keyid_string(pk.keyid, kid);
	format_utc(time(NULL), now, sizeof(now));
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "type", "approval", "decision", "rejected",
			"reason", reason, "case", id, "wipe_record_sha256", s.rec_sha256, "decided_at", now,
			"approver", "name", trust_seckey_name(approver), "key_id", kid, "org",
			trust_seckey_org(approver) ?: "");
	if (!doc || canon_json(doc, &canon, &canon_len) < 0) {
		r = flow_fail(err, -EINVAL, "the reason is not valid text");
		goto out;
	}
	r = trust_sign(TRUST_DOC_APPROVAL, (const uint8_t *)canon, canon_len, approver, 0, &sig);
	if (r < 0) {
		r = flow_fail(err, r, "cannot sign the rejection: %s", trust_strerror(r));
		goto out;
	}
	/* the ledger first, as for an approval */
	if (c->ledger) {
		const char *aid = jstr(json_object_get(s.rec, "asset"), "asset_id");
		_cleanup_free_ char *why = NULL;

		if (!aid) {
			r = flow_fail(err, -EBADMSG, "case %s: the wipe record names no asset", id);
			goto out;
		}
		if (asprintf(&why, "wipe record of case %s rejected by %s: %s", id, trust_seckey_name(approver),
			     reason) < 0) {
			r = flow_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		struct flow_decision d = {
			.id = id, .asset_id = aid, .record = s.rec_bytes, .record_len = s.rec_len,
			.record_sig = s.sig_bytes, .record_sig_len = s.sig_len, .status = "awaiting-erasure",
			.approver = trust_seckey_name(approver), .document = (const uint8_t *)canon,
			.document_len = canon_len, .document_sig = sig, .reason = why,
		};

		r = flow_record_decision(c, &d, err);
		if (r < 0)
			goto out;
	}
	r = write_case_file(c, id, ".rejected.json.minisig", sig, strlen(sig), err);
	if (r >= 0)
		r = write_case_file(c, id, ".rejected.json", canon, canon_len, err);
	if (r < 0)
		goto out;
	r = 0;
out:
	json_decref(doc);
	sealed_release(&s);
	return r;
}
