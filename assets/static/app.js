// The try-on page. Camera frames go to the server over the transport chosen
// on the page (Socket.IO, WebSocket or HTTP per frame), through the same
// client module frontends can use (tryon-client.js), or as the camera's
// own video track over WebRTC (webrtc.js); settings go as config messages.
// See docs/protocol.md.
import { connect } from './tryon-client.js';
import { connectWebRTC, webrtcStats } from './webrtc.js';
import { makeupSelection, onMakeupChange } from './makeup.js';
{
  const $ = (id) => document.getElementById(id);
  const video = $('preview'), output = $('output'), outputVideo = $('output-video'), canvas = $('capture');
  const ctx = canvas.getContext('2d');
  const ui = {
    lipstick: $('lipstick'), color: $('color'), strength: $('strength'), glasses: $('glasses'),
    camera: $('camera'), resolution: $('resolution'), mirror: $('mirror'),
    fps: $('fps'), quality: $('quality'), pacing: $('pacing'), inflight: $('inflight'), transport: $('transport'),
    toggle: $('toggle'), snapshot: $('snapshot'),
  };
  const ANSWER_TIMEOUT_MS = 2000;

  const state = {
    running: true,
    nextId: 1,
    inFlight: new Map(), // id -> send time
    lastSend: 0,
    sent: [], answered: [], rtts: [], // [time, rtt] pairs for the last second
    dropped: 0, faces: 0, errors: 0,
    lastSent: new Map(), // id -> JPEG blob, for the test hook; pruned with inFlight
    lastPair: null,      // {id, sent: Blob, answered: URL, rtt} of the newest answer
    transport: '', bytesUp: 0, bytesDown: 0, frames: 0, watch: '',
  };
  let client = null;
  const blobToDataURL = (blob) => new Promise((resolve) => { const r = new FileReader(); r.onload = () => resolve(r.result); r.readAsDataURL(blob); });
  // Read by the browser test; harmless for people.
  window.tryon = {
    state, stats: () => computeStats(performance.now()),
    // The newest answered pair as data URLs, whatever the transport.
    lastPairDataURLs: async () => {
      const p = state.lastPair;
      if (!p) return null;
      const answered = typeof p.answered === 'string' ? p.answered : await blobToDataURL(p.answered);
      return { id: p.id, sent: await blobToDataURL(p.sent), answered };
    },
  };

  const showMessage = (text) => { const m = $('message'); m.textContent = text; m.hidden = !text; };
  const setStatus = (text) => { $('status').textContent = text; };

  // ---- camera ----
  async function startCamera() {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showMessage('The camera needs a secure page. Open this page with https://, or as http://localhost on the computer running the server. ' +
        'Phones and other computers reaching it over plain http:// are not given the camera: start the server with a public https link or TLS (see README).');
      setStatus('no camera');
      return false;
    }
    const [w, h] = ui.resolution.value.split('x').map(Number);
    if (video.srcObject) video.srcObject.getTracks().forEach((t) => t.stop());
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { width: { ideal: w }, height: { ideal: h }, facingMode: { ideal: ui.camera.value } },
      });
      await video.play();
      showMessage('');
      return true;
    } catch (err) {
      const why = {
        NotAllowedError: 'Camera permission was denied. Allow the camera for this site (the camera icon in the address bar) and reload.',
        NotFoundError: 'No camera was found. Connect a camera and reload.',
        NotReadableError: 'The camera is in use by another application. Close it and reload.',
        OverconstrainedError: 'The camera cannot give the chosen resolution. Pick another one.',
        SecurityError: 'The camera is blocked on this page: it needs https:// or localhost.',
      }[err.name] || `The camera could not start: ${err.name}: ${err.message}`;
      showMessage(why);
      setStatus('no camera');
      return false;
    }
  }

  // ---- connection ----
  let cameraReady = null; // resolves once the camera plays
  async function openTransport() {
    const name = ui.transport.value;
    if (client) { client.onClose = null; client.close(); client = null; }
    state.inFlight.clear(); state.lastSent.clear();
    const webrtc = name === 'webrtc';
    output.hidden = webrtc;
    outputVideo.hidden = !webrtc;
    $('stat-frames').hidden = webrtc;
    $('stat-webrtc').hidden = !webrtc;
    setStatus(`connecting (${name})…`);
    try {
      let c;
      if (webrtc) {
        if (!(await cameraReady)) { setStatus('WebRTC needs the camera'); return; }
        // The camera's own track goes up; the page's canvas is not used.
        c = await connectWebRTC({ track: video.srcObject.getVideoTracks()[0], video: outputVideo, onAnswer: onTrackAnswer,
          relayOnly: new URLSearchParams(location.search).get('relay') === '1' })
          .catch((err) => {
            // No route for UDP (a phone on a mobile network through the
            // public link, with no TURN server): the WebSocket still works.
            showMessage(`${err.message}: switched to WebSocket. Over the public link WebRTC needs a TURN server (--ice-server; see README).`);
            state.fallback = true;
            ui.transport.value = 'ws';
            return null;
          });
        if (!c) return openTransport();
      } else {
        c = await connect({ transport: name });
      }
      c.onError = (err) => { state.errors++; if (err.code !== 'dropped') showMessage(`The server refused: ${err.message} (${err.code})`); };
      c.onSession = showWatchLink;
      c.onClose = (why) => { if (client === c) { setStatus(`disconnected (${why})`); state.inFlight.clear(); state.lastSent.clear(); } };
      client = c;
      state.transport = name;
      if (c.session) showWatchLink(c.session);
      setStatus(`connected (${name})`);
      sendConfig();
    } catch (err) {
      setStatus(`cannot reach the server: ${err.message}`);
    }
  }

  function showWatchLink() {
    const url = client && client.watchURL;
    state.watch = url || '';
    const link = $('watch-link'), qr = $('watch-qr');
    if (!url) { link.textContent = '–'; link.removeAttribute('href'); qr.hidden = true; return; }
    link.href = url; link.textContent = url;
    qr.src = '/qr.png?text=' + encodeURIComponent(url);
    qr.hidden = false;
  }

  function sendConfig() {
    if (!client) return;
    const { look, effects } = makeupSelection(); // lipstick and makeup (makeup.js)
    if (ui.glasses.value) effects.push({ name: 'glasses', style: ui.glasses.value, ...(window.tryonGlasses?.extra() || {}) });
    // overlay: false: the page shows the rate in its own badge (mirror.js),
    // so pictures and snapshots carry no FPS stamp.
    const config = look ? { look, effects, overlay: false } : { effects, overlay: false };
    client.configure(config).then((reply) => {
      if (reply && !reply.ok) showMessage(`Setting refused: ${reply.error.field}: ${reply.error.message}`);
    });
  }

  // Answers of the WebRTC transport: the picture is in the video track,
  // the data channel says how the frame went.
  function onTrackAnswer(reply) {
    const now = performance.now();
    state.answered.push(now);
    state.answeredTotal = (state.answeredTotal || 0) + 1;
    state.faces = reply.faces;
    if (reply.dropped !== undefined) state.dropped = reply.dropped;
    if (reply.timings) state.serverMs = reply.timings.total;
  }

  function onAnswer(id, reply) {
    const now = performance.now();
    const sentAt = state.inFlight.get(id);
    const sentURL = state.lastSent.get(id);
    state.inFlight.delete(id);
    state.lastSent.delete(id);
    if (reply.dropped !== undefined) state.dropped = reply.dropped;
    if (reply.error) return; // dropped by the server, or refused (the error event says why)
    if (sentAt !== undefined) state.rtts.push([now, now - sentAt]);
    state.answered.push(now);
    state.answeredTotal = (state.answeredTotal || 0) + 1;
    state.faces = reply.faces;
    if (reply.image) {
      output.src = reply.image;
      state.lastPair = { id, sent: sentURL, answered: reply.blob || reply.image, rtt: sentAt === undefined ? null : now - sentAt };
    }
    if (client) { state.bytesUp = client.bytes.up; state.bytesDown = client.bytes.down; state.frames = client.bytes.frames; }
  }

  // ---- sending ----
  function captureAndSend(now) {
    const vw = video.videoWidth, vh = video.videoHeight;
    if (!vw || !vh) return;
    if (canvas.width !== vw || canvas.height !== vh) { canvas.width = vw; canvas.height = vh; }
    // Mirroring happens here rather than with CSS on the answer, so the
    // server's FPS text reads the right way round.
    if (ui.mirror.checked) ctx.setTransform(-1, 0, 0, 1, vw, 0);
    else ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(video, 0, 0, vw, vh);
    const id = state.nextId++;
    state.inFlight.set(id, now);
    state.sent.push(now);
    state.lastSend = now;
    const c = client;
    canvas.toBlob((jpeg) => {
      if (!jpeg || c !== client) { state.inFlight.delete(id); return; }
      state.lastSent.set(id, jpeg);
      c.send(jpeg, id).then((reply) => onAnswer(id, reply || {}));
    }, 'image/jpeg', Number(ui.quality.value));
  }

  function tick() {
    requestAnimationFrame(tick);
    if (!state.running || state.paused || !client || !client.connected || client.transport === 'webrtc') return;
    const now = performance.now();
    // Forget answers that never came (a lost connection), so sending resumes.
    for (const [id, t] of state.inFlight) {
      if (now - t > ANSWER_TIMEOUT_MS) { state.inFlight.delete(id); state.lastSent.delete(id); }
    }
    const interval = 1000 / Math.max(1, Number(ui.fps.value) || 15);
    if (now - state.lastSend < interval) return;
    // In "ack" pacing the next frame waits for an answer, so a slow link or
    // server never builds a queue. "timer" sends on the clock regardless,
    // as the classic tutorial does; kept for comparison.
    if (ui.pacing.value === 'ack' && state.inFlight.size >= Math.max(1, Number(ui.inflight.value) || 1)) return;
    captureAndSend(now);
  }

  // ---- stats ----
  function prune(list, now) {
    while (list.length && now - (Array.isArray(list[0]) ? list[0][0] : list[0]) > 1000) list.shift();
  }
  function computeStats(now) {
    prune(state.sent, now); prune(state.answered, now); prune(state.rtts, now);
    const rtts = state.rtts.map((r) => r[1]).sort((a, b) => a - b);
    return {
      sent: state.sent.length, answered: state.answered.length,
      rttMedian: rtts.length ? rtts[Math.floor(rtts.length / 2)] : null,
      dropped: state.dropped, faces: state.faces, errors: state.errors, inFlight: state.inFlight.size,
      transport: state.transport, watch: state.watch, answeredTotal: state.answeredTotal || 0, fallback: !!state.fallback,
      webrtc: state.webrtc || null,
      bytesUpPerFrame: state.frames ? Math.round(state.bytesUp / state.frames) : null,
      bytesDownPerFrame: state.frames ? Math.round(state.bytesDown / state.frames) : null,
    };
  }
  setInterval(() => {
    const s = computeStats(performance.now());
    $('stat-sent').textContent = s.sent;
    $('stat-answered').textContent = s.answered;
    $('stat-rtt').textContent = s.rttMedian === null ? '–' : Math.round(s.rttMedian);
    $('stat-dropped').textContent = s.dropped;
    $('stat-faces').textContent = s.faces;
    $('stat-transport').textContent = s.transport || '–';
    $('stat-up').textContent = s.bytesUpPerFrame === null ? '–' : (s.bytesUpPerFrame / 1024).toFixed(1);
    $('stat-down').textContent = s.bytesDownPerFrame === null ? '–' : (s.bytesDownPerFrame / 1024).toFixed(1);
    if (client && client.transport === 'webrtc') {
      const pc = client.pc;
      webrtcStats(pc, state.webrtcPrev).then((w) => {
        state.webrtcPrev = w;
        if (w.fps === undefined) return;
        // Capture to display, estimated: the network's round trip (up and
        // down), the server's time for the frame, the jitter buffer.
        const latency = (w.rtt || 0) + (state.serverMs || 0) + (w.jitterDelay || 0);
        state.webrtc = { fps: w.fps, kbpsIn: w.kbpsIn, kbpsOut: w.kbpsOut, latency };
        $('stat-fps-in').textContent = w.fps.toFixed(0);
        $('stat-kbps-in').textContent = w.kbpsIn.toFixed(0);
        $('stat-kbps-out').textContent = w.kbpsOut.toFixed(0);
        $('stat-latency').textContent = latency.toFixed(0);
      });
    }
  }, 500);

  // ---- controls ----
  const applyMirror = () => video.classList.toggle('mirrored', ui.mirror.checked);
  ui.mirror.addEventListener('change', applyMirror);
  // A new camera stream replaces the WebRTC track in place.
  const restartCamera = () => startCamera().then((ok) => {
    if (ok && client && client.replaceTrack) client.replaceTrack(video.srcObject.getVideoTracks()[0]);
  });
  ui.resolution.addEventListener('change', restartCamera);
  ui.camera.addEventListener('change', restartCamera);
  // While the page's own video job runs, the live camera pauses: the server
  // gives live frames the CPU first, so a camera sending beside the job
  // would slow it several times over (videos.js says when it starts and ends).
  window.addEventListener('tryon-video-job', (e) => {
    state.paused = e.detail.running;
    if (client && client.transport === 'webrtc' && client.replaceTrack && video.srcObject) {
      client.replaceTrack(state.paused ? null : video.srcObject.getVideoTracks()[0]);
    }
    if (client) setStatus(state.paused ? 'camera paused while your video is processed' : `connected (${state.transport})`);
  });

  ui.transport.addEventListener('change', () => { state.bytesUp = state.bytesDown = state.frames = 0; openTransport(); });
  for (const el of [ui.lipstick, ui.color, ui.strength, ui.glasses]) el.addEventListener('input', sendConfig);
  onMakeupChange(sendConfig);
  ui.toggle.addEventListener('click', () => {
    state.running = !state.running;
    ui.toggle.textContent = state.running ? 'Pause' : 'Resume';
    ui.toggle.setAttribute('aria-label', ui.toggle.textContent);
    // WebRTC sends the camera's track itself: pausing takes it off the connection.
    if (client && client.replaceTrack) client.replaceTrack(state.running ? video.srcObject.getVideoTracks()[0] : null);
  });
  // The snapshot: the newest answer (or the WebRTC video's current frame)
  // in a preview, with Save (a download) and Share (the Web Share API, with
  // the picture as a file, where the browser has it).
  const dialog = $('snapshot-dialog'), shot = $('snapshot-image'), save = $('snapshot-save'), share = $('snapshot-share');
  let snapshotFile = null;
  async function takeSnapshot() {
    let blob, sent = null;
    if (outputVideo.hidden) {
      const p = state.lastPair;
      if (!p) return;
      blob = typeof p.answered === 'string' ? await (await fetch(p.answered)).blob() : p.answered;
      sent = p.sent;
    } else { // WebRTC: the picture is the video's current frame
      if (!outputVideo.videoWidth) return;
      const c = document.createElement('canvas');
      c.width = outputVideo.videoWidth; c.height = outputVideo.videoHeight;
      c.getContext('2d').drawImage(outputVideo, 0, 0);
      blob = await new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', 0.92));
    }
    const name = `tryon-${new Date().toISOString().replace(/[:.]/g, '-')}.jpg`;
    if (shot.src.startsWith('blob:')) URL.revokeObjectURL(shot.src);
    const url = URL.createObjectURL(blob);
    shot.src = url; save.href = url; save.download = name;
    snapshotFile = new File([blob], name, { type: 'image/jpeg' });
    share.hidden = !(navigator.canShare && navigator.canShare({ files: [snapshotFile] }));
    state.snapshot = { sent, image: blob };
    if (!dialog.open) dialog.showModal();
  }
  ui.snapshot.addEventListener('click', () => { takeSnapshot(); });
  share.addEventListener('click', () => {
    if (snapshotFile) navigator.share({ files: [snapshotFile], title: 'My try-on' }).catch(() => {});
  });
  $('snapshot-close').addEventListener('click', () => dialog.close());
  // Read by the browser test: the snapshot shown, and the frame it answers.
  window.tryon.snapshotDataURLs = async () => state.snapshot && {
    sent: state.snapshot.sent ? await blobToDataURL(state.snapshot.sent) : null,
    image: await blobToDataURL(state.snapshot.image),
  };
  // Test and link hooks: ?pacing=timer&fps=30 preset the controls.
  const params = new URLSearchParams(location.search);
  for (const [k, v] of params) {
    if (!ui[k] || ui[k].tagName === 'BUTTON') continue;
    if (ui[k].type === 'checkbox') ui[k].checked = v !== '0' && v !== 'false';
    else ui[k].value = v;
  }

  applyMirror();
  cameraReady = startCamera();
  openTransport();
  cameraReady.then(() => requestAnimationFrame(tick));
}
