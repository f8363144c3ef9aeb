/* test_cert_table.c - the table report (the audit PDF): rows run over
 * pages, a failed row is drawn, and bad shapes are refused, not drawn. */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "wipecert/pdf.h"
#include "wipecert/util.h"

#define COLS 3

static const char *const head_ja[COLS] = { "証明書番号", "資産番号", "結果" };
static const char *const head_en[COLS] = { "Certificate No.", "Asset ID", "Result" };
static const float widths[COLS] = { 2, 1, 1 };

static int render(size_t n_rows, size_t n_cols, uint8_t **pdf, size_t *len)
{
	const char **cells = calloc(n_rows * COLS + 1, sizeof(*cells));
	bool *ok = calloc(n_rows + 1, sizeof(*ok));
	const char *lines[] = { "対象期間 Period", "台帳の連鎖 Ledger chain: BROKEN" };
	const bool line_ok[] = { true, false };
	struct cert_table t = {
		.org = "〇〇市", .title_ja = "監査報告書", .title_en = "Audit report", .lines = lines,
		.line_ok = line_ok, .n_lines = 2, .n_cols = n_cols, .head_ja = head_ja, .head_en = head_en,
		.col_w = widths, .cells = cells, .row_ok = ok, .n_rows = n_rows, .footer = "footer",
	};
	const char *err = NULL;
	int r;

	assert_non_null(cells);
	for (size_t i = 0; i < n_rows; i++) {
		cells[i * COLS] = "WC-20261123-0123456789ab";
		cells[i * COLS + 1] = i % 2 ? "HDD-7" : NULL; /* an empty cell */
		cells[i * COLS + 2] = i % 2 ? "verified" : "失敗 FAILED";
		ok[i] = i % 2;
	}
	r = cert_pdf_render_table(&t, NULL, pdf, len, &err);
	if (r < 0)
		assert_non_null(err);
	free(cells);
	free(ok);
	return r;
}

static size_t pages(const uint8_t *pdf, size_t len)
{
	/* the page tree's /Count: libharu writes it uncompressed */
	const char *p = memmem(pdf, len, "/Count ", 7);
	uint64_t n = 0;
	char buf[16] = "";

	assert_non_null(p);
	for (size_t i = 0; i < sizeof(buf) - 1 && p[7 + i] >= '0' && p[7 + i] <= '9'; i++)
		buf[i] = p[7 + i];
	assert_int_equal(parse_u64(buf, &n), 0);
	return n;
}

static void test_pages(void **state)
{
	static const struct { size_t rows, pages; } cases[] = { { 0, 1 }, { 1, 1 }, { 34, 1 }, { 35, 2 }, { 80, 3 } };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t *pdf = NULL;
		size_t len = 0;

		assert_int_equal(render(cases[i].rows, COLS, &pdf, &len), 0);
		assert_true(len > 1000);
		assert_memory_equal(pdf, "%PDF-", 5);
		assert_int_equal(pages(pdf, len), cases[i].pages);
		free(pdf);
	}
}

static void test_refused(void **state)
{
	uint8_t *pdf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(render(3, 0, &pdf, &len), -EINVAL);
	assert_int_equal(render(3, 13, &pdf, &len), -EINVAL);
	assert_null(pdf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
