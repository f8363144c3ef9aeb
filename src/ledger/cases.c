/* cases.c - the cases (sealed wipe records), their decisions and
 * certificates, stored beside the assets so that a shared ledger carries
 * them from the station that sealed them to the manager who decides, and
 * the decision back (see ledger.h).
 *
 * Its job: store a case once, whatever the number of times it is
 * submitted (a station that lost its database submits again), and a
 * decision once, whatever the number of managers deciding at once; each
 * with the asset's event in the same transaction. It must never store a
 * second record under a case's ID, nor a second decision. No SQL here.
 */
#include <errno.h>
#include <string.h>

#include "ledger-internal.h"
#include "wipecert/util.h"

struct found {
	bool found, decided;
	char *sha;
};

static int found_cb(const struct ledger_case *k, void *userdata)
{
	struct found *f = userdata;

	f->found = true;
	f->decided = k->decision != NULL;
	free(f->sha);
	f->sha = strdup(k->record_sha256 ?: "");
	return f->sha ? 0 : -ENOMEM;
}

static int find_case(struct ledger *l, const char *id, struct found *ret)
{
	return l->be->cases(l, id, 0, found_cb, ret);
}

struct submit_ctx {
	const struct ledger_case *k;
	const struct ledger_asset *asset;
	const char *reason;
	uint64_t seq;
};

static bool case_whole(const struct ledger_case *k)
{
	return k && k->id && *k->id && k->record_sha256 && k->record && k->record_len && k->signature;
}

static int put_case(struct ledger *l, const struct ledger_case *k)
{
	struct ledger_case c = *k;
	char now[32];
	int r;

	r = format_utc(time(NULL), now, sizeof(now));
	if (r < 0)
		return r;
	c.submitted_at = now;
	return l->be->put_case(l, &c);
}

static int submit_tx(struct ledger *l, void *ctx)
{
	struct submit_ctx *s = ctx;
	struct found f = {};
	int r;

	r = find_case(l, s->k->id, &f);
	if (r >= 0 && f.found)
		/* submitted before (the answer lost, a sync after a failure) */
		r = streq(f.sha, s->k->record_sha256) ? 0 : -EEXIST;
	else if (r >= 0) {
		r = put_case(l, s->k);
		if (r >= 0 && s->asset)
			r = ledger_record_tx(l, s->asset, s->reason, &s->seq);
		if (r >= 0)
			r = 1;
	}
	free(f.sha);
	return r;
}

int ledger_case_submit(struct ledger *l, const struct ledger_case *k, const struct ledger_asset *asset,
		       const char *reason, uint64_t *ret_seq)
{
	struct submit_ctx s = { k, asset, reason, 0 };
	int r;

	if (!case_whole(k))
		return -EINVAL;
	r = ledger_tx_write(l, submit_tx, &s);
	if (r > 0 && ret_seq)
		*ret_seq = s.seq;
	return r;
}

static int decide_tx(struct ledger *l, void *ctx)
{
	struct submit_ctx *s = ctx;
	struct found f = {};
	int r;

	r = find_case(l, s->k->id, &f);
	if (r >= 0 && f.decided)
		r = -EEXIST;
	else if (r >= 0 && !f.found)
		/* decided where the case was sealed, before it reached the ledger */
		r = case_whole(s->k) ? put_case(l, s->k) : -ENOENT;
	else if (r >= 0 && s->k->record_sha256 && !streq(f.sha, s->k->record_sha256))
		r = -ESTALE;
	if (r >= 0)
		r = l->be->put_decision(l, s->k);
	/* a decision inserted by another manager meanwhile is a unique violation */
	if (r >= 0 && s->asset)
		r = ledger_record_tx(l, s->asset, s->reason, &s->seq);
	free(f.sha);
	return r;
}

int ledger_case_decide(struct ledger *l, const struct ledger_case *k, const struct ledger_asset *asset,
		       const char *reason, uint64_t *ret_seq)
{
	struct submit_ctx s = { k, asset, reason, 0 };
	int r;

	if (!k || !k->id || !k->decision || !k->decided_at || !k->approver || !k->document || !k->document_sig ||
	    !(streq(k->decision, "approved") || streq(k->decision, "rejected")))
		return -EINVAL;
	r = ledger_tx_write(l, decide_tx, &s);
	if (r >= 0 && ret_seq)
		*ret_seq = s.seq;
	return r < 0 ? r : 0;
}

struct cases_ctx {
	const char *id;
	unsigned what;
	int (*cb)(const struct ledger_case *k, void *userdata);
	void *userdata;
	bool found;
};

static int cases_cb(const struct ledger_case *k, void *userdata)
{
	struct cases_ctx *c = userdata;

	c->found = true;
	return c->cb(k, c->userdata);
}

static int cases_tx(struct ledger *l, void *ctx)
{
	struct cases_ctx *c = ctx;
	int r;

	r = l->be->cases(l, c->id, c->what, cases_cb, c);
	if (r >= 0 && c->id && !c->found)
		return -ENOENT;
	return r;
}

int ledger_cases(struct ledger *l, const char *id, unsigned what,
		 int (*cb)(const struct ledger_case *k, void *userdata), void *userdata)
{
	struct cases_ctx c = { id, what, cb, userdata, false };

	return l->in_tx ? cases_tx(l, &c) : ledger_tx_read(l, cases_tx, &c);
}
