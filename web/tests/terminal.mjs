// Drives the live terminal in Debian's chromium against a real `uc serve` (run by
// tests/web_terminal.rs, with services `echo`, which echoes each line typed into its
// window, and `ticker`, which prints a numbered tick every 0.3 s). The operator opens the
// terminal from the service page with `t`, types and sees the echo; the viewer sees ticks
// arrive, reads only (nothing typed is sent) and the API refuses its keys. Tokens come in
// the environment, never on a command line. Prints one JSON line last.
import { check, env, open } from './browser.mjs';

const URL = env('UC_URL');
const WS = env('UC_WORKSPACE');
const OPERATOR = env('UC_OPERATOR_TOKEN');
const VIEWER = env('UC_VIEWER_TOKEN');
const SHOTS = env('UC_SCREENSHOTS');
const { signedIn, axe, shoot, run, results } = await open(URL);

const screen = (page) => page.locator('.terminal-page .xterm-rows');

async function operator(page) {
  await page.evaluate((ws) => (location.hash = `#/ws/${ws}/service/echo`), WS);
  await page.locator('.service-page .summary dd.state', { hasText: /^running/ }).waitFor({ timeout: 10_000 });
  check((await page.locator('.service-page a[data-action="terminal"]').count()) === 1, 'no Terminal link');
  await page.keyboard.press('t');
  await page.locator('.terminal-page [data-link="live"]').waitFor({ timeout: 10_000 });
  await screen(page).filter({ hasText: 'ready' }).waitFor();
  check((await page.locator('.terminal-page .typing').count()) === 1, 'the operator is not told typing goes to the window');
  // From the key press to the service's answer on the screen: the whole round trip.
  const start = Date.now();
  await page.keyboard.type('hello browser');
  await page.keyboard.press('Enter');
  await screen(page).filter({ hasText: 'echo: hello browser' }).waitFor({ timeout: 10_000 });
  results.echo_ms = Date.now() - start;
  await axe(page, 'terminal');
  await shoot(page, SHOTS, 'terminal');
  // Leaving the page closes the stream; the service is left alone (the Rust side checks).
  await page.click('.terminal-page a[href*="/service/echo"]');
  await page.locator('.service-page .summary dd.state', { hasText: /^running/ }).waitFor();
}

/** The highest tick on the screen. */
const lastTick = (page) =>
  page.evaluate(() => {
    const ticks = [...(document.querySelector('.xterm-rows')?.textContent ?? '').matchAll(/tick (\d+)/g)];
    return Math.max(-1, ...ticks.map((m) => Number(m[1])));
  });

async function viewer(page) {
  const sent = [];
  page.on('request', (r) => {
    if (r.url().includes('/terminal/keys')) sent.push(r.url());
  });
  await page.evaluate((ws) => (location.hash = `#/ws/${ws}/terminal/ticker`), WS);
  await page.locator('.terminal-page [data-link="live"]').waitFor({ timeout: 10_000 });
  await page.locator('.terminal-page .read-only', { hasText: 'read only' }).waitFor();
  await screen(page).filter({ hasText: /tick \d+/ }).waitFor({ timeout: 10_000 });
  const first = await lastTick(page);
  await page.waitForFunction((first) => {
    const ticks = [...(document.querySelector('.xterm-rows')?.textContent ?? '').matchAll(/tick (\d+)/g)];
    return ticks.some((m) => Number(m[1]) > first);
  }, first, { timeout: 10_000 });
  results.ticks_seen = (await lastTick(page)) - first;
  await page.locator('.terminal-page .term-box').click();
  await page.keyboard.type('zzz');
  await page.keyboard.press('Enter');
  const status = await page.evaluate(async (ws) => {
    const session = await (await fetch('/api/v1/session')).json();
    const r = await fetch(`/api/v1/workspaces/${ws}/services/ticker/terminal/keys`, {
      method: 'POST',
      headers: { 'X-CSRF-Token': session.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'zzz\r' }),
    });
    return r.status;
  }, WS);
  check(status === 403, `a viewer's keys answered ${status}`);
  // The refused fetch above is the only one: the read-only terminal sent nothing.
  check(sent.length === 1, `a viewer's terminal sent keys: ${sent.join(', ')}`);
  await axe(page, 'terminal-read-only');
}

await run(120, async () => {
  await operator(await signedIn(OPERATOR, 'ops'));
  await viewer(await signedIn(VIEWER, 'watch'));
});
