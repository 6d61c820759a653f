import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent, type NormalisedEventInput } from '@accord/contracts';
import type { ParseContext } from './parser.types.ts';
import { windowsSecurityParser as parser } from './windows-security.parser.ts';

// Fixtures: one record per line, documented in fixtures/windows-security.README.md (by record id:
// 1xxx Winlogbeat, 2xxx flat EVTX-to-JSON, 3xxx nested EVTX-to-JSON).
const FIXTURE_TEXT = readFileSync(new URL('./fixtures/windows-security.ndjson', import.meta.url), 'utf8');
const README = readFileSync(new URL('./fixtures/windows-security.README.md', import.meta.url), 'utf8');
const RECORDS: any[] = FIXTURE_TEXT.split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));

const CTX: ParseContext = { receivedAt: new Date('2024-05-15T00:00:00Z') };

function recordIdOf(r: any): number {
  const sys = r.System ?? r.Event?.System;
  return Number(r.winlog?.record_id ?? r.EventRecordID ?? sys?.EventRecordID);
}
function eventIdOf(r: any): number {
  const sys = r.System ?? r.Event?.System;
  const id = r.winlog?.event_id ?? r.EventID ?? sys?.EventID;
  return Number(typeof id === 'object' ? id['#text'] : id);
}
const BY_ID = new Map<number, any>(RECORDS.map((r) => [recordIdOf(r), r]));

/** A private copy of a fixture record, safe to modify. */
function fixture(recordId: number): any {
  const r = BY_ID.get(recordId);
  if (!r) throw new Error(`no fixture record ${recordId}`);
  return structuredClone(r);
}

function parseOk(record: unknown, ctx: ParseContext = CTX): NormalisedEventInput {
  const r = parser.parse(record, ctx);
  if (!r.ok) throw new Error(`expected the record to parse, got: ${r.error}`);
  return r.event;
}

function parseErr(record: unknown): string {
  const r = parser.parse(record, CTX);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

/** The Winlogbeat 4625 (wrong password) with its Status / SubStatus replaced. */
function failedLogon(status: string, subStatus: string): any {
  const r = fixture(1010);
  r.winlog.event_data.Status = status;
  r.winlog.event_data.SubStatus = subStatus;
  return r;
}

function withEventData(recordId: number, fields: Record<string, string | undefined>): any {
  const r = fixture(recordId);
  const data = r.winlog.event_data;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) delete data[k];
    else data[k] = v;
  }
  return r;
}

const MODELLED = [
  4624, 4625, 4634, 4648, 4672, 4688, 4720, 4722, 4724, 4725, 4726, 4728, 4732, 4756, 4740, 4768, 4771, 4776,
  1102, 4719,
];

describe('windows security fixtures', () => {
  it('hold every modelled event id both as Winlogbeat and as EVTX-to-JSON', () => {
    for (const id of MODELLED) {
      const shapes = RECORDS.filter((r) => eventIdOf(r) === id).map((r) =>
        'winlog' in r ? 'winlogbeat' : 'evtx',
      );
      expect(shapes, `event ${id}`).toContain('winlogbeat');
      expect(shapes, `event ${id}`).toContain('evtx');
    }
  });

  it('are each documented in the README and have unique record ids', () => {
    expect(BY_ID.size).toBe(RECORDS.length);
    for (const id of BY_ID.keys()) expect(README, `record ${id}`).toMatch(new RegExp(`\\| ${id} \\|`));
  });

  it('all parse into events the NormalisedEvent schema accepts', () => {
    for (const r of RECORDS) {
      const event = parseOk(r);
      expect(() => NormalisedEvent.parse(event), `record ${recordIdOf(r)}`).not.toThrow();
      expect(event.vendorEventId).toBe(String(eventIdOf(r)));
    }
  });
});

describe('windowsSecurityParser mapping', () => {
  it('is a json parser of kind windows_security', () => {
    expect(parser.kind).toBe('windows_security');
    expect(parser.input).toBe('json');
  });

  it('maps a Winlogbeat RDP logon (4624, type 10) completely', () => {
    expect(parseOk(fixture(1001))).toEqual({
      time: '2024-05-14T08:02:11.482Z',
      class: 'authentication',
      activity: 'logon_remote_interactive',
      outcome: 'success',
      reason: null,
      reasonDetail: null,
      user: 'dadmin',
      userDomain: 'CONTOSO',
      targetUser: null,
      group: null,
      srcIp: '203.0.113.45',
      srcPort: null, // IpPort 0: no port
      geo: null,
      dstHost: 'WIN-SRV01.contoso.local',
      app: null,
      authProtocol: 'negotiate',
      mfaUsed: null,
      processName: 'C:\\Windows\\System32\\svchost.exe',
      commandLine: null,
      vendorEventId: '4624',
    });
  });

  it('maps a flat EVTX failed network logon (4625) completely', () => {
    expect(parseOk(fixture(2010))).toEqual({
      time: '2024-05-14T08:10:02.202Z',
      class: 'authentication',
      activity: 'logon_network',
      outcome: 'failure',
      reason: 'bad_password',
      reasonDetail: '0xC000006A',
      user: 'administrator',
      userDomain: 'CONTOSO',
      targetUser: null,
      group: null,
      srcIp: '198.51.100.23',
      srcPort: 53121,
      geo: null,
      dstHost: 'WIN-SRV01.contoso.local',
      app: null,
      authProtocol: 'ntlm',
      mfaUsed: null,
      processName: null,
      commandLine: null,
      vendorEventId: '4625',
    });
  });

  // [record id, expected fields]; see fixtures/windows-security.README.md for each record.
  const EXPECTED: Array<[number, Partial<NormalisedEventInput>]> = [
    [
      2001,
      { activity: 'logon_network', user: 'bob', srcIp: '10.0.1.25', srcPort: 49722, authProtocol: 'ntlm_v2' },
    ],
    [
      3001,
      {
        activity: 'logon_interactive',
        user: 'bob',
        srcIp: null,
        srcPort: null,
        dstHost: 'WKS-0042.contoso.local',
      },
    ],
    [1002, { activity: 'logon_service', user: 'SYSTEM', userDomain: 'NT AUTHORITY', srcIp: null }],
    [1003, { activity: 'logon_remote_interactive', srcIp: '::1', authProtocol: 'kerberos' }],
    [
      3010,
      {
        activity: 'logon_remote_interactive',
        outcome: 'failure',
        reason: 'bad_password',
        srcIp: '198.51.100.23',
      },
    ],
    [1011, { reason: 'unknown_user', reasonDetail: '0xC0000064', user: 'oracle', userDomain: 'WIN-SRV01' }],
    [3011, { reason: 'locked', reasonDetail: '0xC0000234', user: 'm.jones', authProtocol: 'kerberos' }],
    [1012, { activity: 'logon_interactive', reason: 'disabled', reasonDetail: '0xC0000072', srcIp: null }],
    [2012, { reason: 'policy_blocked', reasonDetail: '0xC000006F' }],
    [1013, { reason: 'policy_blocked', reasonDetail: '0xC0000070' }],
    [3013, { reason: 'expired', reasonDetail: '0xC0000071' }],
    [1014, { reason: 'expired', reasonDetail: '0xC0000193' }],
    [2014, { reason: 'other', reasonDetail: '0xC0000133' }],
    [1015, { reason: 'policy_blocked', reasonDetail: '0xC000015B' }],
    [1020, { class: 'session', activity: 'logoff', outcome: 'success', user: 'bob', userDomain: 'CONTOSO' }],
    [3020, { class: 'session', activity: 'logoff', user: 'dadmin', dstHost: 'WIN-SRV01.contoso.local' }],
    [
      1030,
      {
        class: 'privilege_use',
        activity: 'explicit_credentials_logon',
        user: 'dadmin',
        targetUser: 'svc-sql',
        dstHost: 'SQL01.contoso.local',
        srcIp: null,
        processName: 'C:\\Windows\\System32\\runas.exe',
      },
    ],
    [2030, { targetUser: 'svc-sql', dstHost: 'WKS-0042.contoso.local', srcIp: '::1', srcPort: null }],
    [
      1040,
      {
        class: 'privilege_use',
        activity: 'special_privileges_assigned',
        user: 'dadmin',
        userDomain: 'CONTOSO',
      },
    ],
    [3040, { class: 'privilege_use', user: 'SYSTEM', userDomain: 'NT AUTHORITY' }],
    [
      1050,
      {
        class: 'process',
        activity: 'process_created',
        user: 'dadmin',
        processName: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        commandLine:
          'powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA',
        targetUser: null,
      },
    ],
    [2050, { processName: 'C:\\Windows\\System32\\whoami.exe', commandLine: 'whoami  /all' }],
    [3050, { class: 'process', processName: 'C:\\Windows\\System32\\net.exe', commandLine: null }],
    [1060, { class: 'account_change', activity: 'user_created', user: 'dadmin', targetUser: 'j.doe' }],
    [1061, { class: 'account_change', activity: 'user_enabled', targetUser: 'j.doe' }],
    [1062, { class: 'account_change', activity: 'password_reset', outcome: 'success', targetUser: 'bob' }],
    [2062, { activity: 'password_reset', outcome: 'failure', targetUser: 'Administrator' }],
    [1063, { activity: 'user_disabled', targetUser: 'old.admin' }],
    [1064, { activity: 'user_deleted', targetUser: 'temp.user' }],
    [2064, { activity: 'user_deleted', time: '2024-05-14T11:15:01.000Z' }],
    [
      1065,
      {
        class: 'account_change',
        activity: 'account_locked',
        user: 'DC01$',
        userDomain: 'CONTOSO',
        targetUser: 'm.jones',
      },
    ],
    [
      1070,
      {
        class: 'group_change',
        activity: 'member_added',
        user: 'dadmin',
        targetUser: 'CN=Jane Doe,OU=Staff,DC=contoso,DC=local',
        group: 'Domain Admins',
      },
    ],
    [
      1071,
      {
        activity: 'member_added',
        targetUser: 'S-1-5-21-1377283216-344919071-3415362939-1108',
        group: 'Administrators',
      },
    ],
    [1072, { activity: 'member_added', group: 'Enterprise Admins' }],
    [
      1080,
      {
        class: 'authentication',
        activity: 'tgt_request',
        outcome: 'success',
        reason: null,
        user: 'bob',
        userDomain: 'CONTOSO.LOCAL',
        srcIp: '10.0.1.25',
        srcPort: 49690,
        authProtocol: 'kerberos',
        dstHost: 'DC01.contoso.local',
      },
    ],
    [1081, { outcome: 'failure', reason: 'unknown_user', reasonDetail: '0x6', srcIp: '198.51.100.23' }],
    [2081, { outcome: 'failure', reason: 'disabled', reasonDetail: '0x12' }],
    [3081, { outcome: 'failure', reason: 'expired', reasonDetail: '0x17' }],
    [1082, { outcome: 'failure', reason: 'bad_password', reasonDetail: '0x18' }],
    [
      1090,
      {
        class: 'authentication',
        activity: 'preauth',
        outcome: 'failure',
        reason: 'bad_password',
        reasonDetail: '0x18',
        user: 'm.jones',
        userDomain: null,
        srcIp: '10.0.1.77',
        srcPort: 61010,
        authProtocol: 'kerberos',
      },
    ],
    [2090, { reason: 'disabled', reasonDetail: '0x12' }],
    [1091, { reason: 'other', reasonDetail: '0x25' }],
    [
      1100,
      {
        class: 'authentication',
        activity: 'credential_validation',
        outcome: 'success',
        user: 'bob',
        authProtocol: 'ntlm',
      },
    ],
    [2100, { outcome: 'failure', reason: 'bad_password', reasonDetail: '0xC000006A', user: 'administrator' }],
    [3100, { outcome: 'failure', reason: 'unknown_user', reasonDetail: '0xC0000064' }],
    [1101, { outcome: 'failure', reason: 'locked', reasonDetail: '0xC0000234' }],
    [
      1110,
      {
        class: 'audit_log',
        activity: 'log_cleared',
        outcome: 'success',
        user: 'dadmin',
        userDomain: 'CONTOSO',
      },
    ],
    [2110, { class: 'audit_log', activity: 'log_cleared', user: 'dadmin', userDomain: 'CONTOSO' }],
    [3110, { class: 'audit_log', activity: 'log_cleared', user: 'dadmin' }],
    [1120, { class: 'policy_change', activity: 'audit_policy_changed', outcome: 'success', user: 'DC01$' }],
    [3120, { class: 'policy_change', activity: 'audit_policy_changed', user: 'DC01$' }],
    [1130, { class: 'other', activity: 'other', outcome: 'success', user: 'dadmin', vendorEventId: '4698' }],
    [
      2130,
      {
        class: 'other',
        activity: 'other',
        outcome: 'success',
        user: 'dadmin',
        srcIp: null,
        vendorEventId: '5140',
      },
    ],
    [
      1131,
      {
        class: 'other',
        activity: 'other',
        outcome: 'unknown',
        user: null,
        processName: null,
        vendorEventId: '1',
      },
    ],
  ];

  it.each(EXPECTED)('maps fixture record %i', (recordId, expected) => {
    expect(parseOk(fixture(recordId))).toMatchObject(expected);
  });

  it('normalises the same event identically whatever the shape it came in', () => {
    const strip = (e: NormalisedEventInput) => ({ ...e, time: undefined, srcPort: undefined });
    const pairs: Array<number[]> = [
      [1010, 2010],
      [1060, 2060],
      [1061, 3061],
      [1063, 3063],
      [1064, 2064],
      [1065, 3065],
      [1070, 2070],
      [1071, 3071],
      [1072, 2072],
      [1090, 3090],
      [1110, 2110, 3110],
      [1120, 3120],
    ];
    for (const [first, ...rest] of pairs) {
      const want = strip(parseOk(fixture(first!)));
      for (const other of rest) expect(strip(parseOk(fixture(other))), `${first} vs ${other}`).toEqual(want);
    }
  });
});

describe('failure codes', () => {
  // 4625: the reason comes from SubStatus, or from Status when SubStatus is 0x0 or absent.
  it.each([
    ['0xc000006d', '0xc000006a', 'bad_password', '0xC000006A'],
    ['0xc000006d', '0xc0000064', 'unknown_user', '0xC0000064'],
    ['0xc0000234', '0x0', 'locked', '0xC0000234'],
    ['0xc000006e', '0xc0000072', 'disabled', '0xC0000072'],
    ['0xc000006e', '0xc000006f', 'policy_blocked', '0xC000006F'],
    ['0xc000006e', '0xc0000070', 'policy_blocked', '0xC0000070'],
    ['0xc000006e', '0x0', 'policy_blocked', '0xC000006E'],
    ['0xc000015b', '0x0', 'policy_blocked', '0xC000015B'],
    ['0xc0000413', '0x0', 'policy_blocked', '0xC0000413'],
    ['0xc000006e', '0xc0000071', 'expired', '0xC0000071'],
    ['0xc000006e', '0xc0000193', 'expired', '0xC0000193'],
    ['0xc0000224', '0x0', 'expired', '0xC0000224'],
    ['0xc0000133', '0x0', 'other', '0xC0000133'],
    ['0xc000006d', '0x0', 'other', '0xC000006D'],
    ['0xc000005e', '0x0', 'other', '0xC000005E'],
    ['0xC000006D', '0xC000006A', 'bad_password', '0xC000006A'],
  ])('4625 Status %s SubStatus %s → %s', (status, sub, reason, detail) => {
    expect(parseOk(failedLogon(status, sub))).toMatchObject({
      outcome: 'failure',
      reason,
      reasonDetail: detail,
    });
  });

  it('4625 without Status and SubStatus is a failure with reason other and no detail', () => {
    const r = withEventData(1010, { Status: undefined, SubStatus: undefined });
    expect(parseOk(r)).toMatchObject({ outcome: 'failure', reason: 'other', reasonDetail: null });
  });

  it('4625 keeps an unreadable status code verbatim in reasonDetail', () => {
    expect(parseOk(failedLogon('%%2313', '-'))).toMatchObject({ reason: 'other', reasonDetail: '%%2313' });
  });

  // 4768 Result Code (RFC 4120 error codes).
  it.each([
    ['0x1', 'expired', '0x1'],
    ['0x6', 'unknown_user', '0x6'],
    ['0xc', 'policy_blocked', '0xC'],
    ['0x12', 'disabled', '0x12'],
    ['0x17', 'expired', '0x17'],
    ['0x18', 'bad_password', '0x18'],
    ['0x25', 'other', '0x25'],
    ['0x44', 'other', '0x44'],
  ])('4768 Status %s → failure %s', (status, reason, detail) => {
    const e = parseOk(withEventData(1080, { Status: status }));
    expect(e).toMatchObject({ outcome: 'failure', reason, reasonDetail: detail });
  });

  it('4768 Status 0x0 is a success; a 4768 without Status takes its outcome from the keywords', () => {
    expect(parseOk(withEventData(1080, { Status: '0x0' }))).toMatchObject({
      outcome: 'success',
      reason: null,
    });
    expect(parseOk(withEventData(1081, { Status: undefined }))).toMatchObject({
      outcome: 'failure',
      reason: null,
    });
    expect(parseOk(withEventData(1080, { Status: undefined }))).toMatchObject({ outcome: 'success' });
  });

  it.each([
    ['0x18', 'bad_password'],
    ['0x12', 'disabled'],
    ['0x17', 'expired'],
    ['0x6', 'unknown_user'],
    ['0x25', 'other'],
  ])('4771 Status %s → %s', (status, reason) => {
    expect(parseOk(withEventData(1090, { Status: status }))).toMatchObject({ outcome: 'failure', reason });
  });

  it.each([
    ['0xc000006a', 'bad_password'],
    ['0xc0000064', 'unknown_user'],
    ['0xc0000234', 'locked'],
    ['0xc0000072', 'disabled'],
    ['0xc000006f', 'policy_blocked'],
    ['0xc0000070', 'policy_blocked'],
    ['0xc0000071', 'expired'],
    ['0xc0000193', 'expired'],
    ['0xc0000224', 'expired'],
    ['0xc0000371', 'other'],
  ])('4776 Error Code %s → %s', (status, reason) => {
    const e = parseOk(withEventData(1100, { Status: status }));
    expect(e).toMatchObject({
      outcome: 'failure',
      reason,
      reasonDetail: '0x' + status.slice(2).toUpperCase(),
    });
  });

  it('reads status codes written as decimal numbers (evtx_dump renders some as integers)', () => {
    const r = fixture(2100);
    r.EventData.Status = 3221225578; // 0xC000006A
    expect(parseOk(r)).toMatchObject({ reason: 'bad_password', reasonDetail: '0xC000006A' });
  });
});

describe('logon details', () => {
  it.each([
    ['0', 'logon_system'],
    ['2', 'logon_interactive'],
    ['3', 'logon_network'],
    ['4', 'logon_batch'],
    ['5', 'logon_service'],
    ['7', 'logon_unlock'],
    ['8', 'logon_network_cleartext'],
    ['9', 'logon_new_credentials'],
    ['10', 'logon_remote_interactive'],
    ['11', 'logon_cached_interactive'],
    ['12', 'logon_cached_remote_interactive'],
    ['13', 'logon_cached_unlock'],
    ['99', 'logon'],
    [undefined, 'logon'],
  ])('LogonType %s → activity %s', (type, activity) => {
    expect(parseOk(withEventData(1001, { LogonType: type })).activity).toBe(activity);
    expect(parseOk(withEventData(1010, { LogonType: type })).activity).toBe(activity);
  });

  it.each([
    // [LogonType, IpAddress, IpPort, srcIp, srcPort]
    ['3', '-', '-', null, null],
    ['3', '', '', null, null],
    ['3', '10.0.1.25', '49722', '10.0.1.25', 49722],
    ['3', '::ffff:10.0.1.25', '49722', '10.0.1.25', 49722],
    ['3', 'FE80::1C2B:3D4E', '445', 'fe80::1c2b:3d4e', 445],
    ['3', '10.0.1.25', '0', '10.0.1.25', null],
    ['3', '10.0.1.25', '70000', '10.0.1.25', null],
    ['3', '10.0.1.25', 'x', '10.0.1.25', null],
    ['2', '127.0.0.1', '0', null, null], // console logon: the loopback is the machine itself
    ['2', '::1', '0', null, null],
    ['5', '127.0.0.1', '0', null, null],
    ['3', '127.0.0.1', '50000', '127.0.0.1', 50000], // network logon from a local process: kept
    ['10', '::1', '0', '::1', null], // RDP through a local tunnel: kept
    ['10', '::ffff:127.0.0.1', '0', '127.0.0.1', null],
  ])('LogonType %s IpAddress %j IpPort %j → srcIp %j srcPort %j', (type, ip, port, srcIp, srcPort) => {
    const e = parseOk(withEventData(1001, { LogonType: type, IpAddress: ip, IpPort: port }));
    expect({ srcIp: e.srcIp, srcPort: e.srcPort }).toEqual({ srcIp, srcPort });
  });

  it.each([
    ['NTLM', 'NTLM V1', 'ntlm_v1'],
    ['NTLM', 'NTLM V2', 'ntlm_v2'],
    ['NTLM', 'LM', 'lm'],
    ['NTLM', '-', 'ntlm'],
    ['Kerberos', '-', 'kerberos'],
    ['Negotiate', '-', 'negotiate'],
    ['CloudAP', '-', 'cloudap'],
    ['-', '-', null],
  ])('AuthenticationPackageName %s with LmPackageName %s → authProtocol %j', (pkg, lm, want) => {
    const e = parseOk(withEventData(1001, { AuthenticationPackageName: pkg, LmPackageName: lm }));
    expect(e.authProtocol).toBe(want);
  });

  it("treats '-' and blank account fields as absent", () => {
    const e = parseOk(withEventData(1010, { TargetUserName: '-', TargetDomainName: '  ' }));
    expect(e).toMatchObject({ user: null, userDomain: null });
  });

  it('4688 names the other account only when the new process runs as someone else', () => {
    expect(parseOk(withEventData(1050, { TargetUserName: 'svc-sql' })).targetUser).toBe('svc-sql');
    expect(parseOk(withEventData(1050, { TargetUserName: 'dadmin' })).targetUser).toBeNull();
  });

  it('4732 uses MemberName when present and the member SID otherwise', () => {
    expect(parseOk(withEventData(1071, { MemberName: 'CN=Bob,DC=contoso,DC=local' })).targetUser).toBe(
      'CN=Bob,DC=contoso,DC=local',
    );
    expect(parseOk(withEventData(1071, { MemberName: '-', MemberSid: '-' })).targetUser).toBeNull();
  });

  it('1102 also reads the clearing account from EventData when a converter put it there', () => {
    const r = fixture(2110);
    delete r.UserData;
    r.EventData = { SubjectUserName: 'dadmin', SubjectDomainName: 'CONTOSO' };
    expect(parseOk(r)).toMatchObject({ class: 'audit_log', user: 'dadmin', userDomain: 'CONTOSO' });
  });

  it('records from another channel are class other, even with a Security event id', () => {
    const r = fixture(1001);
    r.winlog.channel = 'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational';
    expect(parseOk(r)).toMatchObject({
      class: 'other',
      activity: 'other',
      user: null,
      vendorEventId: '4624',
    });
  });

  it('records without a channel are taken to be Security', () => {
    const r = fixture(2010);
    delete r.Channel;
    expect(parseOk(r)).toMatchObject({ class: 'authentication', reason: 'bad_password' });
  });

  it('unmodelled events take their outcome from the keywords, else unknown', () => {
    const r = fixture(1130);
    r.winlog.keywords = ['Audit Failure'];
    expect(parseOk(r).outcome).toBe('failure');
    delete r.winlog.keywords;
    r.event.outcome = 'success';
    expect(parseOk(r).outcome).toBe('success');
    delete r.event.outcome;
    expect(parseOk(r).outcome).toBe('unknown');
  });

  it('a record without EventData still parses: the fields are simply unknown', () => {
    const e = parseOk({ EventID: 4625, TimeCreated: '2024-05-14T08:10:00Z', Computer: 'WIN-SRV01' });
    expect(e).toMatchObject({
      class: 'authentication',
      outcome: 'failure',
      reason: 'other',
      user: null,
      srcIp: null,
    });
  });

  it('takes the event id from event.code when winlog.event_id is missing', () => {
    const r = fixture(1010);
    delete r.winlog.event_id;
    expect(parseOk(r)).toMatchObject({ vendorEventId: '4625', reason: 'bad_password' });
  });
});

describe('time', () => {
  it('truncates the seven fractional digits of SystemTime to milliseconds, in UTC', () => {
    expect(parseOk(fixture(3001)).time).toBe('2024-05-14T07:58:03.993Z');
  });

  it('reads TimeCreated as an object with SystemTime, @SystemTime or #attributes', () => {
    const base = { EventID: 4634, Computer: 'WKS-0042' };
    const want = '2024-05-14T08:45:00.000Z';
    expect(parseOk({ ...base, TimeCreated: { SystemTime: '2024-05-14T08:45:00Z' } }).time).toBe(want);
    expect(parseOk({ ...base, TimeCreated: { '@SystemTime': '2024-05-14T08:45:00Z' } }).time).toBe(want);
    expect(
      parseOk({ ...base, TimeCreated: { '#attributes': { SystemTime: '2024-05-14T08:45:00Z' } } }).time,
    ).toBe(want);
  });

  it('applies an explicit offset, and the source offset when the time has no zone', () => {
    const base = { EventID: 4634, Computer: 'WKS-0042' };
    expect(parseOk({ ...base, TimeCreated: '2024-05-14T10:45:00+02:00' }).time).toBe(
      '2024-05-14T08:45:00.000Z',
    );
    expect(
      parseOk({ ...base, TimeCreated: '2024-05-14 10:45:00' }, { ...CTX, utcOffsetMinutes: 120 }).time,
    ).toBe('2024-05-14T08:45:00.000Z');
    expect(parseOk({ ...base, TimeCreated: '2024-05-14 10:45:00' }).time).toBe('2024-05-14T10:45:00.000Z');
  });

  it('does not depend on the reception time', () => {
    const other = { receivedAt: new Date('2031-01-01T00:00:00Z') };
    for (const r of RECORDS) expect(parseOk(r, other)).toEqual(parseOk(r));
  });
});

describe('rejections', () => {
  it.each([
    [null, 'expected a JSON object, got object'],
    [42, 'expected a JSON object, got number'],
    ['{"EventID":4625}', 'expected a JSON object, got string'],
    [[{ EventID: 4625 }], 'expected a JSON object, got an array'],
    [true, 'expected a JSON object, got boolean'],
  ])('rejects %j: %s', (input, message) => {
    expect(parseErr(input)).toBe(message);
  });

  it('rejects an object without an event id, in every shape, with a message naming the fields', () => {
    const missing = 'missing event id (winlog.event_id, EventID or System.EventID)';
    expect(parseErr({})).toBe(missing);

    const wb = fixture(1010);
    delete wb.winlog.event_id;
    delete wb.event.code;
    expect(parseErr(wb)).toBe(missing);

    const flat = fixture(2010);
    delete flat.EventID;
    expect(parseErr(flat)).toBe(missing);

    const nested = fixture(3010);
    delete nested.Event.System.EventID;
    expect(parseErr(nested)).toBe(missing);

    const nameValue = fixture(3063);
    nameValue.System.EventID = null;
    expect(parseErr(nameValue)).toBe(missing);
  });

  it.each([
    ['abc', 'invalid event id "abc"'],
    [70000, 'invalid event id 70000'],
    [4625.5, 'invalid event id 4625.5'],
    [-1, 'invalid event id -1'],
    ['', 'invalid event id ""'],
    [{ Qualifiers: 0 }, 'invalid event id an object'],
  ])('rejects EventID %j', (id, message) => {
    expect(parseErr({ EventID: id, TimeCreated: '2024-05-14T08:10:00Z' })).toBe(message);
  });

  it('rejects records without a time', () => {
    const missing = 'missing time (@timestamp, TimeCreated, SystemTime or System.TimeCreated.SystemTime)';
    const wb = fixture(1010);
    delete wb['@timestamp'];
    expect(parseErr(wb)).toBe(missing);

    const flat = fixture(2010);
    delete flat.TimeCreated;
    expect(parseErr(flat)).toBe(missing);

    const nested = fixture(3010);
    nested.Event.System.TimeCreated = {};
    expect(parseErr(nested)).toBe(missing);
  });

  it.each([
    ['yesterday', 'invalid time "yesterday"'],
    ['2024-02-30T10:00:00Z', 'invalid time "2024-02-30T10:00:00Z"'],
    ['2024-05-14T25:00:00Z', 'invalid time "2024-05-14T25:00:00Z"'],
    ['2024-05-14T10:00:00+25:00', 'invalid time "2024-05-14T10:00:00+25:00"'],
    ['2024-05-14T08:10', 'invalid time "2024-05-14T08:10"'],
    [1715674200000, 'invalid time 1715674200000'],
  ])('rejects TimeCreated %j', (time, message) => {
    expect(parseErr({ EventID: 4625, TimeCreated: time })).toBe(message);
  });

  it('shortens long values in messages', () => {
    expect(parseErr({ EventID: 'x'.repeat(500), TimeCreated: '2024-05-14T08:10:00Z' }).length).toBeLessThan(
      100,
    );
  });
});

describe('determinism and cost', () => {
  it('gives the same event for the same record and leaves the record untouched', () => {
    const deepFreeze = (o: any): any => {
      if (o && typeof o === 'object') {
        for (const v of Object.values(o)) deepFreeze(v);
        Object.freeze(o);
      }
      return o;
    };
    for (const r of RECORDS) {
      const copy = deepFreeze(structuredClone(r));
      const first = parseOk(copy);
      expect(parseOk(copy)).toEqual(first);
      expect(copy).toEqual(r);
    }
  });
});
