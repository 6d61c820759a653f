import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataset } from '../../../../test/support/datasets.ts';
import { toEventRow } from '../../telemetry/event-row.ts';
import { toEngineEvent } from '../engine-port.ts';
import { linuxSyslogParser } from '../../telemetry/parsers/linux-syslog.parser.ts';
import { compileBuiltinRules } from './builtin.ts';
import { runHistory } from './history.ts';
import { noCtx } from './test-events.ts';
import type { EngineEvent } from './types.ts';

/*
 * The real loghub OpenSSH sample (LabSZ, 10 December): parsed with the Linux parser, evaluated with
 * the built-in rules, and compared with a plain count over the raw lines.
 */
const lines = readFileSync(dataset('loghub', 'OpenSSH_2k.log'), 'utf8').split(/\r?\n/).filter(Boolean);
const ctx = { receivedAt: new Date('2016-01-03T00:00:00Z') };

function engineEvents(): EngineEvent[] {
  return lines.map((line, i) => {
    const r = linuxSyslogParser.parse(line, ctx);
    if (!r.ok) throw new Error(`line ${i + 1}: ${r.error}`);
    return toEngineEvent('labsz', 'sshd', 'loghub', i, toEventRow(r.event, line));
  });
}

/** Failed password attempts straight from the text: time, user, source, and how many (a repeat line stands for N). */
const FAILED_RE =
  /^Dec (\d+) (\d\d):(\d\d):(\d\d) \S+ sshd\[\d+\]: (?:message repeated (\d+) times: \[ )?Failed (\S+) for (invalid user )?(.+?) from (\S+) port/;
const MONTHS_DEC = 11;
const raw = lines.flatMap((l) => {
  const m = FAILED_RE.exec(l);
  if (!m || (m[6] !== 'password' && m[7] === undefined)) return [];
  const t = Date.UTC(2015, MONTHS_DEC, +m[1]!, +m[2]!, +m[3]!, +m[4]!);
  return [{ t, user: m[8]!, ip: m[9]!, n: m[5] ? +m[5] : 1 }];
});

/** Keys for which some window [t - span, t] holds at least `min` failures (or distinct users). */
function truth(
  key: (f: (typeof raw)[number]) => string,
  spanMin: number,
  min: number,
  distinctUsers = false,
): string[] {
  const by = new Map<string, typeof raw>();
  for (const f of raw) by.set(key(f), [...(by.get(key(f)) ?? []), f]);
  const hits: string[] = [];
  for (const [k, list] of by) {
    const found = list.some((f) => {
      const inWin = list.filter((g) => g.t <= f.t && g.t >= f.t - spanMin * 60_000);
      const count = inWin.reduce((k, g) => k + g.n, 0);
      return (distinctUsers ? new Set(inWin.map((g) => g.user)).size : count) >= min;
    });
    if (found) hits.push(k);
  }
  return hits.sort();
}

describe('built-in rules on the loghub OpenSSH sample', async () => {
  const detections = await runHistory(compileBuiltinRules(), engineEvents(), noCtx);
  const groups = (ruleId: string, field: string) =>
    [...new Set(detections.filter((d) => d.ruleId === ruleId).map((d) => d.groupValues[field]!))].sort();

  it('reads the failures from the raw lines', () => {
    expect(raw.length).toBeGreaterThan(500);
    expect(raw.filter((f) => f.n > 1).length).toBeGreaterThan(0); // `message repeated N times` lines
  });

  it('finds every source with a burst of failures, and only those', () => {
    const expected = truth((f) => f.ip, 10, 10);
    expect(expected).toEqual(
      expect.arrayContaining(['183.62.140.253', '187.141.143.180', '112.95.230.3', '103.99.0.122']),
    );
    expect(groups('accord-source-failure-burst', 'srcIp')).toEqual(expected);
  });

  it('finds the accounts under brute force', () => {
    const expected = truth((f) => f.user, 5, 10);
    expect(expected).toContain('root');
    expect(groups('accord-brute-force', 'user')).toEqual(expected);
  });

  it('finds the password sprayers (many accounts from one source)', () => {
    const expected = truth((f) => f.ip, 10, 10, true);
    expect(expected).toEqual(expect.arrayContaining(['187.141.143.180']));
    expect(groups('accord-spray-fast', 'srcIp')).toEqual(expected);
  });

  it('counts the attack on 183.62.140.253 in full', () => {
    const d = detections.filter(
      (x) => x.ruleId === 'accord-source-failure-burst' && x.groupValues.srcIp === '183.62.140.253',
    );
    const attempts = raw.filter((f) => f.ip === '183.62.140.253').reduce((n, f) => n + f.n, 0);
    expect(d.reduce((n, x) => n + x.eventCount, 0)).toBe(attempts);
  });
});
