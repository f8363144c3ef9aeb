/* crash.c - named crash points for the power-loss tests.
 *
 * WIPECERT_CRASH_POINT=NAME[:N] makes the N-th (default first) passage
 * through crash_point(NAME) kill the process with SIGKILL on the spot, as
 * a power cut would stop it: no handler, no flush, no cleanup. Unset, a
 * crash point costs one getenv at the first call. It never does anything
 * else; whoever can set the variable can kill the process anyway.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "wipecert/util.h"

void crash_point(const char *name)
{
	static atomic_uint hits;
	const char *want = getenv("WIPECERT_CRASH_POINT"), *colon;
	uint64_t n = 1;
	size_t len;

	if (!want || !*want)
		return;
	colon = strchr(want, ':');
	len = colon ? (size_t)(colon - want) : strlen(want);
	if (strlen(name) != len || strncmp(name, want, len) != 0)
		return;
	if (colon && (parse_u64(colon + 1, &n) < 0 || n == 0))
		return;
	if (atomic_fetch_add(&hits, 1) + 1 == n)
		raise(SIGKILL);
}
