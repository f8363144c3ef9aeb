/* verify-cms.c - the checks of the PDF's CMS signature: it matches the
 * signed bytes, its signer chains to a trusted CA at the signing time, and
 * nothing in it that the signature does not cover differs from what was
 * issued.
 *
 * A CMS SignedData signs only the signed attributes; its certificates bag
 * (and unsigned attributes, CRLs) could change without breaking the
 * signature. A file that differs from the issued one must never verify,
 * so each of those parts is held to what the issuing path writes. Never
 * prints.
 */
#include <errno.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "wipecert/pdf.h"
#include "wipecert/trust.h"
#include "wipecert/util.h"
#include "internal.h"

static time_t cms_signing_time(CMS_SignerInfo *si)
{
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	struct tm tm;
	int idx;

	if ((idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1)) < 0 ||
	    CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, idx) >= 0)
		return 0;
	a = CMS_signed_get_attr(si, idx);
	if (!a || X509_ATTRIBUTE_count(a) != 1)
		return 0;
	t = X509_ATTRIBUTE_get0_type(a, 0);
	if (!t || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME))
		return 0;
	if (!ASN1_TIME_to_tm(t->value.asn1_string, &tm))
		return 0;
	return timegm(&tm);
}

/* RFC 2253 with UTF-8 kept as it is: a Japanese name stays readable */
static char *subject_of(X509 *x)
{
	BIO *nb = BIO_new(BIO_s_mem());
	char buf[256];
	int n = nb ? X509_NAME_print_ex(nb, X509_get_subject_name(x), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) : -1;

	if (n < 0 || (n = BIO_read(nb, buf, (int)sizeof(buf) - 1)) < 0)
		X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
	else
		buf[n] = '\0';
	BIO_free(nb);
	return strdup(buf);
}

/* The digest of the signed ranges against the signer's messageDigest.
 * CMS_verify() by hand (OpenSSL 3.0's leaks a BIO on some failures). */
static int digest_matches(struct cert_vctx *v, CMS_SignerInfo *si, bool *ret)
{
	size_t n1 = (size_t)v->br[1], n2 = (size_t)v->br[3];
	_cleanup_free_ uint8_t *data = malloc(n1 + n2 + 1);
	BIO *in, *cmsbio;
	char tmp[4096];

	*ret = false;
	if (!data)
		return -ENOMEM;
	memcpy(data, v->pdf, n1);
	memcpy(data + n1, v->pdf + v->br[2], n2);
	in = BIO_new_mem_buf(data, (int)(n1 + n2));
	if (!in)
		return -ENOMEM;
	cmsbio = CMS_dataInit(v->cms, in);
	if (cmsbio) {
		while (BIO_read(cmsbio, tmp, sizeof(tmp)) > 0)
			;
		*ret = CMS_SignerInfo_verify_content(si, cmsbio) == 1;
	}
	while (cmsbio && cmsbio != in) {
		BIO *next = BIO_pop(cmsbio);

		BIO_free(cmsbio);
		cmsbio = next;
	}
	BIO_free(in);
	ERR_clear_error();
	return 0;
}

/* ---- the shape of the blob ----
 *
 * The signature covers the signed attributes only. The fields around
 * them that OpenSSL reads but does not judge (SignedData and SignerInfo
 * versions, the outer digestAlgorithms set, the encapsulated content
 * type) are held to the one shape cert_pdf_sign() writes, so that no byte
 * of the blob can change unnoticed:
 *   ContentInfo { signedData, [0] SignedData { 1, { alg }, { data },
 *     [0] certificates, { SignerInfo { 1, sid, alg, [0] attrs, sigalg, sig } } } }
 */
struct der {
	const uint8_t *p, *end;
};

/* The next TLV of tag; its contents in *in. false when absent or malformed. */
static bool der_take(struct der *d, uint8_t tag, struct der *in)
{
	size_t len = 0, n;

	if (d->end - d->p < 2 || d->p[0] != tag)
		return false;
	if (d->p[1] < 0x80) {
		len = d->p[1];
		n = 2;
	} else {
		size_t k = d->p[1] & 0x7f;

		if (k == 0 || k > 3 || (size_t)(d->end - d->p) < 2 + k)
			return false;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | d->p[2 + i];
		n = 2 + k;
	}
	if ((size_t)(d->end - d->p) - n < len)
		return false;
	in->p = d->p + n;
	in->end = in->p + len;
	d->p = in->end;
	return true;
}

static bool der_is(const struct der *d, const uint8_t *want, size_t len)
{
	return (size_t)(d->end - d->p) == len && memcmp(d->p, want, len) == 0;
}

static const char *cms_shape(const uint8_t *der, size_t len)
{
	static const uint8_t signed_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
	static const uint8_t data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
	static const uint8_t one[] = { 0x01 };
	struct der top = { der, der + len }, ci, x, sd, algs, alg1, enc, sis, si, alg2;

	if (!der_take(&top, 0x30, &ci) || top.p != top.end || !der_take(&ci, 0x06, &x) ||
	    !der_is(&x, signed_data, sizeof(signed_data)) || !der_take(&ci, 0xa0, &x) || ci.p != ci.end ||
	    !der_take(&x, 0x30, &sd) || x.p != x.end)
		return "not one ContentInfo of type signedData";
	if (!der_take(&sd, 0x02, &x) || !der_is(&x, one, 1))
		return "the SignedData version is not 1";
	if (!der_take(&sd, 0x31, &algs) || !der_take(&algs, 0x30, &alg1) || algs.p != algs.end)
		return "the SignedData names not exactly one digest algorithm";
	if (!der_take(&sd, 0x30, &enc) || !der_take(&enc, 0x06, &x) || !der_is(&x, data, sizeof(data)) ||
	    enc.p != enc.end)
		return "the encapsulated content is not detached id-data";
	if (!der_take(&sd, 0xa0, &x))
		return "the SignedData carries no certificates";
	if (!der_take(&sd, 0x31, &sis) || sd.p != sd.end)
		return "the SignedData carries CRLs or more than its signer infos";
	if (!der_take(&sis, 0x30, &si) || sis.p != sis.end)
		return "not exactly one signer info";
	if (!der_take(&si, 0x02, &x) || !der_is(&x, one, 1))
		return "the SignerInfo version is not 1 (issuer and serial number)";
	if (!der_take(&si, 0x30, &x) || !der_take(&si, 0x30, &alg2) ||
	    alg2.end - alg2.p != alg1.end - alg1.p || memcmp(alg1.p, alg2.p, (size_t)(alg1.end - alg1.p)) != 0)
		return "the SignedData's digest algorithm is not the signer's";
	if (!der_take(&si, 0xa0, &x) || !der_take(&si, 0x30, &x) || !der_take(&si, 0x04, &x) || si.p != si.end)
		return "the signer info is not signed attributes, algorithm and signature alone";
	return NULL;
}

/* The algorithms as OpenSSL writes them: SHA-256 (parameters absent or
 * NULL), ECDSA with SHA-256 (absent) or RSA (NULL). OpenSSL verifies with
 * the key's own method and would not notice another OID here. */
static bool algorithms_known(CMS_SignerInfo *si)
{
	X509_ALGOR *dig = NULL, *sig = NULL;
	const ASN1_OBJECT *obj;
	const void *pv;
	int ptype, nid;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	if (!dig || !sig)
		return false;
	X509_ALGOR_get0(&obj, &ptype, &pv, dig);
	if (OBJ_obj2nid(obj) != NID_sha256 || (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL))
		return false;
	X509_ALGOR_get0(&obj, &ptype, &pv, sig);
	nid = OBJ_obj2nid(obj);
	if (nid == NID_ecdsa_with_SHA256)
		return ptype == V_ASN1_UNDEF;
	return (nid == NID_rsaEncryption || nid == NID_sha256WithRSAEncryption) && ptype == V_ASN1_NULL;
}

int cert_check_cms(struct cert_vctx *v)
{
	const char *shape;
	struct cert_verify_report *rep = v->rep;
	const uint8_t *p = v->der;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	bool ok;
	int r;

	v->cms = d2i_CMS_ContentInfo(NULL, &p, (long)v->der_len);
	if (!v->cms || p != v->der + v->der_len) {
		ERR_clear_error();
		return cert_vset(v, CHECK_CMS, false, "/Contents is not a CMS signature"), 0;
	}
	shape = cms_shape(v->der, v->der_len);
	if (shape)
		return cert_vset(v, CHECK_CMS, false, "the CMS signature is not as issued: %s", shape), 0;
	sis = CMS_get0_SignerInfos(v->cms);
	if (!sis || sk_CMS_SignerInfo_num(sis) != 1)
		return cert_vset(v, CHECK_CMS, false, "the CMS signature has %d signers, not one",
				 sis ? sk_CMS_SignerInfo_num(sis) : 0), 0;
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (!algorithms_known(si))
		return cert_vset(v, CHECK_CMS, false, "the CMS signature is not as issued: its algorithms are not "
				 "SHA-256 with ECDSA or RSA"), 0;
	if (CMS_set1_signers_certs(v->cms, NULL, 0) <= 0 ||
	    (CMS_SignerInfo_get0_algs(si, NULL, &v->signer, NULL, NULL), !v->signer)) {
		ERR_clear_error();
		return cert_vset(v, CHECK_CMS, false, "the CMS signature does not include the signer's certificate"), 0;
	}
	if (CMS_signed_get_attr_count(si) <= 0 || CMS_SignerInfo_verify(si) != 1) {
		ERR_clear_error();
		return cert_vset(v, CHECK_CMS, false, "the CMS signature over its signed attributes is invalid"), 0;
	}
	r = digest_matches(v, si, &ok);
	if (r < 0)
		return r;
	if (!ok)
		return cert_vset(v, CHECK_CMS, false, "the CMS signature does not match the signed bytes (digest mismatch)"), 0;
	rep->cms_signing_time = cms_signing_time(si);
	free(rep->signer_subject);
	rep->signer_subject = subject_of(v->signer);
	if (!rep->signer_subject)
		return -ENOMEM;
	if (trust_x509_fingerprint(v->signer, rep->signer_sha256) < 0)
		rep->signer_sha256[0] = '\0';
	cert_vset(v, CHECK_CMS, true, "signed by %s", rep->signer_subject);
	return 0;
}

int cert_check_chain(struct cert_vctx *v)
{
	STACK_OF(X509) *certs = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	time_t when = v->rep->cms_signing_time;
	int r = 0;

	if (!v->trusted || sk_X509_num(v->trusted) == 0)
		return cert_vset(v, CHECK_CHAIN, false, "no trusted CA given"), 0;
	if (!(X509_get_key_usage(v->signer) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		return cert_vset(v, CHECK_CHAIN, false, "the signer's certificate is not for signatures (key usage)"), 0;
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	certs = CMS_get1_certs(v->cms);
	if (!store || !ctx) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < sk_X509_num(v->trusted); i++)
		X509_STORE_add_cert(store, sk_X509_value(v->trusted, i));
	if (!X509_STORE_CTX_init(ctx, store, v->signer, certs)) {
		r = -ENOMEM;
		goto out;
	}
	/* judged at the time of signing: an archived certificate stays valid
	 * after the approver's certificate expires */
	if (when)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), when);
	if (X509_verify_cert(ctx) != 1) {
		cert_vset(v, CHECK_CHAIN, false, "the signer's certificate does not chain to a trusted CA: %s",
			  X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	v->chain = X509_STORE_CTX_get1_chain(ctx);
	if (!v->chain) {
		r = -ENOMEM;
		goto out;
	}
	if (when)
		cert_vset(v, CHECK_CHAIN, true, "chains to a trusted CA at the signing time");
	else
		cert_vset(v, CHECK_CHAIN, true, "chains to a trusted CA");
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

static bool same_der(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la = i2d_X509(a, &da), lb = i2d_X509(b, &db);
	bool same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

/* The bag and the rest of what the signature does not cover: every
 * certificate in it is one of the chain just verified (the trusted CA's
 * own copy, not a look-alike), byte for byte; no CRLs, no unsigned
 * attributes; and the blob is the DER encoding of what was parsed, so no
 * byte can differ without a different meaning. */
int cert_check_bag(struct cert_vctx *v)
{
	STACK_OF(X509) *certs = CMS_get1_certs(v->cms);
	STACK_OF(X509_CRL) *crls = CMS_get1_crls(v->cms);
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(v->cms), 0);
	unsigned char *again = NULL;
	int n_again, r = 0;

	if (sk_X509_CRL_num(crls) > 0) {
		cert_vset(v, CHECK_BAG, false, "the CMS signature carries CRLs: wipecert issues none");
		goto out;
	}
	if (CMS_unsigned_get_attr_count(si) > 0) {
		cert_vset(v, CHECK_BAG, false, "the CMS signer carries unsigned attributes: wipecert issues none");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *c = sk_X509_value(certs, i);
		bool found = false;

		for (int k = 0; !found && k < sk_X509_num(v->chain); k++)
			found = same_der(c, sk_X509_value(v->chain, k));
		if (!found) {
			char *subj = NULL;
			X509_NAME *nm = X509_get_subject_name(c);

			subj = nm ? X509_NAME_oneline(nm, NULL, 0) : NULL;
			cert_vset(v, CHECK_BAG, false, "certificate %d of the CMS bag (%s) is not one of the verified "
				  "chain, byte for byte (changed, or a stranger)", i + 1, subj ? subj : "?");
			OPENSSL_free(subj);
			goto out;
		}
	}
	n_again = i2d_CMS_ContentInfo(v->cms, &again);
	if (n_again < 0) {
		r = -ENOMEM;
		goto out;
	}
	if ((size_t)n_again != v->der_len || memcmp(again, v->der, v->der_len) != 0) {
		cert_vset(v, CHECK_BAG, false, "the CMS blob is not the DER encoding of what it holds");
		goto out;
	}
	cert_vset(v, CHECK_BAG, true, "%d certificates, each one of the verified chain", sk_X509_num(certs));
out:
	ERR_clear_error();
	OPENSSL_free(again);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return r;
}
