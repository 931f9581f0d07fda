// watch-link.js: one watch link per page, whatever its connections.
//
// Each connection's session message gives a watch link and a watch_key for
// the page alone. The first is kept (in sessionStorage: a reload in the
// same tab keeps it too); every later connection, on any transport, sends
// the kept key in a config message, and the server carries the old link on
// if it is within its grace time (--watch-grace, 15 s): a link or QR code
// already shared keeps working across transport switches and reconnects.
// See docs/protocol.md, "Watching a session".

const storeKey = 'tryon-watch';

const kept = {
  get() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || 'null'); } catch { return null; }
  },
  set(v) {
    try { sessionStorage.setItem(storeKey, JSON.stringify(v)); } catch { /* storage off: one connection's link */ }
  },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// keepWatchLink is called with a connection's session message. client has
// configure(settings) → Promise(reply) and connected; server names the
// server, so that links of different servers are not mixed. It resolves
// to the session as it stands: info with the kept link, or info itself.
export async function keepWatchLink(client, info, server) {
  const prev = kept.get();
  const own = () => { if (info.watch_key) kept.set({ server, watch: info.watch, key: info.watch_key }); return info; };
  if (!prev || !prev.key || prev.server !== server || prev.watch === info.watch) return own();
  // The server may not have seen the previous connection close yet (the
  // page closed it just before opening this one): try for a second or two.
  for (let attempt = 0; attempt < 5; attempt++) {
    const reply = await client.configure({ watch_key: prev.key });
    if (reply && reply.ok && reply.watch) {
      kept.set({ server, watch: reply.watch, key: prev.key });
      return { ...info, watch: reply.watch, watch_key: prev.key };
    }
    if (!client.connected) return info;
    await sleep(400);
  }
  return own(); // the old link has ended: this connection's is the page's now
}
