// The cairn console: reads /api/v1 (docs/api.md) and renders it; no dependencies.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
                                      : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function time(ms) { return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + "Z" : "-"; }

function say(text, kind) {
  const m = $("message");
  m.textContent = text;
  m.className = kind;
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch("/api/v1/" + path, options);
  const data = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function card(label, value, id) {
  return el("div", { class: "card", id: "card-" + id },
            el("div", { class: "label", text: label }), el("div", { class: "value", text: value }));
}

function renderStatus(s, archiver, levels) {
  $("cluster-id").textContent = "cluster " + s.cluster_id;
  $("clock").textContent = "as of " + (s.now || "");
  const cards = [
    card("committed", s.committed_time || "-", "committed"),
    card("committed epoch", String(s.committed_epoch), "epoch"),
    card("changelog seq", String(s.changelog_seq), "seq"),
    card("SSTs", levels.sst_count + " (" + bytes(levels.bytes) + ")", "ssts"),
    card("auth", s.auth ? "on" : "off", "auth"),
    card("gRPC", s.grpc_address, "grpc"),
  ];
  if (archiver.configured) {
    cards.push(card("archive lag", archiver.lag_records + " records", "lag"));
    cards.push(card("RPO (upper bound)", archiver.rpo_seconds.toFixed(1) + " s", "rpo"));
    cards.push(card("archive failures", String(archiver.failures), "failures"));
  }
  // Clones (docs/clones.md): the live ones registered here, and what this one is a clone of.
  const clones = s.clones || [];
  if (clones.length) {
    cards.push(card("live clones", clones.map((c) => c.clone_id.slice(0, 8) + " (" + c.from + ")")
                                         .join(", "), "clones"));
  }
  if (s.clone_of) {
    cards.push(card("clone of", s.clone_of + (s.clone_detached ? " (detached)" : ""), "clone-of"));
  }
  $("cards").replaceChildren(...cards);
}

function renderLevels(levels) {
  const max = Math.max(1, ...levels.levels.map((l) => l.bytes));
  $("levels").tBodies[0].replaceChildren(...levels.levels.map((l) =>
    el("tr", { class: "level-row", "data-level": l.level },
       el("td", { text: "L" + l.level }), el("td", { class: "num", text: l.sst_count }),
       el("td", { class: "num", text: bytes(l.bytes) }),
       el("td", {}, el("div", { class: "bar", style: "width:" + (100 * l.bytes / max) + "%" })))));
}

function renderTables(tables) {
  $("tables").tBodies[0].replaceChildren(...tables.tables.map((t) =>
    el("tr", { class: "table-row" }, el("td", { text: t.id }), el("td", { text: t.name }),
       el("td", { text: t.created_epoch }))));
}

function verifyCell(v) {
  if (!v) return el("td", { class: "muted verify", text: "not verified" });
  return el("td", { class: "verify " + (v.ok ? "ok" : "bad"), title: v.error || "",
                    text: (v.ok ? "ok" : "failed") + (v.deep ? " (deep)" : "") + ", " + v.at });
}

async function action(button, work) {
  button.disabled = true;
  try { await work(); } catch (e) { say("error: " + e.message, "error"); }
  button.disabled = false;
  await refresh();
}

function renderBackups(list) {
  $("backup-storage").textContent = "backup storage: " + list.backup_storage;
  const rows = list.backups.slice().reverse().map((b) => {
    const verify = el("button", { class: "secondary verify-backup", type: "button", text: "Verify" });
    verify.onclick = () => action(verify, async () => {
      const r = await api("POST", "backups/" + b.id + "/verify", {});
      say(r.ok ? "backup " + b.id + " verified" : "backup " + b.id + ": " + r.error,
          r.ok ? "info" : "error");
    });
    const del = el("button", { class: "danger delete-backup", type: "button", text: "Delete" });
    del.onclick = () => {
      if (!confirm("Delete backup " + b.id + "?")) return;
      action(del, async () => { await api("DELETE", "backups/" + b.id); say("backup " + b.id + " deleted", "info"); });
    };
    return el("tr", { class: "backup-row", "data-id": b.id },
              el("td", { text: b.id }), el("td", { text: b.created }),
              el("td", { class: "num", text: b.timeline }), el("td", { class: "num", text: b.sst_count }),
              el("td", { class: "num", text: bytes(b.sst_bytes) }), el("td", { text: b.remarks }),
              verifyCell(b.verify), el("td", {}, verify, " ", del));
  });
  $("backups").tBodies[0].replaceChildren(...rows);
}

// One lane per timeline: its recoverable range as a bar, its backups as marks, and a
// dashed connector from the parent lane at the branch point.
function renderTimeline(data, backups) {
  const svg = $("timeline");
  const lanes = data.timelines;
  const byId = new Map(backups.map((b) => [b.id, b]));
  const laneH = 34, left = 110, right = 20, top = 10, axisH = 24;
  const width = Math.max(600, svg.clientWidth || 900);
  const height = top + lanes.length * laneH + axisH;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("height", height);
  const times = [data.now_ms];
  for (const t of lanes) {
    if (t.recoverable) times.push(t.from_ms, t.to_ms);
    if (t.branch_ms) times.push(t.branch_ms);
    for (const id of t.backups) if (byId.has(id)) times.push(byId.get(id).created_ms);
  }
  let t0 = Math.min(...times), t1 = Math.max(...times);
  const pad = Math.max(1000, (t1 - t0) * 0.05);
  t0 -= pad; t1 += pad;
  const x = (ms) => left + (width - left - right) * (ms - t0) / (t1 - t0);
  const laneY = new Map(lanes.map((t, i) => [t.timeline, top + i * laneH + laneH / 2]));
  const nodes = [];
  const axisY = top + lanes.length * laneH;
  const axis = el("svg:g", { class: "axis" });
  for (let i = 0; i <= 4; i++) {
    const ms = t0 + (t1 - t0) * i / 4;
    axis.append(el("svg:line", { x1: x(ms), x2: x(ms), y1: top, y2: axisY }),
                el("svg:text", { x: x(ms), y: axisY + 16,
                                 "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle",
                                 text: new Date(ms).toISOString().slice(11, 19) }));
  }
  nodes.push(axis);
  for (const t of lanes) {
    const y = laneY.get(t.timeline);
    const g = el("svg:g", { class: "timeline-lane", "data-timeline": t.timeline });
    g.append(el("svg:text", { class: "lane-label", x: 8, y: y + 4, text: "timeline " + t.timeline }),
             el("svg:line", { class: "lane", x1: left, x2: width - right, y1: y, y2: y }));
    if (t.recoverable) {
      g.append(el("svg:rect", { class: "range" + (t.clamped_by_retention ? " clamped" : ""),
                                x: x(t.from_ms), y: y - 7, height: 14, rx: 3,
                                width: Math.max(2, x(t.to_ms) - x(t.from_ms)) },
                  el("svg:title", { text: `recoverable ${t.from} .. ${t.to}` })));
    }
    if (t.parent && laneY.has(t.parent)) {
      const py = laneY.get(t.parent), bx = x(t.branch_ms);
      g.append(el("svg:path", { class: "branch", d: `M ${bx} ${py} L ${bx} ${y}` }),
               el("svg:circle", { class: "branch-point", "data-timeline": t.timeline, cx: bx, cy: py, r: 4 },
                  el("svg:title", { text: `timeline ${t.timeline} branched from ${t.parent} at ${t.branch_time} (${t.restore})` })));
    }
    for (const id of t.backups) {
      const b = byId.get(id);
      if (!b) continue;
      const cx = x(b.created_ms);
      g.append(el("svg:path", { class: "backup-mark", "data-id": id,
                                d: `M ${cx} ${y - 9} L ${cx + 6} ${y} L ${cx} ${y + 9} L ${cx - 6} ${y} Z` },
                  el("svg:title", { text: `backup ${id} at ${b.created}${b.remarks ? ": " + b.remarks : ""}` })));
    }
    nodes.push(g);
  }
  nodes.push(el("svg:line", { class: "now", x1: x(data.now_ms), x2: x(data.now_ms), y1: top, y2: axisY }));
  svg.replaceChildren(...nodes);
  const newest = lanes.find((t) => t.timeline === data.newest_timeline);
  $("pitr-summary").textContent = !newest ? "no backups yet: nothing to recover from"
    : newest.recoverable ? `restorable on timeline ${newest.timeline}: ${newest.from} .. ${newest.to}`
                         : `timeline ${newest.timeline}: only the backups themselves are restorable`;
}

function renderVacuum(v) {
  const last = v.last_run;
  const lines = [el("div", { text: "objects deleted since start: " + v.deleted_total }),
                 el("div", { text: "vacuum_min_age: " + v.vacuum_min_age })];
  if (last) {
    lines.push(el("div", { id: "vacuum-last", class: last.ok ? "ok" : "bad",
      text: "last run " + last.at + ": " + (last.ok ? last.report.deleted + " deleted (" +
            bytes(last.report.deleted_bytes) + "), " + last.report.kept_by_gate + " kept by the gate"
            : last.error) }));
  }
  $("vacuum-stats").replaceChildren(...lines);
}

function keepText(s) {
  const rules = [["keep_last", "last"], ["keep_hourly", "hourly"], ["keep_daily", "daily"],
                 ["keep_weekly", "weekly"]].filter(([k]) => s[k] > 0).map(([k, n]) => n + " " + s[k]);
  return rules.length ? "keep " + rules.join(", ") : "keeps all its backups";
}

function scheduleRunText(r) {
  if (!r.ok) return "last run " + r.started + ": failed: " + r.error;
  return "last run " + r.started + ": ok" + (r.backup_id ? ", backup " + r.backup_id : "") +
         (r.expired.length ? ", expired " + r.expired.join(" ") : "") + " (" + r.duration_ms + " ms)";
}

// The stored schedule (or "no schedule") and the scheduler's runs since the server started.
function renderSchedule(s) {
  const lines = [];
  if (!s.schedule) {
    lines.push(el("div", { id: "schedule-policy", class: "muted", text: "no schedule" }));
  } else {
    lines.push(el("div", { id: "schedule-policy",
                           text: "every " + s.schedule.every + ", " + keepText(s.schedule) +
                                 " (set " + s.schedule.set + ")" }));
    lines.push(el("div", { id: "schedule-next", text: "next due: " + (s.next_due || "-") }));
  }
  if (s.last_run) {
    lines.push(el("div", { id: "schedule-last", class: s.last_run.ok ? "ok" : "bad",
                           text: scheduleRunText(s.last_run) }));
  }
  if (s.schedule || s.runs) {
    lines.push(el("div", { id: "schedule-counts",
                           text: "last success: " + (s.last_success || "-") + "; runs " + s.runs +
                                 ", failures " + s.failures }));
  }
  $("schedule").replaceChildren(...lines);
}

async function refresh() {
  try {
    const [status, levels, tables, archiver, vacuum] = await Promise.all(
      ["status", "levels", "tables", "archiver", "vacuum"].map((p) => api("GET", p)));
    renderStatus(status, archiver, levels);
    renderLevels(levels);
    renderTables(tables);
    renderVacuum(vacuum);
    if (status.backup_storage) {
      const [backups, timelines, schedule] = await Promise.all(
        [api("GET", "backups"), api("GET", "timelines"), api("GET", "schedule")]);
      renderBackups(backups);
      renderTimeline(timelines, backups.backups);
      renderSchedule(schedule);
    }
    document.body.dataset.loaded = String(Date.now());
  } catch (e) {
    say("error: " + e.message, "error");
  }
}

$("create-form").addEventListener("submit", (event) => {
  event.preventDefault();
  action($("create-backup"), async () => {
    const b = await api("POST", "backups", { remarks: $("remarks").value });
    $("remarks").value = "";
    say("backup " + b.id + " created", "info");
  });
});
$("vacuum").addEventListener("click", () => action($("vacuum"), async () => {
  const r = await api("POST", "vacuum", {});
  say("vacuum: " + r.report.deleted + " objects deleted", "info");
}));

refresh();
setInterval(refresh, 5000);
