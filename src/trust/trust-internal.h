/* trust-internal.h - shared inside src/trust/ only: format constants and
 * the helpers the key, signature and roster code have in common. */
#ifndef WIPECERT_TRUST_INTERNAL_H
#define WIPECERT_TRUST_INTERNAL_H

#include "wipecert/trust.h"

#define TRUST_ALG_ED "Ed"         /* Ed25519 key */
#define TRUST_ALG_ED_HASHED "ED"  /* Ed25519 over BLAKE2b-512 of the file */
#define TRUST_COMMENT_PREFIX "untrusted comment: "
#define TRUST_TRUSTED_PREFIX "trusted comment: "
#define TRUST_COMMENT_MAX 1024          /* minisign's COMMENTMAXBYTES */
#define TRUST_TRUSTED_COMMENT_MAX 8192  /* minisign's TRUSTEDCOMMENTMAXBYTES */

int trust_next_line(const char **p, const char *end, const char **ret, size_t *ret_len);
int trust_b64_decode(const char *s, size_t len, uint8_t *out, size_t want);
char *trust_b64_encode(const uint8_t *in, size_t len);
int trust_sign_with(const uint8_t keyid[TRUST_KEYID_BYTES], const uint8_t *sk,
		    const uint8_t *msg, size_t len, const char *trusted_comment,
		    const char *untrusted_comment, char **ret);
int trust_claim_format(const struct trust_claim *c, char **ret);
const uint8_t *trust_seckey_sk(const struct trust_seckey *k);
const uint8_t *trust_seckey_keyid(const struct trust_seckey *k);
/* Pinned contractors a store loads at most (each brings two signed lists). */
#define TRUST_MAX_CONTRACTORS 32

/* state.c: compare the lists with the verifier's state and remember newer
 * serials. -ESTALE with reason and *ret_path naming the refused list (or
 * the damaged state file); *ret_save_error: why the state was not saved. */
int trust_state_check(const struct trust_list *lists, size_t n, char *reason, size_t rlen,
		      const char **ret_path, int *ret_save_error);

/* A store from roster (and revocation) JSON without signatures: for the
 * fuzz harness, which exercises the parsers behind trust_store_open(). */
int trust_store_parse_roster(const char *text, size_t len, const char *revoked, size_t rlen,
			     struct trust_store **ret);

#endif
