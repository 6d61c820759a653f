import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent } from '@accord/contracts';
import { oktaParser, oktaRecords } from './okta.parser.ts';
import type { ParseContext } from './parser.types.ts';

const ctx: ParseContext = { receivedAt: new Date('2025-03-10T00:00:00Z') };
const lines = readFileSync(new URL('./fixtures/okta-system-log.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
const events = lines.map((l) => JSON.parse(l) as Record<string, any>);

/** Fixture line n (1-based). */
const line = (n: number) => events[n - 1]!;

function parse(record: unknown, c: ParseContext = ctx) {
  const r = oktaParser.parse(record, c);
  if (!r.ok) throw new Error(`expected a parsed event, got: ${r.error}`);
  return NormalisedEvent.parse(r.event);
}

function reject(record: unknown): string {
  const r = oktaParser.parse(record, ctx);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

/** The documented "Example LogEvent object", verbatim (System Log API reference). */
const DOCUMENTED_EXAMPLE = {
  version: '0',
  severity: 'INFO',
  client: {
    zone: 'OFF_NETWORK',
    device: 'Unknown',
    userAgent: { os: 'Unknown', browser: 'UNKNOWN', rawUserAgent: 'UNKNOWN-DOWNLOAD' },
    ipAddress: '12.97.85.90',
  },
  actor: {
    id: '00u1qw1mqitPHM8AJ0g7',
    type: 'User',
    alternateId: 'admin@example.com',
    displayName: 'John Doe',
  },
  outcome: { result: 'SUCCESS' },
  uuid: 'f790999f-fe87-467a-9880-6982a583986c',
  published: '2017-09-31T22:23:07.777Z',
  eventType: 'user.session.start',
  displayMessage: 'User login to Okta',
  transaction: { type: 'WEB', id: 'V04Oy4ubUOc5UuG6s9DyNQAABtc' },
  debugContext: { debugData: { requestUri: '/login/do-login' } },
  legacyEventType: 'core.user_auth.login_success',
  authenticationContext: { authenticationStep: 0, externalSessionId: '1013FfF-DKQSvCI4RVXChzX-w' },
};

describe('oktaParser', () => {
  it('parses every fixture line into a valid normalised event', () => {
    expect(oktaParser.kind).toBe('okta_system_log');
    expect(oktaParser.input).toBe('json');
    expect(events).toHaveLength(25);
    for (const ev of events) expect(parse(ev).vendorEventId).toBe(ev.eventType);
  });

  it('maps a successful user.session.start field by field', () => {
    expect(parse(line(1))).toEqual({
      time: '2025-03-03T22:23:07.777Z',
      class: 'authentication',
      activity: 'sign_in',
      outcome: 'success',
      reason: null,
      reasonDetail: null,
      user: 'alice.nguyen@example.com',
      userDomain: 'example.com',
      targetUser: null,
      group: null,
      srcIp: '12.97.85.90',
      srcPort: null,
      geo: { country: 'United States', city: 'San Francisco', lat: 37.7697, lon: -122.3933 },
      dstHost: null,
      app: null,
      authProtocol: 'PASSWORD',
      mfaUsed: null,
      processName: null,
      commandLine: null,
      vendorEventId: 'user.session.start',
    });
  });

  it('rejects the documented example verbatim: its date 2017-09-31 does not exist', () => {
    expect(reject(DOCUMENTED_EXAMPLE)).toBe(
      'invalid published "2017-09-31T22:23:07.777Z": not an ISO-8601 date-time that exists',
    );
    const fixed = parse({ ...DOCUMENTED_EXAMPLE, published: '2017-09-30T22:23:07.777Z' });
    expect([fixed.outcome, fixed.user, fixed.srcIp, fixed.geo]).toEqual([
      'success',
      'admin@example.com',
      '12.97.85.90',
      null,
    ]);
  });

  it.each([
    [2, 'INVALID_CREDENTIALS', 'bad_password', 'carol.jones@example.com'],
    [3, 'VERIFICATION_ERROR', 'unknown_user', 'j.doe@example.com'],
    [4, 'LOCKED_OUT', 'locked', 'carol.jones@example.com'],
  ])('line %i: sign-in failure %s is %s', (n, detail, reason, user) => {
    const e = parse(line(n));
    expect([e.class, e.activity, e.outcome, e.reason, e.reasonDetail, e.user]).toEqual([
      'authentication',
      'sign_in',
      'failure',
      reason,
      detail,
      user,
    ]);
  });

  it('maps outcome.reason texts and codes to failure reasons', () => {
    const signIn = (reason: string | null, result = 'FAILURE') =>
      parse({ ...line(2), outcome: { result, reason } }).reason;
    expect(signIn('User rejected Okta push verify')).toBe('mfa_denied');
    expect(signIn('PASSWORD_EXPIRED')).toBe('expired');
    expect(signIn('User is suspended')).toBe('disabled');
    expect(signIn('MFA_REQUIRED')).toBe('mfa_required');
    expect(signIn('VERIFICATION_ERROR')).toBe('other'); // known actor: cannot tell more
    expect(signIn('Sign-on policy denied access from this network zone')).toBe('policy_blocked');
    expect(signIn(null, 'DENY')).toBe('policy_blocked');
    expect(signIn('Something new')).toBe('other');
    expect(signIn(null)).toBe('other');

    const mfa = (reason: string) => parse({ ...line(9), outcome: { result: 'FAILURE', reason } }).reason;
    expect(mfa('INVALID_CREDENTIALS')).toBe('invalid_mfa_code');
    expect(mfa('VERIFICATION_ERROR')).toBe('invalid_mfa_code');
    expect(mfa('Push verification timed out')).toBe('mfa_timeout');
    expect(mfa('User rejected Okta push verify')).toBe('mfa_denied');
  });

  it('records the account lock with the locked account', () => {
    expect(parse(line(5))).toMatchObject({
      class: 'account_change',
      activity: 'account_locked',
      outcome: 'success',
      reason: null,
      user: 'carol.jones@example.com',
      targetUser: null, // the target is the actor itself
    });
  });

  it('reads a push-fatigue run: push, denied, push, timed out, push, approved, then SSO', () => {
    const run = [6, 7, 8, 9, 10, 11, 12].map((n) => parse(line(n)));
    expect(run.map((e) => [e.activity, e.outcome, e.reason, e.mfaUsed])).toEqual([
      ['mfa_challenge', 'success', null, null],
      ['mfa_verify', 'failure', 'mfa_denied', false],
      ['mfa_challenge', 'success', null, null],
      ['mfa_verify', 'failure', 'mfa_timeout', false],
      ['mfa_challenge', 'success', null, null],
      ['mfa_verify', 'success', null, true],
      ['sso', 'success', null, null],
    ]);
    expect(run.every((e) => e.user === 'bob.smith@example.com' && e.srcIp === '185.220.101.47')).toBe(true);
    expect(run[1]!.reasonDetail).toBe('INVALID_CREDENTIALS'); // how Okta logs a rejected push
    expect(run[1]!.authProtocol).toBe('OKTA_VERIFY_PUSH');
    expect(run[6]).toMatchObject({ app: 'Salesforce.com', authProtocol: 'SAML 2.0' });
    expect(run[0]!.geo).toEqual({ country: 'Romania', city: 'Bucharest', lat: 44.4323, lon: 26.1063 });
  });

  it('always treats a denied push as a failure, and a push that was not sent as unknown', () => {
    expect(parse({ ...line(7), outcome: { result: 'SUCCESS', reason: null } })).toMatchObject({
      outcome: 'failure',
      reason: 'mfa_denied',
      reasonDetail: 'User rejected Okta push verify',
    });
    expect(
      parse({ ...line(6), outcome: { result: 'FAILURE', reason: 'Push delivery failed' } }),
    ).toMatchObject({
      outcome: 'unknown',
      reason: null,
    });
  });

  it('tells a password check from a second factor in Identity Engine verify events', () => {
    expect(parse(line(13))).toMatchObject({
      activity: 'password_verify',
      mfaUsed: null,
      authProtocol: 'Password',
    });
    expect(parse(line(14))).toMatchObject({
      activity: 'mfa_verify',
      mfaUsed: true,
      authProtocol: 'Okta Verify',
    });
    const failed = parse({ ...line(14), outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' } });
    expect([failed.reason, failed.mfaUsed]).toEqual(['invalid_mfa_code', false]);
  });

  it('says MFA was used on a sign-in when Okta records a factor', () => {
    const withFactor = {
      ...line(1),
      debugContext: { debugData: { factor: 'OKTA_VERIFY_PUSH', requestUri: '/login/do-login' } },
    };
    expect(parse(withFactor).mfaUsed).toBe(true);
  });

  it('maps MFA factor removal and resets, with the affected user', () => {
    expect(parse(line(15))).toMatchObject({
      class: 'policy_change',
      activity: 'mfa_factor_deactivated',
      user: 'it.admin@example.com',
      targetUser: 'carol.jones@example.com',
      authProtocol: null,
    });
    expect(parse(line(16))).toMatchObject({
      class: 'policy_change',
      activity: 'mfa_factors_reset',
      targetUser: 'bob.smith@example.com',
    });
  });

  it('maps group membership and account lifecycle changes', () => {
    expect(parse(line(17))).toMatchObject({
      class: 'group_change',
      activity: 'member_added',
      user: 'it.admin@example.com',
      targetUser: 'carol.jones@example.com',
      group: 'Okta Administrators',
    });
    expect([18, 19, 20, 21].map((n) => [parse(line(n)).activity, parse(line(n)).targetUser])).toEqual([
      ['user_created', 'svc-backup@example.com'],
      ['user_activated', 'svc-backup@example.com'],
      ['user_suspended', 'carol.jones@example.com'],
      ['user_deactivated', 'carol.jones@example.com'],
    ]);
    for (const n of [18, 19, 20, 21]) expect(parse(line(n)).class).toBe('account_change');
  });

  it('maps sign-on policy decisions: DENY is policy_blocked, CHALLENGE is not a failure', () => {
    expect(parse(line(22))).toMatchObject({
      activity: 'sign_on_policy',
      outcome: 'failure',
      reason: 'policy_blocked',
      reasonDetail: 'Sign-on policy evaluation resulted in DENY',
    });
    expect(parse(line(23))).toMatchObject({ outcome: 'success', reason: null });
    expect(parse({ ...line(23), outcome: { result: 'CHALLENGE', reason: null } })).toMatchObject({
      outcome: 'unknown',
      reason: null,
    });
  });

  it('turns event types it does not model into class other, keeping the type', () => {
    expect(parse(line(24))).toMatchObject({
      class: 'other',
      activity: 'app_oauth2_as_token_grant_access_token',
      outcome: 'success',
      user: 'alice.nguyen@example.com',
      vendorEventId: 'app.oauth2.as.token.grant.access_token',
    });
    expect(parse(line(25))).toMatchObject({ class: 'session', activity: 'logoff' });
    expect(
      parse({ ...line(24), eventType: 'zone.make_blacklist', outcome: { result: 'SKIPPED' } }),
    ).toMatchObject({
      class: 'other',
      activity: 'zone_make_blacklist',
      outcome: 'unknown',
    });
  });

  it('rejects malformed records with a clear reason', () => {
    expect(reject(null)).toBe('record is null, not a JSON object');
    expect(reject([line(1)])).toBe('record is an array, not a JSON object');
    expect(reject(lines[0])).toBe('record is a string, not a JSON object');
    const { published: _p, ...noTime } = line(1);
    expect(reject(noTime)).toBe('missing published');
    expect(reject({ ...line(1), published: 'Mon, 03 Mar 2025 22:23:07 GMT' })).toMatch(/^invalid published/);
    expect(reject({ ...line(1), published: 1741040587777 })).toMatch(
      /^invalid published: expected an ISO-8601/,
    );
    const { eventType: _e, ...noType } = line(1);
    expect(reject(noType)).toBe('missing eventType');
  });

  it('tolerates absent optional objects', () => {
    const minimal = parse({ published: '2025-03-03T22:23:07Z', eventType: 'user.session.start' });
    expect(minimal).toMatchObject({ outcome: 'unknown', user: null, srcIp: null, geo: null, reason: null });
  });

  it('unwraps API pages and event-hook deliveries', () => {
    expect(oktaRecords(events)).toBe(events);
    expect(oktaRecords({ eventType: 'com.okta.event_hook', data: { events: [line(1)] } })).toEqual([line(1)]);
    expect(oktaRecords(line(1))).toEqual([line(1)]);
  });

  it('is deterministic and leaves its input untouched', () => {
    const before = structuredClone(events);
    const a = events.map((e) => oktaParser.parse(e, ctx));
    const b = events.map((e) => oktaParser.parse(e, { receivedAt: new Date('2030-01-01T00:00:00Z') }));
    expect(b).toEqual(a);
    expect(events).toEqual(before);
  });
});
