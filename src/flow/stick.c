/* stick.c - the wipecert stick's data partition (see stick.h,
 * docs/stick.md): its place in the hybrid image's partition table, its
 * tree (configuration in, records out) and its ext4 file system.
 *
 * Its job: that `image prepare` writes a data partition the stick's boot
 * (scripts/image/rootfs/usr/lib/wipecert/stick-boot) reads as intended,
 * and refuses a table that is not a wipecert stick's. It must never touch
 * a device: it reads and writes bytes and files the caller gives it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wipecert/flow.h"
#include "wipecert/stick.h"
#include "wipecert/util.h"
#include "flow-internal.h"

extern char **environ;

/* ---- the partition table ---- */

#define MBR_PART(n) (446 + 16 * ((n) - 1))

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int stick_layout_parse(const uint8_t mbr[512], struct stick_layout *ret)
{
	static const uint8_t types[4] = { 0xcd, 0xef, 0x83, 0x00 };
	uint64_t start[4], size[4];

	if (mbr[510] != 0x55 || mbr[511] != 0xaa)
		return -EMEDIUMTYPE;
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = mbr + MBR_PART(i + 1);

		if (e[4] != types[i])
			return -EMEDIUMTYPE;
		start[i] = (uint64_t)le32(e + 8) * 512;
		size[i] = (uint64_t)le32(e + 12) * 512;
	}
	/* the ISO first, then the EFI system partition, then the data, apart */
	if (!size[0] || !size[1] || !size[2] || start[1] < start[0] + size[0] || start[2] < start[1] + size[1])
		return -EMEDIUMTYPE;
	*ret = (struct stick_layout){ start[0], size[0], start[1], size[1], start[2], size[2] };
	return 0;
}

int stick_layout_set_data(uint8_t mbr[512], uint64_t size)
{
	uint8_t *e = mbr + MBR_PART(3);
	uint64_t start = (uint64_t)le32(e + 8);

	if (size % 512 || size < STICK_MIN_DATA_SIZE || start + size / 512 > UINT32_MAX)
		return -EINVAL;
	put_le32(e + 12, (uint32_t)(size / 512));
	/* CHS beyond 8 GiB: the LBA fields say it all */
	e[5] = 0xfe, e[6] = 0xff, e[7] = 0xff;
	return 0;
}

bool stick_is_iso(const uint8_t pvd[2048])
{
	static const char id[] = STICK_VOLUME_ID;

	/* type 1 (primary), "CD001", version 1; the volume ID space-padded */
	if (pvd[0] != 1 || memcmp(pvd + 1, "CD001", 5) || pvd[6] != 1)
		return false;
	if (memcmp(pvd + 40, id, sizeof(id) - 1))
		return false;
	for (size_t i = 40 + sizeof(id) - 1; i < 72; i++)
		if (pvd[i] != ' ')
			return false;
	return true;
}

int stick_fs_label(const uint8_t sb[1024], char label[17])
{
	if (sb[0x38] != 0x53 || sb[0x39] != 0xef)
		return -ENOENT;
	memcpy(label, sb + 0x78, 16);
	label[16] = '\0';
	return 0;
}

/* ---- stick.conf ---- */

static const struct {
	const char *key;
	const char *const values[4]; /* allowed values, or { NULL }: any */
} conf_keys[] = {
	{ "language", { "ja", "en" } },
	{ "console", { "tty1", "ttyS0", "ttyS1" } },
	{ "mode", { "screen", "plain" } },
	{ "auto", { "yes", "no" } },
	{ "when_done", { "poweroff", "stay" } },
	{ "key", { NULL } },
	{ "method", { NULL } },
	{ "verify", { "off", "last", "all", "sample" } },
	{ "db", { NULL } },
	{ "term", { NULL } },
};

static int conf_line_check(char *line, size_t no, struct flow_error *err)
{
	char *eq, *k, *v;

	*strchrnul(line, '#') = '\0';
	k = strstrip(line);
	if (!*k)
		return 0;
	eq = strchr(k, '=');
	if (!eq)
		return flow_fail(err, -EINVAL, "stick.conf line %zu: not 'key = value'", no);
	*eq = '\0';
	k = strstrip(k);
	v = strstrip(eq + 1);
	for (size_t i = 0; i < ARRAY_SIZE(conf_keys); i++) {
		if (!streq(k, conf_keys[i].key))
			continue;
		if (!conf_keys[i].values[0])
			return *v && !strpbrk(v, " \t'\"\\$`") ? 0 :
			       flow_fail(err, -EINVAL, "stick.conf line %zu: %s: no spaces or quotes in a value", no, k);
		for (size_t j = 0; j < ARRAY_SIZE(conf_keys[i].values) && conf_keys[i].values[j]; j++)
			if (streq(v, conf_keys[i].values[j]))
				return 0;
		return flow_fail(err, -EINVAL, "stick.conf line %zu: %s = %s: not a value it takes", no, k, v);
	}
	return flow_fail(err, -EINVAL, "stick.conf line %zu: unknown key '%s'", no, k);
}

int stick_conf_check(const char *text, struct flow_error *err)
{
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL, *line;
	size_t no = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	/* strtok_r skips empty lines: count them by hand */
	for (line = copy; line && r >= 0; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		r = conf_line_check(line, ++no, err);
	}
	return r;
}

static char *conf_make(const struct stick_config *c)
{
	char *s;

	if (asprintf(&s,
		     "# wipecert stick settings, made by wipecert image prepare (docs/stick.md)\n"
		     "language = %s\nconsole = %s\nmode = %s\nauto = %s\nwhen_done = %s\n"
		     "key = keys/technician.key\nmethod = %s\nverify = %s\n%s%s%s",
		     c->language ? c->language : "en", c->console ? c->console : "tty1", c->mode ? c->mode : "screen",
		     c->auto_mode ? "yes" : "no", c->poweroff ? "poweroff" : "stay", c->method ? c->method : "random",
		     c->verify ? c->verify : "last", c->db ? "db = " : "", c->db ? c->db : "", c->db ? "\n" : "") < 0)
		return NULL;
	return s;
}

/* ---- the tree ---- */

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0)
				return -errno;
			off += w;
		}
	if (n < 0)
		return -errno;
	return fchmod(out, mode) < 0 ? -errno : 0;
}

/* The regular files and directories of src under dst (made here). */
static int copy_tree(const char *src, const char *dst, int depth)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 8)
		return -ELOOP;
	if (mkdir(dst, 0755) < 0)
		return -errno;
	d = opendir(src);
	if (!d)
		return -errno;
	while (r >= 0 && (de = readdir(d))) {
		_cleanup_free_ char *s = NULL, *t = NULL;
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (asprintf(&s, "%s/%s", src, de->d_name) < 0 || asprintf(&t, "%s/%s", dst, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (lstat(s, &st) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode))
			r = copy_tree(s, t, depth + 1);
		else if (S_ISREG(st.st_mode))
			r = copy_file(s, t, st.st_mode & 0644);
	}
	closedir(d);
	return r;
}

static int stage_file(const char *dir, const char *name, const char *src, mode_t mode, struct flow_error *err)
{
	_cleanup_free_ char *dst = NULL;
	int r;

	if (asprintf(&dst, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	r = copy_file(src, dst, mode);
	return r < 0 ? flow_fail(err, r, "%s: cannot copy onto the stick: %s", src, strerror(-r)) : 0;
}

static int stage_dir(const char *dir, const char *name, mode_t mode)
{
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	return mkdir(p, mode) < 0 ? -errno : 0;
}

static const char readme[] =
	"wipecert stick - data partition (WIPECERT-DATA), made by 'wipecert image prepare'\n\n"
	"stick.conf      the stick's settings (docs/stick.md)\n"
	"policy.conf     the disposal policy\n"
	"trust/          the trust roster\n"
	"keys/           the technician's key (encrypted with a passphrase)\n"
	"ledger.db       the stick's copy of the asset ledger (which disks to wipe)\n"
	"state/          jobs and signed wipe records; state/outbox: the records not yet\n"
	"                in the central ledger (wipecert sync --state-dir .../state)\n"
	"labels/         a one-page summary PDF per wiped disk\n"
	"log/            the station's event log (one JSON object a line)\n";

int stick_stage(const struct stick_config *c, const char *dir, struct flow_error *err)
{
	_cleanup_free_ char *conf = NULL, *p = NULL, *wal = NULL, *trust = NULL;
	struct stat st;
	int r;

	if (c->conf) {
		r = read_text_file(c->conf, &conf);
		if (r < 0)
			return flow_fail(err, r, "%s: %s", c->conf, strerror(-r));
	} else {
		conf = conf_make(c);
		if (!conf)
			return -ENOMEM;
	}
	r = stick_conf_check(conf, err);
	if (r < 0)
		return r;
	if (asprintf(&p, "%s/stick.conf", dir) < 0 || asprintf(&trust, "%s/trust", dir) < 0)
		return -ENOMEM;
	r = write_file_atomic(p, conf, strlen(conf), 0644, true);
	if (r >= 0) {
		free(p);
		p = NULL;
		r = asprintf(&p, "%s/README.txt", dir) < 0 ? -ENOMEM : write_file_atomic(p, readme, strlen(readme), 0644, true);
	}
	if (r < 0)
		return flow_fail(err, r, "%s: %s", dir, strerror(-r));
	r = stage_file(dir, "policy.conf", c->policy, 0644, err);
	if (r < 0)
		return r;
	r = copy_tree(c->trust_dir, trust, 0);
	if (r < 0)
		return flow_fail(err, r, "%s: cannot copy the trust roster: %s", c->trust_dir, strerror(-r));
	/* the key is the technician's secret (encrypted): root only on the stick */
	r = stage_dir(dir, "keys", 0700);
	if (r >= 0 && c->key)
		r = stage_file(dir, "keys/technician.key", c->key, 0600, err);
	if (r >= 0 && c->pgpass)
		r = stage_file(dir, "pgpass", c->pgpass, 0600, err);
	if (r >= 0 && c->ledger) {
		r = stage_file(dir, "ledger.db", c->ledger, 0600, err);
		/* committed transactions not yet checkpointed live in the WAL */
		if (r >= 0 && asprintf(&wal, "%s-wal", c->ledger) >= 0 && stat(wal, &st) == 0 && st.st_size > 0)
			r = stage_file(dir, "ledger.db-wal", wal, 0600, err);
	}
	if (r >= 0)
		r = stage_dir(dir, "state", 0700);
	if (r >= 0)
		r = stage_dir(dir, "labels", 0755);
	if (r >= 0)
		r = stage_dir(dir, "log", 0755);
	if (r < 0 && !err->msg[0])
		flow_fail(err, r, "%s: %s", dir, strerror(-r));
	return r;
}

int stick_make_fs(const char *dir, const char *img, uint64_t size, struct flow_error *err)
{
	char kib[32], opt[] = "root_owner=0:0,nodiscard";
	char *argv[] = { "mkfs.ext4", "-q", "-F", "-L", STICK_DATA_LABEL, "-E", opt, "-d", (char *)dir,
			 (char *)img, kib, NULL };
	posix_spawn_file_actions_t fa;
	int status, r;
	pid_t pid;

	snprintf(kib, sizeof(kib), "%" PRIu64 "k", size / 1024);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return flow_fail(err, -r, "mkfs.ext4 (e2fsprogs): %s", strerror(r));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return flow_fail(err, -errno, "mkfs.ext4: %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return flow_fail(err, -EIO, "mkfs.ext4 failed (status %d) making the data partition", status);
	return 0;
}
