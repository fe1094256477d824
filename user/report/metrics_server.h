/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `top --listen`: serves the metrics at /metrics over HTTP (libmicrohttpd) while top runs. */
#ifndef METRICS_SERVER_H
#define METRICS_SERVER_H

#include <sys/socket.h>
#include <sys/types.h>
#include "model/profile.h"

struct metrics_server;

/*
 * Parses where to listen: "HOST:PORT" with HOST a numeric IPv4 address, "[IPV6]:PORT",
 * "localhost:PORT", or "PORT" and ":PORT" for 127.0.0.1 (loopback unless told otherwise).
 * 0 or -EINVAL.
 */
int parse_listen(const char *s, struct sockaddr_storage *addr, socklen_t *len);

/* Listens (say what failed in one line) and serves the metrics of pid; NULL and errno. */
struct metrics_server *metrics_server__start(const char *listen, pid_t pid, const char *comm);
/* Adds one interval of top and serves the sums from now on. 0 or -ENOMEM. */
int metrics_server__add(struct metrics_server *s, const struct profile *interval);
void metrics_server__stop(struct metrics_server *s);

#endif /* METRICS_SERVER_H */
