/* approve.c - approve a sealed case and issue its certificate, or reject
 * it (see flow.h).
 *
 * Never prints. Nothing is written unless every check passed: the wipe
 * record verifies against the roster as a technician's, the approver is
 * another person with an approver's key, and the policy allows the method
 * for the asset's class.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/erase.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

void flow_approval_release(struct flow_approval *a)
{
	if (!a)
		return;
	free(a->certificate_id);
	free(a->pdf_path);
	free(a->record_sha256);
	free(a->pdf_sha256);
	memset(a, 0, sizeof(*a));
}

/* A sealed case read back and checked against the roster. */
struct sealed {
	uint8_t *rec_bytes, *sig_bytes;
	size_t rec_len, sig_len;
	json_t *rec;
	struct trust_result tech;
	char rec_sha256[65], sig_sha256[65];
};

static void sealed_release(struct sealed *s)
{
	free(s->rec_bytes);
	free(s->sig_bytes);
	json_decref(s->rec);
}

static int load_sealed(const struct flow_ctx *c, const char *id, struct sealed *s, struct flow_error *err)
{
	_cleanup_free_ char *rpath = flow_path(c, id, ".wipe-record.json");
	_cleanup_free_ char *spath = flow_path(c, id, ".wipe-record.json.minisig");
	int r;

	if (!rpath || !spath)
		return flow_fail(err, -EINVAL, "%s: not a case ID", id);
	r = read_full_file(rpath, &s->rec_bytes, &s->rec_len);
	if (r >= 0)
		r = read_full_file(spath, &s->sig_bytes, &s->sig_len);
	/* sealed on another station: the ledger carries it */
	if (r == -ENOENT && c->ledger) {
		free(s->rec_bytes);
		s->rec_bytes = NULL;
		r = flow_ledger_record(c, id, &s->rec_bytes, &s->rec_len, &s->sig_bytes, &s->sig_len);
	}
	if (r == -ENOENT)
		return flow_fail(err, r, "case %s: no sealed wipe record in %s%s", id, flow_state_dir(c),
				 c->ledger ? " nor in the ledger" : "");
	if (r < 0)
		return flow_fail(err, r, "case %s: cannot read the wipe record: %s", id, strerror(-r));
	if (!c->trust)
		return flow_fail(err, -EINVAL, "a trust directory is needed (--trust)");
	r = trust_verify(c->trust, TRUST_DOC_WIPE_RECORD, s->rec_bytes, s->rec_len, (const char *)s->sig_bytes,
			 s->sig_len, &s->tech);
	if (r < 0)
		return flow_fail(err, r, "case %s: cannot verify the wipe record: %s", id, strerror(-r));
	if (s->tech.verdict != TRUST_OK)
		return flow_fail(err, -EPERM, "case %s: the technician's signature does not verify: %s", id,
				 trust_verdict_string(s->tech.verdict));
	r = canon_parse((const char *)s->rec_bytes, s->rec_len, &s->rec);
	if (r < 0)
		return flow_fail(err, -EBADMSG, "case %s: the wipe record is not canonical JSON", id);
	flow_sha256_hex(s->rec_bytes, s->rec_len, s->rec_sha256);
	flow_sha256_hex(s->sig_bytes, s->sig_len, s->sig_sha256);
	return 0;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_int_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* "2026-11-23T08:49:00Z" -> "2026-11-23T17:49:00+09:00" (local offset) */
static json_t *local_time(const char *utc)
{
	char buf[40];
	time_t t;

	if (!utc || parse_time(utc, &t) < 0 || format_local(t, buf, sizeof(buf)) < 0)
		return json_string(utc ? utc : "");
	return json_string(buf);
}

/* The importance class of the asset in a wipe record: 1-3, 0 if none. */
static uint64_t asset_class(json_t *asset)
{
	json_t *v = json_object_get(asset, "importance");
	uint64_t n = 0;

	if (json_is_integer(v))
		return json_integer_value(v) >= 1 && json_integer_value(v) <= POLICY_CLASSES ? (uint64_t)json_integer_value(v) : 0;
	if (json_is_string(v) && parse_u64(json_string_value(v), &n) == 0 && n >= 1 && n <= POLICY_CLASSES)
		return n;
	return 0;
}

static const char *media_type(const char *transport, const char *asset_type)
{
	if (asset_type && *asset_type)
		return asset_type;
	if (!transport)
		return "disk";
	if (streq(transport, "nvme"))
		return "NVMe SSD";
	if (streq(transport, "file") || streq(transport, "loop"))
		return "disk image";
	if (streq(transport, "usb"))
		return "USB storage";
	return "disk";
}

static const char *verification_method(const char *verify, json_int_t percent, char *buf, size_t len)
{
	if (!verify || streq(verify, "off"))
		return "none";
	if (streq(verify, "last"))
		return "full read-back of the last pass / 最終パス全域の読み戻し";
	if (streq(verify, "all"))
		return "full read-back of every pass / 全パス全域の読み戻し";
	snprintf(buf, len, "NIST SP 800-88 sampled read-back, %lld%%, compared with the samples before the erase where the "
		 "drive erased / 抽出読み戻し %lld%%", (long long)percent, (long long)percent);
	return buf;
}

static json_t *person(const char *name, const char *title, const char *org, const char *date, const char *keyid)
{
	json_t *o = json_pack("{s:s,s:s}", "name", name, "role", title);

	if (org && *org)
		json_object_set_new(o, "organisation", json_string(org));
	if (date)
		json_object_set_new(o, "date", local_time(date));
	if (keyid)
		json_object_set_new(o, "key_id", json_string(keyid));
	return o;
}

/* What every certificate says the same way, a wipe's or a destruction's:
 * who performed and who approved, the ledger entry and event, the wipe
 * record it approves (by hash) and the station. */
static void set_people_and_links(json_t *cert, const struct policy *pol, const struct sealed *s,
				 const struct trust_seckey *approver, const char *now, const char *keyid,
				 const char *event_hash)
{
	json_t *rec = s->rec, *tech = json_object_get(rec, "technician"), *asset = json_object_get(rec, "asset");
	json_t *station = json_object_get(rec, "station");

	json_object_set_new(cert, "performer", person(jstr(tech, "name") ?: "-",
		policy_role_title(pol, jstr(tech, "role") ?: "technician"), jstr(tech, "org"), jstr(rec, "sealed_at"),
		jstr(tech, "key_id")));
	json_object_set_new(cert, "approver", person(trust_seckey_name(approver),
		policy_role_title(pol, trust_role_to_string(trust_seckey_role(approver))), trust_seckey_org(approver),
		now, keyid));
	json_object_set_new(cert, "ledger", json_pack("{s:s}", "entry", jstr(asset, "asset_id") ?: "-"));
	if (event_hash)
		json_object_set_new(json_object_get(cert, "ledger"), "event_hash", json_string(event_hash));
	json_object_set_new(cert, "wipe_record", json_pack("{s:s,s:s}", "sha256", s->rec_sha256,
							   "signature_sha256", s->sig_sha256));
	if (json_object_size(station))
		json_object_set(cert, "station", station);
}

static int build_destruction_certificate(const struct policy *pol, const struct sealed *s,
					 const struct trust_seckey *approver, const char *destination,
					 const char *event_hash, json_t **ret, bool *ret_erased);

/* The certificate record of a verified wipe record (schema wipecert.cert/1). */
static int build_certificate(const struct flow_ctx *c, const struct policy *pol, const struct sealed *s,
			     const struct trust_seckey *approver, const char *destination, const char *event_hash,
			     json_t **ret, bool *ret_erased)
{
	json_t *rec = s->rec, *job = json_object_get(rec, "job"), *dev = json_object_get(job, "device");
	json_t *asset = json_object_get(rec, "asset");
	json_t *passes = json_array(), *errors = json_array(), *p, *cert;
	const char *verify = jstr(job, "verify"), *job_state = jstr(job, "state");
	const struct erase_method *em = erase_method_find(jstr(job, "method") ? jstr(job, "method") : "");
	char now[32], cid[64], vbuf[128], id[TRUST_KEYID_STRLEN];
	struct trust_pubkey pk;
	uint64_t class_n = 0, verified = 0;
	bool verify_ok = true, any_verified = false;
	time_t t0 = 0, t1 = 0;
	size_t i;

	if (json_is_object(json_object_get(rec, "destruction"))) {
		json_decref(passes);
		json_decref(errors);
		return build_destruction_certificate(pol, s, approver, destination, event_hash, ret, ret_erased);
	}
	json_array_foreach(json_object_get(job, "passes"), i, p) {
		const char *v = jstr(p, "verification");
		bool ok = streq(jstr(p, "state") ?: "", "done") && json_integer_value(json_object_get(json_object_get(p, "errors"), "count")) == 0;
		json_t *r;
		size_t k;

		if (v && streq(v, "failed"))
			ok = verify_ok = false;
		if (v && streq(v, "passed"))
			any_verified = true;
		verified += (uint64_t)jint(p, "verified");
		json_array_append_new(passes, json_pack("{s:I,s:s,s:s,s:I,s:b}", "number", jint(p, "pass"), "pattern",
							jstr(p, "pattern") ?: "?", "result", ok ? "ok" : "failed", "bytes",
							jint(p, "bytes_written"), "verified", v && streq(v, "passed")));
		json_array_foreach(json_object_get(json_object_get(p, "errors"), "ranges"), k, r)
			json_array_append_new(errors, json_pack("{s:I,s:I,s:s}", "offset", jint(r, "offset"), "length",
								jint(r, "length"), "error", "I/O error"));
		json_array_foreach(json_object_get(json_object_get(p, "mismatches"), "ranges"), k, r)
			json_array_append_new(errors, json_pack("{s:I,s:I,s:s}", "offset", jint(r, "offset"), "length",
								jint(r, "length"), "error", "read-back mismatch"));
	}
	if (verify && !streq(verify, "off") && !any_verified)
		verify_ok = false;
	*ret_erased = job_state && streq(job_state, "succeeded") && verify_ok && verify && !streq(verify, "off");

	format_utc(time(NULL), now, sizeof(now));
	/* the certificate number names the day and the wipe record */
	snprintf(cid, sizeof(cid), "WC-%.4s%.2s%.2s-%.12s", now, now + 5, now + 8, s->rec_sha256);
	parse_time(jstr(job, "started") ?: "", &t0);
	parse_time(jstr(job, "ended") ?: "", &t1);
	class_n = asset_class(asset);
	trust_seckey_pubkey(approver, &pk);
	trust_keyid_string(pk.keyid, id);

	cert = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "certificate", "schema", CERT_SCHEMA, "certificate_id", cid,
			 "issued_at", now, "result", *ret_erased ? "erased_and_verified" : "failed");
	if (destination && *destination)
		json_object_set_new(cert, "destination", json_string(destination));
	json_object_set_new(cert, "organisation",
			    json_pack("{s:s}", "name", pol->org_name ? pol->org_name : trust_seckey_org(approver) ?: "-"));
	if (jstr(asset, "department"))
		json_object_set_new(json_object_get(cert, "organisation"), "unit", json_string(jstr(asset, "department")));
	json_object_set_new(cert, "media", json_pack("{s:s,s:s,s:s,s:I}",
		/* an image file's "model" says only that: the ledger knows better */
		"model", (jstr(dev, "transport") && streq(jstr(dev, "transport"), "file") && jstr(asset, "model")) ?
			 jstr(asset, "model") : jstr(dev, "model") ?: jstr(asset, "model") ?: "-",
		"serial", jstr(dev, "serial") ?: jstr(asset, "serial") ?: "-",
		"type", media_type(jstr(dev, "transport"), jstr(asset, "media_type")),
		"capacity_bytes", jint(dev, "size")));
	if (jstr(asset, "manufacturer"))
		json_object_set_new(json_object_get(cert, "media"), "manufacturer", json_string(jstr(asset, "manufacturer")));
	if (jstr(dev, "wwn") ?: jstr(asset, "wwn"))
		json_object_set_new(json_object_get(cert, "media"), "wwn", json_string(jstr(dev, "wwn") ?: jstr(asset, "wwn")));
	if (jstr(dev, "transport"))
		json_object_set_new(json_object_get(cert, "media"), "interface", json_string(jstr(dev, "transport")));
	json_object_set_new(cert, "asset", json_pack("{s:s,s:I}", "id", jstr(asset, "asset_id") ?: "-",
						     "importance_class", (json_int_t)class_n));
	if (jstr(asset, "department"))
		json_object_set_new(json_object_get(cert, "asset"), "owner_department", json_string(jstr(asset, "department")));
	if (jstr(asset, "location"))
		json_object_set_new(json_object_get(cert, "asset"), "location", json_string(jstr(asset, "location")));
	json_object_set_new(cert, "sanitization", json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:o,s:o}",
		"type", jstr(rec, "level") ?: "clear",
		"method", jstr(job, "method") ?: "-",
		"tool", "wipecert",
		"tool_version", jstr(json_object_get(job, "tool"), "version") ?: WIPECERT_VERSION,
		"started_at", local_time(jstr(job, "started")),
		"ended_at", local_time(jstr(job, "ended")),
		"duration_s", (json_int_t)(t1 > t0 ? t1 - t0 : 0),
		"passes", passes,
		"error_ranges", errors));
	if (em)
		json_object_set_new(json_object_get(cert, "sanitization"), "details", json_string(em->title));
	{
		/* a firmware erase: what the drive answered, and how it was proven */
		json_t *fw = json_object_get(job, "firmware");
		const char *text = jstr(json_object_get(fw, "device_status"), "text");
		char details[200];

		if (fw) {
			snprintf(details, sizeof(details), "drive firmware erase %s (%s); hidden areas: HPA %s, DCO %s",
				 jstr(fw, "method") ?: "?", jstr(fw, "level") ?: "?",
				 json_is_true(json_object_get(json_object_get(fw, "hidden_areas"), "hpa_present")) ? "found" : "none",
				 json_is_true(json_object_get(json_object_get(fw, "hidden_areas"), "dco_present")) ? "found" : "none");
			json_object_set_new(json_object_get(cert, "sanitization"), "details", json_string(details));
			json_object_set_new(json_object_get(cert, "sanitization"), "drive_sanitize_status",
					    json_string(text && *text ? text : jstr(fw, "result") ?: "-"));
		}
	}
	json_object_set_new(cert, "verification", json_pack("{s:s,s:s,s:I}",
		"method", verification_method(verify, jint(job, "sample_percent"), vbuf, sizeof(vbuf)),
		"result", verify_ok && verify && !streq(verify, "off") ? "pass" : "fail",
		"bytes", (json_int_t)verified));
	set_people_and_links(cert, pol, s, approver, now, id, event_hash);
	(void)c;
	*ret = cert;
	return 0;
}

/* The certificate of a witnessed physical destruction: the media as the
 * ledger has it, sanitization type "destroy", the witness and every photo's
 * SHA-256 in the details (the technician's record, attached to the PDF,
 * holds them as data). */
static int build_destruction_certificate(const struct policy *pol, const struct sealed *s,
					 const struct trust_seckey *approver, const char *destination,
					 const char *event_hash, json_t **ret, bool *ret_erased)
{
	json_t *rec = s->rec, *d = json_object_get(rec, "destruction"), *asset = json_object_get(rec, "asset");
	json_t *cert, *p, *cap;
	const char *method = jstr(d, "method"), *witness = jstr(d, "witness");
	_cleanup_free_ char *details = NULL;
	char now[32], cid[64], id[TRUST_KEYID_STRLEN];
	struct trust_pubkey pk;
	uint64_t capacity = 0;
	FILE *f;
	size_t i, dlen = 0;

	if (!method || !witness || !jstr(d, "destroyed_at"))
		return -EINVAL;
	f = open_memstream(&details, &dlen);
	if (!f)
		return -ENOMEM;
	fprintf(f, "物理的破壊 physical destruction: %s; 立会人 witness: %s", method, witness);
	json_array_foreach(json_object_get(d, "photos"), i, p)
		fprintf(f, "; 写真 photo %s (%lld bytes) sha256 %s", jstr(p, "name") ?: "?",
			(long long)jint(p, "size"), jstr(p, "sha256") ?: "?");
	if (jstr(d, "notes"))
		fprintf(f, "; %s", jstr(d, "notes"));
	if (fclose(f) != 0 || !details)
		return -ENOMEM;
	cap = json_object_get(asset, "capacity");
	if (json_is_integer(cap) && json_integer_value(cap) > 0)
		capacity = (uint64_t)json_integer_value(cap);
	else if (json_is_string(cap))
		parse_u64(json_string_value(cap), &capacity);

	/* what was recorded is what the approver certifies: the record holds
	 * no outcome other than "destroyed" */
	*ret_erased = true;
	format_utc(time(NULL), now, sizeof(now));
	snprintf(cid, sizeof(cid), "WC-%.4s%.2s%.2s-%.12s", now, now + 5, now + 8, s->rec_sha256);
	trust_seckey_pubkey(approver, &pk);
	trust_keyid_string(pk.keyid, id);
	cert = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "certificate", "schema", CERT_SCHEMA, "certificate_id", cid,
			 "issued_at", now, "result", "erased_and_verified");
	if (!cert)
		return -ENOMEM;
	if (destination && *destination)
		json_object_set_new(cert, "destination", json_string(destination));
	json_object_set_new(cert, "organisation",
			    json_pack("{s:s}", "name", pol->org_name ? pol->org_name : trust_seckey_org(approver) ?: "-"));
	if (jstr(asset, "department"))
		json_object_set_new(json_object_get(cert, "organisation"), "unit", json_string(jstr(asset, "department")));
	json_object_set_new(cert, "media", json_pack("{s:s,s:s,s:s,s:I}",
		"model", jstr(asset, "model") ?: "-",
		"serial", jstr(asset, "serial") ?: "-",
		"type", jstr(asset, "media_type") ?: "disk",
		"capacity_bytes", (json_int_t)capacity));
	if (jstr(asset, "manufacturer"))
		json_object_set_new(json_object_get(cert, "media"), "manufacturer", json_string(jstr(asset, "manufacturer")));
	if (jstr(asset, "wwn"))
		json_object_set_new(json_object_get(cert, "media"), "wwn", json_string(jstr(asset, "wwn")));
	json_object_set_new(cert, "asset", json_pack("{s:s,s:I}", "id", jstr(asset, "asset_id") ?: "-",
						     "importance_class", (json_int_t)asset_class(asset)));
	if (jstr(asset, "department"))
		json_object_set_new(json_object_get(cert, "asset"), "owner_department", json_string(jstr(asset, "department")));
	if (jstr(asset, "location"))
		json_object_set_new(json_object_get(cert, "asset"), "location", json_string(jstr(asset, "location")));
	json_object_set_new(cert, "sanitization", json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I}",
		"type", "destroy",
		"method", method,
		"details", details,
		"tool", "wipecert",
		"tool_version", WIPECERT_VERSION,
		"started_at", local_time(jstr(d, "destroyed_at")),
		"ended_at", local_time(jstr(d, "destroyed_at")),
		"duration_s", (json_int_t)0));
	json_object_set_new(cert, "verification", json_pack("{s:s,s:s,s:I}",
		"method", "witnessed physical destruction / 立会人による物理的破壊の確認",
		"result", "pass", "bytes", (json_int_t)0));
	set_people_and_links(cert, pol, s, approver, now, id, event_hash);
	*ret = cert;
	return 0;
}

static int write_case_file(const struct flow_ctx *c, const char *id, const char *suffix, const void *data,
			   size_t len, struct flow_error *err)
{
	_cleanup_free_ char *p = flow_path(c, id, suffix);
	int r;

	if (!p)
		return flow_fail(err, -ENOMEM, "out of memory");
	r = write_file_atomic(p, data, len, 0644, true);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot write: %s", p, r == -EEXIST ? "exists already" : strerror(-r));
	return 0;
}

static int check_not_decided(const struct flow_ctx *c, const char *id, struct flow_error *err)
{
	_cleanup_free_ char *pdf = flow_path(c, id, ".pdf"), *rej = flow_path(c, id, ".rejected.json");
	_cleanup_free_ char *decided = NULL;
	int r;

	if (!pdf || !rej)
		return flow_fail(err, -ENOMEM, "out of memory");
	if (access(pdf, F_OK) == 0)
		return flow_fail(err, -EEXIST, "case %s is approved already (%s)", id, pdf);
	if (access(rej, F_OK) == 0)
		return flow_fail(err, -EEXIST, "case %s was rejected (%s)", id, rej);
	/* decided on another machine */
	r = flow_ledger_decision(c, id, &decided);
	if (r < 0)
		return flow_fail(err, r, "case %s: cannot read the ledger: %s", id, strerror(-r));
	if (decided)
		return flow_fail(err, -EEXIST, "case %s is %s already (the ledger has the decision)", id, decided);
	return 0;
}

/* The state directory must take the decision's files: made if missing (a
 * manager's own machine), checked before anything is signed. */
static int state_dir_ready(const struct flow_ctx *c, struct flow_error *err)
{
	const char *dir = flow_state_dir(c);

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return flow_fail(err, -errno, "%s: cannot create the state directory: %m (give --state-dir)", dir);
	if (access(dir, W_OK) < 0)
		return flow_fail(err, -errno, "%s: cannot write there: %m (give --state-dir)", dir);
	return 0;
}

/* The asset's class and status, which the policy check below takes from the
 * wipe record, are what its signed ledger history says: every event signed
 * by its actor, every change the policy depends on approved. */
static int check_asset_history(const struct flow_ctx *c, json_t *asset, struct flow_error *err)
{
	struct ledger_sig_result res = { 0 };
	const char *aid = jstr(asset, "asset_id");
	int r;

	if (!c->ledger || !c->trust || !aid)
		return 0;
	r = ledger_verify_asset(c->ledger, c->trust, aid, &res);
	if (r == -EBADMSG)
		return flow_fail(err, -EPERM, "asset %s: its ledger history does not check out: %s", aid, res.detail);
	if (r < 0)
		return flow_fail(err, r, "asset %s: cannot check its ledger history: %s", aid, strerror(-r));
	return 0;
}

int flow_approve(const struct flow_ctx *c, const char *id, const struct trust_seckey *approver,
		 const char *destination, struct flow_approval *ret, struct flow_error *err)
{
	struct sealed s = { 0 };
	struct policy fallback = { 0 };
	const struct policy *pol = c->policy;
	struct trust_result appr;
	struct cert_record *crec = NULL;
	struct trust_x509_signer *xs = NULL;
	struct cert_signer signer = { 0 };
	struct cert_pdf_opts po = { 0 };
	struct cert_attachment att[3];
	json_t *cert = NULL;
	_cleanup_free_ char *canon = NULL, *csig = NULL, *pdf_path = NULL;
	_cleanup_free_ uint8_t *pdf = NULL, *signed_pdf = NULL;
	char ehash[LEDGER_HASH_HEX] = "", pdf_sha[65], rec_sha[65];
	const char *perr = NULL, *event_hash = NULL, *cerr = NULL;
	enum trust_verdict v;
	size_t canon_len, pdf_len, signed_len;
	uint64_t class_n = 0;
	bool erased = false, destroyed = false;
	int r;

	r = check_not_decided(c, id, err);
	if (r >= 0)
		r = state_dir_ready(c, err);
	if (r < 0)
		return r;
	if (!pol) {
		if (policy_default(&fallback) < 0)
			return flow_fail(err, -ENOMEM, "out of memory");
		pol = &fallback;
	}
	r = load_sealed(c, id, &s, err);
	if (r < 0)
		goto out;
	r = check_asset_history(c, json_object_get(s.rec, "asset"), err);
	if (r < 0)
		goto out;
	if (!trust_role_may_sign(trust_seckey_role(approver), TRUST_DOC_CERTIFICATE)) {
		r = flow_fail(err, -EPERM, "a %s key may not approve", trust_role_to_string(trust_seckey_role(approver)));
		goto out;
	}
	/* the policy: the role that approves this class, and the method */
	class_n = asset_class(json_object_get(s.rec, "asset"));
	if (class_n >= 1 && class_n <= POLICY_CLASSES) {
		const struct policy_class *pc = &pol->cls[class_n - 1];
		const char *role = trust_role_to_string(trust_seckey_role(approver));
		const char *method = jstr(json_object_get(s.rec, "job"), "method") ?:
				     jstr(json_object_get(s.rec, "destruction"), "method");
		_cleanup_free_ char *why = NULL;

		/* a contractor's approver approves a contractor's work */
		if (pc->approver_role && !streq(pc->approver_role, role) &&
		    !(streq(pc->approver_role, "approver") && streq(role, "contractor-approver") &&
		      s.tech.member && s.tech.member->role == TRUST_ROLE_CONTRACTOR_TECHNICIAN)) {
			r = flow_fail(err, -EPERM, "class %llu disposals are approved by a %s key, not a %s key",
				      (unsigned long long)class_n, pc->approver_role, role);
			goto out;
		}
		if (policy_check_method(pol, (int)class_n, method ?: "", flow_method_level(method), &why) < 0) {
			r = flow_fail(err, -EPERM, "%s", why ? why : "refused by the policy");
			goto out;
		}
	} else {
		r = flow_fail(err, -EPERM, "case %s: the asset has no importance class: the policy cannot be applied", id);
		goto out;
	}
	r = flow_ledger_signer(c, approver, err);
	if (r < 0)
		goto out;
	if (c->ledger) {
		const char *aid = jstr(json_object_get(s.rec, "asset"), "asset_id");

		if (aid && flow_asset_last_event(c->ledger, aid, NULL, ehash) == 0)
			event_hash = ehash;
	}
	destroyed = json_is_object(json_object_get(s.rec, "destruction"));
	r = build_certificate(c, pol, &s, approver, destination, event_hash, &cert, &erased);
	if (r < 0) {
		r = flow_fail(err, r, "case %s: cannot build the certificate record", id);
		goto out;
	}
	r = cert_record_from_json(cert, &crec, &cerr);
	if (r < 0) {
		r = flow_fail(err, r, "case %s: the certificate record is not valid: %s", id, cerr ? cerr : "?");
		goto out;
	}
	r = cert_record_canonical(crec, &canon, &canon_len);
	if (r >= 0)
		r = trust_sign(TRUST_DOC_CERTIFICATE, (const uint8_t *)canon, canon_len, approver, 0, &csig);
	if (r < 0) {
		r = flow_fail(err, r, "case %s: cannot sign the certificate record: %s", id, trust_strerror(r));
		goto out;
	}
	/* the approver as the roster sees it, and separation of duties */
	r = trust_verify(c->trust, TRUST_DOC_CERTIFICATE, (const uint8_t *)canon, canon_len, csig, strlen(csig), &appr);
	if (r < 0 || appr.verdict != TRUST_OK) {
		r = flow_fail(err, -EPERM, "the approver's key does not verify against the roster: %s",
			      r < 0 ? strerror(-r) : trust_verdict_string(appr.verdict));
		goto out;
	}
	v = trust_check_separation(&s.tech, &appr);
	if (v != TRUST_OK) {
		r = flow_fail(err, -EPERM, "separation of duties: %s (the wipe was performed by %s)",
			      trust_verdict_string(v), s.tech.claim.name);
		goto out;
	}
	r = trust_x509_signer_load(approver, c->trust, NULL, &xs);
	if (r < 0) {
		r = flow_fail(err, r, "no X.509 certificate for the approver's key: %s", trust_strerror(r));
		goto out;
	}
	/* attachments in name order: the PDF's name tree is sorted */
	att[0] = (struct cert_attachment){ CERT_SIG_NAME, (const uint8_t *)csig, strlen(csig),
					   "approver's minisign signature of record.json" };
	att[1] = (struct cert_attachment){ CERT_WIPE_RECORD_NAME, s.rec_bytes, s.rec_len,
					   "the technician's wipe record" };
	att[2] = (struct cert_attachment){ CERT_WIPE_SIG_NAME, s.sig_bytes, s.sig_len,
					   "technician's minisign signature of wipe-record.json" };
	po.attachments = att;
	po.n_attachments = ARRAY_SIZE(att);
	po.logo_png = c->logo ? c->logo : pol->logo;
	po.font_path = c->font;
	r = cert_pdf_render(crec, &po, &pdf, &pdf_len, &perr);
	if (r < 0) {
		r = flow_fail(err, r, "case %s: cannot render the certificate: %s", id, perr ? perr : strerror(-r));
		goto out;
	}
	signer.key = xs->key;
	signer.cert = xs->cert;
	signer.chain = xs->chain;
	signer.name = crec->approver.name;
	signer.reason = "データ消去証明 / Certificate of Data Sanitization";
	r = cert_pdf_sign(pdf, pdf_len, &signer, &signed_pdf, &signed_len, &perr);
	if (r < 0) {
		r = flow_fail(err, r, "case %s: cannot sign the certificate: %s", id, perr ? perr : strerror(-r));
		goto out;
	}
	flow_sha256_hex(signed_pdf, signed_len, pdf_sha);
	flow_sha256_hex(canon, canon_len, rec_sha);
	/* the ledger first: of two managers deciding at once one is refused
	 * there, before either writes a certificate */
	if (c->ledger) {
		_cleanup_free_ char *why = NULL;

		if (asprintf(&why, "certificate %s issued (%s), approved by %s; record sha256 %s, pdf sha256 %s",
			     crec->certificate_id, erased ? (destroyed ? "physically destroyed" : "erased and verified") : "FAILED",
			     trust_seckey_name(approver), rec_sha, pdf_sha) < 0) {
			r = flow_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		struct flow_decision d = {
			.id = id, .asset_id = crec->asset_id, .record = s.rec_bytes, .record_len = s.rec_len,
			.record_sig = s.sig_bytes, .record_sig_len = s.sig_len,
			.status = erased ? (destroyed ? "destroyed" : "approved") : NULL,
			.certificate_id = crec->certificate_id, .approver = trust_seckey_name(approver),
			.document = (const uint8_t *)canon, .document_len = canon_len, .document_sig = csig,
			.pdf = signed_pdf, .pdf_len = signed_len, .reason = why,
		};

		r = flow_record_decision(c, &d, err);
		if (r < 0)
			goto out;
	}
	r = write_case_file(c, id, ".cert.json.minisig", csig, strlen(csig), err);
	if (r >= 0)
		r = write_case_file(c, id, ".cert.json", canon, canon_len, err);
	if (r >= 0)
		r = write_case_file(c, id, ".pdf", signed_pdf, signed_len, err);
	if (r < 0)
		goto out;
	pdf_path = flow_path(c, id, ".pdf");
	ret->certificate_id = strdup(crec->certificate_id);
	ret->pdf_path = TAKE_PTR(pdf_path);
	ret->record_sha256 = strdup(rec_sha);
	ret->pdf_sha256 = strdup(pdf_sha);
	ret->erased = erased;
	r = 0;
out:
	if (xs)
		trust_x509_signer_free(xs);
	cert_record_free(crec);
	json_decref(cert);
	sealed_release(&s);
	policy_release(&fallback);
	return r;
}

int flow_reject(const struct flow_ctx *c, const char *id, const struct trust_seckey *approver,
		const char *reason, struct flow_error *err)
{
	struct sealed s = { 0 };
	json_t *doc = NULL;
	_cleanup_free_ char *canon = NULL, *sig = NULL;
	char now[32], kid[TRUST_KEYID_STRLEN];
	struct trust_pubkey pk;
	size_t canon_len;
	int r;

	if (!reason || !*reason)
		return flow_fail(err, -EINVAL, "a rejection needs a reason");
	r = check_not_decided(c, id, err);
	if (r >= 0)
		r = state_dir_ready(c, err);
	if (r < 0)
		return r;
	r = load_sealed(c, id, &s, err);
	if (r < 0)
		goto out;
	if (!trust_role_may_sign(trust_seckey_role(approver), TRUST_DOC_APPROVAL)) {
		r = flow_fail(err, -EPERM, "a %s key may not decide on a wipe record",
			      trust_role_to_string(trust_seckey_role(approver)));
		goto out;
	}
	r = flow_ledger_signer(c, approver, err);
	if (r < 0)
		goto out;
	trust_seckey_pubkey(approver, &pk);
	trust_keyid_string(pk.keyid, kid);
	format_utc(time(NULL), now, sizeof(now));
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "type", "approval", "decision", "rejected",
			"reason", reason, "case", id, "wipe_record_sha256", s.rec_sha256, "decided_at", now,
			"approver", "name", trust_seckey_name(approver), "key_id", kid, "org",
			trust_seckey_org(approver) ?: "");
	if (!doc || canon_json(doc, &canon, &canon_len) < 0) {
		r = flow_fail(err, -EINVAL, "the reason is not valid text");
		goto out;
	}
	r = trust_sign(TRUST_DOC_APPROVAL, (const uint8_t *)canon, canon_len, approver, 0, &sig);
	if (r < 0) {
		r = flow_fail(err, r, "cannot sign the rejection: %s", trust_strerror(r));
		goto out;
	}
	if (c->ledger) {
		const char *aid = jstr(json_object_get(s.rec, "asset"), "asset_id");
		_cleanup_free_ char *why = NULL;

		if (!aid) {
			r = flow_fail(err, -EBADMSG, "case %s: the wipe record names no asset", id);
			goto out;
		}
		if (asprintf(&why, "wipe record of case %s rejected by %s: %s", id, trust_seckey_name(approver),
			     reason) < 0) {
			r = flow_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		struct flow_decision d = {
			.id = id, .asset_id = aid, .record = s.rec_bytes, .record_len = s.rec_len,
			.record_sig = s.sig_bytes, .record_sig_len = s.sig_len, .status = "awaiting-erasure",
			.approver = trust_seckey_name(approver), .document = (const uint8_t *)canon,
			.document_len = canon_len, .document_sig = sig, .reason = why,
		};

		r = flow_record_decision(c, &d, err);
		if (r < 0)
			goto out;
	}
	r = write_case_file(c, id, ".rejected.json.minisig", sig, strlen(sig), err);
	if (r >= 0)
		r = write_case_file(c, id, ".rejected.json", canon, canon_len, err);
	if (r < 0)
		goto out;
	r = 0;
out:
	json_decref(doc);
	sealed_release(&s);
	return r;
}
