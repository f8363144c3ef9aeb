/* firmware.c - a firmware erase (NVMe Format/Sanitize, ATA Security
 * Erase, SCSI Sanitize, ...) written down as a job record with the same
 * fields an overwrite's has, so that sealing, approval and the certificate
 * treat both alike (see flow.h).
 *
 * Never prints; the drive layer talks to the drive, this file names the
 * job and keeps its record.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "wipecert/disk.h"
#include "wipecert/drive.h"
#include "wipecert/flow.h"
#include "wipecert/job.h"
#include "wipecert/util.h"
#include "flow-internal.h"

/* One pass, pattern "firmware", verified by the sampled read-back, plus
 * the drive's own answer under "firmware". */
static json_t *firmware_job_json(const struct disk *d, const char *id, const struct drive_erase_result *res)
{
	bool ok = !res->refused && !res->error && res->verdict == DRIVE_VERDICT_PASSED;
	const char *verdict = drive_verdict_to_string(res->verdict);
	char t0[32] = "", t1[32] = "", host[256] = "";

	format_utc((time_t)(res->started_ns / 1000000000ull), t0, sizeof(t0));
	format_utc((time_t)(res->finished_ns / 1000000000ull), t1, sizeof(t1));
	gethostname(host, sizeof(host) - 1);
	return json_pack("{s:i,s:s,s:s,s:{s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:I,s:i},s:s,s:s,s:i,s:s,s:s?,"
			 "s:[{s:i,s:s,s:s,s:I,s:I,s:s,s:{s:i,s:I,s:[]},s:{s:I,s:I,s:[]}}],"
			 "s:s,s:s,s:s,s:s,s:{s:s,s:s},s:o,s:s}",
			 "format", 1, "kind", "firmware", "id", id,
			 "device", "path", d->devpath, "name", d->name, "model", d->model, "serial", d->serial,
			 "wwn", d->wwn, "transport", disk_transport_to_string(d->transport),
			 "size", (json_int_t)d->size, "logical_sector", (int)d->logical_sector,
			 "method", drive_method_to_string(res->method), "verify", "sample",
			 "sample_percent", (int)res->sample_percent,
			 "state", ok ? "succeeded" : "failed", "failure", ok ? NULL : res->reason[0] ? res->reason : verdict,
			 "passes", "pass", 1, "pattern", "firmware", "state", res->error || res->refused ? "failed" : "done",
			 "bytes_written", (json_int_t)d->size, "verified", (json_int_t)res->sample_bytes,
			 "verification", res->verdict == DRIVE_VERDICT_PASSED ? "passed" :
					 res->verdict == DRIVE_VERDICT_FAILED ? "failed" : "none",
			 "errors", "count", 0, "bytes", (json_int_t)0, "ranges",
			 "mismatches", "count", (json_int_t)res->unchanged, "bytes", (json_int_t)0, "ranges",
			 "created", t0, "started", t0, "ended", t1, "host", host,
			 "tool", "name", "wipecert", "version", WIPECERT_VERSION,
			 "firmware", drive_erase_result_to_json(res),
			 "result", job_result_to_string(ok ? JOB_RESULT_VERIFIED : JOB_RESULT_FAILED));
}

void flow_firmware_release(struct flow_firmware *f)
{
	if (!f)
		return;
	free(f->job_id);
	free(f->record_path);
	json_decref(f->record);
	*f = (struct flow_firmware){ 0 };
}

int flow_firmware_wipe(const struct flow_ctx *c, const struct disk *d, enum drive_method method,
		       const struct drive_erase_opts *o, drive_progress_fn progress, void *userdata,
		       struct flow_firmware *ret, struct flow_error *err)
{
	struct flow_firmware f = { 0 };
	_cleanup_free_ char *text = NULL;
	int r;

	r = job_id_make(d->name, time(NULL), &f.job_id);
	if (r < 0)
		return flow_fail(err, r, "out of memory");
	drive_firmware_erase(d, method, o, progress, userdata, &f.res);
	if (f.res.refused) {
		/* nothing touched the data: nothing to record or seal */
		*ret = f;
		return 0;
	}
	f.record = firmware_job_json(d, f.job_id, &f.res);
	text = f.record ? json_dumps(f.record, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	/* ID.json is the overwrite engine's; a firmware erase is ID.firmware.json */
	f.record_path = flow_path(c, f.job_id, ".firmware.json");
	if (!text || !f.record_path)
		r = -ENOMEM;
	else
		r = write_file_atomic(f.record_path, text, strlen(text), 0600, true);
	*ret = f;
	if (r < 0)
		return flow_fail(err, r, "%s: cannot write the job record: %s", ret->record_path ? ret->record_path : ret->job_id,
				 strerror(-r));
	return 0;
}
