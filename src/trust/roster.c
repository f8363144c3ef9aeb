/* roster.c - the trust store: who may sign, as what, when.
 *
 * Its job: load root.pub, the roster and the revocation list (and pinned
 * contractors' ones), check every signature, and answer "which member holds
 * this key". It must never use a roster or revocation list whose signature
 * fails, never let a contractor's roster grant anything but contractor
 * roles, and never treat a missing revocation list as "nothing revoked".
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sodium.h>

#include "wipecert/canon.h"
#include "wipecert/roster.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/x509.h"
#include "trust-internal.h"

struct trust_store {
	char *dir;
	char *org;
	struct trust_pubkey root;
	struct trust_member *members;
	size_t n_members;
	struct pinned {
		uint8_t keyid[TRUST_KEYID_BYTES];
		char *org;
	} *pins;  /* contractors whose roster was loaded */
	size_t n_pins;
	struct trust_list lists[2 + 2 * TRUST_MAX_CONTRACTORS];
	size_t n_lists;
	int state_error;
};

static __thread char failed_file[PATH_MAX];
static __thread char failed_reason[PATH_MAX + 256];

const char *trust_store_failed_file(void)
{
	return failed_file;
}

const char *trust_store_failed_reason(void)
{
	return failed_reason;
}

size_t trust_store_n_lists(const struct trust_store *s) { return s->n_lists; }
int trust_store_state_error(const struct trust_store *s) { return s->state_error; }

const struct trust_list *trust_store_list(const struct trust_store *s, size_t i)
{
	return i < s->n_lists ? &s->lists[i] : NULL;
}

static void member_release(struct trust_member *m)
{
	free(m->name);
	free(m->org);
	free(m->revoke_reason);
}

void trust_store_free(struct trust_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_members; i++)
		member_release(&s->members[i]);
	free(s->members);
	for (size_t i = 0; i < s->n_pins; i++)
		free(s->pins[i].org);
	free(s->pins);
	for (size_t i = 0; i < s->n_lists; i++) {
		free(s->lists[i].org);
		free(s->lists[i].path);
	}
	free(s->dir);
	free(s->org);
	free(s);
}

const char *trust_store_org(const struct trust_store *s) { return s->org; }
const char *trust_store_dir(const struct trust_store *s) { return s->dir; }
const struct trust_pubkey *trust_store_root(const struct trust_store *s) { return &s->root; }
size_t trust_store_n_members(const struct trust_store *s) { return s->n_members; }

const struct trust_member *trust_store_member(const struct trust_store *s, size_t i)
{
	return i < s->n_members ? &s->members[i] : NULL;
}

const struct trust_member *trust_store_find(const struct trust_store *s,
					    const uint8_t keyid[TRUST_KEYID_BYTES])
{
	for (size_t i = 0; i < s->n_members; i++)
		if (memcmp(s->members[i].pk.keyid, keyid, TRUST_KEYID_BYTES) == 0)
			return &s->members[i];
	return NULL;
}

const struct trust_member *trust_store_find_x509(const struct trust_store *s, const char *sha256_hex)
{
	if (!sha256_hex || strlen(sha256_hex) != TRUST_FPR_STRLEN - 1)
		return NULL;
	for (size_t i = 0; i < s->n_members; i++)
		if (strcasecmp(s->members[i].x509_sha256, sha256_hex) == 0)
			return &s->members[i];
	return NULL;
}

const char *trust_store_contractor(const struct trust_store *s, const uint8_t keyid[TRUST_KEYID_BYTES])
{
	for (size_t i = 0; i < s->n_pins; i++)
		if (memcmp(s->pins[i].keyid, keyid, TRUST_KEYID_BYTES) == 0)
			return s->pins[i].org;
	return NULL;
}

static int get_time(json_t *o, const char *key, time_t *ret)
{
	const char *s = json_string_value(json_object_get(o, key));
	char again[32];
	time_t t;

	if (!s || parse_time(s, &t) < 0 || format_utc(t, again, sizeof(again)) < 0 || !streq(s, again))
		return -EINVAL;
	*ret = t;
	return 0;
}

static int set_time(json_t *o, const char *key, time_t t)
{
	char buf[32];

	if (format_utc(t, buf, sizeof(buf)) < 0)
		return -EINVAL;
	return json_object_set_new(o, key, json_string(buf)) < 0 ? -ENOMEM : 0;
}

static int pk_from_json(json_t *o, const char *key, struct trust_pubkey *ret)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? trust_pubkey_parse(s, strlen(s), ret) : -EINVAL;
}

/* What a loaded list says about itself: its serial (none: 0; anything but
 * a whole number >= 0 is malformed) and the hash of its bytes. */
static int list_info(const char *path, enum trust_doc doc, const struct trust_pubkey *pk, json_t *v,
		     const uint8_t *data, size_t len, struct trust_list *ret)
{
	json_t *serial = json_object_get(v, "serial");
	uint8_t h[crypto_hash_sha256_BYTES];

	if (serial && (!json_is_integer(serial) || json_integer_value(serial) < 0))
		return -EINVAL;
	*ret = (struct trust_list) { .doc = doc, .serial = (uint64_t)json_integer_value(serial) };
	trust_keyid_string(pk->keyid, ret->root_keyid);
	crypto_hash_sha256(h, data, len);
	hex_encode(h, sizeof(h), ret->sha256);
	ret->path = strdup(path);
	ret->org = strdup(json_string_value(json_object_get(v, "org")) ?: "");
	if (!ret->path || !ret->org) {
		free(ret->path);
		free(ret->org);
		return -ENOMEM;
	}
	return 0;
}

/* Read file + file.minisig, check the signature by pk and that it is a
 * `doc` document of org signed by an org-root. *ret: the canonical JSON;
 * ret_list (may be NULL): its serial and hash. */
static int load_signed(const char *dir, const char *name, enum trust_doc doc,
		       const struct trust_pubkey *pk, json_t **ret, struct trust_list *ret_list)
{
	_cleanup_free_ char *p = path_join(dir, name), *ps = NULL;
	_cleanup_free_ uint8_t *data = NULL, *sig = NULL;
	struct trust_sig s = {};
	struct trust_claim c;
	size_t len, slen;
	const char *type, *org;
	json_t *v = NULL;
	int r;

	if (!p || asprintf(&ps, "%s.minisig", p) < 0)
		return -ENOMEM;
	snprintf(failed_file, sizeof(failed_file), "%s", p);
	r = read_full_file(p, &data, &len);
	if (r < 0)
		return r;
	snprintf(failed_file, sizeof(failed_file), "%s", ps);
	r = read_full_file(ps, &sig, &slen);
	if (r < 0)
		return r;
	r = trust_sig_parse((const char *)sig, slen, &s);
	if (r < 0)
		return r;
	r = trust_sig_check(&s, pk, data, len);
	if (r < 0)
		goto out;
	r = trust_claim_parse(s.trusted_comment, &c);
	if (r < 0)
		goto out;
	snprintf(failed_file, sizeof(failed_file), "%s", p);
	r = canon_parse((const char *)data, len, &v);
	if (r < 0)
		goto out;
	r = -EINVAL;
	type = json_string_value(json_object_get(v, "type"));
	org = json_string_value(json_object_get(v, "org"));
	if (!type || !org || !streq(type, trust_doc_to_string(doc)) || c.doc != doc ||
	    c.role != TRUST_ROLE_ORG_ROOT || !streq(c.org, org))
		goto out;
	if (ret_list && (r = list_info(p, doc, pk, v, data, len, ret_list)) < 0)
		goto out;
	*ret = TAKE_PTR(v);
	failed_file[0] = '\0';
	r = 0;
out:
	json_decref(v);
	trust_sig_release(&s);
	return r;
}

static bool role_is_contractor(enum trust_role r)
{
	return r == TRUST_ROLE_CONTRACTOR_TECHNICIAN || r == TRUST_ROLE_CONTRACTOR_APPROVER;
}

static int add_members(struct trust_store *s, json_t *roster, bool pinned)
{
	const char *org = json_string_value(json_object_get(roster, "org"));
	json_t *arr = json_object_get(roster, "members"), *m;
	bool contractor = json_is_true(json_object_get(roster, "contractor"));
	size_t i;

	/* a roster handed over by a contractor must say it is one */
	if (!json_is_array(arr) || (pinned && !contractor))
		return -EINVAL;
	json_array_foreach(arr, i, m) {
		struct trust_member x = {};
		const char *name, *role, *morg, *fpr = "";
		struct trust_member *n;
		int r;

		if (json_unpack(m, "{s:s,s:s,s:s,s?s}", "name", &name, "role", &role, "org", &morg,
				"x509_sha256", &fpr) != 0)
			return -EINVAL;
		r = trust_role_from_string(role);
		if (r < 0)
			return r;
		x.role = r;
		/* a contractor's root signs only for its own people, as contractors */
		if (!streq(morg, org) || (contractor && !role_is_contractor(x.role) &&
					  x.role != TRUST_ROLE_ORG_ROOT) ||
		    (!contractor && role_is_contractor(x.role)))
			return -EINVAL;
		if (strlen(fpr) != 0 && strlen(fpr) != TRUST_FPR_STRLEN - 1)
			return -EINVAL;
		/* a contractor's root signs its roster (checked with the pinned
		 * key), never our documents */
		if (pinned && x.role == TRUST_ROLE_ORG_ROOT)
			continue;
		r = pk_from_json(m, "key", &x.pk);
		if (r < 0)
			return r;
		if (get_time(m, "not_before", &x.not_before) < 0 ||
		    get_time(m, "not_after", &x.not_after) < 0)
			return -EINVAL;
		if (trust_store_find(s, x.pk.keyid))
			return -EINVAL; /* one key, one member */
		n = reallocarray(s->members, s->n_members + 1, sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->members = n;
		x.name = strdup(name);
		x.org = strdup(morg);
		if (!x.name || !x.org) {
			member_release(&x);
			return -ENOMEM;
		}
		snprintf(x.x509_sha256, sizeof(x.x509_sha256), "%s", fpr);
		s->members[s->n_members++] = x;
	}
	return 0;
}

static int apply_revocations(struct trust_store *s, json_t *rev, const char *org, bool owner)
{
	json_t *arr = json_object_get(rev, "revoked"), *e;
	size_t i;

	if (!json_is_array(arr))
		return -EINVAL;
	json_array_foreach(arr, i, e) {
		uint8_t keyid[TRUST_KEYID_BYTES];
		const char *kid, *reason;
		time_t at;

		if (json_unpack(e, "{s:s,s:s}", "keyid", &kid, "reason", &reason) != 0 ||
		    trust_keyid_parse(kid, keyid) < 0 || get_time(e, "at", &at) < 0)
			return -EINVAL;
		for (size_t j = 0; j < s->n_members; j++) {
			struct trust_member *m = &s->members[j];

			if (memcmp(m->pk.keyid, keyid, TRUST_KEYID_BYTES) != 0)
				continue;
			/* the owner revokes anyone; a contractor only its own */
			if (!owner && !streq(m->org, org))
				continue;
			if (m->revoked && m->revoked_at <= at)
				continue;
			free(m->revoke_reason);
			m->revoke_reason = strdup(reason);
			if (!m->revoke_reason)
				return -ENOMEM;
			m->revoked = true;
			m->revoked_at = at;
		}
	}
	return 0;
}

int trust_store_parse_roster(const char *text, size_t len, const char *revoked, size_t rlen,
			     struct trust_store **ret)
{
	struct trust_store *s = calloc(1, sizeof(*s));
	json_t *roster = NULL, *rev = NULL;
	const char *org;
	int r;

	if (!s)
		return -ENOMEM;
	r = canon_parse(text, len, &roster);
	if (r < 0)
		goto out;
	r = -EINVAL;
	org = json_string_value(json_object_get(roster, "org"));
	if (!org)
		goto out;
	s->org = strdup(org);
	s->dir = strdup("");
	if (!s->org || !s->dir) {
		r = -ENOMEM;
		goto out;
	}
	r = add_members(s, roster, false);
	if (r < 0)
		goto out;
	if (revoked) {
		r = canon_parse(revoked, rlen, &rev);
		if (r < 0)
			goto out;
		r = apply_revocations(s, rev, s->org, true);
		if (r < 0)
			goto out;
	}
	*ret = TAKE_PTR(s);
	r = 0;
out:
	json_decref(roster);
	json_decref(rev);
	trust_store_free(s);
	return r;
}

/* Our own lists: root.pub, the roster it signed (naming that root) with
 * its members, the revocation list of the same organisation. */
static int load_own(struct trust_store *s, const char *dir, json_t **roster, json_t **rev)
{
	_cleanup_free_ char *rootp = path_join(dir, "root.pub");
	struct trust_pubkey rpk;
	int r;

	if (!rootp)
		return -ENOMEM;
	snprintf(failed_file, sizeof(failed_file), "%s", rootp);
	r = trust_pubkey_load(rootp, &s->root);
	if (r < 0)
		return r;
	r = load_signed(dir, "roster.json", TRUST_DOC_ROSTER, &s->root, roster, &s->lists[s->n_lists]);
	if (r < 0)
		return r;
	s->n_lists++;
	if (pk_from_json(*roster, "root", &rpk) < 0 || memcmp(&rpk, &s->root, sizeof(rpk)) != 0)
		return -EINVAL;
	s->dir = strdup(dir);
	s->org = strdup(json_string_value(json_object_get(*roster, "org")));
	if (!s->dir || !s->org)
		return -ENOMEM;
	r = add_members(s, *roster, false);
	if (r < 0)
		return r;
	r = load_signed(dir, "revoked.json", TRUST_DOC_REVOCATION, &s->root, rev, &s->lists[s->n_lists]);
	if (r < 0)
		return r;
	s->n_lists++;
	return streq(json_string_value(json_object_get(*rev, "org")), s->org) ? 0 : -EINVAL;
}

static int add_pin(struct trust_store *s, const struct trust_pubkey *cpk, const char *org)
{
	struct pinned *n = reallocarray(s->pins, s->n_pins + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->pins = n;
	memcpy(n[s->n_pins].keyid, cpk->keyid, TRUST_KEYID_BYTES);
	n[s->n_pins].org = strdup(org);
	return n[s->n_pins++].org ? 0 : -ENOMEM;
}

/* A contractor our roster pins: its signed roster (of that organisation,
 * naming the pinned root) from contractors/KEYID/, its members; its
 * revocation list into *ret_rev (applied once every member is known).
 * Nothing handed over yet is no error. */
static int load_contractor(struct trust_store *s, const char *dir, json_t *pin, json_t **ret_rev,
			   const char **ret_org)
{
	_cleanup_free_ char *cdir = NULL;
	struct trust_pubkey cpk, rpk;
	char id[TRUST_KEYID_STRLEN];
	json_t *croster = NULL;
	const char *o = json_string_value(json_object_get(pin, "org"));
	int r;

	if (!o || streq(o, s->org) || pk_from_json(pin, "root", &cpk) < 0)
		return -EINVAL;
	trust_keyid_string(cpk.keyid, id);
	if (asprintf(&cdir, "%s/contractors/%s", dir, id) < 0)
		return -ENOMEM;
	if (access(cdir, F_OK) < 0)
		return 0; /* pinned, nothing handed over yet */
	r = load_signed(cdir, "roster.json", TRUST_DOC_ROSTER, &cpk, &croster, &s->lists[s->n_lists]);
	if (r < 0)
		return r;
	s->n_lists++;
	r = -EINVAL;
	if (streq(json_string_value(json_object_get(croster, "org")), o) &&
	    pk_from_json(croster, "root", &rpk) == 0 && memcmp(&rpk, &cpk, sizeof(rpk)) == 0)
		r = add_members(s, croster, true);
	json_decref(croster);
	if (r < 0) {
		snprintf(failed_file, sizeof(failed_file), "%s/roster.json", cdir);
		return r;
	}
	r = load_signed(cdir, "revoked.json", TRUST_DOC_REVOCATION, &cpk, ret_rev, &s->lists[s->n_lists]);
	if (r < 0)
		return r;
	s->n_lists++;
	*ret_org = o;
	return add_pin(s, &cpk, o);
}

int trust_store_open(const char *dir, struct trust_store **ret)
{
	struct trust_store *s = NULL;
	json_t *roster = NULL, *rev = NULL, *pins, *pin;
	json_t **crev = NULL;
	const char **corg = NULL, *bad = NULL;
	size_t i, npins = 0;
	int r;

	failed_file[0] = '\0';
	failed_reason[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = load_own(s, dir, &roster, &rev);
	if (r < 0)
		goto out;
	/* contractors pinned by our root */
	r = -EINVAL;
	pins = json_object_get(roster, "contractors");
	npins = json_array_size(pins);
	if ((pins && !json_is_array(pins)) || npins > TRUST_MAX_CONTRACTORS)
		goto out;
	r = -ENOMEM;
	crev = calloc(npins + 1, sizeof(*crev));
	corg = calloc(npins + 1, sizeof(*corg));
	if (!crev || !corg)
		goto out;
	json_array_foreach(pins, i, pin)
		if ((r = load_contractor(s, dir, pin, &crev[i], &corg[i])) < 0)
			goto out;
	/* revocations last, once every member is known */
	for (i = 0; i < npins; i++)
		if (crev[i] && (r = apply_revocations(s, crev[i], corg[i], false)) < 0)
			goto out;
	r = apply_revocations(s, rev, s->org, true);
	if (r < 0)
		goto out;
	/* last: every list is whole and signed; is any older than one seen? */
	r = trust_state_check(s->lists, s->n_lists, failed_reason, sizeof(failed_reason), &bad, &s->state_error);
	if (r < 0) {
		snprintf(failed_file, sizeof(failed_file), "%s", bad ?: dir);
		goto out;
	}
	failed_file[0] = '\0';
	*ret = TAKE_PTR(s);
	r = 0;
out:
	for (i = 0; crev && i < npins; i++)
		json_decref(crev[i]);
	free(crev);
	free(corg);
	json_decref(roster);
	json_decref(rev);
	trust_store_free(s);
	return r;
}

/* ---- changing the roster (the root's side) ---- */

static int write_signed(const char *dir, const char *name, json_t *v, enum trust_doc doc,
			const struct trust_seckey *root, time_t now, bool exclusive)
{
	_cleanup_free_ char *p = path_join(dir, name), *ps = NULL, *text = NULL, *sig = NULL;
	size_t len;
	int r;

	if (!p || asprintf(&ps, "%s.minisig", p) < 0)
		return -ENOMEM;
	r = canon_json(v, &text, &len);
	if (r < 0)
		return r;
	r = trust_sign(doc, (const uint8_t *)text, len, root, now, &sig);
	if (r < 0)
		return r;
	/* a crash between the two leaves a pair that fails to verify: loud, not silent */
	r = write_file_atomic(p, text, len, 0644, exclusive);
	if (r < 0)
		return r;
	return write_file_atomic(ps, sig, strlen(sig), 0644, exclusive);
}

static json_t *member_json(const struct trust_member *m)
{
	_cleanup_free_ char *b64 = NULL;
	char id[TRUST_KEYID_STRLEN];
	json_t *o;

	if (trust_pubkey_base64(&m->pk, &b64) < 0)
		return NULL;
	trust_keyid_string(m->pk.keyid, id);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", m->name, "role", trust_role_to_string(m->role),
		      "org", m->org, "key", b64, "keyid", id);
	if (!o)
		return NULL;
	if (set_time(o, "not_before", m->not_before) < 0 || set_time(o, "not_after", m->not_after) < 0 ||
	    (m->x509_sha256[0] && json_object_set_new(o, "x509_sha256", json_string(m->x509_sha256)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Load our own roster or revocation list for a change, with root's key. */
static int load_for_change(const char *dir, const char *name, enum trust_doc doc,
			   const struct trust_seckey *root, json_t **ret)
{
	_cleanup_free_ char *rootp = path_join(dir, "root.pub");
	struct trust_pubkey pk, mine;
	int r;

	if (!rootp)
		return -ENOMEM;
	r = trust_pubkey_load(rootp, &pk);
	if (r < 0)
		return r;
	trust_seckey_pubkey(root, &mine);
	if (memcmp(&pk, &mine, sizeof(pk)) != 0 || trust_seckey_role(root) != TRUST_ROLE_ORG_ROOT)
		return -ENOKEY;
	return load_signed(dir, name, doc, &pk, ret, NULL);
}

static int bump(json_t *v, time_t now)
{
	json_int_t serial = json_integer_value(json_object_get(v, "serial"));

	if (json_object_set_new(v, "serial", json_integer(serial + 1)) < 0)
		return -ENOMEM;
	return set_time(v, "issued", now);
}

int roster_init(const char *dir, const struct trust_seckey *root, time_t now, int years,
		bool contractor)
{
	_cleanup_free_ char *b64 = NULL, *pubtext = NULL, *rootp = NULL, *rosterp = NULL;
	_cleanup_free_ char *cap = NULL, *pem = NULL;
	struct trust_member m = {};
	json_t *roster = NULL, *rev = NULL, *mj;
	EVP_PKEY *key = NULL;
	X509 *ca = NULL;
	int r;

	if (trust_seckey_role(root) != TRUST_ROLE_ORG_ROOT || years <= 0 || years > 100)
		return -EINVAL;
	rootp = path_join(dir, "root.pub");
	rosterp = path_join(dir, "roster.json");
	cap = path_join(dir, "ca.crt");
	if (!rootp || !rosterp || !cap)
		return -ENOMEM;
	if (access(rosterp, F_OK) == 0 || access(rootp, F_OK) == 0)
		return -EEXIST;
	r = mkdir_parents(dir, 0755);
	if (r < 0)
		return r;
	r = trust_seckey_x509_key(root, &key);
	if (r < 0)
		return r;
	r = x509_ca_create(key, trust_seckey_org(root), now, years, &ca);
	if (r < 0)
		goto out;
	r = x509_pem_append(ca, &pem);
	if (r < 0)
		goto out;

	trust_seckey_pubkey(root, &m.pk);
	m.name = (char *)trust_seckey_name(root);
	m.org = (char *)trust_seckey_org(root);
	m.role = TRUST_ROLE_ORG_ROOT;
	m.not_before = now;
	m.not_after = time_add_years(now, years);
	r = trust_pubkey_base64(&m.pk, &b64);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	mj = member_json(&m);
	roster = json_pack("{s:s,s:s,s:s,s:I,s:[o],s:[]}", "type", "roster",
			   "org", trust_seckey_org(root), "root", b64, "serial", (json_int_t)0,
			   "members", mj, "contractors");
	rev = json_pack("{s:s,s:s,s:I,s:[]}", "type", "revocation", "org", trust_seckey_org(root),
			"serial", (json_int_t)0, "revoked");
	if (!roster || !rev)
		goto out;
	r = bump(roster, now);
	if (r >= 0)
		r = bump(rev, now);
	if (r >= 0 && contractor && json_object_set_new(roster, "contractor", json_true()) < 0)
		r = -ENOMEM;
	if (r < 0)
		goto out;
	{
		char id[TRUST_KEYID_STRLEN], *comment;

		trust_keyid_string(m.pk.keyid, id);
		if (asprintf(&comment, "wipecert org-root key %s of %s", id, trust_seckey_org(root)) < 0)
			goto out;
		r = trust_pubkey_format(&m.pk, comment, &pubtext);
		free(comment);
		if (r < 0)
			goto out;
	}
	r = write_file_atomic(cap, pem, strlen(pem), 0644, true);
	if (r < 0)
		goto out;
	r = write_signed(dir, "revoked.json", rev, TRUST_DOC_REVOCATION, root, now, true);
	if (r < 0)
		goto out;
	r = write_signed(dir, "roster.json", roster, TRUST_DOC_ROSTER, root, now, true);
	if (r < 0)
		goto out;
	/* root.pub last: its presence means the directory is complete */
	r = write_file_atomic(rootp, pubtext, strlen(pubtext), 0644, true);
out:
	json_decref(roster);
	json_decref(rev);
	EVP_PKEY_free(key);
	X509_free(ca);
	return r;
}

/* One change to a signed file: load it (checked against root.pub, with
 * root's key), let edit() change it, count it, sign and write it. */
static int roster_edit(const char *dir, const struct trust_seckey *root, const char *name,
		       enum trust_doc doc, time_t now, int (*edit)(json_t *v, const void *ctx),
		       const void *ctx)
{
	json_t *v = NULL;
	int r;

	r = load_for_change(dir, name, doc, root, &v);
	if (r < 0)
		return r;
	r = edit(v, ctx);
	if (r >= 0)
		r = bump(v, now);
	if (r >= 0)
		r = write_signed(dir, name, v, doc, root, now, false);
	json_decref(v);
	return r;
}

/* Does the array hold an object whose field is value? */
static bool array_has(json_t *arr, const char *field, const char *value)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (streq(json_string_value(json_object_get(e, field)) ?: "", value))
			return true;
	return false;
}

static int edit_add(json_t *roster, const void *ctx)
{
	const struct trust_member *m = ctx;
	json_t *arr = json_object_get(roster, "members"), *e;
	char id[TRUST_KEYID_STRLEN];

	if (!json_is_array(arr) || !streq(m->org, json_string_value(json_object_get(roster, "org")) ?: "") ||
	    role_is_contractor(m->role) != json_is_true(json_object_get(roster, "contractor")))
		return -EINVAL;
	trust_keyid_string(m->pk.keyid, id);
	if (array_has(arr, "keyid", id))
		return -EEXIST;
	e = member_json(m);
	if (!e || json_array_append_new(arr, e) < 0)
		return -ENOMEM;
	return 0;
}

int roster_add(const char *dir, const struct trust_seckey *root, const struct trust_member *m,
	       time_t now)
{
	if ((unsigned)m->role >= _TRUST_ROLE_MAX || !m->name || !m->org || m->not_after <= m->not_before)
		return -EINVAL;
	return roster_edit(dir, root, "roster.json", TRUST_DOC_ROSTER, now, edit_add, m);
}

struct revoke_ctx {
	const uint8_t *keyid;
	time_t at;
	const char *reason;
};

static int edit_revoke(json_t *rev, const void *ctx)
{
	const struct revoke_ctx *c = ctx;
	json_t *arr = json_object_get(rev, "revoked"), *e;
	char id[TRUST_KEYID_STRLEN];

	trust_keyid_string(c->keyid, id);
	if (!json_is_array(arr))
		return -EINVAL;
	if (array_has(arr, "keyid", id))
		return -EEXIST;
	e = json_pack("{s:s,s:s}", "keyid", id, "reason", c->reason);
	if (!e || set_time(e, "at", c->at) < 0 || json_array_append_new(arr, e) < 0)
		return -ENOMEM;
	return 0;
}

int roster_revoke(const char *dir, const struct trust_seckey *root,
		  const uint8_t keyid[TRUST_KEYID_BYTES], time_t at, const char *reason, time_t now)
{
	struct revoke_ctx c = { keyid, at, reason };

	if (!reason || !*reason || !canon_text_ok(reason, strlen(reason)))
		return -EINVAL;
	return roster_edit(dir, root, "revoked.json", TRUST_DOC_REVOCATION, now, edit_revoke, &c);
}

struct pin_ctx {
	const char *org;
	const struct trust_pubkey *root;
	time_t now;
};

static int edit_pin(json_t *roster, const void *ctx)
{
	const struct pin_ctx *c = ctx;
	_cleanup_free_ char *b64 = NULL;
	json_t *arr = json_object_get(roster, "contractors"), *e;
	char id[TRUST_KEYID_STRLEN];

	if (streq(c->org, json_string_value(json_object_get(roster, "org")) ?: ""))
		return -EINVAL;
	if (!json_is_array(arr)) {
		arr = json_array();
		if (json_object_set_new(roster, "contractors", arr) < 0)
			return -ENOMEM;
	}
	trust_keyid_string(c->root->keyid, id);
	if (array_has(arr, "keyid", id) || array_has(arr, "org", c->org))
		return -EEXIST;
	if (trust_pubkey_base64(c->root, &b64) < 0)
		return -ENOMEM;
	e = json_pack("{s:s,s:s,s:s}", "org", c->org, "root", b64, "keyid", id);
	if (!e || set_time(e, "pinned", c->now) < 0 || json_array_append_new(arr, e) < 0)
		return -ENOMEM;
	return 0;
}

int roster_pin_contractor(const char *dir, const struct trust_seckey *root, const char *org,
			  const struct trust_pubkey *contractor_root, time_t now)
{
	struct pin_ctx c = { org, contractor_root, now };

	if (!org || !*org || !canon_text_ok(org, strlen(org)))
		return -EINVAL;
	return roster_edit(dir, root, "roster.json", TRUST_DOC_ROSTER, now, edit_pin, &c);
}
