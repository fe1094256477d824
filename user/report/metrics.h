/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What `top --listen` exposes to Prometheus: counters summed over top's intervals (seconds per
 * category per thread name and per span name, samples, drops) and the process's current class.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdio.h>
#include <sys/types.h>
#include "model/profile.h"

struct metrics;

/* NULL on -ENOMEM. comm: the process's name. */
struct metrics *metrics__new(pid_t pid, const char *comm);
void metrics__free(struct metrics *m);
/* Adds one interval (a classified profile of it). 0 or -ENOMEM. */
int metrics__add(struct metrics *m, const struct profile *interval);
/* Everything so far in Prometheus's text exposition format (version 0.0.4). 0 or -EIO. */
int metrics__write(const struct metrics *m, FILE *f);

#endif /* METRICS_H */
