/* list.c - `wipecert list`: every attached whole disk, who it is, what is on
 * it and whether it is safe to touch.
 *
 * One column table drives the people's table (libsmartcols), -o, --raw,
 * --noheadings and the help text; --json prints every field with stable
 * names whatever -o says. It never writes to a disk.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <libsmartcols.h>
#include <string.h>

#include "wipecert/cli.h"
#include "wipecert/disk.h"
#include "wipecert/drive.h"
#include "wipecert/ledger.h"

/* In --json order: the JSON document lists every column but -o's. */
enum {
	COL_NAME, COL_PATH, COL_MODEL, COL_VENDOR, COL_SERIAL, COL_WWN, COL_FIRMWARE,
	COL_SIZE, COL_LOGSEC, COL_PHYSEC, COL_TRAN, COL_ROTA, COL_RM, COL_RO,
	COL_PTTYPE, COL_PTUUID, COL_CONTENT, COL_HOLDERS, COL_BACKING, COL_STATE, COL_REASON, COL_CAPS,
};

/* How a column's value is written in --json. libsmartcols writes a
 * NUMBER cell verbatim (every version does): J_RAW cells are JSON that
 * jansson made (arrays, objects), so the document keeps its nested fields. */
enum { J_STRING, J_NUMBER, J_BOOLEAN, J_RAW };

struct colinfo {
	const char *name;
	const char *json;   /* its field name in --json */
	double whint;
	int flags;
	int jtype;
	bool json_only;     /* not a table column (no -o) */
	const char *help;
};

static const struct colinfo infos[] = {
	[COL_NAME] = { "NAME", "name", 0.1, 0, J_STRING, false, N_("kernel device name") },
	[COL_PATH] = { "PATH", "path", 0.1, 0, J_STRING, false, N_("device node or image file") },
	[COL_MODEL] = { "MODEL", "model", 0.2, SCOLS_FL_TRUNC, J_STRING, false, N_("device model") },
	[COL_VENDOR] = { "VENDOR", "vendor", 0.1, SCOLS_FL_TRUNC, J_STRING, false, N_("device vendor") },
	[COL_SERIAL] = { "SERIAL", "serial", 0.15, 0, J_STRING, false, N_("serial number") },
	[COL_WWN] = { "WWN", "wwn", 0.15, 0, J_STRING, false, N_("world wide name (naa./eui.)") },
	[COL_FIRMWARE] = { "FIRMWARE", "firmware", 0.1, 0, J_STRING, false, N_("firmware revision") },
	[COL_SIZE] = { "SIZE", "size", 6, SCOLS_FL_RIGHT, J_NUMBER, false, N_("size (in bytes with --bytes)") },
	[COL_LOGSEC] = { "LOG-SEC", "logical_sector_size", 4, SCOLS_FL_RIGHT, J_NUMBER, false,
			 N_("logical sector size") },
	[COL_PHYSEC] = { "PHY-SEC", "physical_sector_size", 4, SCOLS_FL_RIGHT, J_NUMBER, false,
			 N_("physical sector size") },
	[COL_TRAN] = { "TRAN", "transport", 6, 0, J_STRING, false,
		       N_("transport: nvme, sata, sas, usb, virtio, loop, mmc, file") },
	[COL_ROTA] = { "ROTA", "rotational", 1, SCOLS_FL_RIGHT, J_BOOLEAN, false, N_("rotational") },
	[COL_RM] = { "RM", "removable", 1, SCOLS_FL_RIGHT, J_BOOLEAN, false, N_("removable") },
	[COL_RO] = { "RO", "readonly", 1, SCOLS_FL_RIGHT, J_BOOLEAN, false, N_("read-only") },
	[COL_PTTYPE] = { "PTTYPE", "pttype", 4, 0, J_STRING, false, N_("partition table type") },
	[COL_PTUUID] = { "PTUUID", "ptuuid", 0.1, 0, J_STRING, false, N_("partition table identifier") },
	[COL_CONTENT] = { "CONTENT", "content", 0.2, SCOLS_FL_WRAP, J_RAW, false,
			  N_("filesystems and labels found by libblkid") },
	[COL_HOLDERS] = { "HOLDERS", "holders", 0.1, 0, J_RAW, false,
			  N_("what sits on it: dm, md, bcache, loop and zram devices") },
	[COL_BACKING] = { "BACKING", "backing_file", 0.2, SCOLS_FL_TRUNC, J_STRING, false,
			  N_("loop device backing file") },
	[COL_STATE] = { "STATE", "state", 7, 0, J_STRING, false,
			N_("safety: system, mounted, held, member, in-use, unknown, ok") },
	[COL_REASON] = { "REASON", "state_reason", 0.2, SCOLS_FL_TRUNC, J_STRING, false,
			 N_("why the state is not ok") },
	[COL_CAPS] = { "CAPABILITIES", "capabilities", 0, 0, J_RAW, true, NULL },
};

static const int default_cols[] = { COL_PATH, COL_MODEL, COL_SERIAL, COL_SIZE, COL_TRAN, COL_CONTENT, COL_STATE };

struct list_control {
	int cols[ARRAY_SIZE(infos)];
	size_t ncols;
	bool json, raw, noheadings, bytes;
	struct disk_scan scan;
	const char *db;            /* the ledger that records what was seen */
	bool no_record;
};

static int column_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(infos); i++)
		if (!infos[i].json_only && strlen(infos[i].name) == len && !strncasecmp(infos[i].name, name, len))
			return (int)i;
	return -1;
}

static int parse_columns(struct list_control *ctl, const char *arg)
{
	const char *p = arg;

	ctl->ncols = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		int c = column_by_name(p, len);

		if (c < 0 || ctl->ncols >= ARRAY_SIZE(ctl->cols))
			return usage_error("list", _("unknown column '%.*s'"), (int)len, p);
		ctl->cols[ctl->ncols++] = c;
		p += len;
		if (*p == ',')
			p++;
	}
	if (ctl->ncols == 0)
		return usage_error("list", _("no columns given to --output"));
	return 0;
}

static char *content_string(const struct disk *d)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < d->n_content; i++) {
		const struct disk_content *c = &d->content[i];

		fprintf(f, "%s%s", i ? " " : "", c->fstype);
		if (!streq(c->devname, d->devpath))
			fprintf(f, "@%s", strrchr(c->devname, '/') + 1);
		if (c->label)
			fprintf(f, "[%s]", c->label);
	}
	fclose(f);
	return s;
}

static char *human_size(uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	size_t u = 0;
	char *s;

	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (u == 0) {
		if (asprintf(&s, "%" PRIu64 "B", bytes) < 0)
			return NULL;
	} else if (asprintf(&s, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]) < 0) {
		return NULL;
	}
	return s;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ": " and ", " as the rest of the document has them (scripts, and the
 * QEMU guest's busybox checks, grep for '"sanicap": 0') */
static char *json_text(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	return s;
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *content_json(const struct disk *d)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < d->n_content; i++) {
		const struct disk_content *c = &d->content[i];

		json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:o,s:o}", "device", jstr(c->devname),
						   "type", jstr(c->fstype), "usage", jstr(c->usage),
						   "label", jstr(c->label), "uuid", jstr(c->uuid)));
	}
	return a;
}

static json_t *holders_json(const struct disk *d)
{
	json_t *a = json_array();

	for (char **h = d->holders; a && h && *h; h++)
		json_array_append_new(a, json_string(*h));
	return a;
}

/* The drive's firmware erase capabilities (drive layer, read-only
 * commands); null for images and loop devices or when it cannot be asked. */
static json_t *caps_json(const struct disk *d)
{
	struct drive_caps c;

	if (disk_is_image(d) || !d->devpath || drive_probe_caps(d->devpath, &c) < 0)
		return json_null();
	return drive_caps_to_json(&c);
}

static char *holders_string(const struct disk *d)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	if (!d->holders || !d->holders[0])
		return NULL;
	f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	for (char **h = d->holders; *h; h++)
		fprintf(f, "%s%s", h == d->holders ? "" : ",", *h);
	fclose(f);
	return s;
}

/* One cell: what a person reads in the table, or with json the value as
 * --json writes it (bytes, "1"/"0", or jansson's text for J_RAW). */
static char *cell(const struct list_control *ctl, const struct disk *d, int col, bool json)
{
	char *s = NULL;

	switch (col) {
	case COL_NAME: return dup_or_null(d->name);
	case COL_PATH: return dup_or_null(d->devpath);
	case COL_MODEL: return dup_or_null(d->model);
	case COL_VENDOR: return dup_or_null(d->vendor);
	case COL_SERIAL: return dup_or_null(d->serial);
	case COL_WWN: return dup_or_null(d->wwn);
	case COL_FIRMWARE: return dup_or_null(d->firmware);
	case COL_SIZE:
		if (!json && !ctl->bytes)
			return human_size(d->size);
		if (asprintf(&s, "%" PRIu64, d->size) < 0)
			return NULL;
		return s;
	case COL_LOGSEC:
		if (asprintf(&s, "%u", d->logical_sector) < 0)
			return NULL;
		return s;
	case COL_PHYSEC:
		if (asprintf(&s, "%u", d->physical_sector) < 0)
			return NULL;
		return s;
	case COL_TRAN: return strdup(disk_transport_to_string(d->transport));
	case COL_ROTA: return strdup(d->rotational ? "1" : "0");
	case COL_RM: return strdup(d->removable ? "1" : "0");
	case COL_RO: return strdup(d->readonly ? "1" : "0");
	case COL_PTTYPE: return dup_or_null(d->pttype);
	case COL_PTUUID: return dup_or_null(d->pttype_uuid);
	case COL_CONTENT: return json ? json_text(content_json(d)) : content_string(d);
	case COL_HOLDERS: return json ? json_text(holders_json(d)) : holders_string(d);
	case COL_BACKING: return dup_or_null(d->backing_file);
	case COL_STATE: return strdup(disk_safety_to_string(d->safety));
	case COL_REASON: return dup_or_null(json || !d->safety_text ? d->safety_reason : d->safety_text);
	case COL_CAPS: return json ? json_text(caps_json(d)) : NULL;
	}
	return NULL;
}

/* The one printer: the people's table (-o, --raw, --noheadings) and, with
 * --json, a document of every column under its field name, both made by
 * libsmartcols from the same column table. */
static int print_disks(const struct list_control *ctl, const struct disk *v, size_t n)
{
	static const int json_types[] = {
		[J_STRING] = SCOLS_JSON_STRING, [J_NUMBER] = SCOLS_JSON_NUMBER,
		[J_BOOLEAN] = SCOLS_JSON_BOOLEAN, [J_RAW] = SCOLS_JSON_NUMBER,
	};
	struct libscols_table *tb = scols_new_table();
	int cols[ARRAY_SIZE(infos)];
	size_t ncols = 0;
	int r = 0;

	if (!tb)
		return log_error_errno(-ENOMEM, _("failed to allocate the output table"));
	if (ctl->json) {
		for (size_t i = 0; i < ARRAY_SIZE(infos); i++)
			cols[ncols++] = (int)i;
		scols_table_enable_json(tb, 1);
		scols_table_set_name(tb, "disks");
	} else {
		memcpy(cols, ctl->cols, ctl->ncols * sizeof(cols[0]));
		ncols = ctl->ncols;
		scols_table_enable_raw(tb, ctl->raw);
		scols_table_enable_noheadings(tb, ctl->noheadings);
	}
	for (size_t i = 0; i < ncols; i++) {
		const struct colinfo *ci = &infos[cols[i]];
		struct libscols_column *cl = ctl->json ? scols_table_new_column(tb, ci->json, 0, 0)
						       : scols_table_new_column(tb, ci->name, ci->whint, ci->flags);

		if (!cl) {
			r = log_error_errno(-ENOMEM, _("failed to allocate an output column"));
			goto out;
		}
		if (ctl->json)
			scols_column_set_json_type(cl, json_types[ci->jtype]);
	}
	for (size_t k = 0; k < n; k++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln) {
			r = log_error_errno(-ENOMEM, _("failed to allocate an output line"));
			goto out;
		}
		for (size_t i = 0; i < ncols; i++) {
			char *data = cell(ctl, &v[k], cols[i], ctl->json);

			if (data && scols_line_refer_data(ln, i, data) < 0)
				free(data);
		}
	}
	if (n || ctl->json)
		scols_print_table(tb);
out:
	scols_unref_table(tb);
	return r;
}

static void list_help(void)
{
	printf(_("Usage: %s list [options] [DEVICE|IMAGE...]\n\n"
	       "List attached whole disks (or the given devices and image files) with\n"
	       "their identity, what is on them, and whether they are safe to wipe.\n\n"
	       "Options:\n"
	       "  -o, --output LIST   columns to show (comma separated)\n"
	       "  -b, --bytes         sizes in bytes\n"
	       "  -n, --noheadings    no header line\n"
	       "  -r, --raw           raw output (no alignment)\n"
	       "  -J, --json          JSON output with every field\n"
	       "  -a, --all           include unused loop devices\n"
	       "      --db PATH       record the disks seen (serial, WWN, model, size, this\n"
	       "                      station) in this ledger for its inspection, which names\n"
	       "                      those no entry has (also $WIPECERT_DB; not part of the chain)\n"
	       "      --no-record     do not record them\n"
	       "  -h, --help          show this help\n\n"
	       "Columns:\n"), program_name);
	for (size_t i = 0; i < ARRAY_SIZE(infos); i++)
		if (!infos[i].json_only)
			printf("  %9s  %s\n", infos[i].name, _(infos[i].help));
	printf(_("\nStates, worst first: system (holds /, /boot, /usr, /var or active swap),\n"
		 "mounted, held (dm, md, LVM, bcache, a loop or zram device sits on it),\n"
		 "member (an MD/LVM/RAID member signature: wipe --force-member TYPE),\n"
		 "in-use (exclusive open fails), unknown (cannot be opened or read), ok.\n"
		 "Only ok disks are wiped.\n"));
}

/* The disks this station saw, into the ledger's list the inspection (点検)
 * compares with the entries: only where a ledger is named (--db or
 * $WIPECERT_DB), never a default one; a failure is a warning, the listing
 * stands. */
static void record_seen(const struct list_control *ctl, const struct disk *v, size_t n)
{
	const char *where = ctl->db ? ctl->db : getenv("WIPECERT_DB");
	_cleanup_ledger_ struct ledger *l = NULL;
	char host[256] = "";
	int r;

	if (ctl->no_record || !where || !*where)
		return;
	if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
		snprintf(host, sizeof(host), "unknown");
	r = ledger_open(where, 0, &l);
	if (r < 0) {
		log_warn(_("%s: cannot record the disks seen: %s"), where, strerror(-r));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct ledger_detected d = { .model = v[i].model, .serial = v[i].serial, .wwn = v[i].wwn,
					     .capacity = v[i].size };

		if (!(d.serial && *d.serial) && !(d.wwn && *d.wwn))
			continue; /* an image file, a stick without a serial: nothing to compare */
		r = ledger_seen_record(l, host, &d);
		if (r < 0) {
			log_warn(_("%s: cannot record %s as seen: %s"), where, v[i].devpath, strerror(-r));
			return;
		}
	}
}

int cmd_list(int argc, char **argv)
{
	enum { OPT_SYSFS = 256, OPT_MOUNTINFO, OPT_SWAPS, OPT_DB, OPT_NO_RECORD };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'J' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "no-record", no_argument, NULL, OPT_NO_RECORD },
		/* for tests on captured sysfs trees; not in --help */
		{ "sysfs-root", required_argument, NULL, OPT_SYSFS },
		{ "mountinfo", required_argument, NULL, OPT_MOUNTINFO },
		{ "swaps", required_argument, NULL, OPT_SWAPS },
		{ NULL, 0, NULL, 0 },
	};
	struct list_control ctl = { 0 };
	struct disk *v = NULL;
	size_t n = 0;
	int c, r, rc = EXIT_OK;

	memcpy(ctl.cols, default_cols, sizeof(default_cols));
	ctl.ncols = ARRAY_SIZE(default_cols);
	optind = 0;
	/* options may follow the devices: `list /dev/sdb --json` */
	while ((c = cli_getopt(argc, argv, longopts, "list")) != -1) {
		switch (c) {
		case 'o':
			r = parse_columns(&ctl, optarg);
			if (r)
				return r;
			break;
		case 'b': ctl.bytes = true; break;
		case 'n': ctl.noheadings = true; break;
		case 'r': ctl.raw = true; break;
		case 'J': ctl.json = true; break;
		case 'a': ctl.scan.include_empty = true; break;
		case 'h': list_help(); return EXIT_OK;
		case OPT_SYSFS:
			ctl.scan.sysfs_root = optarg;
			ctl.scan.no_probe = true;
			break;
		case OPT_MOUNTINFO: ctl.scan.mountinfo = optarg; break;
		case OPT_SWAPS: ctl.scan.swaps = optarg; break;
		case OPT_DB: ctl.db = optarg; break;
		case OPT_NO_RECORD: ctl.no_record = true; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		v = calloc(argc - optind, sizeof(*v));
		if (!v) {
			log_error_errno(-ENOMEM, _("out of memory"));
			return EXIT_FAIL;
		}
		for (int i = optind; i < argc; i++) {
			r = disk_probe(&ctl.scan, argv[i], &v[n]);
			if (r == -ENOTBLK) {
				log_error(_("%s: not a whole disk or an image file"), argv[i]);
				rc = EXIT_FAIL;
				continue;
			}
			if (r < 0) {
				log_error_errno(r, _("%s: cannot examine"), argv[i]);
				rc = EXIT_FAIL;
				continue;
			}
			n++;
		}
	} else {
		r = disk_scan(&ctl.scan, &v, &n);
		if (r < 0) {
			log_error_errno(r, _("failed to enumerate disks"));
			return EXIT_FAIL;
		}
	}
	r = print_disks(&ctl, v, n);
	record_seen(&ctl, v, n);
	disk_list_free(v, n);
	if (r < 0)
		rc = EXIT_FAIL;
	return rc;
}
