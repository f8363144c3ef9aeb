/* oplog.c - the command line layer's side of the operation log: what the
 * command being run did, gathered while it runs, handed to
 * flow_oplog_record() once, on the dispatcher's exit path (main.c), for
 * every command.
 *
 * Commands do not log: they say what they act on (cli_op_subject(),
 * cli_op_field(), cli_op_job()) where they already have it, the key
 * loader and the ledger openers register the signer and the ledger, the
 * error printer keeps the first error. Here the outcome decides whether
 * there is anything to log and what the ledger must keep.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "wipecert/cli.h"
#include "wipecert/ledger.h"
#include "wipecert/oplog.h"
#include "wipecert/trust.h"

#define MAX_FIELDS 64
#define MAX_JOBS 64

struct op_job {
	char *id, *asset, *method, *result, *detail;
	bool sealed;
};

static struct {
	const struct command *cmd;
	int argc;
	char **argv;
	time_t started;
	bool acted;             /* something was changed, or tried */
	char *reason;           /* the first error printed */
	struct flow_oplog_field fields[MAX_FIELDS];
	size_t n_fields;
	char *subject;          /* the asset a refusal concerns */
	char *db;
	struct trust_seckey *signer;
	struct op_job jobs[MAX_JOBS];
	size_t n_jobs;
} op;

void cli_op_begin(const struct command *cmd, int argc, char **argv)
{
	op.cmd = cmd;
	/* as typed: getopt_long() permutes the command's argv */
	op.argv = calloc((size_t)argc + 1, sizeof(*op.argv));
	if (op.argv)
		memcpy(op.argv, argv, (size_t)argc * sizeof(*argv));
	op.argc = op.argv ? argc : 0;
	op.started = time(NULL);
}

void cli_op_acted(void)
{
	op.acted = true;
}

void cli_op_reason(const char *msg)
{
	if (op.cmd && !op.reason && msg)
		op.reason = strdup(msg);
}

void cli_op_field(const char *key, const char *value)
{
	char *v;

	if (!op.cmd || !key || !value || op.n_fields == MAX_FIELDS)
		return;
	for (size_t i = 0; i < op.n_fields; i++)
		if (streq(op.fields[i].key, key) && streq(op.fields[i].value, value))
			return; /* said already */
	v = strdup(value);
	if (v)
		op.fields[op.n_fields++] = (struct flow_oplog_field){ key, v };
}

void cli_op_subject(const char *asset_id)
{
	if (!op.cmd || !asset_id)
		return;
	free(op.subject);
	op.subject = strdup(asset_id);
	cli_op_field("asset", asset_id);
}

void cli_op_ledger(const char *db)
{
	if (!op.cmd || !db)
		return;
	free(op.db);
	/* a PostgreSQL URI's password stays out of the log */
	op.db = ledger_where_display(db);
}

void cli_op_signer(const struct trust_seckey *k)
{
	struct trust_seckey *d = NULL;

	if (!op.cmd || !k)
		return;
	op.acted = true;
	/* the first key loaded is the one that answers for the command */
	if (op.signer || trust_seckey_dup_signer(k, &d) < 0)
		return;
	op.signer = d;
}

static struct op_job *find_job(const char *id)
{
	for (size_t i = 0; i < op.n_jobs; i++)
		if (streq(op.jobs[i].id, id))
			return &op.jobs[i];
	return NULL;
}

void cli_op_job(const char *id, const char *asset, const char *method, const char *result, const char *detail)
{
	struct op_job *j;

	if (!op.cmd || !id || !result)
		return;
	op.acted = true;
	j = find_job(id);
	if (!j) {
		if (op.n_jobs == MAX_JOBS)
			return;
		j = &op.jobs[op.n_jobs++];
		j->id = strdup(id);
		j->asset = asset ? strdup(asset) : NULL;
		j->method = method ? strdup(method) : NULL;
	}
	free(j->result);
	free(j->detail);
	j->result = strdup(result);
	j->detail = detail ? strdup(detail) : NULL;
}

void cli_op_sealed(const char *id)
{
	struct op_job *j = id ? find_job(id) : NULL;

	if (j)
		j->sealed = true;
}

static const char *outcome_of(int exit_code)
{
	switch (exit_code) {
	case EXIT_OK: return "ok";
	case EXIT_REFUSED: return "refused";
	case EXIT_SUPERSEDED: return "superseded";
	default:
		for (size_t i = 0; i < op.n_jobs; i++)
			if (op.jobs[i].result && streq(op.jobs[i].result, "interrupted"))
				return "interrupted";
		return "failed";
	}
}

/* The verb of a family (ledger edit, trust add): its first word that is
 * no option (ledger takes --db PATH before it). */
static const char *verb_of(void)
{
	if (!op.cmd->sub)
		return NULL;
	for (int i = 1; i < op.argc; i++) {
		if (streq(op.argv[i], "--db")) {
			i++;
			continue;
		}
		if (op.argv[i][0] != '-')
			return op.argv[i];
	}
	return NULL;
}

/* What the ledger must keep of this command: a refusal of something done
 * to an asset, a wipe of an asset interrupted or failed and not sealed
 * (a sealed one has its seal's event). */
static size_t make_notes(int exit_code, const char *verb, struct flow_oplog_note *notes, char **texts, size_t max)
{
	size_t n = 0;

	if (exit_code == EXIT_REFUSED && op.subject && n < max &&
	    asprintf(&texts[n], "refused: %s%s%s: %s", op.cmd->name, verb ? " " : "", verb ? verb : "",
		     op.reason ? op.reason : "(no reason printed)") >= 0) {
		notes[n] = (struct flow_oplog_note){ op.subject, texts[n], 0 };
		n++;
	}
	for (size_t i = 0; i < op.n_jobs && n < max; i++) {
		const struct op_job *j = &op.jobs[i];
		const char *m = j->method ? j->method : "?";
		int k;

		if (!j->asset || j->sealed)
			continue;
		if (streq(j->result, "interrupted"))
			k = asprintf(&texts[n], "wipe interrupted: job %s (%s), %s; not sealed, continue with "
				     "'wipecert resume %s'", j->id, m, j->detail ? j->detail : "resumable", j->id);
		else if (streq(j->result, "failed") || streq(j->result, "could-not-run"))
			k = asprintf(&texts[n], "wipe %s, not sealed: job %s (%s): %s",
				     streq(j->result, "failed") ? "FAILED" : "could not run", j->id, m,
				     j->detail ? j->detail : "?");
		else
			continue;
		if (k < 0)
			break;
		notes[n] = (struct flow_oplog_note){ j->asset, texts[n], 0 };
		n++;
	}
	return n;
}

static void release(void)
{
	free(op.argv);
	free(op.reason);
	for (size_t i = 0; i < op.n_fields; i++)
		free((char *)op.fields[i].value);
	free(op.subject);
	free(op.db);
	trust_seckey_free(op.signer);
	for (size_t i = 0; i < op.n_jobs; i++) {
		free(op.jobs[i].id);
		free(op.jobs[i].asset);
		free(op.jobs[i].method);
		free(op.jobs[i].result);
		free(op.jobs[i].detail);
	}
	memset(&op, 0, sizeof(op));
}

int cli_op_end(int exit_code)
{
	struct flow_oplog_note notes[MAX_JOBS + 1];
	char *texts[MAX_JOBS + 1] = { NULL };
	_cleanup_free_ char *ledger_err = NULL;
	struct flow_oplog o = { 0 };
	const char *verb;
	int r;

	if (!op.cmd)
		return exit_code;
	/* a usage error did nothing; what acted or refused is logged */
	if (exit_code == EXIT_USAGE || !(op.acted || exit_code == EXIT_REFUSED)) {
		release();
		return exit_code;
	}
	for (size_t i = 0; i < op.n_jobs; i++) {
		cli_op_field("job", op.jobs[i].id);
		cli_op_field("result", op.jobs[i].result);
	}
	verb = verb_of();
	o = (struct flow_oplog){
		.op = op.cmd->name, .verb = verb, .outcome = outcome_of(exit_code), .exit_code = exit_code,
		.user = cli_login_name(), .uid = (unsigned)getuid(), .started = op.started, .ended = time(NULL),
		.fields = op.fields, .n_fields = op.n_fields, .reason = op.reason,
		.argc = op.argc > 0 ? op.argc - 1 : 0, .argv = op.argc > 0 ? op.argv + 1 : NULL, .db = op.db, .signer = op.signer,
		.notes = notes,
	};
	o.n_notes = make_notes(exit_code, verb, notes, texts, ARRAY_SIZE(notes));
	r = flow_oplog_record(&o, NULL, &ledger_err);
	/* a station without syslog is a choice made there; anything else is
	 * a log that was meant to be written and was not */
	if (r < 0 && r != -ENOENT && r != -ECONNREFUSED)
		log_warn(_("the operation log could not be sent: %s"), strerror(-r));
	if (ledger_err)
		log_warn(_("the ledger did not record this operation: %s"), ledger_err);
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		free(texts[i]);
	release();
	return exit_code;
}
