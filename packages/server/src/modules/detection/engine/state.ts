import type { EvidenceRef } from './types.ts';

/** Evidence kept per alert episode (oldest first). */
export const MAX_EVIDENCE = 50;
/**
 * Evidence kept per value_count episode, one event per counted value (e.g. one per source of a
 * distributed spray): enough to name every source of a large campaign.
 */
export const MAX_VALUE_EVIDENCE = 200;
/** Distinct groups kept per rule and tenant; beyond it the oldest group is dropped (and counted). */
export const DEFAULT_MAX_GROUPS = 10_000;
/** Events kept per sliding window (thresholds are capped at this, see validate.ts). */
export const MAX_WINDOW = 10_000;
/** Matches kept per referenced rule in a temporal correlation's window. */
export const MAX_TEMPORAL = 10;

export interface Hit {
  t: number;
  r: EvidenceRef;
  /** value_count: the counted value */
  x?: string | null;
  /** value_count: the min-distinct fields' values */
  y?: (string | null)[];
}

/** An alert episode: from when the condition first held until the group goes quiet for a window. */
export interface Episode {
  first: number;
  firstIso: string;
  last: number;
  lastIso: string;
  count: number;
  ev: EvidenceRef[];
  /** the last measured value: distinct values, matched rules, speed in km/h */
  metric: number;
  detail: string | null;
  /** value_count: the counted value each evidence entry stands for (one entry per value) */
  vals?: (string | null)[];
  /** evidence withdrawn since the episode was last reported (reported once, never serialised) */
  rx?: EvidenceRef[] | undefined;
}

export interface Group {
  v: (string | null)[];
  last: number;
  ep: Episode | null;
  /** event_count / value_count window */
  w?: Win;
  /** temporal: recent matches per referenced rule; temporal_ordered: chain start per position */
  m?: Hit[][];
  s?: (number | null)[];
  /** impossible_travel: the previous located sign-in */
  p?: { t: number; lat: number; lon: number; place: string; r: EvidenceRef };
  /** value_count counters, rebuilt from the window on import (never serialised) */
  counts?: Map<string, number>[];
  /** value_count: how many counted values qualify (within max-per-value, not withdrawn) */
  small?: number;
  /** value_count `unless`: the latest withdrawal time per value of the counted field */
  ex?: Map<string, number>;
  /** one entry per withdrawn value in time order, so that they lapse (rebuilt on import) */
  exq?: { t: number[]; v: string[]; h: number };
}

export interface OrgState {
  groups: Map<string, Map<string, Group>>;
  watermark: number;
  lastSweep: number;
  evicted: number;
}

export const newOrgState = (): OrgState => ({ groups: new Map(), watermark: 0, lastSweep: 0, evicted: 0 });

/**
 * A sliding window stored as columns from index `h` on (no object per event: windows of a day can
 * hold many thousands of events and must stay cheap for the garbage collector).
 */
export interface Win {
  t: number[];
  b: string[];
  p: number[];
  s: string[];
  /** value_count: the counted value; then the min-distinct fields' values */
  x?: (string | null)[];
  y?: (string | null)[][];
  h: number;
}

/** Adds a hit in time order and drops hits older than `from`; returns the hits in the window. */
export function slide(g: Group, hit: Hit, from: number, onDrop?: (w: Win, i: number) => void): number {
  let w = g.w;
  if (!w) {
    w = g.w = { t: [], b: [], p: [], s: [], h: 0 };
    if (hit.x !== undefined) w.x = [];
    if (hit.y !== undefined) w.y = [];
  }
  let i = w.t.length;
  while (i > w.h && w.t[i - 1]! > hit.t) i--;
  if (i === w.t.length) {
    w.t.push(hit.t);
    w.b.push(hit.r.batchId);
    w.p.push(hit.r.batchPos);
    w.s.push(hit.r.time);
    if (w.x) w.x.push(hit.x ?? null);
    if (w.y) w.y.push(hit.y!);
  } else {
    w.t.splice(i, 0, hit.t);
    w.b.splice(i, 0, hit.r.batchId);
    w.p.splice(i, 0, hit.r.batchPos);
    w.s.splice(i, 0, hit.r.time);
    if (w.x) w.x.splice(i, 0, hit.x ?? null);
    if (w.y) w.y.splice(i, 0, hit.y!);
  }
  let h = w.h;
  const n = w.t.length;
  while (h < n && (w.t[h]! < from || n - h > MAX_WINDOW)) {
    if (onDrop) onDrop(w, h);
    h++;
  }
  if (h > 1024 && h * 2 > n) {
    w.t.splice(0, h);
    w.b.splice(0, h);
    w.p.splice(0, h);
    w.s.splice(0, h);
    w.x?.splice(0, h);
    w.y?.splice(0, h);
    w.h = 0;
    return n - h;
  }
  const size = n - h;
  w.h = h;
  return size;
}

interface SerialGroup {
  k: string;
  v: (string | null)[];
  last: number;
  ep: Episode | null;
  w?: Omit<Win, 'h'>;
  m?: Hit[][];
  s?: (number | null)[];
  p?: Group['p'];
  /** value_count `unless`: [value, latest withdrawal time] */
  x?: [string, number][];
}
export interface SerialState {
  version: 1;
  watermark: number;
  lastSweep: number;
  evicted: number;
  rules: Record<string, { type: string; groups: SerialGroup[] }>;
}

export function serialise(st: OrgState, typeOf: (ruleId: string) => string | null): SerialState {
  const rules: SerialState['rules'] = {};
  for (const [id, groups] of st.groups) {
    const type = typeOf(id);
    if (type === null || groups.size === 0) continue;
    const list: SerialGroup[] = [];
    for (const [k, g] of groups) {
      const sg: SerialGroup = { k, v: g.v, last: g.last, ep: g.ep };
      const w = g.w;
      if (w) {
        sg.w = { t: w.t.slice(w.h), b: w.b.slice(w.h), p: w.p.slice(w.h), s: w.s.slice(w.h) };
        if (w.x) sg.w.x = w.x.slice(w.h);
        if (w.y) sg.w.y = w.y.slice(w.h);
      }
      if (g.m) sg.m = g.m;
      if (g.s) sg.s = g.s;
      if (g.p) sg.p = g.p;
      if (g.ex && g.ex.size > 0) sg.x = [...g.ex];
      list.push(sg);
    }
    rules[id] = { type, groups: list };
  }
  return { version: 1, watermark: st.watermark, lastSweep: st.lastSweep, evicted: st.evicted, rules };
}

export class StateError extends Error {}

export function deserialise(
  json: string,
  typeOf: (ruleId: string) => string | null,
  rebuild: (ruleId: string, g: Group) => void,
): OrgState {
  let raw: SerialState;
  try {
    raw = JSON.parse(json) as SerialState;
  } catch (err) {
    throw new StateError(`detection state is not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || raw.version !== 1 || typeof raw.rules !== 'object') {
    throw new StateError('detection state has an unknown format (expected version 1)');
  }
  const st = newOrgState();
  st.watermark = Number(raw.watermark) || 0;
  st.lastSweep = Number(raw.lastSweep) || 0;
  st.evicted = Number(raw.evicted) || 0;
  for (const [id, r] of Object.entries(raw.rules)) {
    // State of a rule that is gone, or whose kind changed, is dropped: it cannot be interpreted.
    if (typeOf(id) !== r.type || !Array.isArray(r.groups)) continue;
    const groups = new Map<string, Group>();
    for (const sg of r.groups) {
      if (typeof sg?.k !== 'string' || !Array.isArray(sg.v) || typeof sg.last !== 'number') {
        throw new StateError(`detection state of rule "${id}" has a malformed group`);
      }
      const g: Group = { v: sg.v, last: sg.last, ep: sg.ep ?? null };
      const vals = g.ep?.vals;
      if (vals !== undefined && (!Array.isArray(vals) || vals.length !== g.ep!.ev?.length)) {
        throw new StateError(`detection state of rule "${id}" has malformed evidence values`);
      }
      if (sg.x !== undefined) {
        if (
          !Array.isArray(sg.x) ||
          !sg.x.every((p) => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number')
        ) {
          throw new StateError(`detection state of rule "${id}" has malformed withdrawals`);
        }
        g.ex = new Map(sg.x);
      }
      if (sg.w) {
        const w = sg.w;
        const n = Array.isArray(w.t) ? w.t.length : -1;
        if (
          n < 0 ||
          [w.b, w.p, w.s, w.x ?? w.t, w.y ?? w.t].some((col) => !Array.isArray(col) || col.length !== n)
        ) {
          throw new StateError(`detection state of rule "${id}" has a malformed window`);
        }
        g.w = { ...w, h: 0 };
      }
      if (sg.m) g.m = sg.m;
      if (sg.s) g.s = sg.s;
      if (sg.p) g.p = sg.p;
      rebuild(id, g);
      groups.set(sg.k, g);
    }
    st.groups.set(id, groups);
  }
  return st;
}
