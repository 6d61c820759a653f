import { describe, expect, it } from 'vitest';
import { applyOverrides } from './validate.ts';
import { compileRules } from './compile.ts';
import { createEngine } from './evaluator.ts';
import { at, ev, fail, noCtx } from './test-events.ts';

const rule = (detection: string, extra = ''): string =>
  `title: T\nid: r1\n${extra}detection:\n${detection.replace(/^/gm, '  ')}\n`;
const errorsOf = (yaml: string) => compileRules(yaml, { origin: 'x.yml' }).errors;
const one = (yaml: string) => {
  const e = errorsOf(yaml);
  expect(e).toHaveLength(1);
  return e[0]!;
};

describe('compileRules refuses bad rules with a precise reason', () => {
  it('unknown field, with the document and field path', () => {
    const e = one(
      'title: ok\nid: r0\ndetection: {s: {class: process}, condition: s}\n---\n' +
        rule('s:\n  usr: root\ncondition: s'),
    );
    expect(e).toMatchObject({ origin: 'x.yml', document: 1, ruleId: 'r1', path: 'detection.s.usr' });
    expect(e.message).toMatch(/unknown field "usr"/);
  });
  it('unknown modifier', () => {
    expect(one(rule('s:\n  user|contians: ad\ncondition: s')).message).toMatch(/unknown modifier "contians"/);
  });
  it('invalid regex', () => {
    const e = one(rule("s:\n  commandLine|re: '(a'\ncondition: s"));
    expect(e.path).toBe('detection.s.commandLine|re');
    expect(e.message).toMatch(/invalid regular expression/);
  });
  it('invalid CIDR, and |cidr on a non-address field', () => {
    expect(one(rule('s:\n  srcIp|cidr: [10.0.0.0/8, 10.0.0.0/33]\ncondition: s'))).toMatchObject({
      path: 'detection.s.srcIp|cidr[1]',
    });
    expect(one(rule('s:\n  user|cidr: 10.0.0.0/8\ncondition: s')).message).toMatch(/address fields/);
  });
  it('conditions that reference a missing selection or do not parse', () => {
    expect(one(rule('s:\n  user: a\ncondition: s and t')).message).toMatch(/selection "t" is not defined/);
    expect(one(rule('s:\n  user: a\ncondition: (s and')).message).toMatch(/ends too early|not closed/);
    expect(one(rule('s:\n  user: a\ncondition: 1 of x*')).message).toMatch(/matches no selection/);
    expect(one(rule('s:\n  user: a\ncondition: s s')).message).toMatch(/unexpected "s"/);
  });
  it('type errors: booleans, numbers, keyword lists', () => {
    expect(one(rule('s:\n  isMsp: yes please\ncondition: s')).message).toMatch(/true, false or null/);
    expect(one(rule('s:\n  user|gt: many\ncondition: s')).message).toMatch(/needs a number/);
    expect(one(rule('s:\n  - mimikatz\ncondition: s')).message).toMatch(/keyword/);
  });
  it('correlations: unknown rule, unknown group-by, bad timespan, low-only condition, unknown attribute', () => {
    const base =
      'title: base\nid: b\nname: base\ndetection: {s: {class: authentication}, condition: s}\n---\n';
    const corr = (body: string) => `${base}title: C\nid: c\ncorrelation:\n${body.replace(/^/gm, '  ')}\n`;
    expect(one(corr('type: event_count\nrules: [nope]\ntimespan: 5m\ncondition: {gte: 2}'))).toMatchObject({
      ruleId: 'c',
      path: 'correlation.rules[0]',
      message: 'references unknown rule "nope"',
    });
    expect(
      one(corr('type: event_count\nrules: [base]\ngroup-by: [usr]\ntimespan: 5m\ncondition: {gte: 2}')).path,
    ).toBe('correlation.group-by[0]');
    expect(
      one(corr('type: event_count\nrules: [base]\ntimespan: 5 minutes\ncondition: {gte: 2}')).message,
    ).toMatch(/invalid timespan/);
    expect(one(corr('type: event_count\nrules: [base]\ntimespan: 5m\ncondition: {lt: 2}')).message).toMatch(
      /needs gt, gte or eq/,
    );
    expect(one(corr('type: value_count\nrules: [base]\ntimespan: 5m\ncondition: {gte: 2}')).message).toMatch(
      /field whose distinct values/,
    );
    expect(
      one(corr('type: event_count\nrules: [base]\ntimespan: 5m\ncondition: {gte: 2}\ngroupby: [user]')).path,
    ).toBe('correlation.groupby');
  });
  it('unless: value_count only, rules that exist and are not counted, an event field counted', () => {
    const base =
      'title: base\nid: b\nname: base\ndetection: {s: {outcome: failure}, condition: s}\n---\n' +
      'title: ok\nid: k\nname: ok\ndetection: {s: {outcome: success}, condition: s}\n---\n';
    const corr = (body: string) => `${base}title: C\nid: c\ncorrelation:\n${body.replace(/^/gm, '  ')}\n`;
    const vc = 'type: value_count\nrules: [base]\ntimespan: 1h\ncondition: {gte: 3, field: srcIp}\n';
    expect(errorsOf(corr(`${vc}unless: [ok]`))).toEqual([]);
    expect(one(corr(`${vc}unless: [nope]`))).toMatchObject({
      path: 'correlation.unless[0]',
      message: 'references unknown rule "nope"',
    });
    expect(one(corr(`${vc}unless: [base]`)).message).toMatch(/counted by this correlation/);
    expect(one(corr(`${vc}unless: [c]`)).message).toMatch(/cannot reference itself/);
    expect(one(corr(`${vc}unless: []`)).message).toMatch(/ids or names of rules/);
    expect(
      one(corr('type: event_count\nrules: [base]\ntimespan: 1h\ncondition: {gte: 3}\nunless: [ok]')).message,
    ).toMatch(/value_count only/);
    const aliased =
      'type: value_count\nrules: [base]\naliases: {who: {base: user}}\ntimespan: 1h\ncondition: {gte: 3, field: who}\nunless: [ok]';
    expect(one(corr(aliased)).message).toMatch(/not the alias "who"/);
  });
  it('cycles and dependants of broken rules are dropped, the rest compiles', () => {
    const r = compileRules(
      'title: A\nid: a\ncorrelation: {type: event_count, rules: [b], timespan: 1m, condition: {gte: 1}}\n---\n' +
        'title: B\nid: b\ncorrelation: {type: event_count, rules: [a], timespan: 1m, condition: {gte: 1}}\n---\n' +
        'title: C\nid: c\ndetection: {s: {class: process}, condition: s}\n',
    );
    expect(r.rules.map((x) => x.id)).toEqual(['c']);
    expect(r.errors.some((e) => /cycle/.test(e.message))).toBe(true);
  });
  it('an engine refuses two rules with one id (from separate files)', () => {
    const a = compileRules(rule('s: {class: process}\ncondition: s')).rules;
    expect(() => createEngine([...a, ...a])).toThrow(/two detection rules have the id "r1"/);
  });
  it('YAML syntax errors name the document', () => {
    expect(one(rule('s: {class: process}\ncondition: s') + '---\ntitle: [unclosed\n')).toMatchObject({
      document: 1,
      message: expect.stringMatching(/^YAML/),
    });
  });
});

describe('Sigma matching', () => {
  const match = (detection: string, e: Parameters<typeof ev>[0]): boolean => {
    const { rules, errors } = compileRules(rule(detection));
    expect(errors).toEqual([]);
    return createEngine(rules).process('o', [ev(e)], noCtx).length === 1;
  };
  const t = at(0);
  it('modifiers, wildcards, null, lists as OR, |all, case-insensitive by default', () => {
    expect(match('s:\n  user|contains: DMI\ncondition: s', { time: t, user: 'admin' })).toBe(true);
    expect(match('s:\n  user|contains|cased: DMI\ncondition: s', { time: t, user: 'admin' })).toBe(false);
    expect(match('s:\n  user: ad*n\ncondition: s', { time: t, user: 'ADMIN' })).toBe(true);
    expect(match('s:\n  user: [a, b, c, d, root]\ncondition: s', { time: t, user: 'Root' })).toBe(true);
    expect(
      match('s:\n  commandLine|contains|all: [-enc, hidden]\ncondition: s', {
        time: t,
        commandLine: 'x -enc y',
      }),
    ).toBe(false);
    expect(match('s:\n  user: null\ncondition: not s', { time: t, user: 'x' })).toBe(true);
    expect(match('s:\n  srcIp|cidr: 10.0.0.0/8\ncondition: s', { time: t, srcIp: '10.2.3.4' })).toBe(true);
    expect(match("s:\n  user|re: '^adm.n$'\ncondition: s", { time: t, user: 'admin' })).toBe(true);
    expect(match('s:\n  geo.lat|gt: 50\ncondition: s', { time: t, geo: { lat: 51.5, lon: 0 } })).toBe(true);
    expect(match('s1:\n  user: a\ns2:\n  user: b\ncondition: 1 of s*', { time: t, user: 'b' })).toBe(true);
    expect(
      match('s1:\n  user: a\ns2:\n  srcIp: 1.1.1.1\ncondition: all of them', { time: t, user: 'a' }),
    ).toBe(false);
  });
});

describe('overrides', () => {
  const corr =
    'title: base\nid: b\nname: base\ndetection: {s: {outcome: failure}, condition: s}\n---\n' +
    'title: C\nid: c\ncorrelation: {type: event_count, rules: [base], group-by: [user], timespan: 5m, condition: {gte: 5}}\n';
  it('are validated like rules', () => {
    const { rules } = compileRules(corr);
    const r = applyOverrides(rules, {
      c: { timespan: 'soon', condition: { lt: 3 } },
      zz: { level: 'high' },
      b: { condition: { gte: 1 } },
    });
    expect(r.errors.map((e) => e.path)).toEqual(['c.timespan', 'c.condition', 'zz', 'b.condition']);
  });
  it('change a tenant threshold and leave others alone', () => {
    const { rules } = compileRules(corr);
    const engine = createEngine(rules);
    expect(engine.setOverrides('tuned', { c: { condition: { gte: 3 }, level: 'critical' } })).toEqual([]);
    const burst = (org: string) => [1, 2, 3].map((i) => ({ ...fail(at(i), 'u', '1.2.3.4'), orgId: org }));
    expect(engine.process('plain', burst('plain'), noCtx)).toEqual([]);
    const d = engine.process('tuned', burst('tuned'), noCtx);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ ruleId: 'c', level: 'critical', eventCount: 3 });
    expect(engine.setOverrides('tuned', { c: { enabled: false } })).toEqual([]);
    expect(
      engine.process(
        'tuned',
        burst('tuned').map((e) => ({ ...e, time: at(30) })),
        noCtx,
      ),
    ).toEqual([]);
  });
});
