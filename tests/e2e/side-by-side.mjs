// Side by side: every announcement names its lane, and a lane card draws its lane
// large with the narration telling that lane's story. Registered by run.mjs; see
// tests/e2e/README.md ("Side by side", side-by-side.mjs).
import { assert, problems, waitFor } from './lib.mjs';
import { DESKTOP, counter, openPage, stepForward } from './app.mjs';

/** The live regions' texts: role=status/alert/log and aria-live (not off). */
const liveTexts = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('[role=status], [role=alert], [role=log], [aria-live]')]
      .filter((el) => (el.getAttribute('aria-live') || 'polite') !== 'off')
      .filter((el) => !el.parentElement || !el.parentElement.closest('[role=status], [role=alert], [role=log], [aria-live]'))
      .map((el) => ({ cls: el.className, text: (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim() })),
  );

/** The tests of issue 9 (named i9_…) keep its tag: `node tests/e2e/run.mjs issue9` runs them. */
const ISSUE9 = ['issue9'];

// ---------------------------------------------------------------------------

export const sideBySideTests = [
  {
    name: 'i9_side_by_side_announcements_name_the_lane',
    tags: ISSUE9,
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
    name: 'i10_a_lane_card_draws_its_lane_large_and_the_narration_tells_its_story',
    timeout: 120_000,
    fn: async (t) => {
      const page = await openPage(t, '?preset=semantics-side-by-side');
      for (let i = 0; i < 23; i++) await page.keyboard.press('ArrowRight');
      await waitFor(async () => (await counter(page)).step === 23, { describe: () => 'step 23' });
      const cards = page.locator('.lane-card');
      const n = await cards.count();
      assert(n === 3, `three lane cards, found ${n}`);
      const p = problems();
      for (let i = 0; i < n; i++) {
        await cards.nth(i).click();
        const label = (await cards.nth(i).locator('.lane-name').innerText()).split('\n')[0].trim();
        await waitFor(async () => (await cards.nth(i).getAttribute('aria-selected')) === 'true', {
          describe: () => `lane ${i + 1} selected`,
        });
        const title = (await page.locator('.narration-title').first().innerText()).trim();
        p.check(title.startsWith(label), `lane ${i + 1} (${label}) shown large, but the narration reads "${title}"`);
      }
      p.done('what the stage shows');
    },
  },
];
