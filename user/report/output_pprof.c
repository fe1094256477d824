// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cpu.pb.gz and offcpu.pb.gz: the recording in pprof's format (profile.proto, gzipped), as go tool
 * pprof, Pyroscope and Parca read it. Each sample is labelled with its thread and, off CPU, its
 * wait reason (and peer, for a wait on one IP socket); samples taken in a span also with trace_id, span_id and span_name, the keys of
 * Pyroscope's span profiles (see spanref.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "base/intern.h"
#include "report/output.h"
#include "report/pb.h"
#include "report/spanref.h"
#include "base/text.h"

/* Field numbers of github.com/google/pprof/proto/profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE, PROFILE_MAPPING, PROFILE_LOCATION, PROFILE_FUNCTION,
	PROFILE_STRING_TABLE, PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS, PROFILE_PERIOD_TYPE,
	PROFILE_PERIOD, PROFILE_COMMENT, PROFILE_DEFAULT_SAMPLE_TYPE,
};
enum { VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE, SAMPLE_LABEL };
enum { LABEL_KEY = 1, LABEL_STR, LABEL_NUM };
enum {
	MAPPING_ID = 1, MAPPING_MEMORY_START, MAPPING_MEMORY_LIMIT, MAPPING_FILE_OFFSET, MAPPING_FILENAME,
	MAPPING_BUILD_ID, MAPPING_HAS_FUNCTIONS,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID, LOCATION_ADDRESS, LOCATION_LINE };
enum { LINE_FUNCTION_ID = 1 };
enum { FUNCTION_ID = 1, FUNCTION_NAME, FUNCTION_SYSTEM_NAME };

#define KERNEL_MAPPING "[kernel.kallsyms]"	/* what perf and pprof call the kernel */
#define KSUFFIX "_[k]"

struct function_key {
	uint64_t name;		/* string index */
};

struct location_key {
	uint64_t addr;
	int64_t mapping;	/* index in profile.mappings, -1: none, -2: the kernel */
	uint64_t function;	/* function id */
};

struct writer {
	const struct profile *p;
	struct pb out;
	struct intern strings, functions, locations;
	uint64_t kernel_lo, kernel_hi;	/* the kernel addresses seen: [lo, hi] */
	int err;
};

/* String index; a failure is kept in w->err and the index 0 ("") stands in. */
static uint64_t str(struct writer *w, const char *s)
{
	int64_t id = intern__id(&w->strings, s, strlen(s));

	if (id < 0) {
		w->err = id;
		return 0;
	}
	return id;
}

static void value_type(struct writer *w, uint32_t field, const char *type, const char *unit)
{
	size_t m = pb__begin(&w->out, field);

	pb__int(&w->out, VALUE_TYPE_TYPE, str(w, type));
	pb__int(&w->out, VALUE_TYPE_UNIT, str(w, unit));
	pb__end(&w->out, m);
}

static bool is_kernel_name(const char *name)
{
	size_t n = strlen(name), k = strlen(KSUFFIX);

	return n > k && !strcmp(name + n - k, KSUFFIX);
}

/* The location of frame i of s, added when new: its id (from 1), or 0 after an error. */
static uint64_t location(struct writer *w, const struct sample *s, uint32_t i)
{
	struct frame_origin o = s->origins ? s->origins[i] : (struct frame_origin){ 0, -1, false };
	/* a profile built by hand has names only: kernel frames are known by their suffix */
	bool kernel = s->origins ? o.kernel : is_kernel_name(s->frames[i]);
	char name[1024];
	struct function_key fk;
	struct location_key lk;
	int64_t id;

	utf8_sanitize(s->frames[i], name, sizeof(name));
	if (kernel && is_kernel_name(name))	/* the mapping says kernel, as pprof readers expect */
		name[strlen(name) - strlen(KSUFFIX)] = '\0';
	fk = (struct function_key){ str(w, name) };
	id = intern__id(&w->functions, &fk, sizeof(fk));
	if (id < 0) {
		w->err = id;
		return 0;
	}
	memset(&lk, 0, sizeof(lk));	/* hashed as bytes: no stray padding */
	lk.addr = o.addr;
	lk.mapping = kernel && o.addr ? -2 : o.mapping;
	lk.function = id + 1;
	if (lk.mapping == -2) {
		if (!w->kernel_lo || o.addr < w->kernel_lo)
			w->kernel_lo = o.addr;
		if (o.addr > w->kernel_hi)
			w->kernel_hi = o.addr;
	}
	id = intern__id(&w->locations, &lk, sizeof(lk));
	if (id < 0) {
		w->err = id;
		return 0;
	}
	return id + 1;
}

static void label_str(struct writer *w, const char *key, const char *value)
{
	char buf[256];
	size_t m = pb__begin(&w->out, SAMPLE_LABEL);

	utf8_sanitize(value, buf, sizeof(buf));
	pb__int(&w->out, LABEL_KEY, str(w, key));
	pb__int(&w->out, LABEL_STR, str(w, buf));
	pb__end(&w->out, m);
}

static void label_num(struct writer *w, const char *key, int64_t value)
{
	size_t m = pb__begin(&w->out, SAMPLE_LABEL);

	pb__int(&w->out, LABEL_KEY, str(w, key));
	pb__int(&w->out, LABEL_NUM, value);
	pb__end(&w->out, m);
}

enum pprof_kind { PPROF_CPU, PPROF_OFFCPU, PPROF_MEM };

/*
 * Memory's sample types, as Go's heap profiles name them: resident bytes faulted in (alloc) and
 * kept (inuse), then the virtual side: anonymous mappings and heap growth made, and kept mapped.
 */
static const char *const mem_types[] = { "alloc_space", "inuse_space", "mapped_space", "inuse_mapped" };

static void sample(struct writer *w, const struct sample *s, enum pprof_kind kind, uint64_t period)
{
	bool offcpu = kind == PPROF_OFFCPU;
	struct span_ref span;
	size_t m, ids;

	m = pb__begin(&w->out, PROFILE_SAMPLE);
	ids = pb__begin(&w->out, SAMPLE_LOCATION_ID);
	for (uint32_t i = s->nframes; i-- > 0;)	/* pprof lists the leaf first */
		pb__varint(&w->out, location(w, s, i));
	pb__end(&w->out, ids);
	ids = pb__begin(&w->out, SAMPLE_VALUE);
	if (kind == PPROF_MEM) {	/* the order of mem_types */
		pb__varint(&w->out, s->mem.faulted);
		pb__varint(&w->out, s->count);
		pb__varint(&w->out, s->mem.mapped);
		pb__varint(&w->out, s->mem.mapped > s->mem.unmapped ? s->mem.mapped - s->mem.unmapped : 0);
	} else {
		pb__varint(&w->out, offcpu ? s->intervals : s->count);
		pb__varint(&w->out, offcpu ? s->count : s->count * period);
	}
	pb__end(&w->out, ids);
	label_str(w, "thread", s->comm);
	label_num(w, "tid", s->tid);
	if (w->p->cgroup)	/* a container's processes: -tagfocus=pid=... picks one */
		label_num(w, "pid", s->pid);
	if (offcpu)
		label_str(w, "wait", category_name(s->category));
	if (offcpu && peer_known(&s->peer)) {
		char peer[PEER_STR_LEN];

		peer_str(&s->peer, peer, sizeof(peer));
		label_str(w, "peer", peer);
	}
	if (sample_span(w->p, s, &span)) {
		label_str(w, "trace_id", span.trace_id);
		label_str(w, "span_id", span.span_id);
		label_str(w, "span_name", span.name);
	}
	pb__end(&w->out, m);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* A total order on samples, so that equal recordings give equal files. */
static int cmp_sample(const void *a, const void *b)
{
	const struct sample *x = *(const struct sample *const *)a, *y = *(const struct sample *const *)b;
	int c = cmp_u64(x->tid, y->tid) ?: strcmp(x->comm, y->comm) ?: cmp_u64(x->category, y->category);

	for (uint32_t i = 0; !c && i < x->nframes && i < y->nframes; i++)
		c = strcmp(x->frames[i], y->frames[i]) ?:
		    (x->origins && y->origins ? cmp_u64(x->origins[i].addr, y->origins[i].addr) : 0);
	return c ?: cmp_u64(x->nframes, y->nframes) ?: cmp_u64(x->count, y->count) ?:
		    cmp_u64(x->intervals, y->intervals) ?: cmp_u64(x->waker_tid, y->waker_tid) ?:
		    memcmp(&x->peer, &y->peer, sizeof(x->peer));
}

static int cmp_mapping(const void *a, const void *b)
{
	const struct profile_mapping *x = *(const struct profile_mapping *const *)a;
	const struct profile_mapping *y = *(const struct profile_mapping *const *)b;

	return cmp_u64(x->start, y->start) ?: cmp_u64(x->end, y->end) ?: strcmp(x->path, y->path);
}

static void mapping(struct writer *w, uint64_t id, uint64_t start, uint64_t limit, uint64_t offset,
		    const char *path, const char *build_id)
{
	size_t m = pb__begin(&w->out, PROFILE_MAPPING);
	char buf[1024];

	utf8_sanitize(path, buf, sizeof(buf));
	pb__uint(&w->out, MAPPING_ID, id);
	pb__uint(&w->out, MAPPING_MEMORY_START, start);
	pb__uint(&w->out, MAPPING_MEMORY_LIMIT, limit);
	pb__uint(&w->out, MAPPING_FILE_OFFSET, offset);
	pb__int(&w->out, MAPPING_FILENAME, str(w, buf));
	pb__int(&w->out, MAPPING_BUILD_ID, str(w, build_id));
	pb__uint(&w->out, MAPPING_HAS_FUNCTIONS, 1);	/* every location is named: nothing to look up */
	pb__end(&w->out, m);
}

/*
 * The mappings the locations use, numbered by address (so the executable, lowest, is usually
 * mapping 1, which pprof takes as the main binary), then the kernel's. ids[i] is the id of
 * profile mapping i (0: unused); *kernel_id the kernel's.
 */
static int mappings(struct writer *w, uint64_t *ids, uint64_t *kernel_id)
{
	const struct profile *p = w->p;
	const struct profile_mapping **used = calloc(p->nmappings + 1, sizeof(*used));
	bool kernel = false;
	size_t n = 0;
	uint64_t next = 1;

	if (!used)
		return -ENOMEM;
	for (size_t i = 0; i < w->locations.n; i++) {
		const struct location_key *lk = (const void *)w->locations.keys[i];

		if (lk->mapping >= 0 && !ids[lk->mapping]) {
			ids[lk->mapping] = 1;
			used[n++] = &p->mappings[lk->mapping];
		}
		kernel |= lk->mapping == -2;
	}
	qsort(used, n, sizeof(*used), cmp_mapping);
	for (size_t i = 0; i < n; i++) {
		const struct profile_mapping *m = used[i];

		ids[m - p->mappings] = next;
		mapping(w, next++, m->start, m->end, m->offset, m->path, m->build_id);
	}
	*kernel_id = kernel ? next : 0;
	if (kernel)
		mapping(w, next, w->kernel_lo, w->kernel_hi + 1, 0, KERNEL_MAPPING, "");
	free(used);
	return 0;
}

static int locations_and_functions(struct writer *w)
{
	uint64_t *ids = calloc(w->p->nmappings + 1, sizeof(*ids)), kernel_id;
	int err = ids ? mappings(w, ids, &kernel_id) : -ENOMEM;

	for (size_t i = 0; !err && i < w->locations.n; i++) {
		const struct location_key *lk = (const void *)w->locations.keys[i];
		size_t m = pb__begin(&w->out, PROFILE_LOCATION), line;

		pb__uint(&w->out, LOCATION_ID, i + 1);
		pb__uint(&w->out, LOCATION_MAPPING_ID, lk->mapping == -2 ? kernel_id :
						      lk->mapping >= 0 ? ids[lk->mapping] : 0);
		pb__uint(&w->out, LOCATION_ADDRESS, lk->addr);
		line = pb__begin(&w->out, LOCATION_LINE);
		pb__uint(&w->out, LINE_FUNCTION_ID, lk->function);
		pb__end(&w->out, line);
		pb__end(&w->out, m);
	}
	for (size_t i = 0; !err && i < w->functions.n; i++) {
		const struct function_key *fk = (const void *)w->functions.keys[i];
		size_t m = pb__begin(&w->out, PROFILE_FUNCTION);

		pb__uint(&w->out, FUNCTION_ID, i + 1);
		pb__int(&w->out, FUNCTION_NAME, fk->name);
		pb__int(&w->out, FUNCTION_SYSTEM_NAME, fk->name);
		pb__end(&w->out, m);
	}
	free(ids);
	return err;
}

/* The whole Profile message into w->out. */
static int encode(struct writer *w, const struct sample_set *set, enum pprof_kind kind)
{
	const struct profile *p = w->p;
	bool offcpu = kind == PPROF_OFFCPU, mem = kind == PPROF_MEM;
	const char *type = mem ? "inuse_space" : offcpu ? "wait" : "cpu";
	/* one on-CPU sample stands for a period of CPU time */
	uint64_t period = offcpu || !p->freq_hz ? 1 : 1000000000ull / p->freq_hz;
	const struct sample **order = calloc(set->n + 1, sizeof(*order));
	char title[320], comm[320], comment[400];
	size_t n = 0;
	int err;

	if (!order)
		return -ENOMEM;
	str(w, "");	/* string 0 is the empty string */
	if (mem) {
		for (size_t i = 0; i < sizeof(mem_types) / sizeof(mem_types[0]); i++)
			value_type(w, PROFILE_SAMPLE_TYPE, mem_types[i], "bytes");
	} else {
		value_type(w, PROFILE_SAMPLE_TYPE, "samples", "count");
		value_type(w, PROFILE_SAMPLE_TYPE, type, "nanoseconds");
	}
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].count || (mem && (set->v[i].mem.faulted || set->v[i].mem.mapped)))
			order[n++] = &set->v[i];
	qsort(order, n, sizeof(*order), cmp_sample);
	for (size_t i = 0; i < n && !w->err; i++)
		sample(w, order[i], kind, period);
	free(order);
	err = w->err ?: locations_and_functions(w);
	if (err)
		return err;
	pb__int(&w->out, PROFILE_TIME_NANOS, p->start_unix_ns);
	pb__int(&w->out, PROFILE_DURATION_NANOS, p->duration_ns);
	if (mem) {	/* a fault sample stands for MEM_FAULT_PERIOD bytes on average */
		value_type(w, PROFILE_PERIOD_TYPE, "space", "bytes");
		pb__int(&w->out, PROFILE_PERIOD, MEM_FAULT_PERIOD);
	} else {
		value_type(w, PROFILE_PERIOD_TYPE, type, "nanoseconds");
		pb__int(&w->out, PROFILE_PERIOD, offcpu ? 0 : period);
	}
	profile__title(p, title, sizeof(title));
	utf8_sanitize(title, comm, sizeof(comm));
	snprintf(comment, sizeof(comment), "agentprof: %s of %s",
		 mem ? "memory grown, by stack" : offcpu ? "time off CPU by wait reason" : "on-CPU samples", comm);
	pb__int(&w->out, PROFILE_COMMENT, str(w, comment));
	pb__int(&w->out, PROFILE_DEFAULT_SAMPLE_TYPE, str(w, type));
	/* every string is known now */
	for (size_t i = 0; i < w->strings.n; i++)
		pb__bytes(&w->out, PROFILE_STRING_TABLE, w->strings.keys[i], w->strings.lens[i]);
	return w->err ?: w->out.err;
}

static int gzip_to(FILE *f, const uint8_t *data, size_t len)
{
	unsigned char chunk[16384];
	z_stream zs = {};
	int ret, err = 0;

	/* windowBits 15 + 16: a gzip wrapper, with mtime 0, so equal input gives equal bytes */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = (unsigned char *)data;
	zs.avail_in = len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		ret = deflate(&zs, Z_FINISH);
		if (ret == Z_STREAM_ERROR) {
			err = -EINVAL;
			break;
		}
		if (fwrite(chunk, 1, sizeof(chunk) - zs.avail_out, f) != sizeof(chunk) - zs.avail_out) {
			err = -EIO;
			break;
		}
	} while (ret != Z_STREAM_END);
	deflateEnd(&zs);
	return err;
}

static int write_set(FILE *f, const struct profile *p, enum pprof_kind kind)
{
	const struct sample_set *sets[] = { [PPROF_CPU] = &p->oncpu, [PPROF_OFFCPU] = &p->offcpu, [PPROF_MEM] = &p->mem };
	struct writer w = { .p = p };
	int err;

	pb__init(&w.out);
	err = encode(&w, sets[kind], kind) ?: gzip_to(f, w.out.buf, w.out.len);
	pb__free(&w.out);
	intern__free(&w.strings);
	intern__free(&w.functions);
	intern__free(&w.locations);
	return err;
}

static int write_cpu(FILE *f, const struct profile *p)
{
	return write_set(f, p, PPROF_CPU);
}

static int write_offcpu(FILE *f, const struct profile *p)
{
	return write_set(f, p, PPROF_OFFCPU);
}

static int write_mem(FILE *f, const struct profile *p)
{
	return write_set(f, p, PPROF_MEM);
}

const struct output_ops pprof_cpu_output = { "cpu.pb.gz", write_cpu, NULL };
const struct output_ops pprof_offcpu_output = { "offcpu.pb.gz", write_offcpu, NULL };
const struct output_ops pprof_mem_output = { "mem.pb.gz", write_mem, output_memory_wanted };
