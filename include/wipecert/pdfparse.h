/* pdfparse.h - a small, bounded reader of PDF files (classic xref tables).
 *
 * Its job: find objects through the xref chain and parse them into plain
 * trees, for the signature check and the attachment extractor. It reads
 * files nobody vouches for: every length, offset, count and depth is
 * checked against the buffer and fixed limits, and it never writes, prints
 * or follows a reference loop. Objects live in the document's arena until
 * pdf_close().
 */
#ifndef WIPECERT_PDFPARSE_H
#define WIPECERT_PDFPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pdf_type {
	PDF_NULL, PDF_BOOL, PDF_NUM, PDF_NAME, PDF_STR, PDF_ARRAY, PDF_DICT, PDF_REF, PDF_STREAM,
};

struct pdf_obj {
	enum pdf_type type;
	bool b;
	bool is_real;
	int64_t i;               /* NUM (reals truncated) */
	char *s;                 /* NAME (without '/'), STR (decoded); NUL-terminated */
	size_t len;
	bool hex;                /* STR written as <hex> */
	struct pdf_obj **v;      /* ARRAY items, DICT / STREAM values */
	char **k;                /* DICT / STREAM keys */
	size_t n;
	uint32_t num, gen;       /* REF */
	size_t off, end;         /* the bytes [off, end) the object came from */
	size_t data_off, data_len; /* STREAM data */
};

struct pdf_doc {
	const uint8_t *buf;
	size_t len;
	size_t *xref;            /* offset of object n; 0 none */
	uint32_t n_xref;
	struct pdf_obj **cache;  /* object n once parsed: a list certificate's
	                            name tree is read once, not once a row */
	uint32_t n_cache;
	struct pdf_obj *trailer; /* the newest trailer */
	size_t startxref;        /* the last startxref value */
	unsigned revisions;      /* xref sections followed */
	const char *error;       /* why the last call failed (static text) */
	/* arena */
	void **allocs;
	size_t n_allocs, cap_allocs, used;
	unsigned depth;
};

/* Read the xref chain and trailer; -EBADMSG with d->error set when the file
 * is not a PDF this reader can handle. pdf_close() in every case. */
int pdf_open(struct pdf_doc *d, const uint8_t *buf, size_t len);
void pdf_close(struct pdf_doc *d);

/* Object number num (NULL when absent or unreadable). */
struct pdf_obj *pdf_load(struct pdf_doc *d, uint32_t num);
/* Follow a reference (bounded); other objects come back as they are. */
struct pdf_obj *pdf_resolve(struct pdf_doc *d, struct pdf_obj *o);
/* dict[key], resolved; NULL when absent. Works on DICT and STREAM. */
struct pdf_obj *pdf_get(struct pdf_doc *d, const struct pdf_obj *dict, const char *key);
/* The same, and NULL unless of the given type. */
struct pdf_obj *pdf_get_type(struct pdf_doc *d, const struct pdf_obj *dict, const char *key, enum pdf_type t);
bool pdf_name_is(const struct pdf_obj *o, const char *name);
/* The stream's bytes when it has no /Filter; -ENOTSUP for filtered streams. */
int pdf_stream_raw(const struct pdf_doc *d, const struct pdf_obj *o, const uint8_t **ret, size_t *ret_len);
/* The stream's bytes decoded: unfiltered, or /FlateDecode without
 * /DecodeParms (what wipecert writes), inflated into the arena, at most max
 * bytes. -ENOTSUP another filter, -EBADMSG bad compressed data, -EFBIG more
 * than max. */
int pdf_stream_data(struct pdf_doc *d, const struct pdf_obj *o, size_t max, const uint8_t **ret, size_t *ret_len);
/* Parse one object at offset off (tests and the signer use it). */
struct pdf_obj *pdf_parse_at(struct pdf_doc *d, size_t off);

#endif
