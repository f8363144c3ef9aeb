/* sample.c - NIST SP 800-88 Rev.1 §4.7 verification sampling: which ranges
 * to read, and a hash of what they hold. Reads only; never writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wipecert/sample.h"
#include "wipecert/util.h"

uint64_t sample_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t div_ceil(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Append [off, off+len) in blocks, merging with the previous range when
 * they touch or overlap; the callers add ranges in ascending start order. */
static void add_range(struct sample_plan *p, uint64_t off, uint64_t len)
{
	if (p->n > 0) {
		struct sample_range *last = &p->ranges[p->n - 1];
		uint64_t end = last->offset + last->length;

		if (off <= end) {
			if (off + len > end)
				last->length = off + len - last->offset;
			return;
		}
	}
	p->ranges[p->n++] = (struct sample_range){ off, len };
}

int sample_plan_make(uint64_t size, unsigned sector, unsigned percent, uint64_t seed,
		     struct sample_plan *ret)
{
	struct sample_plan p = { 0 };
	uint64_t nblocks, want, subs, state = seed ^ 0x5a4d504c45ull;

	if (sector < 512 || sector > 65536 || (sector & (sector - 1)) != 0)
		return -EINVAL;
	if (percent < 1 || percent > 100)
		return -EINVAL;
	nblocks = size / sector;
	if (nblocks == 0)
		return -EINVAL;

	if (nblocks <= SAMPLE_MIN_SUBSECTIONS || percent == 100) {
		p.ranges = calloc(1, sizeof(*p.ranges));
		if (!p.ranges)
			return -ENOMEM;
		add_range(&p, 0, nblocks);
		p.subsections = nblocks <= SAMPLE_MIN_SUBSECTIONS ? nblocks : 1;
		goto done;
	}

	want = div_ceil(nblocks * percent, 100);
	subs = div_ceil(want, SAMPLE_MAX_RUN / sector);
	if (subs < SAMPLE_MIN_SUBSECTIONS)
		subs = SAMPLE_MIN_SUBSECTIONS;
	if (subs > nblocks)
		subs = nblocks;
	p.ranges = calloc(subs + 2, sizeof(*p.ranges));
	if (!p.ranges)
		return -ENOMEM;
	p.subsections = subs;

	add_range(&p, 0, 1); /* the first block, always */
	for (uint64_t i = 0; i < subs; i++) {
		uint64_t start = (uint64_t)((unsigned __int128)nblocks * i / subs);
		uint64_t end = (uint64_t)((unsigned __int128)nblocks * (i + 1) / subs);
		uint64_t len = end - start;
		uint64_t k = div_ceil(len * percent, 100); /* >= 1, <= len */

		add_range(&p, start + sample_splitmix64(&state) % (len - k + 1), k);
	}
	add_range(&p, nblocks - 1, 1); /* the last block, always */

done:
	for (size_t i = 0; i < p.n; i++) {
		p.ranges[i].offset *= sector;
		p.ranges[i].length *= sector;
		p.bytes += p.ranges[i].length;
	}
	*ret = p;
	return 0;
}

void sample_plan_release(struct sample_plan *p)
{
	if (!p)
		return;
	free(p->ranges);
	*p = (struct sample_plan){ 0 };
}

static void put_le64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

int sample_hash_fd(int fd, const struct sample_plan *p, uint8_t ret_hash[SAMPLE_HASH_BYTES])
{
	const size_t bufsz = 1u << 20;
	crypto_generichash_state st;
	uint8_t *buf = NULL;
	int r = 0;

	if (fd < 0 || !p)
		return -EINVAL;
	if (sodium_init() < 0)
		return -ENOSYS;
	if (posix_memalign((void **)&buf, 4096, bufsz) != 0)
		return -ENOMEM;
	crypto_generichash_init(&st, NULL, 0, SAMPLE_HASH_BYTES);
	for (size_t i = 0; i < p->n; i++) {
		uint64_t off = p->ranges[i].offset, left = p->ranges[i].length;
		uint8_t hdr[16];

		put_le64(hdr, off);
		put_le64(hdr + 8, left);
		crypto_generichash_update(&st, hdr, sizeof(hdr));
		while (left > 0) {
			size_t want = left < bufsz ? (size_t)left : bufsz;
			ssize_t n = pread(fd, buf, want, (off_t)off);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				r = -errno;
				goto out;
			}
			if (n == 0) {
				r = -EIO;
				goto out;
			}
			crypto_generichash_update(&st, buf, (size_t)n);
			off += (uint64_t)n;
			left -= (uint64_t)n;
		}
	}
	crypto_generichash_final(&st, ret_hash, SAMPLE_HASH_BYTES);
out:
	sodium_memzero(&st, sizeof(st));
	free(buf);
	return r;
}
