#!/usr/bin/env node
// kafkascope end-to-end tests (playwright-core + Debian Chromium).
//
//   node tests/e2e/run.mjs                 # serves ./dist on a free loopback port
//   node tests/e2e/run.mjs --dist DIR      # serves another directory
//   node tests/e2e/run.mjs --url URL       # tests an already running server (e.g. trunk serve)
//   node tests/e2e/run.mjs play reduced    # only tests whose name contains a filter word
//   node tests/e2e/run.mjs issue9          # or that carry it as a tag
//
// The suites, by feature: this file's own tests (the nine stages, play/pause,
// keyboard, partitions, presets), then links.mjs, time-travel.mjs, embed.mjs,
// lessons.mjs, performance.mjs, accessibility.mjs, layout.mjs, stage.mjs,
// side-by-side.mjs, live.mjs (`kafkascope live` with real kafka-python
// clients; the live page in DIST/live) and visual.mjs. The lessons and presets
// they expect come from the kafkascope CLI (project.mjs: $KAFKASCOPE_BIN, or
// `cargo run`).
//
// Prints PASS/FAIL/SKIP per test and "e2e: N passed, N failed"; exits 1 if any failed.
// Screenshots go to tests/e2e/out/. See tests/e2e/README.md for the UI contract.
import { writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startServer } from './serve-dist.mjs';
import { linksTests } from './links.mjs';
import { timeTravelTests } from './time-travel.mjs';
import { embedTests } from './embed.mjs';
import { lessonsTests } from './lessons.mjs';
import { performanceTests } from './performance.mjs';
import { accessibilityTests } from './accessibility.mjs';
import { layoutTests } from './layout.mjs';
import { stageTests } from './stage.mjs';
import { sideBySideTests } from './side-by-side.mjs';
import { visualTests } from './visual.mjs';
import { liveTests } from './live.mjs';
import {
  AssertionError,
  SkipTest,
  HERE,
  MURMUR2_VECTORS,
  OUT_DIR,
  assert,
  blurActive,
  expectStage,
  kafkaPartitionForKey,
  murmur2,
  narration,
  pauseButton,
  playButton,
  setLabelled,
  sleep,
  stageText,
  statusRegion,
  stepButton,
  stepCount,
  waitFor,
  waitForApp,
  waitForNarration,
  runTests,
} from './lib.mjs';
import { loadPreset, stageSvg } from './app.mjs';

const SUBPATH = '/course/kafkascope/';

/** Press Step forward until the narration says "Stage k of 9" (at most 9 presses). */
async function stepUntilStage(page, k) {
  for (let i = 0; i < 9; i++) {
    if ((await narration(page)).includes(stageText(k))) return;
    await stepButton(page).click();
    await sleep(50);
  }
  await expectStage(page, k);
}

/** Wait until the step counter satisfies `predicate`; returns its value. */
async function waitForCount(page, predicate, describe, timeout = 5000) {
  let last;
  try {
    const got = await waitFor(async () => predicate((last = await stepCount(page))) && { value: last }, { timeout });
    return got.value;
  } catch (err) {
    if (last === undefined) throw err;
    throw new AssertionError(`step counter never ${describe} within ${timeout} ms; it shows ${last}`);
  }
}

async function assertInViewport(page, locator, what) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  const vp = page.viewportSize();
  assert(box, `${what} has no bounding box (not rendered?)`);
  assert(
    box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width + 0.5 && box.y + box.height <= vp.height + 0.5,
    `${what} is not inside the ${vp.width}x${vp.height} viewport even after scrolling: ${JSON.stringify(box)}`,
  );
}

const tests = [
  {
    name: 'murmur2_matches_kafka_test_vectors',
    browser: false,
    fn: async () => {
      for (const [input, expected] of MURMUR2_VECTORS) {
        const got = murmur2(input);
        assert(got === expected, `murmur2(${JSON.stringify(input)}) = ${got}, Kafka says ${expected}`);
      }
      assert(kafkaPartitionForKey('21', 6) === 0, 'key "21" over 6 partitions should be partition 0');
      assert(kafkaPartitionForKey('42', 6) === 4, 'key "42" over 6 partitions should be partition 4');
    },
  },

  {
    name: 'nine_stages_are_narrated_in_order',
    fn: async (t) => {
      const page = await t.newPage({ viewport: { width: 1280, height: 720 } });
      await waitForApp(page);
      const n = await statusRegion(page).count();
      assert(n >= 1, 'no element with role="status" on the page');
      for (let k = 1; k <= 9; k++) {
        await stepButton(page).click();
        await expectStage(page, k);
        // Stage names must not run ahead: the next stage is not announced yet.
        if (k < 9) {
          const text = await narration(page);
          assert(!text.includes(stageText(k + 1)), `after press ${k} the narration already says "${stageText(k + 1)}": "${text}"`);
        }
        if (k === 3 || k === 5 || k === 9) await t.screenshot(page, `stage-${k}`);
      }
    },
  },

  {
    name: 'play_and_pause',
    fn: async (t) => {
      const page = await t.newPage({ viewport: { width: 1280, height: 720 } });
      await waitForApp(page);

      // Buttons.
      const c0 = await stepCount(page);
      await playButton(page).click();
      await pauseButton(page).waitFor({ state: 'visible', timeout: 3000 }).catch(() => {
        throw new AssertionError('after pressing "Play" there is no button named "Pause"');
      });
      assert((await playButton(page).count()) === 0, 'while playing, a button named "Play" is still shown');
      await sleep(2000);
      const c1 = await stepCount(page);
      assert(c1 > c0, `step counter did not advance during ~2 s of play (${c0} -> ${c1})`);
      await pauseButton(page).click();
      await playButton(page).waitFor({ state: 'visible', timeout: 3000 }).catch(() => {
        throw new AssertionError('after pressing "Pause" there is no button named "Play"');
      });
      const c2 = await stepCount(page);
      await sleep(1000);
      const c3 = await stepCount(page);
      assert(c3 === c2, `step counter kept changing after Pause (${c2} -> ${c3} in 1 s)`);

      // Keyboard: Space toggles play/pause (focus on the document, not a control).
      await blurActive(page);
      await page.keyboard.press('Space');
      await pauseButton(page).waitFor({ state: 'visible', timeout: 3000 }).catch(() => {
        throw new AssertionError('Space did not start playing (no "Pause" button appeared)');
      });
      await waitForCount(page, (c) => c > c3, `advanced past ${c3} after Space`, 4000);
      await blurActive(page);
      await page.keyboard.press('Space');
      await playButton(page).waitFor({ state: 'visible', timeout: 3000 }).catch(() => {
        throw new AssertionError('second Space did not pause (no "Play" button appeared)');
      });
      const c4 = await stepCount(page);
      await sleep(600);
      assert((await stepCount(page)) === c4, 'step counter kept changing after pausing with Space');

      // ArrowRight steps forward exactly like the Step forward button.
      const before = await stepCount(page);
      await stepButton(page).click();
      const afterClick = await waitForCount(page, (c) => c !== before, `changed after Step forward (was ${before})`);
      const delta = afterClick - before;
      assert(delta > 0, `Step forward moved the step counter backwards (${before} -> ${afterClick})`);
      await blurActive(page);
      await page.keyboard.press('ArrowRight');
      const afterKey = await waitForCount(page, (c) => c !== afterClick, `changed after ArrowRight (was ${afterClick})`);
      assert(afterKey - afterClick === delta, `ArrowRight moved the counter by ${afterKey - afterClick}, Step forward by ${delta}`);

      // "r" resets.
      await blurActive(page);
      await page.keyboard.press('r');
      await waitForCount(page, (c) => c === 0, 'went back to 0 after "r"');

      // "?" opens the shortcuts dialog; Escape closes it.
      await blurActive(page);
      await page.keyboard.press('?');
      const dialog = page.getByRole('dialog');
      await dialog.first().waitFor({ state: 'visible', timeout: 3000 }).catch(() => {
        throw new AssertionError('"?" did not open an element with role="dialog"');
      });
      const text = (await dialog.first().innerText()).replace(/\s+/g, ' ');
      for (const [what, re] of [
        ['Space', /space/i],
        ['the right arrow', /→|arrow ?right|right arrow|\bright\b/i],
        ['r (reset)', /\br\b/i],
        ['?', /\?/],
        ['Escape', /esc/i],
      ]) {
        assert(re.test(text), `shortcuts dialog does not mention ${what}: "${text}"`);
      }
      await t.screenshot(page, 'shortcuts-dialog');
      await page.keyboard.press('Escape');
      await waitFor(async () => (await dialog.count()) === 0 || !(await dialog.first().isVisible()), {
        timeout: 3000,
        describe: () => 'the dialog to close after Escape',
      });
    },
  },

  {
    name: 'no_console_errors_on_load_and_step',
    fn: async (t) => {
      // The per-page check (console errors, page errors, failed requests, HTTP >= 400)
      // runs after every test; this one just exercises load, steps and play.
      const page = await t.newPage({ viewport: { width: 1280, height: 720 } });
      await waitForApp(page);
      for (let k = 1; k <= 9; k++) await stepButton(page).click();
      await expectStage(page, 9);
      await playButton(page).click();
      await sleep(1000);
      await pauseButton(page).click();
      await sleep(300);
    },
  },

  {
    name: 'a_preset_shows_its_title_and_summary_fetched_as_the_page_starts',
    fn: async (t) => {
      // The titles and summaries live in presets.txt (not in the wasm): the
      // page fetches it as it starts, then the Scenario menu names every
      // preset by the title `kafkascope presets` prints, and the Ready
      // narration and, after a step, the scenario card carry the summary.
      const { presetList } = await import('./project.mjs');
      const p = presetList().find((x) => x.id === 'acks1-failover-loss');
      assert(p && p.summary, 'kafkascope presets --json lost acks1-failover-loss or its summary');
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await page.getByRole('button', { name: 'Settings' }).click();
      const menu = await page.locator('#cfg-preset option').evaluateAll((os) => os.map((o) => [o.value, o.textContent.trim()]));
      const want = presetList().map((x) => [x.id, x.title]);
      assert(JSON.stringify(menu.filter(([v]) => v)) === JSON.stringify(want),
        `the Scenario menu does not list every preset by its title: ${JSON.stringify(menu).slice(0, 300)}`);
      await loadPreset(page, p.id);
      let said = '';
      await waitFor(async () => (said = await narration(page)).includes(`Ready: ${p.title}`), {
        timeout: 5000,
        describe: () => `the Ready narration to name the preset by its title; it reads "${said}"`,
      });
      await waitFor(async () => (said = await narration(page)).includes(p.summary), {
        timeout: 5000,
        describe: () => `the Ready narration to carry the summary; it reads "${said}"`,
      });
      await stepButton(page).click();
      const card = page.getByRole('region', { name: 'Scenario' });
      await waitFor(async () => (said = await card.innerText()).includes(p.summary), {
        timeout: 5000,
        describe: () => `the Scenario card to carry the summary; it reads "${said}"`,
      });
    },
  },

  {
    name: 'a_preset_whose_presets_txt_fails_says_so_and_the_page_still_plays',
    fn: async (t) => {
      // presets.txt (the presets' scenarios, titles, summaries and notes,
      // which the first load leaves out) is missing beside the page: a
      // ?preset= page says in plain words that the scenario could not be
      // loaded, and the page is not blank: its default run still plays.
      const { presetList } = await import('./project.mjs');
      const p = presetList().find((x) => x.id === 'acks1-failover-loss');
      const page = await t.newPage({ viewport: { width: 1280, height: 800 }, url: '' });
      let asked = 0;
      await page.route('**/presets.txt', (route) => {
        asked += 1;
        return route.fulfill({ status: 404, contentType: 'text/plain', body: 'Not found' });
      });
      await page.goto(new URL(`?preset=${p.id}`, t.baseUrl).href);
      await waitForApp(page);
      const alert = page.locator('.banner.error[role="alert"]');
      let said = '';
      await waitFor(async () => (said = (await alert.count()) ? await alert.first().innerText() : '').includes('could not be loaded'), {
        timeout: 5000,
        describe: () => `an alert to say the scenario could not be loaded; it reads "${said}"`,
      });
      assert(said.includes(p.id) && said.includes('presets.txt'), `the alert names the preset and the file: "${said}"`);
      await assertInViewport(page, alert.first(), 'the alert');
      await stepButton(page).click();
      await waitFor(async () => (await stepCount(page)) === 1, {
        timeout: 5000,
        describe: () => 'Step forward to play the default run after the failure',
      });
      assert(asked >= 1, 'presets.txt was asked for');
      // The 404 above was asked for.
      t.errors = t.errors.filter((e) => !e.includes('presets.txt') && !/Failed to load resource: .*404/.test(e));
    },
  },

  {
    name: 'embedded_800x500_fits',
    fn: async (t) => {
      const page = await t.newPage({ viewport: { width: 800, height: 500 } });
      await waitForApp(page);
      const widths = async () =>
        page.evaluate(() => ({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth }));
      let w = await widths();
      assert(w.doc <= 800, `horizontal scrollbar at 800x500: documentElement.scrollWidth = ${w.doc}`);
      await assertInViewport(page, stepButton(page), 'the Step forward button');
      await assertInViewport(page, statusRegion(page).first(), 'the role="status" region');
      await t.screenshot(page, 'loaded');
      for (let k = 1; k <= 5; k++) await stepButton(page).click();
      await expectStage(page, 5);
      w = await widths();
      assert(w.doc <= 800, `horizontal scrollbar at 800x500 after 5 steps: documentElement.scrollWidth = ${w.doc}`);
      await assertInViewport(page, stepButton(page), 'the Step forward button (after 5 steps)');
      await t.screenshot(page, 'stage-5');
    },
  },

  {
    name: 'reduced_motion',
    fn: async (t) => {
      const page = await t.newPage({ viewport: { width: 1280, height: 720 }, reducedMotion: 'reduce' });
      await waitForApp(page);
      assert(
        await page.evaluate(() => matchMedia('(prefers-reduced-motion: reduce)').matches),
        'the context did not apply prefers-reduced-motion: reduce',
      );
      for (let k = 1; k <= 4; k++) {
        await stepButton(page).click();
        await expectStage(page, k);
      }
      await t.screenshot(page, 'stage-4');
    },
  },

  {
    name: 'partitions_change_places_keyed_records_like_kafka',
    fn: async (t) => {
      // "21" over 6 partitions is the case from the brief (partition 0); "42" over
      // 6 partitions lands on 4, which no smaller partition count gives, so it
      // also proves the Partitions setting took effect.
      for (const [partitions, key] of [
        [6, '21'],
        [6, '42'],
      ]) {
        const expected = kafkaPartitionForKey(key, partitions);
        const page = await t.newPage({ viewport: { width: 1280, height: 720 } });
        await waitForApp(page);
        await setLabelled(page, 'Partitions', partitions);
        await setLabelled(page, 'Key', key);
        await stepUntilStage(page, 3);
        const re = new RegExp(`\\bpartition\\s+${expected}(?!\\d)`, 'i');
        await waitForNarration(
          page,
          (text) => /murmur2/i.test(text) && re.test(text),
          `mentioned "murmur2" and "partition ${expected}" (key "${key}", ${partitions} partitions: ` +
            `murmur2 = ${murmur2(key)}, toPositive % ${partitions} = ${expected})`,
        );
        await t.screenshot(page, `key-${key}-p${partitions}`);
      }
    },
  },

  {
    name: 'acks1_failover_preset_shows_the_acked_record_vanish',
    fn: async (t) => {
      const page = await t.newPage();
      await setLabelled(page, 'Scenario', 'acks1-failover-loss');
      await waitForNarration(page, (n) => n.includes('Ready'), 'the preset is loaded');
      const seen = [];
      for (let i = 0; i < 60; i++) {
        await stepButton(page).click();
        await sleep(40);
        const n = await narration(page);
        seen.push(n.slice(0, 400));
        if (/Broker \d truncates/.test(n)) break;
      }
      const story = seen.join('\n');
      assert(/Stage 6 of 9: Acknowledge/.test(story), `order-1 was acknowledged first:\n${story}`);
      assert(/crashed/.test(story), `the leader crashed:\n${story}`);
      assert(/New leader for events-0/.test(story), `a follower was elected:\n${story}`);
      assert(/Broker \d truncates/.test(await narration(page)), `the old leader truncated:\n${story}`);
      const vanished = page.locator('svg.stage .vanished');
      assert((await vanished.count()) >= 1, 'a struck-through token marks the vanished record');
      const text = (await vanished.first().textContent()) || '';
      assert(/lost/i.test(text) && /der-1|order-1/.test(text), `the vanished token is order-1 and says lost: "${text}"`);
      await t.screenshot(page, 'acks1-failover-loss');
      // At the end of the run the narration says the loss, not "every record
      // has finished its journey" (the struck token is gone by then).
      // Play stops by itself once the run is over.
      await setLabelled(page, 'Speed', '5');
      await playButton(page).click();
      await waitFor(async () => (await page.getByRole('button', { name: 'Play', exact: true }).count()) === 1,
        { timeout: 30_000, describe: () => 'playing to stop at the end of the run' });
      let end = '';
      for (let i = 0; i < 50 && !/Nothing left to do/.test(end); i++) {
        await sleep(100);
        end = await narration(page);
      }
      assert(/Nothing left to do/.test(end) && /The run is over: 1 lost, 0 processed more than once/.test(end) && !/Every record sent so far has finished/.test(end),
        `the end of the run names the loss: "${end}"`);
    },
  },

  {
    name: 'eager_vs_cooperative_side_by_side',
    fn: async (t) => {
      const page = await t.newPage();
      await setLabelled(page, 'Scenario', 'c-joins-side-by-side');
      // Each lane is a card over one large stage; pressing a card draws
      // that lane large (until another is pressed).
      const lanes = page.locator('.lane-card');
      await waitFor(async () => (await lanes.count()) === 2, { timeout: 5000 });
      const eager = lanes.nth(0);
      const coop = lanes.nth(1);
      assert(/eager/.test(await eager.locator('.lane-name').innerText()), 'the first lane is eager');
      assert(/cooperative/.test(await coop.locator('.lane-name').innerText()), 'the second lane is cooperative');
      const stage = stageSvg(page);
      // Steps on (from the start) with `card`'s lane drawn large until
      // `seen` holds for its consumers on the large stage.
      const watch = async (card, seen) => {
        await page.getByRole('button', { name: 'Reset', exact: true }).click();
        await card.click();
        for (let i = 0; i < 400; i++) {
          await stepButton(page).click();
          if (await seen()) return true;
        }
        return false;
      };
      // Under eager, the rebalance stops the world: every consumer rebalancing, none owning.
      const sawStopTheWorld = await watch(eager, async () =>
        (await stage.locator('g.consumer.rebalancing').count()) >= 2 &&
        (await stage.locator('g.consumer:not(.rebalancing) text', { hasText: '@' }).count()) === 0);
      assert(sawStopTheWorld, 'under eager every consumer stopped with no partitions during the rebalance');
      await t.screenshot(page, 'side-by-side-eager');
      // Under cooperative, a rebalancing consumer keeps consuming what it owns.
      const coopKeptConsuming = await watch(coop, async () =>
        (await stage.locator('g.consumer.rebalancing text', { hasText: '@' }).count()) >= 1);
      assert(coopKeptConsuming, 'under cooperative a rebalancing consumer kept its partitions');
      await t.screenshot(page, 'side-by-side');
    },
  },

  {
    // Network faults from the configuration panel are commands in the run:
    // a slowed broker's button turns into "Restore", the fault gets a marker
    // on the history scrubber, and dropping a produce response makes the
    // producer retry.
    name: 'network_faults_slow_a_broker_and_drop_a_produce_response',
    fn: async (t) => {
      const page = await t.newPage();
      await setLabelled(page, 'Scenario', 'acks-all-survives-crash');
      await page.getByRole('button', { name: 'Slow broker 1', exact: true }).click();
      const restore = page.getByRole('button', { name: 'Restore broker 1', exact: true });
      await restore.waitFor({ state: 'visible', timeout: 3000 });
      assert((await restore.getAttribute('aria-pressed')) === 'true', 'the slowed broker\'s button is not pressed');
      await page.getByRole('button', { name: 'Drop the next produce response', exact: true }).click();
      for (let i = 0; i < 40; i++) await stepButton(page).click();
      const marks = await page.locator('.scrub-mark').evaluateAll((ms) => ms.map((m) => m.getAttribute('title')));
      assert(marks.some((m) => /slow broker 1 by 200 ms/.test(m)), `no scrubber marker for the slow broker: ${marks.join(' | ')}`);
      assert(marks.some((m) => /drop next produce response/.test(m)), `no scrubber marker for the dropped response: ${marks.join(' | ')}`);
      await page.getByRole('tab', { name: 'Event log' }).click();
      const events = await page.locator('.event-list').innerText();
      assert(/Produce response lost/.test(events), `the event log does not show the produce response lost:\n${events.slice(0, 600)}`);
      await restore.click();
      await page.getByRole('button', { name: 'Slow broker 1', exact: true }).waitFor({ state: 'visible', timeout: 3000 });
    },
  },

  {
    // The group protocol is drawn as messages: C's JoinGroup reaches the
    // coordinator, SyncGroup follows, and the assignment travels back; the
    // group panel names its coordinator and the assignor it chose.
    name: 'rebalance_protocol_messages_travel_between_consumers_and_coordinator',
    fn: async (t) => {
      const page = await t.newPage();
      await waitForApp(page);
      await setLabelled(page, 'Scenario', 'c-joins-eager-range');
      const stage = page.locator('svg.stage').first();
      const seen = [];
      for (const label of ['JoinGroup', 'SyncGroup', 'assignment ↩']) {
        let found = false;
        for (let i = 0; i < 300 && !found; i++) {
          const pills = await stage.locator('g.proto-token text').allTextContents();
          if (pills.includes(label)) found = true;
          else await stepButton(page).click();
        }
        assert(found, `no "${label}" message drawn on the stage (saw: ${seen.join(', ')})`);
        seen.push(`${label} at step ${await stepCount(page)}`);
        if (label === 'assignment ↩') await t.screenshot(page, 'assignment-arrives');
      }
      const groupText = await stage.locator('g.group').first().textContent();
      assert(groupText.includes('assignor: range'), `the group panel does not name its assignor: "${groupText}"`);
      assert(/coordinator: broker \d/.test(groupText), `the group panel does not name its coordinator: "${groupText}"`);
    },
  },

  {
    // Two groups reading two topics (end-to-end-semantics, played to its end):
    // each group's summary line counts the rows of its own column, and a group
    // has no verdict ("–") for a topic it does not read. The summary counted
    // only the first group ("4 messages: … once 1 · dup 0 · lost 1", adding
    // up to 2) while the rows showed a duplicate, and called the other topic's
    // records "in flight".
    name: 'the_ledger_summarises_each_group_over_the_topics_it_reads',
    fn: async (t) => {
      const { openPage } = await import('./app.mjs');
      const page = await openPage(t, '?preset=end-to-end-semantics&step=67');
      await page.getByRole('tab', { name: 'Ledger', exact: true }).click();
      const table = page.locator('.tables table.data');
      await table.waitFor({ state: 'visible', timeout: 5000 });
      const { heads, rows, lines } = await page.evaluate(() => {
        const t = document.querySelector('.tables table.data');
        const heads = [...t.querySelectorAll('thead th')].map((th) => th.textContent.trim());
        const rows = [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent.trim()));
        const lines = [...document.querySelectorAll('.ledger-summary')].map((d) => ({ label: d.getAttribute('aria-label'), text: d.textContent.replace(/\s+/g, ' ').trim() }));
        return { heads, rows, lines };
      });
      const groupCols = heads.map((h, i) => [h, i]).filter(([h]) => / \(times processed\)$/.test(h));
      assert(groupCols.length === 2, `two group columns: ${heads.join(' | ')}`);
      assert(lines.length === 2, `one summary line per group: ${JSON.stringify(lines)}`);
      const verdicts = [['processed once', 'once'], ['duplicated', 'dup'], ['lost', 'lost'], ['in flight', 'flight']];
      for (const [k, [head, col]] of groupCols.entries()) {
        const group = head.replace(/ \(times processed\)$/, '');
        const line = lines[k];
        assert(line.label === `Ledger summary for ${group}`, `line ${k + 1} is for ${line.label}, not ${group}`);
        const cells = rows.map((r) => r[col]);
        const judged = cells.filter((c) => c !== '–');
        assert(judged.length > 0 && judged.length < cells.length, `${group}: ${judged.length} of ${cells.length} rows judged (it reads one of the two topics)`);
        const total = parseInt(line.text.match(/(\d+) messages/)[1], 10);
        assert(total === judged.length, `${group}: the summary says ${total} messages, its column judges ${judged.length}: "${line.text}"`);
        for (const [label] of verdicts) {
          const said = parseInt(line.text.match(new RegExp(`${label} (\\d+)`))[1], 10);
          const seen = judged.filter((c) => c.endsWith(label)).length;
          assert(said === seen, `${group}: the summary says ${label} ${said}, its column shows ${seen}: "${line.text}" / ${JSON.stringify(judged)}`);
        }
      }
      await t.screenshot(page, 'ledger-two-groups');
    },
  },

  {
    name: 'semantics_side_by_side_shows_lost_duplicated_and_exactly_once',
    fn: async (t) => {
      const page = await t.newPage();
      await setLabelled(page, 'Scenario', 'semantics-side-by-side');
      const lanes = page.locator('.lane-card');
      await waitFor(async () => (await lanes.count()) === 3, { timeout: 5000, describe: () => 'three lanes' });
      await setLabelled(page, 'Speed', '5');
      await playButton(page).click();
      // The preset crashes the consumer after its third record in every lane;
      // playing stops by itself once every lane has finished.
      await waitFor(async () => (await page.getByRole('button', { name: 'Play', exact: true }).count()) === 1,
        { timeout: 60_000, describe: () => 'playing to stop at the end of every lane' });
      const ledger = async (i) => {
        // "3 once", "0 dup", "3 lost", "0 in flight"
        const dd = lanes.nth(i).locator('.lane-ledger > span');
        const [once, dup, lost, flight] = await Promise.all([0, 1, 2, 3].map(async (k) => parseInt(await dd.nth(k).innerText(), 10)));
        return { title: await lanes.nth(i).locator('.lane-name').innerText(), once, dup, lost, flight };
      };
      const [amo, alo, eos] = [await ledger(0), await ledger(1), await ledger(2)];
      assert(/at-most-once/.test(amo.title) && /at-least-once/.test(alo.title) && /exactly-once/.test(eos.title),
        `lane order: ${amo.title} | ${alo.title} | ${eos.title}`);
      assert(amo.lost >= 1 && amo.dup === 0, `at-most-once loses and never duplicates: ${JSON.stringify(amo)}`);
      assert(alo.dup >= 1 && alo.lost === 0, `at-least-once duplicates and never loses: ${JSON.stringify(alo)}`);
      assert(eos.dup === 0 && eos.lost === 0 && eos.once >= 1, `exactly-once neither loses nor duplicates: ${JSON.stringify(eos)}`);
      for (const l of [amo, alo, eos]) assert(l.flight === 0, `nothing left in flight in ${l.title}`);
      // The course text's Semantic Summary, live, agrees with the lanes.
      const summary = page.getByRole('table', { name: 'Side by side summary' });
      const row = async (name) => (await summary.getByRole('row', { name: new RegExp(`^${name}`) }).locator('td').allInnerTexts());
      const loss = await row('Data loss');
      const dups = await row('Duplicates');
      // The figure, and under it (a block of its own) what the course text claims.
      const want = (n, claim) => `${n}\ncourse: ${claim}`;
      assert(JSON.stringify(loss) === JSON.stringify([want(amo.lost, 'Possible'), want(0, 'No'), want(0, 'No')]),
        `the summary's data-loss row: ${JSON.stringify(loss)}`);
      assert(JSON.stringify(dups) === JSON.stringify([want(0, 'No'), want(alo.dup, 'Possible'), want(0, 'No')]),
        `the summary's duplicates row: ${JSON.stringify(dups)}`);
      await t.screenshot(page, 'semantics-side-by-side');
    },
  },

  {
    name: 'serves_from_a_sub_path',
    fn: async (t) => {
      if (!t.server) throw new SkipTest('needs run.mjs to serve the directory itself (not with --url)');
      const origin = new URL(t.server.url).origin;
      const requests = [];
      let wasmType = null;
      const page = await t.newPage({ url: null });
      page.on('request', (req) => requests.push(req.url()));
      page.on('response', (res) => {
        if (new URL(res.url()).pathname.endsWith('.wasm')) wasmType = res.headers()['content-type'];
      });
      await page.goto(new URL(SUBPATH, origin).href, { waitUntil: 'load' });
      await waitForApp(page);
      await stepButton(page).click();
      await expectStage(page, 1);
      assert(wasmType === 'application/wasm', `the .wasm was served as ${wasmType}`);
      const outside = requests.filter((u) => u.startsWith(origin) && !new URL(u).pathname.startsWith(SUBPATH));
      assert(outside.length === 0, `requests outside ${SUBPATH} (absolute asset URLs?): ${outside.join(', ')}`);
    },
  },
  // By feature (tests/e2e/README.md lists what each test checks).
  ...linksTests,
  ...timeTravelTests,
  ...embedTests,
  ...lessonsTests,
  ...performanceTests,
  ...accessibilityTests,
  ...layoutTests,
  ...stageTests,
  ...sideBySideTests,
  // Live mode: a real `kafkascope live` process and kafka-python clients.
  ...liveTests,
  // The picture at four viewports.
  ...visualTests,
];

// ---------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { dist: path.resolve(HERE, '..', '..', 'dist'), url: null, filter: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dist') opts.dist = path.resolve(argv[++i]);
    else if (a === '--url') opts.url = argv[++i];
    else if (a === '-h' || a === '--help') {
      console.log('usage: run.mjs [--dist DIR | --url URL] [name-filter...]');
      console.log(`tests: ${tests.map((x) => x.name).join(', ')}`);
      process.exit(0);
    } else if (a.startsWith('-')) throw new AssertionError(`unknown option ${a}`);
    else opts.filter.push(a);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
await rm(OUT_DIR, { recursive: true, force: true });
let server = null;
let baseUrl = opts.url;
if (!baseUrl) {
  try {
    server = await startServer({ dir: opts.dist, port: 0, bases: [SUBPATH] });
  } catch (err) {
    writeSync(2, `${err.message}\n(build the app first: trunk build --release, or pass --dist DIR / --url URL)\n`);
    process.exit(2);
  }
  baseUrl = server.url;
  // The live tests serve DIST/live from a `kafkascope live` process.
  server.dir = opts.dist;
  console.log(`serving ${opts.dist} at ${server.urls.join(' and ')}`);
} else {
  console.log(`testing ${baseUrl}`);
}
let failed = 1;
try {
  failed = await runTests(tests, { baseUrl, filter: opts.filter.length ? opts.filter : null, server });
} finally {
  if (server) await server.close();
}
process.exit(failed ? 1 : 0);
