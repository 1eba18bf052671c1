// Harness instrumentation, injected into every page of a browser context before any page script.
// It records each send the page makes to the Sync URL (fetch and sendBeacon) with page-clock
// times, and tags the URL with _tank_via so the Sync journal knows the transport. It never
// changes the body, method, headers or mode of a request. Config arrives as window.__tankConfig
// (an init script added just before this one).
(() => {
  if (window.__tankInstrumented) return;
  window.__tankInstrumented = true;
  const cfg = window.__tankConfig || {};
  const syncPrefix = cfg.syncUrl || "";
  window.__tankInflight = 0;  // sends not yet settled
  window.__tankLocks = 0;  // Web Locks requests not yet released: the build's async bookkeeping

  // Reproducible runs: Math.random (backoff jitter, ids of builds without crypto) follows the
  // scenario seed, mixed with the page path (not the origin: its port changes every run).
  if (typeof cfg.seed === "number") {
    let h = cfg.seed >>> 0;
    for (const ch of location.pathname + location.search) h = Math.imul(h ^ ch.charCodeAt(0), 2654435761) >>> 0;
    Math.random = () => {  // mulberry32
      h = (h + 0x6d2b79f5) >>> 0;
      let t = h;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  let seq = 0;
  // Numbers restart with every page load; the load id keeps a reloaded page's fetch #1 apart from
  // the previous page's (not from Math.random: that one is seeded and would repeat).
  const load = Array.from(crypto.getRandomValues(new Uint32Array(2)), (n) => n.toString(36)).join("");

  const report = (rec) => {
    try {
      if (typeof window.__tankReport === "function") window.__tankReport({ ...rec, load }).catch(() => {});
    } catch (e) { /* page closing: the journal is the server-side truth */ }
  };
  const isSync = (url) => {
    try { return syncPrefix && new URL(String(url), location.href).href.startsWith(syncPrefix); }
    catch (e) { return false; }
  };
  const tag = (url, via) => {
    try { const u = new URL(String(url), location.href); u.searchParams.set("_tank_via", via); return u.href; }
    catch (e) { return url; }
  };
  const parseBody = (text) => {
    try {
      const o = JSON.parse(text);
      const evs = Array.isArray(o) ? o : (o && (o.events || o.batch)) || [o];
      return Array.isArray(evs) ? evs.filter((e) => e && typeof e === "object") : [];
    } catch (e) { return []; }
  };
  const describe = (events) => ({
    ids: events.map((e) => e.meta && e.meta.eid).filter((x) => typeof x === "string"),
    payloads: events.map((e) => ({ ec: e.ec, ea: e.ea, el: e.el, eid: e.meta && e.meta.eid })),
  });
  const bodyText = (body) => {
    if (body == null) return Promise.resolve("");
    if (typeof body === "string") return Promise.resolve(body);
    if (body instanceof Blob) return body.text();
    if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return Promise.resolve(new TextDecoder().decode(body));
    if (body instanceof URLSearchParams) return Promise.resolve(body.toString());
    return Promise.resolve("");
  };

  const origFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" || input instanceof URL ? String(input) : input && input.url;
    if (!isSync(url)) return origFetch.apply(this, arguments);
    const id = ++seq;
    const t0 = Date.now();
    const isRequest = !(typeof input === "string" || input instanceof URL);
    const body = init && init.body !== undefined ? bodyText(init.body)
      : isRequest ? input.clone().text().catch(() => "") : Promise.resolve("");
    body.then((text) => report({ type: "start", id, via: "fetch", t: t0, page: location.pathname, ...describe(parseBody(text)) }));
    let p;
    window.__tankInflight++;
    try { p = origFetch.call(this, isRequest ? new Request(tag(url, "fetch"), input) : tag(url, "fetch"), init); }
    catch (e) { window.__tankInflight--; report({ type: "end", id, t: Date.now(), outcome: "network_error", error: String(e) }); throw e; }
    p.then(
      (r) => { window.__tankInflight--; report({ type: "end", id, t: Date.now(), outcome: r.ok ? "ok" : "http_error", status: r.status }); },
      (e) => { window.__tankInflight--; report({ type: "end", id, t: Date.now(), outcome: e && e.name === "AbortError" ? "abort" : "network_error", error: String(e && e.message || e) }); },
    );
    return p;
  };

  // A build that serialises its outbox work with Web Locks finishes it in later tasks; the clock
  // must not move on before it has (see harness/clock.py).
  if (navigator.locks && typeof navigator.locks.request === "function") {
    const origRequest = navigator.locks.request.bind(navigator.locks);
    navigator.locks.request = function (...args) {
      window.__tankLocks++;
      let p;
      try { p = origRequest(...args); } catch (e) { window.__tankLocks--; throw e; }
      Promise.resolve(p).then(() => { window.__tankLocks--; }, () => { window.__tankLocks--; });
      return p;
    };
  }

  if (navigator.sendBeacon) {
    const origBeacon = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = function (url, data) {
      if (!isSync(url)) return origBeacon(url, data);
      const t = Date.now();
      const ok = origBeacon(tag(url, "beacon"), data);
      const id = ++seq;
      if (typeof data === "string") {
        report({ type: "beacon", id, via: "beacon", t, page: location.pathname, outcome: ok ? "queued" : "refused", ...describe(parseBody(data)) });
      } else {
        bodyText(data).then((text) => report({ type: "beacon", id, via: "beacon", t, page: location.pathname, outcome: ok ? "queued" : "refused", ...describe(parseBody(text)) }));
      }
      return ok;
    };
  }
})();
