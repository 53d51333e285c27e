// Lessons: drive the lesson panel (in a page or an embedded app) to its end,
// open the gallery. Used by lessons.mjs, embed.mjs and accessibility.mjs.
import { AssertionError, assert, setLabelled, waitFor, waitForApp } from './lib.mjs';
import { FASTEST_SPEED, exact } from './app.mjs';
import { fetchLesson } from './project.mjs';

/**
 * Plays the lesson on screen from its current stop to "Lesson complete.",
 * answering each question (alternately the first and the last choice) and
 * pressing Next/Continue. Checks every stop against the lesson file: "Stop i
 * of n", the beat's step on the counter. Returns the stops visited.
 */
export async function playLesson(root, lesson, { onStop, onAsk } = {}) {
  const panel = root.locator('section.lesson-panel');
  const n = lesson.beats.length;
  const visited = [];
  const questions = [];
  let answers = 0;
  // One read of the whole panel (and the step counter) in the page, so that a
  // render between two reads cannot mix two states.
  const state = async () => {
    const r = await panel.evaluate((el) => {
      const text = (n) => (n ? n.textContent.replace(/\s+/g, ' ').trim() : '');
      const next = [...el.querySelectorAll('button')].map((b) => text(b)).find((t) => /^(Next|Next: predict|Continue)$/.test(t));
      return {
        progress: text(el.querySelector('[data-testid="lesson-progress"]')),
        choices: el.querySelectorAll('fieldset.predict button').length,
        next: next || null,
        complete: [...el.querySelectorAll('[role="status"]')].some((s) => text(s) === 'Lesson complete.'),
        playing: el.querySelectorAll('.lesson-playing').length,
        reveal: text(el.querySelector('.reveal')),
        counter: text(el.ownerDocument.querySelector('[data-testid="step-counter"]')),
      };
    });
    const m = r.progress.match(/Stop (\d+) of (\d+) · step (\d+)/);
    assert(m, `lesson progress does not read "Stop i of n · step s": "${r.progress}"`);
    const c = r.counter.match(/Step (\d+)/);
    assert(c, `step counter does not read "Step N": "${r.counter}"`);
    return {
      stop: Number(m[1]),
      total: Number(m[2]),
      beatStep: Number(m[3]),
      asking: r.choices > 0,
      next: r.next,
      complete: r.complete,
      reveal: r.reveal,
      step: Number(c[1]),
      key: `${r.progress}|${r.choices}|${r.next}|${r.playing}|${r.complete}`,
    };
  };
  const deadline = Date.now() + 120_000;
  let s = await state();
  while (Date.now() < deadline) {
    assert(s.total === n, `the lesson panel says ${s.total} stops, ${lesson.id}.lesson has ${n}`);
    assert(s.beatStep === lesson.beats[s.stop - 1].step, `stop ${s.stop} says step ${s.beatStep}, the lesson file says ${lesson.beats[s.stop - 1].step}`);
    if (visited[visited.length - 1] !== s.stop) {
      assert(s.stop === (visited[visited.length - 1] ?? 0) + 1 || visited.length === 0, `the lesson went from stop ${visited[visited.length - 1]} to stop ${s.stop}`);
      visited.push(s.stop);
      // Arriving at a stop whose question was answered on the way: the reveal says whether it was right.
      const asked = questions.find((q) => q.before === s.stop);
      if (asked) {
        const want = asked.right ? /Right/ : /Not quite/;
        assert(want.test(s.reveal), `stop ${s.stop}: the reveal after answering choice ${asked.pick + 1} (${asked.right ? 'right' : 'wrong'}) reads "${s.reveal}"`);
      }
      if (onStop) await onStop(s);
    }
    if (s.complete) {
      assert(s.stop === n, `"Lesson complete." at stop ${s.stop} of ${n}`);
      assert(s.step === lesson.beats[n - 1].step, `the lesson completed at step ${s.step}, its last stop is at step ${lesson.beats[n - 1].step}`);
      assert(answers === lesson.beats.filter((b) => b.question).length, `answered ${answers} questions, the lesson has ${lesson.beats.filter((b) => b.question).length}`);
      return { visited, questions };
    }
    let acted = false;
    if (s.asking) {
      const q = lesson.beats[s.stop]?.question;
      assert(q, `a prediction is asked at stop ${s.stop}, but beat ${s.stop + 1} of ${lesson.id}.lesson has no question`);
      if (onAsk) await onAsk(s);
      const buttons = panel.locator('fieldset.predict button');
      const count = await buttons.count();
      assert(count === q.choices.length, `the question before stop ${s.stop + 1} shows ${count} choices, the file has ${q.choices.length}`);
      const pick = answers % 2 === 0 ? 0 : count - 1;
      // The choices are shown shuffled: which one of the file's is this?
      const picked = q.choices.indexOf((await buttons.nth(pick).innerText()).trim());
      assert(picked >= 0, `the question before stop ${s.stop + 1} shows a choice the file does not have`);
      questions.push({ before: s.stop + 1, pick, right: picked === q.answer });
      await buttons.nth(pick).click();
      answers++;
      acted = true;
    } else if (s.next) {
      // The beat's step is on the counter whenever the tour waits at a stop.
      if (s.next !== 'Continue') {
        assert(s.step === s.beatStep, `waiting at stop ${s.stop} (step ${s.beatStep}), the counter reads step ${s.step}`);
      }
      await panel.getByRole('button', { name: s.next, exact: true }).click();
      acted = true;
    }
    // Wait for the panel to change (an answer plays to the next stop; Next asks or plays).
    const before = s.key;
    try {
      s = await waitFor(
        async () => {
          const cur = await state();
          return cur.key !== before && cur;
        },
        { timeout: 30_000, interval: 40 },
      );
    } catch {
      throw new AssertionError(`the lesson panel did not change for 30 s at "${before}" (${acted ? 'after acting' : 'while playing'})`);
    }
  }
  throw new AssertionError(`the lesson did not complete within 120 s (stops visited: ${visited.join(', ')})`);
}

export async function openGallery(page) {
  await page.getByRole('button', { name: exact('Lessons') }).click();
  const dialog = page.getByRole('dialog').filter({ has: page.getByRole('heading', { name: 'Lessons', exact: true }) });
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  // Every card's Start button is enabled once its lesson text has been fetched.
  const starts = dialog.getByRole('button', { name: /^Start the lesson / });
  await waitFor(
    async () => {
      const n = await starts.count();
      if (n === 0) return false;
      for (let i = 0; i < n; i++) if (!(await starts.nth(i).isEnabled())) return false;
      return true;
    },
    { timeout: 10_000, describe: () => 'every lesson card to load (all Start buttons enabled)' },
  );
  return { dialog, starts };
}

export async function playLessonFromGallery(t, id) {
  const lesson = await fetchLesson(t.baseUrl, id);
  const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
  await waitForApp(page);
  await setLabelled(page, 'Speed', FASTEST_SPEED);
  const { dialog } = await openGallery(page);
  await dialog.getByRole('button', { name: `Start the lesson ${lesson.title}`, exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
  const panel = page.locator('section.lesson-panel');
  await panel.waitFor({ state: 'visible', timeout: 5000 });
  const title = (await panel.locator('#lesson-title').innerText()).trim();
  assert(title === lesson.title, `the lesson panel's title is "${title}", ${id}.lesson says "${lesson.title}"`);
  const started = Date.now();
  const { visited, questions } = await playLesson(page, lesson);
  const wrong = questions.filter((q) => !q.right).length;
  return { page, lesson, visited, questions, wrong, seconds: (Date.now() - started) / 1000 };
}
