import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NormalisedEvent, type NormalisedEventInput } from '@accord/contracts';
import { linuxSyslogParser } from './linux-syslog.parser.ts';
import type { ParseContext } from './parser.types.ts';
import { dataset } from '../../../../test/support/datasets.ts';

const datasets = dataset('loghub');

/** The file's lines (CRLF in the loghub samples), without the empty string after a final newline. */
function readLines(name: string): string[] {
  const lines = readFileSync(path.join(datasets, name), 'utf8').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// LabSZ's OpenSSH sample is from 10 December; the "combo" Linux sample from June-July 2005.
const SSH_CTX: ParseContext = { receivedAt: new Date('2016-01-03T00:00:00Z') };
const LINUX_CTX: ParseContext = { receivedAt: new Date('2005-08-01T00:00:00Z') };

function parse(line: string, ctx: ParseContext = SSH_CTX): NormalisedEventInput {
  const r = linuxSyslogParser.parse(line, ctx);
  if (!r.ok) throw new Error(`expected ok for ${JSON.stringify(line)}: ${r.error}`);
  return r.event;
}

function parseAll(lines: string[], ctx: ParseContext): NormalisedEventInput[] {
  return lines.map((line, i) => {
    const r = linuxSyslogParser.parse(line, ctx);
    if (!r.ok) throw new Error(`line ${i + 1} rejected (${r.error}): ${line}`);
    return r.event;
  });
}

const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;
const where = (events: NormalisedEventInput[], pred: (e: NormalisedEventInput) => boolean) =>
  events.filter(pred).length;
const is =
  (activity: string, outcome?: string, reason?: string | null, authProtocol?: string) =>
  (e: NormalisedEventInput) =>
    e.activity === activity &&
    (outcome === undefined || e.outcome === outcome) &&
    (reason === undefined || (e.reason ?? null) === reason) &&
    (authProtocol === undefined || e.authProtocol === authProtocol);

describe('linuxSyslogParser', () => {
  it('is the line parser for linux_syslog', () => {
    expect(linuxSyslogParser.kind).toBe('linux_syslog');
    expect(linuxSyslogParser.input).toBe('line');
  });

  describe('loghub OpenSSH_2k.log', () => {
    const lines = readLines('OpenSSH_2k.log');
    const events = parseAll(lines, SSH_CTX);

    it('parses every one of the 2,000 lines into a valid normalised event', () => {
      expect(lines).toHaveLength(2000);
      expect(events).toHaveLength(2000);
      for (const e of events) {
        const v = NormalisedEvent.safeParse(e);
        expect(v.success, JSON.stringify(e)).toBe(true);
        expect(e.dstHost).toBe('LabSZ');
        expect(e.vendorEventId).toBe('sshd');
        expect(e.processName).toBe('sshd');
        expect(e.time.startsWith('2015-12-10T')).toBe(true);
      }
    });

    it('counts the outcomes the file holds', () => {
      // Each expectation is an independent grep over the raw file.
      const failedPwKnown = count(lines, /Failed password for (?!invalid user )/);
      const failedPwInvalid = count(lines, /Failed password for invalid user /);
      expect(failedPwKnown + failedPwInvalid).toBe(count(lines, /Failed password/));
      expect(where(events, is('logon', 'failure', 'bad_password', 'password'))).toBe(failedPwKnown);
      expect(where(events, is('logon', 'failure', 'unknown_user', 'password'))).toBe(failedPwInvalid);
      expect(where(events, is('logon', 'failure', 'unknown_user', 'none'))).toBe(
        count(lines, /Failed none for invalid user /),
      );
      expect(where(events, is('logon', 'failure'))).toBe(
        count(lines, /: (message repeated \d+ times: \[ )?Failed /),
      );
      expect(where(events, is('logon', 'success', null, 'password'))).toBe(
        count(lines, /Accepted password for /),
      );
      expect(where(events, is('logon', 'success'))).toBe(count(lines, /: Accepted /));
      expect(where(events, is('invalid_user', 'failure', 'unknown_user'))).toBe(
        count(
          lines,
          /: Invalid user |: input_userauth_request: invalid user |: pam_unix\(sshd:auth\): check pass; user unknown$/,
        ),
      );
      expect(where(events, is('pam_authenticate', 'failure', 'bad_password'))).toBe(
        count(lines, /(: pam_unix\(sshd:auth\): |: PAM \d+ more )authentication failures?; .* user=\S/),
      );
      expect(where(events, is('pam_authenticate', 'failure', 'unknown_user'))).toBe(
        count(lines, /(: pam_unix\(sshd:auth\): |: PAM \d+ more )authentication failures?; (?!.* user=\S)/),
      );
      expect(where(events, is('session_opened', 'success'))).toBe(count(lines, /session opened for user /));
      expect(where(events, is('session_closed', 'success'))).toBe(count(lines, /session closed for user /));
      expect(where(events, is('auth_attempts_exceeded', 'failure', 'other'))).toBe(
        count(lines, /Disconnecting: Too many authentication failures/),
      );
      expect(where(events, is('disconnect_received'))).toBe(count(lines, /Received disconnect from /));
      expect(where(events, is('connection_closed'))).toBe(count(lines, /: Connection closed by /));
      expect(where(events, is('reverse_mapping_failed'))).toBe(count(lines, /POSSIBLE BREAK-IN ATTEMPT!$/));
      expect(where(events, is('no_identification'))).toBe(
        count(lines, /Did not receive identification string/),
      );
      // Everything modelled above adds up; the rest is `other`.
      const authentication = where(events, (e) => e.class === 'authentication');
      expect(authentication).toBe(
        count(
          lines,
          /: (message repeated \d+ times: \[ )?(Failed|Accepted) |: Invalid user |input_userauth_request: invalid user |check pass; user unknown|authentication failures?; |Too many authentication failures/,
        ),
      );
      expect(where(events, (e) => e.class === 'session')).toBe(
        count(lines, /session (opened|closed) for user /),
      );
      expect(where(events, (e) => e.class === 'other' && e.activity === 'syslog_message')).toBe(
        count(lines, /ignoring max retries|fatal: Write failed/),
      );
    });

    it('extracts the source address and port of every sshd logon line', () => {
      lines.forEach((line, i) => {
        const m = /(?:Failed|Accepted) \S+ for .* from (\S+) port (\d+) ssh2\]?$/.exec(line);
        if (m === null) return;
        expect(events[i]).toMatchObject({ activity: 'logon', srcIp: m[1], srcPort: Number(m[2]) });
      });
    });

    it('spot-checks exact fields', () => {
      expect(events[955]).toEqual({
        // line 956
        time: '2015-12-10T09:32:20.000Z',
        class: 'authentication',
        activity: 'logon',
        outcome: 'success',
        reason: null,
        reasonDetail: null,
        user: 'fztu',
        userDomain: null,
        targetUser: null,
        group: null,
        srcIp: '119.137.62.142',
        srcPort: 49116,
        geo: null,
        dstHost: 'LabSZ',
        app: 'sshd',
        authProtocol: 'password',
        mfaUsed: null,
        processName: 'sshd',
        commandLine: null,
        vendorEventId: 'sshd',
      });
      expect(events[5]).toMatchObject({
        time: '2015-12-10T06:55:48.000Z',
        class: 'authentication',
        activity: 'logon',
        outcome: 'failure',
        reason: 'unknown_user',
        user: 'webmaster',
        srcIp: '173.234.31.186',
        srcPort: 38926,
        authProtocol: 'password',
      });
      // `message repeated 5 times: [ Failed password ...]`: one event for the inner message.
      expect(events[29]).toMatchObject({
        activity: 'logon',
        outcome: 'failure',
        reason: 'bad_password',
        user: 'root',
        srcIp: '5.36.59.76',
        srcPort: 42393,
      });
      // An attacker-chosen name with a leading space is kept as sshd wrote it.
      expect(events[184]).toMatchObject({
        activity: 'invalid_user',
        user: ' 0101',
        srcIp: '5.188.10.180',
        srcPort: null,
      });
      expect(events[0]).toMatchObject({
        class: 'other',
        activity: 'reverse_mapping_failed',
        srcIp: '173.234.31.186',
      });
      expect(events[4]).toMatchObject({
        activity: 'pam_authenticate',
        outcome: 'failure',
        reason: 'unknown_user',
        user: null,
        srcIp: '173.234.31.186',
      });
      expect(events[956]).toMatchObject({
        class: 'session',
        activity: 'session_opened',
        user: 'fztu',
        app: 'sshd',
      });
      expect(events[964]).toMatchObject({ class: 'session', activity: 'session_closed', user: 'fztu' });
      expect(events[30]).toMatchObject({
        class: 'authentication',
        activity: 'auth_attempts_exceeded',
        outcome: 'failure',
        user: 'root',
      });
      // `PAM 5 more authentication failures; ... rhost=<host name>  user=root`: no address.
      expect(events[31]).toMatchObject({
        activity: 'pam_authenticate',
        reason: 'bad_password',
        reasonDetail: '5 more authentication failures',
        user: 'root',
        srcIp: null,
      });
    });

    it('gives the year from receivedAt', () => {
      const line = lines[955]!;
      expect(parse(line, { receivedAt: new Date('2017-01-02T00:00:00Z') }).time).toBe(
        '2016-12-10T09:32:20.000Z',
      );
      expect(parse(line, { receivedAt: new Date('2016-12-10T09:40:00Z') }).time).toBe(
        '2016-12-10T09:32:20.000Z',
      );
      expect(parse(line, { receivedAt: new Date('2016-12-09T12:00:00Z') }).time).toBe(
        '2016-12-10T09:32:20.000Z',
      );
      expect(parse(line, { receivedAt: new Date('2016-12-01T00:00:00Z') }).time).toBe(
        '2015-12-10T09:32:20.000Z',
      );
      expect(parse(line, { receivedAt: new Date('2017-01-02T00:00:00Z'), utcOffsetMinutes: 480 }).time).toBe(
        '2016-12-10T01:32:20.000Z',
      );
    });
  });

  describe('loghub Linux_2k.log', () => {
    const lines = readLines('Linux_2k.log');
    const events = parseAll(lines, LINUX_CTX);

    it('parses every one of the 2,000 lines into a valid normalised event', () => {
      expect(lines).toHaveLength(2000);
      expect(events).toHaveLength(2000);
      for (const e of events) {
        expect(NormalisedEvent.safeParse(e).success, JSON.stringify(e)).toBe(true);
        expect(e.dstHost).toBe('combo');
        expect(e.time.startsWith('2005-0')).toBe(true);
      }
    });

    it('counts the outcomes the file holds', () => {
      expect(where(events, is('pam_authenticate', 'failure', 'bad_password'))).toBe(
        count(lines, /\(pam_unix\)\[\d+\]: authentication failure; .* user=\S/),
      );
      expect(where(events, is('pam_authenticate', 'failure', 'unknown_user'))).toBe(
        count(lines, /\(pam_unix\)\[\d+\]: authentication failure; (?!.* user=\S)/),
      );
      expect(where(events, is('invalid_user', 'failure', 'unknown_user'))).toBe(
        count(lines, /\(pam_unix\)\[\d+\]: check pass; user unknown/),
      );
      expect(where(events, (e) => e.activity === 'session_opened' && e.app === 'sshd')).toBe(
        count(lines, /sshd\(pam_unix\)\[\d+\]: session opened for user /),
      );
      expect(where(events, (e) => e.activity === 'session_opened' && e.app === 'su')).toBe(
        count(lines, /su\(pam_unix\)\[\d+\]: session opened for user /),
      );
      expect(where(events, is('session_closed'))).toBe(
        count(lines, /\(pam_unix\)\[\d+\]: session closed for user /),
      );
      const modelled = count(
        lines,
        /\(pam_unix\)\[\d+\]: (authentication failure;|check pass;|session (opened|closed))/,
      );
      expect(where(events, (e) => e.class !== 'other')).toBe(modelled);
      expect(where(events, is('syslog_message', 'unknown', null))).toBe(2000 - modelled);
    });

    it('spot-checks exact fields', () => {
      expect(events[0]).toMatchObject({
        // Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; ... rhost=218.188.2.4
        time: '2005-06-14T15:16:01.000Z',
        class: 'authentication',
        activity: 'pam_authenticate',
        outcome: 'failure',
        reason: 'unknown_user',
        user: null,
        srcIp: '218.188.2.4',
        app: 'sshd',
        processName: 'sshd',
        vendorEventId: 'sshd(pam_unix)',
      });
      // rhost is a host name: not an address.
      expect(events[3]).toMatchObject({ reason: 'bad_password', user: 'root', srcIp: null });
      expect(events[90]).toMatchObject({ reason: 'bad_password', user: 'guest', srcIp: '211.46.224.253' });
      expect(events[13]).toMatchObject({
        class: 'session',
        activity: 'session_opened',
        user: null,
        targetUser: 'cyrus',
        app: 'su',
        processName: 'su',
        vendorEventId: 'su(pam_unix)',
      });
      expect(events[897]).toMatchObject({
        class: 'session',
        activity: 'session_opened',
        user: 'root',
        app: 'login',
      });
      // Unmodelled but well-formed: other, with the program.
      expect(events[896]).toMatchObject({
        time: '2005-07-07T08:06:12.000Z',
        class: 'other',
        activity: 'syslog_message',
        outcome: 'unknown',
        processName: 'gpm',
        vendorEventId: 'gpm',
        dstHost: 'combo',
      });
      expect(events[1999]).toMatchObject({
        class: 'other',
        processName: 'kernel',
        time: '2005-07-27T14:42:00.000Z',
      });
    });
  });

  describe('sshd messages', () => {
    const H = 'Mar  3 10:00:00 bastion sshd[4242]: ';
    const at = (msg: string) => parse(H + msg, { receivedAt: new Date('2024-03-04T00:00:00Z') });

    it('maps Accepted methods, never claiming MFA from one line', () => {
      expect(
        at('Accepted publickey for alice from 203.0.113.5 port 50022 ssh2: ED25519 SHA256:abcdEFGH/ijk'),
      ).toMatchObject({
        time: '2024-03-03T10:00:00.000Z',
        class: 'authentication',
        activity: 'logon',
        outcome: 'success',
        user: 'alice',
        srcIp: '203.0.113.5',
        srcPort: 50022,
        authProtocol: 'publickey',
        mfaUsed: null,
        dstHost: 'bastion',
      });
      expect(at('Accepted keyboard-interactive/pam for bob from 2001:db8::7 port 1022 ssh2')).toMatchObject({
        outcome: 'success',
        user: 'bob',
        srcIp: '2001:db8::7',
        authProtocol: 'keyboard-interactive',
        mfaUsed: null,
      });
      expect(at('Partial publickey for bob from 2001:db8::7 port 1022 ssh2: RSA SHA256:x')).toMatchObject({
        activity: 'logon_partial',
        outcome: 'success',
        authProtocol: 'publickey',
      });
    });

    it('maps failures with reasons', () => {
      expect(at('Failed password for root from 198.51.100.1 port 22 ssh2')).toMatchObject({
        outcome: 'failure',
        reason: 'bad_password',
        user: 'root',
      });
      expect(at('Failed publickey for root from 198.51.100.1 port 22 ssh2: RSA SHA256:x')).toMatchObject({
        outcome: 'failure',
        reason: 'other',
        authProtocol: 'publickey',
      });
      expect(
        at('Failed keyboard-interactive/pam for invalid user x from 198.51.100.1 port 22 ssh2'),
      ).toMatchObject({
        reason: 'unknown_user',
        user: 'x',
        authProtocol: 'keyboard-interactive',
      });
      expect(at('Invalid user admin from 198.51.100.1 port 40000')).toMatchObject({
        activity: 'invalid_user',
        reason: 'unknown_user',
        user: 'admin',
        srcIp: '198.51.100.1',
        srcPort: 40000,
      });
      expect(at('input_userauth_request: invalid user admin [preauth]')).toMatchObject({
        activity: 'invalid_user',
        user: 'admin',
        srcIp: null,
      });
      expect(
        at(
          'error: maximum authentication attempts exceeded for root from 198.51.100.1 port 22 ssh2 [preauth]',
        ),
      ).toMatchObject({
        activity: 'auth_attempts_exceeded',
        outcome: 'failure',
        user: 'root',
        srcIp: '198.51.100.1',
        srcPort: 22,
      });
      expect(
        at(
          'Disconnecting authenticating user root 198.51.100.1 port 22: Too many authentication failures [preauth]',
        ),
      ).toMatchObject({
        activity: 'auth_attempts_exceeded',
        user: 'root',
        srcIp: '198.51.100.1',
        srcPort: 22,
      });
      expect(at('User carol from 198.51.100.1 not allowed because not listed in AllowUsers')).toMatchObject({
        activity: 'user_not_allowed',
        reason: 'policy_blocked',
        user: 'carol',
        srcIp: '198.51.100.1',
      });
      expect(
        at(
          'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.1  user=root',
        ),
      ).toMatchObject({
        activity: 'pam_authenticate',
        reason: 'bad_password',
        user: 'root',
        srcIp: '198.51.100.1',
        app: 'sshd',
      });
    });

    it('takes the address sshd wrote, not one inside an attacker-chosen user name', () => {
      expect(
        at('Failed password for invalid user x from 6.6.6.6 port 1 ssh2 from 198.51.100.1 port 2 ssh2'),
      ).toMatchObject({
        user: 'x from 6.6.6.6 port 1 ssh2',
        srcIp: '198.51.100.1',
        srcPort: 2,
      });
      expect(at('Invalid user y from 6.6.6.6 from 198.51.100.1 port 3')).toMatchObject({
        user: 'y from 6.6.6.6',
        srcIp: '198.51.100.1',
      });
    });

    it('maps connection-level messages to other with the address', () => {
      expect(at('Connection closed by 198.51.100.1 [preauth]')).toMatchObject({
        class: 'other',
        activity: 'connection_closed',
        outcome: 'unknown',
        srcIp: '198.51.100.1',
        srcPort: null,
      });
      expect(at('Connection closed by authenticating user root 198.51.100.1 port 5 [preauth]')).toMatchObject(
        {
          activity: 'connection_closed',
          user: 'root',
          srcPort: 5,
        },
      );
      expect(at('Received disconnect from 198.51.100.1: 11: Bye Bye [preauth]')).toMatchObject({
        activity: 'disconnect_received',
        srcIp: '198.51.100.1',
      });
      expect(at('Received disconnect from 198.51.100.1 port 6:11: disconnected by user')).toMatchObject({
        activity: 'disconnect_received',
        srcPort: 6,
      });
      expect(at('Disconnected from user alice 198.51.100.1 port 7')).toMatchObject({
        class: 'other',
        activity: 'disconnected',
        user: 'alice',
        srcPort: 7,
      });
      expect(at('Did not receive identification string from 198.51.100.1')).toMatchObject({
        activity: 'no_identification',
        srcIp: '198.51.100.1',
      });
      expect(
        at(
          'reverse mapping checking getaddrinfo for ns.example.com [198.51.100.1] failed - POSSIBLE BREAK-IN ATTEMPT!',
        ),
      ).toMatchObject({ class: 'other', activity: 'reverse_mapping_failed', srcIp: '198.51.100.1' });
      expect(
        at(
          'Address 198.51.100.2 maps to x.example, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!',
        ),
      ).toMatchObject({ class: 'other', activity: 'reverse_mapping_failed', srcIp: '198.51.100.2' });
      expect(at('Server listening on 0.0.0.0 port 22.')).toMatchObject({
        class: 'other',
        activity: 'syslog_message',
        srcIp: null,
      });
    });

    it('treats OpenSSH 9.8+ sshd-session as sshd and parses RFC 5424 framing', () => {
      expect(
        parse(
          'Mar  3 10:00:00 bastion sshd-session[9]: Failed password for root from 198.51.100.1 port 22 ssh2',
        ),
      ).toMatchObject({ activity: 'logon', processName: 'sshd-session', vendorEventId: 'sshd-session' });
      expect(
        parse(
          '<38>1 2024-05-02T10:11:12.5+02:00 bastion sshd 4242 - - Accepted publickey for alice from 203.0.113.5 port 50022 ssh2',
        ),
      ).toMatchObject({
        time: '2024-05-02T08:11:12.500Z',
        activity: 'logon',
        outcome: 'success',
        dstHost: 'bastion',
        processName: 'sshd',
      });
    });
  });

  describe('sudo and su', () => {
    const ctx: ParseContext = { receivedAt: new Date('2024-03-04T00:00:00Z') };
    const at = (line: string) => parse(line, ctx);

    it('maps a sudo command', () => {
      expect(
        at(
          'Mar  3 10:00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id -u',
        ),
      ).toMatchObject({
        class: 'privilege_use',
        activity: 'sudo',
        outcome: 'success',
        reason: null,
        user: 'alice',
        targetUser: 'root',
        commandLine: '/usr/bin/id -u',
        app: 'sudo',
        processName: 'sudo',
      });
    });

    it('maps sudo refusals', () => {
      expect(
        at(
          'Mar  3 10:00:00 web1 sudo: alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh',
        ),
      ).toMatchObject({
        activity: 'sudo',
        outcome: 'failure',
        reason: 'bad_password',
        reasonDetail: '3 incorrect password attempts',
        user: 'alice',
        targetUser: 'root',
        commandLine: '/bin/sh',
      });
      expect(
        at(
          'Mar  3 10:00:00 web1 sudo: mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash',
        ),
      ).toMatchObject({ outcome: 'failure', reason: 'policy_blocked', user: 'mallory' });
      expect(
        at(
          'Mar  3 10:00:00 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice',
        ),
      ).toMatchObject({
        class: 'authentication',
        activity: 'pam_authenticate',
        outcome: 'failure',
        reason: 'bad_password',
        user: 'alice',
        srcIp: null,
        app: 'sudo',
      });
      expect(
        at(
          'Mar  3 10:00:00 web1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)',
        ),
      ).toMatchObject({
        class: 'session',
        activity: 'session_opened',
        user: 'alice',
        targetUser: 'root',
        app: 'sudo',
      });
      expect(
        at('Mar  3 10:00:00 web1 sudo: unable to resolve host web1: Name or service not known'),
      ).toMatchObject({
        class: 'other',
        activity: 'syslog_message',
      });
    });

    it('maps su', () => {
      expect(
        at(
          'Mar  3 10:00:00 web1 su[77]: pam_unix(su:session): session opened for user root by alice(uid=1000)',
        ),
      ).toMatchObject({
        class: 'session',
        activity: 'session_opened',
        outcome: 'success',
        user: 'alice',
        targetUser: 'root',
        app: 'su',
      });
      expect(at('Mar  3 10:00:00 web1 su[77]: FAILED SU (to root) alice on pts/0')).toMatchObject({
        class: 'privilege_use',
        activity: 'su',
        outcome: 'failure',
        user: 'alice',
        targetUser: 'root',
      });
      expect(at('Mar  3 10:00:00 web1 su[77]: (to root) alice on pts/0')).toMatchObject({
        activity: 'su',
        outcome: 'success',
        user: 'alice',
        targetUser: 'root',
      });
      expect(
        at(
          'Mar  3 10:00:00 web1 su[77]: pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=pts/0 ruser=alice rhost=  user=root',
        ),
      ).toMatchObject({
        activity: 'pam_authenticate',
        outcome: 'failure',
        user: 'root',
        app: 'su',
      });
    });

    it('maps other PAM services and password changes', () => {
      expect(
        at(
          'Mar  3 10:00:00 web1 CRON[5]: pam_unix(cron:session): session opened for user root(uid=0) by root(uid=0)',
        ),
      ).toMatchObject({
        class: 'session',
        user: 'root',
        app: 'cron',
        processName: 'CRON',
      });
      expect(
        at('Mar  3 10:00:00 web1 passwd[5]: pam_unix(passwd:chauthtok): password changed for alice'),
      ).toMatchObject({
        class: 'account_change',
        activity: 'password_changed',
        outcome: 'success',
        user: 'alice',
      });
    });
  });

  it('crosses the Dec -> Jan year boundary from receivedAt', () => {
    const ctx: ParseContext = { receivedAt: new Date('2017-01-01T00:00:05Z') };
    expect(
      parse('Dec 31 23:59:58 h sshd[1]: Failed password for root from 198.51.100.1 port 1 ssh2', ctx).time,
    ).toBe('2016-12-31T23:59:58.000Z');
    expect(
      parse('Jan  1 00:00:02 h sshd[1]: Failed password for root from 198.51.100.1 port 1 ssh2', ctx).time,
    ).toBe('2017-01-01T00:00:02.000Z');
  });

  it('rejects malformed and truncated lines with reasons', () => {
    const rejects: Array<[string, RegExp]> = [
      ['', /empty/],
      ['this is not syslog', /not syslog/],
      ['{"msg":"Failed password for root"}', /not syslog/],
      ['Dec 10 06:55:46 LabSZ sshd[24200]:', /truncated/],
      ['Dec 10 06:55:46 LabSZ', /truncated/],
      ['Dec 10 06:5', /truncated or malformed/],
      [
        'Feb 30 06:55:46 LabSZ sshd[24200]: Failed password for root from 1.2.3.4 port 1 ssh2',
        /impossible date/,
      ],
      [
        'Dec 10 29:55:46 LabSZ sshd[24200]: Failed password for root from 1.2.3.4 port 1 ssh2',
        /impossible time/,
      ],
    ];
    for (const [line, reason] of rejects) {
      const r = linuxSyslogParser.parse(line, SSH_CTX);
      expect(r.ok, line).toBe(false);
      if (!r.ok) expect(r.error).toMatch(reason);
    }
    expect(linuxSyslogParser.parse(42 as unknown as string, SSH_CTX)).toEqual({
      ok: false,
      error: 'record is not a text line',
    });
  });

  it('is deterministic', () => {
    const line =
      'Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2';
    expect(linuxSyslogParser.parse(line, SSH_CTX)).toEqual(linuxSyslogParser.parse(line, SSH_CTX));
  });
});
