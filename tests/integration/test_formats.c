// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The formats other tools read, from real recordings: pprof (read by go tool pprof), speedscope
 * (checked against speedscope's schema), and top's Prometheus metrics (linted by promtool and
 * scraped by a real Prometheus on loopback). Each tool missing skips its test and says so.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "harness.h"

#define PERIOD_NS (1000000000ull / 99)	/* record's default 99 Hz */
#define SCHEMA "tests/speedscope/file-format-schema.json"
#define VALIDATE "/usr/bin/python3 tests/speedscope/validate.py " SCHEMA
/* How long to wait for something to come up before giving up: a hang guard, not a measure. */
#define PATIENCE_S 60

static char dir[64], out[128], path[320];

static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
}

static void teardown(void)
{
	remove_tree(dir);
}

TestSuite(formats, .init = setup, .fini = teardown, .timeout = 120);

static const char *file(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", out, name);
	return path;
}

/* Records workload argv for seconds into out, grouped by group_by (thread, span...). */
static pid_t record(char *const argv[], const char *seconds, const char *group_by)
{
	char pidstr[16];
	struct run r;
	pid_t pid;

	pid = start_workload(argv);
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", (char *)seconds, "-o", out, "--group-by",
				 (char *)group_by, NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
	return pid;
}

/* Everything a shell command prints (stdout and stderr). */
static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh(const char *fmt, ...)
{
	char cmd[1024];
	struct run r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	run_cmd((char *const[]){ "sh", "-c", cmd, NULL }, &r);
	cr_assert_eq(r.status, 0, "%s: exit %d\n%s%s", cmd, r.status, r.out, r.err);
	free(r.err);
	return r.out;
}

/* The protobuf inside a .pb.gz, as bytes (its strings are there as they are). */
static char *gunzip(const char *gz, size_t *len)
{
	gzFile f = gzopen(gz, "rb");
	size_t cap = 1 << 16;
	char *buf = malloc(cap);
	int n;

	cr_assert(f, "open %s", gz);
	*len = 0;
	while ((n = gzread(f, buf + *len, cap - *len)) > 0) {
		*len += n;
		if (*len == cap)
			buf = realloc(buf, cap *= 2);
	}
	cr_assert_geq(n, 0, "%s is not gzip", gz);
	gzclose(f);
	return buf;
}

static bool holds(const char *buf, size_t len, const char *s)
{
	return memmem(buf, len, s, strlen(s)) != NULL;
}

Test(formats, pprof_top_shows_the_hot_functions)
{
	char *pb, *top, *raw, *bid;
	size_t len;

	require_root();
	record((char *const[]){ WORKLOAD("hot8020"), "30", NULL }, "3", "thread");
	pb = gunzip(file("cpu.pb.gz"), &len);
	cr_assert(holds(pb, len, "hot_eighty") && holds(pb, len, "nanoseconds"), "cpu.pb.gz lacks the hot functions");
	free(pb);
	require_tool("go", "golang-go");
	top = sh("HOME=%s go tool pprof -top %s", dir, file("cpu.pb.gz"));
	cr_log_info("go tool pprof -top:\n%s", top);
	cr_assert(strstr(top, "Type: cpu"), "%s", top);
	cr_assert(strstr(top, "hot_eighty") && strstr(top, "hot_twenty") && strstr(top, " spin"), "%s", top);
	/* the executable is mapping 1, with its build-id */
	raw = sh("HOME=%s go tool pprof -raw %s", dir, file("cpu.pb.gz"));
	bid = sh("readelf -n " WORKLOAD("hot8020") " | sed -n 's/.*Build ID: //p' | tr -d '\\n'");
	cr_assert_geq(strlen(bid), 40);
	cr_assert(strstr(raw, "\n1: ") && strstr(strstr(raw, "\n1: "), "workloads/hot8020"), "%s", raw);
	cr_assert(strstr(raw, bid), "build-id %s missing:\n%s", bid, raw);
	free(top);
	free(raw);
	free(bid);
}

Test(formats, pprof_tags_name_threads_and_wait_reasons)
{
	char *pb, *tags;
	size_t len;

	require_root();
	record((char *const[]){ WORKLOAD("waits"), "30", NULL }, "3", "thread");
	pb = gunzip(file("offcpu.pb.gz"), &len);
	cr_assert(holds(pb, len, "mutex-wait") && holds(pb, len, "wait"), "offcpu.pb.gz lacks its labels");
	free(pb);
	require_tool("go", "golang-go");
	tags = sh("HOME=%s go tool pprof -tags %s", dir, file("offcpu.pb.gz"));
	cr_log_info("go tool pprof -tags offcpu.pb.gz:\n%s", tags);
	cr_assert(strstr(tags, " thread: Total") && strstr(tags, "): mutex-wait") && strstr(tags, "): net-client"),
		  "%s", tags);
	cr_assert(strstr(tags, " wait: Total") && strstr(tags, "): lock") && strstr(tags, "): net") &&
		  strstr(tags, "): idle"), "%s", tags);
	free(tags);
	/* the lock waits are the mutex-wait threads' */
	tags = sh("HOME=%s go tool pprof -tagfocus=wait=lock -tags %s", dir, file("offcpu.pb.gz"));
	cr_assert(strstr(tags, "): mutex-wait"), "%s", tags);
	free(tags);
	tags = sh("HOME=%s go tool pprof -tags %s", dir, file("cpu.pb.gz"));
	cr_assert(strstr(tags, "): spinner"), "%s", tags);
	free(tags);
}

/* The agent's spans: pprof labels name the trace and the span, speedscope has a profile per span. */
Test(formats, spans_label_pprof_samples_and_group_speedscope_profiles)
{
	json_error_t jerr;
	json_t *root, *prof;
	char *pb, *tags, names[1024] = "";
	size_t len, i, at = 0;

	require_root();
	record((char *const[]){ WORKLOAD("spans"), "30", NULL }, "3", "span");
	pb = gunzip(file("cpu.pb.gz"), &len);
	cr_assert(holds(pb, len, "trace_id") && holds(pb, len, "span_name") && holds(pb, len, "tool"),
		  "cpu.pb.gz lacks span labels");
	free(pb);
	root = json_load_file(file("cpu.speedscope.json"), 0, &jerr);
	cr_assert(root, "cpu.speedscope.json: %s", jerr.text);
	json_array_foreach(json_object_get(root, "profiles"), i, prof)
		at += snprintf(names + at, sizeof(names) - at, "%s|", json_string_value(json_object_get(prof, "name")));
	cr_assert(strstr(names, "span tool|"), "%s", names);
	json_decref(root);
	require_tool("go", "golang-go");
	tags = sh("HOME=%s go tool pprof -tags %s", dir, file("cpu.pb.gz"));
	cr_log_info("go tool pprof -tags cpu.pb.gz:\n%s", tags);
	cr_assert(strstr(tags, " trace_id: Total") && strstr(tags, " span_id: Total"), "%s", tags);
	cr_assert(strstr(tags, " span_name: Total") && strstr(tags, "): tool"), "%s", tags);
	free(tags);
	/* the tool spans burn CPU in the workload's own code */
	tags = sh("HOME=%s go tool pprof -tagfocus=span_name=tool -top %s", dir, file("cpu.pb.gz"));
	cr_assert(strstr(tags, "tool_work"), "%s", tags);
	free(tags);
}

/* Sum of the weights of the profile named name*, and how many stacks it has. */
static uint64_t profile_weight(json_t *root, const char *name, size_t *nstacks)
{
	json_t *prof, *w;
	size_t i, k, nframes = json_array_size(json_object_get(json_object_get(root, "shared"), "frames"));
	uint64_t sum = 0;

	json_array_foreach(json_object_get(root, "profiles"), i, prof) {
		json_t *stack;

		if (strncmp(json_string_value(json_object_get(prof, "name")), name, strlen(name)))
			continue;
		cr_assert_eq(json_array_size(json_object_get(prof, "samples")),
			     json_array_size(json_object_get(prof, "weights")));
		json_array_foreach(json_object_get(prof, "weights"), k, w)
			sum += json_integer_value(w);
		cr_assert_eq(json_integer_value(json_object_get(prof, "endValue")), (json_int_t)sum);
		json_array_foreach(json_object_get(prof, "samples"), k, stack) {
			json_t *idx;
			size_t j;

			json_array_foreach(stack, j, idx)
				cr_assert_lt((size_t)json_integer_value(idx), nframes, "frame index out of range");
		}
		*nstacks = json_array_size(json_object_get(prof, "samples"));
		return sum;
	}
	cr_assert_fail("no profile named %s", name);
	return 0;
}

Test(formats, speedscope_files_match_the_schema_and_the_folded_counts)
{
	char *folded;
	json_error_t jerr;
	json_t *cpu, *off;
	size_t n;
	int st;
	char cmd[1024];

	require_root();
	record((char *const[]){ WORKLOAD("waits"), "30", NULL }, "3", "thread");
	cpu = json_load_file(file("cpu.speedscope.json"), 0, &jerr);
	cr_assert(cpu, "cpu.speedscope.json: %s", jerr.text);
	off = json_load_file(file("offcpu.speedscope.json"), 0, &jerr);
	cr_assert(off, "offcpu.speedscope.json: %s", jerr.text);
	/* one profile per thread; the spinner's weight is its folded samples, in nanoseconds */
	folded = slurp(file("cpu.folded"));
	cr_assert(folded);
	cr_assert_eq(profile_weight(cpu, "spinner (thread ", &n), folded_sum(folded, "spinner;") * PERIOD_NS);
	cr_assert_gt(n, 0);
	free(folded);
	cr_assert_gt(profile_weight(off, "mutex-wait (thread ", &n), 1000000000ull, "mutex-wait blocked for 3 s");
	cr_assert_gt(profile_weight(off, "pool (thread ", &n), 0);
	json_decref(cpu);
	json_decref(off);

	snprintf(cmd, sizeof(cmd), VALIDATE " %s/cpu.speedscope.json %s/offcpu.speedscope.json", out, out);
	st = system(cmd);
	cr_assert(WIFEXITED(st));
	cr_assert_neq(WEXITSTATUS(st), 77, "python3-jsonschema is missing (make deps-test installs it)");
	cr_assert_eq(WEXITSTATUS(st), 0, "the speedscope files do not match speedscope's schema");
}

/* top running in the background, serving metrics. */
struct server {
	pid_t pid;
	int err_fd;
	int port;
	char host[64];
};

static void start_top(pid_t target, const char *listen, struct server *s)
{
	char pidstr[16], line[256];
	int fds[2];
	FILE *f;

	snprintf(pidstr, sizeof(pidstr), "%d", target);
	cr_assert_eq(pipe(fds), 0);
	s->pid = fork();
	cr_assert_geq(s->pid, 0);
	if (s->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execl(AGENTPROF, AGENTPROF, "top", "-p", pidstr, "--json", "-i", "1", "--listen", listen, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	s->err_fd = dup(fds[0]);	/* kept open: top may say more later */
	f = fdopen(fds[0], "r");
	s->port = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "agentprof: metrics at http://%63[^:]:%d/metrics", s->host, &s->port) == 2)
			break;
	fclose(f);
	cr_assert_gt(s->port, 0, "top did not say where it serves metrics");
}

static void stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

static void stop_top(struct server *s)
{
	int status;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, &status, 0);
	close(s->err_fd);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "top did not exit cleanly on SIGTERM");
}

/* The whole HTTP/1.0 response to a request of path on 127.0.0.1:port, or NULL. */
static char *http(int port, const char *method, const char *path_)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[256], *buf = NULL;
	size_t len = 0;
	FILE *mem;
	ssize_t n;
	char chunk[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return NULL;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path_);
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	mem = open_memstream(&buf, &len);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(mem);
	close(fd);
	return buf;
}

/* The value of the first line of text that starts with prefix, or -1. */
static double metric(const char *text, const char *prefix)
{
	char needle[256];
	const char *at;

	snprintf(needle, sizeof(needle), "\n%s ", prefix);
	at = strstr(text, needle);
	return at ? strtod(at + strlen(needle), NULL) : -1;
}

static const char *const categories[] = { "cpu", "runq", "lock", "net", "disk", "sleep", "idle", "other", "queue" };

/* Sum of the agentprof_class series: 1 when exactly one class is current. */
static double class_sum(const char *text)
{
	char prefix[64];
	double sum = 0;

	for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
		snprintf(prefix, sizeof(prefix), "agentprof_class{class=\"%s\"}", categories[i]);
		sum += metric(text, prefix);
	}
	return sum;
}

/*
 * The category of the series "family{label,category=...}" with the most time, run-queue time left
 * out: what a loaded machine adds to any thread, the rest of its time stays what it did.
 */
static const char *main_wait(const char *text, const char *family, const char *label)
{
	const char *best = "none";
	double most = 0;
	char prefix[128];

	for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
		double v;

		snprintf(prefix, sizeof(prefix), "%s{%s,category=\"%s\"}", family, label, categories[i]);
		v = metric(text, prefix);
		if (strcmp(categories[i], "runq") && v > most) {
			most = v;
			best = categories[i];
		}
	}
	return best;
}

/* Polls /metrics until top has measured two intervals; the page. */
static char *metrics_after_two_intervals(int port)
{
	for (int i = 0; i < PATIENCE_S * 10; i++) {
		char *page = http(port, "GET", "/metrics");

		if (page && metric(page, "agentprof_intervals_total") >= 2)
			return page;
		free(page);
		usleep(100000);
	}
	cr_assert_fail("top served no second interval");
	return NULL;
}

Test(formats, top_serves_metrics_on_loopback)
{
	struct server s;
	char *page, *body, *other, mpath[128];
	FILE *f;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("waits"), "60", NULL });
	start_top(pid, "0", &s);	/* a port alone binds loopback */
	cr_assert_str_eq(s.host, "127.0.0.1");
	page = metrics_after_two_intervals(s.port);
	cr_assert(strstr(page, "HTTP/1.0 200") || strstr(page, "HTTP/1.1 200"), "%s", page);
	cr_assert(strstr(page, "Content-Type: text/plain; version=0.0.4"), "%s", page);
	body = strstr(page, "\r\n\r\n");
	cr_assert(body);
	cr_assert_str_eq(main_wait(body, "agentprof_wait_seconds_total", "thread=\"mutex-wait\""), "lock", "%s", body);
	cr_assert_str_eq(main_wait(body, "agentprof_wait_seconds_total", "thread=\"spinner\""), "cpu", "%s", body);
	cr_assert_gt(metric(body, "agentprof_samples_total"), 0, "%s", body);
	cr_assert_eq(class_sum(body), 1, "exactly one class is current:\n%s", body);
	other = http(s.port, "GET", "/");
	cr_assert(other && strstr(other, " 404 "), "%s", other);
	free(other);
	require_tool("promtool", "prometheus");
	snprintf(mpath, sizeof(mpath), "%s/metrics.txt", dir);
	f = fopen(mpath, "w");
	cr_assert(f, "%s: %s", mpath, strerror(errno));
	fputs(body + 4, f);
	fclose(f);
	free(sh("promtool check metrics < %s", mpath));
	free(page);
	stop_top(&s);
	stop_workload(pid);
}

Test(formats, top_serves_time_per_span_name)
{
	struct server s;
	char *page;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("spans"), "60", NULL });
	start_top(pid, "127.0.0.1:0", &s);
	page = metrics_after_two_intervals(s.port);
	/* "tool" burns CPU, "llm" waits on a socket, "request" holds both */
	cr_assert_str_eq(main_wait(page, "agentprof_span_wait_seconds_total", "span=\"tool\""), "cpu", "%s", page);
	cr_assert_str_eq(main_wait(page, "agentprof_span_wait_seconds_total", "span=\"llm\""), "net", "%s", page);
	cr_assert_gt(metric(page, "agentprof_span_wait_seconds_total{span=\"request\",category=\"cpu\"}"), 0, "%s",
		     page);
	cr_assert_gt(metric(page, "agentprof_span_wait_seconds_total{span=\"request\",category=\"net\"}"), 0, "%s",
		     page);
	free(page);
	stop_top(&s);
	stop_workload(pid);
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* What `promtool query instant` answers, or NULL when Prometheus does not answer yet. */
static char *query(int port, const char *promql)
{
	char cmd[512];
	struct run r;

	snprintf(cmd, sizeof(cmd), "promtool query instant http://127.0.0.1:%d '%s'", port, promql);
	run_cmd((char *const[]){ "sh", "-c", cmd, NULL }, &r);
	free(r.err);
	if (r.status) {
		free(r.out);
		return NULL;
	}
	return r.out;
}

/* Asks until the answer holds want; the answer. */
static char *query_until(int port, const char *promql, const char *want)
{
	char *last = NULL;

	for (int i = 0; i < PATIENCE_S * 2; i++) {
		free(last);
		last = query(port, promql);
		if (last && strstr(last, want))
			return last;
		usleep(500000);
	}
	cr_assert_fail("Prometheus never answered '%s' with '%s'; last answer: %s", promql, want, last ?: "none");
	return NULL;
}

Test(formats, prometheus_scrapes_top)
{
	char cfg[128], data[128], listen[64], *answer;
	struct server s;
	pid_t pid, prom;
	int port;
	FILE *f;

	require_root();
	require_tool("prometheus", "prometheus");
	require_tool("promtool", "prometheus");
	pid = start_workload((char *const[]){ WORKLOAD("waits"), "90", NULL });
	start_top(pid, "127.0.0.1:0", &s);
	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", dir);
	snprintf(data, sizeof(data), "%s/prometheus-data", dir);
	f = fopen(cfg, "w");
	cr_assert(f);
	fprintf(f, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
		   "scrape_configs:\n  - job_name: agentprof\n    static_configs:\n"
		   "      - targets: ['127.0.0.1:%d']\n", s.port);
	fclose(f);
	port = free_port();
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
	prom = fork();
	cr_assert_geq(prom, 0);
	if (prom == 0) {
		char c[160], d[160];
		int null = open("/dev/null", O_WRONLY);

		snprintf(c, sizeof(c), "--config.file=%s", cfg);
		snprintf(d, sizeof(d), "--storage.tsdb.path=%s", data);
		dup2(null, 1);
		dup2(null, 2);
		execlp("prometheus", "prometheus", c, d, listen, "--log.level=error", (char *)NULL);
		_exit(127);
	}
	answer = query_until(port, "up{job=\"agentprof\"}", "=> 1 @");
	cr_log_info("%s", answer);
	free(answer);
	answer = query_until(port, "agentprof_wait_seconds_total{thread=\"mutex-wait\",category=\"lock\"} > 0",
			     "agentprof_wait_seconds_total{");
	cr_log_info("%s", answer);
	cr_assert(strstr(answer, "job=\"agentprof\"") && strstr(answer, "thread=\"mutex-wait\""), "%s", answer);
	free(answer);
	stop(prom);
	stop_top(&s);
	stop_workload(pid);
}

Test(formats, top_refuses_a_bad_listen_address)
{
	struct run r;

	run_cmd((char *const[]){ AGENTPROF, "top", "-p", "1", "--listen", "::1:9464", NULL }, &r);
	cr_assert_eq(r.status, 2);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cr_assert(strstr(r.err, "listen address must be"), "%s", r.err);
	run_free(&r);
}

#define FLOOD 200		/* idle connections held open against top's metrics server */
#define TRICKLES 10		/* of them, those that send their request a byte every TRICKLE_US */
#define TRICKLE_US 500000
static const char partial[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n";	/* no blank line */
static const char slow[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris/1.0\r\n\r\n";
static volatile sig_atomic_t flood_stop;

static void on_term(int sig)
{
	(void)sig;
	flood_stop = 1;
}

static int dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A process that keeps FLOOD connections open to 127.0.0.1:port, sending nothing (even ones),
 * half a request (odd ones) or a request a byte at a time (the first TRICKLES), and opens a new
 * one for each the server closes. It writes "ready" to out once it has dialled them all; on
 * SIGTERM, "opened closed trickles_closed trickles_whole": trickles_whole counts the slow requests
 * the server waited for to the end.
 */
static pid_t flood(int port, int out)
{
	struct pollfd p[FLOOD];
	size_t sent[FLOOD] = { 0 };
	unsigned long opened = 0, closed = 0, trickles_closed = 0, trickles_whole = 0;
	struct timespec last = { 0 };
	char line[128];
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < FLOOD; i++)
		p[i].fd = -1;
	for (bool ready = false; !flood_stop; ready = true) {
		struct timespec now;
		bool trickle;

		/* a byte per TRICKLE_US, however often poll wakes */
		clock_gettime(CLOCK_MONOTONIC, &now);
		trickle = (now.tv_sec - last.tv_sec) * 1000000 + (now.tv_nsec - last.tv_nsec) / 1000 >= TRICKLE_US;
		if (trickle)
			last = now;
		for (int i = 0; i < FLOOD; i++) {
			if (p[i].fd < 0) {
				p[i].fd = dial(port);
				p[i].events = POLLIN;
				sent[i] = 0;
				opened += p[i].fd >= 0;
				if (p[i].fd >= 0 && i >= TRICKLES && i % 2)
					sent[i] = write(p[i].fd, partial, sizeof(partial) - 1);
			} else if (trickle && i < TRICKLES && sent[i] < sizeof(slow) - 1) {
				if (write(p[i].fd, slow + sent[i], 1) == 1 && ++sent[i] == sizeof(slow) - 1)
					trickles_whole++;
			}
		}
		if (!ready && write(out, "ready\n", 6) != 6)
			_exit(1);
		if (poll(p, FLOOD, TRICKLE_US / 1000) <= 0)
			continue;
		for (int i = 0; i < FLOOD; i++) {
			char buf[4096];

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (read(p[i].fd, buf, sizeof(buf)) > 0)
				continue;	/* an answer, to a trickle that got its request through */
			closed++;
			trickles_closed += i < TRICKLES && sent[i] < sizeof(slow) - 1;
			close(p[i].fd);
			p[i].fd = -1;
		}
	}
	snprintf(line, sizeof(line), "%lu %lu %lu %lu\n", opened, closed, trickles_closed, trickles_whole);
	_exit(write(out, line, strlen(line)) < 0);
}

/*
 * A flood of idle and slow connections (slowloris) does not keep a scraper out: a plain GET made
 * during it is answered, a real Prometheus scrapes top (up == 1, a sample), and the server closes
 * the connections that send no request, whether they send nothing, half a request or a byte at a
 * time, instead of waiting for them.
 */
Test(formats, metrics_served_through_a_flood_of_idle_connections)
{
	char cfg[128], data[128], listen[64], line[128] = "", *answer, *page;
	unsigned long opened = 0, closed = 0, trickles_closed = 0, trickles_whole = 0;
	struct timespec t0, t1;
	struct server s;
	pid_t pid, prom, flooder;
	int port, fds[2], status;
	FILE *f, *said;

	require_root();
	require_tool("prometheus", "prometheus");
	require_tool("promtool", "prometheus");
	pid = start_workload((char *const[]){ WORKLOAD("waits"), "90", NULL });
	start_top(pid, "127.0.0.1:0", &s);
	cr_assert_eq(pipe(fds), 0);
	flooder = flood(s.port, fds[1]);
	close(fds[1]);
	said = fdopen(fds[0], "r");
	cr_assert(said && fgets(line, sizeof(line), said) && !strcmp(line, "ready\n"), "the flood did not start");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	page = http(s.port, "GET", "/metrics");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert(page && strstr(page, " 200 ") && strstr(page, "agentprof_intervals_total"),
		  "no answer to a GET during the flood: %s", page ?: "(none)");
	cr_log_info("a GET during the flood of %d: answered in %.1f ms", FLOOD,
		    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	free(page);

	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", dir);
	snprintf(data, sizeof(data), "%s/prometheus-data", dir);
	f = fopen(cfg, "w");
	cr_assert(f);
	fprintf(f, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
		   "scrape_configs:\n  - job_name: agentprof\n    static_configs:\n"
		   "      - targets: ['127.0.0.1:%d']\n", s.port);
	fclose(f);
	port = free_port();
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
	prom = fork();
	cr_assert_geq(prom, 0);
	if (prom == 0) {
		char c[160], d[160];
		int null = open("/dev/null", O_WRONLY);

		snprintf(c, sizeof(c), "--config.file=%s", cfg);
		snprintf(d, sizeof(d), "--storage.tsdb.path=%s", data);
		dup2(null, 1);
		dup2(null, 2);
		execlp("prometheus", "prometheus", c, d, listen, "--log.level=error", (char *)NULL);
		_exit(127);
	}
	answer = query_until(port, "up{job=\"agentprof\"}", "=> 1 @");
	cr_log_info("%s", answer);
	free(answer);
	answer = query_until(port, "agentprof_samples_total > 0", "agentprof_samples_total{");
	cr_assert(strstr(answer, "job=\"agentprof\""), "%s", answer);
	free(answer);
	stop(prom);

	kill(flooder, SIGTERM);
	cr_assert(fgets(line, sizeof(line), said), "the flood said nothing");
	fclose(said);
	waitpid(flooder, &status, 0);
	cr_assert_eq(sscanf(line, "%lu %lu %lu %lu", &opened, &closed, &trickles_closed, &trickles_whole), 4);
	cr_log_info("flood: %lu connections opened, %lu closed by the server, %lu slow requests cut, %lu let through",
		    opened, closed, trickles_closed, trickles_whole);
	cr_expect_gt(closed, 0, "the server closed none of the idle connections");
	cr_expect_gt(trickles_closed, 0, "the server closed none of the slow requests");
	cr_expect_eq(trickles_whole, 0, "the server waited for %lu requests sent a byte at a time", trickles_whole);
	stop_top(&s);
	stop_workload(pid);
}
