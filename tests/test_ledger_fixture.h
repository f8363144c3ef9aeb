/* test_ledger_fixture.h - the cmocka fixture the ledger test files use: a
 * fresh ledger file in a scratch directory, removed afterwards, whose
 * events are signed by a test key ("tester", a technician) unless a test
 * names another signer with fx_sign_as(). */
#ifndef WIPECERT_TEST_LEDGER_FIXTURE_H
#define WIPECERT_TEST_LEDGER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/util.h"
#include "wipecert/trust.h"

#define FX_MAX_KEYS 8

struct fx {
	char *dir;
	char *db;
	struct ledger *l;
	struct trust_seckey *keys[FX_MAX_KEYS];
	size_t n_keys;
	const struct trust_seckey *signer;
};

/* A new key of this name and role signs what the fixture's ledger appends
 * from now on (also after a reopen with fx_reopen()). */
_unused_ static struct trust_seckey *fx_sign_as(struct fx *f, const char *name, enum trust_role role)
{
	struct trust_seckey *k = NULL;

	assert_true(f->n_keys < FX_MAX_KEYS);
	assert_int_equal(trust_seckey_generate(name, role, "Example City", false, &k), 0);
	f->keys[f->n_keys++] = k;
	f->signer = k;
	assert_int_equal(ledger_set_signer(f->l, k), 0);
	return k;
}

_unused_ static void fx_reopen(struct fx *f)
{
	ledger_close(f->l);
	assert_int_equal(ledger_open(f->db, 0, &f->l), 0);
	assert_int_equal(ledger_set_signer(f->l, f->signer), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = test_mkdtemp();
	if (asprintf(&f->db, "%s/ledger.db", f->dir) < 0)
		abort();
	assert_int_equal(ledger_open(f->db, LEDGER_OPEN_CREATE, &f->l), 0);
	fx_sign_as(f, "tester", TRUST_ROLE_TECHNICIAN);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ledger_close(f->l);
	for (size_t i = 0; i < f->n_keys; i++)
		trust_seckey_free(f->keys[i]);
	test_rmtree(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

#endif
