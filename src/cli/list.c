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

enum {
	COL_NAME, COL_PATH, COL_MODEL, COL_VENDOR, COL_SERIAL, COL_WWN, COL_FIRMWARE,
	COL_SIZE, COL_LOGSEC, COL_PHYSEC, COL_TRAN, COL_ROTA, COL_RM, COL_RO,
	COL_PTTYPE, COL_CONTENT, COL_STATE, COL_REASON, COL_BACKING,
};

struct colinfo {
	const char *name;
	double whint;
	int flags;
	const char *help;
};

static const struct colinfo infos[] = {
	[COL_NAME] = { "NAME", 0.1, 0, N_("kernel device name") },
	[COL_PATH] = { "PATH", 0.1, 0, N_("device node or image file") },
	[COL_MODEL] = { "MODEL", 0.2, SCOLS_FL_TRUNC, N_("device model") },
	[COL_VENDOR] = { "VENDOR", 0.1, SCOLS_FL_TRUNC, N_("device vendor") },
	[COL_SERIAL] = { "SERIAL", 0.15, 0, N_("serial number") },
	[COL_WWN] = { "WWN", 0.15, 0, N_("world wide name (naa./eui.)") },
	[COL_FIRMWARE] = { "FIRMWARE", 0.1, 0, N_("firmware revision") },
	[COL_SIZE] = { "SIZE", 6, SCOLS_FL_RIGHT, N_("size (in bytes with --bytes)") },
	[COL_LOGSEC] = { "LOG-SEC", 4, SCOLS_FL_RIGHT, N_("logical sector size") },
	[COL_PHYSEC] = { "PHY-SEC", 4, SCOLS_FL_RIGHT, N_("physical sector size") },
	[COL_TRAN] = { "TRAN", 6, 0, N_("transport: nvme, sata, sas, usb, virtio, loop, mmc, file") },
	[COL_ROTA] = { "ROTA", 1, SCOLS_FL_RIGHT, N_("rotational") },
	[COL_RM] = { "RM", 1, SCOLS_FL_RIGHT, N_("removable") },
	[COL_RO] = { "RO", 1, SCOLS_FL_RIGHT, N_("read-only") },
	[COL_PTTYPE] = { "PTTYPE", 4, 0, N_("partition table type") },
	[COL_CONTENT] = { "CONTENT", 0.2, SCOLS_FL_WRAP, N_("filesystems and labels found by libblkid") },
	[COL_STATE] = { "STATE", 7, 0, N_("safety: system, mounted, held, in-use, ok") },
	[COL_REASON] = { "REASON", 0.2, SCOLS_FL_TRUNC, N_("why the state is not ok") },
	[COL_BACKING] = { "BACKING", 0.2, SCOLS_FL_TRUNC, N_("loop device backing file") },
};

static const int default_cols[] = { COL_PATH, COL_MODEL, COL_SERIAL, COL_SIZE, COL_TRAN, COL_CONTENT, COL_STATE };

struct list_control {
	int cols[ARRAY_SIZE(infos)];
	size_t ncols;
	bool json, raw, noheadings, bytes;
	struct disk_scan scan;
};

static int column_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(infos); i++)
		if (strlen(infos[i].name) == len && !strncasecmp(infos[i].name, name, len))
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

static char *cell(const struct list_control *ctl, const struct disk *d, int col)
{
	char *s = NULL;

	switch (col) {
	case COL_NAME: return d->name ? strdup(d->name) : NULL;
	case COL_PATH: return d->devpath ? strdup(d->devpath) : NULL;
	case COL_MODEL: return d->model ? strdup(d->model) : NULL;
	case COL_VENDOR: return d->vendor ? strdup(d->vendor) : NULL;
	case COL_SERIAL: return d->serial ? strdup(d->serial) : NULL;
	case COL_WWN: return d->wwn ? strdup(d->wwn) : NULL;
	case COL_FIRMWARE: return d->firmware ? strdup(d->firmware) : NULL;
	case COL_SIZE:
		if (!ctl->bytes)
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
	case COL_PTTYPE: return d->pttype ? strdup(d->pttype) : NULL;
	case COL_CONTENT: return content_string(d);
	case COL_STATE: return strdup(disk_safety_to_string(d->safety));
	case COL_REASON: return d->safety_reason ? strdup(d->safety_reason) : NULL;
	case COL_BACKING: return d->backing_file ? strdup(d->backing_file) : NULL;
	}
	return NULL;
}

static int print_table(const struct list_control *ctl, const struct disk *v, size_t n)
{
	struct libscols_table *tb = scols_new_table();
	int r = 0;

	if (!tb)
		return log_error_errno(-ENOMEM, _("failed to allocate the output table"));
	scols_table_enable_raw(tb, ctl->raw);
	scols_table_enable_noheadings(tb, ctl->noheadings);
	for (size_t i = 0; i < ctl->ncols; i++) {
		const struct colinfo *ci = &infos[ctl->cols[i]];

		if (!scols_table_new_column(tb, ci->name, ci->whint, ci->flags)) {
			r = log_error_errno(-ENOMEM, _("failed to allocate an output column"));
			goto out;
		}
	}
	for (size_t k = 0; k < n; k++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln) {
			r = log_error_errno(-ENOMEM, _("failed to allocate an output line"));
			goto out;
		}
		for (size_t i = 0; i < ctl->ncols; i++) {
			char *data = cell(ctl, &v[k], ctl->cols[i]);

			if (data && scols_line_refer_data(ln, i, data) < 0)
				free(data);
		}
	}
	scols_print_table(tb);
out:
	scols_unref_table(tb);
	return r;
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *disk_to_json(const struct disk *d);
json_t *disk_to_json(const struct disk *d)
{
	json_t *o = json_object(), *content = json_array(), *holders = json_array();

	json_object_set_new(o, "name", jstr(d->name));
	json_object_set_new(o, "path", jstr(d->devpath));
	json_object_set_new(o, "model", jstr(d->model));
	json_object_set_new(o, "vendor", jstr(d->vendor));
	json_object_set_new(o, "serial", jstr(d->serial));
	json_object_set_new(o, "wwn", jstr(d->wwn));
	json_object_set_new(o, "firmware", jstr(d->firmware));
	json_object_set_new(o, "size", json_integer((json_int_t)d->size));
	json_object_set_new(o, "logical_sector_size", json_integer(d->logical_sector));
	json_object_set_new(o, "physical_sector_size", json_integer(d->physical_sector));
	json_object_set_new(o, "transport", json_string(disk_transport_to_string(d->transport)));
	json_object_set_new(o, "rotational", json_boolean(d->rotational));
	json_object_set_new(o, "removable", json_boolean(d->removable));
	json_object_set_new(o, "readonly", json_boolean(d->readonly));
	json_object_set_new(o, "pttype", jstr(d->pttype));
	json_object_set_new(o, "ptuuid", jstr(d->pttype_uuid));
	for (size_t i = 0; i < d->n_content; i++) {
		json_t *c = json_object();

		json_object_set_new(c, "device", jstr(d->content[i].devname));
		json_object_set_new(c, "type", jstr(d->content[i].fstype));
		json_object_set_new(c, "label", jstr(d->content[i].label));
		json_object_set_new(c, "uuid", jstr(d->content[i].uuid));
		json_array_append_new(content, c);
	}
	json_object_set_new(o, "content", content);
	for (char **h = d->holders; h && *h; h++)
		json_array_append_new(holders, json_string(*h));
	json_object_set_new(o, "holders", holders);
	json_object_set_new(o, "backing_file", jstr(d->backing_file));
	json_object_set_new(o, "state", json_string(disk_safety_to_string(d->safety)));
	json_object_set_new(o, "state_reason", jstr(d->safety_reason));
	return o;
}

/* The drive's firmware erase capabilities (drive layer, read-only
 * commands); null for images and loop devices or when it cannot be asked. */
static json_t *caps_to_json(const struct disk *d)
{
	struct drive_caps c;

	if (d->transport == TRANSPORT_FILE || d->transport == TRANSPORT_LOOP || !d->devpath ||
	    drive_probe_caps(d->devpath, &c) < 0)
		return json_null();
	return drive_caps_to_json(&c);
}

static int print_json(const struct disk *v, size_t n)
{
	json_t *root = json_object(), *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = disk_to_json(&v[i]);

		json_object_set_new(o, "capabilities", caps_to_json(&v[i]));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "disks", arr);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(root);
	return 0;
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
	       "  -h, --help          show this help\n\n"
	       "Columns:\n"), program_name);
	for (size_t i = 0; i < ARRAY_SIZE(infos); i++)
		printf("  %9s  %s\n", infos[i].name, _(infos[i].help));
	printf(_("\nStates: system (holds /, /boot, /usr, /var or active swap), mounted,\n"
		 "held (dm, md, LVM on it), in-use (exclusive open fails), ok.\n"));
}

int cmd_list(int argc, char **argv)
{
	enum { OPT_SYSFS = 256, OPT_MOUNTINFO, OPT_SWAPS };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'J' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
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
	while ((c = getopt_long(argc, argv, "+o:bnrJah", longopts, NULL)) != -1) {
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
		default: return usage_error("list", _("bad option"));
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
	if (ctl.json)
		print_json(v, n);
	else if (n)
		print_table(&ctl, v, n);
	disk_list_free(v, n);
	return rc;
}
