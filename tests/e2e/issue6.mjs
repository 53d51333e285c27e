// End-to-end tests for links, time travel, embedding and lessons (issue 6).
// Registered by run.mjs; see tests/e2e/README.md ("Links, time travel, embedding
// and lessons") for what each test checks.
//
// Sources of truth read here, so that the tests follow the project rather than
// copies of it: the golden link corpus tests/data/links/v1.txt (bad links per
// error class), the lesson index INDEX of src/lesson.rs (which lessons the
// gallery lists; `kafkascope lesson list --json`, project.mjs) and each lesson's text as the server serves it (lessons/<id>.lesson:
// its title, stops and questions).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AssertionError,
  HERE,
  assert,
  assertSeen,
  blurActive,
  expectStage,
  kafkaPartitionForKey,
  murmur2,
  pauseButton,
  playButton,
  setLabelled,
  sleep,
  stepButton,
  stepCounter,
  waitFor,
  waitForApp,
} from './lib.mjs';
import { lessonIndex } from './project.mjs';

const REPO = path.resolve(HERE, '..', '..');
const EMBED_PARENT = path.join(HERE, 'embed-parent.html');
/** Where the course-page stand-in is served (by a route on the test's own context). */
const PARENT_PATH = '__e2e__/embed-parent.html';
/** Index of "16 steps/s" in the Speed select (model::SPEED_LABELS). */
const FASTEST_SPEED = '5';

// ---------------------------------------------------------------------------
// Project files.

/** The golden corpus: [{ line, description, expect, link }]. */
export function goldenLinks() {
  const lines = readFileSync(path.join(REPO, 'tests', 'data', 'links', 'v1.txt'), 'utf8').split('\n');
  const out = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = lines[i].match(/^# (.*) => (.*)$/);
    if (!m || !lines[i + 1].trim() || lines[i + 1].startsWith('#')) continue;
    out.push({ line: i + 2, description: m[1], expect: m[2].trim(), link: lines[i + 1].trim() });
  }
  return out;
}

/**
 * The parts of a lesson file the tests need (format in src/lesson.rs):
 * { id, title, beats: [{ step, question: { choices, answer } | null }] }.
 */
export function parseLesson(text) {
  const lesson = { id: '', title: '', beats: [] };
  let beat = null;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('#')) continue;
    let m;
    if ((m = line.match(/^step\s+(\d+)\s*$/))) {
      beat = { step: Number(m[1]), question: null };
      lesson.beats.push(beat);
    } else if (!beat && (m = line.match(/^(lesson|title):\s*(.*)$/))) {
      lesson[m[1] === 'lesson' ? 'id' : 'title'] = m[2].trim();
    } else if (beat && line.startsWith('ask:')) {
      beat.question = { choices: [], answer: -1 };
    } else if (beat && beat.question && (m = line.match(/^([-*]) (.*)$/))) {
      if (m[1] === '*') beat.question.answer = beat.question.choices.length;
      beat.question.choices.push(m[2].trim());
    }
  }
  return lesson;
}

export async function fetchLesson(baseUrl, id) {
  const url = new URL(`lessons/${id}.lesson`, baseUrl).href;
  const res = await fetch(url);
  assert(res.ok, `GET ${url}: HTTP ${res.status}`);
  const lesson = parseLesson(await res.text());
  assert(lesson.id === id && lesson.title && lesson.beats.length > 0, `${url} does not parse as lesson "${id}"`);
  return lesson;
}

// ---------------------------------------------------------------------------
// Page helpers. `root` is a Page or a FrameLocator (the app inside an iframe).

const exact = (s) => new RegExp(`^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'i');
const backButton = (root) => root.getByRole('button', { name: exact('Step back') });
const narrationPanel = (root) => root.locator('[role="status"]:has(.narration-title)');
const forkBanner = (root) => root.locator('[role="status"].banner.fork');
const alertDialog = (root) => root.getByRole('alertdialog');
// The large stage (side by side, the lane cards hold small copies too).
const stageSvg = (root) => root.locator('.stage-wrap svg.stage').first();

export async function narrationText(root) {
  const panel = narrationPanel(root);
  assert((await panel.count()) === 1, 'expected one role="status" narration panel (with a .narration-title)');
  return (await panel.innerText()).replace(/\s+/g, ' ').trim();
}

/** "Step N of M" → { step: N, last: M | null }. */
export async function counter(root) {
  const text = (await stepCounter(root).innerText()).replace(/\s+/g, ' ').trim();
  const m = text.match(/Step (\d+)(?: of (\d+))?/);
  assert(m, `step counter does not read "Step N of M": "${text}"`);
  return { step: Number(m[1]), last: m[2] === undefined ? null : Number(m[2]), text };
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
      const geometry = ['x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'width', 'height', 'transform', 'd', 'style', 'viewBox'];
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
function pictureDiff(a, b) {
  if (a === b) return 'identical';
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const at = (s) => JSON.stringify(s.slice(Math.max(0, i - 60), i + 100));
  return `lengths ${a.length} vs ${b.length}; first difference at ${i}:\n      ${at(a)}\n  vs  ${at(b)}`;
}

function assertSamePicture(got, want, what) {
  assert(got === want, `${what}: the stage's SVG differs; ${pictureDiff(got, want)}`);
}

/** Everything that identifies what is on screen: counter, narration, picture. */
async function snapshot(root) {
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

function assertSameSnapshot(got, want, what) {
  assert(got.step === want.step, `${what}: step ${got.step}, expected ${want.step}`);
  assert(got.narration === want.narration, `${what}: the narration differs:\n      "${got.narration}"\n  vs  "${want.narration}"`);
  assertSamePicture(got.svg, want.svg, what);
}

/** Press Step forward until the counter reads `n`, recording each step's snapshot. */
async function stepTo(root, n, shots = null) {
  for (let guard = 0; guard < n + 50; guard++) {
    const { step } = await counter(root);
    if (shots && !shots[step]) shots[step] = await snapshot(root);
    if (step >= n) return;
    await stepButton(root).click();
    await waitForStep(root, step + 1, { what: `Step forward from ${step}` });
  }
  throw new AssertionError(`could not step to ${n}`);
}

async function openFragment(t, fragment, viewport = { width: 1280, height: 800 }) {
  const page = await t.newPage({ viewport, url: new URL(`#${fragment.replace(/^#/, '')}`, t.baseUrl).href });
  await waitForApp(page);
  return page;
}

const fragmentOf = async (page) => (await page.evaluate(() => location.hash)).replace(/^#/, '');

async function waitForFragment(page, predicate, describe) {
  let last = '';
  try {
    return await waitFor(async () => predicate((last = await fragmentOf(page))) && last, { timeout: 5000 });
  } catch {
    throw new AssertionError(`the URL fragment never ${describe}; it is "#${last}"`);
  }
}

/** The current step's v1 link from the address bar (the app keeps it there while paused). */
async function currentLink(page, step) {
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
function recordDialogs(page) {
  const seen = [];
  page.on('dialog', (d) => {
    seen.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  return seen;
}

// ---------------------------------------------------------------------------
// The course-page stand-in (embed-parent.html), served on the app's own origin by
// a route of the test's browser context, so it works with --dist and --url alike.
// (A page from another host would be a "public" page to Chromium, which then
// refuses to frame the app on 127.0.0.1: local network access protection.)

async function openCoursePage(t, { src, code, width = 800, height = 500, viewport }) {
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

const messages = (page) => page.evaluate(() => window.kafkascopeMessages);

async function waitForMessage(page, predicate, describe, { timeout = 8000, after = 0 } = {}) {
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

const send = (page, data) => page.evaluate((d) => window.sendToKafkascope(d), data);

function assertStepMessage(d, what) {
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
async function frameErrors(frame) {
  return frame.evaluate(() => window.__e2eErrors || []).catch(() => []);
}

async function assertNoOverflow(frameOrPage, width, what) {
  const w = await frameOrPage.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
  assert(w <= width, `${what}: horizontal overflow (scrollWidth ${w} > ${width})`);
}

async function assertInsideFrame(page, app, locator, what) {
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

// ---------------------------------------------------------------------------
// Lessons: drive the lesson panel (in a page or an embedded app) to its end.

/**
 * Plays the lesson on screen from its current stop to "Lesson complete.",
 * answering each question (alternately the first and the last choice) and
 * pressing Next/Continue. Checks every stop against the lesson file: "Stop i
 * of n", the beat's step on the counter. Returns the stops visited.
 */
async function playLesson(root, lesson, { onStop, onAsk } = {}) {
  const panel = root.locator('section.lesson-panel');
  const n = lesson.beats.length;
  const visited = [];
  const questions = [];
  let answers = 0;
  // One read of the whole panel (and the step counter) in the page, so that a
  // render between two reads cannot mix two states.
  const state = async () => {
    const r = await panel.evaluate((el) => {
      const text = (n) => (n ? n.textContent.replace(/\s+/g, ' ').trim() : '');
      const next = [...el.querySelectorAll('button')].map((b) => text(b)).find((t) => /^(Next|Next: predict|Continue)$/.test(t));
      return {
        progress: text(el.querySelector('[data-testid="lesson-progress"]')),
        choices: el.querySelectorAll('fieldset.predict button').length,
        next: next || null,
        complete: [...el.querySelectorAll('[role="status"]')].some((s) => text(s) === 'Lesson complete.'),
        playing: el.querySelectorAll('.lesson-playing').length,
        reveal: text(el.querySelector('.reveal')),
        counter: text(el.ownerDocument.querySelector('[data-testid="step-counter"]')),
      };
    });
    const m = r.progress.match(/Stop (\d+) of (\d+) · step (\d+)/);
    assert(m, `lesson progress does not read "Stop i of n · step s": "${r.progress}"`);
    const c = r.counter.match(/Step (\d+)/);
    assert(c, `step counter does not read "Step N": "${r.counter}"`);
    return {
      stop: Number(m[1]),
      total: Number(m[2]),
      beatStep: Number(m[3]),
      asking: r.choices > 0,
      next: r.next,
      complete: r.complete,
      reveal: r.reveal,
      step: Number(c[1]),
      key: `${r.progress}|${r.choices}|${r.next}|${r.playing}|${r.complete}`,
    };
  };
  const deadline = Date.now() + 120_000;
  let s = await state();
  while (Date.now() < deadline) {
    assert(s.total === n, `the lesson panel says ${s.total} stops, ${lesson.id}.lesson has ${n}`);
    assert(s.beatStep === lesson.beats[s.stop - 1].step, `stop ${s.stop} says step ${s.beatStep}, the lesson file says ${lesson.beats[s.stop - 1].step}`);
    if (visited[visited.length - 1] !== s.stop) {
      assert(s.stop === (visited[visited.length - 1] ?? 0) + 1 || visited.length === 0, `the lesson went from stop ${visited[visited.length - 1]} to stop ${s.stop}`);
      visited.push(s.stop);
      // Arriving at a stop whose question was answered on the way: the reveal says whether it was right.
      const asked = questions.find((q) => q.before === s.stop);
      if (asked) {
        const want = asked.right ? /Right/ : /Not quite/;
        assert(want.test(s.reveal), `stop ${s.stop}: the reveal after answering choice ${asked.pick + 1} (${asked.right ? 'right' : 'wrong'}) reads "${s.reveal}"`);
      }
      if (onStop) await onStop(s);
    }
    if (s.complete) {
      assert(s.stop === n, `"Lesson complete." at stop ${s.stop} of ${n}`);
      assert(s.step === lesson.beats[n - 1].step, `the lesson completed at step ${s.step}, its last stop is at step ${lesson.beats[n - 1].step}`);
      assert(answers === lesson.beats.filter((b) => b.question).length, `answered ${answers} questions, the lesson has ${lesson.beats.filter((b) => b.question).length}`);
      return { visited, questions };
    }
    let acted = false;
    if (s.asking) {
      const q = lesson.beats[s.stop]?.question;
      assert(q, `a prediction is asked at stop ${s.stop}, but beat ${s.stop + 1} of ${lesson.id}.lesson has no question`);
      if (onAsk) await onAsk(s);
      const buttons = panel.locator('fieldset.predict button');
      const count = await buttons.count();
      assert(count === q.choices.length, `the question before stop ${s.stop + 1} shows ${count} choices, the file has ${q.choices.length}`);
      const pick = answers % 2 === 0 ? 0 : count - 1;
      // The choices are shown shuffled: which one of the file's is this?
      const picked = q.choices.indexOf((await buttons.nth(pick).innerText()).trim());
      assert(picked >= 0, `the question before stop ${s.stop + 1} shows a choice the file does not have`);
      questions.push({ before: s.stop + 1, pick, right: picked === q.answer });
      await buttons.nth(pick).click();
      answers++;
      acted = true;
    } else if (s.next) {
      // The beat's step is on the counter whenever the tour waits at a stop.
      if (s.next !== 'Continue') {
        assert(s.step === s.beatStep, `waiting at stop ${s.stop} (step ${s.beatStep}), the counter reads step ${s.step}`);
      }
      await panel.getByRole('button', { name: s.next, exact: true }).click();
      acted = true;
    }
    // Wait for the panel to change (an answer plays to the next stop; Next asks or plays).
    const before = s.key;
    try {
      s = await waitFor(
        async () => {
          const cur = await state();
          return cur.key !== before && cur;
        },
        { timeout: 30_000, interval: 40 },
      );
    } catch {
      throw new AssertionError(`the lesson panel did not change for 30 s at "${before}" (${acted ? 'after acting' : 'while playing'})`);
    }
  }
  throw new AssertionError(`the lesson did not complete within 120 s (stops visited: ${visited.join(', ')})`);
}

export async function openGallery(page) {
  await page.getByRole('button', { name: exact('Lessons') }).click();
  const dialog = page.getByRole('dialog').filter({ has: page.getByRole('heading', { name: 'Lessons', exact: true }) });
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  // Every card's Start button is enabled once its lesson text has been fetched.
  const starts = dialog.getByRole('button', { name: /^Start the lesson / });
  await waitFor(
    async () => {
      const n = await starts.count();
      if (n === 0) return false;
      for (let i = 0; i < n; i++) if (!(await starts.nth(i).isEnabled())) return false;
      return true;
    },
    { timeout: 10_000, describe: () => 'every lesson card to load (all Start buttons enabled)' },
  );
  return { dialog, starts };
}

async function playLessonFromGallery(t, id) {
  const lesson = await fetchLesson(t.baseUrl, id);
  const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
  await waitForApp(page);
  await setLabelled(page, 'Speed', FASTEST_SPEED);
  const { dialog } = await openGallery(page);
  await dialog.getByRole('button', { name: `Start the lesson ${lesson.title}`, exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
  const panel = page.locator('section.lesson-panel');
  await panel.waitFor({ state: 'visible', timeout: 5000 });
  const title = (await panel.locator('#lesson-title').innerText()).trim();
  assert(title === lesson.title, `the lesson panel's title is "${title}", ${id}.lesson says "${lesson.title}"`);
  const started = Date.now();
  const { visited, questions } = await playLesson(page, lesson);
  const wrong = questions.filter((q) => !q.right).length;
  return { page, lesson, visited, questions, wrong, seconds: (Date.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------
// Bad links: what each error class must say.

const BAD_LINK_MESSAGE = {
  Truncated: () => /cut off/i,
  Corrupt: () => /damaged|checksum|not a kafkascope scenario link/i,
  UnknownVersion: (link) => new RegExp(`format v${link.match(/^v(\d+)/)[1]}\\b`),
  BadConfig: (link) => {
    const preset = link.match(/^v1\.([a-z0-9-]+)\./);
    return preset ? new RegExp(`impossible|preset "${preset[1]}"`, 'i') : /impossible|cannot be built/i;
  },
  BadCommand: () => /action log/i,
  TooLarge: () => /too large|at most/i,
};

// ---------------------------------------------------------------------------

export const issue6Tests = [
  {
    name: 'link_reopens_the_same_step_and_narration',
    fn: async (t) => {
      // A link the page itself made: the acks=1 failover preset (scripted crash
      // and restart) stepped to 12, plus a record sent with a key of ours.
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await loadPreset(page, 'acks1-failover-loss');
      await stepTo(page, 12);
      const live = await snapshot(page);
      const link = await currentLink(page, 12);
      assert(link.startsWith('v1.acks1-failover-loss.'), `a preset run's link names the preset: #${link}`);
      const opened = await openFragment(t, link);
      await waitForStep(opened, 12, { last: 12, what: 'the opened link' });
      assertSameSnapshot(await snapshot(opened), live, `#${link} opened in a fresh page`);
      assert((await alertDialog(opened).count()) === 0, 'a good link opened the "cannot be opened" dialog');
      assert((await fragmentOf(opened)) === link, 'the opened page rewrote its link');

      // The golden walkthrough link: five sends, opened at step 14. Whatever the
      // narration says at that step, it is the one a replay from step 0 shows,
      // and any partitioner arithmetic in it agrees with Kafka's murmur2.
      const golden = goldenLinks().find((g) => g.description.startsWith('The walkthrough after five sends'));
      assert(golden, 'tests/data/links/v1.txt lost the five-sends walkthrough entry');
      const g = await openFragment(t, golden.link);
      await waitForStep(g, 14, { last: 14, what: 'the golden five-sends link' });
      const atOpen = await snapshot(g);
      assert(/Stage \d of 9/.test(atOpen.narration), `at step 14 the walkthrough narrates a stage: "${atOpen.narration}"`);
      for (const m of atOpen.narration.matchAll(/murmur2 = (-?\d+)[\s\S]*?% (\d+) = (\d+)/g)) {
        const key = ['user-1', 'user-2', 'user-3', 'user-4', 'user-5'].find((k) => murmur2(k) === Number(m[1]));
        assert(key, `the narration's murmur2 = ${m[1]} is none of the keys user-1..user-5`);
        const want = kafkaPartitionForKey(key, Number(m[2]));
        assert(Number(m[3]) === want, `key ${key} over ${m[2]} partitions is partition ${want}, the narration says ${m[3]}`);
      }
      await blurActive(g);
      await g.keyboard.press('Home');
      await waitForStep(g, 0, { last: 14 });
      await g.keyboard.press('End');
      await waitForStep(g, 14, { last: 14 });
      assertSameSnapshot(await snapshot(g), atOpen, 'the golden link after Home then End (replayed from step 0)');
    },
  },

  {
    name: 'time_travel_shows_the_same_picture',
    fn: async (t) => {
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await loadPreset(page, 'nine-stages');
      const shots = [];
      await stepTo(page, 10, shots);
      const at = (k) => shots[k];
      assert(at(10).last === 10, `after 10 steps the counter reads "of ${at(10).last}"`);
      // The picture changes from step to step, or comparing pictures would prove nothing.
      for (const [a, b] of [[0, 4], [4, 7], [7, 8], [8, 10]]) {
        assert(at(a).svg !== at(b).svg, `the stage's SVG is the same at steps ${a} and ${b}`);
      }

      // Buttons: back twice, forward twice.
      await backButton(page).click();
      await waitForStep(page, 9, { last: 10 });
      await backButton(page).click();
      await waitForStep(page, 8, { last: 10 });
      assertSameSnapshot(await snapshot(page), at(8), 'step 8 reached by stepping back twice');
      assert(await page.getByRole('note').filter({ hasText: /replaying/i }).isVisible(), 'in the past, the transport says it is replaying history');
      await stepButton(page).click();
      await waitForStep(page, 9, { last: 10 });
      await stepButton(page).click();
      await waitForStep(page, 10, { last: 10 });
      assertSameSnapshot(await snapshot(page), at(10), 'step 10 after back ×2, forward ×2');

      // Keys: ArrowLeft ×2, ArrowRight ×2, Home, End.
      await blurActive(page);
      await page.keyboard.press('ArrowLeft');
      await waitForStep(page, 9, { last: 10 });
      await page.keyboard.press('ArrowLeft');
      await waitForStep(page, 8, { last: 10 });
      assertSameSnapshot(await snapshot(page), at(8), 'step 8 after ArrowLeft ×2');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await waitForStep(page, 10, { last: 10 });
      assertSameSnapshot(await snapshot(page), at(10), 'step 10 after ArrowRight ×2');
      await page.keyboard.press('Home');
      await waitForStep(page, 0, { last: 10 });
      assertSameSnapshot(await snapshot(page), at(0), 'step 0 after Home');
      assert(await backButton(page).isDisabled(), 'Step back is disabled at step 0');
      await page.keyboard.press('End');
      await waitForStep(page, 10, { last: 10 });
      assertSameSnapshot(await snapshot(page), at(10), 'step 10 after End');

      // The scrubber and Go to step.
      const scrubber = page.getByRole('slider', { name: 'History', exact: true });
      assert((await scrubber.getAttribute('max')) === '10', `the scrubber's max is ${await scrubber.getAttribute('max')}, the last step is 10`);
      await scrubber.fill('4');
      await waitForStep(page, 4, { last: 10, what: 'the History scrubber set to 4' });
      assertSameSnapshot(await snapshot(page), at(4), 'step 4 from the scrubber');
      assert((await scrubber.inputValue()) === '4', 'the scrubber follows the step');
      const goTo = page.getByRole('spinbutton', { name: 'Go to step', exact: true });
      await goTo.fill('7');
      await goTo.dispatchEvent('change');
      await waitForStep(page, 7, { last: 10, what: 'Go to step 7' });
      assertSameSnapshot(await snapshot(page), at(7), 'step 7 from Go to step');
      // The address bar follows the step, and that link opens the same picture.
      const link = await waitForFragment(page, (f) => f.startsWith('v1.nine-stages.'), 'held the link to step 7');
      const opened = await openFragment(t, link);
      await waitForStep(opened, 7, { last: 7 });
      assertSameSnapshot(await snapshot(opened), at(7), 'the address bar link at step 7, opened');
    },
  },

  {
    name: 'acting_in_the_past_forks_and_undo_restores',
    fn: async (t) => {
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await loadPreset(page, 'nine-stages');
      const shots = [];
      await stepTo(page, 14, shots);
      const goTo = page.getByRole('spinbutton', { name: 'Go to step', exact: true });
      const broker0 = page.getByRole('button', { name: /^Broker 0 ✕ crash/ });

      // 1. Click the broker at step 5: the 9 later steps are replaced.
      await goTo.fill('5');
      await goTo.dispatchEvent('change');
      await waitForStep(page, 5, { last: 14 });
      assert((await forkBanner(page).count()) === 0, 'a fork banner before acting');
      await broker0.click();
      await forkBanner(page).waitFor({ state: 'visible', timeout: 5000 });
      const banner = (await forkBanner(page).innerText()).replace(/\s+/g, ' ');
      assert(/acted in the past/i.test(banner) && /step 5\b/.test(banner) && /\b9 recorded steps\b/.test(banner) && /replaced/.test(banner),
        `the fork banner names the step and the 9 replaced steps: "${banner}"`);
      assert(/crash broker 0/i.test(banner), `the fork banner says what was done: "${banner}"`);
      const forked = await counter(page);
      assert(forked.last !== null && forked.last < 14, `after the fork the counter still reads "${forked.text}" (expected "of M" below 14)`);
      assert(await page.getByRole('button', { name: /^Broker 0 ▶ restart/ }).isVisible(), 'broker 0 shows as crashed');
      await t.screenshot(page, 'fork-banner');

      // Undo (the banner's button) brings back the old future, at step 5.
      await forkBanner(page).getByRole('button', { name: 'Undo', exact: true }).click();
      await waitForStep(page, 5, { last: 14, what: 'Undo' });
      assert((await forkBanner(page).count()) === 0, 'the fork banner stays after Undo');
      assertSameSnapshot(await snapshot(page), shots[5], 'step 5 after Undo');
      await blurActive(page);
      await page.keyboard.press('End');
      await waitForStep(page, 14, { last: 14 });
      assertSameSnapshot(await snapshot(page), shots[14], 'the old last step (14) after Undo');

      // 2. The keyboard way: Enter on the focused broker at step 3, then "u".
      await page.keyboard.press('Home');
      await waitForStep(page, 0, { last: 14 });
      for (let k = 1; k <= 3; k++) await page.keyboard.press('ArrowRight');
      await waitForStep(page, 3, { last: 14 });
      await broker0.focus();
      await page.keyboard.press('Enter');
      await forkBanner(page).waitFor({ state: 'visible', timeout: 5000 });
      assert(/step 3\b/.test(await forkBanner(page).innerText()), 'the banner names step 3');
      assert((await counter(page)).last < 14, 'the keyboard fork shrank the history');
      await blurActive(page);
      await page.keyboard.press('u');
      await waitForStep(page, 3, { last: 14, what: '"u" (undo)' });
      assert((await forkBanner(page).count()) === 0, 'the fork banner stays after "u"');
      assertSameSnapshot(await snapshot(page), shots[3], 'step 3 after "u"');
      await page.keyboard.press('End');
      await waitForStep(page, 14, { last: 14 });
      assertSameSnapshot(await snapshot(page), shots[14], 'step 14 after "u" then End');
    },
  },

  {
    name: 'bad_links_explain_themselves_over_the_default_scenario',
    timeout: 120_000,
    fn: async (t) => {
      const bad = goldenLinks()
        .filter((g) => g.expect.startsWith('error='))
        .map((g) => ({ ...g, kind: g.expect.slice('error='.length), where: `v1.txt:${g.line}` }));
      const kinds = new Set(bad.map((b) => b.kind));
      for (const k of ['Truncated', 'Corrupt', 'UnknownVersion', 'BadConfig', 'BadCommand', 'TooLarge']) {
        assert(kinds.has(k), `the golden corpus has no bad link of class ${k}`);
      }
      // Two more that the corpus does not spell out.
      bad.push({ kind: 'UnknownVersion', link: 'v9.nine-stages.AAAEAQAAAKiAfMU', where: 'a v9 link', description: 'format v9' });
      bad.push({ kind: 'TooLarge', link: `v1.${'A'.repeat(200_001)}`, where: 'a 200,004-character link', description: 'over MAX_FRAGMENT_CHARS' });
      for (const b of bad) {
        const want = BAD_LINK_MESSAGE[b.kind];
        assert(want, `${b.where}: no expected message for error class ${b.kind}`);
        const page = await openFragment(t, b.link);
        const dialogs = recordDialogs(page);
        const dialog = alertDialog(page);
        await dialog.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {
          throw new AssertionError(`${b.where} (${b.kind}: ${b.description}): no role="alertdialog" opened`);
        });
        const title = (await dialog.getByRole('heading').first().innerText()).trim();
        assert(title === 'This link cannot be opened', `${b.where}: the dialog's title is "${title}"`);
        const text = (await dialog.innerText()).replace(/\s+/g, ' ');
        assert(want(b.link).test(text), `${b.where} (${b.kind}): the dialog does not say ${want(b.link)}: "${text}"`);
        // Not a blank page: the default scenario is behind the dialog.
        assert(await stageSvg(page).isVisible(), `${b.where}: no stage behind the dialog`);
        const c = await counter(page);
        assert(c.step === 0, `${b.where}: the page behind the dialog is at step ${c.step}`);
        assert((await narrationText(page)).startsWith('Ready'), `${b.where}: the default scenario is not behind the dialog`);
        if (b.kind === 'BadCommand' || b.kind === 'Corrupt') await t.screenshot(page, `bad-link-${b.kind}`);
        await dialog.getByRole('button', { name: 'Start the default scenario', exact: true }).click();
        await dialog.waitFor({ state: 'detached', timeout: 5000 }).catch(() => {
          throw new AssertionError(`${b.where}: "Start the default scenario" did not close the dialog`);
        });
        await stepButton(page).click();
        await expectStage(page, 1);
        assert(dialogs.length === 0, `${b.where}: browser dialogs: ${dialogs.join('; ')}`);
        await page.context().close();
      }

      // A bad link pasted into a page that has a run of its own: the run can be kept.
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await stepTo(page, 3);
      const before = await snapshot(page);
      const truncated = bad.find((b) => b.kind === 'Truncated');
      await page.evaluate((f) => {
        location.hash = f;
      }, truncated.link);
      await alertDialog(page).waitFor({ state: 'visible', timeout: 5000 });
      assert(/cut off/.test(await alertDialog(page).innerText()), 'the pasted truncated link is explained');
      await alertDialog(page).getByRole('button', { name: 'Keep the current run', exact: true }).click();
      await alertDialog(page).waitFor({ state: 'detached', timeout: 5000 });
      assertSameSnapshot(await snapshot(page), before, 'the run kept after a bad pasted link');
    },
  },

  {
    name: 'markup_from_a_link_stays_text',
    fn: async (t) => {
      const injected = (page) =>
        page.evaluate(() => {
          const all = [...document.querySelectorAll('*')];
          return {
            img: document.querySelectorAll('img').length,
            scripts: document.querySelectorAll('script').length,
            handlers: all.filter((el) => [...el.attributes].some((a) => a.name.toLowerCase().startsWith('on'))).map((el) => el.outerHTML.slice(0, 80)),
            bold: document.querySelectorAll('b').length,
          };
        });
      const clean = async (page, what) => {
        const got = await injected(page);
        assert(got.img === 0, `${what}: ${got.img} <img> elements in the page`);
        assert(got.scripts === baseline.scripts, `${what}: ${got.scripts} <script> elements, a clean page has ${baseline.scripts}`);
        assert(got.handlers.length === 0, `${what}: elements with inline event handlers: ${got.handlers.join(' ')}`);
        assert(got.bold === baseline.bold, `${what}: ${got.bold} <b> elements, a clean page has ${baseline.bold}`);
      };
      const fresh = await t.newPage();
      await waitForApp(fresh);
      const baseline = await injected(fresh);

      // 1. The golden "markup kept as text" link.
      const golden = goldenLinks().find((g) => g.description.startsWith('Markup kept as text'));
      assert(golden, 'tests/data/links/v1.txt lost the markup entry');
      const page = await t.newPage({ url: null });
      const dialogs = recordDialogs(page);
      await page.goto(new URL(`#${golden.link}`, t.baseUrl).href, { waitUntil: 'load' });
      await waitForApp(page);
      await waitForStep(page, 3, { last: 3 });
      const body = await page.locator('body').innerText();
      for (const p of ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<b onmouseover=alert(1)>g</b>']) {
        assert(body.includes(p), `the page does not show ${JSON.stringify(p)} literally`);
      }
      for (const tab of ['Event log', 'Ledger', 'Topic', 'Consumer groups']) {
        const button = page.getByRole('tab', { name: tab, exact: true });
        if ((await button.count()) === 0) continue;
        await button.click();
        await sleep(100);
        await clean(page, `the markup link, tab ${tab}`);
      }
      // Step 2 of that run is a note whose text closes a textarea and opens an <svg onload>.
      await backButton(page).click();
      await waitForStep(page, 2, { last: 3 });
      const note = await narrationText(page);
      assert(note.includes('</textarea><svg onload=alert(1)>&amp;'), `the note at step 2 is not shown literally: "${note}"`);
      await clean(page, 'the markup link at step 2');
      // The Share dialog puts the link into an <input> and a <textarea>.
      await page.getByRole('button', { name: 'Share', exact: true }).click();
      await page.getByRole('textbox', { name: 'Embed code', exact: true }).waitFor();
      await clean(page, 'the Share dialog of the markup link');
      await sleep(300);
      assert(dialogs.length === 0, `alert/confirm dialogs fired: ${dialogs.join('; ')}`);

      // 2. A key and value typed into the page, stepped, and opened from the address bar.
      const typed = await t.newPage();
      await waitForApp(typed);
      const key = '<img src=x onerror=alert(1)>';
      const value = '<script>alert(2)</script><svg onload=alert(3)>';
      await setLabelled(typed, 'Key', key);
      await setLabelled(typed, 'Value', value);
      await stepButton(typed).click();
      await expectStage(typed, 1);
      const link = await currentLink(typed, 1);
      const opened = await t.newPage({ url: null });
      const dialogs2 = recordDialogs(opened);
      await opened.goto(new URL(`#${link}`, t.baseUrl).href, { waitUntil: 'load' });
      await waitForApp(opened);
      await waitForStep(opened, 1, { last: 1 });
      const said = await narrationText(opened);
      assert(said.includes(`key="${key}"`) && said.includes(value), `the opened link does not narrate the key and value literally: "${said}"`);
      for (let k = 2; k <= 9; k++) {
        await stepButton(opened).click();
        await expectStage(opened, k);
      }
      await clean(opened, 'the typed-markup link after 9 stages');
      await sleep(300);
      assert(dialogs2.length === 0, `alert/confirm dialogs fired: ${dialogs2.join('; ')}`);
    },
  },

  {
    name: 'share_dialog_link_and_embed_code',
    fn: async (t) => {
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await loadPreset(page, 'nine-stages');
      await stepTo(page, 6);
      const at6 = await snapshot(page);
      await currentLink(page, 6);
      await page.getByRole('button', { name: 'Share', exact: true }).click();
      const dialog = page.getByRole('dialog').filter({ has: page.getByRole('heading', { name: 'Share this run' }) });
      await dialog.waitFor({ state: 'visible', timeout: 5000 });
      const link = await dialog.getByRole('textbox', { name: 'Link', exact: true }).inputValue();
      assert(link === page.url(), `the Link field holds "${link}", the address bar "${page.url()}"`);
      assert(/#v1\.nine-stages\.[A-Za-z0-9_-]+$/.test(link), `the Link field is not a v1 preset link: "${link}"`);
      assert(await dialog.getByRole('textbox', { name: 'Link', exact: true }).evaluate((el) => el.readOnly), 'the Link field is not read-only');
      assert((await dialog.innerText()).includes('Link to step 6'), 'the dialog does not say which step the link opens');
      for (const name of ['Copy link', 'Copy embed code']) {
        assert(await dialog.getByRole('button', { name, exact: true }).isVisible(), `no "${name}" button`);
      }
      const code = await dialog.getByRole('textbox', { name: 'Embed code', exact: true }).inputValue();
      const parsed = await page.evaluate((html) => {
        const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
        const els = [...doc.body.children];
        const f = els[0];
        return {
          count: els.length,
          tag: f && f.tagName.toLowerCase(),
          attrs: f ? [...f.attributes].map((a) => a.name) : [],
          src: f && f.getAttribute('src'),
          title: f && f.getAttribute('title'),
          text: doc.body.textContent,
        };
      }, code);
      assert(parsed.count === 1 && parsed.tag === 'iframe', `the embed code is not one <iframe>: ${code}`);
      assert(!parsed.attrs.includes('allow'), `the embed <iframe> has an allow attribute: ${code}`);
      assert(/^kafkascope: \S/.test(parsed.title || ''), `the embed <iframe>'s title does not start "kafkascope: …": ${JSON.stringify(parsed.title)}`);
      assert(parsed.title.includes('The nine stages of a record'), `the title names the preset: ${JSON.stringify(parsed.title)}`);
      assert(parsed.text.trim() === '', 'the embed code has text outside the iframe');
      const src = new URL(parsed.src);
      const here = new URL(page.url());
      assert(src.origin + src.pathname === here.origin + here.pathname, `the embed src ${parsed.src} is not this page`);
      assert(/^#v1\.nine-stages\./.test(src.hash), `the embed src has no v1 link: ${parsed.src}`);
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();
      await dialog.waitFor({ state: 'detached', timeout: 3000 });

      // The Link reopens step 6 exactly; the embed src opens it embedded.
      const opened = await t.newPage({ viewport: { width: 1280, height: 800 }, url: link });
      await waitForApp(opened);
      await waitForStep(opened, 6, { last: 6 });
      assertSameSnapshot(await snapshot(opened), at6, 'the Share dialog link, opened');
      const embedded = await t.newPage({ viewport: { width: 800, height: 500 }, url: parsed.src });
      await waitForApp(embedded);
      await waitForStep(embedded, 6, { last: 6 });
      assert((await embedded.locator('.app.embed').count()) === 1, 'the embed link does not open in embed mode');
      assert((await embedded.getByRole('button', { name: exact('Share') }).count()) === 0, 'the embedded page shows the Share button');
      assert((await narrationText(embedded)) === at6.narration, 'the embed link narrates a different step');
    },
  },

  {
    name: 'embed_talks_to_its_course_page',
    timeout: 90_000,
    fn: async (t) => {
      for (const [width, height] of [
        [320, 560],
        [800, 500],
      ]) {
        const what = `embedded at ${width}x${height}`;
        const src = new URL('?embed', t.baseUrl).href;
        const { page, app, frame } = await openCoursePage(t, { src, width, height });
        const ready = await waitForMessage(page, (d) => d && d.type === 'ready', `${what}: a "ready" message`);
        assert(ready.fromFrame && ready.data.source === 'kafkascope' && ready.data.version === 1, `${what}: bad ready message ${JSON.stringify(ready)}`);
        assert(ready.origin === new URL(t.baseUrl).origin, `${what}: ready came from ${ready.origin}`);
        const first = await waitForMessage(page, (d) => d && d.type === 'step', `${what}: a first "step" message`);
        assertStepMessage(first.data, `${what}, first step message`);
        assert(first.data.step === 0 && first.data.playing === false, `${what}: the first step message is ${JSON.stringify(first.data)}`);
        const all = await messages(page);
        assert(all.indexOf(all.find((m) => m.data.type === 'ready')) < all.indexOf(all.find((m) => m.data.type === 'step')), `${what}: "step" came before "ready"`);

        // No page chrome; it fits.
        assert((await app.locator('.app.embed').count()) === 1, `${what}: not in embed mode`);
        for (const name of ['Lessons', 'Share']) {
          assert((await app.getByRole('button', { name: exact(name) }).count()) === 0, `${what}: the "${name}" button is shown`);
        }
        assert((await app.getByRole('combobox', { name: 'Scenario', exact: true }).count()) === 0, `${what}: the settings panel is shown`);
        await assertNoOverflow(frame, width, what);
        await assertInsideFrame(page, app, stepButton(app), `${what}: Step forward`);
        await assertInsideFrame(page, app, narrationPanel(app), `${what}: the narration`);
        // The stage's area (a cluster taller than a phone scrolls inside it,
        // at readable size, rather than shrinking its text).
        await assertInsideFrame(page, app, app.locator('.stage-wrap').first(), `${what}: the stage`);

        // step
        let mark = (await messages(page)).length;
        await send(page, { type: 'step' });
        const s1 = await waitForMessage(page, (d) => d.type === 'step' && d.step === 1, `${what}: step 1 after {type:"step"}`, { after: mark });
        assertStepMessage(s1.data, `${what}, step 1`);
        assert(s1.data.stage === 'Create' && s1.data.stageNumber === 1 && /Stage 1 of 9/.test(s1.data.narration), `${what}: step 1 message ${JSON.stringify(s1.data)}`);
        await waitForStep(app, 1);
        assert((await narrationText(app)).includes('Stage 1 of 9'), `${what}: the frame does not narrate stage 1`);

        // play, then pause
        mark = (await messages(page)).length;
        await send(page, { type: 'play' });
        await waitForMessage(page, (d) => d.type === 'step' && d.playing === true, `${what}: playing=true after {type:"play"}`, { after: mark });
        await pauseButton(app).waitFor({ state: 'visible', timeout: 3000 });
        await waitForMessage(page, (d) => d.type === 'step' && d.playing && d.step >= 3, `${what}: steps while playing`, { after: mark, timeout: 10_000 });
        mark = (await messages(page)).length;
        await send(page, { type: 'pause' });
        const paused = await waitForMessage(page, (d) => d.type === 'step' && d.playing === false, `${what}: playing=false after {type:"pause"}`, { after: mark });
        await playButton(app).waitFor({ state: 'visible', timeout: 3000 });
        await sleep(700);
        const afterPause = (await messages(page)).slice(mark).filter((m) => m.data.type === 'step' && m.data.step > paused.data.step);
        assert(afterPause.length === 0, `${what}: steps kept coming after pause: ${afterPause.map((m) => m.data.step)}`);
        const pausedAt = paused.data.step;
        assert((await counter(app)).step === pausedAt, `${what}: the frame's counter is not at the paused step ${pausedAt}`);

        // seek
        mark = (await messages(page)).length;
        await send(page, { type: 'seek', step: 2 });
        const s2 = await waitForMessage(page, (d) => d.type === 'step' && d.step === 2, `${what}: step 2 after {type:"seek",step:2}`, { after: mark });
        assert(s2.data.lastStep === pausedAt && s2.data.stageNumber === 2, `${what}: after seek 2: ${JSON.stringify(s2.data)}`);
        await waitForStep(app, 2, { last: pausedAt });

        // malformed commands get an error; non-commands are ignored
        for (const [cmd, re] of [
          [{ type: 'seek' }, /seek needs/],
          [{ type: 'seek', step: -1 }, /seek needs/],
          [{ type: 'seek', step: 1.5 }, /seek needs/],
          [{ type: 'seek', step: '2' }, /seek needs/],
          [{ type: 'launch' }, /unknown message type "launch"/],
        ]) {
          mark = (await messages(page)).length;
          await send(page, cmd);
          const err = await waitForMessage(page, (d) => d.type === 'error', `${what}: an "error" for ${JSON.stringify(cmd)}`, { after: mark });
          assert(err.data.source === 'kafkascope' && re.test(err.data.message), `${what}: error for ${JSON.stringify(cmd)}: ${JSON.stringify(err.data)}`);
        }
        mark = (await messages(page)).length;
        await send(page, 'step');
        await send(page, { kind: 'step' });
        await send(page, { type: 'ready' });
        // Only the parent gives orders: the frame messaging itself does nothing.
        await frame.evaluate(() => window.postMessage({ type: 'step' }, '*'));
        await sleep(500);
        const stray = (await messages(page)).slice(mark);
        assert(stray.length === 0, `${what}: answers to non-commands: ${stray.map((m) => JSON.stringify(m.data)).join(' ')}`);
        assert((await counter(app)).step === 2, `${what}: a non-command moved the step counter`);

        await sleep(200);
        await t.screenshot(page, `embed-${width}x${height}`);
        const errs = await frameErrors(frame);
        assert(errs.length === 0, `${what}: errors inside the iframe: ${errs.join('; ')}`);
        assert(new Set((await messages(page)).map((m) => m.fromFrame)).size === 1 && (await messages(page))[0].fromFrame, `${what}: a message did not come from the iframe`);
        await page.context().close();
      }

      // Query options: a preset at a step, and autoplay.
      const { page } = await openCoursePage(t, { src: new URL('?embed&preset=nine-stages&step=5', t.baseUrl).href });
      const first = await waitForMessage(page, (d) => d.type === 'step', 'a step message for ?preset=nine-stages&step=5');
      assert(first.data.step === 5 && first.data.stageNumber === 5, `?embed&preset=nine-stages&step=5 opened ${JSON.stringify(first.data)}`);
      await page.context().close();
      const auto = await openCoursePage(t, { src: new URL('?embed&autoplay', t.baseUrl).href });
      await waitForMessage(auto.page, (d) => d.type === 'step' && d.playing === true && d.step >= 2, 'steps played by ?embed&autoplay');
      await send(auto.page, { type: 'pause' });
      await waitForMessage(auto.page, (d) => d.type === 'step' && d.playing === false, '?autoplay paused');
    },
  },

  {
    name: 'embed_code_from_the_share_dialog_works_in_a_course_page',
    fn: async (t) => {
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await loadPreset(page, 'nine-stages');
      await stepTo(page, 4);
      const at4 = await snapshot(page);
      await page.getByRole('button', { name: 'Share', exact: true }).click();
      const code = await page.getByRole('textbox', { name: 'Embed code', exact: true }).inputValue();
      // As pasted: 800x500 on a wide page; squeezed to 320 px by its max-width:100% on a phone.
      for (const viewport of [
        { width: 1000, height: 600 },
        { width: 320, height: 640 },
      ]) {
        const what = `the pasted embed code in a ${viewport.width} px wide page`;
        const course = await openCoursePage(t, { code, viewport });
        const attrs = await course.page.locator('#kafkascope').evaluate((f) => ({
          w: f.getAttribute('width'),
          h: f.getAttribute('height'),
          title: f.title,
          shown: f.getBoundingClientRect().width,
        }));
        assert(attrs.w === '800' && attrs.h === '500' && /^kafkascope: /.test(attrs.title), `${what}: ${JSON.stringify(attrs)}`);
        const want = Math.min(800, viewport.width);
        assert(Math.abs(attrs.shown - want) < 1, `${what}: the iframe is ${attrs.shown} px wide, expected ${want}`);
        await waitForMessage(course.page, (d) => d.type === 'ready', `${what}: ready`);
        const first = await waitForMessage(course.page, (d) => d.type === 'step', `${what}: a step message`);
        assertStepMessage(first.data, what);
        assert(first.data.step === 4 && first.data.lastStep === 4, `${what} opened ${JSON.stringify(first.data)}, not step 4`);
        assert((await course.app.locator('.app.embed').count()) === 1, `${what}: not in embed mode`);
        assert((await narrationText(course.app)) === at4.narration, `${what}: the embedded run narrates a different step 4`);
        const cluster = await clusterState(course.app);
        assert(cluster === at4.cluster, `${what}: step 4 shows a different cluster:\n      "${cluster}"\n  vs  "${at4.cluster}"`);
        await assertNoOverflow(course.frame, want, what);
        await assertInsideFrame(course.page, course.app, stepButton(course.app), `${what}: Step forward`);
        const mark = (await messages(course.page)).length;
        await send(course.page, { type: 'seek', step: 1 });
        await waitForMessage(course.page, (d) => d.type === 'step' && d.step === 1 && d.lastStep === 4, `${what}: seek 1`, { after: mark });
        await send(course.page, { type: 'step' });
        await waitForMessage(course.page, (d) => d.type === 'step' && d.step === 2, `${what}: step from 1 to 2`, { after: mark });
        await waitForStep(course.app, 2, { last: 4 });
        if (viewport.width === 320) await t.screenshot(course.page, 'embed-code-320');
        const errs = await frameErrors(course.frame);
        assert(errs.length === 0, `${what}: errors inside the iframe: ${errs.join('; ')}`);
        await course.page.context().close();
      }
    },
  },

  {
    name: 'embedded_lesson_announces_completion',
    timeout: 90_000,
    fn: async (t) => {
      const id = 'nine-stages';
      const lesson = await fetchLesson(t.baseUrl, id);
      const { page, app, frame } = await openCoursePage(t, { src: new URL(`?embed&lesson=${id}`, t.baseUrl).href, width: 800, height: 500 });
      await app.locator('section.lesson-panel').waitFor({ state: 'visible', timeout: 10_000 });
      await setLabelled(app, 'Speed', FASTEST_SPEED);
      let shot = false;
      const { visited } = await playLesson(app, lesson, {
        onStop: async (s) => {
          if (!shot && s.stop === 1) {
            await t.screenshot(page, 'embedded-lesson-800x500');
            shot = true;
          }
        },
      });
      assert(visited.length === lesson.beats.length, `visited stops ${visited.join(', ')} of ${lesson.beats.length}`);
      const done = await waitForMessage(page, (d) => d.type === 'lesson-complete', 'a "lesson-complete" message');
      assert(done.data.lesson === id && done.data.source === 'kafkascope' && done.data.version === 1, `lesson-complete: ${JSON.stringify(done.data)}`);
      const last = (await messages(page)).filter((m) => m.data.type === 'step').pop();
      assert(last.data.lesson === id && last.data.step === lesson.beats[lesson.beats.length - 1].step, `the last step message: ${JSON.stringify(last.data)}`);
      await sleep(300);
      const completions = (await messages(page)).filter((m) => m.data.type === 'lesson-complete');
      assert(completions.length === 1, `"lesson-complete" came ${completions.length} times`);
      await t.screenshot(page, 'embedded-lesson-800x500-complete');
      await assertNoOverflow(frame, 800, 'the embedded lesson at 800x500');
      const errs = await frameErrors(frame);
      assert(errs.length === 0, `errors inside the iframe: ${errs.join('; ')}`);
    },
  },

  {
    // Issue 15's new lessons, as an instructor embeds them: played to the end
    // in an 800x500 iframe, with the stage and each question seen by a person
    // (inside the frame's viewport, not covered) whenever a question is asked.
    name: 'i15_each_new_lesson_plays_embedded_at_800x500_with_the_stage_and_its_questions_on_screen',
    timeout: 600_000,
    fn: async (t) => {
      const ids = ['zombies-and-the-lso', 'new-group-at-the-end', 'too-slow-for-the-group', 'end-to-end', 'caught-exception'];
      const index = lessonIndex().map((l) => l.id);
      for (const id of ids) assert(index.includes(id), `src/lesson.rs INDEX does not list ${id}`);
      for (const id of ids) {
        const lesson = await fetchLesson(t.baseUrl, id);
        const { page, app, frame } = await openCoursePage(t, { src: new URL(`?embed&lesson=${id}`, t.baseUrl).href, width: 800, height: 500 });
        await app.locator('section.lesson-panel').waitFor({ state: 'visible', timeout: 10_000 });
        await setLabelled(app, 'Speed', FASTEST_SPEED);
        let asked = 0;
        const { visited } = await playLesson(app, lesson, {
          onAsk: async (s) => {
            const question = app.locator('fieldset.predict');
            await question.waitFor({ state: 'visible', timeout: 5000 });
            await assertSeen(question.locator('legend, p, button').first(), `${id}, the question before stop ${s.stop + 1}`);
            await assertSeen(app.locator('.stage-area svg.stage:visible').first(), `${id}, the stage while the question before stop ${s.stop + 1} is asked`);
            if (asked === 0) await t.screenshot(page, `embedded-${id}-800x500-question`);
            asked++;
          },
        });
        assert(visited.length === lesson.beats.length, `${id}: visited stops ${visited.join(', ')} of ${lesson.beats.length}`);
        assert(asked === lesson.beats.filter((b) => b.question).length, `${id}: ${asked} questions seen`);
        await t.screenshot(page, `embedded-${id}-800x500-complete`);
        await assertNoOverflow(frame, 800, `the embedded ${id} lesson at 800x500`);
        const errs = await frameErrors(frame);
        assert(errs.length === 0, `${id}: errors inside the iframe: ${errs.join('; ')}`);
        await page.context().close();
      }
    },
  },

  {
    name: 'lesson_gallery_lists_every_lesson',
    fn: async (t) => {
      const index = lessonIndex();
      assert(index.length === 15, `src/lesson.rs INDEX lists ${index.length} lessons: one per course section and the five of issue 15`);
      const lessons = await Promise.all(index.map((l) => fetchLesson(t.baseUrl, l.id)));
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      const { dialog, starts } = await openGallery(page);
      const labels = await starts.evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
      assert(
        JSON.stringify(labels) === JSON.stringify(lessons.map((l) => `Start the lesson ${l.title}`)),
        `the gallery's Start buttons, in order:\n      ${labels.join('\n      ')}\n  expected:\n      ${lessons.map((l) => l.title).join('\n      ')}`,
      );
      const cards = dialog.locator('li.lesson-card');
      for (let i = 0; i < lessons.length; i++) {
        const text = (await cards.nth(i).innerText()).replace(/\s+/g, ' ');
        const q = lessons[i].beats.filter((b) => b.question).length;
        assert(text.includes(index[i].section) || text.toUpperCase().includes(index[i].section.toUpperCase()), `card ${i + 1} does not name its section "${index[i].section}": "${text}"`);
        assert(text.includes(`${lessons[i].beats.length} stops`) && text.includes(`${q} prediction`), `card ${i + 1} does not say "${lessons[i].beats.length} stops · ${q} predictions": "${text}"`);
      }
      await t.screenshot(page, 'lesson-gallery-1280x800');
      await dialog.getByRole('button', { name: 'Close the lessons' }).click();
      await dialog.waitFor({ state: 'detached', timeout: 3000 });
    },
  },

  // An instructor's own lesson, pasted into the gallery: the README's example
  // opens as a tour; a broken one is refused with its line numbers, and the
  // run on screen is kept.
  {
    name: 'an_instructors_own_lesson_opens_from_the_gallery',
    fn: async (t) => {
      const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
      const block = readme.split('```text\n').find((b) => b.startsWith('# A comment.'));
      assert(block, 'README has no example lesson block starting "# A comment."');
      const lessonText = block.slice(0, block.indexOf('```'));
      const title = /^title: (.*)$/m.exec(lessonText)[1];
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      const { dialog } = await openGallery(page);
      await dialog.getByText('Open a lesson of your own').click();
      const open = dialog.getByRole('button', { name: exact('Open this lesson') });
      const field = dialog.getByRole('textbox', { name: 'Lesson file' });
      assert(await open.isDisabled(), '"Open this lesson" is enabled with an empty lesson file');
      // A broken file: the header's lesson id is missing and a beat has no step.
      await field.fill(lessonText.replace(/^lesson: .*$/m, '').replace('step 9', 'step nine'));
      assert(await open.isEnabled(), '"Open this lesson" stays disabled after pasting a lesson');
      await open.click();
      // Said in the gallery, next to the text to fix, which is kept.
      const why = dialog.getByRole('alert').filter({ hasText: 'That lesson cannot be opened' });
      await why.waitFor({ state: 'visible', timeout: 5000 });
      const whyText = await why.innerText();
      assert(/line \d+/.test(whyText), `the refusal does not give line numbers: "${whyText}"`);
      assert((await field.inputValue()).includes('step nine'), 'the pasted text was lost after the refusal');
      await t.screenshot(page, 'own-lesson-refused');
      assert((await page.locator('section.lesson-panel').count()) === 0, 'a broken lesson opened a tour anyway');
      // The README's example, as printed.
      await field.fill(lessonText);
      await open.click();
      await dialog.waitFor({ state: 'detached', timeout: 5000 });
      const panel = page.locator('section.lesson-panel');
      await panel.waitFor({ state: 'visible', timeout: 5000 });
      const text = await panel.innerText();
      assert(text.includes(title), `the lesson panel does not show the lesson's title "${title}": "${text}"`);
    },
  },

  // One test per lesson: each plays from the gallery to "Lesson complete.".
  ...lessonIndex().map(({ id }) => ({
    name: `lesson_plays_to_the_end_${id.replace(/-/g, '_')}`,
    timeout: 90_000,
    fn: async (t) => {
      const r = await playLessonFromGallery(t, id);
      assert(r.visited.length === r.lesson.beats.length, `visited stops ${r.visited.join(', ')}`);
      const done = r.page.locator('section.lesson-panel').getByRole('status').filter({ hasText: 'Lesson complete.' });
      assert(await done.isVisible(), '"Lesson complete." is not shown');
      assert(await r.page.getByRole('button', { name: 'More lessons', exact: true }).isVisible(), 'no "More lessons" button at the end');
    },
  })),
];
