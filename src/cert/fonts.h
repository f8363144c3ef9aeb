/* fonts.h - which font draws each character of a document, and the font
 * subsets that are embedded (cert layer, internal).
 *
 * The main font (IPAex Gothic) draws what it has in the Basic Multilingual
 * Plane: libharu writes 2-byte codes and reads only a font's format 4 cmap.
 * Every other character (𠮷 U+20BB7 in a name, say) is drawn with the
 * fallback font (IPAmj Mincho), whose subset is given a cmap of its own
 * that puts those characters at Private Use code points U+E000, U+E001,
 * ... in code point order; its ToUnicode map turns them back into the real
 * characters (surrogate pairs), which is what pdftotext and `verify` read.
 * A character that neither font has is refused before anything is signed.
 */
#ifndef WIPECERT_CERT_FONTS_H
#define WIPECERT_CERT_FONTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <hb.h>
#include <hpdf.h>

#define CERT_FONT_PUA_FIRST 0xE000u
#define CERT_FONT_PUA_LAST  0xF8FFu

struct cert_fonts {
	hb_set_t *main_chars;    /* drawn with the main font: their codes are the characters */
	uint32_t *fb;            /* drawn with the fallback, ascending: fb[i] has code PUA_FIRST + i */
	size_t n_fb;
	int main_fd, fb_fd;      /* the subset fonts (memfds), -1 when none */
	size_t main_size, fb_size;
};

/* Split chars between the main font (main_path) and the fallback
 * (fb_path), and subset each to its share. -EILSEQ when a character is in
 * neither font; -ENOENT when a font file cannot be read. *ret_err (static
 * or thread-local text) says which character or font. Release in every
 * case. */
int cert_fonts_prepare(struct cert_fonts *f, const char *main_path, const char *fb_path,
		       const hb_set_t *chars, const char **ret_err);
void cert_fonts_release(struct cert_fonts *f);

/* The fallback's code of cp, or -1 when the main font draws it. */
int cert_fonts_fallback_code(const struct cert_fonts *f, uint32_t cp);

/* The main font's subset (fallback false) or the fallback's, loaded into
 * pdf, its ToUnicode map replaced by one entry a character in a stream of
 * its own, uncompressed so that `verify` reads it (libharu's own map is
 * one poppler rejects, and libharu compresses it again when it writes):
 * main codes are the characters, fallback codes map to the characters
 * (UTF-16, surrogate pairs). NULL when it cannot. */
HPDF_Font cert_fonts_load(HPDF_Doc pdf, const struct cert_fonts *f, bool fallback);

#endif
