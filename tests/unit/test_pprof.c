// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cpu.pb.gz and offcpu.pb.gz from a profile built here, decoded field by field (and by go tool pprof). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "helpers.h"
#include "report/output.h"
#include "model/spans.h"

#define EXE 0x555500000000ull
#define LIBC 0x7f0000000000ull
#define KTEXT 0xffffffff81000000ull

static struct profile p;
static struct span_table spans;

struct frame {
	const char *name;
	uint64_t addr;
	int32_t mapping;
	bool kernel;
};

static void add(struct sample_set *set, uint32_t tid, const char *comm, enum category c, uint64_t count,
		uint64_t intervals, uint32_t span, const struct frame *frames, uint32_t n)
{
	struct sample s = { .tid = tid, .category = c, .count = count, .intervals = intervals, .span = span };
	struct sample *added;

	strcpy(s.comm, comm);
	cr_assert_eq(profile__add(set, &s, NULL, 0, NULL, 0), 0);
	added = &set->v[set->n - 1];
	added->frames = calloc(n, sizeof(char *));
	added->origins = calloc(n, sizeof(*added->origins));
	for (uint32_t i = 0; i < n; i++) {
		added->frames[i] = strdup(frames[i].name);
		added->origins[i] = (struct frame_origin){ frames[i].addr, frames[i].mapping, frames[i].kernel };
	}
	added->nframes = n;
}

static void setup(void)
{
	/* mapping 0 is libc, 1 the executable: pprof's mapping 1 must be the executable */
	static const struct frame cpu_a[] = {
		{ "main", EXE + 0x100, 1, false }, { "tokenize", EXE + 0x200, 1, false },
		{ "memcpy", LIBC + 0x300, 0, false }, { "asm_exc_page_fault_[k]", KTEXT + 0x40, -1, true },
	};
	static const struct frame cpu_b[] = { { "main", EXE + 0x100, 1, false }, { "recv", LIBC + 0x400, 0, false } };
	static const struct frame lost[] = { { "[stack lost]", 0, -1, false } };

	profile__init(&p);
	p.pid = 4242;
	strcpy(p.comm, "agent");
	p.freq_hz = 100;
	p.start_unix_ns = 1700000000000000000ull;
	p.duration_ns = 2000000000ull;
	p.mappings = calloc(2, sizeof(*p.mappings));
	p.mappings[0] = (struct profile_mapping){ LIBC, LIBC + 0x100000, 0x26000, strdup("/usr/lib/libc.so.6"),
						  strdup("aabbcc") };
	p.mappings[1] = (struct profile_mapping){ EXE, EXE + 0x1000, 0x1000, strdup("/opt/agent/bin/agent"),
						  strdup("1234") };
	p.nmappings = 2;
	/* span 1: "llm.call" of trace 4b4b..., begun on thread 11 and still open */
	struct span_event llm = { .type = SPAN_BEGIN, .seq = 1, .tid = 11, .ts = 100, .name = "llm.call" };

	memset(llm.trace_id, 0x4b, sizeof(llm.trace_id));
	memset(llm.span_id, 0x01, sizeof(llm.span_id));
	cr_assert_eq(span_table__add(&spans, &llm), 0);
	p.window_end_ns = 1000000000;
	add(&p.oncpu, 10, "tool-runner", CAT_CPU, 3, 0, 0, cpu_a, 4);
	add(&p.oncpu, 11, "llm-client", CAT_CPU, 1, 0, 1, cpu_b, 2);
	add(&p.oncpu, 12, "nothing", CAT_CPU, 0, 0, 0, cpu_b, 2);	/* no weight: left out */
	add(&p.offcpu, 11, "llm-client", CAT_NET, 5000, 2, 1, cpu_b, 2);
	p.offcpu.v[p.offcpu.n - 1].peer = (struct net_peer){ .addr = { 10, 0, 0, 7 }, .port = 443, .family = 2 };
	add(&p.offcpu, 13, "pool", CAT_IDLE, 7000, 1, 0, lost, 1);
	cr_assert_eq(profile__finish(&p, &spans), 0);
}

static void teardown(void)
{
	profile__free(&p);
	span_table__free(&spans);
}

TestSuite(pprof, .init = setup, .fini = teardown);

/* The gzipped bytes an output writes for p. */
static void written(const struct output_ops *ops, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	cr_assert(f);
	cr_assert_eq(ops->write(f, &p), 0);
	cr_assert_eq(fclose(f), 0);
}

static uint8_t *gunzip(const char *gz, size_t gzlen, size_t *len)
{
	size_t cap = 1 << 20;
	uint8_t *out = malloc(cap);
	z_stream zs = {};

	cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (unsigned char *)gz;
	zs.avail_in = gzlen;
	zs.next_out = out;
	zs.avail_out = cap;
	cr_assert_eq(inflate(&zs, Z_FINISH), Z_STREAM_END, "not one gzip stream");
	*len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

/* A minimal protobuf reader: one field at a time. */
struct field {
	uint32_t num;
	uint64_t v;		/* varint */
	const uint8_t *data;	/* length-delimited */
	size_t len;
};

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (int shift = 0; *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	cr_assert_fail("truncated varint");
	return 0;
}

static bool next_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t key;

	if (*p >= end)
		return false;
	key = varint(p, end);
	memset(f, 0, sizeof(*f));
	f->num = key >> 3;
	if ((key & 7) == 0) {
		f->v = varint(p, end);
	} else {
		cr_assert_eq(key & 7, 2, "field %u: wire type %lu", f->num, (unsigned long)(key & 7));
		f->len = varint(p, end);
		f->data = *p;
		cr_assert_leq(f->len, (size_t)(end - *p));
		*p += f->len;
	}
	return true;
}

/* The value of scalar field num in a message, 0 when absent. */
static uint64_t get(const uint8_t *msg, size_t len, uint32_t num)
{
	const uint8_t *at = msg;
	struct field f;
	uint64_t v = 0;

	while (next_field(&at, msg + len, &f))
		if (f.num == num)
			v = f.v;
	return v;
}

static size_t packed(const struct field *f, uint64_t *out, size_t max)
{
	const uint8_t *at = f->data;
	size_t n = 0;

	while (at < f->data + f->len && n < max)
		out[n++] = varint(&at, f->data + f->len);
	return n;
}

#define MAX 64

struct decoded {
	uint8_t *raw;
	char *strings[MAX];
	size_t nstrings;
	struct field sample_types[4], samples[MAX], mappings[MAX], locations[MAX], functions[MAX];
	size_t ntypes, nsamples, nmappings, nlocations, nfunctions;
	uint64_t time, duration, period, default_type, comment;
};

static void decode(const struct output_ops *ops, struct decoded *d)
{
	char *gz;
	size_t gzlen, len;
	const uint8_t *at;
	struct field f;

	memset(d, 0, sizeof(*d));
	written(ops, &gz, &gzlen);
	cr_assert_geq(gzlen, 2);
	cr_assert(gz[0] == '\x1f' && gz[1] == '\x8b', "not gzip");
	d->raw = gunzip(gz, gzlen, &len);
	free(gz);
	at = d->raw;
	while (next_field(&at, d->raw + len, &f)) {
		switch (f.num) {
		case 1: d->sample_types[d->ntypes++] = f; break;
		case 2: d->samples[d->nsamples++] = f; break;
		case 3: d->mappings[d->nmappings++] = f; break;
		case 4: d->locations[d->nlocations++] = f; break;
		case 5: d->functions[d->nfunctions++] = f; break;
		case 6: d->strings[d->nstrings++] = strndup((const char *)f.data, f.len); break;
		case 9: d->time = f.v; break;
		case 10: d->duration = f.v; break;
		case 12: d->period = f.v; break;
		case 13: d->comment = f.v; break;
		case 14: d->default_type = f.v; break;
		}
		cr_assert(d->ntypes < 4 && d->nsamples < MAX && d->nmappings < MAX && d->nlocations < MAX &&
			  d->nfunctions < MAX && d->nstrings < MAX);
	}
}

static void decoded_free(struct decoded *d)
{
	for (size_t i = 0; i < d->nstrings; i++)
		free(d->strings[i]);
	free(d->raw);
}

static const char *s_at(const struct decoded *d, uint64_t i)
{
	cr_assert_lt(i, d->nstrings, "string index %lu out of range", (unsigned long)i);
	return d->strings[i];
}

static const struct field *by_id(const struct field *v, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (get(v[i].data, v[i].len, 1) == id)
			return &v[i];
	cr_assert_fail("no message with id %lu", (unsigned long)id);
	return NULL;
}

/* The function name of a location, through its line. */
static const char *location_name(const struct decoded *d, uint64_t id)
{
	const struct field *loc = by_id(d->locations, d->nlocations, id);
	const uint8_t *at = loc->data;
	struct field f;

	while (next_field(&at, loc->data + loc->len, &f))
		if (f.num == 4) {
			const struct field *fn = by_id(d->functions, d->nfunctions, get(f.data, f.len, 1));

			return s_at(d, get(fn->data, fn->len, 2));
		}
	cr_assert_fail("location %lu has no line", (unsigned long)id);
	return NULL;
}

/* "leaf;...;root values... label=value..." of one sample. */
static void describe(const struct decoded *d, const struct field *s, char *buf, size_t len)
{
	const uint8_t *at = s->data;
	size_t used = 0;
	struct field f;

	buf[0] = '\0';
	while (next_field(&at, s->data + s->len, &f)) {
		uint64_t v[MAX];
		size_t n;

		if (f.num == 1) {
			n = packed(&f, v, MAX);
			for (size_t i = 0; i < n; i++)
				used += snprintf(buf + used, len - used, "%s%s", i ? ";" : "", location_name(d, v[i]));
		} else if (f.num == 2) {
			n = packed(&f, v, MAX);
			for (size_t i = 0; i < n; i++)
				used += snprintf(buf + used, len - used, " %lu", (unsigned long)v[i]);
		} else if (f.num == 3) {
			uint64_t str = get(f.data, f.len, 2);

			used += snprintf(buf + used, len - used, " %s=", s_at(d, get(f.data, f.len, 1)));
			if (str)
				used += snprintf(buf + used, len - used, "%s", s_at(d, str));
			else
				used += snprintf(buf + used, len - used, "#%lu", (unsigned long)get(f.data, f.len, 3));
		}
		cr_assert_lt(used, len);
	}
}

static void assert_value_type(const struct decoded *d, const struct field *f, const char *type, const char *unit)
{
	cr_assert_str_eq(s_at(d, get(f->data, f->len, 1)), type);
	cr_assert_str_eq(s_at(d, get(f->data, f->len, 2)), unit);
}

Test(pprof, cpu_samples_leaf_first_with_values_and_labels)
{
	struct decoded d;
	char line[512];

	decode(&pprof_cpu_output, &d);
	cr_assert_str_eq(d.strings[0], "", "string 0 must be empty");
	cr_assert_eq(d.ntypes, 2);
	assert_value_type(&d, &d.sample_types[0], "samples", "count");
	assert_value_type(&d, &d.sample_types[1], "cpu", "nanoseconds");
	cr_assert_str_eq(s_at(&d, d.default_type), "cpu");
	cr_assert_eq(d.period, 10000000, "100 Hz is a period of 10 ms");
	cr_assert_eq(d.time, p.start_unix_ns);
	cr_assert_eq(d.duration, p.duration_ns);
	cr_assert(strstr(s_at(&d, d.comment), "PID 4242"));
	cr_assert_eq(d.nsamples, 2, "the sample without weight is left out");
	/* sorted by thread: 10 first; the kernel frame loses its suffix (its mapping says kernel) */
	describe(&d, &d.samples[0], line, sizeof(line));
	cr_assert_str_eq(line, "asm_exc_page_fault;memcpy;tokenize;main 3 30000000 thread=tool-runner tid=#10");
	describe(&d, &d.samples[1], line, sizeof(line));
	cr_assert_str_eq(line, "recv;main 1 10000000 thread=llm-client tid=#11 "
			       "trace_id=4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b span_id=0101010101010101 span_name=llm.call");
	cr_assert_eq(d.nlocations, 5, "main is one location in both samples");
	cr_assert_eq(d.nfunctions, 5);
	decoded_free(&d);
}

Test(pprof, mappings_by_address_with_file_and_build_id)
{
	struct decoded d;
	const struct field *exe, *libc, *kernel;
	const struct field *loc;

	decode(&pprof_cpu_output, &d);
	cr_assert_eq(d.nmappings, 3);
	exe = by_id(d.mappings, d.nmappings, 1);
	libc = by_id(d.mappings, d.nmappings, 2);
	kernel = by_id(d.mappings, d.nmappings, 3);
	cr_assert_str_eq(s_at(&d, get(exe->data, exe->len, 5)), "/opt/agent/bin/agent");
	cr_assert_str_eq(s_at(&d, get(exe->data, exe->len, 6)), "1234");
	cr_assert_eq(get(exe->data, exe->len, 2), EXE);
	cr_assert_eq(get(exe->data, exe->len, 3), EXE + 0x1000);
	cr_assert_eq(get(exe->data, exe->len, 4), 0x1000);
	cr_assert_eq(get(exe->data, exe->len, 7), 1, "has_functions");
	cr_assert_str_eq(s_at(&d, get(libc->data, libc->len, 5)), "/usr/lib/libc.so.6");
	cr_assert_str_eq(s_at(&d, get(libc->data, libc->len, 6)), "aabbcc");
	cr_assert_str_eq(s_at(&d, get(kernel->data, kernel->len, 5)), "[kernel.kallsyms]");
	/* every location lies in its mapping */
	for (size_t i = 0; i < d.nlocations; i++) {
		loc = &d.locations[i];
		uint64_t addr = get(loc->data, loc->len, 3), mid = get(loc->data, loc->len, 2);
		const struct field *m = by_id(d.mappings, d.nmappings, mid);

		cr_assert(addr >= get(m->data, m->len, 2) && addr < get(m->data, m->len, 3),
			  "location %zu at %#lx outside mapping %lu", i, (unsigned long)addr, (unsigned long)mid);
	}
	decoded_free(&d);
}

Test(pprof, offcpu_waits_and_nanoseconds_with_the_wait_label)
{
	struct decoded d;
	char line[512];

	decode(&pprof_offcpu_output, &d);
	assert_value_type(&d, &d.sample_types[0], "samples", "count");
	assert_value_type(&d, &d.sample_types[1], "wait", "nanoseconds");
	cr_assert_str_eq(s_at(&d, d.default_type), "wait");
	cr_assert_eq(d.nsamples, 2);
	describe(&d, &d.samples[0], line, sizeof(line));
	cr_assert_str_eq(line, "recv;main 2 5000 thread=llm-client tid=#11 wait=net peer=10.0.0.7:443 "
			       "trace_id=4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b span_id=0101010101010101 span_name=llm.call");
	describe(&d, &d.samples[1], line, sizeof(line));
	cr_assert_str_eq(line, "[stack lost] 1 7000 thread=pool tid=#13 wait=idle");
	decoded_free(&d);
}

Test(pprof, same_profile_in_any_order_gives_the_same_bytes)
{
	char *a, *b;
	size_t alen, blen;
	struct sample tmp;

	written(&pprof_cpu_output, &a, &alen);
	tmp = p.oncpu.v[0];
	p.oncpu.v[0] = p.oncpu.v[2];
	p.oncpu.v[2] = tmp;
	written(&pprof_cpu_output, &b, &blen);
	cr_assert_eq(alen, blen);
	cr_assert_eq(memcmp(a, b, alen), 0);
	free(a);
	free(b);
}

/* Go's own pprof reads the file as a user would. */
Test(pprof, go_tool_pprof_reads_it)
{
	char *dir, *path, *out, *buf;
	size_t len;

	require_tool("go", "golang-go");
	dir = scratch_dir();
	path = path_in(dir, "cpu.pb.gz");
	written(&pprof_cpu_output, &buf, &len);
	write_bytes(path, buf, len);
	out = run_output("HOME=%s go tool pprof -top '%s' 2>&1", dir, path);
	cr_assert(strstr(out, "memcpy") && strstr(out, "recv") && strstr(out, "Type: cpu"), "%s", out);
	cr_assert(strstr(out, "Total samples = 40ms"), "%s", out);
	free(out);
	out = run_output("HOME=%s go tool pprof -tags '%s' 2>&1", dir, path);
	cr_assert(strstr(out, "tool-runner") && strstr(out, "thread:"), "%s", out);
	cr_assert(strstr(out, "trace_id:") && strstr(out, "4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b"), "%s", out);
	free(out);
	free(buf);
	free(path);
	scratch_remove(dir);
}
