// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of stats.c against hand-computed values: Mann-Whitney U, two-proportion z, Holm, BH. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include "base/stats.h"

#define NEAR(a, b, eps) cr_assert(fabs((a) - (b)) < (eps), "%s = %.9g, not %.9g", #a, (double)(a), (double)(b))

Test(diff_stats, mann_whitney_separated)
{
	/* every b above every a: U = 3 * 3; mean 4.5, variance 3*3*7/12; z = (9 - 4.5 - 0.5) / 2.2913 */
	double a[] = { 1, 2, 3 }, b[] = { 6, 4, 5 };
	struct mwu r;

	cr_assert_eq(stats_mann_whitney(a, 3, b, 3, &r), 0);
	NEAR(r.u, 9, 1e-12);
	NEAR(r.z, 1.745743122, 1e-8);
	NEAR(r.p, 0.080855598, 1e-8);
	/* the other way round: the same p, z negative, U of the smaller side */
	cr_assert_eq(stats_mann_whitney(b, 3, a, 3, &r), 0);
	NEAR(r.u, 0, 1e-12);
	NEAR(r.z, -1.745743122, 1e-8);
	NEAR(r.p, 0.080855598, 1e-8);
}

Test(diff_stats, mann_whitney_ties)
{
	/*
	 * 1a 2a 2a 2b 3a 3b 3b 4b: the 2s share rank 3, the 3s rank 6; R_b = 3 + 6 + 6 + 8 = 23,
	 * U = 23 - 4*5/2 = 13, mean 8; two groups of 3 ties: variance 16/12 * (9 - 48/56) = 10.857
	 */
	double a[] = { 1, 2, 2, 3 }, b[] = { 2, 3, 3, 4 };
	struct mwu r;

	cr_assert_eq(stats_mann_whitney(a, 4, b, 4, &r), 0);
	NEAR(r.u, 13, 1e-12);
	NEAR(r.z, 1.365698, 1e-6);
	NEAR(r.p, 0.172034, 1e-6);
}

Test(diff_stats, mann_whitney_identical_and_empty)
{
	double a[] = { 5, 5, 5 }, b[] = { 5, 5 };
	struct mwu r;

	cr_assert_eq(stats_mann_whitney(a, 3, b, 2, &r), 0);
	cr_assert_eq(r.p, 1);
	cr_assert_eq(r.z, 0);
	cr_assert_eq(stats_mann_whitney(a, 0, b, 2, &r), -EINVAL);
	cr_assert_eq(stats_mann_whitney(a, 3, b, 0, &r), -EINVAL);
}

Test(diff_stats, mann_whitney_same_distribution_is_not_significant)
{
	/* interleaved samples of one distribution: U at its mean, p = 1 */
	double a[] = { 1, 3, 5, 7, 9, 11 }, b[] = { 2, 4, 6, 8, 10, 0 };
	struct mwu r;

	cr_assert_eq(stats_mann_whitney(a, 6, b, 6, &r), 0);
	cr_assert_gt(r.p, 0.5);
}

Test(diff_stats, two_proportions)
{
	/* 50/100 against 70/100: pooled 0.6, se = sqrt(0.6*0.4*0.02) = 0.069282, z = 0.2/se */
	double p, z = stats_two_prop_z(50, 100, 70, 100, &p);

	NEAR(z, 2.886751346, 1e-8);
	NEAR(p, 0.003892417, 1e-8);
	z = stats_two_prop_z(70, 100, 50, 100, &p);
	NEAR(z, -2.886751346, 1e-8);
}

Test(diff_stats, two_proportions_without_information)
{
	double p;

	cr_assert_eq(stats_two_prop_z(0, 0, 5, 10, &p), 0);
	cr_assert_eq(p, 1);
	cr_assert_eq(stats_two_prop_z(0, 10, 0, 20, &p), 0);	/* both 0 */
	cr_assert_eq(p, 1);
	cr_assert_eq(stats_two_prop_z(10, 10, 20, 20, &p), 0);	/* both 1 */
	cr_assert_eq(p, 1);
	cr_assert_eq(stats_two_prop_z(11, 10, 2, 20, &p), 0);	/* impossible */
	cr_assert_eq(p, 1);
}

Test(diff_stats, holm)
{
	/* sorted 0.005*4, 0.01*3, 0.03*2, 0.04*1 -> 0.02 0.03 0.06 max(0.04, 0.06) */
	double p[] = { 0.01, 0.04, 0.03, 0.005 }, adj[4];

	cr_assert_eq(stats_holm(p, 4, adj), 0);
	NEAR(adj[0], 0.03, 1e-12);
	NEAR(adj[1], 0.06, 1e-12);
	NEAR(adj[2], 0.06, 1e-12);
	NEAR(adj[3], 0.02, 1e-12);
	/* capped at 1, and in place */
	double q[] = { 0.6, 0.5 };

	cr_assert_eq(stats_holm(q, 2, q), 0);
	NEAR(q[0], 1, 1e-12);
	NEAR(q[1], 1, 1e-12);
}

Test(diff_stats, benjamini_hochberg)
{
	/* p*4/rank: 0.02 0.02 0.04 0.04, then the running minimum from the largest */
	double p[] = { 0.01, 0.04, 0.03, 0.005 }, adj[4];

	cr_assert_eq(stats_bh(p, 4, adj), 0);
	NEAR(adj[0], 0.02, 1e-12);
	NEAR(adj[1], 0.04, 1e-12);
	NEAR(adj[2], 0.04, 1e-12);
	NEAR(adj[3], 0.02, 1e-12);
	cr_assert_eq(stats_bh(p, 0, adj), 0);
}

Test(diff_stats, percentile_nearest_rank)
{
	double v[] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 };

	cr_assert_eq(stats_percentile(v, 10, 50), 50);
	cr_assert_eq(stats_percentile(v, 10, 95), 100);
	cr_assert_eq(stats_percentile(v, 10, 1), 10);
	cr_assert_eq(stats_percentile(v, 0, 50), 0);
}
