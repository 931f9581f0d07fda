package main

// page is what Chromium runs: the camera as a WebRTC track to the server,
// the processed track back, and the frame numbers read from both as they
// are displayed. The numbers' squares are read by their contrast: a
// square of checks has a high standard deviation whatever the filter (an
// edge detector turns the checks into lines, and the flat squares black).
const page = `<!doctype html>
<html><head><style>video { width: 320px; }</style></head><body>
<video id="local" autoplay muted playsinline></video>
<video id="remote" autoplay muted playsinline></video>
<canvas id="strip" width="352" height="32"></canvas>
<script>
'use strict';
const SQ = 32, BITS = 11;
const strip = document.getElementById('strip').getContext('2d', { willReadFrequently: true });
const local = document.getElementById('local'), remote = document.getElementById('remote');
let pc, measuring = false, start = 0, displayed = 0, localDisplayed = 0, clock = 'capture';
// presentedFrames of the processed video at the first and the last callback while measuring:
// the frames the compositor was given, callbacks the page's own work made it miss included
let firstPresented = null, lastPresented = null;
const captured = new Map(); // frame number -> camera time of its latest capture
const shown = new Map();    // frame number -> when the local preview displayed it (display to display)
let latencies = [], displayLatencies = [];

function readNumber(video) {
  const vw = video.videoWidth, vh = video.videoHeight;
  if (!vw || !vh) return -1;
  const k = vw / 640; // the sender may have scaled the camera down
  strip.drawImage(video, 0, vh - SQ * k, BITS * SQ * k, SQ * k, 0, 0, BITS * SQ, SQ);
  const d = strip.getImageData(0, 0, BITS * SQ, SQ).data;
  let n = 0, parity = 0;
  for (let i = 0; i < BITS; i++) {
    let s = 0, s2 = 0, c = 0;
    for (let y = 6; y < SQ - 6; y++) {
      for (let x = i * SQ + 6; x < (i + 1) * SQ - 6; x++) {
        const j = (y * BITS * SQ + x) * 4, v = (d[j] + d[j + 1] + d[j + 2]) / 3;
        s += v; s2 += v * v; c++;
      }
    }
    const bit = Math.sqrt(Math.max(0, s2 / c - (s / c) ** 2)) > 30 ? 1 : 0;
    if (i < BITS - 1) { n |= bit << i; parity ^= bit; } else if (bit !== parity) return -1;
  }
  return n;
}

function onLocal(now, meta) {
  if (measuring) localDisplayed++;
  const n = readNumber(local);
  if (n >= 0) {
    let t = meta.captureTime;
    if (t === undefined) { t = meta.expectedDisplayTime; clock = 'display'; }
    captured.set(n, t);
    shown.set(n, meta.expectedDisplayTime);
  }
  local.requestVideoFrameCallback(onLocal);
}

function onRemote(now, meta) {
  if (measuring) {
    displayed++;
    if (firstPresented === null) firstPresented = meta.presentedFrames;
    lastPresented = meta.presentedFrames;
    const n = readNumber(remote);
    if (n >= 0 && captured.has(n)) {
      const l = meta.expectedDisplayTime - captured.get(n);
      if (l > 0 && l < 5000) latencies.push(l);
      const d = meta.expectedDisplayTime - shown.get(n);
      if (d > 0 && d < 5000) displayLatencies.push(d); // numbers repeat every 10 s
    }
  }
  remote.requestVideoFrameCallback(onRemote);
}

async function makeOffer() {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 } });
  local.srcObject = stream;
  local.requestVideoFrameCallback(onLocal);
  pc = new RTCPeerConnection();
  const tr = pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendrecv' });
  const codecs = RTCRtpReceiver.getCapabilities('video').codecs;
  tr.setCodecPreferences([...codecs.filter((c) => c.mimeType === 'video/VP8'), ...codecs.filter((c) => c.mimeType !== 'video/VP8')]);
  pc.ontrack = (ev) => { remote.srcObject = new MediaStream([ev.track]); remote.requestVideoFrameCallback(onRemote); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    setTimeout(resolve, 3000);
  });
  return pc.localDescription.sdp;
}

async function applyAnswer(sdp) { await pc.setRemoteDescription({ type: 'answer', sdp }); }
// stats are the counters of getStats this reads, at one moment:
// stopMeasuring reports the change over the measurement.
async function stats() {
  const s = { up: 0, down: 0, jitterDelay: 0, jitterEmitted: 0, sent: 0, encoded: 0, received: 0, decoded: 0, dropped: 0,
    interFrame: 0, limitation: '', sendFps: 0, sendWidth: 0, nacksUp: 0, nacksDown: 0, plisDown: 0, lost: 0 };
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'outbound-rtp' && r.kind === 'video') {
      s.up = r.bytesSent; s.sent = r.framesSent || 0; s.encoded = r.framesEncoded || 0;
      s.limitation = r.qualityLimitationReason || ''; s.sendFps = r.framesPerSecond || 0; s.sendWidth = r.frameWidth || 0;
      s.nacksUp = r.nackCount || 0;
    }
    if (r.type === 'inbound-rtp' && r.kind === 'video') {
      s.down = r.bytesReceived; s.jitterDelay = r.jitterBufferDelay || 0; s.jitterEmitted = r.jitterBufferEmittedCount || 0;
      s.received = r.framesReceived || 0; s.decoded = r.framesDecoded || 0; s.dropped = r.framesDropped || 0;
      s.interFrame = r.totalInterFrameDelay || 0; s.nacksDown = r.nackCount || 0; s.plisDown = r.pliCount || 0;
      s.lost = r.packetsLost || 0;
    }
  });
  return s;
}
let startStats = null, startQuality = null;
async function startMeasuring() {
  measuring = true; start = performance.now(); displayed = 0; localDisplayed = 0; firstPresented = lastPresented = null; latencies = []; displayLatencies = [];
  startStats = await stats();
  startQuality = remote.getVideoPlaybackQuality();
}
async function stopMeasuring() {
  measuring = false;
  const seconds = (performance.now() - start) / 1000, b = await stats(), a = startStats;
  const d = (k) => b[k] - a[k];
  const q = remote.getVideoPlaybackQuality();
  return { latencies, displayLatencies, displayed, clock, seconds,
    kbpsUp: (8 * d('up')) / seconds / 1000, kbpsDown: (8 * d('down')) / seconds / 1000,
    jitterBufferMs: d('jitterEmitted') ? (1000 * d('jitterDelay')) / d('jitterEmitted') : null,
    browser: { frames_encoded: d('encoded'), frames_sent: d('sent'), send_limitation: b.limitation, send_fps: b.sendFps,
      send_width: b.sendWidth, frames_received: d('received'), frames_decoded: d('decoded'), frames_dropped: d('dropped'),
      inter_frame_ms: d('decoded') > 1 ? (1000 * d('interFrame')) / d('decoded') : 0,
      nacks_sent: d('nacksDown'), plis_sent: d('plisDown'), nacks_received: d('nacksUp'), packets_lost: d('lost'),
      local_displayed: localDisplayed, presented: firstPresented === null ? 0 : lastPresented - firstPresented, video_frames: q.totalVideoFrames - startQuality.totalVideoFrames,
      video_frames_dropped: q.droppedVideoFrames - startQuality.droppedVideoFrames } };
}
</script>
</body></html>
`
