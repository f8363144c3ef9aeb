/* words.c - what a bay's row says, shared by the screen and the JSON
 * stream: its name and job, the short state word (translated) and the
 * stable code. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "station.h"

const char *station_job_id(const struct bay *b)
{
	return b->job ? b->job->id : b->fw.job_id;
}

const char *station_bay_name(const struct bay *b)
{
	const char *n = b->disk.name ? b->disk.name : b->disk.devpath;
	const char *slash = n && b->disk.transport == TRANSPORT_FILE ? strrchr(n, '/') : NULL;

	return slash ? slash + 1 : n ? n : "?";
}

/* The short word for why a bay cannot start, by its code. */
static const char *why_word(const char *code)
{
	static const struct {
		const char *code, *word;
	} words[] = {
		{ "system", N_("system disk") },
		{ "mounted", N_("mounted") },
		{ "held", N_("held") },
		{ "in-use", N_("in use") },
		{ "member", N_("RAID/LVM member") },
		{ "unknown", N_("unreadable") },
		{ "read-only", N_("read-only") },
		{ "empty", N_("no medium") },
		{ "not-in-ledger", N_("not in ledger") },
		{ "mismatch", N_("identity mismatch") },
		{ "no-identity", N_("no identity") },
		{ "ledger-error", N_("ledger error") },
		{ "policy", N_("policy refuses") },
		{ "refused", N_("refused") },
		{ "not-awaiting", N_("not awaiting erasure") },
	};

	for (size_t i = 0; code && i < ARRAY_SIZE(words); i++)
		if (streq(code, words[i].code))
			return _(words[i].word);
	return _("not startable");
}

const char *station_bay_word(const struct bay *b, char *buf, size_t len)
{
	struct station *s = b->st;
	struct erase_progress p;
	bool have;
	char rate[32], eta[32] = "";

	switch (b->state) {
	case BAY_RUNNING:
		if (atomic_load(&b->stop)) {
			snprintf(buf, len, "%s", atomic_load(&b->pulled) ? _("pulled: stopping") : _("stopping"));
			return buf;
		}
		if (b->firmware) {
			const char *phase;
			double f, left;

			pthread_mutex_lock(&s->lock);
			phase = b->fw_phase;
			f = b->fw_fraction;
			left = b->fw_eta;
			pthread_mutex_unlock(&s->lock);
			if (!phase)
				snprintf(buf, len, "%s", drive_method_to_string(b->fw_method));
			else if (f >= 0 && left >= 0)
				snprintf(buf, len, "%s %3.0f%% %u:%02u", cli_fw_phase(phase), f * 100, (unsigned)left / 60,
					 (unsigned)left % 60);
			else if (f >= 0)
				snprintf(buf, len, "%s %3.0f%%", cli_fw_phase(phase), f * 100);
			else
				snprintf(buf, len, "%s...", cli_fw_phase(phase));
			return buf;
		}
		pthread_mutex_lock(&s->lock);
		p = b->last;
		have = b->have_progress;
		pthread_mutex_unlock(&s->lock);
		if (!have) {
			snprintf(buf, len, "%s", _("starting"));
			return buf;
		}
		format_size_iec((uint64_t)p.rate, rate, sizeof(rate));
		if (p.eta_sec)
			snprintf(eta, sizeof(eta), " %" PRIu64 ":%02" PRIu64 ":%02" PRIu64, p.eta_sec / 3600,
				 p.eta_sec / 60 % 60, p.eta_sec % 60);
		snprintf(buf, len, "%u/%zu %s %3.0f%% %s/s%s", p.pass + 1, b->job->n_passes,
			 _(erase_phase_to_string(p.phase)), p.total ? 100.0 * (double)p.done / (double)p.total : 0.0,
			 rate, eta);
		return buf;
	case BAY_FINISHED:
		snprintf(buf, len, "%s %s", b->passed ? "PASS" : "FAIL",
			 b->sealed ? (b->present ? _("sealed, safe to remove") : _("sealed"))
			 : b->seal_pending ? _("unlock the key to seal") : _("NOT sealed"));
		return buf;
	case BAY_INTERRUPTED:
		snprintf(buf, len, "%s", b->present ? _("interrupted: r resumes") : _("pulled out: resumable"));
		return buf;
	case BAY_IDLE:
	default:
		if (!b->eligible)
			snprintf(buf, len, "%s", why_word(b->code));
		else if (b->resume_id)
			snprintf(buf, len, "%s", _("interrupted: r resumes"));
		else if (b->needs_bind)
			snprintf(buf, len, "%s", _("scan asset label"));
		else if (b->auto_waiting)
			snprintf(buf, len, "%s", _("waits for the key"));
		else
			snprintf(buf, len, "%s", _("ready"));
		return buf;
	}
}

const char *station_bay_state_code(const struct bay *b)
{
	switch (b->state) {
	case BAY_RUNNING:
		return "running";
	case BAY_FINISHED:
		return b->passed ? "passed" : "failed";
	case BAY_INTERRUPTED:
		return "interrupted";
	case BAY_IDLE:
	default:
		return b->eligible ? "ready" : "ineligible";
	}
}
