/* state.c - the verifier's memory of the trust lists: for each roster and
 * revocation list (keyed by the root key that signs it), the highest serial
 * seen and the SHA-256 of that list.
 *
 * Its job: refuse a validly signed list that is older than one seen before
 * (a copy put back into the trust directory would un-revoke a key), or a
 * different list under a serial seen before. It lives outside the trust
 * directory (trust_state_path()) so that putting an old directory back does
 * not put its memory back too. It must never forget a higher serial for a
 * lower one, and never let a failure to save turn a rollback into a pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <jansson.h>

#include "wipecert/util.h"
#include "trust-internal.h"

#define STATE_TYPE "wipecert-trust-state"

const char *trust_state_path(void)
{
	static __thread char buf[PATH_MAX];
	const char *e = getenv("WIPECERT_TRUST_STATE"), *x, *home;

	if (e && *e)
		return e;
	if (geteuid() == 0)
		return "/var/lib/wipecert/trust-state.json";
	/* an auditor's own account remembers for itself, as ssh's known_hosts */
	x = getenv("XDG_STATE_HOME");
	home = getenv("HOME");
	if (x && *x)
		snprintf(buf, sizeof(buf), "%s/wipecert/trust-state.json", x);
	else if (home && *home)
		snprintf(buf, sizeof(buf), "%s/.local/state/wipecert/trust-state.json", home);
	else
		return "/var/lib/wipecert/trust-state.json";
	return buf;
}

/* The state's directory: the default /var/lib/wipecert is 0750 like the ledger's */
static int mkdir_for(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	return mkdir_parents(dirname(p), 0750);
}

static void list_key(const struct trust_list *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", t->doc == TRUST_DOC_ROSTER ? "roster" : "revocation", t->root_keyid);
}

static const char *list_name(const struct trust_list *t)
{
	return t->doc == TRUST_DOC_ROSTER ? "roster" : "revocation list";
}

static int new_state(json_t **ret)
{
	*ret = json_pack("{s:s,s:{}}", "type", STATE_TYPE, "lists");
	return *ret ? 0 : -ENOMEM;
}

static int load_state(const char *path, json_t **ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	json_t *v;
	size_t len;
	int r;

	r = read_full_file(path, &data, &len);
	if (r == -ENOENT)
		return new_state(ret);
	if (r < 0)
		return r;
	v = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
	if (!v || !streq(json_string_value(json_object_get(v, "type")) ?: "", STATE_TYPE) ||
	    !json_is_object(json_object_get(v, "lists"))) {
		json_decref(v);
		return -EBADMSG;
	}
	*ret = v;
	return 0;
}

/* Compare each list with the state; newer ones go into it. -ESTALE names
 * the first older (or changed) list in reason. *ret_changed: the state
 * needs saving. */
static int compare(json_t *state, const struct trust_list *lists, size_t n, char *reason, size_t rlen,
		   const char **ret_path, bool *ret_changed)
{
	json_t *all = json_object_get(state, "lists");
	char now[32];

	format_utc(time(NULL), now, sizeof(now));
	for (size_t i = 0; i < n; i++) {
		const struct trust_list *t = &lists[i];
		char key[64];
		json_t *seen;
		json_int_t was;

		list_key(t, key, sizeof(key));
		seen = json_object_get(all, key);
		was = json_integer_value(json_object_get(seen, "serial"));
		if (seen && (uint64_t)was > t->serial) {
			snprintf(reason, rlen, "%s %s of %s has serial %" PRIu64 ", older than serial %" PRIu64
				 " seen on %s: an older signed list was put back (rollback refused; state %s)",
				 list_name(t), t->path, t->org ? t->org : "?", t->serial, (uint64_t)was,
				 json_string_value(json_object_get(seen, "seen")) ?: "?", trust_state_path());
			*ret_path = t->path;
			return -ESTALE;
		}
		if (seen && (uint64_t)was == t->serial) {
			if (!streq(json_string_value(json_object_get(seen, "sha256")) ?: "", t->sha256)) {
				snprintf(reason, rlen, "%s %s of %s differs from the list with serial %" PRIu64
					 " seen before: two lists with one serial (refused; state %s)",
					 list_name(t), t->path, t->org ? t->org : "?", t->serial, trust_state_path());
				*ret_path = t->path;
				return -ESTALE;
			}
			continue;
		}
		if (json_object_set_new(all, key, json_pack("{s:I,s:s,s:s,s:s}", "serial", (json_int_t)t->serial,
							    "sha256", t->sha256, "org", t->org ? t->org : "",
							    "seen", now)) < 0)
			return -ENOMEM;
		*ret_changed = true;
	}
	return 0;
}

int trust_state_check(const struct trust_list *lists, size_t n, char *reason, size_t rlen,
		      const char **ret_path, int *ret_save_error)
{
	const char *path = trust_state_path();
	_cleanup_free_ char *lock = NULL, *text = NULL;
	_cleanup_close_ int fd = -1;
	json_t *state = NULL;
	bool changed = false;
	int r;

	*ret_save_error = 0;
	if (asprintf(&lock, "%s.lock", path) < 0)
		return -ENOMEM;
	/* one read-compare-write at a time: two verifiers must not lose a serial */
	r = mkdir_for(path);
	if (r >= 0) {
		fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			r = -errno;
	}
	if (r < 0)
		*ret_save_error = r; /* read-only: compare with what is there */
	r = load_state(path, &state);
	if (r == -EBADMSG) {
		/* a damaged memory must not read as "nothing seen" */
		snprintf(reason, rlen, "%s: the verifier's state is damaged: remove it only after checking "
			 "the trust directory by other means", path);
		*ret_path = path;
		return -ESTALE;
	}
	if (r < 0 && r != -ENOMEM) {
		/* unreadable here (another account's, not a directory): nothing to
		 * compare with, and nothing will be saved */
		if (!*ret_save_error)
			*ret_save_error = r;
		r = new_state(&state);
	}
	if (r < 0)
		return r;
	r = compare(state, lists, n, reason, rlen, ret_path, &changed);
	if (r >= 0 && changed && !*ret_save_error) {
		text = json_dumps(state, JSON_INDENT(2) | JSON_SORT_KEYS);
		*ret_save_error = text ? write_file_atomic(path, text, strlen(text), 0640, false) : -ENOMEM;
		if (*ret_save_error > 0)
			*ret_save_error = 0;
	}
	json_decref(state);
	return r;
}
