// Drives the web page in Debian's chromium (playwright-core, no browser download) against
// a real `uc serve`: run by tests/web.rs, which starts serve and the engine and reads the
// last line this prints (JSON). Tokens come in the environment, never on a command line.
//
//   UC_URL=http://127.0.0.1:PORT UC_WORKSPACE=ws UC_OPERATOR_TOKEN=... UC_VIEWER_TOKEN=... \
//     UC_SERVICE=web UC_BIN=target/debug/uc UC_FILE=.../univers.yaml node web/tests/dashboard.mjs
//
// UC_BIN and UC_FILE take the workspace down and up again (with the caller's UC_STATE_DIR and
// UC_TMUX_SOCKET), to see the page follow its engine away and back.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const { UC_URL, UC_WORKSPACE, UC_OPERATOR_TOKEN, UC_VIEWER_TOKEN, UC_SERVICE, UC_BIN, UC_FILE } = process.env;
for (const [name, value] of Object.entries({ UC_URL, UC_WORKSPACE, UC_OPERATOR_TOKEN, UC_VIEWER_TOKEN, UC_SERVICE, UC_BIN, UC_FILE })) {
  if (!value) throw new Error(`${name} is not set`);
}

function uc(...args) {
  execFileSync(UC_BIN, ['-f', UC_FILE, ...args], { cwd: dirname(UC_FILE), stdio: 'ignore' });
}
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// A hung browser must not hang the test.
const guard = setTimeout(() => {
  console.error('the browser test took over 120 s');
  process.exit(1);
}, 120_000);

function check(condition, what) {
  if (!condition) throw new Error(what);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  // CI runs as root, where chromium's sandbox cannot start.
  args: ['--no-sandbox'],
});
const problems = [];
const results = {};

async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) problems.push(`CSP: ${m.text()}`);
  });
  const response = await page.goto(`${UC_URL}/`);
  check(response.status() === 200, `GET / answered ${response.status()}`);
  const headers = response.headers();
  check(headers['content-security-policy'] === CSP, `CSP: ${headers['content-security-policy']}`);
  check(headers['x-content-type-options'] === 'nosniff', 'nosniff');
  check(headers['cache-control'] === 'no-cache', `index cache: ${headers['cache-control']}`);
  return page;
}

async function signIn(page, token, name, role) {
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.locator('.who .name', { hasText: name }).waitFor();
  const shown = await page.textContent('.who .role');
  check(shown === role, `role shown: ${shown}`);
}

const row = (page) => page.locator(`section[data-workspace="${UC_WORKSPACE}"] tr[data-service="${UC_SERVICE}"]`);

async function waitState(page, state) {
  await row(page).locator('td.state', { hasText: new RegExp(`^${state}$`) }).waitFor({ timeout: 10_000 });
}

/** Clicks `verb` on the service's row and answers the milliseconds until the state cell
 * shows one of `states`, measured in the page from the click to the DOM change. */
function timeChange(page, verb, states) {
  return page.evaluate(
    ({ ws, service, verb, states }) =>
      new Promise((resolve, reject) => {
        const tr = document.querySelector(`section[data-workspace="${ws}"] tr[data-service="${service}"]`);
        if (!tr) return reject(new Error(`no row for ${service}`));
        const cell = () => tr.querySelector('td.state')?.textContent;
        const start = performance.now();
        const observer = new MutationObserver(() => {
          if (states.includes(cell())) {
            observer.disconnect();
            resolve(performance.now() - start);
          }
        });
        observer.observe(tr, { subtree: true, childList: true, characterData: true });
        setTimeout(() => {
          observer.disconnect();
          reject(new Error(`${service} still ${cell()} 10 s after ${verb}`));
        }, 10_000);
        tr.querySelector(`button[data-action="${verb}"]`).click();
      }),
    { ws: UC_WORKSPACE, service: UC_SERVICE, verb, states },
  );
}

/** A request from the page's own origin, with its cookie; `csrf` true sends the session's. */
function post(page, path, csrf) {
  return page.evaluate(
    async ({ path, csrf }) => {
      const headers = {};
      if (csrf) {
        const session = await (await fetch('/api/v1/session')).json();
        headers['X-CSRF-Token'] = session.csrf;
      }
      const response = await fetch(path, { method: 'POST', headers });
      return { status: response.status, body: await response.json() };
    },
    { path, csrf },
  );
}

try {
  const stopPath = `/api/v1/workspaces/${UC_WORKSPACE}/services/${UC_SERVICE}/stop`;

  // An operator: sees the services, stops and starts one, each seen within the budget.
  const operator = await openPage();
  await signIn(operator, UC_OPERATOR_TOKEN, 'ops', 'operator');
  await waitState(operator, 'running');
  results.stop_ms = await timeChange(operator, 'stop', ['stopping', 'stopped']);
  await waitState(operator, 'stopped');
  results.start_ms = await timeChange(operator, 'start', ['starting', 'running']);
  await waitState(operator, 'running');

  // The cookie alone does not change anything: without the CSRF token it is a 403.
  const forged = await post(operator, stopPath, false);
  check(forged.status === 403, `POST without X-CSRF-Token: ${JSON.stringify(forged)}`);
  check(/CSRF/.test(forged.body.error) && forged.body.hint, `CSRF refusal: ${JSON.stringify(forged.body)}`);

  // A viewer: the buttons are disabled, and the server refuses all the same.
  const viewer = await openPage();
  await signIn(viewer, UC_VIEWER_TOKEN, 'watch', 'viewer');
  await waitState(viewer, 'running');
  check(await row(viewer).locator('button[data-action="stop"]').isDisabled(), 'a viewer may click stop');
  const refused = await post(viewer, stopPath, true);
  check(refused.status === 403, `a viewer's stop: ${JSON.stringify(refused)}`);
  check(/needs role operator/.test(refused.body.hint), `hint: ${JSON.stringify(refused.body)}`);

  // The hash names the page: the dashboard is current, and a hash naming no page is the dashboard.
  const current = () => viewer.getAttribute('nav[aria-label="pages"] a[aria-current="page"]', 'href');
  check((await current()) === '#/', `current page: ${await current()}`);
  await viewer.evaluate(() => {
    location.hash = '#/ws/nowhere/no-such-page';
  });
  await waitState(viewer, 'running');
  check((await current()) === '#/', `current page after an unknown hash: ${await current()}`);

  // Signing out ends the session: the form is back and the cookie is worth nothing.
  await operator.click('button.sign-out');
  await operator.locator('#token').waitFor();
  const after = await operator.evaluate(async () => (await fetch('/api/v1/session')).status);
  check(after === 401, `GET /api/v1/session after signing out: ${after}`);
  await waitState(viewer, 'running');

  // The engine goes away and comes back: the page says so, then is live again on its own.
  const link = viewer.locator(`section[data-workspace="${UC_WORKSPACE}"] .link`);
  uc('down');
  await link.filter({ hasNotText: /^live$/ }).waitFor({ timeout: 10_000 });
  uc('up');
  await link.filter({ hasText: /^live$/ }).waitFor({ timeout: 30_000 });
  await waitState(viewer, 'running');

  check(problems.length === 0, problems.join('\n'));
  console.log(JSON.stringify(results));
} catch (e) {
  console.error(`${e.stack ?? e}${problems.length ? `\n${problems.join('\n')}` : ''}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  clearTimeout(guard);
}
