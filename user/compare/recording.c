// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A recording read back for comparison: a record directory, its report.json alone, or a diff baseline. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/intern.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/util.h"
#include "base/vec.h"
#include "compare/groups.h"
#include "compare/recording.h"

#define MAX_FILE (1ul << 30)	/* a recording's files are far smaller; more is not one of ours */

/* Spans of one name as they are gathered. */
struct span_acc {
	struct intern names;
	struct rec_span *v;
	size_t cap;
};

static int span_acc__get(struct span_acc *a, const char *name, struct rec_span **out)
{
	int64_t id = intern__id(&a->names, name, strlen(name));

	if (id < 0)
		return -ENOMEM;
	if ((size_t)id >= a->cap) {
		void *v = vec__reserve_zeroed(a->v, &a->cap, id + 1, sizeof(*a->v));

		if (!v)
			return -ENOMEM;
		a->v = v;
	}
	*out = &a->v[id];
	if (!(*out)->name && !((*out)->name = strdup(name)))
		return -ENOMEM;
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static int cmp_span(const void *x, const void *y)
{
	return strcmp(((const struct rec_span *)x)->name, ((const struct rec_span *)y)->name);
}

/* The part of s named name, created empty when it has none. 0 or -ENOMEM. */
static int part_get(struct rec_span *s, const char *name, struct rec_part **out)
{
	for (size_t i = 0; i < s->nparts; i++)
		if (!strcmp(s->parts[i].name, name)) {
			*out = &s->parts[i];
			return 0;
		}
	if (VEC_GROW_N(s->parts, s->nparts))
		return -ENOMEM;
	*out = &s->parts[s->nparts];
	memset(*out, 0, sizeof(**out));
	if (!((*out)->name = strdup(name)))
		return -ENOMEM;
	s->nparts++;
	return 0;
}

/* ns in part name: of the span added last (per_span), or only to its sum (report.json's). */
static int part_set(struct rec_span *s, const char *name, double ns, bool per_span)
{
	struct rec_part *part;
	int err = part_get(s, name, &part);
	void *v;

	if (err)
		return err;
	part->sum_ns += ns;
	if (!per_span || !s->count)
		return 0;
	v = vec__reserve_zeroed(part->ns, &part->cap, s->count, sizeof(*part->ns));
	if (!v)
		return -ENOMEM;
	part->ns = v;
	part->ns[s->count - 1] += ns;
	part->len = s->count;
	return 0;
}

/* A span's time into the parts of s: its categories, net less what its peers have, and its peers. */
static int span_parts_add(struct rec_span *s, const struct span_time *t, bool per_span)
{
	uint64_t peers = 0;
	int err = 0;

	for (size_t k = 0; k < t->npeers; k++)
		peers += t->peers[k].ns;
	for (int c = 0; !err && c < NR_CATEGORIES; c++) {
		uint64_t v = c != CAT_NET ? t->ns[c] : t->ns[c] > peers ? t->ns[c] - peers : 0;

		err = v ? part_set(s, category_name(c), v, per_span) : 0;
	}
	for (size_t k = 0; !err && k < t->npeers; k++)
		err = t->peers[k].ns ? part_set(s, t->peers[k].name, t->peers[k].ns, per_span) : 0;
	return err;
}

/* Categories in their order, then net's peers by name. */
static int part_rank(const char *name)
{
	for (int c = 0; c < NR_CATEGORIES; c++)
		if (!strcmp(name, category_name(c)))
			return 2 * c;
	return 2 * CAT_NET + 1;
}

int rec_part_cmp(const char *a, const char *b)
{
	int ra = part_rank(a), rb = part_rank(b);

	return ra != rb ? (ra > rb) - (ra < rb) : strcmp(a, b);
}

static int cmp_part(const void *x, const void *y)
{
	return rec_part_cmp(((const struct rec_part *)x)->name, ((const struct rec_part *)y)->name);
}

/* Every part's values padded with zeros to one per span (a span without it spent 0 there). 0 or -ENOMEM. */
static int parts_finish(struct rec_span *s)
{
	for (size_t i = 0; i < s->nparts; i++) {
		struct rec_part *part = &s->parts[i];
		void *v;

		if (!part->ns)
			continue;
		v = vec__reserve_zeroed(part->ns, &part->cap, s->count, sizeof(*part->ns));
		if (!v)
			return -ENOMEM;
		part->ns = v;
		part->len = s->count;
	}
	if (s->nparts)
		qsort(s->parts, s->nparts, sizeof(*s->parts), cmp_part);
	return 0;
}

/* Moves the gathered spans into r, sorted by name, their durations sorted and quantiles set. */
static int span_acc__finish(struct span_acc *a, struct recording *r)
{
	int err = 0;

	r->spans = a->v;
	r->nspans = a->names.n;
	intern__free(&a->names);
	for (size_t i = 0; i < r->nspans; i++) {
		struct rec_span *s = &r->spans[i];

		err = err ?: parts_finish(s);

		if (s->wall_ns) {
			qsort(s->wall_ns, s->count, sizeof(*s->wall_ns), cmp_double);
			s->wall_q_ns[0] = stats_percentile(s->wall_ns, s->count, 50);
			s->wall_q_ns[1] = stats_percentile(s->wall_ns, s->count, 95);
			s->wall_q_ns[2] = stats_percentile(s->wall_ns, s->count, 99);
		}
		if (!s->dur_ns) {
			/* a report.json's quantiles are of whole durations */
			s->wall_q_ns[0] = s->p50_ns;
			s->wall_q_ns[1] = s->p95_ns;
			s->wall_q_ns[2] = s->p99_ns;
			continue;
		}
		qsort(s->dur_ns, s->count, sizeof(*s->dur_ns), cmp_double);
		s->p50_ns = stats_percentile(s->dur_ns, s->count, 50);
		s->p95_ns = stats_percentile(s->dur_ns, s->count, 95);
		s->p99_ns = stats_percentile(s->dur_ns, s->count, 99);
		if (!s->wall_ns) {
			/* a baseline keeps the durations less runq only */
			s->wall_q_ns[0] = s->p50_ns;
			s->wall_q_ns[1] = s->p95_ns;
			s->wall_q_ns[2] = s->p99_ns;
		}
	}
	if (r->nspans)
		qsort(r->spans, r->nspans, sizeof(*r->spans), cmp_span);
	return err;
}

/* A breakdown_ns object (or none) added into ns. -EINVAL when it is not an object of integers. */
static int add_breakdown(json_t *o, uint64_t ns[NR_CATEGORIES])
{
	if (!o)
		return 0;
	if (!json_is_object(o))
		return -EINVAL;
	for (int c = 0; c < NR_CATEGORIES; c++) {
		json_t *v = json_object_get(o, category_name(c));

		if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
			return -EINVAL;
		ns[c] += v ? json_integer_value(v) : 0;
	}
	return 0;
}

/*
 * One more span: its duration less runq, and (from spans.jsonl, else < 0) its whole duration,
 * which every span of a name has or none has: both arrays grow together, one per span.
 */
static int span_add_duration(struct rec_span *s, double d, double wall)
{
	if (s->count && (wall >= 0) != (s->wall_ns != NULL))
		return -EINVAL;
	if (VEC_GROW_N(s->dur_ns, s->count))
		return -ENOMEM;
	if (wall >= 0) {
		if (VEC_GROW_N(s->wall_ns, s->count))
			return -ENOMEM;
		s->wall_ns[s->count] = wall;
	}
	s->dur_ns[s->count++] = d;
	return 0;
}

/* A whole file of dir, NUL-terminated; -ENOENT quietly (the caller decides), other errors said. */
static ssize_t slurp_in(const char *dir, const char *name, char **out, char *path, size_t plen)
{
	ssize_t n;

	snprintf(path, plen, "%s/%s", dir, name);
	n = read_file(path, MAX_FILE, out);
	if (n < 0 && n != -ENOENT)
		pr_warn("%s: %s\n", path, strerror(-n));
	return n;
}

static const char *get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool get_uint(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* Adds one span's figures to the group name (a span name, or one of the groups below). */
static int span_acc__add(struct span_acc *a, const char *name, double d, double wall, const struct span_time *t)
{
	struct rec_span *s;
	int err = span_acc__get(a, name, &s) ?: span_add_duration(s, d, wall) ?: span_parts_add(s, t, true);

	for (int c = 0; !err && c < NR_CATEGORIES; c++)
		s->ns[c] += t->ns[c];
	return err;
}

/* group_fn of span_groups__finish(): into the gathered span names. */
static int add_group(void *ctx, const char *group, double d, double wall, const struct span_time *t)
{
	return span_acc__add(ctx, group, d, wall, t);
}

/*
 * A net_peers array ([{peer, wait_ns, llm, host}]) into t's peers: an LLM API as "llm:HOST" (its
 * address when no host is known), another peer as "net:ADDRESS:PORT". None: 0. -EINVAL when it
 * is not such an array.
 */
static int add_peers(json_t *a, struct span_time *t)
{
	char name[PART_NAME_LEN];
	json_t *o;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -EINVAL;
	json_array_foreach(a, i, o) {
		const char *peer = get_str(o, "peer"), *host = get_str(o, "host");
		json_t *llm = json_object_get(o, "llm");
		uint64_t ns;

		if (!peer || !get_uint(o, "wait_ns", &ns) || (llm && !json_is_boolean(llm)))
			return -EINVAL;
		if (json_is_true(llm))
			snprintf(name, sizeof(name), "llm:%s", host ?: peer);
		else
			snprintf(name, sizeof(name), "net:%s", peer);
		span_time__add_peer(t, name, ns);
	}
	return 0;
}

/*
 * spans.jsonl: one JSON object per line; a line that does not parse is a truncated or foreign
 * file. Besides each span name, the groups of compare/groups.h.
 */
static int load_spans_jsonl(const char *text, const char *path, struct span_acc *a, bool *net_by_peer)
{
	struct span_groups groups = {};
	size_t lineno = 0;
	int ret = 0;

	*net_by_peer = true;

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		json_error_t jerr;
		json_t *o, *name, *dur, *unfinished;
		int err = 0;

		lineno++;
		if (!nl) {
			pr_warn("%s: line %zu has no line break: the file is truncated\n", path, lineno);
			ret = -EINVAL;
			break;
		}
		o = json_loadb(line, len, 0, &jerr);
		name = json_object_get(o, "name");
		dur = json_object_get(o, "duration_ns");
		unfinished = json_object_get(o, "unfinished");
		if (!o || !json_is_string(name) || !json_is_integer(dur) || json_integer_value(dur) < 0) {
			pr_warn("%s: line %zu is not a span (%s)\n", path, lineno,
				o ? "no name or duration_ns" : jerr.text);
			json_decref(o);
			ret = -EINVAL;
			break;
		}
		/* an unfinished span's duration is only how long it had run: not comparable */
		if (!json_is_true(unfinished)) {
			uint64_t d = json_integer_value(dur), wall = d;
			struct span_time t = {};
			struct group_input in = {
				.name = json_string_value(name), .trace_id = get_str(o, "trace_id"),
				.span_id = get_str(o, "span_id"), .parent_id = get_str(o, "parent_span_id"),
				.llm_host = json_is_true(json_object_get(o, "llm")) ?
						    get_str(o, "host") ?: get_str(o, "peer") : NULL,
				.t = &t,
			};

			if (add_breakdown(json_object_get(o, "breakdown_ns"), t.ns)) {
				pr_warn("%s: line %zu: breakdown_ns is not an object of integers\n", path, lineno);
				err = -EINVAL;
			}
			*net_by_peer &= json_object_get(o, "net_peers") != NULL;
			if (!err && add_peers(json_object_get(o, "net_peers"), &t)) {
				pr_warn("%s: line %zu: net_peers is not an array of {peer, wait_ns, llm}\n", path, lineno);
				err = -EINVAL;
			}
			/* waiting for a CPU is the machine's load: compared without it */
			d -= t.ns[CAT_RUNQ] < d ? t.ns[CAT_RUNQ] : d;
			in.d = d;
			in.wall = wall;
			get_uint(o, "start_ns", &in.start_ns);
			err = err ?: span_acc__add(a, in.name, d, wall, &t) ?: span_groups__add(&groups, &in);
		}
		json_decref(o);
		if (err) {
			ret = err;
			break;
		}
		line = nl + 1;
	}
	return span_groups__finish(&groups, add_group, a) ?: ret;
}

int folded_line_parse(const char *line, size_t len, size_t *stack_len, uint64_t *count)
{
	size_t i = len;
	uint64_t v = 0;

	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == len || i < 2 || line[i - 1] != ' ' || len - i > 19)
		return -EINVAL;
	for (size_t k = i; k < len; k++)
		v = v * 10 + (line[k] - '0');
	*stack_len = i - 1;
	*count = v;
	return 0;
}

static int stacks_add(struct rec_stacks *st, struct intern *ids, const char *stack, size_t len, uint64_t count)
{
	int64_t id = intern__id(ids, stack, len);

	if (id < 0)
		return -ENOMEM;
	if ((size_t)id == st->n) {
		if (VEC_GROW_N(st->v, st->n))
			return -ENOMEM;
		st->v[st->n].stack = strndup(stack, len);
		st->v[st->n].count = 0;
		if (!st->v[st->n++].stack)
			return -ENOMEM;
	}
	st->v[id].count += count;
	st->total += count;
	return 0;
}

static int load_folded(const char *dir, const char *name, struct rec_stacks *st)
{
	char path[4200], *text = NULL;
	struct intern ids = {};
	ssize_t n = slurp_in(dir, name, &text, path, sizeof(path));
	size_t lineno = 0;
	int err = 0;

	if (n == -ENOENT)
		pr_warn("%s: missing: is %s a directory agentprof record wrote?\n", path, dir);
	if (n < 0)
		return n;
	st->present = true;
	for (const char *line = text; *line && !err; lineno++) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line), slen;
		uint64_t count;

		if (!nl || folded_line_parse(line, len, &slen, &count)) {
			pr_warn("%s: line %zu is not 'stack count'%s\n", path, lineno + 1,
				nl ? "" : " (no line break: the file is truncated)");
			err = -EINVAL;
			break;
		}
		err = stacks_add(st, &ids, line, slen, count);
		line = nl + 1;
	}
	intern__free(&ids);
	free(text);
	return err;
}

static int load_threads(json_t *root, const char *path, struct recording *r);

/* What a report.json and a baseline.json share: the process, its duration, its breakdowns. */
static int load_header(json_t *root, const char *path, struct recording *r)
{
	uint64_t freq = 99;
	json_t *pid = json_object_get(root, "pid");

	if (!json_is_object(root) || !get_uint(root, "duration_ns", &r->duration_ns) ||
	    !get_uint(root, "samples", &r->samples)) {
		pr_warn("%s: not an agentprof report.json or baseline.json (no duration_ns or samples)\n", path);
		return -EINVAL;
	}
	get_uint(root, "frequency_hz", &freq);
	r->freq_hz = freq;
	r->pid = json_is_integer(pid) ? json_integer_value(pid) : 0;
	r->comm = strdup(get_str(root, "comm") ?: "");
	if (!r->comm)
		return -ENOMEM;
	if (!json_object_get(root, "breakdown_ns") || add_breakdown(json_object_get(root, "breakdown_ns"), r->cat_ns)) {
		pr_warn("%s: breakdown_ns is missing or not an object of integers\n", path);
		return -EINVAL;
	}
	return load_threads(root, path, r);
}

/* The breakdown of the threads of one name, added into r (a new name at the end). 0 or -errno. */
static int thread_add(struct recording *r, const char *name, json_t *breakdown)
{
	struct rec_thread *t = NULL;

	for (size_t i = 0; i < r->nthreads && !t; i++)
		if (!strcmp(r->threads[i].name, name))
			t = &r->threads[i];
	if (!t) {
		if (VEC_GROW_N(r->threads, r->nthreads))
			return -ENOMEM;
		t = &r->threads[r->nthreads];
		memset(t, 0, sizeof(*t));
		t->name = strdup(name);
		if (!t->name)
			return -ENOMEM;
		r->nthreads++;
	}
	return add_breakdown(breakdown, t->ns);
}

/* report.json's threads ([{comm, breakdown_ns}]) or a baseline's ({name: breakdown}). */
static int load_threads(json_t *root, const char *path, struct recording *r)
{
	json_t *threads = json_object_get(root, "threads"), *o;
	const char *name;
	size_t i;
	int err = 0;

	if (json_is_array(threads)) {
		json_array_foreach(threads, i, o) {
			const char *comm = get_str(o, "comm");

			err = comm ? thread_add(r, comm, json_object_get(o, "breakdown_ns")) : -EINVAL;
			if (err)
				break;
		}
	} else if (json_is_object(threads)) {
		json_object_foreach(threads, name, o)
			if ((err = thread_add(r, name, o)))
				break;
	} else {
		err = -EINVAL;
	}
	if (err == -EINVAL)
		pr_warn("%s: threads is missing, or a thread has no comm or a breakdown_ns that is no object of "
			"integers\n", path);
	return err;
}

/* report.json's "spans": quantiles and breakdowns per name; durations only from spans.jsonl. */
static int load_report_spans(json_t *root, const char *path, struct span_acc *a, bool *net_by_peer)
{
	json_t *spans = json_object_get(root, "spans"), *o;
	size_t i;

	if (!json_is_array(spans)) {
		pr_warn("%s: spans is missing or not an array\n", path);
		return -EINVAL;
	}
	json_array_foreach(spans, i, o) {
		const char *name = get_str(o, "name");
		uint64_t count, p50, p95, p99;
		struct rec_span *s;
		int err;

		if (!name || !get_uint(o, "count", &count) || !get_uint(o, "p50_ns", &p50) ||
		    !get_uint(o, "p95_ns", &p95) || !get_uint(o, "p99_ns", &p99)) {
			pr_warn("%s: spans[%zu] has no name, count or p50_ns/p95_ns/p99_ns\n", path, i);
			return -EINVAL;
		}
		err = span_acc__get(a, name, &s);
		if (err)
			return err;
		s->count = count;
		s->p50_ns = p50;
		s->p95_ns = p95;
		s->p99_ns = p99;
		struct span_time t = {};
		json_t *peer;
		size_t k;

		/* an older report.json's net_peers have no host */
		json_array_foreach(json_object_get(o, "net_peers"), k, peer)
			*net_by_peer &= json_object_get(peer, "host") != NULL;
		if (add_breakdown(json_object_get(o, "breakdown_ns"), t.ns) ||
		    add_peers(json_object_get(o, "net_peers"), &t)) {
			pr_warn("%s: spans[%zu].breakdown_ns or net_peers is not what record writes\n", path, i);
			return -EINVAL;
		}
		memcpy(s->ns, t.ns, sizeof(s->ns));
		/* sums only: shown, not tested */
		err = span_parts_add(s, &t, false);
		if (err)
			return err;
	}
	return 0;
}

static int load_baseline_stacks(json_t *o, const char *path, const char *key, struct rec_stacks *st)
{
	struct intern ids = {};
	const char *stack;
	json_t *v;
	int err = 0;

	if (!json_is_object(o)) {
		pr_warn("%s: %s is missing or not an object\n", path, key);
		return -EINVAL;
	}
	st->present = true;
	json_object_foreach(o, stack, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			pr_warn("%s: %s: the count of a stack is not a non-negative integer\n", path, key);
			err = -EINVAL;
			break;
		}
		err = stacks_add(st, &ids, stack, strlen(stack), json_integer_value(v));
		if (err)
			break;
	}
	intern__free(&ids);
	return err;
}

/*
 * A baseline span's parts_ns ({part: [ns per span]}), each as long as its durations; absent
 * (written before parts were): the parts' sums from its breakdown, shown, not tested.
 */
static int load_baseline_parts(json_t *o, const char *path, size_t i, struct rec_span *s)
{
	const char *name;
	json_t *a, *v;
	size_t k;

	if (!o) {
		struct span_time t = {};

		memcpy(t.ns, s->ns, sizeof(t.ns));
		return span_parts_add(s, &t, false);
	}
	if (!json_is_object(o))
		goto bad;
	json_object_foreach(o, name, a) {
		struct rec_part *part;
		int err;

		if (!json_is_array(a) || json_array_size(a) != s->count)
			goto bad;
		err = part_get(s, name, &part);
		if (!err && !(part->ns = calloc(s->count + 1, sizeof(*part->ns))))
			err = -ENOMEM;
		if (err)
			return err;
		part->cap = s->count + 1;
		part->len = s->count;
		json_array_foreach(a, k, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				goto bad;
			part->ns[k] = json_integer_value(v);
			part->sum_ns += part->ns[k];
		}
	}
	return 0;
bad:
	pr_warn("%s: spans[%zu].parts_ns is not an object of arrays of durations, one per span\n", path, i);
	return -EINVAL;
}

static int load_baseline(json_t *root, const char *path, struct recording *r, struct span_acc *a)
{
	json_t *spans = json_object_get(root, "spans"), *o, *d;
	size_t i, k;
	int err;

	err = load_header(root, path, r);
	if (err)
		return err;
	r->net_by_peer = json_is_true(json_object_get(root, "net_by_peer"));
	if (!json_is_array(spans)) {
		pr_warn("%s: spans is missing or not an array\n", path);
		return -EINVAL;
	}
	json_array_foreach(spans, i, o) {
		const char *name = get_str(o, "name");
		json_t *durs = json_object_get(o, "durations_without_runq_ns");
		struct rec_span *s;

		if (!name || !json_is_array(durs)) {
			pr_warn("%s: spans[%zu] has no name or durations_without_runq_ns\n", path, i);
			return -EINVAL;
		}
		err = span_acc__get(a, name, &s);
		json_array_foreach(durs, k, d) {
			if (err)
				break;
			if (!json_is_integer(d) || json_integer_value(d) < 0) {
				pr_warn("%s: spans[%zu].durations_without_runq_ns holds something else than durations\n", path, i);
				return -EINVAL;
			}
			err = span_add_duration(s, json_integer_value(d), -1);
		}
		if (!err && add_breakdown(json_object_get(o, "breakdown_ns"), s->ns)) {
			pr_warn("%s: spans[%zu].breakdown_ns is not an object of integers\n", path, i);
			err = -EINVAL;
		}
		err = err ?: load_baseline_parts(json_object_get(o, "parts_ns"), path, i, s);
		if (err)
			return err;
	}
	return load_baseline_stacks(json_object_get(root, "cpu_folded"), path, "cpu_folded", &r->cpu) ?:
	       load_baseline_stacks(json_object_get(root, "offcpu_folded"), path, "offcpu_folded", &r->offcpu);
}

static json_t *load_json(const char *path)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);

	if (!root)
		pr_warn("%s: %s%s (line %d)\n", path, jerr.text,
			json_error_code(&jerr) == json_error_premature_end_of_input ? ": the file is truncated" : "",
			jerr.line);
	return root;
}

/* report.json's and baseline.json's version: none is version 1 (what this agentprof writes). */
static int check_version(json_t *root, const char *path, const char *key, long want)
{
	json_t *v = json_object_get(root, key);

	if (!v || (json_is_integer(v) && json_integer_value(v) == want))
		return 0;
	pr_warn("%s: %s %s; this agentprof reads version %ld\n", path, key,
		json_is_integer(v) ? "of another version" : "is not a number", want);
	return -EINVAL;
}

/* spans.jsonl's count per name against report.json's: a file cut at a line break reads short. */
static void check_span_counts(json_t *report, const struct recording *r, const char *dir)
{
	json_t *spans = json_object_get(report, "spans"), *o;
	size_t i;

	json_array_foreach(spans, i, o) {
		const char *name = get_str(o, "name");
		uint64_t count = 0, have = 0;

		if (!name || !get_uint(o, "count", &count))
			continue;
		for (size_t k = 0; k < r->nspans; k++)
			if (!strcmp(r->spans[k].name, name))
				have = r->spans[k].count;
		if (have != count)
			pr_warn("%s/spans.jsonl has %lu spans named '%s', report.json %lu: is it truncated?\n", dir,
				(unsigned long)have, name, (unsigned long)count);
	}
}

/* A recording that lost data (report.json's drops) is short of what happened: said, not refused. */
static void check_drops(json_t *report, const char *path)
{
	json_t *drops = json_object_get(report, "drops"), *v;
	char said[512];
	const char *name;
	size_t at = 0;

	said[0] = 0;
	json_object_foreach(drops, name, v)
		if (json_is_integer(v) && json_integer_value(v) > 0 && at < sizeof(said))
			at += snprintf(said + at, sizeof(said) - at, "%s%s %lld", at ? ", " : "", name,
				       (long long)json_integer_value(v));
	if (said[0])
		pr_warn("%s: the recording lost data (%s): its figures are short of what happened\n", path, said);
}

static int load_dir(struct recording *r, const char *dir, struct span_acc *a)
{
	char path[4200], *text = NULL;
	json_t *root;
	ssize_t n;
	int err;

	snprintf(path, sizeof(path), "%s/report.json", dir);
	root = load_json(path);
	if (!root)
		return -EINVAL;
	err = check_version(root, path, "version", 1) ?: load_header(root, path, r);
	if (!err)
		check_drops(root, path);
	if (!err) {
		n = slurp_in(dir, "spans.jsonl", &text, path, sizeof(path));
		if (n == -ENOENT) {
			pr_warn("%s: missing: spans compared by report.json's quantiles, untested\n", path);
			snprintf(path, sizeof(path), "%s/report.json", dir);
			r->net_by_peer = true;
			err = load_report_spans(root, path, a, &r->net_by_peer);
		} else {
			err = n < 0 ? n : load_spans_jsonl(text, path, a, &r->net_by_peer);
		}
	}
	free(text);
	if (!err) {
		err = span_acc__finish(a, r);
		if (!err && r->nspans && r->spans[0].dur_ns)
			check_span_counts(root, r, dir);
	}
	json_decref(root);
	err = err ?: load_folded(dir, "cpu.folded", &r->cpu) ?: load_folded(dir, "offcpu.folded", &r->offcpu);
	if (!err && r->cpu.total != r->samples)
		pr_warn("%s/cpu.folded holds %lu samples, report.json %lu: is it truncated?\n", dir,
			(unsigned long)r->cpu.total, (unsigned long)r->samples);
	if (!err) {
		/* offcpu.folded holds every wait report.json counts, less stacks under half a microsecond */
		double off_us = 0;

		for (int c = 0; c < NR_CATEGORIES; c++)
			off_us += c == CAT_CPU ? 0 : r->cat_ns[c] / 1e3;
		if (r->offcpu.total < 0.99 * off_us)
			pr_warn("%s/offcpu.folded holds %.0f ms off CPU, report.json %.0f ms: is it truncated?\n", dir,
				r->offcpu.total / 1e3, off_us / 1e3);
	}
	return err;
}

static int load_file(struct recording *r, const char *path, struct span_acc *a)
{
	json_t *root = load_json(path);
	int err;

	if (!root)
		return -EINVAL;
	if (json_object_get(root, "agentprof_baseline")) {
		r->kind = REC_BASELINE;
		err = check_version(root, path, "agentprof_baseline", BASELINE_VERSION) ?:
		      load_baseline(root, path, r, a);
	} else {
		r->kind = REC_REPORT;
		r->net_by_peer = true;
		err = check_version(root, path, "version", 1) ?: load_header(root, path, r) ?:
		      load_report_spans(root, path, a, &r->net_by_peer);
		if (!err)
			check_drops(root, path);
	}
	if (!err)
		err = span_acc__finish(a, r);
	json_decref(root);
	return err;
}

static void span_free(struct rec_span *s);

static bool is_empty(const struct recording *r)
{
	uint64_t ns = 0;

	for (int c = 0; c < NR_CATEGORIES; c++)
		ns += r->cat_ns[c];
	return !r->samples && !r->nspans && !ns && !r->offcpu.total;
}

int recording__load(struct recording *r, const char *path)
{
	struct span_acc a = {};
	struct stat st;
	int err;

	memset(r, 0, sizeof(*r));
	r->path = strdup(path);
	if (!r->path)
		return -ENOMEM;
	if (stat(path, &st)) {
		err = -errno;
		pr_warn("%s: %s\n", path, strerror(-err));
		return err;
	}
	r->kind = S_ISDIR(st.st_mode) ? REC_DIR : REC_REPORT;
	err = r->kind == REC_DIR ? load_dir(r, path, &a) : load_file(r, path, &a);
	if (err && !r->spans) {
		/* what was gathered before the error */
		for (size_t i = 0; i < a.names.n; i++)
			span_free(&a.v[i]);
		free(a.v);
		intern__free(&a.names);
	}
	if (!err && is_empty(r)) {
		pr_warn("%s: an empty recording: no samples, no spans, no time measured\n", path);
		err = -ENODATA;
	}
	return err;
}

static void span_free(struct rec_span *s)
{
	free(s->name);
	free(s->dur_ns);
	free(s->wall_ns);
	for (size_t k = 0; k < s->nparts; k++) {
		free(s->parts[k].name);
		free(s->parts[k].ns);
	}
	free(s->parts);
}

void recording__free(struct recording *r)
{
	for (size_t i = 0; i < r->nspans; i++)
		span_free(&r->spans[i]);
	free(r->spans);
	for (size_t i = 0; i < r->cpu.n; i++)
		free(r->cpu.v[i].stack);
	for (size_t i = 0; i < r->offcpu.n; i++)
		free(r->offcpu.v[i].stack);
	for (size_t i = 0; i < r->nthreads; i++)
		free(r->threads[i].name);
	free(r->threads);
	free(r->cpu.v);
	free(r->offcpu.v);
	free(r->comm);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

/* Whether a part is net on one peer. */
static bool is_peer_part(const char *name)
{
	return !strncmp(name, "net:", 4) || !strncmp(name, "llm:", 4);
}

void recording__net_whole(struct recording *r)
{
	for (size_t i = 0; i < r->nspans; i++) {
		struct rec_span *s = &r->spans[i];
		size_t net = SIZE_MAX, n = 0;

		for (size_t k = 0; k < s->nparts && net == SIZE_MAX; k++)
			if (!strcmp(s->parts[k].name, category_name(CAT_NET)))
				net = k;
		for (size_t k = 0; k < s->nparts; k++) {
			struct rec_part *p = &s->parts[k], *into;
			char *name;

			if (!is_peer_part(p->name))
				continue;
			if (net == SIZE_MAX) {
				/* no net without a peer: the first peer's part becomes net */
				if (!(name = strdup(category_name(CAT_NET))))
					continue;
				free(p->name);
				p->name = name;
				net = k;
				continue;
			}
			/* a span's values are at its index in every part of its name: added one to one */
			into = &s->parts[net];
			into->sum_ns += p->sum_ns;
			for (size_t j = 0; into->ns && p->ns && j < p->len && j < into->len; j++)
				into->ns[j] += p->ns[j];
			free(p->name);
			free(p->ns);
			p->name = NULL;
		}
		for (size_t k = 0; k < s->nparts; k++)
			if (s->parts[k].name)
				s->parts[n++] = s->parts[k];
		s->nparts = n;
		if (n)
			qsort(s->parts, n, sizeof(*s->parts), cmp_part);
	}
	r->net_by_peer = false;
}

static json_t *breakdown(const uint64_t ns[NR_CATEGORIES])
{
	json_t *o = json_object();

	for (int c = 0; c < NR_CATEGORIES; c++)
		json_object_set_new(o, category_name(c), json_integer(ns[c]));
	return o;
}

static json_t *stacks_json(const struct rec_stacks *st)
{
	json_t *o = json_object();

	for (size_t i = 0; i < st->n; i++)
		json_object_set_new(o, st->v[i].stack, json_integer(st->v[i].count));
	return o;
}

json_t *recording__baseline_json(const struct recording *r)
{
	json_t *spans = json_array();

	for (size_t i = 0; i < r->nspans; i++) {
		const struct rec_span *s = &r->spans[i];
		json_t *d = json_array();

		/* only durations can be tested: a span known by its quantiles alone is left out */
		if (!s->dur_ns)
			continue;
		for (size_t k = 0; k < s->count; k++)
			json_array_append_new(d, json_integer((json_int_t)s->dur_ns[k]));
		json_t *parts = json_object();

		for (size_t k = 0; k < s->nparts; k++) {
			json_t *v = json_array();

			if (!s->parts[k].ns)
				continue;
			for (size_t j = 0; j < s->parts[k].len; j++)
				json_array_append_new(v, json_integer((json_int_t)s->parts[k].ns[j]));
			json_object_set_new(parts, s->parts[k].name, v);
		}
		json_array_append_new(spans, json_pack("{s:s, s:o, s:o, s:o}", "name", s->name, "durations_without_runq_ns", d,
						       "breakdown_ns", breakdown(s->ns), "parts_ns", parts));
	}
	json_t *threads = json_object();

	for (size_t i = 0; i < r->nthreads; i++)
		json_object_set_new(threads, r->threads[i].name, breakdown(r->threads[i].ns));
	return json_pack("{s:i, s:s, s:I, s:I, s:i, s:I, s:b, s:o, s:o, s:o, s:o, s:o}",
			 "agentprof_baseline", BASELINE_VERSION,
			 "comm", r->comm,
			 "pid", (json_int_t)r->pid,
			 "duration_ns", (json_int_t)r->duration_ns,
			 "frequency_hz", (int)r->freq_hz,
			 "samples", (json_int_t)r->samples,
			 "net_by_peer", r->net_by_peer,
			 "breakdown_ns", breakdown(r->cat_ns),
			 "threads", threads,
			 "spans", spans,
			 "cpu_folded", stacks_json(&r->cpu),
			 "offcpu_folded", stacks_json(&r->offcpu));
}
