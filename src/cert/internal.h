/* internal.h - what render.c and verify.c share inside the cert layer. */
#ifndef WIPECERT_CERT_INTERNAL_H
#define WIPECERT_CERT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define QR_QUIET 4  /* modules of white border drawn around the code */
/* A module's side on the page, in points. zbarimg reads pdftoppm's
 * renderings of the page from 140 dpi up at 2.08 pt (4.3 pixels a module
 * at 150 dpi, 8.7 at 300); at 1.6 pt it needed 200 dpi, at 1.92 pt 150. */
#ifndef QR_MODULE_PT
#define QR_MODULE_PT 2.08f
#endif
/* the side, in modules with the border, of the certificate's code (version
 * 10: the payload is always ~195 bytes); the layout leaves this much room */
#define QR_SIDE_TYPICAL 65

/* The QR code of payload as 8-bit grey pixels, one a module, with the
 * quiet border; *ret_n is the side. The PDF holds exactly these bytes. */
int cert_qr_pixels(const char *payload, uint8_t **ret, int *ret_n);

/* The signature line (the second line, base64) of a minisign .minisig file. */
int cert_minisig_line(const uint8_t *data, size_t len, char **ret);

struct cert_record;
struct pdf_doc;
struct pdf_obj;

/* The text page shows, one line a text object, each string read through
 * its font's ToUnicode map (pagetext.c); malloc'd, NUL-terminated.
 * -EBADMSG when the page has no readable (unfiltered) content stream. */
int cert_page_text(struct pdf_doc *d, struct pdf_obj *page, char **ret);

/* The result banner of page 1, shared by the renderer and the check that
 * the page shows the record's result. */
const char *cert_banner_text(const struct cert_record *r);

#endif
