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


#include "wipecert/cli.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/roster.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/x509.h"

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
			  *trust_store_failed_file() ? trust_store_failed_file() : dir, _(trust_strerror(r)));
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
		log_error(_("--root-key is required: only the organisation's root changes the roster"));
		return -EINVAL;
	}
	r = key_load_secret(c->root_key, c->pass_file, ret);
	if (r < 0)
		return r == -EPERM ? r : -EINVAL;
	if (trust_seckey_role(*ret) != TRUST_ROLE_ORG_ROOT) {
		log_error(_("%s: not an org-root key"), c->root_key);
		trust_seckey_free(*ret);
		*ret = NULL;
		return -EINVAL;
	}
	return 0;
}

static int roster_error(const struct trust_control *c, const char *what, int r)
{
	if (r == -ENOKEY)
		log_error(_("%s: %s is not this trust directory's root key"), c->dir, c->root_key);
	else
		log_error(_("%s: cannot %s: %s"), c->dir, _(what), _(trust_strerror(r)));
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
		return roster_error(c, N_("create the roster"), r);
	printf(_("trust directory %s for %s: root.pub, roster.json, revoked.json, ca.crt\n"),
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

/* The member to add: the key, what its file's comment offers and the
 * options say (options win), the validity. Returns -1 to go on, else the
 * exit code. */
static int new_member(const struct trust_control *c, const char *pubfile, const struct trust_store *s,
		      struct trust_member *m, char **name, char **org)
{
	_cleanup_free_ uint8_t *data = NULL;
	time_t now = time(NULL);
	size_t len;
	int r, role;

	r = read_full_file(pubfile, &data, &len);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot read"), pubfile), EXIT_FAIL;
	r = trust_pubkey_parse((const char *)data, len, &m->pk);
	if (r < 0)
		return log_error(_("%s: not a public key: %s"), pubfile, _(trust_strerror(r))), EXIT_FAIL;
	trust_pubkey_defaults(data, len, name, org, &role);
	m->name = (char *)(c->name ? c->name : *name);
	m->org = (char *)(c->org ? c->org : *org ? *org : trust_store_org(s));
	m->role = c->role >= 0 ? c->role : role;
	if (!m->name || (int)m->role < 0)
		return usage_error("trust add", _("--name and --role are required (the key file does not say)"));
	if (get_time_opt(c->from, now, &m->not_before) < 0 ||
	    get_time_opt(c->until, time_add_years(m->not_before, 3), &m->not_after) < 0 ||
	    m->not_after <= m->not_before)
		return usage_error("trust add", _("bad --from/--until"));
	return -1;
}

static int trust_add(struct trust_control *c, const char *pubfile)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *root = NULL;
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	_cleanup_free_ char *csrp = NULL, *name = NULL, *org = NULL;
	_cleanup_free_ uint8_t *csr = NULL;
	struct trust_member m = { .role = -1 };
	char id[TRUST_KEYID_STRLEN];
	size_t clen = 0;
	int r;

	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	r = new_member(c, pubfile, s, &m, &name, &org);
	if (r >= 0)
		return r;
	trust_keyid_string(m.pk.keyid, id);
	r = roster_check_new_member(s, &m);
	if (r == -EXDEV)
		return log_error(_("%s: organisation '%s' is not this roster's ('%s'); pin a contractor's root with "
				 "'trust pin'"), pubfile, m.org, trust_store_org(s)), EXIT_REFUSED;
	if (r == -EEXIST)
		return log_error(_("%s: key %s is in the roster already"), pubfile, id), EXIT_REFUSED;
	if (!c->cert && trust_role_has_member_cert(m.role)) {
		csrp = c->csr ? strdup(c->csr) : sibling(pubfile, ".csr");
		r = csrp ? read_full_file(csrp, &csr, &clen) : -ENOMEM;
		if (r < 0)
			return log_error_errno(r, _("%s: cannot read the approver's certificate request (--csr)"), csrp),
			       EXIT_FAIL;
	}
	r = load_root(c, &root);
	if (r < 0)
		return key_exit_code(r);
	r = roster_enroll(c->dir, root, &m, c->cert, (const char *)csr, clen, time(NULL));
	if (r == -EBADMSG && c->cert)
		return log_error(_("%s: not a PEM certificate"), c->cert), EXIT_FAIL;
	if (r == -EINVAL)
		return log_error(_("%s: a %s cannot be listed in this roster (contractor roles belong in a contractor's "
				 "roster)"), pubfile, trust_role_to_string(m.role)), EXIT_REFUSED;
	if (r < 0)
		return roster_error(c, N_("add the key"), r);
	printf(_("added %s: %s (%s, %s)%s%s\n"), id, m.name, trust_role_to_string(m.role), m.org,
	       m.x509_sha256[0] ? ", certificate sha256 " : "", m.x509_sha256);
	return record_serials(c, root);
}

int trust_enroll(const char *dir, const char *root_key, const char *root_pass_file, const char *pubfile)
{
	struct trust_control c = { .dir = trust_dir(dir), .root_key = root_key,
				   .pass_file = root_pass_file, .role = -1 };

	return trust_add(&c, pubfile);
}

static json_t *lists_json(const struct trust_store *s)
{
	json_t *lists = json_array();

	for (size_t i = 0; i < trust_store_n_lists(s); i++) {
		const struct trust_list *t = trust_store_list(s, i);

		json_array_append_new(lists, json_pack("{s:s,s:s,s:s,s:I,s:s}", "list",
			t->doc == TRUST_DOC_ROSTER ? "roster" : "revocation", "org", t->org, "root", t->root_keyid,
			"serial", (json_int_t)t->serial, "sha256", t->sha256));
	}
	return lists;
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

static int members_table(const struct trust_store *s)
{
	const char *const head[] = { _("KEYID"), _("ROLE"), _("FROM"), _("UNTIL"), _("STATUS"), _("NAME"), _("ORG") };
	struct libscols_table *t = cli_table_new(head, ARRAY_SIZE(head));
	time_t now = time(NULL);

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < trust_store_n_members(s); i++) {
		const struct trust_member *m = trust_store_member(s, i);
		char id[TRUST_KEYID_STRLEN], nb[32], na[32];

		trust_keyid_string(m->pk.keyid, id);
		format_utc(m->not_before, nb, sizeof(nb));
		format_utc(m->not_after, na, sizeof(na));
		nb[10] = na[10] = '\0';
		if (cli_table_row(t, (const char *const[]){ id, trust_role_to_string(m->role), nb, na,
				  m->revoked ? "revoked" : now > m->not_after ? "expired" : "valid", m->name, m->org }) < 0) {
			cli_table_free(t);
			return -ENOMEM;
		}
	}
	return cli_table_print(t);
}

static int trust_list(struct trust_control *c)
{
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	int r;

	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	if (c->json) {
		json_t *arr = json_array(), *m;

		for (size_t i = 0; i < trust_store_n_members(s); i++)
			if (member_json(trust_store_member(s, i), &m) == 0)
				json_array_append_new(arr, m);
		m = json_pack("{s:s,s:o,s:o}", "org", trust_store_org(s), "members", arr, "lists", lists_json(s));
		cli_print_json(m, JSON_SORT_KEYS | JSON_INDENT(2));
		return EXIT_OK;
	}
	return members_table(s) < 0 ? EXIT_FAIL : EXIT_OK;
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
			return usage_error("trust revoke", _("'%s' is neither a key id nor a public key file"), what);
		memcpy(keyid, pk.keyid, sizeof(keyid));
	}
	if (get_time_opt(c->at, now, &at) < 0)
		return usage_error("trust revoke", _("bad --at time"));
	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	if (!trust_store_find(s, keyid)) {
		log_error(_("%s: key %s is in no roster here"), c->dir, what);
		return EXIT_FAIL;
	}
	r = load_root(c, &root);
	if (r < 0)
		return key_exit_code(r);
	r = roster_revoke(c->dir, root, keyid, at, c->reason ? c->reason : "unspecified", now);
	if (r < 0)
		return roster_error(c, N_("revoke the key"), r);
	printf(_("revoked %s\n"), what);
	return record_serials(c, root);
}

static int trust_pin(struct trust_control *c, const char *pubfile)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *root = NULL;
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN];
	int r;

	if (!c->org)
		return usage_error("trust pin", _("--org is required (the contractor's organisation)"));
	r = trust_pubkey_load(pubfile, &pk);
	if (r < 0) {
		log_error(_("%s: not a public key: %s"), pubfile, _(trust_strerror(r)));
		return EXIT_FAIL;
	}
	r = load_root(c, &root);
	if (r < 0)
		return key_exit_code(r);
	r = roster_pin_contractor(c->dir, root, c->org, &pk, time(NULL));
	if (r < 0)
		return roster_error(c, N_("pin the contractor's root"), r);
	trust_keyid_string(pk.keyid, id);
	printf(_("pinned %s's root %s: bring its roster in with 'wipecert trust import DIR' (into %s/contractors/%s/)\n"),
	       c->org, id, c->dir, id);
	return record_serials(c, root);
}

/* Hand a contractor's roster over (roster_import_contractor()). */
static int trust_import(struct trust_control *c, const char *from)
{
	_cleanup_free_ char *dst = NULL;
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	struct trust_pubkey pk;
	const char *failed = NULL;
	char id[TRUST_KEYID_STRLEN];
	int r;

	r = roster_import_contractor(c->dir, from, &pk, &dst, &failed);
	if (r < 0 && failed)
		return log_error(_("%s/%s: cannot copy: %s"), from, failed, _(trust_strerror(r))), EXIT_FAIL;
	if (r < 0) {
		log_error(_("%s: not accepted (%s): is its root pinned with 'trust pin'?"),
			  r != -ENOKEY && *trust_store_failed_file() ? trust_store_failed_file() : from,
			  r != -ENOKEY ? _(trust_strerror(r)) : _("root not pinned"));
		return EXIT_REFUSED;
	}
	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	trust_keyid_string(pk.keyid, id);
	printf(_("imported the roster of %s (root %s) into %s\n"), trust_store_contractor(s, pk.keyid), id, dst);
	return EXIT_OK;
}

static void cert_problem(const char *file, const char *problem, void *userdata)
{
	json_t *problems = userdata;

	if (problems)
		json_array_append_new(problems, json_pack("{s:s,s:s}", "file", file, "problem", problem));
	else
		log_error("%s: %s", file, problem);
}

/* Every signature was checked by trust_store_open(); the certificates by
 * trust_store_check_certs(). */
static int trust_verify_dir(struct trust_control *c)
{
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	json_t *problems = NULL;
	int bad, r;

	r = cli_trust_open(c->dir, &s);
	if (r)
		return r;
	if (c->json)
		problems = json_array();
	bad = trust_store_check_certs(s, cert_problem, problems);
	if (bad < 0) {
		json_decref(problems);
		return log_error_errno(bad, "%s", c->dir), EXIT_FAIL;
	}
	if (c->json) {
		json_t *j = json_pack("{s:s,s:s,s:b,s:I,s:o,s:O,s:s}", "dir", c->dir, "org", trust_store_org(s),
				      "valid", bad == 0, "members", (json_int_t)trust_store_n_members(s),
				      "lists", lists_json(s), "problems", problems, "state", trust_state_path());

		cli_print_json(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		for (size_t i = 0; i < json_array_size(problems); i++)
			log_error("%s: %s", json_string_value(json_object_get(json_array_get(problems, i), "file")),
				  json_string_value(json_object_get(json_array_get(problems, i), "problem")));
		json_decref(problems);
		return bad ? EXIT_FAIL : EXIT_OK;
	}
	if (bad)
		return EXIT_FAIL;
	printf(ngettext("%s: roster of %s with %zu key, all signatures valid\n",
			"%s: roster of %s with %zu keys, all signatures valid\n", trust_store_n_members(s)),
	       c->dir, trust_store_org(s), trust_store_n_members(s));
	for (size_t i = 0; i < trust_store_n_lists(s); i++) {
		const struct trust_list *t = trust_store_list(s, i);

		printf(_("  %s of %s (root %s): serial %llu, not older than any seen (%s)\n"),
		       t->doc == TRUST_DOC_ROSTER ? _("roster") : _("revocation list"), t->org, t->root_keyid,
		       (unsigned long long)t->serial, trust_state_path());
	}
	return EXIT_OK;
}

static const struct cli_synopsis synopses[] = {
	{ "init", "init --root-key KEY [--contractor] [--years N]" },
	{ "add", "add PUBFILE --root-key KEY [--name N] [--role R] [--org O]\n"
		 "                 [--from DATE] [--until DATE] [--csr FILE | --cert FILE]" },
	{ "list", "list [--json]" },
	{ "revoke", "revoke KEYID|PUBFILE --root-key KEY [--reason R] [--at TIME]" },
	{ "pin", "pin CONTRACTOR-ROOT.pub --org ORG --root-key KEY" },
	{ "import", "import CONTRACTOR-TRUST-DIR" },
	{ "verify", "verify [--json]" },
};

/* The usage of verb (of every verb when NULL), then the options. */
static void help(FILE *f, const char *verb)
{
	cli_family_usage(f, &trust_cmd_table, synopses, ARRAY_SIZE(synopses), verb,
			 _("The organisation's trust roster: members' keys with roles and validity,\n"
			   "revocations and pinned contractors, each signed by the root key.\n"));
	fprintf(f, _("Options:\n"
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
	       "  -J, --json             list, verify: machine-readable output\n"
	       "  -h, --help             show this help\n\n"
	       "Every command that loads the directory refuses a roster or revocation list\n"
	       "older than one seen before (serials remembered in %s).\n\n"
	       "Exit: 0 ok, 1 failed, 2 usage, 3 refused (also: a key file others can read,\n"
	       "an older signed list put back).\n"),
		TRUST_DEFAULT_DIR, trust_state_path());
}

static void family_help(FILE *f, const struct command_table *t)
{
	(void)t;
	help(f, NULL);
}

enum { OPT_DB = 255, OPT_TRUST = 256, OPT_ROOT, OPT_PASS, OPT_NAME, OPT_ROLE, OPT_ORG, OPT_CSR, OPT_CERT,
       OPT_REASON, OPT_FROM, OPT_UNTIL, OPT_AT, OPT_YEARS, OPT_CONTRACTOR };

#define O_TRUST { "trust", required_argument, NULL, OPT_TRUST }
#define O_DB { "db", required_argument, NULL, OPT_DB }
#define O_ROOT { "root-key", required_argument, NULL, OPT_ROOT }, \
	{ "passphrase-file", required_argument, NULL, OPT_PASS }
#define O_ORG { "org", required_argument, NULL, OPT_ORG }

/* The options of one verb (opts says which it takes) into c; then exactly
 * nargs operands. Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, const struct option *opts, int nargs, struct trust_control *c)
{
	_cleanup_free_ char *cmd = NULL;
	uint64_t y;
	int o;

	*c = (struct trust_control){ .role = -1, .years = 10 };
	if (asprintf(&cmd, "trust %s", argv[0]) < 0)
		return EXIT_FAIL;
	while ((o = cli_getopt(argc, argv, opts, cmd)) != -1) {
		switch (o) {
		case OPT_TRUST: c->dir = optarg; break;
		case OPT_DB: c->db = optarg; break;
		case OPT_ROOT: c->root_key = optarg; break;
		case OPT_PASS: c->pass_file = optarg; break;
		case OPT_NAME: c->name = optarg; break;
		case OPT_ROLE:
			c->role = trust_role_from_string(optarg);
			if (c->role < 0)
				return usage_error(cmd, _("unknown role '%s'"), optarg);
			break;
		case OPT_ORG: c->org = optarg; break;
		case OPT_CSR: c->csr = optarg; break;
		case OPT_CERT: c->cert = optarg; break;
		case OPT_REASON: c->reason = optarg; break;
		case OPT_FROM: c->from = optarg; break;
		case OPT_UNTIL: c->until = optarg; break;
		case OPT_AT: c->at = optarg; break;
		case OPT_YEARS:
			if (parse_u64(optarg, &y) < 0 || y < 1 || y > 100)
				return usage_error(cmd, _("--years takes 1..100"));
			c->years = (int)y;
			break;
		case OPT_CONTRACTOR: c->contractor = true; break;
		case 'J': c->json = true; break;
		case 'h': help(stdout, argv[0]); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	c->dir = trust_dir(c->dir);
	return cli_operands(argc, argv, nargs, cmd, _("one argument"));
}

static int trust_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		O_TRUST, O_DB, O_ROOT, CLI_OPT_HELP,
		{ "years", required_argument, NULL, OPT_YEARS },
		{ "contractor", no_argument, NULL, OPT_CONTRACTOR },
		{}
	};
	struct trust_control c;
	int r = parse(argc, argv, opts, 0, &c);

	return r >= 0 ? r : trust_init(&c);
}

static int trust_cmd_add(int argc, char **argv)
{
	static const struct option opts[] = {
		O_TRUST, O_DB, O_ROOT, O_ORG, CLI_OPT_HELP,
		{ "name", required_argument, NULL, OPT_NAME },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "csr", required_argument, NULL, OPT_CSR },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{}
	};
	struct trust_control c;
	int r = parse(argc, argv, opts, 1, &c);

	return r >= 0 ? r : trust_add(&c, argv[optind]);
}

static int trust_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { O_TRUST, CLI_OPT_JSON, CLI_OPT_HELP, {} };
	struct trust_control c;
	int r = parse(argc, argv, opts, 0, &c);

	return r >= 0 ? r : trust_list(&c);
}

static int trust_cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		O_TRUST, O_DB, O_ROOT, CLI_OPT_HELP,
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "at", required_argument, NULL, OPT_AT },
		{}
	};
	struct trust_control c;
	int r = parse(argc, argv, opts, 1, &c);

	return r >= 0 ? r : trust_revoke(&c, argv[optind]);
}

static int trust_cmd_pin(int argc, char **argv)
{
	static const struct option opts[] = { O_TRUST, O_DB, O_ROOT, O_ORG, CLI_OPT_HELP, {} };
	struct trust_control c;
	int r = parse(argc, argv, opts, 1, &c);

	return r >= 0 ? r : trust_pin(&c, argv[optind]);
}

static int trust_cmd_import(int argc, char **argv)
{
	static const struct option opts[] = { O_TRUST, CLI_OPT_HELP, {} };
	struct trust_control c;
	int r = parse(argc, argv, opts, 1, &c);

	return r >= 0 ? r : trust_import(&c, argv[optind]);
}

static int trust_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = { O_TRUST, CLI_OPT_JSON, CLI_OPT_HELP, {} };
	struct trust_control c;
	int r = parse(argc, argv, opts, 0, &c);

	return r >= 0 ? r : trust_verify_dir(&c);
}

static const struct command trust_cmds[] = {
	{ "init", trust_cmd_init, 0, N_("make the trust directory: roster, revocation list and CA, signed by the root") },
	{ "add", trust_cmd_add, 0, N_("add a member's key with its role (an approver's certificate too)") },
	{ "list", trust_cmd_list, CMD_JSON, N_("list the members, their roles, validity and state") },
	{ "revoke", trust_cmd_revoke, 0, N_("revoke a member's key, from a time or for good (key-compromise)") },
	{ "pin", trust_cmd_pin, 0, N_("pin a contractor's root key") },
	{ "import", trust_cmd_import, 0, N_("bring in the roster of a pinned contractor") },
	{ "verify", trust_cmd_verify, CMD_JSON, N_("check every signature and certificate of the trust directory") },
	{}
};

const struct command_table trust_cmd_table = { "trust", trust_cmds, family_help, NULL };
