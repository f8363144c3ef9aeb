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
#include "wipecert/lifecycle.h"
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

/* Step 1: what was asked is a destruction, witnessed by someone else,
 * recorded by a technician, into a ledger. */
static int check_request(const struct flow_ctx *c, const struct flow_destruction *d, const struct trust_seckey *tech,
			 struct flow_error *err)
{
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
	return 0;
}

/* Step 2: the asset is here, its class accepts this destruction, and no
 * other destruction of it awaits approval. */
static int check_asset(const struct flow_ctx *c, const struct policy *pol, const struct flow_destruction *d,
		       struct ledger_asset *a, struct flow_error *err)
{
	_cleanup_free_ char *why = NULL;
	const char *cls;
	uint64_t class_n = 0;
	int r;

	r = ledger_asset_get(c->ledger, d->asset_id, a);
	if (r < 0)
		return flow_fail(err, r, "asset %s: %s", d->asset_id, r == -ENOENT ? "not in the ledger" : strerror(-r));
	r = flow_lifecycle_allows(a, LC_OP_DESTROY, err);
	if (r < 0)
		return r;
	cls = ledger_asset_value(a, LEDGER_F_IMPORTANCE);
	if (!cls || parse_u64(cls, &class_n) < 0)
		return flow_fail(err, -EPERM, "asset %s has no importance class: the policy cannot be applied", d->asset_id);
	if (policy_check_method(pol, (int)class_n, d->method, LEVEL_DESTROY, &why) < 0)
		return flow_fail(err, -EPERM, "asset %s: %s", d->asset_id, why ? why : "refused by the policy");
	if (destruction_pending(c, d->asset_id))
		return flow_fail(err, -EEXIST, "asset %s: a destruction record awaits approval already", d->asset_id);
	return 0;
}

/* Step 3: each photo's name, SHA-256 and size. */
static int hash_photos(const struct flow_destruction *d, json_t **ret, struct flow_error *err)
{
	json_t *photos = json_array();

	if (!photos)
		return flow_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n_photos; i++) {
		char h[65];
		uint64_t size = 0;
		int r = sha256_file(d->photos[i], h, &size);

		if (r < 0) {
			json_decref(photos);
			return flow_fail(err, r, "%s: cannot read the photo: %s", d->photos[i], strerror(-r));
		}
		json_array_append_new(photos, json_pack("{s:s,s:s,s:I}", "name", base_name(d->photos[i]), "sha256", h,
							"size", (json_int_t)size));
	}
	*ret = photos;
	return 0;
}

/* The case ID names the asset (as a file name part) and the time. */
static int case_id(const struct flow_destruction *d, const char *when, char **ret, struct flow_error *err)
{
	char safe[48];
	size_t k = 0;

	for (const char *p = d->asset_id; *p && k < sizeof(safe) - 1; p++)
		safe[k++] = (strchr("/\\ \t\n", *p) || (unsigned char)*p < 0x20) ? '_' : *p;
	safe[k] = 0;
	if (asprintf(ret, "destroy-%s-%.4s%.2s%.2sT%.2s%.2s%.2sZ", safe, when, when + 5, when + 8, when + 11, when + 14,
		     when + 17) < 0)
		return flow_fail(err, -ENOMEM, "out of memory");
	return 0;
}

/* Step 4: the record, a wipe record whose "destruction" says what was
 * done; sealed on the asset's last ledger event. */
static int build_record(const struct flow_ctx *c, const struct flow_destruction *d, const struct ledger_asset *a,
			const struct trust_seckey *tech, const char *id, const char *when, json_t *photos,
			json_t **ret, struct flow_error *err)
{
	char ehash[LEDGER_HASH_HEX] = "";
	uint64_t eseq = 0;
	json_t *destruction, *rec;
	int r;

	r = flow_asset_last_event(c->ledger, d->asset_id, &eseq, ehash);
	if (r < 0) {
		json_decref(photos);
		return flow_fail(err, r, "asset %s: no history in the ledger", d->asset_id);
	}
	destruction = json_pack("{s:s,s:s,s:s,s:o,s:s}", "method", d->method, "witness", d->witness,
				"destroyed_at", when, "photos", photos, "operator", trust_seckey_name(tech));
	if (destruction && d->notes && *d->notes)
		json_object_set_new(destruction, "notes", json_string(d->notes));
	rec = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s,s:{s:I,s:s}}", "type", "wipe-record", "schema",
			WIPE_RECORD_SCHEMA, "case", id, "destruction", destruction, "asset", ledger_asset_to_json(a),
			"technician", flow_signer_json(tech), "station", flow_station_json(c->dmi_dir), "sealed_at", when,
			"level", "destroy", "ledger", "event_seq", (json_int_t)eseq, "event_hash", ehash);
	if (!rec)
		return flow_fail(err, -EINVAL, "asset %s: cannot build the destruction record (not valid text?)", d->asset_id);
	*ret = rec;
	return 0;
}

/* Step 5: signed by the technician and written, the outbox entry first
 * and then the signature (as flow_seal(): a record without one is no case;
 * the ledger gets the case once, now or from flow_sync()). */
static int sign_and_write(const struct flow_ctx *c, const struct flow_destruction *d, const char *id, json_t *rec,
			  const struct trust_seckey *tech, struct flow_error *err)
{
	_cleanup_free_ char *canon = NULL, *sig = NULL, *rpath = flow_path(c, id, ".wipe-record.json");
	_cleanup_free_ char *spath = flow_path(c, id, ".wipe-record.json.minisig"), *why = NULL;
	char rhash[65];
	size_t canon_len;
	int r;

	if (!rpath || !spath)
		return flow_fail(err, -EINVAL, "asset %s: cannot name a case after it", d->asset_id);
	r = canon_json(rec, &canon, &canon_len);
	if (r < 0)
		return flow_fail(err, r, "asset %s: the record is not canonical JSON: %s", d->asset_id, strerror(-r));
	r = trust_sign(TRUST_DOC_WIPE_RECORD, (const uint8_t *)canon, canon_len, tech, 0, &sig);
	if (r < 0)
		return flow_fail(err, r, "asset %s: cannot sign the destruction record: %s", d->asset_id, trust_strerror(r));
	if (mkdir(flow_state_dir(c), 0700) < 0 && errno != EEXIST)
		return flow_fail(err, -errno, "%s: cannot create: %m", flow_state_dir(c));
	flow_sha256_hex(canon, canon_len, rhash);
	/* the status waits for the approval: a note */
	if (asprintf(&why, "physical destruction (%s) witnessed by %s recorded as case %s, record sha256 %s; awaiting approval",
		     d->method, d->witness, id, rhash) < 0)
		return flow_fail(err, -ENOMEM, "out of memory");
	r = flow_outbox_put(c, id, d->asset_id, NULL, why, rhash);
	if (r < 0)
		return flow_fail(err, r, "case %s: cannot write its outbox entry: %s", id, strerror(-r));
	r = write_file_atomic(spath, sig, strlen(sig), 0644, true);
	if (r >= 0)
		r = write_file_atomic(rpath, canon, canon_len, 0644, true);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot write: %s", rpath, r == -EEXIST ? "a case of that name exists" : strerror(-r));
	return 0;
}

/* Step 6: the case and the ledger's note, signed by the technician, in one
 * transaction; FLOW_QUEUED when the ledger became unreachable meanwhile. */
static int submit_case(const struct flow_ctx *c, const struct flow_destruction *d, const char *id,
		       const struct trust_seckey *tech, struct flow_error *err)
{
	int r = flow_submit(c, id, tech, err);

	if (r < 0) {
		char tmp[sizeof(err->msg)];

		snprintf(tmp, sizeof(tmp), "%s", err ? err->msg : "");
		return flow_fail(err, r, "asset %s: the record is written, but the ledger event failed: %s", d->asset_id,
				 tmp);
	}
	return r;
}

int flow_destroy(const struct flow_ctx *c, const struct flow_destruction *d, const struct trust_seckey *tech,
		 char **ret_id, struct flow_error *err)
{
	struct policy fallback = { 0 };
	const struct policy *pol = c->policy;
	struct ledger_asset a = { 0 };
	json_t *rec = NULL, *photos = NULL;
	_cleanup_free_ char *id = NULL;
	char when[32];
	int r;

	r = check_request(c, d, tech, err);
	if (r < 0)
		return r;
	if (!pol) {
		if (policy_default(&fallback) < 0)
			return flow_fail(err, -ENOMEM, "out of memory");
		pol = &fallback;
	}
	format_utc(d->when ? d->when : time(NULL), when, sizeof(when));
	r = check_asset(c, pol, d, &a, err);
	if (r >= 0)
		r = hash_photos(d, &photos, err);
	if (r >= 0)
		r = case_id(d, when, &id, err);
	if (r >= 0)
		r = build_record(c, d, &a, tech, id, when, TAKE_PTR(photos), &rec, err);
	if (r >= 0)
		r = sign_and_write(c, d, id, rec, tech, err);
	if (r >= 0)
		r = submit_case(c, d, id, tech, err);
	if (r >= 0)
		*ret_id = TAKE_PTR(id);
	json_decref(rec);
	json_decref(photos);
	ledger_asset_clear(&a);
	policy_release(&fallback);
	return r;
}
