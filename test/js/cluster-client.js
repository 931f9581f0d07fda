// A long-lived official socket.io-client, as a page uses one: it connects
// (polling first, then the upgrade, unless told a transport), reconnects by
// itself with the client's default settings, and emits a frame every
// intervalMs while connected. It prints one JSON line per thing that
// happens, for the cluster tests (internal/clustertest) to follow:
//   {"ev":"connect"} {"ev":"session","node":"node2","id":...}
//   {"ev":"answer"} {"ev":"error","code":...} {"ev":"notice","message":...,"from":...}
//   {"ev":"disconnect","reason":...} {"ev":"connect_error","message":...}
// each with "t", the milliseconds since the Unix epoch.
//
//   node cluster-client.js '{"url": "http://127.0.0.1:9980", "version": 2,
//     "frame": "frame.txt", "intervalMs": 200, "localAddress": "127.0.0.5"}'
'use strict';
const fs = require('fs');
const http = require('http');

const opts = JSON.parse(process.argv[2]);
const io = require(opts.version === 4 ? 'socket.io-client-v4' : 'socket.io-client-v2');
const frame = fs.readFileSync(opts.frame, 'utf8');

const ioOpts = { forceNew: true };
if (opts.transports) ioOpts.transports = opts.transports;
if (opts.localAddress) {
  // Polling goes through the agent, WebSocket takes localAddress: both
  // leave from this address, so the balancer sees a client of its own.
  ioOpts.agent = new http.Agent({ localAddress: opts.localAddress, keepAlive: true });
  ioOpts.localAddress = opts.localAddress;
}
const socket = io(opts.url, ioOpts);

function out(ev, extra) {
  process.stdout.write(JSON.stringify(Object.assign({ ev, t: Date.now() }, extra)) + '\n');
}

let inFlight = false; // one frame at a time, as the tutorial page sends
socket.on('connect', () => { inFlight = false; out('connect'); });
socket.on('session', (s) => out('session', { node: s.node, id: s.id, watch: s.watch }));
socket.on('response_back', () => { inFlight = false; out('answer'); });
socket.on('error', (e) => { inFlight = false; out('error', { code: e && e.code, message: String(e && e.message || e) }); });
socket.on('notice', (n) => out('notice', { message: n.message, from: n.from }));
socket.on('disconnect', (reason) => { inFlight = false; out('disconnect', { reason }); });
socket.on('connect_error', (e) => out('connect_error', { message: String(e && e.message || e) }));
socket.on('reconnect_attempt', () => out('reconnect_attempt'));

let sentAt = 0;
setInterval(() => {
  // A frame lost with its connection is sent again after a second.
  if (socket.connected && (!inFlight || Date.now() - sentAt > 1000)) {
    inFlight = true;
    sentAt = Date.now();
    socket.emit('image', frame);
  }
}, opts.intervalMs || 200);

process.on('SIGTERM', () => { socket.close(); process.exit(0); });
