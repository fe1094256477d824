// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The human summary on stdout after a recording: totals, drops, where the time went, hot functions. */
#include <stdlib.h>
#include "output.h"
#include "text.h"

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

static void print_threads(FILE *f, const struct profile *p)
{
	char name[64];

	fprintf(f, "Wall time by category, %%:        class  ");
	for (int c = 0; c < NR_CATEGORIES; c++)
		fprintf(f, " %5s", category_name(c));
	fprintf(f, "\n  %-30s %-6s", "process (all threads)", category_name(p->class));
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

void print_summary(FILE *f, const struct profile *p, const char *outdir)
{
	struct name_count *nc;
	char name[1024];
	ssize_t n;

	term_sanitize(p->comm, name, sizeof(name));
	fprintf(f, "Recorded %s (PID %d) for %.2f s at %u Hz: %llu samples, %llu dropped%s\n",
		name, p->pid, p->duration_ns / 1e9, p->freq_hz, (unsigned long long)p->oncpu.total,
		(unsigned long long)profile__drops(p), p->target_exited ? " (target exited)" : "");
	print_threads(f, p);
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
	fprintf(f, "Wrote %s/{cpu,offcpu}.{folded,svg} and %s/report.json\n", outdir, outdir);
}
