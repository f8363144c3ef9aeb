/* audit.c - `wipecert audit --from DATE --to DATE -o report.pdf|.csv`:
 * every disposal of the period with its certificate re-verified and the
 * ledger chain's status, as CSV (for spreadsheets), a bilingual PDF, or
 * JSON on stdout.
 *
 * The flow layer finds and checks; this file only writes the report. The
 * report is written even when something failed, and says so.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "wipecert/cli.h"
#include "wipecert/flow.h"
#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "flowcli.h"

enum { OPT_FROM = 300, OPT_TO, OPT_BOM, OPT_JAPANESE, OPT_FONT };

enum { COL_ISSUED, COL_CERT, COL_ASSET, COL_TYPE, COL_METHOD, COL_RESULT, COL_TECH, COL_APPR, COL_LEDGER,
       COL_STATUS, COL_PROBLEMS, COL_FILE, _COL_MAX };

static const struct {
	const char *name, *ja, *en;
	float pdf_w;   /* 0: not in the PDF */
} cols[_COL_MAX] = {
	[COL_ISSUED] = { "issued_at", "発行日時", "Issued", 1.3f },
	[COL_CERT] = { "certificate_id", "証明書番号", "Certificate No.", 2.3f },
	[COL_ASSET] = { "asset_id", "資産番号", "Asset ID", 1.2f },
	[COL_TYPE] = { "sanitization", "処理区分", "Type", 0.7f },
	[COL_METHOD] = { "method", "方式", "Method", 1.1f },
	[COL_RESULT] = { "result", "結果", "Result", 0.9f },
	[COL_TECH] = { "technician", "作業者", "Technician", 1.6f },
	[COL_APPR] = { "approver", "承認者", "Approver", 1.6f },
	[COL_LEDGER] = { "ledger_status", "台帳状態", "Ledger status", 1.0f },
	[COL_STATUS] = { "certificate_status", "証明書検証", "Re-verification", 2.0f },
	[COL_PROBLEMS] = { "problems", "不備", "Problems", 0 },
	[COL_FILE] = { "file", "ファイル", "File", 0 },
};

static const char *cell(const struct flow_audit_row *r, int c)
{
	switch (c) {
	case COL_ISSUED: return r->issued_at;
	case COL_CERT: return r->certificate_id;
	case COL_ASSET: return r->asset_id;
	case COL_TYPE: return r->sanitization;
	case COL_METHOD: return r->method;
	case COL_RESULT: return r->result;
	case COL_TECH: return r->technician;
	case COL_APPR: return r->approver;
	case COL_LEDGER: return r->ledger_status;
	case COL_STATUS: return r->verified ? "verified" : r->superseded ? "superseded" : "FAILED";
	case COL_PROBLEMS: return r->problems;
	case COL_FILE: return r->file;
	}
	return NULL;
}

/* One cell: RFC 4180 and the guard against formula injection (util/csv.c). */
static void csv_field(FILE *f, const char *s, bool last)
{
	csv_put_cell(f, s);
	fputs(last ? "\r\n" : ",", f);
}

/* With the auditor's key, FILE.minisig beside it (as the inspection's CSV). */
static int write_csv(const struct flow_audit *a, const char *path, bool bom, bool japanese,
		     const struct trust_seckey *auditor)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return log_error_errno(-ENOMEM, _("out of memory"));
	if (bom)
		fputs("\xEF\xBB\xBF", f);
	for (int c = 0; c < _COL_MAX; c++)
		csv_field(f, japanese ? cols[c].ja : cols[c].name, c + 1 == _COL_MAX);
	for (size_t i = 0; i < a->n_rows; i++)
		for (int c = 0; c < _COL_MAX; c++)
			csv_field(f, cell(&a->rows[i], c), c + 1 == _COL_MAX);
	if (fclose(f) != 0)
		return log_error_errno(-ENOMEM, _("out of memory"));
	return write_report_file(path, buf, len, TRUST_DOC_AUDIT_REPORT, auditor, NULL);
}

static void period_lines(const struct flow_audit *a, char lines[3][400], bool ok[3])
{
	char from[32], to[32];

	format_local(a->from, from, sizeof(from));
	format_local(a->to, to, sizeof(to));
	snprintf(lines[0], sizeof(lines[0]), "対象期間 Period: %s — %s (終了は含まない / end excluded)", from, to);
	snprintf(lines[1], sizeof(lines[1]), "処分 %zu件 disposals; 証明書の再検証 re-verification: %zu件 失敗 failed",
		 a->n_rows, a->n_failed);
	ok[0] = true;
	ok[1] = a->n_failed == 0;
	if (a->ledger_checked)
		snprintf(lines[2], sizeof(lines[2]), "台帳の連鎖 Ledger chain: %s", a->chain_detail);
	else
		snprintf(lines[2], sizeof(lines[2]), "台帳の連鎖 Ledger chain: 未確認 not checked (no ledger)");
	ok[2] = a->ledger_checked && a->chain_ok;
}

static int write_pdf(struct flow_control *fc, const struct flow_audit *a, const char *path, const char *font,
		     const char *org, const struct trust_seckey *auditor)
{
	struct flow_signed_report rep = { 0 };
	struct flow_error err = { "" };
	char idline[200], hashline[200];
	const char *head_ja[_COL_MAX], *head_en[_COL_MAX];
	float w[_COL_MAX];
	char lines[3][400];
	const char *lp[5] = { lines[0], lines[1], lines[2], idline, hashline };
	bool ok[5] = { true, true, true, true, true };
	size_t nc = 0;
	const char **cells = calloc(a->n_rows * _COL_MAX + 1, sizeof(*cells));
	bool *row_ok = calloc(a->n_rows + 1, sizeof(*row_ok));
	char **owned = calloc(2 * a->n_rows + 1, sizeof(*owned));
	struct cert_table t = { 0 };
	_cleanup_free_ uint8_t *pdf = NULL;
	const char *perr = NULL;
	size_t len;
	int r = -ENOMEM;

	if (!cells || !row_ok || !owned)
		goto out;
	for (int c = 0; c < _COL_MAX; c++)
		if (cols[c].pdf_w > 0) {
			head_ja[nc] = cols[c].ja;
			head_en[nc] = cols[c].en;
			w[nc++] = cols[c].pdf_w;
		}
	for (size_t i = 0; i < a->n_rows; i++) {
		const struct flow_audit_row *row = &a->rows[i];
		size_t k = 0;

		for (int c = 0; c < _COL_MAX; c++) {
			if (cols[c].pdf_w <= 0)
				continue;
			if (c == COL_STATUS) {
				/* the status cell: verified, or the first failed checks */
				if (asprintf(&owned[i], "%s%s%.90s", row->verified ? "検証済 verified" :
					     row->superseded ? "後に変更 superseded" : "失敗 FAILED",
					     row->problems ? ": " : "", row->problems ? row->problems : "") < 0)
					goto out;
				cells[i * nc + k++] = owned[i];
			} else if (c == COL_RESULT) {
				cells[i * nc + k++] = !row->result ? NULL :
					streq(row->result, "erased_and_verified") ? "完了 done" :
					streq(row->result, "verified_only") ? "検証のみ verified only" : "失敗 failed";
			} else if (c == COL_ISSUED && row->issued_at) {
				/* "2026-11-23T10:18:00Z" -> "2026-11-23 10:18" */
				if (asprintf(&owned[a->n_rows + i], "%.10s %.5s", row->issued_at,
					     strlen(row->issued_at) > 11 ? row->issued_at + 11 : "") < 0)
					goto out;
				cells[i * nc + k++] = owned[a->n_rows + i];
			} else {
				cells[i * nc + k++] = cell(row, c);
			}
		}
		row_ok[i] = row->verified || row->superseded;
	}
	period_lines(a, lines, ok);
	if (auditor) {
		/* signed by whoever ran it: the record is attached and named on page 1 */
		r = flow_audit_report(&fc->ctx, a, auditor, &rep, &err);
		if (r < 0) {
			log_error("%s", flow_error_text(&err));
			goto out;
		}
		snprintf(idline, sizeof(idline), "報告書番号 Report No. %s ・ 監査人 Auditor %s", rep.id,
			 trust_seckey_name(auditor));
		snprintf(hashline, sizeof(hashline), "記録ハッシュ Record SHA-256 %s", rep.sha256);
	}
	t.org = org;
	t.title_ja = "データ消去・廃棄 監査報告書";
	t.title_en = "Disposal audit report";
	t.lines = lp;
	t.line_ok = ok;
	t.n_lines = auditor ? 5 : 3;
	t.n_cols = nc;
	t.head_ja = head_ja;
	t.head_en = head_en;
	t.col_w = w;
	t.cells = cells;
	t.row_ok = row_ok;
	t.n_rows = a->n_rows;
	t.footer = auditor ? "各証明書は監査時に電子署名・台帳と照合して再検証しました。本報告書は監査人が電子署名しています。"
			     "Each certificate was re-verified (PDF signature, roster, ledger); the auditor signed this report." :
		   "各証明書は監査時に電子署名・台帳と照合して再検証しました。Each certificate was re-verified "
		   "(PDF signature, roster, ledger) when this report was made; this report itself is not signed.";
	/* signed as every report is: the record attached, the PDF signed */
	if (auditor && (r = flow_report_pdf(&fc->ctx, auditor, &rep, &t, font, &pdf, &len, &err)) < 0) {
		log_error("%s", flow_error_text(&err));
		r = r == -EPERM ? r : -EIO;
		goto out;
	}
	if (!auditor && (r = cert_pdf_render_table(&t, font, &pdf, &len, &perr)) < 0) {
		log_error(_("%s: cannot render the report: %s"), path, perr ? perr : strerror(-r));
		r = -EIO;
		goto out;
	}
	/* signed inside: the PDF itself, no .minisig beside it */
	r = write_report_file(path, pdf, len, TRUST_DOC_AUDIT_REPORT, NULL, NULL);
out:
	if (r == -ENOMEM)
		log_error_errno(r, _("out of memory"));
	flow_signed_report_release(&rep);
	for (size_t i = 0; owned && i < 2 * a->n_rows; i++)
		free(owned[i]);
	free(owned);
	free(cells);
	free(row_ok);
	return r;
}

static json_t *audit_json(const struct flow_audit *a)
{
	json_t *rows = json_array();
	char from[32], to[32];

	format_utc(a->from, from, sizeof(from));
	format_utc(a->to, to, sizeof(to));
	for (size_t i = 0; i < a->n_rows; i++) {
		json_t *o = json_object();

		for (int c = 0; c < _COL_MAX; c++)
			json_object_set_new(o, cols[c].name, cell(&a->rows[i], c) ? json_string(cell(&a->rows[i], c)) : json_null());
		json_object_set_new(o, "verified", json_boolean(a->rows[i].verified));
		json_object_set_new(o, "superseded", json_boolean(a->rows[i].superseded));
		json_array_append_new(rows, o);
	}
	return json_pack("{s:s,s:s,s:I,s:I,s:o,s:o,s:s,s:o}", "from", from, "to", to, "disposals",
			 (json_int_t)a->n_rows, "failed", (json_int_t)a->n_failed, "ledger_checked",
			 json_boolean(a->ledger_checked), "chain_ok", json_boolean(a->chain_ok), "chain", a->chain_detail,
			 "rows", rows);
}

static void audit_help(void)
{
	printf(_("Usage: %s audit --from DATE --to DATE [-o report.pdf|report.csv] [options]\n\n"
		 "List every disposal of the period for an internal audit: each certificate\n"
		 "PDF in the state directory issued in the period is verified again (PDF\n"
		 "signature, CA chain, roster, ledger event), disposals the ledger records\n"
		 "without a certificate here are listed as failed, and the ledger's hash\n"
		 "chain is checked. DATE is YYYY-MM-DD (--to includes that day) or a time\n"
		 "YYYY-MM-DDThh:mm:ssZ (excluded).\n\n"
		 "Options:\n"
		 "      --from DATE         first day of the period\n"
		 "      --to DATE           last day of the period\n"
		 "  -o, --output FILE       the report: .pdf (bilingual) or .csv\n"
		 "      --bom               CSV: start with a UTF-8 BOM (for spreadsheets)\n"
		 "      --japanese          CSV: Japanese column headers\n"
		 "      --font FILE         PDF: the font (default IPAex Gothic)\n"
		 "  -k, --key FILE          sign the report with this auditor's key (role\n"
		 "                          auditor): a PDF as a certificate is (X.509, its record\n"
		 "                          attached; verify, pdfsig), a CSV as FILE.minisig\n"
		 "                          ('minisign -V -m FILE -p AUDITOR.pub')\n"
		 "      --passphrase-file F its passphrase\n"), program_name);
	fputs(_(common_json_help), stdout);
	fputs(_(common_help), stdout);
	fputs(_("\nExit status: 0 every certificate verified and the chain intact, 1 a\n"
		"certificate failed or the chain is broken (the report is still written),\n"
		"2 usage error, 3 the key may not sign the report (nothing written).\n"), stdout);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t l = strlen(s), k = strlen(suffix);

	return l >= k && strcasecmp(s + l - k, suffix) == 0;
}

/* A day is a local day (an audit of a fiscal year in Japan means JST
 * days): YYYY-MM-DD is local midnight, and as the end of the period the
 * midnight after it. A time with its zone is taken as it is. */
static int parse_period_end(const char *s, bool end, time_t *ret)
{
	struct tm tm = { 0 };
	const char *p;
	time_t t;

	if (strlen(s) != 10)
		return parse_time(s, ret);
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p || *p)
		return -EINVAL;
	if (end)
		tm.tm_mday++;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = t;
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "output", required_argument, NULL, 'o' },
		{ "bom", no_argument, NULL, OPT_BOM },
		{ "japanese", no_argument, NULL, OPT_JAPANESE },
		{ "font", required_argument, NULL, OPT_FONT },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		COMMON_OPTIONS,
		CLI_OPT_JSON,
		{}
	};
	struct flow_control fc = { 0 };
	struct flow_audit a = { 0 };
	struct flow_error err = { "" };
	struct trust_seckey *auditor = NULL;
	const char *from_s = NULL, *to_s = NULL, *font = NULL;
	bool bom = false, japanese = false;
	time_t from, to;
	int c, r, ret;

	optind = 0;
	while ((c = cli_getopt(argc, argv, opts, "audit")) != -1) {
		if (common_option(&fc, c, optarg))
			continue;
		switch (c) {
		case 'k': fc.key = optarg; break;
		case OPT_PASS: fc.pass_file = optarg; break;
		case OPT_FROM: from_s = optarg; break;
		case OPT_TO: to_s = optarg; break;
		case 'o': fc.output = optarg; break;
		case OPT_BOM: bom = true; break;
		case OPT_JAPANESE: japanese = true; break;
		case OPT_FONT: font = optarg; break;
		case 'h': audit_help(); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("audit", _("unexpected argument '%s'"), argv[optind]);
	if (!from_s || !to_s)
		return usage_error("audit", _("--from and --to are required"));
	if (parse_period_end(from_s, false, &from) < 0 || parse_period_end(to_s, true, &to) < 0)
		return usage_error("audit", _("dates are YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"));
	if (to <= from)
		return usage_error("audit", _("--to is before --from"));
	if (fc.output && !ends_with(fc.output, ".pdf") && !ends_with(fc.output, ".csv"))
		return usage_error("audit", _("the report is .pdf or .csv: %s"), fc.output);
	if (!fc.output && !fc.json)
		return usage_error("audit", _("give -o report.pdf|report.csv or --json"));
	if (fc.key && !fc.output)
		return usage_error("audit", _("--key signs the report: give -o report.pdf|report.csv"));
	ret = flow_control_open(&fc, NEED_TRUST | WANT_LEDGER);
	if (ret)
		goto out;
	if (fc.key && key_load_secret(fc.key, fc.pass_file, &auditor) < 0) {
		ret = EXIT_FAIL;
		goto out;
	}
	r = flow_audit_run(&fc.ctx, from, to, &a, &err);
	if (r < 0) {
		log_error("%s", flow_error_text(&err));
		ret = EXIT_FAIL;
		goto out;
	}
	if (fc.output) {
		if (ends_with(fc.output, ".csv"))
			r = write_csv(&a, fc.output, bom, japanese, auditor);
		else
			r = write_pdf(&fc, &a, fc.output, font, fc.have_policy ? fc.policy.org_name : NULL, auditor);
		if (r < 0) {
			/* said already; a key that may not sign the report:
			 * refused (3), nothing written */
			ret = r == -EPERM ? EXIT_REFUSED : EXIT_FAIL;
			goto out;
		}
	}
	if (fc.json) {
		json_t *o = audit_json(&a);

		cli_print_json(o, JSON_INDENT(2));
	}
	for (size_t i = 0; i < a.n_rows; i++)
		if (!a.rows[i].verified && !a.rows[i].superseded)
			log_error(_("%s (asset %s): certificate FAILED re-verification: %s"),
				  a.rows[i].certificate_id ? a.rows[i].certificate_id : a.rows[i].file ? a.rows[i].file : "-",
				  a.rows[i].asset_id ? a.rows[i].asset_id : "-", a.rows[i].problems ? a.rows[i].problems : "-");
		else if (a.rows[i].superseded)
			log_warn(_("%s (asset %s): superseded: the ledger records a later change of the asset"),
				 a.rows[i].certificate_id ? a.rows[i].certificate_id : "-",
				 a.rows[i].asset_id ? a.rows[i].asset_id : "-");
	if (a.ledger_checked && !a.chain_ok)
		log_error(_("the ledger chain is broken: %s"), a.chain_detail);
	log_info(_("%zu disposals, %zu failed; ledger chain %s%s%s"), a.n_rows, a.n_failed,
		 !a.ledger_checked ? _("not checked") : a.chain_ok ? _("intact") : _("BROKEN"),
		 fc.output ? "; report " : "", fc.output ? fc.output : "");
	ret = a.n_failed || (a.ledger_checked && !a.chain_ok) ? EXIT_FAIL : EXIT_OK;
out:
	trust_seckey_free(auditor);
	flow_audit_release(&a);
	flow_control_release(&fc);
	return ret;
}
