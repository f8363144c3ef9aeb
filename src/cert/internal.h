/* internal.h - what render.c and verify.c share inside the cert layer. */
#ifndef WIPECERT_CERT_INTERNAL_H
#define WIPECERT_CERT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define QR_QUIET 4  /* modules of white border drawn around the code */

/* The QR code of payload as 8-bit grey pixels, one a module, with the
 * quiet border; *ret_n is the side. The PDF holds exactly these bytes. */
int cert_qr_pixels(const char *payload, uint8_t **ret, int *ret_n);

/* The signature line (the second line, base64) of a minisign .minisig file. */
int cert_minisig_line(const uint8_t *data, size_t len, char **ret);

/* The result banner of page 1, shared by the renderer and the check that
 * the page shows the record's result. */
const char *cert_banner_text(const struct cert_record *r);

#endif
