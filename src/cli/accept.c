/* accept.c - `wipecert accept CERT.pdf`: the owner takes back a
 * contractor's certificate for an asset it handed over.
 *
 * Opens the owner's trust store and ledger, lets the flow layer check and
 * record, and names every check that failed. Never records anything
 * itself.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wipecert/cli.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"

static void accept_help(void)
{
	printf(_("Usage: %s accept CERT.pdf --key KEY [--db LEDGER] [--trust DIR] [--json]\n\n"
		 "Accept a contractor's disposal certificate on the owner's side. The PDF\n"
		 "must verify with the owner's trust store (the contractor's roster pinned\n"
		 "by the owner's root, its CA handed over with the roster), be performed\n"
		 "by a contractor-technician and approved by another person, a\n"
		 "contractor-approver, and match the owner's ledger: the asset is\n"
		 "handed-to-contractor, its serial/WWN are the certificate's, and the\n"
		 "certificate was not accepted before. Then the asset becomes \"disposed\"\n"
		 "with the certificate ID, and the PDF is kept in STATE_DIR/accepted/.\n\n"
		 "Options:\n"
		 "      --db FILE           the owner's ledger (default $WIPECERT_DB or %s)\n"
		 "      --trust DIR         the owner's trust directory (default $WIPECERT_TRUST or %s)\n"
		 "      --state-dir DIR     where accepted/ is (default $WIPECERT_STATE_DIR or /var/lib/wipecert/jobs)\n"
		 "  -k, --key FILE          the secret key of who accepts: the ledger event is signed\n"
		 "      --passphrase-file F the key's passphrase (else asked on the terminal)\n"
		 "      --actor NAME        who accepts (must be the key's holder)\n"
		 "  -J, --json              JSON output\n"
		 "  -h, --help              show this help\n\n"
		 "Exit status: 0 accepted and recorded, 1 unreadable input or a failure,\n"
		 "2 usage error, 3 refused (every failed check is named; nothing recorded).\n"),
	       program_name, LEDGER_DEFAULT_PATH, TRUST_DEFAULT_DIR);
}

static void print_json(const char *path, const struct flow_acceptance *a)
{
	json_t *j = json_object(), *checks = json_array();

	json_object_set_new(j, "file", json_string(path));
	json_object_set_new(j, "accepted", json_boolean(a->accepted));
	json_object_set_new(j, "certificate_id", a->certificate_id ? json_string(a->certificate_id) : json_null());
	json_object_set_new(j, "asset_id", a->asset_id ? json_string(a->asset_id) : json_null());
	json_object_set_new(j, "contractor", a->contractor ? json_string(a->contractor) : json_null());
	json_object_set_new(j, "technician", a->technician ? json_string(a->technician) : json_null());
	json_object_set_new(j, "approver", a->approver ? json_string(a->approver) : json_null());
	json_object_set_new(j, "pdf_sha256", json_string(a->pdf_sha256));
	json_object_set_new(j, "archive", a->archive_path ? json_string(a->archive_path) : json_null());
	for (size_t i = 0; i < a->n_checks; i++)
		json_array_append_new(checks, json_pack("{s:s,s:s,s:s}", "name", a->checks[i].name, "status",
							a->checks[i].ok ? "ok" : "failed", "detail", a->checks[i].detail));
	json_object_set_new(j, "checks", checks);
	cli_print_json(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
}

int cmd_accept(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_TRUST, OPT_STATE_DIR, OPT_ACTOR, OPT_PASS };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "actor", required_argument, NULL, OPT_ACTOR },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_ledger_ struct ledger *l = NULL;
	_cleanup_(trust_store_freep) struct trust_store *s = NULL;
	_cleanup_(trust_seckey_freep) struct trust_seckey *k = NULL;
	_cleanup_free_ uint8_t *pdf = NULL;
	struct flow_acceptance a = { 0 };
	struct flow_error err = { "" };
	struct flow_ctx ctx = { 0 };
	const char *db = NULL, *tdir = NULL, *actor = NULL, *key = NULL, *pass_file = NULL, *path, *lpath, *dir;
	bool json = false;
	struct stat st;
	size_t len;
	int c, r, ret;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "accept")) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case OPT_PASS: pass_file = optarg; break;
		case OPT_DB: db = optarg; break;
		case OPT_TRUST: tdir = optarg; break;
		case OPT_STATE_DIR: ctx.state_dir = optarg; break;
		case OPT_ACTOR: actor = optarg; break;
		case 'J': json = true; break;
		case 'h': accept_help(); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return usage_error("accept", _("give one certificate file"));
	/* the ledger event that closes the entry is signed by who accepts */
	if (!key)
		return usage_error("accept", _("--key FILE is required: the ledger event is signed by who accepts"));
	path = argv[optind];
	if (stat(path, &st) == 0 && st.st_size > (off_t)CERT_PDF_MAX_SIZE) {
		log_error(_("%s: file larger than %u MiB"), path, CERT_PDF_MAX_SIZE >> 20);
		return EXIT_FAIL;
	}
	r = read_full_file(path, &pdf, &len);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot read"), path);
		return EXIT_FAIL;
	}
	dir = trust_dir(tdir);
	r = cli_trust_open(dir, &s);
	if (r)
		return r;
	lpath = ledger_resolve_path(db);
	r = ledger_open(lpath, 0, &l);
	if (r < 0) {
		log_error_errno(r, _("%s: cannot open the ledger"), lpath);
		return EXIT_FAIL;
	}
	cli_op_ledger(lpath);
	ctx.ledger = l;
	ctx.trust = s;
	r = key_load_secret(key, pass_file, &k);
	if (r < 0)
		return key_exit_code(r);
	if (actor && !streq(actor, trust_seckey_name(k)))
		return usage_error("accept", _("--actor '%s' is not the key's holder '%s'"), actor, trust_seckey_name(k));
	r = flow_ledger_signer(&ctx, k, &err);
	if (r < 0) {
		log_error("%s: %s", path, flow_error_text(&err));
		return r == -ESTALE ? EXIT_REFUSED : EXIT_FAIL;
	}
	r = flow_accept(&ctx, pdf, len, trust_seckey_name(k), &a, &err);
	cli_op_field("certificate", a.certificate_id);
	cli_op_subject(a.asset_id);
	if (json)
		print_json(path, &a);
	if (r == -EPERM) {
		size_t failed = 0;

		for (size_t i = 0; i < a.n_checks; i++)
			if (!a.checks[i].ok) {
				log_error(_("%s: refused: %s: %s"), path, a.checks[i].name, a.checks[i].detail);
				failed++;
			}
		if (!failed)
			log_error("%s: %s", path, flow_error_text(&err));
		log_error(_("%s: not accepted: the asset and the archive are unchanged"), path);
		ret = EXIT_REFUSED;
	} else if (r < 0) {
		log_error("%s: %s", path, flow_error_text(&err));
		ret = EXIT_FAIL;
	} else {
		if (!json)
			printf(_("%s: accepted: certificate %s of %s for asset %s (performed by %s, approved by %s); "
				 "asset %s is disposed; kept as %s\n"),
			       path, a.certificate_id, a.contractor, a.asset_id, a.technician, a.approver, a.asset_id,
			       a.archive_path);
		ret = EXIT_OK;
	}
	flow_acceptance_release(&a);
	return ret;
}
