// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The human summary on stdout after a recording: totals, drops, the hottest functions. */
#include <stdlib.h>
#include "output.h"
#include "text.h"

#define SUMMARY_TOP 10

void print_summary(FILE *f, const struct profile *p, const char *outdir)
{
	struct name_count *nc;
	char name[1024];
	ssize_t n;

	term_sanitize(p->comm, name, sizeof(name));
	fprintf(f, "Recorded %s (PID %d) for %.2f s at %u Hz: %llu samples, %llu dropped%s\n",
		name, p->pid, p->duration_ns / 1e9, p->freq_hz, (unsigned long long)p->total,
		(unsigned long long)profile_drops(p), p->target_exited ? " (target exited)" : "");
	n = profile__leaf_counts(p, &nc);
	if (n > 0 && p->total) {
		fprintf(f, "Top functions on CPU (self):\n");
		for (ssize_t i = 0; i < n && i < SUMMARY_TOP; i++) {
			term_sanitize(nc[i].name, name, sizeof(name));
			fprintf(f, "  %5.1f%%  %8llu  %s\n", 100.0 * nc[i].count / p->total,
				(unsigned long long)nc[i].count, name);
		}
	}
	if (n >= 0)
		free(nc);
	fprintf(f, "Wrote %s/cpu.folded and %s/report.json\n", outdir, outdir);
}
