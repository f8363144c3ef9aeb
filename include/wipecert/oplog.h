/* oplog.h - the operation log: one structured line for each command that
 * changed something or refused, to syslog (journald reads the same
 * socket: `journalctl -t wipecert`), and the events an audit needs
 * (refusals, interrupted and failed wipes) into the ledger's signed,
 * hash-chained history, kept as long as the ledger.
 *
 * Its job: at the end of a command, append the command's audit notes to
 * its ledger, signed by the person whose key the command loaded, then
 * format the one key=value line (naming those ledger events) and send it.
 * It must never print, never change the outcome of the command it logs
 * (a log that cannot be written leaves the command's work as it was),
 * and never sign with a key the command did not load.
 *
 * The line, e.g.
 *   op=wipe outcome=refused exit=3 user=tanaka uid=0 time=2026-11-23T08:49:00Z
 *   duration_s=0 asset=A-1 reason="/dev/sdb: refused: mounted (...)"
 *   ledger=seq:42 args="--method zero --asset A-1 /dev/sdb"
 * keys in this order; values with a space, a quote, a backslash or '=' in
 * double quotes with \" and \\; control characters as \xNN. Fields that a
 * command adds (job, result, asset, case, certificate) come after
 * duration_s, in the order added; a key may repeat (one job= result= pair
 * per job). docs/architecture.md ("The operation log") has the choices.
 */
#ifndef WIPECERT_OPLOG_H
#define WIPECERT_OPLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct flow_error;
struct trust_seckey;

/* The socket the line goes to: $WIPECERT_SYSLOG_SOCKET, else this. */
#define OPLOG_SYSLOG_PATH "/dev/log"
/* The syslog tag: `journalctl -t wipecert`, rsyslog's $programname. */
#define OPLOG_IDENT "wipecert"
/* The longest line sent (bytes, header included): rsyslog's default
 * maximum message size is 8 KiB; args and reason are cut to fit. */
#define OPLOG_MAX_LINE 4096

/* An event the ledger keeps: a "note" on an asset, signed by the signer. */
struct flow_oplog_note {
	const char *asset_id;
	const char *text;
	uint64_t seq;           /* out: the event appended, 0 when not */
};

struct flow_oplog_field {
	const char *key, *value;
};

struct flow_oplog {
	const char *op;         /* the command: "wipe" */
	const char *verb;       /* its verb ("ledger edit"), or NULL */
	const char *outcome;    /* "ok", "failed", "interrupted", "refused", "superseded" */
	int exit_code;
	const char *user;       /* who typed it ($SUDO_USER under sudo) */
	unsigned uid;
	time_t started, ended;
	const struct flow_oplog_field *fields;
	size_t n_fields;
	const char *reason;     /* the first error the command printed, or NULL */
	int argc;               /* the arguments after the command name */
	char *const *argv;
	/* the ledger the notes go to (NULL: none) and who signs them (NULL:
	 * nobody can, and they stay out of the ledger: the line says so) */
	const char *db;
	const struct trust_seckey *signer;
	struct flow_oplog_note *notes;
	size_t n_notes;
};

/* syslog(3)'s priority for an outcome: LOG_AUTHPRIV with NOTICE (ok),
 * WARNING (refused, superseded) or ERR (failed, interrupted). */
int flow_oplog_priority(const char *outcome);

/* The line (malloc'd, at most OPLOG_MAX_LINE - 64 bytes); ledger is the
 * value of its ledger= field or NULL for none. */
int flow_oplog_format(const struct flow_oplog *op, const char *ledger, char **ret);

/* Send line as one RFC 3164 datagram, "<PRI>Mmm dd hh:mm:ss wipecert[PID]:
 * line", to $WIPECERT_SYSLOG_SOCKET or OPLOG_SYSLOG_PATH. -ENOENT or
 * -ECONNREFUSED when no syslog listens there, other -errno when sending
 * failed (a full socket buffer waits one second, then -EAGAIN). */
int flow_oplog_send(const char *line, int priority);

/* Append each note to the ledger at db as a "note" event of its asset,
 * signed by k (its holder is the actor), each in its own transaction.
 * Returns how many were recorded; -errno with err filled when none could
 * be (no such ledger, a key that may not sign ledger events). A note
 * whose asset is not in the ledger is skipped (seq stays 0). */
int flow_oplog_notes(const char *db, const struct trust_seckey *k, struct flow_oplog_note *notes, size_t n,
		     struct flow_error *err);

/* The one operation-log step at the end of every command (the command
 * line layer's exit path calls it): the notes into the ledger when there
 * is a ledger and a signer, then the line with ledger= naming their
 * events ("seq:12,13"), or why they are not there ("none: no key given"),
 * sent to syslog. *ret_line (may be NULL) gets the line sent. Returns 0
 * when the line was sent; -errno from flow_oplog_send() otherwise (the
 * notes were tried first whatever happens to the line). ret_ledger_err
 * (may be NULL) gets a malloc'd sentence when notes could not be
 * recorded. */
int flow_oplog_record(struct flow_oplog *op, char **ret_line, char **ret_ledger_err);

#endif
