// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cpu.folded and offcpu.folded: "comm;root;...;leaf count", one line per distinct stack, for flame
 * graphs. The comm is the thread's name, as `perf script | stackcollapse-perf.pl` has it: agents
 * name their threads. Off-CPU lines carry the wait's category as the frame under the comm
 * ("comm;[lock];...") and weigh microseconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "folded.h"
#include "output.h"

static int write_set(FILE *f, const struct sample_set *set, bool offcpu)
{
	struct folded *fd = folded__new();
	const char **frames = NULL;
	char category[32];
	int err = -ENOMEM;

	if (!fd)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++) {
		const struct sample *s = &set->v[i];
		uint64_t weight = offcpu ? (s->count + 500) / 1000 : s->count;
		const char **v = realloc(frames, (s->nframes + 2) * sizeof(*v));
		size_t n = 0;

		if (!v)
			goto out;
		frames = v;
		if (!weight)
			continue;	/* under half a microsecond */
		frames[n++] = s->comm;
		if (offcpu) {
			snprintf(category, sizeof(category), "[%s]", category_name(s->category));
			frames[n++] = category;
		}
		for (uint32_t j = 0; j < s->nframes; j++)
			frames[n++] = s->frames[j];
		err = folded__add(fd, frames, n, weight);
		if (err)
			goto out;
	}
	err = folded__write(fd, f);
out:
	free(frames);
	folded__free(fd);
	return err;
}

static int write_cpu(FILE *f, const struct profile *p)
{
	return write_set(f, &p->oncpu, false);
}

static int write_offcpu(FILE *f, const struct profile *p)
{
	return write_set(f, &p->offcpu, true);
}

const struct output_ops folded_cpu_output = { "cpu.folded", write_cpu };
const struct output_ops folded_offcpu_output = { "offcpu.folded", write_offcpu };
