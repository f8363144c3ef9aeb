/* test_ledger_sign.c - ledger events signed by their actor as they are
 * appended: the round trip, and each way verification refuses (tampered,
 * a contractor's key, a key not in the roster, signed by someone else than
 * the actor, stripped of its signature, unsigned outside an adopted legacy
 * range); approving the changes the policy depends on; the trust lists'
 * serials the ledger remembers. */
#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "test_ledger_fixture.h"
#include "../src/ledger/ledger-internal.h"
#include "wipecert/canon.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/roster.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"

#define DAY 86400
#define YEAR (365 * DAY)

static char *top, *tdir, *state_file;
static struct trust_seckey *root, *tech, *appr, *appr2, *outsider, *fake_appr, *croot, *ctech;
static struct trust_store *store;

/* One roster for the file: Taro (technician), Hanako and Jun (approvers),
 * and a pinned contractor whose technician Kenji signs his own
 * organisation's ledger, not ours. */
static int group_setup(void **state)
{
	time_t now = time(NULL);
	struct trust_member m;
	struct trust_pubkey cpk;
	char id[TRUST_KEYID_STRLEN], *cdir;

	(void)state;
	top = test_mkdtemp();
	assert_true(asprintf(&tdir, "%s/trust", top) > 0);
	assert_true(asprintf(&state_file, "%s/trust-state.json", top) > 0);
	setenv("WIPECERT_TRUST_STATE", state_file, 1);
	assert_int_equal(trust_seckey_generate("Root", TRUST_ROLE_ORG_ROOT, "Example City", true, &root), 0);
	assert_int_equal(roster_init(tdir, root, now - YEAR, 10, false), 0);
	assert_int_equal(trust_seckey_generate("Taro", TRUST_ROLE_TECHNICIAN, "Example City", false, &tech), 0);
	assert_int_equal(trust_seckey_generate("Hanako", TRUST_ROLE_APPROVER, "Example City", false, &appr), 0);
	assert_int_equal(trust_seckey_generate("Jun", TRUST_ROLE_APPROVER, "Example City", false, &appr2), 0);
	/* an approver key the technician made himself: in no roster */
	assert_int_equal(trust_seckey_generate("Boss", TRUST_ROLE_APPROVER, "Example City", false, &fake_appr), 0);
	/* the same name as the technician, but a key the roster never listed */
	assert_int_equal(trust_seckey_generate("Taro", TRUST_ROLE_TECHNICIAN, "Example City", false, &outsider), 0);
	m = test_member(tech, now - YEAR, now + YEAR);
	assert_int_equal(roster_add(tdir, root, &m, now), 0);
	m = test_member(appr, now - YEAR, now + YEAR);
	assert_int_equal(roster_add(tdir, root, &m, now), 0);
	m = test_member(appr2, now - YEAR, now + YEAR);
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
	trust_seckey_free(appr2);
	trust_seckey_free(outsider);
	trust_seckey_free(fake_appr);
	trust_seckey_free(croot);
	trust_seckey_free(ctech);
	test_rmtree(top);
	free(top);
	free(tdir);
	free(state_file);
	return 0;
}

/* What a modified program could append with the internal API: an "update"
 * that records a change needing approval, or an "approve" of no request. */
static int forge_update_tx(struct ledger *l, void *ctx)
{
	return ledger_append_tx(l, ctx, "update", "{\"importance\":[\"1\",\"3\"]}", "forged", NULL);
}

struct forge_approve {
	const struct ledger_asset *old, *a;
};

static int forge_approve_tx(struct ledger *l, void *ctx)
{
	struct forge_approve *fa = ctx;

	return ledger_approve_tx(l, fa->old, fa->a, "{\"importance\":[\"1\",\"3\"]}", "approves request 99", NULL);
}

static uint64_t add(struct ledger *l, const char *id, struct trust_seckey *signer)
{
	struct ledger_asset a = {};
	uint64_t seq = 0;

	assert_int_equal(ledger_set_signer(l, signer), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, id), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_SERIAL, id), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "1"), 0);
	assert_int_equal(ledger_asset_check_new(&a), 0);
	assert_int_equal(ledger_asset_add(l, &a, NULL, "registered", &seq), 0);
	ledger_asset_clear(&a);
	return seq;
}

/* Set one field of an asset as signer: LEDGER_UPDATED and/or LEDGER_REQUESTED. */
static int set_field(struct ledger *l, const char *id, enum ledger_field f, const char *v,
		     struct trust_seckey *signer, uint64_t *ret_seq)
{
	struct ledger_asset a = {};
	int r;

	assert_int_equal(ledger_set_signer(l, signer), 0);
	assert_int_equal(ledger_asset_get(l, id, &a), 0);
	assert_int_equal(ledger_asset_set(&a, f, v), 0);
	r = ledger_asset_update(l, &a, NULL, "changed", ret_seq);
	ledger_asset_clear(&a);
	return r;
}

static char *field(struct ledger *l, const char *id, enum ledger_field f)
{
	struct ledger_asset a = {};
	char *v;

	assert_int_equal(ledger_asset_get(l, id, &a), 0);
	v = a.v[f] ? strdup(a.v[f]) : NULL;
	ledger_asset_clear(&a);
	return v;
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

/* Run SQL on the file behind the ledger's back, as someone with the sqlite3
 * shell would (the guarding triggers dropped first). */
static void sql(const char *db, const char *q)
{
	sqlite3 *s;
	char *err = NULL;

	assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
	sqlite3_exec(s, "DROP TRIGGER IF EXISTS events_no_update", NULL, NULL, NULL);
	if (sqlite3_exec(s, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
	sqlite3_close(s);
}

/* Store a signature for event seq made by k over its signed form: what a
 * forger with the database and that key could store. */
static void force_sign(const char *db, struct ledger *l, uint64_t seq, struct trust_seckey *k)
{
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN], *sig = NULL;
	sqlite3 *s;
	sqlite3_stmt *q;
	struct got g;
	time_t when;

	get(l, seq, &g);
	json_t *v = json_loadb(g.canon, g.len, 0, NULL);
	assert_int_equal(parse_time(json_string_value(json_object_get(v, "time_utc")), &when), 0);
	json_decref(v);
	assert_int_equal(trust_sign(TRUST_DOC_LEDGER_EVENT, (const uint8_t *)g.canon, g.len, k, when, &sig), 0);
	trust_seckey_pubkey(k, &pk);
	trust_keyid_string(pk.keyid, id);
	sql(db, "SELECT 1");
	assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, "UPDATE events SET signature = ?1, key_id = ?2 WHERE seq = ?3", -1, &q,
					    NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, sig, (int)strlen(sig), SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)seq);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(s);
	free(sig);
	got_free(&g);
}

static int kind_cb(const struct ledger_event *e, void *u)
{
	struct { const char *kind; int n; } *k = u;

	k->n += streq(e->kind, k->kind);
	return 0;
}

static int count_kind(struct ledger *l, const char *kind)
{
	struct { const char *kind; int n; } k = { kind, 0 };

	assert_int_equal(ledger_history(l, NULL, kind_cb, &k), 0);
	return k.n;
}

static void expect_bad(struct ledger *l, enum ledger_sig_problem p, enum trust_verdict verdict, uint64_t seq)
{
	struct ledger_sig_result r;

	assert_int_equal(ledger_verify_signatures(l, store, &r), -EBADMSG);
	if (r.problem != p || r.bad_seq != seq || (p == LEDGER_SIG_INVALID && r.verdict != verdict))
		fail_msg("want problem %d (verdict %d) at %lu, got %d (%d) at %lu: %s", p, verdict,
			 (unsigned long)seq, r.problem, r.verdict, (unsigned long)r.bad_seq, r.detail);
	char want[32];
	snprintf(want, sizeof(want), "event %lu ", (unsigned long)seq);
	assert_non_null(strstr(r.detail, want));
}

static void expect_ok(struct ledger *l, uint64_t n_signed)
{
	struct ledger_sig_result r;

	if (ledger_verify_signatures(l, store, &r) != 0)
		fail_msg("signatures refused: %s", r.detail);
	assert_int_equal(r.n_signed, n_signed);
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct trust_result tr;
	uint64_t s1, s2 = 0;
	struct got g;

	s1 = add(f->l, "A-1", tech);
	assert_int_equal(set_field(f->l, "A-1", LEDGER_F_STATUS, "retired", appr, &s2), LEDGER_UPDATED);
	expect_ok(f->l, 2);

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
	(void)s1;
	struct ledger_verify_result lv;
	assert_int_equal(ledger_verify(f->l, NULL, &lv), 0);
}

/* Signatures stripped from the events: the chain still verifies (it does
 * not cover them), the signature check refuses the first. */
static void test_stripped(void **state)
{
	struct fx *f = *state;
	struct ledger_verify_result lv;

	add(f->l, "A-1", tech);
	add(f->l, "A-2", tech);
	sql(f->db, "UPDATE events SET signature = NULL, key_id = NULL");
	assert_int_equal(ledger_verify(f->l, NULL, &lv), 0);
	expect_bad(f->l, LEDGER_SIG_UNSIGNED, TRUST_OK, 1);
}

/* An older ledger's unsigned events, adopted by an approver's signed event:
 * accepted as legacy; an unsigned event after the adoption is not; a
 * technician may not adopt. */
static void test_adopt_legacy(void **state)
{
	struct fx *f = *state;
	struct ledger_sig_result r;
	uint64_t upto = 0, seq = 0;

	add(f->l, "A-1", tech);
	add(f->l, "A-2", tech);
	sql(f->db, "UPDATE events SET signature = NULL, key_id = NULL");
	assert_int_equal(ledger_set_signer(f->l, tech), 0);
	assert_int_equal(ledger_adopt_legacy(f->l, "ledger of 2025", NULL, NULL), -EPERM);
	assert_int_equal(ledger_set_signer(f->l, appr), 0);
	assert_int_equal(ledger_adopt_legacy(f->l, "", NULL, NULL), -EINVAL);
	assert_int_equal(ledger_adopt_legacy(f->l, "ledger of 2025, checked against the paper register", &upto, &seq), 0);
	assert_int_equal(upto, 2);
	assert_int_equal(seq, 3);
	assert_int_equal(ledger_adopt_legacy(f->l, "again", NULL, NULL), -EALREADY);
	assert_int_equal(ledger_verify_signatures(f->l, store, &r), 0);
	assert_int_equal(r.n_legacy, 2);
	assert_int_equal(r.legacy_upto, 2);
	assert_int_equal(r.n_signed, 1);
	/* later events must be signed again */
	add(f->l, "A-3", tech);
	expect_ok(f->l, 2);
	sql(f->db, "UPDATE events SET signature = NULL, key_id = NULL WHERE seq = 4");
	expect_bad(f->l, LEDGER_SIG_UNSIGNED, TRUST_OK, 4);
}

/* An adoption signed by a key in no roster covers nothing. */
static void test_adopt_forged(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", tech);
	sql(f->db, "UPDATE events SET signature = NULL, key_id = NULL");
	assert_int_equal(ledger_set_signer(f->l, fake_appr), 0);
	assert_int_equal(ledger_adopt_legacy(f->l, "trust me", NULL, NULL), 0);
	expect_bad(f->l, LEDGER_SIG_UNSIGNED, TRUST_OK, 1);
}

/* Change one byte of the stored signature text. */
static void tamper_sig(const char *db, uint64_t seq, size_t line, size_t col)
{
	sqlite3 *s;
	sqlite3_stmt *q;
	char *text, *p;

	sql(db, "SELECT 1");
	assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
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

	add(f->l, "A-1", tech);
	add(f->l, "A-2", tech);
	/* a byte of the Ed25519 signature (line 2, past "ED" and the key id) */
	tamper_sig(f->db, 2, 1, 30);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_BAD_SIGNATURE, 2);
}

static void test_tampered_comment(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", tech);
	/* the global signature over the trusted comment (line 4) */
	tamper_sig(f->db, 1, 3, 10);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_BAD_SIGNATURE, 1);
}

/* A contractor's technician signs his own organisation's ledger; in ours
 * his valid signature is refused as foreign. */
static void test_foreign(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", tech);
	add(f->l, "A-2", ctech);
	expect_bad(f->l, LEDGER_SIG_FOREIGN, TRUST_OK, 2);
}

static void test_unknown_key(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", tech);
	/* right name, but a key the roster does not list */
	add(f->l, "A-2", outsider);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_UNKNOWN_KEY, 2);
}

static void test_not_actor(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", tech);
	/* a valid approver's signature on the technician's event */
	force_sign(f->db, f->l, 1, appr);
	expect_bad(f->l, LEDGER_SIG_NOT_ACTOR, TRUST_OK, 1);
}

static void test_key_id_column(void **state)
{
	struct fx *f = *state;

	add(f->l, "A-1", tech);
	sql(f->db, "UPDATE events SET key_id = '0000000000000000' WHERE seq = 1");
	expect_bad(f->l, LEDGER_SIG_KEY_ID, TRUST_OK, 1);
}

/* ---- approving the changes the policy depends on ---- */

/* The technician lowers a class-1 asset to 3: a request; he may not
 * approve it, nor may an approver key in no roster; another approver does,
 * and only then the class is 3. Every event checks out. */
static void test_approve_change(void **state)
{
	struct fx *f = *state;
	struct ledger_change_result res;
	uint64_t req = 0, out = 0;
	char *v;

	add(f->l, "C-1", tech);
	assert_int_equal(set_field(f->l, "C-1", LEDGER_F_IMPORTANCE, "3", tech, &req), LEDGER_REQUESTED);
	v = field(f->l, "C-1", LEDGER_F_IMPORTANCE);
	assert_string_equal(v, "1");
	free(v);
	assert_int_equal(ledger_change_approve(f->l, store, req, NULL, &res, &out), -EACCES);
	assert_non_null(strstr(res.detail, "technician"));
	assert_int_equal(ledger_set_signer(f->l, fake_appr), 0);
	assert_int_equal(ledger_change_approve(f->l, store, req, NULL, &res, &out), -EACCES);
	assert_non_null(strstr(res.detail, "no roster"));
	assert_int_equal(ledger_set_signer(f->l, appr), 0);
	assert_int_equal(ledger_change_approve(f->l, store, 1, NULL, &res, &out), -ENOENT);
	assert_int_equal(ledger_change_approve(f->l, store, req, "checked the asset register", &res, &out), 0);
	assert_int_equal(out, req + 1);
	assert_string_equal(res.asset_id, "C-1");
	v = field(f->l, "C-1", LEDGER_F_IMPORTANCE);
	assert_string_equal(v, "3");
	free(v);
	assert_int_equal(ledger_change_approve(f->l, store, req, NULL, &res, &out), -ESRCH);
	expect_ok(f->l, 3);
	assert_int_equal(ledger_asset_check_state(f->l, "C-1"), 0);
}

/* An approver who asks may not approve his own request; another may. */
static void test_approve_own_request(void **state)
{
	struct fx *f = *state;
	struct ledger_change_result res;
	uint64_t req = 0;

	add(f->l, "C-1", tech);
	assert_int_equal(set_field(f->l, "C-1", LEDGER_F_STATUS, "handed-to-contractor", appr, &req), LEDGER_REQUESTED);
	assert_int_equal(ledger_change_approve(f->l, store, req, NULL, &res, NULL), -EPERM);
	assert_int_equal(ledger_set_signer(f->l, appr2), 0);
	assert_int_equal(ledger_change_approve(f->l, store, req, NULL, &res, NULL), 0);
	expect_ok(f->l, 3);
}

/* A newer request replaces the pending one; a request whose starting value
 * changed cannot be approved; the requester may withdraw his own. */
static void test_request_superseded_stale_denied(void **state)
{
	struct fx *f = *state;
	struct ledger_change_result res;
	uint64_t r1 = 0, r2 = 0, r3 = 0, r4 = 0;

	add(f->l, "C-1", tech);
	assert_int_equal(set_field(f->l, "C-1", LEDGER_F_IMPORTANCE, "2", tech, &r1), LEDGER_REQUESTED);
	assert_int_equal(set_field(f->l, "C-1", LEDGER_F_IMPORTANCE, "3", tech, &r2), LEDGER_REQUESTED);
	assert_int_equal(ledger_set_signer(f->l, appr), 0);
	assert_int_equal(ledger_change_approve(f->l, store, r1, NULL, &res, NULL), -ESRCH);
	assert_non_null(strstr(res.detail, "replaced"));
	/* denied by the one who asked */
	assert_int_equal(ledger_set_signer(f->l, tech), 0);
	assert_int_equal(ledger_change_deny(f->l, store, r2, "asked by mistake", &res, NULL), 0);
	assert_int_equal(ledger_set_signer(f->l, appr), 0);
	assert_int_equal(ledger_change_approve(f->l, store, r2, NULL, &res, NULL), -ESRCH);
	/* stale: class 2 -> 3 requested, then made stricter at once (2 -> 1) */
	add(f->l, "C-2", tech);
	assert_int_equal(set_field(f->l, "C-2", LEDGER_F_IMPORTANCE, "2", tech, &r4), LEDGER_REQUESTED);
	assert_int_equal(ledger_set_signer(f->l, appr), 0);
	assert_int_equal(ledger_change_approve(f->l, store, r4, NULL, &res, NULL), 0);
	assert_int_equal(set_field(f->l, "C-2", LEDGER_F_IMPORTANCE, "3", tech, &r3), LEDGER_REQUESTED);
	assert_int_equal(set_field(f->l, "C-2", LEDGER_F_IMPORTANCE, "1", tech, NULL), LEDGER_UPDATED);
	assert_int_equal(ledger_set_signer(f->l, appr), 0);
	assert_int_equal(ledger_change_approve(f->l, store, r3, NULL, &res, NULL), -ESTALE);
	expect_ok(f->l, 9);
}

/* A modified program writes the lower class as a plain "update", signed by
 * the technician's own valid key, the asset row to match: the chain is
 * whole, the signature valid, and the signature check names the change
 * without approval. So does an "approve" of no request. */
static void test_forged_update(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a = {};
	struct ledger_verify_result lv;

	add(f->l, "C-1", tech);
	assert_int_equal(ledger_asset_get(f->l, "C-1", &a), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "3"), 0);
	assert_int_equal(ledger_set_signer(f->l, tech), 0);
	assert_int_equal(ledger_tx_write(f->l, forge_update_tx, &a), 0);
	sql(f->db, "UPDATE assets SET importance = 3 WHERE asset_id = 'C-1'");
	assert_int_equal(ledger_verify(f->l, NULL, &lv), 0);
	expect_bad(f->l, LEDGER_SIG_UNAPPROVED, TRUST_OK, 2);
	ledger_asset_clear(&a);
}

static void test_forged_approval(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a = {}, old = {};

	add(f->l, "C-1", tech);
	assert_int_equal(ledger_asset_get(f->l, "C-1", &old), 0);
	assert_int_equal(ledger_asset_copy(&old, &a), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "3"), 0);
	assert_int_equal(ledger_set_signer(f->l, appr), 0);
	struct forge_approve fa = { &old, &a };
	assert_int_equal(ledger_tx_write(f->l, forge_approve_tx, &fa), 0);
	expect_bad(f->l, LEDGER_SIG_UNAPPROVED, TRUST_OK, 2);
	ledger_asset_clear(&a);
	ledger_asset_clear(&old);
}

/* ---- batch signatures: one signature for a big transaction ---- */

/* Import n assets ID-000.. as k: one transaction, its events signed by one
 * batch signature on the last. Returns the last event's number. */
static uint64_t import_batch(struct fx *f, struct trust_seckey *k, const char *prefix, int n)
{
	struct ledger_import_opts o = { .reason = "imported" };
	struct ledger_import_report rep = {};
	struct ledger_verify_result v;
	char *csv = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&csv, &len);

	fputs("asset_id,serial,importance\n", m);
	for (int i = 0; i < n; i++)
		fprintf(m, "%s-%03d,%s-SN%03d,2\n", prefix, i, prefix, i);
	fclose(m);
	assert_int_equal(ledger_set_signer(f->l, k), 0);
	assert_int_equal(ledger_import_csv_data(f->l, csv, len, &o, &rep), 0);
	free(csv);
	assert_int_equal(ledger_verify(f->l, NULL, &v), 0);
	return v.head_seq;
}

static int sig_count_cb(const struct ledger_event *e, void *u)
{
	uint64_t *n = u;

	n[0] += e->signature != NULL;
	n[1] = e->covers_from ? e->covers_from : n[1];
	return 0;
}

static void expect_asset_bad(struct ledger *l, const char *id, enum ledger_sig_problem p)
{
	struct ledger_sig_result r;

	assert_int_equal(ledger_verify_asset(l, store, id, &r), -EBADMSG);
	if (r.problem != p)
		fail_msg("asset %s: want problem %d, got %d: %s", id, p, r.problem, r.detail);
}

/* The hashes from event `from` on recomputed over the stored fields, as
 * the forger's own program would after changing something. */
static int rechain_cb(const struct ledger_event *e, void *u)
{
	struct { const char *db; char prev[LEDGER_HASH_HEX]; } *c = u;
	struct ledger_event n = *e;
	char h[LEDGER_HASH_HEX], *q = NULL;

	if (c->prev[0])
		n.prev_hash = c->prev;
	ledger_event_hash(&n, h);
	assert_true(asprintf(&q, "UPDATE events SET prev_hash = '%s', hash = '%s' WHERE seq = %lu", n.prev_hash, h,
			     (unsigned long)e->seq) > 0);
	sql(c->db, q);
	free(q);
	memcpy(c->prev, h, sizeof(h));
	return 0;
}

static void rechain(struct fx *f, uint64_t from)
{
	struct { const char *db; char prev[LEDGER_HASH_HEX]; } c = { f->db, "" };
	struct got g;

	if (from == 1) {
		memset(c.prev, '0', 64);
	} else {
		get(f->l, from - 1, &g);
		memcpy(c.prev, g.hash, sizeof(c.prev));
		got_free(&g);
	}
	assert_int_equal(ledger_event_range(f->l, from, INT64_MAX, rechain_cb, &c), 0);
}

/* 100 rows: one signature, on the last event, naming the first; each
 * covered event checks out through it, in the whole walk and asset by
 * asset; minisign's signed form names the range. */
static void test_batch(void **state)
{
	struct fx *f = *state;
	struct ledger_sig_result r;
	uint64_t n[2] = {}, last;
	struct got g;

	add(f->l, "A-0", tech);
	last = import_batch(f, tech, "B", 100);
	assert_int_equal(last, 101); /* A-0 is event 1, the batch of 100 events 2..101 */
	assert_int_equal(ledger_history(f->l, NULL, sig_count_cb, n), 0);
	assert_int_equal(n[0], 2);   /* A-0's own and the batch's */
	assert_int_equal(n[1], 2);
	assert_int_equal(ledger_verify_signatures(f->l, store, &r), 0);
	assert_int_equal(r.n_signed, 2);
	assert_int_equal(r.n_covered, 100 - 1);
	get(f->l, last, &g);
	assert_non_null(strstr(g.canon, "\"covers_from\":2,"));
	got_free(&g);
	assert_int_equal(ledger_verify_asset(f->l, store, "B-000", &r), 0);
	assert_int_equal(ledger_verify_asset(f->l, store, "B-050", &r), 0);
	assert_int_equal(ledger_verify_asset(f->l, store, "B-099", &r), 0);
	/* a small transaction is signed event by event, as before */
	import_batch(f, tech, "C", 10);
	n[0] = 0;
	assert_int_equal(ledger_history(f->l, NULL, sig_count_cb, n), 0);
	assert_int_equal(n[0], 2 + 10);
	assert_int_equal(ledger_verify_signatures(f->l, store, &r), 0);
}

/* An unsigned event outside any batch: after it, or its batch's signature
 * gone. */
static void test_batch_unsigned_outside(void **state)
{
	struct fx *f = *state;
	uint64_t last, c1;

	last = import_batch(f, tech, "B", 80);
	c1 = add(f->l, "C-1", tech);
	sql(f->db, "UPDATE events SET signature = NULL WHERE seq = (SELECT max(seq) FROM events)");
	expect_bad(f->l, LEDGER_SIG_UNSIGNED, TRUST_OK, c1);
	expect_asset_bad(f->l, "C-1", LEDGER_SIG_UNSIGNED);
	/* the batch's own signature stripped: its first event is unsigned */
	char q[128];
	snprintf(q, sizeof(q), "UPDATE events SET signature = NULL, covers_from = NULL WHERE seq = %lu",
		 (unsigned long)last);
	sql(f->db, q);
	expect_bad(f->l, LEDGER_SIG_UNSIGNED, TRUST_OK, 1);
	expect_asset_bad(f->l, "B-010", LEDGER_SIG_UNSIGNED);
}

/* A batch signature by a key that may not write our ledger: a contractor's
 * (another organisation), one in no roster. */
static void test_batch_wrong_key(void **state)
{
	struct fx *f = *state;
	uint64_t last = import_batch(f, tech, "B", 80);

	sql(f->db, "UPDATE events SET actor = 'Kenji'");
	rechain(f, 1);
	force_sign(f->db, f->l, last, ctech);
	expect_bad(f->l, LEDGER_SIG_FOREIGN, TRUST_OK, last);
	expect_asset_bad(f->l, "B-003", LEDGER_SIG_FOREIGN);
	force_sign(f->db, f->l, last, fake_appr);
	sql(f->db, "UPDATE events SET actor = 'Boss'");
	rechain(f, 1);
	force_sign(f->db, f->l, last, fake_appr);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_UNKNOWN_KEY, last);
	expect_asset_bad(f->l, "B-003", LEDGER_SIG_INVALID);
}

/* An event inserted into a batch (the later ones renumbered and the chain
 * recomputed): the batch signature no longer matches its event. */
static void test_batch_inserted(void **state)
{
	struct fx *f = *state;
	uint64_t last = import_batch(f, tech, "B", 80);

	sql(f->db, "UPDATE events SET seq = seq + 1000000 WHERE seq >= 40;"
		   "UPDATE events SET seq = seq - 999999 WHERE seq >= 1000000;"
		   "INSERT INTO events (seq, asset_id, kind, changes, state_hash, actor, reason, time_utc, time_local,"
		   " prev_hash, hash, key_id) SELECT 40, 'B-039', 'update', '{\"importance\":[\"2\",\"3\"]}',"
		   " state_hash, actor, reason, time_utc, time_local, prev_hash, hash, key_id FROM events WHERE seq = 39;");
	rechain(f, 40);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_BAD_SIGNATURE, last + 1);
	expect_asset_bad(f->l, "B-039", LEDGER_SIG_INVALID);
}

/* The range a batch claims is signed: widened to take in an earlier
 * unsigned event, the signature fails; an event of another actor inside a
 * batch its own signer re-signed is not covered. */
static void test_batch_claims(void **state)
{
	struct fx *f = *state;
	uint64_t a0 = add(f->l, "A-0", tech), last = import_batch(f, tech, "B", 80);
	char q[160];

	sql(f->db, "UPDATE events SET signature = NULL WHERE seq = 1");
	snprintf(q, sizeof(q), "UPDATE events SET covers_from = %lu WHERE seq = %lu", (unsigned long)a0,
		 (unsigned long)last);
	sql(f->db, q);
	expect_bad(f->l, LEDGER_SIG_INVALID, TRUST_BAD_SIGNATURE, last);
	/* the technician writes an event in the approver's name, unsigned,
	 * and covers it with his own batch signature made again */
	snprintf(q, sizeof(q), "UPDATE events SET covers_from = 2 WHERE seq = %lu; UPDATE events SET actor = 'Hanako'"
		 " WHERE seq = 10", (unsigned long)last);
	sql(f->db, q);
	force_sign(f->db, f->l, 1, tech);
	rechain(f, 10);
	force_sign(f->db, f->l, last, tech);
	expect_bad(f->l, LEDGER_SIG_UNSIGNED, TRUST_OK, 10);
	expect_asset_bad(f->l, "B-007", LEDGER_SIG_UNSIGNED);
}

/* An unsigned event just before a batch's range: the next signed event is
 * that batch's signature, which does not hold it, so nothing covers it,
 * in the whole walk and asset by asset. */
static void test_batch_before_range(void **state)
{
	struct fx *f = *state;
	uint64_t a0 = add(f->l, "A-0", tech);
	char q[96];

	import_batch(f, tech, "B", 80); /* events 2..81, covers_from 2 */
	snprintf(q, sizeof(q), "UPDATE events SET signature = NULL WHERE seq = %lu", (unsigned long)a0);
	sql(f->db, q);
	expect_bad(f->l, LEDGER_SIG_UNSIGNED, TRUST_OK, a0);
	expect_asset_bad(f->l, "A-0", LEDGER_SIG_UNSIGNED);
}

/* An event inside a batch's range that carries a signature of its own (a
 * bad one: another event's, under the batch signer's key id): the range
 * is not the batch's unsigned events, so an asset whose event the batch
 * covers does not verify, nor does the whole ledger. */
static void test_batch_signed_inside(void **state)
{
	struct fx *f = *state;
	struct ledger_sig_result r;
	uint64_t a0 = add(f->l, "A-0", tech);
	char q[200];

	import_batch(f, tech, "B", 80); /* B-000 is event 2, B-038 event 40, B-050 event 52 */
	snprintf(q, sizeof(q), "UPDATE events SET (signature, key_id) = (SELECT signature, key_id FROM events"
		 " WHERE seq = %lu) WHERE seq = 40", (unsigned long)a0);
	sql(f->db, q);
	expect_asset_bad(f->l, "B-050", LEDGER_SIG_INVALID);
	assert_int_equal(ledger_verify_signatures(f->l, store, &r), -EBADMSG);
}

/* ---- the trust lists' serials ---- */

/* The ledger records the serials; a revocation list put back at an older
 * serial is refused by the ledger even where the verifier's own state was
 * lost (another state file here). */
static void test_trust_serials(void **state)
{
	struct fx *f = *state;
	struct ledger_trust_report rep = {};
	struct trust_store *now = NULL, *old = NULL;
	struct trust_seckey *root2 = NULL;
	struct trust_pubkey pk;
	char *dir = NULL, *keep = NULL, *p = NULL, *q = NULL, *st2 = NULL;
	uint64_t seq = 0;

	assert_true(asprintf(&dir, "%s/t2", f->dir) > 0);
	assert_true(asprintf(&keep, "%s/old-revoked.json", f->dir) > 0);
	assert_true(asprintf(&p, "%s/revoked.json", dir) > 0);
	assert_true(asprintf(&st2, "%s/other-state.json", f->dir) > 0);
	/* its own root: the lists of another organisation (a directory made
	 * again with the same root would start below the serials seen) */
	assert_int_equal(trust_seckey_generate("Root 2", TRUST_ROLE_ORG_ROOT, "Example City", true, &root2), 0);
	assert_int_equal(roster_init(dir, root2, time(NULL) - YEAR, 10, false), 0);
	test_copy_file(p, keep);
	free(q);
	assert_true(asprintf(&q, "%s.minisig", keep) > 0);
	{
		char *ps = NULL;

		assert_true(asprintf(&ps, "%s.minisig", p) > 0);
		test_copy_file(ps, q);
		trust_seckey_pubkey(tech, &pk);
		assert_int_equal(roster_revoke(dir, root2, pk.keyid, time(NULL), "key-compromise", time(NULL)), 0);
		assert_int_equal(trust_store_open(dir, &now), 0);
		/* with the store set, a write records the serials with its own
		 * event, in the same transaction */
		assert_int_equal(ledger_set_trust(f->l, now), 0);
		assert_int_equal(add(f->l, "A-1", appr), 1);
		assert_int_equal(count_kind(f->l, "trust-serial"), 1);
		assert_int_equal(ledger_trust_record(f->l, now, &rep, &seq), 0);
		assert_int_equal(ledger_set_trust(f->l, NULL), 0);
		seq = 2;
		assert_int_equal(ledger_trust_check(f->l, now, &rep), 0);
		/* the old list back, and the verifier's memory gone */
		test_copy_file(keep, p);
		test_copy_file(q, ps);
		free(ps);
	}
	setenv("WIPECERT_TRUST_STATE", st2, 1);
	assert_int_equal(trust_store_open(dir, &old), 0);
	setenv("WIPECERT_TRUST_STATE", state_file, 1);
	assert_int_equal(ledger_trust_check(f->l, old, &rep), -ESTALE);
	assert_int_equal(rep.store_serial, 1);
	assert_int_equal(rep.ledger_serial, 2);
	assert_int_equal(rep.event, seq);
	assert_non_null(strstr(rep.list, "revocation list"));
	assert_int_equal(ledger_trust_record(f->l, old, &rep, NULL), -ESTALE);
	/* a write with the older store set fails whole: nothing appended */
	{
		struct ledger_asset a = {};
		struct ledger_verify_result lv;

		assert_int_equal(ledger_set_trust(f->l, old), 0);
		assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, "A-2"), 0);
		assert_int_equal(ledger_asset_check_new(&a), 0);
		assert_int_equal(ledger_asset_add(f->l, &a, NULL, "registered", NULL), -ESTALE);
		ledger_asset_clear(&a);
		assert_int_equal(ledger_verify(f->l, NULL, &lv), 0);
		assert_int_equal(lv.n_events, 2);
		assert_int_equal(ledger_set_trust(f->l, NULL), 0);
	}
	/* with the state kept, the store itself refuses the old list */
	assert_int_equal(trust_store_open(dir, &old), -ESTALE);
	trust_store_free(now);
	trust_store_free(old);
	trust_seckey_free(root2);
	free(dir);
	free(keep);
	free(p);
	free(q);
	free(st2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stripped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopt_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopt_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_comment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_actor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_id_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve_own_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_superseded_stale_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_approval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_serials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_unsigned_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_inserted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_before_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_signed_inside, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
