// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `top --listen`: serves the metrics at /metrics over HTTP while top runs. libmicrohttpd answers
 * from a thread of ours that runs its epoll loop and closes the connections that are slow to
 * send a request; top replaces the page after each interval, under a lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "base/log.h"
#include "report/metrics.h"
#include "report/metrics_server.h"
#include "base/util.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
/*
 * Scrapers need a few connections. The limit bounds descriptors and memory (256 x 16 KiB); it is
 * set well above them so that idle connections, each dropped within HEADER_DEADLINE_S, cannot fill
 * it before a scrape gets one. No per-address limit: on loopback, the default, every client is
 * 127.0.0.1 and a local flood would lock the local Prometheus out with it.
 */
#define MAX_CONNECTIONS 256
#define CONNECTION_MEMORY (16 * 1024)	/* a scrape's request headers are a few hundred bytes */
/* A connection has this long from its start, or from its last answer, to send a request's headers. */
#define HEADER_DEADLINE_S 3
#define IDLE_TIMEOUT_S 5	/* no byte either way while a request is read or answered: dropped */

/* A connection of the daemon's, while it is open. */
struct client {
	struct client *next, *prev;
	int fd;
	uint64_t deadline_ns;	/* for its next request's headers; 0 while one is answered */
};

struct metrics_server {
	struct MHD_Daemon *daemon;
	struct metrics *metrics;
	pthread_mutex_t lock;	/* guards page */
	char *page;
	size_t len;
	pthread_t thread;	/* runs the daemon; the only one touching clients until it is joined */
	bool running;
	int wake_fd;		/* an eventfd: stop */
	struct client *clients;
};

int parse_listen(const char *s, struct sockaddr_storage *addr, socklen_t *len)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *in = (struct sockaddr_in *)addr;
	char host[INET6_ADDRSTRLEN] = "";
	const char *port = s, *end;
	bool v6 = false;
	long num;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, end - s - 1);
		host[end - s - 1] = '\0';
		port = end + 2;
		v6 = true;
	} else if ((end = strrchr(s, ':'))) {
		/* an IPv6 address needs its brackets, or its last group would read as the port */
		if (memchr(s, ':', end - s) || (size_t)(end - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, end - s);
		host[end - s] = '\0';
		port = end + 1;
	}
	if (parse_long(port, 0, 65535, &num))
		return -EINVAL;
	if (!host[0] || !strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	memset(addr, 0, sizeof(*addr));
	if (v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(num);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(num);
	*len = sizeof(*in);
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -EINVAL;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *text, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_size, void **req_cls)
{
	static const char not_found[] = "agentprof serves /metrics only\n";
	static const char not_allowed[] = "GET or HEAD only\n";
	static int first_call;
	struct metrics_server *s = cls;
	enum MHD_Result ret;

	(void)version, (void)upload_data;
	/* the first call brings the headers only; answer on the next one */
	if (!*req_cls) {
		const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct client *c = info ? info->socket_context : NULL;

		if (c)
			c->deadline_ns = 0;	/* headers in time: only the idle timeout applies now */
		*req_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_size)
		return MHD_NO;	/* a request body was never asked for */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed, sizeof(not_allowed) - 1);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, not_found, sizeof(not_found) - 1);
	pthread_mutex_lock(&s->lock);
	ret = reply(conn, MHD_HTTP_OK, s->page, s->len);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static uint64_t header_deadline(void)
{
	return now_ns(CLOCK_MONOTONIC) + HEADER_DEADLINE_S * 1000000000ull;
}

/* Tracks each connection from its start, so that one that sends no request in time is closed. */
static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode toe)
{
	struct metrics_server *s = cls;
	const union MHD_ConnectionInfo *info;
	struct client *c;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		c = *socket_context;
		if (!c)
			return;
		if (c->prev)
			c->prev->next = c->next;
		else
			s->clients = c->next;
		if (c->next)
			c->next->prev = c->prev;
		free(c);
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c = calloc(1, sizeof(*c));
	if (!c || !info) {
		/* one that could not be watched is not served: it could hold its slot */
		if (info)
			shutdown(info->connect_fd, SHUT_RDWR);
		free(c);
		return;
	}
	c->fd = info->connect_fd;
	c->deadline_ns = header_deadline();
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	*socket_context = c;
}

/* A request was answered (or dropped): the connection's next one has its own deadline. */
static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			      enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct client *c = info ? info->socket_context : NULL;

	(void)cls, (void)req_cls, (void)toe;
	if (c)
		c->deadline_ns = header_deadline();
}

/*
 * Ends the connections past their header deadline; how long until the next one is due, in ms
 * (-1: none). libmicrohttpd has no such deadline (its timeout is reset by every byte, which a
 * slow client sends one at a time): shutdown() makes it read the end of the connection and
 * close it itself.
 */
static int drop_late(struct metrics_server *s)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC), next = UINT64_MAX;

	for (struct client *c = s->clients; c; c = c->next) {
		if (!c->deadline_ns)
			continue;
		if (c->deadline_ns <= now) {
			shutdown(c->fd, SHUT_RDWR);
			c->deadline_ns = 0;
		} else if (c->deadline_ns < next) {
			next = c->deadline_ns;
		}
	}
	return next == UINT64_MAX ? -1 : (int)((next - now + 999999) / 1000000);
}

/* The daemon's loop: its epoll descriptor, its own timeouts, the header deadlines, until woken. */
static void *serve(void *arg)
{
	struct metrics_server *s = arg;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	struct pollfd fds[2] = { { .fd = info ? info->epoll_fd : -1, .events = POLLIN },
				 { .fd = s->wake_fd, .events = POLLIN } };

	if (!info) {
		pr_warn("metrics server: libmicrohttpd has no epoll descriptor\n");
		return NULL;
	}
	for (;;) {
		MHD_UNSIGNED_LONG_LONG mhd_ms;
		int ms = drop_late(s);

		if (MHD_get_timeout(s->daemon, &mhd_ms) == MHD_YES && (ms < 0 || mhd_ms < (MHD_UNSIGNED_LONG_LONG)ms))
			ms = mhd_ms > 60000 ? 60000 : (int)mhd_ms;
		if (poll(fds, 2, ms) < 0 && errno != EINTR) {
			pr_warn("metrics server: poll: %s\n", strerror(errno));
			break;
		}
		if (fds[1].revents)
			break;
		MHD_run(s->daemon);
	}
	return NULL;
}

/* Renders the metrics and serves them from now on. */
static int publish(struct metrics_server *s)
{
	char *page = NULL, *old;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	int err;

	if (!f)
		return -ENOMEM;
	err = metrics__write(s->metrics, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(page);
		return err;
	}
	pthread_mutex_lock(&s->lock);
	old = s->page;
	s->page = page;
	s->len = len;
	pthread_mutex_unlock(&s->lock);
	free(old);
	return 0;
}

/* A listening socket made here, so that a refusal (address in use...) can be said as it is. */
static int listen_on(const char *where, const struct sockaddr_storage *addr, socklen_t len)
{
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1, err;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)addr, len) || listen(fd, MAX_CONNECTIONS)) {
		err = -errno;
		pr_warn("listen on %s: %s\n", where, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

/* "http://127.0.0.1:9464/metrics", with the port the kernel chose for port 0. */
static void say_where(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return;
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		fprintf(stderr, "agentprof: metrics at http://[%s]:%d/metrics\n", host, port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		fprintf(stderr, "agentprof: metrics at http://%s:%d/metrics\n", host, port);
	}
}

struct metrics_server *metrics_server__start(const char *where, pid_t pid, const char *comm)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage addr;
	socklen_t len;
	int fd, err;

	if (!s)
		return NULL;
	s->wake_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->metrics = metrics__new(pid, comm);
	err = s->metrics ? publish(s) : -ENOMEM;
	if (err)
		goto fail;
	if (parse_listen(where, &addr, &len)) {
		pr_warn("listen address must be HOST:PORT, [IPV6]:PORT or PORT, not '%s'\n", where);
		err = -EINVAL;
		goto fail;
	}
	fd = listen_on(where, &addr, len);
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	/* the daemon owns fd from here, and closes it when stopped */
	s->daemon = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
				     MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s,
				     MHD_OPTION_NOTIFY_COMPLETED, request_completed, s, MHD_OPTION_END);
	if (!s->daemon) {
		err = -EIO;
		pr_warn("serve metrics on %s: libmicrohttpd did not start\n", where);
		close(fd);
		goto fail;
	}
	s->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		err = -errno;
		pr_warn("serve metrics: eventfd: %s\n", strerror(-err));
		goto fail;
	}
	err = -pthread_create(&s->thread, NULL, serve, s);
	if (err) {
		pr_warn("serve metrics: thread: %s\n", strerror(-err));
		goto fail;
	}
	s->running = true;
	say_where(fd);
	return s;
fail:
	metrics_server__stop(s);
	errno = -err;
	return NULL;
}

int metrics_server__add(struct metrics_server *s, const struct profile *interval)
{
	return metrics__add(s->metrics, interval) ?: publish(s);
}

void metrics_server__stop(struct metrics_server *s)
{
	if (!s)
		return;
	if (s->running) {
		eventfd_write(s->wake_fd, 1);
		pthread_join(s->thread, NULL);
	}
	/* from here only this thread uses the daemon: its last callbacks free the clients */
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	metrics__free(s->metrics);
	free(s->page);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
