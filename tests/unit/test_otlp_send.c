// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The OTLP sender against tests/otlp/receiver.py on loopback: gzip and headers arrive, 503s are
 * retried (Retry-After honoured), 400 and 500 are not, a closed port or a closed connection drop
 * the batch, a full queue drops and counts, and a silent endpoint cannot hold finish past its
 * deadline: each span ends up counted as sent or dropped, once.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helpers.h"
#include "report/otlp_send.h"
#include "base/util.h"

#define RECEIVER "tests/otlp/receiver.py"

static char *dir, *log_path, url[64];
static pid_t receiver;

static void setup(void)
{
	dir = scratch_dir();
	log_path = path_in(dir, "requests.jsonl");
	receiver = 0;
}

static void teardown(void)
{
	if (receiver > 0) {
		kill(receiver, SIGKILL);
		waitpid(receiver, NULL, 0);
	}
	free(log_path);
	scratch_remove(dir);
}

TestSuite(otlp_send, .init = setup, .fini = teardown, .timeout = 60);

/* Starts the receiver in mode; url is its base URL once it listens. */
static void start_receiver(const char *mode)
{
	char *port_file = path_in(dir, "port"), *port = NULL;

	require_tool("protoc", "protobuf-compiler");
	receiver = fork();
	cr_assert_geq(receiver, 0);
	if (!receiver) {
		/* it says "listening" on stdout: the unit tests' output is Criterion's */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl("/usr/bin/python3", "python3", RECEIVER, "serve", port_file, log_path, mode, NULL);
		_exit(127);
	}
	for (int i = 0; i < 400 && !port; i++) {
		port = access(port_file, R_OK) ? NULL : run_output("cat %s", port_file);
		if (!port)
			usleep(25000);
	}
	cr_assert(port, "the receiver did not start");
	port[strcspn(port, "\n")] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/", port);
	free(port);
	free(port_file);
}

static const char *const headers[] = { "X-Api-Key: canary-key-7f3a" };

static struct otlp_sender *sender(int max_retries, size_t queue_spans)
{
	struct otlp_send_opts o = {
		.url = url, .headers = headers, .nheaders = 1, .format = OTLP_PROTOBUF,
		.queue_spans = queue_spans, .request_timeout_ms = 5000, .max_retries = max_retries,
	};
	struct otlp_sender *s = otlp_sender__new(&o);

	cr_assert(s);
	return s;
}

/* An empty ExportTraceServiceRequest is a valid body: zero bytes. */
static void submit(struct otlp_sender *s, size_t nspans)
{
	otlp_sender__submit(s, malloc(1), 0, nspans);
}

static json_t *requests(void)
{
	json_t *all = json_array();
	char *text = run_output("cat %s 2>/dev/null", log_path), *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		json_array_append_new(all, json_loads(line, 0, NULL));
	free(text);
	return all;
}

static void finish(struct otlp_sender *s, long deadline_ms, struct otlp_stats *st)
{
	otlp_sender__finish(s, now_ns(CLOCK_MONOTONIC) + deadline_ms * 1000000ull, st);
	cr_assert_eq(st->spans_sent + st->spans_dropped, st->spans_sent + st->dropped_queue_full +
		     st->dropped_rejected + st->dropped_failed + st->dropped_at_exit, "drops sum up");
}

Test(otlp_send, gzip_path_and_headers_arrive)
{
	struct otlp_stats st;
	json_t *reqs, *h;

	start_receiver("ok");
	struct otlp_sender *s = sender(3, 1000);
	submit(s, 10);
	submit(s, 5);
	finish(s, 10000, &st);
	cr_assert_eq(st.spans_sent, 15);
	cr_assert_eq(st.spans_dropped, 0);
	cr_assert_eq(st.batches_sent, 2);
	reqs = requests();
	cr_assert_eq(json_array_size(reqs), 2);
	h = json_object_get(json_array_get(reqs, 0), "headers");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(reqs, 0), "path")), "/v1/traces");
	cr_assert_str_eq(json_string_value(json_object_get(h, "content-encoding")), "gzip");
	cr_assert_str_eq(json_string_value(json_object_get(h, "content-type")), "application/x-protobuf");
	cr_assert_str_eq(json_string_value(json_object_get(h, "x-api-key")), "canary-key-7f3a");
	cr_assert_null(json_object_get(json_array_get(reqs, 0), "error"), "%s",
		       json_string_value(json_object_get(json_array_get(reqs, 0), "error")));
	json_decref(reqs);
}

Test(otlp_send, unavailable_is_retried)
{
	struct otlp_stats st;
	json_t *reqs;

	start_receiver("retry2");
	struct otlp_sender *s = sender(3, 1000);
	submit(s, 7);
	finish(s, 20000, &st);
	cr_assert_eq(st.spans_sent, 7, "sent on the third request");
	cr_assert_eq(st.retries, 2);
	cr_assert_eq(st.spans_retried, 7);
	cr_assert_eq(st.spans_dropped, 0);
	reqs = requests();
	cr_assert_eq(json_array_size(reqs), 3);
	json_decref(reqs);
}

/* 503 with Retry-After: 30 and a deadline of 2 s: the retry waits, so it never goes out */
Test(otlp_send, retry_after_is_honoured)
{
	struct otlp_stats st;
	json_t *reqs;

	start_receiver("hold");
	struct otlp_sender *s = sender(3, 1000);
	submit(s, 7);
	finish(s, 2000, &st);
	cr_assert_eq(st.retries, 1);
	cr_assert_eq(st.dropped_at_exit, 7);
	reqs = requests();
	cr_assert_eq(json_array_size(reqs), 1, "retried before the 30 s Retry-After asked for");
	json_decref(reqs);
}

Test(otlp_send, retries_run_out)
{
	struct otlp_stats st;

	start_receiver("retry100");
	struct otlp_sender *s = sender(1, 1000);
	submit(s, 4);
	finish(s, 20000, &st);
	cr_assert_eq(st.spans_sent, 0);
	cr_assert_eq(st.dropped_failed, 4);
	cr_assert_eq(st.retries, 1);
	cr_assert(strstr(st.last_error, "HTTP 503"), "%s", st.last_error);
}

static void rejected(const char *mode, const char *status)
{
	struct otlp_stats st;
	json_t *reqs;

	start_receiver(mode);
	struct otlp_sender *s = sender(3, 1000);
	submit(s, 3);
	finish(s, 10000, &st);
	cr_assert_eq(st.spans_sent, 0);
	cr_assert_eq(st.dropped_rejected, 3);
	cr_assert_eq(st.retries, 0, "%s is not retried", status);
	cr_assert(strstr(st.last_error, status), "%s", st.last_error);
	reqs = requests();
	cr_assert_eq(json_array_size(reqs), 1);
	json_decref(reqs);
}

Test(otlp_send, bad_request_is_not_retried)
{
	rejected("fail400", "HTTP 400");
}

Test(otlp_send, internal_error_is_not_retried)
{
	rejected("fail500", "HTTP 500");
}

Test(otlp_send, closed_connection_drops_the_batch)
{
	struct otlp_stats st;

	start_receiver("close");
	struct otlp_sender *s = sender(3, 1000);
	submit(s, 6);
	finish(s, 10000, &st);
	cr_assert_eq(st.spans_sent, 0);
	cr_assert_eq(st.dropped_failed, 6);
	cr_assert_neq(st.last_error[0], '\0');
}

Test(otlp_send, nothing_listening)
{
	struct otlp_stats st;
	struct otlp_sender *s;

	/* port 1 on loopback: refused at once */
	snprintf(url, sizeof(url), "http://127.0.0.1:1");
	s = sender(3, 1000);
	submit(s, 2);
	submit(s, 2);
	finish(s, 10000, &st);
	cr_assert_eq(st.spans_sent, 0);
	cr_assert_eq(st.dropped_failed, 4);
	cr_assert_eq(st.retries, 0, "a refused connection is not retried");
}

Test(otlp_send, silent_endpoint_is_cut_at_the_deadline)
{
	struct otlp_stats st;

	start_receiver("slow");
	struct otlp_sender *s = sender(3, 1000);
	submit(s, 5);
	submit(s, 5);
	finish(s, 1000, &st);
	cr_assert_eq(st.spans_sent, 0);
	cr_assert_eq(st.dropped_at_exit, 10, "the one in flight and the one queued");
}

Test(otlp_send, full_queue_drops_and_counts)
{
	struct otlp_stats st;
	struct otlp_sender *s;

	start_receiver("slow");	/* holds the first request: the thread takes no more off the queue */
	s = sender(0, 10);
	/* one batch in flight at the most, two in the queue of 10: the other three are dropped */
	for (int i = 0; i < 6; i++)
		submit(s, 5);
	finish(s, 1000, &st);
	cr_assert_geq(st.dropped_queue_full, 15, "%zu dropped as the queue was full",
		      (size_t)st.dropped_queue_full);
	cr_assert_eq(st.spans_sent + st.spans_dropped, 30, "every span counted once");
}
