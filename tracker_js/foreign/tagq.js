/* tagq.js — TagQ lead tracker 4.2: a command queue in the style of a tag manager's dataLayer.
 *
 * Snippet on the page (the queue may be filled before this script has loaded):
 *   <script>window.tagq = window.tagq || [];</script>
 *   <script async src="tagq.js" data-tq-site="SITE" data-tq-endpoint="https://…/api/sync"></script>
 *   tagq.push(["track", {category: "conversion", action: "quote", label: "x", value: 1, meta: {}}]);
 * Commands: ["track", {category, action, label?, value?, meta?}], ["flush"].
 *
 * localStorage "tagq.outbox": [{id, ts, payload, attempts, beaconed?}] — every change is one
 * read-modify-write of the stored list inside a Web Lock ("tagq.store"), so tabs never overwrite
 * each other and nothing awaited sits between a read and its write. Events are sent only after
 * the write that stores them. One sender across tabs: Web Lock "tagq.send" (ifAvailable).
 * Sends {"events":[…]} of at most 25 as text/plain (no preflight), 8 s timeout. After a failed
 * send the whole queue pauses 3 s, doubling to 3 min (no jitter), or as long as a 429/503's
 * Retry-After says; page load and `online` send at once. A 4xx (not 408/429) dead-letters the
 * events the answer's `invalid` list names and sends the rest again; a 4xx naming none is
 * retried one event at a time, so a refused event never takes others with it.
 * "tagq.dead": [{id, ts, payload, attempts, reason, status, at}] (reason rejected | ttl |
 * overflow), capped at 300. Drop rule: attempts > 10 and older than 24 h, anywhere in the queue.
 * Cap 1000: past it the oldest heartbeat is shed (then the oldest page view), never a conversion.
 * Last gasp: on pagehide/beforeunload a session_end is stored and the queue beaconed (≤ 60 KB);
 * beaconed events stay queued until a confirmed delivery.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var SITE = script.getAttribute("data-tq-site");
  var endpointAttr = script.getAttribute("data-tq-endpoint");
  var ENDPOINT = endpointAttr ? new URL(endpointAttr, location.href).href : null;
  var OUTBOX = "tagq.outbox", DEAD = "tagq.dead";
  var TIMEOUT_MS = 8000, FIRST_PAUSE_MS = 3000, MAX_PAUSE_MS = 180000;
  var BATCH = 25, CAP = 1000, DEAD_CAP = 300, DAY = 86400000, BEACON_BYTES = 60000;

  function randomHex(bytes) {
    var a = new Uint8Array(bytes), s = "";
    crypto.getRandomValues(a);
    for (var i = 0; i < a.length; i++) s += (a[i] + 256).toString(16).slice(1);
    return s;
  }
  function sessionId() {
    try {
      var sid = sessionStorage.getItem("tagq.sid");
      if (!sid) { sid = "s" + randomHex(10); sessionStorage.setItem("tagq.sid", sid); }
      return sid;
    } catch (e) { return "s" + randomHex(10); }
  }
  var SID = sessionId();
  var GCLID = (function () {
    var m = location.search.match(/[?&]gclid=([^&#]+)/);
    return m ? decodeURIComponent(m[1]) : null;
  })();

  // ---- storage -------------------------------------------------------------------------------
  var fallback = { outbox: null, dead: null }; // used only when localStorage refuses
  var storageFailures = 0;
  function load(key, slot) {
    if (fallback[slot]) return fallback[slot].slice();
    try {
      var v = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(v) ? v.filter(function (x) { return x && typeof x === "object"; }) : [];
    } catch (e) {
      if (e instanceof SyntaxError) return [];
      storageFailures++;
      fallback[slot] = [];
      return [];
    }
  }
  function save(key, slot, list) {
    if (fallback[slot]) { fallback[slot] = list; return; }
    try { localStorage.setItem(key, JSON.stringify(list)); }
    catch (e) { storageFailures++; fallback[slot] = list; console.warn("tagq: storage refused, keeping events in memory", e); }
  }
  function deadRecord(env, reason, status) {
    return { id: env.id, ts: env.ts, payload: env.payload, attempts: env.attempts, reason: reason,
             status: status === undefined ? null : status, at: Date.now() };
  }
  // change(fn): fn(outbox) returns {outbox, dead: [records]}; read, change and write in one go.
  function changeNow(fn) {
    var result = fn(load(OUTBOX, "outbox")) || {};
    if (result.dead && result.dead.length) {
      var dead = load(DEAD, "dead").concat(result.dead);
      save(DEAD, "dead", dead.slice(Math.max(0, dead.length - DEAD_CAP)));
    }
    if (result.outbox) save(OUTBOX, "outbox", result.outbox);
    return result;
  }
  function change(fn) {
    if (!navigator.locks) return Promise.resolve(changeNow(fn));
    return navigator.locks.request("tagq.store", function () { return changeNow(fn); });
  }
  function byId(list) {
    var o = {};
    list.forEach(function (e) { o[e.id] = true; });
    return o;
  }

  // ---- events --------------------------------------------------------------------------------
  function month(d) { return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-01"; }
  function envelope(category, action, label, value, meta) {
    var now = new Date();
    var id = now.getTime().toString(36) + "." + randomHex(6);
    var m = {};
    if (meta && typeof meta === "object") for (var k in meta) if (Object.prototype.hasOwnProperty.call(meta, k)) m[k] = meta[k];
    m.eid = id;
    if (GCLID) m.gclid = GCLID;
    return { id: id, ts: now.getTime(), attempts: 0, payload: {
      s: SITE, u: location.href, sid: SID, sm: month(now), ec: String(category), ea: String(action),
      el: label === undefined || label === null ? "" : String(label), ev: typeof value === "number" ? value : null,
      r: document.referrer || "", meta: m } };
  }
  function shed(list) {
    var dead = [];
    while (list.length >= CAP) {
      var i = list.findIndex(function (e) { return e.payload && e.payload.ec === "system"; });
      if (i < 0) i = list.findIndex(function (e) { return e.payload && e.payload.ec === "interaction"; });
      if (i < 0) break; // only conversions left: keep them all
      dead.push(deadRecord(list.splice(i, 1)[0], "overflow"));
    }
    return dead;
  }
  var leaving = false;
  function track(category, action, label, value, meta) {
    if (!category || !action) return;
    var env = envelope(category, action, label, value, meta);
    var add = function (list) { var dead = shed(list); list.push(env); return { outbox: list, dead: dead }; };
    if (leaving) { changeNow(add); return; }
    change(add).then(function () { run(false); });
  }

  // ---- sending -------------------------------------------------------------------------------
  var pauseUntil = 0, failuresInARow = 0, singles = false, timer = null, busy = false, again = false;
  function wake(ms) {
    clearTimeout(timer);
    timer = setTimeout(function () { timer = null; run(false); }, ms);
  }
  function post(events) {
    var ctl = new AbortController();
    var t = setTimeout(function () { ctl.abort(); }, TIMEOUT_MS);
    return fetch(ENDPOINT, { method: "POST", body: JSON.stringify({ events: events }), keepalive: true,
                             signal: ctl.signal, headers: { "Content-Type": "text/plain" } })
      .then(function (res) {
        return res.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (e) { /* not JSON */ }
          return { ok: res.ok, status: res.status, body: body, retryAfter: Number(res.headers.get("Retry-After")) || 0 };
        }, function () { return { ok: res.ok, status: res.status, body: null, retryAfter: 0 }; });
      }, function () { return { ok: false, status: 0, body: null, retryAfter: 0 }; })
      .finally(function () { clearTimeout(t); });
  }
  function failed(res, batch) {
    var counted = navigator.onLine ? byId(batch) : {};
    failuresInARow++;
    var pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * Math.pow(2, failuresInARow - 1));
    if ((res.status === 429 || res.status === 503) && res.retryAfter > 0) pause = Math.min(res.retryAfter * 1000, DAY);
    pauseUntil = Date.now() + pause;
    wake(pause);
    return change(function (list) {
      list.forEach(function (e) { if (counted[e.id]) e.attempts = (e.attempts || 0) + 1; });
      return { outbox: list };
    });
  }
  function refused(res, batch) {
    var named = res.body && Array.isArray(res.body.invalid) ? res.body.invalid.map(function (i) { return batch[i]; }).filter(Boolean) : [];
    if (!named.length && batch.length > 1) { singles = true; return Promise.resolve(); } // find it one by one
    var bad = named.length ? named : batch;
    var gone = byId(bad);
    return change(function (list) {
      return { outbox: list.filter(function (e) { return !gone[e.id]; }),
               dead: list.filter(function (e) { return gone[e.id]; }).map(function (e) { return deadRecord(e, "rejected", res.status); }) };
    });
  }
  function round() {
    var now = Date.now();
    return change(function (list) {
      var expired = list.filter(function (e) { return e.attempts > 10 && now - e.ts > DAY; });
      if (!expired.length) return { batch: list.slice(0, singles ? 1 : BATCH) };
      var gone = byId(expired);
      return { outbox: list.filter(function (e) { return !gone[e.id]; }),
               dead: expired.map(function (e) { return deadRecord(e, "ttl"); }),
               batch: list.filter(function (e) { return !gone[e.id]; }).slice(0, singles ? 1 : BATCH) };
    }).then(function (r) {
      var batch = r.batch || [];
      if (!batch.length || !navigator.onLine) return false;
      return post(batch.map(function (e) { return e.payload; })).then(function (res) {
        if (res.ok) {
          failuresInARow = 0;
          singles = false;
          var done = byId(batch);
          return change(function (list) { return { outbox: list.filter(function (e) { return !done[e.id]; }) }; })
            .then(function () { return true; });
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          return refused(res, batch).then(function () { return true; });
        }
        return failed(res, batch).then(function () { return false; });
      });
    });
  }
  function drain() {
    return round().then(function (more) { return more && !leaving ? drain() : null; });
  }
  function run(now) {
    if (!ENDPOINT || leaving) return;
    if (now) { pauseUntil = 0; failuresInARow = 0; }
    if (Date.now() < pauseUntil) return;
    if (busy) { again = true; return; }
    busy = true;
    var finish = function () {
      busy = false;
      if (again) { again = false; run(false); }
    };
    var turn = function (lock) {
      if (lock === null) { wake(2000); return null; } // another tab sends
      return drain().catch(function (e) { console.warn("tagq:", e); });
    };
    if (navigator.locks) navigator.locks.request("tagq.send", { ifAvailable: true }, turn).then(finish, finish);
    else Promise.resolve(turn(true)).then(finish, finish);
  }

  // ---- last gasp -----------------------------------------------------------------------------
  function lastGasp() {
    if (leaving) return;
    leaving = true; // from here every change is written at once: the page may be gone after this task
    track("system", "session_end");
    clearTimeout(timer);
    if (!ENDPOINT || !navigator.sendBeacon) return;
    var list = load(OUTBOX, "outbox").filter(function (e) { return e.payload; });
    var take = list.slice(0, 100);
    while (take.length > 1 && JSON.stringify({ events: take.map(function (e) { return e.payload; }) }).length > BEACON_BYTES) take.pop();
    if (!take.length) return;
    if (navigator.sendBeacon(ENDPOINT, JSON.stringify({ events: take.map(function (e) { return e.payload; }) }))) {
      var sent = byId(take);
      changeNow(function (l) {
        l.forEach(function (e) { if (sent[e.id]) e.beaconed = (e.beaconed || 0) + 1; });
        return { outbox: l };
      });
    }
  }

  // ---- the queue, auto events, triggers --------------------------------------------------------
  function command(cmd) {
    if (!Array.isArray(cmd)) return;
    if (cmd[0] === "track" && cmd[1] && typeof cmd[1] === "object") {
      var a = cmd[1];
      track(a.category, a.action, a.label, a.value, a.meta);
    } else if (cmd[0] === "flush") {
      run(true);
    }
  }
  var early = Array.isArray(window.tagq) ? window.tagq.slice() : [];
  window.tagq = { push: function () { for (var i = 0; i < arguments.length; i++) command(arguments[i]); return 0; },
                  stats: function () { return { queued: load(OUTBOX, "outbox").length, storageFailures: storageFailures }; } };

  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!a) return;
    var href = a.getAttribute("href");
    if (/^tel:/i.test(href)) track("conversion", "phone_call", href.slice(4));
    else if (/^https?:\/\/(wa\.me|api\.whatsapp\.com|web\.whatsapp\.com|(www\.)?whatsapp\.com)\//i.test(a.href)) track("conversion", "whatsapp", a.href);
  }, true);
  document.addEventListener("submit", function (e) {
    var f = e.target;
    track("conversion", "form_submit", (f && (f.getAttribute("id") || f.getAttribute("name"))) || "form");
  }, true);
  window.addEventListener("online", function () { run(true); });
  window.addEventListener("pagehide", lastGasp);
  window.addEventListener("beforeunload", lastGasp);
  setInterval(function () { track("system", "heartbeat"); }, 60000);

  track("interaction", "view", location.pathname);
  early.forEach(command);
  run(true);
})();
