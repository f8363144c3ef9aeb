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

static void custody_help(void)
{
	printf(_("Usage: %s custody [list] [--json] [options]\n"
		 "       %s custody handover ASSET... --to-root CONTRACTOR.pub --key APPROVER.key [-o FILE]\n"
		 "       %s custody receive HANDOVER.json --key CONTRACTOR.key [-o RECEIPT.json]\n"
		 "       %s custody record HANDOVER.json --receipt RECEIPT.json --key KEY [--approver-key APPROVER.key]\n"
		 "       %s custody approve-subcontract HANDOVER-ID --to-root SUB.pub --key APPROVER.key [-o FILE]\n\n"
		 "The chain of custody when assets leave for a contractor. The owner's\n"
		 "approver signs a hand-over list (引渡書) of ledger assets for a pinned\n"
		 "contractor; the contractor countersigns it on receipt (受領書) and takes\n"
		 "the assets into its own ledger; the owner records both signatures, and\n"
		 "only then does the ledger say handed-to-contractor (a change an approver\n"
		 "approves, another person than who records: --approver-key, or later\n"
		 "'ledger approve-change'). A contractor hands\n"
		 "assets on to a sub-contractor (再委託) with --parent, once the owner has\n"
		 "approved that sub-contractor (approve-subcontract). 'list' shows what is\n"
		 "still out: handed over and not yet certified, with its age.\n\n"
		 "Options:\n"
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
		 "  -o, --output FILE       a copy of the document signed (and FILE.minisig)\n"),
	       program_name, program_name, program_name, program_name, program_name);
	fputs(common_help, stdout);
	fputs(_("\nExit status: 0 done, 1 failed, 2 usage error, 3 refused (nothing recorded).\n"), stdout);
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
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
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
		log_error("%s", err.msg);
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
		json_dumpf(root, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(root);
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

int cmd_custody(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		{ "to-root", required_argument, NULL, OPT_TO_ROOT },
		{ "approval-ref", required_argument, NULL, OPT_APPROVAL_REF },
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ "subcontract-approval", required_argument, NULL, OPT_SUBAPPROVAL },
		{ "receipt", required_argument, NULL, OPT_RECEIPT },
		{ "approver-key", required_argument, NULL, OPT_APPROVER_KEY },
		{ "approver-passphrase-file", required_argument, NULL, OPT_APPROVER_PASS },
		{ "output", required_argument, NULL, 'o' },
		WITNESS_OPTIONS,
		COMMON_OPTIONS,
		{}
	};
	const char *to_root = NULL, *receipt = NULL, *parent = NULL, *subap = NULL, *approval_ref = NULL, *verb;
	const char *akey = NULL, *apass = NULL;
	struct flow_control fc = { 0 };
	struct flow_handover h = { 0 };
	struct flow_error err = { "" };
	struct trust_seckey *k = NULL, *w = NULL, *ak = NULL;
	struct loaded_doc d1 = { 0 }, d2 = { 0 }, d3 = { 0 };
	struct trust_pubkey pk;
	int c, r = 0, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "k:o:Jh", opts, NULL)) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		switch (c) {
		case 'k': fc.key = optarg; break;
		case OPT_PASS: fc.pass_file = optarg; break;
		case OPT_TO_ROOT: to_root = optarg; break;
		case OPT_APPROVAL_REF: approval_ref = optarg; break;
		case OPT_PARENT: parent = optarg; break;
		case OPT_SUBAPPROVAL: subap = optarg; break;
		case OPT_RECEIPT: receipt = optarg; break;
		case OPT_APPROVER_KEY: akey = optarg; break;
		case OPT_APPROVER_PASS: apass = optarg; break;
		case 'o': fc.output = optarg; break;
		case OPT_WITNESS_KEY: fc.witness_key = optarg; break;
		case OPT_WITNESS_PASS: fc.witness_pass = optarg; break;
		case 'h': custody_help(); return EXIT_OK;
		default: return usage_error("custody", _("bad option"));
		}
	}
	verb = optind < argc ? argv[optind++] : "list";
	if (streq(verb, "list")) {
		if (optind != argc)
			return usage_error("custody", _("unexpected argument '%s'"), argv[optind]);
		ret = flow_control_open(&fc, NEED_LEDGER);
		if (!ret)
			ret = custody_list(&fc);
		flow_control_release(&fc);
		return ret;
	}
	if (!streq(verb, "handover") && !streq(verb, "receive") && !streq(verb, "record") &&
	    !streq(verb, "approve-subcontract"))
		return usage_error("custody", _("unknown action '%s' (list, handover, receive, record, approve-subcontract)"),
				   verb);
	if ((streq(verb, "handover") && (optind == argc || !to_root || !fc.key)) ||
	    (streq(verb, "receive") && (optind + 1 != argc || !fc.key)) ||
	    (streq(verb, "record") && (optind + 1 != argc || !receipt || !fc.key)) ||
	    (streq(verb, "approve-subcontract") && (optind + 1 != argc || !to_root || !fc.key)))
		return usage_error("custody", _("%s: missing arguments (see --help)"), verb);
	if (!!parent != !!subap)
		return usage_error("custody", _("--parent and --subcontract-approval go together"));
	ret = flow_control_open(&fc, NEED_TRUST | (streq(verb, "record") ? NEED_LEDGER :
						   streq(verb, "receive") ? WANT_LEDGER | CREATE_LEDGER : WANT_LEDGER));
	if (ret)
		goto out;
	if ((fc.key && key_load_secret(fc.key, fc.pass_file, &k) < 0) ||
	    (fc.witness_key && key_load_secret(fc.witness_key, fc.witness_pass, &w) < 0) ||
	    (akey && key_load_secret(akey, apass, &ak) < 0)) {
		ret = EXIT_FAIL;
		goto out;
	}
	ret = EXIT_FAIL;
	if (streq(verb, "handover")) {
		struct flow_handover_request q = { .assets = (const char *const *)argv + optind,
						   .n_assets = (size_t)(argc - optind), .to_root = &pk,
						   .approval_ref = approval_ref };

		if (load_root_pub(to_root, &pk) < 0 || (parent && (load_doc(parent, &d1, true) < 0 ||
								   load_doc(subap, &d2, true) < 0)))
			goto out;
		q.parent = (struct flow_doc){ d1.data, d1.sig, d1.len, d1.sig_len };
		q.sub_approval = (struct flow_doc){ d2.data, d2.sig, d2.len, d2.sig_len };
		r = flow_handover(&fc.ctx, &q, k, &h, &err);
		if (r >= 0 && w)
			r = flow_custody_witness(&fc.ctx, h.id, w, &err);
	} else if (streq(verb, "receive")) {
		if (load_doc(argv[optind], &d1, true) < 0)
			goto out;
		r = flow_receive(&fc.ctx, &(struct flow_doc){ d1.data, d1.sig, d1.len, d1.sig_len }, k, &h, &err);
	} else if (streq(verb, "record")) {
		/* a list without its .minisig is refused by the flow, by name */
		if (load_doc(argv[optind], &d1, false) < 0 || load_doc(receipt, &d3, false) < 0)
			goto out;
		r = flow_custody_record(&fc.ctx, &(struct flow_doc){ d1.data, d1.sig, d1.len, d1.sig_len },
					&(struct flow_doc){ d3.data, d3.sig, d3.len, d3.sig_len }, k, ak, &h, &err);
	} else {
		_cleanup_free_ char *path = NULL;

		if (load_root_pub(to_root, &pk) < 0)
			goto out;
		r = flow_approve_subcontract(&fc.ctx, argv[optind], &pk, k, &path, &err);
		if (r >= 0) {
			if (copy_out(path, fc.output) < 0)
				goto out;
			if (fc.json)
				printf("{\"action\":\"approve-subcontract\",\"path\":\"%s\"}\n", path);
			else
				printf(_("%s: sub-contracting approved, signed: %s\n"), argv[optind], path);
			ret = EXIT_OK;
			goto out;
		}
	}
	if (r < 0) {
		log_error(_("custody %s: refused: %s; nothing was recorded"), verb, err.msg);
		ret = exit_for(r);
		goto out;
	}
	if (copy_out(streq(verb, "receive") ? h.receipt_path : h.path, fc.output) < 0)
		goto out;
	print_handover(&fc, verb, &h);
	ret = EXIT_OK;
out:
	doc_release(&d1);
	doc_release(&d2);
	doc_release(&d3);
	flow_handover_release(&h);
	trust_seckey_free(k);
	trust_seckey_free(w);
	trust_seckey_free(ak);
	flow_control_release(&fc);
	return ret;
}

int cmd_witness(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		COMMON_OPTIONS,
		{}
	};
	struct flow_control fc = { 0 };
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "k:Jh", opts, NULL)) != -1) {
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
			fputs(common_help, stdout);
			return EXIT_OK;
		default: return usage_error("witness", _("bad option"));
		}
	}
	if (optind + 1 != argc || !fc.key)
		return usage_error("witness", _("one CASE and --key are needed"));
	ret = flow_control_open(&fc, WANT_LEDGER);
	if (!ret) {
		fc.witness_key = fc.key;
		fc.witness_pass = fc.pass_file;
		ret = witness_after(&fc, argv[optind], NULL);
		if (!ret && fc.json)
			printf("{\"case\":\"%s\",\"witnessed\":true}\n", argv[optind]);
	}
	flow_control_release(&fc);
	return ret;
}
