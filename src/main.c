/* main.c - the command table and dispatch.
 *
 * Commands match exactly: a destructive verb is never reached by a prefix
 * or a typo. Help and the command listing come from the same table.
 */
#include <locale.h>
#include <string.h>

#include "wipecert/cli.h"

static int cmd_version(int argc, char **argv)
{
	bool json = argc > 1 && streq(argv[1], "--json");

	if (argc > 2 || (argc == 2 && !json))
		return usage_error("version", "unexpected argument '%s'", argv[argc - 1]);
	if (json)
		printf("{\"name\":\"wipecert\",\"version\":\"%s\"}\n", WIPECERT_VERSION);
	else
		printf("wipecert %s\n", WIPECERT_VERSION);
	return EXIT_OK;
}

static const struct command commands[] = {
	/* { name, fn, flags, summary }: one line a command */
	{ "version", cmd_version, 0, "print the version (--json for tools)" },
	{ "cert", cmd_cert, 0, "issue a signed disposal certificate PDF, show its record" },
	{ "verify", cmd_verify, 0, "check a disposal certificate PDF" },
	{ "key", cmd_key, 0, "make signing keys, sign and verify documents" },
	{ "trust", cmd_trust, 0, "the trust roster: who may sign what" },
};

static void print_usage(FILE *f)
{
	fprintf(f, "Usage: %s <command> [options]\n\n"
		   "Secure media sanitisation with signed disposal certificates.\n\n"
		   "Commands:\n", program_name);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!(commands[i].flags & CMD_HIDDEN))
			fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -h, --help      show this help\n"
		   "  -V, --version   show the version\n\n"
		   "Run '%s <command> --help' for a command's options; see wipecert(8).\n",
		program_name);
}

int main(int argc, char **argv)
{
	const char *verb;

	setlocale(LC_ALL, "");
	if (argc < 2)
		return usage_error(NULL, "no command given");
	verb = argv[1];
	if (streq(verb, "-h") || streq(verb, "--help") || streq(verb, "help")) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (streq(verb, "-V") || streq(verb, "--version")) {
		printf("wipecert %s\n", WIPECERT_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(verb, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command '%s'", verb);
}
