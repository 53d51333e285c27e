// The course-page stand-in (embed-parent.html), served on the app's own origin by
// a route of the test's browser context, so it works with --dist and --url alike.
// (A page from another host would be a "public" page to Chromium, which then
// refuses to frame the app on 127.0.0.1: local network access protection.)
// Used by embed.mjs and lessons.mjs; visual.mjs frames the app the same way.
import path from 'node:path';
import { AssertionError, HERE, assert, waitFor, waitForApp } from './lib.mjs';

export const EMBED_PARENT = path.join(HERE, 'embed-parent.html');
/** Where the course-page stand-in is served (by a route on the test's own context). */
export const PARENT_PATH = '__e2e__/embed-parent.html';

export async function openCoursePage(t, { src, code, width = 800, height = 500, viewport }) {
  const page = await t.newPage({ viewport: viewport || { width, height }, url: null });
  await page.context().route(`**/${PARENT_PATH}*`, (route) =>
    route.fulfill({ path: EMBED_PARENT, contentType: 'text/html; charset=utf-8' }),
  );
  // Errors inside the iframe, whatever the browser reports to the page events.
  await page.context().addInitScript(() => {
    window.__e2eErrors = [];
    addEventListener('error', (e) => window.__e2eErrors.push(`error: ${e.message}`));
    addEventListener('unhandledrejection', (e) => window.__e2eErrors.push(`unhandled rejection: ${e.reason}`));
    const orig = console.error.bind(console);
    console.error = (...a) => {
      window.__e2eErrors.push(`console.error: ${a.join(' ')}`);
      orig(...a);
    };
  });
  const parent = new URL(PARENT_PATH, t.baseUrl);
  if (code) {
    parent.search = 'code=1';
    parent.hash = encodeURIComponent(code);
  } else {
    parent.search = new URLSearchParams({ src, w: String(width), h: String(height) }).toString();
  }
  await page.goto(parent.href, { waitUntil: 'load' });
  const app = page.frameLocator('#kafkascope');
  await waitForApp(app);
  const frame = page.frames().find((f) => f !== page.mainFrame());
  assert(frame, 'the course page has no iframe');
  return { page, app, frame };
}

export const messages = (page) => page.evaluate(() => window.kafkascopeMessages);

export async function waitForMessage(page, predicate, describe, { timeout = 8000, after = 0 } = {}) {
  let all = [];
  try {
    return await waitFor(
      async () => {
        all = await messages(page);
        return all.slice(after).find((m) => predicate(m.data));
      },
      { timeout, interval: 30 },
    );
  } catch {
    const tail = all.slice(-5).map((m) => JSON.stringify(m.data).slice(0, 160));
    throw new AssertionError(`the course page never got ${describe} within ${timeout} ms; last messages:\n      ${tail.join('\n      ')}`);
  }
}

export const send = (page, data) => page.evaluate((d) => window.sendToKafkascope(d), data);

export function assertStepMessage(d, what) {
  assert(d.source === 'kafkascope' && d.version === 1 && d.type === 'step', `${what}: not a kafkascope v1 step message: ${JSON.stringify(d)}`);
  for (const [k, type] of [
    ['step', 'number'],
    ['lastStep', 'number'],
    ['timeMs', 'number'],
    ['playing', 'boolean'],
    ['narration', 'string'],
  ]) {
    assert(typeof d[k] === type, `${what}: "${k}" is ${JSON.stringify(d[k])}, expected a ${type}: ${JSON.stringify(d)}`);
  }
  for (const k of ['stage', 'stageNumber', 'lesson']) assert(k in d, `${what}: no "${k}" field: ${JSON.stringify(d)}`);
  assert(d.step <= d.lastStep, `${what}: step ${d.step} is after lastStep ${d.lastStep}`);
}

/** Errors recorded inside the iframe by the init script. */
export async function frameErrors(frame) {
  return frame.evaluate(() => window.__e2eErrors || []).catch(() => []);
}

export async function assertNoOverflow(frameOrPage, width, what) {
  const w = await frameOrPage.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
  assert(w <= width, `${what}: horizontal overflow (scrollWidth ${w} > ${width})`);
}

export async function assertInsideFrame(page, app, locator, what) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  const fbox = await page.locator('#kafkascope').boundingBox();
  assert(box && fbox, `${what} has no bounding box`);
  assert(
    box.x >= fbox.x - 0.5 &&
      box.y >= fbox.y - 0.5 &&
      box.x + box.width <= fbox.x + fbox.width + 0.5 &&
      box.y + box.height <= fbox.y + fbox.height + 0.5,
    `${what} is not inside the ${fbox.width}x${fbox.height} iframe (even after scrolling): ${JSON.stringify(box)}`,
  );
}
