/* test_sample.c - NIST SP 800-88 §4.7 sampling: plan shape and sample hashing. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "wipecert/sample.h"
#include "wipecert/util.h"

static void check_shape(const struct sample_plan *p, uint64_t size, unsigned sector, unsigned percent)
{
	uint64_t nblocks = size / sector, sum = 0;

	assert_true(p->n >= 1);
	assert_int_equal(p->ranges[0].offset, 0);
	assert_int_equal(p->ranges[p->n - 1].offset + p->ranges[p->n - 1].length, nblocks * sector);
	for (size_t i = 0; i < p->n; i++) {
		assert_int_equal(p->ranges[i].offset % sector, 0);
		assert_int_equal(p->ranges[i].length % sector, 0);
		assert_true(p->ranges[i].length > 0);
		if (i > 0) /* sorted, disjoint and not adjacent (merged) */
			assert_true(p->ranges[i].offset > p->ranges[i - 1].offset + p->ranges[i - 1].length);
		sum += p->ranges[i].length;
	}
	assert_int_equal(sum, p->bytes);
	assert_true(p->bytes * 100 >= (uint64_t)percent * nblocks * sector);
}

/* Every subsection holds at least one sampled byte. */
static void check_subsections(const struct sample_plan *p, uint64_t size, unsigned sector)
{
	uint64_t nblocks = size / sector, subs = p->subsections;
	size_t j = 0;

	for (uint64_t i = 0; i < subs; i++) {
		uint64_t start = nblocks * i / subs * sector, end = nblocks * (i + 1) / subs * sector;

		while (j < p->n && p->ranges[j].offset + p->ranges[j].length <= start)
			j++;
		assert_true(j < p->n);
		assert_true(p->ranges[j].offset < end);
	}
}

static void test_plan_1g(void **state)
{
	struct sample_plan a, b, c;
	uint64_t size = 1ull << 30;

	(void)state;
	assert_int_equal(sample_plan_make(size, 512, 10, 42, &a), 0);
	check_shape(&a, size, 512, 10);
	assert_int_equal(a.subsections, 1000);
	check_subsections(&a, size, 512);
	/* 10 % of 1 GiB is ~107 MB; ceil per subsection keeps it close */
	assert_true(a.bytes < size / 10 + 1000 * 512);

	assert_int_equal(sample_plan_make(size, 512, 10, 42, &b), 0);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.ranges, b.ranges, a.n * sizeof(*a.ranges));

	assert_int_equal(sample_plan_make(size, 512, 10, 43, &c), 0);
	assert_true(a.n != c.n || memcmp(a.ranges, c.ranges, a.n * sizeof(*a.ranges)) != 0);
	sample_plan_release(&a);
	sample_plan_release(&b);
	sample_plan_release(&c);
}

static void test_plan_4k_and_percent(void **state)
{
	struct sample_plan p;
	uint64_t size = (64ull << 20) + 4096 + 100; /* a partial sector at the end */

	(void)state;
	assert_int_equal(sample_plan_make(size, 4096, 25, 7, &p), 0);
	check_shape(&p, size, 4096, 25);
	assert_int_equal(p.subsections, 1000);
	check_subsections(&p, size, 4096);
	sample_plan_release(&p);

	assert_int_equal(sample_plan_make(size, 4096, 1, 7, &p), 0);
	check_shape(&p, size, 4096, 1);
	check_subsections(&p, size, 4096);
	sample_plan_release(&p);
}

static void test_plan_small_and_huge(void **state)
{
	struct sample_plan p;

	(void)state;
	/* 1000 blocks or fewer: every block */
	assert_int_equal(sample_plan_make(1000 * 512, 512, 10, 1, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.bytes, 1000 * 512);
	sample_plan_release(&p);
	assert_int_equal(sample_plan_make(1001 * 512, 512, 10, 1, &p), 0);
	check_shape(&p, 1001 * 512, 512, 10);
	sample_plan_release(&p);

	/* 100 %: one range */
	assert_int_equal(sample_plan_make(1ull << 30, 512, 100, 1, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.bytes, 1ull << 30);
	sample_plan_release(&p);

	/* 8 TB: more subsections, samples stay short */
	assert_int_equal(sample_plan_make(8000000000000ull, 4096, 10, 9, &p), 0);
	check_shape(&p, 8000000000000ull, 4096, 10);
	assert_true(p.subsections > 1000);
	check_subsections(&p, 8000000000000ull, 4096);
	for (size_t i = 1; i + 1 < p.n; i++)
		assert_true(p.ranges[i].length <= 2 * SAMPLE_MAX_RUN);
	sample_plan_release(&p);
}

static void test_plan_bad_args(void **state)
{
	struct sample_plan p = { .n = 77 };

	(void)state;
	assert_int_equal(sample_plan_make(1 << 20, 500, 10, 1, &p), -EINVAL);
	assert_int_equal(sample_plan_make(1 << 20, 512, 0, 1, &p), -EINVAL);
	assert_int_equal(sample_plan_make(1 << 20, 512, 101, 1, &p), -EINVAL);
	assert_int_equal(sample_plan_make(511, 512, 10, 1, &p), -EINVAL);
	assert_int_equal(p.n, 77); /* untouched on failure */
	sample_plan_release(NULL);
}

static void test_hash(void **state)
{
	char *dir = test_mkdtemp();
	size_t size = 4u << 20;
	uint8_t *data = malloc(size), h1[SAMPLE_HASH_BYTES], h2[SAMPLE_HASH_BYTES];
	struct sample_plan p;
	uint64_t outside = 0;
	char *path;
	int fd;

	(void)state;
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	path = test_write_file(dir, "img", data, size);
	assert_int_equal(sample_plan_make(size, 512, 10, 5, &p), 0);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sample_hash_fd(fd, &p, h1), 0);
	assert_int_equal(sample_hash_fd(fd, &p, h2), 0);
	assert_memory_equal(h1, h2, sizeof(h1));

	/* a byte outside every range does not change the hash */
	for (size_t i = 0; i + 1 < p.n; i++)
		if (p.ranges[i + 1].offset > p.ranges[i].offset + p.ranges[i].length) {
			outside = p.ranges[i].offset + p.ranges[i].length;
			break;
		}
	assert_true(outside > 0);
	assert_int_equal(pwrite(fd, "\x55", 1, (off_t)outside), 1);
	assert_int_equal(sample_hash_fd(fd, &p, h2), 0);
	assert_memory_equal(h1, h2, sizeof(h1));

	/* a byte inside a range (the last block) does */
	assert_int_equal(pwrite(fd, "\xaa", 1, (off_t)size - 3), 1);
	assert_int_equal(sample_hash_fd(fd, &p, h2), 0);
	assert_memory_not_equal(h1, h2, sizeof(h1));

	/* a plan longer than the file: a short read is -EIO */
	assert_int_equal(ftruncate(fd, (off_t)size / 2), 0);
	assert_int_equal(sample_hash_fd(fd, &p, h2), -EIO);
	assert_int_equal(sample_hash_fd(-1, &p, h2), -EINVAL);

	close(fd);
	sample_plan_release(&p);
	free(path);
	free(data);
	test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_1g),
		cmocka_unit_test(test_plan_4k_and_percent),
		cmocka_unit_test(test_plan_small_and_huge),
		cmocka_unit_test(test_plan_bad_args),
		cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
