// Side by side: every announcement names its lane, and a lane card draws its lane
// large with the narration telling that lane's story. Registered by run.mjs; see
// tests/e2e/README.md ("Side by side", side-by-side.mjs).
import { assert, assertSeen, problems, waitFor } from './lib.mjs';
import { DESKTOP, counter, narrationPanel, openPage, stepForward } from './app.mjs';

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

  {
    // The audit found no ledger or plot to show side by side: the tables are
    // there, seen, and are the lane drawn large's (its card's counts).
    name: 'side_by_side_the_ledger_is_the_selected_lane_s',
    timeout: 120_000,
    fn: async (t) => {
      const page = await openPage(t, '?preset=semantics-side-by-side&step=60');
      const p = problems();
      const tab = page.getByRole('tab', { name: 'Ledger', exact: true });
      await assertSeen(tab, 'the Ledger tab side by side');
      await tab.click();
      const panel = page.locator('.tables [role=tabpanel]').first();
      await waitFor(async () => (await panel.count()) > 0 && (await panel.isVisible()), { describe: () => 'the Ledger opens' });
      await assertSeen(panel, 'the Ledger side by side');
      // Under the open table the picture still fits its box (it was 250 px
      // tall, stacked and cut mid-broker, the group out of sight).
      p.check((await page.locator('svg.stage.overflow').count()) === 0, 'the stage fits its box with the Ledger open');
      await assertSeen(page.locator('svg.stage .group-id').first(), "the consumer group's name under the open Ledger");
      const cards = page.locator('.lane-card');
      const n = await cards.count();
      const seen = new Set();
      for (let i = 0; i < n; i++) {
        await cards.nth(i).click();
        await waitFor(async () => (await cards.nth(i).getAttribute('aria-selected')) === 'true', { describe: () => `lane ${i + 1} selected` });
        const card = (await cards.nth(i).innerText()).replace(/\s+/g, ' ');
        const want = /(\d+) once (\d+) dup (\d+) lost/.exec(card);
        const ledger = (await panel.innerText()).replace(/\s+/g, ' ');
        const got = /processed once (\d+) .*?duplicated (\d+) .*?lost (\d+)/.exec(ledger);
        p.check(want && got, `lane ${i + 1}: counts read from its card ("${card.slice(0, 80)}") and the Ledger ("${ledger.slice(0, 120)}")`);
        if (want && got) {
          const [a, b] = [want.slice(1).join('/'), got.slice(1).join('/')];
          seen.add(b);
          p.check(a === b, `lane ${i + 1}: its card says once/dup/lost ${a}, the Ledger ${b}`);
        }
      }
      p.check(seen.size > 1, `the Ledger follows the lane shown (it read ${[...seen].join(', ')})`);
      p.done('the ledger side by side');
    },
  },

  {
    // Presenting at 1280x800 the summary table ran below the side column's
    // foot (the column scrolled). Now the column holds the narration whole,
    // and each lane card, seen, carries the course's claim beside its counts.
    name: 'presenting_side_by_side_at_1280_the_cards_carry_the_summary',
    timeout: 120_000,
    fn: async (t) => {
      const page = await openPage(t, '?preset=semantics-side-by-side&step=60', { viewport: DESKTOP });
      const p = problems();
      await page.keyboard.press('p');
      await waitFor(async () => (await page.locator('.app.presenting').count()) > 0, { describe: () => 'presentation mode' });
      const side = await page.locator('aside.side').evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight }));
      p.check(side.scroll <= side.client + 1, `the side column holds its content (scrollHeight ${side.scroll}, clientHeight ${side.client})`);
      const claims = { 'at-most-once': 'loss Possible, duplicates No', 'at-least-once': 'loss No, duplicates Possible', 'exactly-once': 'loss No, duplicates No' };
      const cards = page.locator('.lane-card');
      for (let i = 0; i < (await cards.count()); i++) {
        const name = ((await cards.nth(i).locator('.lane-name').innerText()) || '').trim();
        const claim = cards.nth(i).locator('.lane-claim');
        await assertSeen(claim, `${name}'s card's claim`);
        const text = (await claim.innerText()).trim();
        p.check(claims[name] && text.includes(claims[name]), `${name}: its card says "${text}", the course's table "${claims[name]}"`);
        const card = (await cards.nth(i).innerText()).replace(/\s+/g, ' ');
        p.check(/\d+ once \d+ dup \d+ lost/.test(card) && /in flight/.test(card), `${name}: its card has the table's counts ("${card}")`);
      }
      await page.keyboard.press('Escape');
      await waitFor(async () => (await page.locator('.app.presenting').count()) === 0, { describe: () => 'out of presentation mode' });
      await assertSeen(page.getByRole('table', { name: 'Side by side summary' }), 'the summary table, not presenting');
      p.check((await page.locator('.lane-claim:visible').count()) === 0, 'not presenting, the claims are in the table only');
      p.done('presenting side by side at 1280');
    },
  },

  {
    // Issue 14: C joins under eager, cooperative and Kafka 4's consumer
    // protocol. At 1280x800 the three lanes are on screen and readable, and
    // by the end each lane's card says how long its partitions went without
    // an owner, the consumer-protocol lane's group box shows its epochs.
    name: 'three_rebalance_protocols_side_by_side_are_on_screen_and_readable',
    timeout: 120_000,
    fn: async (t) => {
      // The consumer protocol is on the full page (full/, its own bundle).
      const page = await openPage(t, 'full/?preset=c-joins-three-protocols', { viewport: DESKTOP });
      const cards = page.locator('.lane-card');
      await waitFor(async () => (await cards.count()) === 3, { describe: () => 'three lane cards' });
      const p = problems();
      const names = [];
      for (let i = 0; i < 3; i++) {
        const name = cards.nth(i).locator('.lane-name');
        await assertSeen(name, `lane ${i + 1}'s name`);
        const px = await name.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
        p.check(px >= 12, `lane ${i + 1}'s name is ${px} px`);
        names.push((await name.innerText()).split('\n')[0].trim());
      }
      assert(/eager/.test(names[0]) && /cooperative/.test(names[1]) && /consumer protocol/.test(names[2]), `lanes: ${names.join(' / ')}`);
      // Draw the consumer-protocol lane large and play through C's join.
      await cards.nth(2).click();
      // C's last partition arrives at step 149 of the consumer-protocol lane.
      for (let i = 0; i < 175; i++) await page.keyboard.press('ArrowRight');
      await waitFor(async () => (await counter(page)).step >= 170, { timeout: 30_000, describe: () => 'step 170' });
      const unowned = await page.locator('.lane-card .unowned').allInnerTexts();
      p.check(unowned.length >= 2, `the rebalanced lanes' cards show partition-seconds without an owner: ${JSON.stringify(unowned)}`);
      const box = page.locator('.stage-wrap svg.stage g.group').first();
      const boxText = (await box.textContent()) || '';
      p.check(/epoch \d+ · target \d+/.test(boxText), `the consumer-protocol group box shows its epochs: "${boxText.slice(0, 120)}"`);
      for (let i = 0; i < 3; i++) await assertSeen(cards.nth(i), `lane ${i + 1}'s card`);
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
      p.check(scroll <= 0, `${scroll} px of horizontal scroll`);
      await t.screenshot(page, 'three-protocols-1280x800');
      p.done('the three-protocol comparison');
    },
  },

  {
    // The same three lanes in an instructor's 800×500 iframe: the cards are
    // short (three lines each, not five: they took 110 px of a 280 px
    // stage), so the stage draws the whole group unscrolled, and each
    // member's state is whole ("B · unr…" when four chip slots shared the
    // row among three members).
    name: 'three_lanes_in_an_800x500_embed_keep_short_cards_and_each_member_state_whole',
    timeout: 90_000,
    fn: async (t) => {
      const page = await openPage(t, 'full/?embed&preset=c-joins-three-protocols&step=122', { viewport: { width: 800, height: 500 } });
      const cards = page.locator('.lane-card');
      await waitFor(async () => (await cards.count()) === 3, { describe: () => 'three lane cards' });
      // The consumer-protocol lane: at step 122 B is unrevoked, C unreleased.
      await cards.nth(2).click();
      const p = problems();
      for (let i = 0; i < 3; i++) {
        await assertSeen(cards.nth(i), `lane ${i + 1}'s card`);
        const h = await cards.nth(i).evaluate((el) => el.getBoundingClientRect().height);
        p.check(h <= 72, `lane ${i + 1}'s card is ${Math.round(h)} px tall (at most 72)`);
        const unowned = cards.nth(i).locator('.unowned');
        await assertSeen(unowned, `lane ${i + 1}'s partition-seconds`);
      }
      const wrap = page.locator('.stage-wrap').first();
      const over = await wrap.evaluate((el) => el.scrollHeight - el.clientHeight);
      p.check(over <= 1, `the stage scrolls by ${over} px`);
      const consumers = page.locator('.stage-wrap svg.stage g.consumer');
      const n = await consumers.count();
      p.check(n === 3, `three members drawn, found ${n}`);
      const states = [];
      for (let i = 0; i < n; i++) {
        await assertSeen(consumers.nth(i), `member ${i + 1}`);
        const st = (await consumers.nth(i).locator('tspan.status').textContent()) || '';
        states.push(st);
        p.check(!st.includes('…'), `member ${i + 1}'s state is cut: "${st}"`);
      }
      p.check(states.some((s) => /unrevoked/.test(s)), `a member is unrevoked at step 122: ${JSON.stringify(states)}`);
      await t.screenshot(page, 'three-protocols-embed-800x500');
      p.done('the three-protocol comparison in an 800x500 embed');
    },
  },

  {
    // An instructor's 800×500 iframe leaves the narration a narrow column:
    // it still holds a Kafka error name on one line (it used to break
    // "REBALANCE_IN_PROGRES" / "S"), and no word is cut across two lines.
    name: 'a_narrow_embedded_narration_never_cuts_a_word_across_lines',
    timeout: 60_000,
    fn: async (t) => {
      // Step 111: the eager lane's heartbeat answered REBALANCE_IN_PROGRESS.
      const page = await openPage(t, 'full/?embed&preset=c-joins-three-protocols&step=111', { viewport: { width: 800, height: 500 } });
      const body = narrationPanel(page).locator('.narration-body').first();
      await waitFor(async () => /REBALANCE_IN_PROGRESS/.test((await body.textContent()) || ''), {
        timeout: 20_000,
        describe: async () => `the narration at step 111 names REBALANCE_IN_PROGRESS: "${await body.textContent()}"`,
      });
      await assertSeen(body, 'the narration');
      // Every word (letters and digits) of the narration sits on one line.
      const broken = await body.evaluate((el) => {
        const out = [];
        const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
          for (const m of n.data.matchAll(/[A-Za-z0-9]+/g)) {
            const r = document.createRange();
            r.setStart(n, m.index);
            r.setEnd(n, m.index + m[0].length);
            const tops = new Set([...r.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top)));
            if (tops.size > 1) out.push(m[0]);
          }
        }
        return out;
      });
      assert(broken.length === 0, `words broken across lines in the narration: ${broken.join(', ')}`);
      await t.screenshot(page, 'narrow-narration-error-name-800x500');
    },
  },

  {
    // Between C joining and the rebalance a classic group moves records for
    // seconds (A and B hear of it only at their next heartbeat): a hundred
    // steps of routine. "Next change" (and J) skips them to the news.
    name: 'next_change_skips_the_routine_stages_to_the_rebalance',
    timeout: 90_000,
    fn: async (t) => {
      const page = await openPage(t, '?preset=c-joins-eager-range', { viewport: DESKTOP });
      const next = page.getByRole('button', { name: 'Next change', exact: true });
      await assertSeen(next, 'the Next change button');
      const seen = [];
      for (let k = 0; k < 4; k++) {
        const before = (await counter(page)).step;
        if (k % 2) {
          await page.locator('body').press('j');
        } else {
          await next.click();
        }
        await waitFor(async () => (await counter(page)).step > before, { timeout: 10_000, describe: () => `a skip from step ${before}` });
        const title = (await narrationPanel(page).locator('.narration-title').innerText()).trim();
        seen.push(`${(await counter(page)).step}: ${title}`);
        assert(!/Stage \d of 9/.test(title), `Next change stopped on a record's routine stage: ${seen.join(' | ')}`);
      }
      // The skips crossed the records flowing between C's join and the
      // rebalance, and every skipped step is still in the history.
      const { step, last } = await counter(page);
      assert(step > 60 && last === step, `after four skips: ${seen.join(' | ')} (step ${step} of ${last})`);
      assert(seen.some((s) => /heartbeat|rebalanc|revok/i.test(s)), `no skip reached the rebalance: ${seen.join(' | ')}`);
    },
  },

  {
    // The course page's bundle has no consumer protocol (its first load is
    // budgeted): a preset, a lesson or a link that uses it is handed to the
    // full page beside it, which runs it.
    name: 'the_course_page_hands_the_consumer_protocol_to_the_full_page',
    timeout: 60_000,
    fn: async (t) => {
      for (const query of ['?preset=c-joins-consumer-protocol', '?lesson=rebalance-protocols']) {
        const page = await t.newPage({ viewport: DESKTOP, url: new URL(query, t.baseUrl).href });
        await page.waitForURL(/\/full\//, { timeout: 20_000 });
        await page.locator('svg.stage').first().waitFor({ state: 'visible', timeout: 20_000 });
        // (The full page then writes its run into the address as a link.)
        const url = page.url();
        assert(url.includes('/full/'), `${query} arrived as ${url}`);
        // The page says the course page sent the user here, and why.
        const notice = page.locator('.banner.handed');
        await assertSeen(notice, 'the notice that the course page handed the run over');
        assert(/Kafka 4/.test(await notice.textContent()), `the hand-off notice does not say why: ${await notice.textContent()}`);
        // Dismissed, the notice goes.
        await notice.getByRole('button', { name: 'Dismiss' }).click();
        await waitFor(async () => (await notice.count()) === 0, { describe: () => 'the hand-off notice to close' });
        // The consumer protocol runs there: the preset's group box shows its
        // epochs; the lesson compares it in a lane of its own.
        await page.waitForFunction(
          () =>
            /epoch \d+ · target \d+/.test(document.querySelector('svg.stage g.group')?.textContent || '') ||
            [...document.querySelectorAll('.lane-card .lane-name')].some((n) => /consumer protocol/.test(n.textContent)),
          null,
          { timeout: 20_000 },
        );
        await page.close();
      }
      // An embedded page stays embedded on the full page (no full chrome
      // inside an instructor's course).
      const page = await t.newPage({ viewport: { width: 800, height: 500 }, url: new URL('?embed&preset=c-joins-consumer-protocol', t.baseUrl).href });
      await page.waitForURL(/\/full\//, { timeout: 20_000 });
      await page.locator('svg.stage').first().waitFor({ state: 'visible', timeout: 20_000 });
      assert(await page.locator('.app.embed').count() === 1, `the handed-over page lost embed mode: ${page.url()}`);
      assert(await page.getByRole('button', { name: 'Settings', exact: true }).count() === 0, 'the embedded full page shows Settings');
      // Inside an instructor's iframe the page says nothing of the hand-off.
      assert(await page.locator('.banner.handed').count() === 0, 'the embedded full page shows the hand-off notice');
      await page.close();
    },
  },
];
