/* approve.c - the approval workflow on the command line: `seal`,
 * `pending`, `approve`, `reject`, `export-record`, `import-record`.
 *
 * Each command opens what it needs (state directory, ledger, trust
 * roster, policy), calls one flow step, and says what happened. The flow
 * layer decides; this file only asks, confirms and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "wipecert/cli.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/policy.h"
#include "wipecert/trust.h"
#include "flowcli.h"

const char common_help[] = N_(
	"      --state-dir DIR     cases and jobs (default $WIPECERT_STATE_DIR or /var/lib/wipecert/jobs)\n"
	"      --db DB             the asset ledger: a file, or a PostgreSQL database as\n"
	"                          postgresql://... or service=NAME (default $WIPECERT_DB\n"
	"                          or /var/lib/wipecert/ledger.db)\n"
	"      --trust DIR         the trust roster (default $WIPECERT_TRUST or /etc/wipecert/trust)\n"
	"      --policy FILE       the disposal policy (default /etc/wipecert/policy.conf if present)\n"
	"  -h, --help              show this help\n");
const char common_json_help[] = N_("  -J, --json              JSON output\n");

const char party_help[] = N_(
	"      --client NAME       依頼者: who the work is for (default: the policy's [certificate])\n"
	"      --client-unit UNIT  the client's department\n"
	"      --site ADDRESS      作業場所: where the work was done\n"
	"      --room ROOM         the room\n"
	"      --approval-ref REF  起案・決裁番号: the approval document's number\n"
	"      --document-number N 文書番号 of the certificate\n"
	"      --layout L          standard or municipal (様式: document number, addressee, 公印 area)\n");

int party_option(struct flow_control *fc, int c, const char *arg)
{
	switch (c) {
	case OPT_CLIENT: fc->parties.client = arg; return 1;
	case OPT_CLIENT_UNIT: fc->parties.client_unit = arg; return 1;
	case OPT_SITE: fc->parties.site = arg; return 1;
	case OPT_ROOM: fc->parties.room = arg; return 1;
	case OPT_APPROVAL_REF: fc->parties.approval_ref = arg; return 1;
	case OPT_DOCNO: fc->parties.document_number = arg; return 1;
	case OPT_LAYOUT:
		if (!streq(arg, "standard") && !streq(arg, "municipal"))
			return -1;
		fc->parties.layout = arg;
		return 1;
	}
	return 0;
}

/* Handle an option common to the workflow commands; 1 if it was one. */
int common_option(struct flow_control *fc, int c, const char *arg)
{
	switch (c) {
	case OPT_STATE_DIR: fc->state_dir = arg; return 1;
	case OPT_DB: fc->db = arg; return 1;
	case OPT_TRUST: fc->trust_dir = arg; return 1;
	case OPT_POLICY: fc->policy_path = arg; return 1;
	case 'J': fc->json = true; return 1;
	}
	return 0;
}

void flow_control_release(struct flow_control *fc)
{
	ledger_close(fc->ledger);
	trust_store_free(fc->trust);
	if (fc->have_policy)
		policy_release(&fc->policy);
}

/* Open what the command needs; prints why and returns an exit code on failure. */
int cli_policy_load(const char *path, struct policy *ret, bool *ret_loaded)
{
	const char *p = path ? path : DEFAULT_POLICY;
	_cleanup_free_ char *err = NULL;
	int r;

	*ret_loaded = false;
	if (!path && access(DEFAULT_POLICY, F_OK) < 0)
		return 0; /* no file: the built-in policy */
	r = policy_load(p, ret, &err);
	if (r < 0) {
		if (err)
			log_error("%s", err);
		else
			log_error_errno(r, _("%s: cannot read the policy"), p);
		return r;
	}
	*ret_loaded = true;
	return 0;
}

int flow_control_open(struct flow_control *fc, unsigned need)
{
	int r;

	fc->ctx.state_dir = fc->state_dir;
	if (need & (NEED_LEDGER | WANT_LEDGER)) {
		const char *p = ledger_resolve_path(fc->db);

		if ((need & NEED_LEDGER) || fc->db || getenv("WIPECERT_DB") || access(p, F_OK) == 0) {
			r = cli_ledger_open_or_away(fc->db, (need & CREATE_LEDGER) && fc->db ? LEDGER_OPEN_CREATE : 0,
						    &fc->ledger, need & QUEUE_LEDGER ? &fc->ctx.ledger_away : NULL);
			if (r)
				return r;
			cli_op_ledger(p);
		}
	}
	if (need & NEED_TRUST) {
		const char *dir = trust_dir(fc->trust_dir);

		/* one loader: a list older than one seen before is refused (exit 3) */
		r = cli_trust_open(dir, &fc->trust);
		if (r)
			return r;
	}
	if (cli_policy_load(fc->policy_path, &fc->policy, &fc->have_policy) < 0)
		return EXIT_FAIL;
	if (fc->have_policy)
		fc->ctx.policy = &fc->policy;
	fc->ctx.ledger = fc->ledger;
	fc->ctx.trust = fc->trust;
	fc->ctx.logo = fc->logo;
	fc->ctx.parties = &fc->parties;
	return EXIT_OK;
}

int write_report_file(const char *path, const void *data, size_t len, enum trust_doc doc,
		      const struct trust_seckey *k, const char *sig)
{
	_cleanup_free_ char *own = NULL, *sigpath = NULL;
	struct flow_error err = { "" };
	int r;

	if (k && !sig) {
		r = flow_report_sign_bytes(doc, data, len, k, &own, &err);
		if (r < 0)
			return log_error("%s: %s", path, flow_error_text(&err)), r;
		sig = own;
	}
	if (k && asprintf(&sigpath, "%s.minisig", path) < 0)
		return log_error_errno(-ENOMEM, _("out of memory"));
	r = write_file_atomic(path, data, len, 0644, false);
	if (r >= 0 && k)
		r = write_file_atomic(sigpath, sig, strlen(sig), 0644, false);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot write the report"), path);
	return 0;
}

int exit_for(int r)
{
	return r == -EPERM || r == -EEXIST || r == -EBUSY || r == -ESTALE ? EXIT_REFUSED : EXIT_FAIL;
}

/* ---- seal ---- */

static void seal_help(void)
{
	printf(_("Usage: %s seal JOB --asset ID --key TECHNICIAN.key [options]\n\n"
		 "Sign a finished wipe job as the technician: the wipe record names the\n"
		 "disk, the asset, every pass and its verification. The ledger records it\n"
		 "(status \"erased\" for a verified wipe).\n\n"
		 "Options:\n"
		 "      --asset ID          the asset the disk is in the ledger\n"
		 "  -k, --key FILE          the technician's secret key\n"
		 "      --passphrase-file F its passphrase (else asked on the terminal)\n"
		 "      --keep-outbox       the ledger stands in for the central one (the wipecert\n"
		 "                          stick): the record also waits in STATE_DIR/outbox for\n"
		 "                          'wipecert sync'\n"
		 "      --witness-key FILE  a witness signs the record too (立会者, role witness)\n"
		 "      --witness-passphrase-file F  the witness's passphrase\n"), program_name);
	fputs(_(common_json_help), stdout);
	fputs(_(common_help), stdout);
}

int witness_after(struct flow_control *fc, const char *id, struct trust_seckey *w)
{
	struct trust_seckey *own = NULL;
	struct flow_error err = { "" };
	_cleanup_free_ char *path = NULL;
	int r;

	if (!fc->witness_key)
		return EXIT_OK;
	if (!w && key_load_secret(fc->witness_key, fc->witness_pass, &own) < 0)
		return EXIT_FAIL;
	r = flow_witness(&fc->ctx, id, w ? w : own, &path, &err);
	if (r < 0)
		log_error("%s", flow_error_text(&err));
	else if (!fc->json)
		printf(_("%s: witnessed by %s: %s\n"), id, trust_seckey_name(w ? w : own), path);
	trust_seckey_free(own);
	return r < 0 ? exit_for(r) : EXIT_OK;
}

int cmd_seal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "asset", required_argument, NULL, OPT_ASSET },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		{ "keep-outbox", no_argument, NULL, OPT_KEEP_OUTBOX },
		WITNESS_OPTIONS,
		COMMON_OPTIONS,
		CLI_OPT_JSON,
		{}
	};
	struct flow_control fc = { 0 };
	struct trust_seckey *k = NULL;
	struct flow_error err = { "" };
	_cleanup_free_ char *path = NULL;
	const char *asset = NULL;
	bool keep_outbox = false;
	int c, r, ret;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "seal")) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		switch (c) {
		case OPT_ASSET: asset = optarg; break;
		case 'k': fc.key = optarg; break;
		case OPT_PASS: fc.pass_file = optarg; break;
		case OPT_KEEP_OUTBOX: keep_outbox = true; break;
		case OPT_WITNESS_KEY: fc.witness_key = optarg; break;
		case OPT_WITNESS_PASS: fc.witness_pass = optarg; break;
		case 'h': seal_help(); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return usage_error("seal", _("one JOB is needed"));
	if (!asset || !fc.key)
		return usage_error("seal", _("--asset and --key are required"));
	cli_op_subject(asset);
	cli_op_field("job", argv[optind]);
	ret = flow_control_open(&fc, WANT_LEDGER | QUEUE_LEDGER);
	if (ret)
		goto out;
	fc.ctx.keep_outbox = keep_outbox;
	r = key_load_secret(fc.key, fc.pass_file, &k);
	if (r < 0) {
		ret = key_exit_code(r);
		goto out;
	}
	cli_sync_quietly(&fc.ctx, k);
	r = flow_seal(&fc.ctx, argv[optind], asset, k, &path, &err);
	if (r < 0) {
		log_error("%s", flow_error_text(&err));
		ret = exit_for(r);
		goto out;
	}
	if (r == FLOW_QUEUED)
		log_warn(_("%s: the ledger is unreachable: the wipe record waits in %s/outbox and is submitted by "
			   "'wipecert sync' (or the next command with a key)"), argv[optind], flow_state_dir(&fc.ctx));
	if (fc.json)
		cli_print_json(json_pack("{s:s,s:s,s:s}", "job", argv[optind], "wipe_record", path,
					 "technician", trust_seckey_name(k)), 0);
	else
		printf(_("%s: sealed by %s: %s\n"), argv[optind], trust_seckey_name(k), path);
	ret = witness_after(&fc, argv[optind], NULL);
out:
	trust_seckey_free(k);
	flow_control_release(&fc);
	return ret;
}

/* ---- pending ---- */

static json_t *case_json(const struct flow_case *k)
{
	json_t *o = json_object();
	const struct {
		const char *name, *v;
	} f[] = {
		{ "id", k->id }, { "state", k->state }, { "asset_id", k->asset_id }, { "device", k->device },
		{ "method", k->method }, { "job_state", k->job_state }, { "verification", k->verification },
		{ "technician", k->technician }, { "sealed_at", k->sealed_at }, { "certificate", k->certificate },
		{ "certificate_id", k->certificate_id }, { "station", k->station },
	};

	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		json_object_set_new(o, f[i].name, f[i].v ? json_string(f[i].v) : json_null());
	return o;
}

/* A case's states and results as people read them (msgctxt "case");
 * --json keeps the words. The list is for xgettext (po/wipecert.pot). */
static _unused_ const char *const case_words[] = {
	NC_("case", "awaiting-approval"), NC_("case", "approved"), NC_("case", "rejected"),
	NC_("case", "running"), NC_("case", "succeeded"), NC_("case", "failed"), NC_("case", "destroyed"),
	NC_("case", "passed"), NC_("case", "none"),
};

static const char *case_word(const char *w)
{
	return w ? cli_pgettext("case", w) : NULL;
}

static bool listed(const struct flow_case *k, bool all)
{
	return all || streq(k->state, "awaiting-approval") || streq(k->state, "awaiting-submission");
}

static int pending_json(const struct flow_case *v, size_t n, bool all)
{
	json_t *arr = json_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (listed(&v[i], all))
			json_array_append_new(arr, case_json(&v[i]));
	cli_print_json(json_pack("{s:o}", "cases", arr), JSON_INDENT(2));
	return 0;
}

static int pending_table(const struct flow_case *v, size_t n, bool all)
{
	const char *const head[] = { _("CASE"), _("STATE"), _("ASSET"), _("METHOD"), _("RESULT"), _("VERIFY"), _("TECHNICIAN") };
	struct libscols_table *t;
	size_t shown = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		shown += listed(&v[i], all);
	if (!shown) {
		log_info(_("no case awaits approval"));
		return 0;
	}
	t = cli_table_new(head, ARRAY_SIZE(head));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct flow_case *k = &v[i];

		if (!listed(k, all))
			continue;
		r = cli_table_row(t, (const char *const[]){ k->id, case_word(k->state), k->asset_id, k->method,
							    case_word(k->job_state), case_word(k->verification), k->technician });
		if (r < 0) {
			cli_table_free(t);
			return r;
		}
	}
	return cli_table_print(t);
}

int cmd_pending(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		COMMON_OPTIONS,
		CLI_OPT_JSON,
		{}
	};
	struct flow_control fc = { 0 };
	struct flow_case *v = NULL;
	size_t n = 0;
	int c, r;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "pending")) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		switch (c) {
		case 'a': fc.all = true; break;
		case 'h':
			printf(_("Usage: %s pending [--all] [options]\n\n"
				 "List sealed wipe records awaiting approval (with --all, also the\n"
				 "approved and rejected ones).\n\n"
				 "  -a, --all               every case, whatever its state\n"), program_name);
			fputs(_(common_json_help), stdout);
			fputs(_(common_help), stdout);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("pending", _("unexpected argument '%s'"), argv[optind]);
	/* the ledger's cases: of every station, decided anywhere */
	r = flow_control_open(&fc, WANT_LEDGER | QUEUE_LEDGER);
	if (r) {
		flow_control_release(&fc);
		return r;
	}
	r = flow_cases(&fc.ctx, &v, &n);
	if (r < 0) {
		log_error_errno(r, _("cannot read the cases"));
		flow_control_release(&fc);
		return EXIT_FAIL;
	}
	if (fc.json)
		r = pending_json(v, n, fc.all);
	else
		r = pending_table(v, n, fc.all);
	if (r < 0)
		log_error_errno(r, _("cannot print the cases"));
	for (size_t i = 0; i < n; i++)
		flow_case_release(&v[i]);
	free(v);
	flow_control_release(&fc);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

/* ---- approve / reject ---- */

static bool confirm(const char *question)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static void print_case_summary(const struct flow_case *k)
{
	fprintf(stderr, _("case:          %s\n"
			  "asset:         %s\n"
			  "disk:          %s\n"
			  "method:        %s\n"
			  "wipe result:   %s\n"
			  "verification:  %s\n"
			  "technician:    %s (sealed %s)\n"),
		k->id, k->asset_id ? k->asset_id : "-", k->device ? k->device : "-", k->method ? k->method : "-",
		k->job_state ? case_word(k->job_state) : "-", case_word(k->verification), k->technician ? k->technician : "-",
		k->sealed_at ? k->sealed_at : "-");
}

static void decide_help(bool approve)
{
	if (approve)
		printf(_("Usage: %s approve CASE --key APPROVER.key [options]\n"
			 "       %s approve CASE... --list --key APPROVER.key [options]\n"
			 "       %s approve --batch FILE --key APPROVER.key [options]\n\n"
			 "Review a sealed wipe record and sign the approval: the record's\n"
			 "technician signature is checked against the roster, the approver must\n"
			 "be another person with an approver's key, and the policy must allow the\n"
			 "method for the asset's class. The signed certificate PDF is written to\n"
			 "the state directory and the ledger records it.\n\n"
			 "With --list (or --batch), one list certificate (一覧形式) covers every\n"
			 "case: page 1 the summary, then a table of every disk, each row bound to\n"
			 "its technician's signed wipe record (attached). Each case is checked as\n"
			 "one is; failed wipes are listed as failed, never left out.\n\n"
			 "  -k, --key FILE          the approver's secret key\n"
			 "      --passphrase-file F its passphrase (else asked on the terminal)\n"
			 "      --list              one list certificate for all the cases given\n"
			 "      --batch FILE        the cases, one a line ('#' comments): a list\n"
			 "      --destination TEXT  where the disk goes now (reuse, recycling, ...)\n"
			 "      --logo PNG          organisation logo for the certificate\n"
			 "  -y, --yes               do not ask for confirmation\n"), program_name, program_name, program_name);
	else
		printf(_("Usage: %s reject CASE --key APPROVER.key --reason TEXT [options]\n\n"
			 "Refuse a sealed wipe record, signed by the approver, with the reason;\n"
			 "the ledger records it and the asset awaits erasure again.\n\n"
			 "  -k, --key FILE          the approver's secret key\n"
			 "      --passphrase-file F its passphrase\n"
			 "      --reason TEXT       why (required)\n"
			 "  -y, --yes               do not ask for confirmation\n"), program_name);
	if (approve)
		fputs(_(party_help), stdout);
	fputs(_(common_json_help), stdout);
	fputs(_(common_help), stdout);
}

/* What was decided: the rejection, or the certificate (JSON or a line). */
static void print_decision(const struct flow_control *fc, const char *id, const struct trust_seckey *k,
			   const struct flow_approval *res, const struct flow_case *fcase, size_t n_cases)
{
	if (!res && fc->json) {
		cli_print_json(json_pack("{s:s,s:b,s:s,s:s}", "case", id, "rejected", true, "approver",
					 trust_seckey_name(k), "reason", fc->reason), JSON_INDENT(2));
	} else if (!res) {
		printf(_("%s: rejected by %s\n"), id, trust_seckey_name(k));
	} else if (fc->json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "case", id, "certificate_id", res->certificate_id,
				      "pdf", res->pdf_path, "record_sha256", res->record_sha256, "pdf_sha256",
				      res->pdf_sha256, "erased", res->erased, "verified_only", res->verified_only);

		if (n_cases) {
			json_object_del(o, "case");
			json_object_set_new(o, "rows", json_integer((json_int_t)res->n_rows));
			json_object_set_new(o, "failed", json_integer((json_int_t)res->n_failed));
		}
		cli_print_json(o, JSON_INDENT(2));
	} else if (n_cases) {
		printf(_("%zu cases: approved by %s; list certificate %s (%zu erased or destroyed, %zu failed): %s\n"),
		       res->n_rows, trust_seckey_name(k), res->certificate_id, res->n_rows - res->n_failed, res->n_failed,
		       res->pdf_path);
	} else {
		printf(_("%s: approved by %s; certificate %s (%s): %s\n"), id, trust_seckey_name(k),
		       res->certificate_id,
		       res->verified_only ? _("verified only, nothing erased") :
		       !res->erased ? _("FAILED") : fcase->job_state && streq(fcase->job_state, "destroyed") ? _("physically destroyed") : _("erased and verified"),
		       res->pdf_path);
	}
}

/* --batch FILE: case IDs, one a line; blank lines and '#' comments */
static int read_batch(const char *path, char ***ret, size_t *ret_n)
{
	_cleanup_free_ uint8_t *data = NULL;
	char **v = NULL, *save = NULL, *line;
	size_t len, n = 0;
	int r;

	r = read_full_file(path, &data, &len);
	if (r < 0)
		return r;
	for (line = strtok_r((char *)data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char **nv;

		line[strcspn(line, "#")] = '\0';
		line = strstrip(line);
		if (!*line)
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(line))) {
			free(nv ? nv : v);
			return -ENOMEM;
		}
		v = nv;
		v[++n] = NULL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Show what is about to be approved: the case, or every case of a list. */
static int review(struct flow_control *fc, char **ids, size_t n, bool list, struct flow_case *first)
{
	for (size_t i = 0; i < n; i++) {
		struct flow_case fcase = { 0 };
		int r = flow_case_load(&fc->ctx, ids[i], &fcase);

		if (r < 0) {
			log_error_errno(r, _("case %s: cannot read its wipe record"), ids[i]);
			return EXIT_FAIL;
		}
		if (!list)
			print_case_summary(&fcase);
		else
			fprintf(stderr, "%4zu  %-40s %-16s %-14s %-10s %s\n", i + 1, fcase.id,
				fcase.asset_id ? fcase.asset_id : "-", fcase.method ? fcase.method : "-",
				fcase.job_state ? fcase.job_state : "-", fcase.technician ? fcase.technician : "-");
		if (i == 0)
			*first = fcase;
		else
			flow_case_release(&fcase);
	}
	return EXIT_OK;
}

/* The operands: one CASE, or with --list several, or --batch's file; a
 * usage error or EXIT_FAIL, else -1 with the case IDs (NULL-ended). */
static int decide_cases(int argc, char **argv, const struct flow_control *fc, bool approve, bool list,
			const char *batch, char ***ret, size_t *ret_n)
{
	const char *verb = approve ? "approve" : "reject";
	char **ids;
	size_t n;
	int r;

	if (!approve && (list || optind + 1 != argc))
		return usage_error(verb, _("one CASE is needed"));
	if (batch && optind != argc)
		return usage_error(verb, _("--batch reads the cases from its file: give no CASE"));
	if (!batch && optind == argc)
		return usage_error(verb, _("one CASE is needed"));
	if (!list && optind + 1 != argc)
		return usage_error(verb, _("several cases: --list issues one list certificate for them"));
	if (!fc->key)
		return usage_error(verb, _("--key is required"));
	if (!approve && (!fc->reason || !*fc->reason))
		return usage_error(verb, _("--reason is required"));
	if (batch) {
		r = read_batch(batch, ret, ret_n);
		if (r >= 0 && *ret_n == 0)
			free(*ret);
		if (r < 0 || *ret_n == 0)
			return log_error_errno(r < 0 ? r : -ENODATA, _("%s: cannot read the cases"), batch), EXIT_FAIL;
		return -1;
	}
	n = (size_t)(argc - optind);
	ids = calloc(n + 1, sizeof(*ids));
	if (!ids)
		return EXIT_FAIL;
	for (size_t i = 0; i < n; i++)
		if (!(ids[i] = strdup(argv[optind + i]))) {
			while (i--)
				free(ids[i]);
			free(ids);
			return EXIT_FAIL;
		}
	*ret = ids;
	*ret_n = n;
	return -1;
}

static int decide(int argc, char **argv, bool approve)
{
	enum { OPT_LIST = 400, OPT_BATCH };
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "destination", required_argument, NULL, OPT_DEST },
		{ "logo", required_argument, NULL, OPT_LOGO },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "yes", no_argument, NULL, 'y' },
		PARTY_OPTIONS,
		COMMON_OPTIONS,
		CLI_OPT_JSON,
		{}
	};
	const char *verb = approve ? "approve" : "reject", *batch = NULL;
	struct flow_control fc = { 0 };
	struct flow_case fcase = { 0 };
	struct flow_approval res = { 0 };
	struct flow_error err = { "" };
	struct trust_seckey *k = NULL;
	char **ids = NULL;
	size_t n = 0;
	bool list = false;
	int c, r, ret;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, verb)) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		r = approve ? party_option(&fc, c, optarg) : 0;
		if (r < 0)
			return usage_error(verb, _("--layout is standard or municipal"));
		if (r > 0)
			continue;
		switch (c) {
		case 'k': fc.key = optarg; break;
		case OPT_PASS: fc.pass_file = optarg; break;
		case OPT_REASON: fc.reason = optarg; break;
		case OPT_DEST: fc.destination = optarg; break;
		case OPT_LOGO: fc.logo = optarg; break;
		case OPT_LIST: list = true; break;
		case OPT_BATCH: batch = optarg; list = true; break;
		case 'y': fc.yes = true; break;
		case 'h': decide_help(approve); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	ret = decide_cases(argc, argv, &fc, approve, list, batch, &ids, &n);
	if (ret >= 0)
		return ret;
	ret = flow_control_open(&fc, NEED_TRUST | WANT_LEDGER);
	if (ret)
		goto out;
	fc.ctx.state_dir = fc.state_dir;
	cli_op_field("case", ids[0]);
	ret = review(&fc, ids, n, list, &fcase);
	if (ret)
		goto out;
	cli_op_subject(fcase.asset_id);
	if (!fc.yes && !confirm(!approve ? _("reject this wipe record?") : list ?
				_("approve these cases and issue one list certificate?") :
				_("approve and issue the certificate?"))) {
		log_error(_("case %s: not confirmed (on a terminal answer y; in scripts give --yes)"), ids[0]);
		ret = EXIT_REFUSED;
		goto out;
	}
	r = key_load_secret(fc.key, fc.pass_file, &k);
	if (r < 0) {
		ret = key_exit_code(r);
		goto out;
	}
	cli_sync_quietly(&fc.ctx, k);
	if (approve && list)
		r = flow_approve_list(&fc.ctx, (const char *const *)ids, n, k, fc.destination, &res, &err);
	else if (approve)
		r = flow_approve(&fc.ctx, ids[0], k, fc.destination, &res, &err);
	else
		r = flow_reject(&fc.ctx, ids[0], k, fc.reason, &err);
	if (r < 0) {
		log_error("%s", flow_error_text(&err));
		ret = exit_for(r);
		goto out;
	}
	if (approve)
		cli_op_field("certificate", res.certificate_id);
	print_decision(&fc, ids[0], k, approve ? &res : NULL, &fcase, list ? n : 0);
	ret = EXIT_OK;
out:
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	flow_approval_release(&res);
	flow_case_release(&fcase);
	trust_seckey_free(k);
	flow_control_release(&fc);
	return ret;
}

int cmd_approve(int argc, char **argv)
{
	return decide(argc, argv, true);
}

int cmd_reject(int argc, char **argv)
{
	return decide(argc, argv, false);
}

/* ---- export-record / import-record ---- */

int cmd_export_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		COMMON_OPTIONS,
		{}
	};
	struct flow_control fc = { 0 };
	_cleanup_free_ char *bundle = NULL;
	int c, r;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "export-record")) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		switch (c) {
		case 'o': fc.output = optarg; break;
		case 'h':
			printf(_("Usage: %s export-record CASE [-o FILE] [options]\n\n"
				 "Write a sealed wipe record and its signature as one bundle, for approval\n"
				 "on another machine ('import-record' there, then 'approve').\n\n"
				 "  -o, --output FILE       the bundle (default: standard output)\n"), program_name);
			fputs(_(common_help), stdout);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return usage_error("export-record", _("one CASE is needed"));
	fc.ctx.state_dir = fc.state_dir;
	r = flow_export_record(&fc.ctx, argv[optind], &bundle);
	if (r < 0) {
		log_error_errno(r, _("case %s: cannot export"), argv[optind]);
		return EXIT_FAIL;
	}
	if (!fc.output) {
		puts(bundle);
		return EXIT_OK;
	}
	r = write_file_atomic(fc.output, bundle, strlen(bundle), 0644, true);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot write"), fc.output);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_import_record(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTIONS, CLI_OPT_JSON, {} };
	struct flow_control fc = { 0 };
	struct flow_error err = { "" };
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ char *id = NULL;
	size_t len;
	int c, r, ret;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "import-record")) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		if (c == 'h') {
			printf(_("Usage: %s import-record BUNDLE [options]\n\n"
				 "Take in a bundle written by 'export-record' on a wipe station: its\n"
				 "signature is checked against the roster before it is stored.\n\n"), program_name);
			fputs(_(common_json_help), stdout);
			fputs(_(common_help), stdout);
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (optind + 1 != argc)
		return usage_error("import-record", _("one BUNDLE is needed"));
	r = read_full_file(argv[optind], &data, &len);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot read"), argv[optind]);
		return EXIT_FAIL;
	}
	ret = flow_control_open(&fc, NEED_TRUST);
	if (ret)
		goto out;
	cli_op_acted();
	r = flow_import_record(&fc.ctx, (const char *)data, len, &id, &err);
	cli_op_field("case", id);
	if (r < 0) {
		log_error("%s: %s", argv[optind], flow_error_text(&err));
		ret = exit_for(r);
		goto out;
	}
	if (fc.json)
		cli_print_json(json_pack("{s:s}", "case", id), JSON_INDENT(2));
	else
		printf(_("%s: imported; approve it with '%s approve %s'\n"), id, program_name, id);
	ret = EXIT_OK;
out:
	flow_control_release(&fc);
	return ret;
}
