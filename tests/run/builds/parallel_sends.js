// A build that sends every outbox envelope as its own keepalive fetch, all at once, on load and on
// `online`: more fetches in parallel than Chromium opens connections to one host in a context (6),
// so some wait inside the browser behind the others (tests/run/test_parallel_sends_live.py).
(() => {
  const script = document.currentScript;
  const KEY = "opsmantik_outbox_v2";
  const api = new URL(script.getAttribute("data-api"), location.href).href;
  const site = script.getAttribute("data-site-id");
  const read = () => { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } };
  const write = (q) => localStorage.setItem(KEY, JSON.stringify(q));
  const id = () => Math.random().toString(16).slice(2) + Date.now().toString(16);
  let sid = sessionStorage.getItem("ps_sid");
  if (!sid) { sid = id(); sessionStorage.setItem("ps_sid", sid); }
  const sending = new Set();

  function sendOne(env) {
    if (sending.has(env.id)) return;
    sending.add(env.id);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 5000);
    fetch(api, { method: "POST", keepalive: true, body: JSON.stringify(env.payload),
                 headers: { "Content-Type": "text/plain" }, signal: abort.signal })
      .then((r) => r.ok, () => false)
      .then((ok) => {
        clearTimeout(timer);
        sending.delete(env.id);
        const q = read();
        const i = q.findIndex((x) => x.id === env.id);
        if (i < 0) return;
        if (ok) q.splice(i, 1); else q[i].attempts = (q[i].attempts || 0) + 1;
        write(q);
      });
  }

  const flush = () => read().forEach(sendOne);
  function send(ec, ea, el, ev, meta) {
    const d = new Date();
    const env = { id: id(), ts: d.getTime(), attempts: 0, payload: {
      s: site, u: location.href, sid, sm: d.toISOString().slice(0, 8) + "01", ec, ea, el: el ?? null,
      ev: ev ?? null, r: document.referrer, meta: Object.assign({}, meta || {}) } };
    env.payload.meta.eid = env.id;
    write(read().concat([env]));
    sendOne(env);
    return env.id;
  }
  window.opmantik = window.opsmantik = { send };
  addEventListener("online", flush);
  flush();
  send("interaction", "view");
})();
