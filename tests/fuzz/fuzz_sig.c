/* fuzz_sig.c - libFuzzer harness: minisign signature parser, the trusted
 * comment's claims and the check against a fixed key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wipecert/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct trust_pubkey pk = { { 1, 2, 3, 4, 5, 6, 7, 8 }, { 9 } };
	struct trust_sig s;
	struct trust_claim c;

	if (trust_sig_parse((const char *)data, len, &s) != 0)
		return 0;
	if (!s.trusted_comment || !s.untrusted_comment)
		abort();
	(void)trust_claim_parse(s.trusted_comment, &c);
	/* nobody holds this key's secret: a pass would be a forgery */
	if (trust_sig_check(&s, &pk, data, len) == 0)
		abort();
	trust_sig_release(&s);
	return 0;
}
