// Time travel: stepping back and forth, Home/End, the History scrubber and Go to
// step show exactly the picture and narration first seen at each step; acting in
// the past forks the run and Undo restores it. Registered by run.mjs; see
// tests/e2e/README.md ("Time travel", time-travel.mjs).
import { assert, blurActive, stepButton, waitForApp } from './lib.mjs';
import {
  assertSameSnapshot,
  backButton,
  counter,
  forkBanner,
  loadPreset,
  openFragment,
  snapshot,
  stepTo,
  waitForFragment,
  waitForStep,
} from './app.mjs';

// ---------------------------------------------------------------------------

export const timeTravelTests = [
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
];
