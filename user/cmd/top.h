/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `agentprof top`: stay attached and say, every interval, what holds each thread back. */
#ifndef TOP_H
#define TOP_H

int cmd_top(int argc, char **argv);

#endif /* TOP_H */
