// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What diff writes: diff.json, 3-column folded files (difffolded.pl's), differential flame graphs, the summary. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "flamegraph.h"
#include "base/text.h"
#include "compare/diff_output.h"
#include "base/vec.h"

#define SUMMARY_SHARES 8	/* significant shares shown per family */

static json_t *side_json(const struct recording *r)
{
	static const char *const kinds[] = { [REC_DIR] = "directory", [REC_REPORT] = "report.json",
					     [REC_BASELINE] = "baseline.json" };

	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "path", r->path, "kind", kinds[r->kind], "comm",
			 r->comm, "pid", (json_int_t)r->pid, "duration_ns", (json_int_t)r->duration_ns,
			 "samples", (json_int_t)r->samples, "spans", (json_int_t)r->nspans);
}

static json_t *means_json(const double ns[NR_CATEGORIES])
{
	json_t *o = json_object();

	for (int c = 0; c < NR_CATEGORIES; c++)
		json_object_set_new(o, category_name(c), json_integer((json_int_t)ns[c]));
	return o;
}

static json_t *pair(double a, double b)
{
	return json_pack("[f, f]", a, b);
}

/* Nanoseconds are whole numbers. */
static json_t *pair_ns(double a, double b)
{
	return json_pack("[I, I]", (json_int_t)a, (json_int_t)b);
}

static json_t *tail_json(const struct tail_diff *t)
{
	return json_pack("{s:b, s:o, s:f, s:f, s:s}", "tested", t->tested,
			 "untested", t->untested ? json_string(t->untested) : json_null(),
			 "p", t->p, "p_adjusted", t->p_adj, "verdict", change_name(t->change));
}

static json_t *parts_json(const struct span_diff *s)
{
	json_t *a = json_array();
	char name[512];

	for (size_t i = 0; i < s->nparts; i++) {
		const struct part_diff *p = &s->parts[i];

		utf8_sanitize(p->name, name, sizeof(name));
		json_array_append_new(a, json_pack("{s:s, s:o, s:b, s:f, s:f, s:f, s:s}", "name", name,
						   "mean_ns", pair_ns(p->mean_ns[0], p->mean_ns[1]), "tested", p->tested,
						   "z", p->z, "p", p->p, "p_adjusted", p->p_adj,
						   "verdict", change_name(p->change)));
	}
	return a;
}

static json_t *span_json(const struct span_diff *s)
{
	json_t *o = json_pack("{s:s, s:[I, I], s:o, s:o, s:o, s:{s:f, s:f, s:f}, s:b, s:o, s:f, s:f, s:f, s:s, "
			 "s:{s:o, s:o}}",
			 "name", s->name,
			 "count", (json_int_t)s->count[0], (json_int_t)s->count[1],
			 "p50_ns", pair_ns(s->q_ns[0][Q50], s->q_ns[1][Q50]),
			 "p95_ns", pair_ns(s->q_ns[0][Q95], s->q_ns[1][Q95]),
			 "p99_ns", pair_ns(s->q_ns[0][Q99], s->q_ns[1][Q99]),
			 "change", "p50", s->rel[Q50], "p95", s->rel[Q95], "p99", s->rel[Q99],
			 "tested", s->tested,
			 "untested", s->untested ? json_string(s->untested) : json_null(),
			 "z", s->z, "p", s->p, "p_adjusted", s->p_adj,
			 "verdict", change_name(s->change),
			 "mean_breakdown_ns", "before", means_json(s->mean_ns[0]), "after", means_json(s->mean_ns[1]));

	/* the tails' own verdicts; where the time moved, part by part */
	json_object_set_new(o, "p95", tail_json(&s->tail[Q95]));
	json_object_set_new(o, "p99", tail_json(&s->tail[Q99]));
	json_object_set_new(o, "parts", parts_json(s));
	return o;
}

static json_t *shares_json(const struct share_diff *v, size_t n)
{
	json_t *a = json_array();
	char name[1024], thread[256];

	for (size_t i = 0; i < n; i++) {
		const struct share_diff *s = &v[i];

		utf8_sanitize(s->name, name, sizeof(name));
		utf8_sanitize(s->thread ?: "", thread, sizeof(thread));
		json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:o, s:[I, I], s:[I, I], s:b, s:f, s:f, s:f, s:s}",
						   "name", name,
						   "thread", s->thread ? json_string(thread) : json_null(),
						   "kind", s->kind,
						   "share", pair(s->share[0], s->share[1]),
						   "count", (json_int_t)s->x[0], (json_int_t)s->x[1],
						   "of", (json_int_t)s->n[0], (json_int_t)s->n[1],
						   "tested", s->tested, "z", s->z, "p", s->p, "p_adjusted", s->p_adj,
						   "verdict", change_name(s->change)));
	}
	return a;
}

size_t diff_significant(const struct diff *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nspans; i++) {
		const struct span_diff *s = &d->spans[i];

		n += (s->change != CHANGE_NONE) + (s->tail[Q95].change != CHANGE_NONE) + (s->tail[Q99].change != CHANGE_NONE);
		for (size_t k = 0; k < s->nparts; k++)
			n += s->parts[k].change != CHANGE_NONE;
	}
	for (size_t i = 0; i < d->ncategories; i++)
		n += d->categories[i].change != CHANGE_NONE;
	for (size_t i = 0; i < d->nfunctions; i++)
		n += d->functions[i].change != CHANGE_NONE;
	for (size_t i = 0; i < d->nwaits; i++)
		n += d->waits[i].change != CHANGE_NONE;
	return n;
}

int diff_write_json(FILE *f, void *ctx)
{
	const struct diff_job *job = ctx;
	const struct diff *d = job->d;
	json_t *spans = json_array(), *root;
	int err;

	for (size_t i = 0; i < d->nspans; i++)
		json_array_append_new(spans, span_json(&d->spans[i]));
	root = json_pack("{s:i, s:o, s:o, s:{s:f, s:f, s:f, s:f, s:f, s:I, s:f, s:I, s:f, s:f, s:s}, s:b, s:I, s:o, s:o, "
			 "s:o, s:o}",
			 "version", 1, "base", side_json(job->base), "new", side_json(job->new),
			 "options", "alpha", d->opts.alpha, "min_effect", d->opts.min_effect,
			 "min_abs_ns", d->opts.min_abs_ns, "min_share", d->opts.min_share,
			 "min_share_change", d->opts.min_share_change, "min_spans", (json_int_t)d->opts.min_spans,
			 "min_tail", d->opts.min_tail,
			 "min_samples", (json_int_t)d->opts.min_samples, "min_expected", d->opts.min_expected, "offcpu_quantum_ns", d->opts.quantum_ns,
			 "correction", "holm",
			 "comm_differs", d->comm_differs,
			 "significant", (json_int_t)diff_significant(d),
			 "spans", spans,
			 "categories", shares_json(d->categories, d->ncategories),
			 "functions", shares_json(d->functions, d->nfunctions),
			 "waits", shares_json(d->waits, d->nwaits));
	if (!root)
		return -ENOMEM;
	err = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) || fputc('\n', f) == EOF ? -EIO : 0;
	json_decref(root);
	return err;
}

int diff_write_baseline(FILE *f, void *ctx)
{
	const struct diff_job *job = ctx;
	json_t *root = recording__baseline_json(job->new);
	int err;

	if (!root)
		return -ENOMEM;
	err = json_dumpf(root, f, JSON_COMPACT | JSON_SORT_KEYS) || fputc('\n', f) == EOF ? -EIO : 0;
	json_decref(root);
	return err;
}

/* One stack of either side with both counts. */
struct pair_stack {
	const char *stack;
	uint64_t count[2];
};

static int cmp_rec_stack(const void *x, const void *y)
{
	return strcmp((*(const struct rec_stack *const *)x)->stack, (*(const struct rec_stack *const *)y)->stack);
}

static const struct rec_stack **sorted(const struct rec_stacks *st)
{
	const struct rec_stack **v = calloc(st->n + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < st->n; i++)
		v[i] = &st->v[i];
	qsort(v, st->n, sizeof(*v), cmp_rec_stack);
	return v;
}

/* The union of both sides' stacks, sorted by stack text (difffolded.pl's table, deterministic). */
static struct pair_stack *merged(const struct rec_stacks *a, const struct rec_stacks *b, size_t *n)
{
	const struct rec_stack **sa = sorted(a), **sb = sorted(b);
	struct pair_stack *v = calloc(a->n + b->n + 1, sizeof(*v));
	size_t i = 0, j = 0, k = 0;

	if (!sa || !sb || !v) {
		free(v);
		v = NULL;
		goto out;
	}
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(sa[i]->stack, sb[j]->stack);

		v[k].stack = c <= 0 ? sa[i]->stack : sb[j]->stack;
		v[k].count[0] = c <= 0 ? sa[i++]->count : 0;
		v[k++].count[1] = c >= 0 ? sb[j++]->count : 0;
	}
	*n = k;
out:
	free(sa);
	free(sb);
	return v;
}

static const struct rec_stacks *stacks_of(const struct diff_job *job, int side)
{
	const struct recording *r = side ? job->new : job->base;

	return job->offcpu ? &r->offcpu : &r->cpu;
}

int diff_write_folded(FILE *f, void *ctx)
{
	const struct diff_job *job = ctx;
	size_t n = 0;
	struct pair_stack *v = merged(stacks_of(job, 0), stacks_of(job, 1), &n);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %lu %lu\n", v[i].stack, (unsigned long)v[i].count[0], (unsigned long)v[i].count[1]);
	free(v);
	return ferror(f) ? -EIO : 0;
}

int diff_write_svg(FILE *f, void *ctx)
{
	const struct diff_job *job = ctx;
	const struct rec_stacks *a = stacks_of(job, 0), *b = stacks_of(job, 1);
	struct flamegraph *fg = flamegraph__new();
	/* as difffolded.pl -n: BASE scaled to NEW's total, so colours show shares that moved, not durations */
	double scale = a->total ? (double)b->total / a->total : 1;
	char title[300], subtitle[300], base[120], new[120], *line = NULL;
	size_t n = 0, cap = 0;
	struct pair_stack *v = merged(a, b, &n);
	struct fg_opts opts = {
		.title = title,
		.subtitle = subtitle,
		.countname = job->offcpu ? "us" : "samples",
	};
	int err = fg && v ? 0 : -ENOMEM;

	utf8_sanitize(job->base->path, base, sizeof(base));
	utf8_sanitize(job->new->path, new, sizeof(new));
	snprintf(title, sizeof(title), "%s: %s -> %s", job->offcpu ? "Off-CPU time" : "On-CPU samples", base, new);
	snprintf(subtitle, sizeof(subtitle), "widths: %s; red grew, blue shrank (%s scaled to the same total)", new,
		 base);
	for (size_t i = 0; !err && i < n; i++) {
		size_t len = strlen(v[i].stack) + 64;
		int k;

		if (len > cap) {
			char *nl = vec__reserve(line, &cap, len, 1);

			if (!nl) {
				err = -ENOMEM;
				break;
			}
			line = nl;
		}
		k = snprintf(line, cap, "%s %.3f %lu", v[i].stack, v[i].count[0] * scale, (unsigned long)v[i].count[1]);
		/* a line the library refuses (a frame that itself ends in a number) is left out, not fatal */
		err = flamegraph__add_line(fg, line, k);
		if (err == -EINVAL)
			err = 0;
	}
	err = err ?: flamegraph__write_svg(fg, &opts, f);
	free(line);
	free(v);
	flamegraph__free(fg);
	return err;
}

static void print_time(FILE *f, double ns)
{
	if (ns >= 1e9)
		fprintf(f, "%7.2f s ", ns / 1e9);
	else if (ns >= 1e6)
		fprintf(f, "%7.2f ms", ns / 1e6);
	else
		fprintf(f, "%7.1f us", ns / 1e3);
}

static void print_side(FILE *f, const struct recording *r)
{
	fprintf(f, "%s (%s, %.2f s, %lu samples, %zu span names)", r->path, r->comm[0] ? r->comm : "?",
		r->duration_ns / 1e9, (unsigned long)r->samples, r->nspans);
}

/* Entries of one family that moved together: the frames of the same stacks, with the same counts. */
static bool same_move(const struct share_diff *a, const struct share_diff *b)
{
	const char *ca = strchr(a->name, ';'), *cb = strchr(b->name, ';');
	size_t la = ca ? (size_t)(ca - a->name) : 0, lb = cb ? (size_t)(cb - b->name) : 0;

	return a->change == b->change && !strcmp(a->kind, b->kind) && !strcmp(a->thread ?: "", b->thread ?: "") &&
	       a->x[0] == b->x[0] && a->x[1] == b->x[1] && a->n[0] == b->n[0] && a->n[1] == b->n[1] && la == lb &&
	       !strncmp(a->name, b->name, la);
}

/* What one line names: "worker: parse_input (total)", "worker: lock", "lock: take_lock, worker". */
static void share_label(const struct share_diff *v, size_t n, char *buf, size_t len)
{
	const char *semi = strchr(v[0].name, ';');
	size_t at;

	if (v[0].thread && semi)
		at = snprintf(buf, len, "%s: %.*s: %s", v[0].thread, (int)(semi - v[0].name), v[0].name, semi + 1);
	else if (v[0].thread)
		at = snprintf(buf, len, "%s: %s", v[0].thread, v[0].name);
	else if (semi)
		at = snprintf(buf, len, "%.*s: %s", (int)(semi - v[0].name), v[0].name, semi + 1);
	else
		at = snprintf(buf, len, "%s", v[0].name);
	for (size_t i = 1; i < n && at < len; i++) {
		const char *s = strchr(v[i].name, ';');

		at += snprintf(buf + at, len - at, ", %s", s ? s + 1 : v[i].name);
	}
	/* self and total of one function are two entries: say which */
	if (at < len && v[0].thread && (!strcmp(v[0].kind, "self") || !strcmp(v[0].kind, "total")))
		snprintf(buf + at, len - at, " (%s)", v[0].kind);
}

static void print_shares(FILE *f, const char *title, const struct share_diff *v, size_t n)
{
	size_t shown = 0, more = 0;
	char full[1024], name[200];

	for (size_t i = 0, k; i < n; i = k) {
		for (k = i + 1; k < n && same_move(&v[i], &v[k]);)
			k++;
		if (v[i].change == CHANGE_NONE)
			continue;
		/* the largest moves come first: the rest are in diff.json */
		if (shown == SUMMARY_SHARES) {
			more += k - i;
			continue;
		}
		if (!shown++)
			fprintf(f, "%s\n", title);
		share_label(&v[i], k - i, full, sizeof(full));
		utf8_sanitize(full, name, sizeof(name));
		fprintf(f, "  %-11s %-44s %6.2f%% -> %6.2f%%  p=%.2g\n", change_name(v[i].change), name,
			100 * v[i].share[0], 100 * v[i].share[1], v[i].p_adj);
	}
	if (more)
		fprintf(f, "  and %zu more in diff.json\n", more);
}

/* Where the time moved: each significant part of each span, "http POST /task: llm:api 230 ms -> 290 ms". */
static void print_moves(FILE *f, const struct diff *d)
{
	char name[64], part[96];
	bool any = false;

	for (size_t i = 0; i < d->nspans; i++)
		for (size_t k = 0; k < d->spans[i].nparts; k++) {
			const struct part_diff *p = &d->spans[i].parts[k];

			if (p->change == CHANGE_NONE)
				continue;
			if (!any)
				fprintf(f, "Where the time moved (a span's mean time by category, net by peer):\n");
			any = true;
			utf8_sanitize(d->spans[i].name, name, sizeof(name));
			utf8_sanitize(p->name, part, sizeof(part));
			fprintf(f, "  %-11s %s: %s ", change_name(p->change), name, part);
			print_time(f, p->mean_ns[0]);
			fprintf(f, " ->");
			print_time(f, p->mean_ns[1]);
			fprintf(f, "  p=%.2g\n", p->p_adj);
		}
}

void diff_print_summary(FILE *f, const struct diff *d, const struct recording *base, const struct recording *new)
{
	size_t sig = diff_significant(d);
	char name[64];

	fprintf(f, "Compared ");
	print_side(f, base);
	fprintf(f, "\n    with ");
	print_side(f, new);
	fprintf(f, "\n");
	if (d->nspans)
		fprintf(f, "Spans (time less runq) %8s %13s  %-21s  %-21s %8s  %s\n", "", "count", "p50", "p95", "p95",
			"verdict (p)");
	for (size_t i = 0; i < d->nspans; i++) {
		const struct span_diff *s = &d->spans[i];

		utf8_sanitize(s->name, name, sizeof(name));
		fprintf(f, "  %-29s %6zu %6zu ", name, s->count[0], s->count[1]);
		print_time(f, s->q_ns[0][Q50]);
		fprintf(f, " ->");
		print_time(f, s->q_ns[1][Q50]);
		fprintf(f, "  ");
		print_time(f, s->q_ns[0][Q95]);
		fprintf(f, " ->");
		print_time(f, s->q_ns[1][Q95]);
		fprintf(f, " %+7.1f%%  ", 100 * s->rel[Q95]);
		if (s->change != CHANGE_NONE && s->tested)
			fprintf(f, "%s (p=%.2g)", change_name(s->change), s->p_adj);
		else if (s->change != CHANGE_NONE)
			fprintf(f, "%s", change_name(s->change));
		else if (s->tested)
			fprintf(f, "- (p=%.2g)", s->p_adj);
		else
			fprintf(f, "- (%s)", s->untested);
		for (int q = Q95; q < NR_QUANTILES; q++)
			if (s->tail[q].change != CHANGE_NONE)
				fprintf(f, "; %s %s (p=%.2g)", q == Q95 ? "p95" : "p99", change_name(s->tail[q].change),
					s->tail[q].p_adj);
		fprintf(f, "\n");
	}
	print_moves(f, d);
	print_shares(f, "Time by category (share of each thread's time, runq aside):", d->categories, d->ncategories);
	print_shares(f, "On-CPU functions (share of their thread's samples):", d->functions, d->nfunctions);
	print_shares(f, "Off-CPU waits (category: function, share of each thread's time, runq aside):", d->waits, d->nwaits);
	if (sig)
		fprintf(f, "%zu significant change%s (Holm-corrected p < %g, and at least %.0f%%)\n", sig,
			sig == 1 ? "" : "s", d->opts.alpha, 100 * d->opts.min_effect);
	else
		fprintf(f, "Nothing significant (Holm-corrected p < %g, and at least %.0f%%)\n", d->opts.alpha,
			100 * d->opts.min_effect);
}

/* HTML text: escaped, invalid UTF-8 shown as '?'. */
static void html(FILE *f, const char *s)
{
	fg_xml_escape(f, s, strlen(s));
}

static void html_time(FILE *f, double ns)
{
	if (ns >= 1e9)
		fprintf(f, "%.2f s", ns / 1e9);
	else if (ns >= 1e6)
		fprintf(f, "%.2f ms", ns / 1e6);
	else
		fprintf(f, "%.1f us", ns / 1e3);
}

static void html_side(FILE *f, const char *label, const struct recording *r)
{
	fprintf(f, "<tr><th>%s</th><td>", label);
	html(f, r->path);
	fprintf(f, "</td><td>");
	html(f, r->comm[0] ? r->comm : "?");
	fprintf(f, "</td><td>%.2f s</td><td>%lu samples</td><td>%zu span names</td></tr>\n", r->duration_ns / 1e9,
		(unsigned long)r->samples, r->nspans);
}

static const char *verdict_class(enum change c)
{
	return c == CHANGE_GREW || c == CHANGE_APPEARED ? "grew" : c == CHANGE_NONE ? "same" : "shrank";
}

/*
 * Where a span's mean time went, part by part (net split by peer), before and after; a part that
 * moved significantly in bold with its verdict: "<b>llm:api 230 ms -> 290 ms grew</b>, cpu ...".
 */
static void html_moves(FILE *f, const struct span_diff *s)
{
	bool any = false;

	for (size_t i = 0; i < s->nparts; i++) {
		const struct part_diff *p = &s->parts[i];
		bool moved = p->change != CHANGE_NONE;

		if (p->mean_ns[0] < 1e3 && p->mean_ns[1] < 1e3)
			continue;
		fprintf(f, "%s%s", any ? ", " : "", moved ? "<b>" : "");
		html(f, p->name);
		fprintf(f, " ");
		html_time(f, p->mean_ns[0]);
		fprintf(f, " &rarr; ");
		html_time(f, p->mean_ns[1]);
		if (moved)
			fprintf(f, " %s (p=%.2g)</b>", change_name(p->change), p->p_adj);
		any = true;
	}
}

static void html_spans(FILE *f, const struct diff *d)
{
	if (!d->nspans)
		return;
	fprintf(f, "<h2>Spans (time less runq)</h2>\n<table><tr><th>span</th><th>count</th><th>p50</th><th>p95</th>"
		   "<th>p99</th><th>p95 change</th><th>verdict</th><th>mean time by category, net by peer</th></tr>\n");
	for (size_t i = 0; i < d->nspans; i++) {
		const struct span_diff *s = &d->spans[i];

		enum change row = s->change ?: s->tail[Q95].change ?: s->tail[Q99].change;

		fprintf(f, "<tr class=\"%s\"><td>", verdict_class(row));
		html(f, s->name);
		fprintf(f, "</td><td>%zu &rarr; %zu</td>", s->count[0], s->count[1]);
		for (int q = Q50; q < NR_QUANTILES; q++) {
			fprintf(f, "<td>");
			html_time(f, s->q_ns[0][q]);
			fprintf(f, " &rarr; ");
			html_time(f, s->q_ns[1][q]);
			fprintf(f, "</td>");
		}
		fprintf(f, "<td>%+.1f%%</td><td>%s", 100 * s->rel[Q95], change_name(s->change));
		if (s->tested) {
			fprintf(f, " (p=%.2g)", s->p_adj);
		} else if (s->untested) {
			fprintf(f, " (");
			html(f, s->untested);
			fprintf(f, ")");
		}
		for (int q = Q95; q < NR_QUANTILES; q++)
			if (s->tail[q].change != CHANGE_NONE)
				fprintf(f, "; %s %s (p=%.2g)", q == Q95 ? "p95" : "p99", change_name(s->tail[q].change),
					s->tail[q].p_adj);
		fprintf(f, "</td><td>");
		html_moves(f, s);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
}

/* The significant moves of one family, grouped as the summary groups them; all of them, not 8. */
static void html_shares(FILE *f, const char *title, const struct share_diff *v, size_t n)
{
	char label[1024];
	bool any = false;

	for (size_t i = 0, k; i < n; i = k) {
		for (k = i + 1; k < n && same_move(&v[i], &v[k]);)
			k++;
		if (v[i].change == CHANGE_NONE)
			continue;
		if (!any)
			fprintf(f, "<h2>%s</h2>\n<table><tr><th>verdict</th><th>what</th><th>before</th><th>after</th>"
				   "<th>p</th></tr>\n", title);
		any = true;
		share_label(&v[i], k - i, label, sizeof(label));
		fprintf(f, "<tr class=\"%s\"><td>%s</td><td>", verdict_class(v[i].change), change_name(v[i].change));
		html(f, label);
		fprintf(f, "</td><td>%.2f%%</td><td>%.2f%%</td><td>%.2g</td></tr>\n", 100 * v[i].share[0],
			100 * v[i].share[1], v[i].p_adj);
	}
	if (any)
		fprintf(f, "</table>\n");
}

int diff_write_html(FILE *f, void *ctx)
{
	const struct diff_job *job = ctx;
	const struct diff *d = job->d;
	size_t sig = diff_significant(d);

	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>agentprof diff</title>\n<style>\n"
		   "body{font:14px sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1em}"
		   "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#eee}"
		   "tr.grew td:first-child{border-left:4px solid #d33}tr.shrank td:first-child{border-left:4px solid #36c}"
		   "object{width:100%%;border:1px solid #ccc}\n</style></head><body>\n<h1>agentprof diff</h1>\n<table>\n");
	html_side(f, "base", job->base);
	html_side(f, "new", job->new);
	fprintf(f, "</table>\n<p><b>");
	if (sig)
		fprintf(f, "%zu significant change%s", sig, sig == 1 ? "" : "s");
	else
		fprintf(f, "Nothing significant");
	fprintf(f, "</b> (Holm-corrected p &lt; %g, and at least %.0f%%)%s</p>\n", d->opts.alpha,
		100 * d->opts.min_effect, d->comm_differs ? ": the recordings are of different programs" : "");
	html_spans(f, d);
	html_shares(f, "Time by category (share of each thread's time, runq aside)", d->categories, d->ncategories);
	html_shares(f, "On-CPU functions (share of their thread's samples)", d->functions, d->nfunctions);
	html_shares(f, "Off-CPU waits (category: function, share of each thread's time, runq aside)", d->waits,
		    d->nwaits);
	/* the graphs beside it (write_outputs writes them when both sides have stacks) */
	if (job->base->cpu.present && job->new->cpu.present)
		fprintf(f, "<h2>On-CPU, differential (widths NEW's, red grew, blue shrank)</h2>\n"
			   "<object data=\"cpu.diff.svg\" type=\"image/svg+xml\"></object>\n"
			   "<h2>Off-CPU, differential</h2>\n"
			   "<object data=\"offcpu.diff.svg\" type=\"image/svg+xml\"></object>\n");
	fprintf(f, "<p>Every figure, tested or not: diff.json.</p>\n</body></html>\n");
	return ferror(f) ? -EIO : 0;
}
