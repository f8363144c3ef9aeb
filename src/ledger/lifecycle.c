/* lifecycle.c - the one table of an asset's statuses and transitions (see
 * lifecycle.h; drawn in docs/ledger.md, "The life of a medium").
 *
 * Data, not code: a status row says what it allows, a transition row who
 * makes it and what it needs. The functions below only read the table; a
 * rule that is not a row here is not a rule. Never prints, never writes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ledger-internal.h"
#include "wipecert/lifecycle.h"
#include "wipecert/util.h"

#define HERE_OPS (LC_OP_WIPE | LC_OP_DESTROY | LC_OP_APPROVE | LC_OP_HANDOVER)

static const struct lc_status statuses[_LEDGER_STATUS_MAX] = {
	[LEDGER_STATUS_IN_SERVICE] = { LEDGER_STATUS_IN_SERVICE, "in-service", "稼働中",
		"使用中|運用中|稼動中|在庫", HERE_OPS, false, false, 0, NULL },
	[LEDGER_STATUS_RETIRED] = { LEDGER_STATUS_RETIRED, "retired", "使用終了",
		"使用停止|停止|撤去済み|撤去", HERE_OPS, false, false, 0, NULL },
	[LEDGER_STATUS_AWAITING_ERASURE] = { LEDGER_STATUS_AWAITING_ERASURE, "awaiting-erasure", "消去待ち",
		"消去待|廃棄予定|廃棄待ち", HERE_OPS, false, false, 0, NULL },
	[LEDGER_STATUS_ERASED] = { LEDGER_STATUS_ERASED, "erased", "消去済み",
		"消去済|データ消去済み", HERE_OPS, false, false, 0, NULL },
	[LEDGER_STATUS_APPROVED] = { LEDGER_STATUS_APPROVED, "approved", "承認済み",
		"承認済|証明書発行済み", HERE_OPS, false, false, 0, NULL },
	[LEDGER_STATUS_DISPOSED] = { LEDGER_STATUS_DISPOSED, "disposed", "廃棄済み",
		"廃棄済|廃棄", 0, true, false, 0, "it is disposed of already" },
	[LEDGER_STATUS_HANDED_TO_CONTRACTOR] = { LEDGER_STATUS_HANDED_TO_CONTRACTOR, "handed-to-contractor",
		"業者引渡し済み", "業者引渡し|業者引渡|引渡済み|委託業者引渡し", LC_OP_ACCEPT, false, false, 0,
		"it is with a contractor: its certificate comes from the contractor (accept)" },
	[LEDGER_STATUS_DESTROYED] = { LEDGER_STATUS_DESTROYED, "destroyed", "破壊済み",
		"破壊済|物理破壊済み", 0, true, false, 0, "it is destroyed already" },
	[LEDGER_STATUS_TAKEN_OUT] = { LEDGER_STATUS_TAKEN_OUT, "taken-out", "持出し中",
		"持出中|持ち出し中|持出し", 0, false, true, LC_NEED_PERMIT,
		"it is taken out (持出し): record its return first" },
	[LEDGER_STATUS_LOST] = { LEDGER_STATUS_LOST, "lost", "紛失",
		"紛失中", 0, false, true, LC_NEED_INCIDENT | LC_NEED_THREAT,
		"it is lost: an incident, not a disposal; it cannot be erased, destroyed or certified" },
	[LEDGER_STATUS_STOLEN] = { LEDGER_STATUS_STOLEN, "stolen", "盗難",
		"盗難被害", 0, false, true, LC_NEED_INCIDENT | LC_NEED_THREAT,
		"it is stolen: an incident, not a disposal; it cannot be erased, destroyed or certified" },
	[LEDGER_STATUS_WRITTEN_OFF] = { LEDGER_STATUS_WRITTEN_OFF, "written-off", "除却",
		"除却済み|除却済", 0, true, false, LC_NEED_INCIDENT,
		"it was written off after a loss or theft: it was never disposed of" },
	[LEDGER_STATUS_IN_REPAIR] = { LEDGER_STATUS_IN_REPAIR, "in-repair", "修理・保守中",
		"修理中|保守中|修理|保守", 0, false, true, 0,
		"it is out for repair or maintenance: record its return first" },
	[LEDGER_STATUS_LEASE_RETURNED] = { LEDGER_STATUS_LEASE_RETURNED, "lease-returned", "リース返却済み",
		"リース返却|リース返却済|返却済み", 0, true, false, LC_NEED_LEASE,
		"it went back to the lease company" },
	[LEDGER_STATUS_EVIDENCE_HOLD] = { LEDGER_STATUS_EVIDENCE_HOLD, "evidence-hold", "証拠保全",
		"証拠保全中|保全中", 0, false, true, LC_NEED_INCIDENT,
		"it is under evidence hold (証拠保全): nothing may erase, destroy, hand over or certify it "
		"until an approver lifts the hold" },
};

#define S(x) LC_S(LEDGER_STATUS_##x)
/* the medium is here and not disposed of */
#define HERE (S(IN_SERVICE) | S(RETIRED) | S(AWAITING_ERASURE) | S(ERASED) | S(APPROVED))
/* the medium is somewhere else, still ours */
#define AWAY (S(TAKEN_OUT) | S(IN_REPAIR) | S(HANDED_TO_CONTRACTOR))

static const struct lc_transition transitions[] = {
	{ HERE, LEDGER_STATUS_RETIRED, LC_BY_EDIT, LC_ROLES_LEDGER, 0,
	  "taken out of use" },
	{ HERE, LEDGER_STATUS_AWAITING_ERASURE, LC_BY_EDIT | LC_BY_SEAL, LC_ROLES_LEDGER, 0,
	  "due for erasure (or a wipe of it failed)" },
	{ HERE, LEDGER_STATUS_IN_SERVICE, LC_BY_EDIT, LC_ROLES_LEDGER, LC_NEED_APPROVER,
	  "back into use, with its data" },
	{ HERE, LEDGER_STATUS_ERASED, LC_BY_SEAL, LC_ROLES_LEDGER, 0,
	  "a verified wipe of it sealed" },
	{ S(ERASED) | S(APPROVED), LEDGER_STATUS_APPROVED, LC_BY_CERT, LC_ROLES_APPROVER, 0,
	  "its erasure certificate issued" },
	{ HERE, LEDGER_STATUS_DESTROYED, LC_BY_CERT, LC_ROLES_APPROVER, 0,
	  "its destruction certificate issued" },
	{ S(ERASED) | S(APPROVED) | S(DESTROYED), LEDGER_STATUS_DISPOSED, LC_BY_EDIT, LC_ROLES_LEDGER, 0,
	  "disposed of, after its certificate" },
	{ S(HANDED_TO_CONTRACTOR), LEDGER_STATUS_DISPOSED, LC_BY_ACCEPT, LC_ROLES_LEDGER, 0,
	  "the contractor's certificate accepted" },
	{ HERE, LEDGER_STATUS_HANDED_TO_CONTRACTOR, LC_BY_EDIT | LC_BY_CUSTODY, LC_ROLES_LEDGER, LC_NEED_APPROVER,
	  "handed to a contractor (it leaves the house)" },
	{ HERE, LEDGER_STATUS_TAKEN_OUT, LC_BY_EDIT, LC_ROLES_LEDGER, LC_NEED_PERMIT,
	  "taken out (持出し), permitted by another person" },
	{ S(TAKEN_OUT), 0, LC_BY_EDIT, LC_ROLES_LEDGER, LC_NEED_PREVIOUS,
	  "returned from being taken out" },
	{ HERE | AWAY | S(EVIDENCE_HOLD) | S(STOLEN), LEDGER_STATUS_LOST, LC_BY_EDIT, LC_ROLES_LEDGER,
	  LC_NEED_INCIDENT | LC_NEED_THREAT, "reported lost (an incident)" },
	{ HERE | AWAY | S(EVIDENCE_HOLD) | S(LOST), LEDGER_STATUS_STOLEN, LC_BY_EDIT, LC_ROLES_LEDGER,
	  LC_NEED_INCIDENT | LC_NEED_THREAT, "reported stolen (an incident)" },
	{ S(LOST) | S(STOLEN), LEDGER_STATUS_WRITTEN_OFF, LC_BY_EDIT, LC_ROLES_LEDGER,
	  LC_NEED_APPROVER | LC_NEED_INCIDENT, "written off: the incident closed, the medium never found" },
	{ S(LOST) | S(STOLEN), 0, LC_BY_EDIT, LC_ROLES_LEDGER, LC_NEED_APPROVER | LC_NEED_PREVIOUS,
	  "found" },
	{ HERE, LEDGER_STATUS_IN_REPAIR, LC_BY_EDIT, LC_ROLES_LEDGER, LC_NEED_WIPED_OR_AGREEMENT,
	  "sent for repair or maintenance (wiped first, or under a contract that covers the data)" },
	{ S(IN_REPAIR), 0, LC_BY_EDIT, LC_ROLES_LEDGER, LC_NEED_PREVIOUS,
	  "back from repair or maintenance" },
	{ S(ERASED) | S(APPROVED), LEDGER_STATUS_LEASE_RETURNED, LC_BY_EDIT, LC_ROLES_LEDGER, LC_NEED_LEASE,
	  "returned to the lease company (erased first)" },
	{ HERE | AWAY, LEDGER_STATUS_EVIDENCE_HOLD, LC_BY_EDIT, LC_ROLES_LEDGER, LC_NEED_INCIDENT,
	  "held as evidence (証拠保全) while an incident is investigated" },
	{ S(EVIDENCE_HOLD), 0, LC_BY_EDIT, LC_ROLES_LEDGER, LC_NEED_APPROVER | LC_NEED_PREVIOUS,
	  "evidence hold lifted" },
};
#undef S

const struct lc_status *lifecycle_status(enum ledger_status s)
{
	return (unsigned)s < _LEDGER_STATUS_MAX ? &statuses[s] : NULL;
}

size_t lifecycle_n_transitions(void)
{
	return ARRAY_SIZE(transitions);
}

const struct lc_transition *lifecycle_transition(size_t i)
{
	return i < ARRAY_SIZE(transitions) ? &transitions[i] : NULL;
}

/* ---- status names (ledger.h) ---- */

const char *ledger_status_name(enum ledger_status s)
{
	return (unsigned)s < _LEDGER_STATUS_MAX ? statuses[s].name : NULL;
}

static bool alias_match(const char *aliases, const char *s)
{
	for (const char *p = aliases; p && *p;) {
		size_t n = strcspn(p, "|");

		if (n == strlen(s) && strncmp(p, s, n) == 0)
			return true;
		p += n + (p[n] == '|');
	}
	return false;
}

int ledger_status_from_string(const char *s, enum ledger_status *ret)
{
	if (!s)
		return -EINVAL;
	for (unsigned i = 0; i < _LEDGER_STATUS_MAX; i++)
		if (strcasecmp(s, statuses[i].name) == 0 || streq(s, statuses[i].ja) ||
		    alias_match(statuses[i].aliases, s)) {
			*ret = (enum ledger_status)i;
			return 0;
		}
	return -EINVAL;
}

/* ---- transitions ---- */

const struct lc_transition *lifecycle_find(enum ledger_status from, enum ledger_status to, unsigned by)
{
	if ((unsigned)from >= _LEDGER_STATUS_MAX || (unsigned)to >= _LEDGER_STATUS_MAX)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(transitions); i++) {
		const struct lc_transition *t = &transitions[i];

		if ((t->from & LC_S(from)) && !(t->needs & LC_NEED_PREVIOUS) && t->to == to && (t->by & by))
			return t;
	}
	/* a status left by going back: its return, whatever the target (the
	 * check compares it with the status before) */
	if (statuses[from].returns)
		for (size_t i = 0; i < ARRAY_SIZE(transitions); i++) {
			const struct lc_transition *t = &transitions[i];

			if ((t->from & LC_S(from)) && (t->needs & LC_NEED_PREVIOUS) && (t->by & by))
				return t;
		}
	return NULL;
}

bool lifecycle_needs_approval(const char *from, const char *to)
{
	enum ledger_status f, t;
	const struct lc_transition *tr;

	if (!from || !to || streq(from, to))
		return false;
	if (ledger_status_from_string(from, &f) < 0 || ledger_status_from_string(to, &t) < 0)
		return false;
	tr = lifecycle_find(f, t, LC_BY_ANY);
	if (tr)
		return tr->needs & LC_NEED_APPROVER;
	/* a move the table does not know (written before it): the rule then */
	return t == LEDGER_STATUS_IN_SERVICE || t == LEDGER_STATUS_HANDED_TO_CONTRACTOR;
}

_printf_(3, 4)
static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EPERM;
}

static const char *op_name(enum lc_op op)
{
	switch (op) {
	case LC_OP_WIPE: return "wiped";
	case LC_OP_DESTROY: return "destroyed";
	case LC_OP_APPROVE: return "certified";
	case LC_OP_HANDOVER: return "handed over";
	case LC_OP_ACCEPT: return "accepted as disposed";
	default: return "touched";
	}
}

int lifecycle_allows(const char *status, enum lc_op op, char *why, size_t len)
{
	enum ledger_status s = LEDGER_STATUS_IN_SERVICE;
	const struct lc_status *st;

	if (status && ledger_status_from_string(status, &s) < 0)
		return refuse(why, len, "unknown status '%s'", status);
	st = &statuses[s];
	if (st->allows & op)
		return 0;
	/* only a medium handed to a contractor comes back as a certificate */
	if (op == LC_OP_ACCEPT && !st->why_blocked)
		return refuse(why, len, "%s, not handed-to-contractor", st->name);
	if (st->why_blocked)
		return refuse(why, len, "%s: %s", st->name, st->why_blocked);
	return refuse(why, len, "%s: it cannot be %s in this status", st->name, op_name(op));
}

/* ---- the status an asset returns to ---- */

static bool incident_pair(enum ledger_status a, enum ledger_status b)
{
	return (a == LEDGER_STATUS_LOST || a == LEDGER_STATUS_STOLEN) &&
	       (b == LEDGER_STATUS_LOST || b == LEDGER_STATUS_STOLEN);
}

void lifecycle_history_add(struct lc_history *h, const char *changes)
{
	json_t *j, *v;
	enum ledger_status o, n;
	const char *os, *ns;

	/* most events change no status: no JSON parse for them */
	if (!changes || !strstr(changes, "\"status\""))
		return;
	j = json_loads(changes, 0, NULL);
	v = json_object_get(j, "status");
	os = json_string_value(json_array_get(v, 0));
	ns = json_string_value(json_array_get(v, 1));
	if (!ns || ledger_status_from_string(ns, &n) < 0) {
		json_decref(j);
		return;
	}
	if (!os || ledger_status_from_string(os, &o) < 0) {
		h->n = 0; /* created: nothing before */
	} else if (statuses[o].returns && h->n && h->stack[h->n - 1] == n) {
		h->n--;   /* went back */
	} else if (incident_pair(o, n)) {
		;         /* lost <-> stolen: the same incident, reclassified */
	} else if (statuses[n].returns) {
		if (h->n == ARRAY_SIZE(h->stack))
			memmove(h->stack, h->stack + 1, sizeof(h->stack) - sizeof(h->stack[0])), h->n--;
		h->stack[h->n++] = o;
	} else {
		h->n = 0; /* left by another way (written off): nothing to go back to */
	}
	json_decref(j);
}

int lifecycle_history_previous(const struct lc_history *h, enum ledger_status *ret)
{
	if (!h->n)
		return -ENOENT;
	*ret = h->stack[h->n - 1];
	return 0;
}

/* ---- one change of an asset ---- */

static const char *status_of(const struct ledger_asset *a)
{
	const char *s = ledger_asset_value(a, LEDGER_F_STATUS);

	return s ? s : "in-service";
}

static bool set(const struct ledger_asset *a, enum ledger_field f)
{
	const char *v = ledger_asset_value(a, f);

	return v && *v;
}

static bool changed(const struct ledger_asset *old, const struct ledger_asset *a, enum ledger_field f)
{
	const char *o = old ? ledger_asset_value(old, f) : NULL, *n = ledger_asset_value(a, f);

	return (o == NULL) != (n == NULL) || (o && !streq(o, n));
}

/* The fields a status (or a transition) needs, on the asset as it will be. */
static int check_needs(const struct ledger_asset *old, const struct ledger_asset *a, unsigned needs,
		       const char *st, bool entering, const char *actor, char *why, size_t len)
{
	const char *id = ledger_asset_value(a, LEDGER_F_ASSET_ID) ?: "?";

	if ((needs & LC_NEED_PERMIT) && !set(a, LEDGER_F_PERMITTED_BY))
		return refuse(why, len, "asset %s: %s needs who permitted it (permitted_by, 持出し許可者)", id, st);
	/* a permission is another person's word */
	if ((needs & LC_NEED_PERMIT) && actor && (entering || changed(old, a, LEDGER_F_PERMITTED_BY)) &&
	    streq(ledger_asset_value(a, LEDGER_F_PERMITTED_BY), actor))
		return refuse(why, len, "asset %s: %s is permitted by another person than %s, who records it", id, st,
			      actor);
	if ((needs & LC_NEED_INCIDENT) && !set(a, LEDGER_F_INCIDENT))
		return refuse(why, len, "asset %s: %s needs the incident reference (incident, 事案番号)", id, st);
	if ((needs & LC_NEED_THREAT) && !set(a, LEDGER_F_THREAT))
		return refuse(why, len, "asset %s: %s needs the incident's threat level (threat_level 1-3)", id, st);
	if ((needs & LC_NEED_LEASE) && !set(a, LEDGER_F_LEASE))
		return refuse(why, len, "asset %s: %s needs the lease company it goes back to (lease)", id, st);
	return 0;
}

/* Where an asset in status o may go: "taken-out (back, returned), lost, ..." */
static void targets(enum ledger_status o, int previous, char *out, size_t len)
{
	size_t k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(transitions) && k < len; i++) {
		const struct lc_transition *x = &transitions[i];

		if (!(x->from & LC_S(o)))
			continue;
		if (x->needs & LC_NEED_PREVIOUS)
			k += (size_t)snprintf(out + k, len - k, "%s%s (back: %s)", k ? ", " : "",
					      previous >= 0 ? statuses[previous].name : "its status before", x->what);
		else
			k += (size_t)snprintf(out + k, len - k, "%s%s", k ? ", " : "", statuses[x->to].name);
	}
}

int lifecycle_check(const struct ledger_asset *old, const struct ledger_asset *a, unsigned by, int role,
		    const char *actor, int previous, char *why, size_t len)
{
	const char *id = ledger_asset_value(a, LEDGER_F_ASSET_ID) ?: "?";
	const char *ns = status_of(a), *os = old ? status_of(old) : NULL;
	const struct lc_transition *t;
	enum ledger_status n, o;
	bool entering;
	int r;

	if (ledger_status_from_string(ns, &n) < 0)
		return refuse(why, len, "asset %s: unknown status '%s'", id, ns);
	if (os && ledger_status_from_string(os, &o) < 0)
		return refuse(why, len, "asset %s: unknown status '%s' on record", id, os);
	entering = !os || o != n;
	/* what the status holds, whether it is entered now or edited in it */
	r = check_needs(old, a, statuses[n].holds, statuses[n].name, entering, actor, why, len);
	if (r < 0 || !os || !entering)
		return r;
	t = lifecycle_find(o, n, LC_BY_ANY);
	if (!t) {
		char to[256];

		if (statuses[o].final)
			return refuse(why, len, "asset %s is %s: that is final, it cannot become %s", id,
				      statuses[o].name, statuses[n].name);
		targets(o, previous, to, sizeof(to));
		return refuse(why, len, "asset %s cannot go from %s to %s (from %s: %s)", id, statuses[o].name,
			      statuses[n].name, statuses[o].name, to);
	}
	if (!(t->by & by)) {
		const char *step = t->by & LC_BY_SEAL ? "sealing a verified wipe (wipe, seal)" :
				   t->by & LC_BY_CERT ? "issuing its certificate (approve)" :
				   t->by & LC_BY_ACCEPT ? "accepting the contractor's certificate (accept)" :
				   t->by & LC_BY_CUSTODY ? "recording the hand-over (custody)" : "ledger status";
		return refuse(why, len, "asset %s: %s -> %s is made by %s, not by hand", id, statuses[o].name,
			      statuses[n].name, step);
	}
	if (role >= 0 && !(t->roles & LC_ROLE(role)))
		return refuse(why, len, "asset %s: %s -> %s (%s) may not be recorded by a %s", id, statuses[o].name,
			      statuses[n].name, t->what, trust_role_to_string((enum trust_role)role));
	if (t->needs & LC_NEED_PREVIOUS) {
		char to[256];

		targets(o, previous, to, sizeof(to));
		if (previous >= 0 && (enum ledger_status)previous != n)
			return refuse(why, len, "asset %s cannot go from %s to %s (from %s: %s)", id, statuses[o].name,
				      statuses[n].name, statuses[o].name, to);
		if (previous < 0 && n != LEDGER_STATUS_IN_SERVICE && n != LEDGER_STATUS_RETIRED &&
		    n != LEDGER_STATUS_AWAITING_ERASURE)
			return refuse(why, len, "asset %s: its history does not say what it was before %s: it goes back "
				      "to in-service, retired or awaiting-erasure", id, statuses[o].name);
	}
	if ((t->needs & LC_NEED_WIPED_OR_AGREEMENT) && o != LEDGER_STATUS_ERASED && o != LEDGER_STATUS_APPROVED &&
	    !set(a, LEDGER_F_AGREEMENT))
		return refuse(why, len, "asset %s is %s: it is %s only after a verified wipe, or under a contract that "
			      "covers its data (agreement, 契約番号)", id, statuses[o].name, statuses[n].name);
	r = check_needs(old, a, t->needs, statuses[n].name, true, actor, why, len);
	if (r < 0)
		return r;
	return (t->needs & LC_NEED_APPROVER) ? 1 : 0;
}

/* ---- inside the store's write transaction ---- */

struct prev_ctx {
	struct lc_history h;
	const char *asset_id;
};

/* Where an archive took the asset's older events: the statuses it carried on. */
static int prev_checkpoint_cb(const struct ledger_checkpoint *k, void *userdata)
{
	struct prev_ctx *p = userdata;
	json_t *j;

	if (!streq(k->asset_id, p->asset_id))
		return 0;
	j = json_loads(k->state ? k->state : "", 0, NULL);
	lifecycle_history_from_json(&p->h, json_object_get(j, "returns"));
	json_decref(j);
	return 0;
}


static int prev_cb(const struct ledger_event *e, void *userdata)
{
	struct prev_ctx *p = userdata;
	const char *k = e->kind ? e->kind : "";

	/* only what took effect: a request waits, a denial drops it */
	if (streq(k, "create") || streq(k, "update") || streq(k, "approve"))
		lifecycle_history_add(&p->h, e->changes);
	return 0;
}

static int status_history(struct ledger *l, const char *asset_id, struct prev_ctx *p)
{
	int r;

	p->asset_id = asset_id;
	r = ledger_checkpoints(l, asset_id, prev_checkpoint_cb, p);
	return r < 0 ? r : ledger_history(l, asset_id, prev_cb, p);
}

int ledger_lifecycle_tx(struct ledger *l, const struct ledger_asset *old, const struct ledger_asset *a,
			unsigned by, const char *actor)
{
	const struct lc_status *st = NULL;
	enum ledger_status os, prev;
	int previous = -1, role = -1, r;
	char why[300];

	if (old && ledger_status_from_string(ledger_asset_value(old, LEDGER_F_STATUS) ?: "in-service", &os) == 0)
		st = lifecycle_status(os);
	/* leaving a status by going back: where to, from the asset's history */
	if (st && st->returns && !streq(ledger_asset_value(old, LEDGER_F_STATUS),
					ledger_asset_value(a, LEDGER_F_STATUS) ?: "in-service")) {
		struct prev_ctx p = {};

		r = status_history(l, ledger_asset_value(old, LEDGER_F_ASSET_ID), &p);
		if (r < 0)
			return r;
		if (lifecycle_history_previous(&p.h, &prev) == 0)
			previous = (int)prev;
	}
	if (l->signer.key)
		role = (int)trust_seckey_role(l->signer.key);
	r = lifecycle_check(old, a, by, role, actor ? actor : l->signer.name, previous, why, sizeof(why));
	if (r == -EPERM)
		ledger_set_error("%s", why);
	return r;
}

int ledger_asset_status_before(struct ledger *l, const char *asset_id, enum ledger_status *ret)
{
	struct prev_ctx p = {};
	struct ledger_asset a = {};
	enum ledger_status s;
	int r;

	r = ledger_asset_get(l, asset_id, &a);
	if (r < 0)
		return r;
	r = ledger_status_from_string(ledger_asset_value(&a, LEDGER_F_STATUS) ?: "in-service", &s);
	ledger_asset_clear(&a);
	if (r < 0)
		return r;
	if (!lifecycle_status(s)->returns)
		return -ENOMSG;
	r = status_history(l, asset_id, &p);
	if (r < 0)
		return r;
	return lifecycle_history_previous(&p.h, ret);
}

json_t *lifecycle_history_to_json(const struct lc_history *h)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < h->n; i++)
		json_array_append_new(a, json_string(ledger_status_name(h->stack[i])));
	return a;
}

void lifecycle_history_from_json(struct lc_history *h, const json_t *a)
{
	size_t i;
	json_t *v;

	h->n = 0;
	json_array_foreach(a, i, v) {
		enum ledger_status s;

		if (h->n < ARRAY_SIZE(h->stack) && ledger_status_from_string(json_string_value(v), &s) == 0)
			h->stack[h->n++] = s;
	}
}
