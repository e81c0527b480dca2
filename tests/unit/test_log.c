/*
 * Unit tests for the pipeline log (core/log.h): lines logged by many
 * threads at once come out whole, on stderr and in the log file, none
 * lost and none mixed with another (stderr lines were once written in
 * four pieces, and threads interleaved them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"

#define THREADS 8
#define LINES   2000

static void *log_many(void *arg)
{
	int t = (int)(intptr_t)arg;
	char doc[32], stage[32];
	snprintf(doc, sizeof(doc), "doc-%d.pdf", t);
	snprintf(stage, sizeof(stage), "stage%d", t);
	for (int i = 0; i < LINES; i++)
		log_event(LOG_WARNING, 7, doc, stage, "thread %d line %d %s", t, i,
			  "a message long enough to be written in several pieces if it ever were");
	return NULL;
}

/* The whole of a file. */
static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *buf = calloc((size_t)n + 1, 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

static void test_threads_write_whole_lines(void **state)
{
	char err_path[] = "/tmp/ragops-test-log-err-XXXXXX", log_path[] = "/tmp/ragops-test-log-XXXXXX";
	int err_fd = mkstemp(err_path), log_tmp = mkstemp(log_path);
	assert_true(err_fd >= 0 && log_tmp >= 0);
	close(log_tmp);
	assert_int_equal(log_open(log_path, "info"), 0);

	/* stderr into a file while the threads log. */
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(err_fd, STDERR_FILENO), STDERR_FILENO);
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, log_many, (void *)(intptr_t)t), 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(err_fd);
	log_close();

	/* stderr: each line exactly as one thread wrote it, each once. */
	char *text = slurp(err_path);
	int *seen = calloc(THREADS * LINES, sizeof(int));
	int lines = 0, bad = 0;
	for (char *line = text, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end); /* the last line ends too */
		*end = '\0';
		int t = -1, i = -1, t2 = -1, t3 = -1, used = 0;
		char expected[256];
		if (sscanf(line, "warning: doc-%d.pdf: stage%d: thread %d line %d", &t, &t2, &t3, &i) ==
			    4 &&
		    t >= 0 && t < THREADS && t == t2 && t == t3 && i >= 0 && i < LINES) {
			snprintf(expected, sizeof(expected),
				 "warning: doc-%d.pdf: stage%d: thread %d line %d %s", t, t, t, i,
				 "a message long enough to be written in several pieces if it ever were");
			used = !strcmp(line, expected);
		}
		if (!used) {
			if (bad++ < 3)
				print_error("mixed line: \"%.200s\"\n", line);
		} else {
			seen[t * LINES + i]++;
		}
		lines++;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(lines, THREADS * LINES);
	for (int k = 0; k < THREADS * LINES; k++)
		assert_int_equal(seen[k], 1);
	free(text);

	/* The log file: one JSON object a line, each whole. */
	text = slurp(log_path);
	lines = 0;
	for (char *line = text, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end);
		*end = '\0';
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);
		if (!o)
			fail_msg("not a JSON line: \"%.200s\"", line);
		assert_string_equal(json_string_value(json_object_get(o, "level")), "warning");
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, THREADS * LINES);
	free(text);
	free(seen);
	unlink(err_path);
	unlink(log_path);
}

#define PROCS      3
#define PROC_LINES 1500
#define MAX_SIZE   20000

static void log_as_process(const char *path, int p)
{
	log_close(); /* a process of its own opens the file itself */
	assert_int_equal(log_open(path, "info"), 0);
	for (int i = 0; i < PROC_LINES; i++)
		log_event(LOG_INFO, 1, NULL, "rotate", "process %d line %d", p, i);
}

/* Lines of every file FILE, FILE.1, ... counted into seen[]; the number of files. */
static int read_rotated(const char *path, int *seen, int *bad)
{
	int files = 0;
	for (int n = 0; n < 1000; n++) {
		char name[512];
		if (n)
			snprintf(name, sizeof(name), "%s.%d", path, n);
		else
			snprintf(name, sizeof(name), "%s", path);
		struct stat sb;
		if (stat(name, &sb))
			continue;
		files++;
		/*
		 * A file is rotated once a writer finds it at the size: each
		 * process may have one line (~110 bytes) in flight past it.
		 */
		if (sb.st_size > MAX_SIZE + PROCS * 150) {
			print_error("%s: %lld bytes\n", name, (long long)sb.st_size);
			(*bad)++;
		}
		char *text = slurp(name);
		for (char *line = text, *end; *line; line = end + 1) {
			end = strchr(line, '\n');
			assert_non_null(end);
			*end = '\0';
			int p = -1, i = -1;
			json_t *o = json_loads(line, 0, NULL);
			const char *msg = json_string_value(json_object_get(o, "msg"));
			if (msg && sscanf(msg, "process %d line %d", &p, &i) == 2 && p >= 0 &&
			    p < PROCS && i >= 0 && i < PROC_LINES)
				seen[p * PROC_LINES + i]++;
			else if ((*bad)++ < 3)
				print_error("%s: not a line of ours: %.200s\n", name, line);
			json_decref(o);
		}
		free(text);
	}
	return files;
}

/*
 * Several processes appending to one file that rotates: every line lands
 * whole in exactly one of the files, none over the size, and with `keep`
 * old files no more than that many are left.
 */
static void test_rotation_across_processes(void **state)
{
	(void)state;
	char dir[] = "/tmp/ragops-test-rotate-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/pipeline.log", dir);
	assert_int_equal(log_open(path, "info"), 0);
	log_set_rotation(MAX_SIZE, 999);
	pid_t kids[PROCS - 1];
	for (int p = 1; p < PROCS; p++) {
		kids[p - 1] = fork();
		assert_true(kids[p - 1] >= 0);
		if (!kids[p - 1]) {
			log_as_process(path, p);
			_exit(0);
		}
	}
	log_as_process(path, 0);
	for (int p = 1; p < PROCS; p++) {
		int status = 0;
		waitpid(kids[p - 1], &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	int *seen = calloc(PROCS * PROC_LINES, sizeof(int)), bad = 0;
	int files = read_rotated(path, seen, &bad);
	assert_int_equal(bad, 0);
	assert_true(files > 5); /* ~110 bytes a line: it did rotate, many times */
	for (int k = 0; k < PROCS * PROC_LINES; k++)
		if (seen[k] != 1)
			fail_msg("line %d of process %d is in the files %d times", k % PROC_LINES,
				 k / PROC_LINES, seen[k]);

	/* keep 2, past the size again and again: the current file and two old ones. */
	log_close();
	snprintf(path, sizeof(path), "%s/second.log", dir);
	assert_int_equal(log_open(path, "info"), 0);
	log_set_rotation(MAX_SIZE, 2);
	for (int i = 0; i < 2000; i++)
		log_event(LOG_INFO, 1, NULL, "rotate", "again %d", i);
	log_close();
	char name[300];
	struct stat sb;
	snprintf(name, sizeof(name), "%s.2", path);
	assert_int_equal(stat(name, &sb), 0);
	snprintf(name, sizeof(name), "%s.3", path);
	assert_int_not_equal(stat(name, &sb), 0);
	char *newest = slurp(path);
	assert_non_null(strstr(newest, "again 1999"));
	free(newest);
	log_set_rotation(0, 0);
	free(seen);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_write_whole_lines),
		cmocka_unit_test(test_rotation_across_processes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
