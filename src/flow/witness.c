/* witness.c - a witness's own signature on what they saw done: a
 * statement naming a wipe record, a destruction record or a hand-over list
 * by SHA-256, signed with the witness's key (role "witness"), kept beside
 * the case and attached to its certificate (see flow.h).
 *
 * Never prints. A witness is a third person: never the technician who
 * signed the record, never one who signed it twice.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "wipecert/canon.h"
#include "wipecert/cert.h"
#include "wipecert/flow.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *const statements[] = {
	[0] = "上記のデータ消去に立ち会い、確認しました。 I witnessed the erasure this record states.",
	[1] = "上記の物理的破壊に立ち会い、確認しました。 I witnessed the physical destruction this record states.",
	[2] = "上記の資産の引渡しに立ち会い、確認しました。 I witnessed the hand-over of the assets this list names.",
};

int flow_witness_sign(const uint8_t *doc, size_t len, const char *kind, const char *id, const char *subject,
		      const struct trust_seckey *witness, time_t when, char **ret_json, char **ret_sig,
		      struct flow_error *err)
{
	_cleanup_free_ char *canon = NULL, *sig = NULL;
	char sha[65], now[32];
	json_t *st, *d = NULL;
	size_t clen;
	int r, which;

	if (trust_seckey_role(witness) != TRUST_ROLE_WITNESS)
		return flow_fail(err, -EPERM, "a %s key may not sign as a witness (the roster's witness role)",
				 trust_role_to_string(trust_seckey_role(witness)));
	which = streq(kind, "erasure") ? 0 : streq(kind, "destruction") ? 1 : streq(kind, "handover") ? 2 : -1;
	if (which < 0)
		return flow_fail(err, -EINVAL, "%s: not a kind of work a witness signs for", kind);
	if (canon_parse((const char *)doc, len, &d) < 0)
		return flow_fail(err, -EBADMSG, "%s: what the witness signs for is not canonical JSON", id);
	/* the technician of a record is not its witness */
	{
		const json_t *t = json_object_get(d, "technician");
		struct trust_pubkey pk;
		char kid[TRUST_KEYID_STRLEN];

		trust_seckey_pubkey(witness, &pk);
		trust_keyid_string(pk.keyid, kid);
		if (t && ((jstr(t, "key_id") && strcasecmp(jstr(t, "key_id"), kid) == 0) ||
			  (streq(jstr(t, "name") ?: "", trust_seckey_name(witness)) &&
			   streq(jstr(t, "org") ?: "", trust_seckey_org(witness) ?: "")))) {
			json_decref(d);
			return flow_fail(err, -EPERM, "%s: the witness must be another person than the technician (%s)", id,
					 trust_seckey_name(witness));
		}
	}
	flow_sha256_hex(doc, len, sha);
	if (!when)
		when = time(NULL);
	format_utc(when, now, sizeof(now));
	st = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s},s:s,s:s,s:o,s:s}", "type", "witness", "schema", CERT_WITNESS_SCHEMA,
		       "kind", kind, "record", "type", jstr(d, "type") ?: "?", "id", id, "sha256", sha, "subject",
		       subject ?: "-", "witnessed_at", now, "witness", flow_signer_json(witness), "statement",
		       statements[which]);
	json_decref(d);
	if (!st)
		return flow_fail(err, -ENOMEM, "out of memory");
	r = canon_json(st, &canon, &clen);
	json_decref(st);
	if (r < 0)
		return flow_fail(err, r, "%s: the statement is not canonical JSON: %s", id, strerror(-r));
	r = trust_sign(TRUST_DOC_WITNESS, (const uint8_t *)canon, clen, witness, when, &sig);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot sign the statement: %s", id, trust_strerror(r));
	*ret_json = TAKE_PTR(canon);
	*ret_sig = TAKE_PTR(sig);
	return 0;
}

int flow_witness(const struct flow_ctx *c, const char *id, const struct trust_seckey *witness, char **ret_path,
		 struct flow_error *err)
{
	_cleanup_free_ char *rpath = flow_path(c, id, ".wipe-record.json"), *wpath = flow_path(c, id, ".witness.json");
	_cleanup_free_ char *spath = flow_path(c, id, ".witness.json.minisig"), *st = NULL, *sig = NULL;
	_cleanup_free_ uint8_t *rec = NULL;
	_cleanup_free_ char *asset = NULL;
	json_t *j = NULL;
	const char *kind;
	size_t len;
	int r;

	if (!rpath || !wpath || !spath)
		return flow_fail(err, -EINVAL, "%s: not a case ID", id);
	r = read_full_file(rpath, &rec, &len);
	if (r < 0)
		return flow_fail(err, r, "case %s: no sealed record in %s", id, flow_state_dir(c));
	if (access(wpath, F_OK) == 0)
		return flow_fail(err, -EEXIST, "case %s is witnessed already (%s)", id, wpath);
	if (canon_parse((const char *)rec, len, &j) < 0)
		return flow_fail(err, -EBADMSG, "case %s: the record is not canonical JSON", id);
	kind = json_is_object(json_object_get(j, "destruction")) ? "destruction" : "erasure";
	if (jstr(json_object_get(j, "asset"), "asset_id"))
		asset = strdup(jstr(json_object_get(j, "asset"), "asset_id"));
	r = flow_witness_sign(rec, len, kind, id, asset, witness, 0, &st, &sig, err);
	json_decref(j);
	if (r < 0)
		return r;
	/* the signature first: a statement without one is no statement */
	r = write_file_atomic(spath, sig, strlen(sig), 0644, false);
	if (r >= 0)
		r = write_file_atomic(wpath, st, strlen(st), 0644, false);
	/* no ledger event: a witness signs no ledger events; the statement
	 * lives beside the case and in its certificate */
	if (r < 0)
		return flow_fail(err, r, "%s: cannot write: %s", wpath, strerror(-r));
	if (ret_path)
		*ret_path = TAKE_PTR(wpath);
	return 0;
}
