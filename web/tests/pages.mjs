// Drives the alerts and configuration pages in Debian's chromium against a real
// `uc serve` (run by tests/web.rs, which starts serve and the engine): ack a firing alert,
// silence it from the prefilled form and expire the silence, switch to prod with its name
// typed, check a broken file, and run axe-core and take screenshots of each page. Tokens
// come in the environment, never on a command line. Prints one JSON line last.
import { check, env, open } from './browser.mjs';

const URL = env('UC_URL');
const WS = env('UC_WORKSPACE');
const DEPLOYER = env('UC_DEPLOYER_TOKEN');
const VIEWER = env('UC_VIEWER_TOKEN');
const RULE = env('UC_RULE');
const SHOTS = env('UC_SCREENSHOTS');
const { signedIn, axe, shoot: shootInto, run, results } = await open(URL);
const shoot = (page, name) => shootInto(page, SHOTS, name);

async function visit(page, path) {
  await page.evaluate((hash) => (location.hash = hash), `#/ws/${WS}/${path}`);
  await page.locator('.page .link.live').waitFor({ timeout: 15_000 });
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

await run(150, async () => {
  const deployer = await signedIn(DEPLOYER, 'deploy');
  await alerts(deployer);
  await config(deployer);
  await viewerIsRefused(await signedIn(VIEWER, 'watch'));
});
