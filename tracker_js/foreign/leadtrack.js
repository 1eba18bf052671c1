/*
 * LeadTrack snippet v1.9 — phone and WhatsApp lead tracking with an offline queue.
 *
 *   <script src="leadtrack.js" data-tid="SITE" data-collect="https://…/api/sync"></script>
 *   leadTrack.send(category, action, label, value, meta)
 *
 * The queue ("lt_queue") is read from localStorage once, when the snippet starts, and kept in
 * LeadTrack.queue; every change is made there and the whole array written back (one source of
 * truth, no re-parsing on every event). Refused events go to "lt_failed" with their payload.
 * Contract timings: 5 s timeout, backoff 5 s doubling to 5 min ±20 %, batches of 20.
 *
 * KNOWN BUG (kept on purpose, tracker_js/README.md "Foreign builds"): the in-memory copy is
 * never re-read, so with two tabs open each tab writes back its own copy and erases the events
 * the other tab stored in the meantime — a cross-tab overwrite without any await in sight.
 */
var LeadTrack = {
  KEY: "lt_queue",
  FAILED_KEY: "lt_failed",
  queue: [],
  failed: [],
  site: null,
  url: null,
  sid: null,
  sending: false,
  timer: null,
  closing: false,
  wantAll: false,
  storageErrors: 0,

  init: function (script) {
    this.site = script.getAttribute("data-tid");
    var collect = script.getAttribute("data-collect");
    this.url = collect ? new URL(collect, location.href).href : null;
    this.queue = this.read(this.KEY);
    this.failed = this.read(this.FAILED_KEY);
    try {
      this.sid = sessionStorage.getItem("lt_sid");
      if (!this.sid) { this.sid = this.newId(); sessionStorage.setItem("lt_sid", this.sid); }
    } catch (e) { this.sid = this.newId(); }
  },

  read: function (key) {
    try {
      var v = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(v) ? v.filter(function (x) { return x && x.id; }) : [];
    } catch (e) {
      this.storageErrors++;
      return [];
    }
  },

  save: function () {
    try { localStorage.setItem(this.KEY, JSON.stringify(this.queue)); }
    catch (e) { this.storageErrors++; } // the queue stays in memory and is still sent
  },

  saveFailed: function () {
    if (this.failed.length > 100) this.failed = this.failed.slice(-100);
    try { localStorage.setItem(this.FAILED_KEY, JSON.stringify(this.failed)); } catch (e) { this.storageErrors++; }
  },

  newId: function () {
    var s = "";
    for (var i = 0; i < 4; i++) s += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, "0");
    return s;
  },

  month: function (d) {
    return d.getUTCFullYear() + "-" + String(d.getUTCMonth() + 1).padStart(2, "0") + "-01";
  },

  send: function (ec, ea, el, ev, meta) {
    if (!ec || !ea) return null;
    var d = new Date();
    var id = this.newId();
    var m = {};
    if (meta && typeof meta === "object") Object.keys(meta).forEach(function (k) { m[k] = meta[k]; });
    m.eid = id;
    m.fp = null;
    m.gclid = new URLSearchParams(location.search).get("gclid");
    this.queue.push({ id: id, ts: d.getTime(), attempts: 0, payload: {
      s: this.site, u: location.href, sid: this.sid, sm: this.month(d), ec: ec, ea: ea,
      el: el == null ? "" : String(el), ev: typeof ev === "number" ? ev : null, r: document.referrer, meta: m } });
    this.save();
    if (!this.closing) this.process(false);
    return id;
  },

  due: function (e, all, now) {
    return all || !e.nextTry || e.nextTry <= now;
  },

  process: function (all) {
    var self = this;
    all = all || this.wantAll;
    if (this.sending) { this.wantAll = all; return; }
    if (!this.url || this.closing || !navigator.onLine) return;
    this.wantAll = false;
    var now = Date.now();
    var keep = [];
    this.queue.forEach(function (e) {
      if (e.attempts > 10 && now - e.ts > 86400000) {
        self.failed.push({ id: e.id, ts: e.ts, payload: e.payload, attempts: e.attempts, reason: "ttl", at: now });
      } else keep.push(e);
    });
    if (keep.length !== this.queue.length) { this.saveFailed(); this.queue = keep; this.save(); }
    var batch = this.queue.filter(function (e) { return self.due(e, all, now); }).slice(0, 20);
    if (batch.some(function (e) { return e.single; })) batch = batch.slice(0, 1); // isolating a refusal
    if (!batch.length) { this.schedule(); return; }
    this.sending = true;
    this.post(batch).then(function (res) {
      self.sending = false;
      var ids = {};
      batch.forEach(function (e) { ids[e.id] = true; });
      if (res.ok) {
        self.queue = self.queue.filter(function (e) { return !ids[e.id]; });
        self.save();
        self.process(all);
        return;
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        if (batch.length === 1) {
          self.failed.push({ id: batch[0].id, ts: batch[0].ts, payload: batch[0].payload, attempts: batch[0].attempts,
            reason: "rejected", status: res.status, at: Date.now() });
          self.saveFailed();
          self.queue = self.queue.filter(function (e) { return !ids[e.id]; });
        } else {
          self.queue.forEach(function (e) { if (ids[e.id]) e.single = true; });
        }
        self.save();
        self.process(all);
        return;
      }
      var t = Date.now();
      self.queue.forEach(function (e) {
        if (!ids[e.id] || (res.status === 0 && !navigator.onLine)) return;
        e.attempts += 1;
        var wait = Math.min(300000, Math.min(300000, 5000 * Math.pow(2, e.attempts - 1)) * (0.8 + 0.4 * Math.random()));
        if ((res.status === 429 || res.status === 503) && res.retryAfter > 0) wait = Math.min(86400000, res.retryAfter * 1000);
        e.nextTry = t + Math.round(wait);
      });
      self.save();
      self.process(false); // events that came in meanwhile were never tried: they are due
    });
  },

  post: function (batch) {
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, 5000);
    var body = JSON.stringify({ events: batch.map(function (e) { return e.payload; }) });
    return fetch(this.url, { method: "POST", body: body, keepalive: true, signal: ctrl.signal,
      headers: { "Content-Type": "application/json" } })
      .then(function (r) { return { ok: r.ok, status: r.status, retryAfter: Number(r.headers.get("Retry-After")) || 0 }; },
            function () { return { ok: false, status: 0 }; })
      .finally(function () { clearTimeout(timer); });
  },

  schedule: function () {
    var self = this;
    var next = Infinity;
    this.queue.forEach(function (e) { if (e.nextTry) next = Math.min(next, e.nextTry); });
    clearTimeout(this.timer);
    if (next < Infinity) this.timer = setTimeout(function () { self.process(false); }, Math.max(0, next - Date.now()));
  },

  unload: function (type) {
    if (this.closing) return;
    this.closing = true;
    this.send("system", "session_end", type, null);
    if (!this.url || !navigator.sendBeacon || !this.queue.length) return;
    var items = this.queue.slice(0, 100);
    var ok = navigator.sendBeacon(this.url, JSON.stringify({ events: items.map(function (e) { return e.payload; }) }));
    if (ok) {
      items.forEach(function (e) { e.beaconed = true; });
      this.save();
    }
  },
};

(function () {
  var script = document.currentScript;
  if (!script) return;
  LeadTrack.init(script);
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a") : null;
    if (!a) return;
    var href = a.getAttribute("href") || "";
    if (href.indexOf("tel:") === 0) LeadTrack.send("conversion", "phone_call", href.substring(4));
    else if (/wa\.me|whatsapp\.com/.test(href)) LeadTrack.send("conversion", "whatsapp", href);
  }, true);
  document.addEventListener("submit", function (ev) {
    LeadTrack.send("conversion", "form_submit", ev.target.id || "form");
  }, true);
  window.addEventListener("online", function () { LeadTrack.process(true); });
  window.addEventListener("pagehide", function () { LeadTrack.unload("pagehide"); });
  window.addEventListener("beforeunload", function () { LeadTrack.unload("beforeunload"); });
  setInterval(function () { LeadTrack.send("system", "heartbeat", "", null); }, 60000);
  window.leadTrack = { send: function () { return LeadTrack.send.apply(LeadTrack, arguments); },
                       flush: function () { LeadTrack.process(true); } };
  LeadTrack.wantAll = true; // the first pass sends everything, backoff or not
  LeadTrack.send("interaction", "view", location.pathname);
})();
