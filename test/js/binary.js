// Sends JPEG frames to a server as Socket.IO binary attachments, as a page
// that sends ArrayBuffers does, with the official socket.io-client, and
// reports what came back as one JSON line on stdout.
//
//   node binary.js plan.json
//
// plan.json: {url, version: 2|4, transport: "websocket"|"polling", outDir,
//   prefix, frames: ["a.jpg", ...]}
// Every frame is emitted as {id: "<prefix><i>", image: <bytes>} with an
// acknowledgement, then the first frame once more alone as
// bytes without one, answered by response_back. Each frame is sent once the
// previous one is answered. Each answer's image is written to
// outDir/<prefix>ack-<i>.jpg and outDir/<prefix>back.jpg.
'use strict';
const fs = require('fs');
const path = require('path');

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const io = require(plan.version === 2 ? 'socket.io-client-v2' : 'socket.io-client-v4');

const socket = io(plan.url, { transports: [plan.transport], reconnection: false, forceNew: true });

function finish(extra) {
  const transport = socket.io && socket.io.engine && socket.io.engine.transport
    ? socket.io.engine.transport.name : undefined;
  process.stdout.write(JSON.stringify(Object.assign({ transport }, extra)) + '\n');
  socket.close();
  process.exit(0);
}

// isBytes: a Buffer in Node (socket.io-client gives binary attachments as
// Buffers there, ArrayBuffers in a browser).
function isBytes(v) { return Buffer.isBuffer(v) || v instanceof ArrayBuffer; }

function ack(i, frame) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ sent: i, timeout: true }), 30000);
    socket.emit('image', { id: plan.prefix + i, image: frame }, (reply) => {
      clearTimeout(timer);
      const out = { sent: i, id: reply && reply.id, faces: reply && reply.faces, error: reply && reply.error && reply.error.code,
        binary: !!(reply && isBytes(reply.image)) };
      if (out.binary) {
        out.file = path.join(plan.outDir, `${plan.prefix}ack-${i}.jpg`);
        fs.writeFileSync(out.file, Buffer.from(reply.image));
      }
      resolve(out);
    });
  });
}

function back(frame) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ timeout: true }), 30000);
    socket.once('response_back', (data) => {
      clearTimeout(timer);
      const out = { binary: isBytes(data) };
      if (out.binary) {
        out.file = path.join(plan.outDir, `${plan.prefix}back.jpg`);
        fs.writeFileSync(out.file, Buffer.from(data));
      }
      resolve(out);
    });
    socket.emit('image', frame);
  });
}

socket.on('connect', async () => {
  const frames = plan.frames.map((f) => fs.readFileSync(f));
  // One after another, each once the previous is answered: every frame is
  // answered, while other clients run at the same time.
  const acks = [];
  for (let i = 0; i < frames.length; i++) acks.push(await ack(i, frames[i]));
  const responseBack = await back(frames[0]);
  finish({ acks, responseBack });
});
socket.on('connect_error', (err) => finish({ connectError: String(err && err.message || err) }));
setTimeout(() => finish({ fatal: 'overall timeout' }), 120000);
