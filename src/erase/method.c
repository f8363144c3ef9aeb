/* method.c - the overwrite methods as one table of passes, and the pattern
 * of each pass. Data only: a method is never code of its own. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wipecert/erase.h"
#include "wipecert/util.h"

#define B1(a) { PATTERN_BYTES, 1, { a } }
#define B3(a, b, c) { PATTERN_BYTES, 3, { a, b, c } }
#define RND { PATTERN_RANDOM, 0, { 0 } }

static const struct erase_pass p_zero[] = { B1(0x00) };
static const struct erase_pass p_one[] = { B1(0xff) };
static const struct erase_pass p_random[] = { RND };
/* DoD 5220.22-M (E): a character, its complement, random */
static const struct erase_pass p_dod_short[] = { B1(0x00), B1(0xff), RND };
/* DoD 5220.22-M (ECE): (E), then (C) one random pass, then (E) again */
static const struct erase_pass p_dod[] = {
	B1(0x00), B1(0xff), RND, RND, B1(0x00), B1(0xff), RND,
};
/* Gutmann 1996, the 35 passes in the paper's order (shred permutes 5..31;
 * we keep them fixed so the record says what went where) */
static const struct erase_pass p_gutmann[] = {
	RND, RND, RND, RND,
	B1(0x55), B1(0xaa), B3(0x92, 0x49, 0x24), B3(0x49, 0x24, 0x92), B3(0x24, 0x92, 0x49),
	B1(0x00), B1(0x11), B1(0x22), B1(0x33), B1(0x44), B1(0x55), B1(0x66), B1(0x77),
	B1(0x88), B1(0x99), B1(0xaa), B1(0xbb), B1(0xcc), B1(0xdd), B1(0xee), B1(0xff),
	B3(0x92, 0x49, 0x24), B3(0x49, 0x24, 0x92), B3(0x24, 0x92, 0x49),
	B3(0x6d, 0xb6, 0xdb), B3(0xb6, 0xdb, 0x6d), B3(0xdb, 0x6d, 0xb6),
	RND, RND, RND, RND,
};
/* HMG Infosec Standard 5, Enhanced: zeros, ones, random (then verify) */
static const struct erase_pass p_hmg_is5[] = { B1(0x00), B1(0xff), RND };
/* RCMP TSSIT OPS-II: zeros and ones alternating three times, then random */
static const struct erase_pass p_rcmp[] = {
	B1(0x00), B1(0xff), B1(0x00), B1(0xff), B1(0x00), B1(0xff), RND,
};
/* Schneier: ones, zeros, five random passes */
static const struct erase_pass p_schneier[] = {
	B1(0xff), B1(0x00), RND, RND, RND, RND, RND,
};
/* German VSITR: zeros and ones alternating three times, then 0xAA */
static const struct erase_pass p_vsitr[] = {
	B1(0x00), B1(0xff), B1(0x00), B1(0xff), B1(0x00), B1(0xff), B1(0xaa),
};

#define M(n, t, p) { n, t, ARRAY_SIZE(p), p }
const struct erase_method erase_methods[] = {
	M("zero", "one pass of zeros", p_zero),
	M("one", "one pass of 0xFF", p_one),
	M("random", "one pass of random data (NIST SP 800-88 Clear)", p_random),
	M("dod-short", "DoD 5220.22-M (E), 3 passes", p_dod_short),
	M("dod", "DoD 5220.22-M (ECE), 7 passes", p_dod),
	M("gutmann", "Gutmann, 35 passes", p_gutmann),
	M("hmg-is5", "HMG IS5 Enhanced, 3 passes", p_hmg_is5),
	M("rcmp-ops2", "RCMP TSSIT OPS-II, 7 passes", p_rcmp),
	M("schneier", "Bruce Schneier, 7 passes", p_schneier),
	M("vsitr", "German VSITR, 7 passes", p_vsitr),
};
const size_t erase_n_methods = ARRAY_SIZE(erase_methods);

const struct erase_method *erase_method_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < erase_n_methods; i++)
		if (streq(name, erase_methods[i].name))
			return &erase_methods[i];
	return NULL;
}

static const char *const verify_names[] = {
	[VERIFY_OFF] = "off", [VERIFY_LAST] = "last", [VERIFY_ALL] = "all", [VERIFY_SAMPLE] = "sample",
};

int erase_verify_from_string(const char *s, enum erase_verify *ret)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(verify_names); i++)
		if (streq(s, verify_names[i])) {
			*ret = (enum erase_verify)i;
			return 0;
		}
	return -EINVAL;
}

const char *erase_verify_to_string(enum erase_verify v)
{
	return (size_t)v < ARRAY_SIZE(verify_names) ? verify_names[v] : "?";
}

const char *erase_pass_describe(const struct erase_pass *p, char *buf, size_t len)
{
	if (p->kind == PATTERN_RANDOM || p->len == 0 || p->len > 3 || len < 7) {
		snprintf(buf, len, "random");
		return buf;
	}
	hex_encode(p->bytes, p->len, buf);
	return buf;
}

int erase_pattern_fill(const struct erase_pass *p, struct keystream *ks, uint64_t off,
		       uint8_t *buf, size_t len)
{
	size_t have;

	if (p->kind == PATTERN_RANDOM)
		return keystream_fill(ks, off, buf, len);
	if (p->len == 0 || p->len > 3)
		return -EINVAL;
	if (p->len == 1) {
		memset(buf, p->bytes[0], len);
		return 0;
	}
	/* the phase follows the device offset, so any chunk can be rebuilt */
	have = len < 3 ? len : 3;
	for (size_t i = 0; i < have; i++)
		buf[i] = p->bytes[(off + i) % p->len];
	while (have < len) {
		size_t n = have / 3 * 3;

		if (n > len - have)
			n = len - have;
		memcpy(buf + have, buf, n);
		have += n;
	}
	return 0;
}
