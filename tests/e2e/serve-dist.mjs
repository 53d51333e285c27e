#!/usr/bin/env node
// Tiny static file server for kafkascope's dist/ (or any directory).
//
//   node tests/e2e/serve-dist.mjs [--dir dist] [--host 127.0.0.1] [--port 8080]
//                                 [--base /course/kafkascope/]...
//
// The directory is served at "/" and, in addition, under every --base sub-path
// (e.g. http://127.0.0.1:8080/course/kafkascope/), which checks that the build
// only uses relative asset URLs. --port 0 picks a free port. Prints one line
// "serving DIR at URL" per mount point once listening. Loopback only by default.
//
// Also importable: `const srv = await startServer({ dir, port: 0, bases: [...] })`
// gives { url, port, close() }.
import { createServer } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

function normaliseBase(base) {
  let b = String(base || '/').trim();
  if (!b.startsWith('/')) b = `/${b}`;
  if (!b.endsWith('/')) b = `${b}/`;
  return b;
}

/** Resolve a request path to a file inside root, or null (never escapes root). */
async function resolveFile(root, relPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(relPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  if (full !== root && !full.startsWith(root + path.sep)) return null;
  try {
    let st = await fs.stat(full);
    let file = full;
    if (st.isDirectory()) {
      file = path.join(full, 'index.html');
      st = await fs.stat(file);
    }
    return st.isFile() ? { file, size: st.size } : null;
  } catch {
    return null;
  }
}

export async function startServer({ dir = 'dist', host = '127.0.0.1', port = 0, bases = [], quiet = true } = {}) {
  const root = path.resolve(dir);
  const st = await fs.stat(root).catch(() => null);
  if (!st || !st.isDirectory()) throw new Error(`serve-dist: not a directory: ${root}`);
  // Longest mount first, so /course/kafkascope/ wins over /.
  const mounts = [...new Set(['/', ...bases.map(normaliseBase)])].sort((a, b) => b.length - a.length);

  const server = createServer(async (req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
    let pathname;
    try {
      pathname = new URL(req.url, 'http://localhost').pathname;
    } catch {
      return send(400, 'bad request\n');
    }
    // A mount point without its trailing slash: redirect so relative URLs resolve.
    const bare = mounts.find((m) => m !== '/' && pathname === m.slice(0, -1));
    if (bare) return send(301, 'moved\n', { location: bare });
    const mount = mounts.find((m) => pathname.startsWith(m));
    const found = await resolveFile(root, pathname.slice(mount.length));
    if (!found) {
      if (!quiet) console.log(`404 ${req.method} ${req.url}`);
      return send(404, 'not found\n');
    }
    const type = MIME_TYPES[path.extname(found.file).toLowerCase()] || 'application/octet-stream';
    res.writeHead(200, {
      'content-type': type,
      'content-length': found.size,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(found.file)
      .on('error', () => res.destroy())
      .pipe(res);
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`;
  return {
    server,
    port: actualPort,
    url,
    urls: mounts.map((m) => new URL(m, url).href).reverse(),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function parseArgs(argv) {
  const opts = { dir: 'dist', host: '127.0.0.1', port: 8080, bases: [], quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`);
      return argv[++i];
    };
    if (a === '--dir') opts.dir = next();
    else if (a === '--host') opts.host = next();
    else if (a === '--port') opts.port = Number(next());
    else if (a === '--base') opts.bases.push(next());
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: serve-dist.mjs [--dir DIR] [--host 127.0.0.1] [--port 8080] [--base /sub/path/]... [--quiet]');
      process.exit(0);
    } else if (!a.startsWith('-')) opts.dir = a;
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('bad --port');
  return opts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const srv = await startServer(opts);
    for (const u of srv.urls) console.log(`serving ${path.resolve(opts.dir)} at ${u}`);
    const stop = () => srv.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (err) {
    console.error(`serve-dist: ${err.message}`);
    process.exit(1);
  }
}
