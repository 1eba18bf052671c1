/*
 * AjaxQ lead tracker 1.7 — phone, WhatsApp and form leads with an offline queue, written in the
 * style of trackers from before fetch: a constructor with prototype methods, XMLHttpRequest for
 * every send, callbacks instead of promises.
 *
 *   <script src="ajaxq.js" data-aq-site="SITE" data-aq-url="https://…/api/sync"></script>
 *   ajaxq.send(category, action, label, value, meta)
 *
 * Every change of the queue ("ajaxq_outbox") reads it from localStorage again, edits it and writes
 * it back at once (no copy kept between tasks; while storage refuses writes the queue lives in
 * memory). Entries tried more than 10 times and older than a day go to the dead letters. One send at a time per page: a batch of up to 10
 * as {events: […]} in application/json, through an XHR with xhr.timeout = 5 s. After a failure
 * (timeout, network error, 408, 429, 5xx) the whole queue pauses: 3 s doubling to 90 s, no jitter,
 * Retry-After honoured; a 4xx naming a batch is retried one event at a time and a refused single
 * event goes to "ajaxq_dead" with its payload. On pagehide the queue is beaconed (kept until a
 * later XHR is acknowledged).
 */
function AjaxQ(script) {
  this.KEY = "ajaxq_outbox";
  this.DEAD_KEY = "ajaxq_dead";
  this.site = script.getAttribute("data-aq-site");
  var url = script.getAttribute("data-aq-url");
  this.url = url ? new URL(url, location.href).href : null;
  this.busy = false;
  this.pause = 0;       // failures in a row: the queue-wide pause doubles with each
  this.resumeAt = 0;    // page time the queue may send again
  this.timer = null;
  this.closing = false;
  this.memory = {};     // key -> JSON text, while storage refuses the key's writes
  this.sid = this.session();
}

AjaxQ.prototype.session = function () {
  try {
    var sid = sessionStorage.getItem("ajaxq_sid");
    if (!sid) { sid = this.newId(); sessionStorage.setItem("ajaxq_sid", sid); }
    return sid;
  } catch (e) { return this.newId(); }
};

AjaxQ.prototype.newId = function () {
  var s = "";
  for (var i = 0; i < 4; i++) s += ("0000000" + Math.floor(Math.random() * 0x100000000).toString(16)).slice(-8);
  return s;
};

// Storage that refuses a write (full, private) leaves the list in memory: read from there until a
// write goes through again.
AjaxQ.prototype.read = function (key) {
  if (this.memory[key]) return JSON.parse(this.memory[key]);
  try {
    var v = JSON.parse(localStorage.getItem(key) || "[]");
    return Object.prototype.toString.call(v) === "[object Array]" ? v : [];
  } catch (e) { return []; }
};

// One read-modify-write: what `edit` returns is written back.
AjaxQ.prototype.change = function (key, edit) {
  var list = edit(this.read(key)), text = JSON.stringify(list);
  try { localStorage.setItem(key, text); delete this.memory[key]; } catch (e) { this.memory[key] = text; }
  return list;
};

AjaxQ.prototype.month = function (d) {
  var m = d.getUTCMonth() + 1;
  return d.getUTCFullYear() + "-" + (m < 10 ? "0" : "") + m + "-01";
};

AjaxQ.prototype.send = function (ec, ea, el, ev, meta) {
  if (!ec || !ea) return null;
  var d = new Date(), id = this.newId(), m = {}, k;
  if (meta && typeof meta === "object") for (k in meta) if (Object.prototype.hasOwnProperty.call(meta, k)) m[k] = meta[k];
  m.eid = id;
  var match = /[?&]gclid=([^&#]*)/.exec(location.search);
  m.gclid = match ? decodeURIComponent(match[1]) : null;
  var entry = { id: id, ts: d.getTime(), attempts: 0, payload: {
    s: this.site, u: location.href, sid: this.sid, sm: this.month(d), ec: ec, ea: ea,
    el: el == null ? "" : String(el), ev: typeof ev === "number" ? ev : null, r: document.referrer, meta: m } };
  this.change(this.KEY, function (q) { q.push(entry); return q; });
  if (!this.closing) this.flush(false);
  return id;
};

AjaxQ.prototype.flush = function (now) {
  if (now) this.resumeAt = 0;
  if (this.busy || this.closing || !this.url || !navigator.onLine) return;  // "online" flushes
  var wait = this.resumeAt - Date.now();
  if (wait > 0) { this.later(wait); return; }
  // The contract's drop rule: more than 10 tries and older than a day goes to the dead letters.
  var now = Date.now(), old = [];
  var queue = this.change(this.KEY, function (q) {
    return q.filter(function (e) { var keep = !(e.attempts > 10 && now - e.ts > 86400000); if (!keep) old.push(e); return keep; });
  });
  if (old.length) {
    this.change(this.DEAD_KEY, function (d) {
      for (var i = 0; i < old.length; i++) d.push({ id: old[i].id, ts: old[i].ts, payload: old[i].payload, attempts: old[i].attempts, reason: "ttl", at: now });
      return d.slice(-100);
    });
  }
  if (!queue.length) return;
  var batch = queue[0].single ? [queue[0]] : queue.slice(0, 10);
  this.post(batch);
};

AjaxQ.prototype.later = function (wait) {
  var self = this;
  clearTimeout(this.timer);
  this.timer = setTimeout(function () { self.timer = null; self.flush(false); }, wait);
};

AjaxQ.prototype.post = function (batch) {
  var self = this, xhr = new XMLHttpRequest();
  var ids = {};
  for (var i = 0; i < batch.length; i++) ids[batch[i].id] = true;
  this.busy = true;
  xhr.open("POST", this.url, true);
  xhr.setRequestHeader("Content-Type", "application/json");
  xhr.timeout = 5000;
  xhr.onreadystatechange = function () {
    if (xhr.readyState !== 4) return;
    // status 0: a timeout, an abort or a network error (their own events follow this one)
    self.done(batch, ids, xhr.status, xhr);
  };
  xhr.send(JSON.stringify({ events: batch.map(function (e) { return e.payload; }) }));
};

AjaxQ.prototype.done = function (batch, ids, status, xhr) {
  this.busy = false;
  if (status >= 200 && status < 300) {
    this.pause = 0;
    this.change(this.KEY, function (q) { return q.filter(function (e) { return !ids[e.id]; }); });
    this.flush(false);
    return;
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    var single = batch.length === 1;
    if (single) {
      var e = batch[0];
      this.change(this.DEAD_KEY, function (d) {
        d.push({ id: e.id, ts: e.ts, payload: e.payload, attempts: e.attempts, reason: "rejected", status: status, at: Date.now() });
        return d.slice(-100);
      });
    }
    this.change(this.KEY, function (q) {
      return single ? q.filter(function (x) { return !ids[x.id]; })
        : q.map(function (x) { if (ids[x.id]) x.single = true; return x; });
    });
    this.flush(false);
    return;
  }
  this.change(this.KEY, function (q) { return q.map(function (x) { if (ids[x.id]) x.attempts += 1; return x; }); });
  var wait = Math.min(90000, 3000 * Math.pow(2, this.pause));
  this.pause += 1;
  var after = Number(xhr.getResponseHeader("Retry-After"));
  if ((status === 429 || status === 503) && after > 0) wait = Math.min(86400000, after * 1000);
  this.resumeAt = Date.now() + wait;
  this.later(wait);
};

AjaxQ.prototype.unload = function (type) {
  if (this.closing) return;
  this.closing = true;
  this.send("system", "session_end", type, null);
  var queue = this.read(this.KEY);
  if (!this.url || !navigator.sendBeacon || !queue.length) return;
  var items = queue.slice(0, 100);
  if (navigator.sendBeacon(this.url, JSON.stringify({ events: items.map(function (e) { return e.payload; }) }))) {
    var beaconed = {};
    for (var i = 0; i < items.length; i++) beaconed[items[i].id] = true;
    this.change(this.KEY, function (q) { return q.map(function (x) { if (beaconed[x.id]) x.beaconed = true; return x; }); });
  }
};

(function () {
  var script = document.currentScript;
  if (!script) return;
  var aq = new AjaxQ(script);
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a") : null;
    if (!a) return;
    var href = a.getAttribute("href") || "";
    if (href.indexOf("tel:") === 0) aq.send("conversion", "phone_call", href.substring(4));
    else if (/wa\.me|whatsapp\.com/.test(href)) aq.send("conversion", "whatsapp", href);
  }, true);
  document.addEventListener("submit", function (ev) { aq.send("conversion", "form_submit", ev.target.id || "form"); }, true);
  window.addEventListener("online", function () { aq.flush(true); });
  window.addEventListener("pagehide", function () { aq.unload("pagehide"); });
  setInterval(function () { aq.send("system", "heartbeat", "", null); }, 60000);
  window.ajaxq = { send: function () { return aq.send.apply(aq, arguments); }, flush: function () { aq.flush(true); } };
  aq.send("interaction", "view", location.pathname);
})();
