import type { CompiledRule, CorrelationRule, SimpleRule } from './rule.types.ts';

/**
 * Compiled rules linked for evaluation: which simple rules to try for an event class, which
 * correlations consume each rule, and which rules raise alerts. A rule raises alerts when it is
 * enabled and no correlation referencing it says `generate: false` (the Sigma default); a rule is
 * evaluated at all only when it raises alerts or feeds a correlation that is evaluated.
 */
export interface RuleSet {
  rules: readonly CompiledRule[];
  byId: ReadonlyMap<string, CompiledRule>;
  generates: ReadonlySet<string>;
  consumers: ReadonlyMap<string, readonly CorrelationRule[]>;
  /** position of each referenced rule id in a correlation's `rules` */
  position: ReadonlyMap<string, ReadonlyMap<string, number>>;
  simpleFor(eventClass: string): readonly SimpleRule[];
}

export function linkRules(rules: readonly CompiledRule[]): RuleSet {
  const byId = new Map(rules.map((r) => [r.id, r]));
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
    if (r?.kind === 'correlation') r.rules.forEach(need);
  };
  for (const r of rules) if (generates.has(r.id) || (r.kind === 'correlation' && r.enabled)) need(r.id);
  const consumers = new Map<string, CorrelationRule[]>();
  const position = new Map<string, Map<string, number>>();
  for (const r of rules) {
    if (r.kind !== 'correlation' || !needed.has(r.id)) continue;
    const pos = new Map<string, number>();
    r.rules.forEach((id, i) => {
      if (!pos.has(id)) pos.set(id, i);
      const list = consumers.get(id) ?? [];
      if (!list.includes(r)) list.push(r);
      consumers.set(id, list);
    });
    position.set(r.id, pos);
  }
  const simple = rules.filter((r): r is SimpleRule => r.kind === 'simple' && needed.has(r.id));
  const cache = new Map<string, SimpleRule[]>();
  return {
    rules,
    byId,
    generates,
    consumers,
    position,
    simpleFor(eventClass) {
      let list = cache.get(eventClass);
      if (list === undefined) {
        list = simple.filter((r) => r.classes === null || r.classes.has(eventClass));
        cache.set(eventClass, list);
      }
      return list;
    },
  };
}
