// The web page's figures in Debian's chromium (run by bench/web.sh, which starts the engine
// and `uc serve`): (b) from a state change requested through the API to the dashboard's DOM
// showing it, CHANGES times (stop, start, ...), the DOM time taken in the page by a
// MutationObserver (performance.timeOrigin + now: the host's wall clock, like Date.now()
// here); (c) the renderer's CPU (../shared/bench/measure.py on its pid) with the dashboard
// idle, then with the logs page receiving the `flood` service's lines. Prints one line a figure.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const { chromium } = createRequire(new URL('../web/package.json', import.meta.url))('playwright-core');
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const BASE = env('UC_URL');
const WS = env('UC_WORKSPACE');
const TOKEN = env('UC_TOKEN');
const SERVICE = env('UC_SERVICE');
const BIN = env('UC_BIN');
const FILE = env('UC_FILE');
const MEASURE = env('MEASURE');
const CHANGES = Number(process.env.CHANGES ?? 100);
const WINDOW_S = Number(process.env.WINDOW_S ?? 60);

const uc = (...args) => execFileSync(BIN, ['-f', FILE, ...args], { cwd: dirname(FILE), stdio: 'ignore' });

/** The renderers among this process's descendants (`--type=renderer`), the browser UI's
 * own (`--top-chrome-webui`) left out: what runs the page. */
function renderers() {
  const parent = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const descends = (pid) => pid === process.pid || (parent.has(pid) && pid > 1 && descends(parent.get(pid)));
  return [...parent.keys()].filter((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmd.includes('--type=renderer') && !cmd.includes('--top-chrome-webui') && descends(pid);
    } catch {
      return false;
    }
  });
}

/** measure.py over the renderers: CPU % of one core, summed. */
async function rendererCpu(label) {
  const [root, ...extra] = renderers();
  const { stdout } = await promisify(execFile)('python3', [MEASURE, label, String(root), '3', String(WINDOW_S), ...extra.map(String)], {
    env: { ...process.env, NOTREE: '1' },
  });
  const r = JSON.parse(stdout);
  return { cpu_pct: r.tree.cpu_pct + (r.extra?.cpu_pct ?? 0), pss_mib: r.tree.pss_mib + (r.extra?.pss_mib ?? 0), renderers: 1 + extra.length };
}

async function stateChanges(page) {
  await page.evaluate(({ ws, service }) => {
    const section = document.querySelector(`section[data-workspace="${ws}"]`);
    const cell = () => section.querySelector(`tr[data-service="${service}"] td.state`)?.textContent;
    window.seen = [];
    let last = cell();
    new MutationObserver(() => {
      const now = cell();
      if (now !== last) window.seen.push({ state: now, at: performance.timeOrigin + performance.now() });
      last = now;
    }).observe(section, { subtree: true, childList: true, characterData: true });
  }, { ws: WS, service: SERVICE });
  const latencies = [];
  for (let i = 0; i < CHANGES; i++) {
    const [verb, shown, settled] = i % 2 === 0 ? ['stop', ['stopping', 'stopped'], 'stopped'] : ['start', ['starting', 'running'], 'running'];
    await page.evaluate(() => (window.seen = []));
    const asked = Date.now();
    const answer = await fetch(`${BASE}/api/v1/workspaces/${WS}/services/${SERVICE}/${verb}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    if (!answer.ok) throw new Error(`${verb}: ${answer.status} ${await answer.text()}`);
    const first = await page.waitForFunction((shown) => window.seen.find((e) => shown.includes(e.state)), shown, { timeout: 10_000 });
    latencies.push((await first.jsonValue()).at - asked);
    await page.waitForFunction((settled) => window.seen.some((e) => e.state === settled), settled, { timeout: 10_000 });
  }
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
  return { n: latencies.length, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: latencies.at(-1) };
}

const received = (page) =>
  page.evaluate(() => {
    const number = (sel) => parseInt(document.querySelector(sel)?.textContent.replace(/,/g, '') ?? '0') || 0;
    return number('.log-status .held') + number('.log-status .dropped') + number('.log-status .skipped');
  });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${BASE}/`);
  await page.fill('#token', TOKEN);
  await page.click('button[type=submit]');
  await page.locator(`section[data-workspace="${WS}"] tr[data-service="${SERVICE}"] td.state`, { hasText: 'running' }).waitFor();

  const changes = await stateChanges(page);
  console.log(`(b) state change → DOM over ${changes.n} changes: p50 ${changes.p50_ms.toFixed(1)} ms, p99 ${changes.p99_ms.toFixed(1)} ms, max ${changes.max_ms.toFixed(1)} ms (target p99 ≤ 250 ms)`);

  const idle = await rendererCpu('renderer-dashboard-idle');
  console.log(`(c) renderer CPU, dashboard idle ${WINDOW_S} s: ${idle.cpu_pct.toFixed(2)} % of one core, PSS ${idle.pss_mib.toFixed(1)} MiB (${idle.renderers} renderer processes)`);

  await page.evaluate((hash) => (location.hash = hash), `#/ws/${WS}/logs`);
  await page.locator('.tail[data-caught-up="true"]').waitFor();
  uc('up', 'flood');
  await page.locator('.log-row[data-source="flood"]').first().waitFor();
  const before = await received(page);
  const started = Date.now();
  const flood = await rendererCpu('renderer-logs-flood');
  const rate = ((await received(page)) - before) / ((Date.now() - started) / 1000);
  const rows = await page.locator('.vlist .log-row').count();
  uc('down', 'flood');
  console.log(`(c) renderer CPU, logs page receiving ${rate.toFixed(0)} lines/s for ${WINDOW_S} s: ${flood.cpu_pct.toFixed(2)} % of one core, PSS ${flood.pss_mib.toFixed(1)} MiB, ${rows} rows in the DOM`);
} finally {
  await browser.close();
}
