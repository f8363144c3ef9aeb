/* fonts.c - the main font and its fallback: which draws each character,
 * the HarfBuzz subsets that are embedded, and their ToUnicode maps.
 *
 * It must never let a character vanish from a page: a character that no
 * font has is refused here, by name, before the document is drawn (and so
 * before anything is signed). fonts.h says how the fallback is encoded.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <hb-subset.h>
#include <unicode/utf8.h>

#include "wipecert/util.h"
#include "fonts.h"

static bool is_control(hb_codepoint_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

static bool has_glyph(hb_font_t *font, hb_codepoint_t cp)
{
	hb_codepoint_t g;

	return font && hb_font_get_nominal_glyph(font, cp, &g) && g != 0;
}

static hb_face_t *face_open(const char *path)
{
	hb_blob_t *blob = path ? hb_blob_create_from_file_or_fail(path) : NULL;
	hb_face_t *face;

	if (!blob)
		return NULL;
	face = hb_face_create(blob, 0);
	hb_blob_destroy(blob);
	if (hb_face_get_glyph_count(face) == 0) {
		hb_face_destroy(face);
		return NULL;
	}
	return face;
}

static hb_face_t *subset(hb_face_t *face, const hb_set_t *set)
{
	hb_subset_input_t *in = hb_subset_input_create_or_fail();
	hb_face_t *sub;

	if (!in)
		return NULL;
	hb_set_union(hb_subset_input_unicode_set(in), set);
	/* hinting is for screens at small sizes; print does not need it and
	 * it is a third of the subset */
	hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_NO_HINTING);
	sub = hb_subset_or_fail(face, in);
	hb_subset_input_destroy(in);
	return sub;
}

/* The face's bytes in a memfd, which libharu opens by its /proc path. */
static int face_to_memfd(hb_face_t *face, size_t *ret_size)
{
	hb_blob_t *blob = hb_face_reference_blob(face);
	unsigned len = 0;
	const char *data = hb_blob_get_data(blob, &len);
	int fd, r;

	if (!data || len == 0) {
		hb_blob_destroy(blob);
		return -EIO;
	}
	fd = memfd_create("wipecert-font", MFD_CLOEXEC);
	if (fd < 0)
		r = -errno;
	else if (write(fd, data, len) != (ssize_t)len) {
		r = -EIO;
		close(fd);
	} else {
		*ret_size = len;
		r = fd;
	}
	hb_blob_destroy(blob);
	return r;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A cmap table with one format 4 subtable (Windows, Unicode BMP): code
 * CERT_FONT_PUA_FIRST + i to glyph gid[i], one segment each, then the
 * closing 0xFFFF segment the format requires. */
static hb_blob_t *pua_cmap(const hb_codepoint_t *gid, size_t n)
{
	size_t seg = n + 1, sub_len = 16 + 8 * seg, len = 12 + sub_len;
	uint8_t *b = calloc(1, len), *t, *end, *start, *delta, *range;
	unsigned sr = 1, es = 0;

	if (!b || sub_len > 0xFFFF) {
		free(b);
		return NULL;
	}
	while (sr * 2 <= seg) {
		sr *= 2;
		es++;
	}
	put16(b + 2, 1);                        /* version 0, one subtable */
	put16(b + 4, 3);                        /* platform Windows */
	put16(b + 6, 1);                        /* encoding Unicode BMP */
	b[11] = 12;                             /* its offset */
	t = b + 12;
	put16(t, 4);
	put16(t + 2, (unsigned)sub_len);
	put16(t + 6, (unsigned)seg * 2);
	put16(t + 8, sr * 2);
	put16(t + 10, es);
	put16(t + 12, (unsigned)seg * 2 - sr * 2);
	end = t + 14;
	start = end + 2 * seg + 2;              /* after reservedPad */
	delta = start + 2 * seg;
	range = delta + 2 * seg;
	for (size_t i = 0; i < seg; i++) {
		unsigned code = i < n ? CERT_FONT_PUA_FIRST + (unsigned)i : 0xFFFF;

		put16(end + 2 * i, code);
		put16(start + 2 * i, code);
		put16(delta + 2 * i, i < n ? (unsigned)(gid[i] - code) & 0xFFFF : 1);
		put16(range + 2 * i, 0);
	}
	return hb_blob_create((const char *)b, (unsigned)len, HB_MEMORY_MODE_WRITABLE, b, free);
}

/* The face with its cmap replaced. */
static hb_face_t *with_cmap(hb_face_t *sub, hb_blob_t *cmap)
{
	/* a subset is a builder face, which lists no tables before
	 * HarfBuzz 7: read back its bytes as a plain face */
	hb_blob_t *bytes = hb_face_reference_blob(sub);
	hb_face_t *face = hb_face_create(bytes, 0);
	hb_face_t *b = hb_face_builder_create();
	hb_tag_t tags[32];
	unsigned start = 0, n;

	do {
		n = ARRAY_SIZE(tags);
		hb_face_get_table_tags(face, start, &n, tags);
		for (unsigned i = 0; i < n; i++) {
			hb_blob_t *t;

			if (tags[i] == HB_TAG('c', 'm', 'a', 'p'))
				continue;
			t = hb_face_reference_table(face, tags[i]);
			hb_face_builder_add_table(b, tags[i], t);
			hb_blob_destroy(t);
		}
		start += n;
	} while (n == ARRAY_SIZE(tags));
	hb_face_builder_add_table(b, HB_TAG('c', 'm', 'a', 'p'), cmap);
	hb_face_destroy(face);
	hb_blob_destroy(bytes);
	return b;
}

static const char *name_of(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "(none)";
}

/* The fallback subset: its characters at Private Use codes. */
static int prepare_fallback(struct cert_fonts *f, hb_face_t *face, const hb_set_t *want)
{
	_cleanup_free_ hb_codepoint_t *gid = NULL;
	hb_codepoint_t cp = HB_SET_VALUE_INVALID;
	hb_face_t *sub = NULL, *built = NULL;
	hb_font_t *font = NULL;
	hb_blob_t *cmap = NULL;
	size_t n = hb_set_get_population(want), i = 0;
	int r = -ENOMEM;

	if (n > CERT_FONT_PUA_LAST - CERT_FONT_PUA_FIRST + 1)
		return -E2BIG;
	f->fb = calloc(n, sizeof(*f->fb));
	gid = calloc(n, sizeof(*gid));
	if (!f->fb || !gid)
		return -ENOMEM;
	sub = subset(face, want);
	if (!sub)
		return -EIO;
	font = hb_font_create(sub);
	while (hb_set_next(want, &cp)) {
		if (!hb_font_get_nominal_glyph(font, cp, &gid[i])) {
			r = -EIO;
			goto out;
		}
		f->fb[i++] = cp;
	}
	f->n_fb = n;
	cmap = pua_cmap(gid, n);
	if (!cmap)
		goto out;
	built = with_cmap(sub, cmap);
	r = face_to_memfd(built, &f->fb_size);
	if (r >= 0) {
		f->fb_fd = r;
		r = 0;
	}
out:
	hb_blob_destroy(cmap);
	hb_face_destroy(built);
	hb_font_destroy(font);
	hb_face_destroy(sub);
	return r;
}

int cert_fonts_prepare(struct cert_fonts *f, const char *main_path, const char *fb_path,
		       const hb_set_t *chars, const char **ret_err)
{
	static __thread char msg[256];
	hb_face_t *main_face, *fb_face = NULL, *sub = NULL;
	hb_font_t *main_font, *fb_font = NULL;
	hb_set_t *want = hb_set_create();
	hb_codepoint_t cp = HB_SET_VALUE_INVALID;
	int r = 0;

	*f = (struct cert_fonts){ .main_fd = -1, .fb_fd = -1, .main_chars = hb_set_create() };
	main_face = face_open(main_path);
	if (!main_face) {
		snprintf(msg, sizeof(msg), "cannot read the font %s", main_path);
		*ret_err = msg;
		hb_set_destroy(want);
		return -ENOENT;
	}
	main_font = hb_font_create(main_face);
	/* libharu writes 2-byte codes from a format 4 cmap: the main font
	 * draws only what it has in the BMP */
	while (hb_set_next(chars, &cp))
		if (is_control(cp) || (cp <= 0xFFFF && has_glyph(main_font, cp)))
			hb_set_add(f->main_chars, cp);
		else
			hb_set_add(want, cp);
	if (!hb_set_is_empty(want)) {
		fb_face = face_open(fb_path);
		fb_font = fb_face ? hb_font_create(fb_face) : NULL;
		cp = HB_SET_VALUE_INVALID;
		while (hb_set_next(want, &cp))
			if (!has_glyph(fb_font, cp)) {
				char u8[U8_MAX_LENGTH + 1];
				int32_t k = 0;

				U8_APPEND_UNSAFE(u8, k, cp);
				u8[k] = '\0';
				snprintf(msg, sizeof(msg), "no font can draw U+%04X '%s': it is neither in %s nor in %s%s",
					 cp, u8, name_of(main_path), name_of(fb_path),
					 fb_face ? "" : " (not installed; Debian: fonts-ipamj-mincho)");
				*ret_err = msg;
				r = -EILSEQ;
				goto out;
			}
		r = prepare_fallback(f, fb_face, want);
		if (r < 0) {
			*ret_err = r == -E2BIG ? "too many characters outside the main font" :
				   "cannot subset the fallback font";
			goto out;
		}
	}
	sub = subset(main_face, f->main_chars);
	r = sub ? face_to_memfd(sub, &f->main_size) : -EIO;
	if (r < 0) {
		*ret_err = "cannot subset the font";
		goto out;
	}
	f->main_fd = r;
	r = 0;
out:
	hb_face_destroy(sub);
	hb_font_destroy(fb_font);
	hb_face_destroy(fb_face);
	hb_font_destroy(main_font);
	hb_face_destroy(main_face);
	hb_set_destroy(want);
	return r;
}

void cert_fonts_release(struct cert_fonts *f)
{
	hb_set_destroy(f->main_chars);
	free(f->fb);
	if (f->main_fd >= 0)
		close(f->main_fd);
	if (f->fb_fd >= 0)
		close(f->fb_fd);
	*f = (struct cert_fonts){ .main_fd = -1, .fb_fd = -1 };
}

int cert_fonts_fallback_code(const struct cert_fonts *f, uint32_t cp)
{
	size_t lo = 0, hi = f->n_fb;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->fb[mid] == cp)
			return (int)(CERT_FONT_PUA_FIRST + mid);
		if (f->fb[mid] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* "<code> <UTF-16BE of cp>" */
static void bfchar(HPDF_Stream s, unsigned code, uint32_t cp)
{
	char line[40];

	if (cp > 0xFFFF)
		snprintf(line, sizeof(line), "<%04X> <%04X%04X>\n", code,
			 0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF));
	else
		snprintf(line, sizeof(line), "<%04X> <%04X>\n", code, cp);
	HPDF_Stream_WriteStr(s, line);
}

static int write_tounicode(HPDF_Doc pdf, HPDF_Font font, const struct cert_fonts *f, bool fallback)
{
	HPDF_Dict old = HPDF_Dict_GetItem((HPDF_Dict)font, "ToUnicode", HPDF_OCLASS_DICT), tu;
	hb_codepoint_t cp = HB_SET_VALUE_INVALID;
	size_t total = 0, n = 0;
	char line[32];

	/* a stream of our own: libharu compresses its map again when it
	 * writes the font, and verify reads only unfiltered streams; its
	 * own map stays behind, emptied */
	if (!old || !old->stream)
		return -ENOENT;
	HPDF_MemStream_FreeData(old->stream);
	tu = HPDF_DictStream_New(pdf->mmgr, pdf->xref);
	if (!tu || HPDF_Dict_Add((HPDF_Dict)font, "ToUnicode", tu) != HPDF_OK)
		return -ENOMEM;
	tu->filter = HPDF_STREAM_FILTER_NONE;
	HPDF_Stream_WriteStr(tu->stream,
		"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
	if (fallback)
		total = f->n_fb;
	else
		while (hb_set_next(f->main_chars, &cp))
			total += cp <= 0xFFFF && (cp < 0xD800 || cp > 0xDFFF);
	/* bfchar blocks hold at most 100 entries each */
	cp = HB_SET_VALUE_INVALID;
	for (size_t i = 0; n < total; i++) {
		unsigned code;
		uint32_t ch;

		if (fallback) {
			code = CERT_FONT_PUA_FIRST + (unsigned)i;
			ch = f->fb[i];
		} else {
			if (!hb_set_next(f->main_chars, &cp))
				break;
			if (cp > 0xFFFF || (cp >= 0xD800 && cp <= 0xDFFF))
				continue;
			code = ch = cp;
		}
		if (n % 100 == 0) {
			if (n)
				HPDF_Stream_WriteStr(tu->stream, "endbfchar\n");
			snprintf(line, sizeof(line), "%zu beginbfchar\n", total - n < 100 ? total - n : 100);
			HPDF_Stream_WriteStr(tu->stream, line);
		}
		bfchar(tu->stream, code, ch);
		n++;
	}
	if (n)
		HPDF_Stream_WriteStr(tu->stream, "endbfchar\n");
	HPDF_Stream_WriteStr(tu->stream,
		"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
	return 0;
}

HPDF_Font cert_fonts_load(HPDF_Doc pdf, const struct cert_fonts *f, bool fallback)
{
	int fd = fallback ? f->fb_fd : f->main_fd;
	const char *name;
	HPDF_Font font;
	char path[64];

	if (fd < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	name = HPDF_LoadTTFontFromFile(pdf, path, HPDF_TRUE);
	font = name ? HPDF_GetFont(pdf, name, "UTF-8") : NULL;
	if (!font || write_tounicode(pdf, font, f, fallback) < 0)
		return NULL;
	return font;
}
