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
#include <pthread.h>
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

	if (!e || e->seq > INT64_MAX)
		return -EINVAL;
	v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
		      "actor", nn(e->actor), "asset_id", nn(e->asset_id), "changes", nn(e->changes),
		      "hash", nn(e->hash), "kind", nn(e->kind), "prev_hash", nn(e->prev_hash),
		      "reason", nn(e->reason), "seq", (json_int_t)e->seq, "state_hash", nn(e->state_hash),
		      "time_local", nn(e->time_local), "time_utc", nn(e->time_utc),
		      "type", trust_doc_to_string(TRUST_DOC_LEDGER_EVENT));
	if (!v)
		return -EINVAL; /* jansson refuses invalid UTF-8 */
	r = canon_json(v, ret, ret_len);
	json_decref(v);
	return r;
}

/* ---- signing, as each event is appended ---- */

/* A big import is signed on every core: each signature is two Ed25519
 * signatures, checked before it is stored: the first of a transaction
 * verified with the public key, as minisign does, each other one computed
 * twice alike (trust_sign_again()). */
#define SIGN_THREADS_MAX 4
#define SIGN_PER_THREAD_MIN 64

struct pending_sig {
	uint64_t seq;
	time_t when;
	char *canon;
	size_t len;
	char *sig;
	int r;
};

struct ledger_pending_sigs {
	struct pending_sig *v;
	size_t n, cap;
	/* shared with the workers while they sign */
	const struct trust_seckey *key;
	size_t next;
	pthread_mutex_t lock;
};

static void discard_sigs(struct ledger_signer *s)
{
	struct ledger_pending_sigs *p = s->pending;

	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].canon);
		free(p->v[i].sig);
	}
	p->n = 0;
}

static int queue_sig(struct ledger_signer *s, const struct ledger_event *e)
{
	struct ledger_pending_sigs *p = s->pending;
	struct pending_sig q = { .seq = e->seq };
	int r;

	r = parse_time(nn(e->time_utc), &q.when);
	if (r < 0)
		return r;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct pending_sig *v = reallocarray(p->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	r = ledger_event_canonical(e, &q.canon, &q.len);
	if (r < 0)
		return r;
	p->v[p->n++] = q;
	return 0;
}

static void *sign_worker(void *arg)
{
	struct ledger_pending_sigs *p = arg;

	for (;;) {
		struct pending_sig *q;
		size_t i;

		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		q = &p->v[i];
		/* at the event's own time: the roster judges the key's validity
		 * then; the first signature verified, the others made twice */
		q->r = (i == 0 ? trust_sign : trust_sign_again)(TRUST_DOC_LEDGER_EVENT, (const uint8_t *)q->canon,
								 q->len, p->key, q->when, &q->sig);
	}
}

static int finish_sigs(struct ledger *l)
{
	struct ledger_pending_sigs *p = l->signer.pending;
	pthread_t t[SIGN_THREADS_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n_threads = 0, want;
	int r = 0;

	if (!p || !p->n)
		return 0;
	p->key = l->signer.key;
	p->next = 0;
	want = p->n / SIGN_PER_THREAD_MIN;
	if (cpus > 1 && want > 1) {
		want = want < (size_t)cpus ? want : (size_t)cpus;
		want = want < SIGN_THREADS_MAX ? want : SIGN_THREADS_MAX;
		for (; n_threads + 1 < want; n_threads++)
			if (pthread_create(&t[n_threads], NULL, sign_worker, p) != 0)
				break;
	}
	sign_worker(p);
	for (size_t i = 0; i < n_threads; i++)
		pthread_join(t[i], NULL);
	for (size_t i = 0; i < p->n && r >= 0; i++) {
		r = p->v[i].r;
		if (r >= 0)
			r = ledger_event_sign_tx(l, p->v[i].seq, p->v[i].sig);
	}
	discard_sigs(&l->signer);
	return r;
}

static void release_sigs(struct ledger_signer *s)
{
	struct ledger_pending_sigs *p = s->pending;

	if (!p)
		return;
	discard_sigs(s);
	free(p->v);
	pthread_mutex_destroy(&p->lock);
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
	pthread_mutex_init(&p->lock, NULL);
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
	if (streq(nn(e->kind), "adopt-legacy")) {
		if (m && !role_adopts(m->role))
			return bad(c, e, LEDGER_SIG_ROLE, "legacy events adopted by %s, a %s: only the org-root or an approver may",
				   m->name, trust_role_to_string(m->role));
		return 0;
	}
	return bad(c, e, LEDGER_SIG_INVALID, "unknown kind of event '%s'", nn(e->kind));
}

static int verify_one(const struct ledger_event *e, void *userdata)
{
	struct verify_ctx *c = userdata;
	const struct trust_member *m = NULL;
	bool legacy = e->seq <= c->res.legacy_upto;
	int r;

	c->res.n_events++;
	if (!e->signature || e->signature_len == 0) {
		if (!legacy)
			return bad(c, e, LEDGER_SIG_UNSIGNED, "not signed (actor %s), and no signed adoption of "
				   "legacy events covers it", nn(e->actor));
		c->res.n_legacy++;
	} else {
		r = check_signature(c, e, &m);
		if (r < 0)
			return r;
		c->res.n_signed++;
	}
	if (!*nn(e->asset_id))
		return check_ledger_event(c, e, m);
	/* a legacy event happened before these rules: followed, not judged */
	return check_gated(c, e, m, !legacy);
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
	r = ledger_history(l, asset_id, verify_one, &c);
out:
	ledger_idmap_free(&c.assets, gated_free);
	if (r < 0 && r != -EBADMSG)
		return r;
	*ret = c.res;
	return r;
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
};

static int last_adoption_cb(const struct ledger_event *e, void *userdata)
{
	struct adopt_ctx *a = userdata;

	if (streq(nn(e->kind), "adopt-legacy"))
		a->from = e->seq + 1;
	return 0;
}

static int unsigned_cb(const struct ledger_event *e, void *userdata)
{
	struct adopt_ctx *a = userdata;

	if (!e->signature || !e->signature_len)
		a->upto = e->seq;
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

	if (!streq(nn(e->kind), "trust-serial"))
		return 0;
	j = json_loads(nn(e->changes), 0, NULL);
	json_object_foreach(j, key, v) {
		const char *s = json_string_value(json_array_get(v, 1));
		uint64_t n;
		size_t i;

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
