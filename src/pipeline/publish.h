/*
 * The end of every run: when the documents' current versions differ from
 * the newest release, they become a candidate release; its vectors and
 * lexicon are built, the gate (validate.h) checks it against production,
 * and it is promoted or refused.  Production changes in one transaction,
 * so a run killed anywhere here leaves production whole; the next run
 * finds the undecided candidate and validates it again.  Then retention
 * removes old releases (releases.keep) and what only they held.
 */
#ifndef PIPELINE_PUBLISH_H
#define PIPELINE_PUBLISH_H

#include "pipeline/flow.h"

enum publish_verdict {
	PUBLISH_UNCHANGED, /* nothing changed since the newest release */
	PUBLISH_PROMOTED,
	PUBLISH_REFUSED,
	PUBLISH_DEFERRED, /* production was moved by hand during the gate: nothing decided */
};

struct publish_outcome {
	enum publish_verdict verdict;
	long long release;    /* the candidate (or the newest release when unchanged) */
	long long production; /* after the stage, 0 when none */
	char message[1024];   /* "release 12 promoted (recall@5 0.93 -> 0.94, ...)" */
	double seconds;
};

/* 0 with the verdict in *out, -1 when the stage could not run (the store failed). */
int publish_release(struct flow *fl, struct publish_outcome *out, struct strbuf *err);

#endif
