// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flamegraph: folded stacks (files or stdin) in, an interactive SVG flame graph out on stdout. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flamegraph.h"
#include "fg_internal.h"

static const char usage[] =
	"Usage: flamegraph [OPTION...] [FILE...]        folded stacks (stdin without FILE) to SVG\n"
	"       flamegraph --diff [OPTION...] BEFORE AFTER  differential: widths from AFTER,\n"
	"                                               red where it grew, blue where it shrank\n"
	"\n"
	"  --title TEXT       heading (default \"Flame Graph\", \"Icicle Graph\" with --inverted)\n"
	"  --subtitle TEXT    second heading\n"
	"  --countname TEXT   what the counts are (default \"samples\")\n"
	"  --nametype TEXT    label of the hover line (default \"Function:\")\n"
	"  --colors PALETTE   auto (default), hot, mem, io, wakeup, chain, java, js, perl, red,\n"
	"                     green, blue, aqua, yellow, purple, orange, reason\n"
	"                     auto is reason when every second frame is an off-CPU wait reason\n"
	"                     ([cpu] [runq] [lock] [net] [disk] [sleep] [idle] [other]), else hot\n"
	"  --hash             colours from flamegraph.pl's name hash (default: FNV-1a of the name)\n"
	"  --inverted         icicle graph: root at the top\n"
	"  --reverse          reverse each stack (leaf first) before merging\n"
	"  --negate           differential: swap red and blue\n"
	"  --minwidth NUM[%]  omit frames narrower than NUM pixels, or NUM% of all (default 0.1)\n"
	"  --width NUM        image width in pixels (default 1200)\n"
	"  --height NUM       frame height in pixels (default 16)\n"
	"  --help             this text\n";

enum {
	OPT_TITLE = 256, OPT_SUBTITLE, OPT_COUNTNAME, OPT_NAMETYPE, OPT_COLORS, OPT_HASH,
	OPT_INVERTED, OPT_REVERSE, OPT_NEGATE, OPT_MINWIDTH, OPT_WIDTH, OPT_HEIGHT, OPT_DIFF,
	OPT_HELP,
};

static const struct option options[] = {
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "subtitle", required_argument, NULL, OPT_SUBTITLE },
	{ "countname", required_argument, NULL, OPT_COUNTNAME },
	{ "nametype", required_argument, NULL, OPT_NAMETYPE },
	{ "colors", required_argument, NULL, OPT_COLORS },
	{ "hash", no_argument, NULL, OPT_HASH },
	{ "inverted", no_argument, NULL, OPT_INVERTED },
	{ "reverse", no_argument, NULL, OPT_REVERSE },
	{ "negate", no_argument, NULL, OPT_NEGATE },
	{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "height", required_argument, NULL, OPT_HEIGHT },
	{ "diff", no_argument, NULL, OPT_DIFF },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "flamegraph: bad %s: '%s' (see --help)\n", what, arg);
	return 1;
}

static int parse_minwidth(const char *s, struct fg_opts *o)
{
	size_t len = strlen(s);

	o->minwidth_percent = len && s[len - 1] == '%';
	o->minwidth_set = true;
	return fg_parse_decimal(s, len - o->minwidth_percent, &o->minwidth);
}

/* A whole decimal number in [min, max]: "12abc", " 12" and overflows are refused. 0 or -1. */
static int parse_range(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static FILE *open_input(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;

	if (!f)
		fprintf(stderr, "flamegraph: %s: %s\n", path, strerror(errno));
	return f;
}

static void close_input(FILE *f)
{
	if (f && f != stdin)
		fclose(f);
}

static int read_inputs(struct flamegraph *fg, bool diff, char **paths, int n, size_t *skipped)
{
	FILE *before = NULL, *after = NULL;
	int err = 0;

	if (diff) {
		before = open_input(paths[0]);
		after = before ? open_input(paths[1]) : NULL;
		if (!after) {
			close_input(before);
			return -ENOENT;
		}
		err = flamegraph__parse_diff(fg, before, after, skipped);
		close_input(before);
		close_input(after);
		if (err)
			fprintf(stderr, "flamegraph: reading %s, %s: %s\n", paths[0], paths[1], strerror(-err));
		return err;
	}
	if (!n)
		return flamegraph__parse_folded(fg, stdin, skipped);
	for (int i = 0; i < n && !err; i++) {
		FILE *f = open_input(paths[i]);

		if (!f)
			return -ENOENT;
		err = flamegraph__parse_folded(fg, f, skipped);
		if (err)
			fprintf(stderr, "flamegraph: reading %s: %s\n", paths[i], strerror(-err));
		close_input(f);
	}
	return err;
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 20];
	struct fg_opts o = { 0 };
	struct flamegraph *fg;
	size_t skipped = 0;
	bool diff = false;
	long v;
	int c, err;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_TITLE:
			o.title = optarg;
			break;
		case OPT_SUBTITLE:
			o.subtitle = optarg;
			break;
		case OPT_COUNTNAME:
			o.countname = optarg;
			break;
		case OPT_NAMETYPE:
			o.nametype = optarg;
			break;
		case OPT_COLORS:
			if (fg_palette_parse(optarg, &o.palette))
				return bad("--colors", optarg);
			break;
		case OPT_HASH:
			o.hash = true;
			break;
		case OPT_INVERTED:
			o.inverted = true;
			break;
		case OPT_REVERSE:
			o.reverse = true;
			break;
		case OPT_NEGATE:
			o.negate = true;
			break;
		case OPT_MINWIDTH:
			if (parse_minwidth(optarg, &o))
				return bad("--minwidth", optarg);
			break;
		case OPT_WIDTH:
			if (parse_range(optarg, 2 * FG_XPAD + 1, 1000000, &v))
				return bad("--width", optarg);
			o.width = v;
			break;
		case OPT_HEIGHT:
			if (parse_range(optarg, 1, 10000, &v))
				return bad("--height", optarg);
			o.frame_height = v;
			break;
		case OPT_DIFF:
			diff = true;
			break;
		case OPT_HELP:
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 1;
		}
	}
	if (diff && argc - optind != 2) {
		fprintf(stderr, "flamegraph: --diff takes two files, BEFORE and AFTER\n");
		return 1;
	}
	fg = flamegraph__new();
	if (!fg) {
		fprintf(stderr, "flamegraph: out of memory\n");
		return 1;
	}
	err = read_inputs(fg, diff, argv + optind, argc - optind, &skipped);
	if (err) {
		flamegraph__free(fg);
		return 1;
	}
	if (skipped)
		fprintf(stderr, "flamegraph: skipped %zu malformed lines\n", skipped);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	err = flamegraph__write_svg(fg, &o, stdout);
	if (!err && fflush(stdout))
		err = -errno;
	if (err) {
		fprintf(stderr, "flamegraph: writing the SVG: %s\n", strerror(-err));
		flamegraph__free(fg);
		return 1;
	}
	/* as flamegraph.pl: the SVG says there was nothing, and the exit status tells scripts */
	if (!(flamegraph__total(fg) > 0)) {
		fprintf(stderr, "flamegraph: no stack counts found\n");
		flamegraph__free(fg);
		return 2;
	}
	flamegraph__free(fg);
	return 0;
}
