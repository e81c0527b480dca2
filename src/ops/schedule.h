/*
 * What a deployment's schedule asks for at a given moment: the scheduled
 * time to run now, the times to record as skipped (missed while nothing
 * was scheduling, or too late), and when to look again.  A pure function
 * of the deployment, how far its schedule was handled and the clock, so
 * that missed and late runs are tested with any clock.
 */
#ifndef OPS_SCHEDULE_H
#define OPS_SCHEDULE_H

#include "core/strbuf.h"
#include "store/store.h"

/* A scheduled time reached within this is on time; later, it was missed. */
#define SCHEDULE_ON_TIME_MS 60000LL

struct schedule_step {
	long long run_at;   /* the scheduled time to run now (epoch ms); 0: none */
	int catch_up;       /* run_at was missed, and is run once (missed: once) */
	long long nskipped; /* scheduled times not to run */
	long long skipped_first, skipped_last;
	char reason[256];          /* why they are skipped */
	long long handled_through; /* every scheduled time up to here is run or skipped */
	long long wake_at;         /* the next scheduled time after now; 0: never */
};

/*
 * The step for d at `now_ms`, its schedule handled up to `from_ms`.
 * `max_lateness_ms` bounds catching up.  0, or -1 when d's schedule or
 * zone cannot be read.
 */
int schedule_step(const struct deployment *d, long long from_ms, long long now_ms,
		  long long max_lateness_ms, struct schedule_step *out, struct strbuf *err);

#endif
