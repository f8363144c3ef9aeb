/* passphrase.c - reading a passphrase for a secret key: from a file (for
 * automation) or from the terminal without echo.
 *
 * Its job: hand the passphrase over in sodium_malloc memory. It must never
 * echo it, never read it from stdin when stdin carries data, and never
 * leave a copy outside sodium_malloc memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>

#include <sodium.h>

#include "wipecert/cli.h"

#define PASS_MAX 1024

static int read_line_fd(int fd, char *buf, size_t cap, size_t *ret_len)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t k = read(fd, &c, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0 || c == '\n')
			break;
		if (n + 1 >= cap)
			return -E2BIG;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*ret_len = n;
	return 0;
}

static int read_tty(int fd, const char *prompt, char *buf, size_t cap, size_t *ret_len)
{
	struct termios old, quiet;
	int r;

	if (tcgetattr(fd, &old) < 0)
		return -errno;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0)
		return -errno;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
		return -errno;
	r = read_line_fd(fd, buf, cap, ret_len);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		return r < 0 ? r : -errno;
	return r;
}

void cli_passphrase_free(char *p)
{
	sodium_free(p);
}

int cli_read_passphrase(const char *file, const char *what, bool confirm, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	char *buf = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	buf = sodium_malloc(PASS_MAX);
	if (!buf)
		return -ENOMEM;
	if (file) {
		/* "-" is not stdin on purpose: stdin may be the document */
		fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			r = -errno;
			goto fail;
		}
		r = read_line_fd(fd, buf, PASS_MAX, &len);
	} else {
		_cleanup_free_ char *prompt = NULL;

		fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			r = -ENOTTY;
			goto fail;
		}
		if (asprintf(&prompt, "passphrase for %s: ", what) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		r = read_tty(fd, prompt, buf, PASS_MAX, &len);
		if (r >= 0 && confirm) {
			again = sodium_malloc(PASS_MAX);
			if (!again) {
				r = -ENOMEM;
				goto fail;
			}
			r = read_tty(fd, "again: ", again, PASS_MAX, &len2);
			if (r >= 0 && (len != len2 || sodium_memcmp(buf, again, len) != 0))
				r = -EBADE;
			sodium_free(again);
		}
	}
	if (r < 0)
		goto fail;
	if (len == 0) {
		r = -ENODATA;
		goto fail;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
fail:
	sodium_free(buf);
	return r;
}
