/*
 * Retry policy; see retry.h.
 */
#include <stdlib.h>
#include <time.h>

#include "core/strutil.h"
#include "core/timeutil.h"
#include "pipeline/retry.h"
#include "pipeline/run.h"

void retry_policy_from_config(const struct config *cfg, enum retry_step step, struct retry_policy *p)
{
	const struct retry_override *o = step == RETRY_DOCUMENT ? &cfg->retry.document
								: &cfg->retry.release;
	unsigned attempts = o->attempts ? o->attempts : cfg->retry.attempts;
	p->attempts = attempts ? attempts : 1;
	p->base_ms = parse_duration_ms(*o->base_delay ? o->base_delay : cfg->retry.base_delay);
	p->max_ms = parse_duration_ms(*o->max_delay ? o->max_delay : cfg->retry.max_delay);
	if (p->max_ms < p->base_ms)
		p->max_ms = p->base_ms;
}

long long retry_delay_ms(const struct retry_policy *p, unsigned attempt, double u)
{
	if (attempt < 2)
		return 0;
	long long d = p->base_ms;
	for (unsigned i = 2; i < attempt && d < p->max_ms; i++)
		d *= 2;
	if (d > p->max_ms)
		d = p->max_ms;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	return d - (long long)((double)(d / 2) * u);
}

int retry_wait(long long ms)
{
	double until = time_mono() + ms / 1000.0;
	while (!pipeline_stop_requested()) {
		double left = until - time_mono();
		if (left <= 0)
			return 0;
		double step = left < 0.1 ? left : 0.1;
		struct timespec ts = { (time_t)step, (long)((step - (time_t)step) * 1e9) };
		nanosleep(&ts, NULL);
	}
	return 1;
}
