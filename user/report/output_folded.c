// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cpu.folded and offcpu.folded: "comm;root;...;leaf count", one line per distinct stack, for flame
 * graphs. The comm is the thread's name, as `perf script | stackcollapse-perf.pl` has it: agents
 * name their threads. Off-CPU lines carry the wait's category as the frame under the comm
 * ("comm;[lock];...") and weigh microseconds.
 */
#include <errno.h>
#include "report/folded.h"
#include "report/output.h"
#include "report/query.h"

static int add(const char *const *frames, size_t n, uint64_t weight, void *ctx)
{
	return folded__add(ctx, frames, n, weight);
}

static int write_set(FILE *f, const struct profile *p, const struct sample_set *set, bool offcpu)
{
	struct folded *fd = folded__new();
	int err;

	if (!fd)
		return -ENOMEM;
	err = profile__visit(p, set, offcpu, add, fd) ?: folded__write(fd, f);
	folded__free(fd);
	return err;
}

static int write_cpu(FILE *f, const struct profile *p)
{
	return write_set(f, p, &p->oncpu, false);
}

static int write_offcpu(FILE *f, const struct profile *p)
{
	return write_set(f, p, &p->offcpu, true);
}

/* mem.folded: resident bytes each stack faulted in and kept (never released in the recording) */
static int write_mem(FILE *f, const struct profile *p)
{
	return write_set(f, p, &p->mem, false);
}

bool output_memory_wanted(const struct profile *p)
{
	return p->memory;
}

const struct output_ops folded_cpu_output = { "cpu.folded", write_cpu, NULL };
const struct output_ops folded_mem_output = { "mem.folded", write_mem, output_memory_wanted };
const struct output_ops folded_offcpu_output = { "offcpu.folded", write_offcpu, NULL };
