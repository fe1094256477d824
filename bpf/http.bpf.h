/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Spans from HTTP/1.x requests, shared by the socket tracepoints (http.bpf.c) and OpenSSL's
 * plaintext (uprobes.bpf.c), tracked per connection (process and socket fd), on whatever thread
 * touches it: an inbound request is a server span from its read until its response is written
 * whole; an outbound one a client span from its write until its response is read whole (a
 * Content-Length, a chunked body's last chunk, or the connection's close: a streamed LLM answer
 * included), with the time its body began. A W3C traceparent header gives the ids; a request
 * without one gets random ids, flagged SPAN_GENERATED (userspace parents an outbound one to the
 * span it began in). Keep-alive connections carry requests in turn; pipelined requests, HTTP/2,
 * headers past the first HTTP_PEEK bytes of a read and the iovecs past the fourth of a vectored
 * read or write are not looked into. The first HTTP_PEEK bytes of a payload are looked at in a per-CPU buffer,
 * wiped once parsed: only the ids, the method, the path, the Host header and the peer's address
 * leave the kernel; no other byte of the payload is copied out or kept.
 */
#ifndef HTTP_BPF_H
#define HTTP_BPF_H

#include "spans.bpf.h"
#include "task.bpf.h"
#include "genai.bpf.h"

#define HTTP_PEEK	512	/* request line and headers of a small request */
#define TP_HEADER	12	/* "traceparent:" */
#define TP_VALUE	55	/* 00-<32 hex>-<16 hex>-<2 hex> */

/*
 * http_seen's flags beside enum span_flags, never in a span's: a TLS read whose session's socket
 * is not known, so that its fd is the thread's last socket read, a guess (see tls_read_ret).
 */
#define HTTP_FD_GUESSED	(1u << 31)
#define HOST_HEADER	5	/* "host:" */
#define PATH_MAX_SHOWN	50	/* "http DELETE " and the path fit SPAN_NAME_LEN */

/*
 * A thread's socket I/O as HTTP sees it, in task-local storage: freed with the thread, no table
 * to fill up.
 */
struct io_state {
	__u32 last_fd;		/* the socket of the thread's last read or write: a TLS read's, failing tls_conns */
	__u32 pad;
	__u64 tls_wbuf;		/* SSL_write's plaintext, until the socket write that sends it */
	__u64 tls_wlen;
	__u64 tls_wssl;		/* and its SSL * */
	__u64 tls_rbuf;		/* SSL_read's buffer, from its entry to its return */
	__u64 tls_rlen;		/* SSL_read_ex's size_t *readbytes; 0 for SSL_read */
	__u64 tls_rssl;		/* and its SSL * */
};

struct tls_key {
	__u64 ssl;		/* an SSL * of the process */
	__u32 tgid;
	__u32 pad;
};

struct tls_conn {
	__u64 sk;		/* the socket its writes went to, through fd (an fd reused since has another) */
	__u32 fd;
	__u32 pad;
};

/*
 * The socket of each TLS session, learnt where SSL_write's plaintext goes out. An event loop
 * feeds a memory BIO and reads its plaintext later, after other connections' I/O (asyncio: the
 * thread's last socket was another connection's in 28% of SSL_reads): the session says whose it
 * is. LRU: a session freed without a word from OpenSSL leaves in its turn, no map fills up.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct tls_key);
	__type(value, struct tls_conn);
	__uint(max_entries, 16384);
} tls_conns SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct io_state);
} io_states SEC(".maps") __weak;

/*
 * A connection of the target: its process and the socket's fd. Per process, not per thread: an
 * event loop, or a pool that writes on one thread and reads on another, keeps many requests in
 * flight at once, one per connection.
 */
struct http_key {
	__u32 tgid;
	__u32 fd;
};

/*
 * How much of a response has gone over the connection: none yet, its headers in part, up to a
 * Content-Length, up to a chunked body's last chunk, or until the connection closes (neither of
 * them).
 */
enum body { BODY_AWAITED, BODY_HEADERS, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

#define HTTP_HEADERS_MAX	16384	/* a response's headers looked through, over all its reads */

enum header_state { HS_NAME, HS_LENGTH, HS_ENCODING, HS_SKIP };

/* A response's headers scanned so far, carried from read to read (a header may be split between two). */
struct header_scan {
	__u32 seen;	/* bytes of them scanned */
	__s32 length;	/* Content-Length, -1: none (yet) */
	__u8 state;	/* enum header_state: of the current line */
	__u8 match;	/* bytes of the header's name matched so far (HS_NAME); of "chunked" (HS_ENCODING) */
	__u8 which;	/* HS_NAME: matching Transfer-Encoding (else Content-Length) */
	__u8 empty;	/* the line so far is empty (or a lone '\r'): a '\n' ends the headers */
	__u8 chunked;	/* Transfer-Encoding: chunked */
	__u8 pad[3];
};

/* The request in flight on a connection: a client span until its response is read whole, a server span until written. */
struct http_val {
	struct span_ref ref;
	__u32 server;	/* inbound: ends when the response is written; outbound: when it is read */
	__u32 body;	/* enum body */
	__u64 left;	/* BODY_LENGTH: bytes of the body still to go */
	__u64 body_ts;	/* when the response's body began (its first byte went over), 0: not yet */
	__u32 tls;	/* seen in TLS plaintext: the socket's own bytes are ciphertext */
	__u32 post;	/* an outbound POST: its JSON is looked into for an LLM call's model and usage */
	__u64 ctx;	/* the context of the thread that touches the connection (conn_contexts) */
	struct header_scan hs;
	struct genai_scan gs;
	struct span_genai genai;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct http_key);
	__type(value, struct http_val);
	__uint(max_entries, 4096);
} http_spans SEC(".maps") __weak;

/*
 * Where a walk over a payload of len bytes at ubuf in the target is: its bytes are looked at one
 * by one, HTTP_PEEK at a time in p->buf (which holds the first of them when the walk begins). In
 * the per-CPU buffer, not on the stack: the verifier then sees one state of the loop, not one per
 * value the offsets had.
 */
struct walk_pos {
	__u64 ubuf, len;
	__u64 from;		/* the payload's offset of the bpf_loop's first byte */
	__u64 base;		/* the payload's offset of p->buf[0] */
	__u64 end;		/* where the headers ended (the body's first byte), 0: not in these bytes */
};

struct peek {
	char buf[HTTP_PEEK + TP_VALUE + TP_HEADER];	/* room past the end for the header's value */
	char name[SPAN_NAME_LEN];
	struct span_http http;
	__u32 len;
	__s32 tp_at;	/* offset of the traceparent value, -1: none */
	__s32 host_at;	/* offset of the Host value, -1: none */
	__u32 pad;
	struct http_val val;	/* a new request's, built here: it would take most of the stack */
	struct walk_pos pos;
};

/*
 * Payload bytes (Authorization headers, bodies). BPF_F_WRONLY makes agentprof's descriptor unable
 * to read it (BPF_F_WRONLY_PROG would stop the programs instead); it is the descriptor's flag, not
 * the map's: root opening the map by id reads it. So http_seen wipes it after each parse.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(map_flags, BPF_F_WRONLY);
	__type(key, __u32);
	__type(value, struct peek);
	__uint(max_entries, 1);
} peeks SEC(".maps") __weak;

static __always_inline struct io_state *io_state(bool create)
{
	return bpf_task_storage_get(&io_states, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* The socket of TLS session ssl of the current process (still open on its fd), -1: not known. */
static __always_inline int tls_session_fd(__u64 ssl)
{
	struct tls_key key = { .ssl = ssl, .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct tls_conn *c = bpf_map_lookup_elem(&tls_conns, &key);
	struct socket *sock;
	struct file *f;

	if (!c)
		return -1;
	f = task_file(bpf_get_current_task_btf(), c->fd);
	if (file_kind(f) != FD_SOCKET)
		return -1;
	sock = BPF_CORE_READ(f, private_data);
	if ((__u64)BPF_CORE_READ(sock, sk) != c->sk)
		return -1;
	return c->fd;
}

/*
 * The current thread touches a connection of request ctx: it works for that request now. A server
 * connection's context is its request's server span (CTX_SERVER | its seq); a client connection's
 * the context current when its request was written.
 */
static __always_inline void set_conn_context(__u64 ctx)
{
	__u64 *v = bpf_task_storage_get(&conn_contexts, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (v)
		*v = ctx;
}

/*
 * tokio: the task a worker thread polls now (the header tokio::runtime::task::raw::poll is given;
 * uprobes.bpf.c's tokio_poll sets it), 0: none seen. Task-local: freed with the thread.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} poll_tasks SEC(".maps") __weak;

struct task_key {
	__u64 task;	/* a tokio task's header */
	__u32 tgid;
	__u32 pad;
};

/* The request a tokio task last served (its server connection's context), and that connection. */
struct task_ctx {
	__u64 ctx;
	__u32 fd;
	__u32 woken;	/* not its own: the request whose code woke it (hyper's client connections) */
};

/*
 * Which request each tokio task works for: a task that read or wrote a request's connection. On
 * the multi-thread runtime a task moves between workers between its socket I/O (a task that woke
 * itself goes to the run queue, where the other worker steals it): the worker that polls it next
 * takes its request as the thread's context. LRU: tasks end without a word to us.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct task_key);
	__type(value, struct task_ctx);
	__uint(max_entries, 16384);
} task_contexts SEC(".maps") __weak;

/* The current thread's tokio task, if any, serves request ctx on connection fd. */
static __always_inline void label_task(__u64 ctx, __u32 fd)
{
	__u64 *task = bpf_task_storage_get(&poll_tasks, bpf_get_current_task_btf(), 0, 0);
	struct task_key key = { .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct task_ctx v = { .ctx = ctx, .fd = fd, .woken = 0 };

	if (!task || !*task)
		return;
	key.task = *task;
	bpf_map_update_elem(&task_contexts, &key, &v, BPF_ANY);
}

static __always_inline char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

struct loop_ctx {
	struct peek *p;	/* bpf_loop wants its context on the stack: the buffer is per-CPU */
};

/* Whether the header name want (lowercase, with its ':', n bytes) starts at p->buf[at]. */
static __always_inline bool header_at(const struct peek *p, __u32 at, const char *want, int n)
{
	for (int k = 0; k < n; k++)
		if (lower(p->buf[(at + k) & (HTTP_PEEK - 1)]) != want[k])
			return false;
	return true;
}

/* bpf_loop callback: is there "\ntraceparent:" or "\nhost:" at i? Stops when both are found. */
static long find_headers(__u32 i, void *ctx)
{
	struct peek *p = ((struct loop_ctx *)ctx)->p;

	if (i + 1 + HOST_HEADER >= p->len || i >= HTTP_PEEK)
		return 1;
	if (p->buf[i] != '\n')
		return 0;
	if (p->host_at < 0 && header_at(p, i + 1, "host:", HOST_HEADER))
		p->host_at = i + 1 + HOST_HEADER;
	else if (p->tp_at < 0 && i + 1 + TP_HEADER < p->len && header_at(p, i + 1, "traceparent:", TP_HEADER))
		p->tp_at = i + 1 + TP_HEADER;
	return p->tp_at >= 0 && p->host_at >= 0;
}

struct host_ctx {
	struct peek *p;
	__u32 at, n;
};

/* bpf_loop callback: the Host value's k-th byte, when it is one of a name, address or port. */
static long copy_host_byte(__u32 k, void *ctx)
{
	struct host_ctx *h = ctx;
	struct peek *p = h->p;
	__u32 i = h->at + k;
	char c;

	if (i >= p->len || i >= HTTP_PEEK)
		return 1;
	c = p->buf[i & (HTTP_PEEK - 1)];
	/* a name, an IPv4 or [IPv6] address, a port: nothing else is copied */
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
	      c == ':' || c == '[' || c == ']'))
		return 1;
	p->http.host[h->n++ & (SPAN_HOST_LEN - 1)] = lower(c);
	return 0;
}

/* The Host header's value, lowercase, into p->http.host ("" when there is none). */
static __always_inline void copy_host(struct peek *p)
{
	struct host_ctx h = { .p = p, .at = p->host_at };

	p->http.host[0] = '\0';
	if (p->host_at < 0)
		return;
	for (int k = 0; k < 4 && h.at < HTTP_PEEK && p->buf[h.at] == ' '; k++)
		h.at++;
	bpf_loop(SPAN_HOST_LEN - 1, copy_host_byte, &h, 0);
	p->http.host[h.n & (SPAN_HOST_LEN - 1)] = '\0';
}

static __always_inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* W3C: lowercase hex only */
}

/* "00-<trace>-<parent>-<flags>" at p->buf[at...], after optional spaces. */
static __always_inline bool parse_traceparent(struct peek *p, struct span_ref *ref, __u8 *parent)
{
	__u32 at = p->tp_at;
	__u8 any_trace = 0, any_parent = 0;

	for (int k = 0; k < 4 && at < HTTP_PEEK && p->buf[at] == ' '; k++)
		at++;
	if (at + TP_VALUE > p->len || at >= HTTP_PEEK)
		return false;
	if (hex_digit(p->buf[at]) < 0 || hex_digit(p->buf[at + 1]) < 0 ||
	    (p->buf[at] == 'f' && p->buf[at + 1] == 'f') || p->buf[at + 2] != '-' || p->buf[at + 35] != '-' ||
	    p->buf[at + 52] != '-' || hex_digit(p->buf[at + 53]) < 0 || hex_digit(p->buf[at + 54]) < 0)
		return false;
	/* version 00 ends after the flags; later versions may carry more fields after a '-' */
	if (p->buf[at] == '0' && p->buf[at + 1] == '0' && at + TP_VALUE < p->len &&
	    p->buf[(at + TP_VALUE) & (HTTP_PEEK - 1)] != '\r' && p->buf[(at + TP_VALUE) & (HTTP_PEEK - 1)] != '\n')
		return false;
	for (int i = 0; i < 16; i++) {
		int hi = hex_digit(p->buf[at + 3 + 2 * i]), lo = hex_digit(p->buf[at + 4 + 2 * i]);

		if (hi < 0 || lo < 0)
			return false;
		ref->trace_id[i] = hi << 4 | lo;
		any_trace |= ref->trace_id[i];
	}
	for (int i = 0; i < 8; i++) {
		int hi = hex_digit(p->buf[at + 36 + 2 * i]), lo = hex_digit(p->buf[at + 37 + 2 * i]);

		if (hi < 0 || lo < 0)
			return false;
		parent[i] = hi << 4 | lo;
		any_parent |= parent[i];
	}
	return any_trace && any_parent;	/* all-zero ids are invalid */
}

/* Length of the request method at the start of buf ("GET" ...), 0 when it is not a request. */
static __always_inline __u32 http_method(const char *b)
{
	if (b[0] == 'G' && b[1] == 'E' && b[2] == 'T' && b[3] == ' ')
		return 3;
	if (b[0] == 'P' && b[1] == 'U' && b[2] == 'T' && b[3] == ' ')
		return 3;
	if (b[0] == 'P' && b[1] == 'O' && b[2] == 'S' && b[3] == 'T' && b[4] == ' ')
		return 4;
	if (b[0] == 'H' && b[1] == 'E' && b[2] == 'A' && b[3] == 'D' && b[4] == ' ')
		return 4;
	if (b[0] == 'P' && b[1] == 'A' && b[2] == 'T' && b[3] == 'C' && b[4] == 'H' && b[5] == ' ')
		return 5;
	if (b[0] == 'D' && b[1] == 'E' && b[2] == 'L' && b[3] == 'E' && b[4] == 'T' && b[5] == 'E' && b[6] == ' ')
		return 6;
	return 0;
}

/* "http POST /v1/chat/completions": the method and the path without its query string. */
static __always_inline void span_name(struct peek *p, __u32 method)
{
	__u32 at = 5, i;

	__builtin_memcpy(p->name, "http ", 5);
	for (i = 0; i < 7 && i < method; i++)
		p->name[at++ & (SPAN_NAME_LEN - 1)] = p->buf[i];
	p->name[at++ & (SPAN_NAME_LEN - 1)] = ' ';
	for (i = method + 1; i < method + 1 + PATH_MAX_SHOWN && i < p->len && i < HTTP_PEEK; i++) {
		char c = p->buf[i];

		if (c == ' ' || c == '?' || c == '\r' || c == '\n' || c < 0x21 || c > 0x7e)
			break;
		p->name[at++ & (SPAN_NAME_LEN - 1)] = c;
	}
	p->name[at & (SPAN_NAME_LEN - 1)] = '\0';
}

static __always_inline bool is_response(const char *b)
{
	return b[0] == 'H' && b[1] == 'T' && b[2] == 'T' && b[3] == 'P' && b[4] == '/';
}

#define CL_HEADER	15	/* "content-length:" */
#define TE_HEADER	18	/* "transfer-encoding:" */

/*
 * Byte m of a name packed little-endian in three words: the names are matched one byte a call, in
 * a callback, where a string literal would be an array in .rodata, one per object that includes
 * this (bpftool's link would then lay them over each other).
 */
static __always_inline char packed_char(__u64 w0, __u64 w1, __u64 w2, __u32 m)
{
	return ((m < 8 ? w0 : m < 16 ? w1 : w2) >> ((m & 7) * 8)) & 0xff;
}

#define LENGTH_CHAR(m)		packed_char(0x2d746e65746e6f63, 0x3a6874676e656c, 0, m)	/* content-length: */
#define ENCODING_CHAR(m)	packed_char(0x726566736e617274, 0x6e69646f636e652d, 0x3a67, m)	/* transfer-encoding: */
#define CHUNKED_CHAR(m)		packed_char(0x64656b6e756863, 0, 0, m)	/* chunked */

/* One more byte c of a response's headers into h: whether it ends them (the '\n' of an empty line). */
static __always_inline bool header_byte(struct header_scan *h, char c)
{
	if (c == '\n') {
		if (h->empty)
			return true;
		h->empty = 1;
		h->state = HS_NAME;
		h->match = 0;
		return false;
	}
	if (c == '\r')
		return false;
	h->empty = 0;
	c = lower(c);
	switch (h->state) {
	case HS_NAME:
		if (!h->match)
			h->which = c == 't';
		if (h->which ? h->match < TE_HEADER && c == ENCODING_CHAR(h->match)
			     : h->match < CL_HEADER && c == LENGTH_CHAR(h->match)) {
			if (++h->match == (h->which ? TE_HEADER : CL_HEADER)) {
				h->state = h->which ? HS_ENCODING : HS_LENGTH;
				h->match = 0;
				if (!h->which)
					h->length = -1;
			}
		} else {
			h->state = HS_SKIP;
		}
		break;
	case HS_LENGTH:
		if (c >= '0' && c <= '9' && h->length < 100000000)
			h->length = (h->length < 0 ? 0 : h->length * 10) + (c - '0');
		else if (c != ' ' && c != '\t')
			h->state = HS_SKIP;	/* a length past 10^9 stays -1: the body goes until the close */
		break;
	case HS_ENCODING:
		/* "chunked" anywhere in the value ("gzip, chunked"): its one 'c' is its first byte */
		if (c == CHUNKED_CHAR(h->match)) {
			if (++h->match == 7)
				h->chunked = 1;
		} else {
			h->match = c == 'c';
		}
		break;
	}
	return false;
}

struct walk {
	struct peek *p;
	struct http_val *v;	/* the connection's request in flight */
};

static __always_inline struct walk walk_begin(struct peek *p, struct http_val *v, __u64 ubuf, __u64 len)
{
	p->pos.ubuf = ubuf;
	p->pos.len = len;
	p->pos.base = 0;
	return (struct walk){ p, v };
}

/* The payload's byte at, -1 past its end or when it cannot be read. */
static __always_inline int walk_byte(struct walk *w, __u64 at)
{
	__u64 n;

	if (at >= w->p->pos.len)
		return -1;
	if (at < w->p->pos.base || at >= w->p->pos.base + HTTP_PEEK) {
		n = w->p->pos.len - at;
		n = n < HTTP_PEEK ? n : HTTP_PEEK;
		n = n & (HTTP_PEEK - 1) ?: HTTP_PEEK;
		if (bpf_probe_read_user(w->p->buf, n, (void *)(w->p->pos.ubuf + at)))
			return -1;
		w->p->pos.base = at;
	}
	return (__u8)w->p->buf[(at - w->p->pos.base) & (HTTP_PEEK - 1)];
}

/* bpf_loop callback: the headers' next byte; stops where they end. */
static long header_walk(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	__u64 at = w->p->pos.from + i;
	int c = walk_byte(w, at);

	if (c < 0)
		return 1;
	w->v->hs.seen++;
	if (!header_byte(&w->v->hs, c))
		return 0;
	w->p->pos.end = at + 1;
	return 1;
}

/* bpf_loop callback: the JSON's next byte. */
static long genai_walk(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	int c = walk_byte(w, w->p->pos.from + i);

	if (c < 0)
		return 1;
	genai_byte(&w->v->gs, &w->v->genai, c);
	return 0;
}

#define GENAI_HEAD	512	/* a body's first bytes in a read, looked into while its model is not known */
#define GENAI_TAIL	512	/* and every read's last ones: the usage comes at the end */

/*
 * An outbound POST's JSON (the request's, or its response's) in the payload's bytes from
 * offset from on: the first GENAI_HEAD while the model is not known, the last GENAI_TAIL. What
 * lies between is not looked at: a long prompt costs no more than a short one.
 */
static __always_inline void genai_walk_payload(struct walk *w, __u64 from)
{
	struct http_val *v = w->v;
	__u32 have = v->gs.response ? GENAI_RESPONSE_MODEL : GENAI_REQUEST_MODEL;
	__u64 head = from, tail;

	if (!v->post || from >= w->p->pos.len)
		return;
	if (!(v->genai.flags & have)) {
		head = from + GENAI_HEAD < w->p->pos.len ? from + GENAI_HEAD : w->p->pos.len;
		w->p->pos.from = from;
		bpf_loop(head - from, genai_walk, w, 0);
	}
	tail = w->p->pos.len > GENAI_TAIL ? w->p->pos.len - GENAI_TAIL : 0;
	if (tail < head)
		tail = head;
	if (tail >= w->p->pos.len)
		return;
	if (tail > from)
		genai_gap(&v->gs);
	w->p->pos.from = tail;
	bpf_loop(w->p->pos.len - tail, genai_walk, w, 0);
}

/* Whether the len bytes at buf end with a chunked body's last chunk, "0\r\n\r\n". */
static __always_inline bool ends_chunked(__u64 buf, __u64 len)
{
	char t[5];

	return len >= 5 && !bpf_probe_read_user(t, sizeof(t), (void *)(buf + len - 5)) && t[0] == '0' &&
	       t[1] == '\r' && t[2] == '\n' && t[3] == '\r' && t[4] == '\n';
}

/* A response's headers ended at offset at of these bytes: how its body goes, and whether it is whole. */
static __always_inline bool body_framed(struct walk *w, __u64 at, __u64 now)
{
	struct http_val *open = w->v;

	if (at < w->p->pos.len)
		open->body_ts = now;
	genai_walk_payload(w, at);
	if (open->hs.chunked) {
		open->body = BODY_CHUNKED;
		return ends_chunked(w->p->pos.ubuf, w->p->pos.len);
	}
	if (open->hs.length < 0) {
		open->body = BODY_CLOSE;	/* read until the connection closes (a stream without chunks) */
		return false;
	}
	if (at + open->hs.length <= w->p->pos.len)
		return true;
	open->body = BODY_LENGTH;
	open->left = at + open->hs.length - w->p->pos.len;
	return false;
}

/*
 * A response's headers, or more of them, from the first of these bytes on: whether the response
 * is whole. Headers longer than HTTP_HEADERS_MAX over all their reads end the span there, counted.
 */
static __always_inline bool headers_seen(struct walk *w, __u64 now)
{
	struct http_val *open = w->v;

	w->p->pos.from = 0;
	w->p->pos.end = 0;
	bpf_loop(open->hs.seen < HTTP_HEADERS_MAX ? HTTP_HEADERS_MAX - open->hs.seen : 0, header_walk, w, 0);
	if (w->p->pos.end)
		return body_framed(w, w->p->pos.end, now);
	if (open->hs.seen < HTTP_HEADERS_MAX)
		return false;	/* the rest of them comes in the next read */
	count(CNT_HTTP_HEADERS_LONG);
	return true;
}

/*
 * More of a span's response went over its connection (len bytes at buf, the first of them in p;
 * first: the bytes that begin it, with its status line): whether the response is whole, so that
 * the span ends with it. The response's body begins at now when these bytes hold its first byte.
 */
static __always_inline bool response_done(struct peek *p, struct http_val *open, __u64 buf, __u64 len, bool first,
					  __u64 now)
{
	struct walk w = walk_begin(p, open, buf, len);

	if (!first) {
		if (open->body == BODY_HEADERS)
			return headers_seen(&w, now);
		if (!open->body_ts)
			open->body_ts = now;
		genai_walk_payload(&w, 0);
		if (open->body == BODY_CHUNKED)
			return ends_chunked(buf, len);
		if (open->body == BODY_CLOSE)
			return false;
		if (open->left <= len)
			return true;
		open->left -= len;
		return false;
	}
	/* 1xx: an interim response (100 Continue), the real one follows; 204 and 304 have no body */
	if (p->len > 12 && p->buf[9] == '1')
		return false;
	if (p->len > 12 && ((p->buf[9] == '2' && p->buf[10] == '0' && p->buf[11] == '4') ||
			    (p->buf[9] == '3' && p->buf[10] == '0' && p->buf[11] == '4')))
		return true;
	__builtin_memset(&open->hs, 0, sizeof(open->hs));
	open->hs.length = -1;
	open->body = BODY_HEADERS;
	genai_gap(&open->gs);
	open->gs.response = 1;
	return headers_seen(&w, now);
}

/* The LLM call's model, usage and stream flag, when its JSON said any: they go out just before its end. */
static __always_inline void genai_emit(const struct http_val *open)
{
	struct span_owner *o;
	struct span_genai_event *e;

	if (open->server || !open->genai.flags)
		return;
	o = bpf_map_lookup_elem(&open_spans, &open->ref);
	if (!o)
		return;
	e = bpf_ringbuf_reserve(&span_events, sizeof(*e), 0);
	if (!e) {
		count(CNT_SPAN_EVENT_LOST);
		return;
	}
	e->type = SPAN_GENAI;
	e->seq = o->seq;
	__builtin_memcpy(&e->genai, &open->genai, sizeof(e->genai));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/*
 * Ends the span of the connection key, if any (ts: see struct span_event). A global function:
 * the verifier checks it once, not once per path that ends a span (the thread's context, read in
 * emit, walks a Python interpreter's threads). __weak: each object that includes this has one,
 * the link keeps one.
 */
__noinline __weak int http_end(__u32 tid, struct http_key *key)
{
	struct http_val *open;
	struct span_ref ref;
	__u64 body_ts;

	if (!key)
		return 0;
	open = bpf_map_lookup_elem(&http_spans, key);
	if (!open)
		return 0;
	genai_emit(open);
	ref = open->ref;
	body_ts = open->server ? 0 : open->body_ts;
	bpf_map_delete_elem(&http_spans, key);
	span_close(tid, &ref, body_ts);
	return 0;
}

/* 16 random bytes, or 8: ids of a request that came without a traceparent. */
static __always_inline void random_id(__u8 *id, int n)
{
	for (int i = 0; i < n; i += 4)
		*(__u32 *)&id[i] = bpf_get_prandom_u32();
	id[0] |= 1;	/* never all zero */
}

/* More of an outbound request went out (len bytes at buf, the first of them in p): its JSON. */
static __always_inline void request_json(struct peek *p, struct http_val *open, __u64 buf, __u64 len)
{
	struct walk w = walk_begin(p, open, buf, len);

	genai_walk_payload(&w, 0);
}

/* What http_seen does with the payload's first bytes, copied into p. */
static __always_inline void http_parse(struct peek *p, __u32 tid, __u32 fd, __u64 buf, __u64 len, bool inbound,
				       __u32 flags)
{
	struct http_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd };
	struct http_val *open;
	bool has_parent = false;
	struct span_ref ref;
	__u64 ctx;
	struct file *f;
	__u8 parent[8];
	__u32 method, seq;

	method = http_method(p->buf);
	if (!method) {
		bool response = is_response(p->buf), tls = flags & SPAN_TLS;

		/*
		 * A response, or more of one, on a connection with a request in flight: read (a client
		 * span) or written (a server span). The other way (a request's body) and the other
		 * layer (the ciphertext under TLS) are not the response.
		 */
		/*
		 * A response read on a session whose socket is not known is one whose request was not
		 * seen (a call that began before the recording): its guessed fd, on an event loop, is
		 * often another connection's, whose span it would feed and end with its own last bytes.
		 */
		if (flags & HTTP_FD_GUESSED)
			return;
		open = bpf_map_lookup_elem(&http_spans, &key);
		if (!open)
			return;
		set_conn_context(open->ctx);
		if (open->server)
			label_task(open->ctx, fd);
		if (open->tls != tls)
			return;
		if (open->server == inbound) {
			if (!inbound && open->body == BODY_AWAITED)
				request_json(p, open, buf, len);	/* a request's body, after its headers */
			return;
		}
		if (response != (open->body == BODY_AWAITED) ||
		    !response_done(p, open, buf, len, response, bpf_ktime_get_ns()))
			return;
		http_end(tid, &key);
		return;
	}
	flags &= ~HTTP_FD_GUESSED;	/* a request read (a server's first): its fd is the one read last */
	p->tp_at = -1;
	p->host_at = -1;
	bpf_loop(HTTP_PEEK, find_headers, &(struct loop_ctx){ p }, 0);
	if (p->tp_at >= 0 && parse_traceparent(p, &ref, parent)) {
		has_parent = true;
	} else {
		/* no traceparent (every LLM SDK sends none): the ids are ours, said so */
		random_id(ref.trace_id, sizeof(ref.trace_id));
		flags |= SPAN_GENERATED;
	}
	span_name(p, method);
	/* a TLS read's fd is the thread's last socket: it may have been closed and reused since */
	f = task_file(bpf_get_current_task_btf(), fd);
	if (file_kind(f) != FD_SOCKET)
		return;
	__builtin_memset(&p->http.peer, 0, sizeof(p->http.peer));
	sock_peer(f, &p->http.peer);
	copy_host(p);
	/* a new request on the same connection: the last one's span ends here if its response was missed */
	http_end(tid, &key);
	/*
	 * The connection's entry first: a span opened without one would never end (its response
	 * could not find it) and would stay in open_spans for good.
	 */
	__builtin_memset(&p->val, 0, sizeof(p->val));
	p->val.ref = ref;
	p->val.server = inbound;
	p->val.body = BODY_AWAITED;
	p->val.tls = !!(flags & SPAN_TLS);
	p->val.post = !inbound && method == 4 && p->buf[0] == 'P';
	if (bpf_map_update_elem(&http_spans, &key, &p->val, BPF_ANY)) {
		count(CNT_HTTP_CONN_MAP_FULL);
		return;
	}
	open = bpf_map_lookup_elem(&http_spans, &key);
	if (!open)
		return;
	if (inbound) {
		/* the caller's span is the parent; this server span gets its own id */
		random_id(open->ref.span_id, sizeof(open->ref.span_id));
		p->http.flags = flags | SPAN_HTTP_SERVER;
		seq = span_open(tid, &open->ref, has_parent ? parent : NULL, p->name, &p->http);
		ctx = CTX_SERVER | seq;
		if (seq) {
			set_conn_context(ctx);
			label_task(ctx, fd);
		}
	} else {
		ctx = conn_context();
		/*
		 * The header's parent id is this client span's own id, unless the SDK has it open.
		 * Without a header, userspace parents it to the span it began in (struct span_event's outer).
		 */
		if (has_parent)
			__builtin_memcpy(open->ref.span_id, parent, sizeof(open->ref.span_id));
		else
			random_id(open->ref.span_id, sizeof(open->ref.span_id));
		p->http.flags = flags | SPAN_HTTP_CLIENT;
		seq = span_open(tid, &open->ref, NULL, p->name, &p->http);
	}
	if (!seq) {
		bpf_map_delete_elem(&http_spans, &key);
		return;
	}
	open->ctx = ctx;
	if (open->post)
		request_json(p, open, buf, len);	/* its body may follow its headers in one write */
}

/*
 * len bytes at the target's buf went over socket fd of the current thread tid: inbound (read) or
 * not. A request with a traceparent opens a span, a response closes the connection's span.
 * flags: SPAN_TLS for plaintext seen in OpenSSL. The one way into the parse, from the socket
 * tracepoints and the TLS probes alike: what is keyed by connection hooks in here.
 */
static __always_inline void http_seen(__u32 tid, __u32 fd, __u64 buf, __u64 len, bool inbound, __u32 flags)
{
	struct peek *p;
	__u32 zero = 0, n;

	/* a few bytes are no request, but may be the end of a response (a body of 4 bytes) */
	if (!len)
		return;
	p = bpf_map_lookup_elem(&peeks, &zero);
	if (!p)
		return;
	n = len < HTTP_PEEK ? len : HTTP_PEEK;
	n = n & (HTTP_PEEK - 1) ?: HTTP_PEEK;	/* the verifier's bound: 1..HTTP_PEEK */
	/* a failed read leaves its n bytes zeroed */
	if (bpf_probe_read_user(p->buf, n, (void *)buf))
		return;
	p->len = n;
	http_parse(p, tid, fd, buf, len, inbound, flags);
	/*
	 * Root reads any map by its id (bpftool map dump) whatever the flags of agentprof's own
	 * descriptor: the payload must not outlive its parse. The whole buffer, in stores the
	 * compiler unrolls: ~20 ns, where a helper zeroing only the n bytes copied costs ~50.
	 */
	__builtin_memset(p->buf, 0, sizeof(p->buf));
	p->len = 0;
}

/* The connection fd of the current process is being closed: its span, if any, ends (a response not read whole). */
static __always_inline void http_closed(__u32 tid, __u32 fd)
{
	struct http_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd };

	http_end(tid, &key);
}

#endif /* HTTP_BPF_H */
