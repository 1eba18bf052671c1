// pulse.js — Pulse lead tracker, build 2025.11 (functional style, no classes, no dependencies).
//
// <script src="pulse.js" data-site="SITE" data-sync="https://…/api/sync"></script>
// window.pulse.send(category, action, label, value, meta)
//
// Storage: localStorage "pulse_outbox" — [{id, ts, payload, attempts, bk?}]. Changes are not
// written one by one: they are queued as edits and applied together, in one read-modify-write of
// the stored array, at the end of the current task (a microtask), under a Web Lock. Nothing is
// sent before the write that stores it. One sender across tabs: the Web Lock "pulse_sender"
// (a localStorage lease where Web Locks are missing). No dead-letter list: an event the server refuses (4xx)
// is dropped with a console warning. Clicks on the same link within 2 s count once. Sends
// {"batch":[…]} (≤ 10 events) as JSON, 5 s timeout; after a failure the whole queue pauses
// 5 s, 10 s, 20 s, 40 s, then 80 s (no jitter), or as long as a 429/503 asks (Retry-After).
// No session_end event.
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) return;
  var SITE = me.getAttribute("data-site");
  var SYNC = me.getAttribute("data-sync") ? new URL(me.getAttribute("data-sync"), location.href).href : null;
  var KEY = "pulse_outbox";
  var LEASE = "pulse_sender";
  var TAB = Math.random().toString(36).slice(2);
  var SCHEDULE = [5000, 10000, 20000, 40000, 80000];
  var DEBOUNCE_MS = 2000;

  // ---- ids, session ---------------------------------------------------------------------------
  var hex = function (n) {
    var a = new Uint8Array(n);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  };
  var session = (function () {
    try {
      var s = sessionStorage.getItem("pulse_sid");
      if (!s) sessionStorage.setItem("pulse_sid", (s = hex(12)));
      return s;
    } catch (e) { return hex(12); }
  })();
  var gclid = (function () {
    var m = /[?&]gclid=([^&#]*)/.exec(location.search);
    try {
      if (m) sessionStorage.setItem("pulse_gclid", decodeURIComponent(m[1]));
      return sessionStorage.getItem("pulse_gclid");
    } catch (e) { return m ? decodeURIComponent(m[1]) : null; }
  })();
  var fp = (function () {
    var s = navigator.userAgent + navigator.language + screen.colorDepth + screen.width, h = 5381;
    for (var i = 0; i < s.length; i++) h = ((h << 5) + h + s.charCodeAt(i)) >>> 0;
    return ("00000000" + h.toString(16)).slice(-8);
  })();

  // ---- storage: edits applied in one write per task -------------------------------------------
  var memory = null; // the outbox itself when localStorage is unusable (private mode, quota)
  var storageErrors = 0;
  var edits = [];
  var writing = null;

  var readAll = function () {
    if (memory) return memory.slice();
    var raw;
    try { raw = localStorage.getItem(KEY); } catch (e) { storageErrors++; memory = []; return []; }
    if (!raw) return [];
    try {
      var v = JSON.parse(raw);
      if (Array.isArray(v)) return v.filter(function (x) { return x && typeof x === "object" && x.id; });
    } catch (e) { /* fall through */ }
    try { localStorage.setItem(KEY + "_broken_" + Date.now(), raw); } catch (e) { storageErrors++; }
    return [];
  };
  var writeAll = function (list) {
    if (memory) { memory = list; return; }
    try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { storageErrors++; memory = list; }
  };
  var applyEdits = function () {
    var batch = edits;
    edits = [];
    var list = readAll();
    batch.forEach(function (fn) { list = fn(list) || list; });
    writeAll(list);
  };
  // edit(fn): fn(list) -> list. Resolves once the edit is stored.
  var edit = function (fn, sync) {
    edits.push(fn);
    if (sync) { applyEdits(); return Promise.resolve(); }
    if (!writing) {
      writing = Promise.resolve().then(function () {
        writing = null;
        return navigator.locks ? navigator.locks.request("pulse_store", applyEdits) : applyEdits();
      });
    }
    return writing;
  };
  var without = function (ids) {
    return function (list) { return list.filter(function (e) { return !ids[e.id]; }); };
  };
  var idsOf = function (envs) {
    var o = {};
    envs.forEach(function (e) { o[e.id] = 1; });
    return o;
  };

  // ---- events ---------------------------------------------------------------------------------
  var gone = false;
  var send = function (ec, ea, el, ev, meta) {
    if (!ec || !ea) return null;
    var now = new Date();
    var id = "p" + now.getTime().toString(36) + "-" + hex(6);
    var m = Object.assign({}, meta && typeof meta === "object" ? meta : {}, { fp: fp, gclid: gclid || null, eid: id });
    var env = { id: id, ts: now.getTime(), attempts: 0, payload: {
      s: SITE, u: location.href, sid: session, sm: now.toISOString().slice(0, 8) + "01",
      ec: String(ec), ea: String(ea), el: el === undefined || el === null ? "" : String(el),
      ev: typeof ev === "number" ? ev : null, r: document.referrer || "", meta: m } };
    var stored = edit(function (list) { list.push(env); return list; }, gone);
    if (!gone) stored.then(function () { kick(false); });
    return id;
  };

  var lastClick = {};
  document.addEventListener("click", function (e) {
    var link = e.target && e.target.closest && e.target.closest("a");
    if (!link) return;
    var href = link.getAttribute("href") || "";
    var what = /^tel:/i.test(href) ? "phone_call" : /(^|\/\/)(wa\.me|api\.whatsapp\.com|web\.whatsapp\.com)\//i.test(href) ? "whatsapp" : null;
    if (!what) return;
    var t = Date.now();
    if (lastClick[href] && t - lastClick[href] < DEBOUNCE_MS) return; // double taps count once
    lastClick[href] = t;
    send("conversion", what, what === "phone_call" ? href.replace(/^tel:/i, "") : link.href);
  }, true);
  document.addEventListener("submit", function (e) {
    var f = e.target;
    send("conversion", "form_submit", (f && (f.id || f.getAttribute("name"))) || "form");
  }, true);

  // ---- sending --------------------------------------------------------------------------------
  var failures = 0; // in a row, for the whole queue
  var pausedUntil = 0;
  var timer = null;
  var running = false;
  var wanted = false;

  var holdLease = function () {
    var now = Date.now();
    try {
      var cur = JSON.parse(localStorage.getItem(LEASE) || "null");
      if (cur && cur.tab !== TAB && cur.until > now) return false;
      localStorage.setItem(LEASE, JSON.stringify({ tab: TAB, until: now + 15000 }));
    } catch (e) { /* no storage: this tab is on its own anyway */ }
    return true;
  };
  var dropLease = function () {
    try {
      var cur = JSON.parse(localStorage.getItem(LEASE) || "null");
      if (cur && cur.tab === TAB) localStorage.removeItem(LEASE);
    } catch (e) { /* ignore */ }
  };
  var wake = function (ms) {
    clearTimeout(timer);
    timer = setTimeout(function () { timer = null; kick(false); }, ms);
  };

  var post = function (events) {
    var ac = new AbortController();
    var t = setTimeout(function () { ac.abort(); }, 5000);
    return fetch(SYNC, { method: "POST", keepalive: true, signal: ac.signal,
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ batch: events }) })
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (body) {
          var wait = Number(r.headers.get("Retry-After") || (body && body.retry_after));
          return { status: r.status, ok: r.ok, body: body, waitMs: wait > 0 ? Math.min(wait * 1000, 864e5) : 0 };
        });
      }, function () { return { status: 0, ok: false, body: null }; })
      .finally(function () { clearTimeout(t); });
  };

  // One pass: send batches until the queue is empty or a send fails.
  var drain = function () {
    var list = readAll();
    var now = Date.now();
    var expired = idsOf(list.filter(function (e) { return e.attempts > 10 && now - e.ts > 864e5; }));
    if (Object.keys(expired).length) {
      return edit(without(expired)).then(drain);
    }
    var batch = list.filter(function (e) { return e.payload && typeof e.payload === "object"; }).slice(0, 10);
    if (!batch.length || !navigator.onLine) return Promise.resolve();
    return post(batch.map(function (e) { return e.payload; })).then(function (res) {
      if (res.ok) {
        failures = 0;
        return edit(without(idsOf(batch))).then(drain);
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        var bad = res.body && Array.isArray(res.body.invalid) && batch.length > 1
          ? res.body.invalid.map(function (i) { return batch[i]; }).filter(Boolean) : batch.length === 1 ? batch : [];
        if (!bad.length) bad = [batch[0]]; // no detail: peel the head off and try the rest
        console.warn("pulse: dropped " + bad.length + " event(s) refused with " + res.status);
        return edit(without(idsOf(bad))).then(drain);
      }
      var burnt = navigator.onLine ? idsOf(batch) : {};
      failures = Math.min(failures + 1, SCHEDULE.length);
      var pause = (res.status === 429 || res.status === 503) && res.waitMs ? res.waitMs : SCHEDULE[failures - 1];
      pausedUntil = Date.now() + pause;
      wake(pause);
      return edit(function (l) {
        l.forEach(function (e) { if (burnt[e.id]) e.attempts = (e.attempts || 0) + 1; });
        return l;
      });
    });
  };

  // kick(now): now = load/online (ignore the pause). Otherwise respect the pause.
  var kick = function (now) {
    if (!SYNC || gone) return;
    if (!now && Date.now() < pausedUntil) return;
    if (now) pausedUntil = 0;
    if (running) { wanted = true; return; }
    running = true;
    var done = function () {
      running = false;
      if (wanted) { wanted = false; kick(false); }
    };
    var turn = function (lock) {
      if (lock === null) { wake(1000); return null; } // another tab is sending
      return drain().catch(function (e) { console.warn("pulse:", e); });
    };
    if (navigator.locks) {
      // The lock dies with its page, so a crash or a browser restart never leaves it taken.
      navigator.locks.request("pulse_sender", { ifAvailable: true }, turn).then(done, done);
    } else if (holdLease()) {
      turn(true).then(function () { dropLease(); done(); });
    } else {
      running = false;
      wake(2000);
    }
  };

  // ---- lifecycle ------------------------------------------------------------------------------
  window.addEventListener("online", function () { failures = 0; kick(true); });
  window.addEventListener("pagehide", function () {
    if (gone) return;
    gone = true;
    clearTimeout(timer);
    if (writing) applyEdits(); // edits of this task not written yet: write them now
    var list = readAll().filter(function (e) { return e.payload; });
    if (!list.length || !SYNC || !navigator.sendBeacon) return;
    var take = list.slice(0, 50);
    while (take.length > 1 && JSON.stringify({ batch: take.map(function (e) { return e.payload; }) }).length > 60000) take.pop();
    var ok = navigator.sendBeacon(SYNC, JSON.stringify({ batch: take.map(function (e) { return e.payload; }) }));
    if (ok) {
      var sent = idsOf(take);
      edit(function (l) { l.forEach(function (e) { if (sent[e.id]) e.bk = (e.bk || 0) + 1; }); return l; }, true);
    }
  });
  setInterval(function () { send("system", "heartbeat"); }, 60000);

  window.pulse = {
    send: send,
    flush: function () { kick(true); },
    stats: function () { return { queued: readAll().length, storageErrors: storageErrors, failures: failures, memory: !!memory }; },
  };
  send("interaction", "view", location.pathname);
  kick(true);
})();
