/* log.c - the messages helpers of the command line layer. */
#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include <stdarg.h>
#include <string.h>

#include "wipecert/cli.h"

const char *program_name = "wipecert";

static void vlog(const char *prefix, int err, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	fprintf(stderr, "%s: %s%s", program_name, prefix, msg ? msg : fmt);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
	/* the first error is the operation log's reason */
	if (msg && !*prefix) {
		_cleanup_free_ char *full = NULL;

		if (err && asprintf(&full, "%s: %s", msg, strerror(err < 0 ? -err : err)) < 0)
			full = NULL;
		cli_op_reason(full ? full : msg);
	}
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", 0, fmt, ap);
	va_end(ap);
}

int log_error_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", err, fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(_("warning: "), 0, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	/* one line: what was wrong, and where to look */
	if (cmd)
		fprintf(stderr, _("%s: %s; try '%s %s --help'\n"), program_name, r < 0 ? fmt : msg, program_name, cmd);
	else
		fprintf(stderr, _("%s: %s; try '%s --help'\n"), program_name, r < 0 ? fmt : msg, program_name);
	return EXIT_USAGE;
}

void cli_print_json(json_t *j, size_t flags)
{
	if (!j)
		return;
	json_dumpf(j, stdout, flags);
	putchar('\n');
	json_decref(j);
}

const char *cli_login_name(void)
{
	static char buf[64];
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	/* under sudo, the person who typed it, not root */
	if (s && *s && getuid() == 0)
		return s;
	pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		return pw->pw_name;
	snprintf(buf, sizeof(buf), "uid:%u", (unsigned)getuid());
	return buf;
}
