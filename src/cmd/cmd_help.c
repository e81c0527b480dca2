/*
 * ragops help [COMMAND] and ragops version.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/version.h"

static int run_help(int argc, char **argv, struct app *app)
{
	if (argc < 2) {
		cmd_print_overview();
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--man")) {
		cmd_print_man();
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--commands")) { /* for shell completion */
		for (const struct cmd_entry *const *c = cmd_table; *c; c++)
			printf("%s\n", (*c)->name);
		return EXIT_OK;
	}
	const struct cmd_entry *c = cmd_find(argv[1]);
	if (!c) {
		fprintf(stderr, "ragops: no help for '%s': not a ragops command\n", argv[1]);
		return EXIT_USAGE;
	}
	fputs(c->usage, stdout);
	return EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.summary = "show the commands, or one command's options",
	.usage = "usage: ragops help [COMMAND | --man | --commands]\n\n"
		 "   --man        the manual page ragops(1), in roff (man -l -)\n"
		 "   --commands   the command names, one a line (shell completion)\n",
	.run = run_help,
};

static int run_version(int argc, char **argv, struct app *app)
{
	printf("ragops %s\n", RAGOPS_VERSION);
	return EXIT_OK;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.summary = "print the version",
	.usage = "usage: ragops version\n",
	.run = run_version,
};
