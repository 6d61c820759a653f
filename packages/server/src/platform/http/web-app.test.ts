import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { loadWebFiles, WEB_CSP, webAppRoutes } from './web-app.ts';
import type { AccordApp } from './app.ts';

describe('web application serving', () => {
  let dir: string;
  let app: ReturnType<typeof Fastify>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-web-dist-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js.map'), '{}');
    fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg/>');
    app = Fastify();
    app.get('/api/v1/real', async () => ({ ok: true }));
    webAppRoutes(app as unknown as AccordApp, loadWebFiles(dir)!);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is absent when the application has not been built', () => {
    expect(loadWebFiles(path.join(dir, 'nowhere'))).toBeNull();
  });

  it('answers deep links with index.html under a strict CSP, never cached', async () => {
    for (const url of ['/', '/portfolio', '/orgs/1/alerts?status=open']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.body).toContain('id="root"');
      expect(r.headers['content-security-policy']).toBe(WEB_CSP);
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['x-frame-options']).toBe('DENY');
    }
    expect(WEB_CSP).toContain("script-src 'self'");
    expect(WEB_CSP).not.toContain('unsafe');
  });

  it('serves hashed assets for a year, with their type; source maps and unknown assets are 404', async () => {
    const js = await app.inject({ url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ url: '/favicon.svg' })).headers['content-type']).toBe('image/svg+xml');
    expect((await app.inject({ url: '/assets/index-abc123.js.map' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/assets/old-999.js' })).statusCode).toBe(404);
  });

  it('leaves API, docs and probe paths to the server: an unknown API path is the JSON 404', async () => {
    expect((await app.inject({ url: '/api/v1/real' })).json()).toEqual({ ok: true });
    for (const url of ['/api/v1/nope', '/api/other', '/healthz/x']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.code).toBe('not_found');
    }
  });

  it('never reads a path from the request: traversal gets index.html, not a file', async () => {
    const r = await app.inject({ url: '/..%2f..%2fetc%2fpasswd' });
    expect(r.body).toContain('id="root"');
    const r2 = await app.inject({ url: '/assets/..%2f..%2fpackage.json' });
    expect(r2.statusCode).toBe(404);
  });
});
