import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccordApp } from './app.ts';

/**
 * Serves the built web application (packages/web/dist) on the same origin as the API: hashed
 * assets under /assets/ cached for a year (their names change with their content), index.html
 * never cached, and every other GET that is not an API, docs or probe path answered with
 * index.html so that the browser's router can show the page (deep links, reloads).
 *
 * The files are read once at start-up into memory (the build is a few hundred kilobytes): no
 * path from a request ever reaches the file system, so there is nothing to traverse.
 */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../../web/dist', import.meta.url));

/** The SPA's policy: scripts and styles only from this origin, no inline script, no framing. */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface WebFile {
  body: Buffer;
  type: string;
  immutable: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** The built files keyed by URL path, or null when the application has not been built. */
export function loadWebFiles(dir = DEFAULT_WEB_DIR): Map<string, WebFile> | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const files = new Map<string, WebFile>();
  for (const p of walk(dir)) {
    const url = '/' + relative(dir, p).split(sep).join('/');
    if (url.endsWith('.map')) continue; // source maps stay on disk
    files.set(url, {
      body: readFileSync(p),
      type: TYPES[extname(p)] ?? 'application/octet-stream',
      immutable: url.startsWith('/assets/'),
    });
  }
  return files;
}

/** Paths the SPA fallback must never answer: they belong to the API, its docs and the probes. */
const SERVER_PATHS = /^\/(api|healthz|readyz)(\/|$|\?)/;

export function webAppRoutes(app: AccordApp, files: Map<string, WebFile>) {
  const index = files.get('/index.html')!;
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (SERVER_PATHS.test(path)) {
      return reply.status(404).send({
        error: { code: 'not_found', message: `no route GET ${path}`, requestId: String(req.id) },
      });
    }
    const file = files.get(path);
    // A missing asset is a 404 (a stale tab asking for an old chunk must not get HTML as script).
    if (!file && path.startsWith('/assets/')) {
      return reply.status(404).type('text/plain; charset=utf-8').send('not found');
    }
    const f = file && file !== index ? file : index;
    void reply.header('content-type', f.type);
    void reply.header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (f === index) {
      void reply.header('content-security-policy', WEB_CSP);
      void reply.header('x-frame-options', 'DENY');
    }
    return reply.send(f.body);
  });
}
