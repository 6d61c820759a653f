import { admits } from './dispatch.ts';
import { fieldDef, type Getter } from './fields.ts';
import type { CompiledRule, CorrelationRule, SimpleRule } from './rule.types.ts';

/** How events of one rule reach one correlation: its position there and the fields to read. */
export interface Feed {
  c: CorrelationRule;
  pos: number;
  group: Getter[];
  /** value_count: the counted field, then the min-distinct fields */
  count: Getter | null;
  extra: Getter[];
  generates: boolean;
  /** the correlations this one feeds in turn */
  next: Feed[];
  /** value_count `unless`: the event withdraws its value of the counted field instead of counting */
  exclude: boolean;
}

export interface SimplePlan {
  r: SimpleRule;
  generates: boolean;
  group: Getter[];
  feeds: Feed[];
}

/**
 * Compiled rules linked for evaluation: which simple rules to try for an event class, which
 * correlations consume each rule, and which rules raise alerts. A rule raises alerts when it is
 * enabled and no correlation referencing it says `generate: false` (the Sigma default) unless it
 * says `generate: true` itself; a rule is evaluated only when it raises alerts or feeds a
 * correlation that is evaluated.
 */
export interface RuleSet {
  rules: readonly CompiledRule[];
  byId: ReadonlyMap<string, CompiledRule>;
  simpleFor(eventClass: string, outcome: string): readonly SimplePlan[];
}

const getter = (c: CorrelationRule, fromId: string, f: string): Getter =>
  fieldDef(c.aliases[f]?.[fromId] ?? f)!.get;

export function linkRules(rules: readonly CompiledRule[]): RuleSet {
  const byId = new Map(rules.map((r) => [r.id, r]));
  if (byId.size !== rules.length) {
    const seen = new Set<string>();
    const dup = rules.find((r) => seen.size === seen.add(r.id).size)!;
    throw new Error(`two detection rules have the id "${dup.id}"`);
  }
  const silenced = new Set<string>();
  for (const r of rules) {
    if (r.kind === 'correlation' && !r.generate) for (const id of r.rules) silenced.add(id);
  }
  const generates = new Set(
    rules.filter((r) => r.enabled && (r.standalone || !silenced.has(r.id))).map((r) => r.id),
  );
  const needed = new Set<string>();
  const need = (id: string): void => {
    if (needed.has(id)) return;
    needed.add(id);
    const r = byId.get(id);
    if (r?.kind === 'correlation') {
      r.rules.forEach(need);
      r.unless.forEach(need);
    }
  };
  for (const r of rules) if (generates.has(r.id) || (r.kind === 'correlation' && r.enabled)) need(r.id);

  const feeds = new Map<string, Feed[]>();
  const feedsOf = (id: string): Feed[] => {
    let l = feeds.get(id);
    if (!l) feeds.set(id, (l = []));
    return l;
  };
  for (const c of rules) {
    if (c.kind !== 'correlation' || !needed.has(c.id)) continue;
    for (const fromId of new Set(c.rules)) {
      feedsOf(fromId).push({
        c,
        pos: c.rules.indexOf(fromId),
        group: c.groupBy.map((f) => getter(c, fromId, f)),
        count: c.type === 'value_count' ? getter(c, fromId, c.condition.field!) : null,
        extra: Object.keys(c.minDistinct).map((f) => getter(c, fromId, f)),
        generates: generates.has(c.id),
        next: feedsOf(c.id),
        exclude: false,
      });
    }
    for (const fromId of new Set(c.unless)) {
      feedsOf(fromId).push({
        c,
        pos: -1,
        group: c.groupBy.map((f) => fieldDef(f)!.get),
        count: fieldDef(c.condition.field!)!.get,
        extra: [],
        generates: generates.has(c.id),
        next: [],
        exclude: true,
      });
    }
  }
  const simple: SimplePlan[] = rules
    .filter((r): r is SimpleRule => r.kind === 'simple' && needed.has(r.id))
    .map((r) => ({
      r,
      generates: generates.has(r.id),
      group: r.groupBy.map((f) => fieldDef(f)!.get),
      feeds: feedsOf(r.id),
    }));
  const cache = new Map<string, Map<string, SimplePlan[]>>();
  return {
    rules,
    byId,
    simpleFor(eventClass, outcome) {
      let byOutcome = cache.get(eventClass);
      if (byOutcome === undefined) cache.set(eventClass, (byOutcome = new Map()));
      let list = byOutcome.get(outcome);
      if (list === undefined) {
        list = simple.filter((p) => admits(p.r.req, eventClass, outcome));
        if (byOutcome.size < 64) byOutcome.set(outcome, list);
      }
      return list;
    },
  };
}
