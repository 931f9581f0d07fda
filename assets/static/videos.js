// The page's "Upload a video" panel: the file goes to POST /api/v1/videos
// with the effects chosen on the page; progress comes as Server-Sent
// Events; the frames show as they are finished (MJPEG) and the result
// plays, and downloads, when done. See docs/protocol.md, "Uploaded videos".
import { makeupSelection } from './makeup.js';
{
  const $ = (id) => document.getElementById(id);
  const ui = {
    file: $('video-file'), upload: $('video-upload'), cancel: $('video-cancel'),
    sent: $('video-upload-progress'), progress: $('video-progress'), status: $('video-status'),
    error: $('video-error'), preview: $('video-preview'), result: $('video-result'), download: $('video-download'),
  };
  // Read by the browser test; harmless for people.
  const state = window.tryonVideo = { job: null, state: '', error: null };
  let xhr = null, events = null;

  // The effects chosen in the page's controls, as the config message has
  // them: a look and its changes, or the whole list.
  const effects = () => {
    const { look, effects: fx } = makeupSelection();
    if ($('glasses').value) fx.push({ name: 'glasses', style: $('glasses').value, ...(window.tryonGlasses?.extra() || {}) });
    return JSON.stringify(look ? { look, effects: fx } : fx);
  };

  const show = (el, on) => { el.hidden = !on; };
  // The live camera pauses while the page's own job runs (app.js).
  const running = (on) => window.dispatchEvent(new CustomEvent('tryon-video-job', { detail: { running: on } }));
  // What to do about a refusal, in plain words, by its code; the code and
  // the server's own message follow for developers.
  const advice = {
    not_video: 'This file is not a video we can read. Choose an MP4, MOV, WebM or MKV clip.',
    corrupt: 'This video seems damaged. Try recording or exporting it again.',
    empty: 'The file is empty. Choose another one.',
    too_large: 'This video is too large to upload. Try a shorter clip.',
    too_long: 'This video is too long. Try a shorter clip.',
    too_many_pixels: 'This video is too large in picture size. Try a smaller resolution.',
    busy: 'The server is busy with other videos. Try again in a minute.',
    no_space: 'The server has no room for this video now. Try again later.',
    timeout: 'The video took too long to process. Try a shorter clip.',
    interrupted: 'The server restarted while processing. Upload the video again.',
    internal: 'The server failed on this video. Try again; if it happens again, the video may be unusual.',
  };
  const plain = (err) => err && err.code
    ? `${advice[err.code] || 'The video could not be processed.'} (${err.code}: ${err.message})`
    : String(err);
  const fail = (message) => {
    state.error = message;
    state.state = 'failed';
    ui.error.textContent = message;
    show(ui.error, true);
    ui.status.textContent = 'failed';
    // Nothing of an earlier result stays under the error.
    ui.result.removeAttribute('src'); ui.result.load();
    show(ui.result, false); show(ui.download, false);
    ui.download.removeAttribute('href');
    ui.sent.value = 0; ui.progress.value = 0;
    finish();
  };
  const finish = () => {
    running(false);
    if (events) { events.close(); events = null; }
    xhr = null;
    ui.preview.removeAttribute('src'); // ends the MJPEG stream
    show(ui.preview, false);
    show(ui.cancel, false);
    ui.upload.disabled = !ui.file.files.length;
  };
  const seconds = (s) => s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;

  ui.file.addEventListener('change', () => { ui.upload.disabled = !ui.file.files.length; });

  ui.upload.addEventListener('click', () => {
    const file = ui.file.files[0];
    if (!file) return;
    show(ui.error, false); show(ui.result, false); show(ui.download, false);
    ui.result.removeAttribute('src'); ui.result.load();
    state.error = null; state.job = null; state.state = 'uploading';
    ui.sent.value = 0; ui.progress.value = 0;
    ui.status.textContent = 'uploading…';
    running(true);
    ui.upload.disabled = true;
    show(ui.cancel, true);
    const form = new FormData();
    form.append('effects', effects()); // before the file: the server reads the form in order
    form.append('file', file, file.name);
    xhr = new XMLHttpRequest(); // fetch reports no upload progress
    xhr.open('POST', '/api/v1/videos');
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) ui.sent.value = e.loaded / e.total; };
    xhr.onerror = () => fail('The upload stopped: the connection to the server was lost. Check the network and try again.');
    xhr.onload = () => {
      const body = xhr.response || {};
      if (xhr.status !== 201) {
        fail(body.error ? plain(body.error) : `The upload failed (HTTP ${xhr.status}). Try again.`);
        return;
      }
      ui.sent.value = 1;
      follow(body);
    };
    xhr.send(form);
  });

  ui.cancel.addEventListener('click', () => {
    if (xhr && !state.job) xhr.abort();
    if (state.job) fetch(state.job.links.self, { method: 'DELETE' });
    ui.status.textContent = 'cancelled';
    state.state = 'cancelled';
    finish();
  });

  // follow shows a job's progress until it is finished.
  const follow = (job) => {
    state.job = job;
    events = new EventSource(job.links.events);
    const update = (e) => {
      const j = JSON.parse(e.data);
      state.state = j.state;
      if (j.frames_total) ui.progress.value = j.frames_done / j.frames_total;
      if (j.state === 'queued') ui.status.textContent = `waiting: ${j.queue_position} ahead in the queue`;
      if (j.state === 'processing') {
        // The rate, and so the time left, means something only once some
        // frames are done: before that the server's estimate is 0 or wild.
        const left = j.fps > 0 && j.frames_done >= 10 ? `${seconds(j.time_left_s)} left` : 'estimating the time left…';
        ui.status.textContent = `frame ${j.frames_done} of ${j.frames_total} · ${left}`;
        if (!ui.preview.src) { ui.preview.src = job.links.watch; show(ui.preview, true); }
      }
      if (j.state === 'done') {
        ui.progress.value = 1;
        ui.status.textContent = `done: ${j.frames_done} frames at ${j.fps} frames/s`;
        ui.result.src = job.links.result;
        ui.download.href = job.links.result + '?download';
        show(ui.result, true); show(ui.download, true);
        finish();
      }
      if (j.state === 'failed' || j.state === 'cancelled') fail(j.error ? plain(j.error) : `The job was ${j.state}.`);
    };
    for (const name of ['queued', 'processing', 'done', 'failed', 'cancelled']) events.addEventListener(name, update);
    events.addEventListener('removed', () => fail('The job was removed.'));
    events.onerror = () => { if (events && events.readyState === EventSource.CLOSED) fail('Lost the progress events.'); };
  };
}
