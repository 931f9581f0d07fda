// The try-on page: camera frames go to the server as JPEG data URLs in
// "image" events; processed frames come back in "response_back".
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const video = $('preview'), output = $('output'), canvas = $('capture');
  const ctx = canvas.getContext('2d');
  const ui = {
    fps: $('fps'), quality: $('quality'), resolution: $('resolution'),
    pacing: $('pacing'), mirror: $('mirror'), toggle: $('toggle'),
  };

  const state = {
    running: true,
    inFlight: [],   // send times of frames not yet answered, oldest first
    maxInFlight: 1, // in "ack" pacing: frames sent before an answer is needed
    lastSend: 0,
    sent: [], answered: [], rtts: [], errors: 0,
  };

  function showMessage(text) {
    const m = $('message');
    m.textContent = text;
    m.hidden = !text;
  }
  function setStatus(text) { $('status').textContent = text; }

  // ---- camera ----
  async function startCamera() {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showMessage('The camera needs a secure page: open this page over https://, or as http://localhost on this computer. ' +
        'Browsers give the camera only to secure pages, so a plain http:// link to another machine cannot use it.');
      setStatus('no camera');
      return false;
    }
    const [w, h] = ui.resolution.value.split('x').map(Number);
    if (video.srcObject) video.srcObject.getTracks().forEach((t) => t.stop());
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { width: { ideal: w }, height: { ideal: h }, facingMode: 'user' },
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

  // ---- socket ----
  const socket = io({ transports: ['websocket', 'polling'] });
  socket.on('connect', () => setStatus('connected'));
  socket.on('disconnect', (reason) => { setStatus(`disconnected (${reason})`); state.inFlight = []; });
  socket.on('connect_error', (err) => setStatus(`cannot reach the server: ${err.message}`));
  socket.on('response_back', (dataURL) => {
    const now = performance.now();
    const sentAt = state.inFlight.shift();
    if (sentAt !== undefined) state.rtts.push([now, now - sentAt]);
    state.answered.push(now);
    output.src = dataURL;
  });
  socket.on('error', (err) => {
    state.errors++;
    state.inFlight.shift();
    showMessage(`Server refused a frame: ${err && err.message ? err.message : err}`);
  });

  // ---- sending ----
  function captureAndSend(now) {
    const vw = video.videoWidth, vh = video.videoHeight;
    if (!vw || !vh) return;
    if (canvas.width !== vw || canvas.height !== vh) { canvas.width = vw; canvas.height = vh; }
    // Mirroring happens here, not with CSS on the answer, so the server's
    // FPS text reads the right way round.
    if (ui.mirror.checked) ctx.setTransform(-1, 0, 0, 1, vw, 0);
    else ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(video, 0, 0, vw, vh);
    socket.emit('image', canvas.toDataURL('image/jpeg', Number(ui.quality.value)));
    state.inFlight.push(now);
    state.sent.push(now);
    state.lastSend = now;
  }

  function tick() {
    requestAnimationFrame(tick);
    if (!state.running || !socket.connected) return;
    const now = performance.now();
    const interval = 1000 / Math.max(1, Number(ui.fps.value) || 15);
    if (now - state.lastSend < interval) return;
    if (ui.pacing.value === 'ack') {
      // Wait for the answer before sending more, so a slow link or server
      // never builds a queue; give up on an answer after 2 s.
      while (state.inFlight.length && now - state.inFlight[0] > 2000) state.inFlight.shift();
      if (state.inFlight.length >= state.maxInFlight) return;
    }
    captureAndSend(now);
  }

  // ---- stats ----
  function perSecond(list, now) {
    while (list.length && now - (Array.isArray(list[0]) ? list[0][0] : list[0]) > 1000) list.shift();
    return list.length;
  }
  setInterval(() => {
    const now = performance.now();
    $('stat-sent').textContent = perSecond(state.sent, now);
    $('stat-answered').textContent = perSecond(state.answered, now);
    perSecond(state.rtts, now);
    const rtts = state.rtts.map((r) => r[1]).sort((a, b) => a - b);
    $('stat-rtt').textContent = rtts.length ? Math.round(rtts[Math.floor(rtts.length / 2)]) : '–';
    $('stat-errors').textContent = state.errors;
  }, 500);

  // ---- controls ----
  function applyMirror() {
    video.classList.toggle('mirrored', ui.mirror.checked);
  }
  ui.mirror.addEventListener('change', applyMirror);
  ui.resolution.addEventListener('change', startCamera);
  ui.toggle.addEventListener('click', () => {
    state.running = !state.running;
    ui.toggle.textContent = state.running ? 'Stop' : 'Start';
  });

  applyMirror();
  startCamera().then(() => requestAnimationFrame(tick));
})();
