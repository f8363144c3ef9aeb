/* ledger-writer.c - one wipe station appending to a shared ledger, as fast
 * as it can: the process behind the concurrency, fault and failover tests
 * and the append benchmark (tests/e2e/pg_*.sh, tests/pg/failover.sh,
 * bench/ledger-pg.sh). Test-only: built by `make check`, never installed.
 *
 *   ledger-writer DB KEY PASSFILE PREFIX COUNT [RETRY_SECONDS]
 *
 * Adds COUNT assets PREFIX-1..PREFIX-COUNT, one signed "create" event each
 * in its own transaction, through the ledger API as `ledger add` does.
 * Prints "ok ID SEQ" on stdout for every event the ledger acknowledged
 * (its commit returned), and nothing for an attempt whose outcome is
 * unknown. With RETRY_SECONDS, a failure to reach the database (the
 * server killed, a failover) is retried until that long has passed
 * without success, reconnecting; an asset the retry finds stored already
 * (the answer was lost, the commit was not) is reported as "stored ID"
 * without a seq: it was never acknowledged. Exit 0 when all COUNT were
 * acknowledged or stored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct trust_seckey *k = NULL;
	struct ledger *l = NULL;
	_cleanup_free_ uint8_t *pass = NULL;
	size_t pass_len;
	uint64_t count = 0, retry = 0;
	unsigned long acked = 0, stored = 0;
	int r;

	if (argc < 6 || argc > 7 || parse_u64(argv[5], &count) < 0 || (argc == 7 && parse_u64(argv[6], &retry) < 0)) {
		fprintf(stderr, "usage: %s DB KEY PASSFILE PREFIX COUNT [RETRY_SECONDS]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = read_full_file(argv[3], &pass, &pass_len);
	while (r >= 0 && pass_len && (pass[pass_len - 1] == '\n' || pass[pass_len - 1] == '\r'))
		pass_len--;
	if (r >= 0)
		r = trust_seckey_load(argv[2], (const char *)pass, pass_len, &k);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[2], trust_strerror(r));
		return 1;
	}
	for (uint64_t i = 1; i <= count; i++) {
		struct ledger_asset a = {};
		char id[128], serial[160];
		double t0 = now();
		bool tried = false;

		snprintf(id, sizeof(id), "%s-%" PRIu64, argv[4], i);
		snprintf(serial, sizeof(serial), "SN-%s", id);
		if (ledger_asset_set(&a, LEDGER_F_ASSET_ID, id) < 0 || ledger_asset_set(&a, LEDGER_F_SERIAL, serial) < 0 ||
		    ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "3") < 0 || ledger_asset_check_new(&a) < 0)
			return 1;
		for (;;) {
			uint64_t seq = 0;

			if (!l) {
				r = ledger_open(argv[1], LEDGER_OPEN_CREATE, &l);
				if (r >= 0)
					r = ledger_set_signer(l, k);
				if (r < 0) {
					ledger_close(l);
					l = NULL;
				}
			} else
				r = 0;
			if (r >= 0)
				r = ledger_asset_add(l, &a, NULL, "ledger-writer", &seq);
			if (r >= 0) {
				printf("ok %s %" PRIu64 "\n", id, seq);
				acked++;
				break;
			}
			if (r == -EEXIST && tried) {
				/* an earlier try committed; its answer was lost */
				printf("stored %s\n", id);
				stored++;
				break;
			}
			if (!retry || !(ledger_unreachable(r) || r == -EROFS || r == -EACCES) || now() - t0 > (double)retry) {
				fprintf(stderr, "%s: %s (%s)\n", id, strerror(-r), ledger_last_error());
				ledger_close(l);
				trust_seckey_free(k);
				return 1;
			}
			/* the server went away: start over on a new connection */
			tried = true;
			ledger_close(l);
			l = NULL;
			usleep(50000);
		}
		ledger_asset_clear(&a);
	}
	fprintf(stderr, "%s: %lu acknowledged, %lu stored without an answer\n", argv[4], acked, stored);
	ledger_close(l);
	trust_seckey_free(k);
	return 0;
}
