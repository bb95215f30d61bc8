// scomm dashboard: county map (activation / matches per 1,000), monthly charts, oversight.
// Works offline: the only libraries are topojson-client and the us-atlas shapes, served
// from /static/vendor. Every number comes from /api/dashboard (scomm.statistics.dashboard);
// the page only compares an activation date with the selected month and draws.
(function () {
  "use strict";
  const SVGNS = "http://www.w3.org/2000/svg";
  const NOT_YET = "#e3e6ea", NO_DATA = "#f7f7f7", NO_SUBMISSIONS = "#cfd5dc", SUPPRESSED_FILL = "#b8a9c9";
  const YEAR_COLOURS = { 2008: "#08306b", 2009: "#08519c", 2010: "#2171b5", 2011: "#4292c6",
                         2012: "#6baed6", 2013: "#9ecae1" };
  const RATE_BINS = [[0, 25, "#fee6ce"], [25, 50, "#fdae6b"], [50, 75, "#fd8d3c"],
                     [75, 100, "#e6550d"], [100, 150, "#a63603"], [150, Infinity, "#5a1e02"]];
  const LEVEL_COLOURS = { "1": "#7f2704", "2": "#d94801", "3": "#fd8d3c", "non-criminal": "#6a51a3" };
  const fmt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
  // A count hidden by the public view (1-9, or one that would give such a count away).
  const SUPPRESSED = "(s)";
  const fmtc = (n) => (n === null || n === "" ? SUPPRESSED : fmt(n));
  // ?public=false on the page: the internal figures (for a signed-in auditor; audited).
  const INTERNAL = new URLSearchParams(window.location.search).get("public") === "false";

  let data = null, mode = "activation", seq = 0, timer = null, paths = [];

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVGNS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  // Shapes are pre-projected (Albers USA, 975x610): a path is the rings as they are.
  function ringPath(ring) {
    return "M" + ring.map((p) => p[0].toFixed(1) + "," + p[1].toFixed(1)).join("L") + "Z";
  }
  function geomPath(g) {
    if (!g) return "";
    if (g.type === "Polygon") return g.coordinates.map(ringPath).join("");
    if (g.type === "MultiPolygon") return g.coordinates.map((poly) => poly.map(ringPath).join("")).join("");
    if (g.type === "LineString") return "M" + g.coordinates.map((p) => p.join(",")).join("L");
    if (g.type === "MultiLineString")
      return g.coordinates.map((l) => "M" + l.map((p) => p[0].toFixed(1) + "," + p[1].toFixed(1)).join("L")).join("");
    return "";
  }

  function drawMap(topo) {
    const g = document.getElementById("counties");
    const counties = topojson.feature(topo, topo.objects.counties).features;
    for (const f of counties) {
      paths.push(el("path", { d: geomPath(f.geometry), class: "county", "data-fips": f.id,
                              "data-shape-name": (f.properties && f.properties.name) || "" }, g));
    }
    document.getElementById("state-borders").setAttribute(
      "d", geomPath(topojson.mesh(topo, topo.objects.states, (a, b) => a !== b)));
    g.addEventListener("mouseover", (ev) => { if (ev.target.dataset.fips) showCounty(ev.target); });
    g.addEventListener("click", (ev) => { if (ev.target.dataset.fips) showCounty(ev.target); });
  }

  // The activation-table county a shape shows (newer shapes map to their predecessor).
  function bindCounties() {
    const shown = new Set();
    for (const p of paths) {
      const fips = p.dataset.fips;
      const county = data.counties[fips] ? fips : (data.shape_successors[fips] || "");
      const c = data.counties[county];
      p.dataset.county = county;
      p.dataset.state = c ? c.state : "";
      p.dataset.activation = c && c.activation ? c.activation : "";
      if (county) shown.add(county);
    }
    const missing = Object.keys(data.counties).filter((f) => !shown.has(f)).sort();
    const note = document.getElementById("unmapped");
    note.dataset.count = missing.length;
    note.textContent = missing.length
      ? missing.length + " counties of the activation table have no shape on this map (retired FIPS codes): " +
        missing.map((f) => data.counties[f].name + ", " + data.counties[f].state + " (" + f + ")").join("; ") + "."
      : "";
  }

  function isActivated(activation, month) { return !!activation && activation.slice(0, 7) <= month; }

  function colour(p, month) {
    const act = p.dataset.activation;
    if (!p.dataset.county) return [NO_DATA, "no-data"];
    if (mode === "activation") {
      if (!act) return [NO_DATA, "no-date"];
      if (!isActivated(act, month)) return [NOT_YET, "not-yet"];
      const y = act.slice(0, 4);
      return [YEAR_COLOURS[y] || "#9ecae1", "year-" + y];
    }
    if (!isActivated(act, month) && !(Number(p.dataset.submissions) > 0) && p.dataset.suppressed !== "1")
      return [NOT_YET, "not-yet"];
    if (p.dataset.suppressed === "1") return [SUPPRESSED_FILL, "suppressed"];
    if (p.dataset.per1000 === "") return [NO_SUBMISSIONS, "no-submissions"];
    const r = Number(p.dataset.per1000);
    const bin = RATE_BINS.findIndex(([lo, hi]) => r >= lo && r < hi);
    return [RATE_BINS[bin][2], "rate-" + bin];
  }

  // Recolour for a month; county figures are those of the last data loaded.
  function paintMap(month) {
    let activated = 0;
    for (const p of paths) {
      const on = isActivated(p.dataset.activation, month);
      p.dataset.activated = on ? "1" : "0";
      if (on) activated += 1;
      const [fill, cls] = colour(p, month);
      p.setAttribute("fill", fill);
      p.dataset.bucket = cls;
    }
    const map = document.getElementById("map");
    map.dataset.activatedPaths = activated;
    drawLegend(month);
  }

  function drawLegend(month) {
    const box = document.getElementById("legend");
    box.innerHTML = "";
    const item = (c, text, key) => {
      const s = document.createElement("span");
      s.dataset.legend = key;
      s.innerHTML = '<span class="sw" style="background:' + c + '"></span>';
      s.appendChild(document.createTextNode(text));
      box.appendChild(s);
    };
    if (mode === "activation") {
      for (const [y, c] of Object.entries(YEAR_COLOURS)) if (y + "-01" <= month) item(c, "activated " + y, "year-" + y);
      item(NOT_YET, "not yet activated in " + month, "not-yet");
      item(NO_DATA, "no activation date / no data", "no-date");
    } else {
      RATE_BINS.forEach(([lo, hi, c], i) =>
        item(c, hi === Infinity ? "≥ " + lo + " per 1,000" : lo + "–" + hi + " per 1,000", "rate-" + i));
      item(NO_SUBMISSIONS, "activated, no submissions yet", "no-submissions");
      item(SUPPRESSED_FILL, "fewer than 10, or would give such a count away (suppressed)", "suppressed");
      item(NOT_YET, "not yet activated", "not-yet");
    }
  }

  function showCounty(p) {
    for (const q of document.querySelectorAll("path.county.selected")) q.classList.remove("selected");
    p.classList.add("selected");
    const c = data && data.counties[p.dataset.county];
    document.getElementById("county-name").textContent =
      c ? c.name + ", " + c.state_name : (p.dataset.shapeName || p.dataset.fips) + " (no data)";
    document.getElementById("county-activation").textContent = (c && c.activation) || "never (no date on record)";
    document.getElementById("county-submissions").textContent = fmtc(p.dataset.submissions);
    document.getElementById("county-matches").textContent = fmtc(p.dataset.matches);
    document.getElementById("county-per1000").textContent = p.dataset.per1000 === "" ? "–" : p.dataset.per1000;
    document.getElementById("county-panel").dataset.fips = p.dataset.fips;
  }

  // ---------------------------------------------------------------- charts (plain SVG)
  const W = 960, H = 240, M = { l: 56, r: 12, t: 12, b: 26 };
  function niceStep(v) {
    if (v <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v))), n = v / p;
    return Math.max(1, (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p);
  }
  function niceMax(v) { const step = niceStep(v / 4); return step * Math.max(1, Math.ceil(v / step)); }
  function frame(svg, months, ymax) {
    svg.innerHTML = "";
    const x = (i) => M.l + (i + 0.5) * (W - M.l - M.r) / months.length;
    const y = (v) => H - M.b - v * (H - M.t - M.b) / ymax;
    const ax = el("g", { class: "axis" }, svg);
    el("line", { x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b }, ax);
    const step = niceStep(ymax / 4);
    for (let v = 0; v <= ymax + 1e-9; v += step) {
      el("line", { x1: M.l - 4, x2: W - M.r, y1: y(v), y2: y(v), "stroke-opacity": 0.25 }, ax);
      const t = el("text", { x: M.l - 6, y: y(v) + 3, "text-anchor": "end" }, ax);
      t.textContent = fmt(Math.round(v));
    }
    months.forEach((m, i) => {
      if (m.endsWith("-01") || i === 0) {
        const t = el("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, ax);
        t.textContent = m.endsWith("-01") ? m.slice(0, 4) : m;
      }
    });
    return { x, y, band: (W - M.l - M.r) / months.length };
  }
  function legend(id, entries) {
    const box = document.getElementById(id);
    box.innerHTML = entries.map(([c, t]) => '<span><span class="sw" style="display:inline-block;width:12px;height:10px;background:' +
      c + '"></span> ' + t + "</span>").join("");
  }

  function drawSubmissions(series) {
    const svg = document.getElementById("chart-submissions");
    const months = series.map((r) => r.month);
    const ymax = niceMax(Math.max(1, ...series.map((r) => r.submissions || 0)));
    const { x, y } = frame(svg, months, ymax);
    const lines = [["submissions", "#1d4e89", "submissions"], ["ident_matches", "#d94801", "IDENT matches"]];
    for (const [key, c] of lines) {
      const g = el("g", { class: "series", "data-series": key }, svg);
      el("polyline", { fill: "none", stroke: c, "stroke-width": 1.6,   // suppressed months: no point
                       points: series.map((r, i) => r[key] === null ? null : x(i).toFixed(1) + "," + y(r[key]).toFixed(1))
                         .filter((pt) => pt !== null).join(" ") }, g);
      series.forEach((r, i) => {
        if (r[key] === null) return;
        const pt = el("circle", { cx: x(i), cy: y(r[key]), r: 2.2, fill: c, "data-series": key,
                                  "data-month": r.month, "data-value": r[key] }, g);
        el("title", {}, pt).textContent = r.month + ": " + fmt(r[key]) + " " + key.replace("_", " ");
      });
    }
    legend("legend-submissions", lines.map(([, c, t]) => [c, t]));
    svg.dataset.points = series.length;
  }

  function drawRemovals(series, levels) {
    const svg = document.getElementById("chart-removals");
    const months = series.map((r) => r.month);
    const totals = series.map((r) => levels.reduce((s, lv) => s + (r.removed[lv] || 0), 0));
    const ymax = niceMax(Math.max(1, ...totals));
    const { x, y, band } = frame(svg, months, ymax);
    const g = el("g", { class: "bars" }, svg);
    series.forEach((r, i) => {
      let base = 0;
      for (const lv of levels) {
        if (r.removed[lv] === null) continue;   // suppressed
        const v = r.removed[lv];
        const rect = el("rect", { x: (x(i) - band * 0.4).toFixed(1), width: (band * 0.8).toFixed(1),
                                  y: y(base + v).toFixed(1), height: (y(base) - y(base + v)).toFixed(1),
                                  fill: LEVEL_COLOURS[lv], "data-level": lv, "data-month": r.month, "data-value": v }, g);
        el("title", {}, rect).textContent = r.month + ": " + fmt(v) + " removed, level " + lv;
        base += v;
      }
    });
    legend("legend-removals", levels.map((lv) => [LEVEL_COLOURS[lv], lv === "non-criminal" ? "non-criminal" : "Level " + lv]));
  }

  function drawCursor(month) {
    for (const id of ["chart-submissions", "chart-removals"]) {
      const svg = document.getElementById(id);
      const old = svg.querySelector(".cursor");
      if (old) old.remove();
      const i = data.months.indexOf(month);
      if (i < 0) continue;
      const xx = M.l + (i + 0.5) * (W - M.l - M.r) / data.months.length;
      el("line", { class: "cursor", x1: xx, x2: xx, y1: M.t, y2: H - M.b, "data-month": month }, svg);
    }
  }

  const UNITS = { percent: "%", seconds: " s", "per 1,000": " per 1,000", count: "" };
  function figureValue(f) {
    if (f.value_suppressed) return "suppressed (small count)";
    if (f.value === null || f.value === undefined) return "–";
    const u = f.unit in UNITS ? UNITS[f.unit] : (f.unit ? " " + f.unit : "");
    return (typeof f.value === "number" ? fmt(f.value) : String(f.value)) + u;
  }
  function drawOversight(section) {
    const body = document.querySelector("#oversight tbody");
    body.innerHTML = "";
    for (const f of section.figures) {
      const tr = document.createElement("tr");
      tr.dataset.id = f.id;
      const def = (f.definition || "") + (f.note ? " " + f.note : "");
      [f.title || f.id, figureValue(f), def].forEach((t, i) => {
        const td = document.createElement("td");
        td.textContent = t;
        if (i === 1) td.dataset.value = f.value === null || f.value === undefined ? "" : f.value;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
  }

  // ---------------------------------------------------------------- data flow
  function apply(d) {
    const first = data === null;
    if (!first) d.counties = data.counties;   // asked for once, with the first load
    data = d;
    if (first) {
      bindCounties();
      const slider = document.getElementById("month-slider");
      slider.max = d.months.length - 1;
      drawSubmissions(d.series);
      drawRemovals(d.series, d.levels);
      slider.value = d.months.indexOf(d.month);   // later, the slider leads and data follows
    }
    document.getElementById("month-label").textContent = d.month;
    for (const p of paths) {
      const s = d.county_stats[p.dataset.county];
      p.dataset.submissions = s ? (s.submissions === null ? "" : s.submissions) : 0;
      p.dataset.matches = s ? (s.matches === null ? "" : s.matches) : 0;
      p.dataset.per1000 = s && s.per_1000 !== null ? s.per_1000 : "";
      p.dataset.suppressed = s && (s.submissions === null || s.matches === null) ? "1" : "0";
    }
    paintMap(d.month);
    drawCursor(d.month);
    drawOversight(d.oversight);
    const n = d.national, sum = document.getElementById("summary");
    sum.innerHTML = "";
    for (const [key, text] of [["activated", fmt(d.activated_count) + " counties activated by " + d.month],
                               ["submissions", fmtc(n.submissions) + " submissions"],
                               ["matches", fmtc(n.ident_matches) + " IDENT matches"],
                               ["per1000", (n.per_1000 === null ? "–" : n.per_1000) + " per 1,000"],
                               ["removed", fmtc(n.removed) + " removed or returned"]]) {
      const s = document.createElement("span");
      s.id = "summary-" + key;
      s.textContent = text;
      sum.appendChild(s);
    }
    document.getElementById("summary-activated").dataset.value = d.activated_count;
    const panel = document.getElementById("county-panel");
    const sel = panel.dataset.fips && document.querySelector('path.county[data-fips="' + panel.dataset.fips + '"]');
    if (sel) showCounty(sel);
    const map = document.getElementById("map");
    map.dataset.month = d.month;     // set last: the page is drawn for this month
    map.dataset.mode = mode;
    map.dataset.ready = "1";
  }

  function load(month) {
    const my = ++seq;
    document.getElementById("map").dataset.ready = "0";
    const q = new URLSearchParams(month ? { counties: "false", month: month } : {});
    if (INTERNAL) q.set("public", "false");
    return fetch("/api/dashboard" + (q.toString() ? "?" + q : ""))
      .then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then((d) => { if (my === seq) apply(d); })
      .catch((e) => { document.getElementById("summary").textContent = "Could not load the dashboard data: " + e; });
  }

  function init() {
    const slider = document.getElementById("month-slider");
    slider.addEventListener("input", () => {
      if (!data) return;
      const m = data.months[Number(slider.value)];
      document.getElementById("month-label").textContent = m;
      paintMap(m);                 // activation colours at once; figures after the fetch
      seq += 1;                    // drop answers still in flight for earlier months
      document.getElementById("map").dataset.ready = "0";
      clearTimeout(timer);
      timer = setTimeout(() => load(m), 150);
    });
    for (const r of document.querySelectorAll('input[name="mode"]')) {
      r.addEventListener("change", () => {
        mode = r.value;
        if (data) { paintMap(data.month); document.getElementById("map").dataset.mode = mode; }
      });
    }
    fetch("/static/vendor/counties-albers-10m.json")
      .then((r) => r.json())
      .then((topo) => { drawMap(topo); return load(null); })
      .catch((e) => { document.getElementById("summary").textContent = "Could not load the map: " + e; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
