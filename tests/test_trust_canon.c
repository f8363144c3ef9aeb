/* test_trust_canon.c - canonical JSON: the bytes that get signed. */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "wipecert/canon.h"

static void check(const char *json_in, const char *want)
{
	json_error_t e;
	json_t *v = json_loads(json_in, JSON_DECODE_ANY, &e);
	char *out = NULL;
	size_t len = 0;

	assert_non_null(v);
	assert_int_equal(canon_json(v, &out, &len), 0);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
	json_decref(v);
}

static void test_sorted_compact(void **state)
{
	(void)state;
	check("{ \"b\" : 1, \"a\" : [ true, false, null ], \"A\": {\"z\":-0,\"y\":\"\"} }",
	      "{\"A\":{\"y\":\"\",\"z\":0},\"a\":[true,false,null],\"b\":1}");
	/* byte order, not locale order: "é" (c3 a9) sorts after "z" */
	check("{\"\xc3\xa9\":1,\"z\":2,\"aa\":3,\"a\":4}",
	      "{\"a\":4,\"aa\":3,\"z\":2,\"\xc3\xa9\":1}");
	check("[]", "[]");
	check("{}", "{}");
	check("-9223372036854775808", "-9223372036854775808");
}

static void test_escapes(void **state)
{
	(void)state;
	check("\"a\\\"b\\\\c\\/d\\n\\t\\u0001\\u001f\\u007f\"",
	      "\"a\\\"b\\\\c/d\\n\\t\\u0001\\u001f\x7f\"");
	/* non-ASCII as UTF-8 bytes, never \u escapes */
	check("\"\\u5ec3\\u68c4\"", "\"\xe5\xbb\x83\xe6\xa3\x84\"");
}

static void test_nfc(void **state)
{
	json_t *v;
	char *out = NULL;

	(void)state;
	/* か + combining voiced mark U+3099 -> が (U+304C) */
	check("\"\xe3\x81\x8b\xe3\x82\x99\"", "\"\xe3\x81\x8c\"");
	/* e + U+0301 in a key -> é */
	check("{\"e\xcc\x81\":1}", "{\"\xc3\xa9\":1}");
	assert_true(canon_text_ok("\xe3\x81\x8c", 3));
	assert_false(canon_text_ok("\xe3\x81\x8b\xe3\x82\x99", 6));
	assert_false(canon_text_ok("\xc0\xaf", 2));        /* overlong */
	assert_false(canon_text_ok("\xed\xa0\x80", 3));    /* surrogate */
	assert_false(canon_text_ok("a\0b", 3));
	/* keys that collide after NFC */
	v = json_pack("{s:i,s:i}", "\xc3\xa9", 1, "e\xcc\x81", 2);
	assert_int_equal(canon_json(v, &out, NULL), -EINVAL);
	assert_null(out);
	json_decref(v);
	/* a string with an invalid byte (bypassing jansson's check) */
	v = json_stringn_nocheck("a\xff", 2);
	assert_int_equal(canon_json(v, &out, NULL), -EILSEQ);
	json_decref(v);
	v = json_stringn("a\0b", 3);
	assert_int_equal(canon_json(v, &out, NULL), -EILSEQ);
	json_decref(v);
}

static void test_reals_refused(void **state)
{
	json_t *v = json_pack("{s:f}", "x", 1.5);
	char *out = NULL;

	(void)state;
	assert_int_equal(canon_json(v, &out, NULL), -EDOM);
	assert_null(out);
	json_decref(v);
}

static void test_parse(void **state)
{
	json_t *v = NULL;
	const char *good = "{\"a\":[1,2],\"type\":\"approval\"}";

	(void)state;
	assert_int_equal(canon_parse(good, strlen(good), &v), 0);
	assert_non_null(v);
	json_decref(v);
	v = NULL;
	assert_int_equal(canon_parse("{\"b\":1,\"a\":2}", 13, &v), -EBADMSG);
	assert_int_equal(canon_parse("{\"a\": 2}", 8, &v), -EBADMSG);
	assert_int_equal(canon_parse("{\"a\":2}\n", 8, &v), -EBADMSG);
	assert_int_equal(canon_parse("{\"a\":2.0}", 9, &v), -EBADMSG);
	assert_int_equal(canon_parse("{\"a\":1,\"a\":1}", 13, &v), -EINVAL);
	assert_int_equal(canon_parse("{\"a\"", 4, &v), -EINVAL);
	assert_null(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_compact),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_nfc),
		cmocka_unit_test(test_reals_refused),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
