// AWARE dashboard: one page, live over Server-Sent Events, no build step.
"use strict";

const ROLE_COLOURS = ["#4c9be8", "#57ab5a", "#c678dd", "#e5534b", "#d19a66", "#56b6c2",
                      "#e06c75", "#98c379", "#61afef", "#be5046"];
const FADE_S = 30;          // a lost node fades out over this long
const HISTORY_S = 180;      // pheromone chart window
const $ = (id) => document.getElementById(id);

const state = {
  view: null,               // latest colony snapshot
  lost: new Map(),          // id -> {node, since}
  roleColour: new Map(),
  history: new Map(),       // id -> [[t, level], ...]
  lastQueenLoss: null,
  editorTouched: false,
};

function colourFor(role) {
  if (!role) return "#5c6773";
  if (!state.roleColour.has(role)) {
    state.roleColour.set(role, ROLE_COLOURS[state.roleColour.size % ROLE_COLOURS.length]);
  }
  return state.roleColour.get(role);
}

function svg(tag, attrs, parent) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}

function fmtTime(t) {
  return new Date(t * 1000).toLocaleTimeString([], {hour12: false});
}

// ------------------------------------------------------------------ rendering

function renderHeader(v) {
  $("colony").textContent = v.colony;
  $("queen").textContent = v.queen || "(none)";
  $("term").textContent = v.term;
  $("count").textContent = v.nodes.length;
  $("self").textContent = v.node;
  $("open").hidden = !v.open_mode;
}

function renderGraph(v) {
  const g = $("graph");
  g.replaceChildren();
  const now = Date.now() / 1000;
  const live = new Set(v.nodes.map((n) => n.id));
  for (const [id, rec] of state.lost) {
    if (live.has(id) || now - rec.since > FADE_S) state.lost.delete(id);
  }
  const queen = v.nodes.find((n) => n.id === v.queen);
  const others = v.nodes.filter((n) => n.id !== v.queen)
    .concat([...state.lost.values()].map((r) => ({...r.node, lostSince: r.since})))
    .sort((a, b) => a.id.localeCompare(b.id));
  const radius = Math.min(190, 70 + others.length * 9);
  const pos = new Map();
  if (queen) pos.set(queen.id, [0, 0]);
  others.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(others.length, 1) - Math.PI / 2;
    pos.set(n.id, [radius * Math.cos(a), radius * Math.sin(a)]);
  });
  if (queen) {
    for (const n of others) {
      const [x, y] = pos.get(n.id);
      svg("line", {class: "edge", x1: 0, y1: 0, x2: x, y2: y}, g);
    }
  }
  for (const n of (queen ? [queen] : []).concat(others)) {
    const [x, y] = pos.get(n.id);
    const isQueen = n.id === v.queen;
    const grp = svg("g", {class: "node" + (isQueen ? " queen" : ""), "data-node": n.id,
                          "data-role": n.role || "", transform: `translate(${x},${y})`}, g);
    if (n.lostSince) grp.setAttribute("opacity", Math.max(0.08, 1 - (now - n.lostSince) / FADE_S));
    svg("circle", {r: isQueen ? 26 : 16, fill: isQueen ? "#f2c14e" : colourFor(n.role)}, grp);
    const label = svg("text", {y: isQueen ? 42 : 30, "text-anchor": "middle"}, grp);
    label.textContent = n.id + (n.lostSince ? " (lost)" : "");
    const title = svg("title", {}, grp);
    title.textContent = `${n.id}: ${n.state}${n.role ? ", " + n.role : ""}, seen ${n.last_seen_s}s ago`;
  }
  const legend = $("legend");
  legend.replaceChildren();
  const roles = [...new Set(v.nodes.map((n) => n.role).filter(Boolean))].sort();
  for (const r of ["queen", ...roles, "idle"]) {
    const span = document.createElement("span");
    const dot = document.createElement("i");
    dot.style.background = r === "queen" ? "#f2c14e" : r === "idle" ? colourFor(null) : colourFor(r);
    span.append(dot, r);
    legend.append(span);
  }
}

function renderRoles(v) {
  const body = $("roles").querySelector("tbody");
  body.replaceChildren();
  const spec = v.spec;
  $("specname").textContent = spec ? `${spec.name} v${spec.version}` : "(no spec yet)";
  if (!spec) return;
  for (const r of spec.roles) {
    const tr = document.createElement("tr");
    tr.dataset.role = r.name;
    const pct = r.want ? Math.min(100, (100 * r.have) / r.want) : 100;
    tr.innerHTML = `<td><i style="display:inline-block;width:9px;height:9px;border-radius:50%;` +
      `background:${colourFor(r.name)};margin-right:6px"></i>${r.name}</td><td>${r.want}</td>` +
      `<td class="${r.have < r.want ? "short" : ""}">${r.have}</td>` +
      `<td><div class="bar"><div style="width:${pct}%"></div></div></td>` +
      `<td>${r.nodes.join(", ") || "-"}</td>`;
    body.append(tr);
  }
  if (!state.editorTouched) $("spec").value = JSON.stringify(spec.spec, null, 2);
}

function levelOf(n, v) {
  // the sensed pheromone: halves per beat interval of silence (the queen's per 0.1 s)
  const halfLife = n.id === v.queen ? 0.1 : Math.max(n.interval || 1, 0.1);
  return Math.pow(2, -n.last_seen_s / halfLife);
}

function sampleHistory(v) {
  const now = Date.now() / 1000;
  for (const n of v.nodes) {
    if (n.self) continue;
    if (!state.history.has(n.id)) state.history.set(n.id, []);
    state.history.get(n.id).push([now, levelOf(n, v)]);
  }
  for (const [id, pts] of state.history) {
    while (pts.length && now - pts[0][0] > HISTORY_S) pts.shift();
    if (!pts.length) state.history.delete(id);
  }
}

function renderChart(v) {
  const c = $("chart");
  c.replaceChildren();
  const now = Date.now() / 1000;
  for (const y of [0.125]) {
    svg("line", {x1: 0, x2: 600, y1: 175 - y * 165, y2: 175 - y * 165,
                 stroke: "#e5534b", "stroke-dasharray": "4 4", "stroke-width": 1}, c);
  }
  for (const [id, pts] of state.history) {
    if (pts.length < 2) continue;
    const d = pts.map(([t, l], i) =>
      `${i ? "L" : "M"}${(600 * (1 - (now - t) / HISTORY_S)).toFixed(1)},${(175 - l * 165).toFixed(1)}`
    ).join(" ");
    const node = v.nodes.find((n) => n.id === id);
    const colour = id === v.queen ? "#f2c14e" : colourFor(node ? node.role : null);
    const path = svg("path", {d, fill: "none", stroke: colour, "stroke-width": 1.4,
                              opacity: node ? 0.9 : 0.3}, c);
    svg("title", {}, path).textContent = id;
  }
}

function addEvent(text, cls, t) {
  const li = document.createElement("li");
  if (cls) li.className = cls;
  const time = document.createElement("time");
  time.textContent = fmtTime(t || Date.now() / 1000);
  li.append(time, text);
  const list = $("events");
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

function onAction(e) {
  switch (e.event) {
    case "QueenChanged":
      if (e.queen === null || e.queen === undefined) {
        state.lastQueenLoss = e.t;
        addEvent("queen lost: no queen pheromone sensed", "", e.t);
      } else if (state.lastQueenLoss !== null) {
        const ms = Math.round((e.t - state.lastQueenLoss) * 1000);
        addEvent(`failover: ${e.queen} rules (term ${e.term}), ${ms} ms after the old queen's ` +
                 "pheromone faded here (fading takes 3 missed beats)", "failover", e.t);
        state.lastQueenLoss = null;
      } else {
        addEvent(`queen is ${e.queen} (term ${e.term})`, "", e.t);
      }
      break;
    case "PeerJoined": addEvent(`${e.peer} joined`, "", e.t); break;
    case "PeerLost": addEvent(`${e.peer} lost (${e.reason})`, "", e.t); break;
    case "TakeRole": addEvent(`this node took ${e.role}`, "", e.t); break;
    case "LeaveRole": addEvent(`this node left ${e.role} (${e.reason})`, "", e.t); break;
    case "AdoptSpec": addEvent(`spec v${e.version} adopted`, "", e.t); break;
    case "BecomeQueen": addEvent(`this node rules, term ${e.term}`, "failover", e.t); break;
    case "Abdicate": addEvent(`this node stepped down (${e.reason})`, "", e.t); break;
    default: break;
  }
}

function onSnapshot(v) {
  if (state.view) {
    const now = Date.now() / 1000;
    const ids = new Set(v.nodes.map((n) => n.id));
    for (const n of state.view.nodes) {
      if (!ids.has(n.id) && !state.lost.has(n.id)) state.lost.set(n.id, {node: n, since: now});
    }
  }
  state.view = v;
  renderHeader(v);
  renderGraph(v);
  renderRoles(v);
  sampleHistory(v);
  renderChart(v);
}

// ------------------------------------------------------------------ live connection

function connect() {
  const es = new EventSource("/v1/events?snapshots=1");
  es.addEventListener("hello", (m) => { onSnapshot(JSON.parse(m.data)); });
  es.addEventListener("colony", (m) => { onSnapshot(JSON.parse(m.data)); });
  es.onmessage = (m) => onAction(JSON.parse(m.data));
  es.onopen = () => { $("conn").textContent = "live"; $("conn").className = "conn live"; };
  es.onerror = () => { $("conn").textContent = "reconnecting…"; $("conn").className = "conn"; };
}

// ------------------------------------------------------------------ spec editor

let checkTimer = null;
let checkSeq = 0;

async function checkSpec() {
  const mine = ++checkSeq;
  const res = await fetch("/v1/spec?dry_run=1", {method: "PUT", body: $("spec").value});
  const body = await res.json().catch(() => ({}));
  if (mine !== checkSeq) return res.ok;  // a newer edit or an apply has spoken since
  const out = $("check");
  if (res.ok) {
    out.className = "check good";
    out.textContent = `valid: ${body.roles} role(s), ${body.wanted} holder(s) wanted`;
  } else {
    out.className = "check bad";
    out.textContent = body.field ? `${body.field}: ${body.reason}` : (body.error || res.statusText);
  }
  return res.ok;
}

async function applySpec() {
  clearTimeout(checkTimer);
  checkSeq++;
  const token = $("token").value.trim();
  if (token) localStorage.setItem("aware-token", token);
  const res = await fetch("/v1/spec", {method: "PUT", body: $("spec").value,
                                       headers: {Authorization: `Bearer ${token}`}});
  const body = await res.json().catch(() => ({}));
  const out = $("check");
  if (res.ok) {
    out.className = "check good";
    out.textContent = `applied as version ${body.version}`;
    state.editorTouched = false;
  } else {
    out.className = "check bad";
    out.textContent = body.field ? `${body.field}: ${body.reason}` : (body.error || res.statusText);
  }
}

$("spec").addEventListener("input", () => {
  state.editorTouched = true;
  clearTimeout(checkTimer);
  checkTimer = setTimeout(checkSpec, 300);
});
$("apply").addEventListener("click", applySpec);
$("token").value = localStorage.getItem("aware-token") || "";
connect();
