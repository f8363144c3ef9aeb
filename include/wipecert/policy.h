/* policy.h - the organisation's disposal policy: per importance class
 * (重要性分類 1-3), which sanitisation levels and methods are acceptable,
 * whether a second person must approve, whether physical destruction is
 * mandatory, and the role titles printed on certificates.
 *
 * Its job: read and check the policy file. It must never decide by itself
 * to allow something the file does not allow: unknown keys, classes or
 * levels are errors, not ignored.
 */
#ifndef WIPECERT_POLICY_H
#define WIPECERT_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/* NIST SP 800-88 sanitisation levels, as a bit set. */
enum {
	LEVEL_CLEAR = 1 << 0,
	LEVEL_PURGE = 1 << 1,
	LEVEL_DESTROY = 1 << 2,
};

#define POLICY_CLASSES 3

struct policy_class {
	unsigned levels;          /* acceptable levels (LEVEL_*) */
	char **methods;           /* NULL-terminated allow list; NULL: any method of an acceptable level */
	bool approval_required;
	bool destruction_required;
	bool witness_required;    /* a witness signs every disposal of this class */
	char *approver_role;      /* trust role that must approve: "approver" */
	char *approver_title;     /* "情報セキュリティ管理者 / Information Security Manager" */
};

struct policy_title {
	char *role;               /* "technician", "approver", ... */
	char *title;              /* "作業者 / Technician" */
};

/* Kinds of work a witness must sign for, whatever the class ([witness]). */
enum {
	WITNESS_ERASURE = 1 << 0,     /* every erasure */
	WITNESS_DESTRUCTION = 1 << 1, /* every physical destruction */
	WITNESS_CONTRACTOR = 1 << 2,  /* a contractor's work (on site) */
	WITNESS_HANDOVER = 1 << 3,    /* assets handed to a contractor (搬出) */
};

/* What certificates name by default ([certificate]); each is overridable
 * per command. */
struct policy_cert {
	char *client;             /* 依頼者 */
	char *client_unit;
	char *site;               /* 作業場所: address */
	char *room;
	char *layout;             /* "standard" or "municipal" */
};

/* [inspect]: when the inspection (点検) names an asset as overdue. */
struct policy_inspect {
	unsigned awaiting_erasure_days;   /* awaiting-erasure longer than this */
	unsigned contractor_days;         /* handed to a contractor, no certificate accepted */
	unsigned taken_out_days;          /* taken out without a return date, longer than this */
};

/* [retention]: how long each kind of record is kept, in months (7y = 84). */
struct policy_retention {
	unsigned events_months;           /* the ledger's events (変更履歴) */
	unsigned certificates_months;     /* certificates and their records */
	unsigned oplog_months;            /* the operation log */
};

struct policy {
	char *source;             /* file it came from, or "built-in" */
	char *org_name;           /* 〇〇市 */
	char *org_name_en;
	char *logo;               /* PNG path, may be NULL */
	struct policy_class cls[POLICY_CLASSES]; /* index 0 is class 1 */
	struct policy_title *titles;
	size_t n_titles;
	unsigned witness_kinds;   /* WITNESS_* */
	struct policy_cert cert;
	/* [classification]: the national guideline's 機密性 level (1..3, 3:
	 * secret) to the importance class it is held to (0: not mapped) */
	int class_of_confidentiality[4];
	struct policy_inspect inspect;
	struct policy_retention retention;
};

/* Must a witness sign this disposal? class 1-3; kind one WITNESS_* bit.
 * *ret_why (static text) names the rule. */
bool policy_witness_required(const struct policy *p, int asset_class, unsigned kind, const char **ret_why);

/* The built-in policy used when no file is given (documented in
 * docs/policy.md): class 1 purge or destroy, classes 2-3 any level,
 * approval required for all. */
int policy_default(struct policy *ret);
/* Parse a policy file on top of the built-in defaults. On a syntax error
 * returns -EINVAL and, if ret_error is given, a message "FILE:LINE: what". */
int policy_load(const char *path, struct policy *ret, char **ret_error);
void policy_release(struct policy *p);

/* The importance class an asset of confidentiality level c (1..3) is held
 * to by [classification]; 0 if not mapped. */
int policy_class_of_confidentiality(const struct policy *p, int c);

/* "clear", "purge", "destroy" <-> LEVEL_*; 0 / -EINVAL when unknown. */
unsigned policy_level_from_string(const char *s);
const char *policy_level_to_string(unsigned level);

/* May method (of the given level) be used on an asset of this class?
 * 0 if so; -EPERM with *ret_reason (malloc'd) naming the rule otherwise;
 * -EINVAL for a class outside 1-3. */
int policy_check_method(const struct policy *p, int asset_class, const char *method, unsigned level,
			char **ret_reason);

/* The title to print for a role ("approver" -> "情報資産管理責任者 / ..."),
 * or the role name itself when the policy has none. */
const char *policy_role_title(const struct policy *p, const char *role);

#endif
