// tryon-client.js: one small API over each of the server's transports, for
// frontends. No build step: import it as an ES module from the server.
//
//   import { connect } from '/static/tryon-client.js';
//   const c = await connect({ transport: 'ws' });      // 'socketio' | 'ws' | 'http'
//   c.onLandmarks = (m) => ...;  c.onError = (e) => ...;
//   await c.configure({ effects: [{ name: 'glasses', style: 'aviator' }] });
//   const a = await c.send(jpegBlob, 17);  // {id, image (a URL for <img>, valid until the next answer), blob, faces, fps, dropped, tracked, timings, error}
//   c.watchURL;  // the link where anyone (with the key) watches the answers
//   c.bytes;     // {up, down, frames}: bytes on the wire, as far as the page can count them
//
// The watch link stays the same across a page's connections (transport
// switches, reconnects) unless connect is given keepWatch: false.
//
// Socket.IO needs the socket.io client loaded first (/static/vendor/...).
// See docs/protocol.md for the messages underneath.

import { keepWatchLink } from './watch-link.js';

const b64 = (blob) => new Promise((resolve, reject) => {
  const r = new FileReader();
  r.onload = () => resolve(r.result);
  r.onerror = () => reject(r.error);
  r.readAsDataURL(blob);
});

function withKey(url, key) {
  if (!key) return url;
  const u = new URL(url, location.href);
  u.searchParams.set('key', key);
  return u.toString();
}

class Base {
  constructor(opts) {
    this.server = opts.url || location.origin;
    this.key = opts.key || new URLSearchParams(location.search).get('key') || '';
    this.transport = opts.transport;
    this.keepWatch = opts.keepWatch !== false;
    this.bytes = { up: 0, down: 0, frames: 0 };
    this.session = null;
    this.onLandmarks = null; this.onError = null; this.onSession = null; this.onClose = null;
    this.lastURL = null;
  }
  get watchURL() {
    return this.session && this.session.watch ? withKey(new URL(this.session.watch, this.server).toString(), this.key) : '';
  }
  _session(info) {
    this.session = info;
    if (this.onSession) this.onSession(info);
    if (!this.keepWatch) return;
    keepWatchLink(this, info, this.server).then((kept) => {
      if (kept === info || this.session !== info) return;
      this.session = kept;
      if (this.onSession) this.onSession(kept);
    });
  }
  // Object URLs of answers are freed once the next one is shown.
  _objectURL(blob) {
    if (this.lastURL) URL.revokeObjectURL(this.lastURL);
    this.lastURL = URL.createObjectURL(blob);
    return this.lastURL;
  }
}

class SocketIOClient extends Base {
  async open() {
    if (!window.io) throw new Error('load the socket.io client before using the socketio transport');
    this.socket = window.io(this.server, { query: this.key ? { key: this.key } : {} });
    this.socket.on('session', (s) => this._session(s));
    this.socket.on('landmarks', (m) => { this.bytes.down += JSON.stringify(m).length; if (this.onLandmarks) this.onLandmarks(m); });
    this.socket.on('error', (e) => { if (e && e.code && this.onError) this.onError(e); });
    this.socket.on('disconnect', (why) => { if (this.onClose) this.onClose(why); });
    await new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('connect_error', (err) => reject(err));
    });
  }
  get connected() { return this.socket.connected; }
  async send(jpeg, id) {
    const image = typeof jpeg === 'string' ? jpeg : await b64(jpeg);
    this.bytes.up += image.length + 20;
    return new Promise((resolve) => {
      this.socket.emit('image', { id, image }, (reply) => {
        reply = reply || {};
        this.bytes.down += (reply.image ? reply.image.length : 0) + 120;
        this.bytes.frames++;
        resolve(reply);
      });
    });
  }
  configure(cfg) { return new Promise((resolve) => this.socket.emit('config', cfg, resolve)); }
  close() { this.socket.close(); }
}

class WebSocketClient extends Base {
  async open() {
    const u = new URL('/ws', this.server);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    this.ws = new WebSocket(withKey(u.toString(), this.key));
    this.ws.binaryType = 'blob';
    this.waiting = new Map(); // frame id -> resolve
    this.configs = [];        // resolves, in order
    this.answering = null;    // the answer whose binary comes next
    this.ws.onmessage = (ev) => this._message(ev.data);
    this.ws.onclose = (ev) => {
      for (const resolve of this.waiting.values()) resolve({ error: { code: 'closed', message: ev.reason || 'connection closed' } });
      this.waiting.clear();
      if (this.onClose) this.onClose(`${ev.code} ${ev.reason}`);
    };
    await new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = () => reject(new Error('cannot open the WebSocket'));
    });
  }
  get connected() { return this.ws.readyState === WebSocket.OPEN; }
  _message(data) {
    if (data instanceof Blob) {
      this.bytes.down += data.size;
      data = new Blob([data], { type: 'image/jpeg' });
      const a = this.answering;
      this.answering = null;
      if (a && this.waiting.has(a.id)) {
        const resolve = this.waiting.get(a.id);
        this.waiting.delete(a.id);
        this.bytes.frames++;
        resolve({ ...a, image: this._objectURL(data), blob: data });
      }
      return;
    }
    this.bytes.down += data.length;
    const { event, data: d } = JSON.parse(data);
    switch (event) {
      case 'session': this._session(d); break;
      case 'config': { const r = this.configs.shift(); if (r) r(d); break; }
      case 'landmarks': if (this.onLandmarks) this.onLandmarks(d); break;
      case 'answer':
        if (d.error) { this._settle(d.id, d); } else { this.answering = d; }
        break;
      case 'error':
        if (d.id !== undefined) this._settle(d.id, { id: d.id, error: d });
        if (this.onError) this.onError(d);
        break;
    }
  }
  _settle(id, reply) {
    const resolve = this.waiting.get(id);
    if (resolve) { this.waiting.delete(id); resolve(reply); }
  }
  send(jpeg, id) {
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      const head = JSON.stringify({ event: 'frame', data: { id } });
      this.ws.send(head);
      this.ws.send(jpeg);
      this.bytes.up += head.length + jpeg.size;
    });
  }
  configure(cfg) {
    return new Promise((resolve) => { this.configs.push(resolve); this.ws.send(JSON.stringify({ event: 'config', data: cfg })); });
  }
  close() { this.ws.close(1000, 'bye'); }
}

// HTTP per frame: one POST each; settings ride on the next frame.
class HTTPClient extends Base {
  async open() { this.sessionID = ''; this.pendingConfigs = []; this.live = true; }
  get connected() { return this.live; }
  async send(jpeg, id) {
    const headers = { 'Content-Type': 'image/jpeg', 'X-Frame-Id': String(id) };
    if (this.sessionID) headers['X-Session-Id'] = this.sessionID;
    const cfg = this.pendingConfigs.shift();
    if (cfg) headers['X-Config'] = JSON.stringify(cfg.value);
    const headerBytes = 250 + Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    this.bytes.up += jpeg.size + headerBytes;
    let resp;
    try {
      resp = await fetch(withKey(new URL('/api/v1/frames', this.server).toString(), this.key), { method: 'POST', headers, body: jpeg });
    } catch (err) {
      return { id, error: { code: 'network', message: String(err) } };
    }
    const sid = resp.headers.get('X-Session-Id');
    if (sid && sid !== this.sessionID) {
      this.sessionID = sid;
      this._session({ id: sid, transport: 'http', watch: resp.headers.get('X-Watch-URL') || '', watch_key: resp.headers.get('X-Watch-Key') || '' });
    }
    if (!resp.ok) {
      const body = await resp.json().catch(() => ({ error: { code: String(resp.status), message: resp.statusText } }));
      this.bytes.down += 300 + JSON.stringify(body).length;
      if (resp.status === 404 && body.error.code === 'unknown_session') this.sessionID = ''; // expired: start anew
      if (cfg) cfg.resolve({ ok: false, error: body.error });
      if (this.onError && body.error.code !== 'dropped') this.onError(body.error);
      return { id, error: body.error };
    }
    if (cfg) cfg.resolve({ ok: true, config: cfg.value, watch: resp.headers.get('X-Watch-URL') || undefined });
    const blob = await resp.blob();
    this.bytes.down += blob.size + 400;
    this.bytes.frames++;
    const num = (h) => Number(resp.headers.get(h) || 0);
    return { id, image: this._objectURL(blob), blob, faces: num('X-Faces'), fps: num('X-FPS'), dropped: num('X-Dropped'),
      tracked: resp.headers.get('X-Tracked') === 'true' };
  }
  // Settings ride on the next frame; several before it are merged, field
  // by field, and resolve with its reply. A watch_key goes on a frame of
  // its own: the server refuses a config whole when its key is refused.
  configure(value) {
    const last = this.pendingConfigs[this.pendingConfigs.length - 1];
    return new Promise((resolve) => {
      if (last && !('watch_key' in last.value) && !('watch_key' in value)) {
        const prev = last.resolve;
        last.value = { ...last.value, ...value };
        last.resolve = (r) => { prev(r); resolve(r); };
      } else {
        this.pendingConfigs.push({ value, resolve });
      }
    });
  }
  close() {
    this.live = false;
    if (this.sessionID) fetch(new URL('/api/v1/frames?session=' + this.sessionID, this.server), { method: 'DELETE' }).catch(() => {});
  }
}

const transports = { socketio: SocketIOClient, ws: WebSocketClient, http: HTTPClient };

// connect opens a client over the chosen transport.
export async function connect(opts = {}) {
  const T = transports[opts.transport || 'socketio'];
  if (!T) throw new Error(`unknown transport ${opts.transport}; use socketio, ws or http`);
  const c = new T({ ...opts, transport: opts.transport || 'socketio' });
  await c.open();
  return c;
}
