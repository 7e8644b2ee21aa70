// Stopping a service another workspace depends on, from the web page (run by
// tests/web_xdeps.rs): the warning names the other workspace's service before anything
// stops; Escape cancels and the service keeps running. Prints one JSON line last.
import { check, env, open } from './browser.mjs';

const URL = env('UC_URL');
const WS = env('UC_WORKSPACE');
const ELSEWHERE = env('UC_ELSEWHERE');
const OPERATOR = env('UC_OPERATOR_TOKEN');
const { signedIn, axe, run, results } = await open(URL);

const row = (page, name) => page.locator(`section[data-workspace="${WS}"] tr[data-service="${name}"]`);

await run(60, async () => {
  const page = await signedIn(OPERATOR, 'ops');
  await row(page, 'db').locator('td.state', { hasText: /^running$/ }).waitFor({ timeout: 15_000 });
  await row(page, 'db').locator('button[data-action="stop"]').click();
  const warning = page.locator('.stop-warning');
  await warning.waitFor();
  const outside = await warning.locator('.elsewhere').textContent();
  check(outside.includes(ELSEWHERE), `the warning does not name ${ELSEWHERE}: ${outside}`);
  check((await warning.locator('.dependants').count()) === 0, 'a service of this workspace is named');
  results.warning = (await warning.textContent()).trim();
  await axe(page, 'stop-warning-elsewhere');
  await page.keyboard.press('Escape');
  await warning.waitFor({ state: 'detached' });
  check((await row(page, 'db').locator('td.state').textContent()) === 'running', 'db stopped without confirmation');
});
