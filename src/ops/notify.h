/*
 * Notifications: when a run fails, completes with failures, is refused by
 * the gate, is cancelled, is skipped (late, or its turn taken) or is
 * found crashed, and when health changes, a message goes to the targets
 * of the notify.* settings: a Slack or Mattermost incoming webhook
 * ({"text": ...}), a webhook receiving the event as JSON (with the run's
 * figures), and a command run with the event in its environment.
 *
 * Never in the way: the message is handed to `ragops __notify`, a
 * process of its own that detaches at once and does the sending (each
 * attempt with notify.timeout, notify.retries more with backoff and
 * jitter); the caller does not wait, and a target that is down costs it
 * nothing.  Failures are logged to <data>/logs/pipeline.log.
 */
#ifndef OPS_NOTIFY_H
#define OPS_NOTIFY_H

#include <jansson.h>

#include "core/config.h"
#include "store/store.h"

#define NOTIFY_COMMAND "__notify"

/* Whether any target is configured. */
int notify_enabled(const struct config *cfg);
/*
 * Send `event` ("run_failed", ...) with `text` (one line for people) and
 * `details` (merged into the JSON body; reference stolen, may be NULL).
 */
void notify_event(const struct config *cfg, const char *event, const char *text, json_t *details);
/* The event for a run that ended (or was found) in `state`, when that state is news. */
void notify_run(struct store *st, const struct config *cfg, long long run_id);
/* `ragops __notify`: read the message on stdin, detach, send. */
int notify_main(int argc, char **argv);

#endif
