// The assistant page (run by tests/web_assistant.rs): the doctor's first finding names the
// dependency that went down with its evidence; a viewer sees its action disabled; the
// operator's click shows the dry run, and Apply restarts it. Prints one JSON line last.
import { check, env, open } from './browser.mjs';

const URL = env('UC_URL');
const WS = env('UC_WORKSPACE');
const OPERATOR = env('UC_OPERATOR_TOKEN');
const VIEWER = env('UC_VIEWER_TOKEN');
const { signedIn, axe, run, results } = await open(URL);

const finding = (page) => page.locator('li.finding[data-analyzer="dependency_down"][data-service="api"]');

await run(90, async () => {
  const viewer = await signedIn(VIEWER, 'watcher');
  await viewer.goto(`${URL}/#/ws/${WS}/assistant`);
  await finding(viewer).waitFor({ timeout: 20_000 });
  check(await finding(viewer).locator('button[data-action="restart"]').isDisabled(), 'a viewer may restart');

  const page = await signedIn(OPERATOR, 'ops');
  await page.goto(`${URL}/#/ws/${WS}/assistant`);
  const first = page.locator('li.finding').first();
  await first.waitFor({ timeout: 20_000 });
  check((await first.getAttribute('data-analyzer')) === 'dependency_down', 'the first finding is not the dependency');
  results.cause = (await first.locator('.cause').textContent()).trim();
  check(results.cause.includes('api depends on db'), `cause: ${results.cause}`);
  check((await first.locator('.evidence li').count()) >= 1, 'no evidence');
  await axe(page, 'assistant');

  await page.keyboard.press('Enter');
  const dialog = page.locator('.dry-run');
  await dialog.waitFor();
  results.dry_run = (await dialog.textContent()).trim();
  check(results.dry_run.includes('Restart db?'), `dry run: ${results.dry_run}`);
  await axe(page, 'assistant-dry-run');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  await first.locator('button[data-action="restart"]').click();
  await dialog.waitFor();
  await dialog.locator('button[data-action="apply"]').click();
  await page.locator('.done', { hasText: 'done: restart db' }).waitFor();
  await page.locator('.no-findings').waitFor({ timeout: 20_000 });
});
