import { canonicalJson } from '../../../platform/canonical-json.ts';
import { rebuildCounts, step } from './correlate.ts';
import { fieldDef, groupText } from './fields.ts';
import type { CompileError, CompiledRule, CorrelationRule, RuleOverrides, SimpleRule } from './rule.types.ts';
import { linkRules, type RuleSet } from './ruleset.ts';
import { scopeOf, type Scope } from './scope.ts';
import {
  DEFAULT_MAX_GROUPS,
  MAX_EVIDENCE,
  deserialise,
  newOrgState,
  serialise,
  type Episode,
  type Group,
  type Hit,
  type OrgState,
} from './state.ts';
import { summarise } from './summary.ts';
import type { Detection, EngineEvent, TenantContext } from './types.ts';
import { applyOverrides } from './validate.ts';

export interface EngineOptions {
  /** distinct groups kept per rule and tenant (default 10,000) */
  maxGroupsPerRule?: number;
}

export interface Engine {
  /** Evaluates one batch of a tenant's events; returns new and updated detections (one per episode). */
  process(orgId: string, events: readonly EngineEvent[], ctx: TenantContext): Detection[];
  exportState(orgId: string): string;
  /** Restores state saved by exportState; throws StateError on malformed input. */
  importState(orgId: string, json: string): void;
  /** Tenant tuning; returns the problems (a refused override leaves that rule's defaults). */
  setOverrides(orgId: string, overrides: RuleOverrides): CompileError[];
  forget(orgId: string): void;
  stats(orgId: string): { groups: number; evicted: number };
}

const SWEEP_EVERY_MS = 60_000;
const NUL = '\u0001';

/** Events sort by time, then storage position: a batch and a history run see the same order. */
export function compareEvents(a: EngineEvent, b: EngineEvent): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.batchId !== b.batchId) return a.batchId < b.batchId ? -1 : 1;
  return a.batchPos - b.batchPos;
}

function sorted(events: readonly EngineEvent[]): readonly EngineEvent[] {
  for (let i = 1; i < events.length; i++) {
    if (compareEvents(events[i - 1]!, events[i]!) > 0) return [...events].sort(compareEvents);
  }
  return events;
}

export function createEngine(rules: readonly CompiledRule[], opts: EngineOptions = {}): Engine {
  const maxGroups = opts.maxGroupsPerRule ?? DEFAULT_MAX_GROUPS;
  const base = linkRules(rules);
  const tenantRules = new Map<string, RuleSet>();
  const states = new Map<string, OrgState>();
  const ruleSetOf = (orgId: string): RuleSet => tenantRules.get(orgId) ?? base;
  const typeIn =
    (set: RuleSet) =>
    (id: string): string | null => {
      const r = set.byId.get(id);
      return r === undefined ? null : r.kind === 'simple' ? 'simple' : r.type;
    };

  function process(orgId: string, batch: readonly EngineEvent[], ctx: TenantContext): Detection[] {
    const set = ruleSetOf(orgId);
    let st = states.get(orgId);
    if (!st) states.set(orgId, (st = newOrgState()));
    const scope: Scope = scopeOf(ctx);
    const out: Detection[] = [];
    const dirty = new Map<Group, CompiledRule>();
    const state = st;

    const emit = (rule: CompiledRule, g: Group): void => {
      const ep = g.ep!;
      const values: Record<string, string | null> = {};
      rule.groupBy.forEach((f, i) => (values[f] = g.v[i] ?? null));
      out.push({
        ruleId: rule.id,
        ruleTitle: rule.title,
        level: rule.level,
        orgId,
        groupKey: canonicalJson(values),
        groupValues: values,
        firstSeen: ep.firstIso,
        lastSeen: ep.lastIso,
        eventCount: ep.count,
        evidence: ep.ev.slice(),
        summary: summarise(rule, ep, values),
      });
    };

    const groupOf = (rule: CompiledRule, values: (string | null)[], t: number): Group => {
      let groups = state.groups.get(rule.id);
      if (!groups) state.groups.set(rule.id, (groups = new Map()));
      const key = values.length === 0 ? '' : values.map((v) => (v === null ? NUL : v)).join('\u0000');
      let g = groups.get(key);
      if (!g) {
        if (groups.size >= maxGroups) {
          const oldest = groups.keys().next().value as string;
          const og = groups.get(oldest)!;
          if (dirty.has(og)) {
            emit(rule, og);
            dirty.delete(og);
          }
          groups.delete(oldest);
          state.evicted++;
        }
        g = { v: values, last: t, ep: null };
        groups.set(key, g);
      }
      return g;
    };

    /** Counts a hit into the group's episode: extends a live one, or starts one when `start` is given. */
    const touch = (
      rule: CompiledRule,
      g: Group,
      e: EngineEvent,
      t: number,
      metric: number,
      start?: { first: number; count: number; ev: Hit['r'][]; detail: string | null },
    ): void => {
      let ep = g.ep;
      if (ep !== null && t - ep.last > rule.timespanMs) {
        if (dirty.has(g)) {
          emit(rule, g);
          dirty.delete(g);
        }
        ep = g.ep = null;
      }
      if (ep !== null) {
        ep.count++;
        if (t >= ep.last) {
          ep.last = t;
          ep.lastIso = e.time;
        }
        if (ep.ev.length < MAX_EVIDENCE)
          ep.ev.push({ batchId: e.batchId, batchPos: e.batchPos, time: e.time });
        if (start) {
          ep.metric = Math.max(ep.metric, metric);
          if (start.detail !== null) ep.detail = start.detail;
        }
      } else if (start) {
        const ep2: Episode = {
          first: start.first,
          firstIso: new Date(start.first).toISOString(),
          last: t,
          lastIso: e.time,
          count: start.count,
          ev: start.ev.slice(0, MAX_EVIDENCE),
          metric,
          detail: start.detail,
        };
        g.ep = ep2;
      } else return;
      dirty.set(g, rule);
    };

    const feed = (c: CorrelationRule, fromId: string, e: EngineEvent, t: number): void => {
      const values: (string | null)[] = [];
      for (const f of c.groupBy) {
        const field = c.aliases[f]?.[fromId] ?? f;
        values.push(groupText(fieldDef(field)!.get(e, scope)));
      }
      const g = groupOf(c, values, t);
      const hit: Hit = { t, r: { batchId: e.batchId, batchPos: e.batchPos, time: e.time } };
      if (c.type === 'value_count') {
        const x: (string | null)[] = [groupText(fieldOf(c, c.condition.field!, fromId, e, scope))];
        for (const f in c.minDistinct) x.push(groupText(fieldDef(f)!.get(e, scope)));
        hit.x = x;
      }
      const r = step(c, g, hit, set.position.get(c.id)!.get(fromId)!, e.geo);
      if (t > g.last) g.last = t;
      if (set.generates.has(c.id)) touch(c, g, e, t, r.metric, r.holds ? r.start : undefined);
      if (r.holds) {
        const next = set.consumers.get(c.id);
        if (next) for (const c2 of next) feed(c2, c.id, e, t);
      }
    };

    const hitSimple = (r: SimpleRule, e: EngineEvent, t: number): void => {
      const values = r.groupBy.map((f) => groupText(fieldDef(f)!.get(e, scope)));
      const g = groupOf(r, values, t);
      if (t > g.last) g.last = t;
      const ref = { batchId: e.batchId, batchPos: e.batchPos, time: e.time };
      touch(r, g, e, t, 1, { first: t, count: 1, ev: [ref], detail: null });
    };

    const events = sorted(batch);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const candidates = set.simpleFor(e.class);
      let t = -1;
      for (let j = 0; j < candidates.length; j++) {
        const r = candidates[j]!;
        if (!r.match(e, scope)) continue;
        if (t === -1) {
          t = Date.parse(e.time);
          if (Number.isNaN(t)) break; // not an instant: nothing can be placed in a window
          if (t > state.watermark) state.watermark = t;
        }
        if (set.generates.has(r.id)) hitSimple(r, e, t);
        const cs = set.consumers.get(r.id);
        if (cs) for (const c of cs) feed(c, r.id, e, t);
      }
    }
    for (const [g, rule] of dirty) emit(rule, g);
    if (state.watermark - state.lastSweep >= SWEEP_EVERY_MS) sweep(set, state);
    return out;
  }

  return {
    process,
    exportState(orgId) {
      const st = states.get(orgId) ?? newOrgState();
      return JSON.stringify(serialise(st, typeIn(ruleSetOf(orgId))));
    },
    importState(orgId, json) {
      const set = ruleSetOf(orgId);
      const st = deserialise(json, typeIn(set), (id, g) => {
        const r = set.byId.get(id);
        if (r?.kind === 'correlation') rebuildCounts(r, g);
      });
      states.set(orgId, st);
    },
    setOverrides(orgId, overrides) {
      const r = applyOverrides(rules, overrides, `overrides of ${orgId}`);
      if (Object.keys(overrides).length === 0) tenantRules.delete(orgId);
      else tenantRules.set(orgId, linkRules(r.rules));
      return r.errors;
    },
    forget(orgId) {
      states.delete(orgId);
      tenantRules.delete(orgId);
    },
    stats(orgId) {
      const st = states.get(orgId);
      let groups = 0;
      if (st) for (const m of st.groups.values()) groups += m.size;
      return { groups, evicted: st?.evicted ?? 0 };
    },
  };
}

function fieldOf(c: CorrelationRule, field: string, fromId: string, e: EngineEvent, s: Scope) {
  return fieldDef(c.aliases[field]?.[fromId] ?? field)!.get(e, s);
}

/** Drops groups that have been quiet for longer than their rule's window: they hold nothing live. */
function sweep(set: RuleSet, st: OrgState): void {
  st.lastSweep = st.watermark;
  for (const [id, groups] of st.groups) {
    const rule = set.byId.get(id);
    if (!rule) {
      st.groups.delete(id);
      continue;
    }
    for (const [k, g] of groups) if (st.watermark - g.last > rule.timespanMs) groups.delete(k);
    if (groups.size === 0) st.groups.delete(id);
  }
}
