// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A target's V8: its layout read from the v8dbg_* ints the node binary exports (v8offsets.c), its
 * version from V8's own Version::major_ and minor_. A function (its SharedFunctionInfo) is read
 * once, the first time a stack names it: its name from the ScopeInfo (or the String) in
 * name_or_scope_info, its script's name, and the line it starts at, counted in the script's
 * source up to the function's start position. Everything is read from the target with
 * process_vm_readv and checked: tags, instance types, lengths.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include "base/addrtable.h"
#include "base/log.h"
#include "base/util.h"
#include "target/elffile.h"
#include "target/procmaps.h"
#include "node/v8interp.h"
#include "node/v8obj.h"
#include "node/v8offsets.h"

#define MAX_NAME_BYTES	256		/* bytes of a function or script name read */
#define MAX_SOURCE	(4u << 20)	/* bytes of a script's source read to count lines */
#define MAX_STRING_DEPTH 8		/* cons and thin strings followed */
#define SCOPE_SLOTS	16		/* ScopeInfo slots looked at for the name and positions */

struct v8_function {
	uint64_t addr;			/* the tagged SharedFunctionInfo; 0: empty slot */
	char *name, *script;		/* NULL: not a readable function */
	uint32_t line;			/* 0: unknown */
};

struct v8_interp {
	pid_t pid;
	uint32_t version;
	struct v8_offsets off;
	struct addr_table functions;	/* struct v8_function by tagged address */
	uint64_t read_ns;
};

static int peek(const struct v8_interp *v, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!addr)
		return -EFAULT;
	if (!len)
		return 0;
	n = process_vm_readv(v->pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* The field at off of the heap object tagged points to; 0 when unreadable. */
static uint64_t field(const struct v8_interp *v, uint64_t tagged, uint16_t off)
{
	uint64_t x = 0;

	return (tagged & 1) && !peek(v, tagged - 1 + off, &x, sizeof(x)) ? x : 0;
}

/* The instance type of a heap object, or -1. */
static int type_of(const struct v8_interp *v, uint64_t tagged)
{
	uint64_t map = field(v, tagged, v->off.heap_map);
	uint16_t t;

	if (!(map & 1) || peek(v, map - 1 + v->off.map_type, &t, sizeof(t)))
		return -1;
	return t;
}

/*
 * Up to max bytes of the string tagged points to, appended at out[*len] (one-byte strings whole,
 * two-byte ones by their low bytes): 0, or -EINVAL for what is no string this can read.
 */
static int read_string(const struct v8_interp *v, uint64_t tagged, char *out, size_t *len, size_t max, int depth)
{
	const struct v8_offsets *o = &v->off;
	int type = type_of(v, tagged), repr;
	int32_t n;

	if (type < 0 || type >= o->first_nonstring || depth > MAX_STRING_DEPTH)
		return -EINVAL;
	repr = type & o->repr_mask;
	if (repr == o->cons_tag) {
		int err = read_string(v, field(v, tagged, o->cons_first), out, len, max, depth + 1);

		return err ?: read_string(v, field(v, tagged, o->cons_second), out, len, max, depth + 1);
	}
	if (repr == o->thin_tag)
		return read_string(v, field(v, tagged, o->thin_actual), out, len, max, depth + 1);
	if (repr != o->seq_tag || peek(v, tagged - 1 + o->string_length, &n, sizeof(n)) || n < 0)
		return -EINVAL;
	if ((type & o->encoding_mask) == o->one_byte_tag) {
		size_t take = (size_t)n < max - *len ? (size_t)n : max - *len;

		if (peek(v, tagged - 1 + o->seq_one_chars, out + *len, take))
			return -EINVAL;
		*len += take;
		return 0;
	}
	for (int32_t i = 0; i < n && *len < max; i++) {
		uint16_t c;

		if (peek(v, tagged - 1 + o->seq_two_chars + 2 * (size_t)i, &c, sizeof(c)))
			return -EINVAL;
		out[(*len)++] = c < 0x80 ? (char)c : '?';
	}
	return 0;
}

/* A string as a new C string of at most max bytes, or NULL. */
static char *string_dup(const struct v8_interp *v, uint64_t tagged, size_t max)
{
	char *s = malloc(max + 1);
	size_t len = 0;

	if (!s || read_string(v, tagged, s, &len, max, 0)) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

static bool scope_slot_is_string(uint64_t tagged, void *ctx)
{
	const struct v8_interp *v = ctx;
	int type = type_of(v, tagged);

	return type >= 0 && type < v->off.first_nonstring;
}

static void read_function(struct v8_interp *v, struct v8_function *fn)
{
	const struct v8_offsets *o = &v->off;
	uint64_t sfi = fn->addr, nos, script, slots[SCOPE_SLOTS];
	struct v8_scope scope = { -1, 0, 0 };
	char *src;
	size_t len = 0;

	if (type_of(v, sfi) != o->type_sfi)
		return;
	nos = field(v, sfi, o->sfi_name);
	if (type_of(v, nos) == o->type_scope_info) {
		/* ScopeInfo is a HeapObject since V8 9.1: its slots follow its map */
		if (!peek(v, nos - 1 + o->heap_map + 8, slots, sizeof(slots)) &&
		    !v8_scope_parse(slots, SCOPE_SLOTS, o->scope_first_vars, o->scope_ncontext_locals,
				    scope_slot_is_string, v, &scope) && scope.name_slot >= 0)
			fn->name = string_dup(v, slots[scope.name_slot], MAX_NAME_BYTES);
	} else if (scope_slot_is_string(nos, v)) {
		fn->name = string_dup(v, nos, MAX_NAME_BYTES);
	}
	if (!fn->name || !fn->name[0]) {
		free(fn->name);
		fn->name = strdup("(anonymous)");
	}
	script = field(v, sfi, o->sfi_script);
	if (type_of(v, script) != o->type_script)
		return;
	fn->script = string_dup(v, field(v, script, o->script_name), MAX_NAME_BYTES);
	if (!fn->script || scope.start <= 0 || (uint32_t)scope.start > MAX_SOURCE)
		return;
	src = malloc(scope.start);
	if (src && !read_string(v, field(v, script, o->script_source), src, &len, scope.start, 0))
		fn->line = v8_line_of(src, len, scope.start);
	free(src);
}

void v8_interp__read_functions(struct v8_interp *v, const struct py_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool added;
		struct v8_function *fn = addr_table__get(&v->functions, frames[i].code, &added);
		uint64_t start;

		if (!fn || !added)
			continue;
		start = now_ns(CLOCK_MONOTONIC);
		read_function(v, fn);
		v->read_ns += now_ns(CLOCK_MONOTONIC) - start;
	}
}

/* The function of f, read the first time it is asked for; NULL on -ENOMEM. */
static struct v8_function *function_of(struct v8_interp *v, const struct py_frame *f)
{
	bool added;
	struct v8_function *fn = addr_table__get(&v->functions, f->code, &added);

	if (fn && added)
		read_function(v, fn);
	return fn;
}

bool v8_interp__is_function(struct v8_interp *v, const struct py_frame *f)
{
	struct v8_function *fn = function_of(v, f);

	return fn && fn->name;
}

bool v8_interp__has_script(struct v8_interp *v, const struct py_frame *f)
{
	struct v8_function *fn = function_of(v, f);

	return fn && fn->script;
}

void v8_interp__frame_name(struct v8_interp *v, const struct py_frame *f, bool lines, char *buf, size_t len)
{
	struct v8_function *fn = function_of(v, f);

	if (!fn || !fn->name)
		snprintf(buf, len, "[unknown js code]");
	else if (!fn->script)
		snprintf(buf, len, "JS:%s", fn->name);
	else if (!lines || !fn->line)
		snprintf(buf, len, "JS:%s (%s)", fn->name, v8_script_base(fn->script));
	else
		snprintf(buf, len, "JS:%s (%s:%u)", fn->name, v8_script_base(fn->script), fn->line);
}

struct sym_lookup {
	const struct v8_interp *v;
	Elf *elf;
	uint64_t bias;
};

/* A v8dbg_ int: its symbol's address in the target, read there (the .bss ones are 0 in the file). */
static int lookup_sym(const char *name, int32_t *value, void *ctx)
{
	struct sym_lookup *l = ctx;
	struct elf_symbol sym = { .name = name };

	if (elf_file_symbols(l->elf, &sym, 1) != 1 || sym.size != sizeof(*value))
		return -ENOENT;
	return peek(l->v, l->bias + sym.value, value, sizeof(*value)) ? -ENOENT : 0;
}

enum { SYM_FP_FUNCTION, SYM_MAJOR, SYM_MINOR, NR_SYMS };

/* V8 in one file mapped at m, or -ENOENT; -ENOTSUP (and *unsupported) for one this does not read. */
static int probe_file(struct v8_interp *v, const char *root, const struct map_entry *m, uint32_t *unsupported)
{
	struct elf_symbol syms[NR_SYMS] = {
		[SYM_FP_FUNCTION] = { "v8dbg_off_fp_function" },
		[SYM_MAJOR] = { "_ZN2v88internal7Version6major_E" },
		[SYM_MINOR] = { "_ZN2v88internal7Version6minor_E" },
	};
	struct sym_lookup l = { .v = v };
	int32_t major = 0, minor = 0;
	uint64_t vaddr;
	int fd, err;

	err = elf_file_open(root, m->path, &fd, &l.elf);
	if (err)
		err = elf_file_open("", m->path, &fd, &l.elf);
	if (err)
		return -ENOENT;
	elf_file_symbols(l.elf, syms, NR_SYMS);
	err = syms[SYM_MAJOR].found ? elf_file_offset_to_vaddr(l.elf, m->offset, &vaddr) : -ENOENT;
	if (err)
		goto out;
	l.bias = m->start - vaddr;
	if (!peek(v, l.bias + syms[SYM_MAJOR].value, &major, sizeof(major)) &&
	    !peek(v, l.bias + syms[SYM_MINOR].value, &minor, sizeof(minor)) && major > 0 && major < 1000 &&
	    minor >= 0 && minor < 1000)
		v->version = V8_VERSION(major, minor);
	/*
	 * ScopeInfo is a HeapObject from 9.1 and keeps its positions after the name until 12.8: the
	 * range whose names and lines this reads (checked on V8 11.3, Node 20)
	 */
	if (!syms[SYM_FP_FUNCTION].found || v->version < V8_VERSION(9, 1) || v->version >= V8_VERSION(12, 8) ||
	    v8_offsets__parse(lookup_sym, &l, &v->off)) {
		if (unsupported)
			*unsupported = v->version;
		pr_info("%s: V8 %d.%d is not supported (9.1 to 12.7 with its v8dbg_ metadata is): no JavaScript frames\n",
			m->path, major, minor);
		err = -ENOTSUP;
		goto out;
	}
	pr_debug("V8 %d.%d in %s: JSFunction at fp%+d\n", major, minor, m->path, v->off.bpf.fp_function);
out:
	elf_file_close(fd, l.elf);
	return err;
}

/* Only files named node* or libnode* are looked into, as python* for CPython (pyinterp.c). */
static const char *const names[] = { "node", "libnode", NULL };

struct v8_interp *v8_interp__open(pid_t pid, const char *root, const struct proc_maps *maps, uint32_t *unsupported)
{
	struct v8_interp *v = calloc(1, sizeof(*v));
	int err = -ENOENT;

	if (!v)
		return NULL;
	v->pid = pid;
	v->functions = ADDR_TABLE_OF(struct v8_function);
	for (size_t i = proc_maps__next_named(maps, 0, names); i < maps->n && err == -ENOENT;
	     i = proc_maps__next_named(maps, i + 1, names))
		err = probe_file(v, root, &maps->v[i], unsupported);
	if (err) {
		free(v);
		errno = -err;
		return NULL;
	}
	return v;
}

void v8_interp__free(struct v8_interp *v)
{
	if (!v)
		return;
	if (v->functions.n)
		pr_info("V8: %zu functions read in %.2f ms, %.1f us each\n", v->functions.n, v->read_ns / 1e6,
			v->read_ns / 1e3 / v->functions.n);
	for (size_t i = 0; i < v->functions.cap; i++) {
		struct v8_function *fn = addr_table__slot(&v->functions, i);

		if (fn) {
			free(fn->name);
			free(fn->script);
		}
	}
	addr_table__free(&v->functions);
	free(v);
}

const struct v8_config *v8_interp__config(const struct v8_interp *v)
{
	return &v->off.bpf;
}

uint32_t v8_interp__version(const struct v8_interp *v)
{
	return v->version;
}
