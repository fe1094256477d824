// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Spans without code changes: W3C traceparent headers in the target's HTTP, seen at the socket
 * syscalls. A read/recvfrom/write/sendto on a socket is looked at when it returns (http.bpf.h);
 * a socket write after SSL_write (tls.bpf.c) is looked at as the plaintext it sends; closing a
 * connection ends its span.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "http.bpf.h"

static __always_inline bool is_write(long nr)
{
	return nr == NR_write || nr == NR_sendto || nr == NR_writev || nr == NR_sendmsg;
}

static __always_inline bool is_read(long nr)
{
	return nr == NR_read || nr == NR_recvfrom || nr == NR_readv || nr == NR_recvmsg;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(http_sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct io_state *st;
	bool write = is_write(id);

	if (!is_target(pid_tgid >> 32, NULL))
		return 0;
	if (id == NR_close) {
		http_closed((__u32)pid_tgid, regs->di);
		return 0;
	}
	if (!write && !is_read(id))
		return 0;
	/* sockets only: reads and writes of files and pipes cost no more */
	if (file_kind(task_file(bpf_get_current_task_btf(), regs->di)) != FD_SOCKET)
		return 0;
	st = io_state(true);
	if (!st)
		return 0;
	st->last_fd = regs->di;
	st->nr = 0;
	if (write && st->tls_wbuf) {
		/* the write SSL_write makes, or the one right after it (a memory BIO: Node) */
		st->buf = st->tls_wbuf;
		st->count = st->tls_wlen;
		st->tls_wbuf = 0;
		st->tls = 1;
	} else if (st->tls_rbuf || (id != NR_read && id != NR_write && id != NR_recvfrom && id != NR_sendto)) {
		return 0;	/* ciphertext inside SSL_read; vectored plaintext is not looked into */
	} else {
		st->buf = regs->si;
		st->count = regs->dx;
		st->tls = 0;
	}
	st->fd = regs->di;
	st->nr = id;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(http_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	long nr = regs->orig_ax;
	struct io_state *st;

	if (!is_target(pid_tgid >> 32, NULL) || (!is_write(nr) && !is_read(nr)))
		return 0;
	st = io_state(false);
	if (!st || st->nr != nr)
		return 0;
	st->nr = 0;
	if (ret <= 0)
		return 0;
	/* a TLS write sent its plaintext whole or in part: its first bytes are the request's */
	http_seen((__u32)pid_tgid, st->fd, st->buf, st->tls ? st->count : ret, is_read(nr), st->tls ? SPAN_TLS : 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
