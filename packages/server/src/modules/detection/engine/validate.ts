import { fieldDef } from './fields.ts';
import {
  LEVELS,
  type CompileError,
  type CompiledRule,
  type CorrelationRule,
  type CorrelationType,
  type CountCondition,
  type RuleOverrides,
} from './rule.types.ts';
import type { RuleIssue } from './selection.ts';

const SPAN_RE = /^(\d{1,6})([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };
const MAX_SPAN_MS = 90 * 864e5;
/** Sliding windows keep at most this many events per group: thresholds above it cannot be reached. */
export const MAX_THRESHOLD = 10_000;

export function checkTimespan(v: unknown, path: string, errs: RuleIssue[]): number | null {
  const m = typeof v === 'string' ? SPAN_RE.exec(v.trim()) : null;
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
  if (!m || !(ms > 0) || ms > MAX_SPAN_MS) {
    errs.push({
      path,
      message: `invalid timespan ${JSON.stringify(v)}: a number and a unit s, m, h, d or w (e.g. 5m), above 0 and up to 90d`,
    });
    return null;
  }
  return ms;
}

const BOUNDS = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;

export function checkCondition(
  type: CorrelationType,
  v: unknown,
  path: string,
  errs: RuleIssue[],
  aliases: readonly string[],
): CountCondition | null {
  if (v === undefined || v === null) {
    if (type === 'temporal' || type === 'temporal_ordered') return {};
    if (type === 'impossible_travel') return { gt: 1000 };
    errs.push({ path, message: `${type} needs a condition such as {gte: 10}` });
    return null;
  }
  if (typeof v !== 'object' || Array.isArray(v)) {
    errs.push({ path, message: 'a condition is a map such as {gte: 10}' });
    return null;
  }
  if (type === 'temporal_ordered') {
    errs.push({ path, message: 'temporal_ordered takes no condition: every rule must match, in order' });
    return null;
  }
  const out: CountCondition = {};
  const before = errs.length;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'field') {
      if (type !== 'value_count')
        errs.push({ path: `${path}.field`, message: `field applies to value_count only` });
      else if (typeof x !== 'string' || (!fieldDef(x) && !aliases.includes(x))) {
        errs.push({ path: `${path}.field`, message: `unknown field ${JSON.stringify(x)}` });
      } else out.field = x;
    } else if ((BOUNDS as readonly string[]).includes(k)) {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
        errs.push({ path: `${path}.${k}`, message: `${k} needs a number of 0 or more` });
      } else out[k as (typeof BOUNDS)[number]] = x;
    } else errs.push({ path: `${path}.${k}`, message: `unknown condition operator "${k}"` });
  }
  if (errs.length > before) return null;
  if (type === 'value_count' && out.field === undefined) {
    errs.push({ path, message: 'value_count needs the field whose distinct values are counted' });
    return null;
  }
  if (out.gt === undefined && out.gte === undefined && out.eq === undefined) {
    errs.push({
      path,
      message:
        'the condition needs gt, gte or eq: a count that only stays low cannot be detected as events arrive',
    });
    return null;
  }
  const floor = out.eq ?? (out.gte !== undefined ? out.gte : out.gt! + 1);
  if (type !== 'impossible_travel' && floor > MAX_THRESHOLD) {
    errs.push({ path, message: `thresholds above ${MAX_THRESHOLD} are not supported` });
    return null;
  }
  return out;
}

/** Whether a count satisfies a condition. */
export function holds(c: CountCondition, n: number): boolean {
  return (
    (c.gt === undefined || n > c.gt) &&
    (c.gte === undefined || n >= c.gte) &&
    (c.lt === undefined || n < c.lt) &&
    (c.lte === undefined || n <= c.lte) &&
    (c.eq === undefined || n === c.eq)
  );
}

/**
 * Resolves correlation references (by id or name) to ids, checks aliases and refuses cycles. Returns
 * the correlations that had to be dropped (each reported), including those depending on one.
 */
export function linkCorrelations(
  rules: CompiledRule[],
  report: (rule: CompiledRule, path: string, message: string) => void,
): Set<CompiledRule> {
  const dropped = new Set<CompiledRule>();
  const byRef = new Map<string, CompiledRule>();
  for (const r of rules) {
    byRef.set(r.id, r);
    if (r.name) byRef.set(r.name, r);
  }
  const corr = rules.filter((r): r is CorrelationRule => r.kind === 'correlation');
  for (const c of corr) {
    const ids: string[] = [];
    c.rules.forEach((ref, i) => {
      const t = byRef.get(ref);
      if (!t) report(c, `correlation.rules[${i}]`, `references unknown rule "${ref}"`);
      else if (t === c) report(c, `correlation.rules[${i}]`, 'a correlation cannot reference itself');
      else ids.push(t.id);
    });
    if (ids.length !== c.rules.length) {
      dropped.add(c);
      continue;
    }
    c.rules = ids;
    const unlessIds: string[] = [];
    c.unless.forEach((ref, i) => {
      const t = byRef.get(ref);
      if (!t) report(c, `correlation.unless[${i}]`, `references unknown rule "${ref}"`);
      else if (t === c) report(c, `correlation.unless[${i}]`, 'a correlation cannot reference itself');
      else if (ids.includes(t.id))
        report(
          c,
          `correlation.unless[${i}]`,
          `"${ref}" is counted by this correlation: it cannot also withdraw`,
        );
      else unlessIds.push(t.id);
    });
    if (unlessIds.length !== c.unless.length) {
      dropped.add(c);
      continue;
    }
    c.unless = unlessIds;
    // The excluding rules' events are grouped like the counted ones, through the same field names.
    const aliased = c.unless.length > 0 ? c.groupBy.find((f) => !fieldDef(f)) : undefined;
    if (aliased !== undefined) {
      report(c, 'correlation.unless', `unless needs group-by fields that are event fields, not "${aliased}"`);
      dropped.add(c);
      continue;
    }
    for (const [alias, per] of Object.entries(c.aliases)) {
      const resolved: Record<string, string> = {};
      for (const [ref, field] of Object.entries(per)) {
        const t = byRef.get(ref);
        if (!t || !ids.includes(t.id)) {
          report(c, `correlation.aliases.${alias}.${ref}`, `"${ref}" is not one of the correlated rules`);
          dropped.add(c);
        } else resolved[t.id] = field;
      }
      for (const id of ids) {
        if (!(id in resolved)) {
          report(c, `correlation.aliases.${alias}`, `alias "${alias}" gives no field for rule "${id}"`);
          dropped.add(c);
        }
      }
      c.aliases[alias] = resolved;
    }
  }
  // Cycles, then anything that depends on a dropped rule, until nothing changes.
  const onPath = new Set<string>();
  const done = new Set<string>();
  const visit = (r: CompiledRule): boolean => {
    if (r.kind !== 'correlation' || done.has(r.id)) return false;
    if (onPath.has(r.id)) return true;
    onPath.add(r.id);
    const cyc = [...r.rules, ...r.unless].some((id) => {
      const t = byRef.get(id);
      return t !== undefined && visit(t);
    });
    onPath.delete(r.id);
    done.add(r.id);
    return cyc;
  };
  for (const c of corr) {
    if (!dropped.has(c) && visit(c)) {
      report(c, 'correlation.rules', 'correlations reference each other in a cycle');
      dropped.add(c);
    }
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const c of corr) {
      if (dropped.has(c)) continue;
      const bad = [...c.rules, ...c.unless].find((id) => dropped.has(byRef.get(id)!));
      if (bad !== undefined) {
        report(c, 'correlation.rules', `references rule "${bad}", which did not compile`);
        dropped.add(c);
        changed = true;
      }
    }
  }
  return dropped;
}

/**
 * A tenant's tuning applied to compiled rules: new rule objects, validated like the rules. An
 * override with a problem is refused as a whole (the rule keeps its defaults).
 */
export function applyOverrides(
  rules: readonly CompiledRule[],
  overrides: RuleOverrides,
  origin = 'overrides',
): { rules: CompiledRule[]; errors: CompileError[] } {
  const errors: CompileError[] = [];
  const byId = new Map(rules.map((r) => [r.id, r]));
  const out = new Map(rules.map((r) => [r.id, r]));
  for (const [id, o] of Object.entries(overrides)) {
    const issues: RuleIssue[] = [];
    const r = byId.get(id);
    if (!r) issues.push({ path: id, message: `unknown rule "${id}"` });
    else if (typeof o !== 'object' || o === null) issues.push({ path: id, message: 'an override is a map' });
    else {
      const next = { ...r } as CompiledRule;
      for (const [k, v] of Object.entries(o)) {
        const path = `${id}.${k}`;
        if (k === 'timespan') {
          const ms = checkTimespan(v, path, issues);
          if (ms !== null) {
            next.timespanMs = ms;
            next.timespanText = String(v);
          }
        } else if (k === 'level') {
          if (!LEVELS.includes(v as never))
            issues.push({ path, message: `level must be one of ${LEVELS.join(', ')}` });
          else next.level = v as CompiledRule['level'];
        } else if (k === 'enabled') {
          if (typeof v !== 'boolean') issues.push({ path, message: 'enabled must be true or false' });
          else next.enabled = v;
        } else if (k === 'condition') {
          if (next.kind !== 'correlation')
            issues.push({ path, message: 'only correlation rules have a condition' });
          else {
            const merged =
              next.condition.field !== undefined ? { field: next.condition.field, ...(v as object) } : v;
            const c = checkCondition(next.type, merged, path, issues, Object.keys(next.aliases));
            if (c) next.condition = c;
          }
        } else
          issues.push({ path, message: `unknown override "${k}" (timespan, condition, level, enabled)` });
      }
      if (issues.length === 0) out.set(id, next);
    }
    for (const i of issues)
      errors.push({ origin, document: 0, ruleId: id, path: i.path, message: i.message });
  }
  return { rules: [...out.values()], errors };
}
