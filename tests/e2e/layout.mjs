// Layout: narrow screens and phones (no sideways scroll, stage chips apart, the
// counter and clock whole, the phone's stage follows the record in focus), the
// settings panel keeps every row inside it, and presentation mode (P, out with
// Esc). Registered by run.mjs; see tests/e2e/README.md ("Layout", layout.mjs).
// The visual contract per viewport is visual.mjs.
import { problems, seenInPage, waitFor, waitForAnimations } from './lib.mjs';
import { DESKTOP, counter, openPage, shot, stepForward } from './app.mjs';

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

/** The tests of issue 9 (named i9_…) keep its tag: `node tests/e2e/run.mjs issue9` runs them. */
const ISSUE9 = ['issue9'];

// ---------------------------------------------------------------------------

export const layoutTests = [
  {
    name: 'i9_narrow_screens',
    tags: ISSUE9,
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
    name: 'i10_on_a_phone_the_stage_follows_the_record_in_focus',
    timeout: 60_000,
    fn: async (t) => {
      const page = await openPage(t, '', { viewport: { width: 375, height: 667 } });
      const p = problems();
      // Where the record in focus is drawn (not a traveller), relative to the
      // stage's scrolling box.
      const seen = () =>
        page.evaluate(() => {
          const host = document.querySelector('.stage-wrap .stage-host');
          const all = [...host.querySelectorAll('svg.stage > g .focus, svg.stage .holds-focus')].filter(
            (e) => !e.closest('.movers'),
          );
          const el = all[all.length - 1];
          if (!el) return null;
          const h = host.getBoundingClientRect();
          const r = el.getBoundingClientRect();
          return {
            scrolls: host.scrollHeight > host.clientHeight + 1,
            inView: r.top >= h.top - 1 && r.bottom <= h.bottom + 1,
            what: el.getAttribute('class'),
          };
        });
      let scrolled = false;
      for (let k = 1; k <= 9; k++) {
        await page.keyboard.press('ArrowRight');
        await waitFor(async () => (await counter(page)).step === k, { describe: () => `step ${k}` });
        await page.waitForTimeout(100);
        const s = await seen();
        if (!s) continue;
        scrolled ||= s.scrolls;
        p.check(s.inView, `step ${k}: the record in focus (${s.what}) is scrolled out of the stage's view`);
      }
      p.check(scrolled, 'the stage never needed to scroll on a phone: this test checks nothing');
      await t.screenshot(page, 'phone-stage9');
      p.done('the phone stage follows the record');
    },
  },

  {
    name: 'i10_every_setting_row_fits_its_panel_so_no_kafka_name_spills_onto_the_stage',
    timeout: 60_000,
    fn: async (t) => {
      const p = problems();
      for (const viewport of [DESKTOP, { width: 375, height: 667 }]) {
        const page = await openPage(t, '?preset=preferred-leader-election', { viewport });
        await page.getByRole('button', { name: 'Settings', exact: true }).click();
        await page.locator('.config .setting-row').first().waitFor({ timeout: 3000 });
        const spills = await page.evaluate(() => {
          // Text can overflow its box: measure the text itself.
          const textRect = (el) => {
            if (el.tagName === 'SELECT') return el.getBoundingClientRect();
            const range = document.createRange();
            range.selectNodeContents(el);
            return range.getBoundingClientRect();
          };
          const out = [];
          for (const row of document.querySelectorAll('.config .setting-row')) {
            const panel = row.closest('.card').getBoundingClientRect();
            for (const el of row.querySelectorAll('.setting-label, .setting-name, select')) {
              const r = textRect(el);
              if (r.width > 0 && (r.left < panel.left - 1 || r.right > panel.right + 1)) {
                out.push(`${el.textContent.trim().slice(0, 40)} (${Math.round(r.left)}–${Math.round(r.right)} outside ${Math.round(panel.left)}–${Math.round(panel.right)})`);
              }
            }
            // The label and its select must not overlap.
            const label = row.querySelector('label')?.getBoundingClientRect();
            const select = row.querySelector('select')?.getBoundingClientRect();
            for (const s of row.querySelectorAll('.setting-label, .setting-name')) {
              const r = textRect(s);
              if (label && select && r.right > select.left + 1 && r.bottom > select.top && r.top < select.bottom) {
                out.push(`"${s.textContent.trim()}" runs under its select`);
              }
            }
          }
          return out;
        });
        p.check(spills.length === 0, `${viewport.width}×${viewport.height}: ${spills.join('; ')}`);
        const rows = await page.locator('#cfg-auto-leader-rebalance-enable, #cfg-leader-imbalance-check-interval-seconds').count();
        p.check(rows === 2, `the preferred-leader election settings are not offered (${rows} of 2)`);
        await page.close();
      }
      p.done('settings panel');
    },
  },

  {
    name: 'i10_presentation_mode_with_p_and_out_with_esc',
    timeout: 60_000,
    fn: async (t) => {
      const page = await openPage(t, '?preset=two-groups&step=97', { viewport: { width: 1920, height: 1080 } });
      const p = problems();
      const stageWidth = () =>
        page.evaluate(() => document.querySelector('.stage-wrap svg.stage').getBoundingClientRect().width);
      const fontOf = (sel) =>
        page.evaluate((s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize), sel);
      const before = { play: await fontOf('.transport .btn'), tables: await page.locator('.tables').count() };
      await page.keyboard.press('p');
      await waitFor(async () => page.evaluate(() => document.querySelector('.app').classList.contains('presenting')), {
        describe: () => 'presentation mode on P',
      });
      const during = { play: await fontOf('.transport .btn'), tables: await page.locator('.tables').count() };
      p.check(during.play > before.play, `the controls stay ${during.play} px in presentation mode (were ${before.play})`);
      p.check((await stageWidth()) > 0, 'the stage is drawn');
      // An instructor shows the ledger or a plot while presenting (the
      // audit found the tables' tabs hidden): the tabs are seen, and one
      // opens its table on screen.
      p.check(during.tables === 1, `the tables' tabs are drawn in presentation mode (${during.tables})`);
      const tab = page.getByRole('tab', { name: 'Ledger', exact: true });
      const tabSeen = await tab.evaluate(seenInPage).catch((e) => ({ ok: false, why: e.message }));
      p.check(tabSeen.ok, `the Ledger tab is seen in presentation mode: ${tabSeen.why}`);
      if (tabSeen.ok) {
        await tab.click();
        const panel = page.locator('.tables [role=tabpanel]').first();
        await waitFor(async () => (await panel.count()) > 0 && (await panel.isVisible()), { describe: () => 'the Ledger table opens' });
        const seen = await panel.evaluate(seenInPage);
        p.check(seen.ok, `the Ledger table is seen in presentation mode: ${seen.why}`);
        // The picture above it keeps text a projected room can read (it
        // was 11.5 px with two groups under an open ledger).
        await waitForAnimations(page);
        const smallest = await page.evaluate(() => {
          const svg = document.querySelector('.stage-wrap svg.stage');
          const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          return Math.min(...[...svg.querySelectorAll('text')].filter((x) => x.getBoundingClientRect().width > 0)
            .map((x) => parseFloat(getComputedStyle(x).fontSize) * scale));
        });
        p.check(smallest >= 12.5, `with the Ledger open the stage's smallest text is ${smallest.toFixed(1)} px (want 12.5 or more)`);
      }
      await t.screenshot(page, 'presenting');
      await page.keyboard.press('Escape');
      await waitFor(
        async () => page.evaluate(() => !document.querySelector('.app').classList.contains('presenting')),
        { describe: () => 'Esc leaves presentation mode' },
      );
      p.check(before.tables === (await page.locator('.tables').count()), 'the tables stay after presenting');
      p.done('what the stage shows');
    },
  },
  {
    // The audit found the lag chart's legend under the tables' fold, its
    // peak label on the lines' markers and its time axis running a second
    // past the clock.
    name: 'the_lag_chart_shows_its_legend_time_up_to_the_clock_and_its_peak_clear_of_the_lines',
    timeout: 90_000,
    fn: async (t) => {
      const page = await openPage(t, '?preset=two-groups');
      await stepForward(page, 40);
      await page.getByRole('tab', { name: 'Plots', exact: true }).click();
      const fig = page.locator('.tables figure.plot').first();
      await waitFor(async () => (await fig.count()) > 0, { describe: () => 'a chart under Plots' });
      const p = problems();
      const legend = await fig.locator('.plot-legend li').first().evaluate(seenInPage);
      p.check(legend.ok, `the lag chart's legend is seen without scrolling: ${legend.why}`);
      const clock = Number(/t = ([\d.]+) s/.exec(await page.locator('.clock').innerText())?.[1]);
      const ticks = (await fig.locator('.plot-tick-label').evaluateAll((ts) => ts.map((x) => x.textContent)))
        .map((x) => /^([\d.]+) s$/.exec(x.trim()))
        .filter(Boolean)
        .map((m) => Number(m[1]));
      p.check(Number.isFinite(clock) && ticks.length >= 2, `the clock (${clock}) and the time ticks (${ticks}) are read`);
      p.check(Math.max(...ticks) <= clock + 1e-9, `no time tick lies past the clock (${clock} s): ${ticks.join(', ')}`);
      p.check(new Set(ticks).size === ticks.length, `no two time ticks read the same: ${ticks.join(', ')}`);
      const outside = await fig.evaluate((f) => {
        const svg = f.querySelector('svg').getBoundingClientRect();
        return [...f.querySelectorAll('.plot-tick-label')]
          .filter((x) => { const b = x.getBoundingClientRect(); return b.left < svg.left - 0.5 || b.right > svg.right + 0.5; })
          .map((x) => x.textContent);
      });
      p.check(outside.length === 0, `every tick label lies inside the chart: ${outside.join(', ')} cut`);
      const hits = await fig.evaluate((f) => {
        const label = f.querySelector('.plot-peak-label');
        if (!label) return null;
        const a = label.getBoundingClientRect();
        return [...f.querySelectorAll('.plot-mark, .plot-peak-ring, .plot-tick-label, .plot-axis-title')]
          .filter((o) => {
            const b = o.getBoundingClientRect();
            return b.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
          })
          .map((o) => o.getAttribute('class'));
      });
      p.check(hits !== null, 'the chart labels its peak');
      p.check(!hits || hits.length === 0, `the peak label covers nothing: ${hits}`);
      await shot(t, page, 'lag-chart');
      p.done('the lag chart');
    },
  },
];
