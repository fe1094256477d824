/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The human summary on stdout after a recording. */
#ifndef SUMMARY_H
#define SUMMARY_H

#include <stdio.h>
#include "model/profile.h"

/* Totals, drops, where the time went, the hottest functions; outdir is where the files went. */
void print_summary(FILE *f, const struct profile *p, const char *outdir);

#endif /* SUMMARY_H */
