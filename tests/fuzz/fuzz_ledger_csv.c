/* fuzz_ledger_csv.c - libFuzzer harness for the ledger's CSV import (encoding
 * detection, the CSV parser, header mapping, field validation). Every input
 * is imported as a dry run into one scratch ledger, so nothing accumulates
 * (the rows are signed with a throw-away key, as every import is).
 *
 *   make build/libwipecert.a
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_ledger_csv.c build/libwipecert.a $(pkg-config --cflags --libs sqlite3 \
 *     libsodium jansson icu-uc libcrypto) -o /tmp/fuzz_ledger_csv
 *   /tmp/fuzz_ledger_csv -max_total_time=120 tests/fixtures/ledger
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct ledger *l;
	static struct trust_seckey *k;
	struct ledger_import_opts o = { .dry_run = true, .update = (len & 1) };
	struct ledger_import_report rep;

	if (!l) {
		char path[] = "/tmp/fuzz-ledger-XXXXXX";
		int fd = mkstemp(path);

		if (fd < 0)
			abort();
		close(fd);
		unlink(path);
		if (ledger_open(path, LEDGER_OPEN_CREATE, &l) < 0 ||
		    trust_seckey_generate("fuzz", TRUST_ROLE_TECHNICIAN, "Fuzz City", false, &k) < 0 ||
		    ledger_set_signer(l, k) < 0)
			abort();
	}
	ledger_import_csv_data(l, (const char *)data, len, &o, &rep);
	return 0;
}
