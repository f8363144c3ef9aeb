/* label.c - the per-disk summary: a one-page PDF for the bag the wiped
 * disk goes into, with its case ID, asset, serial, result and a QR code
 * that names the case and the hash of its signed wipe record. It is not a
 * certificate (an approver issues that later); it says which case to look
 * up. Written with --labels DIR when a job is sealed.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "station.h"

void station_label(struct station *s, struct bay *b)
{
	const char *asset = b->job_asset ? b->job_asset : "-";
	const struct disk *d = &b->disk;
	const char *id = station_job_id(b);
	_cleanup_free_ uint8_t *rec = NULL, *pdf = NULL;
	_cleanup_free_ char *path = NULL, *qr = NULL;
	char lines[8][320], size[32], now[32], hex[65];
	const char *line_p[8], *err = NULL;
	bool ok[8];
	uint8_t h[crypto_hash_sha256_BYTES];
	size_t rec_len, pdf_len, n = 0;
	static const char *const head_ja[] = { "案件番号", "資産番号", "シリアル番号", "結果" };
	static const char *const head_en[] = { "Case", "Asset", "Serial", "Result" };
	static const float col_w[] = { 3, 1.5f, 2, 1.5f };
	const char *cells[4];
	bool row_ok;
	int r;

	if (!s->o.label_dir || !b->case_path || !id)
		return;
	r = read_full_file(b->case_path, &rec, &rec_len);
	if (r < 0)
		goto fail;
	crypto_hash_sha256(h, rec, rec_len);
	hex_encode(h, sizeof(h), hex);
	if (asprintf(&qr, "WIPECERT-CASE1|%s|%s|%s|%s", id, asset, d->serial ? d->serial : "-", hex) < 0 ||
	    asprintf(&path, "%s/%s.label.pdf", s->o.label_dir, id) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	format_size_iec(d->size, size, sizeof(size));
	format_utc(time(NULL), now, sizeof(now));
	snprintf(lines[n++], sizeof(lines[0]), "案件 Case: %s", id);
	snprintf(lines[n++], sizeof(lines[0]), "資産 Asset: %s", asset);
	snprintf(lines[n++], sizeof(lines[0]), "媒体 Media: %s, serial %s, %s", d->model ? d->model : "-",
		 d->serial ? d->serial : "-", size);
	snprintf(lines[n++], sizeof(lines[0]), "結果 Result: %s", b->passed ? "消去・検証済み  PASS (erased and verified)"
										: "消去失敗  FAIL");
	if (b->job)
		snprintf(lines[n++], sizeof(lines[0]), "方式 Method: %s, %zu pass(es), verify %s", b->job->method,
			 b->job->n_passes, erase_verify_to_string(b->job->verify_mode));
	else
		snprintf(lines[n++], sizeof(lines[0]), "方式 Method: %s (firmware), sampled read-back", b->method);
	snprintf(lines[n++], sizeof(lines[0]), "作業者 Technician: %s   封印 Sealed: %s",
		 s->key ? trust_seckey_name(s->key) : "-", now);
	snprintf(lines[n++], sizeof(lines[0]), "記録 Wipe record SHA-256: %s", hex);
	for (size_t i = 0; i < n; i++) {
		line_p[i] = lines[i];
		ok[i] = i != 3 || b->passed;
	}
	cells[0] = id;
	cells[1] = asset;
	cells[2] = d->serial ? d->serial : "-";
	cells[3] = b->passed ? "PASS" : "FAIL";
	row_ok = b->passed;
	{
		struct cert_table t = {
			.org = s->flow.policy ? s->flow.policy->org_name : NULL, .title_ja = "データ消去票", .title_en = "Wipe label (not a certificate)",
			.lines = line_p, .line_ok = ok, .n_lines = n, .n_cols = 4, .head_ja = head_ja,
			.head_en = head_en, .col_w = col_w, .cells = cells, .row_ok = &row_ok, .n_rows = 1,
			.footer = "wipecert station: the certificate is issued after approval; the QR names this case.",
			.qr = qr,
		};

		r = cert_pdf_render_table(&t, s->o.font, &pdf, &pdf_len, &err);
	}
	if (r < 0)
		goto fail;
	r = write_file_atomic(path, pdf, pdf_len, 0644, false);
	if (r < 0)
		goto fail;
	free(b->label_path);
	b->label_path = TAKE_PTR(path);
	return;
fail:
	station_emit(s, STATION_EV_ERROR, b, "label", _("%s: the summary PDF could not be written: %s"),
		     id, err ? err : strerror(-r));
}
