/* test_flow.c - approve, reject and the one issuing path in process: a
 * sealed case made from the test-only technician's signed wipe record
 * (tests/fixtures/evidence), a real SQLite ledger, the test-only roster;
 * each refusal with its reason and nothing written, and an approval whose
 * certificate passes the one certificate check with the ledger. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "wipecert/canon.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/roster.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"

#define CASE "20261124T060211Z-sda-0042"

struct fx {
	char *dir, *state;
	struct ledger *l;
	struct trust_store *store;
	struct trust_seckey *tech, *appr;
	struct flow_ctx c;
	uint8_t *rec, *sig;
	size_t rec_len, sig_len;
};

static struct trust_seckey *load_key(const char *path)
{
	_cleanup_free_ uint8_t *pass = NULL;
	struct trust_seckey *k = NULL;
	size_t n;

	assert_int_equal(read_full_file("certs/test-only/passphrase.txt", &pass, &n), 0);
	while (n && pass[n - 1] == '\n')
		n--;
	assert_int_equal(trust_seckey_load(path, (char *)pass, n, &k), 0);
	return k;
}

static void add_asset(struct ledger *l, const char *id, const char *cls)
{
	struct ledger_asset a = { 0 };

	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, id), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_SERIAL, "ZN1ABC23"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_WWN, "0x5000c500a1b2c3d4"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_STATUS, "erased"), 0);
	if (cls)
		assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, cls), 0);
	assert_int_equal(ledger_asset_check_new(&a), 0);
	assert_int_equal(ledger_asset_add(l, &a, NULL, "registered", NULL), 0);
	ledger_asset_clear(&a);
}

/* A sealed case of this wipe record and signature. */
static void seal_case(struct fx *f, const char *id, const uint8_t *rec, size_t rec_len, const char *sig)
{
	_cleanup_free_ char *r = NULL, *s = NULL;

	assert_true(asprintf(&r, "%s.wipe-record.json", id) > 0);
	assert_true(asprintf(&s, "%s.wipe-record.json.minisig", id) > 0);
	free(test_write_file(f->state, r, rec, rec_len));
	free(test_write_file(f->state, s, sig, strlen(sig)));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	_cleanup_free_ char *db = NULL, *r = NULL, *s = NULL;

	f->dir = test_mkdtemp();
	assert_true(asprintf(&f->state, "%s/state", f->dir) > 0);
	/* each test its own memory of the roster's serials: a test that adds
	 * to a copy of the test-only roster must not make the original older */
	{
		_cleanup_free_ char *st = NULL;

		assert_true(asprintf(&st, "%s/trust-state.json", f->dir) > 0);
		setenv("WIPECERT_TRUST_STATE", st, 1);
	}
	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_true(asprintf(&db, "%s/ledger.db", f->dir) > 0);
	assert_int_equal(ledger_open(db, LEDGER_OPEN_CREATE, &f->l), 0);
	assert_int_equal(trust_store_open("certs/test-only/trust", &f->store), 0);
	f->tech = load_key("certs/test-only/test-only-technician.key");
	f->appr = load_key("certs/test-only/test-only-approver.key");
	/* the technician registers the asset: every ledger event is signed */
	assert_int_equal(ledger_set_signer(f->l, f->tech), 0);
	add_asset(f->l, "YKH-IT-2019-0042", "2");
	r = test_fixture("evidence/wipe-record.json");
	s = test_fixture("evidence/wipe-record.json.minisig");
	assert_int_equal(read_full_file(r, &f->rec, &f->rec_len), 0);
	assert_int_equal(read_full_file(s, &f->sig, &f->sig_len), 0);
	seal_case(f, CASE, f->rec, f->rec_len, (char *)f->sig);
	f->c = (struct flow_ctx){ .state_dir = f->state, .ledger = f->l, .trust = f->store };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ledger_close(f->l);
	trust_store_free(f->store);
	trust_seckey_free(f->tech);
	trust_seckey_free(f->appr);
	test_rmtree(f->dir);
	free(f->dir);
	free(f->state);
	free(f->rec);
	free(f->sig);
	free(f);
	return 0;
}

static bool case_file(struct fx *f, const char *id, const char *suffix)
{
	_cleanup_free_ char *p = NULL;

	assert_true(asprintf(&p, "%s/%s%s", f->state, id, suffix) > 0);
	return access(p, F_OK) == 0;
}

static void assert_refused(struct fx *f, int r, int want, const struct flow_error *err, const char *why)
{
	assert_int_equal(r, want);
	if (!strstr(err->msg, why))
		fail_msg("MESSAGE-FAIL: refusal '%s' lacks '%s'", err->msg, why);
	assert_false(case_file(f, CASE, ".pdf"));
	assert_false(case_file(f, CASE, ".cert.json"));
}

static void test_approve_issues_a_certificate(void **state)
{
	struct fx *f = *state;
	struct flow_approval a = { 0 };
	struct flow_error err = { "" };
	struct flow_cert_result res = { 0 };
	const struct flow_cert_options o = { .ledger = true };
	struct ledger_asset as = { 0 };
	_cleanup_free_ uint8_t *pdf = NULL;
	size_t len;

	assert_int_equal(flow_approve(&f->c, CASE, f->appr, "recycling", &a, &err), 0);
	assert_true(a.erased);
	assert_int_equal(read_full_file(a.pdf_path, &pdf, &len), 0);
	/* the one certificate check, with the ledger: the current disposal */
	assert_int_equal(flow_cert_check(&f->c, pdf, len, &o, &res), 0);
	if (res.verdict != FLOW_CERT_VALID)
		for (int i = 0; i < CHECK__MAX; i++)
			if (!res.rep.checks[i].ok)
				print_message("%s: %s\n", cert_check_name(i), res.rep.checks[i].detail);
	assert_int_equal(res.verdict, FLOW_CERT_VALID);
	assert_string_equal(res.rep.pdf_sha256, a.pdf_sha256);
	flow_cert_result_release(&res);
	assert_int_equal(ledger_asset_get(f->l, "YKH-IT-2019-0042", &as), 0);
	assert_string_equal(ledger_asset_value(&as, LEDGER_F_STATUS), "approved");
	assert_string_equal(ledger_asset_value(&as, LEDGER_F_CERTIFICATE), a.certificate_id);
	ledger_asset_clear(&as);
	/* twice: refused, as is a rejection after it */
	flow_approval_release(&a);
	assert_int_equal(flow_approve(&f->c, CASE, f->appr, NULL, &a, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "approved already"));
	assert_int_equal(flow_reject(&f->c, CASE, f->appr, "late", &err), -EEXIST);
}

static void test_approve_refuses_a_technician_key(void **state)
{
	struct fx *f = *state;
	struct flow_approval a = { 0 };
	struct flow_error err = { "" };

	assert_refused(f, flow_approve(&f->c, CASE, f->tech, NULL, &a, &err), -EPERM, &err,
		       "a technician key may not approve");
}

/* The approver's own second key, a technician's in the roster, sealed the
 * wipe: one person, two keys. */
static void test_approve_refuses_self_approval(void **state)
{
	struct fx *f = *state;
	struct trust_seckey *root = load_key("certs/test-only/test-only-root.key"), *twin = NULL;
	struct flow_approval a = { 0 };
	struct flow_error err = { "" };
	struct trust_member m = { 0 };
	struct trust_store *store = NULL;
	_cleanup_free_ char *tdir = NULL, *cmd = NULL, *canon = NULL, *sig = NULL;
	char id[TRUST_KEYID_STRLEN];
	json_t *rec = NULL;
	size_t len;

	assert_true(asprintf(&tdir, "%s/trust", f->dir) > 0);
	assert_true(asprintf(&cmd, "cp -r certs/test-only/trust %s", tdir) > 0);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(trust_seckey_generate(trust_seckey_name(f->appr), TRUST_ROLE_TECHNICIAN,
					       trust_seckey_org(f->appr), false, &twin), 0);
	trust_seckey_pubkey(twin, &m.pk);
	m.name = (char *)trust_seckey_name(twin);
	m.org = (char *)trust_seckey_org(twin);
	m.role = TRUST_ROLE_TECHNICIAN;
	m.not_before = time(NULL) - 60;
	m.not_after = time(NULL) + 86400;
	assert_int_equal(roster_add(tdir, root, &m, time(NULL)), 0);
	assert_int_equal(trust_store_open(tdir, &store), 0);
	/* the wipe record as the twin seals it */
	assert_int_equal(canon_parse((char *)f->rec, f->rec_len, &rec), 0);
	trust_keyid_string(m.pk.keyid, id);
	json_object_set_new(rec, "technician", json_pack("{s:s,s:s,s:s,s:s}", "name", m.name, "role", "technician",
							 "org", m.org, "key_id", id));
	assert_int_equal(canon_json(rec, &canon, &len), 0);
	assert_int_equal(trust_sign(TRUST_DOC_WIPE_RECORD, (uint8_t *)canon, len, twin, 0, &sig), 0);
	seal_case(f, "twin", (uint8_t *)canon, len, sig);
	{
		struct flow_ctx c = f->c;

		c.trust = store;
		assert_int_equal(flow_approve(&c, "twin", f->appr, NULL, &a, &err), -EPERM);
	}
	/* refused by the issuing path's own step, before the self-check */
	assert_ptr_equal(strstr(err.msg, "separation of duties"), err.msg);
	assert_false(case_file(f, "twin", ".pdf"));
	json_decref(rec);
	trust_store_free(store);
	trust_seckey_free(twin);
	trust_seckey_free(root);
}

static void test_approve_refuses_by_policy(void **state)
{
	struct fx *f = *state;
	struct flow_approval a = { 0 };
	struct flow_error err = { "" };
	struct ledger_asset as = { 0 };
	_cleanup_free_ char *canon = NULL, *sig = NULL;
	json_t *rec = NULL;
	size_t len;

	/* a class-1 asset: an overwrite is not enough */
	assert_int_equal(canon_parse((char *)f->rec, f->rec_len, &rec), 0);
	json_object_set_new(json_object_get(rec, "asset"), "importance", json_integer(1));
	assert_int_equal(canon_json(rec, &canon, &len), 0);
	assert_int_equal(trust_sign(TRUST_DOC_WIPE_RECORD, (uint8_t *)canon, len, f->tech, 0, &sig), 0);
	seal_case(f, "class1", (uint8_t *)canon, len, sig);
	assert_int_equal(flow_approve(&f->c, "class1", f->appr, NULL, &a, &err), -EPERM);
	assert_non_null(strstr(err.msg, "class 1 does not accept"));
	/* no class at all: the policy cannot be applied */
	free(canon);
	free(sig);
	json_object_del(json_object_get(rec, "asset"), "importance");
	assert_int_equal(canon_json(rec, &canon, &len), 0);
	assert_int_equal(trust_sign(TRUST_DOC_WIPE_RECORD, (uint8_t *)canon, len, f->tech, 0, &sig), 0);
	seal_case(f, "noclass", (uint8_t *)canon, len, sig);
	assert_int_equal(flow_approve(&f->c, "noclass", f->appr, NULL, &a, &err), -EPERM);
	assert_non_null(strstr(err.msg, "has no importance class"));
	assert_false(case_file(f, "class1", ".pdf") || case_file(f, "noclass", ".pdf"));
	json_decref(rec);
	/* nothing reached the ledger */
	assert_int_equal(ledger_asset_get(f->l, "YKH-IT-2019-0042", &as), 0);
	assert_string_equal(ledger_asset_value(&as, LEDGER_F_STATUS), "erased");
	ledger_asset_clear(&as);
}

static void test_approve_refuses_a_changed_record(void **state)
{
	struct fx *f = *state;
	struct flow_approval a = { 0 };
	struct flow_error err = { "" };
	_cleanup_free_ uint8_t *changed = malloc(f->rec_len);
	const char *at;

	memcpy(changed, f->rec, f->rec_len);
	at = memmem(changed, f->rec_len, "ZN1ABC23", 8);
	assert_non_null(at);
	changed[at - (char *)changed + 7] = '4';
	seal_case(f, "changed", changed, f->rec_len, (char *)f->sig);
	assert_int_equal(flow_approve(&f->c, "changed", f->appr, NULL, &a, &err), -EPERM);
	assert_non_null(strstr(err.msg, "signature does not verify"));
	assert_false(case_file(f, "changed", ".pdf"));
}

/* A record that names another technician than the key that signed it:
 * the technician's own words are checked against the signature. */
static void test_approve_refuses_a_record_naming_another_technician(void **state)
{
	struct fx *f = *state;
	struct flow_approval a = { 0 };
	struct flow_error err = { "" };
	_cleanup_free_ char *canon = NULL, *sig = NULL;
	json_t *rec = NULL;
	size_t len;

	assert_int_equal(canon_parse((char *)f->rec, f->rec_len, &rec), 0);
	json_object_set_new(json_object_get(rec, "technician"), "key_id", json_string("0123456789ABCDEF"));
	assert_int_equal(canon_json(rec, &canon, &len), 0);
	assert_int_equal(trust_sign(TRUST_DOC_WIPE_RECORD, (uint8_t *)canon, len, f->tech, 0, &sig), 0);
	seal_case(f, "named", (uint8_t *)canon, len, sig);
	assert_int_equal(flow_approve(&f->c, "named", f->appr, NULL, &a, &err), -EPERM);
	assert_ptr_equal(strstr(err.msg, "the wipe record names technician key 0123456789ABCDEF"), err.msg);
	assert_false(case_file(f, "named", ".pdf"));
	json_decref(rec);
}

static void test_reject(void **state)
{
	struct fx *f = *state;
	struct flow_approval a = { 0 };
	struct flow_error err = { "" };

	seal_case(f, "rej", f->rec, f->rec_len, (char *)f->sig);
	assert_int_equal(flow_reject(&f->c, "rej", f->appr, "", &err), -EINVAL);
	assert_int_equal(flow_reject(&f->c, "rej", f->tech, "no", &err), -EPERM);
	assert_non_null(strstr(err.msg, "a technician key may not decide"));
	assert_false(case_file(f, "rej", ".rejected.json"));
	assert_int_equal(flow_reject(&f->c, "rej", f->appr, "class 1: use crypto erase", &err), 0);
	assert_true(case_file(f, "rej", ".rejected.json") && case_file(f, "rej", ".rejected.json.minisig"));
	/* decided: not approved after it */
	assert_int_equal(flow_approve(&f->c, "rej", f->appr, NULL, &a, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "was rejected"));
}

/* The issuing path refuses a record that says more than the evidence:
 * a given record must state what the technician signed. */
static void test_issue_refuses_a_record_that_lies(void **state)
{
	struct fx *f = *state;
	struct flow_issue_request q = { .evidence = f->rec, .evidence_len = f->rec_len, .evidence_sig = f->sig,
					.evidence_sig_len = f->sig_len, .approver = f->appr };
	struct flow_issued is = { 0 };
	struct flow_error err = { "" };
	struct cert_record *r = NULL;
	_cleanup_free_ char *p = test_fixture("evidence/record.json");
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len;

	assert_int_equal(read_full_file(p, &buf, &len), 0);
	assert_int_equal(cert_record_parse((char *)buf, len, &r, NULL), 0);
	free(r->serial);
	r->serial = strdup("ZN1ABC29");
	q.record = r;
	assert_int_equal(flow_issue(&f->c, &q, &is, &err), -EPERM);
	assert_non_null(strstr(err.msg, "does not state what the technician signed: media.serial"));
	assert_null(is.pdf);
	/* the record as built: issued, and it names this approver */
	q.record = NULL;
	assert_int_equal(flow_issue(&f->c, &q, &is, &err), 0);
	assert_string_equal(is.record->approver.key_id, "EE9656F0FA4C7EA5");
	assert_string_equal(is.record->serial, "ZN1ABC23");
	flow_issued_release(&is);
	cert_record_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_approve_issues_a_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve_refuses_a_technician_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve_refuses_self_approval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve_refuses_by_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve_refuses_a_changed_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve_refuses_a_record_naming_another_technician, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_refuses_a_record_that_lies, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
