import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent, type NormalisedEventInput } from '@accord/contracts';
import { parseCef, parseCefExtension } from './cef.ts';
import { cefParser as parser, parseCefTime } from './cef.parser.ts';
import type { ParseContext } from './parser.types.ts';

const CTX: ParseContext = { receivedAt: new Date('2024-05-15T00:00:00.000Z') };

// fixtures/cef.log: every record is preceded by a "# [label] description" comment.
const FIXTURES = new Map<string, string>();
{
  let label: string | null = null;
  for (const line of readFileSync(new URL('./fixtures/cef.log', import.meta.url), 'utf8').split('\n')) {
    const m = /^# \[([a-z0-9-]+)\]/.exec(line);
    if (m) label = m[1]!;
    else if (!line.startsWith('#') && line !== '' && label !== null) {
      FIXTURES.set(label, line);
      label = null;
    }
  }
}

function line(label: string): string {
  const l = FIXTURES.get(label);
  if (l === undefined) throw new Error(`no fixture line ${label}`);
  return l;
}

function parseOk(text: string, ctx: ParseContext = CTX): NormalisedEventInput {
  const r = parser.parse(text, ctx);
  if (!r.ok) throw new Error(`expected the line to parse, got: ${r.error}`);
  return r.event;
}

function parseErr(text: string): string {
  const r = parser.parse(text, CTX);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

function ext(text: string): Record<string, string> {
  return Object.fromEntries(parseCefExtension(text));
}

describe('parseCef: header', () => {
  it('splits the seven header fields and keeps the syslog prefix apart', () => {
    const r = parseCef(line('vpn-login-ok'));
    expect(r.ok && { ...r.record, extension: undefined }).toEqual({
      prefix: '<134>May 14 09:12:01 vpn-gw01',
      version: 0,
      deviceVendor: 'Contoso',
      deviceProduct: 'SecureGateway VPN',
      deviceVersion: '7.2.5',
      classId: 'vpn-login',
      name: 'SSL VPN login succeeded',
      severity: '3',
      extension: undefined,
    });
  });

  it.each([
    ['CEF:0|Con\\|toso|P|1|100|a \\| b|5|', { deviceVendor: 'Con|toso', name: 'a | b' }],
    ['CEF:0|V|P|1|100|back\\\\slash|5|', { name: 'back\\slash' }],
    ['CEF:0|V|P|1|100|back\\\\|5|', { name: 'back\\' }], // escaped backslash right before a separator
    ['CEF:0|V|P|1|100|a = b|5|', { name: 'a = b' }], // '=' needs no escaping in the header
    ['CEF:0|V|P|1|100|C:\\temp|5|', { name: 'C:\\temp' }], // unknown escape: backslash kept
    ['CEF:0|V|P||100|n|Very-High|', { deviceVersion: '', severity: 'Very-High' }],
  ])('reads %s', (text, want) => {
    const r = parseCef(text);
    expect(r.ok && r.record).toMatchObject(want);
  });

  it('puts unescaped pipes after the seventh field in the extension', () => {
    const r = parseCef(line('ids-escaped-header'));
    expect(r.ok && r.record.name).toBe('Scan detected a | in payload');
    expect(r.ok && Object.fromEntries(r.record.extension)).toEqual({
      src: '198.51.100.5',
      act: 'alert a |',
      dst: '10.0.1.20',
    });
  });

  it('accepts seven fields with or without the trailing pipe, and strips CR/LF', () => {
    for (const text of [line('no-extension'), line('no-trailing-pipe'), 'CEF:0|V|P|1|100|n|5|\r\n']) {
      const r = parseCef(text);
      expect(r.ok && r.record.extension.size, text).toBe(0);
      expect(r.ok && r.record.severity, text).toMatch(/^\d$/);
    }
  });

  it.each([
    ['plain text', 'not a CEF record: no "CEF:" header'],
    ['', 'not a CEF record: no "CEF:" header'],
    [
      'CEF:0|V|P|1|100',
      'truncated CEF header: 5 of 7 fields (Version|Vendor|Product|Version|Class ID|Name|Severity)',
    ],
    ['CEF:0|V|P|1|100|n|', 'truncated CEF header: empty Severity'],
    [
      'CEF:0|V|P|1|100|n\\|5',
      'truncated CEF header: 6 of 7 fields (Version|Vendor|Product|Version|Class ID|Name|Severity)',
    ],
    ['CEF:|V|P|1|100|n|5|', 'invalid CEF version ""'],
    ['CEF:zero|V|P|1|100|n|5|', 'invalid CEF version "zero"'],
    ['CEF:2|V|P|1|100|n|5|', 'unsupported CEF version 2'],
  ])('rejects %j', (text, error) => {
    expect(parseCef(text)).toEqual({ ok: false, error });
  });
});

describe('parseCef: extension', () => {
  it.each([
    ['src=10.0.0.1 dst=10.0.0.2', { src: '10.0.0.1', dst: '10.0.0.2' }],
    ['act=blocked a \\= dst=1.1.1.1', { act: 'blocked a =', dst: '1.1.1.1' }],
    ['act=blocked a \\\\ dst=1.1.1.1', { act: 'blocked a \\', dst: '1.1.1.1' }],
    ['filePath=C:\\\\Program Files\\\\App', { filePath: 'C:\\Program Files\\App' }],
    ['msg=line one\\nline two\\r\\nend', { msg: 'line one\nline two\r\nend' }],
    ['msg=a\\|b', { msg: 'a|b' }],
    ['msg=a\\tb \\x', { msg: 'a\\tb \\x' }], // unknown escapes are kept as written
    ['msg=ends with backslash\\', { msg: 'ends with backslash\\' }],
    ['request=https://h/p?a=1&b=2 src=10.0.0.1', { request: 'https://h/p?a=1&b=2', src: '10.0.0.1' }],
    ['msg=x=y', { msg: 'x=y' }],
    ['msg=sum is 1+1\\=2 ok=yes', { msg: 'sum is 1+1=2', ok: 'yes' }],
    ['msg=two  spaces  inside   src=1.2.3.4', { msg: 'two  spaces  inside', src: '1.2.3.4' }],
    ['cs1Label=Group Name cs1=Domain Admins', { cs1Label: 'Group Name', cs1: 'Domain Admins' }],
    ['ad.user=bob ad.ip[0]=10.0.0.1 x_y-z=1', { 'ad.user': 'bob', 'ad.ip[0]': '10.0.0.1', 'x_y-z': '1' }],
    ['suser=a suser=b', { suser: 'b' }],
    ['empty= src=1.2.3.4', { empty: '', src: '1.2.3.4' }],
    ['  leading=spaces', { leading: 'spaces' }],
    ['junk before src=1.2.3.4', { src: '1.2.3.4' }],
    ['=novalue src=1.2.3.4', { src: '1.2.3.4' }],
    ['\\=escaped=1', {}],
    ['', {}],
    ['trailing=blank   \t', { trailing: 'blank' }],
  ])('reads %j', (text, want) => {
    expect(ext(text)).toEqual(want);
  });

  it('keeps keys such as __proto__ as plain map entries', () => {
    const m = parseCefExtension('__proto__=x constructor=y');
    expect([...m]).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
  });

  it('reads the escaping examples of the fixture file', () => {
    const get = (label: string) => {
      const r = parseCef(line(label));
      return r.ok ? Object.fromEntries(r.record.extension) : null;
    };
    expect(get('ids-escaped-backslash')).toMatchObject({ act: 'alert a \\' });
    expect(get('ids-escaped-equals')).toMatchObject({ act: 'alert a =' });
    expect(get('av-multiline-msg')).toMatchObject({
      filePath: 'C:\\Program Files\\Contoso App\\updater.exe',
      msg: 'Detected Trojan:Win32/Wacatac.\nFile quarantined.\r\nNo action needed.',
      act: 'quarantined',
    });
    expect(get('web-unescaped-equals')).toMatchObject({
      request: 'https://portal.contoso.com/login?next=/home&lang=en',
      outcome: 'success',
    });
    expect(get('edr-process')).toMatchObject({
      suser: 'CONTOSO\\dadmin',
      cs1: 'powershell.exe -NoProfile -Command "$a=1; Write-Output $a"',
    });
    expect(get('trailing-space')).toMatchObject({ suser: 'j.smith' });
  });
});

describe('parseCefTime', () => {
  it.each([
    ['1715678024512', '2024-05-14T09:13:44.512Z'],
    ['1715678024', '2024-05-14T09:13:44.000Z'], // seconds, not milliseconds
    ['May 14 2024 09:12:01', '2024-05-14T09:12:01.000Z'],
    ['May 14 2024 09:12:01.5', '2024-05-14T09:12:01.500Z'],
    ['May 14 2024 09:12:01.123', '2024-05-14T09:12:01.123Z'],
    ['may  4 2024 09:12:01 UTC', '2024-05-04T09:12:01.000Z'],
    ['May 14 2024 09:12:01 GMT', '2024-05-14T09:12:01.000Z'],
    ['May 14 2024 09:12:01 CEST', '2024-05-14T07:12:01.000Z'],
    ['May 14 2024 09:12:01 PDT', '2024-05-14T16:12:01.000Z'],
    ['May 14 2024 09:12:01 +0530', '2024-05-14T03:42:01.000Z'],
    ['May 14 2024 09:12:01 GMT-05:00', '2024-05-14T14:12:01.000Z'],
    ['May 14 09:12:01', '2024-05-14T09:12:01.000Z'], // no year: the reception year
    ['May 14 09:12:01.250 UTC', '2024-05-14T09:12:01.250Z'],
    ['2024-05-14T11:30:00.250+02:00', '2024-05-14T09:30:00.250Z'],
    ['2024-05-14T09:30:00Z', '2024-05-14T09:30:00.000Z'],
    ['2024-05-14 09:30:00', '2024-05-14T09:30:00.000Z'],
  ])('reads %j', (text, want) => {
    expect(parseCefTime(text, CTX)).toBe(want);
  });

  it('puts a year-less time that would be in the future into the previous year', () => {
    const newYear: ParseContext = { receivedAt: new Date('2025-01-01T00:00:30Z') };
    expect(parseCefTime('Dec 31 23:59:58', newYear)).toBe('2024-12-31T23:59:58.000Z');
    expect(parseCefTime('Jan  1 00:00:10', newYear)).toBe('2025-01-01T00:00:10.000Z');
    // Feb 29 does not exist in the reception year: the year before is tried.
    expect(parseCefTime('Feb 29 10:00:00', { receivedAt: new Date('2025-03-01T00:00:00Z') })).toBe(
      '2024-02-29T10:00:00.000Z',
    );
  });

  it('applies the source offset to times without a zone', () => {
    const ctx: ParseContext = { ...CTX, utcOffsetMinutes: -300 };
    expect(parseCefTime('May 14 2024 09:12:01', ctx)).toBe('2024-05-14T14:12:01.000Z');
    expect(parseCefTime('May 14 2024 09:12:01 UTC', ctx)).toBe('2024-05-14T09:12:01.000Z');
    expect(parseCefTime('1715678024512', ctx)).toBe('2024-05-14T09:13:44.512Z');
  });

  it.each([
    'yesterday',
    'Foo 14 2024 09:12:01',
    'Feb 30 2024 09:12:01',
    'May 14 2024 24:00:00',
    'May 14 2024 09:12:01 XYZ',
    'May 14 2024 09:12:01 +2500',
    '2024-13-01T00:00:00Z',
    '12345678901234567',
    '1715678024512000', // microseconds: not a CEF form
    '0001-01-01T00:00:00-01:00',
    '',
  ])('rejects %j', (text) => {
    expect(parseCefTime(text, CTX)).toBeNull();
  });
});

describe('cefParser on the fixtures', () => {
  it('is a line parser of kind cef', () => {
    expect(parser.kind).toBe('cef');
    expect(parser.input).toBe('line');
  });

  it('turns every well-formed fixture into an event the schema accepts and rejects the malformed ones', () => {
    expect(FIXTURES.size).toBeGreaterThan(25);
    for (const [label, text] of FIXTURES) {
      const r = parser.parse(text, CTX);
      if (label.startsWith('reject-')) {
        expect(r.ok, label).toBe(false);
      } else {
        expect(r.ok, label).toBe(true);
        if (r.ok) expect(() => NormalisedEvent.parse(r.event), label).not.toThrow();
      }
    }
  });

  it('maps a VPN sign-in completely', () => {
    expect(parseOk(line('vpn-login-ok'))).toEqual({
      time: '2024-05-14T09:12:01.000Z',
      class: 'authentication',
      activity: 'logon',
      outcome: 'success',
      reason: null,
      reasonDetail: null,
      user: 'j.smith',
      userDomain: null,
      targetUser: null,
      group: null,
      srcIp: '203.0.113.45',
      srcPort: 51234,
      geo: null,
      dstHost: 'vpn-gw01.contoso.com',
      dstIp: '198.51.100.10',
      app: null,
      authProtocol: 'https',
      mfaUsed: null,
      processName: null,
      commandLine: null,
      vendorEventId: 'Contoso:SecureGateway VPN:vpn-login',
    });
  });

  const EXPECTED: Array<[string, Partial<NormalisedEventInput>]> = [
    [
      'vpn-login-bad-password',
      {
        time: '2024-05-14T09:13:44.512Z',
        class: 'authentication',
        outcome: 'failure',
        reason: 'bad_password',
        reasonDetail: 'Invalid password',
        user: 'administrator',
        srcIp: '198.51.100.23',
        srcPort: 40022,
      },
    ],
    [
      'win-4625-smartconnector',
      {
        time: '2024-05-14T08:10:00.101Z',
        class: 'authentication',
        activity: 'logon',
        outcome: 'failure',
        reason: 'other', // "Unknown user name or bad password" names neither
        reasonDetail: 'Unknown user name or bad password.',
        user: 'administrator',
        userDomain: 'CONTOSO',
        targetUser: null,
        dstHost: 'WIN-SRV01.contoso.local',
        srcPort: 53120,
        vendorEventId: 'Microsoft:Microsoft Windows:Microsoft-Windows-Security-Auditing:4625',
      },
    ],
    [
      'win-4624-smartconnector',
      {
        outcome: 'success',
        user: 'dadmin',
        userDomain: 'CONTOSO',
        targetUser: null,
        authProtocol: 'negotiate',
      },
    ],
    [
      'sso-logoff',
      { class: 'session', activity: 'logoff', time: '2024-05-14T09:30:00.250Z', user: 'j.smith@contoso.com' },
    ],
    [
      'account-locked',
      {
        class: 'account_change',
        activity: 'account_locked',
        outcome: 'unknown',
        user: 'svc-directory',
        targetUser: 'm.jones',
      },
    ],
    [
      'password-reset',
      { class: 'account_change', activity: 'password_reset', user: 'helpdesk01', targetUser: 'bob' },
    ],
    [
      'group-member-added',
      {
        class: 'group_change',
        activity: 'member_added',
        user: 'dadmin',
        targetUser: 'j.doe',
        group: 'Domain Admins',
      },
    ],
    [
      'edr-process',
      {
        class: 'process',
        activity: 'process_created',
        user: 'CONTOSO\\dadmin',
        processName: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        commandLine: 'powershell.exe -NoProfile -Command "$a=1; Write-Output $a"',
        dstHost: null,
      },
    ],
    [
      'sudo',
      {
        time: '2024-05-15T00:00:00.000Z', // no rt: reception time
        class: 'privilege_use',
        activity: 'sudo',
        outcome: 'success',
        user: 'deploy',
        targetUser: 'root',
      },
    ],
    ['audit-log-cleared', { class: 'audit_log', activity: 'log_cleared', user: 'dadmin' }],
    ['audit-policy-changed', { class: 'policy_change', activity: 'audit_policy_changed', user: 'DC01$' }],
    [
      'firewall-deny',
      {
        class: 'network',
        activity: 'connection',
        dstIp: '10.0.1.10',
        dstPort: 3389,
        protocol: 'tcp',
        action: 'blocked',
        outcome: 'failure',
        srcIp: '198.51.100.77',
        dstHost: '10.0.1.10',
        authProtocol: null,
      },
    ],
    [
      'ids-escaped-header',
      {
        class: 'finding',
        activity: 'ids_alert',
        outcome: 'unknown',
        severity: 'medium',
        signature: 'Scan detected a | in payload',
        signatureId: '2001219',
        vendorEventId: 'Contoso:Network IDS:2001219',
      },
    ],
    [
      'av-multiline-msg',
      { class: 'finding', activity: 'edr_alert', severity: 'high', outcome: 'unknown', dstHost: 'WKS-0042' },
    ],
    ['web-unescaped-equals', { class: 'authentication', outcome: 'success', user: 'bob' }],
    [
      'full-key-names',
      {
        class: 'authentication',
        outcome: 'failure',
        reason: 'disabled',
        reasonDetail: 'Account disabled',
        user: 'alice',
        srcIp: '198.51.100.44',
        srcPort: 50505,
        dstHost: 'idp.contoso.com',
        time: '2024-05-14T15:00:00.000Z',
      },
    ],
    ['cef1-no-year', { class: 'authentication', outcome: 'success', time: '2024-05-14T16:00:00.000Z' }],
    ['seconds-epoch', { time: '2024-05-14T09:13:44.000Z', outcome: 'success' }],
    ['no-extension', { class: 'other', outcome: 'unknown', time: '2024-05-15T00:00:00.000Z', user: null }],
    ['no-trailing-pipe', { vendorEventId: 'Contoso:Appliance:heartbeat' }],
    ['trailing-space', { class: 'session', activity: 'logoff', user: 'j.smith' }],
  ];

  it.each(EXPECTED)('maps %s', (label, expected) => {
    expect(parseOk(line(label))).toMatchObject(expected);
  });

  it.each([
    ['reject-no-cef', 'not a CEF record: no "CEF:" header'],
    [
      'reject-truncated-header',
      'truncated CEF header: 6 of 7 fields (Version|Vendor|Product|Version|Class ID|Name|Severity)',
    ],
    ['reject-empty-severity', 'truncated CEF header: empty Severity'],
    ['reject-bad-version', 'invalid CEF version "X"'],
    ['reject-unsupported-version', 'unsupported CEF version 2'],
    ['reject-bad-rt', 'invalid rt "yesterday"'],
  ])('rejects %s', (label, error) => {
    expect(parseErr(line(label))).toBe(error);
  });
});

describe('cefParser rules', () => {
  const base = 'CEF:0|Contoso|Test|1.0|100|';

  it.each([
    ['success', 'success'],
    ['Success', 'success'],
    ['/Success', 'success'],
    ['succeeded', 'success'],
    ['failure', 'failure'],
    ['/Failure', 'failure'],
    ['Failed', 'failure'],
    ['denied', 'failure'],
    ['/Attempt', 'unknown'],
    ['unknown', 'unknown'],
  ])('outcome=%s → %s', (value, want) => {
    expect(parseOk(`${base}User login|3|outcome=${value}`).outcome).toBe(want);
  });

  it('takes the outcome from outcome, then act, then the name of a classified event', () => {
    expect(parseOk(`${base}User login|3|outcome=success act=blocked`).outcome).toBe('success');
    expect(parseOk(`${base}User login|3|act=blocked`).outcome).toBe('failure');
    expect(parseOk(`${base}User login|3|act=permitted`).outcome).toBe('success');
    expect(parseOk(`${base}User login failed|3|`).outcome).toBe('failure');
    expect(parseOk(`${base}Successful logon|3|`).outcome).toBe('success');
    expect(parseOk(`${base}Unsuccessful logon|3|`).outcome).toBe('failure');
    expect(parseOk(`${base}User login|3|`).outcome).toBe('unknown');
    // Unclassified events do not get an outcome from their name.
    expect(parseOk(`${base}Malware scan failed|3|`).outcome).toBe('unknown');
  });

  it.each([
    ['User login', 'authentication', 'logon'],
    ['User logged in', 'authentication', 'logon'],
    ['Logon attempt', 'authentication', 'logon'],
    ['Sign-in activity', 'authentication', 'logon'],
    ['SSO assertion issued', 'authentication', 'logon'],
    ['Kerberos ticket granted', 'authentication', 'logon'],
    ['Authentication failed', 'authentication', 'logon'],
    ['AUTH failure', 'authentication', 'logon'],
    ['Unauthorized access attempt', 'other', 'other'], // "auth" inside a word is not authentication
    ['Authorization policy evaluated', 'other', 'other'],
    ['User logged off', 'session', 'logoff'],
    ['Logout', 'session', 'logoff'],
    ['Session terminated', 'session', 'logoff'],
    ['Member added to group', 'group_change', 'member_added'],
    ['Member removed from group', 'group_change', 'member_removed'],
    ['User account created', 'account_change', 'user_created'],
    ['User account deleted', 'account_change', 'user_deleted'],
    ['User account disabled', 'account_change', 'user_disabled'],
    ['User account enabled', 'account_change', 'user_enabled'],
    ['Account locked out', 'account_change', 'account_locked'],
    ['Password changed', 'account_change', 'password_changed'],
    ['User password reset', 'account_change', 'password_reset'],
    ['Privilege escalation detected', 'privilege_use', 'privilege_use'],
    ['sudo session opened', 'privilege_use', 'sudo'],
    ['New process', 'process', 'process_created'],
    ['Process launched', 'process', 'process_created'],
    ['Event log cleared', 'audit_log', 'log_cleared'],
    ['Security log was cleared', 'audit_log', 'log_cleared'],
    ['Cleartext password seen', 'other', 'other'],
    ['Firewall policy modified', 'policy_change', 'policy_changed'],
    ['Port scan', 'finding', 'ids_alert'],
  ])('Name %j → %s / %s', (name, cls, activity) => {
    expect(parseOk(`${base}${name}|3|`)).toMatchObject({ class: cls, activity });
  });

  it('classifies on the Device Event Class ID too', () => {
    expect(parseOk('CEF:0|Contoso|Test|1.0|user.login|Event 7|3|')).toMatchObject({
      class: 'authentication',
    });
  });

  it.each([
    ['Invalid password', 'bad_password'],
    ['Wrong credentials', 'bad_password'],
    ['Unknown user', 'unknown_user'],
    ['User not found', 'unknown_user'],
    ['Unknown user name or bad password.', 'other'],
    ['Account locked', 'locked'],
    ['Account disabled', 'disabled'],
    ['Password expired', 'expired'],
    ['MFA push denied', 'mfa_denied'],
    ['Login not allowed from this location', 'policy_blocked'],
    ['Something odd', 'other'],
  ])('failure reason %j → %s', (text, reason) => {
    const e = parseOk(`${base}User login|3|outcome=failure reason=${text}`);
    expect(e).toMatchObject({ reason, reasonDetail: text });
  });

  it('gives no reason to successes even when a reason text is present', () => {
    expect(parseOk(`${base}User login|3|outcome=success reason=Password expired`)).toMatchObject({
      reason: null,
      reasonDetail: null,
    });
  });

  it('chooses the user: duser logs on, suser acts on duser', () => {
    const line = (name: string, extension: string) => parseOk(`${base}${name}|3|${extension}`);
    expect(line('User login', 'suser=HOST$ duser=bob sntdom=A dntdom=B')).toMatchObject({
      user: 'bob',
      userDomain: 'B',
      targetUser: null,
    });
    expect(line('User login', 'suser=alice sntdom=A')).toMatchObject({ user: 'alice', userDomain: 'A' });
    expect(line('User account disabled', 'suser=admin duser=bob sntdom=A')).toMatchObject({
      user: 'admin',
      userDomain: 'A',
      targetUser: 'bob',
    });
    expect(line('User account disabled', 'suser=bob duser=bob')).toMatchObject({
      user: 'bob',
      targetUser: null,
    });
    expect(line('Port scan', 'duser=bob dntdom=B')).toMatchObject({ user: 'bob', userDomain: 'B' });
    expect(line('Port scan', '')).toMatchObject({ user: null, userDomain: null });
  });

  it.each([
    ['spt=0', null],
    ['spt=65535', 65535],
    ['spt=65536', null],
    ['spt=-1', null],
    ['spt=abc', null],
    ['spt=', null],
  ])('%s → srcPort %j', (extension, want) => {
    expect(parseOk(`${base}User login|3|${extension}`).srcPort).toBe(want);
  });

  it('prefers dhost to dst and reads empty values as absent', () => {
    expect(parseOk(`${base}x|3|dst=10.0.0.2 dhost=srv1`).dstHost).toBe('srv1');
    expect(parseOk(`${base}x|3|dst=10.0.0.2 dhost=`).dstHost).toBe('10.0.0.2');
    expect(parseOk(`${base}x|3|suser=  `).user).toBeNull();
  });

  it('builds vendorEventId from the unescaped vendor, product and class id', () => {
    expect(parseOk('CEF:0|A\\|B|P\\\\Q|1|id:7|n|3|').vendorEventId).toBe('A|B:P\\Q:id:7');
  });

  it('reads CRLF-terminated lines', () => {
    expect(parseOk(`${base}User login|3|suser=bob\r\n`)).toMatchObject({ user: 'bob' });
  });

  it('rejects a non-string record', () => {
    expect(parser.parse(42 as unknown as string, CTX)).toEqual({
      ok: false,
      error: 'expected a text line, got number',
    });
  });
});

describe('determinism and cost', () => {
  it('gives the same event for the same line; only rt-less lines follow the reception time', () => {
    const later: ParseContext = { receivedAt: new Date('2024-06-01T00:00:00Z') };
    for (const [label, text] of FIXTURES) {
      if (label.startsWith('reject-')) continue;
      const a = parseOk(text);
      expect(parseOk(text), label).toEqual(a);
      const b = parseOk(text, later);
      if (/\brt=/.test(text) || /receiptTime=/.test(text)) expect(b, label).toEqual(a);
      else expect({ ...b, time: a.time }, label).toEqual(a);
    }
  });
});
