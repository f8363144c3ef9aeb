/* test_policy.c - the disposal policy file: defaults, parsing, refusals. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "wipecert/policy.h"

static void test_defaults(void **state)
{
	struct policy p;
	char *reason = NULL;

	(void)state;
	assert_int_equal(policy_default(&p), 0);
	/* class 1 must not be merely cleared */
	assert_int_equal(policy_check_method(&p, 1, "zero", LEVEL_CLEAR, &reason), -EPERM);
	assert_non_null(strstr(reason, "class 1 does not accept"));
	free(reason);
	assert_int_equal(policy_check_method(&p, 1, "nvme-sanitize-crypto", LEVEL_PURGE, NULL), 0);
	assert_int_equal(policy_check_method(&p, 3, "zero", LEVEL_CLEAR, NULL), 0);
	assert_true(p.cls[2].approval_required);
	assert_int_equal(policy_check_method(&p, 4, "zero", LEVEL_CLEAR, NULL), -EINVAL);
	assert_int_equal(policy_check_method(&p, 0, "zero", LEVEL_CLEAR, NULL), -EINVAL);
	assert_string_equal(policy_role_title(&p, "approver"), "情報資産管理責任者 / Information Asset Manager");
	assert_string_equal(policy_role_title(&p, "nobody"), "nobody");
	policy_release(&p);
}

static void test_example_file(void **state)
{
	struct policy p;
	char *err = NULL;

	(void)state;
	assert_int_equal(policy_load("tests/fixtures/policy/example.conf", &p, &err), 0);
	assert_string_equal(p.org_name, "〇〇市");
	assert_string_equal(p.org_name_en, "City of Example");
	assert_int_equal(p.cls[0].levels, LEVEL_PURGE | LEVEL_DESTROY);
	assert_false(p.cls[2].approval_required);
	assert_true(p.cls[1].approval_required);
	assert_string_equal(p.cls[0].approver_title, "情報セキュリティ管理者 / Information Security Manager");
	assert_string_equal(policy_role_title(&p, "contractor-approver"), "委託業者 責任者 / Contractor Manager");
	policy_release(&p);
}

static int load_text(const char *text, struct policy *p, char **err)
{
	char *dir = test_mkdtemp(), *f = test_write_file(dir, "p.conf", text, strlen(text));
	int r = policy_load(f, p, err);

	free(f);
	test_rmtree(dir);
	free(dir);
	return r;
}

static void test_method_list_and_destruction(void **state)
{
	struct policy p;
	char *err = NULL, *reason = NULL;

	(void)state;
	assert_int_equal(load_text("[class 2]\nlevels = purge\nmethods = nvme-sanitize-crypto, ata-sanitize-crypto\n"
				   "[class 1]\nlevels = destroy\ndestruction = required\n", &p, &err), 0);
	assert_int_equal(policy_check_method(&p, 2, "nvme-sanitize-crypto", LEVEL_PURGE, NULL), 0);
	assert_int_equal(policy_check_method(&p, 2, "nvme-format", LEVEL_PURGE, &reason), -EPERM);
	assert_non_null(strstr(reason, "not on the list allowed for class 2"));
	free(reason);
	assert_int_equal(policy_check_method(&p, 1, "nvme-sanitize-crypto", LEVEL_PURGE, &reason), -EPERM);
	assert_non_null(strstr(reason, "must be physically destroyed"));
	free(reason);
	assert_int_equal(policy_check_method(&p, 1, "shred", LEVEL_DESTROY, NULL), 0);
	policy_release(&p);
	/* an nwipe name in the list is its method, and our name is nwipe's */
	assert_int_equal(load_text("[class 3]\nlevels = clear\nmethods = dodshort, gutmann\n", &p, &err), 0);
	assert_int_equal(policy_check_method(&p, 3, "dod-short", LEVEL_CLEAR, NULL), 0);
	assert_int_equal(policy_check_method(&p, 3, "gutmann", LEVEL_CLEAR, NULL), 0);
	assert_int_equal(policy_check_method(&p, 3, "dod", LEVEL_CLEAR, &reason), -EPERM);
	free(reason);
	policy_release(&p);
}

static void test_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[class 1]\ndestuction = required\n", ":2: unknown key in a class section" },
		{ "[class 4]\n", ":1: unknown section" },
		{ "[class 1]\nlevels = wipe\n", ":2: unknown level" },
		{ "name = x\n", ":1: key outside a section" },
		{ "[organisation]\nname\n", ":2: expected key = value" },
		{ "[class 2]\napproval = maybe\n", ":2: approval is required or optional" },
		{ "[class 1\n", ":1: a section header is [name]" },
		{ "[class 3]\nlevels = clear\ndestruction = required\n", "class 3 requires destruction but does not accept" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy p;
		char *err = NULL;

		assert_int_equal(load_text(cases[i].text, &p, &err), -EINVAL);
		assert_non_null(err);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].want);
		free(err);
	}
	{
		struct policy p;

		assert_int_equal(policy_load("/nonexistent/policy.conf", &p, NULL), -ENOENT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_method_list_and_destruction),
		cmocka_unit_test(test_errors_name_the_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
