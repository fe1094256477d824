// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The remote end of a socket as the kernel read it: printed, compared. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "classify/peer.h"

static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* IPv4 peers as IPv4, whichever socket family they were reached through. */
static struct net_peer normal(const struct net_peer *p)
{
	struct net_peer n = *p;

	if (p->family == AF_INET6 && !memcmp(p->addr, v4_mapped, sizeof(v4_mapped))) {
		memset(n.addr, 0, sizeof(n.addr));
		memcpy(n.addr, p->addr + 12, 4);
		n.family = AF_INET;
	} else if (p->family == AF_INET) {
		memset(n.addr + 4, 0, sizeof(n.addr) - 4);
	}
	return n;
}

void peer_str(const struct net_peer *p, char *buf, size_t len)
{
	struct net_peer n = normal(p);
	char addr[INET6_ADDRSTRLEN];

	if (!len)
		return;
	buf[0] = '\0';
	if (n.family != AF_INET && n.family != AF_INET6)
		return;
	if (!inet_ntop(n.family, n.addr, addr, sizeof(addr)))
		return;
	snprintf(buf, len, n.family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, n.port);
}

bool peer_eq(const struct net_peer *a, const struct net_peer *b)
{
	struct net_peer x = normal(a), y = normal(b);

	return x.family == y.family && x.port == y.port && !memcmp(x.addr, y.addr, sizeof(x.addr));
}
