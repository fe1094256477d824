// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// An agent's JavaScript, started without flags: planSteps burns three times the CPU of scoreTools,
// both called from one loop (agentLoop), both calling the math builtin (Math.sin).
function planSteps(n) {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += Math.sin(i * 0.001 + acc * 1e-9);
  return acc;
}

function scoreTools(n) {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += Math.sin(i * 0.002 - acc * 1e-9);
  return acc;
}

function agentLoop(seconds) {
  const end = Date.now() + seconds * 1000;
  let sink = 0;
  while (Date.now() < end) {
    sink += planSteps(300000);
    sink += scoreTools(100000);
  }
  return sink;
}

const seconds = Number(process.argv[2] || 5);
console.log(process.pid);
agentLoop(seconds);
