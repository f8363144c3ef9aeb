/* destroy.c - `wipecert destroy`: record a witnessed physical destruction
 * as a technician-signed case, approved later with `approve` like a wipe.
 *
 * The flow layer decides (policy, ledger); this file only reads the
 * options, loads the key and says what happened.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "wipecert/cli.h"
#include "wipecert/flow.h"
#include "wipecert/trust.h"
#include "flowcli.h"

enum { OPT_METHOD = 300, OPT_WITNESS, OPT_PHOTO, OPT_NOTES };

static void destroy_help(void)
{
	printf(_("Usage: %s destroy --asset ID --method METHOD --witness NAME --key TECHNICIAN.key [options]\n\n"
		 "Record the physical destruction of a disk, seen by a witness: the record\n"
		 "names the asset, the method, the witness and the SHA-256 of every photo,\n"
		 "and is signed with the technician's key. Approve it with 'approve CASE'\n"
		 "like a wipe: the certificate says \"destroy\" and the ledger \"destroyed\".\n\n"
		 "Options:\n"
		 "      --asset ID          the asset in the ledger\n"
		 "      --method METHOD     shred, crush, drill or degauss-and-shred\n"
		 "      --witness NAME      the person who saw it done (not the technician)\n"
		 "      --witness-key FILE  the witness signs the record with their own key\n"
		 "                          (role witness; then --witness may be left out)\n"
		 "      --witness-passphrase-file F  the witness's passphrase\n"
		 "      --photo FILE        a photo of the destroyed disk (repeatable; hashed)\n"
		 "      --notes TEXT        free text for the record\n"
		 "  -k, --key FILE          the technician's secret key\n"
		 "      --passphrase-file F its passphrase (else asked on the terminal)\n"), program_name);
	fputs(_(common_json_help), stdout);
	fputs(_(common_help), stdout);
	fputs(_("\nExit status: 0 recorded, 1 failed, 2 usage error, 3 refused (policy, asset\n"
		"status, a destruction already awaiting approval).\n"), stdout);
}

int cmd_destroy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "asset", required_argument, NULL, OPT_ASSET },
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "witness", required_argument, NULL, OPT_WITNESS },
		{ "photo", required_argument, NULL, OPT_PHOTO },
		{ "notes", required_argument, NULL, OPT_NOTES },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		WITNESS_OPTIONS,
		COMMON_OPTIONS,
		CLI_OPT_JSON,
		{}
	};
	struct flow_control fc = { 0 };
	struct flow_destruction d = { 0 };
	struct flow_error err = { "" };
	struct trust_seckey *k = NULL, *w = NULL;
	_cleanup_free_ const char **photos = NULL;
	_cleanup_free_ char *id = NULL;
	int c, r, ret;

	photos = calloc((size_t)argc + 1, sizeof(*photos));
	if (!photos)
		return EXIT_FAIL;
	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "destroy")) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		switch (c) {
		case OPT_ASSET: d.asset_id = optarg; break;
		case OPT_METHOD: d.method = optarg; break;
		case OPT_WITNESS: d.witness = optarg; break;
		case OPT_PHOTO: photos[d.n_photos++] = optarg; break;
		case OPT_NOTES: d.notes = optarg; break;
		case 'k': fc.key = optarg; break;
		case OPT_PASS: fc.pass_file = optarg; break;
		case OPT_WITNESS_KEY: fc.witness_key = optarg; break;
		case OPT_WITNESS_PASS: fc.witness_pass = optarg; break;
		case 'h': destroy_help(); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("destroy", _("unexpected argument '%s'"), argv[optind]);
	if (!d.asset_id || !d.method || (!d.witness && !fc.witness_key) || !fc.key)
		return usage_error("destroy", _("--asset, --method, --witness and --key are required"));
	if (flow_method_level(d.method) != LEVEL_DESTROY)
		return usage_error("destroy", _("'%s' is not a method of physical destruction (shred, crush, drill, degauss-and-shred)"),
				   d.method);
	if (d.witness && !*d.witness)
		return usage_error("destroy", _("--witness needs a name"));
	d.photos = photos;
	cli_op_subject(d.asset_id);
	ret = flow_control_open(&fc, NEED_LEDGER);
	if (ret)
		goto out;
	r = key_load_secret(fc.key, fc.pass_file, &k);
	if (r >= 0 && fc.witness_key)
		r = key_load_secret(fc.witness_key, fc.witness_pass, &w);
	if (r < 0) {
		ret = key_exit_code(r);
		goto out;
	}
	cli_sync_quietly(&fc.ctx, k);
	/* the witness who signs is the one the record names */
	if (w && d.witness && !streq(d.witness, trust_seckey_name(w))) {
		log_error(_("--witness %s is not the holder of the witness key (%s)"), d.witness, trust_seckey_name(w));
		ret = EXIT_REFUSED;
		goto out;
	}
	if (w)
		d.witness = trust_seckey_name(w);
	r = flow_destroy(&fc.ctx, &d, k, &id, &err);
	cli_op_field("case", id);
	if (r < 0) {
		log_error("%s", flow_error_text(&err));
		ret = exit_for(r);
		goto out;
	}
	if (fc.json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I}", "case", id, "asset_id", d.asset_id, "method", d.method,
				      "witness", d.witness, "photos", (json_int_t)d.n_photos);

		cli_print_json(o, JSON_INDENT(2));
	} else {
		printf(_("%s: destruction of %s (%s) recorded by %s, witnessed by %s; approve it with '%s approve %s'\n"),
		       id, d.asset_id, d.method, trust_seckey_name(k), d.witness, program_name, id);
	}
	ret = witness_after(&fc, id, w);
out:
	trust_seckey_free(w);
	trust_seckey_free(k);
	flow_control_release(&fc);
	return ret;
}
