// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Spans without code changes: W3C traceparent headers in the target's HTTP, seen where a socket
 * sends or receives (the sock:sock_send_length and sock:sock_recv_length tracepoints): a
 * read/recvfrom/write/sendto on a socket is looked at as it completes (http.bpf.h); a socket
 * write after SSL_write (uprobes.bpf.c) is looked at as the plaintext it sends; closing a TCP
 * connection (sock:inet_sock_set_state inside close) ends its span. No program runs on other
 * syscalls: the generic sys_enter/sys_exit path, which every syscall of every process on the
 * machine would take, is not traced.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "http.bpf.h"

/*
 * Runs of these programs for the target (`record -v` says how many): 0 for a target that does
 * no socket I/O, whatever the rest of the machine does (make bench checks it). Per-CPU: an
 * atomic add on one shared line would bounce between the CPUs of a busy target.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} http_runs SEC(".maps");

static __always_inline void count_run(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&http_runs, &zero);

	if (n)
		(*n)++;
}

static __always_inline bool is_write(long nr)
{
	return nr == NR_write || nr == NR_sendto || nr == NR_writev || nr == NR_sendmsg;
}

static __always_inline bool is_read(long nr)
{
	return nr == NR_read || nr == NR_recvfrom || nr == NR_readv || nr == NR_recvmsg;
}

#define IOV_SEEN	4	/* iovecs of a vectored read or write looked into, in turn */

/*
 * The iovecs of the thread's socket syscall nr when it is a vectored one (*n of them), 0: it is
 * not, or they cannot be read.
 */
static __always_inline __u64 iovecs(struct pt_regs *regs, long nr, __u64 *n)
{
	__u64 si = regs->si, dx = regs->dx;	/* read first: the verifier wants one pointer per load */
	struct user_msghdr msg;

	barrier_var(si);
	barrier_var(dx);
	if (nr == NR_writev || nr == NR_readv) {
		*n = dx;
		return si;
	}
	if ((nr != NR_sendmsg && nr != NR_recvmsg) || bpf_probe_read_user(&msg, sizeof(msg), (void *)si))
		return 0;
	*n = msg.msg_iovlen;
	return (__u64)msg.msg_iov;
}

/*
 * The first bytes the thread's socket syscall nr sent or received (ret of them in all): its buffer,
 * or its first iovec's for a vectored one. 0: none readable.
 */
static __always_inline __u64 first_bytes(struct pt_regs *regs, long nr, __u64 ret, __u64 *len)
{
	__u64 n, at = iovecs(regs, nr, &n);
	struct iovec iov;

	*len = ret;
	if (nr != NR_sendmsg && nr != NR_recvmsg && nr != NR_writev && nr != NR_readv)
		return regs->si;
	if (!at || !n || bpf_probe_read_user(&iov, sizeof(iov), (void *)at))
		return 0;
	*len = iov.iov_len < ret ? iov.iov_len : ret;
	return (__u64)iov.iov_base;
}

/*
 * http_seen, verified once for all the iovecs of a vectored syscall (inlined, each would be
 * verified again): a global function, scalars only.
 */
__noinline int http_payload(__u32 fd, __u64 buf, __u64 len, __u32 inbound, __u32 flags)
{
	http_seen((__u32)bpf_get_current_pid_tgid(), fd, buf, len, inbound, flags);
	return 0;
}

/*
 * The iovecs after the first of the thread's vectored syscall, in turn, up to ret bytes in all
 * (first: the first one's length): a response's body after its headers (hyper writes a response
 * as [headers, body], and a request as [headers, JSON]), the JSON of a request.
 */
static __always_inline void more_iovecs(struct pt_regs *regs, long nr, __u32 fd, __u64 ret, __u64 first, bool inbound)
{
	__u64 n, at = iovecs(regs, nr, &n), done = first;
	struct iovec iov;

	for (int k = 1; k < IOV_SEEN; k++) {
		__u64 len;

		if (!at || k >= n || done >= ret ||
		    bpf_probe_read_user(&iov, sizeof(iov), (void *)(at + k * sizeof(iov))))
			return;
		len = iov.iov_len < ret - done ? iov.iov_len : ret - done;
		http_payload(fd, (__u64)iov.iov_base, len, inbound, 0);
		done += len;
	}
}

/*
 * Whether the write the thread is in sends a TLS application data record (0x17, then version 3.x):
 * the ciphertext of an SSL_write, not a plain socket's bytes written after it (an event loop
 * writes other connections' before it flushes a memory BIO).
 */
static __always_inline bool sends_tls_record(struct pt_regs *regs, long nr, __u64 ret)
{
	__u64 len, at = first_bytes(regs, nr, ret, &len);
	__u8 b[2];

	return at && len >= 2 && !bpf_probe_read_user(b, sizeof(b), (void *)at) && b[0] == 0x17 && b[1] == 0x03;
}

/*
 * Socket sk sent (send) or received ret bytes, or failed: when the thread's syscall is one of the
 * socket reads or writes looked at, and sk is its fd's socket (not one a network file system
 * uses on the thread's behalf), its payload goes to http_seen. The syscall's arguments are in
 * the thread's saved registers.
 */
static __always_inline void sock_io(struct sock *sk, int ret, bool send)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct pt_regs *regs;
	struct io_state *st;
	struct socket *sock;
	struct file *f;
	__u64 buf, len;
	__u32 fd, flags = 0;
	long nr;

	if (!is_target(pid_tgid >> 32, NULL))
		return;
	count_run();
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	nr = regs->orig_ax;
	if (send ? !is_write(nr) : !is_read(nr))
		return;
	fd = regs->di;
	f = task_file(task, fd);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return;
	sock = BPF_CORE_READ(f, private_data);
	if (BPF_CORE_READ(sock, sk) != sk)
		return;
	st = io_state(true);
	if (!st)
		return;
	st->last_fd = fd;
	if (ret <= 0)
		return;	/* a send that failed (EAGAIN) keeps SSL_write's plaintext for its retry */
	if (send && st->tls_wbuf && sends_tls_record(regs, nr, ret)) {
		/* the write SSL_write makes, or the one right after it (a memory BIO: Node) */
		struct tls_key key = { .ssl = st->tls_wssl, .tgid = pid_tgid >> 32 };
		struct tls_conn conn = { .sk = (__u64)sk, .fd = fd };

		buf = st->tls_wbuf;
		len = st->tls_wlen;	/* sent whole or in part: its first bytes are the request's */
		st->tls_wbuf = 0;
		flags = SPAN_TLS;
		bpf_map_update_elem(&tls_conns, &key, &conn, BPF_ANY);
	} else if (st->tls_rbuf) {
		return;	/* ciphertext inside SSL_read */
	} else {
		buf = first_bytes(regs, nr, ret, &len);
		if (!buf)
			return;
	}
	http_payload(fd, buf, len, !send, flags);
	if (!flags && len < (__u64)ret)
		more_iovecs(regs, nr, fd, ret, len, !send);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(http_sock_send, struct sock *sk, int ret, int flags)
{
	sock_io(sk, ret, true);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(http_sock_recv, struct sock *sk, int ret, int flags)
{
	sock_io(sk, ret, false);
	return 0;
}

/*
 * A TCP socket changes state inside close(): the fd in close's argument is a connection being
 * closed (its last descriptor: close drops the file at once), so its span, if any, ends. A
 * change of state outside close (the peer's FIN, a timer) is not one.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(http_sock_state, const struct sock *sk, int oldstate, int newstate)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct pt_regs *regs;

	if (!is_target(pid_tgid >> 32, NULL))
		return 0;
	count_run();
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (regs->orig_ax == NR_close)
		http_closed((__u32)pid_tgid, regs->di);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
