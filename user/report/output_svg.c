// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cpu.svg and offcpu.svg: interactive flame graphs of the same stacks as the folded files. */
#include <errno.h>
#include <stdio.h>
#include "flamegraph.h"
#include "report/output.h"
#include "report/query.h"
#include "base/text.h"

static int add(const char *const *frames, size_t n, uint64_t weight, void *ctx)
{
	return flamegraph__add(ctx, frames, n, (double)weight);
}

enum svg_kind { SVG_CPU, SVG_OFFCPU, SVG_MEM };

static int write_set(FILE *f, const struct profile *p, enum svg_kind kind)
{
	bool offcpu = kind == SVG_OFFCPU, mem = kind == SVG_MEM;
	struct flamegraph *fg = flamegraph__new();
	char what[320], name[320], title[400], subtitle[128];
	struct fg_opts opts = {
		.title = title,
		.subtitle = subtitle,
		.countname = mem ? "bytes" : offcpu ? "us" : "samples",
		/* off-CPU stacks start with thread;[reason]: the reason palette picks itself */
		.palette = mem ? FG_PALETTE_MEM : FG_PALETTE_AUTO,
	};
	int err;

	if (!fg)
		return -ENOMEM;
	profile__title(p, what, sizeof(what));
	utf8_sanitize(what, name, sizeof(name));
	snprintf(title, sizeof(title), "%s: %s", mem ? "Memory growth" : offcpu ? "Off-CPU time" : "On-CPU samples",
		 name);
	snprintf(subtitle, sizeof(subtitle), "%.2f s%s", p->duration_ns / 1e9,
		 mem ? ", resident bytes faulted in and not released, by stack" :
		 offcpu ? ", by wait reason, in microseconds" : "");
	err = profile__visit(p, mem ? &p->mem : offcpu ? &p->offcpu : &p->oncpu, offcpu, add, fg) ?:
	      flamegraph__write_svg(fg, &opts, f);
	flamegraph__free(fg);
	return err;
}

static int write_cpu(FILE *f, const struct profile *p)
{
	return write_set(f, p, SVG_CPU);
}

static int write_offcpu(FILE *f, const struct profile *p)
{
	return write_set(f, p, SVG_OFFCPU);
}

static int write_mem(FILE *f, const struct profile *p)
{
	return write_set(f, p, SVG_MEM);
}

const struct output_ops svg_cpu_output = { "cpu.svg", write_cpu, NULL };
const struct output_ops svg_offcpu_output = { "offcpu.svg", write_offcpu, NULL };
const struct output_ops svg_mem_output = { "mem.svg", write_mem, output_memory_wanted };
