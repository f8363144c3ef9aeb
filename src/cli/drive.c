/* drive.c - `wipecert caps` (what a drive's firmware can erase) and
 * `wipecert drive-erase` (run one firmware erase method, verified).
 *
 * The work is done by the drive layer's drive_probe_caps() and
 * drive_firmware_erase(); this file parses options, asks for confirmation,
 * prints progress to stderr and the result to stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "wipecert/cli.h"
#include "wipecert/disk.h"
#include "wipecert/drive.h"

static void caps_help(void)
{
	printf(_("Usage: %s caps DEVICE [--json]\n\n"
		 "Show what the drive's firmware can erase: NVMe Identify (OACS, SANICAP, FNA),\n"
		 "ATA IDENTIFY (security and sanitize feature sets, HPA, DCO) or SCSI REPORT\n"
		 "SUPPORTED OPERATION CODES, and which erase methods are usable now (and why\n"
		 "not). Sends only commands that read.\n\n"
		 "Options:\n"
		 "  -J, --json   machine-readable output\n"
		 "  -h, --help   show this help\n\n"
		 "Exit status: 0 shown, 1 the drive could not be asked, 2 usage.\n"), program_name);
}

/* The firmware methods of the drive's protocol: usable now (and the level
 * it reaches) or why not. */
static void print_methods(const struct drive_caps *c)
{
	const char *const head[] = { _("METHOD"), _("USABLE"), _("LEVEL-OR-WHY-NOT") };
	struct libscols_table *t = cli_table_new(head, ARRAY_SIZE(head));

	for (int m = 0; t && m < _DRIVE_METHOD_MAX; m++) {
		char why[300];
		bool ok;

		if (drive_method_proto((enum drive_method)m) != c->proto)
			continue;
		ok = drive_check_method(c, (enum drive_method)m, why, sizeof(why)) == 0;
		if (cli_table_row(t, (const char *const[]){ drive_method_to_string((enum drive_method)m),
				  ok ? _("usable") : _("no"), ok ? drive_level_to_string(drive_method_level(
				  (enum drive_method)m, c->solid_state)) : why }) < 0) {
			cli_table_free(t);
			t = NULL;
		}
	}
	if (!t || cli_table_print(t) < 0)
		log_error_errno(-ENOMEM, _("cannot print the methods"));
}

static void print_caps_text(const char *dev, const struct drive_caps *c)
{
	printf(_("device:     %s\n"), dev);
	printf(_("protocol:   %s\n"), drive_proto_to_string(c->proto));
	printf(_("model:      %s\n"), c->model);
	printf(_("serial:     %s\n"), c->serial);
	printf(_("firmware:   %s\n"), c->firmware);
	printf(_("media:      %s\n"), c->solid_state ? _("solid state") : _("rotating or unknown"));
	if (c->proto == DRIVE_PROTO_NVME)
		printf("nvme:       OACS 0x%04x  SANICAP 0x%08x  FNA 0x%02x  DLFEAT 0x%02x  LBA %u x %" PRIu64 "\n",
		       c->nvme_oacs, c->nvme_sanicap, c->nvme_fna, c->nvme_dlfeat, c->lba_size, c->lba_count);
	if (c->proto == DRIVE_PROTO_ATA) {
		printf(_("security:   %s%s%s%s%s (erase %u min, enhanced %u min)\n"),
		       c->ata_security_supported ? _("supported") : _("not supported"),
		       c->ata_security_enabled ? _(", enabled") : "", c->ata_security_locked ? _(", locked") : "",
		       c->ata_security_frozen ? _(", frozen") : "", c->ata_enhanced_supported ? _(", enhanced erase") : "",
		       c->ata_erase_minutes, c->ata_enhanced_erase_minutes);
		printf(_("sanitize:   %s\n"), c->ata_sanitize_supported ? _("supported") : _("not supported"));
		printf(_("hpa:        %s (max %" PRIu64 ", native max %" PRIu64 ")\n"),
		       c->ata_hpa_present ? _("PRESENT") : _("none found"), c->ata_max_lba, c->ata_native_max_lba);
		printf(_("dco:        %s\n"), c->ata_dco_present ? _("PRESENT") : _("none found"));
	}
	printf(_("methods:\n"));
	print_methods(c);
}

/* Like drive_probe_caps(), and says what the device answered on failure. */
static int read_caps(const char *dev, struct drive_caps *ret)
{
	struct drive_transport *t = NULL;
	struct drive_status st = { 0 };
	int r;

	r = drive_open(dev, false, &t);
	if (r < 0)
		return log_error_errno(r, _("%s: cannot send commands to the device"), dev);
	r = drive_read_caps(t, ret, &st);
	drive_close(t);
	if (r < 0 && st.text[0])
		log_error(_("%s: failed to read the drive's capabilities: %s"), dev, st.text);
	else if (r < 0)
		log_error_errno(r, _("%s: failed to read the drive's capabilities"), dev);
	return r;
}

int cmd_caps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct drive_caps c;
	bool json = false;
	int o, r;

	optind = 1;
	while ((o = cli_getopt(argc, argv, opts, "caps")) != -1) {
		switch (o) {
		case 'J': json = true; break;
		case 'h': caps_help(); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error("caps", _("expected one DEVICE"));
	r = read_caps(argv[optind], &c);
	if (r < 0)
		return EXIT_FAIL;
	if (json) {
		json_t *j = drive_caps_to_json(&c);

		if (!j)
			return log_error_errno(-ENOMEM, _("failed to build JSON")), EXIT_FAIL;
		json_object_set_new(j, "device", json_string(argv[optind]));
		cli_print_json(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	} else {
		print_caps_text(argv[optind], &c);
	}
	return EXIT_OK;
}

static void erase_help(void)
{
	printf(_("Usage: %s drive-erase DEVICE --method METHOD [options]\n\n"
		 "Erase a whole drive with its own firmware command, then prove it: samples\n"
		 "(NIST SP 800-88 sampling) are hashed before the erase and read back after;\n"
		 "the erase counts only when every sample changed (and reads as the pattern\n"
		 "the drive documents). Unsupported or frozen features are refused before\n"
		 "anything is sent.\n\n"
		 "Methods: nvme-format, nvme-format-crypto, nvme-sanitize-crypto,\n"
		 "  nvme-sanitize-block, nvme-sanitize-overwrite, ata-secure-erase,\n"
		 "  ata-secure-erase-enhanced, ata-sanitize-crypto, ata-sanitize-block,\n"
		 "  ata-sanitize-overwrite, scsi-sanitize-crypto, scsi-sanitize-block,\n"
		 "  scsi-sanitize-overwrite, auto (with --level)\n\n"
		 "Options:\n"
		 "  -m, --method METHOD       the firmware method (required)\n"
		 "  -l, --level clear|purge   for --method auto (default purge)\n"
		 "      --remove-hpa          lift an ATA host protected area first\n"
		 "      --no-verify           skip the read-back (recorded as skipped)\n"
		 "      --sample-percent N    share of the drive read back (default 10)\n"
		 "      --max-wait SECONDS    give up waiting for the drive (default 86400)\n"
		 "  -n, --dry-run, --no-act   check and explain, send nothing\n"
		 "  -y, --yes                 do not ask for confirmation\n"
		 "  -J, --json                print the result record as JSON\n"
		 "  -h, --help                show this help\n\n"
		 "Exit status: 0 erased and verified, 1 failed (the drive's status or the\n"
		 "read-back says so), 2 usage, 3 refused before anything was sent.\n"), program_name);
}

struct erase_control {
	enum drive_method method;
	struct drive_erase_opts opts;
	bool no_act, yes, json;
	const char *device;
};

static void progress_cb(void *ud, const char *phase, double f, double eta)
{
	(void)ud;
	if (f >= 0 && eta >= 0)
		fprintf(stderr, _("%s: %.1f%%, about %.0f s left\n"), cli_fw_phase(phase), f * 100, eta);
	else if (f >= 0)
		fprintf(stderr, _("%s: %.1f%%\n"), cli_fw_phase(phase), f * 100);
	else
		fprintf(stderr, _("%s...\n"), cli_fw_phase(phase));
}

static int parse_erase(struct erase_control *ctl, int argc, char **argv)
{
	enum { OPT_REMOVE_HPA = 256, OPT_NO_VERIFY, OPT_PERCENT, OPT_MAX_WAIT };
	static const struct option opts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "level", required_argument, NULL, 'l' },
		{ "remove-hpa", no_argument, NULL, OPT_REMOVE_HPA },
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ "sample-percent", required_argument, NULL, OPT_PERCENT },
		{ "max-wait", required_argument, NULL, OPT_MAX_WAIT },
		CLI_OPT_DRY_RUN,
		{ "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t v;
	int o;

	ctl->method = DRIVE_METHOD_INVALID;
	ctl->opts.level = DRIVE_LEVEL_PURGE;
	optind = 1;
	while ((o = cli_getopt(argc, argv, opts, "drive-erase")) != -1) {
		switch (o) {
		case 'm':
			ctl->method = drive_method_from_string(optarg);
			if (ctl->method == DRIVE_METHOD_INVALID)
				return usage_error("drive-erase", _("unknown method '%s'"), optarg);
			break;
		case 'l':
			if (drive_level_from_string(optarg, &ctl->opts.level) < 0)
				return usage_error("drive-erase", _("unknown level '%s' (clear or purge)"), optarg);
			break;
		case OPT_REMOVE_HPA: ctl->opts.remove_hpa = true; break;
		case OPT_NO_VERIFY: ctl->opts.no_verify = true; break;
		case OPT_PERCENT:
			if (parse_u64(optarg, &v) < 0 || v < 1 || v > 100)
				return usage_error("drive-erase", _("bad --sample-percent '%s' (1-100)"), optarg);
			ctl->opts.sample_percent = (unsigned)v;
			break;
		case OPT_MAX_WAIT:
			if (parse_u64(optarg, &v) < 0 || v < 1 || v > UINT32_MAX)
				return usage_error("drive-erase", _("bad --max-wait '%s'"), optarg);
			ctl->opts.max_wait_s = (uint32_t)v;
			break;
		case 'n': ctl->no_act = true; break;
		case 'y': ctl->yes = true; break;
		case 'J': ctl->json = true; break;
		case 'h': erase_help(); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error("drive-erase", _("expected one DEVICE"));
	if (ctl->method == DRIVE_METHOD_INVALID)
		return usage_error("drive-erase", _("--method is required"));
	ctl->device = argv[optind];
	return 0;
}

/* --no-act: what would happen, from the capabilities alone. A drive that
 * cannot be asked is refused as one without the method: nothing is sent. */
static int erase_no_act(const struct erase_control *ctl)
{
	enum drive_method m = ctl->method;
	struct drive_caps c;
	char why[300] = "";
	int r;

	r = read_caps(ctl->device, &c);
	if (r < 0) {
		log_error(_("%s: refused: no firmware erase can be sent to it"), ctl->device);
		return EXIT_REFUSED;
	}
	if (m == DRIVE_METHOD_AUTO && drive_choose_method(&c, ctl->opts.level, &m, why, sizeof(why)) < 0) {
		log_error(_("%s: refused: %s"), ctl->device, why);
		return EXIT_REFUSED;
	}
	if (m != ctl->method && !ctl->json)
		printf(_("auto chose %s: %s\n"), drive_method_to_string(m), why);
	if (drive_check_method(&c, m, why, sizeof(why)) < 0) {
		log_error(_("%s: refused: %s: %s"), ctl->device, drive_method_to_string(m), why);
		return EXIT_REFUSED;
	}
	if (ctl->json)
		cli_print_json(json_pack("{s:s,s:s,s:s,s:b,s:s}", "device", ctl->device, "method",
					 drive_method_to_string(m), "level",
					 drive_level_to_string(drive_method_level(m, c.solid_state)), "dry_run", true,
					 "reason", why), JSON_INDENT(2) | JSON_SORT_KEYS);
	else
		printf(_("%s: %s would be sent (%s); nothing was sent\n"), ctl->device, drive_method_to_string(m),
		       drive_level_to_string(drive_method_level(m, c.solid_state)));
	return EXIT_OK;
}

static bool confirm(const struct disk *d)
{
	char line[128];

	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, _("This destroys every byte on %s (%s, serial %s).\nType the serial number to go on: "),
		d->devpath, d->model ? d->model : "?", d->serial ? d->serial : "?");
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return d->serial && streq(line, d->serial);
}

int cmd_drive_erase(int argc, char **argv)
{
	struct erase_control ctl = { 0 };
	struct drive_erase_result res;
	struct disk d = { 0 };
	_cleanup_free_ char *reason = NULL;
	int r, safety, rc;

	r = parse_erase(&ctl, argc, argv);
	if (r != 0)
		return r < 0 ? EXIT_OK : r;
	if (ctl.no_act)
		return erase_no_act(&ctl);
	r = disk_probe(NULL, ctl.device, &d);
	if (r < 0) {
		log_error_errno(r, _("%s: failed to identify the device"), ctl.device);
		return EXIT_FAIL;
	}
	if (disk_is_image(&d)) {
		log_error(_("%s: refused: firmware erase needs a drive, not an image file or loop device"), ctl.device);
		rc = EXIT_REFUSED;
		goto out;
	}
	safety = disk_check_safety_text(NULL, &d, NULL, &reason);
	if (safety < 0 || safety != SAFETY_OK) {
		log_error(_("%s: refused: the disk is %s%s%s"), ctl.device,
			  safety < 0 ? _("of unknown state") : disk_safety_to_string(safety), reason ? ": " : "",
			  reason ? reason : "");
		rc = EXIT_REFUSED;
		goto out;
	}
	if (!ctl.yes && !confirm(&d)) {
		log_error(_("%s: refused: not confirmed (type the serial, or pass --yes)"), ctl.device);
		rc = EXIT_REFUSED;
		goto out;
	}
	cli_op_acted();
	cli_op_field("device", d.devpath);
	cli_op_field("serial", d.serial);
	drive_firmware_erase(&d, ctl.method, &ctl.opts, progress_cb, NULL, &res);
	if (ctl.json) {
		json_t *j = drive_erase_result_to_json(&res);

		if (j) {
			json_object_set_new(j, "device", json_string(d.devpath));
			json_object_set_new(j, "serial", d.serial ? json_string(d.serial) : json_null());
			json_object_set_new(j, "model", d.model ? json_string(d.model) : json_null());
			cli_print_json(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		}
	}
	if (res.refused) {
		log_error(_("%s: refused: %s"), ctl.device, res.reason);
		rc = EXIT_REFUSED;
	} else if (res.error) {
		log_error(_("%s: %s FAILED: %s"), ctl.device, drive_method_to_string(res.method), res.reason);
		rc = EXIT_FAIL;
	} else {
		if (!ctl.json)
			printf(_("%s: %s done; verification %s (%" PRIu64 " samples changed, %" PRIu64
				 " inconclusive, %" PRIu64 " unchanged)\n"),
			       ctl.device, drive_method_to_string(res.method), drive_verdict_to_string(res.verdict),
			       res.changed, res.inconclusive, res.unchanged);
		rc = EXIT_OK;
	}
	if (ctl.method == DRIVE_METHOD_AUTO && res.reason[0] && !res.refused && !res.error)
		fprintf(stderr, _("auto: %s\n"), res.reason);
out:
	disk_release(&d);
	return rc;
}
