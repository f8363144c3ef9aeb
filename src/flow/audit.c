/* audit.c - every disposal of a period, each certificate re-verified, and
 * the ledger chain checked: what an annual internal audit asks for (see
 * flow.h, docs/workflow.md).
 *
 * Never prints, and never calls a certificate good that any check of
 * cert_pdf_verify() or the ledger failed.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

static void row_release(struct flow_audit_row *r)
{
	free(r->certificate_id);
	free(r->issued_at);
	free(r->asset_id);
	free(r->sanitization);
	free(r->method);
	free(r->result);
	free(r->technician);
	free(r->approver);
	free(r->file);
	free(r->ledger_status);
	free(r->problems);
}

void flow_audit_release(struct flow_audit *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_rows; i++)
		row_release(&a->rows[i]);
	free(a->rows);
	memset(a, 0, sizeof(*a));
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static struct flow_audit_row *add_row(struct flow_audit *a)
{
	struct flow_audit_row *v = realloc(a->rows, (a->n_rows + 1) * sizeof(*v));

	if (!v)
		return NULL;
	a->rows = v;
	memset(&v[a->n_rows], 0, sizeof(*v));
	return &v[a->n_rows++];
}

static void add_problem(struct flow_audit_row *r, const char *what, const char *detail)
{
	char *n = NULL;

	if (asprintf(&n, "%s%s%s: %s", r->problems ? r->problems : "", r->problems ? "; " : "", what,
		     detail && *detail ? detail : "failed") < 0)
		return;
	free(r->problems);
	r->problems = n;
}

/* The time a certificate was issued, from its record; fall back to the
 * approved record beside a case's PDF when the PDF's cannot be read. */
static int issued_time(const char *s, time_t *ret)
{
	return s ? parse_time(s, ret) : -EINVAL;
}

/* The row's problems: every check that failed or could not run. */
static void row_problems(struct flow_audit_row *row, const struct flow_cert_result *res, bool ledger)
{
	const struct cert_verify_report *rep = &res->rep;

	for (int k = 0; k < CHECK__MAX; k++) {
		const struct cert_check_result *cr = &rep->checks[k];

		if (k == CHECK_LEDGER && !ledger)
			continue;
		if (k == CHECK_ROSTER && rep->roster_skipped)
			add_problem(row, cert_check_name(k), "skipped: no trust roster");
		else if (cr->ran && !cr->ok)
			add_problem(row, cert_check_name(k), cr->detail);
		else if (!cr->ran)
			add_problem(row, cert_check_name(k), "not run");
	}
}

static void row_describe(struct flow_audit_row *row, const struct cert_record *rec)
{
	if (cert_record_is_list(rec)) {
		size_t failed = 0;

		/* a list certificate: one row, its disks counted */
		for (size_t i = 0; i < rec->n_items; i++)
			failed += !streq(rec->items[i].result, "erased_and_verified");
		row->certificate_id = xstrdup(rec->certificate_id);
		row->issued_at = xstrdup(rec->issued_at);
		if (asprintf(&row->asset_id, "%zu disks (%s...)", rec->n_items, rec->items[0].asset_id) < 0)
			row->asset_id = NULL;
		row->sanitization = xstrdup("list");
		if (asprintf(&row->method, "list: %zu failed", failed) < 0)
			row->method = NULL;
		row->result = xstrdup(failed ? "failed" : "erased_and_verified");
		row->technician = xstrdup(rec->items[0].performer.name);
		row->approver = xstrdup(rec->approver.name);
		return;
	}
	row->certificate_id = xstrdup(rec->certificate_id);
	row->issued_at = xstrdup(rec->issued_at);
	row->asset_id = xstrdup(rec->asset_id);
	row->sanitization = xstrdup(rec->sanitization_type);
	row->method = xstrdup(rec->method);
	row->result = xstrdup(rec->result);
	row->technician = xstrdup(rec->performer.name);
	row->approver = xstrdup(rec->approver.name);
}

/* A case's own certificate record tells when and what, even if the PDF no
 * longer does. */
static struct cert_record *side_record(const char *dir, const char *name)
{
	_cleanup_free_ char *cpath = NULL;
	_cleanup_free_ uint8_t *cj = NULL;
	struct cert_record *side = NULL;
	size_t cl;

	if (strlen(name) > 4 && asprintf(&cpath, "%s/%.*s.cert.json", dir, (int)(strlen(name) - 4), name) >= 0 &&
	    read_full_file(cpath, &cj, &cl) >= 0)
		cert_record_parse((const char *)cj, cl, &side, NULL);
	return side;
}

/* One PDF, its checks done (flow_cert_check_pdf(), in a worker), now
 * the ledger's part and the row: listed when issued in the period. path
 * names where it was found (a file, or "ledger:CASE"); side, when the PDF
 * does not say, the case's certificate record (taken; NULL: read beside
 * dir/name when there is one). */
static int audit_row(const struct flow_ctx *c, const char *dir, const char *name, const char *path,
		     struct cert_record *side, struct flow_cert_result *res, struct flow_audit *a)
{
	const struct flow_cert_options o = { .ledger = c->ledger != NULL };
	const struct cert_record *rec;
	struct flow_audit_row *row;
	time_t t = 0;
	int r;

	r = flow_cert_check_finish(c, &o, res);
	/* an earlier audit's signed report in the state directory: no disposal */
	if (r < 0 || res->rep.report)
		goto out;
	if (!side && dir)
		side = side_record(dir, name);
	rec = res->rep.record ? res->rep.record : side;
	/* a certificate that cannot be dated is listed: it might be the period's */
	if (rec && issued_time(rec->issued_at, &t) == 0 && (t < a->from || t >= a->to)) {
		r = 0;
		goto out;
	}
	row = add_row(a);
	if (!row) {
		r = -ENOMEM;
		goto out;
	}
	row->file = strdup(path);
	if (rec)
		row_describe(row, rec);
	row->ledger_status = xstrdup(res->ledger_status);
	row->superseded = res->verdict == FLOW_CERT_SUPERSEDED;
	row_problems(row, res, c->ledger != NULL);
	row->verified = res->verdict == FLOW_CERT_VALID && !row->problems;
	if (!row->verified && !row->superseded)
		a->n_failed++;
	r = 0;
out:
	cert_record_free(side);
	return r;
}

/* The files to check, and what the workers found. */
struct audit_job {
	const struct flow_ctx *c;
	char **paths;                   /* dir/name */
	struct flow_cert_result *res;
	int *rc;                        /* 0 checked, 1 unreadable (skipped), -errno */
	size_t n, next;
	pthread_mutex_t lock;
};

static void *audit_worker(void *arg)
{
	struct audit_job *j = arg;

	for (;;) {
		_cleanup_free_ uint8_t *pdf = NULL;
		size_t i, len;

		pthread_mutex_lock(&j->lock);
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n)
			return NULL;
		if (read_full_file(j->paths[i], &pdf, &len) < 0) {
			j->rc[i] = 1; /* gone meanwhile, or not ours to read */
			continue;
		}
		j->rc[i] = flow_cert_check_pdf(j->c, pdf, len, NULL, &j->res[i]);
	}
}

/* Check every file, as many at once as there are processors (the checks
 * read the trust store only); the ledger's part and the rows follow in
 * order. In chunks, so that memory does not grow with the archive. */
#define AUDIT_CHUNK 256

static int audit_files(const struct flow_ctx *c, char **paths, char **dirs, char **names, size_t n,
		       struct flow_audit *a, struct flow_error *err)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t workers = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (size_t)ncpu;
	_cleanup_free_ struct flow_cert_result *res = calloc(AUDIT_CHUNK, sizeof(*res));
	_cleanup_free_ int *rc = calloc(AUDIT_CHUNK, sizeof(*rc));
	int r = 0;

	if (!res || !rc)
		return flow_fail(err, -ENOMEM, "out of memory");
	for (size_t base = 0; r >= 0 && base < n; base += AUDIT_CHUNK) {
		struct audit_job j = { .c = c, .paths = paths + base, .res = res, .rc = rc,
				       .n = n - base < AUDIT_CHUNK ? n - base : AUDIT_CHUNK };
		pthread_t th[8];
		size_t started = 0;

		memset(res, 0, AUDIT_CHUNK * sizeof(*res));
		memset(rc, 0, AUDIT_CHUNK * sizeof(*rc));
		pthread_mutex_init(&j.lock, NULL);
		for (size_t w = 1; w < workers && w < j.n; w++)
			if (pthread_create(&th[started], NULL, audit_worker, &j) == 0)
				started++;
		audit_worker(&j);
		for (size_t w = 0; w < started; w++)
			pthread_join(th[w], NULL);
		pthread_mutex_destroy(&j.lock);
		for (size_t i = 0; i < j.n; i++) {
			if (r >= 0 && rc[i] < 0)
				r = flow_fail(err, rc[i], "%s: cannot check: %s", paths[base + i], strerror(-rc[i]));
			else if (r >= 0 && rc[i] == 0) {
				r = audit_row(c, dirs[base + i], names[base + i], paths[base + i], NULL, &res[i], a);
				if (r < 0)
					flow_fail(err, r, "%s: cannot check: %s", paths[base + i], strerror(-r));
			}
			flow_cert_result_release(&res[i]);
		}
	}
	return r;
}

/* The certificates the ledger holds (issued on any machine) that the
 * state directory did not have: checked the same way, one at a time. */
struct ledger_certs {
	const struct flow_ctx *c;
	struct flow_audit *a;
};

static int ledger_cert_cb(const struct ledger_case *k, void *userdata)
{
	struct ledger_certs *x = userdata;
	struct flow_cert_result res = { 0 };
	struct cert_record *side = NULL;
	_cleanup_free_ char *label = NULL;
	int r;

	if (!k->pdf || !k->certificate_id)
		return 0;
	for (size_t i = 0; i < x->a->n_rows; i++)
		if (x->a->rows[i].certificate_id && streq(x->a->rows[i].certificate_id, k->certificate_id))
			return 0;
	if (asprintf(&label, "ledger:%s", k->id) < 0)
		return -ENOMEM;
	if (k->document)
		cert_record_parse((const char *)k->document, k->document_len, &side, NULL);
	r = flow_cert_check_pdf(x->c, k->pdf, k->pdf_len, NULL, &res);
	if (r >= 0)
		r = audit_row(x->c, NULL, NULL, label, TAKE_PTR(side), &res, x->a);
	cert_record_free(side);
	flow_cert_result_release(&res);
	return r;
}

/* Disposal events of the ledger in the period whose certificate no row has. */
struct ledger_walk {
	struct flow_audit *a;
	size_t n_cert_rows;
	int error;
	char **certified;       /* assets that have had a certificate ID */
	size_t n_certified;
};

static bool was_certified(const struct ledger_walk *w, const char *asset_id)
{
	for (size_t i = 0; i < w->n_certified; i++)
		if (streq(w->certified[i], asset_id))
			return true;
	return false;
}

static bool has_certificate(const struct ledger_walk *w, const char *cid)
{
	for (size_t i = 0; i < w->n_cert_rows; i++)
		if (w->a->rows[i].certificate_id && streq(w->a->rows[i].certificate_id, cid))
			return true;
	return false;
}

static int event_cb(const struct ledger_event *e, void *userdata)
{
	struct ledger_walk *w = userdata;
	json_t *ch = NULL, *st, *cert;
	const char *status = NULL, *cid = NULL;
	struct flow_audit_row *row;
	time_t t;

	bool certified;

	if (!e->changes || !e->asset_id)
		return 0;
	ch = json_loads(e->changes, 0, NULL);
	st = json_array_get(json_object_get(ch, ledger_field_name(LEDGER_F_STATUS)), 1);
	cert = json_array_get(json_object_get(ch, ledger_field_name(LEDGER_F_CERTIFICATE)), 1);
	status = json_string_value(st);
	cid = json_string_value(cert);
	/* events come in order: a later move (approved -> disposed) of an asset
	 * certified before is no disposal without a certificate */
	certified = was_certified(w, e->asset_id);
	if (cid && !certified) {
		char **v = realloc(w->certified, (w->n_certified + 1) * sizeof(*v));

		if (!v || !(v[w->n_certified] = strdup(e->asset_id))) {
			if (v)
				w->certified = v;
			w->error = -ENOMEM;
			json_decref(ch);
			return -ENOMEM;
		}
		w->certified = v;
		w->n_certified++;
	}
	if (parse_time(e->time_utc, &t) < 0 || t < w->a->from || t >= w->a->to)
		goto out;
	if (!cid && !(status && (streq(status, "approved") || streq(status, "destroyed") || streq(status, "disposed"))))
		goto out;
	if (!cid && certified)
		goto out;
	if (cid && has_certificate(w, cid))
		goto out;
	row = add_row(w->a);
	if (!row) {
		w->error = -ENOMEM;
		json_decref(ch);
		return -ENOMEM;
	}
	row->certificate_id = xstrdup(cid);
	row->issued_at = xstrdup(e->time_utc);
	row->asset_id = xstrdup(e->asset_id);
	row->approver = xstrdup(e->actor);
	row->ledger_status = xstrdup(status);
	add_problem(row, "certificate", cid ? "recorded in the ledger (event), but not found in the state directory "
					      "nor among the certificates the ledger holds"
					    : "the ledger records a disposal without a certificate");
	w->a->n_failed++;
out:
	json_decref(ch);
	return 0;
}

static int cmp_row(const void *x, const void *y)
{
	const struct flow_audit_row *a = x, *b = y;
	int r = strcmp(a->issued_at ? a->issued_at : "", b->issued_at ? b->issued_at : "");

	return r ? r : strcmp(a->file ? a->file : "", b->file ? b->file : "");
}

int flow_audit_run(const struct flow_ctx *c, time_t from, time_t to, struct flow_audit *ret, struct flow_error *err)
{
	struct flow_audit a = { .from = from, .to = to };
	/* the cases' certificates, and the contractors' ones `accept` archived */
	static const char *const subdirs[] = { "", "/accepted" };
	const char *dir = flow_state_dir(c);
	char **paths = NULL, **dirs = NULL, **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	for (size_t k = 0; k < ARRAY_SIZE(subdirs); k++) {
		_cleanup_free_ char *path = NULL;
		DIR *d;
		struct dirent *de;

		if (asprintf(&path, "%s%s", dir, subdirs[k]) < 0) {
			r = flow_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		d = opendir(path);
		if (!d && errno != ENOENT) {
			r = flow_fail(err, -errno, "%s: cannot read: %m", path);
			goto out;
		}
		while (d && (de = readdir(d))) {
			size_t l = strlen(de->d_name);

			if (l <= 4 || !streq(de->d_name + l - 4, ".pdf") || de->d_name[0] == '.')
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				char **np = realloc(paths, nc * sizeof(*np)), **nd, **nn;

				if (np)
					paths = np;
				nd = np ? realloc(dirs, nc * sizeof(*nd)) : NULL;
				if (nd)
					dirs = nd;
				nn = nd ? realloc(names, nc * sizeof(*nn)) : NULL;
				if (!nn) {
					closedir(d);
					r = flow_fail(err, -ENOMEM, "out of memory");
					goto out;
				}
				names = nn;
				cap = nc;
			}
			dirs[n] = strdup(path);
			names[n] = strdup(de->d_name);
			if (!dirs[n] || !names[n] || asprintf(&paths[n], "%s/%s", path, de->d_name) < 0) {
				free(dirs[n]);
				free(names[n]);
				closedir(d);
				r = flow_fail(err, -ENOMEM, "out of memory");
				goto out;
			}
			n++;
		}
		if (d)
			closedir(d);
	}
	r = audit_files(c, paths, dirs, names, n, &a, err);
	if (r < 0)
		goto out;
	if (c->ledger) {
		struct ledger_certs lc = { c, &a };

		r = ledger_cases(c->ledger, NULL, LEDGER_CASE_BODIES | LEDGER_CASE_PDF, ledger_cert_cb, &lc);
		if (r < 0) {
			r = flow_fail(err, r, "cannot read the certificates in the ledger: %s", strerror(-r));
			goto out;
		}
	}
	if (c->ledger) {
		struct ledger_walk w = { .a = &a, .n_cert_rows = a.n_rows };
		struct ledger_verify_result vr = { 0 };

		r = ledger_history(c->ledger, NULL, event_cb, &w);
		for (size_t i = 0; i < w.n_certified; i++)
			free(w.certified[i]);
		free(w.certified);
		if (r < 0 || w.error < 0) {
			r = flow_fail(err, r < 0 ? r : w.error, "cannot read the ledger history: %s",
				      strerror(-(r < 0 ? r : w.error)));
			goto out;
		}
		a.ledger_checked = true;
		r = ledger_verify(c->ledger, NULL, &vr);
		if (r == 0) {
			a.chain_ok = true;
			snprintf(a.chain_detail, sizeof(a.chain_detail), "intact: %llu events, %llu assets, head %llu:%s",
				 (unsigned long long)vr.n_events, (unsigned long long)vr.n_assets,
				 (unsigned long long)vr.head_seq, vr.head_hash);
		} else if (r == -EBADMSG) {
			snprintf(a.chain_detail, sizeof(a.chain_detail), "BROKEN: %s", vr.detail);
		} else {
			r = flow_fail(err, r, "cannot verify the ledger: %s", strerror(-r));
			goto out;
		}
	}
	if (a.n_rows)
		qsort(a.rows, a.n_rows, sizeof(*a.rows), cmp_row);
	*ret = a;
	memset(&a, 0, sizeof(a));
	r = 0;
out:
	for (size_t i = 0; i < n; i++) {
		free(paths[i]);
		free(dirs[i]);
		free(names[i]);
	}
	free(paths);
	free(dirs);
	free(names);
	flow_audit_release(&a);
	return r;
}

/* ---- the signed report ---- */

/* What the auditor signs: the period, the counts, the ledger's state and
 * every row's verdict (docs/certificate.md, "The audit report"). */
int flow_audit_report(const struct flow_ctx *c, const struct flow_audit *a, const struct trust_seckey *auditor,
		      struct flow_signed_report *ret, struct flow_error *err)
{
	char from[32], to[32], now[32], h[65], id[40];
	_cleanup_free_ char *rows_text = NULL;
	json_t *rows = json_array();
	size_t verified = 0, superseded = 0;

	if (!rows)
		return flow_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < a->n_rows; i++) {
		const struct flow_audit_row *w = &a->rows[i];
		json_t *o = json_pack("{s:s}", "status", w->verified ? "verified" : w->superseded ? "superseded" : "failed");

		if (w->certificate_id)
			json_object_set_new(o, "certificate_id", json_string(w->certificate_id));
		if (w->asset_id)
			json_object_set_new(o, "asset_id", json_string(w->asset_id));
		if (w->issued_at)
			json_object_set_new(o, "issued_at", json_string(w->issued_at));
		if (w->result)
			json_object_set_new(o, "result", json_string(w->result));
		if (w->problems)
			json_object_set_new(o, "problems", json_string(w->problems));
		json_array_append_new(rows, o);
		verified += w->verified;
		superseded += w->superseded;
	}
	format_utc(a->from, from, sizeof(from));
	format_utc(a->to, to, sizeof(to));
	format_utc(time(NULL), now, sizeof(now));
	rows_text = json_dumps(rows, JSON_COMPACT | JSON_SORT_KEYS);
	flow_sha256_hex(rows_text ? rows_text : "", rows_text ? strlen(rows_text) : 0, h);
	snprintf(id, sizeof(id), "AR-%.4s%.2s%.2s-%.12s", now, now + 5, now + 8, h);
	return flow_report_sign(TRUST_DOC_AUDIT_REPORT,
				json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:{s:I,s:I,s:I,s:I},s:{s:b,s:b,s:s},s:o,s:o}",
					  "type", "audit-report", "schema", CERT_AUDIT_SCHEMA, "report_id", id, "issued_at",
					  now, "period", "from", from, "to", to, "organisation",
					  c->trust ? trust_store_org(c->trust) : trust_seckey_org(auditor), "summary",
					  "disposals", (json_int_t)a->n_rows, "verified", (json_int_t)verified, "superseded",
					  (json_int_t)superseded, "failed", (json_int_t)a->n_failed, "ledger", "checked",
					  a->ledger_checked, "intact", a->chain_ok, "detail", a->chain_detail, "rows", rows,
					  "auditor", flow_signer_json(auditor)),
				auditor, ret, err);
}
