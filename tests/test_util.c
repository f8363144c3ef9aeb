/* test_util.c - the shared helpers: number and time parsing, atomic writes. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "wipecert/util.h"

static void test_parse_u64(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(parse_u64("123", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_u64("0x10", &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(parse_u64("-1", &v), -EINVAL);
	assert_int_equal(parse_u64("12a", &v), -EINVAL);
	assert_int_equal(parse_u64("", &v), -EINVAL);
	assert_int_equal(parse_u64("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(v, 16); /* untouched on failure */
}

static void test_parse_size(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_size("4M", &v), 0);
	assert_int_equal(v, 4u << 20);
	assert_int_equal(parse_size("1GB", &v), 0);
	assert_int_equal(v, 1000000000ull);
	assert_int_equal(parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(parse_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(parse_size("3X", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999T", &v), -ERANGE);
}

static void test_time(void **state)
{
	char buf[32];
	time_t t;

	(void)state;
	assert_int_equal(format_utc(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	assert_int_equal(parse_time("2026-11-23T17:49:00+09:00", &t), 0);
	assert_int_equal(format_utc(t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-23T08:49:00Z");
	assert_int_equal(parse_time("2026-11-23", &t), 0);
	assert_int_equal(format_utc(t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-23T00:00:00Z");
	assert_int_equal(parse_time("2026-11-23T17:49:00", &t), -EINVAL);
	assert_int_equal(parse_time("yesterday", &t), -EINVAL);
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	assert_int_equal(format_local(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T09:00:00+09:00");
}

/* trust init --years 10 is ten calendar years, not 10 x 366 days */
static void test_add_years_is_calendar_years(void **state)
{
	char buf[32];
	time_t t;

	(void)state;
	assert_int_equal(parse_time("2026-12-01T04:05:35Z", &t), 0);
	format_utc(time_add_years(t, 10), buf, sizeof(buf));
	assert_string_equal(buf, "2036-12-01T04:05:35Z");
	format_utc(time_add_years(t, 3), buf, sizeof(buf));
	assert_string_equal(buf, "2029-12-01T04:05:35Z");
	assert_int_equal(parse_time("2028-02-29", &t), 0);
	format_utc(time_add_years(t, 1), buf, sizeof(buf));
	assert_string_equal(buf, "2029-03-01T00:00:00Z");
}

static void test_hex(void **state)
{
	const uint8_t in[] = { 0x00, 0xab, 0xff };
	uint8_t out[3];
	char s[7];

	(void)state;
	hex_encode(in, 3, s);
	assert_string_equal(s, "00abff");
	assert_int_equal(hex_decode("00ABff", out, 3), 0);
	assert_memory_equal(in, out, 3);
	assert_int_equal(hex_decode("00abf", out, 3), -EINVAL);
	assert_int_equal(hex_decode("00abfg", out, 3), -EINVAL);
}

static void test_write_atomic(void **state)
{
	char *dir = test_mkdtemp(), *p, *data;
	struct stat st;
	size_t len;

	(void)state;
	assert_true(asprintf(&p, "%s/key", dir) > 0);
	assert_int_equal(write_file_atomic(p, "secret", 6, 0600, true), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* exclusive never overwrites */
	assert_int_equal(write_file_atomic(p, "other", 5, 0600, true), -EEXIST);
	assert_int_equal(read_full_file(p, (uint8_t **)&data, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(data, "secret", 6);
	free(data);
	assert_int_equal(write_file_atomic(p, "new", 3, 0644, false), 0);
	assert_int_equal(read_text_file(p, &data), 3);
	assert_string_equal(data, "new");
	free(data);
	free(p);
	test_rmtree(dir);
	free(dir);
}

static char *cell(const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	csv_put_cell(m, text);
	fclose(m);
	return buf;
}

/* OWASP's rule: a guarding apostrophe before = + - @ TAB CR, also after
 * apostrophes; RFC 4180 quotes outside it; csv_unguard() undoes exactly it. */
static void test_csv_cell(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "plain", "plain" }, { "=1+2", "'=1+2" }, { "+1", "'+1" }, { "-1", "'-1" }, { "@x", "'@x" },
		{ "\tx", "\"'\tx\"" }, { "\rx", "\"'\rx\"" }, { "'=x", "''=x" }, { "'x", "'x" },
		{ "a=b", "a=b" }, { "=a,b", "\"'=a,b\"" }, { "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ " lead", "\" lead\"" }, { "", "" }, { "ー長音", "ー長音" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char *c = cell(t[i].in);

		assert_string_equal(c, t[i].out);
		free(c);
	}
	assert_string_equal(csv_unguard("'=1+2"), "=1+2");
	assert_string_equal(csv_unguard("''=x"), "'=x");
	assert_string_equal(csv_unguard("'x"), "'x");
	assert_string_equal(csv_unguard("'"), "'");
	assert_string_equal(csv_unguard("=x"), "=x");
}

/* 和暦 and Western dates as spreadsheets hold them; days that do not exist
 * and days outside their era refused. */
static void test_date_ja(void **state)
{
	static const char *const ok[][2] = {
		{ "2024-04-01", "2024-04-01" }, { "2024/4/1", "2024-04-01" }, { "2024.04.01", "2024-04-01" },
		{ "2024年4月1日", "2024-04-01" }, { "令和6年4月1日", "2024-04-01" }, { "令和元年5月1日", "2019-05-01" },
		{ "R6.4.1", "2024-04-01" }, { "r06/04/01", "2024-04-01" }, { "H31.4.30", "2019-04-30" },
		{ "平成31年4月30日", "2019-04-30" }, { "平成元年1月8日", "1989-01-08" }, { "昭和64年1月7日", "1989-01-07" },
		{ "令和６年４月１日", "2024-04-01" }, { " ２０２４／４／１ ", "2024-04-01" }, { "2024-02-29", "2024-02-29" },
	};
	static const char *const bad[] = {
		"2023-02-29", "2024-04-31", "2024-13-01", "24/4/1", "令和6年4月", "2024-04-01x", "", "令和0年5月1日",
		"2024-04-01T00:00:00Z",
	};
	static const char *const out_of_era[] = { "令和1年4月1日", "平成31年5月1日", "平成1年1月7日", "昭和64年1月8日" };
	char d[11];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		if (parse_date_ja(ok[i][0], d) != 0)
			fail_msg("'%s' refused", ok[i][0]);
		assert_string_equal(d, ok[i][1]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_date_ja(bad[i], d) != -EINVAL)
			fail_msg("'%s' accepted as %s", bad[i], d);
	for (size_t i = 0; i < ARRAY_SIZE(out_of_era); i++)
		if (parse_date_ja(out_of_era[i], d) != -ERANGE)
			fail_msg("'%s' not refused as outside its era", out_of_era[i]);
}

/* Capacities as spreadsheets type them. */
static void test_size_loose(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "500GB", 500000000000ULL }, { "５００ＧＢ", 500000000000ULL }, { "500 GB", 500000000000ULL },
		{ "1,000,204,886,016", 1000204886016ULL }, { "１，０００，２０４，８８６，０１６", 1000204886016ULL },
		{ "1.5TB", 1500000000000ULL }, { "1T", 1099511627776ULL }, { "512 bytes", 512 }, { "512B", 512 },
		{ "2048バイト", 2048 }, { "0", 0 },
	};
	static const char *const bad[] = { "", "GB", "1,0", "1.5", "5 apples", "1.0000000000001TB", "-1", "1,,000" };
	uint64_t v;
	char buf[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		if (parse_size_loose(ok[i].s, &v) != 0)
			fail_msg("'%s' refused", ok[i].s);
		assert_int_equal(v, ok[i].v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_size_loose(bad[i], &v) >= 0)
			fail_msg("'%s' accepted as %llu", bad[i], (unsigned long long)v);
	snprintf(buf, sizeof(buf), "ＳＮ－１２３\xe3\x80\x80ａｂ");
	fullwidth_to_ascii(buf);
	assert_string_equal(buf, "SN-123 ab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_add_years_is_calendar_years),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_csv_cell),
		cmocka_unit_test(test_date_ja),
		cmocka_unit_test(test_size_loose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
