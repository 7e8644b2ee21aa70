// Drives the dashboard's charts, the service page, the keys and the themes in Debian's
// chromium against a real `uc serve` (run by tests/web_service.rs, which starts serve and
// the engine with services db, api (depends on db) and web). Tokens come in the
// environment, never on a command line. Prints one JSON line last.
import { check, env, open } from './browser.mjs';

const URL = env('UC_URL');
const WS = env('UC_WORKSPACE');
const OPERATOR = env('UC_OPERATOR_TOKEN');
const VIEWER = env('UC_VIEWER_TOKEN');
const SHOTS = env('UC_SCREENSHOTS');
const { signedIn, axe, shoot: screenshots, run, results } = await open(URL);

const row = (page, name) => page.locator(`section[data-workspace="${WS}"] tr[data-service="${name}"]`);

const shoot = (page, name) => screenshots(page, SHOTS, name);

/** Runs `act` in the page and answers the ms until `selector`'s text is one of `states`. */
function timeChange(page, selector, states, act) {
  return page.evaluate(
    ({ selector, states, act }) =>
      new Promise((resolve, reject) => {
        const text = () => document.querySelector(selector)?.textContent?.trim();
        const start = performance.now();
        const observer = new MutationObserver(() => {
          if (states.some((s) => text()?.startsWith(s))) {
            observer.disconnect();
            resolve(performance.now() - start);
          }
        });
        observer.observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true });
        setTimeout(() => {
          observer.disconnect();
          reject(new Error(`${selector} still ${text()} 10 s after ${act}`));
        }, 10_000);
        if (act.startsWith('key ')) {
          document.body.dispatchEvent(new KeyboardEvent('keydown', { key: act.slice(4), bubbles: true }));
        } else {
          document.querySelector(act).click();
        }
      }),
    { selector, states, act },
  );
}

// A flat line has no area, which playwright calls hidden: polylines are waited for attached.
async function charts(page) {
  await row(page, 'web').locator('td.state', { hasText: /^running$/ }).waitFor({ timeout: 15_000 });
  await row(page, 'web').locator('td.cpu svg.spark polyline').waitFor({ state: 'attached', timeout: 10_000 });
  await row(page, 'db').locator('td.rss svg.spark polyline').waitFor({ state: 'attached' });
  const rss = await row(page, 'db').locator('td.rss .now').textContent();
  check(/\d.*(B|KiB|MiB)$/.test(rss), `db's rss: ${rss}`);
  const cpu = page.locator(`section[data-workspace="${WS}"] figure[data-chart="cpu"]`);
  await cpu.locator('polyline').waitFor({ state: 'attached', timeout: 10_000 });
  for (const window of ['1h', '5m', '24h', '1m']) {
    await page.click(`section[data-workspace="${WS}"] button[data-window="${window}"]`);
    await cpu.locator(`svg[aria-label^="cpu over ${window}:"]`).waitFor();
    check(await page.locator(`button[data-window="${window}"][aria-pressed="true"]`).count() === 1, `${window} not pressed`);
  }
  await cpu.locator('polyline').waitFor({ state: 'attached', timeout: 10_000 });
  check((await page.locator('.host .problem').count()) === 0, await page.locator('.host').textContent());

  const section = page.locator(`section[data-workspace="${WS}"]`);
  await section.locator('h2 .environment.guarded', { hasText: 'prod' }).waitFor();
  await section.locator('ul.firing li[data-alert="ApiUp"]', { hasText: 'api is up' }).waitFor({ timeout: 30_000 });
}

async function keys(page) {
  await page.keyboard.press('j');
  await page.locator('tr.selected[data-service="db"]').waitFor();
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  await page.locator('tr.selected[data-service="db"]').waitFor();
  await page.keyboard.press('x');
  const warning = page.locator('.stop-warning');
  await warning.waitFor();
  check((await warning.locator('.dependants').textContent()).includes('api'), 'the warning does not name api');
  await axe(page, 'stop-warning');
  await page.keyboard.press('Escape');
  await warning.waitFor({ state: 'detached' });
  check((await row(page, 'db').locator('td.state').textContent()) === 'running', 'db stopped without confirmation');

  await page.keyboard.press('/');
  check(await page.evaluate(() => document.activeElement?.getAttribute('type') === 'search'), '/ does not focus the filter');
  // Keys typed into a field are the field's: no selection moves, nothing stops.
  await page.keyboard.type('jx:?');
  check((await page.inputValue('main input[type=search]')) === 'jx:?', 'the filter lost keys');
  check((await page.locator('.overlay').count()) === 0, 'a key typed into the filter opened something');
  await page.fill('main input[type=search]', 'we');
  await row(page, 'db').waitFor({ state: 'detached' });
  check((await page.locator('tr.selected').count()) === 0, 'the selected row is not filtered out');
  await page.fill('main input[type=search]', '');
  await page.locator('tr.selected[data-service="db"]').waitFor();
  await page.locator('body').click({ position: { x: 5, y: 300 } });

  await page.keyboard.press('?');
  await page.locator('.help kbd', { hasText: 'j' }).first().waitFor();
  await axe(page, 'help');
  await page.keyboard.press('Escape');
  await page.locator('.help').waitFor({ state: 'detached' });

  await page.keyboard.press(':');
  await page.locator('.palette').waitFor();
  await axe(page, 'palette');
  await page.keyboard.type('alerts');
  await page.keyboard.press('Enter');
  await page.waitForFunction((ws) => location.hash === `#/ws/${ws}/alerts`, WS);
  await page.evaluate(() => (location.hash = '#/'));
  await row(page, 'web').waitFor();
  // The arrows choose among what the palette shows, wrapping: up from the first is the last.
  await page.keyboard.press(':');
  await page.keyboard.type('service');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  const chosen = (await page.locator('.palette button.chosen').textContent()).replace('service ', '');
  const last = (await page.locator('.palette li button').last().textContent()).replace('service ', '');
  check(chosen === last, `up from the first chose ${chosen}, not ${last}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(([ws, name]) => location.hash === `#/ws/${ws}/service/${name}`, [WS, chosen]);
  await page.evaluate(() => (location.hash = '#/'));
  await row(page, 'web').waitFor();
  for (const key of ['j', 'j', 'j']) await page.keyboard.press(key);
  await page.locator('tr.selected[data-service="web"]').waitFor();
  await page.keyboard.press('Enter');
  await page.waitForFunction((ws) => location.hash === `#/ws/${ws}/service/web`, WS);
}

async function servicePage(page) {
  const state = '.service-page .summary dd.state';
  await page.locator(state, { hasText: /^running/ }).waitFor({ timeout: 10_000 });
  await page.locator('.log-tail .line', { hasText: 'web says hello' }).first().waitFor({ timeout: 10_000 });
  await page.locator('.service-page figure[data-chart="rss"] polyline').waitFor({ state: 'attached', timeout: 10_000 });
  results.stop_ms = await timeChange(page, state, ['stopping', 'stopped'], '.service-page .actions button[data-action="stop"]');
  await page.locator(state, { hasText: /^stopped/ }).waitFor({ timeout: 10_000 });
  results.start_ms = await timeChange(page, state, ['starting', 'running'], 'key s');
  await page.locator(state, { hasText: /^running/ }).waitFor({ timeout: 10_000 });

  // Killed behind the engine's back, web is restarted by its policy: the page shows the heal
  // event as it happens and the restart counted.
  const pid = await page.evaluate(async (ws) => (await (await fetch(`/api/v1/workspaces/${ws}/services/web`)).json()).pid, WS);
  check(pid > 1, `web's pid: ${pid}`);
  process.kill(pid, 'SIGKILL');
  await page.locator('.heal-history li[data-kind="restart"], .heal-history li[data-kind="backoff"]').first().waitFor({ timeout: 10_000 });
  await page.locator('.service-page .summary dd.restarts', { hasText: /^1$/ }).waitFor({ timeout: 10_000 });
  await page.locator(state, { hasText: /^running/ }).waitFor({ timeout: 10_000 });

  await page.evaluate((ws) => (location.hash = `#/ws/${ws}/service/db`), WS);
  await page.locator('.service-page[data-service="db"] tr[data-probe="readiness"] td', { hasText: 'passed' }).waitFor({ timeout: 10_000 });
  check((await page.locator('.service-page .needed-by').textContent()).includes('api'), 'db is not needed by api');
}

async function themes(page) {
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  /** Clicks the toggle and answers the theme it turned to, once <html> shows it. */
  const toggle = async () => {
    const before = await theme();
    await page.click('button[data-action="theme"]');
    await page.waitForFunction((t) => document.documentElement.dataset.theme !== t, before);
    return theme();
  };
  const first = await theme();
  check(first === 'light' || first === 'dark', `theme ${first}`);
  for (const [name, hash] of [['dashboard', '#/'], ['service', `#/ws/${WS}/service/db`]]) {
    await page.evaluate((h) => (location.hash = h), hash);
    await page.locator('.link.live').first().waitFor({ timeout: 10_000 });
    await page.locator(name === 'dashboard' ? 'figure[data-chart="cpu"] polyline' : 'tr[data-probe]').first().waitFor({ state: 'attached' });
    for (const _ of [0, 1]) {
      await axe(page, `${name}-${await theme()}`);
      if ((await theme()) === 'light') await shoot(page, name);
      await toggle();
    }
  }
  check((await theme()) === first, 'four toggles did not come back');
  const toggled = await toggle();
  await page.reload();
  await page.locator('.who .name').waitFor();
  check((await theme()) === toggled, 'the theme was not remembered');
  await toggle();
}

async function viewer(page) {
  await row(page, 'web').locator('td.state', { hasText: /^running$/ }).waitFor({ timeout: 15_000 });
  await page.keyboard.press('j');
  await page.locator('tr.selected[data-service="db"]').waitFor();
  await page.keyboard.press('x');
  check((await page.locator('.stop-warning').count()) === 0, "a viewer's x warns");
  check(await row(page, 'web').locator('button[data-action="stop"]').isDisabled(), 'a viewer may click stop');
  await page.evaluate((ws) => (location.hash = `#/ws/${ws}/service/web`), WS);
  await page.locator('.service-page .summary dd.state', { hasText: /^running/ }).waitFor({ timeout: 10_000 });
  check(await page.locator('.service-page button[data-action="restart"]').isDisabled(), 'a viewer may restart');
  const restarts = await page.locator('.service-page .summary .restarts').textContent();
  await page.keyboard.press('r');
  const status = await page.evaluate(async (ws) => {
    const session = await (await fetch('/api/v1/session')).json();
    const r = await fetch(`/api/v1/workspaces/${ws}/services/web/restart`, { method: 'POST', headers: { 'X-CSRF-Token': session.csrf } });
    return r.status;
  }, WS);
  check(status === 403, `a viewer's restart answered ${status}`);
  check((await page.locator('.service-page .summary .restarts').textContent()) === restarts, 'web restarted for a viewer');
  check((await page.locator('.service-page .summary dd.state').textContent()) === 'running', 'web stopped for a viewer');
}

await run(150, async () => {
  const operator = await signedIn(OPERATOR, 'ops');
  await charts(operator);
  await keys(operator);
  await servicePage(operator);
  await themes(operator);
  await viewer(await signedIn(VIEWER, 'watch'));
});
