/*
 * ragops workers: the workers of a shared store, whether they are alive,
 * what each holds and when it last beat (store/work_queue.h).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "store/work_queue.h"

static const char usage[] =
	"usage: ragops --store postgresql://... workers [--json]\n\n"
	"The workers of the store, running ones first: name, host, pid, version,\n"
	"stages, state, the age of the last heartbeat (by the database server's clock)\n"
	"and the documents each holds a claim on.  A running worker silent for longer\n"
	"than its own worker.lease_seconds is \"lost\": killed, paused or cut off; the documents\n"
	"it held go to the others.  Stopped workers are kept a week.\n\n"
	"   --json   machine-readable output\n\n"
	"Exit codes: 0 success, 2 usage error, 3 not a shared store, 4 the store failed.\n";

/* Lost: silent longer than its own lease (the others may have taken what it held). */
static const char *worker_state(const struct worker_row *r)
{
	if (r->stopped_at)
		return "stopped";
	return r->now - r->heartbeat_at > r->lease_ms ? "lost" : "running";
}

static json_t *worker_json(const struct worker_row *r)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_string(r->id));
	json_object_set_new(j, "name", json_string(r->name));
	json_object_set_new(j, "host", json_string(r->host));
	json_object_set_new(j, "pid", json_integer(r->pid));
	json_object_set_new(j, "version", json_string(r->version));
	json_object_set_new(j, "stages", json_string(r->stages));
	json_object_set_new(j, "state", json_string(worker_state(r)));
	json_object_set_new(j, "started_at", json_integer(r->started_at));
	json_object_set_new(j, "heartbeat_at", json_integer(r->heartbeat_at));
	json_object_set_new(j, "heartbeat_age_ms", json_integer(r->now - r->heartbeat_at));
	json_object_set_new(j, "lease_ms", json_integer(r->lease_ms));
	json_object_set_new(j, "stopped_at", r->stopped_at ? json_integer(r->stopped_at) : json_null());
	json_object_set_new(j, "holding", json_integer(r->holding));
	json_object_set_new(j, "held", r->held ? json_string(r->held) : json_null());
	return j;
}

static int workers_run(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int json = 0, c;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = 1;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return EXIT_OK;
		} else {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!store_keeps_artefacts(app->store)) {
		fprintf(stderr,
			"ragops workers: the store is SQLite in %s, one machine's: it has no workers. "
			"Workers share a PostgreSQL store (--store postgresql://..., store.url)\n",
			app->cfg.data_dir);
		return EXIT_CONFIG;
	}
	struct worker_row *rows = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	if (store_workers_list(app->store, &rows, &n, &err)) {
		fprintf(stderr, "ragops workers: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, worker_json(&rows[i]));
		cmd_print_json(arr);
	} else if (!n) {
		printf("no workers: start `ragops --store URL worker` on the machines sharing the "
		       "store\n");
	} else {
		printf("%-20s  %-16s  %7s  %-8s  %-11s  %-7s  %9s  %s\n", "NAME", "HOST", "PID",
		       "VERSION", "STAGES", "STATE", "HEARTBEAT", "HOLDING");
		for (size_t i = 0; i < n; i++) {
			const struct worker_row *r = &rows[i];
			char age[32];
			snprintf(age, sizeof(age), "%.1f s", (r->now - r->heartbeat_at) / 1000.0);
			printf("%-20s  %-16s  %7lld  %-8s  %-11s  %-7s  %9s  %lld%s%s\n", r->name,
			       r->host, r->pid, r->version, r->stages, worker_state(r),
			       r->stopped_at ? "-" : age, r->holding, r->held ? ": " : "",
			       r->held ? r->held : "");
		}
	}
	worker_rows_free(rows, n);
	strbuf_release(&err);
	return EXIT_OK;
}

const struct cmd_entry cmd_workers_entry = {
	.name = "workers",
	.summary = "the workers of a shared store: alive or not, what each holds",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = workers_run,
};
