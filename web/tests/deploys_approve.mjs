// Drives the deploys page's approvals in Debian's chromium against a real `uc serve` and
// engine (run by tests/web_deploys.rs: the fixture app's pipeline has `approve: deployer` at
// this host's environment, and a deploy of v1 waits for it). An operator sees the deploy
// waiting with Approve… and Reject… disabled naming `deployer`; a deployer approves it from
// the page (the dialog names the deploy and its release) and the timeline goes live to
// succeeded with who approved; then deploys tag v2 from the page, which waits too, and
// rejects it with `X`: rejected, the release serving stays. Prints one JSON line last.
import { check, env, open } from './browser.mjs';

const URL = env('UC_URL');
const WS = env('UC_WORKSPACE');
const SERVICE = env('UC_SERVICE');
const DEPLOYER = env('UC_DEPLOYER_TOKEN');
const OPERATOR = env('UC_OPERATOR_TOKEN');
const T = { timeout: 30_000 };
const { signedIn, axe, run, results } = await open(URL);

const row = (page) => page.locator(`table.deploy-list tr[data-service="${SERVICE}"]`);
const latest = (page, state) => page.locator(`.deploy-detail > .deploy${state ? `[data-state="${state}"]` : ''}`);
const button = (page, kind) => page.locator(`.deploy-detail button[data-action="${kind}"]`);

async function visit(page) {
  await page.evaluate((hash) => (location.hash = hash), `#/ws/${WS}/deploys`);
  await page.locator('.page .link.live').waitFor({ timeout: 15_000 });
  await latest(page, 'waiting').waitFor(T);
}

async function operator(page) {
  await visit(page);
  for (const kind of ['approve', 'reject']) {
    check(await button(page, kind).isDisabled(), `an operator may ${kind}`);
    const title = await button(page, kind).getAttribute('title');
    check(title?.includes('deployer'), `the ${kind} button's tooltip: ${title}`);
  }
  await page.keyboard.press('Shift+A');
  check((await page.locator('.deploy-ask').count()) === 0, 'A asks an operator');
  await axe(page, 'deploys-waiting');
}

async function deployer(page) {
  await visit(page);
  const id = await latest(page).getAttribute('data-deploy');
  await latest(page).locator('li.stage[data-stage="approval"]').waitFor(T);
  await button(page, 'approve').click();
  const dialog = page.locator('.deploy-ask[data-kind="approve"]');
  await dialog.waitFor();
  const words = `${await dialog.locator('#ask-title').textContent()} ${await dialog.locator('#ask-what').textContent()}`;
  const release = await page.evaluate(async ({ ws, service }) => {
    const r = await fetch(`/api/v1/workspaces/${ws}/deploys?service=${service}&limit=1`);
    return (await r.json())[0].release;
  }, { ws: WS, service: SERVICE });
  check(words.includes(`deploy ${id} of ${SERVICE}`) && words.includes(release), `the approval's question: ${words} (release ${release})`);
  await axe(page, 'deploys-approve');
  const asked = Date.now();
  await dialog.locator('button[data-action="confirm-approve"]').click();
  await latest(page, 'succeeded').waitFor(T);
  results.approve_to_succeeded_ms = Date.now() - asked;
  const approval = await latest(page).locator('.approval').textContent();
  check(approval.startsWith('approved by deploy'), `the approval line: ${approval}`);
  check((await button(page, 'approve').count()) === 0, 'Approve… is offered with nothing waiting');
  results.approval = approval;

  // v2 from the page waits for an approval too; X rejects it.
  await page.keyboard.press('Shift+D');
  const ask = page.locator('.deploy-ask[data-kind="deploy"]');
  await ask.waitFor();
  await page.fill('#ask-value', 'v2');
  await ask.locator('button[data-action="confirm-deploy"]').click();
  await page.waitForFunction((id) => {
    const d = document.querySelector('.deploy-detail > .deploy[data-state="waiting"]');
    return d && d.dataset.deploy !== id;
  }, id, T);
  await page.keyboard.press('Shift+X');
  const reject = page.locator('.deploy-ask[data-kind="reject"]');
  await reject.waitFor();
  await reject.locator('button[data-action="confirm-reject"]').click();
  await latest(page, 'rejected').waitFor(T);
  const rejected = await latest(page).locator('.approval').textContent();
  check(rejected.startsWith('rejected by deploy'), `the rejection line: ${rejected}`);
  results.rejection = rejected;
}

await run(180, async () => {
  await operator(await signedIn(OPERATOR, 'olga'));
  await deployer(await signedIn(DEPLOYER, 'deploy'));
});
