/* canon.h - the canonical JSON form of every signed wipecert document.
 *
 * Its job: turn a jansson value into the one byte string that is signed, so
 * that the same document always gives the same bytes years later. It must
 * never accept a value it cannot represent canonically (floats, invalid
 * UTF-8), rather than guess.
 *
 * The form (docs/formats.md, "Canonical JSON"):
 *  - objects with keys sorted by their UTF-8 bytes (memcmp order), no
 *    duplicate keys; arrays in their given order;
 *  - no white space outside strings: separators are "," and ":";
 *  - integers only, written in shortest decimal ("-0" never appears);
 *    reals are refused (-EDOM): times are ISO 8601 strings, sizes integers;
 *  - strings (values and keys) in UTF-8, Unicode NFC: invalid UTF-8 or
 *    U+0000 is refused (-EILSEQ); canon_json() normalises text to NFC
 *    (ICU's unorm2), so "か" + U+3099 is signed as "が"; canon_parse()
 *    refuses text that is not already NFC (it is not canonical);
 *  - escapes: only '"', '\\' and the controls U+0001..U+001F are escaped,
 *    as \" \\ \b \f \n \r \t or \u00XX (lower-case hex); everything else,
 *    including "/" and non-ASCII, is written as its UTF-8 bytes;
 *  - true, false, null as such; no trailing newline.
 *
 * Every signed document is an object with a string field "type" naming the
 * document type (see trust.h, enum trust_doc) that is repeated in the
 * signature's trusted comment.
 */
#ifndef WIPECERT_CANON_H
#define WIPECERT_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Canonical bytes of v into *ret (malloc'd, NUL-terminated; *ret_len
 * excludes the NUL). -EDOM for a real, -EILSEQ for invalid UTF-8 or U+0000,
 * -EINVAL for a value jansson cannot hold, -ENOMEM. */
int canon_json(const json_t *v, char **ret, size_t *ret_len);

/* Parse JSON text and require that it already is canonical (re-encoding
 * gives the same bytes). 0 and *ret (a new reference) if so; -EBADMSG if
 * it is valid JSON but not canonical; -EINVAL if it is not JSON. */
int canon_parse(const char *text, size_t len, json_t **ret);

/* Is s (len bytes) valid UTF-8 without U+0000 and in NFC? */
bool canon_text_ok(const char *s, size_t len);

#endif
