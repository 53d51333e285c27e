#!/usr/bin/env node
// Trunk post_build hook (see Trunk.toml): minifies wasm-bindgen's JS glue in
// the staging dir of a release build, and updates its integrity hash in
// index.html.
//
// Why: trunk's own minifier cannot parse the glue's `export default`
// ("Failed to minify JS"), so the glue shipped unminified: 1.5 KB gzip of
// the 300 KB first-load budget. terser (npm, pinned in package.json) reads
// it fine. The page loads the glue as a module with a sha384 `integrity`
// attribute, so the hash must follow the new bytes or the browser refuses
// the script.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { minify } from 'terser';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error('minify-glue: TRUNK_STAGING_DIR is not set (run me as a trunk hook)');
  process.exit(1);
}
if (process.env.TRUNK_PROFILE !== 'release') process.exit(0);

const sri = (bytes) => 'sha384-' + createHash('sha384').update(bytes).digest('base64');
const htmlPath = path.join(staging, 'index.html');
let html = readFileSync(htmlPath, 'utf8');

for (const name of readdirSync(staging).filter((f) => f.endsWith('.js'))) {
  const file = path.join(staging, name);
  const source = readFileSync(file, 'utf8');
  const result = await minify(source, { module: true, compress: { passes: 2 }, mangle: true });
  if (!result.code || result.code.length >= source.length) continue;
  const before = sri(source);
  const after = sri(result.code);
  if (html.includes(before)) html = html.split(before).join(after);
  writeFileSync(file, result.code);
  console.log(`minify-glue: ${name} ${source.length} -> ${result.code.length} bytes`);
}
writeFileSync(htmlPath, html);
