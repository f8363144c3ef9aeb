/* verify-audit.c - an audit report is checked as a certificate is: the
 * same PDF signature, chain and bag checks, its record (the auditor's
 * signed report) read here, its signer an auditor of the roster whose
 * X.509 certificate signed the PDF, its times agreeing. It states no disk
 * of its own: evidence, witness, custody and the QR code do not apply.
 * Never prints.
 */
#include <errno.h>
#include <string.h>

#include "wipecert/canon.h"
#include "wipecert/pdf.h"
#include "wipecert/util.h"
#include "internal.h"

bool cert_is_audit_report(const uint8_t *rec, size_t len)
{
	json_t *j = json_loadb((const char *)rec, len, JSON_REJECT_DUPLICATES, NULL);
	bool yes = j && streq(json_string_value(json_object_get(j, "type")) ?: "", "audit-report");

	json_decref(j);
	return yes;
}

int cert_check_audit_record(struct cert_vctx *v)
{
	struct cert_verify_report *rep = v->rep;
	_cleanup_free_ char *canon = NULL;
	const json_t *au;
	json_t *j = NULL;
	time_t t;
	size_t len;

	if (canon_parse((const char *)v->rec, v->rec_len, &j) < 0)
		return cert_vset(v, CHECK_RECORD, false, "the audit report is not canonical JSON"), 0;
	if (canon_json(j, &canon, &len) < 0 || len != v->rec_len || memcmp(canon, v->rec, len) != 0) {
		json_decref(j);
		return cert_vset(v, CHECK_RECORD, false, "the attached audit report is not in canonical form"), 0;
	}
	au = json_object_get(j, "auditor");
	if (!streq(json_string_value(json_object_get(j, "schema")) ?: "", CERT_AUDIT_SCHEMA) ||
	    !json_string_value(json_object_get(j, "report_id")) ||
	    parse_time(json_string_value(json_object_get(j, "issued_at")) ?: "", &t) < 0 ||
	    !json_string_value(json_object_get(au, "key_id")) || !json_is_array(json_object_get(j, "rows"))) {
		json_decref(j);
		return cert_vset(v, CHECK_RECORD, false, "not a %s audit report (schema, report_id, issued_at, auditor, "
				 "rows)", CERT_AUDIT_SCHEMA), 0;
	}
	rep->audit = j;
	cert_sha256_hex(v->rec, v->rec_len, rep->record_hash);
	cert_vset(v, CHECK_RECORD, true, "audit report %s, sha256 %s", json_string_value(json_object_get(j, "report_id")),
		  rep->record_hash);
	return 0;
}
