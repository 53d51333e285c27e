// Time-travel seek benchmark (issue #6) in Node: loads the wasm-bindgen
// package built by scripts/bench-wasm.sh with the web app's own release
// profile (opt-level "z") and times 300 seeks to pseudo-random steps of a
// 100,000-record run (S100k), one by one, with performance.now().
// Mirrors benches/seek_bench.rs.
//
// Usage: node bench/wasm/seek.mjs [pkg-dir]   (default: target/bench-wasm-z/pkg)
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.resolve(process.argv[2] ?? path.join(here, '../../target/bench-wasm-z/pkg'));
const require = createRequire(import.meta.url);
const { seek_prepare, seek_to } = require(path.join(pkgDir, 'kafkascope_bench_wasm.js'));

const RECORDS = Number(process.env.RECORDS ?? 100_000);
const t0 = performance.now();
const end = seek_prepare(RECORDS);
const playS = (performance.now() - t0) / 1000;

// The same xorshift sequence as the native bench.
let x = 0x9e3779b97f4a7c15n;
const mask = (1n << 64n) - 1n;
const times = [];
for (let i = 0; i < 300; i++) {
  x ^= (x << 13n) & mask;
  x ^= x >> 7n;
  x ^= (x << 17n) & mask;
  const target = Number(x % BigInt(end + 1));
  const t = performance.now();
  const at = seek_to(target);
  times.push(performance.now() - t);
  if (at !== target) throw new Error(`seek to ${target} landed on ${at}`);
}
times.sort((a, b) => a - b);
const pct = (p) => times[Math.floor((times.length - 1) * p)];
console.log(`S100k wasm (node, opt-level z): ${end} steps played in ${playS.toFixed(2)} s`);
console.log(
  `S100k wasm seek: median ${pct(0.5).toFixed(2)} ms, p99 ${pct(0.99).toFixed(2)} ms, ` +
    `worst ${times[times.length - 1].toFixed(2)} ms over ${times.length} seeks`,
);
