/* smart.c - the SMART section of page 2: a short summary of what
 * `smartctl --json` reports (health, power-on hours, temperature, the
 * sector counters that matter for disposal).
 *
 * It must never write to a drive: smartctl runs with -a (reads SMART data
 * and identify pages only), its output is parsed, nothing else is sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wipecert/cert.h"
#include "wipecert/util.h"

extern char **environ;

static int put_int(json_t *o, const char *key, const json_t *v)
{
	if (!json_is_integer(v))
		return 0;
	return json_object_set_new(o, key, json_integer(json_integer_value(v))) < 0 ? -ENOMEM : 0;
}

/* The raw value of ATA SMART attribute id, if reported. */
static const json_t *ata_attr_raw(const json_t *s, int id)
{
	const json_t *table = json_object_get(json_object_get(s, "ata_smart_attributes"), "table"), *a;
	size_t i;

	json_array_foreach(table, i, a)
		if (json_integer_value(json_object_get(a, "id")) == id)
			return json_object_get(json_object_get(a, "raw"), "value");
	return NULL;
}

int cert_smart_summary(const json_t *s, json_t **ret)
{
	const json_t *status = json_object_get(s, "smart_status");
	const json_t *nvme = json_object_get(s, "nvme_smart_health_information_log");
	json_t *o;
	int r = 0;

	if (!json_is_object(s) || !json_is_object(json_object_get(s, "smartctl")))
		return -EINVAL;
	/* no SMART data at all (a virtual disk, USB bridge without SAT) */
	if (!json_is_object(status) && !json_is_object(nvme) && !json_object_get(s, "ata_smart_attributes"))
		return -ENODATA;
	o = json_object();
	if (!o)
		return -ENOMEM;
	if (json_is_boolean(json_object_get(status, "passed")))
		r = json_object_set_new(o, "health", json_string(json_is_true(json_object_get(status, "passed")) ?
								 "PASSED" : "FAILED")) < 0 ? -ENOMEM : 0;
	if (r >= 0)
		r = put_int(o, "power_on_hours", json_object_get(json_object_get(s, "power_on_time"), "hours"));
	if (r >= 0)
		r = put_int(o, "power_cycles", json_object_get(s, "power_cycle_count"));
	if (r >= 0)
		r = put_int(o, "temperature_c", json_object_get(json_object_get(s, "temperature"), "current"));
	if (r >= 0)
		r = put_int(o, "reallocated_sectors", ata_attr_raw(s, 5));
	if (r >= 0)
		r = put_int(o, "pending_sectors", ata_attr_raw(s, 197));
	if (r >= 0)
		r = put_int(o, "offline_uncorrectable", ata_attr_raw(s, 198));
	if (r >= 0 && json_is_object(nvme)) {
		r = put_int(o, "percentage_used", json_object_get(nvme, "percentage_used"));
		if (r >= 0)
			r = put_int(o, "available_spare", json_object_get(nvme, "available_spare"));
		if (r >= 0)
			r = put_int(o, "media_errors", json_object_get(nvme, "media_errors"));
		if (r >= 0)
			r = put_int(o, "unsafe_shutdowns", json_object_get(nvme, "unsafe_shutdowns"));
	}
	if (r >= 0 && json_is_array(json_object_get(json_object_get(s, "smartctl"), "version"))) {
		const json_t *v = json_object_get(json_object_get(s, "smartctl"), "version");
		char buf[32];

		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT ".%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_array_get(v, 0)), json_integer_value(json_array_get(v, 1)));
		r = json_object_set_new(o, "smartctl_version", json_string(buf)) < 0 ? -ENOMEM : 0;
	}
	if (r < 0) {
		json_decref(o);
		return r;
	}
	*ret = o;
	return 0;
}

int cert_smart_collect(const char *smartctl, const char *devpath, json_t **ret)
{
	char *argv[] = { (char *)(smartctl ? smartctl : "smartctl"), (char *)"--json", (char *)"-a",
			 (char *)"--", (char *)devpath, NULL };
	posix_spawn_file_actions_t fa;
	_cleanup_free_ char *out = NULL;
	size_t len = 0, cap = 0;
	json_error_t jerr;
	json_t *j;
	pid_t pid;
	int p[2], st, r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return -r;
	}
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *nb;

			if (cap >= (8u << 20))
				break; /* far more than smartctl ever prints */
			nb = realloc(out, cap = cap ? cap * 2 : 65536);
			if (!nb)
				break;
			out = nb;
		}
		n = read(p[0], out + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* smartctl's exit status is a bit mask of findings: judge the JSON */
	if (!out || len == 0)
		return -ENODATA;
	j = json_loadb(out, len, 0, &jerr);
	if (!j)
		return -EBADMSG;
	r = cert_smart_summary(j, ret);
	json_decref(j);
	return r;
}
