// Live mode in the browser: `kafkascope live` serves real Kafka clients and,
// beside them, the live page (static/live/index.html, built into <site>/live).
// The page streams the process's tape, draws the real clients by their
// client.id, sends the faults picked on the stage to the process, and saves
// the run as a link that a static site (no process) plays back.
// Registered by run.mjs; tests/e2e/README.md ("Live mode", live.mjs) says what
// each test checks.
//
// Each test starts its own `kafkascope live --kafka-port 0 --http-port 0
// --page-dir <site>/live` ($KAFKASCOPE_BIN, else target/debug/kafkascope) and
// runs the course's producer (tests/live/course_producer.py, kafka-python) with
// the venv python of scripts/live-venv.sh, as tests/live_clients.rs does.
// KAFKASCOPE_SKIP_LIVE=1 skips them. The process and every Python child are
// killed when the test ends (and when node exits).
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AssertionError, SkipTest, assert, assertSeen, blurActive, describeAxe, problems, runAxe, seenInPage, sleep, waitFor } from './lib.mjs';
import { REPO } from './project.mjs';

/** `kafkascope live` must print `live: ready` within this. */
const READY_TIMEOUT = 30_000;
/** Each Python client must finish within this. */
const CLIENT_TIMEOUT = 90_000;
/** The wasm page boots within this (2 cores, other builds running). */
const BOOT_TIMEOUT = 45_000;
/** The live page polls the tape every 250 ms; what the process did shows within this. */
const FOLLOW_TIMEOUT = 15_000;

// ---------------------------------------------------------------------------
// Child processes: the live process and the Python clients.

/** Every child still running; killed when node exits, whatever happened. */
const running = new Set();
process.on('exit', () => {
  for (const c of running) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts `program args` with stdin held open (kafkascope live reads operator
 * commands there) and stdout collected line by line.
 */
function startChild(name, program, args, { env = {} } = {}) {
  const child = spawn(program, args, {
    cwd: REPO,
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const p = { name, child, lines: [], stderr: '', exit: null, spawnError: null };
  running.add(child);
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop();
    p.lines.push(...parts);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    p.stderr = (p.stderr + chunk).slice(-20_000);
  });
  p.exited = new Promise((resolve) => {
    child.on('error', (err) => {
      p.spawnError = err;
      running.delete(child);
      resolve(p);
    });
    child.on('exit', (code, signal) => {
      if (partial) p.lines.push(partial);
      partial = '';
      p.exit = signal ? `signal ${signal}` : `exit ${code}`;
      running.delete(child);
      resolve(p);
    });
  });
  p.transcript = () =>
    `----- ${name} (${p.exit ?? 'running'}) stdout -----\n${p.lines.join('\n')}\n----- ${name} stderr -----\n${p.stderr.trim()}`;
  return p;
}

/** Kills a child (TERM, then KILL after 3 s) and waits for it to go. */
async function stopChild(p) {
  if (!p || p.exit !== null || p.spawnError) return;
  p.child.stdin.end();
  p.child.kill('SIGTERM');
  const gone = await Promise.race([p.exited.then(() => true), sleep(3000).then(() => false)]);
  if (!gone) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

/** Waits for a stdout line after index `from` that satisfies `pred`; fails if the child exits first. */
async function waitForLine(p, what, pred, { timeout = READY_TIMEOUT, from = 0 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const line = p.lines.slice(from).find(pred);
    if (line !== undefined) return line;
    if (p.spawnError) throw new AssertionError(`${p.name}: cannot start (${p.spawnError.message})`);
    if (p.exit !== null) throw new AssertionError(`${p.name} ended (${p.exit}) before ${what}\n${p.transcript()}`);
    if (Date.now() > deadline) throw new AssertionError(`${p.name} printed no ${what} within ${timeout} ms\n${p.transcript()}`);
    await sleep(50);
  }
}

/** The kafkascope binary: $KAFKASCOPE_BIN, else this build's target/debug/kafkascope. */
function kafkascopeBin() {
  const bin = process.env.KAFKASCOPE_BIN;
  if (bin) return bin.includes('/') ? path.resolve(bin) : bin;
  const built = path.join(REPO, 'target', 'debug', 'kafkascope');
  assert(existsSync(built), `${built} does not exist: build it (cargo build --bin kafkascope) or set KAFKASCOPE_BIN`);
  return built;
}

let venvPython = null;

/** The venv's python from scripts/live-venv.sh (creates the venv the first time). */
async function python() {
  if (!venvPython) {
    venvPython = new Promise((resolve, reject) => {
      execFile('bash', [path.join(REPO, 'scripts', 'live-venv.sh')], { cwd: REPO, timeout: 600_000 }, (err, stdout, stderr) => {
        if (err) return reject(new AssertionError(`scripts/live-venv.sh failed (${err.code ?? err.signal}): ${stderr.slice(-2000)}`));
        const last = stdout.trim().split('\n').pop()?.trim();
        if (!last || !existsSync(last)) return reject(new AssertionError(`scripts/live-venv.sh printed no python path on its last line: ${stdout}`));
        resolve(last);
      });
    });
  }
  try {
    return await venvPython;
  } catch (err) {
    venvPython = null;
    throw err;
  }
}

/** Skips when KAFKASCOPE_SKIP_LIVE=1. */
function skipIfAsked() {
  if (process.env.KAFKASCOPE_SKIP_LIVE === '1') throw new SkipTest('KAFKASCOPE_SKIP_LIVE=1');
}

/**
 * The site's live page directory: `<--dist>/live` (run.mjs gives the served
 * directory as t.server.dir), else $E2E_LIVE_PAGE_DIR, else dist/live.
 */
function livePageDir(t) {
  const dir = t.server?.dir
    ? path.join(t.server.dir, 'live')
    : process.env.E2E_LIVE_PAGE_DIR
      ? path.resolve(process.env.E2E_LIVE_PAGE_DIR)
      : path.join(REPO, 'dist', 'live');
  assert(
    existsSync(path.join(dir, 'index.html')),
    `no live page in ${dir} (build it: trunk build --release true --dist <site>/live static/live/index.html)`,
  );
  return dir;
}

/**
 * Starts `kafkascope live` on free ports serving the page from `pageDir`;
 * returns { proc, bootstrap, pageUrl } once it prints `live: ready`.
 */
async function startLive(pageDir, procs) {
  const proc = startChild('kafkascope live', kafkascopeBin(), ['live', '--kafka-port', '0', '--http-port', '0', '--page-dir', pageDir]);
  procs.push(proc);
  await waitForLine(proc, '`live: ready`', (l) => l === 'live: ready');
  const bootstrap = proc.lines.map((l) => l.match(/^kafka broker 0 listening on (\S+:\d+)$/)).find(Boolean)?.[1];
  assert(bootstrap && !bootstrap.endsWith(':0'), `kafkascope live printed no \`kafka broker 0 listening on HOST:PORT\` line\n${proc.transcript()}`);
  const pageUrl = proc.lines.map((l) => l.match(/^live: page at (http:\/\/\S+\/)$/)).find(Boolean)?.[1];
  assert(pageUrl, `kafkascope live printed no \`live: page at http://HOST:PORT/\` line\n${proc.transcript()}`);
  return { proc, bootstrap, pageUrl };
}

/** Runs the course's producer (10 events, acks=all) to its end; returns its RESULT. */
async function runCourseProducer(bootstrap, procs, live) {
  const py = await python();
  const p = startChild('course_producer.py', py, ['-u', 'tests/live/course_producer.py', bootstrap]);
  procs.push(p);
  const ended = await Promise.race([p.exited.then(() => true), sleep(CLIENT_TIMEOUT).then(() => false)]);
  if (!ended) {
    await stopChild(p);
    throw new AssertionError(`course_producer.py did not finish within ${CLIENT_TIMEOUT} ms (killed)\n${p.transcript()}\n${live.proc.transcript()}`);
  }
  assert(p.exit === 'exit 0', `course_producer.py failed (${p.exit ?? p.spawnError})\n${p.transcript()}\n${live.proc.transcript()}`);
  const line = [...p.lines].reverse().find((l) => l.startsWith('RESULT '));
  assert(line, `course_producer.py printed no RESULT line\n${p.transcript()}`);
  const result = JSON.parse(line.slice('RESULT '.length));
  assert(Array.isArray(result.sent) && result.sent.length === 10, `the producer did not get 10 acknowledgements: ${line.slice(0, 400)}`);
  assert(typeof result.client_id === 'string' && result.client_id, `the producer's RESULT has no client_id: ${line.slice(0, 400)}`);
  return result;
}

/** The whole tape from the live process (GET api/tape, page by page). */
async function fetchTape(pageUrl) {
  const inputs = [];
  let len = 1;
  for (let from = 0; from < len; ) {
    const url = new URL(`api/tape?from=${from}`, pageUrl).href;
    const res = await fetch(url);
    assert(res.ok, `GET ${url}: HTTP ${res.status}`);
    const body = await res.json();
    assert(body.from === from && Array.isArray(body.inputs) && Number.isInteger(body.len) && body.config,
      `GET ${url}: not {config, from, inputs, len}: ${JSON.stringify(body).slice(0, 300)}`);
    inputs.push(...body.inputs);
    len = body.len;
    if (body.inputs.length === 0) break;
    from += body.inputs.length;
  }
  return inputs;
}

// ---------------------------------------------------------------------------
// The live page as a person sees it.

const banner = (page) => page.locator('.live-banner[role="status"]');
const liveBanner = (page, kind) => page.locator(`.live-banner[role="status"][data-live="${kind}"]`);

/**
 * Opens `url` in a fresh page, noting every resource that fails to load with
 * its URL in `failed` (the runner's own check names only the console's
 * "Failed to load resource", not what: e.g. a favicon the page never declared).
 */
async function openPage(t, url, viewport, failed) {
  const page = await t.newPage({ viewport, url: null });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Failed to load resource/.test(msg.text())) {
      failed.push(`${msg.location().url || '?'} (${msg.text().replace(/^Failed to load resource: /, '')})`);
    }
  });
  if (url) await page.goto(url, { waitUntil: 'load' });
  return page;
}

/** Adds the resources that failed to load to `p`. */
function checkResources(failed, p) {
  p.check(failed.length === 0, `resources that failed to load: ${[...new Set(failed)].join('; ')}`);
}

/** Waits for the live banner saying `kind` (LIVE or RECORDED). */
async function waitForBanner(page, kind, timeout = BOOT_TIMEOUT) {
  try {
    await liveBanner(page, kind).waitFor({ state: 'visible', timeout });
  } catch {
    const other = await banner(page).getAttribute('data-live').catch(() => null);
    const body = (await page.locator('body').innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 400);
    throw new AssertionError(
      `${page.url().slice(0, 120)}: no live banner with data-live="${kind}" within ${timeout} ms` +
        `${other ? ` (it says data-live="${other}")` : ''}; body text: "${body}"`,
    );
  }
}

/** The banner's text and its "N clients so far, M records." numbers. */
async function bannerCounts(page) {
  const text = (await banner(page).innerText()).replace(/\s+/g, ' ').trim();
  const m = text.match(/(\d+) clients? so far, (\d+) records?\./);
  return { text, clients: m ? Number(m[1]) : null, records: m ? Number(m[2]) : null };
}

/** Waits until the banner counts `min` records or more; returns the counts. */
async function waitForRecords(page, min, what, timeout = FOLLOW_TIMEOUT) {
  let last = { text: '' };
  try {
    await waitFor(async () => {
      last = await bannerCounts(page);
      return last.records !== null && last.records >= min;
    }, { timeout, interval: 100 });
  } catch {
    throw new AssertionError(`${what}: the live banner never counted ${min} records within ${timeout} ms; it says "${last.text}"`);
  }
  return last;
}

/**
 * Where the stage names `name`: in drawn text (a <text> of the large stage
 * holding the whole name, or 10 characters or more of it cut by "…" at its
 * end or in its middle, when its group's tooltip holds the whole name), or only in a tooltip or
 * accessible name.
 */
async function stageNaming(page, name) {
  return page.evaluate((name) => {
    const svg = document.querySelector('.stage-wrap svg.stage');
    if (!svg) return { stage: false, drawn: false, named: false, texts: [] };
    const texts = [...svg.querySelectorAll('text')];
    const tooltip = (el) => {
      const g = el.closest('g');
      const title = g && g.querySelector(':scope > title');
      return (title ? title.textContent : '') + (g ? g.getAttribute('aria-label') || '' : '');
    };
    const drawn = texts.findIndex((t) => {
      const s = t.textContent.replace(/\s+/g, ' ').trim();
      if (s.includes(name)) return true;
      // Cut at its end ("kafka-pytho…") or in its middle ("kafka…cer-1").
      const i = s.indexOf('…');
      if (i < 0) return false;
      const head = s.slice(0, i), tail = s.slice(i + 1);
      return head.length + tail.length >= 10 && name.startsWith(head) && name.endsWith(tail) && tooltip(t).includes(name);
    });
    const named = [...svg.querySelectorAll('[aria-label], title')].some((n) =>
      (n.getAttribute('aria-label') || n.textContent || '').includes(name));
    return {
      stage: true,
      drawn: drawn >= 0,
      drawnIndex: drawn,
      named,
      texts: [...new Set(texts.map((t) => t.textContent.replace(/\s+/g, ' ').trim()).filter(Boolean))].slice(0, 40),
    };
  }, name);
}

/** Waits until the stage draws `name` as text; returns the <text> locator. */
async function waitForClientOnStage(page, name, what, timeout = FOLLOW_TIMEOUT) {
  let last = null;
  try {
    await waitFor(async () => (last = await stageNaming(page, name)).drawn, { timeout, interval: 100 });
  } catch {
    const where = !last || !last.stage
      ? 'there is no .stage-wrap svg.stage'
      : last.named
        ? 'it is only in a tooltip or accessible name, not drawn'
        : 'the stage does not name it at all';
    throw new AssertionError(`${what}: the stage does not draw the client "${name}" within ${timeout} ms: ${where}; ` +
      `the stage's texts: ${JSON.stringify(last?.texts ?? [])}`);
  }
  return page.locator('.stage-wrap svg.stage text').nth(last.drawnIndex);
}

/**
 * A client's drawn name is seen (seenInPage) and lies inside its card (the
 * box of its <g>: `rect.producer-box`, `rect.consumer-box`, …), so it runs
 * over nothing else. Adds what is wrong to `p`.
 */
async function checkNameFitsItsCard(label, what, p) {
  const seen = await label.evaluate(seenInPage);
  p.check(seen.ok, `${what} is not visible to a person: ${seen.why}`);
  const r = await label.evaluate((el) => {
    const g = el.closest('g');
    const box = g && g.querySelector(':scope > rect');
    if (!box) return { ok: true };
    const t = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const round = (x) => Math.round(x * 10) / 10;
    return {
      ok: t.left >= b.left - 1 && t.right <= b.right + 1 && t.top >= b.top - 1 && t.bottom <= b.bottom + 1,
      text: el.textContent,
      card: `${g.getAttribute('class')} > ${box.getAttribute('class')}`,
      t: [t.left, t.right, t.top, t.bottom].map(round),
      b: [b.left, b.right, b.top, b.bottom].map(round),
    };
  });
  p.check(r.ok, `${what}: "${r.text}" runs out of its card (${r.card}): the text spans x ${r.t[0]}–${r.t[1]}, ` +
    `y ${r.t[2]}–${r.t[3]}; the card x ${r.b[0]}–${r.b[1]}, y ${r.b[2]}–${r.b[3]}`);
}

/** Share / "Save as link": the link the dialog offers. */
async function savedLink(page) {
  const button = page.getByRole('button', { name: /^\s*(Share|Save as link)\s*$/i });
  const n = await button.count();
  assert(n === 1, `expected one button named "Share" or "Save as link" on the live page, found ${n}`);
  await button.click();
  const field = page.getByRole('textbox', { name: 'Link', exact: true });
  await field.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {
    throw new AssertionError('the Share / "Save as link" button opened no dialog with a textbox named "Link"');
  });
  const dialog = page.getByRole('dialog').filter({ has: field });
  assert((await dialog.count()) === 1, 'the Link field is not inside a role="dialog"');
  const link = await field.inputValue();
  assert(link.includes('#'), `the Link field holds no fragment: "${link.slice(0, 200)}"`);
  return { link, fragment: link.slice(link.indexOf('#') + 1), dialog };
}

/**
 * Opens `<static site>/#<fragment>` in a fresh page: the course page hands a
 * live run's link to live/, which plays it back. Returns the page at the end
 * of the recording (End pressed), with its banner counts.
 */
async function openRecorded(t, fragment, viewport, what, failed) {
  const url = new URL(`#${fragment}`, t.baseUrl).href;
  const page = await openPage(t, url, viewport, failed);
  const wantPath = new URL('live/', t.baseUrl).pathname;
  const deadline = Date.now() + BOOT_TIMEOUT;
  while (new URL(page.url()).pathname !== wantPath) {
    // The course page refused the link instead of handing it on: say why at once.
    const refused = await page.getByRole('alertdialog').allInnerTexts().catch(() => []);
    const where = `${what}: ${url.slice(0, 100)}… did not land on ${wantPath} (it is at ${page.url().slice(0, 120)})`;
    assert(refused.length === 0, `${where}; the page says: "${refused.join(' | ').replace(/\s+/g, ' ').slice(0, 300)}"`);
    assert(Date.now() < deadline, `${where} within ${BOOT_TIMEOUT} ms`);
    await sleep(100);
  }
  const hash = new URL(page.url()).hash;
  assert(hash.startsWith('#v1.'), `${what}: the page on ${wantPath} has no v1 link in its address: "${hash.slice(0, 80)}"`);
  await waitForBanner(page, 'RECORDED');
  const alerts = await page.getByRole('alert').allInnerTexts();
  assert(alerts.length === 0, `${what}: the recorded run shows an alert: ${alerts.join(' | ')}`);
  await blurActive(page);
  await page.keyboard.press('End');
  return page;
}

/** No horizontal scroll; the live banner inside the viewport and not covered. */
async function checkBannerSeen(page, label, p) {
  // As the page opens, unscrolled: the banner says what is live, so it is seen first.
  try {
    await assertSeen(banner(page), `${label}: the live banner`);
  } catch (err) {
    p.add(err.message);
  }
  const w = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, inner: innerWidth }));
  p.check(w.doc <= w.inner, `${label}: horizontal scroll (documentElement.scrollWidth ${w.doc} > ${w.inner})`);
  const box = await banner(page).boundingBox();
  p.check(box && box.x >= 0 && box.x + box.width <= w.inner + 0.5,
    `${label}: the live banner sticks out of the ${w.inner} px wide viewport: ${JSON.stringify(box)}`);
}

/** Runs `fn(procs)` and kills every child it started, whatever happens. */
async function withChildren(fn) {
  const procs = [];
  try {
    return await fn(procs);
  } finally {
    await Promise.allSettled(procs.map(stopChild));
  }
}

// ---------------------------------------------------------------------------

export const liveTests = [
  {
    name: 'live_page_shows_real_clients_and_saves_a_link_that_replays',
    tags: ['live'],
    timeout: 240_000,
    fn: (t) => withChildren(async (procs) => {
      skipIfAsked();
      const pageDir = livePageDir(t);
      const live = await startLive(pageDir, procs);
      // What does not stop the story (a label out of its card) is collected and reported at the end.
      const p = problems();
      const viewport = { width: 1280, height: 800 };
      const failed = [];
      const page = await openPage(t, live.pageUrl, viewport, failed);
      await waitForBanner(page, 'LIVE');
      const before = await bannerCounts(page);
      assert(before.records === 0 && before.clients === 0,
        `before any client connected the banner should count 0 clients and 0 records: "${before.text}"`);
      // The strip tells a student where to point a client: this process's broker 0.
      assert(before.text.includes(`bootstrap_servers='${live.bootstrap}'`),
        `the live strip does not name the bootstrap server ${live.bootstrap}: "${before.text}"`);

      const sent = await runCourseProducer(live.bootstrap, procs, live);
      const clientId = sent.client_id;
      const counted = await waitForRecords(page, sent.sent.length, 'the live page');
      assert(counted.clients >= 1, `the banner counts no client after the producer ran: "${counted.text}"`);
      const drawn = await waitForClientOnStage(page, clientId, 'the live page');
      await checkNameFitsItsCard(drawn, `the producer's name on the live stage (1280x800)`, p);
      await t.screenshot(page, 'live-1280x800');

      // Save the run as a link (the count is stable: the producer has ended).
      await sleep(600);
      const saved = await bannerCounts(page);
      const { link, fragment, dialog } = await savedLink(page);
      assert(fragment.startsWith('v1.'), `the saved link is not a v1 link: "${link.slice(0, 200)}"`);
      await t.screenshot(page, 'save-dialog');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached', timeout: 3000 }).catch(() => {});

      // On the static site (not the live process): it lands on live/ and plays back.
      const recorded = await openRecorded(t, fragment, viewport, 'the saved link on the static site', failed);
      const replayed = await waitForRecords(recorded, saved.records, 'the recording after End');
      assert(replayed.records === saved.records && replayed.clients === saved.clients,
        `the recording at its end counts ${replayed.clients} clients and ${replayed.records} records, ` +
          `the live page counted ${saved.clients} and ${saved.records} when it was saved ("${replayed.text}")`);
      const drawnAgain = await waitForClientOnStage(recorded, clientId, 'the recording after End');
      await checkNameFitsItsCard(drawnAgain, `the producer's name on the recording's stage (1280x800)`, p);
      await t.screenshot(recorded, 'recorded-1280x800');

      // No process needed: stop it (its page first, which would lose its polls), open the link again.
      await page.context().close();
      await recorded.context().close();
      await stopChild(live.proc);
      const offline = await openRecorded(t, fragment, viewport, 'the saved link with the live process stopped', failed);
      const again = await waitForRecords(offline, saved.records, 'the recording (process stopped) after End');
      assert(again.records === saved.records, `with the process stopped the recording counts ${again.records} records, not ${saved.records}`);
      await waitForClientOnStage(offline, clientId, 'the recording (process stopped)');
      await t.screenshot(offline, 'recorded-offline');
      checkResources(failed, p);
      p.done('the live run and its link work, but');
    }),
  },

  {
    name: 'live_page_fault_acts_on_the_real_process',
    tags: ['live'],
    timeout: 120_000,
    fn: (t) => withChildren(async (procs) => {
      skipIfAsked();
      const live = await startLive(livePageDir(t), procs);
      const failed = [];
      const page = await openPage(t, live.pageUrl, { width: 1280, height: 800 }, failed);
      await waitForBanner(page, 'LIVE');
      const crash = page.getByRole('button', { name: /^Broker 1 ✕ crash/ });
      await crash.waitFor({ state: 'visible', timeout: FOLLOW_TIMEOUT }).catch(() => {
        throw new AssertionError('the live stage has no button "Broker 1 ✕ crash…" (broker 1, running)');
      });
      const linesBefore = live.proc.lines.length;
      await crash.click();

      // The process answered: it prints `live: <answer>`, the banner shows the same answer.
      const said = (await waitForLine(live.proc, 'answer to the crash (a `live: …crash…` line)', (l) => /^live: .*crash/i.test(l), {
        from: linesBefore,
        timeout: FOLLOW_TIMEOUT,
      })).slice('live: '.length);
      assert(/\b1\b/.test(said) && !/unknown|not |error|refused/i.test(said), `the process did not crash broker 1: "live: ${said}"`);
      const status = page.locator('.live-banner .live-status');
      let shown = '';
      await waitFor(async () => (shown = ((await status.allInnerTexts()).join(' ')).replace(/\s+/g, ' ').trim()).includes(said), {
        timeout: FOLLOW_TIMEOUT,
        describe: () => `.live-status to show the process's answer "${said}" (it shows "${shown}")`,
      });

      // The tape has the command, so the page's engine (and anyone replaying it) crashes broker 1 too.
      const tape = await fetchTape(live.pageUrl);
      const commands = tape.filter((i) => i && typeof i === 'object' && 'Command' in i);
      assert(commands.some((c) => /crash/i.test(JSON.stringify(c)) && c.Command.broker === 1),
        `GET api/tape has no Command crashing broker 1 (${tape.length} inputs; commands: ${JSON.stringify(commands)})`);

      // The stage shows broker 1 down.
      const restart = page.getByRole('button', { name: /^Broker 1 ▶ restart/ });
      await restart.waitFor({ state: 'visible', timeout: FOLLOW_TIMEOUT }).catch(async () => {
        const names = await page.locator('.stage-wrap svg.stage [aria-label^="Broker"]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
        throw new AssertionError(`after the process crashed broker 1 the stage does not show it crashed: ${JSON.stringify(names)}`);
      });
      const down = await page.locator('.stage-wrap svg.stage g.broker.down').count();
      assert(down === 1, `${down} brokers are drawn down (g.broker.down), expected 1`);
      const alerts = await page.getByRole('alert').allInnerTexts();
      assert(alerts.length === 0, `the page shows an alert after the crash: ${alerts.join(' | ')}`);
      await t.screenshot(page, 'broker-1-crashed');
      const p = problems();
      checkResources(failed, p);
      p.done('the fault worked, but');
    }),
  },

  {
    name: 'live_banner_is_seen_and_axe_clean_at_1920x1080_and_375x667',
    tags: ['live'],
    timeout: 120_000,
    fn: (t) => withChildren(async (procs) => {
      skipIfAsked();
      const live = await startLive(livePageDir(t), procs);
      // The banner's whole text: a client and its records counted.
      await runCourseProducer(live.bootstrap, procs, live);
      const p = problems();
      const failed = [];
      for (const viewport of [{ width: 1920, height: 1080 }, { width: 375, height: 667 }]) {
        const label = `${viewport.width}x${viewport.height}`;
        const page = await openPage(t, live.pageUrl, viewport, failed);
        await waitForBanner(page, 'LIVE');
        await waitForRecords(page, 10, label);
        await checkBannerSeen(page, label, p);
        // The live page passes axe-core as the course page does.
        const violations = await runAxe(page);
        p.check(violations.length === 0, `${label}: axe-core violations on the live page:\n${describeAxe(violations)}`);
        await t.screenshot(page, `live-${label}`);
        await page.context().close();
      }
      checkResources(failed, p);
      p.done('the live banner is not seen, or the page is not clean');
    }),
  },
];
