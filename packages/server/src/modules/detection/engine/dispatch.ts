/**
 * What a selection or condition requires of the two fields every event has and most rules test:
 * the sets of `class` and `outcome` values it can match (null: any). The evaluator tries a rule only
 * on events whose class and outcome it can match.
 */
export interface Req {
  class: Set<string> | null;
  outcome: Set<string> | null;
}
export const ANY: Req = { class: null, outcome: null };
const KEYS = ['class', 'outcome'] as const;

const intersect = (a: Set<string> | null, b: Set<string> | null): Set<string> | null =>
  a && b ? new Set([...a].filter((x) => b.has(x))) : (a ?? b);
const union = (a: Set<string> | null, b: Set<string> | null): Set<string> | null =>
  a && b ? new Set([...a, ...b]) : null;

/** Both must hold. */
export const both = (a: Req, b: Req): Req => ({
  class: intersect(a.class, b.class),
  outcome: intersect(a.outcome, b.outcome),
});
/** Either may hold. */
export const either = (a: Req, b: Req): Req => ({
  class: union(a.class, b.class),
  outcome: union(a.outcome, b.outcome),
});

/** The requirement of one selection map: plain values (no modifier, no wildcard) of class and outcome. */
export function reqOfMap(map: Record<string, unknown>, plain: (v: string) => boolean): Req {
  const out: Req = { class: null, outcome: null };
  for (const k of KEYS) {
    const v = map[k];
    const list =
      typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
    if (list && list.every(plain)) out[k] = new Set(list.map((x: string) => x.toLowerCase()));
  }
  return out;
}

export const admits = (r: Req, cls: string, outcome: string): boolean =>
  (r.class === null || r.class.has(cls)) && (r.outcome === null || r.outcome.has(outcome));
