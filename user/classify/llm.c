// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Which HTTP calls are LLM calls: known API paths, and the endpoints given with --llm-endpoint. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "classify/llm.h"
#include "base/util.h"
#include "base/vec.h"

/* Paths that start a known API's generation or embedding call: a whole segment each. */
static const char *const prefixes[] = {
	"/v1/chat/completions",	/* OpenAI and every server compatible with it (vLLM, llama.cpp...) */
	"/v1/completions",
	"/v1/responses",
	"/v1/embeddings",
	"/v1/messages",		/* Anthropic */
	"/api/generate",	/* Ollama */
	"/api/chat",
	"/api/embed",
	"/api/embeddings",
	"/generate",		/* Text Generation Inference, vLLM's own */
	"/generate_stream",
	"/completion",		/* llama.cpp server */
};

/* Ends of paths under a deployment or model name. */
static const char *const suffixes[] = {
	"/chat/completions",	/* Azure OpenAI, OpenRouter, gateways */
	":generateContent",	/* Gemini */
	":streamGenerateContent",
	":predict",		/* Vertex AI */
	"/invoke",		/* Bedrock */
	"/converse",
};

/*
 * Hosted APIs by name, and their gen_ai.provider.name (OpenTelemetry's GenAI conventions): a
 * leading '.' or '-' matches the end of a name (any resource or region), a trailing '.' its start.
 */
static const struct {
	const char *host, *provider;
} hosts[] = {
	{ "api.openai.com", "openai" }, { ".openai.azure.com", "azure.ai.openai" },
	{ "api.anthropic.com", "anthropic" }, { "generativelanguage.googleapis.com", "gcp.gemini" },
	{ "-aiplatform.googleapis.com", "gcp.vertex_ai" }, { "api.mistral.ai", "mistral_ai" },
	{ "api.cohere.com", "cohere" }, { "api.cohere.ai", "cohere" }, { "api.groq.com", "groq" },
	{ "api.together.xyz", "together_ai" }, { "api.together.ai", "together_ai" },
	{ "api.fireworks.ai", "fireworks_ai" }, { "api.deepseek.com", "deepseek" },
	{ "api.perplexity.ai", "perplexity" }, { "api.x.ai", "x_ai" }, { "openrouter.ai", "openrouter" },
	{ "bedrock-runtime.", "aws.bedrock" },
};

/* What a call to a path does (gen_ai.operation.name), and whose API the path is when its host says nothing. */
static const struct {
	const char *path;	/* a whole segment at the start, or with a leading '*' at the end */
	const char *operation, *provider;
} operations[] = {
	{ "*/chat/completions", "chat", "openai" },	/* OpenAI and every server compatible with it */
	{ "/v1/responses", "chat", "openai" },
	{ "/v1/completions", "text_completion", "openai" },
	{ "/v1/embeddings", "embeddings", "openai" },
	{ "/v1/messages", "chat", "anthropic" },
	{ "/api/chat", "chat", "ollama" },
	{ "/api/generate", "text_completion", "ollama" },
	{ "/api/embed", "embeddings", "ollama" },
	{ "/api/embeddings", "embeddings", "ollama" },
	{ "*:generateContent", "generate_content", "gcp.gemini" },
	{ "*:streamGenerateContent", "generate_content", "gcp.gemini" },
	{ "*/converse", "chat", "aws.bedrock" },
	{ "/generate", "text_completion", NULL },	/* Text Generation Inference, vLLM's own */
	{ "/generate_stream", "text_completion", NULL },
	{ "/completion", "text_completion", NULL },	/* llama.cpp server */
};

static bool has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

static bool has_suffix(const char *path, const char *suffix)
{
	size_t n = strlen(path), k = strlen(suffix);

	return n >= k && !strcmp(path + n - k, suffix);
}

bool llm_request(const char *method_path)
{
	const char *path;

	if (strncmp(method_path, "POST ", 5))
		return false;
	path = method_path + 5;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (has_prefix(path, prefixes[i]))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (has_suffix(path, suffixes[i]))
			return true;
	return false;
}

/* The name of a Host header, without its port: "api.openai.com:443" -> "api.openai.com". */
static size_t host_name_len(const char *host)
{
	const char *colon = host[0] == '[' ? strchr(host, ']') : strchr(host, ':');

	if (host[0] == '[')
		return colon ? (size_t)(colon - host + 1) : strlen(host);
	return colon ? (size_t)(colon - host) : strlen(host);
}

static const char *llm_host_provider(const char *host);

bool llm_host(const char *host)
{
	return llm_host_provider(host) != NULL;
}

/* The provider of a known hosted API's Host header, NULL: not one. */
static const char *llm_host_provider(const char *host)
{
	size_t n = host_name_len(host);

	for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
		const char *h = hosts[i].host;
		size_t k = strlen(h);

		if (h[0] == '.' || h[0] == '-' ? n > k && !strncmp(host + n - k, h, k) :
		    h[k - 1] == '.'	      ? n > k && !strncmp(host, h, k) :
						n == k && !strncmp(host, h, k))
			return hosts[i].provider;
	}
	return NULL;
}

/* The entry of operations[] for a span's name ("llm POST /v1/chat/completions"), -1: none. */
static int operation_of(const char *name)
{
	const char *path = strchr(name, ' ');

	path = path ? strchr(path + 1, ' ') : NULL;
	if (!path)
		return -1;
	path++;
	for (size_t i = 0; i < ARRAY_SIZE(operations); i++) {
		const char *o = operations[i].path;

		if (o[0] == '*' ? has_suffix(path, o + 1) : has_prefix(path, o))
			return i;
	}
	return -1;
}

const char *llm_operation(const char *name)
{
	int i = operation_of(name);

	return i < 0 ? NULL : operations[i].operation;
}

const char *llm_provider(const char *name, const char *host)
{
	const char *by_host = llm_host_provider(host);
	int i;

	if (by_host)
		return by_host;
	i = operation_of(name);
	return i < 0 ? NULL : operations[i].provider;
}

bool llm_mark_span(char *name, uint32_t flags, const struct net_peer *peer, const char *host,
		   const struct llm_endpoints *e)
{
	if (!(flags & SPAN_HTTP_CLIENT) || strncmp(name, "http ", 5))
		return false;
	if (!llm_request(name + 5) && !llm_host(host) &&
	    !(e && (llm_endpoints__match(e, peer) || llm_endpoints__match_host(e, host))))
		return false;
	/* "http X" -> "llm X": one byte shorter, in place */
	memcpy(name, "llm", 3);
	memmove(name + 3, name + 4, strlen(name + 4) + 1);
	return true;
}

static int add_addr(struct llm_endpoints *e, const struct sockaddr *sa, uint16_t port)
{
	struct net_peer p = { .port = port, .family = sa->sa_family };

	if (sa->sa_family == AF_INET)
		memcpy(p.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(p.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return 0;
	for (size_t i = 0; i < e->n; i++)
		if (peer_eq(&e->v[i], &p))
			return 0;
	if (VEC_GROW_N(e->v, e->n))
		return -ENOMEM;
	e->v[e->n++] = p;
	return 0;
}

/* Keeps the name given (lowercase), for Host headers that name it. */
static int add_host(struct llm_endpoints *e, const char *host)
{
	char *copy;

	if (VEC_GROW_N(e->hosts, e->nhosts))
		return -ENOMEM;
	copy = strdup(host);
	if (!copy)
		return -ENOMEM;
	for (char *c = copy; *c; c++)
		*c = tolower((unsigned char)*c);
	e->hosts[e->nhosts++] = copy;
	return 0;
}

int llm_endpoints__add(struct llm_endpoints *e, const char *spec)
{
	char host[256];
	const char *colon, *end;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	long port = 0;
	size_t hlen;
	int err = 0;

	if (spec[0] == '[') {
		end = strchr(spec, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		colon = end[1] ? end + 1 : NULL;
		spec++;
		hlen = end - spec;
	} else {
		colon = strrchr(spec, ':');
		if (colon && strchr(spec, ':') != colon)
			colon = NULL;	/* a bare IPv6 address: no port */
		hlen = colon ? (size_t)(colon - spec) : strlen(spec);
	}
	if (!hlen || hlen >= sizeof(host) || (colon && parse_long(colon + 1, 1, 65535, &port)))
		return -EINVAL;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (getaddrinfo(host, NULL, &hints, &res))
		return -ENOENT;
	for (ai = res; ai && !err; ai = ai->ai_next)
		err = add_addr(e, ai->ai_addr, port);
	freeaddrinfo(res);
	return err ?: add_host(e, host);
}

bool llm_endpoints__match_host(const struct llm_endpoints *e, const char *host)
{
	size_t n = host_name_len(host);

	for (size_t i = 0; i < e->nhosts; i++)
		if (n && strlen(e->hosts[i]) == n && !strncasecmp(e->hosts[i], host, n))
			return true;
	return false;
}

bool llm_endpoints__match(const struct llm_endpoints *e, const struct net_peer *peer)
{
	for (size_t i = 0; i < e->n; i++) {
		struct net_peer want = e->v[i];

		if (!want.port)
			want.port = peer->port;
		if (peer_known(peer) && peer_eq(&want, peer))
			return true;
	}
	return false;
}

void llm_endpoints__free(struct llm_endpoints *e)
{
	for (size_t i = 0; i < e->nhosts; i++)
		free(e->hosts[i]);
	free(e->hosts);
	free(e->v);
	memset(e, 0, sizeof(*e));
}
