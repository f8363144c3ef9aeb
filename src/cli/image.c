/* image.c - `wipecert image prepare TARGET`: a wipecert stick (made by
 * `make image`) made ready for an organisation: its data partition
 * written anew with the trust roster, the policy, the technician's key,
 * the stick's ledger and stick.conf (docs/stick.md).
 *
 * The target is refused as wipe refuses one: not a whole disk or image
 * file, the system disk, mounted, held, in use, read-only, unconfirmed; and
 * a stick whose data partition may still hold records is refused without
 * --force. Everything is written through the erase layer's one checked
 * open (O_EXCL), fsynced, and read back before it says done.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wipecert/cli.h"
#include "wipecert/disk.h"
#include "wipecert/erase.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/policy.h"
#include "wipecert/stick.h"
#include "wipecert/trust.h"
#include "wipe.h"

struct prepare {
	const char *target, *image, *confirm, *tmpdir;
	struct stick_config cfg;
	uint64_t data_size;
	bool force, json;
	struct disk disk;
	bool have_disk;
	struct stick_layout layout;
	uint8_t mbr[512];
	char *work;
};

static void prepare_help(void)
{
	printf(_("Usage: %s image prepare TARGET --trust DIR --policy FILE [options]\n\n"
		 "Make a wipecert stick ready: its data partition (ext4, WIPECERT-DATA) is\n"
		 "written anew with the trust roster, the policy, the technician's key, the\n"
		 "stick's ledger and its settings (stick.conf). TARGET is the stick (a whole\n"
		 "disk) or an image file; with --image the stick's image is written first.\n\n"
		 "Options:\n"
		 "      --image FILE         write this stick image (make image) to TARGET first\n"
		 "      --trust DIR          the trust roster (required)\n"
		 "      --policy FILE        the disposal policy (required)\n"
		 "  -k, --key FILE           the technician's encrypted key\n"
		 "      --ledger FILE        the stick's ledger: a SQLite ledger of the disks to wipe\n"
		 "      --db URI             the central ledger (PostgreSQL): records go there when\n"
		 "                           it answers; --pgpass FILE holds its password\n"
		 "      --conf FILE          stick.conf as it is (else made from the options below)\n"
		 "      --language ja|en     the station's language (default en)\n"
		 "      --console TTY        tty1 (the screen, default) or ttyS0 (serial)\n"
		 "      --plain              plain text (one JSON line an event) instead of the screen\n"
		 "      --auto               wipe every disk the ledger awaits, no key press\n"
		 "      --poweroff           with --auto: power off when every disk is done\n"
		 "      --method M           the overwrite where the policy accepts clear\n"
		 "      --verify MODE        off, last, all or sample\n"
		 "      --data-size SIZE     the data partition (default 256M, at most to the end)\n"
		 "      --confirm-serial S   confirm the target by its serial (or path)\n"
		 "      --force              also when its data partition may hold records\n"
		 "  -J, --json               the result as JSON\n"
		 "  -h, --help               show this help\n\n"
		 "Exit: 0 prepared and read back; 1 failed; 2 usage; 3 refused.\n"), program_name);
}

static int read_at(const char *path, uint64_t off, void *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ENODATA;
}

/* What the stick's table says, from the image to write or the target. */
static int read_layout(struct prepare *p)
{
	const char *src = p->image ? p->image : p->target;
	uint8_t pvd[2048];
	int r;

	r = read_at(src, 0, p->mbr, sizeof(p->mbr));
	if (r >= 0)
		r = read_at(src, 32768, pvd, sizeof(pvd));
	if (r < 0)
		return log_error_errno(r, _("%s: cannot read"), src), EXIT_FAIL;
	if (stick_layout_parse(p->mbr, &p->layout) < 0 || !stick_is_iso(pvd)) {
		log_error(p->image ? _("%s: not a wipecert stick image (make image)")
				   : _("%s: refused: no wipecert stick on it (give --image FILE to write one)"), src);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* A data partition already there may hold records not yet synced. */
static int check_old_data(struct prepare *p)
{
	struct stick_layout old;
	uint8_t mbr[512], sb[1024];
	char label[17];

	if (read_at(p->target, 0, mbr, sizeof(mbr)) < 0 || stick_layout_parse(mbr, &old) < 0 ||
	    read_at(p->target, old.data_start + 1024, sb, sizeof(sb)) < 0 || stick_fs_label(sb, label) < 0 ||
	    !streq(label, STICK_DATA_LABEL))
		return EXIT_OK;
	if (p->force)
		return EXIT_OK;
	log_error(_("%s: refused: its data partition may hold wipe records not yet in the central ledger; "
		    "copy them off ('wipecert sync --state-dir MOUNT/state'), then prepare it again with --force"),
		  p->target);
	return EXIT_REFUSED;
}

static int check_target(struct prepare *p)
{
	_cleanup_free_ char *reason = NULL;
	uint64_t room;
	int r;

	r = disk_probe(NULL, p->target, &p->disk);
	if (r == -ENOTBLK)
		return log_error(_("%s: refused: not a whole disk or a regular image file"), p->target), EXIT_REFUSED;
	if (r < 0)
		return log_error_errno(r, _("%s: cannot describe the target"), p->target), EXIT_FAIL;
	p->have_disk = true;
	if (p->disk.readonly)
		return log_error(_("%s: the device is read-only"), p->target), EXIT_REFUSED;
	r = disk_check_safety(NULL, &p->disk, &reason);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot check whether it is safe to write"), p->target), EXIT_FAIL;
	if (r != SAFETY_OK)
		return log_error(_("%s: refused: %s (%s)"), p->target, disk_safety_to_string((enum disk_safety)r),
				 reason ? reason : "?"), EXIT_REFUSED;
	r = read_layout(p);
	if (r != EXIT_OK)
		return r;
	if (p->disk.size <= p->layout.data_start)
		return log_error(_("%s: too small for the stick image"), p->target), EXIT_REFUSED;
	room = (p->disk.size - p->layout.data_start) & ~((1ull << 20) - 1);
	if (!p->data_size)
		p->data_size = room < STICK_DEFAULT_DATA_SIZE ? room : STICK_DEFAULT_DATA_SIZE;
	if (p->data_size > room || p->data_size < STICK_MIN_DATA_SIZE || p->data_size % (1u << 20)) {
		char have[32];

		format_size_iec(room, have, sizeof(have));
		return log_error(_("%s: the data partition must be whole MiB, 16 MiB or more, and fit (%s there)"),
				 p->target, have), EXIT_REFUSED;
	}
	return check_old_data(p);
}

static int confirm(const struct prepare *p)
{
	const struct disk *d = &p->disk;
	const char *serial = d->serial && *d->serial ? d->serial : NULL;
	const char *want = serial ? serial : p->target;
	char line[256], size[32];

	if (p->confirm)
		goto compare;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		log_error(serial ? _("%s: not confirmed: pass --confirm-serial %s")
				 : _("%s: not confirmed: pass --confirm-serial %s (it has no serial: its path)"),
			  p->target, want);
		return -EPERM;
	}
	format_size_iec(d->size, size, sizeof(size));
	fprintf(stderr, _("%s: %s, %s, serial %s: ALL DATA WILL BE DESTROYED.\n"), p->target,
		d->model ? d->model : "?", size, serial ? serial : "-");
	fprintf(stderr, serial ? _("Type the serial number to confirm: ") : _("Type the path %s to confirm: "),
		p->target);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return -EPERM;
compare:
	if (!streq(p->confirm ? p->confirm : strstrip(line), want)) {
		log_error(_("%s: not confirmed"), p->target);
		return -EPERM;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (const uint8_t *)buf + n, len -= (size_t)n, off += (uint64_t)n;
	}
	return 0;
}

/* Copy len bytes of file src from the same offset off to fd at off + shift;
 * with check, read them back from fd and compare instead. */
static int copy_or_check(int fd, const char *src, uint64_t off, uint64_t len, uint64_t shift, bool check)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *a = malloc(1u << 20), *b = malloc(1u << 20);
	uint64_t done = 0;

	if (in < 0)
		return -errno;
	if (!a || !b)
		return -ENOMEM;
	while (done < len) {
		size_t n = len - done < (1u << 20) ? (size_t)(len - done) : (1u << 20);
		ssize_t got = pread(in, a, n, (off_t)(off + done));
		int r;

		if (got != (ssize_t)n)
			return got < 0 ? -errno : -ENODATA;
		if (check) {
			if (pread(fd, b, n, (off_t)(off + shift + done)) != (ssize_t)n)
				return -EIO;
			if (memcmp(a, b, n))
				return -EBADMSG;
		} else if ((r = write_all(fd, a, n, off + shift + done)) < 0) {
			return r;
		}
		done += n;
	}
	return 0;
}

/* The image's system part (up to the data partition), the table with the
 * data partition's size, the file system; fsync; everything read back. */
static int write_stick(struct prepare *p, const char *fsimg)
{
	_cleanup_free_ char *reason = NULL;
	struct erase_target t = { .fd = -1 };
	uint8_t back[512];
	int r, rc = EXIT_FAIL;

	r = erase_target_open(NULL, &p->disk, &t, &reason);
	if (r == -EBUSY || r == -EAGAIN)
		return log_error(_("%s: refused: no longer safe to write: %s"), p->target, reason ? reason : "?"),
		       EXIT_REFUSED;
	if (r < 0)
		return log_error_errno(r, _("%s: cannot open for writing"), p->target), EXIT_FAIL;
	/* O_DIRECT where the target took it: buffers are not aligned here */
	if (fcntl(t.fd, F_SETFL, fcntl(t.fd, F_GETFL) & ~O_DIRECT) < 0) {
		log_error_errno(-errno, "%s", p->target);
		goto out;
	}
	r = stick_layout_set_data(p->mbr, p->data_size);
	for (int pass = 0; r >= 0 && pass < 2; pass++) {
		bool check = pass == 1;

		/* the image after its table (ours has the data partition's size) */
		if (p->image && r >= 0)
			r = copy_or_check(t.fd, p->image, 512, p->layout.data_start - 512, 0, check);
		if (r >= 0)
			r = copy_or_check(t.fd, fsimg, 0, p->data_size, p->layout.data_start, check);
		if (r >= 0 && !check)
			r = write_all(t.fd, p->mbr, sizeof(p->mbr), 0);
		if (r >= 0 && check)
			r = pread(t.fd, back, sizeof(back), 0) != sizeof(back) ? -EIO :
			    memcmp(back, p->mbr, sizeof(back)) ? -EBADMSG : 0;
		if (r >= 0 && !check && fsync(t.fd) < 0)
			r = -errno;
		/* read back what the medium holds, not what the cache kept */
		if (r >= 0 && !check && !t.image)
			(void)posix_fadvise(t.fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	if (r == -EBADMSG)
		log_error(_("%s: what was read back differs from what was written"), p->target);
	else if (r < 0)
		log_error_errno(r, _("%s: cannot write the stick"), p->target);
	else
		rc = EXIT_OK;
out:
	r = erase_target_close(&t);
	if (r < 0 && rc == EXIT_OK) {
		log_error_errno(r, _("%s: cannot write the stick"), p->target);
		rc = EXIT_FAIL;
	}
	return rc;
}

/* The configuration sources must be what they claim before anything is
 * written: a roster that loads, a policy that parses, a key only root
 * reads, a ledger that opens. */
static int check_sources(const struct prepare *p)
{
	const struct stick_config *c = &p->cfg;
	struct trust_store *ts = NULL;
	struct policy pol;
	bool loaded;
	struct stat st;
	int r;

	r = cli_trust_open(c->trust_dir, &ts);
	trust_store_free(ts);
	if (r != EXIT_OK)
		return EXIT_REFUSED;
	if (cli_policy_load(c->policy, &pol, &loaded) < 0)
		return EXIT_REFUSED;
	policy_release(&pol);
	if (c->key) {
		if (stat(c->key, &st) < 0)
			return log_error_errno(-errno, "%s", c->key), EXIT_REFUSED;
		if (st.st_mode & 077)
			return log_error(_("%s: readable by others: chmod 600 it first"), c->key), EXIT_REFUSED;
	}
	if (c->ledger) {
		struct ledger *l = NULL;

		r = ledger_open(c->ledger, LEDGER_OPEN_READONLY, &l);
		ledger_close(l);
		if (r < 0)
			return log_error_errno(r, _("%s: cannot open the ledger"), c->ledger), EXIT_REFUSED;
	}
	return EXIT_OK;
}

static void report(const struct prepare *p)
{
	char size[32];

	if (p->json) {
		json_t *o = json_pack("{s:s,s:s?,s:I,s:I,s:s,s:s,s:b,s:b,s:s?,s:b,s:b}", "target", p->target, "image",
				      p->image, "data_offset", (json_int_t)p->layout.data_start, "data_size",
				      (json_int_t)p->data_size, "language", p->cfg.language ? p->cfg.language : "en",
				      "console", p->cfg.console ? p->cfg.console : "tty1", "auto", p->cfg.auto_mode,
				      "poweroff", p->cfg.poweroff, "db", p->cfg.db, "key", p->cfg.key != NULL, "ledger",
				      p->cfg.ledger != NULL);

		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
		return;
	}
	format_size_iec(p->data_size, size, sizeof(size));
	printf(_("%s: wipecert stick prepared: data partition %s at offset %llu, read back\n"), p->target, size,
	       (unsigned long long)p->layout.data_start);
}

static int prepare(struct prepare *p)
{
	_cleanup_free_ char *tree = NULL, *fsimg = NULL;
	struct flow_error err = { "" };
	const char *tmp = getenv("TMPDIR");
	int r, rc;

	rc = check_sources(p);
	if (rc == EXIT_OK)
		rc = check_target(p);
	if (rc != EXIT_OK)
		return rc;
	if (confirm(p) < 0)
		return EXIT_REFUSED;
	if (asprintf(&p->work, "%s/wipecert-stick.XXXXXX", tmp && *tmp ? tmp : "/var/tmp") < 0 || !mkdtemp(p->work)) {
		free(p->work);
		p->work = NULL;
		return log_error_errno(-errno, _("cannot make a scratch directory")), EXIT_FAIL;
	}
	if (asprintf(&tree, "%s/tree", p->work) < 0 || asprintf(&fsimg, "%s/data.img", p->work) < 0 ||
	    mkdir(tree, 0755) < 0)
		return log_error_errno(-ENOMEM, "%s", p->work), EXIT_FAIL;
	r = stick_stage(&p->cfg, tree, &err);
	if (r >= 0)
		r = stick_make_fs(tree, fsimg, p->data_size, &err);
	if (r < 0)
		return log_error("%s", err.msg), r == -EINVAL ? EXIT_REFUSED : EXIT_FAIL;
	rc = write_stick(p, fsimg);
	if (rc == EXIT_OK)
		report(p);
	return rc;
}

static int image_prepare(int argc, char **argv)
{
	enum { O_TRUST = 600, O_POLICY, O_LEDGER, O_DB, O_PGPASS, O_CONF, O_LANG, O_CONSOLE, O_PLAIN, O_AUTO,
	       O_POWEROFF, O_METHOD, O_VERIFY, O_IMAGE, O_SIZE, O_CONFIRM, O_FORCE };
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, O_TRUST }, { "policy", required_argument, NULL, O_POLICY },
		{ "key", required_argument, NULL, 'k' }, { "ledger", required_argument, NULL, O_LEDGER },
		{ "db", required_argument, NULL, O_DB }, { "pgpass", required_argument, NULL, O_PGPASS },
		{ "conf", required_argument, NULL, O_CONF }, { "language", required_argument, NULL, O_LANG },
		{ "console", required_argument, NULL, O_CONSOLE }, { "plain", no_argument, NULL, O_PLAIN },
		{ "auto", no_argument, NULL, O_AUTO }, { "poweroff", no_argument, NULL, O_POWEROFF },
		{ "method", required_argument, NULL, O_METHOD }, { "verify", required_argument, NULL, O_VERIFY },
		{ "image", required_argument, NULL, O_IMAGE }, { "data-size", required_argument, NULL, O_SIZE },
		{ "confirm-serial", required_argument, NULL, O_CONFIRM }, { "force", no_argument, NULL, O_FORCE },
		CLI_OPT_JSON, CLI_OPT_HELP,
		{}
	};
	struct prepare p = { 0 };
	int c, rc;

	while ((c = cli_getopt(argc, argv, opts, "image prepare")) != -1) {
		switch (c) {
		case O_TRUST: p.cfg.trust_dir = optarg; break;
		case O_POLICY: p.cfg.policy = optarg; break;
		case 'k': p.cfg.key = optarg; break;
		case O_LEDGER: p.cfg.ledger = optarg; break;
		case O_DB: p.cfg.db = optarg; break;
		case O_PGPASS: p.cfg.pgpass = optarg; break;
		case O_CONF: p.cfg.conf = optarg; break;
		case O_LANG: p.cfg.language = optarg; break;
		case O_CONSOLE: p.cfg.console = optarg; break;
		case O_PLAIN: p.cfg.mode = "plain"; break;
		case O_AUTO: p.cfg.auto_mode = true; break;
		case O_POWEROFF: p.cfg.poweroff = true; break;
		case O_METHOD: p.cfg.method = optarg; break;
		case O_VERIFY: p.cfg.verify = optarg; break;
		case O_IMAGE: p.image = optarg; break;
		case O_SIZE:
			if (parse_size(optarg, &p.data_size) < 0)
				return usage_error("image prepare", _("bad --data-size '%s'"), optarg);
			break;
		case O_CONFIRM: p.confirm = optarg; break;
		case O_FORCE: p.force = true; break;
		case 'J': p.json = true; break;
		case 'h': prepare_help(); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return usage_error("image prepare", _("one TARGET: the stick (a whole disk) or an image file"));
	if (!p.cfg.trust_dir || !p.cfg.policy)
		return usage_error("image prepare", _("--trust DIR and --policy FILE are needed"));
	if (p.cfg.poweroff && !p.cfg.auto_mode)
		return usage_error("image prepare", _("--poweroff goes with --auto"));
	if (p.cfg.method && !erase_method_find(p.cfg.method))
		return usage_error("image prepare", _("unknown overwrite method '%s' (see wipe --list-methods)"),
				   p.cfg.method);
	p.target = argv[optind];
	rc = prepare(&p);
	if (p.work) {
		_cleanup_free_ char *cmd = NULL;

		/* the scratch tree and the file system image, on every path */
		if (asprintf(&cmd, "rm -rf --one-file-system -- '%s'", p.work) > 0 && system(cmd) != 0)
			log_warn(_("%s: could not remove"), p.work);
		free(p.work);
	}
	if (p.have_disk)
		disk_release(&p.disk);
	return rc;
}

static const struct command image_cmds[] = {
	{ "prepare", image_prepare, CMD_DESTRUCTIVE | CMD_JSON,
	  N_("write a wipecert stick's data partition: trust, policy, key, ledger, stick.conf") },
	{}
};

static void help(FILE *f, const struct command_table *t)
{
	fprintf(f, _("Usage: %s image <command> [options]\n\n"
		     "The wipecert stick (docs/stick.md): 'make image' builds it, these commands\n"
		     "make it ready for an organisation.\n\nCommands:\n"), program_name);
	cli_print_commands(f, t);
	fprintf(f, _("\nRun '%s image <command> --help' for its options.\n"), program_name);
}

const struct command_table image_cmd_table = { "image", image_cmds, help, NULL };
