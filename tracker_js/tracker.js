/*!
 * Tank Tracker — reference build of the outbox_v2 contract (SPEC §2) with every required choice of
 * SPEC §4. One IIFE, no build step. Mutants (tracker_js/mutants/*.yaml) are exact-text patches of
 * this file, so lines are kept small and distinctive: change a line, check the mutants still apply
 * (tests/tracker/test_builds.py).
 *
 * Storage keys (localStorage):
 *   opsmantik_outbox_v2            JSON array of envelopes {id, ts, payload, attempts, nextAt?,
 *                                  lastStatus?, lastError?, beaconed?, beaconedAt?, beacons?}
 *   opsmantik_deadletter_v2        JSON array {id, ts, payload, attempts, reason, status, at}
 *                                  reason: rejected | ttl | overflow | malformed (capped, oldest out)
 *   opsmantik_outbox_v2_corrupt    an unparseable outbox value, moved aside verbatim
 *                                  (…_corrupt_<ms> when that key is taken)
 *   opsmantik_outbox_v2_lease      cross-tab sender lease, only where Web Locks are missing
 * sessionStorage: opsmantik_sid (session id per tab), opsmantik_gclid (gclid seen in this tab).
 * `sm` is computed in UTC.
 */
(function () {
  'use strict';

  const VERSION = '2.0.0-reference';
  const OUTBOX_KEY = 'opsmantik_outbox_v2';
  const DEADLETTER_KEY = 'opsmantik_deadletter_v2';
  const LEASE_KEY = 'opsmantik_outbox_v2_lease';
  const SID_KEY = 'opsmantik_sid';
  const GCLID_KEY = 'opsmantik_gclid';
  const SENDER_LOCK = 'opsmantik_outbox_v2_sender';
  const STORE_LOCK = 'opsmantik_outbox_v2_store';
  const MAX_ATTEMPTS = 10;
  const MAX_AGE_MS = 24 * 60 * 60 * 1000;
  const LOCK_RETRY_MS = 1000;
  const MIN_RETRY_AFTER_MS = 1000;
  const MAX_RETRY_AFTER_MS = MAX_AGE_MS;
  const SYNC_BATCH_LIMIT = 100;
  const URL_MAX = 4096;
  const REFERRER_MAX = 2048;

  if (window.opmantik && window.opmantik.__tank) return; // loaded twice: the first copy stays in charge

  // ---------------------------------------------------------------- config (own script tag)
  const configWarnings = [];
  const script = document.currentScript || document.querySelector('script[data-site-id]');

  function attr(name) {
    return script ? script.getAttribute(name) : null;
  }

  function numAttr(name, fallback, min, max) {
    const raw = attr(name);
    if (raw === null || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (Number.isFinite(n) && n >= min && n <= max) return n;
    configWarnings.push(name + '=' + JSON.stringify(raw) + ' is not a number in [' + min + ', ' + max + ']; using ' + fallback);
    return fallback;
  }

  function apiAttr() {
    const raw = attr('data-api');
    if (!raw) { configWarnings.push('data-api is missing: events are kept but never sent'); return ''; }
    try { return new URL(raw, location.href).href; } catch (err) {
      configWarnings.push('data-api=' + JSON.stringify(raw) + ' is not a URL: events are kept but never sent');
      return '';
    }
  }

  const cfg = Object.freeze({
    siteId: attr('data-site-id') || '',
    api: apiAttr(),
    timeoutMs: numAttr('data-timeout-ms', 5000, 1, 600000),
    backoffBaseMs: numAttr('data-backoff-base-ms', 5000, 1, MAX_AGE_MS),
    backoffCapMs: numAttr('data-backoff-cap-ms', 300000, 1, MAX_AGE_MS),
    jitter: numAttr('data-jitter', 0.2, 0, 1),
    outboxCap: Math.floor(numAttr('data-outbox-cap', 5000, 1, 1000000)),
    deadLetterCap: Math.floor(numAttr('data-deadletter-cap', 500, 1, 1000000)),
    heartbeatMs: numAttr('data-heartbeat-ms', 60000, 0, MAX_AGE_MS),
    batchMax: Math.floor(numAttr('data-batch-max', 20, 1, SYNC_BATCH_LIMIT)),
    beaconMaxBytes: Math.floor(numAttr('data-beacon-max-bytes', 60000, 512, 65536)),
    offlinePollMs: numAttr('data-offline-poll-ms', 30000, 100, MAX_AGE_MS),
  });
  if (!cfg.siteId) configWarnings.push('data-site-id is missing: the Sync endpoint will reject every event');

  // ---------------------------------------------------------------- counters (surfaced by stats())
  const counters = {
    storageFailures: 0, lastStorageError: null, corruptOutboxes: 0, corruptDeadLetters: 0,
    corruptLost: 0, repairedEnvelopes: 0, deadLettered: 0, deadLetterTrimmed: 0, delivered: 0,
    sendFailures: 0, rejected: 0, droppedTtl: 0, shed: 0, beaconed: 0, beaconsRefused: 0,
    invalidCalls: 0, lastInvalidCall: null, internalErrors: 0, lastInternalError: null,
  };
  // Processing state of this tab: one pass at a time, the wake timer, the unload flags.
  const run = { active: null, force: false, again: false, wakeTimer: null, wakeAt: 0, unloading: false, gasped: false, pendingWrites: 0, leased: false };
  let memQueue = []; // envelopes storage could not hold (quota, private mode): still sent from here
  let memDead = []; // dead-letter records storage could not hold
  const tabId = newId();
  const loadedAt = now();

  function now() {
    return Date.now();
  }

  function errorText(err) {
    return err && err.name ? err.name + ': ' + err.message : String(err);
  }

  function noteInternalError(err) {
    counters.internalErrors += 1;
    counters.lastInternalError = errorText(err);
  }

  // ---------------------------------------------------------------- ids, session, fingerprint
  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    const b = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function sessionGet(key) {
    try { return window.sessionStorage.getItem(key); } catch (err) { noteStorageFailure('read', key, err); return null; }
  }

  function sessionSet(key, value) {
    try { window.sessionStorage.setItem(key, value); } catch (err) { noteStorageFailure('write', key, err); }
  }

  let memSid = null;
  function sessionId() {
    if (memSid) return memSid;
    memSid = sessionGet(SID_KEY) || newId();
    sessionSet(SID_KEY, memSid);
    return memSid;
  }

  let memGclid;
  function gclid() {
    if (memGclid !== undefined) return memGclid;
    let fromUrl = null;
    try { fromUrl = new URL(location.href).searchParams.get('gclid'); } catch (err) { fromUrl = null; }
    if (fromUrl) sessionSet(GCLID_KEY, fromUrl);
    memGclid = fromUrl || sessionGet(GCLID_KEY) || null;
    return memGclid;
  }

  let memFp = null;
  function fingerprint() {
    if (memFp) return memFp;
    const s = window.screen || {};
    const parts = [navigator.userAgent, navigator.language, navigator.platform, navigator.hardwareConcurrency,
      s.width + 'x' + s.height + 'x' + s.colorDepth, new Date(0).getTimezoneOffset()];
    let h = 0x811c9dc5; // FNV-1a, 32 bit: stable per browser, no personal data
    for (const ch of parts.join('|')) { h ^= ch.charCodeAt(0); h = Math.imul(h, 0x01000193) >>> 0; }
    memFp = h.toString(16).padStart(8, '0');
    return memFp;
  }

  function sessionMonth() {
    const d = new Date(now()); // UTC month of the client clock at creation
    return d.getUTCFullYear() + '-' + String(d.getUTCMonth() + 1).padStart(2, '0') + '-01';
  }

  const encoder = new TextEncoder();
  function byteLength(text) {
    return encoder.encode(text).length;
  }

  function idSet(group) {
    return new Set(group.map((env) => env.id));
  }

  // ---------------------------------------------------------------- storage primitives
  function noteStorageFailure(op, key, err) {
    counters.storageFailures += 1;
    counters.lastStorageError = op + ' ' + key + ': ' + errorText(err);
  }

  function readKey(key, quiet) {
    try { return { ok: true, value: window.localStorage.getItem(key) }; } catch (err) {
      if (!quiet) noteStorageFailure('read', key, err);
      return { ok: false, value: null };
    }
  }

  function writeKey(key, value) {
    try { window.localStorage.setItem(key, value); return true; } catch (err) {
      noteStorageFailure('write', key, err);
      return false;
    }
  }

  function removeKey(key) {
    try { window.localStorage.removeItem(key); return true; } catch (err) {
      noteStorageFailure('remove', key, err);
      return false;
    }
  }

  // JSON array, or null when the value is not one (corrupt). A missing key is an empty list.
  function parseList(raw) {
    if (raw === null || raw === '') return [];
    try {
      const value = JSON.parse(raw);
      return Array.isArray(value) ? value : null;
    } catch (err) {
      return null;
    }
  }

  // Keep an unreadable value verbatim under <key>_corrupt so nothing is destroyed.
  function moveAside(key, raw) {
    const base = key + '_corrupt';
    const taken = readKey(base, true);
    const target = taken.ok && taken.value !== null ? base + '_' + now() : base;
    if (writeKey(target, raw)) return target;
    if (removeKey(key) && writeKey(target, raw)) return target; // free the space it held, then copy
    counters.corruptLost += 1;
    return null;
  }

  function isPlainObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }

  function isCount(value) {
    return typeof value === 'number' && Number.isFinite(value) && value >= 0;
  }

  function deadRecord(env, reason, status) {
    return { id: env.id, ts: env.ts, payload: env.payload, attempts: env.attempts, reason: reason, status: status === undefined ? null : status, at: now() };
  }

  // An envelope as stored, repaired where possible; null (and a dead letter) when it has no payload.
  function repairEnvelope(item, snap) {
    if (!isPlainObject(item) || !isPlainObject(item.payload)) {
      const id = isPlainObject(item) && item.id ? String(item.id) : newId();
      snap.dead.push({ id: id, ts: isPlainObject(item) ? item.ts : null, payload: null, attempts: isPlainObject(item) ? item.attempts : null, reason: 'malformed', status: null, at: now(), raw: item });
      snap.dirty = true;
      return null;
    }
    const env = Object.assign({}, item);
    let fixed = false;
    if (typeof env.id !== 'string' || env.id === '') {
      const eid = isPlainObject(env.payload.meta) ? env.payload.meta.eid : null;
      env.id = typeof env.id === 'number' ? String(env.id) : (typeof eid === 'string' && eid ? eid : newId());
      fixed = true;
    }
    if (!isCount(env.ts)) { env.ts = now(); fixed = true; }
    if (!isCount(env.attempts)) { env.attempts = 0; fixed = true; }
    if (fixed) { counters.repairedEnvelopes += 1; snap.dirty = true; }
    return env;
  }

  // ---------------------------------------------------------------- the outbox: re-read, edit by id, write
  // Fresh view of the queue: stored envelopes (repaired) plus this tab's memory-only ones.
  function loadQueue() {
    const read = readKey(OUTBOX_KEY);
    const snap = { list: [], storedIds: new Set(), writable: read.ok, dirty: false, dead: [] };
    if (read.ok) {
      let items = parseList(read.value);
      if (items === null) {
        counters.corruptOutboxes += 1;
        moveAside(OUTBOX_KEY, read.value);
        snap.dirty = true;
        items = [];
      }
      for (const item of items) {
        const env = repairEnvelope(item, snap);
        if (!env) continue;
        if (snap.storedIds.has(env.id)) { snap.dirty = true; continue; } // a duplicate id: keep the first
        snap.storedIds.add(env.id);
        snap.list.push(env);
      }
    }
    for (const env of memQueue) if (!snap.storedIds.has(env.id)) snap.list.push(env);
    return snap;
  }

  // Write the edited queue; what storage refuses stays in memory (counted, still sent).
  function persistQueue(snap) {
    const list = snap.list;
    if (snap.writable && writeKey(OUTBOX_KEY, JSON.stringify(list))) {
      memQueue = [];
      return true;
    }
    const unsaved = list.filter((env) => !snap.storedIds.has(env.id));
    if (snap.writable) writeKey(OUTBOX_KEY, JSON.stringify(list.filter((env) => snap.storedIds.has(env.id))));
    memQueue = unsaved;
    return false;
  }

  // One read-edit-write. edit(list, dead) edits in place and returns true on a change; dead-letter
  // records are written before the outbox, so a removal is never unexplained.
  function mutateQueueNow(edit) {
    const snap = loadQueue();
    const changed = edit(snap.list, snap.dead) === true;
    if (snap.dead.length) appendDeadLetters(snap.dead);
    if (changed || snap.dirty) persistQueue(snap);
    return snap.list;
  }

  function hasLocks() {
    return !!(navigator.locks && navigator.locks.request);
  }

  // The one way the outbox changes (resolves to the queue after the edit). Chromium's localStorage
  // is only eventually consistent between tabs in different processes, so an unlocked
  // read-modify-write can erase another tab's write: every mutation holds a short Web Lock. While
  // the page unloads (no time to wait) or without Web Locks it runs at once.
  function mutateQueue(edit) {
    if (run.unloading || !hasLocks()) return Promise.resolve(mutateQueueNow(edit));
    let started = false;
    run.pendingWrites += 1;
    return navigator.locks.request(STORE_LOCK, () => { started = true; return mutateQueueNow(edit); })
      .catch(function (err) {
        if (started) throw err;
        noteInternalError(err); // the lock manager refused (e.g. a sandboxed frame): write unlocked
        return mutateQueueNow(edit);
      })
      .finally(() => { run.pendingWrites -= 1; });
  }

  function noEdit() {
    return false;
  }

  function removeEnvelopes(ids) {
    const drop = new Set(ids);
    if (!drop.size) return Promise.resolve();
    return mutateQueue(function (list) {
      const before = list.length;
      for (let i = list.length - 1; i >= 0; i--) if (drop.has(list[i].id)) list.splice(i, 1);
      return list.length !== before;
    });
  }

  function appendDeadLetters(records) {
    counters.deadLettered += records.length;
    const read = readKey(DEADLETTER_KEY);
    let list = read.ok ? parseList(read.value) : [];
    if (list === null) {
      counters.corruptDeadLetters += 1;
      moveAside(DEADLETTER_KEY, read.value);
      list = [];
    }
    const pending = memDead.concat(records);
    list = list.concat(pending);
    if (list.length > cfg.deadLetterCap) {
      counters.deadLetterTrimmed += list.length - cfg.deadLetterCap;
      list = list.slice(list.length - cfg.deadLetterCap);
    }
    if (read.ok && writeKey(DEADLETTER_KEY, JSON.stringify(list))) memDead = [];
    else memDead = pending.slice(-cfg.deadLetterCap);
  }

  function deadLetterEnvelopes(group, reason, status) {
    const ids = idSet(group);
    return mutateQueue(function (list, dead) {
      let changed = false;
      for (let i = list.length - 1; i >= 0; i--) {
        if (!ids.has(list[i].id)) continue;
        dead.unshift(deadRecord(list[i], reason, status));
        list.splice(i, 1);
        changed = true;
      }
      return changed;
    });
  }

  // ---------------------------------------------------------------- policy: drop rule, overflow
  function isExpired(env, t) {
    return env.attempts > MAX_ATTEMPTS && t - env.ts > MAX_AGE_MS;
  }

  function pruneExpired(list, dead, t) {
    let changed = false;
    for (let i = list.length - 1; i >= 0; i--) {
      if (!isExpired(list[i], t)) continue;
      dead.unshift(deadRecord(list[i], 'ttl'));
      list.splice(i, 1);
      counters.droppedTtl += 1;
      changed = true;
    }
    return changed;
  }

  // 2: heartbeat (shed first), 1: other non-conversion, 0: conversion (never shed).
  function shedRank(env) {
    const p = env.payload || {};
    if (p.ec === 'conversion') return 0;
    return p.ec === 'system' && p.ea === 'heartbeat' ? 2 : 1;
  }

  function pickVictim(list) {
    let best = -1;
    for (let i = 0; i < list.length; i++) {
      const rank = shedRank(list[i]);
      if (rank === 0) continue;
      const bestRank = best < 0 ? 0 : shedRank(list[best]);
      if (rank > bestRank || (rank === bestRank && list[i].ts < list[best].ts)) best = i;
    }
    return best;
  }

  // Past the cap: shed heartbeats (oldest first), then other non-conversions; never a conversion.
  function shedOverflow(list, dead) {
    while (list.length > cfg.outboxCap) {
      const victim = pickVictim(list);
      if (victim < 0) return; // only conversions left: exceed the cap rather than lose a lead
      const env = list.splice(victim, 1)[0];
      dead.push(deadRecord(env, 'overflow'));
      counters.shed += 1;
    }
  }

  // ---------------------------------------------------------------- events
  function callerMeta(meta) {
    if (meta === undefined || meta === null) return {};
    return isPlainObject(meta) ? Object.assign({}, meta) : { value: meta };
  }

  function toValue(value) {
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    return null;
  }

  function makePayload(id, category, action, label, value, meta) {
    const m = callerMeta(meta);
    m.fp = fingerprint();
    m.gclid = gclid();
    m.eid = id; // the envelope id travels with the payload (SPEC §4)
    return {
      s: cfg.siteId,
      u: String(location.href).slice(0, URL_MAX),
      sid: sessionId(),
      sm: sessionMonth(),
      ec: String(category),
      ea: String(action),
      el: label === undefined || label === null ? '' : String(label),
      ev: toValue(value),
      r: String(document.referrer || '').slice(0, REFERRER_MAX),
      meta: m,
    };
  }

  // Events waiting for the store lock; the unload path writes them at once.
  const pendingAdds = [];

  function addPending(list, dead) {
    if (!pendingAdds.length) return false;
    for (const env of pendingAdds.splice(0)) {
      list.push(env);
      shedOverflow(list, dead);
    }
    return true;
  }

  function enqueue(env) {
    pendingAdds.push(env);
    return mutateQueue(addPending);
  }

  // Store first, send after: an event exists in the outbox before any request carries it.
  function record(category, action, label, value, meta) {
    const id = newId();
    const env = { id: id, ts: now(), payload: makePayload(id, category, action, label, value, meta), attempts: 0 };
    enqueue(env);
    requestProcess('new event', false);
    return id;
  }

  function safeRecord(category, action, label, value, meta) {
    try { return record(category, action, label, value, meta); } catch (err) { noteInternalError(err); return null; }
  }

  // ---------------------------------------------------------------- sending
  function isOnline() {
    return navigator.onLine !== false;
  }

  function isDelivered(res) {
    return res.ok;
  }

  function isRejected(status) {
    return status >= 400 && status < 500 && status !== 408 && status !== 429;
  }

  function isDue(env, t, force) {
    return force || !env.nextAt || env.nextAt <= t;
  }

  function payloadsOf(group) {
    return group.map((env) => env.payload);
  }

  // Retry-After in seconds or as an HTTP date, from the header (needs Access-Control-Expose-Headers)
  // or, failing that, from a JSON body field retry_after / retryAfter.
  function parseRetryAfter(value) {
    if (value === null || value === undefined || value === '') return null;
    const seconds = Number(value);
    let ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(String(value)) - now();
    if (!Number.isFinite(ms)) return null;
    return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, ms));
  }

  async function retryAfterOf(res) {
    if (res.status !== 429 && res.status !== 503) return null;
    const fromHeader = parseRetryAfter(res.headers.get('Retry-After'));
    if (fromHeader !== null) return fromHeader;
    try {
      const body = await res.json();
      return isPlainObject(body) ? parseRetryAfter(body.retry_after !== undefined ? body.retry_after : body.retryAfter) : null;
    } catch (err) {
      return null;
    }
  }

  async function readOutcome(res) {
    if (isDelivered(res)) return { kind: 'ok', status: res.status };
    if (isRejected(res.status)) return { kind: 'rejected', status: res.status };
    return { kind: 'retry', status: res.status, error: 'http ' + res.status, retryAfterMs: await retryAfterOf(res) };
  }

  function failureOutcome(err) {
    const timedOut = err && err.name === 'AbortError';
    return { kind: 'retry', status: null, error: timedOut ? 'timeout' : 'network: ' + errorText(err), retryAfterMs: null, network: !timedOut };
  }

  // One POST of {events:[…]}; aborted after cfg.timeoutMs (the timer also covers reading the answer).
  function postEvents(payloads) {
    const body = JSON.stringify({ events: payloads });
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), cfg.timeoutMs);
    let sending;
    try {
      sending = fetch(cfg.api, {
        method: 'POST',
        keepalive: byteLength(body) <= cfg.beaconMaxBytes, // Chromium refuses keepalive bodies over 64 KB
        headers: { 'Content-Type': 'application/json' },
        body: body,
        signal: ctrl.signal,
      });
    } catch (err) {
      sending = Promise.reject(err);
    }
    return sending.then(readOutcome).catch(failureOutcome).finally(() => clearTimeout(timer));
  }

  function retryDelay(attempts, result) {
    if (result.retryAfterMs !== null && result.retryAfterMs !== undefined) return result.retryAfterMs;
    const exp = Math.min(cfg.backoffCapMs, cfg.backoffBaseMs * Math.pow(2, Math.max(0, attempts - 1)));
    const spread = 1 + cfg.jitter * (2 * Math.random() - 1);
    return Math.max(1, Math.round(Math.min(cfg.backoffCapMs, exp * spread)));
  }

  function onDelivered(group) {
    counters.delivered += group.length;
    return removeEnvelopes(group.map((env) => env.id));
  }

  // A failed send: attempts + 1 and a backoff, except while offline (no attempt is burnt then).
  function onFailed(group, result) {
    counters.sendFailures += 1;
    const ids = idSet(group);
    const t = now();
    const offline = result.network && !isOnline();
    return mutateQueue(function (list) {
      let changed = false;
      for (const env of list) {
        if (!ids.has(env.id)) continue;
        if (!offline) env.attempts += 1;
        if (!offline) env.nextAt = t + retryDelay(env.attempts, result);
        env.lastStatus = result.status;
        env.lastError = result.error;
        changed = true;
      }
      return changed;
    });
  }

  // A refused batch: re-send one event per request so only the bad one is dead-lettered.
  async function isolateGroup(group) {
    for (const env of group) {
      const outcome = await deliver([env]);
      if (outcome === 'failed') return 'failed';
    }
    return 'sent';
  }

  async function onRejected(group, result) {
    if (group.length > 1) return isolateGroup(group);
    counters.rejected += 1;
    await deadLetterEnvelopes(group, 'rejected', result.status);
    return 'sent';
  }

  async function deliver(group) {
    const result = await postEvents(payloadsOf(group));
    if (result.kind === 'ok') { await onDelivered(group); return 'sent'; }
    if (result.kind === 'rejected') return onRejected(group, result);
    await onFailed(group, result);
    return 'failed';
  }

  // Oldest due envelopes not yet tried in this pass, within the batch and keepalive byte limits.
  function pickGroup(queue, t, force, tried) {
    const due = queue.filter((env) => !tried.has(env.id) && isDue(env, t, force));
    due.sort((a, b) => a.ts - b.ts);
    const group = [];
    let bytes = 13; // {"events":[]}
    for (const env of due) {
      const size = byteLength(JSON.stringify(env.payload)) + 1;
      if (group.length && (group.length >= cfg.batchMax || bytes + size > cfg.beaconMaxBytes)) break;
      group.push(env);
      bytes += size;
    }
    return group;
  }

  // ---------------------------------------------------------------- processing passes

  function scheduleWake(delayMs) {
    const at = now() + delayMs;
    if (run.wakeTimer !== null && run.wakeAt <= at) return; // an earlier wake is already set
    clearTimeout(run.wakeTimer);
    run.wakeAt = at;
    run.wakeTimer = setTimeout(function () {
      run.wakeTimer = null;
      requestProcess('timer', false);
    }, Math.max(0, delayMs));
  }

  // After a pass: wake at the earliest backoff, or poll while offline (a missed `online` is not fatal).
  async function planWake() {
    if (run.unloading || !cfg.api) return;
    const queue = await mutateQueue(noEdit);
    const t = now();
    let next = Infinity;
    let due = false;
    for (const env of queue) {
      if (isDue(env, t, false)) due = true;
      else if (env.nextAt > t) next = Math.min(next, env.nextAt); // the backoff timer
    }
    if (!isOnline() && queue.length) next = Math.min(next, t + cfg.offlinePollMs);
    else if (due) next = Math.min(next, t + cfg.backoffBaseMs);
    if (next !== Infinity) scheduleWake(Math.max(0, next - t));
  }

  // Send due envelopes batch by batch until none is due or the endpoint fails.
  async function drainOutbox() {
    const force = run.force;
    run.force = false;
    run.again = false; // this pass reads the queue afresh: earlier requests are covered
    const tried = new Set();
    while (cfg.api && !run.unloading && isOnline()) {
      const t = now();
      const queue = await mutateQueue((list, dead) => pruneExpired(list, dead, t));
      const group = pickGroup(queue, t, force, tried);
      if (!group.length) break;
      for (const env of group) tried.add(env.id);
      renewLease();
      const outcome = await deliver(group);
      if (outcome === 'failed') break;
    }
    await planWake();
  }

  function lockBusy() {
    run.again = false;
    scheduleWake(LOCK_RETRY_MS); // another tab is sending; look again shortly
  }

  function renewLease() {
    if (run.leased) writeKey(LEASE_KEY, JSON.stringify({ owner: tabId, until: now() + cfg.timeoutMs + LOCK_RETRY_MS }));
  }

  function readLease() {
    const read = readKey(LEASE_KEY, true);
    try {
      const lease = read.value ? JSON.parse(read.value) : null;
      return isPlainObject(lease) ? lease : null;
    } catch (err) {
      return null;
    }
  }

  // Fallback where Web Locks are missing: a short lease in localStorage (best effort).
  function withLease(fn) {
    const lease = readLease();
    if (lease && lease.owner !== tabId && lease.until > now()) return Promise.resolve(lockBusy());
    run.leased = true;
    renewLease();
    return Promise.resolve().then(fn).finally(function () {
      run.leased = false;
      const held = readLease();
      if (held && held.owner === tabId) removeKey(LEASE_KEY);
    });
  }

  // One sender at a time across tabs (SPEC §3.6): Web Locks where available.
  function withSenderLock(fn) {
    if (!hasLocks()) return withLease(fn);
    let started = false;
    return navigator.locks.request(SENDER_LOCK, { ifAvailable: true }, function (lock) {
      if (!lock) return lockBusy();
      started = true;
      return fn();
    }).catch(function (err) {
      if (started) throw err;
      noteInternalError(err); // the lock manager refused: fall back to the storage lease
      return withLease(fn);
    });
  }

  // Ask for a pass; passes never overlap within a tab and requests made meanwhile coalesce.
  function requestProcess(reason, force) {
    if (force) run.force = true;
    if (run.unloading) return Promise.resolve();
    if (run.active) { run.again = true; return run.active; }
    run.active = Promise.resolve()
      .then(() => withSenderLock(drainOutbox))
      .catch(noteInternalError)
      .then(function () {
        run.active = null;
        if (!run.again) return undefined;
        run.again = false;
        return requestProcess('again', false);
      });
    return run.active;
  }

  // ---------------------------------------------------------------- last gasp (pagehide + beforeunload)
  // Conversions first, heartbeats last, oldest first within each: what matters most goes out first.
  function prioritised(queue) {
    return queue.slice().sort((a, b) => shedRank(a) - shedRank(b) || a.ts - b.ts);
  }

  function beaconChunks(queue) {
    const chunks = [];
    let chunk = [];
    let bytes = 13;
    for (const env of queue) {
      const size = byteLength(JSON.stringify(env.payload)) + 1;
      if (size + 13 > cfg.beaconMaxBytes) continue; // too large for any beacon: stays queued for fetch
      if (chunk.length && (chunk.length >= SYNC_BATCH_LIMIT || bytes + size > cfg.beaconMaxBytes)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 13;
      }
      chunk.push(env);
      bytes += size;
    }
    if (chunk.length) chunks.push(chunk);
    return chunks;
  }

  function sendBeacon(text) {
    try { return navigator.sendBeacon(cfg.api, text); } catch (err) { noteInternalError(err); return false; }
  }

  // A plain string body (text/plain, no preflight). Stops at the first refusal (64 KB in flight).
  function beaconPending(queue) {
    const sent = [];
    if (!navigator.sendBeacon) return sent;
    for (const chunk of beaconChunks(prioritised(queue))) {
      if (!sendBeacon(JSON.stringify({ events: payloadsOf(chunk) }))) { counters.beaconsRefused += 1; break; }
      for (const env of chunk) sent.push(env.id);
    }
    counters.beaconed += sent.length;
    return sent;
  }

  // Beaconed is not delivered: the envelopes stay queued, marked, until a fetch is answered 2xx.
  function markBeaconed(ids) {
    const marked = new Set(ids);
    if (!marked.size) return Promise.resolve();
    const t = now();
    return mutateQueue(function (list) {
      let changed = false;
      for (const env of list) {
        if (!marked.has(env.id)) continue;
        env.beaconed = true;
        env.beaconedAt = t;
        env.beacons = (env.beacons || 0) + 1;
        changed = true;
      }
      return changed;
    });
  }

  function lastGasp(evt) {
    if (run.gasped) return; // once per unload: beforeunload and pagehide both come on navigation
    run.gasped = true;
    run.unloading = true;
    try {
      record('system', 'session_end', evt.type, Math.round((now() - loadedAt) / 1000), null);
      if (!cfg.api) return;
      const queue = mutateQueueNow(noEdit); // unloading: pending adds were just written at once
      const sentIds = beaconPending(queue);
      markBeaconed(sentIds);
    } catch (err) {
      noteInternalError(err);
    }
    setTimeout(resumeAfterUnloadCancelled, 0); // runs only if the page is still alive
  }

  function resumeAfterUnloadCancelled() {
    run.unloading = false;
    requestProcess('unload cancelled', false);
  }

  function onPageShow(evt) {
    if (!evt.persisted) return; // back from the bfcache: a new visit of this page
    run.gasped = false;
    run.unloading = false;
    requestProcess('pageshow', true);
  }

  // ---------------------------------------------------------------- auto events
  function safeDecode(text) {
    try { return decodeURIComponent(text); } catch (err) { return text; }
  }

  function isWhatsApp(href) {
    if (/^whatsapp:/i.test(href)) return true;
    let host = '';
    try { host = new URL(href, location.href).hostname.toLowerCase(); } catch (err) { return false; }
    return host === 'wa.me' || host.endsWith('.wa.me') || host === 'whatsapp.com' || host.endsWith('.whatsapp.com');
  }

  function onClick(evt) {
    const node = evt.target;
    const el = node && node.nodeType === 1 ? node : node && node.parentElement;
    const link = el && el.closest ? el.closest('a') : null;
    if (!link) return;
    run.gasped = false; // the user is still here: a later unload gets its own last gasp
    const raw = link.getAttribute('href') || '';
    if (/^tel:/i.test(raw)) safeRecord('conversion', 'phone_call', safeDecode(raw.slice(4)).trim(), null, { link_id: link.id || null });
    else if (isWhatsApp(raw)) safeRecord('conversion', 'whatsapp', link.href || raw, null, { link_id: link.id || null });
  }

  function onSubmit(evt) {
    const form = evt.target;
    if (!form || form.nodeName !== 'FORM') return;
    run.gasped = false;
    const label = form.id || form.getAttribute('name') || form.getAttribute('action') || '';
    safeRecord('conversion', 'form_submit', label, null, { form_id: form.id || null });
  }

  function heartbeat() {
    if (!run.unloading) safeRecord('system', 'heartbeat', '', Math.round((now() - loadedAt) / 1000), null);
  }

  // ---------------------------------------------------------------- public API
  function queueSizeQuiet() {
    const read = readKey(OUTBOX_KEY, true);
    const items = read.ok ? parseList(read.value) || [] : [];
    const ids = new Set(items.map((item) => (isPlainObject(item) ? item.id : null)));
    return items.length + memQueue.filter((env) => !ids.has(env.id)).length + pendingAdds.length;
  }

  function deadLetterSizeQuiet() {
    const read = readKey(DEADLETTER_KEY, true);
    return (read.ok ? (parseList(read.value) || []).length : 0) + memDead.length;
  }

  function invalidCall(message) {
    counters.invalidCalls += 1;
    counters.lastInvalidCall = message;
    if (window.console && console.warn) console.warn('[opmantik] ' + message);
    return null;
  }

  const api = {
    __tank: true,
    version: VERSION,
    config: cfg,
    // Record an event; returns its envelope id (= meta.eid), or null for an invalid call.
    send: function (category, action, label, value, meta) {
      if (typeof category !== 'string' || category === '') return invalidCall('send: category must be a non-empty string, got ' + JSON.stringify(category));
      if (typeof action !== 'string' || action === '') return invalidCall('send: action must be a non-empty string, got ' + JSON.stringify(action));
      return safeRecord(category, action, label, value, meta);
    },
    // Process the outbox now (skips pending backoff); resolves when the pass is over.
    flush: function () {
      return requestProcess('flush', true);
    },
    stats: function () {
      return Object.assign({}, counters, {
        version: VERSION,
        queued: queueSizeQuiet(),
        memoryQueued: memQueue.length,
        memoryDeadLetters: memDead.length,
        deadLetterSize: deadLetterSizeQuiet(),
        online: isOnline(),
        sending: run.active !== null,
        pendingWrites: run.pendingWrites,
        nextWakeAt: run.wakeTimer !== null ? run.wakeAt : null,
        configWarnings: configWarnings.slice(),
      });
    },
  };

  function start() {
    window.opmantik = api;
    window.opsmantik = api;
    window.addEventListener('online', () => requestProcess('online', true));
    window.addEventListener('pagehide', lastGasp);
    window.addEventListener('beforeunload', lastGasp);
    window.addEventListener('pageshow', onPageShow);
    document.addEventListener('click', onClick, true);
    document.addEventListener('submit', onSubmit, true);
    safeRecord('interaction', 'view', location.pathname, null, null);
    requestProcess('load', true);
    if (cfg.heartbeatMs > 0) setInterval(heartbeat, cfg.heartbeatMs);
  }

  try { start(); } catch (err) { noteInternalError(err); }
})();
