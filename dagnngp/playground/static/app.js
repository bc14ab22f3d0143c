// dagnngp playground: the page's state, the DAG editor, the plots and the jobs.
// Everything is computed by the server (/api/...); this script draws and asks.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const OPS = { 0: ["#bbbbbb", "zero"], 1: ["#1f77b4", "skip"], 2: ["#d62728", "linear"] };
const PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"];
// ops[t-1][s] and weights[t-1][s]: edge s -> t's op (0 zero, 1 skip, 2 linear) and weight (1 unless set)
const state = { ops: [], weights: [], selected: null, compare: [], views: null, mc: null, train: null,
                job: null, meta: null };
// Timings read by the browser tests (milliseconds).
window.__playground = { firstView: null, updates: [], lastExport: null, ready: false };
let pending = null;      // AbortController of the views request in flight
let clickStart = null;   // performance.now() of the edge click being answered
let mathsTimer = null, mathsJob = null;

// ------------------------------------------------------------------ motif model
function parseMotif(text) {
  // Only the cheap client-side split of "2_2(0.5)1": the server validates and reports errors.
  const groups = text.trim().split("_");
  const ops = [], weights = [];
  for (const g of groups) {
    const row = [], wrow = [];
    for (const m of g.matchAll(/(\d)(?:\(([^()]*)\))?/g)) {
      row.push(Number(m[1]));
      wrow.push(m[2] === undefined ? 1 : Number(m[2]));
    }
    ops.push(row); weights.push(wrow);
  }
  return { ops, weights };
}
function fromResult(r) {
  // the editor's state from a motif the server has read (its edges carry their weights)
  const ops = [], weights = [];
  for (let t = 1; t < r.n_nodes; t++) { ops.push(new Array(t).fill(0)); weights.push(new Array(t).fill(1)); }
  for (const [s, t, op, w] of r.edges) { ops[t - 1][s] = op; weights[t - 1][s] = w; }
  return { ops, weights };
}
function motifString(ops, weights) {
  weights = weights || state.weights;
  return ops.map((row, i) => row.map((op, s) => {
    const w = weights[i] ? weights[i][s] : 1;
    return op === 0 || w === 1 || w === undefined ? String(op) : `${op}(${w})`;
  }).join("")).join("_");
}
function currentMotif() { return motifString(state.ops, state.weights); }
function nNodes() { return state.ops.length + 1; }

// ---------------------------------------------------------------------- helpers
function $(id) { return document.getElementById(id); }
function el(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}
function showMessage(text, ok) {
  const m = $("message");
  m.textContent = text || "";
  m.className = ok ? "ok" : "";
}
function fmt(x, digits = 5) { return x === null || x === undefined ? "\u2013" : Number(x).toFixed(digits); }
function options() {
  return { C: Number($("C").value), activation: $("activation").value,
           sigma_b: Number($("sigma_b").value), depth: Number($("depth").value),
           edge: $("edge").value, readout: $("readout").value === "1" };
}
async function api(path, body, signal) {
  const init = body === undefined ? {} : { method: "POST", body: JSON.stringify(body),
                                           headers: { "Content-Type": "application/json" }, signal };
  const r = await fetch(path, init);
  let data;
  try { data = await r.json(); } catch (e) { throw new Error(`the server answered ${r.status}`); }
  if (!r.ok) throw new Error(data.error || `the server answered ${r.status}`);
  return data;
}

// -------------------------------------------------------------------- DAG editor
function drawDag() {
  const svg = $("dag");
  svg.replaceChildren();
  const n = nNodes(), W = Number(svg.getAttribute("width")), H = Number(svg.getAttribute("height"));
  const gap = (W - 40) / Math.max(n - 1, 1), y = H - 24;
  const x = (i) => 20 + i * gap;
  for (let t = 1; t < n; t++) {
    for (let s = 0; s < t; s++) {
      const op = state.ops[t - 1][s], w = state.weights[t - 1][s];
      const rx = (x(t) - x(s)) / 2, ry = Math.min(rx / 1.1, y - 8);
      const d = `M${x(s)},${y} A${rx},${ry} 0 0 1 ${x(t)},${y}`;
      const sel = state.selected && state.selected[0] === s && state.selected[1] === t;
      const g = el("g", { class: sel ? "edge-group selected" : "edge-group" }, svg);
      if (sel) el("path", { d, fill: "none", stroke: "#ffd54f", "stroke-width": 9, "stroke-opacity": 0.7 }, g);
      const path = el("path", { d, fill: "none", class: "edge", stroke: OPS[op][0],
                                "stroke-width": op === 0 ? 1.5 : 3,
                                "stroke-dasharray": op === 1 ? "7 4" : (op === 0 ? "2 4" : "none"),
                                id: `edge-${s}-${t}`, "data-op": op, "data-weight": w }, g);
      if (op !== 0 && w !== 1) {
        const label = el("text", { x: (x(s) + x(t)) / 2, y: y - ry - 3, "font-size": 11, "text-anchor": "middle",
                                   fill: OPS[op][0], class: "weight-label", id: `weight-${s}-${t}` }, g);
        label.textContent = `\u00d7${w}`;
      }
      const hit = el("path", { d, class: "hit", "data-s": s, "data-t": t, id: `hit-${s}-${t}` }, g);
      const title = el("title", {}, g);
      title.textContent = `edge ${s} \u2192 ${t}: ${OPS[op][1]}${op !== 0 && w !== 1 ? `, weight ${w}` : ""} ` +
        "(click to change)";
      for (const target of [path, hit]) target.addEventListener("click", () => cycleEdge(s, t));
    }
  }
  for (let i = 0; i < n; i++) {
    el("circle", { cx: x(i), cy: y, r: 12, fill: "#fff", stroke: "#333" }, svg);
    const label = el("text", { x: x(i), y: y + 4, "font-size": 11, "text-anchor": "middle" }, svg);
    label.textContent = i;
  }
  $("motif-text").value = currentMotif();
  drawWeightEditor();
}
function cycleEdge(s, t) {
  const op = (state.ops[t - 1][s] + 1) % 3;
  state.ops[t - 1][s] = op;
  if (op === 0) state.weights[t - 1][s] = 1;  // a zero edge has no weight
  state.selected = [s, t];
  clickStart = performance.now();
  drawDag();
  update();
}
function drawWeightEditor() {
  // the edges that can carry a weight (skip and linear), the selected one chosen
  const sel = $("edge-select");
  sel.replaceChildren();
  for (let t = 1; t < nNodes(); t++) {
    for (let s = 0; s < t; s++) {
      if (state.ops[t - 1][s] === 0) continue;
      const o = document.createElement("option");
      o.value = `${s}-${t}`;
      o.textContent = `${s} \u2192 ${t} (${OPS[state.ops[t - 1][s]][1]})`;
      sel.appendChild(o);
    }
  }
  const key = state.selected ? `${state.selected[0]}-${state.selected[1]}` : null;
  if (key && Array.from(sel.options).some((o) => o.value === key)) sel.value = key;
  const has = sel.options.length > 0;
  $("edge-weight").disabled = $("set-weight").disabled = sel.disabled = !has;
  if (has) {
    const [s, t] = sel.value.split("-").map(Number);
    state.selected = [s, t];
    $("edge-weight").value = state.weights[t - 1][s];
  } else {
    $("edge-weight").value = "";
  }
}
function setWeight() {
  const sel = $("edge-select");
  if (!sel.value) return;
  const [s, t] = sel.value.split("-").map(Number);
  const raw = $("edge-weight").value.trim(), w = Number(raw);
  if (raw === "" || !isFinite(w)) { showMessage(`the weight of edge ${s} \u2192 ${t} must be a finite number`); return; }
  if (w === 0) { showMessage(`a weight of 0 makes edge ${s} \u2192 ${t} a zero edge: click it instead`); return; }
  state.weights[t - 1][s] = w;
  state.selected = [s, t];
  clickStart = performance.now();
  drawDag();
  update();
}
function addNode() {
  const max = state.meta ? state.meta.max_nodes : 10;
  if (nNodes() >= max) { showMessage(`the playground draws at most ${max} nodes`); return; }
  const row = new Array(nNodes()).fill(0);
  row[row.length - 1] = 2;  // the new output hangs off the old output by a linear edge
  state.ops.push(row);
  state.weights.push(new Array(row.length).fill(1));
  drawDag(); update();
}
function removeNode() {
  if (nNodes() <= 2) { showMessage("a motif needs at least an input and an output node"); return; }
  state.ops.pop();
  state.weights.pop();
  if (state.selected && state.selected[1] >= nNodes()) state.selected = null;
  drawDag(); update();
}

// -------------------------------------------------------------------------- plots
function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) { hi = lo + 1; }
  const step0 = (hi - lo) / count, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= step0);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) ticks.push(+v.toPrecision(10));
  return ticks;
}
function plot(svg, spec) {
  // spec: {title, xlabel, ylabel, series: [{x, y, color, dash, label, width}],
  //        points: [{x, y, err, color}], band: [{x, lo, hi, color}], logy, note}
  svg.replaceChildren();
  const W = Number(svg.getAttribute("width")), H = Number(svg.getAttribute("height"));
  const L = 58, R = 10, T = 24, B = 40;
  el("rect", { x: 0, y: 0, width: W, height: H, fill: "#fff" }, svg);
  const title = el("text", { x: W / 2, y: 15, "text-anchor": "middle", "font-size": 13,
                              "font-weight": "bold" }, svg);
  title.textContent = spec.title;
  const tr = (v) => (spec.logy ? (v > 0 ? Math.log10(v) : null) : v);
  const xs = [], ys = [];
  for (const s of spec.series || []) s.x.forEach((xv, i) => {
    const yv = s.y[i] === null ? null : tr(s.y[i]);
    if (yv !== null && isFinite(yv)) { xs.push(xv); ys.push(yv); }
  });
  for (const p of spec.points || []) { xs.push(p.x); ys.push(tr(p.y + (p.err || 0))); ys.push(tr(p.y - (p.err || 0))); }
  if (spec.note && !xs.length) {
    const t = el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "font-size": 12, fill: "#666" }, svg);
    t.textContent = spec.note;
    return;
  }
  let [x0, x1] = spec.xrange || [Math.min(...xs), Math.max(...xs)];
  let y0 = Math.min(...ys.filter((v) => v !== null && isFinite(v))), y1 = Math.max(...ys.filter((v) => v !== null && isFinite(v)));
  if (spec.yzero && !spec.logy) y0 = Math.min(0, y0);
  if (!(y1 > y0)) { y1 = y0 + 1; }
  const pad = 0.05 * (y1 - y0); y0 -= spec.yzero ? 0 : pad; y1 += pad;
  const px = (v) => L + ((v - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  const axis = el("g", { "font-size": 10, fill: "#444" }, svg);
  for (const t of niceTicks(x0, x1)) {
    el("line", { x1: px(t), x2: px(t), y1: T, y2: H - B, stroke: "#eee" }, axis);
    const lab = el("text", { x: px(t), y: H - B + 13, "text-anchor": "middle" }, axis);
    lab.textContent = +t.toPrecision(4);
  }
  for (const t of niceTicks(y0, y1)) {
    el("line", { x1: L, x2: W - R, y1: py(t), y2: py(t), stroke: "#eee" }, axis);
    const lab = el("text", { x: L - 4, y: py(t) + 3, "text-anchor": "end" }, axis);
    lab.textContent = spec.logy ? `1e${t}` : +t.toPrecision(4);
  }
  el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#999" }, svg);
  const xl = el("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", "font-size": 11 }, svg);
  xl.textContent = spec.xlabel;
  const yl = el("text", { x: 12, y: (T + H - B) / 2, "text-anchor": "middle", "font-size": 11,
                          transform: `rotate(-90 12 ${(T + H - B) / 2})` }, svg);
  yl.textContent = spec.ylabel;
  for (const b of spec.band || []) {
    let d = "", back = "";
    b.x.forEach((xv, i) => {
      if (b.lo[i] === null || b.hi[i] === null) return;
      const lo = tr(b.lo[i]), hi = tr(b.hi[i]);
      if (lo === null || hi === null) return;
      const clamp = (v) => Math.min(Math.max(py(v), T), H - B);  // a band never leaves the axes
      d += `${d ? "L" : "M"}${px(xv)},${clamp(hi)}`;
      back = `L${px(xv)},${clamp(lo)}` + back;
    });
    if (d) el("path", { d: d + back + "Z", fill: b.color, "fill-opacity": 0.2, stroke: "none" }, svg);
  }
  const legend = [];
  for (const s of spec.series || []) {
    let d = "", pen = false;
    s.x.forEach((xv, i) => {
      const yv = s.y[i] === null ? null : tr(s.y[i]);
      if (yv === null || !isFinite(yv)) { pen = false; return; }
      d += `${pen ? "L" : "M"}${px(xv).toFixed(1)},${py(yv).toFixed(1)}`;
      pen = true;
    });
    el("path", { d, fill: "none", stroke: s.color, "stroke-width": s.width || 2,
                 "stroke-dasharray": s.dash || "none", class: s.cls || "series" }, svg);
    if (s.label) legend.push(s);
  }
  for (const p of spec.points || []) {
    const g = el("g", { class: "mc-point" }, svg);
    if (p.err) el("line", { x1: px(p.x), x2: px(p.x), y1: py(tr(p.y - p.err)), y2: py(tr(p.y + p.err)),
                            stroke: p.color, "stroke-width": 2 }, g);
    el("circle", { cx: px(p.x), cy: py(tr(p.y)), r: 3.5, fill: p.color }, g);
  }
  legend.forEach((s, i) => {
    const ly = T + 10 + 13 * i, lx = spec.legendLeft ? L + 8 : W - R - 150;
    el("line", { x1: lx, x2: lx + 20, y1: ly, y2: ly, stroke: s.color, "stroke-width": 2,
                 "stroke-dasharray": s.dash || "none" }, svg);
    const t = el("text", { x: lx + 24, y: ly + 3, "font-size": 10 }, svg);
    t.textContent = s.label;
  });
}

function drawPlots() {
  const v = state.views;
  if (!v) return;
  const Cs = v.C_grid, gap = [], ntk = [], rate = [], depth = [];
  v.results.forEach((r, i) => {
    const c = PALETTE[i % PALETTE.length], name = i === 0 ? "" : ` ${r.motif}`;
    gap.push({ x: Cs, y: r.curves.exact.nngp.gap, color: c, label: `exact${name}` });
    gap.push({ x: Cs, y: r.curves.paper.nngp.gap, color: c, dash: "6 4", label: `paper${name}` });
    if (r.rule12) gap.push({ x: Cs, y: r.rule12, color: c, dash: "1 3", label: i === 0 ? "rule (12)" : null, width: 1.5 });
    if (r.curves.exact.ntk) {
      ntk.push({ x: Cs, y: r.curves.exact.ntk.gap, color: c, label: `exact${name}` });
      ntk.push({ x: Cs, y: r.curves.paper.ntk.gap, color: c, dash: "6 4", label: `paper${name}` });
    }
    rate.push({ x: Cs, y: r.curves.exact.nngp.gap_over_diagonal, color: c, label: `exact${name}` });
    rate.push({ x: Cs, y: r.curves.paper.nngp.gap_over_diagonal, color: c, dash: "6 4", label: `paper${name}` });
    const L = r.stacked.exact.map((_, k) => k), Lp = r.stacked.paper.map((_, k) => k);
    depth.push({ x: L, y: r.stacked.exact, color: c, label: `exact${name}` });
    depth.push({ x: Lp, y: r.stacked.paper, color: c, dash: "6 4", label: `paper${name}` });
  });
  const points = [], ntkPoints = [];
  const mc = state.mc;
  if (mc && mc.motif === v.results[0].motif && mc.edge === v.options.edge
      && mc.activation === v.options.activation && mc.sigma_b === v.options.sigma_b) {
    mc.C.forEach((C, k) => points.push({ x: C, y: mc.gap_mean[k], err: 2 * mc.gap_stderr[k], color: "#000" }));
    if (mc.ntk_gap_mean && mc.readout === v.options.readout) {
      mc.C.forEach((C, k) => ntkPoints.push({ x: C, y: mc.ntk_gap_mean[k], err: 2 * mc.ntk_gap_stderr[k],
                                               color: "#000" }));
    }
  }
  plot($("plot-gap"), { title: `NNGP 2\u00d72 gap (${v.options.edge}-activation edges)`, xlabel: "input correlation C", ylabel: "least eigenvalue",
                        series: gap, points, xrange: [-1, 1], yzero: true });
  const ntkTitle = v.options.readout ? "NTK 2\u00d72 gap (readout trained)" : "NTK 2\u00d72 gap (output node, no readout)";
  plot($("plot-ntk"), { title: ntkTitle, xlabel: "input correlation C", ylabel: "least eigenvalue",
                        series: ntk, points: ntkPoints, xrange: [-1, 1], yzero: true,
                        note: v.ntk ? "" : "the NTK views need dagnngp.numerics.ntk (not in this installation)" });
  plot($("plot-rate"), { title: "scale-free: gap / diagonal", xlabel: "input correlation C",
                         ylabel: "gap / diagonal", series: rate, xrange: [-1, 1], yzero: true });
  plot($("plot-depth"), { title: `stacked cells, from C = ${v.options.C}`, xlabel: "cells stacked",
                          ylabel: "output correlation", series: depth, legendLeft: false });
  drawTraining();
}
function drawTraining() {
  const t = state.train;
  if (!t) {
    plot($("plot-train"), { title: "training loss", xlabel: "step", ylabel: "", series: [],
                            note: "run a training job to compare finite width with infinite width" });
    return;
  }
  const k = t.measured_mean.map((_, i) => i);
  const series = [{ x: k, y: t.measured_mean, color: "#000", label: `width ${t.width}, ${t.seeds} seeds` }];
  if (t.predicted) series.push({ x: k, y: t.predicted, color: "#d62728", dash: "6 4", label: "infinite width" });
  series.push({ x: k, y: t.bound, color: "#777", dash: "1 3", label: "paper's bound" });
  const lo = t.measured_mean.map((m, i) => (m === null || t.measured_stderr[i] === null ? null : m - 2 * t.measured_stderr[i]));
  const hi = t.measured_mean.map((m, i) => (m === null || t.measured_stderr[i] === null ? null : m + 2 * t.measured_stderr[i]));
  plot($("plot-train"), { title: `training ${t.motif} (${t.trained === "all" ? "every weight" : "readout"}, ` +
                                 `${t.rule.replace("eta", "\u03b7").replace("lambda_max", "\u03bb_max")})`,
                          xlabel: "gradient step k", ylabel: "\u00bd||u_k \u2212 y||\u00b2", series, logy: true,
                          band: [{ x: k, lo, hi, color: "#000" }] });
}
function drawNumbers() {
  const v = state.views;
  $("C-shown").textContent = v.options.C;
  const head = "<tr><th>motif</th><th>gap exact</th><th>gap paper</th><th>rule (12)</th>" +
    (v.ntk ? "<th>NTK gap exact</th>" : "") + "<th>gap/diag exact</th><th>\u03ba exact</th><th>P</th></tr>";
  document.querySelector("#numbers thead").innerHTML = head;
  const rows = v.results.map((r, i) => {
    const a = r.at_C;
    return `<tr class="motif-row" data-index="${i}"><td style="color:${PALETTE[i]}"><code>${r.motif}</code></td>` +
      `<td class="gap-exact">${fmt(a.exact.gap)}</td><td class="gap-paper">${fmt(a.paper.gap)}</td>` +
      `<td class="rule12" title="${r.rule12_note || ""}">${fmt(a.rule12)}</td>` +
      (v.ntk ? `<td class="ntk-gap-exact">${fmt(a.exact.ntk_gap)}</td>` : "") +
      `<td>${fmt(a.exact.gap_over_diagonal)}</td><td>${fmt(r.rates.exact.kappa, 3)}</td><td>${r.paths}</td></tr>`;
  });
  document.querySelector("#numbers tbody").innerHTML = rows.join("");
  const r = v.results[0];
  $("motif-info").textContent = `${r.n_nodes} nodes, ${r.n_linear} linear edges, ${r.paths} paths of depths ` +
    `${r.path_depths.join(", ") || "(none)"}; effective depth ${fmt(r.effective_depth, 2)}, width ${fmt(r.effective_width, 2)}` +
    (r.rule12_note ? `; ${r.rule12_note}` : "");
}

// ------------------------------------------------------------------ requests
async function update() {
  if (pending) pending.abort();
  const ctrl = new AbortController();
  pending = ctrl;
  const motifs = [currentMotif(), ...state.compare];
  const started = clickStart;
  try {
    const views = await api("/api/views", { motifs, ...options() }, ctrl.signal);
    if (ctrl.signal.aborted) return;
    state.views = views;
    showMessage("");
    $("motif-text").value = views.results[0].motif;  // the server's spelling of the weights
    drawNumbers();
    drawPlots();
    writeHash();
    if (window.__playground.firstView === null) {
      window.__playground.firstView = performance.now();
    }
    if (started !== null) {
      window.__playground.updates.push(performance.now() - started);
      clickStart = null;
    }
    window.__playground.ready = true;
    scheduleMaths();
  } catch (e) {
    if (e.name === "AbortError") return;
    showMessage(e.message);
  } finally {
    if (pending === ctrl) pending = null;
  }
}
function applyText(text) {
  const t = text.trim();
  if (t.startsWith("|")) {
    // a NAS-Bench-201 cell: the server converts it; the editor shows the motif it returns
    api("/api/views", { motifs: [t], ...options() }).then((v) => {
      setMotif(fromResult(v.results[0]));
      showMessage(`NAS-Bench-201 cell read as motif ${v.results[0].motif}`, true);
    }).catch((e) => showMessage(e.message));
    return;
  }
  api("/api/views", { motifs: [t], ...options() }).then((v) => {
    setMotif(fromResult(v.results[0]));
  }).catch((e) => showMessage(e.message));
}
function setMotif(motif) {
  state.ops = motif.ops; state.weights = motif.weights; state.selected = null; state.mc = null;
  drawDag(); update();
}

// --------------------------------------------------------------------- maths
function renderTex(target, tex, display) {
  if (window.katex) {
    try { window.katex.render(tex, target, { displayMode: display, throwOnError: false, strict: false }); return; }
    catch (e) { /* fall through to plain text */ }
  }
  target.textContent = tex;
}
const AUTO_DERIVE_NODES = 5;  // larger motifs derive on request: SymPy takes seconds to minutes
let mathsKey = null;         // what the shown closed forms were derived for
function mathsRequest() {
  const o = options();
  return { kind: "derive", motif: currentMotif(), model: "exact", activation: o.activation,
           sigma_b: o.sigma_b, edge: o.edge, readout: o.readout };
}
function scheduleMaths() {
  clearTimeout(mathsTimer);
  if (JSON.stringify(mathsRequest()) === mathsKey) return;  // C or the depth changed: same closed forms
  if (nNodes() > AUTO_DERIVE_NODES) {
    $("maths-status").textContent = `press Derive for the closed form of this ${nNodes()}-node motif ` +
      "(it may take a while)";
    return;
  }
  mathsTimer = setTimeout(startMaths, 700);
}
function showClosedForm(target, heading, latex, series, symbol) {
  target.replaceChildren();
  const h = document.createElement("h3");
  h.textContent = heading;
  const body = document.createElement("div");
  renderTex(body, latex, true);
  target.append(h, body);
  if (series) {
    const s = document.createElement("div");
    s.className = "series";
    renderTex(s, `${symbol}(1-\\varepsilon) = ${series} + \\dots`, true);
    target.appendChild(s);
  }
}
async function startMaths() {
  if (mathsJob) { fetch(`/api/jobs/${mathsJob}`, { method: "DELETE" }).catch(() => {}); mathsJob = null; }
  const request = mathsRequest(), key = JSON.stringify(request);
  $("maths-status").textContent = `deriving the closed forms of ${request.motif}\u2026`;
  try {
    const { id } = await api("/api/jobs", request);
    mathsJob = id;
    const job = await poll(id, null);
    if (mathsJob !== id) return;
    mathsJob = null;
    if (job.status === "done") {
      const out = job.result;
      mathsKey = key;
      $("maths-status").textContent = `exact model, ${out.motif}, ${out.edge}-activation edges, two unit ` +
        "inputs with correlation C:";
      showClosedForm($("maths-nngp"), "NNGP", out.latex, out.series, "\\lambda_{\\min}(K)");
      if (out.ntk_latex) {
        showClosedForm($("maths-ntk"), out.readout ? "NTK (readout trained)" : "NTK of the output node (no readout)",
                       out.ntk_latex, out.ntk_series, "\\lambda_{\\min}(\\Theta)");
      } else {
        $("maths-ntk").textContent = out.ntk_error || "";
      }
    } else if (job.status === "failed") {
      $("maths-status").textContent = job.error;
      $("maths-nngp").replaceChildren();
      $("maths-ntk").replaceChildren();
    }
  } catch (e) {
    $("maths-status").textContent = e.message;
  }
}

// ---------------------------------------------------------------------- jobs
async function poll(id, onProgress) {
  for (;;) {
    const job = await api(`/api/jobs/${id}`);
    if (onProgress) onProgress(job);
    if (job.status !== "running") return job;
    await new Promise((r) => setTimeout(r, 150));
  }
}
async function runJob(kind, body) {
  if (state.job) { showMessage("a computation is running; cancel it first"); return; }
  $("progress").value = 0;
  $("progress-text").textContent = "starting\u2026";
  try {
    const { id } = await api("/api/jobs", { kind, motif: currentMotif(), ...options(), ...body });
    state.job = id;
    $("cancel").disabled = false;
    const job = await poll(id, (j) => { $("progress").value = j.progress; $("progress-text").textContent = j.message; });
    if (job.status === "done") {
      $("progress-text").textContent = `done in ${job.elapsed.toFixed(1)} s`;
      if (kind === "mc") state.mc = job.result;
      else {
        state.train = job.result;
        if (job.result.diverged) showMessage(`${job.result.diverged} run(s) diverged at this step`);
      }
      drawPlots();
    } else if (job.status === "cancelled") {
      $("progress-text").textContent = "cancelled";
    } else {
      $("progress-text").textContent = "failed";
      showMessage(job.error);
    }
  } catch (e) {
    $("progress-text").textContent = "";
    showMessage(e.message);
  } finally {
    state.job = null;
    $("cancel").disabled = true;
  }
}

// -------------------------------------------------------------- share/export
function writeHash() {
  const p = new URLSearchParams({ m: currentMotif(), ...Object.fromEntries(
    Object.entries(options()).map(([k, v]) => [k, String(v)])) });
  if (state.compare.length) p.set("cmp", state.compare.join(","));
  history.replaceState(null, "", `#${p.toString()}`);
}
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const k of ["C", "activation", "sigma_b", "depth", "edge"]) if (p.has(k)) $(k).value = p.get(k);
  if (p.has("readout")) $("readout").value = p.get("readout") === "false" ? "0" : "1";
  if (p.has("cmp")) state.compare = p.get("cmp").split(",").filter(Boolean).slice(0, 3);
  return p.get("m");
}
function composedSvg() {
  const plots = Array.from(document.querySelectorAll(".plot"));
  const w = 440, h = 300, cols = 2, rows = Math.ceil(plots.length / cols);
  let body = "";
  plots.forEach((p, i) => {
    const x = (i % cols) * w, y = Math.floor(i / cols) * h;
    body += `<g transform="translate(${x},${y})">${p.innerHTML}</g>`;
  });
  return { text: `<svg xmlns="${SVGNS}" width="${cols * w}" height="${rows * h}" ` +
                 `font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${body}</svg>`,
           width: cols * w, height: rows * h };
}
function download(name, url) {
  const a = document.createElement("a");
  a.href = url; a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
}
function exportSvg() {
  const svg = composedSvg();
  download(`${currentMotif()}.svg`, URL.createObjectURL(new Blob([svg.text], { type: "image/svg+xml" })));
  window.__playground.lastExport = { type: "svg", size: svg.text.length };
}
function exportPng() {
  const svg = composedSvg();
  const img = new Image();
  img.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = svg.width * 2; canvas.height = svg.height * 2;
    const ctx = canvas.getContext("2d");
    ctx.scale(2, 2);
    ctx.drawImage(img, 0, 0);
    const url = canvas.toDataURL("image/png");
    download(`${currentMotif()}.png`, url);
    window.__playground.lastExport = { type: "png", width: canvas.width, height: canvas.height, dataURL: url };
  };
  img.onerror = () => showMessage("the figure could not be turned into a PNG in this browser");
  img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg.text);
}
function exportJson() {
  const text = JSON.stringify({ views: state.views, monte_carlo: state.mc, training: state.train }, null, 1);
  download(`${currentMotif()}.json`, URL.createObjectURL(new Blob([text], { type: "application/json" })));
  window.__playground.lastExport = { type: "json", size: text.length };
}
function drawCompare() {
  const ul = $("compare-list");
  ul.replaceChildren();
  state.compare.forEach((m, i) => {
    const li = document.createElement("li");
    li.innerHTML = `<code style="color:${PALETTE[i + 1]}">${m}</code> <button type="button">remove</button>`;
    li.querySelector("button").addEventListener("click", () => { state.compare.splice(i, 1); drawCompare(); update(); });
    ul.appendChild(li);
  });
}

// ------------------------------------------------------------------------ init
async function init() {
  try { state.meta = await api("/api/meta"); } catch (e) { showMessage(e.message); }
  const sel = $("activation");
  for (const [k, label] of Object.entries((state.meta && state.meta.activations) || { relu: "ReLU" })) {
    const o = document.createElement("option"); o.value = k; o.textContent = label; sel.appendChild(o);
  }
  const fromHash = readHash();
  Object.assign(state, parseMotif($("motif-text").value));
  if (fromHash && fromHash !== $("motif-text").value) {
    try {
      const v = await api("/api/views", { motifs: [fromHash], ...options() });
      Object.assign(state, fromResult(v.results[0]));
    } catch (e) { showMessage(e.message); }
  }
  drawDag();
  drawCompare();
  $("motif-form").addEventListener("submit", (e) => { e.preventDefault(); applyText($("motif-text").value); });
  $("add-node").addEventListener("click", addNode);
  $("remove-node").addEventListener("click", removeNode);
  for (const b of document.querySelectorAll(".preset")) b.addEventListener("click", () => setMotif(parseMotif(b.dataset.motif)));
  for (const id of ["C", "activation", "sigma_b", "depth", "edge", "readout"]) {
    $(id).addEventListener("change", () => { clickStart = performance.now(); update(); });
  }
  $("edge-select").addEventListener("change", () => {
    state.selected = $("edge-select").value.split("-").map(Number);
    drawDag();
  });
  $("weight-form").addEventListener("submit", (e) => { e.preventDefault(); setWeight(); });
  $("pin").addEventListener("click", () => {
    const m = currentMotif();
    if (state.compare.length >= 3) { showMessage("at most four motifs are compared; remove one first"); return; }
    if (!state.compare.includes(m)) state.compare.push(m);
    drawCompare(); update();
  });
  $("share").addEventListener("click", () => { writeHash(); $("share-url").value = location.href; $("share-url").select(); });
  $("export-png").addEventListener("click", exportPng);
  $("export-svg").addEventListener("click", exportSvg);
  $("export-json").addEventListener("click", exportJson);
  $("run-mc").addEventListener("click", () => runJob("mc", { width: Number($("mc-width").value),
                                                             draws: Number($("mc-draws").value),
                                                             ntk: Boolean(state.meta && state.meta.ntk) }));
  $("run-train").addEventListener("click", () => runJob("train", {
    width: Number($("train-width").value), steps: Number($("train-steps").value),
    lr: $("train-lr").value.trim(), trained: $("train-trained").value }));
  $("cancel").addEventListener("click", () => { if (state.job) fetch(`/api/jobs/${state.job}`, { method: "DELETE" }); });
  $("derive").addEventListener("click", startMaths);
  renderTex($("dual-map"), "h(C) = \\frac{\\sqrt{1-C^2} + (\\pi - \\arccos C)\\,C}{\\pi}," +
            "\\qquad \\text{rule (12)}:\\; P - \\sum_p h^{d_p}(C)", true);
  drawTraining();
  update();
}
window.addEventListener("DOMContentLoaded", init);
