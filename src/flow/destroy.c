/* destroy.c - record a physical destruction (shred, crush, drill, ...) as a
 * technician-signed case that is approved like a wipe (see flow.h).
 *
 * Never prints, and never records a destruction the policy does not accept
 * for the asset's class or of an asset that is no longer here.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#include "wipecert/canon.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

/* SHA-256 of a file, streamed: photos may be large. */
static int sha256_file(const char *path, char out[65], uint64_t *ret_size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	EVP_MD_CTX *md;
	unsigned char buf[65536], h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	uint64_t size = 0;
	struct stat st;
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		size += (uint64_t)n;
	}
	if (r >= 0 && (!EVP_DigestFinal_ex(md, h, &hl) || hl != 32))
		r = -EIO;
	EVP_MD_CTX_free(md);
	if (r < 0)
		return r;
	hex_encode(h, 32, out);
	*ret_size = size;
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* A destruction of this asset that awaits approval already? */
static bool destruction_pending(const struct flow_ctx *c, const char *asset_id)
{
	struct flow_case *v = NULL;
	size_t n = 0;
	bool found = false;

	if (flow_cases(c, &v, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i].job_state && streq(v[i].job_state, "destroyed") && v[i].asset_id &&
		    streq(v[i].asset_id, asset_id) && streq(v[i].state, "awaiting-approval"))
			found = true;
		flow_case_release(&v[i]);
	}
	free(v);
	return found;
}

int flow_destroy(const struct flow_ctx *c, const struct flow_destruction *d, const struct trust_seckey *tech,
		 char **ret_id, struct flow_error *err)
{
	struct policy fallback = { 0 };
	const struct policy *pol = c->policy;
	struct ledger_asset a = { 0 };
	json_t *rec = NULL, *photos = NULL, *destruction;
	_cleanup_free_ char *canon = NULL, *sig = NULL, *rpath = NULL, *spath = NULL, *why = NULL, *id = NULL;
	char when[32], stamp[20], rhash[65], ehash[LEDGER_HASH_HEX] = "", safe[48];
	const char *status, *cls;
	uint64_t class_n = 0, eseq = 0;
	size_t canon_len, k = 0;
	time_t t = d->when ? d->when : time(NULL);
	int r;

	if (!d->asset_id || !*d->asset_id || !d->method || !d->witness || !*d->witness)
		return flow_fail(err, -EINVAL, "a destruction needs an asset, a method and a witness");
	if (flow_method_level(d->method) != LEVEL_DESTROY)
		return flow_fail(err, -EINVAL, "%s is not a method of physical destruction", d->method);
	if (!trust_role_may_sign(trust_seckey_role(tech), TRUST_DOC_WIPE_RECORD))
		return flow_fail(err, -EPERM, "a %s key may not sign a destruction record",
				 trust_role_to_string(trust_seckey_role(tech)));
	if (streq(d->witness, trust_seckey_name(tech)))
		return flow_fail(err, -EPERM, "the witness must be another person than the technician (%s)", d->witness);
	if (!c->ledger)
		return flow_fail(err, -EINVAL, "a ledger is needed to record a destruction (--db)");
	if (!pol) {
		if (policy_default(&fallback) < 0)
			return flow_fail(err, -ENOMEM, "out of memory");
		pol = &fallback;
	}
	r = ledger_asset_get(c->ledger, d->asset_id, &a);
	if (r < 0) {
		r = flow_fail(err, r, "asset %s: %s", d->asset_id, r == -ENOENT ? "not in the ledger" : strerror(-r));
		goto out;
	}
	status = ledger_asset_value(&a, LEDGER_F_STATUS);
	if (status && (streq(status, "disposed") || streq(status, "destroyed") || streq(status, "handed-to-contractor"))) {
		r = flow_fail(err, -EPERM, "asset %s is %s already: it is not here to be destroyed", d->asset_id, status);
		goto out;
	}
	cls = ledger_asset_value(&a, LEDGER_F_IMPORTANCE);
	if (!cls || parse_u64(cls, &class_n) < 0) {
		r = flow_fail(err, -EPERM, "asset %s has no importance class: the policy cannot be applied", d->asset_id);
		goto out;
	}
	r = policy_check_method(pol, (int)class_n, d->method, LEVEL_DESTROY, &why);
	if (r < 0) {
		r = flow_fail(err, -EPERM, "asset %s: %s", d->asset_id, why ? why : "refused by the policy");
		goto out;
	}
	if (destruction_pending(c, d->asset_id)) {
		r = flow_fail(err, -EEXIST, "asset %s: a destruction record awaits approval already", d->asset_id);
		goto out;
	}
	photos = json_array();
	for (size_t i = 0; i < d->n_photos; i++) {
		char h[65];
		uint64_t size = 0;

		r = sha256_file(d->photos[i], h, &size);
		if (r < 0) {
			r = flow_fail(err, r, "%s: cannot read the photo: %s", d->photos[i], strerror(-r));
			goto out;
		}
		json_array_append_new(photos, json_pack("{s:s,s:s,s:I}", "name", base_name(d->photos[i]), "sha256", h,
							"size", (json_int_t)size));
	}
	/* the case ID names the asset (as a file name part) and the time */
	for (const char *p = d->asset_id; *p && k < sizeof(safe) - 1; p++)
		safe[k++] = (strchr("/\\ \t\n", *p) || (unsigned char)*p < 0x20) ? '_' : *p;
	safe[k] = 0;
	format_utc(t, when, sizeof(when));
	snprintf(stamp, sizeof(stamp), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", when, when + 5, when + 8, when + 11, when + 14,
		 when + 17);
	if (asprintf(&id, "destroy-%s-%s", safe, stamp) < 0) {
		r = flow_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	rpath = flow_path(c, id, ".wipe-record.json");
	spath = flow_path(c, id, ".wipe-record.json.minisig");
	if (!rpath || !spath) {
		r = flow_fail(err, -EINVAL, "asset %s: cannot name a case after it", d->asset_id);
		goto out;
	}
	destruction = json_pack("{s:s,s:s,s:s,s:o,s:s}", "method", d->method, "witness", d->witness,
				"destroyed_at", when, "photos", photos, "operator", trust_seckey_name(tech));
	photos = NULL;
	if (destruction && d->notes && *d->notes)
		json_object_set_new(destruction, "notes", json_string(d->notes));
	r = flow_asset_last_event(c->ledger, d->asset_id, &eseq, ehash);
	if (r < 0) {
		json_decref(destruction);
		r = flow_fail(err, r, "asset %s: no history in the ledger", d->asset_id);
		goto out;
	}
	rec = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s,s:{s:I,s:s}}", "type", "wipe-record", "schema",
			WIPE_RECORD_SCHEMA, "case", id, "destruction", destruction, "asset", ledger_asset_to_json(&a),
			"technician", flow_signer_json(tech), "station", flow_station_json(c->dmi_dir), "sealed_at", when,
			"level", "destroy", "ledger", "event_seq", (json_int_t)eseq, "event_hash", ehash);
	if (!rec) {
		r = flow_fail(err, -EINVAL, "asset %s: cannot build the destruction record (not valid text?)", d->asset_id);
		goto out;
	}
	r = canon_json(rec, &canon, &canon_len);
	if (r < 0) {
		r = flow_fail(err, r, "asset %s: the record is not canonical JSON: %s", d->asset_id, strerror(-r));
		goto out;
	}
	r = trust_sign(TRUST_DOC_WIPE_RECORD, (const uint8_t *)canon, canon_len, tech, 0, &sig);
	if (r < 0) {
		r = flow_fail(err, r, "asset %s: cannot sign the destruction record: %s", d->asset_id, trust_strerror(r));
		goto out;
	}
	if (mkdir(flow_state_dir(c), 0700) < 0 && errno != EEXIST) {
		r = flow_fail(err, -errno, "%s: cannot create: %m", flow_state_dir(c));
		goto out;
	}
	flow_sha256_hex(canon, canon_len, rhash);
	free(why);
	why = NULL;
	if (asprintf(&why, "physical destruction (%s) witnessed by %s recorded as case %s, record sha256 %s; awaiting approval",
		     d->method, d->witness, id, rhash) < 0) {
		r = flow_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* the outbox entry first, as flow_seal(): the ledger gets the case
	 * once, now or from flow_sync() */
	r = flow_outbox_put(c, id, d->asset_id, NULL, why, rhash);
	if (r < 0) {
		r = flow_fail(err, r, "case %s: cannot write its outbox entry: %s", id, strerror(-r));
		goto out;
	}
	/* the signature first, as flow_seal(): a record without one is no case */
	r = write_file_atomic(spath, sig, strlen(sig), 0644, true);
	if (r >= 0)
		r = write_file_atomic(rpath, canon, canon_len, 0644, true);
	if (r < 0) {
		r = flow_fail(err, r == -EEXIST ? -EEXIST : r, "%s: cannot write: %s", rpath,
			      r == -EEXIST ? "a case of that name exists" : strerror(-r));
		goto out;
	}
	r = flow_submit(c, id, tech, err);
	if (r < 0) {
		char tmp[sizeof(err->msg)];

		snprintf(tmp, sizeof(tmp), "%s", err ? err->msg : "");
		r = flow_fail(err, r, "asset %s: the record is written, but the ledger event failed: %s", d->asset_id, tmp);
		goto out;
	}
	*ret_id = TAKE_PTR(id);
out:
	json_decref(rec);
	json_decref(photos);
	ledger_asset_clear(&a);
	policy_release(&fallback);
	return r;
}
