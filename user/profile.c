// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model: what one recording measured, as drained from the kernel, then symbolized. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llm.h"
#include "profile.h"
#include "pyinterp.h"
#include "pymerge.h"
#include "spans.h"
#include "symbolize.h"

#define EFAULT_ 14

void profile__init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
}

static void sample__free(struct sample *s)
{
	free(s->user);
	free(s->kern);
	free(s->py);
	for (uint32_t i = 0; i < s->nframes; i++)
		free(s->frames[i]);
	free(s->frames);
	free(s->origins);
}

static void set__free(struct sample_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		sample__free(&set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

void profile__free(struct profile *p)
{
	set__free(&p->oncpu);
	set__free(&p->offcpu);
	free(p->threads);
	free(p->procs);
	free(p->cgroup);
	p->procs = NULL;
	p->cgroup = NULL;
	p->nprocs = 0;
	free(p->span_cpu);
	free(p->spans);
	p->threads = NULL;
	p->span_cpu = NULL;
	p->spans = NULL;
	p->nthreads = p->nspan_cpu = p->nspans = 0;
	for (size_t i = 0; i < p->nmappings; i++) {
		free(p->mappings[i].path);
		free(p->mappings[i].build_id);
	}
	free(p->mappings);
	p->mappings = NULL;
	p->nmappings = 0;
}

int profile__add_span_cpu(struct profile *p, uint32_t seq, uint64_t ns)
{
	struct span_cpu *v = realloc(p->span_cpu, (p->nspan_cpu + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->span_cpu = v;
	v[p->nspan_cpu++] = (struct span_cpu){ seq, ns };
	return 0;
}

static uint64_t *dup_ips(const uint64_t *ips, size_t n)
{
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));

	if (v && n)
		memcpy(v, ips, n * sizeof(*v));
	return v;
}

int profile__add(struct sample_set *set, const struct sample *tmpl, const uint64_t *user, size_t nuser,
		 const uint64_t *kern, size_t nkern)
{
	struct sample *s;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;

		s = realloc(set->v, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		set->v = s;
		set->cap = cap;
	}
	s = &set->v[set->n];
	*s = *tmpl;
	s->comm[sizeof(s->comm) - 1] = '\0';
	s->frames = NULL;
	s->origins = NULL;
	s->nframes = 0;
	s->user = dup_ips(user, nuser);
	s->kern = dup_ips(kern, nkern);
	s->py = malloc((tmpl->npy ?: 1) * sizeof(*s->py));
	if (s->py && tmpl->npy)
		memcpy(s->py, tmpl->py, tmpl->npy * sizeof(*s->py));
	if (!s->user || !s->kern || !s->py) {
		sample__free(s);
		return -ENOMEM;
	}
	s->nuser = nuser;
	s->nkern = nkern;
	set->n++;
	set->total += s->count;
	return 0;
}

struct thread_info *profile__thread(struct profile *p, uint32_t tid)
{
	struct thread_info *t;

	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	t = realloc(p->threads, (p->nthreads + 1) * sizeof(*t));
	if (!t)
		return NULL;
	p->threads = t;
	t = &p->threads[p->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	return t;
}

struct process_info *profile__process(struct profile *p, uint32_t pid)
{
	struct process_info *v;

	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i].pid == pid)
			return &p->procs[i];
	v = realloc(p->procs, (p->nprocs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	p->procs = v;
	v = &p->procs[p->nprocs++];
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	return v;
}

void profile__title(const struct profile *p, char *buf, size_t len)
{
	const char *slash = p->cgroup ? strrchr(p->cgroup, '/') : NULL;

	if (p->cgroup)
		snprintf(buf, len, "cgroup %s", slash && slash[1] ? slash + 1 : p->cgroup);
	else
		snprintf(buf, len, "%s (PID %d)", p->comm, p->pid);
}

static int cmp_process(const void *a, const void *b)
{
	const struct process_info *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Each thread's time into its process's, then the processes' classes. */
static int finish_processes(struct profile *p)
{
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct thread_info *t = &p->threads[i];
		struct process_info *proc = profile__process(p, t->pid);

		if (!proc)
			return -ENOMEM;
		for (int c = 0; c < NR_CATEGORIES; c++)
			proc->ns[c] += t->ns[c];
		proc->samples += t->samples;
		proc->nthreads++;
		if (!proc->comm[0] && t->tid == t->pid)	/* the main thread names the process */
			memcpy(proc->comm, t->comm, sizeof(proc->comm));
	}
	for (size_t i = 0; i < p->nprocs; i++)
		p->procs[i].class = classify_breakdown(p->procs[i].ns, p->duration_ns);
	if (p->nprocs)
		qsort(p->procs, p->nprocs, sizeof(*p->procs), cmp_process);
	return 0;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct thread_info *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_span_cpu(const void *a, const void *b)
{
	uint32_t x = ((const struct span_cpu *)a)->seq, y = ((const struct span_cpu *)b)->seq;

	return (x > y) - (x < y);
}

static int cmp_span_info(const void *a, const void *b)
{
	uint32_t x = ((const struct span_info *)a)->rec->seq, y = ((const struct span_info *)b)->rec->seq;

	return (x > y) - (x < y);
}

const struct span_info *profile__span(const struct profile *p, uint32_t seq)
{
	struct span_rec rec = { .seq = seq };
	struct span_info key = { .rec = &rec };

	return seq ? bsearch(&key, p->spans, p->nspans, sizeof(key), cmp_span_info) : NULL;
}

/* The spans of the table alive in the window, with their breakdowns. */
static int finish_spans(struct profile *p, const struct span_table *table)
{
	uint64_t ws = p->window_start_ns, we = p->window_end_ns;

	for (uint32_t seq = 1; seq <= table->max_seq; seq++) {
		const struct span_rec *r = span_table__get(table, seq);
		struct span_info *info, *v;
		struct span_cpu key = { .seq = seq }, *cpu;
		uint64_t from, to;

		if (!r || !r->begun || r->start_ns >= we || (r->ended && r->end_ns <= ws))
			continue;
		v = realloc(p->spans, (p->nspans + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->spans = v;
		info = &p->spans[p->nspans++];
		memset(info, 0, sizeof(*info));
		info->rec = r;
		info->unfinished = !r->ended;	/* one ended past the window was still seen whole */
		/* record: the whole span, counted from its begin on; top: its part of the interval */
		from = p->clip_spans && r->start_ns < ws ? ws : r->start_ns;
		to = info->unfinished ? we : r->end_ns;
		info->wall_ns = to > from ? to - from : 0;
		/* span_cpu is NULL when no span ran on a CPU: bsearch must not get it */
		cpu = p->nspan_cpu ? bsearch(&key, p->span_cpu, p->nspan_cpu, sizeof(key), cmp_span_cpu) : NULL;
		info->self_ns[CAT_CPU] = cpu ? cpu->ns : 0;
	}
	for (size_t i = 0; i < p->offcpu.n; i++) {
		const struct sample *s = &p->offcpu.v[i];
		struct span_info *info = (struct span_info *)profile__span(p, s->span);

		if (info)
			info->self_ns[s->category] += s->count;
	}
	/*
	 * Nested spans began later: from the last, each adds its total to its outer span's, when it
	 * ended within it (an outer span ended by another thread does not own what followed).
	 */
	for (size_t i = p->nspans; i-- > 0;) {
		struct span_info *info = &p->spans[i];
		struct span_info *outer = (struct span_info *)profile__span(p, info->rec->outer);

		for (int c = 0; c < NR_CATEGORIES; c++)
			info->ns[c] += info->self_ns[c];
		if (outer && (outer->unfinished || (!info->unfinished && info->rec->end_ns <= outer->rec->end_ns)))
			for (int c = 0; c < NR_CATEGORIES; c++)
				outer->ns[c] += info->ns[c];
		info->class = classify_breakdown(info->ns, info->wall_ns);
	}
	return 0;
}

int profile__finish(struct profile *p, const struct span_table *spans)
{
	for (size_t i = 0; i < p->oncpu.n; i++) {
		struct sample *s = &p->oncpu.v[i];
		struct thread_info *t = profile__thread(p, s->tid);

		if (!t)
			return -ENOMEM;
		t->pid = t->pid ?: s->pid;
		t->samples += s->count;
		if (!t->comm[0])
			memcpy(t->comm, s->comm, sizeof(t->comm));
	}
	for (size_t i = 0; i < p->offcpu.n; i++) {
		struct sample *s = &p->offcpu.v[i];
		struct thread_info *t = profile__thread(p, s->tid);

		if (!t)
			return -ENOMEM;
		t->pid = t->pid ?: s->pid;
		t->ns[s->category] += s->count;
	}
	qsort(p->threads, p->nthreads, sizeof(*p->threads), cmp_thread);
	memset(p->ns, 0, sizeof(p->ns));
	for (size_t i = 0; i < p->nthreads; i++) {
		struct thread_info *t = &p->threads[i];

		for (int c = 0; c < NR_CATEGORIES; c++)
			p->ns[c] += t->ns[c];
		t->class = classify_breakdown(t->ns, t->wall_ns);
	}
	p->class = classify_breakdown(p->ns, p->duration_ns);
	return finish_processes(p) ?: (spans ? finish_spans(p, spans) : 0);
}

static int push_frame(struct sample *s, const char *name, struct frame_origin origin)
{
	char *f = strdup(name);

	if (!f)
		return -ENOMEM;
	s->origins[s->nframes] = origin;
	s->frames[s->nframes++] = f;
	return 0;
}

/* The index of the profile's mapping that holds a user address, added on first use; -1: none. */
static int32_t mapping_of(struct profile *p, struct syms_cache *syms, pid_t pid, uint32_t gen, uint64_t addr,
			  int *err)
{
	struct profile_mapping *m;
	struct user_mapping um;

	if (syms_cache__mapping(syms, pid, gen, addr, &um))
		return -1;
	for (size_t i = 0; i < p->nmappings; i++) {
		m = &p->mappings[i];
		if (m->start == um.start && m->end == um.end && m->offset == um.offset && !strcmp(m->path, um.path))
			return i;
	}
	m = realloc(p->mappings, (p->nmappings + 1) * sizeof(*m));
	if (!m) {
		*err = -ENOMEM;
		return -1;
	}
	p->mappings = m;
	m = &p->mappings[p->nmappings];
	*m = (struct profile_mapping){ um.start, um.end, um.offset, strdup(um.path), strdup(um.build_id) };
	if (!m->path || !m->build_id) {
		free(m->path);
		free(m->build_id);
		*err = -ENOMEM;
		return -1;
	}
	return p->nmappings++;
}

/*
 * Stacks taken in a tracepoint program end in the tracing machinery (bpf_trace_run4, the
 * program itself): cut them at the innermost bpf_trace_run / __bpf_trace frame.
 */
static uint32_t kernel_leaf_skip(const struct sample *s, struct syms_cache *syms)
{
	char name[256];

	for (uint32_t i = 0; i < s->nkern && i < 4; i++) {
		syms_cache__kernel(syms, s->kern[i], i > 0, name, sizeof(name));
		if (!strncmp(name, "bpf_trace_run", 13) || !strncmp(name, "__bpf_trace_", 12))
			return i + 1;
	}
	return 0;
}

/* The address a frame is named by: a return address (every frame but the leaf) names its call. */
static uint64_t call_site(uint64_t addr, bool is_return)
{
	return is_return && addr ? addr - 1 : addr;
}

static int push_native(struct profile *p, struct sample *s, struct syms_cache *syms, uint32_t i)
{
	uint64_t addr = call_site(s->user[i], i > 0);
	int err = 0;
	int32_t mapping = mapping_of(p, syms, s->pid, s->gen, addr, &err);
	char name[1024];

	syms_cache__user(syms, s->pid, s->gen, s->user[i], i > 0, name, sizeof(name));
	return err ?: push_frame(s, name, (struct frame_origin){ addr, mapping, false });
}

/* The user frames, root first, with the Python frames merged in where the interpreter runs them. */
static int push_user(struct profile *p, struct sample *s, struct syms_cache *syms)
{
	struct py_interp *py = syms_cache__python(syms, s->pid);
	struct frame_origin none = { 0, -1, false };
	struct merged_frame *merged;
	bool *is_eval, cut;
	char name[1024];
	size_t n;
	int err = 0;

	if (!py || (!s->npy && !s->py_flags)) {
		for (uint32_t i = s->nuser; i-- > 0 && !err;)
			err = push_native(p, s, syms, i);
		return err;
	}
	is_eval = calloc(s->nuser + 1, sizeof(*is_eval));
	merged = calloc(s->nuser + s->npy + 1, sizeof(*merged));
	if (!is_eval || !merged) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < s->nuser; i++)
		is_eval[i] = py_interp__is_eval(py, call_site(s->user[i], i > 0));
	/* the outer frames the BPF side could not walk: marked where they would be, above the last walked */
	cut = s->py_flags & (PY_STACK_TRUNCATED | PY_STACK_BAD_READ);
	if (cut && !s->npy)
		err = push_frame(s, "[python stack truncated]", none);
	n = py_merge(is_eval, s->nuser, s->py, s->npy, merged);
	for (size_t k = 0; k < n && !err; k++) {
		if (cut && merged[k].python && merged[k].index == s->npy - 1 &&
		    (err = push_frame(s, "[python stack truncated]", none)))
			break;
		if (!merged[k].python) {
			err = push_native(p, s, syms, merged[k].index);
			continue;
		}
		py_interp__frame_name(py, &s->py[merged[k].index], !p->no_py_lines, name, sizeof(name));
		err = push_frame(s, name, none);
	}
out:
	free(is_eval);
	free(merged);
	return err;
}

static int symbolize_sample(struct profile *p, struct sample *s, struct syms_cache *syms)
{
	uint32_t skip = kernel_leaf_skip(s, syms);
	/* a failed user stack (other than "none": -EFAULT) keeps its place as one marker frame */
	bool lost = s->user_err && s->user_err != -EFAULT_;
	struct frame_origin marker = { 0, -1, false };
	size_t cap = s->nuser + s->npy + s->nkern + 2;
	char name[1024];

	s->frames = calloc(cap, sizeof(*s->frames));
	s->origins = calloc(cap, sizeof(*s->origins));
	if (!s->frames || !s->origins)
		return -ENOMEM;
	if (lost && push_frame(s, s->user_err == NO_STACK ? "[since before recording]" : "[stack lost]", marker))
		return -ENOMEM;
	if (push_user(p, s, syms))
		return -ENOMEM;
	for (uint32_t i = s->nkern; i-- > skip;) {
		syms_cache__kernel(syms, s->kern[i], i > 0, name, sizeof(name) - 4);
		strcat(name, "_[k]");
		if (push_frame(s, name, (struct frame_origin){ call_site(s->kern[i], i > 0), -1, true }))
			return -ENOMEM;
	}
	return 0;
}

int profile__symbolize(struct profile *p, struct syms_cache *syms)
{
	struct sample_set *sets[] = { &p->oncpu, &p->offcpu };

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < sets[k]->n; i++) {
			int err = symbolize_sample(p, &sets[k]->v[i], syms);

			if (err)
				return err;
		}
	return 0;
}

const char *sample__leaf(const struct sample *s)
{
	return s->nframes ? s->frames[s->nframes - 1] : "[unknown]";
}

/* The name of a sample's process: its own (a container's, a followed child), else the recording's. */
static const char *process_name(const struct profile *p, uint32_t pid)
{
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i].pid == pid && p->procs[i].comm[0])
			return p->procs[i].comm;
	return p->comm;
}

/* The frames --group-by puts above a stack: e.g. "comm;[trace 4bf9...];[span llm.call]". */
static size_t group_frames(const struct profile *p, const struct sample *s, const char **frames,
			   char *trace, size_t trace_len, char *span, size_t span_len)
{
	const struct span_info *info = profile__span(p, s->span);
	char hex[33];
	size_t n = 0;

	frames[n++] = p->group_by == GROUP_PROCESS ? process_name(p, s->pid) : s->comm;
	if (p->group_by == GROUP_TRACE) {
		if (info)
			hex_id(info->rec->trace_id, sizeof(info->rec->trace_id), hex);
		snprintf(trace, trace_len, info ? "[trace %s]" : "[no trace]", hex);
		frames[n++] = trace;
	}
	if (p->group_by == GROUP_SPAN || (p->group_by == GROUP_TRACE && info)) {
		snprintf(span, span_len, info ? "[span %s]" : "[no span]", info ? info->rec->name : "");
		frames[n++] = span;
	}
	return n;
}

int profile__visit(const struct profile *p, const struct sample_set *set, bool offcpu, stack_visit_fn fn,
		   void *ctx)
{
	char category[32], trace[64], span[SPAN_NAME_LEN + 16];
	const char **frames = NULL;
	int err = 0;

	for (size_t i = 0; i < set->n && !err; i++) {
		const struct sample *s = &set->v[i];
		uint64_t weight = offcpu ? (s->count + 500) / 1000 : s->count;
		const char **v = realloc(frames, (s->nframes + 4) * sizeof(*v));
		size_t n;

		if (!v) {
			err = -ENOMEM;
			break;
		}
		frames = v;
		if (!weight)
			continue;
		n = group_frames(p, s, frames, trace, sizeof(trace), span, sizeof(span));
		if (offcpu) {
			snprintf(category, sizeof(category), "[%s]", category_name(s->category));
			frames[n++] = category;
		}
		for (uint32_t j = 0; j < s->nframes; j++)
			frames[n++] = s->frames[j];
		err = fn(frames, n, weight, ctx);
	}
	free(frames);
	return err;
}

bool profile__sample_of(const struct profile *p, const struct sample *s, uint32_t tid, const char *span_name)
{
	const struct span_info *info;

	if (tid)
		return s->tid == tid;
	if (!span_name)
		return true;
	/* a span's time includes its nested spans': so do its stacks */
	for (info = profile__span(p, s->span); info; info = profile__span(p, info->rec->outer))
		if (!strcmp(info->rec->name, span_name))
			return true;
	return false;
}

static int cmp_peer_wait(const void *a, const void *b)
{
	const struct peer_wait *x = a, *y = b;

	if (x->ns != y->ns)
		return (x->ns < y->ns) - (x->ns > y->ns);
	if (x->peer.family != y->peer.family)
		return (x->peer.family > y->peer.family) - (x->peer.family < y->peer.family);
	return memcmp(x->peer.addr, y->peer.addr, sizeof(x->peer.addr)) ?:
	       (x->peer.port > y->peer.port) - (x->peer.port < y->peer.port);
}

#define LLM_CALLS 8	/* distinct LLM calls counted per peer */

/* Whether LLM calls went to peer, and the one most made ("POST /v1/...", NULL: none). */
static bool llm_peer(const struct profile *p, const struct net_peer *peer, const char **call)
{
	struct {
		const char *name;
		size_t n;
	} calls[LLM_CALLS];
	size_t ncalls = 0, best = 0, k;

	*call = NULL;
	for (size_t i = 0; i < p->nspans; i++) {
		const struct span_rec *r = p->spans[i].rec;

		if (!r->llm || !peer_eq(&r->peer, peer))
			continue;
		for (k = 0; k < ncalls && strcmp(calls[k].name, r->name); k++)
			;
		if (k < ncalls)
			calls[k].n++;
		else if (ncalls < LLM_CALLS)
			calls[ncalls++] = (typeof(calls[0])){ r->name, 1 };
	}
	for (k = 1; k < ncalls; k++)
		if (calls[k].n > calls[best].n ||
		    (calls[k].n == calls[best].n && strcmp(calls[k].name, calls[best].name) < 0))
			best = k;
	if (ncalls)
		*call = calls[best].name + 4;	/* after "llm " */
	return *call || (p->llm && llm_endpoints__match(p->llm, peer));
}

ssize_t profile__peer_waits(const struct profile *p, uint32_t tid, const char *span_name, struct peer_wait **out)
{
	struct peer_wait *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < p->offcpu.n; i++) {
		const struct sample *s = &p->offcpu.v[i];
		size_t k;

		if (s->category != CAT_NET || !peer_known(&s->peer) || !profile__sample_of(p, s, tid, span_name))
			continue;
		for (k = 0; k < n && !peer_eq(&v[k].peer, &s->peer); k++)
			;
		if (k == n) {
			struct peer_wait *grown = realloc(v, (n + 1) * sizeof(*v));

			if (!grown) {
				free(v);
				return -ENOMEM;
			}
			v = grown;
			v[n++] = (struct peer_wait){ .peer = s->peer };
		}
		v[k].ns += s->count;
	}
	for (size_t k = 0; k < n; k++)
		v[k].llm = llm_peer(p, &v[k].peer, &v[k].call);
	if (n)
		qsort(v, n, sizeof(*v), cmp_peer_wait);
	*out = v;
	return n;
}

static int cmp_name_count(const void *a, const void *b)
{
	const struct name_count *x = a, *y = b;

	if (x->count != y->count)
		return (x->count < y->count) - (x->count > y->count);
	return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct name_count *)a)->name, ((const struct name_count *)b)->name);
}

ssize_t profile__leaf_counts(const struct sample_set *set, struct name_count **out)
{
	struct name_count *v = malloc((set->n ? set->n : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++)
		v[i] = (struct name_count){ sample__leaf(&set->v[i]), set->v[i].count };
	/* merge equal names, then order by count */
	qsort(v, set->n, sizeof(*v), cmp_name);
	for (size_t i = 0; i < set->n; i++) {
		if (n && !strcmp(v[n - 1].name, v[i].name))
			v[n - 1].count += v[i].count;
		else
			v[n++] = v[i];
	}
	qsort(v, n, sizeof(*v), cmp_name_count);
	*out = v;
	return n;
}

uint64_t profile__drops(const struct profile *p)
{
	uint64_t n = 0;

	for (int c = 0; c < NR_COUNTERS; c++)
		if (c != CNT_SAMPLES && c != CNT_SPAN_UNKNOWN_END)
			n += p->counters[c];
	return n;
}
