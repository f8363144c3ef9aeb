/* helpers.h - shared by the cmocka tests: scratch directories and files. */
#ifndef WIPECERT_TEST_HELPERS_H
#define WIPECERT_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* A fresh directory under $TMPDIR (or /tmp); removed by test_rmtree. */
char *test_mkdtemp(void);
void test_rmtree(const char *path);
/* Write len bytes to dir/name (creating parent directories); returns the path. */
char *test_write_file(const char *dir, const char *name, const void *data, size_t len);
/* Copy a file (asserting it worked). */
void test_copy_file(const char *from, const char *to);
/* Path of a file under tests/fixtures (the tests run from the top directory). */
char *test_fixture(const char *name);

/* A roster entry for key k (its name, role, organisation and public key),
 * valid from nb to na: what roster_add() takes. The strings are k's. */
#include <time.h>
struct trust_seckey;
struct trust_member;
struct trust_member test_member(struct trust_seckey *k, time_t nb, time_t na);

/* The erase tests' fixture: a scratch directory holding an image file of
 * len bytes, filled by fill (zeros when NULL), and a job store in
 * dir/jobs. Removed, with everything in it, by test_image_free. */
#include "wipecert/job.h"
struct test_image {
	char *dir, *img;
	struct job_store store;
};
struct test_image *test_image_new(size_t len, void (*fill)(uint8_t *data, size_t len));
void test_image_free(struct test_image *f);

#endif
