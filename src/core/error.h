/*
 * Error reporting in three tiers (after git):
 *   BUG()   a programmer error: abort;
 *   die()   only from main and cmd_*: print and exit with a code;
 *   error() everywhere else: print and return -1, so callers can write
 *           `return error("cannot open '%s'", path);`.
 * Messages start lowercase and quote their subject.
 */
#ifndef CORE_ERROR_H
#define CORE_ERROR_H

/* Exit codes of the ragops binary; the README lists them for users. */
enum exit_code {
	EXIT_OK = 0,        /* success */
	EXIT_PARTIAL = 1,   /* completed, but some documents failed */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_CONFIG = 3,    /* bad configuration file or value */
	EXIT_FATAL = 4,     /* could not do the job at all (store, I/O) */
	EXIT_NOT_FOUND = 5, /* the thing asked for does not exist */
	EXIT_REFUSED = 6,   /* the release gate refused the run's candidate */
	EXIT_CANCELLED = 7, /* stopped by SIGINT or SIGTERM: the run ended "cancelled" */
};

int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die(enum exit_code code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)

/* Silence error()/warning() on stderr (tests that expect failures). */
void error_set_quiet(int quiet);

#endif
