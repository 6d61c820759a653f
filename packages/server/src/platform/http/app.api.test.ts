import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { addUser, createMsp } from '../../../test/support/factories.ts';
import { ApiClient, signIn } from '../../../test/support/api-client.ts';

describe.each(dbTargets())('HTTP platform ($name)', (target) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(target);
  });
  afterAll(() => srv.stop());

  it('serves OpenAPI 3.1 generated from the route schemas, and a docs page', async () => {
    const c = new ApiClient(srv.url);
    const spec = await c.get('/api/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/login',
        '/api/v1/agreements/{id}/versions/{version}/accept',
        '/api/v1/catalog',
      ]),
    );
    const login = spec.body.paths['/api/v1/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema.properties).toHaveProperty('email');
    const docs = await fetch(srv.url + '/api/docs/');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('answers health and readiness', async () => {
    const c = new ApiClient(srv.url);
    expect((await c.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await c.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toBe(target.name === 'pglite' ? 'embedded' : 'postgres');
  });

  it('puts a request id on every response and in the error envelope', async () => {
    const c = new ApiClient(srv.url);
    const res = await c.request('GET', '/api/v1/agreements', undefined, {
      headers: { 'x-request-id': 'trace-123' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(res.body).toEqual({
      error: { code: 'unauthenticated', message: expect.any(String), requestId: 'trace-123' },
    });
    const missing = await c.get('/api/v1/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect(missing.headers.get('x-request-id')).toBe(missing.body.error.requestId);
  });

  it('answers a malformed body with 400 validation_failed listing the issues', async () => {
    const { admin } = await createMsp(srv.rt);
    const c = await signIn(srv.url, admin);
    const res = await c.post('/api/v1/agreements', { customerOrgId: 'not-a-uuid', title: 'x', controls: [] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues.length).toBeGreaterThanOrEqual(2);
    const bad = await c.request('POST', '/api/v1/agreements', undefined, {
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
  });

  it('refuses a body over the size limit with 413', async () => {
    const res = await fetch(srv.url + '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(2_000_000) }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });

  it('serves only the health probes in worker mode', async () => {
    const worker = await startTestServer(target, { mode: 'worker' });
    try {
      const c = new ApiClient(worker.url);
      expect((await c.get('/healthz')).status).toBe(200);
      expect((await c.get('/readyz')).body.checks.mode).toBe('worker');
      expect((await c.post('/api/v1/auth/login', { email: 'a@b.example', password: 'x' })).status).toBe(404);
    } finally {
      await worker.stop();
    }
  });

  it('closes the database only after handlers of disconnected clients finish', async () => {
    const own = await startTestServer(target);
    const { org } = await createMsp(own.rt);
    const users = await Promise.all(Array.from({ length: 6 }, () => addUser(own.rt, org.id, 'auditor')));
    let busyAtClose = -1;
    const close = own.rt.close;
    own.rt.close = async () => {
      busyAtClose = own.app.accordBusy();
      return close();
    };
    // Sign-ins (argon2id) keep their handlers busy; the clients hang up and the server stops meanwhile.
    const controllers = users.map(() => new AbortController());
    const pending = users.map((u, i) =>
      fetch(own.url + '/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: u.email, password: u.password }),
        signal: controllers[i]!.signal,
      }).catch(() => null),
    );
    while (own.app.accordBusy() === 0) await new Promise((r) => setTimeout(r, 2));
    controllers.forEach((ac) => ac.abort());
    const busyAtStop = own.app.accordBusy();
    await own.stop();
    await Promise.all(pending);
    expect(busyAtStop).toBeGreaterThan(0);
    expect(busyAtClose).toBe(0);
  });
});
