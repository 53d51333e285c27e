// End-to-end tests for issue 9: everything a user touches works in a real
// browser. Registered by run.mjs after issue6's tests; see tests/e2e/README.md
// ("Everything a user touches", issue9.mjs) for what each test checks.
//
// The tests assert what a person sees: an element's centre inside the viewport
// and not covered (document.elementFromPoint there is the element or inside
// it), rendered sizes in CSS px, colours as composited. They collect every
// problem of a run before failing, so that one failure message lists all of
// them. Sources of truth read here: the presets (`kafkascope presets --json`,
// project.mjs) and the lesson files as the server serves them.
//
// E2E_LONG=1 plays every preset longer: Play again each time it stops, 5 rounds
// (4000 steps or 4 minutes each).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  AssertionError,
  OUT_DIR,
  assert,
  blurActive,
  describeAxe,
  playButton,
  problems,
  runAxe,
  seenInPage,
  setLabelled,
  sleep,
  stepButton,
  waitFor,
  waitForAnimations,
  waitForApp,
} from './lib.mjs';
import { counter, fetchLesson, narrationText, openGallery, waitForStep } from './issue6.mjs';
import { presetIds } from './project.mjs';

const LONG = process.env.E2E_LONG === '1';
const DESKTOP = { width: 1280, height: 800 };
/** The DOM may hold at most this many elements while a preset plays. */
const DOM_BOUND = 6000;
/** No task of the page may take longer than this while playing (ms). */
const LONG_TASK_MS = 200;
/**
 * How each preset plays: until it stops by itself, or this many steps / wall-clock
 * ms (acks-latency, the longest, stops by itself after 574 steps). With E2E_LONG=1,
 * Play is pressed again each time playing stops (5 rounds), to grow a long history.
 */
const PLAY_LIMIT = LONG ? { steps: 4000, ms: 240_000, rounds: 5 } : { steps: 1000, ms: 40_000, rounds: 1 };
/** WCAG AA contrast for text. */
const MIN_CONTRAST = 4.5;

const exact = (s) => new RegExp(`^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'i');

// ---------------------------------------------------------------------------
// Pages.

/** Screenshot into OUT_DIR as i9-<label>.png (listed with the test's result). */
async function shot(t, page, label) {
  await mkdir(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `i9-${label}.png`);
  await page.screenshot({ path: file });
  t.shots.push(path.relative(process.cwd(), file));
  return file;
}

const pageUrl = (t, query = '') => new URL(query || './', t.baseUrl).href;

/** A fresh context and page on `query` (e.g. "?preset=x"), booted. */
async function openPage(t, query = '', { viewport = DESKTOP, ...contextOptions } = {}) {
  const page = await t.newPage({ viewport, url: pageUrl(t, query), ...contextOptions });
  await waitForApp(page);
  return page;
}

/** The select labelled `label`, opening the settings drawer ("Settings") if it is closed. */
async function selectControl(page, label) {
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
async function setFastest(root) {
  const speed = await selectControl(root, 'Speed');
  const values = await speed.evaluate((s) => [...s.options].map((o) => ({ value: o.value, label: o.textContent })));
  assert(values.length > 0, 'the Speed select has no options');
  const last = values[values.length - 1];
  await setLabelled(root, 'Speed', last.value);
  const rate = Number((last.label.match(/([\d.]+)\s*steps?\/s/) || [])[1]);
  return rate > 0 ? Math.ceil(1000 / rate) : 62;
}

/** Press Step forward `n` times, each time waiting (up to 1.5 s) for the counter to move. */
async function stepForward(page, n = 1) {
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
const isPlaying = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('button')].some((b) => /^\s*pause\s*$/i.test(b.getAttribute('aria-label') || b.textContent || '')),
  );

/**
 * The stage picture, once settled: every svg.stage's markup without what
 * depends on the size of its box (the stage lays itself out to fill it, so a
 * page and an iframe draw the same picture at different coordinates, with
 * labels ellipsized to their room): geometry, animation state and drawn
 * text go; structure, classes, accessible names and tooltips stay.
 */
async function stagePicture(page) {
  await waitForAnimations(page).catch(() => {});
  let prev = null;
  for (let i = 0; i < 50; i++) {
    const cur = await page.evaluate(() =>
      [...document.querySelectorAll('svg.stage')]
        .map((s) => {
          const c = s.cloneNode(true);
          const geometry = ['x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'width', 'height', 'transform', 'd', 'style', 'viewBox'];
          for (const n of [c, ...c.querySelectorAll('*')]) for (const a of geometry) n.removeAttribute(a);
          c.classList.remove('overflow');
          for (const t of c.querySelectorAll('text')) for (const n of [...t.childNodes]) if (n.nodeType === 3) n.remove();
          for (const t of c.querySelectorAll('text > tspan')) t.textContent = '';
          return c.outerHTML;
        })
        .join('\n'),
    );
    if (cur === prev) return cur;
    prev = cur;
    await sleep(40);
  }
  return prev;
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const at = (s) => JSON.stringify(s.slice(Math.max(0, i - 60), i + 80));
  return `lengths ${a.length} vs ${b.length}, first difference at ${i}: ${at(a)} vs ${at(b)}`;
}

/** Everything that identifies what is on screen. */
async function screenState(page) {
  const c = await counter(page);
  const lesson = await page.evaluate(() => {
    const p = document.querySelector('section.lesson-panel');
    if (!p) return null;
    const text = (s) => (p.querySelector(s)?.textContent || '').replace(/\s+/g, ' ').trim();
    return { title: text('h2'), progress: text('[data-testid="lesson-progress"]') };
  });
  return {
    step: c.step,
    narration: await narrationText(page),
    svg: await stagePicture(page),
    // The cluster's state in words, whatever the size of the stage: every
    // leader's HW and LEO and every broker's state (the accessible names).
    cluster: await page.evaluate(() =>
      [...document.querySelectorAll('.stage-wrap svg.stage g.row.leader, .stage-wrap svg.stage [data-fk^="broker-"]')]
        .map((g) => g.getAttribute('aria-label'))
        .sort()
        .join(' | '),
    ),
    lesson,
    embed: (await page.locator('.app.embed').count()) > 0,
  };
}

/** Differences between two screen states (empty when the same). */
function stateDiff(got, want) {
  const out = [];
  if (got.step !== want.step) out.push(`step ${got.step}, expected ${want.step}`);
  if (got.narration !== want.narration) out.push(`narration "${got.narration.slice(0, 160)}" vs "${want.narration.slice(0, 160)}"`);
  // The same picture in the same mode; an embed and a full page give the
  // stage boxes of different sizes, so there the cluster's state must agree.
  if (got.embed === want.embed && got.svg !== want.svg) out.push(`the stage picture differs (${firstDifference(got.svg, want.svg)})`);
  if (got.cluster !== want.cluster) out.push(`the cluster differs: "${got.cluster.slice(0, 300)}" vs "${want.cluster.slice(0, 300)}"`);
  if (want.lesson && !got.lesson) out.push(`the lesson "${want.lesson.title}" is not shown`);
  else if (want.lesson && (got.lesson.title !== want.lesson.title || got.lesson.progress !== want.lesson.progress)) {
    out.push(`lesson ${JSON.stringify(got.lesson)}, expected ${JSON.stringify(want.lesson)}`);
  }
  return out;
}

/** Description of the focused element (in the page). */
const activeInfo = (page) =>
  page.evaluate(() => {
    const a = document.activeElement;
    const body = !a || a === document.body || a === document.documentElement;
    const dialog = a && a.closest ? a.closest('[role=dialog],[role=alertdialog]') : null;
    const section = a && a.closest ? a.closest('section[aria-label], fieldset, section.lesson-panel') : null;
    return {
      body,
      tag: a ? a.tagName.toLowerCase() : '',
      role: (a && a.getAttribute && a.getAttribute('role')) || '',
      label: (a && a.getAttribute && a.getAttribute('aria-label')) || '',
      text: a ? (a.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 80) : '',
      inDialog: !!dialog,
      section: section ? section.getAttribute('aria-label') || section.className || section.tagName.toLowerCase() : '',
      inPredict: !!(a && a.closest && a.closest('fieldset.predict')),
      inLesson: !!(a && a.closest && a.closest('section.lesson-panel')),
    };
  });
const describeActive = (i) => (i.body ? '<body>' : `<${i.tag}${i.role ? ` role=${i.role}` : ''}> "${(i.label || i.text).slice(0, 60)}"`);

/** Press Tab (or Shift+Tab) until the focused element satisfies `pred`. */
async function tabTo(page, pred, what, { max = 160, key = 'Tab' } = {}) {
  const path_ = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const info = await activeInfo(page);
    if (pred(info)) return info;
    path_.push(describeActive(info));
  }
  throw new AssertionError(`${max} presses of ${key} never reached ${what}; the last ones focused: ${path_.slice(-6).join(', ')}`);
}


// ---------------------------------------------------------------------------
// Playing every preset: DOM size and long tasks, measured in the page.

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

/** The probe's numbers and the transport's state, in one read. */
const probeState = (page) =>
  page.evaluate(() => {
    const s = window.__i9;
    const c = document.querySelector('[data-testid="step-counter"]');
    const m = c && c.textContent.match(/Step\s+(\d+)/);
    const playing = [...document.querySelectorAll('button')].some((b) =>
      /^\s*pause\s*$/i.test(b.getAttribute('aria-label') || b.textContent || ''),
    );
    const long = s.long.filter((e) => e.start >= s.mark);
    // Under Playwright's clock, the first timer of a runFor() runs inside the
    // DevTools call's own task, which Chrome does not report as a long task:
    // make that first timer this no-op, so every app tick runs in a task of its own.
    setTimeout(() => {}, 0);
    return {
      step: m ? Number(m[1]) : -1,
      playing,
      maxDom: s.maxDom,
      over: s.over,
      longest: long.reduce((a, e) => Math.max(a, e.dur), 0),
      longTasks: long.length,
    };
  });

/**
 * Opens `query` in `page` (which has the probe and Playwright's clock), sets the
 * fastest speed, presses Play and runs the page's timers fast (page.clock.runFor:
 * the app's own setInterval ticks, each in its own task, without the idle time
 * between them) until playing stops by itself or the limit is reached.
 */
async function playAndMeasure(page, query, baseUrl) {
  await page.goto(new URL(query || './', baseUrl).href, { waitUntil: 'load' });
  await waitForApp(page);
  const tick = await setFastest(page);
  await sleep(150);
  await page.evaluate(() => window.__i9.start());
  const started = Date.now();
  let st;
  let sawPlaying = false;
  let rounds = 0;
  const stopsAt = [];
  while (rounds < PLAY_LIMIT.rounds && Date.now() - started < PLAY_LIMIT.ms) {
    rounds++;
    await playButton(page).click();
    st = await probeState(page);
    sawPlaying ||= st.playing;
    while (Date.now() - started < PLAY_LIMIT.ms) {
      await page.clock.runFor(tick * 5);
      st = await probeState(page);
      sawPlaying ||= st.playing;
      if (!st.playing || st.over || st.step >= PLAY_LIMIT.steps) break;
    }
    if (st.playing || st.over) break;
    stopsAt.push(st.step);
  }
  const seconds = (Date.now() - started) / 1000;
  if (st.playing && !st.over) {
    await page.keyboard.press('Escape');
    await blurActive(page);
    await page.keyboard.press('Space'); // pause before leaving
  }
  return { ...st, sawPlaying, stopped: !st.playing, seconds, stopsAt };
}

// ---------------------------------------------------------------------------
// Colours (in the page): contrast of every SVG label against what is behind it.

/**
 * For every visible <text> in svg.stage: its fill (with fill-opacity and the
 * opacity of it and its SVG ancestors) composited over the background behind
 * its centre: the svg's own background and its HTML ancestors' (down from the
 * page's canvas), then every filled shape of the svg painted before the text
 * that contains the point (SVGGeometryElement.isPointInFill, so shapes with
 * pointer-events:none count too), each with its fill, fill-opacity and
 * opacities. A pattern fill (url(#…)) counts as its own colours over the
 * background and as the background alone; the worst case is reported.
 * Returns [{ text, fill, bg, ratio }].
 */
export function svgTextContrast() {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const parse = (str) => {
    if (!str || str === 'none' || str === 'transparent') return null;
    const m = str.match(/^rgba?\(([^)]*)\)$/);
    if (m) {
      const p = m[1].split(/[\s,/]+/).filter(Boolean);
      const a = p.length > 3 ? (p[3].endsWith('%') ? parseFloat(p[3]) / 100 : parseFloat(p[3])) : 1;
      return { r: parseFloat(p[0]), g: parseFloat(p[1]), b: parseFloat(p[2]), a };
    }
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#000';
    ctx.fillStyle = str;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return { r: d[0], g: d[1], b: d[2], a: d[3] / 255 };
  };
  const blend = (fg, a, bg) => ({ r: fg.r * a + bg.r * (1 - a), g: fg.g * a + bg.g * (1 - a), b: fg.b * a + bg.b * (1 - a), a: 1 });
  const lin = (v) => {
    v /= 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  const ratio = (x, y) => {
    const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p);
    return (a + 0.05) / (b + 0.05);
  };
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const opacityUpTo = (el, stop) => {
    let o = 1;
    for (let n = el; n; n = n.parentElement) {
      o *= parseFloat(getComputedStyle(n).opacity);
      if (n === stop) break;
    }
    return o;
  };
  const dark = matchMedia('(prefers-color-scheme: dark)').matches && /dark/.test(getComputedStyle(document.documentElement).colorScheme);
  const canvasColour = dark ? { r: 18, g: 18, b: 18, a: 1 } : { r: 255, g: 255, b: 255, a: 1 };
  const out = [];
  for (const svg of document.querySelectorAll('svg.stage')) {
    // Behind the svg: its HTML ancestors' backgrounds, from the canvas down.
    const chain = [];
    for (let n = svg; n; n = n.parentElement) chain.push(n);
    let base = canvasColour;
    for (const n of chain.reverse()) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) base = blend(c, c.a, base);
    }
    const shapes = [...svg.querySelectorAll('rect, circle, ellipse, path, polygon')]
      .filter((s) => !s.closest('defs, pattern, clipPath, mask, marker, symbol'))
      .filter((s) => s.checkVisibility({ opacityProperty: true, visibilityProperty: true }))
      .map((s) => {
        const cs = getComputedStyle(s);
        const fill = cs.fill;
        const alpha = parseFloat(cs.fillOpacity) * opacityUpTo(s, svg);
        let colours = null;
        let pattern = false;
        const url = fill.match(/url\(["']?#([^"')]+)["']?\)/);
        if (url) {
          const p = svg.ownerDocument.getElementById(url[1]);
          pattern = true;
          colours = p
            ? [...p.querySelectorAll('*')].flatMap((k) => {
                const kc = getComputedStyle(k);
                return [kc.fill, kc.stroke].map(parse).filter((c) => c && c.a > 0);
              })
            : [];
        } else {
          const c = parse(fill);
          colours = c && c.a > 0 ? [c] : [];
        }
        return { s, alpha, colours, pattern };
      })
      .filter((x) => x.colours.length > 0 && x.alpha > 0.01);
    for (const text of svg.querySelectorAll('text')) {
      const label = (text.textContent || '').replace(/\s+/g, ' ').trim();
      if (!label || !text.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      const cs = getComputedStyle(text);
      const fill = parse(cs.fill);
      if (!fill) continue;
      const alpha = fill.a * parseFloat(cs.fillOpacity) * opacityUpTo(text, svg);
      if (alpha < 0.05) continue;
      const r = text.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const pt = new DOMPoint(r.left + r.width / 2, r.top + r.height / 2);
      let bgs = [base];
      for (const x of shapes) {
        if (!(x.s.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
        const ctm = x.s.getScreenCTM();
        if (!ctm) continue;
        if (!x.s.isPointInFill(pt.matrixTransform(ctm.inverse()))) continue;
        if (x.pattern) {
          bgs = bgs.flatMap((b) => [b, ...x.colours.map((c) => blend(c, c.a * x.alpha, b))]);
        } else {
          const c = x.colours[0];
          bgs = bgs.map((b) => blend(c, c.a * x.alpha, b));
        }
        bgs = [...new Map(bgs.map((b) => [hex(b), b])).values()].slice(0, 8);
      }
      let worst = null;
      for (const bg of bgs) {
        const fg = blend(fill, alpha, bg);
        const k = ratio(fg, bg);
        if (!worst || k < worst.ratio) worst = { ratio: k, bg: hex(bg), fg: hex(fg) };
      }
      out.push({
        text: label.slice(0, 40),
        fill: hex(fill) + (alpha < 0.999 ? ` at ${alpha.toFixed(2)}` : ''),
        bg: worst.bg,
        ratio: Math.round(worst.ratio * 100) / 100,
        cls: typeof text.className === 'object' ? text.className.baseVal : '',
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Other in-page checks.

/** Why element `el` is clipped (its text cut off) up to the ancestor matching `stop`; [] when not. */
export function clipReport(el, stop) {
  const out = [];
  const name = (n) => `<${n.tagName.toLowerCase()}${n.className && typeof n.className === 'string' ? `.${n.className.trim().split(/\s+/).join('.')}` : ''}>`;
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  if (cs.display === 'none' || cs.visibility === 'hidden' || r.width === 0 || r.height === 0) return [`${name(el)} is not displayed`];
  if (cs.display !== 'inline' && el.scrollWidth > el.clientWidth + 1) {
    out.push(`${name(el)} needs ${el.scrollWidth} px for its text and has ${el.clientWidth} px`);
  }
  if (r.left < -0.5 || r.right > innerWidth + 0.5) out.push(`${name(el)} spans x ${Math.round(r.left)}–${Math.round(r.right)}, outside the ${innerWidth} px viewport`);
  for (let n = el.parentElement; n; n = n.parentElement) {
    const ns = getComputedStyle(n);
    const clips = ns.overflowX !== 'visible';
    const nr = n.getBoundingClientRect();
    if (clips && (r.left < nr.left - 0.5 || r.right > nr.right + 0.5)) {
      out.push(`${name(n)} (x ${Math.round(nr.left)}–${Math.round(nr.right)}, overflow ${ns.overflowX}) cuts ${name(el)} (x ${Math.round(r.left)}–${Math.round(r.right)})`);
    }
    if (clips && n.scrollWidth > n.clientWidth + 1) {
      out.push(`${name(n)} (overflow ${ns.overflowX}) needs ${n.scrollWidth} px and has ${n.clientWidth} px`);
    }
    if (n.matches(stop)) break;
  }
  return out;
}

/** The live regions' texts: role=status/alert/log and aria-live (not off). */
const liveTexts = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('[role=status], [role=alert], [role=log], [aria-live]')]
      .filter((el) => (el.getAttribute('aria-live') || 'polite') !== 'off')
      .filter((el) => !el.parentElement || !el.parentElement.closest('[role=status], [role=alert], [role=log], [aria-live]'))
      .map((el) => ({ cls: el.className, text: (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim() })),
  );

/** A computed-style signature of an element and its descendants: what forced colours leave visible. */
export function forcedLook(el) {
  const sides = ['top', 'right', 'bottom', 'left'];
  const sig = (n) => {
    const cs = getComputedStyle(n);
    if (cs.display === 'none') return 'hidden';
    const parts = [];
    for (const s of sides) {
      const w = cs.getPropertyValue(`border-${s}-width`);
      const st = cs.getPropertyValue(`border-${s}-style`);
      parts.push(st === 'none' || st === 'hidden' || parseFloat(w) === 0 ? `b-${s}:none` : `b-${s}:${w} ${st} ${cs.getPropertyValue(`border-${s}-color`)}`);
    }
    const ow = cs.outlineWidth;
    parts.push(cs.outlineStyle === 'none' || parseFloat(ow) === 0 ? 'outline:none' : `outline:${ow} ${cs.outlineStyle} ${cs.outlineColor}`);
    parts.push(`bg:${cs.backgroundColor}`);
    const tdl = cs.textDecorationLine;
    parts.push(tdl === 'none' ? 'td:none' : `td:${tdl} ${cs.textDecorationStyle} ${cs.textDecorationThickness} ${cs.textDecorationColor}`);
    return parts.join(';');
  };
  return [el, ...el.querySelectorAll('*')].map((n) => `${n.tagName.toLowerCase()}{${sig(n)}}`);
}

// ---------------------------------------------------------------------------

export const issue9Tests = [
  {
    name: 'i9_every_preset_plays_with_bounded_dom',
    timeout: LONG ? 4 * 3600_000 : 420_000,
    fn: async (t) => {
      const ids = presetIds();
      const page = await t.newPage({ viewport: DESKTOP, url: null });
      await page.context().addInitScript(perfProbe, DOM_BOUND);
      await page.clock.install();
      // The Scenario select offers exactly the table's presets.
      await page.goto(pageUrl(t), { waitUntil: 'load' });
      await waitForApp(page);
      const offered = await (await selectControl(page, 'Scenario'))
        .evaluate((s) => [...s.options].map((o) => o.value).filter(Boolean));
      const p = problems();
      const missing = ids.filter((id) => !offered.includes(id));
      p.check(missing.length === 0, `the Scenario select does not offer ${missing.join(', ')}`);
      const rows = [];
      for (const id of [null, ...ids]) {
        const name = id || '(free scenario)';
        const errorsBefore = t.errors.length;
        let r;
        try {
          r = await playAndMeasure(page, id ? `?preset=${id}` : '', t.baseUrl);
        } catch (err) {
          p.add(`${name}: ${err.message.split('\n')[0]}`);
          rows.push(`${name.padEnd(34)} error`);
          continue;
        }
        const errs = t.errors.length - errorsBefore;
        rows.push(
          `${name.padEnd(34)} max DOM ${String(r.maxDom).padStart(6)}  longest task ${String(r.longest).padStart(4)} ms  ` +
            `${String(r.step).padStart(4)} steps  ${r.stopped ? 'stopped by itself' : r.over ? 'DOM over bound' : 'still playing'}` +
            `${r.stopsAt.length > 1 ? ` (stops at ${r.stopsAt.join(', ')})` : ''}  ${r.seconds.toFixed(1)} s` +
            (errs ? `  ${errs} page error(s)` : ''),
        );
        p.check(r.sawPlaying || r.step > 0, `${name}: pressing Play did not start playing`);
        if (r.over) p.add(`${name}: the DOM reached ${r.over.n} elements (bound ${DOM_BOUND}) at "${r.over.counter}"`);
        else p.check(r.maxDom <= DOM_BOUND, `${name}: the DOM reached ${r.maxDom} elements (bound ${DOM_BOUND})`);
        p.check(r.longest <= LONG_TASK_MS, `${name}: a task took ${r.longest} ms while playing (bound ${LONG_TASK_MS} ms; ${r.longTasks} tasks over 50 ms)`);
        p.check(r.stopped || r.over, `${name}: still playing after ${r.step} steps (${r.seconds.toFixed(0)} s): playing must stop by itself once the workload is done`);
        p.check(errs === 0, `${name}: ${errs} page error(s): ${t.errors.slice(errorsBefore, errorsBefore + 2).join(' | ')}`);
      }
      console.log(`    play every preset at the fastest speed (limit ${PLAY_LIMIT.steps} steps / ${PLAY_LIMIT.ms / 1000} s each${PLAY_LIMIT.rounds > 1 ? `, Play pressed again up to ${PLAY_LIMIT.rounds} times` : ''}):\n      ${rows.join('\n      ')}`);
      p.done('playing the presets');
    },
  },

  {
    name: 'i9_zombie_fenced_stepped_by_hand_keeps_dom_bounded',
    timeout: 120_000,
    fn: async (t) => {
      const page = await t.newPage({ viewport: DESKTOP, url: null });
      await page.context().addInitScript(perfProbe, DOM_BOUND);
      await page.goto(pageUrl(t, '?preset=zombie-fenced'), { waitUntil: 'load' });
      await waitForApp(page);
      await page.evaluate(() => window.__i9.start());
      const counts = [];
      let st = null;
      for (let i = 1; i <= 60; i++) {
        await stepButton(page).click({ timeout: 20_000 });
        st = await probeState(page);
        counts.push(await page.evaluate(() => document.getElementsByTagName('*').length));
        if (st.over) break;
      }
      const max = Math.max(st.maxDom, ...counts);
      console.log(`    zombie-fenced by hand: ${counts.length} presses, step ${st.step}, max DOM ${max}, longest task ${st.longest} ms`);
      await shot(t, page, 'zombie-fenced-60-steps');
      assert(!st.over && max <= DOM_BOUND, `the DOM reached ${st.over ? st.over.n : max} elements (bound ${DOM_BOUND})${st.over ? ` at "${st.over.counter}"` : ''}`);
      assert(st.longest <= LONG_TASK_MS, `a Step forward took ${st.longest} ms (bound ${LONG_TASK_MS} ms)`);
    },
  },

  {
    name: 'i9_links_round_trip_from_every_entry',
    timeout: 150_000,
    fn: async (t) => {
      const entries = [
        { name: 'the plain page', query: '' },
        { name: 'a preset', query: '?preset=acks1-failover-loss' },
        { name: 'a lesson', query: '?lesson=producer-acks', lesson: true },
        { name: 'an embedded preset', query: '?embed&preset=acks1-failover-loss', embed: true },
      ];
      const p = problems();
      for (const e of entries) {
        const viewport = e.embed ? { width: 800, height: 500 } : DESKTOP;
        try {
          const page = await openPage(t, e.query, { viewport });
          if (e.lesson) await page.locator('section.lesson-panel').waitFor({ state: 'visible', timeout: 10_000 });
          const moved = await stepForward(page, 5);
          p.check(moved === 5, `${e.name}: 5 presses of Step forward moved the counter ${moved} times`);
          const live = await screenState(page);
          const href = await page.evaluate(() => location.href);
          p.check(/#v1\./.test(href), `${e.name}: the address bar holds no v1 link at step ${live.step}: ${href}`);
          const links = [['the address bar', href, viewport, e.embed]];
          let embedSrc = null;
          if (!e.embed) {
            await page.getByRole('button', { name: exact('Share') }).click();
            const dialog = page.getByRole('dialog').filter({ has: page.getByRole('textbox', { name: 'Link', exact: true }) });
            await dialog.waitFor({ state: 'visible', timeout: 5000 });
            const link = await dialog.getByRole('textbox', { name: 'Link', exact: true }).inputValue();
            const code = await dialog.getByRole('textbox', { name: 'Embed code', exact: true }).inputValue();
            links.push(['the Share dialog\'s Link', link, viewport, false]);
            embedSrc = await page.evaluate((html) => {
              const f = new DOMParser().parseFromString(html, 'text/html').querySelector('iframe');
              return f ? f.getAttribute('src') : null;
            }, code);
            p.check(embedSrc, `${e.name}: the embed code has no <iframe src>: ${code}`);
            if (embedSrc) links.push(['the embed code\'s iframe src', embedSrc, { width: 800, height: 500 }, true]);
            await page.keyboard.press('Escape');
          } else {
            const open = page.getByRole('link', { name: /^Open/ });
            p.check((await open.count()) === 1, `${e.name}: no "Open ↗" link`);
            if ((await open.count()) === 1) links.push(['the "Open ↗" link', new URL(await open.getAttribute('href'), href).href, DESKTOP, false]);
          }
          for (const [what, url, vp, embedded] of links) {
            const opened = await t.newPage({ viewport: vp, url });
            await waitForApp(opened);
            await waitForStep(opened, live.step, { what: `${e.name}, ${what}` }).catch((err) => p.add(err.message));
            const got = await screenState(opened);
            const diff = stateDiff(got, live);
            p.check(diff.length === 0, `${e.name} at step ${live.step}, ${what} (${url}) opens: ${diff.join('; ')}`);
            const shareButtons = await opened.getByRole('button', { name: exact('Share') }).count();
            if (embedded) p.check(got.embed || shareButtons === 0, `${e.name}: ${what} does not open in embed mode`);
            else p.check(!got.embed && shareButtons === 1, `${e.name}: ${what} opens in embed mode, not a full page`);
            await opened.context().close();
          }
        } catch (err) {
          p.add(`${e.name}: ${err.message.split('\n')[0]}`);
        }
      }
      p.done('links that do not reopen what was on screen');
    },
  },

  {
    name: 'i9_axe_zero_violations',
    timeout: 240_000,
    fn: async (t) => {
      const views = [];
      const check = async (label, page, { screenshot = false } = {}) => {
        await waitForAnimations(page).catch(() => {});
        const v = await runAxe(page);
        views.push({ label, violations: v });
        if (screenshot || v.length) await shot(t, page, `axe-${label}`);
      };
      const desk = async (query = '', opts = {}) => openPage(t, query, { viewport: DESKTOP, ...opts });

      let page = await desk();
      await check('default', page);
      await stepForward(page, 6);
      await check('mid-run', page);
      await page.getByRole('button', { name: exact('Share') }).click();
      await page.getByRole('textbox', { name: 'Link', exact: true }).waitFor({ state: 'visible', timeout: 5000 });
      await check('share-dialog', page);
      await page.keyboard.press('Escape');
      await page.context().close();

      page = await desk();
      await openGallery(page);
      await check('lessons-gallery', page);
      await page.context().close();

      page = await desk();
      await blurActive(page);
      await page.keyboard.press('?');
      await page.getByRole('dialog').first().waitFor({ state: 'visible', timeout: 3000 });
      await check('help-dialog', page);
      await page.context().close();

      page = await desk('?preset=semantics-side-by-side');
      await stepForward(page, 4);
      await check('side-by-side', page);
      await page.context().close();

      // A lesson's question, and its reveal once answered.
      page = await desk('?lesson=producer-acks');
      const panel = page.locator('section.lesson-panel');
      await panel.waitFor({ state: 'visible', timeout: 10_000 });
      await setFastest(page);
      const choices = panel.locator('fieldset.predict button');
      for (let i = 0; i < 12 && (await choices.count()) === 0; i++) {
        const next = panel.getByRole('button', { name: /^(Next|Next: predict|Continue)$/ });
        if (await next.count()) await next.first().click();
        await waitFor(async () => (await choices.count()) > 0 || (await next.count()) > 0, { timeout: 20_000 }).catch(() => {});
        await sleep(100);
      }
      assert((await choices.count()) > 0, 'the producer-acks lesson never asked a question');
      await check('lesson-question', page, { screenshot: true });
      await choices.first().click();
      await panel.locator('.reveal').waitFor({ state: 'visible', timeout: 20_000 });
      await waitFor(async () => !(await isPlaying(page)), { timeout: 20_000 }).catch(() => {});
      await check('lesson-reveal', page, { screenshot: true });
      await page.context().close();

      page = await openPage(t, '?embed&lesson=rebalancing', { viewport: { width: 800, height: 500 } });
      await page.locator('section.lesson-panel').waitFor({ state: 'visible', timeout: 10_000 });
      await check('embedded-lesson-800x500', page);
      await page.context().close();

      page = await desk('', { colorScheme: 'dark' });
      await page.emulateMedia({ colorScheme: 'dark' });
      await stepForward(page, 6);
      await check('dark-mid-run', page, { screenshot: true });
      await page.context().close();

      console.log(`    axe violations per view: ${views.map((v) => `${v.label} ${v.violations.length}`).join(', ')}`);
      const bad = views.filter((v) => v.violations.length);
      assert(
        bad.length === 0,
        `axe-core (${['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'].join(', ')}) found violations:\n` +
          bad.map((v) => `  [${v.label}]\n    ${describeAxe(v.violations).split('\n').join('\n    ')}`).join('\n'),
      );
    },
  },

  {
    name: 'i9_svg_labels_meet_contrast',
    timeout: 150_000,
    fn: async (t) => {
      const p = problems();
      const summary = [];
      for (const scheme of ['light', 'dark']) {
        for (const [query, steps] of [
          ['', 6],
          ['?preset=c-joins-side-by-side', 20],
        ]) {
          const what = `${query || 'default page'} after ${steps} steps, ${scheme}`;
          const page = await openPage(t, query, { viewport: DESKTOP, colorScheme: scheme });
          await page.emulateMedia({ colorScheme: scheme });
          await stepForward(page, steps);
          await waitForAnimations(page).catch(() => {});
          const labels = await page.evaluate(svgTextContrast);
          const low = labels.filter((l) => l.ratio < MIN_CONTRAST);
          summary.push(`${what}: ${labels.length} labels, ${low.length} below ${MIN_CONTRAST}`);
          p.check(labels.length > 0, `${what}: no visible <text> in svg.stage`);
          const seen = new Set();
          for (const l of low) {
            const key = `${l.text}|${l.fill}|${l.bg}`;
            if (seen.has(key)) continue;
            seen.add(key);
            if (seen.size <= 25) p.add(`${what}: "${l.text}" (${l.cls || 'text'}) ${l.fill} on ${l.bg} = ${l.ratio}:1`);
          }
          if (seen.size > 25) p.add(`${what}: … and ${seen.size - 25} more distinct labels below ${MIN_CONTRAST}:1`);
          if (low.length) await shot(t, page, `contrast-${scheme}-${query ? 'c-joins' : 'default'}`);
          await page.context().close();
        }
      }
      console.log(`    ${summary.join('\n    ')}`);
      p.done(`SVG labels below ${MIN_CONTRAST}:1`);
    },
  },

  {
    name: 'i9_forced_colors_keep_highlights',
    fn: async (t) => {
      const page = await openPage(t, '', { viewport: DESKTOP, forcedColors: 'active' });
      await page.emulateMedia({ forcedColors: 'active' });
      assert(await page.evaluate(() => matchMedia('(forced-colors: active)').matches), 'forced-colors: active did not apply');
      await stepForward(page, 3);
      await waitForAnimations(page).catch(() => {});
      const p = problems();
      const compare = async (what, selected, others) => {
        const a = await selected.evaluate(forcedLook);
        for (const [name, other] of others) {
          if ((await other.count()) === 0) {
            p.add(`${what}: no ${name} to compare with`);
            continue;
          }
          const b = await other.first().evaluate(forcedLook);
          const differs = a.length !== b.length || a.some((x, i) => x !== b[i]);
          p.check(differs, `${what} looks the same as ${name} in forced colours (border, outline, background, text decoration): ${a[0]}`);
        }
      };
      const selectedTab = page.locator('[role=tab][aria-selected="true"]');
      assert((await selectedTab.count()) >= 1, 'no selected tab (role=tab, aria-selected=true)');
      await compare('the selected tab', selectedTab.first(), [['an unselected tab', page.locator('[role=tab][aria-selected="false"]')]]);
      const current = page.locator('.pipeline li.stage-chip.current, .pipeline li[aria-current="step"]').first();
      assert((await current.count()) === 1, 'no current stage chip after 3 steps');
      await compare('the current stage chip', current, [
        ['a done stage chip', page.locator('.pipeline li.stage-chip.done')],
        ['a later stage chip', page.locator('.pipeline li.stage-chip.todo')],
      ]);
      await shot(t, page, 'forced-colors');
      p.done('highlights lost in forced colours');
    },
  },

  {
    name: 'i9_keyboard_walkthrough',
    timeout: 180_000,
    fn: async (t) => {
      const p = problems();
      const page = await openPage(t, '', { viewport: DESKTOP });
      await setLabelled(page, 'Brokers', '3');
      await page.getByRole('button', { name: /^Broker 2\b/ }).waitFor({ state: 'attached', timeout: 5000 });
      await blurActive(page);
      const notPlaying = async (what) => {
        await sleep(400);
        if (await isPlaying(page)) {
          p.add(`${what} started playing (the key went to Play/Pause)`);
          await blurActive(page);
          await page.keyboard.press('Space');
        }
      };

      // A broker: Enter crashes it, Space restarts it.
      const broker = await tabTo(page, (i) => i.role === 'button' && /^Broker \d/.test(i.label), 'a broker (role=button "Broker …")');
      const id = broker.label.match(/^Broker (\d+)/)[1];
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: new RegExp(`^Broker ${id}\\b.*\\bcrashed\\b`) }).waitFor({ state: 'attached', timeout: 3000 })
        .catch(() => p.add(`Enter on "${broker.label}" did not crash it`));
      let a = await activeInfo(page);
      if (p.check(a.label.startsWith(`Broker ${id}`), `after Enter on broker ${id}, focus is on ${describeActive(a)}, not on the broker`)) {
        await page.keyboard.press('Space');
        await page.getByRole('button', { name: new RegExp(`^Broker ${id}\\b.*\\brunning\\b`) }).waitFor({ state: 'attached', timeout: 3000 })
          .catch(() => p.add(`Space on the focused crashed broker ${id} did not restart it`));
        await notPlaying(`Space on the focused broker ${id}`);
        // (Each command is a step of the history; playing would keep counting.)
        const c1 = (await counter(page)).step;
        await sleep(600);
        const c2 = (await counter(page)).step;
        p.check(c2 === c1, `after Space on the focused broker ${id} the step counter kept moving (${c1} → ${c2})`);
      }

      // A consumer: Enter opens its action card; a crash action by keyboard keeps focus on the page.
      await blurActive(page);
      const consumer = await tabTo(page, (i) => i.role === 'button' && /^Consumer /.test(i.label), 'a consumer (role=button "Consumer …")');
      await page.keyboard.press('Enter');
      const card = page.locator('section[aria-label$=" actions"]');
      const cardOpen = await card.first().waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false);
      p.check(cardOpen, `Enter on "${consumer.label}" did not open its action card`);
      a = await activeInfo(page);
      p.check(!a.body, `after Enter on "${consumer.label}" focus fell to <body>`);
      if (cardOpen) {
        await tabTo(page, (i) => i.tag === 'button' && /^Crash/.test(i.text) && / actions$/.test(i.section), 'a "Crash …" button of the action card');
        const before = await page.getByRole('button', { name: /^Consumer / }).first().getAttribute('aria-label');
        await page.keyboard.press('Enter');
        await waitFor(async () => (await page.getByRole('button', { name: /^Consumer / }).first().getAttribute('aria-label')) !== before, { timeout: 2000 }).catch(() => {});
        await sleep(300);
        a = await activeInfo(page);
        p.check(!a.body, 'after a crash action from the consumer\'s card, focus fell to <body>');
        await notPlaying('Enter on a crash action');
      }

      // The "+" of a group: Space adds a consumer, focus stays on the page.
      await blurActive(page);
      const consumers = page.getByRole('button', { name: /^Consumer / });
      const n0 = await consumers.count();
      const add = await tabTo(page, (i) => /^Add a consumer/.test(i.label), 'the "+" (Add a consumer …)');
      await page.keyboard.press('Space');
      await waitFor(async () => (await consumers.count()) > n0, { timeout: 3000 }).catch(() => p.add(`Space on "${add.label}" did not add a consumer (${n0} before)`));
      await sleep(200);
      a = await activeInfo(page);
      p.check(!a.body, `after Space on "${add.label}" focus fell to <body>`);
      await notPlaying(`Space on "${add.label}"`);

      // Modal dialogs: focus moves in, Tab stays in, Esc closes and returns focus.
      for (const [button, heading] of [
        ['Share', 'Share this run'],
        ['Lessons', 'Lessons'],
      ]) {
        await blurActive(page);
        await tabTo(page, (i) => i.tag === 'button' && (i.label === button || i.text === button), `the ${button} button`);
        await page.keyboard.press('Enter');
        const dialog = page.getByRole('dialog').filter({ has: page.getByRole('heading', { name: heading, exact: true }) });
        if (!(await dialog.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false))) {
          p.add(`Enter on the ${button} button did not open its dialog`);
          continue;
        }
        await sleep(150);
        a = await activeInfo(page);
        p.check(a.inDialog, `${button} dialog: focus did not move into the dialog (it is on ${describeActive(a)})`);
        const escaped = [];
        let prev = a;
        for (let i = 0; i < 15; i++) {
          await page.keyboard.press('Tab');
          const f = await activeInfo(page);
          if (!f.inDialog) escaped.push(`Tab ${i + 1} from ${describeActive(prev)} went to ${describeActive(f)}`);
          prev = f;
        }
        p.check(escaped.length === 0, `${button} dialog: Tab left the dialog (${escaped.slice(0, 3).join('; ')})`);
        await page.keyboard.press('Escape');
        const closed = await dialog.waitFor({ state: 'hidden', timeout: 3000 }).then(() => true, () => false);
        p.check(closed, `${button} dialog: Escape did not close it`);
        if (!closed) {
          await dialog.getByRole('button', { name: /^Close/ }).first().click();
          continue;
        }
        a = await activeInfo(page);
        p.check(a.tag === 'button' && (a.label === button || a.text === button), `${button} dialog: after Escape focus is on ${describeActive(a)}, not on the ${button} button`);
      }
      await page.context().close();

      // A lesson's questions, answered with Space and (fresh page) Enter.
      const lesson = await fetchLesson(t.baseUrl, 'consumer-groups');
      const asked = lesson.beats.map((b, i) => ({ ...b, stop: i + 1 })).filter((b) => b.question);
      assert(asked.length >= 2, 'consumer-groups.lesson has fewer than two questions');
      for (const key of ['Space', 'Enter']) {
        const lp = await openPage(t, '?lesson=consumer-groups', { viewport: DESKTOP });
        const panel = lp.locator('section.lesson-panel');
        await panel.waitFor({ state: 'visible', timeout: 10_000 });
        await setFastest(lp);
        await blurActive(lp);
        const verdicts = () =>
          lp.evaluate(() =>
            [...document.querySelectorAll('body *')]
              .filter((el) => /^\s*(✓\s*Right|✗\s*Not quite)/.test(el.textContent || ''))
              .filter((el) => ![...el.children].some((c) => /^\s*(✓\s*Right|✗\s*Not quite)/.test(c.textContent || '')))
              .filter((el) => el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && el.getBoundingClientRect().height > 0)
              .map((el) => el.textContent.replace(/\s+/g, ' ').trim()),
          );
        let firstVerdict = null;
        for (const [k, q] of asked.slice(0, 2).entries()) {
          const what = `${key} on a choice of the question before stop ${q.stop}`;
          // Next (by keyboard) until the question is asked.
          for (let guard = 0; guard < 6 && (await panel.locator('fieldset.predict button').count()) === 0; guard++) {
            await tabTo(lp, (i) => i.inLesson && i.tag === 'button' && /^(Next|Next: predict|Continue)$/.test(i.text), 'the lesson\'s Next button');
            await lp.keyboard.press('Enter');
            await sleep(300);
            const f = await activeInfo(lp);
            p.check(!f.body, `${key} run: after pressing the lesson's Next with Enter, focus fell to <body>`);
            await waitFor(async () => (await panel.locator('fieldset.predict button').count()) > 0 || !(await isPlaying(lp)), { timeout: 20_000 }).catch(() => {});
          }
          if ((await panel.locator('fieldset.predict button').count()) === 0) {
            p.add(`${key} run: the question before stop ${q.stop} was never asked`);
            break;
          }
          if (k === 0) await shot(t, lp, `keyboard-lesson-question-${key.toLowerCase()}`);
          await tabTo(lp, (i) => i.inPredict && i.tag === 'button', 'a choice of the question');
          await lp.keyboard.press(key);
          const answered = await waitFor(async () => (await verdicts()).length > 0 || (await panel.count()) === 0, { timeout: 20_000 }).then(() => true, () => false);
          if (!p.check((await panel.count()) === 1, `${what}: the lesson panel is gone (the lesson exited)`)) break;
          p.check(answered && (await verdicts()).length > 0, `${what}: no verdict ("✓ Right" / "✗ Not quite") is shown`);
          await waitFor(async () => !(await isPlaying(lp)), { timeout: 20_000 }).catch(() => {});
          await sleep(500);
          const c = await counter(lp);
          p.check(!(await isPlaying(lp)) && c.step === q.step, `${what}: the run should wait at stop ${q.stop} (step ${q.step}); the counter reads ${c.text}${(await isPlaying(lp)) ? ', still playing' : ''}`);
          const shown = await verdicts();
          p.check(shown.length <= 1, `${what}: ${shown.length} verdicts are visible at once: ${shown.map((v) => `"${v.slice(0, 50)}"`).join(', ')}`);
          if (k === 0) firstVerdict = shown[0] || null;
          else if (firstVerdict) p.check(!shown.includes(firstVerdict), `${what}: the first question's verdict "${firstVerdict.slice(0, 60)}" is still visible`);
        }
        await lp.context().close();
      }
      p.done('keyboard problems');
    },
  },

  {
    name: 'i9_focused_control_never_hidden',
    timeout: 120_000,
    fn: async (t) => {
      const p = problems();
      const summary = [];
      for (const viewport of [DESKTOP, { width: 375, height: 667 }]) {
        const page = await openPage(t, '', { viewport });
        await blurActive(page);
        await page.evaluate(() => window.scrollTo(0, 0));
        const seen = [];
        const bad = [];
        for (let i = 0; i < 120; i++) {
          await page.keyboard.press('Tab');
          const state = await page.evaluate(() => {
            const a = document.activeElement;
            if (!a || a === document.body) return 'body';
            window.__i9focus ||= new Set();
            if (window.__i9focus.has(a)) return 'cycle';
            window.__i9focus.add(a);
            return 'new';
          });
          if (state === 'cycle') break;
          if (state === 'body') continue;
          const handle = await page.evaluateHandle(() => document.activeElement);
          const r = await handle.evaluate(seenInPage);
          await handle.dispose();
          seen.push(r.what);
          if (!r.ok) {
            bad.push(`${r.what}: ${r.why}`);
            if (bad.length === 1) await shot(t, page, `focus-hidden-${viewport.width}`);
          }
        }
        summary.push(`${viewport.width}x${viewport.height}: ${seen.length} focusable, ${bad.length} hidden`);
        for (const b of bad.slice(0, 15)) p.add(`${viewport.width}x${viewport.height}: ${b}`);
        if (bad.length > 15) p.add(`${viewport.width}x${viewport.height}: … and ${bad.length - 15} more`);
        p.check(seen.length > 10, `${viewport.width}x${viewport.height}: Tab reached only ${seen.length} elements`);
        await page.context().close();
      }
      console.log(`    ${summary.join('; ')}`);
      p.done('focused elements a person cannot see');
    },
  },

  {
    name: 'i9_narrow_screens',
    timeout: 90_000,
    fn: async (t) => {
      const p = problems();
      // 320 wide, embedded side by side: no horizontal scroll.
      let page = await openPage(t, '?embed&preset=semantics-side-by-side', { viewport: { width: 320, height: 640 } });
      for (const when of ['on load', 'after 4 steps']) {
        if (when !== 'on load') await stepForward(page, 4);
        const w = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: innerWidth }));
        p.check(w.sw <= w.iw, `?embed&preset=semantics-side-by-side at 320x640 ${when}: horizontal scroll (scrollWidth ${w.sw} > ${w.iw})`);
      }
      await shot(t, page, 'embed-side-by-side-320');
      await page.context().close();

      // The nine stage chips never overlap.
      for (const [query, viewport] of [
        ['', { width: 320, height: 640 }],
        ['', { width: 375, height: 667 }],
        ['?embed', { width: 320, height: 640 }],
        ['?embed', { width: 375, height: 667 }],
      ]) {
        const what = `${query || 'the page'} at ${viewport.width}x${viewport.height}`;
        page = await openPage(t, query, { viewport });
        await stepForward(page, 3);
        await waitForAnimations(page).catch(() => {});
        const chips = await page.locator('.pipeline li').evaluateAll((els) =>
          els.map((el, i) => {
            const r = el.getBoundingClientRect();
            return { i: i + 1, x: r.left, y: r.top, r: r.right, b: r.bottom, w: r.width, h: r.height };
          }),
        );
        p.check(chips.length === 9, `${what}: ${chips.length} stage chips, expected 9`);
        for (const c of chips) p.check(c.w > 0 && c.h > 0, `${what}: stage chip ${c.i} is not displayed`);
        for (let i = 0; i < chips.length; i++) {
          for (let j = i + 1; j < chips.length; j++) {
            const [a, b] = [chips[i], chips[j]];
            const ox = Math.min(a.r, b.r) - Math.max(a.x, b.x);
            const oy = Math.min(a.b, b.b) - Math.max(a.y, b.y);
            if (a.w > 0 && b.w > 0 && ox > 0.5 && oy > 0.5) p.add(`${what}: stage chips ${a.i} and ${b.i} overlap by ${ox.toFixed(1)}x${oy.toFixed(1)} px`);
          }
        }
        if (viewport.width === 320) await shot(t, page, `chips-${query ? 'embed' : 'page'}-320`);
        await page.context().close();
      }

      // 375x667: the step counter's text is whole.
      page = await openPage(t, '', { viewport: { width: 375, height: 667 } });
      await stepForward(page, 12);
      const c = await counter(page);
      const clipped = await page.getByTestId('step-counter').evaluate(clipReport, 'footer, .transport');
      p.check(/Step \d+/.test(c.text), `375x667: the step counter reads "${c.text}"`);
      p.check(clipped.length === 0, `375x667: the step counter "${c.text}" is cut off: ${clipped.join('; ')}`);
      const seen = await page.getByTestId('step-counter').evaluate(seenInPage);
      p.check(seen.ok, `375x667: the step counter is not visible: ${seen.why}`);
      await shot(t, page, 'step-counter-375');
      await page.context().close();

      // 800x500 embedded: the clock shows the whole "t = N.NNN s".
      page = await openPage(t, '?embed', { viewport: { width: 800, height: 500 } });
      await stepForward(page, 5);
      const clock = page.locator('.transport .clock, footer .clock').first();
      if (!p.check((await clock.count()) === 1, '800x500 embedded: no transport clock (.clock)')) return p.done('narrow screens');
      const text = ((await clock.textContent()) || '').trim();
      p.check(/^t = \d+\.\d{3} s$/.test(text), `800x500 embedded: the clock reads "${text}", not "t = N.NNN s"`);
      const cut = await clock.evaluate(clipReport, 'footer, .transport');
      p.check(cut.length === 0, `800x500 embedded: the clock "${text}" is not fully shown: ${cut.join('; ')}`);
      await shot(t, page, 'embed-clock-800x500');
      p.done('narrow screens');
    },
  },

  {
    name: 'i9_side_by_side_announcements_name_the_lane',
    fn: async (t) => {
      const page = await openPage(t, '?preset=semantics-side-by-side', { viewport: DESKTOP });
      // The lanes' names, from their cards over the stage.
      const lanes = await page.locator('.lane-card .lane-name').evaluateAll((ls) =>
        ls.map((l) => (l.firstChild?.textContent || '').trim()),
      );
      assert(lanes.length >= 2 && lanes.every(Boolean), `expected named lanes, found ${JSON.stringify(lanes)}`);
      const lower = lanes.map((l) => l.toLowerCase());
      // Text about all lanes together, or no event at all, needs no lane name.
      const neutral = /^(ready\b|waiting\b|step \d+|lesson\b)|\b(all|every|each|both) lanes?\b|\blanes\b/i;
      const p = problems();
      let announced = 0;
      for (let k = 1; k <= 14; k++) {
        await stepForward(page, 1);
        for (const region of await liveTexts(page)) {
          if (!region.text) continue;
          const low = region.text.toLowerCase();
          const first = Math.min(...lower.map((l) => (low.includes(l) ? low.indexOf(l) : Infinity)));
          const before = (first === Infinity ? region.text : region.text.slice(0, first)).replace(/^[\s:—–-]+|[\s:—–-]+$/g, '');
          if (first !== Infinity) announced++;
          if (before && !neutral.test(before)) {
            p.add(`step ${k}: the live region (${region.cls || 'role=status'}) announces "${before.slice(0, 120)}" without naming its lane (${lanes.join(' / ')})`);
          }
        }
      }
      p.check(announced > 0, `in 14 steps no live region named a lane (${lanes.join(' / ')})`);
      if (p.list.length > 8) p.list.splice(8, p.list.length - 8, `… (${p.list.length - 8} more)`);
      p.done('side-by-side announcements without their lane');
    },
  },

  {
    name: 'i9_two_topic_names',
    timeout: 90_000,
    fn: async (t) => {
      const page = await openPage(t, '?preset=two-topic-transaction', { viewport: DESKTOP });
      const p = problems();
      const topics = new Set();
      let positions = 0;
      let idle = 0;
      for (let k = 1; k <= 60 && idle < 3; k++) {
        idle = (await stepForward(page, 1)) ? 0 : idle + 1;
        const boxes = await page.locator('svg.stage g.consumer').evaluateAll((gs) =>
          gs.map((g) => ({
            label: g.getAttribute('aria-label') || '',
            texts: [...g.querySelectorAll('text')].map((x) => x.textContent || ''),
          })),
        );
        for (const row of await page.locator('svg.stage [aria-label*=" on broker "]').evaluateAll((rs) => rs.map((r) => r.getAttribute('aria-label')))) {
          const m = row.match(/^(.+)-\d+ on broker/);
          if (m && !m[1].startsWith('__')) topics.add(m[1]);
        }
        for (const box of boxes) {
          const tokens = box.texts.flatMap((x) => x.match(/[^\s,]+@\d+/g) || []);
          positions += tokens.length;
          const dup = tokens.filter((x, i) => tokens.indexOf(x) !== i);
          if (dup.length) p.add(`step ${k}: ${box.label.split(',')[0]} shows ${[...new Set(dup)].join(', ')} twice: ${tokens.join(' ')}`);
          if (topics.size >= 2) {
            const bare = tokens.filter((x) => /^P\d+@/.test(x) || ![...topics].some((tp) => x.startsWith(`${tp}-`)));
            if (bare.length) p.add(`step ${k}: ${box.label.split(',')[0]} names positions without their topic (${[...topics].join(', ')}): ${bare.join(' ')}`);
          }
        }
      }
      await shot(t, page, 'two-topic-transaction');
      p.check(topics.size >= 2, `the stage shows ${topics.size} topic(s) (${[...topics].join(', ')}), the preset has two`);
      p.check(positions > 0, 'no consumer ever showed a position (name@offset)');
      if (p.list.length > 8) p.list.splice(8, p.list.length - 8, `… (${p.list.length - 8} more)`);
      p.done('positions of two topics');
    },
  },
].map((test) => ({ ...test, tags: ['issue9'] }));
