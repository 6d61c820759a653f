import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent } from '@accord/contracts';
import { entraRecords, entraSigninParser, isLegacyAuthClient } from './entra-signin.parser.ts';
import type { ParseContext } from './parser.types.ts';

const ctx: ParseContext = { receivedAt: new Date('2025-03-10T00:00:00Z') };
const fixture: unknown = JSON.parse(
  readFileSync(new URL('./fixtures/entra-signin.json', import.meta.url), 'utf8'),
);
const records = entraRecords(fixture) as Record<string, any>[];

/** Fixture record n (1-based, as numbered in fixtures/README.md). */
const rec = (n: number) => records[n - 1]!;

function parse(record: unknown, c: ParseContext = ctx) {
  const r = entraSigninParser.parse(record, c);
  if (!r.ok) throw new Error(`expected a parsed event, got: ${r.error}`);
  return NormalisedEvent.parse(r.event);
}

function reject(record: unknown, c: ParseContext = ctx): string {
  const r = entraSigninParser.parse(record, c);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

describe('entraRecords', () => {
  it('unwraps a Graph page / portal export into its records', () => {
    expect(records).toHaveLength(25);
    expect(rec(1).id).toBe('00000001-6301-4ee5-be62-ff5a759b0100');
  });

  it('takes bare arrays, Azure Monitor batches, Log Analytics tables and single records', () => {
    const one = { createdDateTime: '2025-03-03T08:00:00Z' };
    expect(entraRecords([one, one])).toEqual([one, one]);
    expect(entraRecords({ records: [one] })).toEqual([one]);
    expect(entraRecords(one)).toEqual([one]);
    expect(entraRecords('nonsense')).toEqual(['nonsense']);
    expect(
      entraRecords({
        tables: [
          {
            name: 'PrimaryResult',
            columns: [
              { name: 'TimeGenerated', type: 'datetime' },
              { name: 'ResultType', type: 'string' },
            ],
            rows: [
              ['2025-03-03T08:00:00Z', '0'],
              ['2025-03-03T08:01:00Z', '50126'],
            ],
          },
        ],
      }),
    ).toEqual([
      { TimeGenerated: '2025-03-03T08:00:00Z', ResultType: '0' },
      { TimeGenerated: '2025-03-03T08:01:00Z', ResultType: '50126' },
    ]);
  });
});

describe('entraSigninParser', () => {
  it('parses every fixture record into a valid normalised event', () => {
    expect(entraSigninParser.kind).toBe('entra_signin');
    expect(entraSigninParser.input).toBe('json');
    for (const r of records) {
      const e = parse(r);
      expect(e.class).toBe('authentication');
      expect(e.activity).toBe('sign_in');
      expect(e.vendorEventId).toBe(`signIn:${r.status.errorCode}`);
    }
  });

  it('maps a successful sign-in (the documented Graph example) field by field', () => {
    expect(parse(rec(1))).toEqual({
      time: '2025-03-03T08:15:41.619Z',
      class: 'authentication',
      activity: 'sign_in',
      outcome: 'success',
      reason: null,
      reasonDetail: null,
      user: 'MeganB@contoso.com',
      userDomain: 'contoso.com',
      targetUser: null,
      group: null,
      srcIp: '131.107.159.37',
      srcPort: null,
      geo: { country: 'US', city: 'Redmond', lat: 47.68050003051758, lon: -122.12094116210938 },
      dstHost: 'Microsoft Graph',
      app: 'Graph Explorer',
      authProtocol: 'Browser',
      mfaUsed: true,
      processName: null,
      commandLine: null,
      vendorEventId: 'signIn:0',
    });
  });

  it.each([
    [2, 50126, 'bad_password'],
    [3, 50034, 'unknown_user'],
    [4, 50053, 'locked'],
    [5, 50057, 'disabled'],
    [6, 50055, 'expired'],
    [7, 50144, 'expired'],
    [8, 53003, 'policy_blocked'],
    [9, 53000, 'policy_blocked'],
    [10, 530032, 'policy_blocked'],
    [11, 50074, 'mfa_required'],
    [12, 50076, 'mfa_required'],
    [13, 50079, 'mfa_required'],
    [19, 500121, 'invalid_mfa_code'],
    [22, 50126, 'bad_password'],
    [24, 50089, 'other'],
  ])('record %i: AADSTS%i is a failure with reason %s', (n, code, reason) => {
    const e = parse(rec(n));
    expect(e.outcome).toBe('failure');
    expect(e.reason).toBe(reason);
    expect(e.reasonDetail).toBe(`AADSTS${code}`);
    expect(e.vendorEventId).toBe(`signIn:${code}`);
  });

  it('keeps the attempted name of an unknown user and ignores the all-zero object id', () => {
    const e = parse(rec(3));
    expect(e.user).toBe('j.doe@contoso.com');
    expect(e.userDomain).toBe('contoso.com');
    expect(e.geo).toEqual({ country: 'NG', city: 'Lagos', lat: 6.45306, lon: 3.39583 });
  });

  it('names a service principal, or falls back to the object id, when there is no UPN', () => {
    const { userPrincipalName: _u, userDisplayName: _d, ...noUpn } = rec(21);
    expect([parse(noUpn).user, parse(noUpn).userDomain]).toEqual([
      'a9f3e2d1-7c6b-4a59-8e4d-3b2a1c0f9e8d',
      null,
    ]);
    expect(parse({ ...noUpn, servicePrincipalName: 'backup-automation' }).user).toBe('backup-automation');
  });

  it('reads a push-fatigue run: declined, declined, not answered, call not answered, then approved', () => {
    const run = [14, 15, 16, 17, 18].map((n) => parse(rec(n)));
    expect(run.map((e) => [e.outcome, e.reason, e.mfaUsed])).toEqual([
      ['failure', 'mfa_denied', false],
      ['failure', 'mfa_denied', false],
      ['failure', 'mfa_timeout', false],
      ['failure', 'mfa_timeout', false],
      ['success', null, true],
    ]);
    expect(new Set(run.map((e) => `${e.user} ${e.srcIp}`))).toEqual(
      new Set(['AdeleV@contoso.com 203.0.113.45']),
    );
    expect(run.slice(0, 4).every((e) => e.reasonDetail === 'AADSTS500121')).toBe(true);
  });

  it('reads 500121 detail from status.additionalDetails alone when the steps are missing', () => {
    const base: Record<string, any> = { ...rec(14), authenticationDetails: [] };
    const withStatus = (additionalDetails: string | null) =>
      parse({ ...base, status: { ...base.status, additionalDetails } }).reason;
    expect(withStatus('MFA denied; user declined the authentication')).toBe('mfa_denied');
    expect(withStatus('MFA denied; duo/phone call not answered')).toBe('mfa_timeout');
    expect(withStatus('MFA denied; user did not respond to mobile app notification')).toBe('mfa_timeout');
    expect(withStatus('MFA denied; invalid verification code')).toBe('invalid_mfa_code');
    expect(withStatus('MFA denied; user did not select the correct number')).toBe('mfa_denied');
    expect(withStatus(null)).toBe('mfa_denied');
  });

  it('uses a failed MFA step to refine a 50074 interrupt, and says MFA was not used', () => {
    const e = parse(rec(11));
    expect([e.reason, e.mfaUsed]).toEqual(['mfa_required', false]);
    const denied = parse({
      ...rec(11),
      authenticationDetails: [
        {
          authenticationMethod: 'Push Notification',
          succeeded: false,
          authenticationStepResultDetail: 'MFA denied; user declined the authentication',
        },
      ],
    });
    expect(denied.reason).toBe('mfa_denied');
  });

  it('treats a keep-me-signed-in interrupt as neither success nor failure', () => {
    const e = parse(rec(20));
    expect([e.outcome, e.reason, e.reasonDetail, e.vendorEventId]).toEqual([
      'unknown',
      null,
      'AADSTS50140',
      'signIn:50140',
    ]);
  });

  it('keeps the client app of legacy authentication verbatim and recognises it', () => {
    const imap = parse(rec(21));
    expect([imap.outcome, imap.authProtocol, imap.mfaUsed]).toEqual(['success', 'IMAP4', false]);
    expect(parse(rec(22)).authProtocol).toBe('Authenticated SMTP');
    expect(parse(rec(23)).authProtocol).toBe('Exchange ActiveSync');
    expect(parse(rec(23)).mfaUsed).toBe(false);
    for (const n of [21, 22, 23, 10]) expect(isLegacyAuthClient(parse(rec(n)).authProtocol)).toBe(true);
    for (const n of [1, 5]) expect(isLegacyAuthClient(parse(rec(n)).authProtocol)).toBe(false);
    expect(isLegacyAuthClient(null)).toBe(false);
  });

  it('extracts geo when present and leaves it null when Entra resolved nothing', () => {
    expect(parse(rec(10)).geo).toEqual({ country: 'NL', city: 'Amsterdam', lat: 52.37403, lon: 4.88969 });
    expect(parse(rec(25)).geo).toBeNull();
    const noCoords = parse({
      ...rec(1),
      location: { city: 'Redmond', countryOrRegion: 'US', geoCoordinates: {} },
    });
    expect(noCoords.geo).toEqual({ country: 'US', city: 'Redmond' });
  });

  it('says MFA was used from mfaDetail or the requirement even without step details', () => {
    const bare = { ...rec(1), authenticationDetails: undefined };
    expect(parse({ ...bare, mfaDetail: null }).mfaUsed).toBe(true);
    expect(parse({ ...bare, authenticationRequirement: undefined }).mfaUsed).toBe(true);
    const nothing = parse({ ...bare, authenticationRequirement: undefined, mfaDetail: null });
    expect(nothing.mfaUsed).toBeNull();
    expect(parse(rec(25)).mfaUsed).toBe(false);
  });

  it('reads a Log Analytics SigninLogs row (PascalCase, ResultType text, JSON-text details)', () => {
    const row = {
      TenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      TimeGenerated: '2025-03-04T08:00:35.1234567Z',
      CreatedDateTime: '2025-03-04T08:00:31.0000000Z',
      OperationName: 'Sign-in activity',
      Category: 'SignInLogs',
      ResultType: '500121',
      ResultDescription: 'Authentication failed during strong authentication request.',
      UserPrincipalName: 'AdeleV@contoso.com',
      UserId: '87d349ed-44d7-43e1-9a83-5f2406dee5bd',
      AppDisplayName: 'OfficeHome',
      ResourceDisplayName: 'Office 365 SharePoint Online',
      IPAddress: '203.0.113.45',
      ClientAppUsed: 'Browser',
      IsInteractive: true,
      AuthenticationRequirement: 'multiFactorAuthentication',
      AuthenticationDetails:
        '[{"authenticationStepDateTime":"2025-03-04T08:00:02Z","authenticationMethod":"Password","succeeded":true,"authenticationStepResultDetail":"Correct password"},{"authenticationStepDateTime":"2025-03-04T08:00:31Z","authenticationMethod":"Mobile app notification","succeeded":false,"authenticationStepResultDetail":"MFA denied; user declined the authentication"}]',
      Status: {
        errorCode: 500121,
        failureReason: 'Authentication failed during strong authentication request.',
      },
      LocationDetails: {
        city: 'Amsterdam',
        state: 'Noord-Holland',
        countryOrRegion: 'NL',
        geoCoordinates: { latitude: 52.37403, longitude: 4.88969 },
      },
      Location: 'NL',
      Type: 'SigninLogs',
    };
    const e = parse(row);
    expect(e).toMatchObject({
      time: '2025-03-04T08:00:31.000Z', // CreatedDateTime (the sign-in), not TimeGenerated (ingestion)
      outcome: 'failure',
      reason: 'mfa_denied',
      reasonDetail: 'AADSTS500121',
      user: 'AdeleV@contoso.com',
      userDomain: 'contoso.com',
      srcIp: '203.0.113.45',
      geo: { country: 'NL', city: 'Amsterdam', lat: 52.37403, lon: 4.88969 },
      app: 'OfficeHome',
      dstHost: 'Office 365 SharePoint Online',
      authProtocol: 'Browser',
      mfaUsed: false,
      vendorEventId: 'signIn:500121',
    });

    // Trimmed exports: TimeGenerated only, Status and LocationDetails as JSON text, or only a country.
    const trimmed = parse({
      TimeGenerated: '2025-03-04T09:00:00Z',
      ResultType: '0',
      UserPrincipalName: 'AlexW@contoso.com',
      Status: '{"errorCode":0}',
      LocationDetails: '{"city":"Seattle","countryOrRegion":"US"}',
    });
    expect([trimmed.time, trimmed.outcome, trimmed.geo]).toEqual([
      '2025-03-04T09:00:00.000Z',
      'success',
      { country: 'US', city: 'Seattle' },
    ]);
    const countryOnly = parse({ TimeGenerated: '2025-03-04T09:00:00Z', ResultType: '50126', Location: 'US' });
    expect([countryOnly.reason, countryOnly.geo]).toEqual(['bad_password', { country: 'US' }]);
  });

  it('reads an Azure Monitor diagnostic record (fields under properties)', () => {
    const e = parse({
      time: '2025-03-05T02:14:10.0000000Z',
      resourceId: '/tenants/72f988bf-86f1-41af-91ab-2d7cd011db47/providers/Microsoft.aadiam',
      operationName: 'Sign-in activity',
      operationVersion: '1.0',
      category: 'NonInteractiveUserSignInLogs',
      resultType: '0',
      resultSignature: 'None',
      durationMs: 0,
      callerIpAddress: '203.0.113.77',
      identity: 'svc-scanner',
      Level: 4,
      location: 'NL',
      properties: rec(21),
    });
    expect(e).toMatchObject({
      time: '2025-03-05T02:14:09.000Z',
      outcome: 'success',
      user: 'svc-scanner@contoso.com',
      authProtocol: 'IMAP4',
      geo: { country: 'NL', city: 'Amsterdam' },
    });
  });

  it('turns a well-formed record that is not a sign-in into class other', () => {
    const audit = {
      id: 'Directory_5cd4b8d1-6e3d-4d2e-8a0f-1b2c3d4e5f60',
      category: 'GroupManagement',
      correlationId: '2e1d4c3b-5a69-4f8e-9d7c-6b5a4f3e2d1c',
      result: 'success',
      resultReason: '',
      activityDisplayName: 'Add member to group',
      activityDateTime: '2025-03-06T10:32:00Z',
      loggedByService: 'Core Directory',
      operationType: 'Assign',
      initiatedBy: { user: { id: '4b1f0b9c', userPrincipalName: 'it.admin@contoso.com' } },
      targetResources: [],
    };
    expect(parse(audit)).toMatchObject({
      time: '2025-03-06T10:32:00.000Z',
      class: 'other',
      activity: 'add_member_to_group',
      outcome: 'success',
      user: 'it.admin@contoso.com',
      vendorEventId: 'Add member to group',
    });
  });

  it('rejects what is not a JSON object, with a clear reason', () => {
    expect(reject(null)).toBe('record is null, not a JSON object');
    expect(reject([rec(1)])).toBe('record is an array, not a JSON object');
    expect(reject('{"createdDateTime":"2025-03-03T08:15:41Z"}')).toBe(
      'record is a string, not a JSON object',
    );
    expect(reject(42)).toBe('record is a number, not a JSON object');
  });

  it('rejects a record without a time, or with one that cannot be read', () => {
    const { createdDateTime: _omit, ...noTime } = rec(2);
    expect(reject(noTime)).toMatch(/^missing time/);
    expect(reject({ ...rec(2), createdDateTime: '2025-02-30T10:00:00Z' })).toMatch(
      /^invalid createdDateTime "2025-02-30T10:00:00Z"/,
    );
    expect(reject({ ...rec(2), createdDateTime: 'yesterday' })).toMatch(
      /^invalid createdDateTime "yesterday"/,
    );
    expect(reject({ ...rec(2), createdDateTime: 1741000000 })).toMatch(/expected an ISO-8601 string/);
    expect(reject({ TimeGenerated: '3/4/2025, 8:00:31.000 AM', ResultType: '0' })).toMatch(
      /^invalid TimeGenerated/,
    );
  });

  it('rejects an error code that is not an integer', () => {
    expect(reject({ ...rec(2), status: { errorCode: 'fifty' } })).toBe(
      'invalid status.errorCode "fifty": not an integer AADSTS code',
    );
  });

  it('reads a time without a zone at the source offset', () => {
    const local = { ...rec(2), createdDateTime: '2025-03-03T09:20:02' };
    expect(parse(local).time).toBe('2025-03-03T09:20:02.000Z');
    expect(parse(local, { ...ctx, utcOffsetMinutes: 60 }).time).toBe('2025-03-03T08:20:02.000Z');
  });

  it('is deterministic and leaves its input untouched', () => {
    const before = structuredClone(records);
    const a = records.map((r) => entraSigninParser.parse(r, ctx));
    const b = records.map((r) =>
      entraSigninParser.parse(r, { receivedAt: new Date('2030-01-01T00:00:00Z') }),
    );
    expect(b).toEqual(a);
    expect(records).toEqual(before);
  });
});
