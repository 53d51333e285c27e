// Accessibility: axe-core finds no WCAG A/AA violation in any view, every SVG
// label meets 4.5:1 contrast, forced colours keep the highlights, everything works
// from the keyboard and a focused control is never hidden. Registered by run.mjs;
// see tests/e2e/README.md ("Accessibility", accessibility.mjs).
import {
  AssertionError,
  assert,
  blurActive,
  describeAxe,
  problems,
  runAxe,
  seenInPage,
  setLabelled,
  sleep,
  waitFor,
  waitForAnimations,
} from './lib.mjs';
import {
  DESKTOP,
  counter,
  exact,
  isPlaying,
  openPage,
  setFastest,
  shot,
  stepForward,
} from './app.mjs';
import { fetchLesson } from './project.mjs';
import { openGallery } from './lesson-player.mjs';

/** WCAG AA contrast for text. */
const MIN_CONTRAST = 4.5;

// ---------------------------------------------------------------------------
// The keyboard: what has focus.
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
// Forced colours.
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

/** The tests of issue 9 (named i9_…) keep its tag: `node tests/e2e/run.mjs issue9` runs them. */
const ISSUE9 = ['issue9'];

// ---------------------------------------------------------------------------

export const accessibilityTests = [
  {
    name: 'i9_axe_zero_violations',
    tags: ISSUE9,
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
    tags: ISSUE9,
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
    tags: ISSUE9,
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
    tags: ISSUE9,
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
    tags: ISSUE9,
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
];
