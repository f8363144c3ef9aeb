/* cert.c - `wipecert cert issue|show`: make a signed certificate PDF from a
 * record, print the record a certificate carries.
 *
 * `issue` is the low-level step the approval workflow drives; it signs
 * with an X.509 key given as PEM files. Never overwrites a certificate
 * unless --force.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "wipecert/cli.h"
#include "wipecert/canon.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"

static void usage_issue(FILE *f)
{
	fprintf(f, "Usage: %s cert issue --record FILE --approver-key KEY -o OUT.pdf [options]\n"
		   "       %s cert issue --record FILE --key KEY.pem --cert CERT.pem -o OUT.pdf [options]\n\n"
		   "Render the bilingual disposal certificate of a record and sign it\n"
		   "(PDF signature, CMS detached, ECDSA P-256 or RSA). With --approver-key the\n"
		   "record is also signed (minisign, type \"certificate\") and attached as\n"
		   CERT_SIG_NAME ", and the X.509 key and certificate come from the key file and\n"
		   "the trust directory.\n\n"
		   "Options:\n"
		   "  -r, --record FILE    the certificate record (JSON, schema " CERT_SCHEMA ")\n"
		   "  -K, --approver-key FILE  the approver's wipecert secret key\n"
		   "      --passphrase-file FILE  its passphrase (else asked on the terminal)\n"
		   "      --trust DIR      the trust directory (default $WIPECERT_TRUST or " TRUST_DEFAULT_DIR ")\n"
		   "  -k, --key FILE       the approver's private key (PEM), instead of --approver-key\n"
		   "  -c, --cert FILE      the approver's X.509 certificate (PEM; with --approver-key:\n"
		   "                       instead of the trust directory's)\n"
		   "      --chain FILE     intermediate and CA certificates to include (PEM)\n"
		   "  -a, --attach FILE    attach a file (e.g. record.json.minisig); repeatable\n"
		   "      --logo FILE      organisation logo (PNG)\n"
		   "      --font FILE      TrueType font (default %s)\n"
		   "      --cades          SubFilter ETSI.CAdES.detached (default adbe.pkcs7.detached)\n"
		   "      --unsigned       write the rendered PDF without a signature (preview)\n"
		   "  -o, --output FILE    the certificate to write\n"
		   "  -f, --force          replace an existing output file\n"
		   "  -h, --help           show this help\n\n"
		   "Exit status: 0 written, 1 failed, 2 usage error.\n",
		program_name, program_name, CERT_DEFAULT_FONT);
}

static int load_pem_certs(const char *path, STACK_OF(X509) **ret)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = BIO_new_file(path, "r");
	X509 *x;

	if (!sk || !b) {
		sk_X509_free(sk);
		BIO_free(b);
		return -ENOENT;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		sk_X509_push(sk, x);
	ERR_clear_error();
	BIO_free(b);
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return -EINVAL;
	}
	*ret = sk;
	return 0;
}

struct attach {
	char *name;
	uint8_t *data;
	size_t len;
};

static int cert_issue(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "record", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "approver-key", required_argument, NULL, 'K' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "trust", required_argument, NULL, 'T' },
		{ "cert", required_argument, NULL, 'c' },
		{ "chain", required_argument, NULL, 'C' },
		{ "attach", required_argument, NULL, 'a' },
		{ "logo", required_argument, NULL, 'L' },
		{ "font", required_argument, NULL, 'F' },
		{ "cades", no_argument, NULL, 'E' },
		{ "unsigned", no_argument, NULL, 'U' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *record = NULL, *key = NULL, *certf = NULL, *chainf = NULL, *out = NULL;
	const char *akey = NULL, *pass_file = NULL, *trust = NULL;
	struct trust_seckey *sk = NULL;
	struct trust_store *store = NULL;
	struct trust_x509_signer *xs = NULL;
	char *record_sig = NULL, *canon = NULL;
	const char *err = NULL;
	struct cert_pdf_opts po = { 0 };
	struct cert_signer s = { 0 };
	struct attach att[16] = { 0 };
	struct cert_attachment ca[17];
	size_t n_att = 0;
	bool force = false, unsig = false;
	struct cert_record *rec = NULL;
	uint8_t *buf = NULL, *pdf = NULL, *signed_pdf = NULL;
	size_t len, pdf_len, signed_len;
	STACK_OF(X509) *certs = NULL;
	BIO *b;
	int c, r, ret = EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "r:k:K:c:a:o:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': record = optarg; break;
		case 'K': akey = optarg; break;
		case 'P': pass_file = optarg; break;
		case 'T': trust = optarg; break;
		case 'k': key = optarg; break;
		case 'c': certf = optarg; break;
		case 'C': chainf = optarg; break;
		case 'L': po.logo_png = optarg; break;
		case 'F': po.font_path = optarg; break;
		case 'E': s.cades = true; break;
		case 'U': unsig = true; break;
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		case 'a':
			if (n_att == ARRAY_SIZE(att)) {
				ret = usage_error("cert issue", "too many attachments");
				goto out;
			}
			r = read_full_file(optarg, &att[n_att].data, &att[n_att].len);
			if (r < 0) {
				log_error_errno(r, "%s: cannot read", optarg);
				goto out;
			}
			att[n_att].name = strdup(strrchr(optarg, '/') ? strrchr(optarg, '/') + 1 : optarg);
			n_att++;
			break;
		case 'h': usage_issue(stdout); ret = EXIT_OK; goto out;
		default: ret = usage_error("cert issue", "bad option"); goto out;
		}
	}
	if (optind < argc) {
		ret = usage_error("cert issue", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!record || !out || (!unsig && !akey && (!key || !certf)) || (akey && key)) {
		ret = usage_error("cert issue", "--record, --output and (unless --unsigned) either --approver-key "
				  "or --key and --cert are needed");
		goto out;
	}
	if (!force && access(out, F_OK) == 0) {
		log_error("%s: exists (use --force to replace it)", out);
		ret = EXIT_REFUSED;
		goto out;
	}
	r = read_full_file(record, &buf, &len);
	if (r < 0) {
		log_error_errno(r, "%s: cannot read", record);
		goto out;
	}
	r = cert_record_parse((char *)buf, len, &rec, &err);
	if (r < 0) {
		log_error("%s: %s", record, err ? err : "bad record");
		goto out;
	}
	/* name trees are sorted: so are the attachments */
	for (size_t i = 0; i < n_att; i++)
		for (size_t j = i + 1; j < n_att; j++)
			if (strcmp(att[j].name, att[i].name) < 0) {
				struct attach t = att[i];

				att[i] = att[j];
				att[j] = t;
			}
	for (size_t i = 0; i < n_att; i++) {
		if (streq(att[i].name, CERT_RECORD_NAME)) {
			log_error("%s: the record is attached by itself; give its signature files", att[i].name);
			ret = EXIT_USAGE;
			goto out;
		}
		ca[i] = (struct cert_attachment){ att[i].name, att[i].data, att[i].len, NULL };
	}
	if (akey) {
		struct trust_pubkey pk;
		char id[TRUST_KEYID_STRLEN];
		size_t canon_len;
		const char *dir = trust_dir(trust);

		r = trust_store_open(dir, &store);
		if (r < 0) {
			log_error("%s: cannot open the trust directory: %s", dir, trust_strerror(r));
			goto out;
		}
		r = key_load_secret(akey, pass_file, &sk);
		if (r < 0) {
			ret = key_exit_code(r);
			goto out;
		}
		if (!trust_role_may_sign(trust_seckey_role(sk), TRUST_DOC_CERTIFICATE)) {
			log_error("%s: a %s key may not sign a certificate", akey,
				  trust_role_to_string(trust_seckey_role(sk)));
			ret = EXIT_REFUSED;
			goto out;
		}
		trust_seckey_pubkey(sk, &pk);
		trust_keyid_string(pk.keyid, id);
		if (!rec->approver.key_id || strcasecmp(rec->approver.key_id, id) != 0) {
			log_error("%s: the record names approver key %s, this key is %s", record,
				  rec->approver.key_id ? rec->approver.key_id : "(none)", id);
			ret = EXIT_REFUSED;
			goto out;
		}
		r = cert_record_canonical(rec, &canon, &canon_len);
		if (r >= 0)
			r = trust_sign(TRUST_DOC_CERTIFICATE, (const uint8_t *)canon, canon_len, sk, 0, &record_sig);
		if (r < 0) {
			log_error("%s: cannot sign the record: %s", record, trust_strerror(r));
			goto out;
		}
		for (size_t i = 0; i < n_att; i++)
			if (streq(att[i].name, CERT_SIG_NAME)) {
				log_error("%s: is made by --approver-key, do not attach it", CERT_SIG_NAME);
				ret = EXIT_USAGE;
				goto out;
			}
		/* keep the name tree sorted by name */
		{
			size_t pos = 0;

			while (pos < n_att && strcmp(att[pos].name, CERT_SIG_NAME) < 0)
				pos++;
			memmove(&ca[pos + 1], &ca[pos], (n_att - pos) * sizeof(ca[0]));
			ca[pos] = (struct cert_attachment){ CERT_SIG_NAME, (const uint8_t *)record_sig,
							    strlen(record_sig), "approver's minisign signature of record.json" };
			n_att++;
		}
		r = trust_x509_signer_load(sk, store, certf, &xs);
		if (r < 0) {
			log_error("%s: no X.509 signing certificate for this key: %s", akey, trust_strerror(r));
			goto out;
		}
	}
	po.attachments = ca;
	po.n_attachments = n_att;
	r = cert_pdf_render(rec, &po, &pdf, &pdf_len, &err);
	if (r < 0) {
		log_error_errno(r, "%s: %s", record, err);
		goto out;
	}
	if (!unsig && xs) {
		s.key = xs->key;
		s.cert = xs->cert;
		s.chain = xs->chain;
	} else if (!unsig) {
		b = BIO_new_file(key, "r");
		s.key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (!s.key) {
			log_error("%s: cannot read the private key (PEM)", key);
			goto out;
		}
		if (load_pem_certs(certf, &certs) < 0) {
			log_error("%s: cannot read the certificate (PEM)", certf);
			goto out;
		}
		s.cert = sk_X509_value(certs, 0);
		if (chainf) {
			if (load_pem_certs(chainf, &s.chain) < 0) {
				log_error("%s: cannot read the chain (PEM)", chainf);
				goto out;
			}
		}
	}
	if (!unsig) {
		s.name = rec->approver.name;
		s.reason = "データ消去証明 / Certificate of Data Sanitization";
		r = cert_pdf_sign(pdf, pdf_len, &s, &signed_pdf, &signed_len, &err);
		if (r < 0) {
			log_error_errno(r, "%s: %s", out, err);
			goto out;
		}
	}
	r = write_file_atomic(out, unsig ? pdf : signed_pdf, unsig ? pdf_len : signed_len, 0644, !force);
	if (r < 0) {
		log_error_errno(r, "%s: cannot write", out);
		goto out;
	}
	log_info("%s: certificate %s written (%zu bytes%s)", out, rec->certificate_id,
		 unsig ? pdf_len : signed_len, unsig ? ", unsigned" : "");
	ret = EXIT_OK;
out:
	for (size_t i = 0; i < ARRAY_SIZE(att) && att[i].name; i++) {
		free(att[i].name);
		free(att[i].data);
	}
	if (xs)
		trust_x509_signer_free(xs);
	else {
		EVP_PKEY_free(s.key);
		sk_X509_pop_free(s.chain, X509_free);
	}
	sk_X509_pop_free(certs, X509_free);
	trust_seckey_free(sk);
	trust_store_free(store);
	free(record_sig);
	free(canon);
	cert_record_free(rec);
	free(buf);
	free(pdf);
	free(signed_pdf);
	return ret;
}

static int cert_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool json = false;
	uint8_t *pdf = NULL, *rec = NULL;
	size_t len, rec_len;
	struct cert_record *r = NULL;
	const char *err = NULL;
	int c, k, ret = EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h':
			printf("Usage: %s cert show CERT.pdf [--json]\n\n"
			       "Print the record a certificate carries (not checked: use 'verify').\n"
			       "--json prints the record's canonical JSON.\n\n"
			       "Exit status: 0 shown, 1 no readable record, 2 usage error.\n", program_name);
			return EXIT_OK;
		default: return usage_error("cert show", "bad option");
		}
	}
	if (optind + 1 != argc)
		return usage_error("cert show", "give one certificate file");
	{
		struct stat st;

		if (stat(argv[optind], &st) == 0 && st.st_size > (off_t)CERT_PDF_MAX_SIZE) {
			log_error("%s: file larger than %u MiB", argv[optind], CERT_PDF_MAX_SIZE >> 20);
			return EXIT_FAIL;
		}
	}
	k = read_full_file(argv[optind], &pdf, &len);
	if (k < 0)
		return log_error_errno(k, "%s: cannot read", argv[optind]), EXIT_FAIL;
	k = cert_pdf_attachment(pdf, len, CERT_RECORD_NAME, &rec, &rec_len);
	if (k < 0) {
		log_error_errno(k, "%s: no readable %s attachment", argv[optind], CERT_RECORD_NAME);
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
	} else {
		printf("certificate:   %s\n", r->certificate_id);
		printf("issued:        %s\n", r->issued_at);
		printf("organisation:  %s\n", r->organisation);
		printf("result:        %s\n", r->result);
		printf("media:         %s %s, serial %s%s%s\n", r->manufacturer ? r->manufacturer : "",
		       r->model, r->serial, r->wwn ? ", wwn " : "", r->wwn ? r->wwn : "");
		printf("asset:         %s (class %u)\n", r->asset_id, r->importance_class);
		printf("sanitization:  %s, %s (%s %s)\n", r->sanitization_type, r->method, r->tool, r->tool_version);
		printf("time:          %s .. %s\n", r->started_at, r->ended_at);
		printf("verification:  %s: %s\n", r->verification_method, r->verification_result);
		printf("performer:     %s, %s\n", r->performer.name, r->performer.role);
		printf("approver:      %s, %s\n", r->approver.name, r->approver.role);
		if (r->ledger_entry)
			printf("ledger:        %s %s\n", r->ledger_entry, r->ledger_event_hash ? r->ledger_event_hash : "");
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
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "host", required_argument, NULL, 'H' },
		{ "font", required_argument, NULL, 'F' },
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

	while ((c = getopt_long(argc, argv, "o:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'H': host = optarg; break;
		case 'F': font = optarg; break;
		case 'f': force = true; break;
		case 'h':
			printf("Usage: %s cert report -o SUMMARY.pdf [--host NAME] [--force] CERT.pdf...\n\n"
			       "Write one summary PDF for the disks of a session on this wipe station:\n"
			       "certificate ID, asset, model and serial, method and result of each.\n"
			       "The certificates are read, not verified (use 'verify'); the summary is\n"
			       "not signed: each certificate is.\n\n"
			       "Exit status: 0 written, 1 failed, 2 usage error, 3 the output exists.\n", program_name);
			return EXIT_OK;
		default: return usage_error("cert report", "bad option");
		}
	}
	if (!out || optind >= argc)
		return usage_error("cert report", "give -o SUMMARY.pdf and at least one certificate");
	if (!force && access(out, F_OK) == 0) {
		log_error("%s: exists (use --force to replace it)", out);
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
			log_error("%s: file larger than %u MiB", argv[i], CERT_PDF_MAX_SIZE >> 20);
			goto out;
		}
		k = read_full_file(argv[i], &buf, &len);
		if (k >= 0)
			k = cert_pdf_attachment(buf, len, CERT_RECORD_NAME, &rec, &rec_len);
		free(buf);
		if (k < 0) {
			log_error_errno(k, "%s: no readable certificate record", argv[i]);
			goto out;
		}
		k = cert_record_parse((char *)rec, rec_len, &recs[n], &err);
		free(rec);
		if (k < 0) {
			log_error("%s: %s", argv[i], err);
			goto out;
		}
		n++;
	}
	k = cert_pdf_render_summary((const struct cert_record *const *)recs, n, host, font, &pdf, &pdf_len, &err);
	if (k < 0) {
		log_error_errno(k, "%s: %s", out, err);
		goto out;
	}
	k = write_file_atomic(out, pdf, pdf_len, 0644, !force);
	if (k < 0) {
		log_error_errno(k, "%s: cannot write", out);
		goto out;
	}
	log_info("%s: summary of %zu certificates written", out, n);
	ret = EXIT_OK;
out:
	for (size_t i = 0; i < n; i++)
		cert_record_free(recs[i]);
	free(recs);
	free(pdf);
	return ret;
}

int cmd_cert(int argc, char **argv)
{
	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		printf("Usage: %s cert <issue|show|report> ...\n\n"
		       "  issue   render and sign a certificate from a record\n"
		       "  show    print the record a certificate carries\n"
		       "  report  one summary PDF for the certificates of a session\n\n"
		       "Run '%s cert <verb> --help' for options; 'verify' checks a certificate.\n",
		       program_name, program_name);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (streq(argv[1], "issue"))
		return cert_issue(argc - 1, argv + 1);
	if (streq(argv[1], "show"))
		return cert_show(argc - 1, argv + 1);
	if (streq(argv[1], "report"))
		return cert_report(argc - 1, argv + 1);
	return usage_error("cert", "unknown verb '%s'", argv[1]);
}
