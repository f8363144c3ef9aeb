/* fuzz_roster.c - libFuzzer harness: roster and revocation JSON (canonical
 * JSON parser, members, validity, revocations). The input is split at the
 * first NUL byte into roster and revocation list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wipecert/trust.h"
#include "../../src/trust/trust-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const uint8_t *nul = memchr(data, 0, len);
	size_t rlen = nul ? (size_t)(nul - data) : len;
	struct trust_store *s = NULL;

	if (trust_store_parse_roster((const char *)data, rlen, nul ? (const char *)nul + 1 : NULL,
				     nul ? len - rlen - 1 : 0, &s) != 0)
		return 0;
	for (size_t i = 0; i < trust_store_n_members(s); i++) {
		const struct trust_member *m = trust_store_member(s, i);

		if (!m->name || !m->org || trust_store_find(s, m->pk.keyid) != m)
			abort();
	}
	trust_store_free(s);
	return 0;
}
