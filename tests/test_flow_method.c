/* test_flow_method.c - the method the policy picks for an asset on a drive
 * (the station's choice): the class's list in order, an overwrite where
 * clear is enough, the drive's own purge where it is not, and a refusal
 * naming the rule when nothing fits. */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "wipecert/drive.h"
#include "wipecert/flow.h"
#include "wipecert/policy.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_policy_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
