/*
 * Clocks: wall time for records, monotonic time for durations.
 */
#ifndef CORE_TIMEUTIL_H
#define CORE_TIMEUTIL_H

#include <stddef.h>

/* Milliseconds since the epoch (wall clock). */
long long time_now_ms(void);
/* Monotonic seconds, for measuring durations. */
double time_mono(void);
/* "2026-11-26T13:04:05.123Z" from epoch milliseconds. */
void time_iso8601(long long ms, char *out, size_t outlen);

#endif
