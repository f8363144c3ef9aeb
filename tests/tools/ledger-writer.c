/* ledger-writer.c - one wipe station appending to a shared ledger, as fast
 * as it can: the process behind the concurrency, fault and failover tests
 * and the append benchmark (tests/e2e/pg_*.sh, tests/pg/failover.sh,
 * bench/ledger-pg.sh). Test-only: built by `make check`, never installed.
 *
 *   ledger-writer DB KEY PASSFILE PREFIX COUNT [RETRY_SECONDS [cases]]
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
 * acknowledged or stored. With "cases", each asset also gets a sealed case
 * submitted (ledger_case_submit(), status erased): the open cases the
 * `pending` benchmark lists (the record is a stand-in, not signed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

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

/* a sealed case for asset a, its record a stand-in (the listing reads the
 * summary columns, as `pending` does) */
static int submit_case(struct ledger *l, const struct ledger_asset *a)
{
	struct ledger_asset upd = {};
	char rec[512], sha[65], id[200], now[32];
	uint8_t h[32];
	int r;

	format_utc(time(NULL), now, sizeof(now));
	snprintf(rec, sizeof(rec), "{\"asset\":{\"asset_id\":\"%s\"},\"type\":\"wipe-record\"}",
		 ledger_asset_value(a, LEDGER_F_ASSET_ID));
	crypto_hash_sha256(h, (const uint8_t *)rec, strlen(rec));
	hex_encode(h, sizeof(h), sha);
	snprintf(id, sizeof(id), "case-%s", ledger_asset_value(a, LEDGER_F_ASSET_ID));
	struct ledger_case k = {
		.id = id, .record_sha256 = sha, .record = (const uint8_t *)rec, .record_len = strlen(rec),
		.signature = "untrusted comment: stand-in\n", .asset_id = ledger_asset_value(a, LEDGER_F_ASSET_ID),
		.sealed_at = now, .technician = "TEST ONLY Technician", .device = "image", .method = "random",
		.result = "succeeded", .verification = "passed", .station = "bench",
	};
	r = ledger_asset_copy(a, &upd);
	if (r >= 0)
		r = ledger_asset_set(&upd, LEDGER_F_STATUS, "erased");
	if (r >= 0)
		r = ledger_case_submit(l, &k, &upd, "ledger-writer: a case", NULL);
	ledger_asset_clear(&upd);
	return r < 0 ? r : 0;
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

	bool cases = argc == 8 && streq(argv[7], "cases");

	if (argc < 6 || argc > 8 || parse_u64(argv[5], &count) < 0 || (argc >= 7 && parse_u64(argv[6], &retry) < 0) ||
	    (argc == 8 && !cases)) {
		fprintf(stderr, "usage: %s DB KEY PASSFILE PREFIX COUNT [RETRY_SECONDS [cases]]\n", argv[0]);
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
			if (r >= 0 && cases)
				r = submit_case(l, &a);
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
				ledger_asset_clear(&a);
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
