/*
 * The health checker (`ragops health`; later /health, the dashboard and
 * the scheduler): each check has a name, a status, the value seen, the
 * threshold and a message; the overall status is the worst of them.
 */
#ifndef OPS_HEALTH_H
#define OPS_HEALTH_H

#include <jansson.h>

#include "core/config.h"
#include "store/store.h"

enum health_status { HEALTH_OK, HEALTH_SKIPPED, HEALTH_DEGRADED, HEALTH_DOWN };

struct health_check {
	const char *name;
	enum health_status status;
	char value[64], threshold[64], message[256];
};

#define HEALTH_MAX_CHECKS 16

struct health_report {
	struct health_check checks[HEALTH_MAX_CHECKS];
	int n;
	enum health_status overall; /* HEALTH_OK, HEALTH_DEGRADED or HEALTH_DOWN */
};

void health_run(struct store *st, const struct config *cfg, struct health_report *r);
const char *health_status_name(enum health_status s);
json_t *health_to_json(const struct health_report *r);

#endif
