// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Naming the model's frames: each sample's stacks against its own process image, Python and Ruby frames merged in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "symbols/profile_symbolize.h"
#include "python/pyinterp.h"
#include "python/pymerge.h"
#include "ruby/rbinterp.h"
#include "node/v8interp.h"
#include "node/v8merge.h"
#include "symbols/images.h"
#include "symbols/symbolize.h"
#include "base/vec.h"

#define EFAULT_ 14

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
	if (VEC_GROW_N(p->mappings, p->nmappings)) {
		*err = -ENOMEM;
		return -1;
	}
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

/* The interpreter a process runs, as the merge sees it: CPython's or Ruby's (at most one). */
struct interp {
	struct py_interp *py;
	struct rb_interp *rb;
};

/*
 * Whether native frame i runs interpreted code: CPython's eval loop is exported; Ruby's
 * (vm_exec_core) is not, but it is what rb_vm_exec calls.
 */
static bool interp_is_eval(const struct interp *in, const struct sample *s, uint32_t i)
{
	if (in->py)
		return py_interp__is_eval(in->py, call_site(s->user[i], i > 0));
	return i + 1 < s->nuser && rb_interp__is_eval(in->rb, call_site(s->user[i + 1], true));
}

static void interp_frame_name(const struct interp *in, const struct py_frame *f, bool lines, char *buf, size_t len)
{
	if (in->py)
		py_interp__frame_name(in->py, f, lines, buf, len);
	else
		rb_interp__frame_name(in->rb, f, lines, buf, len);
}

/* Whether JavaScript frame j replaces a native frame below frame i (leaf side). */
static bool js_at_below(const int32_t *js_at, uint32_t i, int32_t j)
{
	while (i-- > 0)
		if (js_at[i] == j)
			return true;
	return false;
}

/*
 * Whether native frame i is in JIT code: in no file's mapping (a perf map may name it; the
 * JavaScript frame that ran there names it already).
 */
static bool jit_guess(struct sample *s, struct syms_cache *syms, uint32_t i)
{
	struct user_mapping m;

	return s->user[i] != TRUNCATED_FRAME && syms_cache__mapping(syms, s->pid, s->gen, s->user[i] - 1, &m) == -ENOENT;
}

/* The user frames, root first, with V8's JavaScript frames in place of the native frames they ran at. */
static int push_user_js(struct profile *p, struct sample *s, struct syms_cache *syms, struct v8_interp *v8)
{
	struct frame_origin none = { 0, -1, false };
	int32_t *js_at = calloc(s->nuser + 1, sizeof(*js_at));
	struct py_frame *js = calloc(s->npy + 1, sizeof(*js));
	size_t m, njs = 0;
	int32_t outer = -1;
	char name[1024];
	int err = 0;

	if (!js_at || !js) {
		err = -ENOMEM;
		goto out;
	}
	/* a native frame whose slots looked like a JavaScript frame's is left to the native unwinder */
	for (uint32_t k = 0; k < s->npy; k++)
		if (v8_interp__is_function(v8, &s->py[k]))
			js[njs++] = s->py[k];
	m = v8_merge(s->user, s->nuser, js, njs, js_at);
	/* the frames the native stack lost, at its root side; and the outer ones the walk could not reach */
	if (s->py_flags & (PY_STACK_TRUNCATED | PY_STACK_BAD_READ))
		err = push_frame(s, "[js stack truncated]", none);
	for (size_t k = njs; k-- > m && !err;) {
		v8_interp__frame_name(v8, &js[k], !p->no_py_lines, name, sizeof(name));
		err = push_frame(s, name, none);
	}
	for (uint32_t i = s->nuser; i-- > 0 && !err;) {
		if (js_at[i] >= 0) {
			outer = js_at[i];
			/* a builtin's frame (no script) keeps its symbol: Builtins_AsyncFunctionAwaitResolveClosure, not JS:(anonymous) */
			if (!v8_interp__has_script(v8, &js[outer]) && !jit_guess(s, syms, i)) {
				err = push_native(p, s, syms, i);
				continue;
			}
			v8_interp__frame_name(v8, &js[outer], !p->no_py_lines, name, sizeof(name));
			err = push_frame(s, name, none);
			continue;
		}
		/*
		 * between two JavaScript frames that call each other, an unnamed native frame is the
		 * DWARF unwinder's guess through JIT code that has no unwind table
		 */
		if (outer > 0 && js_at_below(js_at, i, outer - 1) &&
		    jit_guess(s, syms, i))
			continue;
		err = push_native(p, s, syms, i);
	}
out:
	free(js_at);
	free(js);
	return err;
}

/* The user frames, root first, with the interpreter's frames merged in where it runs them. */
static int push_user(struct profile *p, struct sample *s, struct syms_cache *syms)
{
	const struct images *images = syms_cache__images(syms);
	struct interp in = { images__python(images, s->pid), NULL };
	struct v8_interp *v8;
	struct frame_origin none = { 0, -1, false };
	const char *truncated;
	struct merged_frame *merged;
	bool *is_eval, cut;
	char name[1024];
	size_t n;
	int err = 0;

	if (!in.py)
		in.rb = images__ruby(images, s->pid);
	if (!in.py && !in.rb && (s->npy || s->py_flags) && (v8 = images__node(images, s->pid)))
		return push_user_js(p, s, syms, v8);
	if ((!in.py && !in.rb) || (!s->npy && !s->py_flags)) {
		for (uint32_t i = s->nuser; i-- > 0 && !err;)
			err = push_native(p, s, syms, i);
		return err;
	}
	truncated = in.py ? "[python stack truncated]" : "[ruby stack truncated]";
	is_eval = calloc(s->nuser + 1, sizeof(*is_eval));
	merged = calloc(s->nuser + s->npy + 1, sizeof(*merged));
	if (!is_eval || !merged) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < s->nuser; i++)
		is_eval[i] = interp_is_eval(&in, s, i);
	/* the outer frames the BPF side could not walk: marked where they would be, above the last walked */
	cut = s->py_flags & (PY_STACK_TRUNCATED | PY_STACK_BAD_READ);
	if (cut && !s->npy)
		err = push_frame(s, truncated, none);
	n = py_merge(is_eval, s->nuser, s->py, s->npy, merged);
	for (size_t k = 0; k < n && !err; k++) {
		if (cut && merged[k].python && merged[k].index == s->npy - 1 && (err = push_frame(s, truncated, none)))
			break;
		if (!merged[k].python) {
			err = push_native(p, s, syms, merged[k].index);
			continue;
		}
		interp_frame_name(&in, &s->py[merged[k].index], !p->no_py_lines, name, sizeof(name));
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
	struct sample_set *sets[] = { &p->oncpu, &p->offcpu, &p->mem };

	p->nunsupported = images__unsupported(syms_cache__images(syms), p->unsupported, MAX_UNSUPPORTED);
	for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++)
		for (size_t i = 0; i < sets[k]->n; i++) {
			int err = symbolize_sample(p, &sets[k]->v[i], syms);

			if (err)
				return err;
		}
	return 0;
}
