// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A target's Ruby VM. Found by the dynamic symbols of the file that holds it (libruby-3.x.so, or a
 * ruby built statically): its version from ruby_version, its offsets from rboffsets.c. Its iseqs
 * are read from the target's memory with process_vm_readv, once each: that memory is the
 * target's and may be anything, so every length is capped and every object's type checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include "base/addrtable.h"
#include "base/log.h"
#include "base/text.h"
#include "base/util.h"
#include "target/elffile.h"
#include "target/procmaps.h"
#include "ruby/rbinterp.h"
#include "ruby/rbobj.h"
#include "ruby/rboffsets.h"

#define MAX_NAME_BYTES	512		/* bytes of a label or path read */
#define MAX_INSNS	(1u << 16)	/* instruction-info entries read */
#define MAX_ISEQ_SIZE	(1u << 24)	/* VALUEs of an iseq believed */
#define VERSION_BYTES	16

struct rb_iseq {
	uint64_t addr;			/* 0: empty slot */
	char *label, *path;		/* NULL: not a readable iseq */
	uint32_t encoded;		/* low 32 bits of the address of its first instruction */
	uint32_t size;			/* VALUEs */
	int first_lineno;
	int32_t *lines;			/* line of each instruction-info entry */
	uint32_t nlines;
	uint8_t *succ;			/* its succinct index table */
	size_t nsucc;
};

struct rb_interp {
	pid_t pid;
	struct rb_offsets off;
	struct rb_config cfg;
	uint64_t exec_start, exec_end;	/* rb_vm_exec in the target */
	struct addr_table iseqs;	/* struct rb_iseq by address */
	uint64_t read_ns;
};

static int peek(const struct rb_interp *r, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!addr)
		return -EFAULT;
	if (!len)
		return 0;
	n = process_vm_readv(r->pid, &local, 1, &remote, 1, 0);
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

enum { SYM_VM_PTR, SYM_VERSION, SYM_EXEC, NR_SYMS };

/* The VM in one file mapped at m, or -ENOENT; -ENOTSUP (and *unsupported) for another version. */
static int probe_file(struct rb_interp *r, const char *root, const struct map_entry *m, uint32_t *unsupported)
{
	struct elf_symbol syms[NR_SYMS] = {
		[SYM_VM_PTR] = { "ruby_current_vm_ptr" }, [SYM_VERSION] = { "ruby_version" },
		[SYM_EXEC] = { "rb_vm_exec" },
	};
	char version[VERSION_BYTES] = "";
	uint64_t vaddr, bias;
	uint32_t v = 0;
	Elf *elf;
	int fd, err;

	err = elf_file_open(root, m->path, &fd, &elf);
	if (err)
		err = elf_file_open("", m->path, &fd, &elf);
	if (err)
		return -ENOENT;
	elf_file_symbols(elf, syms, NR_SYMS);
	err = syms[SYM_VM_PTR].found && syms[SYM_VERSION].found ? elf_file_offset_to_vaddr(elf, m->offset, &vaddr)
								 : -ENOENT;
	elf_file_close(fd, elf);
	if (err)
		return -ENOENT;
	bias = m->start - vaddr;
	if (peek(r, bias + syms[SYM_VERSION].value, version, sizeof(version) - 1) ||
	    rb_version_parse(version, sizeof(version), &v) ||
	    (err = rb_offsets__for_version(v, &r->off)) || !syms[SYM_EXEC].found) {
		if (unsupported)
			*unsupported = v;
		pr_info("%s: Ruby %s is not supported (3.1 is): no Ruby frames\n", m->path, v ? version : "?");
		return -ENOTSUP;
	}
	r->cfg = r->off.bpf;
	r->cfg.vm_ptr = bias + syms[SYM_VM_PTR].value;
	r->exec_start = bias + syms[SYM_EXEC].value;
	r->exec_end = r->exec_start + (syms[SYM_EXEC].size ?: 1);
	pr_debug("Ruby %s in %s: ruby_current_vm_ptr at 0x%llx\n", version, m->path,
		 (unsigned long long)r->cfg.vm_ptr);
	return 0;
}

/* Only files named libruby* or ruby* are looked into, as python* for CPython (pyinterp.c). */
static const char *const names[] = { "libruby", "ruby", NULL };

struct rb_interp *rb_interp__open(pid_t pid, const char *root, const struct proc_maps *maps, uint32_t *unsupported)
{
	struct rb_interp *r = calloc(1, sizeof(*r));
	int err = -ENOENT;

	if (!r)
		return NULL;
	r->pid = pid;
	r->iseqs = ADDR_TABLE_OF(struct rb_iseq);
	for (size_t i = proc_maps__next_named(maps, 0, names); i < maps->n && err == -ENOENT;
	     i = proc_maps__next_named(maps, i + 1, names))
		err = probe_file(r, root, &maps->v[i], unsupported);
	if (err) {
		free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

static void iseq_clear(struct rb_iseq *q)
{
	free(q->label);
	free(q->path);
	free(q->lines);
	free(q->succ);
	q->label = q->path = NULL;
	q->lines = NULL;
	q->succ = NULL;
}

void rb_interp__free(struct rb_interp *r)
{
	if (!r)
		return;
	if (r->iseqs.n)
		pr_info("Ruby: %zu iseqs read in %.2f ms, %.1f us each\n", r->iseqs.n, r->read_ns / 1e6,
			r->read_ns / 1e3 / r->iseqs.n);
	for (size_t i = 0; i < r->iseqs.cap; i++)
		if (addr_table__slot(&r->iseqs, i))
			iseq_clear(addr_table__slot(&r->iseqs, i));
	addr_table__free(&r->iseqs);
	free(r);
}

const struct rb_config *rb_interp__config(const struct rb_interp *r)
{
	return &r->cfg;
}

uint32_t rb_interp__version(const struct rb_interp *r)
{
	return r->off.version;
}

bool rb_interp__is_eval(const struct rb_interp *r, uint64_t caller)
{
	return caller >= r->exec_start && caller < r->exec_end;
}

/* A String's text, valid UTF-8 (NULL when addr is no String). */
static char *read_str(const struct rb_interp *r, uint64_t addr)
{
	uint8_t head[RB_RSTRING_HEAD];
	char raw[MAX_NAME_BYTES + 1], out[MAX_NAME_BYTES + 1];
	struct rb_str_loc loc;

	if (peek(r, addr, head, sizeof(head)) || rb_str_loc(head, &loc))
		return NULL;
	if (loc.len > MAX_NAME_BYTES)
		loc.len = MAX_NAME_BYTES;
	if (loc.embedded)
		memcpy(raw, head + loc.off, loc.len);
	else if (peek(r, loc.ptr, raw, loc.len))
		return NULL;
	raw[loc.len] = '\0';
	utf8_sanitize(raw, out, sizeof(out));
	return strdup(out);
}

/* An iseq's path: its pathobj is a String, or an Array [path, realpath]. */
static char *read_path(const struct rb_interp *r, uint64_t pathobj)
{
	uint8_t head[RB_RARRAY_HEAD];
	uint64_t elem, ptr;

	if (peek(r, pathobj, head, sizeof(head)))
		return NULL;
	if ((u64_at(head, 0) & RB_T_MASK) == RB_T_STRING)
		return read_str(r, pathobj);
	if (rb_array_first(head, &elem, &ptr) || (ptr && peek(r, ptr, &elem, sizeof(elem))))
		return NULL;
	return read_str(r, elem);
}

static void read_lines(const struct rb_interp *r, struct rb_iseq *q, const uint8_t *body)
{
	const struct rb_offsets *o = &r->off;
	uint32_t n, esz = o->insn_entry_size;
	uint8_t *entries;

	memcpy(&n, body + o->body_insns_size, sizeof(n));
	if (!n || n > MAX_INSNS || esz < 4 || !(entries = malloc((size_t)n * esz)))
		return;
	if (peek(r, u64_at(body, o->body_insns), entries, (size_t)n * esz) || !(q->lines = malloc(n * sizeof(*q->lines)))) {
		free(entries);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		memcpy(&q->lines[i], entries + (size_t)i * esz, sizeof(int32_t));
	free(entries);
	q->nlines = n;
	if (n == 1)
		return;	/* every instruction is on that line: Ruby keeps no table */
	q->nsucc = rb_succ_table_size(q->size);
	q->succ = malloc(q->nsucc);
	if (q->succ && peek(r, u64_at(body, o->body_succ), q->succ, q->nsucc)) {
		free(q->succ);
		q->succ = NULL;
	}
}

static void read_iseq(const struct rb_interp *r, struct rb_iseq *q)
{
	const struct rb_offsets *o = &r->off;
	uint8_t body[256];
	uint64_t addr, first;

	if (o->body_read > sizeof(body) || peek(r, q->addr + o->iseq_body, &addr, sizeof(addr)) ||
	    peek(r, addr, body, o->body_read))
		return;	/* gone, or not an iseq (hostile or torn memory): unnamed */
	memcpy(&q->size, body + o->body_size, sizeof(q->size));
	if (q->size > MAX_ISEQ_SIZE)
		return;
	q->encoded = (uint32_t)u64_at(body, o->body_encoded);
	first = u64_at(body, o->body_first_lineno);
	q->first_lineno = (first & 1) ? (int)((int64_t)first >> 1) : 0;	/* a Fixnum */
	q->label = read_str(r, u64_at(body, o->body_label));
	q->path = read_path(r, u64_at(body, o->body_pathobj));
	if (!q->label || !q->path) {
		iseq_clear(q);
		return;
	}
	read_lines(r, q, body);
}

/* The cache entry of an iseq, read on first use; NULL only on -ENOMEM. */
static struct rb_iseq *iseq_of(struct rb_interp *r, uint64_t addr)
{
	bool added;
	struct rb_iseq *e = addr_table__get(&r->iseqs, addr, &added);
	uint64_t start;

	if (!e || !added)
		return e;
	start = now_ns(CLOCK_MONOTONIC);
	read_iseq(r, e);
	r->read_ns += now_ns(CLOCK_MONOTONIC) - start;
	return e;
}

void rb_interp__read_iseqs(struct rb_interp *r, const struct py_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (frames[i].code)
			iseq_of(r, frames[i].code);
}

/* The line of the instruction before pc (pc names the next one, as Ruby's own calc_pos says); -1: none. */
static int line_of(const struct rb_iseq *q, uint32_t pc)
{
	uint32_t pos = (uint32_t)(pc - q->encoded) / 8;	/* modulo 2^32: exact, an iseq is smaller */
	long rank;

	if (!q->nlines || pos > q->size)
		return -1;
	if (q->nlines == 1)
		return q->lines[0];
	if (pos)
		pos--;
	rank = q->succ ? rb_succ_rank(q->succ, q->nsucc, pos) : -1;
	return rank >= 1 && (uint64_t)rank <= q->nlines ? q->lines[rank - 1] : -1;
}

static const char *base_name(const char *path)
{
	const char *base = strrchr(path, '/');

	return base ? base + 1 : path;
}

void rb_interp__frame_name(struct rb_interp *r, const struct py_frame *f, bool lines, char *buf, size_t len)
{
	struct rb_iseq *q = f->code ? iseq_of(r, f->code) : NULL;
	int line;

	if (!q || !q->label) {
		snprintf(buf, len, "[unknown ruby code]");
		return;
	}
	line = lines ? line_of(q, f->instr) : -1;
	if (line < 0)
		snprintf(buf, len, "%s (%s)", q->label, base_name(q->path));
	else
		snprintf(buf, len, "%s (%s:%d)", q->label, base_name(q->path), line);
}
