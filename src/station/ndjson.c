/* ndjson.c - the station headless: one JSON object a line on stdout for
 * each event (disk-added, started, progress, finished, sealed, removed,
 * refused, key, error), for a dashboard or a log. Field names and the
 * "reason" words are stable; "message" is for people and in English.
 *
 * SIGTERM, SIGINT and SIGHUP stop every job at its next checkpoint
 * (resumable) and end the stream with a "stopped" event.
 */
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>

#include <jansson.h>

#include "wipecert/trust.h"
#include "station.h"

static const char *const names[] = {
	[STATION_EV_READY] = "ready",       [STATION_EV_ADDED] = "disk-added",
	[STATION_EV_CHANGED] = "disk-changed", [STATION_EV_REMOVED] = "removed",
	[STATION_EV_STARTED] = "started",   [STATION_EV_PROGRESS] = "progress",
	[STATION_EV_FINISHED] = "finished", [STATION_EV_SEALED] = "sealed",
	[STATION_EV_REFUSED] = "refused",   [STATION_EV_KEY] = "key",
	[STATION_EV_ERROR] = "error",
};

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static void put_disk(json_t *o, const struct bay *b)
{
	const struct disk *d = &b->disk;
	const char *cls = ledger_asset_value(&b->asset, LEDGER_F_IMPORTANCE);
	json_t *caps = json_array();
	char *c = strdup(b->caps_text), *save = NULL;

	for (char *t = c ? strtok_r(c, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(caps, json_string(t));
	free(c);
	json_object_set_new(o, "name", str_or_null(d->name));
	json_object_set_new(o, "model", str_or_null(d->model));
	json_object_set_new(o, "serial", str_or_null(d->serial));
	json_object_set_new(o, "wwn", str_or_null(d->wwn));
	json_object_set_new(o, "size", json_integer((json_int_t)d->size));
	json_object_set_new(o, "transport", json_string(disk_transport_to_string(d->transport)));
	json_object_set_new(o, "safety", json_string(disk_safety_to_string(d->safety)));
	json_object_set_new(o, "safety_reason", str_or_null(d->safety_reason));
	json_object_set_new(o, "asset", b->matched ? str_or_null(ledger_asset_value(&b->asset, LEDGER_F_ASSET_ID))
					      : json_null());
	json_object_set_new(o, "class", b->matched && cls ? json_integer(cls[0] - '0') : json_null());
	json_object_set_new(o, "status", b->matched ? str_or_null(ledger_asset_value(&b->asset, LEDGER_F_STATUS))
					       : json_null());
	json_object_set_new(o, "method", str_or_null(b->method));
	json_object_set_new(o, "capabilities", caps);
	json_object_set_new(o, "eligible", json_boolean(b->eligible));
	json_object_set_new(o, "auto", json_boolean(b->auto_ok));
	json_object_set_new(o, "resume_job", str_or_null(b->resume_id));
}

static void put_progress(json_t *o, struct bay *b)
{
	struct erase_progress p;

	if (b->firmware) {
		const char *phase;
		double f, eta;

		pthread_mutex_lock(&b->st->lock);
		phase = b->fw_phase;
		f = b->fw_fraction;
		eta = b->fw_eta;
		pthread_mutex_unlock(&b->st->lock);
		json_object_set_new(o, "phase", str_or_null(phase));
		json_object_set_new(o, "fraction", f >= 0 ? json_real(f) : json_null());
		json_object_set_new(o, "eta", eta >= 0 ? json_integer((json_int_t)eta) : json_null());
		return;
	}
	pthread_mutex_lock(&b->st->lock);
	p = b->last;
	pthread_mutex_unlock(&b->st->lock);
	json_object_set_new(o, "pass", json_integer(p.pass + 1));
	json_object_set_new(o, "passes", json_integer((json_int_t)b->job->n_passes));
	json_object_set_new(o, "phase", json_string(erase_phase_to_string(p.phase)));
	json_object_set_new(o, "done", json_integer((json_int_t)p.done));
	json_object_set_new(o, "total", json_integer((json_int_t)p.total));
	json_object_set_new(o, "rate", json_integer((json_int_t)p.rate));
	json_object_set_new(o, "eta", json_integer((json_int_t)p.eta_sec));
}

static void emit(struct station *s, const struct station_event *ev)
{
	struct bay *b = ev->bay;
	char now[32];
	json_t *o;
	char *line;

	/* a review that changed nothing a machine needs */
	if (ev->kind == STATION_EV_CHANGED && ev->code && streq(ev->code, "stopping"))
		return;
	format_utc(time(NULL), now, sizeof(now));
	o = json_pack("{s:s,s:s}", "event", names[ev->kind], "time", now);
	if (!o)
		return;
	if (b) {
		json_object_set_new(o, "bay", json_integer(b->no));
		json_object_set_new(o, "device", str_or_null(b->disk.devpath));
		json_object_set_new(o, "state", json_string(station_bay_state_code(b)));
		if (station_job_id(b))
			json_object_set_new(o, "job", json_string(station_job_id(b)));
	}
	switch (ev->kind) {
	case STATION_EV_ADDED:
	case STATION_EV_CHANGED:
		put_disk(o, b);
		break;
	case STATION_EV_STARTED:
		json_object_set_new(o, "asset", str_or_null(b->job_asset));
		json_object_set_new(o, "method", json_string(b->job ? b->job->method : b->method));
		json_object_set_new(o, "passes", json_integer(b->job ? (json_int_t)b->job->n_passes : 1));
		json_object_set_new(o, "firmware", json_boolean(b->firmware));
		json_object_set_new(o, "resumed", json_boolean(b->resumed));
		break;
	case STATION_EV_PROGRESS:
		put_progress(o, b);
		break;
	case STATION_EV_FINISHED:
		json_object_set_new(o, "asset", str_or_null(b->job_asset));
		json_object_set_new(o, "result", json_string(b->state == BAY_INTERRUPTED ? "INTERRUPTED"
							     : b->passed ? "PASS" : "FAIL"));
		json_object_set_new(o, "failure", b->state == BAY_FINISHED && !b->passed
							  ? str_or_null(b->job ? b->job->failure : b->outcome) : json_null());
		json_object_set_new(o, "resumable", json_boolean(b->state == BAY_INTERRUPTED));
		break;
	case STATION_EV_SEALED:
		json_object_set_new(o, "asset", str_or_null(b->job_asset));
		json_object_set_new(o, "case", json_string(station_job_id(b)));
		json_object_set_new(o, "wipe_record", str_or_null(b->case_path));
		json_object_set_new(o, "technician", json_string(trust_seckey_name(s->key)));
		json_object_set_new(o, "label", str_or_null(b->label_path));
		json_object_set_new(o, "seal_ms", json_real((double)s->last_seal_ns / 1e6));
		break;
	case STATION_EV_READY: {
		json_object_set_new(o, "disks", json_integer((json_int_t)s->n_bays));
		json_object_set_new(o, "auto", json_boolean(s->o.auto_mode));
		json_object_set_new(o, "technician", str_or_null(s->key_name));
		json_object_set_new(o, "unlocked", json_boolean(station_unlocked(s)));
		json_object_set_new(o, "version", json_string(WIPECERT_VERSION));
		json_object_set_new(o, "machine", s->machine_json ? json_incref(s->machine_json) : json_null());
		break;
	}
	default:
		break;
	}
	if (ev->code)
		json_object_set_new(o, "reason", json_string(ev->code));
	if (ev->msg && *ev->msg)
		json_object_set_new(o, "message", json_string(ev->msg));
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (line) {
		fprintf(stdout, "%s\n", line);
		fflush(stdout);
	}
	free(line);
	json_decref(o);
}

int station_ndjson_run(struct station *s, const char *pass, size_t pass_len)
{
	char msg[600];
	int sfd;
	const char *signame = NULL;

	/* machines read this: the same words whatever the language */
	setlocale(LC_MESSAGES, "C");
	signal(SIGPIPE, SIG_IGN);
	sfd = station_signalfd();
	if (sfd < 0)
		return EXIT_FAIL;
	s->emit = emit;
	/* --auto needs the key, and so does every seal: no key, no start */
	if (station_unlock(s, pass, pass_len, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "%s: %s\n", program_name, msg);
		close(sfd);
		return EXIT_REFUSED;
	}
	station_scan(s);
	while (!signame) {
		struct pollfd p[3] = {
			{ station_monitor_fd(s), POLLIN, 0 }, { station_wake_fd(s), POLLIN, 0 }, { sfd, POLLIN, 0 },
		};
		struct signalfd_siginfo si;

		if (s->o.until_done && station_done(s))
			break;
		if (poll(p, 3, 1000) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			station_monitor_dispatch(s);
		if (p[1].revents)
			station_reap(s);
		if (p[2].revents && read(sfd, &si, sizeof(si)) == sizeof(si))
			signame = si.ssi_signo == SIGTERM ? "SIGTERM" : si.ssi_signo == SIGINT ? "SIGINT" : "SIGHUP";
		station_tick(s);
	}
	/* every job stops at its next checkpoint and stays resumable */
	station_stop_all(s);
	{
		char now[32];
		json_t *o;
		char *line;

		format_utc(time(NULL), now, sizeof(now));
		o = json_pack("{s:s,s:s,s:s?,s:i,s:i,s:i,s:i,s:i,s:f}", "event", "stopped", "time", now,
			      "signal", signame, "passed", s->n_passed, "failed", s->n_failed,
			      "interrupted", (int)s->n_interrupted, "unsealed", s->n_unsealed, "sealed", s->n_sealed,
			      "seal_ms_mean", s->n_sealed ? (double)s->seal_ns / s->n_sealed / 1e6 : 0.0);
		line = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line)
			printf("%s\n", line);
		fflush(stdout);
		free(line);
		json_decref(o);
	}
	close(sfd);
	station_summary(s, msg, sizeof(msg));
	fprintf(stderr, "%s\n", msg);
	return s->n_failed || s->n_interrupted || s->n_unsealed ? EXIT_FAIL : EXIT_OK;
}
