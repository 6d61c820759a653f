import type { AccordApp } from '../../platform/http/app.ts';
import { loadWebFiles, webAppRoutes } from '../../platform/http/web-app.ts';

/**
 * The web application at / when it has been built (packages/web/dist); otherwise a plain page
 * saying where the API and its docs are, and how to build the application.
 */
export function landingRoutes(app: AccordApp, webDir?: string) {
  const files = loadWebFiles(webDir);
  if (files) {
    webAppRoutes(app, files);
    return;
  }
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    void reply.header('content-type', 'text/html; charset=utf-8');
    void reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Accord</title>
<style>body{font-family:system-ui,sans-serif;margin:3rem;max-width:40rem;line-height:1.5}</style></head><body>
<h1>Accord</h1>
<p>Security agreements between an MSP and its customers, built from CISA AA22-131A and verified from evidence.</p>
<p>The web application has not been built: run <code>npm run build:web</code> (or <code>npm run demo</code>, which builds it).</p>
<ul><li><a href="/api/docs">API documentation</a> (sign in with <code>POST /api/v1/auth/login</code>)</li>
<li><a href="/api/openapi.json">OpenAPI 3.1 document</a></li><li><a href="/readyz">Readiness</a></li></ul>
</body></html>`;
  });
}
