// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Statistics for comparing two recordings: Mann-Whitney U, two-proportion z, Holm and Benjamini-Hochberg. */
#include <errno.h>
#include <math.h>
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
