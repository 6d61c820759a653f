import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, testConfig, type TestServer } from '../../../test/support/harness.ts';
import { addUser, createCustomer, createMsp, type TestUser } from '../../../test/support/factories.ts';
import { ApiClient, nextCode, signIn } from '../../../test/support/api-client.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import { createLogger } from '../../platform/logger.ts';
import { openRuntime, startHttp } from '../../server.ts';
import { stepAt, totpCode } from './totp.ts';

const LOGIN = '/api/v1/auth/login';
const VERIFY = '/api/v1/auth/mfa/verify';
const CURRENT_ORG = '/api/v1/orgs/current';

/** A six-digit code that is valid for none of the steps the server could accept right now. */
function wrongCode(secret: string): string {
  const now = stepAt(Date.now());
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpCode(secret, now + d)));
  for (let i = 0; ; i++) {
    const c = String(i).padStart(6, '0');
    if (!valid.has(c)) return c;
  }
}

const sessionHash = (c: ApiClient) => sha256Hex(c.cookie!.replace(/^accord_session=/, ''));

/** A sink for pino that keeps every line written to it. */
function captureStream() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => lines.join('') };
}

describe.each(dbTargets())('authentication over HTTP ($name)', (target) => {
  let srv: TestServer;
  beforeAll(async () => {
    // Every request comes from 127.0.0.1: a high per-IP limit here keeps the deliberate failures of
    // one test from throttling the next. The per-IP throttle has its own server below.
    srv = await startTestServer(target, { loginIpMaxFailures: 10_000 });
  });
  afterAll(() => srv.stop());

  const db = () => srv.rt.database.db;
  const member = async () => {
    const { org } = await createCustomer(srv.rt, null);
    return addUser(srv.rt, org.id, 'customer_member');
  };

  it('signs in with password and TOTP; the cookie is HttpOnly, SameSite=Strict and not Secure over http', async () => {
    const { org, admin } = await createMsp(srv.rt);
    const c = new ApiClient(srv.url);
    const res = await c.post(LOGIN, { email: admin.email, password: admin.password, code: nextCode(admin) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'authenticated',
      user: { id: admin.id, email: admin.email, mfaEnrolled: true },
      activeOrgId: org.id,
      memberships: [{ orgId: org.id, role: 'msp_admin', orgKind: 'msp' }],
    });
    expect(res.body.csrfToken).toEqual(expect.any(String));
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^accord_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    expect(setCookie).toMatch(/;\s*Path=\//i);
    expect(setCookie).not.toMatch(/;\s*Secure/i);
    expect((await c.get(CURRENT_ORG)).body.id).toBe(org.id);
    expect((await c.get('/api/v1/auth/session')).body.status).toBe('authenticated');
  });

  it('answers a wrong password and an unknown e-mail the same way: 401 invalid_credentials', async () => {
    const { admin } = await createMsp(srv.rt);
    const c = new ApiClient(srv.url);
    const wrong = await c.post(LOGIN, { email: admin.email, password: admin.password + 'x' });
    const unknown = await c.post(LOGIN, {
      email: `nobody-${randomUUID()}@test.example`,
      password: 'whatever1',
    });
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.headers.get('set-cookie')).toBeNull();
    }
    expect(wrong.body.error.code).toBe('invalid_credentials');
    expect({ ...wrong.body.error, requestId: '' }).toEqual({ ...unknown.body.error, requestId: '' });
    expect(c.cookie).toBeNull();
  });

  it('refuses a wrong TOTP code with 401 invalid_mfa_code and no session', async () => {
    const { admin } = await createMsp(srv.rt);
    const c = new ApiClient(srv.url);
    const res = await c.post(LOGIN, {
      email: admin.email,
      password: admin.password,
      code: wrongCode(admin.totpSecret!),
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_mfa_code');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a TOTP code that was already used, at sign-in and at the second step', async () => {
    const { admin } = await createMsp(srv.rt);
    const code = nextCode(admin);
    const body = { email: admin.email, password: admin.password, code };
    expect((await new ApiClient(srv.url).post(LOGIN, body)).body.status).toBe('authenticated');
    const replay = await new ApiClient(srv.url).post(LOGIN, body);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('invalid_mfa_code');

    const c = new ApiClient(srv.url);
    expect((await c.post(LOGIN, { email: admin.email, password: admin.password })).body.status).toBe(
      'mfa_required',
    );
    const again = await c.post(VERIFY, { code });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('invalid_mfa_code');
    expect((await c.get(CURRENT_ORG)).body.error.code).toBe('mfa_required');
  });

  it('two-step sign-in: mfa_required until POST /auth/mfa/verify, then authenticated', async () => {
    const { org, admin } = await createMsp(srv.rt);
    const c = new ApiClient(srv.url);
    const first = await c.post(LOGIN, { email: admin.email, password: admin.password });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('mfa_required');
    expect(c.cookie).not.toBeNull();

    const blocked = await c.get(CURRENT_ORG);
    expect(blocked.status).toBe(401);
    expect(blocked.body.error.code).toBe('mfa_required');
    const write = await c.post('/api/v1/tokens', { name: 'x', scopes: ['org:read'], expiresInDays: 1 });
    expect(write.status).toBe(401);
    expect(write.body.error.code).toBe('mfa_required');
    expect((await c.get('/api/v1/auth/session')).body.status).toBe('mfa_required');
    expect((await c.post('/api/v1/auth/mfa/enroll')).body.error.code).toBe('mfa_required');

    const bad = await c.post(VERIFY, { code: wrongCode(admin.totpSecret!) });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('invalid_mfa_code');

    const ok = await c.post(VERIFY, { code: nextCode(admin) });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'authenticated', activeOrgId: org.id });
    expect((await c.get(CURRENT_ORG)).body.id).toBe(org.id);
    const twice = await c.post(VERIFY, { code: nextCode(admin) });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('invalid_state');

    const audit = await c.get(`/api/v1/orgs/${org.id}/audit`);
    expect(audit.body.filter((e: { action: string }) => e.action === 'auth.signed_in')).toHaveLength(1);
  });

  it('makes an MSP user without MFA enrol; recovery codes work once each', async () => {
    const { org } = await createMsp(srv.rt);
    const eng = await addUser(srv.rt, org.id, 'msp_engineer', { enrollMfa: false });
    const c = new ApiClient(srv.url);
    const res = await c.post(LOGIN, { email: eng.email, password: eng.password });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('mfa_enrollment_required');
    expect(res.body.user.mfaEnrolled).toBe(false);

    const blocked = await c.get(CURRENT_ORG);
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('mfa_enrollment_required');
    expect((await c.post('/api/v1/auth/mfa/enroll/confirm', { code: '123456' })).body.error.code).toBe(
      'invalid_state',
    );

    const enrol = await c.post('/api/v1/auth/mfa/enroll');
    expect(enrol.status).toBe(200);
    const secret: string = enrol.body.secret;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrol.body.otpauthUri).toBe(
      `otpauth://totp/${encodeURIComponent(`Accord:${eng.email}`)}?secret=${secret}` +
        '&issuer=Accord&algorithm=SHA1&digits=6&period=30',
    );
    // Still not signed in until a code from the new secret is confirmed.
    expect((await c.get(CURRENT_ORG)).status).toBe(403);
    const wrong = await c.post('/api/v1/auth/mfa/enroll/confirm', { code: wrongCode(secret) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_mfa_code');

    const step = stepAt(Date.now());
    const confirm = await c.post('/api/v1/auth/mfa/enroll/confirm', { code: totpCode(secret, step) });
    expect(confirm.status).toBe(200);
    const codes: string[] = confirm.body.recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const rc of codes) expect(rc).toMatch(/^[a-z0-9]{10}$/);
    expect(confirm.body.session).toMatchObject({ status: 'authenticated', user: { mfaEnrolled: true } });
    expect((await c.get(CURRENT_ORG)).body.id).toBe(org.id);
    expect((await c.post('/api/v1/auth/mfa/enroll')).body.error.code).toBe('conflict');

    // The enrolment code's step counts as used: it cannot sign in again.
    const reuse = await new ApiClient(srv.url).post(LOGIN, {
      email: eng.email,
      password: eng.password,
      code: totpCode(secret, step),
    });
    expect(reuse.body.error.code).toBe('invalid_mfa_code');

    const second = new ApiClient(srv.url);
    expect((await second.post(LOGIN, { email: eng.email, password: eng.password })).body.status).toBe(
      'mfa_required',
    );
    const viaRecovery = await second.post(VERIFY, { code: codes[0] });
    expect(viaRecovery.status).toBe(200);
    expect(viaRecovery.body.status).toBe('authenticated');

    const third = new ApiClient(srv.url);
    await third.post(LOGIN, { email: eng.email, password: eng.password });
    const used = await third.post(VERIFY, { code: codes[0] });
    expect(used.status).toBe(401);
    expect(used.body.error.code).toBe('invalid_mfa_code');
    // Another code works, typed in upper case with a dash.
    const typed = `${codes[1]!.slice(0, 5)}-${codes[1]!.slice(5)}`.toUpperCase();
    expect((await third.post(VERIFY, { code: typed })).body.status).toBe('authenticated');

    const actions = (await third.get(`/api/v1/orgs/${org.id}/audit`)).body.map(
      (e: { action: string }) => e.action,
    );
    expect(actions).toEqual(expect.arrayContaining(['auth.mfa_enrolled', 'auth.recovery_code_used']));
  });

  it('makes a customer admin without MFA enrol, but not a customer member', async () => {
    const { org } = await createCustomer(srv.rt, null);
    const admin = await addUser(srv.rt, org.id, 'customer_admin', { enrollMfa: false });
    const m = await addUser(srv.rt, org.id, 'customer_member');
    const a = await new ApiClient(srv.url).post(LOGIN, { email: admin.email, password: admin.password });
    expect(a.body.status).toBe('mfa_enrollment_required');
    const c = new ApiClient(srv.url);
    const res = await c.post(LOGIN, { email: m.email, password: m.password });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'authenticated', user: { mfaEnrolled: false } });
    expect((await c.get(CURRENT_ORG)).body.id).toBe(org.id);
  });

  it('locks an account after loginMaxFailures wrong passwords, even against the right one, until it expires', async () => {
    expect(srv.rt.config.loginMaxFailures).toBe(5);
    const m = await member();
    const other = await member();
    const c = new ApiClient(srv.url);
    for (let i = 0; i < 5; i++) {
      const r = await c.post(LOGIN, { email: m.email, password: `wrong-${i}` });
      expect(r.body.error.code).toBe('invalid_credentials');
    }
    const right = await c.post(LOGIN, { email: m.email, password: m.password });
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('too_many_attempts');
    expect(c.cookie).toBeNull();
    // The lock is per account: someone else signs in from the same address.
    await signIn(srv.url, other);

    await db()
      .updateTable('users')
      .set({ locked_until: new Date(Date.now() - 1000) })
      .where('id', '=', m.id)
      .execute();
    const after = await c.post(LOGIN, { email: m.email, password: m.password });
    expect(after.status).toBe(200);
    expect(after.body.status).toBe('authenticated');
  });

  it('counts wrong TOTP codes toward the lockout; the right password alone does not reset the count', async () => {
    const { admin } = await createMsp(srv.rt);
    const c = new ApiClient(srv.url);
    const guess = () => c.post(LOGIN, { ...creds(admin), code: wrongCode(admin.totpSecret!) });
    for (let i = 0; i < 4; i++) expect((await guess()).body.error.code).toBe('invalid_mfa_code');
    // Someone holding the password (but not the authenticator) gets a half-signed-in session...
    expect((await c.post(LOGIN, creds(admin))).body.status).toBe('mfa_required');
    // ...which must not wipe the failures: the fifth wrong code locks the account.
    expect((await c.post(VERIFY, { code: wrongCode(admin.totpSecret!) })).body.error.code).toBe(
      'invalid_mfa_code',
    );
    const locked = await new ApiClient(srv.url).post(LOGIN, { ...creds(admin), code: nextCode(admin) });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('too_many_attempts');
    expect((await c.post(VERIFY, { code: nextCode(admin) })).status).toBe(429);
  });

  it('throttles sign-in failures per client address across accounts', async () => {
    const small = await startTestServer(target, { loginIpMaxFailures: 4 });
    try {
      const { org } = await createCustomer(small.rt, null);
      const m = await addUser(small.rt, org.id, 'customer_member');
      const c = new ApiClient(small.url);
      for (let i = 0; i < 4; i++) {
        const r = await c.post(LOGIN, {
          email: `spray-${i}-${randomUUID()}@test.example`,
          password: 'Winter2024!',
        });
        expect(r.body.error.code).toBe('invalid_credentials');
      }
      const next = await c.post(LOGIN, { email: `spray-x-${randomUUID()}@test.example`, password: 'x' });
      expect(next.status).toBe(429);
      expect(next.body.error.code).toBe('too_many_attempts');
      // Even a right password from that address waits out the window.
      const right = await c.post(LOGIN, creds(m));
      expect(right.status).toBe(429);
      expect(right.body.error.code).toBe('too_many_attempts');
    } finally {
      await small.stop();
    }
  });

  it('refuses a cookie-authenticated write without the right x-csrf-token (403 csrf_failed)', async () => {
    const { admin } = await createMsp(srv.rt);
    const c = await signIn(srv.url, admin);
    const other = await signIn(srv.url, admin);
    const body = { name: 'ci', scopes: ['org:read'], expiresInDays: 1 };
    const missing = await c.request('POST', '/api/v1/tokens', body, { csrf: false });
    const wrong = await c.request('POST', '/api/v1/tokens', body, {
      csrf: false,
      headers: { 'x-csrf-token': 'not-the-token' },
    });
    const foreign = await c.request('POST', '/api/v1/tokens', body, {
      csrf: false,
      headers: { 'x-csrf-token': other.csrf! },
    });
    for (const r of [missing, wrong, foreign]) {
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('csrf_failed');
    }
    const ok = await c.post('/api/v1/tokens', body);
    expect(ok.status).toBe(201);
    const list = await c.get('/api/v1/tokens');
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
  });

  it('expires a session after sessionIdleMinutes without use, sliding while it is used', async () => {
    const idleMs = srv.rt.config.sessionIdleMinutes * 60_000;
    const m = await member();
    const c = await signIn(srv.url, m);
    const hash = sessionHash(c);
    const setLastSeen = (at: Date) =>
      db().updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', hash).execute();

    await setLastSeen(new Date(Date.now() - idleMs + 60_000));
    expect((await c.get(CURRENT_ORG)).status).toBe(200);
    const row = await db()
      .selectFrom('sessions')
      .select('last_seen_at')
      .where('id_hash', '=', hash)
      .executeTakeFirstOrThrow();
    expect(Date.now() - new Date(row.last_seen_at).getTime()).toBeLessThan(30_000);

    await setLastSeen(new Date(Date.now() - idleMs - 60_000));
    const res = await c.get(CURRENT_ORG);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('session_expired');
  });

  it('expires a session at its absolute expiry however recently it was used', async () => {
    const m = await member();
    const c = await signIn(srv.url, m);
    await db()
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id_hash', '=', sessionHash(c))
      .execute();
    const res = await c.get(CURRENT_ORG);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('session_expired');
  });

  it('logout revokes the session: the old cookie no longer works', async () => {
    const m = await member();
    const c = await signIn(srv.url, m);
    const cookie = c.cookie!;
    const out = await c.post('/api/v1/auth/logout');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^accord_session=;/);
    const replay = new ApiClient(srv.url);
    replay.cookie = cookie;
    const res = await replay.get(CURRENT_ORG);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
    const row = await db()
      .selectFrom('sessions')
      .select('revoked_at')
      .where('id_hash', '=', sha256Hex(cookie.replace(/^accord_session=/, '')))
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
  });

  it('switches only to an organisation the user belongs to', async () => {
    const a = await createCustomer(srv.rt, null);
    const b = await createCustomer(srv.rt, null);
    const stranger = await createCustomer(srv.rt, null);
    const m = await addUser(srv.rt, a.org.id, 'customer_member');
    await addUser(srv.rt, b.org.id, 'customer_member', { email: m.email });
    const c = await signIn(srv.url, m);
    const session = (await c.get('/api/v1/auth/session')).body;
    expect(session.memberships.map((x: { orgId: string }) => x.orgId).sort()).toEqual(
      [a.org.id, b.org.id].sort(),
    );
    const target = session.activeOrgId === a.org.id ? b.org.id : a.org.id;

    const sw = await c.post('/api/v1/auth/switch-org', { orgId: target });
    expect(sw.status).toBe(200);
    expect(sw.body.activeOrgId).toBe(target);
    expect((await c.get(CURRENT_ORG)).body.id).toBe(target);

    for (const orgId of [stranger.org.id, randomUUID()]) {
      const no = await c.post('/api/v1/auth/switch-org', { orgId });
      expect(no.status).toBe(404);
      expect(no.body.error.code).toBe('not_found');
    }
    expect((await c.get(CURRENT_ORG)).body.id).toBe(target);
  });

  it('changing the password ends the other sessions and keeps this one', async () => {
    const m = await member();
    const c1 = await signIn(srv.url, m);
    const c2 = await signIn(srv.url, m);
    const next = 'a-brand-new-passphrase';
    const wrong = await c1.post('/api/v1/auth/password', { currentPassword: 'nope', newPassword: next });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    expect((await c2.get(CURRENT_ORG)).status).toBe(200);

    const ok = await c1.post('/api/v1/auth/password', { currentPassword: m.password, newPassword: next });
    expect(ok.status).toBe(204);
    const ended = await c2.get(CURRENT_ORG);
    expect(ended.status).toBe(401);
    expect(ended.body.error.code).toBe('unauthenticated');
    expect((await c1.get(CURRENT_ORG)).status).toBe(200);

    const old = await new ApiClient(srv.url).post(LOGIN, creds(m));
    expect(old.body.error.code).toBe('invalid_credentials');
    await signIn(srv.url, { ...m, password: next });
    const actions = (await c1.get(`/api/v1/orgs/${m.orgId}/audit`)).body.map(
      (e: { action: string }) => e.action,
    );
    expect(actions).toContain('auth.password_changed');
  });

  it("records a sign-in in the organisation's audit trail", async () => {
    const { org, admin } = await createMsp(srv.rt);
    const c = new ApiClient(srv.url);
    const requestId = `signin-${randomUUID().slice(0, 8)}`;
    const res = await c.request(
      'POST',
      LOGIN,
      { ...creds(admin), code: nextCode(admin) },
      { headers: { 'x-request-id': requestId } },
    );
    expect(res.body.status).toBe('authenticated');
    const audit = await c.get(`/api/v1/orgs/${org.id}/audit`);
    expect(audit.status).toBe(200);
    const entry = audit.body.find((e: { action: string }) => e.action === 'auth.signed_in');
    expect(entry).toMatchObject({
      orgId: org.id,
      action: 'auth.signed_in',
      targetType: 'user',
      targetId: admin.id,
      requestId,
      ip: expect.any(String),
      actor: { userId: admin.id, tokenId: null, orgId: org.id, label: admin.email },
    });
    expect((await c.get(`/api/v1/orgs/${org.id}/audit/verify`)).body.ok).toBe(true);
  });

  it('writes no password, code, cookie or token into the server log', async () => {
    const sink = captureStream();
    const config = testConfig(target, { logLevel: 'info' });
    const rt = await openRuntime(config, createLogger('info', sink.stream));
    const http = await startHttp(rt);
    try {
      const { admin } = await createMsp(rt);
      const c = new ApiClient(http.url);
      const wrongPassword = `Wrong-${randomUUID()}`;
      await c.post(LOGIN, { email: admin.email, password: wrongPassword });
      const code1 = nextCode(admin);
      const code2 = nextCode(admin);
      await c.post(LOGIN, { email: admin.email, password: admin.password, code: code1 });
      await c.post(LOGIN, { email: admin.email, password: admin.password });
      await c.post(VERIFY, { code: code2 });
      const newPassword = `New-${randomUUID()}`;
      await c.post('/api/v1/auth/password', { currentPassword: admin.password, newPassword });
      const token = await c.post('/api/v1/tokens', { name: 'log', scopes: ['org:read'], expiresInDays: 1 });
      expect(token.status).toBe(201);
      await ApiClient.withToken(http.url, token.body.token).get(CURRENT_ORG);
      await ApiClient.withToken(http.url, token.body.token + 'x').get(CURRENT_ORG);

      const logged = sink.text();
      // The capture works: requests were logged.
      expect(logged).toContain('/api/v1/auth/login');
      const secrets = [
        admin.password,
        wrongPassword,
        newPassword,
        code1,
        code2,
        admin.totpSecret!,
        c.cookie!.replace(/^accord_session=/, ''),
        c.csrf!,
        token.body.token,
        // The token's secret part alone (its last 20 characters: random, never logged).
        (token.body.token as string).slice(-20),
      ];
      for (const s of secrets) expect(logged).not.toContain(s);
    } finally {
      await http.stop();
    }
  });
});

describe('logger redaction', () => {
  it('prints credential fields and headers as [redacted]', async () => {
    const sink = captureStream();
    const log = createLogger('info', sink.stream);
    log.info(
      {
        body: { email: 'a@example.com', password: 'hunter2-secret', code: '123456', token: 'acc_tok' },
        change: { currentPassword: 'old-pass-secret', newPassword: 'new-pass-secret' },
        mfa: { secret: 'JBSWY3DPEHPK3PXP' },
        password: 'top-level-secret',
        deep: { body: { token: 'deep-token-secret' } },
        req: { headers: { authorization: 'Bearer acc_abc', cookie: 'accord_session=s3cr3t' } },
        res: { headers: { 'set-cookie': 'accord_session=s3cr3t' } },
      },
      'event',
    );
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(sink.text());
    expect(line.body).toEqual({
      email: 'a@example.com',
      password: '[redacted]',
      code: '[redacted]',
      token: '[redacted]',
    });
    expect(line.change).toEqual({ currentPassword: '[redacted]', newPassword: '[redacted]' });
    expect(line.mfa.secret).toBe('[redacted]');
    expect(line.password).toBe('[redacted]');
    expect(line.deep.body.token).toBe('[redacted]');
    expect(line.req.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]' });
    expect(line.res.headers['set-cookie']).toBe('[redacted]');
    const printed = JSON.stringify({ ...line, time: 0 }); // the timestamp could contain any digits
    for (const s of [
      'hunter2',
      '123456',
      'acc_',
      's3cr3t',
      'JBSWY3DP',
      'old-pass',
      'new-pass',
      'top-level',
      'deep-token',
    ]) {
      expect(printed).not.toContain(s);
    }
  });
});

function creds(u: TestUser) {
  return { email: u.email, password: u.password };
}
