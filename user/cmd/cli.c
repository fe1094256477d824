// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What every command's options share: the target, the sampling rate, verbosity, one-line errors. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "cmd/cli.h"
#include "base/log.h"
#include "target/procfs.h"
#include "base/util.h"

error_t parse_number(const char *what, const char *arg, long min, long max, long *out)
{
	if (parse_long(arg, min, max, out) == 0)
		return 0;
	pr_warn("%s must be an integer from %ld to %ld, not '%s'\n", what, min, max, arg);
	return EINVAL;
}

error_t parse_common_arg(int key, char *arg, struct common_args *c)
{
	error_t err;
	long v;

	switch (key) {
	case 'p':
		err = parse_number("PID", arg, 1, INT32_MAX, &v);
		c->pid = err ? 0 : v;
		return err;
	case OPT_CONTAINER:
		c->container = arg;
		return 0;
	case OPT_PROC_ROOT:
		procfs_set_root(arg);
		return 0;
	case 'F':
		return parse_number("frequency", arg, 1, 10000, &c->freq_hz);
	case 'v':
		log_verbosity++;
		return 0;
	case OPT_UNWIND:
		if (strcmp(arg, "dwarf") && strcmp(arg, "fp")) {
			pr_warn("--unwind must be dwarf or fp, not '%s'\n", arg);
			return EINVAL;
		}
		c->fp_user_stacks = !strcmp(arg, "fp");
		return 0;
	case OPT_LLM_ENDPOINT:
		err = llm_endpoints__add(&c->llm, arg);
		if (err == -ENOENT)
			pr_warn("--llm-endpoint: cannot resolve the host of '%s'\n", arg);
		else if (err)
			pr_warn("--llm-endpoint takes HOST[:PORT] or [IPV6]:PORT, not '%s'\n", arg);
		return err ? EINVAL : 0;
	case ARGP_KEY_ARG:
		pr_warn("unexpected argument '%s'\n", arg);
		return EINVAL;
	case ARGP_KEY_END:
		if (!c->pid == !c->container) {
			pr_warn(c->pid ? "give -p PID or --container, not both\n" : "which process? give -p PID\n");
			return EINVAL;
		}
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}
