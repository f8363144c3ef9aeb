/* custody.c - `wipecert custody` (hand-over lists, receipts, sub-contracting,
 * what is still out) and `wipecert witness` (a witness signs a case).
 *
 * The flow layer checks and records (src/flow/custody.c, witness.c); this
 * file reads the options and the documents and says what happened.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "wipecert/cli.h"
#include "wipecert/flow.h"
#include "wipecert/trust.h"
#include "flowcli.h"

enum { OPT_TO_ROOT = 300, OPT_RECEIPT, OPT_PARENT, OPT_SUBAPPROVAL, OPT_APPROVER_KEY, OPT_APPROVER_PASS };

static const struct cli_synopsis synopses[] = {
	{ "list", "list [--json]" },
	{ "handover", "handover ASSET... --to-root CONTRACTOR.pub --key APPROVER.key [-o FILE]\n"
		      "                 [--parent HANDOVER.json --subcontract-approval FILE] [--witness-key W.key]" },
	{ "receive", "receive HANDOVER.json --key CONTRACTOR.key [-o RECEIPT.json]" },
	{ "record", "record HANDOVER.json --receipt RECEIPT.json --key KEY [--approver-key APPROVER.key]" },
	{ "approve-subcontract", "approve-subcontract HANDOVER-ID --to-root SUB.pub --key APPROVER.key [-o FILE]" },
};

static void help(FILE *f, const char *verb)
{
	cli_family_usage(f, &custody_cmd_table, synopses, ARRAY_SIZE(synopses), verb,
			 _("The chain of custody when assets leave for a contractor. The owner's\n"
			   "approver signs a hand-over list (引渡書) of ledger assets for a pinned\n"
			   "contractor; the contractor countersigns it on receipt (受領書) and takes\n"
			   "the assets into its own ledger; the owner records both signatures, and\n"
			   "only then does the ledger say handed-to-contractor (a change an approver\n"
			   "approves, another person than who records: --approver-key, or later\n"
			   "'ledger approve-change'). An asset the lifecycle keeps (evidence hold,\n"
			   "lost or stolen, ...) is never handed over. A contractor hands assets on\n"
			   "to a sub-contractor (再委託) with --parent, once the owner has approved\n"
			   "that sub-contractor (approve-subcontract). 'list' shows what is still\n"
			   "out: handed over and not yet certified, with its age.\n"));
	fputs(_("Options:\n"
		"  -k, --key FILE          the signer's secret key\n"
		"      --passphrase-file F its passphrase\n"
		"      --to-root FILE      the receiving contractor's root public key (pinned)\n"
		"      --approval-ref REF  起案・決裁番号 of the hand-over\n"
		"      --parent FILE       hand on assets of this received hand-over list\n"
		"      --subcontract-approval FILE  the owner's approval of the sub-contractor\n"
		"      --receipt FILE      record: the contractor's receipt\n"
		"      --approver-key FILE record: an approver approves the status at once\n"
		"      --approver-passphrase-file F  its passphrase\n"
		"      --witness-key FILE  handover: a witness signs the list (搬出)\n"
		"      --witness-passphrase-file F  the witness's passphrase\n"
		"  -o, --output FILE       a copy of the document signed (and FILE.minisig)\n"), f);
	fputs(_(common_json_help), f);
	fputs(_(common_help), f);
	fputs(_("\nExit status: 0 done, 1 failed, 2 usage error, 3 refused (nothing recorded).\n"), f);
}

static void family_help(FILE *f, const struct command_table *t)
{
	(void)t;
	help(f, NULL);
}

/* FILE and FILE.minisig */
struct loaded_doc {
	uint8_t *data, *sig;
	size_t len, sig_len;
};

static int load_doc(const char *path, struct loaded_doc *d, bool need_sig)
{
	_cleanup_free_ char *sp = NULL;
	int r;

	r = read_full_file(path, &d->data, &d->len);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot read"), path), r;
	if (asprintf(&sp, "%s.minisig", path) < 0)
		return -ENOMEM;
	r = read_full_file(sp, &d->sig, &d->sig_len);
	if (r < 0 && need_sig)
		return log_error(_("%s: not signed: no %s beside it"), path, sp), -EPERM;
	return 0;
}

static void doc_release(struct loaded_doc *d)
{
	free(d->data);
	free(d->sig);
}

/* -o FILE: a copy of path (and its .minisig) */
static int copy_out(const char *from, const char *to)
{
	_cleanup_free_ uint8_t *a = NULL, *b = NULL;
	_cleanup_free_ char *fs = NULL, *ts = NULL;
	size_t al, bl;
	int r;

	if (!to)
		return 0;
	if (asprintf(&fs, "%s.minisig", from) < 0 || asprintf(&ts, "%s.minisig", to) < 0)
		return -ENOMEM;
	r = read_full_file(from, &a, &al);
	if (r >= 0)
		r = read_full_file(fs, &b, &bl);
	if (r >= 0)
		r = write_file_atomic(ts, b, bl, 0644, false);
	if (r >= 0)
		r = write_file_atomic(to, a, al, 0644, false);
	if (r < 0)
		log_error_errno(r, _("%s: cannot write"), to);
	return r;
}

static int load_root_pub(const char *path, struct trust_pubkey *pk)
{
	int r = trust_pubkey_load(path, pk);

	if (r < 0)
		log_error(_("%s: not a public key: %s"), path, trust_strerror(r));
	return r;
}

static void print_handover(const struct flow_control *fc, const char *what, const struct flow_handover *h)
{
	if (fc->json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "action", what, "id", h->id, "path", h->path ?: "",
				      "party", h->to ?: "", "assets", (json_int_t)h->n_assets, "tier", (json_int_t)h->tier);

		if (h->receipt_path)
			json_object_set_new(o, "receipt", json_string(h->receipt_path));
		cli_print_json(o, JSON_INDENT(2));
	} else if (streq(what, "handover")) {
		printf(_("%s: hand-over list of %zu assets to %s, signed: %s\n"), h->id, h->n_assets, h->to, h->path);
	} else if (streq(what, "receive")) {
		printf(_("%s: received %zu assets from %s; receipt signed: %s\n"), h->id, h->n_assets, h->to,
		       h->receipt_path);
	} else {
		printf(_("%s: recorded with its receipt: %zu assets with %s (tier %d)\n"), h->id, h->n_assets, h->to,
		       h->tier);
	}
}

static int custody_list(struct flow_control *fc)
{
	struct flow_custody_item *v = NULL;
	struct flow_error err = { "" };
	size_t n = 0;
	int r;

	r = flow_custody_list(&fc->ctx, &v, &n, &err);
	if (r < 0) {
		log_error("%s", flow_error_text(&err));
		return EXIT_FAIL;
	}
	if (fc->json) {
		json_t *arr = json_array(), *root;

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s,s:s?,s:s,s:s,s:I,s:s,s:s,s:f}", "asset_id", v[i].asset_id,
							     "serial", v[i].serial, "handover", v[i].handover_id,
							     "holder", v[i].holder, "tier", (json_int_t)v[i].tier,
							     "state", v[i].state, "since", v[i].since, "age_days",
							     v[i].age_days));
		root = json_pack("{s:o,s:I}", "open", arr, "count", (json_int_t)n);
		cli_print_json(root, JSON_INDENT(2));
	} else if (n == 0) {
		log_info(_("nothing is out: every asset handed over has been certified"));
	} else {
		printf("%-16s %-20s %-24s %-20s %-4s %-17s %s\n", "ASSET", "SERIAL", "HANDOVER", "HOLDER", "TIER", "STATE",
		       "AGE");
		for (size_t i = 0; i < n; i++)
			printf("%-16s %-20s %-24s %-20s %-4d %-17s %.1f d\n", v[i].asset_id, v[i].serial ? v[i].serial : "-",
			       v[i].handover_id, v[i].holder, v[i].tier, v[i].state, v[i].age_days);
	}
	flow_custody_list_release(v, n);
	return EXIT_OK;
}

/* What the verbs take: the options of each (opts) into one struct. */
struct custody_args {
	struct flow_control fc;
	const char *to_root, *receipt, *parent, *subap, *approval_ref, *akey, *apass;
};

#define O_KEY { "key", required_argument, NULL, 'k' }, { "passphrase-file", required_argument, NULL, OPT_PASS }
#define O_TO_ROOT { "to-root", required_argument, NULL, OPT_TO_ROOT }
#define O_OUTPUT { "output", required_argument, NULL, 'o' }

/* The options of one verb, then at least min operands (exactly min when
 * !more). Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, const struct option *opts, int min, bool more, struct custody_args *a)
{
	_cleanup_free_ char *cmd = NULL;
	int c;

	if (asprintf(&cmd, "custody %s", argv[0]) < 0)
		return EXIT_FAIL;
	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, cmd)) != -1) {
		if (common_option(&a->fc, c, optarg))
			continue;
		switch (c) {
		case 'k': a->fc.key = optarg; break;
		case OPT_PASS: a->fc.pass_file = optarg; break;
		case OPT_TO_ROOT: a->to_root = optarg; break;
		case OPT_APPROVAL_REF: a->approval_ref = optarg; break;
		case OPT_PARENT: a->parent = optarg; break;
		case OPT_SUBAPPROVAL: a->subap = optarg; break;
		case OPT_RECEIPT: a->receipt = optarg; break;
		case OPT_APPROVER_KEY: a->akey = optarg; break;
		case OPT_APPROVER_PASS: a->apass = optarg; break;
		case 'o': a->fc.output = optarg; break;
		case OPT_WITNESS_KEY: a->fc.witness_key = optarg; break;
		case OPT_WITNESS_PASS: a->fc.witness_pass = optarg; break;
		case 'h': help(stdout, argv[0]); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (more && argc - optind >= min)
		return -1;
	return cli_operands(argc, argv, min, cmd, min ? _("one document") : _("nothing"));
}

/* Open the roster (and the ledger as need says) and load the keys given:
 * an exit code, 0 to go on. */
static int custody_open(struct custody_args *a, unsigned need, struct trust_seckey **k, struct trust_seckey **w,
			struct trust_seckey **ak)
{
	int ret = flow_control_open(&a->fc, NEED_TRUST | need);

	if (ret)
		return ret;
	if ((a->fc.key && key_load_secret(a->fc.key, a->fc.pass_file, k) < 0) ||
	    (a->fc.witness_key && key_load_secret(a->fc.witness_key, a->fc.witness_pass, w) < 0) ||
	    (a->akey && key_load_secret(a->akey, a->apass, ak) < 0))
		return EXIT_FAIL;
	return 0;
}

/* The flow's answer: refused (said, nothing recorded) or the document
 * signed, copied to -o and reported. */
static int custody_done(struct custody_args *a, const char *verb, int r, const struct flow_error *err,
			const struct flow_handover *h)
{
	if (r < 0) {
		log_error(_("custody %s: refused: %s; nothing was recorded"), verb, err->msg);
		return exit_for(r);
	}
	if (copy_out(streq(verb, "receive") ? h->receipt_path : h->path, a->fc.output) < 0)
		return EXIT_FAIL;
	print_handover(&a->fc, verb, h);
	return EXIT_OK;
}

static int custody_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTIONS, CLI_OPT_JSON, {} };
	struct custody_args a = { 0 };
	int ret = parse(argc, argv, opts, 0, false, &a);

	if (ret >= 0)
		return ret;
	ret = flow_control_open(&a.fc, NEED_LEDGER);
	if (!ret)
		ret = custody_list(&a.fc);
	flow_control_release(&a.fc);
	return ret;
}

static int custody_cmd_handover(int argc, char **argv)
{
	static const struct option opts[] = {
		O_KEY, O_TO_ROOT, O_OUTPUT, WITNESS_OPTIONS,
		{ "approval-ref", required_argument, NULL, OPT_APPROVAL_REF },
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ "subcontract-approval", required_argument, NULL, OPT_SUBAPPROVAL },
		COMMON_OPTIONS, CLI_OPT_JSON, {}
	};
	struct custody_args a = { 0 };
	struct trust_seckey *k = NULL, *w = NULL, *ak = NULL;
	struct loaded_doc d1 = { 0 }, d2 = { 0 };
	struct flow_handover h = { 0 };
	struct flow_error err = { "" };
	struct trust_pubkey pk;
	int r = -EINVAL, ret = parse(argc, argv, opts, 1, true, &a);

	if (ret >= 0)
		return ret;
	if (!a.to_root || !a.fc.key)
		return usage_error("custody handover", _("--to-root and --key are required"));
	if (!!a.parent != !!a.subap)
		return usage_error("custody handover", _("--parent and --subcontract-approval go together"));
	ret = custody_open(&a, WANT_LEDGER, &k, &w, &ak);
	if (!ret && (load_root_pub(a.to_root, &pk) < 0 ||
		     (a.parent && (load_doc(a.parent, &d1, true) < 0 || load_doc(a.subap, &d2, true) < 0))))
		ret = EXIT_FAIL;
	if (!ret) {
		struct flow_handover_request q = { .assets = (const char *const *)argv + optind,
						   .n_assets = (size_t)(argc - optind), .to_root = &pk,
						   .approval_ref = a.approval_ref };

		q.parent = (struct flow_doc){ d1.data, d1.sig, d1.len, d1.sig_len };
		q.sub_approval = (struct flow_doc){ d2.data, d2.sig, d2.len, d2.sig_len };
		r = flow_handover(&a.fc.ctx, &q, k, &h, &err);
		if (r >= 0 && w)
			r = flow_custody_witness(&a.fc.ctx, h.id, w, &err);
		ret = custody_done(&a, "handover", r, &err, &h);
	}
	doc_release(&d1);
	doc_release(&d2);
	flow_handover_release(&h);
	trust_seckey_free(k);
	trust_seckey_free(w);
	flow_control_release(&a.fc);
	return ret;
}

static int custody_cmd_receive(int argc, char **argv)
{
	static const struct option opts[] = { O_KEY, O_OUTPUT, COMMON_OPTIONS, CLI_OPT_JSON, {} };
	struct custody_args a = { 0 };
	struct trust_seckey *k = NULL, *w = NULL, *ak = NULL;
	struct loaded_doc d = { 0 };
	struct flow_handover h = { 0 };
	struct flow_error err = { "" };
	int ret = parse(argc, argv, opts, 1, false, &a);

	if (ret >= 0)
		return ret;
	if (!a.fc.key)
		return usage_error("custody receive", _("--key is required"));
	ret = custody_open(&a, WANT_LEDGER | CREATE_LEDGER, &k, &w, &ak);
	if (!ret && load_doc(argv[optind], &d, true) < 0)
		ret = EXIT_FAIL;
	if (!ret)
		ret = custody_done(&a, "receive",
				   flow_receive(&a.fc.ctx, &(struct flow_doc){ d.data, d.sig, d.len, d.sig_len }, k, &h,
						&err), &err, &h);
	doc_release(&d);
	flow_handover_release(&h);
	trust_seckey_free(k);
	flow_control_release(&a.fc);
	return ret;
}

static int custody_cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		O_KEY,
		{ "receipt", required_argument, NULL, OPT_RECEIPT },
		{ "approver-key", required_argument, NULL, OPT_APPROVER_KEY },
		{ "approver-passphrase-file", required_argument, NULL, OPT_APPROVER_PASS },
		COMMON_OPTIONS, CLI_OPT_JSON, {}
	};
	struct custody_args a = { 0 };
	struct trust_seckey *k = NULL, *w = NULL, *ak = NULL;
	struct loaded_doc d1 = { 0 }, d2 = { 0 };
	struct flow_handover h = { 0 };
	struct flow_error err = { "" };
	int ret = parse(argc, argv, opts, 1, false, &a);

	if (ret >= 0)
		return ret;
	if (!a.receipt || !a.fc.key)
		return usage_error("custody record", _("--receipt and --key are required"));
	ret = custody_open(&a, NEED_LEDGER, &k, &w, &ak);
	/* a list without its .minisig is refused by the flow, by name */
	if (!ret && (load_doc(argv[optind], &d1, false) < 0 || load_doc(a.receipt, &d2, false) < 0))
		ret = EXIT_FAIL;
	if (!ret)
		ret = custody_done(&a, "record",
				   flow_custody_record(&a.fc.ctx, &(struct flow_doc){ d1.data, d1.sig, d1.len, d1.sig_len },
						       &(struct flow_doc){ d2.data, d2.sig, d2.len, d2.sig_len }, k, ak,
						       &h, &err), &err, &h);
	doc_release(&d1);
	doc_release(&d2);
	flow_handover_release(&h);
	trust_seckey_free(k);
	trust_seckey_free(ak);
	flow_control_release(&a.fc);
	return ret;
}

static int custody_cmd_approve_subcontract(int argc, char **argv)
{
	static const struct option opts[] = { O_KEY, O_TO_ROOT, O_OUTPUT, COMMON_OPTIONS, CLI_OPT_JSON, {} };
	struct custody_args a = { 0 };
	struct trust_seckey *k = NULL, *w = NULL, *ak = NULL;
	struct flow_error err = { "" };
	_cleanup_free_ char *path = NULL;
	struct trust_pubkey pk;
	int r, ret = parse(argc, argv, opts, 1, false, &a);

	if (ret >= 0)
		return ret;
	if (!a.to_root || !a.fc.key)
		return usage_error("custody approve-subcontract", _("--to-root and --key are required"));
	ret = custody_open(&a, WANT_LEDGER, &k, &w, &ak);
	if (!ret && load_root_pub(a.to_root, &pk) < 0)
		ret = EXIT_FAIL;
	if (!ret) {
		r = flow_approve_subcontract(&a.fc.ctx, argv[optind], &pk, k, &path, &err);
		if (r < 0) {
			log_error(_("custody %s: refused: %s; nothing was recorded"), "approve-subcontract", flow_error_text(&err));
			ret = exit_for(r);
		} else if (copy_out(path, a.fc.output) < 0) {
			ret = EXIT_FAIL;
		} else if (a.fc.json) {
			cli_print_json(json_pack("{s:s,s:s,s:s}", "action", "approve-subcontract", "handover",
						 argv[optind], "path", path), JSON_INDENT(2));
		} else {
			printf(_("%s: sub-contracting approved, signed: %s\n"), argv[optind], path);
		}
	}
	trust_seckey_free(k);
	flow_control_release(&a.fc);
	return ret;
}

static const struct command custody_cmds[] = {
	{ "list", custody_cmd_list, CMD_JSON, N_("what is still out: handed over, not yet certified, with its age") },
	{ "handover", custody_cmd_handover, CMD_JSON, N_("sign a hand-over list (引渡書) of assets for a pinned contractor") },
	{ "receive", custody_cmd_receive, CMD_JSON, N_("countersign a hand-over list on receipt (受領書), as the contractor") },
	{ "record", custody_cmd_record, CMD_JSON, N_("record a hand-over and its receipt: the assets are handed-to-contractor") },
	{ "approve-subcontract", custody_cmd_approve_subcontract, CMD_JSON,
	  N_("approve a sub-contractor (再委託) for a hand-over, as the owner") },
	{}
};

const struct command_table custody_cmd_table = { "custody", custody_cmds, family_help, NULL, "list" };

int cmd_witness(int argc, char **argv)
{
	static const struct option opts[] = { O_KEY, COMMON_OPTIONS, CLI_OPT_JSON, {} };
	struct flow_control fc = { 0 };
	int c, ret;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "witness")) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		switch (c) {
		case 'k': fc.key = optarg; break;
		case OPT_PASS: fc.pass_file = optarg; break;
		case 'h':
			printf(_("Usage: %s witness CASE --key WITNESS.key [options]\n\n"
				 "Sign a sealed case as its witness (立会者): a statement that you saw the\n"
				 "erasure or destruction its record states, naming the record by SHA-256,\n"
				 "signed with your own key (role witness). The certificate carries it;\n"
				 "verify checks that the witness is another person than the technician\n"
				 "and the approver.\n\n"
				 "  -k, --key FILE          the witness's secret key\n"
				 "      --passphrase-file F its passphrase\n"), program_name);
			fputs(_(common_json_help), stdout);
			fputs(_(common_help), stdout);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	ret = cli_operands(argc, argv, 1, "witness", _("one CASE"));
	if (ret >= 0)
		return ret;
	if (!fc.key)
		return usage_error("witness", _("--key is required"));
	ret = flow_control_open(&fc, WANT_LEDGER);
	if (!ret) {
		fc.witness_key = fc.key;
		fc.witness_pass = fc.pass_file;
		cli_op_field("case", argv[optind]);
		ret = witness_after(&fc, argv[optind], NULL);
		if (!ret && fc.json)
			cli_print_json(json_pack("{s:s,s:b}", "case", argv[optind], "witnessed", true), JSON_INDENT(2));
	}
	flow_control_release(&fc);
	return ret;
}
