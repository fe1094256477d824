// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// An unmodified Node agent calling an LLM API over HTTPS with the https module (OpenSSL linked
// statically into node), back to back on a keep-alive connection, each call with a new W3C
// traceparent. Its API key, cookie and prompt are canaries that must never appear in agentprof's
// output. `node llmagent.js PORT CAFILE CANARY`: prints its PID, calls until killed.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const https = require('https');

const [port, cafile, canary] = process.argv.slice(2);
const agent = new https.Agent({ keepAlive: true, ca: fs.readFileSync(cafile) });

function call() {
  const body = JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'prompt-' + canary }] });
  const req = https.request({
    host: '127.0.0.1', port: Number(port), path: '/v1/chat/completions', method: 'POST', agent,
    headers: {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Authorization': 'Bearer key-' + canary,
      'Cookie': 'session=cookie-' + canary,
      'traceparent': `00-${crypto.randomBytes(16).toString('hex')}-${crypto.randomBytes(8).toString('hex')}-01`,
    },
  }, (res) => {
    res.resume();
    res.on('end', call);
  });
  req.end(body);
}

console.log(process.pid);
call();
