/* test_oplog.c - the operation log: the line's fields, order and quoting;
 * one RFC 3164 datagram on a socket bound here ($WIPECERT_SYSLOG_SOCKET);
 * no listener is -ENOENT; the notes as signed "note" events of a real
 * SQLite ledger, the line naming them; no key, no notes. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "test_ledger_fixture.h"
#include "wipecert/flow.h"
#include "wipecert/oplog.h"

static char *argv_[] = { "--method", "zero", "--reason", "it's \"bad\"", "/dev/loop3", NULL };

static struct flow_oplog sample(void)
{
	static const struct flow_oplog_field fields[] = { { "asset", "A-1" }, { "job", "J 1" } };

	return (struct flow_oplog){
		.op = "wipe", .outcome = "refused", .exit_code = 3, .user = "tanaka", .uid = 0,
		.started = 1795000000, .ended = 1795000002, .fields = fields, .n_fields = 2,
		.reason = "/dev/loop3: refused: mounted\n(at /mnt)", .argc = 5, .argv = argv_,
	};
}

static void test_format(void **state)
{
	struct flow_oplog op = sample();
	char *line = NULL;

	(void)state;
	assert_int_equal(flow_oplog_format(&op, "seq:12", &line), 0);
	assert_string_equal(line,
		"op=wipe outcome=refused exit=3 user=tanaka uid=0 time=2026-11-18T11:06:42Z duration_s=2 asset=A-1 "
		"job=\"J 1\" reason=\"/dev/loop3: refused: mounted\\x0a(at /mnt)\" ledger=seq:12 "
		"args=\"--method zero --reason 'it'\\\\''s \\\"bad\\\"' /dev/loop3\"");
	free(line);
	/* a verb, no ledger field */
	op.verb = "edit";
	op.op = "ledger";
	op.n_fields = 0;
	op.reason = NULL;
	op.argc = 0;
	assert_int_equal(flow_oplog_format(&op, NULL, &line), 0);
	assert_string_equal(line, "op=ledger verb=edit outcome=refused exit=3 user=tanaka uid=0 "
				  "time=2026-11-18T11:06:42Z duration_s=2 args=\"\"");
	free(line);
	assert_int_equal(flow_oplog_priority("ok"), LOG_AUTHPRIV | LOG_NOTICE);
	assert_int_equal(flow_oplog_priority("refused"), LOG_AUTHPRIV | LOG_WARNING);
	assert_int_equal(flow_oplog_priority("interrupted"), LOG_AUTHPRIV | LOG_ERR);
	assert_int_equal(flow_oplog_priority("failed"), LOG_AUTHPRIV | LOG_ERR);
}

/* A very long argument is cut: the line stays within what syslog takes. */
static void test_long(void **state)
{
	char *big = malloc(20000), *args[] = { big, NULL }, *line = NULL;
	struct flow_oplog op = sample();

	(void)state;
	memset(big, 'x', 19999);
	big[19999] = '\0';
	op.argc = 1;
	op.argv = args;
	assert_int_equal(flow_oplog_format(&op, NULL, &line), 0);
	assert_true(strlen(line) <= OPLOG_MAX_LINE - 64);
	assert_non_null(strstr(line, "xxx...\""));
	free(line);
	free(big);
}

static int bind_dgram(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void test_send(void **state)
{
	struct fx *f = *state;
	char *path = NULL, buf[512], want[64];
	ssize_t n;
	int fd;

	assert_true(asprintf(&path, "%s/log.sock", f->dir) > 0);
	setenv("WIPECERT_SYSLOG_SOCKET", path, 1);
	/* nobody listens */
	assert_int_equal(flow_oplog_send("op=x outcome=ok", LOG_AUTHPRIV | LOG_NOTICE), -ENOENT);
	fd = bind_dgram(path);
	assert_int_equal(flow_oplog_send("op=x outcome=ok", LOG_AUTHPRIV | LOG_NOTICE), 0);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	/* "<85>Mmm dd hh:mm:ss wipecert[PID]: op=x outcome=ok": one datagram, one line */
	assert_memory_equal(buf, "<85>", 4);
	assert_true(strchr("JFMASOND", buf[4]) != NULL);
	assert_int_equal(buf[7], ' ');
	assert_int_equal(buf[10], ' ');
	assert_int_equal(buf[13], ':');
	snprintf(want, sizeof(want), " wipecert[%d]: op=x outcome=ok", (int)getpid());
	assert_string_equal(buf + 19, want);
	assert_null(strchr(buf, '\n'));
	close(fd);
	unlink(path);
	unsetenv("WIPECERT_SYSLOG_SOCKET");
	free(path);
}

struct count {
	size_t notes;
	char reason[256], actor[64];
	bool signed_;
};

static int count_cb(const struct ledger_event *e, void *userdata)
{
	struct count *c = userdata;

	if (!streq(e->kind, "note"))
		return 0;
	c->notes++;
	snprintf(c->reason, sizeof(c->reason), "%s", e->reason);
	snprintf(c->actor, sizeof(c->actor), "%s", e->actor);
	c->signed_ = e->signature_len > 0 && e->key_id;
	return 0;
}

static void test_notes(void **state)
{
	struct fx *f = *state;
	struct ledger_asset a = { 0 };
	struct ledger_verify_result vr = { 0 };
	struct flow_oplog_note notes[] = {
		{ "A-1", "refused: wipe: /dev/loop3: refused: mounted", 0 },
		{ "NO-SUCH", "wipe interrupted: job J (zero)", 0 },
	};
	struct flow_oplog op = sample();
	struct flow_error err = { "" };
	struct count c = { 0 };
	char *path = NULL, *line = NULL, *lerr = NULL, buf[1024], want[32];
	ssize_t n;
	int fd;

	assert_int_equal(ledger_asset_set(&a, LEDGER_F_ASSET_ID, "A-1"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_SERIAL, "S-1"), 0);
	assert_int_equal(ledger_asset_set(&a, LEDGER_F_IMPORTANCE, "3"), 0);
	assert_int_equal(ledger_asset_check_new(&a), 0);
	assert_int_equal(ledger_asset_add(f->l, &a, NULL, "registered", NULL), 0);
	ledger_asset_clear(&a);
	ledger_close(f->l);
	f->l = NULL;

	/* two notes, one on an asset the ledger does not have: skipped */
	assert_int_equal(flow_oplog_notes(f->db, f->signer, notes, 2, &err), 1);
	assert_true(notes[0].seq > 0);
	assert_int_equal(notes[1].seq, 0);
	assert_int_equal(ledger_open(f->db, 0, &f->l), 0);
	assert_int_equal(ledger_history(f->l, "A-1", count_cb, &c), 0);
	assert_int_equal(c.notes, 1);
	assert_string_equal(c.reason, notes[0].text);
	assert_string_equal(c.actor, "tester");
	assert_true(c.signed_);
	assert_int_equal(ledger_verify(f->l, NULL, &vr), 0);
	ledger_close(f->l);
	f->l = NULL;
	/* no such ledger */
	assert_int_equal(flow_oplog_notes("/nonexistent/ledger.db", f->signer, notes, 1, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "cannot open the ledger"));

	/* the one step: the notes, then the line naming their event */
	assert_true(asprintf(&path, "%s/log.sock", f->dir) > 0);
	setenv("WIPECERT_SYSLOG_SOCKET", path, 1);
	fd = bind_dgram(path);
	op.db = f->db;
	op.signer = f->signer;
	op.notes = notes;
	op.n_notes = 1;
	assert_int_equal(flow_oplog_record(&op, &line, &lerr), 0);
	assert_null(lerr);
	snprintf(want, sizeof(want), " ledger=seq:%llu ", (unsigned long long)notes[0].seq);
	assert_non_null(strstr(line, want));
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, line));
	free(line);
	/* without a key the notes stay out of the ledger, and the line says so */
	op.signer = NULL;
	assert_int_equal(flow_oplog_record(&op, &line, &lerr), 0);
	assert_non_null(strstr(line, " ledger=\"none: no key given\" "));
	free(line);
	assert_int_equal(ledger_open(f->db, 0, &f->l), 0);
	assert_int_equal(ledger_set_signer(f->l, f->signer), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(ledger_history(f->l, "A-1", count_cb, &c), 0);
	assert_int_equal(c.notes, 2); /* the first call's and the one step's */
	close(fd);
	unsetenv("WIPECERT_SYSLOG_SOCKET");
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_long),
		cmocka_unit_test_setup_teardown(test_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notes, setup, teardown),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
