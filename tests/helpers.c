/* helpers.c - scratch directories and files for the cmocka tests. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"

char *test_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *p;

	if (asprintf(&p, "%s/wipecert-test.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		abort();
	if (!mkdtemp(p))
		abort();
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

void test_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void mkparents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
}

char *test_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *p;
	FILE *f;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	mkparents(p);
	f = fopen(p, "we");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
	return p;
}

struct test_image *test_image_new(size_t len, void (*fill)(uint8_t *data, size_t len))
{
	struct test_image *f = calloc(1, sizeof(*f));
	uint8_t *data = calloc(1, len);
	char *sd;

	if (!f || !data)
		abort();
	if (fill)
		fill(data, len);
	f->dir = test_mkdtemp();
	f->img = test_write_file(f->dir, "disk.img", data, len);
	if (asprintf(&sd, "%s/jobs", f->dir) < 0 || job_store_open_dir(sd, &f->store) < 0)
		abort();
	free(sd);
	free(data);
	return f;
}

void test_image_free(struct test_image *f)
{
	if (!f)
		return;
	job_store_close(&f->store);
	test_rmtree(f->dir);
	free(f->dir);
	free(f->img);
	free(f);
}

char *test_fixture(const char *name)
{
	char *p;

	if (asprintf(&p, "tests/fixtures/%s", name) < 0)
		abort();
	return p;
}

struct trust_member test_member(struct trust_seckey *k, time_t nb, time_t na)
{
	struct trust_member m = { 0 };

	trust_seckey_pubkey(k, &m.pk);
	m.name = (char *)trust_seckey_name(k);
	m.org = (char *)trust_seckey_org(k);
	m.role = trust_seckey_role(k);
	m.not_before = nb;
	m.not_after = na;
	return m;
}

void test_copy_file(const char *from, const char *to)
{
	uint8_t *d = NULL;
	size_t n;

	assert_int_equal(read_full_file(from, &d, &n), 0);
	assert_int_equal(write_file_atomic(to, d, n, 0644, false), 0);
	free(d);
}

/* Before every test program: the test keys in the repository are private
 * (a checkout makes them 0644, and a secret key others can read is
 * refused), and the verifier's memory of trust-list serials is this
 * process's own file, never the machine's /var/lib/wipecert (other test
 * runs share the machine). */
static char test_state_path[64];

static void remove_test_state(void)
{
	char lock[80];

	unlink(test_state_path);
	snprintf(lock, sizeof(lock), "%s.lock", test_state_path);
	unlink(lock);
}

__attribute__((constructor)) static void test_environment(void)
{
	glob_t g;

	if (glob("certs/test-only/*.key", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			chmod(g.gl_pathv[i], 0600);
		globfree(&g);
	}
	if (!getenv("WIPECERT_TRUST_STATE")) {
		snprintf(test_state_path, sizeof(test_state_path), "/tmp/wipecert-test-trust-state.%ld.json",
			 (long)getpid());
		setenv("WIPECERT_TRUST_STATE", test_state_path, 1);
		atexit(remove_test_state);
	}
}
