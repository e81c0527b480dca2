/*
 * Per-client rate limit (a token bucket per address): `burst` requests at
 * once, then `per_minute` a minute.  Memory is bounded: the table is a fixed
 * size and the least recently seen client makes room for a new one.
 */
#ifndef SERVE_RATE_LIMIT_H
#define SERVE_RATE_LIMIT_H

struct rate_limit;

/* per_minute 0 disables the limit. */
struct rate_limit *rate_limit_new(unsigned per_minute, unsigned burst);
void rate_limit_free(struct rate_limit *rl);
/* Take one request for `client` at time `now` (seconds): 0 allowed, else
 * the whole seconds to wait before the next one would be. */
int rate_limit_take(struct rate_limit *rl, const char *client, double now);

#endif
