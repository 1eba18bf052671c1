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
  const idOf = (item) =>
    item && typeof item === "object" && item.id !== undefined && item.id !== null && item.id !== "" ? String(item.id) : null;
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

  // Reading a value item by item. A day-long run writes a 100-entry outbox thousands of times, each
  // write one entry different from the last: an item whose text is exactly an item text of the
  // key's last value is that item (the same text parses to the same value), and only the others
  // are parsed. The texts come from the storage events alone, so whatever a page writes, an item is
  // reused only for its own exact text; a value read this way is the array JSON.parse reads, and
  // anything else (not an array, not JSON) goes to JSON.parse, which also words the error.
  const isSpace = (c) => c === 32 || c === 10 || c === 13 || c === 9;  // JSON's whitespace, no other
  // Where the item starting at ``p`` ends: the index of the ',' or ']' after it at its own depth
  // (strings skipped); -1 when there is none. Brackets are only counted: the item's parse checks them.
  const itemEnd = (text, p) => {
    let depth = 0;
    for (let i = p; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {  // '"': to the closing quote, one not escaped by an odd run of backslashes
        for (;;) {
          i = text.indexOf('"', i + 1);
          if (i < 0) return -1;
          let k = i - 1;
          while (text.charCodeAt(k) === 92) k--;
          if ((i - 1 - k) % 2 === 0) break;
        }
      } else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) { if (depth === 0) return c === 93 ? i : -1; depth--; }
      else if (c === 44 && depth === 0) return i;
    }
    return -1;
  };
  // The items of a JSON array text ({ list, texts }), reusing ``last``'s items (the key's last
  // value read); null when the text is not read this way. Each item is either a text of ``last``
  // found whole at its place, followed by ',' or ']', or a text up to the next ',' or ']' that
  // JSON.parse accepts; the text is then '[' item ',' ... item ']' with JSON whitespace around:
  // exactly an array JSON.parse reads, to the same items.
  const itemsOf = (text, last) => {
    const n = text.length, texts = [], list = [];
    let p = 0;
    while (p < n && isSpace(text.charCodeAt(p))) p++;
    if (text.charCodeAt(p) !== 91) return null;
    let q = p + 1;
    while (q < n && isSpace(text.charCodeAt(q))) q++;
    if (text.charCodeAt(q) === 93) p = q;  // []
    else {
      const known = last && last.texts ? last.texts : [], items = last && last.texts ? last.list : [];
      let k = 0;  // the next of the last value's items expected here (one may have gone: k + 1 is tried too)
      for (p++; ;) {
        let end = -1, item;
        for (let d = 0; d < 2 && end < 0; d++) {
          const t = known[k + d];
          if (t !== undefined && text.slice(p, p + t.length) === t) {
            const c = text.charCodeAt(p + t.length);
            if (c === 44 || c === 93) { end = p + t.length; item = items[k + d]; k += d + 1; }
          }
        }
        if (end < 0) {  // new or changed: parsed; the last value's item of its id, if any, says where to go on
          end = itemEnd(text, p);
          if (end < 0) return null;
          try { item = JSON.parse(text.slice(p, end)); } catch (e) { return null; }
          const at = last && last.at ? last.at.get(idOf(item)) : undefined;
          if (at !== undefined) k = at + 1;
        }
        texts.push(text.slice(p, end));
        list.push(item);
        p = end;
        if (text.charCodeAt(end) === 93) break;
        p++;
      }
    }
    for (let i = p + 1; i < n; i++) if (!isSpace(text.charCodeAt(i))) return null;
    return { list, texts };
  };
  // The last value read of each key: { value, list, texts, ids (id -> item), at (id -> index) }.
  // An event's old value is the previous event's new value: read once.
  const lastOf = new Map();
  const EMPTY = { value: null, list: [], error: null, texts: null, ids: new Map(), at: null };
  // A value of ``key`` read: { list (null: not an array), error, ids, ... }.
  const readValue = (key, value) => {
    if (value === null || value === undefined) return EMPTY;
    const last = lastOf.get(key);
    if (last !== undefined && value === last.value) return last;
    const items = itemsOf(value, last);
    const read = items !== null ? { value, list: items.list, error: null, texts: items.texts }
      : { value, texts: null, ...parse(value) };
    read.ids = read.at = null;
    if (read.list !== null) {
      read.ids = new Map();
      read.at = new Map();
      for (let i = 0; i < read.list.length; i++) {
        const id = idOf(read.list[i]);
        if (id !== null) { read.ids.set(id, read.list[i]); read.at.set(id, i); }
      }
    }
    return read;
  };
  const delta = (oldValue, newValue, key) => {
    const before = readValue(key, oldValue);
    const after = readValue(key, newValue);
    const a = before.ids || new Map();
    if (after.list === null) {
      lastOf.delete(key);
      return { added: [], changed: [], removed: [...a.keys()], length: null,
               parse_error: after.error, raw_sample: String(newValue).slice(0, 200) };
    }
    if (after !== EMPTY) lastOf.set(key, after);
    else lastOf.delete(key);
    const b = after.ids, added = [], changed = [], removed = [];
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
  // The stamp written just before a watched write (instrument.js: the writing page's time and load,
  // sealed), sent as it is with that write: Python opens it (harness/history/seal.py). A write
  // without a stamp (not through setItem/removeItem, or clear()) goes without one: Python dates it
  // by the page time when the observer saw it (`w`). This page's own clock is not stepped with the
  // tabs (one round trip per clock stop): its Date.now() lags.
  let stamp = null;
  const when = () => { const t = stamp; stamp = null; return t; };
  window.addEventListener("storage", (e) => {
    if (e.storageArea !== window.localStorage) return;
    if (e.key === "__tank_t") {
      stamp = e.newValue === null ? null : String(e.newValue).slice(0, 1000);  // an honest one is ~130 chars
      return;
    }
    if (e.key === syncKey) { report({ sync: e.newValue }); return; }
    if (e.key === null) {  // localStorage.clear(): Python knows what was there
      for (const key of watched) report({ key, url: e.url, cleared: true });
      return;
    }
    if (!watched.has(e.key)) return;
    report({ key: e.key, stamp: when(), url: e.url, ...delta(e.oldValue, e.newValue, e.key) });
  });
  window.__tankDelta = delta;
})();
