import { describe, expect, it } from 'vitest';
import { compileBuiltinRules } from './builtin.ts';
import { compareEvents, createEngine } from './evaluator.ts';
import { collapseDetections, runHistory } from './history.ts';
import { at, fail, noCtx, ok } from './test-events.ts';
import type { Detection, EngineEvent, EvidenceRef } from './types.ts';

/**
 * `accord-spray-distributed` on the shapes it must tell apart: a spray spread over many addresses
 * (a few tries each, never a success) against busy benign traffic that also fails now and then
 * (an office NAT, remote users mistyping), sources that a per-source rule has already flagged, and
 * the same events streamed in batches, across a restart, or run as history.
 */
const rules = compileBuiltinRules();
const ID = 'accord-spray-distributed';
const run = (events: EngineEvent[]): Detection[] =>
  createEngine(rules)
    .process('o', events, noCtx)
    .filter((d) => d.ruleId === ID);
const ipOf = (events: EngineEvent[]) => {
  const m = new Map(events.map((e) => [`${e.batchId}:${e.batchPos}`, e.srcIp]));
  return (refs: EvidenceRef[]) => refs.map((r) => m.get(`${r.batchId}:${r.batchPos}`)!);
};

/** A distributed spray: `n` sources, each trying two or three accounts once, within 50 minutes. */
function campaign(from: number, n: number, net = 18): { events: EngineEvent[]; sources: string[] } {
  const events: EngineEvent[] = [];
  const sources: string[] = [];
  let acct = 0;
  for (let s = 0; s < n; s++) {
    const ip = `198.${net}.${s}.7`;
    sources.push(ip);
    for (let k = 0; k < 2 + (s % 2); k++)
      events.push(fail(at(from + ((s * 7 + k * 17) % 50)), `staff-${net}-${acct++}`, ip));
  }
  return { events, sources };
}

/** Remote users on their own addresses: one wrong password, then the right one 12 seconds later. */
function mistypes(from: number, n: number, minutes: number, net = 113): EngineEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const t = from + (i * minutes) / n;
    return [
      fail(at(t), `remote${i}`, `203.0.${net}.${i + 1}`),
      ok(at(t + 0.2), `remote${i}`, `203.0.${net}.${i + 1}`),
    ];
  }).flat();
}

/** An office NAT: `users` people signing in every half hour or so; one sign-in in 12 is mistyped first. */
function officeNat(ip: string, users: number, from: number, hours: number): EngineEvent[] {
  const out: EngineEvent[] = [];
  let k = 0;
  for (let m = from; m < from + hours * 60; m += 30) {
    for (let u = 0; u < users; u++) {
      const t = m + ((u * 13) % 30);
      if (k++ % 12 === 0) out.push(fail(at(t), `office${u}`, ip));
      out.push(ok(at(t + 0.1), `office${u}`, ip));
    }
  }
  return out;
}

describe('distributed password spraying', () => {
  it('fires on a spray from 40 addresses amid benign failures, and names exactly those addresses', () => {
    const spray = campaign(60, 40);
    const events = [...spray.events, ...mistypes(40, 30, 120), ...officeNat('192.0.2.1', 150, 0, 4)];
    const d = run(events);
    expect(d).toHaveLength(1);
    expect(d[0]!.groupValues).toEqual({});
    expect(d[0]!.summary).toMatch(/^40 sources with a few failed sign-ins each and none successful/);
    const named = ipOf(events)(d[0]!.evidence);
    expect(named).toHaveLength(40); // one event per source
    expect(new Set(named)).toEqual(new Set(spray.sources));
    expect(d[0]!.eventCount).toBe(spray.events.length);
  });

  it('stays silent on an office NAT and 40 remote users mistyping within an hour; without their successes it would fire', () => {
    const benign = [...mistypes(0, 40, 60), ...officeNat('192.0.2.1', 200, -60, 8)];
    expect(run(benign)).toEqual([]);
    // The same failures, had the users not signed in afterwards, are indistinguishable from a spray:
    // this is what the successes are for.
    const unresolved = benign.filter((e) => e.outcome === 'failure' && e.srcIp !== '192.0.2.1');
    expect(run(unresolved)).toHaveLength(1);
  });

  it('a benign source counted during the spray leaves the evidence when it signs in (retracted once)', () => {
    const spray = campaign(0, 12);
    const typo = mistypes(49.9, 1, 1, 99); // fails at 49.9 min, signs in at 50.1
    const events = [...spray.events, ...typo];
    const cut = at(50);
    const engine = createEngine(rules);
    const first = engine
      .process(
        'o',
        events.filter((e) => e.time < cut),
        noCtx,
      )
      .filter((d) => d.ruleId === ID);
    const second = engine
      .process(
        'o',
        events.filter((e) => e.time >= cut),
        noCtx,
      )
      .filter((d) => d.ruleId === ID);
    const names = ipOf(events);
    expect(names(first[0]!.evidence)).toContain('203.0.99.1');
    expect(second).toHaveLength(1);
    expect(names(second[0]!.retracted!)).toEqual(['203.0.99.1']);
    expect(new Set(names(second[0]!.evidence))).toEqual(new Set(spray.sources));
    const [latest] = collapseDetections([...first, ...second]).filter((d) => d.ruleId === ID);
    expect(latest!.retracted).toBeUndefined();
    expect(latest!.evidence).toEqual(second[0]!.evidence);
  });

  it('leaves out a source a per-source rule already flagged (a low-and-slow sprayer)', () => {
    // One account an hour for 16 hours: accord-spray-slow flags it at its 15th account, before the
    // spray below, in which it tries two more.
    const slow = Array.from({ length: 18 }, (_, i) =>
      fail(at(-16 * 60 + i * 60 + 1), `slow${i}`, '192.0.2.200'),
    );
    const nine = campaign(0, 9);
    const flagged = createEngine(rules).process('o', [...slow, ...nine.events], noCtx);
    expect(flagged.map((d) => d.ruleId)).toContain('accord-spray-slow');
    expect(flagged.filter((d) => d.ruleId === ID)).toEqual([]);
    // A tenth source that nothing flagged makes it a distributed spray.
    const tenth = [fail(at(20), 'other1', '192.0.2.201'), fail(at(21), 'other2', '192.0.2.201')];
    const d = run([...slow, ...nine.events, ...tenth]);
    expect(d).toHaveLength(1);
    expect(ipOf([...nine.events, ...tenth])(d[0]!.evidence)).toContain('192.0.2.201');
  });

  it('two sprays hours apart are two episodes; later benign failures do not stretch the first', () => {
    const a = campaign(0, 15, 18);
    const b = campaign(5 * 60, 15, 19);
    const events = [...a.events, ...b.events, ...mistypes(0, 60, 6 * 60)];
    const d = run(events);
    expect(d).toHaveLength(2);
    const names = ipOf(events);
    expect(new Set(names(d[0]!.evidence))).toEqual(new Set(a.sources));
    expect(new Set(names(d[1]!.evidence))).toEqual(new Set(b.sources));
    // The first ends within its window of the spray, not with the benign traffic that goes on.
    expect(Date.parse(d[0]!.lastSeen) - Date.parse(at(50))).toBeLessThanOrEqual(3_600_000);
    expect(d[0]!.firstSeen).not.toBe(d[1]!.firstSeen);
  });

  it('a withdrawal and a live episode survive a restart (export and import of the state)', () => {
    // An address signs in (while another address's failure is in the window), then fails for two
    // accounts during a spray from eight others: it is a user, not a tenth source, also after a
    // restart between the two.
    const user = [fail(at(0), 'ghost', '192.0.2.99'), ok(at(1), 'carol', '192.0.2.77')];
    const later = [
      ...campaign(5, 8).events,
      fail(at(20), 'carol', '192.0.2.77'),
      fail(at(21), 'dave', '192.0.2.77'),
    ];
    const a = createEngine(rules);
    a.process('o', user, noCtx);
    const b = createEngine(rules);
    b.importState('o', a.exportState('o'));
    expect(b.process('o', later, noCtx).filter((d) => d.ruleId === ID)).toEqual([]);
    // without the earlier success it would be the tenth
    expect(run([user[0]!, ...later])).toHaveLength(1);
    // A success with nothing counted in the window is not kept: it creates no group of its own.
    expect(
      run([ok(at(1), 'carol', '192.0.2.77'), fail(at(2), 'ghost', '192.0.2.99'), ...later]),
    ).toHaveLength(1);

    // A restart in the middle of a spray: the episode goes on with its evidence, nothing twice.
    const spray = campaign(0, 14);
    const half = at(40);
    const c = createEngine(rules);
    const d1 = c.process(
      'o',
      spray.events.filter((x) => x.time < half),
      noCtx,
    );
    const e = createEngine(rules);
    e.importState('o', c.exportState('o'));
    const d2 = e.process(
      'o',
      spray.events.filter((x) => x.time >= half),
      noCtx,
    );
    expect(d1.filter((d) => d.ruleId === ID)).toHaveLength(1);
    expect(collapseDetections([...d1, ...d2]).filter((d) => d.ruleId === ID)).toEqual(run(spray.events));
  });

  it('streaming in any batch split and a history run give the same detections', async () => {
    const events = [
      ...campaign(30, 25).events,
      ...campaign(8 * 60, 40, 19).events,
      ...mistypes(0, 200, 12 * 60),
      ...officeNat('192.0.2.1', 120, 0, 12),
    ];
    const history = (await runHistory(rules, events, noCtx)).filter((d) => d.ruleId === ID);
    expect(history).toHaveLength(2);
    const sorted = [...events].sort(compareEvents);
    for (const size of [1, 7, 500]) {
      const engine = createEngine(rules);
      const out: Detection[] = [];
      for (let i = 0; i < sorted.length; i += size)
        out.push(...engine.process('o', sorted.slice(i, i + size), noCtx));
      expect(collapseDetections(out).filter((d) => d.ruleId === ID)).toEqual(history);
    }
  });
});
