/* trust.c - `wipecert trust`: the organisation's roster of who may sign what.
 *
 * Its job: the root key holder's commands (init, add, revoke, pin) and
 * everyone's (list, verify) on a trust directory. It must never change a
 * roster without the organisation's root key, and never report a store as
 * valid that src/trust did not load and check in full.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "wipecert/canon.h"
#include "wipecert/cli.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/roster.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/x509.h"

#define YEAR_SECS ((time_t)365 * 86400)

struct trust_control {
	const char *db;
	const char *dir, *root_key, *pass_file, *name, *org, *csr, *cert, *reason, *from, *until, *at;
	int role, years;
	bool contractor, json;
};

int cli_trust_open(const char *dir, struct trust_store **ret)
{
	int r = trust_store_open(dir, ret);

	if (r == -ESTALE) {
		log_error(_("%s: refused: %s"), *trust_store_failed_file() ? trust_store_failed_file() : dir,
			  trust_store_failed_reason());
		return EXIT_REFUSED;
	}
	if (r < 0) {
		log_error(_("%s: cannot load the trust store: %s"),
			  *trust_store_failed_file() ? trust_store_failed_file() : dir, trust_strerror(r));
		return EXIT_FAIL;
	}
	if (trust_store_state_error(*ret))
		log_warn(_("%s: the trust lists' serials were not remembered (%s): a rollback of %s would not be "
			   "noticed by this account"), trust_state_path(), strerror(-trust_store_state_error(*ret)), dir);
	return EXIT_OK;
}

/* After a change by the root: the ledger (--db) records the new serials,
 * signed by the root, so that the old list is refused there too. */
static int record_serials(const struct trust_control *c, const struct trust_seckey *root)
{
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	_cleanup_ledger_ struct ledger *l = NULL;
	struct ledger_trust_report rep = {};
	uint64_t seq = 0;
	int r;

	if (!c->db)
		return EXIT_OK;
	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	r = ledger_open(c->db, LEDGER_OPEN_CREATE, &l);
	if (r >= 0)
		r = ledger_set_signer(l, root);
	if (r >= 0)
		r = ledger_trust_record(l, s, &rep, &seq);
	if (r == -ESTALE) {
		log_error(_("%s: refused: the ledger recorded serial %llu of the %s, this directory has %llu"), c->db,
			  (unsigned long long)rep.ledger_serial, rep.list, (unsigned long long)rep.store_serial);
		return EXIT_REFUSED;
	}
	if (r < 0)
		return log_error_errno(r, _("%s: cannot record the serials in the ledger"), c->db), EXIT_FAIL;
	if (r > 0)
		log_info(_("%s: the new serials are recorded (event %llu, signed by %s)"), c->db,
			 (unsigned long long)seq, trust_seckey_name(root));
	return EXIT_OK;
}

static int load_root(const struct trust_control *c, struct trust_seckey **ret)
{
	int r;

	if (!c->root_key) {
		log_error("--root-key is required: only the organisation's root changes the roster");
		return -EINVAL;
	}
	r = key_load_secret(c->root_key, c->pass_file, ret);
	if (r < 0)
		return r == -EPERM ? r : -EINVAL;
	if (trust_seckey_role(*ret) != TRUST_ROLE_ORG_ROOT) {
		log_error("%s: not an org-root key", c->root_key);
		trust_seckey_free(*ret);
		*ret = NULL;
		return -EINVAL;
	}
	return 0;
}

static int roster_error(const struct trust_control *c, const char *what, int r)
{
	if (r == -ENOKEY)
		log_error("%s: %s is not this trust directory's root key", c->dir, c->root_key);
	else
		log_error("%s: cannot %s: %s", c->dir, what, trust_strerror(r));
	return r == -EEXIST || r == -ENOKEY ? EXIT_REFUSED : EXIT_FAIL;
}

static int trust_init(struct trust_control *c)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *root = NULL;
	int r;

	r = load_root(c, &root);
	if (r < 0)
		return key_exit_code(r);
	r = roster_init(c->dir, root, time(NULL), c->years, c->contractor);
	if (r < 0)
		return roster_error(c, "create the roster", r);
	printf("trust directory %s for %s: root.pub, roster.json, revoked.json, ca.crt\n",
	       c->dir, trust_seckey_org(root));
	return record_serials(c, root);
}

static int get_time_opt(const char *s, time_t def, time_t *ret)
{
	if (!s) {
		*ret = def;
		return 0;
	}
	return parse_time(s, ret);
}

/* path of the sibling file: alice.pub -> alice.csr */
static char *sibling(const char *path, const char *suffix)
{
	size_t n = strlen(path);
	char *p;

	if (n > 4 && streq(path + n - 4, ".pub"))
		n -= 4;
	return asprintf(&p, "%.*s%s", (int)n, path, suffix) < 0 ? NULL : p;
}

static int trust_add(struct trust_control *c, const char *pubfile)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *root = NULL;
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ char *csrp = NULL, *name = NULL, *org = NULL;
	struct trust_member m = {};
	char id[TRUST_KEYID_STRLEN];
	json_t *meta = NULL;
	time_t now = time(NULL);
	size_t len;
	int r, role = c->role;

	r = read_full_file(pubfile, &data, &len);
	if (r < 0) {
		log_error_errno(r, "%s: cannot read", pubfile);
		return EXIT_FAIL;
	}
	r = trust_pubkey_parse((const char *)data, len, &m.pk);
	if (r < 0) {
		log_error("%s: not a public key: %s", pubfile, trust_strerror(r));
		return EXIT_FAIL;
	}
	/* the comment `key new` wrote offers defaults; options win */
	{
		const char *nl = memchr(data, '\n', len), *pre = "untrusted comment: ";

		if (nl && len > strlen(pre) && memcmp(data, pre, strlen(pre)) == 0)
			canon_parse((const char *)data + strlen(pre), (size_t)(nl - (const char *)data) - strlen(pre), &meta);
		if (meta) {
			const char *v;

			if (!c->name && (v = json_string_value(json_object_get(meta, "name"))))
				name = strdup(v);
			if (!c->org && (v = json_string_value(json_object_get(meta, "org"))))
				org = strdup(v);
			if (role < 0)
				role = trust_role_from_string(json_string_value(json_object_get(meta, "role")));
			json_decref(meta);
		}
	}
	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	m.name = (char *)(c->name ? c->name : name);
	m.org = (char *)(c->org ? c->org : org ? org : trust_store_org(s));
	if (!m.name || role < 0)
		return usage_error("trust add", "--name and --role are required (the key file does not say)");
	m.role = role;
	if (get_time_opt(c->from, now, &m.not_before) < 0 ||
	    get_time_opt(c->until, m.not_before + 3 * YEAR_SECS, &m.not_after) < 0 ||
	    m.not_after <= m.not_before)
		return usage_error("trust add", "bad --from/--until");
	if (!streq(m.org, trust_store_org(s))) {
		log_error("%s: organisation '%s' is not this roster's ('%s'); pin a contractor's root with 'trust pin'",
			  pubfile, m.org, trust_store_org(s));
		return EXIT_REFUSED;
	}
	trust_keyid_string(m.pk.keyid, id);
	if (trust_store_find(s, m.pk.keyid)) {
		log_error("%s: key %s is in the roster already", pubfile, id);
		return EXIT_REFUSED;
	}
	r = load_root(c, &root);
	if (r < 0)
		return key_exit_code(r);
	if (c->cert) {
		/* a certificate from the organisation's own PKI (key import-p12) */
		_cleanup_free_ char *dst = NULL, *pem = NULL;
		X509 *x = NULL;

		r = x509_load_pem(c->cert, &x, NULL);
		if (r >= 0)
			r = trust_x509_fingerprint(x, m.x509_sha256);
		if (r >= 0)
			r = x509_pem_append(x, &pem);
		X509_free(x);
		if (r < 0) {
			log_error("%s: not a PEM certificate", c->cert);
			return EXIT_FAIL;
		}
		if (asprintf(&dst, "%s/members", c->dir) < 0)
			return EXIT_FAIL;
		mkdir(dst, 0755);
		free(dst);
		if (asprintf(&dst, "%s/members/%s.crt", c->dir, id) < 0)
			return EXIT_FAIL;
		r = write_file_atomic(dst, pem, strlen(pem), 0644, false);
		if (r < 0) {
			log_error_errno(r, "%s: cannot write", dst);
			return EXIT_FAIL;
		}
	} else if (role == TRUST_ROLE_APPROVER || role == TRUST_ROLE_CONTRACTOR_APPROVER) {
		_cleanup_free_ uint8_t *csr = NULL;
		size_t clen;

		csrp = c->csr ? strdup(c->csr) : sibling(pubfile, ".csr");
		if (!csrp)
			return EXIT_FAIL;
		r = read_full_file(csrp, &csr, &clen);
		if (r < 0) {
			log_error_errno(r, "%s: cannot read the approver's certificate request (--csr)", csrp);
			return EXIT_FAIL;
		}
		r = roster_issue_cert(c->dir, root, &m, (const char *)csr, clen, m.x509_sha256);
		if (r < 0) {
			log_error("%s: cannot issue the certificate: %s", csrp, trust_strerror(r));
			return EXIT_FAIL;
		}
	}
	r = roster_add(c->dir, root, &m, now);
	if (r < 0 && m.x509_sha256[0]) {
		/* no certificate without its roster entry */
		_cleanup_free_ char *crt = NULL;

		if (asprintf(&crt, "%s/members/%s.crt", c->dir, id) >= 0)
			unlink(crt);
	}
	if (r == -EINVAL) {
		log_error("%s: a %s cannot be listed in this roster (contractor roles belong in a contractor's roster)",
			  pubfile, trust_role_to_string(role));
		return EXIT_REFUSED;
	}
	if (r < 0)
		return roster_error(c, "add the key", r);
	printf("added %s: %s (%s, %s)%s%s\n", id, m.name, trust_role_to_string(role), m.org,
	       m.x509_sha256[0] ? ", certificate sha256 " : "", m.x509_sha256);
	return record_serials(c, root);
}

int trust_enroll(const char *dir, const char *root_key, const char *root_pass_file, const char *pubfile)
{
	struct trust_control c = { .dir = trust_dir(dir), .root_key = root_key,
				   .pass_file = root_pass_file, .role = -1 };

	return trust_add(&c, pubfile);
}

static int member_json(const struct trust_member *m, json_t **ret)
{
	char id[TRUST_KEYID_STRLEN], nb[32], na[32], ra[32] = "";

	trust_keyid_string(m->pk.keyid, id);
	format_utc(m->not_before, nb, sizeof(nb));
	format_utc(m->not_after, na, sizeof(na));
	if (m->revoked)
		format_utc(m->revoked_at, ra, sizeof(ra));
	*ret = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s?,s:s?,s:s?}", "keyid", id, "name", m->name,
			 "role", trust_role_to_string(m->role), "org", m->org, "not_before", nb,
			 "not_after", na, "revoked", m->revoked, "revoked_at", *ra ? ra : NULL,
			 "revoke_reason", m->revoke_reason,
			 "x509_sha256", m->x509_sha256[0] ? m->x509_sha256 : NULL);
	return *ret ? 0 : -ENOMEM;
}

static int trust_list(struct trust_control *c)
{
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	time_t now = time(NULL);
	int r;

	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	if (c->json) {
		json_t *arr = json_array(), *m;

		for (size_t i = 0; i < trust_store_n_members(s); i++)
			if (member_json(trust_store_member(s, i), &m) == 0)
				json_array_append_new(arr, m);
		json_t *lists = json_array();

		for (size_t i = 0; i < trust_store_n_lists(s); i++) {
			const struct trust_list *t = trust_store_list(s, i);

			json_array_append_new(lists, json_pack("{s:s,s:s,s:s,s:I,s:s}", "list",
				t->doc == TRUST_DOC_ROSTER ? "roster" : "revocation", "org", t->org, "root", t->root_keyid,
				"serial", (json_int_t)t->serial, "sha256", t->sha256));
		}
		m = json_pack("{s:s,s:o,s:o}", "org", trust_store_org(s), "members", arr, "lists", lists);
		json_dumpf(m, stdout, JSON_SORT_KEYS | JSON_INDENT(2));
		putchar('\n');
		json_decref(m);
		return EXIT_OK;
	}
	printf("%-16s  %-21s  %-10s  %-10s  %-8s  %s (%s)\n", "KEYID", "ROLE", "FROM", "UNTIL", "STATUS",
	       "NAME", "ORG");
	for (size_t i = 0; i < trust_store_n_members(s); i++) {
		const struct trust_member *m = trust_store_member(s, i);
		char id[TRUST_KEYID_STRLEN], nb[32], na[32];

		trust_keyid_string(m->pk.keyid, id);
		format_utc(m->not_before, nb, sizeof(nb));
		format_utc(m->not_after, na, sizeof(na));
		nb[10] = na[10] = '\0';
		printf("%-16s  %-21s  %-10s  %-10s  %-8s  %s (%s)\n", id, trust_role_to_string(m->role), nb, na,
		       m->revoked ? "revoked" : now > m->not_after ? "expired" : "valid", m->name, m->org);
	}
	return EXIT_OK;
}

static int trust_revoke(struct trust_control *c, const char *what)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *root = NULL;
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	uint8_t keyid[TRUST_KEYID_BYTES];
	struct trust_pubkey pk;
	time_t now = time(NULL), at;
	int r;

	if (trust_keyid_parse(what, keyid) < 0) {
		if (trust_pubkey_load(what, &pk) < 0)
			return usage_error("trust revoke", "'%s' is neither a key id nor a public key file", what);
		memcpy(keyid, pk.keyid, sizeof(keyid));
	}
	if (get_time_opt(c->at, now, &at) < 0)
		return usage_error("trust revoke", "bad --at time");
	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	if (!trust_store_find(s, keyid)) {
		log_error("%s: key %s is in no roster here", c->dir, what);
		return EXIT_FAIL;
	}
	r = load_root(c, &root);
	if (r < 0)
		return key_exit_code(r);
	r = roster_revoke(c->dir, root, keyid, at, c->reason ? c->reason : "unspecified", now);
	if (r < 0)
		return roster_error(c, "revoke the key", r);
	printf("revoked %s\n", what);
	return record_serials(c, root);
}

static int trust_pin(struct trust_control *c, const char *pubfile)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *root = NULL;
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN];
	int r;

	if (!c->org)
		return usage_error("trust pin", "--org is required (the contractor's organisation)");
	r = trust_pubkey_load(pubfile, &pk);
	if (r < 0) {
		log_error("%s: not a public key: %s", pubfile, trust_strerror(r));
		return EXIT_FAIL;
	}
	r = load_root(c, &root);
	if (r < 0)
		return key_exit_code(r);
	r = roster_pin_contractor(c->dir, root, c->org, &pk, time(NULL));
	if (r < 0)
		return roster_error(c, "pin the contractor's root", r);
	trust_keyid_string(pk.keyid, id);
	printf("pinned %s's root %s: bring its roster in with 'wipecert trust import DIR' (into %s/contractors/%s/)\n",
	       c->org, id, c->dir, id);
	return record_serials(c, root);
}

/* Hand a contractor's roster over: copy its signed files into
 * contractors/KEYID/ and keep them only if the store then loads. */
static int trust_import(struct trust_control *c, const char *from)
{
	static const char *const files[] = { "roster.json", "roster.json.minisig",
					     "revoked.json", "revoked.json.minisig" };
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	_cleanup_free_ char *rootp = NULL, *dst = NULL;
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN];
	int r;

	if (asprintf(&rootp, "%s/root.pub", from) < 0)
		return EXIT_FAIL;
	r = trust_pubkey_load(rootp, &pk);
	if (r < 0) {
		log_error("%s: %s", rootp, trust_strerror(r));
		return EXIT_FAIL;
	}
	trust_keyid_string(pk.keyid, id);
	if (asprintf(&dst, "%s/contractors", c->dir) < 0)
		return EXIT_FAIL;
	mkdir(dst, 0755);
	free(dst);
	if (asprintf(&dst, "%s/contractors/%s", c->dir, id) < 0)
		return EXIT_FAIL;
	if (mkdir(dst, 0755) < 0 && errno != EEXIST) {
		log_error_errno(-errno, "%s: cannot create", dst);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *sp = NULL, *dp = NULL;
		_cleanup_free_ uint8_t *data = NULL;
		size_t len;

		if (asprintf(&sp, "%s/%s", from, files[i]) < 0 || asprintf(&dp, "%s/%s", dst, files[i]) < 0)
			return EXIT_FAIL;
		r = read_full_file(sp, &data, &len);
		if (r >= 0)
			r = write_file_atomic(dp, data, len, 0644, false);
		if (r < 0) {
			log_error_errno(r, "%s: cannot copy", sp);
			return EXIT_FAIL;
		}
	}
	{
		/* the contractor's CA, so that its approvers' PDF signatures
		 * chain (the roster names each approver's certificate) */
		_cleanup_free_ char *sp = NULL, *dp = NULL;
		_cleanup_free_ uint8_t *data = NULL;
		size_t len;

		if (asprintf(&sp, "%s/ca.crt", from) < 0 || asprintf(&dp, "%s/ca.crt", dst) < 0)
			return EXIT_FAIL;
		r = read_full_file(sp, &data, &len);
		if (r >= 0)
			r = write_file_atomic(dp, data, len, 0644, false);
		if (r < 0 && r != -ENOENT) {
			log_error_errno(r, "%s: cannot copy", sp);
			return EXIT_FAIL;
		}
	}
	r = trust_store_open(c->dir, &s);
	if (r < 0 || !trust_store_contractor(s, pk.keyid)) {
		log_error("%s: not accepted (%s): is its root pinned with 'trust pin'?",
			  r < 0 && *trust_store_failed_file() ? trust_store_failed_file() : from,
			  r < 0 ? trust_strerror(r) : "root not pinned");
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			_cleanup_free_ char *dp = NULL;

			if (asprintf(&dp, "%s/%s", dst, files[i]) >= 0)
				unlink(dp);
		}
		{
			_cleanup_free_ char *dp = NULL;

			if (asprintf(&dp, "%s/ca.crt", dst) >= 0)
				unlink(dp);
		}
		rmdir(dst);
		return EXIT_REFUSED;
	}
	printf("imported the roster of %s (root %s) into %s\n", trust_store_contractor(s, pk.keyid), id, dst);
	return EXIT_OK;
}

/* Every signature was checked by trust_store_open(); here the certificates. */
static int trust_verify_dir(struct trust_control *c)
{
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	_cleanup_free_ char *cap = NULL;
	X509 *ca = NULL;
	int bad = 0, r;

	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	if (asprintf(&cap, "%s/ca.crt", c->dir) < 0)
		return EXIT_FAIL;
	if (x509_load_pem(cap, &ca, NULL) < 0) {
		log_error("%s: cannot read the CA certificate", cap);
		bad++;
	}
	for (size_t i = 0; i < trust_store_n_members(s); i++) {
		const struct trust_member *m = trust_store_member(s, i);
		_cleanup_free_ char *p = NULL;
		char id[TRUST_KEYID_STRLEN], fpr[TRUST_FPR_STRLEN];
		X509 *x = NULL;

		if (!m->x509_sha256[0] || !streq(m->org, trust_store_org(s)))
			continue;
		trust_keyid_string(m->pk.keyid, id);
		if (asprintf(&p, "%s/members/%s.crt", c->dir, id) < 0)
			return EXIT_FAIL;
		if (x509_load_pem(p, &x, NULL) < 0 || trust_x509_fingerprint(x, fpr) < 0 ||
		    !streq(fpr, m->x509_sha256)) {
			log_error("%s: missing or not the certificate the roster names", p);
			bad++;
		} else if (ca && X509_check_issued(ca, x) == X509_V_OK &&
			   X509_verify(x, X509_get0_pubkey(ca)) != 1) {
			log_error("%s: signature of the CA does not verify", p);
			bad++;
		}
		X509_free(x);
	}
	X509_free(ca);
	if (bad)
		return EXIT_FAIL;
	printf("%s: roster of %s with %zu keys, all signatures valid\n", c->dir, trust_store_org(s),
	       trust_store_n_members(s));
	for (size_t i = 0; i < trust_store_n_lists(s); i++) {
		const struct trust_list *t = trust_store_list(s, i);

		printf("  %s of %s (root %s): serial %llu, not older than any seen (%s)\n",
		       t->doc == TRUST_DOC_ROSTER ? "roster" : "revocation list", t->org, t->root_keyid,
		       (unsigned long long)t->serial, trust_state_path());
	}
	return EXIT_OK;
}

static void help(void)
{
	printf("Usage: %s trust init --root-key KEY [--contractor] [--years N]\n"
	       "       %s trust add PUBFILE --root-key KEY [--name N] [--role R] [--org O]\n"
	       "                 [--from DATE] [--until DATE] [--csr FILE | --cert FILE]\n"
	       "       %s trust list [--json]\n"
	       "       %s trust revoke KEYID|PUBFILE --root-key KEY [--reason R] [--at TIME]\n"
	       "       %s trust pin CONTRACTOR-ROOT.pub --org ORG --root-key KEY\n"
	       "       %s trust import CONTRACTOR-TRUST-DIR\n"
	       "       %s trust verify\n\n"
	       "The organisation's trust roster: members' keys with roles and validity,\n"
	       "revocations and pinned contractors, each signed by the root key.\n\n"
	       "Options:\n"
	       "  --trust DIR            trust directory (default $WIPECERT_TRUST or %s)\n"
	       "  --db PATH              init, add, revoke, pin: record the new serials of the\n"
	       "                         signed lists in this ledger, signed by the root (an\n"
	       "                         older list put back is then refused there too)\n"
	       "  --root-key KEY         the organisation's org-root secret key\n"
	       "  --passphrase-file F    read the root key's passphrase from F (else the terminal)\n"
	       "  --contractor           init: a contractor's roster (contractor roles only)\n"
	       "  --years N              init: validity of the root and the CA (default 10)\n"
	       "  --csr FILE             add: approver's certificate request (default PUBFILE's .csr)\n"
	       "  --cert FILE            add: an approver certificate from the organisation's PKI\n"
	       "  --reason R             revoke: key-compromise refuses every signature of the key;\n"
	       "                         other reasons refuse signatures from --at on\n"
	       "  --json                 machine-readable output\n"
	       "  -h, --help             show this help\n\n"
	       "Every command that loads the directory refuses a roster or revocation list\n"
	       "older than one seen before (serials remembered in %s).\n\n"
	       "Exit: 0 ok, 1 failed, 2 usage, 3 refused (also: a key file others can read,\n"
	       "an older signed list put back).\n",
	       program_name, program_name, program_name, program_name, program_name, program_name,
	       program_name, TRUST_DEFAULT_DIR, trust_state_path());
}

int cmd_trust(int argc, char **argv)
{
	enum { OPT_DB = 255, OPT_TRUST = 256, OPT_ROOT, OPT_PASS, OPT_NAME, OPT_ROLE, OPT_ORG, OPT_CSR, OPT_CERT,
	       OPT_REASON, OPT_FROM, OPT_UNTIL, OPT_AT, OPT_YEARS, OPT_CONTRACTOR, OPT_JSON };
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "db", required_argument, NULL, OPT_DB },
		{ "root-key", required_argument, NULL, OPT_ROOT },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "org", required_argument, NULL, OPT_ORG },
		{ "csr", required_argument, NULL, OPT_CSR },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "at", required_argument, NULL, OPT_AT },
		{ "years", required_argument, NULL, OPT_YEARS },
		{ "contractor", no_argument, NULL, OPT_CONTRACTOR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct trust_control c = { .role = -1, .years = 10 };
	const char *verb;
	uint64_t y;
	int o, nargs;

	if (argc < 2)
		return usage_error("trust", "no subcommand given");
	verb = argv[1];
	if (streq(verb, "-h") || streq(verb, "--help")) {
		help();
		return EXIT_OK;
	}
	optind = 0;
	while ((o = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (o) {
		case OPT_TRUST: c.dir = optarg; break;
		case OPT_DB: c.db = optarg; break;
		case OPT_ROOT: c.root_key = optarg; break;
		case OPT_PASS: c.pass_file = optarg; break;
		case OPT_NAME: c.name = optarg; break;
		case OPT_ROLE:
			c.role = trust_role_from_string(optarg);
			if (c.role < 0)
				return usage_error("trust", "unknown role '%s'", optarg);
			break;
		case OPT_ORG: c.org = optarg; break;
		case OPT_CSR: c.csr = optarg; break;
		case OPT_CERT: c.cert = optarg; break;
		case OPT_REASON: c.reason = optarg; break;
		case OPT_FROM: c.from = optarg; break;
		case OPT_UNTIL: c.until = optarg; break;
		case OPT_AT: c.at = optarg; break;
		case OPT_YEARS:
			if (parse_u64(optarg, &y) < 0 || y < 1 || y > 100)
				return usage_error("trust", "--years takes 1..100");
			c.years = (int)y;
			break;
		case OPT_CONTRACTOR: c.contractor = true; break;
		case OPT_JSON: c.json = true; break;
		case 'h': help(); return EXIT_OK;
		default: return usage_error("trust", "bad option");
		}
	}
	c.dir = trust_dir(c.dir);
	nargs = argc - 1 - optind;
	if (streq(verb, "init") || streq(verb, "list") || streq(verb, "verify")) {
		if (nargs != 0)
			return usage_error("trust", "'%s' takes no file", verb);
		if (streq(verb, "init"))
			return trust_init(&c);
		return streq(verb, "list") ? trust_list(&c) : trust_verify_dir(&c);
	}
	if (nargs != 1)
		return usage_error("trust", "'%s' takes one argument", verb);
	if (streq(verb, "add"))
		return trust_add(&c, argv[optind + 1]);
	if (streq(verb, "revoke"))
		return trust_revoke(&c, argv[optind + 1]);
	if (streq(verb, "pin"))
		return trust_pin(&c, argv[optind + 1]);
	if (streq(verb, "import"))
		return trust_import(&c, argv[optind + 1]);
	return usage_error("trust", "unknown subcommand '%s'", verb);
}
