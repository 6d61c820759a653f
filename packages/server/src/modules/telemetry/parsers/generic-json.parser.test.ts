import { describe, expect, it } from 'vitest';
import { NormalisedEvent } from '@accord/contracts';
import { AppError } from '../../../platform/errors.ts';
import {
  createGenericJsonParser,
  GenericJsonMapping,
  parseTimestamp,
  toActivityName,
  validateGenericJsonMapping,
  type GenericJsonMapping as Mapping,
} from './generic-json.parser.ts';
import type { ParseContext, Parser } from './parser.types.ts';

const ctx: ParseContext = { receivedAt: new Date('2025-03-10T00:00:00Z') };

/** A VPN concentrator's JSON log, mapped the way an MSP would configure it. */
const VPN_MAPPING: Mapping = {
  time: { path: 'ts', format: 'epoch_ms' },
  class: { default: 'authentication' },
  activity: { path: 'event', map: { 'auth.login': 'sign_in', 'auth.logout': 'logoff' } },
  outcome: { path: 'result', map: { ok: 'success', denied: 'failure', error: 'failure' } },
  reason: { path: 'why', map: { bad_pass: 'bad_password', no_token: 'mfa_required', geo: 'policy_blocked' } },
  reasonDetail: 'why',
  user: 'who.name',
  userDomain: { path: 'who.realm', default: 'corp.example' },
  srcIp: 'net.src.ip',
  srcPort: 'net.src.port',
  geo: {
    country: 'net.src.geo.cc',
    city: 'net.src.geo.city',
    lat: 'net.src.geo.lat',
    lon: 'net.src.geo.lon',
  },
  dstHost: { default: 'vpn-gw-01' },
  app: { default: 'GlobalConnect VPN' },
  authProtocol: 'method',
  mfaUsed: { path: 'second_factor', map: { push: true, totp: true, none: false } },
  vendorEventId: 'event',
};

const VPN_RECORD = {
  ts: 1741100000123,
  event: 'auth.login',
  result: 'denied',
  why: 'bad_pass',
  who: { name: 'megan.b' },
  net: {
    src: { ip: '198.51.100.23', port: 51422, geo: { cc: 'NG', city: 'Lagos', lat: 6.45306, lon: 3.39583 } },
  },
  method: 'SAML',
  second_factor: 'none',
};

function parseWith(parser: Parser<unknown>, record: unknown) {
  const r = parser.parse(record, ctx);
  if (!r.ok) throw new Error(`expected a parsed event, got: ${r.error}`);
  return NormalisedEvent.parse(r.event);
}

function rejectWith(parser: Parser<unknown>, record: unknown): string {
  const r = parser.parse(record, ctx);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

function mappingError(mapping: unknown): string {
  const v = validateGenericJsonMapping(mapping);
  if (v.ok) throw new Error('expected the mapping to be refused');
  return v.error;
}

describe('GenericJsonMapping validation', () => {
  it('accepts a complete mapping and fills the time format default', () => {
    const v = validateGenericJsonMapping(VPN_MAPPING);
    expect(v.ok).toBe(true);
    expect(GenericJsonMapping.parse({ time: { path: 'ts' } }).time).toEqual({ path: 'ts', format: 'iso' });
    expect(GenericJsonMapping.parse({ time: '@timestamp' }).time).toBe('@timestamp');
  });

  it('requires a time', () => {
    expect(mappingError({ user: 'u' })).toBe('invalid field mapping: time: Required');
  });

  it('refuses unknown fields, naming them', () => {
    expect(mappingError({ time: 'ts', usr: 'who.name' })).toBe(
      "invalid field mapping: (mapping): Unrecognized key(s) in object: 'usr'",
    );
    expect(mappingError({ time: 'ts', user: { path: 'who', pth: 'x' } })).toBe(
      "invalid field mapping: user: Unrecognized key(s) in object: 'pth'",
    );
  });

  it('refuses value maps and defaults outside the closed lists', () => {
    expect(mappingError({ time: 'ts', outcome: { path: 'r', map: { ok: 'succeeded' } } })).toMatch(
      /^invalid field mapping: outcome\.map\.ok: Invalid enum value\. Expected 'success' \| 'failure' \| 'unknown', received 'succeeded'$/,
    );
    expect(mappingError({ time: 'ts', class: { default: 'login' } })).toMatch(
      /^invalid field mapping: class\.default: /,
    );
    expect(mappingError({ time: 'ts', reason: { path: 'r', map: { x: 'wrong_password' } } })).toMatch(
      /reason\.map\.x: Invalid enum value/,
    );
    expect(mappingError({ time: 'ts', activity: { default: 'Sign In' } })).toBe(
      'invalid field mapping: activity.default: an activity is snake_case: lower-case letters, digits and "_", starting with a letter',
    );
    expect(mappingError({ time: 'ts', srcPort: { path: 'p', default: 70000 } })).toMatch(
      /srcPort\.default: Number/,
    );
    expect(mappingError({ time: 'ts', mfaUsed: { path: 'm', map: { yes: 'true' } } })).toMatch(
      /mfaUsed\.map\.yes: Expected boolean, received string/,
    );
  });

  it('refuses bad paths, time formats and incomplete field specs', () => {
    expect(mappingError({ time: 'a..b' })).toBe(
      'invalid field mapping: time: must be a dotted path such as "actor.alternateId" or "target.0.id" (no empty segments)',
    );
    expect(mappingError({ time: { path: 'ts', format: 'unix' } })).toMatch(
      /^invalid field mapping: time\.format: Invalid enum value\. Expected 'iso' \| 'epoch_s' \| 'epoch_ms', received 'unix'$/,
    );
    expect(mappingError({ time: 'ts', user: {} })).toBe(
      'invalid field mapping: user: needs a "path", a "default", or both',
    );
    expect(mappingError({ time: 'ts', outcome: { map: { ok: 'success' }, default: 'unknown' } })).toBe(
      'invalid field mapping: outcome.map: a value map needs a "path"',
    );
    expect(mappingError({ time: 'ts', user: 42 })).toBe(
      'invalid field mapping: user: expected a dotted path string or an object',
    );
    expect(mappingError({ time: 'ts', outcome: { path: 'r', map: { OK: 'success', ok: 'failure' } } })).toBe(
      'invalid field mapping: outcome.map.ok: value map keys "OK" and "ok" are the same ignoring case',
    );
    expect(mappingError(null)).toMatch(
      /^invalid field mapping: \(mapping\): Expected object, received null$/,
    );
  });

  it('lists every problem at once', () => {
    const v = validateGenericJsonMapping({ time: 'ts', usr: 'x', outcome: { default: 'ok' } });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.issues).toHaveLength(2);
  });

  it('createGenericJsonParser refuses a bad mapping with a validation error', () => {
    let caught: unknown;
    try {
      createGenericJsonParser({ time: { path: 'ts', format: 'unix' as 'iso' } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('validation_failed');
    expect((caught as AppError).status).toBe(400);
    expect((caught as AppError).message).toMatch(/^invalid field mapping: time\.format:/);
  });
});

describe('createGenericJsonParser', () => {
  const vpn = createGenericJsonParser(VPN_MAPPING);

  it('maps a record through paths, value maps and defaults', () => {
    expect(vpn.kind).toBe('generic_json');
    expect(vpn.input).toBe('json');
    expect(parseWith(vpn, VPN_RECORD)).toEqual({
      time: '2025-03-04T14:53:20.123Z',
      class: 'authentication',
      activity: 'sign_in',
      outcome: 'failure',
      reason: 'bad_password',
      reasonDetail: 'bad_pass',
      user: 'megan.b',
      userDomain: 'corp.example',
      targetUser: null,
      group: null,
      srcIp: '198.51.100.23',
      srcPort: 51422,
      geo: { country: 'NG', city: 'Lagos', lat: 6.45306, lon: 3.39583 },
      dstHost: 'vpn-gw-01',
      app: 'GlobalConnect VPN',
      authProtocol: 'SAML',
      mfaUsed: false,
      processName: null,
      commandLine: null,
      vendorEventId: 'auth.login',
    });
  });

  it('matches value maps ignoring case and passes unmapped values through', () => {
    const e = parseWith(vpn, {
      ...VPN_RECORD,
      result: 'OK',
      event: 'Auth.Session-Refresh',
      second_factor: 'PUSH',
    });
    expect([e.outcome, e.reason, e.activity, e.mfaUsed]).toEqual([
      'success',
      null,
      'auth_session_refresh',
      true,
    ]);
  });

  it('falls back for closed lists: known values pass, unknown ones use the default or a safe value', () => {
    expect(parseWith(vpn, { ...VPN_RECORD, result: 'failure', why: 'quota' }).reason).toBe('other');
    expect(parseWith(vpn, { ...VPN_RECORD, result: 'failure', why: 'locked' }).reason).toBe('locked');
    expect(parseWith(vpn, { ...VPN_RECORD, result: 'pending' }).outcome).toBe('unknown');
    const { result: _r, why: _w, ...noOutcome } = VPN_RECORD;
    expect(parseWith(vpn, noOutcome)).toMatchObject({ outcome: 'unknown', reason: null });
    const withDefault = createGenericJsonParser({
      time: 't',
      class: { path: 'kind', map: { login: 'authentication' }, default: 'session' },
      outcome: { path: 'r', default: 'failure' },
    });
    expect(parseWith(withDefault, { t: '2025-03-04T10:00:00Z', kind: 'audit' })).toMatchObject({
      class: 'session',
      outcome: 'failure',
      reason: 'other',
      activity: 'other',
    });
    expect(
      parseWith(withDefault, { t: '2025-03-04T10:00:00Z', kind: 'process', r: 'success' }),
    ).toMatchObject({
      class: 'process',
      outcome: 'success',
    });
  });

  it('drops unreadable optional values instead of rejecting the record', () => {
    const e = parseWith(vpn, {
      ...VPN_RECORD,
      who: { name: { first: 'Megan' } },
      net: { src: { ip: '198.51.100.23', port: 'http', geo: { cc: 'NG', lat: 123, lon: 3.4 } } },
      second_factor: 'maybe',
    });
    expect([e.user, e.srcPort, e.geo, e.mfaUsed]).toEqual([null, null, { country: 'NG' }, null]);
    expect(parseWith(vpn, { ...VPN_RECORD, net: { src: { port: '443' } } }).srcPort).toBe(443);
  });

  it('follows array indices and keys with unusual characters, never the prototype chain', () => {
    const p = createGenericJsonParser({
      time: '@timestamp',
      user: 'targets.1.login',
      group: 'targets.0.name',
      app: 'constructor.name',
      mfaUsed: 'mfa',
    });
    const e = parseWith(p, {
      '@timestamp': '2025-03-04T10:00:00.5+01:00',
      targets: [{ name: 'Domain Admins' }, { login: 'svc-sql' }],
      mfa: 'Yes',
    });
    expect([e.time, e.user, e.group, e.app, e.mfaUsed]).toEqual([
      '2025-03-04T09:00:00.500Z',
      'svc-sql',
      'Domain Admins',
      null,
      true,
    ]);
  });

  it('reads all three time formats, numbers or numeric text', () => {
    const at = (format: 'iso' | 'epoch_s' | 'epoch_ms', ts: unknown) =>
      parseWith(createGenericJsonParser({ time: { path: 'ts', format } }), { ts }).time;
    expect(at('epoch_s', 1741100000)).toBe('2025-03-04T14:53:20.000Z');
    expect(at('epoch_s', '1741100000.25')).toBe('2025-03-04T14:53:20.250Z');
    expect(at('epoch_ms', '1741100000123')).toBe('2025-03-04T14:53:20.123Z');
    expect(at('iso', '2025-03-04T14:53:20Z')).toBe('2025-03-04T14:53:20.000Z');
  });

  it('rejects records that are not objects, or whose time is missing or unreadable', () => {
    expect(rejectWith(vpn, null)).toBe('record is null, not a JSON object');
    expect(rejectWith(vpn, [VPN_RECORD])).toBe('record is an array, not a JSON object');
    expect(rejectWith(vpn, 'ts=1')).toBe('record is a string, not a JSON object');
    const { ts: _ts, ...noTime } = VPN_RECORD;
    expect(rejectWith(vpn, noTime)).toBe('missing time at "ts"');
    expect(rejectWith(vpn, { ...VPN_RECORD, ts: 'yesterday' })).toBe(
      'invalid time at "ts": expected milliseconds since 1970 as a number, got "yesterday"',
    );
    expect(rejectWith(vpn, { ...VPN_RECORD, ts: -5 })).toMatch(/outside 1970-01-01\.\.9999-12-31$/);
    const seconds = createGenericJsonParser({ time: { path: 'ts', format: 'epoch_s' } });
    expect(rejectWith(seconds, { ts: 1741100000123 })).toMatch(
      /out of range for epoch seconds \(is it milliseconds\?\)$/,
    );
    const iso = createGenericJsonParser({ time: 'ts' });
    expect(rejectWith(iso, { ts: '2025-13-01T00:00:00Z' })).toBe(
      'invalid time at "ts" "2025-13-01T00:00:00Z": not an ISO-8601 date-time that exists',
    );
  });

  it('is deterministic and leaves its input untouched', () => {
    const before = structuredClone(VPN_RECORD);
    const a = vpn.parse(VPN_RECORD, ctx);
    const b = vpn.parse(VPN_RECORD, { receivedAt: new Date('2030-01-01T00:00:00Z') });
    expect(b).toEqual(a);
    expect(VPN_RECORD).toEqual(before);
  });
});

describe('shared helpers', () => {
  it('parseTimestamp is strict about ISO-8601 and zones', () => {
    const iso = (v: unknown, offset?: number) =>
      parseTimestamp(v, 'iso', { receivedAt: ctx.receivedAt, utcOffsetMinutes: offset });
    expect(iso('2024-02-29T23:59:59.9999999Z')).toEqual({ ok: true, iso: '2024-02-29T23:59:59.999Z' });
    expect(iso('2025-03-04 10:00:00-05:30')).toEqual({ ok: true, iso: '2025-03-04T15:30:00.000Z' });
    expect(iso('2025-03-04T10:00:00+0200')).toEqual({ ok: true, iso: '2025-03-04T08:00:00.000Z' });
    expect(iso('2025-03-04T10:00', -300)).toEqual({ ok: true, iso: '2025-03-04T15:00:00.000Z' });
    for (const bad of [
      '2023-02-29T00:00:00Z',
      '2025-04-31T00:00:00Z',
      '2025-03-04T24:00:00Z',
      '2025-03-04',
      '',
    ]) {
      expect(iso(bad).ok).toBe(false);
    }
    expect(iso(undefined)).toEqual({ ok: false, error: 'missing time' });
    expect(iso('x'.repeat(500))).toEqual({
      ok: false,
      error: `invalid time "${'x'.repeat(60)}...: not an ISO-8601 date-time that exists`,
    });
  });

  it('toActivityName makes snake_case activity names', () => {
    expect(toActivityName('user.session.end')).toBe('user_session_end');
    expect(toActivityName('Add member to group')).toBe('add_member_to_group');
    expect(toActivityName('userLoggedIn')).toBe('user_logged_in');
    expect(toActivityName('4625')).toBe('x_4625');
    expect(toActivityName('...')).toBeNull();
  });
});
