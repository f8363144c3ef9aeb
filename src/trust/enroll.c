/* enroll.c - a member enrolled in the roster and a contractor's roster
 * brought in: the trust directory's files as a unit.
 *
 * Its job: an approver's roster entry and its X.509 certificate in
 * members/KEYID.crt come together or not at all; a contractor's signed
 * lists are kept only if the store then loads with them. It must never
 * leave a certificate without its roster entry, nor a contractor's files
 * that did not verify.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "wipecert/canon.h"
#include "wipecert/roster.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/x509.h"

#define COMMENT_PREFIX "untrusted comment: "

bool trust_role_has_member_cert(enum trust_role r)
{
	/* approvers sign certificates, auditors the audit report: PDFs, X.509 */
	return trust_role_may_sign(r, TRUST_DOC_CERTIFICATE) || trust_role_may_sign(r, TRUST_DOC_AUDIT_REPORT);
}

bool trust_role_has_x509(enum trust_role r)
{
	/* the root's P-256 key is the CA key */
	return trust_role_has_member_cert(r) || r == TRUST_ROLE_ORG_ROOT;
}

int trust_pubkey_comment(const struct trust_seckey *k, char **ret)
{
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN];
	json_t *v;
	int r;

	trust_seckey_pubkey(k, &pk);
	trust_keyid_string(pk.keyid, id);
	v = json_pack("{s:s,s:s,s:s,s:s}", "keyid", id, "name", trust_seckey_name(k),
		      "org", trust_seckey_org(k), "role", trust_role_to_string(trust_seckey_role(k)));
	if (!v)
		return -ENOMEM;
	r = canon_json(v, ret, NULL);
	json_decref(v);
	return r;
}

int trust_pubkey_defaults(const uint8_t *data, size_t len, char **ret_name, char **ret_org, int *ret_role)
{
	const char *nl = memchr(data, '\n', len), *v;
	size_t pre = strlen(COMMENT_PREFIX);
	json_t *meta = NULL;

	*ret_name = *ret_org = NULL;
	*ret_role = -1;
	if (!nl || len <= pre || memcmp(data, COMMENT_PREFIX, pre) != 0)
		return 0;
	if (canon_parse((const char *)data + pre, (size_t)(nl - (const char *)data) - pre, &meta) < 0 || !meta)
		return 0;
	if ((v = json_string_value(json_object_get(meta, "name"))))
		*ret_name = strdup(v);
	if ((v = json_string_value(json_object_get(meta, "org"))))
		*ret_org = strdup(v);
	*ret_role = trust_role_from_string(json_string_value(json_object_get(meta, "role")));
	json_decref(meta);
	return 0;
}

int roster_check_new_member(const struct trust_store *s, const struct trust_member *m)
{
	if (!streq(m->org, trust_store_org(s)))
		return -EXDEV;
	if (trust_store_find(s, m->pk.keyid))
		return -EEXIST;
	return 0;
}

static char *member_cert_path(const char *dir, const struct trust_member *m)
{
	char id[TRUST_KEYID_STRLEN], *p;

	trust_keyid_string(m->pk.keyid, id);
	return asprintf(&p, "%s/members/%s.crt", dir, id) < 0 ? NULL : p;
}

/* A certificate of the organisation's own PKI (key import-p12): its
 * fingerprint into m, the PEM into members/KEYID.crt. */
static int import_cert(const char *dir, struct trust_member *m, const char *cert_path)
{
	_cleanup_free_ char *mdir = NULL, *dst = NULL, *pem = NULL;
	X509 *x = NULL;
	int r;

	r = x509_load_pem(cert_path, &x, NULL);
	if (r >= 0)
		r = trust_x509_fingerprint(x, m->x509_sha256);
	if (r >= 0)
		r = x509_pem_append(x, &pem);
	X509_free(x);
	ERR_clear_error();
	if (r < 0)
		return -EBADMSG;
	mdir = path_join(dir, "members");
	dst = member_cert_path(dir, m);
	if (!mdir || !dst)
		return -ENOMEM;
	if (mkdir(mdir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return write_file_atomic(dst, pem, strlen(pem), 0644, false);
}

int roster_enroll(const char *dir, const struct trust_seckey *root, struct trust_member *m,
		  const char *cert_path, const char *csr, size_t csr_len, time_t now)
{
	_cleanup_free_ char *crt = NULL;
	int r = 0;

	if (cert_path)
		r = import_cert(dir, m, cert_path);
	else if (trust_role_has_member_cert(m->role))
		r = csr ? roster_issue_cert(dir, root, m, csr, csr_len, m->x509_sha256) : -ENOENT;
	if (r < 0)
		return r;
	r = roster_add(dir, root, m, now);
	if (r < 0 && m->x509_sha256[0]) {
		/* no certificate without its roster entry */
		crt = member_cert_path(dir, m);
		if (crt)
			unlink(crt);
	}
	return r;
}

static const char *const contractor_files[] = {
	"roster.json", "roster.json.minisig", "revoked.json", "revoked.json.minisig",
	"ca.crt", /* its approvers' PDF signatures chain to it; optional */
};

static int copy_file(const char *from, const char *to, const char *name, bool optional)
{
	_cleanup_free_ char *sp = path_join(from, name), *dp = path_join(to, name);
	_cleanup_free_ uint8_t *data = NULL;
	size_t len;
	int r;

	if (!sp || !dp)
		return -ENOMEM;
	r = read_full_file(sp, &data, &len);
	if (r >= 0)
		r = write_file_atomic(dp, data, len, 0644, false);
	return r == -ENOENT && optional ? 0 : r;
}

static void remove_contractor(const char *dst)
{
	for (size_t i = 0; i < ARRAY_SIZE(contractor_files); i++) {
		_cleanup_free_ char *p = path_join(dst, contractor_files[i]);

		if (p)
			unlink(p);
	}
	rmdir(dst);
}

int roster_import_contractor(const char *dir, const char *from, struct trust_pubkey *ret_root,
			     char **ret_dst, const char **ret_failed)
{
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	_cleanup_free_ char *rootp = path_join(from, "root.pub"), *cdir = path_join(dir, "contractors");
	_cleanup_free_ char *dst = NULL;
	char id[TRUST_KEYID_STRLEN];
	int r;

	*ret_failed = "root.pub";
	if (!rootp || !cdir)
		return -ENOMEM;
	r = trust_pubkey_load(rootp, ret_root);
	if (r < 0)
		return r;
	trust_keyid_string(ret_root->keyid, id);
	dst = path_join(cdir, id);
	if (!dst)
		return -ENOMEM;
	*ret_failed = NULL;
	if ((mkdir(cdir, 0755) < 0 && errno != EEXIST) || (mkdir(dst, 0755) < 0 && errno != EEXIST))
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(contractor_files); i++) {
		r = copy_file(from, dst, contractor_files[i], streq(contractor_files[i], "ca.crt"));
		if (r < 0) {
			*ret_failed = contractor_files[i];
			return r;
		}
	}
	/* kept only if the store loads with it, and its root is pinned */
	r = trust_store_open(dir, &s);
	if (r >= 0 && !trust_store_contractor(s, ret_root->keyid))
		r = -ENOKEY;
	if (r < 0) {
		remove_contractor(dst);
		return r;
	}
	*ret_dst = TAKE_PTR(dst);
	return 0;
}
