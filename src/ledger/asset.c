/* asset.c - the asset record: its fields, their validation, its canonical
 * hash, and the check that a detected disk is the asset it claims to be.
 *
 * Pure functions over struct ledger_asset; it must never touch the store.
 */
#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ledger-internal.h"
#include "wipecert/util.h"

/* KIND_LEVEL is a number 1..max (the importance class, the guideline's
 * axes, a threat level); KIND_DATE a day "YYYY-MM-DD"; KIND_JSON an object
 * of texts. */
enum field_kind { KIND_TEXT, KIND_ID, KIND_SIZE, KIND_LEVEL, KIND_STATUS, KIND_DATE, KIND_JSON };

struct field_info {
	const char *name;
	const char *header_en;
	const char *header_ja;
	enum field_kind kind;
	/* KIND_LEVEL: the highest level */
	int max;
	/* more headers accepted on import, '|' separated, compared after
	 * normalisation (lower case, no spaces, '-' or '_') */
	const char *aliases;
};

static const struct field_info fields[_LEDGER_F_MAX] = {
	[LEDGER_F_ASSET_ID] = { "asset_id", "asset_id", "資産番号", KIND_ID, 0,
		"assetid|asset|assetno|assetnumber|資産id|資産ID|管理番号|資産管理番号" },
	[LEDGER_F_MEDIA_TYPE] = { "media_type", "media_type", "媒体種別", KIND_TEXT, 0,
		"mediatype|media|type|媒体|種別|媒体の種類" },
	[LEDGER_F_MANUFACTURER] = { "manufacturer", "manufacturer", "メーカー", KIND_TEXT, 0,
		"vendor|maker|製造元|製造者|メーカー名" },
	[LEDGER_F_MODEL] = { "model", "model", "型番", KIND_TEXT, 0,
		"modelname|modelnumber|機種|モデル|型式" },
	[LEDGER_F_SERIAL] = { "serial", "serial", "シリアル番号", KIND_TEXT, 0,
		"serialnumber|serialno|sn|製造番号|シリアル" },
	[LEDGER_F_WWN] = { "wwn", "wwn", "WWN", KIND_TEXT, 0, "worldwidename" },
	[LEDGER_F_CAPACITY] = { "capacity", "capacity", "容量", KIND_SIZE, 0,
		"capacitybytes|size|容量(バイト)|容量（バイト）" },
	[LEDGER_F_DEPARTMENT] = { "department", "department", "所管課", KIND_TEXT, 0,
		"ownerdepartment|dept|owner_department|部署|所管課/部署|所属|管理部署|所管部署|担当課" },
	[LEDGER_F_LOCATION] = { "location", "location", "設置場所", KIND_TEXT, 0,
		"place|場所|保管場所|保存場所|所在|設置場所・保管場所" },
	[LEDGER_F_IMPORTANCE] = { "importance", "importance", "重要性分類", KIND_LEVEL, 3,
		"class|importanceclass|classification|重要度|重要性|機密性分類" },
	[LEDGER_F_LEASE] = { "lease", "lease", "リース/所有", KIND_TEXT, 0,
		"owner|leaseowner|lease/owner|ownership|所有区分|リース|所有者|リース会社" },
	[LEDGER_F_NOTES] = { "notes", "notes", "備考", KIND_TEXT, 0,
		"note|remarks|comment|comments|メモ" },
	[LEDGER_F_STATUS] = { "status", "status", "状態", KIND_STATUS, 0,
		"state|ステータス" },
	[LEDGER_F_CERTIFICATE] = { "certificate_id", "certificate_id", "証明書番号", KIND_TEXT, 0,
		"certificate|certificateid|cert|証明書|証明書id|証明書ID" },
	[LEDGER_F_NAME] = { "asset_name", "asset_name", "資産名称", KIND_TEXT, 0,
		"name|assetname|資産名|名称|品名|機器名称|情報資産名" },
	[LEDGER_F_MANAGER] = { "manager", "manager", "管理責任者", KIND_TEXT, 0,
		"responsiblemanager|assetmanager|管理者|責任者|情報資産管理責任者|所有者/管理者|管理者名" },
	[LEDGER_F_HOST] = { "host", "host", "搭載機器", KIND_TEXT, 0,
		"hostname|sourcehost|ホスト名|ホスト|搭載機器名|取外し元|取り外し元機器|接続機器|設置機器" },
	[LEDGER_F_DATA] = { "data_held", "data_held", "保存情報", KIND_TEXT, 0,
		"data|dataheld|保存データ|格納情報|記録情報|保有情報|情報の種類|データ種別" },
	[LEDGER_F_ACQUIRED] = { "acquired", "acquired", "取得日", KIND_DATE, 0,
		"acquisitiondate|purchased|purchasedate|購入日|導入日|取得年月日|調達日" },
	[LEDGER_F_LEASE_START] = { "lease_start", "lease_start", "リース開始日", KIND_DATE, 0,
		"leasestartdate|リース開始|賃借開始日|契約開始日" },
	[LEDGER_F_LEASE_END] = { "lease_end", "lease_end", "リース満了日", KIND_DATE, 0,
		"leaseenddate|リース終了日|リース期限|リース満了|賃借終了日|契約終了日" },
	[LEDGER_F_RETENTION] = { "retention", "retention", "保存期限", KIND_DATE, 0,
		"retentionuntil|keepuntil|保存期間満了日|保存期間|保管期限" },
	[LEDGER_F_CONFIDENTIALITY] = { "confidentiality", "confidentiality", "機密性", KIND_LEVEL, 3,
		"confidentialitylevel|機密性区分|機密性レベル" },
	[LEDGER_F_INTEGRITY] = { "integrity", "integrity", "完全性", KIND_LEVEL, 2,
		"integritylevel|完全性区分|完全性レベル" },
	[LEDGER_F_AVAILABILITY] = { "availability", "availability", "可用性", KIND_LEVEL, 2,
		"availabilitylevel|可用性区分|可用性レベル" },
	[LEDGER_F_PERMITTED_BY] = { "permitted_by", "permitted_by", "持出し許可者", KIND_TEXT, 0,
		"permittedby|permit|持出許可者|持ち出し許可者|許可者" },
	[LEDGER_F_RETURN_DUE] = { "return_due", "return_due", "返却予定日", KIND_DATE, 0,
		"returndue|duedate|返却予定|返却期限" },
	[LEDGER_F_INCIDENT] = { "incident", "incident", "事案番号", KIND_TEXT, 0,
		"incidentid|incidentref|インシデント番号|インシデント|事故番号|事案" },
	[LEDGER_F_THREAT] = { "threat_level", "threat_level", "脅威レベル", KIND_LEVEL, 3,
		"threat|threatlevel|脅威度|影響度|深刻度" },
	[LEDGER_F_AGREEMENT] = { "agreement", "agreement", "契約番号", KIND_TEXT, 0,
		"contract|contractor agreement|委託契約|契約|保守契約番号|秘密保持契約" },
	[LEDGER_F_EXTRA] = { "extra", "extra", "その他属性", KIND_JSON, 0,
		"attributes|extraattributes|その他" },
};


const char *ledger_field_name(enum ledger_field f)
{
	return (unsigned)f < _LEDGER_F_MAX ? fields[f].name : NULL;
}

const char *ledger_field_header(enum ledger_field f, bool japanese)
{
	if ((unsigned)f >= _LEDGER_F_MAX)
		return NULL;
	return japanese ? fields[f].header_ja : fields[f].header_en;
}

/* Lower-case ASCII, drop white space (ASCII and U+3000), '-' and '_'. */
void ledger_header_normalise(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == ' ' || c == '\t' || c == '-' || c == '_' || c == '\r' || c == '\n')
			continue;
		if (c == 0xe3 && (unsigned char)in[1] == 0x80 && (unsigned char)in[2] == 0x80) {
			in += 2; /* ideographic space */
			continue;
		}
		out[o++] = (char)tolower(c);
	}
	out[o] = '\0';
}

int ledger_field_from_header(const char *header, enum ledger_field *ret)
{
	char want[256], cand[256];

	if (!header)
		return -EINVAL;
	ledger_header_normalise(header, want, sizeof(want));
	if (!*want)
		return -ENOENT;
	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		const char *names[3] = { fields[f].name, fields[f].header_en, fields[f].header_ja };
		const char *p;

		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			ledger_header_normalise(names[i], cand, sizeof(cand));
			if (streq(cand, want))
				goto found;
		}
		for (p = fields[f].aliases; p && *p;) {
			size_t n = strcspn(p, "|");
			char one[256];

			if (n < sizeof(one)) {
				memcpy(one, p, n);
				one[n] = '\0';
				ledger_header_normalise(one, cand, sizeof(cand));
				if (streq(cand, want))
					goto found;
			}
			p += n + (p[n] == '|');
		}
		continue;
found:
		*ret = (enum ledger_field)f;
		return 0;
	}
	return -ENOENT;
}

/* A level 1..max ("1".."3"), also full-width "１".."３" as Japanese
 * spreadsheets type them. */
static int parse_level(const char *in, int max, char *ret)
{
	char buf[8];

	if (strlen(in) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", in);
	fullwidth_to_ascii(buf);
	if (buf[0] >= '1' && buf[0] < '1' + max && buf[1] == '\0') {
		*ret = buf[0];
		return 0;
	}
	return -EINVAL;
}

/* Other attributes: a JSON object of texts, kept in one stable form (keys
 * sorted, compact) so that the same attributes hash alike; {} is none. */
static int parse_extra(const char *s, char **ret)
{
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL), *v;
	const char *key;
	char *out = NULL;

	if (!json_is_object(j)) {
		json_decref(j);
		return -EINVAL;
	}
	json_object_foreach(j, key, v)
		if (!json_is_string(v) || !*key) {
			json_decref(j);
			return -EINVAL;
		}
	if (json_object_size(j) && !(out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS))) {
		json_decref(j);
		return -ENOMEM;
	}
	json_decref(j);
	*ret = out;
	return 0;
}

static bool has_control(const char *s, bool allow_newline)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 && !(allow_newline && (c == '\n' || c == '\t')))
			return true;
		if (c == 0x7f)
			return true;
	}
	return false;
}

/* Offset of the first byte that is not well-formed UTF-8, or len. */
size_t ledger_utf8_check(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1; cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2; cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3; cp = c & 0x07;
		} else
			return i;
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

int ledger_asset_set(struct ledger_asset *a, enum ledger_field f, const char *value)
{
	_cleanup_free_ char *v = NULL;
	char *s, *nv;

	if ((unsigned)f >= _LEDGER_F_MAX)
		return -EINVAL;
	if (value) {
		v = strdup(value);
		if (!v)
			return -ENOMEM;
	}
	/* a serial or WWN typed full-width in a spreadsheet (ＳＮ１２３) is
	 * the ASCII the disk reports */
	if (v && (f == LEDGER_F_SERIAL || f == LEDGER_F_WWN))
		fullwidth_to_ascii(v);
	s = v ? strstrip(v) : NULL;
	if (!s || !*s) {
		if (fields[f].kind == KIND_ID)
			return -EINVAL;
		free(a->v[f]);
		a->v[f] = NULL;
		return 0;
	}
	if (has_control(s, f == LEDGER_F_NOTES) || ledger_utf8_check((const uint8_t *)s, strlen(s)) != strlen(s))
		return -EINVAL;
	switch (fields[f].kind) {
	case KIND_ID:
		if (strlen(s) > 100)
			return -EINVAL;
		nv = strdup(s);
		break;
	case KIND_SIZE: {
		uint64_t n;
		int r = parse_size_loose(s, &n);

		if (r < 0)
			return r;
		if (n > INT64_MAX)
			return -ERANGE;
		if (asprintf(&nv, "%" PRIu64, n) < 0)
			nv = NULL;
		break;
	}
	case KIND_LEVEL: {
		char c;

		if (parse_level(s, fields[f].max, &c) < 0)
			return -EINVAL;
		nv = strndup(&c, 1);
		break;
	}
	case KIND_STATUS: {
		enum ledger_status st;

		if (ledger_status_from_string(s, &st) < 0)
			return -EINVAL;
		nv = strdup(ledger_status_name(st));
		break;
	}
	case KIND_DATE: {
		char day[11];
		int r = parse_date_ja(s, day);

		if (r < 0)
			return r;
		nv = strdup(day);
		break;
	}
	case KIND_JSON: {
		int r = parse_extra(s, &nv);

		if (r < 0)
			return r;
		if (!nv) { /* {}: none */
			free(a->v[f]);
			a->v[f] = NULL;
			return 0;
		}
		break;
	}
	default:
		nv = strdup(s);
	}
	if (!nv)
		return -ENOMEM;
	free(a->v[f]);
	a->v[f] = nv;
	return 0;
}

const char *ledger_asset_value(const struct ledger_asset *a, enum ledger_field f)
{
	return (unsigned)f < _LEDGER_F_MAX ? a->v[f] : NULL;
}

int ledger_asset_from_texts(const char *const v[_LEDGER_F_MAX], struct ledger_asset *ret)
{
	struct ledger_asset a = {};

	for (unsigned f = 0; f < _LEDGER_F_MAX; f++)
		if (v[f] && !(a.v[f] = strdup(v[f]))) {
			ledger_asset_clear(&a);
			return -ENOMEM;
		}
	*ret = a;
	return 0;
}

void ledger_asset_clear(struct ledger_asset *a)
{
	if (!a)
		return;
	for (unsigned f = 0; f < _LEDGER_F_MAX; f++) {
		free(a->v[f]);
		a->v[f] = NULL;
	}
}

int ledger_asset_copy(const struct ledger_asset *a, struct ledger_asset *ret)
{
	struct ledger_asset n = {};

	for (unsigned f = 0; f < _LEDGER_F_MAX; f++)
		if (a->v[f] && !(n.v[f] = strdup(a->v[f]))) {
			ledger_asset_clear(&n);
			return -ENOMEM;
		}
	*ret = n;
	return 0;
}

int ledger_asset_hold_class(struct ledger_asset *a, int want, char *why, size_t len)
{
	const char *cv = a->v[LEDGER_F_CONFIDENTIALITY], *iv = a->v[LEDGER_F_IMPORTANCE];
	char cls[2];

	if (!cv || want < 1 || want > 3)
		return 0;
	if (!iv) {
		cls[0] = (char)('0' + want);
		cls[1] = '\0';
		return ledger_asset_set(a, LEDGER_F_IMPORTANCE, cls);
	}
	if (iv[0] - '0' > want) {
		snprintf(why, len, "asset %s: 機密性 (confidentiality) %s is held to importance class %d by the policy, "
			 "but its class is %s", a->v[LEDGER_F_ASSET_ID] ?: "?", cv, want, iv);
		return -EPERM;
	}
	return 0;
}

int ledger_asset_check_new(struct ledger_asset *a)
{
	if (!a->v[LEDGER_F_ASSET_ID])
		return -EINVAL;
	if (!a->v[LEDGER_F_STATUS])
		return ledger_asset_set(a, LEDGER_F_STATUS, "in-service");
	return 0;
}

void ledger_hash_str(crypto_generichash_state *st, const char *s)
{
	uint8_t len[8];
	uint64_t n = s ? strlen(s) : 0;

	/* length-prefixed so that no two records serialise alike */
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(n >> (8 * i));
	crypto_generichash_update(st, len, sizeof(len));
	if (n)
		crypto_generichash_update(st, (const uint8_t *)s, n);
}

void ledger_asset_state_hash(const struct ledger_asset *a, char ret_hex[LEDGER_HASH_HEX])
{
	crypto_generichash_state st;
	uint8_t h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	ledger_hash_str(&st, "wipecert.ledger.asset.v1");
	for (unsigned f = 0; f < LEDGER_F_V1_MAX; f++)
		ledger_hash_str(&st, a->v[f]);
	/* the fields of schema 3 by name, and only when set: the hash of an
	 * asset without them is the one older ledgers recorded */
	for (unsigned f = LEDGER_F_V1_MAX; f < _LEDGER_F_MAX; f++)
		if (a->v[f]) {
			ledger_hash_str(&st, fields[f].name);
			ledger_hash_str(&st, a->v[f]);
		}
	crypto_generichash_final(&st, h, sizeof(h));
	hex_encode(h, sizeof(h), ret_hex);
}

/* Trimmed copy, lower case, and for WWNs without "0x" / "naa." / "eui.". */
static char *norm_id(const char *s, bool wwn)
{
	char *c, *p;

	if (!s)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	if (wwn && (strncasecmp(s, "0x", 2) == 0))
		s += 2;
	else if (wwn && (strncasecmp(s, "naa.", 4) == 0 || strncasecmp(s, "eui.", 4) == 0))
		s += 4;
	c = strdup(s);
	if (!c)
		return NULL;
	strstrip(c);
	for (p = c; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!*c) {
		free(c);
		return NULL;
	}
	return c;
}

int ledger_identity_check(const struct ledger_asset *a, const char *serial,
			  const char *wwn, char **ret_reason)
{
	_cleanup_free_ char *ls = norm_id(a->v[LEDGER_F_SERIAL], false);
	_cleanup_free_ char *lw = norm_id(a->v[LEDGER_F_WWN], true);
	_cleanup_free_ char *ds = norm_id(serial, false);
	_cleanup_free_ char *dw = norm_id(wwn, true);
	const char *id = a->v[LEDGER_F_ASSET_ID] ? a->v[LEDGER_F_ASSET_ID] : "?";
	char *reason = NULL;
	int r;

	if (!ls && !lw) {
		r = LEDGER_IDENTITY_NONE_ON_RECORD;
		if (asprintf(&reason, "asset %s has neither serial nor wwn on record", id) < 0)
			return -ENOMEM;
	} else if (!ds && !dw) {
		r = LEDGER_IDENTITY_DEVICE_UNKNOWN;
		if (asprintf(&reason, "the disk reports neither serial nor wwn to compare with asset %s", id) < 0)
			return -ENOMEM;
	} else if (ls && (!ds || !streq(ls, ds))) {
		r = LEDGER_IDENTITY_SERIAL_MISMATCH;
		if (asprintf(&reason, "serial mismatch: asset %s has '%s', the disk reports '%s'",
			     id, a->v[LEDGER_F_SERIAL], serial ? serial : "(none)") < 0)
			return -ENOMEM;
	} else if (lw && (!dw || !streq(lw, dw))) {
		r = LEDGER_IDENTITY_WWN_MISMATCH;
		if (asprintf(&reason, "wwn mismatch: asset %s has '%s', the disk reports '%s'",
			     id, a->v[LEDGER_F_WWN], wwn ? wwn : "(none)") < 0)
			return -ENOMEM;
	} else
		r = LEDGER_IDENTITY_MATCH;
	if (ret_reason)
		*ret_reason = reason;
	else
		free(reason);
	return r;
}
