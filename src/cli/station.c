/* station.c - `wipecert station`: the wipe station, a full-screen UI for a
 * technician at a station with several bays, or headless (--json) for a
 * rack. The command only parses the options, opens the ledger, roster and
 * policy as the workflow commands do, and hands over to src/station/.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "wipecert/cli.h"
#include "wipecert/trust.h"
#include "flowcli.h"
#include "wipe.h"
#include "../station/station.h"

static void help(void)
{
	printf(_("Usage: %s station --key TECHNICIAN.key [options] [IMAGE...]\n\n"
		 "The wipe station: every attached disk in a row, live as disks are attached\n"
		 "and pulled out; its identity, safety, ledger entry and the method the policy\n"
		 "asks for; wipes side by side; each finished job sealed with the technician's\n"
		 "key, unlocked once. IMAGE files are shown as disks too.\n\n"
		 "Options:\n"
		 "  -k, --key FILE           the technician's key (asked for once; see --lock-after)\n"
		 "      --passphrase-file F  its passphrase (else asked on the screen, or with\n"
		 "                           --json on the terminal)\n"
		 "      --json               headless: NDJSON events on stdout, no screen\n"
		 "      --auto               wipe and seal every disk attached from now on whose\n"
		 "                           serial/WWN the ledger holds as awaiting erasure, with\n"
		 "                           the policy's method; nothing else is touched\n"
		 "      --auto-present       --auto starts the disks attached at the start too (a\n"
		 "                           machine booted from the wipecert stick: its own disks)\n"
		 "      --until-done         with --auto: end once no job runs or waits (then the\n"
		 "                           stick powers off)\n"
		 "      --keep-outbox        the ledger stands in for the central one (the stick's\n"
		 "                           copy): every record also waits in STATE_DIR/outbox for\n"
		 "                           'wipecert sync'\n"
		 "      --method M           the overwrite where the policy accepts clear (default random)\n"
		 "      --verify MODE        off, last (default), all or sample\n"
		 "      --sample-percent N   how much sample verification reads (default 10)\n"
		 "      --lock-after TIME    lock the key after TIME without a key press (default 15m,\n"
		 "                           0 never; the screen only)\n"
		 "      --labels DIR         write a one-page summary PDF (case ID, QR) for each sealed disk\n"
		 "      --font FILE          the font of the summary PDF\n"
		 "      --witness-key FILE   a witness (立会者, role witness) signs each sealed record\n"
		 "      --witness-passphrase-file F  the witness's passphrase (else asked at the start)\n"
		 "%s"
		 "%s\n"
		 "Exit: 0 every job ended wiped, verified and sealed; 1 a job failed, was\n"
		 "interrupted (resumable) or not sealed; 2 usage; 3 refused at the start\n"
		 "(ledger, roster, policy, key).\n"),
	       program_name, _(wipe_tuning_help), _(common_help));
}

/* "90", "90s", "15m", "2h" */
static int parse_duration(const char *s, unsigned *ret)
{
	_cleanup_free_ char *num = strdup(s);
	uint64_t v, mul = 1;
	size_t n;

	if (!num || !*num)
		return -EINVAL;
	n = strlen(num);
	switch (num[n - 1]) {
	case 's':
		num[n - 1] = '\0';
		break;
	case 'm':
		mul = 60, num[n - 1] = '\0';
		break;
	case 'h':
		mul = 3600, num[n - 1] = '\0';
		break;
	}
	if (parse_u64(num, &v) < 0 || v > 7 * 86400 / mul)
		return -EINVAL;
	*ret = (unsigned)(v * mul);
	return 0;
}

int cmd_station(int argc, char **argv)
{
	enum { OPT_AUTO = 512, OPT_METHOD, OPT_VERIFY, OPT_PERCENT, OPT_LOCK, OPT_LABELS, OPT_FONT, OPT_AUTO_PRESENT,
	       OPT_UNTIL_DONE, OPT_KEEP, OPT_WKEY, OPT_WPASS };
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS },
		{ "auto", no_argument, NULL, OPT_AUTO },
		{ "auto-present", no_argument, NULL, OPT_AUTO_PRESENT },
		{ "until-done", no_argument, NULL, OPT_UNTIL_DONE },
		{ "keep-outbox", no_argument, NULL, OPT_KEEP },
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "verify", required_argument, NULL, OPT_VERIFY },
		{ "sample-percent", required_argument, NULL, OPT_PERCENT },
		{ "lock-after", required_argument, NULL, OPT_LOCK },
		{ "labels", required_argument, NULL, OPT_LABELS },
		{ "font", required_argument, NULL, OPT_FONT },
		{ "witness-key", required_argument, NULL, OPT_WKEY },
		{ "witness-passphrase-file", required_argument, NULL, OPT_WPASS },
		WIPE_TUNING_LONGOPTS,
		COMMON_OPTIONS,
		CLI_OPT_JSON,
		{ 0 }
	};
	struct flow_control fc = { 0 };
	struct wipe_tuning tuning = { 0 };
	struct station_opts o = { .verify = VERIFY_LAST, .sample_percent = 10, .lock_after_s = 15 * 60,
				  .overwrite = "random" };
	struct station s;
	struct trust_seckey *witness = NULL;
	const char *wkey = NULL, *wpass = NULL;
	char *pass = NULL, err[600];
	size_t pass_len = 0;
	bool init = false;
	int opt, ret = EXIT_OK, r;
	uint64_t v;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, opts, "station")) != -1) {
		if (wipe_parse_tuning(opt, optarg, &tuning, "station", &ret)) {
			if (ret != EXIT_OK)
				return ret;
			continue;
		}
		if (common_option(&fc, opt, optarg))
			continue;
		switch (opt) {
		case 'k':
			o.key_path = optarg;
			break;
		case OPT_PASS:
			fc.pass_file = optarg;
			break;
		case OPT_AUTO:
			o.auto_mode = true;
			break;
		case OPT_AUTO_PRESENT:
			o.auto_present = true;
			break;
		case OPT_UNTIL_DONE:
			o.until_done = true;
			break;
		case OPT_KEEP:
			fc.ctx.keep_outbox = true;
			break;
		case OPT_METHOD:
			if (!erase_method_find(optarg))
				return usage_error("station", _("unknown overwrite method '%s' (see wipe --list-methods)"),
						   optarg);
			o.overwrite = erase_method_find(optarg)->name;
			break;
		case OPT_VERIFY:
			if (erase_verify_from_string(optarg, &o.verify) < 0)
				return usage_error("station", _("bad --verify '%s': off, last, all or sample"), optarg);
			break;
		case OPT_PERCENT:
			if (parse_u64(optarg, &v) < 0 || v < 1 || v > 100)
				return usage_error("station", _("bad --sample-percent '%s': 1..100"), optarg);
			o.sample_percent = (unsigned)v;
			break;
		case OPT_LOCK:
			if (parse_duration(optarg, &o.lock_after_s) < 0)
				return usage_error("station", _("bad --lock-after '%s': e.g. 900, 15m, 1h, or 0"), optarg);
			break;
		case OPT_LABELS:
			o.label_dir = optarg;
			break;
		case OPT_FONT:
			o.font = optarg;
			break;
		case OPT_WKEY:
			wkey = optarg;
			break;
		case OPT_WPASS:
			wpass = optarg;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (!o.key_path)
		return usage_error("station", _("the technician's key is needed: --key FILE"));
	if ((o.auto_present || o.until_done) && !o.auto_mode)
		return usage_error("station", _("--auto-present and --until-done go with --auto"));
	/* many disks at once: 4 requests of 1 MiB in flight a disk (5 MiB with
	 * the compare buffer; 80 MiB for 16) rather than wipe's 8 */
	o.tuning = tuning.v;
	if (!tuning.depth_set)
		o.tuning.depth = STATION_DEFAULT_DEPTH;
	o.images = (const char *const *)argv + optind;
	o.n_images = (size_t)(argc - optind);
	if (fc.json)
		o.lock_after_s = 0; /* no one presses keys on a rack */
	if (!fc.json && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return usage_error("station", _("the screen needs a terminal: use --json without one"));
	if (o.label_dir && access(o.label_dir, W_OK) < 0) {
		log_error_errno(-errno, _("%s: cannot write summary PDFs there"), o.label_dir);
		return EXIT_REFUSED;
	}
	ret = flow_control_open(&fc, NEED_LEDGER | NEED_TRUST);
	if (ret != EXIT_OK) {
		ret = EXIT_REFUSED;
		goto out;
	}
	o.db_path = ledger_resolve_path(fc.db);
	/* the witness's key at the start, on the terminal if need be: it is
	 * held for the session (the witness stands by the station) */
	if (wkey) {
		ret = key_load_signer(wkey, wpass, TRUST_DOC_WITNESS, &witness);
		if (ret != EXIT_OK)
			goto out;
		o.witness = witness;
	}
	r = station_init(&s, &o, &fc.ctx, err, sizeof(err));
	init = true;
	if (r < 0) {
		log_error("%s", err);
		ret = EXIT_REFUSED;
		goto out;
	}
	/* the passphrase once: from the file, or (headless) the terminal; the
	 * screen asks on its own */
	if (fc.pass_file || fc.json) {
		r = cli_read_passphrase(fc.pass_file, o.key_path, false, &pass, &pass_len);
		if (r < 0) {
			log_error_errno(r, _("%s: no passphrase"), fc.pass_file ? fc.pass_file : o.key_path);
			ret = EXIT_REFUSED;
			goto out;
		}
	}
	if (fc.json)
		ret = station_ndjson_run(&s, pass, pass_len);
	else {
		ret = station_screen_run(&s, pass, pass_len);
	}
out:
	if (pass)
		cli_passphrase_free(pass);
	if (init)
		station_release(&s);
	trust_seckey_free(witness);
	flow_control_release(&fc);
	return ret;
}
