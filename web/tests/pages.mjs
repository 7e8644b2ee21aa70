// Drives the alerts, configuration and terminal pages in Debian's chromium against a real
// `uc serve` (run by tests/web.rs, which starts serve and the engine): ack a firing alert,
// silence it from the prefilled form and expire the silence, switch to prod with its name
// typed, check a broken file, and run axe-core and take screenshots of each page. Tokens
// come in the environment, never on a command line. Prints one JSON line last.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const URL = env('UC_URL');
const WS = env('UC_WORKSPACE');
const DEPLOYER = env('UC_DEPLOYER_TOKEN');
const VIEWER = env('UC_VIEWER_TOKEN');
const RULE = env('UC_RULE');
const SHOTS = env('UC_SCREENSHOTS');
// Evaluated through the devtools protocol: a <script> tag (addScriptTag) is inline script,
// which the page's CSP rightly refuses.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const guard = setTimeout(() => {
  console.error('the browser test took over 150 s');
  process.exit(1);
}, 150_000);

function check(condition, what) {
  if (!condition) throw new Error(what);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const problems = [];
const results = { axe: {} };

async function signedIn(token, name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) problems.push(`CSP: ${m.text()}`);
  });
  await page.goto(`${URL}/`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.locator('.who .name', { hasText: name }).waitFor();
  return page;
}

async function visit(page, path) {
  await page.evaluate((hash) => (location.hash = hash), `#/ws/${WS}/${path}`);
  await page.locator('.page .link.live').waitFor({ timeout: 15_000 });
}

/** axe-core on what the page shows now: no serious or critical violation. */
async function axe(page, name) {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  const bad = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe on ${name}: ${JSON.stringify(bad)}`);
  results.axe[name] = found.length;
}

async function shoot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(SHOTS, `${name}-${width}x${height}.png`), fullPage: false });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function alerts(page) {
  await visit(page, 'alerts');
  const row = page.locator(`table.alert-list.firing tr[data-rule="${RULE}"]`);
  await row.waitFor({ timeout: 30_000 });
  await page.locator('tr[data-channel] .channel-health').first().waitFor();

  await row.locator('button[data-action="ack"]').click();
  await row.locator('td.acked', { hasText: '✓' }).waitFor();
  check(await row.locator('button[data-action="ack"]').isDisabled(), 'ack stays clickable once acked');

  await row.locator('button[data-action="silence"]').click();
  const matchers = await page.inputValue('#silence-matchers');
  check(matchers.includes(`alertname="${RULE}"`) && matchers.includes('service="api"'), `prefilled matchers: ${matchers}`);
  check((await page.inputValue('#silence-duration')) === '2h', 'prefilled duration');
  await page.fill('#silence-comment', 'from the browser');
  await page.click('.silence-form button[type=submit]');
  const silence = page.locator('table.silence-list tr[data-silence]', { hasText: 'from the browser' });
  await silence.waitFor();
  check((await silence.locator('.matchers').textContent()).includes('service="api"'), 'the silence lists its matchers');
  await row.locator('td.acked', { hasText: 'silenced' }).waitFor();
  await axe(page, 'alerts');
  await shoot(page, 'alerts');

  await silence.locator('button[data-action="expire"]').click();
  await silence.waitFor({ state: 'detached' });
}

async function config(page) {
  await visit(page, 'config');
  await page.locator('li[data-environment="dev"].active').waitFor();
  await page.locator('tr[data-revision]').first().waitFor();
  await page.click('li[data-environment="prod"] button[data-action="preview"]');
  const plan = page.locator('.switch-plan[data-target="prod"]');
  await plan.waitFor();
  const go = plan.locator('button[data-action="switch"]');
  check(await go.isDisabled(), 'prod switches without its name typed');
  await page.fill('#confirm-name', 'pro');
  check(await go.isDisabled(), 'prod switches with a wrong name typed');
  await page.fill('#confirm-name', 'prod');
  check(await go.isEnabled(), 'the name typed does not enable the switch');
  await axe(page, 'config-switch');
  await shoot(page, 'config-switch');
  await go.click();
  await page.locator('li[data-environment="prod"].active').waitFor({ timeout: 30_000 });

  await page.fill('#config-text', 'workspace: w\nservices:\n  a:\n    comand: x\n');
  await page.click('.validate-form button[type=submit]');
  const where = await page.locator('.problems code').first().textContent({ timeout: 10_000 });
  check(/:\d+:\d+/.test(where), `a problem without file:line:col: ${where}`);
  await axe(page, 'config');
  await shoot(page, 'config');
}

async function viewerIsRefused(page) {
  await visit(page, 'alerts');
  const row = page.locator(`table.alert-list tr[data-rule="${RULE}"]`);
  await row.waitFor();
  check(await row.locator('button[data-action="silence"]').isDisabled(), 'a viewer may silence');
  await visit(page, 'config');
  await page.click('li[data-environment="dev"] button[data-action="preview"]');
  check(await page.locator('.switch-plan button[data-action="switch"]').isDisabled(), 'a viewer may switch');
  const status = await page.evaluate(async (ws) => {
    const session = await (await fetch('/api/v1/session')).json();
    const r = await fetch(`/api/v1/workspaces/${ws}/environments/dev/switch`, { method: 'POST', headers: { 'X-CSRF-Token': session.csrf } });
    return r.status;
  }, WS);
  check(status === 403, `a viewer's switch answered ${status}`);
}

try {
  const deployer = await signedIn(DEPLOYER, 'deploy');
  await alerts(deployer);
  await config(deployer);
  await viewerIsRefused(await signedIn(VIEWER, 'watch'));
  check(problems.length === 0, problems.join('\n'));
  console.log(JSON.stringify(results));
} catch (e) {
  console.error(`${e.stack ?? e}${problems.length ? `\n${problems.join('\n')}` : ''}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  clearTimeout(guard);
}
