// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The programs on user-space probes: the span SDK's USDT probes and OpenSSL's uprobes. They are
 * the preemptible ones (bpf/preempt.bpf.h), and in one file because libbpf 1.1's linker cannot
 * link an extern kfunc declared in two objects.
 *
 * Spans from the SDK (USDT provider "agentprof"): two probe hits per span.
 *
 * HTTP inside TLS: uprobes on OpenSSL's SSL_write(_ex) and SSL_read(_ex), in each libssl the
 * target maps and in binaries that link OpenSSL statically (Node). No fd is read from OpenSSL's
 * structures: SSL_write's plaintext goes with the thread's next socket write (the one SSL_write
 * makes, or the one a memory BIO's owner makes right after: the first that sends a TLS record), which
 * ties the SSL * to that socket (http.bpf.h's tls_conns); from then on SSL_write's plaintext is the
 * session's socket's, looked at in SSL_write. SSL_read's goes with its session's socket, else (a session that has not
 * written yet: a server's first request) the thread's last socket read (the one inside SSL_read,
 * or the one that fed a memory BIO just before), and then only as a request: on an event loop that
 * socket is often another connection's (HTTP_FD_GUESSED). Writes
 * cost one probe hit; reads two, the return being where their plaintext is.
 *
 * tokio (Rust): uprobes on every instance of its task poll and on its waker, so that a task's
 * request follows it from worker to worker (http.bpf.h's task_contexts).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "http.bpf.h"
#include "preempt.bpf.h"

static __always_inline void write_entry(void *ssl, const void *buf, __u64 num)
{
	struct io_state *st;
	int fd;

	if (!is_target(bpf_get_current_pid_tgid() >> 32, NULL))
		return;
	/* a session whose socket is known: its plaintext is looked at now, while the buffer holds it */
	fd = tls_session_fd((__u64)ssl);
	if (fd >= 0) {
		http_seen((__u32)bpf_get_current_pid_tgid(), fd, (__u64)buf, num, false, SPAN_TLS);
		return;
	}
	st = io_state(true);
	if (!st)
		return;
	st->tls_wbuf = (__u64)buf;
	st->tls_wlen = num;
	st->tls_wssl = (__u64)ssl;
}

/* SSL_write(ssl, buf, int num) */
UNPREEMPTED("uprobe", tls_write)
{
	int num = (int)PT_REGS_PARM3(ctx);

	write_entry((void *)PT_REGS_PARM1(ctx), (const void *)PT_REGS_PARM2(ctx), num > 0 ? num : 0);
}

/* SSL_write_ex(ssl, buf, size_t num, size_t *written) */
UNPREEMPTED("uprobe", tls_write_ex)
{
	write_entry((void *)PT_REGS_PARM1(ctx), (const void *)PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx));
}

static __always_inline void read_entry(void *ssl, void *buf, __u64 *readbytes)
{
	struct io_state *st;

	if (!is_target(bpf_get_current_pid_tgid() >> 32, NULL))
		return;
	st = io_state(true);
	if (!st)
		return;
	st->tls_rbuf = (__u64)buf;
	st->tls_rlen = (__u64)readbytes;
	st->tls_rssl = (__u64)ssl;
}

SEC("uprobe")
int BPF_KPROBE(tls_read, void *ssl, void *buf, int num)
{
	read_entry(ssl, buf, NULL);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	read_entry(ssl, buf, readbytes);
	return 0;
}

/* SSL_read returns the bytes read; SSL_read_ex returns 1 and stores them in *readbytes. */
UNPREEMPTED("uretprobe", tls_read_ret)
{
	__u64 id = bpf_get_current_pid_tgid(), buf, n = 0;
	int ret = (int)PT_REGS_RC(ctx);
	struct io_state *st;
	int fd;

	if (!is_target(id >> 32, NULL))
		return;
	st = io_state(false);
	if (!st || !st->tls_rbuf)
		return;
	buf = st->tls_rbuf;
	st->tls_rbuf = 0;
	if (st->tls_rlen) {
		if (ret != 1 || bpf_probe_read_user(&n, sizeof(n), (void *)st->tls_rlen))
			return;
	} else if (ret > 0) {
		n = ret;
	}
	fd = tls_session_fd(st->tls_rssl);
	http_seen((__u32)id, fd >= 0 ? fd : st->last_fd, buf, n, true, fd >= 0 ? SPAN_TLS : SPAN_TLS | HTTP_FD_GUESSED);
}

static __always_inline bool read_ref(const void *trace_id, const void *span_id, struct span_ref *ref)
{
	if (bpf_probe_read_user(ref->trace_id, sizeof(ref->trace_id), trace_id) ||
	    bpf_probe_read_user(ref->span_id, sizeof(ref->span_id), span_id)) {
		count(CNT_SPAN_BAD_ARGS);
		return false;
	}
	return true;
}

UNPREEMPTED("usdt", span_begin)
{
	__u64 id = bpf_get_current_pid_tgid();
	long trace_id, span_id, parent, name;
	struct span_ref ref;
	__u8 parent_id[8];
	char copy[SPAN_NAME_LEN];

	if (!is_target(id >> 32, NULL))
		return;
	if (bpf_usdt_arg(ctx, 0, &trace_id) || bpf_usdt_arg(ctx, 1, &span_id) || bpf_usdt_arg(ctx, 2, &parent) ||
	    bpf_usdt_arg(ctx, 3, &name)) {
		count(CNT_SPAN_BAD_ARGS);
		return;
	}
	if (!read_ref((void *)trace_id, (void *)span_id, &ref))
		return;
	if (!parent || bpf_probe_read_user(parent_id, sizeof(parent_id), (void *)parent))
		__builtin_memset(parent_id, 0, sizeof(parent_id));
	if (!name || bpf_probe_read_user_str(copy, sizeof(copy), (void *)name) < 0)
		copy[0] = '\0';
	span_open((__u32)id, &ref, parent_id, copy, NULL);
}

UNPREEMPTED("usdt", span_end)
{
	__u64 id = bpf_get_current_pid_tgid();
	long trace_id, span_id;
	struct span_ref ref;

	if (!is_target(id >> 32, NULL))
		return;
	if (bpf_usdt_arg(ctx, 0, &trace_id) || bpf_usdt_arg(ctx, 1, &span_id)) {
		count(CNT_SPAN_BAD_ARGS);
		return;
	}
	if (read_ref((void *)trace_id, (void *)span_id, &ref))
		span_close((__u32)id, &ref, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Task header's request in the current process, while it is open on its connection: its entry, else NULL. */
static __always_inline struct task_ctx *task_request(__u64 header)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_key key = { .task = header, .tgid = pid_tgid >> 32 };
	struct http_key conn = { .tgid = pid_tgid >> 32 };
	struct http_val *open;
	struct task_ctx *v;

	v = bpf_map_lookup_elem(&task_contexts, &key);
	if (!v)
		return NULL;
	conn.fd = v->fd;
	open = bpf_map_lookup_elem(&http_spans, &conn);
	return open && open->server && open->ctx == v->ctx ? v : NULL;
}

/*
 * tokio::runtime::task::raw::poll(NonNull<Header>): a worker of a tokio runtime polls a task (every
 * instance of it in the binary: one per kind of future). The thread takes the request the task
 * serves, or the one whose code woke it last (tokio_wake), while that request is open on its
 * connection; else its context stays as it is.
 */
SEC("uprobe")
int BPF_KPROBE(tokio_poll, void *header)
{
	struct task_ctx *v;
	__u64 *cur;

	if (!is_target(bpf_get_current_pid_tgid() >> 32, NULL))
		return 0;
	cur = bpf_task_storage_get(&poll_tasks, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (cur)
		*cur = (__u64)header;
	v = task_request((__u64)header);
	if (v)
		set_conn_context(v->ctx);
	return 0;
}

/*
 * tokio::runtime::task::waker::wake_by_val and wake_by_ref(header): a task is woken. Woken by a
 * request's own task, a task of none (hyper's client connection, handed that request's call to
 * write) works for that request next: on the multi-thread runtime it may run on the other
 * worker (measured: a tenth of the LLM calls at 8 at once were written on a thread that last ran
 * another request), where the thread's last socket says nothing of it.
 */
SEC("uprobe")
int BPF_KPROBE(tokio_wake, void *header)
{
	struct task_key key = { .task = (__u64)header, .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct task_ctx *by, *own, v;
	__u64 *cur;

	if (!is_target(key.tgid, NULL))
		return 0;
	cur = bpf_task_storage_get(&poll_tasks, bpf_get_current_task_btf(), 0, 0);
	if (!cur || !*cur || *cur == key.task)
		return 0;
	by = task_request(*cur);
	if (!by)
		return 0;
	own = bpf_map_lookup_elem(&task_contexts, &key);
	if (own && !own->woken)
		return 0;	/* a request's own task keeps its request */
	v = *by;
	v.woken = 1;
	bpf_map_update_elem(&task_contexts, &key, &v, BPF_ANY);
	return 0;
}
