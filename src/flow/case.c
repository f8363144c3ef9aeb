/* case.c - seal a finished wipe into a technician-signed wipe record, list
 * the cases, export and import them for approval elsewhere (see flow.h).
 *
 * Never prints; every refusal is a sentence in struct flow_error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/drive.h"
#include "wipecert/erase.h"
#include "wipecert/flow.h"
#include "wipecert/job.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/lifecycle.h"
#include "flow-internal.h"

int flow_fail(struct flow_error *err, int r, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vformat_en_text(err->msg, sizeof(err->msg), err->text, sizeof(err->text), fmt, ap);
		va_end(ap);
	}
	return r;
}

const char *flow_state_dir(const struct flow_ctx *c)
{
	const char *e = getenv("WIPECERT_STATE_DIR");

	if (c && c->state_dir)
		return c->state_dir;
	return e && *e ? e : JOB_STATE_DIR_DEFAULT;
}

char *flow_path(const struct flow_ctx *c, const char *id, const char *suffix)
{
	char *p;

	/* an ID is a file name part: never a path */
	if (!id || !*id || strchr(id, '/') || streq(id, ".") || streq(id, ".."))
		return NULL;
	if (asprintf(&p, "%s/%s%s", flow_state_dir(c), id, suffix) < 0)
		return NULL;
	return p;
}

int flow_ledger_signer(const struct flow_ctx *c, const struct trust_seckey *k, struct flow_error *err)
{
	struct ledger_trust_report rep = { 0 };
	int r;

	if (!c->ledger)
		return 0;
	r = ledger_set_signer(c->ledger, k);
	if (r < 0)
		return flow_fail(err, r, "%s: a %s key may not sign ledger events", trust_seckey_name(k),
				 trust_role_to_string(trust_seckey_role(k)));
	if (!c->trust)
		return 0;
	/* the ledger remembers the trust lists' serials (recorded with the
	 * step's own event): an older list put back is a rollback */
	ledger_set_trust(c->ledger, c->trust);
	r = ledger_trust_check(c->ledger, c->trust, &rep);
	if (r == -ESTALE)
		return flow_fail(err, r, "refused: the trust directory's %s has serial %llu, but the ledger recorded "
				 "serial %llu (event %llu): an older signed list was put back", rep.list,
				 (unsigned long long)rep.store_serial, (unsigned long long)rep.ledger_serial,
				 (unsigned long long)rep.event);
	if (r < 0)
		return flow_fail(err, r, "cannot read the trust lists' serials from the ledger: %s", strerror(-r));
	return 0;
}

int flow_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	hex_encode(md, 32, out);
	return 0;
}

bool flow_method_verify_only(const char *method)
{
	const struct erase_method *m = erase_method_find(method);

	return m && m->verify_only;
}

unsigned flow_method_level(const char *method)
{
	static const char *const destroy[] = { "shred", "crush", "drill", "degauss-and-shred", "disintegrate", "incinerate" };
	enum drive_method m;

	if (!method || flow_method_verify_only(method))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(destroy); i++)
		if (streq(method, destroy[i]))
			return LEVEL_DESTROY;
	if (erase_method_find(method))
		return LEVEL_CLEAR;
	m = drive_method_from_string(method);
	if (m >= 0)
		/* on flash, ATA SECURITY ERASE (normal) only clears: assume flash */
		return drive_method_level(m, true) == DRIVE_LEVEL_PURGE ? LEVEL_PURGE : LEVEL_CLEAR;
	return 0;
}

static const struct policy *ctx_policy(const struct flow_ctx *c, struct policy *fallback)
{
	if (c->policy)
		return c->policy;
	if (policy_default(fallback) < 0)
		return NULL;
	return fallback;
}

int flow_check_before_wipe(const struct flow_ctx *c, const char *asset_id, const char *method,
			   const char *serial, const char *wwn, bool image_file, struct flow_error *err)
{
	struct policy fallback = { 0 };
	const struct policy *pol;
	struct ledger_asset a = { 0 };
	_cleanup_free_ char *why = NULL;
	const char *cls;
	uint64_t class_n = 0;
	unsigned level;
	int r;

	if (!c->ledger)
		return flow_fail(err, -EINVAL, "a ledger is needed to wipe for an asset (--db)");
	r = ledger_asset_get(c->ledger, asset_id, &a);
	if (r == -ENOENT)
		return flow_fail(err, -ENOENT, "asset %s is not in the ledger", asset_id);
	if (r < 0)
		return flow_fail(err, r, "asset %s: cannot read the ledger: %s", asset_id, strerror(-r));
	/* the class and status below are what the signed history says, not
	 * what someone wrote into the file beside it */
	r = ledger_asset_check_state(c->ledger, asset_id);
	if (r < 0) {
		r = flow_fail(err, -EPERM, "asset %s differs from what its ledger history records (changed outside "
			      "wipecert): run 'wipecert ledger verify'", asset_id);
		goto out;
	}
	/* the lifecycle table: disposed of, away, lost, under evidence hold */
	r = flow_lifecycle_allows(&a, LC_OP_WIPE, err);
	if (r < 0)
		goto out;
	pol = ctx_policy(c, &fallback);
	if (!pol) {
		r = flow_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	level = flow_method_level(method);
	cls = ledger_asset_value(&a, LEDGER_F_IMPORTANCE);
	if (!cls || parse_u64(cls, &class_n) < 0) {
		r = flow_fail(err, -EPERM, "asset %s has no importance class: the policy cannot be applied", asset_id);
		goto out;
	}
	free(why);
	why = NULL;
	/* reading writes nothing and the record will never say "erased":
	 * the policy's methods are about what sanitises */
	r = flow_method_verify_only(method) ? 0 : policy_check_method(pol, (int)class_n, method, level, &why);
	if (r < 0) {
		r = flow_fail(err, -EPERM, "asset %s: %s", asset_id, why ? why : "refused by the policy");
		goto out;
	}
	/* the identity last: the asset's own rules are named even for a disk
	 * that could never pass as it */
	free(why);
	why = NULL;
	r = ledger_identity_check(&a, serial, wwn, &why);
	if ((r == LEDGER_IDENTITY_NONE_ON_RECORD || r == LEDGER_IDENTITY_DEVICE_UNKNOWN) && image_file &&
	    !serial && !wwn) {
		/* an image file reports no identity of its own: the operator's
		 * choice of asset is all there is (the record says "file") */
		r = 0;
	} else if (r != LEDGER_IDENTITY_MATCH) {
		r = flow_fail(err, -EPERM, "asset %s: %s", asset_id, why ? why : "identity does not match");
		goto out;
	}
	/* what the wipe was allowed on: the seal's, should the ledger be
	 * unreachable by then (no snapshot: the seal needs the ledger) */
	flow_snapshot_put(c, &a);
	r = 0;
out:
	policy_release(&fallback);
	ledger_asset_clear(&a);
	return r;
}

/* The hash of the asset's latest ledger event: what the record seals on. */
struct last_event {
	uint64_t seq;
	char hash[LEDGER_HASH_HEX];
};

static int last_event_cb(const struct ledger_event *e, void *userdata)
{
	struct last_event *le = userdata;

	le->seq = e->seq;
	snprintf(le->hash, sizeof(le->hash), "%s", e->hash);
	return 0;
}

int flow_asset_last_event(struct ledger *l, const char *asset_id, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX])
{
	struct last_event le = { 0 };
	int r = ledger_history(l, asset_id, last_event_cb, &le);

	if (r < 0)
		return r;
	if (!le.seq)
		return -ENOENT;
	if (ret_seq)
		*ret_seq = le.seq;
	memcpy(ret_hash, le.hash, LEDGER_HASH_HEX);
	return 0;
}

/* The wipe station as the certificate names it: host name and DMI. */
json_t *flow_station_json(const char *dmi_dir)
{
	struct cert_record tmp = { 0 };
	json_t *o = json_object();
	const struct {
		const char *key;
		char **v;
	} f[] = {
		{ "hostname", &tmp.station_hostname }, { "vendor", &tmp.station_vendor },
		{ "product", &tmp.station_product },   { "serial", &tmp.station_serial },
		{ "asset_tag", &tmp.station_asset_tag },
	};

	cert_station_probe(&tmp, dmi_dir);
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (*f[i].v)
			json_object_set_new(o, f[i].key, json_string(*f[i].v));
	cert_record_release(&tmp);
	return o;
}

json_t *flow_signer_json(const struct trust_seckey *k)
{
	struct trust_pubkey pk;
	char id[TRUST_KEYID_STRLEN];

	trust_seckey_pubkey(k, &pk);
	trust_keyid_string(pk.keyid, id);
	return json_pack("{s:s,s:s,s:s,s:s}", "name", trust_seckey_name(k), "role",
			 trust_role_to_string(trust_seckey_role(k)), "org", trust_seckey_org(k) ?: "", "key_id", id);
}

/* The public record of a finished job: an overwrite's (the job file, the
 * seed left out) or a firmware erase's (ID.firmware.json, see `wipe`). */
static int load_public_job(const struct flow_ctx *c, const char *job_id, json_t **ret, struct flow_error *err)
{
	struct job_store store = { 0 };
	struct job *j = NULL;
	int r;

	r = job_store_open_dir(flow_state_dir(c), &store);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot open the state directory: %s", flow_state_dir(c), strerror(-r));
	r = job_store_load(&store, job_id, &j);
	job_store_close(&store);
	if (r == 0) {
		bool running = j->state == JOB_RUNNING;

		*ret = running ? NULL : job_to_json(j, false);
		job_free(j);
		if (running)
			return flow_fail(err, -EBUSY, "job %s has not finished (resume it first)", job_id);
		return *ret ? 0 : flow_fail(err, -ENOMEM, "out of memory");
	}
	if (r == -ENOENT) {
		_cleanup_free_ char *fp = flow_path(c, job_id, ".firmware.json");
		json_t *o = fp ? json_load_file(fp, JSON_REJECT_DUPLICATES, NULL) : NULL;

		if (o && json_is_string(json_object_get(o, "state")) && json_is_object(json_object_get(o, "device"))) {
			*ret = o;
			return 0;
		}
		json_decref(o);
		if (fp && access(fp, F_OK) == 0)
			return flow_fail(err, -EBADMSG, "job %s: %s is not a job record", job_id, fp);
	}
	return flow_fail(err, r, "job %s: cannot load: %s", job_id, strerror(-r));
}

static const char *job_str(json_t *job, const char *a, const char *b)
{
	json_t *v = json_object_get(job, a);

	return json_string_value(b ? json_object_get(v, b) : v);
}

/* The serial a job knows its medium by: the drive's, else the one the
 * operator attested (device.attested.serial). */
static const char *job_serial_of(json_t *job)
{
	json_t *dev = json_object_get(job, "device");

	return json_string_value(json_object_get(dev, "serial")) ?:
	       json_string_value(json_object_get(json_object_get(dev, "attested"), "serial"));
}

/* "verified", "not verified" or "FAILED": the job's own result when it
 * says one (format 2), else from its state. */
static const char *seal_word(json_t *job)
{
	const char *res = job_str(job, "result", NULL), *state = job_str(job, "state", NULL);

	if (res && streq(res, "wiped-not-verified"))
		return "not verified";
	if (res && streq(res, "failed"))
		return "FAILED";
	if (res && streq(res, "verified-only"))
		return "verified only, nothing written";
	return state && streq(state, "succeeded") ? "verified" : "FAILED";
}

/* What the ledger is to record of a seal, as its outbox entry: status
 * "erased" for a wipe that succeeded, "awaiting-erasure" (a note when it
 * was so already) for one that did not; the reason names the job and the
 * sha256 of the wipe record, which is how an interrupted seal finds it
 * again. flow_submit() appends it, signed by the technician. */
static int seal_outbox(const struct flow_ctx *c, const char *job_id, const char *asset_id, json_t *job,
		       const char *rhash, struct flow_error *err)
{
	const char *method = job_str(job, "method", NULL), *state = job_str(job, "state", NULL);
	bool verify_only = flow_method_verify_only(method);
	bool erased = state && streq(state, "succeeded") && !verify_only;
	_cleanup_free_ char *why = NULL;
	int r;

	if (asprintf(&why, "wipe %s: job %s (%s), wipe record sha256 %s", seal_word(job), job_id,
		     method ? method : "?", rhash) < 0)
		return flow_fail(err, -ENOMEM, "out of memory");
	/* a verify-only job wrote nothing: the status is what it was (a note) */
	r = flow_outbox_put(c, job_id, asset_id, verify_only ? NULL : erased ? "erased" : "awaiting-erasure", why,
			    rhash);
	if (r < 0)
		return flow_fail(err, r, "job %s: cannot write its outbox entry in %s: %s", job_id, flow_state_dir(c),
				 strerror(-r));
	return 0;
}

struct seal_find {
	const char *job_id, *rhash;
	uint64_t seq;
};

static int seal_find_cb(const struct ledger_event *e, void *userdata)
{
	struct seal_find *f = userdata;
	_cleanup_free_ char *a = NULL, *b = NULL;

	if (asprintf(&a, "job %s (", f->job_id) < 0 || asprintf(&b, "wipe record sha256 %s", f->rhash) < 0)
		return -ENOMEM;
	if (e->reason && strstr(e->reason, a) && strstr(e->reason, b)) {
		f->seq = e->seq;
	}
	return 0;
}

/* A seal that a crash cut short after its record was written: the ledger
 * event (signed as it is appended) is added if it is missing. Returns 0
 * when something was completed, -EEXIST when the seal was whole already. */
static int complete_seal(const struct flow_ctx *c, const char *job_id, const char *asset_id,
			 const struct trust_seckey *tech, const char *rpath, struct flow_error *err)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct seal_find f = { .job_id = job_id };
	char rhash[65];
	const char *rec_asset;
	json_t *rec = NULL;
	size_t len;
	int r;

	if (!c->ledger)
		return flow_fail(err, -EEXIST, "job %s is already sealed (%s)", job_id, rpath);
	r = read_full_file(rpath, &data, &len);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot read: %s", rpath, strerror(-r));
	rec = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
	rec_asset = json_string_value(json_object_get(json_object_get(rec, "asset"), "asset_id"));
	if (!rec || !rec_asset) {
		r = flow_fail(err, -EBADMSG, "%s: not a wipe record", rpath);
		goto out;
	}
	if (!streq(rec_asset, asset_id)) {
		r = flow_fail(err, -EEXIST, "job %s is already sealed for asset %s (%s)", job_id, rec_asset, rpath);
		goto out;
	}
	flow_sha256_hex(data, len, rhash);
	/* its outbox entry still there: submitted now (the ledger stores it
	 * once, should it have it already); one kept for the central ledger
	 * says nothing of this one */
	if (flow_outbox_has(c, job_id) && !flow_outbox_kept(c, job_id)) {
		r = flow_submit(c, job_id, tech, err);
		goto out;
	}
	f.rhash = rhash;
	r = ledger_history(c->ledger, asset_id, seal_find_cb, &f);
	if (r < 0) {
		r = flow_fail(err, r, "asset %s: cannot read its history: %s", asset_id, strerror(-r));
		goto out;
	}
	/* an event is signed in the transaction that appends it: found, the
	 * seal is whole */
	if (f.seq) {
		r = flow_fail(err, -EEXIST, "job %s is already sealed (%s)", job_id, rpath);
		goto out;
	}
	/* a record without its event (sealed by a wipecert without an
	 * outbox, or kept for the central ledger when there was none here) */
	{
		struct flow_ctx kc = *c;

		kc.keep_outbox = c->keep_outbox || flow_outbox_kept(c, job_id);
		r = seal_outbox(&kc, job_id, asset_id, json_object_get(rec, "job"), rhash, err);
	}
	if (r >= 0)
		r = flow_submit(c, job_id, tech, err);
out:
	json_decref(rec);
	return r;
}

/* The asset a job is sealed for, from the ledger (or, the ledger gone
 * during the wipe, as it was checked before: the record then waits to be
 * submitted): the disk the job ran on must be it. Its JSON for the record,
 * and the asset's last event, which the record names. */
static int seal_asset(const struct flow_ctx *c, const char *job_id, const char *asset_id, json_t *jj,
		      json_t **ret_asset, uint64_t *eseq, char ehash[LEDGER_HASH_HEX], struct flow_error *err)
{
	const char *serial = job_serial_of(jj), *wwn = job_str(jj, "device", "wwn");
	const char *transport = job_str(jj, "device", "transport");
	_cleanup_free_ char *reason = NULL;
	struct ledger_asset a = { 0 };
	int r;

	r = c->ledger ? ledger_asset_get(c->ledger, asset_id, &a) : -ENOTCONN;
	if (ledger_unreachable(r) && flow_snapshot_get(c, asset_id, &a, eseq, ehash) == 0)
		r = 0;
	if (ledger_unreachable(r))
		return flow_fail(err, r, "asset %s: the ledger is unreachable, and no wipe of this asset checked it "
				 "here before (no snapshot): seal it when the ledger is back", asset_id);
	if (r < 0)
		return flow_fail(err, r, "asset %s: %s", asset_id, r == -ENOENT ? "not in the ledger" : strerror(-r));
	r = ledger_identity_check(&a, serial, wwn, &reason);
	if (r != LEDGER_IDENTITY_MATCH &&
	    !((r == LEDGER_IDENTITY_NONE_ON_RECORD || r == LEDGER_IDENTITY_DEVICE_UNKNOWN) &&
	      /* image files and loop devices report no identity of their own */
	      transport && (streq(transport, "file") || streq(transport, "loop")) && !serial && !wwn)) {
		r = flow_fail(err, -EPERM, "job %s was not run on asset %s: %s", job_id, asset_id,
			      reason ? reason : "identity does not match");
		goto out;
	}
	*ret_asset = ledger_asset_to_json(&a);
	r = ehash[0] ? 0 : flow_asset_last_event(c->ledger, asset_id, eseq, ehash);
	if (r < 0)
		r = flow_fail(err, r, "asset %s: no history in the ledger", asset_id);
out:
	ledger_asset_clear(&a);
	return r;
}

int flow_seal(const struct flow_ctx *c, const char *job_id, const char *asset_id,
	      const struct trust_seckey *tech, char **ret_record_path, struct flow_error *err)
{
	json_t *rec = NULL, *jj = NULL, *asset = NULL;
	_cleanup_free_ char *canon = NULL, *sig = NULL, *rpath = NULL, *spath = NULL;
	char now[32], rhash[65], ehash[LEDGER_HASH_HEX] = "";
	const char *method, *state;
	uint64_t eseq = 0;
	size_t canon_len;
	int r;

	if (!trust_role_may_sign(trust_seckey_role(tech), TRUST_DOC_WIPE_RECORD))
		return flow_fail(err, -EPERM, "a %s key may not sign a wipe record",
				 trust_role_to_string(trust_seckey_role(tech)));
	rpath = flow_path(c, job_id, ".wipe-record.json");
	spath = flow_path(c, job_id, ".wipe-record.json.minisig");
	if (!rpath || !spath)
		return flow_fail(err, -EINVAL, "%s: not a job ID", job_id);
	crash_point("seal-start");
	if (access(rpath, F_OK) == 0) {
		r = complete_seal(c, job_id, asset_id, tech, rpath, err);
		if (r >= 0 && ret_record_path)
			*ret_record_path = TAKE_PTR(rpath);
		return r;
	}
	r = load_public_job(c, job_id, &jj, err);
	if (r < 0)
		return r;
	method = job_str(jj, "method", NULL);
	state = job_str(jj, "state", NULL);
	if (!state || streq(state, "running")) {
		r = flow_fail(err, -EBUSY, "job %s has not finished", job_id);
		goto out;
	}
	if (c->ledger || c->ledger_away) {
		r = seal_asset(c, job_id, asset_id, jj, &asset, &eseq, ehash, err);
		if (r < 0)
			goto out;
	} else {
		asset = json_pack("{s:s}", "asset_id", asset_id);
	}
	format_utc(time(NULL), now, sizeof(now));
	rec = json_pack("{s:s,s:s,s:O,s:o,s:o,s:o,s:s,s:s}", "type", "wipe-record", "schema", WIPE_RECORD_SCHEMA,
			"job", jj, "asset", asset, "technician", flow_signer_json(tech), "station", flow_station_json(c->dmi_dir),
			"sealed_at", now, "level", flow_method_verify_only(method) ? "none" :
			policy_level_to_string(flow_method_level(method)) ?: "unknown");
	asset = NULL;
	if (!rec) {
		r = flow_fail(err, -ENOMEM, "cannot build the wipe record");
		goto out;
	}
	if (ehash[0])
		json_object_set_new(rec, "ledger", json_pack("{s:I,s:s}", "event_seq", (json_int_t)eseq, "event_hash", ehash));
	r = canon_json(rec, &canon, &canon_len);
	if (r < 0) {
		r = flow_fail(err, r, "job %s: the record is not canonical JSON: %s", job_id, strerror(-r));
		goto out;
	}
	r = trust_sign(TRUST_DOC_WIPE_RECORD, (const uint8_t *)canon, canon_len, tech, 0, &sig);
	if (r < 0) {
		r = flow_fail(err, r, "job %s: cannot sign the wipe record: %s", job_id, trust_strerror(r));
		goto out;
	}
	flow_sha256_hex(canon, canon_len, rhash);
	/* what the ledger is to record: the outbox entry first, so that a
	 * crash after the record leaves it to complete_seal() or flow_sync() */
	if ((c->ledger || c->ledger_away || c->keep_outbox) && (r = seal_outbox(c, job_id, asset_id, jj, rhash, err)) < 0)
		goto out;
	/* the signature first: a record without one is not sealed, and a
	 * crash between the two writes leaves a case that can be sealed again;
	 * a crash after the record leaves the ledger event to complete_seal */
	r = write_file_atomic(spath, sig, strlen(sig), 0644, false);
	crash_point("seal-signature");
	if (r >= 0)
		r = write_file_atomic(rpath, canon, canon_len, 0644, true);
	if (r < 0) {
		r = flow_fail(err, r, "%s: cannot write: %s", rpath, strerror(-r));
		goto out;
	}
	crash_point("seal-record");
	/* the case and the asset's event in the ledger, in one transaction;
	 * FLOW_QUEUED when the ledger is unreachable */
	r = c->ledger ? flow_submit(c, job_id, tech, err) : c->ledger_away ? FLOW_QUEUED : 0;
	if (r < 0) {
		char tmp[sizeof(err->msg)];

		snprintf(tmp, sizeof(tmp), "%s", err ? err->msg : "");
		r = flow_fail(err, r, "asset %s: the wipe record is written, but the ledger event failed: %s",
			      asset_id, tmp);
		goto out;
	}
	crash_point("seal-done");
	if (ret_record_path)
		*ret_record_path = TAKE_PTR(rpath);
out:
	json_decref(rec);
	json_decref(jj);
	json_decref(asset);
	return r;
}

/* ---- cases ---- */

void flow_case_release(struct flow_case *fc)
{
	if (!fc)
		return;
	free(fc->id);
	free(fc->state);
	free(fc->asset_id);
	free(fc->device);
	free(fc->method);
	free(fc->job_state);
	free(fc->verification);
	free(fc->technician);
	free(fc->sealed_at);
	free(fc->certificate);
	free(fc->certificate_id);
	free(fc->station);
	memset(fc, 0, sizeof(*fc));
}

static char *dup_json_str(json_t *o, const char *path)
{
	/* path: "a.b.c" */
	char buf[128], *save = NULL, *tok;
	json_t *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* The verification outcome of a job record: the verdict of the last pass
 * that was read back, "none" if none was. */
static const char *job_verification(json_t *job)
{
	json_t *passes = json_object_get(job, "passes"), *p;
	const char *v = "none";
	size_t i;

	json_array_foreach(passes, i, p) {
		const char *pv = json_string_value(json_object_get(p, "verification"));

		if (pv && !streq(pv, "none"))
			v = pv;
	}
	return v;
}

int flow_case_load_local(const struct flow_ctx *c, const char *id, struct flow_case *ret)
{
	_cleanup_free_ char *rpath = flow_path(c, id, ".wipe-record.json");
	_cleanup_free_ char *cpath = flow_path(c, id, ".pdf");
	_cleanup_free_ char *xpath = flow_path(c, id, ".rejected.json");
	_cleanup_free_ char *lpath = flow_path(c, id, ".listed");
	_cleanup_free_ uint8_t *buf = NULL, *listed = NULL;
	struct flow_case fc = { 0 };
	json_t *rec = NULL, *job;
	size_t len;
	int r;

	if (!rpath || !cpath || !xpath || !lpath)
		return -EINVAL;
	r = read_full_file(rpath, &buf, &len);
	if (r < 0)
		return r;
	r = canon_parse((const char *)buf, len, &rec);
	if (r < 0)
		return -EBADMSG;
	job = json_object_get(rec, "job");
	fc.id = strdup(id);
	fc.asset_id = dup_json_str(rec, "asset.asset_id");
	{
		const char *model = json_string_value(json_object_get(json_object_get(job, "device"), "model"));
		const char *serial = json_string_value(json_object_get(json_object_get(job, "device"), "serial"));

		if (asprintf(&fc.device, "%s%s%s", model ? model : "?", serial ? " " : "", serial ? serial : "") < 0)
			fc.device = NULL;
	}
	if (json_is_object(json_object_get(rec, "destruction"))) {
		/* a physical destruction: no job, the asset names the disk */
		const char *model = json_string_value(json_object_get(json_object_get(rec, "asset"), "model"));
		const char *serial = json_string_value(json_object_get(json_object_get(rec, "asset"), "serial"));

		free(fc.device);
		if (asprintf(&fc.device, "%s%s%s", model ? model : "?", serial ? " " : "", serial ? serial : "") < 0)
			fc.device = NULL;
		fc.method = dup_json_str(rec, "destruction.method");
		fc.job_state = strdup("destroyed");
		fc.verification = strdup("witnessed");
	} else {
		fc.method = dup_json_str(job, "method");
		fc.job_state = dup_json_str(job, "state");
		fc.verification = strdup(job_verification(job));
	}
	fc.technician = dup_json_str(rec, "technician.name");
	fc.sealed_at = dup_json_str(rec, "sealed_at");
	if (access(cpath, F_OK) == 0) {
		fc.state = strdup("approved");
		fc.certificate = TAKE_PTR(cpath);
	} else if (read_full_file(lpath, &listed, &len) >= 0) {
		/* approved in a list certificate: the file names it */
		fc.state = strdup("approved");
		fc.certificate = strndup((const char *)listed, strcspn((const char *)listed, "\n"));
	} else if (access(xpath, F_OK) == 0) {
		fc.state = strdup("rejected");
	} else if (flow_outbox_has(c, id)) {
		/* sealed while the ledger was unreachable: no manager sees it yet */
		fc.state = strdup("awaiting-submission");
	} else {
		fc.state = strdup("awaiting-approval");
	}
	json_decref(rec);
	if (!fc.id || !fc.state || !fc.verification) {
		flow_case_release(&fc);
		return -ENOMEM;
	}
	*ret = fc;
	return 0;
}

struct one_case {
	const struct flow_ctx *c;
	struct flow_case *fc;
};

static int one_case_cb(const struct ledger_case *k, void *userdata)
{
	struct one_case *o = userdata;

	return flow_case_from_ledger(o->c, k, o->fc);
}

int flow_case_load(const struct flow_ctx *c, const char *id, struct flow_case *ret)
{
	struct flow_case fc = { 0 };
	struct one_case o = { c, &fc };
	int r;

	/* the record sealed here is the one this station answers for; one
	 * sealed elsewhere comes from the ledger */
	r = flow_case_load_local(c, id, &fc);
	if (r == -ENOENT && c->ledger)
		r = ledger_cases(c->ledger, id, 0, one_case_cb, &o);
	if (r < 0)
		return r;
	/* a decision made on another machine */
	if (c->ledger && !fc.in_ledger && !streq(fc.state, "approved") && !streq(fc.state, "rejected")) {
		_cleanup_free_ char *decided = NULL;

		if (flow_ledger_decision(c, id, &decided) >= 0 && decided) {
			free(fc.state);
			fc.state = TAKE_PTR(decided);
		}
	}
	*ret = fc;
	return 0;
}

static int cmp_case(const void *a, const void *b)
{
	const struct flow_case *x = a, *y = b;
	int r = strcmp(x->sealed_at ? x->sealed_at : "", y->sealed_at ? y->sealed_at : "");

	return r ? r : strcmp(x->id, y->id);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int flow_cases(const struct flow_ctx *c, struct flow_case **ret, size_t *ret_n)
{
	static const char suffix[] = ".wipe-record.json";
	DIR *d;
	struct flow_case *v = NULL;
	struct dirent *de;
	_cleanup_free_ char **known = NULL;
	size_t n = 0, nk;
	int r;

	/* the ledger's cases (every station's), then those sealed here that
	 * it does not hold: only these are read from their records */
	r = flow_ledger_cases(c, &v, &n);
	if (r < 0 && !ledger_unreachable(r))
		return r;
	nk = n;
	known = nk ? malloc(nk * sizeof(*known)) : NULL;
	if (nk && !known) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < nk; i++)
		known[i] = v[i].id;
	if (nk)
		qsort(known, nk, sizeof(*known), cmp_id);
	d = opendir(flow_state_dir(c));
	if (!d) {
		if (errno != ENOENT) {
			r = -errno;
			goto fail;
		}
		goto done;
	}
	r = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		_cleanup_free_ char *id = NULL;
		struct flow_case *nv;

		if (l <= sizeof(suffix) - 1 || !streq(de->d_name + l - (sizeof(suffix) - 1), suffix))
			continue;
		id = strndup(de->d_name, l - (sizeof(suffix) - 1));
		if (id && known && bsearch(&id, known, nk, sizeof(*known), cmp_id))
			continue;
		nv = id ? realloc(v, (n + 1) * sizeof(*nv)) : NULL;
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		if (flow_case_load_local(c, id, &v[n]) == 0)
			n++;
	}
	closedir(d);
	if (r < 0)
		goto fail;
done:
	if (n)
		qsort(v, n, sizeof(*v), cmp_case);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		flow_case_release(&v[i]);
	free(v);
	return r;
}

/* ---- export / import for approval on another machine ---- */

int flow_export_record(const struct flow_ctx *c, const char *id, char **ret_json)
{
	_cleanup_free_ char *rpath = flow_path(c, id, ".wipe-record.json");
	_cleanup_free_ char *spath = flow_path(c, id, ".wipe-record.json.minisig");
	_cleanup_free_ uint8_t *rec = NULL, *sig = NULL;
	size_t rlen, slen;
	json_t *b;
	char *s;
	int r;

	if (!rpath || !spath)
		return -EINVAL;
	r = read_full_file(rpath, &rec, &rlen);
	if (r >= 0)
		r = read_full_file(spath, &sig, &slen);
	if (r < 0)
		return r;
	b = json_pack("{s:s,s:s,s:s%,s:s%}", "format", "wipecert.record-bundle/1", "id", id,
		      "wipe_record", (char *)rec, rlen, "signature", (char *)sig, slen);
	if (!b)
		return -ENOMEM;
	s = json_dumps(b, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(b);
	if (!s)
		return -ENOMEM;
	*ret_json = s;
	return 0;
}

int flow_import_record(const struct flow_ctx *c, const char *bundle, size_t len, char **ret_id,
		       struct flow_error *err)
{
	json_t *b = json_loadb(bundle, len, JSON_REJECT_DUPLICATES, NULL);
	const char *fmt, *id, *rec, *sig;
	_cleanup_free_ char *rpath = NULL, *spath = NULL;
	struct trust_result tr;
	int r;

	if (!b)
		return flow_fail(err, -EBADMSG, "not a record bundle (JSON)");
	fmt = json_string_value(json_object_get(b, "format"));
	id = json_string_value(json_object_get(b, "id"));
	rec = json_string_value(json_object_get(b, "wipe_record"));
	sig = json_string_value(json_object_get(b, "signature"));
	if (!fmt || !streq(fmt, "wipecert.record-bundle/1") || !id || !rec || !sig) {
		r = flow_fail(err, -EBADMSG, "not a wipecert.record-bundle/1");
		goto out;
	}
	rpath = flow_path(c, id, ".wipe-record.json");
	spath = flow_path(c, id, ".wipe-record.json.minisig");
	if (!rpath || !spath) {
		r = flow_fail(err, -EBADMSG, "the bundle's ID is not a plain name");
		goto out;
	}
	if (!c->trust) {
		r = flow_fail(err, -EINVAL, "a trust directory is needed to import a record");
		goto out;
	}
	r = trust_verify(c->trust, TRUST_DOC_WIPE_RECORD, (const uint8_t *)rec, strlen(rec), sig, strlen(sig), &tr);
	if (r < 0 || tr.verdict != TRUST_OK) {
		r = flow_fail(err, -EPERM, "the wipe record's signature does not verify: %s",
			      r < 0 ? strerror(-r) : trust_verdict_string(tr.verdict));
		goto out;
	}
	if (mkdir(flow_state_dir(c), 0700) < 0 && errno != EEXIST) {
		r = flow_fail(err, -errno, "%s: cannot create: %m", flow_state_dir(c));
		goto out;
	}
	r = write_file_atomic(spath, sig, strlen(sig), 0644, true);
	if (r >= 0)
		r = write_file_atomic(rpath, rec, strlen(rec), 0644, true);
	if (r < 0) {
		r = flow_fail(err, r, "case %s: cannot write: %s", id, r == -EEXIST ? "already here" : strerror(-r));
		goto out;
	}
	*ret_id = strdup(id);
	r = *ret_id ? 0 : -ENOMEM;
out:
	json_decref(b);
	return r;
}
