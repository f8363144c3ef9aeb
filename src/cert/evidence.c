/* evidence.c - what the technician's signed record establishes about a
 * disposal, and whether a certificate states exactly that.
 *
 * Its job: one derivation, used twice. The issuing path builds a
 * certificate's evidence-backed fields from the wipe (or destruction)
 * record with cert_evidence_derive(); `verify` derives them again from the
 * record attached to the PDF and cert_evidence_compare() requires the
 * certificate to say the same. So a certificate can only state what a
 * technician signed. It must never print, and never derive an outcome of
 * success from a record that does not show one.
 */
#include <errno.h>
#include <string.h>

#include "wipecert/cert.h"
#include "wipecert/util.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_int_t jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The importance class of the asset in a wipe record: 1-3, 0 if none. */
static json_int_t asset_class(const json_t *asset)
{
	json_t *v = json_object_get(asset, "importance");
	uint64_t n = 0;

	if (json_is_integer(v))
		return json_integer_value(v) >= 1 && json_integer_value(v) <= 3 ? json_integer_value(v) : 0;
	if (json_is_string(v) && parse_u64(json_string_value(v), &n) == 0 && n >= 1 && n <= 3)
		return (json_int_t)n;
	return 0;
}

/* The asset's capacity as the ledger wrote it into the record. */
static json_int_t asset_capacity(const json_t *asset)
{
	json_t *cap = json_object_get(asset, "capacity");
	uint64_t n = 0;

	if (json_is_integer(cap) && json_integer_value(cap) > 0)
		return json_integer_value(cap);
	if (json_is_string(cap) && parse_u64(json_string_value(cap), &n) == 0 && n <= INT64_MAX)
		return (json_int_t)n;
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The performer: the technician the record names (its signer is compared
 * with this key by the caller, from the signature). */
static json_t *performer(const json_t *rec)
{
	const json_t *t = json_object_get(rec, "technician");

	return json_pack("{s:s,s:o,s:o}", "name", jstr(t, "name") ?: "-", "key_id",
			 str_or_null(jstr(t, "key_id")), "date", str_or_null(jstr(rec, "sealed_at")));
}

static json_t *asset_part(const json_t *asset)
{
	return json_pack("{s:s,s:I}", "id", jstr(asset, "asset_id") ?: "-", "importance_class", asset_class(asset));
}

/* Passes and error ranges of a job, and what they add up to. */
struct outcome {
	json_t *passes, *errors;
	json_int_t verified_bytes;
	bool all_passes_ok, any_verified, verify_failed;
	/* every pass wrote at least the whole device (a verify-only pass
	 * writes nothing: it cannot have erased) */
	bool all_written;
};

static int job_outcome(const json_t *job, struct outcome *o)
{
	json_int_t size = jint(json_object_get(job, "device"), "size");
	json_t *p;
	size_t i;

	o->passes = json_array();
	o->errors = json_array();
	o->all_passes_ok = true;
	o->all_written = json_array_size(json_object_get(job, "passes")) > 0 && size > 0;
	if (!o->passes || !o->errors)
		return -ENOMEM;
	json_array_foreach(json_object_get(job, "passes"), i, p) {
		const char *v = jstr(p, "verification");
		bool ok = streq(jstr(p, "state") ?: "", "done") &&
			  jint(json_object_get(p, "errors"), "count") == 0;
		static const struct {
			const char *key, *what;
		} ranges[] = { { "errors", "I/O error" }, { "mismatches", "read-back mismatch" } };

		if (v && streq(v, "failed"))
			ok = false, o->verify_failed = true;
		if (v && streq(v, "passed"))
			o->any_verified = true;
		if (!ok)
			o->all_passes_ok = false;
		if (jint(p, "bytes_written") < size)
			o->all_written = false;
		o->verified_bytes += jint(p, "verified");
		if (json_array_append_new(o->passes, json_pack("{s:I,s:s,s:s,s:I,s:b}", "number", jint(p, "pass"),
				"pattern", jstr(p, "pattern") ?: "?", "result", ok ? "ok" : "failed",
				"bytes", jint(p, "bytes_written"), "verified", v && streq(v, "passed"))) < 0)
			return -ENOMEM;
		for (size_t k = 0; k < ARRAY_SIZE(ranges); k++) {
			json_t *r;
			size_t n;

			json_array_foreach(json_object_get(json_object_get(p, ranges[k].key), "ranges"), n, r)
				if (json_array_append_new(o->errors, json_pack("{s:I,s:I,s:s}", "offset", jint(r, "offset"),
						"length", jint(r, "length"), "error", ranges[k].what)) < 0)
					return -ENOMEM;
		}
	}
	return 0;
}

/* The model the certificate shows: an image file's "model" says only
 * that, the ledger knows better. */
static const char *media_model(const json_t *dev, const json_t *asset)
{
	if (jstr(dev, "transport") && streq(jstr(dev, "transport"), "file") && jstr(asset, "model"))
		return jstr(asset, "model");
	return jstr(dev, "model") ?: jstr(asset, "model") ?: "-";
}

/* A serial the operator read off the label (the job's device.attested)
 * for a medium that reports none: the certificate carries it, marked as
 * attested by that person, never as the drive's own. */
static const char *attested_by(const json_t *dev)
{
	const json_t *a = json_object_get(dev, "attested");

	return !jstr(dev, "serial") && jstr(a, "serial") ? jstr(a, "by") ?: "?" : NULL;
}

static int derive_wipe(const json_t *rec, json_t **ret, const char **ret_err)
{
	const json_t *job = json_object_get(rec, "job"), *dev = json_object_get(job, "device");
	const json_t *asset = json_object_get(rec, "asset"), *fw = json_object_get(job, "firmware");
	const char *verify = jstr(job, "verify"), *state = jstr(job, "state");
	struct outcome o = { 0 };
	bool verify_on = verify && !streq(verify, "off"), verify_ok, erased, checked;
	/* a verify-only job (verify-zero, verify-one) read the medium and wrote
	 * nothing: at best "verified only", never "erased" */
	bool verify_only = json_is_true(json_object_get(job, "verify_only"));
	time_t t0 = 0, t1 = 0;
	json_t *e;
	int r;

	if (!json_is_object(job) || !json_is_object(dev) || !jstr(job, "method") || !state) {
		*ret_err = "the wipe record holds no finished job (job.method, job.state, job.device)";
		return -EBADMSG;
	}
	r = job_outcome(job, &o);
	if (r < 0) {
		json_decref(o.passes);
		json_decref(o.errors);
		return r;
	}
	verify_ok = !o.verify_failed && (!verify_on || o.any_verified);
	/* success is what the record shows, all of it: the job succeeded,
	 * every pass is done without errors, it was read back and matched,
	 * and no byte range failed */
	checked = streq(state, "succeeded") && verify_on && verify_ok && o.all_passes_ok &&
		  json_array_size(o.errors) == 0;
	/* and erased only where every pass wrote the whole device */
	erased = checked && !verify_only && o.all_written;
	parse_time(jstr(job, "started") ?: "", &t0);
	parse_time(jstr(job, "ended") ?: "", &t1);
	e = json_pack("{s:s,s:o,s:{s:s,s:s,s:o,s:I},s:{s:s,s:s,s:o,s:o,s:I,s:o,s:o},s:{s:s,s:I},s:o}",
		"result", erased ? "erased_and_verified" : checked && verify_only ? "verified_only" : "failed",
		"asset", asset_part(asset),
		"media",
			"model", media_model(dev, asset),
			"serial", jstr(dev, "serial") ?: jstr(json_object_get(dev, "attested"), "serial") ?:
				  jstr(asset, "serial") ?: "-",
			"wwn", str_or_null(jstr(dev, "wwn") ?: jstr(asset, "wwn")),
			"capacity_bytes", jint(dev, "size"),
		"sanitization",
			"type", verify_only ? "none" : jstr(rec, "level") ?: "clear",
			"method", jstr(job, "method"),
			"started_at", str_or_null(jstr(job, "started")),
			"ended_at", str_or_null(jstr(job, "ended")),
			"duration_s", (json_int_t)(t1 > t0 ? t1 - t0 : 0),
			"passes", o.passes,
			"error_ranges", o.errors,
		"verification",
			"result", verify_ok && verify_on ? "pass" : "fail",
			"bytes", o.verified_bytes,
		"performer", performer(rec));
	if (!e)
		return -ENOMEM;
	/* null when the drive gave its serial: a certificate that claims an
	 * attestation the record does not hold differs too */
	json_object_set_new(json_object_get(e, "media"), "serial_attested_by", str_or_null(attested_by(dev)));
	if (fw) {
		const char *text = jstr(json_object_get(fw, "device_status"), "text");

		json_object_set_new(json_object_get(e, "sanitization"), "drive_sanitize_status",
				    json_string(text && *text ? text : jstr(fw, "result") ?: "-"));
	}
	*ret = e;
	return 0;
}

/* A witnessed physical destruction: what was recorded is all it states. */
static int derive_destruction(const json_t *rec, json_t **ret, const char **ret_err)
{
	const json_t *d = json_object_get(rec, "destruction"), *asset = json_object_get(rec, "asset");
	const char *when = jstr(d, "destroyed_at");
	json_t *e;

	if (!jstr(d, "method") || !jstr(d, "witness") || !when) {
		*ret_err = "the destruction record lacks its method, witness or time";
		return -EBADMSG;
	}
	e = json_pack("{s:s,s:o,s:{s:s,s:s,s:o,s:I},s:{s:s,s:s,s:s,s:s,s:I,s:[],s:[]},s:{s:s,s:I},s:o}",
		"result", "erased_and_verified",
		"asset", asset_part(asset),
		"media",
			"model", jstr(asset, "model") ?: "-",
			"serial", jstr(asset, "serial") ?: "-",
			"wwn", str_or_null(jstr(asset, "wwn")),
			"capacity_bytes", asset_capacity(asset),
		"sanitization",
			"type", "destroy",
			"method", jstr(d, "method"),
			"started_at", when,
			"ended_at", when,
			"duration_s", (json_int_t)0,
			"passes",
			"error_ranges",
		"verification",
			"result", "pass",
			"bytes", (json_int_t)0,
		"performer", performer(rec));
	if (!e)
		return -ENOMEM;
	*ret = e;
	return 0;
}

int cert_evidence_derive(const json_t *wipe_record, json_t **ret, const char **ret_err)
{
	const char *dummy;

	if (!ret_err)
		ret_err = &dummy;
	if (!json_is_object(wipe_record) || !streq(jstr(wipe_record, "type") ?: "", "wipe-record")) {
		*ret_err = "not a wipe record (type \"wipe-record\")";
		return -EBADMSG;
	}
	if (!jstr(json_object_get(wipe_record, "asset"), "asset_id")) {
		*ret_err = "the wipe record names no asset";
		return -EBADMSG;
	}
	if (json_is_object(json_object_get(wipe_record, "destruction")))
		return derive_destruction(wipe_record, ret, ret_err);
	return derive_wipe(wipe_record, ret, ret_err);
}

/* ---- comparison ---- */

static bool is_time_key(const char *key)
{
	return streq(key, "started_at") || streq(key, "ended_at") || streq(key, "date");
}

/* Empty: what a certificate may leave out for it (no WWN, no passes). */
static bool is_empty(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0);
}

static void show(const json_t *v, char *buf, size_t len)
{
	char *s;

	if (!v) {
		snprintf(buf, len, "nothing");
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
}

static int differ(const char *path, const json_t *want, const json_t *got, char *msg, size_t len)
{
	char w[96], g[96];

	show(want, w, sizeof(w));
	show(got, g, sizeof(g));
	snprintf(msg, len, "%s: the certificate says %s, the technician's record %s", path, g, w);
	return -EBADMSG;
}

static int compare(const char *path, const char *key, const json_t *want, const json_t *got, char *msg, size_t len)
{
	char sub[128];

	if (is_empty(want))
		return is_empty(got) ? 0 : differ(path, want, got, msg, len);
	if (json_is_object(want)) {
		const char *k;
		json_t *v;

		if (!json_is_object(got))
			return differ(path, want, got, msg, len);
		json_object_foreach((json_t *)want, k, v) {
			int r;

			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
			r = compare(sub, k, v, json_object_get(got, k), msg, len);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (json_is_array(want)) {
		size_t i;
		json_t *v;

		if (!json_is_array(got) || json_array_size(got) != json_array_size(want))
			return differ(path, want, got, msg, len);
		json_array_foreach((json_t *)want, i, v) {
			int r;

			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			r = compare(sub, key, v, json_array_get(got, i), msg, len);
			if (r < 0)
				return r;
		}
		return 0;
	}
	/* a time is an instant: the certificate shows it in local time */
	if (key && is_time_key(key) && json_is_string(want) && json_is_string(got)) {
		time_t a, b;

		if (parse_time(json_string_value(want), &a) == 0 && parse_time(json_string_value(got), &b) == 0 && a == b)
			return 0;
		return differ(path, want, got, msg, len);
	}
	return json_equal((json_t *)want, (json_t *)got) ? 0 : differ(path, want, got, msg, len);
}

int cert_evidence_compare(const json_t *evidence, const struct cert_record *r, char *msg, size_t len)
{
	json_t *cert = NULL;
	int k;

	k = cert_record_to_json(r, &cert);
	if (k < 0)
		return k;
	k = compare("", NULL, evidence, cert, msg, len);
	json_decref(cert);
	return k;
}
