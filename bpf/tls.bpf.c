// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * HTTP inside TLS: uprobes on OpenSSL's SSL_write(_ex) and SSL_read(_ex), in each libssl the
 * target maps and in binaries that link OpenSSL statically (Node). No fd is read from OpenSSL's
 * structures: SSL_write's plaintext goes with the thread's next socket write (the one SSL_write
 * makes, or the one a memory BIO's owner makes right after: the first that sends a TLS record), which
 * ties the SSL * to that socket (http.bpf.h's tls_conns); from then on SSL_write's plaintext is the
 * session's socket's, looked at in SSL_write. SSL_read's goes with its session's socket, else (a session that has not
 * written yet: a server's first request) the thread's last socket read (the one inside SSL_read,
 * or the one that fed a memory BIO just before). Writes
 * cost one probe hit; reads two, the return being where their plaintext is.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "http.bpf.h"

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

SEC("uprobe")
int BPF_KPROBE(tls_write, void *ssl, const void *buf, int num)
{
	write_entry(ssl, buf, num > 0 ? num : 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_write_ex, void *ssl, const void *buf, __u64 num)
{
	write_entry(ssl, buf, num);
	return 0;
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
SEC("uretprobe")
int BPF_KRETPROBE(tls_read_ret, int ret)
{
	__u64 id = bpf_get_current_pid_tgid(), buf, n = 0;
	struct io_state *st;
	int fd;

	if (!is_target(id >> 32, NULL))
		return 0;
	st = io_state(false);
	if (!st || !st->tls_rbuf)
		return 0;
	buf = st->tls_rbuf;
	st->tls_rbuf = 0;
	if (st->tls_rlen) {
		if (ret != 1 || bpf_probe_read_user(&n, sizeof(n), (void *)st->tls_rlen))
			return 0;
	} else if (ret > 0) {
		n = ret;
	}
	fd = tls_session_fd(st->tls_rssl);
	http_seen((__u32)id, fd >= 0 ? fd : st->last_fd, buf, n, true, SPAN_TLS);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
