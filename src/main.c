/*
 * ragops: one binary, git-style subcommands.  main() reads the global
 * options (anywhere on the line), builds the configuration, opens what
 * the command needs and dispatches through the command table.
 */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "ops/notify.h"
#include "core/fault.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/strutil.h"
#include "core/xalloc.h"
#include "pipeline/worker_exec.h"
#include "pipeline/worker_process.h"

struct globals {
	const char *data_dir;
	const char *store_url;
	const char *config_file;
	const char **overrides; /* "key=value" from -c */
	size_t noverrides;
	int verbose;
};

/* Take the global options out of argv, wherever they are; returns the new argc. */
static int take_globals(int argc, char **argv, struct globals *g)
{
	int out = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *value = NULL;
		if (!strcmp(a, "--")) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--data") || !strcmp(a, "--store") || !strcmp(a, "--config") ||
		    !strcmp(a, "-c")) {
			if (i + 1 >= argc)
				die(EXIT_USAGE, "option '%s' needs a value", a);
			value = argv[++i];
		} else if (starts_with(a, "--data=") || starts_with(a, "--store=") ||
			   starts_with(a, "--config=")) {
			value = strchr(a, '=') + 1;
		}
		if (starts_with(a, "--data"))
			g->data_dir = value;
		else if (starts_with(a, "--store"))
			g->store_url = value;
		else if (starts_with(a, "--config"))
			g->config_file = value;
		else if (!strcmp(a, "-c")) {
			g->overrides = xrealloc(g->overrides, (g->noverrides + 1) * sizeof(char *));
			g->overrides[g->noverrides++] = value;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			g->verbose = 1;
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

static void load_config(struct config *cfg, const struct globals *g)
{
	struct strbuf err = STRBUF_INIT;
	const char *file = g->config_file ? g->config_file : getenv("RAGOPS_CONFIG");
	config_init(cfg);
	if (!file && access("ragops.yaml", F_OK) == 0)
		file = "ragops.yaml";
	if (file && config_load_file(cfg, file, &err))
		die(EXIT_CONFIG, "%s", err.buf);
	if (config_load_env(cfg, &err))
		die(EXIT_CONFIG, "%s", err.buf);
	for (size_t i = 0; i < g->noverrides; i++) {
		const char *kv = g->overrides[i];
		const char *eq = strchr(kv, '=');
		if (!eq)
			die(EXIT_USAGE, "-c needs KEY=VALUE, not '%s'", kv);
		char *key = xstrndup(kv, (size_t)(eq - kv));
		char *origin = xasprintf("-c %s", kv);
		int rc = config_set(cfg, key, eq + 1, origin, &err);
		free(key);
		free(origin);
		if (rc)
			die(EXIT_CONFIG, "%s", err.buf);
	}
	if (g->data_dir && config_set(cfg, "data_dir", g->data_dir, "--data", &err))
		die(EXIT_CONFIG, "%s", err.buf);
	if (g->store_url && config_set(cfg, "store.url", g->store_url, "--store", &err))
		die(EXIT_CONFIG, "%s", err.buf);
	if (config_validate(cfg, &err))
		die(EXIT_CONFIG, "%s", err.buf);
	strbuf_release(&err);
}

static void unknown_command(const char *name)
{
	const char *names[32];
	size_t n = 0;
	for (const struct cmd_entry *const *c = cmd_table; *c && n < 31; c++)
		names[n++] = (*c)->name;
	names[n] = NULL;
	fprintf(stderr, "ragops: '%s' is not a ragops command. See 'ragops help'.\n", name);
	const char *best = closest_word(name, names);
	if (best)
		fprintf(stderr, "\nThe most similar command is\n\t%s\n", best);
	exit(EXIT_USAGE);
}

/*
 * Settings a process that OCRs needs from its very start.  Worker
 * processes get them from spawn_worker; a run that reads pages itself
 * (ingest.isolate=false) sets them and starts itself again (when exec
 * fails we carry on, slower):
 * - Tesseract's OpenMP runtime reads OMP_THREAD_LIMIT once, as it loads,
 *   before main: with its default it starts a team per page on top of our
 *   own page threads, and OCR runs several times slower;
 * - glibc.malloc.hugetlb=1 backs the heaps with transparent huge pages:
 *   each OCR thread's Tesseract fills a heap of its own, and with 4 KB pages
 *   the page faults cost a second thread ~0.3 s of system time on 10 pages
 *   (measured: 86,000 minor faults instead of 43,000; wall time all cores /
 *   one thread 0.57 -> 0.54);
 * - OPENBLAS_NUM_THREADS=1 (set at the start of main, kept through the
 *   exec): OpenBLAS starts a thread per core as it loads, and they spin
 *   (sched_yield) while idle.  The embedder runs it on one thread anyway.
 * Starting again costs a second load of every library (~40 ms), which is
 * why an isolated run, the default, does not.
 */
static void prepare_ocr_process(char **argv)
{
	if (getenv("OMP_THREAD_LIMIT"))
		return;
	setenv("OMP_THREAD_LIMIT", "1", 1);
	const char *tunables = getenv("GLIBC_TUNABLES");
	if (!tunables || !strstr(tunables, "glibc.malloc.hugetlb")) {
		char *with = xasprintf("%s%sglibc.malloc.hugetlb=1", tunables ? tunables : "",
				       tunables && *tunables ? ":" : "");
		setenv("GLIBC_TUNABLES", with, 1);
		free(with);
	}
	execv("/proc/self/exe", argv);
}

static pthread_t main_thread;

/* On a thread a library started before main: the signal goes to the main thread. */
static void forward_to_main(int sig)
{
	pthread_kill(main_thread, sig);
}

/*
 * A command that takes SIGINT and SIGTERM itself (sigwait) must get them
 * even while it starts (the store opening, migrating): the main thread
 * blocks them, so they wait for it, and threads started before main (by
 * libraries as they load) pass them on instead of taking the default
 * action, an exit with status 143.
 */
static void keep_stop_signals_for_main(void)
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	main_thread = pthread_self();
	struct sigaction sa = { .sa_handler = forward_to_main };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
}

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct globals g = { 0 };
	struct app app = { 0 };
	struct strbuf err = STRBUF_INIT;

	/* jansson's allocations too die on out-of-memory, or wait on the server's reserve. */
	json_set_alloc_funcs(xmalloc, free);
	/*
	 * Before any thread: OpenBLAS, loaded when first needed (blas_libs.h),
	 * then starts no thread pool; the embedder runs it on one thread.
	 */
	setenv("OPENBLAS_NUM_THREADS", "1", 0);
	if (argc >= 2 && !strcmp(argv[1], WORKER_COMMAND))
		return worker_exec_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], NOTIFY_COMMAND))
		return notify_main(argc, argv);
	worker_process_use_exec();
	signal(SIGPIPE, SIG_IGN);
	/* A fault injected from the first allocation on (RAGOPS_FAULTS, tests only). */
	fault_refresh();
	char **original_argv = xmalloc(((size_t)argc + 1) * sizeof(char *));
	memcpy(original_argv, argv, ((size_t)argc + 1) * sizeof(char *));
	argc = take_globals(argc, argv, &g);
	if (argc < 2) {
		cmd_print_overview();
		free(g.overrides);
		free(original_argv);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		argv[1] = "help";
	if (!strcmp(argv[1], "--version"))
		argv[1] = "version";
	const struct cmd_entry *cmd = cmd_find(argv[1]);
	if (!cmd)
		unknown_command(argv[1]);
	if (strcmp(cmd->name, "help") && wants_help(argc - 1, argv + 1)) {
		fputs(cmd->usage, stdout);
		free(g.overrides);
		free(original_argv);
		return EXIT_OK;
	}

	load_config(&app.cfg, &g);
	if (cmd->flags & CMD_USES_OCR && strcmp(app.cfg.ingest.isolate, "true"))
		prepare_ocr_process(original_argv);
	free(original_argv);
	/* After the exec: the signal mask would outlive it. */
	if (cmd->flags & CMD_WAITS_FOR_STOP)
		keep_stop_signals_for_main();
	app.verbose = g.verbose;
	app.config_file = g.config_file;
	app.overrides = g.overrides;
	app.noverrides = g.noverrides;
	log_set_rotation(app.cfg.log_max_size, app.cfg.log_keep);
	if (cmd->flags & CMD_NEEDS_STORE) {
		if (store_open(&app.store, config_store_location(&app.cfg), &err))
			die(EXIT_FATAL, "%s", err.buf);
		char *logs = xasprintf("%s/logs", app.cfg.data_dir);
		char *logfile = xasprintf("%s/pipeline.log", logs);
		if (mkdir_p(logs) || log_open(logfile, app.cfg.log_level))
			warning("cannot write the log '%s'", logfile);
		free(logs);
		free(logfile);
	} else {
		log_open(NULL, app.cfg.log_level);
	}
	log_set_verbose(g.verbose);

	int ret = cmd->run(argc - 1, argv + 1, &app);

	log_close();
	store_close(&app.store);
	config_release(&app.cfg);
	strbuf_release(&err);
	free(g.overrides);
	return ret;
}
