// WebRTC for the try-on page: the camera's track goes to the server and the
// processed track comes back on the same RTCPeerConnection; settings and
// answers travel on a data channel. The page treats it as one more
// transport, with the methods app.js uses of the others (configure, close,
// watchURL, bytes). See docs/protocol.md, "WebRTC".

import { keepWatchLink } from './watch-link.js';

// connectWebRTC resolves once the connection is up, or rejects when it is
// not within timeoutMs (UDP blocked and no TURN server): the page then
// falls back to the WebSocket.
// relayOnly sends media only through a TURN server (the page's ?relay=1),
// to try a TURN set-up, or to see the fallback where there is none.
export async function connectWebRTC({ track, video, timeoutMs = 5000, relayOnly = false, onAnswer = () => {} }) {
  const key = new URLSearchParams(location.search).get('key');
  const withKey = (path) => { const u = new URL(path, location.href); if (key) u.searchParams.set('key', key); return u; };
  let iceServers = [];
  try { iceServers = (await (await fetch(withKey('/api/v1/webrtc/ice-servers'))).json()).iceServers; } catch { /* none */ }
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: relayOnly ? 'relay' : 'all' });
  const transceiver = pc.addTransceiver(track, { direction: 'sendrecv' });
  if (RTCRtpReceiver.getCapabilities && transceiver.setCodecPreferences) {
    const codecs = RTCRtpReceiver.getCapabilities('video').codecs; // the server speaks VP8 only
    transceiver.setCodecPreferences([...codecs.filter((c) => c.mimeType === 'video/VP8'), ...codecs.filter((c) => c.mimeType !== 'video/VP8')]);
  }
  const dc = pc.createDataChannel('tryon');
  const client = {
    transport: 'webrtc', connected: false, session: null, watchURL: '', onClose: null, onError: null, onSession: null,
    bytes: { up: 0, down: 0, frames: 0 }, pc,
    pending: [], // config replies awaited, in order
    configure(settings) {
      return new Promise((resolve) => {
        if (dc.readyState !== 'open') { resolve(null); return; }
        client.pending.push(resolve);
        dc.send(JSON.stringify({ event: 'config', data: settings }));
      });
    },
    close() {
      client.connected = false;
      pc.close();
    },
    replaceTrack: (t) => transceiver.sender.replaceTrack(t),
  };
  dc.onmessage = (ev) => {
    const { event, data } = JSON.parse(ev.data);
    switch (event) {
      case 'session': {
        const show = (s) => {
          client.session = s;
          client.watchURL = new URL(s.watch, location.href).href;
          if (client.onSession) client.onSession(s);
        };
        show(data);
        keepWatchLink(client, data, location.origin).then((s) => { if (s !== data && client.session === data) show(s); });
        break;
      }
      case 'config': { const r = client.pending.shift(); if (r) r(data); break; }
      case 'answer': onAnswer(data); break;
      case 'error': if (client.onError) client.onError(data); break;
    }
  };
  const opened = new Promise((resolve) => { dc.onopen = resolve; });
  pc.ontrack = (ev) => { video.srcObject = new MediaStream([ev.track]); };
  pc.onconnectionstatechange = () => {
    if (['failed', 'closed'].includes(pc.connectionState) && client.connected) {
      client.connected = false;
      if (client.onClose) client.onClose(`WebRTC ${pc.connectionState}`);
    }
  };

  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => { // every candidate in the offer
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    setTimeout(resolve, 3000);
  });
  const res = await fetch(withKey('/api/v1/webrtc/offer'), { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sdp: pc.localDescription.sdp, type: 'offer' }) });
  const body = await res.json();
  if (!res.ok) { pc.close(); throw new Error(`${body.error.code}: ${body.error.message}`); }
  await pc.setRemoteDescription({ type: 'answer', sdp: body.sdp });
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('WebRTC did not connect')), timeoutMs));
  try {
    await Promise.race([opened, timeout]);
  } catch (err) {
    pc.close();
    throw err;
  }
  client.connected = true;
  return client;
}

// webrtcStats reads what the page shows for WebRTC: frames received a
// second, the bitrate both ways, and the network's round trip.
export async function webrtcStats(pc, prev) {
  const now = performance.now();
  const out = { at: now, framesDecoded: 0, bytesIn: 0, bytesOut: 0, rtt: null, jitterDelay: null };
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') {
      out.framesDecoded = r.framesDecoded || 0;
      out.bytesIn = r.bytesReceived || 0;
      if (r.jitterBufferEmittedCount) out.jitterDelay = (1000 * r.jitterBufferDelay) / r.jitterBufferEmittedCount;
    }
    if (r.type === 'outbound-rtp' && r.kind === 'video') out.bytesOut = r.bytesSent || 0;
    if (r.type === 'candidate-pair' && r.nominated && r.currentRoundTripTime !== undefined) out.rtt = 1000 * r.currentRoundTripTime;
  });
  if (prev) {
    const dt = (now - prev.at) / 1000;
    out.fps = (out.framesDecoded - prev.framesDecoded) / dt;
    out.kbpsIn = (8 * (out.bytesIn - prev.bytesIn)) / dt / 1000;
    out.kbpsOut = (8 * (out.bytesOut - prev.bytesOut)) / dt / 1000;
  }
  return out;
}
