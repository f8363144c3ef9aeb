/* minisig.c - minisign's public key and signature formats, byte for byte,
 * plus the names of roles and document types.
 *
 * Its job: read and write what `minisign -V` checks, and check it the same
 * way. It must never accept the legacy non-prehashed "Ed" signature or an
 * unknown algorithm tag, and never check a signature without its trusted
 * comment.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "wipecert/canon.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "trust-internal.h"

static const char *const role_names[_TRUST_ROLE_MAX] = {
	[TRUST_ROLE_TECHNICIAN] = "technician",
	[TRUST_ROLE_APPROVER] = "approver",
	[TRUST_ROLE_CONTRACTOR_TECHNICIAN] = "contractor-technician",
	[TRUST_ROLE_CONTRACTOR_APPROVER] = "contractor-approver",
	[TRUST_ROLE_ORG_ROOT] = "org-root",
	[TRUST_ROLE_WITNESS] = "witness",
	[TRUST_ROLE_AUDITOR] = "auditor",
};

static const char *const doc_names[_TRUST_DOC_MAX] = {
	[TRUST_DOC_WIPE_RECORD] = "wipe-record",
	[TRUST_DOC_APPROVAL] = "approval",
	[TRUST_DOC_CERTIFICATE] = "certificate",
	[TRUST_DOC_LEDGER_EVENT] = "ledger-event",
	[TRUST_DOC_ROSTER] = "roster",
	[TRUST_DOC_REVOCATION] = "revocation",
	[TRUST_DOC_WITNESS] = "witness",
	[TRUST_DOC_HANDOVER] = "handover",
	[TRUST_DOC_RECEIPT] = "receipt",
	[TRUST_DOC_AUDIT_REPORT] = "audit-report",
	[TRUST_DOC_INSPECTION] = "inspection",
	[TRUST_DOC_LEDGER_ARCHIVE] = "ledger-archive",
};

#define R(x) (1u << TRUST_ROLE_##x)
/* who may sign what: the one table behind trust_role_may_sign() */
static const unsigned doc_roles[_TRUST_DOC_MAX] = {
	[TRUST_DOC_WIPE_RECORD] = R(TECHNICIAN) | R(CONTRACTOR_TECHNICIAN),
	[TRUST_DOC_APPROVAL] = R(APPROVER) | R(CONTRACTOR_APPROVER),
	[TRUST_DOC_CERTIFICATE] = R(APPROVER) | R(CONTRACTOR_APPROVER),
	/* a contractor signs the events of its own ledger; verify refuses a
	 * signer of another organisation than the ledger's trust store */
	[TRUST_DOC_LEDGER_EVENT] = R(TECHNICIAN) | R(APPROVER) | R(ORG_ROOT) | R(CONTRACTOR_TECHNICIAN) |
				   R(CONTRACTOR_APPROVER),
	[TRUST_DOC_ROSTER] = R(ORG_ROOT),
	[TRUST_DOC_REVOCATION] = R(ORG_ROOT),
	[TRUST_DOC_WITNESS] = R(WITNESS),
	[TRUST_DOC_HANDOVER] = R(APPROVER) | R(CONTRACTOR_APPROVER),
	[TRUST_DOC_RECEIPT] = R(CONTRACTOR_APPROVER) | R(CONTRACTOR_TECHNICIAN),
	[TRUST_DOC_AUDIT_REPORT] = R(AUDITOR),
	/* the asset manager inspects; the root may too */
	[TRUST_DOC_INSPECTION] = R(APPROVER) | R(ORG_ROOT),
	/* an archive takes events out of the ledger: who may adopt may archive */
	[TRUST_DOC_LEDGER_ARCHIVE] = R(APPROVER) | R(ORG_ROOT),
};
#undef R

const char *trust_role_to_string(enum trust_role r)
{
	return (unsigned)r < _TRUST_ROLE_MAX ? role_names[r] : NULL;
}

int trust_role_from_string(const char *s)
{
	for (int i = 0; s && i < _TRUST_ROLE_MAX; i++)
		if (streq(s, role_names[i]))
			return i;
	return -EINVAL;
}

const char *trust_doc_to_string(enum trust_doc d)
{
	return (unsigned)d < _TRUST_DOC_MAX ? doc_names[d] : NULL;
}

int trust_doc_from_string(const char *s)
{
	for (int i = 0; s && i < _TRUST_DOC_MAX; i++)
		if (streq(s, doc_names[i]))
			return i;
	return -EINVAL;
}

bool trust_role_may_sign(enum trust_role r, enum trust_doc d)
{
	if ((unsigned)r >= _TRUST_ROLE_MAX || (unsigned)d >= _TRUST_DOC_MAX)
		return false;
	return doc_roles[d] & (1u << r);
}

const char *trust_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case ENODATA: return N_("file truncated or incomplete");
	case EINVAL: return N_("malformed");
	case EPROTONOSUPPORT: return N_("unknown algorithm tag");
	case EKEYREJECTED: return N_("wrong passphrase");
	case EBADMSG: return N_("checksum or signature mismatch (file altered or damaged)");
	case EEXIST: return N_("file exists (use --force to overwrite)");
	case ENOKEY: return N_("signed by another key");
	case ESTALE: return N_("older than a signed list seen before (rollback refused)");
	case EPERM: return N_("readable by group or others: a secret key must be private (chmod 600)");
	default: return strerror(err < 0 ? -err : err);
	}
}

const char *trust_dir(const char *dir)
{
	const char *e;

	if (dir && *dir)
		return dir;
	e = getenv("WIPECERT_TRUST");
	return e && *e ? e : TRUST_DEFAULT_DIR;
}

void trust_keyid_string(const uint8_t keyid[TRUST_KEYID_BYTES], char out[TRUST_KEYID_STRLEN])
{
	static const char hx[] = "0123456789ABCDEF";

	for (int i = 0; i < TRUST_KEYID_BYTES; i++) {
		out[2 * i] = hx[keyid[TRUST_KEYID_BYTES - 1 - i] >> 4];
		out[2 * i + 1] = hx[keyid[TRUST_KEYID_BYTES - 1 - i] & 15];
	}
	out[16] = '\0';
}

int trust_keyid_parse(const char *s, uint8_t ret[TRUST_KEYID_BYTES])
{
	uint8_t be[TRUST_KEYID_BYTES];

	if (!s || strlen(s) != 16 || hex_decode(s, be, sizeof(be)) < 0)
		return -EINVAL;
	for (int i = 0; i < TRUST_KEYID_BYTES; i++)
		ret[i] = be[TRUST_KEYID_BYTES - 1 - i];
	return 0;
}

/* ---- lines and base64 ---- */

int trust_next_line(const char **p, const char *end, const char **ret, size_t *ret_len)
{
	const char *s = *p, *nl;

	if (s >= end)
		return -ENODATA;
	nl = memchr(s, '\n', (size_t)(end - s));
	*ret = s;
	*ret_len = (size_t)((nl ? nl : end) - s);
	if (*ret_len > 0 && s[*ret_len - 1] == '\r')
		(*ret_len)--;
	*p = nl ? nl + 1 : end;
	return 0;
}

int trust_b64_decode(const char *s, size_t len, uint8_t *out, size_t want)
{
	uint8_t tmp[1024];
	size_t got = 0;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return -ENODATA;
	if (len > sizeof(tmp) / 3 * 4)
		return -EINVAL;
	if (sodium_base642bin(tmp, sizeof(tmp), s, len, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return len % 4 ? -ENODATA : -EINVAL;
	if (got < want)
		return -ENODATA;
	if (got != want)
		return -EINVAL;
	memcpy(out, tmp, want);
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

char *trust_b64_encode(const uint8_t *in, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(n);

	if (s)
		sodium_bin2base64(s, n, in, len, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

static bool comment_ok(const char *c)
{
	return !strpbrk(c, "\r\n") && strlen(c) < TRUST_COMMENT_MAX;
}

/* ---- public keys ---- */

int trust_pubkey_parse(const char *text, size_t len, struct trust_pubkey *ret)
{
	const char *p = text, *end = text + len, *line;
	uint8_t raw[2 + TRUST_KEYID_BYTES + TRUST_PK_BYTES];
	size_t llen;
	int r;

	r = trust_next_line(&p, end, &line, &llen);
	if (r < 0)
		return r;
	if (llen >= strlen(TRUST_COMMENT_PREFIX) &&
	    memcmp(line, TRUST_COMMENT_PREFIX, strlen(TRUST_COMMENT_PREFIX)) == 0) {
		r = trust_next_line(&p, end, &line, &llen);
		if (r < 0)
			return r;
	}
	r = trust_b64_decode(line, llen, raw, sizeof(raw));
	if (r < 0)
		return r;
	for (; p < end; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ')
			return -EINVAL;
	if (memcmp(raw, TRUST_ALG_ED, 2) != 0)
		return -EPROTONOSUPPORT;
	memcpy(ret->keyid, raw + 2, TRUST_KEYID_BYTES);
	memcpy(ret->pk, raw + 2 + TRUST_KEYID_BYTES, TRUST_PK_BYTES);
	return 0;
}

int trust_pubkey_base64(const struct trust_pubkey *pk, char **ret)
{
	uint8_t raw[2 + TRUST_KEYID_BYTES + TRUST_PK_BYTES];
	char *s;

	memcpy(raw, TRUST_ALG_ED, 2);
	memcpy(raw + 2, pk->keyid, TRUST_KEYID_BYTES);
	memcpy(raw + 2 + TRUST_KEYID_BYTES, pk->pk, TRUST_PK_BYTES);
	s = trust_b64_encode(raw, sizeof(raw));
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int trust_pubkey_format(const struct trust_pubkey *pk, const char *comment, char **ret)
{
	_cleanup_free_ char *b64 = NULL;
	char id[TRUST_KEYID_STRLEN];
	char *s;
	int r;

	if (comment && !comment_ok(comment))
		return -EINVAL;
	r = trust_pubkey_base64(pk, &b64);
	if (r < 0)
		return r;
	trust_keyid_string(pk->keyid, id);
	if (comment)
		r = asprintf(&s, TRUST_COMMENT_PREFIX "%s\n%s\n", comment, b64);
	else
		r = asprintf(&s, TRUST_COMMENT_PREFIX "minisign public key %s\n%s\n", id, b64);
	if (r < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int trust_pubkey_load(const char *path, struct trust_pubkey *ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t len;
	int r;

	r = read_full_file(path, &data, &len);
	if (r < 0)
		return r;
	return trust_pubkey_parse((const char *)data, len, ret);
}

/* ---- signatures ---- */

void trust_sig_release(struct trust_sig *s)
{
	if (!s)
		return;
	free(s->untrusted_comment);
	free(s->trusted_comment);
	s->untrusted_comment = s->trusted_comment = NULL;
}

int trust_sig_parse(const char *text, size_t len, struct trust_sig *ret)
{
	const char *p = text, *end = text + len, *line;
	const size_t up = strlen(TRUST_COMMENT_PREFIX), tp = strlen(TRUST_TRUSTED_PREFIX);
	uint8_t raw[2 + TRUST_KEYID_BYTES + TRUST_SIG_BYTES];
	struct trust_sig s = {};
	size_t llen;
	int r;

	if (!text)
		return -EINVAL;
	r = trust_next_line(&p, end, &line, &llen);
	if (r < 0)
		return r;
	if (llen < up || memcmp(line, TRUST_COMMENT_PREFIX, up) != 0)
		return -EINVAL;
	if (llen - up >= TRUST_COMMENT_MAX)
		return -EINVAL;
	s.untrusted_comment = strndup(line + up, llen - up);
	if (!s.untrusted_comment)
		return -ENOMEM;
	r = trust_next_line(&p, end, &line, &llen);
	if (r < 0)
		goto fail;
	r = trust_b64_decode(line, llen, raw, sizeof(raw));
	if (r < 0)
		goto fail;
	r = trust_next_line(&p, end, &line, &llen);
	if (r < 0)
		goto fail;
	r = -EINVAL;
	if (llen < tp || memcmp(line, TRUST_TRUSTED_PREFIX, tp) != 0)
		goto fail;
	if (llen - tp >= TRUST_TRUSTED_COMMENT_MAX || memchr(line, '\0', llen))
		goto fail;
	s.trusted_comment = strndup(line + tp, llen - tp);
	if (!s.trusted_comment) {
		r = -ENOMEM;
		goto fail;
	}
	r = trust_next_line(&p, end, &line, &llen);
	if (r < 0)
		goto fail;
	r = trust_b64_decode(line, llen, s.global_sig, sizeof(s.global_sig));
	if (r < 0)
		goto fail;
	for (; p < end; p++)
		if (*p != '\n' && *p != '\r') {
			r = -EINVAL;
			goto fail;
		}
	if (memcmp(raw, TRUST_ALG_ED_HASHED, 2) != 0) {
		r = -EPROTONOSUPPORT;
		goto fail;
	}
	memcpy(s.keyid, raw + 2, TRUST_KEYID_BYTES);
	memcpy(s.sig, raw + 2 + TRUST_KEYID_BYTES, TRUST_SIG_BYTES);
	*ret = s;
	return 0;
fail:
	trust_sig_release(&s);
	return r;
}

int trust_sig_check(const struct trust_sig *s, const struct trust_pubkey *pk,
		    const uint8_t *msg, size_t len)
{
	uint8_t h[crypto_generichash_BYTES_MAX];
	_cleanup_free_ uint8_t *g = NULL;
	size_t tlen = strlen(s->trusted_comment);

	if (memcmp(s->keyid, pk->keyid, TRUST_KEYID_BYTES) != 0)
		return -ENOKEY;
	crypto_generichash(h, sizeof(h), msg, len, NULL, 0);
	if (crypto_sign_verify_detached(s->sig, h, sizeof(h), pk->pk) != 0)
		return -EBADMSG;
	g = malloc(TRUST_SIG_BYTES + tlen);
	if (!g)
		return -ENOMEM;
	memcpy(g, s->sig, TRUST_SIG_BYTES);
	memcpy(g + TRUST_SIG_BYTES, s->trusted_comment, tlen);
	if (crypto_sign_verify_detached(s->global_sig, g, TRUST_SIG_BYTES + tlen, pk->pk) != 0)
		return -EBADMSG;
	return 0;
}

/* The minisign signature text over msg by (keyid, sk). */
int trust_sign_with(const uint8_t keyid[TRUST_KEYID_BYTES], const uint8_t *sk,
		    const uint8_t *msg, size_t len, const char *trusted_comment,
		    const char *untrusted_comment, char **ret)
{
	uint8_t h[crypto_generichash_BYTES_MAX];
	uint8_t raw[2 + TRUST_KEYID_BYTES + TRUST_SIG_BYTES], gsig[TRUST_SIG_BYTES];
	_cleanup_free_ uint8_t *g = NULL;
	_cleanup_free_ char *b1 = NULL, *b2 = NULL;
	size_t tlen;
	char *s;

	if (!trusted_comment || !comment_ok(untrusted_comment) ||
	    strchr(trusted_comment, '\n') || strchr(trusted_comment, '\r') ||
	    strlen(trusted_comment) >= TRUST_TRUSTED_COMMENT_MAX)
		return -EINVAL;
	tlen = strlen(trusted_comment);
	crypto_generichash(h, sizeof(h), msg, len, NULL, 0);
	memcpy(raw, TRUST_ALG_ED_HASHED, 2);
	memcpy(raw + 2, keyid, TRUST_KEYID_BYTES);
	crypto_sign_detached(raw + 2 + TRUST_KEYID_BYTES, NULL, h, sizeof(h), sk);
	g = malloc(TRUST_SIG_BYTES + tlen);
	if (!g)
		return -ENOMEM;
	memcpy(g, raw + 2 + TRUST_KEYID_BYTES, TRUST_SIG_BYTES);
	memcpy(g + TRUST_SIG_BYTES, trusted_comment, tlen);
	crypto_sign_detached(gsig, NULL, g, TRUST_SIG_BYTES + tlen, sk);
	b1 = trust_b64_encode(raw, sizeof(raw));
	b2 = trust_b64_encode(gsig, sizeof(gsig));
	if (!b1 || !b2)
		return -ENOMEM;
	if (asprintf(&s, TRUST_COMMENT_PREFIX "%s\n%s\n" TRUST_TRUSTED_PREFIX "%s\n%s\n",
		     untrusted_comment, b1, trusted_comment, b2) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* ---- the trusted comment of a wipecert signature ---- */

int trust_claim_parse(const char *tc, struct trust_claim *ret)
{
	struct trust_claim c = {};
	const char *doc, *role, *org, *name, *keyid, *t;
	json_t *v = NULL;
	int r;

	if (!tc)
		return -EINVAL;
	r = canon_parse(tc, strlen(tc), &v);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	r = -EINVAL;
	if (!json_is_object(v) || json_object_size(v) != 6 ||
	    json_unpack(v, "{s:s,s:s,s:s,s:s,s:s,s:s}", "doc", &doc, "keyid", &keyid,
			"name", &name, "org", &org, "role", &role, "time", &t) != 0)
		goto out;
	r = trust_doc_from_string(doc);
	if (r < 0)
		goto out;
	c.doc = r;
	r = trust_role_from_string(role);
	if (r < 0)
		goto out;
	c.role = r;
	r = -EINVAL;
	if (strlen(org) >= sizeof(c.org) || strlen(name) >= sizeof(c.name) || strlen(keyid) != 16)
		goto out;
	strcpy(c.org, org);
	strcpy(c.name, name);
	memcpy(c.keyid, keyid, 17);
	r = parse_time(t, &c.signed_at);
	if (r < 0)
		goto out;
	/* one spelling of a time only: what trust_sign() writes */
	{
		char again[32];

		if (format_utc(c.signed_at, again, sizeof(again)) < 0 || !streq(again, t)) {
			r = -EINVAL;
			goto out;
		}
	}
	*ret = c;
	r = 0;
out:
	json_decref(v);
	return r;
}

int trust_claim_format(const struct trust_claim *c, char **ret)
{
	char t[32];
	json_t *v;
	size_t len;
	int r;

	r = format_utc(c->signed_at, t, sizeof(t));
	if (r < 0)
		return r;
	v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "doc", trust_doc_to_string(c->doc),
		      "keyid", c->keyid, "name", c->name, "org", c->org,
		      "role", trust_role_to_string(c->role), "time", t);
	if (!v)
		return -EINVAL;
	r = canon_json(v, ret, &len);
	json_decref(v);
	return r;
}
