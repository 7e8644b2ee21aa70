// Drives the deploys page in Debian's chromium against a real `uc serve` and engine (run by
// tests/web_deploys.rs, which deployed v1 of the fixture app and tagged v2, a good release,
// and v3, one that exits in its soak). A deployer deploys v2 from the page: the timeline
// shows each stage as it runs, the gate held (the test's `go` file missing) with its checks
// in the log, until done, without the page asking the API again. v3 is rolled back and the
// page shows the engine's cause; Rollback… names the release it goes back to; a bad ref is
// refused in the API's words; a state and a stage the page does not know are shown as named.
// A viewer sees the page with its buttons disabled naming `deployer`. axe-core on each state, screenshots at two widths. Prints one JSON line last.
import { writeFileSync } from 'node:fs';
import { check, env, open } from './browser.mjs';

const URL = env('UC_URL');
const WS = env('UC_WORKSPACE');
const SERVICE = env('UC_SERVICE');
const GO = env('UC_GO');
const DEPLOYER = env('UC_DEPLOYER_TOKEN');
const VIEWER = env('UC_VIEWER_TOKEN');
const SHOTS = env('UC_SCREENSHOTS');
const T = { timeout: 30_000 };
const { signedIn, axe, shoot, run, results } = await open(URL);

async function visit(page) {
  await page.evaluate((hash) => (location.hash = hash), `#/ws/${WS}/deploys`);
  await page.locator('.page .link.live').waitFor({ timeout: 15_000 });
}

const row = (page) => page.locator(`table.deploy-list tr[data-service="${SERVICE}"]`);
const latest = (page, state) => page.locator(`.deploy-detail > .deploy${state ? `[data-state="${state}"]` : ''}`);

/** What the latest deploy's timeline has shown, recorded by the page itself as it changes:
 * `id stage status` once each. */
async function watchTimeline(page) {
  await page.evaluate(() => {
    window.seen = new Set();
    const look = () => {
      const d = document.querySelector('.deploy-detail > .deploy');
      for (const li of d?.querySelectorAll('li.stage') ?? []) window.seen.add(`${d.dataset.deploy} ${li.dataset.stage} ${li.dataset.status}`);
    };
    new MutationObserver(look).observe(document.querySelector('main'), { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

/** Deploy… (or Rollback…) with `value` typed; answers the dialog's words and the time from
 * the confirm to the new deploy's first stage in the DOM. */
async function ask(page, kind, value) {
  const before = await latest(page).getAttribute('data-deploy');
  await page.click(`.deploy-detail button[data-action="${kind}"]`);
  const dialog = page.locator(`.deploy-ask[data-kind="${kind}"]`);
  await dialog.waitFor();
  await page.fill('#ask-value', value);
  const words = await dialog.locator('#ask-what').textContent();
  const asked = Date.now();
  await dialog.locator(`button[data-action="confirm-${kind}"]`).click();
  await dialog.waitFor({ state: 'detached' });
  if (value.startsWith('-')) return { words };
  await page.waitForFunction(
    (before) => {
      const d = document.querySelector('.deploy-detail > .deploy');
      return d && d.dataset.deploy !== before && d.querySelector('li.stage');
    },
    before,
    T,
  );
  return { words, ms: Date.now() - asked };
}

async function deployer(page) {
  let historyAsked = 0;
  page.on('request', (r) => {
    if (/\/deploys\?/.test(r.url())) historyAsked += 1;
  });
  const opened = Date.now();
  await visit(page);
  await row(page).locator('.deploy-state.succeeded').waitFor(T);
  results.open_to_row_ms = Date.now() - opened;
  check((await row(page).textContent()).includes('manual by'), `the row: ${await row(page).textContent()}`);
  await axe(page, 'deploys');

  // v2, held at its gate until the test writes `go`.
  await watchTimeline(page);
  const v2 = await ask(page, 'deploy', 'v2');
  check(v2.words.includes(SERVICE) && v2.words.includes('v2'), `the deploy's question: ${v2.words}`);
  results.deploy_click_to_stage_ms = v2.ms;
  const gate = latest(page).locator('li.stage[data-stage="gate"][data-status="running"]');
  await gate.waitFor(T);
  for (const stage of ['fetch', 'build', 'switch']) {
    await latest(page).locator(`li.stage[data-stage="${stage}"][data-status="passed"]`).waitFor();
  }
  check((await latest(page).locator('li.stage[data-stage="soak"]').getAttribute('data-status')) === 'pending', 'the soak is not shown pending');
  await latest(page).locator('.stage-log pre', { hasText: 'exec sh gate.sh: ' }).waitFor(T);
  check((await row(page).locator('.deploy-state').textContent()) === 'running', 'the row is not running');
  await axe(page, 'deploys-running');
  await shoot(page, SHOTS, 'deploys-running');
  writeFileSync(GO, '');
  await latest(page).locator('li.stage[data-stage="soak"][data-status="running"]').waitFor(T);
  await latest(page, 'succeeded').waitFor(T);
  const id = await latest(page).getAttribute('data-deploy');
  const seen = await page.evaluate((id) => [...window.seen].filter((s) => s.startsWith(`${id} `)).map((s) => s.slice(id.length + 1)), id);
  for (const want of ['gate running', 'soak running', 'fetch passed', 'build passed', 'switch passed', 'gate passed', 'soak passed']) {
    check(seen.includes(want), `the timeline never showed ${want}: ${seen.join(', ')}`);
  }
  results.stages_seen = seen;
  check(historyAsked === 1, `the page asked for the history ${historyAsked} times (polling?)`);
  // v1's deploy is below, folded; it opens.
  const earlier = page.locator('.earlier li[data-deploy] details').first();
  await earlier.locator('summary').click();
  await earlier.locator('li.stage[data-stage="gate"][data-status="passed"]').waitFor();

  // v3 exits in its soak: rolled back, the engine's cause on the page.
  await ask(page, 'deploy', 'v3');
  await latest(page, 'rolled_back').waitFor(T);
  const cause = await latest(page).locator('.cause').textContent();
  const recorded = await page.evaluate(async ({ ws, service }) => {
    const r = await fetch(`/api/v1/workspaces/${ws}/deploys?service=${service}&limit=1`);
    return (await r.json())[0];
  }, { ws: WS, service: SERVICE });
  check(recorded.state === 'rolled_back' && cause.includes(recorded.cause), `the page's cause "${cause}", the API's "${recorded.cause}"`);
  await latest(page).locator('li.stage[data-stage="rollback"]').waitFor();
  results.cause = recorded.cause;
  await axe(page, 'deploys-rolled-back');
  await shoot(page, SHOTS, 'deploys');

  // Rollback… names the release before the current one (v1's), and goes back to it.
  const v1 = await page.evaluate(async ({ ws, service }) => {
    const all = await (await fetch(`/api/v1/workspaces/${ws}/deploys?service=${service}`)).json();
    return all[all.length - 1].release;
  }, { ws: WS, service: SERVICE });
  const back = await ask(page, 'rollback', '');
  check(back.words.includes(SERVICE) && back.words.includes(v1), `the rollback's question: ${back.words} (v1 is ${v1})`);
  await latest(page, 'succeeded').waitFor(T);
  check((await row(page).textContent()).includes('rollback by deploy'), `the row: ${await row(page).textContent()}`);

  // The API refuses a ref that could be an option; the page says so in its words.
  await ask(page, 'deploy', '-x');
  const refused = await page.locator('.page .problem[role="alert"]').textContent(T);
  check(refused.startsWith(`deploy ${SERVICE}: `) && refused.includes('-x'), `the refusal: ${refused}`);
  results.refusal = refused;
}

async function viewer(page) {
  await visit(page);
  await row(page).locator('.deploy-state').waitFor(T);
  for (const kind of ['deploy', 'rollback']) {
    const button = page.locator(`.deploy-detail button[data-action="${kind}"]`);
    check(await button.isDisabled(), `a viewer may ${kind}`);
    const title = await button.getAttribute('title');
    check(title?.includes('deployer'), `the ${kind} button's tooltip: ${title}`);
  }
  await page.keyboard.press('Shift+D');
  check((await page.locator('.deploy-ask').count()) === 0, 'D asks a viewer');
  const status = await page.evaluate(async ({ ws, service }) => {
    const session = await (await fetch('/api/v1/session')).json();
    const r = await fetch(`/api/v1/workspaces/${ws}/services/${service}/deploy`, { method: 'POST', headers: { 'X-CSRF-Token': session.csrf } });
    return r.status;
  }, { ws: WS, service: SERVICE });
  check(status === 403, `a viewer's deploy answered ${status}`);
  await axe(page, 'deploys-viewer');
}

async function keys(page) {
  // From the service page's link, then the keys: D asks, Escape closes.
  await page.evaluate((hash) => (location.hash = hash), `#/ws/${WS}/service/${SERVICE}`);
  await page.click('a[data-action="deploys"]');
  await page.locator(`table.deploy-list tr[data-service="${SERVICE}"][aria-current="true"]`).waitFor(T);
  await page.keyboard.press('Shift+D');
  await page.locator('.deploy-ask[data-kind="deploy"]').waitFor();
  await axe(page, 'deploys-ask');
  await page.keyboard.press('Escape');
  await page.locator('.deploy-ask').waitFor({ state: 'detached' });
}

/** A deploy in a state and a stage this page does not know (an approval, added by another
 * change) is shown as named: the real history's answer with one such deploy added. */
async function unknownShapes(page) {
  await page.route('**/deploys?limit=*', async (route) => {
    const real = await (await route.fetch()).json();
    const at = Date.now() - 5000;
    const waiting = {
      ...real[0],
      id: real[0].id + 1000,
      state: 'waiting',
      cause: null,
      ended_at: null,
      stages: [
        { stage: 'fetch', status: 'passed', started_at: at, ended_at: at + 100, log: '' },
        { stage: 'approval', status: 'waiting', started_at: at + 100, ended_at: null, log: 'waiting for a deployer' },
      ],
    };
    await route.fulfill({ json: [waiting, ...real] });
  });
  await page.reload();
  await row(page).locator('.deploy-state', { hasText: 'waiting' }).waitFor(T);
  const stage = latest(page, 'waiting').locator('li.stage[data-stage="approval"][data-status="waiting"]');
  await stage.waitFor(T);
  check((await stage.textContent()).includes('approval'), `the unknown stage reads ${await stage.textContent()}`);
  await latest(page).locator('.stage-log pre', { hasText: 'waiting for a deployer' }).waitFor();
  await page.unroute('**/deploys?limit=*');
}

await run(240, async () => {
  const page = await signedIn(DEPLOYER, 'deploy');
  await deployer(page);
  await keys(page);
  await unknownShapes(page);
  await viewer(await signedIn(VIEWER, 'watch'));
});
