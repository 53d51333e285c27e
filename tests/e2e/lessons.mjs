// Lessons: the gallery lists every built-in lesson (INDEX in src/lesson.rs, from
// `kafkascope lesson list --json`), an instructor's own lesson opens from it,
// every lesson plays to its end, embedded too, with its questions on screen; N
// moves through a lesson and its More fold keeps the background out of the way.
// Registered by run.mjs; see tests/e2e/README.md ("Lessons", lessons.mjs).
//
// Each lesson's title, stops and questions are read from its file as the server
// under test serves it (lessons/<id>.lesson, project.mjs's fetchLesson).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assert, assertSeen, problems, setLabelled, waitForApp } from './lib.mjs';
import { DESKTOP, FASTEST_SPEED, counter, exact, fragmentOf, openPage, pageUrl, shot, stepForward, waitForStep } from './app.mjs';
import { REPO, coursePageLessons, fetchLesson, lessonIndex } from './project.mjs';
import { assertNoOverflow, frameErrors, openCoursePage } from './course-page.mjs';
import { openGallery, playLesson, playLessonFromGallery } from './lesson-player.mjs';

// ---------------------------------------------------------------------------

export const lessonsTests = [
  {
    name: 'lesson_gallery_lists_every_lesson',
    fn: async (t) => {
      const index = lessonIndex();
      assert(index.length === 16, `src/lesson.rs INDEX lists ${index.length} lessons: one per course section, the five of issue 15 and the rebalance protocols of issue 14`);
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
    // An 800x500 iframe and a phone: the stop's text has the side column, and
    // the step's narration is one line (its title) until it is tapped. The
    // embed showed two lines of a stop under a four-line title and a cut
    // narration card.
    name: 'a_short_frame_gives_the_lesson_stop_the_column_and_folds_the_narration_to_its_title',
    timeout: 60_000,
    fn: async (t) => {
      // Lines of the stop's text a person sees: the part of .lesson-text inside
      // the card's scroll box and above its Back / Next row, over its line height.
      const seenLines = (root) => root.evaluate(() => {
        const panel = document.querySelector('.lesson-panel');
        const text = panel.querySelector('.lesson-text p');
        const nav = panel.querySelector('.lesson-nav');
        const p = panel.getBoundingClientRect();
        const r = text.parentElement.getBoundingClientRect();
        const bottom = Math.min(p.bottom, nav ? nav.getBoundingClientRect().top : p.bottom, innerHeight);
        const shown = Math.max(0, Math.min(r.bottom, bottom) - Math.max(r.top, p.top));
        return shown / parseFloat(getComputedStyle(text).lineHeight);
      });
      const narrationBox = (root) => root.evaluate(() => {
        const n = document.querySelector('.side > .lesson-panel ~ .narration');
        const title = n.querySelector('.narration-title').getBoundingClientRect();
        const body = n.querySelector('.narration-body').getBoundingClientRect();
        return { h: n.getBoundingClientRect().height, titleH: title.height, bodyH: body.height, bottom: n.getBoundingClientRect().bottom, vh: innerHeight };
      });
      const cases = [
        { what: 'an 800x500 iframe', lines: 6, open: async () => {
          const { page, app, frame } = await openCoursePage(t, { src: new URL('?embed&lesson=producer-acks', t.baseUrl).href, width: 800, height: 500 });
          return { page, root: app, ev: frame };
        } },
        { what: 'a 375x667 phone', lines: 3, open: async () => {
          const page = await openPage(t, '?lesson=producer-acks', { viewport: { width: 375, height: 667 } });
          return { page, root: page, ev: page };
        } },
      ];
      for (const c of cases) {
        const { page, root, ev } = await c.open();
        await root.locator('section.lesson-panel').waitFor({ state: 'visible', timeout: 10_000 });
        const lines = await seenLines(ev);
        console.log(`    ${c.what}: ${lines.toFixed(1)} lines of the stop's text seen`);
        assert(lines >= c.lines, `${c.what}: ${lines.toFixed(1)} lines of the stop's text seen, want ${c.lines} or more`);
        await assertSeen(root.getByRole('button', { name: 'Leave the lesson' }), `${c.what}: Leave`);
        const folded = await narrationBox(ev);
        assert(folded.bodyH <= 1 && folded.h < folded.titleH + 24, `${c.what}: the narration is not folded to its title: ${JSON.stringify(folded)}`);
        assert(folded.bottom <= folded.vh, `${c.what}: the folded narration ends below the frame: ${JSON.stringify(folded)}`);
        // Its text is still read out (clipped, not display:none).
        const body = (await root.locator('[role="status"] .narration-body').first().textContent()).trim();
        assert(body.length > 20, `${c.what}: the folded narration's body is gone from the page: "${body}"`);
        await root.locator('.side > .lesson-panel ~ .narration .narration-title').click();
        const open = await narrationBox(ev);
        assert(open.bodyH > 15, `${c.what}: tapping the narration did not open it: ${JSON.stringify(open)}`);
        await t.screenshot(page, `short-frame-lesson-${c.what.replace(/\W+/g, '-')}`);
        await page.context().close();
      }
    },
  },

  {
    name: 'i10_n_moves_through_a_lesson_and_tab_then_reaches_the_choices',
    timeout: 60_000,
    fn: async (t) => {
      const page = await openPage(t, '?lesson=nine-stages');
      for (let i = 0; i < 8; i++) {
        if ((await page.locator('fieldset.predict button').count()) > 0) break;
        await page.keyboard.press('n');
        await page.waitForTimeout(250);
      }
      assert((await page.locator('fieldset.predict button').count()) > 0, 'N reached a question');
      await page.waitForTimeout(150);
      await page.keyboard.press('Tab');
      const active = await page.evaluate(() => document.activeElement?.closest('fieldset.predict') !== null);
      assert(active, 'after N, Tab does not reach the question\'s choices');
    },
  },

  {
    // At 1280x800 the verdict on an answer comes first in the stop; the audit
    // found the stop's own text then hidden under the sticky Back / Next row
    // (nine-stages' stops 3 and 9, producer-acks' stop 5), the step's
    // narration card taking the height. Every answered stop of both lessons
    // shows its verdict and the first lines of its own text.
    name: 'after_an_answer_the_verdict_and_the_stop_s_own_text_are_both_seen',
    timeout: 300_000,
    fn: async (t) => {
      const p = problems();
      let answered = 0;
      for (const id of ['nine-stages', 'producer-acks']) {
        const page = await openPage(t, `?lesson=${id}`);
        const lesson = await fetchLesson(t.baseUrl, id);
        await playLesson(page, lesson, {
          onStop: async (s) => {
            if (!s.reveal) return;
            answered++;
            await page.waitForTimeout(300);
            const r = await page.evaluate(() => {
              const panel = document.querySelector('.lesson-panel');
              const nav = panel.querySelector('.lesson-nav');
              const bottom = Math.min(panel.getBoundingClientRect().bottom, nav ? nav.getBoundingClientRect().top : innerHeight, innerHeight);
              const top = panel.getBoundingClientRect().top;
              const seen = (el) => {
                const b = el.getBoundingClientRect();
                return Math.max(0, Math.min(b.bottom, bottom) - Math.max(b.top, top));
              };
              const verdict = panel.querySelector('.reveal-verdict');
              const text = panel.querySelector('.lesson-text p');
              const line = text ? parseFloat(getComputedStyle(text).lineHeight) : 1;
              return {
                verdict: verdict ? seen(verdict) >= verdict.getBoundingClientRect().height - 1 : false,
                lines: text ? seen(text) / line : 0,
                all: text ? text.getBoundingClientRect().height / line : 0,
              };
            });
            p.check(r.verdict, `${id}, stop ${s.stop}: the verdict is not seen whole`);
            p.check(r.lines >= Math.min(2, r.all) - 0.05,
              `${id}, stop ${s.stop}: ${r.lines.toFixed(1)} lines of the stop's own text are seen above Back / Next (of ${r.all.toFixed(1)})`);
            if (id === 'nine-stages' && s.stop === 3) await shot(t, page, 'verdict-and-stop-text');
          },
        });
        await page.close();
      }
      p.check(answered >= 4, `answered stops were checked (${answered})`);
      p.done('verdicts and stop texts');
    },
  },

  {
    name: 'i10_a_lesson_stop_keeps_its_background_behind_a_visible_more_button',
    timeout: 60_000,
    fn: async (t) => {
      const p = problems();
      for (const viewport of [DESKTOP, { width: 800, height: 500 }]) {
        const page = await openPage(t, '?lesson=consumer-offsets', { viewport });
        const more = page.locator('.lesson-panel .more-btn');
        await more.waitFor({ timeout: 5000 });
        const seen = await more.evaluate((b) => {
          const r = b.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return r.bottom <= innerHeight && r.top >= 0 && (hit === b || b.contains(hit));
        });
        p.check(seen, `${viewport.width}×${viewport.height}: the More button is not seen`);
        p.check((await page.locator('#lesson-more').count()) === 0, 'the background shows before More is pressed');
        await more.click();
        const text = await page.locator('#lesson-more').innerText().catch(() => '');
        p.check(/coordinator/.test(text), `after More, the background is not shown: "${text.slice(0, 80)}"`);
        p.check((await more.innerText()).trim() === 'Less', 'the button does not offer to fold it again');
        await page.close();
      }
      p.done('More fold');
    },
  },

  // A built-in lesson's text is not in the page's bundle: the page fetches
  // lessons/<id>.lesson when the lesson is opened, says so meanwhile, and
  // then opens it where a compiled-in one would.
  {
    name: 'lesson_link_says_it_is_loading_then_opens_at_its_first_stop',
    timeout: 60_000,
    fn: async (t) => {
      const { id } = coursePageLessons()[0];
      const lesson = await fetchLesson(t.baseUrl, id);
      const page = await t.newPage({ viewport: DESKTOP, url: '' });
      let release;
      const held = new Promise((r) => (release = r));
      await page.route(`**/lessons/${id}.lesson`, async (route) => {
        await held;
        await route.continue();
      });
      await page.goto(pageUrl(t, `?lesson=${id}`));
      await waitForApp(page);
      const loading = page.getByRole('status').filter({ hasText: 'Loading the lesson' });
      await loading.waitFor({ state: 'visible', timeout: 5000 });
      assert((await page.locator('section.lesson-panel').count()) === 0, 'a lesson panel is shown before the lesson arrived');
      await t.screenshot(page, 'lesson-loading');
      release();
      const panel = page.locator('section.lesson-panel');
      await panel.waitFor({ state: 'visible', timeout: 10_000 });
      await loading.waitFor({ state: 'detached', timeout: 5000 });
      const title = (await panel.locator('#lesson-title').innerText()).trim();
      assert(title === lesson.title, `the lesson panel's title is "${title}", ${id}.lesson says "${lesson.title}"`);
      const first = lesson.beats[0].step;
      const progress = (await panel.locator('[data-testid="lesson-progress"]').innerText()).replace(/\s+/g, ' ').trim();
      assert(progress.includes(`Stop 1 of ${lesson.beats.length} · step ${first}`), `the lesson opened at "${progress}", not its first stop (step ${first})`);
      await waitForStep(page, first, { what: `?lesson=${id}` });
      // With ?step=, the page plays on to that step once the lesson is in.
      const later = lesson.beats[1].step;
      const stepped = await openPage(t, `?lesson=${id}&step=${later}`);
      await stepped.locator('section.lesson-panel').waitFor({ state: 'visible', timeout: 10_000 });
      await waitForStep(stepped, later, { what: `?lesson=${id}&step=${later}` });
    },
  },

  // A lesson file the page cannot fetch (404), or that is not a lesson, is
  // explained in the error banner; the run on screen stays, and the app
  // goes on working.
  {
    name: 'a_lesson_that_cannot_be_loaded_says_why_and_keeps_the_run',
    timeout: 90_000,
    fn: async (t) => {
      const { id } = coursePageLessons()[0];
      // A shared link of a lesson run at a later step.
      const first = await openPage(t, `?lesson=${id}`);
      await first.locator('section.lesson-panel').waitFor({ state: 'visible', timeout: 10_000 });
      await stepForward(first, 3);
      const at = await counter(first);
      const fragment = await fragmentOf(first);
      assert(/^v1\./.test(fragment), `the address bar holds no link: "${fragment}"`);
      const banner = (page) => page.getByRole('alert').filter({ hasText: `The lesson "${id}" could not be loaded` });
      for (const [what, serve, why] of [
        ['missing', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'Not found' }), /404/],
        ['not a lesson', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><p>A login page</p>' }), /line \d+/],
      ]) {
        // Opened from the link: the lesson cannot come, the linked run stays.
        const page = await t.newPage({ viewport: DESKTOP, url: '' });
        await page.route(`**/lessons/${id}.lesson`, serve);
        await page.goto(`${pageUrl(t)}#${fragment}`);
        await waitForApp(page);
        await banner(page).waitFor({ state: 'visible', timeout: 10_000 });
        const text = await banner(page).innerText();
        assert(why.test(text), `${what}: the message does not say why: "${text}"`);
        assert((await page.getByRole('status').filter({ hasText: 'Loading the lesson' }).count()) === 0, `${what}: still "Loading the lesson…" after the failure`);
        assert((await page.locator('section.lesson-panel').count()) === 0, `${what}: a lesson panel is shown`);
        const now = await counter(page);
        assert(now.step === at.step, `${what}: the link's run is at step ${now.step}, it was made at ${at.step}`);
        await t.screenshot(page, `lesson-${what.replace(/ /g, '-')}`);
        await stepForward(page, 1);
        assert((await counter(page)).step > at.step, `${what}: Step forward does nothing after the failure`);
        // Opened from ?lesson=: the same message over the default run.
        const fresh = await t.newPage({ viewport: DESKTOP, url: '' });
        await fresh.route(`**/lessons/${id}.lesson`, serve);
        await fresh.goto(pageUrl(t, `?lesson=${id}`));
        await waitForApp(fresh);
        await banner(fresh).waitFor({ state: 'visible', timeout: 10_000 });
        assert((await counter(fresh)).step === 0, `${what}: ?lesson= moved the default run`);
        // The gallery says it on the lesson's card.
        await fresh.getByRole('button', { name: exact('Lessons') }).click();
        const dialog = fresh.getByRole('dialog').filter({ has: fresh.getByRole('heading', { name: 'Lessons', exact: true }) });
        const card = dialog.locator('li.lesson-card').filter({ hasText: 'This lesson could not be loaded' });
        await card.first().waitFor({ state: 'visible', timeout: 10_000 });
        assert((await card.count()) === 1, `${what}: ${await card.count()} gallery cards say they could not be loaded`);
      }
      // The 404s above were asked for.
      t.errors = t.errors.filter((e) => !e.includes(`${id}.lesson`) && !/Failed to load resource: .*404/.test(e));
    },
  },

  // One test per lesson: each plays from the gallery to "Lesson complete.".
  ...coursePageLessons().map(({ id }) => ({
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
