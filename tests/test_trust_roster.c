/* test_trust_roster.c - the trust store and trust_verify(): each refusal
 * with its reason, contractors, separation of duties, X.509 material; the
 * lists' serials against the verifier's state (rollback). */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "helpers.h"
#include "wipecert/canon.h"
#include "wipecert/roster.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/x509.h"

#define DAY 86400
#define T0 ((time_t)1795000000) /* 2026-11-19 */
#define YEAR (365 * DAY)

static char *dir, *cdir, *state_file;
static struct trust_seckey *root, *tech, *tech2, *appr, *appr_twin, *stranger, *croot, *ctech;

static const char *record = "{\"serial\":\"WD-1\",\"type\":\"wipe-record\"}";
static const char *approval = "{\"record\":\"WD-1\",\"type\":\"approval\"}";

static int setup(void **state)
{
	struct trust_member m;
	char *p;

	(void)state;
	dir = test_mkdtemp();
	assert_true(asprintf(&p, "%s/trust", dir) > 0);
	/* the verifier's memory of the lists' serials: this test's own */
	assert_true(asprintf(&state_file, "%s/trust-state.json", dir) > 0);
	setenv("WIPECERT_TRUST_STATE", state_file, 1);
	assert_int_equal(trust_seckey_generate("Root", TRUST_ROLE_ORG_ROOT, "Example City", true, &root), 0);
	assert_int_equal(roster_init(p, root, T0 - YEAR, 10, false), 0);
	assert_int_equal(roster_init(p, root, T0 - YEAR, 10, false), -EEXIST);
	free(dir);
	dir = p;
	assert_int_equal(trust_seckey_generate("Taro", TRUST_ROLE_TECHNICIAN, "Example City", false, &tech), 0);
	assert_int_equal(trust_seckey_generate("Jiro", TRUST_ROLE_TECHNICIAN, "Example City", false, &tech2), 0);
	assert_int_equal(trust_seckey_generate("Hanako", TRUST_ROLE_APPROVER, "Example City", true, &appr), 0);
	/* the same person as the technician, holding an approver key too */
	assert_int_equal(trust_seckey_generate("Taro", TRUST_ROLE_APPROVER, "Example City", false, &appr_twin), 0);
	assert_int_equal(trust_seckey_generate("Eve", TRUST_ROLE_TECHNICIAN, "Elsewhere", false, &stranger), 0);
	m = test_member(tech, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_add(dir, root, &m, T0), 0);
	assert_int_equal(roster_add(dir, root, &m, T0), -EEXIST);
	m = test_member(tech2, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_add(dir, root, &m, T0), 0);
	m = test_member(appr, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_add(dir, root, &m, T0), 0);
	m = test_member(appr_twin, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_add(dir, root, &m, T0), 0);
	/* another organisation's member cannot be added to ours */
	m = test_member(stranger, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_add(dir, root, &m, T0), -EINVAL);
	/* only our root may change the roster */
	m = test_member(stranger, T0 - YEAR, T0 + YEAR);
	m.org = "Example City";
	assert_int_equal(roster_add(dir, tech, &m, T0), -ENOKEY);
	return 0;
}

static int teardown(void **state)
{
	char *top;

	(void)state;
	top = strdup(dir);
	*strrchr(top, '/') = '\0';
	test_rmtree(top);
	free(top);
	free(dir);
	free(cdir);
	free(state_file);
	trust_seckey_free(root);
	trust_seckey_free(tech);
	trust_seckey_free(tech2);
	trust_seckey_free(appr);
	trust_seckey_free(appr_twin);
	trust_seckey_free(stranger);
	trust_seckey_free(croot);
	trust_seckey_free(ctech);
	return 0;
}

static enum trust_verdict verify_as(struct trust_store *s, enum trust_doc doc, const char *msg,
				    const char *sig, struct trust_result *res)
{
	struct trust_result r;

	assert_int_equal(trust_verify(s, doc, (const uint8_t *)msg, strlen(msg), sig,
				      sig ? strlen(sig) : 0, &r), 0);
	if (res)
		*res = r;
	return r.verdict;
}

static enum trust_verdict sign_verify(struct trust_seckey *k, enum trust_doc doc, const char *msg,
				      time_t when, struct trust_result *res)
{
	struct trust_store *s = NULL;
	char *sig = NULL;
	enum trust_verdict v;

	assert_int_equal(trust_store_open(dir, &s), 0);
	assert_int_equal(trust_sign(doc, (const uint8_t *)msg, strlen(msg), k, when, &sig), 0);
	v = verify_as(s, doc, msg, sig, res);
	free(sig);
	trust_store_free(s);
	return v;
}

static void test_valid(void **state)
{
	struct trust_result r;

	(void)state;
	assert_int_equal(sign_verify(tech, TRUST_DOC_WIPE_RECORD, record, T0, &r), TRUST_OK);
	assert_string_equal(r.claim.name, "Taro");
	assert_string_equal(r.claim.org, "Example City");
	assert_int_equal(r.claim.role, TRUST_ROLE_TECHNICIAN);
	assert_int_equal(sign_verify(appr, TRUST_DOC_APPROVAL, approval, T0, NULL), TRUST_OK);
	assert_int_equal(sign_verify(root, TRUST_DOC_LEDGER_EVENT, "{\"type\":\"ledger-event\"}", T0, NULL), TRUST_OK);
}

static void test_wrong_role(void **state)
{
	(void)state;
	/* a technician cannot approve; an approver does not sign wipe records */
	assert_int_equal(sign_verify(tech, TRUST_DOC_APPROVAL, approval, T0, NULL), TRUST_WRONG_ROLE);
	assert_int_equal(sign_verify(appr, TRUST_DOC_WIPE_RECORD, record, T0, NULL), TRUST_WRONG_ROLE);
	assert_int_equal(sign_verify(tech, TRUST_DOC_CERTIFICATE, "{\"type\":\"certificate\"}", T0, NULL),
			 TRUST_WRONG_ROLE);
}

static void test_validity(void **state)
{
	(void)state;
	assert_int_equal(sign_verify(tech, TRUST_DOC_WIPE_RECORD, record, T0 + 2 * YEAR, NULL), TRUST_EXPIRED);
	assert_int_equal(sign_verify(tech, TRUST_DOC_WIPE_RECORD, record, T0 - 2 * YEAR, NULL),
			 TRUST_NOT_YET_VALID);
}

static void test_unknown(void **state)
{
	struct trust_store *s = NULL;
	char *sig = NULL;

	(void)state;
	/* a key of an organisation we know nothing of */
	assert_int_equal(sign_verify(stranger, TRUST_DOC_WIPE_RECORD, record, T0, NULL), TRUST_UNKNOWN_ORG);
	/* an unlisted key claiming our organisation */
	{
		struct trust_seckey *k = NULL;

		assert_int_equal(trust_seckey_generate("Mallory", TRUST_ROLE_TECHNICIAN, "Example City", false, &k), 0);
		assert_int_equal(sign_verify(k, TRUST_DOC_WIPE_RECORD, record, T0, NULL), TRUST_UNKNOWN_KEY);
		trust_seckey_free(k);
	}
	assert_int_equal(trust_store_open(dir, &s), 0);
	assert_int_equal(verify_as(s, TRUST_DOC_WIPE_RECORD, record, "garbage", NULL), TRUST_MALFORMED);
	assert_int_equal(verify_as(s, TRUST_DOC_WIPE_RECORD, record, NULL, NULL), TRUST_MALFORMED);
	/* signed as a wipe record, presented as another document */
	assert_int_equal(trust_sign(TRUST_DOC_WIPE_RECORD, (const uint8_t *)"x", 1, tech, T0, &sig), 0);
	assert_int_equal(verify_as(s, TRUST_DOC_LEDGER_EVENT, "x", sig, NULL), TRUST_DOC_MISMATCH);
	assert_int_equal(verify_as(s, TRUST_DOC_WIPE_RECORD, "y", sig, NULL), TRUST_BAD_SIGNATURE);
	free(sig);
	trust_store_free(s);
}

/* A key holder's claims are its own words: the roster knows this key as
 * Saburo, its signatures say they are Hanako's (the approver's name). */
static void test_claimed_name(void **state)
{
	struct trust_seckey *k;
	struct trust_member m;
	struct trust_result r;

	(void)state;
	assert_int_equal(trust_seckey_generate("Hanako", TRUST_ROLE_TECHNICIAN, "Example City", false, &k), 0);
	m = test_member(k, T0 - YEAR, T0 + YEAR);
	m.name = "Saburo";
	assert_int_equal(roster_add(dir, root, &m, T0), 0);
	assert_int_equal(sign_verify(k, TRUST_DOC_WIPE_RECORD, record, T0, &r), TRUST_DOC_MISMATCH);
	trust_seckey_free(k);
}

/* trust_check_separation() on its own: one key can never both wipe and
 * approve, whatever names its claims carry (the roles keep that from
 * happening through trust_verify; the rule must hold without them too) */
static void test_separation_same_key(void **state)
{
	struct trust_result w = { .verdict = TRUST_OK }, a = { .verdict = TRUST_OK };

	(void)state;
	snprintf(w.keyid, sizeof(w.keyid), "%s", "0123456789ABCDEF");
	snprintf(a.keyid, sizeof(a.keyid), "%s", "0123456789ABCDEF");
	w.claim.role = TRUST_ROLE_TECHNICIAN;
	a.claim.role = TRUST_ROLE_APPROVER;
	snprintf(w.claim.name, sizeof(w.claim.name), "Taro");
	snprintf(a.claim.name, sizeof(a.claim.name), "Hanako");
	snprintf(w.claim.org, sizeof(w.claim.org), "Example City");
	snprintf(a.claim.org, sizeof(a.claim.org), "Example City");
	assert_int_equal(trust_check_separation(&w, &a), TRUST_SAME_SIGNER);
	snprintf(a.keyid, sizeof(a.keyid), "%s", "FEDCBA9876543210");
	assert_int_equal(trust_check_separation(&w, &a), TRUST_OK);
}

static void test_separation(void **state)
{
	struct trust_result w, a, twin;

	(void)state;
	assert_int_equal(sign_verify(tech, TRUST_DOC_WIPE_RECORD, record, T0, &w), TRUST_OK);
	assert_int_equal(sign_verify(appr, TRUST_DOC_APPROVAL, approval, T0, &a), TRUST_OK);
	assert_int_equal(trust_check_separation(&w, &a), TRUST_OK);
	/* the same key on both */
	assert_int_equal(trust_check_separation(&w, &w), TRUST_SAME_SIGNER);
	/* the same person with a second key */
	assert_int_equal(sign_verify(appr_twin, TRUST_DOC_APPROVAL, approval, T0, &twin), TRUST_OK);
	assert_int_equal(trust_check_separation(&w, &twin), TRUST_SAME_SIGNER);
	/* a technician's signature in the approver's place */
	assert_int_equal(sign_verify(tech2, TRUST_DOC_APPROVAL, approval, T0, &a), TRUST_WRONG_ROLE);
	assert_int_equal(trust_check_separation(&w, &a), TRUST_WRONG_ROLE);
}

/* Revocation last among the owner tests: it changes the store. */
static void test_revoked(void **state)
{
	struct trust_pubkey pk;

	(void)state;
	trust_seckey_pubkey(tech, &pk);
	assert_int_equal(roster_revoke(dir, root, pk.keyid, T0, "left-organisation", T0), 0);
	assert_int_equal(roster_revoke(dir, root, pk.keyid, T0, "again", T0), -EEXIST);
	/* signed before the revocation: still good; after: refused */
	assert_int_equal(sign_verify(tech, TRUST_DOC_WIPE_RECORD, record, T0 - DAY, NULL), TRUST_OK);
	assert_int_equal(sign_verify(tech, TRUST_DOC_WIPE_RECORD, record, T0 + DAY, NULL), TRUST_REVOKED);
	/* a compromised key is refused whatever time it claims */
	trust_seckey_pubkey(tech2, &pk);
	assert_int_equal(roster_revoke(dir, root, pk.keyid, T0, "key-compromise", T0), 0);
	assert_int_equal(sign_verify(tech2, TRUST_DOC_WIPE_RECORD, record, T0 - DAY, NULL), TRUST_REVOKED);
}

static void test_tampered_store(void **state)
{
	struct trust_store *s = NULL;
	_cleanup_free_ char *p = NULL, *saved = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	size_t len;
	char *hit;

	(void)state;
	assert_true(asprintf(&p, "%s/roster.json", dir) > 0);
	assert_int_equal(read_full_file(p, &data, &len), 0);
	saved = strndup((char *)data, len);
	/* promote a technician to approver by editing the roster */
	hit = strstr(saved, "\"role\":\"technician\"");
	assert_non_null(hit);
	memcpy(hit, "\"role\":\"approver\"  ", 19);
	assert_int_equal(write_file_atomic(p, saved, len, 0644, false), 0);
	assert_int_equal(trust_store_open(dir, &s), -EBADMSG);
	assert_null(s);
	assert_non_null(strstr(trust_store_failed_file(), "roster.json"));
	assert_int_equal(write_file_atomic(p, data, len, 0644, false), 0);
	/* a missing revocation list is an error, not "nothing revoked" */
	free(p);
	assert_true(asprintf(&p, "%s/revoked.json.minisig", dir) > 0);
	free(data);
	assert_int_equal(read_full_file(p, &data, &len), 0);
	unlink(p);
	assert_int_equal(trust_store_open(dir, &s), -ENOENT);
	assert_int_equal(write_file_atomic(p, data, len, 0644, false), 0);
	assert_int_equal(trust_store_open(dir, &s), 0);
	trust_store_free(s);
}

static void test_contractor(void **state)
{
	struct trust_store *s = NULL;
	struct trust_member m;
	struct trust_pubkey cpk;
	char id[TRUST_KEYID_STRLEN], *sig = NULL;
	struct trust_result res;

	(void)state;
	assert_int_equal(trust_seckey_generate("ITAD Root", TRUST_ROLE_ORG_ROOT, "ITAD Co", true, &croot), 0);
	assert_int_equal(trust_seckey_generate("Kenji", TRUST_ROLE_CONTRACTOR_TECHNICIAN, "ITAD Co", false, &ctech), 0);
	trust_seckey_pubkey(croot, &cpk);
	trust_keyid_string(cpk.keyid, id);
	assert_true(asprintf(&cdir, "%s/contractors/%s", dir, id) > 0);
	/* the contractor builds its own roster (at its own site) */
	assert_int_equal(roster_init(cdir, croot, T0 - YEAR, 5, true), 0);
	m = test_member(ctech, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_add(cdir, croot, &m, T0), 0);
	/* a contractor roster cannot list owner roles */
	m = test_member(appr, T0 - YEAR, T0 + YEAR);
	m.org = "ITAD Co";
	assert_int_equal(roster_add(cdir, croot, &m, T0), -EINVAL);

	assert_int_equal(trust_sign(TRUST_DOC_WIPE_RECORD, (const uint8_t *)record, strlen(record),
				    ctech, T0, &sig), 0);
	/* not pinned yet: the contractor's organisation is unknown to us */
	assert_int_equal(trust_store_open(dir, &s), 0);
	assert_int_equal(verify_as(s, TRUST_DOC_WIPE_RECORD, record, sig, NULL), TRUST_UNKNOWN_ORG);
	trust_store_free(s);
	s = NULL;
	/* our root pins the contractor's root: now accepted */
	assert_int_equal(roster_pin_contractor(dir, root, "ITAD Co", &cpk, T0), 0);
	assert_int_equal(roster_pin_contractor(dir, root, "ITAD Co", &cpk, T0), -EEXIST);
	assert_int_equal(trust_store_open(dir, &s), 0);
	assert_int_equal(verify_as(s, TRUST_DOC_WIPE_RECORD, record, sig, &res), TRUST_OK);
	assert_string_equal(res.member->org, "ITAD Co");
	trust_seckey_pubkey(croot, &cpk);
	assert_string_equal(trust_store_contractor(s, cpk.keyid), "ITAD Co");
	assert_null(trust_store_find(s, cpk.keyid));
	assert_int_equal(res.member->role, TRUST_ROLE_CONTRACTOR_TECHNICIAN);
	/* the contractor's root signs nothing of ours */
	free(sig);
	assert_int_equal(trust_sign(TRUST_DOC_LEDGER_EVENT, (const uint8_t *)"{\"type\":\"ledger-event\"}", 23,
				    croot, T0, &sig), 0);
	assert_int_not_equal(verify_as(s, TRUST_DOC_LEDGER_EVENT, "{\"type\":\"ledger-event\"}", sig, NULL), TRUST_OK);
	/* but a contractor technician cannot approve */
	free(sig);
	assert_int_equal(trust_sign(TRUST_DOC_APPROVAL, (const uint8_t *)approval, strlen(approval),
				    ctech, T0, &sig), 0);
	assert_int_equal(verify_as(s, TRUST_DOC_APPROVAL, approval, sig, NULL), TRUST_WRONG_ROLE);
	free(sig);
	trust_store_free(s);
	s = NULL;
	/* the owner may revoke a contractor's key */
	trust_seckey_pubkey(ctech, &cpk);
	assert_int_equal(roster_revoke(dir, root, cpk.keyid, T0, "contract-ended", T0), 0);
	assert_int_equal(sign_verify(ctech, TRUST_DOC_WIPE_RECORD, record, T0 + DAY, NULL), TRUST_REVOKED);
}

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_x509(void **state)
{
	struct trust_store *s = NULL;
	struct trust_x509_signer *x = NULL;
	struct trust_member m;
	EVP_PKEY *key = NULL;
	_cleanup_free_ char *csr = NULL, *cmd = NULL, *crt = NULL, *nss = NULL;
	char fpr[TRUST_FPR_STRLEN], id[TRUST_KEYID_STRLEN];
	struct trust_seckey *a2 = NULL;

	(void)state;
	assert_int_equal(trust_seckey_generate("Sachiko", TRUST_ROLE_APPROVER, "Example City", true, &a2), 0);
	assert_int_equal(trust_seckey_x509_key(a2, &key), 0);
	assert_int_equal(x509_csr_create(key, "Sachiko", "Example City", &csr), 0);
	EVP_PKEY_free(key);
	m = test_member(a2, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_issue_cert(dir, root, &m, csr, strlen(csr), fpr), 0);
	memcpy(m.x509_sha256, fpr, sizeof(fpr));
	assert_int_equal(roster_add(dir, root, &m, T0), 0);
	/* a CSR with a broken self-signature is refused */
	{
		char *bad = strdup(csr);
		char *mid = bad + strlen(bad) / 2;

		*mid = *mid == 'A' ? 'B' : 'A';
		assert_true(roster_issue_cert(dir, root, &m, bad, strlen(bad), fpr) < 0);
		free(bad);
	}
	assert_int_equal(trust_store_open(dir, &s), 0);
	assert_non_null(trust_store_find_x509(s, fpr));
	assert_string_equal(trust_store_find_x509(s, fpr)->name, "Sachiko");
	assert_null(trust_store_find_x509(s, "00"));
	assert_int_equal(trust_x509_signer_load(a2, s, NULL, &x), 0);
	assert_non_null(x->key);
	assert_non_null(x->cert);
	assert_int_equal(sk_X509_num(x->chain), 1);
	assert_int_equal(X509_check_private_key(x->cert, x->key), 1);
	/* the material makes a detached CMS signature that verifies to the CA */
	{
		const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP;
		BIO *in = BIO_new_mem_buf("pdf bytes", 9), *in2 = BIO_new_mem_buf("pdf bytes", 9);
		BIO *bad = BIO_new_mem_buf("pdf bytez", 9);
		X509_STORE *st = X509_STORE_new();
		CMS_ContentInfo *cms;

		cms = CMS_sign(NULL, NULL, x->chain, NULL, flags | CMS_PARTIAL);
		assert_non_null(cms);
		assert_non_null(CMS_add1_signer(cms, x->cert, x->key, EVP_sha256(), flags));
		assert_int_equal(CMS_final(cms, in, NULL, flags), 1);
		X509_STORE_add_cert(st, sk_X509_value(x->chain, 0));
		assert_int_equal(CMS_verify(cms, NULL, st, in2, NULL, CMS_BINARY), 1);
		assert_int_not_equal(CMS_verify(cms, NULL, st, bad, NULL, CMS_BINARY), 1);
		ERR_clear_error();
		CMS_ContentInfo_free(cms);
		X509_STORE_free(st);
		BIO_free(in);
		BIO_free(in2);
		BIO_free(bad);
	}
	trust_x509_signer_free(x);
	x = NULL;
	/* another approver's key does not match this certificate */
	trust_keyid_string(m.pk.keyid, id);
	assert_true(asprintf(&crt, "%s/members/%s.crt", dir, id) > 0);
	assert_int_equal(trust_x509_signer_load(appr, s, crt, &x), -ENOKEY);
	assert_null(x);
	trust_store_free(s);
	trust_seckey_free(a2);

	/* standard tools accept it */
	assert_true(asprintf(&cmd, "openssl verify -CAfile '%s/ca.crt' '%s' >/dev/null", dir, crt) > 0);
	assert_int_equal(run(cmd), 0);
	free(cmd);
	assert_true(asprintf(&cmd, "openssl x509 -in '%s' -noout -ext extendedKeyUsage 2>/dev/null | grep -q .", crt) > 0);
	assert_int_not_equal(run(cmd), 0); /* no extended key usage */
	free(cmd);
	if (run("command -v certutil >/dev/null 2>&1") == 0) {
		assert_true(asprintf(&nss, "%s/nss", dir) > 0);
		assert_true(asprintf(&cmd, "mkdir -p '%s' && certutil -N -d 'sql:%s' --empty-password && "
				     "certutil -A -d 'sql:%s' -n ca -t C,C, -i '%s/ca.crt' && "
				     "certutil -A -d 'sql:%s' -n approver -t ,, -i '%s' && "
				     "certutil -V -d 'sql:%s' -n approver -u S >/dev/null",
				     nss, nss, nss, dir, nss, crt, nss) > 0);
		assert_int_equal(run(cmd), 0);
	} else {
		fail_msg("certutil is not installed (scripts/install-deps.sh): the NSS import is not checked");
	}
}

/* dir/name (and its .minisig) saved as, or restored from, dir/name.SUFFIX */
static void keep(const char *d, const char *name, const char *suffix, bool restore)
{
	char *a = NULL, *b = NULL, *as = NULL, *bs = NULL;

	assert_true(asprintf(&a, "%s/%s", d, name) > 0 && asprintf(&b, "%s/%s.%s", d, name, suffix) > 0);
	assert_true(asprintf(&as, "%s.minisig", a) > 0 && asprintf(&bs, "%s.minisig", b) > 0);
	test_copy_file(restore ? b : a, restore ? a : b);
	test_copy_file(restore ? bs : as, restore ? as : bs);
	free(a);
	free(b);
	free(as);
	free(bs);
}

/* Write dir/name as the JSON v (canonical), signed by the root: a list
 * the root really made. */
static void write_list(const char *d, const char *name, enum trust_doc doc, json_t *v, struct trust_seckey *k)
{
	char *p = NULL, *ps = NULL, *text = NULL, *sig = NULL;
	size_t len;

	assert_int_equal(canon_json(v, &text, &len), 0);
	assert_int_equal(trust_sign(doc, (const uint8_t *)text, len, k, T0, &sig), 0);
	assert_true(asprintf(&p, "%s/%s", d, name) > 0 && asprintf(&ps, "%s.minisig", p) > 0);
	assert_int_equal(write_file_atomic(p, text, len, 0644, false), 0);
	assert_int_equal(write_file_atomic(ps, sig, strlen(sig), 0644, false), 0);
	free(p);
	free(ps);
	free(text);
	free(sig);
}

static json_t *read_list(const char *d, const char *name)
{
	char *p = NULL;
	uint8_t *data = NULL;
	size_t len;
	json_t *v = NULL;

	assert_true(asprintf(&p, "%s/%s", d, name) > 0);
	assert_int_equal(read_full_file(p, &data, &len), 0);
	assert_int_equal(canon_parse((const char *)data, len, &v), 0);
	free(p);
	free(data);
	return v;
}

/* An older revocation list or roster put back, validly signed by the root:
 * refused against the verifier's state, with the reason; the revoked key
 * stays revoked once the current list is back. Another list under a serial
 * seen is refused too. */
static void test_rollback(void **state)
{
	struct trust_seckey *r2 = NULL, *t2 = NULL, *x2 = NULL;
	struct trust_store *s = NULL;
	struct trust_member m;
	struct trust_pubkey pk;
	char *d = NULL, *st = NULL;
	json_t *v;

	(void)state;
	assert_true(asprintf(&d, "%s/../rollback", dir) > 0 && asprintf(&st, "%s/../rollback-state.json", dir) > 0);
	setenv("WIPECERT_TRUST_STATE", st, 1);
	assert_int_equal(trust_seckey_generate("Root R", TRUST_ROLE_ORG_ROOT, "Rollback City", true, &r2), 0);
	assert_int_equal(trust_seckey_generate("Tech R", TRUST_ROLE_TECHNICIAN, "Rollback City", false, &t2), 0);
	assert_int_equal(trust_seckey_generate("Tech X", TRUST_ROLE_TECHNICIAN, "Rollback City", false, &x2), 0);
	assert_int_equal(roster_init(d, r2, T0 - YEAR, 10, false), 0);
	m = test_member(t2, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_add(d, r2, &m, T0), 0);
	assert_int_equal(trust_store_open(d, &s), 0);
	assert_int_equal(trust_store_n_lists(s), 2);
	assert_int_equal(trust_store_list(s, 0)->doc, TRUST_DOC_ROSTER);
	assert_int_equal(trust_store_list(s, 0)->serial, 2);
	assert_int_equal(trust_store_list(s, 1)->serial, 1);
	assert_int_equal(trust_store_state_error(s), 0);
	trust_store_free(s);
	keep(d, "revoked.json", "1", false);
	keep(d, "roster.json", "2", false);
	trust_seckey_pubkey(t2, &pk);
	assert_int_equal(roster_revoke(d, r2, pk.keyid, T0, "key-compromise", T0), 0);
	assert_int_equal(trust_store_open(d, &s), 0);
	assert_true(trust_store_find(s, pk.keyid)->revoked);
	trust_store_free(s);

	keep(d, "revoked.json", "cur", false);

	/* the old list back: refused, naming it and both serials */
	keep(d, "revoked.json", "1", true);
	s = NULL;
	assert_int_equal(trust_store_open(d, &s), -ESTALE);
	assert_null(s);
	assert_non_null(strstr(trust_store_failed_file(), "revoked.json"));
	assert_non_null(strstr(trust_store_failed_reason(), "has serial 1, older than serial 2"));
	/* the current one back: the compromised key is still revoked */
	keep(d, "revoked.json", "cur", true);
	assert_int_equal(trust_store_open(d, &s), 0);
	assert_true(trust_store_find(s, pk.keyid)->revoked);
	trust_store_free(s);
	/* another list, really signed by the root, under the serial seen */
	v = read_list(d, "revoked.json");
	assert_int_equal(json_array_append_new(json_object_get(v, "revoked"),
					       json_pack("{s:s,s:s,s:s}", "at", "2026-11-19T00:00:00Z", "keyid",
							 "0000000000000001", "reason", "superseded")), 0);
	write_list(d, "revoked.json", TRUST_DOC_REVOCATION, v, r2);
	assert_int_equal(trust_store_open(d, &s), -ESTALE);
	assert_non_null(strstr(trust_store_failed_reason(), "two lists with one serial"));
	json_object_set_new(v, "serial", json_integer(3));
	write_list(d, "revoked.json", TRUST_DOC_REVOCATION, v, r2);
	json_decref(v);
	assert_int_equal(trust_store_open(d, &s), 0);
	trust_store_free(s);

	/* the old roster back (before a member was added): refused */
	m = test_member(x2, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_add(d, r2, &m, T0), 0);
	assert_int_equal(trust_store_open(d, &s), 0);
	trust_store_free(s);
	keep(d, "roster.json", "2", true);
	assert_int_equal(trust_store_open(d, &s), -ESTALE);
	assert_non_null(strstr(trust_store_failed_reason(), "roster"));
	assert_non_null(strstr(trust_store_failed_reason(), "has serial 2, older than serial 3"));

	setenv("WIPECERT_TRUST_STATE", state_file, 1);
	trust_seckey_free(r2);
	trust_seckey_free(t2);
	trust_seckey_free(x2);
	free(d);
	free(st);
}

/* A list without a serial is serial 0: accepted while nothing was seen,
 * refused once a serialled one was. A state that cannot be written still
 * compares, and says so. */
static void test_unserialled_and_unwritable(void **state)
{
	struct trust_seckey *r3 = NULL;
	struct trust_store *s = NULL;
	char *d = NULL, *st = NULL, *bad = NULL;
	json_t *roster, *rev;

	(void)state;
	assert_true(asprintf(&d, "%s/../unserialled", dir) > 0 && asprintf(&st, "%s/../unserialled-state.json", dir) > 0);
	setenv("WIPECERT_TRUST_STATE", st, 1);
	assert_int_equal(trust_seckey_generate("Root U", TRUST_ROLE_ORG_ROOT, "Old City", true, &r3), 0);
	assert_int_equal(roster_init(d, r3, T0 - YEAR, 10, false), 0);
	keep(d, "roster.json", "1", false);
	keep(d, "revoked.json", "1", false);
	roster = read_list(d, "roster.json");
	rev = read_list(d, "revoked.json");
	json_object_del(roster, "serial");
	json_object_del(rev, "serial");
	write_list(d, "roster.json", TRUST_DOC_ROSTER, roster, r3);
	write_list(d, "revoked.json", TRUST_DOC_REVOCATION, rev, r3);
	assert_int_equal(trust_store_open(d, &s), 0);
	assert_int_equal(trust_store_list(s, 0)->serial, 0);
	trust_store_free(s);
	/* a serialled one comes: from then on the unserialled is older */
	keep(d, "roster.json", "1", true);
	keep(d, "revoked.json", "1", true);
	assert_int_equal(trust_store_open(d, &s), 0);
	trust_store_free(s);
	write_list(d, "revoked.json", TRUST_DOC_REVOCATION, rev, r3);
	assert_int_equal(trust_store_open(d, &s), -ESTALE);
	/* a serial that is not a whole number >= 0 is malformed */
	json_object_set_new(rev, "serial", json_integer(-1));
	write_list(d, "revoked.json", TRUST_DOC_REVOCATION, rev, r3);
	assert_int_equal(trust_store_open(d, &s), -EINVAL);
	keep(d, "revoked.json", "1", true);

	/* the state under a plain file: not writable, nothing to compare with */
	assert_true(asprintf(&bad, "%s/state", st) > 0);
	setenv("WIPECERT_TRUST_STATE", bad, 1);
	assert_int_equal(trust_store_open(d, &s), 0);
	assert_int_equal(trust_store_state_error(s), -ENOTDIR);
	trust_store_free(s);
	/* a damaged state is refused, not read as "nothing seen" */
	setenv("WIPECERT_TRUST_STATE", st, 1);
	assert_int_equal(write_file_atomic(st, "{\"lists\":", 9, 0640, false), 0);
	assert_int_equal(trust_store_open(d, &s), -ESTALE);
	assert_non_null(strstr(trust_store_failed_reason(), "damaged"));

	setenv("WIPECERT_TRUST_STATE", state_file, 1);
	json_decref(roster);
	json_decref(rev);
	trust_seckey_free(r3);
	free(d);
	free(st);
	free(bad);
}

static char *csr_of(const struct trust_seckey *k, const char *name)
{
	EVP_PKEY *xk = NULL;
	char *csr = NULL;

	assert_int_equal(trust_seckey_x509_key(k, &xk), 0);
	assert_int_equal(x509_csr_create(xk, name, "Enroll City", &csr), 0);
	EVP_PKEY_free(xk);
	return csr;
}

/* roster_enroll(): an approver's certificate and roster entry both or
 * neither; roster_check_new_member() says what roster_add() would refuse */
static void test_enroll_is_all_or_nothing(void **state)
{
	struct trust_seckey *r4 = NULL, *ap = NULL, *cap = NULL, *other = NULL;
	struct trust_store *s = NULL;
	struct trust_member m;
	char *d = NULL, *crt = NULL, *csr, id[TRUST_KEYID_STRLEN], fpr[TRUST_FPR_STRLEN];
	X509 *x = NULL;

	(void)state;
	assert_true(asprintf(&d, "%s/../enroll", dir) > 0);
	assert_int_equal(trust_seckey_generate("Root E", TRUST_ROLE_ORG_ROOT, "Enroll City", true, &r4), 0);
	assert_int_equal(roster_init(d, r4, T0 - YEAR, 10, false), 0);
	assert_int_equal(trust_seckey_generate("Sachiko", TRUST_ROLE_APPROVER, "Enroll City", true, &ap), 0);
	assert_int_equal(trust_seckey_generate("Kenji", TRUST_ROLE_CONTRACTOR_APPROVER, "Enroll City", true, &cap), 0);
	assert_int_equal(trust_seckey_generate("Eve", TRUST_ROLE_TECHNICIAN, "Elsewhere", false, &other), 0);

	/* a contractor role has no place in an owner's roster: the certificate
	 * issued for it is taken back */
	m = test_member(cap, T0 - YEAR, T0 + YEAR);
	csr = csr_of(cap, "Kenji");
	assert_int_equal(roster_enroll(d, r4, &m, NULL, csr, strlen(csr), T0), -EINVAL);
	free(csr);
	trust_keyid_string(m.pk.keyid, id);
	assert_true(asprintf(&crt, "%s/members/%s.crt", d, id) > 0);
	assert_int_equal(access(crt, F_OK), -1);
	free(crt);
	/* an approver without a request gets neither */
	m = test_member(ap, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_enroll(d, r4, &m, NULL, NULL, 0, T0), -ENOENT);
	assert_int_equal(trust_store_open(d, &s), 0);
	assert_int_equal(roster_check_new_member(s, &m), 0);
	trust_store_free(s);
	/* with one: its certificate, named by its roster entry */
	csr = csr_of(ap, "Sachiko");
	assert_int_equal(roster_enroll(d, r4, &m, NULL, csr, strlen(csr), T0), 0);
	free(csr);
	trust_keyid_string(m.pk.keyid, id);
	assert_true(asprintf(&crt, "%s/members/%s.crt", d, id) > 0);
	assert_int_equal(x509_load_pem(crt, &x, NULL), 0);
	assert_int_equal(trust_x509_fingerprint(x, fpr), 0);
	X509_free(x);
	free(crt);
	assert_int_equal(trust_store_open(d, &s), 0);
	assert_string_equal(trust_store_find(s, m.pk.keyid)->x509_sha256, fpr);
	assert_int_equal(roster_check_new_member(s, &m), -EEXIST);
	m = test_member(other, T0 - YEAR, T0 + YEAR);
	assert_int_equal(roster_check_new_member(s, &m), -EXDEV);
	trust_store_free(s);

	trust_seckey_free(r4);
	trust_seckey_free(ap);
	trust_seckey_free(cap);
	trust_seckey_free(other);
	free(d);
}

/* what `key new` writes in a public key file's comment is what `trust add`
 * offers as defaults */
static void test_pubkey_comment_defaults(void **state)
{
	char *comment = NULL, *pub = NULL, *name, *org;
	struct trust_pubkey pk;
	int role;

	(void)state;
	trust_seckey_pubkey(appr, &pk);
	assert_int_equal(trust_pubkey_comment(appr, &comment), 0);
	assert_int_equal(trust_pubkey_format(&pk, comment, &pub), 0);
	assert_int_equal(trust_pubkey_defaults((const uint8_t *)pub, strlen(pub), &name, &org, &role), 0);
	assert_string_equal(name, "Hanako");
	assert_string_equal(org, "Example City");
	assert_int_equal(role, TRUST_ROLE_APPROVER);
	free(name);
	free(org);
	/* no comment of ours: no defaults */
	assert_int_equal(trust_pubkey_defaults((const uint8_t *)"x\ny\n", 4, &name, &org, &role), 0);
	assert_null(name);
	assert_null(org);
	assert_int_equal(role, -1);
	free(comment);
	free(pub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_wrong_role),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_claimed_name),
		cmocka_unit_test(test_separation_same_key),
		cmocka_unit_test(test_separation),
		cmocka_unit_test(test_tampered_store),
		cmocka_unit_test(test_x509),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_contractor),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_unserialled_and_unwritable),
		cmocka_unit_test(test_enroll_is_all_or_nothing),
		cmocka_unit_test(test_pubkey_comment_defaults),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
