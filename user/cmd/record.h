/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `agentprof record`: attach to a process, sample until told to stop, write the outputs. */
#ifndef RECORD_H
#define RECORD_H

int cmd_record(int argc, char **argv);

#endif /* RECORD_H */
