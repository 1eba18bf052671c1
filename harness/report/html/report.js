// The HTML report's renderer: matrix, per-scenario swimlanes (SVG, drawn when a scenario is
// opened), fates table and the envelope panel. Data comes from the inline JSON; no network.
(() => {
  "use strict";
  const DATA = JSON.parse(document.getElementById("tank-data").textContent);
  const MARK = { pass: "✓", fail: "✗", vacuous: "~", not_judged: "·" };
  const LANE_H = 30, LEFT = 170, TOP = 34, MAX_W = 60000, MIN_W = 700;
  const FATE_ORDER = { lost: 0, duplicated: 1 };
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const $ = (sel, root) => (root || document).querySelector(sel);

  function rel(t, t0) {
    if (t == null) return "?";
    let ms = t - (t0 || 0); const sign = ms < 0 ? "-" : "+"; ms = Math.abs(ms);
    const s = ms / 1000;
    if (s < 60) return sign + s.toFixed(3) + "s";
    if (s < 3600) return sign + Math.floor(s / 60) + "m" + (s % 60).toFixed(1).padStart(4, "0") + "s";
    if (s < 172800) return sign + Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m" + String(Math.floor(s % 60)).padStart(2, "0") + "s";
    return sign + Math.floor(s / 86400) + "d" + String(Math.floor((s % 86400) / 3600)).padStart(2, "0") + "h";
  }
  const span = (ms) => rel(ms, 0).slice(1);

  // -- header, summary, matrix ------------------------------------------------------------
  function header() {
    const m = DATA.meta;
    document.title = "tankharness · " + m.build;
    $("#title").textContent = "tankharness — " + m.build;
    $("#facts").innerHTML = ["build sha256 " + (m.build_sha256 || "?").slice(0, 16) + "…", "browser " + m.browser, "proxy " + m.proxy,
      "store " + m.store, "seed " + m.seed, "started " + m.started].map((f) => "<span>" + esc(f) + "</span>").join("");
    const o = DATA.outcome;  // written by the harness (RunReport.headline): one wording of the outcome everywhere
    $("#summary").innerHTML = `<p id="outcome" class="${o.passed ? "verdict-pass" : "verdict-fail"}">${esc(o.headline)}</p>`
      + deviations(DATA.deviations || {});
  }

  // What the terminal prints as DEVIATIONS: the differences from the contract the build's profile
  // declares. With --deviations fail (run's default) they fail the run even when every scenario
  // passed, so the page says so rather than showing only a green line.
  function deviations(d) {
    const list = d.list || [];
    if (!list.length) return "";
    const mode = d.mode || "";
    const cls = d.fails ? "verdict-fail" : "muted";
    return `<div id="deviations" data-mode="${esc(mode)}"><p class="${cls}">DEVIATIONS declared by profile ${esc(d.profile)} (${esc(d.path)})`
      + (mode ? `, --deviations ${esc(mode)}${d.fails ? ": the run fails" : ""}` : "") + `</p><ul>`
      + list.map((d) => `<li>${esc(d)}</li>`).join("") + `</ul></div>`;
  }

  function matrix() {
    const ids = DATA.guarantees.map((g) => g.id);
    let h = "<thead><tr><th>scenario</th><th></th>" + DATA.guarantees.map((g) => `<th class="g" title="${esc(g.title)}">${esc(g.id)}</th>`).join("")
      + "<th>lost</th><th>dup</th><th>wall</th></tr></thead><tbody>";
    DATA.scenarios.forEach((s, i) => {
      h += `<tr data-scenario="${esc(s.name)}"><td class="name"><a href="#s-${i}">${esc(s.name)}</a></td>`
        + `<td class="${s.passed ? "verdict-pass" : "verdict-fail"}">${s.passed ? "PASS" : "FAIL"}</td>`;
      for (const gid of ids) {
        const g = (s.guarantees || {})[gid]; const st = g ? g.status : "not_judged";
        h += `<td class="st-${st}" title="${esc(gid + ": " + st + (g && g.note ? " — " + g.note : ""))}">${MARK[st]}</td>`;
      }
      const c = s.counts || {};
      h += `<td class="${c.lost ? "st-fail" : ""}">${c.lost || 0}</td><td>${c.duplicated || 0}</td><td>${(s.wall_s || 0).toFixed(1)}s</td></tr>`;
    });
    $("#matrix").innerHTML = h + "</tbody>";
    $("#matrix").addEventListener("click", (ev) => {
      const a = ev.target.closest("a"); if (!a) return;
      const d = document.getElementById(a.getAttribute("href").slice(1)); if (d) d.open = true;
    });
  }

  // -- one scenario -------------------------------------------------------------------------
  function scenarios() {
    const root = $("#scenarios");
    DATA.scenarios.forEach((s, i) => {
      const d = document.createElement("details");
      d.className = "scenario"; d.id = "s-" + i; d.dataset.scenario = s.name;
      const c = s.counts || {};
      d.innerHTML = `<summary><span class="${s.passed ? "verdict-pass" : "verdict-fail"}">${s.passed ? "PASS" : "FAIL"}</span> <b>${esc(s.name)}</b>`
        + ` <span class="muted">seed ${esc(s.seed)} · ${Object.keys(c).filter((k) => c[k]).map((k) => k + " " + c[k]).join(" · ")} · ${span(s.sim_ms || 0)} page time · ${(s.wall_s || 0).toFixed(1)}s wall</span></summary><div class="body"></div>`;
      d.addEventListener("toggle", () => { if (d.open && !d.dataset.drawn) { d.dataset.drawn = "1"; body(s, $(".body", d)); } });
      root.appendChild(d);
      if (!s.passed) d.open = true;
    });
  }

  function body(s, el) {
    let h = "";
    if (s.error) h += `<p class="verdict-fail">scenario error: ${esc(s.error)}</p>`;
    for (const r of s.strict_failures || []) h += `<p class="verdict-fail">strict: ${esc(r)}</p>`;
    const gs = Object.entries(s.guarantees || {}).filter(([, g]) => g.status !== "not_judged");
    gs.sort((a, b) => ["fail", "vacuous", "pass"].indexOf(a[1].status) - ["fail", "vacuous", "pass"].indexOf(b[1].status));
    for (const [gid, g] of gs) {
      h += `<div class="gl"><span class="st-${g.status}">&nbsp;${MARK[g.status]}&nbsp;</span> <b>${esc(gid)}</b> <span class="muted">${esc(g.title || "")} — ${g.evidence} case(s)${g.note ? "; " + esc(g.note) : ""}</span></div>`;
      if (g.violations && g.violations.length) {
        const li = (v) => "<li>" + esc(v) + "</li>", FIRST = 8;
        h += "<ul class=viol>" + g.violations.slice(0, FIRST).map(li).join("") + "</ul>";
        if (g.violations.length > FIRST) h += `<details class="viol"><summary class="muted">${g.violations.length - FIRST + (g.more || 0)} more violation(s)</summary><ul class=viol>`
          + g.violations.slice(FIRST).map(li).join("") + (g.more ? `<li class=muted>… ${g.more} more in the JSON report</li>` : "") + "</ul></details>";
      }
    }
    if (s.rerun) h += `<p><b>rerun</b> (seed ${esc(s.seed)}; build sha256 ${esc(DATA.meta.build_sha256 || "?")}; scenario sha256 ${esc(s.sha256 || "?")})</p><div class="rerun">${esc(s.rerun)}</div>`;
    if (s.artifacts) h += `<p><b>trace, screenshots, console</b>: <code>${esc(s.artifacts)}</code> <span class="muted">(open a trace with <code>playwright show-trace FILE.zip</code>)</span></p>`;
    for (const n of s.notes || []) h += `<p class="muted">note: ${esc(n)}</p>`;
    h += `<div class="tools"><button data-z="0.5">− zoom</button> <button data-z="2">+ zoom</button> <span class="muted">time axis compressed across quiet gaps (dashed); ≈ journal times are lower bounds</span></div>`;
    h += `<div class="swim"></div><div class="tools"><input placeholder="envelope id or prefix" class="find"> <span class="muted count"></span></div><table class="fates"></table>`;
    if (s.messages && s.messages.length) {
      h += "<h4>page console and errors</h4><table class=msgs>" + s.messages.map((m) =>
        `<tr class="${m[3] === "error" || m[2] === "pageerror" ? "error" : ""}"><td>${esc(rel(m[0], s.t0))}</td><td>${esc(m[1])}</td><td>${esc(m[2] + " " + m[3])}</td><td>${esc(m[4])}</td></tr>`).join("") + "</table>";
    }
    el.innerHTML = h;
    const view = new Swimlanes(s, $(".swim", el));
    view.draw(1);
    el.querySelectorAll("button[data-z]").forEach((b) => b.addEventListener("click", () => view.draw(view.zoom * Number(b.dataset.z))));
    fatesTable(s, el, view);
  }

  function fatesTable(s, el, view) {
    const table = $("table.fates", el), find = $("input.find", el), count = $(".count", el);
    const cols = s.fates.columns, rows = s.fates.rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]])));
    rows.sort((a, b) => (FATE_ORDER[a.fate] ?? 9) - (FATE_ORDER[b.fate] ?? 9));
    const LIMIT = 300;
    const render = () => {
      const q = find.value.trim();
      const shown = rows.filter((r) => !q || String(r.id).startsWith(q) || r.fate === q);
      count.textContent = `${shown.length} of ${rows.length} envelope(s)` + (shown.length > LIMIT ? `, first ${LIMIT} shown` : "");
      table.innerHTML = "<tr><th>id</th><th>fate</th><th>event</th><th>context</th><th>deliveries</th><th>dup</th><th>reason</th></tr>"
        + shown.slice(0, LIMIT).map((r) => `<tr data-id="${esc(r.id)}" data-fate="${esc(r.fate)}"><td>${esc(r.id)}</td><td>${esc(r.fate)}</td><td>${esc((r.ec || "") + "/" + (r.ea || ""))}</td>`
          + `<td>${esc(r.context || "")}</td><td>${esc(r.deliveries)}</td><td>${esc(r.duplicates)}${r.browser_copies ? ` <span class="muted" title="copies the browser re-sent by itself of a send already processed: not the build's">+${esc(r.browser_copies)} browser</span>` : ""}</td><td>${esc(r.reason)}</td></tr>`).join("");
    };
    find.addEventListener("input", render);
    table.addEventListener("click", (ev) => { const tr = ev.target.closest("tr[data-id]"); if (tr) select(s, view, tr.dataset.id); });
    render();
  }

  // -- swimlanes ------------------------------------------------------------------------------
  class Swimlanes {
    constructor(s, el) {
      this.s = s; this.el = el; this.zoom = 1;
      this.L = s.lanes;
      this.fateOf = {};
      if (s.fates) { const c = s.fates.columns, fi = c.indexOf("fate"), ii = c.indexOf("id"); for (const r of s.fates.rows) this.fateOf[r[ii]] = r[fi]; }
      this.index = {};  // envelope id -> item keys
      if (this.L) {
        const add = (ids, key) => { for (const id of ids || []) (this.index[id] || (this.index[id] = [])).push(key); };
        this.L.marks.forEach((m, i) => add(m[4], "m" + i));
        this.L.bars.forEach((b, i) => add(b[5], "b" + i));
      }
      el.addEventListener("click", (ev) => {
        const it = ev.target.closest("[data-k]"); if (!it) return;
        const ids = this.ids(it.dataset.k); if (ids.length) select(s, this, ids[0], ids);
      });
      el.addEventListener("mousemove", (ev) => {
        const it = ev.target.closest("[data-k]"), tip = $("#tip");
        if (!it) { tip.style.display = "none"; return; }
        tip.textContent = this.describe(it.dataset.k); tip.style.display = "block";
        tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px";
      });
      el.addEventListener("mouseleave", () => { $("#tip").style.display = "none"; });
    }
    ids(k) { const i = Number(k.slice(1)); return k[0] === "m" ? this.L.marks[i][4] : k[0] === "b" ? this.L.bars[i][5] : []; }
    describe(k) {
      const i = Number(k.slice(1)), t0 = this.s.t0;
      if (k[0] === "m") { const m = this.L.marks[i]; return `${rel(m[1], t0)} ${m[3]}` + (m[4].length ? ` [${m[4].length} envelope(s)]` : ""); }
      if (k[0] === "b") { const b = this.L.bars[i]; return `${rel(b[1], t0)} → ${b[2] == null ? "never settled" : rel(b[2], t0)} ${b[4]}` + (b[5].length ? ` [${b[5].join(", ")}]` : ""); }
      const sp = this.L.spans[i]; return `${rel(sp[1], t0)} → ${rel(sp[2], t0)} ${sp[3]}`;
    }
    // Page time -> x: linear within 2 s, logarithmic across longer quiet gaps.
    scale() {
      const L = this.L, end = this.s.t_end;
      const ts = new Set([this.s.t0, end]);
      for (const m of L.marks) ts.add(m[1]);
      for (const b of L.bars) { ts.add(b[1]); if (b[2] != null) ts.add(b[2]); }
      for (const sp of L.spans) { ts.add(sp[1]); ts.add(sp[2]); }
      const times = [...ts].filter((t) => t != null).sort((a, b) => a - b);
      const pos = [0], gaps = [];
      for (let i = 1; i < times.length; i++) {
        const g = times[i] - times[i - 1];
        const u = g <= 2000 ? g / 1000 : 2 + Math.log2(g / 2000);
        pos.push(pos[i - 1] + u);
        if (g > 2000) gaps.push([i, g]);
      }
      const total = pos[pos.length - 1] || 1;
      // zoom 1 fits the whole run in the visible width; zoom in for detail
      const width = Math.min(MAX_W, Math.max(MIN_W, this.el.clientWidth - LEFT - 30) * this.zoom);
      const k = width / total;
      const x = (t) => {
        if (t == null) return LEFT + width;
        let lo = 0, hi = times.length - 1;
        if (t <= times[0]) return LEFT; if (t >= times[hi]) return LEFT + pos[hi] * k;
        while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (times[mid] <= t) lo = mid; else hi = mid; }
        const f = (t - times[lo]) / (times[hi] - times[lo]);
        return LEFT + (pos[lo] + f * (pos[hi] - pos[lo])) * k;
      };
      return { x, width, times, gaps };
    }
    draw(zoom) {
      this.zoom = Math.max(0.05, Math.min(zoom, 64));
      const s = this.s, L = this.L;
      if (!L) { this.el.innerHTML = "<p class=muted>&nbsp;no recorded history in this report (run with --out or --html)</p>"; return; }
      const { x, width, times, gaps } = this.scale();
      const H = TOP + L.lanes.length * LANE_H + 14, W = LEFT + width + 20;
      const y = (lane) => TOP + lane * LANE_H;
      const cls = (ids) => { let c = ""; for (const id of ids) { const f = this.fateOf[id]; if (f === "lost") return " lost"; if (f === "duplicated") c = " dup"; } return c; };
      const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">`];
      L.lanes.forEach((ln, i) => out.push(`<rect class="lanebg${i % 2 ? " odd" : ""}" x="0" y="${y(i)}" width="${W}" height="${LANE_H}"/><text class="lanelabel" data-lane="${i}" x="6" y="${y(i) + 17}">${esc(ln.label)}</text>`));
      // axis: labels at least 90 px apart; quiet gaps dashed, with their real length
      let lastX = -1e9;
      for (const t of times) { const px = x(t); if (px - lastX >= 90) { out.push(`<text x="${px}" y="14">${esc(rel(t, s.t0))}</text><line x1="${px}" x2="${px}" y1="18" y2="${TOP}" stroke="#999"/>`); lastX = px; } }
      for (const [i, g] of gaps) { const px = (x(times[i - 1]) + x(times[i])) / 2; out.push(`<line class="gap" x1="${px}" x2="${px}" y1="${TOP}" y2="${H}"/><text class="gaptxt" x="${px + 2}" y="${TOP - 4}">⋯${esc(span(g))}</text>`); }
      L.spans.forEach((sp, i) => {
        const x0 = x(sp[1]), x1 = Math.max(x(sp[2]), x0 + 3);
        out.push(`<rect class="span${sp[3] === "offline" ? " offline" : ""}" data-k="s${i}" x="${x0}" y="${y(sp[0]) + 2}" width="${x1 - x0}" height="${LANE_H - 4}"/>`);
      });
      const labelled = {};  // lane -> x of its last step label: labels never overlap
      const stepLabel = (lane, px, ty, text) => {
        if (px - (labelled[lane] ?? -1e9) < 8 + 6 * text.length) return "";
        labelled[lane] = px; return `<text class="steptxt" x="${px + 2}" y="${ty}">${esc(text)}</text>`;
      };
      L.marks.forEach((m, i) => {
        const px = x(m[1]);
        if (m[2] === "step") {
          const word = m[3].split(" ")[0];
          if (m[0] < 0) out.push(`<line class="global item" data-k="m${i}" x1="${px}" x2="${px}" y1="${TOP}" y2="${H - 10}"/>` + stepLabel(-1, px, H - 1, word));
          else out.push(`<line class="step item" data-k="m${i}" x1="${px}" x2="${px}" y1="${y(m[0]) + 2}" y2="${y(m[0]) + LANE_H - 2}"/>` + stepLabel(m[0], px, y(m[0]) + 10, word));
          return;
        }
        const cy = y(m[0]) + LANE_H / 2 + 5, c = cls(m[4]);
        if (m[2] === "error" || m[2] === "console") out.push(`<path class="m item ${m[2]}" data-k="m${i}" d="M${px - 5},${cy + 4}L${px},${cy - 5}L${px + 5},${cy + 4}Z"/>`);
        else if (m[2] === "rows") out.push(`<rect class="m item rows${c}" data-k="m${i}" x="${px - 5}" y="${cy - 5}" width="10" height="10"/>`);
        else out.push(`<circle class="m item ${m[2]}${c}" data-k="m${i}" cx="${px}" cy="${cy}" r="${m[2] === "arrival" || m[2] === "refused" ? 4 : 3.5}"/>`);
      });
      L.bars.forEach((b, i) => {
        const x0 = x(b[1]), x1 = Math.max(x(b[2] == null ? s.t_end : b[2]), x0 + 4);
        out.push(`<rect class="bar item ${esc(b[3])}${cls(b[5])}" data-k="b${i}" x="${x0}" y="${y(b[0]) + LANE_H / 2 + 1}" width="${x1 - x0}" height="8" rx="2"/>`);
      });
      out.push("</svg>");
      this.el.innerHTML = out.join("");
      if (this.selected) this.highlight(this.selected);
    }
    highlight(id) {
      this.selected = id;
      const svg = $("svg", this.el); if (!svg) return [];
      svg.querySelectorAll(".sel").forEach((e) => e.classList.remove("sel"));
      svg.classList.toggle("selecting", !!id);
      const lanes = new Set();
      for (const k of this.index[id] || []) {
        const e = svg.querySelector(`[data-k="${k}"]`); if (e) e.classList.add("sel");
        const i = Number(k.slice(1)); lanes.add(k[0] === "m" ? this.L.marks[i][0] : this.L.bars[i][0]);
      }
      const first = svg.querySelector(".sel");
      if (first) { const bx = first.getBBox(); this.el.scrollLeft = Math.max(0, bx.x - this.el.clientWidth / 3); }
      return [...lanes].filter((l) => l >= 0).sort((a, b) => a - b).map((l) => this.L.lanes[l].label);
    }
  }

  // -- the envelope panel -------------------------------------------------------------------------
  function select(s, view, id, among) {
    const cols = s.fates.columns, row = s.fates.rows.find((r) => r[cols.indexOf("id")] === id);
    const f = row ? Object.fromEntries(cols.map((c, i) => [c, row[i]])) : null;
    const lanes = view.highlight(id);
    document.querySelectorAll(".fates tr.sel").forEach((e) => e.classList.remove("sel"));
    const tr = document.querySelector(`details[data-scenario="${CSS.escape(s.name)}"] .fates tr[data-id="${CSS.escape(id)}"]`);
    if (tr) tr.classList.add("sel");
    const tl = (s.timelines || {})[id];
    let h = `<span class="close" title="close">✕</span><h3>${esc(id)} <span class="muted">in ${esc(s.name)}</span></h3>`;
    if (f) h += `<div><b class="fate">${esc(f.fate)}</b> — <span class="reason">${esc(f.reason)}</span> <span class="muted">(${esc((f.ec || "") + "/" + (f.ea || ""))}, context ${esc(f.context)}, deliveries ${f.deliveries}, duplicates ${f.duplicates}${f.browser_copies ? ", browser copies " + f.browser_copies : ""}${f.at_rest == null ? "" : ", at rest ×" + f.at_rest})</span></div>`;
    else h += `<div class="muted">no fate for this id (not an envelope the checker followed)</div>`;
    if (among && among.length > 1) h += `<div class="muted">this item carries ${among.length} envelopes: ` + among.slice(0, 30).map((i) => `<a href="#" data-pick="${esc(i)}">${esc(i.slice(0, 8))}</a>`).join(" ") + (among.length > 30 ? " …" : "") + "</div>";
    h += `<div>lanes: <ul class="lanes">${lanes.map((l) => `<li>${esc(l)}</li>`).join("")}</ul></div>`;
    if (tl) h += "<table>" + tl.rows.map((r) => `<tr><td>${r[3] && r[3].approx ? "≈" : ""}${esc(rel(r[0], s.t0))}</td><td>${esc(r[2])}</td><td>${esc(Object.entries(r[3] || {}).filter(([k, v]) => k !== "approx" && v != null && v !== "").map(([k, v]) => k + "=" + (typeof v === "object" ? JSON.stringify(v) : v)).join("  "))}</td></tr>`).join("") + "</table>";
    const panel = $("#panel");
    panel.innerHTML = h; panel.className = "open"; panel.dataset.id = id;
    $(".close", panel).addEventListener("click", () => { panel.className = ""; view.highlight(null); });
    panel.querySelectorAll("[data-pick]").forEach((a) => a.addEventListener("click", (ev) => { ev.preventDefault(); select(s, view, a.dataset.pick, among); }));
  }

  header(); matrix(); scenarios();
  document.body.dataset.readyMs = String(Math.round(performance.now()));  // since navigation start
  document.body.dataset.ready = "1";
})();
