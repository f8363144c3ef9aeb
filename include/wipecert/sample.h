/* sample.h - NIST SP 800-88 Rev.1 §4.7 verification sampling.
 *
 * Its job: decide which byte ranges of a device a sampled verification reads
 * (the first and the last block always, and a pseudo-random sample inside
 * each of at least 1000 equal subsections, together at least the asked
 * percentage), and hash those ranges from a file descriptor. The plan is a
 * pure function of (size, sector, percent, seed): the same inputs give the
 * same ranges on any machine, so a certificate can name them. It must never
 * write to the descriptor it reads.
 */
#ifndef WIPECERT_SAMPLE_H
#define WIPECERT_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#define SAMPLE_DEFAULT_PERCENT 10
#define SAMPLE_MIN_SUBSECTIONS 1000
/* A subsection's sample is about this long at most: bigger devices get
 * more subsections rather than longer contiguous samples. */
#define SAMPLE_MAX_RUN (16u << 20)
#define SAMPLE_HASH_BYTES 32 /* BLAKE2b-256 */

struct sample_range {
	uint64_t offset; /* bytes, a multiple of the sector size */
	uint64_t length; /* bytes, a multiple of the sector size, > 0 */
};

struct sample_plan {
	struct sample_range *ranges; /* sorted, disjoint, not adjacent */
	size_t n;
	uint64_t bytes;              /* sum of the lengths */
	uint64_t subsections;        /* how many subsections were sampled */
};

/* Build the plan for a device of size bytes (only whole sectors count; a
 * partial last sector is ignored) with sector bytes per logical block
 * (a power of two, 512..65536), percent 1..100, and a seed. A device of no
 * more than SAMPLE_MIN_SUBSECTIONS blocks is covered whole.
 * Returns 0, -EINVAL for bad arguments, -ENOMEM. */
int sample_plan_make(uint64_t size, unsigned sector, unsigned percent, uint64_t seed,
		     struct sample_plan *ret);
void sample_plan_release(struct sample_plan *p);

/* Read every range of the plan from fd (pread; fd may be O_DIRECT: buffers
 * are page aligned and the ranges sector aligned) and hash them with
 * BLAKE2b-256: for each range its offset and length (8 bytes little endian
 * each) and then its bytes. Returns 0 or -errno (-EIO on a short read). */
int sample_hash_fd(int fd, const struct sample_plan *p, uint8_t ret_hash[SAMPLE_HASH_BYTES]);

/* The deterministic generator behind the plan (splitmix64), exported for
 * the tests and for other users that need a seeded stream of numbers. */
uint64_t sample_splitmix64(uint64_t *state);

#endif
