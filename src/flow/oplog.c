/* oplog.c - the operation log (see oplog.h): the audit notes into the
 * ledger, then one key=value line to syslog.
 *
 * Never prints. The line goes out through our own few lines of AF_UNIX
 * datagram rather than syslog(3): the same bytes glibc would send to the
 * same socket, but the socket can be named ($WIPECERT_SYSLOG_SOCKET, for
 * the tests and for stations whose syslog listens elsewhere), a failure is
 * returned instead of swallowed, and no process-wide openlog() state is
 * left behind in the library.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/ledger-sign.h"
#include "wipecert/oplog.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "flow-internal.h"

/* The line's body may take this much; the header is "<PRI>Mmm dd
 * hh:mm:ss wipecert[PID]: " (under 40 bytes). */
#define BODY_MAX (OPLOG_MAX_LINE - 64)

int flow_oplog_priority(const char *outcome)
{
	if (outcome && streq(outcome, "ok"))
		return LOG_AUTHPRIV | LOG_NOTICE;
	if (outcome && (streq(outcome, "refused") || streq(outcome, "superseded")))
		return LOG_AUTHPRIV | LOG_WARNING;
	return LOG_AUTHPRIV | LOG_ERR;
}

static bool needs_quotes(const char *v)
{
	if (!*v)
		return true;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' || *p == 0x7f)
			return true;
	return false;
}

/* key=value, quoted as oplog.h says; at most max bytes of the value are
 * written (then "..."), cut at a character boundary. */
static void put_field(FILE *f, const char *key, const char *v, size_t max)
{
	const unsigned char *p = (const unsigned char *)v, *end;

	if (!v)
		return;
	fprintf(f, " %s=", key);
	if (!needs_quotes(v)) {
		if (strlen(v) <= max) {
			fputs(v, f);
			return;
		}
		fputc('"', f);
	} else {
		fputc('"', f);
	}
	end = p + strlen(v);
	if ((size_t)(end - p) > max) {
		end = p + max;
		while (end > p && (*end & 0xc0) == 0x80)
			end--; /* not inside a UTF-8 sequence */
	}
	for (; p < end; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < ' ' || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	if (*end)
		fputs("...", f);
	fputc('"', f);
}

/* The arguments as a shell would need them typed again: an argument with
 * a space or a quote in single quotes. */
static char *join_args(int argc, char *const *argv)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (i)
			fputc(' ', f);
		if (*a && !strpbrk(a, " \t\n'\"\\$`")) {
			fputs(a, f);
			continue;
		}
		fputc('\'', f);
		for (; *a; a++)
			if (*a == '\'')
				fputs("'\\''", f);
			else
				fputc(*a, f);
		fputc('\'', f);
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

int flow_oplog_format(const struct flow_oplog *op, const char *ledger, char **ret)
{
	_cleanup_free_ char *args = NULL;
	char *s = NULL, when[32];
	size_t len = 0, room;
	FILE *f;

	if (!op || !op->op || !op->outcome)
		return -EINVAL;
	args = join_args(op->argc, op->argv);
	if (!args)
		return -ENOMEM;
	format_utc(op->ended ? op->ended : time(NULL), when, sizeof(when));
	f = open_memstream(&s, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "op=%s", needs_quotes(op->op) ? "?" : op->op);
	put_field(f, "verb", op->verb, 64);
	put_field(f, "outcome", op->outcome, 32);
	fprintf(f, " exit=%d", op->exit_code);
	put_field(f, "user", op->user ? op->user : "?", 128);
	fprintf(f, " uid=%u", op->uid);
	put_field(f, "time", when, 32);
	fprintf(f, " duration_s=%lld",
		(long long)(op->ended > op->started && op->started ? op->ended - op->started : 0));
	for (size_t i = 0; i < op->n_fields; i++)
		if (op->fields[i].key && op->fields[i].value)
			put_field(f, op->fields[i].key, op->fields[i].value, 256);
	put_field(f, "reason", op->reason, 600);
	put_field(f, "ledger", ledger, 200);
	fflush(f);
	/* the arguments get what is left */
	room = len + 16 < BODY_MAX ? BODY_MAX - len - 16 : 0;
	if (room > 0)
		put_field(f, "args", args, room);
	if (fclose(f) != 0) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

int flow_oplog_send(const char *line, int priority)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const char *path = getenv("WIPECERT_SYSLOG_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 1 };
	_cleanup_free_ char *msg = NULL;
	time_t now = time(NULL);
	struct tm tm;
	ssize_t n;
	int fd, len, r = 0;

	if (!line)
		return -EINVAL;
	if (!path || !*path)
		path = OPLOG_SYSLOG_PATH;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* RFC 3164 as glibc's syslog(3) sends it: the month in English
	 * whatever the locale, local time (journald and rsyslog stamp their
	 * own receipt time; the line carries time= in UTC) */
	localtime_r(&now, &tm);
	len = asprintf(&msg, "<%d>%s %2d %02d:%02d:%02d %s[%d]: %s", priority, months[tm.tm_mon % 12], tm.tm_mday,
		       tm.tm_hour, tm.tm_min, tm.tm_sec, OPLOG_IDENT, (int)getpid(), line);
	if (len < 0) {
		msg = NULL;
		return -ENOMEM;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a syslog daemon that stopped reading must not hold the command */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	n = send(fd, msg, (size_t)len, MSG_NOSIGNAL);
	if (n < 0)
		r = errno == EWOULDBLOCK ? -EAGAIN : -errno;
	else if (n != len)
		r = -EMSGSIZE;
out:
	close(fd);
	return r;
}

int flow_oplog_notes(const char *db, const struct trust_seckey *k, struct flow_oplog_note *notes, size_t n,
		     struct flow_error *err)
{
	struct ledger *l = NULL;
	int r, done = 0;

	if (!db || !k)
		return flow_fail(err, -EINVAL, "no ledger or no key");
	r = ledger_open(db, 0, &l);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot open the ledger: %s", db, strerror(-r));
	r = ledger_set_signer(l, k);
	if (r < 0) {
		flow_fail(err, r, "%s: a %s key may not sign ledger events", trust_seckey_name(k),
			  trust_role_to_string(trust_seckey_role(k)));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		notes[i].seq = 0;
		if (!notes[i].asset_id || !notes[i].text)
			continue;
		r = ledger_asset_note(l, notes[i].asset_id, NULL, notes[i].text, &notes[i].seq);
		if (r == -ENOENT) {
			notes[i].seq = 0; /* no such asset: nothing to hang it on */
			continue;
		}
		if (r < 0) {
			notes[i].seq = 0;
			flow_fail(err, r, "asset %s: the ledger did not take the note: %s", notes[i].asset_id,
				  strerror(-r));
			if (!done)
				goto out;
			continue;
		}
		done++;
	}
	r = done;
out:
	ledger_close(l);
	return r;
}

/* "seq:12,13", or why the notes are not in the ledger */
static char *ledger_field(struct flow_oplog *op, char **ret_err)
{
	struct flow_error err = { "" };
	char *s = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!op->n_notes)
		return NULL;
	if (!op->db)
		return strdup("none: no ledger");
	if (!op->signer)
		return strdup("none: no key given");
	r = flow_oplog_notes(op->db, op->signer, op->notes, op->n_notes, &err);
	if (r < 0 || (r == 0 && err.msg[0])) {
		if (ret_err)
			*ret_err = strdup(err.msg);
		if (asprintf(&s, "none: %s", err.msg) < 0)
			return NULL;
		return s;
	}
	if (r == 0)
		return strdup("none: no such asset");
	f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	fputs("seq:", f);
	for (size_t i = 0, k = 0; i < op->n_notes; i++)
		if (op->notes[i].seq)
			fprintf(f, "%s%llu", k++ ? "," : "", (unsigned long long)op->notes[i].seq);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

int flow_oplog_record(struct flow_oplog *op, char **ret_line, char **ret_ledger_err)
{
	_cleanup_free_ char *ledger = NULL, *line = NULL;
	int r;

	/* the ledger first: the line names what it recorded */
	ledger = ledger_field(op, ret_ledger_err);
	r = flow_oplog_format(op, ledger, &line);
	if (r < 0)
		return r;
	r = flow_oplog_send(line, flow_oplog_priority(op->outcome));
	if (ret_line)
		*ret_line = TAKE_PTR(line);
	return r;
}
