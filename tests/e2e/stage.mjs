// What the stage draws as a run plays: a rebalance moves partitions (all of them
// under eager, only the moving one under cooperative), a leader election moves
// the badge and every traveller draws its path, and positions of two topics
// carry their topic's name. Each test steps a preset by hand (→) and reads what
// the stage draws at each step, so it asserts what a person sees happen, not
// internal state. Registered by run.mjs; see tests/e2e/README.md ("What the
// stage draws", stage.mjs).
import { problems, waitFor } from './lib.mjs';
import { DESKTOP, counter, narrationText, openPage, shot, stepForward } from './app.mjs';

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

/** The tests of issue 9 (named i9_…) keep its tag: `node tests/e2e/run.mjs issue9` runs them. */
const ISSUE9 = ['issue9'];

// ---------------------------------------------------------------------------

export const stageTests = [
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
    name: 'i9_two_topic_names',
    tags: ISSUE9,
    timeout: 90_000,
    fn: async (t) => {
      const page = await openPage(t, '?preset=two-topic-transaction', { viewport: DESKTOP });
      const p = problems();
      const topics = new Set();
      let positions = 0;
      let idle = 0;
      for (let k = 1; k <= 60 && idle < 3; k++) {
        idle = (await stepForward(page, 1)) ? 0 : idle + 1;
        const boxes = await page.locator('svg.stage g.consumer').evaluateAll((gs) =>
          gs.map((g) => ({
            label: g.getAttribute('aria-label') || '',
            texts: [...g.querySelectorAll('text')].map((x) => x.textContent || ''),
          })),
        );
        for (const row of await page.locator('svg.stage [aria-label*=" on broker "]').evaluateAll((rs) => rs.map((r) => r.getAttribute('aria-label')))) {
          const m = row.match(/^(.+)-\d+ on broker/);
          if (m && !m[1].startsWith('__')) topics.add(m[1]);
        }
        for (const box of boxes) {
          const tokens = box.texts.flatMap((x) => x.match(/[^\s,]+@\d+/g) || []);
          positions += tokens.length;
          const dup = tokens.filter((x, i) => tokens.indexOf(x) !== i);
          if (dup.length) p.add(`step ${k}: ${box.label.split(',')[0]} shows ${[...new Set(dup)].join(', ')} twice: ${tokens.join(' ')}`);
          if (topics.size >= 2) {
            const bare = tokens.filter((x) => /^P\d+@/.test(x) || ![...topics].some((tp) => x.startsWith(`${tp}-`)));
            if (bare.length) p.add(`step ${k}: ${box.label.split(',')[0]} names positions without their topic (${[...topics].join(', ')}): ${bare.join(' ')}`);
          }
        }
      }
      await shot(t, page, 'two-topic-transaction');
      p.check(topics.size >= 2, `the stage shows ${topics.size} topic(s) (${[...topics].join(', ')}), the preset has two`);
      p.check(positions > 0, 'no consumer ever showed a position (name@offset)');
      if (p.list.length > 8) p.list.splice(8, p.list.length - 8, `… (${p.list.length - 8} more)`);
      p.done('positions of two topics');
    },
  },
  {
    // The audit could not tell the two payments producers apart
    // ("payments-app" / "payments-ap…") and read "ack ≈5 ms" on the acks=0
    // producer, which never hears back. Client ids are cut in the middle and
    // an acks=0 producer's time says "sent".
    name: 'producer_boxes_tell_their_clients_apart_and_acks0_never_says_ack',
    timeout: 60_000,
    fn: async (t) => {
      const p = problems();
      const boxTexts = (page) => page.locator('svg.stage g.producer').evaluateAll((gs) =>
        gs.map((g) => [...g.querySelectorAll('text')].map((x) => x.textContent || '')));
      const page = await openPage(t, '?preset=end-to-end-semantics&step=40', { viewport: DESKTOP });
      await waitFor(async () => (await boxTexts(page)).length === 3, { describe: () => 'three producer boxes' });
      // With several producers each box's title is its client id.
      const ids = (await boxTexts(page)).map((texts) => texts[0]);
      p.check(new Set(ids).size === 3, `three different client ids drawn: ${JSON.stringify(ids)}`);
      p.check(ids.some((id) => /app-2$/.test(id)), `the idempotent producer's id keeps its end: ${JSON.stringify(ids)}`);
      // An 800x500 embed's short boxes have no line for the client.id: it
      // is their title, whole or cut in the middle, inside the box.
      const embed = await openPage(t, '?embed&preset=end-to-end-semantics&step=15', { viewport: { width: 800, height: 500 } });
      await waitFor(async () => (await boxTexts(embed)).length === 3, { describe: () => 'three producer boxes in the embed' });
      const titles = await embed.locator('svg.stage g.producer').evaluateAll((gs) => gs.map((g) => {
        const box = g.querySelector('rect').getBoundingClientRect();
        const t = g.querySelector('text');
        const r = t.getBoundingClientRect();
        return { text: t.textContent, inside: r.left >= box.left && r.right <= box.right };
      }));
      p.check(titles[0].text === 'orders-app' && new Set(titles.map((x) => x.text)).size === 3 && /app-2$/.test(titles[2].text),
        `the embed's producer titles are their client ids: ${JSON.stringify(titles)}`);
      p.check(titles.every((x) => x.inside), `each title inside its box: ${JSON.stringify(titles)}`);
      const acks = await openPage(t, '?preset=acks-latency&step=40', { viewport: DESKTOP });
      await waitFor(async () => (await boxTexts(acks)).some((texts) => texts.some((x) => /≈/.test(x))), { describe: () => 'a producer with a time' });
      for (const texts of await boxTexts(acks)) {
        const zero = texts.includes('acks=0');
        const time = texts.find((x) => /≈/.test(x));
        if (time) p.check(zero ? /^sent ≈/.test(time) : /^ack ≈/.test(time), `${texts.join(' | ')}`);
      }
      p.done('producer boxes');
    },
  },
  {
    name: 'a_caret_stands_at_its_consumer_s_offset_even_when_the_row_does_not_draw_it',
    timeout: 90_000,
    fn: async (t) => {
      // zombie-lso: group A (read_committed) waits at offset 0 behind a
      // hanging transaction while group B reads on; once the row shows only
      // its newest offsets, A's caret stood at the LEO beside B's ("▲B" on
      // "A") while A's card said P0@0. An offset older than the row's first
      // cell is drawn at the row's left edge; one past its cells at their end.
      const page = await openPage(t, '?preset=zombie-lso');
      const p = problems();
      let checked = 0;
      let offRow = 0;
      await stepThrough(page, 70, async (step) => {
        const rows = await page.evaluate(() =>
          [...document.querySelectorAll('.stage-wrap svg.stage g.row.leader')].map((row) => {
            const cells = [...row.querySelectorAll('g.cell')].map((c) => {
              const r = c.querySelector('rect').getBoundingClientRect();
              return { off: Number(c.querySelector('.cell-offset')?.textContent), left: r.left, right: r.right };
            });
            const carets = [...row.querySelectorAll('g.caret')].map((g) => {
              const r = g.querySelector('path').getBoundingClientRect();
              const m = /offset (\d+)/.exec(g.querySelector('title')?.textContent || '');
              return { label: g.querySelector('.caret-label')?.textContent, pos: m ? Number(m[1]) : null, x: (r.left + r.right) / 2 };
            });
            return { name: row.getAttribute('aria-label') || '', cells, carets };
          }));
        for (const row of rows) {
          const offs = row.cells.map((c) => c.off).filter(Number.isFinite);
          if (!offs.length) continue;
          const first = row.cells.find((c) => c.off === Math.min(...offs));
          const last = row.cells.find((c) => c.off === Math.max(...offs));
          for (const k of row.carets) {
            if (k.pos === null) continue;
            checked += 1;
            const cell = row.cells.find((c) => c.off === k.pos);
            if (cell) {
              p.check(k.x >= cell.left - 1 && k.x <= cell.right + 1,
                `step ${step}, ${row.name}: caret ${k.label} (offset ${k.pos}) stands under its cell (x ${k.x.toFixed(0)}, cell ${cell.left.toFixed(0)}-${cell.right.toFixed(0)})`);
            } else if (k.pos < first.off) {
              offRow += 1;
              p.check(k.x <= first.left + 1,
                `step ${step}, ${row.name}: caret ${k.label} (offset ${k.pos}, before the first cell drawn, ${first.off}) stands at the row's left edge (x ${k.x.toFixed(0)}, first cell at ${first.left.toFixed(0)})`);
            } else {
              p.check(k.x >= last.right - 1,
                `step ${step}, ${row.name}: caret ${k.label} (offset ${k.pos}, past the last cell drawn, ${last.off}) stands after it (x ${k.x.toFixed(0)}, last cell ends at ${last.right.toFixed(0)})`);
            }
          }
        }
      });
      p.check(checked > 20, `carets were checked (${checked})`);
      p.check(offRow > 0, `some caret stood at an offset the row does not draw (${offRow})`);
      await shot(t, page, 'caret-off-the-row');
      p.done('each caret at its offset');
    },
  },
  {
    // An 800x500 embed's log rows hold two or three offsets, the newest.
    // producer-acks' stop 5 (step 19) narrates the retry of all-1, offset 0
    // of broker 2's events-0, behind zero-1 and one-1: the row starts at the
    // record in focus, so the record the narration is about is drawn.
    name: 'a_short_row_starts_at_the_record_in_focus',
    timeout: 60_000,
    fn: async (t) => {
      const link = 'v1.AABzAgIBAwADAQIBAwMEAgAEAwEGYWNrcy0wAgAAAQZhY2tzLTECAQABCGFja3MtYWxsAAcGAAADBmV2ZW50cwDgXQAKIgIFYWxsLTEAFCIABnplcm8tMQAeIgEFb25lLTEBAQECBmV2ZW50cwAAgH0EAAAAAHZk1CQ';
      const page = await openPage(t, `?embed#${link}`, { viewport: { width: 800, height: 500 } });
      await stepThrough(page, 19, async () => {});
      await waitFor(async () => (await counter(page)).step === 19, { describe: () => 'step 19' });
      await waitFor(async () => /NETWORK_EXCEPTION/.test(await narrationText(page)), { describe: () => 'the retry narrated' });
      const seen = await page.locator('svg.stage text').evaluateAll((ts) =>
        ts.filter((x) => (x.textContent || '').includes('all-1')).map((x) => {
          const r = x.getBoundingClientRect();
          return r.width > 0 && r.right <= innerWidth && r.bottom <= innerHeight;
        }));
      const p = problems();
      p.check(seen.some(Boolean), `a cell labelled all-1 is drawn on screen (${seen.length} found)`);
      await shot(t, page, 'row-starts-at-focus-800x500');
      p.done('the record in focus in its row');
    },
  },
  {
    // The audit and a sweep for "…" on the stage found names and keys cut
    // where the stage had room, and a parked record over its consumer's name.
    name: 'names_and_keys_show_whole_where_the_stage_has_room',
    timeout: 120_000,
    fn: async (t) => {
      const p = problems();
      const boxOverlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
      // A producer 117 units wide holds "order-2" whole beside "→ P0" (it read "…der-2").
      {
        const page = await openPage(t, '?preset=acks1-failover-loss&step=15');
        const tokens = await page.locator('.stage-wrap svg.stage g.producer-slot text, .stage-wrap svg.stage .token text')
          .evaluateAll((ts) => ts.map((x) => x.textContent.trim()));
        p.check(tokens.includes('order-2'), `acks1-failover-loss, step 15: the producer's record reads order-2 whole (tokens: ${tokens.join(', ')})`);
        await page.close();
      }
      // Two topics' positions take a line each rather than "topic1-0@4 topic2…".
      for (const viewport of [DESKTOP, { width: 1920, height: 1080 }]) {
        const page = await openPage(t, '?preset=two-topic-transaction&step=60', { viewport });
        const cut = await page.locator('.stage-wrap svg.stage .consumer text').evaluateAll((ts) =>
          ts.map((x) => x.textContent).filter((x) => x.includes('…')));
        p.check(cut.length === 0, `two-topic-transaction at ${viewport.width}×${viewport.height}: consumer text cut: ${cut.join(' | ')}`);
        await page.close();
      }
      // With the tables open the groups are drawn small: their names stay
      // whole and the + button moves beside the state, over nothing.
      {
        const page = await openPage(t, '?preset=two-groups&step=40');
        await page.getByRole('tab', { name: 'Plots', exact: true }).click();
        await page.waitForTimeout(400);
        const groups = await page.locator('.stage-wrap svg.stage g.group').evaluateAll((gs) => gs.map((g) => {
          const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
          const plus = g.querySelector('.add-consumer rect');
          return {
            name: g.querySelector('.group-id')?.textContent,
            plus: plus ? box(plus) : null,
            texts: [...g.querySelectorAll(':scope > text')].map((x) => ({ t: x.textContent, b: box(x) })),
          };
        }));
        p.check(groups.map((g) => g.name).join(',') === 'my-consumer-group,analytics', `two-groups with Plots open: the groups' names read ${groups.map((g) => g.name).join(', ')}`);
        for (const g of groups) {
          const hit = g.plus && g.texts.filter((x) => boxOverlap(x.b, g.plus));
          p.check(g.plus && hit.length === 0, `two-groups with Plots open: ${g.name}'s + button covers ${hit ? hit.map((x) => x.t).join(', ') : '(no button)'}`);
        }
        await page.close();
      }
      // A record parked on a narrow consumer box covers none of its text.
      {
        const page = await openPage(t, '?preset=acks-latency&step=60');
        const hits = await page.locator('.stage-wrap svg.stage g.consumer').evaluateAll((cs) => cs.flatMap((c) => {
          const tokens = [...c.ownerSVGElement.querySelectorAll('.token rect')].map((r) => r.getBoundingClientRect());
          return [...c.querySelectorAll('text, tspan')].filter((x) => x.textContent.trim() && !x.querySelector('tspan')).flatMap((x) => {
            const b = x.getBoundingClientRect();
            return tokens.filter((r) => r.left < b.right - 2 && b.left < r.right - 2 && r.top < b.bottom - 2 && b.top < r.bottom - 2).map(() => x.textContent.trim());
          });
        }));
        p.check(hits.length === 0, `acks-latency, step 60: a record sits on the consumer's ${hits.join(', ')}`);
        await shot(t, page, 'parked-record-clear-of-names');
        await page.close();
      }
      p.done('names and keys whole');
    },
  },
];
