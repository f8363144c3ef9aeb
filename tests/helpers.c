/* helpers.c - scratch directories and files for the cmocka tests. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
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

char *test_fixture(const char *name)
{
	char *p;

	if (asprintf(&p, "tests/fixtures/%s", name) < 0)
		abort();
	return p;
}

void test_copy_file(const char *from, const char *to)
{
	uint8_t *d = NULL;
	size_t n;

	assert_int_equal(read_full_file(from, &d, &n), 0);
	assert_int_equal(write_file_atomic(to, d, n, 0644, false), 0);
	free(d);
}
