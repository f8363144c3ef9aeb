/* key.c - `wipecert key`: make, show, use and check signing keys.
 *
 * Its job: the operator's side of src/trust: new key pairs (and approvers'
 * X.509 requests), signing a document, verifying one against the trust
 * roster, importing an approver certificate from PKCS#12. It must never
 * write a secret key that it has not read back with the same passphrase,
 * and never overwrite a key without --force.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include <sodium.h>

#include "wipecert/cli.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/x509.h"

struct key_control {
	const char *name, *org, *out, *pass_file, *p12_pass_file, *new_pass_file, *key, *type, *sig,
		*trust, *cert, *root_key, *root_pass_file;
	int role;
	bool force, json;
	struct trust_kdf kdf;
};

static void passp(char **p) { cli_passphrase_free(*p); }
#define _cleanup_pass_ _cleanup_(passp)

static int parse_kdf(const char *s, struct trust_kdf *ret)
{
	if (streq(s, "min"))
		*ret = (struct trust_kdf){ crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };
	else if (streq(s, "interactive"))
		*ret = (struct trust_kdf){ crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE };
	else if (streq(s, "moderate"))
		*ret = (struct trust_kdf){ crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE };
	else
		return -EINVAL;
	return 0;
}

/* "alice" or "alice.key" -> "alice" + suffix */
static char *with_suffix(const char *base, const char *suffix)
{
	size_t n = strlen(base);
	char *p;

	if (n > 4 && streq(base + n - 4, ".key"))
		n -= 4;
	if (asprintf(&p, "%.*s%s", (int)n, base, suffix) < 0)
		return NULL;
	return p;
}

static int get_pass(const struct key_control *c, const char *what, bool confirm, char **ret, size_t *len)
{
	int r = cli_read_passphrase(c->pass_file, what, confirm, ret, len);

	if (r == -ENOTTY)
		log_error(_("%s: no terminal to ask the passphrase on: use --passphrase-file"), what);
	else if (r == -EBADE)
		log_error(_("%s: the passphrases differ"), what);
	else if (r == -ENODATA)
		log_error(_("%s: empty passphrase"), what);
	else if (r < 0)
		log_error_errno(r, _("%s: cannot read the passphrase"), c->pass_file ? c->pass_file : what);
	return r;
}

/* A secret key file is there and private (as ssh refuses a key others
 * can read), said before any passphrase is asked. */
static int check_key_file(const char *path)
{
	mode_t mode = 0;
	int r = trust_seckey_check_file(path, &mode);

	if (r == -EPERM)
		log_error(_("%s: permissions %04o are too open: a secret key must be readable by its owner only "
			    "(chmod 600 %s)"), path, (unsigned)mode, path);
	else if (r < 0)
		log_error_errno(r, _("%s: cannot read the secret key"), path);
	return r;
}

/* key_load_secret(), and the passphrase that opened it when ret_pass is
 * not NULL (for a key that is written again with it). */
static int load_secret(const char *path, const char *pass_file, struct trust_seckey **ret, char **ret_pass,
		       size_t *ret_len)
{
	struct key_control c = { .pass_file = pass_file };
	_cleanup_pass_ char *pass = NULL;
	size_t len;
	int r;

	r = check_key_file(path);
	if (r < 0)
		return r;
	r = get_pass(&c, path, false, &pass, &len);
	if (r < 0)
		return r;
	r = trust_seckey_load(path, pass, len, ret);
	if (r == -EPERM)
		log_error(_("%s: permissions changed while it was read: a secret key must be readable by its "
			    "owner only (chmod 600 %s)"), path, path);
	else if (r < 0)
		log_error(_("%s: cannot load the secret key: %s"), path, _(trust_strerror(r)));
	else
		cli_op_signer(*ret); /* who answers for what the command does */
	if (r >= 0 && ret_pass) {
		*ret_pass = TAKE_PTR(pass);
		*ret_len = len;
	}
	return r;
}

int key_load_secret(const char *path, const char *pass_file, struct trust_seckey **ret)
{
	return load_secret(path, pass_file, ret, NULL, NULL);
}

int key_load_signer(const char *path, const char *pass_file, int doc, struct trust_seckey **ret)
{
	int r = key_load_secret(path, pass_file, ret);

	if (r < 0)
		return key_exit_code(r);
	if (!trust_role_may_sign(trust_seckey_role(*ret), (enum trust_doc)doc)) {
		log_error(_("%s: a %s key may not sign a %s"), path, trust_role_to_string(trust_seckey_role(*ret)),
			  trust_doc_to_string((enum trust_doc)doc));
		trust_seckey_free(*ret);
		*ret = NULL;
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* The files `key new` writes: BASE.key, BASE.pub and BASE.csr. */
struct new_files {
	char *key, *pub, *csr;
	bool wrote_csr;
};

static void new_files_release(struct new_files *f)
{
	free(f->key);
	free(f->pub);
	free(f->csr);
}

/* Everything that can refuse before a key is made: the options, the
 * organisation (default: the trust directory's), the root key file that
 * will enrol it, files that would be overwritten. Returns -1 to go on. */
static int new_check(struct key_control *c, char **org, struct new_files *f)
{
	int r;

	if (!c->name || c->role < 0 || !c->out)
		return usage_error("key new", _("--name, --role and -o are required"));
	if (!c->org) {
		_cleanup_(trust_store_freep) struct trust_store *s = NULL;

		if (trust_store_open(trust_dir(c->trust), &s) < 0)
			return usage_error("key new", _("--org is required (no trust directory at %s)"),
					   trust_dir(c->trust));
		*org = strdup(trust_store_org(s));
		if (!*org)
			return EXIT_FAIL;
		c->org = *org;
	}
	/* a root key file that cannot be read is said before a key is made
	 * that could not be enrolled */
	if (c->root_key && (r = check_key_file(c->root_key)) < 0)
		return key_exit_code(r);
	f->key = with_suffix(c->out, ".key");
	f->pub = with_suffix(c->out, ".pub");
	f->csr = with_suffix(c->out, ".csr");
	if (!f->key || !f->pub || !f->csr)
		return EXIT_FAIL;
	if (!c->force) {
		const char *exists = access(f->key, F_OK) == 0 ? f->key : access(f->pub, F_OK) == 0 ? f->pub : NULL;

		if (exists)
			return log_error(_("%s: exists, not overwritten (use --force)"), exists), EXIT_REFUSED;
	}
	return -1;
}

/* The public key file, and an approver's certificate request. */
static int new_write_public(const struct key_control *c, const struct trust_seckey *k, struct new_files *f)
{
	_cleanup_free_ char *comment = NULL, *pub = NULL, *csr = NULL;
	struct trust_pubkey pk;
	int r;

	trust_seckey_pubkey(k, &pk);
	r = trust_pubkey_comment(k, &comment);
	if (r >= 0)
		r = trust_pubkey_format(&pk, comment, &pub);
	if (r >= 0)
		r = write_file_atomic(f->pub, pub, strlen(pub), 0644, !c->force);
	if (r < 0)
		return log_error(_("%s: cannot write the public key: %s"), f->pub, _(trust_strerror(r))), EXIT_FAIL;
	if (trust_role_has_member_cert(c->role)) {
		EVP_PKEY *xk = NULL;

		r = trust_seckey_x509_key(k, &xk);
		if (r >= 0)
			r = x509_csr_create(xk, c->name, c->org, &csr);
		EVP_PKEY_free(xk);
		if (r >= 0)
			r = write_file_atomic(f->csr, csr, strlen(csr), 0644, !c->force);
		if (r < 0)
			return log_error(_("%s: cannot write the certificate request: %s"), f->csr, _(trust_strerror(r))),
			       EXIT_FAIL;
		f->wrote_csr = true;
	}
	return EXIT_OK;
}

static void new_print(const struct key_control *c, const struct trust_seckey *k, const struct new_files *f)
{
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN];

	trust_seckey_pubkey(k, &pk);
	trust_keyid_string(pk.keyid, id);
	if (c->json) {
		cli_print_json(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:b}", "keyid", id, "name", c->name,
					 "org", c->org, "role", trust_role_to_string(c->role), "secret_key", f->key,
					 "public_key", f->pub, "csr", f->wrote_csr ? f->csr : NULL,
					 "enrolled", c->root_key != NULL), JSON_SORT_KEYS);
		return;
	}
	printf(_("key %s (%s, %s, %s)\nsecret key: %s\npublic key: %s\n"), id, c->name,
	       trust_role_to_string(c->role), c->org, f->key, f->pub);
	if (f->wrote_csr && c->root_key)
		printf(_("certificate request: %s (the certificate is issued: enrolled in %s)\n"), f->csr,
		       trust_dir(c->trust));
	else if (f->wrote_csr)
		printf(_("certificate request: %s (for 'wipecert trust add')\n"), f->csr);
	if (c->root_key && !f->wrote_csr)
		printf(_("enrolled in %s\n"), trust_dir(c->trust));
}

static int key_new(struct key_control *c)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *k = NULL;
	_cleanup_(new_files_release) struct new_files f = {};
	_cleanup_free_ char *org = NULL;
	_cleanup_pass_ char *pass = NULL;
	size_t len;
	int r;

	r = new_check(c, &org, &f);
	if (r >= 0)
		return r;
	r = trust_seckey_generate(c->name, c->role, c->org, trust_role_has_x509(c->role), &k);
	if (r == -EINVAL)
		return log_error(_("name and organisation must be non-empty UTF-8 text in NFC, one line, under 256 bytes")),
		       EXIT_USAGE;
	if (r < 0)
		return log_error_errno(r, _("cannot make a key pair")), EXIT_FAIL;
	if (get_pass(c, f.key, true, &pass, &len) < 0)
		return EXIT_FAIL;
	cli_op_acted(); /* a new key: who made it, for whom, is in the log */
	cli_op_field("key", f.key);
	/* read back before it is written (trust_seckey_save()) */
	r = trust_seckey_save(k, f.key, pass, len, &c->kdf, c->force);
	if (r < 0) {
		log_error(_("%s: cannot write the secret key: %s"), f.key, _(trust_strerror(r)));
		return r == -EEXIST ? EXIT_REFUSED : EXIT_FAIL;
	}
	r = new_write_public(c, k, &f);
	if (r != EXIT_OK) {
		unlink(f.key);
		return r;
	}
	/* enrol at once: roster entry and, for approvers, the certificate */
	if (c->root_key) {
		r = trust_enroll(c->trust, c->root_key, c->root_pass_file, f.pub);
		if (r != EXIT_OK) {
			log_error(_("%s: key made but not enrolled: run 'wipecert trust add %s'"), f.key, f.pub);
			return r;
		}
	}
	new_print(c, k, &f);
	return EXIT_OK;
}

static int key_show(struct key_control *c, const char *file)
{
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ char *name = NULL, *org = NULL;
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN];
	const char *kind = "public";
	int role = -1, r;
	size_t len;

	r = read_full_file(file, &data, &len);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot read"), file);
		return EXIT_FAIL;
	}
	r = trust_pubkey_parse((const char *)data, len, &pk);
	if (r < 0) {
		r = trust_seckey_peek(data, len, &pk, &name, &role, &org);
		kind = "secret";
	}
	if (r < 0) {
		log_error(_("%s: not a key file: %s"), file, _(trust_strerror(r)));
		return EXIT_FAIL;
	}
	trust_keyid_string(pk.keyid, id);
	if (c->json) {
		json_t *v = json_pack("{s:s,s:s,s:s?,s:s?,s:s?}", "keyid", id, "kind", kind, "name", name,
				      "org", org, "role", role >= 0 ? trust_role_to_string(role) : NULL);

		cli_print_json(v, JSON_SORT_KEYS);
	} else if (name) {
		printf(_("secret key %s (%s, %s, %s)\n"), id, name, trust_role_to_string(role), org);
	} else {
		printf(streq(kind, "secret") ? _("secret key %s\n") : _("public key %s\n"), id);
	}
	return EXIT_OK;
}

static int key_sign(struct key_control *c, const char *file)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *k = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ char *sig = NULL, *out = NULL;
	size_t len;
	int doc, r;

	doc = c->type ? trust_doc_from_string(c->type) : -EINVAL;
	if (!c->key || doc < 0)
		return usage_error("key sign", _("-k KEY and a valid --type are required"));
	r = read_full_file(file, &data, &len);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot read"), file);
		return EXIT_FAIL;
	}
	if (c->sig)
		out = strdup(c->sig);
	else if (asprintf(&out, "%s.minisig", file) < 0)
		out = NULL;
	if (!out)
		return EXIT_FAIL;
	if (!c->force && access(out, F_OK) == 0) {
		log_error(_("%s: exists, not overwritten (use --force)"), out);
		return EXIT_REFUSED;
	}
	r = key_load_signer(c->key, c->pass_file, doc, &k);
	if (r)
		return r;
	r = trust_sign(doc, data, len, k, 0, &sig);
	if (r == -EINVAL) {
		log_error(_("%s: its \"type\" field is not %s"), file, c->type);
		return EXIT_REFUSED;
	}
	if (r >= 0)
		r = write_file_atomic(out, sig, strlen(sig), 0644, !c->force);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot sign"), file);
		return EXIT_FAIL;
	}
	if (!c->json)
		printf("%s\n", out);
	return EXIT_OK;
}

static int key_verify(struct key_control *c, const char *file)
{
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	_cleanup_free_ uint8_t *data = NULL, *sig = NULL;
	_cleanup_free_ char *sp = NULL;
	const char *dir = trust_dir(c->trust);
	struct trust_result res;
	size_t len, slen;
	int doc, r;

	doc = c->type ? trust_doc_from_string(c->type) : -EINVAL;
	if (doc < 0)
		return usage_error("key verify", _("a valid --type is required"));
	if (c->sig)
		sp = strdup(c->sig);
	else if (asprintf(&sp, "%s.minisig", file) < 0)
		sp = NULL;
	if (!sp)
		return EXIT_FAIL;
	r = read_full_file(file, &data, &len);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot read"), file);
		return EXIT_FAIL;
	}
	r = read_full_file(sp, &sig, &slen);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot read"), sp);
		return EXIT_FAIL;
	}
	r = cli_trust_open(dir, &s);
	if (r)
		return r;
	r = trust_verify(s, doc, data, len, (const char *)sig, slen, &res);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot verify"), file);
		return EXIT_FAIL;
	}
	if (c->json) {
		char t[32] = "";
		json_t *v;

		if (res.verdict != TRUST_MALFORMED)
			format_utc(res.claim.signed_at, t, sizeof(t));
		v = json_pack("{s:b,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?}", "valid", res.verdict == TRUST_OK,
			      "verdict", trust_verdict_string(res.verdict), "file", file, "keyid", res.keyid,
			      "name", res.verdict != TRUST_MALFORMED ? res.claim.name : NULL,
			      "org", res.verdict != TRUST_MALFORMED ? res.claim.org : NULL,
			      "role", res.verdict != TRUST_MALFORMED ? trust_role_to_string(res.claim.role) : NULL,
			      "signed_at", *t ? t : NULL);
		cli_print_json(v, JSON_SORT_KEYS);
	}
	if (res.verdict != TRUST_OK) {
		log_error(_("%s: refused: %s (key %s)"), file, _(trust_verdict_string(res.verdict)), res.keyid);
		return EXIT_FAIL;
	}
	if (!c->json) {
		char t[32];

		format_utc(res.claim.signed_at, t, sizeof(t));
		printf(_("%s: valid %s signed by %s (%s, %s) at %s, key %s\n"), file, c->type,
		       res.claim.name, trust_role_to_string(res.claim.role), res.claim.org, t, res.keyid);
	}
	return EXIT_OK;
}

static int key_import_p12(struct key_control *c, const char *file)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *k = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ char *crt = NULL, *pem = NULL;
	_cleanup_pass_ char *pass = NULL, *p12pass = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *xk = NULL;
	X509 *cert = NULL;
	char fpr[TRUST_FPR_STRLEN];
	size_t len, plen, p12len;
	int r, ret = EXIT_FAIL;

	if (!c->key)
		return usage_error("key import-p12", _("-k KEY is required"));
	crt = with_suffix(c->key, ".crt");
	if (!crt)
		return EXIT_FAIL;
	if (!c->force && access(crt, F_OK) == 0) {
		log_error(_("%s: exists, not overwritten (use --force)"), crt);
		return EXIT_REFUSED;
	}
	/* the key first: a missing or unreadable key file is said before any
	 * passphrase is asked */
	r = load_secret(c->key, c->pass_file, &k, &pass, &plen);
	if (r < 0)
		return key_exit_code(r);
	r = read_full_file(file, &data, &len);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot read"), file);
		return EXIT_FAIL;
	}
	r = get_pass(&(struct key_control){ .pass_file = c->p12_pass_file }, file, false, &p12pass, &p12len);
	if (r < 0)
		return EXIT_FAIL;
	r = x509_p12_parse(data, len, p12pass, &xk, &cert, &chain);
	if (r < 0) {
		log_error(_("%s: cannot open the PKCS#12 file: %s"), file, _(trust_strerror(r)));
		return EXIT_FAIL;
	}
	r = trust_seckey_set_x509_key(k, xk);
	if (r >= 0)
		r = x509_pem_append(cert, &pem);
	for (int i = 0; r >= 0 && i < sk_X509_num(chain); i++)
		r = x509_pem_append(sk_X509_value(chain, i), &pem);
	if (r >= 0)
		r = trust_x509_fingerprint(cert, fpr);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot use the key or certificate"), file);
		goto out;
	}
	/* the certificate first: the key file changes only if it is in place */
	r = write_file_atomic(crt, pem, strlen(pem), 0644, !c->force);
	if (r >= 0)
		r = trust_seckey_save(k, c->key, pass, plen, &c->kdf, true);
	if (r < 0) {
		log_error(_("%s: cannot write: %s"), c->key, _(trust_strerror(r)));
		goto out;
	}
	printf(_("certificate: %s\nsha256 fingerprint: %s\n"), crt, fpr);
	ret = EXIT_OK;
out:
	EVP_PKEY_free(xk);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return ret;
}

/* A new passphrase (key escrow, a holder leaving): the file is replaced
 * atomically and only after the old passphrase opened it. */
static int key_passwd(struct key_control *c)
{
	_cleanup_(trust_seckey_freep) struct trust_seckey *k = NULL;
	_cleanup_pass_ char *pass = NULL;
	size_t len;
	int r;

	if (!c->key)
		return usage_error("key passwd", _("-k KEY is required"));
	r = key_load_secret(c->key, c->pass_file, &k);
	if (r < 0)
		return key_exit_code(r);
	r = get_pass(&(struct key_control){ .pass_file = c->new_pass_file }, "the new passphrase", true,
		     &pass, &len);
	if (r < 0)
		return EXIT_FAIL;
	r = trust_seckey_save(k, c->key, pass, len, &c->kdf, true);
	if (r < 0) {
		log_error(_("%s: cannot write: %s"), c->key, _(trust_strerror(r)));
		return EXIT_FAIL;
	}
	printf(_("%s: passphrase changed\n"), c->key);
	return EXIT_OK;
}

static const struct cli_synopsis synopses[] = {
	{ "new", "new --name NAME --role ROLE [--org ORG] -o BASE [--passphrase-file F] [--force] [--json]\n"
		 "                 [--root-key ROOT [--root-passphrase-file F] [--trust DIR]]" },
	{ "show", "show FILE [--json]" },
	{ "sign", "sign -k KEY --type TYPE FILE [-x SIG] [--passphrase-file F] [--force]" },
	{ "verify", "verify --type TYPE FILE [-x SIG] [--trust DIR] [--json]" },
	{ "import-p12", "import-p12 FILE.p12 -k KEY [--p12-passphrase-file F] [--passphrase-file F] [--force]" },
	{ "passwd", "passwd -k KEY [--passphrase-file OLD] [--new-passphrase-file NEW]" },
};

/* The usage of verb (of every verb when NULL), then the options. */
static void help(FILE *f, const char *verb)
{
	cli_family_usage(f, &key_cmd_table, synopses, ARRAY_SIZE(synopses), verb,
			 _("Signing keys (Ed25519, minisign formats) and approvers' X.509 keys.\n"));
	fprintf(f, _("Options:\n"
	       "  --name NAME            the key holder's name\n"
	       "  --role ROLE            technician, approver, contractor-technician,\n"
	       "                         contractor-approver, witness, auditor or org-root\n"
	       "  --org ORG              the key holder's organisation (default: the trust\n"
	       "                         directory's)\n"
	       "  -o, --output BASE      writes BASE.key (secret, 0600), BASE.pub and, for\n"
	       "                         approvers, BASE.csr (X.509 certificate request)\n"
	       "  --root-key ROOT        new: enrol the key at once (as 'trust add'): roster\n"
	       "                         entry and, for approvers, the X.509 certificate\n"
	       "  --root-passphrase-file F  the root key's passphrase\n"
	       "  -k, --key KEY          the secret key file\n"
	       "  --type TYPE            document type: wipe-record, approval, certificate,\n"
	       "                         ledger-event, roster, revocation\n"
	       "  -x, --sig SIG          signature file (default FILE.minisig)\n"
	       "  --trust DIR            trust directory (default $WIPECERT_TRUST or %s)\n"
	       "  --passphrase-file F    read the passphrase from F's first line (else the\n"
	       "                         terminal); /dev/fd/N reads it from a file descriptor\n"
	       "  --p12-passphrase-file F  the PKCS#12 file's passphrase\n"
	       "  --new-passphrase-file F  passwd: the new passphrase (else asked twice)\n"
	       "  --kdf COST             Argon2id cost: moderate (default), interactive, min (tests)\n"
	       "  --force                overwrite existing files\n"
	       "  -J, --json             machine-readable output (new, show, verify)\n"
	       "  -h, --help             show this help\n\n"
	       "Exit: 0 ok, 1 failed (also: signature refused), 2 usage, 3 refused.\n"),
		TRUST_DEFAULT_DIR);
}

static void family_help(FILE *f, const struct command_table *t)
{
	(void)t;
	help(f, NULL);
}

enum { OPT_NAME = 256, OPT_ROLE, OPT_ORG, OPT_PASS, OPT_P12PASS, OPT_NEWPASS, OPT_TYPE, OPT_TRUST,
       OPT_FORCE, OPT_KDF, OPT_ROOT, OPT_ROOTPASS };

#define O_NAME { "name", required_argument, NULL, OPT_NAME }
#define O_ROLE { "role", required_argument, NULL, OPT_ROLE }
#define O_ORG { "org", required_argument, NULL, OPT_ORG }
#define O_OUTPUT { "output", required_argument, NULL, 'o' }
#define O_KEY { "key", required_argument, NULL, 'k' }
#define O_SIG { "sig", required_argument, NULL, 'x' }
#define O_TYPE { "type", required_argument, NULL, OPT_TYPE }
#define O_TRUST { "trust", required_argument, NULL, OPT_TRUST }
#define O_PASS { "passphrase-file", required_argument, NULL, OPT_PASS }
#define O_KDF { "kdf", required_argument, NULL, OPT_KDF }
#define O_FORCE { "force", no_argument, NULL, OPT_FORCE }

/* The options of one verb (opts says which it takes) into c; then exactly
 * nargs operands. Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, const struct option *opts, int nargs, struct key_control *c)
{
	_cleanup_free_ char *cmd = NULL;
	int o;

	parse_kdf("moderate", &c->kdf);
	c->role = -1;
	if (asprintf(&cmd, "key %s", argv[0]) < 0)
		return EXIT_FAIL;
	while ((o = cli_getopt(argc, argv, opts, cmd)) != -1) {
		switch (o) {
		case OPT_NAME: c->name = optarg; break;
		case OPT_ROLE:
			c->role = trust_role_from_string(optarg);
			if (c->role < 0)
				return usage_error(cmd, _("unknown role '%s'"), optarg);
			break;
		case OPT_ORG: c->org = optarg; break;
		case 'o': c->out = optarg; break;
		case 'k': c->key = optarg; break;
		case 'x': c->sig = optarg; break;
		case OPT_TYPE: c->type = optarg; break;
		case OPT_TRUST: c->trust = optarg; break;
		case OPT_PASS: c->pass_file = optarg; break;
		case OPT_P12PASS: c->p12_pass_file = optarg; break;
		case OPT_NEWPASS: c->new_pass_file = optarg; break;
		case OPT_ROOT: c->root_key = optarg; break;
		case OPT_ROOTPASS: c->root_pass_file = optarg; break;
		case OPT_KDF:
			if (parse_kdf(optarg, &c->kdf) < 0)
				return usage_error(cmd, _("unknown --kdf cost '%s'"), optarg);
			break;
		case OPT_FORCE: c->force = true; break;
		case 'J': c->json = true; break;
		case 'h': help(stdout, argv[0]); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	return cli_operands(argc, argv, nargs, cmd, _("one file"));
}

static int key_cmd_new(int argc, char **argv)
{
	static const struct option opts[] = {
		O_NAME, O_ROLE, O_ORG, O_OUTPUT, O_TRUST, O_PASS, O_KDF, O_FORCE, CLI_OPT_JSON, CLI_OPT_HELP,
		{ "root-key", required_argument, NULL, OPT_ROOT },
		{ "root-passphrase-file", required_argument, NULL, OPT_ROOTPASS },
		{}
	};
	struct key_control c = {};
	int r = parse(argc, argv, opts, 0, &c);

	return r >= 0 ? r : key_new(&c);
}

static int key_cmd_show(int argc, char **argv)
{
	static const struct option opts[] = { CLI_OPT_JSON, CLI_OPT_HELP, {} };
	struct key_control c = {};
	int r = parse(argc, argv, opts, 1, &c);

	return r >= 0 ? r : key_show(&c, argv[optind]);
}

static int key_cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = { O_KEY, O_TYPE, O_SIG, O_PASS, O_FORCE, CLI_OPT_HELP, {} };
	struct key_control c = {};
	int r = parse(argc, argv, opts, 1, &c);

	return r >= 0 ? r : key_sign(&c, argv[optind]);
}

static int key_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = { O_TYPE, O_SIG, O_TRUST, CLI_OPT_JSON, CLI_OPT_HELP, {} };
	struct key_control c = {};
	int r = parse(argc, argv, opts, 1, &c);

	return r >= 0 ? r : key_verify(&c, argv[optind]);
}

static int key_cmd_import_p12(int argc, char **argv)
{
	static const struct option opts[] = {
		O_KEY, O_PASS, O_KDF, O_FORCE, CLI_OPT_HELP,
		{ "p12-passphrase-file", required_argument, NULL, OPT_P12PASS },
		{}
	};
	struct key_control c = {};
	int r = parse(argc, argv, opts, 1, &c);

	return r >= 0 ? r : key_import_p12(&c, argv[optind]);
}

static int key_cmd_passwd(int argc, char **argv)
{
	static const struct option opts[] = {
		O_KEY, O_PASS, O_KDF, CLI_OPT_HELP,
		{ "new-passphrase-file", required_argument, NULL, OPT_NEWPASS },
		{}
	};
	struct key_control c = {};
	int r = parse(argc, argv, opts, 0, &c);

	return r >= 0 ? r : key_passwd(&c);
}

static const struct command key_cmds[] = {
	{ "new", key_cmd_new, CMD_JSON, N_("make a key pair (an approver's with an X.509 request); --root-key enrols it") },
	{ "show", key_cmd_show, CMD_JSON, N_("show a key file's ID, holder, role and organisation") },
	{ "sign", key_cmd_sign, 0, N_("sign a document of a type (minisign format)") },
	{ "verify", key_cmd_verify, CMD_JSON, N_("check a document's signature against the trust roster") },
	{ "import-p12", key_cmd_import_p12, 0, N_("take an approver's X.509 key and certificate from a PKCS#12 file") },
	{ "passwd", key_cmd_passwd, 0, N_("give a secret key a new passphrase") },
	{}
};

const struct command_table key_cmd_table = { "key", key_cmds, family_help, NULL };
