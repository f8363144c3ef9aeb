/* x509.h - the organisation's X.509 CA and approvers' certificates.
 *
 * Its job: certificates that PDF readers (poppler/NSS, Acrobat) accept for
 * the certificate's CMS signature: ECDSA P-256, a CA with basicConstraints
 * CA:TRUE and keyCertSign, end-entity certificates with keyUsage
 * digitalSignature + nonRepudiation and no extended key usage (pdfsig
 * distrusts codeSigning/serverAuth). It must never issue a certificate for
 * a key it has not seen sign its request.
 */
#ifndef WIPECERT_X509_H
#define WIPECERT_X509_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Self-signed CA certificate for org with key, valid from now for years. */
int x509_ca_create(EVP_PKEY *key, const char *org, time_t now, int years, X509 **ret);

/* End-entity certificate for pub (CN=name, O=org) signed by the CA. */
int x509_issue(EVP_PKEY *ca_key, X509 *ca_cert, EVP_PKEY *pub, const char *name, const char *org,
	       time_t not_before, time_t not_after, X509 **ret);

/* A PEM certificate request for key (CN=name, O=org), signed by key. */
int x509_csr_create(EVP_PKEY *key, const char *name, const char *org, char **ret_pem);
/* Parse a PEM CSR and check its self-signature; *ret_pub its public key. */
int x509_csr_parse(const char *pem, size_t len, EVP_PKEY **ret_pub);

/* PEM of one certificate, appended to *buf (malloc'd, NUL-terminated). */
int x509_pem_append(X509 *cert, char **buf);
/* The one PEM reader: append every certificate of the PEM file at path to
 * sk. Returns how many (> 0); -ENOENT and the like when the file cannot be
 * read, -EINVAL when it holds no certificate, -ENOMEM. On failure the
 * certificates appended before it stay in sk (the caller owns them). */
int x509_pem_load_all(const char *path, STACK_OF(X509) *sk);
/* Read PEM certificates from path: the first in *ret_cert, the rest in
 * *ret_chain (may be NULL to ignore). */
int x509_load_pem(const char *path, X509 **ret_cert, STACK_OF(X509) **ret_chain);

/* Open PKCS#12 (pass may be "" or NULL) into key, certificate and chain. */
int x509_p12_parse(const uint8_t *data, size_t len, const char *pass, EVP_PKEY **ret_key,
		   X509 **ret_cert, STACK_OF(X509) **ret_chain);

#endif
