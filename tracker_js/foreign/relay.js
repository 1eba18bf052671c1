/*!
 * Relay Analytics web client 3.4 — lead events with an offline queue.
 *
 *   <script src="relay.js" data-relay-site="SITE" data-relay-endpoint="https://…/api/sync"></script>
 *
 * window.relay.send(category, action, label, value, meta)   (alias window.relay.track)
 *
 * Queue: localStorage "relay.queue.v3" (JSON array of {id, ts, payload, attempts, retryAt,
 * status, beaconedAt}); refusals in "relay.dead.v3" as {id, at, reason, status, ec, ea,
 * attempts} (no payload: the queue must not keep personal data it cannot send). Form submits
 * are not tracked. Requests: text/plain {"events":[…]} of at most 20, 10 s timeout,
 * exponential backoff 2 s · 2^n ±30 %, capped at 60 s.
 */
(function () {
  'use strict';

  var QUEUE_KEY = 'relay.queue.v3';
  var DEAD_KEY = 'relay.dead.v3';
  var SID_KEY = 'relay.sid';
  var GCLID_KEY = 'relay.gclid';
  var BATCH = 20;
  var TIMEOUT_MS = 10000;
  var BASE_MS = 2000;
  var CAP_MS = 60000;
  var JITTER = 0.3;
  var MAX_TRIES = 10;
  var MAX_AGE_MS = 24 * 3600 * 1000;
  var QUEUE_CAP = 600;
  var DEAD_CAP = 200;
  var BEACON_BYTES = 60000;
  var HEARTBEAT_MS = 60000;

  var tag = document.currentScript;
  if (!tag) return;

  function uid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    var h = '';
    for (var i = 0; i < b.length; i++) h += (b[i] + 256).toString(16).slice(1);
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  /** Persistent array under one key; every change is read-modify-write under a Web Lock. */
  class Store {
    constructor(key) {
      this.key = key;
      this.spill = []; // what storage refused to keep: still sent, never dropped
      this.failures = 0;
    }

    load() {
      var raw;
      try { raw = localStorage.getItem(this.key); } catch (e) { this.failures++; return this.spill.slice(); }
      var list = [];
      if (raw) {
        try { list = JSON.parse(raw); } catch (e) { list = null; }
        if (!Array.isArray(list)) {
          try { localStorage.setItem(this.key + '.unreadable.' + Date.now(), raw); } catch (e) { this.failures++; }
          list = [];
        }
      }
      var seen = {};
      for (var i = 0; i < list.length; i++) if (list[i] && list[i].id) seen[list[i].id] = true;
      for (var j = 0; j < this.spill.length; j++) if (!seen[this.spill[j].id]) list.push(this.spill[j]);
      return list;
    }

    save(list) {
      try {
        localStorage.setItem(this.key, JSON.stringify(list));
        this.spill = [];
        return true;
      } catch (e) {
        this.failures++;
        this.spill = list.slice();
        return false;
      }
    }

    /** fn edits the list in place; runs under the store lock unless `now` is set (unload). */
    change(fn, now) {
      var self = this;
      var run = function () { var list = self.load(); var out = fn(list); self.save(list); return out; };
      if (now || !navigator.locks) return Promise.resolve(run());
      return navigator.locks.request('relay:' + this.key, run);
    }
  }

  /** One POST or beacon; never throws, always says what happened. */
  class Transport {
    constructor(url) { this.url = url; }

    post(events) {
      var ctrl = new AbortController();
      var timer = setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS);
      var body = JSON.stringify({ events: events });
      return fetch(this.url, {
        method: 'POST', body: body, keepalive: body.length < BEACON_BYTES, signal: ctrl.signal,
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      }).then(function (res) {
        return res.text().then(function (text) {
          var json = null;
          try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
          return { ok: res.ok, status: res.status, json: json, retryAfter: res.headers.get('Retry-After') };
        }, function () { return { ok: res.ok, status: res.status, json: null, retryAfter: null }; });
      }, function (err) {
        return { ok: false, status: 0, json: null, error: err && err.name === 'AbortError' ? 'timeout' : 'network' };
      }).finally(function () { clearTimeout(timer); });
    }

    beacon(events) {
      if (!navigator.sendBeacon) return false;
      try { return navigator.sendBeacon(this.url, JSON.stringify({ events: events })); } catch (e) { return false; }
    }
  }

  class RelayClient {
    constructor(site, endpoint) {
      this.site = site;
      this.transport = endpoint ? new Transport(new URL(endpoint, location.href).href) : null;
      this.queue = new Store(QUEUE_KEY);
      this.dead = new Store(DEAD_KEY);
      this.timer = null;
      this.wakeAt = 0;
      this.busy = false;
      this.rerun = null; // null | 'due' | 'all'
      this.unloaded = false;
      this.loadedAt = Date.now();
      this.sid = this.session();
      this.gclid = this.clickId();
      this.fp = this.fingerprint();
      this.counts = { delivered: 0, failed: 0, refused: 0, expired: 0, shed: 0 };
    }

    session() {
      try {
        var sid = sessionStorage.getItem(SID_KEY);
        if (!sid) { sid = uid(); sessionStorage.setItem(SID_KEY, sid); }
        return sid;
      } catch (e) { return uid(); }
    }

    clickId() {
      var g = null;
      try { g = new URL(location.href).searchParams.get('gclid'); } catch (e) { /* ignore */ }
      try {
        if (g) sessionStorage.setItem(GCLID_KEY, g); else g = sessionStorage.getItem(GCLID_KEY);
      } catch (e) { /* private mode */ }
      return g || null;
    }

    fingerprint() {
      var s = [navigator.userAgent, navigator.language, screen.width, screen.height, new Date().getTimezoneOffset()].join('|');
      var h = 0x811c9dc5;
      for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
      return ('0000000' + h.toString(16)).slice(-8);
    }

    envelope(category, action, label, value, meta) {
      var id = uid();
      var d = new Date();
      var m = {};
      if (meta && typeof meta === 'object') for (var k in meta) m[k] = meta[k];
      m.fp = this.fp; m.gclid = this.gclid; m.eid = id;
      return {
        id: id, ts: d.getTime(), attempts: 0,
        payload: {
          s: this.site, u: location.href.slice(0, 4096), sid: this.sid,
          sm: d.getUTCFullYear() + '-' + ('0' + (d.getUTCMonth() + 1)).slice(-2) + '-01',
          ec: category, ea: action, el: label == null ? '' : String(label),
          ev: typeof value === 'number' && isFinite(value) ? value : null,
          r: (document.referrer || '').slice(0, 2048), meta: m,
        },
      };
    }

    send(category, action, label, value, meta) {
      if (typeof category !== 'string' || !category || typeof action !== 'string' || !action) return null;
      var env = this.envelope(category, action, label, value, meta);
      var self = this;
      var write = this.queue.change(function (list) { list.push(env); self.shed(list); }, this.unloaded);
      if (!this.unloaded) write.then(function () { self.pump('due'); });
      return env.id;
    }

    /** Over the cap: heartbeats go first, then other non-conversions; never a conversion. */
    shed(list) {
      var over = list.length - QUEUE_CAP;
      var gone = [];
      var pass = function (test) {
        for (var i = 0; i < list.length && over > 0;) {
          var p = list[i].payload || {};
          if (test(p)) { gone.push(list.splice(i, 1)[0]); over--; } else i++;
        }
      };
      pass(function (p) { return p.ec === 'system' && p.ea === 'heartbeat'; });
      pass(function (p) { return p.ec !== 'conversion'; });
      if (gone.length) {
        this.counts.shed += gone.length;
        this.bury(gone, 'overflow', null, true);
      }
    }

    /** Dead-letter records without payloads; written before the queue write that drops them. */
    bury(envs, reason, status, now) {
      var at = Date.now();
      return this.dead.change(function (dead) {
        envs.forEach(function (e) {
          var p = e.payload || {};
          dead.push({ id: e.id, at: at, reason: reason, status: status, ec: p.ec, ea: p.ea, attempts: e.attempts });
        });
        if (dead.length > DEAD_CAP) dead.splice(0, dead.length - DEAD_CAP);
      }, now);
    }

    /** Start a pass ('all' skips backoff: load and online), or remember to run one after this. */
    pump(mode) {
      if (!this.transport || this.unloaded) return Promise.resolve();
      if (this.busy) {
        if (this.rerun !== 'all') this.rerun = mode;
        return Promise.resolve();
      }
      this.busy = true;
      var self = this;
      var run = function (lock) {
        if (lock === null) { self.sleep(Date.now() + 1000); return null; } // another tab is sending
        return self.pass(mode === 'all');
      };
      var p = navigator.locks ? navigator.locks.request('relay:sender', { ifAvailable: true }, run) : Promise.resolve(run(true));
      return p.catch(function () { /* keep running */ }).then(function () {
        self.busy = false;
        var again = self.rerun;
        self.rerun = null;
        if (again) return self.pump(again);
        return self.plan();
      });
    }

    async pass(all) {
      for (;;) {
        if (navigator.onLine === false || this.unloaded) return;
        await this.expire();
        var now = Date.now();
        var list = this.queue.load().filter(function (e) {
          return e && e.id && e.payload && typeof e.payload === 'object' && (all || !e.retryAt || e.retryAt <= now);
        });
        if (!list.length) return;
        var batch = list.slice(0, BATCH);
        var res = await this.transport.post(batch.map(function (e) { return e.payload; }));
        if (res.ok) { await this.done(batch); continue; }
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          await this.refused(batch, res);
          continue;
        }
        await this.failed(batch, res);
        return;
      }
    }

    done(batch) {
      var ids = {};
      batch.forEach(function (e) { ids[e.id] = true; });
      this.counts.delivered += batch.length;
      return this.queue.change(function (list) {
        for (var i = list.length - 1; i >= 0; i--) if (list[i] && ids[list[i].id]) list.splice(i, 1);
      });
    }

    /** 4xx: the server names the bad events (`invalid`); a batch that names none is split up. */
    async refused(batch, res) {
      var bad = [];
      if (batch.length === 1) bad = batch;
      else if (res.json && Array.isArray(res.json.invalid) && res.json.invalid.length) {
        bad = res.json.invalid.map(function (i) { return batch[i]; }).filter(Boolean);
      } else {
        for (var i = 0; i < batch.length; i++) {
          var one = await this.transport.post([batch[i].payload]);
          if (one.ok) await this.done([batch[i]]);
          else if (one.status >= 400 && one.status < 500 && one.status !== 408 && one.status !== 429) bad.push(batch[i]);
          else { await this.failed([batch[i]], one); return; }
        }
      }
      if (!bad.length) return;
      this.counts.refused += bad.length;
      await this.bury(bad, 'rejected', res.status);
      var ids = {};
      bad.forEach(function (e) { ids[e.id] = true; });
      await this.queue.change(function (list) {
        for (var k = list.length - 1; k >= 0; k--) if (list[k] && ids[list[k].id]) list.splice(k, 1);
      });
    }

    failed(batch, res) {
      this.counts.failed++;
      var now = Date.now();
      var offline = res.status === 0 && navigator.onLine === false;
      var hinted = null;
      if ((res.status === 429 || res.status === 503) && res.retryAfter) {
        var s = Number(res.retryAfter);
        hinted = isFinite(s) ? s * 1000 : Date.parse(res.retryAfter) - now;
        if (!(hinted >= 0)) hinted = null; else hinted = Math.min(hinted, MAX_AGE_MS);
      }
      var ids = {};
      batch.forEach(function (e) { ids[e.id] = true; });
      return this.queue.change(function (list) {
        list.forEach(function (e) {
          if (!e || !ids[e.id]) return;
          if (offline) return; // the network was down, the send never had a chance
          e.attempts = (e.attempts || 0) + 1;
          var wait = Math.min(CAP_MS, BASE_MS * Math.pow(2, e.attempts - 1) * (1 + JITTER * (2 * Math.random() - 1)));
          e.retryAt = now + (hinted !== null ? hinted : Math.round(wait));
          e.status = res.status || res.error;
        });
      });
    }

    /** attempts > 10 AND older than 24 h: dead-lettered as ttl, then removed. */
    async expire() {
      var now = Date.now();
      var old = this.queue.load().filter(function (e) {
        return e && (e.attempts || 0) > MAX_TRIES && typeof e.ts === 'number' && now - e.ts > MAX_AGE_MS;
      });
      var broken = this.queue.load().filter(function (e) { return e && e.id && (!e.payload || typeof e.payload !== 'object'); });
      if (!old.length && !broken.length) return;
      this.counts.expired += old.length;
      if (old.length) await this.bury(old, 'ttl', null);
      if (broken.length) await this.bury(broken, 'malformed', null);
      var ids = {};
      old.concat(broken).forEach(function (e) { ids[e.id] = true; });
      await this.queue.change(function (list) {
        for (var i = list.length - 1; i >= 0; i--) if (list[i] && ids[list[i].id]) list.splice(i, 1);
      });
    }

    /** Wake up when the earliest backed-off envelope is due. */
    plan() {
      var next = Infinity;
      this.queue.load().forEach(function (e) { if (e && e.retryAt) next = Math.min(next, e.retryAt); });
      if (next < Infinity) this.sleep(Math.max(next, Date.now() + 50));
    }

    sleep(at) {
      if (this.timer && this.wakeAt <= at) return;
      clearTimeout(this.timer);
      this.wakeAt = at;
      var self = this;
      this.timer = setTimeout(function () { self.timer = null; self.pump('due'); }, Math.max(0, at - Date.now()));
    }

    /** pagehide / beforeunload (once): session end, then beacon what is queued; keep it queued. */
    unload(type) {
      if (this.unloaded) return;
      this.unloaded = true; // from here on every write is synchronous: the page may be gone next task
      this.send('system', 'session_end', type, Math.round((Date.now() - this.loadedAt) / 1000));
      if (!this.transport) return;
      var list = this.queue.load().filter(function (e) { return e && e.payload; });
      var rank = function (e) { return e.payload.ec === 'conversion' ? 0 : e.payload.ea === 'heartbeat' ? 2 : 1; };
      list.sort(function (a, b) { return rank(a) - rank(b); });
      var picked = [];
      var size = 12;
      for (var i = 0; i < list.length && picked.length < 100; i++) {
        var n = JSON.stringify(list[i].payload).length + 1;
        if (size + n > BEACON_BYTES) break;
        size += n;
        picked.push(list[i]);
      }
      if (!picked.length || !this.transport.beacon(picked.map(function (e) { return e.payload; }))) return;
      var ids = {};
      var at = Date.now();
      picked.forEach(function (e) { ids[e.id] = true; });
      this.queue.change(function (all) { all.forEach(function (e) { if (e && ids[e.id]) e.beaconedAt = at; }); }, true);
    }

    stats() {
      return {
        queued: this.queue.load().length, delivered: this.counts.delivered, failed: this.counts.failed,
        refused: this.counts.refused, expired: this.counts.expired, shed: this.counts.shed,
        storageFailures: this.queue.failures + this.dead.failures, online: navigator.onLine,
      };
    }
  }

  var client = new RelayClient(tag.getAttribute('data-relay-site'), tag.getAttribute('data-relay-endpoint'));

  document.addEventListener('click', function (e) {
    var a = e.target && e.target.closest ? e.target.closest('a[href]') : null;
    if (!a) return;
    var href = a.getAttribute('href') || '';
    if (/^tel:/i.test(href)) client.send('conversion', 'phone_call', decodeURIComponent(href.slice(4)));
    else if (/^https?:\/\/(wa\.me|(api\.|web\.)?whatsapp\.com)\//i.test(href)) client.send('conversion', 'whatsapp', a.href);
  }, true);
  window.addEventListener('online', function () { client.pump('all'); });
  window.addEventListener('pagehide', function () { client.unload('pagehide'); });
  window.addEventListener('beforeunload', function () { client.unload('beforeunload'); });
  setInterval(function () { if (!client.unloaded) client.send('system', 'heartbeat', '', null); }, HEARTBEAT_MS);

  var api = {
    send: function (c, a, l, v, m) { return client.send(c, a, l, v, m); },
    flush: function () { return client.pump('all'); },
    stats: function () { return client.stats(); },
    version: '3.4.0',
  };
  api.track = api.send;
  window.relay = api;

  client.send('interaction', 'view', location.pathname);
  client.pump('all');
})();
