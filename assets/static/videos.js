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
    if ($('glasses').value) fx.push({ name: 'glasses', style: $('glasses').value });
    return JSON.stringify(look ? { look, effects: fx } : fx);
  };

  const show = (el, on) => { el.hidden = !on; };
  const fail = (message) => {
    state.error = message;
    ui.error.textContent = message;
    show(ui.error, true);
    finish();
  };
  const finish = () => {
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
    ui.sent.value = 0; ui.progress.value = 0;
    ui.status.textContent = 'uploading…';
    ui.upload.disabled = true;
    show(ui.cancel, true);
    const form = new FormData();
    form.append('effects', effects()); // before the file: the server reads the form in order
    form.append('file', file, file.name);
    xhr = new XMLHttpRequest(); // fetch reports no upload progress
    xhr.open('POST', '/api/v1/videos');
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) ui.sent.value = e.loaded / e.total; };
    xhr.onerror = () => fail('The upload failed: the connection was lost.');
    xhr.onload = () => {
      const body = xhr.response || {};
      if (xhr.status !== 201) {
        fail(body.error ? `${body.error.message} (${body.error.code})` : `The upload failed: HTTP ${xhr.status}.`);
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
        ui.status.textContent = `frame ${j.frames_done} of ${j.frames_total} · ${j.fps} frames/s · ${seconds(j.time_left_s)} left`;
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
      if (j.state === 'failed' || j.state === 'cancelled') fail(j.error ? `${j.error.message} (${j.error.code})` : `The job was ${j.state}.`);
    };
    for (const name of ['queued', 'processing', 'done', 'failed', 'cancelled']) events.addEventListener(name, update);
    events.addEventListener('removed', () => fail('The job was removed.'));
    events.onerror = () => { if (events && events.readyState === EventSource.CLOSED) fail('Lost the progress events.'); };
  };
}
