// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A target's CPython interpreter. Found by the symbols of the file that holds it (the python
 * executable when libpython is linked in statically, as Debian does, else libpython3.x.so): its
 * version from Py_Version, its offsets from pyoffsets.c. Its code objects are read from the
 * target's memory with process_vm_readv, once each: that memory is the target's and may be
 * anything, so every length is capped and every object's type checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include "target/elffile.h"
#include "base/addrtable.h"
#include "base/log.h"
#include "target/procmaps.h"
#include "python/pyinterp.h"
#include "python/pyobj.h"
#include "python/pyoffsets.h"
#include "base/util.h"

#define MAX_NAME_CHARS	256		/* characters of a qualname or file name read */
#define MAX_LINETABLE	(64 << 10)	/* bytes of a location table read */
#define CODE_HEAD	512		/* bytes of a code object read: every field used lies in them */
#define STR_HEAD	128		/* bytes of a str's header read */

struct py_code {
	uint64_t addr;			/* 0: empty slot */
	char *qualname, *file;		/* NULL: not a readable code object */
	uint8_t *linetable;
	uint32_t nlinetable;
	int firstlineno;
};

struct py_interp {
	pid_t pid;
	struct py_offsets off;
	struct py_config cfg;
	uint64_t eval_start, eval_end;	/* _PyEval_EvalFrameDefault in the target */
	uint64_t code_type;		/* &PyCode_Type in the target */
	struct addr_table codes;	/* struct py_code by address */
	uint64_t read_ns;		/* time spent reading code objects, said with -v */
};

/* Reads len bytes of the target at addr, all or nothing: 0 or -errno. */
static int peek(const struct py_interp *p, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!addr)
		return -EFAULT;
	n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static uint64_t u64_at(const uint8_t *b, uint16_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

enum { SYM_RUNTIME, SYM_EVAL, SYM_VERSION, SYM_CODE_TYPE, NR_SYMS };

/* The interpreter in one file mapped at m, or -ENOENT; the file is the target's, opened through root. */
static int probe_file(struct py_interp *p, const char *root, const struct map_entry *m, uint32_t *unsupported)
{
	struct elf_symbol syms[NR_SYMS] = {
		[SYM_RUNTIME] = { "_PyRuntime" }, [SYM_EVAL] = { "_PyEval_EvalFrameDefault" },
		[SYM_VERSION] = { "Py_Version" }, [SYM_CODE_TYPE] = { "PyCode_Type" },
	};
	uint64_t vaddr, bias, version = 0;
	uint8_t debug[PY_DEBUG_OFFSETS_LEN];
	Elf *elf;
	int fd, err;

	err = elf_file_open(root, m->path, &fd, &elf);
	if (err)
		err = elf_file_open("", m->path, &fd, &elf);
	if (err)
		return -ENOENT;
	elf_file_symbols(elf, syms, NR_SYMS);
	err = syms[SYM_RUNTIME].found && syms[SYM_EVAL].found ? elf_file_offset_to_vaddr(elf, m->offset, &vaddr)
							      : -ENOENT;
	elf_file_close(fd, elf);
	if (err)
		return -ENOENT;
	bias = m->start - vaddr;
	if (!syms[SYM_VERSION].found || !syms[SYM_CODE_TYPE].found ||
	    peek(p, bias + syms[SYM_VERSION].value, &version, sizeof(version))) {
		pr_info("%s: a Python interpreter older than 3.11 (no Py_Version): no Python frames\n", m->path);
		return -ENOTSUP;
	}
	version &= 0xffffffff;
	err = py_offsets__for_version(version, &p->off);
	if (err == -ENOTSUP && (version >> 16) == 0x030d) {
		err = peek(p, bias + syms[SYM_RUNTIME].value, debug, sizeof(debug));
		err = err ?: py_offsets__from_debug(debug, sizeof(debug), &p->off);
	}
	if (err) {
		if (unsupported)
			*unsupported = version;
		pr_info("%s: Python %u.%u is not supported (3.11 to 3.13 are): no Python frames\n", m->path,
			(unsigned int)(version >> 24), (unsigned int)(version >> 16) & 0xff);
		return -ENOTSUP;
	}
	p->cfg = p->off.bpf;
	p->cfg.runtime = bias + syms[SYM_RUNTIME].value;
	p->eval_start = bias + syms[SYM_EVAL].value;
	p->eval_end = p->eval_start + (syms[SYM_EVAL].size ?: 1);
	p->code_type = bias + syms[SYM_CODE_TYPE].value;
	pr_debug("Python %x in %s: _PyRuntime at 0x%llx\n", (unsigned int)version, m->path,
		 (unsigned long long)p->cfg.runtime);
	return 0;
}

/*
 * Only files named python* or libpython* are looked into: reading the symbol tables of every
 * library of a large process (libtorch's hold hundreds of thousands) would delay every recording.
 */
static const char *const names[] = { "python", "libpython", NULL };

struct py_interp *py_interp__open(pid_t pid, const char *root, const struct proc_maps *maps, uint32_t *unsupported)
{
	struct py_interp *p = calloc(1, sizeof(*p));
	int err = -ENOENT;

	if (!p)
		return NULL;
	p->pid = pid;
	p->codes = ADDR_TABLE_OF(struct py_code);
	for (size_t i = proc_maps__next_named(maps, 0, names); i < maps->n && err == -ENOENT;
	     i = proc_maps__next_named(maps, i + 1, names))
		err = probe_file(p, root, &maps->v[i], unsupported);
	if (err) {
		free(p);
		errno = -err;
		return NULL;
	}
	return p;
}

void py_interp__free(struct py_interp *p)
{
	if (!p)
		return;
	if (p->codes.n)
		pr_info("Python: %zu code objects read in %.2f ms, %.1f us each\n", p->codes.n, p->read_ns / 1e6,
			p->read_ns / 1e3 / p->codes.n);
	for (size_t i = 0; i < p->codes.cap; i++) {
		struct py_code *c = addr_table__slot(&p->codes, i);

		if (!c)
			continue;
		free(c->qualname);
		free(c->file);
		free(c->linetable);
	}
	addr_table__free(&p->codes);
	free(p);
}

const struct py_config *py_interp__config(const struct py_interp *p)
{
	return &p->cfg;
}

uint32_t py_interp__version(const struct py_interp *p)
{
	return p->off.version;
}

bool py_interp__is_eval(const struct py_interp *p, uint64_t addr)
{
	return addr >= p->eval_start && addr < p->eval_end;
}

/* A str object's text as UTF-8 (compact strings only: every name the compiler makes is one). */
static char *read_str(const struct py_interp *p, uint64_t addr)
{
	const struct py_offsets *o = &p->off;
	uint8_t head[STR_HEAD];
	char out[MAX_NAME_CHARS * 4 + 1];
	struct py_str_state st;
	uint64_t n, data;
	uint32_t state;
	void *chars;

	if (o->str_compact_data + 8u > sizeof(head) || peek(p, addr, head, o->str_compact_data))
		return NULL;
	memcpy(&state, head + o->str_state, sizeof(state));
	st = py_str_state(state);
	n = u64_at(head, o->str_length);
	if (!st.compact || (st.kind != 1 && st.kind != 2 && st.kind != 4) || (st.ascii && st.kind != 1))
		return NULL;
	if (n > MAX_NAME_CHARS)
		n = MAX_NAME_CHARS;
	data = addr + (st.ascii ? o->str_ascii_data : o->str_compact_data);
	chars = malloc(n * st.kind + 1);
	if (!chars)
		return NULL;
	if (peek(p, data, chars, n * st.kind)) {
		free(chars);
		return NULL;
	}
	py_str_to_utf8(st.kind, chars, n, out, sizeof(out));
	free(chars);
	return strdup(out);
}

/* A bytes object's contents (at most max bytes); *len set. */
static uint8_t *read_bytes(const struct py_interp *p, uint64_t addr, size_t max, uint32_t *len)
{
	const struct py_offsets *o = &p->off;
	uint64_t n;
	uint8_t *b;

	if (peek(p, addr + o->bytes_size, &n, sizeof(n)))
		return NULL;
	if (n > max)
		n = max;
	b = malloc(n ?: 1);
	if (b && peek(p, addr + o->bytes_data, b, n)) {
		free(b);
		return NULL;
	}
	*len = n;
	return b;
}

static void read_code(const struct py_interp *p, struct py_code *c)
{
	const struct py_offsets *o = &p->off;
	uint8_t head[CODE_HEAD];
	int32_t first;

	if (peek(p, c->addr, head, sizeof(head)) || u64_at(head, o->ob_type) != p->code_type)
		return;	/* gone, or not a code object (hostile or torn memory): unnamed */
	memcpy(&first, head + o->code_firstlineno, sizeof(first));
	c->firstlineno = first;
	c->qualname = read_str(p, u64_at(head, o->code_qualname));
	c->file = read_str(p, u64_at(head, o->code_filename));
	c->linetable = read_bytes(p, u64_at(head, o->code_linetable), MAX_LINETABLE, &c->nlinetable);
	if (!c->qualname || !c->file) {
		free(c->qualname);
		free(c->file);
		c->qualname = c->file = NULL;
	}
}

/* The cache entry of a code object, read on first use; NULL only on -ENOMEM. */
static struct py_code *code_of(struct py_interp *p, uint64_t addr)
{
	bool added;
	struct py_code *e = addr_table__get(&p->codes, addr, &added);
	uint64_t start;

	if (!e || !added)
		return e;
	start = now_ns(CLOCK_MONOTONIC);
	read_code(p, e);
	p->read_ns += now_ns(CLOCK_MONOTONIC) - start;
	return e;
}

void py_interp__read_codes(struct py_interp *p, const struct py_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (frames[i].code)
			code_of(p, frames[i].code);
}

/* "dir/file.py" for a package's __init__.py or __main__.py, else the file's base name. */
static const char *short_file(const char *path)
{
	const char *base = strrchr(path, '/'), *dir;

	if (!base)
		return path;
	if (strcmp(base, "/__init__.py") && strcmp(base, "/__main__.py"))
		return base + 1;
	for (dir = base; dir > path && dir[-1] != '/'; dir--)
		;
	return dir;
}

void py_interp__frame_name(struct py_interp *p, const struct py_frame *f, bool lines, char *buf, size_t len)
{
	struct py_code *c = f->code ? code_of(p, f->code) : NULL;
	int line;

	if (!c || !c->qualname) {
		snprintf(buf, len, "[unknown python code]");
		return;
	}
	if (!lines) {
		snprintf(buf, len, "%s (%s)", c->qualname, short_file(c->file));
		return;
	}
	/* an offset before the first instruction (a frame just pushed) reads as the def line */
	line = f->instr >= 0x80000000u ? c->firstlineno
				       : py_linetable_line(c->linetable, c->nlinetable, c->firstlineno, f->instr);
	if (line < 0)
		snprintf(buf, len, "%s (%s)", c->qualname, short_file(c->file));
	else
		snprintf(buf, len, "%s (%s:%d)", c->qualname, short_file(c->file), line);
}
