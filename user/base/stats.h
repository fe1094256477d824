/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Statistics for comparing two recordings: Mann-Whitney U, two-proportion z, Holm and Benjamini-Hochberg. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

/* Two-sided p of a standard normal z: P(|Z| >= |z|). */
double stats_normal_p(double z);

struct mwu {
	double u;	/* U of b: pairs (a_i, b_j) with b_j > a_i, a tie counting one half */
	double z;	/* > 0 when b tends to be larger; continuity-corrected, tie-corrected */
	double p;	/* two-sided, normal approximation */
};

/*
 * Mann-Whitney U test of b against a (durations before and after): ranks with ties averaged, the
 * variance corrected for ties, a continuity correction of 1/2 (scipy's mannwhitneyu with
 * method="asymptotic"). All values tied: z = 0, p = 1. -EINVAL when a or b is empty, -ENOMEM.
 */
int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct mwu *out);

/*
 * Pooled two-proportion z test of x2/n2 against x1/n1: z > 0 when the second proportion is larger.
 * *p gets the two-sided p; no information (an empty side, both proportions 0 or 1): z = 0, p = 1.
 */
double stats_two_prop_z(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double *p);

/* Holm's step-down adjusted p-values of n tests (family-wise error), into adj (may be p). 0 or -ENOMEM. */
int stats_holm(const double *p, size_t n, double *adj);
/* Benjamini-Hochberg adjusted p-values (false discovery rate), into adj (may be p). 0 or -ENOMEM. */
int stats_bh(const double *p, size_t n, double *adj);

/* Nearest-rank percentile of n sorted values (spangroups' definition); 0 when n is 0. */
double stats_percentile(const double *sorted, size_t n, unsigned int pct);

#endif /* STATS_H */
