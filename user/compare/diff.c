// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Two recordings compared: spans by their durations, their tails and where their time went, functions, categories and waits by shares, each family corrected for the many tested. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/intern.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/vec.h"
#include "compare/diff.h"

const char *change_name(enum change c)
{
	static const char *const names[] = {
		[CHANGE_NONE] = "none", [CHANGE_GREW] = "grew", [CHANGE_SHRANK] = "shrank",
		[CHANGE_APPEARED] = "appeared", [CHANGE_DISAPPEARED] = "disappeared",
	};

	return c <= CHANGE_DISAPPEARED ? names[c] : "?";
}

void diff__check(struct recording *base, struct recording *new)
{
	/* an older agentprof split no span's net by peer: net compared whole, both sides alike */
	if (base->net_by_peer != new->net_by_peer) {
		pr_warn("%s was written by an older agentprof, whose spans' net is not split by peer: net "
			"compared whole\n", base->net_by_peer ? new->path : base->path);
		recording__net_whole(base);
		recording__net_whole(new);
	}
	if (strcmp(base->comm, new->comm))
		pr_warn("%s is of '%s', %s of '%s': comparing different programs\n", base->path, base->comm,
			new->path, new->comm);
	if (base->kind == REC_REPORT)
		pr_warn("%s is a report.json: spans compared by their quantiles without a test, functions "
			"not at all (a baseline.json from diff keeps what is needed)\n", base->path);
}

bool frame_is_group(const char *frame, size_t len)
{
	return (len > 7 && !strncmp(frame, "[trace ", 7)) || (len > 6 && !strncmp(frame, "[span ", 6));
}

/* Holm over the tested entries of a family; p_adj 1 for the others. 0 or -ENOMEM. */
static int adjust(double *p, const bool *tested, size_t n, double *adj)
{
	double *v = calloc(n + 1, sizeof(*v));
	size_t m = 0;
	int err;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (tested[i])
			v[m++] = p[i];
	err = stats_holm(v, m, v);
	m = 0;
	for (size_t i = 0; !err && i < n; i++)
		adj[i] = tested[i] ? v[m++] : 1;
	free(v);
	return err;
}

/*
 * The effect a span must show beside its test: its median moved by enough, in z's direction.
 * Not the p95 alone: on this shared VM the tails of unchanged sleeps grew 45-90% from one
 * recording to the next (wake-ups the hypervisor delayed, which no runq shows), and a rank test
 * sees that shift of a tenth of the spans; the median held within 1%.
 */
static bool span_effect(const struct span_diff *s, const struct diff_opts *o)
{
	double d = s->q_ns[1][Q50] - s->q_ns[0][Q50];

	return (d > 0) == (s->z > 0) && fabs(d) >= o->min_abs_ns && fabs(s->rel[Q50]) >= o->min_effect;
}

static void span_fill(struct span_diff *s, const struct rec_span *side[2], const struct diff_opts *o)
{
	/* a report.json knows whole durations only: then both sides are shown so, like with like */
	bool whole = (side[0] && !side[0]->dur_ns) || (side[1] && !side[1]->dur_ns);

	for (int k = 0; k < 2; k++) {
		if (!side[k])
			continue;
		s->name = side[k]->name;
		s->count[k] = side[k]->count;
		s->q_ns[k][Q50] = whole ? side[k]->wall_q_ns[0] : side[k]->p50_ns;
		s->q_ns[k][Q95] = whole ? side[k]->wall_q_ns[1] : side[k]->p95_ns;
		s->q_ns[k][Q99] = whole ? side[k]->wall_q_ns[2] : side[k]->p99_ns;
		for (int c = 0; c < NR_CATEGORIES; c++)
			s->mean_ns[k][c] = side[k]->count ? (double)side[k]->ns[c] / side[k]->count : 0;
	}
	for (int q = 0; q < NR_QUANTILES; q++)
		s->rel[q] = s->q_ns[0][q] > 0 ? s->q_ns[1][q] / s->q_ns[0][q] - 1 : 0;
	if (!side[0] || !side[1])
		s->untested = side[0] ? "absent after" : "absent before";
	else if (!side[0]->dur_ns || !side[1]->dur_ns)
		s->untested = "a report.json: whole durations' quantiles, untested";
	else if (s->count[0] < o->min_spans || s->count[1] < o->min_spans)
		s->untested = "too few spans to say";
	s->tested = !s->untested;
	s->p = s->p_adj = 1;
}

static const unsigned int tail_pct[NR_QUANTILES] = { [Q95] = 95, [Q99] = 99 };

/*
 * The tails of a tested span, each on its own, where each side has min_tail spans beyond it
 * (80 spans for a p95, 400 for a p99: with fewer the quantile is near the largest value, of
 * which neither test says much). Two tests, each blind where the other sees, the smaller p
 * doubled (Bonferroni): an exact bootstrap of the quantile on each side, which sees a tail
 * that moved a little in many spans (every llm span 20% longer: the count above the pooled p95,
 * 11 spans at 110 a side, missed it when the base had caught two late wake-ups there); and the
 * count of each side's spans above the pooled quantile, which sees a tail that moved as a
 * block (one tool call in ten 20% longer, the p95 inside them: the resamples whose p95 falls
 * out of the block blur the bootstrap). Not the rank test of all the durations, which a tail
 * that moved alone hardly moves, nor the median, which it does not move at all.
 */
static void span_tails(struct span_diff *s, const struct rec_span *side[2], const struct diff_opts *o)
{
	for (int q = Q95; q < NR_QUANTILES; q++) {
		struct tail_diff *t = &s->tail[q];
		struct quantile_test boot;
		struct tail_test count;

		t->p = t->p_adj = 1;
		if (!s->tested)
			continue;
		if (fmin(s->count[0], s->count[1]) * (100 - tail_pct[q]) / 100 < o->min_tail) {
			t->untested = "too few spans beyond it to say";
			continue;
		}
		if (stats_quantile_test(side[0]->dur_ns, side[0]->count, side[1]->dur_ns, side[1]->count, tail_pct[q],
					&boot) ||
		    stats_tail_test(side[0]->dur_ns, side[0]->count, side[1]->dur_ns, side[1]->count, tail_pct[q], &count))
			continue;
		t->tested = true;
		t->p = fmin(1, 2 * fmin(boot.p, count.p));
		t->direction = boot.p <= count.p ? boot.direction : count.direction;
	}
}

/* A tail's effect: the quantile moved by enough, the way the test says. */
static bool tail_effect(const struct span_diff *s, int q, const struct diff_opts *o)
{
	double d = s->q_ns[1][q] - s->q_ns[0][q];

	return s->tail[q].direction && (d > 0) == (s->tail[q].direction > 0) && fabs(d) >= o->min_abs_ns &&
	       fabs(s->rel[q]) >= o->min_effect;
}

/*
 * A part's values on one side into *v: one per span, zeros (in *zeros, to free) where it had
 * none; NULL when they are not known span by span. 0 or -ENOMEM.
 */
static int part_values(const struct rec_span *r, const char *name, const double **v, double **zeros)
{
	*v = *zeros = NULL;
	if (!r->dur_ns || (r->nparts && !r->parts[0].ns))
		return 0;
	for (size_t i = 0; i < r->nparts; i++)
		if (!strcmp(r->parts[i].name, name)) {
			*v = r->parts[i].ns;
			return 0;
		}
	*v = *zeros = calloc(r->count + 1, sizeof(**zeros));
	return *zeros ? 0 : -ENOMEM;
}

static double part_mean(const struct rec_span *r, const char *name)
{
	for (size_t i = 0; r && r->count && i < r->nparts; i++)
		if (!strcmp(r->parts[i].name, name))
			return r->parts[i].sum_ns / r->count;
	return 0;
}

static int cmp_part_diff(const void *x, const void *y)
{
	return rec_part_cmp(((const struct part_diff *)x)->name, ((const struct part_diff *)y)->name);
}

/*
 * Where a span name's time moved: its mean per part (a category; net split by the peers its
 * calls waited on) on both sides, each part but runq (the machine's load) tested by a rank test
 * on the spans' times in it, when either mean could move by min_abs_ns. 0 or -ENOMEM.
 */
static int span_parts(struct span_diff *s, const struct rec_span *side[2], const struct diff_opts *o)
{
	size_t cap = (side[0] ? side[0]->nparts : 0) + (side[1] ? side[1]->nparts : 0);

	s->parts = calloc(cap + 1, sizeof(*s->parts));
	if (!s->parts)
		return -ENOMEM;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; side[k] && i < side[k]->nparts; i++) {
			const char *name = side[k]->parts[i].name;
			size_t j;

			for (j = 0; j < s->nparts && strcmp(s->parts[j].name, name); j++)
				;
			if (j == s->nparts)
				s->parts[s->nparts++] = (struct part_diff){ .name = name, .p = 1, .p_adj = 1 };
		}
	if (s->nparts)
		qsort(s->parts, s->nparts, sizeof(*s->parts), cmp_part_diff);
	for (size_t i = 0; i < s->nparts; i++) {
		struct part_diff *pd = &s->parts[i];
		double *z0 = NULL, *z1 = NULL;
		const double *v0, *v1;
		struct mwu r;
		int err = 0;

		pd->mean_ns[0] = part_mean(side[0], pd->name);
		pd->mean_ns[1] = part_mean(side[1], pd->name);
		if (!s->tested || !strcmp(pd->name, category_name(CAT_RUNQ)) ||
		    fmax(pd->mean_ns[0], pd->mean_ns[1]) < o->min_abs_ns)
			continue;
		err = part_values(side[0], pd->name, &v0, &z0) ?: part_values(side[1], pd->name, &v1, &z1);
		if (!err && v0 && v1) {
			err = stats_mann_whitney(v0, side[0]->count, v1, side[1]->count, &r);
			if (!err) {
				pd->tested = true;
				pd->z = r.z;
				pd->p = r.p;
			}
		}
		free(z0);
		free(z1);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A part's effect: its mean moved, in z's direction, by min_abs_ns and by min_effect of the
 * span's mean time (runq aside, the larger side's): where the time moved is what moved the span.
 * Of the part's own mean it would be too little: on a loaded machine the CPU time of a 250 ms
 * request that computes for 3 ms moves 15% from one recording to the next, and a loop's queue
 * appears (other requests' code running slower), in changes of 0.5-1.6 ms that rank tests of 40
 * requests call significant.
 */
static bool part_effect(const struct span_diff *s, const struct part_diff *pd, const struct diff_opts *o)
{
	double d = pd->mean_ns[1] - pd->mean_ns[0], span[2] = { 0, 0 };

	for (size_t i = 0; i < s->nparts; i++)
		for (int k = 0; k < 2; k++)
			span[k] += strcmp(s->parts[i].name, category_name(CAT_RUNQ)) ? s->parts[i].mean_ns[k] : 0;
	return (d > 0) == (pd->z > 0) && fabs(d) >= o->min_abs_ns && fabs(d) >= o->min_effect * fmax(span[0], span[1]);
}

/* Holm over one family: the p of n entries reached through get, their adjusted p set through it. */
typedef double *(*p_of_fn)(struct diff *d, size_t i, bool **tested);

static int judge_family(struct diff *d, size_t n, p_of_fn get)
{
	double *p = calloc(n + 1, sizeof(*p)), *adj = calloc(n + 1, sizeof(*adj));
	bool *tested = calloc(n + 1, sizeof(*tested)), *t;
	int err = p && adj && tested ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < n; i++) {
		p[i] = get(d, i, &t)[0];
		tested[i] = *t;
	}
	err = err ?: adjust(p, tested, n, adj);
	for (size_t i = 0; !err && i < n; i++)
		get(d, i, &t)[1] = adj[i];
	free(p);
	free(adj);
	free(tested);
	return err;
}

/* The families: [&p, &p_adj] of the i-th entry. */
static double *p_of_span(struct diff *d, size_t i, bool **tested)
{
	*tested = &d->spans[i].tested;
	return &d->spans[i].p;
}

static double *p_of_tail(struct diff *d, size_t i, int q, bool **tested)
{
	*tested = &d->spans[i].tail[q].tested;
	return &d->spans[i].tail[q].p;
}

static double *p_of_p95(struct diff *d, size_t i, bool **tested)
{
	return p_of_tail(d, i, Q95, tested);
}

static double *p_of_p99(struct diff *d, size_t i, bool **tested)
{
	return p_of_tail(d, i, Q99, tested);
}

/* The i-th part of all spans', in order. */
static double *p_of_part(struct diff *d, size_t i, bool **tested)
{
	size_t k = 0;

	while (i >= d->spans[k].nparts)
		i -= d->spans[k++].nparts;
	*tested = &d->spans[k].parts[i].tested;
	return &d->spans[k].parts[i].p;
}

static int diff_spans(const struct recording *base, const struct recording *new, struct diff *d)
{
	size_t i = 0, j = 0, n = 0, nparts = 0;
	int err = 0;

	d->spans = calloc(base->nspans + new->nspans + 1, sizeof(*d->spans));
	if (!d->spans)
		return -ENOMEM;
	/* both sides sorted by name: a merge */
	while (i < base->nspans || j < new->nspans) {
		int c = i == base->nspans ? 1 : j == new->nspans ? -1 : strcmp(base->spans[i].name, new->spans[j].name);
		const struct rec_span *side[2] = { c <= 0 ? &base->spans[i] : NULL, c >= 0 ? &new->spans[j] : NULL };
		struct span_diff *s = &d->spans[n++];

		d->nspans = n;	/* what diff__free frees, should this fail */
		span_fill(s, side, &d->opts);
		if (s->tested) {
			struct mwu r;

			err = stats_mann_whitney(side[0]->dur_ns, side[0]->count, side[1]->dur_ns, side[1]->count, &r);
			if (err)
				return err;
			s->z = r.z;
			s->p = r.p;
		} else if (!side[0] && s->count[1] >= d->opts.min_spans) {
			s->change = CHANGE_APPEARED;
		} else if (!side[1] && s->count[0] >= d->opts.min_spans) {
			s->change = CHANGE_DISAPPEARED;
		}
		span_tails(s, side, &d->opts);
		err = span_parts(s, side, &d->opts);
		if (err)
			return err;
		nparts += s->nparts;
		i += c <= 0;
		j += c >= 0;
	}
	d->nspans = n;
	/* four families, each corrected on its own: the durations, the p95s, the p99s, the parts */
	err = judge_family(d, n, p_of_span) ?: judge_family(d, n, p_of_p95) ?: judge_family(d, n, p_of_p99) ?:
	      judge_family(d, nparts, p_of_part);
	for (size_t k = 0; !err && k < n; k++) {
		struct span_diff *s = &d->spans[k];

		if (s->tested && s->p_adj < d->opts.alpha && span_effect(s, &d->opts))
			s->change = s->z > 0 ? CHANGE_GREW : CHANGE_SHRANK;
		for (int q = Q95; q < NR_QUANTILES; q++)
			if (s->tail[q].tested && s->tail[q].p_adj < d->opts.alpha && tail_effect(s, q, &d->opts))
				s->tail[q].change = s->q_ns[1][q] > s->q_ns[0][q] ? CHANGE_GREW : CHANGE_SHRANK;
		for (size_t i = 0; i < s->nparts; i++) {
			struct part_diff *pd = &s->parts[i];

			if (pd->tested && pd->p_adj < d->opts.alpha && part_effect(s, pd, &d->opts))
				pd->change = !pd->mean_ns[0] ? CHANGE_APPEARED : !pd->mean_ns[1] ? CHANGE_DISAPPEARED :
					     pd->z > 0 ? CHANGE_GREW : CHANGE_SHRANK;
		}
	}
	return err;
}

/* Counts per name on both sides, for one family of shares. */
struct tally {
	struct intern names;
	uint64_t (*x)[2];
	size_t *seen;		/* the last stack (index + 1) that counted the name: once per stack */
	size_t cap;
};

static int tally__add(struct tally *t, const char *name, size_t len, int side, uint64_t count, size_t stack)
{
	int64_t id = intern__id(&t->names, name, len);

	if (id < 0)
		return -ENOMEM;
	if ((size_t)id >= t->cap) {
		size_t cap = t->cap;
		void *x = vec__reserve_zeroed(t->x, &cap, id + 1, sizeof(*t->x));

		if (!x)
			return -ENOMEM;
		t->x = x;
		cap = t->cap;
		x = vec__reserve_zeroed(t->seen, &cap, id + 1, sizeof(*t->seen));
		if (!x)
			return -ENOMEM;
		t->seen = x;
		t->cap = cap;
	}
	if (stack && t->seen[id] == stack)
		return 0;
	if (stack)
		t->seen[id] = stack;
	t->x[id][side] += count;
	return 0;
}

static void tally__free(struct tally *t)
{
	intern__free(&t->names);
	free(t->x);
	free(t->seen);
}

#define SINCE_BEFORE "[since before recording]"	/* the stack of a wait begun before the recording */

/* Whether a frame (or the end of a stack) is a kernel frame, named "..._[k]". */
static bool is_kernel(const char *f, size_t len)
{
	return len >= 4 && !memcmp(f + len - 4, "_[k]", 4);
}

/* The category of an off-CPU frame "[lock]", or -1. */
static int frame_category(const char *f, size_t len)
{
	for (int c = 0; c < NR_CATEGORIES; c++) {
		size_t n = strlen(category_name(c));

		if (len == n + 2 && f[0] == '[' && f[len - 1] == ']' && !strncmp(f + 1, category_name(c), n))
			return c;
	}
	return -1;
}

/*
 * The functions of every stack of one side. On CPU: "thread;function" into self (the leaf) and
 * total (once per stack), and each thread name's samples into threads: a function's share is of
 * its thread's samples, since how much CPU each thread gets is the machine's load. Off CPU:
 * "thread;category;function" into total for each user frame, its time in observations of
 * quantum; the threads' time is added from their breakdowns (thread_time).
 */
static int tally_stacks(const struct rec_stacks *st, int side, bool offcpu, double quantum_us, struct tally *self,
			struct tally *total, struct tally *threads)
{
	char key[4096];

	for (size_t i = 0; i < st->n; i++) {
		const char *s = st->v[i].stack, *end = s + strlen(s), *thread = s;
		uint64_t count = st->v[i].count;
		const char *leaf = NULL;
		size_t leaf_len = 0, thread_len;
		int cat = -1, err;

		if (offcpu)
			count = llround(count / quantum_us);
		/*
		 * On CPU, only samples taken in user code: how long the kernel takes for a syscall, a
		 * uprobe or an interrupt varies with the machine more than with the program, and
		 * would land in the user frame that entered it.
		 */
		else if (is_kernel(s, end - s))	/* the leaf: the end of the stack */
			continue;
		/* the first frame is the thread's (or the process's) name */
		s = memchr(s, ';', end - s);
		thread_len = s ? (size_t)(s - thread) : (size_t)(end - thread);
		while (s && s < end) {
			const char *f = s + 1, *e = memchr(f, ';', end - f) ?: end;
			size_t len = e - f;
			int k;

			s = e;
			if (!len || frame_is_group(f, len))
				continue;
			if (offcpu && cat < 0) {
				cat = frame_category(f, len);
				if (cat == CAT_RUNQ)
					break;
				continue;
			}
			/* off CPU, the category names the kernel's side of a wait, the user frames who waits */
			if (is_kernel(f, len))
				continue;
			/* how much of a wait began before the recording is when the recording began */
			if (offcpu && len == strlen(SINCE_BEFORE) && !memcmp(f, SINCE_BEFORE, len))
				continue;
			if (offcpu)
				k = snprintf(key, sizeof(key), "%.*s;%s;%.*s", (int)thread_len, thread, category_name(cat),
					     (int)len, f);
			else
				k = snprintf(key, sizeof(key), "%.*s;%.*s", (int)thread_len, thread, (int)len, f);
			err = k < (int)sizeof(key) ? tally__add(total, key, k, side, count, i + 1) : 0;
			if (err)
				return err;
			leaf = f;
			leaf_len = len;
		}
		if (offcpu)
			continue;	/* the threads' time comes from their breakdowns */
		err = tally__add(threads, thread, thread_len, side, count, 0);
		if (!err && !offcpu && leaf) {
			int k = snprintf(key, sizeof(key), "%.*s;%.*s", (int)thread_len, thread, (int)leaf_len, leaf);

			err = k < (int)sizeof(key) ? tally__add(self, key, k, side, count, 0) : 0;
		}
		if (err)
			return err;
	}
	return 0;
}

/*
 * Whether a share has the data for the normal approximation: min_samples a side, and at least
 * min_expected counts in and out of it on the smaller side at the pooled share (the textbook
 * rule for a two-proportion z test). Else it is too few to say.
 */
static bool enough(const struct share_diff *s, const struct diff_opts *o)
{
	uint64_t small = s->n[0] < s->n[1] ? s->n[0] : s->n[1];
	double pool;

	if (small < o->min_samples)
		return false;
	pool = (double)(s->x[0] + s->x[1]) / ((double)s->n[0] + s->n[1]);
	return pool * small >= o->min_expected && (1 - pool) * small >= o->min_expected;
}

/*
 * Shares of a tally tested against each other: one entry per name above min_share. A name
 * "thread;what" is a share of that thread's total in groups, split into thread and name; groups
 * NULL: a share of n_all.
 */
static int shares_from(struct tally *t, const char *kind, struct tally *groups, const uint64_t n_all[2],
		       const struct diff_opts *o, struct share_diff **v, size_t *nv)
{
	for (size_t i = 0; i < t->names.n; i++) {
		const char *key = t->names.keys[i], *semi = memchr(key, ';', t->names.lens[i]);
		uint64_t n[2] = { n_all ? n_all[0] : 0, n_all ? n_all[1] : 0 };
		struct share_diff *s;
		double sh[2];

		if (groups) {
			size_t glen = semi ? (size_t)(semi - key) : 0;
			int64_t g = intern__id(&groups->names, key, glen);

			if (g < 0)
				return -ENOMEM;
			if ((size_t)g < groups->cap) {
				n[0] = groups->x[g][0];
				n[1] = groups->x[g][1];
			}
		}
		for (int k = 0; k < 2; k++)
			sh[k] = n[k] ? (double)t->x[i][k] / n[k] : 0;
		if (fmax(sh[0], sh[1]) < o->min_share)
			continue;
		if (VEC_GROW_N(*v, *nv))
			return -ENOMEM;
		s = &(*v)[(*nv)++];
		*s = (struct share_diff){ .kind = kind, .x = { t->x[i][0], t->x[i][1] }, .n = { n[0], n[1] },
					  .share = { sh[0], sh[1] }, .p = 1, .p_adj = 1 };
		if (groups && semi) {
			s->thread = strndup(key, semi - key);
			s->name = strndup(semi + 1, t->names.lens[i] - (semi + 1 - key));
		} else {
			s->name = strndup(key, t->names.lens[i]);
		}
		if (!s->name || (groups && semi && !s->thread))
			return -ENOMEM;
		s->tested = enough(s, o);
		if (s->tested)
			s->z = stats_two_prop_z(s->x[0], n[0], s->x[1], n[1], &s->p);
	}
	return 0;
}

/* Holm over a family of shares, then the effect: a move of min_share_change and min_effect of the larger. */
static int shares_judge(struct share_diff *v, size_t n, const struct diff_opts *o)
{
	double *p = calloc(n + 1, sizeof(*p)), *adj = calloc(n + 1, sizeof(*adj));
	bool *tested = calloc(n + 1, sizeof(*tested));
	int err = p && adj && tested ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < n; i++) {
		p[i] = v[i].p;
		tested[i] = v[i].tested;
	}
	err = err ?: adjust(p, tested, n, adj);
	for (size_t i = 0; !err && i < n; i++) {
		struct share_diff *s = &v[i];
		double d = s->share[1] - s->share[0];

		s->p_adj = adj[i];
		if (!s->tested || s->p_adj >= o->alpha || fabs(d) < o->min_share_change ||
		    fabs(d) < o->min_effect * fmax(s->share[0], s->share[1]))
			continue;
		s->change = !s->x[0] ? CHANGE_APPEARED : !s->x[1] ? CHANGE_DISAPPEARED : d > 0 ? CHANGE_GREW : CHANGE_SHRANK;
	}
	free(p);
	free(adj);
	free(tested);
	return err;
}

static int cmp_share(const void *x, const void *y)
{
	const struct share_diff *a = x, *b = y;
	double da = fabs(a->share[1] - a->share[0]), db = fabs(b->share[1] - b->share[0]);

	/* the largest moves first; then by name, so that the order is the same every time */
	if (da != db)
		return (da < db) - (da > db);
	return strcmp(a->kind, b->kind) ?: strcmp(a->thread ?: "", b->thread ?: "") ?: strcmp(a->name, b->name);
}

/*
 * Each thread name's time, runq aside, in observations of quantum: what its waits are shares of,
 * as its categories are (a wait that appeared in a thread that never blocked is one of its time).
 */
static int thread_time(const struct recording *r, int side, double quantum_ns, struct tally *threads)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct rec_thread *th = &r->threads[i];
		uint64_t x = 0;
		int err;

		for (int c = 0; c < NR_CATEGORIES; c++)
			x += c == CAT_RUNQ ? 0 : llround(th->ns[c] / quantum_ns);
		err = tally__add(threads, th->name, strlen(th->name), side, x, 0);
		if (err)
			return err;
	}
	return 0;
}

static int diff_stacks(const struct recording *base, const struct recording *new, bool offcpu, struct diff *d)
{
	const struct recording *side[2] = { base, new };
	struct tally self = {}, total = {}, threads = {};
	struct share_diff **v = offcpu ? &d->waits : &d->functions;
	size_t *nv = offcpu ? &d->nwaits : &d->nfunctions;
	int err = 0;

	if (!base->cpu.present || !new->cpu.present)
		return 0;	/* a report.json: no stacks */
	for (int k = 0; k < 2 && !err; k++) {
		const struct rec_stacks *st = offcpu ? &side[k]->offcpu : &side[k]->cpu;

		memset(total.seen, 0, total.cap * sizeof(*total.seen));
		err = tally_stacks(st, k, offcpu, d->opts.quantum_ns / 1e3, &self, &total, &threads);
		if (!err && offcpu)
			err = thread_time(side[k], k, d->opts.quantum_ns, &threads);
	}
	if (!err && !offcpu)
		err = shares_from(&self, "self", &threads, NULL, &d->opts, v, nv);
	err = err ?: shares_from(&total, offcpu ? "wait" : "total", &threads, NULL, &d->opts, v, nv) ?:
	      shares_judge(*v, *nv, &d->opts);
	if (!err && *nv)
		qsort(*v, *nv, sizeof(**v), cmp_share);
	tally__free(&self);
	tally__free(&total);
	tally__free(&threads);
	return err;
}

/*
 * Wall time per category of each thread name, runq set aside, as shares of that thread's time:
 * how long a thread waits for a CPU, and so how much it runs, is the machine's load.
 */
static int diff_categories(const struct recording *base, const struct recording *new, struct diff *d)
{
	struct tally t = {}, threads = {};
	char key[512];
	int err = 0;

	for (int k = 0; k < 2 && !err; k++) {
		const struct recording *r = k ? new : base;

		for (size_t i = 0; i < r->nthreads && !err; i++) {
			const struct rec_thread *th = &r->threads[i];

			for (int c = 0; c < NR_CATEGORIES && !err; c++) {
				uint64_t x = llround(th->ns[c] / d->opts.quantum_ns);
				int n;

				if (c == CAT_RUNQ)
					continue;
				n = snprintf(key, sizeof(key), "%s;%s", th->name, category_name(c));
				err = n < (int)sizeof(key) ? tally__add(&t, key, n, k, x, 0) : 0;
				err = err ?: tally__add(&threads, th->name, strlen(th->name), k, x, 0);
			}
		}
	}
	err = err ?: shares_from(&t, "category", &threads, NULL, &d->opts, &d->categories, &d->ncategories) ?:
	      shares_judge(d->categories, d->ncategories, &d->opts);
	if (!err && d->ncategories)
		qsort(d->categories, d->ncategories, sizeof(*d->categories), cmp_share);
	tally__free(&t);
	tally__free(&threads);
	return err;
}

int diff__compute(const struct recording *base, const struct recording *new, const struct diff_opts *o,
		  struct diff *d)
{
	memset(d, 0, sizeof(*d));
	d->opts = *o;
	d->comm_differs = strcmp(base->comm, new->comm) != 0;
	return diff_spans(base, new, d) ?: diff_categories(base, new, d) ?: diff_stacks(base, new, false, d) ?:
	       diff_stacks(base, new, true, d);
}

static void shares_free(struct share_diff *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].thread);
	}
	free(v);
}

void diff__free(struct diff *d)
{
	for (size_t i = 0; i < d->nspans; i++)
		free(d->spans[i].parts);
	free(d->spans);
	shares_free(d->functions, d->nfunctions);
	shares_free(d->categories, d->ncategories);
	shares_free(d->waits, d->nwaits);
	memset(d, 0, sizeof(*d));
}
