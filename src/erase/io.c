/* io.c - the I/O backends of the overwrite engine: io_uring with several
 * requests in flight, and plain pread/pwrite (the fallback, and the base the
 * tests wrap to inject faults). They move bytes; they never decide what. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <liburing.h>

#include "wipecert/erase.h"

/* ---- io_uring ---- */

struct uring_ctx {
	struct io_uring ring;
	int fd;
	uint8_t *const *bufs;
	size_t buflen;
	bool fixed; /* buffers registered with the ring */
};

static int uring_open(int fd, uint8_t *const *bufs, unsigned n, size_t buflen, void **ret_ctx)
{
	struct uring_ctx *c = calloc(1, sizeof(*c));
	struct iovec *iov;
	int r;

	if (!c)
		return -ENOMEM;
	r = io_uring_queue_init(n < 2 ? 2 : n, &c->ring, 0);
	if (r < 0) {
		free(c);
		return r;
	}
	c->fd = fd;
	c->bufs = bufs;
	c->buflen = buflen;
	/* fixed buffers spare the kernel pinning the pages on every request */
	iov = calloc(n, sizeof(*iov));
	if (iov) {
		for (unsigned i = 0; i < n; i++)
			iov[i] = (struct iovec){ bufs[i], buflen };
		c->fixed = io_uring_register_buffers(&c->ring, iov, n) == 0;
		free(iov);
	}
	*ret_ctx = c;
	return 0;
}

static int uring_submit(void *ctx, bool write, unsigned slot, size_t len, uint64_t off)
{
	struct uring_ctx *c = ctx;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);
	int r;

	if (!sqe)
		return -EBUSY;
	if (c->fixed && write)
		io_uring_prep_write_fixed(sqe, c->fd, c->bufs[slot], (unsigned)len, off, (int)slot);
	else if (c->fixed)
		io_uring_prep_read_fixed(sqe, c->fd, c->bufs[slot], (unsigned)len, off, (int)slot);
	else if (write)
		io_uring_prep_write(sqe, c->fd, c->bufs[slot], (unsigned)len, off);
	else
		io_uring_prep_read(sqe, c->fd, c->bufs[slot], (unsigned)len, off);
	io_uring_sqe_set_data64(sqe, slot);
	r = io_uring_submit(&c->ring);
	return r < 0 ? r : 0;
}

static int uring_reap(void *ctx, unsigned *ret_slot, int64_t *ret_res)
{
	struct uring_ctx *c = ctx;
	struct io_uring_cqe *cqe;
	int r;

	do
		r = io_uring_wait_cqe(&c->ring, &cqe);
	while (r == -EINTR);
	if (r < 0)
		return r;
	*ret_slot = (unsigned)io_uring_cqe_get_data64(cqe);
	*ret_res = cqe->res;
	io_uring_cqe_seen(&c->ring, cqe);
	return 0;
}

static int uring_sync(void *ctx)
{
	struct uring_ctx *c = ctx;

	return fdatasync(c->fd) < 0 ? -errno : 0;
}

static void uring_close(void *ctx)
{
	struct uring_ctx *c = ctx;

	if (!c)
		return;
	io_uring_queue_exit(&c->ring);
	free(c);
}

const struct erase_io_ops erase_io_uring = {
	"io_uring", uring_open, uring_submit, uring_reap, uring_sync, uring_close,
};

/* ---- pread/pwrite: the transfer happens in submit, reap hands results back in order ---- */

struct sync_ctx {
	int fd;
	uint8_t *const *bufs;
	unsigned n, head, count;
	struct { unsigned slot; int64_t res; } *done;
};

static int sync_open(int fd, uint8_t *const *bufs, unsigned n, size_t buflen, void **ret_ctx)
{
	struct sync_ctx *c = calloc(1, sizeof(*c));

	(void)buflen;
	if (!c)
		return -ENOMEM;
	c->done = calloc(n, sizeof(*c->done));
	if (!c->done) {
		free(c);
		return -ENOMEM;
	}
	c->fd = fd;
	c->bufs = bufs;
	c->n = n;
	*ret_ctx = c;
	return 0;
}

static int sync_submit(void *ctx, bool write, unsigned slot, size_t len, uint64_t off)
{
	struct sync_ctx *c = ctx;
	ssize_t res;
	unsigned i;

	if (c->count == c->n || slot >= c->n)
		return -EBUSY;
	do
		res = write ? pwrite(c->fd, c->bufs[slot], len, (off_t)off)
			    : pread(c->fd, c->bufs[slot], len, (off_t)off);
	while (res < 0 && errno == EINTR);
	i = (c->head + c->count++) % c->n;
	c->done[i].slot = slot;
	c->done[i].res = res < 0 ? -errno : res;
	return 0;
}

static int sync_reap(void *ctx, unsigned *ret_slot, int64_t *ret_res)
{
	struct sync_ctx *c = ctx;

	if (c->count == 0)
		return -EAGAIN;
	*ret_slot = c->done[c->head].slot;
	*ret_res = c->done[c->head].res;
	c->head = (c->head + 1) % c->n;
	c->count--;
	return 0;
}

static int sync_sync(void *ctx)
{
	struct sync_ctx *c = ctx;

	return fdatasync(c->fd) < 0 ? -errno : 0;
}

static void sync_close(void *ctx)
{
	struct sync_ctx *c = ctx;

	if (!c)
		return;
	free(c->done);
	free(c);
}

const struct erase_io_ops erase_io_sync = {
	"pread/pwrite", sync_open, sync_submit, sync_reap, sync_sync, sync_close,
};
