/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `agentprof export otlp DIR --otlp URL`: send a finished recording's spans (its spans.jsonl) to an OTLP endpoint. */
#ifndef EXPORT_H
#define EXPORT_H

int cmd_export(int argc, char **argv);

#endif /* EXPORT_H */
