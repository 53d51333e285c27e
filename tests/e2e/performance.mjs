// Playing: every preset plays at the fastest speed with a bounded DOM and no
// long task, and stops by itself; a long run stepped by hand stays bounded too.
// Registered by run.mjs; see tests/e2e/README.md ("Playing every preset").
// The presets are the CLI's (`kafkascope presets --json`, project.mjs).
//
// E2E_LONG=1 plays every preset longer: Play again each time it stops, 5 rounds
// (4000 steps or 4 minutes each).
import { assert, blurActive, playButton, problems, sleep, stepButton, waitForApp } from './lib.mjs';
import { DESKTOP, pageUrl, perfProbe, selectControl, setFastest, shot } from './app.mjs';
import { presetIds } from './project.mjs';

const LONG = process.env.E2E_LONG === '1';
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

/** The tests of issue 9 (named i9_…) keep its tag: `node tests/e2e/run.mjs issue9` runs them. */
const ISSUE9 = ['issue9'];

// ---------------------------------------------------------------------------

export const performanceTests = [
  {
    name: 'i9_every_preset_plays_with_bounded_dom',
    tags: ISSUE9,
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
    tags: ISSUE9,
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
];
