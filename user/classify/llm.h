/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Which HTTP calls are LLM calls: known API paths, and the endpoints given with --llm-endpoint. */
#ifndef LLM_H
#define LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "classify/peer.h"

struct llm_endpoints {
	struct net_peer *v;	/* addresses; port 0 matches any port */
	size_t n;
	char **hosts;		/* the names given, lowercase, for Host headers */
	size_t nhosts;
};

/*
 * Adds "HOST[:PORT]" or "[IPV6]:PORT", HOST resolved now (every address it has). 0, -EINVAL when
 * malformed, -ENOENT when HOST does not resolve, -ENOMEM.
 */
int llm_endpoints__add(struct llm_endpoints *e, const char *spec);
bool llm_endpoints__match(const struct llm_endpoints *e, const struct net_peer *peer);
/* Whether a Host header ("api.example.com:8443") names one of the endpoints given by name. */
bool llm_endpoints__match_host(const struct llm_endpoints *e, const char *host);
void llm_endpoints__free(struct llm_endpoints *e);

/* "POST /v1/chat/completions": a request to a known LLM API (OpenAI, Anthropic, Gemini, Ollama, TGI...). */
bool llm_request(const char *method_path);
/* A Host header ("api.openai.com", "x.openai.azure.com:443") of a known hosted LLM API. */
bool llm_host(const char *host);

/*
 * OpenTelemetry's GenAI conventions for an LLM call, from its span's name ("llm POST
 * /v1/chat/completions") and Host header: gen_ai.operation.name ("chat", "embeddings",
 * "text_completion", "generate_content") and gen_ai.provider.name ("openai", "anthropic", ...:
 * the hosted API's, else the one whose API the path is). NULL: not known.
 */
const char *llm_operation(const char *name);
const char *llm_provider(const char *name, const char *host);

/*
 * An outbound HTTP span (flags: enum span_flags) to a known LLM API path or host, or to an
 * endpoint of e (may be NULL), is an LLM call: its name, "http POST /v1/chat/completions", becomes
 * "llm POST /v1/chat/completions". name holds SPAN_NAME_LEN bytes; host is the request's Host
 * header ("" when none).
 */
bool llm_mark_span(char *name, uint32_t flags, const struct net_peer *peer, const char *host,
		   const struct llm_endpoints *e);

#endif /* LLM_H */
