// Drives one official socket.io-client against a server and reports, as one
// JSON line on stdout, what came back for each step of a plan.
//
//   node client.js plan.json
//
// plan.json: {url, version: 2|4, transport: "websocket"|"polling", outDir,
//   steps: [{file: "payload.txt"} | {json: <any value>}]}
// For each step the client emits "image" with the payload and waits for the
// next "response_back" or "error". A response_back data URL is written to
// outDir/step-N.txt for the Go test to inspect.
'use strict';
const fs = require('fs');
const path = require('path');

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const io = require(plan.version === 2 ? 'socket.io-client-v2' : 'socket.io-client-v4');

const socket = io(plan.url, {
  transports: [plan.transport],
  reconnection: false,
  forceNew: true,
});

const results = [];
let waiting = null; // resolve function of the step in flight

function settle(result) {
  if (waiting) {
    const w = waiting;
    waiting = null;
    w(result);
  }
}

socket.on('response_back', (data) => {
  const i = results.length;
  const file = path.join(plan.outDir, `step-${i}.txt`);
  fs.writeFileSync(file, data);
  settle({ event: 'response_back', length: data.length, prefix: String(data).slice(0, 23), file });
});
socket.on('error', (err) => {
  // socket.io-client 2.x also reports transport errors on 'error'; those
  // have no code and fail the step.
  settle({ event: 'error', code: err && err.code, message: err && err.message });
});
socket.on('disconnect', (reason) => settle({ event: 'disconnect', reason }));

function step(s) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => settle({ event: 'timeout' }), 15000);
    waiting = (r) => { clearTimeout(timer); resolve(r); };
    const payload = s.file ? fs.readFileSync(s.file, 'utf8') : s.json;
    socket.emit('image', payload);
  });
}

function finish(extra) {
  const transport = socket.io && socket.io.engine && socket.io.engine.transport
    ? socket.io.engine.transport.name : undefined;
  process.stdout.write(JSON.stringify(Object.assign({ results, transport, connected: socket.connected }, extra)) + '\n');
  socket.close();
  process.exit(0);
}

socket.on('connect', async () => {
  for (const s of plan.steps) {
    results.push(await step(s));
  }
  finish({});
});
socket.on('connect_error', (err) => finish({ connectError: String(err && err.message || err) }));
setTimeout(() => finish({ fatal: 'overall timeout' }), 120000);
