#!/usr/bin/env node
// Trunk post_build hook (see Trunk.toml): minifies wasm-bindgen's JS glue in
// the staging dir of a release build, shortens the names of the functions the
// wasm imports from it, and updates both files' integrity hashes in
// index.html.
//
// Why: trunk's own minifier cannot parse the glue's `export default`
// ("Failed to minify JS"), so the glue shipped unminified: 1.5 KB gzip of
// the 300 KB first-load budget. terser (npm, pinned in package.json) reads
// it fine. The page loads the glue as a module with a sha384 `integrity`
// attribute, so the hash must follow the new bytes or the browser refuses
// the script (the wasm is preloaded with one too).
//
// The import names: wasm-bindgen names each imported function
// `__wbg_<name>_<16 hex digits>` (147 of them), once in the wasm's import
// section and once as a key of the glue's imports object. The hex digits are
// random to brotli: 3.7 KB of the budget for names nobody reads. Both sides
// are renamed to `_0`, `_1`, … (base 36); the hook fails rather than ship a
// pair that no longer matches.
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

const fail = (why) => {
  console.error(`minify-glue: ${why}`);
  process.exit(1);
};
const sri = (bytes) => 'sha384-' + createHash('sha384').update(bytes).digest('base64');
const htmlPath = path.join(staging, 'index.html');
let html = readFileSync(htmlPath, 'utf8');
const replaceSri = (before, after) => {
  if (html.includes(sri(before))) html = html.split(sri(before)).join(sri(after));
};

// ---- wasm binary: LEB128 and the import section (id 2) ----
const readU32 = (b, at) => {
  let n = 0;
  let shift = 0;
  for (;;) {
    const x = b[at++];
    n += (x & 0x7f) * 2 ** shift;
    shift += 7;
    if (x < 0x80) return [n, at];
  }
};
const u32 = (n) => {
  const out = [];
  do {
    let x = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) x |= 0x80;
    out.push(x);
  } while (n > 0);
  return Buffer.from(out);
};
const name = (s) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);

/** The wasm with its hashed function imports renamed; the renames, old → new. */
function renameImports(wasm) {
  const renames = new Map();
  const parts = [wasm.subarray(0, 8)];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, bodyAt] = readU32(wasm, at + 1);
    const end = bodyAt + size;
    if (id !== 2) {
      parts.push(wasm.subarray(at, end));
      at = end;
      continue;
    }
    let [count, p] = readU32(wasm, bodyAt);
    const body = [u32(count)];
    for (let i = 0; i < count; i++) {
      let len;
      [len, p] = readU32(wasm, p);
      const module = wasm.toString('utf8', p, p + len);
      p += len;
      [len, p] = readU32(wasm, p);
      const field = wasm.toString('utf8', p, p + len);
      p += len;
      // The import's kind and description, copied as they are (a function
      // import's is its type index).
      const kind = wasm[p];
      if (kind !== 0) fail(`import ${module}.${field} is not a function (kind ${kind})`);
      const [, descEnd] = readU32(wasm, p + 1);
      const desc = wasm.subarray(p, descEnd);
      p = descEnd;
      let renamed = field;
      if (/^__wbg_\w+_[0-9a-f]{16}$/.test(field)) {
        renamed = '_' + renames.size.toString(36);
        renames.set(field, renamed);
      }
      body.push(name(module), name(renamed), desc);
    }
    if (p !== end) fail('the import section is not what this hook expects');
    const section = Buffer.concat(body);
    parts.push(Buffer.from([2]), u32(section.length), section);
    at = end;
  }
  return [Buffer.concat(parts), renames];
}

const wasmFiles = readdirSync(staging).filter((f) => f.endsWith('.wasm'));
const jsFiles = readdirSync(staging).filter((f) => f.endsWith('.js'));
if (wasmFiles.length !== 1 || jsFiles.length !== 1) {
  fail(`expected one .wasm and one .js in ${staging}, found ${wasmFiles.length} and ${jsFiles.length}`);
}

const wasmPath = path.join(staging, wasmFiles[0]);
const wasm = readFileSync(wasmPath);
const [renamedWasm, renames] = renameImports(wasm);

const jsPath = path.join(staging, jsFiles[0]);
const source = readFileSync(jsPath, 'utf8');
const result = await minify(source, { module: true, compress: { passes: 2 }, mangle: true });
if (!result.code) fail(`terser gave nothing for ${jsFiles[0]}`);
let code = result.code;
for (const [from, to] of renames) {
  // Each hashed name is a key of the imports object, and nothing else.
  const uses = code.split(from).length - 1;
  if (uses !== 1) fail(`${from} occurs ${uses} times in the glue, expected once`);
  code = code.replace(`${from}:`, `${to}:`);
  if (code.includes(from)) fail(`${from} is not an object key in the glue`);
}

writeFileSync(wasmPath, renamedWasm);
replaceSri(wasm, renamedWasm);
writeFileSync(jsPath, code);
replaceSri(source, code);
writeFileSync(htmlPath, html);
console.log(
  `minify-glue: ${jsFiles[0]} ${source.length} -> ${code.length} bytes; ` +
    `${renames.size} wasm imports renamed, ${wasmFiles[0]} ${wasm.length} -> ${renamedWasm.length} bytes`,
);
