// End-to-end tests for the visual contract ("The picture"): every preset and
// every lesson, at four viewports, stepped through; at each checkpoint the
// large stage's text is big enough, no two labels overlap, the stage and the
// lesson's question / Next button are in view and not covered, the page does
// not scroll sideways and the DOM stays bounded. Registered by run.mjs after
// the other tests; see tests/e2e/README.md ("The picture", visual.mjs).
//
// Measured in the page, in CSS px: a label's size is its computed font-size
// times the SVG's screen scale at that label (getScreenCTM). Before measuring,
// every finite CSS animation is finished (Animation.finish()): the picture a
// student studies once a step has played, with the messages that arrived
// faded out (those are skipped, as are display:none, visibility:hidden and
// opacity 0). Only the large stage counts (`.stage-wrap svg.stage`), not the
// lane cards' small multiples, whose text is not displayed.
//
// Sources of truth: the presets the Scenario select offers (the build under
// test), checked against the CLI's (`kafkascope presets --json`); the lessons of
// INDEX in src/lesson.rs (`kafkascope lesson list --json`) and their files as the
// server serves them (project.mjs).
//
// By default each preset is checked at steps 0, 8 and 25 (or its end), stepped
// with the Step forward button (pressed in the page, one render per stretch),
// and each lesson, driven by its own buttons under Playwright's clock, at its
// first question and its last stop. E2E_LONG=1: every 5th step up to 60 (each
// step rendered), and every stop and question of every lesson. A page error (a
// Rust panic) ends that scenario's checks; the runner lists the errors too.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { OUT_DIR, assert, problems, seenInPage, sleep, waitFor, waitForApp } from './lib.mjs';
import { counter, perfProbe } from './app.mjs';
import { coursePageLessons, fetchLesson, lessonIndex, pageFor, presetIds, presetList as presetListJson } from './project.mjs';
import { EMBED_PARENT, PARENT_PATH } from './course-page.mjs';

const LONG = process.env.E2E_LONG === '1';
/** The DOM must stay under this many elements. */
const DOM_BOUND = 3000;
/** Overlaps of two labels' boxes smaller than this (in either direction, CSS px) are ignored. */
const OVERLAP_MIN = 2;
/** Preset checkpoints: steps (the last one becomes "end" if the scenario stops before it). */
const PRESET_STEPS = LONG ? Array.from({ length: 13 }, (_, i) => i * 5) : [0, 8, 25];
/** The full page's presets rebalance later (C joins at step 46, the classic
 * lanes hear of it about 100 steps on; the rolling upgrade runs 567 steps). */
const FULL_PRESET_STEPS = [0, 25, 150, 160, 320];
/** At most this many examples of one kind per checkpoint in a failure message. */
const EXAMPLES = 4;

/**
 * The four viewports of the contract. `minFont`: the smallest rendered stage
 * text allowed (CSS px). Embedded: an 800x500 <iframe> in the course-page
 * stand-in (tests/e2e/embed-parent.html), the parent page just as large.
 */
const VIEWPORTS = [
  { key: '1280x800', viewport: { width: 1280, height: 800 }, minFont: 12 },
  { key: '1920x1080', viewport: { width: 1920, height: 1080 }, minFont: 16 },
  { key: 'embed800x500', viewport: { width: 800, height: 500 }, embed: true, minFont: 11 },
  // A phone: the size is reported; 11 px is what the stage promises at least.
  { key: '375x667', viewport: { width: 375, height: 667 }, minFont: 11 },
];

// ---------------------------------------------------------------------------
// Helpers.


/** Wall-clock time per phase of a sweep (ms), for the summary line. */
function phases() {
  const ms = {};
  return {
    async time(name, fn) {
      const t0 = Date.now();
      try {
        return await fn();
      } finally {
        ms[name] = (ms[name] || 0) + Date.now() - t0;
      }
    },
    add(name, d) {
      ms[name] = (ms[name] || 0) + d;
    },
    toString() {
      return Object.entries(ms)
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
        .join(', ');
    },
  };
}

const q = (s) => JSON.stringify(s.length > 40 ? `${s.slice(0, 39)}…` : s);

/** Screenshot into OUT_DIR as v-<viewport>-<scenario>-<checkpoint>.png. */
async function shot(page, vp, scenario, checkpoint) {
  await mkdir(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `v-${vp.key}-${scenario}-${checkpoint}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * In the page: every visible label of the large stage with its rendered size,
 * and the pairs of labels whose boxes overlap. A label is a <text> or <tspan>
 * with text of its own (direct text nodes), not display:none, not
 * visibility:hidden, not at opacity 0 (its own or an ancestor's), with a fill,
 * and at least partly inside the stage's box. Returns { found, labels: n,
 * min, smallest: [{ text, px, where }], overlaps: [{ a, b, w, h }], clipped:
 * [{ text, where }] (labels cut by the edge of what can be seen), shown: the
 * percentage of the stage picture that can be seen without scrolling } (sizes in CSS px).
 */
export function stageLabels(overlapMin) {
  const wrap = [...document.querySelectorAll('.stage-wrap')].find((w) => w.querySelector('svg.stage'));
  if (!wrap) return { found: false };
  const wr = wrap.getBoundingClientRect();
  // Where a label is: its group's class, and the group's name (aria-label, or its first label).
  const where = (el) => {
    const g = el.closest('g[class], g[aria-label]');
    if (!g) return el.tagName;
    const cls = (g.getAttribute('class') || '').trim().split(/\s+/).slice(0, 2).join('.');
    const first = g.querySelector('text');
    const own = (el.textContent || '').trim();
    let name = (g.getAttribute('aria-label') || '').split(/[:.]/)[0];
    if (!name && first && first.textContent.trim() !== own) name = first.textContent.trim();
    name = name.length > 28 ? `${name.slice(0, 27)}…` : name;
    return `${cls ? `g.${cls}` : 'g'}${name ? ` "${name}"` : ''}`;
  };
  const items = [];
  const clipped = [];
  let shown = 100;
  for (const svg of wrap.querySelectorAll('svg.stage')) {
    if (svg.closest('.lane-card')) continue;
    const sr = svg.getBoundingClientRect();
    // What of the picture can be seen: the svg clipped by its scrolling ancestors and the viewport.
    const box = { l: Math.max(sr.left, 0), t: Math.max(sr.top, 0), r: Math.min(sr.right, innerWidth), b: Math.min(sr.bottom, innerHeight) };
    for (let n = svg.parentElement; n && n !== document.documentElement; n = n.parentElement) {
      const cs = getComputedStyle(n);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const nr = n.getBoundingClientRect();
      box.l = Math.max(box.l, nr.left);
      box.t = Math.max(box.t, nr.top);
      box.r = Math.min(box.r, nr.right);
      box.b = Math.min(box.b, nr.bottom);
    }
    const area = sr.width * sr.height;
    if (area > 0) shown = Math.min(shown, Math.round((100 * Math.max(0, box.r - box.l) * Math.max(0, box.b - box.t)) / area));
    for (const el of svg.querySelectorAll('text, tspan')) {
      if (el.closest('defs, clipPath, mask, pattern, marker, symbol')) continue;
      const own = [...el.childNodes]
        .filter((n) => n.nodeType === 3)
        .map((n) => n.textContent)
        .join('')
        .replace(/\s+/g, ' ')
        .trim();
      if (!own) continue;
      if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      let opacity = 1;
      for (let n = el; n && n !== wrap; n = n.parentElement) opacity *= parseFloat(getComputedStyle(n).opacity);
      if (opacity < 0.05) continue;
      const cs = getComputedStyle(el);
      if ((cs.fill === 'none' || parseFloat(cs.fillOpacity) === 0) && cs.stroke === 'none') continue;
      const r = el.getBoundingClientRect();
      if (r.width < 0.5 || r.height < 0.5) continue;
      // Still a label of the picture when scrolled out of sight; noted apart.
      if (r.left < box.l - 2 || r.right > box.r + 2 || r.top < box.t - 2 || r.bottom > box.b + 2) {
        clipped.push({ text: own, where: where(el) });
      }
      const m = el.getScreenCTM();
      const scale = m ? Math.sqrt(Math.abs(m.a * m.d - m.b * m.c)) : 1;
      items.push({ el, text: own, px: parseFloat(cs.fontSize) * scale, r, where: where(el) });
    }
  }
  const overlaps = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i];
      const b = items[j];
      // A <text> and its own <tspan>s (one contains the other's parent).
      if (a.el.contains(b.el.parentElement) || b.el.contains(a.el.parentElement)) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (w >= overlapMin && h >= overlapMin) {
        overlaps.push({ a: a.text, aw: a.where, b: b.text, bw: b.where, w: Math.round(w), h: Math.round(h) });
      }
    }
  }
  const round = (x) => Math.round(x * 10) / 10;
  const sorted = [...items].sort((x, y) => x.px - y.px);
  return {
    found: true,
    labels: items.length,
    min: sorted.length ? round(sorted[0].px) : null,
    smallest: sorted.map((x) => ({ text: x.text, px: round(x.px), where: x.where })),
    overlaps,
    clipped,
    shown,
  };
}

/**
 * In the page: where element `el` is, against the viewport and the ancestors
 * that clip it (overflow other than visible: a scrolling card). Returns
 * { inside, box, shown (% of its area visible), vp, clip: why it is cut, or '' }.
 */
export function placement(el) {
  const r = el.getBoundingClientRect();
  const name = (n) => `<${n.tagName.toLowerCase()}${typeof n.className === 'string' && n.className.trim() ? `.${n.className.trim().split(/\s+/).join('.')}` : ''}>`;
  const vis = { l: Math.max(r.left, 0), t: Math.max(r.top, 0), r: Math.min(r.right, innerWidth), b: Math.min(r.bottom, innerHeight) };
  let clip = '';
  for (let n = el.parentElement; n && n !== document.body && n !== document.documentElement; n = n.parentElement) {
    const cs = getComputedStyle(n);
    if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
    const nr = n.getBoundingClientRect();
    if (!clip && (r.top < nr.top - 1 || r.bottom > nr.bottom + 1 || r.left < nr.left - 1 || r.right > nr.right + 1)) {
      clip = `cut by the scrolling ${name(n)} (y ${Math.round(nr.top)}–${Math.round(nr.bottom)}): scroll to see it`;
    }
    vis.l = Math.max(vis.l, nr.left);
    vis.t = Math.max(vis.t, nr.top);
    vis.r = Math.min(vis.r, nr.right);
    vis.b = Math.min(vis.b, nr.bottom);
  }
  const inside = r.left >= -1 && r.top >= -1 && r.right <= innerWidth + 1 && r.bottom <= innerHeight + 1;
  const area = r.width * r.height;
  return {
    inside,
    box: `x ${Math.round(r.left)}–${Math.round(r.right)}, y ${Math.round(r.top)}–${Math.round(r.bottom)}`,
    shown: area > 0 ? Math.round((100 * Math.max(0, vis.r - vis.l) * Math.max(0, vis.b - vis.t)) / area) : 0,
    vp: `${innerWidth}x${innerHeight}`,
    clip,
  };
}

/**
 * In the page (after the init script of `viewportSession` defined
 * window.__visual): everything a checkpoint checks, in one call. `targets`:
 * [{ what, selector, each }] besides the stage; `each`: every match on its
 * own ("choice 2 of 4"). Returns { labels (stageLabels), spots: [{ what,
 * missing, place (placement), seen (seenInPage) }], scroll: { sw, iw }, dom:
 * { now, max, over } }.
 */
export function measureCheckpoint({ targets, overlapMin }) {
  const v = window.__visual;
  const wrap = [...document.querySelectorAll('.stage-wrap')].find((w) => w.querySelector('svg.stage'));
  const spots = [];
  for (const t of [{ what: 'the stage (.stage-wrap)', els: wrap ? [wrap] : [] }, ...targets]) {
    const els = t.els || [...document.querySelectorAll(t.selector)];
    if (els.length === 0) spots.push({ what: t.what, missing: true });
    const list = t.each ? els : els.slice(0, 1);
    list.forEach((el, i) => {
      spots.push({ what: t.each ? `${t.what} ${i + 1} of ${els.length}` : t.what, place: v.placement(el), seen: v.seenInPage(el) });
    });
  }
  const probe = window.__i9;
  return {
    labels: v.stageLabels(overlapMin),
    spots,
    scroll: { sw: document.documentElement.scrollWidth, iw: innerWidth },
    dom: { now: document.getElementsByTagName('*').length, max: probe ? probe.maxDom : 0, over: probe ? probe.over : null },
  };
}

/**
 * Finish every finite animation of the document and wait until the stage has
 * settled (its viewBox and element count the same twice, 40 ms apart).
 */
async function settle(root) {
  let prev = null;
  for (let i = 0; i < 25; i++) {
    const sig = await root.evaluate(() => {
      for (const a of document.getAnimations()) {
        const timing = a.effect && a.effect.getTiming ? a.effect.getTiming() : null;
        if (timing && timing.iterations !== Infinity && a.playState !== 'finished') {
          try {
            a.finish();
          } catch {
            /* an animation that cannot finish (zero playback rate) */
          }
        }
      }
      const s = document.querySelector('.stage-wrap svg.stage');
      return s ? `${s.getAttribute('viewBox')}|${s.getElementsByTagName('*').length}|${document.getElementsByTagName('*').length}` : 'none';
    });
    if (sig === prev) return;
    prev = sig;
    await sleep(40);
  }
}

/**
 * A page for viewport `vp` with the DOM probe (app.mjs's perfProbe: the largest
 * element count after every mutation batch). Embedded: the course-page
 * stand-in, served on the app's origin, whose iframe loads `?embed&…`.
 * `open(query)` loads `query` ("preset=x", "lesson=y") and returns
 * { root: the app's Frame, page }.
 */
async function viewportSession(t, vp, { clock = false } = {}) {
  const page = await t.newPage({ viewport: vp.viewport, url: null });
  const context = page.context();
  await context.addInitScript(perfProbe, DOM_BOUND);
  // The in-page checks, defined in every frame (an init script is not subject to the page's CSP).
  await context.addInitScript({
    content: `window.__visual = { seenInPage: ${seenInPage}, placement: ${placement}, stageLabels: ${stageLabels} };`,
  });
  if (vp.embed) {
    await context.route(`**/${PARENT_PATH}*`, (route) => route.fulfill({ path: EMBED_PARENT, contentType: 'text/html; charset=utf-8' }));
  }
  if (clock) await page.clock.install();
  const open = async (query) => {
    // The consumer protocol's presets and lessons run on the full page.
    const path = pageFor(query);
    if (vp.embed) {
      const parent = new URL(PARENT_PATH, t.baseUrl);
      const src = new URL(`${path}?embed&${query}`, t.baseUrl).href;
      parent.search = new URLSearchParams({ src, w: String(vp.viewport.width), h: String(vp.viewport.height) }).toString();
      await page.goto(parent.href, { waitUntil: 'load' });
      const frame = await waitFor(() => page.frames().find((f) => f !== page.mainFrame() && f.url().includes('embed')), {
        timeout: 10_000,
        describe: () => 'the course page\'s iframe',
      });
      await waitForApp(frame);
      return frame;
    }
    await page.goto(new URL(`${path}?${query}`, t.baseUrl).href, { waitUntil: 'load' });
    await waitForApp(page);
    return page.mainFrame();
  };
  const ph = phases();
  return { vp, page, ph, open: (query) => ph.time('loading', () => open(query)), close: () => context.close() };
}

/**
 * In the page: presses the Step forward button `n` times (HTMLElement.click,
 * the button's own handler). With `eachRenders`, a task boundary after every
 * press lets the page render each step; without, the steps run back to back
 * and the page renders once (what a checkpoint measures is the same). Stops
 * early if the button is gone or disabled.
 */
export async function pressStepForward([n, eachRenders]) {
  const find = () =>
    [...document.querySelectorAll('button')].find((b) => /^\s*step forward\s*$/i.test(b.getAttribute('aria-label') || b.textContent || ''));
  const task = () =>
    new Promise((resolve) => {
      const c = new MessageChannel();
      c.port1.onmessage = resolve;
      c.port2.postMessage(0);
    });
  let pressed = 0;
  for (let i = 0; i < n; i++) {
    const b = find();
    if (!b || b.disabled) break;
    b.click();
    pressed++;
    if (eachRenders) await task();
  }
  return pressed;
}

/**
 * Steps the run forward to `target` with the Step forward button. Stops early
 * when the scenario has ended (the counter no longer moves). Returns the step
 * reached.
 */
async function stepTo(root, target) {
  let step = (await counter(root)).step;
  while (step < target) {
    const before = step;
    await root.evaluate(pressStepForward, [target - step, LONG]);
    // Until the counter reaches the target, or stops moving for 1 s.
    let still = Date.now();
    for (;;) {
      const now = (await counter(root)).step;
      if (now !== step) {
        step = now;
        still = Date.now();
      }
      if (step >= target || Date.now() - still > 1000) break;
      await sleep(30);
    }
    if (step === before) break; // the end: nothing more happens
  }
  return step;
}

/**
 * Everything the contract checks at one checkpoint. `targets`: [{ what,
 * selector, each }] that must lie inside the viewport, not cut off by a
 * scrolling ancestor, not covered (besides the stage). Returns a record for
 * the summary; problems go to `p`.
 */
async function checkpoint(p, session, root, scenario, label, targets = []) {
  const { vp } = session;
  await session.ph.time('settling', () => settle(root));
  const t0 = Date.now();
  const where = `[${vp.key}] ${scenario} @${label}`;
  const m = await root.evaluate(measureCheckpoint, { targets, overlapMin: OVERLAP_MIN });
  const r = m.labels;
  const rec = { label, min: null, minText: '', overlaps: 0, dom: 0, clipped: 0, stageShown: 100, bad: [] };
  if (!p.check(r.found, `${where}: no large stage (.stage-wrap svg.stage)`)) return rec;
  rec.min = r.min;
  rec.minText = r.smallest.length ? r.smallest[0].text : '';
  rec.clipped = r.clipped.length;
  rec.clippedExamples = r.clipped.slice(0, 3);
  rec.stageShown = r.shown;
  // 1. The smallest rendered text.
  const small = r.smallest.filter((x) => x.px < vp.minFont - 0.05);
  if (small.length) {
    rec.bad.push('font');
    const kinds = new Map();
    for (const x of small) if (!kinds.has(`${x.where}|${x.px}`)) kinds.set(`${x.where}|${x.px}`, `${q(x.text)} ${x.px} px (${x.where})`);
    const ex = [...kinds.values()];
    p.add(`${where}: ${small.length} of ${r.labels} stage labels under ${vp.minFont} px, smallest ${r.min} px: ${ex.slice(0, EXAMPLES).join(', ')}${ex.length > EXAMPLES ? `, … (${ex.length - EXAMPLES} more kinds)` : ''}`);
  }
  // 2. Overlapping labels.
  rec.overlaps = r.overlaps.length;
  if (r.overlaps.length) {
    rec.bad.push('overlap');
    const ex = r.overlaps.map((o) => `${q(o.a)} (${o.aw}) × ${q(o.b)} (${o.bw}) ${o.w}×${o.h} px`);
    p.add(`${where}: ${r.overlaps.length} overlapping stage label pair(s): ${ex.slice(0, EXAMPLES).join('; ')}${ex.length > EXAMPLES ? `; … (${ex.length - EXAMPLES} more)` : ''}`);
  }
  // 3. The stage and the lesson's controls: inside the viewport, not cut off, not covered.
  const hidden = [];
  for (const s of m.spots) {
    if (s.missing) {
      hidden.push(`${s.what}: not on the page`);
      continue;
    }
    // Cut off (what then shows at its centre follows from it), else covered.
    let why = '';
    if (!s.place.inside) why = `outside the ${s.place.vp} viewport (${s.place.box}, ${s.place.shown}% shown)`;
    else if (s.place.clip) why = `${s.place.clip} (${s.place.shown}% shown)`;
    else if (!s.seen.ok) why = s.seen.why.replace(/^at its centre \(([^)]*)\) the page shows /, 'covered at its centre ($1) by ');
    if (why) hidden.push(`${s.what}: ${why}`);
  }
  if (vp.embed) {
    // The iframe itself, in the course page, and the course page's own width.
    const parent = await session.page.evaluate(() => {
      const f = document.getElementById('kafkascope');
      return { seen: window.__visual.seenInPage(f), sw: document.documentElement.scrollWidth, iw: innerWidth };
    });
    if (!parent.seen.ok) hidden.push(`the iframe in the course page: ${parent.seen.why}`);
    if (parent.sw > parent.iw) {
      rec.bad.push('hscroll');
      p.add(`${where}: horizontal scroll in the course page (scrollWidth ${parent.sw} > ${parent.iw})`);
    }
  }
  if (hidden.length) {
    rec.bad.push('hidden');
    p.add(`${where}: ${hidden.length} of ${m.spots.length} not fully seen: ${hidden.join(' | ')}`);
  }
  // 4. No horizontal scroll.
  if (m.scroll.sw > m.scroll.iw) {
    rec.bad.push('hscroll');
    p.add(`${where}: horizontal scroll (scrollWidth ${m.scroll.sw} > ${m.scroll.iw})`);
  }
  // 5. DOM size: now, and the largest since the page loaded (the probe).
  rec.dom = Math.max(m.dom.now, m.dom.max, m.dom.over ? m.dom.over.n : 0);
  if (rec.dom >= DOM_BOUND) {
    rec.bad.push('dom');
    p.add(`${where}: the DOM reached ${rec.dom} elements (bound ${DOM_BOUND})${m.dom.over ? ` at "${m.dom.over.counter}"` : ''}`);
  }
  session.ph.add('checking', Date.now() - t0);
  await session.ph.time('screenshots', () => shot(session.page, vp, scenario, label));
  return rec;
}

/**
 * Whether the page reported errors (console.error, an uncaught error: a Rust
 * panic) since `before`; if so, notes the first one as this scenario's problem
 * (the runner lists them all). What follows a panic is a frozen picture.
 */
function appFailed(t, p, before, where) {
  const errs = t.errors.slice(before);
  if (errs.length === 0) return false;
  p.failedAt ||= new Set();
  if (p.failedAt.has(before)) return true;
  p.failedAt.add(before);
  p.add(`${where}: the app failed (${errs.length} error(s) in the page; later checkpoints skipped): ${errs[0].split('\n')[0].slice(0, 200)}`);
  return true;
}

/** One summary line for a scenario's checkpoints. */
function summaryLine(row) {
  const cps = row.recs
    .map(
      (r) =>
        `${r.label} ${r.min === null ? '—' : `${r.min}px`}${r.overlaps ? ` ov${r.overlaps}` : ''}` +
        `${r.stageShown < 100 ? ` stage${r.stageShown}%` : ''}${r.bad.includes('hidden') ? ' HIDDEN' : ''}${r.bad.includes('hscroll') ? ' HSCROLL' : ''}`,
    )
    .join(' | ');
  const dom = Math.max(0, ...row.recs.map((r) => r.dom));
  return `${row.name.padEnd(34)} ${cps}${row.failed ? `${cps ? ' | ' : ''}APP FAILED` : ''}  (DOM ≤ ${dom})`;
}

/** Totals over a viewport's checkpoints. */
function totals(vp, rows) {
  const recs = rows.flatMap((s) => s.recs.map((r) => ({ ...r, name: s.name })));
  const withMin = recs.filter((r) => r.min !== null);
  const min = withMin.reduce((a, r) => (!a || r.min < a.min ? r : a), null);
  const dom = recs.reduce((a, r) => (!a || r.dom > a.dom ? r : a), null);
  const count = (k) => recs.filter((r) => r.bad.includes(k)).length;
  const cut = recs.filter((r) => r.stageShown < 100);
  const least = cut.reduce((a, r) => (!a || r.stageShown < a.stageShown ? r : a), null);
  const failed = rows.filter((r) => r.failed).map((r) => r.name);
  return (
    `${vp.key}: ${recs.length} checkpoints; smallest stage text ${min ? `${min.min} px (${q(min.minText)}, ${min.name} @${min.label})` : '—'}, bound ${vp.minFont} px; ` +
    `under the bound at ${count('font')}, overlapping labels at ${count('overlap')}, something not fully seen at ${count('hidden')}, ` +
    `horizontal scroll at ${count('hscroll')}; max DOM ${dom ? `${dom.dom} (${dom.name} @${dom.label})` : '—'}` +
    (failed.length ? `; the app failed in ${failed.length}: ${failed.join(', ')}` : '') +
    (cut.length
      ? `; note: the stage picture is cut off (it scrolls) at ${cut.length}, least shown ${least.stageShown}% (${least.name} @${least.label}: ` +
        `${least.clipped} labels out of sight or cut, e.g. ${least.clippedExamples.map((c) => q(c.text)).join(', ')})`
      : '')
  );
}

// ---------------------------------------------------------------------------
// The presets the build offers (the Scenario select), once per run.

let presetsOnce = null;
function presetList(t) {
  presetsOnce ||= (async () => {
    const page = await t.newPage({ viewport: { width: 1280, height: 800 }, url: new URL('./', t.baseUrl).href });
    await waitForApp(page);
    const select = page.getByRole('combobox', { name: 'Scenario', exact: true });
    if ((await select.count()) === 0) {
      const settings = page.getByRole('button', { name: 'Settings', exact: true });
      if ((await settings.count()) === 1) await settings.click();
      await select.first().waitFor({ state: 'attached', timeout: 3000 }).catch(() => {});
    }
    assert((await select.count()) === 1, 'no select labelled "Scenario" (behind the Settings button)');
    const offered = await select.evaluate((s) => [...s.options].map((o) => o.value).filter(Boolean));
    await page.context().close();
    const built = presetIds();
    const notOffered = built.filter((id) => !offered.includes(id));
    const notBuilt = offered.filter((id) => !built.includes(id));
    if (notOffered.length || notBuilt.length) {
      console.log(`    note: the Scenario select and \`kafkascope presets\` differ (a stale build?): not offered ${notOffered.join(', ') || '—'}; not a preset of the source ${notBuilt.join(', ') || '—'}`);
    }
    assert(offered.length > 0, 'the Scenario select offers no preset');
    // The consumer protocol's presets are handed to the full page (full/),
    // which the three-protocol test covers.
    return offered.filter((id) => pageFor(`preset=${id}`) === './');
  })();
  return presetsOnce;
}

// ---------------------------------------------------------------------------
// The sweeps.

async function presetSweep(t, vp, full = false) {
  const ids = full ? presetListJson().filter((x) => x.page === 'full/').map((x) => x.id) : await presetList(t);
  const steps = full ? FULL_PRESET_STEPS : PRESET_STEPS;
  const p = problems();
  const rows = [];
  const session = await viewportSession(t, vp);
  const t0 = Date.now();
  for (const id of ids) {
    const recs = [];
    const errorsBefore = t.errors.length;
    try {
      const root = await session.open(`preset=${encodeURIComponent(id)}`);
      let prev = -1;
      for (const target of steps) {
        const step = await session.ph.time('stepping', () => stepTo(root, target));
        if (step === prev) break; // ended at the previous checkpoint
        prev = step;
        const label = step < target ? `end${step}` : `step${step}`;
        await sleep(50);
        if (appFailed(t, p, errorsBefore, `[${vp.key}] ${id} @${label}`)) {
          await shot(session.page, vp, id, `${label}-failed`);
          break;
        }
        recs.push(await checkpoint(p, session, root, id, label));
        if (step < target) break;
      }
    } catch (err) {
      p.add(`[${vp.key}] ${id}: ${err.message.split('\n')[0]}`);
      appFailed(t, p, errorsBefore, `[${vp.key}] ${id}`);
    }
    rows.push({ name: id, recs, failed: !!(p.failedAt && p.failedAt.has(errorsBefore)) });
  }
  await session.close();
  console.log(`    ${vp.key}${full ? ' full page' : ''} presets (${((Date.now() - t0) / 1000).toFixed(1)} s: ${session.ph}; checkpoints: smallest label, ov = overlapping pairs):`);
  for (const r of rows) console.log(`      ${summaryLine(r)}`);
  console.log(`    ${totals(vp, rows)}`);
  p.done(`the picture at ${vp.key}, ${full ? 'the full page\'s ' : ''}presets`);
}

/** The lesson panel's state in one read. */
const lessonState = (root) =>
  root.locator('section.lesson-panel').evaluate((el) => {
    const text = (n) => (n ? n.textContent.replace(/\s+/g, ' ').trim() : '');
    const buttons = [...el.querySelectorAll('button')].map((b) => text(b));
    return {
      progress: text(el.querySelector('[data-testid="lesson-progress"]')),
      choices: el.querySelectorAll('fieldset.predict button').length,
      next: buttons.find((b) => /^(Next|Next: predict|Continue)$/.test(b)) || null,
      complete: [...el.querySelectorAll('[role="status"]')].some((s) => text(s) === 'Lesson complete.'),
    };
  });

async function lessonSweep(t, vp, full = false) {
  const index = full ? lessonIndex().filter((l) => pageFor(`lesson=${l.id}`) === 'full/') : coursePageLessons();
  const p = problems();
  const rows = [];
  // Playwright's clock: a lesson plays to its next stop without the idle time between steps.
  const session = await viewportSession(t, vp, { clock: true });
  const t0 = Date.now();
  for (const { id } of index) {
    const recs = [];
    const errorsBefore = t.errors.length;
    try {
      const lesson = await fetchLesson(t.baseUrl, id);
      const root = await session.open(`lesson=${encodeURIComponent(id)}`);
      const panel = root.locator('section.lesson-panel');
      await panel.waitFor({ state: 'visible', timeout: 10_000 });
      // Presses the panel's button whose text is `name` (in the page: no waiting on a locator).
      const press = (name) =>
        session.ph.time('answering', () =>
          panel.evaluate((el, n) => {
            const b = [...el.querySelectorAll(n === 'choice' ? 'fieldset.predict button' : 'button')].find(
              (x) => n === 'choice' || x.textContent.replace(/\s+/g, ' ').trim() === n,
            );
            if (b) b.click();
            return !!b;
          }, name),
        );
      let asked = 0;
      let lastKey = '';
      let same = 0;
      for (;;) {
        if (appFailed(t, p, errorsBefore, `[${vp.key}] ${id} (${lastKey.split('|')[0] || 'loading'})`)) break;
        const s = await lessonState(root);
        const key = `${s.progress}|${s.choices}|${s.next}|${s.complete}`;
        const stop = (s.progress.match(/Stop (\d+)/) || [])[1];
        const fresh = key !== lastKey;
        same = fresh ? 0 : same + 1;
        // 30 rounds (a minute of the page's time while playing) without a change.
        assert(same < 30, `the lesson is stuck at "${s.progress}" (${s.choices ? 'asking' : s.next ? `offering ${s.next}` : 'playing'})`);
        lastKey = key;
        if (s.complete) {
          const targets = [{ what: 'the lesson\'s end ("Lesson complete." and More lessons)', selector: 'section.lesson-panel .lesson-nav' }];
          recs.push(await checkpoint(p, session, root, id, `last-stop${stop}`, targets));
          p.check(Number(stop) === lesson.beats.length, `[${vp.key}] ${id}: "Lesson complete." at stop ${stop} of ${lesson.beats.length}`);
          break;
        }
        if (s.choices > 0) {
          if (fresh) asked++;
          if (fresh && (asked === 1 || LONG)) {
            const targets = [
              { what: 'the question (fieldset.predict)', selector: 'section.lesson-panel fieldset.predict' },
              { what: 'choice', selector: 'section.lesson-panel fieldset.predict button', each: true },
            ];
            recs.push(await checkpoint(p, session, root, id, LONG ? `question${asked}` : 'question', targets));
          }
          await press('choice');
          continue;
        }
        if (s.next) {
          if (LONG && fresh && s.next !== 'Continue') {
            const targets = [{ what: `the lesson's ${s.next} button`, selector: 'section.lesson-panel .lesson-nav .btn.primary' }];
            recs.push(await checkpoint(p, session, root, id, `stop${stop}`, targets));
          }
          await press(s.next);
          continue;
        }
        // Playing to the next stop.
        await session.ph.time('playing', () => session.page.clock.runFor(2000));
      }
    } catch (err) {
      p.add(`[${vp.key}] ${id}: ${err.message.split('\n')[0]}`);
      appFailed(t, p, errorsBefore, `[${vp.key}] ${id}`);
    }
    rows.push({ name: id, recs, failed: !!(p.failedAt && p.failedAt.has(errorsBefore)) });
  }
  await session.close();
  console.log(`    ${vp.key}${full ? ' full page' : ''} lessons (${((Date.now() - t0) / 1000).toFixed(1)} s: ${session.ph}; checkpoints: smallest label, ov = overlapping pairs):`);
  for (const r of rows) console.log(`      ${summaryLine(r)}`);
  console.log(`    ${totals(vp, rows)}`);
  p.done(`the picture at ${vp.key}, ${full ? 'the full page\'s ' : ''}lessons`);
}

// ---------------------------------------------------------------------------

export const visualTests = [
  ...VIEWPORTS.map((vp) => ({
    name: `v_presets_${vp.key}`,
    timeout: LONG ? 1_800_000 : 240_000,
    fn: (t) => presetSweep(t, vp),
  })),
  ...VIEWPORTS.map((vp) => ({
    name: `v_lessons_${vp.key}`,
    timeout: LONG ? 1_800_000 : 240_000,
    fn: (t) => lessonSweep(t, vp),
  })),
  // The full page (Kafka 4's consumer protocol): its presets and lessons.
  ...VIEWPORTS.map((vp) => ({
    name: `v_presets_full_${vp.key}`,
    timeout: LONG ? 1_800_000 : 240_000,
    fn: (t) => presetSweep(t, vp, true),
  })),
  ...VIEWPORTS.map((vp) => ({
    name: `v_lessons_full_${vp.key}`,
    timeout: LONG ? 1_800_000 : 240_000,
    fn: (t) => lessonSweep(t, vp, true),
  })),
].map((test) => ({ ...test, tags: ['visual'] }));
