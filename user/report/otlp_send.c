// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * OTLP/HTTP export: a bounded queue of request bodies, sent gzipped by one thread (libcurl), retried
 * with exponential backoff on 429/502/503/504 only, never blocking whoever queues them.
 */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "report/otlp_send.h"
#include "base/log.h"
#include "base/util.h"

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 8000
#define RETRY_AFTER_MAX_S 60
#define POLL_MS 100		/* how long a request in flight may go unchecked for a stop */

struct batch {
	struct batch *next;
	uint8_t *body;
	size_t len, nspans;
};

struct otlp_sender {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* work queued, or closing or stopping */
	pthread_cond_t idle;		/* the thread finished */
	struct batch *head, *tail;
	size_t queued_spans, queue_cap;
	bool closing;			/* no more batches: exit when the queue is empty */
	bool stop;			/* the deadline passed: drop everything, now */
	bool done;
	struct otlp_stats stats;
	/* the thread's own */
	CURL *easy;
	CURLM *multi;
	struct curl_slist *headers;
	char *url;
	int max_retries;
};

static bool stopping(struct otlp_sender *s)
{
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* Waits ms or until stopped; false when stopped. */
static bool pause_ms(struct otlp_sender *s, long ms)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
		;
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return !stop;
}

/* gzip (Content-Encoding: gzip) of len bytes into *out, malloc()ed. 0 or -ENOMEM. */
static int gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	z_stream z = {};
	uLong cap;
	int ret;

	*out = NULL;
	if (len > UINT_MAX)	/* avail_in is an unsigned int: a body is a batch, far smaller */
		return -E2BIG;
	/* 15 + 16: a gzip header and trailer around the deflate stream */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len) + 32;
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = len;
	z.next_out = *out;
	z.avail_out = cap;
	ret = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (ret != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * n;
}

/* One POST; *status is the HTTP status, 0 when none came (errbuf says why). */
static CURLcode post(struct otlp_sender *s, const uint8_t *body, size_t len, long *status, long *retry_after_s,
		     char *errbuf)
{
	CURLcode res = CURLE_OK;
	struct CURLMsg *msg;
	curl_off_t after = 0;
	int running = 1, left;

	*status = 0;
	*retry_after_s = 0;
	errbuf[0] = '\0';
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, (const char *)body);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (curl_multi_add_handle(s->multi, s->easy) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while (running) {
		if (curl_multi_perform(s->multi, &running) != CURLM_OK) {
			res = CURLE_FAILED_INIT;
			break;
		}
		if (!running)
			break;
		if (stopping(s)) {
			res = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		curl_multi_poll(s->multi, NULL, 0, POLL_MS, NULL);
	}
	while (!running && (msg = curl_multi_info_read(s->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			res = msg->data.result;
	curl_multi_remove_handle(s->multi, s->easy);
	if (res == CURLE_OK) {
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, status);
		/* seconds, from either form of Retry-After (a delay or an HTTP date) */
		if (curl_easy_getinfo(s->easy, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
			*retry_after_s = after > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (long)after;
	}
	return res;
}

static bool retryable(long status)
{
	return status == 429 || status == 502 || status == 503 || status == 504;
}

enum outcome { SENT, REJECTED, FAILED, AT_EXIT };

/* Sends one batch, retrying as OTLP/HTTP says; the counts under the lock. */
static void send_batch(struct otlp_sender *s, const struct batch *b)
{
	char errbuf[CURL_ERROR_SIZE], why[sizeof(s->stats.last_error)] = "";
	enum outcome out = FAILED;
	uint8_t *gz = NULL;
	size_t gz_len = 0;
	bool retried = false;
	int attempt;

	if (gzip(b->body, b->len, &gz, &gz_len)) {
		snprintf(why, sizeof(why), "gzip: out of memory");
		goto count;
	}
	curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, errbuf);
	for (attempt = 0;; attempt++) {
		long status, after_s, wait_ms;
		CURLcode res;

		if (stopping(s)) {
			out = AT_EXIT;
			break;
		}
		res = post(s, gz, gz_len, &status, &after_s, errbuf);
		pthread_mutex_lock(&s->lock);
		s->stats.requests++;
		pthread_mutex_unlock(&s->lock);
		if (res == CURLE_ABORTED_BY_CALLBACK) {
			out = AT_EXIT;
			break;
		}
		if (res != CURLE_OK) {
			/* no answer: the request may or may not have arrived, and is not retried */
			snprintf(why, sizeof(why), "%s", errbuf[0] ? errbuf : curl_easy_strerror(res));
			out = FAILED;
			break;
		}
		if (status >= 200 && status < 300) {
			out = SENT;
			break;
		}
		if (!retryable(status)) {
			snprintf(why, sizeof(why), "HTTP %ld", status);
			out = REJECTED;
			break;
		}
		if (attempt >= s->max_retries) {
			snprintf(why, sizeof(why), "HTTP %ld after %d retries", status, attempt);
			out = FAILED;
			break;
		}
		wait_ms = after_s ? after_s * 1000 : BACKOFF_FIRST_MS << (attempt < 5 ? attempt : 5);
		if (wait_ms > BACKOFF_MAX_MS && !after_s)
			wait_ms = BACKOFF_MAX_MS;
		pthread_mutex_lock(&s->lock);
		s->stats.retries++;
		if (!retried)
			s->stats.spans_retried += b->nspans;
		pthread_mutex_unlock(&s->lock);
		retried = true;
		pr_debug("otlp: HTTP %ld, retry %d in %ld ms\n", status, attempt + 1, wait_ms);
		if (!pause_ms(s, wait_ms)) {
			out = AT_EXIT;
			break;
		}
	}
count:
	curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, NULL);
	free(gz);
	pthread_mutex_lock(&s->lock);
	switch (out) {
	case SENT:
		s->stats.spans_sent += b->nspans;
		s->stats.batches_sent++;
		s->stats.bytes_sent += gz_len;
		break;
	case REJECTED:
		s->stats.dropped_rejected += b->nspans;
		break;
	case FAILED:
		s->stats.dropped_failed += b->nspans;
		break;
	case AT_EXIT:
		s->stats.dropped_at_exit += b->nspans;
		snprintf(why, sizeof(why), "not sent before the export's deadline");
		break;
	}
	if (out != SENT) {
		s->stats.spans_dropped += b->nspans;
		snprintf(s->stats.last_error, sizeof(s->stats.last_error), "%s", why);
	}
	pthread_mutex_unlock(&s->lock);
}

static void *run(void *arg)
{
	struct otlp_sender *s = arg;
	struct batch *b;
	sigset_t pipe;

	/* a peer that closes mid-request must not end the command: a SIGPIPE here stays pending */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->head && !s->closing && !s->stop)
			pthread_cond_wait(&s->wake, &s->lock);
		if (!s->head || s->stop)
			break;
		b = s->head;
		s->head = b->next;
		if (!s->head)
			s->tail = NULL;
		s->queued_spans -= b->nspans;
		pthread_mutex_unlock(&s->lock);
		send_batch(s, b);
		free(b->body);
		free(b);
		pthread_mutex_lock(&s->lock);
	}
	s->done = true;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void free_sender(struct otlp_sender *s)
{
	struct batch *b;

	while ((b = s->head)) {
		s->head = b->next;
		free(b->body);
		free(b);
	}
	if (s->multi)
		curl_multi_cleanup(s->multi);
	if (s->easy)
		curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->headers);
	free(s->url);
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* URL/v1/traces, unless URL ends so already; no doubled slash. */
static char *traces_url(const char *base)
{
	static const char path[] = "/v1/traces";
	size_t n = strlen(base);
	char *url;

	if (n >= sizeof(path) - 1 && !strcmp(base + n - (sizeof(path) - 1), path))
		return strdup(base);
	while (n && base[n - 1] == '/')
		n--;
	if (asprintf(&url, "%.*s%s", (int)n, base, path) < 0)
		return NULL;
	return url;
}

static int configure(struct otlp_sender *s, const struct otlp_send_opts *o)
{
	const char *ctype = o->format == OTLP_JSON ? "Content-Type: application/json" :
						     "Content-Type: application/x-protobuf";
	struct curl_slist *h;

	s->url = traces_url(o->url);
	s->easy = curl_easy_init();
	s->multi = curl_multi_init();
	if (!s->url || !s->easy || !s->multi)
		return -ENOMEM;
	/* "Expect:" off: no 100-continue round trip before each body */
	h = curl_slist_append(NULL, ctype);
	h = h ? curl_slist_append(h, "Content-Encoding: gzip") : NULL;
	h = h ? curl_slist_append(h, "Expect:") : NULL;
	for (size_t i = 0; h && i < o->nheaders; i++)
		h = curl_slist_append(h, o->headers[i]);
	if (!h)
		return -ENOMEM;
	s->headers = h;
	if (curl_easy_setopt(s->easy, CURLOPT_URL, s->url) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
		return -EINVAL;
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "agentprof");
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);	/* a thread: no SIGALRM for DNS timeouts */
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, o->request_timeout_ms);
	curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, o->request_timeout_ms);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, discard);
	/* a redirect would resend the headers (the API key) elsewhere: not followed */
	curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 0L);
	return 0;
}

struct otlp_sender *otlp_sender__new(const struct otlp_send_opts *o)
{
	pthread_condattr_t attr;
	struct otlp_sender *s;
	int err;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		pr_warn("otlp: libcurl did not initialize\n");
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	/* deadlines and backoff are CLOCK_MONOTONIC: a clock step must not stretch or cut them */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &attr);
	pthread_cond_init(&s->idle, &attr);
	pthread_condattr_destroy(&attr);
	s->max_retries = o->max_retries;
	s->queue_cap = o->queue_spans;
	err = configure(s, o);
	if (err == -EINVAL)
		pr_warn("otlp: the URL must be http:// or https://\n");
	else if (err)
		pr_warn("otlp: %s\n", strerror(-err));
	if (!err && (err = -pthread_create(&s->thread, NULL, run, s)))
		pr_warn("otlp: start the sending thread: %s\n", strerror(-err));
	if (err) {
		free_sender(s);
		errno = -err;
		return NULL;
	}
	return s;
}

void otlp_sender__submit(struct otlp_sender *s, uint8_t *body, size_t len, size_t nspans)
{
	struct batch *b;

	pthread_mutex_lock(&s->lock);
	if (s->closing || s->queued_spans + nspans > s->queue_cap || !(b = malloc(sizeof(*b)))) {
		s->stats.dropped_queue_full += nspans;
		s->stats.spans_dropped += nspans;
		snprintf(s->stats.last_error, sizeof(s->stats.last_error), "the queue was full");
		pthread_mutex_unlock(&s->lock);
		free(body);
		return;
	}
	*b = (struct batch){ .body = body, .len = len, .nspans = nspans };
	if (s->tail)
		s->tail->next = b;
	else
		s->head = b;
	s->tail = b;
	s->queued_spans += nspans;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void otlp_sender__stats(struct otlp_sender *s, struct otlp_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->stats;
	pthread_mutex_unlock(&s->lock);
}

void otlp_sender__finish(struct otlp_sender *s, uint64_t deadline_ns, struct otlp_stats *st)
{
	struct timespec until = { deadline_ns / 1000000000, deadline_ns % 1000000000 };
	struct batch *b;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->closing = true;
	pthread_cond_broadcast(&s->wake);
	while (!s->done && pthread_cond_timedwait(&s->idle, &s->lock, &until) != ETIMEDOUT)
		;
	/* past the deadline: the request in flight stops within POLL_MS, the queue is dropped */
	s->stop = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	curl_multi_wakeup(s->multi);
	pthread_join(s->thread, NULL);
	while ((b = s->head)) {
		s->head = b->next;
		s->stats.dropped_at_exit += b->nspans;
		s->stats.spans_dropped += b->nspans;
		snprintf(s->stats.last_error, sizeof(s->stats.last_error), "not sent before the export's deadline");
		free(b->body);
		free(b);
	}
	if (st)
		*st = s->stats;
	free_sender(s);
	curl_global_cleanup();
}
