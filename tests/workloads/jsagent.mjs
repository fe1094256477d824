// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// A Node agent as services are written, started without flags: a node:http server whose async
// handler (handleTask) plans in a class method (Planner#plan), ranks with an arrow function
// (rankTools), hashes in a function TurboFan has optimized by then (digest, warmed up at start),
// awaits one LLM call (askLLM: node:http, keep-alive, to the mock API), its CPU shares 3:1:2;
// and reads its policy synchronously (readPolicy: the loop thread blocks 5 ms in Atomics.wait, as
// in a *Sync call). `node jsagent.mjs PORT_FILE LLM_URL`: writes its port to PORT_FILE, prints its PID,
// serves until killed. `node --allow-natives-syntax jsagent.mjs tiers` prints V8's optimization
// status of each hot function after the warm-up and of the same after serving a while, and exits.
import fs from 'node:fs';
import http from 'node:http';

const PLAN = 1100000, RANK = 360000, DIGEST = 18000000;	// ~30, 10, 20 ms of JavaScript

class Planner {
  plan(n) {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += Math.sin(i * 0.001 + acc * 1e-9);
    return acc;
  }
}

const rankTools = (n) => {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += Math.sqrt(i + (acc % 7));
  return acc;
};

function digest(n) {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ (i & 0xff), 16777619) >>> 0;
  return h;
}

// A synchronous wait on the loop thread: 5 ms on a futex no one wakes.
const policyLock = new Int32Array(new SharedArrayBuffer(4));
function readPolicy() {
  return Atomics.wait(policyLock, 0, 0, 5);
}

const planner = new Planner();
const llm = process.argv[3] ? new URL(process.argv[3]) : null;
const agent = new http.Agent({ keepAlive: true });
let sink = 0;

// One LLM call; resolves once its answer is read whole.
function askLLM(prompt) {
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] });
  return new Promise((resolve, reject) => {
    const req = http.request(llm, { method: 'POST', agent, headers: { 'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function handleTask(req, res) {
  for await (const chunk of req)
    ;	// the request's body, read whole
  readPolicy();
  sink += planner.plan(PLAN);
  sink += rankTools(RANK);
  await askLLM('plan ' + (sink % 10));
  sink += digest(DIGEST);
  res.end('done');
}

// digest reaches TurboFan here, before the first request
for (let i = 0; i < 200; i++)
  sink += digest(DIGEST / 100);

if (process.argv[2] === 'tiers') {
  // %GetOptimizationStatus only parses with --allow-natives-syntax: compiled only in this run
  const status = new Function('f', 'return %GetOptimizationStatus(f)');
  // V8's OptimizationStatus bits (src/runtime/runtime.h)
  const tier = (s) => s & 1 << 6 ? 'turbofan' : s & 1 << 5 ? 'maglev' : s & 1 << 15 ? 'sparkplug' :
    s & 1 << 7 ? 'ignition' : 'lazy';
  const say = (when) => console.log(when, ['plan', 'rankTools', 'digest'].map((name, i) =>
    `${name}=${tier(status([Planner.prototype.plan, rankTools, digest][i]))}`).join(' '));
  say('warm');
  for (let i = 0; i < 20; i++)
    sink += planner.plan(PLAN) + rankTools(RANK) + digest(DIGEST);
  say('served');
  process.exit(0);
}

const server = http.createServer((req, res) => {
  handleTask(req, res).catch(() => {
    res.statusCode = 502;
    res.end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(process.argv[2] + '.tmp', String(server.address().port));
  fs.renameSync(process.argv[2] + '.tmp', process.argv[2]);
  console.log(process.pid);
});
