/* approval.c - change requests and their approval: the changes the
 * disposal policy depends on (change.c says which) wait in a "request"
 * event until an approver, another person than the requester, signs an
 * "approve" event that applies them; or a "deny" drops them.
 *
 * Its job: decide, from the asset's own history and the trust roster,
 * whether a request is still the asset's pending one and whether the
 * handle's signer may answer it. It must never apply a request that its
 * own requester approves, nor one whose starting values changed meanwhile.
 * No SQL here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "wipecert/ledger-sign.h"
#include "wipecert/util.h"
#include "ledger-internal.h"

static const char *nn(const char *s)
{
	return s ? s : "";
}

/* ---- listing the pending requests ---- */

struct list_ctx {
	struct ledger_idmap assets;      /* asset ID -> struct ledger_gated */
	int error;
};

static int follow_cb(const struct ledger_event *e, void *userdata)
{
	struct list_ctx *c = userdata;
	struct ledger_gated_verdict gv;
	struct ledger_gated *g;
	int r;

	if (!*nn(e->asset_id))
		return 0;
	r = ledger_idmap_get(&c->assets, e->asset_id, true, (void **)&g);
	if (r < 0)
		return r;
	r = ledger_gated_event(g, e, false, &gv);
	return r == -EINVAL ? 0 : r;
}

struct emit_ctx {
	int (*cb)(const struct ledger_request *q, void *userdata);
	void *userdata;
	struct ledger_idmap *assets;
};

static int emit_cb(const struct ledger_event *e, void *userdata)
{
	struct emit_ctx *x = userdata;
	struct ledger_gated *g;

	if (!streq(nn(e->kind), "request") || ledger_idmap_get(x->assets, nn(e->asset_id), false, (void **)&g) < 0 ||
	    g->req_seq != e->seq)
		return 0;
	struct ledger_request q = {
		.seq = e->seq, .asset_id = e->asset_id, .changes = e->changes, .actor = e->actor,
		.reason = e->reason, .time_utc = e->time_utc, .current = ledger_gated_pending(g, e->seq) == 0,
	};
	return x->cb(&q, x->userdata);
}

static void gated_free(void *v)
{
	ledger_gated_release(v);
}

int ledger_requests(struct ledger *l, const char *asset_id,
		    int (*cb)(const struct ledger_request *q, void *userdata), void *userdata)
{
	struct list_ctx c = { .assets = { .vsize = sizeof(struct ledger_gated) } };
	struct emit_ctx x = { cb, userdata, &c.assets };
	int r;

	/* one pass to follow every asset's requests, one to list the pending
	 * ones in order; one snapshot for both would need a read transaction
	 * around two walks: a request answered in between is listed or not */
	r = ledger_gated_checkpoints(l, asset_id, &c.assets);
	if (r >= 0)
		r = ledger_history(l, asset_id, follow_cb, &c);
	if (r >= 0)
		r = ledger_history(l, asset_id, emit_cb, &x);
	ledger_idmap_free(&c.assets, gated_free);
	return r;
}

/* ---- answering one ---- */

struct answer_ctx {
	const struct trust_store *store;
	uint64_t seq;
	bool approve;
	const char *reason;
	struct ledger_change_result *res;
	/* the request, as read */
	char *asset_id, *changes;
	struct ledger_gated g;
	uint64_t out_seq;
};

static int find_request_cb(const struct ledger_event *e, void *userdata)
{
	struct answer_ctx *a = userdata;

	if (e->seq != a->seq)
		return 0;
	if (!streq(nn(e->kind), "request") || !*nn(e->asset_id))
		return -ENOENT;
	a->asset_id = strdup(e->asset_id);
	a->changes = strdup(nn(e->changes));
	return a->asset_id && a->changes ? 0 : -ENOMEM;
}

static int follow_one_cb(const struct ledger_event *e, void *userdata)
{
	struct answer_ctx *a = userdata;
	struct ledger_gated_verdict gv;
	int r = ledger_gated_event(&a->g, e, false, &gv);

	return r == -EINVAL ? 0 : r;
}

_printf_(3, 4)
static int refuse(struct answer_ctx *a, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->res->detail, sizeof(a->res->detail), fmt, ap);
	va_end(ap);
	return r;
}

/* The signer may answer: an approver of the store's organisation, valid
 * and not revoked now (or, to deny, the requester). */
static int check_signer(struct answer_ctx *a, const struct ledger_signer *s)
{
	struct trust_pubkey pk;
	const struct trust_member *m;
	time_t now = time(NULL);
	bool approver;

	trust_seckey_pubkey(s->key, &pk);
	m = trust_store_find(a->store, pk.keyid);
	if (!m)
		return refuse(a, -EACCES, "key %s (%s) is in no roster of %s", s->keyid, s->name,
			      nn(trust_store_dir(a->store)));
	approver = m->role == TRUST_ROLE_APPROVER || m->role == TRUST_ROLE_CONTRACTOR_APPROVER;
	if (!streq(nn(m->org), nn(trust_store_org(a->store))) || !streq(m->name, s->name))
		return refuse(a, -EACCES, "key %s is %s of %s in the roster, not %s of %s", s->keyid, m->name,
			      nn(m->org), s->name, nn(trust_store_org(a->store)));
	if (m->revoked && (m->revoked_at <= now || streq(nn(m->revoke_reason), "key-compromise")))
		return refuse(a, -EACCES, "key %s of %s is revoked", s->keyid, m->name);
	if (now < m->not_before || now > m->not_after)
		return refuse(a, -EACCES, "key %s of %s is not valid now", s->keyid, m->name);
	if (!approver && !(!a->approve && streq(nn(a->g.req_actor), m->name)))
		return refuse(a, -EACCES, "%s is a %s: only an approver may %s a change the policy depends on",
			      m->name, trust_role_to_string(m->role), a->approve ? "approve" : "deny");
	return 0;
}

static int answer_tx(struct ledger *l, void *ctx)
{
	struct answer_ctx *a = ctx;
	struct ledger_asset old = {}, now = {};
	_cleanup_free_ char *why = NULL;
	int r;

	r = ledger_event_range(l, a->seq, a->seq, find_request_cb, a);
	if (r == 0 && !a->asset_id)
		r = -ENOENT;
	if (r < 0)
		return r == -ENOENT ? refuse(a, r, "event %" PRIu64 " is not a change request", a->seq) : r;
	snprintf(a->res->asset_id, sizeof(a->res->asset_id), "%s", a->asset_id);
	snprintf(a->res->changes, sizeof(a->res->changes), "%s", a->changes);
	/* the values an archive carried on, where it took older events */
	{
		struct ledger_idmap one = { .vsize = sizeof(struct ledger_gated) };
		struct ledger_gated *g;

		r = ledger_gated_checkpoints(l, a->asset_id, &one);
		if (r >= 0 && ledger_idmap_get(&one, a->asset_id, false, (void **)&g) > 0) {
			a->g = *g;
			*g = (struct ledger_gated) {}; /* a->g owns it now */
		}
		ledger_idmap_free(&one, gated_free);
		if (r < 0)
			return r;
	}
	r = ledger_history(l, a->asset_id, follow_one_cb, a);
	if (r < 0)
		return r;
	r = ledger_gated_pending(&a->g, a->seq);
	if (r == -ENOENT)
		return refuse(a, -ESRCH, "request %" PRIu64 " of asset %s was answered already", a->seq, a->asset_id);
	if (r == -ESRCH)
		return refuse(a, -ESRCH, "request %" PRIu64 " of asset %s was replaced by request %" PRIu64, a->seq,
			      a->asset_id, a->g.req_seq);
	if (r == -ESTALE)
		return refuse(a, -ESTALE, "asset %s changed since request %" PRIu64 ": ask again", a->asset_id, a->seq);
	r = check_signer(a, &l->signer);
	if (r < 0)
		return r;
	if (a->approve && (streq(nn(a->g.req_actor), l->signer.name) ||
			   (a->g.req_key_id && streq(a->g.req_key_id, l->signer.keyid))))
		return refuse(a, -EPERM, "%s asked for request %" PRIu64 ": another person must approve it",
			      l->signer.name, a->seq);
	if (asprintf(&why, "%s request %" PRIu64 "%s%s", a->approve ? "approves" : "denies", a->seq,
		     a->reason && *a->reason ? ": " : "", a->reason ? a->reason : "") < 0)
		return -ENOMEM;
	r = ledger_get_tx(l, a->asset_id, &old);
	if (r < 0)
		return r;
	if (!a->approve) {
		r = ledger_append_tx(l, &old, "deny", a->changes, why, &a->out_seq);
		goto out;
	}
	r = ledger_change_apply(&old, a->changes, &now);
	if (r == -ESTALE)
		r = refuse(a, -ESTALE, "asset %s changed since request %" PRIu64 ": ask again", a->asset_id, a->seq);
	if (r >= 0)
		r = ledger_approve_tx(l, &old, &now, a->changes, why, &a->out_seq);
	if (r == -ENOTUNIQ)
		r = refuse(a, -ENOTUNIQ, "asset %s: the serial or WWN asked for is another asset's", a->asset_id);
out:
	ledger_asset_clear(&old);
	ledger_asset_clear(&now);
	return r;
}

static int answer(struct ledger *l, const struct trust_store *s, uint64_t seq, bool approve, const char *reason,
		  struct ledger_change_result *ret, uint64_t *ret_seq)
{
	struct ledger_change_result res = {};
	struct answer_ctx a = { .store = s, .seq = seq, .approve = approve, .reason = reason, .res = &res };
	int r;

	if (!l || !s || !seq)
		return -EINVAL;
	if (!l->signer.add)
		return -ENOKEY;
	r = ledger_tx_write(l, answer_tx, &a);
	free(a.asset_id);
	free(a.changes);
	ledger_gated_release(&a.g);
	if (ret)
		*ret = res;
	if (r >= 0 && ret_seq)
		*ret_seq = a.out_seq;
	return r < 0 ? r : 0;
}

int ledger_change_approve(struct ledger *l, const struct trust_store *s, uint64_t seq, const char *reason,
			  struct ledger_change_result *ret, uint64_t *ret_seq)
{
	return answer(l, s, seq, true, reason, ret, ret_seq);
}

int ledger_change_deny(struct ledger *l, const struct trust_store *s, uint64_t seq, const char *reason,
		       struct ledger_change_result *ret, uint64_t *ret_seq)
{
	return answer(l, s, seq, false, reason, ret, ret_seq);
}
