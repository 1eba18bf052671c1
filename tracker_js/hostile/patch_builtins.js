// Hostile build fixture: appended to a tracker, it patches the page's builtins after the build
// loaded, the way a build that knows the harness could try to steer it. Every patch keeps the
// build's own data intact and lies only about values shaped like the harness's: objects with a
// clock result's keys (t, fired, why, errors), Playwright's serialized entries
// ({k: "t", v}) and its visited-object Map, the clock's timers (own callAt and func), a timer's
// error as the clock run lists it ([time, "TypeError: …", stack]) and a Web Lock request the
// in-page arbiter queues (own unabort). A harness that reads its results through the page's
// builtins then sees a clock that fired nothing and reached no time, or errors, skips timers or
// loses lock grants; one that uses functions captured before any page script sees the truth.
// window.__tankPatched lists what was patched.
(() => {
  const own = Object.prototype.hasOwnProperty, apply = Reflect.apply;
  const HARNESS = ["t", "fired", "why", "errors"];
  const shaped = (v) => {
    if (!v || typeof v !== "object") return false;
    for (let i = 0; i < HARNESS.length; i++) if (apply(own, v, [HARNESS[i]])) return true;
    return false;
  };
  const entry = (v) => v && typeof v === "object" && typeof v.k === "string" && apply(own, v, ["v"]) && HARNESS.indexOf(v.k) >= 0;
  const lockRequest = (v) => v && typeof v === "object" && apply(own, v, ["unabort"]);
  const timerError = (v) => Array.isArray(v) && v.length === 3 && typeof v[0] === "number" && /^\w*Error: /.test(String(v[1]));
  const timers = (a) => a.length > 0 && a[0] && typeof a[0] === "object" && apply(own, a[0], ["callAt"]) && apply(own, a[0], ["func"]);
  const patched = window.__tankPatched = [];
  const patch = (owner, name, make, label) => {
    const orig = owner[name];
    owner[name] = make(orig);
    patched[patched.length] = label;
  };

  patch(Object, "keys", (orig) => function keys(o) {
    const k = orig(o);
    return shaped(o) ? k.filter((x) => HARNESS.indexOf(x) < 0) : k;
  }, "Object.keys");
  patch(Object, "entries", (orig) => function entries(o) {
    const e = orig(o);
    return shaped(o) ? e.filter((x) => HARNESS.indexOf(x[0]) < 0) : e;
  }, "Object.entries");
  patch(JSON, "stringify", (orig) => function stringify(v, ...rest) {
    return orig.call(this, shaped(v) ? { ...v, t: 0, fired: 0, why: "done", errors: [] } : v, ...rest);
  }, "JSON.stringify");
  patch(JSON, "parse", (orig) => function parse(text, ...rest) {
    const v = orig.call(this, text, ...rest);
    return shaped(v) ? { ...v, t: 0, fired: 0 } : v;
  }, "JSON.parse");
  patch(Array.prototype, "push", (orig) => function push(...items) {
    return orig.apply(this, items.filter((x) => !entry(x) && !lockRequest(x) && !timerError(x)));
  }, "Array.prototype.push");
  patch(Array.prototype, "filter", (orig) => function filter(...args) {
    return timers(this) ? [] : orig.apply(this, args);  // the clock's due timers: none
  }, "Array.prototype.filter");
  patch(Array.prototype, "sort", (orig) => function sort(...args) {
    const out = orig.apply(this, args);
    return timers(this) ? out.reverse() : out;  // the clock's due timers: last created first
  }, "Array.prototype.sort");
  for (const name of ["map", "slice", "concat", "join", "indexOf", "includes", "forEach", "reduce"]) {
    patch(Array.prototype, name, (orig) => function (...args) { return orig.apply(this, args); }, "Array.prototype." + name);
  }
  patch(Map.prototype, "get", (orig) => function get(key) {
    return shaped(key) ? 1 : orig.call(this, key);  // "already serialized": a {ref} instead of the value
  }, "Map.prototype.get");
  patch(Promise.prototype, "then", (orig) => function then(ok, fail) {
    return orig.call(this, ok && ((v) => ok(shaped(v) ? { ...v, t: 0, fired: 0 } : v)), fail);
  }, "Promise.prototype.then");
  // A toJSON every object inherits (not enumerable: the build's for-in loops see nothing): any
  // JSON.stringify, even one captured before the page ran, consults it.
  Object.defineProperty(Object.prototype, "toJSON", { configurable: true, writable: true, enumerable: false,
    value: function toJSON() { return shaped(this) ? { t: 0, fired: 0, why: "done", errors: [] } : this; } });
  patched[patched.length] = "Object.prototype.toJSON";
  patch(Function.prototype, "toString", (orig) => function toString() {
    return this === Function.prototype.toString ? "function toString() { [native code] }" : orig.call(this);
  }, "Function.prototype.toString");
})();
// How functions are called, index setters and the Map iterator (the later holes): the stamp's write
// and the Sync fetch's tags go through Function.prototype.call/apply; fresh lists the harness fills
// (a clock run's due timers and errors, the arbiter's queues, a send's event list) through
// Array.prototype index setters; Playwright's clock finds due timers through Map.prototype.values.
(() => {
  const applyR = Reflect.apply, own = Object.prototype.hasOwnProperty, patched = window.__tankPatched;
  const call = (fn, self, args) => {
    if (fn.name === "setItem" && fn !== Storage.prototype.setItem && args[0] === "__tank_t") return undefined;  // no stamp
    if (fn.name === "fetch" && fn !== window.fetch && typeof args[0] === "string") args[0] = args[0].replace(/[?&]_tank_[^&]*/g, "");
    return applyR(fn, self, args);
  };
  Function.prototype.call = function call_(self, ...args) { return call(this, self, args); };
  Function.prototype.apply = function apply_(self, args) { return call(this, self, args ? [...args] : []); };
  patched[patched.length] = "Function.prototype.call"; patched[patched.length] = "Function.prototype.apply";
  const shaped = (v) => !!v && typeof v === "object" && (own.call(v, "callAt") || own.call(v, "unabort")
    || (typeof v.ec === "string" && typeof v.ea === "string")  // a Sync event the send record lists
    || (Array.isArray(v) && v.length === 3 && typeof v[0] === "number" && /^\w*Error: /.test(String(v[1]))));
  for (let i = 0; i < 8; i++) {
    Object.defineProperty(Array.prototype, i, { configurable: true, get() { return undefined; },
      set(v) { if (!shaped(v)) Object.defineProperty(this, i, { value: v, writable: true, enumerable: true, configurable: true }); } });
  }
  patched[patched.length] = "Array.prototype[0..7] (index setters)";
  const values = Map.prototype.values, entries = Map.prototype.entries;
  const timers = (m) => { for (const v of applyR(values, m, [])) return !!v && typeof v === "object" && own.call(v, "callAt"); return false; };
  const empty = () => [][Symbol.iterator]();
  Map.prototype.values = function values_() { return timers(this) ? empty() : applyR(values, this, []); };
  Map.prototype.entries = Map.prototype[Symbol.iterator] = function entries_() { return timers(this) ? empty() : applyR(entries, this, []); };
  patched[patched.length] = "Map.prototype.values/entries/[Symbol.iterator]";
})();
