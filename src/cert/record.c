/* record.c - the certificate record and its canonical JSON (see cert.h).
 * Never prints; rejects any record that would not round-trip exactly. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/util.h"

enum ftype { F_STR, F_U64, F_UINT };

/* Where a field may appear: a single certificate (schema /1 and /2, or /2
 * only), the list certificate's own part, a list item (one disk). */
enum {
	ONE = 1 << 0,
	TWO = 1 << 1,
	HEAD = 1 << 2,
	ITEM = 1 << 3,
};

/* required: always, or only when its group is there */
enum { OPT, REQ, REQ_IN_GROUP };

struct field {
	const char *group;  /* NULL: top level */
	const char *key;
	size_t off;
	enum ftype type;
	unsigned required;
	unsigned scope;
};

#define S(g, k, m, req, sc) { g, k, offsetof(struct cert_record, m), F_STR, req, sc }
#define N(g, k, m, req, sc) { g, k, offsetof(struct cert_record, m), F_U64, req, sc }
#define P(g, m, req, sc) \
	S(g, "name", m.name, req, sc), S(g, "role", m.role, req, sc), \
	S(g, "organisation", m.organisation, OPT, sc), S(g, "date", m.date, OPT, sc), \
	S(g, "key_id", m.key_id, OPT, sc)
#define DISK (ONE | ITEM)
#define CERT (ONE | HEAD)

/* The schema: one line a field. Groups are nested objects. */
static const struct field fields[] = {
	S(NULL, "type", type, REQ, CERT),
	S(NULL, "schema", schema, REQ, CERT),
	S(NULL, "certificate_id", certificate_id, REQ, CERT),
	S(NULL, "issued_at", issued_at, REQ, CERT),
	S(NULL, "result", result, REQ, DISK),
	S(NULL, "destination", destination, OPT, CERT),
	S("organisation", "name", organisation, REQ, CERT),
	S("organisation", "unit", organisation_unit, OPT, CERT),
	S("organisation", "key_id", organisation_key_id, OPT, TWO | HEAD),
	S("media", "manufacturer", manufacturer, OPT, DISK),
	S("media", "model", model, REQ, DISK),
	S("media", "serial", serial, REQ, DISK),
	S("media", "serial_attested_by", serial_attested_by, OPT, DISK),
	S("media", "wwn", wwn, OPT, DISK),
	S("media", "firmware", firmware, OPT, DISK),
	S("media", "type", media_type, REQ, DISK),
	S("media", "interface", interface, OPT, DISK),
	N("media", "capacity_bytes", capacity_bytes, OPT, DISK),
	S("asset", "id", asset_id, REQ, DISK),
	{ "asset", "importance_class", offsetof(struct cert_record, importance_class), F_UINT, REQ, DISK },
	S("asset", "owner_department", owner_department, OPT, DISK),
	S("asset", "location", location, OPT, DISK),
	S("asset", "lease", lease, OPT, TWO | ITEM),
	S("sanitization", "type", sanitization_type, REQ, DISK),
	S("sanitization", "method", method, REQ, DISK),
	S("sanitization", "details", method_details, OPT, DISK),
	S("sanitization", "tool", tool, REQ, DISK),
	S("sanitization", "tool_version", tool_version, REQ, DISK),
	S("sanitization", "started_at", started_at, REQ, DISK),
	S("sanitization", "ended_at", ended_at, REQ, DISK),
	N("sanitization", "duration_s", duration_s, OPT, DISK),
	S("sanitization", "drive_sanitize_status", drive_sanitize_status, OPT, DISK),
	S("verification", "method", verification_method, REQ, DISK),
	S("verification", "result", verification_result, REQ, DISK),
	N("verification", "bytes", verified_bytes, OPT, DISK),
	P("performer", performer, REQ, DISK),
	P("approver", approver, REQ, CERT),
	S("wipe_record", "sha256", wipe_record_sha256, OPT, DISK),
	S("wipe_record", "signature_sha256", wipe_record_sig_sha256, OPT, DISK),
	S("ledger", "entry", ledger_entry, OPT, DISK),
	S("ledger", "event_hash", ledger_event_hash, OPT, DISK),
	S("station", "hostname", station_hostname, OPT, DISK),
	S("station", "vendor", station_vendor, OPT, DISK),
	S("station", "product", station_product, OPT, DISK),
	S("station", "serial", station_serial, OPT, DISK),
	S("station", "asset_tag", station_asset_tag, OPT, DISK),
	S("client", "name", client, REQ_IN_GROUP, TWO | HEAD),
	S("client", "unit", client_unit, OPT, TWO | HEAD),
	S("client", "key_id", client_key_id, OPT, TWO | HEAD),
	S("work_site", "address", site_address, REQ_IN_GROUP, TWO | HEAD),
	S("work_site", "room", site_room, OPT, TWO | HEAD),
	S(NULL, "approval_reference", approval_ref, OPT, TWO | HEAD),
	S("document", "number", document_number, OPT, TWO | HEAD),
	S("document", "layout", layout, OPT, TWO | HEAD),
	S("custody", "handover_id", handover_id, REQ_IN_GROUP, TWO | HEAD),
	S("custody", "handover_sha256", handover_sha256, REQ_IN_GROUP, TWO | HEAD),
	S("custody", "receipt_sha256", receipt_sha256, OPT, TWO | HEAD),
	P("witness", witness, REQ_IN_GROUP, TWO | ITEM),
	S("witness", "statement_sha256", witness_sha256, REQ_IN_GROUP, TWO | ITEM),
	S("witness", "signature_sha256", witness_sig_sha256, REQ_IN_GROUP, TWO | ITEM),
};

/* Groups and the array members that the table does not cover. */
static const char *const groups[] = {
	"organisation", "media", "asset", "sanitization", "verification", "performer", "approver",
	"wipe_record", "ledger", "station", "client", "work_site", "document", "custody", "witness",
};

static char **str_at(const struct cert_record *r, const struct field *f)
{
	return (char **)((char *)r + f->off);
}

bool cert_record_is_list(const struct cert_record *r)
{
	return r && r->schema && streq(r->schema, CERT_LIST_SCHEMA);
}

size_t cert_record_n_disks(const struct cert_record *r)
{
	return cert_record_is_list(r) ? r->n_items : 1;
}

const struct cert_record *cert_record_disk(const struct cert_record *r, size_t i)
{
	return cert_record_is_list(r) ? &r->items[i] : r;
}

/* The fields a record holds: by its schema; an item has none. */
static unsigned scope_of(const struct cert_record *r)
{
	if (!r->schema)
		return ITEM;
	if (streq(r->schema, CERT_LIST_SCHEMA))
		return HEAD;
	if (streq(r->schema, CERT_SCHEMA_V1))
		return ONE;
	return ONE | TWO;
}

void cert_record_release(struct cert_record *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (fields[i].type == F_STR)
			free(*str_at(r, &fields[i]));
	for (size_t i = 0; i < r->n_passes; i++) {
		free(r->passes[i].pattern);
		free(r->passes[i].result);
	}
	free(r->passes);
	for (size_t i = 0; i < r->n_errors; i++)
		free(r->errors[i].error);
	free(r->errors);
	json_decref(r->drive);
	for (size_t i = 0; i < r->n_items; i++)
		cert_record_release(&r->items[i]);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

void cert_record_free(struct cert_record *r)
{
	cert_record_release(r);
	free(r);
}

static bool valid_utf8_text(const char *s)
{
	/* jansson already guarantees UTF-8; refuse control characters, which
	 * would not show on the certificate */
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (streq(s, *set))
			return true;
	return false;
}

static bool known_key(const char *group, const char *key, unsigned scope)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		if (!(fields[i].scope & scope) || (group == NULL) != (fields[i].group == NULL))
			continue;
		if (group && !streq(group, fields[i].group))
			continue;
		if (streq(key, fields[i].key))
			return true;
	}
	if (!group) {
		for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
			if ((fields[i].scope & scope) && fields[i].group && streq(key, fields[i].group))
				return true;
		return (streq(key, "drive") && (scope & ONE)) || (streq(key, "items") && (scope & HEAD));
	}
	if (streq(group, "sanitization"))
		return (scope & DISK) && (streq(key, "passes") || streq(key, "error_ranges"));
	return false;
}

static int get_u64(const json_t *v, uint64_t *ret)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

#define FAIL(msg) do { if (ret_err) *ret_err = (msg); r = -EINVAL; goto out; } while (0)

static int parse_passes(struct cert_record *rec, const json_t *a, const char **ret_err)
{
	size_t i;
	const json_t *p;
	int r = 0;

	if (!json_is_array(a))
		FAIL("sanitization.passes: not an array");
	rec->passes = calloc(json_array_size(a) + 1, sizeof(*rec->passes));
	if (!rec->passes)
		return -ENOMEM;
	json_array_foreach(a, i, p) {
		struct cert_pass *cp = &rec->passes[rec->n_passes];
		const json_t *n = json_object_get(p, "number"), *pat = json_object_get(p, "pattern"),
			     *res = json_object_get(p, "result"), *b = json_object_get(p, "bytes"),
			     *ver = json_object_get(p, "verified");
		uint64_t num;

		if (!json_is_object(p) || json_object_size(p) != 5 || !json_is_string(pat) ||
		    !json_is_string(res) || !json_is_boolean(ver) || get_u64(n, &num) < 0 ||
		    num == 0 || num > 1000 || get_u64(b, &cp->bytes) < 0)
			FAIL("sanitization.passes: each pass needs number, pattern, result, bytes, verified");
		if (!streq(json_string_value(res), "ok") && !streq(json_string_value(res), "failed"))
			FAIL("sanitization.passes: result must be \"ok\" or \"failed\"");
		cp->number = (unsigned)num;
		cp->verified = json_is_true(ver);
		cp->pattern = strdup(json_string_value(pat));
		cp->result = strdup(json_string_value(res));
		rec->n_passes++;
		if (!cp->pattern || !cp->result)
			return -ENOMEM;
	}
out:
	return r;
}

static int parse_errors(struct cert_record *rec, const json_t *a, const char **ret_err)
{
	size_t i;
	const json_t *e;
	int r = 0;

	if (!json_is_array(a))
		FAIL("sanitization.error_ranges: not an array");
	rec->errors = calloc(json_array_size(a) + 1, sizeof(*rec->errors));
	if (!rec->errors)
		return -ENOMEM;
	json_array_foreach(a, i, e) {
		struct cert_error_range *ce = &rec->errors[rec->n_errors];
		const json_t *msg = json_object_get(e, "error");

		if (!json_is_object(e) || json_object_size(e) != 3 || !json_is_string(msg) ||
		    get_u64(json_object_get(e, "offset"), &ce->offset) < 0 ||
		    get_u64(json_object_get(e, "length"), &ce->length) < 0)
			FAIL("sanitization.error_ranges: each range needs offset, length, error");
		ce->error = strdup(json_string_value(msg));
		rec->n_errors++;
		if (!ce->error)
			return -ENOMEM;
	}
out:
	return r;
}

/* Every key of j (and of its groups) is one this scope knows. */
static int check_keys(const json_t *j, unsigned scope, const char **ret_err)
{
	const char *key;
	const json_t *v;
	int r = 0;

	json_object_foreach((json_t *)j, key, v) {
		if (!known_key(NULL, key, scope))
			FAIL(scope == ITEM ? "record: unknown field in an item" : "record: unknown top-level field");
	}
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		const char *k2;
		const json_t *v2, *grp = json_object_get(j, groups[g]);

		if (!grp)
			continue;
		if (!json_is_object(grp))
			FAIL("record: a group is not an object");
		json_object_foreach((json_t *)grp, k2, v2)
			if (!known_key(groups[g], k2, scope))
				FAIL("record: unknown field in a group");
	}
out:
	return r;
}

/* The table's fields of this scope, from j into rec. */
static int parse_fields(const json_t *j, unsigned scope, struct cert_record *rec, const char **ret_err)
{
	static __thread char msg[128];
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct field *f = &fields[i];
		const json_t *src = f->group ? json_object_get(j, f->group) : j;
		const json_t *fv = src ? json_object_get(src, f->key) : NULL;
		uint64_t u;

		if (!(f->scope & scope))
			continue;
		if (!fv) {
			if (f->required == REQ || (f->required == REQ_IN_GROUP && src)) {
				snprintf(msg, sizeof(msg), "record: required field %s%s%s missing%s",
					 f->group ? f->group : "", f->group ? "." : "", f->key, scope == ITEM ? " in an item" : "");
				FAIL(msg);
			}
			continue;
		}
		switch (f->type) {
		case F_STR:
			if (!json_is_string(fv) || !*json_string_value(fv) ||
			    !valid_utf8_text(json_string_value(fv)) ||
			    !canon_text_ok(json_string_value(fv), json_string_length(fv))) {
				snprintf(msg, sizeof(msg), "record: field %s%s%s must be a non-empty NFC string",
					 f->group ? f->group : "", f->group ? "." : "", f->key);
				FAIL(msg);
			}
			*str_at(rec, f) = strdup(json_string_value(fv));
			if (!*str_at(rec, f))
				return -ENOMEM;
			break;
		case F_U64:
			if (get_u64(fv, &u) < 0)
				FAIL("record: a number field is not a non-negative integer");
			*(uint64_t *)((char *)rec + f->off) = u;
			break;
		case F_UINT:
			if (get_u64(fv, &u) < 0 || u < 1 || u > 3)
				FAIL("record: asset.importance_class must be 1, 2 or 3");
			*(unsigned *)((char *)rec + f->off) = (unsigned)u;
			break;
		}
	}
out:
	return r;
}

/* What a disk's part states (a single certificate, or a list's item). */
static int parse_disk(const json_t *j, struct cert_record *rec, const char **ret_err)
{
	static const char *const types[] = { "clear", "purge", "destroy", "none", NULL };
	static const char *const results[] = { "erased_and_verified", "verified_only", "failed", NULL };
	static const char *const vresults[] = { "pass", "fail", NULL };
	const json_t *san = json_object_get(j, "sanitization"), *v;
	int r = 0;

	if (!one_of(rec->sanitization_type, types))
		FAIL("record: sanitization.type must be clear, purge, destroy or none");
	if (!one_of(rec->result, results))
		FAIL("record: result must be erased_and_verified, verified_only or failed");
	if (!one_of(rec->verification_result, vresults))
		FAIL("record: verification.result must be pass or fail");
	if (streq(rec->result, "erased_and_verified") && !streq(rec->verification_result, "pass"))
		FAIL("record: result erased_and_verified needs verification.result pass");
	/* "none": a verify-only job sanitised nothing, so it erased nothing */
	if (streq(rec->sanitization_type, "none") && streq(rec->result, "erased_and_verified"))
		FAIL("record: sanitization.type none cannot have result erased_and_verified");
	if (streq(rec->result, "verified_only") &&
	    (!streq(rec->verification_result, "pass") || !streq(rec->sanitization_type, "none")))
		FAIL("record: result verified_only needs sanitization.type none and verification.result pass");
	v = json_object_get(san, "passes");
	if (v && (r = parse_passes(rec, v, ret_err)) < 0)
		goto out;
	v = json_object_get(san, "error_ranges");
	if (v && (r = parse_errors(rec, v, ret_err)) < 0)
		goto out;
out:
	return r;
}

static int parse_items(const json_t *a, struct cert_record *rec, const char **ret_err)
{
	const json_t *it;
	size_t i;
	int r = 0;

	if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > CERT_LIST_MAX_ITEMS)
		FAIL("record: items must list 1 to 9999 disks");
	rec->items = calloc(json_array_size(a), sizeof(*rec->items));
	if (!rec->items)
		return -ENOMEM;
	json_array_foreach(a, i, it) {
		struct cert_record *item = &rec->items[rec->n_items++];

		if (!json_is_object(it))
			FAIL("record: an item is not an object");
		r = check_keys(it, ITEM, ret_err);
		if (r >= 0)
			r = parse_fields(it, ITEM, item, ret_err);
		if (r >= 0)
			r = parse_disk(it, item, ret_err);
		if (r < 0)
			goto out;
	}
out:
	return r;
}

int cert_record_from_json(const json_t *j, struct cert_record **ret, const char **ret_err)
{
	static const char *const layouts[] = { "standard", "municipal", NULL };
	struct cert_record *rec = NULL;
	const char *schema;
	const json_t *v;
	unsigned scope;
	int r = 0;

	if (!json_is_object(j))
		FAIL("record: not a JSON object");
	schema = json_string_value(json_object_get(j, "schema"));
	if (!schema)
		FAIL("record: required field schema missing");
	if (streq(schema, CERT_SCHEMA_V1))
		scope = ONE;
	else if (streq(schema, CERT_SCHEMA))
		scope = ONE | TWO;
	else if (streq(schema, CERT_LIST_SCHEMA))
		scope = HEAD;
	else
		FAIL("record: unknown schema (expected " CERT_SCHEMA ", " CERT_SCHEMA_V1 " or " CERT_LIST_SCHEMA ")");
	r = check_keys(j, scope, ret_err);
	if (r < 0)
		goto out;
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	r = parse_fields(j, scope, rec, ret_err);
	if (r < 0)
		goto out;
	if (!streq(rec->type, CERT_DOC_TYPE))
		FAIL("record: type must be \"" CERT_DOC_TYPE "\"");
	if (rec->layout && !one_of(rec->layout, layouts))
		FAIL("record: document.layout must be standard or municipal");
	if (scope == HEAD)
		r = parse_items(json_object_get(j, "items"), rec, ret_err);
	else
		r = parse_disk(j, rec, ret_err);
	if (r < 0)
		goto out;
	v = json_object_get(j, "drive");
	if (v) {
		if (!json_is_object(v))
			FAIL("record: drive must be an object");
		rec->drive = json_deep_copy(v);
		if (!rec->drive) {
			r = -ENOMEM;
			goto out;
		}
	}
	*ret = TAKE_PTR(rec);
out:
	cert_record_free(rec);
	return r;
}

int cert_record_parse(const char *text, size_t len, struct cert_record **ret, const char **ret_err)
{
	json_error_t jerr;
	json_t *j;
	int r;

	/* JSON_REJECT_DUPLICATES: two values for one key must never pass */
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		if (ret_err)
			*ret_err = "record: not valid JSON";
		return -EINVAL;
	}
	r = cert_record_from_json(j, ret, ret_err);
	json_decref(j);
	return r;
}

static json_t *group_of(json_t *root, const char *name)
{
	json_t *g = json_object_get(root, name);

	if (!g) {
		g = json_object();
		if (!g || json_object_set_new(root, name, g) < 0)
			return NULL;
	}
	return g;
}

static int disk_arrays_to_json(const struct cert_record *rec, json_t *j)
{
	json_t *san = group_of(j, "sanitization");

	if (!san)
		return -ENOMEM;
	if (rec->n_passes) {
		json_t *a = json_array();

		if (!a || json_object_set_new(san, "passes", a) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < rec->n_passes; i++) {
			const struct cert_pass *p = &rec->passes[i];

			if (json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:I,s:b}",
					"number", (json_int_t)p->number, "pattern", p->pattern,
					"result", p->result, "bytes", (json_int_t)p->bytes,
					"verified", p->verified)) < 0)
				return -ENOMEM;
		}
	}
	if (rec->n_errors) {
		json_t *a = json_array();

		if (!a || json_object_set_new(san, "error_ranges", a) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < rec->n_errors; i++) {
			const struct cert_error_range *e = &rec->errors[i];

			if (json_array_append_new(a, json_pack("{s:I,s:I,s:s}",
					"offset", (json_int_t)e->offset, "length", (json_int_t)e->length,
					"error", e->error)) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int cert_record_to_json(const struct cert_record *rec, json_t **ret)
{
	json_t *j = json_object();
	unsigned scope = scope_of(rec);

	if (!j)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct field *f = &fields[i];
		json_t *dst, *v = NULL;

		if (!(f->scope & scope))
			continue;
		dst = f->group ? group_of(j, f->group) : j;
		if (!dst)
			goto oom;
		switch (f->type) {
		case F_STR:
			if (*str_at(rec, f))
				v = json_string(*str_at(rec, f));
			else
				continue;
			break;
		case F_U64:
			v = json_integer((json_int_t)*(const uint64_t *)((const char *)rec + f->off));
			break;
		case F_UINT:
			v = json_integer(*(const unsigned *)((const char *)rec + f->off));
			break;
		}
		if (!v || json_object_set_new(dst, f->key, v) < 0)
			goto oom;
	}
	if ((scope & DISK) && disk_arrays_to_json(rec, j) < 0)
		goto oom;
	if (scope & HEAD) {
		json_t *a = json_array();

		if (!a || json_object_set_new(j, "items", a) < 0)
			goto oom;
		for (size_t i = 0; i < rec->n_items; i++) {
			json_t *it = NULL;

			if (cert_record_to_json(&rec->items[i], &it) < 0 || json_array_append_new(a, it) < 0)
				goto oom;
		}
	}
	/* drop groups that stayed empty (all optional members absent) */
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		json_t *grp = json_object_get(j, groups[g]);

		if (grp && json_object_size(grp) == 0)
			json_object_del(j, groups[g]);
	}
	if ((scope & ONE) && rec->drive && json_object_set(j, "drive", rec->drive) < 0)
		goto oom;
	*ret = j;
	return 0;
oom:
	json_decref(j);
	return -ENOMEM;
}

int cert_record_canonical(const struct cert_record *rec, char **ret, size_t *ret_len)
{
	json_t *j;
	int r;

	r = cert_record_to_json(rec, &j);
	if (r < 0)
		return r;
	/* trust's canonical form: sorted keys, compact, UTF-8 in NFC */
	r = canon_json(j, ret, ret_len);
	json_decref(j);
	return r;
}

int cert_record_hash(const struct cert_record *rec, char ret[65])
{
	_cleanup_free_ char *c = NULL;
	unsigned char md[32];
	unsigned mdlen = 0;
	size_t len;
	int r;

	r = cert_record_canonical(rec, &c, &len);
	if (r < 0)
		return r;
	if (!EVP_Digest(c, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	hex_encode(md, 32, ret);
	return 0;
}

int cert_station_probe(struct cert_record *rec, const char *dmi_dir)
{
	static const struct { const char *attr; size_t off; } dmi[] = {
		{ "sys_vendor", offsetof(struct cert_record, station_vendor) },
		{ "product_name", offsetof(struct cert_record, station_product) },
		{ "product_serial", offsetof(struct cert_record, station_serial) },
		{ "chassis_asset_tag", offsetof(struct cert_record, station_asset_tag) },
	};
	char host[256];

	if (!dmi_dir)
		dmi_dir = "/sys/class/dmi/id";
	for (size_t i = 0; i < ARRAY_SIZE(dmi); i++) {
		char **dst = (char **)((char *)rec + dmi[i].off);
		char *v = NULL;

		/* product_serial is root-only; absent or empty attributes are skipped */
		if (read_text_at(dmi_dir, dmi[i].attr, &v) <= 0 || !valid_utf8_text(v)) {
			free(v);
			continue;
		}
		free(*dst);
		*dst = v;
	}
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		free(rec->station_hostname);
		rec->station_hostname = strdup(host);
		if (!rec->station_hostname)
			return -ENOMEM;
	}
	return 0;
}

int cert_japanese_era_date(const char *iso, char *buf, size_t len)
{
	unsigned y, m, d;
	int n, ey;
	const char *era;

	if (!iso || sscanf(iso, "%4u-%2u-%2u%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    m < 1 || m > 12 || d < 1 || d > 31 || y < 1989)
		return -EINVAL;
	if (y > 2019 || (y == 2019 && m >= 5)) {
		era = "令和";
		ey = (int)y - 2018;
	} else if (y > 1989 || (y == 1989 && (m > 1 || d >= 8))) {
		era = "平成";
		ey = (int)y - 1988;
	} else
		return -EINVAL;
	if (ey == 1)
		n = snprintf(buf, len, "%s元年%u月%u日", era, m, d);
	else
		n = snprintf(buf, len, "%s%d年%u月%u日", era, ey, m, d);
	return n < 0 || (size_t)n >= len ? -ENOBUFS : 0;
}
