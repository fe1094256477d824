// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cpu.speedscope.json and offcpu.speedscope.json: speedscope's file format, one sampled profile
 * per group of --group-by (per thread by default; the process; per span name; per trace),
 * weighed in nanoseconds. Each stack starts with the frames the flame graph puts above it, less
 * the one its profile stands for: off CPU, the wait reason ("[lock]").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "base/intern.h"
#include "report/output.h"
#include "report/spanref.h"
#include "base/text.h"

#define SCHEMA "https://www.speedscope.app/file-format-schema.json"
#define KEY_LEN (SPAN_NAME_LEN + 16)

struct writer {
	const struct profile *p;
	bool offcpu;
	uint64_t period;	/* ns per sample on CPU; 1 off CPU, where counts are ns */
	struct intern frames;	/* "name\0file" */
	int err;
};

/* One stack in the profile of its group. */
struct item {
	const struct sample *s;
	char key[KEY_LEN];	/* the group, as it sorts ("0": no span or trace, "1NAME": a span) */
	bool has_span;
	struct span_ref span;
};

static int64_t frame_id(struct writer *w, const char *name, const char *file)
{
	char key[1024 + 1 + 1024];
	size_t n, f;
	int64_t id;

	utf8_sanitize(name, key, 1024);
	n = strlen(key) + 1;
	utf8_sanitize(file, key + n, 1024);
	f = strlen(key + n);
	id = intern__id(&w->frames, key, n + f);
	if (id < 0)
		w->err = id;
	return id;
}

static const char *frame_file(const struct profile *p, const struct sample *s, uint32_t i)
{
	int32_t m = s->origins ? s->origins[i].mapping : -1;

	return m >= 0 && (size_t)m < p->nmappings ? p->mappings[m].path : "";
}

/* The stack as frame indices, root first. */
static json_t *stack_json(struct writer *w, const struct item *it)
{
	const struct sample *s = it->s;
	enum group_by by = w->p->group_by;
	json_t *a = json_array();
	char frame[KEY_LEN];

	if (!a)
		return NULL;
	if (by != GROUP_THREAD)
		json_array_append_new(a, json_integer(frame_id(w, s->comm, "")));
	if (by == GROUP_TRACE && it->has_span) {
		snprintf(frame, sizeof(frame), "[span %s]", it->span.name);
		json_array_append_new(a, json_integer(frame_id(w, frame, "")));
	}
	if (w->offcpu) {
		snprintf(frame, sizeof(frame), "[%s]", category_name(s->category));
		json_array_append_new(a, json_integer(frame_id(w, frame, "")));
	}
	for (uint32_t i = 0; i < s->nframes; i++)
		json_array_append_new(a, json_integer(frame_id(w, s->frames[i], frame_file(w->p, s, i))));
	return a;
}

static uint64_t weight(const struct writer *w, const struct sample *s)
{
	return s->count * w->period;
}

static const char *thread_name(const struct profile *p, const struct sample *s)
{
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == s->tid && p->threads[i].comm[0])
			return p->threads[i].comm;
	return s->comm;
}

/* The profile's name, from any of its items. */
static void group_name(const struct writer *w, const struct item *it, char *buf, size_t len)
{
	const struct profile *p = w->p;
	char name[KEY_LEN];

	switch (p->group_by) {
	case GROUP_PROCESS:
		profile__title(p, name, sizeof(name));
		utf8_sanitize(name, buf, len);
		break;
	case GROUP_SPAN:
		utf8_sanitize(it->has_span ? it->span.name : "", name, sizeof(name));
		snprintf(buf, len, it->has_span ? "span %s" : "no span", name);
		break;
	case GROUP_TRACE:
		snprintf(buf, len, it->has_span ? "trace %s" : "no trace", it->span.trace_id);
		break;
	default:
		utf8_sanitize(thread_name(p, it->s), name, sizeof(name));
		snprintf(buf, len, "%s (thread %u)", name, it->s->tid);
	}
}

static json_t *profile_json(struct writer *w, const struct item *v, size_t n, uint64_t *total_out)
{
	json_t *samples = json_array(), *weights = json_array();
	char name[2 * KEY_LEN];
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(samples, stack_json(w, &v[i]));
		json_array_append_new(weights, json_integer(weight(w, v[i].s)));
		total += weight(w, v[i].s);
	}
	group_name(w, &v[0], name, sizeof(name));
	*total_out = total;
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o}", "type", "sampled", "name", name,
			 "unit", "nanoseconds", "startValue", (json_int_t)0, "endValue", (json_int_t)total,
			 "samples", samples, "weights", weights);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_stack(const struct sample *x, const struct sample *y)
{
	int c = strcmp(x->comm, y->comm) ?: cmp_u64(x->category, y->category);

	for (uint32_t i = 0; !c && i < x->nframes && i < y->nframes; i++)
		c = strcmp(x->frames[i], y->frames[i]);
	return c ?: cmp_u64(x->nframes, y->nframes) ?: cmp_u64(y->count, x->count) ?: cmp_u64(x->tid, y->tid);
}

/* By group, and in each the stacks in order, so that speedscope's time-order view puts common
 * prefixes side by side. */
static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return strcmp(x->key, y->key) ?: cmp_stack(x->s, y->s);
}

static json_t *frames_json(const struct writer *w)
{
	json_t *a = json_array();

	for (size_t i = 0; i < w->frames.n; i++) {
		const char *name = w->frames.keys[i], *file = name + strlen(name) + 1;
		size_t flen = w->frames.lens[i] - strlen(name) - 1;
		json_t *f = json_pack("{s:s}", "name", name);

		if (flen)
			json_object_set_new(f, "file", json_stringn(file, flen));
		json_array_append_new(a, f);
	}
	return a;
}

/* Every stack with weight, with its group's key, sorted. */
static ssize_t collect(const struct writer *w, const struct sample_set *set, struct item **out)
{
	struct item *v = calloc(set->n + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++) {
		struct item *it = &v[n];

		if (!weight(w, &set->v[i]))
			continue;
		it->s = &set->v[i];
		it->has_span = sample_span(w->p, it->s, &it->span);
		switch (w->p->group_by) {
		case GROUP_PROCESS:
			break;
		case GROUP_SPAN:
		case GROUP_TRACE:
			snprintf(it->key, sizeof(it->key), "%d%s", it->has_span, !it->has_span ? "" :
				 w->p->group_by == GROUP_SPAN ? it->span.name : it->span.trace_id);
			break;
		default:
			snprintf(it->key, sizeof(it->key), "%010u", it->s->tid);	/* sorts as numbers */
		}
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_item);
	*out = v;
	return n;
}

static json_t *file_json(struct writer *w, const struct sample_set *set)
{
	const struct profile *p = w->p;
	json_t *profiles = json_array(), *root;
	char title[320], comm[320], name[400];
	uint64_t total, most = 0;
	size_t active = 0;
	struct item *v;
	ssize_t n = collect(w, set, &v);

	if (n < 0)
		return NULL;
	for (ssize_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(v[i].key, v[j].key);)
			j++;
		json_array_append_new(profiles, profile_json(w, &v[i], j - i, &total));
		if (total > most) {	/* speedscope opens on the busiest */
			most = total;
			active = json_array_size(profiles) - 1;
		}
	}
	free(v);
	profile__title(p, title, sizeof(title));
	utf8_sanitize(title, comm, sizeof(comm));
	snprintf(name, sizeof(name), "%s: %s", comm, w->offcpu ? "time off CPU by wait reason" : "on-CPU samples");
	root = json_pack("{s:s, s:s, s:s, s:I, s:{s:o}, s:o}", "$schema", SCHEMA, "name", name,
			 "exporter", "agentprof", "activeProfileIndex", (json_int_t)active, "shared", "frames",
			 frames_json(w), "profiles", profiles);
	return w->err ? (json_decref(root), NULL) : root;
}

static int write_set(FILE *f, const struct profile *p, bool offcpu)
{
	struct writer w = {
		.p = p,
		.offcpu = offcpu,
		.period = offcpu || !p->freq_hz ? 1 : 1000000000ull / p->freq_hz,
	};
	json_t *root = file_json(&w, offcpu ? &p->offcpu : &p->oncpu);
	int err = 0;

	if (!root)
		err = w.err ?: -ENOMEM;
	else if (json_dumpf(root, f, JSON_COMPACT) || fputc('\n', f) == EOF)
		err = -EIO;
	json_decref(root);
	intern__free(&w.frames);
	return err;
}

static int write_cpu(FILE *f, const struct profile *p)
{
	return write_set(f, p, false);
}

static int write_offcpu(FILE *f, const struct profile *p)
{
	return write_set(f, p, true);
}

const struct output_ops speedscope_cpu_output = { "cpu.speedscope.json", write_cpu, NULL };
const struct output_ops speedscope_offcpu_output = { "offcpu.speedscope.json", write_offcpu, NULL };
