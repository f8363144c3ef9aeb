/* cert.c - `wipecert cert issue|show|report`: issue the certificate of a
 * signed wipe record outside the workflow (through flow_issue(), the one
 * issuing path), print the record a certificate carries, summarise a
 * session.
 *
 * Parses, calls one function below, prints. Never overwrites a
 * certificate unless --force.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#include "wipecert/cli.h"
#include "wipecert/flow.h"
#include "wipecert/pdf.h"
#include "wipecert/policy.h"
#include "wipecert/trust.h"

static void usage_issue(FILE *f)
{
	fprintf(f, _("Usage: %s cert issue --wipe-record FILE --approver-key KEY -o OUT.pdf [options]\n\n"
		     "Issue the certificate of a technician's signed wipe (or destruction)\n"
		     "record, outside the state directory and the ledger: the same issuing path\n"
		     "as 'approve', with the same checks (the technician's signature per the\n"
		     "roster, the approver's role and roster entry, separation of duties, the\n"
		     "policy), and the certificate must verify before it is written. Nothing is\n"
		     "recorded in the ledger: 'verify --db' will not find it there.\n\n"
		     "Options:\n"
		     "  -w, --wipe-record FILE   the technician's record; its signature is FILE.minisig\n"
		     "  -K, --approver-key FILE  the approver's wipecert secret key\n"
		     "      --passphrase-file F  its passphrase (else asked on the terminal)\n"
		     "  -r, --record FILE        sign this certificate record instead of the one built\n"
		     "                           from the wipe record (refused unless it states what\n"
		     "                           the wipe record states, names it and this approver)\n"
		     "      --destination TEXT   post-sanitisation destination\n"
		     "      --trust DIR          the trust directory (default $WIPECERT_TRUST or %s)\n"
		     "      --policy FILE        the disposal policy (default %s if present)\n"
		     "      --logo FILE          organisation logo (PNG)\n"
		     "      --font FILE          TrueType font (default %s)\n"
		     "      --cades              SubFilter ETSI.CAdES.detached (default adbe.pkcs7.detached)\n"
		     "  -o, --output FILE        the certificate to write\n"
		     "  -f, --force              replace an existing output file\n"
		     "  -h, --help               show this help\n\n"
		     "Exit status: 0 written, 1 failed, 2 usage error, 3 refused (nothing written).\n"),
		program_name, TRUST_DEFAULT_DIR, DEFAULT_POLICY, CERT_DEFAULT_FONT);
}

struct issue_control {
	const char *wrec, *akey, *pass_file, *record, *out, *trust, *policy;
	bool force;
	struct flow_ctx ctx;
	struct flow_issue_request q;
};

static int issue_options(int argc, char **argv, struct issue_control *ic)
{
	enum { OPT_PASS = 256, OPT_TRUST, OPT_POLICY, OPT_DEST, OPT_LOGO, OPT_FONT, OPT_CADES };
	static const struct option opts[] = {
		{ "wipe-record", required_argument, NULL, 'w' },
		{ "approver-key", required_argument, NULL, 'K' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		{ "record", required_argument, NULL, 'r' },
		{ "destination", required_argument, NULL, OPT_DEST },
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "logo", required_argument, NULL, OPT_LOGO },
		{ "font", required_argument, NULL, OPT_FONT },
		{ "cades", no_argument, NULL, OPT_CADES },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = cli_getopt(argc, argv, opts, "cert issue")) != -1) {
		switch (c) {
		case 'w': ic->wrec = optarg; break;
		case 'K': ic->akey = optarg; break;
		case OPT_PASS: ic->pass_file = optarg; break;
		case 'r': ic->record = optarg; break;
		case OPT_DEST: ic->q.destination = optarg; break;
		case OPT_TRUST: ic->trust = optarg; break;
		case OPT_POLICY: ic->policy = optarg; break;
		case OPT_LOGO: ic->ctx.logo = optarg; break;
		case OPT_FONT: ic->ctx.font = optarg; break;
		case OPT_CADES: ic->q.cades = true; break;
		case 'o': ic->out = optarg; break;
		case 'f': ic->force = true; break;
		case 'h': usage_issue(stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("cert issue", _("unexpected argument '%s'"), argv[optind]);
	if (!ic->wrec || !ic->akey || !ic->out)
		return usage_error("cert issue", _("--wipe-record, --approver-key and --output are needed"));
	return EXIT_OK;
}

/* The wipe record, its signature beside it, and the record to sign if given. */
static int issue_read(struct issue_control *ic, uint8_t **rec, uint8_t **sig, struct cert_record **given)
{
	_cleanup_free_ char *sp = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	const char *err = NULL;
	size_t len;
	int r;

	r = read_full_file(ic->wrec, rec, &ic->q.evidence_len);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot read"), ic->wrec), EXIT_FAIL;
	if (asprintf(&sp, "%s.minisig", ic->wrec) < 0)
		return EXIT_FAIL;
	r = read_full_file(sp, sig, &ic->q.evidence_sig_len);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot read the technician's signature"), sp), EXIT_FAIL;
	ic->q.evidence = *rec;
	ic->q.evidence_sig = *sig;
	if (!ic->record)
		return EXIT_OK;
	r = read_full_file(ic->record, &buf, &len);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot read"), ic->record), EXIT_FAIL;
	r = cert_record_parse((char *)buf, len, given, &err);
	if (r < 0)
		return log_error("%s: %s", ic->record, err ? err : _("bad record")), EXIT_FAIL;
	ic->q.record = *given;
	return EXIT_OK;
}

/* A thin caller of the one issuing path, flow_issue(). */
static int cert_issue(int argc, char **argv)
{
	struct issue_control ic = { 0 };
	_cleanup_(trust_store_freep) struct trust_store *store = NULL;
	_cleanup_free_ uint8_t *rec = NULL, *sig = NULL;
	struct trust_seckey *k = NULL;
	struct cert_record *given = NULL;
	struct flow_issued is = { 0 };
	struct flow_error err = { "" };
	struct policy pol;
	bool have_pol = false;
	const char *dir;
	int r, ret;

	ret = issue_options(argc, argv, &ic);
	if (ret != EXIT_OK)
		return ret < 0 ? EXIT_OK : ret;
	if (!ic.force && access(ic.out, F_OK) == 0) {
		log_error(_("%s: exists (use --force to replace it)"), ic.out);
		return EXIT_REFUSED;
	}
	ret = issue_read(&ic, &rec, &sig, &given);
	if (ret != EXIT_OK)
		goto out;
	ret = EXIT_FAIL;
	dir = trust_dir(ic.trust);
	ret = cli_trust_open(dir, &store);
	if (ret != EXIT_OK)
		goto out;
	ret = EXIT_FAIL;
	if (cli_policy_load(ic.policy, &pol, &have_pol) < 0)
		goto out;
	r = key_load_secret(ic.akey, ic.pass_file, &k);
	if (r < 0) {
		ret = key_exit_code(r);
		goto out;
	}
	ic.ctx.trust = store;
	ic.ctx.policy = have_pol ? &pol : NULL;
	ic.q.approver = k;
	r = flow_issue(&ic.ctx, &ic.q, &is, &err);
	if (r < 0) {
		log_error("%s: %s", ic.wrec, flow_error_text(&err));
		ret = r == -EPERM ? EXIT_REFUSED : EXIT_FAIL;
		goto out;
	}
	r = write_file_atomic(ic.out, is.pdf, is.pdf_len, 0644, !ic.force);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot write"), ic.out);
		goto out;
	}
	log_info(_("%s: certificate %s written (%zu bytes)"), ic.out, is.record->certificate_id, is.pdf_len);
	ret = EXIT_OK;
out:
	flow_issued_release(&is);
	cert_record_free(given);
	trust_seckey_free(k);
	if (have_pol)
		policy_release(&pol);
	return ret;
}

static int cert_show(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPT_JSON,
		CLI_OPT_HELP,
		{}
	};
	bool json = false;
	uint8_t *pdf = NULL, *rec = NULL;
	size_t len, rec_len;
	struct cert_record *r = NULL;
	const char *err = NULL;
	int c, k, ret = EXIT_FAIL;

	while ((c = cli_getopt(argc, argv, opts, "cert show")) != -1) {
		switch (c) {
		case 'J': json = true; break;
		case 'h':
			printf(_("Usage: %s cert show CERT.pdf [-J|--json]\n\n"
			       "Print the record a certificate carries (not checked: use 'verify').\n"
			       "--json prints the record's canonical JSON.\n\n"
			       "Exit status: 0 shown, 1 no readable record, 2 usage error.\n"), program_name);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return usage_error("cert show", _("give one certificate file"));
	{
		struct stat st;

		if (stat(argv[optind], &st) == 0 && st.st_size > (off_t)CERT_PDF_MAX_SIZE) {
			log_error(_("%s: file larger than %u MiB"), argv[optind], CERT_PDF_MAX_SIZE >> 20);
			return EXIT_FAIL;
		}
	}
	k = read_full_file(argv[optind], &pdf, &len);
	if (k < 0)
		return log_error_errno(k, _("%s: cannot read"), argv[optind]), EXIT_FAIL;
	k = cert_pdf_attachment(pdf, len, CERT_RECORD_NAME, &rec, &rec_len);
	if (k < 0) {
		log_error_errno(k, _("%s: no readable %s attachment"), argv[optind], CERT_RECORD_NAME);
		goto out;
	}
	k = cert_record_parse((char *)rec, rec_len, &r, &err);
	if (k < 0) {
		log_error("%s: %s", argv[optind], err);
		goto out;
	}
	if (json) {
		fwrite(rec, 1, rec_len, stdout);
		putchar('\n');
	} else if (cert_record_is_list(r)) {
		printf(_("list certificate: %s\n"), r->certificate_id);
		printf(_("issued:        %s\n"), r->issued_at);
		printf(_("organisation:  %s\n"), r->organisation);
		printf(_("approver:      %s, %s\n"), r->approver.name, r->approver.role);
		for (size_t i = 0; i < r->n_items; i++) {
			const struct cert_record *d = &r->items[i];

			printf("%4zu  %-16s %-20s %-16s %-20s %s\n", i + 1, d->asset_id, d->serial, d->method, d->result,
			       d->performer.name);
		}
	} else {
		printf(_("certificate:   %s\n"), r->certificate_id);
		printf(_("issued:        %s\n"), r->issued_at);
		printf(_("organisation:  %s\n"), r->organisation);
		printf(_("result:        %s\n"), r->result);
		printf(_("media:         %s %s, serial %s%s%s\n"), r->manufacturer ? r->manufacturer : "",
		       r->model, r->serial, r->wwn ? ", wwn " : "", r->wwn ? r->wwn : "");
		printf(_("asset:         %s (class %u)\n"), r->asset_id, r->importance_class);
		printf(_("sanitization:  %s, %s (%s %s)\n"), r->sanitization_type, r->method, r->tool, r->tool_version);
		printf(_("time:          %s .. %s\n"), r->started_at, r->ended_at);
		printf(_("verification:  %s: %s\n"), r->verification_method, r->verification_result);
		printf(_("performer:     %s, %s\n"), r->performer.name, r->performer.role);
		printf(_("approver:      %s, %s\n"), r->approver.name, r->approver.role);
		if (r->ledger_entry)
			printf(_("ledger:        %s %s\n"), r->ledger_entry, r->ledger_event_hash ? r->ledger_event_hash : "");
	}
	ret = EXIT_OK;
out:
	cert_record_free(r);
	free(rec);
	free(pdf);
	return ret;
}

static int cert_report(int argc, char **argv)
{
	enum { OPT_HOST = 256, OPT_FONT };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "font", required_argument, NULL, OPT_FONT },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *out = NULL, *host = NULL, *font = NULL, *err = NULL;
	struct cert_record **recs = NULL;
	size_t n = 0, pdf_len;
	uint8_t *pdf = NULL;
	bool force = false;
	char hostname[256];
	int c, k, ret = EXIT_FAIL;

	while ((c = cli_getopt(argc, argv, opts, "cert report")) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case OPT_HOST: host = optarg; break;
		case OPT_FONT: font = optarg; break;
		case 'f': force = true; break;
		case 'h':
			printf(_("Usage: %s cert report -o SUMMARY.pdf [--host NAME] [--force] CERT.pdf...\n\n"
			       "Write one summary PDF for the disks of a session on this wipe station:\n"
			       "certificate ID, asset, model and serial, method and result of each.\n"
			       "The certificates are read, not verified (use 'verify'); the summary is\n"
			       "not signed: each certificate is.\n\n"
			       "Exit status: 0 written, 1 failed, 2 usage error, 3 the output exists.\n"), program_name);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (!out || optind >= argc)
		return usage_error("cert report", _("give -o SUMMARY.pdf and at least one certificate"));
	if (!force && access(out, F_OK) == 0) {
		log_error(_("%s: exists (use --force to replace it)"), out);
		return EXIT_REFUSED;
	}
	if (!host && gethostname(hostname, sizeof(hostname)) == 0) {
		hostname[sizeof(hostname) - 1] = '\0';
		host = hostname;
	}
	recs = calloc((size_t)(argc - optind), sizeof(*recs));
	if (!recs)
		return EXIT_FAIL;
	for (int i = optind; i < argc; i++) {
		uint8_t *buf = NULL, *rec = NULL;
		size_t len, rec_len;
		struct stat st;

		if (stat(argv[i], &st) == 0 && st.st_size > (off_t)CERT_PDF_MAX_SIZE) {
			log_error(_("%s: file larger than %u MiB"), argv[i], CERT_PDF_MAX_SIZE >> 20);
			goto out;
		}
		k = read_full_file(argv[i], &buf, &len);
		if (k >= 0)
			k = cert_pdf_attachment(buf, len, CERT_RECORD_NAME, &rec, &rec_len);
		free(buf);
		if (k < 0) {
			log_error_errno(k, _("%s: no readable certificate record"), argv[i]);
			goto out;
		}
		k = cert_record_parse((char *)rec, rec_len, &recs[n], &err);
		free(rec);
		if (k < 0) {
			log_error("%s: %s", argv[i], err);
			goto out;
		}
		if (cert_record_is_list(recs[n++])) {
			log_error(_("%s: a list certificate is a summary of its own"), argv[i]);
			k = -EINVAL;
			goto out;
		}
	}
	k = cert_pdf_render_summary((const struct cert_record *const *)recs, n, host, font, &pdf, &pdf_len, &err);
	if (k < 0) {
		log_error_errno(k, "%s: %s", out, err);
		goto out;
	}
	k = write_file_atomic(out, pdf, pdf_len, 0644, !force);
	if (k < 0) {
		log_error_errno(k, _("%s: cannot write"), out);
		goto out;
	}
	log_info(ngettext("%s: summary of %zu certificate written", "%s: summary of %zu certificates written", n), out, n);
	ret = EXIT_OK;
out:
	for (size_t i = 0; i < n; i++)
		cert_record_free(recs[i]);
	free(recs);
	free(pdf);
	return ret;
}

static const struct command cert_cmds[] = {
	{ "issue", cert_issue, 0, N_("issue the certificate of a signed wipe record (the issuing path of 'approve')") },
	{ "show", cert_show, CMD_JSON, N_("print the record a certificate carries (not checked: use 'verify')") },
	{ "report", cert_report, 0, N_("one summary PDF for the certificates of a session") },
	{}
};

static void help(FILE *f, const struct command_table *t)
{
	fprintf(f, _("Usage: %s cert <command> [options]\n\nCommands:\n"), program_name);
	cli_print_commands(f, t);
	fprintf(f, _("\nRun '%s cert <command> --help' for its options; 'verify' checks a certificate.\n"),
		program_name);
}

const struct command_table cert_cmd_table = { "cert", cert_cmds, help, NULL };
