import { canonicalJson } from '../../../platform/canonical-json.ts';
import {
  lapseQueue,
  rebuildCounts,
  startOfValues,
  startOfWindow,
  step,
  withdraw,
  type Start,
} from './correlate.ts';
import { dropValue, growValues } from './value-episode.ts';
import { groupText, type Getter } from './fields.ts';
import type { CompileError, CompiledRule, RuleOverrides } from './rule.types.ts';
import { linkRules, type Feed, type RuleSet, type SimplePlan } from './ruleset.ts';
import { scopeOf, type Scope } from './scope.ts';
import {
  DEFAULT_MAX_GROUPS,
  MAX_EVIDENCE,
  MAX_VALUE_EVIDENCE,
  deserialise,
  newOrgState,
  serialise,
  type Group,
  type Hit,
  type OrgState,
} from './state.ts';
import { summarise } from './summary.ts';
import type { Detection, EngineEvent, EvidenceRef, TenantContext } from './types.ts';
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
/** Occurrences one event can stand for (a syslog `message repeated N times` line), at most. */
export const MAX_OCCURRENCES = 1000;
const NUL = '\u0001';
const NO_REF: EvidenceRef = { batchId: '', batchPos: 0, time: '' };
const countHit: Hit = { t: 0, r: NO_REF };
const valueHit: Hit = { t: 0, r: NO_REF, x: null, y: undefined };

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
    for (let i = 0; i < batch.length; i++) {
      if (batch[i]!.orgId !== orgId) {
        throw new Error(`event ${i} of the batch belongs to another organisation than ${orgId}`);
      }
    }
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
      const d: Detection = {
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
      };
      if (ep.rx !== undefined) {
        if (ep.rx.length > 0) d.retracted = ep.rx;
        ep.rx = undefined;
      }
      out.push(d);
    };

    /** The rule's group for these group-by values; created (within the cap) when new. */
    const groupOf = (
      rule: CompiledRule,
      getters: Getter[],
      e: EngineEvent,
      t: number,
      create = true,
    ): Group | undefined => {
      let groups = state.groups.get(rule.id);
      if (!groups) state.groups.set(rule.id, (groups = new Map()));
      let key: string;
      if (getters.length === 0) key = '';
      else if (getters.length === 1) {
        const v = getters[0]!(e, scope);
        // null is NUL; a text starting with NUL gets one more, so no value can look like another
        key = v === null ? NUL : typeof v !== 'string' ? String(v) : v.charCodeAt(0) === 1 ? NUL + v : v;
      } else {
        const vs: (string | number | boolean | null)[] = [];
        for (let i = 0; i < getters.length; i++) vs.push(getters[i]!(e, scope));
        key = JSON.stringify(vs);
      }
      let g = groups.get(key);
      if (!g) {
        if (!create) return undefined;
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
        g = { v: getters.map((get) => groupText(get(e, scope))), last: t, ep: null };
        groups.set(key, g);
      }
      return g;
    };

    /** Ends an episode that has been quiet for longer than the rule's window (reporting it first). */
    const expire = (rule: CompiledRule, g: Group, t: number): void => {
      if (g.ep !== null && t - g.ep.last > rule.timespanMs) {
        if (dirty.has(g)) {
          emit(rule, g);
          dirty.delete(g);
        }
        g.ep = null;
      }
    };

    /** Counts an event (standing for `w` occurrences) into the group's live episode. */
    const extend = (
      rule: CompiledRule,
      g: Group,
      e: EngineEvent,
      t: number,
      ref: EvidenceRef,
      w: number,
    ): void => {
      const ep = g.ep!;
      ep.count += w;
      if (t >= ep.last) {
        ep.last = t;
        ep.lastIso = e.time;
      }
      if (ep.ev.length < MAX_EVIDENCE) ep.ev.push(ref);
      dirty.set(g, rule);
    };

    const begin = (
      rule: CompiledRule,
      g: Group,
      e: EngineEvent,
      t: number,
      metric: number,
      start: Start,
    ): void => {
      g.ep = {
        first: start.first,
        firstIso: new Date(start.first).toISOString(),
        last: t,
        lastIso: e.time,
        count: start.count,
        ev: start.ev.slice(0, start.vals ? MAX_VALUE_EVIDENCE : MAX_EVIDENCE),
        metric,
        detail: start.detail,
      };
      if (start.vals) g.ep.vals = start.vals;
      dirty.set(g, rule);
    };

    /**
     * value_count `unless`: the value stops counting, and leaves the live episode's evidence. Only
     * a group with events in its window keeps a withdrawal: withdrawing events (every successful
     * sign-in, say) create no groups, which would crowd out the groups that count.
     */
    const withdrawHit = (f: Feed, e: EngineEvent, t: number): void => {
      const c = f.c;
      const v = groupText(f.count!(e, scope));
      if (v === null) return;
      const g = groupOf(c, f.group, e, t, false);
      const w = g?.w;
      if (!g || !w || w.t.length === w.h || w.t[w.t.length - 1]! < t - c.timespanMs) return;
      if (t > g.last) g.last = t;
      withdraw(c, g, v, t);
      if (g.ep !== null && dropValue(g.ep, v, g.counts?.[0]!.get(v) ?? 0)) dirty.set(g, c);
    };

    /** One event (standing for `w` occurrences) of a rule the correlation reads. */
    const feed = (f: Feed, e: EngineEvent, t: number, ref: EvidenceRef, w: number): void => {
      if (f.exclude) return withdrawHit(f, e, t);
      const c = f.c;
      // A hit that cannot start anything needs no group: a later step of an ordered chain, or a
      // sign-in without coordinates for impossible travel.
      const cannotStart =
        (c.type === 'temporal_ordered' && f.pos > 0) || (c.type === 'impossible_travel' && !located(e.geo));
      const g = groupOf(c, f.group, e, t, !cannotStart);
      if (g === undefined) return;
      // Windows copy a hit into their columns, so the window types share one scratch hit; the
      // chain and pair types keep theirs.
      let hit: Hit;
      if (c.type === 'event_count') {
        hit = countHit;
        hit.t = t;
        hit.r = ref;
      } else if (f.count !== null) {
        hit = valueHit;
        hit.t = t;
        hit.r = ref;
        hit.x = groupText(f.count(e, scope));
        hit.y = f.extra.length > 0 ? f.extra.map((get) => groupText(get(e, scope))) : undefined;
      } else hit = { t, r: ref };
      // The window types count every occurrence; the chain and pair types see the event once.
      let r = step(c, g, hit, f.pos, e.geo);
      if (w > 1 && (c.type === 'event_count' || c.type === 'value_count'))
        for (let k = 1; k < w; k++) r = step(c, g, hit, f.pos, e.geo);
      if (t > g.last) g.last = t;
      const holdsNow = r.holds;
      if (f.generates && c.type === 'value_count') {
        expire(c, g, t);
        if (holdsNow) {
          if (g.ep !== null) {
            growValues(g.ep, t, e.time, r.metric, r.counted, hit.x, ref, w);
            dirty.set(g, c);
          } else begin(c, g, e, t, r.metric, startOfValues(c, g, t));
        }
      } else if (f.generates) {
        expire(c, g, t);
        if (g.ep !== null) {
          extend(c, g, e, t, ref, w);
          if (holdsNow) {
            g.ep.metric = Math.max(g.ep.metric, r.metric);
            if (r.start?.detail) g.ep.detail = r.start.detail;
          }
        } else if (holdsNow) begin(c, g, e, t, r.metric, r.start ?? startOfWindow(g));
      }
      if (holdsNow) for (const f2 of f.next) feed(f2, e, t, ref, 1);
    };

    const hitSimple = (p: SimplePlan, e: EngineEvent, t: number, ref: EvidenceRef, w: number): void => {
      const g = groupOf(p.r, p.group, e, t)!;
      if (t > g.last) g.last = t;
      expire(p.r, g, t);
      if (g.ep !== null) extend(p.r, g, e, t, ref, w);
      else begin(p.r, g, e, t, 1, { first: t, count: w, ev: [ref], detail: null });
    };

    const events = sorted(batch);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const candidates = set.simpleFor(e.class, e.outcome);
      let t = -1;
      let ref: EvidenceRef | null = null;
      let w = 1;
      for (let j = 0; j < candidates.length; j++) {
        const p = candidates[j]!;
        if (!p.r.match(e, scope)) continue;
        if (ref === null) {
          t = Date.parse(e.time);
          if (Number.isNaN(t)) break; // not an instant: nothing can be placed in a window
          if (t > state.watermark) state.watermark = t;
          ref = { batchId: e.batchId, batchPos: e.batchPos, time: e.time };
          const n = e.occurrences;
          if (n !== undefined && n > 1) w = Math.min(Math.floor(n), MAX_OCCURRENCES);
        }
        if (p.generates) hitSimple(p, e, t, ref, w);
        for (let k = 0; k < p.feeds.length; k++) feed(p.feeds[k]!, e, t, ref, w);
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
        if (r?.kind !== 'correlation') return;
        if (g.ex) g.exq = lapseQueue(g.ex);
        rebuildCounts(r, g);
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

function located(geo: unknown): boolean {
  return (
    typeof geo === 'object' &&
    geo !== null &&
    typeof (geo as { lat?: unknown }).lat === 'number' &&
    typeof (geo as { lon?: unknown }).lon === 'number'
  );
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
