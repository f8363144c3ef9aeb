/* submit.c - the cases on a shared ledger: a sealed case submitted to the
 * ledger (at once, or from the station's outbox once the database is back),
 * the cases and decisions the ledger holds, and the decisions fetched back
 * into the station's state directory (see flow.h, docs/ledger.md).
 *
 * Its job: that losing the database during a wipe loses nothing, and that
 * every record reaches the ledger exactly once. A sealed record is written
 * to the state directory with an outbox entry beside it (STATE_DIR/outbox/
 * ID.json) before anything is sent; the ledger stores a case once by its
 * record's hash, so a submission repeated after a lost answer changes
 * nothing. It must never drop an outbox entry before the ledger has the
 * case, never write a decision the roster does not vouch for, and never
 * print.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "wipecert/canon.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

static char *dir_path(const struct flow_ctx *c, const char *sub)
{
	char *p;

	return asprintf(&p, "%s/%s", flow_state_dir(c), sub) < 0 ? NULL : p;
}

/* STATE_DIR/SUB/NAME SUFFIX, NULL if name is not a plain name */
static char *sub_path(const struct flow_ctx *c, const char *sub, const char *name, const char *suffix)
{
	char *p;

	if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
		return NULL;
	return asprintf(&p, "%s/%s/%s%s", flow_state_dir(c), sub, name, suffix) < 0 ? NULL : p;
}

static int make_dirs(const struct flow_ctx *c, const char *sub)
{
	_cleanup_free_ char *d = sub ? dir_path(c, sub) : NULL;

	if (sub && !d)
		return -ENOMEM;
	if (mkdir(flow_state_dir(c), 0700) < 0 && errno != EEXIST)
		return -errno;
	if (d && mkdir(d, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* o (taken; NULL: out of memory) as STATE_DIR/SUB/NAME.json, mode 0600,
 * whole or not at all */
static int put_json(const struct flow_ctx *c, const char *sub, const char *path, json_t *o)
{
	_cleanup_free_ char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int r;

	json_decref(o);
	if (!text)
		return -ENOMEM;
	r = make_dirs(c, sub);
	if (r >= 0)
		r = write_file_atomic(path, text, strlen(text), 0600, false);
	return r;
}

/* ---- what the ledger said of an asset before a wipe ---- */

int flow_snapshot_put(const struct flow_ctx *c, const struct ledger_asset *a)
{
	_cleanup_free_ char *path = sub_path(c, "ledger-snapshot", ledger_asset_value(a, LEDGER_F_ASSET_ID), ".json");
	char hash[LEDGER_HASH_HEX] = "";
	uint64_t seq = 0;
	int r;

	if (!path)
		return 0; /* an ID that is no file name: no snapshot, the seal needs the ledger */
	r = flow_asset_last_event(c->ledger, ledger_asset_value(a, LEDGER_F_ASSET_ID), &seq, hash);
	if (r < 0)
		return r;
	return put_json(c, "ledger-snapshot", path, json_pack("{s:o,s:I,s:s}", "asset", ledger_asset_to_json(a),
							      "event_seq", (json_int_t)seq, "event_hash", hash));
}

int flow_snapshot_get(const struct flow_ctx *c, const char *asset_id, struct ledger_asset *ret, uint64_t *ret_seq,
		      char ret_hash[LEDGER_HASH_HEX])
{
	_cleanup_free_ char *path = sub_path(c, "ledger-snapshot", asset_id, ".json");
	struct ledger_asset a = { 0 };
	json_t *o, *as;
	const char *h;
	int r = 0;

	if (!path)
		return -ENOENT;
	o = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	if (!o)
		return -ENOENT;
	as = json_object_get(o, "asset");
	h = json_string_value(json_object_get(o, "event_hash"));
	for (unsigned f = 0; r >= 0 && f < _LEDGER_F_MAX; f++) {
		json_t *v = json_object_get(as, ledger_field_name(f));
		char num[24];

		if (json_is_string(v))
			r = ledger_asset_set(&a, f, json_string_value(v));
		else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			r = ledger_asset_set(&a, f, num);
		}
	}
	if (r >= 0 && (!h || strlen(h) != LEDGER_HASH_HEX - 1 || !ledger_asset_value(&a, LEDGER_F_ASSET_ID) ||
		       !streq(ledger_asset_value(&a, LEDGER_F_ASSET_ID), asset_id)))
		r = -EBADMSG;
	if (r >= 0) {
		*ret = a;
		*ret_seq = (uint64_t)json_integer_value(json_object_get(o, "event_seq"));
		memcpy(ret_hash, h, LEDGER_HASH_HEX);
	} else
		ledger_asset_clear(&a);
	json_decref(o);
	return r;
}

/* ---- the outbox ---- */

int flow_outbox_put(const struct flow_ctx *c, const char *id, const char *asset_id, const char *status,
		    const char *reason, const char *record_sha256)
{
	_cleanup_free_ char *path = sub_path(c, "outbox", id, ".json");
	json_t *o;

	if (!path)
		return -EINVAL;
	o = json_pack("{s:s,s:s,s:s?,s:s,s:s}", "case", id, "asset_id", asset_id, "status", status, "reason", reason,
		      "record_sha256", record_sha256);
	/* kept for the central ledger, whatever the ledger at hand takes */
	if (o && c->keep_outbox && json_object_set_new(o, "keep", json_true()) < 0)
		json_decref(TAKE_PTR(o));
	return put_json(c, "outbox", path, o);
}

bool flow_outbox_has(const struct flow_ctx *c, const char *id)
{
	_cleanup_free_ char *path = sub_path(c, "outbox", id, ".json");

	return path && access(path, F_OK) == 0;
}

bool flow_outbox_kept(const struct flow_ctx *c, const char *id)
{
	_cleanup_free_ char *path = sub_path(c, "outbox", id, ".json");
	json_t *o = path ? json_load_file(path, 0, NULL) : NULL;
	bool kept = json_is_true(json_object_get(o, "keep"));

	json_decref(o);
	return kept;
}

/* The summary of a case for the ledger's listings, from its record. */
static int case_summary(const struct flow_ctx *c, const char *id, struct flow_case *fc, char **ret_station)
{
	_cleanup_free_ char *rpath = flow_path(c, id, ".wipe-record.json");
	_cleanup_free_ uint8_t *buf = NULL;
	json_t *rec = NULL;
	size_t len;
	int r;

	r = flow_case_load_local(c, id, fc);
	if (r < 0)
		return r;
	*ret_station = NULL;
	if (rpath && read_full_file(rpath, &buf, &len) >= 0 && canon_parse((const char *)buf, len, &rec) >= 0) {
		const char *h = json_string_value(json_object_get(json_object_get(rec, "station"), "hostname"));

		*ret_station = h ? strdup(h) : NULL;
		json_decref(rec);
	}
	return 0;
}

/* drain: remove a kept entry too once the ledger has the record (the
 * operator's own `wipecert sync`, not a command submitting on its way) */
static int submit_one(const struct flow_ctx *c, const char *id, const struct trust_seckey *k, bool drain,
		      struct flow_error *err)
{
	_cleanup_free_ char *path = sub_path(c, "outbox", id, ".json");
	_cleanup_free_ char *rpath = flow_path(c, id, ".wipe-record.json");
	_cleanup_free_ char *spath = flow_path(c, id, ".wipe-record.json.minisig");
	_cleanup_free_ uint8_t *rec = NULL, *sig = NULL;
	_cleanup_free_ char *reason = NULL, *station = NULL, *sigtext = NULL;
	struct flow_case fc = { 0 };
	struct ledger_asset a = { 0 };
	const char *asset_id, *status, *why, *sha;
	char rhash[65];
	size_t rlen, slen;
	json_t *o;
	int r;

	if (!path || !rpath || !spath)
		return flow_fail(err, -EINVAL, "%s: not a case ID", id);
	if (!c->ledger)
		return flow_fail(err, -EINVAL, "a ledger is needed to submit case %s", id);
	o = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	if (!o)
		return access(path, F_OK) < 0 ? 0 : flow_fail(err, -EBADMSG, "%s: not an outbox entry", path);
	asset_id = json_string_value(json_object_get(o, "asset_id"));
	status = json_string_value(json_object_get(o, "status"));
	why = json_string_value(json_object_get(o, "reason"));
	sha = json_string_value(json_object_get(o, "record_sha256"));
	if (!asset_id || !why || !sha) {
		r = flow_fail(err, -EBADMSG, "%s: not an outbox entry", path);
		goto out;
	}
	r = read_full_file(rpath, &rec, &rlen);
	if (r == -ENOENT) {
		/* the seal stopped before its record was written: nothing to send */
		r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
		goto out;
	}
	if (r >= 0)
		r = read_full_file(spath, &sig, &slen);
	if (r < 0) {
		r = flow_fail(err, r, "case %s: cannot read the wipe record: %s", id, strerror(-r));
		goto out;
	}
	flow_sha256_hex(rec, rlen, rhash);
	if (!streq(rhash, sha)) {
		r = flow_fail(err, -EBADMSG, "case %s: the wipe record is not the one sealed (sha256 %.16s..., sealed "
			      "%.16s...): not submitted", id, rhash, sha);
		goto out;
	}
	sigtext = strndup((const char *)sig, slen);
	r = sigtext ? case_summary(c, id, &fc, &station) : -ENOMEM;
	if (r < 0) {
		r = flow_fail(err, r, "case %s: cannot read the wipe record: %s", id, strerror(-r));
		goto out;
	}
	/* the record (signed), not the entry (a file root may edit), says
	 * which asset and what became of it */
	if (!fc.asset_id || !streq(fc.asset_id, asset_id)) {
		r = flow_fail(err, -EBADMSG, "case %s: the outbox entry names asset %s, the wipe record %s: not submitted",
			      id, asset_id, fc.asset_id ?: "none");
		goto out;
	}
	status = (fc.job_state && streq(fc.job_state, "destroyed")) || flow_method_verify_only(fc.method) ? NULL :
		 fc.job_state && streq(fc.job_state, "succeeded") ? "erased" : "awaiting-erasure";
	r = flow_ledger_signer(c, k, err);
	if (r < 0)
		goto maybe_queued;
	r = ledger_asset_get(c->ledger, asset_id, &a);
	if (r >= 0 && status)
		r = ledger_asset_set(&a, LEDGER_F_STATUS, status);
	if (r < 0) {
		r = flow_fail(err, r, "asset %s: %s", asset_id, r == -ENOENT ? "not in the ledger" : strerror(-r));
		goto maybe_queued;
	}
	/* the event is signed by whoever submits: it says whose record it is */
	if (fc.technician && !streq(fc.technician, trust_seckey_name(k))) {
		if (asprintf(&reason, "%s; sealed by %s, submitted by %s", why, fc.technician, trust_seckey_name(k)) < 0)
			reason = NULL;
	} else
		reason = strdup(why);
	if (!reason) {
		r = flow_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	{
		struct ledger_case lc = {
			.id = id, .record_sha256 = rhash, .record = rec, .record_len = rlen, .signature = sigtext,
			.asset_id = asset_id, .sealed_at = fc.sealed_at, .technician = fc.technician, .device = fc.device,
			.method = fc.method, .result = fc.job_state, .verification = fc.verification, .station = station,
		};

		r = ledger_case_submit(c->ledger, &lc, &a, reason, NULL);
	}
	if (r == -EEXIST) {
		r = flow_fail(err, r, "case %s: the ledger holds another wipe record under this ID", id);
		goto out;
	}
	if (r < 0) {
		r = flow_fail(err, r, "case %s: the ledger did not take it: %s", id, strerror(-r));
		goto maybe_queued;
	}
	crash_point("seal-ledger");
	/* the ledger has it (now, or from an earlier try whose answer was
	 * lost); an entry kept for the central ledger waits for that */
	if (json_is_true(json_object_get(o, "keep")) && !drain)
		r = 0;
	else
		r = unlink(path) < 0 && errno != ENOENT ? flow_fail(err, -errno, "%s: cannot remove: %m", path) : 0;
	goto out;
maybe_queued:
	if (ledger_unreachable(r))
		r = FLOW_QUEUED;
out:
	json_decref(o);
	ledger_asset_clear(&a);
	flow_case_release(&fc);
	return r;
}

int flow_submit(const struct flow_ctx *c, const char *id, const struct trust_seckey *k, struct flow_error *err)
{
	return submit_one(c, id, k, false, err);
}

/* ---- decisions ---- */

/* The decision on a case and the asset's change, in the ledger in one
 * transaction; then the state directory's copy. */
int flow_record_decision(const struct flow_ctx *c, const struct flow_decision *d, struct flow_error *err)
{
	_cleanup_free_ char *station = NULL, *sigtext = NULL;
	struct flow_case fc = { 0 };
	struct ledger_asset a = { 0 };
	const char *kind = d->certificate_id ? "approved" : "rejected";
	char rhash[65], now[32], pdf_sha[65] = "";
	int r;

	if (!c->ledger)
		return 0;
	flow_sha256_hex(d->record, d->record_len, rhash);
	if (d->pdf)
		flow_sha256_hex(d->pdf, d->pdf_len, pdf_sha);
	sigtext = strndup((const char *)d->record_sig, d->record_sig_len);
	if (!sigtext)
		return flow_fail(err, -ENOMEM, "out of memory");
	/* the case's summary: from the state directory, if it was sealed here */
	if (case_summary(c, d->id, &fc, &station) < 0)
		memset(&fc, 0, sizeof(fc));
	r = ledger_asset_get(c->ledger, d->asset_id, &a);
	if (r >= 0 && d->status)
		r = ledger_asset_set(&a, LEDGER_F_STATUS, d->status);
	if (r >= 0 && d->certificate_id)
		r = ledger_asset_set(&a, LEDGER_F_CERTIFICATE, d->certificate_id);
	if (r < 0) {
		r = flow_fail(err, r, "asset %s: %s", d->asset_id, r == -ENOENT ? "not in the ledger" : strerror(-r));
		goto out;
	}
	format_utc(time(NULL), now, sizeof(now));
	{
		struct ledger_case lc = {
			.id = d->id, .record_sha256 = rhash, .record = d->record, .record_len = d->record_len,
			.signature = sigtext, .asset_id = d->asset_id, .sealed_at = fc.sealed_at,
			.technician = fc.technician, .device = fc.device, .method = fc.method, .result = fc.job_state,
			.verification = fc.verification, .station = station,
			.decision = kind, .decided_at = now, .approver = d->approver, .certificate_id = d->certificate_id,
			.document = d->document, .document_len = d->document_len, .document_sig = d->document_sig,
			.pdf = d->pdf, .pdf_len = d->pdf_len, .pdf_sha256 = d->pdf ? pdf_sha : NULL,
		};

		r = ledger_case_decide(c->ledger, &lc, &a, d->reason, NULL);
	}
	if (r == -EEXIST)
		r = flow_fail(err, r, "case %s was decided already (the ledger has the decision)", d->id);
	else if (r == -ESTALE)
		r = flow_fail(err, -EPERM, "case %s: the ledger holds another wipe record under this ID", d->id);
	else if (r < 0)
		r = flow_fail(err, r, "case %s: the decision was not recorded in the ledger: %s", d->id, strerror(-r));
out:
	ledger_asset_clear(&a);
	flow_case_release(&fc);
	return r;
}

struct decided {
	bool found;
	char *decision;
};

static int decided_cb(const struct ledger_case *k, void *userdata)
{
	struct decided *d = userdata;

	d->found = true;
	if (k->decision)
		d->decision = strdup(k->decision);
	return 0;
}

int flow_ledger_decision(const struct flow_ctx *c, const char *id, char **ret)
{
	struct decided d = { 0 };
	int r;

	*ret = NULL;
	if (!c->ledger)
		return 0;
	r = ledger_cases(c->ledger, id, 0, decided_cb, &d);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	*ret = d.decision;
	return 0;
}

struct body {
	uint8_t *rec, *sig;
	size_t rec_len, sig_len;
};

static int body_cb(const struct ledger_case *k, void *userdata)
{
	struct body *b = userdata;

	b->rec = malloc(k->record_len);
	b->sig = (uint8_t *)strdup(k->signature ?: "");
	if (!b->rec || !b->sig)
		return -ENOMEM;
	memcpy(b->rec, k->record, k->record_len);
	b->rec_len = k->record_len;
	b->sig_len = strlen((char *)b->sig);
	return 0;
}

int flow_ledger_record(const struct flow_ctx *c, const char *id, uint8_t **ret_rec, size_t *ret_rec_len,
		       uint8_t **ret_sig, size_t *ret_sig_len)
{
	struct body b = { 0 };
	int r;

	if (!c->ledger)
		return -ENOENT;
	r = ledger_cases(c->ledger, id, LEDGER_CASE_BODIES, body_cb, &b);
	if (r < 0) {
		free(b.rec);
		free(b.sig);
		return r;
	}
	*ret_rec = b.rec;
	*ret_rec_len = b.rec_len;
	*ret_sig = b.sig;
	*ret_sig_len = b.sig_len;
	return 0;
}

/* ---- the cases the ledger holds, for listings ---- */

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int flow_case_from_ledger(const struct flow_ctx *c, const struct ledger_case *k, struct flow_case *ret)
{
	struct flow_case fc = {
		.id = xstrdup(k->id),
		.state = strdup(k->decision ? (streq(k->decision, "approved") ? "approved" : "rejected") :
				"awaiting-approval"),
		.asset_id = xstrdup(k->asset_id),
		.device = xstrdup(k->device),
		.method = xstrdup(k->method),
		.job_state = xstrdup(k->result),
		.verification = xstrdup(k->verification ?: "none"),
		.technician = xstrdup(k->technician),
		.sealed_at = xstrdup(k->sealed_at),
		.certificate_id = xstrdup(k->certificate_id),
		.station = xstrdup(k->station),
		.in_ledger = true,
	};
	_cleanup_free_ char *pdf = flow_path(c, k->id, ".pdf"), *lpath = flow_path(c, k->id, ".listed");
	_cleanup_free_ uint8_t *listed = NULL;
	size_t len;

	if (pdf && access(pdf, F_OK) == 0)
		fc.certificate = TAKE_PTR(pdf);
	/* approved here in a list certificate (the ledger has its events, no
	 * decision of this case's own): ID.listed names the list */
	if (!k->decision && lpath && read_full_file(lpath, &listed, &len) >= 0 && fc.state) {
		free(fc.state);
		fc.state = strdup("approved");
		free(fc.certificate);
		fc.certificate = strndup((const char *)listed, strcspn((const char *)listed, "\n"));
	}
	if (!fc.id || !fc.state || !fc.verification) {
		flow_case_release(&fc);
		return -ENOMEM;
	}
	*ret = fc;
	return 0;
}

struct list {
	const struct flow_ctx *c;
	struct flow_case *v;
	size_t n, cap;
};

static int list_cb(const struct ledger_case *k, void *userdata)
{
	struct list *x = userdata;
	int r;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct flow_case *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	r = flow_case_from_ledger(x->c, k, &x->v[x->n]);
	if (r >= 0)
		x->n++;
	return r;
}

int flow_ledger_cases(const struct flow_ctx *c, struct flow_case **ret, size_t *ret_n)
{
	struct list x = { .c = c };
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!c->ledger)
		return 0;
	r = ledger_cases(c->ledger, NULL, 0, list_cb, &x);
	if (r < 0) {
		for (size_t i = 0; i < x.n; i++)
			flow_case_release(&x.v[i]);
		free(x.v);
		return r;
	}
	*ret = x.v;
	*ret_n = x.n;
	return 0;
}

/* ---- sync ---- */

/* The decision the ledger holds on a case sealed here, copied into the
 * state directory once the roster vouches for it. 1 if copied. */
struct fetch {
	const struct flow_ctx *c;
	int copied;
};

static int write_one(const struct flow_ctx *c, const char *id, const char *suffix, const void *data, size_t len)
{
	_cleanup_free_ char *p = flow_path(c, id, suffix);
	int r;

	if (!p)
		return -ENOMEM;
	r = write_file_atomic(p, data, len, 0644, true);
	return r == -EEXIST ? 0 : r;
}

static int fetch_cb(const struct ledger_case *k, void *userdata)
{
	struct fetch *f = userdata;
	const struct flow_ctx *c = f->c;
	bool approved = k->decision && streq(k->decision, "approved");
	struct trust_result tr;
	int r;

	if (!k->decision || !k->document || !k->document_sig || (approved && !k->pdf))
		return 0;
	r = trust_verify(c->trust, approved ? TRUST_DOC_CERTIFICATE : TRUST_DOC_APPROVAL, k->document, k->document_len,
			 k->document_sig, strlen(k->document_sig), &tr);
	if (r < 0 || tr.verdict != TRUST_OK)
		return 0; /* not vouched for: the station keeps waiting for a decision */
	if (approved) {
		r = write_one(c, k->id, ".cert.json.minisig", k->document_sig, strlen(k->document_sig));
		if (r >= 0)
			r = write_one(c, k->id, ".cert.json", k->document, k->document_len);
		if (r >= 0)
			r = write_one(c, k->id, ".pdf", k->pdf, k->pdf_len);
	} else {
		r = write_one(c, k->id, ".rejected.json.minisig", k->document_sig, strlen(k->document_sig));
		if (r >= 0)
			r = write_one(c, k->id, ".rejected.json", k->document, k->document_len);
	}
	if (r >= 0)
		f->copied = 1;
	return r;
}

static bool has_suffix(const char *s, const char *suffix, size_t *ret_stem)
{
	size_t l = strlen(s), k = strlen(suffix);

	if (l <= k || !streq(s + l - k, suffix))
		return false;
	*ret_stem = l - k;
	return true;
}

static int fetch_decisions(const struct flow_ctx *c, struct flow_sync_report *rep)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (!c->trust)
		return 0;
	d = opendir(flow_state_dir(c));
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *id = NULL, *pdf = NULL, *rej = NULL;
		struct fetch f = { c, 0 };
		size_t stem;

		if (!has_suffix(de->d_name, ".wipe-record.json", &stem))
			continue;
		id = strndup(de->d_name, stem);
		pdf = id ? flow_path(c, id, ".pdf") : NULL;
		rej = id ? flow_path(c, id, ".rejected.json") : NULL;
		if (!pdf || !rej) {
			r = -ENOMEM;
			break;
		}
		if (access(pdf, F_OK) == 0 || access(rej, F_OK) == 0)
			continue;
		r = ledger_cases(c->ledger, id, LEDGER_CASE_BODIES | LEDGER_CASE_PDF, fetch_cb, &f);
		if (r == -ENOENT)
			r = 0;
		if (r < 0)
			break;
		rep->decisions += (size_t)f.copied;
	}
	closedir(d);
	return r;
}

int flow_sync(const struct flow_ctx *c, const struct trust_seckey *k, unsigned flags, struct flow_sync_report *ret,
	      struct flow_error *err)
{
	struct flow_sync_report rep = { 0 };
	_cleanup_free_ char *dir = dir_path(c, "outbox");
	struct dirent *de;
	bool down = false;
	DIR *d;
	int r = 0;

	if (!dir)
		return flow_fail(err, -ENOMEM, "out of memory");
	if (!c->ledger)
		return flow_fail(err, -EINVAL, "a ledger is needed to submit the waiting records (--db)");
	d = opendir(dir);
	if (!d && errno != ENOENT)
		return flow_fail(err, -errno, "%s: cannot read: %m", dir);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *id = NULL;
		struct flow_error e = { "" };
		size_t stem;

		if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".json", &stem))
			continue;
		if (down) {
			rep.waiting++;
			continue;
		}
		id = strndup(de->d_name, stem);
		if (!id) {
			r = flow_fail(err, -ENOMEM, "out of memory");
			break;
		}
		/* kept for the central ledger: only the operator's sync sends it */
		if (!(flags & FLOW_SYNC_KEPT) && flow_outbox_kept(c, id))
			continue;
		if (!k) {
			rep.waiting++;
			continue;
		}
		r = submit_one(c, id, k, flags & FLOW_SYNC_KEPT, &e);
		if (r == FLOW_QUEUED) {
			/* the database is away: the others wait too */
			down = true;
			rep.waiting++;
		} else if (r < 0) {
			if (!rep.failed)
				flow_fail(err, r, "%s", e.msg);
			rep.failed++;
		} else
			rep.submitted++;
		r = 0;
	}
	if (d)
		closedir(d);
	if (r >= 0 && !down) {
		r = fetch_decisions(c, &rep);
		if (ledger_unreachable(r))
			r = 0;
		else if (r < 0)
			flow_fail(err, r, "cannot copy the decisions into %s: %s", flow_state_dir(c), strerror(-r));
	}
	*ret = rep;
	return r;
}
