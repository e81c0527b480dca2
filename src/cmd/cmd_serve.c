/*
 * ragops serve: the HTTP API and the web dashboard.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "serve/routes.h"
#include "serve/server.h"

static const char usage[] =
	"usage: ragops serve\n\n"
	"Serve the dashboard (ask, runs, releases, deployments, quality, feedback)\n"
	"and the JSON API on http://127.0.0.1:8750/ until Ctrl-C or SIGTERM.  Routes\n"
	"are described in docs/api.md; requests are logged to <data>/logs/serve.log.\n\n"
	"Besides answering, it starts the deployments' runs on time (flow.scheduler,\n"
	"see 'ragops deployment'; those declared in ragops.yaml are brought into the\n"
	"store first), lets old history go once a day (retention.*), records runs\n"
	"that stopped beating as crashed, tells notify.* targets when health\n"
	"changes, and with watch.serve: true starts a run after each batch of\n"
	"changes in the inbox folders.\n\n"
	"Settings (ragops.yaml, -c KEY=VALUE or RAGOPS_SERVE_*): serve.host, serve.port\n"
	"(0: any free port), serve.threads, serve.max_body, serve.timeout,\n"
	"serve.request_timeout (to send a whole request), serve.max_connections and\n"
	"serve.max_client_connections (budgets a new client gets into by pushing\n"
	"out the connection waiting longest for its request),\n"
	"serve.rate_limit and serve.rate_burst (ask and feedback per client),\n"
	"serve.cors_origin, serve.memory_reserve (64M held for an allocation that\n"
	"fails; asking, feedback and admin changes answer 503 until it is back).\n"
	"Admin routes (feedback export, starting a run or a\n"
	"retraining, promote, rollback) need the bearer token held by the variable\n"
	"named in serve.token_env (RAGOPS_SERVE_TOKEN).\n\n"
	"Exit codes: 0 stopped by a signal, 2 usage, 3 bad address, 4 cannot listen,\n"
	"or out of memory with the reserve already spent (the message says which).\n";

enum job { JOB_RUN, JOB_RETRAIN, JOB_DEPLOYMENT };

/*
 * `ragops run`, `ragops retrain run` or `ragops deployment run` (to which
 * the scheduler adds the name) with this server's configuration: its data
 * folder, file and -c overrides.
 */
static char **job_command(const struct app *app, enum job job)
{
	char **argv = xcalloc(2 * app->noverrides + 12, sizeof(char *));
	size_t n = 0;
	argv[n++] = "ragops";
	argv[n++] = "--data";
	argv[n++] = app->cfg.data_dir;
	if (app->config_file) {
		argv[n++] = "--config";
		argv[n++] = (char *)app->config_file;
	}
	for (size_t i = 0; i < app->noverrides; i++) {
		argv[n++] = "-c";
		argv[n++] = (char *)app->overrides[i];
	}
	if (job == JOB_RETRAIN)
		argv[n++] = "retrain";
	if (job == JOB_DEPLOYMENT)
		argv[n++] = "deployment";
	argv[n++] = "run";
	if (job == JOB_RETRAIN)
		argv[n++] = "--json";
	if (job != JOB_DEPLOYMENT) {
		argv[n++] = "--trigger";
		argv[n++] = "api";
	}
	return argv;
}

static int run_serve(int argc, char **argv, struct app *app)
{
	/* Hidden: the route table, for the test that calls every admin route without the token. */
	if (argc == 2 && !strcmp(argv[1], "--list-routes")) {
		routes_print(stdout);
		return EXIT_OK;
	}
	if (argc > 1) {
		int help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
		fputs(usage, help ? stdout : stderr);
		return help ? EXIT_OK : EXIT_USAGE;
	}
	int declared = cmd_reconcile_deployments(app, "ragops serve");
	if (declared != EXIT_OK)
		return declared;
	/* The store was opened (and migrated) by main; the server opens its own pool. */
	store_close(&app->store);
	char *log = xasprintf("%s/logs/serve.log", app->cfg.data_dir);
	log_close();
	if (log_open(log, app->cfg.log_level))
		fprintf(stderr, "ragops serve: cannot write %s; logging to stderr only\n", log);
	free(log);
	/*
	 * The jobs it starts use its store.  A URL given by --store is not in
	 * their arguments (ps would show its password): the environment
	 * carries it, as RAGOPS_STORE_URL; without it they would run on a
	 * SQLite store of their own in the data folder.  Before any thread.
	 */
	if (*app->cfg.store.url && setenv("RAGOPS_STORE_URL", app->cfg.store.url, 1))
		die(EXIT_FATAL, "ragops serve: cannot pass the store's URL to its jobs: %s",
		    strerror(errno));
	char **run = job_command(app, JOB_RUN), **retrain = job_command(app, JOB_RETRAIN),
	     **deployment = job_command(app, JOB_DEPLOYMENT);
	struct server_commands commands = { run, retrain, deployment };
	int rc = server_run(&app->cfg, &commands);
	log_close();
	free(run);
	free(retrain);
	free(deployment);
	return rc;
}

const struct cmd_entry cmd_serve_entry = {
	.name = "serve",
	.summary = "serve the web dashboard and the HTTP API",
	.usage = usage,
	.flags = CMD_NEEDS_STORE | CMD_WAITS_FOR_STOP,
	.run = run_serve,
};
