/* station.c - the steps a wipe station takes that the commands leave to
 * the operator: which method the policy asks for an asset on a given drive
 * (the pick is checked again by flow_check_before_wipe() before anything
 * is written), and whether a key unlocked for a whole session may sign
 * now, by the roster.
 *
 * Never prints; a refusal is a sentence in struct flow_error.
 */
#include <errno.h>
#include <string.h>

#include "wipecert/drive.h"
#include "wipecert/erase.h"
#include "wipecert/flow.h"
#include "wipecert/policy.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

/* name, if the policy allows it for the class and the drive can run it
 * now; its static name, else NULL */
static const char *usable(const struct policy *p, int cls, const struct drive_caps *caps, const char *name)
{
	const struct erase_method *em = erase_method_find(name);
	enum drive_method dm;

	if (em)
		return policy_check_method(p, cls, em->name, flow_method_level(em->name), NULL) == 0 ? em->name : NULL;
	dm = drive_method_from_string(name);
	if (dm < 0 || !caps || drive_check_method(caps, dm, NULL, 0) < 0)
		return NULL;
	name = drive_method_to_string(dm);
	return policy_check_method(p, cls, name, flow_method_level(name), NULL) == 0 ? name : NULL;
}

int flow_policy_method(const struct policy *p, int asset_class, const struct drive_caps *caps,
		       const char *overwrite, const char **ret, struct flow_error *err)
{
	struct policy fallback = { 0 };
	const struct policy_class *c;
	const char *m = NULL;
	enum drive_method dm;
	int r = -EPERM;

	if (asset_class < 1 || asset_class > POLICY_CLASSES)
		return flow_fail(err, -EINVAL, "class %d is not a policy class (1-%d)", asset_class, POLICY_CLASSES);
	if (!p) {
		if (policy_default(&fallback) < 0)
			return flow_fail(err, -ENOMEM, "out of memory");
		p = &fallback;
	}
	c = &p->cls[asset_class - 1];
	if (c->destruction_required) {
		flow_fail(err, -EPERM, "class %d assets must be physically destroyed (policy %s)", asset_class, p->source);
		goto out;
	}
	/* the class's own list, in its order: the organisation chose it */
	for (char **name = c->methods; name && *name && !m; name++)
		m = usable(p, asset_class, caps, *name);
	if (!m && !c->methods && (c->levels & LEVEL_CLEAR))
		m = usable(p, asset_class, caps, overwrite ? overwrite : "random");
	if (!m && !c->methods && (c->levels & LEVEL_PURGE) && caps &&
	    drive_choose_method(caps, DRIVE_LEVEL_PURGE, &dm, NULL, 0) == 0)
		m = usable(p, asset_class, caps, drive_method_to_string(dm));
	if (!m) {
		if (c->methods)
			flow_fail(err, -EPERM, "none of the methods class %d allows can run on this drive (policy %s)",
				  asset_class, p->source);
		else if (!(c->levels & (LEVEL_CLEAR | LEVEL_PURGE)))
			flow_fail(err, -EPERM, "class %d accepts no erase, only destruction (policy %s)", asset_class,
				  p->source);
		else if (!caps)
			flow_fail(err, -EPERM, "class %d must be purged, and this device has no firmware erase (policy %s)",
				  asset_class, p->source);
		else
			flow_fail(err, -EPERM, "class %d must be purged, and this drive offers no firmware method that "
				  "reaches purge (policy %s)", asset_class, p->source);
		goto out;
	}
	*ret = m;
	r = 0;
out:
	policy_release(&fallback);
	return r;
}

int flow_check_signer(const struct trust_store *s, const struct trust_seckey *k, enum trust_doc doc,
		      struct flow_error *err)
{
	static const char probe[] = "wipecert: may this key sign now?";
	_cleanup_free_ char *sig = NULL;
	struct trust_result res;
	char when[32] = "?";
	int r;

	if (!trust_role_may_sign(trust_seckey_role(k), doc))
		return flow_fail(err, -EPERM, "a %s key may not sign a %s", trust_role_to_string(trust_seckey_role(k)),
				 trust_doc_to_string(doc));
	/* the one verification every signature meets later, on a signature
	 * made now: what the roster says about this key at this time */
	r = trust_sign(doc, (const uint8_t *)probe, sizeof(probe) - 1, k, 0, &sig);
	if (r < 0)
		return flow_fail(err, r, "the key cannot sign: %s", trust_strerror(r));
	r = trust_verify(s, doc, (const uint8_t *)probe, sizeof(probe) - 1, sig, strlen(sig), &res);
	if (r < 0)
		return flow_fail(err, r, "the roster cannot be checked: %s", strerror(-r));
	if (res.verdict == TRUST_OK)
		return 0;
	switch (res.verdict) {
	case TRUST_EXPIRED:
		format_utc(res.member ? res.member->not_after : 0, when, sizeof(when));
		return flow_fail(err, -EKEYEXPIRED, "the roster entry of %s (key %s) expired on %s",
				 trust_seckey_name(k), res.keyid, when);
	case TRUST_NOT_YET_VALID:
		format_utc(res.member ? res.member->not_before : 0, when, sizeof(when));
		return flow_fail(err, -EKEYEXPIRED, "the roster entry of %s (key %s) is valid only from %s",
				 trust_seckey_name(k), res.keyid, when);
	case TRUST_REVOKED:
		return flow_fail(err, -EKEYREVOKED, "the key of %s (%s) is revoked", trust_seckey_name(k), res.keyid);
	case TRUST_UNKNOWN_KEY:
	case TRUST_UNKNOWN_ORG:
		return flow_fail(err, -ENOKEY, "the roster does not know the key of %s (%s)", trust_seckey_name(k),
				 res.keyid);
	default:
		return flow_fail(err, -EPERM, "the roster refuses the key of %s (%s): %s", trust_seckey_name(k),
				 res.keyid, trust_verdict_string(res.verdict));
	}
}
