/* custody.c - the chain of custody when assets leave the owner: the
 * hand-over list (引渡書) the owner's approver signs, the receipt (受領書)
 * the contractor countersigns, sub-contracting (再委託) tier by tier, and
 * what is still out (see flow.h).
 *
 * Its job: the ledger says "handed-to-contractor" only for an asset on a
 * hand-over list whose two signatures verify: the owner's approver's and a
 * key of the very contractor the list names (pinned by the owner's root).
 * A later tier is recorded only when the tier above handed the assets on
 * and the owner approved that sub-contractor beforehand. Never prints;
 * nothing is written unless every check passed.
 *
 * Files, in STATE_DIR/custody/ on either side:
 *   HO-ID.json, .minisig            the hand-over list and its signature
 *   HO-ID.receipt.json, .minisig    the receipt
 *   HO-ID.witness.json, .minisig    a witness's statement (搬出), if any
 *   HO-ID.recorded                  the owner's ledger recorded it
 *   SA-HOID-KEYID.json, .minisig    the owner's approval of a sub-contractor
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "wipecert/lifecycle.h"
#include "flow-internal.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

void flow_custody_docs_release(struct flow_custody_docs *d)
{
	if (!d)
		return;
	free(d->ho);
	free(d->ho_sig);
	free(d->rc);
	free(d->rc_sig);
	memset(d, 0, sizeof(*d));
}

static char *custody_path(const struct flow_ctx *c, const char *id, const char *suffix)
{
	char *p;

	if (!id || !*id || strchr(id, '/') || id[0] == '.')
		return NULL;
	if (asprintf(&p, "%s/custody/%s%s", flow_state_dir(c), id, suffix) < 0)
		return NULL;
	return p;
}

static int custody_dir(const struct flow_ctx *c, struct flow_error *err)
{
	_cleanup_free_ char *d = NULL;

	if (asprintf(&d, "%s/custody", flow_state_dir(c)) < 0)
		return flow_fail(err, -ENOMEM, "out of memory");
	if ((mkdir(flow_state_dir(c), 0700) < 0 && errno != EEXIST) || (mkdir(d, 0755) < 0 && errno != EEXIST))
		return flow_fail(err, -errno, "%s: cannot create: %m", d);
	return 0;
}

/* A file of the custody directory and its .minisig: written, or when
 * there already (we signed it here), the very same bytes. */
static int write_signed(const struct flow_ctx *c, const char *id, const char *suffix, const char *doc, size_t len,
			const char *sig, struct flow_error *err)
{
	_cleanup_free_ char *p = custody_path(c, id, suffix), *s = NULL;
	_cleanup_free_ uint8_t *have = NULL;
	size_t hl;
	int r;

	if (!p || asprintf(&s, "%s.minisig", p) < 0)
		return flow_fail(err, -ENOMEM, "out of memory");
	if (read_full_file(p, &have, &hl) >= 0)
		return hl == len && memcmp(have, doc, len) == 0 ? 0 :
		       flow_fail(err, -EEXIST, "%s: another document of this name is here already", p);
	r = write_file_atomic(s, sig, strlen(sig), 0644, true);
	if (r >= 0)
		r = write_file_atomic(p, doc, len, 0644, true);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot write: %s", p, strerror(-r));
	return 0;
}

static int read_signed(const char *path, uint8_t **data, size_t *len, uint8_t **sig, size_t *sig_len)
{
	_cleanup_free_ char *sp = NULL;
	int r;

	if (asprintf(&sp, "%s.minisig", path) < 0)
		return -ENOMEM;
	r = read_full_file(path, data, len);
	if (r >= 0)
		r = read_full_file(sp, sig, sig_len);
	return r;
}

/* The key ID text of a public key */
static void kid(const struct trust_pubkey *pk, char out[TRUST_KEYID_STRLEN])
{
	trust_keyid_string(pk->keyid, out);
}

/* What a hand-over list says of an asset: what the ledger knows of it
 * (never its status or certificate: those are the holder's business). */
static json_t *asset_entry(const struct ledger_asset *a)
{
	static const enum ledger_field keep[] = {
		LEDGER_F_ASSET_ID, LEDGER_F_MEDIA_TYPE, LEDGER_F_MANUFACTURER, LEDGER_F_MODEL, LEDGER_F_SERIAL,
		LEDGER_F_WWN, LEDGER_F_CAPACITY, LEDGER_F_IMPORTANCE, LEDGER_F_DEPARTMENT, LEDGER_F_LEASE,
	};
	json_t *o = json_object();

	for (size_t i = 0; o && i < ARRAY_SIZE(keep); i++) {
		const char *v = ledger_asset_value(a, keep[i]);

		if (v && *v)
			json_object_set_new(o, ledger_field_name(keep[i]), json_string(v));
	}
	return o;
}

static const json_t *find_asset(const json_t *ho, const char *asset_id)
{
	const json_t *a;
	size_t i;

	json_array_foreach(json_object_get(ho, "assets"), i, a)
		if (streq(jstr(a, "asset_id") ?: "", asset_id))
			return a;
	return NULL;
}

/* ---- the owner signs a hand-over list ---- */

/* The asset may leave: in the ledger, tied to a disk, and its status lets
 * it be handed over (the lifecycle table: not disposed of, with a
 * contractor already, under evidence hold, lost or stolen, away). */
static int check_leaving(const struct flow_ctx *c, const char *id, struct ledger_asset *a, struct flow_error *err)
{
	int r;

	r = ledger_asset_get(c->ledger, id, a);
	if (r < 0)
		return flow_fail(err, r == -ENOENT ? -EPERM : r, "asset %s: %s", id,
				 r == -ENOENT ? "not in the ledger" : strerror(-r));
	if (!ledger_asset_value(a, LEDGER_F_SERIAL) && !ledger_asset_value(a, LEDGER_F_WWN))
		return flow_fail(err, -EPERM, "asset %s: the ledger holds no serial or WWN: nothing would tie the "
				 "contractor's certificate to the disk", id);
	return flow_lifecycle_allows(a, LC_OP_HANDOVER, err);
}

static int new_id(const char *prefix, const char *seed, size_t len, char **ret)
{
	char now[32], h[65];

	format_utc(time(NULL), now, sizeof(now));
	flow_sha256_hex(seed, len, h);
	return asprintf(ret, "%s-%.4s%.2s%.2s-%.10s", prefix, now, now + 5, now + 8, h) < 0 ? -ENOMEM : 0;
}

static int sign_doc(enum trust_doc doc, json_t *j, const struct trust_seckey *k, char **ret_canon, size_t *ret_len,
		    char **ret_sig, struct flow_error *err)
{
	int r = canon_json(j, ret_canon, ret_len);

	if (r < 0)
		return flow_fail(err, r, "the %s is not canonical JSON (text not valid?)", trust_doc_to_string(doc));
	r = trust_sign(doc, (const uint8_t *)*ret_canon, *ret_len, k, 0, ret_sig);
	if (r < 0)
		return flow_fail(err, r, "cannot sign the %s: %s", trust_doc_to_string(doc), trust_strerror(r));
	return 0;
}

/* A parent hand-over (a later tier): one handed to our organisation, and
 * each asset on it */
static int check_parent(const struct flow_ctx *c, const struct flow_handover_request *q, json_t **ret_parent,
			char parent_sha[65], struct flow_error *err)
{
	json_t *p = NULL;

	if (canon_parse((const char *)q->parent.data, q->parent.len, &p) < 0 ||
	    !streq(jstr(p, "type") ?: "", "handover"))
		return flow_fail(err, -EBADMSG, "the parent hand-over list is not a %s", CERT_HANDOVER_SCHEMA);
	*ret_parent = p;
	if (!streq(jstr(json_object_get(p, "to"), "org") ?: "", trust_store_org(c->trust)))
		return flow_fail(err, -EPERM, "hand-over list %s was handed to %s, not to us (%s)", jstr(p, "id") ?: "?",
				 jstr(json_object_get(p, "to"), "org") ?: "-", trust_store_org(c->trust));
	for (size_t i = 0; i < q->n_assets; i++)
		if (!find_asset(p, q->assets[i]))
			return flow_fail(err, -EPERM, "asset %s is not on hand-over list %s: only what was handed to us can "
					 "be handed on", q->assets[i], jstr(p, "id") ?: "?");
	flow_sha256_hex(q->parent.data, q->parent.len, parent_sha);
	return 0;
}

int flow_handover(const struct flow_ctx *c, const struct flow_handover_request *q, const struct trust_seckey *approver,
		  struct flow_handover *ret, struct flow_error *err)
{
	_cleanup_free_ char *canon = NULL, *sig = NULL, *id = NULL, *seed = NULL;
	json_t *ho = NULL, *assets = NULL, *parent = NULL;
	char root[TRUST_KEYID_STRLEN], to[TRUST_KEYID_STRLEN], psha[65], now[32];
	const char *to_org;
	size_t clen;
	int r = 0;

	if (!c->trust)
		return flow_fail(err, -EINVAL, "a trust directory is needed (--trust)");
	if (!trust_role_may_sign(trust_seckey_role(approver), TRUST_DOC_HANDOVER))
		return flow_fail(err, -EPERM, "a %s key may not sign a hand-over list (an approver's)",
				 trust_role_to_string(trust_seckey_role(approver)));
	if (q->n_assets == 0)
		return flow_fail(err, -EINVAL, "a hand-over list names at least one asset");
	to_org = trust_store_contractor(c->trust, q->to_root->keyid);
	kid(q->to_root, to);
	if (!to_org)
		return flow_fail(err, -EPERM, "contractor root key %s is not pinned in this trust directory (trust pin): "
				 "its receipt and certificates could not be checked", to);
	kid(trust_store_root(c->trust), root);
	assets = json_array();
	if (!assets)
		return flow_fail(err, -ENOMEM, "out of memory");
	if (q->parent.data) {
		r = check_parent(c, q, &parent, psha, err);
		for (size_t i = 0; r >= 0 && i < q->n_assets; i++)
			json_array_append(assets, (json_t *)find_asset(parent, q->assets[i]));
	} else if (!c->ledger) {
		r = flow_fail(err, -EINVAL, "a ledger is needed to hand assets over (--db)");
	} else {
		for (size_t i = 0; r >= 0 && i < q->n_assets; i++) {
			struct ledger_asset a = { 0 };

			for (size_t j = 0; j < i; j++)
				if (streq(q->assets[i], q->assets[j]))
					r = flow_fail(err, -EPERM, "asset %s is listed twice", q->assets[i]);
			if (r >= 0)
				r = check_leaving(c, q->assets[i], &a, err);
			if (r >= 0)
				json_array_append_new(assets, asset_entry(&a));
			ledger_asset_clear(&a);
		}
	}
	if (r < 0)
		goto out;
	format_utc(time(NULL), now, sizeof(now));
	seed = json_dumps(assets, JSON_COMPACT);
	r = new_id("HO", seed ? seed : now, seed ? strlen(seed) : strlen(now), &id);
	if (r < 0) {
		r = flow_fail(err, r, "out of memory");
		goto out;
	}
	ho = json_pack("{s:s,s:s,s:s,s:s,s:I,s:{s:s,s:s},s:{s:s,s:s},s:O,s:o}", "type", "handover", "schema",
		       CERT_HANDOVER_SCHEMA, "id", id, "issued_at", now, "tier",
		       (json_int_t)(parent ? json_integer_value(json_object_get(parent, "tier")) + 1 : 1), "from", "org",
		       trust_store_org(c->trust), "root_key_id", root, "to", "org", to_org, "root_key_id", to, "assets",
		       assets, "approver", flow_signer_json(approver));
	if (ho && q->approval_ref)
		json_object_set_new(ho, "approval_reference", json_string(q->approval_ref));
	if (ho && parent)
		json_object_set_new(ho, "parent", json_pack("{s:s,s:s}", "id", jstr(parent, "id") ?: "?", "sha256", psha));
	if (ho && q->sub_approval.data) {
		char sa[65];

		flow_sha256_hex(q->sub_approval.data, q->sub_approval.len, sa);
		json_object_set_new(ho, "subcontract_approval", json_pack("{s:s}", "sha256", sa));
	}
	if (!ho) {
		r = flow_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = sign_doc(TRUST_DOC_HANDOVER, ho, approver, &canon, &clen, &sig, err);
	if (r >= 0)
		r = custody_dir(c, err);
	if (r >= 0)
		r = write_signed(c, id, ".json", canon, clen, sig, err);
	if (r >= 0 && q->sub_approval.data)
		r = write_signed(c, id, ".subcontract-approval.json", (const char *)q->sub_approval.data,
				 q->sub_approval.len, (const char *)q->sub_approval.sig, err);
	if (r < 0)
		goto out;
	if (c->ledger && !parent) {
		char sha[65];

		flow_sha256_hex(canon, clen, sha);
		r = flow_ledger_signer(c, approver, err);
		for (size_t i = 0; r >= 0 && i < q->n_assets; i++) {
			_cleanup_free_ char *why = NULL;

			if (asprintf(&why, "hand-over list %s to %s signed by %s (sha256 %s): awaiting the contractor's receipt",
				     id, to_org, trust_seckey_name(approver), sha) < 0) {
				r = flow_fail(err, -ENOMEM, "out of memory");
				break;
			}
			r = ledger_asset_note(c->ledger, q->assets[i], trust_seckey_name(approver), why, NULL);
			if (r < 0)
				r = flow_fail(err, r, "asset %s: the ledger note failed: %s", q->assets[i], strerror(-r));
		}
		if (r < 0)
			goto out;
	}
	ret->id = TAKE_PTR(id);
	ret->path = custody_path(c, ret->id, ".json");
	ret->to = strdup(to_org);
	ret->n_assets = q->n_assets;
	r = 0;
out:
	json_decref(ho);
	json_decref(assets);
	json_decref(parent);
	return r;
}

void flow_handover_release(struct flow_handover *h)
{
	if (!h)
		return;
	free(h->id);
	free(h->path);
	free(h->to);
	free(h->receipt_path);
	memset(h, 0, sizeof(*h));
}

/* ---- the contractor receives ---- */

/* A received asset in the contractor's own ledger: added (as the owner
 * described it) or, when there, the same disk. */
static int take_in(const struct flow_ctx *c, const json_t *entry, const char *ho_id, const char *from,
		   const struct trust_seckey *k, struct flow_error *err)
{
	const char *id = jstr(entry, "asset_id"), *key;
	struct ledger_asset a = { 0 }, have = { 0 };
	_cleanup_free_ char *why = NULL, *reason = NULL;
	json_t *v;
	int r = 0;

	if (!id)
		return flow_fail(err, -EBADMSG, "hand-over list %s: an asset without an ID", ho_id);
	r = ledger_asset_get(c->ledger, id, &have);
	if (r >= 0) {
		r = ledger_identity_check(&have, jstr(entry, "serial"), jstr(entry, "wwn"), &why);
		ledger_asset_clear(&have);
		return r == LEDGER_IDENTITY_MATCH ? 0 :
		       flow_fail(err, -EPERM, "asset %s: our ledger has another disk under this ID: %s", id, why ?: "?");
	}
	json_object_foreach((json_t *)entry, key, v) {
		enum ledger_field f;

		if (json_is_string(v) && ledger_field_from_header(key, &f) == 0 &&
		    (r = ledger_asset_set(&a, f, json_string_value(v))) < 0)
			break;
	}
	if (r >= 0 || r == -ENOENT)
		r = ledger_asset_set(&a, LEDGER_F_STATUS, "awaiting-erasure");
	if (r >= 0 && asprintf(&reason, "received from %s under hand-over list %s", from, ho_id) < 0)
		r = -ENOMEM;
	if (r >= 0)
		r = ledger_asset_add(c->ledger, &a, trust_seckey_name(k), reason, NULL);
	ledger_asset_clear(&a);
	return r < 0 ? flow_fail(err, r, "asset %s: cannot add it to our ledger: %s", id, strerror(-r)) : 0;
}

int flow_receive(const struct flow_ctx *c, const struct flow_doc *ho_doc, const struct trust_seckey *receiver,
		 struct flow_handover *ret, struct flow_error *err)
{
	_cleanup_free_ char *canon = NULL, *sig = NULL;
	json_t *ho = NULL, *rc = NULL, *ids = NULL;
	char sha[65], now[32], root[TRUST_KEYID_STRLEN];
	const char *id, *to_root, *from;
	const json_t *a;
	size_t clen, i;
	int r = 0;

	if (!c->trust)
		return flow_fail(err, -EINVAL, "a trust directory is needed (--trust)");
	if (!trust_role_may_sign(trust_seckey_role(receiver), TRUST_DOC_RECEIPT))
		return flow_fail(err, -EPERM, "a %s key may not sign a receipt (a contractor's)",
				 trust_role_to_string(trust_seckey_role(receiver)));
	if (canon_parse((const char *)ho_doc->data, ho_doc->len, &ho) < 0 || !streq(jstr(ho, "type") ?: "", "handover") ||
	    !streq(jstr(ho, "schema") ?: "", CERT_HANDOVER_SCHEMA) || !(id = jstr(ho, "id"))) {
		r = flow_fail(err, -EBADMSG, "not a hand-over list (%s)", CERT_HANDOVER_SCHEMA);
		goto out;
	}
	to_root = jstr(json_object_get(ho, "to"), "root_key_id");
	from = jstr(json_object_get(ho, "from"), "org") ?: "?";
	kid(trust_store_root(c->trust), root);
	if (!to_root || strcasecmp(to_root, root) != 0 ||
	    !streq(jstr(json_object_get(ho, "to"), "org") ?: "", trust_seckey_org(receiver) ?: "")) {
		r = flow_fail(err, -EPERM, "hand-over list %s is for %s (root key %s), not for us (%s, %s)", id,
			      jstr(json_object_get(ho, "to"), "org") ?: "-", to_root ?: "-", trust_seckey_org(receiver), root);
		goto out;
	}
	flow_sha256_hex(ho_doc->data, ho_doc->len, sha);
	format_utc(time(NULL), now, sizeof(now));
	ids = json_array();
	json_array_foreach(json_object_get(ho, "assets"), i, a)
		json_array_append_new(ids, json_string(jstr(a, "asset_id") ?: "?"));
	rc = json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:I,s:O,s:o}", "type", "receipt", "schema", CERT_RECEIPT_SCHEMA,
		       "handover", "id", id, "sha256", sha, "received_at", now, "count", (json_int_t)json_array_size(ids),
		       "assets", ids, "receiver", flow_signer_json(receiver));
	if (!rc) {
		r = flow_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (c->ledger)
		r = flow_ledger_signer(c, receiver, err);
	for (i = 0; c->ledger && r >= 0 && i < json_array_size(json_object_get(ho, "assets")); i++)
		r = take_in(c, json_array_get(json_object_get(ho, "assets"), i), id, from, receiver, err);
	if (r >= 0)
		r = sign_doc(TRUST_DOC_RECEIPT, rc, receiver, &canon, &clen, &sig, err);
	if (r >= 0)
		r = custody_dir(c, err);
	if (r >= 0)
		r = write_signed(c, id, ".json", (const char *)ho_doc->data, ho_doc->len, (const char *)ho_doc->sig, err);
	if (r >= 0)
		r = write_signed(c, id, ".receipt.json", canon, clen, sig, err);
	if (r < 0)
		goto out;
	ret->id = strdup(id);
	ret->path = custody_path(c, id, ".json");
	ret->receipt_path = custody_path(c, id, ".receipt.json");
	ret->to = strdup(from);
	ret->n_assets = json_array_size(ids);
	r = 0;
out:
	json_decref(ho);
	json_decref(rc);
	json_decref(ids);
	return r;
}

/* ---- the owner records both signatures ---- */

struct signed_json {
	json_t *j;
	struct trust_result tr;
	char sha[65];
};

static int verify_doc(const struct flow_ctx *c, enum trust_doc doc, const struct flow_doc *d, const char *what,
		      struct signed_json *ret, struct flow_error *err)
{
	int r;

	if (!d->data || !d->sig)
		return flow_fail(err, -EPERM, "the %s is not signed (no .minisig beside it)", what);
	r = trust_verify(c->trust, doc, d->data, d->len, (const char *)d->sig, d->sig_len, &ret->tr);
	if (r < 0)
		return flow_fail(err, r, "cannot verify the %s: %s", what, strerror(-r));
	if (ret->tr.verdict != TRUST_OK)
		return flow_fail(err, -EPERM, "the %s's signature (key %s) does not verify: %s", what, ret->tr.keyid,
				 trust_verdict_string(ret->tr.verdict));
	if (canon_parse((const char *)d->data, d->len, &ret->j) < 0)
		return flow_fail(err, -EBADMSG, "the %s is not canonical JSON", what);
	flow_sha256_hex(d->data, d->len, ret->sha);
	return 0;
}

/* The receipt: signed by the contractor the list names (a key of the
 * organisation whose root the list pins), about this very list. */
static int check_receipt(const struct flow_ctx *c, const struct signed_json *ho, const struct signed_json *rc,
			 struct flow_error *err)
{
	const json_t *to = json_object_get(ho->j, "to");
	uint8_t rk[TRUST_KEYID_BYTES];
	const char *pinned = NULL;

	if (!streq(jstr(json_object_get(rc->j, "handover"), "sha256") ?: "", ho->sha))
		return flow_fail(err, -EPERM, "the receipt is of another hand-over list (not sha256 %.16s...)", ho->sha);
	if (jstr(to, "root_key_id") && trust_keyid_parse(jstr(to, "root_key_id"), rk) == 0)
		pinned = trust_store_contractor(c->trust, rk);
	if (!pinned || !streq(pinned, jstr(to, "org") ?: ""))
		return flow_fail(err, -EPERM, "hand-over list %s names contractor %s with root key %s, which our roster does "
				 "not pin", jstr(ho->j, "id"), jstr(to, "org") ?: "-", jstr(to, "root_key_id") ?: "-");
	if (!streq(rc->tr.claim.org, pinned))
		return flow_fail(err, -EPERM, "the receipt is signed by %s of %s, not by a key of %s, whom the list "
				 "hands the assets to", rc->tr.claim.name, rc->tr.claim.org, pinned);
	return 0;
}

/* A later tier: its parent was recorded here, handed to the organisation
 * that now hands on; the owner approved this sub-contractor before. */
static int check_tier(const struct flow_ctx *c, const struct signed_json *ho, struct flow_error *err)
{
	const json_t *parent = json_object_get(ho->j, "parent");
	const char *pid = jstr(parent, "id");
	_cleanup_free_ char *pp = NULL, *rec = NULL, *sap = NULL;
	_cleanup_free_ uint8_t *pd = NULL, *psig = NULL, *sd = NULL, *ssig = NULL;
	struct signed_json p = { 0 }, sa = { 0 };
	size_t pl = 0, psl = 0, sl = 0, ssl = 0;
	time_t approved = 0, issued = 0;
	char psha[65];
	int r;

	pp = custody_path(c, pid, ".json");
	rec = custody_path(c, pid, ".recorded");
	if (!pp || !rec || read_signed(pp, &pd, &pl, &psig, &psl) < 0 || access(rec, F_OK) < 0)
		return flow_fail(err, -EPERM, "tier %lld: its parent hand-over list %s is not one recorded here",
				 (long long)json_integer_value(json_object_get(ho->j, "tier")), pid ?: "(none)");
	flow_sha256_hex(pd, pl, psha);
	if (!streq(jstr(parent, "sha256") ?: "", psha))
		return flow_fail(err, -EPERM, "hand-over list %s names parent %s by another SHA-256 than ours", jstr(ho->j, "id"),
				 pid);
	if (canon_parse((const char *)pd, pl, &p.j) < 0)
		return flow_fail(err, -EBADMSG, "%s: not canonical JSON", pp);
	r = 0;
	if (!streq(jstr(json_object_get(p.j, "to"), "org") ?: "", ho->tr.claim.org) ||
	    !streq(jstr(json_object_get(ho->j, "from"), "org") ?: "", ho->tr.claim.org))
		r = flow_fail(err, -EPERM, "hand-over list %s is signed by %s of %s, but %s was handed to %s",
			      jstr(ho->j, "id"), ho->tr.claim.name, ho->tr.claim.org, pid,
			      jstr(json_object_get(p.j, "to"), "org") ?: "-");
	for (size_t i = 0; r >= 0 && i < json_array_size(json_object_get(ho->j, "assets")); i++) {
		const char *aid = jstr(json_array_get(json_object_get(ho->j, "assets"), i), "asset_id") ?: "?";

		if (!find_asset(p.j, aid))
			r = flow_fail(err, -EPERM, "asset %s is not on the parent hand-over list %s", aid, pid);
	}
	/* the owner's approval of this sub-contractor, made before */
	if (r >= 0 && (asprintf(&sap, "%s/custody/SA-%s-%s.json", flow_state_dir(c), pid,
				jstr(json_object_get(ho->j, "to"), "root_key_id") ?: "-") < 0 ||
		       read_signed(sap, &sd, &sl, &ssig, &ssl) < 0))
		r = flow_fail(err, -EPERM, "sub-contracting to %s (tier %lld) was not approved by us beforehand "
			      "(wipecert custody approve-subcontract)", jstr(json_object_get(ho->j, "to"), "org") ?: "-",
			      (long long)json_integer_value(json_object_get(ho->j, "tier")));
	if (r >= 0) {
		struct flow_doc d = { sd, ssig, sl, ssl };

		r = verify_doc(c, TRUST_DOC_APPROVAL, &d, "sub-contracting approval", &sa, err);
	}
	if (r >= 0 && (parse_time(jstr(sa.j, "decided_at") ?: "", &approved) < 0 ||
		       parse_time(jstr(ho->j, "issued_at") ?: "", &issued) < 0 || approved > issued ||
		       !streq(sa.tr.claim.org, trust_store_org(c->trust))))
		r = flow_fail(err, -EPERM, "the approval of sub-contractor %s is not ours, or came after the hand-over "
			      "list %s", jstr(json_object_get(ho->j, "to"), "org") ?: "-", jstr(ho->j, "id"));
	json_decref(p.j);
	json_decref(sa.j);
	return r;
}

/* Each asset of a first-tier list: still ours to hand over, the disk the
 * list describes. */
static int check_assets(const struct flow_ctx *c, const struct signed_json *ho, struct flow_error *err)
{
	const json_t *e;
	size_t i;

	if (json_array_size(json_object_get(ho->j, "assets")) == 0)
		return flow_fail(err, -EBADMSG, "hand-over list %s names no asset", jstr(ho->j, "id"));
	json_array_foreach(json_object_get(ho->j, "assets"), i, e) {
		struct ledger_asset a = { 0 };
		_cleanup_free_ char *why = NULL;
		const char *id = jstr(e, "asset_id") ?: "?";
		int r = check_leaving(c, id, &a, err);

		if (r >= 0 && ledger_identity_check(&a, jstr(e, "serial"), jstr(e, "wwn"), &why) != LEDGER_IDENTITY_MATCH)
			r = flow_fail(err, -EPERM, "asset %s: the hand-over list describes another disk: %s", id, why ?: "?");
		ledger_asset_clear(&a);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Tier 1: the status handed-to-contractor is a change the policy depends
 * on (the disk leaves the house): the ledger records it as a request by
 * who records, and an approver (another person) approves it, now when
 * approver is given, else later (`ledger approve-change`). A later tier
 * notes who holds the disk now. */
static int record_in_ledger(const struct flow_ctx *c, const struct signed_json *ho, const struct signed_json *rc,
			    const struct trust_seckey *actor, const struct trust_seckey *approver, const char *recpath,
			    struct flow_error *err)
{
	const bool tier1 = !json_object_get(ho->j, "parent");
	const json_t *e, *assets = json_object_get(ho->j, "assets");
	_cleanup_free_ uint64_t *req = calloc(json_array_size(assets) + 1, sizeof(*req));
	size_t i;
	int r;

	if (!req)
		return flow_fail(err, -ENOMEM, "out of memory");
	r = flow_ledger_signer(c, actor, err);
	if (r < 0)
		return r;
	json_array_foreach(assets, i, e) {
		const char *id = jstr(e, "asset_id");
		struct ledger_asset a = { 0 };
		_cleanup_free_ char *why = NULL;

		if (asprintf(&why, "%s %s under hand-over list %s (sha256 %s), tier %lld, signed by %s; receipt sha256 %s "
			     "signed by %s", tier1 ? "handed to" : "handed on to", jstr(json_object_get(ho->j, "to"), "org"),
			     jstr(ho->j, "id"), ho->sha, (long long)json_integer_value(json_object_get(ho->j, "tier")),
			     ho->tr.claim.name, rc->sha, rc->tr.claim.name) < 0)
			return flow_fail(err, -ENOMEM, "out of memory");
		r = ledger_asset_get(c->ledger, id, &a);
		if (r >= 0 && tier1)
			r = ledger_asset_set(&a, LEDGER_F_STATUS, "handed-to-contractor");
		if (r >= 0 && tier1)
			r = ledger_asset_update(c->ledger, &a, trust_seckey_name(actor), why, &req[i]);
		else if (r >= 0)
			r = ledger_asset_note(c->ledger, id, trust_seckey_name(actor), why, NULL);
		ledger_asset_clear(&a);
		if (r < 0)
			return flow_fail(err, r, "asset %s: the ledger event failed: %s", id, strerror(-r));
	}
	/* recorded: the approval of the status may follow here or later */
	{
		char now[32];

		format_utc(time(NULL), now, sizeof(now));
		r = write_file_atomic(recpath, now, strlen(now), 0644, false);
		if (r < 0)
			return flow_fail(err, r, "%s: cannot write: %s", recpath, strerror(-r));
	}
	if (!tier1 || !approver)
		return 0;
	r = flow_ledger_signer(c, approver, err);
	for (i = 0; r >= 0 && i < json_array_size(assets); i++) {
		struct ledger_change_result res = { 0 };
		_cleanup_free_ char *why = NULL;

		if (asprintf(&why, "hand-over list %s recorded with its receipt", jstr(ho->j, "id")) < 0)
			return flow_fail(err, -ENOMEM, "out of memory");
		r = ledger_change_approve(c->ledger, c->trust, req[i], why, &res, NULL);
		if (r < 0)
			r = flow_fail(err, r == -ENOMEM ? r : -EPERM, "asset %s: the hand-over is recorded, but its approval "
				      "failed: %s", jstr(json_array_get(assets, i), "asset_id"), res.detail);
	}
	return r;
}

int flow_custody_record(const struct flow_ctx *c, const struct flow_doc *ho_doc, const struct flow_doc *rc_doc,
			const struct trust_seckey *actor, const struct trust_seckey *approver, struct flow_handover *ret,
			struct flow_error *err)
{
	struct signed_json ho = { 0 }, rc = { 0 };
	struct policy fallback = { 0 };
	const struct policy *pol = c->policy;
	_cleanup_free_ char *recpath = NULL, *wpath = NULL;
	const char *id = NULL;
	int r;

	if (!c->trust || !c->ledger || !actor)
		return flow_fail(err, -EINVAL, "the trust directory, the ledger and the key of who records are needed "
				 "(--trust, --db, --key)");
	r = verify_doc(c, TRUST_DOC_HANDOVER, ho_doc, "hand-over list", &ho, err);
	if (r >= 0 && (!streq(jstr(ho.j, "type") ?: "", "handover") || !(id = jstr(ho.j, "id")) ||
		       !(recpath = custody_path(c, id, ".recorded"))))
		r = flow_fail(err, -EBADMSG, "not a hand-over list (%s)", CERT_HANDOVER_SCHEMA);
	if (r >= 0 && access(recpath, F_OK) == 0)
		r = flow_fail(err, -EEXIST, "hand-over list %s is recorded already", id);
	if (r >= 0)
		r = verify_doc(c, TRUST_DOC_RECEIPT, rc_doc, "receipt", &rc, err);
	if (r >= 0)
		r = check_receipt(c, &ho, &rc, err);
	if (r >= 0 && json_object_get(ho.j, "parent"))
		r = check_tier(c, &ho, err);
	else if (r >= 0) {
		if (!streq(ho.tr.claim.org, trust_store_org(c->trust)) ||
		    !streq(jstr(json_object_get(ho.j, "from"), "org") ?: "", trust_store_org(c->trust)))
			r = flow_fail(err, -EPERM, "hand-over list %s is signed by %s of %s: a first hand-over is our approver's",
				      id, ho.tr.claim.name, ho.tr.claim.org);
		if (r >= 0)
			r = check_assets(c, &ho, err);
	}
	/* 搬出: a policy may want a witness of the hand-over */
	if (r >= 0 && !pol && policy_default(&fallback) >= 0)
		pol = &fallback;
	if (r >= 0 && pol && (pol->witness_kinds & WITNESS_HANDOVER)) {
		wpath = custody_path(c, id, ".witness.json");
		if (!wpath || access(wpath, F_OK) < 0)
			r = flow_fail(err, -EPERM, "hand-over list %s: the policy (%s) requires a witness of the hand-over "
				      "(custody handover --witness-key)", id, pol->source);
	}
	if (r >= 0)
		r = custody_dir(c, err);
	if (r >= 0)
		r = write_signed(c, id, ".json", (const char *)ho_doc->data, ho_doc->len, (const char *)ho_doc->sig, err);
	if (r >= 0)
		r = write_signed(c, id, ".receipt.json", (const char *)rc_doc->data, rc_doc->len, (const char *)rc_doc->sig,
				 err);
	if (r >= 0)
		r = record_in_ledger(c, &ho, &rc, actor, approver, recpath, err);
	if (r >= 0) {
		ret->id = strdup(id);
		ret->path = custody_path(c, id, ".json");
		ret->to = strdup(jstr(json_object_get(ho.j, "to"), "org") ?: "?");
		ret->n_assets = json_array_size(json_object_get(ho.j, "assets"));
		ret->tier = (int)json_integer_value(json_object_get(ho.j, "tier"));
	}
	json_decref(ho.j);
	json_decref(rc.j);
	policy_release(&fallback);
	return r < 0 ? r : 0;
}

int flow_custody_witness(const struct flow_ctx *c, const char *ho_id, const struct trust_seckey *witness,
			 struct flow_error *err)
{
	_cleanup_free_ char *hp = custody_path(c, ho_id, ".json"), *st = NULL, *sig = NULL;
	_cleanup_free_ uint8_t *hd = NULL;
	size_t hl;
	int r;

	if (!hp || read_full_file(hp, &hd, &hl) < 0)
		return flow_fail(err, -ENOENT, "hand-over list %s is not here (%s)", ho_id ?: "-", hp ?: "?");
	r = flow_witness_sign(hd, hl, "handover", ho_id, NULL, witness, 0, &st, &sig, err);
	if (r >= 0)
		r = write_signed(c, ho_id, ".witness.json", st, strlen(st), sig, err);
	return r;
}

/* ---- the owner approves a sub-contractor beforehand ---- */

int flow_approve_subcontract(const struct flow_ctx *c, const char *ho_id, const struct trust_pubkey *sub_root,
			     const struct trust_seckey *approver, char **ret_path, struct flow_error *err)
{
	_cleanup_free_ char *hp = custody_path(c, ho_id, ".json"), *rec = custody_path(c, ho_id, ".recorded");
	_cleanup_free_ char *canon = NULL, *sig = NULL, *name = NULL;
	_cleanup_free_ uint8_t *hd = NULL;
	char sha[65], skid[TRUST_KEYID_STRLEN], now[32];
	const char *sub_org;
	json_t *doc;
	size_t hl, clen;
	int r;

	if (!c->trust)
		return flow_fail(err, -EINVAL, "a trust directory is needed (--trust)");
	if (!trust_role_may_sign(trust_seckey_role(approver), TRUST_DOC_APPROVAL) ||
	    trust_seckey_role(approver) != TRUST_ROLE_APPROVER)
		return flow_fail(err, -EPERM, "sub-contracting is approved by the owner's approver, not a %s",
				 trust_role_to_string(trust_seckey_role(approver)));
	if (!hp || !rec || read_full_file(hp, &hd, &hl) < 0 || access(rec, F_OK) < 0)
		return flow_fail(err, -ENOENT, "hand-over list %s is not recorded here", ho_id);
	kid(sub_root, skid);
	sub_org = trust_store_contractor(c->trust, sub_root->keyid);
	if (!sub_org)
		return flow_fail(err, -EPERM, "sub-contractor root key %s is not pinned (trust pin): its certificates could "
				 "not be checked", skid);
	flow_sha256_hex(hd, hl, sha);
	format_utc(time(NULL), now, sizeof(now));
	doc = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s},s:s,s:o}", "type", "approval", "decision",
			"subcontract-approved", "handover", "id", ho_id, "sha256", sha, "subcontractor", "org", sub_org,
			"root_key_id", skid, "decided_at", now, "approver", flow_signer_json(approver));
	if (!doc)
		return flow_fail(err, -ENOMEM, "out of memory");
	r = sign_doc(TRUST_DOC_APPROVAL, doc, approver, &canon, &clen, &sig, err);
	json_decref(doc);
	if (r >= 0 && asprintf(&name, "SA-%s-%s", ho_id, skid) < 0)
		r = flow_fail(err, -ENOMEM, "out of memory");
	if (r >= 0)
		r = write_signed(c, name, ".json", canon, clen, sig, err);
	if (r >= 0 && ret_path)
		*ret_path = custody_path(c, name, ".json");
	return r;
}

/* ---- a contractor's certificate names the list it holds the disk under ---- */

int flow_custody_find(const struct flow_ctx *c, const char *asset_id, const struct trust_seckey *approver,
		      struct flow_custody_docs *ret)
{
	_cleanup_free_ char *dir = NULL;
	DIR *d;
	struct dirent *de;
	int r = -ENOENT;

	if (trust_seckey_role(approver) != TRUST_ROLE_CONTRACTOR_APPROVER || !asset_id ||
	    asprintf(&dir, "%s/custody", flow_state_dir(c)) < 0 || !(d = opendir(dir)))
		return -ENOENT;
	while (r == -ENOENT && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		_cleanup_free_ char *id = NULL, *hp = NULL, *rp = NULL;
		struct flow_custody_docs x = { 0 };
		json_t *ho = NULL;

		if (strncmp(de->d_name, "HO-", 3) != 0 || l < 9 || strcmp(de->d_name + l - 5, ".json") != 0 ||
		    strstr(de->d_name, ".receipt.") || strstr(de->d_name, ".witness.") || strstr(de->d_name, ".subcontract"))
			continue;
		id = strndup(de->d_name, l - 5);
		hp = custody_path(c, id, ".json");
		rp = custody_path(c, id, ".receipt.json");
		if (!hp || !rp || read_signed(hp, &x.ho, &x.ho_len, &x.ho_sig, &x.ho_sig_len) < 0 ||
		    read_signed(rp, &x.rc, &x.rc_len, &x.rc_sig, &x.rc_sig_len) < 0 ||
		    canon_parse((const char *)x.ho, x.ho_len, &ho) < 0 || !find_asset(ho, asset_id) ||
		    !streq(jstr(json_object_get(ho, "to"), "org") ?: "", trust_seckey_org(approver) ?: "")) {
			json_decref(ho);
			flow_custody_docs_release(&x);
			continue;
		}
		json_decref(ho);
		*ret = x;
		r = 0;
	}
	closedir(d);
	return r;
}

int flow_custody_for(const struct flow_ctx *c, const char *asset_id, const struct trust_seckey *approver,
		     struct flow_issue_request *q, struct flow_custody_docs *docs)
{
	if (flow_custody_find(c, asset_id, approver, docs) < 0)
		return 0;
	q->handover = (struct flow_doc){ docs->ho, docs->ho_sig, docs->ho_len, docs->ho_sig_len };
	q->receipt = (struct flow_doc){ docs->rc, docs->rc_sig, docs->rc_len, docs->rc_sig_len };
	return 0;
}

/* Recorded here, with its receipt, to this organisation: what accept asks
 * of a contractor's certificate's hand-over list. NULL or why not. */
int flow_custody_recorded(const struct flow_ctx *c, const char *id, const char *sha256, char *why, size_t len)
{
	_cleanup_free_ char *hp = custody_path(c, id, ".json"), *rec = custody_path(c, id, ".recorded");
	_cleanup_free_ uint8_t *hd = NULL;
	char h[65];
	size_t hl;

	if (!hp || !rec || read_full_file(hp, &hd, &hl) < 0 || access(rec, F_OK) < 0) {
		snprintf(why, len, "hand-over list %s was never recorded here with its receipt (custody record)", id ?: "-");
		return -ENOENT;
	}
	flow_sha256_hex(hd, hl, h);
	if (!sha256 || !streq(h, sha256)) {
		snprintf(why, len, "the certificate names hand-over list %s by another SHA-256 than the one recorded here", id);
		return -EPERM;
	}
	return 0;
}

/* ---- what is out ---- */

static void item_release(struct flow_custody_item *it)
{
	free(it->asset_id);
	free(it->serial);
	free(it->handover_id);
	free(it->holder);
	free(it->state);
	free(it->since);
}

void flow_custody_list_release(struct flow_custody_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		item_release(&v[i]);
	free(v);
}

static int add_item(struct flow_custody_item **v, size_t *n, const json_t *ho, const json_t *asset, const char *state,
		    const char *since)
{
	struct flow_custody_item *nv = realloc(*v, (*n + 1) * sizeof(**v)), *it;
	time_t t = 0;

	if (!nv)
		return -ENOMEM;
	*v = nv;
	it = &nv[(*n)++];
	memset(it, 0, sizeof(*it));
	it->asset_id = strdup(jstr(asset, "asset_id") ?: "?");
	it->serial = jstr(asset, "serial") ? strdup(jstr(asset, "serial")) : NULL;
	it->handover_id = strdup(jstr(ho, "id") ?: "?");
	it->holder = strdup(jstr(json_object_get(ho, "to"), "org") ?: "?");
	it->tier = (int)json_integer_value(json_object_get(ho, "tier"));
	it->state = strdup(state);
	it->since = strdup(since ?: "");
	if (since && parse_time(since, &t) == 0 && time(NULL) > t)
		it->age_days = (double)(time(NULL) - t) / 86400.0;
	return it->asset_id && it->handover_id && it->holder && it->state && it->since ? 0 : -ENOMEM;
}

/* A later tier that holds the asset now replaces the row of the tier above. */
static void supersede(struct flow_custody_item *v, size_t n, const json_t *ho, const json_t *asset)
{
	const char *pid = jstr(json_object_get(ho, "parent"), "id");

	for (size_t i = 0; pid && i < n; i++)
		if (streq(v[i].handover_id, pid) && streq(v[i].asset_id, jstr(asset, "asset_id") ?: ""))
			v[i].passed_on = true;
}

int flow_custody_list(const struct flow_ctx *c, struct flow_custody_item **ret, size_t *ret_n, struct flow_error *err)
{
	_cleanup_free_ char *dir = NULL;
	struct flow_custody_item *v = NULL;
	struct dirent **names = NULL;
	size_t n = 0;
	int k, r = 0;

	if (!c->ledger)
		return flow_fail(err, -EINVAL, "the ledger is needed (--db)");
	if (asprintf(&dir, "%s/custody", flow_state_dir(c)) < 0)
		return flow_fail(err, -ENOMEM, "out of memory");
	k = scandir(dir, &names, NULL, alphasort);
	if (k < 0 && errno != ENOENT)
		return flow_fail(err, -errno, "%s: cannot read: %m", dir);
	/* tiers in order: a tier's parent was recorded (and is listed) first */
	for (int pass = 1; pass <= 8; pass++)
		for (int i = 0; r >= 0 && i < k; i++) {
			const char *fn = names[i]->d_name;
			size_t l = strlen(fn);
			_cleanup_free_ char *id = NULL, *hp = NULL, *rp = NULL, *recp = NULL;
			_cleanup_free_ uint8_t *hd = NULL, *rd = NULL;
			size_t hl, rl;
			json_t *ho = NULL, *rc = NULL;
			const json_t *a;
			size_t j;
			bool recorded;

			if (strncmp(fn, "HO-", 3) != 0 || l < 9 || strcmp(fn + l - 5, ".json") != 0 || strchr(fn, '.') != fn + l - 5)
				continue;
			id = strndup(fn, l - 5);
			hp = custody_path(c, id, ".json");
			rp = custody_path(c, id, ".receipt.json");
			recp = custody_path(c, id, ".recorded");
			if (!hp || !rp || !recp || read_full_file(hp, &hd, &hl) < 0 || canon_parse((const char *)hd, hl, &ho) < 0)
				continue;
			if (json_integer_value(json_object_get(ho, "tier")) != pass) {
				json_decref(ho);
				continue;
			}
			recorded = access(recp, F_OK) == 0;
			if (read_full_file(rp, &rd, &rl) >= 0)
				canon_parse((const char *)rd, rl, &rc);
			json_array_foreach(json_object_get(ho, "assets"), j, a) {
				struct ledger_asset la = { 0 };
				const char *st = NULL;

				if (ledger_asset_get(c->ledger, jstr(a, "asset_id") ?: "", &la) >= 0)
					st = ledger_asset_value(&la, LEDGER_F_STATUS);
				if (!recorded && pass == 1)
					r = add_item(&v, &n, ho, a, "awaiting-receipt", jstr(ho, "issued_at"));
				else if (recorded && st && streq(st, "handed-to-contractor")) {
					supersede(v, n, ho, a);
					r = add_item(&v, &n, ho, a, "handed-over", jstr(rc, "received_at"));
				} else if (recorded && pass == 1 && st && !streq(st, "disposed") && !streq(st, "destroyed"))
					/* the status change waits for an approver */
					r = add_item(&v, &n, ho, a, "awaiting-approval", jstr(rc, "received_at"));
				ledger_asset_clear(&la);
				if (r < 0)
					break;
			}
			json_decref(ho);
			json_decref(rc);
		}
	for (int i = 0; i < k; i++)
		free(names[i]);
	free(names);
	if (r < 0) {
		flow_custody_list_release(v, n);
		return flow_fail(err, r, "out of memory");
	}
	/* keep the tier that holds each asset now */
	{
		size_t w = 0;

		for (size_t i = 0; i < n; i++) {
			if (v[i].passed_on)
				item_release(&v[i]);
			else
				v[w++] = v[i];
		}
		n = w;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
