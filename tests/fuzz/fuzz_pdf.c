/* fuzz_pdf.c - libFuzzer harness for the certificate reader: the PDF
 * parser, the signature checks and the attachment extractor must never
 * crash, hang or leak on any input. Build and run: tests/fuzz/fuzz_pdf.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "wipecert/pdf.h"
#include "wipecert/pdfparse.h"
#include "wipecert/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* the test-only roster, so that the record-signature check runs too */
static struct trust_store *store;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("WIPECERT_FUZZ_TRUST");

	(void)argc; (void)argv;
	if (dir && trust_store_open(dir, &store) < 0)
		store = NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert_verify_report rep;
	struct pdf_doc d;
	uint8_t *att = NULL;
	size_t len;

	if (cert_pdf_verify(data, size, NULL, store, &rep) == 0)
		cert_verify_report_release(&rep);
	if (cert_pdf_attachment(data, size, CERT_RECORD_NAME, &att, &len) == 0)
		free(att);
	/* walk every object the xref names */
	if (pdf_open(&d, data, size) == 0)
		for (uint32_t i = 0; i < d.n_xref && i < 4096; i++)
			pdf_resolve(&d, pdf_load(&d, i));
	pdf_close(&d);
	return 0;
}
