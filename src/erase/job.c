/* job.c - the wipe job record: creation, JSON (jansson) both ways, and the
 * directory store of checkpoints. Never touches the target device. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <sodium.h>

#include "wipecert/disk.h"
#include "wipecert/job.h"
#include "wipecert/util.h"

static const char *const job_states[] = {
	[JOB_RUNNING] = "running", [JOB_SUCCEEDED] = "succeeded", [JOB_FAILED] = "failed",
};
static const char *const pass_states[] = {
	[PASS_PENDING] = "pending", [PASS_WRITING] = "writing", [PASS_WRITTEN] = "written",
	[PASS_VERIFYING] = "verifying", [PASS_DONE] = "done",
};
static const char *const vresults[] = {
	[VRESULT_NONE] = "none", [VRESULT_PASSED] = "passed", [VRESULT_FAILED] = "failed",
};

const char *job_state_to_string(enum job_state s)
{
	return (size_t)s < ARRAY_SIZE(job_states) ? job_states[s] : "?";
}

static int lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && streq(names[i], s))
			return (int)i;
	return -EINVAL;
}

int job_set(char **p, const char *s)
{
	char *c = NULL;

	if (s && !(c = strdup(s)))
		return -ENOMEM;
	free(*p);
	*p = c;
	return 0;
}

void job_fail(struct job *j, const char *reason)
{
	j->state = JOB_FAILED;
	if (!j->failure)
		job_set(&j->failure, reason);
}

void job_ranges_add(struct job_ranges *r, uint64_t off, uint64_t len, int err)
{
	r->bytes += len;
	if (r->n > 0) {
		struct job_range *l = &r->v[r->n - 1];

		if (l->err == err && l->offset + l->length == off) {
			l->length += len;
			return;
		}
	}
	r->count++;
	if (r->n >= JOB_MAX_RANGES)
		return;
	if (!r->v && !(r->v = calloc(JOB_MAX_RANGES, sizeof(*r->v))))
		return; /* the count and bytes still say it */
	r->v[r->n++] = (struct job_range){ off, len, err };
}

static void commit_seed(struct job *j)
{
	static const uint8_t label[] = "wipecert seed commitment";
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), j->seed, ERASE_SEED_BYTES, label, sizeof(label) - 1);
	hex_encode(h, sizeof(h), j->commitment);
}

static struct job *job_alloc(void)
{
	struct job *j;

	if (sodium_init() < 0)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->seed = sodium_malloc(ERASE_SEED_BYTES);
	if (!j->seed) {
		free(j);
		return NULL;
	}
	return j;
}

int job_id_make(const char *device, time_t t, char **ret)
{
	char ts[32], rh[9], *id;
	uint8_t rnd[4];
	const char *base = device ? strrchr(device, '/') : NULL;
	int r;

	base = base ? base + 1 : device && *device ? device : "disk";
	r = format_utc_compact(t, ts, sizeof(ts));
	if (r < 0)
		return r;
	randombytes_buf(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), rh);
	if (asprintf(&id, "%s-%.40s-%s", ts, base, rh) < 0)
		return -ENOMEM;
	for (char *c = id; *c; c++)
		if (*c == '/' || *c == ' ')
			*c = '_';
	*ret = id;
	return 0;
}

int job_new(const struct erase_method *m, enum erase_verify v, unsigned sample_percent,
	    const char *device, uint64_t size, unsigned sector, struct job **ret)
{
	struct job *j;
	struct utsname u;

	if (!m || !device || sector == 0 || size < sector || sample_percent < 1 || sample_percent > 100)
		return -EINVAL;
	/* a verify-only method is its read-back: it reads all of the target */
	if (m->verify_only && v != VERIFY_LAST && v != VERIFY_ALL)
		return -EINVAL;
	j = job_alloc();
	if (!j)
		return -ENOMEM;
	randombytes_buf(j->seed, ERASE_SEED_BYTES);
	commit_seed(j);
	j->format = JOB_FORMAT;
	j->created = time(NULL);
	j->size = size / sector * sector;
	j->sector = j->physical_sector = sector;
	j->verify_mode = v;
	j->sample_percent = sample_percent;
	j->n_passes = m->n_passes;
	j->rounds = 1;
	j->verify_only = m->verify_only;
	j->passes = calloc(m->n_passes, sizeof(*j->passes));
	if (!j->passes || job_id_make(device, j->created, &j->id) < 0 || job_set(&j->device, device) < 0 ||
	    job_set(&j->method, m->name) < 0 || job_set(&j->tool_version, WIPECERT_VERSION) < 0 ||
	    job_set(&j->host, uname(&u) == 0 ? u.nodename : NULL) < 0) {
		job_free(j);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->n_passes; i++)
		j->passes[i].pattern = m->passes[i];
	*ret = j;
	return 0;
}

int job_set_rounds(struct job *j, unsigned rounds)
{
	const struct erase_method *m = j ? erase_method_find(j->method) : NULL;
	struct job_pass *p;

	if (!m || rounds < 1 || (m->verify_only && rounds > 1) || j->started ||
	    (uint64_t)m->n_passes * rounds > ERASE_MAX_PASSES)
		return -EINVAL;
	p = calloc((size_t)m->n_passes * rounds, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < (size_t)m->n_passes * rounds; i++)
		p[i].pattern = m->passes[i % m->n_passes];
	free(j->passes);
	j->passes = p;
	j->n_passes = (size_t)m->n_passes * rounds;
	j->rounds = rounds;
	return 0;
}

int job_describe(struct job *j, const struct disk *d, const struct erase_target *t)
{
	if (job_set(&j->name, d->name) < 0 || job_set(&j->model, d->model) < 0 ||
	    job_set(&j->serial, d->serial && *d->serial ? d->serial : NULL) < 0 ||
	    job_set(&j->wwn, d->wwn && *d->wwn ? d->wwn : NULL) < 0 ||
	    job_set(&j->transport, disk_transport_to_string(d->transport)) < 0)
		return -ENOMEM;
	if (t) {
		j->physical_sector = t->physical_sector;
		j->medium = t->medium;
	}
	return 0;
}

const char *job_serial(const struct job *j)
{
	return j->serial ? j->serial : j->attested_serial;
}

enum job_result job_result(const struct job *j)
{
	switch (j->state) {
	case JOB_RUNNING:
		return JOB_RESULT_RUNNING;
	case JOB_SUCCEEDED:
		if (j->verify_only)
			return JOB_RESULT_VERIFIED_ONLY;
		return j->verify_mode == VERIFY_OFF ? JOB_RESULT_NOT_VERIFIED : JOB_RESULT_VERIFIED;
	default:
		return JOB_RESULT_FAILED;
	}
}

const char *job_result_to_string(enum job_result r)
{
	static const char *const names[] = {
		[JOB_RESULT_RUNNING] = "running", [JOB_RESULT_VERIFIED] = "wiped-and-verified",
		[JOB_RESULT_NOT_VERIFIED] = "wiped-not-verified", [JOB_RESULT_FAILED] = "failed",
		[JOB_RESULT_VERIFIED_ONLY] = "verified-only",
	};
	return (size_t)r < ARRAY_SIZE(names) ? names[r] : "?";
}

void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->id);
	free(j->device);
	free(j->name);
	free(j->model);
	free(j->serial);
	free(j->wwn);
	free(j->transport);
	free(j->attested_serial);
	free(j->attested_by);
	free(j->asset);
	free(j->ledger);
	free(j->fp.v);
	free(j->method);
	sodium_free(j->seed);
	for (size_t i = 0; i < j->n_passes; i++) {
		free(j->passes[i].errors.v);
		free(j->passes[i].mismatches.v);
	}
	free(j->passes);
	free(j->failure);
	free(j->signatures_found);
	free(j->host);
	free(j->tool_version);
	free(j->backend);
	free(j);
}

/* ---- JSON ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *time_json(time_t t)
{
	char buf[32];

	if (t == 0 || format_utc(t, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

static json_t *ranges_json(const struct job_ranges *r, unsigned sector)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n; i++) {
		json_t *o = json_pack("{s:I,s:I,s:I,s:I}",
				      "offset", (json_int_t)r->v[i].offset,
				      "length", (json_int_t)r->v[i].length,
				      "lba", (json_int_t)(r->v[i].offset / sector),
				      "sectors", (json_int_t)(r->v[i].length / sector));
		if (r->v[i].err)
			json_object_set_new(o, "errno", json_string(strerrorname_np(r->v[i].err) ?: "?"));
		json_array_append_new(a, o);
	}
	return json_pack("{s:I,s:I,s:o}", "count", (json_int_t)r->count,
			 "bytes", (json_int_t)r->bytes, "ranges", a);
}

/* The job file's checksum: BLAKE2b-256 keyed by a key derived from the
 * seed, over the compact, sorted, ASCII JSON of everything else. It tells a
 * job file edited by hand or damaged from one this program wrote; whoever
 * can read the seed could forge it, so it is no signature. */
static int checksum(const uint8_t *seed, const json_t *o, char out[65])
{
	static const uint8_t label[] = "wipecert job file";
	json_t *c = json_deep_copy(o);
	uint8_t key[32], h[32];
	char *text;

	if (!c)
		return -ENOMEM;
	json_object_del(c, "checksum");
	text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(c);
	if (!text)
		return -ENOMEM;
	crypto_generichash(key, sizeof(key), label, sizeof(label) - 1, seed, ERASE_SEED_BYTES);
	crypto_generichash(h, sizeof(h), (const uint8_t *)text, strlen(text), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(text, strlen(text));
	free(text);
	hex_encode(h, sizeof(h), out);
	return 0;
}

static json_t *samples_json(const struct job_fingerprint *fp)
{
	json_t *a = json_array();
	char hex[2 * JOB_FP_HASH + 1];

	for (size_t i = 0; i < fp->n; i++) {
		hex_encode(fp->v[i].hash, JOB_FP_HASH, hex);
		json_array_append_new(a, json_pack("[I,o]", (json_int_t)fp->v[i].offset,
						   fp->v[i].unreadable ? json_null() : json_string(hex)));
	}
	return a;
}

/* The identity beside path, model, serial...: what resume compares. */
static void identity_to_json(const struct job *j, json_t *dev)
{
	char digest[65];

	json_object_set_new(dev, "physical_sector", json_integer(j->physical_sector));
	json_object_set_new(dev, "medium", j->medium.known ?
			    json_pack("{s:I,s:I,s:I}", "dev", (json_int_t)j->medium.dev, "ino", (json_int_t)j->medium.ino,
				      "offset", (json_int_t)j->medium.offset) : json_null());
	json_object_set_new(dev, "attested", j->attested_serial ?
			    json_pack("{s:s,s:s}", "serial", j->attested_serial, "by", j->attested_by ?: "?") : json_null());
	hex_encode(j->fp.digest, sizeof(j->fp.digest), digest);
	json_object_set_new(dev, "fingerprint", j->fp.n_taken ?
			    json_pack("{s:I,s:i,s:s}", "samples", (json_int_t)j->fp.n_taken, "block", (int)j->fp.block,
				      "blake2b", digest) : json_null());
}

json_t *job_to_json(const struct job *j, bool secret)
{
	json_t *o, *passes = json_array();
	char seedhex[2 * ERASE_SEED_BYTES + 1], hash[65];

	for (size_t i = 0; i < j->n_passes; i++) {
		const struct job_pass *p = &j->passes[i];
		char pat[16];

		json_array_append_new(passes, json_pack(
			"{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:s,s:o,s:i}",
			"pass", (json_int_t)i + 1,
			"pattern", erase_pass_describe(&p->pattern, pat, sizeof(pat)),
			"state", pass_states[p->state],
			"written", (json_int_t)p->written,
			"verified", (json_int_t)p->verified,
			"bytes_written", (json_int_t)p->bytes_written,
			"bytes_read", (json_int_t)p->bytes_read,
			"started", time_json(p->started),
			"ended", time_json(p->ended),
			"errors", ranges_json(&p->errors, j->sector),
			"verification", vresults[p->verify],
			"mismatches", ranges_json(&p->mismatches, j->sector),
			"restarts", (int)p->restarts));
		json_object_set_new(json_array_get(passes, i), "write_ms", json_integer((json_int_t)p->write_ms));
		json_object_set_new(json_array_get(passes, i), "verify_ms", json_integer((json_int_t)p->verify_ms));
	}
	o = json_pack("{s:i,s:s,s:s,s:{s:o,s:o,s:o,s:o,s:o,s:I,s:i},s:s,s:s,s:i,s:s,s:o}",
		      "format", j->format ? (int)j->format : JOB_FORMAT,
		      "id", j->id,
		      "state", job_state_to_string(j->state),
		      "device",
		      "path", json_string(j->device),
		      "name", str_or_null(j->name),
		      "model", str_or_null(j->model),
		      "serial", str_or_null(j->serial),
		      "wwn", str_or_null(j->wwn),
		      "size", (json_int_t)j->size,
		      "logical_sector", (int)j->sector,
		      "method", j->method,
		      "verify", erase_verify_to_string(j->verify_mode),
		      "sample_percent", (int)j->sample_percent,
		      "seed_commitment", j->commitment,
		      "passes", passes);
	if (!o)
		return NULL;
	json_object_set_new(json_object_get(o, "device"), "transport", str_or_null(j->transport));
	json_object_set_new(o, "rounds", json_integer(j->rounds ? j->rounds : 1));
	json_object_set_new(o, "verify_only", json_boolean(j->verify_only));
	json_object_set_new(o, "failure", str_or_null(j->failure));
	json_object_set_new(o, "signatures_checked", json_boolean(j->signatures_checked));
	json_object_set_new(o, "signatures_found", str_or_null(j->signatures_found));
	if (j->verify_mode == VERIFY_SAMPLE) {
		hex_encode(j->sample_hash, sizeof(j->sample_hash), hash);
		json_object_set_new(o, "sample", json_pack("{s:I,s:I,s:s,s:i}", "bytes",
							   (json_int_t)j->sample_bytes, "seed",
							   (json_int_t)j->sample_seed, "blake2b", hash,
							   "percent", (int)j->sample_percent));
	}
	json_object_set_new(o, "created", time_json(j->created));
	json_object_set_new(o, "started", time_json(j->started));
	json_object_set_new(o, "ended", time_json(j->ended));
	json_object_set_new(o, "resumes", json_integer(j->resumes));
	json_object_set_new(o, "host", str_or_null(j->host));
	json_object_set_new(o, "tool", json_pack("{s:s,s:s}", "name", "wipecert",
						 "version", j->tool_version ?: WIPECERT_VERSION));
	json_object_set_new(o, "io_backend", str_or_null(j->backend));
	json_object_set_new(o, "result", json_string(job_result_to_string(job_result(j))));
	json_object_set_new(o, "asset", str_or_null(j->asset));
	json_object_set_new(o, "tuning", json_pack("{s:I,s:i,s:I,s:b}", "block_size", (json_int_t)j->tuning.block_size,
						   "queue_depth", (int)j->tuning.depth,
						   "max_rate", (json_int_t)j->tuning.max_rate, "sync_io", j->tuning.sync_io));
	identity_to_json(j, json_object_get(o, "device"));
	if (secret) {
		hex_encode(j->seed, ERASE_SEED_BYTES, seedhex);
		json_object_set_new(o, "seed", json_string(seedhex));
		sodium_memzero(seedhex, sizeof(seedhex));
		json_object_set_new(o, "ledger", str_or_null(j->ledger));
		/* the samples only while they can serve a resume */
		if (j->state == JOB_RUNNING && j->fp.n)
			json_object_set_new(o, "fingerprint_samples", samples_json(&j->fp));
		if (checksum(j->seed, o, hash) < 0) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "checksum", json_string(hash));
	}
	return o;
}

static int get_str(const json_t *o, const char *key, char **p)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	return job_set(p, json_string_value(v));
}

static int get_u64(const json_t *o, const char *key, uint64_t *ret)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_time(const json_t *o, const char *key, time_t *ret)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		*ret = 0;
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	return parse_time(json_string_value(v), ret);
}

static int get_enum(const json_t *o, const char *key, const char *const *names, size_t n, int *ret)
{
	const json_t *v = json_object_get(o, key);
	int r;

	if (!json_is_string(v))
		return -EINVAL;
	r = lookup(names, n, json_string_value(v));
	if (r < 0)
		return r;
	*ret = r;
	return 0;
}

static int ranges_from_json(const json_t *o, struct job_ranges *r)
{
	const json_t *a = json_object_get(o, "ranges"), *e;
	uint64_t count, bytes;
	size_t i;

	if (!json_is_array(a) || get_u64(o, "count", &count) < 0 || get_u64(o, "bytes", &bytes) < 0)
		return -EINVAL;
	json_array_foreach(a, i, e) {
		uint64_t off, len;
		int err = 0;
		const json_t *en = json_object_get(e, "errno");

		if (get_u64(e, "offset", &off) < 0 || get_u64(e, "length", &len) < 0)
			return -EINVAL;
		if (json_is_string(en)) {
			/* names such as "EIO" back to numbers */
			for (int k = 1; k < 200; k++) {
				const char *nm = strerrorname_np(k);
				if (nm && streq(nm, json_string_value(en))) {
					err = k;
					break;
				}
			}
			if (!err)
				err = EIO;
		}
		/* kept exactly as stored, even ranges that touch */
		if (!r->v && !(r->v = calloc(JOB_MAX_RANGES, sizeof(*r->v))))
			return -ENOMEM;
		if (r->n < JOB_MAX_RANGES)
			r->v[r->n++] = (struct job_range){ off, len, err };
	}
	r->count = count;
	r->bytes = bytes;
	return 0;
}

static int fingerprint_from_json(const json_t *o, const json_t *dev, struct job_fingerprint *fp)
{
	const json_t *f = json_object_get(dev, "fingerprint"), *a = json_object_get(o, "fingerprint_samples"), *e;
	uint64_t n, block;
	uint8_t digest[32];
	size_t i;

	if (!f || json_is_null(f))
		return a ? -EINVAL : 0;
	if (get_u64(f, "samples", &n) < 0 || n > JOB_FP_SAMPLES || get_u64(f, "block", &block) < 0 ||
	    block < 512 || block > 65536 || !json_is_string(json_object_get(f, "blake2b")) ||
	    hex_decode(json_string_value(json_object_get(f, "blake2b")), fp->digest, sizeof(fp->digest)) < 0)
		return -EINVAL;
	fp->n_taken = (size_t)n;
	fp->block = (unsigned)block;
	if (!a)
		return 0; /* an ended job keeps the digest alone */
	if (!json_is_array(a) || json_array_size(a) != n || !(fp->v = calloc(n ? n : 1, sizeof(*fp->v))))
		return -EINVAL;
	json_array_foreach(a, i, e) {
		const json_t *off = json_array_get(e, 0), *h = json_array_get(e, 1);

		if (!json_is_integer(off) || json_integer_value(off) < 0)
			return -EINVAL;
		fp->v[i].offset = (uint64_t)json_integer_value(off);
		if (json_is_null(h))
			fp->v[i].unreadable = true;
		else if (!json_is_string(h) || hex_decode(json_string_value(h), fp->v[i].hash, JOB_FP_HASH) < 0)
			return -EINVAL;
	}
	fp->n = (size_t)n;
	job_fingerprint_seal(fp, digest);
	return sodium_memcmp(digest, fp->digest, sizeof(digest)) == 0 ? 0 : -EINVAL;
}

/* Format 2's identity, asset and tuning. */
static int identity_from_json(const json_t *o, struct job *j)
{
	const json_t *dev = json_object_get(o, "device"), *m = json_object_get(dev, "medium");
	const json_t *att = json_object_get(dev, "attested"), *t = json_object_get(o, "tuning");
	uint64_t u;

	if (get_u64(dev, "physical_sector", &u) < 0 || u > 65536)
		return -EINVAL;
	j->physical_sector = (unsigned)u;
	if (json_is_object(m)) {
		if (get_u64(m, "dev", &j->medium.dev) < 0 || get_u64(m, "ino", &j->medium.ino) < 0 ||
		    get_u64(m, "offset", &j->medium.offset) < 0)
			return -EINVAL;
		j->medium.known = true;
	} else if (m && !json_is_null(m))
		return -EINVAL;
	if (json_is_object(att)) {
		if (get_str(att, "serial", &j->attested_serial) < 0 || !j->attested_serial ||
		    get_str(att, "by", &j->attested_by) < 0)
			return -EINVAL;
	} else if (att && !json_is_null(att))
		return -EINVAL;
	if (fingerprint_from_json(o, dev, &j->fp) < 0)
		return -EINVAL;
	if (get_str(o, "asset", &j->asset) < 0 || get_str(o, "ledger", &j->ledger) < 0)
		return -EINVAL;
	if (!json_is_object(t) || get_u64(t, "block_size", &j->tuning.block_size) < 0 ||
	    get_u64(t, "queue_depth", &u) < 0 || u > 256 || get_u64(t, "max_rate", &j->tuning.max_rate) < 0 ||
	    !json_is_boolean(json_object_get(t, "sync_io")))
		return -EINVAL;
	j->tuning.depth = (unsigned)u;
	j->tuning.sync_io = json_is_true(json_object_get(t, "sync_io"));
	return 0;
}

void job_fingerprint_seal(const struct job_fingerprint *fp, uint8_t ret_digest[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	for (size_t i = 0; i < fp->n; i++) {
		uint8_t le[8], flag = fp->v[i].unreadable;

		for (int k = 0; k < 8; k++)
			le[k] = (uint8_t)(fp->v[i].offset >> (8 * k));
		crypto_generichash_update(&st, le, sizeof(le));
		crypto_generichash_update(&st, fp->v[i].hash, JOB_FP_HASH);
		crypto_generichash_update(&st, &flag, 1);
	}
	crypto_generichash_final(&st, ret_digest, 32);
}

/* The passes of j's method, rounds times over (an older job file says
 * nothing of rounds: one), each as the job file says it went. */
static int passes_from_json(const json_t *o, const json_t *passes, struct job *j)
{
	const struct erase_method *m = erase_method_find(j->method);
	const json_t *p, *v = json_object_get(o, "rounds");
	uint64_t u;
	size_t i;
	int e;

	j->rounds = 1;
	if (v && (get_u64(o, "rounds", &u) < 0 || u < 1 || u > ERASE_MAX_PASSES || (m->verify_only && u > 1)))
		return -EINVAL;
	if (v)
		j->rounds = (unsigned)u;
	j->verify_only = m->verify_only;
	v = json_object_get(o, "verify_only");
	if (v && (!json_is_boolean(v) || json_is_true(v) != m->verify_only))
		return -EINVAL;
	if (json_array_size(passes) != (size_t)m->n_passes * j->rounds)
		return -EINVAL;
	j->n_passes = json_array_size(passes);
	j->passes = calloc(j->n_passes, sizeof(*j->passes));
	if (!j->passes)
		return -ENOMEM;
	json_array_foreach(passes, i, p) {
		struct job_pass *jp = &j->passes[i];

		jp->pattern = m->passes[i % m->n_passes];
		if (get_enum(p, "state", pass_states, ARRAY_SIZE(pass_states), &e) < 0)
			return -EINVAL;
		jp->state = (enum pass_state)e;
		if (get_enum(p, "verification", vresults, ARRAY_SIZE(vresults), &e) < 0)
			return -EINVAL;
		jp->verify = (enum verify_result)e;
		if (get_u64(p, "written", &jp->written) < 0 || jp->written > j->size ||
		    get_u64(p, "verified", &jp->verified) < 0 || jp->verified > j->size ||
		    get_u64(p, "bytes_written", &jp->bytes_written) < 0 ||
		    get_u64(p, "bytes_read", &jp->bytes_read) < 0 ||
		    get_time(p, "started", &jp->started) < 0 || get_time(p, "ended", &jp->ended) < 0 ||
		    ranges_from_json(json_object_get(p, "errors"), &jp->errors) < 0 ||
		    ranges_from_json(json_object_get(p, "mismatches"), &jp->mismatches) < 0 ||
		    get_u64(p, "restarts", &u) < 0 || get_u64(p, "write_ms", &jp->write_ms) < 0 ||
		    get_u64(p, "verify_ms", &jp->verify_ms) < 0)
			return -EINVAL;
		jp->restarts = (unsigned)u;
	}
	return 0;
}

int job_from_json(const json_t *o, struct job **ret)
{
	const json_t *dev = json_object_get(o, "device"), *passes = json_object_get(o, "passes");
	const json_t *seed = json_object_get(o, "seed"), *v;
	struct job *j;
	uint64_t u;
	int r = -EINVAL, e;

	if (!json_is_object(o) || !json_is_object(dev) || !json_is_array(passes) ||
	    json_array_size(passes) == 0 || json_array_size(passes) > ERASE_MAX_PASSES)
		return -EINVAL;
	v = json_object_get(o, "format");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > JOB_FORMAT)
		return -EPROTONOSUPPORT;
	j = job_alloc();
	if (!j)
		return -ENOMEM;
	j->format = (unsigned)json_integer_value(v);
	if (!json_is_string(seed) || hex_decode(json_string_value(seed), j->seed, ERASE_SEED_BYTES) < 0)
		goto out;
	commit_seed(j);
	v = json_object_get(o, "seed_commitment");
	if (!json_is_string(v) || !streq(json_string_value(v), j->commitment))
		goto out; /* the seed is not the one the job was started with */
	if (j->format >= 2) {
		char want[65];

		v = json_object_get(o, "checksum");
		r = checksum(j->seed, o, want);
		if (r < 0)
			goto out;
		if (!json_is_string(v) || !streq(json_string_value(v), want)) {
			r = -EBADMSG; /* edited by hand, or damaged */
			goto out;
		}
		r = -EINVAL;
		if (identity_from_json(o, j) < 0)
			goto out;
	}
	if (get_str(o, "id", &j->id) < 0 || !j->id || get_str(dev, "path", &j->device) < 0 || !j->device ||
	    get_str(dev, "name", &j->name) < 0 || get_str(dev, "model", &j->model) < 0 ||
	    get_str(dev, "serial", &j->serial) < 0 || get_str(dev, "wwn", &j->wwn) < 0 ||
	    get_str(dev, "transport", &j->transport) < 0 || get_u64(dev, "size", &j->size) < 0 ||
	    get_u64(dev, "logical_sector", &u) < 0 || u < 512 || u > 65536 ||
	    get_str(o, "method", &j->method) < 0 || !erase_method_find(j->method) ||
	    get_str(o, "failure", &j->failure) < 0 || get_str(o, "signatures_found", &j->signatures_found) < 0 ||
	    get_str(o, "host", &j->host) < 0 || get_str(o, "io_backend", &j->backend) < 0 ||
	    get_time(o, "created", &j->created) < 0 || get_time(o, "started", &j->started) < 0 ||
	    get_time(o, "ended", &j->ended) < 0)
		goto out;
	j->sector = (unsigned)u;
	if (j->size < j->sector || j->size % j->sector)
		goto out;
	if (!j->physical_sector)
		j->physical_sector = j->sector;
	if (get_enum(o, "state", job_states, ARRAY_SIZE(job_states), &e) < 0)
		goto out;
	j->state = (enum job_state)e;
	if (!json_is_string(json_object_get(o, "verify")) ||
	    erase_verify_from_string(json_string_value(json_object_get(o, "verify")), &j->verify_mode) < 0)
		goto out;
	if (get_u64(o, "sample_percent", &u) < 0 || u < 1 || u > 100)
		goto out;
	j->sample_percent = (unsigned)u;
	if (get_u64(o, "resumes", &u) < 0 || u > UINT_MAX)
		goto out;
	j->resumes = (unsigned)u;
	j->signatures_checked = json_is_true(json_object_get(o, "signatures_checked"));
	v = json_object_get(o, "sample");
	if (json_is_object(v)) {
		const json_t *h = json_object_get(v, "blake2b");
		if (get_u64(v, "bytes", &j->sample_bytes) < 0 || get_u64(v, "seed", &j->sample_seed) < 0 ||
		    !json_is_string(h) ||
		    hex_decode(json_string_value(h), j->sample_hash, sizeof(j->sample_hash)) < 0)
			goto out;
	}
	v = json_object_get(json_object_get(o, "tool"), "version");
	if (job_set(&j->tool_version, json_is_string(v) ? json_string_value(v) : WIPECERT_VERSION) < 0)
		goto out;

	r = passes_from_json(o, passes, j);
	if (r < 0)
		goto out;
	*ret = TAKE_PTR(j);
	r = 0;
out:
	job_free(j);
	return r;
}

/* ---- the directory store ---- */

struct dir_store {
	char *dir;
};

static char *dir_path(struct dir_store *s, const char *id)
{
	char *p;

	if (strchr(id, '/'))
		return strdup(id);
	if (asprintf(&p, "%s/%s.json", s->dir, id) < 0)
		return NULL;
	return p;
}

static int dir_save(void *ctx, const struct job *j)
{
	_cleanup_free_ char *path = dir_path(ctx, j->id);
	json_t *o;
	char *text;
	int r;

	if (!path)
		return -ENOMEM;
	crash_point("job-save");
	o = job_to_json(j, true);
	if (!o)
		return -ENOMEM;
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (!text)
		return -ENOMEM;
	r = write_file_atomic(path, text, strlen(text), 0600, false);
	sodium_memzero(text, strlen(text));
	free(text);
	return r;
}

static int dir_load(void *ctx, const char *id, struct job **ret)
{
	_cleanup_free_ char *path = dir_path(ctx, id);
	json_error_t err;
	json_t *o;
	int r;

	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) < 0)
		return -errno;
	o = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!o)
		return -EBADMSG;
	r = job_from_json(o, ret);
	json_decref(o);
	return r;
}

static void dir_free(void *ctx)
{
	struct dir_store *s = ctx;

	if (s)
		free(s->dir);
	free(s);
}

static const struct job_store_ops dir_ops = { dir_save, dir_load, dir_free };

static int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *c = p + 1; *c; c++)
		if (*c == '/') {
			*c = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -errno;
			*c = '/';
		}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int job_store_open_dir(const char *dir, struct job_store *ret)
{
	struct dir_store *s;
	int r;

	if (!dir || !*dir)
		dir = getenv("WIPECERT_STATE_DIR");
	if (!dir || !*dir)
		dir = JOB_STATE_DIR_DEFAULT;
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return -ENOMEM;
	}
	*ret = (struct job_store){ &dir_ops, s };
	return 0;
}

int job_store_save(struct job_store *s, const struct job *j)
{
	return s && s->ops ? s->ops->save(s->ctx, j) : 0;
}

int job_store_load(struct job_store *s, const char *id, struct job **ret)
{
	return s && s->ops ? s->ops->load(s->ctx, id, ret) : -ENOENT;
}

void job_store_close(struct job_store *s)
{
	if (s && s->ops && s->ops->free)
		s->ops->free(s->ctx);
	if (s)
		*s = (struct job_store){ 0 };
}

char *job_store_path(struct job_store *s, const char *id)
{
	return s && s->ops == &dir_ops ? dir_path(s->ctx, id) : NULL;
}
