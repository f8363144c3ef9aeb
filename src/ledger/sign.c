/* sign.c - ledger events signed by their actor, checked against the trust
 * roster; the adoption of unsigned legacy events; the trust lists' serials
 * the ledger remembers.
 *
 * Its job: sign the canonical form of each event with its actor's key as
 * it is appended; check every stored signature, the legacy range and the
 * approvals of the changes the policy depends on. It must never sign an
 * event whose actor is not the key's holder, and never call an event signed
 * unless its signature verifies against the roster. No SQL here: it uses
 * the store through ledger-internal.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <strings.h>
#include <string.h>

#include "wipecert/canon.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/util.h"
#include "ledger-internal.h"

static const char *nn(const char *s)
{
	return s ? s : "";
}

int ledger_event_canonical(const struct ledger_event *e, char **ret, size_t *ret_len)
{
	json_t *v;
	int r;

	if (!e || e->seq > INT64_MAX || e->covers_from >= e->seq)
		return -EINVAL;
	v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
		      "actor", nn(e->actor), "asset_id", nn(e->asset_id), "changes", nn(e->changes),
		      "hash", nn(e->hash), "kind", nn(e->kind), "prev_hash", nn(e->prev_hash),
		      "reason", nn(e->reason), "seq", (json_int_t)e->seq, "state_hash", nn(e->state_hash),
		      "time_local", nn(e->time_local), "time_utc", nn(e->time_utc),
		      "type", trust_doc_to_string(TRUST_DOC_LEDGER_EVENT));
	if (!v)
		return -EINVAL; /* jansson refuses invalid UTF-8 */
	/* a batch signature says which events it covers: the signed bytes
	 * name the first, the hash chain commits to every one up to here */
	if (e->covers_from && json_object_set_new(v, "covers_from", json_integer((json_int_t)e->covers_from)) < 0) {
		json_decref(v);
		return -ENOMEM;
	}
	r = canon_json(v, ret, ret_len);
	json_decref(v);
	return r;
}

/* ---- an event's own copy (the signer keeps the last one, verify the
 * unsigned ones until their batch signature comes) ---- */

struct owned_event {
	struct ledger_event e;
	char *buf;
};

static void owned_release(struct owned_event *o)
{
	free(o->buf);
	*o = (struct owned_event) {};
}

static int owned_copy(const struct ledger_event *e, struct owned_event *ret)
{
	const char *src[] = { e->asset_id, e->kind, e->changes, e->state_hash, e->actor, e->reason,
			      e->time_utc, e->time_local, e->prev_hash, e->hash, e->key_id };
	const char **dst[] = { &ret->e.asset_id, &ret->e.kind, &ret->e.changes, &ret->e.state_hash, &ret->e.actor,
			       &ret->e.reason, &ret->e.time_utc, &ret->e.time_local, &ret->e.prev_hash, &ret->e.hash,
			       &ret->e.key_id };
	size_t len = 0;
	char *p;

	owned_release(ret);
	for (size_t i = 0; i < ARRAY_SIZE(src); i++)
		len += src[i] ? strlen(src[i]) + 1 : 0;
	ret->buf = malloc(len + 1);
	if (!ret->buf)
		return -ENOMEM;
	ret->e = (struct ledger_event) { .seq = e->seq, .covers_from = e->covers_from };
	p = ret->buf;
	for (size_t i = 0; i < ARRAY_SIZE(src); i++) {
		if (!src[i]) {
			*dst[i] = NULL;
			continue;
		}
		*dst[i] = p;
		p = stpcpy(p, src[i]) + 1;
	}
	return 0;
}

/* ---- signing, as each event is appended ---- */

/* A transaction of this many events (a big import) gets one batch
 * signature on its last event, covering every event of it through the
 * hash chain (docs/ledger.md, "Batch signatures"); a smaller one a
 * signature per event, each checkable with minisign alone. */
#define LEDGER_BATCH_MIN 64

struct pending_sig {
	uint64_t seq;
	time_t when;
	char *canon;
	size_t len;
};

struct ledger_pending_sigs {
	struct pending_sig v[LEDGER_BATCH_MIN];  /* the first events, in signed form */
	size_t n;
	uint64_t first, total;
	struct owned_event last;                 /* the batch signs it */
};

static void discard_sigs(struct ledger_signer *s)
{
	struct ledger_pending_sigs *p = s->pending;

	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].canon);
	p->n = 0;
	p->total = 0;
	owned_release(&p->last);
}

static int queue_sig(struct ledger_signer *s, const struct ledger_event *e)
{
	struct ledger_pending_sigs *p = s->pending;
	struct pending_sig q = { .seq = e->seq };
	int r;

	if (!p->total)
		p->first = e->seq;
	p->total++;
	/* past the batch size only the last event is kept (what is signed) */
	if (p->total >= LEDGER_BATCH_MIN)
		return owned_copy(e, &p->last);
	r = parse_time(nn(e->time_utc), &q.when);
	if (r < 0)
		return r;
	r = ledger_event_canonical(e, &q.canon, &q.len);
	if (r < 0)
		return r;
	p->v[p->n++] = q;
	return 0;
}

static int finish_sigs(struct ledger *l)
{
	struct ledger_pending_sigs *p = l->signer.pending;
	_cleanup_free_ char *canon = NULL, *sig = NULL;
	size_t len;
	time_t when;
	int r = 0;

	if (!p || !p->total)
		return 0;
	if (p->total < LEDGER_BATCH_MIN) {
		/* the first verified, as minisign does; the others made twice alike */
		for (size_t i = 0; i < p->n && r >= 0; i++) {
			char *one = NULL;

			r = (i == 0 ? trust_sign : trust_sign_again)(TRUST_DOC_LEDGER_EVENT, (const uint8_t *)p->v[i].canon,
								     p->v[i].len, l->signer.key, p->v[i].when, &one);
			if (r >= 0)
				r = ledger_event_sign_tx(l, p->v[i].seq, one);
			free(one);
		}
		discard_sigs(&l->signer);
		return r;
	}
	/* one signature for the transaction: its last event, naming the first */
	p->last.e.covers_from = p->first;
	r = parse_time(nn(p->last.e.time_utc), &when);
	if (r >= 0)
		r = ledger_event_canonical(&p->last.e, &canon, &len);
	if (r >= 0)
		r = trust_sign(TRUST_DOC_LEDGER_EVENT, (const uint8_t *)canon, len, l->signer.key, when, &sig);
	if (r >= 0)
		r = ledger_event_sign_batch_tx(l, p->last.e.seq, p->first, sig);
	discard_sigs(&l->signer);
	return r;
}

static void release_sigs(struct ledger_signer *s)
{
	struct ledger_pending_sigs *p = s->pending;

	if (!p)
		return;
	discard_sigs(s);
	free(p);
	s->pending = NULL;
}

int ledger_set_signer(struct ledger *l, const struct trust_seckey *k)
{
	struct ledger_pending_sigs *p;
	struct trust_pubkey pk;

	if (!l || l->in_tx)
		return -EINVAL;
	release_sigs(&l->signer);
	l->signer = (struct ledger_signer) {};
	if (!k)
		return 0;
	if (!trust_role_may_sign(trust_seckey_role(k), TRUST_DOC_LEDGER_EVENT))
		return -EPERM;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	trust_seckey_pubkey(k, &pk);
	l->signer = (struct ledger_signer) { .add = queue_sig, .finish = finish_sigs, .discard = discard_sigs,
					     .release = release_sigs, .key = k, .name = trust_seckey_name(k),
					     .pending = p };
	trust_keyid_string(pk.keyid, l->signer.keyid);
	return 0;
}

/* ---- verification ---- */

static bool role_approves(enum trust_role r)
{
	return r == TRUST_ROLE_APPROVER || r == TRUST_ROLE_CONTRACTOR_APPROVER;
}

static bool role_adopts(enum trust_role r)
{
	return r == TRUST_ROLE_ORG_ROOT || role_approves(r);
}

struct verify_ctx {
	const struct trust_store *store;
	struct ledger_idmap assets;      /* asset ID -> struct ledger_gated */
	struct ledger_sig_result res;
	/* the whole chain: unsigned events waiting for the batch signature
	 * that covers them (the next signed event) */
	struct owned_event *pending;
	size_t n_pending, cap_pending;
	/* one asset: the store, to find the batch that covers an event, and
	 * the last batch found (first..last, signed by member) */
	struct ledger *l;
	uint64_t batch_first, batch_last;
	const struct trust_member *batch_member;
	/* an archive's events: signatures and coverage only, the approvals
	 * were judged while they were live */
	bool no_rules;
};

_printf_(4, 5)
static int bad(struct verify_ctx *c, const struct ledger_event *e, enum ledger_sig_problem p,
	       const char *fmt, ...)
{
	va_list ap;
	int n;

	c->res.problem = p;
	c->res.bad_seq = e->seq;
	snprintf(c->res.bad_asset, sizeof(c->res.bad_asset), "%s", nn(e->asset_id));
	n = snprintf(c->res.detail, sizeof(c->res.detail), "event %" PRIu64 " (%s%s, %s): ",
		     e->seq, *nn(e->asset_id) ? "asset " : "the whole ledger", nn(e->asset_id), nn(e->time_utc));
	if (n > 0 && (size_t)n < sizeof(c->res.detail)) {
		va_start(ap, fmt);
		vsnprintf(c->res.detail + n, sizeof(c->res.detail) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* The signature of e, checked against the roster: the signer is the actor,
 * of our organisation, at the event's time. 0 with *ret_member, or bad(). */
static int check_signature(struct verify_ctx *c, const struct ledger_event *e,
			   const struct trust_member **ret_member)
{
	_cleanup_free_ char *canon = NULL;
	struct trust_result tr;
	size_t len;
	time_t when;
	int r;

	r = ledger_event_canonical(e, &canon, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return bad(c, e, LEDGER_SIG_INVALID, "cannot be put in its signed form: %s", strerror(-r));
	r = trust_verify(c->store, TRUST_DOC_LEDGER_EVENT, (const uint8_t *)canon, len,
			 (const char *)e->signature, e->signature_len, &tr);
	if (r < 0)
		return r;
	if (tr.verdict != TRUST_OK) {
		c->res.verdict = tr.verdict;
		return bad(c, e, LEDGER_SIG_INVALID, "signature by key %s%s%s%s: %s", tr.keyid,
			   tr.member ? " (" : "", tr.member ? tr.member->name : "", tr.member ? ")" : "",
			   trust_verdict_string(tr.verdict));
	}
	/* the column is not signed; a mismatch means someone changed it */
	if (!e->key_id || strcasecmp(e->key_id, tr.keyid) != 0)
		return bad(c, e, LEDGER_SIG_KEY_ID, "the recorded key id %s is not the signing key %s",
			   nn(e->key_id), tr.keyid);
	if (!streq(tr.member->name, nn(e->actor)))
		return bad(c, e, LEDGER_SIG_NOT_ACTOR, "signed by %s (key %s), but its actor is %s",
			   tr.member->name, tr.keyid, nn(e->actor));
	/* our ledger is written by our people: a contractor's key is for its own */
	if (!streq(nn(tr.member->org), nn(trust_store_org(c->store))))
		return bad(c, e, LEDGER_SIG_FOREIGN, "signed by %s of %s, not a member of %s", tr.member->name,
			   nn(tr.member->org), nn(trust_store_org(c->store)));
	/* validity was judged at the signing time: it must be the event's */
	if (parse_time(nn(e->time_utc), &when) < 0 || when != tr.claim.signed_at)
		return bad(c, e, LEDGER_SIG_TIME, "signed at another time than the event's own");
	*ret_member = tr.member;
	return 0;
}

static void gated_free(void *v)
{
	ledger_gated_release(v);
}

/* What the event does to its asset's gated values and pending request. */
static int check_gated(struct verify_ctx *c, const struct ledger_event *e, const struct trust_member *m,
		       bool checked)
{
	struct ledger_gated_verdict gv;
	struct ledger_gated *g;
	int r;

	r = ledger_idmap_get(&c->assets, e->asset_id, true, (void **)&g);
	if (r < 0)
		return r;
	if (checked && m && streq(nn(e->kind), "approve") && !role_approves(m->role))
		return bad(c, e, LEDGER_SIG_ROLE, "a change approved by %s, a %s: only an approver may", m->name,
			   trust_role_to_string(m->role));
	if (checked && m && streq(nn(e->kind), "deny") && !role_approves(m->role) &&
	    !streq(nn(g->req_actor), m->name))
		return bad(c, e, LEDGER_SIG_ROLE, "a request denied by %s, a %s: only an approver or the requester may",
			   m->name, trust_role_to_string(m->role));
	r = ledger_gated_event(g, e, checked, &gv);
	if (r == -EINVAL)
		return bad(c, e, LEDGER_SIG_INVALID, "its changes are not a diff of asset fields");
	if (r < 0)
		return r;
	if (!checked)
		return 0;
	switch (gv.problem) {
	case LEDGER_GATED_OK:
		return 0;
	case LEDGER_GATED_UNAPPROVED:
		return bad(c, e, LEDGER_SIG_UNAPPROVED, "%s changed without an approver's signature "
			   "(a change the policy depends on must be requested and approved)",
			   ledger_field_name(gv.field));
	case LEDGER_GATED_NO_REQUEST:
		return bad(c, e, LEDGER_SIG_UNAPPROVED, "answers no pending request of the asset");
	case LEDGER_GATED_STALE:
		return bad(c, e, LEDGER_SIG_UNAPPROVED, "approves request %" PRIu64 " after the values it started from changed",
			   gv.request);
	case LEDGER_GATED_SAME_PERSON:
		return bad(c, e, LEDGER_SIG_UNAPPROVED, "request %" PRIu64 " approved by the person (or key) who made it",
			   gv.request);
	case LEDGER_GATED_UNKNOWN_KIND:
		return bad(c, e, LEDGER_SIG_INVALID, "unknown kind of event '%s'", nn(e->kind));
	}
	return 0;
}

/* Events of the whole ledger: who may adopt, which kinds exist. */
static int check_ledger_event(struct verify_ctx *c, const struct ledger_event *e, const struct trust_member *m)
{
	if (streq(nn(e->kind), "trust-serial"))
		return 0;
	if (streq(nn(e->kind), "archive")) {
		if (m && !role_adopts(m->role))
			return bad(c, e, LEDGER_SIG_ROLE, "events archived by %s, a %s: only the org-root or an approver may",
				   m->name, trust_role_to_string(m->role));
		return 0;
	}
	if (streq(nn(e->kind), "adopt-legacy")) {
		if (m && !role_adopts(m->role))
			return bad(c, e, LEDGER_SIG_ROLE, "legacy events adopted by %s, a %s: only the org-root or an approver may",
				   m->name, trust_role_to_string(m->role));
		return 0;
	}
	return bad(c, e, LEDGER_SIG_INVALID, "unknown kind of event '%s'", nn(e->kind));
}

/* What an event does, judged as signed by m (NULL: legacy, followed only). */
static int judge(struct verify_ctx *c, const struct ledger_event *e, const struct trust_member *m, bool legacy)
{
	if (c->no_rules)
		return 0;
	if (!*nn(e->asset_id))
		return check_ledger_event(c, e, m);
	/* a legacy event happened before these rules: followed, not judged */
	return check_gated(c, e, m, !legacy);
}

/* An unsigned event that batch signature s (by m) claims: it is of the
 * same transaction (the same actor and key, not later than s). */
static int covered_by(struct verify_ctx *c, const struct ledger_event *e, const struct ledger_event *s)
{
	if (!streq(nn(e->actor), nn(s->actor)) || !e->key_id || !s->key_id || strcasecmp(e->key_id, s->key_id) != 0)
		return bad(c, e, LEDGER_SIG_UNSIGNED, "not signed, and the batch signature of event %" PRIu64
			   " (by %s) cannot cover it: its actor is %s", s->seq, nn(s->actor), nn(e->actor));
	if (strcmp(nn(e->time_utc), nn(s->time_utc)) > 0)
		return bad(c, e, LEDGER_SIG_TIME, "covered by the batch signature of event %" PRIu64
			   ", which is older than it", s->seq);
	return 0;
}

/* A batch signature: the events it names are exactly the unsigned ones
 * waiting before it, each of its transaction; then each is judged as
 * signed by m. */
static int check_batch(struct verify_ctx *c, const struct ledger_event *s, const struct trust_member *m)
{
	int r;

	if (!c->n_pending || c->pending[0].e.seq != s->covers_from || s->seq - s->covers_from != c->n_pending) {
		if (c->n_pending && c->pending[0].e.seq < s->covers_from)
			return bad(c, &c->pending[0].e, LEDGER_SIG_UNSIGNED, "not signed (actor %s), and the batch "
				   "signature of event %" PRIu64 " covers only %" PRIu64 "..%" PRIu64,
				   nn(c->pending[0].e.actor), s->seq, s->covers_from, s->seq - 1);
		return bad(c, s, LEDGER_SIG_INVALID, "its batch signature claims events %" PRIu64 "..%" PRIu64
			   ", which are not all unsigned events of its transaction", s->covers_from, s->seq - 1);
	}
	for (size_t i = 0; i < c->n_pending; i++) {
		const struct ledger_event *e = &c->pending[i].e;

		r = covered_by(c, e, s);
		if (r < 0)
			return r;
		r = judge(c, e, m, false);
		if (r < 0)
			return r;
		c->res.n_covered++;
	}
	for (size_t i = 0; i < c->n_pending; i++)
		owned_release(&c->pending[i]);
	c->n_pending = 0;
	return 0;
}

static int push_pending(struct verify_ctx *c, const struct ledger_event *e)
{
	if (c->n_pending == c->cap_pending) {
		size_t cap = c->cap_pending ? c->cap_pending * 2 : 256;
		struct owned_event *v = reallocarray(c->pending, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v + c->cap_pending, 0, (cap - c->cap_pending) * sizeof(*v));
		c->pending = v;
		c->cap_pending = cap;
	}
	return owned_copy(e, &c->pending[c->n_pending++]);
}

/* ---- one asset: the batch that covers an event, found in the store ---- */

struct batch_find {
	struct owned_event sig;       /* the first signed event after it */
	uint8_t *sigbuf;
	bool found;
};

static int batch_find_cb(const struct ledger_event *e, void *userdata)
{
	struct batch_find *b = userdata;
	int r;

	if (!e->signature || !e->signature_len)
		return 0;
	r = owned_copy(e, &b->sig);
	if (r < 0)
		return r;
	b->sigbuf = malloc(e->signature_len);
	if (!b->sigbuf)
		return -ENOMEM;
	memcpy(b->sigbuf, e->signature, e->signature_len);
	b->sig.e.signature = b->sigbuf;
	b->sig.e.signature_len = e->signature_len;
	b->found = true;
	return -ECANCELED; /* stop here */
}

struct batch_walk {
	struct verify_ctx *c;
	const struct ledger_event *s;
	char prev[LEDGER_HASH_HEX];
	const struct trust_member *m;
	int r;
};

static int batch_walk_cb(const struct ledger_event *e, void *userdata)
{
	struct batch_walk *w = userdata;
	char h[LEDGER_HASH_HEX];

	/* the chain itself, as ledger_verify() walks it, over the batch */
	ledger_event_hash(e, h);
	if (!e->hash || !streq(h, e->hash) || (w->prev[0] && !streq(w->prev, nn(e->prev_hash))))
		return w->r = bad(w->c, e, LEDGER_SIG_INVALID, "the hash chain of the batch signed by event %" PRIu64
				  " is broken here: run 'ledger verify'", w->s->seq);
	memcpy(w->prev, h, sizeof(h));
	if (e->seq == w->s->seq)
		return 0;
	if (e->signature && e->signature_len)
		return w->r = bad(w->c, e, LEDGER_SIG_INVALID, "signed, inside the batch event %" PRIu64 " claims",
				  w->s->seq);
	return covered_by(w->c, e, w->s) < 0 ? (w->r = -EBADMSG) : 0;
}

/* The unsigned event e of one asset: the next signed event of the whole
 * chain must be a batch signature whose range holds e, every event of that
 * range of its transaction, the chain over it whole. */
static int check_covered(struct verify_ctx *c, const struct ledger_event *e, const struct trust_member **ret_m)
{
	struct batch_find f = {};
	struct batch_walk w = { .c = c };
	int r;

	if (c->batch_last && e->seq >= c->batch_first && e->seq < c->batch_last) {
		*ret_m = c->batch_member;
		return 0;
	}
	r = ledger_event_range(c->l, e->seq + 1, INT64_MAX, batch_find_cb, &f);
	if (r < 0 && r != -ECANCELED)
		goto out;
	if (!f.found || !f.sig.e.covers_from || f.sig.e.covers_from > e->seq) {
		r = bad(c, e, LEDGER_SIG_UNSIGNED, "not signed (actor %s), and no batch signature covers it",
			nn(e->actor));
		goto out;
	}
	/* the signature first: whose batch it is says what it may cover */
	r = check_signature(c, &f.sig.e, &w.m);
	if (r < 0)
		goto out;
	w.s = &f.sig.e;
	r = ledger_event_range(c->l, f.sig.e.covers_from, f.sig.e.seq, batch_walk_cb, &w);
	if (r >= 0)
		r = w.r;
	if (r < 0)
		goto out;
	c->batch_first = f.sig.e.covers_from;
	c->batch_last = f.sig.e.seq;
	c->batch_member = w.m;
	*ret_m = w.m;
out:
	owned_release(&f.sig);
	free(f.sigbuf);
	return r;
}

/* The first unsigned event that nothing covered. */
static int uncovered(struct verify_ctx *c)
{
	return bad(c, &c->pending[0].e, LEDGER_SIG_UNSIGNED, "not signed (actor %s), and no signed adoption of "
		   "legacy events or batch signature covers it", nn(c->pending[0].e.actor));
}

static int verify_one(const struct ledger_event *e, void *userdata)
{
	struct verify_ctx *c = userdata;
	const struct trust_member *m = NULL;
	bool legacy = e->seq <= c->res.legacy_upto;
	int r;

	c->res.n_events++;
	if (!e->signature || e->signature_len == 0) {
		if (legacy) {
			c->res.n_legacy++;
			return judge(c, e, NULL, true);
		}
		if (!c->l)
			/* judged when the batch signature that covers it comes */
			return push_pending(c, e);
		r = check_covered(c, e, &m);
		if (r < 0)
			return r;
		c->res.n_covered++;
		return judge(c, e, m, false);
	}
	/* the first problem in the chain's order: unsigned events that this
	 * one does not even claim */
	if (c->n_pending && !e->covers_from)
		return uncovered(c);
	r = check_signature(c, e, &m);
	if (r < 0)
		return r;
	c->res.n_signed++;
	if (!c->l && e->covers_from) {
		r = check_batch(c, e, m);
		if (r < 0)
			return r;
	}
	return judge(c, e, m, false);
}

/* The end of a walk: unsigned events left at the end that no batch
 * signature came for fail it; the result out, the walk's memory freed. */
static int walk_end(struct verify_ctx *c, int r, struct ledger_sig_result *ret)
{
	if (r >= 0 && c->n_pending)
		r = uncovered(c);
	for (size_t i = 0; i < c->n_pending; i++)
		owned_release(&c->pending[i]);
	free(c->pending);
	ledger_idmap_free(&c->assets, gated_free);
	if (r < 0 && r != -EBADMSG)
		return r;
	*ret = c->res;
	return r;
}

/* The last event the valid adoptions cover (ledger-wide events only). */
struct adopt_scan {
	struct verify_ctx *c;
	uint64_t upto;
};

static int adopt_cb(const struct ledger_event *e, void *userdata)
{
	struct adopt_scan *a = userdata;
	const struct trust_member *m = NULL;
	struct verify_ctx probe = { .store = a->c->store };

	if (!streq(nn(e->kind), "adopt-legacy") || !e->signature)
		return 0;
	/* an adoption that does not check out covers nothing; the main walk names it */
	if (check_signature(&probe, e, &m) < 0 || !role_adopts(m->role))
		return 0;
	a->upto = e->seq - 1;
	return 0;
}

/* The events of one asset (or all: asset_id NULL), after the adoptions. */
static int verify_events(struct ledger *l, const struct trust_store *s, const char *asset_id,
			 struct ledger_sig_result *ret)
{
	struct verify_ctx c = { .store = s, .assets = { .vsize = sizeof(struct ledger_gated) } };
	struct adopt_scan a = { .c = &c };
	int r;

	if (!l || !s)
		return -EINVAL;
	r = ledger_history(l, "", adopt_cb, &a);
	if (r < 0)
		goto out;
	c.res.legacy_upto = a.upto;
	/* where an archive took older events: the values it carried on */
	r = ledger_gated_checkpoints(l, asset_id, &c.assets);
	if (r < 0)
		goto out;
	if (asset_id)
		c.l = l;
	r = ledger_history(l, asset_id, verify_one, &c);
out:
	return walk_end(&c, r, ret);
}

int ledger_verify_event_list(const struct trust_store *s, const struct ledger_event *ev, size_t n,
			     struct ledger_sig_result *ret)
{
	struct verify_ctx c = { .store = s, .assets = { .vsize = sizeof(struct ledger_gated) }, .no_rules = true };
	struct adopt_scan a = { .c = &c };
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++)
		r = adopt_cb(&ev[i], &a);
	c.res.legacy_upto = a.upto;
	for (size_t i = 0; i < n && r >= 0; i++)
		r = verify_one(&ev[i], &c);
	return walk_end(&c, r, ret);
}

int ledger_verify_signatures(struct ledger *l, const struct trust_store *s, struct ledger_sig_result *ret)
{
	return verify_events(l, s, NULL, ret);
}

int ledger_verify_asset(struct ledger *l, const struct trust_store *s, const char *asset_id,
			struct ledger_sig_result *ret)
{
	if (!asset_id || !*asset_id)
		return -EINVAL;
	return verify_events(l, s, asset_id, ret);
}

/* ---- adopting unsigned legacy events ---- */

struct adopt_ctx {
	const char *reason;
	uint64_t from, upto, seq;
	uint64_t run_start, run_end;   /* the unsigned events since the last signed one */
};

static int last_adoption_cb(const struct ledger_event *e, void *userdata)
{
	struct adopt_ctx *a = userdata;

	if (streq(nn(e->kind), "adopt-legacy"))
		a->from = e->seq + 1;
	return 0;
}

/* The last unsigned event that no batch signature covers. */
static int unsigned_cb(const struct ledger_event *e, void *userdata)
{
	struct adopt_ctx *a = userdata;

	if (!e->signature || !e->signature_len) {
		if (!a->run_start)
			a->run_start = e->seq;
		a->run_end = e->seq;
		return 0;
	}
	if (a->run_start && !(e->covers_from && e->covers_from <= a->run_start))
		a->upto = e->covers_from ? e->covers_from - 1 : a->run_end;
	a->run_start = 0;
	return 0;
}

static int adopt_tx(struct ledger *l, void *ctx)
{
	struct adopt_ctx *a = ctx;
	char range[48];
	const char *key = "legacy", *old = NULL, *nv = range;
	_cleanup_free_ char *changes = NULL;
	int r;

	a->from = 1;
	r = ledger_history(l, "", last_adoption_cb, a);
	if (r >= 0 && l->head_seq >= a->from)
		r = ledger_event_range(l, a->from, l->head_seq, unsigned_cb, a);
	if (r < 0)
		return r;
	if (a->run_start)
		a->upto = a->run_end;
	if (!a->upto)
		return -EALREADY;
	/* the signature covers the chain up to here: every event before it,
	 * as it is, is what the adopter vouches for */
	a->upto = l->head_seq;
	snprintf(range, sizeof(range), "1-%" PRIu64, a->upto);
	changes = ledger_changes_json(1, &key, &old, &nv);
	if (!changes)
		return -ENOMEM;
	return ledger_append_tx(l, NULL, "adopt-legacy", changes, a->reason, &a->seq);
}

int ledger_adopt_legacy(struct ledger *l, const char *reason, uint64_t *ret_upto, uint64_t *ret_seq)
{
	struct adopt_ctx a = { .reason = reason };
	int r;

	if (!l->signer.add)
		return -ENOKEY;
	if (!role_adopts(trust_seckey_role(l->signer.key)))
		return -EPERM;
	if (!reason || !*reason)
		return -EINVAL;
	r = ledger_tx_write(l, adopt_tx, &a);
	if (r < 0)
		return r;
	if (ret_upto)
		*ret_upto = a.upto;
	if (ret_seq)
		*ret_seq = a.seq;
	return 0;
}

/* ---- the trust lists' serials ---- */

#define MAX_LISTS 64

struct recorded {
	struct {
		char key[64];
		uint64_t serial, event;
	} v[MAX_LISTS];
	size_t n;
};

static void list_key(const struct trust_list *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", t->doc == TRUST_DOC_ROSTER ? "roster" : "revocation", t->root_keyid);
}

static int recorded_cb(const struct ledger_event *e, void *userdata)
{
	struct recorded *rec = userdata;
	json_t *j, *v;
	const char *key;

	/* an archive carries on the serials of the events it took away */
	if (!streq(nn(e->kind), "trust-serial") && !streq(nn(e->kind), "archive"))
		return 0;
	j = json_loads(nn(e->changes), 0, NULL);
	json_object_foreach(j, key, v) {
		const char *s = json_string_value(json_array_get(v, 1));
		uint64_t n;
		size_t i;

		if (strncmp(key, "roster:", 7) != 0 && strncmp(key, "revocation:", 11) != 0)
			continue;
		if (!s || parse_u64(s, &n) < 0 || strlen(key) >= sizeof(rec->v[0].key))
			continue;
		for (i = 0; i < rec->n && !streq(rec->v[i].key, key); i++)
			;
		if (i == rec->n) {
			if (rec->n == MAX_LISTS)
				continue;
			snprintf(rec->v[rec->n++].key, sizeof(rec->v[0].key), "%s", key);
			rec->v[i].serial = 0;
		}
		if (n >= rec->v[i].serial) {
			rec->v[i].serial = n;
			rec->v[i].event = e->seq;
		}
	}
	json_decref(j);
	return 0;
}

int ledger_trust_recorded_tx(struct ledger *l, size_t max, char keys[][64], char serials[][24], size_t *ret_n)
{
	struct recorded rec = {};
	int r;

	r = ledger_history(l, "", recorded_cb, &rec);
	if (r < 0)
		return r;
	if (rec.n > max)
		return -E2BIG;
	for (size_t i = 0; i < rec.n; i++) {
		snprintf(keys[i], 64, "%s", rec.v[i].key);
		snprintf(serials[i], 24, "%" PRIu64, rec.v[i].serial);
	}
	*ret_n = rec.n;
	return 0;
}

/* Compare; newer lists into keys/olds/news (up to MAX_LISTS). */
struct trust_cmp {
	const struct trust_store *store;
	struct ledger_trust_report rep;
	size_t n_new;
	char keys[MAX_LISTS][64], olds[MAX_LISTS][24], news[MAX_LISTS][24];
	bool had[MAX_LISTS];
	bool record;
	uint64_t seq;
};

static int trust_cmp_tx(struct ledger *l, void *ctx)
{
	struct trust_cmp *t = ctx;
	struct recorded rec = {};
	const char *k[MAX_LISTS], *o[MAX_LISTS], *n[MAX_LISTS];
	_cleanup_free_ char *changes = NULL;
	int r;

	r = ledger_history(l, "", recorded_cb, &rec);
	if (r < 0)
		return r;
	for (size_t i = 0; i < trust_store_n_lists(t->store) && t->n_new < MAX_LISTS; i++) {
		const struct trust_list *tl = trust_store_list(t->store, i);
		char key[64];
		size_t j;

		list_key(tl, key, sizeof(key));
		for (j = 0; j < rec.n && !streq(rec.v[j].key, key); j++)
			;
		if (j < rec.n && tl->serial < rec.v[j].serial) {
			snprintf(t->rep.list, sizeof(t->rep.list), "%s of %s (%s)",
				 tl->doc == TRUST_DOC_ROSTER ? "roster" : "revocation list", tl->root_keyid, nn(tl->org));
			t->rep.store_serial = tl->serial;
			t->rep.ledger_serial = rec.v[j].serial;
			t->rep.event = rec.v[j].event;
			return -ESTALE;
		}
		if (j < rec.n && tl->serial == rec.v[j].serial)
			continue;
		snprintf(t->keys[t->n_new], sizeof(t->keys[0]), "%s", key);
		t->had[t->n_new] = j < rec.n;
		snprintf(t->olds[t->n_new], sizeof(t->olds[0]), "%" PRIu64, j < rec.n ? rec.v[j].serial : 0);
		snprintf(t->news[t->n_new], sizeof(t->news[0]), "%" PRIu64, tl->serial);
		t->n_new++;
	}
	if (!t->record || !t->n_new)
		return 0;
	for (size_t i = 0; i < t->n_new; i++) {
		k[i] = t->keys[i];
		o[i] = t->had[i] ? t->olds[i] : NULL;
		n[i] = t->news[i];
	}
	changes = ledger_changes_json(t->n_new, k, o, n);
	if (!changes)
		return -ENOMEM;
	r = ledger_append_tx(l, NULL, "trust-serial", changes, "the trust directory's signed lists seen at these serials",
			     &t->seq);
	return r < 0 ? r : 1;
}

int ledger_trust_check(struct ledger *l, const struct trust_store *s, struct ledger_trust_report *ret)
{
	struct trust_cmp t = { .store = s };
	int r = ledger_tx_read(l, trust_cmp_tx, &t);

	if (r == -ESTALE && ret)
		*ret = t.rep;
	return r < 0 ? r : 0;
}

int ledger_trust_record(struct ledger *l, const struct trust_store *s, struct ledger_trust_report *ret,
			uint64_t *ret_seq)
{
	struct trust_cmp t = { .store = s, .record = true };
	int r = ledger_tx_write(l, trust_cmp_tx, &t);

	if (r == -ESTALE && ret)
		*ret = t.rep;
	if (r > 0 && ret_seq)
		*ret_seq = t.seq;
	return r;
}

/* Inside every write transaction: the store's newer serials recorded with
 * the events they were used for; an older store fails the transaction. */
static int trust_before_commit(struct ledger *l)
{
	struct trust_cmp t = { .store = l->trust, .record = true };
	int r = trust_cmp_tx(l, &t);

	return r < 0 ? r : 0;
}

int ledger_set_trust(struct ledger *l, const struct trust_store *s)
{
	if (!l)
		return -EINVAL;
	l->trust = s;
	l->before_commit = s ? trust_before_commit : NULL;
	return 0;
}
