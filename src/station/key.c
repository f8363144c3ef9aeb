/* key.c - the technician's key, unlocked once for the session.
 *
 * The passphrase is asked once; the secret key then stays in libsodium's
 * guarded memory (sodium_malloc: locked into RAM, never in a core dump)
 * until the idle lock or the end of the session frees and wipes it. Each
 * seal signs with it without asking again (no Argon2id per disk). Before
 * the key is accepted the roster must let it sign wipe records today: an
 * expired or revoked key is refused at the start, not after hours of
 * wiping.
 */
#include <errno.h>
#include <string.h>

#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "station.h"

int station_key_peek(struct station *s)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct trust_pubkey pk;
	size_t len;
	int role, r;
	char *org = NULL;

	if (!s->o.key_path)
		return -EINVAL;
	r = read_full_file(s->o.key_path, &data, &len);
	if (r < 0)
		return r;
	r = trust_seckey_peek(data, len, &pk, &s->key_name, &role, &org);
	free(org);
	return r;
}

int station_unlock(struct station *s, const char *pass, size_t len, char *msg, size_t msglen)
{
	struct trust_seckey *k = NULL;
	struct flow_error ferr = { "" };
	int r;

	const char *base = strrchr(s->o.key_path, '/') ? strrchr(s->o.key_path, '/') + 1 : s->o.key_path;

	r = trust_seckey_load(s->o.key_path, pass, len, &k);
	if (r < 0) {
		snprintf(msg, msglen, _("%s: the key is not unlocked: %s"), base, _(trust_strerror(r)));
		return r;
	}
	r = flow_check_signer(s->trust, k, TRUST_DOC_WIPE_RECORD, &ferr);
	if (r < 0) {
		snprintf(msg, msglen, _("%s: refused: %s"), base, flow_error_text(&ferr));
		trust_seckey_free(k);
		return r;
	}
	station_lock_quiet(s);
	s->key = k;
	s->unlocks++;
	s->last_activity_ns = now_ns();
	snprintf(msg, msglen, _("key of %s unlocked"), trust_seckey_name(k));
	station_emit(s, STATION_EV_KEY, NULL, "unlocked", "%s", msg);
	/* what waited for the key */
	for (size_t i = 0; i < s->n_bays; i++)
		if (s->bays[i]->seal_pending && s->bays[i]->state == BAY_FINISHED)
			station_seal(s, s->bays[i]);
	station_auto_waiting(s);
	return 0;
}

void station_lock_quiet(struct station *s)
{
	/* sodium_free wipes the pages and gives them back */
	trust_seckey_free(s->key);
	s->key = NULL;
}

void station_lock(struct station *s)
{
	if (!s->key)
		return;
	station_lock_quiet(s);
	station_emit(s, STATION_EV_KEY, NULL, "locked", _("the key is locked (idle); unlock it to seal"));
}

bool station_unlocked(const struct station *s)
{
	return s->key != NULL;
}

void station_activity(struct station *s)
{
	s->last_activity_ns = now_ns();
}

unsigned station_lock_in(const struct station *s)
{
	uint64_t idle, limit = (uint64_t)s->o.lock_after_s * 1000000000ull;

	if (!s->key || !s->o.lock_after_s)
		return 0;
	idle = now_ns() - s->last_activity_ns;
	return idle >= limit ? 0 : (unsigned)((limit - idle) / 1000000000ull) + 1;
}
