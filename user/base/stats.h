/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Statistics for comparing two recordings: Mann-Whitney U, two-proportion z, Fisher's exact, a count above a pooled quantile and a bootstrap of quantiles, Holm and Benjamini-Hochberg. */
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

/*
 * Fisher's exact test of x1 of n1 against x2 of n2 (a 2x2 table): two-sided, the probability at
 * the table's margins of every table no more likely than this one (R's fisher.test). 1 when a
 * side is empty or a count exceeds its side.
 */
double stats_fisher_exact(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2);

/* An upper tail compared: how many values of each side lie above the pooled percentile. */
struct tail_test {
	double threshold;	/* the nearest-rank pct-th percentile of both sides together */
	uint64_t above[2];	/* of a, of b: values strictly above it */
	double p;		/* Fisher's exact test of above[0] of na against above[1] of nb */
	int direction;		/* > 0 when a larger share of b lies above, < 0 a smaller one, 0 the same */
};

/*
 * A quantile test of b's pct-th percentile against a's (a and b sorted): under one distribution
 * the values above a percentile of the pooled values are split between the sides as if drawn
 * without replacement, so the count above it is an exact test whatever the tail's shape. It
 * sees a tail that moved as a block (a tenth of the values later, the p95 inside them), where a
 * bootstrap of the quantile sees resamples whose p95 falls outside the block. -EINVAL when a or
 * b is empty.
 */
int stats_tail_test(const double *a, size_t na, const double *b, size_t nb, unsigned int pct, struct tail_test *out);

/* I_x(a, b): the regularized incomplete beta function (a, b > 0; x in [0, 1]). */
double stats_ibeta(double a, double b, double x);

/* Two quantiles compared: the exact bootstrap of the difference of the nearest-rank pct-th percentiles. */
struct quantile_test {
	double p;	/* two-sided: twice the bootstrap probability that the difference is 0 or the other sign */
	int direction;	/* > 0 when b's quantile is the larger, < 0 the smaller, 0 neither */
};

/*
 * A bootstrap test of b's pct-th percentile against a's (a and b sorted), computed exactly, not
 * resampled: the k-th smallest of n draws from v is at most v_j with probability
 * P(Binomial(n, j/n) >= k) = I_{j/n}(k, n - k + 1), so the distribution of each side's resampled
 * quantile is known, and that of their difference with it. Deterministic, and no p floor of
 * 1/B. As any bootstrap of a quantile it needs values beyond it (the caller's rule); a test of
 * all the values hardly sees a tail that moved alone. -EINVAL when a or b is empty.
 */
int stats_quantile_test(const double *a, size_t na, const double *b, size_t nb, unsigned int pct,
			struct quantile_test *out);

/* Holm's step-down adjusted p-values of n tests (family-wise error), into adj (may be p). 0 or -ENOMEM. */
int stats_holm(const double *p, size_t n, double *adj);
/* Benjamini-Hochberg adjusted p-values (false discovery rate), into adj (may be p). 0 or -ENOMEM. */
int stats_bh(const double *p, size_t n, double *adj);

/* Nearest-rank percentile of n sorted values (spangroups' definition); 0 when n is 0. */
double stats_percentile(const double *sorted, size_t n, unsigned int pct);

#endif /* STATS_H */
