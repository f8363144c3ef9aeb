/* test_ledger.c - the asset ledger on real SQLite files: assets, events, the
 * chain and its verification after tampering, identity checks, one entry
 * per disk, the changes that wait for an approver, and writing only with a
 * signer. */
#include <errno.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "helpers.h"
#include "test_ledger_fixture.h"
#include "wipecert/ledger.h"
#include "wipecert/util.h"

static void make_asset(struct ledger_asset *a, const char *id, const char *serial, const char *dept)
{
	memset(a, 0, sizeof(*a));
	assert_int_equal(ledger_asset_set(a, LEDGER_F_ASSET_ID, id), 0);
	assert_int_equal(ledger_asset_set(a, LEDGER_F_SERIAL, serial), 0);
	assert_int_equal(ledger_asset_set(a, LEDGER_F_DEPARTMENT, dept), 0);
	assert_int_equal(ledger_asset_set(a, LEDGER_F_IMPORTANCE, "2"), 0);
	assert_int_equal(ledger_asset_check_new(a), 0);
}

static void add_n_from(struct ledger *l, int first, int n)
{
	for (int i = first; i < first + n; i++) {
		struct ledger_asset a;
		char id[32], serial[32];

		snprintf(id, sizeof(id), "A-%04d", i);
		snprintf(serial, sizeof(serial), "SN%04d", i);
		make_asset(&a, id, serial, "総務課");
		assert_int_equal(ledger_asset_add(l, &a, NULL, "test", NULL), 0);
		ledger_asset_clear(&a);
	}
}

static void add_n(struct ledger *l, int n)
{
	add_n_from(l, 1, n);
}

/* Tamper with the file behind the ledger's back, as an attacker with the
 * sqlite3 shell would: the triggers are dropped first. */
static void tamper(const char *db, const char *sql)
{
	sqlite3 *s;
	char *err = NULL;

	assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;"
				      "DROP TRIGGER assets_no_delete;", NULL, NULL, &err), SQLITE_OK);
	if (sqlite3_exec(s, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(s);
}

static void test_fields(void **state)
{
	struct ledger_asset a = {};
	enum ledger_field f;
	enum ledger_status st;

	(void)state;
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, "  "), -EINVAL);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, " X-1 "), 0);
	assert_string_equal(a.v[LEDGER_F_ASSET_ID], "X-1");
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "4"), -EINVAL);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "0"), -EINVAL);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "１"), 0);
	assert_string_equal(a.v[LEDGER_F_IMPORTANCE], "1");
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_STATUS, "scrapped"), -EINVAL);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_STATUS, "Handed-To-Contractor"), 0);
	assert_string_equal(a.v[LEDGER_F_STATUS], "handed-to-contractor");
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_CAPACITY, "500GB"), 0);
	assert_string_equal(a.v[LEDGER_F_CAPACITY], "500000000000");
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_CAPACITY, "lots"), -EINVAL);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_MODEL, "a\x01" "b"), -EINVAL);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_MODEL, "\x83\x54\x81"), -EINVAL); /* not UTF-8 */
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_MODEL, "\xc0\xaf"), -EINVAL); /* overlong */
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_NOTES, "line1\nline2"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_NOTES, ""), 0);
	assert_null(a.v[LEDGER_F_NOTES]);
	ledger_asset_clear(&a);

	assert_int_equal(ledger_field_from_header("資産番号", &f), 0);
	assert_int_equal(f, LEDGER_F_ASSET_ID);
	assert_int_equal(ledger_field_from_header("所管課/部署", &f), 0);
	assert_int_equal(f, LEDGER_F_DEPARTMENT);
	assert_int_equal(ledger_field_from_header("部署", &f), 0);
	assert_int_equal(f, LEDGER_F_DEPARTMENT);
	assert_int_equal(ledger_field_from_header("重要性分類", &f), 0);
	assert_int_equal(f, LEDGER_F_IMPORTANCE);
	assert_int_equal(ledger_field_from_header("型番", &f), 0);
	assert_int_equal(f, LEDGER_F_MODEL);
	assert_int_equal(ledger_field_from_header("シリアル番号", &f), 0);
	assert_int_equal(f, LEDGER_F_SERIAL);
	assert_int_equal(ledger_field_from_header("Serial Number", &f), 0);
	assert_int_equal(f, LEDGER_F_SERIAL);
	assert_int_equal(ledger_field_from_header("Owner Department", &f), 0);
	assert_int_equal(f, LEDGER_F_DEPARTMENT);
	assert_int_equal(ledger_field_from_header("colour", &f), -ENOENT);
	assert_int_equal(ledger_status_from_string("destroyed", &st), 0);
	assert_int_equal(st, LEDGER_STATUS_DESTROYED);
}

struct hist {
	int n;
	char changes[512];
	char actor[32];
	char prev[LEDGER_HASH_HEX];
};

static int hist_cb(const struct ledger_event *e, void *u)
{
	struct hist *x = u;

	x->n++;
	snprintf(x->changes, sizeof(x->changes), "%s", e->changes);
	snprintf(x->actor, sizeof(x->actor), "%s", e->actor);
	if (x->n > 1)
		assert_string_equal(e->prev_hash, x->prev);
	snprintf(x->prev, sizeof(x->prev), "%s", e->hash);
	assert_true(strlen(e->time_utc) == 20 && e->time_utc[19] == 'Z');
	assert_non_null(strchr(e->time_local, 'T'));
	/* signed as it was appended, by the handle's signer */
	assert_non_null(e->signature);
	assert_non_null(e->key_id);
	return 0;
}

static void test_add_get_update_history(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a, b = {}, c = {};
	uint64_t seq = 0;

	assert_int_equal(ledger_schema_version(f->l), LEDGER_SCHEMA_VERSION);
	make_asset(&a, "KS-1", "SN1", "市民課");
	fx_sign_as(f, "alice", TRUST_ROLE_TECHNICIAN);
	assert_int_equal(ledger_asset_add(f->l, &a, "alice", "registered", &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(ledger_asset_add(f->l, &a, "alice", "again", &seq), -EEXIST);
	assert_int_equal(ledger_asset_get(f->l, "KS-1", &b), 0);
	for (unsigned i = 0; i < _LEDGER_F_MAX; i++) {
		if (a.v[i])
			assert_string_equal(a.v[i], b.v[i]);
		else
			assert_null(b.v[i]);
	}
	assert_string_equal(b.v[LEDGER_F_STATUS], "in-service");
	assert_int_equal(ledger_asset_get(f->l, "nope", &c), -ENOENT);

	/* no change, no event */
	fx_sign_as(f, "bob", TRUST_ROLE_TECHNICIAN);
	assert_int_equal(ledger_asset_update(f->l, &b, "bob", "nothing", &seq), 0);
	assert_int_equal(ledger_asset_set(&b, LEDGER_F_STATUS, "awaiting-erasure"), 0);
	assert_int_equal(ledger_asset_set(&b, LEDGER_F_DEPARTMENT, "税務課"), 0);
	assert_int_equal(ledger_asset_update(f->l, &b, "bob", "to be wiped", &seq), 1);
	assert_int_equal(seq, 2);
	ledger_asset_clear(&b);
	assert_int_equal(ledger_asset_get(f->l, "KS-1", &b), 0);
	assert_string_equal(b.v[LEDGER_F_DEPARTMENT], "税務課");

	/* reopen: everything persisted, schema not migrated twice */
	fx_reopen(f);
	struct hist h = {};

	assert_int_equal(ledger_history(f->l, "KS-1", hist_cb, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.actor, "bob");
	assert_string_equal(h.changes,
			    "{\"department\":[\"市民課\",\"税務課\"],"
			    "\"status\":[\"in-service\",\"awaiting-erasure\"]}");

	struct ledger_verify_result v;
	assert_int_equal(ledger_verify(f->l, NULL, &v), 0);
	assert_int_equal(v.n_events, 2);
	assert_int_equal(v.n_assets, 1);
	assert_string_equal(v.head_hash, h.prev);
	ledger_asset_clear(&a);
	ledger_asset_clear(&b);
}

static void test_missing_db(void **state)
{
	struct fx *f = *state;
	struct ledger *l = NULL;
	char *p;

	assert_int_equal(asprintf(&p, "%s/none.db", f->dir) > 0, 1);
	assert_int_equal(ledger_open(p, 0, &l), -ENOENT);
	assert_null(l);
	free(p);
	p = test_write_file(f->dir, "junk.db", "this is not a database, not at all....", 38);
	assert_int_equal(ledger_open(p, 0, &l), -EUCLEAN);
	free(p);
}

static void expect_break(struct fx *f, enum ledger_break what, uint64_t seq)
{
	struct ledger_verify_result v;

	fx_reopen(f);
	assert_int_equal(ledger_verify(f->l, NULL, &v), -EBADMSG);
	if (v.problem != what || v.bad_seq != seq)
		fail_msg("want break %d at %lu, got %d at %lu: %s", what, (unsigned long)seq, v.problem,
			 (unsigned long)v.bad_seq, v.detail);
}

static void test_triggers(void **state)
{
	struct fx *f = *state;
	sqlite3 *s;

	add_n(f->l, 2);
	assert_int_equal(sqlite3_open(f->db, &s), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(s, "UPDATE events SET actor = 'x' WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(s, "DELETE FROM events WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
	/* an event is signed when it is appended: its signature stays */
	assert_int_not_equal(sqlite3_exec(s, "UPDATE events SET signature = x'01' WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(s, "UPDATE events SET signature = NULL WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	struct ledger_verify_result v;
	assert_int_equal(ledger_verify(f->l, NULL, &v), 0);
}

/* Nothing is appended without a signer, nor for an actor who is not it. */
static void test_needs_signer(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a;
	struct hist h = {};

	make_asset(&a, "KS-1", "SN1", "市民課");
	assert_int_equal(ledger_asset_add(f->l, &a, "someone else", "registered", NULL), -EPERM);
	assert_int_equal(ledger_set_signer(f->l, NULL), 0);
	assert_int_equal(ledger_asset_add(f->l, &a, NULL, "registered", NULL), -ENOKEY);
	assert_int_equal(ledger_asset_note(f->l, "KS-1", NULL, "note", NULL), -ENOENT);
	assert_int_equal(ledger_history(f->l, NULL, hist_cb, &h), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(ledger_set_signer(f->l, f->signer), 0);
	assert_int_equal(ledger_asset_add(f->l, &a, NULL, "registered", NULL), 0);
	assert_int_equal(ledger_history(f->l, NULL, hist_cb, &h), 0);
	assert_string_equal(h.actor, "tester");
	ledger_asset_clear(&a);
}

static void test_tamper_edit(void **state)
{
	struct fx *f = *state;

	add_n(f->l, 5);
	tamper(f->db, "UPDATE events SET actor = 'mallory' WHERE seq = 3");
	expect_break(f, LEDGER_BREAK_EDITED, 3);
}

static void test_tamper_edit_changes(void **state)
{
	struct fx *f = *state;

	add_n(f->l, 5);
	tamper(f->db, "UPDATE events SET changes = replace(changes, '総務課', '税務課') WHERE seq = 4");
	expect_break(f, LEDGER_BREAK_EDITED, 4);
}

static void test_tamper_delete(void **state)
{
	struct fx *f = *state;

	add_n(f->l, 5);
	tamper(f->db, "DELETE FROM events WHERE seq = 2");
	expect_break(f, LEDGER_BREAK_MISSING, 3);
}

static void test_tamper_delete_first(void **state)
{
	struct fx *f = *state;

	add_n(f->l, 3);
	tamper(f->db, "DELETE FROM events WHERE seq = 1");
	expect_break(f, LEDGER_BREAK_MISSING, 2);
}

static void test_tamper_delete_last(void **state)
{
	struct fx *f = *state;

	add_n(f->l, 4);
	tamper(f->db, "DELETE FROM events WHERE seq = 4");
	expect_break(f, LEDGER_BREAK_HEAD, 3);
}

static void test_tamper_delete_renumber(void **state)
{
	struct fx *f = *state;

	/* delete one and close the gap: the links no longer match */
	add_n(f->l, 5);
	tamper(f->db, "DELETE FROM events WHERE seq = 2; UPDATE events SET seq = seq - 1 WHERE seq > 2");
	expect_break(f, LEDGER_BREAK_EDITED, 2);
}

/* An event copied in from another ledger, where the same asset was added
 * after other events: its own hash is right (seq, content, its own link),
 * only its link to the event before it is wrong. */
static void test_tamper_splice(void **state)
{
	struct fx *f = *state;
	struct ledger *o = NULL;
	struct ledger_asset a;
	_cleanup_free_ char *other = NULL, *sql = NULL;

	add_n(f->l, 5);
	assert_true(asprintf(&other, "%s/other.db", f->dir) > 0);
	assert_int_equal(ledger_open(other, LEDGER_OPEN_CREATE, &o), 0);
	assert_int_equal(ledger_set_signer(o, f->signer), 0);
	make_asset(&a, "B-0001", "SNB1", "税務課");
	assert_int_equal(ledger_asset_add(o, &a, NULL, "elsewhere", NULL), 0);
	ledger_asset_clear(&a);
	make_asset(&a, "B-0002", "SNB2", "税務課");
	assert_int_equal(ledger_asset_add(o, &a, NULL, "elsewhere", NULL), 0);
	ledger_asset_clear(&a);
	add_n_from(o, 3, 1);
	ledger_close(o);
	assert_true(asprintf(&sql, "ATTACH DATABASE '%s' AS b;"
			     "UPDATE events SET (asset_id, kind, changes, state_hash, actor, reason, time_utc,"
			     " time_local, prev_hash, hash) = (SELECT asset_id, kind, changes, state_hash, actor,"
			     " reason, time_utc, time_local, prev_hash, hash FROM b.events WHERE seq = 3)"
			     " WHERE seq = 3", other) > 0);
	tamper(f->db, sql);
	expect_break(f, LEDGER_BREAK_LINK, 3);
}

/* The chain itself intact, but its recorded head is another event's hash
 * (what a rewritten last event with a recomputed hash leaves behind) */
static void test_tamper_head_hash(void **state)
{
	struct fx *f = *state;

	add_n(f->l, 5);
	tamper(f->db, "UPDATE meta SET value = (SELECT hash FROM events WHERE seq = 4) WHERE key = 'head_hash'");
	expect_break(f, LEDGER_BREAK_HEAD, 5);
}

static void test_tamper_swap(void **state)
{
	struct fx *f = *state;

	add_n(f->l, 5);
	tamper(f->db, "UPDATE events SET seq = -1 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3;"
		      "UPDATE events SET seq = 3 WHERE seq = -1");
	expect_break(f, LEDGER_BREAK_EDITED, 2);
}

static void test_tamper_swap_contents(void **state)
{
	struct fx *f = *state;

	/* swap everything but seq and the hashes' links: caught at 2 too */
	add_n(f->l, 5);
	tamper(f->db, "CREATE TEMP TABLE t AS SELECT * FROM events WHERE seq IN (2, 3);"
		      "UPDATE events SET asset_id = (SELECT asset_id FROM t WHERE seq = 5 - events.seq),"
		      " changes = (SELECT changes FROM t WHERE seq = 5 - events.seq),"
		      " state_hash = (SELECT state_hash FROM t WHERE seq = 5 - events.seq),"
		      " hash = (SELECT hash FROM t WHERE seq = 5 - events.seq),"
		      " prev_hash = (SELECT prev_hash FROM t WHERE seq = 5 - events.seq)"
		      " WHERE seq IN (2, 3)");
	expect_break(f, LEDGER_BREAK_EDITED, 2);
}

static void test_tamper_asset(void **state)
{
	struct fx *f = *state;
	struct ledger_verify_result v;

	add_n(f->l, 3);
	tamper(f->db, "UPDATE assets SET serial = 'OTHER' WHERE asset_id = 'A-0002'");
	expect_break(f, LEDGER_BREAK_ASSET_STATE, 0);
	ledger_verify(f->l, NULL, &v);
	assert_string_equal(v.bad_asset, "A-0002");
}

static void test_tamper_asset_deleted(void **state)
{
	struct fx *f = *state;

	add_n(f->l, 3);
	tamper(f->db, "DELETE FROM assets WHERE asset_id = 'A-0002'");
	expect_break(f, LEDGER_BREAK_ASSET_UNKNOWN, 2);
}

static void test_anchor(void **state)
{
	struct fx *f = *state;
	struct ledger_verify_result v, w;
	struct ledger_anchor a;
	char text[128];

	add_n(f->l, 3);
	assert_int_equal(ledger_verify(f->l, NULL, &v), 0);
	snprintf(text, sizeof(text), "%llu:%s", (unsigned long long)v.head_seq, v.head_hash);
	assert_int_equal(ledger_anchor_parse(text, &a), 0);
	assert_int_equal(ledger_anchor_parse("3", &a), -EINVAL);
	assert_int_equal(ledger_anchor_parse("x:00", &a), -EINVAL);
	assert_int_equal(ledger_anchor_parse(text, &a), 0);
	/* later events do not disturb an old anchor */
	add_n_from(f->l, 4, 2);
	assert_int_equal(ledger_verify(f->l, &a, &w), 0);

	/* the same history written again with one actor changed: every hash
	 * from there on is recomputed and consistent, only the anchor tells */
	ledger_close(f->l);
	unlink(f->db);
	assert_int_equal(ledger_open(f->db, LEDGER_OPEN_CREATE, &f->l), 0);
	assert_int_equal(ledger_set_signer(f->l, f->signer), 0);
	add_n(f->l, 1);
	struct ledger_asset x;
	make_asset(&x, "A-0002", "SN0002", "総務課");
	fx_sign_as(f, "mallory", TRUST_ROLE_TECHNICIAN);
	assert_int_equal(ledger_asset_add(f->l, &x, "mallory", "test", NULL), 0);
	ledger_asset_clear(&x);
	make_asset(&x, "A-0003", "SN0003", "総務課");
	assert_int_equal(ledger_set_signer(f->l, f->keys[0]), 0);
	assert_int_equal(ledger_asset_add(f->l, &x, "tester", "test", NULL), 0);
	ledger_asset_clear(&x);
	assert_int_equal(ledger_verify(f->l, NULL, &w), 0);
	assert_int_equal(ledger_verify(f->l, &a, &w), -EBADMSG);
	assert_int_equal(w.problem, LEDGER_BREAK_ANCHOR);
	assert_int_equal(w.bad_seq, 3);

	/* an anchor beyond the end: cut */
	a.seq = 9;
	assert_int_equal(ledger_verify(f->l, &a, &w), -EBADMSG);
	assert_int_equal(w.problem, LEDGER_BREAK_ANCHOR);
}

static void test_identity(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a = {}, b = {};
	struct ledger_detected d = { .media_type = "ssd", .manufacturer = "Samsung", .model = "MZ-76E500",
				     .serial = "S3Z1NB0K123456X", .wwn = "0x5002538e40a1b2c3",
				     .capacity = 500107862016ull };
	char *why = NULL;

	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, "D-1"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_DEPARTMENT, "情報政策課"), 0);
	assert_int_equal(ledger_asset_from_detected(&d, &a), 0);
	assert_int_equal(ledger_asset_check_new(&a), 0);
	assert_int_equal(ledger_asset_add_detected(f->l, &a, NULL, NULL, NULL), 0);
	/* the same disk cannot be registered twice under another ID */
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, "D-2"), 0);
	assert_int_equal(ledger_asset_add_detected(f->l, &a, NULL, NULL, NULL), -ENOTUNIQ);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_SERIAL, "OTHER"), 0);
	assert_int_equal(ledger_asset_add_detected(f->l, &a, NULL, NULL, NULL), -ENOTUNIQ); /* same WWN */
	ledger_asset_set(&a, LEDGER_F_SERIAL, NULL);
	ledger_asset_set(&a, LEDGER_F_WWN, NULL);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, "D-3"), 0);
	assert_int_equal(ledger_asset_add_detected(f->l, &a, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(ledger_asset_get(f->l, "D-2", &b), -ENOENT);
	ledger_asset_clear(&a);

	assert_int_equal(ledger_asset_get(f->l, "D-1", &a), 0);
	assert_string_equal(a.v[LEDGER_F_CAPACITY], "500107862016");
	assert_string_equal(a.v[LEDGER_F_DEPARTMENT], "情報政策課");
	assert_string_equal(a.v[LEDGER_F_MANUFACTURER], "Samsung");
	assert_string_equal(a.v[LEDGER_F_STATUS], "in-service");
	assert_int_equal(ledger_asset_find_identity(f->l, " s3z1nb0k123456x ", NULL, &b), 0);
	assert_string_equal(b.v[LEDGER_F_ASSET_ID], "D-1");
	ledger_asset_clear(&b);
	assert_int_equal(ledger_asset_find_identity(f->l, NULL, "naa.5002538E40A1B2C3", &b), 0);
	ledger_asset_clear(&b);
	assert_int_equal(ledger_asset_find_identity(f->l, "nope", NULL, &b), -ENOENT);

	assert_int_equal(ledger_identity_check(&a, "S3Z1NB0K123456X ", "naa.5002538E40A1B2C3", &why), LEDGER_IDENTITY_MATCH);
	assert_null(why);
	assert_int_equal(ledger_identity_check(&a, "S3Z1NB0K999999X", "0x5002538e40a1b2c3", &why),
			 LEDGER_IDENTITY_SERIAL_MISMATCH);
	assert_non_null(strstr(why, "serial mismatch"));
	assert_non_null(strstr(why, "S3Z1NB0K999999X"));
	free(why);
	assert_int_equal(ledger_identity_check(&a, "S3Z1NB0K123456X", "0x5000000000000001", &why),
			 LEDGER_IDENTITY_WWN_MISMATCH);
	free(why);
	/* the disk hides its WWN: the one on record is not proven */
	assert_int_equal(ledger_identity_check(&a, "S3Z1NB0K123456X", NULL, &why), LEDGER_IDENTITY_WWN_MISMATCH);
	free(why);
	assert_int_equal(ledger_identity_check(&a, NULL, NULL, &why), LEDGER_IDENTITY_DEVICE_UNKNOWN);
	free(why);
	ledger_asset_set(&a, LEDGER_F_SERIAL, NULL);
	ledger_asset_set(&a, LEDGER_F_WWN, NULL);
	assert_int_equal(ledger_identity_check(&a, "X", "Y", &why), LEDGER_IDENTITY_NONE_ON_RECORD);
	free(why);
	ledger_asset_clear(&a);
}

/* One entry per disk: a serial or WWN that another asset has is refused on
 * add (a new class-3 entry for a class-1 disk) and on edit, compared as the
 * identity check compares them; an entry keeps its own. */
static void test_one_entry_per_disk(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a, b = {};

	make_asset(&a, "C1", "SN-ONE", "総務課");
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_WWN, "naa.5000c500a1b2c3d4"), 0);
	assert_int_equal(ledger_asset_add(f->l, &a, NULL, "test", NULL), 0);
	ledger_asset_clear(&a);
	make_asset(&a, "FAKE", " sn-one ", "総務課");
	assert_int_equal(ledger_asset_add(f->l, &a, NULL, "test", NULL), -ENOTUNIQ);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_SERIAL, "SN-TWO"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_WWN, "0x5000C500A1B2C3D4"), 0);
	assert_int_equal(ledger_asset_add(f->l, &a, NULL, "test", NULL), -ENOTUNIQ);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_WWN, NULL), 0);
	assert_int_equal(ledger_asset_add(f->l, &a, NULL, "test", NULL), 0);
	assert_int_equal(ledger_asset_get(f->l, "FAKE", &b), 0);
	/* an empty WWN set to another asset's: refused too */
	assert_int_equal(ledger_asset_set(&b, LEDGER_F_WWN, "naa.5000C500A1B2C3D4"), 0);
	assert_int_equal(ledger_asset_update(f->l, &b, NULL, "test", NULL), -ENOTUNIQ);
	/* and its own serial is no conflict */
	assert_int_equal(ledger_asset_set(&b, LEDGER_F_WWN, NULL), 0);
	assert_int_equal(ledger_asset_set(&b, LEDGER_F_NOTES, "still SN-TWO"), 0);
	assert_int_equal(ledger_asset_update(f->l, &b, NULL, "test", NULL), LEDGER_UPDATED);
	ledger_asset_clear(&a);
	ledger_asset_clear(&b);
}

/* Which changes wait for an approver: a less sensitive class, the status
 * back in service or out to a contractor, an identity on record replaced. */
static void test_needs_approval_rule(void **state)
{
	(void)state;
	assert_true(ledger_change_needs_approval(LEDGER_F_IMPORTANCE, "1", "3"));
	assert_true(ledger_change_needs_approval(LEDGER_F_IMPORTANCE, "2", "3"));
	assert_true(ledger_change_needs_approval(LEDGER_F_IMPORTANCE, "1", NULL));
	assert_false(ledger_change_needs_approval(LEDGER_F_IMPORTANCE, "3", "1"));
	assert_false(ledger_change_needs_approval(LEDGER_F_IMPORTANCE, NULL, "3"));
	assert_false(ledger_change_needs_approval(LEDGER_F_IMPORTANCE, "2", "2"));
	assert_true(ledger_change_needs_approval(LEDGER_F_STATUS, "retired", "in-service"));
	assert_true(ledger_change_needs_approval(LEDGER_F_STATUS, "awaiting-erasure", "handed-to-contractor"));
	assert_false(ledger_change_needs_approval(LEDGER_F_STATUS, "in-service", "awaiting-erasure"));
	assert_false(ledger_change_needs_approval(LEDGER_F_STATUS, "erased", "approved"));
	assert_true(ledger_change_needs_approval(LEDGER_F_SERIAL, "S1", "S2"));
	assert_true(ledger_change_needs_approval(LEDGER_F_WWN, "0x50", NULL));
	assert_false(ledger_change_needs_approval(LEDGER_F_SERIAL, NULL, "S2"));
	assert_false(ledger_change_needs_approval(LEDGER_F_DEPARTMENT, "a", "b"));
	assert_false(ledger_change_needs_approval(LEDGER_F_LOCATION, "a", NULL));
}

struct kinds {
	char kind[16][16];
	int n;
	char last_changes[256];
};

static int kinds_cb(const struct ledger_event *e, void *u)
{
	struct kinds *k = u;

	if (k->n < 16)
		snprintf(k->kind[k->n++], sizeof(k->kind[0]), "%s", e->kind);
	snprintf(k->last_changes, sizeof(k->last_changes), "%s", e->changes);
	return 0;
}

/* A technician lowers the class and changes the department in one edit:
 * the department changes, the class stays 1 and a request records 1 -> 3;
 * the same request again records nothing; the chain and the asset agree. */
static void test_gated_update_is_requested(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a, b = {};
	struct ledger_verify_result v;
	struct kinds k = {};
	uint64_t seq = 0;

	make_asset(&a, "C1", "SN-ONE", "総務課");
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "1"), 0);
	assert_int_equal(ledger_asset_add(f->l, &a, NULL, "test", NULL), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "3"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_DEPARTMENT, "税務課"), 0);
	assert_int_equal(ledger_asset_update(f->l, &a, NULL, "lower it", &seq), LEDGER_UPDATED | LEDGER_REQUESTED);
	assert_int_equal(seq, 3);
	assert_int_equal(ledger_asset_get(f->l, "C1", &b), 0);
	assert_string_equal(b.v[LEDGER_F_IMPORTANCE], "1");
	assert_string_equal(b.v[LEDGER_F_DEPARTMENT], "税務課");
	ledger_asset_clear(&b);
	assert_int_equal(ledger_asset_update(f->l, &a, NULL, "lower it again", &seq), 0);
	assert_int_equal(ledger_history(f->l, "C1", kinds_cb, &k), 0);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.kind[1], "update");
	assert_string_equal(k.kind[2], "request");
	assert_string_equal(k.last_changes, "{\"importance\":[\"1\",\"3\"]}");
	assert_int_equal(ledger_verify(f->l, NULL, &v), 0);
	assert_int_equal(ledger_asset_check_state(f->l, "C1"), 0);
	ledger_asset_clear(&a);
}

/* The wipe path's check: an asset row edited in the file (the class set to
 * 3 with the sqlite3 shell) no longer matches its latest event. */
static void test_check_state(void **state)
{
	struct fx *f = *state;

	add_n(f->l, 2);
	assert_int_equal(ledger_asset_check_state(f->l, "A-0002"), 0);
	assert_int_equal(ledger_asset_check_state(f->l, "A-0009"), -ENOENT);
	tamper(f->db, "UPDATE assets SET importance = 3 WHERE asset_id = 'A-0002'");
	fx_reopen(f);
	assert_int_equal(ledger_asset_check_state(f->l, "A-0002"), -EBADMSG);
	assert_int_equal(ledger_asset_check_state(f->l, "A-0001"), 0);
}

/* Another program holds the ledger's write lock: ledger_writable() says
 * -EBUSY after the busy timeout set (not the 30 s default), a change
 * waits as long and fails, reading goes on; once the lock is gone both
 * work again. */
static void test_busy(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a = { 0 };
	char *err = NULL;
	sqlite3 *s;
	uint64_t t0;

	add_n(f->l, 1);
	assert_int_equal(ledger_writable(f->l), 0);
	assert_int_equal(ledger_set_busy_timeout(f->l, 200), 0);
	assert_int_equal(sqlite3_open(f->db, &s), SQLITE_OK);
	if (sqlite3_exec(s, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK)
		fail_msg("lock: %s", err);
	t0 = now_ns();
	assert_int_equal(ledger_writable(f->l), -EBUSY);
	assert_true(now_ns() - t0 < 5000000000ull);
	assert_int_equal(ledger_asset_note(f->l, "A-0001", "tester", "blocked", NULL), -EBUSY);
	assert_int_equal(ledger_asset_get(f->l, "A-0001", &a), 0);
	ledger_asset_clear(&a);
	assert_int_equal(sqlite3_exec(s, "ROLLBACK", NULL, NULL, &err), SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(ledger_writable(f->l), 0);
	assert_int_equal(ledger_asset_note(f->l, "A-0001", "tester", "free again", NULL), 0);
}

/* BLAKE2b-256 of length-prefixed strings, written here from
 * docs/ledger.md, not taken from the ledger's code. */
static void doc_hash(const char *const *v, size_t n, char out[LEDGER_HASH_HEX])
{
	crypto_generichash_state st;
	uint8_t h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	for (size_t i = 0; i < n; i++) {
		uint64_t len = v[i] ? strlen(v[i]) : 0;
		uint8_t le[8];

		for (int k = 0; k < 8; k++)
			le[k] = (uint8_t)(len >> (8 * k));
		crypto_generichash_update(&st, le, 8);
		crypto_generichash_update(&st, (const uint8_t *)(v[i] ? v[i] : ""), len);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	hex_encode(h, sizeof(h), out);
}

/* An asset without the fields of schema 3 hashes as schema 1 and 2 did
 * (every history recorded before stays whole); each such field set comes
 * after the fourteen by its name. */
static void test_state_hash_compat(void **state)
{
	const char *v[1 + 14 + 4] = { "wipecert.ledger.asset.v1", "KS-1", "hdd", NULL, NULL, "S1", NULL, "1000",
				      NULL, NULL, "1", NULL, NULL, "in-service", NULL };
	struct ledger_asset a = {};
	char want[LEDGER_HASH_HEX], got[LEDGER_HASH_HEX];

	(void)state;
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, "KS-1"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_MEDIA_TYPE, "hdd"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_SERIAL, "S1"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_CAPACITY, "1000"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "1"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_STATUS, "in-service"), 0);
	doc_hash(v, 15, want);
	ledger_asset_state_hash(&a, got);
	assert_string_equal(got, want);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_NAME, "住基サーバ"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_RETENTION, "令和14年3月31日"), 0);
	v[15] = "asset_name";
	v[16] = "住基サーバ";
	v[17] = "retention";
	v[18] = "2032-03-31";
	doc_hash(v, 19, want);
	ledger_asset_state_hash(&a, got);
	assert_string_equal(got, want);
	ledger_asset_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_state_hash_compat),
		cmocka_unit_test_setup_teardown(test_add_get_update_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_needs_signer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_edit_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_renumber, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_splice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_head_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_swap_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_asset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_asset_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_anchor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_entry_per_disk, setup, teardown),
		cmocka_unit_test(test_needs_approval_rule),
		cmocka_unit_test_setup_teardown(test_gated_update_is_requested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
