/*
 * The command table (after tmux's cmd_entry): one file per subcommand,
 * each exporting a `struct cmd_entry`.  Commands are thin: parse options,
 * call the library, print.
 */
#ifndef CMD_CMD_H
#define CMD_CMD_H

#include "answer/answer.h"
#include "core/config.h"
#include "store/store.h"

enum cmd_flags {
	CMD_NEEDS_STORE = 1 << 0, /* open (and migrate) the store before running */
	CMD_USES_OCR = 1 << 1,    /* may run Tesseract: needs OMP_THREAD_LIMIT set at start */
	CMD_WAITS_FOR_STOP =
		1 << 2, /* takes SIGINT and SIGTERM itself (sigwait): blocked from the start */
};

struct app {
	struct config cfg;
	struct store *store; /* open when the command asked for it */
	int verbose;
	/* How the configuration was given, for a child that must see the same. */
	const char *config_file;
	const char *const *overrides; /* "key=value" of each -c */
	size_t noverrides;
};

struct cmd_entry {
	const char *name;
	const char *summary; /* one line for `ragops help` */
	const char *usage;   /* full text for `ragops CMD --help` */
	unsigned flags;
	int (*run)(int argc, char **argv, struct app *app);
};

extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_search_entry;
extern const struct cmd_entry cmd_runs_entry;
extern const struct cmd_entry cmd_ocr_entry;
extern const struct cmd_entry cmd_ask_entry;
extern const struct cmd_entry cmd_eval_entry;
extern const struct cmd_entry cmd_feedback_entry;
extern const struct cmd_entry cmd_health_entry;
extern const struct cmd_entry cmd_serve_entry;
extern const struct cmd_entry cmd_monitor_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_store_entry;
extern const struct cmd_entry cmd_worker_entry;
extern const struct cmd_entry cmd_workers_entry;
extern const struct cmd_entry cmd_gc_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_releases_entry;
extern const struct cmd_entry cmd_deploy_entry;
extern const struct cmd_entry cmd_deployment_entry;
extern const struct cmd_entry cmd_models_entry;
extern const struct cmd_entry cmd_retrain_entry;
extern const struct cmd_entry cmd_version_entry;

/* NULL-terminated, in the order `ragops help` lists them. */
extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *name);

/* Print `ragops help` (all commands) to stdout. */
void cmd_print_overview(void);
/* Print ragops(1) in roff, from the same text as the help. */
void cmd_print_man(void);

/* Print indented JSON and a newline to stdout, and drop the reference. */
struct json_t;
void cmd_print_json(struct json_t *j);

/* Reset getopt for a command's own argv. */
void cmd_reset_getopt(void);

/* Whether stdout is a terminal that understands ANSI styles. */
int cmd_stdout_styled(void);

/* "2026-11-26 13:04:05" in local time, for people. */
void cmd_format_time(long long ms, char *out, size_t len);
/*
 * Run the pipeline, print its outcome (JSON or text), retrain when
 * retrain.auto says so; the exit code of `ragops run`.  `who` prefixes
 * errors ("ragops run").
 */
struct run_options;
int cmd_run_pipeline(struct app *app, const struct run_options *ro, int json, const char *who);
/*
 * SIGINT and SIGTERM for a command that runs the pipeline: the first asks
 * the run to stop (pipeline_request_stop: it ends "cancelled" once its
 * documents in flight are done) and makes cmd_stop_fd() readable; a
 * second one stops the process at once (the next run completes the work,
 * as after kill -9).  0, or -1 with errno.
 */
int cmd_catch_stop_signals(void);
/* What a stop signal makes the command say, instead of a run's words (a string literal). */
void cmd_stop_says(const char *message);
int cmd_stop_fd(void);
/* Reconcile the deployments ragops.yaml declares (ops/deployment_declared.h); an exit code. */
int cmd_reconcile_deployments(struct app *app, const char *who);
/* `ragops run --watch`: runs on every batch of changes until SIGINT or SIGTERM. */
int cmd_run_watch(struct app *app, const struct run_options *ro, int json);
/* The exit code of `ragops ask` and `ragops eval` for a question's outcome. */
int cmd_ask_exit_code(enum ask_result rc);

#endif
