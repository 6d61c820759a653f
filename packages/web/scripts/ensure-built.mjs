#!/usr/bin/env node
// Builds the web application when dist/ is missing or older than its sources, so that
// `npm run demo` and `npm start` always serve the current application. Prints what it did and how
// long the build took. Without the build tools (a production install with --omit=dev) it says so
// and leaves the server to show its plain landing page.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const contracts = fileURLToPath(new URL('../../contracts/src', import.meta.url));
const stamp = join(root, 'dist', 'index.html');

function newest(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(p).reduce((m, n) => Math.max(m, newest(join(p, n))), s.mtimeMs);
}

export function isStale() {
  if (!existsSync(stamp)) return true;
  const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(root, p));
  const latest = Math.max(...sources.filter(existsSync).map(newest), newest(contracts));
  return latest > statSync(stamp).mtimeMs;
}

export async function ensureBuilt({ force = false, quiet = false } = {}) {
  if (!force && !isStale()) return { built: false, ms: 0 };
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.warn('accord: the web application is not built and vite is not installed (npm ci installs it)');
    return { built: false, ms: 0 };
  }
  const t0 = performance.now();
  // Always a production build (React's production bundle), even from a test run (NODE_ENV=test).
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await vite.build({
      root,
      mode: 'production',
      logLevel: quiet ? 'silent' : 'warn',
      configFile: join(root, 'vite.config.ts'),
    });
  } finally {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
  }
  const ms = Math.round(performance.now() - t0);
  if (!quiet) console.log(`accord: web application built in ${(ms / 1000).toFixed(1)} s (packages/web/dist)`);
  return { built: true, ms };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureBuilt({ force: process.argv.includes('--force') });
}
