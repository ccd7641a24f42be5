// Browser test of the web console (docs/api.md): a real `cairn server` with auth on,
// data, backups and a restore (so two timelines and a branch point) made through the
// CLI; Debian's chromium, headless, driven by playwright-core, loads the console and
// checks the rendered DOM, creates and verifies a backup from the page and sees the
// result through `cairn backup list`, and saves a screenshot.
//
// node console_test.js CAIRN_BINARY OUT_DIR
"use strict";

const assert = require("assert");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn, execFileSync } = require("child_process");
const { chromium } = require(path.join(__dirname, "../../tools/node_modules/playwright-core"));

const [cairn, outDir] = process.argv.slice(2);
const CHROMIUM = process.env.CAIRN_CHROMIUM || "/usr/bin/chromium";
const TOKEN = "console-t0ken-" + process.pid;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-console-"));
const data = path.join(dir, "data");
const tokenFile = path.join(dir, "token");
fs.writeFileSync(tokenFile, TOKEN + "\n", { mode: 0o600 });
let server = null;

function cli(args, addr) {
  const env = { ...process.env, CAIRN_AUTH_TOKEN_FILE: tokenFile, CAIRN_ADDR: addr || "" };
  return execFileSync(cairn, addr ? [...args, "--addr", addr] : args,
                      { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

// Starts `cairn server` on free ports; resolves {grpc, http} from its stdout.
function startServer() {
  return new Promise((resolve, reject) => {
    const proc = spawn(cairn, ["server", "--data-dir", data, "--listen", "127.0.0.1:0",
                               "--http-listen", "127.0.0.1:0", "--auth-token-file", tokenFile],
                       { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const grpc = out.match(/listening on (\S+)\n/), http = out.match(/console on http:\/\/(\S+)\/\n/);
      if (grpc && http) resolve({ proc, grpc: grpc[1], http: http[1] });
    });
    proc.stderr.on("data", (d) => { err += d; });
    proc.on("exit", (code) => reject(new Error("cairn server exited " + code + ": " + err)));
  });
}

function stopServer(s) {
  return new Promise((resolve) => {
    s.proc.removeAllListeners("exit");
    s.proc.on("exit", resolve);
    s.proc.kill("SIGTERM");
  });
}

function backupList(addr) { return JSON.parse(cli(["backup", "list", "--json"], addr)).backups; }

async function main() {
  assert(fs.existsSync(CHROMIUM), "chromium not found at " + CHROMIUM + " (scripts/install-deps.sh)");
  // Timeline 1: data and two backups; then the meta store is lost and restored, which
  // starts timeline 2 (branching from 1); one more backup there.
  server = await startServer();
  // A PITR window (the default retention 0 keeps none); in force after the restore below.
  cli(["param", "set", "pitr_retention", "1d"], server.grpc);
  cli(["table", "create", "orders"], server.grpc);
  for (let i = 0; i < 20; i++) cli(["put", "orders", "k" + i, "v" + i], server.grpc);
  cli(["flush"], server.grpc);
  cli(["backup", "create", "--remarks", "first"], server.grpc);
  cli(["put", "orders", "late", "x"], server.grpc);
  cli(["flush"], server.grpc);
  cli(["backup", "create", "--remarks", "second"], server.grpc);
  await stopServer(server);
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(path.join(data, "meta.db" + suffix), { force: true });
  cli(["restore", "--backup-storage", "fs://" + path.join(data, "backup"),
       "--meta-store", "sqlite://" + path.join(data, "meta.db"),
       "--object-store", "fs://" + path.join(data, "data"), "--to-time", "latest"]);
  server = await startServer();
  cli(["backup", "create", "--remarks", "after restore"], server.grpc);
  const backups = backupList(server.grpc);
  assert.strictEqual(backups.length, 3);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    // Without credentials the console is refused.
    const anonymous = await browser.newContext();
    const denied = await anonymous.request.get("http://" + server.http + "/");
    assert.strictEqual(denied.status(), 401);
    assert.match(denied.headers()["www-authenticate"], /^Basic /);
    await anonymous.close();

    const context = await browser.newContext({
      httpCredentials: { username: "admin", password: TOKEN }, viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto("http://" + server.http + "/");
    await page.waitForSelector("tr.backup-row");
    assert.strictEqual(await page.textContent("#schedule-policy"), "no schedule");

    // Backup rows: one per backup, newest first, with remarks and timeline.
    const rows = await page.$$eval("tr.backup-row", (trs) => trs.map((tr) =>
      ({ id: Number(tr.dataset.id), cells: [...tr.cells].map((c) => c.textContent) })));
    assert.deepStrictEqual(rows.map((r) => r.id), backups.map((b) => b.id).reverse());
    for (const b of backups) {
      const row = rows.find((r) => r.id === b.id);
      assert.strictEqual(row.cells[2], String(b.timeline));
      assert.strictEqual(row.cells[5], b.remarks);
      assert.strictEqual(row.cells[3], String(b.sst_count));
    }
    // The timeline: two lanes, a recoverable range, a mark per backup on its lane, and
    // the branch point of timeline 2.
    const lanes = await page.$$eval("g.timeline-lane", (gs) => gs.map((g) => ({
      timeline: Number(g.dataset.timeline),
      marks: [...g.querySelectorAll(".backup-mark")].map((m) => Number(m.dataset.id)),
      ranges: g.querySelectorAll("rect.range").length,
      branch: g.querySelectorAll(".branch-point").length })));
    assert.deepStrictEqual(lanes.map((l) => l.timeline), [1, 2]);
    for (const lane of lanes) {
      assert.deepStrictEqual(lane.marks.sort(),
                             backups.filter((b) => b.timeline === lane.timeline).map((b) => b.id).sort());
    }
    assert(lanes[0].ranges >= 1 && lanes[1].ranges >= 1, JSON.stringify(lanes));
    assert.strictEqual(lanes[1].branch, 1);
    assert.strictEqual(lanes[0].branch, 0);
    // Levels and tables.
    assert((await page.$$("tr.level-row")).length >= 1);
    assert.deepStrictEqual(await page.$$eval("tr.table-row td:nth-child(2)", (tds) => tds.map((t) => t.textContent)),
                           ["orders"]);

    // Actions: create a backup from the console; it is listed on the page and by the CLI.
    await page.fill("#remarks", "from the console");
    await page.click("#create-backup");
    await page.waitForFunction(() => document.querySelectorAll("tr.backup-row").length === 4);
    const after = backupList(server.grpc);
    const made = after.find((b) => b.remarks === "from the console");
    assert(made, JSON.stringify(after));
    assert.strictEqual(await page.textContent(`tr.backup-row[data-id="${made.id}"] td:nth-child(6)`),
                       "from the console");
    await page.waitForSelector(`#timeline .backup-mark[data-id="${made.id}"]`);
    // Verify it from the console: the row's verify state turns ok.
    await page.click(`tr.backup-row[data-id="${made.id}"] button.verify-backup`);
    await page.waitForFunction((id) => {
      const cell = document.querySelector(`tr.backup-row[data-id="${id}"] td.verify`);
      return cell && cell.classList.contains("ok");
    }, made.id);
    // The backup schedule: set by the CLI; once a scheduled backup was taken, the
    // section shows the policy and that run.
    cli(["backup", "schedule", "set", "--every", "1s", "--keep-last", "2"], server.grpc);
    let schedule = null;
    for (let i = 0; i < 300 && !(schedule && schedule.last_success); i++) {
      schedule = await (await context.request.get("http://" + server.http + "/api/v1/schedule")).json();
      if (!schedule.last_success) await new Promise((r) => setTimeout(r, 100));
    }
    assert(schedule.last_success && schedule.last_run.ok, JSON.stringify(schedule));
    await page.reload();
    await page.waitForSelector("#schedule-last");
    assert.match(await page.textContent("#schedule-policy"), /^every 1s, keep last 2 \(set \S+Z\)$/);
    assert.match(await page.textContent("#schedule-last"), /^last run \S+Z: ok, backup \d+/);
    assert.match(await page.textContent("#schedule-counts"), /^last success: \S+Z; runs \d+, failures 0$/);
    assert.deepStrictEqual(errors, []);
    fs.mkdirSync(outDir, { recursive: true });
    const shot = path.join(outDir, "console.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log("screenshot: " + shot);
  } finally {
    await browser.close();
  }
  await stopServer(server);
  server = null;
}

main().then(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  console.log("ok");
}, (e) => {
  console.error("FAILED: " + (e.stack || e));
  if (server) server.proc.kill("SIGKILL");
  process.exit(1);
});
