// End-to-end tests for issue 10's motion and presentation: what moves on the
// stage explains what Kafka does, side-by-side lanes follow the lesson, and
// presentation mode is one key away. The visual contract (text sizes,
// overlaps, viewports) is tests/e2e/visual.mjs.
//
// Each test steps a preset by hand (→) and reads what the stage draws at each
// step, so it asserts what a person sees happen, not internal state.
import { assert, problems, waitFor, waitForApp } from './lib.mjs';
import { counter, narrationText } from './issue6.mjs';

const DESKTOP = { width: 1280, height: 800 };
const pageUrl = (t, query = '') => new URL(query || './', t.baseUrl).href;

async function openPage(t, query, viewport = DESKTOP) {
  const page = await t.newPage({ viewport, url: pageUrl(t, query) });
  await waitForApp(page);
  return page;
}

/** Presses → until `done(step, seen)` or `max` steps; calls `look` after each. */
async function stepThrough(page, max, look) {
  for (let i = 0; i < max; i++) {
    const before = (await counter(page)).step;
    await page.keyboard.press('ArrowRight');
    await waitFor(async () => (await counter(page)).step !== before, {
      timeout: 5000,
      describe: () => `step ${before} to move on`,
    }).catch(() => {});
    const now = (await counter(page)).step;
    if (now === before) return; // the run is over
    if ((await look(now)) === true) return;
  }
}

/** The partitions moving in the large stage's rebalance chips at this step. */
const partChips = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('.stage-wrap svg.stage .part-token')].map((g) => ({
      revoked: g.classList.contains('revoked'),
      text: g.textContent.trim(),
    })),
  );

export const issue10Tests = [
  {
    name: 'i10_rebalance_moves_partitions_eager_all_cooperative_only_the_moving_one',
    timeout: 240_000,
    fn: async (t) => {
      const p = problems();
      const revokedBy = {};
      for (const id of ['c-joins-eager-range', 'c-joins-cooperative-sticky']) {
        const page = await openPage(t, `?preset=${id}`);
        const revoked = new Set();
        const added = new Set();
        await stepThrough(page, 400, async () => {
          for (const c of await partChips(page)) (c.revoked ? revoked : added).add(c.text);
        });
        revokedBy[id] = [...revoked];
        p.check(added.size > 0, `${id}: no partition was drawn arriving at a consumer (+P…)`);
        await page.close();
      }
      // Eager: every member gives up all its partitions (four of them);
      // cooperative: only the partition that changes owner leaves.
      p.check(
        revokedBy['c-joins-eager-range'].length >= 4,
        `eager: partitions drawn leaving: ${revokedBy['c-joins-eager-range'].join(' ')} (want all four)`,
      );
      p.check(
        revokedBy['c-joins-cooperative-sticky'].length === 1,
        `cooperative: partitions drawn leaving: ${revokedBy['c-joins-cooperative-sticky'].join(' ')} (want one)`,
      );
      p.done('what the stage shows');
    },
  },
  {
    name: 'i10_leader_election_moves_the_badge_and_travellers_draw_their_path',
    timeout: 120_000,
    fn: async (t) => {
      const page = await openPage(t, '?preset=acks1-failover-loss');
      const p = problems();
      let badgeAt = null;
      let trailsOk = true;
      let travellers = 0;
      await stepThrough(page, 40, async (step) => {
        const seen = await page.evaluate(() => {
          const svg = document.querySelector('.stage-wrap svg.stage');
          // Records, acks, fetches, commits, errors and the leader's badge
          // draw the path they take (group-protocol pills do not).
          const carried = [...svg.querySelectorAll('.movers .travel')].filter((g) =>
            g.querySelector('.token, .ack, .fetch-token, .commit-token, .error-token, .leader-badge-move'),
          );
          const travel = carried.length;
          const trails = carried.filter((g) => g.previousElementSibling?.classList.contains('trail')).length;
          return { travel, trails, badge: svg.querySelectorAll('.leader-badge-move').length };
        });
        travellers += seen.travel;
        if (seen.trails !== seen.travel) trailsOk = false;
        if (seen.badge > 0 && badgeAt === null) badgeAt = step;
        return badgeAt !== null;
      });
      p.check(badgeAt !== null, 'no leadership badge moved during the failover');
      p.check(travellers > 0, 'nothing travelled on the stage');
      p.check(trailsOk, 'a traveller was drawn without the path it takes');
      if (badgeAt !== null) {
        const text = await narrationText(page);
        p.check(/leader/i.test(text), `at the election (step ${badgeAt}) the narration says: ${text.slice(0, 160)}`);
      }
      await t.screenshot(page, 'election');
      p.done('what the stage shows');
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
    name: 'i10_presentation_mode_with_p_and_out_with_esc',
    timeout: 60_000,
    fn: async (t) => {
      const page = await openPage(t, '', { width: 1920, height: 1080 });
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
      p.check(during.tables === 0, 'the tables strip stays in presentation mode');
      p.check((await stageWidth()) > 0, 'the stage is drawn');
      await t.screenshot(page, 'presenting');
      await page.keyboard.press('Escape');
      await waitFor(
        async () => page.evaluate(() => !document.querySelector('.app').classList.contains('presenting')),
        { describe: () => 'Esc leaves presentation mode' },
      );
      p.check(before.tables === (await page.locator('.tables').count()), 'the tables come back after presenting');
      p.done('what the stage shows');
    },
  },
];

issue10Tests.push({
  name: 'i10_on_a_phone_the_stage_follows_the_record_in_focus',
  timeout: 60_000,
  fn: async (t) => {
    const page = await openPage(t, '', { width: 375, height: 667 });
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
});

issue10Tests.push({
  name: 'i10_embedded_frames_never_scroll_and_an_answer_shows_its_verdict_first',
  timeout: 120_000,
  fn: async (t) => {
    const p = problems();
    for (const q of ['?embed&lesson=semantics-summary', '?embed&lesson=rebalancing', '?embed&preset=acks1-failover-loss']) {
      const page = await openPage(t, q, { width: 800, height: 500 });
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
    const page = await openPage(t, '?embed&lesson=nine-stages', { width: 800, height: 500 });
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
});

issue10Tests.push({
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
});

issue10Tests.push({
  name: 'i10_every_setting_row_fits_its_panel_so_no_kafka_name_spills_onto_the_stage',
  timeout: 60_000,
  fn: async (t) => {
    const p = problems();
    for (const viewport of [DESKTOP, { width: 375, height: 667 }]) {
      const page = await openPage(t, '?preset=preferred-leader-election', viewport);
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
});

issue10Tests.push({
  name: 'i10_a_lesson_stop_keeps_its_background_behind_a_visible_more_button',
  timeout: 60_000,
  fn: async (t) => {
    const p = problems();
    for (const viewport of [DESKTOP, { width: 800, height: 500 }]) {
      const page = await openPage(t, '?lesson=consumer-offsets', viewport);
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
});
