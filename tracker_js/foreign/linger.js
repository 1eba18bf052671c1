/*
 * Linger lead tracker 1.3 — events wait a short window and leave together.
 *
 *   <script src="linger.js" data-lg-key="SITE" data-lg-host="https://…/api/sync"></script>
 *   document.dispatchEvent(new CustomEvent('linger:track', {detail: {category, action, label, value, meta}}))
 *
 * No global send function: the page (or a tag manager) fires a DOM event. Nothing is sent the
 * moment it happens: a flush runs FLUSH_WINDOW_MS after the first event nobody has flushed yet
 * (or at once when FLUSH_AT are waiting), and page load and `online` open such a window too, so a
 * burst of clicks, a page view and its heartbeat share one request. Retries follow each event's
 * own backoff (4 s doubling to 4 min, ±25 %), Retry-After honoured; a due retry flushes at once.
 *
 * localStorage "lg_pending": [{id, ts, payload, attempts, retryAt?, err?, beaconAt?}], every change
 * a read-modify-write under the Web Lock "lg_pending"; one flusher across tabs ("lg_flush").
 * localStorage "lg_dead": [{id, ts, payload, attempts, reason, code, at}] — reason: rejected | ttl | overflow.
 */
(function () {
  'use strict';
  var el = document.currentScript;
  if (!el) return;
  var KEY = el.getAttribute('data-lg-key');
  var HOST = el.getAttribute('data-lg-host') ? new URL(el.getAttribute('data-lg-host'), location.href).href : null;
  var PENDING = 'lg_pending';
  var DEAD = 'lg_dead';
  var FLUSH_WINDOW_MS = 3000;
  var FLUSH_AT = 10;
  var TIMEOUT_MS = 5000;
  var BACKOFF = { base: 4000, cap: 240000, spread: 0.25 };
  var DAY_MS = 86400000;
  var MAX_TRIES = 10;
  var LIMIT = 2000;
  var DEAD_LIMIT = 300;
  var BEACON_LIMIT = 60000;

  var rand = function () {
    var a = new Uint32Array(4);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (n) { return n.toString(36); }).join('');
  };
  var tabSession = (function () {
    try {
      var s = sessionStorage.getItem('lg_session');
      if (!s) { s = rand(); sessionStorage.setItem('lg_session', s); }
      return s;
    } catch (e) { return rand(); }
  })();
  var clickId = (function () {
    var g = new URLSearchParams(location.search).get('gclid');
    try { if (g) sessionStorage.setItem('lg_gclid', g); else g = sessionStorage.getItem('lg_gclid'); } catch (e) { /* private mode */ }
    return g || null;
  })();
  var print = (function () {
    var s = [navigator.userAgent, navigator.language, screen.width, screen.height].join('/'), h = 7;
    for (var i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
    return ('0000000' + h.toString(16)).slice(-8);
  })();

  // ---- storage: read-modify-write, edits by id; what storage refuses stays in memory ----------
  var held = {}; // id -> envelope storage would not keep
  var storageErrors = 0;
  var closing = false;
  var load = function (key) {
    var list = [];
    try {
      var v = JSON.parse(localStorage.getItem(key) || '[]');
      if (Array.isArray(v)) list = v.filter(function (x) { return x && typeof x === 'object' && x.id; });
    } catch (e) { storageErrors++; }
    if (key === PENDING) {
      var seen = {};
      list.forEach(function (x) { seen[x.id] = 1; });
      Object.keys(held).forEach(function (id) { if (!seen[id]) list.push(held[id]); });
    }
    return list;
  };
  var store = function (key, list) {
    try {
      localStorage.setItem(key, JSON.stringify(list));
      if (key === PENDING) held = {};
    } catch (e) {
      storageErrors++;
      if (key === PENDING) { held = {}; list.forEach(function (x) { held[x.id] = x; }); }
    }
  };
  var change = function (key, fn) {
    var run = function () { var list = load(key); var out = fn(list); store(key, list); return out; };
    if (closing || !navigator.locks) return Promise.resolve(run());
    return navigator.locks.request(key, run);
  };
  var remove = function (ids) {
    return change(PENDING, function (list) {
      for (var i = list.length - 1; i >= 0; i--) if (ids[list[i].id]) list.splice(i, 1);
    });
  };
  var bury = function (envs, why, code) {
    var at = Date.now();
    return change(DEAD, function (dead) {
      envs.forEach(function (e) {
        dead.push({ id: e.id, ts: e.ts, payload: e.payload, attempts: e.attempts || 0, reason: why, code: code, at: at });
      });
      if (dead.length > DEAD_LIMIT) dead.splice(0, dead.length - DEAD_LIMIT);
    });
  };
  var idSet = function (envs) {
    var o = {};
    envs.forEach(function (e) { o[e.id] = 1; });
    return o;
  };

  // ---- capture -------------------------------------------------------------------------------
  var capture = function (category, action, label, value, meta) {
    if (typeof category !== 'string' || !category || typeof action !== 'string' || !action) return null;
    var now = new Date();
    var id = 'lg-' + now.getTime().toString(36) + '-' + rand().slice(0, 10);
    var m = {};
    if (meta && typeof meta === 'object') Object.keys(meta).forEach(function (k) { m[k] = meta[k]; });
    m.fp = print; m.gclid = clickId; m.eid = id;
    var env = { id: id, ts: now.getTime(), attempts: 0, payload: {
      s: KEY, u: location.href.slice(0, 4096), sid: tabSession, sm: now.toISOString().slice(0, 8) + '01',
      ec: category, ea: action, el: label == null ? '' : String(label),
      ev: typeof value === 'number' && isFinite(value) ? value : null,
      r: (document.referrer || '').slice(0, 2048), meta: m } };
    var stored = change(PENDING, function (list) { list.push(env); shed(list); return list.length; });
    if (!closing) stored.then(function (n) { if (n >= FLUSH_AT) flush(false); else openWindow(false); });
    return id;
  };

  /** Above LIMIT: heartbeats go first, then other non-conversions; a conversion never does. */
  var shed = function (list) {
    var over = list.length - LIMIT;
    if (over <= 0) return;
    var out = [];
    [function (p) { return p.ec === 'system' && p.ea === 'heartbeat'; }, function (p) { return p.ec !== 'conversion'; }]
      .forEach(function (test) {
        for (var i = 0; i < list.length && over > 0;) {
          if (test(list[i].payload || {})) { out.push(list.splice(i, 1)[0]); over--; } else i++;
        }
      });
    if (out.length) bury(out, 'overflow', null);
  };

  // ---- flushing --------------------------------------------------------------------------------
  var windowTimer = null;
  var windowAll = false; // the open window was opened by load or `online`: skip the backoff
  var retryTimer = null;
  var retryAt = 0;
  var flushing = false;
  var queuedFlush = null; // null | 'due' | 'all'

  var openWindow = function (all) {
    windowAll = windowAll || all;
    if (windowTimer) return;
    windowTimer = setTimeout(function () {
      windowTimer = null;
      var a = windowAll;
      windowAll = false;
      flush(a);
    }, FLUSH_WINDOW_MS);
  };

  var post = function (payloads) {
    var ctrl = new AbortController();
    var t = setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS);
    var body = JSON.stringify({ events: payloads });
    return fetch(HOST, { method: 'POST', body: body, signal: ctrl.signal, keepalive: body.length <= BEACON_LIMIT,
                         headers: { 'Content-Type': 'application/json' } })
      .then(function (res) {
        return { ok: res.ok, code: res.status, wait: res.headers.get('Retry-After') };
      }, function (err) {
        return { ok: false, code: 0, err: err && err.name === 'AbortError' ? 'timeout' : 'network' };
      })
      .finally(function () { clearTimeout(t); });
  };
  var refusal = function (code) { return code >= 400 && code < 500 && code !== 408 && code !== 429; };
  var pause = function (tries, res) {
    if ((res.code === 429 || res.code === 503) && res.wait) {
      var s = Number(res.wait);
      var ms = isFinite(s) ? s * 1000 : Date.parse(res.wait) - Date.now();
      if (ms >= 0) return Math.min(ms, DAY_MS);
    }
    var d = Math.min(BACKOFF.cap, BACKOFF.base * Math.pow(2, tries - 1));
    return Math.round(Math.min(BACKOFF.cap, d * (1 + BACKOFF.spread * (2 * Math.random() - 1))));
  };
  var failed = function (batch, res) {
    var ids = idSet(batch);
    var offline = res.code === 0 && navigator.onLine === false;
    var now = Date.now();
    return change(PENDING, function (list) {
      list.forEach(function (e) {
        if (!ids[e.id] || offline) return; // offline: the send never had a chance
        e.attempts = (e.attempts || 0) + 1;
        e.retryAt = now + pause(e.attempts, res);
        e.err = res.err || 'http ' + res.code;
      });
    });
  };

  /** Send what is due (all of it after load/online), FLUSH_AT at a time, until one fails. */
  var drain = async function (all) {
    for (;;) {
      if (navigator.onLine === false || closing) return;
      var now = Date.now();
      var list = load(PENDING);
      var old = list.filter(function (e) { return (e.attempts || 0) > MAX_TRIES && typeof e.ts === 'number' && now - e.ts > DAY_MS; });
      if (old.length) { await bury(old, 'ttl', null); await remove(idSet(old)); continue; }
      var due = list.filter(function (e) { return e.payload && typeof e.payload === 'object' && (all || !e.retryAt || e.retryAt <= now); });
      if (!due.length) return;
      var batch = due.slice(0, FLUSH_AT);
      var res = await post(batch.map(function (e) { return e.payload; }));
      if (res.ok) { await remove(idSet(batch)); continue; }
      if (!refusal(res.code)) { await failed(batch, res); return; }
      for (var i = 0; i < batch.length; i++) { // find the refused one(s): one event per request
        var one = batch.length === 1 ? res : await post([batch[i].payload]);
        if (one.ok) await remove(idSet([batch[i]]));
        else if (refusal(one.code)) { await bury([batch[i]], 'rejected', one.code); await remove(idSet([batch[i]])); }
        else { await failed([batch[i]], one); return; }
      }
    }
  };

  var flush = function (all) {
    if (!HOST || closing) return Promise.resolve();
    if (flushing) { if (queuedFlush !== 'all') queuedFlush = all ? 'all' : 'due'; return Promise.resolve(); }
    flushing = true;
    var body = function (lock) {
      if (lock === null) { wake(Date.now() + 1000); return null; } // another tab flushes
      return drain(all);
    };
    var p = navigator.locks ? navigator.locks.request('lg_flush', { ifAvailable: true }, body) : Promise.resolve(body(true));
    return p.catch(function () { /* keep going */ }).then(function () {
      flushing = false;
      var again = queuedFlush;
      queuedFlush = null;
      if (again) return flush(again === 'all');
      var next = Infinity;
      load(PENDING).forEach(function (e) { if (e.retryAt) next = Math.min(next, e.retryAt); });
      if (next < Infinity) wake(Math.max(next, Date.now() + 50));
    });
  };
  var wake = function (at) {
    if (retryTimer && retryAt <= at) return;
    clearTimeout(retryTimer);
    retryAt = at;
    retryTimer = setTimeout(function () { retryTimer = null; flush(false); }, Math.max(0, at - Date.now()));
  };

  // ---- last gasp -------------------------------------------------------------------------------
  var lastGasp = function (ev) {
    if (closing) return;
    closing = true; // from here every write is synchronous: the page may be gone next task
    capture('system', 'session_end', ev.type, Math.round(performance.now() / 1000));
    clearTimeout(windowTimer);
    if (!HOST || !navigator.sendBeacon) return;
    var rank = function (e) { return e.payload.ec === 'conversion' ? 0 : e.payload.ea === 'heartbeat' ? 2 : 1; };
    var list = load(PENDING).filter(function (e) { return e.payload && typeof e.payload === 'object'; });
    list.sort(function (a, b) { return rank(a) - rank(b); });
    var picked = [], size = 12;
    for (var i = 0; i < list.length && picked.length < 100; i++) {
      var n = JSON.stringify(list[i].payload).length + 1;
      if (size + n > BEACON_LIMIT) break;
      size += n;
      picked.push(list[i]);
    }
    if (!picked.length) return;
    var ok = false;
    try { ok = navigator.sendBeacon(HOST, JSON.stringify({ events: picked.map(function (e) { return e.payload; }) })); } catch (e) { ok = false; }
    if (!ok) return;
    var ids = idSet(picked), at = Date.now();
    change(PENDING, function (all) { all.forEach(function (e) { if (ids[e.id]) e.beaconAt = at; }); });
  };

  // ---- wiring ----------------------------------------------------------------------------------
  document.addEventListener('linger:track', function (ev) {
    var d = ev.detail || {};
    capture(d.category, d.action, d.label, d.value, d.meta);
  });
  document.addEventListener('click', function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest('a[href]') : null;
    if (!a) return;
    var href = a.getAttribute('href') || '';
    if (/^tel:/i.test(href)) capture('conversion', 'phone_call', decodeURIComponent(href.slice(4)));
    else if (/^https?:\/\/(wa\.me|(api\.|web\.)?whatsapp\.com)\//i.test(href)) capture('conversion', 'whatsapp', a.href);
  }, true);
  document.addEventListener('submit', function (ev) {
    capture('conversion', 'form_submit', (ev.target && ev.target.id) || '');
  }, true);
  addEventListener('online', function () { openWindow(true); });
  addEventListener('pagehide', lastGasp);
  addEventListener('beforeunload', lastGasp);
  setInterval(function () { if (!closing) capture('system', 'heartbeat', '', null); }, 60000);
  window.linger = { flush: function () { return flush(true); }, stats: function () {
    return { pending: load(PENDING).length, storageErrors: storageErrors, flushing: flushing, version: '1.3.0' };
  } };

  capture('interaction', 'view', location.pathname);
  openWindow(true);
})();
