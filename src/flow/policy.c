/* policy.c - read and apply the organisation's disposal policy file.
 *
 * The file is INI-like, one "key = value" a line under [organisation],
 * [titles] and [class N] sections; '#' starts a comment. Anything not
 * understood is an error with its line number: a policy that silently
 * ignored a misspelt "destruction = required" would allow what the
 * organisation forbade.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "wipecert/erase.h"
#include "wipecert/policy.h"
#include "wipecert/util.h"

static void strv_free_(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void policy_release(struct policy *p)
{
	if (!p)
		return;
	free(p->source);
	free(p->org_name);
	free(p->org_name_en);
	free(p->logo);
	for (int i = 0; i < POLICY_CLASSES; i++) {
		strv_free_(p->cls[i].methods);
		free(p->cls[i].approver_role);
		free(p->cls[i].approver_title);
	}
	for (size_t i = 0; i < p->n_titles; i++) {
		free(p->titles[i].role);
		free(p->titles[i].title);
	}
	free(p->titles);
	free(p->cert.client);
	free(p->cert.client_unit);
	free(p->cert.site);
	free(p->cert.room);
	free(p->cert.layout);
	memset(p, 0, sizeof(*p));
}

unsigned policy_level_from_string(const char *s)
{
	if (streq(s, "clear"))
		return LEVEL_CLEAR;
	if (streq(s, "purge"))
		return LEVEL_PURGE;
	if (streq(s, "destroy"))
		return LEVEL_DESTROY;
	return 0;
}

const char *policy_level_to_string(unsigned level)
{
	switch (level) {
	case LEVEL_CLEAR: return "clear";
	case LEVEL_PURGE: return "purge";
	case LEVEL_DESTROY: return "destroy";
	}
	return NULL;
}

static int set_str(char **field, const char *v)
{
	char *n = strdup(v);

	if (!n)
		return -ENOMEM;
	free(*field);
	*field = n;
	return 0;
}

static int set_title(struct policy *p, const char *role, const char *title)
{
	struct policy_title *nt;

	for (size_t i = 0; i < p->n_titles; i++)
		if (streq(p->titles[i].role, role))
			return set_str(&p->titles[i].title, title);
	nt = realloc(p->titles, (p->n_titles + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	p->titles = nt;
	nt[p->n_titles].role = strdup(role);
	nt[p->n_titles].title = strdup(title);
	if (!nt[p->n_titles].role || !nt[p->n_titles].title)
		return -ENOMEM;
	p->n_titles++;
	return 0;
}

int policy_default(struct policy *ret)
{
	static const struct {
		const char *role, *title;
	} titles[] = {
		{ "technician", "作業者 / Technician" },
		{ "approver", "情報資産管理責任者 / Information Asset Manager" },
		{ "contractor-technician", "委託業者 作業者 / Contractor Technician" },
		{ "contractor-approver", "委託業者 責任者 / Contractor Manager" },
		{ "org-root", "組織 / Organisation" },
		{ "witness", "立会者 / Witness" },
		{ "auditor", "監査人 / Auditor" },
	};
	struct policy p = { 0 };
	int r = 0;

	for (int i = 0; i < POLICY_CLASSES; i++) {
		p.cls[i].levels = LEVEL_CLEAR | LEVEL_PURGE | LEVEL_DESTROY;
		p.cls[i].approval_required = true;
		r |= set_str(&p.cls[i].approver_role, "approver");
		r |= set_str(&p.cls[i].approver_title, titles[1].title);
	}
	/* class 1 (the most sensitive) must not be merely cleared, and its
	 * disposal is approved by the security manager */
	p.cls[0].levels = LEVEL_PURGE | LEVEL_DESTROY;
	r |= set_str(&p.cls[0].approver_title, "情報セキュリティ管理者 / Information Security Manager");
	r |= set_str(&p.source, "built-in");
	/* the guideline's 機密性3 (secret) is held to the strictest class */
	p.class_of_confidentiality[3] = 1;
	p.class_of_confidentiality[2] = 2;
	p.class_of_confidentiality[1] = 3;
	p.inspect = (struct policy_inspect) { .awaiting_erasure_days = 30, .contractor_days = 60, .taken_out_days = 14 };
	/* one municipal rule keeps operation logs 7 years; certificates 10 */
	p.retention = (struct policy_retention) { .events_months = 84, .certificates_months = 120, .oplog_months = 84 };
	for (size_t i = 0; i < ARRAY_SIZE(titles); i++)
		r |= set_title(&p, titles[i].role, titles[i].title);
	if (r) {
		policy_release(&p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

static int parse_bool_word(const char *v, const char *yes, const char *no, bool *ret)
{
	if (streq(v, yes) || streq(v, "yes") || streq(v, "true")) {
		*ret = true;
		return 0;
	}
	if (streq(v, no) || streq(v, "no") || streq(v, "false")) {
		*ret = false;
		return 0;
	}
	return -EINVAL;
}

/* "purge, destroy" or "purge destroy" */
static int split_words(const char *v, char ***ret)
{
	char **w = NULL;
	size_t n = 0;
	const char *p = v;

	while (*p) {
		size_t len;
		char **nw;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		nw = realloc(w, (n + 2) * sizeof(*nw));
		if (!nw) {
			strv_free_(w);
			return -ENOMEM;
		}
		w = nw;
		w[n] = strndup(p, len);
		w[++n] = NULL;
		p += len;
	}
	*ret = w;
	return (int)n;
}

static int class_key(struct policy_class *c, const char *key, const char *val, const char **what)
{
	char **words = NULL;
	int r;

	if (streq(key, "levels")) {
		unsigned levels = 0;

		r = split_words(val, &words);
		if (r <= 0) {
			*what = "levels needs clear, purge and/or destroy";
			return r < 0 ? r : -EINVAL;
		}
		for (char **w = words; *w; w++) {
			unsigned l = policy_level_from_string(*w);

			if (!l) {
				strv_free_(words);
				*what = "unknown level (clear, purge, destroy)";
				return -EINVAL;
			}
			levels |= l;
		}
		strv_free_(words);
		c->levels = levels;
		return 0;
	}
	if (streq(key, "methods")) {
		r = split_words(val, &words);
		if (r < 0)
			return r;
		strv_free_(c->methods);
		c->methods = NULL;
		if (r == 1 && streq(words[0], "*"))
			strv_free_(words);
		else
			c->methods = words;
		return 0;
	}
	if (streq(key, "approval")) {
		*what = "approval is required or optional";
		return parse_bool_word(val, "required", "optional", &c->approval_required);
	}
	if (streq(key, "destruction")) {
		*what = "destruction is required or optional";
		return parse_bool_word(val, "required", "optional", &c->destruction_required);
	}
	if (streq(key, "witness")) {
		*what = "witness is required or optional";
		return parse_bool_word(val, "required", "optional", &c->witness_required);
	}
	if (streq(key, "approver_role"))
		return set_str(&c->approver_role, val);
	if (streq(key, "approver_title"))
		return set_str(&c->approver_title, val);
	*what = "unknown key in a class section";
	return -EINVAL;
}

/* [witness]: erasure, destruction, contractor, handover = required | optional */
static int witness_key(struct policy *p, const char *key, const char *val, const char **what)
{
	static const struct {
		const char *name;
		unsigned bit;
	} kinds[] = {
		{ "erasure", WITNESS_ERASURE }, { "destruction", WITNESS_DESTRUCTION },
		{ "contractor", WITNESS_CONTRACTOR }, { "handover", WITNESS_HANDOVER },
	};
	bool on;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (streq(key, kinds[i].name)) {
			*what = "a witness is required or optional";
			if (parse_bool_word(val, "required", "optional", &on) < 0)
				return -EINVAL;
			p->witness_kinds = on ? p->witness_kinds | kinds[i].bit : p->witness_kinds & ~kinds[i].bit;
			return 0;
		}
	*what = "unknown key in [witness] (erasure, destruction, contractor, handover)";
	return -EINVAL;
}

/* [certificate]: what certificates name unless the command says otherwise */
static int cert_key(struct policy *p, const char *key, const char *val, const char **what)
{
	if (streq(key, "client"))
		return set_str(&p->cert.client, val);
	if (streq(key, "client_unit"))
		return set_str(&p->cert.client_unit, val);
	if (streq(key, "site"))
		return set_str(&p->cert.site, val);
	if (streq(key, "room"))
		return set_str(&p->cert.room, val);
	if (streq(key, "layout")) {
		*what = "layout is standard or municipal";
		if (!streq(val, "standard") && !streq(val, "municipal"))
			return -EINVAL;
		return set_str(&p->cert.layout, val);
	}
	*what = "unknown key in [certificate] (client, client_unit, site, room, layout)";
	return -EINVAL;
}

bool policy_witness_required(const struct policy *p, int asset_class, unsigned kind, const char **ret_why)
{
	static const char *const why[] = { "every erasure", "every destruction", "a contractor's work",
					   "a hand-over to a contractor" };

	if (asset_class >= 1 && asset_class <= POLICY_CLASSES && p->cls[asset_class - 1].witness_required) {
		if (ret_why)
			*ret_why = "its importance class";
		return true;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(why); i++)
		if ((kind & p->witness_kinds) & (1u << i)) {
			if (ret_why)
				*ret_why = why[i];
			return true;
		}
	return false;
}

/* [classification]: "confidentiality N = CLASS" */
static int classification_key(struct policy *p, const char *key, const char *val, const char **what)
{
	int level, cls, n = 0;

	*what = "in [classification]: confidentiality 1|2|3 = class 1|2|3";
	if (sscanf(key, "confidentiality %d%n", &level, &n) != 1 || key[n] || level < 1 || level > 3)
		return -EINVAL;
	if (sscanf(val, "%d%n", &cls, &n) != 1 || val[n] || cls < 1 || cls > POLICY_CLASSES)
		return -EINVAL;
	p->class_of_confidentiality[level] = cls;
	return 0;
}

int policy_class_of_confidentiality(const struct policy *p, int c)
{
	return c >= 1 && c <= 3 ? p->class_of_confidentiality[c] : 0;
}

/* A whole number of days, or of months ("7y", "84m", "10 years"). */
static int parse_count(const char *v, bool months, unsigned *ret)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	n = strtoul(v, &end, 10);
	while (*end == ' ')
		end++;
	if (months) {
		if (streq(end, "y") || streq(end, "years") || streq(end, "year") || streq(end, "年"))
			n *= 12;
		else if (!(streq(end, "m") || streq(end, "months") || streq(end, "month") || streq(end, "か月")))
			return -EINVAL;
	} else if (*end && !streq(end, "d") && !streq(end, "days") && !streq(end, "日"))
		return -EINVAL;
	if (n == 0 || n > 100000)
		return -EINVAL;
	*ret = (unsigned)n;
	return 0;
}

/* [inspect]: the thresholds of the inspection (点検), in days */
static int inspect_key(struct policy *p, const char *key, const char *val, const char **what)
{
	unsigned *to = streq(key, "awaiting_erasure_days") ? &p->inspect.awaiting_erasure_days :
		       streq(key, "contractor_days") ? &p->inspect.contractor_days :
		       streq(key, "taken_out_days") ? &p->inspect.taken_out_days : NULL;

	if (!to) {
		*what = "unknown key in [inspect] (awaiting_erasure_days, contractor_days, taken_out_days)";
		return -EINVAL;
	}
	*what = "a number of days";
	return parse_count(val, false, to);
}

/* [retention]: events, certificates, oplog = 7y | 84m */
static int retention_key(struct policy *p, const char *key, const char *val, const char **what)
{
	unsigned *to = streq(key, "events") ? &p->retention.events_months :
		       streq(key, "certificates") ? &p->retention.certificates_months :
		       streq(key, "oplog") ? &p->retention.oplog_months : NULL;

	if (!to) {
		*what = "unknown key in [retention] (events, certificates, oplog)";
		return -EINVAL;
	}
	*what = "a retention is years or months: 7y, 84m";
	return parse_count(val, true, to);
}

enum section {
	SEC_NONE, SEC_ORG, SEC_TITLES, SEC_CLASS, SEC_CLASSIFICATION, SEC_INSPECT, SEC_RETENTION, SEC_CSV,
	SEC_WITNESS, SEC_CERT,
};

/* "[class 2]" and the others; -1 for a name no section has. */
static int section_of(const char *s, int *ret_cls)
{
	if (streq(s, "organisation") || streq(s, "organization"))
		return SEC_ORG;
	if (streq(s, "titles"))
		return SEC_TITLES;
	if (sscanf(s, "class %d", ret_cls) == 1 && *ret_cls >= 1 && *ret_cls <= POLICY_CLASSES && strlen(s) == 7)
		return SEC_CLASS;
	if (streq(s, "witness"))
		return SEC_WITNESS;
	if (streq(s, "certificate"))
		return SEC_CERT;
	if (streq(s, "classification"))
		return SEC_CLASSIFICATION;
	if (streq(s, "inspect"))
		return SEC_INSPECT;
	if (streq(s, "retention"))
		return SEC_RETENTION;
	if (streq(s, "csv") || strncmp(s, "csv values ", 11) == 0)
		return SEC_CSV; /* the spreadsheet import's column map: ledger import reads it */
	return -1;
}

/* One key = value of a section into p; -EINVAL with *what for a line the
 * policy does not know. */
static int section_key(struct policy *p, enum section sec, int cls, const char *key, const char *val,
		       const char **what)
{
	switch (sec) {
	case SEC_NONE:
		*what = "key outside a section";
		return -EINVAL;
	case SEC_ORG:
		if (streq(key, "name"))
			return set_str(&p->org_name, val);
		if (streq(key, "name_en"))
			return set_str(&p->org_name_en, val);
		if (streq(key, "logo"))
			return set_str(&p->logo, val);
		*what = "unknown key in [organisation] (name, name_en, logo)";
		return -EINVAL;
	case SEC_TITLES:
		return set_title(p, key, val);
	case SEC_CLASS:
		*what = NULL;
		return class_key(&p->cls[cls - 1], key, val, what);
	case SEC_CLASSIFICATION:
		return classification_key(p, key, val, what);
	case SEC_INSPECT:
		return inspect_key(p, key, val, what);
	case SEC_RETENTION:
		return retention_key(p, key, val, what);
	case SEC_CSV:
		return 0;
	case SEC_WITNESS:
		return witness_key(p, key, val, what);
	case SEC_CERT:
		*what = NULL;
		return cert_key(p, key, val, what);
	}
	return 0;
}

int policy_load(const char *path, struct policy *ret, char **ret_error)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	int sec = SEC_NONE;
	struct policy p;
	const char *what = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int cls = 0, r;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	r = policy_default(&p);
	if (r < 0)
		return r;
	free(p.source);
	p.source = strdup(path);
	while (getline(&line, &cap, f) > 0) {
		char *s = NULL, *val = NULL;
		int kind;

		lineno++;
		kind = ini_line(line, &s, &val);
		if (kind == INI_BLANK)
			continue;
		if (kind < 0) {
			what = s;
			goto bad;
		}
		if (kind == INI_SECTION) {
			sec = section_of(s, &cls);
			if (sec < 0) {
				what = "unknown section (organisation, titles, certificate, witness, class 1, class 2, "
				       "class 3, classification, inspect, retention, csv)";
				goto bad;
			}
			continue;
		}
		r = section_key(&p, (enum section)sec, cls, s, val, &what);
		if (r == -EINVAL)
			goto bad;
		if (r < 0) {
			policy_release(&p);
			return r;
		}
	}
	for (int i = 0; i < POLICY_CLASSES; i++) {
		if (p.cls[i].destruction_required && !(p.cls[i].levels & LEVEL_DESTROY)) {
			if (ret_error && asprintf(ret_error, "%s: class %d requires destruction but does not accept the destroy level", path, i + 1) < 0)
				*ret_error = NULL;
			policy_release(&p);
			return -EINVAL;
		}
	}
	*ret = p;
	return 0;
bad:
	if (ret_error && asprintf(ret_error, "%s:%u: %s", path, lineno, what ? what : "bad value") < 0)
		*ret_error = NULL;
	policy_release(&p);
	return -EINVAL;
}

int policy_check_method(const struct policy *p, int asset_class, const char *method, unsigned level,
			char **ret_reason)
{
	const struct policy_class *c;
	char *reason = NULL;

	if (asset_class < 1 || asset_class > POLICY_CLASSES)
		return -EINVAL;
	c = &p->cls[asset_class - 1];
	if (c->destruction_required && level != LEVEL_DESTROY) {
		if (asprintf(&reason, "class %d assets must be physically destroyed (policy %s)", asset_class, p->source) < 0)
			reason = NULL;
	} else if (!(c->levels & level)) {
		if (asprintf(&reason, "method %s reaches only %s, which class %d does not accept (policy %s)", method,
			     policy_level_to_string(level) ? policy_level_to_string(level) : "an unknown level",
			     asset_class, p->source) < 0)
			reason = NULL;
	} else if (c->methods) {
		bool found = false;

		/* a name in the file may be nwipe's for the same method */
		for (char **m = c->methods; *m && !found; m++)
			found = streq(*m, method) ||
				(erase_method_find(*m) && erase_method_find(*m) == erase_method_find(method));
		if (!found && asprintf(&reason, "method %s is not on the list allowed for class %d (policy %s)", method,
				       asset_class, p->source) < 0)
			reason = NULL;
		if (found)
			return 0;
	} else {
		return 0;
	}
	if (ret_reason)
		*ret_reason = reason;
	else
		free(reason);
	return -EPERM;
}

const char *policy_role_title(const struct policy *p, const char *role)
{
	for (size_t i = 0; i < p->n_titles; i++)
		if (streq(p->titles[i].role, role))
			return p->titles[i].title;
	return role;
}
