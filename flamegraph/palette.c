// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Frame colours. The palettes and their formulas are flamegraph.pl's (hot, mem, io, the flat
 * colours, and the multi palettes that read the _[k] _[j] _[i] _[w] annotations); where
 * flamegraph.pl draws rand(), the numbers here come from a hash of the name, so the same input
 * gives the same colours and a function keeps its colour across graphs. The reason palette is
 * agentprof's own: one hue per off-CPU wait reason.
 */
#include <errno.h>
#include <string.h>
#include "fg_internal.h"

static bool has(const char *s, size_t len, const char *what)
{
	return memmem(s, len, what, strlen(what)) != NULL;
}

static bool ends_with(const char *s, size_t len, const char *what)
{
	size_t n = strlen(what);

	return len >= n && !memcmp(s + len - n, what, n);
}

size_t fg_strip_annotation(const char *name, size_t len)
{
	if (len >= 4 && name[len - 4] == '_' && name[len - 3] == '[' && name[len - 1] == ']' &&
	    memchr("kwij", name[len - 2], 4))
		return len - 4;
	return len;
}

/* The code point at s (an invalid byte stands for itself); its length in *n. */
static unsigned decode(const unsigned char *s, size_t len, size_t *n)
{
	unsigned c = s[0], cp;
	size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

	*n = 1;
	if (need == 1 || need > len)
		return c;
	cp = c & (0x3f >> (need - 1));
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return c;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*n = need;
	return cp;
}

/* One step of flamegraph.pl's namehash over code point cp, the k-th (0..2) taken. */
static void namehash_step(unsigned cp, int k, double *vector, double *max, double *weight)
{
	unsigned mod = 10 + k;

	*vector += (double)(cp % mod) / (mod - 1) * *weight;
	*max += *weight;
	*weight *= 0.70;
}

/*
 * flamegraph.pl's namehash: the first three characters, weighted to the first, after dropping a
 * "module`" prefix; from_end reads the name reversed (as namehash(scalar reverse $name) does).
 */
static double namehash(const char *name, size_t len, bool from_end)
{
	const unsigned char *s = (const unsigned char *)name;
	double vector = 0, max = 1, weight = 1;
	size_t n;
	int k = 0;

	if (!from_end) {
		const char *tick = len > 1 ? memchr(name + 1, '`', len - 1) : NULL;
		size_t at = tick ? (size_t)(tick - name) + 1 : 0;

		for (; at < len && k < 3; at += n, k++)
			namehash_step(decode(s + at, len - at, &n), k, &vector, &max, &weight);
	} else {
		/* reversed, the module strip drops from the last '`' before the final character */
		size_t end = len, last = len ? len - 1 : 0;

		while (last > 0 && (s[last] & 0xc0) == 0x80)
			last--;
		for (size_t i = last; i > 0; i--) {
			if (s[i - 1] == '`') {
				end = i - 1;
				break;
			}
		}
		while (end > 0 && k < 3) {
			size_t at = end - 1;

			while (at > 0 && (s[at] & 0xc0) == 0x80)
				at--;
			namehash_step(decode(s + at, end - at, &n), k++, &vector, &max, &weight);
			end = at;
		}
	}
	return 1 - vector / max;
}

void fg_name_vector(const char *name, size_t len, bool hash, double v[3])
{
	uint64_t h = 0xcbf29ce484222325ull;

	if (hash) {
		v[0] = namehash(name, len, false);
		v[1] = v[2] = namehash(name, len, true);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ull;
	}
	/* FNV-1a barely stirs its high bits for short names ("a", "b"): MurmurHash3's finaliser does */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	for (int i = 0; i < 3; i++)
		v[i] = (double)((h >> (21 * i)) & 0x1fffff) / (1u << 21);
}

static void rgb(struct fg_rgb *out, int r, int g, int b)
{
	*out = (struct fg_rgb){ r, g, b };
}

static void hot(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	(void)n, (void)l;
	rgb(o, 205 + (int)(50 * v[2]), (int)(230 * v[0]), (int)(55 * v[1]));
}

static void mem(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	(void)n, (void)l;
	rgb(o, 0, 190 + (int)(50 * v[1]), (int)(210 * v[0]));
}

static void io(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	int x = 80 + (int)(60 * v[0]);

	(void)n, (void)l;
	rgb(o, x, x, 190 + (int)(55 * v[1]));
}

static void red(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	int x = 50 + (int)(80 * v[0]);

	(void)n, (void)l;
	rgb(o, 200 + (int)(55 * v[0]), x, x);
}

static void green(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	int x = 50 + (int)(60 * v[0]);

	(void)n, (void)l;
	rgb(o, x, 200 + (int)(55 * v[0]), x);
}

static void blue(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	int x = 80 + (int)(60 * v[0]);

	(void)n, (void)l;
	rgb(o, x, x, 205 + (int)(50 * v[0]));
}

static void yellow(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	int x = 175 + (int)(55 * v[0]);

	(void)n, (void)l;
	rgb(o, x, x, 50 + (int)(20 * v[0]));
}

static void purple(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	int x = 190 + (int)(65 * v[0]);

	(void)n, (void)l;
	rgb(o, x, 80 + (int)(60 * v[0]), x);
}

static void aqua(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	int x = 165 + (int)(55 * v[0]);

	(void)n, (void)l;
	rgb(o, 50 + (int)(60 * v[0]), x, x);
}

static void orange(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	(void)n, (void)l;
	rgb(o, 190 + (int)(65 * v[0]), 90 + (int)(65 * v[0]), 0);
}

/* idle waits: grey, they are usually not the problem */
static void grey(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	int x = 175 + (int)(45 * v[0]);

	(void)n, (void)l;
	rgb(o, x, x, x);
}

/* the root and thread frames above the reasons: a muted sand, so the reasons stand out */
static void sand(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	int x = (int)(30 * v[0]);

	(void)n, (void)l;
	rgb(o, 205 + x, 195 + x, 165 + x);
}

static void java(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	static const char *const vm[] = { "java/", "org/", "com/", "io/", "sun/" };
	const char *s = n;
	size_t sl = l;
	bool jvm = false;

	if (sl && s[0] == 'L')
		s++, sl--;
	for (size_t i = 0; i < sizeof(vm) / sizeof(vm[0]); i++)
		jvm |= sl >= strlen(vm[i]) && !memcmp(s, vm[i], strlen(vm[i]));
	if (ends_with(n, l, "_[j]"))
		green(n, l, v, o);	/* jit */
	else if (ends_with(n, l, "_[i]"))
		aqua(n, l, v, o);	/* inlined */
	else if (jvm)
		green(n, l, v, o);
	else if (has(n, l, "::"))
		yellow(n, l, v, o);	/* C++ */
	else if (ends_with(n, l, "_[k]"))
		orange(n, l, v, o);	/* kernel */
	else
		red(n, l, v, o);	/* system */
}

static void js(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	const char *slash = memchr(n, '/', l);

	if (ends_with(n, l, "_[j]"))
		(slash ? green : aqua)(n, l, v, o);	/* jit: source or builtin */
	else if (has(n, l, "::"))
		yellow(n, l, v, o);
	else if (slash && has(slash, l - (slash - n), ".js"))
		green(n, l, v, o);
	else if (memchr(n, ':', l))
		aqua(n, l, v, o);
	else if (l == 1 && n[0] == ' ')
		green(n, l, v, o);	/* missing symbol */
	else if (has(n, l, "_[k]"))
		orange(n, l, v, o);
	else
		red(n, l, v, o);
}

static void perl(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	if (has(n, l, "::"))
		yellow(n, l, v, o);
	else if (has(n, l, "Perl") || has(n, l, ".pl"))
		green(n, l, v, o);
	else if (ends_with(n, l, "_[k]"))
		orange(n, l, v, o);
	else
		red(n, l, v, o);
}

static void chain(const char *n, size_t l, const double v[3], struct fg_rgb *o)
{
	(has(n, l, "_[w]") ? aqua : blue)(n, l, v, o);	/* waker, off-CPU */
}

#define YELLOW_BG "#eeeeee", "#eeeeb0"
#define BLUE_BG "#eeeeee", "#e0e0ff"
#define GREY_BG "#f8f8f8", "#e8e8e8"

static const struct fg_palette_ops ops[NR_FG_PALETTES] = {
	[FG_PALETTE_AUTO] = { "auto", YELLOW_BG, hot },
	[FG_PALETTE_HOT] = { "hot", YELLOW_BG, hot },
	[FG_PALETTE_MEM] = { "mem", BLUE_BG, mem },
	[FG_PALETTE_IO] = { "io", GREY_BG, io },
	[FG_PALETTE_WAKEUP] = { "wakeup", GREY_BG, aqua },
	[FG_PALETTE_CHAIN] = { "chain", BLUE_BG, chain },
	[FG_PALETTE_JAVA] = { "java", YELLOW_BG, java },
	[FG_PALETTE_JS] = { "js", YELLOW_BG, js },
	[FG_PALETTE_PERL] = { "perl", YELLOW_BG, perl },
	[FG_PALETTE_RED] = { "red", GREY_BG, red },
	[FG_PALETTE_GREEN] = { "green", GREY_BG, green },
	[FG_PALETTE_BLUE] = { "blue", GREY_BG, blue },
	[FG_PALETTE_AQUA] = { "aqua", GREY_BG, aqua },
	[FG_PALETTE_YELLOW] = { "yellow", GREY_BG, yellow },
	[FG_PALETTE_PURPLE] = { "purple", GREY_BG, purple },
	[FG_PALETTE_ORANGE] = { "orange", GREY_BG, orange },
	[FG_PALETTE_REASON] = { "reason", GREY_BG, sand },
};

const struct fg_palette_ops *const fg_palettes[NR_FG_PALETTES] = {
	&ops[0], &ops[1], &ops[2], &ops[3], &ops[4], &ops[5], &ops[6], &ops[7], &ops[8],
	&ops[9], &ops[10], &ops[11], &ops[12], &ops[13], &ops[14], &ops[15], &ops[16],
};
_Static_assert(NR_FG_PALETTES == 17, "one fg_palettes entry per palette");

int fg_palette_parse(const char *name, enum fg_palette *out)
{
	for (int i = 0; i < NR_FG_PALETTES; i++) {
		if (!strcmp(name, ops[i].name)) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *fg_palette_name(enum fg_palette p)
{
	return (unsigned)p < NR_FG_PALETTES ? ops[p].name : "?";
}

void fg_palette_color(enum fg_palette p, const char *name, size_t len, bool hash, struct fg_rgb *out)
{
	double v[3];

	fg_name_vector(name, len, hash, v);
	ops[(unsigned)p < NR_FG_PALETTES ? p : FG_PALETTE_HOT].color(name, len, v, out);
}

/* The names agentprof's offcpu.folded puts under the thread (user/classify/classify.c's categories). */
static const struct {
	const char *name;
	void (*color)(const char *name, size_t len, const double v[3], struct fg_rgb *out);
} reasons[NR_FG_REASONS + 1] = {
	[FG_REASON_CPU] = { "[cpu]", red },	/* flat red: hot's yellows would read as runq */
	[FG_REASON_RUNQ] = { "[runq]", yellow },
	[FG_REASON_LOCK] = { "[lock]", purple },
	[FG_REASON_NET] = { "[net]", aqua },
	[FG_REASON_DISK] = { "[disk]", blue },
	[FG_REASON_SLEEP] = { "[sleep]", green },
	[FG_REASON_IDLE] = { "[idle]", grey },
	[FG_REASON_OTHER] = { "[other]", orange },
	[FG_REASON_NONE] = { "", sand },
};

enum fg_reason fg_reason_of(const char *name, size_t len)
{
	for (int i = 0; i < NR_FG_REASONS; i++)
		if (strlen(reasons[i].name) == len && !memcmp(reasons[i].name, name, len))
			return i;
	return FG_REASON_NONE;
}

void fg_reason_color(enum fg_reason r, const char *name, size_t len, bool hash, struct fg_rgb *out)
{
	double v[3];

	fg_name_vector(name, len, hash, v);
	reasons[(unsigned)r <= NR_FG_REASONS ? r : FG_REASON_NONE].color(name, len, v, out);
}

void fg_diff_color(double delta, double maxdelta, bool negate, struct fg_rgb *out)
{
	double v = negate ? -delta : delta;

	if (v > 0) {
		int x = (int)(210 * (maxdelta - v) / maxdelta);

		rgb(out, 255, x, x);
	} else if (v < 0) {
		int x = (int)(210 * (maxdelta + v) / maxdelta);

		rgb(out, x, x, 255);
	} else {
		rgb(out, 255, 255, 255);
	}
}
