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

#endif
