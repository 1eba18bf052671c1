// SignalQ browser agent 0.8.2 — async/await, no build step.
//
//   <script src="signalq.js" data-project="SITE" data-ingest="https://…/api/sync"></script>
//   window.signalq.send(category, action, label, value, meta)
//
// localStorage "sq:events"  [{id, ts, payload, attempts, due?, lastError?, beaconAt?}]
// localStorage "sq:dead"    [{id, ts, payload, attempts, reason, status, at}]
// Every change re-reads the stored array and edits it by id under the Web Lock "sq:events".
// The envelope id is local bookkeeping only; it is not sent. {"events":[…]} of at most 25,
// 15 s timeout, backoff 5 s doubling to 2 min with ±20 % jitter.
//
// KNOWN BUG (kept on purpose, tracker_js/README.md "Foreign builds"): a 422 answer that lists
// `invalid` indices is read like a partial success — the listed events are dead-lettered and the
// rest of the batch is taken as stored, though the Sync endpoint stores nothing of a 422 batch.
(() => {
  const script = document.currentScript;
  if (!script) return;
  const project = script.dataset.project;
  const ingest = script.dataset.ingest ? new URL(script.dataset.ingest, location.href).href : null;
  const KEY = "sq:events";
  const DEAD = "sq:dead";
  const MAX_BATCH = 25;
  const TIMEOUT = 15_000;
  const DAY = 86_400_000;

  const state = { loadedAt: Date.now(), closing: false, passing: null, again: false, timer: 0, errors: 0 };
  const session = (() => {
    try {
      let s = sessionStorage.getItem("sq:session");
      if (!s) sessionStorage.setItem("sq:session", (s = crypto.getRandomValues(new Uint32Array(2)).join("-")));
      return s;
    } catch { return String(Math.random()).slice(2); }
  })();
  const gclid = new URLSearchParams(location.search).get("gclid");

  // ---- storage ----------------------------------------------------------------------------------
  const read = (key) => {
    try {
      const v = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(v) ? v : [];
    } catch { state.errors++; return []; }
  };
  const write = (key, list) => {
    try { localStorage.setItem(key, JSON.stringify(list)); return true; } catch { state.errors++; return false; }
  };
  const memory = []; // envelopes storage refused: sent from here
  const locked = (fn) => (navigator.locks && !state.closing ? navigator.locks.request(KEY, fn) : Promise.resolve(fn()));
  const update = (fn) => locked(() => {
    const list = read(KEY);
    const out = fn(list);
    if (!write(KEY, list)) for (const e of list) if (!memory.some((m) => m.id === e.id)) memory.push(e);
    return out;
  });
  const bury = (envs, reason, status) => locked(() => {
    const dead = read(DEAD);
    for (const e of envs) dead.push({ id: e.id, ts: e.ts, payload: e.payload, attempts: e.attempts, reason, status, at: Date.now() });
    write(DEAD, dead.slice(-200));
  });
  const drop = (ids) => {
    for (let i = memory.length - 1; i >= 0; i--) if (ids.has(memory[i].id)) memory.splice(i, 1);
    return update((list) => { for (let i = list.length - 1; i >= 0; i--) if (ids.has(list[i].id)) list.splice(i, 1); });
  };
  const queued = () => {
    const list = read(KEY);
    for (const m of memory) if (!list.some((e) => e.id === m.id)) list.push(m);
    return list.filter((e) => e && e.id && e.payload && typeof e.payload === "object");
  };

  // ---- events -----------------------------------------------------------------------------------
  const send = (category, action, label, value, meta) => {
    if (typeof category !== "string" || typeof action !== "string") return null;
    const now = new Date();
    const id = `${now.getTime().toString(36)}.${crypto.getRandomValues(new Uint32Array(1))[0].toString(36)}`;
    const payload = {
      s: project, u: location.href, sid: session, sm: `${now.toISOString().slice(0, 7)}-01`,
      ec: category, ea: action, el: label == null ? "" : String(label), ev: Number.isFinite(value) ? value : null,
      r: document.referrer, meta: { ...(meta && typeof meta === "object" ? meta : {}), gclid },
    };
    const env = { id, ts: now.getTime(), payload, attempts: 0 };
    const stored = update((list) => { list.push(env); });
    if (!state.closing) stored.then(() => pass(false));
    return id;
  };

  // ---- network ----------------------------------------------------------------------------------
  const post = async (events) => {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), TIMEOUT);
    try {
      const res = await fetch(ingest, {
        method: "POST", keepalive: true, signal: ctrl.signal,
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ events }),
      });
      let body = null;
      try { body = await res.json(); } catch { /* empty or not JSON */ }
      return { status: res.status, ok: res.ok, body, retryAfter: res.headers.get("Retry-After") };
    } catch (err) {
      return { status: 0, ok: false, body: null, error: err?.name === "AbortError" ? "timeout" : "network" };
    } finally {
      clearTimeout(timer);
    }
  };
  const permanent = (status) => status >= 400 && status < 500 && status !== 408 && status !== 429;
  const delay = (attempts, res) => {
    const hinted = Number(res.retryAfter);
    if ((res.status === 429 || res.status === 503) && hinted > 0) return Math.min(hinted * 1000, DAY);
    const d = Math.min(120_000, 5000 * 2 ** (attempts - 1));
    return Math.round(Math.min(120_000, d * (0.8 + 0.4 * Math.random())));
  };

  const settle = async (batch, res) => {
    const ids = new Set(batch.map((e) => e.id));
    if (res.ok) return drop(ids);
    if (permanent(res.status)) {
      if (res.status === 422 && Array.isArray(res.body?.invalid)) {
        const bad = res.body.invalid.map((i) => batch[i]).filter(Boolean);
        await bury(bad, "rejected", res.status);
        return drop(ids); // the listed events are refused; the others were stored — BUG: they were not
      }
      if (batch.length === 1) {
        await bury(batch, "rejected", res.status);
        return drop(ids);
      }
      return update((list) => { for (const e of list) if (ids.has(e.id)) e.alone = true; });
    }
    const offline = res.status === 0 && !navigator.onLine;
    const now = Date.now();
    return update((list) => {
      for (const e of list) {
        if (!ids.has(e.id) || offline) continue;
        e.attempts = (e.attempts || 0) + 1;
        e.due = now + delay(e.attempts, res);
        e.lastError = res.error || `http ${res.status}`;
      }
    });
  };

  const oneRound = async (force) => {
    const now = Date.now();
    const all = queued();
    const expired = all.filter((e) => e.attempts > 10 && now - e.ts > DAY);
    if (expired.length) {
      await bury(expired, "ttl", null);
      await drop(new Set(expired.map((e) => e.id)));
    }
    const ready = all.filter((e) => !expired.includes(e) && (force || !e.due || e.due <= now));
    const alone = ready.find((e) => e.alone);
    const batch = alone ? [alone] : ready.slice(0, MAX_BATCH);
    if (!batch.length) return false;
    const res = await post(batch.map((e) => e.payload));
    await settle(batch, res);
    return res.ok || permanent(res.status);
  };

  const pass = (force) => {
    if (!ingest || state.closing) return Promise.resolve();
    if (state.passing) { state.again = state.again || force || "due"; return state.passing; }
    const body = async (lock) => {
      if (lock === null) { wakeAt(Date.now() + 1000); return; } // another tab is sending
      while (navigator.onLine && !state.closing && (await oneRound(force)));
    };
    state.passing = (navigator.locks ? navigator.locks.request("sq:sender", { ifAvailable: true }, body) : body(true))
      .catch(() => {})
      .finally(() => {
        state.passing = null;
        const again = state.again;
        state.again = false;
        if (again) pass(again === true);
        else plan();
      });
    return state.passing;
  };
  const wakeAt = (t) => {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => pass(false), Math.max(0, t - Date.now()));
  };
  const plan = () => {
    const dues = queued().map((e) => e.due).filter(Boolean);
    if (dues.length) wakeAt(Math.min(...dues));
  };

  // ---- page lifecycle ---------------------------------------------------------------------------
  const lastGasp = (ev) => {
    if (state.closing) return;
    state.closing = true;
    send("system", "session_end", ev.type, Math.round((Date.now() - state.loadedAt) / 1000));
    if (!ingest || !navigator.sendBeacon) return;
    const list = queued().sort((a, b) => (b.payload.ec === "conversion") - (a.payload.ec === "conversion")).slice(0, 50);
    let body = JSON.stringify({ events: list.map((e) => e.payload) });
    while (list.length > 1 && body.length > 60_000) { list.pop(); body = JSON.stringify({ events: list.map((e) => e.payload) }); }
    if (list.length && navigator.sendBeacon(ingest, new Blob([body], { type: "text/plain" }))) {
      const ids = new Set(list.map((e) => e.id));
      const at = Date.now();
      update((all) => { for (const e of all) if (ids.has(e.id)) e.beaconAt = at; });
    }
  };
  addEventListener("pagehide", lastGasp);
  addEventListener("beforeunload", lastGasp);
  addEventListener("online", () => pass(true));
  document.addEventListener("click", (ev) => {
    const a = ev.target.closest?.("a[href]");
    const href = a?.getAttribute("href") || "";
    if (href.startsWith("tel:")) send("conversion", "phone_call", href.slice(4));
    else if (/^https:\/\/(wa\.me|api\.whatsapp\.com)\//.test(href)) send("conversion", "whatsapp", a.href);
  }, { capture: true });
  document.addEventListener("submit", (ev) => send("conversion", "form_submit", ev.target.id || ""), { capture: true });
  setInterval(() => send("system", "heartbeat"), 60_000);

  window.signalq = { send, flush: () => pass(true), stats: () => ({ queued: queued().length, storageErrors: state.errors }) };
  send("interaction", "view", location.pathname);
  pass(true);
})();
