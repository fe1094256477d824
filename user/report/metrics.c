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

/* The LLM calls of one endpoint (span name, Host) and model, over top's intervals. */
struct llm_series {
	char *name, *host, *model;
	uint64_t calls, ns, input_tokens, output_tokens;
};

struct metrics {
	pid_t pid;
	char comm[64];
	struct series_set threads, spans;
	struct llm_series *llm;
	size_t nllm;
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
	for (size_t i = 0; i < m->nllm; i++) {
		free(m->llm[i].name);
		free(m->llm[i].host);
		free(m->llm[i].model);
	}
	free(m->llm);
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

static struct llm_series *llm_series_of(struct metrics *m, const struct llm_group *g)
{
	char name[256];
	struct llm_series *s;

	utf8_sanitize(g->name, name, sizeof(name));
	for (size_t i = 0; i < m->nllm; i++)
		if (!strcmp(m->llm[i].name, name) && !strcmp(m->llm[i].host, g->host) && !strcmp(m->llm[i].model, g->model))
			return &m->llm[i];
	if (VEC_GROW_N(m->llm, m->nllm))
		return NULL;
	s = &m->llm[m->nllm];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->host = strdup(g->host);
	s->model = strdup(g->model);
	if (!s->name || !s->host || !s->model) {
		free(s->name);
		free(s->host);
		free(s->model);
		return NULL;
	}
	m->nllm++;
	return s;
}

/* report.json's llm_calls of one interval: counters, which add up over intervals (percentiles do not). */
static int add_llm(struct metrics *m, const struct profile *p)
{
	struct llm_group *groups = NULL;
	struct llm_series *s;
	size_t n;
	int err = span_groups__by_llm(p, &groups, &n);

	for (size_t i = 0; !err && i < n; i++) {
		const struct llm_group *g = &groups[i];

		s = llm_series_of(m, g);
		if (!s) {
			err = -ENOMEM;
			break;
		}
		s->calls += g->count;
		s->ns += g->wall_ns;
		s->input_tokens += g->input_tokens;
		s->output_tokens += g->output_tokens;
	}
	free(groups);
	return err;
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
	if (!err)
		err = add_llm(m, p);
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

static int cmp_llm_series(const void *a, const void *b)
{
	const struct llm_series *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (!c)
		c = strcmp(x->host, y->host);
	return c ? c : strcmp(x->model, y->model);
}

static void llm_labels(FILE *f, const char *metric, const struct llm_series *s, const char *type)
{
	fprintf(f, "%s{endpoint=", metric);
	put_value(f, s->name);
	fputs(",host=", f);
	put_value(f, s->host);
	fputs(",model=", f);
	put_value(f, s->model);
	if (type)
		fprintf(f, ",type=\"%s\"", type);
	fputc('}', f);
}

/* The LLM calls by endpoint and model ("" when the call's JSON named none), sorted. */
static void llm_metrics(FILE *f, const struct metrics *m)
{
	struct llm_series *v = malloc((m->nllm ? m->nllm : 1) * sizeof(*v));

	if (!v)
		return;
	if (m->nllm)
		memcpy(v, m->llm, m->nllm * sizeof(*v));
	qsort(v, m->nllm, sizeof(*v), cmp_llm_series);
	family(f, "agentprof_llm_calls_total", "counter", "LLM calls finished, by endpoint and model.");
	for (size_t i = 0; i < m->nllm; i++) {
		llm_labels(f, "agentprof_llm_calls_total", &v[i], NULL);
		fprintf(f, " %" PRIu64 "\n", v[i].calls);
	}
	family(f, "agentprof_llm_call_seconds_total", "counter", "The finished LLM calls' durations, summed.");
	for (size_t i = 0; i < m->nllm; i++) {
		llm_labels(f, "agentprof_llm_call_seconds_total", &v[i], NULL);
		seconds(f, v[i].ns);
	}
	family(f, "agentprof_llm_tokens_total", "counter",
	       "Tokens of the LLM calls' usage (gen_ai.usage.*), by type: input or output.");
	for (size_t i = 0; i < m->nllm; i++) {
		llm_labels(f, "agentprof_llm_tokens_total", &v[i], "input");
		fprintf(f, " %" PRIu64 "\n", v[i].input_tokens);
		llm_labels(f, "agentprof_llm_tokens_total", &v[i], "output");
		fprintf(f, " %" PRIu64 "\n", v[i].output_tokens);
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
	llm_metrics(f, m);
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
