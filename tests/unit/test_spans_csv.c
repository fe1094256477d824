// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* spans.csv: a header row and one row per span, RFC 4180 quoting, unknown values empty. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/output.h"
#include "model/spans.h"

static char *write_csv(const struct profile *p)
{
	static char text[8192];
	FILE *f = fmemopen(text, sizeof(text), "w");

	cr_assert(f);
	cr_assert_eq(spans_csv_output.write(f, p), 0);
	fclose(f);
	return strdup(text);
}

/* Row k (0: the header), without its CRLF, into buf. */
static const char *row(const char *text, int k, char *buf, size_t n)
{
	const char *end;

	for (; k > 0 && text; k--)
		text = strstr(text, "\r\n") ? strstr(text, "\r\n") + 2 : NULL;
	cr_assert(text && (end = strstr(text, "\r\n")), "no row %d", k);
	cr_assert_lt((size_t)(end - text), n);
	memcpy(buf, text, end - text);
	buf[end - text] = '\0';
	return buf;
}

Test(spans_csv, quotes_and_columns)
{
	struct span_rec recs[2] = { 0 };
	struct span_info infos[2] = { 0 };
	struct profile p = { 0 };
	char buf[2048], *text;

	p.pid = 7;
	p.spans = infos;
	p.nspans = 2;
	/* an SDK span whose name holds a quote, a comma and a line break */
	strcpy(recs[0].name, "say \"hi\", then\nbye");
	recs[0].trace_id[15] = 1;
	recs[0].span_id[7] = 1;
	recs[0].tid = 11;
	recs[0].start_ns = 100;
	recs[0].end_ns = 300;
	infos[0].rec = &recs[0];
	infos[0].wall_ns = 200;
	infos[0].ns[CAT_CPU] = 150;
	infos[0].ns[CAT_NET] = 50;
	infos[0].class = CAT_CPU;
	/* an LLM call still open: no end, no ttft, a model but no usage */
	strcpy(recs[1].name, "llm POST /v1/chat/completions");
	recs[1].span_id[7] = 2;
	recs[1].parent_id[7] = 1;
	recs[1].tid = 12;
	recs[1].start_ns = 200;
	recs[1].flags = SPAN_HTTP_CLIENT;
	recs[1].llm = true;
	recs[1].operation = "chat";
	recs[1].provider = "openai";
	strcpy(recs[1].host, "api.openai.com");
	strcpy(recs[1].genai.request_model, "gpt-4o-mini");
	recs[1].genai.flags = GENAI_REQUEST_MODEL | GENAI_STREAM;
	infos[1].rec = &recs[1];
	infos[1].wall_ns = 100;
	infos[1].unfinished = true;
	infos[1].class = CAT_NET;
	text = write_csv(&p);

	cr_assert_str_eq(row(text, 0, buf, sizeof(buf)),
			 "trace_id,span_id,parent_span_id,trace_generated,name,kind,pid,tid,start_ns,end_ns,duration_ns,"
			 "ttft_ns,cpu_ns,runq_ns,lock_ns,net_ns,disk_ns,sleep_ns,idle_ns,other_ns,queue_ns,class,unfinished,peer,host,"
			 "llm,gen_ai.operation_name,gen_ai.provider_name,gen_ai.request_model,gen_ai.response_model,"
			 "gen_ai.input_tokens,gen_ai.output_tokens,gen_ai.streaming");
	/* the name quoted, its quotes doubled: its line break is no row's end (rows end in CRLF) */
	cr_assert(strstr(text, ",\"say \"\"hi\"\", then\nbye\",internal,7,11,100,300,200,,150,0,0,50,0,0,0,0,0,cpu,false,,,"
			       "false,,,,,,,\r\n"),
		  "%s", text);
	cr_assert(strstr(text, ",0000000000000002,0000000000000001,false,llm POST /v1/chat/completions,client,7,12,200,,"
			       "100,,0,0,0,0,0,0,0,0,0,net,true,,api.openai.com,true,chat,openai,gpt-4o-mini,,,,true\r\n"),
		  "%s", text);
	row(text, 1, buf, sizeof(buf));
	cr_assert(!strncmp(buf, "00000000000000000000000000000001,0000000000000001,,false,", 57),
		  "ids in hex, an absent one empty: %s", buf);
	free(text);
}
