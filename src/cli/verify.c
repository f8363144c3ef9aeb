/* verify.c - `wipecert verify CERT.pdf`: check a disposal certificate and
 * say which checks passed. Exit 0 only when every check passed.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "wipecert/cli.h"
#include "wipecert/ledger.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s verify CERT.pdf [--trust DIR] [--ca FILE] [--db PATH] [--asset ID] [--json]\n\n"
		   "Check a signed disposal certificate: the PDF signature covers the whole\n"
		   "file, the CMS signature is valid and its certificate chains to a trusted\n"
		   "CA, the attached record is canonical, the page text and QR code show the\n"
		   "record's key fields, and the record's minisign signature is an approver's\n"
		   "per the trust roster, the same approver who signed the PDF, another person\n"
		   "than the technician.\n\n"
		   "Options:\n"
		   "      --trust DIR the trust directory (roster and ca.crt; default\n"
		   "                  $WIPECERT_TRUST or " TRUST_DEFAULT_DIR ")\n"
		   "      --ca FILE   trust this CA (PEM; repeatable); without --trust the\n"
		   "                  roster check is skipped (X.509 only)\n"
		   "      --db PATH   check against the asset ledger (else $WIPECERT_DB, else\n"
		   "                  " LEDGER_DEFAULT_PATH "): the asset, its serial/WWN, the event\n"
		   "      --asset ID  the ledger entry the certificate must be for (implies --db)\n"
		   "      --json      print the result as JSON on stdout\n"
		   "  -h, --help      show this help\n\n"
		   "Exit status: 0 every check passed, 1 a check failed (each failed check is\n"
		   "named), 2 usage error.\n", program_name);
}

struct find_event {
	const char *hash;
	bool found;
};

static int find_event_cb(const struct ledger_event *e, void *userdata)
{
	struct find_event *f = userdata;

	if (e->hash && streq(e->hash, f->hash))
		f->found = true;
	return 0;
}

/* The ledger check: the asset the certificate is for (or --asset) is in the
 * ledger, the record's disk identity matches the ledger's, and the ledger
 * holds the event the certificate closes. */
static void check_ledger(struct cert_verify_report *rep, const char *db, const char *asset_id)
{
	const struct cert_record *r = rep->record;
	_cleanup_ledger_ struct ledger *l = NULL;
	_cleanup_free_ char *reason = NULL;
	struct ledger_asset a = { 0 };
	const char *want, *path = ledger_resolve_path(db);
	char msg[200];
	int k;

	if (!r) {
		cert_verify_report_set(rep, CHECK_LEDGER, false, "no readable record to compare");
		return;
	}
	want = r->ledger_entry ? r->ledger_entry : r->asset_id;
	if (asset_id && !streq(asset_id, want) && !streq(asset_id, r->asset_id)) {
		snprintf(msg, sizeof(msg), "the certificate is for asset %s, not %s", want, asset_id);
		cert_verify_report_set(rep, CHECK_LEDGER, false, msg);
		return;
	}
	k = ledger_open(path, LEDGER_OPEN_READONLY, &l);
	if (k < 0) {
		snprintf(msg, sizeof(msg), "%s: cannot open the ledger: %s", path, strerror(-k));
		cert_verify_report_set(rep, CHECK_LEDGER, false, msg);
		return;
	}
	k = ledger_asset_get(l, want, &a);
	if (k < 0) {
		snprintf(msg, sizeof(msg), "the ledger has no asset %s", want);
		cert_verify_report_set(rep, CHECK_LEDGER, false, msg);
		return;
	}
	k = ledger_identity_check(&a, r->serial, r->wwn, &reason);
	if (k != LEDGER_IDENTITY_MATCH) {
		snprintf(msg, sizeof(msg), "asset %s: %s", want, reason ? reason : "identity does not match");
		cert_verify_report_set(rep, CHECK_LEDGER, false, msg);
		ledger_asset_clear(&a);
		return;
	}
	ledger_asset_clear(&a);
	if (r->ledger_event_hash) {
		struct find_event f = { r->ledger_event_hash, false };

		k = ledger_history(l, want, find_event_cb, &f);
		if (k < 0 || !f.found) {
			snprintf(msg, sizeof(msg), "asset %s has no ledger event %.16s...", want, r->ledger_event_hash);
			cert_verify_report_set(rep, CHECK_LEDGER, false, msg);
			return;
		}
	}
	snprintf(msg, sizeof(msg), "asset %s in the ledger: serial%s match%s", want, r->wwn ? " and WWN" : "",
		 r->ledger_event_hash ? ", event found" : " (the record names no event)");
	cert_verify_report_set(rep, CHECK_LEDGER, true, msg);
}

static int add_pem(STACK_OF(X509) *sk, const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x;
	int n = 0;

	if (!b)
		return -ENOENT;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		sk_X509_push(sk, x);
		n++;
	}
	ERR_clear_error();
	BIO_free(b);
	return n ? n : -EINVAL;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "trust", required_argument, NULL, 't' },
		{ "db", required_argument, NULL, 'd' },
		{ "asset", required_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	STACK_OF(X509) *trusted = sk_X509_new_null();
	struct cert_verify_report rep = { 0 };
	uint8_t *pdf = NULL;
	size_t len;
	bool json = false;
	struct trust_store *store = NULL;
	const char *path, *trust = NULL, *db = NULL, *asset = NULL;
	bool have_ca = false;
	int c, r, ret = EXIT_FAIL;

	if (!trusted)
		return EXIT_FAIL;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			r = add_pem(trusted, optarg);
			if (r < 0) {
				log_error_errno(r, "%s: cannot read CA certificates (PEM)", optarg);
				ret = EXIT_USAGE;
				goto out;
			}
			have_ca = true;
			break;
		case 't': trust = optarg; break;
		case 'd': db = optarg; break;
		case 'A': asset = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); ret = EXIT_OK; goto out;
		default: ret = usage_error("verify", "bad option"); goto out;
		}
	}
	if (optind + 1 != argc) {
		ret = usage_error("verify", "give one certificate file");
		goto out;
	}
	path = argv[optind];
	{
		struct stat st;

		/* refuse a huge file before reading it */
		if (stat(path, &st) == 0 && st.st_size > (off_t)CERT_PDF_MAX_SIZE) {
			log_error("%s: parse: file larger than %u MiB", path, CERT_PDF_MAX_SIZE >> 20);
			goto out;
		}
	}
	r = read_full_file(path, &pdf, &len);
	if (r < 0) {
		log_error_errno(r, "%s: cannot read", path);
		goto out;
	}
	if (trust || !have_ca) {
		_cleanup_free_ char *ca = NULL;
		const char *dir = trust_dir(trust);

		r = trust_store_open(dir, &store);
		if (r < 0) {
			log_error("%s: cannot open the trust directory: %s%s%s", dir, trust_strerror(r),
				  trust_store_failed_file() ? ": " : "",
				  trust_store_failed_file() ? trust_store_failed_file() : "");
			goto out;
		}
		if (asprintf(&ca, "%s/ca.crt", dir) < 0 || add_pem(trusted, ca) < 0) {
			log_error("%s/ca.crt: cannot read the organisation's CA", dir);
			goto out;
		}
	} else
		log_warn("no trust roster: checking the X.509 signature only (give --trust DIR)");
	r = cert_pdf_verify(pdf, len, trusted, store, &rep);
	if (r < 0) {
		log_error_errno(r, "%s: cannot verify", path);
		goto out;
	}
	if (db || asset)
		check_ledger(&rep, db, asset);
	if (json) {
		json_t *j = json_object(), *checks = json_array();
		char *s;

		json_object_set_new(j, "file", json_string(path));
		json_object_set_new(j, "valid", json_boolean(rep.all_ok));
		json_object_set_new(j, "roster_checked", json_boolean(!rep.roster_skipped));
		if (rep.record) {
			json_object_set_new(j, "certificate_id", json_string(rep.record->certificate_id));
			json_object_set_new(j, "record_sha256", json_string(rep.record_hash));
			json_object_set_new(j, "serial", json_string(rep.record->serial));
			json_object_set_new(j, "asset_id", json_string(rep.record->asset_id));
			json_object_set_new(j, "result", json_string(rep.record->result));
		}
		if (rep.signer_subject)
			json_object_set_new(j, "signer", json_string(rep.signer_subject));
		if (rep.signing_time)
			json_object_set_new(j, "signing_time", json_string(rep.signing_time));
		for (int i = 0; i < CHECK__MAX; i++)
			json_array_append_new(checks, json_pack("{s:s,s:s,s:s}", "name", cert_check_name(i),
				"status", !rep.checks[i].ran ? ((i == CHECK_ROSTER && rep.roster_skipped) ||
					(i == CHECK_LEDGER && rep.ledger_skipped) ? "skipped" : "not-run") :
					rep.checks[i].ok ? "ok" : "failed",
				"detail", rep.checks[i].detail));
		json_object_set_new(j, "checks", checks);
		s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
		json_decref(j);
	} else {
		printf("%s: %s\n", path, !rep.all_ok ? "INVALID" :
		       rep.roster_skipped ? "VALID (X.509 only, no roster)" : "VALID");
		if (rep.record)
			printf("  certificate %s, serial %s, asset %s, %s\n", rep.record->certificate_id,
			       rep.record->serial, rep.record->asset_id, rep.record->result);
		for (int i = 0; i < CHECK__MAX; i++)
			printf("  %-20s %-8s %s\n", cert_check_name(i),
			       !rep.checks[i].ran ? ((i == CHECK_ROSTER && rep.roster_skipped) ||
						     (i == CHECK_LEDGER && rep.ledger_skipped) ? "skipped" : "not run") :
			       rep.checks[i].ok ? "ok" : "FAILED",
			       rep.checks[i].detail);
	}
	if (!rep.all_ok)
		for (int i = 0; i < CHECK__MAX; i++)
			if (rep.checks[i].ran && !rep.checks[i].ok)
				log_error("%s: %s: %s", path, cert_check_name(i), rep.checks[i].detail);
	ret = rep.all_ok ? EXIT_OK : EXIT_FAIL;
out:
	cert_verify_report_release(&rep);
	trust_store_free(store);
	sk_X509_pop_free(trusted, X509_free);
	free(pdf);
	return ret;
}
