/* test_trust_keys.c - key files and minisign signatures, checked against
 * Debian's minisign binary. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>

#include <sodium.h>

#include "helpers.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"

static const struct trust_kdf fast = { 1, 8192 };
static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = test_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rmtree(dir);
	free(dir);
	return 0;
}

static char *path(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static size_t count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static bool have_minisign(void)
{
	return system("command -v minisign >/dev/null 2>&1") == 0;
}

/* minisign -V on files in dir: true if it accepts */
static bool minisign_ok(const char *msg, const char *pub, const char *sig)
{
	char *cmd;
	int st;

	assert_true(asprintf(&cmd, "minisign -Vq -m '%s' -p '%s' -x '%s' >/dev/null 2>&1",
			     msg, pub, sig) > 0);
	st = system(cmd);
	free(cmd);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void write_text(const char *p, const void *data, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_roles(void **state)
{
	(void)state;
	assert_int_equal(trust_role_from_string("approver"), TRUST_ROLE_APPROVER);
	assert_int_equal(trust_role_from_string("boss"), -EINVAL);
	assert_true(trust_role_may_sign(TRUST_ROLE_TECHNICIAN, TRUST_DOC_WIPE_RECORD));
	assert_false(trust_role_may_sign(TRUST_ROLE_TECHNICIAN, TRUST_DOC_APPROVAL));
	assert_false(trust_role_may_sign(TRUST_ROLE_APPROVER, TRUST_DOC_WIPE_RECORD));
	assert_true(trust_role_may_sign(TRUST_ROLE_CONTRACTOR_APPROVER, TRUST_DOC_CERTIFICATE));
	assert_false(trust_role_may_sign(TRUST_ROLE_APPROVER, TRUST_DOC_ROSTER));
	assert_true(trust_role_may_sign(TRUST_ROLE_ORG_ROOT, TRUST_DOC_ROSTER));
}

static void test_seckey_roundtrip(void **state)
{
	struct trust_seckey *k = NULL, *k2 = NULL;
	struct trust_pubkey a, b;
	_cleanup_free_ char *p = path("alice.key");
	struct stat st;
	EVP_PKEY *x = NULL;

	(void)state;
	assert_int_equal(trust_seckey_generate("山田 花子", TRUST_ROLE_APPROVER, "Example City", true, &k), 0);
	assert_int_equal(trust_seckey_save(k, p, "pw", 2, &fast, false), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never overwritten without force */
	assert_int_equal(trust_seckey_save(k, p, "pw", 2, &fast, false), -EEXIST);
	assert_int_equal(trust_seckey_load(p, "pw", 2, &k2), 0);
	trust_seckey_pubkey(k, &a);
	trust_seckey_pubkey(k2, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_string_equal(trust_seckey_name(k2), "山田 花子");
	assert_string_equal(trust_seckey_org(k2), "Example City");
	assert_int_equal(trust_seckey_role(k2), TRUST_ROLE_APPROVER);
	assert_int_equal(trust_seckey_x509_key(k2, &x), 0);
	assert_int_equal(EVP_PKEY_get_base_id(x), EVP_PKEY_EC);
	EVP_PKEY_free(x);
	assert_int_equal(trust_seckey_save(k2, p, "new", 3, &fast, true), 0);
	trust_seckey_free(k2);
	k2 = NULL;
	assert_int_equal(trust_seckey_load(p, "pw", 2, &k2), -EKEYREJECTED);
	assert_null(k2);
	assert_int_equal(trust_seckey_load(p, "new", 3, &k2), 0);
	trust_seckey_free(k2);
	trust_seckey_free(k);
	assert_int_equal(count_files(), 1); /* no temp files left behind */
	unlink(p);
}

static void test_seckey_damage(void **state)
{
	struct trust_seckey *k = NULL, *k2 = NULL;
	_cleanup_free_ char *p = path("bob.key");
	_cleanup_free_ uint8_t *data = NULL;
	size_t len, nl;
	uint8_t *raw;
	size_t rawlen;
	char *b64, *text;

	(void)state;
	assert_int_equal(trust_seckey_generate("Bob", TRUST_ROLE_TECHNICIAN, "Org", false, &k), 0);
	assert_int_equal(trust_seckey_save(k, p, "pw", 2, &fast, false), 0);
	assert_int_equal(read_full_file(p, &data, &len), 0);
	/* truncated anywhere: a clear error, never a key */
	for (size_t cut = 0; cut < len - 1; cut += 7) {
		int r = trust_seckey_parse(data, cut, "pw", 2, &k2);
		assert_true(r == -ENODATA || r == -EINVAL || r == -EBADMSG);
		assert_null(k2);
	}
	assert_int_equal(trust_seckey_parse(data, len - 40, "pw", 2, &k2), -ENODATA);
	/* a flipped byte in the middle of the base64: damaged, not "wrong passphrase" */
	nl = (size_t)((uint8_t *)memchr(data, '\n', len) - data);
	{
		uint8_t saved = data[nl + 60];

		data[nl + 60] = saved == 'A' ? 'B' : 'A';
		assert_int_equal(trust_seckey_parse(data, len, "pw", 2, &k2), -EBADMSG);
		data[nl + 60] = saved;
	}
	assert_int_equal(trust_seckey_parse(data, len, "pw", 2, &k2), 0);
	trust_seckey_free(k2);
	k2 = NULL;
	/* an unknown algorithm tag (with a valid checksum) */
	raw = malloc(len);
	assert_int_equal(sodium_base642bin(raw, len, (char *)data + nl + 1, len - nl - 2, NULL,
					   &rawlen, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, "Sc", 2); /* minisign's scrypt, not ours */
	crypto_generichash(raw + rawlen - 32, 32, raw, rawlen - 32, NULL, 0);
	b64 = malloc(rawlen * 2 + 4);
	sodium_bin2base64(b64, rawlen * 2 + 4, raw, rawlen, sodium_base64_VARIANT_ORIGINAL);
	assert_true(asprintf(&text, "untrusted comment: x\n%s\n", b64) > 0);
	assert_int_equal(trust_seckey_parse((uint8_t *)text, strlen(text), "pw", 2, &k2), -EPROTONOSUPPORT);
	free(text);
	free(b64);
	free(raw);
	assert_int_equal(trust_seckey_parse((const uint8_t *)"", 0, "pw", 2, &k2), -ENODATA);
	assert_null(k2);
	trust_seckey_free(k);
	unlink(p);
}

static void test_pubkey(void **state)
{
	struct trust_seckey *k = NULL;
	struct trust_pubkey pk, pk2;
	char *text = NULL, id[TRUST_KEYID_STRLEN];
	uint8_t kid[8];

	(void)state;
	assert_int_equal(trust_seckey_generate("Carol", TRUST_ROLE_TECHNICIAN, "Org", false, &k), 0);
	trust_seckey_pubkey(k, &pk);
	assert_int_equal(trust_pubkey_format(&pk, NULL, &text), 0);
	assert_int_equal(strncmp(text, "untrusted comment: minisign public key ", 39), 0);
	assert_int_equal(trust_pubkey_parse(text, strlen(text), &pk2), 0);
	assert_memory_equal(&pk, &pk2, sizeof(pk));
	trust_keyid_string(pk.keyid, id);
	assert_int_equal(trust_keyid_parse(id, kid), 0);
	assert_memory_equal(kid, pk.keyid, 8);
	/* truncated */
	assert_int_equal(trust_pubkey_parse(text, strlen(text) - 10, &pk2), -ENODATA);
	assert_int_equal(trust_pubkey_parse(text, 30, &pk2), -ENODATA);
	free(text);
	/* unknown algorithm tag: "Ec" instead of "Ed" */
	{
		uint8_t raw[42];
		char b64[64], *t2;

		memcpy(raw, "Ec", 2);
		memcpy(raw + 2, pk.keyid, 8);
		memcpy(raw + 10, pk.pk, 32);
		sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
		assert_true(asprintf(&t2, "untrusted comment: x\n%s\n", b64) > 0);
		assert_int_equal(trust_pubkey_parse(t2, strlen(t2), &pk2), -EPROTONOSUPPORT);
		free(t2);
	}
	trust_seckey_free(k);
}

/* Sign, check with minisign, then every single-byte change of the message,
 * the signature struct (algorithm, key id, signature), the trusted comment
 * and the global signature must fail both here and in minisign. */
/* A wipe record signed by a technician, in files for minisign -V. */
struct signed_doc {
	struct trust_seckey *k;
	struct trust_pubkey pk;
	struct trust_sig s;
	char *sig, *pm, *pp, *ps, *pm2, *ps2;
	bool mini;
};

static const char doc[] = "{\"serial\":\"S123\",\"type\":\"wipe-record\"}";
#define DOC_LEN (sizeof(doc) - 1)

static int sign_setup(void **state)
{
	struct signed_doc *d = calloc(1, sizeof(*d));
	_cleanup_free_ char *pubtext = NULL;

	assert_non_null(d);
	d->pm = path("doc.json");
	d->pp = path("key.pub");
	d->ps = path("doc.json.minisig");
	d->pm2 = path("m2");
	d->ps2 = path("s2");
	d->mini = have_minisign();
	assert_int_equal(trust_seckey_generate("Dan", TRUST_ROLE_TECHNICIAN, "市役所", false, &d->k), 0);
	trust_seckey_pubkey(d->k, &d->pk);
	assert_int_equal(trust_sign(TRUST_DOC_WIPE_RECORD, (const uint8_t *)doc, DOC_LEN, d->k, 1795000000, &d->sig), 0);
	assert_int_equal(trust_pubkey_format(&d->pk, NULL, &pubtext), 0);
	write_text(d->pm, doc, DOC_LEN);
	write_text(d->pp, pubtext, strlen(pubtext));
	write_text(d->ps, d->sig, strlen(d->sig));
	assert_int_equal(trust_sig_parse(d->sig, strlen(d->sig), &d->s), 0);
	if (!d->mini)
		fail_msg("minisign is not installed (scripts/install-deps.sh): our signatures must check with it");
	*state = d;
	return 0;
}

static int sign_teardown(void **state)
{
	struct signed_doc *d = *state;

	unlink(d->pm); unlink(d->pp); unlink(d->ps); unlink(d->pm2); unlink(d->ps2);
	trust_sig_release(&d->s);
	trust_seckey_free(d->k);
	free(d->sig); free(d->pm); free(d->pp); free(d->ps); free(d->pm2); free(d->ps2);
	free(d);
	return 0;
}

/* The signature text with its raw signature (after "ED" | keyid) and
 * global signature, and the trusted comment tc. */
static char *sig_text(const struct trust_sig *s, const uint8_t raw[74], const uint8_t g[64], const char *tc)
{
	char b1[128], b2[128], *t;

	sodium_bin2base64(b1, sizeof(b1), raw, 74, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(b2, sizeof(b2), g, 64, sodium_base64_VARIANT_ORIGINAL);
	assert_true(asprintf(&t, "untrusted comment: %s\n%s\ntrusted comment: %s\n%s\n", s->untrusted_comment, b1,
			     tc, b2) > 0);
	return t;
}

static void raw_of(const struct trust_sig *s, uint8_t raw[74])
{
	memcpy(raw, "ED", 2);
	memcpy(raw + 2, s->keyid, 8);
	memcpy(raw + 10, s->sig, 64);
}

/* the signature checks, its trusted comment carries the signer's claims,
 * minisign -V accepts it; a document of another type is not signed */
static void test_signature_claims_what_the_roster_checks(void **state)
{
	struct signed_doc *d = *state;
	_cleanup_free_ char *sig = NULL;
	struct trust_claim c;

	assert_int_equal(trust_sign(TRUST_DOC_APPROVAL, (const uint8_t *)doc, DOC_LEN, d->k, 0, &sig), -EINVAL);
	assert_int_equal(trust_sig_check(&d->s, &d->pk, (const uint8_t *)doc, DOC_LEN), 0);
	assert_int_equal(trust_claim_parse(d->s.trusted_comment, &c), 0);
	assert_int_equal(c.doc, TRUST_DOC_WIPE_RECORD);
	assert_int_equal(c.role, TRUST_ROLE_TECHNICIAN);
	assert_string_equal(c.org, "市役所");
	assert_string_equal(c.name, "Dan");
	assert_int_equal(c.signed_at, 1795000000);
	if (d->mini)
		assert_true(minisign_ok(d->pm, d->pp, d->ps));
}

/* made twice instead of verified (the many events of an import): Ed25519
 * is deterministic, the same bytes come out, and the type is checked all
 * the same */
static void test_sign_again_gives_the_same_bytes(void **state)
{
	struct signed_doc *d = *state;
	_cleanup_free_ char *again = NULL;

	assert_int_equal(trust_sign_again(TRUST_DOC_WIPE_RECORD, (const uint8_t *)doc, DOC_LEN, d->k, 1795000000,
					  &again), 0);
	assert_string_equal(again, d->sig);
	free(again);
	again = NULL;
	assert_int_equal(trust_sign_again(TRUST_DOC_APPROVAL, (const uint8_t *)doc, DOC_LEN, d->k, 0, &again), -EINVAL);
}

static void test_every_message_byte_refused(void **state)
{
	struct signed_doc *d = *state;
	uint8_t msg[64];

	memcpy(msg, doc, DOC_LEN);
	for (size_t i = 0; i < DOC_LEN; i++) {
		msg[i] ^= 0x01;
		assert_int_not_equal(trust_sig_check(&d->s, &d->pk, msg, DOC_LEN), 0);
		if (d->mini) {
			write_text(d->pm2, msg, DOC_LEN);
			assert_false(minisign_ok(d->pm2, d->pp, d->ps));
		}
		msg[i] ^= 0x01;
	}
}

/* every byte of "ED" | keyid | sig and of the global signature */
static void test_every_signature_byte_refused(void **state)
{
	struct signed_doc *d = *state;
	struct trust_sig s2;

	for (size_t i = 0; i < 2 + 8 + 64 + 64; i++) {
		uint8_t raw[74], g[64];
		char *t;

		raw_of(&d->s, raw);
		memcpy(g, d->s.global_sig, 64);
		if (i < 74)
			raw[i] ^= 0x80;
		else
			g[i - 74] ^= 0x80;
		t = sig_text(&d->s, raw, g, d->s.trusted_comment);
		if (trust_sig_parse(t, strlen(t), &s2) == 0) {
			assert_int_not_equal(trust_sig_check(&s2, &d->pk, (const uint8_t *)doc, DOC_LEN), 0);
			trust_sig_release(&s2);
		} else {
			assert_true(i < 2); /* only the algorithm tag fails to parse */
		}
		if (d->mini) {
			write_text(d->ps2, t, strlen(t));
			assert_false(minisign_ok(d->pm, d->pp, d->ps2));
		}
		free(t);
	}
}

static void test_every_trusted_comment_byte_refused(void **state)
{
	struct signed_doc *d = *state;
	struct trust_sig s2;
	uint8_t raw[74];

	raw_of(&d->s, raw);
	for (size_t i = 0; i < strlen(d->s.trusted_comment); i++) {
		char *tc = strdup(d->s.trusted_comment), *t;

		tc[i] = tc[i] == 'x' ? 'y' : 'x';
		t = sig_text(&d->s, raw, d->s.global_sig, tc);
		assert_int_equal(trust_sig_parse(t, strlen(t), &s2), 0);
		assert_int_equal(trust_sig_check(&s2, &d->pk, (const uint8_t *)doc, DOC_LEN), -EBADMSG);
		trust_sig_release(&s2);
		if (d->mini) {
			write_text(d->ps2, t, strlen(t));
			assert_false(minisign_ok(d->pm, d->pp, d->ps2));
		}
		free(t);
		free(tc);
	}
}

/* every byte of the public key's key id: another key, for minisign too */
static void test_other_key_id_refused(void **state)
{
	struct signed_doc *d = *state;

	for (size_t i = 0; i < 8; i++) {
		struct trust_pubkey other = d->pk;
		char *t = NULL;

		other.keyid[i] ^= 0x01;
		assert_int_equal(trust_sig_check(&d->s, &other, (const uint8_t *)doc, DOC_LEN), -ENOKEY);
		if (d->mini) {
			assert_int_equal(trust_pubkey_format(&other, NULL, &t), 0);
			write_text(d->ps2, t, strlen(t));
			assert_false(minisign_ok(d->pm, d->ps2, d->ps));
			free(t);
		}
	}
}

static void test_truncated_signature_refused(void **state)
{
	struct signed_doc *d = *state;
	struct trust_sig s2;

	for (size_t cut = 0; cut < strlen(d->sig) - 1; cut += 5) {
		int r = trust_sig_parse(d->sig, cut, &s2);

		assert_true(r == -ENODATA || r == -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_seckey_roundtrip),
		cmocka_unit_test(test_seckey_damage),
		cmocka_unit_test(test_pubkey),
		cmocka_unit_test_setup_teardown(test_signature_claims_what_the_roster_checks, sign_setup, sign_teardown),
		cmocka_unit_test_setup_teardown(test_sign_again_gives_the_same_bytes, sign_setup, sign_teardown),
		cmocka_unit_test_setup_teardown(test_every_message_byte_refused, sign_setup, sign_teardown),
		cmocka_unit_test_setup_teardown(test_every_signature_byte_refused, sign_setup, sign_teardown),
		cmocka_unit_test_setup_teardown(test_every_trusted_comment_byte_refused, sign_setup, sign_teardown),
		cmocka_unit_test_setup_teardown(test_other_key_id_refused, sign_setup, sign_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_signature_refused, sign_setup, sign_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
