/* lifecycle.h - the life of a medium in the ledger: its statuses, the
 * transitions between them, who may make each and what each needs, and the
 * commands each status blocks. One table (src/ledger/lifecycle.c, drawn in
 * docs/ledger.md), consulted by every write of the ledger, by `ledger
 * verify --trust` (which changes needed an approver), and by the flow
 * steps before they act (wipe, destroy, approve, hand-over, accept).
 *
 * Its job: say yes or no, and why, from the asset's fields and its status
 * history. It must never be bypassed by a second copy of its rules
 * elsewhere, never print, and never touch the store except to read an
 * asset's history (the status it returns to).
 */
#ifndef WIPECERT_LIFECYCLE_H
#define WIPECERT_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

#include "wipecert/ledger.h"
#include "wipecert/trust.h"

/* The commands a status may block (bits). */
enum lc_op {
	LC_OP_WIPE = 1 << 0,      /* overwrite or firmware-erase it (wipe, seal) */
	LC_OP_DESTROY = 1 << 1,   /* record a physical destruction */
	LC_OP_APPROVE = 1 << 2,   /* issue a certificate for it (approve, cert issue) */
	LC_OP_HANDOVER = 1 << 3,  /* hand it to a contractor (custody, handed-to-contractor) */
	LC_OP_ACCEPT = 1 << 4,    /* accept a contractor's certificate for it */
	LC_OP_ALL = (1 << 5) - 1,
};

/* How a transition is made (bits): by hand, or as a step's result. */
enum lc_by {
	LC_BY_EDIT = 1 << 0,      /* ledger edit, ledger status, ledger import --update */
	LC_BY_SEAL = 1 << 1,      /* a wipe sealed (erased; failed: awaiting-erasure) */
	LC_BY_CERT = 1 << 2,      /* a certificate issued (approved, destroyed) */
	LC_BY_ACCEPT = 1 << 3,    /* a contractor's certificate accepted (disposed) */
	LC_BY_CUSTODY = 1 << 4,   /* a hand-over recorded with its receipt */
	LC_BY_STEP = LC_BY_SEAL | LC_BY_CERT | LC_BY_ACCEPT | LC_BY_CUSTODY,
	LC_BY_ANY = LC_BY_EDIT | LC_BY_STEP,
};

/* What a transition needs besides a reason (every event has one) (bits). */
enum lc_need {
	LC_NEED_APPROVER = 1 << 0,  /* recorded as a request; an approver's signature applies it */
	LC_NEED_PERMIT = 1 << 1,    /* permitted_by: who permitted it, not the actor */
	LC_NEED_INCIDENT = 1 << 2,  /* incident: the incident reference */
	LC_NEED_THREAT = 1 << 3,    /* threat_level */
	LC_NEED_WIPED_OR_AGREEMENT = 1 << 4, /* erased before, or agreement: the contract covering the data */
	LC_NEED_LEASE = 1 << 5,     /* lease: the lease company it goes back to */
	LC_NEED_PREVIOUS = 1 << 6,  /* it goes back to the status it had before (returns, found, lifted) */
};

/* Roles that may record a transition (bits of 1 << enum trust_role). */
#define LC_ROLE(r) (1u << (r))
#define LC_ROLES_LEDGER (LC_ROLE(TRUST_ROLE_TECHNICIAN) | LC_ROLE(TRUST_ROLE_APPROVER) | \
			 LC_ROLE(TRUST_ROLE_ORG_ROOT) | LC_ROLE(TRUST_ROLE_CONTRACTOR_TECHNICIAN) | \
			 LC_ROLE(TRUST_ROLE_CONTRACTOR_APPROVER))
#define LC_ROLES_APPROVER (LC_ROLE(TRUST_ROLE_APPROVER) | LC_ROLE(TRUST_ROLE_CONTRACTOR_APPROVER) | \
			   LC_ROLE(TRUST_ROLE_ORG_ROOT))

struct lc_status {
	enum ledger_status status;
	const char *name;         /* "taken-out" */
	const char *ja;           /* "持出し中" */
	const char *aliases;      /* more names an import accepts, '|' separated (Japanese registers) */
	unsigned allows;          /* LC_OP_* this status allows; the others it blocks */
	bool final;               /* nothing leaves it */
	bool returns;             /* left by going back to the status before (LC_NEED_PREVIOUS) */
	unsigned holds;           /* LC_NEED_* fields that must stay set while in it */
	const char *why_blocked;  /* the words a refusal uses: "it is under evidence hold ..." */
};

struct lc_transition {
	unsigned from;            /* bits of 1 << enum ledger_status */
	enum ledger_status to;    /* ignored with LC_NEED_PREVIOUS: the status before */
	unsigned by;              /* LC_BY_* */
	unsigned roles;           /* LC_ROLE() bits that may record it (or request it) */
	unsigned needs;           /* LC_NEED_* */
	const char *what;         /* "taken out with permission" */
};

#define LC_S(s) (1u << (s))

/* The table. */
const struct lc_status *lifecycle_status(enum ledger_status s);
size_t lifecycle_n_transitions(void);
const struct lc_transition *lifecycle_transition(size_t i);

/* The transition that takes from to to (made as by; LC_BY_ANY for any),
 * directly or, from a status left by returning, as the return; NULL if
 * there is none. */
const struct lc_transition *lifecycle_find(enum ledger_status from, enum ledger_status to, unsigned by);

/* Does moving an asset from status from to status to need an approver's
 * signature? Text names as stored; NULL from: a new asset (never). A pair
 * the table does not know (an old ledger's) falls back to the rule before
 * the table: back to in-service, or out to handed-to-contractor. */
bool lifecycle_needs_approval(const char *from, const char *to);

/* Does status s (a name; NULL: in-service) allow op? 0, or -EPERM with
 * why (one line) filled. */
int lifecycle_allows(const char *status, enum lc_op op, char *why, size_t len);

/* The status an asset goes back to from a status left by returning
 * (taken-out, in-repair, lost, stolen, evidence-hold): its status before
 * that, followed through its status history (nested: a medium lost while
 * taken out is found back taken out). changes: the "changes" JSON of the
 * asset's events in order; feed each with lifecycle_history_add(). */
struct lc_history {
	enum ledger_status stack[16];
	size_t n;
};
void lifecycle_history_add(struct lc_history *h, const char *changes);
/* The status to return to; -ENOENT if the history does not say (an asset
 * created in such a status). */
int lifecycle_history_previous(const struct lc_history *h, enum ledger_status *ret);

/* Check a change of an asset (old NULL: a new one) made as by, by a
 * signer of role role (-1: not known here), actor its name: the status
 * move is a transition of the table that by may make and role may record,
 * what it needs is there, and the status's held fields stay set. previous:
 * what the asset returns to (lifecycle_history_previous(), -1 if unknown),
 * used when it leaves a returning status. Returns 0 (ungated) or 1 (the
 * status change waits for an approver), -EPERM with why filled. */
int lifecycle_check(const struct ledger_asset *old, const struct ledger_asset *a, unsigned by, int role,
		    const char *actor, int previous, char *why, size_t len);

/* The status asset_id goes back to from the status it is in now (taken-out,
 * in-repair, lost, stolen, evidence-hold): -ENOMSG if it is in no such
 * status, -ENOENT if its history does not say (created in it). */
int ledger_asset_status_before(struct ledger *l, const char *asset_id, enum ledger_status *ret);

#endif
