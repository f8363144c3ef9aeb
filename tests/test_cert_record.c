/* test_cert_record.c - the certificate record: parse, validate, canonical
 * JSON round trip, hash, era dates, station identity from a DMI tree. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/util.h"

static struct cert_record *load_fixture(void)
{
	_cleanup_free_ char *p = test_fixture("cert-record.json");
	_cleanup_free_ uint8_t *buf = NULL;
	struct cert_record *r = NULL;
	const char *err = NULL;
	size_t len;

	assert_int_equal(read_full_file(p, &buf, &len), 0);
	assert_int_equal(cert_record_parse((char *)buf, len, &r, &err), 0);
	return r;
}

static void test_parse_and_roundtrip(void **state)
{
	struct cert_record *r = load_fixture(), *r2 = NULL;
	_cleanup_free_ char *c1 = NULL, *c2 = NULL;
	char h1[65], h2[65];
	size_t l1, l2;

	(void)state;
	assert_string_equal(r->serial, "ZN1ABC23");
	assert_int_equal(r->importance_class, 2);
	assert_int_equal(r->n_passes, 2);
	assert_true(r->passes[1].verified);
	assert_string_equal(r->approver.key_id, "c41e07b2d9a6f315");
	assert_int_equal(cert_record_canonical(r, &c1, &l1), 0);
	/* canonical: compact, sorted keys, UTF-8 kept as is */
	assert_null(strchr(c1, '\n'));
	assert_non_null(strstr(c1, "{\"approver\":{\"date\":"));
	assert_non_null(strstr(c1, "横浜市"));
	assert_int_equal(cert_record_parse(c1, l1, &r2, NULL), 0);
	assert_int_equal(cert_record_canonical(r2, &c2, &l2), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(c1, c2, l1);
	assert_int_equal(cert_record_hash(r, h1), 0);
	assert_int_equal(cert_record_hash(r2, h2), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), 64);
	free(r2->serial);
	r2->serial = strdup("ZN1ABC24");
	assert_int_equal(cert_record_hash(r2, h2), 0);
	assert_string_not_equal(h1, h2);
	cert_record_free(r);
	cert_record_free(r2);
}

static void expect_bad(const char *json, const char *needle)
{
	struct cert_record *r = NULL;
	const char *err = NULL;

	assert_int_equal(cert_record_parse(json, strlen(json), &r, &err), -EINVAL);
	assert_null(r);
	assert_non_null(err);
	if (needle && !strstr(err, needle))
		fail_msg("error '%s' does not name '%s'", err, needle);
}

static void test_rejects(void **state)
{
	struct cert_record *r = load_fixture();
	_cleanup_free_ char *c = NULL;
	json_t *j;
	size_t len;

	(void)state;
	expect_bad("", "JSON");
	expect_bad("[]", "object");
	expect_bad("{\"type\":\"certificate\",\"schema\":\"wipecert.cert/1\"}", "certificate_id");
	expect_bad("{\"a\":1,\"a\":2}", "JSON");
	/* each mutation of a valid record is rejected */
	assert_int_equal(cert_record_to_json(r, &j), 0);
	json_object_set_new(j, "extra", json_true());
	assert_int_equal(canon_json(j, &c, &len), 0);
	expect_bad(c, "unknown");
	free(c);
	json_object_del(j, "extra");
	json_object_set_new(j, "schema", json_string("wipecert.cert/9"));
	assert_int_equal(canon_json(j, &c, &len), 0);
	expect_bad(c, "schema");
	free(c);
	json_object_set_new(j, "schema", json_string(CERT_SCHEMA));
	json_object_set_new(j, "type", json_string("wipe-record"));
	assert_int_equal(canon_json(j, &c, &len), 0);
	expect_bad(c, "type");
	free(c);
	json_object_set_new(j, "type", json_string(CERT_DOC_TYPE));
	/* decomposed kana: not NFC, so not canonical */
	json_object_set_new(json_object_get(j, "asset"), "location", json_string("\xe3\x81\x8b\xe3\x82\x99"));
	c = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	expect_bad(c, "NFC");
	free(c);
	json_object_set_new(json_object_get(j, "asset"), "location", json_string("\xe3\x81\x8c"));
	json_object_set_new(json_object_get(j, "sanitization"), "type", json_string("shred"));
	assert_int_equal(canon_json(j, &c, &len), 0);
	expect_bad(c, "sanitization.type");
	free(c);
	json_object_set_new(json_object_get(j, "sanitization"), "type", json_string("purge"));
	json_object_set_new(json_object_get(j, "asset"), "importance_class", json_integer(4));
	assert_int_equal(canon_json(j, &c, &len), 0);
	expect_bad(c, "importance_class");
	free(c);
	json_object_set_new(json_object_get(j, "asset"), "importance_class", json_integer(1));
	json_object_set_new(json_object_get(j, "verification"), "result", json_string("fail"));
	assert_int_equal(canon_json(j, &c, &len), 0);
	expect_bad(c, "verification");
	free(c);
	json_object_set_new(j, "result", json_string("failed"));
	assert_int_equal(canon_json(j, &c, &len), 0);
	cert_record_free(r);
	r = NULL;
	assert_int_equal(cert_record_parse(c, len, &r, NULL), 0);
	assert_string_equal(r->sanitization_type, "purge");
	json_decref(j);
	cert_record_free(r);
}

/* canonical text of j, parsed back: 0 or the parse error */
static int reparse(json_t *j, struct cert_record **ret, const char **err)
{
	_cleanup_free_ char *c = NULL;
	size_t len;

	assert_int_equal(canon_json(j, &c, &len), 0);
	return cert_record_parse(c, len, ret, err);
}

/* wipecert.cert/1 stays readable as it was; /2 adds the parties; a /1
 * record with a /2 field is refused (a schema says what it holds) */
static void test_schema_versions(void **state)
{
	struct cert_record *r = load_fixture(), *r2 = NULL;
	const char *err = NULL;
	json_t *j = NULL;

	(void)state;
	assert_string_equal(r->schema, CERT_SCHEMA_V1);
	assert_false(cert_record_is_list(r));
	assert_int_equal(cert_record_n_disks(r), 1);
	assert_ptr_equal(cert_record_disk(r, 0), r);
	assert_int_equal(cert_record_to_json(r, &j), 0);
	json_object_set_new(j, "client", json_pack("{s:s,s:s}", "name", "横浜市 総務局", "key_id", "0123456789ABCDEF"));
	assert_int_equal(reparse(j, &r2, &err), -EINVAL);
	assert_non_null(strstr(err, "unknown"));
	json_object_set_new(j, "schema", json_string(CERT_SCHEMA));
	json_object_set_new(j, "work_site", json_pack("{s:s,s:s}", "address", "本庁舎", "room", "301"));
	json_object_set_new(j, "approval_reference", json_string("総第123号"));
	json_object_set_new(j, "document", json_pack("{s:s,s:s}", "number", "総情第45号", "layout", "municipal"));
	json_object_set_new(json_object_get(j, "asset"), "lease", json_string("東京リース / TL-1"));
	json_object_set_new(j, "witness", json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", "立会 花子", "role", "立会者",
						    "date", "2026-11-24T09:00:00+09:00", "statement_sha256",
						    "aa", "signature_sha256", "bb"));
	assert_int_equal(reparse(j, &r2, &err), 0);
	assert_string_equal(r2->client, "横浜市 総務局");
	assert_string_equal(r2->site_room, "301");
	assert_string_equal(r2->layout, "municipal");
	assert_string_equal(r2->lease, "東京リース / TL-1");
	assert_string_equal(r2->witness.name, "立会 花子");
	cert_record_free(r2);
	r2 = NULL;
	/* a group's required member */
	json_object_del(json_object_get(j, "witness"), "statement_sha256");
	assert_int_equal(reparse(j, &r2, &err), -EINVAL);
	assert_non_null(strstr(err, "witness.statement_sha256"));
	json_object_set_new(json_object_get(j, "witness"), "statement_sha256", json_string("aa"));
	json_object_set_new(json_object_get(j, "document"), "layout", json_string("fancy"));
	assert_int_equal(reparse(j, &r2, &err), -EINVAL);
	assert_non_null(strstr(err, "layout"));
	json_decref(j);
	cert_record_free(r);
}

/* The list form: the certificate's own part, one item a disk; an item
 * holds a disk's fields only, the list none of them */
static void test_list_form(void **state)
{
	struct cert_record *r = load_fixture(), *l = NULL;
	const char *err = NULL;
	_cleanup_free_ char *c1 = NULL, *c2 = NULL;
	json_t *one = NULL, *list, *items, *it;
	size_t n1, n2;

	(void)state;
	assert_int_equal(cert_record_to_json(r, &one), 0);
	list = json_pack("{s:s,s:s,s:s,s:s,s:O,s:O}", "type", "certificate", "schema", CERT_LIST_SCHEMA, "certificate_id",
			 "WL-20261201-abc", "issued_at", "2026-12-01T00:00:00Z", "organisation",
			 json_object_get(one, "organisation"), "approver", json_object_get(one, "approver"));
	json_object_set_new(list, "client", json_pack("{s:s}", "name", "総務部"));
	items = json_array();
	for (int i = 0; i < 3; i++) {
		char id[16];

		it = json_deep_copy(one);
		for (const char *k = "type\0schema\0certificate_id\0issued_at\0organisation\0approver\0destination\0drive\0";
		     *k; k += strlen(k) + 1)
			json_object_del(it, k);
		snprintf(id, sizeof(id), "A-%d", i);
		json_object_set_new(json_object_get(it, "asset"), "id", json_string(id));
		json_array_append_new(items, it);
	}
	json_object_set_new(list, "items", items);
	assert_int_equal(reparse(list, &l, &err), 0);
	assert_true(cert_record_is_list(l));
	assert_int_equal(cert_record_n_disks(l), 3);
	assert_string_equal(cert_record_disk(l, 2)->asset_id, "A-2");
	assert_string_equal(cert_record_disk(l, 1)->serial, "ZN1ABC23");
	assert_null(l->serial);
	assert_null(cert_record_disk(l, 0)->certificate_id);
	/* round trip */
	assert_int_equal(cert_record_canonical(l, &c1, &n1), 0);
	cert_record_free(l);
	l = NULL;
	assert_int_equal(cert_record_parse(c1, n1, &l, NULL), 0);
	assert_int_equal(cert_record_canonical(l, &c2, &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(c1, c2, n1);
	cert_record_free(l);
	l = NULL;
	/* a disk's field at the list's level, a list's in an item, no items */
	json_object_set_new(list, "media", json_pack("{s:s}", "serial", "X"));
	assert_int_equal(reparse(list, &l, &err), -EINVAL);
	json_object_del(list, "media");
	json_object_set_new(json_array_get(items, 1), "certificate_id", json_string("WC-1"));
	assert_int_equal(reparse(list, &l, &err), -EINVAL);
	assert_non_null(strstr(err, "item"));
	json_object_del(json_array_get(items, 1), "certificate_id");
	json_object_del(json_array_get(items, 1), "result");
	assert_int_equal(reparse(list, &l, &err), -EINVAL);
	assert_non_null(strstr(err, "result"));
	json_object_set_new(list, "items", json_array());
	assert_int_equal(reparse(list, &l, &err), -EINVAL);
	assert_non_null(strstr(err, "items"));
	assert_null(l);
	json_decref(list);
	json_decref(one);
	cert_record_free(r);
}

static void test_era(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(cert_japanese_era_date("2026-11-23T17:49:00+09:00", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "令和8年11月23日");
	assert_int_equal(cert_japanese_era_date("2019-05-01", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "令和元年5月1日");
	assert_int_equal(cert_japanese_era_date("2019-04-30", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "平成31年4月30日");
	assert_int_equal(cert_japanese_era_date("1989-01-08", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "平成元年1月8日");
	assert_int_equal(cert_japanese_era_date("1989-01-07", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cert_japanese_era_date("2026-13-01", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cert_japanese_era_date("garbage", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cert_japanese_era_date("2026-11-23", buf, 8), -ENOBUFS);
}

static void test_station(void **state)
{
	_cleanup_free_ char *d = test_mkdtemp();
	struct cert_record r = { 0 };

	(void)state;
	free(test_write_file(d, "sys_vendor", "LENOVO\n", 7));
	free(test_write_file(d, "product_name", "ThinkCentre M720q\n", 18));
	free(test_write_file(d, "chassis_asset_tag", "\n", 1));
	assert_int_equal(cert_station_probe(&r, d), 0);
	assert_string_equal(r.station_vendor, "LENOVO");
	assert_string_equal(r.station_product, "ThinkCentre M720q");
	assert_null(r.station_serial);     /* absent */
	assert_null(r.station_asset_tag);  /* empty */
	assert_non_null(r.station_hostname);
	cert_record_release(&r);
	test_rmtree(d);
}

static json_t *load_json(const char *name)
{
	_cleanup_free_ char *p = test_fixture(name);
	json_error_t e;
	json_t *j = json_load_file(p, 0, &e);

	assert_non_null(j);
	return j;
}

static void test_smart(void **state)
{
	json_t *s = NULL, *j;
	_cleanup_free_ char *c = NULL, *d = test_mkdtemp(), *fake = NULL, *fx = test_fixture("cert-smartctl-ata.json");
	char script[512];
	size_t len;

	(void)state;
	j = load_json("cert-smartctl-ata.json");
	assert_int_equal(cert_smart_summary(j, &s), 0);
	assert_int_equal(canon_json(s, &c, &len), 0);
	assert_string_equal(c, "{\"health\":\"PASSED\",\"offline_uncorrectable\":0,\"pending_sectors\":0,"
			    "\"power_cycles\":1432,\"power_on_hours\":18234,\"reallocated_sectors\":8,"
			    "\"smartctl_version\":\"7.3\",\"temperature_c\":31}");
	json_decref(s);
	json_decref(j);
	free(c);
	c = NULL;
	j = load_json("cert-smartctl-nvme.json");
	assert_int_equal(cert_smart_summary(j, &s), 0);
	assert_string_equal(json_string_value(json_object_get(s, "health")), "FAILED");
	assert_int_equal(json_integer_value(json_object_get(s, "media_errors")), 3);
	assert_int_equal(json_integer_value(json_object_get(s, "percentage_used")), 7);
	assert_int_equal(json_integer_value(json_object_get(s, "power_on_hours")), 4377);
	assert_null(json_object_get(s, "reallocated_sectors"));
	json_decref(s);
	json_decref(j);
	j = load_json("cert-smartctl-nodata.json");
	assert_int_equal(cert_smart_summary(j, &s), -ENODATA);
	json_decref(j);
	j = json_pack("{s:i}", "x", 1);
	assert_int_equal(cert_smart_summary(j, &s), -EINVAL);
	json_decref(j);

	/* collect: a stand-in smartctl that checks it was asked to read only */
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n[ \"$1 $2 $3 $4\" = \"--json -a -- /dev/sdz\" ] || exit 9\ncat '%s'\nexit 4\n", fx);
	fake = test_write_file(d, "smartctl", script, strlen(script));
	assert_int_equal(chmod(fake, 0755), 0);
	s = NULL;
	assert_int_equal(cert_smart_collect(fake, "/dev/sdz", &s), 0);
	assert_int_equal(json_integer_value(json_object_get(s, "power_on_hours")), 18234);
	json_decref(s);
	assert_int_equal(cert_smart_collect(fake, "/dev/other", &s), -ENODATA);
	assert_int_equal(cert_smart_collect("/nonexistent/smartctl", "/dev/sdz", &s), -ENOENT);
	test_rmtree(d);
}

/* What a wipe record establishes: "erased_and_verified" only when the job
 * succeeded, every pass is done without errors, it was read back, every
 * read-back passed and no error range is listed; anything less is failed. */
static const char *derived_result(const char *edit_key, json_t *edit_value)
{
	_cleanup_free_ char *p = test_fixture("evidence/wipe-record.json");
	_cleanup_free_ uint8_t *buf = NULL;
	static char result[32];
	json_t *w = NULL, *e = NULL, *pass;
	size_t len;

	assert_int_equal(read_full_file(p, &buf, &len), 0);
	assert_int_equal(canon_parse((char *)buf, len, &w), 0);
	pass = json_array_get(json_object_get(json_object_get(w, "job"), "passes"), 0);
	if (edit_key && strncmp(edit_key, "pass.", 5) == 0)
		json_object_set(pass, edit_key + 5, edit_value);
	else if (edit_key)
		json_object_set(json_object_get(w, "job"), edit_key, edit_value);
	assert_int_equal(cert_evidence_derive(w, &e, NULL), 0);
	snprintf(result, sizeof(result), "%s", json_string_value(json_object_get(e, "result")));
	json_decref(w);
	json_decref(e);
	json_decref(edit_value);
	return result;
}

static void test_evidence_outcomes(void **state)
{
	(void)state;
	assert_string_equal(derived_result(NULL, NULL), "erased_and_verified");
	assert_string_equal(derived_result("state", json_string("failed")), "failed");
	assert_string_equal(derived_result("verify", json_string("off")), "failed");
	assert_string_equal(derived_result("pass.verification", json_string("failed")), "failed");
	assert_string_equal(derived_result("pass.verification", json_string("none")), "failed");
	assert_string_equal(derived_result("pass.state", json_string("interrupted")), "failed");
	assert_string_equal(derived_result("pass.errors", json_pack("{s:i,s:i,s:[{s:i,s:i}]}", "count", 1, "bytes", 512,
								    "ranges", "offset", 0, "length", 512)), "failed");
	/* a range listed, though nothing else says so */
	assert_string_equal(derived_result("pass.mismatches", json_pack("{s:i,s:i,s:[{s:i,s:i}]}", "count", 0, "bytes", 0,
									"ranges", "offset", 4096, "length", 512)), "failed");
	/* a verify-only job read the medium and wrote nothing: at best
	 * "verified only", never erased */
	assert_string_equal(derived_result("verify_only", json_true()), "verified_only");
	assert_string_equal(derived_result("verify_only", json_false()), "erased_and_verified");
	/* a pass that did not write the whole device erased nothing, whatever
	 * else the record says (a verify-only record with its flag dropped) */
	assert_string_equal(derived_result("pass.bytes_written", json_integer(0)), "failed");
	assert_string_equal(derived_result("pass.bytes_written", json_integer(512)), "failed");
}

/* The derived certificate of a verify-only record: type none, and the
 * record parser takes "verified_only" only with type none and a passed
 * read-back, and type none never with "erased_and_verified". */
static void test_evidence_verify_only(void **state)
{
	_cleanup_free_ char *p = test_fixture("evidence/wipe-record.json");
	_cleanup_free_ char *rp = test_fixture("cert-record.json");
	_cleanup_free_ uint8_t *buf = NULL;
	struct cert_record *rec = NULL;
	const char *err = NULL;
	json_t *w = NULL, *e = NULL, *r;
	size_t len;

	(void)state;
	assert_int_equal(read_full_file(p, &buf, &len), 0);
	assert_int_equal(canon_parse((char *)buf, len, &w), 0);
	json_object_set_new(json_object_get(w, "job"), "verify_only", json_true());
	assert_int_equal(cert_evidence_derive(w, &e, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(e, "result")), "verified_only");
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "sanitization"), "type")), "none");
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "verification"), "result")), "pass");
	json_decref(e);
	json_decref(w);

	r = json_load_file(rp, 0, NULL);
	assert_non_null(r);
	json_object_set_new(r, "result", json_string("verified_only"));
	json_object_set_new(json_object_get(r, "sanitization"), "type", json_string("none"));
	assert_int_equal(cert_record_from_json(r, &rec, &err), 0);
	cert_record_free(rec);
	rec = NULL;
	json_object_set_new(json_object_get(r, "sanitization"), "type", json_string("clear"));
	assert_int_equal(cert_record_from_json(r, &rec, &err), -EINVAL);
	assert_non_null(strstr(err, "verified_only needs sanitization.type none"));
	json_object_set_new(r, "result", json_string("erased_and_verified"));
	json_object_set_new(json_object_get(r, "sanitization"), "type", json_string("none"));
	assert_int_equal(cert_record_from_json(r, &rec, &err), -EINVAL);
	assert_non_null(strstr(err, "type none cannot have result erased_and_verified"));
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_roundtrip),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_schema_versions),
		cmocka_unit_test(test_list_form),
		cmocka_unit_test(test_era),
		cmocka_unit_test(test_station),
		cmocka_unit_test(test_smart),
		cmocka_unit_test(test_evidence_outcomes),
		cmocka_unit_test(test_evidence_verify_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
