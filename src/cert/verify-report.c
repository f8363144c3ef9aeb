/* verify-report.c - a signed report (the audit report, the inspection) is
 * checked as a certificate is: the same PDF signature, chain and bag
 * checks, its record (the signer's report) read here, its signer a roster
 * member of the role its type names whose X.509 certificate signed the
 * PDF, its times agreeing. It states no disk of its own: evidence,
 * witness, custody and the QR code do not apply.
 * Never prints.
 */
#include <errno.h>
#include <string.h>

#include "wipecert/canon.h"
#include "wipecert/pdf.h"
#include "wipecert/util.h"
#include "internal.h"

static const struct cert_report_kind kinds[] = {
	{ "audit-report", CERT_AUDIT_SCHEMA, "auditor", "audit report", "rows" },
	{ "inspection", CERT_INSPECTION_SCHEMA, "inspector", "inspection report", "sections" },
};

const struct cert_report_kind *cert_report_kind_of(const char *type)
{
	for (size_t i = 0; type && i < ARRAY_SIZE(kinds); i++)
		if (streq(type, kinds[i].type))
			return &kinds[i];
	return NULL;
}

const struct cert_report_kind *cert_record_report_kind(const uint8_t *rec, size_t len)
{
	json_t *j = json_loadb((const char *)rec, len, JSON_REJECT_DUPLICATES, NULL);
	const struct cert_report_kind *k = j ? cert_report_kind_of(json_string_value(json_object_get(j, "type"))) : NULL;

	json_decref(j);
	return k;
}

int cert_check_report_record(struct cert_vctx *v, const struct cert_report_kind *k)
{
	struct cert_verify_report *rep = v->rep;
	_cleanup_free_ char *canon = NULL;
	const json_t *who;
	json_t *j = NULL;
	time_t t;
	size_t len;

	if (canon_parse((const char *)v->rec, v->rec_len, &j) < 0)
		return cert_vset(v, CHECK_RECORD, false, "the %s is not canonical JSON", k->what), 0;
	if (canon_json(j, &canon, &len) < 0 || len != v->rec_len || memcmp(canon, v->rec, len) != 0) {
		json_decref(j);
		return cert_vset(v, CHECK_RECORD, false, "the attached %s is not in canonical form", k->what), 0;
	}
	who = json_object_get(j, k->signer);
	if (!streq(json_string_value(json_object_get(j, "schema")) ?: "", k->schema) ||
	    !json_string_value(json_object_get(j, "report_id")) ||
	    parse_time(json_string_value(json_object_get(j, "issued_at")) ?: "", &t) < 0 ||
	    !json_string_value(json_object_get(who, "key_id")) || !json_is_array(json_object_get(j, k->rows))) {
		json_decref(j);
		return cert_vset(v, CHECK_RECORD, false, "not a %s %s (schema, report_id, issued_at, %s, %s)", k->schema,
				 k->what, k->signer, k->rows), 0;
	}
	rep->report = j;
	rep->report_kind = k;
	cert_sha256_hex(v->rec, v->rec_len, rep->record_hash);
	cert_vset(v, CHECK_RECORD, true, "%s %s, sha256 %s", k->what, json_string_value(json_object_get(j, "report_id")),
		  rep->record_hash);
	return 0;
}
