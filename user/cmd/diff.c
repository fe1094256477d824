// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `agentprof diff`: what changed between two recordings, and whether it is more than noise. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cli.h"
#include "cmd/diff.h"
#include "base/log.h"
#include "base/util.h"
#include "compare/diff.h"
#include "compare/diff_output.h"
#include "compare/failon.h"
#include "compare/recording.h"
#include "report/outdir.h"

#define MAX_RULES 32

static struct diff_env {
	const char *paths[2];
	int npaths;
	const char *outdir;
	bool force;
	struct fail_rule rules[MAX_RULES];
	int nrules;
} env;

enum { OPT_FORCE = 0x100, OPT_FAIL_ON };

static const struct argp_option options[] = {
	{ "output", 'o', "DIR", 0, "Also write diff.json, diff.html, the 3-column folded files, the "
				   "differential flame graphs and NEW's baseline.json into DIR (created 0700)", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Write into an output directory that is not empty", 0 },
	{ "fail-on", OPT_FAIL_ON, "RULE", 0,
	  "Exit 1 when RULE is broken by a significant growth (repeatable): p50|p95|p99=[SPAN:]N% (a span's "
	  "quantile grew more than N%), category=[CAT:]N% (a category's share of a thread's time, or a span's "
	  "mean time in it; CAT may be net:ADDRESS:PORT, llm:HOST or llm, net on one peer), "
	  "function=[NAME:]N% (a function's share of its thread's samples); e.g. p95=10%, category=lock:20%, "
	  "category=llm:api.openai.com:20%", 0 },
	{ "verbose", 'v', NULL, 0, "More diagnostics", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	(void)state;
	switch (key) {
	case 'o':
		env.outdir = arg;
		return 0;
	case OPT_FORCE:
		env.force = true;
		return 0;
	case 'v':
		log_verbosity++;
		return 0;
	case OPT_FAIL_ON:
		if (env.nrules == MAX_RULES) {
			pr_warn("at most %d --fail-on rules\n", MAX_RULES);
			return EINVAL;
		}
		return fail_rule_parse(arg, &env.rules[env.nrules++]) ? EINVAL : 0;
	case ARGP_KEY_ARG:
		if (env.npaths == 2) {
			pr_warn("diff takes two recordings, BASE and NEW; '%s' is a third\n", arg);
			return EINVAL;
		}
		env.paths[env.npaths++] = arg;
		return 0;
	case ARGP_KEY_END:
		if (env.npaths != 2) {
			pr_warn("diff takes two recordings: BASE NEW (see --help)\n");
			return EINVAL;
		}
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse_arg,
	.args_doc = "BASE NEW",
	.doc = "Compare two recordings: what changed, and whether it is more than noise.\v"
	       "BASE and NEW are directories agentprof record wrote; BASE may also be a report.json or a "
	       "baseline.json (which diff -o writes of NEW, for a team to keep in its repository). Spans are "
	       "compared by a Mann-Whitney U test on their durations less runq (the machine's load), their p95 "
	       "and p99 each by a bootstrap of the quantile and a count above the pooled quantile, and where "
	       "their time moved (each category, net split by peer and LLM endpoint) by a rank test per part; "
	       "functions (shares of their thread's samples in user code), categories (of each thread's time, "
	       "runq aside) and off-CPU waits by a two-proportion z test; each family Holm-corrected, p < 0.01, and a "
	       "change of at least 5% (of a span's median, and 0.5 ms; 1 point for a share). Exit status: 0; 1 when a "
	       "--fail-on rule is broken or a recording cannot be read; 2 for a usage error.",
};

/* The files are staged, then committed as a set: a diff is written whole or not at all. */
static int put(struct outdir *out, const char *name, outdir_write_fn fn, void *ctx)
{
	int err = outdir__stage(out, name, fn, ctx);

	if (err)
		pr_warn("write %s/%s: %s\n", out->path, out->failed, strerror(-err));
	return err;
}

static int finish(struct outdir *out, int err)
{
	if (!err && (err = outdir__commit(out)))
		pr_warn("write %s/%s: %s\n", out->path, out->failed, strerror(-err));
	if (err)
		outdir__discard(out);
	outdir__close(out);
	return err;
}

static int write_outputs(const struct diff *d, const struct recording *base, const struct recording *new)
{
	struct outdir out = { .dirfd = -1 };
	struct diff_job cpu = { d, base, new, false }, off = { d, base, new, true };
	bool stacks = base->cpu.present && new->cpu.present;
	int err = outdir__open(&out, env.outdir, env.force);

	if (err)
		return err;
	err = put(&out, "diff.json", diff_write_json, &cpu) ?: put(&out, "diff.html", diff_write_html, &cpu);
	if (!err && stacks)
		err = put(&out, "cpu.diff.folded", diff_write_folded, &cpu) ?:
		      put(&out, "offcpu.diff.folded", diff_write_folded, &off) ?:
		      put(&out, "cpu.diff.svg", diff_write_svg, &cpu) ?:
		      put(&out, "offcpu.diff.svg", diff_write_svg, &off);
	/* a report.json holds no durations and no stacks: no baseline to make of it */
	if (!err && new->kind != REC_REPORT)
		err = put(&out, "baseline.json", diff_write_baseline, &cpu);
	return finish(&out, err);
}

int cmd_diff(int argc, char **argv)
{
	struct recording rec[2] = {};
	struct diff d = {};
	char line[1024];
	int err, status = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	err = recording__load(&rec[0], env.paths[0]) ?: recording__load(&rec[1], env.paths[1]);
	if (err) {
		status = 1;
		goto cleanup;
	}
	diff__check(&rec[0], &rec[1]);
	err = diff__compute(&rec[0], &rec[1], &DIFF_OPTS_DEFAULT, &d);
	if (err) {
		pr_warn("compare: %s\n", strerror(-err));
		status = 1;
		goto cleanup;
	}
	diff_print_summary(stdout, &d, &rec[0], &rec[1]);
	if (env.outdir && write_outputs(&d, &rec[0], &rec[1]))
		status = 1;
	else if (env.outdir)
		printf("Wrote diff.html (open it first), diff.json, the differential flame graphs and folded files into %s\n",
		       env.outdir);
	fflush(stdout);
	for (int i = 0; i < env.nrules; i++)
		if (fail_rule_check(&env.rules[i], &d, line, sizeof(line))) {
			fprintf(stderr, "agentprof: %s\n", line);
			status = 1;
		}
cleanup:
	diff__free(&d);
	recording__free(&rec[0]);
	recording__free(&rec[1]);
	return status;
}
