import { describe, expect, it } from 'vitest';
import { compileBuiltinRules } from './builtin.ts';
import { compileRules } from './compile.ts';
import { createEngine } from './evaluator.ts';
import { collapseDetections, runHistory } from './history.ts';
import { generateScenario } from './scenario.ts';
import { StateError } from './state.ts';
import { at, fail, noCtx } from './test-events.ts';
import type { Detection, EngineEvent } from './types.ts';

const rules = compileBuiltinRules();
const burst = (from: number, n: number, user = 'root', ip = '203.0.113.9'): EngineEvent[] =>
  Array.from({ length: n }, (_, i) => fail(at(from + i * 0.1), user, ip));
const only = (ds: Detection[], id: string) => ds.filter((d) => d.ruleId === id);

describe('streaming evaluator', () => {
  it('emits once when the condition first holds, then one update per batch with a growing count', () => {
    const engine = createEngine(rules);
    const first = only(engine.process('o', burst(0, 30), noCtx), 'accord-brute-force');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ eventCount: 30, groupKey: '{"user":"root"}' });
    expect(first[0]!.evidence).toHaveLength(30);
    const second = only(engine.process('o', burst(3.5, 40), noCtx), 'accord-brute-force');
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({
      eventCount: 70,
      firstSeen: first[0]!.firstSeen,
      groupKey: first[0]!.groupKey,
    });
    expect(second[0]!.lastSeen > first[0]!.lastSeen).toBe(true);
    expect(second[0]!.evidence).toHaveLength(50); // capped, oldest first
    expect(second[0]!.evidence[0]).toEqual(first[0]!.evidence[0]);
    // a batch with nothing for the rule emits nothing
    expect(
      only(engine.process('o', [fail(at(5), 'alice', '192.0.2.1')], noCtx), 'accord-brute-force'),
    ).toEqual([]);
  });

  it('a new episode starts after the group has been quiet for a window', () => {
    const engine = createEngine(rules);
    const a = only(engine.process('o', burst(0, 12), noCtx), 'accord-brute-force');
    const b = only(engine.process('o', burst(60, 12), noCtx), 'accord-brute-force');
    expect(a[0]!.firstSeen).not.toBe(b[0]!.firstSeen);
    expect(b[0]!.eventCount).toBe(12);
  });

  it('sorts an out-of-order batch', () => {
    const events = burst(0, 12);
    const d1 = createEngine(rules).process('o', events, noCtx);
    const d2 = createEngine(rules).process('o', [...events].reverse(), noCtx);
    expect(d2).toEqual(d1);
  });

  it("keeps tenants apart, and refuses a batch holding another tenant's events", () => {
    const engine = createEngine(rules);
    const of = (org: string, list: EngineEvent[]) => list.map((e) => ({ ...e, orgId: org }));
    engine.process('a', of('a', burst(0, 6)), noCtx);
    expect(only(engine.process('b', of('b', burst(1, 6)), noCtx), 'accord-brute-force')).toEqual([]);
    expect(() => engine.process('a', [...of('a', burst(2, 2)), ...of('b', burst(2, 1))], noCtx)).toThrow(
      /event 2 of the batch belongs to another organisation than a/,
    );
  });

  it('state survives export and import: counts carry over, nothing is reported twice', () => {
    const a = createEngine(rules);
    expect(only(a.process('o', burst(0, 6), noCtx), 'accord-brute-force')).toEqual([]);
    const b = createEngine(rules);
    b.importState('o', a.exportState('o'));
    const d = only(b.process('o', burst(1, 6), noCtx), 'accord-brute-force');
    expect(d).toHaveLength(1);
    expect(d[0]!.eventCount).toBe(12);
    // after the detection, a restart must not report the same episode as new
    const c = createEngine(rules);
    c.importState('o', b.exportState('o'));
    const upd = only(c.process('o', burst(2, 1), noCtx), 'accord-brute-force');
    expect(upd).toHaveLength(1);
    expect(upd[0]).toMatchObject({ firstSeen: d[0]!.firstSeen, eventCount: 13 });
    expect(c.exportState('o')).toBe(
      (() => {
        const x = createEngine(rules);
        x.importState('o', c.exportState('o'));
        return x.exportState('o');
      })(),
    );
  });

  it('refuses malformed state with a clear error', () => {
    const engine = createEngine(rules);
    expect(() => engine.importState('o', '{oops')).toThrow(StateError);
    expect(() => engine.importState('o', '{"version":9}')).toThrow(/unknown format/);
  });

  it('bounds memory: groups per rule are capped, quiet groups are swept', () => {
    const engine = createEngine(rules, { maxGroupsPerRule: 100 });
    const many = Array.from({ length: 1000 }, (_, i) => fail(at(i * 0.01), `u${i}`, `10.0.${i % 250}.1`));
    engine.process('o', many, noCtx);
    const s = engine.stats('o');
    expect(s.evicted).toBeGreaterThan(0);
    expect(s.groups).toBeLessThanOrEqual(100 * rules.length);
    engine.process('o', [fail(at(3 * 24 * 60), 'late', '10.9.9.9')], noCtx);
    expect(engine.stats('o').groups).toBeLessThanOrEqual(6);
  });
});

describe('history equals streaming', () => {
  const events = generateScenario(40_000);
  const byOrg = (list: EngineEvent[]) => {
    const m = new Map<string, EngineEvent[]>();
    for (const e of list) {
      const l = m.get(e.orgId);
      if (l) l.push(e);
      else m.set(e.orgId, [e]);
    }
    return m;
  };
  const stream = (split: (n: number) => number[], restart = false): Detection[] => {
    let engine = createEngine(rules);
    const out: Detection[] = [];
    for (const [org, list] of byOrg(events)) {
      let i = 0;
      for (const size of split(list.length)) {
        const batch = list.slice(i, i + size);
        i += size;
        // within a batch, order does not matter
        out.push(...engine.process(org, [...batch].reverse(), noCtx));
        if (restart) {
          const saved = engine.exportState(org);
          engine = createEngine(rules);
          engine.importState(org, saved);
        }
      }
    }
    return collapseDetections(out);
  };
  const fixed = (k: number) => (n: number) => Array.from({ length: Math.ceil(n / k) }, () => k);
  const random = (n: number) => {
    const sizes: number[] = [];
    let seed = 7;
    for (let left = n; left > 0;) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const s = Math.min(left, 1 + (seed % 2500));
      sizes.push(s);
      left -= s;
    }
    return sizes;
  };

  it('on a generated two-day scenario, for several batch splittings and with restarts', async () => {
    const history = await runHistory(rules, events, noCtx);
    const ids = new Set(history.map((d) => d.ruleId));
    for (const id of [
      'accord-brute-force',
      'accord-spray-fast',
      'accord-spray-distributed',
      'accord-success-after-burst',
      'accord-mfa-fatigue',
      'accord-impossible-travel',
      'accord-unapproved-remote-tool',
      'accord-account-created-used',
    ]) {
      expect(ids, id).toContain(id);
    }
    expect(history.length).toBeGreaterThan(50);
    expect(stream((n) => [n])).toEqual(history);
    expect(stream(fixed(1000))).toEqual(history);
    expect(stream(fixed(137))).toEqual(history);
    expect(stream(random)).toEqual(history);
    expect(stream(fixed(2000), true)).toEqual(history);
  });

  it('history takes an async iterable and events in any order', async () => {
    async function* gen() {
      for (let i = events.length - 1; i >= 0; i--) yield events[i]!;
    }
    expect(await runHistory(rules, gen(), noCtx)).toEqual(await runHistory(rules, events, noCtx));
  });

  it('a rule set compiled from text behaves the same as the built-ins', () => {
    const text =
      'title: b\nid: b\nname: b\ndetection: {s: {outcome: failure}, condition: s}\n---\ntitle: c\nid: c\ncorrelation: {type: event_count, rules: [b], group-by: [user], timespan: 5m, condition: {gte: 3}}\n';
    const d = createEngine(compileRules(text).rules).process('o', burst(0, 3, 'x'), noCtx);
    expect(d.map((x) => x.ruleId)).toEqual(['c']);
  });
});
