// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What `record` and `top` share: checks, the targets, the BPF side, symbols, and the wait loop. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "target/cgroup.h"
#include "capture/loader.h"
#include "capture/memory.h"
#include "base/log.h"
#include "target/preflight.h"
#include "target/procfs.h"
#include "target/procmaps.h"
#include "python/pyinterp.h"
#include "ruby/rbinterp.h"
#include "node/v8interp.h"
#include "capture/pystacks.h"
#include "capture/session.h"
#include "capture/stackcache.h"
#include "symbols/images.h"
#include "symbols/symbolize.h"
#include "capture/unwind.h"
#include "base/util.h"
#include "base/vec.h"

#define REFRESH_MS 1000	/* how often mappings are re-read, to follow dlopen */
#define DRAIN_MS 100	/* how often sampled user stacks are unwound (the sampler does not wake us) */
#define SLOW_LOAD_S 3	/* a load longer than this is said to be slow */

/* Stop signals arrive on a descriptor, so the wait loop polls them with the target's pidfd. */
static int stop_signals_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int on_span_event(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(__u32) && *(const __u32 *)data == SPAN_GENAI)
		return span_table__add_genai(ctx, data, size);
	if (size < sizeof(struct span_event))
		return 0;
	return span_table__add(ctx, data);
}

/* Counts a sample under its unwound stack, in the map the sampler counts the others in. */
static void count_sample(struct session *s, const struct sample_key *key)
{
	__u64 n = 0;

	bpf_map_lookup_elem(s->samples_fd, key, &n);	/* only this process writes these keys */
	n++;
	if (bpf_map_update_elem(s->samples_fd, key, &n, BPF_ANY))
		s->sample_map_full++;
}

static int on_user_stack(void *ctx, void *data, size_t size)
{
	const struct user_stack_event *e = data;
	struct session *s = ctx;
	uint64_t ips[MAX_STACK_DEPTH];
	struct sample_key key;
	size_t n;

	uint64_t t0 = now_ns(CLOCK_MONOTONIC);

	/* only the copied bytes of the stack travel: data[] ends with the record */
	if (size < offsetof(struct user_stack_event, data) || e->size > size - offsetof(struct user_stack_event, data))
		return 0;
	n = unwinder__unwind(s->unwinder, e, ips, MAX_STACK_DEPTH);
	s->unwind_ns += now_ns(CLOCK_MONOTONIC) - t0;
	s->unwound++;
	s->unwound_bytes += e->size;
	key = e->key;
	if (key.user_stack_id >= USER_STACK_TOKEN_BASE) {	/* an off-CPU wait's stack */
		stack_cache__set_token(s->stacks, key.user_stack_id, stack_cache__intern(s->stacks, ips, n));
		return 0;
	}
	key.user_stack_id = stack_cache__intern(s->stacks, ips, n);
	count_sample(s, &key);
	return 0;
}

static void sample_rss(struct session *s);

/* Span events, user stacks to unwind, and new Python stacks: their code objects read while the target lives. */
static void drain(struct session *s)
{
	if (s->span_rb)
		ring_buffer__consume(s->span_rb);
	if (s->user_rb)
		ring_buffer__consume(s->user_rb);
	if (s->py_stacks)
		py_stacks__sync(s->py_stacks, s->images);
	mem_capture__drain(s->mem);	/* after the user stacks: the tokens its events carry are known */
}

/* Files that exist only in a process's container are read through /proc/PID/root: say once if we cannot. */
static void warn_unreadable_root(struct session *s, pid_t pid)
{
	char root[4200];

	if (s->warned_root || proc_path(root, sizeof(root), pid, "root/") || access(root, X_OK) == 0 ||
	    (errno != EACCES && errno != EPERM))
		return;
	s->warned_root = true;
	pr_warn("cannot look into %s%s: names of files only in the process's container stay unknown\n", root,
		ptrace_hint(-errno));
}

/* A process of the recording: its identity for the report, its mappings for names and span probes. */
/* A process of the recording that runs CPython: the BPF side walks its frames from now on. */
static void enable_python(struct session *s, pid_t pid)
{
	struct py_interp *py = s->python ? images__python(s->images, pid) : NULL;
	int err;

	if (!py)
		return;
	err = loader__add_python(s->loader, pid, py_interp__config(py));
	if (err)
		pr_warn("process %d: no Python frames: %s\n", pid, strerror(-err));
	else
		pr_info("process %d: Python %u.%u: Python frames in stacks\n", pid, py_interp__version(py) >> 24,
			(py_interp__version(py) >> 16) & 0xff);
}

/* A process of the recording that runs Ruby: the BPF side walks its frames from now on. */
static void enable_ruby(struct session *s, pid_t pid)
{
	struct rb_interp *rb = s->ruby ? images__ruby(s->images, pid) : NULL;
	uint32_t v;
	int err;

	if (!rb)
		return;
	err = loader__add_ruby(s->loader, pid, rb_interp__config(rb));
	v = rb_interp__version(rb);
	if (err)
		pr_warn("process %d: no Ruby frames: %s\n", pid, strerror(-err));
	else
		pr_info("process %d: Ruby %u.%u.%u: Ruby frames in stacks\n", pid, v >> 16, (v >> 8) & 0xff, v & 0xff);
}

/* A process of the recording that runs Node: the BPF side walks its JavaScript frames from now on. */
static void enable_node(struct session *s, pid_t pid)
{
	struct v8_interp *v8 = s->node ? images__node(s->images, pid) : NULL;
	uint32_t v;
	int err;

	if (!v8)
		return;
	err = loader__add_node(s->loader, pid, v8_interp__config(v8));
	v = v8_interp__version(v8);
	if (err)
		pr_warn("process %d: no JavaScript frames: %s\n", pid, strerror(-err));
	else
		pr_info("process %d: V8 %u.%u: JavaScript frames in stacks\n", pid, v >> 16, v & 0xffff);
}

static int add_process(struct session *s, pid_t pid)
{
	struct target *t;
	int err;

	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return 0;
	err = images__add(s->images, pid);
	if (err)
		return err;
	warn_unreadable_root(s, pid);
	if (VEC_GROW_N(s->procs, s->nprocs))
		return -ENOMEM;
	t = &s->procs[s->nprocs++];
	if (pid == s->target.pid)
		*t = s->target;
	else if (target__describe(t, pid))
		*t = (struct target){ .pid = pid };	/* gone meanwhile: its threads still name it */
	t->pidfd = -1;	/* the session's target keeps its own */
	if (s->loader) {	/* else once loaded */
		enable_python(s, pid);
		enable_ruby(s, pid);
		enable_node(s, pid);
	}
	return 0;
}

int session__open(struct session *s, const struct session_opts *opts)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->target.pidfd = -1;
	s->sigfd = -1;
	s->stack_entries = opts->stack_entries;
	s->spans.llm = opts->llm;
	s->follow_children = opts->follow_children;
	s->memory = opts->memory;
	err = preflight_btf() ?: preflight_caps() ?: preflight_lockdown() ?:
	      (opts->container ? cgroup_resolve(opts->container, &s->cgroup) : target__open(&s->target, opts->pid));
	if (err)
		return err;
	if (opts->container)
		snprintf(s->target.comm, sizeof(s->target.comm), "%.*s", (int)sizeof(s->target.comm) - 1, s->cgroup.name);
	/* the tracepoints here are BTF-typed and need no tracefs; classic ones will */
	if (ensure_tracefs())
		pr_info("could not mount tracefs at /sys/kernel/tracing: %s\n", strerror(errno));
	libbpf_set_print(libbpf_print_fn);
	s->images = images__new();
	s->syms = s->images ? syms_cache__new(s->images) : NULL;
	if (!s->syms)
		return -ENOMEM;
	if (opts->pid && (err = add_process(s, opts->pid))) {
		pr_warn("read /proc/%d/maps: %s%s\n", opts->pid, strerror(-err), ptrace_hint(err));
		return err;
	}
	return 0;
}

struct slow_load {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
	uint64_t after_ns;	/* CLOCK_MONOTONIC */
	long after_s;
};

static void say_still_loading(long after_s)
{
	pr_warn("still loading the BPF programs after %ld s (the kernel's verifier is slow on a busy machine); "
		"recording starts once they are attached\n", after_s);
}

/* Says once that the load takes long, unless it ends first. */
static void *watch_load(void *arg)
{
	struct slow_load *w = arg;
	struct timespec until = { w->after_ns / 1000000000ull, w->after_ns % 1000000000ull };

	pthread_mutex_lock(&w->lock);
	while (!w->done && pthread_cond_timedwait(&w->done_cond, &w->lock, &until) != ETIMEDOUT)
		;
	if (!w->done)
		say_still_loading(w->after_s);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* After how long a load is said to be slow: AGENTPROF_SLOW_LOAD_S, or SLOW_LOAD_S. */
static long slow_load_s(void)
{
	const char *env = getenv("AGENTPROF_SLOW_LOAD_S");
	long s = SLOW_LOAD_S;

	if (env && parse_long(env, 0, 3600, &s)) {
		pr_warn("AGENTPROF_SLOW_LOAD_S must be a number of seconds from 0 to 3600, not '%s'\n", env);
		s = SLOW_LOAD_S;
	}
	return s;
}

/*
 * The verifier runs inside one bpf() call, minutes long on a loaded machine: a thread says so
 * meanwhile (0: at once), so that no one waits on a recording that has not begun.
 */
static struct loader *load_saying_if_slow(const struct loader_opts *opts)
{
	struct slow_load w = { .after_s = slow_load_s() };
	pthread_condattr_t attr;
	sigset_t all, old;
	struct loader *l;
	pthread_t thread;
	bool watching;
	int saved;

	if (!w.after_s) {
		say_still_loading(0);
		return loader__load(opts);
	}
	w.after_ns = now_ns(CLOCK_MONOTONIC) + w.after_s * 1000000000ull;
	pthread_mutex_init(&w.lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w.done_cond, &attr);
	pthread_condattr_destroy(&attr);
	/* stop signals go to the main thread, never to the watcher */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	watching = !pthread_create(&thread, NULL, watch_load, &w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	l = loader__load(opts);
	saved = errno;
	if (watching) {
		pthread_mutex_lock(&w.lock);
		w.done = true;
		pthread_cond_signal(&w.done_cond);
		pthread_mutex_unlock(&w.lock);
		pthread_join(thread, NULL);
	}
	pthread_cond_destroy(&w.done_cond);
	pthread_mutex_destroy(&w.lock);
	errno = saved;
	return l;
}

int session__load(struct session *s, const struct session_opts *opts)
{
	const char *no_python = getenv("AGENTPROF_NO_PYTHON"), *no_ruby = getenv("AGENTPROF_NO_RUBY");
	const char *no_node = getenv("AGENTPROF_NO_NODE");
	int err;

	/*
	 * The Python frame walker is loaded for a Python target, and for a container (whose processes
	 * are found later). AGENTPROF_NO_PYTHON=1: native stacks only, for make bench to measure what
	 * Python frames cost.
	 */
	s->python = (opts->container || images__python(s->images, opts->pid)) &&
		    !(no_python && !strcmp(no_python, "1"));
	/* the same for Ruby (AGENTPROF_NO_RUBY=1) */
	s->ruby = (opts->container || images__ruby(s->images, opts->pid)) && !(no_ruby && !strcmp(no_ruby, "1"));
	/* and for Node (AGENTPROF_NO_NODE=1) */
	s->node = (opts->container || images__node(s->images, opts->pid)) && !(no_node && !strcmp(no_node, "1"));
	s->loader = load_saying_if_slow(&(struct loader_opts){
		.pid = opts->pid, .freq_hz = opts->freq_hz, .stack_entries = opts->stack_entries,
		.fp_user_stacks = opts->fp_user_stacks, .cgroup_id = s->cgroup.id, .cgroup_level = s->cgroup.level,
		.python = s->python, .ruby = s->ruby, .node = s->node, .follow_children = opts->follow_children, .memory = opts->memory,
	});
	if (!s->loader)
		return -errno;
	for (size_t i = 0; i < s->nprocs; i++) {
		enable_python(s, s->procs[i].pid);
		enable_ruby(s, s->procs[i].pid);
		enable_node(s, s->procs[i].pid);
	}
	s->sigfd = stop_signals_fd();
	if (s->sigfd < 0) {
		err = s->sigfd;
		pr_warn("signalfd: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

/*
 * A process that exited leaves the list that is walked every second (mappings, code ranges, span
 * probes): with a churn of children it would grow without end. Its identity stays, for the report.
 */
static void retire_process(struct session *s, pid_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		if (s->procs[i].pid != pid || pid == s->target.pid)
			continue;
		if (VEC_GROW_N(s->exited, s->nexited))
			return;	/* stays where it was */
		if (s->python)
			loader__remove_python(s->loader, pid);
		if (s->ruby)
			loader__remove_ruby(s->loader, pid);
		if (s->node)
			loader__remove_node(s->loader, pid);
		s->exited[s->nexited++] = s->procs[i];
		memmove(&s->procs[i], &s->procs[i + 1], (s->nprocs - i - 1) * sizeof(*s->procs));
		s->nprocs--;
		return;
	}
}

/* A cgroup's processes, as the kernel side found them (the iterator, new processes): added once each. */
/*
 * Every process image the kernel's process map holds (the target's, each one after an exec, and
 * with --follow-children the processes it forks): its mappings read while it still runs it. A
 * followed child becomes a process of the recording.
 */
static void add_images(struct session *s)
{
	int fd = loader__maps(s->loader).procs_fd;
	__u32 key, next, *prev = NULL, *gone = NULL;
	size_t ngone = 0;
	struct proc_info info;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &info))
			continue;	/* deleted meanwhile */
		if (images__add_image(s->images, key, &info))
			break;	/* -ENOMEM */
		if (s->follow_children && (pid_t)key != s->target.pid && add_process(s, key))
			pr_debug("process %d: %s\n", key, "gone before its maps were read");
		if (info.exited && !VEC_GROW_N(gone, ngone))
			gone[ngone++] = key;
	}
	/*
	 * Its image known, an exited process's entry is of no more use: retired, so that a churn of
	 * children keeps the map bounded. Read and deleted in one step; a child that took the PID
	 * since (not exited) is put back. Its exit, if it came in between, found no entry to mark
	 * (its threads' ends did not need one): that is read from /proc instead.
	 */
	for (size_t i = 0; i < ngone; i++) {
		if (bpf_map_lookup_and_delete_elem(fd, &gone[i], &info))
			continue;
		if (!info.exited) {
			if (!bpf_map_update_elem(fd, &gone[i], &info, BPF_NOEXIST) &&
			    target__exited_since(gone[i], info.start_ns)) {
				info.exited = 1;
				bpf_map_update_elem(fd, &gone[i], &info, BPF_EXIST);
			}
			continue;
		}
		retire_process(s, gone[i]);
		s->nretired_procs++;
	}
	free(gone);
}

static void add_new_processes(struct session *s)
{
	struct kernel_maps maps = loader__maps(s->loader);
	pid_t *pids = NULL;
	ssize_t n = s->cgroup.id ? snapshot__pids(&maps, &pids) : 0;

	add_images(s);
	for (ssize_t i = 0; i < n; i++)
		if (add_process(s, pids[i]))
			pr_debug("process %d: %s\n", pids[i], "gone before its maps were read");
	free(pids);
}

/* Span probes in every file of every process that carries them (not yet probed). */
static int attach_spans(struct session *s)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		int err = loader__attach_spans(s->loader, s->procs[i].pid, images__maps(s->images, s->procs[i].pid));

		if (err < 0)
			return err;
	}
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	uint64_t x = ((const struct map_entry *)a)->start, y = ((const struct map_entry *)b)->start;

	return (x > y) - (x < y);
}

/*
 * Where the code of the recording's processes is, for the kernel side to tell waits apart by the
 * return addresses they hold. A container's processes share the ranges: their mappings together,
 * sorted, overlaps merged (the loader merges them further into MAX_CODE_RANGES).
 */
static int set_code_ranges(struct session *s)
{
	struct proc_maps all = {};
	size_t n = 0;
	int err;

	if (s->nprocs == 1)
		return loader__set_code_ranges(s->loader, images__maps(s->images, s->procs[0].pid));
	for (size_t i = 0; i < s->nprocs; i++)
		n += images__maps(s->images, s->procs[i].pid)->n;
	all.v = calloc(n ? n : 1, sizeof(*all.v));
	if (!all.v)
		return -ENOMEM;
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct proc_maps *m = images__maps(s->images, s->procs[i].pid);

		if (m->n)	/* a child gone before its maps were read has none, and no array */
			memcpy(all.v + all.n, m->v, m->n * sizeof(*m->v));	/* shallow: the paths stay theirs */
		all.n += m->n;
	}
	if (all.n)
		qsort(all.v, all.n, sizeof(*all.v), cmp_start);
	n = 0;
	for (size_t i = 0; i < all.n; i++) {
		if (n && all.v[i].start <= all.v[n - 1].end) {
			if (all.v[i].end > all.v[n - 1].end)
				all.v[n - 1].end = all.v[i].end;
		} else {
			all.v[n++] = all.v[i];
		}
	}
	all.n = n;
	err = loader__set_code_ranges(s->loader, &all);
	free(all.v);
	return err;
}

int session__attach(struct session *s)
{
	struct kernel_maps maps = loader__maps(s->loader);
	int err;

	s->stacks = stack_cache__new(maps.stacks_fd, s->stack_entries);
	if (!s->stacks)
		return -ENOMEM;
	if ((s->python || s->ruby || s->node) && !(s->py_stacks = py_stacks__new(maps.py_stacks_fd, maps.py_stored_fd)))
		return -ENOMEM;
	s->span_rb = ring_buffer__new(maps.span_events_fd, on_span_event, &s->spans, NULL);
	if (!s->span_rb) {
		err = -errno;
		pr_warn("span ring buffer: %s\n", strerror(-err));
		return err;
	}
	s->samples_fd = maps.samples_fd;
	s->unwinder = unwinder__new();
	s->user_rb = s->unwinder ? ring_buffer__new(maps.user_stacks_fd, on_user_stack, s, NULL) : NULL;
	if (!s->user_rb) {
		err = s->unwinder ? -errno : -ENOMEM;
		pr_warn("user stack ring buffer: %s\n", strerror(-err));
		return err;
	}
	if (s->memory && !(s->mem = mem_capture__new(maps.mem_events_fd)))
		return -errno;
	err = set_code_ranges(s) ?: loader__attach(s->loader);
	if (err)
		return err;
	add_new_processes(s);
	sample_rss(s);
	/* the iterator saw every task of the cgroup: none, with some there, means a wrong depth */
	if (s->cgroup.id && !s->nprocs && !procfs_is_foreign() && cgroup_populated(&s->cgroup))
		pr_warn("no process of %s found: is /sys/fs/cgroup the host's hierarchy, not a cgroup namespace's?\n",
			s->cgroup.path);
	return set_code_ranges(s) ?: attach_spans(s);
}

/* pid 0: every process in the maps (a container's, or the target's and its children) */
static pid_t snapshot_pid(const struct session *s)
{
	return s->follow_children ? 0 : s->target.pid;
}

static size_t entries(const struct snapshot *s)
{
	return s->nsamples + s->nwaits + s->nthreads + s->nspan_cpu;
}

/*
 * Keeps what was retired: in a small set of the latest, merged into the large one only once it is
 * a quarter of its size, so that a long recording copies each entry a few times in all, not the
 * whole of what it retired at every refresh.
 */
static int keep_retired(struct session *s, const struct snapshot *gone)
{
	int err = snapshot__merge(&s->recent, gone);

	if (err || entries(&s->recent) * 4 < entries(&s->retired))
		return err;
	err = snapshot__merge(&s->retired, &s->recent);
	if (!err)
		snapshot__free(&s->recent);
	return err;
}

/*
 * Moves the final totals of the threads that exited, and of the spans that ended, out of the
 * kernel's maps, into s->retired: their entries and those of their stacks would otherwise fill
 * the maps in a long recording (a churn of children, a pool that replaces its threads, a server's
 * every request). Only those that ended a while before the drain that starts this: their user
 * stacks in flight were unwound, and counted, by then, and a thread's last switch (just after its
 * exit) seen.
 */
static int retire_finished(struct session *s)
{
	struct kernel_maps maps = loader__maps(s->loader);
	uint64_t drained = now_ns(CLOCK_MONOTONIC), before = drained - DRAIN_MS * 1000000ull;
	struct snapshot snap, gone = {}, spans = {};
	int err;

	/* a span ended since the last time, else the thread map alone: a quiet target costs no more */
	err = s->spans.last_end_ns >= s->retired_before ? 1 : snapshot__any_exited(&maps, before);
	if (err <= 0)
		return err;
	drain(s);
	err = snapshot__read(&maps, snapshot_pid(s), drained, &snap);
	if (err)
		return err;
	err = snapshot__take_exited(&snap, before, &gone);
	if (!err && (err = snapshot__take_spans(&snap, &s->spans, before, &spans)) == 0) {
		err = snapshot__merge(&gone, &spans);
		snapshot__free(&spans);
	}
	snapshot__free(&snap);
	if (!err && (err = keep_retired(s, &gone)) == 0) {	/* deleted only once kept */
		snapshot__delete(&gone, &maps);
		s->nretired += gone.nthreads;
		s->retired_before = before;
	}
	snapshot__free(&gone);
	return err;
}

/* --memory: the resident memory of the recording's processes together, a point of the series. */
static void sample_rss(struct session *s)
{
	pid_t *pids;

	if (!s->mem || !(pids = calloc(s->nprocs ?: 1, sizeof(*pids))))
		return;
	for (size_t i = 0; i < s->nprocs; i++)
		pids[i] = s->procs[i].pid;
	mem_capture__sample_rss(s->mem, pids, s->nprocs, now_ns(CLOCK_MONOTONIC));
	free(pids);
}

/* New processes and mappings (a dlopen'ed span library among them): names, and span probes; RSS. */
static void refresh(struct session *s)
{
	int err;

	sample_rss(s);
	add_images(s);	/* first: an image that exec'd since is not read as the one it was */
	images__refresh(s->images);	/* a process gone keeps its last maps */
	add_new_processes(s);
	set_code_ranges(s);
	attach_spans(s);
	err = retire_finished(s);
	if (err)
		pr_debug("retire exited threads and ended spans: %s\n", strerror(-err));
}

/* Where no pidfd tells: the target's /proc entry gone, or the container's cgroup empty. */
static bool gone(const struct session *s)
{
	if (s->cgroup.id)
		return !cgroup_populated(&s->cgroup);
	return s->target.pidfd < 0 && target__exited(&s->target);
}

enum stop_reason session__wait(struct session *s, uint64_t deadline_ns, int input_fd)
{
	struct pollfd pfd[4] = {
		{ .fd = s->sigfd, .events = POLLIN },
		{ .fd = s->target.pidfd, .events = POLLIN },
		{ .fd = input_fd, .events = POLLIN },	/* poll() skips a negative fd */
		{ .fd = s->span_rb ? ring_buffer__epoll_fd(s->span_rb) : -1, .events = POLLIN },
	};
	uint64_t next_refresh = now_ns(CLOCK_MONOTONIC) + REFRESH_MS * 1000000ull;
	uint64_t next_drain = now_ns(CLOCK_MONOTONIC) + DRAIN_MS * 1000000ull;

	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC), until = next_refresh;
		int timeout;

		if (deadline_ns && now >= deadline_ns)
			return STOP_DEADLINE;
		if (now >= next_drain) {
			drain(s);	/* span events and user stacks do not wake us */
			next_drain = now + DRAIN_MS * 1000000ull;
		}
		if (now >= next_refresh) {
			refresh(s);
			if (gone(s))
				return STOP_TARGET_EXIT;
			next_refresh = now + REFRESH_MS * 1000000ull;
			continue;
		}
		if (next_drain < until)
			until = next_drain;
		if (deadline_ns && deadline_ns < until)
			until = deadline_ns;
		timeout = (until - now + 999999) / 1000000;
		if (poll(pfd, 4, timeout) < 0 && errno != EINTR)
			return STOP_SIGNAL;
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
				pr_info("%s: stopping\n", strsignal(si.ssi_signo));
			return STOP_SIGNAL;
		}
		if (pfd[1].revents)
			return STOP_TARGET_EXIT;
		if (pfd[2].revents)
			return STOP_INPUT;
		if (pfd[3].revents)
			ring_buffer__consume(s->span_rb);
	}
}

int session__snapshot(struct session *s, uint64_t at_ns, struct snapshot *snap)
{
	struct kernel_maps maps = loader__maps(s->loader);
	int err;

	drain(s);
	err = snapshot__read(&maps, snapshot_pid(s), at_ns ?: now_ns(CLOCK_MONOTONIC), snap);
	if (!err)
		snap->counters[CNT_SAMPLE_MAP_FULL] += s->sample_map_full;
	if (!err && (err = snapshot__merge(snap, &s->retired) ?: snapshot__merge(snap, &s->recent)))
		snapshot__free(snap);
	return err;
}

int session__describe(const struct session *s, struct profile *p)
{
	p->pid = s->target.pid;
	p->ns_pid = s->target.ns_pid;
	memcpy(p->comm, s->target.comm, sizeof(p->comm));
	if (s->cgroup.id) {
		p->cgroup = strdup(s->cgroup.path);
		if (!p->cgroup)
			return -ENOMEM;
		p->cgroup_id = s->cgroup.id;
	}
	for (size_t i = 0; i < s->nexited + s->nprocs; i++) {
		const struct target *t = i < s->nexited ? &s->exited[i] : &s->procs[i - s->nexited];
		struct process_info *proc = profile__process(p, t->pid);

		if (!proc)
			return -ENOMEM;
		proc->ns_pid = t->ns_pid;	/* a PID taken again: the later process's */
		memcpy(proc->comm, t->comm, sizeof(proc->comm));
	}
	return 0;
}

int session__forget_exited(struct session *s, struct snapshot *snap)
{
	struct snapshot gone;
	int err = snapshot__merge(&s->retired, &s->recent) ?: snapshot__take_owned(snap, &s->retired, &gone);

	if (err)
		return err;
	snapshot__free(&gone);
	snapshot__free(&s->recent);
	snapshot__free(&s->retired);
	return 0;
}

int session__memory(struct session *s, struct profile *p)
{
	if (!s->mem)
		return 0;
	sample_rss(s);
	drain(s);
	return mem_capture__profile(s->mem, s->stacks, s->py_stacks, p);
}

int session__rss(const struct session *s, uint64_t *bytes)
{
	unsigned long long one;
	size_t seen = 0;

	*bytes = 0;
	for (size_t i = 0; i < s->nprocs; i++)
		if (!proc_rss(s->procs[i].pid, &one)) {
			*bytes += one;
			seen++;
		}
	return seen ? 0 : -ENOENT;
}

void session__detach(struct session *s)
{
	if (s->loader)
		loader__detach(s->loader);
}

struct stack_cache *session__stacks(const struct session *s)
{
	return s->stacks;
}

struct py_stacks *session__py_stacks(const struct session *s)
{
	return s->py_stacks;
}

void session__close(struct session *s)
{
	long long http_runs = s->loader ? loader__http_runs(s->loader) : -1;

	if (http_runs >= 0)
		pr_info("HTTP capture ran %lld times for the target (its socket sends, receives and closes)\n",
			http_runs);
	if (s->unwound)
		pr_info("unwound %lu user stacks: %.1f KiB copied and %.1f us each\n", s->unwound,
			s->unwound_bytes / 1024.0 / s->unwound, s->unwind_ns / 1e3 / s->unwound);
	if (s->nretired || s->nretired_procs)
		pr_info("retired %lu exited threads and %lu exited processes from the kernel's maps\n", s->nretired,
			s->nretired_procs);
	snapshot__free(&s->retired);
	snapshot__free(&s->recent);
	mem_capture__free(s->mem);
	s->mem = NULL;
	stack_cache__free(s->stacks);
	s->stacks = NULL;
	py_stacks__free(s->py_stacks);
	s->py_stacks = NULL;
	ring_buffer__free(s->span_rb);
	s->span_rb = NULL;
	ring_buffer__free(s->user_rb);
	s->user_rb = NULL;
	unwinder__free(s->unwinder);
	s->unwinder = NULL;
	span_table__free(&s->spans);
	loader__free(s->loader);
	s->loader = NULL;
	syms_cache__free(s->syms);
	s->syms = NULL;
	images__free(s->images);
	s->images = NULL;
	free(s->procs);
	s->procs = NULL;
	s->nprocs = 0;
	free(s->exited);
	s->exited = NULL;
	s->nexited = 0;
	if (s->sigfd >= 0)
		close(s->sigfd);
	s->sigfd = -1;
	target__close(&s->target);
}
