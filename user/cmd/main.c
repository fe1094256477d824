// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* agentprof: subcommand dispatch only. */
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "cmd/diff.h"
#include "cmd/export.h"
#include "cmd/record.h"
#include "cmd/top.h"

const char *argp_program_version = "agentprof 0.1";

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "record", cmd_record, "record where a running process spends its time, into a directory" },
	{ "top", cmd_top, "watch a running process live: what holds each thread back" },
	{ "export", cmd_export, "send a recording's spans elsewhere: export otlp DIR --otlp URL" },
	{ "diff", cmd_diff, "compare two recordings: what changed, and whether it is more than noise" },
};

static int usage(FILE *f)
{
	fprintf(f, "Usage: agentprof COMMAND [OPTION...]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'agentprof COMMAND --help' shows a command's options.\n");
	return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	argp_err_exit_status = 2;
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("%s\n", argp_program_version);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "agentprof: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
