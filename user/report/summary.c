// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The human summary on stdout after a recording: totals, drops, where the time went, hot functions. */
#include <stdlib.h>
#include <string.h>
#include "model/memgrowth.h"
#include "report/query.h"
#include "report/verdict.h"
#include "model/spangroups.h"
#include "model/spans.h"
#include "report/summary.h"
#include "report/otlp_send.h"
#include "base/text.h"

#define SUMMARY_TOP	10
#define SUMMARY_THREADS	20

static void print_breakdown(FILE *f, const uint64_t ns[NR_CATEGORIES])
{
	uint64_t total = 0;

	for (int c = 0; c < NR_CATEGORIES; c++)
		total += ns[c];
	for (int c = 0; c < NR_CATEGORIES; c++)
		fprintf(f, " %5.1f", total ? 100.0 * ns[c] / total : 0.0);
}

/* Per span name: the model's groups, as report.json's "spans" gives them. */
static void print_spans(FILE *f, const struct profile *p)
{
	char name[SPAN_NAME_LEN * 3], label[SPAN_NAME_LEN * 3 + 64];
	struct span_group *groups;
	size_t n;

	if (span_groups__by_name(p, &groups, &n))
		return;
	if (n)
		fprintf(f, "Spans (inclusive of nested spans), %%:\n");
	for (size_t i = 0; i < n; i++) {
		term_sanitize(groups[i].name, name, sizeof(name));
		snprintf(label, sizeof(label), "%s x%zu p50 %.1fms", name, groups[i].count, groups[i].p50_ns / 1e6);
		fprintf(f, "  %-30.30s %-6s", label, category_name(groups[i].class));
		print_breakdown(f, groups[i].ns);
		fputc('\n', f);
	}
	free(groups);
}

static void print_threads(FILE *f, const struct profile *p)
{
	char name[64];

	fprintf(f, "Wall time by category, %%:        class  ");
	for (int c = 0; c < NR_CATEGORIES; c++)
		fprintf(f, " %5s", category_name(c));
	fprintf(f, "\n  %-30s %-6s", p->cgroup ? "container (all threads)" : "process (all threads)",
		category_name(p->class));
	print_breakdown(f, p->ns);
	fputc('\n', f);
	for (size_t i = 0; i < p->nthreads && i < SUMMARY_THREADS; i++) {
		const struct thread_info *t = &p->threads[i];
		char label[96];

		term_sanitize(t->comm, name, sizeof(name));
		snprintf(label, sizeof(label), "%u %s%s", t->tid, name, t->exited ? " (exited)" : "");
		fprintf(f, "  %-30s %-6s", label, category_name(t->class));
		print_breakdown(f, t->ns);
		fputc('\n', f);
	}
	if (p->nthreads > SUMMARY_THREADS)
		fprintf(f, "  ... %zu more threads in report.json\n", p->nthreads - SUMMARY_THREADS);
}

/* A container's processes: host PID, the PID they know themselves by, class and breakdown. */
static void print_processes(FILE *f, const struct profile *p)
{
	char name[64], label[96];

	if (!p->cgroup)
		return;
	fprintf(f, "Processes (PID on the host / in the container):\n");
	for (size_t i = 0; i < p->nprocs && i < SUMMARY_THREADS; i++) {
		const struct process_info *proc = &p->procs[i];

		term_sanitize(proc->comm, name, sizeof(name));
		snprintf(label, sizeof(label), "%u/%u %s", proc->pid, proc->ns_pid, name);
		fprintf(f, "  %-30s %-6s", label, category_name(proc->class));
		print_breakdown(f, proc->ns);
		fputc('\n', f);
	}
	if (p->nprocs > SUMMARY_THREADS)
		fprintf(f, "  ... %zu more processes in report.json\n", p->nprocs - SUMMARY_THREADS);
}

/* --memory: what was kept, RSS's trend, the verdict, the stacks that keep most (by their owner frame). */
static void print_memory(FILE *f, const struct profile *p)
{
	const struct mem_bytes *m = &p->mem_total;
	struct mem_stack *top;
	char line[1024], name[1024];
	struct rss_trend t;
	ssize_t n;

	if (!p->memory)
		return;
	mem_rss_trend(p->rss, p->nrss, &t);
	fprintf(f, "Memory: %.1f MB faulted in, %.1f MB of it released, %.1f MB kept; %.1f MB mapped, %.1f MB unmapped; "
		"RSS %.1f -> %.1f MB\n", m->faulted / 1e6, m->released / 1e6, mem_kept(m) / 1e6, m->mapped / 1e6,
		m->unmapped / 1e6, t.first_bytes / 1e6, t.last_bytes / 1e6);
	if (verdict_memory(p, line, sizeof(line))) {
		term_sanitize(line, name, sizeof(name));
		fprintf(f, "  %s\n", name);
	}
	n = mem_top_stacks(p, &top);
	for (ssize_t i = 0; i < n && i < SUMMARY_TOP && mem_kept(m); i++) {
		const char *owner = mem_owner_frame(p, top[i].s);

		term_sanitize(owner ? owner : "[unknown]", name, sizeof(name));
		fprintf(f, "  %5.1f%%  %8.1f MB  %s\n", 100.0 * top[i].kept / mem_kept(m), top[i].kept / 1e6, name);
	}
	if (n >= 0)
		free(top);
}

/* Once per runtime and version whose frames could not be read. */
static void print_unsupported(FILE *f, const struct profile *p)
{
	for (size_t i = 0; i < p->nunsupported; i++) {
		const struct runtime_unsupported *u = &p->unsupported[i];
		char version[sizeof(u->version)];

		term_sanitize(u->version, version, sizeof(version));
		fprintf(f, "%s %s (PID %u): its frames cannot be read (supported: %s): native frames only\n",
			!strcmp(u->runtime, "ruby") ? "Ruby" : !strcmp(u->runtime, "v8") ? "V8" : "Python", version, u->pid,
			u->supported);
	}
}

void print_summary(FILE *f, const struct profile *p, const char *outdir)
{
	struct name_count *nc;
	char title[320], name[1024], ns[64] = "";
	ssize_t n;

	profile__title(p, title, sizeof(title));
	term_sanitize(title, name, sizeof(name));
	if (p->ns_pid && p->ns_pid != p->pid)	/* in a container: the PID its own tools show */
		snprintf(ns, sizeof(ns), " (PID %d in its namespace)", p->ns_pid);
	else if (p->cgroup)
		snprintf(ns, sizeof(ns), ", %zu processes", p->nprocs);
	fprintf(f, "Recorded %s%s for %.2f s at %u Hz: %llu samples, %llu dropped%s\n",
		name, ns, p->duration_ns / 1e9, p->freq_hz, (unsigned long long)p->oncpu.total,
		(unsigned long long)profile__drops(p), p->target_exited ? " (target exited)" : "");
	print_unsupported(f, p);
	print_processes(f, p);
	print_threads(f, p);
	print_spans(f, p);
	print_memory(f, p);
	n = profile__leaf_counts(&p->oncpu, &nc);
	if (n > 0 && p->oncpu.total) {
		fprintf(f, "Top functions on CPU (self):\n");
		for (ssize_t i = 0; i < n && i < SUMMARY_TOP; i++) {
			term_sanitize(nc[i].name, name, sizeof(name));
			fprintf(f, "  %5.1f%%  %8llu  %s\n", 100.0 * nc[i].count / p->oncpu.total,
				(unsigned long long)nc[i].count, name);
		}
	}
	if (n >= 0)
		free(nc);
	fprintf(f, "Wrote the results to %s/: cpu.svg and offcpu.svg%s to start with, report.json for all\n", outdir,
		p->memory ? " and mem.svg" : "");
}

void print_otlp_summary(FILE *f, const struct otlp_stats *st, uint64_t total, double seconds)
{
	const struct {
		uint64_t n;
		const char *what;
	} why[] = {
		{ st->dropped_rejected, "refused" },
		{ st->dropped_failed, "unanswered or out of retries" },
		{ st->dropped_at_exit, "past the deadline" },
		{ st->dropped_queue_full, "over the queue's bound" },
	};
	const char *sep = " (";

	fprintf(f, "OpenTelemetry export: %llu of %llu spans sent in %llu request%s, %llu retried, %llu dropped",
		(unsigned long long)st->spans_sent, (unsigned long long)total, (unsigned long long)st->batches_sent,
		st->batches_sent == 1 ? "" : "s", (unsigned long long)st->spans_retried,
		(unsigned long long)st->spans_dropped);
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (why[i].n) {
			fprintf(f, "%s%llu %s", sep, (unsigned long long)why[i].n, why[i].what);
			sep = ", ";
		}
	if (st->spans_dropped)
		fprintf(f, "; last: %s)", st->last_error);
	/* what the export held the command up for at its end */
	fprintf(f, "; %.2f s at exit\n", seconds);
}
