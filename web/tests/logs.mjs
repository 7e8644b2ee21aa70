// Drives the logs page in Debian's chromium against a real `uc serve` (run by
// tests/web_logs.rs, which starts serve and the engine): follow a line the `feed` service
// writes (the test appends to the file it tails), pause by scrolling up and resume, filter
// by service, level and regex, search with highlight, open a mined pattern's lines, and
// start `flood` (~1,000 lines/s) to see the DOM stay bounded, then take the engine down
// and up and see the tail come back without a line twice. axe-core and screenshots on
// the way. Tokens come in the environment, never on a command line. Prints one JSON line last.
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { check, env, open } from './browser.mjs';

const URL = env('UC_URL');
const WS = env('UC_WORKSPACE');
const VIEWER = env('UC_VIEWER_TOKEN');
const FEED = env('UC_FEED');
const BIN = env('UC_BIN');
const FILE = env('UC_FILE');
const SHOTS = env('UC_SCREENSHOTS');
const { signedIn, axe, shoot: shootInto, run, results } = await open(URL);
const shoot = (page, name) => shootInto(page, SHOTS, name);

function uc(...args) {
  execFileSync(BIN, ['-f', FILE, ...args], { cwd: dirname(FILE), stdio: 'ignore' });
}

/** What the `feed` service writes next. */
function feed(...lines) {
  appendFileSync(FEED, lines.map((l) => `${l}\n`).join(''));
}

const row = (page, text) => page.locator('.log-row', { hasText: text });
/** Every row the list draws, as [source, level, text]. */
const rows = (page) =>
  page.$$eval('.vlist .log-row', (els) => els.map((e) => [e.dataset.source, e.dataset.level, e.querySelector('.text').textContent]));

async function filterBy(page, { service = '', level = '', grep = '' }) {
  await page.selectOption('#log-service', service);
  await page.selectOption('#log-level', level);
  await page.fill('#log-grep', grep);
  await page.click('.log-filter button[type=submit]');
  // The tail of that filter has every stored line: what the list shows is that filter's.
  const key = JSON.stringify([service, level, grep]);
  await page.waitForFunction((key) => {
    const tail = document.querySelector('.tail');
    return tail?.dataset.filter === key && tail.dataset.caughtUp === 'true';
  }, key);
}

async function followAndPause(page) {
  feed('INFO marker-live first');
  await row(page, 'marker-live first').waitFor();
  feed(...Array.from({ length: 200 }, (_, i) => `INFO filler ${i}`));
  await row(page, 'filler 199').waitFor();
  await page.hover('.vlist');
  await page.mouse.wheel(0, -3000);
  const resume = page.locator('button.resume');
  await resume.waitFor();
  feed(...Array.from({ length: 5 }, (_, i) => `INFO after-pause ${i}`));
  await resume.filter({ hasText: /\b[5-9] new lines/ }).waitFor();
  check((await row(page, 'after-pause 4').count()) === 0, 'a paused list drew the newest line');
  await resume.click();
  await row(page, 'after-pause 4').waitFor();
  await page.locator('.log-status .following').waitFor();
}

async function filters(page) {
  await filterBy(page, { service: 'db' });
  const db = await rows(page);
  check(db.length > 0 && db.every(([source]) => source === 'db'), `service filter: ${JSON.stringify(db.slice(0, 3))}`);

  await filterBy(page, { level: 'error' });
  feed('INFO marker-info', 'ERROR marker-error');
  await row(page, 'marker-error').waitFor();
  const errors = await rows(page);
  check(errors.every(([, level]) => level === 'ERROR' || level === 'FATAL'), `level filter: ${JSON.stringify(errors.slice(0, 3))}`);
  check(errors.some(([source]) => source === 'db'), 'the level filter lost the db burst');

  await filterBy(page, { grep: 'marker-(info|error)' });
  await row(page, 'marker-info').waitFor();
  const matched = await rows(page);
  check(matched.length === 2 && matched.every(([, , text]) => /marker-(info|error)/.test(text)), `regex filter: ${JSON.stringify(matched)}`);

  // The feed writes its level first: once its format is learned, a row shows the message
  // alone, and the whole line on demand.
  const marker = row(page, 'marker-info').locator('.text');
  const alone = await marker.textContent();
  await page.click('.log-views button.raw');
  await row(page, 'INFO marker-info').waitFor();
  check((await marker.textContent()) === 'INFO marker-info', `the raw line: ${await marker.textContent()}`);
  check(alone === 'marker-info', `the message alone: ${alone}`);
  await page.click('.log-views button.raw');

  await page.fill('#log-grep', 'marker-(');
  await page.click('.log-filter button[type=submit]');
  await page.locator('.filter-problem').waitFor();
  const problem = await page.locator('.filter-problem').textContent();
  check(problem.includes('"marker-("') && problem.includes('unclosed group'), `a bad regex: ${problem}`);
  check((await rows(page)).length === 2, 'a bad regex emptied the list');
}

async function search(page) {
  await filterBy(page, {});
  await page.fill('#log-search', 'REFUSED');
  await page.locator('.match-count', { hasText: '12 matching lines' }).waitFor();
  await page.click('.log-search button[type=submit]');
  await page.locator('.log-row mark', { hasText: 'refused' }).first().waitFor();
  await page.locator('button.resume').waitFor();
  await axe(page, 'logs');
  await shoot(page, 'logs');
  await page.fill('#log-search', '');
  await page.click('button.resume');
}

async function patterns(page) {
  const template = 'connection to';
  // The miner works as lines arrive: wait until it has the burst's pattern.
  await page.waitForFunction(
    async ({ ws, template }) => {
      const list = await (await fetch(`/api/v1/workspaces/${ws}/logs/patterns`)).json();
      return list.some((p) => p.template.includes(template) && p.count >= 12);
    },
    { ws: WS, template },
    { polling: 250, timeout: 30_000 },
  );
  await page.click('.log-views button:has-text("Patterns")');
  const pattern = page.locator('.pattern-list tr[data-pattern]', { hasText: template });
  await pattern.waitFor();
  check((await pattern.locator('.count').textContent()) === '12', 'the pattern counts 12 lines');
  check((await pattern.locator('.flag').textContent()).includes('errors'), 'the error burst is not flagged');
  await axe(page, 'logs-patterns');
  await shoot(page, 'logs-patterns');
  await pattern.locator('button[data-action="lines"]').click();
  await page.locator('.pattern-scope').waitFor();
  await row(page, '10.0.0.12:5432').waitFor();
  const lines = await rows(page);
  check(lines.length === 12 && lines.every(([, , text]) => text.includes('refused')), `a pattern's lines: ${lines.length}`);
  await page.click('button.back');
}

async function flood(page) {
  uc('up', 'flood');
  await page.waitForFunction(() => parseInt(document.querySelector('.log-status .held')?.textContent.replace(/,/g, '') ?? '0') >= 5000, null, {
    polling: 500,
    timeout: 30_000,
  });
  results.flood_rows = await page.locator('.vlist .log-row').count();
  results.flood_held = parseInt((await page.locator('.log-status .held').textContent()).replace(/,/g, ''));
  check(await page.locator('.log-status .following').isVisible(), 'the flood turned follow off');
  uc('down', 'flood');
}

/** The engine goes down and up: the tail says so, comes back by itself, and a line it
 * held is not shown twice (the stream resumes after the last line held). */
async function reconnect(page) {
  await filterBy(page, { service: 'db' });
  const seqs = () => page.$$eval('.vlist .log-row', (els) => els.map((e) => Number(e.dataset.seq)));
  const before = Math.max(...(await seqs()));
  uc('down');
  await page.locator('.log-status .link:not(.live)').waitFor({ timeout: 10_000 });
  uc('up');
  await page.locator('.log-status .link.live').waitFor({ timeout: 30_000 });
  await page.waitForFunction(
    (before) => [...document.querySelectorAll('.vlist .log-row')].some((e) => Number(e.dataset.seq) > before && e.textContent.includes('10.0.0.12:5432')),
    before,
    { timeout: 30_000 },
  );
  const after = await seqs();
  check(new Set(after).size === after.length, `a line shown twice after reconnecting: ${after}`);
  uc('down', 'flood');
}

await run(150, async () => {
  const page = await signedIn(VIEWER, 'watch');
  await page.evaluate((hash) => (location.hash = hash), `#/ws/${WS}/logs`);
  await page.locator('.logs .link.live').waitFor({ timeout: 15_000 });
  await followAndPause(page);
  await filters(page);
  await search(page);
  await patterns(page);
  await flood(page);
  await reconnect(page);
});
