/* archive.c - retention as the policy sets it: the ledger's events older
 * than a date (and past their retention) written to a signed archive with
 * the certificates they record, checked, and only then taken out of the
 * live ledger (ledger.h, ledger_archive_plan/commit); and an archive file
 * checked offline years later.
 *
 * It must never take out an event still within its retention, never
 * commit before the archive file is written, synced and verified, and
 * never overwrite an archive file.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "wipecert/canon.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/policy.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

void flow_archive_result_release(struct flow_archive_result *a)
{
	if (!a)
		return;
	free(a->path);
	memset(a, 0, sizeof(*a));
}

/* Midnight UTC of today minus months, as "YYYY-MM-DDT00:00:00Z". */
static void months_ago(time_t now, unsigned months, char out[32])
{
	struct tm tm;

	gmtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon -= (int)months;
	now = timegm(&tm);
	format_utc(now, out, 32);
}

/* The certificates the archived events record, with the PDF where the
 * state directory (or its accepted/) holds a file of that SHA-256. */
struct pdf_file {
	char sha[65];
	char *path;
};

static int scan_pdfs(const char *dir, struct pdf_file **v, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		_cleanup_free_ uint8_t *data = NULL;
		struct pdf_file *nv;
		char *path = NULL;
		size_t len;

		if (l < 5 || strcmp(de->d_name + l - 4, ".pdf") != 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
		if (read_full_file(path, &data, &len) < 0) {
			free(path);
			continue;
		}
		nv = reallocarray(*v, *n + 1, sizeof(**v));
		if (!nv) {
			free(path);
			closedir(d);
			return -ENOMEM;
		}
		*v = nv;
		flow_sha256_hex(data, len, nv[*n].sha);
		nv[(*n)++].path = path;
	}
	closedir(d);
	return 0;
}

static json_t *certificates_of(const struct flow_ctx *c, json_t *events, size_t *ret_found)
{
	struct pdf_file *pdfs = NULL;
	_cleanup_free_ char *accepted = NULL;
	json_t *out = json_array(), *e;
	bool scanned = false;
	size_t n_pdfs = 0, i;

	*ret_found = 0;
	json_array_foreach(events, i, e) {
		json_t *ch = json_object_get(e, "changes");
		const char *id = json_string_value(json_array_get(json_object_get(ch, "certificate_id"), 1));
		const char *reason = json_string_value(json_object_get(e, "reason")), *tag;
		char sha[65] = "";
		json_t *pdf = json_null();

		if (!id)
			continue;
		tag = reason ? strstr(reason, FLOW_PDF_SHA_TAG) : NULL;
		if (tag && strlen(tag + strlen(FLOW_PDF_SHA_TAG)) >= 64)
			snprintf(sha, sizeof(sha), "%.64s", tag + strlen(FLOW_PDF_SHA_TAG));
		if (*sha && !scanned) {
			scanned = true;
			if (asprintf(&accepted, "%s/accepted", flow_state_dir(c)) < 0 ||
			    scan_pdfs(flow_state_dir(c), &pdfs, &n_pdfs) < 0 || scan_pdfs(accepted, &pdfs, &n_pdfs) < 0)
				break;
		}
		for (size_t k = 0; *sha && k < n_pdfs; k++) {
			_cleanup_free_ uint8_t *data = NULL;
			_cleanup_free_ char *b64 = NULL;
			size_t len, blen;

			if (!streq(pdfs[k].sha, sha) || read_full_file(pdfs[k].path, &data, &len) < 0)
				continue;
			blen = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
			b64 = malloc(blen);
			if (!b64)
				break;
			sodium_bin2base64(b64, blen, data, len, sodium_base64_VARIANT_ORIGINAL);
			pdf = json_string(b64);
			(*ret_found)++;
			break;
		}
		json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:s?, s:o}", "certificate_id", id, "asset_id",
						     json_string_value(json_object_get(e, "asset_id")) ?: "", "event",
						     json_integer_value(json_object_get(e, "seq")), "pdf_sha256",
						     *sha ? sha : NULL, "pdf", pdf));
	}
	for (size_t k = 0; k < n_pdfs; k++)
		free(pdfs[k].path);
	free(pdfs);
	return out;
}

int flow_archive(const struct flow_ctx *c, const char *before_day, const struct trust_seckey *k, const char *path,
		 const char *reason, struct flow_archive_result *ret, struct flow_error *err)
{
	struct policy fallback = { 0 };
	const struct policy *pol = c->policy;
	struct ledger_archive_plan plan = { 0 };
	struct flow_archive_check check = { 0 };
	_cleanup_free_ char *canon = NULL, *sig = NULL, *sigpath = NULL;
	char before[32], events_limit[32], certs_from[32], file_sha[65], created[32], id[40], compact[20];
	json_t *doc = NULL, *certs;
	time_t now = time(NULL);
	size_t len, found = 0;
	uint64_t seq = 0;
	int r;

	if (!c->ledger)
		return flow_fail(err, -EINVAL, "archiving needs the ledger (--db)");
	if (!trust_role_may_sign(trust_seckey_role(k), TRUST_DOC_LEDGER_ARCHIVE))
		return flow_fail(err, -EPERM, "a %s may not archive the ledger's events (an approver or the org-root may)",
				 trust_role_to_string(trust_seckey_role(k)));
	if (!pol) {
		if (policy_default(&fallback) < 0)
			return flow_fail(err, -ENOMEM, "out of memory");
		pol = &fallback;
	}
	snprintf(before, sizeof(before), "%sT00:00:00Z", before_day);
	months_ago(now, pol->retention.events_months, events_limit);
	months_ago(now, pol->retention.certificates_months, certs_from);
	/* nothing within its retention leaves the ledger */
	if (strcmp(before, events_limit) > 0) {
		r = flow_fail(err, -EPERM, "the ledger's events are kept %u months (policy %s, [retention] events): "
			      "an archive may take events before %.10s, not before %s", pol->retention.events_months,
			      pol->source, events_limit, before_day);
		goto out;
	}
	r = ledger_archive_plan(c->ledger, before, certs_from, &doc, &plan);
	if (r == -ENODATA) {
		r = flow_fail(err, -ENODATA, "nothing to archive before %s: %s", before_day, plan.ends_because);
		goto out;
	}
	if (r < 0) {
		r = flow_fail(err, r, "cannot plan the archive: %s", *ledger_last_error() ? ledger_last_error() :
			      strerror(-r));
		goto out;
	}
	certs = certificates_of(c, json_object_get(doc, "events"), &found);
	format_utc(now, created, sizeof(created));
	format_utc_compact(now, compact, sizeof(compact));
	snprintf(id, sizeof(id), "ARC-%s", compact);
	json_object_set_new(doc, "archive_id", json_string(id));
	json_object_set_new(doc, "created_at", json_string(created));
	json_object_set_new(doc, "certificates", certs ? certs : json_array());
	json_object_set_new(doc, "retention", json_pack("{s:I, s:I}", "events_months",
							 (json_int_t)pol->retention.events_months, "certificates_months",
							 (json_int_t)pol->retention.certificates_months));
	json_object_set_new(doc, "archived_by", flow_signer_json(k));
	r = canon_json(doc, &canon, &len);
	if (r < 0) {
		r = flow_fail(err, r, "cannot put the archive in canonical form: %s", strerror(-r));
		goto out;
	}
	r = trust_sign(TRUST_DOC_LEDGER_ARCHIVE, (const uint8_t *)canon, len, k, now, &sig);
	if (r < 0) {
		r = flow_fail(err, r, "cannot sign the archive: %s", trust_strerror(r));
		goto out;
	}
	if (asprintf(&sigpath, "%s.minisig", path) < 0) {
		r = flow_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* an archive is written once: never over another */
	r = write_file_atomic(sigpath, sig, strlen(sig), 0644, true);
	if (r >= 0)
		r = write_file_atomic(path, canon, len, 0644, true);
	if (r < 0) {
		r = flow_fail(err, r, "%s: cannot write the archive: %s", r == -EEXIST ? sigpath : path, strerror(-r));
		goto out;
	}
	/* read back and checked as `ledger verify --archive` will, before any
	 * event leaves the ledger */
	r = flow_archive_verify(c, path, &check, err);
	if (r < 0) {
		/* what did not check out is not left to be taken for an archive */
		unlink(path);
		unlink(sigpath);
		goto out;
	}
	flow_sha256_hex(canon, len, file_sha);
	r = ledger_archive_commit(c->ledger, &plan, file_sha, reason, &seq);
	if (r < 0) {
		r = flow_fail(err, r, "the archive %s is written, but the ledger kept its events: %s", path,
			      r == -EPERM ? "only an approver or the org-root may archive" :
			      r == -ESTALE ? "the ledger changed meanwhile (archive again)" : strerror(-r));
		goto out;
	}
	*ret = (struct flow_archive_result) {
		.first = plan.first, .last = plan.last, .n_events = plan.n_events,
		.n_checkpoints = json_array_size(plan.checkpoints), .n_certificates = json_array_size(certs),
		.n_pdfs = found, .event = seq, .path = strdup(path),
	};
	snprintf(ret->head, sizeof(ret->head), "%llu:%s", (unsigned long long)plan.last, plan.head_hash);
	snprintf(ret->sha256, sizeof(ret->sha256), "%s", file_sha);
	snprintf(ret->ends_because, sizeof(ret->ends_because), "%s", plan.ends_because);
	r = 0;
out:
	json_decref(doc);
	ledger_archive_plan_release(&plan);
	policy_release(&fallback);
	return r;
}

int flow_archive_verify(const struct flow_ctx *c, const char *path, struct flow_archive_check *ret,
			struct flow_error *err)
{
	_cleanup_free_ uint8_t *data = NULL, *sig = NULL;
	_cleanup_free_ char *sigpath = NULL;
	struct flow_archive_check out = { 0 };
	json_t *j = NULL, *cert;
	size_t len, slen, i;
	int r;

	if (!c->trust)
		return flow_fail(err, -EINVAL, "an archive is checked against the trust directory (--trust)");
	if (asprintf(&sigpath, "%s.minisig", path) < 0)
		return flow_fail(err, -ENOMEM, "out of memory");
	r = read_full_file(path, &data, &len);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot read: %s", path, strerror(-r));
	r = read_full_file(sigpath, &sig, &slen);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot read the archive's signature: %s", sigpath, strerror(-r));
	r = ledger_archive_verify(data, len, (const char *)sig, slen, c->trust, &out.ledger);
	if (r == -EBADMSG) {
		*ret = out;
		return flow_fail(err, -EBADMSG, "%s: %s", path, out.ledger.detail);
	}
	if (r < 0)
		return flow_fail(err, r, "%s: cannot check the archive: %s", path, strerror(-r));
	/* each certificate it carries is the file the ledger recorded */
	j = json_loadb((const char *)data, len, 0, NULL);
	json_array_foreach(json_object_get(j, "certificates"), i, cert) {
		const char *b64 = json_string_value(json_object_get(cert, "pdf"));
		const char *want = json_string_value(json_object_get(cert, "pdf_sha256"));
		_cleanup_free_ uint8_t *pdf = NULL;
		char got[65];
		size_t plen = 0, cap;

		out.n_certificates++;
		if (!b64)
			continue;
		cap = strlen(b64) / 4 * 3 + 3;
		pdf = malloc(cap);
		if (!pdf || sodium_base642bin(pdf, cap, b64, strlen(b64), NULL, &plen, NULL,
					      sodium_base64_VARIANT_ORIGINAL) != 0) {
			json_decref(j);
			return flow_fail(err, -EBADMSG, "%s: certificate %s: its PDF is not base64", path,
					 json_string_value(json_object_get(cert, "certificate_id")) ?: "?");
		}
		flow_sha256_hex(pdf, plen, got);
		if (!want || !streq(got, want)) {
			json_decref(j);
			return flow_fail(err, -EBADMSG, "%s: certificate %s: the PDF carried is not the one the ledger "
					 "recorded (sha256 %s, recorded %s)", path,
					 json_string_value(json_object_get(cert, "certificate_id")) ?: "?", got, want ?: "none");
		}
		out.n_pdfs++;
	}
	json_decref(j);
	*ret = out;
	return 0;
}
