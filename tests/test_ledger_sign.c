/* test_ledger_sign.c - ledger events signed by their actor: the round trip,
 * and each way a signature is refused (tampered, wrong role, key not in the
 * roster, signed by someone else than the actor, unsigned when required). */
#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "test_ledger_fixture.h"
#include "wipecert/canon.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/roster.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"

#define DAY 86400
#define YEAR (365 * DAY)

static char *top, *tdir;
static struct trust_seckey *root, *tech, *appr, *outsider, *croot, *ctech;
static struct trust_store *store;

/* One roster for the file: Taro (technician), Hanako (approver), and a
 * pinned contractor whose technician Kenji may not sign ledger events. */
static int group_setup(void **state)
{
	time_t now = time(NULL);
	struct trust_member m;
	struct trust_pubkey cpk;
	char id[TRUST_KEYID_STRLEN], *cdir;

	(void)state;
	top = test_mkdtemp();
	assert_true(asprintf(&tdir, "%s/trust", top) > 0);
	assert_int_equal(trust_seckey_generate("Root", TRUST_ROLE_ORG_ROOT, "Example City", true, &root), 0);
	assert_int_equal(roster_init(tdir, root, now - YEAR, 10, false), 0);
	assert_int_equal(trust_seckey_generate("Taro", TRUST_ROLE_TECHNICIAN, "Example City", false, &tech), 0);
	assert_int_equal(trust_seckey_generate("Hanako", TRUST_ROLE_APPROVER, "Example City", false, &appr), 0);
	/* the same name as the technician, but a key the roster never listed */
	assert_int_equal(trust_seckey_generate("Taro", TRUST_ROLE_TECHNICIAN, "Example City", false, &outsider), 0);
	m = test_member(tech, now - YEAR, now + YEAR);
	assert_int_equal(roster_add(tdir, root, &m, now), 0);
	m = test_member(appr, now - YEAR, now + YEAR);
	assert_int_equal(roster_add(tdir, root, &m, now), 0);

	assert_int_equal(trust_seckey_generate("ITAD Root", TRUST_ROLE_ORG_ROOT, "ITAD Co", true, &croot), 0);
	assert_int_equal(trust_seckey_generate("Kenji", TRUST_ROLE_CONTRACTOR_TECHNICIAN, "ITAD Co", false, &ctech), 0);
	trust_seckey_pubkey(croot, &cpk);
	trust_keyid_string(cpk.keyid, id);
	assert_true(asprintf(&cdir, "%s/contractors/%s", tdir, id) > 0);
	assert_int_equal(roster_init(cdir, croot, now - YEAR, 5, true), 0);
	m = test_member(ctech, now - YEAR, now + YEAR);
	assert_int_equal(roster_add(cdir, croot, &m, now), 0);
	assert_int_equal(roster_pin_contractor(tdir, root, "ITAD Co", &cpk, now), 0);
	free(cdir);
	assert_int_equal(trust_store_open(tdir, &store), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	trust_store_free(store);
	trust_seckey_free(root);
	trust_seckey_free(tech);
	trust_seckey_free(appr);
	trust_seckey_free(outsider);
	trust_seckey_free(croot);
	trust_seckey_free(ctech);
	test_rmtree(top);
	free(top);
	free(tdir);
	return 0;
}

static uint64_t add(struct ledger *l, const char *id, const char *actor)
{
	struct ledger_asset a = {};
	uint64_t seq = 0;

	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, id), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_SERIAL, "S-1"), 0);
	assert_int_equal(ledger_asset_check_new(&a), 0);
	assert_int_equal(ledger_asset_add(l, &a, actor, "registered", &seq), 0);
	ledger_asset_clear(&a);
	return seq;
}

struct got {
	char *canon;
	size_t len;
	char *sig;
	char *key_id;
	char hash[LEDGER_HASH_HEX];
};

static int got_cb(const struct ledger_event *e, void *u)
{
	struct got *g = u;

	assert_int_equal(ledger_event_canonical(e, &g->canon, &g->len), 0);
	g->sig = e->signature ? strndup((const char *)e->signature, e->signature_len) : NULL;
	g->key_id = e->key_id ? strdup(e->key_id) : NULL;
	snprintf(g->hash, sizeof(g->hash), "%s", e->hash);
	return 0;
}

static void get(struct ledger *l, uint64_t seq, struct got *g)
{
	*g = (struct got) {};
	assert_int_equal(ledger_event_range(l, seq, seq, got_cb, g), 0);
	assert_non_null(g->canon);
}

static void got_free(struct got *g)
{
	free(g->canon);
	free(g->sig);
	free(g->key_id);
}

/* Sign event seq with k bypassing ledger_event_sign()'s own checks: what a
 * forger with the database (and that key) could store. */
static void force_sign(struct ledger *l, uint64_t seq, struct trust_seckey *k)
{
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN], *sig = NULL;
	struct got g;
	time_t when;

	get(l, seq, &g);
	json_t *v = json_loadb(g.canon, g.len, 0, NULL);
	assert_int_equal(parse_time(json_string_value(json_object_get(v, "time_utc")), &when), 0);
	json_decref(v);
	assert_int_equal(trust_sign(TRUST_DOC_LEDGER_EVENT, (const uint8_t *)g.canon, g.len, k, when, &sig), 0);
	trust_seckey_pubkey(k, &pk);
	trust_keyid_string(pk.keyid, id);
	assert_int_equal(ledger_event_set_signature(l, seq, id, (const uint8_t *)sig, strlen(sig)), 0);
	free(sig);
	got_free(&g);
}

static void expect_bad(struct ledger *l, enum ledger_sig_problem p, enum trust_verdict verdict, uint64_t seq)
{
	struct ledger_sig_result r;

	assert_int_equal(ledger_verify_signatures(l, store, false, &r), -EBADMSG);
	if (r.problem != p || r.bad_seq != seq || (p == LEDGER_SIG_INVALID && r.verdict != verdict))
		fail_msg("want problem %d (verdict %d) at %lu, got %d (%d) at %lu: %s", p, verdict,
			 (unsigned long)seq, r.problem, r.verdict, (unsigned long)r.bad_seq, r.detail);
	char want[32];
	snprintf(want, sizeof(want), "event %lu ", (unsigned long)seq);
	assert_non_null(strstr(r.detail, want));
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct ledger_sig_result r;
	struct ledger_asset a = {};
	struct trust_result tr;
	uint64_t s1, s2 = 0, n = 0;
	struct got g;

	s1 = add(f->l, "A-1", "Taro");
	assert_int_equal(ledger_event_sign(f->l, s1, s1, tech, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ledger_event_sign(f->l, s1, s1, tech, NULL), -EEXIST);
	assert_int_equal(ledger_asset_get(f->l, "A-1", &a), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_STATUS, "approved"), 0);
	assert_int_equal(ledger_asset_update(f->l, &a, "Hanako", "approved", &s2), 1);
	ledger_asset_clear(&a);
	/* the approver may not sign the technician's event, nor the reverse */
	assert_int_equal(ledger_event_sign(f->l, s2, s2, tech, NULL), -EPERM);
	assert_int_equal(ledger_event_sign(f->l, s1, s2, appr, NULL), -EPERM);
	assert_int_equal(ledger_event_sign(f->l, s2, s2, appr, NULL), 0);
	assert_int_equal(ledger_event_sign(f->l, 9, 9, appr, NULL), -ENOENT);

	assert_int_equal(ledger_verify_signatures(f->l, store, true, &r), 0);
	assert_int_equal(r.n_events, 2);
	assert_int_equal(r.n_signed, 2);
	assert_int_equal(r.n_unsigned, 0);

	/* the signed form: canonical JSON naming its type and hash, and the
	 * stored text is a minisign signature over exactly those bytes */
	get(f->l, s2, &g);
	json_t *v = NULL;
	assert_int_equal(canon_parse(g.canon, g.len, &v), 0);
	assert_string_equal(json_string_value(json_object_get(v, "type")), "ledger-event");
	assert_string_equal(json_string_value(json_object_get(v, "hash")), g.hash);
	assert_string_equal(json_string_value(json_object_get(v, "actor")), "Hanako");
	assert_int_equal(json_integer_value(json_object_get(v, "seq")), (json_int_t)s2);
	json_decref(v);
	assert_non_null(g.sig);
	assert_int_equal(trust_verify(store, TRUST_DOC_LEDGER_EVENT, (const uint8_t *)g.canon, g.len,
				      g.sig, strlen(g.sig), &tr), 0);
	assert_int_equal(tr.verdict, TRUST_OK);
	assert_string_equal(tr.keyid, g.key_id);
	got_free(&g);
	/* the chain itself is untouched by signing */
	struct ledger_verify_result lv;
	assert_int_equal(ledger_verify(f->l, NULL, &lv), 0);
}

static void test_unsigned(void **state)
{
	struct fx *f = *state;
	struct ledger_sig_result r;
	uint64_t s1, s2;

	s1 = add(f->l, "A-1", "Taro");
	s2 = add(f->l, "A-2", "Taro");
	assert_int_equal(ledger_event_sign(f->l, s2, s2, tech, NULL), 0);
	assert_int_equal(ledger_verify_signatures(f->l, store, false, &r), 0);
	assert_int_equal(r.n_signed, 1);
	assert_int_equal(r.n_unsigned, 1);
	assert_int_equal(r.first_unsigned, s1);
	assert_int_equal(ledger_verify_signatures(f->l, store, true, &r), -EBADMSG);
	assert_int_equal(r.problem, LEDGER_SIG_UNSIGNED);
	assert_int_equal(r.bad_seq, s1);
}

static void test_range(void **state)
{
	struct fx *f = *state;
	struct ledger_sig_result r;
	uint64_t n = 0;

	/* more than one signing batch */
	for (int i = 0; i < 600; i++) {
		char id[16];

		snprintf(id, sizeof(id), "R-%03d", i);
		add(f->l, id, "Taro");
	}
	assert_int_equal(ledger_event_sign(f->l, 1, 600, tech, &n), 0);
	assert_int_equal(n, 600);
	assert_int_equal(ledger_verify_signatures(f->l, store, true, &r), 0);
	assert_int_equal(r.n_signed, 600);
}

/* Change one byte of the stored signature text, as someone with sqlite3
 * would (the trigger that guards a filled signature dropped first). */
static void tamper_sig(const char *db, uint64_t seq, size_t line, size_t col)
{
	sqlite3 *s;
	sqlite3_stmt *q;
	char *text, *p;

	assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "DROP TRIGGER events_no_update", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, "SELECT signature FROM events WHERE seq = ?1", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	text = strndup(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0));
	sqlite3_finalize(q);
	p = text;
	for (size_t i = 0; i < line; i++)
		p = strchr(p, '\n') + 1;
	p[col] = p[col] == 'A' ? 'B' : 'A';
	assert_int_equal(sqlite3_prepare_v2(s, "UPDATE events SET signature = ?1 WHERE seq = ?2", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, text, (int)strlen(text), SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)seq);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(s);
	free(text);
}

static void test_tampered(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", "Taro");
	add(f->l, "A-2", "Taro");
	assert_int_equal(ledger_event_sign(f->l, 1, 2, tech, NULL), 0);
	/* a byte of the Ed25519 signature (line 2, past "ED" and the key id) */
	tamper_sig(f->db, 2, 1, 30);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_BAD_SIGNATURE, 2);
}

static void test_tampered_comment(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", "Taro");
	assert_int_equal(ledger_event_sign(f->l, 1, 1, tech, NULL), 0);
	/* the global signature over the trusted comment (line 4) */
	tamper_sig(f->db, 1, 3, 10);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_BAD_SIGNATURE, 1);
}

static void test_wrong_role(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", "Kenji");
	/* a contractor's technician may not sign our ledger ... */
	assert_int_equal(ledger_event_sign(f->l, 1, 1, ctech, NULL), -EPERM);
	/* ... and a signature stored anyway is refused for its role */
	force_sign(f->l, 1, ctech);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_WRONG_ROLE, 1);
}

static void test_unknown_key(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", "Taro");
	add(f->l, "A-2", "Taro");
	assert_int_equal(ledger_event_sign(f->l, 1, 1, tech, NULL), 0);
	/* right name, but a key the roster does not list */
	assert_int_equal(ledger_event_sign(f->l, 2, 2, outsider, NULL), 0);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_UNKNOWN_KEY, 2);
}

static void test_not_actor(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", "Taro");
	/* a valid approver's signature on the technician's event */
	force_sign(f->l, 1, appr);
	expect_bad(f->l, LEDGER_SIG_NOT_ACTOR, TRUST_OK, 1);
}

static void test_key_id_column(void **state)
{
	struct fx *f = *state;
	sqlite3 *s;

	add(f->l, "A-1", "Taro");
	assert_int_equal(ledger_event_sign(f->l, 1, 1, tech, NULL), 0);
	assert_int_equal(sqlite3_open(f->db, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "DROP TRIGGER events_no_update;"
				      "UPDATE events SET key_id = '0000000000000000' WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	expect_bad(f->l, LEDGER_SIG_KEY_ID, TRUST_OK, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsigned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_comment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_actor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_id_column, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
