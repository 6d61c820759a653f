import { describe, it, expect } from 'vitest';
import {
  parseSyslog,
  resolveYearlessTime,
  splitOctetCounted,
  syslogRepeatCount,
  SyslogFrameError,
  SyslogFramer,
  unwrapRepeated,
  type SyslogMessage,
  type SyslogParseResult,
} from './syslog.ts';
import type { ParseContext } from './parser.types.ts';

const ctx = (receivedAt: string, utcOffsetMinutes?: number): ParseContext =>
  utcOffsetMinutes === undefined
    ? { receivedAt: new Date(receivedAt) }
    : { receivedAt: new Date(receivedAt), utcOffsetMinutes };

const JAN_2017 = ctx('2017-01-05T12:00:00Z');

function ok(r: SyslogParseResult): SyslogMessage {
  if (!r.ok) throw new Error(`expected ok, got: ${r.error}`);
  return r.message;
}
function err(r: SyslogParseResult): string {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.message)}`);
  return r.error;
}

describe('parseSyslog: RFC 3164', () => {
  it('parses a classic line without PRI', () => {
    const m = ok(
      parseSyslog('Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186', JAN_2017),
    );
    expect(m).toEqual({
      format: 'rfc3164',
      time: '2016-12-10T06:55:46.000Z',
      host: 'LabSZ',
      app: 'sshd',
      pid: '24200',
      msg: 'Invalid user webmaster from 173.234.31.186',
    });
    expect(m.facility).toBeUndefined();
    expect(m.severity).toBeUndefined();
  });

  it('decodes <PRI> into facility and severity', () => {
    const m = ok(
      parseSyslog('<38>Dec 10 06:55:46 LabSZ sshd[24200]: Connection closed by 1.2.3.4', JAN_2017),
    );
    expect(m.facility).toBe(4); // auth
    expect(m.severity).toBe(6); // info
    expect(m.app).toBe('sshd');
    expect(ok(parseSyslog('<0>Dec 10 06:55:46 h k: x y', JAN_2017))).toMatchObject({
      facility: 0,
      severity: 0,
    });
    expect(ok(parseSyslog('<191>Dec 10 06:55:46 h k: x y', JAN_2017))).toMatchObject({
      facility: 23,
      severity: 7,
    });
  });

  it('keeps the program(module) form as the app', () => {
    const m = ok(
      parseSyslog(
        'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown',
        ctx('2005-08-01T00:00:00Z'),
      ),
    );
    expect(m).toMatchObject({
      time: '2005-06-14T15:16:01.000Z',
      host: 'combo',
      app: 'sshd(pam_unix)',
      pid: '19939',
      msg: 'check pass; user unknown',
    });
  });

  it('accepts a space-padded or unpadded single-digit day', () => {
    const r = ctx('2005-08-01T00:00:00Z');
    expect(ok(parseSyslog('Jun  9 06:06:20 combo syslogd 1.4.1: restart.', r)).time).toBe(
      '2005-06-09T06:06:20.000Z',
    );
    expect(ok(parseSyslog('Jun 9 06:06:20 combo kernel: x y', r)).time).toBe('2005-06-09T06:06:20.000Z');
    expect(ok(parseSyslog('Jun 09 06:06:20 combo kernel: x y', r)).time).toBe('2005-06-09T06:06:20.000Z');
  });

  it('takes a tag without pid, and a message without any tag', () => {
    const r = ctx('2005-08-01T00:00:00Z');
    expect(ok(parseSyslog('Jul 27 14:41:57 combo kernel: BIOS-provided physical RAM map:', r))).toMatchObject(
      {
        app: 'kernel',
        pid: null,
        msg: 'BIOS-provided physical RAM map:',
      },
    );
    // sysklogd's own message carries no TAG.
    expect(ok(parseSyslog('Jun 19 04:09:11 combo syslogd 1.4.1: restart.', r))).toMatchObject({
      host: 'combo',
      app: null,
      pid: null,
      msg: 'syslogd 1.4.1: restart.',
    });
    expect(ok(parseSyslog('Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2', r))).toMatchObject({
      host: 'combo',
      app: null,
      msg: '-- root[2421]: ROOT LOGIN ON tty2',
    });
  });

  it('takes a line without HOSTNAME (first token is the tag)', () => {
    expect(
      ok(parseSyslog('Dec 10 06:55:46 sshd[1]: Server listening on :: port 22.', JAN_2017)),
    ).toMatchObject({
      host: null,
      app: 'sshd',
      pid: '1',
      msg: 'Server listening on :: port 22.',
    });
  });

  it('accepts an RFC 3339 timestamp in place of the classic one (rsyslog precise format)', () => {
    const m = ok(
      parseSyslog(
        '2024-03-01T10:00:00.123456+01:00 web1 sudo: alice : TTY=pts/0 ; COMMAND=/bin/id',
        JAN_2017,
      ),
    );
    expect(m).toMatchObject({ time: '2024-03-01T09:00:00.123Z', host: 'web1', app: 'sudo' });
    expect(ok(parseSyslog('<86>2024-03-01T10:00:00Z web1 sudo: x y', JAN_2017)).time).toBe(
      '2024-03-01T10:00:00.000Z',
    );
  });

  it('accepts a classic timestamp with a year and with a fraction', () => {
    expect(ok(parseSyslog('Mar  1 2024 10:00:00 r1 x: y z', JAN_2017)).time).toBe('2024-03-01T10:00:00.000Z');
    expect(ok(parseSyslog('Dec 10 06:55:46.25 h x: y z', JAN_2017)).time).toBe('2016-12-10T06:55:46.250Z');
  });

  it('strips trailing CR, LF and NUL but keeps other trailing text', () => {
    const m = ok(parseSyslog('Dec 10 06:55:46 LabSZ sshd[1]: rhost=1.2.3.4 \r\n', JAN_2017));
    expect(m.msg).toBe('rhost=1.2.3.4 ');
    expect(ok(parseSyslog('Dec 10 06:55:46 LabSZ sshd[1]: a b\0', JAN_2017)).msg).toBe('a b');
  });

  it('applies utcOffsetMinutes to zone-less timestamps only', () => {
    expect(ok(parseSyslog('Dec 10 06:55:46 h x: y z', ctx('2017-01-05T00:00:00Z', 60))).time).toBe(
      '2016-12-10T05:55:46.000Z',
    );
    expect(ok(parseSyslog('Dec 10 06:55:46 h x: y z', ctx('2017-01-05T00:00:00Z', -300))).time).toBe(
      '2016-12-10T11:55:46.000Z',
    );
    expect(ok(parseSyslog('2024-03-01T10:00:00Z h x: y z', ctx('2017-01-05T00:00:00Z', 60))).time).toBe(
      '2024-03-01T10:00:00.000Z',
    );
  });
});

describe('year inference for classic timestamps', () => {
  const at = (line: string, receivedAt: string, off?: number) =>
    ok(parseSyslog(line, ctx(receivedAt, off))).time;

  it('puts a December line received in early January in the previous year', () => {
    expect(at('Dec 31 23:59:58 h x: y z', '2017-01-02T08:00:00Z')).toBe('2016-12-31T23:59:58.000Z');
    expect(at('Dec 10 06:55:46 h x: y z', '2017-01-02T08:00:00Z')).toBe('2016-12-10T06:55:46.000Z');
  });

  it('puts a January line received late on 31 December in the next year', () => {
    expect(at('Jan  1 00:00:02 h x: y z', '2016-12-31T23:59:30Z')).toBe('2017-01-01T00:00:02.000Z');
    // ...but a January line from more than a day ahead is from this January.
    expect(at('Jan  3 00:00:02 h x: y z', '2016-12-31T23:59:30Z')).toBe('2016-01-03T00:00:02.000Z');
  });

  it('tolerates up to a day of clock skew into the future, no more', () => {
    expect(at('Jun 15 10:00:00 h x: y z', '2024-06-14T12:00:00Z')).toBe('2024-06-15T10:00:00.000Z');
    expect(at('Jun 16 10:00:00 h x: y z', '2024-06-14T12:00:00Z')).toBe('2023-06-16T10:00:00.000Z');
    expect(at('Jun 14 12:00:00 h x: y z', '2024-06-14T12:00:00Z')).toBe('2024-06-14T12:00:00.000Z');
  });

  it('judges the boundary on the zoned instant', () => {
    // 00:30 local on 1 Jan at UTC+2 is 22:30 UTC on 31 Dec: received at 23:00 UTC it is the new year.
    expect(at('Jan  1 00:30:00 h x: y z', '2016-12-31T23:00:00Z', 120)).toBe('2016-12-31T22:30:00.000Z');
    // The same wall time at UTC-5 is 05:30 UTC on 1 Jan 2017: still within a day ahead.
    expect(at('Jan  1 00:30:00 h x: y z', '2016-12-31T23:00:00Z', -300)).toBe('2017-01-01T05:30:00.000Z');
  });

  it('finds the most recent leap year for 29 February', () => {
    expect(at('Feb 29 12:00:00 h x: y z', '2025-03-01T00:00:00Z')).toBe('2024-02-29T12:00:00.000Z');
    expect(at('Feb 29 12:00:00 h x: y z', '2027-06-01T00:00:00Z')).toBe('2024-02-29T12:00:00.000Z');
    expect(at('Feb 29 12:00:00 h x: y z', '2024-02-29T13:00:00Z')).toBe('2024-02-29T12:00:00.000Z');
  });

  it('is exposed as resolveYearlessTime', () => {
    expect(resolveYearlessTime(11, 10, 6, 55, 46, 0, JAN_2017)).toBe(Date.UTC(2016, 11, 10, 6, 55, 46));
    expect(resolveYearlessTime(1, 29, 0, 0, 0, 0, ctx('2025-03-01T00:00:00Z'))).toBe(Date.UTC(2024, 1, 29));
  });
});

describe('consecutive lines (the last timestamp, instant and host are reused)', () => {
  it('a repeated timestamp reads as it did, unless the context or what follows it differs', () => {
    const dec = ctx('2016-12-31T10:00:00Z');
    const line = (stamp: string) => `${stamp} host sshd[1]: hello`;
    expect(ok(parseSyslog(line('Dec 31 09:00:00'), dec)).time).toBe('2016-12-31T09:00:00.000Z');
    expect(ok(parseSyslog(line('Dec 31 09:00:00'), dec)).time).toBe('2016-12-31T09:00:00.000Z');
    // the same text received in another year, or in another zone, is another instant
    expect(ok(parseSyslog(line('Dec 31 09:00:00'), JAN_2017)).time).toBe('2016-12-31T09:00:00.000Z');
    expect(ok(parseSyslog(line('Dec 31 09:00:00'), ctx('2019-06-01T00:00:00Z'))).time).toBe(
      '2018-12-31T09:00:00.000Z',
    );
    expect(ok(parseSyslog(line('Dec 31 09:00:00'), ctx('2019-06-01T00:00:00Z', 120))).time).toBe(
      '2018-12-31T07:00:00.000Z',
    );
    // a longer timestamp starting with the same text is read in full
    expect(ok(parseSyslog(line('Dec 31 09:00:00.250'), ctx('2019-06-01T00:00:00Z', 120))).time).toBe(
      '2018-12-31T07:00:00.250Z',
    );
    expect(err(parseSyslog('Dec 31 09:00:00.25x host sshd[1]: hi', dec))).toMatch(/timestamp/);
    expect(ok(parseSyslog('Dec 31 09:00:00 other sshd[1]: hi', dec)).host).toBe('other');
    expect(ok(parseSyslog('Dec 31 09:00:00 sshd[1]: no host', dec)).host).toBeNull();
  });
  it('formats instants exactly as Date#toISOString, within a second and across seconds', () => {
    const base = Date.UTC(2024, 1, 29, 23, 59, 58);
    for (const ms of [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 2000, 2500]) {
      const t = new Date(base + ms);
      const stamp = `${t.toUTCString().slice(8, 11)} ${t.getUTCDate()} ${t.toISOString().slice(11, 23)}`;
      expect(ok(parseSyslog(`${stamp} h app: m`, ctx('2024-03-01T00:00:00Z'))).time).toBe(t.toISOString());
    }
  });
});

describe('parseSyslog: RFC 5424', () => {
  const BOM = '\uFEFF';

  it('parses RFC 5424 example 1 (no STRUCTURED-DATA, BOM)', () => {
    const m = ok(
      parseSyslog(
        `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
        JAN_2017,
      ),
    );
    expect(m).toEqual({
      format: 'rfc5424',
      time: '2003-10-11T22:14:15.003Z',
      host: 'mymachine.example.com',
      app: 'su',
      pid: null,
      msg: "'su root' failed for lonvick on /dev/pts/8",
      facility: 4,
      severity: 2,
      msgId: 'ID47',
      structuredData: null,
    });
  });

  it('parses RFC 5424 example 2 (offset and microseconds, no BOM)', () => {
    const m = ok(
      parseSyslog(
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        JAN_2017,
      ),
    );
    expect(m).toMatchObject({
      time: '2003-08-24T12:14:15.000Z',
      host: '192.0.2.1',
      app: 'myproc',
      pid: '8710',
      msgId: null,
      structuredData: null,
      msg: "%% It's time to make the do-nuts.",
      facility: 20,
      severity: 5,
    });
  });

  it('parses RFC 5424 example 3 (STRUCTURED-DATA and MSG)', () => {
    const m = ok(
      parseSyslog(
        `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
        JAN_2017,
      ),
    );
    expect(m.structuredData).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
    });
    expect(m.msg).toBe('An application event log entry...');
    expect(m.app).toBe('evntslog');
  });

  it('parses RFC 5424 example 4 (several SD-ELEMENTs, no MSG)', () => {
    const m = ok(
      parseSyslog(
        '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
        JAN_2017,
      ),
    );
    expect(m.structuredData).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
      'examplePriority@32473': { class: 'high' },
    });
    expect(m.msg).toBe('');
  });

  it('parses the brief example and SD escapes', () => {
    const m = ok(
      parseSyslog(
        '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 [exampleSDID@32473 iut="3"] msg',
        JAN_2017,
      ),
    );
    expect(m).toMatchObject({ app: 'su', msg: 'msg', structuredData: { 'exampleSDID@32473': { iut: '3' } } });
    const e = ok(
      parseSyslog(String.raw`<13>1 2024-01-01T00:00:00Z h a 1 - [x k="a\"b\\c\]d\e" k2=""] m`, JAN_2017),
    );
    expect(e.structuredData).toEqual({ x: { k: 'a"b\\c]d\\e', k2: '' } });
  });

  it('treats NILVALUEs as null and a nil TIMESTAMP as receivedAt', () => {
    const m = ok(parseSyslog('<13>1 - - - - - - hello', JAN_2017));
    expect(m).toMatchObject({
      time: '2017-01-05T12:00:00.000Z',
      host: null,
      app: null,
      pid: null,
      msgId: null,
    });
    expect(m.msg).toBe('hello');
  });

  it('parses an sshd line sent as RFC 5424', () => {
    const m = ok(
      parseSyslog(
        '<38>1 2024-05-02T10:11:12.5+02:00 bastion sshd 4242 - - Failed password for root from 203.0.113.9 port 50000 ssh2',
        JAN_2017,
      ),
    );
    expect(m).toMatchObject({ time: '2024-05-02T08:11:12.500Z', host: 'bastion', app: 'sshd', pid: '4242' });
  });
});

describe('parseSyslog: rejections', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['hello world', /not syslog/],
    ['{"user":"alice","action":"login"}', /not syslog/],
    ['<34>hello world', /not syslog: after <PRI>/],
    ['<999>Dec 10 06:55:46 h x: y', /invalid PRI <999>/],
    ['<3a>Dec 10 06:55:46 h x: y', /PRI/],
    ['Dec 10 06:5', /truncated or malformed RFC 3164 timestamp/],
    ['Dec 10 06:55:46', /truncated: no hostname or message/],
    ['Dec 10 06:55:46 ', /truncated: no hostname or message/],
    ['Dec 10 06:55:46 LabSZ', /truncated: no message after "LabSZ"/],
    ['Dec 10 06:55:46 LabSZ sshd[24200]:', /truncated: no message after "sshd\[24200\]:"/],
    ['Dec 10 06:55:46 LabSZ sshd[24200]:   ', /truncated: no message after "sshd\[24200\]:"/],
    ['Dec 10 06:55:46 LabSZ sshd[242', /truncated: no message after "sshd\[242"/],
    ['Feb 30 06:55:46 h x: y z', /impossible date: Feb 30/],
    ['Apr 31 06:55:46 h x: y z', /impossible date: Apr 31/],
    ['Dec 00 06:55:46 h x: y z', /impossible date: Dec 0/],
    ['Foo 10 06:55:46 h x: y z', /impossible date: unknown month "Foo"/],
    ['Dec 10 24:00:00 h x: y z', /impossible time 24:00:00/],
    ['Dec 10 06:60:00 h x: y z', /impossible time/],
    ['2023-02-29T10:00:00Z h x: y z', /impossible date 2023-02-29/],
    ['<34>1 2003-13-11T22:14:15.003Z h su - ID47 - m', /impossible date 2003-13-11/],
    ['<34>1 2003-10-11T22:14:15.003+25:00 h su - ID47 - m', /impossible time zone offset/],
    ['<34>1 2003-10-11T22:14:15.003Z mymachine.example.com', /malformed RFC 5424 header/],
    ['<34>1 2003-10-11 22:14:15 h su - ID47 - m', /malformed RFC 5424 header/],
    ['<34>1 2003-10-11T22:14:15.003Z h su - ID47', /truncated: RFC 5424 message has no STRUCTURED-DATA/],
    ['<34>1 2003-10-11T22:14:15.003Z h su - ID47 [x a="1"', /unterminated SD-ELEMENT/],
    ['<34>1 2003-10-11T22:14:15.003Z h su - ID47 [x a="1] m', /unterminated PARAM-VALUE/],
    ['<34>1 2003-10-11T22:14:15.003Z h su - ID47 [x a=1] m', /expected =" after PARAM-NAME/],
    ['<34>1 2003-10-11T22:14:15.003Z h su - ID47 [x a="1"]m', /expected a space after STRUCTURED-DATA/],
    ['<34>1 2003-10-11T22:14:15.003Z h su - ID47 msg', /expected "-" or "\["/],
    ['<34>2 2003-10-11T22:14:15.003Z h su - ID47 - m', /unsupported RFC 5424 version 2/],
  ];
  it.each(cases)('rejects %j', (line, reason) => {
    expect(err(parseSyslog(line, JAN_2017))).toMatch(reason);
  });

  it('rejects when receivedAt is not a date', () => {
    expect(err(parseSyslog('Dec 10 06:55:46 h x: y z', { receivedAt: new Date('nope') }))).toMatch(
      /receivedAt/,
    );
  });
});

describe('repeat summaries', () => {
  it('unwraps "message repeated N times"', () => {
    const msg = 'message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]';
    expect(unwrapRepeated(msg)).toEqual({
      count: 5,
      msg: 'Failed password for root from 5.36.59.76 port 42393 ssh2',
    });
    expect(unwrapRepeated('Failed password for root')).toBeNull();
    expect(syslogRepeatCount(msg)).toBe(5);
    expect(
      syslogRepeatCount('PAM 5 more authentication failures; logname= uid=0 rhost=1.2.3.4  user=root'),
    ).toBe(5);
    expect(syslogRepeatCount('PAM 1 more authentication failure; logname= uid=0')).toBe(1);
    expect(syslogRepeatCount('Accepted password for x from 1.2.3.4 port 1 ssh2')).toBe(1);
  });
});

describe('SyslogFramer', () => {
  it('hands over the frames completed before a bad one in the same chunk', () => {
    const f = new SyslogFramer({ maxMessageBytes: 100 });
    let err: unknown;
    try {
      f.push(`good one\n13 <13>1 - - - -second\n${'x'.repeat(150)}\n`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyslogFrameError);
    expect((err as SyslogFrameError).completed).toEqual(['good one', '<13>1 - - - -', 'second']);
  });

  const enc = (s: string) => new TextEncoder().encode(s);
  const feedAll = (f: SyslogFramer, chunks: Array<string | Uint8Array>) => {
    const out: string[] = [];
    for (const c of chunks) out.push(...f.push(c));
    out.push(...f.end());
    return out;
  };
  const M1 = '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - héllo wörld';
  const M2 = 'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186';

  it('splits LF, CRLF and NUL framed messages and skips blank frames', () => {
    const f = new SyslogFramer();
    expect(f.push(`${M2}\n${M2}\r\n\r\n${M1}\0\n`)).toEqual([M2, M2, M1]);
    expect(f.end()).toEqual([]);
  });

  it('reassembles messages split at every byte', () => {
    const bytes = enc(`${M2}\r\n${M1.length}x\n`);
    const f = new SyslogFramer();
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...f.push(bytes.subarray(i, i + 1)));
    out.push(...f.end());
    expect(out).toEqual([M2, `${M1.length}x`]);
  });

  it('handles octet counting in bytes, not characters, across chunks', () => {
    const b1 = enc(M1);
    const b2 = enc(M2);
    expect(b1.length).toBeGreaterThan(M1.length); // multi-byte UTF-8
    const stream = enc(`${b1.length} ${M1}${b2.length} ${M2}`);
    for (const cut of [1, 2, 3, 5, 40, b1.length + 2, b1.length + 4, stream.length - 1]) {
      const f = new SyslogFramer();
      expect(feedAll(f, [stream.subarray(0, cut), stream.subarray(cut)])).toEqual([M1, M2]);
    }
  });

  it('detects the framing of each frame: octet-counted and newline frames may mix', () => {
    const b1 = enc(M1);
    const f = new SyslogFramer();
    expect(feedAll(f, [`${M2}\n${b1.length} ${M1}2024-03-01T10:00:00Z h x: y z\n`])).toEqual([
      M2,
      M1,
      '2024-03-01T10:00:00Z h x: y z',
    ]);
  });

  it('does not keep views into the caller buffer', () => {
    const f = new SyslogFramer();
    const chunk = enc('Dec 10 06:55:46 h x: abc');
    expect(f.push(chunk)).toEqual([]);
    chunk.fill(33); // the caller reuses its buffer
    expect(f.push('def\n')).toEqual(['Dec 10 06:55:46 h x: abcdef']);
  });

  it('rejects an oversize octet-counted frame and then refuses input', () => {
    const f = new SyslogFramer({ maxMessageBytes: 100 });
    expect(() => f.push('101 <34>1 ...')).toThrow(SyslogFrameError);
    expect(() => f.push('5 hello')).toThrow(/exceeds the maximum of 100/);
    expect(() => f.end()).toThrow(SyslogFrameError);
    // 100 exactly is fine
    const g = new SyslogFramer({ maxMessageBytes: 100 });
    expect(g.push(`100 ${'a'.repeat(100)}`)).toEqual(['a'.repeat(100)]);
  });

  it('rejects an oversize newline-framed message without buffering it all', () => {
    const f = new SyslogFramer({ maxMessageBytes: 100 });
    expect(f.push('a'.repeat(60))).toEqual([]);
    expect(() => f.push('a'.repeat(60))).toThrow(/exceeds the maximum of 100 bytes/);
    expect(f.pendingBytes).toBe(0);
    const g = new SyslogFramer({ maxMessageBytes: 100 });
    expect(g.push(`${'a'.repeat(100)}\r\n`)).toEqual(['a'.repeat(100)]); // CR is not counted
    expect(() => g.push(`${'a'.repeat(101)}\n`)).toThrow(SyslogFrameError);
    const h = new SyslogFramer({ maxMessageBytes: 100 });
    expect(() => h.push(`${'a'.repeat(101)}\r\n`)).toThrow(SyslogFrameError);
  });

  it('end() returns a last line without delimiter and refuses a cut octet frame', () => {
    const f = new SyslogFramer();
    expect(f.push(`${M2}\n${M2}`)).toEqual([M2]);
    expect(f.end()).toEqual([M2]);
    const g = new SyslogFramer();
    expect(g.push('50 <34>1 2003')).toEqual([]);
    expect(() => g.end()).toThrow(/stream ended inside an octet-counted frame \(10 of 50 bytes\)/);
    const h = new SyslogFramer();
    expect(h.push('50')).toEqual([]);
    expect(() => h.end()).toThrow(/only a length/);
  });

  it('validates its options', () => {
    expect(() => new SyslogFramer({ maxMessageBytes: 0 })).toThrow(RangeError);
  });
});

describe('splitOctetCounted', () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it('returns complete messages and the incomplete rest', () => {
    const { messages, rest } = splitOctetCounted(enc('5 hello3 abc10 <34>1 2'));
    expect(messages).toEqual(['hello', 'abc']);
    expect(new TextDecoder().decode(rest)).toBe('10 <34>1 2');
    expect(splitOctetCounted(enc('2 ok')).rest.length).toBe(0);
    expect(splitOctetCounted(enc('12')).messages).toEqual([]);
  });

  it('rejects malformed lengths and oversize frames', () => {
    expect(() => splitOctetCounted(enc('x hello'))).toThrow(/expected MSG-LEN/);
    expect(() => splitOctetCounted(enc('05 hello'))).toThrow(/starts with 0/);
    expect(() => splitOctetCounted(enc('5hello'))).toThrow(SyslogFrameError);
    expect(() => splitOctetCounted(enc('999 x'), 100)).toThrow(/exceeds 100 bytes/);
  });
});
