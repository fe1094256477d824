// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of stats.c against hand-computed values: Mann-Whitney U, two-proportion z, the tail test, Holm, BH. */
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

Test(diff_stats, incomplete_beta)
{
	/* I_x(1, 1) = x; I_0.5(a, a) = 1/2; scipy.special.betainc(5, 3, 0.4) = 0.096256 */
	NEAR(stats_ibeta(1, 1, 0.3), 0.3, 1e-12);
	NEAR(stats_ibeta(7, 7, 0.5), 0.5, 1e-12);
	NEAR(stats_ibeta(5, 3, 0.4), 0.096256, 1e-6);
	NEAR(stats_ibeta(5, 3, 0.4) + stats_ibeta(3, 5, 0.6), 1, 1e-12);
	cr_assert_eq(stats_ibeta(2, 3, 0), 0);
	cr_assert_eq(stats_ibeta(2, 3, 1), 1);
	/* P(Binomial(100, 0.95) >= 95) = I_0.95(95, 6) = 0.6160 */
	NEAR(stats_ibeta(95, 6, 0.95), 0.616004, 1e-5);
}

Test(diff_stats, quantile_test_separated_and_the_same)
{
	/* 1..100 against 101..200: no resample of b has its p95 below a's; the same values: p = 1 */
	double a[100], b[100];
	struct quantile_test t;

	for (int i = 0; i < 100; i++) {
		a[i] = i + 1;
		b[i] = i + 101;
	}
	cr_assert_eq(stats_quantile_test(a, 100, b, 100, 95, &t), 0);
	cr_assert_lt(t.p, 1e-12);
	cr_assert_eq(t.direction, 1);
	cr_assert_eq(stats_quantile_test(b, 100, a, 100, 95, &t), 0);
	cr_assert_lt(t.p, 1e-12);
	cr_assert_eq(t.direction, -1);
	cr_assert_eq(stats_quantile_test(a, 100, a, 100, 95, &t), 0);
	NEAR(t.p, 1, 1e-9);
	cr_assert_eq(t.direction, 0);
	cr_assert_eq(stats_quantile_test(a, 0, b, 100, 95, &t), -EINVAL);
}

Test(diff_stats, fisher_exact)
{
	/* R: fisher.test(matrix(c(1, 9, 11, 3), 2))$p.value = 0.002759456 (the tea-tasting layout) */
	NEAR(stats_fisher_exact(1, 12, 9, 12), 0.002759456, 1e-8);
	NEAR(stats_fisher_exact(9, 12, 1, 12), 0.002759456, 1e-8);
	/* 0 of 100 against 8 of 100: 2 * C(100,8) / C(200,8) */
	NEAR(stats_fisher_exact(0, 100, 8, 100), 0.006754675, 1e-8);
	NEAR(stats_fisher_exact(5, 100, 5, 100), 1, 1e-9);
	cr_assert_eq(stats_fisher_exact(1, 0, 1, 10), 1);
	cr_assert_eq(stats_fisher_exact(11, 10, 1, 10), 1);
}

Test(diff_stats, tail_test_counts_above_the_pooled_percentile)
{
	/* 1..10 against 11..20: the pooled 80th percentile is 16 (rank 16 of 20), above it 17..20, all b's */
	double a[10], b[10];
	struct tail_test t;

	for (int i = 0; i < 10; i++) {
		a[i] = i + 1;
		b[i] = i + 11;
	}
	cr_assert_eq(stats_tail_test(a, 10, b, 10, 80, &t), 0);
	NEAR(t.threshold, 16, 1e-12);
	cr_assert_eq(t.above[0], 0);
	cr_assert_eq(t.above[1], 4);
	cr_assert_eq(t.direction, 1);
	NEAR(t.p, stats_fisher_exact(0, 10, 4, 10), 1e-12);
	cr_assert_eq(stats_tail_test(b, 10, a, 10, 80, &t), 0);
	cr_assert_eq(t.direction, -1);
	cr_assert_eq(stats_tail_test(a, 0, b, 10, 80, &t), -EINVAL);
}

Test(diff_stats, a_tail_that_moved_alone_and_as_a_block)
{
	/*
	 * 200 spans each, the same body; a tenth of them 40 before, 48 after: the rank test of all the
	 * values hardly sees it; the count above the pooled p95 does (all 20 are b's); the bootstrap
	 * of the p95 is blurred by the resamples whose p95 falls in the body (10% of them). The same
	 * tail on both sides, a little reordered: neither test says anything
	 */
	double a[200], b[200], c[200];
	struct quantile_test q;
	struct tail_test t;
	struct mwu m;

	for (int i = 0; i < 200; i++) {
		a[i] = b[i] = c[i] = 20 + i * 0.01;
		if (i >= 180) {
			a[i] = 40 + i * 0.01;
			c[i] = 40 + (i ^ 1) * 0.01 + 0.001;
			b[i] = 48 + i * 0.01;
		}
	}
	cr_assert_eq(stats_mann_whitney(a, 200, b, 200, &m), 0);
	cr_assert_gt(m.p, 0.01);
	cr_assert_eq(stats_tail_test(a, 200, b, 200, 95, &t), 0);
	cr_assert_eq(t.above[1], 20);
	cr_assert_lt(t.p, 1e-5);
	cr_assert_eq(stats_quantile_test(a, 200, b, 200, 95, &q), 0);
	cr_assert_eq(q.direction, 1);
	cr_assert_gt(q.p, 1e-3);
	cr_assert_eq(stats_tail_test(a, 200, c, 200, 95, &t), 0);
	cr_assert_gt(t.p, 0.3);
	cr_assert_eq(stats_quantile_test(a, 200, c, 200, 95, &q), 0);
	cr_assert_gt(q.p, 0.3);
}

Test(diff_stats, a_tail_that_moved_a_little_everywhere)
{
	/*
	 * 110 spans, all 20% longer, two of the base's late (as the hypervisor wakes sleeps): the
	 * count above the pooled p95 has 2 of 11 on the base's side and says little; the bootstrap
	 * of the p95 says that few resamples of the base hold the 6 late ones its p95 would need
	 */
	double a[110], b[110];
	struct quantile_test q;
	struct tail_test t;

	for (int i = 0; i < 110; i++) {
		a[i] = 20 + i * 0.002;
		b[i] = 24 + i * 0.002;
	}
	a[108] = 25;
	a[109] = 26;
	cr_assert_eq(stats_tail_test(a, 110, b, 110, 95, &t), 0);
	cr_assert_eq(t.above[0], 2);
	cr_assert_gt(t.p, 0.01);
	cr_assert_eq(stats_quantile_test(a, 110, b, 110, 95, &q), 0);
	cr_assert_lt(q.p, t.p);
	cr_assert_eq(q.direction, 1);
	/* one late: P(Poisson(1) >= 6) twice, about 1.2e-3 */
	a[108] = 20.216;
	cr_assert_eq(stats_quantile_test(a, 110, b, 110, 95, &q), 0);
	cr_assert_lt(q.p, 2e-3);
}
