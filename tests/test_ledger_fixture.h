/* test_ledger_fixture.h - the cmocka fixture both ledger test files use: a
 * fresh ledger file in a scratch directory, removed afterwards. */
#ifndef WIPECERT_TEST_LEDGER_FIXTURE_H
#define WIPECERT_TEST_LEDGER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"
#include "wipecert/ledger.h"

struct fx {
	char *dir;
	char *db;
	struct ledger *l;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = test_mkdtemp();
	if (asprintf(&f->db, "%s/ledger.db", f->dir) < 0)
		abort();
	assert_int_equal(ledger_open(f->db, LEDGER_OPEN_CREATE, &f->l), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ledger_close(f->l);
	test_rmtree(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

#endif
