/*
 * ragops(1) in roff, written from the same text as `ragops help` and each
 * command's --help: the page cannot drift from the program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/version.h"

/* A line of text as roff shows it: backslashes escaped, a leading '.' or '\'' made literal. */
static void roff_line(const char *line, size_t len)
{
	if (len && (line[0] == '.' || line[0] == '\''))
		fputs("\\&", stdout);
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\\')
			fputs("\\e", stdout);
		else if (line[i] == '-')
			fputs("\\-", stdout); /* a real minus: options copy and paste */
		else
			putchar(line[i]);
	}
	putchar('\n');
}

/* Preformatted text (a usage), line by line. */
static void roff_block(const char *text)
{
	fputs(".nf\n", stdout);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		roff_line(p, n);
		p += n + (p[n] == '\n');
	}
	fputs(".fi\n", stdout);
}

void cmd_print_man(void)
{
	printf(".TH RAGOPS 1 \"\" \"ragops %s\" \"User Commands\"\n", RAGOPS_VERSION);
	fputs(".SH NAME\nragops \\- document question answering: ingest, index, release, answer, "
	      "monitor\n.SH SYNOPSIS\n.B ragops\n[\\-\\-data DIR] [\\-\\-config FILE] "
	      "[\\-c KEY=VALUE] [\\-v]\n.I command\n[args]\n.SH DESCRIPTION\n",
	      stdout);
	fputs("Turn a folder of documents into a searchable, versioned index, answer questions "
	      "from it with cited sources, and keep it healthy.  The overview, as\n"
	      ".B ragops help\nprints it:\n",
	      stdout);
	FILE *saved = stdout;
	char *overview = NULL;
	size_t len = 0;
	stdout = open_memstream(&overview, &len);
	cmd_print_overview();
	fclose(stdout);
	stdout = saved;
	roff_block(overview ? overview : "");
	free(overview);
	fputs(".SH COMMANDS\n", stdout);
	for (const struct cmd_entry *const *c = cmd_table; *c; c++) {
		printf(".SS %s\n", (*c)->name);
		roff_line((*c)->summary, strlen((*c)->summary));
		roff_block((*c)->usage);
	}
	fputs(".SH FILES\n.TP\n.I ragops.yaml\nthe configuration (see ragops.example.yaml, installed "
	      "with the documentation); \\fBragops config\\fR prints every key\n.TP\n.I "
	      "DATA/ragops.db\nthe store\n.TP\n.I DATA/logs/\nthe logs (rotated past log.max_size)\n"
	      ".SH SEE ALSO\n\\fBragops help\\fR, \\fBragops COMMAND \\-\\-help\\fR\n",
	      stdout);
}
