// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cpu.speedscope.json and offcpu.speedscope.json from a profile built here, and speedscope's schema. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "report/output.h"
#include "model/spans.h"

#define VALIDATE "/usr/bin/python3 tests/speedscope/validate.py tests/speedscope/file-format-schema.json"

static struct profile p;
static struct span_table spans;

struct frame {
	const char *name;
	int32_t mapping;
};

static void add(struct sample_set *set, uint32_t tid, const char *comm, enum category c, uint64_t count,
		uint32_t span, const struct frame *frames, uint32_t n)
{
	struct sample s = { .tid = tid, .category = c, .count = count, .intervals = 1, .span = span };
	struct sample *added;

	strcpy(s.comm, comm);
	cr_assert_eq(profile__add(set, &s, NULL, 0, NULL, 0), 0);
	added = &set->v[set->n - 1];
	added->frames = calloc(n, sizeof(char *));
	added->origins = calloc(n, sizeof(*added->origins));
	for (uint32_t i = 0; i < n; i++) {
		added->frames[i] = strdup(frames[i].name);
		added->origins[i] = (struct frame_origin){ 0x1000 + i, frames[i].mapping, false };
	}
	added->nframes = n;
}

static void setup(void)
{
	static const struct frame a[] = { { "main", 0 }, { "tokenize", 0 }, { "memcpy", -1 }, { "clear_page_[k]", -1 } };
	static const struct frame b[] = { { "main", 0 }, { "recv", -1 } };
	static const struct frame c[] = { { "main", 0 }, { "tokenize", 0 } };

	profile__init(&p);
	p.pid = 4242;
	strcpy(p.comm, "agent\"\xff");	/* a quote and a byte that is not UTF-8 */
	p.freq_hz = 100;
	p.duration_ns = 2000000000ull;
	p.mappings = calloc(1, sizeof(*p.mappings));
	p.mappings[0] = (struct profile_mapping){ 0x1000, 0x2000, 0, strdup("/opt/agent/bin/agent"), strdup("") };
	p.nmappings = 1;
	/* span 1: "tool" of trace aaaa..., on thread 10 */
	struct span_event tool = { .type = SPAN_BEGIN, .seq = 1, .tid = 10, .ts = 100, .name = "tool" };

	memset(tool.trace_id, 0xaa, sizeof(tool.trace_id));
	memset(tool.span_id, 0x01, sizeof(tool.span_id));
	cr_assert_eq(span_table__add(&spans, &tool), 0);
	p.window_end_ns = 1000000000;
	add(&p.oncpu, 11, "llm-client", CAT_CPU, 1, 0, b, 2);
	add(&p.oncpu, 10, "tool-runner", CAT_CPU, 3, 1, a, 4);
	add(&p.oncpu, 10, "tool-runner", CAT_CPU, 2, 0, c, 2);
	add(&p.offcpu, 11, "llm-client", CAT_NET, 5000, 0, b, 2);
	add(&p.offcpu, 11, "llm-client", CAT_LOCK, 0, 0, b, 2);	/* no weight: left out */
	cr_assert_eq(profile__finish(&p, &spans), 0);
}

static void teardown(void)
{
	profile__free(&p);
	span_table__free(&spans);
}

TestSuite(speedscope, .init = setup, .fini = teardown);

static json_t *written(const struct output_ops *ops, char **text)
{
	size_t len;
	FILE *f = open_memstream(text, &len);
	json_error_t jerr;
	json_t *root;

	cr_assert(f);
	cr_assert_eq(ops->write(f, &p), 0);
	cr_assert_eq(fclose(f), 0);
	root = json_loads(*text, 0, &jerr);
	cr_assert(root, "not JSON: %s", jerr.text);
	return root;
}

/* "frame;frame;... weight" of sample i of a profile, frames by name. */
static void stack_of(json_t *root, json_t *prof, size_t i, char *buf, size_t len)
{
	json_t *frames = json_object_get(json_object_get(root, "shared"), "frames");
	json_t *stack = json_array_get(json_object_get(prof, "samples"), i), *idx;
	size_t used = 0, k;

	buf[0] = '\0';
	json_array_foreach(stack, k, idx) {
		json_t *f = json_array_get(frames, json_integer_value(idx));

		cr_assert(f, "frame index %lld out of range", json_integer_value(idx));
		used += snprintf(buf + used, len - used, "%s%s", k ? ";" : "",
				 json_string_value(json_object_get(f, "name")));
	}
	snprintf(buf + used, len - used, " %lld",
		 json_integer_value(json_array_get(json_object_get(prof, "weights"), i)));
}

Test(speedscope, one_sampled_profile_per_thread_in_nanoseconds)
{
	char *text, line[256];
	json_t *root = written(&speedscope_cpu_output, &text), *profs, *t10;

	cr_assert_str_eq(json_string_value(json_object_get(root, "$schema")),
			 "https://www.speedscope.app/file-format-schema.json");
	cr_assert_str_eq(json_string_value(json_object_get(root, "name")), "agent\"? (PID 4242): on-CPU samples");
	profs = json_object_get(root, "profiles");
	cr_assert_eq(json_array_size(profs), 2);
	t10 = json_array_get(profs, 0);
	cr_assert_str_eq(json_string_value(json_object_get(t10, "name")), "tool-runner (thread 10)");
	cr_assert_str_eq(json_string_value(json_object_get(t10, "type")), "sampled");
	cr_assert_str_eq(json_string_value(json_object_get(t10, "unit")), "nanoseconds");
	cr_assert_eq(json_integer_value(json_object_get(t10, "startValue")), 0);
	cr_assert_eq(json_integer_value(json_object_get(t10, "endValue")), 50000000, "5 samples of 10 ms");
	/* stacks root first, sorted so that common prefixes sit together */
	stack_of(root, t10, 0, line, sizeof(line));
	cr_assert_str_eq(line, "main;tokenize 20000000");
	stack_of(root, t10, 1, line, sizeof(line));
	cr_assert_str_eq(line, "main;tokenize;memcpy;clear_page_[k] 30000000");
	stack_of(root, json_array_get(profs, 1), 0, line, sizeof(line));
	cr_assert_str_eq(line, "main;recv 10000000");
	cr_assert_eq(json_integer_value(json_object_get(root, "activeProfileIndex")), 0, "opens on the busiest thread");
	/* frames are shared across threads, with the file where the frame's mapping is known */
	json_t *main_frame = json_array_get(json_object_get(json_object_get(root, "shared"), "frames"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(main_frame, "name")), "main");
	cr_assert_str_eq(json_string_value(json_object_get(main_frame, "file")), "/opt/agent/bin/agent");
	cr_assert_eq(json_array_size(json_object_get(json_object_get(root, "shared"), "frames")), 5);
	json_decref(root);
	free(text);
}

Test(speedscope, offcpu_stacks_start_with_the_wait_reason)
{
	char *text, line[256];
	json_t *root = written(&speedscope_offcpu_output, &text), *profs;

	profs = json_object_get(root, "profiles");
	cr_assert_eq(json_array_size(profs), 1);
	cr_assert_eq(json_array_size(json_object_get(json_array_get(profs, 0), "samples")), 1);
	stack_of(root, json_array_get(profs, 0), 0, line, sizeof(line));
	cr_assert_str_eq(line, "[net];main;recv 5000");
	json_decref(root);
	free(text);
}

/* The names of the file's profiles, "|"-separated. */
static void profile_names(json_t *root, char *buf, size_t len)
{
	json_t *prof;
	size_t i, used = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(root, "profiles"), i, prof)
		used += snprintf(buf + used, len - used, "%s%s", i ? "|" : "",
				 json_string_value(json_object_get(prof, "name")));
}

Test(speedscope, group_by_span_makes_a_profile_per_span_name)
{
	char *text, line[256];
	json_t *root;

	p.group_by = GROUP_SPAN;
	root = written(&speedscope_cpu_output, &text);
	profile_names(root, line, sizeof(line));
	cr_assert_str_eq(line, "no span|span tool");
	/* the thread is the root frame, as under the span in the flame graph */
	stack_of(root, json_array_get(json_object_get(root, "profiles"), 1), 0, line, sizeof(line));
	cr_assert_str_eq(line, "tool-runner;main;tokenize;memcpy;clear_page_[k] 30000000");
	json_decref(root);
	free(text);
}

Test(speedscope, group_by_trace_makes_a_profile_per_trace_with_its_spans)
{
	char *text, line[256];
	json_t *root;

	p.group_by = GROUP_TRACE;
	root = written(&speedscope_cpu_output, &text);
	profile_names(root, line, sizeof(line));
	cr_assert_str_eq(line, "no trace|trace aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	stack_of(root, json_array_get(json_object_get(root, "profiles"), 1), 0, line, sizeof(line));
	cr_assert_str_eq(line, "tool-runner;[span tool];main;tokenize;memcpy;clear_page_[k] 30000000");
	json_decref(root);
	free(text);
}

Test(speedscope, group_by_process_makes_one_profile)
{
	char *text, line[256];
	json_t *root;

	p.group_by = GROUP_PROCESS;
	root = written(&speedscope_offcpu_output, &text);
	profile_names(root, line, sizeof(line));
	cr_assert_str_eq(line, "agent\"? (PID 4242)");
	stack_of(root, json_array_get(json_object_get(root, "profiles"), 0), 0, line, sizeof(line));
	cr_assert_str_eq(line, "llm-client;[net];main;recv 5000");
	json_decref(root);
	free(text);
}

static void assert_valid(const struct output_ops *ops)
{
	char *dir = scratch_dir(), *path = path_in(dir, ops->file), *text;
	json_t *root = written(ops, &text);
	int st;

	write_bytes(path, text, strlen(text));
	st = run(VALIDATE " '%s'", path);
	cr_assert_neq(st, 77, "python3-jsonschema is missing (make deps-test installs it)");
	cr_assert_eq(st, 0, "%s does not match speedscope's schema", ops->file);
	json_decref(root);
	free(text);
	free(path);
	scratch_remove(dir);
}

Test(speedscope, files_match_speedscopes_schema)
{
	assert_valid(&speedscope_cpu_output);
	assert_valid(&speedscope_offcpu_output);
	p.group_by = GROUP_TRACE;
	assert_valid(&speedscope_cpu_output);
}

/* The validator itself says no to a file speedscope would refuse. */
Test(speedscope, schema_refuses_an_unknown_unit)
{
	char *dir = scratch_dir(), *path = path_in(dir, "bad.json");
	static const char bad[] = "{\"$schema\": \"https://www.speedscope.app/file-format-schema.json\", "
				  "\"shared\": {\"frames\": [{\"name\": \"main\"}]}, \"profiles\": [{\"type\": "
				  "\"sampled\", \"name\": \"t\", \"unit\": \"ticks\", \"startValue\": 0, "
				  "\"endValue\": 1, \"samples\": [[0]], \"weights\": [1]}]}";
	int st;

	write_bytes(path, bad, sizeof(bad) - 1);
	st = run(VALIDATE " '%s' 2>/dev/null", path);
	cr_assert_neq(st, 77, "python3-jsonschema is missing (make deps-test installs it)");
	cr_assert_eq(st, 1);
	free(path);
	scratch_remove(dir);
}
