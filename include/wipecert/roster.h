/* roster.h - changing the trust directory: init, add, revoke, pin.
 *
 * Its job: the organisation root's side of trust.h. Every change loads the
 * current roster (checked against root.pub), applies one edit, and writes
 * the new canonical JSON and its minisign signature by the root. It must
 * never write a roster the given root key cannot sign, nor one whose
 * signature it has not verified.
 */
#ifndef WIPECERT_ROSTER_H
#define WIPECERT_ROSTER_H

#include "wipecert/trust.h"

/* A new trust directory for root's organisation: root.pub, roster.json
 * (with the root as its first member, valid for `years`), an empty
 * revoked.json, both signed, and ca.crt (a P-256 CA made with root's X.509
 * key). A contractor's roster ("contractor": true) lists only the
 * contractor roles; an owner's roster never lists them. -EEXIST if dir
 * already holds a roster. */
int roster_init(const char *dir, const struct trust_seckey *root, time_t now, int years,
		bool contractor);

/* Add a member (m->name, role, org, pk, validity, x509_sha256). The org
 * must be the roster's own; contractor members go into the contractor's
 * roster. -EEXIST if the key id is listed already. */
int roster_add(const char *dir, const struct trust_seckey *root, const struct trust_member *m,
	       time_t now);

/* Revoke a key (ours or a contractor's) from `at` on; reason e.g.
 * "key-compromise" (refuses every signature, whatever its time),
 * "superseded", "left-organisation". -EEXIST if revoked already. */
int roster_revoke(const char *dir, const struct trust_seckey *root,
		  const uint8_t keyid[TRUST_KEYID_BYTES], time_t at, const char *reason, time_t now);

/* Pin a contractor's root key: its roster in contractors/KEYID/ is then
 * accepted for the contractor roles. */
int roster_pin_contractor(const char *dir, const struct trust_seckey *root, const char *org,
			  const struct trust_pubkey *contractor_root, time_t now);

/* Issue an X.509 certificate for an approver from the CSR (PEM) with the
 * CA in dir (its key is root's X.509 key): subject CN=name, O=org from m;
 * written to dir/members/KEYID.crt; fingerprint into ret_fpr. */
int roster_issue_cert(const char *dir, const struct trust_seckey *root, const struct trust_member *m,
		      const char *csr_pem, size_t csr_len, char ret_fpr[TRUST_FPR_STRLEN]);

/* Can m join the roster of s? 0; -EXDEV for a member of another
 * organisation (a contractor's root is pinned instead, roster_pin_contractor);
 * -EEXIST if its key is listed. roster_add() holds to the same rules; this
 * says so before the root key is unlocked. */
int roster_check_new_member(const struct trust_store *s, const struct trust_member *m);

/* Enrol m with its certificate: from cert_path (a PEM certificate of the
 * organisation's own PKI) or, for a role that signs certificates, issued
 * from csr (-ENOENT without one); then the roster entry (roster_add()). On
 * failure no certificate is left in members/. -EBADMSG: cert_path is not a
 * PEM certificate. */
int roster_enroll(const char *dir, const struct trust_seckey *root, struct trust_member *m,
		  const char *cert_path, const char *csr, size_t csr_len, time_t now);

/* Bring in a contractor's trust directory from: its signed roster and
 * revocation list (and its CA, if it has one) into contractors/KEYID/ of
 * dir, kept only if the store then loads and our roster pins its root
 * (*ret_root). -ENOKEY: not pinned; another -errno from trust_store_open():
 * not accepted (trust_store_failed_file() says where); in both cases
 * nothing is left. When reading or writing a file failed, *ret_failed
 * names it. *ret_dst: where it went. */
int roster_import_contractor(const char *dir, const char *from, struct trust_pubkey *ret_root,
			     char **ret_dst, const char **ret_failed);

#endif
