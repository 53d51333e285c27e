#!/usr/bin/env node
// Measures frame times while a big cluster plays at full speed: 3 brokers ×
// 12 partitions (RF 3, 3 consumers, 60 records), at 1280×800 and
// 1920×1080, and three side-by-side lanes, in Debian Chromium. Prints
// p50/p95/p99/max of the intervals between animation frames, the long tasks
// (> 50 ms) seen while playing and the longest, and the stage's share of the
// screen. Then the median "first interactive" over 5 loads: from navigation
// start to the Play button being on screen and enabled.
// Figures, reported in notes; never asserted.
//
//   node scripts/measure-frames.mjs [--dist dist] [--seconds 8]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../tests/e2e/serve-dist.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const dist = path.resolve(opt('--dist', path.join(HERE, '..', 'dist')));
const seconds = Number(opt('--seconds', '8'));
// `kafkascope link` of {"cluster":{"brokers":3},"topics":[{"name":"events",
// "partitions":12,"replication_factor":3}],"producers":[{"acks":"all",
// "workload":{"records":60,"interval_ms":20}}],"groups":[{"consumers":3}]}
const BIG = '#v1.AAAeAgIBAwADAQIMAwMABAEPAjwDFAAABQEOAwAAAAAAgYTxzg';
// The same with 2,000 records, so the whole window is spent playing.
const BIG_LONG = '#v1.AAAfAgIBAwADAQIMAwMABAEPAtAPAxQAAAUBDgMAAAAAAI4q5NE';

const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const srv = await startServer({ dir: dist, port: 0 });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  // The big cluster at both screens, and three side-by-side lanes (each
  // with its small multiple) on a laptop.
  const runs = [
    ['3x12', BIG, { width: 1280, height: 800 }],
    ['3x12', BIG, { width: 1920, height: 1080 }],
    ['3x12 with 2000 records', BIG_LONG, { width: 1280, height: 800 }],
    ['semantics-side-by-side', '?preset=semantics-side-by-side', { width: 1280, height: 800 }],
  ];
  for (const [what, where, viewport] of runs) {
    const page = await browser.newPage({ viewport });
    // Long tasks, collected from the start (Chromium's Long Tasks API).
    await page.addInitScript(() => {
      window.__long = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__long.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(srv.url + where);
    await page.waitForSelector('.stage-wrap svg.stage');
    const share = await page.evaluate(() => {
      const r = document.querySelector('.stage-wrap').getBoundingClientRect();
      return (r.width * r.height) / (innerWidth * innerHeight);
    });
    // Where the main thread's time goes while playing (Chrome's counters).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () =>
      Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    await page.getByRole('combobox', { name: 'Speed' }).selectOption({ index: 5 });
    const before = await metrics();
    await page.evaluate(() => (window.__long = []));
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    const deltas = await page.evaluate(
      (ms) =>
        new Promise((resolve) => {
          const out = [];
          // Play feeds a few records per press: press it again whenever
          // the run pauses, so the whole window is playing.
          const again = setInterval(() => {
            const play = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Play');
            if (play) play.click();
          }, 250);
          let last = performance.now();
          const end = last + ms;
          const tick = (t) => {
            out.push(t - last);
            last = t;
            if (t < end) requestAnimationFrame(tick);
            else {
              clearInterval(again);
              resolve(out);
            }
          };
          requestAnimationFrame(tick);
        }),
      seconds * 1000,
    );
    const after = await metrics();
    const long = await page.evaluate(() => window.__long);
    const per = (k) => (((after[k] - before[k]) * 1000) / seconds).toFixed(0);
    const steps = await page.getByTestId('step-counter').innerText();
    deltas.sort((a, b) => a - b);
    console.log(
      `${what} at ${viewport.width}x${viewport.height}: stage ${(share * 100).toFixed(0)}% of the screen; ` +
        `${deltas.length} frames in ${seconds} s; frame interval p50 ${q(deltas, 50).toFixed(1)} ms, ` +
        `p95 ${q(deltas, 95).toFixed(1)} ms, p99 ${q(deltas, 99).toFixed(1)} ms, max ${deltas[deltas.length - 1].toFixed(1)} ms ` +
        `(${steps.replace(/\s+/g, ' ')}); main thread per second: script ${per('ScriptDuration')} ms, ` +
        `style ${per('RecalcStyleDuration')} ms, layout ${per('LayoutDuration')} ms, all tasks ${per('TaskDuration')} ms; ` +
        `long tasks ${long.length}, longest ${long.length ? Math.max(...long).toFixed(0) : 0} ms`,
    );
    await page.close();
  }
  // Typing: 30 keystrokes in the Key field after 40 steps of the big
  // cluster; how long the page's handlers take per keystroke (the Event
  // Timing API's processing time of each input event).
  {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(() => {
      window.__input = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries())
          if (e.name === 'input') window.__input.push(e.processingEnd - e.processingStart);
      }).observe({ type: 'event', durationThreshold: 0, buffered: true });
    });
    await page.goto(srv.url + BIG);
    await page.waitForSelector('.stage-wrap svg.stage');
    for (let i = 0; i < 40; i++) await page.getByRole('button', { name: 'Step forward', exact: true }).click();
    // The settings live in a drawer on a laptop screen: open it.
    const settings = page.getByRole('button', { name: 'Settings', exact: true });
    if ((await settings.count()) === 1 && (await settings.getAttribute('aria-expanded')) !== 'true') {
      await settings.click();
    }
    const key = page.getByLabel('Key', { exact: true });
    await key.fill('');
    await page.evaluate(() => (window.__input = []));
    await key.pressSequentially('order-12345-customer-abcdefgh');
    await page.waitForTimeout(300);
    const times = (await page.evaluate(() => window.__input)).sort((a, b) => a - b);
    console.log(
      `typing 30 keys in the Key field (3x12, step 40): ${times.length} input events, handler time ` +
        `median ${q(times, 50).toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms`,
    );
    await page.close();
  }
  // First interactive: navigation start → Play on screen and enabled, the
  // median of 5 fresh loads of the default page at 1280×800.
  const firsts = [];
  for (let i = 0; i < 5; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.addInitScript(() => {
      const ready = () => {
        const b = document.querySelector('button[aria-label="Play"]');
        if (!b || b.disabled) return false;
        const r = b.getBoundingClientRect();
        return r.width > 0 && r.bottom <= innerHeight;
      };
      const poll = () => (ready() ? (window.__interactive = performance.now()) : requestAnimationFrame(poll));
      requestAnimationFrame(poll);
    });
    await page.goto(srv.url);
    await page.waitForFunction(() => window.__interactive !== undefined);
    firsts.push(await page.evaluate(() => window.__interactive));
    await ctx.close();
  }
  firsts.sort((a, b) => a - b);
  console.log(
    `first interactive (Play on screen and enabled), 5 loads at 1280x800: median ${firsts[2].toFixed(0)} ms ` +
      `(${firsts.map((x) => x.toFixed(0)).join(', ')})`,
  );
} finally {
  await browser.close();
  await srv.close();
}
