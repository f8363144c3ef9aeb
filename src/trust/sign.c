/* sign.c - signing wipecert documents.
 *
 * Its job: a minisign signature whose trusted comment states the document
 * type, the signer's role, organisation, name and the signing time. It must
 * never hand out a signature it has not checked (verified, or for the many
 * after a verified one computed twice alike), nor sign a document whose own
 * "type" field says something else than the signature will.
 */
#include <errno.h>
#include <string.h>

#include "wipecert/canon.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "trust-internal.h"

/* A JSON object's "type" must be doc; other bytes are signed as they are. */
static int check_doc_type(enum trust_doc doc, const uint8_t *msg, size_t len)
{
	json_t *v;
	const char *t;
	int r = 0;

	if (len == 0 || msg[0] != '{')
		return 0;
	v = json_loadb((const char *)msg, len, JSON_REJECT_DUPLICATES, NULL);
	if (!v)
		return 0;
	t = json_string_value(json_object_get(v, "type"));
	if (t && !streq(t, trust_doc_to_string(doc)))
		r = -EINVAL;
	json_decref(v);
	return r;
}

/* How a signature is checked before it is handed out: verified with the
 * public key (every document), or, for the many events of one import after
 * the first, computed a second time: Ed25519 is deterministic, so a fault
 * in either computation shows as a difference, at a third of the cost. */
enum recheck { RECHECK_VERIFY, RECHECK_TWICE };

static int sign_twice(const struct trust_seckey *k, const uint8_t *msg, size_t len,
		      const char *tc, const char *uc, char **ret)
{
	_cleanup_free_ char *a = NULL, *b = NULL;
	int r;

	r = trust_sign_with(trust_seckey_keyid(k), trust_seckey_sk(k), msg, len, tc, uc, &a);
	if (r >= 0)
		r = trust_sign_with(trust_seckey_keyid(k), trust_seckey_sk(k), msg, len, tc, uc, &b);
	if (r < 0)
		return r;
	if (!streq(a, b))
		return -EIO;
	*ret = TAKE_PTR(a);
	return 0;
}

static int sign_and_check(const struct trust_seckey *k, const uint8_t *msg, size_t len,
			  const char *tc, const char *uc, char **ret)
{
	_cleanup_free_ char *text = NULL;
	struct trust_pubkey pk;
	struct trust_sig s;
	int r;

	r = trust_sign_with(trust_seckey_keyid(k), trust_seckey_sk(k), msg, len, tc, uc, &text);
	if (r < 0)
		return r;
	/* like minisign: verify what we made before anyone relies on it */
	trust_seckey_pubkey(k, &pk);
	r = trust_sig_parse(text, strlen(text), &s);
	if (r < 0)
		return r;
	r = trust_sig_check(&s, &pk, msg, len);
	trust_sig_release(&s);
	if (r < 0)
		return -EIO;
	*ret = TAKE_PTR(text);
	return 0;
}

int trust_sign_raw(const uint8_t *msg, size_t len, const struct trust_seckey *k,
		   const char *trusted_comment, const char *untrusted_comment, char **ret)
{
	return sign_and_check(k, msg, len, trusted_comment,
			      untrusted_comment ? untrusted_comment : "signature from wipecert secret key",
			      ret);
}

static int sign_doc(enum trust_doc doc, const uint8_t *msg, size_t len, const struct trust_seckey *k,
		    time_t when, enum recheck how, char **ret)
{
	_cleanup_free_ char *tc = NULL, *uc = NULL;
	struct trust_claim c = {};
	int r;

	if ((unsigned)doc >= _TRUST_DOC_MAX)
		return -EINVAL;
	r = check_doc_type(doc, msg, len);
	if (r < 0)
		return r;
	c.doc = doc;
	c.role = trust_seckey_role(k);
	snprintf(c.org, sizeof(c.org), "%s", trust_seckey_org(k));
	snprintf(c.name, sizeof(c.name), "%s", trust_seckey_name(k));
	trust_keyid_string(trust_seckey_keyid(k), c.keyid);
	c.signed_at = when ? when : time(NULL);
	r = trust_claim_format(&c, &tc);
	if (r < 0)
		return r;
	if (asprintf(&uc, "wipecert %s signature from key %s", trust_doc_to_string(doc), c.keyid) < 0)
		return -ENOMEM;
	if (how == RECHECK_TWICE)
		return sign_twice(k, msg, len, tc, uc, ret);
	return sign_and_check(k, msg, len, tc, uc, ret);
}

int trust_sign(enum trust_doc doc, const uint8_t *msg, size_t len,
	       const struct trust_seckey *k, time_t when, char **ret)
{
	return sign_doc(doc, msg, len, k, when, RECHECK_VERIFY, ret);
}

int trust_sign_again(enum trust_doc doc, const uint8_t *msg, size_t len,
		     const struct trust_seckey *k, time_t when, char **ret)
{
	return sign_doc(doc, msg, len, k, when, RECHECK_TWICE, ret);
}
