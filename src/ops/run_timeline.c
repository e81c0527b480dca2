/*
 * A run's timeline; see run_timeline.h.
 */
#include <string.h>

#include "ops/run_timeline.h"

#define MAX_STAGES 32

size_t run_timeline(const struct run_detail *d, struct stage_span *out, size_t max)
{
	size_t n = 0;
	long long origin = d->run.started_at;
	for (size_t i = 0; i < d->tasks.n; i++) {
		const struct task_record *t = &d->tasks.items[i];
		if (t->state == TASK_CACHED || !t->stage)
			continue;
		long long start = t->started_at - origin;
		long long end = start + (long long)(t->duration_ms > 0 ? t->duration_ms : 0);
		struct stage_span *s = NULL;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(out[j].stage, t->stage))
				s = &out[j];
		if (!s) {
			if (n == max)
				continue;
			s = &out[n++];
			memset(s, 0, sizeof(*s));
			snprintf(s->stage, sizeof(s->stage), "%s", t->stage);
			s->start_ms = start;
			s->end_ms = end;
		}
		if (start < s->start_ms)
			s->start_ms = start;
		if (end > s->end_ms)
			s->end_ms = end;
		s->tasks++;
		s->busy_ms += t->duration_ms > 0 ? t->duration_ms : 0;
	}
	/* In the order they began (insertion sort: a run has a dozen stages). */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && out[j].start_ms < out[j - 1].start_ms; j--) {
			struct stage_span tmp = out[j];
			out[j] = out[j - 1];
			out[j - 1] = tmp;
		}
	return n;
}

json_t *run_timeline_json(const struct run_detail *d)
{
	struct stage_span spans[MAX_STAGES];
	size_t n = run_timeline(d, spans, MAX_STAGES);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
				      json_pack("{s:s, s:I, s:I, s:I, s:f}", "stage", spans[i].stage,
						"start_ms", (json_int_t)spans[i].start_ms, "end_ms",
						(json_int_t)spans[i].end_ms, "tasks",
						(json_int_t)spans[i].tasks, "busy_ms",
						spans[i].busy_ms));
	return arr;
}

void run_timeline_print(const struct run_detail *d, FILE *out, int width)
{
	struct stage_span spans[MAX_STAGES];
	size_t n = run_timeline(d, spans, MAX_STAGES);
	long long total = 1;
	for (size_t i = 0; i < n; i++)
		if (spans[i].end_ms > total)
			total = spans[i].end_ms;
	if (!n)
		return;
	fprintf(out, "timeline (%.2f s):\n", total / 1000.0);
	for (size_t i = 0; i < n; i++) {
		const struct stage_span *s = &spans[i];
		int from = (int)((double)s->start_ms * width / total);
		int to = (int)((double)s->end_ms * width / total + 0.5);
		if (to <= from)
			to = from + 1;
		if (to > width)
			to = width;
		fprintf(out, "  %-10s %7.2f s %7.2f s  [", s->stage, s->start_ms / 1000.0,
			s->end_ms / 1000.0);
		for (int c = 0; c < width; c++)
			fputc(c >= from && c < to ? '=' : ' ', out);
		fprintf(out, "]  %zu task%s\n", s->tasks, s->tasks == 1 ? "" : "s");
	}
	fputc('\n', out);
}
