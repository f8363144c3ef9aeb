/* test_flow_station.c - what the station asks of the flow layer: the
 * method the policy picks for an asset on a drive (the class's list in
 * order, an overwrite where clear is enough, the drive's own purge where
 * it is not, a refusal naming the rule when nothing fits), and whether a
 * key unlocked for a session may sign now by the roster. */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "wipecert/drive.h"
#include "wipecert/flow.h"
#include "wipecert/policy.h"
#include "wipecert/roster.h"
#include "wipecert/trust.h"

static struct drive_caps nvme(uint32_t methods)
{
	return (struct drive_caps){ .proto = DRIVE_PROTO_NVME, .methods = methods, .solid_state = true };
}

static void test_builtin(void **state)
{
	struct drive_caps fmt = nvme(1u << DRIVE_METHOD_NVME_FORMAT);
	struct drive_caps crypto = nvme(1u << DRIVE_METHOD_NVME_FORMAT | 1u << DRIVE_METHOD_NVME_SANITIZE_CRYPTO);
	struct drive_caps none = nvme(0);
	struct flow_error err = { "" };
	const char *m = NULL;

	(void)state;
	/* classes 2 and 3 accept clear: an overwrite, the one asked for */
	assert_int_equal(flow_policy_method(NULL, 3, NULL, NULL, &m, &err), 0);
	assert_string_equal(m, "random");
	assert_int_equal(flow_policy_method(NULL, 2, &fmt, "zero", &m, &err), 0);
	assert_string_equal(m, "zero");
	/* class 1 must be purged: the drive's fastest purge */
	assert_int_equal(flow_policy_method(NULL, 1, &fmt, NULL, &m, &err), 0);
	assert_string_equal(m, "nvme-format");
	assert_int_equal(flow_policy_method(NULL, 1, &crypto, NULL, &m, &err), 0);
	assert_string_equal(m, "nvme-sanitize-crypto");
	/* ... and never an overwrite; a loop device or a drive without purge: refused */
	m = NULL;
	assert_int_equal(flow_policy_method(NULL, 1, NULL, NULL, &m, &err), -EPERM);
	assert_null(m);
	assert_non_null(strstr(err.msg, "class 1 must be purged"));
	assert_int_equal(flow_policy_method(NULL, 1, &none, NULL, &m, &err), -EPERM);
	assert_non_null(strstr(err.msg, "offers no firmware method that reaches purge"));
	/* an unknown overwrite name is no way around it */
	assert_int_equal(flow_policy_method(NULL, 3, NULL, "nonsense", &m, &err), -EPERM);
	assert_int_equal(flow_policy_method(NULL, 4, NULL, NULL, &m, &err), -EINVAL);
}

static void test_policy_file(void **state)
{
	static const char conf[] = "[class 1]\nlevels = purge\nmethods = nvme-sanitize-crypto, nvme-format\n"
				   "[class 2]\nlevels = clear\nmethods = dod-short, zero\n"
				   "[class 3]\nlevels = destroy\ndestruction = required\n";
	struct drive_caps both = nvme(1u << DRIVE_METHOD_NVME_FORMAT | 1u << DRIVE_METHOD_NVME_SANITIZE_CRYPTO);
	struct drive_caps fmt = nvme(1u << DRIVE_METHOD_NVME_FORMAT);
	struct drive_caps none = nvme(0);
	struct flow_error err = { "" };
	struct policy p;
	const char *m;
	char *dir = test_mkdtemp(), *path = test_write_file(dir, "policy.conf", conf, strlen(conf)), *perr = NULL;

	(void)state;
	assert_int_equal(policy_load(path, &p, &perr), 0);
	/* the list's order decides, as far as the drive can follow */
	assert_int_equal(flow_policy_method(&p, 1, &both, NULL, &m, &err), 0);
	assert_string_equal(m, "nvme-sanitize-crypto");
	assert_int_equal(flow_policy_method(&p, 1, &fmt, NULL, &m, &err), 0);
	assert_string_equal(m, "nvme-format");
	assert_int_equal(flow_policy_method(&p, 1, &none, NULL, &m, &err), -EPERM);
	assert_non_null(strstr(err.msg, "none of the methods class 1 allows"));
	/* the list wins over the station's own overwrite */
	assert_int_equal(flow_policy_method(&p, 2, NULL, "random", &m, &err), 0);
	assert_string_equal(m, "dod-short");
	assert_int_equal(flow_policy_method(&p, 3, &both, NULL, &m, &err), -EPERM);
	assert_non_null(strstr(err.msg, "physically destroyed"));
	policy_release(&p);
	test_rmtree(dir);
	free(dir);
	free(path);
}

static void test_signer(void **state)
{
	const time_t now = time(NULL), year = 365 * 86400;
	struct trust_seckey *root, *tech, *old, *gone, *appr, *stranger;
	struct trust_store *s = NULL;
	struct flow_error err = { "" };
	struct trust_member m;
	struct trust_pubkey pk;
	char *top = test_mkdtemp(), *dir;

	(void)state;
	assert_true(asprintf(&dir, "%s/trust", top) > 0);
	assert_int_equal(trust_seckey_generate("Root", TRUST_ROLE_ORG_ROOT, "Example City", true, &root), 0);
	assert_int_equal(roster_init(dir, root, now - 3 * year, 10, false), 0);
	assert_int_equal(trust_seckey_generate("Taro", TRUST_ROLE_TECHNICIAN, "Example City", false, &tech), 0);
	assert_int_equal(trust_seckey_generate("Saburo", TRUST_ROLE_TECHNICIAN, "Example City", false, &old), 0);
	assert_int_equal(trust_seckey_generate("Shiro", TRUST_ROLE_TECHNICIAN, "Example City", false, &gone), 0);
	assert_int_equal(trust_seckey_generate("Hanako", TRUST_ROLE_APPROVER, "Example City", true, &appr), 0);
	assert_int_equal(trust_seckey_generate("Eve", TRUST_ROLE_TECHNICIAN, "Example City", false, &stranger), 0);
	m = test_member(tech, now - year, now + year);
	assert_int_equal(roster_add(dir, root, &m, now - year), 0);
	m = test_member(old, now - 2 * year, now - 86400); /* expired yesterday */
	assert_int_equal(roster_add(dir, root, &m, now - 2 * year), 0);
	m = test_member(gone, now - year, now + year);
	assert_int_equal(roster_add(dir, root, &m, now - year), 0);
	trust_seckey_pubkey(gone, &pk);
	assert_int_equal(roster_revoke(dir, root, pk.keyid, now - 60, "left-organisation", now - 60), 0);
	m = test_member(appr, now - year, now + year);
	assert_int_equal(roster_add(dir, root, &m, now - year), 0);
	assert_int_equal(trust_store_open(dir, &s), 0);

	assert_int_equal(flow_check_signer(s, tech, TRUST_DOC_WIPE_RECORD, &err), 0);
	assert_int_equal(flow_check_signer(s, old, TRUST_DOC_WIPE_RECORD, &err), -EKEYEXPIRED);
	assert_non_null(strstr(err.msg, "Saburo"));
	assert_non_null(strstr(err.msg, "expired on"));
	assert_int_equal(flow_check_signer(s, gone, TRUST_DOC_WIPE_RECORD, &err), -EKEYREVOKED);
	assert_int_equal(flow_check_signer(s, stranger, TRUST_DOC_WIPE_RECORD, &err), -ENOKEY);
	assert_non_null(strstr(err.msg, "does not know"));
	/* an approver may not seal a wipe */
	assert_int_equal(flow_check_signer(s, appr, TRUST_DOC_WIPE_RECORD, &err), -EPERM);
	trust_store_free(s);
	trust_seckey_free(root);
	trust_seckey_free(tech);
	trust_seckey_free(old);
	trust_seckey_free(gone);
	trust_seckey_free(appr);
	trust_seckey_free(stranger);
	test_rmtree(top);
	free(top);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_policy_file),
		cmocka_unit_test(test_signer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
