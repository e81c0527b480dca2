/*
 * The pipeline log: one JSON object per line in <data>/logs/pipeline.log
 * (time, level, run, doc, stage, msg) and a human line on stderr for
 * warnings and errors (and everything at log.level=debug).
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERROR };

/* Open (append) the log file; NULL path logs to stderr only. */
int log_open(const char *path, const char *level_name);
void log_close(void);
/* Rotate the file past max_size bytes (0: never), keeping `keep` old ones (FILE.1 newest). */
void log_set_rotation(unsigned long long max_size, unsigned keep);
/* Whether info lines also go to stderr (off by default: the run prints a summary). */
void log_set_verbose(int verbose);

void log_event(enum log_level level, long long run_id, const char *doc, const char *stage,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
