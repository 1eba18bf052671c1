// Harness instrumentation, injected into every page of a browser context before any page script.
// It records each send the page makes to the Sync URL (fetch, sendBeacon, XMLHttpRequest) with page-clock
// times, and tags the URL with _tank_via so the Sync journal knows the transport. It never
// changes the body, method, headers or mode of a request. Config arrives as window.__tankConfig
// (an init script added just before this one, removed here).
(() => {
  if (window.__tankInstrumented) return;
  window.__tankInstrumented = true;
  // What the harness's page calls return: JSON text, never an object. Playwright serializes an
  // object result with the page's own builtins (Object.keys, Array.prototype.push, Map), which a
  // build may patch after this script ran; a string crosses untouched. The encoder is made of
  // builtins captured here, before any page script, and walks plain data itself (a native
  // stringify of an object would consult a toJSON the page may put on Object.prototype). It is a
  // frozen, non-writable, non-configurable property: a page can call it, not replace it.
  const encodeStr = JSON.stringify, ownKeys = Object.keys, arrayCheck = Array.isArray;
  const encode = (v) => {
    if (v === null || typeof v !== "object") {
      return typeof v === "function" || typeof v === "symbol" || v === undefined ? "null" : encodeStr(v);
    }
    let out = "";
    if (arrayCheck(v)) {
      for (let i = 0; i < v.length; i++) out += (i ? "," : "") + encode(v[i]);
      return "[" + out + "]";
    }
    const keys = ownKeys(v);
    for (let i = 0; i < keys.length; i++) {
      const item = v[keys[i]];
      if (item === undefined || typeof item === "function") continue;
      out += (out ? "," : "") + encodeStr(keys[i]) + ":" + encode(item);
    }
    return "{" + out + "}";
  };
  Object.defineProperty(window, "__tankJSON", { value: Object.freeze(encode), writable: false, configurable: false, enumerable: false });
  // The builtins the harness's own page code needs (the Web Lock arbiter below, the clock runs in
  // harness/run/pagetime.py), captured for the same reason: a build that patches
  // Array.prototype.push or Promise.prototype.then later would otherwise drop a lock request or a
  // timer error. Called through the captured Reflect.apply; frozen and non-writable like the encoder.
  const apply = Reflect.apply, ArrayProto = Array.prototype, MapProto = Map.prototype;
  const mapIterNext = Object.getPrototypeOf(new Map().values()).next;
  const define = Object.defineProperty;
  // A slot on a list, defined rather than assigned: `list[i] = x` and Array.prototype.push look
  // `i` up on the prototype chain when the list has no own slot there, so a setter a build puts on
  // Array.prototype ("0", "1", …) would take the value and leave the list empty.
  const put = (list, i, x) => { define(list, i, { value: x, writable: true, enumerable: true, configurable: true }); };
  const create = Object.create, mapSizeGet = Object.getOwnPropertyDescriptor(MapProto, "size").get;
  const B = Object.freeze({
    apply, push: ArrayProto.push, shift: ArrayProto.shift, unshift: ArrayProto.unshift,
    splice: ArrayProto.splice, sort: ArrayProto.sort, define, put,
    mapGet: MapProto.get, mapSet: MapProto.set, mapDelete: MapProto.delete, mapValues: MapProto.values, mapForEach: MapProto.forEach,
    mapSize: mapSizeGet, mapIterNext,
    then: Promise.prototype.then, Promise, resolve: Promise.resolve, create, parse: JSON.parse,
    setProto: Object.setPrototypeOf,
    getItem: typeof Storage !== "undefined" ? Storage.prototype.getItem : null,
  });
  // What the arbiter's choice of what it handles and the send hooks read (not in B: nothing else uses
  // them): a build patching String.prototype.startsWith, AbortSignal's Symbol.hasInstance,
  // EventTarget listeners or window.length (replaceable) must not change what is arbitrated or recorded.
  const getter = (proto, name) => { const d = Object.getOwnPropertyDescriptor(proto, name); return d && d.get; };
  const startsWith = String.prototype.startsWith, StringOf = String, symbolFor = Symbol.for, sliceOf = String.prototype.slice;
  const signalAborted = getter(AbortSignal.prototype, "aborted"), signalReason = getter(AbortSignal.prototype, "reason");
  const listen = EventTarget.prototype.addEventListener, unlisten = EventTarget.prototype.removeEventListener;
  const framesGet = getter(window, "length");
  const frames = () => (framesGet ? apply(framesGet, window, []) : window.length);
  const isSignal = (s) => { try { apply(signalAborted, s, []); return true; } catch (e) { return false; } };
  const URLOf = URL, hrefGet = getter(URL.prototype, "href"), paramsGet = getter(URL.prototype, "searchParams");
  // Chromium resolves a relative URL given to fetch(), sendBeacon() or XMLHttpRequest.open()
  // against the document's base URL (a <base href> moves it), not the page's own URL: the Sync
  // test and the tags start from the URL the browser will really use.
  const baseURIGet = typeof Node === "function" ? getter(Node.prototype, "baseURI") : null;
  const baseURL = () => (baseURIGet ? apply(baseURIGet, document, []) : location.href);
  const paramSet = URLSearchParams.prototype.set, paramDelete = URLSearchParams.prototype.delete, setHas = Set.prototype.has;
  const responseOk = getter(Response.prototype, "ok"), responseStatus = getter(Response.prototype, "status");
  const isURL = (x) => { try { apply(hrefGet, x, []); return true; } catch (e) { return false; } };
  Object.defineProperty(window, "__tankBuiltins", { value: B, writable: false, configurable: false, enumerable: false });
  // Playwright's clock controller, installed by an init script that runs before this one
  // (ContextSession.create installs the clock first): the harness's clock runs and probes read it at
  // window.__pwClock, a writable property with writable fields. Pinned here so a build can neither
  // put a fake controller there nor shadow the methods and fields the runs use; Playwright never
  // reassigns them (it installs only `if (!globalThis.__pwClock)` and mutates _now's fields only).
  const pw = globalThis.__pwClock, pc = pw && typeof pw === "object" ? pw.controller : null;
  const clockGate = { inside: 0, moves: 0, refused: 0, what: "", pinned: false, threw: null };
  // Timers of the instrumentation's own (an XHR's page-time deadline) filed with the clock: the
  // page's clearTimeout, clearInterval, cancelAnimationFrame and cancelIdleCallback (all through the
  // controller's clearTimer) leave them, as no page call clears a native XHR timeout; the
  // instrumentation clears them through the controller's own clearTimer (`clockClear`).
  const ownTimers = new Set(), ownHas = Set.prototype.has, ownAdd = Set.prototype.add, ownDelete = Set.prototype.delete;
  const Num = Number, ownSize = getter(Set.prototype, "size");
  let clockClear = null;
  if (pc && typeof pc === "object") {
    try {
      define(globalThis, "__pwClock", { value: pw, writable: false, configurable: false, enumerable: true });
      define(pw, "controller", { value: pc, writable: false, configurable: false, enumerable: true });
      // The controller's page time (`_now.time`, `.ticks`, …) is written by its own methods alone:
      // the fields become accessors that refuse a write made outside the four methods that set
      // them (the build wrote page time: refused, counted), and every call of those methods that
      // changed page time is counted. The harness knows which changes its runs made (pagetime.py): one it did not make —
      // a build calling the controller's methods itself (setSystemTime, fastForward, _advanceNow)
      // and even setting time back — shows as a count that moved between or during its runs.
      const now = pc._now;
      if (now && typeof now === "object") {
        const field = (f) => {
          let v = now[f];
          define(now, f, { get: () => v, set: (x) => {
            if (clockGate.inside > 0) v = x;
            else if (!clockGate.refused++) clockGate.what = f + " = " + (typeof x === "number" ? StringOf(x) : typeof x);
          }, enumerable: true, configurable: false });
        };
        field("time"); field("ticks"); field("isFixedTime"); field("origin");
        const writers = ["_advanceNow", "_innerSetTime", "_innerInstall", "_innerSetFixedTime"];
        for (let i = 0; i < writers.length; i++) {
          const f = pc[writers[i]];
          if (typeof f !== "function") continue;
          // A move: one outermost call that changed page time (``_innerInstall`` calls ``_innerSetTime``).
          define(pc, writers[i], { value: function (...a) {
            const t = now.time, k = now.ticks;
            clockGate.inside++;
            try { return apply(f, this, a); } finally { if (--clockGate.inside === 0 && (now.time !== t || now.ticks !== k)) clockGate.moves++; }
          }, writable: false, configurable: false, enumerable: false });
        }
      }
      const clear = pc.clearTimer;
      if (typeof clear === "function") {
        clockClear = (id) => apply(clear, pc, [id, "Timeout"]);
        define(pc, "clearTimer", { value: function (timerId, type) {
          if (timerId && apply(ownSize, ownTimers, []) && apply(ownHas, ownTimers, [Num(timerId)])) return undefined;
          return apply(clear, this, arguments);
        }, writable: true, configurable: true, enumerable: false });
      }
      // The first exception one of the page's timers threw since Playwright's clock last began a jump
      // or run (``fastForward``, ``runFor``): the clock rethrows a timer's exception when it is done,
      // and the harness tells that from the clock itself failing on a builtin the build broke
      // (ContextSession.run_clock) by its text. Each timer function is wrapped where it is filed
      // (``addTimer``); the wrapper calls it as the clock did and lets its exception through.
      const addTimer = pc.addTimer;
      if (typeof addTimer === "function") {
        const seen = (e) => {
          try { return [e && e.name ? StringOf(e.name) + ": " + StringOf(e.message) : StringOf(e), StringOf(e && e.stack || "")]; }
          catch (_) { return ["", ""]; }
        };
        define(pc, "addTimer", { value: function (options) {
          const f = options && typeof options === "object" ? options.func : null;
          if (typeof f === "function") {
            options.func = function () {
              "use strict";
              try { return apply(f, this, arguments); } catch (e) { if (clockGate.threw === null) clockGate.threw = seen(e); throw e; }
            };
          }
          return apply(addTimer, this, [options]);
        }, writable: false, configurable: false, enumerable: false });
        const starting = (name) => {
          const f = pc[name];
          if (typeof f !== "function") return;
          define(pc, name, { value: function (...a) { clockGate.threw = null; return apply(f, this, a); },
            writable: false, configurable: false, enumerable: false });
        };
        starting("fastForward"); starting("runFor");
        clockGate.threw = null;
        define(window, "__tankClockThrew", { get: () => (clockGate.threw ? [clockGate.threw[0], clockGate.threw[1]] : null),
          configurable: false, enumerable: false });
      }
      const pinned = ["_timers", "_now", "_embedder", "_log", "_firstTimer", "_advanceNow", "_replayLogOnce", "log", "now",
        "_syncRealTime", "_innerSetTime", "_innerInstall", "_innerSetFixedTime", "_takeFirstTimer", "_callFirstTimer",
        "_runTo", "_innerFastForwardTo", "addTimer", "clearTimer", "countTimers"];
      for (let i = 0; i < pinned.length; i++) {
        if (pc[pinned[i]] !== undefined) define(pc, pinned[i], { value: pc[pinned[i]], writable: false, configurable: false, enumerable: false });
      }
      if (pc._embedder && typeof pc._embedder === "object") Object.freeze(pc._embedder);
      // Playwright's clock files the page's timers with this._timers.set/get/delete, finds the next due
      // one with `for (… of this._timers.values())` and replays its log with `for (… of this._log)`:
      // all looked up on the page's Map and Array prototypes, which a build may patch (to drop or
      // hide timers, or skip a logged pause). Own, pinned methods over the captured builtins answer
      // first; an iterator made here has its own next (no prototype), the native one captured.
      const own = (o, k, v) => define(o, k, { value: v, writable: false, configurable: false, enumerable: false });
      const iterating = (next) => { const it = create(null); own(it, "next", next); own(it, Symbol.iterator, () => it); return it; };
      const m = pc._timers, mapHas = MapProto.has;
      if (m instanceof Map) {
        own(m, "set", (k, v) => apply(B.mapSet, m, [k, v]));
        own(m, "get", (k) => apply(B.mapGet, m, [k]));
        own(m, "has", (k) => apply(mapHas, m, [k]));
        own(m, "delete", (k) => apply(B.mapDelete, m, [k]));
        own(m, "values", () => { const it = apply(B.mapValues, m, []); return iterating(() => apply(mapIterNext, it, [])); });
        define(m, "size", { get: () => apply(mapSizeGet, m, []), configurable: false, enumerable: false });
      }
      const log = pc._log;
      if (arrayCheck(log)) {
        own(log, "push", (x) => { put(log, log.length, x); return log.length; });
        own(log, Symbol.iterator, () => { let i = 0; return iterating(() => (i < log.length ? { value: log[i++], done: false } : { value: undefined, done: true })); });
      }
      clockGate.pinned = true;
    } catch (e) { /* a clock installed differently: left as it is */ }
  }
  // Page time for stamps, Sync URL tags and send reports: the clock controller's own now (pinned
  // above), not Date.now, which a build may replace to forge when a write or send happened. A page
  // whose clock was installed after this script (tests) reads Date.now at call time.
  const pcNow = pc && typeof pc === "object" && typeof pc.now === "function" ? pc.now : null;
  const pageNow = pcNow ? () => apply(pcNow, pc, []) : () => Date.now();
  // Which builtins the build replaced, among those Playwright evaluates the harness's calls with and
  // its clock runs on (and the harness's own page code uses): asked only when a harness call failed
  // or answered wrongly (harness/history/pagecall.py, over CDP: no page builtin serializes the
  // answer), so the error names the tampering instead of reading as a page that navigated away.
  // Index accessors a build puts on Array.prototype are named too.
  const describeOwn = Object.getOwnPropertyDescriptor, namesOf = Object.getOwnPropertyNames;
  const arrayIter = Object.getPrototypeOf([][Symbol.iterator]()), iterProto = Object.getPrototypeOf(arrayIter);
  const mapIter = Object.getPrototypeOf(new Map().values());
  const watched = [
    ["eval", window, "eval"], ["Reflect.apply", Reflect, "apply"], ["Object.is", Object, "is"],
    ["Object.keys", Object, "keys"], ["Object.defineProperty", Object, "defineProperty"],
    ["Object.getOwnPropertyDescriptor", Object, "getOwnPropertyDescriptor"], ["Array.isArray", Array, "isArray"],
    ["JSON.stringify", JSON, "stringify"], ["JSON.parse", JSON, "parse"],
    ["Function.prototype.apply", Function.prototype, "apply"], ["Function.prototype.call", Function.prototype, "call"],
    ["Function.prototype.bind", Function.prototype, "bind"], ["Promise.prototype.then", Promise.prototype, "then"],
    ["Promise.prototype.constructor", Promise.prototype, "constructor"], ["Promise[Symbol.species]", Promise, Symbol.species],
    ["Object.prototype.then (every object a thenable)", Object.prototype, "then"], ["globalThis", window, "globalThis"],
    ["Promise (the global)", window, "Promise"],
    ["the array iterator (Array.prototype[Symbol.iterator])", ArrayProto, Symbol.iterator],
    ["the array iterator's next", arrayIter, "next"], ["the iterator prototype's Symbol.iterator", iterProto, Symbol.iterator],
    ["Map.prototype.values", MapProto, "values"], ["Map.prototype.entries", MapProto, "entries"],
    ["Map.prototype[Symbol.iterator]", MapProto, Symbol.iterator], ["the Map iterator's next", mapIter, "next"],
    ["Map.prototype.get", MapProto, "get"], ["Map.prototype.set", MapProto, "set"], ["Map.prototype.has", MapProto, "has"],
    ["Map.prototype.delete", MapProto, "delete"], ["Map.prototype.forEach", MapProto, "forEach"],
    ["Set.prototype.has", Set.prototype, "has"], ["Set.prototype.add", Set.prototype, "add"],
  ];
  for (const name of ["push", "pop", "shift", "slice", "splice", "map", "filter", "forEach", "indexOf", "includes", "join", "concat", "sort", "some", "every", "reduce"]) {
    watched[watched.length] = ["Array.prototype." + name, ArrayProto, name];
  }
  const was = [];
  for (let i = 0; i < watched.length; i++) was[i] = describeOwn(watched[i][1], watched[i][2]);
  const same = (a, b) => (!a && !b) || (!!a && !!b && a.value === b.value && a.get === b.get && a.set === b.set);
  const indexName = (k) => "Array.prototype[" + k + "] (an index " + (describeOwn(ArrayProto, k).set ? "setter" : "property") + ")";
  // The harness's diagnosis of a failed call (pagecall.py ``culprits``): with a list, every replaced
  // builtin not in it is put back as captured (index properties removed) until ``false`` undoes
  // that; which of them a call needs restored tells the cause from a harmless wrapper. Returns the
  // names it could not put back (a replacement made non-configurable). A page calling it can only
  // bring natives back for a while.
  const swapped = [];
  const undo = () => {
    for (let i = swapped.length - 1; i >= 0; i--) {
      try { define(swapped[i][0], swapped[i][1], swapped[i][2]); } catch (e) { /* made non-configurable since */ }
    }
    swapped.length = 0;
  };
  const restore = (obj, key, original, name, keep, stuck) => {
    for (let j = 0; j < keep.length; j++) if (keep[j] === name) return;
    const now = describeOwn(obj, key);
    try {
      if (original) define(obj, key, original); else if (!delete obj[key]) throw new TypeError(name);
      put(swapped, swapped.length, [obj, key, now]);
    } catch (e) { put(stuck, stuck.length, name); }
  };
  const tampered = (keep) => {
    if (keep === false) { undo(); return []; }
    const out = [];
    for (let i = 0; i < watched.length; i++) if (!same(was[i], describeOwn(watched[i][1], watched[i][2]))) put(out, out.length, watched[i][0]);
    const own = namesOf(ArrayProto);
    for (let i = 0; i < own.length; i++) {
      const k = own[i];
      if (k !== "length" && StringOf(+k >>> 0) === k) put(out, out.length, indexName(k));
    }
    if (!arrayCheck(keep)) return out;
    undo();
    const stuck = [];
    for (let i = 0; i < watched.length; i++) {
      if (!same(was[i], describeOwn(watched[i][1], watched[i][2]))) restore(watched[i][1], watched[i][2], was[i], watched[i][0], keep, stuck);
    }
    for (let i = 0; i < own.length; i++) {
      const k = own[i];
      if (k !== "length" && StringOf(+k >>> 0) === k) restore(ArrayProto, k, undefined, indexName(k), keep, stuck);
    }
    return stuck;
  };
  Object.defineProperty(window, "__tankTampered", { value: Object.freeze(tampered), writable: false, configurable: false, enumerable: false });
  const push = (list, x) => { put(list, list.length, x); };
  const thenOf = (p, ok, fail) => apply(B.then, p, [ok, fail]);
  const promiseOf = (v) => apply(B.resolve, B.Promise, [v]);
  const valuesOf = (map) => {  // a Map's values as an array, through the captured iterator
    const it = apply(B.mapValues, map, []), out = [];
    for (let n = apply(mapIterNext, it, []); !n.done; n = apply(mapIterNext, it, [])) push(out, n.value);
    return out;
  };
  const cfg = window.__tankConfig || {};
  // The tab's name, as the harness hands it (window.__tankTab = "<tabKey>:<name>", a page init
  // script run before any page script): kept in this closure and taken once, only with the
  // context's key; window.__tankTab reads it, and a build assigning it changes nothing.
  let tabName = null;
  const tabKey = typeof cfg.tabKey === "string" && cfg.tabKey ? cfg.tabKey + ":" : null;
  const takeTab = (v) => {
    if (tabName === null && tabKey !== null && typeof v === "string" && apply(startsWith, v, [tabKey])) tabName = apply(sliceOf, v, [tabKey.length]);
  };
  try {
    const early = Object.getOwnPropertyDescriptor(window, "__tankTab");  // the page's init script ran first
    if (early && "value" in early) takeTab(early.value);
    define(window, "__tankTab", { configurable: false, enumerable: false, get: () => tabName, set: takeTab });
  } catch (e) { /* defined already: left as it is */ }
  const syncPrefix = cfg.syncUrl || "";
  // The counters the clock reads (harness/run/pagetime.py, the probes in harness/world/context.py)
  // live in this closure; window shows them through getters only, non-configurable: a build
  // setting window.__tankInflight = 0 cannot steer the clock.
  let inflight = 0;  // sends not yet settled
  let locks = 0;  // Web Locks requests not yet released: the build's async bookkeeping
  let sendCount = 0, stampCount = 0;  // Sync sends started, stamps written (pagetime.py compares them)
  // Per lock name: requests waiting for their grant, locks held. No prototype: nothing a build puts
  // on Object.prototype shows in them; a reader gets a copy, which is all a build could change.
  const lockWaits = B.create(null), locksHeld = B.create(null);
  const copyOf = (m) => { const out = B.create(null), k = ownKeys(m); for (let i = 0; i < k.length; i++) out[k[i]] = m[k[i]]; return out; };
  const reading = (name, get) => Object.defineProperty(window, name, { get, configurable: false, enumerable: false });
  // Resolves when no send is in flight and no lock pending (the clock's bulk runner waits on it).
  let idleWaiters = [];
  const done = () => {
    if (inflight + locks > 0 || !idleWaiters.length) return;
    const waiters = idleWaiters; idleWaiters = [];
    for (let i = 0; i < waiters.length; i++) waiters[i]();
  };
  const idle = () => (inflight + locks === 0) ? promiseOf(undefined)
    : new B.Promise((resolve) => push(idleWaiters, resolve));
  reading("__tankInflight", () => inflight);
  reading("__tankLocks", () => locks);
  reading("__tankSends", () => sendCount);
  reading("__tankStamps", () => stampCount);
  reading("__tankLockWaits", () => copyOf(lockWaits));
  reading("__tankLocksHeld", () => copyOf(locksHeld));
  reading("__tankIdle", () => idle);

  // Reproducible runs that never share randomness: Math.random, crypto.randomUUID and
  // crypto.getRandomValues draw from streams seeded by (scenario seed, context and its generation,
  // tab, load number within the tab). Two pages never draw the same sequence; one seed repeats a
  // run's envelope ids. The stream is seeded on the first draw, when the tab name is known.
  const realGetRandomValues = crypto.getRandomValues.bind(crypto);
  const loadNumber = () => {
    try {
      const n = Number(sessionStorage.getItem("__tank_rng_load") || "0") + 1;
      sessionStorage.setItem("__tank_rng_load", String(n));
      return String(n);
    } catch (e) { return "x" + realGetRandomValues(new Uint32Array(1))[0]; }  // unique, not repeatable
  };
  let identity = null;
  const pageIdentity = () => {
    if (identity === null) {
      const tab = typeof tabName === "string" ? tabName : "popup:" + realGetRandomValues(new Uint32Array(1))[0];
      identity = [cfg.seed, cfg.context || "", cfg.generation || 0, tab, loadNumber()].join("|");
    }
    return identity;
  };
  const cyrb128 = (str) => {
    let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
    for (let i = 0; i < str.length; i++) {
      const k = str.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
    return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
  };
  const stream = (purpose) => {  // sfc32 over a 128-bit seed: a uint32 per call
    let next = null;
    return () => {
      if (next === null) {
        let [a, b, c, d] = cyrb128(pageIdentity() + "|" + purpose);
        next = () => {
          a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
          let t = (a + b) | 0;
          a = b ^ (b >>> 9);
          b = (c + (c << 3)) | 0;
          c = (c << 21) | (c >>> 11);
          d = (d + 1) | 0;
          t = (t + d) | 0;
          c = (c + t) | 0;
          return t >>> 0;
        };
        for (let i = 0; i < 12; i++) next();  // mix the seed in
      }
      return next();
    };
  };
  if (typeof cfg.seed === "number") {
    const mathBits = stream("math");
    const idBits = stream("crypto");
    Math.random = function random() { return mathBits() / 4294967296; };
    const fill = (bytes) => { for (let i = 0; i < bytes.length; i++) bytes[i] = idBits() & 0xff; };
    crypto.getRandomValues = function getRandomValues(array) {
      const out = realGetRandomValues(array);  // the browser's own checks: type, 64 KB quota
      fill(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
      return out;
    };
    if (typeof crypto.randomUUID === "function") {  // only where the browser has it (secure contexts)
      crypto.randomUUID = function randomUUID() {
        const b = new Uint8Array(16);
        fill(b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      };
    }
  }
  let seq = 0;
  // Numbers restart with every page load; the load id keeps a reloaded page's fetch #1 apart from
  // the previous page's (not from Math.random: that one is seeded and would repeat).
  const load = Array.from(realGetRandomValues(new Uint32Array(2)), (n) => n.toString(36)).join("");
  // What the clock runs compare (pagetime.py): this document, the changes of page time its
  // controller made, and the writes of page time it refused (the first one described).
  if (clockGate.pinned) reading("__tankClockMoves", () => [load, clockGate.moves, clockGate.refused, clockGate.what]);

  // The reporting channel is taken out of the page's reach: the binding and the config (with the
  // sealing function, see seal.js) are captured here and removed from window before any page
  // script runs. The binding is a raw CDP binding of this tab (Runtime.addBinding on the tab's own
  // CDP session, harness/world/context.py): one one-way message per report, nothing answered.
  // Each report is "mac" + "load|n|json", sealed with a MAC the page cannot compute, so a page
  // calling the binding forges nothing, and a dropped report leaves a gap in n. A page the harness
  // did not open itself (a popup) gets its binding once the harness hears of it: its reports count
  // from the start, so the first one that gets through shows those that could not as a gap.
  let send = window.__tankReport;
  const seal = cfg.seal, stringify = JSON.stringify;
  try { delete window.__tankReport; delete window.__tankConfig; } catch (e) {}
  if (typeof send !== "function") send = null;
  const channel = () => {
    const late = window.__tankReport;
    if (typeof late !== "function") return null;
    try { delete window.__tankReport; } catch (e) {}
    return late;
  };
  let sent = 0;
  // Reports made before the channel exists (a popup the harness has not heard of yet) wait here,
  // in order, up to a bound; they go with the next report, or when the harness, having attached
  // the popup's channel, calls __tankReportsWaiting (ContextSession._report_channel). Beyond the
  // bound they are dropped and show as a gap in n.
  const waiting = [], MAX_WAITING = 1000;
  const deliver = (message) => {
    try { send(seal(message) + message); } catch (e) { /* page closing: the journal is the server-side truth */ }
  };
  const drain = () => {
    if (send === null && (send = channel()) === null) return false;
    for (let i = 0; i < waiting.length; i++) deliver(waiting[i]);
    waiting.length = 0;
    return true;
  };
  define(window, "__tankReportsWaiting", { value: () => { drain(); return waiting.length; },
    writable: false, configurable: false, enumerable: false });
  const report = (rec) => {
    if (typeof seal !== "function") return;
    sent += 1;
    let message;
    try { message = load + "|" + sent + "|" + encode({ ...rec, load }); } catch (e) { return; }
    if (send === null || waiting.length) {
      if (!drain()) { if (waiting.length < MAX_WAITING) put(waiting, waiting.length, message); return; }
    }
    deliver(message);
  };
  const isSync = (url) => {
    try { return syncPrefix && apply(startsWith, apply(hrefGet, new URLOf(StringOf(url), baseURL()), []), [syncPrefix]); }
    catch (e) { return false; }
  };
  // The transport, and (only where the scenario sets stub faults) the page time it was sent at:
  // the stub holds a late answer in page time. Those two tags make every URL unique, so Chromium
  // sends a CORS preflight before each POST instead of using its cache: a fault cutting responses
  // would then hit the preflight, not the POST. Scenarios without stub faults keep stable URLs.
  const tag = (url, via, id) => {
    try {
      const u = new URLOf(StringOf(url), baseURL()), params = apply(paramsGet, u, []);
      const set = (k, v) => { apply(paramSet, params, [k, v]); };
      // Tags a build wrote into its own URL are dropped: only the instrumentation's reach the
      // journal (a forged send id would pass the build's own re-send off as the browser's copy,
      // a forged context would credit its body to another context's outbox)
      apply(paramDelete, params, ["_tank_ctx"]); apply(paramDelete, params, ["_tank_t"]); apply(paramDelete, params, ["_tank_a"]);
      set("_tank_via", via);
      // The sender's context: the journal attributes a body to that context's outbox, so two
      // contexts' byte-identical payloads are never credited to each other. Constant per context,
      // whose network stack (and preflight cache) is its own: it changes no preflight.
      if (cfg.context) set("_tank_ctx", cfg.context);
      if (cfg.pageTimeTags) {
        set("_tank_t", StringOf(pageNow()));
        if (id) set("_tank_a", load + "." + id);  // its abort ends a hold at the stub
      }
      return apply(hrefGet, u, []);
    }
    catch (e) { return url; }
  };
  // Plain loops over captured builtins (parseJSON, isArray: below), not Array.prototype methods a
  // page may patch: what a report says a send carried must come from the body alone.
  const parseBody = (text) => {
    try {
      const o = parseJSON(text);
      const evs = isArray(o) ? o : (o && (o.events || o.batch)) || [o];
      const out = [];
      if (isArray(evs)) for (let i = 0; i < evs.length; i++) if (evs[i] && typeof evs[i] === "object") push(out, evs[i]);
      return out;
    } catch (e) { return []; }
  };
  const describe = (events) => {
    const ids = [], payloads = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i], eid = e.meta && e.meta.eid;
      if (typeof eid === "string") push(ids, eid);
      put(payloads, i, { ec: e.ec, ea: e.ea, el: e.el, eid });
    }
    return { ids, payloads };
  };
  const bodyText = (body) => {
    if (body == null) return promiseOf("");
    if (typeof body === "string") return promiseOf(body);
    if (body instanceof Blob) return body.text();
    if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return promiseOf(new TextDecoder().decode(body));
    if (body instanceof URLSearchParams) return promiseOf(body.toString());
    return promiseOf("");
  };

  // The send record: which outbox entries each send carried. A build without meta.eid sends
  // payloads that several entries may share byte for byte; only the page, at the moment a send
  // starts, knows which entries its outbox held then. The outbox is read synchronously when the
  // send starts and, once the body is known, each id-less body event is listed with the entries
  // (position, and id as the observer identifies them) whose payload equals it. The record travels
  // in the sealed report: a page cannot write or read it. Everything it uses is captured here,
  // before any page script runs (a page patching JSON, Storage or Array later changes nothing).
  const outboxKey = typeof cfg.outboxKey === "string" ? cfg.outboxKey : null;
  const getItem = typeof Storage !== "undefined" ? Storage.prototype.getItem : null;
  let store = null;
  try { store = window.localStorage; } catch (e) { /* opaque origin: no record */ }
  const parseJSON = JSON.parse, keysOf = Object.keys, isArray = Array.isArray;
  const sortArr = Array.prototype.sort;
  const readOutbox = () => {
    if (!outboxKey || !store || !getItem) return null;
    try { return apply(getItem, store, [outboxKey]); } catch (e) { return null; }
  };
  const canon = (v) => {  // sorted keys, like the checker's payload.canonical
    if (v === null || typeof v !== "object") return stringify(v === undefined ? null : v);
    if (isArray(v)) {
      let out = "[";
      for (let i = 0; i < v.length; i++) out += (i ? "," : "") + canon(v[i]);
      return out + "]";
    }
    const keys = apply(sortArr, keysOf(v), []);
    let out = "{", first = true;
    for (let i = 0; i < keys.length; i++) {
      if (v[keys[i]] === undefined) continue;
      out += (first ? "" : ",") + stringify(keys[i]) + ":" + canon(v[keys[i]]);
      first = false;
    }
    return out + "}";
  };
  const payloadKey = (p) => {  // without meta.eid, and without a meta left empty
    if (p === null || typeof p !== "object" || isArray(p)) return canon(p);
    const copy = B.create(null);  // no prototype: a setter a build puts on Object.prototype takes nothing
    const keys = keysOf(p);
    for (let i = 0; i < keys.length; i++) copy[keys[i]] = p[keys[i]];
    const meta = copy.meta;
    if (meta && typeof meta === "object" && !isArray(meta)) {
      const rest = B.create(null), mk = keysOf(meta);
      let n = 0;
      for (let i = 0; i < mk.length; i++) if (mk[i] !== "eid") { rest[mk[i]] = meta[mk[i]]; n++; }
      if (n) copy.meta = rest; else delete copy.meta;
    }
    return canon(copy);
  };
  const MAX_CARRIED = 5000;  // entries listed per send, at most
  const carried = (events, raw) => {
    const groups = B.create(null), order = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i], meta = e.meta;
      if (meta && typeof meta === "object" && typeof meta.eid === "string") continue;
      const k = payloadKey(e);
      if (!(k in groups)) { groups[k] = { events: [], entries: [], positions: [] }; push(order, k); }
      const g = groups[k];
      push(g.events, i);
    }
    if (!order.length) return undefined;  // every event names its envelope: no record needed
    let list = [];
    try { list = raw == null ? [] : parseJSON(raw); } catch (e) { list = []; }
    if (!isArray(list)) list = [];
    let listed = 0;
    for (let pos = 0; pos < list.length && listed < MAX_CARRIED; pos++) {
      const item = list[pos];
      if (!item || typeof item !== "object" || item.id === undefined || item.id === null || item.id === "") continue;
      const k = payloadKey(item.payload);
      if (!(k in groups)) continue;
      const g = groups[k];
      push(g.entries, StringOf(item.id));
      push(g.positions, pos);
      listed++;
    }
    const out = [];
    for (let i = 0; i < order.length; i++) put(out, i, groups[order[i]]);
    return out;
  };
  const idless = (events) => {
    for (let i = 0; i < events.length; i++) {
      const meta = events[i].meta;
      if (!(meta && typeof meta === "object" && typeof meta.eid === "string")) return true;
    }
    return false;
  };
  // Where a send starts among this page's storage writes. The id-less matcher credits the entry
  // the build touched first after a send (harness/checker/sendrecord.py), and the send's report and
  // the observer's writes travel apart (the observer gathers writes for 10 ms): a write made just
  // before a send would arrive after its report. So each send first writes a fresh marker to the
  // flush key; one page's storage events reach the observer in order, and context.py numbers the
  // send at its marker's place. Eight characters, like a flush token: rewriting the key needs no
  // room even in a full storage. No marker (storage refused it): the send is numbered on arrival.
  const setItem = typeof Storage !== "undefined" ? Storage.prototype.setItem : null;
  const toText = Number.prototype.toString, sliceText = String.prototype.slice, U32 = Uint32Array;
  const marker = () => {
    if (!store || !setItem) return undefined;
    const v = "s" + apply(sliceText, apply(toText, realGetRandomValues(new U32(1))[0] + 78364164096, [36]), [-7]);
    try { apply(setItem, store, ["__tank_sync", v]); return v; } catch (e) { return undefined; }
  };
  // The outbox as the send starts; skipped for a text body whose events all carry meta.eid.
  const outboxAtSend = (body) => (typeof body === "string" && !idless(parseBody(body)) ? null : readOutbox());
  const record = (text, raw) => {
    const events = parseBody(text);
    const c = carried(events, raw);
    return c === undefined ? describe(events) : { ...describe(events), carried: c };
  };

  const origFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : isURL(input) ? apply(hrefGet, input, []) : input && input.url;
    if (!isSync(url)) return apply(origFetch, this, arguments);
    const id = ++seq;
    sendCount++;  // the bulk clock stops where a request starts
    const t0 = pageNow();
    const mark = marker();
    const raw = outboxAtSend(init && init.body !== undefined ? init.body : undefined);
    const isRequest = !(typeof input === "string" || isURL(input));
    const body = init && init.body !== undefined ? bodyText(init.body)
      : isRequest ? thenOf(input.clone().text(), undefined, () => "") : promiseOf("");
    thenOf(body, (text) => report({ type: "start", id, via: "fetch", t: t0, mark, page: location.pathname, ...record(text, raw) }));
    let p;
    inflight++;
    try { p = apply(origFetch, this, [isRequest ? new Request(tag(url, "fetch", id), input) : tag(url, "fetch", id), init]); }
    catch (e) { inflight--; done(); report({ type: "end", id, t: pageNow(), outcome: "network_error", error: StringOf(e) }); throw e; }
    thenOf(p,
      (r) => { syncAnswer(r); inflight--; done(); report({ type: "end", id, t: pageNow(), outcome: apply(responseOk, r, []) ? "ok" : "http_error", status: apply(responseStatus, r, []) }); },
      (e) => { inflight--; done(); report({ type: "end", id, t: pageNow(), outcome: e && e.name === "AbortError" ? "abort" : "network_error", error: StringOf(e && e.message || e) }); },
    );
    return p;
  };

  // XMLHttpRequest to the Sync URL: a send like a fetch. Its URL is tagged at open() (_tank_via=xhr,
  // the context, page time and send id; tags the build wrote are dropped) and, where page-time tags
  // are on and page time moved between open() and send() (a build opening early, sending from a
  // later timer), tagged again at send(): the request is opened anew natively with the same
  // arguments, request headers and MIME override — an open() in the OPENED state fires no event
  // and changes nothing the build can read — so `_tank_t` is the page time it was sent at.
  // send() reports it and counts it in flight until loadend (an XHR reads the answer's body before
  // load, so the body is included). Its `timeout` runs in page time: the build's value is kept here and shown by the
  // getter, the native one stays 0 while the send travels, and the page clock's timer at the
  // deadline sets the native timeout to 1 ms — already past, so Chromium times the request out
  // itself: readystatechange (readyState 4), timeout, loadend, status 0, trusted events, as when
  // its own real-time timeout fires. A synchronous XHR blocks the page: it is tagged and reported,
  // never counted in flight (nothing can probe a blocked page; see docs/isolation.md).
  const XP = typeof XMLHttpRequest === "function" ? XMLHttpRequest.prototype : null;
  const timeoutOf = XP && describeOwn(XP, "timeout");
  if (XP && timeoutOf && timeoutOf.get && timeoutOf.set) {
    const xOpen = XP.open, xSend = XP.send, xStatus = getter(XP, "status"), xState = getter(XP, "readyState");
    const xHeader = XP.setRequestHeader, xMime = XP.overrideMimeType;
    const tGet = timeoutOf.get, tSet = timeoutOf.set;
    const pageTimer = window.setTimeout, pageClear = window.clearTimeout;  // the page clock's: installed before this script
    const states = new WeakMap(), stateGet = WeakMap.prototype.get, stateSet = WeakMap.prototype.set;
    const stateOf = (x) => apply(stateGet, states, [x]);
    const disarm = (s) => {
      if (s.timer === null) return;
      if (clockClear && apply(ownDelete, ownTimers, [s.timer])) clockClear(s.timer);
      else apply(pageClear, window, [s.timer]);
      s.timer = null;
    };
    const finish = (s, outcome, extra) => {
      if (!s.active) return;
      s.active = false;
      disarm(s);
      if (s.counted) { s.counted = false; inflight--; done(); }
      report({ type: "end", id: s.id, t: pageNow(), outcome, ...extra });
    };
    // The deadline in page time from send(); a timeout set while the send travels counts from
    // send() too, as natively.
    const arm = (x, s) => {
      disarm(s);
      if (!s.active || !s.counted || !(s.limit > 0)) return;
      const left = s.t0 + s.limit - pageNow();
      const fire = () => {
        if (s.timer !== null) apply(ownDelete, ownTimers, [s.timer]);
        s.timer = null;
        if (s.active) { s.expired = true; apply(tSet, x, [1]); }
      };
      s.timer = apply(pageTimer, window, [fire, left > 0 ? left : 0]);
      if (clockClear) apply(ownAdd, ownTimers, [s.timer]);  // out of the page's reach (see clockClear)
    };
    // A send ends at its loadend, which Chromium dispatches at readyState 4 — except the loadend of
    // a send the build reopened from its own load (error, timeout, abort) handler: that one still
    // comes after the next send() started, at readyState 1, and is not the next send's end (the
    // reopened send was ended by open(), below). The outcome is read off the native state, not
    // off which events this listener saw before. At the target, listeners run in the order they
    // were added, capture or not: a build's listener added before this one and stopping the
    // event's propagation would hide the end, and the send would stay in flight forever. So the
    // listener is added as the XHR is made — the constructor is wrapped (a Proxy: instanceof,
    // statics, subclasses and new.target as before; the prototype's `constructor` is the wrapper
    // too) — and is every XHR's first. Events a build dispatches itself are not trusted: ignored.
    // An XHR made by another realm's constructor (a same-origin iframe's) and sent through these
    // wrappers gets the listener at its first send(), as before (that realm's listener knows no
    // state of this one's).
    const ended = function (e) {
      const s = stateOf(this);
      if (s && s.active && e.isTrusted && apply(xState, this, []) === 4) end(this, s);
    };
    const NativeXHR = XMLHttpRequest, construct = Reflect.construct;
    const handler = create(null);
    handler.construct = (target, args, newTarget) => {
      const x = construct(target, args, newTarget);
      apply(listen, x, ["loadend", ended]);
      apply(madeAdd, made, [x]);
      return x;
    };
    const made = new WeakSet(), madeAdd = WeakSet.prototype.add, madeHas = WeakSet.prototype.has;
    const XHR = new Proxy(NativeXHR, handler);
    define(window, "XMLHttpRequest", { value: XHR, writable: true, enumerable: false, configurable: true });
    define(XP, "constructor", { value: XHR, writable: true, enumerable: false, configurable: true });
    const end = (x, s) => {
      const status = apply(xStatus, x, []);
      if (status > 0) {
        finish(s, status >= 200 && status < 300 ? "ok" : "http_error", { status });
      } else if (s.expired) {
        finish(s, "abort", { error: "TimeoutError: the XMLHttpRequest's timeout (" + StringOf(s.limit) + " ms)" });
      } else if (s.aborted) {
        finish(s, "abort", { error: "AbortError: XMLHttpRequest.abort()" });
      } else {
        finish(s, "network_error", { error: "NetworkError: the XMLHttpRequest failed" });
      }
    };
    const xAbort = XP.abort;
    XP.abort = function () {
      const s = stateOf(this);
      if (s && s.active) s.aborted = true;
      return apply(xAbort, this, arguments);
    };
    // WebIDL's conversion of open()'s strings (ToString: toString first, a Symbol throws), done once
    // here: what the native open() gets — now and when send() opens again — are these strings, so a
    // build's toString runs as many times as natively (once) and its throw comes out of open().
    const text = (v) => `${v}`;
    const opened = (url) => {
      try { return apply(hrefGet, new URLOf(url, baseURL()), []); }
      catch (e) { return url; }  // not a URL: the native open() throws its SyntaxError
    };
    XP.open = function (method, url) {
      if (arguments.length < 2) return apply(xOpen, this, arguments);  // a TypeError, nothing done
      const given = [];
      for (let i = 0; i < arguments.length; i++) {
        const v = arguments[i];
        put(given, i, i === 2 || (i > 2 && (v === null || v === undefined)) ? v : text(v));
      }
      let s = stateOf(this);
      // Chromium's open() checks the method (a token, not CONNECT/TRACE/TRACK) and the URL before it
      // terminates anything: bad ones throw and the travelling request goes on to its answer. (A
      // synchronous open with a timeout or responseType is refused after the termination: that one
      // ends it.) So while a send travels the same strings are tried first on a fresh native XHR,
      // whose throw is open()'s, and nothing is ended.
      if (s && s.active) apply(xOpen, construct(NativeXHR, []), given);
      // Reopened from one of its own handlers once done (readyState 4: the next batch on the same
      // object): the send ends as the page saw it (ok, http_error…), not as an abort.
      // Reopened while the request travels: Chromium terminates it silently, as the XHR spec says —
      // no abort, error or loadend reaches the page (readystatechange only, to 1, once headers had
      // come). Once the answer's headers came (readyState 2 or 3) the page had its status: the
      // send ends as that status says. Before them, the page cancelled it without an answer.
      if (s && s.active && apply(xState, this, []) >= 2) end(this, s);
      if (s && s.active) finish(s, "abort", { error: "AbortError: XMLHttpRequest.open() terminated the request before its answer" });
      // The native timeout is the build's value again while open() checks it (a synchronous
      // request in a window may have none: InvalidAccessError, and Chromium leaves the request
      // unsent, nothing in flight; the next async open() takes the value back into page time).
      if (s && s.limit !== undefined) { apply(tSet, this, [s.limit]); s.limit = undefined; }
      const absolute = opened(given[1]);
      if (!isSync(absolute)) {
        if (s) s.sync = false;
        return apply(xOpen, this, given);
      }
      if (!s) {
        s = create(null);
        s.sync = false; s.active = false; s.counted = false; s.timer = null; s.limit = undefined;
        s.id = 0; s.t0 = 0; s.async = true; s.expired = false; s.aborted = false;
        apply(stateSet, states, [this, s]);
      }
      // The URL as opened: absolute, resolved now as Chromium resolves it (an SPA's route change
      // before send() moves nothing); send() only puts a new _tank_t into it.
      const id = ++seq;
      given[1] = tag(absolute, "xhr", id);
      // The native open() fires readystatechange (to 1) before it returns: a build setting its
      // headers or MIME override from that handler (or sending from it) finds this request's state
      // already in place. If open() throws, nothing was opened: the previous state comes back.
      const was = [s.sync, s.id, s.async, s.given, s.tagged, s.headers, s.mime];
      s.sync = true; s.id = id; s.async = arguments.length < 3 || !!arguments[2];
      s.given = given; s.tagged = pageNow(); s.headers = []; s.mime = null;
      if (s.async) { s.limit = apply(tGet, this, []); apply(tSet, this, [0]); }
      try { return apply(xOpen, this, given); }
      catch (e) {
        if (s.limit !== undefined) { apply(tSet, this, [s.limit]); s.limit = undefined; }
        s.sync = was[0]; s.id = was[1]; s.async = was[2]; s.given = was[3]; s.tagged = was[4]; s.headers = was[5]; s.mime = was[6];
        throw e;
      }
    };
    // What open() clears and a send() tagging again must put back: the request headers and MIME
    // override the build set since its open(), as it set them (native conversions and checks run).
    // Set through another realm's methods (a same-origin iframe's prototype called on this realm's
    // request), they go through that realm's wrappers, which know no state of this one's: each
    // realm's prototype carries, under a registry symbol, a frozen function that notes them in its
    // own state, and a wrapper finding no state here calls the one up the request's prototype chain.
    // A build calling it itself only makes its own request carry the headers it names.
    const noted = (x, kind, a, b) => {
      const s = stateOf(x);
      if (!s || !s.sync || s.active) return;
      if (kind === "header") put(s.headers, s.headers.length, [a, b]);
      else s.mime = [a];
    };
    const noteKey = symbolFor("tank.xhr.noted"), protoOf = Reflect.getPrototypeOf;
    define(XP, noteKey, { value: Object.freeze(noted), writable: false, configurable: false, enumerable: false });
    const note = (x, kind, a, b) => {
      if (stateOf(x)) { noted(x, kind, a, b); return; }
      try {
        for (let p = protoOf(x); p; p = protoOf(p)) {
          const d = describeOwn(p, noteKey);
          if (d && typeof d.value === "function") { if (p !== XP) apply(d.value, undefined, [x, kind, a, b]); return; }
        }
      } catch (e) { /* a revoked proxy in the chain: nothing to note */ }
    };
    XP.setRequestHeader = function (name, value) {
      const out = apply(xHeader, this, arguments);
      note(this, "header", name, value);
      return out;
    };
    XP.overrideMimeType = function (mime) {
      const out = apply(xMime, this, arguments);
      note(this, "mime", mime);
      return out;
    };
    const retag = (x, s) => {
      const args = [];
      for (let i = 0; i < s.given.length; i++) put(args, i, s.given[i]);
      args[1] = tag(s.given[1], "xhr", s.id);  // absolute already: resolved at open()
      s.tagged = pageNow();
      apply(xOpen, x, args);
      for (let i = 0; i < s.headers.length; i++) apply(xHeader, x, s.headers[i]);
      if (s.mime) apply(xMime, x, s.mime);
    };
    define(XP, "timeout", { get: function () {
      const s = stateOf(this);
      return s && s.limit !== undefined ? s.limit : apply(tGet, this, []);
    }, set: function (v) {
      const s = stateOf(this);
      if (!s || s.limit === undefined) { apply(tSet, this, [v]); return; }
      s.limit = (+v) >>> 0;  // WebIDL unsigned long, as the native setter converts it
      arm(this, s);
    }, enumerable: true, configurable: true });
    XP.send = function (body) {
      const s = stateOf(this);
      if (!s || !s.sync || s.active || apply(xState, this, []) !== 1) return apply(xSend, this, arguments);
      if (cfg.pageTimeTags && s.tagged !== pageNow()) retag(this, s);
      sendCount++;  // the bulk clock stops where a request starts
      const t0 = pageNow();
      const mark = marker();
      const data = body === undefined ? null : body;
      const raw = outboxAtSend(data);
      if (!apply(madeHas, made, [this])) { apply(listen, this, ["loadend", ended]); apply(madeAdd, made, [this]); }
      s.t0 = t0; s.active = true; s.counted = s.async; s.expired = false; s.aborted = false;
      const id = s.id;
      thenOf(bodyText(data), (text) => report({ type: "start", id, via: "xhr", t: t0, mark, page: location.pathname, ...record(text, raw) }));
      if (s.counted) inflight++;
      arm(this, s);
      try { apply(xSend, this, arguments); }
      catch (e) { finish(s, "network_error", { error: StringOf(e) }); throw e; }
      if (!s.async && s.active) end(this, s);  // a synchronous send is over when send() returns
      return undefined;
    };
  }

  // Reading a Sync answer's body is the network still at work: fetch resolves with the headers, and
  // the body arrives later in real time. A build that reads it before it clears its abort timer
  // (most do: `await res.json()` inside the try whose finally clears it) would otherwise look idle
  // to the clock, which then runs that timer — or the next request's, started when the body came —
  // and aborts a send the server already processed, or not, by the machine's speed. So a read of a
  // Sync answer's body (or of its clone) counts as a send in flight until it settles; the decrement
  // runs before the build's own reaction to the read (registered first), so the build's next step
  // (a lock request, the next fetch) is counted before any probe can look. Reads through
  // `res.body`'s stream are counted below.
  const answers = new WeakSet(), answerAdd = WeakSet.prototype.add, answerHas = WeakSet.prototype.has;
  const syncAnswer = (r) => { try { apply(answerAdd, answers, [r]); } catch (e) { /* not an object */ } };
  const ResponseProto = typeof Response === "function" ? Response.prototype : null;
  const bodyReads = ["arrayBuffer", "blob", "bytes", "formData", "json", "text"];
  for (let i = 0; ResponseProto && i < bodyReads.length; i++) {
    const read = ResponseProto[bodyReads[i]];
    if (typeof read !== "function") continue;
    ResponseProto[bodyReads[i]] = function () {
      const p = apply(read, this, arguments);
      if (!apply(answerHas, answers, [this])) return p;
      inflight++;
      const end = () => { inflight--; done(); };
      thenOf(p, end, end);
      return p;
    };
  }
  const clone = ResponseProto && ResponseProto.clone;
  if (typeof clone === "function") {
    ResponseProto.clone = function () {
      const copy = apply(clone, this, arguments);
      if (apply(answerHas, answers, [this])) syncAnswer(copy);
      return copy;
    };
  }

  // The same answer's body read as a stream — `res.body.getReader()` read until done, `pipeTo`,
  // `pipeThrough`, `for await (… of res.body)`, `new Response(res.body).json()` — is the network at
  // work while a read waits for bytes. `res.body` of a Sync answer is a byte stream of the same
  // bytes, chunk for chunk, over the native one: each read the build (or the browser, for a pipe or
  // a new Response) makes pulls one read of the native stream, counted in flight until it settles
  // (a chunk, the end, an error); cancelling it cancels the native one. Nothing is counted while no
  // read waits: a stream taken and never read, or read partly and left, is not a send in flight —
  // the build is then waiting for something else (its own timer, a lock), which the clock must
  // reach. The native stream is taken (locked) at the first read, not when `res.body` is looked at:
  // `if (res.body) await res.json()` reads as before. Once the native stream is locked or used
  // (the build read the body another way), `res.body` is the native stream itself.
  const RS = typeof ReadableStream === "function" ? ReadableStream : null;
  const BC = typeof ReadableByteStreamController === "function" ? ReadableByteStreamController.prototype : null;
  const bodyGet = ResponseProto && getter(ResponseProto, "body");
  if (RS && BC && bodyGet && typeof ReadableStreamDefaultReader === "function" && typeof ReadableStreamBYOBRequest === "function") {
    const getReader = RS.prototype.getReader, streamCancel = RS.prototype.cancel, lockedGet = getter(RS.prototype, "locked");
    const readerRead = ReadableStreamDefaultReader.prototype.read, readerCancel = ReadableStreamDefaultReader.prototype.cancel;
    const enqueue = BC.enqueue, closeStream = BC.close, errorStream = BC.error, byobGet = getter(BC, "byobRequest");
    const respond = ReadableStreamBYOBRequest.prototype.respond, isView = ArrayBuffer.isView;
    const viewLength = getter(Object.getPrototypeOf(Uint8Array.prototype), "byteLength");
    const wrapped = new WeakMap(), wrappedGet = WeakMap.prototype.get, wrappedSet = WeakMap.prototype.set;
    const quietly = (f, self, args) => { try { apply(f, self, args); } catch (e) { /* the stream was cancelled meanwhile */ } };
    const counted = (native) => {
      let reader = null;
      // No prototype: the stream reads start, size, autoAllocateChunkSize… off these objects, and a
      // build may put such names on Object.prototype.
      const source = B.create(null), strategy = B.create(null);
      source.type = "bytes";
      strategy.highWaterMark = 0;  // pull only for a read that waits
      source.pull = (controller) => {
        if (reader === null) reader = apply(getReader, native, []);  // throws (locked): the read fails as natively
        inflight++;
        const end = () => { inflight--; done(); };
        const step = () => thenOf(apply(readerRead, reader, []), (r) => {
          if (r.done) {
            quietly(closeStream, controller, []);
            let q = null;
            try { q = apply(byobGet, controller, []); } catch (e) { /* closed */ }
            if (q) quietly(respond, q, [0]);  // a BYOB read waiting hears the end
            end();
            return undefined;
          }
          let size = 1;
          try { size = apply(isView, ArrayBuffer, [r.value]) ? apply(viewLength, r.value, []) : 1; } catch (e) { /* not a typed array */ }
          if (size === 0) return step();  // an empty chunk answers no read: read on
          quietly(enqueue, controller, [r.value]);
          end();
          return undefined;
        }, (e) => { quietly(errorStream, controller, [e]); end(); });
        return step();
      };
      source.cancel = (reason) => (reader === null ? apply(streamCancel, native, [reason]) : apply(readerCancel, reader, [reason]));
      return new RS(source, strategy);
    };
    define(ResponseProto, "body", { get: function () {
      const native = apply(bodyGet, this, []);
      if (native === null || typeof native !== "object" || !apply(answerHas, answers, [this])) return native;
      let out = apply(wrappedGet, wrapped, [native]);
      if (out === undefined) {
        if (apply(lockedGet, native, [])) return native;  // read another way (json(), a clone's tee): counted there
        out = counted(native);
        apply(wrappedSet, wrapped, [native, out]);
      }
      return out;
    }, set: undefined, enumerable: true, configurable: true });
  }

  // In-page lock arbitration while the harness runs this page's timers in bulk (pagetime.py): the
  // page is then the only one of its browser context with work (VirtualClock._lone), so nothing
  // else can contend for its locks, and a grant need not travel to the browser process and back
  // (two round trips per timer were most of a retry storm's cost). Same semantics as the browser's
  // lock manager for what is arbitrated here: exclusive mode, FIFO per name, ifAvailable, steal,
  // signal, the callback's result settling the request and releasing the lock, the callback run in
  // a task of its own, query(). For every name in use the real lock is taken (one round trip per
  // name per bulk run) and held, so another page of the origin (a tab opened later) sees it held;
  // when the bulk run ends, names nobody holds are released at once and the others when their last
  // holder releases. Anything else goes to the browser: shared mode, a request made outside a bulk
  // run, calls the browser would refuse (it says why), a page with frames (they share its locks),
  // and every request for a name once one of these went to the browser while the name was held here.
  const localLocks = (realRequest, realQuery) => {
    // Every builtin below is captured (B, push, thenOf, ...): a build patching Array.prototype, Map or
    // Promise.prototype.then must not make a request vanish or a grant never run.
    const names = new Map();  // name -> { state: "none"|"acquiring"|"held", release, held: [], queue: [], real }
    const P = B.Promise, create = B.create, Exception = DOMException;
    const nameOf = (name) => apply(B.mapGet, names, [name]);
    const forget = (name) => apply(B.mapDelete, names, [name]);
    const shift = (list) => apply(B.shift, list, []);
    // Moved slot by slot (defined, see put): Array.prototype.splice builds its result through
    // Array[Symbol.species] and unshift assigns past the end, both of which a build can redefine.
    const takeAll = (list) => { const out = []; for (let i = 0; i < list.length; i++) put(out, i, list[i]); list.length = 0; return out; };
    const unshift = (list, x) => { for (let i = list.length; i > 0; i--) put(list, i, list[i - 1]); put(list, 0, x); };
    const ifAvailables = (list) => { const out = []; for (let i = 0; i < list.length; i++) if (list[i].ifAvailable) push(out, list[i]); return out; };
    let on = false, firing = false;
    const ch = new MessageChannel(), tasks = [], later = [], post = MessagePort.prototype.postMessage;
    ch.port1.onmessage = () => { const f = shift(tasks); if (f) f(); };
    // A grant (or an ifAvailable refusal) comes in a task of its own. The browser's comes back from
    // its process after the timers already due have run: while the bulk runner fires the timers of
    // one instant, grants wait for the last of them (a timer then finds the work the one before it
    // started still waiting for its lock, as in a browser, and a build coalescing such work does so
    // here too).
    const inTask = (f) => { if (firing) { push(later, f); return; } push(tasks, f); apply(post, ch.port2, [null]); };
    const LockProto = typeof Lock === "function" ? Lock.prototype : Object.prototype;
    // Like the browser's Lock: name and mode read through it, nothing of its own to list or serialise.
    const lockOf = (name) => create(LockProto, { name: { value: name }, mode: { value: "exclusive" } });
    const stolen = () => new Exception("Lock broken by another request with the 'steal' option.", "AbortError");
    const entry = (name) => {
      let e = nameOf(name);
      if (!e) { e = { name, state: "none", release: null, held: [], queue: [], real: false }; apply(B.mapSet, names, [name, e]); }
      return e;
    };
    const settle = (r, ok, value) => {
      if (r.done) return;
      r.done = true;
      if (r.unabort) r.unabort();
      (ok ? r.resolve : r.reject)(value);
    };
    const drop = (list, r) => {
      for (let i = 0; i < list.length; i++) if (list[i] === r) { for (let j = i + 1; j < list.length; j++) put(list, j - 1, list[j]); list.length -= 1; return true; }
      return false;
    };
    // Answer with null (ifAvailable, not available): the callback runs without a lock.
    const refuse = (r) => inTask(() => {
      let out;
      try { out = apply(r.callback, undefined, [null]); } catch (err) { settle(r, false, err); return; }
      thenOf(promiseOf(out), (v) => settle(r, true, v), (err) => settle(r, false, err));
    });
    const grant = (e, r) => {
      push(e.held, r);
      inTask(() => {
        let out;
        try { out = apply(r.callback, undefined, [lockOf(e.name)]); } catch (err) { thenOf(promiseOf(undefined), () => release(e, r, false, err)); return; }
        thenOf(promiseOf(out), (v) => release(e, r, true, v), (err) => release(e, r, false, err));
      });
    };
    const release = (e, r, ok, value) => {
      drop(e.held, r);
      settle(r, ok, value);  // a stolen request was settled at the steal
      pump(e);
    };
    const letGo = (e) => {  // hand the real lock back
      const free = e.release;
      e.release = null; e.state = "none";
      forget(e.name);
      if (free) free();
    };
    // The real lock, held by a promise only this manager settles. ifAvailable: not taken when held elsewhere.
    const acquire = (e, ifAvailable) => {
      e.state = "acquiring";
      let got = false;
      const hold = (lock) => {
        if (!lock) return undefined;
        got = true;
        return new P((free) => { e.release = free; e.state = "held"; pump(e); });
      };
      const lost = (err) => {
        if (got) {  // stolen by another page: so are the locks held here
          e.state = "none"; e.release = null;
          const held = takeAll(e.held);
          for (let i = 0; i < held.length; i++) settle(held[i], false, err);
          pump(e);
          return;
        }
        e.state = "none";  // the browser refused: so it would have refused each request
        const queue = takeAll(e.queue);
        for (let i = 0; i < queue.length; i++) settle(queue[i], false, err);
        forget(e.name);
      };
      let p;
      try { p = realRequest(e.name, ifAvailable ? { ifAvailable: true } : {}, hold); }
      catch (err) { lost(err); return; }
      thenOf(p, () => {
        if (got || e.state !== "acquiring") return;
        e.state = "none";  // not available: the ifAvailable requests get null, the others wait for it
        const refused = ifAvailables(e.queue);
        for (let i = 0; i < refused.length; i++) { drop(e.queue, refused[i]); refuse(refused[i]); }
        pump(e);
      }, lost);
    };
    const pump = (e) => {
      if (e.state === "none") {
        if (e.queue.length) acquire(e, ifAvailables(e.queue).length === e.queue.length);
        else if (!e.held.length && nameOf(e.name) === e) forget(e.name);
        return;
      }
      if (e.state !== "held") return;
      while (e.queue.length && !e.held.length) {
        grant(e, shift(e.queue));
      }
      const refused = ifAvailables(e.queue);
      for (let i = 0; i < refused.length; i++) { drop(e.queue, refused[i]); refuse(refused[i]); }
      // Handed back when the run is over, or at once when a request the browser decides waits for it
      // (shared mode, a frame): the browser grants it as soon as the last holder here releases.
      if ((!on || e.real) && !e.held.length && !e.queue.length) letGo(e);
    };
    const options = (args) => (args.length === 3 ? args[1] : undefined);
    // Whether this manager arbitrates a request: only what it can answer exactly as the browser would.
    const takes = (args) => {
      const name = args[0];
      const e = typeof name === "string" ? nameOf(name) : undefined;
      const real = () => {  // the browser decides; while this manager holds the name, it decides all
        if (!e) return false;
        if (e.state === "held" && !e.held.length && !e.queue.length) letGo(e); else e.real = true;
        return false;
      };
      if (!on || frames() > 0 || (e && e.real)) return real();
      if ((args.length !== 2 && args.length !== 3) || typeof name !== "string" || name[0] === "-") return real();
      if (typeof args[args.length - 1] !== "function") return real();
      const o = options(args);
      if (o === undefined || o === null) return true;
      if (typeof o !== "object") return real();
      if (o.mode !== undefined && o.mode !== "exclusive") return real();
      if (o.steal && (o.ifAvailable || o.signal !== undefined)) return real();
      if (o.signal !== undefined && !isSignal(o.signal)) return real();
      if (o.ifAvailable && o.signal !== undefined) return real();
      return true;
    };
    const request = (args) => new P((resolve, reject) => {
      const o = options(args) || {};
      const r = { callback: args[args.length - 1], resolve, reject, ifAvailable: !!o.ifAvailable, done: false, unabort: null };
      const signal = o.signal;
      if (signal && apply(signalAborted, signal, [])) { reject(apply(signalReason, signal, [])); return; }
      const e = entry(args[0]);
      if (o.steal) {
        const held = takeAll(e.held);
        for (let i = 0; i < held.length; i++) settle(held[i], false, stolen());
        unshift(e.queue, r);
      } else if (r.ifAvailable) {
        if (e.state === "acquiring" || e.queue.length || e.held.length) { refuse(r); return; }
        push(e.queue, r);
      } else {
        push(e.queue, r);
      }
      if (signal) {
        const abort = () => { if (drop(e.queue, r)) { settle(r, false, apply(signalReason, signal, [])); pump(e); } };
        apply(listen, signal, ["abort", abort]);
        r.unabort = () => apply(unlisten, signal, ["abort", abort]);
      }
      pump(e);
    });
    // The browser's answer with the real locks held for this manager replaced by what it holds and queues.
    // A name still "acquiring" has this manager's real request among the browser's pending ones: it
    // stands for the requests queued here, so it is left out and lends them its clientId (this
    // page's, once seen; else the first pending one of that name).
    let ownClient = null;
    const query = realQuery && (async () => {
      const snap = await realQuery();
      if (!apply(B.mapSize, names, [])) return snap;
      const held = [], pending = [], rest = [];
      const client = B.create(null);  // no prototype: a lock named "toString" is a name like any other
      const snapHeld = snap.held || [], snapPending = snap.pending || [];
      for (let i = 0; i < snapHeld.length; i++) {
        const l = snapHeld[i], e = nameOf(l.name);
        if (e && e.state === "held" && !(l.name in client)) { client[l.name] = ownClient = l.clientId; continue; }
        push(held, l);
      }
      const mine = B.create(null);  // acquiring name -> index of its real request in snapPending
      for (let i = 0; i < snapPending.length; i++) {
        const l = snapPending[i], e = nameOf(l.name);
        if (!e || e.state !== "acquiring") continue;
        if (!(l.name in mine) || (ownClient !== null && l.clientId === ownClient && snapPending[mine[l.name]].clientId !== ownClient)) mine[l.name] = i;
      }
      for (let i = 0; i < snapPending.length; i++) {
        const l = snapPending[i];
        if (l.name in mine && mine[l.name] === i) { client[l.name] = l.clientId; continue; }
        push(rest, l);
      }
      const all = valuesOf(names);
      for (let k = 0; k < all.length; k++) {
        const e = all[k], id = client[e.name];
        for (let i = 0; i < e.held.length; i++) push(held, { name: e.name, mode: "exclusive", clientId: id });
        for (let i = 0; i < e.queue.length; i++) push(pending, { name: e.name, mode: "exclusive", clientId: id });
      }
      for (let i = 0; i < rest.length; i++) push(pending, rest[i]);
      return { held, pending };
    });
    // Bulk runs switch arbitration on and off; off hands back every real lock nobody holds here.
    // "firing" / "fired": the runner fires the timers of one instant / has fired them.
    Object.defineProperty(window, "__tankLocalLocks", { value: (state) => {
      if (state === "firing" || state === "fired") {
        firing = state === "firing";
        if (!firing) { const due = takeAll(later); for (let i = 0; i < due.length; i++) inTask(due[i]); }
        return on;
      }
      firing = false;
      const due = takeAll(later);
      for (let i = 0; i < due.length; i++) inTask(due[i]);
      on = !!state && frames() === 0;
      if (!on) { const all = valuesOf(names); for (let i = 0; i < all.length; i++) pump(all[i]); }
      return on;
    } });
    return { takes, request, query };
  };

  // A build that serialises its outbox work with Web Locks finishes it in later tasks; the clock
  // must not move on before it has (see harness/clock.py).
  // Lock names still waiting for their grant and names granted and not yet released, apart: a
  // grant no held lock blocks is on its way (progressing); a held lock may wait for page time.
  const bump = (m, k, d) => { m[k] = (m[k] || 0) + d; if (!m[k]) delete m[k]; };
  if (navigator.locks && typeof navigator.locks.request === "function") {
    const origRequest = navigator.locks.request.bind(navigator.locks);
    const local = localLocks(origRequest, typeof navigator.locks.query === "function" ? navigator.locks.query.bind(navigator.locks) : null);
    navigator.locks.request = function (...args) {
      locks++;
      const last = args.length - 1, callback = args[last], name = StringOf(args[0]);
      let granted = false;
      if (typeof callback === "function") {
        bump(lockWaits, name, 1);
        args[last] = function (...a) {
          if (!granted) { granted = true; bump(lockWaits, name, -1); bump(locksHeld, name, 1); }
          return apply(callback, this, a);
        };
      }
      const end = () => {
        if (typeof callback === "function") bump(granted ? locksHeld : lockWaits, name, -1);
        locks--; done();
      };
      let p;
      try { p = local.takes(args) ? local.request(args) : apply(origRequest, undefined, args); } catch (e) { end(); throw e; }
      thenOf(promiseOf(p), end, end);
      return p;
    };
    if (local.query) navigator.locks.query = function query() { return local.query(); };
  }

  // Each write to a watched key is preceded by a write of this page's time to "__tank_t": the
  // observer page stamps the write with it, since its own clock may lag while the harness runs
  // this page's timers in bulk (harness/run/pagetime.py). The stamp also names the writing page
  // load ("time|tab#load|n"): two tabs on one URL are told apart (overwrite evidence). It ends with
  // a MAC under the reports' key (harness/history/seal.py, STAMP_DOMAIN): a page can write the key
  // too, but only a stamp sealed here dates a write.
  const watchedKeys = new Set(cfg.watchedKeys || []);
  if (watchedKeys.size && typeof Storage !== "undefined") {
    const proto = Storage.prototype, origSet = proto.setItem, origRemove = proto.removeItem;
    const mark = (area, key, value) => {
      if (!apply(setHas, watchedKeys, [StringOf(key)])) return false;
      try {
        if (area !== store) return false;
        apply(origSet, area, ["__tank_t", value]);
        return true;
      } catch (e) { return false; /* private mode: the observer's own time is used */ }
    };
    // A counter keeps each stamp new: an unchanged value would fire no storage event, and two
    // writes in one page instant would share (or lose) their stamp.
    let stamps = 0;
    const writer = () => (typeof tabName === "string" ? tabName : "?") + "#" + load;
    // A context recorded through its tab's DOMStorage events (harness/history/tabwatch.py) has no
    // observer to say when a write was seen: its stamps end with the real time (the clock's own
    // embedder, pinned above), which dates the write against the Sync stub's answers.
    const embedder = cfg.stampWall && pc ? pc._embedder : null, realDate = embedder && embedder.dateNow;
    const wall = typeof realDate === "function" ? () => "|" + StringOf(apply(realDate, embedder, [])) : () => "";
    const sealed = typeof seal === "function" ? (text) => text + "|" + seal("__tank_t|" + text) : (text) => text;
    const stamped = (area, key, write, args) => {
      const on = mark(area, key, sealed(StringOf(pageNow()) + "|" + writer() + "|" + (++stamps) + wall()));
      if (on) stampCount++;
      try { return apply(write, area, args); }
      catch (e) { if (on) mark(area, key, "0000000000000"); throw e; }  // no write: no stamp pending
    };
    proto.setItem = function (key, value) { return stamped(this, key, origSet, arguments); };
    proto.removeItem = function (key) { return stamped(this, key, origRemove, arguments); };
  }

  if (navigator.sendBeacon) {
    const origBeacon = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = function (url, data) {
      if (!isSync(url)) return origBeacon(url, data);
      const t = pageNow();
      const mark = marker();
      const raw = outboxAtSend(data);
      sendCount++;
      const ok = origBeacon(tag(url, "beacon"), data);
      const id = ++seq;
      if (typeof data === "string") {
        report({ type: "beacon", id, via: "beacon", t, mark, page: location.pathname, outcome: ok ? "queued" : "refused", ...record(data, raw) });
      } else {
        thenOf(bodyText(data), (text) => report({ type: "beacon", id, via: "beacon", t, mark, page: location.pathname, outcome: ok ? "queued" : "refused", ...record(text, raw) }));
      }
      return ok;
    };
  }
})();
