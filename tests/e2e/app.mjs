// Reading and driving the app beyond the UI contract of lib.mjs, for the
// feature files (links.mjs, time-travel.mjs, embed.mjs, lessons.mjs, …) and
// visual.mjs: the step counter ("Step N of M"), the narration panel, the stage's
// picture and snapshots of what is on screen, links in the address bar, presets,
// pages opened on a query, the Speed select, screenshots named i9-*.png and the
// DOM probe. `root` is a Page or a FrameLocator (the app inside an iframe).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  AssertionError,
  OUT_DIR,
  assert,
  setLabelled,
  sleep,
  stepButton,
  stepCounter,
  waitFor,
  waitForApp,
} from './lib.mjs';

export const DESKTOP = { width: 1280, height: 800 };
/** Index of "16 steps/s" in the Speed select (model::SPEED_LABELS). */
export const FASTEST_SPEED = '5';

// ---------------------------------------------------------------------------
// The step counter, the narration, the picture, links.

export const exact = (s) => new RegExp(`^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'i');
export const backButton = (root) => root.getByRole('button', { name: exact('Step back') });
export const narrationPanel = (root) => root.locator('[role="status"]:has(.narration-title)');
export const forkBanner = (root) => root.locator('[role="status"].banner.fork');
export const alertDialog = (root) => root.getByRole('alertdialog');
// The large stage (side by side, the lane cards hold small copies too).
export const stageSvg = (root) => root.locator('.stage-wrap svg.stage').first();

export async function narrationText(root) {
  const panel = narrationPanel(root);
  assert((await panel.count()) === 1, 'expected one role="status" narration panel (with a .narration-title)');
  return (await panel.innerText()).replace(/\s+/g, ' ').trim();
}

/**
 * "Step N" (at the live edge) or "Step N of M" (replaying the past, M the
 * history's length) → { step: N, last: M, or N at the live edge }.
 */
export async function counter(root) {
  const text = (await stepCounter(root).innerText()).replace(/\s+/g, ' ').trim();
  const m = text.match(/^Step (\d+)(?: of (\d+))?$/);
  assert(m, `step counter does not read "Step N" or "Step N of M": "${text}"`);
  return { step: Number(m[1]), last: m[2] === undefined ? Number(m[1]) : Number(m[2]), text };
}

export async function waitForStep(root, n, { last, timeout = 10_000, what = '' } = {}) {
  let seen = '';
  try {
    await waitFor(
      async () => {
        const c = await counter(root);
        seen = c.text;
        return c.step === n && (last === undefined || c.last === last);
      },
      { timeout, interval: 30 },
    );
  } catch {
    const want = last === undefined ? `Step ${n}` : `Step ${n} of ${last}`;
    throw new AssertionError(`${what ? `${what}: ` : ''}the step counter never read "${want}" within ${timeout} ms; it reads "${seen}"`);
  }
}

/** The stage's SVG markup once two reads 40 ms apart agree (the render has settled). */
export async function picture(root) {
  let prev = null;
  for (let i = 0; i < 50; i++) {
    // What is drawn, not where: the stage lays itself out to fill its box,
    // so a banner above it moves every coordinate of the same picture.
    const cur = await stageSvg(root).evaluate((el) => {
      const c = el.cloneNode(true);
      // (A label narrowed to its room has a textLength: geometry too.)
      const geometry = ['x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'width', 'height', 'transform', 'd', 'style', 'viewBox', 'textLength', 'lengthAdjust'];
      for (const n of [c, ...c.querySelectorAll('*')]) for (const a of geometry) n.removeAttribute(a);
      // Labels are ellipsized to the room they get; the tooltips and the
      // accessible names keep the full text, and they are compared.
      for (const t of c.querySelectorAll('text')) for (const n of [...t.childNodes]) if (n.nodeType === 3) n.remove();
      for (const t of c.querySelectorAll('text > tspan')) t.textContent = '';
      c.classList.remove('overflow');
      return c.outerHTML;
    });
    if (cur === prev) return cur;
    prev = cur;
    await sleep(40);
  }
  return prev;
}

/** Where two pictures first differ, for a readable failure. */
export function pictureDiff(a, b) {
  if (a === b) return 'identical';
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const at = (s) => JSON.stringify(s.slice(Math.max(0, i - 60), i + 100));
  return `lengths ${a.length} vs ${b.length}; first difference at ${i}:\n      ${at(a)}\n  vs  ${at(b)}`;
}

export function assertSamePicture(got, want, what) {
  assert(got === want, `${what}: the stage's SVG differs; ${pictureDiff(got, want)}`);
}

/** Everything that identifies what is on screen: counter, narration, picture. */
export async function snapshot(root) {
  const c = await counter(root);
  return { step: c.step, last: c.last, narration: await narrationText(root), svg: await picture(root), cluster: await clusterState(root) };
}

/**
 * The cluster's state in words, whatever the size of the stage's box: each
 * leader's high watermark and log end offset, each broker's state (their
 * accessible names). An iframe and a full page lay the same step out
 * differently; this must agree.
 */
export async function clusterState(root) {
  return root
    .locator('.stage-wrap svg.stage g.row.leader, .stage-wrap svg.stage [data-fk^="broker-"]')
    .evaluateAll((gs) => gs.map((g) => g.getAttribute('aria-label')).sort().join(' | '));
}

export function assertSameSnapshot(got, want, what) {
  assert(got.step === want.step, `${what}: step ${got.step}, expected ${want.step}`);
  assert(got.narration === want.narration, `${what}: the narration differs:\n      "${got.narration}"\n  vs  "${want.narration}"`);
  assertSamePicture(got.svg, want.svg, what);
}

/** Press Step forward until the counter reads `n`, recording each step's snapshot. */
export async function stepTo(root, n, shots = null) {
  for (let guard = 0; guard < n + 50; guard++) {
    const { step } = await counter(root);
    if (shots && !shots[step]) shots[step] = await snapshot(root);
    if (step >= n) return;
    await stepButton(root).click();
    await waitForStep(root, step + 1, { what: `Step forward from ${step}` });
  }
  throw new AssertionError(`could not step to ${n}`);
}

export async function openFragment(t, fragment, viewport = { width: 1280, height: 800 }) {
  const page = await t.newPage({ viewport, url: new URL(`#${fragment.replace(/^#/, '')}`, t.baseUrl).href });
  await waitForApp(page);
  return page;
}

export const fragmentOf = async (page) => (await page.evaluate(() => location.hash)).replace(/^#/, '');

export async function waitForFragment(page, predicate, describe) {
  let last = '';
  try {
    return await waitFor(async () => predicate((last = await fragmentOf(page))) && last, { timeout: 5000 });
  } catch {
    throw new AssertionError(`the URL fragment never ${describe}; it is "#${last}"`);
  }
}

/** The current step's v1 link from the address bar (the app keeps it there while paused). */
export async function currentLink(page, step) {
  return waitForFragment(page, (f) => /^v1\.[A-Za-z0-9._-]+$/.test(f), `held a v1 link at step ${step}`);
}

export async function loadPreset(page, id) {
  await setLabelled(page, 'Scenario', id);
  await waitFor(async () => (await narrationText(page)).startsWith('Ready:'), {
    timeout: 5000,
    describe: () => `the preset "${id}" to load (narration "Ready: …")`,
  });
  await waitForStep(page, 0);
}

/** Records alert/confirm/prompt dialogs (and dismisses them) on a page. */
export function recordDialogs(page) {
  const seen = [];
  page.on('dialog', (d) => {
    seen.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  return seen;
}

// ---------------------------------------------------------------------------
// Pages opened on a query, the Speed select, stepping, screenshots.

/** Screenshot into OUT_DIR as i9-<label>.png (listed with the test's result). */
export async function shot(t, page, label) {
  await mkdir(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `i9-${label}.png`);
  await page.screenshot({ path: file });
  t.shots.push(path.relative(process.cwd(), file));
  return file;
}

export const pageUrl = (t, query = '') => new URL(query || './', t.baseUrl).href;

/** A fresh context and page on `query` (e.g. "?preset=x"), booted. */
export async function openPage(t, query = '', { viewport = DESKTOP, ...contextOptions } = {}) {
  const page = await t.newPage({ viewport, url: pageUrl(t, query), ...contextOptions });
  await waitForApp(page);
  return page;
}

/** The select labelled `label`, opening the settings drawer ("Settings") if it is closed. */
export async function selectControl(page, label) {
  const select = page.getByRole('combobox', { name: label, exact: true });
  if ((await select.count()) === 0) {
    const settings = page.getByRole('button', { name: 'Settings', exact: true });
    if ((await settings.count()) === 1 && (await settings.getAttribute('aria-expanded')) !== 'true') {
      await settings.click();
      await select.first().waitFor({ state: 'attached', timeout: 3000 }).catch(() => {});
    }
  }
  assert((await select.count()) === 1, `expected one select labelled "${label}", found ${await select.count()}`);
  return select;
}

/** The Speed select's fastest option (its last). */
export async function setFastest(root) {
  const speed = await selectControl(root, 'Speed');
  const values = await speed.evaluate((s) => [...s.options].map((o) => ({ value: o.value, label: o.textContent })));
  assert(values.length > 0, 'the Speed select has no options');
  const last = values[values.length - 1];
  await setLabelled(root, 'Speed', last.value);
  const rate = Number((last.label.match(/([\d.]+)\s*steps?\/s/) || [])[1]);
  return rate > 0 ? Math.ceil(1000 / rate) : 62;
}

/** Press Step forward `n` times, each time waiting (up to 1.5 s) for the counter to move. */
export async function stepForward(page, n = 1) {
  let moved = 0;
  for (let i = 0; i < n; i++) {
    const before = (await counter(page)).step;
    await stepButton(page).click();
    const ok = await waitFor(async () => (await counter(page)).step !== before, { timeout: 1500, interval: 20 }).then(
      () => true,
      () => false,
    );
    if (ok) moved++;
  }
  return moved;
}

/** Whether the transport shows Pause (the run is playing). */
export const isPlaying = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('button')].some((b) => /^\s*pause\s*$/i.test(b.getAttribute('aria-label') || b.textContent || '')),
  );

// ---------------------------------------------------------------------------
// Playing: DOM size and long tasks, measured in the page (performance.mjs, visual.mjs).

/**
 * Init script: window.__i9 records the largest element count the DOM reached
 * (after every batch of mutations) and every long task. Once the DOM passes
 * `bound` it notes the step counter and stops watching (a runaway DOM would
 * otherwise make the observer itself the bottleneck).
 */
export function perfProbe(bound) {
  const realNow = performance.now.bind(performance);
  const s = (window.__i9 = { maxDom: 0, over: null, long: [], mark: 0, now: realNow });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) s.long.push({ start: e.startTime, dur: Math.round(e.duration) });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {
    s.noLongtask = String(e);
  }
  const count = () => {
    const n = document.getElementsByTagName('*').length;
    if (n > s.maxDom) s.maxDom = n;
    if (n > bound && !s.over) {
      const c = document.querySelector('[data-testid="step-counter"]');
      s.over = { n, counter: c ? c.textContent.replace(/\s+/g, ' ').trim() : '?' };
      mo.disconnect();
    }
  };
  const mo = new MutationObserver(count);
  mo.observe(document, { childList: true, subtree: true });
  s.start = () => {
    s.maxDom = document.getElementsByTagName('*').length;
    s.mark = realNow();
  };
}
