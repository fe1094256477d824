/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The human summary on stdout after a recording. */
#ifndef SUMMARY_H
#define SUMMARY_H

#include <stdio.h>
#include "model/profile.h"

/* Totals, drops, where the time went, the hottest functions; outdir is where the files went. */
void print_summary(FILE *f, const struct profile *p, const char *outdir);

struct otlp_stats;
/*
 * One line after an OTLP export of total spans that took seconds at the end: how many were sent,
 * in how many requests, how many needed a retry, how many were dropped and the last reason why.
 */
void print_otlp_summary(FILE *f, const struct otlp_stats *st, uint64_t total, double seconds);

#endif /* SUMMARY_H */
