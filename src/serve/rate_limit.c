/*
 * Token buckets per client address; see rate_limit.h.
 */
#include "serve/rate_limit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#define RATE_CLIENTS 1024

struct bucket {
	char client[48]; /* an IPv6 address fits */
	double tokens, updated;
};

struct rate_limit {
	pthread_mutex_t lock;
	double per_second, burst;
	struct bucket b[RATE_CLIENTS];
};

struct rate_limit *rate_limit_new(unsigned per_minute, unsigned burst)
{
	struct rate_limit *rl = xcalloc(1, sizeof(*rl));
	pthread_mutex_init(&rl->lock, NULL);
	rl->per_second = per_minute / 60.0;
	rl->burst = burst ? burst : 1;
	return rl;
}

void rate_limit_free(struct rate_limit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* The client's bucket, or the stalest one recycled for it. */
static struct bucket *bucket_for(struct rate_limit *rl, const char *client, double now)
{
	struct bucket *stalest = &rl->b[0];
	for (int i = 0; i < RATE_CLIENTS; i++) {
		struct bucket *b = &rl->b[i];
		if (!strcmp(b->client, client))
			return b;
		if (b->updated < stalest->updated)
			stalest = b;
	}
	snprintf(stalest->client, sizeof(stalest->client), "%s", client);
	stalest->tokens = rl->burst;
	stalest->updated = now;
	return stalest;
}

int rate_limit_take(struct rate_limit *rl, const char *client, double now)
{
	if (rl->per_second <= 0)
		return 0;
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = bucket_for(rl, client, now);
	b->tokens = fmin(rl->burst, b->tokens + (now - b->updated) * rl->per_second);
	b->updated = now;
	int wait = 0;
	if (b->tokens >= 1)
		b->tokens -= 1;
	else
		wait = (int)ceil((1 - b->tokens) / rl->per_second);
	pthread_mutex_unlock(&rl->lock);
	return wait;
}
