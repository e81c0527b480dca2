/*
 * The route table and its matcher; see routes.h.
 */
#include "serve/routes.h"

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
const struct route routes[] = {
	{ "POST", "/api/ask", api_ask, ROUTE_PUBLIC | ROUTE_STORE | ROUTE_RATED | ROUTE_SHED },
	{ "POST", "/api/feedback", api_feedback_post, ROUTE_PUBLIC | ROUTE_STORE | ROUTE_RATED | ROUTE_SHED },
	{ "GET", "/api/feedback", api_feedback_list, ROUTE_PUBLIC | ROUTE_STORE },
	{ "GET", "/api/feedback/export", api_feedback_export, ROUTE_ADMIN | ROUTE_STORE | ROUTE_SHED },
	{ "GET", "/api/runs", api_runs, ROUTE_PUBLIC | ROUTE_STORE },
	{ "POST", "/api/runs", api_run_start, ROUTE_ADMIN | ROUTE_SHED },
	{ "GET", "/api/runs/{id}", api_run, ROUTE_PUBLIC | ROUTE_STORE },
	{ "GET", "/api/documents", api_documents, ROUTE_PUBLIC | ROUTE_STORE },
	{ "GET", "/api/metrics/summary", api_summary, ROUTE_PUBLIC | ROUTE_STORE },
	{ "GET", "/api/releases", api_releases, ROUTE_PUBLIC | ROUTE_STORE },
	{ "GET", "/api/releases/{id}", api_release, ROUTE_PUBLIC | ROUTE_STORE },
	{ "POST", "/api/releases/{id}/promote", api_release_promote, ROUTE_ADMIN | ROUTE_STORE | ROUTE_SHED },
	{ "POST", "/api/deploy/rollback", api_rollback, ROUTE_ADMIN | ROUTE_STORE | ROUTE_SHED },
	{ "GET", "/api/retrain", api_retrain_status, ROUTE_PUBLIC | ROUTE_STORE },
	{ "POST", "/api/retrain", api_retrain_start, ROUTE_ADMIN | ROUTE_STORE | ROUTE_SHED },
	{ "GET", "/api/retrain/{id}", api_retraining, ROUTE_PUBLIC | ROUTE_STORE },
	{ "GET", "/api/deployments", api_deployments, ROUTE_PUBLIC | ROUTE_STORE },
	{ "GET", "/api/deployments/{name}", api_deployment, ROUTE_PUBLIC | ROUTE_STORE },
	{ "POST", "/api/deployments/{name}/run", api_deployment_run, ROUTE_ADMIN | ROUTE_STORE | ROUTE_SHED },
	{ "POST", "/api/deployments/{name}/pause", api_deployment_pause, ROUTE_ADMIN | ROUTE_STORE },
	{ "POST", "/api/deployments/{name}/resume", api_deployment_pause, ROUTE_ADMIN | ROUTE_STORE },
	{ "GET", "/healthz", api_healthz, ROUTE_PUBLIC | ROUTE_INLINE },
	{ "GET", "/readyz", api_readyz, ROUTE_PUBLIC | ROUTE_STORE },
	{ "GET", "/health", api_health, ROUTE_PUBLIC | ROUTE_STORE },
	{ "GET", "/metrics", api_prometheus, ROUTE_PUBLIC | ROUTE_STORE },
};
/* clang-format on */
const int nroutes = sizeof(routes) / sizeof(routes[0]);

/* clang-format off */
const char *const route_names[] = {
	"/api/ask", "/api/feedback", "/api/feedback", "/api/feedback/export", "/api/runs", "/api/runs",
	"/api/runs/{id}", "/api/documents", "/api/metrics/summary", "/api/releases",
	"/api/releases/{id}", "/api/releases/{id}/promote", "/api/deploy/rollback", "/api/retrain",
	"/api/retrain", "/api/retrain/{id}", "/api/deployments", "/api/deployments/{name}",
	"/api/deployments/{name}/run", "/api/deployments/{name}/pause",
	"/api/deployments/{name}/resume", "/healthz", "/readyz",
	"/health", "/metrics", "static", "unmatched",
};
/* clang-format on */
_Static_assert(sizeof(route_names) / sizeof(route_names[0]) == sizeof(routes) / sizeof(routes[0]) + 2,
	       "route_names names every route, then static and unmatched");

/* The length of a deployment's name at `s` (letters, digits, '-', '_', '.'; 1 to 64), or 0. */
size_t route_name_len(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");
	return n >= 1 && n <= 64 && s[0] != '.' && s[0] != '-' && s[0] != '_' ? n : 0;
}

/* Whether `path` fits `pattern`; {id} takes a positive integer, {name} a name. */
static int path_fits(const char *pattern, const char *path, long long *id)
{
	const char *hole = strstr(pattern, "{id}");
	const char *named = strstr(pattern, "{name}");
	if (named) {
		size_t head = (size_t)(named - pattern);
		size_t len = strncmp(pattern, path, head) ? 0 : route_name_len(path + head);
		return len && !strcmp(path + head + len, named + 6);
	}
	if (!hole)
		return !strcmp(pattern, path);
	size_t head = (size_t)(hole - pattern);
	if (strncmp(pattern, path, head))
		return 0;
	const char *digits = path + head;
	char *end;
	if (*digits < '1' || *digits > '9')
		return 0;
	errno = 0;
	long long v = strtoll(digits, &end, 10);
	/* An id past the largest integer is no id (not the largest one). */
	if (strcmp(end, hole + 4) || v <= 0 || errno == ERANGE)
		return 0;
	*id = v;
	return 1;
}

int route_match(const char *method, const char *path, long long *id, char *allow, size_t allow_len)
{
	int found = -1;
	size_t used = 0;
	allow[0] = '\0';
	for (int i = 0; i < nroutes; i++) {
		if (!path_fits(routes[i].pattern, path, id))
			continue;
		/* HEAD is GET without the body (MHD drops it). */
		if (!strcmp(routes[i].method, method) ||
		    (!strcmp(method, "HEAD") && !strcmp(routes[i].method, "GET")))
			return i;
		used += (size_t)snprintf(allow + used, used < allow_len ? allow_len - used : 0, "%s%s",
					 used ? ", " : "", routes[i].method);
		found = -2;
	}
	return found;
}

void routes_print(FILE *out)
{
	for (int i = 0; i < nroutes; i++) {
		unsigned who = routes[i].flags & (ROUTE_ADMIN | ROUTE_PUBLIC);
		fprintf(out, "%s %s %s\n", routes[i].method, routes[i].pattern,
			who == ROUTE_ADMIN    ? "admin"
			: who == ROUTE_PUBLIC ? "public"
					      : "none");
	}
}
