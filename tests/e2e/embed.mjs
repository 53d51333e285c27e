// Embedding: the app in an <iframe> of a course page (the stand-in
// embed-parent.html, course-page.mjs) talks to it with postMessage, obeys its
// commands, fits its frame and never scrolls as a page; the Share dialog's embed
// code works pasted as is; an embedded lesson announces its completion.
// Registered by run.mjs; see tests/e2e/README.md ("Embedding in a course
// page", embed.mjs).
import {
  assert,
  pauseButton,
  playButton,
  problems,
  setLabelled,
  sleep,
  stepButton,
  waitFor,
  waitForApp,
} from './lib.mjs';
import {
  FASTEST_SPEED,
  clusterState,
  counter,
  exact,
  loadPreset,
  narrationPanel,
  narrationText,
  openPage,
  snapshot,
  stepTo,
  waitForStep,
} from './app.mjs';
import { fetchLesson } from './project.mjs';
import {
  assertInsideFrame,
  assertNoOverflow,
  assertStepMessage,
  frameErrors,
  messages,
  openCoursePage,
  send,
  waitForMessage,
} from './course-page.mjs';
import { playLesson } from './lesson-player.mjs';

// ---------------------------------------------------------------------------

export const embedTests = [
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
    name: 'i10_embedded_frames_never_scroll_and_an_answer_shows_its_verdict_first',
    timeout: 120_000,
    fn: async (t) => {
      const p = problems();
      for (const q of ['?embed&lesson=semantics-summary', '?embed&lesson=rebalancing', '?embed&preset=acks1-failover-loss']) {
        const page = await openPage(t, q, { viewport: { width: 800, height: 500 } });
        await page.waitForTimeout(300);
        const over = await page.evaluate(() => {
          const d = document.scrollingElement;
          return { v: d.scrollHeight - d.clientHeight, h: d.scrollWidth - d.clientWidth };
        });
        p.check(over.v <= 0 && over.h <= 0, `${q}: the frame scrolls as a page (${over.v} px down, ${over.h} px across)`);
        await page.mouse.wheel(0, 400);
        await page.waitForTimeout(150);
        const top = await page.evaluate(() => document.querySelector('.topbar').getBoundingClientRect().top);
        p.check(top >= 0, `${q}: the wheel scrolled the app up by ${-top} px`);
        await page.close();
      }
      // A wrong answer: its verdict is in view in the lesson card, and so is Next.
      const page = await openPage(t, '?embed&lesson=nine-stages', { viewport: { width: 800, height: 500 } });
      for (let i = 0; i < 6; i++) {
        if ((await page.locator('fieldset.predict button').count()) > 0) break;
        await page.keyboard.press('n');
        await page.waitForTimeout(200);
      }
      const choices = page.locator('fieldset.predict button');
      assert((await choices.count()) > 0, 'the nine-stages lesson asks a question');
      await choices.first().click();
      await waitFor(async () => (await page.locator('.reveal .reveal-verdict').count()) > 0, {
        timeout: 30_000,
        describe: () => 'the verdict after the answer',
      });
      await page.waitForTimeout(200);
      const seen = await page.evaluate(() => {
        const panel = document.querySelector('.lesson-panel').getBoundingClientRect();
        const inPanel = (sel) => {
          const el = document.querySelector(sel);
          if (!el) return false;
          const r = el.getBoundingClientRect();
          return r.top >= panel.top - 1 && r.top + 10 <= panel.bottom && r.top < innerHeight;
        };
        return { verdict: inPanel('.reveal .reveal-verdict'), next: inPanel('.lesson-nav .btn.primary') };
      });
      p.check(seen.verdict, 'after answering, the verdict is scrolled out of the lesson card');
      p.check(seen.next, 'after answering, Next is out of view');
      await t.screenshot(page, 'embed-verdict');
      p.done('embedded frames and verdicts');
    },
  },
];
