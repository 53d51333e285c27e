// What the end-to-end tests read from the project rather than keep copies of:
// the built-in lessons and the presets, from the kafkascope CLI's JSON
// (`kafkascope lesson list --json`: INDEX of src/lesson.rs in gallery order with
// each lesson's title, stops and questions; `kafkascope presets --json`: the
// preset table in menu order), never by parsing Rust source.
//
// The CLI is $KAFKASCOPE_BIN when set (a built `kafkascope` binary), otherwise
// `cargo run --quiet --bin kafkascope --` in the repository ($CARGO overrides
// `cargo`), which builds it first if it is not up to date; scripts/test.sh runs
// the end-to-end tests after `cargo test`, so there it is already built. Each
// command runs once per run (the output is cached).
import { execFileSync } from 'node:child_process';
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
export const presetIds = () => presetList().map((p) => p.id);
