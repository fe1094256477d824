// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* LLM calls and network peers: known API paths, --llm-endpoint, span names, peer addresses. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "classify/llm.h"
#include "model/spans.h"

static struct net_peer v4(const char *addr, uint16_t port)
{
	struct net_peer p = { .port = port, .family = AF_INET };

	cr_assert_eq(inet_pton(AF_INET, addr, p.addr), 1);
	return p;
}

static struct net_peer v6(const char *addr, uint16_t port)
{
	struct net_peer p = { .port = port, .family = AF_INET6 };

	cr_assert_eq(inet_pton(AF_INET6, addr, p.addr), 1);
	return p;
}

Test(llm, known_api_paths)
{
	cr_assert(llm_request("POST /v1/chat/completions"));
	cr_assert(llm_request("POST /v1/messages"));
	cr_assert(llm_request("POST /v1/embeddings"));
	cr_assert(llm_request("POST /api/generate"));
	cr_assert(llm_request("POST /openai/deployments/gpt4/chat/completions"));
	cr_assert(llm_request("POST /v1beta/models/gemini-1.5-pro:generateContent"));
	cr_assert(!llm_request("GET /v1/models"), "listing models is no call");
	cr_assert(!llm_request("GET /v1/chat/completions"));
	cr_assert(!llm_request("POST /v1/messagesx"), "a path segment matches whole");
	cr_assert(!llm_request("POST /generated-images"));
	cr_assert(!llm_request("POST /upload"));
}

Test(llm, client_spans_renamed)
{
	char name[SPAN_NAME_LEN] = "http POST /v1/chat/completions", other[SPAN_NAME_LEN] = "http POST /search";
	char server[SPAN_NAME_LEN] = "http POST /v1/chat/completions";
	struct net_peer peer = v4("10.0.0.7", 8080);
	struct llm_endpoints e = {};

	char hosted[SPAN_NAME_LEN] = "http POST /v2/chat", named[SPAN_NAME_LEN] = "http POST /ask";

	cr_assert(llm_mark_span(name, SPAN_HTTP_CLIENT | SPAN_TLS, &peer, "", NULL));
	cr_assert_str_eq(name, "llm POST /v1/chat/completions");
	cr_assert(!llm_mark_span(server, SPAN_HTTP_SERVER, &peer, "", NULL), "serving is not calling");
	cr_assert_str_eq(server, "http POST /v1/chat/completions");
	cr_assert(!llm_mark_span(other, SPAN_HTTP_CLIENT, &peer, "search.example.com", NULL));
	cr_assert(llm_mark_span(hosted, SPAN_HTTP_CLIENT, &peer, "api.cohere.com", NULL), "a known API's host");
	cr_assert_str_eq(hosted, "llm POST /v2/chat");
	cr_assert_eq(llm_endpoints__add(&e, "10.0.0.7:8080"), 0);
	cr_assert(llm_mark_span(other, SPAN_HTTP_CLIENT, &peer, "", &e), "an --llm-endpoint makes any call an LLM call");
	cr_assert_str_eq(other, "llm POST /search");
	cr_assert_eq(llm_endpoints__add(&e, "LocalHost:11434"), 0);
	peer.port = 9999;
	cr_assert(llm_mark_span(named, SPAN_HTTP_CLIENT, &peer, "localhost:11434", &e), "by the Host header");
	llm_endpoints__free(&e);
}

Test(llm, known_hosts)
{
	cr_assert(llm_host("api.openai.com"));
	cr_assert(llm_host("api.anthropic.com:443"));
	cr_assert(llm_host("myres.openai.azure.com"));
	cr_assert(llm_host("us-central1-aiplatform.googleapis.com"));
	cr_assert(llm_host("bedrock-runtime.us-east-1.amazonaws.com"));
	cr_assert(!llm_host("s3.amazonaws.com"));
	cr_assert(!llm_host("openai.com"));
	cr_assert(!llm_host("api.openai.com.evil.example"));
	cr_assert(!llm_host(""));
}

Test(llm, endpoints_parse_and_match)
{
	struct llm_endpoints e = {};
	struct net_peer a = v4("10.0.0.7", 443), b = v4("10.0.0.7", 8443), c = v6("2001:db8::1", 443);
	struct net_peer mapped = v6("::ffff:10.0.0.7", 443), lo = v4("127.0.0.1", 11434);

	cr_assert_eq(llm_endpoints__add(&e, "10.0.0.7:443"), 0);
	cr_assert(llm_endpoints__match(&e, &a));
	cr_assert(!llm_endpoints__match(&e, &b), "another port");
	cr_assert(llm_endpoints__match(&e, &mapped), "the same IPv4 address through an IPv6 socket");
	cr_assert_eq(llm_endpoints__add(&e, "[2001:db8::1]"), 0);
	cr_assert(llm_endpoints__match(&e, &c));
	cr_assert_eq(llm_endpoints__add(&e, "localhost:11434"), 0, "names are resolved");
	cr_assert(llm_endpoints__match(&e, &lo));
	cr_assert_eq(llm_endpoints__add(&e, "10.0.0.8:0"), -EINVAL);
	cr_assert_eq(llm_endpoints__add(&e, "10.0.0.8:99999"), -EINVAL);
	cr_assert_eq(llm_endpoints__add(&e, "10.0.0.8:44x"), -EINVAL);
	cr_assert_eq(llm_endpoints__add(&e, "[::1"), -EINVAL);
	cr_assert_eq(llm_endpoints__add(&e, ""), -EINVAL);
	cr_assert_eq(llm_endpoints__add(&e, "no-such-host.invalid"), -ENOENT);
	llm_endpoints__free(&e);
}

Test(peer, printed_and_compared)
{
	struct net_peer a = v4("10.0.0.7", 443), b = v6("2001:db8::1", 8443), m = v6("::ffff:10.0.0.7", 443);
	struct net_peer none = {};
	char buf[PEER_STR_LEN];

	peer_str(&a, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.0.0.7:443");
	peer_str(&b, buf, sizeof(buf));
	cr_assert_str_eq(buf, "[2001:db8::1]:8443");
	peer_str(&m, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.0.0.7:443", "an IPv4-mapped address prints as IPv4");
	peer_str(&none, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	cr_assert(peer_eq(&a, &m));
	cr_assert(!peer_eq(&a, &b));
	m.port = 80;
	cr_assert(!peer_eq(&a, &m));
}

Test(llm, gen_ai_operation_and_provider)
{
	cr_expect_str_eq(llm_operation("llm POST /v1/chat/completions"), "chat");
	cr_expect_str_eq(llm_operation("llm POST /v1/embeddings"), "embeddings");
	cr_expect_str_eq(llm_operation("llm POST /v1beta/models/gemini-1.5-pro:generateContent"), "generate_content");
	cr_expect_null(llm_operation("llm POST /search"), "an --llm-endpoint's path says nothing");
	cr_expect_null(llm_operation("llm"));
	cr_expect_str_eq(llm_provider("llm POST /v1/chat/completions", "127.0.0.1:8000"), "openai", "the path's API");
	cr_expect_str_eq(llm_provider("llm POST /openai/deployments/gpt4/chat/completions", "r.openai.azure.com"),
			 "azure.ai.openai", "the host before the path");
	cr_expect_str_eq(llm_provider("llm POST /v1/messages", "api.anthropic.com:443"), "anthropic");
	cr_expect_str_eq(llm_provider("llm POST /v2/chat", "api.cohere.com"), "cohere");
	cr_expect_null(llm_provider("llm POST /generate", "10.0.0.7:8080"), "a TGI or vLLM server is nobody's API");
}
