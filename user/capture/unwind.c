// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * DWARF unwinding of sampled user stacks, the way `perf record --call-graph dwarf` does it: from
 * the registers and the copy of the stack's top pages that the sampler sent, with the call frame
 * information (.eh_frame, .debug_frame) of the target's files, read by elfutils' libdwfl. So
 * stacks go through code built without frame pointers (Debian's glibc and python3).
 *
 * One Dwfl per process, kept across samples: it caches every file's CFI, so a sample costs tens
 * of microseconds instead of the hundreds a new Dwfl would. When a pc falls outside every file it
 * knows (a library dlopen'ed since), the process's mappings are reported again, adding the new
 * files, at most once a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <elfutils/libdwfl.h>
#include "base/log.h"
#include "target/procfs.h"
#include "symbols/symbolize.h"
#include "capture/unwind.h"
#include "base/util.h"

#define MAX_PROCS	32		/* Dwfls kept; the least recently used goes first */
#define REPORT_NS	1000000000ull	/* at most one new look at a process's mappings a second */

struct proc {
	pid_t pid;
	uint32_t gen;		/* the process's image (struct proc_info): an exec gets a Dwfl of its own */
	Dwfl *dwfl;		/* NULL: could not be set up (the process is gone) */
	uint64_t reported_ns;	/* CLOCK_MONOTONIC */
	uint64_t used;		/* the unwinder's clock when last used */
	const struct user_stack_event *e;	/* the sample being unwound */
	uint64_t *ips;
	size_t n, max;
	bool past_copy;		/* unwinding wanted memory the sampler did not copy */
};

struct unwinder {
	struct proc procs[MAX_PROCS];
	size_t n;
	uint64_t clock;
};

/*
 * libdwfl's find_elf callback has no argument of its own: the process being reported or unwound.
 * agentprof is single-threaded, and every libdwfl call below sets it first.
 */
static const struct proc *current;

/* The target's files through its root: they may exist only in its mount namespace. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, char **file_name,
		    Elf **elfp)
{
	if (current && name[0] == '/') {
		char root[PATH_MAX], path[2 * PATH_MAX];
		int fd = -1;

		if (!proc_path(root, sizeof(root), current->pid, "root") &&
		    snprintf(path, sizeof(path), "%s%s", root, name) < (int)sizeof(path))
			fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			*file_name = strdup(path);
			*elfp = NULL;
			return fd;
		}
	}
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct proc *p = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = p;
	return p->e->key.tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

/*
 * Memory is what the sampler copied, and nothing else: the target may have moved on since. Return
 * addresses a uretprobe replaced with its trampoline read as what they were.
 */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct proc *p = arg;
	const struct user_stack_event *e = p->e;

	(void)dwfl;
	if (addr < e->base || e->size < sizeof(*result) || addr - e->base > e->size - sizeof(*result)) {
		p->past_copy = true;
		return false;
	}
	memcpy(result, e->data + (addr - e->base), sizeof(*result));
	for (uint32_t i = 0; i < e->nuret && i < MAX_URETPROBES; i++)
		if (e->uret_slot[i] == addr)
			*result = e->uret_addr[i];
	return true;
}

/* x86-64 DWARF register numbers: rbx 3, rbp 6, rsp 7, r12-r15 12-15; the pc apart. */
static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	const struct user_stack_event *e = ((struct proc *)arg)->e;
	Dwarf_Word bx = e->bx, bp_sp[2] = { e->bp, e->sp }, r12_15[4] = { e->r12, e->r13, e->r14, e->r15 };

	return dwfl_thread_state_registers(thread, 3, 1, &bx) &&
	       dwfl_thread_state_registers(thread, 6, 2, bp_sp) &&
	       dwfl_thread_state_registers(thread, 12, 4, r12_15) &&
	       (dwfl_thread_state_register_pc(thread, e->ip), true);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* Adds the files mapped since the last report (all of them the first time). */
static int report(struct proc *p)
{
	char path[PATH_MAX];
	FILE *f;
	int err;

	if (proc_path(path, sizeof(path), p->pid, "maps"))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	p->reported_ns = now_ns(CLOCK_MONOTONIC);
	dwfl_report_begin_add(p->dwfl);
	err = dwfl_linux_proc_maps_report(p->dwfl, f);
	fclose(f);
	if (dwfl_report_end(p->dwfl, NULL, NULL))
		return -EINVAL;
	return err > 0 ? -err : err ? -EINVAL : 0;
}

static void proc_free(struct proc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	p->dwfl = NULL;
}

static int proc_init(struct proc *p, pid_t pid)
{
	int err;

	p->pid = pid;
	p->reported_ns = now_ns(CLOCK_MONOTONIC);
	current = p;
	p->dwfl = dwfl_begin(&dwfl_callbacks);
	if (!p->dwfl)
		return -ENOMEM;
	err = report(p);
	if (!err && !dwfl_attach_state(p->dwfl, NULL, pid, &thread_callbacks, p))
		err = -EINVAL;
	if (err) {
		pr_debug("unwind PID %d: %s\n", pid, err == -EINVAL ? dwfl_errmsg(-1) : strerror(-err));
		proc_free(p);
	}
	return err;
}

static struct proc *proc_of(struct unwinder *u, pid_t pid, uint32_t gen)
{
	struct proc *p = NULL;

	for (size_t i = 0; i < u->n; i++)
		if (u->procs[i].pid == pid && u->procs[i].gen == gen)
			p = &u->procs[i];
	if (!p) {
		if (u->n < MAX_PROCS) {
			p = &u->procs[u->n++];
		} else {	/* the least recently used, or a free slot (used 0) */
			p = &u->procs[0];
			for (size_t i = 1; i < u->n; i++)
				if (u->procs[i].used < p->used)
					p = &u->procs[i];
			proc_free(p);
		}
		p->gen = gen;
		proc_init(p, pid);
	}
	p->used = ++u->clock;
	return p;
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct proc *p = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation) || !pc)
		return DWARF_CB_ABORT;
	/* a return address, as in the kernel's stack store: the symbolizer looks at the call before it */
	p->ips[p->n++] = pc;
	return p->n < p->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static size_t unwind(struct proc *p, const struct user_stack_event *e, uint64_t *ips, size_t max)
{
	p->e = e;
	p->ips = ips;
	p->n = 0;
	p->max = max;
	p->past_copy = false;
	current = p;
	/* it fails where unwinding stops early, which is where a stack ends too: keep what it found */
	dwfl_getthread_frames(p->dwfl, e->key.tid, on_frame, p);
	return p->n;
}

/*
 * Marks a stack that goes on beyond what was unwound (deeper than the copied pages, or than max
 * frames) with a last, root-side frame the symbolizer names [truncated]. The outermost frames
 * (_start, clone3) end by their CFI, without reading memory.
 */
static size_t mark_truncated(const struct proc *p, uint64_t *ips, size_t n, size_t max)
{
	if (n && (p->past_copy || n == max)) {
		if (n == max)
			n--;
		ips[n++] = TRUNCATED_FRAME;
	}
	return n;
}

size_t unwinder__unwind(struct unwinder *u, const struct user_stack_event *e, uint64_t *ips, size_t max)
{
	struct proc *p;
	size_t n;

	if (!max)
		return 0;
	p = proc_of(u, e->key.pid, e->key.gen);
	if (!p->dwfl && now_ns(CLOCK_MONOTONIC) - p->reported_ns >= REPORT_NS)
		proc_init(p, p->pid);	/* it failed before: the process may have been starting */
	if (!p->dwfl) {
		ips[0] = e->ip;
		return 1;
	}
	n = unwind(p, e, ips, max);
	/* stopped at a pc in no file it knows of: report the mappings again, once, and retry */
	if (n < max && !dwfl_addrmodule(p->dwfl, n ? ips[n - 1] : e->ip) &&
	    now_ns(CLOCK_MONOTONIC) - p->reported_ns >= REPORT_NS && report(p) == 0)
		n = unwind(p, e, ips, max);
	if (!n)
		ips[n++] = e->ip;
	return mark_truncated(p, ips, n, max);
}

void unwinder__forget(struct unwinder *u, pid_t pid)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->procs[i].pid == pid) {
			proc_free(&u->procs[i]);
			u->procs[i].pid = 0;	/* a free slot: each Dwfl holds its slot's address */
			u->procs[i].used = 0;
		}
}

struct unwinder *unwinder__new(void)
{
	return calloc(1, sizeof(struct unwinder));
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		proc_free(&u->procs[i]);
	free(u);
}
