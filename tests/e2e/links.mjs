// Links: a step's link (the address bar, the Share dialog's Link and embed code)
// reopens exactly what was on screen, from every way into the app; a bad link
// explains itself over the default scenario; markup in a link stays text.
// Registered by run.mjs; tests/e2e/README.md ("Links", links.mjs) says what each
// test checks.
//
// Bad links come from the golden corpus tests/data/links/v1.txt (`=> error=Kind`
// entries, project.mjs).
import {
  AssertionError,
  assert,
  blurActive,
  expectStage,
  kafkaPartitionForKey,
  murmur2,
  problems,
  setLabelled,
  sleep,
  stepButton,
  waitForAnimations,
  waitForApp,
} from './lib.mjs';
import {
  DESKTOP,
  alertDialog,
  assertSameSnapshot,
  backButton,
  counter,
  currentLink,
  exact,
  fragmentOf,
  loadPreset,
  narrationText,
  openFragment,
  openPage,
  recordDialogs,
  snapshot,
  stageSvg,
  stepForward,
  stepTo,
  waitForStep,
} from './app.mjs';
import { goldenLinks } from './project.mjs';

// ---------------------------------------------------------------------------
// The stage picture and the screen state as a person sees them (for
// i9_links_round_trip_from_every_entry).

/**
 * The stage picture, once settled: every svg.stage's markup without what
 * depends on the size of its box (the stage lays itself out to fill it, so a
 * page and an iframe draw the same picture at different coordinates, with
 * labels ellipsized to their room): geometry, animation state and drawn
 * text go; structure, classes, accessible names and tooltips stay.
 */
async function stagePicture(page) {
  await waitForAnimations(page).catch(() => {});
  let prev = null;
  for (let i = 0; i < 50; i++) {
    const cur = await page.evaluate(() =>
      [...document.querySelectorAll('svg.stage')]
        .map((s) => {
          const c = s.cloneNode(true);
          const geometry = ['x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'width', 'height', 'transform', 'd', 'style', 'viewBox'];
          for (const n of [c, ...c.querySelectorAll('*')]) for (const a of geometry) n.removeAttribute(a);
          c.classList.remove('overflow');
          for (const t of c.querySelectorAll('text')) for (const n of [...t.childNodes]) if (n.nodeType === 3) n.remove();
          for (const t of c.querySelectorAll('text > tspan')) t.textContent = '';
          return c.outerHTML;
        })
        .join('\n'),
    );
    if (cur === prev) return cur;
    prev = cur;
    await sleep(40);
  }
  return prev;
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const at = (s) => JSON.stringify(s.slice(Math.max(0, i - 60), i + 80));
  return `lengths ${a.length} vs ${b.length}, first difference at ${i}: ${at(a)} vs ${at(b)}`;
}

/** Everything that identifies what is on screen. */
async function screenState(page) {
  const c = await counter(page);
  const lesson = await page.evaluate(() => {
    const p = document.querySelector('section.lesson-panel');
    if (!p) return null;
    const text = (s) => (p.querySelector(s)?.textContent || '').replace(/\s+/g, ' ').trim();
    return { title: text('h2'), progress: text('[data-testid="lesson-progress"]') };
  });
  return {
    step: c.step,
    narration: await narrationText(page),
    svg: await stagePicture(page),
    // The cluster's state in words, whatever the size of the stage: every
    // leader's HW and LEO and every broker's state (the accessible names).
    cluster: await page.evaluate(() =>
      [...document.querySelectorAll('.stage-wrap svg.stage g.row.leader, .stage-wrap svg.stage [data-fk^="broker-"]')]
        .map((g) => g.getAttribute('aria-label'))
        .sort()
        .join(' | '),
    ),
    lesson,
    embed: (await page.locator('.app.embed').count()) > 0,
  };
}

/** Differences between two screen states (empty when the same). */
function stateDiff(got, want) {
  const out = [];
  if (got.step !== want.step) out.push(`step ${got.step}, expected ${want.step}`);
  if (got.narration !== want.narration) out.push(`narration "${got.narration.slice(0, 160)}" vs "${want.narration.slice(0, 160)}"`);
  // The same picture in the same mode; an embed and a full page give the
  // stage boxes of different sizes, so there the cluster's state must agree.
  if (got.embed === want.embed && got.svg !== want.svg) out.push(`the stage picture differs (${firstDifference(got.svg, want.svg)})`);
  if (got.cluster !== want.cluster) out.push(`the cluster differs: "${got.cluster.slice(0, 300)}" vs "${want.cluster.slice(0, 300)}"`);
  if (want.lesson && !got.lesson) out.push(`the lesson "${want.lesson.title}" is not shown`);
  else if (want.lesson && (got.lesson.title !== want.lesson.title || got.lesson.progress !== want.lesson.progress)) {
    out.push(`lesson ${JSON.stringify(got.lesson)}, expected ${JSON.stringify(want.lesson)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Bad links: what each error class must say.

const BAD_LINK_MESSAGE = {
  Truncated: () => /cut off/i,
  Corrupt: () => /damaged|checksum|not a kafkascope scenario link/i,
  UnknownVersion: (link) => new RegExp(`format v${link.match(/^v(\d+)/)[1]}\\b`),
  BadConfig: (link) => {
    const preset = link.match(/^v1\.([a-z0-9-]+)\./);
    return preset ? new RegExp(`impossible|preset "${preset[1]}"`, 'i') : /impossible|cannot be built/i;
  },
  BadCommand: () => /action log/i,
  TooLarge: () => /too large|at most/i,
};

/** The tests of issue 9 (named i9_…) keep its tag: `node tests/e2e/run.mjs issue9` runs them. */
const ISSUE9 = ['issue9'];

// ---------------------------------------------------------------------------

export const linksTests = [
  {
    name: 'link_reopens_the_same_step_and_narration',
    fn: async (t) => {
      // A link the page itself made: the acks=1 failover preset (scripted crash
      // and restart) stepped to 12, plus a record sent with a key of ours.
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await loadPreset(page, 'acks1-failover-loss');
      await stepTo(page, 12);
      const live = await snapshot(page);
      const link = await currentLink(page, 12);
      assert(link.startsWith('v1.acks1-failover-loss.'), `a preset run's link names the preset: #${link}`);
      const opened = await openFragment(t, link);
      await waitForStep(opened, 12, { last: 12, what: 'the opened link' });
      // A preset's notes arrive with presets.txt, fetched once the link has
      // opened: until then the step's note reads "Note" alone (up to 5 s).
      for (let i = 0; i < 50 && (await snapshot(opened)).narration !== live.narration; i++) await sleep(100);
      assertSameSnapshot(await snapshot(opened), live, `#${link} opened in a fresh page`);
      assert((await alertDialog(opened).count()) === 0, 'a good link opened the "cannot be opened" dialog');
      assert((await fragmentOf(opened)) === link, 'the opened page rewrote its link');

      // The golden walkthrough link: five sends, opened at step 14. Whatever the
      // narration says at that step, it is the one a replay from step 0 shows,
      // and any partitioner arithmetic in it agrees with Kafka's murmur2.
      const golden = goldenLinks().find((g) => g.description.startsWith('The walkthrough after five sends'));
      assert(golden, 'tests/data/links/v1.txt lost the five-sends walkthrough entry');
      const g = await openFragment(t, golden.link);
      await waitForStep(g, 14, { last: 14, what: 'the golden five-sends link' });
      const atOpen = await snapshot(g);
      assert(/Stage \d of 9/.test(atOpen.narration), `at step 14 the walkthrough narrates a stage: "${atOpen.narration}"`);
      for (const m of atOpen.narration.matchAll(/murmur2 = (-?\d+)[\s\S]*?% (\d+) = (\d+)/g)) {
        const key = ['user-1', 'user-2', 'user-3', 'user-4', 'user-5'].find((k) => murmur2(k) === Number(m[1]));
        assert(key, `the narration's murmur2 = ${m[1]} is none of the keys user-1..user-5`);
        const want = kafkaPartitionForKey(key, Number(m[2]));
        assert(Number(m[3]) === want, `key ${key} over ${m[2]} partitions is partition ${want}, the narration says ${m[3]}`);
      }
      await blurActive(g);
      await g.keyboard.press('Home');
      await waitForStep(g, 0, { last: 14 });
      await g.keyboard.press('End');
      await waitForStep(g, 14, { last: 14 });
      assertSameSnapshot(await snapshot(g), atOpen, 'the golden link after Home then End (replayed from step 0)');
    },
  },

  {
    name: 'bad_links_explain_themselves_over_the_default_scenario',
    timeout: 120_000,
    fn: async (t) => {
      const bad = goldenLinks()
        .filter((g) => g.expect.startsWith('error='))
        .map((g) => ({ ...g, kind: g.expect.slice('error='.length), where: `v1.txt:${g.line}` }));
      const kinds = new Set(bad.map((b) => b.kind));
      for (const k of ['Truncated', 'Corrupt', 'UnknownVersion', 'BadConfig', 'BadCommand', 'TooLarge']) {
        assert(kinds.has(k), `the golden corpus has no bad link of class ${k}`);
      }
      // Two more that the corpus does not spell out.
      bad.push({ kind: 'UnknownVersion', link: 'v9.nine-stages.AAAEAQAAAKiAfMU', where: 'a v9 link', description: 'format v9' });
      bad.push({ kind: 'TooLarge', link: `v1.${'A'.repeat(200_001)}`, where: 'a 200,004-character link', description: 'over MAX_FRAGMENT_CHARS' });
      for (const b of bad) {
        const want = BAD_LINK_MESSAGE[b.kind];
        assert(want, `${b.where}: no expected message for error class ${b.kind}`);
        const page = await openFragment(t, b.link);
        const dialogs = recordDialogs(page);
        const dialog = alertDialog(page);
        await dialog.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {
          throw new AssertionError(`${b.where} (${b.kind}: ${b.description}): no role="alertdialog" opened`);
        });
        const title = (await dialog.getByRole('heading').first().innerText()).trim();
        assert(title === 'This link cannot be opened', `${b.where}: the dialog's title is "${title}"`);
        const text = (await dialog.innerText()).replace(/\s+/g, ' ');
        assert(want(b.link).test(text), `${b.where} (${b.kind}): the dialog does not say ${want(b.link)}: "${text}"`);
        // Not a blank page: the default scenario is behind the dialog.
        assert(await stageSvg(page).isVisible(), `${b.where}: no stage behind the dialog`);
        const c = await counter(page);
        assert(c.step === 0, `${b.where}: the page behind the dialog is at step ${c.step}`);
        assert((await narrationText(page)).startsWith('Ready'), `${b.where}: the default scenario is not behind the dialog`);
        if (b.kind === 'BadCommand' || b.kind === 'Corrupt') await t.screenshot(page, `bad-link-${b.kind}`);
        await dialog.getByRole('button', { name: 'Start the default scenario', exact: true }).click();
        await dialog.waitFor({ state: 'detached', timeout: 5000 }).catch(() => {
          throw new AssertionError(`${b.where}: "Start the default scenario" did not close the dialog`);
        });
        await stepButton(page).click();
        await expectStage(page, 1);
        assert(dialogs.length === 0, `${b.where}: browser dialogs: ${dialogs.join('; ')}`);
        await page.context().close();
      }

      // A bad link pasted into a page that has a run of its own: the run can be kept.
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await stepTo(page, 3);
      const before = await snapshot(page);
      const truncated = bad.find((b) => b.kind === 'Truncated');
      await page.evaluate((f) => {
        location.hash = f;
      }, truncated.link);
      await alertDialog(page).waitFor({ state: 'visible', timeout: 5000 });
      assert(/cut off/.test(await alertDialog(page).innerText()), 'the pasted truncated link is explained');
      await alertDialog(page).getByRole('button', { name: 'Keep the current run', exact: true }).click();
      await alertDialog(page).waitFor({ state: 'detached', timeout: 5000 });
      assertSameSnapshot(await snapshot(page), before, 'the run kept after a bad pasted link');
    },
  },

  {
    name: 'markup_from_a_link_stays_text',
    fn: async (t) => {
      const injected = (page) =>
        page.evaluate(() => {
          const all = [...document.querySelectorAll('*')];
          return {
            img: document.querySelectorAll('img').length,
            scripts: document.querySelectorAll('script').length,
            handlers: all.filter((el) => [...el.attributes].some((a) => a.name.toLowerCase().startsWith('on'))).map((el) => el.outerHTML.slice(0, 80)),
            bold: document.querySelectorAll('b').length,
          };
        });
      const clean = async (page, what) => {
        const got = await injected(page);
        assert(got.img === 0, `${what}: ${got.img} <img> elements in the page`);
        assert(got.scripts === baseline.scripts, `${what}: ${got.scripts} <script> elements, a clean page has ${baseline.scripts}`);
        assert(got.handlers.length === 0, `${what}: elements with inline event handlers: ${got.handlers.join(' ')}`);
        assert(got.bold === baseline.bold, `${what}: ${got.bold} <b> elements, a clean page has ${baseline.bold}`);
      };
      const fresh = await t.newPage();
      await waitForApp(fresh);
      const baseline = await injected(fresh);

      // 1. The golden "markup kept as text" link.
      const golden = goldenLinks().find((g) => g.description.startsWith('Markup kept as text'));
      assert(golden, 'tests/data/links/v1.txt lost the markup entry');
      const page = await t.newPage({ url: null });
      const dialogs = recordDialogs(page);
      await page.goto(new URL(`#${golden.link}`, t.baseUrl).href, { waitUntil: 'load' });
      await waitForApp(page);
      await waitForStep(page, 3, { last: 3 });
      const body = await page.locator('body').innerText();
      for (const p of ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<b onmouseover=alert(1)>g</b>']) {
        assert(body.includes(p), `the page does not show ${JSON.stringify(p)} literally`);
      }
      for (const tab of ['Event log', 'Ledger', 'Topic', 'Consumer groups']) {
        const button = page.getByRole('tab', { name: tab, exact: true });
        if ((await button.count()) === 0) continue;
        await button.click();
        await sleep(100);
        await clean(page, `the markup link, tab ${tab}`);
      }
      // Step 2 of that run is a note whose text closes a textarea and opens an <svg onload>.
      await backButton(page).click();
      await waitForStep(page, 2, { last: 3 });
      const note = await narrationText(page);
      assert(note.includes('</textarea><svg onload=alert(1)>&amp;'), `the note at step 2 is not shown literally: "${note}"`);
      await clean(page, 'the markup link at step 2');
      // The Share dialog puts the link into an <input> and a <textarea>.
      await page.getByRole('button', { name: 'Share', exact: true }).click();
      await page.getByRole('textbox', { name: 'Embed code', exact: true }).waitFor();
      await clean(page, 'the Share dialog of the markup link');
      await sleep(300);
      assert(dialogs.length === 0, `alert/confirm dialogs fired: ${dialogs.join('; ')}`);

      // 2. A key and value typed into the page, stepped, and opened from the address bar.
      const typed = await t.newPage();
      await waitForApp(typed);
      const key = '<img src=x onerror=alert(1)>';
      const value = '<script>alert(2)</script><svg onload=alert(3)>';
      await setLabelled(typed, 'Key', key);
      await setLabelled(typed, 'Value', value);
      await stepButton(typed).click();
      await expectStage(typed, 1);
      const link = await currentLink(typed, 1);
      const opened = await t.newPage({ url: null });
      const dialogs2 = recordDialogs(opened);
      await opened.goto(new URL(`#${link}`, t.baseUrl).href, { waitUntil: 'load' });
      await waitForApp(opened);
      await waitForStep(opened, 1, { last: 1 });
      const said = await narrationText(opened);
      assert(said.includes(`key="${key}"`) && said.includes(value), `the opened link does not narrate the key and value literally: "${said}"`);
      for (let k = 2; k <= 9; k++) {
        await stepButton(opened).click();
        await expectStage(opened, k);
      }
      await clean(opened, 'the typed-markup link after 9 stages');
      await sleep(300);
      assert(dialogs2.length === 0, `alert/confirm dialogs fired: ${dialogs2.join('; ')}`);
    },
  },

  {
    name: 'share_dialog_link_and_embed_code',
    fn: async (t) => {
      const page = await t.newPage({ viewport: { width: 1280, height: 800 } });
      await waitForApp(page);
      await loadPreset(page, 'nine-stages');
      await stepTo(page, 6);
      const at6 = await snapshot(page);
      await currentLink(page, 6);
      await page.getByRole('button', { name: 'Share', exact: true }).click();
      const dialog = page.getByRole('dialog').filter({ has: page.getByRole('heading', { name: 'Share this run' }) });
      await dialog.waitFor({ state: 'visible', timeout: 5000 });
      const link = await dialog.getByRole('textbox', { name: 'Link', exact: true }).inputValue();
      assert(link === page.url(), `the Link field holds "${link}", the address bar "${page.url()}"`);
      assert(/#v1\.nine-stages\.[A-Za-z0-9_-]+$/.test(link), `the Link field is not a v1 preset link: "${link}"`);
      assert(await dialog.getByRole('textbox', { name: 'Link', exact: true }).evaluate((el) => el.readOnly), 'the Link field is not read-only');
      assert((await dialog.innerText()).includes('Link to step 6'), 'the dialog does not say which step the link opens');
      for (const name of ['Copy link', 'Copy embed code']) {
        assert(await dialog.getByRole('button', { name, exact: true }).isVisible(), `no "${name}" button`);
      }
      const code = await dialog.getByRole('textbox', { name: 'Embed code', exact: true }).inputValue();
      const parsed = await page.evaluate((html) => {
        const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
        const els = [...doc.body.children];
        const f = els[0];
        return {
          count: els.length,
          tag: f && f.tagName.toLowerCase(),
          attrs: f ? [...f.attributes].map((a) => a.name) : [],
          src: f && f.getAttribute('src'),
          title: f && f.getAttribute('title'),
          text: doc.body.textContent,
        };
      }, code);
      assert(parsed.count === 1 && parsed.tag === 'iframe', `the embed code is not one <iframe>: ${code}`);
      assert(!parsed.attrs.includes('allow'), `the embed <iframe> has an allow attribute: ${code}`);
      assert(/^kafkascope: \S/.test(parsed.title || ''), `the embed <iframe>'s title does not start "kafkascope: …": ${JSON.stringify(parsed.title)}`);
      assert(parsed.title.includes('The nine stages of a record'), `the title names the preset: ${JSON.stringify(parsed.title)}`);
      assert(parsed.text.trim() === '', 'the embed code has text outside the iframe');
      const src = new URL(parsed.src);
      const here = new URL(page.url());
      assert(src.origin + src.pathname === here.origin + here.pathname, `the embed src ${parsed.src} is not this page`);
      assert(/^#v1\.nine-stages\./.test(src.hash), `the embed src has no v1 link: ${parsed.src}`);
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();
      await dialog.waitFor({ state: 'detached', timeout: 3000 });

      // The Link reopens step 6 exactly; the embed src opens it embedded.
      const opened = await t.newPage({ viewport: { width: 1280, height: 800 }, url: link });
      await waitForApp(opened);
      await waitForStep(opened, 6, { last: 6 });
      assertSameSnapshot(await snapshot(opened), at6, 'the Share dialog link, opened');
      const embedded = await t.newPage({ viewport: { width: 800, height: 500 }, url: parsed.src });
      await waitForApp(embedded);
      await waitForStep(embedded, 6, { last: 6 });
      assert((await embedded.locator('.app.embed').count()) === 1, 'the embed link does not open in embed mode');
      assert((await embedded.getByRole('button', { name: exact('Share') }).count()) === 0, 'the embedded page shows the Share button');
      assert((await narrationText(embedded)) === at6.narration, 'the embed link narrates a different step');
    },
  },

  {
    name: 'i9_links_round_trip_from_every_entry',
    tags: ISSUE9,
    timeout: 150_000,
    fn: async (t) => {
      const entries = [
        { name: 'the plain page', query: '' },
        { name: 'a preset', query: '?preset=acks1-failover-loss' },
        { name: 'a lesson', query: '?lesson=producer-acks', lesson: true },
        { name: 'an embedded preset', query: '?embed&preset=acks1-failover-loss', embed: true },
      ];
      const p = problems();
      for (const e of entries) {
        const viewport = e.embed ? { width: 800, height: 500 } : DESKTOP;
        try {
          const page = await openPage(t, e.query, { viewport });
          if (e.lesson) await page.locator('section.lesson-panel').waitFor({ state: 'visible', timeout: 10_000 });
          const moved = await stepForward(page, 5);
          p.check(moved === 5, `${e.name}: 5 presses of Step forward moved the counter ${moved} times`);
          const live = await screenState(page);
          const href = await page.evaluate(() => location.href);
          p.check(/#v1\./.test(href), `${e.name}: the address bar holds no v1 link at step ${live.step}: ${href}`);
          const links = [['the address bar', href, viewport, e.embed]];
          let embedSrc = null;
          if (!e.embed) {
            await page.getByRole('button', { name: exact('Share') }).click();
            const dialog = page.getByRole('dialog').filter({ has: page.getByRole('textbox', { name: 'Link', exact: true }) });
            await dialog.waitFor({ state: 'visible', timeout: 5000 });
            const link = await dialog.getByRole('textbox', { name: 'Link', exact: true }).inputValue();
            const code = await dialog.getByRole('textbox', { name: 'Embed code', exact: true }).inputValue();
            links.push(['the Share dialog\'s Link', link, viewport, false]);
            embedSrc = await page.evaluate((html) => {
              const f = new DOMParser().parseFromString(html, 'text/html').querySelector('iframe');
              return f ? f.getAttribute('src') : null;
            }, code);
            p.check(embedSrc, `${e.name}: the embed code has no <iframe src>: ${code}`);
            if (embedSrc) links.push(['the embed code\'s iframe src', embedSrc, { width: 800, height: 500 }, true]);
            await page.keyboard.press('Escape');
          } else {
            const open = page.getByRole('link', { name: /^Open/ });
            p.check((await open.count()) === 1, `${e.name}: no "Open ↗" link`);
            if ((await open.count()) === 1) links.push(['the "Open ↗" link', new URL(await open.getAttribute('href'), href).href, DESKTOP, false]);
          }
          for (const [what, url, vp, embedded] of links) {
            const opened = await t.newPage({ viewport: vp, url });
            await waitForApp(opened);
            await waitForStep(opened, live.step, { what: `${e.name}, ${what}` }).catch((err) => p.add(err.message));
            // The link's lesson is fetched (lessons/<id>.lesson) after the run is on screen.
            if (e.lesson) {
              await opened.locator('section.lesson-panel').waitFor({ state: 'visible', timeout: 10_000 }).catch(() => p.add(`${e.name}, ${what}: no lesson panel within 10 s`));
            }
            const got = await screenState(opened);
            const diff = stateDiff(got, live);
            p.check(diff.length === 0, `${e.name} at step ${live.step}, ${what} (${url}) opens: ${diff.join('; ')}`);
            const shareButtons = await opened.getByRole('button', { name: exact('Share') }).count();
            if (embedded) p.check(got.embed || shareButtons === 0, `${e.name}: ${what} does not open in embed mode`);
            else p.check(!got.embed && shareButtons === 1, `${e.name}: ${what} opens in embed mode, not a full page`);
            await opened.context().close();
          }
        } catch (err) {
          p.add(`${e.name}: ${err.message.split('\n')[0]}`);
        }
      }
      p.done('links that do not reopen what was on screen');
    },
  },
];
