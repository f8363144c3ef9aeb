/* change.c - what a change to an asset is: its JSON diff, which changes the
 * disposal policy depends on (those wait for an approver), and the
 * bookkeeping of pending change requests along an asset's history; plus the
 * small asset-ID table the import and the checks share.
 *
 * Pure functions over assets and event texts; it must never touch the store
 * (store.c writes what these functions decide) and never print.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "ledger-internal.h"
#include "wipecert/lifecycle.h"
#include "wipecert/util.h"

/* ---- the JSON diff {"field":[old,new],...} ---- */

struct sbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* A JSON string; values are valid UTF-8 (ledger_asset_set checks). */
static void sb_json_str(struct sbuf *b, const char *s)
{
	if (!s) {
		sb_put(b, "null", 4);
		return;
	}
	sb_put(b, "\"", 1);
	while (*s) {
		size_t n = strcspn(s, "\"\\\n\t\r\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
				  "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f");
		char esc[8];

		sb_put(b, s, n);
		s += n;
		if (!*s)
			break;
		switch (*s) {
		case '"': sb_put(b, "\\\"", 2); break;
		case '\\': sb_put(b, "\\\\", 2); break;
		case '\n': sb_put(b, "\\n", 2); break;
		case '\t': sb_put(b, "\\t", 2); break;
		case '\r': sb_put(b, "\\r", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			sb_put(b, esc, 6);
		}
		s++;
	}
	sb_put(b, "\"", 1);
}

static void sb_pair(struct sbuf *b, bool *any, const char *key, const char *o, const char *n)
{
	sb_put(b, *any ? "," : "{", 1);
	*any = true;
	sb_json_str(b, key);
	sb_put(b, ":[", 2);
	sb_json_str(b, o);
	sb_put(b, ",", 1);
	sb_json_str(b, n);
	sb_put(b, "]", 1);
}

static char *sb_finish(struct sbuf *b, bool any)
{
	if (any)
		sb_put(b, "}", 1);
	if (b->oom || !any) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

/* {"field":[old,new],...} in field order, of the fields pick() takes (all
 * if NULL): compact, since every create event carries the whole record.
 * Written by hand: an import makes one a row and a JSON library's
 * allocations showed in the profile. */
static char *diff_json(const struct ledger_asset *old, const struct ledger_asset *a,
		       bool (*pick)(enum ledger_field f, const char *o, const char *n))
{
	struct sbuf b = {};
	bool any = false;

	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		const char *o = old ? old->v[f] : NULL, *n = a->v[f];

		if ((!o && !n) || (o && n && streq(o, n)))
			continue;
		if (pick && !pick(f, o, n))
			continue;
		sb_pair(&b, &any, ledger_field_name(f), o, n);
	}
	return sb_finish(&b, any);
}

char *ledger_diff_json(const struct ledger_asset *old, const struct ledger_asset *a)
{
	return diff_json(old, a, NULL);
}

char *ledger_changes_json(size_t n, const char *const keys[], const char *const olds[],
			  const char *const news[])
{
	struct sbuf b = {};
	bool any = false;

	for (size_t i = 0; i < n; i++)
		sb_pair(&b, &any, keys[i], olds[i], news[i]);
	return sb_finish(&b, any);
}

/* ---- changes the policy depends on ---- */

bool ledger_change_needs_approval(enum ledger_field f, const char *o, const char *n)
{
	if ((!o && !n) || (o && n && streq(o, n)))
		return false;
	switch (f) {
	case LEDGER_F_IMPORTANCE:
		/* a less sensitive class ("1" < "2" < "3") or none at all; a
		 * stricter one is safe and takes effect at once */
		return o && (!n || strcmp(n, o) > 0);
	case LEDGER_F_STATUS:
		/* the lifecycle table says which moves wait for an approver: back
		 * into use with its data, out of the house, a hold lifted, a lost
		 * medium found or written off */
		return lifecycle_needs_approval(o, n);
	case LEDGER_F_SERIAL:
	case LEDGER_F_WWN:
		/* the identity on record ties the entry to one disk */
		return o != NULL;
	default:
		return false;
	}
}

static bool pick_gated(enum ledger_field f, const char *o, const char *n)
{
	return ledger_change_needs_approval(f, o, n);
}

static bool pick_free(enum ledger_field f, const char *o, const char *n)
{
	return !ledger_change_needs_approval(f, o, n);
}

int ledger_change_split(const struct ledger_asset *old, const struct ledger_asset *a,
			struct ledger_asset *ret_now, char **ret_request)
{
	struct ledger_asset now = {};
	_cleanup_free_ char *req = NULL;
	int r;

	r = ledger_asset_copy(a, &now);
	if (r < 0)
		return r;
	/* the gated fields keep their approved value until an approver signs */
	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		if (!ledger_change_needs_approval(f, old->v[f], a->v[f]))
			continue;
		free(now.v[f]);
		now.v[f] = NULL;
		if (old->v[f] && !(now.v[f] = strdup(old->v[f]))) {
			ledger_asset_clear(&now);
			return -ENOMEM;
		}
	}
	req = diff_json(old, a, pick_gated);
	*ret_now = now;
	*ret_request = TAKE_PTR(req);
	return 0;
}

char *ledger_diff_free_json(const struct ledger_asset *old, const struct ledger_asset *a)
{
	return diff_json(old, a, pick_free);
}

int ledger_change_apply(const struct ledger_asset *old, const char *changes, struct ledger_asset *ret)
{
	struct ledger_asset n = {};
	json_t *j = json_loads(changes ? changes : "", 0, NULL), *v;
	const char *key;
	int r;

	if (!json_is_object(j)) {
		json_decref(j);
		return -EINVAL;
	}
	r = ledger_asset_copy(old, &n);
	json_object_foreach(j, key, v) {
		enum ledger_field f;

		if (r < 0)
			break;
		/* every changed field must still hold the value the change started from */
		if (ledger_field_from_header(key, &f) < 0 || !json_is_array(v) || json_array_size(v) != 2 ||
		    !streq(ledger_field_name(f), key)) {
			r = -EINVAL;
			break;
		}
		const char *o = json_string_value(json_array_get(v, 0)), *nv = json_string_value(json_array_get(v, 1));

		if ((o == NULL) != (old->v[f] == NULL) || (o && !streq(o, old->v[f]))) {
			r = -ESTALE;
			break;
		}
		r = ledger_asset_set(&n, f, nv);
	}
	json_decref(j);
	if (r < 0) {
		ledger_asset_clear(&n);
		return r;
	}
	*ret = n;
	return 0;
}

/* ---- the bookkeeping of one asset's gated values and pending request ---- */

void ledger_gated_release(struct ledger_gated *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(g->v); i++)
		free(g->v[i]);
	free(g->req_changes);
	free(g->req_actor);
	free(g->req_key_id);
	*g = (struct ledger_gated) {};
}

static const enum ledger_field gated_fields[] = {
	LEDGER_F_IMPORTANCE, LEDGER_F_STATUS, LEDGER_F_SERIAL, LEDGER_F_WWN,
};
_Static_assert(ARRAY_SIZE(gated_fields) == LEDGER_GATED_FIELDS, "one slot per gated field");

static int gated_slot(enum ledger_field f)
{
	for (size_t i = 0; i < ARRAY_SIZE(gated_fields); i++)
		if (gated_fields[i] == f)
			return (int)i;
	return -1;
}

static int set_str(char **to, const char *v)
{
	char *n = NULL;

	if (v && !(n = strdup(v)))
		return -ENOMEM;
	free(*to);
	*to = n;
	return 0;
}

/* Walk the changes of an event: for each gated field, whether the change
 * would need approval (check) and then its new value (apply). */
static int gated_changes(struct ledger_gated *g, const char *changes, bool check, bool apply,
			 enum ledger_field *ret_field)
{
	json_t *j = json_loads(changes ? changes : "", 0, NULL), *v;
	const char *key;
	int r = 0;

	if (!json_is_object(j)) {
		json_decref(j);
		return -EINVAL;
	}
	json_object_foreach(j, key, v) {
		enum ledger_field f;
		int slot;

		if (ledger_field_from_header(key, &f) < 0 || (slot = gated_slot(f)) < 0)
			continue;
		const char *n = json_string_value(json_array_get(v, 1));

		if (check && ledger_change_needs_approval(f, g->v[slot], n)) {
			*ret_field = f;
			r = -EPERM;
			break;
		}
		if (apply && (r = set_str(&g->v[slot], n)) < 0)
			break;
	}
	json_decref(j);
	return r;
}

/* Does the pending request still start from the approved values? */
static bool request_current(struct ledger_gated *g)
{
	json_t *j = json_loads(g->req_changes ? g->req_changes : "", 0, NULL), *v;
	const char *key;
	bool ok = json_is_object(j);

	json_object_foreach(j, key, v) {
		enum ledger_field f;
		int slot;
		const char *o = json_string_value(json_array_get(v, 0));

		if (ledger_field_from_header(key, &f) < 0 || (slot = gated_slot(f)) < 0 ||
		    (o == NULL) != (g->v[slot] == NULL) || (o && !streq(o, g->v[slot]))) {
			ok = false;
			break;
		}
	}
	json_decref(j);
	return ok;
}

int ledger_gated_event(struct ledger_gated *g, const struct ledger_event *e, bool checked,
		       struct ledger_gated_verdict *ret)
{
	const char *kind = e->kind ? e->kind : "";
	int r;

	*ret = (struct ledger_gated_verdict) {};
	if (streq(kind, "create"))
		return gated_changes(g, e->changes, false, true, NULL);
	if (streq(kind, "update")) {
		r = gated_changes(g, e->changes, checked, false, &ret->field);
		if (r == -EPERM) {
			ret->problem = LEDGER_GATED_UNAPPROVED;
			return 0;
		}
		return r < 0 ? r : gated_changes(g, e->changes, false, true, NULL);
	}
	if (streq(kind, "request")) {
		/* one pending request per asset: a newer one replaces it */
		ret->superseded = g->req_seq;
		g->req_seq = e->seq;
		if ((r = set_str(&g->req_changes, e->changes)) < 0 || (r = set_str(&g->req_actor, e->actor)) < 0 ||
		    (r = set_str(&g->req_key_id, e->key_id)) < 0)
			return r;
		return 0;
	}
	if (streq(kind, "approve") || streq(kind, "deny")) {
		if (!g->req_seq || !streq(g->req_changes ?: "", e->changes ?: "")) {
			ret->problem = LEDGER_GATED_NO_REQUEST;
			return 0;
		}
		ret->request = g->req_seq;
		if (streq(kind, "approve")) {
			if (checked && !request_current(g)) {
				ret->problem = LEDGER_GATED_STALE;
				return 0;
			}
			/* another person, and another key, than the one who asked */
			if (checked && (streq(g->req_actor ?: "", e->actor ?: "") ||
					(g->req_key_id && e->key_id && streq(g->req_key_id, e->key_id)))) {
				ret->problem = LEDGER_GATED_SAME_PERSON;
				return 0;
			}
			r = gated_changes(g, e->changes, false, true, NULL);
			if (r < 0)
				return r;
		}
		g->req_seq = 0;
		return 0;
	}
	if (streq(kind, "note"))
		return 0;
	ret->problem = LEDGER_GATED_UNKNOWN_KIND;
	return 0;
}

int ledger_gated_pending(const struct ledger_gated *g, uint64_t seq)
{
	if (!g->req_seq)
		return -ENOENT;
	if (g->req_seq != seq)
		return -ESRCH; /* superseded by g->req_seq */
	return request_current((struct ledger_gated *)g) ? 0 : -ESTALE;
}

/* ---- a table of asset IDs (open addressing) ---- */

static size_t idmap_slot(const struct ledger_idmap *t, const char *id)
{
	size_t h = 5381;

	for (const char *p = id; *p; p++)
		h = h * 33 + (unsigned char)*p;
	h &= t->cap - 1;
	while (t->key[h] && !streq(t->key[h], id))
		h = (h + 1) & (t->cap - 1);
	return h;
}

static int idmap_grow(struct ledger_idmap *t)
{
	struct ledger_idmap n = { .cap = t->cap ? t->cap * 2 : 1024, .vsize = t->vsize };

	n.key = calloc(n.cap, sizeof(*n.key));
	n.val = calloc(n.cap, n.vsize);
	if (!n.key || !n.val) {
		free(n.key);
		free(n.val);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->cap; i++)
		if (t->key[i]) {
			size_t s = idmap_slot(&n, t->key[i]);

			n.key[s] = t->key[i];
			memcpy((char *)n.val + s * n.vsize, (char *)t->val + i * t->vsize, t->vsize);
			n.n++;
		}
	free(t->key);
	free(t->val);
	*t = n;
	return 0;
}

int ledger_idmap_get(struct ledger_idmap *t, const char *id, bool create, void **ret)
{
	size_t s;

	if (!t->cap && !create)
		return -ENOENT;
	if (create && (t->n + 1) * 2 > t->cap && idmap_grow(t) < 0)
		return -ENOMEM;
	s = idmap_slot(t, id);
	if (t->key[s]) {
		*ret = (char *)t->val + s * t->vsize;
		return 1;
	}
	if (!create)
		return -ENOENT;
	t->key[s] = strdup(id);
	if (!t->key[s])
		return -ENOMEM;
	t->n++;
	*ret = (char *)t->val + s * t->vsize;
	return 0;
}

void ledger_idmap_free(struct ledger_idmap *t, void (*release)(void *val))
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->key[i]) {
			if (release)
				release((char *)t->val + i * t->vsize);
			free(t->key[i]);
		}
	free(t->key);
	free(t->val);
	*t = (struct ledger_idmap) { .vsize = t->vsize };
}

/* ---- an asset's gated values carried across an archive ---- */

json_t *ledger_gated_to_json(const struct ledger_gated *g)
{
	json_t *o = json_object(), *req = json_null();

	if (!o)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(gated_fields); i++)
		json_object_set_new(o, ledger_field_name(gated_fields[i]), g->v[i] ? json_string(g->v[i]) : json_null());
	if (g->req_seq)
		req = json_pack("{s:I, s:s?, s:s?, s:s?}", "seq", (json_int_t)g->req_seq, "changes", g->req_changes,
				"actor", g->req_actor, "key_id", g->req_key_id);
	json_object_set_new(o, "request", req ?: json_null());
	return o;
}

int ledger_gated_from_json(struct ledger_gated *g, const json_t *j)
{
	const json_t *req;
	int r = 0;

	if (!json_is_object(j))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(gated_fields) && r >= 0; i++)
		r = set_str(&g->v[i], json_string_value(json_object_get(j, ledger_field_name(gated_fields[i]))));
	req = json_object_get(j, "request");
	if (r >= 0 && json_is_object(req)) {
		g->req_seq = (uint64_t)json_integer_value(json_object_get(req, "seq"));
		if ((r = set_str(&g->req_changes, json_string_value(json_object_get(req, "changes")))) >= 0 &&
		    (r = set_str(&g->req_actor, json_string_value(json_object_get(req, "actor")))) >= 0)
			r = set_str(&g->req_key_id, json_string_value(json_object_get(req, "key_id")));
	}
	return r;
}
