/*
 * Retries of a task that failed for a reason that may pass (the store
 * busy past its timeout, the disk full): exponential backoff with jitter,
 * as retry.attempts, retry.base_delay and retry.max_delay say.  A failure
 * that will not pass (a corrupt file, a bad setting) is never retried.
 * Each failed attempt is recorded as its own task row ("retrying", with
 * its error); the last one says how many attempts it took.
 */
#ifndef PIPELINE_RETRY_H
#define PIPELINE_RETRY_H

#include "core/config.h"

struct retry_policy {
	unsigned attempts; /* in all, the first included; 1: no retry */
	long long base_ms; /* before the second attempt, at most */
	long long max_ms;  /* the cap of any one wait */
};

enum retry_step { RETRY_DOCUMENT, RETRY_RELEASE };
/* retry.* with the step's own retry.document.* or retry.release.* over it. */
void retry_policy_from_config(const struct config *cfg, enum retry_step step, struct retry_policy *p);
/*
 * The wait before attempt `attempt` (2 = the first retry): base * 2^(n-2),
 * capped at max, then "equal jitter": a uniform share u (0 <= u < 1) of
 * its second half is taken off, so that retries of several tasks do not
 * march in step.  Pure: the caller gives u (tests give their own).
 */
long long retry_delay_ms(const struct retry_policy *p, unsigned attempt, double u);
/* Sleep `ms`, in short steps; 1 when a stop was asked for meanwhile (pipeline_request_stop). */
int retry_wait(long long ms);

#endif
