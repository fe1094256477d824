// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * LLM calls over HTTPS: unmodified Python (ssl, libssl.so.3), curl and Node (static OpenSSL)
 * agents call a mock LLM API (another process, a certificate made for the test) with traceparent
 * headers. Their traces are listed and read as net, the API's address is the peer they waited
 * on, marked as an LLM API; the canary secrets of their headers and bodies are in no output, and
 * in none of the BPF maps once the calls are over.
 */
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

#define PYTHON "/usr/bin/python3"
#define REQUESTS_MIN 10	/* calls of 50 ms that a 4 s recording must cover whole */
#define MARGIN_NS 20000000ull

static char dir[64], out[128], cert[128], key[128], port_file[128], server_log[128], canary[40], port[16];
static pid_t server;

static void setup(void)
{
	char cmd[512], *p;

	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(port_file, sizeof(port_file), "%s/port", dir);
	snprintf(server_log, sizeof(server_log), "%s/server.log", dir);
	/* a fresh secret per run: finding it in an output can only mean it leaked there */
	snprintf(canary, sizeof(canary), "CANARY%08x%08x", (unsigned)random() ^ (unsigned)getpid(),
		 (unsigned)random());
	if (geteuid() != 0 || access(PYTHON, X_OK) || !have("openssl"))
		return;	/* the tests fail, naming what is missing */
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s 2>/dev/null", key, cert);
	cr_assert_eq(system(cmd), 0, "openssl req failed");
	server = start_workload((char *const[]){ PYTHON, "tests/workloads/llmserver.py", cert, key, port_file,
						 server_log, NULL });
	p = slurp(port_file);
	cr_assert(p && *p, "no port");
	snprintf(port, sizeof(port), "%s", p);
	free(p);
}

static void teardown(void)
{
	if (server > 0)
		stop_workload(server);
	server = 0;
	remove_tree(dir);
}

TestSuite(tls, .init = setup, .fini = teardown, .timeout = 90);

static void require(void)
{
	require_root();
	require_tool(PYTHON, "python3");
	require_tool("openssl", "openssl");
}

/* The first line of spans.jsonl. */
static json_t *load_first_span(void)
{
	char path[256], *text, *nl;
	json_error_t jerr;
	json_t *o;

	snprintf(path, sizeof(path), "%s/spans.jsonl", out);
	text = slurp(path);
	cr_assert(text && *text, "no spans.jsonl");
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	o = json_loads(text, 0, &jerr);
	cr_assert(o, "spans.jsonl: %s", jerr.text);
	free(text);
	return o;
}

static json_t *trace(json_t *report, const char *id)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(report, "traces"), i, t)
		if (!strcmp(json_string_value(json_object_get(t, "trace_id")), id))
			return t;
	return NULL;
}

/*
 * Records the agent for 4 s, then checks: the calls the server saw inside the window are traces
 * of class net, the process waited on the server as an LLM API, no canary leaked.
 */
static void check_agent(pid_t agent)
{
	char pidstr[16], peer[32], want_verdict[128], path[256], *log, *text, *line, *save = NULL;
	const char *leak;
	json_t *report, *peers, *top, *spans;
	uint64_t ws, we;
	size_t expected = 0, listed = 0, net = 0;
	struct run r;

	snprintf(pidstr, sizeof(pidstr), "%d", agent);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "4", "-o", out, NULL }, &r);
	stop_workload(agent);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	cr_assert(!strstr(r.out, canary) && !strstr(r.err, canary), "a canary in agentprof's messages");
	run_free(&r);
	report = load_json(out, "report.json");

	ws = json_integer_value(json_object_get(report, "window_start_ns"));
	we = json_integer_value(json_object_get(report, "window_end_ns"));
	log = slurp(server_log);
	cr_assert(log, "no server log");
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[33];
		unsigned long long start, end;
		json_t *t;

		cr_assert_eq(sscanf(line, "%32s %llu %llu", id, &start, &end), 3);
		if (start < ws + MARGIN_NS || end + MARGIN_NS > we)
			continue;
		expected++;
		t = trace(report, id);
		listed += t != NULL;
		net += t && !strcmp(json_string_value(json_object_get(t, "class")), "net");
	}
	free(log);
	cr_log_info("%zu of %zu calls in the window listed as traces, %zu of class net", listed, expected, net);
	cr_assert_geq(expected, REQUESTS_MIN);
	cr_expect_geq(listed, expected * 0.95, "%zu of %zu calls listed as traces", listed, expected);
	cr_expect_geq(net, listed * 0.95, "%zu of %zu traces of class net", net, listed);

	snprintf(peer, sizeof(peer), "127.0.0.1:%s", port);
	peers = json_object_get(report, "net_peers");
	cr_assert_gt(json_array_size(peers), 0, "no net_peers");
	top = json_array_get(peers, 0);
	cr_expect_str_eq(json_string_value(json_object_get(top, "peer")), peer);
	cr_expect(json_is_true(json_object_get(top, "llm")), "the API is not marked as an LLM API");
	snprintf(want_verdict, sizeof(want_verdict), "waiting on LLM API %s (POST /v1/chat/completions)", peer);
	cr_expect(strstr(json_string_value(json_object_get(report, "verdict")), want_verdict), "verdict: %s",
		  json_string_value(json_object_get(report, "verdict")));
	/* every span is the agent's LLM call: any other is shown whole */
	snprintf(path, sizeof(path), "%s/spans.jsonl", out);
	text = slurp(path);
	cr_assert(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		cr_expect(strstr(line, "\"name\":\"llm POST /v1/chat/completions\""), "a span that is no LLM call: %s", line);
	free(text);

	spans = load_first_span();
	cr_expect_str_eq(json_string_value(json_object_get(spans, "host")), peer, "the Host header");
	cr_expect_str_eq(json_string_value(json_object_get(spans, "peer")), peer);
	json_decref(spans);
	cr_assert(file_holding(out, "llm POST /v1/chat/completions"), "the output reader finds nothing");
	leak = file_holding(out, canary);
	cr_expect(!leak, "a canary secret of the agent's headers or body is in %s", leak);
	json_decref(report);
}

Test(tls, python_urllib_over_libssl)
{
	require();
	check_agent(start_workload((char *const[]){ PYTHON, "tests/workloads/llmagent.py", port, cert, canary, NULL }));
}

Test(tls, node_https_static_openssl)
{
	char node[256] = "", *nl;
	FILE *f;

	require();
	f = popen("command -v node", "r");
	if (f && fgets(node, sizeof(node), f) && (nl = strchr(node, '\n')))
		*nl = '\0';
	if (f)
		pclose(f);
	if (!node[0])
		cr_assert_fail("node is missing: install Debian's nodejs (make deps-test does)");
	check_agent(start_workload((char *const[]){ node, "tests/workloads/llmagent.js", port, cert, canary, NULL }));
}

Test(tls, curl_over_libssl)
{
	char config[128], script[256], comm_path[64], *comm = NULL;
	pid_t agent;
	FILE *f;

	require();
	require_tool("curl", "curl");
	/* one curl, many calls, each with its own traceparent; the secrets in a file, not argv */
	snprintf(config, sizeof(config), "%s/curl.cfg", dir);
	f = fopen(config, "w");
	cr_assert(f);
	for (int i = 0; i < 400; i++)
		fprintf(f, "%surl = \"https://127.0.0.1:%s/v1/chat/completions\"\ncacert = \"%s\"\nsilent\n"
			   "output = \"/dev/null\"\nheader = \"traceparent: 00-%08x%08x%08x%08x-%08x%08x-01\"\n"
			   "header = \"Authorization: Bearer key-%s\"\nheader = \"Cookie: session=cookie-%s\"\n"
			   "header = \"Content-Type: application/json\"\ndata = \"{\\\"prompt\\\": \\\"%s\\\"}\"\n",
			i ? "next\n" : "", port, cert, (unsigned)random() | 1, (unsigned)random(), (unsigned)random(),
			(unsigned)random(), (unsigned)random() | 1, (unsigned)random(), canary, canary, canary);
	fclose(f);
	/* the shell prints its PID and becomes curl: record curl, not the shell before its exec */
	snprintf(script, sizeof(script), "echo $$; exec curl -K '%s'", config);
	agent = start_workload((char *const[]){ "/bin/sh", "-c", script, NULL });
	snprintf(comm_path, sizeof(comm_path), "/proc/%d/comm", agent);
	for (int i = 0; i < 100 && (!(comm = slurp(comm_path)) || strncmp(comm, "curl", 4)); i++) {
		free(comm);
		comm = NULL;
		usleep(50000);
	}
	cr_assert(comm && !strncmp(comm, "curl", 4), "curl did not start");
	free(comm);
	check_agent(agent);
}

/* The mock API itself as the target: a TLS server's inbound requests make their traces active. */
Test(tls, python_https_server_spans)
{
	char pidstr[16], *log, *line, *save = NULL;
	json_t *report, *t;
	size_t expected = 0, listed = 0;
	uint64_t ws, we;
	pid_t agent;
	struct run r;

	require();
	agent = start_workload((char *const[]){ PYTHON, "tests/workloads/llmagent.py", port, cert, canary, NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", server);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "4", "-o", out, NULL }, &r);
	stop_workload(agent);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
	report = load_json(out, "report.json");
	ws = json_integer_value(json_object_get(report, "window_start_ns"));
	we = json_integer_value(json_object_get(report, "window_end_ns"));
	log = slurp(server_log);
	cr_assert(log, "no server log");
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[33];
		unsigned long long start, end;

		cr_assert_eq(sscanf(line, "%32s %llu %llu", id, &start, &end), 3);
		if (start < ws + MARGIN_NS || end + MARGIN_NS > we)
			continue;
		expected++;
		/* the handler sleeps 50 ms per call */
		t = trace(report, id);
		listed += t && !strcmp(json_string_value(json_object_get(t, "class")), "sleep");
	}
	free(log);
	cr_log_info("%zu of %zu calls in the window listed as traces of class sleep", listed, expected);
	cr_assert_geq(expected, REQUESTS_MIN);
	cr_expect_geq(listed, expected * 0.95, "%zu of %zu calls listed as traces of class sleep", listed, expected);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(report, "spans"), 0), "name")),
			 "http POST /v1/chat/completions", "a served call is no LLM call");
	cr_expect(!file_holding(out, canary), "a canary secret of the calls is in the output");
	json_decref(report);
}

/* A streamed answer (server-sent events, chunked) is part of its call: the span ends with its last chunk. */
Test(tls, streamed_answer_ends_with_its_span)
{
	char pidstr[16], path[256], *log, *line, *save = NULL, *spans, *sline, *ssave = NULL;
	size_t expected = 0, whole = 0;
	json_t *report;
	uint64_t ws, we;
	pid_t agent;
	struct run r;

	require();
	agent = start_workload((char *const[]){ PYTHON, "tests/workloads/llmagent.py", port, cert, canary, "stream",
						NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", agent);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "4", "-o", out, NULL }, &r);
	stop_workload(agent);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
	report = load_json(out, "report.json");
	ws = json_integer_value(json_object_get(report, "window_start_ns"));
	we = json_integer_value(json_object_get(report, "window_end_ns"));
	snprintf(path, sizeof(path), "%s/spans.jsonl", out);
	spans = slurp(path);
	log = slurp(server_log);
	cr_assert(spans && log);
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[33];
		unsigned long long start, end;

		cr_assert_eq(sscanf(line, "%32s %llu %llu", id, &start, &end), 3);
		if (start < ws + MARGIN_NS || end + MARGIN_NS > we)
			continue;
		expected++;
		/* the server sends the last chunk before it notes its end: the client reads it after */
		for (sline = strtok_r(spans, "\n", &ssave); sline; sline = strtok_r(NULL, "\n", &ssave)) {
			json_t *o = json_loads(sline, 0, NULL);

			if (o && !strcmp(json_string_value(json_object_get(o, "trace_id")), id))
				whole += (uint64_t)json_integer_value(json_object_get(o, "end_ns")) + 10000000ull >= end;
			json_decref(o);
		}
		free(spans);
		spans = slurp(path);
	}
	cr_log_info("%zu of %zu streamed calls ended with their last chunk", whole, expected);
	cr_assert_geq(expected, REQUESTS_MIN / 2);
	cr_expect_geq(whole, expected * 0.95, "%zu of %zu streamed calls' spans ended with the stream", whole, expected);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(report, "spans"), 0), "class")),
			 "net");
	free(spans);
	free(log);
	json_decref(report);
}

/* A BPF map of agentprof's: its fd in agentprof, and one of the test's own (read-write, by id). */
struct held_map {
	int their_fd, fd;
	struct bpf_map_info info;
};

/* The BPF maps process pid holds (from /proc/PID/fdinfo), at most max; how many. */
static size_t maps_of(pid_t pid, struct held_map *maps, size_t max)
{
	char path[64];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while (n < max && (e = readdir(d))) {
		char p[320], *info, *id;
		__u32 len = sizeof(maps[n].info);

		snprintf(p, sizeof(p), "/proc/%d/fdinfo/%s", pid, e->d_name);
		info = e->d_name[0] == '.' ? NULL : slurp(p);
		id = info ? strstr(info, "\nmap_id:\t") : NULL;
		if (id) {
			memset(&maps[n].info, 0, sizeof(maps[n].info));
			maps[n].their_fd = atoi(e->d_name);
			maps[n].fd = bpf_map_get_fd_by_id(strtoul(id + 9, NULL, 10));
			if (maps[n].fd >= 0 && !bpf_obj_get_info_by_fd(maps[n].fd, &maps[n].info, &len))
				n++;
			else if (maps[n].fd >= 0)
				close(maps[n].fd);
		}
		free(info);
	}
	closedir(d);
	return n;
}

/* Whether any value of the map (every CPU's, for a per-CPU one) holds s; maps without keys to walk say no. */
static bool map_holds(const struct held_map *m, const char *s)
{
	bool percpu = m->info.type == BPF_MAP_TYPE_PERCPU_ARRAY || m->info.type == BPF_MAP_TYPE_PERCPU_HASH ||
		      m->info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	size_t vlen = percpu ? ((m->info.value_size + 7) & ~7u) * libbpf_num_possible_cpus() : m->info.value_size;
	char *key = calloc(1, m->info.key_size + 1), *next = calloc(1, m->info.key_size + 1), *val = malloc(vlen);
	bool found = false;
	void *prev = NULL;

	cr_assert(key && next && val);
	while (!found && !bpf_map_get_next_key(m->fd, prev, next)) {
		memcpy(key, next, m->info.key_size);
		prev = key;
		if (!bpf_map_lookup_elem(m->fd, key, val))
			found = memmem(val, vlen, s, strlen(s)) != NULL;
	}
	free(key);
	free(next);
	free(val);
	return found;
}

/*
 * Whether bpftool's JSON of a map holds s: in a string, or in a char array it printed as numbers
 * (as it does when the array holds bytes past its first NUL).
 */
static bool json_holds(json_t *j, const char *s)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(j))
		return strstr(json_string_value(j), s);
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			if (json_holds(v, s))
				return true;
		return false;
	}
	if (!json_is_array(j))
		return false;
	if (json_array_size(j) && json_is_integer(json_array_get(j, 0))) {
		size_t n = json_array_size(j);
		char *bytes = malloc(n);
		bool found;

		cr_assert(bytes);
		json_array_foreach(j, i, v)
			bytes[i] = json_integer_value(v);
		found = memmem(bytes, n, s, strlen(s));
		free(bytes);
		return found;
	}
	json_array_foreach(j, i, v)
		if (json_holds(v, s))
			return true;
	return false;
}

/*
 * The in-kernel copies of the agent's payloads (its API key, cookie and prompt; the answer that
 * echoes the prompt) are gone once the calls are over: agentprof's own descriptor of the payload
 * buffer cannot read it, and root, reading every map agentprof holds by id (as `bpftool map dump`
 * does), finds no canary.
 */
Test(tls, no_payload_left_in_bpf_maps)
{
	char pidstr[16], cmd[128], buf[64], line[256], *log;
	struct held_map maps[64];
	size_t n = 0;
	int calls = 0, before, peeks = -1, pidfd, fd, status, err[2];
	FILE *f;
	pid_t agent, rec;
	json_t *dump;
	struct run r;

	require();
	agent = start_workload((char *const[]){ PYTHON, "tests/workloads/llmagent.py", port, cert, canary, NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", agent);
	cr_assert_eq(pipe(err), 0);
	rec = fork();
	cr_assert_geq(rec, 0);
	if (rec == 0) {
		freopen("/dev/null", "w", stdout);
		dup2(err[1], 2);
		close(err[0]);
		close(err[1]);
		execl(AGENTPROF, AGENTPROF, "record", "-p", pidstr, "-o", out, (char *)NULL);
		_exit(127);
	}
	close(err[1]);
	f = fdopen(err[0], "r");
	/* it says so once its programs are attached */
	while (fgets(line, sizeof(line), f) && !strstr(line, "agentprof: recording"))
		;
	n = maps_of(rec, maps, 64);
	for (size_t k = 0; k < n; k++)
		if (!strcmp(maps[k].info.name, "peeks"))
			peeks = k;
	cr_assert_geq(peeks, 0, "agentprof holds no map named peeks");
	/* calls made while agentprof watches: the server logs each one when it has answered */
	log = slurp(server_log);
	before = log ? count_lines(log) : 0;
	free(log);
	/* a hang guard, not a measure */
	for (int i = 0; i < 600 && calls < 20; i++) {
		usleep(100000);
		log = slurp(server_log);
		calls = log ? count_lines(log) - before : 0;
		free(log);
	}
	cr_assert_geq(calls, 20, "the agent made %d calls while recorded", calls);
	/* the flag belongs to the descriptor (the map's info never shows it): ask agentprof's own */
	pidfd = syscall(SYS_pidfd_open, rec, 0);
	fd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, maps[peeks].their_fd, 0);
	cr_assert_geq(fd, 0, "pidfd_getfd of agentprof's peeks: %s", strerror(errno));
	errno = 0;
	cr_expect(bpf_map_lookup_elem(fd, &(__u32){ 0 }, buf) < 0 && errno == EPERM,
		  "agentprof's descriptor of peeks reads it (errno %d)", errno);
	close(fd);
	close(pidfd);
	/* record stops when its target exits; the maps live on while the test holds them */
	stop_workload(agent);

	for (size_t k = 0; k < n; k++)
		cr_expect(!map_holds(&maps[k], canary), "map %s holds a canary secret of the agent's payloads",
			  maps[k].info.name);
	snprintf(cmd, sizeof(cmd), "bpftool -j map dump id %u", maps[peeks].info.id);
	run_cmd((char *const[]){ "sh", "-c", cmd, NULL }, &r);
	cr_assert_eq(r.status, 0, "%s: %s", cmd, r.err);
	dump = json_loads(r.out, 0, NULL);
	cr_assert(json_array_size(dump) == 1, "%s printed no value: %s", cmd, r.out);
	cr_expect(!json_holds(dump, canary), "%s shows a canary secret", cmd);
	json_decref(dump);
	run_free(&r);
	for (size_t k = 0; k < n; k++)
		close(maps[k].fd);
	cr_log_info("%d calls answered while attached, %zu maps read", calls, n);
	cr_assert_eq(waitpid(rec, &status, 0), rec);
	fclose(f);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "record did not stop cleanly: %#x", status);
}
