// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cpu.folded: "comm;root;...;leaf count", one line per distinct stack, for flame graphs. The comm
 * is the thread's name, as `perf script | stackcollapse-perf.pl` has it: agents name their threads.
 */
#include <errno.h>
#include <stdlib.h>
#include "folded.h"
#include "output.h"

static int write_folded(FILE *f, const struct profile *p)
{
	struct folded *fd = folded__new();
	const char **frames = NULL;
	int err = -ENOMEM;

	if (!fd)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct sample *s = &p->samples[i];
		const char **v = realloc(frames, (s->nframes + 1) * sizeof(*v));

		if (!v)
			goto out;
		frames = v;
		frames[0] = s->comm;
		for (uint32_t j = 0; j < s->nframes; j++)
			frames[j + 1] = s->frames[j];
		err = folded__add(fd, frames, s->nframes + 1, s->count);
		if (err)
			goto out;
	}
	err = folded__write(fd, f);
out:
	free(frames);
	folded__free(fd);
	return err;
}

const struct output_ops folded_cpu_output = { "cpu.folded", write_folded };
