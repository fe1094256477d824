// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The BPF side's lifecycle: open, size, load, attach (tracepoints, seeding, sampling), detach. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "capture/loader.h"
#include "symbols/demangle.h"
#include "agentprof.skel.h"
#include "target/elffile.h"
#include "base/log.h"
#include "target/procfs.h"
#include "target/procmaps.h"
#include "capture/usdt.h"
#include "base/vec.h"

/* OpenSSL's functions whose plaintext is looked at: reads first, so that they detach last. */
enum tls_func { TLS_READ, TLS_READ_EX, TLS_WRITE, TLS_WRITE_EX, NR_TLS_FUNCS };

static const char *const tls_funcs[NR_TLS_FUNCS] = {
	[TLS_READ] = "SSL_read", [TLS_READ_EX] = "SSL_read_ex",
	[TLS_WRITE] = "SSL_write", [TLS_WRITE_EX] = "SSL_write_ex",
};

/* A file the span probes were attached to (or found to carry none): looked at once. */
struct probed_file {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	struct bpf_link *begin, *end;
	struct bpf_link *tls_entry[NR_TLS_FUNCS], *tls_return[NR_TLS_FUNCS];	/* returns: reads only */
	struct bpf_link **tokio_polls;	/* one per instance of tokio's task poll */
	size_t ntokio;
};

struct loader {
	struct loader_opts opts;
	struct agentprof_bpf *skel;
	struct bpf_link **perf_links;
	int nperf;
	struct probed_file *files;
	size_t nfiles;
	bool warned_uprobes;	/* that span probes cannot be attached without CAP_SYS_ADMIN */
	bool tls;		/* TLS probes loaded (they need the socket tracepoints) */
	/* the variants of the programs that edit a thread's spans that were loaded (choose_unpreempted) */
	struct bpf_program *span_begin, *span_end, *tls_write, *tls_write_ex, *tls_read_ret;
};

static bool btf_has(const struct btf *btf, const char *typedef_name)
{
	return btf && btf__find_by_name_kind(btf, typedef_name, BTF_KIND_TYPEDEF) >= 0;
}

static bool btf_has_func(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
}

static bool env_is_1(const char *name)
{
	const char *v = getenv(name);

	return v && !strcmp(v, "1");
}

/*
 * The uprobe and USDT programs that edit a thread's spans: the variant that holds preemption off
 * where the kernel has the kfuncs for it (6.10+), else the one that cannot (bpf/preempt.bpf.h).
 * AGENTPROF_PREEMPTIBLE=1 forces the second, so that tests prove it loads and works.
 */
static void choose_unpreempted(struct loader *l, const struct btf *btf, bool tls)
{
	struct agentprof_bpf *skel = l->skel;
	bool off = btf_has_func(btf, "bpf_preempt_disable") && btf_has_func(btf, "bpf_preempt_enable") &&
		   !env_is_1("AGENTPROF_PREEMPTIBLE");
	struct {
		struct bpf_program *unpreempted, *preemptible, **chosen;
		bool wanted;
	} v[] = {
		{ skel->progs.span_begin, skel->progs.span_begin_preemptible, &l->span_begin, true },
		{ skel->progs.span_end, skel->progs.span_end_preemptible, &l->span_end, true },
		{ skel->progs.tls_write, skel->progs.tls_write_preemptible, &l->tls_write, tls },
		{ skel->progs.tls_write_ex, skel->progs.tls_write_ex_preemptible, &l->tls_write_ex, tls },
		{ skel->progs.tls_read_ret, skel->progs.tls_read_ret_preemptible, &l->tls_read_ret, tls },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bpf_program__set_autoload(v[i].unpreempted, v[i].wanted && off);
		bpf_program__set_autoload(v[i].preemptible, v[i].wanted && !off);
		*v[i].chosen = off ? v[i].unpreempted : v[i].preemptible;
	}
	if (!off)
		pr_info("no bpf_preempt_disable: a span edge may now and then be charged a preemption's slice\n");
}

/*
 * tp_btf where the kernel's BTF describes the tracepoint, raw_tp otherwise; the lock contention
 * tracepoints (5.19+) are left out where the kernel has none. AGENTPROF_RAW_TP=1 forces the
 * raw_tp twins, so that tests prove they load on a kernel that has both.
 */
static bool choose_programs(struct loader *l, bool follow)
{
	struct agentprof_bpf *skel = l->skel;
	struct btf *btf = btf__load_vmlinux_btf();
	bool tp_btf = btf_has(btf, "btf_trace_sched_switch") && !env_is_1("AGENTPROF_RAW_TP");
	bool klock = btf_has(btf, "btf_trace_contention_begin"), http;
	struct {
		struct bpf_program *btf, *raw;
		bool wanted;
	} pairs[] = {
		{ skel->progs.sched_switch_btf, skel->progs.sched_switch_raw, true },
		{ skel->progs.sched_wakeup_new_btf, skel->progs.sched_wakeup_new_raw, true },
		{ skel->progs.sched_waking_btf, skel->progs.sched_waking_raw, true },
		{ skel->progs.contention_begin_btf, skel->progs.contention_begin_raw, klock },
		{ skel->progs.contention_end_btf, skel->progs.contention_end_raw, klock },
		{ skel->progs.sched_exec_btf, skel->progs.sched_exec_raw, true },
		{ skel->progs.sched_fork_btf, skel->progs.sched_fork_raw, follow },
		{ skel->progs.sched_exit_btf, skel->progs.sched_exit_raw, true },	/* a thread's time ends at its exit */
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		bpf_program__set_autoload(pairs[i].btf, pairs[i].wanted && tp_btf);
		bpf_program__set_autoload(pairs[i].raw, pairs[i].wanted && !tp_btf);
	}
	if (!klock)
		pr_info("no lock:contention tracepoints: kernel lock waits count by syscall only\n");
	/*
	 * traceparent capture hooks the socket layer (sock:sock_send_length and sock_recv_length,
	 * 6.3+), never the generic syscall path, and reads the syscall's registers through BTF:
	 * tp_btf only. TLS plaintext builds on it.
	 */
	http = tp_btf && btf_has(btf, "btf_trace_sock_send_length") && btf_has(btf, "btf_trace_sock_recv_length");
	bpf_program__set_autoload(skel->progs.http_sock_send, http);
	bpf_program__set_autoload(skel->progs.http_sock_recv, http);
	bpf_program__set_autoload(skel->progs.http_sock_state, http);
	bpf_program__set_autoload(skel->progs.tls_read, http);
	bpf_program__set_autoload(skel->progs.tls_read_ex, http);
	bpf_program__set_autoload(skel->progs.tokio_poll, http);
	bpf_program__set_autoload(skel->progs.tokio_wake, http);
	if (!http)
		pr_info("no BTF-typed socket tracepoints: no traceparent capture from HTTP\n");
	choose_unpreempted(l, btf, http);
	btf__free(btf);
	return http;
}

/* --memory: the syscalls that map and release, and the fault sampler, in its tp_btf or raw_tp flavour. */
static void choose_memory_programs(struct agentprof_bpf *skel, bool memory)
{
	struct btf *btf = memory ? btf__load_vmlinux_btf() : NULL;
	bool tp_btf = btf_has(btf, "btf_trace_page_fault_user") && !env_is_1("AGENTPROF_RAW_TP");
	struct bpf_program *progs[] = {
		skel->progs.mem_mmap, skel->progs.mem_munmap, skel->progs.mem_mremap, skel->progs.mem_madvise,
		skel->progs.mem_brk_enter, skel->progs.mem_brk_exit,
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_autoload(progs[i], memory);
	bpf_program__set_autoload(skel->progs.mem_fault_btf, memory && tp_btf);
	bpf_program__set_autoload(skel->progs.mem_fault_raw, memory && !tp_btf);
	bpf_program__set_autoload(skel->progs.mem_exit_btf, memory && tp_btf);
	bpf_program__set_autoload(skel->progs.mem_exit_raw, memory && !tp_btf);
	btf__free(btf);
}

/*
 * Room for a quarter of a second of samples with their stack copies (userspace drains it ten
 * times a second), and never less than 4 MiB.
 */
static __u32 user_stack_ring_bytes(long freq_hz)
{
	long ncpus = libbpf_num_possible_cpus();
	__u64 want = (__u64)freq_hz * (ncpus > 0 ? ncpus : 1) * sizeof(struct user_stack_event) / 4;
	__u32 bytes = 4 << 20;

	while (bytes < want && bytes < (1u << 30))
		bytes <<= 1;
	return bytes;
}

struct loader *loader__load(const struct loader_opts *opts)
{
	struct loader *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return NULL;
	l->opts = *opts;
	l->skel = agentprof_bpf__open();
	if (!l->skel) {
		err = -errno;
		pr_warn("open BPF object: %s\n", strerror(-err));
		goto fail;
	}
	l->skel->rodata->targ_tgid = opts->pid;
	l->skel->rodata->targ_cgroup = opts->cgroup_id;
	l->skel->rodata->targ_cgroup_level = opts->cgroup_level;
	/* the task iterator shows only the tasks of our PID namespace: the host's are seen as they run */
	l->skel->rodata->seed_on_sight = procfs_is_foreign();
	l->skel->rodata->py_frames = opts->python;	/* else the Python frame walker is pruned away */
	l->skel->rodata->rb_frames = opts->ruby;	/* and the Ruby one */
	l->skel->rodata->v8_frames = opts->node;	/* and the V8 one */
	l->skel->rodata->follow_children = opts->follow_children;
	bpf_map__set_max_entries(l->skel->maps.stacks, opts->stack_entries);
	bpf_map__set_max_entries(l->skel->maps.stack_ids, opts->stack_entries);
	l->skel->rodata->dwarf_user_stacks = !opts->fp_user_stacks;
	bpf_map__set_max_entries(l->skel->maps.user_stacks, user_stack_ring_bytes(opts->freq_hz));
	l->tls = choose_programs(l, opts->follow_children);
	choose_memory_programs(l->skel, opts->memory);
	bpf_program__set_autoload(l->skel->progs.seed_py_stacks, opts->python || opts->ruby || opts->node);
	err = agentprof_bpf__load(l->skel);
	if (err) {
		pr_warn("load BPF programs: %s\n", strerror(-err));
		goto fail;
	}
	/* the target's generation: counted from here, at 0 */
	if (opts->pid && bpf_map_update_elem(bpf_map__fd(l->skel->maps.procs), &(__u32){ opts->pid },
					     &(struct proc_info){}, BPF_ANY)) {
		err = -errno;
		pr_warn("add the target to the process map: %s\n", strerror(-err));
		goto fail;
	}
	return l;
fail:
	loader__free(l);
	errno = -err;
	return NULL;
}

/* Runs the task iterator once: every existing thread of the target gets its current state. */
static int run_iter(struct bpf_program *prog)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	char buf[64];
	int fd, err = 0;

	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while (read(fd, buf, sizeof(buf)) > 0)	/* the program runs as the iterator is read */
		;
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

/* One cpu-clock event per CPU: new threads are covered without per-task events on every switch. */
static int attach_perf_events(struct loader *l)
{
	int ncpus = libbpf_num_possible_cpus(), err;
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 1000000000ull / l->opts.freq_hz,	/* a timer: a fixed period is exact */
	};

	if (ncpus < 0)
		return ncpus;
	l->perf_links = calloc(ncpus, sizeof(*l->perf_links));
	if (!l->perf_links)
		return -ENOMEM;
	l->nperf = ncpus;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		int fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV)	/* possible but offline */
				continue;
			err = -errno;
			pr_warn("perf_event_open cpu-clock on CPU %d: %s\n", cpu, strerror(-err));
			return err;
		}
		l->perf_links[cpu] = bpf_program__attach_perf_event(l->skel->progs.on_cpu_sample, fd);
		if (!l->perf_links[cpu]) {
			err = -errno;
			close(fd);
			pr_warn("attach perf_event on CPU %d: %s\n", cpu, strerror(-err));
			return err;
		}
	}
	return 0;
}

int loader__attach(struct loader *l)
{
	int err;

	/* the skeleton attaches the tracepoints; perf_event and iter programs need more, below */
	err = agentprof_bpf__attach(l->skel);
	if (err) {
		pr_warn("attach scheduler tracepoints: %s\n", strerror(-err));
		return err;
	}
	err = run_iter(l->skel->progs.seed_threads);
	if (err) {
		pr_warn("run task iterator: %s\n", strerror(-err));
		return err;
	}
	/* then the Python frames of the threads it found blocked */
	err = l->opts.python || l->opts.ruby || l->opts.node ? run_iter(l->skel->progs.seed_py_stacks) : 0;
	if (err) {
		pr_warn("run Python task iterator: %s\n", strerror(-err));
		return err;
	}
	return attach_perf_events(l);
}

static bool probed(const struct loader *l, const struct map_entry *m)
{
	for (size_t i = 0; i < l->nfiles; i++)
		if (l->files[i].inode == m->inode && l->files[i].dev_major == m->dev_major &&
		    l->files[i].dev_minor == m->dev_minor)
			return true;
	return false;
}

/* Which of OpenSSL's functions the file has (a libssl, or a binary linking it statically). */
static bool tls_functions(const char *root, const char *path, bool has[NR_TLS_FUNCS])
{
	struct elf_symbol syms[NR_TLS_FUNCS];
	Elf *elf;
	int fd;

	if (elf_file_open(root, path, &fd, &elf))
		return false;
	for (int i = 0; i < NR_TLS_FUNCS; i++)
		syms[i] = (struct elf_symbol){ .name = tls_funcs[i] };
	elf_file_symbols(elf, syms, NR_TLS_FUNCS);
	elf_file_close(fd, elf);
	for (int i = 0; i < NR_TLS_FUNCS; i++)
		has[i] = syms[i].found && syms[i].value;
	return has[TLS_READ] && has[TLS_WRITE];
}

static struct bpf_link *attach_uprobe(struct bpf_program *prog, pid_t pid, const char *path, const char *func,
				      bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = func, .retprobe = retprobe);

	return bpf_program__attach_uprobe_opts(prog, pid, path, 0, &opts);
}

static void detach_tls(struct probed_file *f)
{
	for (int k = NR_TLS_FUNCS; k-- > 0;) {
		bpf_link__destroy(f->tls_entry[k]);
		f->tls_entry[k] = NULL;
	}
	for (int k = NR_TLS_FUNCS; k-- > 0;) {
		bpf_link__destroy(f->tls_return[k]);
		f->tls_return[k] = NULL;
	}
}

/*
 * Uprobes on OpenSSL's reads and writes in the file at path (through the target's root). Reads'
 * returns first, then their entries, then writes: a client span seen beginning has its end watched.
 */
static int attach_tls(struct loader *l, struct probed_file *f, pid_t pid, const char *path,
		      const bool has[NR_TLS_FUNCS])
{
	struct agentprof_bpf *skel = l->skel;
	struct bpf_program *entry[NR_TLS_FUNCS] = {
		[TLS_READ] = skel->progs.tls_read, [TLS_READ_EX] = skel->progs.tls_read_ex,
		[TLS_WRITE] = l->tls_write, [TLS_WRITE_EX] = l->tls_write_ex,
	};
	int err;

	for (int i = TLS_READ; i <= TLS_READ_EX; i++)
		if (has[i] && !(f->tls_return[i] = attach_uprobe(l->tls_read_ret, pid, path, tls_funcs[i], true)))
			goto fail;
	for (int i = 0; i < NR_TLS_FUNCS; i++)
		if (has[i] && !(f->tls_entry[i] = attach_uprobe(entry[i], pid, path, tls_funcs[i], false)))
			goto fail;
	return 0;
fail:
	err = -errno;
	detach_tls(f);
	return err;
}

/*
 * tokio's task poll, tokio::runtime::task::raw::poll::<T, S>: a function pointer of each task's
 * vtable, so never inlined; one instance per kind of future, each its own symbol. Its waker's
 * wake_by_val and wake_by_ref. Both manglings (legacy _ZN..., v0 _R...) spell the path as these
 * length-prefixed identifiers; the demangled name says which symbol is the function itself.
 */
#define TOKIO_POLL_PART "5tokio7runtime4task3raw4poll"
#define TOKIO_POLL "tokio::runtime::task::raw::poll"
#define TOKIO_WAKE_PART "5tokio7runtime4task5waker11wake_by_"
#define TOKIO_WAKE "tokio::runtime::task::waker::wake_by_"	/* _val and _ref */
#define TOKIO_POLLS_MAX 256	/* instances attached in one binary */

struct tokio_attach {
	struct loader *l;
	struct probed_file *f;
	pid_t pid;
	const char *path;
	int err;
};

static bool attach_tokio_poll(const char *name, uint64_t offset, void *ctx)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct tokio_attach *a = ctx;
	struct bpf_link *link;
	char plain[256];
	size_t len;
	bool wake;

	demangle(name, plain, sizeof(plain));
	wake = !strncmp(plain, TOKIO_WAKE, strlen(TOKIO_WAKE));
	len = strlen(wake ? TOKIO_WAKE : TOKIO_POLL);
	/* the function, not one of its closures or a function of the same path's module */
	if (strncmp(plain, wake ? TOKIO_WAKE : TOKIO_POLL, len) ||
	    (!wake && plain[len] != '\0' && strncmp(plain + len, "::<", 3)))
		return true;
	if (a->f->ntokio == TOKIO_POLLS_MAX)
		return false;
	if (VEC_GROW_N(a->f->tokio_polls, a->f->ntokio)) {
		a->err = -ENOMEM;
		return false;
	}
	/* by offset: libbpf's lookup by name is no use for names the same but for their hash */
	link = bpf_program__attach_uprobe_opts(wake ? a->l->skel->progs.tokio_wake : a->l->skel->progs.tokio_poll,
					       a->pid, a->path, offset, &opts);
	if (!link) {
		a->err = -errno;
		return false;
	}
	a->f->tokio_polls[a->f->ntokio++] = link;
	return true;
}

static void detach_tokio(struct probed_file *f)
{
	for (size_t k = 0; k < f->ntokio; k++)
		bpf_link__destroy(f->tokio_polls[k]);
	free(f->tokio_polls);
	f->tokio_polls = NULL;
	f->ntokio = 0;
}

/* Uprobes on every instance of tokio's task poll in the file at path (through the target's root), if any. */
static int attach_tokio(struct loader *l, struct probed_file *f, pid_t pid, const char *root, const char *file,
			const char *path)
{
	struct tokio_attach a = { l, f, pid, path, 0 };
	Elf *elf;
	int fd;

	if (elf_file_open(root, file, &fd, &elf))
		return 0;
	/* wakes first: a task polled with a request has its wakes watched */
	elf_file_functions_with(elf, TOKIO_WAKE_PART, attach_tokio_poll, &a);
	if (!a.err && a.f->ntokio)
		elf_file_functions_with(elf, TOKIO_POLL_PART, attach_tokio_poll, &a);
	elf_file_close(fd, elf);
	if (a.err)
		detach_tokio(f);
	return a.err;
}

/* The kernel's uprobe PMU takes CAP_SYS_ADMIN, not CAP_PERFMON: record without uprobe spans. */
static bool uprobes_refused(struct loader *l, int err, const char *what, const char *path)
{
	if (err != -EACCES && err != -EPERM)
		return false;
	if (!l->warned_uprobes)
		pr_warn("%s in %s: %s (uprobes need CAP_SYS_ADMIN): recording without spans\n", what, path,
			strerror(-err));
	l->warned_uprobes = true;
	return true;
}

int loader__attach_spans(struct loader *l, pid_t pid, const struct proc_maps *maps)
{
	/*
	 * A probe for every process that maps the file (the programs filter) where PIDs are many
	 * (a cgroup) or not ours (the host's, under a foreign /proc: perf takes PIDs of our namespace).
	 */
	pid_t probe_pid = l->opts.cgroup_id || procfs_is_foreign() ? -1 : pid;
	char root[4200];
	int attached = 0;

	if (proc_path(root, sizeof(root), pid, "root"))
		return -ENAMETOOLONG;

	for (size_t i = 0; i < maps->n; i++) {
		const struct map_entry *m = &maps->v[i];
		bool tls[NR_TLS_FUNCS] = { false };
		struct probed_file *f;
		char path[sizeof(root) + 4096];
		int err;

		if (!m->path[0] || m->path[0] == '[' || !m->inode || probed(l, m))
			continue;
		if (VEC_GROW_N(l->files, l->nfiles))
			return -ENOMEM;
		f = &l->files[l->nfiles++];
		*f = (struct probed_file){ .dev_major = m->dev_major, .dev_minor = m->dev_minor, .inode = m->inode };
		/* through the target's root: the file may exist only in its mount namespace */
		snprintf(path, sizeof(path), "%s%s", root, m->path);
		if (l->tls && tls_functions(root, m->path, tls)) {
			err = attach_tls(l, f, probe_pid, path, tls);
			if (err && !uprobes_refused(l, err, "TLS probes", m->path)) {
				pr_warn("attach TLS probes in %s: %s\n", m->path, strerror(-err));
				return err;
			}
			if (!err) {
				pr_info("TLS probes attached in %s\n", m->path);
				attached++;
			}
		}
		if (l->tls) {
			err = attach_tokio(l, f, probe_pid, root, m->path, path);
			if (err && !uprobes_refused(l, err, "tokio probes", m->path)) {
				pr_warn("attach tokio probes in %s: %s\n", m->path, strerror(-err));
				return err;
			}
			if (!err && f->ntokio)
				pr_info("tokio probes attached in %s (%zu task polls)\n", m->path, f->ntokio);
		}
		if (!elf_has_usdt_provider(root, m->path, "agentprof"))
			continue;
		/*
		 * Ends before begins, and (in loader__detach) begins off before ends: a uprobe takes a
		 * while to arm here, and this way no span is seen beginning without its end being
		 * watched; the other edge (an end with no begin) is a span the recording did not cover.
		 */
		f->end = bpf_program__attach_usdt(l->span_end, probe_pid, path, "agentprof",
						  "span_end", NULL);
		f->begin = f->end ? bpf_program__attach_usdt(l->span_begin, probe_pid, path,
							      "agentprof", "span_begin", NULL) : NULL;
		if (!f->begin || !f->end) {
			err = -errno;
			if (uprobes_refused(l, err, "span probes", m->path)) {
				bpf_link__destroy(f->end);
				f->end = NULL;
				continue;
			}
			pr_warn("attach span probes in %s: %s\n", m->path, strerror(-err));
			return err;
		}
		pr_info("span probes attached in %s\n", m->path);
		attached++;
	}
	return attached;
}

int loader__set_code_ranges(struct loader *l, const struct proc_maps *maps)
{
	struct { __u64 start, len; } r[MAX_CODE_RANGES + 1] = {};
	struct code_ranges c = {};
	size_t n = 0;
	__u32 zero = 0;

	/* in address order; past MAX_CODE_RANGES, the two ranges closest together become one */
	for (size_t i = 0; i < maps->n; i++) {
		size_t best = 0;

		r[n].start = maps->v[i].start;
		r[n++].len = maps->v[i].end - maps->v[i].start;
		if (n <= MAX_CODE_RANGES)
			continue;
		for (size_t j = 1; j + 1 < n; j++)
			if (r[j + 1].start - (r[j].start + r[j].len) < r[best + 1].start - (r[best].start + r[best].len))
				best = j;
		r[best].len = r[best + 1].start + r[best + 1].len - r[best].start;
		memmove(&r[best + 1], &r[best + 2], (n - best - 2) * sizeof(*r));
		n--;
	}
	memcpy(c.r, r, sizeof(c.r));
	return bpf_map_update_elem(bpf_map__fd(l->skel->maps.code_ranges), &zero, &c, BPF_ANY) ? -errno : 0;
}

void loader__detach(struct loader *l)
{
	/* what begins spans first (span begins, TLS entries), then what ends them */
	for (size_t i = 0; i < l->nfiles; i++) {
		struct probed_file *f = &l->files[i];

		bpf_link__destroy(f->begin);
		f->begin = NULL;
		detach_tokio(f);
		for (int k = NR_TLS_FUNCS; k-- > 0;) {
			bpf_link__destroy(f->tls_entry[k]);
			f->tls_entry[k] = NULL;
		}
	}
	for (size_t i = 0; i < l->nfiles; i++) {
		struct probed_file *f = &l->files[i];

		bpf_link__destroy(f->end);
		f->end = NULL;
		for (int k = NR_TLS_FUNCS; k-- > 0;) {
			bpf_link__destroy(f->tls_return[k]);
			f->tls_return[k] = NULL;
		}
	}
	for (int i = 0; l->perf_links && i < l->nperf; i++)
		bpf_link__destroy(l->perf_links[i]);	/* also closes the perf event fd */
	free(l->perf_links);
	l->perf_links = NULL;
	l->nperf = 0;
	if (l->skel) {
		/* --memory: what grows stops first, what releases after: a release is not missed for memory seen grown */
		bpf_link__destroy(l->skel->links.mem_fault_btf);
		bpf_link__destroy(l->skel->links.mem_fault_raw);
		l->skel->links.mem_fault_btf = l->skel->links.mem_fault_raw = NULL;
		agentprof_bpf__detach(l->skel);
	}
}

int loader__add_python(struct loader *l, pid_t pid, const struct py_config *cfg)
{
	__u32 key = pid;

	return bpf_map__update_elem(l->skel->maps.py_procs, &key, sizeof(key), cfg, sizeof(*cfg), BPF_ANY);
}

long long loader__http_runs(const struct loader *l)
{
	int ncpus = libbpf_num_possible_cpus();
	long long sum = 0;
	__u64 *vals;

	if (!l->tls || ncpus <= 0 || !(vals = calloc(ncpus, sizeof(*vals))))
		return -1;
	if (bpf_map__lookup_elem(l->skel->maps.http_runs, &(__u32){ 0 }, sizeof(__u32), vals,
				 ncpus * sizeof(*vals), 0))
		sum = -1;
	for (int cpu = 0; sum >= 0 && cpu < ncpus; cpu++)
		sum += vals[cpu];
	free(vals);
	return sum;
}

void loader__remove_python(struct loader *l, pid_t pid)
{
	__u32 key = pid;

	bpf_map__delete_elem(l->skel->maps.py_procs, &key, sizeof(key), 0);	/* -ENOENT: not a Python one */
}

int loader__add_ruby(struct loader *l, pid_t pid, const struct rb_config *cfg)
{
	__u32 key = pid;

	return bpf_map__update_elem(l->skel->maps.rb_procs, &key, sizeof(key), cfg, sizeof(*cfg), BPF_ANY);
}

void loader__remove_ruby(struct loader *l, pid_t pid)
{
	__u32 key = pid;

	bpf_map__delete_elem(l->skel->maps.rb_procs, &key, sizeof(key), 0);	/* -ENOENT: not a Ruby one */
}

int loader__add_node(struct loader *l, pid_t pid, const struct v8_config *cfg)
{
	__u32 key = pid;

	return bpf_map__update_elem(l->skel->maps.v8_procs, &key, sizeof(key), cfg, sizeof(*cfg), BPF_ANY);
}

void loader__remove_node(struct loader *l, pid_t pid)
{
	__u32 key = pid;

	bpf_map__delete_elem(l->skel->maps.v8_procs, &key, sizeof(key), 0);	/* -ENOENT: not a Node one */
}

struct kernel_maps loader__maps(const struct loader *l)
{
	return (struct kernel_maps){
		.samples_fd = bpf_map__fd(l->skel->maps.samples),
		.offcpu_fd = bpf_map__fd(l->skel->maps.offcpu),
		.threads_fd = bpf_map__fd(l->skel->maps.threads),
		.stacks_fd = bpf_map__fd(l->skel->maps.stacks),
		.counters_fd = bpf_map__fd(l->skel->maps.counters),
		.span_cpu_fd = bpf_map__fd(l->skel->maps.span_cpu),
		.span_events_fd = bpf_map__fd(l->skel->maps.span_events),
		.user_stacks_fd = bpf_map__fd(l->skel->maps.user_stacks),
		.py_stacks_fd = bpf_map__fd(l->skel->maps.py_stacks),
		.py_stored_fd = bpf_map__fd(l->skel->maps.py_stored),
		.procs_fd = bpf_map__fd(l->skel->maps.procs),
		.mem_events_fd = bpf_map__fd(l->skel->maps.mem_events),
	};
}

void loader__free(struct loader *l)
{
	if (!l)
		return;
	loader__detach(l);
	agentprof_bpf__destroy(l->skel);
	free(l->files);
	free(l);
}
