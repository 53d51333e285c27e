// Benchmark W1 (issue #3) in Node: loads the wasm-bindgen (--target nodejs)
// package built by scripts/bench-wasm.sh and times run_w1 with performance.now().
// Mirrors benches/cluster_bench.rs: warm up with 2,000 records, then best of 5
// runs of 100,000 records.
//
// Usage: node bench/wasm/run.mjs [pkg-dir]   (default: target/bench-wasm/pkg)
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.resolve(process.argv[2] ?? path.join(here, '../../target/bench-wasm/pkg'));
const require = createRequire(import.meta.url);
const { run_w1, run_w1_full } = require(path.join(pkgDir, 'kafkascope_bench_wasm.js'));

const RECORDS = 100_000;
const RUNS = 5;

const warm = run_w1(2_000);
if (warm !== 2_000) throw new Error(`warm-up acked ${warm} of 2000 records`);

let best = Infinity;
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  const acked = run_w1(RECORDS);
  const secs = (performance.now() - t0) / 1000;
  if (acked !== RECORDS) throw new Error(`run ${i}: acked ${acked} of ${RECORDS} records`);
  best = Math.min(best, secs);
}

console.log(
  `W1 wasm (node): best ${best.toFixed(3)} s = ${(RECORDS / best / 1e6).toFixed(2)} M records/s`,
);

// W1 in full (issue #12): the same producer plus a group of 4 consumers that
// process and commit each record; best of 3.
let bestFull = Infinity;
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const processed = run_w1_full(RECORDS);
  const secs = (performance.now() - t0) / 1000;
  if (processed !== RECORDS) throw new Error(`W1 full run ${i}: processed ${processed} of ${RECORDS} records`);
  bestFull = Math.min(bestFull, secs);
}
console.log(
  `W1 full wasm (node): best ${bestFull.toFixed(3)} s = ${(RECORDS / bestFull / 1e6).toFixed(2)} M records/s`,
);
