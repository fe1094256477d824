/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `agentprof diff`: what changed between two recordings, and whether it is more than noise. */
#ifndef CMD_DIFF_H
#define CMD_DIFF_H

int cmd_diff(int argc, char **argv);

#endif /* CMD_DIFF_H */
