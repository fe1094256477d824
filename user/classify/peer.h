/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The remote end of a socket as the kernel read it: printed, compared. */
#ifndef PEER_H
#define PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "agentprof.h"

#define PEER_STR_LEN 48	/* "[ffff:...:ffff]:65535" */

/* "10.0.0.7:443", "[2001:db8::1]:443" (an IPv4-mapped IPv6 address prints as IPv4); "" for none. */
void peer_str(const struct net_peer *p, char *buf, size_t len);
/* The same endpoint (an IPv4 address and its IPv4-mapped IPv6 form are the same). */
bool peer_eq(const struct net_peer *a, const struct net_peer *b);
static inline bool peer_known(const struct net_peer *p)
{
	return p->family != 0;
}

#endif /* PEER_H */
