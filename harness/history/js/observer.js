// The observer page's recorder. A page receives `storage` events for writes made by OTHER pages
// of its origin — including writes during beforeunload/pagehide of a closing page — so this page,
// which runs no tracker, sees every write. It sends deltas, not values, to keep day-long runs cheap.
(() => {
  if (window.__tankObserving) return;
  window.__tankObserving = true;
  const watched = new Set(window.__tankWatchedKeys || []);
  const syncKey = "__tank_sync";

  const parse = (value) => {
    if (value === null || value === undefined) return { list: [], error: null };
    try {
      const v = JSON.parse(value);
      if (!Array.isArray(v)) return { list: null, error: "not a JSON array (" + (v === null ? "null" : typeof v) + ")" };
      return { list: v, error: null };
    } catch (e) { return { list: null, error: "not JSON: " + String(e.message || e) }; }
  };
  const byId = (list) => {
    const m = new Map();
    for (const item of list || []) {
      if (item && typeof item === "object" && item.id !== undefined && item.id !== null && item.id !== "") m.set(String(item.id), item);
    }
    return m;
  };
  // Same JSON value, keys in the same order: what comparing JSON.stringify of two parsed items
  // says, without building the strings.
  const same = (x, y) => {
    if (x === y) return true;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    const list = Array.isArray(x);
    if (list !== Array.isArray(y)) return false;
    if (list) {
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!same(x[i], y[i])) return false;
      return true;
    }
    const kx = Object.keys(x), ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (let i = 0; i < kx.length; i++) if (kx[i] !== ky[i] || !same(x[kx[i]], y[kx[i]])) return false;
    return true;
  };
  // The last value seen of each key, parsed: a day-long run writes a 100-entry outbox thousands of
  // times, and each event's old value is the previous event's new value (parsed again if it is not).
  const lastOf = new Map();
  const parsedIds = (key, value) => {
    const last = lastOf.get(key);
    if (last !== undefined && value === last.value) return [last.parsed, last.ids];
    const p = parse(value);
    return [p, p.list === null ? null : byId(p.list)];
  };
  const delta = (oldValue, newValue, key) => {
    const [before, a0] = parsedIds(key, oldValue);
    const after = parse(newValue);
    if (after.list === null) {
      lastOf.delete(key);
      return { added: [], changed: [], removed: [...(a0 || byId(before.list)).keys()], length: null,
               parse_error: after.error, raw_sample: String(newValue).slice(0, 200) };
    }
    const a = a0 || new Map(), b = byId(after.list);
    lastOf.set(key, { value: newValue, parsed: after, ids: b });
    const added = [], changed = [], removed = [];
    for (const [id, item] of b) {
      if (!a.has(id)) added.push(item);
      else if (!same(a.get(id), item)) changed.push(item);
    }
    for (const id of a.keys()) if (!b.has(id)) removed.push(id);
    const unidentified = after.list.length - b.size;
    return { added, changed, removed, length: after.list.length,
             parse_error: unidentified > 0 ? unidentified + " entries without an id" : null, raw_sample: null };
  };

  // Messages go out in order, as JSON text, over a raw CDP binding (context.py): one event per call,
  // with nothing sent back (a Playwright binding costs a round trip through the driver and an
  // evaluate into the page to resolve its promise). Writes are gathered for WINDOW_MS of real time,
  // so a burst (a day of bulk timers) is a few calls, not one per write; a flush token goes at once
  // with everything before it. Each message carries the real time it was seen (`w`, ms): Python
  // dates the write by it, not by when the batch arrived.
  const send = window.__tankStorage;
  const embedder = globalThis.__pwClock && globalThis.__pwClock.controller && globalThis.__pwClock.controller._embedder;
  const realNow = embedder ? () => embedder.dateNow() : () => Date.now();  // the page clock is fake
  const later = embedder ? (f, ms) => embedder.setTimeout(f, ms) : (f, ms) => setTimeout(f, ms);
  const WINDOW_MS = 10;  // well under VirtualClock.quiet's 50-80 ms: an unload write is still seen in time
  let queue = [], due = false;
  const pump = () => {
    due = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    try { send(JSON.stringify(batch)); } catch (e) { /* page closing */ }
  };
  const report = (msg) => {
    msg.w = realNow();
    queue.push(msg);
    if (msg.sync !== undefined) pump();
    else if (!due) { due = true; later(pump, WINDOW_MS); }
  };
  // The writing page's time and its page load ("time|tab#load|n"), written just before its watched
  // write (instrument.js). A write without a stamp (not through setItem/removeItem, or clear())
  // goes with t null: Python dates it by the page time when the observer saw it (`w`). This page's
  // own clock is not stepped with the tabs (one round trip per clock stop): its Date.now() lags.
  let stamp = null, writer = null;
  const when = () => { const t = stamp; stamp = null; return t; };
  const who = () => { const w = writer; writer = null; return w; };
  window.addEventListener("storage", (e) => {
    if (e.storageArea !== window.localStorage) return;
    if (e.key === "__tank_t") {
      const [time, ...rest] = String(e.newValue).split("|");
      const t = Number(time);
      stamp = t > 0 ? t : null;
      writer = t > 0 && rest.length ? rest[0] : null;  // "tab#load"; rest[1] only keeps the stamp new
      return;
    }
    if (e.key === syncKey) { report({ sync: e.newValue }); return; }
    if (e.key === null) {  // localStorage.clear(): Python knows what was there
      for (const key of watched) report({ key, t: null, url: e.url, cleared: true });
      return;
    }
    if (!watched.has(e.key)) return;
    const w = who();
    report({ key: e.key, t: when(), url: e.url, writer: w, ...delta(e.oldValue, e.newValue, e.key) });
  });
  window.__tankDelta = delta;
})();
