/* wipe.c - `wipecert wipe`: overwrite one or more disks or image files with
 * a method from the table, verify, and keep a job record of it all.
 *
 * Before anything is written, every target must be described by detection,
 * be safe (not system, mounted, held or in use), and be confirmed by the
 * operator by its serial (the drive's, or one the operator attests for a
 * medium that reports none; its path when it has neither); one refused
 * target refuses the whole command. Then each target runs in its own
 * thread, and a failure on one does not stop the others.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "wipecert/cli.h"
#include "wipecert/drive.h"
#include "wipecert/flow.h"
#include "wipecert/ledger.h"
#include "wipecert/trust.h"
#include "wipe.h"

struct wipe_control {
	const struct erase_method *method;
	/* a firmware method (nvme-format, ata-secure-erase, ..., auto) instead
	 * of an overwrite: the drive layer erases, the record is the same */
	enum drive_method fw;
	enum drive_level fw_level;
	bool remove_hpa;
	enum erase_verify verify;
	bool verify_set;
	unsigned percent;
	unsigned rounds;          /* --rounds: the method's passes this many times */
	/* repeated options: one per target, in order */
	const char **confirm, **assets, **attest;
	size_t n_confirm, n_assets, n_attest;
};

static void help(void)
{
	printf(_("Usage: %s wipe [options] DEVICE|IMAGE...\n\n"
		 "Overwrite whole disks or image files, verify, and record a job.\n\n"
		 "Options:\n"
		 "  -m, --method M           overwrite method (default random; --list-methods);\n"
		 "                           nwipe's names too; verify-zero, verify-one only read\n"
		 "      --rounds N           the method's passes N times over (default 1)\n"
		 "      --verify MODE        off, last (default), all, or sample (NIST SP 800-88 §4.7)\n"
		 "      --sample-percent N   how much sample verification reads (default 10)\n"
		 "  -n, --dry-run, --no-act  check and show what would be done, write nothing\n"
		 "      --confirm-serial S   confirm a disk by its serial (repeat per disk); for\n"
		 "                           image files and disks with no serial, their path\n"
		 "      --force-member TYPE  also wipe a disk that carries this RAID/LVM member\n"
		 "                           signature (LVM2_member, linux_raid_member, ...;\n"
		 "                           comma separated): `list` names it\n"
		 "      --attest-serial S    the serial on the label of a medium that reports none\n"
		 "                           (repeat per target, '-' for none): recorded as attested\n"
		 "                           by you, checked against the ledger, confirmed again\n"
		 "  -J, --json               job records on stdout, progress events on stderr\n"
		 "      --state-dir DIR      job files (default $WIPECERT_STATE_DIR or %s)\n"
		 "      --asset ID           the ledger entry of the target (repeat per target, in\n"
		 "                           order): its serial/WWN and the policy are checked first\n"
		 "      --db FILE            the asset ledger (default $WIPECERT_DB or %s)\n"
		 "      --policy FILE        the disposal policy (default %s if present)\n"
		 "  -k, --key FILE           the technician's key: seal each finished job (needs --asset)\n"
		 "      --passphrase-file F  its passphrase (else asked before the wipe starts)\n"
		 "      --witness-key FILE   a witness (立会者, role witness) signs each sealed record\n"
		 "      --witness-passphrase-file F  the witness's passphrase\n"
		 "%s"
		 "      --list-methods       list the methods and their passes (--json: as JSON)\n"
		 "  -h, --help               show this help\n\n"
		 "Exit: 0 every target wiped (and verified, unless --verify off), 1 a wipe failed\n"
		 "or was interrupted, 2 usage, 3 refused before anything was written.\n"),
	       program_name, JOB_STATE_DIR_DEFAULT, LEDGER_DEFAULT_PATH, DEFAULT_POLICY, _(wipe_tuning_help));
}

/* The methods table: name, title, passes; a table for people or JSON. */
static int list_methods(bool json)
{
	const char *const head[] = { _("METHOD"), _("PASSES"), _("TITLE"), _("PATTERNS"), _("NWIPE") };
	struct libscols_table *t = json ? NULL : cli_table_new(head, ARRAY_SIZE(head));
	json_t *arr = json ? json_array() : NULL;

	if (!t && !arr)
		return EXIT_FAIL;
	for (size_t i = 0; i < erase_n_methods; i++) {
		const struct erase_method *m = &erase_methods[i];
		_cleanup_free_ char *pats = NULL, *n = NULL, *nw = NULL;
		json_t *passes = json_array(), *aliases = json_array();
		char buf[16];
		size_t len = 0, alen = 0;
		FILE *f = open_memstream(&pats, &len), *fa = open_memstream(&nw, &alen);

		for (unsigned k = 0; f && k < m->n_passes; k++) {
			erase_pass_describe(&m->passes[k], buf, sizeof(buf));
			if (k < 8)
				fprintf(f, "%s%s%s", k ? " " : "", m->verify_only ? "read " : "", buf);
			json_array_append_new(passes, json_string(buf));
		}
		if (f && m->n_passes > 8)
			fputs(" ...", f);
		for (size_t a = 0; a < erase_n_method_aliases; a++)
			if (streq(erase_method_aliases[a].name, m->name)) {
				if (fa)
					fprintf(fa, "%s%s", json_array_size(aliases) ? "," : "", erase_method_aliases[a].alias);
				json_array_append_new(aliases, json_string(erase_method_aliases[a].alias));
			}
		if (f)
			fclose(f);
		if (fa)
			fclose(fa);
		if (arr) {
			json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:o,s:b,s:o}", "name", m->name, "title", m->title,
							     "n_passes", (int)m->n_passes, "passes", passes,
							     "verify_only", m->verify_only, "nwipe", aliases));
			continue;
		}
		json_decref(passes);
		json_decref(aliases);
		if (asprintf(&n, "%u", m->n_passes) < 0 ||
		    cli_table_row(t, (const char *const[]){ m->name, n, _(m->title), pats ? pats : "", nw }) < 0) {
			cli_table_free(t);
			return EXIT_FAIL;
		}
	}
	if (arr) {
		cli_print_json(json_pack("{s:o}", "methods", arr), JSON_INDENT(2));
		return EXIT_OK;
	}
	return cli_table_print(t) < 0 ? EXIT_FAIL : EXIT_OK;
}

/* The serial a target is known by: the drive's, else the attested one. */
static const char *serial_of(const struct wipe_target *t)
{
	return t->disk.serial && *t->disk.serial ? t->disk.serial : t->attest;
}

static bool confirmed_by(const struct wipe_control *c, const struct wipe_target *t, const char *typed)
{
	const struct disk *d = &t->disk;
	const char *serial = serial_of(t);

	for (size_t i = 0; i <= c->n_confirm; i++) {
		const char *s = i < c->n_confirm ? c->confirm[i] : typed;

		if (!s)
			continue;
		if (serial) {
			if (streq(s, serial))
				return true;
			continue;
		}
		if (streq(s, t->arg) || (d->devpath && streq(s, d->devpath)) || (d->name && streq(s, d->name)))
			return true;
	}
	return false;
}

static int confirm(const struct wipe_control *c, const struct wipe_target *t, bool json)
{
	const char *serial = serial_of(t);
	char size[32], line[256];

	if (confirmed_by(c, t, NULL))
		return 0;
	if (json || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		log_error(serial ? _("%s: not confirmed: pass --confirm-serial %s")
				 : _("%s: not confirmed: pass --confirm-serial %s (it has no serial: its path)"),
			  t->arg, serial ? serial : t->arg);
		return -EPERM;
	}
	wipe_human(t->disk.size, size, sizeof(size));
	fprintf(stderr, _("%s: %s, %s, serial %s: ALL DATA WILL BE DESTROYED.\n"), t->arg,
		t->disk.model ? t->disk.model : "?", size, serial ? serial : "-");
	if (t->attest)
		fprintf(stderr, _("Type or scan the label's serial again to confirm: "));
	else if (serial)
		fprintf(stderr, _("Type the serial number to confirm: "));
	else
		fprintf(stderr, _("Type the path %s to confirm: "), t->arg);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return -EPERM;
	strstrip(line);
	if (!confirmed_by(c, t, line)) {
		log_error(_("%s: not confirmed"), t->arg);
		return -EPERM;
	}
	return 0;
}

static const char *method_name(const struct wipe_control *c)
{
	if (c->fw == DRIVE_METHOD_AUTO)
		return "auto";
	if (c->fw != DRIVE_METHOD_INVALID)
		return drive_method_to_string(c->fw);
	return c->method->name;
}

/* Detection, safety, identity, ledger and policy: everything that can
 * refuse a target before the operator is asked. Prints why. */
static int check_target(const struct wipe_control *c, struct wipe_run *w, struct wipe_target *t)
{
	struct flow_error ferr = { "" };
	char *reason = NULL;
	int r;

	r = disk_probe(&w->scan, t->arg, &t->disk);
	if (r == -ENOTBLK)
		return log_error(_("%s: refused: not a whole disk or a regular image file"), t->arg), r;
	if (r < 0)
		return log_error_errno(r, _("%s: cannot describe the target"), t->arg);
	t->have_disk = true;
	if (t->disk.readonly)
		return log_error(_("%s: the device is read-only"), t->arg), -EROFS;
	if (t->attest && disk_has_identity(&t->disk))
		return log_error(_("%s: refused: it reports its own serial %s (WWN %s): an attested serial is only for "
				   "media that report none"), t->arg, t->disk.serial ? t->disk.serial : "-",
				 t->disk.wwn ? t->disk.wwn : "-"), -EPERM;
	r = disk_check_safety_text(&w->scan, &t->disk, NULL, &reason);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot check whether it is safe to write"), t->arg);
	if (r != SAFETY_OK) {
		log_error(_("%s: refused: %s (%s)"), t->arg, disk_safety_to_string((enum disk_safety)r),
			  reason ? reason : "?");
		free(reason);
		return -EBUSY;
	}
	free(reason);
	if (t->disk.size == 0)
		return log_error(_("%s: the target is empty"), t->arg), -EINVAL;
	/* the ledger and the policy before anything is written */
	if (t->asset && (r = flow_check_before_wipe(&w->flow, t->asset, method_name(c), serial_of(t), t->disk.wwn,
						    t->disk.transport == TRANSPORT_FILE, &ferr)) < 0)
		return log_error(_("%s: refused: %s"), t->arg, flow_error_text(&ferr)), r;
	if (c->fw != DRIVE_METHOD_INVALID && disk_is_image(&t->disk))
		return log_error(_("%s: refused: a firmware method needs a drive, not an image file or loop device"),
				 t->arg), -EPERM;
	return 0;
}

/* Open the confirmed target as the one writer and start its job: the
 * fingerprint is taken here, before anything is written. */
static int start_job(const struct wipe_control *c, struct wipe_run *w, struct wipe_target *t)
{
	_cleanup_free_ char *reason = NULL;
	struct job *j;
	int r;

	/* safety again, right before the open: the confirmation took time */
	r = erase_target_open(&w->scan, &t->disk, &t->tgt, &reason);
	if (r == -EBUSY)
		return log_error(_("%s: refused: no longer safe to write: %s"), t->arg, reason ? reason : "?"), r;
	if (r == -EAGAIN)
		return log_error(_("%s: refused: %s"), t->arg, reason ? reason : "?"), r;
	if (r == -ESTALE)
		return log_error(_("%s: refused: it changed since it was described"), t->arg), r;
	if (r == -ELOOP)
		return log_error(_("%s: refused: a symbolic link, not the image file it was"), t->arg), r;
	if (r == -ENOTBLK)
		return log_error(_("%s: refused: not a whole disk or a regular image file"), t->arg), r;
	if (r < 0)
		return log_error_errno(r, _("%s: cannot open for writing"), t->arg);
	r = erase_job_start(c->method, c->verify, c->percent, &t->disk, &t->tgt, &t->job);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot read the fingerprint before the wipe"), t->arg);
	j = t->job;
	r = job_set_rounds(j, c->rounds);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot repeat the method %u times"), t->arg, c->rounds);
	j->tuning = w->tuning.v;
	if (job_set(&j->asset, t->asset) < 0 || job_set(&j->ledger, t->asset ? w->db : NULL) < 0 ||
	    job_set(&j->attested_serial, t->attest) < 0 ||
	    job_set(&j->attested_by, !t->attest ? NULL : w->tech ? trust_seckey_name(w->tech) : cli_login_name()) < 0)
		return log_error_errno(-ENOMEM, "%s", t->arg);
	return 0;
}

/* --json: with --dry-run the plans are the output (stdout, one document);
 * otherwise each is a "plan" event on stderr next to the progress events. */
static void print_plan(const struct wipe_control *c, const struct wipe_run *w, const struct wipe_target *t,
		       json_t *plans)
{
	const struct disk *d = &t->disk;
	const char *serial = serial_of(t);
	char size[32], ser[160];

	wipe_human(d->size, size, sizeof(size));
	if (w->json) {
		json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:I,s:i,s:s,s:s,s:i,s:i,s:s}",
				      "event", "plan", "device", t->arg,
				      "model", d->model ? json_string(d->model) : json_null(),
				      "serial", d->serial ? json_string(d->serial) : json_null(),
				      "attested_serial", t->attest ? json_string(t->attest) : json_null(),
				      "size", (json_int_t)d->size, "logical_sector", (int)d->logical_sector,
				      "method", method_name(c), "verify", c->fw != DRIVE_METHOD_INVALID ? "sample" :
				      erase_verify_to_string(c->verify),
				      "passes", c->fw != DRIVE_METHOD_INVALID ? 1 : (int)(c->method->n_passes * c->rounds),
				      "rounds", (int)c->rounds, "dry_run", w->dry_run ? "yes" : "no");
		if (w->dry_run) {
			json_array_append_new(plans, o);
			return;
		}
		json_dumpf(o, stderr, JSON_COMPACT);
		fputc('\n', stderr);
		json_decref(o);
		return;
	}
	snprintf(ser, sizeof(ser), t->attest ? _("%s (attested)") : "%s", serial ? serial : "-");
	if (c->fw != DRIVE_METHOD_INVALID) {
		printf(_("%s: %s, serial %s, %s, %u-byte sectors: firmware erase %s, sampled read-back%s\n"), t->arg,
		       d->model ? d->model : "?", ser, size, d->logical_sector,
		       method_name(c), w->dry_run ? _(" [dry run: nothing written]") : "");
		return;
	}
	if (c->method->verify_only) {
		printf(_("%s: %s, serial %s, %s, %u-byte sectors: %s, read all of it, write nothing%s\n"), t->arg,
		       d->model ? d->model : "?", ser, size, d->logical_sector, c->method->name,
		       w->dry_run ? _(" [dry run: nothing written]") : "");
		return;
	}
	printf(ngettext("%s: %s, serial %s, %s, %u-byte sectors: %s (%u pass), verify %s%s\n",
			"%s: %s, serial %s, %s, %u-byte sectors: %s (%u passes), verify %s%s\n",
			c->method->n_passes * c->rounds), t->arg,
	       d->model ? d->model : "?", ser, size, d->logical_sector,
	       c->method->name, c->method->n_passes * c->rounds, erase_verify_to_string(c->verify),
	       w->dry_run ? _(" [dry run: nothing written]") : "");
}

static void fw_progress(void *ud, const char *phase, double f, double eta)
{
	const struct wipe_target *t = ud;

	if (f >= 0 && eta >= 0)
		fprintf(stderr, _("%s: %s: %.1f%%, about %.0f s left\n"), t->arg, cli_fw_phase(phase), f * 100, eta);
	else if (f >= 0)
		fprintf(stderr, _("%s: %s: %.1f%%\n"), t->arg, cli_fw_phase(phase), f * 100);
	else
		fprintf(stderr, _("%s: %s...\n"), t->arg, cli_fw_phase(phase));
}

/* Firmware erases, one drive after the other (each drive works on its
 * own; the host only waits), each written down as a job record. */
static int firmware_run_all(const struct wipe_control *c, struct wipe_run *w)
{
	struct drive_erase_opts o = { .sample_percent = c->percent, .remove_hpa = c->remove_hpa, .level = c->fw_level };
	json_t *jobs = json_array();
	int ret = EXIT_OK;

	for (size_t i = 0; i < w->n; i++) {
		struct wipe_target *t = &w->t[i];
		struct flow_error ferr = { "" };
		const struct drive_erase_result *res = &t->fw.res;

		if (flow_firmware_wipe(&w->flow, &t->disk, c->fw, &o, fw_progress, t, &t->fw, &ferr) < 0) {
			log_error("%s: %s", t->arg, flow_error_text(&ferr));
			ret = EXIT_FAIL;
		}
		if (res->refused) {
			log_error(_("%s: refused: %s"), t->arg, res->reason);
			if (ret == EXIT_OK)
				ret = EXIT_REFUSED;
			flow_firmware_release(&t->fw); /* nothing happened: nothing to seal */
		} else if (res->error || res->verdict != DRIVE_VERDICT_PASSED) {
			log_error(_("%s: %s FAILED: %s (verification %s)"), t->arg, drive_method_to_string(res->method),
				  res->reason[0] ? res->reason : "-", drive_verdict_to_string(res->verdict));
			ret = EXIT_FAIL;
		} else if (!w->json) {
			printf(_("%s: %s done and verified (%" PRIu64 " of %" PRIu64 " samples changed): job %s\n"), t->arg,
			       drive_method_to_string(res->method), res->changed, res->samples, t->fw.job_id);
		}
		if (t->fw.job_id)
			cli_op_job(t->fw.job_id, t->asset, drive_method_to_string(res->method),
				   res->refused ? "refused" : res->error || res->verdict != DRIVE_VERDICT_PASSED ? "failed" :
				   "wiped-and-verified", res->reason[0] ? res->reason : NULL);
		if (t->fw.record)
			json_array_append(jobs, t->fw.record);
	}
	if (w->json) {
		json_t *doc = json_pack("{s:O}", "jobs", jobs);

		cli_print_json(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	}
	json_decref(jobs);
	return ret;
}

static int set_method(struct wipe_control *c, const char *name)
{
	c->method = erase_method_find(name);
	c->fw = DRIVE_METHOD_INVALID;
	if (c->method)
		return 0;
	c->fw = drive_method_from_string(name);
	c->method = erase_method_find("random");
	return c->fw == DRIVE_METHOD_INVALID ? usage_error("wipe", _("unknown method '%s' (see --list-methods)"), name)
					     : 0;
}

/* What --rounds and --verify mean for the method chosen; -1 to go on. */
static int check_method_options(struct wipe_control *c)
{
	if (c->fw != DRIVE_METHOD_INVALID) {
		if (c->rounds > 1)
			return usage_error("wipe", _("--rounds repeats an overwrite, not a firmware erase"));
		return -1;
	}
	if (c->method->verify_only) {
		/* the method is its read-back: all of the target, once */
		if (c->verify_set && c->verify != VERIFY_LAST && c->verify != VERIFY_ALL)
			return usage_error("wipe", _("%s reads all of the target: --verify %s does not apply"),
					   c->method->name, erase_verify_to_string(c->verify));
		if (c->rounds > 1)
			return usage_error("wipe", _("%s writes nothing: --rounds does not apply"), c->method->name);
		return -1;
	}
	if ((uint64_t)c->method->n_passes * c->rounds > ERASE_MAX_PASSES)
		return usage_error("wipe", _("--rounds %u: %u passes, more than %u"), c->rounds,
				   c->method->n_passes * c->rounds, ERASE_MAX_PASSES);
	return -1;
}

/* Returns -1 to go on, else the exit code (--help and --list-methods too). */
static int parse_options(int argc, char **argv, struct wipe_control *c, struct wipe_run *w)
{
	enum { OPT_VERIFY = 256, OPT_PERCENT, OPT_CONFIRM, OPT_STATE, OPT_LIST, OPT_ASSET, OPT_DB,
	       OPT_POLICY, OPT_PASS, OPT_LEVEL, OPT_REMOVE_HPA, OPT_ATTEST, OPT_FORCE_MEMBER, OPT_WKEY, OPT_WPASS,
	       OPT_ROUNDS };
	static const struct option opts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "verify", required_argument, NULL, OPT_VERIFY },
		{ "sample-percent", required_argument, NULL, OPT_PERCENT },
		{ "rounds", required_argument, NULL, OPT_ROUNDS },
		CLI_OPT_DRY_RUN,
		{ "confirm-serial", required_argument, NULL, OPT_CONFIRM },
		{ "attest-serial", required_argument, NULL, OPT_ATTEST },
		{ "force-member", required_argument, NULL, OPT_FORCE_MEMBER },
		CLI_OPT_JSON,
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "asset", required_argument, NULL, OPT_ASSET },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "remove-hpa", no_argument, NULL, OPT_REMOVE_HPA },
		{ "db", required_argument, NULL, OPT_DB },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		{ "witness-key", required_argument, NULL, OPT_WKEY },
		{ "witness-passphrase-file", required_argument, NULL, OPT_WPASS },
		WIPE_TUNING_LONGOPTS,
		{ "list-methods", no_argument, NULL, OPT_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool list_only = false;
	int opt, ret = -1;
	uint64_t v;

	while ((opt = cli_getopt(argc, argv, opts, "wipe")) != -1) {
		if (wipe_parse_tuning(opt, optarg, &w->tuning, "wipe", &ret)) {
			if (ret != -1)
				return ret;
			continue;
		}
		switch (opt) {
		case 'm':
			if ((ret = set_method(c, optarg)) != 0)
				return ret;
			ret = -1;
			break;
		case OPT_LEVEL:
			if (drive_level_from_string(optarg, &c->fw_level) < 0)
				return usage_error("wipe", _("unknown level '%s' (clear or purge)"), optarg);
			break;
		case OPT_REMOVE_HPA: c->remove_hpa = true; break;
		case OPT_VERIFY:
			if (erase_verify_from_string(optarg, &c->verify) < 0)
				return usage_error("wipe", _("bad --verify '%s': off, last, all or sample"), optarg);
			c->verify_set = true;
			break;
		case OPT_ROUNDS:
			if (parse_u64(optarg, &v) < 0 || v < 1 || v > ERASE_MAX_PASSES)
				return usage_error("wipe", _("bad --rounds '%s': 1..%u"), optarg, ERASE_MAX_PASSES);
			c->rounds = (unsigned)v;
			break;
		case OPT_PERCENT:
			if (parse_u64(optarg, &v) < 0 || v < 1 || v > 100)
				return usage_error("wipe", _("bad --sample-percent '%s': 1..100"), optarg);
			c->percent = (unsigned)v;
			break;
		case OPT_ATTEST:
			if (!*strstrip(optarg))
				return usage_error("wipe", _("--attest-serial: an empty serial"));
			c->attest[c->n_attest++] = optarg;
			break;
		case 'n': w->dry_run = true; break;
		case OPT_CONFIRM: c->confirm[c->n_confirm++] = optarg; break;
		case OPT_FORCE_MEMBER: w->scan.force_member = optarg; break;
		case 'J': w->json = true; break;
		case OPT_STATE: w->state_dir = optarg; break;
		case OPT_ASSET: c->assets[c->n_assets++] = optarg; break;
		case OPT_DB: w->db = optarg; break;
		case OPT_POLICY: w->policy_path = optarg; break;
		case 'k': w->key = optarg; break;
		case OPT_PASS: w->pass_file = optarg; break;
		case OPT_WKEY: w->witness_key = optarg; break;
		case OPT_WPASS: w->witness_pass = optarg; break;
		case OPT_LIST:
			list_only = true;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	/* after every option: --list-methods --json */
	if (list_only)
		return list_methods(w->json);
	return check_method_options(c);
}

/* The targets as typed, each once, with their assets and attested serials. */
static int make_targets(int argc, char **argv, const struct wipe_control *c, struct wipe_run *w)
{
	if (optind >= argc)
		return usage_error("wipe", _("no device or image given"));
	for (int i = optind; i < argc; i++)
		for (int k = optind; k < i; k++)
			if (streq(argv[i], argv[k]))
				return usage_error("wipe", _("'%s' given twice"), argv[i]);
	w->n = (size_t)(argc - optind);
	if (c->n_assets && c->n_assets != w->n)
		return usage_error("wipe", _("%zu targets but %zu --asset: give one asset per target, in order"), w->n,
				   c->n_assets);
	if (c->n_attest && c->n_attest != w->n)
		return usage_error("wipe", _("%zu targets but %zu --attest-serial: give one per target, in order ('-' for none)"),
				   w->n, c->n_attest);
	if (w->key && !c->n_assets)
		return usage_error("wipe", _("--key seals the jobs for their assets: give --asset too"));
	if (w->witness_key && !w->key)
		return usage_error("wipe", _("--witness-key signs the sealed records: give --key too"));
	if (c->n_attest && c->fw != DRIVE_METHOD_INVALID)
		return usage_error("wipe", _("--attest-serial is for media that report no serial, not for a firmware erase"));
	w->t = calloc(w->n, sizeof(*w->t));
	if (!w->t)
		return EXIT_FAIL;
	for (size_t i = 0; i < w->n; i++) {
		const char *a = c->n_attest ? c->attest[i] : NULL;

		w->t[i].arg = argv[optind + (int)i];
		w->t[i].asset = c->n_assets ? c->assets[i] : NULL;
		w->t[i].attest = a && !streq(a, "-") ? a : NULL;
		w->t[i].tgt.fd = -1;
	}
	return -1;
}

/* All or nothing: every target checked, confirmed and opened, or none
 * written. Returns -1 to go on, else the exit code. */
static int prepare_all(const struct wipe_control *c, struct wipe_run *w, json_t *plans)
{
	for (size_t i = 0; i < w->n; i++) {
		struct wipe_target *t = &w->t[i];

		/* a refusal from here on concerns this target's asset */
		cli_op_subject(t->asset);
		if (check_target(c, w, t) < 0)
			return EXIT_REFUSED;
		if (!w->dry_run && confirm(c, t, w->json) < 0)
			return EXIT_REFUSED;
		if (!w->dry_run && c->fw == DRIVE_METHOD_INVALID && start_job(c, w, t) < 0)
			return EXIT_REFUSED; /* the drive layer opens a firmware target itself */
		print_plan(c, w, t, plans);
	}
	if (!w->dry_run)
		return -1;
	if (w->json) {
		json_t *o = json_pack("{s:O}", "plan", plans);

		cli_print_json(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	}
	return EXIT_OK;
}

int cmd_wipe(int argc, char **argv)
{
	struct wipe_control c = { .method = erase_method_find("random"), .verify = VERIFY_LAST,
				  .percent = 10, .rounds = 1, .fw = DRIVE_METHOD_INVALID, .fw_level = DRIVE_LEVEL_PURGE };
	struct wipe_run w = { 0 };
	json_t *plans = json_array();
	int ret, r;

	c.confirm = calloc((size_t)argc, sizeof(*c.confirm));
	c.assets = calloc((size_t)argc, sizeof(*c.assets));
	c.attest = calloc((size_t)argc, sizeof(*c.attest));
	if (!c.confirm || !c.assets || !c.attest || !plans) {
		ret = EXIT_FAIL;
		goto out;
	}
	if ((ret = parse_options(argc, argv, &c, &w)) != -1 || (ret = make_targets(argc, argv, &c, &w)) != -1)
		goto out;
	if (c.n_assets && (ret = wipe_open_disposal(&w, NULL)) != EXIT_OK)
		goto out;
	w.flow.state_dir = w.state_dir;
	if (!w.dry_run && (r = job_store_open_dir(w.state_dir, &w.store)) < 0) {
		log_error_errno(r, _("cannot use the state directory"));
		ret = EXIT_FAIL;
		goto out;
	}
	if ((ret = prepare_all(&c, &w, plans)) != -1)
		goto out;
	fflush(stdout);
	ret = c.fw != DRIVE_METHOD_INVALID ? firmware_run_all(&c, &w) : wipe_run_all(&w);
	if (w.tech)
		wipe_seal_all(&w, &ret);
out:
	wipe_run_release(&w);
	json_decref(plans);
	free(c.confirm);
	free(c.assets);
	free(c.attest);
	return ret;
}
