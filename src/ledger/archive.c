/* archive.c - retention: the oldest events of the chain taken out of the
 * live ledger into a signed archive that verifies alone years later, while
 * the live ledger keeps the archived head (its chain still verifies end to
 * end) and, per asset, the state its archived events left it in
 * (docs/ledger.md, "Retention and archives").
 *
 * It must never take out an event the chain does not vouch for, never end
 * an archive inside a transaction (a batch signature and what it covers
 * stay together), and never drop an event before the archive that holds it
 * was written and checked (the caller writes the file between plan and
 * commit). No SQL here: store.c keeps the rows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "wipecert/canon.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/lifecycle.h"
#include "wipecert/util.h"
#include "ledger-internal.h"

#define ARCHIVE_SCHEMA "wipecert.ledger-archive/1"

static const char *nn(const char *s)
{
	return s ? s : "";
}

/* ---- one asset's state, followed event by event ---- */

struct cp {
	uint64_t seq;
	char state_hash[LEDGER_HASH_HEX];
	struct ledger_gated g;
	struct lc_history h;
	char since[32];
	bool touched;
};

static void cp_free(void *p)
{
	ledger_gated_release(&((struct cp *)p)->g);
}

static int cp_load(struct cp *c, const char *state_hash, uint64_t seq, const char *state)
{
	json_t *j = json_loads(nn(state), 0, NULL);
	int r = 0;

	c->seq = seq;
	snprintf(c->state_hash, sizeof(c->state_hash), "%s", nn(state_hash));
	if (json_is_object(j)) {
		r = ledger_gated_from_json(&c->g, json_object_get(j, "approved"));
		lifecycle_history_from_json(&c->h, json_object_get(j, "returns"));
		snprintf(c->since, sizeof(c->since), "%s", nn(json_string_value(json_object_get(j, "since"))));
	}
	json_decref(j);
	return r;
}

/* The state JSON of a checkpoint. */
static json_t *cp_state(const struct cp *c)
{
	return json_pack("{s:o, s:o, s:s}", "approved", ledger_gated_to_json(&c->g), "returns",
			 lifecycle_history_to_json(&c->h), "since", c->since);
}

/* What event e does to its asset's carried state. */
static int cp_follow(struct cp *c, const struct ledger_event *e)
{
	struct ledger_gated_verdict gv;
	const char *k = nn(e->kind);
	int r;

	c->seq = e->seq;
	c->touched = true;
	snprintf(c->state_hash, sizeof(c->state_hash), "%s", nn(e->state_hash));
	r = ledger_gated_event(&c->g, e, false, &gv);
	if (r < 0)
		return r;
	if (streq(k, "create") || streq(k, "update") || streq(k, "approve")) {
		lifecycle_history_add(&c->h, e->changes);
		if (streq(k, "create") || (e->changes && strstr(e->changes, "\"status\":[")))
			snprintf(c->since, sizeof(c->since), "%s", nn(e->time_utc));
	}
	return 0;
}

struct cp_load_ctx {
	struct ledger_idmap *assets;
	const char *only;
};

static int cp_load_cb(const struct ledger_checkpoint *k, void *userdata)
{
	struct cp_load_ctx *x = userdata;
	struct cp *c;
	int r;

	if (x->only && !streq(x->only, k->asset_id))
		return 0;
	r = ledger_idmap_get(x->assets, k->asset_id, true, (void **)&c);
	if (r < 0)
		return r;
	return cp_load(c, k->state_hash, k->seq, k->state);
}

int ledger_checkpoints_load(struct ledger *l, const char *asset_id, struct ledger_idmap *assets)
{
	struct cp_load_ctx x = { assets, asset_id };

	return ledger_checkpoints(l, asset_id, cp_load_cb, &x);
}

/* The gated values and pending requests an archive carried on, into an
 * idmap of struct ledger_gated: where older events were taken out, every
 * walk of the approvals starts from them. */
struct gated_load {
	struct ledger_idmap *assets;
	const char *only;
};

static int gated_load_cb(const struct ledger_checkpoint *k, void *userdata)
{
	struct gated_load *x = userdata;
	struct ledger_gated *g;
	json_t *j;
	int r;

	if (x->only && !streq(x->only, k->asset_id))
		return 0;
	r = ledger_idmap_get(x->assets, k->asset_id, true, (void **)&g);
	if (r < 0)
		return r;
	j = json_loads(nn(k->state), 0, NULL);
	r = ledger_gated_from_json(g, json_object_get(j, "approved"));
	json_decref(j);
	return r == -EINVAL ? 0 : r;
}

int ledger_gated_checkpoints(struct ledger *l, const char *asset_id, struct ledger_idmap *assets)
{
	struct gated_load x = { assets, asset_id };

	return ledger_checkpoints(l, asset_id, gated_load_cb, &x);
}

/* ---- the checkpoints' digest, which the archive event names ---- */

static int digest_cb(const struct ledger_checkpoint *k, void *userdata)
{
	json_t *rows = userdata, *state = json_loads(nn(k->state), 0, NULL);

	return json_array_append_new(rows, json_pack("[s, I, s, o]", k->asset_id, (json_int_t)k->seq,
						     nn(k->state_hash), state ? state : json_null())) < 0 ? -ENOMEM : 0;
}

int ledger_checkpoints_digest(struct ledger *l, char ret_hex[65])
{
	json_t *rows = json_array();
	_cleanup_free_ char *canon = NULL;
	uint8_t h[crypto_hash_sha256_BYTES];
	size_t len;
	int r;

	if (!rows)
		return -ENOMEM;
	r = ledger_checkpoints(l, NULL, digest_cb, rows);
	if (r >= 0)
		r = canon_json(rows, &canon, &len);
	json_decref(rows);
	if (r < 0)
		return r;
	crypto_hash_sha256(h, (const uint8_t *)canon, len);
	hex_encode(h, sizeof(h), ret_hex);
	return 0;
}

/* ---- planning an archive ---- */

void ledger_archive_plan_release(struct ledger_archive_plan *p)
{
	if (!p)
		return;
	json_decref(p->checkpoints);
	memset(p, 0, sizeof(*p));
}

static bool records_certificate(const struct ledger_event *e)
{
	return e->changes && strstr(e->changes, "\"certificate_id\":[");
}

/* Pass 1: where the range ends. Every event older than `before`, none that
 * records a certificate kept longer, ending on a signed event (the end of a
 * transaction). The chain is checked on the way. */
struct scan {
	const char *before, *keep_certs;
	char prev[LEDGER_HASH_HEX];
	uint64_t last_signed;
	char last_hash[LEDGER_HASH_HEX];
	char why[300];
	bool broken;
};

static int scan_cb(const struct ledger_event *e, void *userdata)
{
	struct scan *s = userdata;
	char h[LEDGER_HASH_HEX];

	if (strcmp(nn(e->time_utc), s->before) >= 0) {
		snprintf(s->why, sizeof(s->why), "event %" PRIu64 " is of %s, not before %s", e->seq, nn(e->time_utc),
			 s->before);
		return -ECANCELED;
	}
	if (s->keep_certs && records_certificate(e) && strcmp(nn(e->time_utc), s->keep_certs) >= 0) {
		snprintf(s->why, sizeof(s->why), "event %" PRIu64 " (asset %s) records a certificate of %s, which is kept "
			 "until its own retention ends", e->seq, nn(e->asset_id), nn(e->time_utc));
		return -ECANCELED;
	}
	ledger_event_hash(e, h);
	if (!e->hash || !streq(h, e->hash) || !streq(s->prev, nn(e->prev_hash))) {
		snprintf(s->why, sizeof(s->why), "event %" PRIu64 " does not check out: run 'ledger verify'", e->seq);
		s->broken = true;
		return -ECANCELED;
	}
	memcpy(s->prev, h, sizeof(h));
	if (e->signature && e->signature_len) {
		s->last_signed = e->seq;
		memcpy(s->last_hash, h, sizeof(h));
	}
	return 0;
}

/* Pass 2: the events of the range, into the document and the states. */
struct take {
	json_t *events;
	struct ledger_idmap *assets;
};

static int take_cb(const struct ledger_event *e, void *userdata)
{
	struct take *t = userdata;
	struct cp *c;
	int r;

	if (json_array_append_new(t->events, ledger_event_to_json(e)) < 0)
		return -ENOMEM;
	if (!*nn(e->asset_id))
		return 0;
	r = ledger_idmap_get(t->assets, e->asset_id, true, (void **)&c);
	if (r < 0)
		return r;
	return cp_follow(c, e);
}

struct plan_ctx {
	const char *before, *keep_certs;
	json_t *doc;
	struct ledger_archive_plan p;
};

static int plan_tx(struct ledger *l, void *ctx)
{
	struct plan_ctx *x = ctx;
	struct scan s = { .before = x->before, .keep_certs = x->keep_certs };
	struct ledger_idmap assets = { .vsize = sizeof(struct cp) };
	struct take t = { .assets = &assets };
	json_t *cps = NULL;
	uint64_t aseq;
	char ahash[LEDGER_HASH_HEX];
	int r;

	r = ledger_archived_head(l, &aseq, ahash);
	if (r < 0)
		return r;
	x->p.first = aseq + 1;
	snprintf(x->p.prev_hash, sizeof(x->p.prev_hash), "%s", aseq ? ahash : LEDGER_ZERO_HASH);
	memcpy(s.prev, x->p.prev_hash, sizeof(s.prev));
	r = ledger_event_range(l, x->p.first, INT64_MAX, scan_cb, &s);
	if (r < 0 && r != -ECANCELED)
		return r;
	snprintf(x->p.ends_because, sizeof(x->p.ends_because), "%s", s.why[0] ? s.why : "the end of the ledger");
	if (s.broken) {
		ledger_set_error("%s", s.why);
		return -EBADMSG;
	}
	if (!s.last_signed)
		return -ENODATA;
	x->p.last = s.last_signed;
	memcpy(x->p.head_hash, s.last_hash, sizeof(s.last_hash));
	/* the states the assets had before the range: earlier archives' */
	r = ledger_checkpoints_load(l, NULL, &assets);
	t.events = json_array();
	cps = json_array();
	if (r >= 0 && (!t.events || !cps))
		r = -ENOMEM;
	if (r >= 0)
		r = ledger_event_range(l, x->p.first, x->p.last, take_cb, &t);
	for (size_t i = 0; r >= 0 && i < assets.cap; i++) {
		struct cp *c = (struct cp *)((char *)assets.val + i * assets.vsize);

		if (!assets.key[i] || !c->touched)
			continue;
		r = json_array_append_new(cps, json_pack("{s:s, s:I, s:s, s:o}", "asset_id", assets.key[i], "seq",
							 (json_int_t)c->seq, "state_hash", c->state_hash, "state",
							 cp_state(c))) < 0 ? -ENOMEM : 0;
	}
	ledger_idmap_free(&assets, cp_free);
	if (r >= 0) {
		x->p.n_events = json_array_size(t.events);
		x->doc = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:O, s:O}", "type",
				   trust_doc_to_string(TRUST_DOC_LEDGER_ARCHIVE), "schema", ARCHIVE_SCHEMA,
				   "first", (json_int_t)x->p.first, "last", (json_int_t)x->p.last,
				   "prev_hash", x->p.prev_hash, "head_hash", x->p.head_hash, "before", x->before,
				   "events", t.events, "checkpoints", cps);
		if (!x->doc)
			r = -ENOMEM;
	}
	json_decref(t.events);
	if (r >= 0) {
		x->p.checkpoints = cps;
		return 0;
	}
	json_decref(cps);
	return r;
}

int ledger_archive_plan(struct ledger *l, const char *before_utc, const char *keep_certificates_from,
			json_t **ret_doc, struct ledger_archive_plan *ret)
{
	struct plan_ctx x = { .before = before_utc, .keep_certs = keep_certificates_from };
	int r;

	if (!before_utc)
		return -EINVAL;
	r = ledger_tx_read(l, plan_tx, &x);
	if (r < 0) {
		json_decref(x.doc);
		ledger_archive_plan_release(&x.p);
		if (r == -ENODATA)
			*ret = x.p; /* ends_because says why there is nothing */
		return r;
	}
	*ret_doc = x.doc;
	*ret = x.p;
	return 0;
}

/* ---- committing it: the live ledger without the archived events ---- */

struct commit_ctx {
	const struct ledger_archive_plan *p;
	const char *file_sha256, *reason;
	uint64_t seq;
};

struct head_check {
	const char *want;
	bool same;
};

static int head_cb(const struct ledger_event *e, void *userdata)
{
	struct head_check *h = userdata;

	h->same = e->hash && streq(e->hash, h->want);
	return 0;
}

#define MAX_LISTS 64

static int commit_tx(struct ledger *l, void *ctx)
{
	struct commit_ctx *x = ctx;
	const struct ledger_archive_plan *p = x->p;
	char keys[MAX_LISTS + 4][64], news[MAX_LISTS + 4][96], digest[65], ahash[LEDGER_HASH_HEX];
	const char *k[MAX_LISTS + 4], *o[MAX_LISTS + 4], *n[MAX_LISTS + 4];
	_cleanup_free_ char *changes = NULL;
	char (*serials)[24] = calloc(MAX_LISTS, 24);
	uint64_t aseq;
	size_t nk = 0, ns = 0, i;
	json_t *c;
	int r;

	if (!serials)
		return -ENOMEM;
	/* nothing moved since the plan: the same start, the same head */
	r = ledger_archived_head(l, &aseq, ahash);
	if (r >= 0 && aseq + 1 != p->first)
		r = -ESTALE;
	if (r >= 0) {
		struct head_check h = { p->head_hash, false };

		r = ledger_event_range(l, p->last, p->last, head_cb, &h);
		if (r >= 0 && !h.same)
			r = -ESTALE;
	}
	json_array_foreach(p->checkpoints, i, c) {
		struct ledger_checkpoint cp = {
			.asset_id = json_string_value(json_object_get(c, "asset_id")),
			.seq = (uint64_t)json_integer_value(json_object_get(c, "seq")),
			.state_hash = json_string_value(json_object_get(c, "state_hash")),
		};
		_cleanup_free_ char *state = NULL;

		if (r < 0)
			break;
		state = json_dumps(json_object_get(c, "state"), JSON_COMPACT | JSON_SORT_KEYS);
		cp.state = state;
		r = state ? ledger_checkpoint_put_tx(l, &cp) : -ENOMEM;
	}
	if (r >= 0)
		r = ledger_checkpoints_digest(l, digest);
	/* the trust lists' serials the archived events recorded, carried on */
	if (r >= 0)
		r = ledger_trust_recorded_tx(l, MAX_LISTS, keys + 4, serials, &ns);
	if (r < 0) {
		free(serials);
		return r;
	}
	snprintf(keys[0], sizeof(keys[0]), "archive");
	snprintf(news[0], sizeof(news[0]), "%" PRIu64 "-%" PRIu64, p->first, p->last);
	snprintf(keys[1], sizeof(keys[1]), "head");
	snprintf(news[1], sizeof(news[1]), "%" PRIu64 ":%s", p->last, p->head_hash);
	snprintf(keys[2], sizeof(keys[2]), "file");
	snprintf(news[2], sizeof(news[2]), "%s", x->file_sha256);
	snprintf(keys[3], sizeof(keys[3]), "checkpoints");
	snprintf(news[3], sizeof(news[3]), "%s", digest);
	for (i = 0; i < ns; i++)
		snprintf(news[4 + i], sizeof(news[0]), "%s", serials[i]);
	free(serials);
	nk = 4 + ns;
	for (i = 0; i < nk; i++) {
		k[i] = keys[i];
		o[i] = NULL;
		n[i] = news[i];
	}
	changes = ledger_changes_json(nk, k, o, n);
	if (!changes)
		return -ENOMEM;
	r = ledger_append_tx(l, NULL, "archive", changes, x->reason, &x->seq);
	if (r >= 0)
		r = ledger_events_drop_tx(l, p->last, p->head_hash);
	return r;
}

int ledger_archive_commit(struct ledger *l, const struct ledger_archive_plan *p, const char *file_sha256,
			  const char *reason, uint64_t *ret_seq)
{
	struct commit_ctx x = { p, file_sha256, reason };
	enum trust_role role;
	int r;

	if (!l->signer.add)
		return -ENOKEY;
	role = trust_seckey_role(l->signer.key);
	if (role != TRUST_ROLE_APPROVER && role != TRUST_ROLE_ORG_ROOT)
		return -EPERM;
	if (!p || !p->last || !file_sha256 || strlen(file_sha256) != 64 || !reason || !*reason)
		return -EINVAL;
	r = ledger_tx_write(l, commit_tx, &x);
	if (r >= 0 && ret_seq)
		*ret_seq = x.seq;
	return r < 0 ? r : 0;
}

/* ---- the live ledger's side of verify ---- */

struct last_archive {
	char *changes;
	uint64_t seq;
};

static int last_archive_cb(const struct ledger_event *e, void *userdata)
{
	struct last_archive *a = userdata;

	if (!streq(nn(e->kind), "archive"))
		return 0;
	free(a->changes);
	a->changes = strdup(nn(e->changes));
	a->seq = e->seq;
	return a->changes ? 0 : -ENOMEM;
}

static const char *change_new(json_t *j, const char *key)
{
	return json_string_value(json_array_get(json_object_get(j, key), 1));
}

int ledger_archive_check_tx(struct ledger *l, char *detail, size_t len, uint64_t *ret_seq)
{
	struct last_archive a = {};
	char ahash[LEDGER_HASH_HEX], head[100], digest[65];
	uint64_t aseq;
	json_t *j;
	int r;

	r = ledger_archived_head(l, &aseq, ahash);
	if (r < 0)
		return r;
	if (!aseq)
		return 0;
	r = ledger_history(l, "", last_archive_cb, &a);
	if (r < 0)
		goto out;
	*ret_seq = a.seq;
	if (!a.changes) {
		snprintf(detail, len, "events 1..%" PRIu64 " are gone, and no archive event in the ledger says they "
			 "were archived", aseq);
		r = -EBADMSG;
		goto out;
	}
	j = json_loads(a.changes, 0, NULL);
	snprintf(head, sizeof(head), "%" PRIu64 ":%s", aseq, ahash);
	r = ledger_checkpoints_digest(l, digest);
	if (r >= 0 && !streq(nn(change_new(j, "head")), head)) {
		snprintf(detail, len, "the ledger starts after event %" PRIu64 ", but its last archive (event %" PRIu64
			 ") took events up to %s: events were removed without an archive", aseq, a.seq,
			 nn(change_new(j, "head")));
		r = -EBADMSG;
	} else if (r >= 0 && !streq(nn(change_new(j, "checkpoints")), digest)) {
		snprintf(detail, len, "the states the archive of event %" PRIu64 " carried on were changed since "
			 "(checkpoints sha256 %.16s..., recorded %.16s...)", a.seq, digest, nn(change_new(j, "checkpoints")));
		r = -EBADMSG;
	}
	json_decref(j);
out:
	free(a.changes);
	return r;
}

/* ---- an archive file, checked alone ---- */

_printf_(2, 3)
static int archive_bad(struct ledger_archive_report *rep, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->detail, sizeof(rep->detail), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* An event of the archive as the store would hand it over (pointers into
 * the document, valid while it lives). */
static int event_of(const json_t *o, struct ledger_event *e)
{
	const char *sig = jstr(o, "signature");

	*e = (struct ledger_event) {
		.seq = (uint64_t)json_integer_value(json_object_get(o, "seq")),
		.asset_id = jstr(o, "asset_id"), .kind = jstr(o, "kind"), .changes = jstr(o, "changes_text"),
		.state_hash = jstr(o, "state_hash"), .actor = jstr(o, "actor"), .reason = jstr(o, "reason"),
		.time_utc = jstr(o, "time_utc"), .time_local = jstr(o, "time_local"), .prev_hash = jstr(o, "prev_hash"),
		.hash = jstr(o, "hash"), .key_id = jstr(o, "key_id"),
		.signature = (const uint8_t *)sig, .signature_len = sig ? strlen(sig) : 0,
		.covers_from = (uint64_t)json_integer_value(json_object_get(o, "covers_from")),
	};
	return e->asset_id && e->kind && e->changes && e->state_hash && e->actor && e->reason && e->time_utc &&
	       e->time_local && e->prev_hash && e->hash ? 0 : -EINVAL;
}

int ledger_archive_verify(const uint8_t *doc, size_t len, const char *sig, size_t sig_len,
			  const struct trust_store *s, struct ledger_archive_report *ret)
{
	struct ledger_archive_report rep = {};
	struct ledger_sig_result sr = {};
	struct trust_result tr;
	struct ledger_event *ev = NULL;
	json_t *j = NULL, *events, *cps, *o;
	char prev[LEDGER_HASH_HEX], h[LEDGER_HASH_HEX];
	size_t n, i;
	int r;

	if (canon_parse((const char *)doc, len, &j) < 0) {
		r = archive_bad(&rep, "not an archive: the file is not canonical JSON");
		goto out;
	}
	if (!streq(nn(jstr(j, "type")), trust_doc_to_string(TRUST_DOC_LEDGER_ARCHIVE)) ||
	    !streq(nn(jstr(j, "schema")), ARCHIVE_SCHEMA)) {
		r = archive_bad(&rep, "not a %s archive", ARCHIVE_SCHEMA);
		goto out;
	}
	/* who made it: an approver or the org-root of this organisation */
	r = trust_verify(s, TRUST_DOC_LEDGER_ARCHIVE, doc, len, sig, sig_len, &tr);
	if (r < 0)
		goto out;
	if (tr.verdict != TRUST_OK) {
		r = archive_bad(&rep, "the archive's signature (key %s) does not verify: %s", tr.keyid,
				trust_verdict_string(tr.verdict));
		goto out;
	}
	if (!streq(nn(tr.member->org), nn(trust_store_org(s)))) {
		r = archive_bad(&rep, "the archive is signed by %s of %s, not a member of %s", tr.member->name,
				nn(tr.member->org), nn(trust_store_org(s)));
		goto out;
	}
	snprintf(rep.signer, sizeof(rep.signer), "%s (%s, key %s)", tr.member->name, trust_role_to_string(tr.member->role),
		 tr.keyid);
	rep.first = (uint64_t)json_integer_value(json_object_get(j, "first"));
	rep.last = (uint64_t)json_integer_value(json_object_get(j, "last"));
	snprintf(rep.prev_hash, sizeof(rep.prev_hash), "%s", nn(jstr(j, "prev_hash")));
	snprintf(rep.head_hash, sizeof(rep.head_hash), "%s", nn(jstr(j, "head_hash")));
	events = json_object_get(j, "events");
	n = json_array_size(events);
	if (!rep.first || rep.last < rep.first || n != rep.last - rep.first + 1) {
		r = archive_bad(&rep, "the archive says events %" PRIu64 "..%" PRIu64 " but holds %zu", rep.first, rep.last, n);
		goto out;
	}
	if (rep.first == 1 && !streq(rep.prev_hash, LEDGER_ZERO_HASH)) {
		r = archive_bad(&rep, "the chain's first event follows nothing, but the archive names a hash before it");
		goto out;
	}
	ev = calloc(n, sizeof(*ev));
	if (!ev) {
		r = -ENOMEM;
		goto out;
	}
	/* the chain over the archive, from the hash before it to its head */
	memcpy(prev, rep.prev_hash, sizeof(prev));
	json_array_foreach(events, i, o) {
		if (event_of(o, &ev[i]) < 0 || ev[i].seq != rep.first + i) {
			r = archive_bad(&rep, "event %zu of the archive is not event %" PRIu64 " of a ledger", i + 1,
					rep.first + i);
			goto out;
		}
		ledger_event_hash(&ev[i], h);
		if (!streq(h, ev[i].hash)) {
			r = archive_bad(&rep, "event %" PRIu64 " (asset %s, %s) does not match its hash: it was edited",
					ev[i].seq, ev[i].asset_id, ev[i].time_utc);
			goto out;
		}
		if (!streq(prev, ev[i].prev_hash)) {
			r = archive_bad(&rep, "event %" PRIu64 " does not link to the event before it: events were removed, "
					"inserted or reordered", ev[i].seq);
			goto out;
		}
		memcpy(prev, h, sizeof(prev));
	}
	if (!streq(prev, rep.head_hash)) {
		r = archive_bad(&rep, "the archive's head is not its last event's hash");
		goto out;
	}
	r = ledger_verify_event_list(s, ev, n, &sr);
	if (r == -EBADMSG) {
		snprintf(rep.detail, sizeof(rep.detail), "%s", sr.detail);
		goto out;
	}
	if (r < 0)
		goto out;
	rep.n_events = n;
	rep.n_signed = sr.n_signed;
	rep.n_covered = sr.n_covered;
	/* each checkpoint is the state its asset's last event here left */
	cps = json_object_get(j, "checkpoints");
	json_array_foreach(cps, i, o) {
		const char *id = jstr(o, "asset_id");
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
		const struct ledger_event *last = NULL;

		for (size_t k = 0; k < n; k++)
			if (id && streq(ev[k].asset_id, id))
				last = &ev[k];
		if (!last || last->seq != seq || !streq(last->state_hash, nn(jstr(o, "state_hash")))) {
			r = archive_bad(&rep, "the checkpoint of asset %s is not the state its last archived event left",
					nn(id));
			goto out;
		}
		rep.n_checkpoints++;
	}
	r = 0;
out:
	free(ev);
	json_decref(j);
	if (r == 0 || r == -EBADMSG)
		*ret = rep;
	return r;
}
