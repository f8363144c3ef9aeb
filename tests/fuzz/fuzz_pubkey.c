/* fuzz_pubkey.c - libFuzzer harness: public key and secret key file
 * parsers (the secret key up to, not including, the Argon2id step). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wipecert/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct trust_pubkey pk;
	char *name = NULL, *org = NULL, *text = NULL;
	int role;

	if (trust_pubkey_parse((const char *)data, len, &pk) == 0) {
		/* what parses must format and parse back to the same key */
		struct trust_pubkey again;

		if (trust_pubkey_format(&pk, NULL, &text) != 0 ||
		    trust_pubkey_parse(text, strlen(text), &again) != 0 ||
		    memcmp(&pk, &again, sizeof(pk)) != 0)
			abort();
		free(text);
	}
	if (trust_seckey_peek(data, len, &pk, &name, &role, &org) == 0) {
		if (!name || !org || role < 0 || role >= _TRUST_ROLE_MAX)
			abort();
		free(name);
		free(org);
	}
	return 0;
}
