/*
 * The command table and helpers every command uses.
 */
#include "cmd/cmd.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_run_entry,    &cmd_search_entry,     &cmd_ask_entry,     &cmd_serve_entry,
	&cmd_eval_entry,   &cmd_feedback_entry,   &cmd_runs_entry,    &cmd_releases_entry,
	&cmd_deploy_entry, &cmd_deployment_entry, &cmd_models_entry,  &cmd_retrain_entry,
	&cmd_health_entry, &cmd_monitor_entry,    &cmd_ocr_entry,     &cmd_config_entry,
	&cmd_check_entry,  &cmd_store_entry,      &cmd_worker_entry,  &cmd_workers_entry,
	&cmd_gc_entry,     &cmd_help_entry,       &cmd_version_entry, NULL,
};

const struct cmd_entry *cmd_find(const char *name)
{
	for (const struct cmd_entry *const *c = cmd_table; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

void cmd_print_overview(void)
{
	printf("usage: ragops [--data DIR] [--store URL] [--config FILE] [-c KEY=VALUE] [-v] <command> [<args>]\n\n"
	       "Turn a folder of documents into a searchable, versioned index.\n\n"
	       "Commands:\n");
	for (const struct cmd_entry *const *c = cmd_table; *c; c++)
		printf("   %-10s %s\n", (*c)->name, (*c)->summary);
	printf("\nGlobal options (before or after the command):\n"
	       "   --data DIR        data folder (store, logs, metrics); default ./ragops-data\n"
	       "   --store URL       the store on PostgreSQL (postgresql://user@host/db) instead\n"
	       "                     of SQLite in the data folder (store.url)\n"
	       "   --config FILE     configuration file; default ./ragops.yaml when present\n"
	       "   -c KEY=VALUE      override one configuration key, e.g. -c chunk.target_chars=800\n"
	       "   -v, --verbose     log every event on stderr too\n"
	       "\nExit codes: 0 success, 1 completed with failures, 2 usage error,\n"
	       "3 configuration error, 4 fatal error, 5 not found, 6 refused by the release gate,\n"
	       "7 run cancelled (SIGINT or SIGTERM).\n"
	       "'ragops <command> --help' describes a command.\n");
}

void cmd_reset_getopt(void)
{
	optind = 0; /* glibc: 0 also resets its internal state */
	opterr = 1;
}

int cmd_stdout_styled(void)
{
	const char *term = getenv("TERM");
	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && strcmp(term, "dumb");
}

void cmd_format_time(long long ms, char *out, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	if (!ms) {
		snprintf(out, len, "-");
		return;
	}
	localtime_r(&secs, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

int cmd_ask_exit_code(enum ask_result rc)
{
	switch (rc) {
	case ASK_OK:
		return EXIT_OK;
	case ASK_BAD_QUESTION:
	case ASK_BAD_RETRIEVER:
		return EXIT_USAGE;
	case ASK_NOT_READY:
		return EXIT_NOT_FOUND;
	case ASK_FAILED:
		break;
	}
	return EXIT_FATAL;
}

void cmd_print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
}
