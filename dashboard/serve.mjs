// Serves the built dashboard (dist/) on 127.0.0.1: `node serve.mjs [port]`. Any static web
// server does as well; this one needs nothing but Node.js. Only files under dist/ are served.
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.png': 'image/png' };

/** Starts a static server for `dir` on 127.0.0.1:`port` (0: any free port); resolves with it. */
export function serve(dir, port = 0, host = '127.0.0.1') {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = resolve(root, `.${path === '/' ? '/index.html' : path}`);
    if ((file !== root && !file.startsWith(`${root}/`)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  const dist = join(here, 'dist');
  if (!existsSync(join(dist, 'app.js'))) {
    console.error('dist/app.js is missing: run `node build.mjs` first');
    process.exit(2);
  }
  const server = await serve(dist, Number(process.argv[2] ?? 8080));
  console.log(`dashboard on http://127.0.0.1:${server.address().port}/`);
}
