/* inspect.c - the periodic inspection (点検) of the asset ledger: what is
 * overdue, held, lost, away, unaccounted for, against the lifecycle's
 * statuses and the policy's [inspect] thresholds; the disks stations saw
 * that no entry names; the chain verified. The report it builds is CSV and
 * a signed record (canonical JSON naming the CSV by SHA-256); cli/inspect.c
 * writes them and the PDF.
 *
 * Reads only; never prints, never decides what is a finding anywhere but
 * in the rules below (one per section).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "wipecert/canon.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/lifecycle.h"
#include "wipecert/policy.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

static const struct {
	const char *id, *ja, *en;
} sections[_FLOW_INSPECT_MAX] = {
	[FLOW_INSPECT_AWAITING] = { "awaiting-erasure-overdue", "消去待ちの期限超過",
				    "Awaiting erasure longer than the policy allows" },
	[FLOW_INSPECT_CONTRACTOR] = { "contractor-no-certificate", "業者引渡し後、証明書未受領",
				      "With a contractor, no certificate accepted in time" },
	[FLOW_INSPECT_HOLD] = { "evidence-hold", "証拠保全中", "Under evidence hold" },
	[FLOW_INSPECT_LOST] = { "lost-stolen-open", "紛失・盗難（未解決）", "Lost or stolen, the incident open" },
	[FLOW_INSPECT_TAKEN_OUT] = { "taken-out", "持出し中（未返却）", "Taken out, not returned" },
	[FLOW_INSPECT_CLASS1] = { "class1-not-disposed", "重要性分類1 廃棄未了",
				  "Class 1 media out of service, not disposed of" },
	[FLOW_INSPECT_RETENTION] = { "retention-passed", "保存期限経過（データ残存）",
				     "Retention passed, the data still held" },
	[FLOW_INSPECT_UNKNOWN] = { "unknown-disks", "台帳未登録の媒体", "Disks seen by stations, in no ledger entry" },
};

const char *flow_inspect_section_id(enum flow_inspect_section s)
{
	return (unsigned)s < _FLOW_INSPECT_MAX ? sections[s].id : NULL;
}

const char *flow_inspect_section_title(enum flow_inspect_section s, bool japanese)
{
	if ((unsigned)s >= _FLOW_INSPECT_MAX)
		return NULL;
	return japanese ? sections[s].ja : sections[s].en;
}

void flow_inspection_release(struct flow_inspection *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->n_rows; i++) {
		free(in->rows[i].asset_id);
		free(in->rows[i].status);
		free(in->rows[i].since);
		free(in->rows[i].detail);
	}
	free(in->rows);
	memset(in, 0, sizeof(*in));
}

struct since {
	char *asset_id, *time_utc;
};

struct inspect_ctx {
	struct flow_inspection *in;
	struct since *since;              /* sorted by asset ID (strcmp) for bsearch */
	size_t n_since;
	char today[11];                   /* the inspection's day, YYYY-MM-DD (UTC) */
};

_printf_(7, 8)
static int add_row(struct flow_inspection *in, enum flow_inspect_section s, const char *asset_id, const char *status,
		   const char *since, bool overdue, const char *fmt, ...)
{
	struct flow_inspect_row *v, *row;
	va_list ap;
	time_t t;
	int k;

	if (in->n_rows % 256 == 0) {
		v = reallocarray(in->rows, in->n_rows + 256, sizeof(*v));
		if (!v)
			return -ENOMEM;
		in->rows = v;
	}
	row = &in->rows[in->n_rows];
	*row = (struct flow_inspect_row) { .section = s, .overdue = overdue, .days = -1 };
	if (since && parse_time(since, &t) == 0 && in->at >= t)
		row->days = (long)((in->at - t) / 86400);
	va_start(ap, fmt);
	k = vasprintf(&row->detail, fmt, ap);
	va_end(ap);
	if (k < 0 || (asset_id && !(row->asset_id = strdup(asset_id))) || (status && !(row->status = strdup(status))) ||
	    (since && !(row->since = strdup(since)))) {
		free(row->detail);
		free(row->asset_id);
		free(row->status);
		return -ENOMEM;
	}
	in->n_rows++;
	in->count[s]++;
	return 0;
}

static int since_cb(const char *asset_id, const char *time_utc, void *userdata)
{
	struct inspect_ctx *x = userdata;
	struct since *v;

	if (!asset_id || !time_utc)
		return 0;
	if (x->n_since % 1024 == 0) {
		v = reallocarray(x->since, x->n_since + 1024, sizeof(*v));
		if (!v)
			return -ENOMEM;
		x->since = v;
	}
	v = &x->since[x->n_since];
	v->asset_id = strdup(asset_id);
	v->time_utc = strdup(time_utc);
	if (!v->asset_id || !v->time_utc) {
		free(v->asset_id);
		free(v->time_utc);
		return -ENOMEM;
	}
	x->n_since++;
	return 0;
}

static int cmp_since(const void *a, const void *b)
{
	return strcmp(((const struct since *)a)->asset_id, ((const struct since *)b)->asset_id);
}

static const char *since_of(const struct inspect_ctx *x, const char *id)
{
	struct since key = { .asset_id = (char *)id };
	const struct since *f = bsearch(&key, x->since, x->n_since, sizeof(key), cmp_since);

	return f ? f->time_utc : NULL;
}

static const char *v(const struct ledger_asset *a, enum ledger_field f)
{
	return ledger_asset_value(a, f);
}

static const char *nz(const char *s)
{
	return s ? s : "-";
}

/* Longer than days since it entered its status? */
static bool over(const struct flow_inspection *in, const char *since, unsigned days)
{
	time_t t;

	return since && parse_time(since, &t) == 0 && in->at - t > (time_t)days * 86400;
}

/* One asset against every section's rule. */
static int asset_cb(const struct ledger_asset *a, void *userdata)
{
	struct inspect_ctx *x = userdata;
	struct flow_inspection *in = x->in;
	const char *id = v(a, LEDGER_F_ASSET_ID), *st = v(a, LEDGER_F_STATUS) ?: "in-service", *cls = v(a, LEDGER_F_IMPORTANCE);
	const char *since = since_of(x, id), *due, *ret;
	enum ledger_status s = LEDGER_STATUS_IN_SERVICE;
	int r = 0;

	in->n_assets++;
	ledger_status_from_string(st, &s);
	switch (s) {
	case LEDGER_STATUS_AWAITING_ERASURE:
		if (over(in, since, in->thresholds.awaiting_erasure_days))
			r = add_row(in, FLOW_INSPECT_AWAITING, id, st, since, true, "class %s, %s; more than %u days",
				    nz(cls), nz(v(a, LEDGER_F_DEPARTMENT)), in->thresholds.awaiting_erasure_days);
		break;
	case LEDGER_STATUS_HANDED_TO_CONTRACTOR:
		if (over(in, since, in->thresholds.contractor_days))
			r = add_row(in, FLOW_INSPECT_CONTRACTOR, id, st, since, true,
				    "no certificate accepted after %u days (wipecert accept)", in->thresholds.contractor_days);
		break;
	case LEDGER_STATUS_EVIDENCE_HOLD:
		r = add_row(in, FLOW_INSPECT_HOLD, id, st, since, false, "incident %s", nz(v(a, LEDGER_F_INCIDENT)));
		break;
	case LEDGER_STATUS_LOST:
	case LEDGER_STATUS_STOLEN:
		r = add_row(in, FLOW_INSPECT_LOST, id, st, since, true, "incident %s, threat level %s; class %s; data: %s",
			    nz(v(a, LEDGER_F_INCIDENT)), nz(v(a, LEDGER_F_THREAT)), nz(cls), nz(v(a, LEDGER_F_DATA)));
		break;
	case LEDGER_STATUS_TAKEN_OUT:
		due = v(a, LEDGER_F_RETURN_DUE);
		/* past its return date, or without one past the policy's days */
		r = add_row(in, FLOW_INSPECT_TAKEN_OUT, id, st, since,
			    due ? strcmp(due, x->today) < 0 : over(in, since, in->thresholds.taken_out_days),
			    "permitted by %s; due back %s", nz(v(a, LEDGER_F_PERMITTED_BY)), nz(due));
		break;
	default:
		break;
	}
	/* class 1 out of service and not yet at the end of its life */
	if (r >= 0 && cls && streq(cls, "1") && s != LEDGER_STATUS_IN_SERVICE && !lifecycle_status(s)->final &&
	    s != LEDGER_STATUS_HANDED_TO_CONTRACTOR)
		r = add_row(in, FLOW_INSPECT_CLASS1, id, st, since, false, "department %s; %s", nz(v(a, LEDGER_F_DEPARTMENT)),
			    nz(v(a, LEDGER_F_NAME) ?: v(a, LEDGER_F_MODEL)));
	/* its data kept beyond its retention: the medium is still here with it */
	ret = v(a, LEDGER_F_RETENTION);
	if (r >= 0 && ret && strcmp(ret, x->today) < 0 &&
	    (s == LEDGER_STATUS_IN_SERVICE || s == LEDGER_STATUS_RETIRED || s == LEDGER_STATUS_AWAITING_ERASURE))
		r = add_row(in, FLOW_INSPECT_RETENTION, id, st, since, true, "retention until %s; data: %s", ret,
			    nz(v(a, LEDGER_F_DATA)));
	return r;
}

static int seen_cb(const struct ledger_seen *z, void *userdata)
{
	struct inspect_ctx *x = userdata;

	return add_row(x->in, FLOW_INSPECT_UNKNOWN, NULL, NULL, z->first_seen, true,
		       "station %s saw serial %s, WWN %s, model %s, %" PRIu64 " bytes; last seen %s (%" PRIu64 " times)",
		       z->station, *z->serial ? z->serial : "-", *z->wwn ? z->wwn : "-", nz(z->model), z->size,
		       z->last_seen, z->times);
}

static void since_free(struct inspect_ctx *x)
{
	for (size_t i = 0; i < x->n_since; i++) {
		free(x->since[i].asset_id);
		free(x->since[i].time_utc);
	}
	free(x->since);
}

static int cmp_rows(const void *a, const void *b)
{
	const struct flow_inspect_row *x = a, *y = b;

	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	return strcmp(x->asset_id ? x->asset_id : "", y->asset_id ? y->asset_id : "");
}

int flow_inspect(const struct flow_ctx *c, time_t at, struct flow_inspection *ret, struct flow_error *err)
{
	struct policy fallback = { 0 };
	const struct policy *pol = c->policy;
	struct flow_inspection in = { .at = at };
	struct inspect_ctx x = { .in = &in };
	struct ledger_verify_result vr = { 0 };
	struct tm tm;
	int r;

	if (!c->ledger)
		return flow_fail(err, -EINVAL, "the inspection reads a ledger (--db)");
	if (!pol) {
		r = policy_default(&fallback);
		if (r < 0)
			return flow_fail(err, r, "out of memory");
		pol = &fallback;
	}
	in.thresholds = pol->inspect;
	policy_release(&fallback);
	gmtime_r(&at, &tm);
	strftime(x.today, sizeof(x.today), "%Y-%m-%d", &tm);
	r = ledger_verify(c->ledger, NULL, &vr);
	if (r < 0 && r != -EBADMSG) {
		r = flow_fail(err, r, "cannot verify the ledger: %s", strerror(-r));
		goto fail;
	}
	in.chain_ok = r == 0;
	snprintf(in.head, sizeof(in.head), "%" PRIu64 ":%s", vr.head_seq, vr.head_hash);
	if (in.chain_ok)
		snprintf(in.chain_detail, sizeof(in.chain_detail), "intact: %" PRIu64 " events, head %s", vr.n_events,
			 in.head);
	else
		snprintf(in.chain_detail, sizeof(in.chain_detail), "BROKEN: %s", vr.detail);
	r = ledger_status_since(c->ledger, since_cb, &x);
	if (r >= 0) {
		qsort(x.since, x.n_since, sizeof(*x.since), cmp_since);
		r = ledger_asset_list(c->ledger, NULL, asset_cb, &x);
	}
	if (r >= 0)
		r = ledger_seen_list(c->ledger, true, seen_cb, &x);
	if (r < 0) {
		r = flow_fail(err, r, "cannot read the ledger: %s", strerror(-r));
		goto fail;
	}
	qsort(in.rows, in.n_rows, sizeof(*in.rows), cmp_rows);
	since_free(&x);
	*ret = in;
	return 0;
fail:
	since_free(&x);
	flow_inspection_release(&in);
	return r;
}

/* ---- the report: CSV and its signed record ---- */

int flow_inspect_csv(const struct flow_inspection *in, bool bom, bool japanese, char **ret, size_t *ret_len)
{
	static const char *const head_en[] = { "section", "section_title", "asset_id", "status", "since", "days",
					       "overdue", "detail" };
	static const char *const head_ja[] = { "区分", "区分名", "資産番号", "状態", "開始日時", "経過日数",
					       "期限超過", "内容" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -errno;
	if (bom)
		fputs("\xef\xbb\xbf", f);
	for (size_t i = 0; i < ARRAY_SIZE(head_en); i++) {
		if (i)
			fputc(',', f);
		csv_put_cell(f, japanese ? head_ja[i] : head_en[i]);
	}
	fputs("\r\n", f);
	for (size_t i = 0; i < in->n_rows; i++) {
		const struct flow_inspect_row *row = &in->rows[i];
		char days[24] = "";

		if (row->days >= 0)
			snprintf(days, sizeof(days), "%ld", row->days);
		csv_put_cell(f, flow_inspect_section_id(row->section));
		fputc(',', f);
		csv_put_cell(f, flow_inspect_section_title(row->section, japanese));
		fputc(',', f);
		csv_put_cell(f, row->asset_id);
		fputc(',', f);
		csv_put_cell(f, row->status);
		fputc(',', f);
		csv_put_cell(f, row->since);
		fputc(',', f);
		csv_put_cell(f, days);
		fputc(',', f);
		csv_put_cell(f, row->overdue ? "yes" : "no");
		fputc(',', f);
		csv_put_cell(f, row->detail);
		fputs("\r\n", f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return -EIO;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

int flow_inspect_record(const struct flow_ctx *c, const struct flow_inspection *in, const char *csv, size_t csv_len,
			const struct trust_seckey *inspector, struct flow_signed_report *ret, struct flow_error *err)
{
	char at[32], now[32], id[48], compact[20], csv_sha256[65];
	json_t *rec, *secs, *counts;

	flow_sha256_hex(csv, csv_len, csv_sha256);
	format_utc(in->at, at, sizeof(at));
	/* signed now: the inspection's moment may be a date asked for */
	format_utc(time(NULL), now, sizeof(now));
	format_utc_compact(in->at, compact, sizeof(compact));
	snprintf(id, sizeof(id), "INS-%s", compact);
	secs = json_array();
	counts = json_object();
	for (int s = 0; s < _FLOW_INSPECT_MAX; s++) {
		json_t *rows = json_array();

		for (size_t i = 0; i < in->n_rows; i++) {
			const struct flow_inspect_row *row = &in->rows[i];

			if ((int)row->section != s)
				continue;
			json_array_append_new(rows, json_pack("{s:s?, s:s?, s:s?, s:I, s:b, s:s}", "asset_id", row->asset_id,
							      "status", row->status, "since", row->since,
							      "days", (json_int_t)row->days, "overdue", row->overdue,
							      "detail", row->detail ? row->detail : ""));
		}
		json_object_set_new(counts, sections[s].id, json_integer((json_int_t)in->count[s]));
		json_array_append_new(secs, json_pack("{s:s, s:s, s:s, s:o}", "id", sections[s].id, "title_ja",
						      sections[s].ja, "title_en", sections[s].en, "rows", rows));
	}
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:b, s:s, s:s}, s:{s:I, s:I, s:I}, s:I, s:o, s:o, s:s, s:o}",
			"type", "inspection", "schema", CERT_INSPECTION_SCHEMA, "report_id", id, "inspected_at", at,
			"issued_at", now,
			"ledger", "intact", in->chain_ok, "head", in->head, "detail", in->chain_detail,
			"thresholds", "awaiting_erasure_days", (json_int_t)in->thresholds.awaiting_erasure_days,
			"contractor_days", (json_int_t)in->thresholds.contractor_days,
			"taken_out_days", (json_int_t)in->thresholds.taken_out_days,
			"assets", (json_int_t)in->n_assets, "counts", counts, "sections", secs,
			"csv_sha256", csv_sha256, "inspector", flow_signer_json(inspector));
	/* whose ledger: the organisation the policy names */
	if (rec && c->policy && c->policy->org_name)
		json_object_set_new(rec, "organisation", json_string(c->policy->org_name));
	/* the rows' strings could be ill-formed only from a damaged ledger */
	return flow_report_sign(TRUST_DOC_INSPECTION, rec, inspector, ret, err);
}
