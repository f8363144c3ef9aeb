/* sign.c - ledger events signed by their actor, and checked against the
 * trust roster.
 *
 * Its job: sign the canonical form of an event with its actor's key and
 * store the minisign text beside it; check every stored signature. It must
 * never sign an event whose actor is not the key's holder, and never call an
 * event signed unless its signature verifies against the roster.
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

/* Events signed in one write transaction: short enough not to hold off
 * parallel wipes, long enough that an import of 100,000 rows is not 100,000
 * fsyncs. */
#define SIGN_BATCH 512

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

/* ---- signing ---- */

struct actor_check {
	const char *name;
	uint64_t n;
	uint64_t signed_seq;
};

static int check_actor(const struct ledger_event *e, void *userdata)
{
	struct actor_check *c = userdata;

	if (e->signature)
		c->signed_seq = c->signed_seq ?: e->seq;
	if (!streq(nn(e->actor), c->name))
		return -EPERM;
	c->n++;
	return 0;
}

struct pending {
	uint64_t seq;
	time_t when;
	char *canon;
	size_t len;
};

struct batch {
	struct pending p[SIGN_BATCH];
	size_t n;
};

static void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->p[i].canon);
	b->n = 0;
}

static int collect(const struct ledger_event *e, void *userdata)
{
	struct batch *b = userdata;
	struct pending *p = &b->p[b->n];
	int r;

	if (e->signature)
		return 0;
	r = parse_time(nn(e->time_utc), &p->when);
	if (r < 0)
		return r;
	r = ledger_event_canonical(e, &p->canon, &p->len);
	if (r < 0)
		return r;
	p->seq = e->seq;
	b->n++;
	return 0;
}

static int sign_batch(struct ledger *l, struct batch *b, const struct trust_seckey *k, const char *keyid)
{
	int r;

	r = ledger_tx_begin(l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < b->n; i++) {
		_cleanup_free_ char *sig = NULL;

		r = trust_sign(TRUST_DOC_LEDGER_EVENT, (const uint8_t *)b->p[i].canon, b->p[i].len, k,
			       b->p[i].when, &sig);
		if (r >= 0)
			r = ledger_event_set_signature(l, b->p[i].seq, keyid, (const uint8_t *)sig, strlen(sig));
		if (r < 0) {
			ledger_tx_rollback(l);
			return r;
		}
	}
	return ledger_tx_commit(l);
}

int ledger_event_sign(struct ledger *l, uint64_t first, uint64_t last,
		      const struct trust_seckey *k, uint64_t *ret_n)
{
	struct actor_check ac = { .name = trust_seckey_name(k) };
	struct trust_pubkey pk;
	char keyid[TRUST_KEYID_STRLEN];
	struct batch *b;
	uint64_t n = 0;
	int r;

	if (!l || !k || first == 0 || first > last)
		return -EINVAL;
	if (!trust_role_may_sign(trust_seckey_role(k), TRUST_DOC_LEDGER_EVENT))
		return -EPERM;
	/* all or nothing as far as the actor goes: a range with another
	 * person's event in it is a caller's mistake, not half a job */
	r = ledger_event_range(l, first, last, check_actor, &ac);
	if (r < 0)
		return r;
	if (ac.n == 0)
		return -ENOENT;
	if (ac.signed_seq)
		return -EEXIST;
	trust_seckey_pubkey(k, &pk);
	trust_keyid_string(pk.keyid, keyid);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (uint64_t at = first; at <= last; ) {
		uint64_t to = last - at >= SIGN_BATCH - 1 ? at + SIGN_BATCH - 1 : last;

		r = ledger_event_range(l, at, to, collect, b);
		if (r >= 0)
			r = sign_batch(l, b, k, keyid);
		n += b->n;
		batch_clear(b);
		if (r < 0)
			break;
		if (to == last)
			break;
		at = to + 1;
	}
	free(b);
	if (r < 0)
		return r;
	if (ret_n)
		*ret_n = n;
	return 0;
}

/* ---- verification ---- */

struct verify_ctx {
	const struct trust_store *store;
	bool require_signed;
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
	n = snprintf(c->res.detail, sizeof(c->res.detail), "event %" PRIu64 " (asset %s, %s): ",
		     e->seq, nn(e->asset_id), nn(e->time_utc));
	if (n > 0 && (size_t)n < sizeof(c->res.detail)) {
		va_start(ap, fmt);
		vsnprintf(c->res.detail + n, sizeof(c->res.detail) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static int verify_one(const struct ledger_event *e, void *userdata)
{
	struct verify_ctx *c = userdata;
	_cleanup_free_ char *canon = NULL;
	struct trust_result tr;
	size_t len;
	time_t when;
	int r;

	c->res.n_events++;
	if (!e->signature || e->signature_len == 0) {
		c->res.n_unsigned++;
		if (!c->res.first_unsigned)
			c->res.first_unsigned = e->seq;
		if (c->require_signed)
			return bad(c, e, LEDGER_SIG_UNSIGNED, "not signed (actor %s)", nn(e->actor));
		return 0;
	}
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
	/* validity was judged at the signing time: it must be the event's */
	if (parse_time(nn(e->time_utc), &when) < 0 || when != tr.claim.signed_at)
		return bad(c, e, LEDGER_SIG_TIME, "signed at another time than the event's own");
	c->res.n_signed++;
	return 0;
}

int ledger_verify_signatures(struct ledger *l, const struct trust_store *s, bool require_signed,
			     struct ledger_sig_result *ret)
{
	struct verify_ctx c = { .store = s, .require_signed = require_signed };
	int r;

	if (!l || !s)
		return -EINVAL;
	r = ledger_history(l, NULL, verify_one, &c);
	if (r < 0 && r != -EBADMSG)
		return r;
	*ret = c.res;
	return r;
}
