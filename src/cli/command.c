/* command.c - the one command runner: every command and sub-command is an
 * entry of a table { name, fn, flags, summary }, found by its exact name;
 * help listings and `wipecert commands` are made from the same tables.
 *
 * It must never reach a command by a prefix or a guess, and never let a
 * destructive command run for anyone but root.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "wipecert/cli.h"

static const struct {
	unsigned flag;
	const char *name;
} flag_names[] = {
	{ CMD_DESTRUCTIVE, "destructive" },
	{ CMD_HIDDEN, "hidden" },
	{ CMD_JSON, "json" },
	{ CMD_DRY_RUN, "dry-run" },
};

static const struct command *find(const struct command_table *t, const char *name)
{
	for (const struct command *c = t->cmds; c->name; c++)
		if (streq(c->name, name))
			return c;
	return NULL;
}

void cli_print_commands(FILE *f, const struct command_table *t)
{
	for (const struct command *c = t->cmds; c->name; c++)
		if (!(c->flags & CMD_HIDDEN))
			fprintf(f, "  %-14s %s\n", c->name, _(c->summary));
}

static void print_help(FILE *f, const struct command_table *t)
{
	if (t->help) {
		t->help(f, t);
		return;
	}
	fprintf(f, _("Usage: %s %s <command> [options]\n\nCommands:\n"), program_name, t->name);
	cli_print_commands(f, t);
	fprintf(f, _("\nRun '%s %s <command> --help' for a command's options.\n"), program_name, t->name);
}

/* Where a usage error points: 'wipecert --help' or 'wipecert ledger --help'. */
static const char *hint(const struct command_table *t)
{
	return streq(t->name, "wipecert") ? NULL : t->name;
}

static bool asks_help(int argc, char **argv)
{
	for (int i = 1; i < argc && !streq(argv[i], "--"); i++)
		if (streq(argv[i], "-h") || streq(argv[i], "--help"))
			return true;
	return false;
}

/* "--db" for "--db=PATH" or "--db PATH" if t lets it lead; 0 if not one,
 * 1 for "--db=PATH", 2 for "--db PATH". */
static int lead_option(const struct command_table *t, int argc, char **argv, int i)
{
	const char *a = argv[i];

	if (!t->lead_opts || strncmp(a, "--", 2) != 0)
		return 0;
	for (const char *const *o = t->lead_opts; *o; o++) {
		size_t n = strlen(*o);

		if (strncmp(a + 2, *o, n) != 0)
			continue;
		if (a[2 + n] == '=')
			return 1;
		if (!a[2 + n] && i + 1 < argc)
			return 2;
	}
	return 0;
}

/* The sub-command's own argv: its name, the options that led, the rest. */
static char **sub_argv(int argc, char **argv, int lead_end, int verb, int *ret_n)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	int n = 0;

	if (!v)
		return NULL;
	v[n++] = argv[verb];
	for (int i = 1; i < lead_end; i++)
		v[n++] = argv[i];
	for (int i = verb + 1; i < argc; i++)
		v[n++] = argv[i];
	*ret_n = n;
	return v;
}

/* No command named: the table's default, with every argument kept. */
static int run_default(const struct command_table *t, int argc, char **argv, int at)
{
	char **w = calloc((size_t)argc + 2, sizeof(*w));
	int r;

	if (!w)
		return log_error_errno(-ENOMEM, _("out of memory")), EXIT_FAIL;
	memcpy(w, argv, (size_t)at * sizeof(*w));
	w[at] = (char *)t->default_cmd;
	memcpy(w + at + 1, argv + at, (size_t)(argc - at) * sizeof(*w));
	r = cli_run(t, argc + 1, w);
	free(w);
	return r;
}

int cli_run(const struct command_table *t, int argc, char **argv)
{
	const struct command *c;
	bool top = !hint(t);
	char **v;
	int i = 1, n, k, r;

	/* before the command: help, and the options the table lets lead */
	for (; i < argc && argv[i][0] == '-'; i += k) {
		if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			print_help(stdout, t);
			return EXIT_OK;
		}
		k = lead_option(t, argc, argv, i);
		if (!k && t->default_cmd)
			break; /* the default command's own option */
		if (!k)
			return usage_error(hint(t), _("unknown option '%s' before the command"), argv[i]);
	}
	if (t->default_cmd && (i >= argc || argv[i][0] == '-'))
		return run_default(t, argc, argv, i);
	if (i >= argc)
		return usage_error(hint(t), _("no command given"));
	if (streq(argv[i], "help")) {
		print_help(stdout, t);
		return EXIT_OK;
	}
	c = find(t, argv[i]);
	if (!c)
		return usage_error(hint(t), _("unknown command '%s'"), argv[i]);
	v = sub_argv(argc, argv, i, i, &n);
	if (!v)
		return log_error_errno(-ENOMEM, _("out of memory")), EXIT_FAIL;
	/* every command leaves through the operation log, as typed (getopt
	 * permutes argv): once, for the command of the top table */
	if (top)
		cli_op_begin(c, argc - i, argv + i);
	if (c->sub) {
		r = cli_run(c->sub, n, v);
	} else if ((c->flags & CMD_DESTRUCTIVE) && geteuid() != 0 && !asks_help(n, v)) {
		log_error(_("%s: refused: it writes to disks and needs root"), c->name);
		r = EXIT_REFUSED;
	} else {
		optind = 0; /* a fresh getopt for the command */
		r = c->fn(n, v);
	}
	free(v);
	return top ? cli_op_end(r) : r;
}

static json_t *flags_json(unsigned flags)
{
	json_t *a = json_array();

	for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++)
		if (flags & flag_names[i].flag)
			json_array_append_new(a, json_string(flag_names[i].name));
	return a;
}

static void list_table(const struct command_table *t, const char *prefix, bool json, json_t *arr)
{
	for (const struct command *c = t->cmds; c->name; c++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s%s%s", prefix, *prefix ? " " : "", c->name) < 0)
			continue;
		if (json) {
			json_array_append_new(arr, json_pack("{s:s,s:o,s:b,s:s}", "command", path, "flags",
							     flags_json(c->flags), "family", c->sub != NULL,
							     "summary", c->summary));
		} else {
			printf("%s", path);
			for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++)
				if (c->flags & flag_names[i].flag)
					printf(" %s", flag_names[i].name);
			printf("%s\n", c->sub ? " family" : "");
		}
		if (c->sub)
			list_table(c->sub, path, json, arr);
	}
}

int cli_list_commands(const struct command_table *t, int argc, char **argv)
{
	static const struct option opts[] = { CLI_OPT_JSON, CLI_OPT_HELP, {} };
	bool json = false;
	int c;

	while ((c = cli_getopt(argc, argv, opts, "commands")) != -1) {
		switch (c) {
		case 'J': json = true; break;
		case 'h':
			printf(_("Usage: %s commands [--json]\n\n"
				 "Every command and sub-command with its flags (destructive, json,\n"
				 "dry-run), for scripts, shell completion and the tests.\n"), program_name);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("commands", _("unexpected argument '%s'"), argv[optind]);
	if (json) {
		json_t *arr = json_array();

		list_table(t, "", true, arr);
		cli_print_json(arr, JSON_INDENT(2));
	} else {
		list_table(t, "", false, NULL);
	}
	return EXIT_OK;
}

int cli_operands(int argc, char **argv, int n, const char *cmd, const char *what)
{
	if (argc - optind == n)
		return -1;
	if (argc - optind > n && n == 0)
		return usage_error(cmd, _("unexpected argument '%s'"), argv[optind]);
	return usage_error(cmd, _("give %s"), what);
}

void cli_print_synopses(FILE *f, const char *family, const struct cli_synopsis *v, size_t n, const char *verb)
{
	bool first = true;

	for (size_t i = 0; i < n; i++)
		if (!verb || streq(verb, v[i].verb)) {
			fprintf(f, first ? _("Usage: %s %s %s\n") : "       %s %s %s\n", program_name, family,
				v[i].synopsis);
			first = false;
		}
}

void cli_family_usage(FILE *f, const struct command_table *t, const struct cli_synopsis *v, size_t n,
		      const char *verb, const char *about)
{
	cli_print_synopses(f, t->name, v, n, verb);
	fprintf(f, "\n%s\n", about);
	if (!verb) {
		fprintf(f, _("Commands:\n"));
		cli_print_commands(f, t);
		fputc('\n', f);
	}
}

/* The option as typed, without "=value": "--db", or "-k" of "-xk"; *is_long
 * when it was a long one. */
static void option_text(char **argv, const struct option *longopts, char *buf, size_t len, bool *is_long)
{
	const char *a = optind > 0 ? argv[optind - 1] : "";
	size_t n = strcspn(a, "=");

	*is_long = false;
	if (strncmp(a, "--", 2) == 0) {
		/* the element before optind may be an earlier option when the
		 * failing one is a short option inside a cluster */
		*is_long = optopt == 0;
		for (const struct option *o = longopts; !*is_long && o->name; o++)
			*is_long = strlen(o->name) == n - 2 && strncmp(o->name, a + 2, n - 2) == 0 && o->val == optopt;
	}
	if (*is_long)
		snprintf(buf, len, "%.*s", (int)n, a);
	else if (optopt > 0 && optopt < 128)
		snprintf(buf, len, "-%c", optopt);
	else
		snprintf(buf, len, "%s", a);
}

int cli_getopt(int argc, char **argv, const struct option *longopts, const char *cmd)
{
	char so[128] = ":", opt[128];
	size_t n = 1;
	bool is_long;
	int c;

	/* ':' first: a missing value is told apart from an unknown option */
	for (const struct option *o = longopts; o->name && n + 3 < sizeof(so); o++)
		if (o->val > ' ' && o->val < 127 && !strchr(so, o->val)) {
			so[n++] = (char)o->val;
			if (o->has_arg == required_argument)
				so[n++] = ':';
			so[n] = '\0';
		}
	opterr = 0;
	c = getopt_long(argc, argv, so, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	option_text(argv, longopts, opt, sizeof(opt), &is_long);
	if (c == ':')
		usage_error(cmd, _("option '%s' needs a value"), opt);
	else if (is_long && optopt)
		usage_error(cmd, _("option '%s' takes no value"), opt);
	else
		usage_error(cmd, _("unknown option '%s'"), opt);
	return '?';
}
