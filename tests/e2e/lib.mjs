// Helpers for kafkascope's end-to-end tests: a tiny test runner, the browser
// set-up for Debian Chromium, locators for the UI contract, and Kafka's murmur2.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = path.join(HERE, 'out');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// ---------------------------------------------------------------------------
// Kafka's murmur2 (port of org.apache.kafka.common.utils.Utils.murmur2), on
// 32-bit signed ints via Math.imul / `| 0`, over the key's UTF-8 bytes (what the
// default StringSerializer produces).

export function murmur2(input) {
  const data = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const length = data.length;
  const seed = 0x9747b28c | 0;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) | ((data[i4 + 1] & 0xff) << 8) | ((data[i4 + 2] & 0xff) << 16) | ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  switch (length % 4) {
    case 3:
      h ^= (data[tail + 2] & 0xff) << 16;
    // falls through
    case 2:
      h ^= (data[tail + 1] & 0xff) << 8;
    // falls through
    case 1:
      h ^= data[tail] & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive. */
export const toPositive = (n) => n & 0x7fffffff;

/** The partition Kafka's default partitioner picks for a non-null key. */
export const kafkaPartitionForKey = (key, numPartitions) => toPositive(murmur2(key)) % numPartitions;

/** Test vectors from Kafka's UtilsTest.testMurmur2 (plus "" and "abc"). */
export const MURMUR2_VECTORS = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
  ['', 275646681],
];

// ---------------------------------------------------------------------------
// Assertions and waiting.

export class AssertionError extends Error {}

/** Thrown by a test that does not apply to this run; reported as SKIP. */
export class SkipTest extends Error {}

export function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

/**
 * Collects problems, so a test reports every one it finds rather than the
 * first: `check(cond, msg)`, `add(msg)`, then `done(header)` fails with all.
 */
export function problems() {
  const list = [];
  return {
    list,
    check(cond, msg) {
      if (!cond) list.push(msg);
      return !!cond;
    },
    add(msg) {
      list.push(msg);
    },
    done(header) {
      assert(list.length === 0, `${header} (${list.length}):\n  - ${list.join('\n  - ')}`);
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value; throw `describe()` on timeout. */
export async function waitFor(fn, { timeout = 5000, interval = 50, describe = () => 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message.split('\n')[0]})` : '';
      throw new AssertionError(`timed out after ${timeout} ms waiting for ${describe()}${why}`);
    }
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------
// Browser and pages.

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A per-test context. Every page opened through it records console errors,
 * uncaught page errors, failed requests and HTTP errors; `ctx.checkErrors()`
 * throws if any were seen.
 */
export class TestContext {
  constructor(name, browser, baseUrl) {
    this.name = name;
    this.browser = browser;
    this.baseUrl = baseUrl;
    this.errors = [];
    this.contexts = [];
    this.shots = [];
  }

  async newPage({ viewport = { width: 1280, height: 720 }, url = this.baseUrl, ...contextOptions } = {}) {
    const context = await this.browser.newContext({ viewport, ...contextOptions });
    this.contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.errors.push(`console.error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => this.errors.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => {
      const why = req.failure()?.errorText || '';
      // ERR_ABORTED: a request cancelled by a navigation/reload, not a failure of the app.
      if (!why.includes('ERR_ABORTED')) this.errors.push(`request failed: ${req.url()} (${why})`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) this.errors.push(`HTTP ${res.status()} for ${res.url()}`);
    });
    if (url) await page.goto(url, { waitUntil: 'load' });
    return page;
  }

  async screenshot(page, label) {
    await mkdir(OUT_DIR, { recursive: true });
    const file = path.join(OUT_DIR, `${this.name}-${label}.png`);
    await page.screenshot({ path: file });
    this.shots.push(path.relative(process.cwd(), file));
    return file;
  }

  checkErrors() {
    assert(this.errors.length === 0, `errors in the page:\n  ${this.errors.join('\n  ')}`);
  }

  async close() {
    await Promise.allSettled(this.contexts.map((c) => c.close()));
  }
}

// ---------------------------------------------------------------------------
// The UI contract (see tests/e2e/README.md).

export const STAGES = [
  'Create',
  'Serialize',
  'Partition',
  'Send',
  'Append',
  'Acknowledge',
  'Poll',
  'Deserialize & process',
  'Commit',
];

const exactName = (name) => new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'i');
export const stepButton = (page) => page.getByRole('button', { name: exactName('Step forward') });
export const playButton = (page) => page.getByRole('button', { name: exactName('Play') });
export const pauseButton = (page) => page.getByRole('button', { name: exactName('Pause') });
export const statusRegion = (page) => page.getByRole('status');
export const stepCounter = (page) => page.getByTestId('step-counter');

/** Wait until the app has booted: the Step forward button is visible. */
export async function waitForApp(page, timeout = 30_000) {
  try {
    await stepButton(page).first().waitFor({ state: 'visible', timeout });
  } catch {
    const body = (await page.locator('body').innerText().catch(() => '')).slice(0, 300).replace(/\s+/g, ' ');
    throw new AssertionError(`app did not show a button named "Step forward" within ${timeout} ms; body text: "${body}"`);
  }
  assert((await stepButton(page).count()) === 1, 'expected exactly one button named "Step forward"');
}

/** Text of the role="status" region(s) (joined with " | " if there are several). */
export async function narration(page) {
  const texts = await statusRegion(page).allInnerTexts();
  return texts.map((t) => t.replace(/\s+/g, ' ').trim()).join(' | ');
}

export async function waitForNarration(page, predicate, describe, timeout = 5000) {
  let last = '';
  try {
    return await waitFor(
      async () => {
        last = await narration(page);
        return predicate(last) ? last : null;
      },
      { timeout },
    );
  } catch {
    throw new AssertionError(`role="status" never ${describe} within ${timeout} ms; it says: "${last}"`);
  }
}

export const stageText = (k) => `Stage ${k} of 9`;

/** Wait until the narration says "Stage k of 9" and names stage k. */
export async function expectStage(page, k) {
  const name = STAGES[k - 1];
  return waitForNarration(
    page,
    (t) => t.includes(stageText(k)) && t.includes(name),
    `said "${stageText(k)}" with the stage name "${name}"`,
  );
}

/** The first integer in the step counter's text. */
export async function stepCount(page) {
  const el = stepCounter(page);
  const n = await el.count();
  assert(n === 1, `expected one element with data-testid="step-counter", found ${n}`);
  const text = await el.innerText();
  const m = text.match(/-?\d+/);
  assert(m, `step counter has no number in its text: "${text}"`);
  return Number(m[0]);
}

/** Move focus off any control so keyboard shortcuts go to the document. */
export async function blurActive(page) {
  await page.evaluate(() => {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  });
}

/**
 * The form control whose accessible name is exactly `label` (a <label> around
 * or for it, aria-label, aria-labelledby). Matched by role + accessible name,
 * not getByLabel: for a <select> inside its <label>, getByLabel compares the
 * label's whole text, options included ("Partitions123..."), so exact never matches.
 */
export function labelledControl(page, label) {
  const opts = { name: label, exact: true };
  return page
    .getByRole('combobox', opts)
    .or(page.getByRole('listbox', opts))
    .or(page.getByRole('spinbutton', opts))
    .or(page.getByRole('textbox', opts));
}

/** Set a labelled <input> or <select> to `value`, firing input and change. */
export async function setLabelled(page, label, value) {
  // (A page just opened: its controls exist once the app has booted.)
  await waitForApp(page);
  const control = labelledControl(page, label);
  let count = await control.count();
  if (count === 0) {
    // The settings live in a drawer: open it (the "Settings" button).
    const settings = page.getByRole('button', { name: 'Settings', exact: true });
    if ((await settings.count()) === 1 && (await settings.getAttribute('aria-expanded')) !== 'true') {
      await settings.click();
      await control.first().waitFor({ state: 'attached', timeout: 3000 }).catch(() => {});
      count = await control.count();
    }
  }
  assert(count === 1, `expected one form control labelled "${label}" (role combobox/listbox/spinbutton/textbox), found ${count}`);
  const tag = await control.evaluate((el) => el.tagName.toLowerCase());
  if (tag === 'select') {
    await control.selectOption(String(value));
  } else {
    assert(tag === 'input' || tag === 'textarea', `control labelled "${label}" is a <${tag}>, not an input or select`);
    await control.fill(String(value));
    await control.dispatchEvent('change');
  }
  return control;
}

// ---------------------------------------------------------------------------
// What a person sees: hit testing, settled animations, accessibility (axe-core).

/** axe-core's browser bundle (npm dev dependency). */
export const AXE_PATH = path.join(HERE, '..', '..', 'node_modules', 'axe-core', 'axe.min.js');
/** The WCAG 2.0/2.1/2.2 A and AA rules. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Runs axe-core on the page (injected once per document) with the WCAG A/AA
 * rules; returns [{ id, impact, help, targets: [selector…], count, html, summary }] (html and
 * summary: the first node's markup and axe's advice).
 */
export async function runAxe(page, { tags = AXE_TAGS } = {}) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ path: AXE_PATH });
  }
  const result = await page.evaluate(async (values) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      count: v.nodes.length,
      targets: v.nodes.map((n) => n.target.map(String).join(' ')),
      html: v.nodes[0] ? v.nodes[0].html.replace(/\s+/g, ' ').slice(0, 160) : '',
      summary: v.nodes[0] ? (v.nodes[0].failureSummary || '').replace(/\s+/g, ' ').slice(0, 300) : '',
    }));
  }, tags);
  return result;
}

/** One line per violation: rule id, impact, count and the first few targets. */
export function describeAxe(violations, firstTargets = 3) {
  return violations
    .map((v) => `${v.id} (${v.impact}, ${v.count} node${v.count === 1 ? '' : 's'}): ${v.targets.slice(0, firstTargets).join(' | ')}` +
      (v.html ? ` — first: ${v.html}` : '') + (v.summary ? ` — ${v.summary}` : ''))
    .join('\n');
}

/**
 * In the page: is element `el` seen by a person? Its centre must be inside the
 * viewport and document.elementFromPoint there must be `el`, inside it, or a
 * control that contains it. Returns { ok, why, cx, cy, hit }.
 * (Passed to page.evaluate / locator.evaluate; keep it self-contained.)
 */
export function seenInPage(el) {
  const describe = (n) => {
    if (!n) return 'nothing';
    const cls = typeof n.className === 'string' ? n.className : (n.className && n.className.baseVal) || '';
    const label = n.getAttribute && (n.getAttribute('aria-label') || '');
    const text = (n.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 40);
    const landmark = n.closest && n.closest('footer, header, nav, aside, [role=dialog], main');
    const lm = landmark && landmark !== n ? ` in <${landmark.tagName.toLowerCase()}${landmark.className ? `.${String(landmark.className.baseVal ?? landmark.className).split(' ')[0]}` : ''}>` : '';
    return `<${n.tagName.toLowerCase()}${cls ? `.${cls.trim().split(/\s+/).join('.')}` : ''}>${label ? ` "${label.slice(0, 50)}"` : text ? ` "${text}"` : ''}${lm}`;
  };
  const r = el.getBoundingClientRect();
  const cx = r.left + r.width / 2;
  const cy = r.top + r.height / 2;
  const base = { cx: Math.round(cx), cy: Math.round(cy), w: Math.round(r.width), h: Math.round(r.height), what: describe(el) };
  if (r.width === 0 || r.height === 0) return { ...base, ok: false, why: `it is not rendered (${r.width}x${r.height})` };
  if (cx < 0 || cy < 0 || cx >= innerWidth || cy >= innerHeight) {
    return { ...base, ok: false, why: `its centre (${Math.round(cx)}, ${Math.round(cy)}) is outside the ${innerWidth}x${innerHeight} viewport` };
  }
  const hit = document.elementFromPoint(cx, cy);
  if (hit && (hit === el || el.contains(hit))) return { ...base, ok: true, hit: describe(hit) };
  const control = hit && hit.closest('button, a[href], input, select, textarea, summary, label, [role=button], [role=tab], [role=link], [tabindex]');
  if (control && control.contains(el)) return { ...base, ok: true, hit: describe(hit) };
  return { ...base, ok: false, hit: describe(hit), why: `at its centre (${Math.round(cx)}, ${Math.round(cy)}) the page shows ${describe(hit)}` };
}

/** Asserts that `locator` (one element) is inside the viewport and not covered. */
export async function assertSeen(locator, what) {
  const r = await locator.evaluate(seenInPage);
  assert(r.ok, `${what} is not visible to a person: ${r.why}`);
  return r;
}

/** Waits until every finite CSS animation/transition of the page has finished. */
export async function waitForAnimations(page, timeout = 5000) {
  await waitFor(
    () =>
      page.evaluate(() =>
        document.getAnimations().every((a) => {
          const iterations = a.effect && a.effect.getTiming ? a.effect.getTiming().iterations : 1;
          return iterations === Infinity || a.playState !== 'running';
        }),
      ),
    { timeout, interval: 50, describe: () => 'the page\'s animations to finish' },
  );
}

// ---------------------------------------------------------------------------
// The runner.

/**
 * Run tests: [{ name, fn(t), browser?: true, timeout?, tags?: [word] }]. Prints PASS/FAIL/SKIP
 * per test and a closing "e2e: N passed, N failed[, N skipped]" line; returns
 * the failure count.
 */
export async function runTests(tests, { baseUrl, filter, server } = {}) {
  // A filter word selects the tests whose name contains it, or that carry it as a tag.
  const selected = tests.filter((t) => !filter || filter.some((f) => t.name.includes(f) || (t.tags || []).includes(f)));
  if (selected.length === 0) {
    console.error(`no test matches ${JSON.stringify(filter)}`);
    return 1;
  }
  let browser = null;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const t0 = Date.now();
  try {
    for (const test of selected) {
      const started = Date.now();
      let ctx = null;
      try {
        if (test.browser !== false && !browser) browser = await launchBrowser();
        ctx = new TestContext(test.name, browser, baseUrl);
        ctx.server = server;
        const timeout = test.timeout ?? 60_000;
        let timer;
        await Promise.race([
          test.fn(ctx),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new AssertionError(`test timed out after ${timeout} ms`)), timeout);
          }),
        ]).finally(() => clearTimeout(timer));
        ctx.checkErrors();
        passed++;
        const shots = ctx.shots.length ? `  [${ctx.shots.join(', ')}]` : '';
        console.log(`PASS ${test.name} (${((Date.now() - started) / 1000).toFixed(1)} s)${shots}`);
      } catch (err) {
        if (err instanceof SkipTest) {
          skipped++;
          console.log(`SKIP ${test.name}: ${err.message}`);
          continue;
        }
        failed++;
        const reason = err instanceof AssertionError ? err.message : (err && err.stack) || String(err);
        console.log(`FAIL ${test.name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n    ${reason.split('\n').join('\n    ')}`);
        if (ctx && ctx.errors.length && !(err instanceof AssertionError && err.message.startsWith('errors in the page'))) {
          console.log(`    also, errors in the page:\n      ${ctx.errors.join('\n      ')}`);
        }
        if (ctx) {
          for (const [i, c] of ctx.contexts.entries()) {
            for (const p of c.pages()) {
              await ctx.screenshot(p, `failure-${i}`).catch(() => {});
            }
          }
          if (ctx.shots.length) console.log(`    screenshots: ${ctx.shots.join(', ')}`);
        }
      } finally {
        if (ctx) await ctx.close();
      }
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  console.log(`\nran ${selected.length} end-to-end tests in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed;
}
