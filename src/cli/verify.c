/* verify.c - `wipecert verify CERT.pdf`: check a disposal certificate and
 * say which checks passed. The check itself is flow_cert_check(), the one
 * that audit and accept run; this file parses, calls it and prints.
 * Exit 0 only when every check passed (VALID), 4 when the certificate is
 * genuine but the ledger says it is no longer current (SUPERSEDED).
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "wipecert/cli.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/x509.h"

static void usage(FILE *f)
{
	fprintf(f, _("Usage: %s verify CERT.pdf [--trust DIR] [--ca FILE] [--db PATH] [--asset ID] [--json]\n\n"
		     "Check a signed disposal certificate: the PDF signature covers the whole\n"
		     "file, the CMS signature is valid, its certificate chains to a trusted CA\n"
		     "and the rest of the CMS is the chain itself, the attached record is\n"
		     "canonical, the page text and QR code show the record's key fields, the\n"
		     "record's minisign signature is an approver's per the trust roster and the\n"
		     "PDF's signer's, the technician's signed wipe (or destruction) record is\n"
		     "attached and states what the certificate states, signed by another\n"
		     "person, and the signing times agree. With the ledger: the certificate is\n"
		     "the asset's current disposal, this very file recorded at issue.\n\n"
		     "Options:\n"
		     "      --trust DIR the trust directory (roster and ca.crt; default\n"
		     "                  $WIPECERT_TRUST or %s)\n"
		     "      --ca FILE   trust this CA (PEM; repeatable); without --trust the\n"
		     "                  roster check is skipped (X.509 only)\n"
		     "      --db PATH   check against the asset ledger (else $WIPECERT_DB, else\n"
		     "                  %s)\n"
		     "      --asset ID  the ledger entry the certificate must be for (implies --db)\n"
		     "  -J, --json      print the result as JSON on stdout\n"
		     "  -h, --help      show this help\n\n"
		     "Exit status: 0 valid (every check passed), 1 a check failed (each failed\n"
		     "check is named), 2 usage error, 4 superseded: genuine, but the ledger\n"
		     "records a later change of the asset.\n"), program_name, TRUST_DEFAULT_DIR, LEDGER_DEFAULT_PATH);
}

struct verify_control {
	const char *path, *trust, *db, *asset;
	bool json, have_ca;
	STACK_OF(X509) *ca;
};

static const char *verdict_text(const struct flow_cert_result *res)
{
	switch (res->verdict) {
	case FLOW_CERT_VALID:
		return res->rep.roster_skipped ? _("VALID (X.509 only, no roster)") : _("VALID");
	case FLOW_CERT_SUPERSEDED:
		return _("SUPERSEDED");
	default:
		return _("INVALID");
	}
}

static const char *check_status(const struct cert_verify_report *rep, int i, bool json)
{
	if (!rep->checks[i].ran)
		return (i == CHECK_ROSTER && rep->roster_skipped) || (i == CHECK_LEDGER && rep->ledger_skipped) ?
		       (json ? "skipped" : _("skipped")) : json ? "not-run" : _("not run");
	return rep->checks[i].ok ? "ok" : json ? "failed" : _("FAILED");
}

static void print_json(const struct verify_control *vc, const struct flow_cert_result *res)
{
	const struct cert_verify_report *rep = &res->rep;
	json_t *j = json_object(), *checks = json_array();

	json_object_set_new(j, "file", json_string(vc->path));
	json_object_set_new(j, "valid", json_boolean(res->verdict == FLOW_CERT_VALID));
	json_object_set_new(j, "verdict", json_string(res->verdict == FLOW_CERT_VALID ? "valid" :
		res->verdict == FLOW_CERT_SUPERSEDED ? "superseded" : "invalid"));
	json_object_set_new(j, "roster_checked", json_boolean(!rep->roster_skipped));
	if (rep->record) {
		json_object_set_new(j, "certificate_id", json_string(rep->record->certificate_id));
		json_object_set_new(j, "record_sha256", json_string(rep->record_hash));
		json_object_set_new(j, "serial", json_string(rep->record->serial));
		json_object_set_new(j, "asset_id", json_string(rep->record->asset_id));
		json_object_set_new(j, "result", json_string(rep->record->result));
	}
	if (rep->report) {
		json_object_set_new(j, "kind", json_string(rep->report_kind->type));
		json_object_set_new(j, "report_id", json_copy(json_object_get(rep->report, "report_id")));
		json_object_set_new(j, "record_sha256", json_string(rep->record_hash));
	}
	if (rep->record && cert_record_is_list(rep->record)) {
		json_t *rows = json_array();

		for (size_t i = 0; i < rep->record->n_items; i++) {
			const struct cert_record *d = &rep->record->items[i];

			json_array_append_new(rows, json_pack("{s:I,s:s,s:s,s:s}", "row", (json_int_t)i + 1, "asset_id",
							      d->asset_id, "serial", d->serial, "result", d->result));
		}
		json_object_set_new(j, "rows", rows);
	}
	json_object_set_new(j, "pdf_sha256", json_string(rep->pdf_sha256));
	if (rep->signer_subject)
		json_object_set_new(j, "signer", json_string(rep->signer_subject));
	if (rep->signing_time)
		json_object_set_new(j, "signing_time", json_string(rep->signing_time));
	for (int i = 0; i < CHECK__MAX; i++)
		json_array_append_new(checks, json_pack("{s:s,s:s,s:s}", "name", cert_check_name(i),
							"status", check_status(rep, i, true), "detail", rep->checks[i].detail));
	json_object_set_new(j, "checks", checks);
	cli_print_json(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
}

static void print_text(const struct verify_control *vc, const struct flow_cert_result *res)
{
	const char *const head[] = { _("CHECK"), _("STATUS"), _("DETAIL") };
	const struct cert_verify_report *rep = &res->rep;
	struct libscols_table *t = cli_table_new(head, ARRAY_SIZE(head));

	printf("%s: %s\n", vc->path, verdict_text(res));
	if (rep->report && streq(rep->report_kind->type, "audit-report"))
		printf(_("  audit report %s, %zu disposals, signed by the auditor %s\n"),
		       json_string_value(json_object_get(rep->report, "report_id")),
		       json_array_size(json_object_get(rep->report, "rows")),
		       json_string_value(json_object_get(json_object_get(rep->report, "auditor"), "name")) ?: "?");
	else if (rep->report)
		printf(_("  inspection report %s of %s, signed by the inspector %s\n"),
		       json_string_value(json_object_get(rep->report, "report_id")),
		       json_string_value(json_object_get(rep->report, "inspected_at")) ?: "?",
		       json_string_value(json_object_get(json_object_get(rep->report, "inspector"), "name")) ?: "?");
	else if (rep->record && cert_record_is_list(rep->record))
		printf(_("  list certificate %s, %zu disks\n"), rep->record->certificate_id, rep->record->n_items);
	else if (rep->record)
		printf(_("  certificate %s, serial %s, asset %s, %s\n"), rep->record->certificate_id,
		       rep->record->serial, rep->record->asset_id, rep->record->result);
	for (int i = 0; t && i < CHECK__MAX; i++)
		if (cli_table_row(t, (const char *const[]){ cert_check_name(i), check_status(rep, i, false),
							    rep->checks[i].text }) < 0) {
			cli_table_free(t);
			t = NULL;
		}
	if (!t || cli_table_print(t) < 0)
		log_error_errno(-ENOMEM, _("%s: cannot print the checks"), vc->path);
}

static int parse_options(int argc, char **argv, struct verify_control *vc)
{
	enum { OPT_CA = 256, OPT_TRUST, OPT_DB, OPT_ASSET };
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, OPT_CA },
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "db", required_argument, NULL, OPT_DB },
		{ "asset", required_argument, NULL, OPT_ASSET },
		CLI_OPT_JSON,
		CLI_OPT_HELP,
		{}
	};
	int c, r;

	while ((c = cli_getopt(argc, argv, opts, "verify")) != -1) {
		switch (c) {
		case OPT_CA:
			r = x509_pem_load_all(optarg, vc->ca);
			if (r < 0) {
				log_error_errno(r, _("%s: cannot read CA certificates (PEM)"), optarg);
				return EXIT_USAGE;
			}
			vc->have_ca = true;
			break;
		case OPT_TRUST: vc->trust = optarg; break;
		case OPT_DB: vc->db = optarg; break;
		case OPT_ASSET: vc->asset = optarg; break;
		case 'J': vc->json = true; break;
		case 'h': usage(stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return usage_error("verify", _("give one certificate file"));
	vc->path = argv[optind];
	return EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_control vc = { .ca = sk_X509_new_null() };
	struct flow_cert_result res = { 0 };
	struct flow_cert_options o = { 0 };
	struct flow_ctx ctx = { 0 };
	_cleanup_(trust_store_freep) struct trust_store *store = NULL;
	_cleanup_ledger_ struct ledger *l = NULL;
	_cleanup_free_ uint8_t *pdf = NULL;
	struct stat st;
	size_t len;
	int r, ret;

	if (!vc.ca)
		return EXIT_FAIL;
	ret = parse_options(argc, argv, &vc);
	if (ret != EXIT_OK) {
		ret = ret < 0 ? EXIT_OK : ret;
		goto out;
	}
	ret = EXIT_FAIL;
	/* refuse a huge file before reading it */
	if (stat(vc.path, &st) == 0 && st.st_size > (off_t)CERT_PDF_MAX_SIZE) {
		log_error(_("%s: parse: file larger than %u MiB"), vc.path, CERT_PDF_MAX_SIZE >> 20);
		goto out;
	}
	r = read_full_file(vc.path, &pdf, &len);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot read"), vc.path);
		goto out;
	}
	if (vc.trust || !vc.have_ca) {
		const char *dir = trust_dir(vc.trust);

		/* one loader: an older roster or revocation list put back is refused (exit 3) */
		ret = cli_trust_open(dir, &store);
		if (ret != EXIT_OK)
			goto out;
		ret = EXIT_FAIL;
	} else
		log_warn(_("no trust roster: checking the X.509 signature only (give --trust DIR)"));
	if (vc.db || vc.asset) {
		const char *lp = ledger_resolve_path(vc.db);

		r = ledger_open(lp, LEDGER_OPEN_READONLY, &l);
		if (r < 0) {
			log_error_errno(r, _("%s: cannot open the ledger"), lp);
			goto out;
		}
	}
	ctx.trust = store;
	ctx.ledger = l;
	o.ca = vc.ca;
	o.asset_id = vc.asset;
	o.ledger = l != NULL;
	o.chain = o.ledger;
	r = flow_cert_check(&ctx, pdf, len, &o, &res);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot verify"), vc.path);
		goto out;
	}
	if (vc.json)
		print_json(&vc, &res);
	else
		print_text(&vc, &res);
	for (int i = 0; res.verdict != FLOW_CERT_VALID && i < CHECK__MAX; i++)
		if (res.rep.checks[i].ran && !res.rep.checks[i].ok)
			log_error("%s: %s: %s", vc.path, cert_check_name(i), res.rep.checks[i].text);
	ret = res.verdict == FLOW_CERT_VALID ? EXIT_OK : res.verdict == FLOW_CERT_SUPERSEDED ? EXIT_SUPERSEDED : EXIT_FAIL;
out:
	flow_cert_result_release(&res);
	sk_X509_pop_free(vc.ca, X509_free);
	return ret;
}
