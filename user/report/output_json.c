// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* report.json: what was recorded, for how long, what was dropped, per thread and per function. */
#include <errno.h>
#include <stdlib.h>
#include <jansson.h>
#include "report/json.h"
#include "report/output.h"
#include "report/query.h"
#include "base/text.h"
#include "report/verdict.h"

#define TOP_FUNCTIONS 20

/* Every string from the target goes through here: jansson refuses invalid UTF-8. */
static json_t *jstr(const char *s)
{
	char buf[1024];

	utf8_sanitize(s, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *drops_json(const struct profile *p)
{
	json_t *o = json_object();

	for (int c = 0; c < NR_COUNTERS; c++)
		if (drop_name(c))
			json_object_set_new(o, drop_name(c), json_integer(p->counters[c]));
	return o;
}

static json_t *verdict_json(const struct profile *p, const struct thread_info *t)
{
	char buf[1024];

	verdict(p, t, buf, sizeof(buf));
	return jstr(buf);
}

static json_t *threads_json(const struct profile *p)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->nthreads; i++) {
		const struct thread_info *t = &p->threads[i];

		json_array_append_new(a, json_pack("{s:I, s:I, s:o, s:s, s:o, s:o, s:o, s:I, s:I, s:b}",
						   "pid", (json_int_t)t->pid,
						   "tid", (json_int_t)t->tid,
						   "comm", jstr(t->comm),
						   "class", category_name(t->class),
						   "verdict", verdict_json(p, t),
						   "breakdown_ns", breakdown_json(t->ns),
						   "net_peers", net_peers_json(p, t->tid, NULL),
						   "wall_ns", (json_int_t)t->wall_ns,
						   "samples", (json_int_t)t->samples,
						   "exited", t->exited));
	}
	return a;
}

/* Every process recorded: one for -p, each process of a container. */
static json_t *processes_json(const struct profile *p)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->nprocs; i++) {
		const struct process_info *proc = &p->procs[i];

		json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:s, s:o, s:I, s:I, s:b}",
						   "pid", (json_int_t)proc->pid,
						   "ns_pid", proc->ns_pid ? json_integer(proc->ns_pid) : json_null(),
						   "comm", jstr(proc->comm),
						   "class", category_name(proc->class),
						   "breakdown_ns", breakdown_json(proc->ns),
						   "samples", (json_int_t)proc->samples,
						   "threads", (json_int_t)proc->nthreads,
						   "exited", proc->exited));
	}
	return a;
}

/* The container's cgroup, or null. */
static json_t *container_json(const struct profile *p)
{
	if (!p->cgroup)
		return json_null();
	return json_pack("{s:o, s:I}", "cgroup", jstr(p->cgroup), "cgroup_id", (json_int_t)p->cgroup_id);
}

static json_t *functions_json(const struct profile *p)
{
	struct name_count *nc;
	ssize_t n = profile__leaf_counts(&p->oncpu, &nc);
	json_t *a = json_array();

	for (ssize_t i = 0; i < n && i < TOP_FUNCTIONS; i++)
		json_array_append_new(a, json_pack("{s:o, s:I}", "name", jstr(nc[i].name),
						   "self_samples", (json_int_t)nc[i].count));
	if (n >= 0)
		free(nc);
	return n < 0 ? NULL : a;
}

/* The runtimes whose frames could not be read (an unsupported version): their stacks are native only. */
static json_t *unsupported_json(const struct profile *p)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < p->nunsupported; i++) {
		const struct runtime_unsupported *u = &p->unsupported[i];

		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:I}", "runtime", jstr(u->runtime), "version",
						   jstr(u->version), "supported", jstr(u->supported), "pid",
						   (json_int_t)u->pid));
	}
	return a;
}

json_t *report_json(const struct profile *p)
{
	/* pid: the host's PID (BPF's, /proc's on the host); ns_pid: the one the process knows itself by */
	return json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:b, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
			 "s:o, s:o, s:o, s:o, s:o}",
			 "pid", p->pid ? json_integer(p->pid) : json_null(),
			 "ns_pid", p->ns_pid ? json_integer(p->ns_pid) : json_null(),
			 "container", container_json(p),
			 "comm", jstr(p->comm),
			 "start_unix_ns", (json_int_t)p->start_unix_ns,
			 /* CLOCK_MONOTONIC, the clock of spans.jsonl's start_ns and end_ns */
			 "window_start_ns", (json_int_t)p->window_start_ns,
			 "window_end_ns", (json_int_t)p->window_end_ns,
			 "duration_ns", (json_int_t)p->duration_ns,
			 "frequency_hz", (int)p->freq_hz,
			 "samples", (json_int_t)p->oncpu.total,
			 "span_ends_before_recording", (json_int_t)p->counters[CNT_SPAN_UNKNOWN_END],
			 "target_exited", p->target_exited,
			 "class", category_name(p->class),
			 "verdict", verdict_json(p, NULL),
			 "breakdown_ns", breakdown_json(p->ns),
			 "net_peers", net_peers_json(p, 0, NULL),
			 "spans", span_names_json(p),
			 "traces", traces_json(p),
			 "llm_calls", llm_calls_json(p),
			 "processes", processes_json(p),
			 "drops", drops_json(p),
			 "threads", threads_json(p),
			 "top_functions", functions_json(p),
			 /* top: each interval's; record: the last of --memory's series */
			 "rss_bytes", p->nrss ? json_integer(p->rss[p->nrss - 1].bytes) : json_null(),
			 "memory", memory_json(p),
			 "unsupported_runtimes", unsupported_json(p));
}

static int write_report(FILE *f, const struct profile *p)
{
	json_t *root = report_json(p);
	int err;

	if (!root)
		return -ENOMEM;
	err = json_dumpf(root, f, JSON_INDENT(2)) ? -EIO : 0;
	if (!err && fputc('\n', f) == EOF)
		err = -EIO;
	json_decref(root);
	return err;
}

const struct output_ops report_json_output = { "report.json", write_report, NULL };
