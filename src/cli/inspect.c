/* inspect.c - `wipecert inspect`: the periodic inspection (点検) of the
 * asset ledger as a report (PDF, CSV, the JSON record), each file signed
 * by the inspector (FILE.minisig, `minisign -V` checks it).
 *
 * It parses and prints; flow/inspect.c decides what is a finding. It must
 * never write a report it could not sign when a key was given.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <strings.h>

#include "wipecert/cli.h"
#include "wipecert/flow.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "flowcli.h"

enum { OPT_AT = 300, OPT_BOM, OPT_JAPANESE, OPT_FONT, OPT_KEY_PASS };

#define MAX_OUTPUTS 3

struct inspect_control {
	struct flow_control fc;
	const char *outputs[MAX_OUTPUTS];
	size_t n_outputs;
	const char *at, *font;
	bool bom, japanese;
	struct trust_seckey *inspector;
};

static void inspect_help(void)
{
	printf(_("Usage: %s inspect [-o report.pdf] [-o report.csv] [-o report.json] [options]\n\n"
		 "The periodic inspection (点検) of the asset ledger: assets awaiting erasure\n"
		 "too long, with a contractor without an accepted certificate, under evidence\n"
		 "hold, lost or stolen, taken out and not returned, class 1 media not yet\n"
		 "disposed of, kept past their retention, and disks stations saw that no\n"
		 "entry names; the ledger's chain verified. The thresholds are the policy's\n"
		 "[inspect] section.\n\n"
		 "Options:\n"
		 "  -o, --output FILE       the report: .pdf (bilingual), .csv, or .json (its\n"
		 "                          record, naming the CSV by SHA-256); up to three\n"
		 "      --at DATE           inspect as of DATE (YYYY-MM-DD, 令和 too; default now)\n"
		 "      --bom               CSV: start with a UTF-8 BOM (for spreadsheets)\n"
		 "      --japanese          CSV: Japanese column headers and section names\n"
		 "      --font FILE         PDF: the font (default IPAex Gothic)\n"
		 "  -k, --key FILE          sign the report with this key (an approver; the\n"
		 "                          org-root for .csv and .json only): FILE.minisig\n"
		 "                          beside each file ('minisign -V -m FILE -p KEY.pub');\n"
		 "                          the PDF carries the signed record and is signed with\n"
		 "                          the approver's X.509 certificate, as the audit report\n"
		 "                          is (pdfsig, 'wipecert verify')\n"
		 "      --passphrase-file F its passphrase\n"), program_name);
	fputs(_(common_json_help), stdout);
	fputs(_(common_help), stdout);
	fputs(_("\nExit status: 0 the report is written (findings or not), 1 it could not be\n"
		"made or the ledger's chain is broken (the report is still written), 2 usage\n"
		"error, 3 the key may not sign an inspection.\n"), stdout);
}

/* The report a file name asks for: "pdf", "csv", "json", or "". */
static const char *kind_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot || strchr(dot, '/'))
		return "";
	return strcasecmp(dot, ".pdf") == 0 ? "pdf" : strcasecmp(dot, ".csv") == 0 ? "csv" :
	       strcasecmp(dot, ".json") == 0 ? "json" : "";
}

/* FILE, and with a key FILE.minisig: the inspector's signature of exactly
 * those bytes (sig: the record's own), as every report's file is. */
static int write_signed(const struct inspect_control *ic, const char *path, const void *data, size_t len,
			const char *sig)
{
	return write_report_file(path, data, len, TRUST_DOC_INSPECTION, ic->inspector, sig);
}

static int render_pdf(const struct inspect_control *ic, const struct flow_inspection *in, const char *path,
		      const struct flow_signed_report *rep)
{
	static const char *const head_ja[] = { "区分", "資産番号", "状態", "開始", "日数", "内容" };
	static const char *const head_en[] = { "Section", "Asset", "Status", "Since", "Days", "Detail" };
	static const float w[] = { 2.2f, 1.4f, 1.3f, 1.3f, 0.6f, 4.2f };
	const size_t nc = ARRAY_SIZE(head_ja);
	const char **cells = calloc(in->n_rows * nc + 1, sizeof(*cells));
	bool *row_ok = calloc(in->n_rows + 1, sizeof(*row_ok));
	char **owned = calloc(3 * in->n_rows + 1, sizeof(*owned));
	char lines[6][600], at[32];
	const char *lp[6] = { lines[0], lines[1], lines[2], lines[3], lines[4], lines[5] };
	bool ok[6] = { true, in->chain_ok, true, true, true, true };
	struct flow_error err = { "" };
	struct cert_table t = { 0 };
	_cleanup_free_ uint8_t *pdf = NULL;
	const char *perr = NULL;
	size_t len = 0, k = 0;
	int r = -ENOMEM;

	if (!cells || !row_ok || !owned)
		goto out;
	for (size_t i = 0; i < in->n_rows; i++) {
		const struct flow_inspect_row *row = &in->rows[i];
		const char **c = &cells[i * nc];

		if (asprintf(&owned[3 * i], "%s %s", flow_inspect_section_title(row->section, true),
			     flow_inspect_section_title(row->section, false)) < 0 ||
		    asprintf(&owned[3 * i + 1], "%.10s", row->since ? row->since : "-") < 0 ||
		    asprintf(&owned[3 * i + 2], "%ld", row->days) < 0)
			goto out;
		c[0] = owned[3 * i];
		c[1] = row->asset_id;
		c[2] = row->status;
		c[3] = owned[3 * i + 1];
		c[4] = row->days >= 0 ? owned[3 * i + 2] : NULL;
		c[5] = row->detail;
		row_ok[i] = !row->overdue;
	}
	format_utc(in->at, at, sizeof(at));
	snprintf(lines[0], sizeof(lines[0]), "点検日時 Inspected at %s ・ 資産 %zu assets ・ 指摘 %zu findings", at,
		 in->n_assets, in->n_rows);
	snprintf(lines[1], sizeof(lines[1]), "台帳の連鎖 Ledger chain: %s", in->chain_detail);
	for (int s = 0; s < _FLOW_INSPECT_MAX; s++)
		k += (size_t)snprintf(lines[2] + k, k < sizeof(lines[2]) ? sizeof(lines[2]) - k : 0, "%s%s %zu",
				      s ? " ・ " : "件数: ", flow_inspect_section_title((enum flow_inspect_section)s, true),
				      in->count[s]);
	snprintf(lines[3], sizeof(lines[3]), "基準 Thresholds ([inspect]): 消去待ち awaiting erasure %u 日 days, 業者 contractor "
		 "%u 日 days, 持出し taken out %u 日 days", in->thresholds.awaiting_erasure_days,
		 in->thresholds.contractor_days, in->thresholds.taken_out_days);
	/* signed: its number and its record's hash on page 1, as verify wants */
	if (rep) {
		snprintf(lines[4], sizeof(lines[4]), "報告書番号 Report No. %s ・ 点検者 Inspector %s (%s)", rep->id,
			 trust_seckey_name(ic->inspector), trust_role_to_string(trust_seckey_role(ic->inspector)));
		snprintf(lines[5], sizeof(lines[5]), "記録ハッシュ Record SHA-256 %s", rep->sha256);
	} else {
		snprintf(lines[4], sizeof(lines[4]), "点検者 Inspector: 署名なし not signed");
	}
	t = (struct cert_table) {
		.org = ic->fc.have_policy ? ic->fc.policy.org_name : NULL,
		.title_ja = "情報資産管理簿 点検報告書", .title_en = "Asset ledger inspection report",
		.lines = lp, .line_ok = ok, .n_lines = rep ? 6 : 5,
		.n_cols = nc, .head_ja = head_ja, .head_en = head_en, .col_w = w,
		.cells = cells, .row_ok = row_ok, .n_rows = in->n_rows,
		.footer = rep ? "本報告書は点検者が電子署名しています（PDF 署名、添付の記録）。The inspector signed this "
				"report: the PDF, and its record attached (wipecert verify, pdfsig, minisign -V)." :
				"本報告書は署名されていません。This report is not signed.",
	};
	/* signed as every report is (the audit report too): record attached,
	 * the PDF signed with the inspector's X.509 key */
	if (rep && (r = flow_report_pdf(&ic->fc.ctx, ic->inspector, rep, &t, ic->font, &pdf, &len, &err)) < 0) {
		log_error("%s: %s", path, flow_error_text(&err));
		goto out;
	}
	if (!rep && (r = cert_pdf_render_table(&t, ic->font, &pdf, &len, &perr)) < 0) {
		log_error(_("%s: cannot render the report: %s"), path, perr ? perr : strerror(-r));
		r = -EIO;
		goto out;
	}
	r = write_signed(ic, path, pdf, len, NULL);
out:
	for (size_t i = 0; owned && i < 3 * in->n_rows; i++)
		free(owned[i]);
	free(owned);
	free(cells);
	free(row_ok);
	return r;
}

static int write_reports(struct inspect_control *ic, const struct flow_inspection *in)
{
	_cleanup_(flow_signed_report_release) struct flow_signed_report rec = { 0 };
	_cleanup_free_ char *csv = NULL;
	struct flow_error err = { "" };
	size_t csv_len = 0;
	int r;

	r = flow_inspect_csv(in, ic->bom, ic->japanese, &csv, &csv_len);
	if (r < 0)
		return log_error_errno(r, _("cannot make the report"));
	if (ic->inspector) {
		r = flow_inspect_record(&ic->fc.ctx, in, csv, csv_len, ic->inspector, &rec, &err);
		if (r < 0) {
			log_error("%s", flow_error_text(&err));
			return r;
		}
	}
	for (size_t i = 0; i < ic->n_outputs; i++) {
		const char *o = ic->outputs[i];

		if (streq(kind_of(o), "csv"))
			r = write_signed(ic, o, csv, csv_len, NULL);
		else if (streq(kind_of(o), "pdf"))
			r = render_pdf(ic, in, o, rec.canon ? &rec : NULL);
		else if (!rec.canon)
			r = log_error_errno(-EINVAL, _("%s: the JSON record is the signed one: give --key"), o);
		else
			r = write_signed(ic, o, rec.canon, rec.canon_len, rec.sig);
		if (r < 0)
			return r;
	}
	return 0;
}

static json_t *inspection_json(const struct flow_inspection *in)
{
	json_t *rows = json_array(), *counts = json_object();
	char at[32];

	format_utc(in->at, at, sizeof(at));
	for (int s = 0; s < _FLOW_INSPECT_MAX; s++)
		json_object_set_new(counts, flow_inspect_section_id((enum flow_inspect_section)s),
				    json_integer((json_int_t)in->count[s]));
	for (size_t i = 0; i < in->n_rows; i++) {
		const struct flow_inspect_row *row = &in->rows[i];

		json_array_append_new(rows, json_pack("{s:s, s:s?, s:s?, s:s?, s:I, s:b, s:s?}", "section",
						      flow_inspect_section_id(row->section), "asset_id", row->asset_id,
						      "status", row->status, "since", row->since, "days", (json_int_t)row->days,
						      "overdue", row->overdue, "detail", row->detail));
	}
	return json_pack("{s:s, s:I, s:b, s:s, s:o, s:o}", "inspected_at", at, "assets", (json_int_t)in->n_assets,
			 "chain_ok", in->chain_ok, "chain", in->chain_detail, "counts", counts, "findings", rows);
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "at", required_argument, NULL, OPT_AT },
		{ "bom", no_argument, NULL, OPT_BOM },
		{ "japanese", no_argument, NULL, OPT_JAPANESE },
		{ "font", required_argument, NULL, OPT_FONT },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_KEY_PASS },
		COMMON_OPTIONS,
		CLI_OPT_JSON,
		{}
	};
	struct inspect_control ic = { 0 };
	struct flow_inspection in = { 0 };
	struct flow_error err = { "" };
	time_t at = time(NULL);
	int c, r, ret;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "inspect")) != -1) {
		if (common_option(&ic.fc, c, optarg))
			continue;
		switch (c) {
		case 'o':
			if (ic.n_outputs == MAX_OUTPUTS)
				return usage_error("inspect", _("at most %d reports (.pdf, .csv, .json)"), MAX_OUTPUTS);
			if (!*kind_of(optarg))
				return usage_error("inspect", _("the report is .pdf, .csv or .json: %s"), optarg);
			ic.outputs[ic.n_outputs++] = optarg;
			break;
		case OPT_AT: ic.at = optarg; break;
		case OPT_BOM: ic.bom = true; break;
		case OPT_JAPANESE: ic.japanese = true; break;
		case OPT_FONT: ic.font = optarg; break;
		case 'k': ic.fc.key = optarg; break;
		case OPT_KEY_PASS: ic.fc.pass_file = optarg; break;
		case 'h': inspect_help(); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("inspect", _("unexpected argument '%s'"), argv[optind]);
	if (ic.at) {
		char day[11];

		if (parse_date_ja(ic.at, day) < 0 || parse_time(day, &at) < 0)
			return usage_error("inspect", _("--at wants a date (2027-04-01, 令和9年4月1日): '%s'"), ic.at);
	}
	if (!ic.n_outputs && !ic.fc.json)
		return usage_error("inspect", _("give -o report.pdf|report.csv|report.json or --json"));
	/* with a key: the roster too, whose certificate signs the PDF */
	ret = flow_control_open(&ic.fc, NEED_LEDGER | (ic.fc.key ? NEED_TRUST : 0));
	if (ret)
		goto out;
	if (ic.fc.key) {
		ret = key_load_signer(ic.fc.key, ic.fc.pass_file, TRUST_DOC_INSPECTION, &ic.inspector);
		if (ret)
			goto out;
	}
	r = flow_inspect(&ic.fc.ctx, at, &in, &err);
	if (r < 0) {
		log_error("%s", flow_error_text(&err));
		ret = EXIT_FAIL;
		goto out;
	}
	r = write_reports(&ic, &in);
	if (r < 0) {
		/* a key that may not sign what was asked: refused (3) */
		ret = r == -EPERM ? EXIT_REFUSED : EXIT_FAIL;
		goto out;
	}
	if (ic.fc.json) {
		cli_print_json(inspection_json(&in), JSON_INDENT(2));
	}
	log_info(_("inspection: %zu assets, %zu findings (%zu overdue or open); ledger %s"), in.n_assets, in.n_rows,
		 (size_t)0 + in.count[FLOW_INSPECT_AWAITING] + in.count[FLOW_INSPECT_CONTRACTOR] +
		 in.count[FLOW_INSPECT_LOST], in.chain_detail);
	ret = in.chain_ok ? EXIT_OK : EXIT_FAIL;
out:
	trust_seckey_free(ic.inspector);
	flow_inspection_release(&in);
	flow_control_release(&ic.fc);
	return ret;
}
