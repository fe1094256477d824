// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Statistics for comparing two recordings: Mann-Whitney U, two-proportion z, Fisher's exact, a count above a pooled quantile and a bootstrap of quantiles, Holm and Benjamini-Hochberg. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include "base/stats.h"

double stats_normal_p(double z)
{
	return erfc(fabs(z) / M_SQRT2);
}

struct ranked {
	double v;
	int from_b;
};

static int cmp_ranked(const void *x, const void *y)
{
	double a = ((const struct ranked *)x)->v, b = ((const struct ranked *)y)->v;

	return (a > b) - (a < b);
}

int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct mwu *out)
{
	size_t n = na + nb;
	struct ranked *r;
	double rank_b = 0, ties = 0, mean, var, d;

	if (!na || !nb)
		return -EINVAL;
	r = malloc(n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < na; i++)
		r[i] = (struct ranked){ a[i], 0 };
	for (size_t i = 0; i < nb; i++)
		r[na + i] = (struct ranked){ b[i], 1 };
	qsort(r, n, sizeof(*r), cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && r[j].v == r[i].v)
			j++;
		/* positions i..j-1 hold ranks i+1..j: each gets their mean */
		double t = j - i, avg = (i + 1 + j) / 2.0;

		for (size_t k = i; k < j; k++)
			rank_b += r[k].from_b ? avg : 0;
		ties += t * t * t - t;
		i = j;
	}
	free(r);
	out->u = rank_b - nb * (nb + 1) / 2.0;
	mean = na * (double)nb / 2;
	var = na * (double)nb / 12 * ((n + 1) - ties / ((double)n * (n - 1 ? n - 1 : 1)));
	if (var <= 0) {
		out->z = 0;
		out->p = 1;
		return 0;
	}
	d = out->u - mean;
	/* the continuity correction moves U half a step toward the mean, never past it */
	d = d > 0.5 ? d - 0.5 : d < -0.5 ? d + 0.5 : 0;
	out->z = d / sqrt(var);
	out->p = stats_normal_p(out->z);
	return 0;
}

double stats_two_prop_z(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double *p)
{
	double p1, p2, pool, se;

	*p = 1;
	if (!n1 || !n2 || x1 > n1 || x2 > n2)
		return 0;
	p1 = (double)x1 / n1;
	p2 = (double)x2 / n2;
	pool = (double)(x1 + x2) / ((double)n1 + n2);
	se = sqrt(pool * (1 - pool) * (1.0 / n1 + 1.0 / n2));
	if (!(se > 0))
		return 0;
	*p = stats_normal_p((p2 - p1) / se);
	return (p2 - p1) / se;
}

static double lchoose(double n, double k)
{
	return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

double stats_fisher_exact(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2)
{
	uint64_t m = x1 + x2, lo, hi;
	double base, obs, p = 0;

	if (!n1 || !n2 || x1 > n1 || x2 > n2)
		return 1;
	/* the first side's count k at fixed margins: hypergeometric */
	lo = m > n2 ? m - n2 : 0;
	hi = m < n1 ? m : n1;
	base = lchoose((double)n1 + n2, m);
	obs = lchoose(n1, x1) + lchoose(n2, x2) - base;
	for (uint64_t k = lo; k <= hi; k++) {
		double l = lchoose(n1, k) + lchoose(n2, m - k) - base;

		/* as R: tables as likely as this one within rounding count too */
		if (l <= obs + 1e-7)
			p += exp(l);
	}
	return fmin(p, 1);
}

/* How many of n sorted values are below t (or at most t, with le). */
static size_t count_below(const double *v, size_t n, double t, bool le)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < t || (le && v[mid] == t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int stats_tail_test(const double *a, size_t na, const double *b, size_t nb, unsigned int pct, struct tail_test *out)
{
	size_t rank = ((na + nb) * pct + 99) / 100, i = 0, j = 0;
	double t = 0, sa, sb;

	if (!na || !nb)
		return -EINVAL;
	/* the rank-th smallest of both, merging the sorted sides */
	for (size_t k = 0; k < (rank ? rank : 1); k++)
		t = j == nb || (i < na && a[i] <= b[j]) ? a[i++] : b[j++];
	out->threshold = t;
	out->above[0] = na - count_below(a, na, t, true);
	out->above[1] = nb - count_below(b, nb, t, true);
	out->p = stats_fisher_exact(out->above[0], na, out->above[1], nb);
	sa = (double)out->above[0] / na;
	sb = (double)out->above[1] / nb;
	out->direction = (sb > sa) - (sb < sa);
	return 0;
}

/* The continued fraction of the incomplete beta function (modified Lentz), for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-14;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	d = 1 / (fabs(d) < tiny ? tiny : d);
	h = d;
	for (int m = 1; m <= 10000; m++) {
		double m2 = 2.0 * m, aa, del;

		aa = m * (b - m) * x / ((a - 1 + m2) * (a + m2));
		d = 1 + aa * d;
		c = 1 + aa / c;
		d = 1 / (fabs(d) < tiny ? tiny : d);
		c = fabs(c) < tiny ? tiny : c;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
		d = 1 + aa * d;
		c = 1 + aa / c;
		d = 1 / (fabs(d) < tiny ? tiny : d);
		c = fabs(c) < tiny ? tiny : c;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

double stats_ibeta(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	/* the fraction converges fast on this side of the mean; the other by symmetry */
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

/* P(the nearest-rank pct-th percentile of n draws from sorted v is at most t, or below t without le). */
static double resampled_cdf(const double *v, size_t n, unsigned int pct, double t, bool le)
{
	size_t k = (n * pct + 99) / 100;

	k = k ? k : 1;
	return stats_ibeta(k, n - k + 1, (double)count_below(v, n, t, le) / n);
}

int stats_quantile_test(const double *a, size_t na, const double *b, size_t nb, unsigned int pct,
			struct quantile_test *out)
{
	double le = 0, ge = 0, prev = 0;

	if (!na || !nb)
		return -EINVAL;
	/* over a's distinct values u: P(qa* = u) times P(qb* <= u), and times P(qb* >= u) */
	for (size_t i = 0; i < na; i++) {
		double at, pa;

		if (i + 1 < na && a[i + 1] == a[i])
			continue;
		at = resampled_cdf(a, na, pct, a[i], true);
		pa = at - prev;
		prev = at;
		if (pa <= 0)
			continue;
		le += pa * resampled_cdf(b, nb, pct, a[i], true);
		ge += pa * (1 - resampled_cdf(b, nb, pct, a[i], false));
		if (at >= 1)
			break;
	}
	out->p = fmin(1, 2 * fmin(le, ge));
	out->direction = (le < ge) - (le > ge);
	return 0;
}

struct indexed {
	double p;
	size_t i;
};

static int cmp_indexed(const void *x, const void *y)
{
	const struct indexed *a = x, *b = y;

	/* ties in index order, so that the adjustment does not depend on qsort's order */
	if (a->p != b->p)
		return (a->p > b->p) - (a->p < b->p);
	return (a->i > b->i) - (a->i < b->i);
}

static struct indexed *sorted_p(const double *p, size_t n)
{
	struct indexed *s = malloc((n ? n : 1) * sizeof(*s));

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = (struct indexed){ p[i], i };
	qsort(s, n, sizeof(*s), cmp_indexed);
	return s;
}

int stats_holm(const double *p, size_t n, double *adj)
{
	struct indexed *s = sorted_p(p, n);
	double run = 0;

	if (!s)
		return -ENOMEM;
	/* smallest first, times the tests left; kept monotone so that order of rejection holds */
	for (size_t k = 0; k < n; k++) {
		double v = s[k].p * (n - k);

		run = fmax(run, fmin(v, 1));
		adj[s[k].i] = run;
	}
	free(s);
	return 0;
}

int stats_bh(const double *p, size_t n, double *adj)
{
	struct indexed *s = sorted_p(p, n);
	double run = 1;

	if (!s)
		return -ENOMEM;
	/* largest first, times n over its rank; the running minimum keeps it monotone */
	for (size_t k = n; k-- > 0;) {
		double v = s[k].p * n / (k + 1);

		run = fmin(run, v);
		adj[s[k].i] = run;
	}
	free(s);
	return 0;
}

double stats_percentile(const double *sorted, size_t n, unsigned int pct)
{
	size_t rank = (n * pct + 99) / 100;

	return n ? sorted[rank ? rank - 1 : 0] : 0;
}
