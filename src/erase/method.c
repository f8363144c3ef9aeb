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
/* BMB21-2019 as nwipe 0.40 runs it (we have not read the standard
 * itself): ones, zeros, three random passes, ones */
static const struct erase_pass p_bmb21[] = {
	B1(0xff), B1(0x00), RND, RND, RND, B1(0xff),
};

#define M(n, t, p) { n, t, ARRAY_SIZE(p), p, false }
/* a verify-only method: the pattern the whole target must read back as */
#define V(n, t, p) { n, t, ARRAY_SIZE(p), p, true }
const struct erase_method erase_methods[] = {
	M("zero", N_("one pass of zeros"), p_zero),
	M("one", N_("one pass of 0xFF"), p_one),
	M("random", N_("one pass of random data (NIST SP 800-88 Clear)"), p_random),
	M("dod-short", N_("DoD 5220.22-M (E), 3 passes"), p_dod_short),
	M("dod", N_("DoD 5220.22-M (ECE), 7 passes"), p_dod),
	M("gutmann", N_("Gutmann, 35 passes"), p_gutmann),
	M("hmg-is5", N_("HMG IS5 Enhanced, 3 passes"), p_hmg_is5),
	M("rcmp-ops2", N_("RCMP TSSIT OPS-II, 7 passes"), p_rcmp),
	M("schneier", N_("Bruce Schneier, 7 passes"), p_schneier),
	M("vsitr", N_("German VSITR, 7 passes"), p_vsitr),
	M("bmb21", N_("BMB21-2019 as nwipe runs it, 6 passes"), p_bmb21),
	V("verify-zero", N_("read all of it, expect 00 everywhere; writes nothing"), p_zero),
	V("verify-one", N_("read all of it, expect FF everywhere; writes nothing"), p_one),
};
const size_t erase_n_methods = ARRAY_SIZE(erase_methods);

/* nwipe's --method values (nwipe 0.40, src/options.c) that are not our
 * names already: gutmann, zero, one, random and dod are the same words.
 * docs/erase.md has the table with the notes. */
const struct erase_method_alias erase_method_aliases[] = {
	{ "dod522022m", "dod", "nwipe: a random byte and its complement where we write 00 and FF" },
	{ "dodshort", "dod-short", "nwipe: a random byte and its complement where we write 00 and FF" },
	{ "dod3pass", "dod-short", "nwipe: a random byte and its complement where we write 00 and FF" },
	{ "ops2", "rcmp-ops2", "nwipe: a random byte and its complement alternating, the random pass after all rounds" },
	{ "prng", "random", NULL },
	{ "stream", "random", NULL },
	{ "quick", "zero", NULL },
	{ "is5enh", "hmg-is5", "nwipe verifies the random pass whatever --verify says; we follow --verify" },
	{ "bruce7", "schneier", NULL },
	{ "bmb", "bmb21", NULL },
	{ "verify_zero", "verify-zero", NULL },
	{ "verify_one", "verify-one", NULL },
};
const size_t erase_n_method_aliases = ARRAY_SIZE(erase_method_aliases);

static const struct erase_method *find_name(const char *name)
{
	for (size_t i = 0; i < erase_n_methods; i++)
		if (streq(name, erase_methods[i].name))
			return &erase_methods[i];
	return NULL;
}

const struct erase_method *erase_method_find(const char *name)
{
	const struct erase_method *m;

	if (!name)
		return NULL;
	m = find_name(name);
	for (size_t i = 0; !m && i < erase_n_method_aliases; i++)
		if (streq(name, erase_method_aliases[i].alias))
			m = find_name(erase_method_aliases[i].name);
	return m;
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
