// What the end-to-end tests read from the project rather than keep copies of:
// the built-in lessons and the presets, from the kafkascope CLI's JSON
// (`kafkascope lesson list --json`: INDEX of src/lesson.rs in gallery order with
// each lesson's title, stops and questions; `kafkascope presets --json`: the
// preset table in menu order), the golden link corpus tests/data/links/v1.txt,
// and a lesson's file as the server under test serves it.
//
// The CLI is $KAFKASCOPE_BIN when set (a built `kafkascope` binary), otherwise
// `cargo run --quiet --bin kafkascope --` in the repository ($CARGO overrides
// `cargo`), which builds it first if it is not up to date; scripts/test.sh runs
// the end-to-end tests after `cargo test`, so there it is already built. Each
// command runs once per run (the output is cached).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HERE, assert } from './lib.mjs';

export const REPO = path.resolve(HERE, '..', '..');

// ---------------------------------------------------------------------------
// The kafkascope CLI.

const cliOutput = new Map();

/** The standard output of `kafkascope ...args` (run once per run, then cached). */
export function kafkascope(...args) {
  const key = JSON.stringify(args);
  if (!cliOutput.has(key)) {
    const bin = process.env.KAFKASCOPE_BIN;
    const [cmd, argv] = bin
      ? [bin.includes('/') ? path.resolve(bin) : bin, args]
      : [process.env.CARGO || 'cargo', ['run', '--quiet', '--bin', 'kafkascope', '--', ...args]];
    try {
      // stderr goes to ours: cargo's build errors, the CLI's own complaints.
      cliOutput.set(key, execFileSync(cmd, argv, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 }));
    } catch (err) {
      const why = err.code === 'ENOENT' ? `${cmd} not found` : `exit ${err.status ?? err.signal}`;
      throw new Error(
        `\`${[cmd, ...argv].join(' ')}\` failed (${why}); the end-to-end tests read the lessons and presets from the ` +
          'kafkascope CLI: set KAFKASCOPE_BIN to a built binary (cargo build --bin kafkascope) or make cargo available',
      );
    }
  }
  return cliOutput.get(key);
}

function cliJson(...args) {
  const out = kafkascope(...args);
  try {
    return JSON.parse(out);
  } catch (err) {
    throw new Error(`kafkascope ${args.join(' ')}: not JSON (${err.message}): ${out.slice(0, 200)}`);
  }
}

/**
 * The built-in lessons in gallery order (INDEX of src/lesson.rs), from
 * `kafkascope lesson list --json`: [{ id, section, title, summary, scenario, url,
 * stops, questions, beats: [{ step, question: { prompt, choices, answer } | null }] }].
 */
export function lessonIndex() {
  const list = cliJson('lesson', 'list', '--json');
  assert(Array.isArray(list) && list.length > 0 && list.every((l) => l.id && l.section && l.title),
    `kafkascope lesson list --json: not a list of lessons with id, section and title: ${JSON.stringify(list).slice(0, 200)}`);
  return list;
}

/** The presets in menu order, from `kafkascope presets --json`: [{ id, title, summary, lanes }]. */
export function presetList() {
  const list = cliJson('presets', '--json');
  assert(Array.isArray(list) && list.length > 0 && list.every((p) => p.id && p.title),
    `kafkascope presets --json: not a list of presets with id and title: ${JSON.stringify(list).slice(0, 200)}`);
  return list;
}

/** Every preset id, in menu order (the preset table, src/presets/table.rs). */
/** The presets the course page runs itself (the others are handed to full/). */
export const presetIds = () => presetList().filter((p) => !p.page).map((p) => p.id);

// ---------------------------------------------------------------------------
// The golden link corpus and the lesson files as served.

/** The golden corpus: [{ line, description, expect, link }]. */
export function goldenLinks() {
  const lines = readFileSync(path.join(REPO, 'tests', 'data', 'links', 'v1.txt'), 'utf8').split('\n');
  const out = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = lines[i].match(/^# (.*) => (.*)$/);
    if (!m || !lines[i + 1].trim() || lines[i + 1].startsWith('#')) continue;
    out.push({ line: i + 2, description: m[1], expect: m[2].trim(), link: lines[i + 1].trim() });
  }
  return out;
}

/**
 * The parts of a lesson file the tests need (format in src/lesson.rs):
 * { id, title, beats: [{ step, question: { choices, answer } | null }] }.
 */
export function parseLesson(text) {
  const lesson = { id: '', title: '', beats: [] };
  let beat = null;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('#')) continue;
    let m;
    if ((m = line.match(/^step\s+(\d+)\s*$/))) {
      beat = { step: Number(m[1]), question: null };
      lesson.beats.push(beat);
    } else if (!beat && (m = line.match(/^(lesson|title):\s*(.*)$/))) {
      lesson[m[1] === 'lesson' ? 'id' : 'title'] = m[2].trim();
    } else if (beat && line.startsWith('ask:')) {
      beat.question = { choices: [], answer: -1 };
    } else if (beat && beat.question && (m = line.match(/^([-*]) (.*)$/))) {
      if (m[1] === '*') beat.question.answer = beat.question.choices.length;
      beat.question.choices.push(m[2].trim());
    }
  }
  return lesson;
}

export async function fetchLesson(baseUrl, id) {
  const url = new URL(`lessons/${id}.lesson`, baseUrl).href;
  const res = await fetch(url);
  assert(res.ok, `GET ${url}: HTTP ${res.status}`);
  const lesson = parseLesson(await res.text());
  assert(lesson.id === id && lesson.title && lesson.beats.length > 0, `${url} does not parse as lesson "${id}"`);
  return lesson;
}

/**
 * The page a query runs on: presets (and lessons on them) of Kafka 4's
 * consumer protocol run on the full page, `full/` beside the course page,
 * whose bundle carries it (`page` in `kafkascope presets --json`).
 */
let fullIds = null;
export function pageFor(query) {
  if (!fullIds) {
    const presets = presetList().filter((p) => p.page === 'full/').map((p) => p.id);
    const lessons = lessonIndex().filter((l) => presets.includes(l.scenario)).map((l) => l.id);
    fullIds = new Set([...presets, ...lessons]);
  }
  const m = /(?:preset|lesson)=([\w-]+)/.exec(query || '');
  return m && fullIds.has(m[1]) ? 'full/' : './';
}

/** The lessons the course page plays itself (see `pageFor`). */
export const coursePageLessons = () => lessonIndex().filter((l) => pageFor(`lesson=${l.id}`) === './');
