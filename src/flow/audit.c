/* audit.c - every disposal of a period, each certificate re-verified, and
 * the ledger chain checked: what an annual internal audit asks for (see
 * flow.h, docs/workflow.md).
 *
 * Never prints, and never calls a certificate good that any check of
 * cert_pdf_verify() or the ledger failed.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>

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

/* One certificate: the one certificate check (flow_cert_check(), as
 * verify runs it), listed when issued in the period. path names where it
 * was found (a file, or "ledger:CASE"; taken); side, when the PDF does not
 * say, the case's certificate record (taken, may be NULL). */
static int audit_bytes(const struct flow_ctx *c, const uint8_t *pdf, size_t len, char *path,
		       struct cert_record *side, struct flow_audit *a)
{
	const struct flow_cert_options o = { .ledger = c->ledger != NULL };
	struct flow_cert_result res = { 0 };
	const struct cert_record *rec;
	struct flow_audit_row *row;
	time_t t = 0;
	int r;

	r = flow_cert_check(c, pdf, len, &o, &res);
	if (r < 0)
		goto out;
	rec = res.rep.record ? res.rep.record : side;
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
	row->file = TAKE_PTR(path);
	if (rec)
		row_describe(row, rec);
	row->ledger_status = xstrdup(res.ledger_status);
	row->superseded = res.verdict == FLOW_CERT_SUPERSEDED;
	row_problems(row, &res, c->ledger != NULL);
	row->verified = res.verdict == FLOW_CERT_VALID && !row->problems;
	if (!row->verified && !row->superseded)
		a->n_failed++;
	r = 0;
out:
	free(path);
	cert_record_free(side);
	flow_cert_result_release(&res);
	return r;
}

/* One PDF of the state directory. */
static int audit_pdf(const struct flow_ctx *c, const char *dir, const char *name, struct flow_audit *a)
{
	_cleanup_free_ uint8_t *pdf = NULL;
	char *path;
	size_t len;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	if (read_full_file(path, &pdf, &len) < 0) {
		free(path);
		return 0; /* gone meanwhile, or not ours to read */
	}
	return audit_bytes(c, pdf, len, path, side_record(dir, name), a);
}

/* The certificates the ledger holds (issued on any machine) that the
 * state directory did not have. */
struct ledger_certs {
	const struct flow_ctx *c;
	struct flow_audit *a;
};

static int ledger_cert_cb(const struct ledger_case *k, void *userdata)
{
	struct ledger_certs *x = userdata;
	struct cert_record *side = NULL;
	char *label;

	if (!k->pdf || !k->certificate_id)
		return 0;
	for (size_t i = 0; i < x->a->n_rows; i++)
		if (x->a->rows[i].certificate_id && streq(x->a->rows[i].certificate_id, k->certificate_id))
			return 0;
	if (asprintf(&label, "ledger:%s", k->id) < 0)
		return -ENOMEM;
	if (k->document)
		cert_record_parse((const char *)k->document, k->document_len, &side, NULL);
	return audit_bytes(x->c, k->pdf, k->pdf_len, label, side, x->a);
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
			r = audit_pdf(c, path, de->d_name, &a);
			if (r < 0) {
				r = flow_fail(err, r, "%s/%s: cannot check: %s", path, de->d_name, strerror(-r));
				closedir(d);
				goto out;
			}
		}
		if (d)
			closedir(d);
	}
	if (c->ledger) {
		struct ledger_certs lc = { c, &a };

		r = ledger_cases(c->ledger, NULL, LEDGER_CASE_BODIES | LEDGER_CASE_PDF, ledger_cert_cb, &lc);
		if (r < 0) {
			r = flow_fail(err, r, "cannot read the certificates in the ledger: %s", strerror(-r));
			goto out;
		}
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
	flow_audit_release(&a);
	return r;
}
