/* test_ledger_csv.c - CSV import and export of the ledger: UTF-8 (BOM or
 * not) and CP932 fixtures with Japanese departments read back exactly; a bad
 * row names its line and leaves the database unchanged. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "helpers.h"
#include "test_ledger_fixture.h"
#include "wipecert/ledger.h"
#include "wipecert/util.h"

/* What the fixtures hold, written out by hand (not read from the files). */
static const char *const expect[][_LEDGER_F_MAX] = {
	{ "KS-2019-0001", "hdd", "Seagate", "ST1000DM010", "Z9A1B2C3", "0x5000c500a1b2c3d4", "1000204886016",
	  "総務部総務課", "本庁舎3階サーバ室", "1", "リース（東京センチュリー）", "住基ネット端末", "in-service", NULL,
	  "住基ネット端末 HDD", "総務課長 山田太郎", "JUKI-SV01", "本人確認情報", "2019-04-01", "2019-04-01",
	  "2024-03-31", "2031-03-31", "3", "2", "2", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "KS-2019-0002", "ssd", "Samsung", "MZ-76E500", "S3Z1NB0K123456X", "0x5002538e40a1b2c3", "500107862016",
	  "市民部市民課", "本庁舎1階窓口", "1", "所有", NULL, "awaiting-erasure", NULL,
	  "窓口端末 SSD", "市民課長 佐藤花子", "MADO-PC07", "住民票情報", "2019-06-10", NULL, NULL, "2030-03-31",
	  "3", "1", "1", NULL, NULL, NULL, NULL, NULL, "{\"資産区分\":\"備品\",\"購入価格\":\"120000\"}" },
	{ "KS-2020-0013", "hdd", "東芝", "MQ01ABD100", "X7ZQT0ABC", NULL, "1000204886016",
	  "税務部　税務課", "別館2階", "2", "所有", "\"引継ぎ\" 済み, 要確認", "retired", NULL,
	  NULL, NULL, NULL, NULL, "2020-10-01", NULL, NULL, NULL, "2", "1", "1", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "KS-2021-0104", "nvme", "WDC", "WDS500G2B0C", "21034C801234", "eui.e8238fa6bf530001", "500107862016",
	  "教育委員会事務局学校教育課", "○○小学校職員室", "2", "リース", "備考:\n2行目あり", "erased", "CERT-2024-0007",
	  "校務用 NVMe", NULL, "KOUMU-12", "児童生徒情報", "2021-04-01", "2021-04-01", "2026-03-31", NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, "保守-2021-33", NULL },
	{ "KS-2022-0200", "usb", "BUFFALO", "RUF3-K16GA", NULL, NULL, "16008609792",
	  "福祉部高齢福祉課", "倉庫", "3", "所有", NULL, "destroyed", NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "1", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void check_contents(struct ledger *l)
{
	struct ledger_verify_result v;

	for (size_t i = 0; i < ARRAY_SIZE(expect); i++) {
		struct ledger_asset a = {};

		assert_int_equal(ledger_asset_get(l, expect[i][0], &a), 0);
		for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
			if (expect[i][f])
				assert_string_equal(a.v[f], expect[i][f]);
			else
				assert_null(a.v[f]);
		}
		ledger_asset_clear(&a);
	}
	assert_int_equal(ledger_verify(l, NULL, &v), 0);
	assert_int_equal(v.n_assets, ARRAY_SIZE(expect));
	assert_int_equal(v.n_events, ARRAY_SIZE(expect));
}

static void import_fixture(struct fx *f, const char *name, enum ledger_encoding enc, enum ledger_encoding want)
{
	struct ledger_import_opts o = { .encoding = enc, .actor = "tester", .reason = "fixture" };
	struct ledger_import_report rep = {};
	_cleanup_free_ char *p = test_fixture(name);

	assert_int_equal(ledger_import_csv(f->l, p, &o, &rep), 0);
	assert_int_equal(rep.encoding, want);
	assert_int_equal(rep.rows, ARRAY_SIZE(expect));
	assert_int_equal(rep.added, ARRAY_SIZE(expect));
	check_contents(f->l);
}

static int notes_cb(const struct ledger_event *e, void *u)
{
	json_t *j = json_loads(e->changes, 0, NULL);

	assert_non_null(j);
	*(char **)u = strdup(json_string_value(json_array_get(json_object_get(j, "notes"), 1)));
	json_decref(j);
	return 0;
}

static void test_utf8(void **state)
{
	struct fx *f = *state;
	char *notes = NULL;

	import_fixture(f, "ledger/assets-utf8.csv", LEDGER_ENC_AUTO, LEDGER_ENC_UTF8);
	/* the hand-written JSON of the events escapes quotes and newlines */
	assert_int_equal(ledger_history(f->l, "KS-2020-0013", notes_cb, &notes), 0);
	assert_string_equal(notes, "\"引継ぎ\" 済み, 要確認");
	free(notes);
	assert_int_equal(ledger_history(f->l, "KS-2021-0104", notes_cb, &notes), 0);
	assert_string_equal(notes, "備考:\n2行目あり");
	free(notes);
}

static void test_utf8_bom_english(void **state)
{
	import_fixture(*state, "ledger/assets-utf8-bom-en.csv", LEDGER_ENC_AUTO, LEDGER_ENC_UTF8);
}

static void test_cp932_auto(void **state)
{
	import_fixture(*state, "ledger/assets-cp932.csv", LEDGER_ENC_AUTO, LEDGER_ENC_CP932);
}

static void test_cp932_forced(void **state)
{
	import_fixture(*state, "ledger/assets-cp932.csv", LEDGER_ENC_CP932, LEDGER_ENC_CP932);
}

static void test_cp932_as_utf8_refused(void **state)
{
	struct fx *f = *state;
	struct ledger_import_opts o = { .encoding = LEDGER_ENC_UTF8 };
	struct ledger_import_report rep = {};
	_cleanup_free_ char *p = test_fixture("ledger/assets-cp932.csv");

	assert_int_equal(ledger_import_csv(f->l, p, &o, &rep), -EINVAL);
	assert_int_equal(rep.error_line, 1);
	assert_non_null(strstr(rep.error, "UTF-8"));
}

/* ledger_export() into memory: the bytes, NUL-terminated, their length in *len */
static char *export_mem(struct ledger *l, const struct ledger_export_opts *eo, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	assert_non_null(m);
	assert_int_equal(ledger_export(l, m, eo), 0);
	fclose(m);
	return buf;
}

/* a new asset in the ledger, its fields already set in *a (then cleared) */
static void add_asset(struct ledger *l, struct ledger_asset *a)
{
	assert_int_equal(ledger_asset_check_new(a), 0);
	assert_int_equal(ledger_asset_add(l, a, NULL, "test", NULL), 0);
	ledger_asset_clear(a);
}

/* ledger_export() gives exactly the bytes of the fixture file. */
static void export_equals(struct ledger *l, const struct ledger_export_opts *eo, const char *fixture)
{
	_cleanup_free_ char *p = test_fixture(fixture);
	_cleanup_free_ uint8_t *want = NULL;
	size_t len = 0, wlen;
	_cleanup_free_ char *buf = export_mem(l, eo, &len);

	assert_int_equal(read_full_file(p, &want, &wlen), 0);
	assert_int_equal(len, wlen);
	assert_memory_equal(buf, want, len);
}

/* Export CSV with Japanese headers: byte for byte the UTF-8 fixture. */
static void test_export_roundtrip(void **state)
{
	struct fx *f = *state;
	struct ledger_export_opts ja = { .format = LEDGER_EXPORT_CSV, .japanese = true };
	struct ledger_export_opts bom = { .format = LEDGER_EXPORT_CSV, .bom = true };
	char *buf = NULL;
	size_t len = 0;

	import_fixture(f, "ledger/assets-cp932.csv", LEDGER_ENC_AUTO, LEDGER_ENC_CP932);
	export_equals(f->l, &ja, "ledger/assets-utf8.csv");
	export_equals(f->l, &bom, "ledger/assets-utf8-bom-en.csv");

	/* JSON with events carries the chain */
	struct ledger_export_opts jo = { .format = LEDGER_EXPORT_JSON, .events = true };
	buf = export_mem(f->l, &jo, &len);
	assert_non_null(strstr(buf, "\"department\":\"教育委員会事務局学校教育課\""));
	assert_non_null(strstr(buf, "\"importance\":2"));
	assert_non_null(strstr(buf, "\"prev_hash\":\"0000000000000000"));
	free(buf);
}

/* A value with a comma (and nothing else that needs quoting) comes back
 * whole through export and import: its row's columns do not shift. */
static void test_export_comma(void **state)
{
	struct fx *f = *state;
	struct ledger_export_opts eo = { .format = LEDGER_EXPORT_CSV };
	struct ledger_import_opts io = { .actor = NULL };
	struct ledger_import_report rep = {};
	struct ledger_asset a = {};
	struct ledger *l2 = NULL;
	_cleanup_free_ char *buf = NULL, *db2 = NULL;
	size_t len = 0;

	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, "C-1"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_SERIAL, "SN-C1"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_LOCATION, "本庁舎, 3F"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_NOTES, "a,b,c"), 0);
	add_asset(f->l, &a);
	buf = export_mem(f->l, &eo, &len);
	assert_true(asprintf(&db2, "%s/again.db", f->dir) > 0);
	assert_int_equal(ledger_open(db2, LEDGER_OPEN_CREATE, &l2), 0);
	assert_int_equal(ledger_set_signer(l2, f->signer), 0);
	assert_int_equal(ledger_import_csv_data(l2, buf, len, &io, &rep), 0);
	assert_int_equal(ledger_asset_get(l2, "C-1", &a), 0);
	assert_string_equal(a.v[LEDGER_F_LOCATION], "本庁舎, 3F");
	assert_string_equal(a.v[LEDGER_F_NOTES], "a,b,c");
	assert_string_equal(a.v[LEDGER_F_SERIAL], "SN-C1");
	ledger_asset_clear(&a);
	ledger_close(l2);
}

static uint64_t count_events(struct ledger *l)
{
	struct ledger_verify_result v;

	assert_int_equal(ledger_verify(l, NULL, &v), 0);
	return v.n_events;
}

static void bad(struct fx *f, const char *csv, int want_r, unsigned long want_line, const char *want_msg)
{
	struct ledger_import_opts o = { .actor = NULL };
	struct ledger_import_report rep = {};
	uint64_t before = count_events(f->l);

	assert_int_equal(ledger_import_csv_data(f->l, csv, strlen(csv), &o, &rep), want_r);
	if (rep.error_line != want_line || !strstr(rep.error, want_msg))
		fail_msg("want line %lu '%s', got line %lu '%s'", want_line, want_msg, rep.error_line, rep.error);
	assert_int_equal(count_events(f->l), before);
}

static void test_bad_rows(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a = {};

	bad(f, "資産番号,所管課,重要性分類\nA1,総務課,1\nA2,市民課\n", -EINVAL, 3, "2 fields, the header has 3");
	bad(f, "資産番号,所管課,重要性分類\nA1,総務課,1\nA2,市民課,1,x\n", -EINVAL, 3, "4 fields");
	bad(f, "資産番号,所管課,重要性分類\r\nA1,総務課,1\r\nA2,市民課,4\r\n", -EINVAL, 3, "importance class");
	bad(f, "資産番号,所管課,重要性分類\nA1,総務課,1\nA2,市民課,2\nA1,税務課,3\n", -EINVAL, 4,
	    "duplicate asset ID 'A1' (first on line 2)");
	bad(f, "asset_id,status\nA1,in-service\nA2,scrapped\n", -EINVAL, 3, "bad status");
	bad(f, "asset_id,colour\nA1,red\n", -EINVAL, 1, "unknown column 'colour'");
	bad(f, "department\n総務課\n", -EINVAL, 1, "no asset ID column");
	bad(f, "asset_id,department,部署\nA1,x,y\n", -EINVAL, 1, "given twice");
	/* a quoted newline moves the line count on */
	bad(f, "asset_id,notes,importance\nA1,\"two\nlines\",1\nA2,x,9\n", -EINVAL, 4, "importance");
	bad(f, "asset_id,notes\nA1,\"never closed\n", -EINVAL, 2, "not closed");
	bad(f, "asset_id,notes\n,empty id\n", -EINVAL, 2, "asset ID");
	bad(f, "", -EINVAL, 1, "empty file");
	bad(f, "asset_id,department,,\nA1,x,,\nA2,y,z,\n", -EINVAL, 3, "a value in column 3, which has no header");
	/* nothing from the bad files got in */
	assert_int_equal(ledger_asset_get(f->l, "A1", &a), -ENOENT);

	/* an asset already in the ledger stops the import unless --update */
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, "A1"), 0);
	assert_int_equal(ledger_asset_check_new(&a), 0);
	assert_int_equal(ledger_asset_add(f->l, &a, NULL, NULL, NULL), 0);
	ledger_asset_clear(&a);
	bad(f, "asset_id,department\nA0,x\nA1,y\n", -EEXIST, 3, "already in the ledger");
	assert_int_equal(ledger_asset_get(f->l, "A0", &a), -ENOENT);
}

struct rows {
	int n;
	char log[512];
};

static void row_cb(unsigned long line, const char *id, const char *action, const char *changes, void *u)
{
	struct rows *r = u;
	size_t n = strlen(r->log);

	r->n++;
	snprintf(r->log + n, sizeof(r->log) - n, "%lu %s %s %s\n", line, id, action, changes ? changes : "-");
}

/* What spreadsheets write: empty trailing columns, CRLF also inside cells. */
static void test_spreadsheet_quirks(void **state)
{
	struct fx *f = *state;
	struct ledger_import_opts o = { .actor = NULL };
	struct ledger_import_report rep = {};
	struct ledger_asset a = {};
	const char *csv = "資産番号,備考,,\r\nA1,\"1行目\r\n2行目\",,\r\n,,,\r\n";

	assert_int_equal(ledger_import_csv_data(f->l, csv, strlen(csv), &o, &rep), 0);
	assert_int_equal(rep.added, 1);
	assert_int_equal(ledger_asset_get(f->l, "A1", &a), 0);
	assert_string_equal(a.v[LEDGER_F_NOTES], "1行目\n2行目");
	ledger_asset_clear(&a);
}

static void test_update_and_dry_run(void **state)
{
	struct fx *f = *state;
	struct rows rows = {};
	struct ledger_import_opts o = { .actor = NULL, .row = row_cb, .userdata = &rows };
	struct ledger_import_report rep = {};
	struct ledger_asset a = {};
	const char *first = "asset_id,department,importance\nA1,総務課,1\nA2,市民課,2\n";
	const char *second = "asset_id,部署,status\nA1,総務課,\nA2,税務課,awaiting-erasure\nA3,会計課,\n";

	assert_int_equal(ledger_import_csv_data(f->l, first, strlen(first), &o, &rep), 0);
	assert_int_equal(rep.added, 2);

	/* dry run: the report says what would change, nothing is written */
	memset(&rows, 0, sizeof(rows));
	o.update = true;
	o.dry_run = true;
	assert_int_equal(ledger_import_csv_data(f->l, second, strlen(second), &o, &rep), 0);
	assert_int_equal(rep.added, 1);
	assert_int_equal(rep.updated, 1);
	assert_int_equal(rep.unchanged, 1);
	assert_string_equal(rows.log,
		"2 A1 unchanged -\n"
		"3 A2 update {\"department\":[\"市民課\",\"税務課\"],\"status\":[\"in-service\",\"awaiting-erasure\"]}\n"
		"4 A3 add {\"asset_id\":[null,\"A3\"],\"department\":[null,\"会計課\"],\"status\":[null,\"in-service\"]}\n");
	assert_int_equal(ledger_asset_get(f->l, "A3", &a), -ENOENT);
	assert_int_equal(count_events(f->l), 2);

	o.dry_run = false;
	assert_int_equal(ledger_import_csv_data(f->l, second, strlen(second), &o, &rep), 0);
	assert_int_equal(count_events(f->l), 4);
	assert_int_equal(ledger_asset_get(f->l, "A2", &a), 0);
	assert_string_equal(a.v[LEDGER_F_DEPARTMENT], "税務課");
	assert_string_equal(a.v[LEDGER_F_IMPORTANCE], "2"); /* not in the file: kept */
	ledger_asset_clear(&a);
}

/* Formula injection: cells a spreadsheet would run (= + - @ TAB CR first)
 * are exported with a guarding apostrophe, also in quoted cells and after
 * apostrophes the text had; importing the export gives every text back as
 * it was, a leading apostrophe of the text itself included. */
static void test_csv_formula_guard_round_trip(void **state)
{
	struct fx *f = *state;
	static const char *const notes[] = {
		"=HYPERLINK(\"http://evil.example/\",\"click\")", "+81-3-1234", "-5", "@SUM(A1)",
		"'=already guarded by hand", "''=two apostrophes", "'plain apostrophe", "it's fine",
		"=1+2, with a comma", "a\tb", "plain",
	};
	struct ledger_export_opts eo = { .format = LEDGER_EXPORT_CSV };
	struct ledger_import_opts io = { .update = true };
	struct ledger_import_report rep = {};
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	for (size_t i = 0; i < ARRAY_SIZE(notes); i++) {
		struct ledger_asset a = {};
		char id[16];

		snprintf(id, sizeof(id), "F-%02zu", i);
		assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, id), 0);
		assert_int_equal(ledger_asset_set(&a, LEDGER_F_NOTES, notes[i]), 0);
		assert_int_equal(ledger_asset_set(&a, LEDGER_F_LOCATION, i == 0 ? "-B1 倉庫" : "本庁舎"), 0);
		add_asset(f->l, &a);
	}
	buf = export_mem(f->l, &eo, &len);
	/* no cell of the file starts a formula: after each separator, the
	 * first character of a cell (inside its quotes) is never = + - @ TAB */
	for (const char *p = buf; *p; p++) {
		const char *c = p;

		if (p != buf && p[-1] != ',' && p[-1] != '\n')
			continue;
		if (*c == '"')
			c++;
		if (*c && strchr("=+-@\t", *c))
			fail_msg("a cell starts with '%c': %.40s", *c, p);
	}
	assert_non_null(strstr(buf, "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\""));
	assert_non_null(strstr(buf, ",'+81-3-1234,"));
	assert_non_null(strstr(buf, ",''=already guarded by hand,"));
	assert_non_null(strstr(buf, ",'''=two apostrophes,"));
	assert_non_null(strstr(buf, ",'plain apostrophe,"));
	assert_non_null(strstr(buf, ",'-B1 倉庫,"));

	/* import the export over the same assets: nothing differs */
	assert_int_equal(ledger_import_csv_data(f->l, buf, len, &io, &rep), 0);
	assert_int_equal(rep.rows, ARRAY_SIZE(notes));
	assert_int_equal(rep.unchanged, ARRAY_SIZE(notes));
	assert_int_equal(rep.updated, 0);
	for (size_t i = 0; i < ARRAY_SIZE(notes); i++) {
		struct ledger_asset a = {};
		char id[16];

		snprintf(id, sizeof(id), "F-%02zu", i);
		assert_int_equal(ledger_asset_get(f->l, id, &a), 0);
		assert_string_equal(a.v[LEDGER_F_NOTES], notes[i]);
		ledger_asset_clear(&a);
	}
}

/* An import that lowers a class: a request, the class kept. */
static void test_import_requests(void **state)
{
	struct fx *f = *state;
	struct rows rows = {};
	struct ledger_import_opts o = { .update = true, .row = row_cb, .userdata = &rows };
	struct ledger_import_report rep = {};
	struct ledger_asset a = {};
	const char *first = "asset_id,importance\nA1,1\nA2,2\n";
	const char *second = "asset_id,importance\nA1,3\nA2,1\n";

	assert_int_equal(ledger_import_csv_data(f->l, first, strlen(first), &o, &rep), 0);
	memset(&rows, 0, sizeof(rows));
	assert_int_equal(ledger_import_csv_data(f->l, second, strlen(second), &o, &rep), 0);
	assert_int_equal(rep.requested, 1);
	assert_int_equal(rep.updated, 1);
	assert_string_equal(rows.log, "2 A1 request {\"importance\":[\"1\",\"3\"]}\n"
				      "3 A2 update {\"importance\":[\"2\",\"1\"]}\n");
	assert_int_equal(ledger_asset_get(f->l, "A1", &a), 0);
	assert_string_equal(a.v[LEDGER_F_IMPORTANCE], "1");
	ledger_asset_clear(&a);
}

/* ---- a real municipal register: its own headers, CP932, CRLF ---- */

static void column_seen(size_t col, const char *header, const char *target, const char *how, void *userdata)
{
	char *buf = userdata;
	size_t n = strlen(buf);

	snprintf(buf + n, 4096 - n, "%zu:%s=%s(%s);", col + 1, header, target, how);
}

static void expect_field(struct ledger *l, const char *id, enum ledger_field f, const char *want)
{
	struct ledger_asset a = {};

	assert_int_equal(ledger_asset_get(l, id, &a), 0);
	if (want)
		assert_string_equal(ledger_asset_value(&a, f), want);
	else
		assert_null(ledger_asset_value(&a, f));
	ledger_asset_clear(&a);
}

/* Unmapped columns stop the import with the line that maps them; with the
 * register's map (a file) every column lands where it says; full-width
 * digits and serials, 和暦 dates, a quoted CRLF, 機密性 held to a class. */
static void test_municipal_register(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *csv = test_fixture("ledger/municipal-cp932.csv");
	_cleanup_free_ char *mapfile = test_fixture("ledger/municipal.map");
	_cleanup_free_ char *err = NULL;
	struct ledger_csv_map *m = NULL;
	struct ledger_import_opts o = { .reason = "register" };
	struct ledger_import_report rep = {};
	char seen[4096] = "";

	assert_int_equal(ledger_import_csv(f->l, csv, &o, &rep), -EINVAL);
	assert_int_equal(rep.error_line, 1);
	assert_string_equal(rep.error, "unknown column '資産の種類': map it in a --map file ([csv] 資産の種類 = FIELD, "
				       "資産の種類 = ignore or 資産の種類 = extra), or keep every unknown column as an "
				       "attribute with --keep-unknown");

	assert_int_equal(ledger_csv_map_new(&m), 0);
	/* the built-in policy's classification: 機密性3 is class 1 */
	assert_int_equal(ledger_csv_map_class(m, 3, 1), 0);
	assert_int_equal(ledger_csv_map_class(m, 2, 2), 0);
	assert_int_equal(ledger_csv_map_class(m, 1, 3), 0);
	assert_int_equal(ledger_csv_map_load(m, mapfile, false, &err), 0);
	o.map = m;
	o.column = column_seen;
	o.userdata = seen;
	rep = (struct ledger_import_report) {};
	assert_int_equal(ledger_import_csv(f->l, csv, &o, &rep), 0);
	assert_int_equal(rep.encoding, LEDGER_ENC_CP932);
	assert_int_equal(rep.added, 3);
	assert_string_equal(seen, "1:管理番号=asset_id(header);2:資産名称=asset_name(header);3:資産の種類=media_type(map);"
			    "4:所有者/管理者=manager(header);5:保存場所=location(header);6:機密性=confidentiality(header);"
			    "7:完全性=integrity(header);8:可用性=availability(header);9:製造番号=serial(header);"
			    "10:型番=model(header);11:容量=capacity(header);12:取得日=acquired(header);"
			    "13:リース満了日=lease_end(header);14:保存期限=retention(header);15:部署コード=ignored(map);"
			    "16:購入価格=extra(map);17:備考=notes(header);");
	expect_field(f->l, "JK-001", LEDGER_F_NAME, "住基サーバ HDD");
	expect_field(f->l, "JK-001", LEDGER_F_MEDIA_TYPE, "hdd");
	expect_field(f->l, "JK-001", LEDGER_F_MANAGER, "総務課長 山田");
	expect_field(f->l, "JK-001", LEDGER_F_SERIAL, "WD-WCC6Y0RL1234");
	expect_field(f->l, "JK-001", LEDGER_F_CAPACITY, "1000000000000");
	expect_field(f->l, "JK-001", LEDGER_F_CONFIDENTIALITY, "3");
	expect_field(f->l, "JK-001", LEDGER_F_INTEGRITY, "2");
	expect_field(f->l, "JK-001", LEDGER_F_IMPORTANCE, "1");
	expect_field(f->l, "JK-001", LEDGER_F_ACQUIRED, "2020-04-01");
	expect_field(f->l, "JK-001", LEDGER_F_LEASE_END, "2025-03-31");
	expect_field(f->l, "JK-001", LEDGER_F_RETENTION, "2032-03-31");
	expect_field(f->l, "JK-001", LEDGER_F_NOTES, "1行目\n2行目");
	expect_field(f->l, "JK-001", LEDGER_F_EXTRA, "{\"購入価格\":\"120,000\"}");
	expect_field(f->l, "JK-002", LEDGER_F_MEDIA_TYPE, "ssd");
	expect_field(f->l, "JK-002", LEDGER_F_IMPORTANCE, "2");
	expect_field(f->l, "JK-002", LEDGER_F_ACQUIRED, "2018-10-01");
	expect_field(f->l, "JK-002", LEDGER_F_RETENTION, "2030-03-31");
	expect_field(f->l, "JK-002", LEDGER_F_EXTRA, NULL);
	expect_field(f->l, "JK-003", LEDGER_F_MEDIA_TYPE, "usb");
	expect_field(f->l, "JK-003", LEDGER_F_CAPACITY, "16000000000");
	expect_field(f->l, "JK-003", LEDGER_F_IMPORTANCE, "3");
	expect_field(f->l, "JK-003", LEDGER_F_ACQUIRED, "2021-04-01");
	ledger_csv_map_free(m);
}

/* --keep-unknown: every column nobody mapped is an attribute by its name;
 * a class less strict than its 機密性's is refused; a map line naming no
 * field is refused with its line. */
static void test_keep_unknown_and_class(void **state)
{
	struct fx *f = *state;
	struct ledger_csv_map *m = NULL;
	struct ledger_import_opts o = { .keep_unknown = true };
	struct ledger_import_report rep = {};
	_cleanup_free_ char *err = NULL, *dir = test_mkdtemp(), *bad = NULL;
	const char *csv = "asset_id,機密性,重要性分類,色,棚\r\nK-1,3,,赤,A-3\r\nK-2,2,2,,\r\n";
	const char *conflict = "asset_id,機密性,重要性分類\r\nK-3,3,2\r\n";

	assert_int_equal(ledger_csv_map_new(&m), 0);
	assert_int_equal(ledger_csv_map_class(m, 3, 1), 0);
	assert_int_equal(ledger_csv_map_class(m, 2, 2), 0);
	o.map = m;
	assert_int_equal(ledger_import_csv_data(f->l, csv, strlen(csv), &o, &rep), 0);
	expect_field(f->l, "K-1", LEDGER_F_EXTRA, "{\"棚\":\"A-3\",\"色\":\"赤\"}");
	expect_field(f->l, "K-1", LEDGER_F_IMPORTANCE, "1");
	expect_field(f->l, "K-2", LEDGER_F_EXTRA, NULL);
	rep = (struct ledger_import_report) {};
	assert_int_equal(ledger_import_csv_data(f->l, conflict, strlen(conflict), &o, &rep), -EINVAL);
	assert_int_equal(rep.error_line, 2);
	assert_non_null(strstr(rep.error, "機密性 (confidentiality) 3 is held to importance class 1 by the policy, but its class is 2"));
	expect_field(f->l, "K-1", LEDGER_F_STATUS, "in-service");
	bad = test_write_file(dir, "bad.map", "[csv]\n色 = colour\n", 18);
	assert_int_equal(ledger_csv_map_load(m, bad, false, &err), -EINVAL);
	assert_non_null(strstr(err, "bad.map:2: 'colour' is no field of the ledger"));
	ledger_csv_map_free(m);
	test_rmtree(dir);
}

/* A status the lifecycle refuses stops the import, the line named. */
static void test_import_lifecycle(void **state)
{
	struct fx *f = *state;
	struct ledger_import_opts o = { .update = true };
	struct ledger_import_report rep = {};
	const char *a = "asset_id,status\nL-1,awaiting-erasure\n";
	const char *b = "asset_id,status\nL-1,erased\n";
	const char *c = "asset_id,status,事案番号,脅威レベル\nL-1,紛失,INC-9,３\n";

	assert_int_equal(ledger_import_csv_data(f->l, a, strlen(a), &o, &rep), 0);
	assert_int_equal(ledger_import_csv_data(f->l, b, strlen(b), &o, &rep), -EINVAL);
	assert_non_null(strstr(rep.error, "awaiting-erasure -> erased is made by sealing a verified wipe"));
	expect_field(f->l, "L-1", LEDGER_F_STATUS, "awaiting-erasure");
	assert_int_equal(ledger_import_csv_data(f->l, c, strlen(c), &o, &rep), 0);
	expect_field(f->l, "L-1", LEDGER_F_STATUS, "lost");
	expect_field(f->l, "L-1", LEDGER_F_THREAT, "3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8_bom_english, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cp932_auto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cp932_forced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cp932_as_utf8_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_comma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spreadsheet_quirks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_and_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_formula_guard_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_municipal_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_unknown_and_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_lifecycle, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
