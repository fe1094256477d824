// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// An unmodified Node agent, asyncagent.py's twin: a node:http server on the one event loop thread
// serves POST /task, each request doing its own CPU work, one LLM call with the global fetch (HTTP)
// or node:https (keep-alive; streamed or not; no traceparent; an API key that is a canary), more CPU
// work. The call is OpenAI's chat completions, or Anthropic's Messages API when LLM_URL's path is
// /v1/messages (the key in Authorization or x-api-key, as their SDKs send it). It times each
// request itself and appends the truth to TRUTH in asyncagent.py's format, one line per request:
//   "trace_id start end cpu_ns llm_start llm_first llm_end call" (CLOCK_MONOTONIC ns, libuv's
//   clock; cpu_ns: the process's CPU time over its own work, Node has no thread clock before v23).
// `node asyncagent.js PORT_FILE LLM_URL CAFILE CANARY TRUTH stream|whole`: writes its port to
// PORT_FILE, prints its PID, serves until killed.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');

const [portFile, llmUrl, cafile, canary, truthPath, mode] = process.argv.slice(2);
const truth = fs.openSync(truthPath, 'a');
const url = new URL(llmUrl);
const tls = url.protocol === 'https:';
const anthropic = url.pathname === '/v1/messages';
const agent = tls ? new https.Agent({ keepAlive: true, ca: fs.readFileSync(cafile) }) : null;
const WORK = 150000;	// iterations of the CPU work: ~2-4 ms of JavaScript
let calls = 0;
let sink = 0;

function work() {
  const start = process.cpuUsage();
  let x = 0;
  for (let i = 0; i < WORK; i++)
    x += Math.sqrt(i * i % 7 + sink);
  sink = x % 3;
  const d = process.cpuUsage(start);
  return (d.user + d.system) * 1000;
}

const now = () => process.hrtime.bigint();

// The API key (the canary) as the API's SDK sends it.
function keyHeaders() {
  if (anthropic)
    return { 'x-api-key': 'sk-ant-api03-' + canary, 'anthropic-version': '2023-06-01' };
  return { 'Authorization': 'Bearer key-' + canary };
}

// One call to the API over HTTP with the global fetch (undici, as the openai client): [llm_first, llm_end].
async function fetchCall(body) {
  let first = 0n;
  const r = await fetch(url, { method: 'POST', body,
    headers: Object.assign({ 'Content-Type': 'application/json' }, keyHeaders()) });
  for await (const chunk of r.body)
    if (!first && chunk.length)
      first = now();
  return [first, now()];
}

// One call to the API: resolves with [llm_first, llm_end] once its answer is read whole; node:https
// over TLS (fetch would want the CA in NODE_EXTRA_CA_CERTS), fetch over HTTP.
function llmCall(call) {
  let request;
  if (anthropic) {
    // as asyncagent.py and the anthropic SDK send it: max_tokens, the prompt, the model, the rest
    request = { max_tokens: 1024, messages: [{ role: 'user', content: 'prompt-' + canary }],
      model: 'claude-sonnet-4-5', metadata: { user_id: call }, stream: mode === 'stream' };
  } else {
    // as asyncagent.py and the openai SDK send it: the prompt first, the model after it
    request = { messages: [{ role: 'user', content: 'prompt-' + canary }], model: 'gpt-4o-mini',
      stream: mode === 'stream', user: call };
    if (mode === 'stream')
      request.stream_options = { include_usage: true };
  }
  const body = JSON.stringify(request);
  if (!tls)
    return fetchCall(body);
  return new Promise((resolve, reject) => {
    let first = 0n;
    const req = https.request(url, {
      method: 'POST', agent,
      headers: Object.assign({ 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        keyHeaders()),
    }, (res) => {
      res.on('data', (chunk) => {
        if (!first && chunk.length)
          first = now();
      });
      res.on('end', () => resolve([first, now()]));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function task(req, res) {
  const start = now();
  const tp = req.headers.traceparent || '';
  const trace = tp.length === 55 ? tp.slice(3, 35) : '-';
  for await (const chunk of req)
    ;	// the request's body, read whole
  let cpu = work();
  const call = `call-${process.pid}-${++calls}`;
  const llmStart = now();
  const [first, llmEnd] = await llmCall(call);
  cpu += work();
  const end = now();
  fs.writeSync(truth, `${trace} ${start} ${end} ${cpu} ${llmStart} ${first} ${llmEnd} ${call}\n`);
  res.end('done');
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/task') {
    res.statusCode = 404;
    res.end();
    return;
  }
  task(req, res).catch(() => {
    res.statusCode = 502;
    res.end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
  console.log(process.pid);
});
