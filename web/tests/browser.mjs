// What the browser drivers share: the environment they are given, chromium (Debian's,
// through playwright-core), signing in, axe-core and screenshots, and the run that prints
// one JSON line last or fails with everything that went wrong.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function check(condition, what) {
  if (!condition) throw new Error(what);
}

// Evaluated through the devtools protocol: a <script> tag is inline script, which the CSP refuses.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A browser for one driver: `problems` gathers what its pages did wrong on their own
 * (uncaught errors, CSP refusals), `results` what it prints last. */
export async function open(url) {
  // CI runs as root, where chromium's sandbox cannot start.
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
    await page.goto(`${url}/`);
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.locator('.who .name', { hasText: name }).waitFor();
    return page;
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

  /** Screenshots at 1280×800 and 390×844 into `dir`, once the page fits each width. */
  async function shoot(page, dir, name) {
    mkdirSync(dir, { recursive: true });
    for (const [width, height] of [[1280, 800], [390, 844]]) {
      await page.setViewportSize({ width, height });
      await fits(page, width);
      await page.screenshot({ path: join(dir, `${name}-${width}x${height}.png`), fullPage: false });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  /** At each width nothing but a box that scrolls (a table's) may stick out. */
  async function fits(page, width) {
    const out = await page.evaluate((width) => {
      const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
      const inBox = (el) => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) return true;
        return false;
      };
      return [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > width + 1 && !inBox(el))
        .map((el) => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`);
    }, width);
    check(out.length === 0, `at ${width} px these stick out: ${out.slice(0, 5).join(', ')}`);
  }

  /** Runs `steps`, then prints `results`; a hung browser fails after `seconds`. */
  async function run(seconds, steps) {
    const guard = setTimeout(() => {
      console.error(`the browser test took over ${seconds} s`);
      process.exit(1);
    }, seconds * 1000);
    try {
      await steps();
      check(problems.length === 0, problems.join('\n'));
      console.log(JSON.stringify(results));
    } catch (e) {
      console.error(`${e.stack ?? e}${problems.length ? `\n${problems.join('\n')}` : ''}`);
      process.exitCode = 1;
    } finally {
      await browser.close();
      clearTimeout(guard);
    }
  }

  return { signedIn, axe, shoot, run, results };
}
