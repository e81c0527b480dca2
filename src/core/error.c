/*
 * The three error tiers; see error.h.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int quiet;

void error_set_quiet(int q)
{
	quiet = q;
}

static void report(const char *prefix, const char *fmt, va_list ap)
{
	if (quiet)
		return;
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("warning: ", fmt, ap);
	va_end(ap);
}

void die(enum exit_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	quiet = 0;
	report("fatal: ", fmt, ap);
	va_end(ap);
	exit(code);
}

void bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "BUG: %s:%d: ", file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
