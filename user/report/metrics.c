// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What `top --listen` exposes to Prometheus: counters summed over top's intervals and the current
 * class, in the text exposition format. Threads are labelled by name, not tid: a pool's workers
 * add up under one name, and threads that come and go do not leave a series each behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report/json.h"
#include "report/metrics.h"
#include "model/spangroups.h"
#include "model/spans.h"
#include "base/text.h"
#include "base/vec.h"

/* Seconds per category of one thread name or one span name. */
struct series {
	char *name;
	uint64_t ns[NR_CATEGORIES];
};

struct series_set {
	struct series *v;
	size_t n;
};

struct metrics {
	pid_t pid;
	char comm[64];
	struct series_set threads, spans;
	uint64_t samples;
	uint64_t drops[NR_COUNTERS];
	uint64_t intervals;
	enum category class;	/* of the last interval */
};

struct metrics *metrics__new(pid_t pid, const char *comm)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->pid = pid;
	utf8_sanitize(comm, m->comm, sizeof(m->comm));
	return m;
}

static void set_free(struct series_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i].name);
	free(set->v);
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	set_free(&m->threads);
	set_free(&m->spans);
	free(m);
}

static struct series *series_of(struct series_set *set, const char *raw)
{
	char name[256];
	struct series *s;

	utf8_sanitize(raw, name, sizeof(name));
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].name, name))
			return &set->v[i];
	if (VEC_GROW_N(set->v, set->n))
		return NULL;
	s = &set->v[set->n];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	set->n++;
	return s;
}

int metrics__add(struct metrics *m, const struct profile *p)
{
	struct span_group *groups = NULL;
	struct series *s;
	size_t n;
	int err;

	for (size_t i = 0; i < p->nthreads; i++) {
		s = series_of(&m->threads, p->threads[i].comm);
		if (!s)
			return -ENOMEM;
		for (int c = 0; c < NR_CATEGORIES; c++)
			s->ns[c] += p->threads[i].ns[c];
	}
	/* report.json's span groups: each span's time with that of the spans nested in it */
	err = span_groups__by_name(p, &groups, &n);
	for (size_t i = 0; !err && i < n; i++) {
		s = series_of(&m->spans, groups[i].name);
		if (!s)
			err = -ENOMEM;
		for (int c = 0; s && c < NR_CATEGORIES; c++)
			s->ns[c] += groups[i].ns[c];
	}
	free(groups);
	if (err)
		return err;
	m->samples += p->oncpu.total;
	for (int c = 0; c < NR_COUNTERS; c++)
		m->drops[c] += p->counters[c];
	m->class = p->class;
	m->intervals++;
	return 0;
}

/* A label value: \, " and newline escaped, as the format requires. */
static void put_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void seconds(FILE *f, uint64_t ns)
{
	fprintf(f, " %" PRIu64 ".%09" PRIu64 "\n", ns / 1000000000, ns % 1000000000);
}

static int cmp_series(const void *a, const void *b)
{
	return strcmp(((const struct series *)a)->name, ((const struct series *)b)->name);
}

/* Sorted by name, so that a scrape reads the same way each time. */
static void by_category(FILE *f, const char *metric, const char *label, const struct series_set *set)
{
	struct series *v = malloc((set->n ? set->n : 1) * sizeof(*v));

	if (!v)
		return;
	if (set->n)	/* set->v is NULL before the first series: memcpy must not get it */
		memcpy(v, set->v, set->n * sizeof(*v));
	qsort(v, set->n, sizeof(*v), cmp_series);
	for (size_t i = 0; i < set->n; i++)
		for (int c = 0; c < NR_CATEGORIES; c++) {
			fprintf(f, "%s{%s=", metric, label);
			put_value(f, v[i].name);
			fprintf(f, ",category=\"%s\"}", category_name(c));
			seconds(f, v[i].ns[c]);
		}
	free(v);
}

int metrics__write(const struct metrics *m, FILE *f)
{
	char pid[16];

	family(f, "agentprof_wait_seconds_total", "counter",
	       "Wall time of the target's threads by category (cpu, runq, lock, net, disk, sleep, idle, other), "
	       "summed over threads of the same name.");
	by_category(f, "agentprof_wait_seconds_total", "thread", &m->threads);
	family(f, "agentprof_span_wait_seconds_total", "counter",
	       "Time inside the agent's spans (nested spans included) by category, queue (ready, behind other "
	       "requests on an event loop) too, summed over spans of the same name.");
	by_category(f, "agentprof_span_wait_seconds_total", "span", &m->spans);
	family(f, "agentprof_class", "gauge",
	       "The process's class in the last interval: 1 for its class, 0 for the others (all 0 before the "
	       "first interval).");
	for (enum category c = 0; c < NR_CATEGORIES; c++)
		fprintf(f, "agentprof_class{class=\"%s\"} %d\n", category_name(c), m->intervals && m->class == c);
	family(f, "agentprof_samples_total", "counter", "On-CPU samples of the target.");
	fprintf(f, "agentprof_samples_total %" PRIu64 "\n", m->samples);
	family(f, "agentprof_dropped_total", "counter", "Data lost, by reason (report.json's drops).");
	for (int c = 0; c < NR_COUNTERS; c++)
		if (drop_name(c))
			fprintf(f, "agentprof_dropped_total{reason=\"%s\"} %" PRIu64 "\n", drop_name(c), m->drops[c]);
	family(f, "agentprof_intervals_total", "counter", "Intervals that top has measured.");
	fprintf(f, "agentprof_intervals_total %" PRIu64 "\n", m->intervals);
	family(f, "agentprof_target_info", "gauge", "The process watched: its PID and name.");
	snprintf(pid, sizeof(pid), "%d", m->pid);
	fprintf(f, "agentprof_target_info{pid=\"%s\",comm=", pid);
	put_value(f, m->comm);
	fputs("} 1\n", f);
	return ferror(f) ? -EIO : 0;
}
